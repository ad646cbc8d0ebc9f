/// The prefix that Harbor's log container (rsyslog, `RSYSLOG_TraditionalFileFormat`) puts on every line.
///
/// `Sep  8 09:05:17 172.18.0.1 core[1043]: payload`: yearless, zone-less, space-padded day.
/// rsyslog's high-precision form (`2024-09-18T10:00:01.123+08:00 host tag[pid]: payload`) and an
/// optional `<PRI>` are accepted too.
public struct SyslogPrefix: Equatable, Sendable {
    /// Month 1…12 (0 when the prefix carried a full RFC 3339 time).
    public var month: Int
    /// Day of the month.
    public var day: Int
    /// Seconds since local midnight.
    public var secondOfDay: Int
    /// Full UTC time when the prefix was RFC 3339, else nil.
    public var absolute: Int64?
    /// Byte range of the host token.
    public var host: Range<Int>
    /// Byte range of the tag (programname).
    public var tag: Range<Int>
    /// Index where the payload starts.
    public var payload: Int
}

/// Reads the syslog prefix of a line.
public enum SyslogEnvelope {
    /// The prefix of `b[r]`, or nil when the line does not start with one.
    public static func parse(_ b: LineBytes, _ r: Range<Int>) -> SyslogPrefix? {
        var i = r.lowerBound
        if i < r.upperBound, b[i] == ASCII.lt {  // <PRI>
            var j = i + 1
            while j < r.upperBound, j < i + 5, ASCII.isDigit(b[j]) { j += 1 }
            guard j < r.upperBound, b[j] == ASCII.gt, j > i + 1 else { return nil }
            i = j + 1
        }
        guard i + 16 <= r.upperBound else { return nil }
        var month = 0, day = 0, sod = 0
        var absolute: Int64?
        if ASCII.isUpper(b[i]) {
            guard let t = traditionalTime(b, at: i, end: r.upperBound) else { return nil }
            (month, day, sod) = t
            i += 16
        } else if ASCII.isDigit(b[i]) {
            guard let (t, end) = Timestamps.rfc3339(b, i..<r.upperBound), end < r.upperBound, b[end] == ASCII.space,
                end + 1 < r.upperBound, b[end + 1] != ASCII.lbracket
            else { return nil }
            absolute = t
            i = end + 1
        } else {
            return nil
        }
        // host
        guard let hostEnd = b.find(ASCII.space, from: i, to: r.upperBound), hostEnd > i else { return nil }
        let host = i..<hostEnd
        i = hostEnd + 1
        // tag[pid]: or tag:
        let tagStart = i
        while i < r.upperBound {
            let c = b[i]
            if c == ASCII.lbracket || c == ASCII.colon || c == ASCII.space { break }
            i += 1
        }
        guard i < r.upperBound, i > tagStart else { return nil }
        let tag = tagStart..<i
        if b[i] == ASCII.lbracket {
            guard let close = b.find(ASCII.rbracket, from: i, to: min(r.upperBound, i + 24)) else { return nil }
            i = close + 1
        }
        guard i < r.upperBound, b[i] == ASCII.colon else { return nil }
        i += 1
        if i < r.upperBound, b[i] == ASCII.space { i += 1 }
        return SyslogPrefix(month: month, day: day, secondOfDay: sod, absolute: absolute, host: host, tag: tag, payload: i)
    }

    /// The month, day and second of the day of a traditional timestamp (`Sep  8 09:05:17`, 15
    /// bytes) at `i` and the space after it, or nil when `b[i..<end]` does not start so.
    @inline(__always)
    static func traditionalTime(_ b: LineBytes, at i: Int, end: Int) -> (month: Int, day: Int, sod: Int)? {
        guard i + 16 <= end else { return nil }
        let month = Timestamps.month(b, at: i)
        guard month > 0, b[i + 3] == ASCII.space else { return nil }
        let d0 = b[i + 4], d1 = b[i + 5]
        guard ASCII.isDigit(d1), d0 == ASCII.space || ASCII.isDigit(d0), b[i + 6] == ASCII.space else { return nil }
        let day = (d0 == ASCII.space ? 0 : Int(d0 &- ASCII.zero) * 10) + Int(d1 &- ASCII.zero)
        let sod = Timestamps.hms(b, i + 7)
        guard day >= 1, day <= 31, sod >= 0, b[i + 15] == ASCII.space else { return nil }
        return (month, day, sod)
    }

    /// rsyslog's `message repeated N times: [ … ]`: N and the inner payload's range.
    public static func repeated(_ b: LineBytes, _ r: Range<Int>) -> (count: Int, inner: Range<Int>)? {
        guard b.matches("message repeated ", at: r.lowerBound) else { return nil }
        var i = r.lowerBound + 17
        let start = i
        while i < r.upperBound, ASCII.isDigit(b[i]) { i += 1 }
        guard let n = b.int(start..<i), b.matches(" times: [", at: i) else { return nil }
        i += 9
        var end = r.upperBound
        while end > i, b[end - 1] == ASCII.space { end -= 1 }
        guard end > i, b[end - 1] == ASCII.rbracket else { return nil }
        end -= 1
        if i < end, b[i] == ASCII.space { i += 1 }
        return (n, i..<end)
    }
}
