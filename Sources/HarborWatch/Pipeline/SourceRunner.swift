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

    /// Reads the source, calling `emit` for each event in file order; returns its stats.
    public func run(_ emit: (inout Event) -> Void) -> SourceStats {
        var stats = SourceStats(name: source.name, site: source.site, component: source.componentHint ?? .unknown)
        var parser = LineParser(options: options, componentHint: source.componentHint, clock: clock(for: nil, probe: nil))
        var pending = Event()
        var hasPending = false

        func flushPending() {
            if hasPending {
                emit(&pending)
                hasPending = false
            }
        }

        for file in source.files {
            let probe = source.isStdin ? nil : (probes[file] ?? ClockProbe.probe(path: file, options: options, hint: source.componentHint))
            parser.clock = clock(for: file, probe: probe)
            parser.wrapped = probe?.wrapped ?? false
            parser.jobIdFromFile = Self.jobId(fromPath: file)
            let reader: ChunkReader
            do {
                reader = try ChunkReader(path: file)
            } catch {
                stats.errors.append(error)
                continue
            }
            stats.files.append(file)
            var framer = LineFramer(maxLineLength: options.maxLineLength)
            var lineNo = 0
            let site = source.site
            let fileName = file

            func handle(_ line: UnsafeBufferPointer<UInt8>, _ flags: LineFlags) {
                lineNo += 1
                stats.lines += 1
                if flags.contains(.truncated) { stats.truncated += 1 }
                var e = Event()
                e.site = site
                e.file = fileName
                e.line = lineNo
                switch parser.parse(line, into: &e) {
                case .event(let count):
                    stats.events += count
                    if e.format == .harborText || e.format == .registryLogrus {
                        flushPending()
                        if count > 1 { for _ in 1..<count { var copy = e; emit(&copy) } }
                        pending = e
                        hasPending = true
                    } else {
                        flushPending()
                        for _ in 1..<count { var copy = e; emit(&copy) }
                        emit(&e)
                    }
                case .skip(let reason):
                    stats.skipped[reason, default: 0] += 1
                case .malformed(let reason):
                    stats.malformed[reason, default: 0] += 1
                    if stats.malformedSamples.count < maxSamples {
                        let why = flags.contains(.truncated) ? "\(reason.rawValue) (line cut at \(options.maxLineLength) bytes)" : reason.rawValue
                        stats.malformedSamples.append(LineIssue(file: fileName, line: lineNo, reason: why))
                    }
                case .continuation(let r):
                    if hasPending {
                        stats.continuations += 1
                        let text = Escapes.mayHaveRsyslogEscape(line, r) ? Escapes.rsyslog(line, r) : line.string(r)
                        pending.message = (pending.message ?? "") + "\n" + text
                    } else {
                        stats.malformed[.orphanContinuation, default: 0] += 1
                        if stats.malformedSamples.count < maxSamples {
                            stats.malformedSamples.append(LineIssue(file: fileName, line: lineNo, reason: MalformedReason.orphanContinuation.rawValue))
                        }
                    }
                }
            }

            while let chunk = reader.next() {
                framer.feed(chunk, handle)
            }
            framer.finish(handle)
            flushPending()
            stats.warnings += reader.warnings
        }
        flushPending()
        for (k, v) in parser.formatCounts { stats.formats[k, default: 0] += v }
        if stats.component == .unknown, let top = Self.dominantComponent(stats.formats) { stats.component = top }
        return stats
    }

    private func clock(for file: String?, probe: ClockProbe?) -> SyslogClock {
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

    private static func dominantComponent(_ formats: [String: Int]) -> Component? {
        guard let top = formats.max(by: { $0.value < $1.value })?.key else { return nil }
        if top.hasPrefix("nginx") { return .nginx }
        if top.hasPrefix("registry") { return .registry }
        return nil
    }
}
