/// Pulls the events of one source — a rotated set oldest first, or stdin — one at a time.
///
/// Reads a chunk, frames its lines, parses each into a small buffer of events, and hands them out.
/// Continuation lines are joined to the record before them, `message repeated N times` gives N
/// events, and every outcome is counted in `stats`. A bad line never stops the source.
public final class SourceCursor {
    /// What was read so far.
    public var stats: SourceStats { processor.stats }

    private let source: ResolvedSource
    private let options: ParseOptions
    private let clocks: (String) -> (SyslogClock, Bool)
    private var processor: LineProcessor
    private var fileIndex = -1
    private var reader: ChunkReader?
    private var framer: LineFramer
    private var buffer: [Event] = []
    private var position = 0
    private var finished = false

    /// A cursor over `source`; `clocks` gives each file's syslog clock and whether its lines are wrapped.
    init(source: ResolvedSource, options: ParseOptions, maxSamples: Int, clocks: @escaping (String) -> (SyslogClock, Bool)) {
        self.source = source
        self.options = options
        self.clocks = clocks
        let parser = LineParser(options: options, componentHint: source.componentHint, clock: SyslogClock(year: options.year, reference: nil, zone: .fixed(0)))
        processor = LineProcessor(
            parser: parser, stats: SourceStats(name: source.name, site: source.site, component: source.componentHint ?? .unknown),
            site: source.site, maxSamples: maxSamples, maxLineLength: options.maxLineLength)
        framer = LineFramer(maxLineLength: options.maxLineLength)
        buffer.reserveCapacity(1024)
    }

    /// The next event, or nil when the source is exhausted.
    @inline(__always)
    public func next() -> Event? {
        while position >= buffer.count {
            if finished { return nil }
            refill()
        }
        // Move the event out (no reference counting), leaving an empty one behind.
        var out = Event()
        swap(&out, &buffer[position])
        position += 1
        return out
    }

    private func refill() {
        buffer.removeAll(keepingCapacity: true)
        position = 0
        if let r = reader, let chunk = r.next() {
            framer.feed(chunk) { line, flags in self.processor.handle(line, flags, into: &self.buffer) }
            return
        }
        if let r = reader {  // end of a file
            framer.finish { line, flags in self.processor.handle(line, flags, into: &self.buffer) }
            processor.flush(into: &buffer)
            processor.stats.warnings += r.warnings
            reader = nil
        }
        openNextFile()
    }

    private func openNextFile() {
        while true {
            fileIndex += 1
            guard fileIndex < source.files.count else {
                processor.flush(into: &buffer)
                processor.finishStats()
                finished = true
                return
            }
            let file = source.files[fileIndex]
            do {
                // 128 KiB: the events of one chunk are held until merged, so a smaller chunk holds fewer.
                reader = try ChunkReader(path: file, chunkSize: 1 << 17)
            } catch {
                processor.stats.errors.append(error)
                continue
            }
            let (clock, wrapped) = clocks(file)
            processor.parser.clock = clock
            processor.parser.wrapped = wrapped
            processor.parser.jobIdFromFile = SourceRunner.jobId(fromPath: file)
            framer = LineFramer(maxLineLength: options.maxLineLength)
            processor.fileName = file
            processor.lineNo = 0
            processor.stats.files.append(file)
            return
        }
    }
}
