/// Calendar arithmetic and the timestamp layouts of Harbor's logs, parsed from bytes.
///
/// No `DateFormatter`, no `Calendar`: each layout is read by position and turned into
/// nanoseconds since the epoch with the days-from-civil algorithm.
public enum Timestamps {
    /// Nanoseconds in a second.
    public static let nsPerSecond: Int64 = 1_000_000_000

    /// The years a time read from a log may have: those whose every instant, with any zone
    /// offset, is an `Int64` of nanoseconds since 1970 (1677-09-21 to 2262-04-11). A line dated
    /// outside them is malformed; its nanoseconds would overflow (and wrap in a release build:
    /// year 9999 read as 1815).
    public static var years: ClosedRange<Int> { 1678...2261 }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    @inline(__always)
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month, day of a day count since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Nanoseconds since the epoch of a civil UTC time.
    @inline(__always)
    public static func epochNanos(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanos: Int = 0) -> Int64 {
        let days = daysFromCivil(year, month, day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return secs * nsPerSecond + Int64(nanos)
    }

    /// Month number 1…12 of a three-letter English month name at `at`, or 0.
    @inline(__always)
    static func month(_ b: LineBytes, at i: Int) -> Int {
        guard i + 3 <= b.count else { return 0 }
        let k = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
        switch k {
        case 0x4A616E: return 1  // Jan
        case 0x466562: return 2  // Feb
        case 0x4D6172: return 3  // Mar
        case 0x417072: return 4  // Apr
        case 0x4D6179: return 5  // May
        case 0x4A756E: return 6  // Jun
        case 0x4A756C: return 7  // Jul
        case 0x417567: return 8  // Aug
        case 0x536570: return 9  // Sep
        case 0x4F6374: return 10  // Oct
        case 0x4E6F76: return 11  // Nov
        case 0x446563: return 12  // Dec
        default: return 0
        }
    }

    @inline(__always)
    static func two(_ b: LineBytes, _ i: Int) -> Int {
        let a = b[i] &- ASCII.zero, c = b[i + 1] &- ASCII.zero
        return a < 10 && c < 10 ? Int(a) * 10 + Int(c) : -1
    }

    @inline(__always)
    static func four(_ b: LineBytes, _ i: Int) -> Int {
        let x = two(b, i), y = two(b, i + 2)
        return x >= 0 && y >= 0 ? x * 100 + y : -1
    }

    /// `HH:MM:SS` at `i` as seconds of the day, or -1.
    @inline(__always)
    static func hms(_ b: LineBytes, _ i: Int) -> Int {
        guard i + 8 <= b.count, b[i + 2] == ASCII.colon, b[i + 5] == ASCII.colon else { return -1 }
        let h = two(b, i), m = two(b, i + 3), s = two(b, i + 6)
        guard h >= 0, h < 24, m >= 0, m < 60, s >= 0, s < 61 else { return -1 }
        return h * 3600 + m * 60 + s
    }

    /// RFC 3339 (`2024-09-18T10:00:01Z`, `…01.298269790Z`, `…01+08:00`) in `r`: nanoseconds and the end index.
    public static func rfc3339(_ b: LineBytes, _ r: Range<Int>) -> (nanos: Int64, end: Int)? {
        let i = r.lowerBound
        guard i + 20 <= r.upperBound, b[i + 4] == ASCII.dash, b[i + 7] == ASCII.dash,
            b[i + 10] == ASCII.T || b[i + 10] == ASCII.space || b[i + 10] == 0x74
        else { return nil }
        let y = four(b, i), mo = two(b, i + 5), d = two(b, i + 8)
        let secs = hms(b, i + 11)
        guard years.contains(y), mo >= 1, mo <= 12, d >= 1, d <= 31, secs >= 0 else { return nil }
        var j = i + 19
        var nanos = 0
        if j < r.upperBound, b[j] == ASCII.dot || b[j] == ASCII.comma {
            j += 1
            var digits = 0
            while j < r.upperBound, ASCII.isDigit(b[j]) {
                if digits < 9 { nanos = nanos * 10 + Int(b[j] &- ASCII.zero); digits += 1 }
                j += 1
            }
            guard digits > 0 else { return nil }
            while digits < 9 { nanos *= 10; digits += 1 }
        }
        guard j < r.upperBound else { return nil }
        var offset = 0
        if b[j] == ASCII.Z || b[j] == ASCII.z {
            j += 1
        } else if b[j] == ASCII.plus || b[j] == ASCII.dash {
            guard j + 6 <= r.upperBound, b[j + 3] == ASCII.colon else { return nil }
            let oh = two(b, j + 1), om = two(b, j + 4)
            guard oh >= 0, om >= 0 else { return nil }
            offset = (oh * 3600 + om * 60) * (b[j] == ASCII.dash ? -1 : 1)
            j += 6
        } else {
            return nil
        }
        let days = Int64(daysFromCivil(y, mo, d))
        let s = days * 86_400 + Int64(secs) - Int64(offset)
        return (s * nsPerSecond + Int64(nanos), j)
    }

    /// nginx/Apache `$time_local`: `18/Sep/2024:10:00:01 +0000` (26 bytes) at `i`.
    public static func timeLocal(_ b: LineBytes, at i: Int) -> Int64? {
        guard let (dayStart, secs) = timeLocalParts(b, at: i) else { return nil }
        return (dayStart + Int64(secs)) * nsPerSecond
    }

    /// `timeLocal` in two parts: the start of its day in seconds since the epoch (the zone's
    /// offset applied), and the seconds of the day.
    @inline(__always)
    static func timeLocalParts(_ b: LineBytes, at i: Int) -> (dayStart: Int64, secs: Int)? {
        guard i + 26 <= b.count, b[i + 2] == ASCII.slash, b[i + 6] == ASCII.slash, b[i + 11] == ASCII.colon,
            b[i + 20] == ASCII.space
        else { return nil }
        let d = two(b, i), mo = month(b, at: i + 3), y = four(b, i + 7), secs = hms(b, i + 12)
        let sign = b[i + 21]
        let oh = two(b, i + 22), om = two(b, i + 24)
        guard d >= 1, d <= 31, mo > 0, years.contains(y), secs >= 0, oh >= 0, om >= 0, sign == ASCII.plus || sign == ASCII.dash
        else {
            return nil
        }
        let offset = (oh * 3600 + om * 60) * (sign == ASCII.dash ? -1 : 1)
        return (Int64(daysFromCivil(y, mo, d)) * 86_400 - Int64(offset), secs)
    }

    /// `timeLocal`, remembering the date and zone of the last line: the lines of a log share
    /// them for a day, and then only the time of day is read (the date's month name, day count
    /// and zone cost about 200 instructions a line).
    ///
    /// One per source (the parsers get it with the source's interner). It keeps the date bytes
    /// (`18/Sep/2024`), the zone bytes (` +0000`) and the start of that day in seconds; a line
    /// whose bytes there are the same has the same date and zone, so it gets the same answer as
    /// `timeLocal`.
    public struct TimeLocalMemo {
        private var date0: UInt64 = 0
        private var date1: UInt64 = 0
        private var zone: UInt64 = 0
        private var dayStart: Int64 = 0
        private var valid = false

        public init() {}

        /// `Timestamps.timeLocal(b, at: i)`.
        @inline(__always)
        public mutating func time(_ b: LineBytes, at i: Int) -> Int64? {
            guard i >= 0, i + 26 <= b.count else { return nil }
            let raw = UnsafeRawPointer(b.baseAddress!) + i
            // `18/Sep/2`, `Sep/2024`, and `01 +0000` without the seconds.
            let d0 = raw.loadUnaligned(as: UInt64.self)
            let d1 = raw.loadUnaligned(fromByteOffset: 3, as: UInt64.self)
            let z = raw.loadUnaligned(fromByteOffset: 18, as: UInt64.self) & 0xFFFF_FFFF_FFFF_0000
            if valid, d0 == date0, d1 == date1, z == zone {
                guard b[i + 11] == ASCII.colon else { return nil }
                let secs = hms(b, i + 12)
                guard secs >= 0 else { return nil }
                return (dayStart + Int64(secs)) * nsPerSecond
            }
            guard let (start, secs) = timeLocalParts(b, at: i) else { return nil }
            date0 = d0
            date1 = d1
            zone = z
            dayStart = start
            valid = true
            return (start + Int64(secs)) * nsPerSecond
        }
    }

    /// nginx error-log time `2024/09/18 10:00:01` at `i`, as if UTC.
    public static func nginxErrorTime(_ b: LineBytes, at i: Int) -> Int64? {
        guard i + 19 <= b.count, b[i + 4] == ASCII.slash, b[i + 7] == ASCII.slash, b[i + 10] == ASCII.space else {
            return nil
        }
        let y = four(b, i), mo = two(b, i + 5), d = two(b, i + 8), secs = hms(b, i + 11)
        guard years.contains(y), mo >= 1, mo <= 12, d >= 1, d <= 31, secs >= 0 else { return nil }
        return (Int64(daysFromCivil(y, mo, d)) * 86_400 + Int64(secs)) * nsPerSecond
    }

    /// The year of the time a line that did not parse starts with or holds where its format puts
    /// it (`time="2024-…` of the registry, `2024-09-18T…` of core and jobservice, `2024/09/18 …`
    /// of nginx's error log, `[18/Sep/2024:…` of an access line), when that year is outside
    /// `years`: the line's reason to be malformed. Read only for lines that failed.
    public static func yearOutOfRange(_ b: LineBytes, _ r: Range<Int>) -> Int? {
        func year(at i: Int) -> Int? {
            guard i >= r.lowerBound, i + 4 <= r.upperBound else { return nil }
            let y = four(b, i)
            return y >= 0 && !years.contains(y) ? y : nil
        }
        let i = r.lowerBound
        if b.matches("time=\"", at: i), i + 11 <= r.upperBound, b[i + 10] == ASCII.dash { return year(at: i + 6) }
        if i + 5 <= r.upperBound, b[i + 4] == ASCII.dash || b[i + 4] == ASCII.slash { return year(at: i) }
        // an access line: the first `[` in its first 80 bytes, then `dd/Mon/yyyy:`
        if let open = b.find(ASCII.lbracket, from: i, to: min(r.upperBound, i + 80)), open + 13 <= r.upperBound,
            b[open + 3] == ASCII.slash, b[open + 7] == ASCII.slash, b[open + 12] == ASCII.colon
        {
            return year(at: open + 8)
        }
        return nil
    }

    /// The most whole seconds since the epoch a time's nanoseconds hold with any fraction.
    static var maxEpochSeconds: Int { 9_223_372_035 }

    /// nginx `$msec`: seconds since the epoch with a fraction (`1726653601.123`).
    public static func msec(_ b: LineBytes, _ r: Range<Int>) -> Int64? {
        guard let dot = b.find(ASCII.dot, from: r.lowerBound, to: r.upperBound) ?? Optional(r.upperBound),
            let whole = b.int(r.lowerBound..<dot), whole <= maxEpochSeconds
        else { return nil }
        var nanos: Int64 = 0, scale: Int64 = 100_000_000
        var j = dot + 1
        while j < r.upperBound {
            guard ASCII.isDigit(b[j]) else { return nil }
            nanos += Int64(b[j] &- ASCII.zero) * scale
            scale /= 10
            j += 1
        }
        return Int64(whole) * nsPerSecond + nanos
    }

    /// Go `time.Duration.String()` (`9.412ms`, `812.4µs`, `1m51.9s`, `150ns`, `0s`) in seconds.
    public static func goDuration(_ b: LineBytes, _ r: Range<Int>) -> Double? {
        var i = r.lowerBound
        var total = 0.0
        var any = false
        while i < r.upperBound {
            let start = i
            while i < r.upperBound, ASCII.isDigit(b[i]) || b[i] == ASCII.dot { i += 1 }
            guard let v = b.decimal(start..<i), i < r.upperBound else { return nil }
            let u = b[i]
            var unit = 1.0
            switch u {
            case 0x68: unit = 3600; i += 1  // h
            case 0x6D:  // m or ms
                if i + 1 < r.upperBound, b[i + 1] == 0x73 { unit = 1e-3; i += 2 } else { unit = 60; i += 1 }
            case 0x73: unit = 1; i += 1  // s
            case 0x6E: guard i + 1 < r.upperBound, b[i + 1] == 0x73 else { return nil }; unit = 1e-9; i += 2
            case 0x75: guard i + 1 < r.upperBound, b[i + 1] == 0x73 else { return nil }; unit = 1e-6; i += 2  // us
            case 0xC2:  // µ (U+00B5)
                guard i + 2 < r.upperBound, b[i + 1] == 0xB5, b[i + 2] == 0x73 else { return nil }; unit = 1e-6; i += 3
            case 0xCE:  // μ (U+03BC)
                guard i + 2 < r.upperBound, b[i + 1] == 0xBC, b[i + 2] == 0x73 else { return nil }; unit = 1e-6; i += 3
            default: return nil
            }
            total += v * unit
            any = true
        }
        return any ? total : nil
    }

    /// RFC 3339 text of `nanos` in UTC with nanoseconds when not whole (`2024-09-18T10:00:01.298269790Z`).
    public static func format(_ nanos: Int64) -> String {
        var secs = nanos / nsPerSecond
        var frac = nanos % nsPerSecond
        if frac < 0 { frac += nsPerSecond; secs -= 1 }
        var days = secs / 86_400
        var sod = secs % 86_400
        if sod < 0 { sod += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(Int(days))
        var out = [UInt8]()
        out.reserveCapacity(30)
        func put(_ v: Int, _ width: Int) {
            var digits = [UInt8](repeating: ASCII.zero, count: width)
            var x = v
            for k in stride(from: width - 1, through: 0, by: -1) { digits[k] = ASCII.zero + UInt8(x % 10); x /= 10 }
            out.append(contentsOf: digits)
        }
        put(y, 4); out.append(ASCII.dash); put(m, 2); out.append(ASCII.dash); put(d, 2); out.append(ASCII.T)
        put(Int(sod / 3600), 2); out.append(ASCII.colon); put(Int(sod / 60 % 60), 2); out.append(ASCII.colon)
        put(Int(sod % 60), 2)
        if frac != 0 {
            out.append(ASCII.dot)
            var f = Int(frac), width = 9
            while f % 1000 == 0 && width > 3 { f /= 1000; width -= 3 }
            put(f, width)
        }
        out.append(ASCII.Z)
        return String(decoding: out, as: UTF8.self)
    }
}
