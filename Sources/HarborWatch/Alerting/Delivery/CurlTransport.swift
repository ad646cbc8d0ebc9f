import CCurl
import Foundation

/// The real transport: libcurl (TLS verification on), loaded with dlopen on the first request so a
/// run that sends nothing never maps it and the libraries it needs.
public struct CurlTransport: HTTPTransport {
    /// A transport.
    public init() {}

    public func post(url: URL, headers: [String: String], body: Data, timeout: Double) -> HTTPOutcome {
        // "Name;" sends an empty value ("Name:" would remove the header); "Expect:" stops curl
        // waiting up to a second for `100 Continue` before a body over 1 MiB.
        var lines = headers.sorted { $0.key < $1.key }.map { $0.value.isEmpty ? "\($0.key);" : "\($0.key): \($0.value)" }
        if !headers.keys.contains(where: { $0.lowercased() == "expect" }) { lines.append("Expect:") }
        let ms = timeout.isFinite ? Int(min(max(timeout * 1000, 1), 86_400_000)) : 86_400_000
        var status = 0
        var rawHeaders: UnsafeMutablePointer<CChar>?
        var rawBody: UnsafeMutablePointer<CChar>?
        var headersLen = 0
        var bodyLen = 0
        let errLen = 512
        var err = [CChar](repeating: 0, count: errLen)
        let cLines = lines.map { strdup($0) }
        defer { cLines.forEach { free($0) } }
        let rc = cLines.map { UnsafePointer($0) }.withUnsafeBufferPointer { lp in
            body.withUnsafeBytes { bp in
                hw_http_post(url.absoluteString, lp.baseAddress, Int32(lp.count), bp.baseAddress, bp.count, ms,
                             &status, &rawHeaders, &headersLen, &rawBody, &bodyLen, &err, errLen)
            }
        }
        defer { hw_http_free(rawHeaders); hw_http_free(rawBody) }
        guard rc == 0 else { return .failed(String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        let h = rawHeaders.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: headersLen), as: UTF8.self) } ?? ""
        let b = rawBody.map { Data(bytes: $0, count: min(bodyLen, 2048)) } ?? Data()
        return .response(status: status, headers: Self.parseHeaders(h), body: String(decoding: b, as: UTF8.self))
    }

    /// The header lines curl passed on, names lowercased, values trimmed; only the last block counts
    /// (after `100 Continue` or a proxy's CONNECT answer). A repeated name's values are joined with ", ".
    static func parseHeaders(_ raw: String) -> [String: String] {
        var h: [String: String] = [:]
        var last: String?
        for line in raw.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if line.hasPrefix("HTTP/") { h = [:]; last = nil; continue }
            if line.first == " " || line.first == "\t" {  // obsolete line folding
                if let n = last { h[n, default: ""] += " " + line.trimmingCharacters(in: .whitespaces) }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            guard !name.isEmpty else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            h[name] = h[name].map { $0 + ", " + value } ?? value
            last = name
        }
        return h
    }
}
