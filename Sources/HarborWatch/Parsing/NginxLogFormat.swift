/// An nginx `log_format`, compiled into literal and variable segments that match a line by bytes.
///
/// Built-in formats cover Harbor's proxy (`timed_combined`), its harbor-helm variant and nginx's
/// `combined`; any other format is read from the directive the user hands over
/// (`log_format name [escape=…] '…' '…';`) or from the bare format string.
public struct NginxLogFormat: Sendable, Equatable {
    /// The format's name (`timed_combined`).
    public let name: String
    /// The format string as nginx sees it.
    public let pattern: String
    /// nginx's `escape=` parameter.
    public let escape: Escape
    let segments: [Segment]
    /// Per segment: true for a variable whose value cannot hold a space (not quoted, not bracketed).
    let spaceFree: [Bool]

    /// nginx's escaping of variable values.
    public enum Escape: String, Sendable { case `default`, json, none }

    enum Segment: Sendable, Equatable {
        case literal([UInt8])
        case variable(NginxVariable)
    }

    /// Compiles a format string (`$remote_addr - "$request" …`).
    public init(name: String, pattern: String, escape: Escape = .default) throws(NginxFormatError) {
        self.name = name
        self.pattern = pattern
        self.escape = escape
        var segs: [Segment] = []
        var lit: [UInt8] = []
        let bytes = Array(pattern.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x24 {  // $
                var j = i + 1
                var braced = false
                if j < bytes.count, bytes[j] == 0x7B { braced = true; j += 1 }
                let start = j
                while j < bytes.count, Self.isNameByte(bytes[j]) { j += 1 }
                guard j > start else { throw NginxFormatError(message: "'$' at offset \(i) is not followed by a variable name", offset: i) }
                let varName = String(decoding: bytes[start..<j], as: UTF8.self)
                if braced {
                    guard j < bytes.count, bytes[j] == 0x7D else { throw NginxFormatError(message: "'${' at offset \(i) is not closed", offset: i) }
                    j += 1
                }
                if !lit.isEmpty { segs.append(.literal(lit)); lit = [] }
                if case .variable = segs.last {
                    throw NginxFormatError(
                        message: "variables '$\(varName)' and the one before it touch: harborwatch needs a literal between them",
                        offset: i)
                }
                segs.append(.variable(NginxVariable(varName)))
                i = j
            } else {
                lit.append(c)
                i += 1
            }
        }
        if !lit.isEmpty { segs.append(.literal(lit)) }
        guard segs.contains(where: { if case .variable = $0 { return true } else { return false } }) else {
            throw NginxFormatError(message: "the format has no variables", offset: 0)
        }
        segments = segs
        spaceFree = segs.indices.map { k in
            guard case .variable(let v) = segs[k] else { return false }
            switch v {
            case .timeLocal, .request, .userAgent, .referer, .upstreamResponseTime, .upstreamAddr, .upstreamStatus:
                return false
            default:
                break
            }
            if k > 0, case .literal(let prev) = segs[k - 1], let last = prev.last, last == 0x22 || last == 0x5B || last == 0x27 {
                return false
            }
            return true
        }
    }

    /// Reads a `log_format` directive (as in nginx.conf) or, failing that, a bare format string.
    public static func parse(directive text: String) throws(NginxFormatError) -> NginxLogFormat {
        let trimmed = text.trimmingCharactersInSet()
        guard trimmed.hasPrefix("log_format") else {
            return try NginxLogFormat(name: "custom", pattern: trimmed)
        }
        var rest = Substring(trimmed.dropFirst("log_format".count))
        func skipSpace() { while let f = rest.first, f == " " || f == "\t" || f == "\n" || f == "\r" { rest.removeFirst() } }
        func word() -> String {
            skipSpace()
            var w = ""
            while let f = rest.first, f != " ", f != "\t", f != "\n", f != "'", f != "\"", f != ";" { w.append(f); rest.removeFirst() }
            return w
        }
        let name = word()
        guard !name.isEmpty else { throw NginxFormatError(message: "log_format has no name", offset: 0) }
        var escape = Escape.default
        skipSpace()
        if rest.hasPrefix("escape=") {
            let w = word()
            guard let e = Escape(rawValue: String(w.dropFirst(7))) else {
                throw NginxFormatError(message: "unknown escape '\(w.dropFirst(7))' (expected default, json or none)", offset: 0)
            }
            escape = e
        }
        var pattern = ""
        while true {
            skipSpace()
            guard let q = rest.first else { break }
            if q == ";" { break }
            if q == "'" || q == "\"" {
                rest.removeFirst()
                guard let close = rest.firstIndex(of: q) else {
                    throw NginxFormatError(message: "unterminated string in log_format \(name)", offset: 0)
                }
                pattern += rest[..<close]
                rest = rest[rest.index(after: close)...]
            } else {
                let w = word()
                if w.isEmpty { break }
                pattern += w
            }
        }
        return try NginxLogFormat(name: name, pattern: pattern, escape: escape)
    }

    @inline(__always) private static func isNameByte(_ b: UInt8) -> Bool {
        ASCII.isAlpha(b) || ASCII.isDigit(b) || b == 0x5F
    }

    /// Harbor's proxy format (`make/photon/prepare/templates/nginx/nginx.https.conf.jinja`).
    public static let timedCombined = try! NginxLogFormat(
        name: "timed_combined",
        pattern: #"$remote_addr - "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time $pipe"#)
    /// harbor-helm's variant with the time first.
    public static let helmTimedCombined = try! NginxLogFormat(
        name: "helm_timed_combined",
        pattern: #"[$time_local]:$remote_addr - "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time $pipe"#)
    /// nginx's predefined `combined`.
    public static let combined = try! NginxLogFormat(
        name: "combined",
        pattern: #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#)
    /// `combined` with `$request_id` appended, a common choice for tracing.
    public static let combinedRequestId = try! NginxLogFormat(
        name: "combined_request_id",
        pattern: #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_id"#)
    /// The `main` format of nginx's stock nginx.conf.
    public static let main = try! NginxLogFormat(
        name: "main",
        pattern: #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#)
    /// The `timed_combined` of nginx's docs: `combined` plus request and upstream times and pipe.
    public static let timedCombinedFull = try! NginxLogFormat(
        name: "timed_combined_full",
        pattern: #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time $pipe"#)

    /// Built-in formats, tried in this order when none is given.
    public static let builtIn: [NginxLogFormat] = [
        timedCombined, helmTimedCombined, combined, combinedRequestId, main, timedCombinedFull,
    ]
}

/// A `log_format` that cannot be compiled.
public struct NginxFormatError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong.
    public var message: String
    /// Offset in the format string.
    public var offset: Int
    /// The message.
    public var description: String { message }
}

extension String {
    func trimmingCharactersInSet() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// A variable of an nginx log format, with the event field it fills.
public enum NginxVariable: Sendable, Equatable {
    case remoteAddr, remoteUser, timeLocal, timeIso8601, msec, request, requestMethod, requestURI, uri, args
    case status, bodyBytesSent, bytesSent, requestTime, upstreamResponseTime, upstreamAddr, upstreamStatus
    case userAgent, referer, requestId, host, pipe, xForwardedFor
    case xRequestId(String)
    case other(String)

    init(_ name: String) {
        switch name {
        case "remote_addr": self = .remoteAddr
        case "remote_user": self = .remoteUser
        case "time_local": self = .timeLocal
        case "time_iso8601": self = .timeIso8601
        case "msec": self = .msec
        case "request": self = .request
        case "request_method": self = .requestMethod
        case "request_uri": self = .requestURI
        case "uri", "document_uri": self = .uri
        case "args", "query_string": self = .args
        case "status": self = .status
        case "body_bytes_sent": self = .bodyBytesSent
        case "bytes_sent": self = .bytesSent
        case "request_time": self = .requestTime
        case "upstream_response_time": self = .upstreamResponseTime
        case "upstream_addr": self = .upstreamAddr
        case "upstream_status": self = .upstreamStatus
        case "http_user_agent": self = .userAgent
        case "http_referer": self = .referer
        case "request_id": self = .requestId
        case "http_x_request_id", "upstream_http_x_request_id", "sent_http_x_request_id": self = .xRequestId(name)
        case "host", "http_host": self = .host
        case "pipe": self = .pipe
        case "http_x_forwarded_for", "proxy_add_x_forwarded_for": self = .xForwardedFor
        default: self = .other(name)
        }
    }

    /// True for variables whose value may be a list (`0.1, 0.2` or `0.1 : 0.2`).
    var isList: Bool {
        switch self {
        case .upstreamResponseTime, .upstreamAddr, .upstreamStatus: return true
        default: return false
        }
    }
}
