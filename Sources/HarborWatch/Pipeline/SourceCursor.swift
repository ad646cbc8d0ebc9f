/// Pulls the events of one source — a rotated set oldest first, or stdin — one at a time.
///
/// Reads a chunk, frames its lines, parses each into a small buffer of events, and hands them out.
/// Continuation lines are joined to the record before them, `message repeated N times` gives N
/// events, and every outcome is counted in `stats`. A bad line never stops the source.
public final class SourceCursor {
    /// What was read so far.
    public private(set) var stats: SourceStats

    private let source: ResolvedSource
    private let options: ParseOptions
    private let maxSamples: Int
    private let clocks: (String) -> (SyslogClock, Bool)
    private var parser: LineParser
    private var fileIndex = -1
    private var reader: ChunkReader?
    private var framer: LineFramer
    private var fileName = ""
    private var lineNo = 0
    private var buffer: [Event] = []
    private var position = 0
    private var pending = Event()
    private var hasPending = false
    private var finished = false

    /// A cursor over `source`; `clocks` gives each file's syslog clock and whether its lines are wrapped.
    init(source: ResolvedSource, options: ParseOptions, maxSamples: Int, clocks: @escaping (String) -> (SyslogClock, Bool)) {
        self.source = source
        self.options = options
        self.maxSamples = maxSamples
        self.clocks = clocks
        stats = SourceStats(name: source.name, site: source.site, component: source.componentHint ?? .unknown)
        parser = LineParser(options: options, componentHint: source.componentHint, clock: SyslogClock(year: options.year, reference: nil, zone: .fixed(0)))
        framer = LineFramer(maxLineLength: options.maxLineLength)
        buffer.reserveCapacity(4096)
    }

    /// The next event, or nil when the source is exhausted.
    @inline(__always)
    public func next() -> Event? {
        while position >= buffer.count {
            if finished { return nil }
            refill()
        }
        defer { position += 1 }
        return buffer[position]
    }

    private func refill() {
        buffer.removeAll(keepingCapacity: true)
        position = 0
        if let r = reader, let chunk = r.next() {
            framer.feed(chunk) { line, flags in self.handle(line, flags) }
            return
        }
        if let r = reader {  // end of a file
            framer.finish { line, flags in self.handle(line, flags) }
            flushPending()
            stats.warnings += r.warnings
            reader = nil
        }
        openNextFile()
    }

    private func openNextFile() {
        while true {
            fileIndex += 1
            guard fileIndex < source.files.count else {
                finish()
                return
            }
            let file = source.files[fileIndex]
            do {
                reader = try ChunkReader(path: file)
            } catch {
                stats.errors.append(error)
                continue
            }
            let (clock, wrapped) = clocks(file)
            parser.clock = clock
            parser.wrapped = wrapped
            parser.jobIdFromFile = SourceRunner.jobId(fromPath: file)
            framer = LineFramer(maxLineLength: options.maxLineLength)
            fileName = file
            lineNo = 0
            stats.files.append(file)
            return
        }
    }

    private func finish() {
        flushPending()
        finished = true
        for (k, v) in parser.formatCounts { stats.formats[k, default: 0] += v }
        if stats.component == .unknown, let top = Self.dominantComponent(stats.formats) { stats.component = top }
    }

    @inline(__always)
    private func flushPending() {
        if hasPending {
            buffer.append(pending)
            hasPending = false
        }
    }

    private func handle(_ line: UnsafeBufferPointer<UInt8>, _ flags: LineFlags) {
        lineNo += 1
        stats.lines += 1
        if flags.contains(.truncated) { stats.truncated += 1 }
        var e = Event()
        e.site = source.site
        e.file = fileName
        e.line = lineNo
        switch parser.parse(line, into: &e) {
        case .event(let count):
            stats.events += count
            flushPending()
            for _ in 1..<max(1, count) { buffer.append(e) }
            if e.format == .harborText || e.format == .registryLogrus {
                pending = e
                hasPending = true
            } else {
                buffer.append(e)
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

    private static func dominantComponent(_ formats: [String: Int]) -> Component? {
        guard let top = formats.max(by: { $0.value < $1.value })?.key else { return nil }
        if top.hasPrefix("nginx") { return .nginx }
        if top.hasPrefix("registry") { return .registry }
        return nil
    }
}
