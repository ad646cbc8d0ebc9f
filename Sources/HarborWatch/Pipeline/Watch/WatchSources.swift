import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One followed file of `watch --follow`, with its framing, parsing and replay history.
final class FollowedSource {
    let follower: FileFollower
    let source: ResolvedSource
    var framer: LineFramer
    var processor: LineProcessor
    /// Where each read ended, in event time, to find where to replay from.
    var history = ReplayHistory()
    var lastTime: Int64 = 0
    /// Offset of the end of the last whole line handed on.
    var committed: Int64 = 0
    /// When an unfinished line is taken as it is (infinity: never, for `analyze --state`, whose
    /// next run reads it whole).
    var partialLine = PartialLineTimer()

    init(
        source: ResolvedSource, options: ParseOptions, clock: SyslogClock, fingerprint: UInt64, fingerprintLength: Int, offset: Int64, lines: Int,
        fromEnd: Bool, unreadCopyHead: [UInt8]? = nil
    ) {
        self.source = source
        let path = source.files.last ?? source.name
        follower = FileFollower(
            path: path, fingerprint: fingerprint, fingerprintLength: fingerprintLength, offset: offset, fromEnd: fromEnd, unreadCopyHead: unreadCopyHead)
        framer = LineFramer(maxLineLength: options.maxLineLength)
        var parser = LineParser(options: options, componentHint: source.componentHint, clock: clock)
        parser.jobIdFromFile = SourceRunner.jobId(fromPath: path)
        parser.learnsClock = options.syslogZone == nil || options.year == nil
        processor = LineProcessor(
            parser: parser, stats: SourceStats(name: source.name, site: source.site, component: source.componentHint ?? .unknown),
            site: source.site, maxSamples: 20, maxLineLength: options.maxLineLength)
        processor.fileName = path
        processor.lineNo = lines
        committed = offset
    }

    var path: String { follower.path }

    /// Older members of the rotated set to read whole before following (a first run from the start).
    var backlog: [String] = []

    /// The backlog file being read, if any.
    private var backlogReader: ChunkReader?
    private var backlogFramer = LineFramer()

    /// True when there is more to read right away (a budget stopped the last poll).
    var hasMore: Bool { backlogReader != nil || !backlog.isEmpty || follower.hasMore }

    /// Reads what is new into `out`, about `maxBytes` of it.
    func poll(into out: inout [Event], maxBytes: Int = 4 << 20) {
        // Events go straight into `out` (no second array: every copy of an event costs retains).
        let start = out.count
        var budget = maxBytes
        while budget > 0, backlogReader != nil || !backlog.isEmpty {
            if backlogReader == nil {
                let file = backlog.removeFirst()
                guard let reader = try? ChunkReader(path: file) else { continue }
                backlogReader = reader
                backlogFramer = LineFramer(maxLineLength: processor.maxLineLength)
                processor.fileName = file
                processor.lineNo = 0
            }
            if let reader = backlogReader, let chunk = reader.next() {
                budget -= chunk.count
                backlogFramer.feed(chunk) { line, flags in self.processor.handle(line, flags, into: &out) }
                continue
            }
            backlogFramer.finish { line, flags in self.processor.handle(line, flags, into: &out) }
            processor.flush(into: &out)
            processor.stats.warnings += backlogReader?.warnings ?? []
            backlogReader = nil
            processor.fileName = follower.path
            processor.lineNo = 0
        }
        if budget <= 0 {
            if out.count > start, let t = out.last?.time, t > lastTime { lastTime = t }
            return
        }
        var grew = false
        // Where this poll's lines start: the history's first point, so a replay can start there.
        let pendingBefore = Int64(framer.pendingBytes), linesBefore = processor.lineNo
        var fed: Int64 = 0, rotated = false
        follower.poll(maxBytes: budget, { bytes in
            grew = true
            fed += Int64(bytes.count)
            self.framer.feed(bytes) { line, flags in self.processor.handle(line, flags, into: &out) }
        }, rotated: {
            self.framer.finish { line, flags in self.processor.handle(line, flags, into: &out) }
            self.processor.flush(into: &out)
            self.framer = LineFramer(maxLineLength: self.processor.maxLineLength)
            self.processor.lineNo = 0
            self.history.removeAll()
            rotated = true
        })
        if partialLine.expired(pending: framer.pendingBytes, grew: grew) {
            framer.finish { line, flags in self.processor.handle(line, flags, into: &out) }
        }
        processor.flush(into: &out)
        committed = follower.readOffset - Int64(framer.pendingBytes)
        if out.count > start, let t = out.last?.time, t > lastTime { lastTime = t }
        if out.count > start {
            if history.isEmpty, !rotated {
                history.recordStart(
                    .init(time: .min, offset: follower.readOffset - fed - pendingBefore, lines: linesBefore), firstEvent: out[start...].lazy.map(\.time).min())
            }
            history.record(.init(time: lastTime, offset: committed, lines: processor.lineNo))
        }
    }

    /// Where a replay reaching back to event time `horizon` would start.
    func replayPoint(before horizon: Int64) -> (offset: Int64, lines: Int) {
        history.point(before: horizon).map { ($0.offset, $0.lines) } ?? (committed, processor.lineNo)
    }
}

/// Standard input, read as it arrives: one site and component, or lines prefixed `SITE[/COMPONENT] `.
final class StdinSource {
    let site: String
    let prefixed: Bool
    var framer: LineFramer
    var processors: [String: LineProcessor] = [:]
    let options: ParseOptions
    let component: Component?
    private(set) var ended = false
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    /// When an unfinished line is taken as it is.
    var partialLine = PartialLineTimer()
    var year: Int?
    /// Where new events' boxes come from (the runner's, which the engine fills; one thread).
    var pool: EventPool?

    init(site: String, component: Component?, prefixed: Bool, options: ParseOptions) {
        self.site = site
        self.prefixed = prefixed
        self.options = options
        self.component = component
        framer = LineFramer(maxLineLength: options.maxLineLength)
    }

    private func processor(_ site: String, _ component: Component?) -> LineProcessor {
        let key = site + "/" + (component?.rawValue ?? "")
        if let p = processors[key] { return p }
        let clock = SyslogClock(year: options.year, reference: nil, zone: options.syslogZone ?? .fixed(0))
        var parser = LineParser(options: options, componentHint: component, clock: clock)
        parser.learnsClock = options.syslogZone == nil || options.year == nil
        var p = LineProcessor(
            parser: parser,
            stats: SourceStats(name: "-", site: site, component: component ?? .unknown), site: site, maxSamples: 20,
            maxLineLength: options.maxLineLength)
        p.fileName = "-"
        p.pool = pool
        processors[key] = p
        return p
    }

    /// Waits up to `timeoutMs` for input and reads what is there into `out`.
    func poll(timeoutMs: Int32, into out: inout [Event]) {
        guard !ended else { return }
        var pfd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        let r = Glibc.poll(&pfd, 1, timeoutMs)
        guard r > 0 else {
            if partialLine.expired(pending: framer.pendingBytes, grew: false) {
                var events: [Event] = []
                framer.finish { line, flags in self.handle(line, flags, &events) }
                flushAll(into: &events)
                out += events
            }
            return
        }
        let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        var events: [Event] = []
        if n <= 0 {
            ended = true
            framer.finish { line, flags in self.handle(line, flags, &events) }
        } else {
            buffer.withUnsafeBufferPointer { b in
                framer.feed(UnsafeBufferPointer(rebasing: b[0..<n])) { line, flags in self.handle(line, flags, &events) }
            }
            _ = partialLine.expired(pending: framer.pendingBytes, grew: true)
        }
        flushAll(into: &events)
        out += events
    }

    private func handle(_ line: UnsafeBufferPointer<UInt8>, _ flags: LineFlags, _ out: inout [Event]) {
        // SITE[/COMPONENT] rest-of-line, when prefixed
        if prefixed, let sp = line.find(ASCII.space, from: 0, to: line.count), sp > 0 {
            let head = line.string(0..<sp)
            let parts = head.split(separator: "/", maxSplits: 1).map(String.init)
            let c = parts.count > 1 ? Component(rawValue: parts[1]) : component
            handle(parts[0], c, UnsafeBufferPointer(rebasing: line[(sp + 1)...]), flags, &out)
        } else {
            handle(site, component, line, flags, &out)
        }
    }

    /// Hands a line to the processor of `site`/`component`, changed in place (a copy per line of a
    /// processor, buffers and all, cost two mmaps).
    private func handle(_ site: String, _ component: Component?, _ line: UnsafeBufferPointer<UInt8>, _ flags: LineFlags, _ out: inout [Event]) {
        let key = site + "/" + (component?.rawValue ?? "")
        if processors[key] == nil { _ = processor(site, component) }
        processors[key]!.handle(line, flags, into: &out)
    }

    /// Ends the multi-line events every processor holds, in the processors' order by site and
    /// component (not the dictionary's, which changes from run to run).
    private func flushAll(into events: inout [Event]) {
        for k in processors.keys.sorted() { processors[k]!.flush(into: &events) }
    }

    var stats: [SourceStats] { processors.keys.sorted().map { processors[$0]!.stats } }
}

/// Decides when a line cut mid-way by its writer has waited long enough for its newline: then it
/// is taken as it is (the framer flags it unterminated) rather than held for ever.
struct PartialLineTimer {
    /// Seconds to wait after the line last grew.
    var timeoutSecs: Double = .infinity
    private var since: Date?

    /// Called after each read with the unfinished line's length (0: none) and whether the read
    /// brought bytes; true when the line should be taken now.
    mutating func expired(pending: Int, grew: Bool) -> Bool {
        guard pending > 0 else {
            since = nil
            return false
        }
        guard !grew, let s = since else {
            since = Date()
            return false
        }
        guard Date().timeIntervalSince(s) >= timeoutSecs else { return false }
        since = nil
        return true
    }
}
