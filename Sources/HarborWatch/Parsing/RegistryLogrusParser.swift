/// Reads the registry's (distribution 2.x) logrus text lines.
///
/// `time="…" level=info msg="…" key=value …`: values are quoted only when they hold a byte outside
/// `[A-Za-z0-9.-]`, and never escaped, so a quoted value may contain raw `"`. A value therefore
/// ends at the first `" ` that is followed by a known key and `=`.
public enum RegistryLogrusParser {
    /// True when `b[r]` starts with `time="`.
    @inline(__always)
    public static func looksLike(_ b: LineBytes, _ r: Range<Int>) -> Bool { b.matches("time=\"", at: r.lowerBound) }

    /// Parses `b[r]` into `e`; false when it is not a logrus line.
    public static func parse(_ b: LineBytes, _ r: Range<Int>, into e: inout Event, interner: inout StringInterner) -> Bool {
        guard looksLike(b, r), let close = b.find(ASCII.quote, from: r.lowerBound + 6, to: r.upperBound),
            let (t, tEnd) = Timestamps.rfc3339(b, (r.lowerBound + 6)..<close), tEnd == close
        else { return false }
        let w = e.writable()  // made unique once, then written directly (not a check per field)
        w.time = t
        w.format = .registryLogrus
        var i = close + 1
        var sawLevel = false, sawMsg = false
        var path: Range<Int>?, query: Range<Int>?
        // The `=` of the key after a quoted value, which `quotedEnd` found already (-1: not known).
        var nextEq = -1
        while i < r.upperBound {
            while i < r.upperBound, b[i] == ASCII.space { i += 1 }
            if i >= r.upperBound { break }
            let eq: Int
            if nextEq > i {
                eq = nextEq
            } else {
                guard let found = b.find(ASCII.equals, from: i, to: r.upperBound) else { return false }
                eq = found
            }
            nextEq = -1
            let key = i..<eq
            var vStart = eq + 1, vEnd: Int
            if vStart < r.upperBound, b[vStart] == ASCII.quote {
                vStart += 1
                guard let (q, after) = quotedEnd(b, from: vStart, to: r.upperBound) else { return false }
                vEnd = q
                nextEq = after
                i = min(vEnd + 1, r.upperBound)
            } else {
                vEnd = b.find(ASCII.space, from: vStart, to: r.upperBound) ?? r.upperBound
                i = vEnd
            }
            let value = vStart..<vEnd
            switch key.count {
            case 5 where b.matches("level", at: key.lowerBound):
                w.level = level(b, value)
                sawLevel = true
            case 3 where b.matches("msg", at: key.lowerBound):
                // A handful of messages make up nearly every line ("response completed" …): share them.
                w.message = interner.intern(b, value, maxLength: 96) { bytes, r in text(bytes, r) }
                sawMsg = true
            default:
                store(b, key, value, w, interner: &interner, path: &path, query: &query)
            }
        }
        guard sawLevel, sawMsg else { return false }
        if let path {
            // Route variables (`vars.name` …) are the registry's own reading; they win over the path.
            RegistryURI.classify(b, path: path, query: query, w, interner: &interner, keepRoute: true)
        }
        return true
    }

    /// A value as text: Go `%q` escapes (newer logrus) and rsyslog's `#ooo` decoded.
    static func text(_ b: LineBytes, _ v: Range<Int>) -> String {
        var s: String
        if goEscaped(b, v) { s = Escapes.backslash(b, v) } else { s = b.string(v) }
        if s.utf8.contains(ASCII.hash) {
            let bytes = Array(s.utf8)
            s = bytes.withUnsafeBufferPointer { Escapes.rsyslog($0, 0..<$0.count) }
        }
        return s
    }

    /// True when a quoted value carries Go `%q` escapes (`\\`, `\"`, `\t` …) rather than raw text
    /// (older logrus writes values raw, so a lone `\(` is a backslash of the value itself).
    @inline(__always)
    static func goEscaped(_ b: LineBytes, _ v: Range<Int>) -> Bool {
        var i = v.lowerBound
        while let j = b.find(ASCII.backslash, from: i, to: v.upperBound), j + 1 < v.upperBound {
            switch b[j + 1] {
            case ASCII.backslash, ASCII.quote, 0x74, 0x6E, 0x72: return true
            case ASCII.x: if j + 3 < v.upperBound, ASCII.isHex(b[j + 2]), ASCII.isHex(b[j + 3]) { return true }
            default: break
            }
            i = j + 2
        }
        return false
    }

    /// An interned value, decoded when it needs it.
    @inline(__always)
    static func interned(_ b: LineBytes, _ v: Range<Int>, _ interner: inout StringInterner) -> String {
        if b.containsBackslash(v) || b.find(ASCII.hash, from: v.lowerBound, to: v.upperBound) != nil {
            return interner.intern(b, v) { bytes, r in text(bytes, r) }
        }
        return interner.intern(b, v)
    }

    /// The end of a quoted value starting at `from`: the first `"` followed by ` key=` or the
    /// line's end; with the index of that key's `=` (-1 at the line's end).
    @inline(__always)
    private static func quotedEnd(_ b: LineBytes, from: Int, to: Int) -> (end: Int, eq: Int)? {
        var j = from
        while let q = b.find(ASCII.quote, from: j, to: to) {
            var k = q + 1
            while k < to, b[k] == ASCII.space { k += 1 }
            if k >= to { return (q, -1) }
            if k > q + 1 {
                let eq = knownKey(b, k, to)
                if eq >= 0 { return (q, eq) }
            }
            j = q + 1
        }
        return nil
    }

    /// The index of the `=` when a known logrus key and `=` start at `i`, else -1: a key of
    /// `[A-Za-z0-9._]`, at most 47 bytes, that starts with one of the known prefixes. The prefix
    /// is matched first (most `"` inside a value are not followed by one), then the rest of the
    /// key is read up to `=`, eight bytes at a time where the line has them.
    @inline(__always)
    static func knownKey(_ b: LineBytes, _ i: Int, _ to: Int) -> Int {
        // A prefix ending in `=` is a whole key; one ending in `.` is followed by the rest.
        let n: Int
        switch b[i] {
        case 0x68: n = b.matches("http.", at: i) ? 5 : 0  // h
        case 0x76: n = b.matches("vars.", at: i) ? 5 : b.matches("version=", at: i) ? 8 : 0  // v
        case 0x65: n = b.matches("err.", at: i) ? 4 : b.matches("error=", at: i) ? 6 : b.matches("environment=", at: i) ? 12 : 0
        case 0x67: n = b.matches("go.", at: i) ? 3 : 0
        case 0x61: n = b.matches("auth.", at: i) ? 5 : 0
        case 0x69: n = b.matches("instance.", at: i) ? 9 : 0
        case 0x73: n = b.matches("service=", at: i) ? 8 : 0
        case 0x72: n = b.matches("redis.", at: i) ? 6 : 0
        case 0x74: n = b.matches("trace.", at: i) ? 6 : 0
        case 0x75: n = b.matches("url=", at: i) ? 4 : 0
        case 0x6C: n = b.matches("level=", at: i) ? 6 : 0
        case 0x6D: n = b.matches("msg=", at: i) ? 4 : 0
        default: n = 0
        }
        guard n > 0, i + n <= to else { return -1 }
        if b[i + n - 1] == ASCII.equals { return i + n - 1 }
        var k = i + n
        let limit = min(to, i + 48)
        let raw = UnsafeRawPointer(b.baseAddress!)
        while k + 8 <= limit {
            let w = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            let eqs = ByteWord.equal(w, ASCII.equals)
            let bad = ~keyBytes(w) & 0x8080_8080_8080_8080 & ~eqs
            if eqs != 0 {
                // the first `=`, with only key bytes before it
                let first = eqs.trailingZeroBitCount
                let before = first == 7 ? 0 : (UInt64(1) << UInt64(first - 7)) &- 1
                return bad & before == 0 ? k + first / 8 : -1
            }
            if bad != 0 { return -1 }
            k += 8
        }
        while k < limit {
            let c = b[k]
            if c == ASCII.equals { return k }
            guard isKeyByte(c) else { return -1 }
            k += 1
        }
        return -1
    }

    /// 0x80 in each byte of `w` that is `[A-Za-z0-9._]` (`isKeyByte`), nothing elsewhere.
    @inline(__always)
    static func keyBytes(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let x = w & 0x7F7F_7F7F_7F7F_7F7F  // each byte below 0x80: the sums below carry into no other byte
        // 0x80 where lo <= byte <= hi
        func within(_ v: UInt64, _ lo: UInt64, _ hi: UInt64) -> UInt64 {
            ((v &+ (0x80 - lo) &* ones) & ~(v &+ (0x7F - hi) &* ones)) & high
        }
        let letters = within(x | 0x2020_2020_2020_2020, 0x61, 0x7A)
        let digits = within(x, 0x30, 0x39)
        let marks = ByteWord.equal(x, ASCII.dot) | ByteWord.equal(x, 0x5F)  // `.`, `_`
        return (letters | digits | marks) & ~w & high  // & ~w: not a byte of 0x80 and up
    }

    /// True for `[A-Za-z0-9._]`: a bit of one of two constant words.
    @inline(__always)
    static func isKeyByte(_ c: UInt8) -> Bool {
        let low: UInt64 = 1 << 46 | 0x3FF << 48  // `.`, `0`–`9`
        let high: UInt64 = 0x3FF_FFFF << 1 | 1 << 31 | 0x3FF_FFFF << 33  // `A`–`Z`, `_`, `a`–`z`
        let word = c < 64 ? low : c < 128 ? high : 0
        return (word >> UInt64(c & 63)) & 1 != 0
    }

    private static func level(_ b: LineBytes, _ r: Range<Int>) -> LogLevel {
        switch b[r.lowerBound] {
        case 0x69: return .info
        case 0x77: return .warning
        case 0x65: return .error
        case 0x64: return .debug
        case 0x66: return .fatal
        case 0x70: return .panic
        default: return .none
        }
    }

    private static func store(
        _ b: LineBytes, _ key: Range<Int>, _ v: Range<Int>, _ w: EventStorage, interner: inout StringInterner,
        path: inout Range<Int>?, query: inout Range<Int>?
    ) {
        let k = key.lowerBound
        if b.matches("http.request.", at: k) {
            let s = k + 13
            let n = key.upperBound - s
            switch n {
            case 2 where b.matches("id", at: s): w.setRequestId(b, v)  // bytes until read
            case 6 where b.matches("method", at: s): NginxAccessParser.setMethod(b, v, known: NginxAccessParser.method(b, v), w, &interner)
            case 3 where b.matches("uri", at: s):
                let q = b.find(ASCII.question, from: v.lowerBound, to: v.upperBound)
                path = v.lowerBound..<(q ?? v.upperBound)
                w.setPath(b, path!)  // bytes until read
                if let q {
                    query = (q + 1)..<v.upperBound
                    w.setQuery(b, query!)  // bytes until read
                }
            case 4 where b.matches("host", at: s): w.host = interner.intern(b, v)
            case 10 where b.matches("remoteaddr", at: s): w.client = interner.intern(b, v)
            case 9 where b.matches("useragent", at: s):
                let agent = interned(b, v, &interner)
                // verbatim unless a backslash escape is in it (`#` escapes only control bytes,
                // which the prefix has none of)
                w.setUserAgent(agent, isReplicator: EventStorage.isReplicator(agent, b, v, verbatim: !b.containsBackslash(v)))
            case 7 where b.matches("referer", at: s): w.setReferer(text(b, v))
            default: w.fields[interner.intern(b, key)] = fieldText(b, v, &interner)
            }
        } else if b.matches("http.response.", at: k) {
            let s = k + 14
            if b.matches("status", at: s) {
                w.status = b.int(v) ?? 0
            } else if b.matches("written", at: s) {
                if let n = b.int(v) { w.bytes = Int64(n) }
            } else if b.matches("duration", at: s) {
                w.requestTime = Timestamps.goDuration(b, v)
            } else {
                w.fields[interner.intern(b, key)] = fieldText(b, v, &interner)
            }
        } else if b.matches("vars.", at: k) {
            let s = k + 5
            if b.matches("name", at: s) {
                w.repository = interner.intern(b, v)
            } else if b.matches("reference", at: s) || b.matches("digest", at: s) {
                w.reference = interner.reference(b, v)
            } else if b.matches("uuid", at: s) {
                w.uploadId = interner.transient(b, v)
            }
        } else if b.matches("err.code", at: k) {
            w.errorCode = interner.intern(b, v)
        } else if b.matches("err.detail", at: k) {
            w.setErrorDetail(text(b, v))
        } else if b.matches("err.message", at: k) {
            w.fields["err.message"] = text(b, v)
        } else if b.matches("go.version", at: k) {
            // constant per build; not kept
        } else {
            w.fields[interner.intern(b, key)] = fieldText(b, v, &interner)
        }
    }

    /// The value of another field: short ones repeat (`application/octet-stream`), so they are shared.
    @inline(__always)
    private static func fieldText(_ b: LineBytes, _ v: Range<Int>, _ interner: inout StringInterner) -> String {
        interner.intern(b, v, maxLength: 64) { bytes, r in text(bytes, r) }
    }
}
