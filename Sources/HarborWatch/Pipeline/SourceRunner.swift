#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one source — a rotated set oldest first, or stdin — into events.
///
/// Frames lines, parses each, joins continuation lines to the record before them, expands
/// `message repeated N times`, and counts every outcome. A bad line never stops the run.
public struct SourceRunner {
    /// The source.
    public let source: ResolvedSource
    /// Parse options.
    public let options: ParseOptions
    /// Zone offset learned for the site (local − UTC, seconds), when `--syslog-tz` is not given.
    public var siteOffset: Int?
    /// Reference time for the year, learned for the site.
    public var siteReference: Int64?
    /// Clock probes of the source's files, made beforehand (else made here).
    public var probes: [String: ClockProbe] = [:]
    /// Keep at most this many malformed samples per source.
    public var maxSamples = 20

    /// A runner for `source`.
    public init(source: ResolvedSource, options: ParseOptions) {
        self.source = source
        self.options = options
    }

    /// A cursor that pulls the source's events one at a time.
    public func cursor() -> SourceCursor {
        SourceCursor(source: source, options: options, maxSamples: maxSamples) { file in
            let probe = self.source.isStdin ? nil : (self.probes[file] ?? ClockProbe.probe(path: file, options: self.options, hint: self.source.componentHint))
            return (self.clock(for: file, probe: probe), probe?.wrapped ?? false)
        }
    }

    /// Reads the source, calling `emit` for each event in file order; returns its stats.
    public func run(_ emit: (inout Event) -> Void) -> SourceStats {
        let c = cursor()
        let pool = EventPool()
        c.recycle(from: pool)
        c.forEach(emit)  // each event's box recycled after `emit`, unless `emit` kept it
        return c.stats
    }

    func clock(for file: String?, probe: ClockProbe?) -> SyslogClock {
        let zone = options.syslogZone ?? .fixed(ClockProbe.median(probe?.offsets ?? []) ?? siteOffset ?? 0)
        var reference = probe?.reference ?? siteReference
        if reference == nil, let file { reference = Self.modificationTime(file) }
        return SyslogClock(year: options.year, reference: reference, zone: zone)
    }

    static func modificationTime(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_mtim.tv_sec) * Timestamps.nsPerSecond
    }

    /// The job id a job log's file name carries (`97833cef690cc2e9741266cd.log`).
    static func jobId(fromPath path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let stem = name.hasSuffix(".log") ? String(name.dropLast(4)) : name
        guard stem.utf8.count == 24, stem.utf8.allSatisfy({ ASCII.isDigit($0) || ($0 &- ASCII.a) < 6 }) else { return nil }
        return stem
    }

}
