import Foundation

/// How the zone of yearless syslog times is known.
public enum SyslogZone: Sendable, Equatable {
    /// A fixed offset from UTC in seconds (local = UTC + offset).
    case fixed(Int)
    /// An IANA zone name (`Asia/Shanghai`), daylight saving included.
    case named(String)

    /// Reads `UTC`, `Z`, `+08:00`, `-0500`, `+8` or an IANA name; nil when it is none of these.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return nil }
        if t == "UTC" || t == "Z" || t == "GMT" || t == "utc" { self = .fixed(0); return }
        if let f = t.first, f == "+" || f == "-" {
            let sign = f == "-" ? -1 : 1
            let digits = t.dropFirst().replacingOccurrences(of: ":", with: "")
            guard !digits.isEmpty, digits.allSatisfy(\.isNumber), digits.count <= 4, let v = Int(digits) else { return nil }
            let (h, m) = digits.count <= 2 ? (v, 0) : (v / 100, v % 100)
            guard h <= 14, m < 60 else { return nil }
            self = .fixed(sign * (h * 3600 + m * 60))
            return
        }
        guard TimeZone(identifier: t) != nil else { return nil }
        self = .named(t)
    }
}

/// Turns the yearless, zone-less syslog time into UTC.
///
/// The year comes from `--year`, else a reference time (a dated line of the same file or site,
/// else the file's modification time): the year that puts the line nearest to the reference.
/// A Dec → Jan step inside one file moves to the next year.
public struct SyslogClock: Sendable {
    private var year: Int?
    private var lastMonth = 0
    private var reference: Int64?
    private let zone: SyslogZone
    private let timeZone: TimeZone?
    private var cachedHour: Int64 = .min
    private var cachedOffset = 0

    /// A clock for one input file.
    public init(year: Int?, reference: Int64?, zone: SyslogZone) {
        self.year = year
        self.reference = reference
        self.zone = zone
        if case .named(let name) = zone { timeZone = TimeZone(identifier: name) } else { timeZone = nil }
    }

    /// The UTC nanoseconds of a prefix.
    public mutating func nanos(_ p: SyslogPrefix) -> Int64 {
        if let a = p.absolute { return a }
        let y = yearFor(month: p.month, day: p.day)
        let local = (Int64(Timestamps.daysFromCivil(y, p.month, p.day)) * 86_400 + Int64(p.secondOfDay))
        return (local - Int64(offset(localSeconds: local))) * Timestamps.nsPerSecond
    }

    private mutating func yearFor(month: Int, day: Int) -> Int {
        if year == nil {
            let ref = reference ?? Int64(Date().timeIntervalSince1970) * Timestamps.nsPerSecond
            let refDays = Int(ref / Timestamps.nsPerSecond / 86_400)
            let refYear = Timestamps.civilFromDays(refDays).year
            var best = refYear, bestDist = Int.max
            for y in (refYear - 1)...(refYear + 1) {
                let dist = abs(Timestamps.daysFromCivil(y, month, day) - refDays)
                if dist < bestDist { best = y; bestDist = dist }
            }
            year = best
        }
        var y = year!
        if lastMonth != 0 {
            if lastMonth - month >= 6 {  // Dec -> Jan: the next year
                y += 1
                year = y
            } else if month - lastMonth >= 6 {  // a late line from before the turn of the year
                return y - 1
            }
        }
        lastMonth = month
        return y
    }

    private mutating func offset(localSeconds: Int64) -> Int {
        switch zone {
        case .fixed(let o): return o
        case .named:
            let hour = localSeconds / 3600
            if hour != cachedHour, let tz = timeZone {
                let guess = Date(timeIntervalSince1970: TimeInterval(localSeconds))
                let o1 = tz.secondsFromGMT(for: guess)
                cachedOffset = tz.secondsFromGMT(for: guess.addingTimeInterval(TimeInterval(-o1)))
                cachedHour = hour
            }
            return cachedOffset
        }
    }
}
