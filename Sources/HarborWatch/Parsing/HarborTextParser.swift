/// Reads Harbor's text format (core, jobservice, registryctl, job log files).
///
/// `2024-09-18T10:00:01Z [INFO] [/core/main.go:154][requestID="…"]: message`: RFC 3339 time,
/// level, the caller's file:line, optional sorted `[k="v" …]` fields (keys may hold spaces,
/// values are not escaped), then the message.
public enum HarborTextParser {
    /// True when `b[r]` starts like a Harbor text line (a date and ` [`).
    @inline(__always)
    public static func looksLike(_ b: LineBytes, _ r: Range<Int>) -> Bool {
        let i = r.lowerBound
        return r.count > 24 && ASCII.isDigit(b[i]) && b[i + 4] == ASCII.dash && b[i + 10] == ASCII.T
    }

    /// Parses `b[r]` into `e`; false when it is not a Harbor text line.
    public static func parse(_ b: LineBytes, _ r: Range<Int>, into e: inout Event, interner: inout StringInterner) -> Bool {
        guard let (t, tsEnd) = Timestamps.rfc3339(b, r), tsEnd + 2 < r.upperBound, b[tsEnd] == ASCII.space,
            b[tsEnd + 1] == ASCII.lbracket, let lvlEnd = b.find(ASCII.rbracket, from: tsEnd + 2, to: min(r.upperBound, tsEnd + 12))
        else { return false }
        guard let level = Self.level(b, (tsEnd + 2)..<lvlEnd) else { return false }
        var i = lvlEnd + 1
        if i < r.upperBound, b[i] == ASCII.space { i += 1 }
        // [file:line]
        if i < r.upperBound, b[i] == ASCII.lbracket, i + 1 < r.upperBound, b[i + 1] != ASCII.rbracket,
            let close = b.find(ASCII.rbracket, from: i, to: r.upperBound),
            b.find(ASCII.quote, from: i, to: close) == nil
        {
            e.caller = interner.intern(b, (i + 1)..<close)
            i = close + 1
        }
        // [k="v" …]
        if i < r.upperBound, b[i] == ASCII.lbracket {
            guard let after = fields(b, (i + 1)..<r.upperBound, into: &e, interner: &interner) else { return false }
            i = after
        }
        guard i < r.upperBound, b[i] == ASCII.colon else { return false }
        i += 1
        if i < r.upperBound, b[i] == ASCII.space { i += 1 }
        e.time = t
        e.level = level
        e.format = .harborText
        let msg = i..<r.upperBound
        e.message = Escapes.mayHaveRsyslogEscape(b, msg) ? Escapes.rsyslog(b, msg) : b.string(msg)
        return true
    }

    static func level(_ b: LineBytes, _ r: Range<Int>) -> LogLevel? {
        switch r.count {
        case 4 where b.matches("INFO", at: r.lowerBound): return .info
        case 5 where b.matches("DEBUG", at: r.lowerBound): return .debug
        case 5 where b.matches("ERROR", at: r.lowerBound): return .error
        case 5 where b.matches("FATAL", at: r.lowerBound): return .fatal
        case 7 where b.matches("WARNING", at: r.lowerBound): return .warning
        case 4 where b.matches("WARN", at: r.lowerBound): return .warning
        default: return nil
        }
    }

    /// Reads `k="v" k2="v2"]` starting at `r.lowerBound`; returns the index after `]`.
    private static func fields(_ b: LineBytes, _ r: Range<Int>, into e: inout Event, interner: inout StringInterner) -> Int? {
        var i = r.lowerBound
        if i < r.upperBound, b[i] == ASCII.rbracket { return i + 1 }
        while i < r.upperBound {
            guard let eq = b.find(ASCII.equals, from: i, to: r.upperBound), eq + 1 < r.upperBound, b[eq + 1] == ASCII.quote
            else { return nil }
            let key = i..<eq
            var j = eq + 2
            var valueEnd = -1, next = -1
            while let q = b.find(ASCII.quote, from: j, to: r.upperBound) {
                if q + 1 < r.upperBound, b[q + 1] == ASCII.rbracket {
                    valueEnd = q; next = q + 2
                    break
                }
                if q + 1 < r.upperBound, b[q + 1] == ASCII.space, looksLikeKey(b, (q + 2)..<r.upperBound) {
                    valueEnd = q; next = q + 2
                    break
                }
                j = q + 1
            }
            guard valueEnd >= 0 else { return nil }
            store(b, key: key, value: (eq + 2)..<valueEnd, into: &e, interner: &interner)
            if b[valueEnd + 1] == ASCII.rbracket { return next }
            i = next
        }
        return nil
    }

    /// A key is text without quotes up to `="`.
    private static func looksLikeKey(_ b: LineBytes, _ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        while i < r.upperBound, i < r.lowerBound + 40 {
            let c = b[i]
            if c == ASCII.quote || c == ASCII.rbracket { return false }
            if c == ASCII.equals { return i > r.lowerBound && i + 1 < r.upperBound && b[i + 1] == ASCII.quote }
            i += 1
        }
        return false
    }

    private static func store(_ b: LineBytes, key: Range<Int>, value: Range<Int>, into e: inout Event, interner: inout StringInterner) {
        let escaped = Escapes.mayHaveRsyslogEscape(b, value)
        if b.matches("requestID", at: key.lowerBound), key.count == 9 {
            e.requestId = b.string(value)
        } else if b.matches("client IP", at: key.lowerBound), key.count == 9 {
            e.client = interner.intern(b, value)
        } else if b.matches("user agent", at: key.lowerBound), key.count == 10 {
            e.userAgent = escaped ? Escapes.rsyslog(b, value) : interner.intern(b, value)
        } else if b.matches("operator", at: key.lowerBound), key.count == 8 {
            e.user = interner.intern(b, value)
            e.fields["operator"] = e.user
        } else {
            e.fields[b.string(key)] = escaped ? Escapes.rsyslog(b, value) : b.string(value)
        }
    }
}
