/// Pulls the events of one source — a rotated set oldest first, or stdin — one at a time.
///
/// Reads a chunk, frames its lines, parses each into a small buffer of events, and hands them out.
/// Continuation lines are joined to the record before them, `message repeated N times` gives N
/// events, and every outcome is counted in `stats`. A bad line never stops the source.
public final class SourceCursor: @unchecked Sendable {
    // `@unchecked Sendable`: with `startPrefetch()`, the reading state (processor, reader, framer)
    // belongs to the prefetch thread until it has handed over its last batch; batches cross only
    // through `queue`, under its monitor. `stats` is read by the consumer after the end.

    /// What was read so far (when prefetching: final once `next()` has returned nil).
    public var stats: SourceStats { processor.stats }

    private let source: ResolvedSource
    private let options: ParseOptions
    private let clocks: (String) -> (SyslogClock, Bool)
    private var processor: LineProcessor
    private var fileIndex = -1
    private var reader: ChunkReader?
    private var framer: LineFramer
    private var buffer: [Event] = []
    private var finished = false

    /// A cursor over `source`; `clocks` gives each file's syslog clock and whether its lines are wrapped.
    init(source: ResolvedSource, options: ParseOptions, maxSamples: Int, clocks: @escaping (String) -> (SyslogClock, Bool)) {
        self.source = source
        self.options = options
        self.clocks = clocks
        var parser = LineParser(options: options, componentHint: source.componentHint, clock: SyslogClock(year: options.year, reference: nil, zone: .fixed(0)))
        parser.keepsLastPrefix = false  // read only by clock probes
        processor = LineProcessor(
            parser: parser, stats: SourceStats(name: source.name, site: source.site, component: source.componentHint ?? .unknown),
            site: source.site, maxSamples: maxSamples, maxLineLength: options.maxLineLength)
        framer = LineFramer(maxLineLength: options.maxLineLength)
        buffer.reserveCapacity(1024)
    }

    /// Batches parsed ahead on another thread (nil: parsed here, on demand).
    private var queue: BatchQueue?

    /// Takes the boxes of new events from `pool` (a run on one thread: not with `startPrefetch`).
    func recycle(from pool: EventPool) {
        guard queue == nil else { return }
        processor.pool = pool
    }

    /// Reads and parses this source on a thread of its own from now on, up to `depth` chunks ahead
    /// of the consumer: `analyze` keeps one core on correlation while others parse. Events and
    /// their order are the same either way. False when no thread could be started. The thread
    /// takes its events' boxes from those the consumer handed back to `returns`, if given.
    @discardableResult
    func startPrefetch(depth: Int = 3, returns: BoxReturns? = nil) -> Bool {
        guard queue == nil, !finished else { return false }
        // A pool belongs to one thread: the thread's own, refilled from what the consumer hands back.
        processor.pool = returns.map { EventPool(capacity: 256, returns: $0) }
        queue = BatchQueue(depth: depth)
        guard startDetachedThread({ self.produce() }) else {
            queue = nil
            processor.pool = nil
            return false
        }
        return true
    }

    /// The prefetch thread: parse chunk after chunk into batches until the source ends.
    private func produce() {
        guard let q = queue else { return }
        while true {
            var batch: [Event] = []
            batch.reserveCapacity(512)
            while batch.isEmpty && !finished { refill(into: &batch) }
            let last = finished
            q.put(batch, last: last)
            if last { return }
        }
    }

    /// The next event, or nil when the source is exhausted.
    @inline(__always)
    public func next() -> Event? {
        // The buffer holds the chunk's events last first: `popLast` moves the next one out (no
        // reference counting, no empty event left in its place).
        while buffer.isEmpty {
            if let q = queue {
                guard let batch = q.take() else { return nil }
                buffer = batch
                buffer.reverse()
                continue
            }
            if finished { return nil }
            refill(into: &buffer)
            buffer.reverse()
        }
        return buffer.popLast()
    }

    /// Reads the whole source on this thread, calling `body` with each event as soon as its line
    /// is read; the next line's event takes its box, unless `body` kept it. No list of a chunk's
    /// events is made, reversed and emptied, and the box, still in the cache, goes through no pool
    /// (`parse` of the proxy log: 4 % of its time for the list, 1.5 % of its instructions for the
    /// pool's take and put and the retain and release they cost). Not with `startPrefetch`, nor
    /// after `next()`.
    func forEach(_ body: (inout Event) -> Void) {
        precondition(queue == nil && buffer.isEmpty, "forEach reads a source from its start, on this thread")
        withoutActuallyEscaping(body) { body in
            // The pool as a reference the processor holds already: read through it, it is not
            // retained and released at every event.
            var sink = CallSink(body: body, pool: processor.pool.map { Unmanaged.passUnretained($0) })
            while !finished { refill(into: &sink) }
        }
    }

    /// Calls a function with each event, then keeps its box for the next event (when the
    /// function did not keep the event), or puts it in the pool when it has one already (a line
    /// handed on a held registry record and its own event).
    private struct CallSink: EventSink {
        let body: (inout Event) -> Void
        let pool: Unmanaged<EventPool>?
        /// The last event's box, held by nothing else.
        var spare: EventStorage?

        @inline(__always)
        mutating func take(_ e: consuming Event) {
            body(&e)
            var box = (consume e).s  // moved out, not retained
            guard isKnownUniquelyReferenced(&box) else { return }
            if spare == nil {
                spare = consume box
            } else {
                pool?._withUnsafeGuaranteedRef { $0.put(box) }
            }
        }

        @inline(__always)
        mutating func reusableBox() -> EventStorage? {
            guard let box = spare.take() else { return nil }
            box.reset()
            return box
        }
    }

    /// Reads the next chunk (or opens the next file) and appends its events to `out`.
    private func refill<Sink: EventSink>(into out: inout Sink) {
        if let r = reader, let chunk = r.next() {
            framer.feed(chunk) { line, flags in self.processor.handle(line, flags, into: &out) }
            return
        }
        if let r = reader {  // end of a file
            framer.finish { line, flags in self.processor.handle(line, flags, into: &out) }
            processor.flush(into: &out)
            processor.stats.warnings += r.warnings
            reader = nil
        }
        openNextFile(into: &out)
    }

    private func openNextFile<Sink: EventSink>(into out: inout Sink) {
        while true {
            fileIndex += 1
            guard fileIndex < source.files.count else {
                processor.flush(into: &out)
                processor.finishStats()
                finished = true
                return
            }
            let file = source.files[fileIndex]
            do {
                // The events of one chunk are made before the first is handed on (and, in `analyze`,
                // held until merged): 32 KiB of lines keeps their event boxes in the cache (128 KiB
                // took 2 % longer to parse and held 1.5 MiB more). Inflating a gzip file on its own
                // thread hands over 128 KiB at a time: smaller hand-overs cost 10 % of its time. A
                // plain file is read through mmap (`ChunkReader`'s `mapped`).
                reader = try ChunkReader(path: file, chunkSize: 1 << 15, gzipChunkSize: 1 << 17, mapped: true)
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

/// A bounded hand-over of event batches from one producer thread to one consumer.
final class BatchQueue: @unchecked Sendable {
    // `@unchecked Sendable`: every field is touched only under `monitor`.
    private let monitor = Monitor()
    private var batches: [[Event]] = []
    private var head = 0
    private var ended = false
    private let depth: Int

    init(depth: Int) { self.depth = max(1, depth) }

    /// Hands over a batch (`last`: the source ends with it); waits while `depth` batches are waiting.
    /// (`analyze` reads every source to its end, so a producer never waits for a consumer that left.)
    func put(_ batch: [Event], last: Bool) {
        monitor.lock()
        defer { monitor.unlock() }
        while batches.count - head >= depth { monitor.wait() }
        if !batch.isEmpty { batches.append(batch) }
        if last { ended = true }
        monitor.broadcast()
    }

    /// The next batch, or nil once the source has ended and every batch was taken.
    func take() -> [Event]? {
        monitor.lock()
        defer { monitor.unlock() }
        while head == batches.count && !ended { monitor.wait() }
        guard head < batches.count else { return nil }
        var out: [Event] = []
        swap(&out, &batches[head])
        head += 1
        if head > 16 && head * 2 > batches.count {
            batches.removeFirst(head)
            head = 0
        }
        monitor.broadcast()
        return out
    }
}
