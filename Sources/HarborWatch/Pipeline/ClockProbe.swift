/// Learns, from the first lines of a syslog-wrapped file, the year and the zone of its prefixes.
///
/// Harbor's core and registry payloads carry full UTC times; the prefix rsyslog adds carries the
/// docker host's local time without a year. Pairs of the two give the offset (rounded to 15 minutes)
/// and a reference time for the year, which nginx lines (no time of their own) then use.
public struct ClockProbe: Sendable {
    /// True when most probed lines carried a syslog prefix.
    public var wrapped = false
    /// Offsets (local − UTC, seconds) seen in the probed lines.
    public var offsets: [Int] = []
    /// The first payload time seen.
    public var reference: Int64?

    /// Probes up to `maxLines` lines of `path`'s first chunk.
    public static func probe(path: String, options: ParseOptions, hint: Component?, maxLines: Int = 2000) -> ClockProbe {
        var result = ClockProbe()
        guard let reader = try? ChunkReader(path: path, decompressInBackground: false), let chunk = reader.next() else {
            return result
        }
        var parser = LineParser(options: options, componentHint: hint, clock: SyslogClock(year: 2000, reference: nil, zone: .fixed(0)))
        var framer = LineFramer(maxLineLength: options.maxLineLength)
        var lines = 0, prefixed = 0
        framer.feed(chunk) { line, _ in
            guard lines < maxLines else { return }
            lines += 1
            var e = Event()
            guard case .event = parser.parse(line, into: &e), let p = parser.lastPrefix else { return }
            prefixed += 1
            guard parser.payloadTime != 0, p.absolute == nil else { return }
            if result.reference == nil { result.reference = parser.payloadTime }
            if let o = Self.offset(prefix: p, payload: parser.payloadTime) { result.offsets.append(o) }
        }
        result.wrapped = lines > 0 && prefixed * 2 >= lines
        return result
    }

    /// local − UTC for one pair, rounded to 15 minutes; nil when over 14 hours.
    static func offset(prefix p: SyslogPrefix, payload: Int64) -> Int? {
        let payloadSecs = payload / Timestamps.nsPerSecond
        let year = Timestamps.civilFromDays(Int(payloadSecs / 86_400)).year
        var best: Int64 = .max
        for y in (year - 1)...(year + 1) {
            let local = Int64(Timestamps.daysFromCivil(y, p.month, p.day)) * 86_400 + Int64(p.secondOfDay)
            let d = local - payloadSecs
            if abs(d) < abs(best) { best = d }
        }
        guard abs(best) <= 14 * 3600 + 450 else { return nil }
        let rounded = Int((Double(best) / 900).rounded()) * 900
        return rounded
    }

    /// The median of `offsets`, nil when empty.
    public static func median(_ offsets: [Int]) -> Int? {
        guard !offsets.isEmpty else { return nil }
        let s = offsets.sorted()
        return s[s.count / 2]
    }
}
