/// Reads nginx error-log lines: `2024/09/18 10:00:01 [error] 8#8: *12 message, client: …, request: "…"`.
public enum NginxErrorParser {
    /// True when `b[r]` starts with `YYYY/MM/DD `.
    @inline(__always)
    public static func looksLike(_ b: LineBytes, _ r: Range<Int>) -> Bool {
        r.count > 21 && ASCII.isDigit(b[r.lowerBound]) && b[r.lowerBound + 4] == ASCII.slash && b[r.lowerBound + 7] == ASCII.slash
    }

    /// Parses `b[r]` into `e` (the time is read as UTC: Harbor's containers run in UTC).
    public static func parse(_ b: LineBytes, _ r: Range<Int>, into e: inout Event, interner: inout StringInterner) -> Bool {
        guard looksLike(b, r), let t = Timestamps.nginxErrorTime(b, at: r.lowerBound), b[r.lowerBound + 19] == ASCII.space,
            b[r.lowerBound + 20] == ASCII.lbracket,
            let close = b.find(ASCII.rbracket, from: r.lowerBound + 21, to: min(r.upperBound, r.lowerBound + 30))
        else { return false }
        e.time = t
        e.format = .nginxError
        e.level = level(b, (r.lowerBound + 21)..<close)
        var i = close + 1
        if i < r.upperBound, b[i] == ASCII.space { i += 1 }
        // pid#tid:
        if let colon = b.find(ASCII.colon, from: i, to: min(r.upperBound, i + 24)), b.find(ASCII.hash, from: i, to: colon) != nil {
            i = colon + 1
            if i < r.upperBound, b[i] == ASCII.space { i += 1 }
        }
        // *connection
        if i < r.upperBound, b[i] == ASCII.star {
            let start = i + 1
            while i < r.upperBound, b[i] != ASCII.space { i += 1 }
            e.fields["connection"] = b.string(start..<i)
            if i < r.upperBound { i += 1 }
        }
        var msgEnd = r.upperBound
        if let c = b.find(bytes(", client: "), from: i, to: r.upperBound) {
            msgEnd = c
            context(b, (c + 2)..<r.upperBound, into: &e, interner: &interner)
        }
        e.message = b.string(i..<msgEnd)
        return true
    }

    private static func level(_ b: LineBytes, _ r: Range<Int>) -> LogLevel {
        guard !r.isEmpty else { return .none }
        switch b[r.lowerBound] {
        case 0x64: return .debug
        case 0x69: return .info
        case 0x6E: return .info  // notice
        case 0x77: return .warning
        case 0x65: return r.count == 5 ? .error : .fatal  // error, emerg
        case 0x63, 0x61: return .fatal  // crit, alert
        default: return .none
        }
    }

    /// `client: X, server: Y, request: "…", upstream: "…", host: "…"`.
    private static func context(_ b: LineBytes, _ r: Range<Int>, into e: inout Event, interner: inout StringInterner) {
        var i = r.lowerBound
        while i < r.upperBound {
            guard let colon = b.find(ASCII.colon, from: i, to: r.upperBound), colon + 1 < r.upperBound else { return }
            let key = i..<colon
            var vs = colon + 1
            if vs < r.upperBound, b[vs] == ASCII.space { vs += 1 }
            var ve: Int
            if vs < r.upperBound, b[vs] == ASCII.quote {
                vs += 1
                ve = b.find(ASCII.quote, from: vs, to: r.upperBound) ?? r.upperBound
                i = ve + 1
            } else {
                ve = b.find(ASCII.comma, from: vs, to: r.upperBound) ?? r.upperBound
                i = ve
            }
            let v = vs..<ve
            if b.matches("client", at: key.lowerBound), key.count == 6 {
                e.client = interner.intern(b, v)
            } else if b.matches("request", at: key.lowerBound), key.count == 7 {
                if let sp = b.find(ASCII.space, from: v.lowerBound, to: v.upperBound) {
                    e.method = interner.intern(b, v.lowerBound..<sp)
                    var tEnd = v.upperBound
                    if let sp2 = b.find(ASCII.space, from: sp + 1, to: v.upperBound) { tEnd = sp2 }
                    let t = (sp + 1)..<tEnd
                    let q = b.find(ASCII.question, from: t.lowerBound, to: t.upperBound)
                    let p = t.lowerBound..<(q ?? t.upperBound)
                    e.path = b.string(p)
                    let qr = q.map { ($0 + 1)..<t.upperBound }
                    if let qr { e.query = b.string(qr) }
                    RegistryURI.classify(b, path: p, query: qr, into: &e, interner: &interner)
                }
            } else if b.matches("upstream", at: key.lowerBound), key.count == 8 {
                e.upstreamAddr = b.string(v)
            } else if b.matches("host", at: key.lowerBound), key.count == 4 {
                e.host = interner.intern(b, v)
            } else if !v.isEmpty {
                e.fields[b.string(key)] = b.string(v)
            }
            while i < r.upperBound, b[i] == ASCII.comma || b[i] == ASCII.space { i += 1 }
        }
    }

    private static func bytes(_ s: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
    }
}
