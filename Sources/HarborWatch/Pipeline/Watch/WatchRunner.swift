import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Options of `harborwatch watch`.
public struct WatchOptions: Sendable {
    /// Analysis options (parse, primary, detectors, user rules …).
    public var analyze = AnalyzeOptions()
    /// Read standard input.
    public var stdin = false
    /// stdin's site, and component when all lines are of one.
    public var stdinSite = "default"
    public var stdinComponent: Component?
    /// stdin lines carry a `SITE[/COMPONENT] ` prefix.
    public var stdinPrefixed = false
    /// Files, directories and globs to follow.
    public var follow: [InputSpec] = []
    /// Read existing files from their start (default: from their end, like `tail -F`).
    public var fromStart = false
    /// Where checkpoints live (nil: none).
    public var stateDir: String?
    /// Seconds of quiet after which the event clock moves on by wall time.
    public var idleFlushSecs: Double = 30
    /// Wall seconds between checkpoints (and metrics file rewrites).
    public var checkpointIntervalSecs: Double = 1
    /// How often files are polled.
    public var pollIntervalSecs: Double = 0.25
    /// Seconds an unfinished line (no newline yet) waits before it is taken as it is.
    public var partialLineTimeoutSecs: Double = 30
    /// How much recent input a restart re-reads, silently, to rebuild the correlation state.
    public var replaySecs: Double = 900
    /// Write every new event as NDJSON here (exactly once across restarts).
    public var eventsPath: String?
    /// Append every alert transition as NDJSON here.
    public var alertsPath: String?
    /// Prometheus text file rewritten with the counters.
    public var metricsPath: String?
    /// A one-line status on stderr (TTY).
    public var statusLine = false
    /// Colour in the alert lines.
    public var color = false
    /// Stop after this many seconds (tests), nil: until a signal or the end of stdin.
    public var maxRuntimeSecs: Double?
    /// Read what is there and stop (`analyze --state` from cron): new files from their start.
    public var once = false

    /// Defaults.
    public init() {}
}

/// Where alert transitions and due notifications go.
public protocol WatchSink: AnyObject {
    /// An alert fired or resolved.
    func alert(_ a: Alert)
    /// A notification is due (routing, grouping and inhibition applied).
    func notify(_ n: Notification, at: Int64)
}

/// Signals, as flags the loop reads.
public enum WatchSignals {
    nonisolated(unsafe) static var stop: sig_atomic_t = 0
    nonisolated(unsafe) static var reload: sig_atomic_t = 0

    /// Installs SIGINT/SIGTERM (stop) and SIGHUP (reload) handlers.
    public static func install() {
        // A parent may have started us with these blocked: unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in WatchSignals.stop = 1 }
        signal(SIGTERM) { _ in WatchSignals.stop = 1 }
        signal(SIGHUP) { _ in WatchSignals.reload = 1 }
        signal(SIGPIPE, SIG_IGN)
    }
}

/// The streaming pipeline: the same engine as `analyze`, fed continuously.
public final class WatchRunner {
    var options: WatchOptions
    var rules: RulesFile
    let reloadRules: (() throws -> RulesFile)?
    let sink: WatchSink
    var engine: AnalysisEngine
    var builder: AlertBuilder
    var router: Router
    /// How far each notification group has been scheduled (the router goes on from there at each look).
    var routing = Router.Progress()
    var tracker = AlertTracker()
    var notified: [String] = []
    var notifiedSet = Set<String>()
    var followed: [FollowedSource] = []
    /// Events read but not yet merged (a source behind them in event time still has data).
    var held: [Event] = []
    /// Batches read so far (catching up, findings are looked at every 8th).
    var catchUpBatches = 0
    /// Events were consumed since the findings were last looked at.
    var unevaluated = false
    var stdinSource: StdinSource?
    var checkpoint = Checkpoint()
    var eventsFD: Int32 = -1
    var eventsLength: Int64 = 0
    var linesTotal = 0
    var eventsTotal = 0
    var lastEventWall = Date()
    var lastEventTime: Int64 = 0
    var lastResolve = Date.distantPast
    var lastCheckpoint = Date.distantPast
    var sitesSeen: [String] = []
    /// Messages for the operator (rotation warnings, reload results).
    public private(set) var messages: [String] = []
    var logLine: (String, Bool) -> Void

    func log(_ s: String, newline: Bool = true) { logLine(s, newline) }

    /// A runner; `reloadRules` re-reads the rules file on SIGHUP; `log` writes a message (and a newline when asked).
    public init(options: WatchOptions, rules: RulesFile, sink: WatchSink, reloadRules: (() throws -> RulesFile)? = nil, log: @escaping (String, Bool) -> Void) {
        self.options = options
        self.rules = rules
        self.reloadRules = reloadRules
        self.sink = sink
        logLine = log
        builder = AlertBuilder(rules: rules)
        router = Router(rules: rules)
        engine = AnalysisEngine(sites: [], front: [:], options: options.analyze)
    }

    /// Runs until a signal, the end of stdin (with nothing followed), or `maxRuntimeSecs`; returns the exit status.
    public func run() throws -> Int32 {
        let started = Date()
        if let dir = options.stateDir {
            checkpoint = try Checkpoint.load(dir: dir)
            tracker = AlertTracker(
                emitted: checkpoint.emitted.compactMapValues { Alert.Status(rawValue: $0) }, pinned: checkpoint.pinned ?? [:])
            notified = checkpoint.notified
            notifiedSet = Set(notified)
            routing = checkpoint.routing ?? Router.Progress()
            carried = checkpoint.carried ?? []
        }
        try openEvents()
        resolveFollowed()
        buildEngine()
        replay()
        if options.stdin {
            stdinSource = StdinSource(site: options.stdinSite, component: options.stdinComponent, prefixed: options.stdinPrefixed, options: options.analyze.parse)
            stdinSource?.pool = pool
            stdinSource?.partialLine.timeoutSecs = options.partialLineTimeoutSecs
        }
        var lastResolveScan = Date()
        while WatchSignals.stop == 0 {
            if WatchSignals.reload != 0 {
                WatchSignals.reload = 0
                reload()
            }
            // Events held back last time come first: ties in time keep reading order.
            var batch: [Event] = []
            swap(&batch, &held)
            let heldCount = batch.count
            // Read the source that is furthest behind in event time first, a few MiB at a time,
            // so a long backlog is merged in order and memory stays bounded.
            var budget = 8 << 20
            var polled = Set<ObjectIdentifier>()
            while budget > 0 {
                let candidates = followed.filter { !polled.contains(ObjectIdentifier($0)) || $0.hasMore }
                guard let f = candidates.min(by: { $0.lastTime < $1.lastTime }) else { break }
                polled.insert(ObjectIdentifier(f))
                let before = batch.count
                f.poll(into: &batch, maxBytes: 256 << 10)
                budget -= 256 << 10
                if batch.count == before && !f.hasMore && polled.count == followed.count { break }
            }
            if let s = stdinSource {
                s.poll(timeoutMs: batch.count == heldCount ? Int32(options.pollIntervalSecs * 1000) : 0, into: &batch)
            } else if batch.count == heldCount {
                usleep(UInt32(options.pollIntervalSecs * 1e6))
            }
            let readAny = batch.count > heldCount
            // A source still has bytes to read now: catching up on a backlog.
            var behind = followed.contains(where: \.hasMore)
            // Merge in event time: events newer than what a source still behind may hold wait.
            if !batch.isEmpty { Self.sort(&batch, holdingAfter: followed.filter(\.hasMore).map(\.lastTime).min(), in: &held) }
            if !batch.isEmpty {
                // Catching up on a backlog, look at the findings every 64 MiB (they depend on event
                // time only; a look costs as much as there are findings); live, after every read.
                catchUpBatches += 1
                consume(&batch, evaluating: !behind || catchUpBatches % 8 == 0)
            } else if Date().timeIntervalSince(lastEventWall) >= options.idleFlushSecs, lastEventTime > 0 {
                // Quiet input: time passes all the same.
                engine.advance(to: lastEventTime + Int64(Date().timeIntervalSince(lastEventWall) * 1e9))
                evaluate()
            }
            if Date().timeIntervalSince(lastResolveScan) >= 5 {
                lastResolveScan = Date()
                resolveFollowed(adding: true)
                behind = followed.contains(where: \.hasMore)  // new files come with a backlog
            }
            // A run over files that are not written to (`analyze --state`) checkpoints only when the
            // findings were just looked at (every 8th batch): a checkpoint looks at them first, and
            // one per wall second made what is printed depend on the machine's speed. Live, a
            // checkpoint may not wait: behind a writer, every second counts after a kill -9.
            if Date().timeIntervalSince(lastCheckpoint) >= options.checkpointIntervalSecs, !options.once || !behind || !unevaluated {
                try saveCheckpoint()
            }
            if let s = stdinSource, s.ended, followed.isEmpty { break }
            if options.once, !readAny, !behind { break }
            if options.statusLine { status() }
            if let m = options.maxRuntimeSecs, Date().timeIntervalSince(started) >= m { break }
        }
        if !held.isEmpty { consume(&held) }
        evaluate()
        try saveCheckpoint()
        if eventsFD >= 0 { close(eventsFD) }
        return 0
    }

    // MARK: inputs

    private func resolveFollowed(adding: Bool = false) {
        guard !options.follow.isEmpty else { return }
        let resolution = InputResolver().resolve(options.follow)
        if !adding { for e in resolution.errors { log(e.description) } }
        let fresh = resolution.sources.filter { s in !s.isStdin && !followed.contains { $0.path == s.files.last } }
        guard !fresh.isEmpty else { return }
        // Learn each site's syslog zone and year from dated lines, as analyze does.
        var run = ParseRun(sources: fresh, options: options.analyze.parse)
        run.siteOptions = options.analyze.siteParse
        let runners = run.runners()
        for (s, runner) in zip(fresh, runners) {
            guard let live = s.files.last else { continue }
            let saved = checkpoint.files[live]
            let probe = runner.probes[live]
            let clock = runner.clock(for: live, probe: probe)
            let f = FollowedSource(
                source: s, options: options.analyze.siteParse[s.site] ?? options.analyze.parse, clock: clock,
                fingerprint: saved?.fingerprint ?? 0, fingerprintLength: saved?.fingerprintLength ?? 0, offset: saved?.offset ?? 0,
                lines: saved?.lines ?? 0,
                fromEnd: saved == nil && !options.fromStart && !adding && !options.once, unreadCopyHead: saved?.unreadCopyHead.map { [UInt8]($0) })
            f.history = ReplayHistory(keepNanos: nanos(replayReachSecs + options.replaySecs))
            f.processor.parser.wrapped = probe?.wrapped ?? false
            f.processor.parser.learnsClock = false
            f.processor.pool = pool
            if !options.once { f.partialLine.timeoutSecs = options.partialLineTimeoutSecs }
            if saved == nil, options.fromStart || options.once || adding { f.backlog = Array(s.files.dropLast()) }
            followed.append(f)
            if !sitesSeen.contains(s.site) { sitesSeen.append(s.site) }
            if adding {
                log("following new file \(live)")
                buildEngineIfSitesChanged()
            }
        }
    }

    private var engineSites: [String] = []
    /// Where the engine hands each event's box when it is done with it, and the followed files'
    /// parsers take the next event's box from (everything here runs on one thread): room for half
    /// a read's events (8 MiB, some 30,000 lines, all alive before they were consumed), trimmed
    /// after each read to twice its events.
    private let pool = EventPool(capacity: 1 << 14)

    private func buildEngine() {
        var sites = sitesSeen
        if options.stdin, !sites.contains(options.stdinSite) { sites.append(options.stdinSite) }
        for s in rules.sites where !sites.contains(s.name) { sites.append(s.name) }
        let sources = followed.map(\.source)
        var front = AnalysisEngine.front(for: sources)
        if options.stdin, front[options.stdinSite] == nil { front[options.stdinSite] = [.proxy, .nginx] }
        engine = AnalysisEngine(sites: sites, front: front, options: options.analyze, pool: pool)
        engineSites = sites
    }

    private func buildEngineIfSitesChanged() {
        if Set(sitesSeen).subtracting(engineSites).isEmpty { return }
        buildEngine()
        replay()
    }

    /// Sorts `batch` by event time and moves the events newer than `newest` (the newest time of
    /// the source furthest behind that still has data; nil: none has) to the end of `held`
    /// (moved, not copied: each copy of an event costs retains).
    static func sort(_ batch: inout [Event], holdingAfter newest: Int64?, in held: inout [Event]) {
        batch.sort { $0.time < $1.time }
        guard let w = newest, let cut = batch.firstIndex(where: { $0.time > w }) else { return }
        let start = held.count
        held.reserveCapacity(start + batch.count - cut)
        while batch.count > cut { held.append(batch.removeLast()) }
        held[start...].reverse()
    }

    /// One file's part to re-read after a restart.
    private final class ReplayReader {
        let source: FollowedSource
        /// The file itself (read at offsets), or the rotated copy it became while harborwatch was
        /// stopped (read from its start: it may be compressed).
        enum Input {
            case file(Int32)
            case copy(ChunkReader, position: Int64)
        }
        var input: Input
        var offset: Int64
        let end: Int64
        var processor: LineProcessor
        var framer: LineFramer
        /// The newest and the oldest event time read so far.
        var newest = Int64.min
        var oldest: Int64?
        var finished = false
        /// Where each read ended, for the file's history.
        var points: [ReplayHistory.Point]

        init(source: FollowedSource, input: Input, offset: Int64, end: Int64, processor: LineProcessor) {
            self.source = source
            self.input = input
            self.offset = offset
            self.end = end
            self.processor = processor
            framer = LineFramer(maxLineLength: processor.maxLineLength)
            points = [ReplayHistory.Point(time: .min, offset: offset, lines: processor.lineNo)]
        }

        /// Hands the next bytes from `offset` up to `end` (at most `buffer`'s size) to `body`;
        /// false at the end.
        func read(_ buffer: inout [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
            guard offset < end else { return false }
            switch input {
            case .file(let fd):
                let want = Int(min(Int64(buffer.count), end - offset))
                let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
                guard got > 0 else { return false }
                buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<got])) }
                offset += Int64(got)
                return true
            case .copy(let reader, var position):
                while let chunk = reader.next() {
                    let chunkEnd = position + Int64(chunk.count)
                    defer { position = chunkEnd }
                    guard chunkEnd > offset else { continue }
                    let from = Int(offset - position), to = Int(min(chunkEnd, end) - position)
                    body(UnsafeBufferPointer(rebasing: chunk[from..<to]))
                    offset += Int64(to - from)
                    input = .copy(reader, position: chunkEnd)
                    return true
                }
                return false
            }
        }

        func close() { if case .file(let fd) = input { Glibc.close(fd) } }
    }

    /// Re-reads the recent past of every followed file, silently, to rebuild the correlation state.
    ///
    /// The files are read a MiB at a time, always the one furthest behind in event time, and their
    /// events merged in time order as they come (the part to re-read may be hours of input: read
    /// whole before sorting, 48 minutes of the benchmark's lines took 800 MB).
    private func replay() {
        var readers: [ReplayReader] = []
        for f in followed {
            guard let saved = checkpoint.files[f.path], saved.replayOffset < saved.offset else { continue }
            let length = saved.fingerprintLength > 0 ? saved.fingerprintLength : Int(min(1024, saved.offset))
            var input: ReplayReader.Input?
            let fd = open(f.path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                var head = [UInt8](repeating: 0, count: length)
                let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
                if n == head.count, FileFollower.hash(head) == saved.fingerprint { input = .file(fd) } else { close(fd) }
            }
            if input == nil {
                // Rotated while harborwatch was stopped: the part to replay is in the copy.
                if let copy = FileFollower.rotatedCopy(of: f.path, fingerprint: saved.fingerprint, length: length),
                    let reader = copy.reader()
                {
                    input = .copy(reader, position: 0)
                } else {
                    log("\(f.path) changed while harborwatch was stopped, and no rotated copy holds its recent past: it is not replayed")
                    continue
                }
            }
            var proc = f.processor
            proc.lineNo = saved.replayLines
            readers.append(ReplayReader(source: f, input: input!, offset: saved.replayOffset, end: saved.offset, processor: proc))
        }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var held: [Event] = []
        var replayed = false
        while let r = readers.filter({ !$0.finished }).min(by: { $0.newest < $1.newest }) {
            var batch: [Event] = []
            swap(&batch, &held)
            let before = batch.count
            let more = r.read(&buf) { bytes in r.framer.feed(bytes) { line, flags in r.processor.handle(line, flags, into: &batch) } }
            if !more {
                r.processor.flush(into: &batch)
                r.finished = true
            }
            for e in batch[before...] {
                if e.time > r.newest { r.newest = e.time }
                if e.time < r.oldest ?? .max { r.oldest = e.time }
            }
            if batch.count > before, !r.finished {
                r.points.append(.init(time: r.newest, offset: r.offset - Int64(r.framer.pendingBytes), lines: r.processor.lineNo))
            }
            // Merge in event time: what is newer than a file still to be read may hold waits.
            Self.sort(&batch, holdingAfter: readers.filter { !$0.finished }.map(\.newest).min(), in: &held)
            replayed = replayed || !batch.isEmpty
            feed(&batch)
        }
        replayed = replayed || !held.isEmpty
        feed(&held)
        for r in readers {
            r.close()
            // The replayed part goes into the file's history too, so that the next checkpoint can
            // still reach back into it (a restart right after this one must replay as much); not
            // a rotated copy's: the history is the file's now at the path.
            if case .file = r.input { r.source.history.prepend(r.points, firstEvent: r.oldest) }
        }
        if replayed {
            // Transitions of the replayed past were emitted before the restart; the tracker knows them.
            evaluate()
        }
    }

    private func reload() {
        guard let reloadRules else { return }
        do {
            let r = try reloadRules()
            rules = r
            builder = AlertBuilder(rules: r)
            router = Router(rules: r)
            routing = Router.Progress()
            options.analyze = AnalyzeSetup(rules: r, specs: [], options: options.analyze, maxLagSecs: nil).options
            buildEngine()
            rebuildFromHistory()
            log("rules reloaded: \(r.rules.count) rules, \(r.receivers.count) receivers")
        } catch {
            log("rules not reloaded, the old ones stay: \(error)")
        }
    }

    /// After a reload: re-read each file's recent past into the new engine.
    private func rebuildFromHistory() {
        for f in followed {
            let p = f.replayPoint(before: replayHorizon(now: engine.ctx.now == .min ? 0 : engine.ctx.now, oldestOpen: openAtLook.oldest))
            checkpoint.files[f.path] = Checkpoint.FileState(
                fingerprint: f.follower.fingerprint, fingerprintLength: f.follower.fingerprintLength, offset: f.committed,
                lines: f.processor.lineNo, replayOffset: p.offset, replayLines: p.lines, unreadCopyHead: f.follower.unreadCopyHead.map { Data($0) })
        }
        replay()
    }

    // MARK: events and alerts

    /// Moves the events of `batch` (in time order) into the engine, emptying it: popping from the
    /// end moves an event out, where iterating would copy it (a dozen retains each).
    private func feed(_ batch: inout [Event]) {
        batch.reverse()
        while let e = batch.popLast() { engine.consume(e) }
    }

    /// Hands `batch` (in time order) to the engine, moving each event in, and empties it.
    private func consume(_ batch: inout [Event], evaluating: Bool = true) {
        if eventsFD >= 0 {
            var out = JSONWriter()
            for i in batch.indices {
                EventJSON.write(batch[i], to: &out)
                out.bytes.append(0x0A)
            }
            _ = out.bytes.withUnsafeBytes { WriteAll.write(eventsFD, $0) }
            eventsLength += Int64(out.bytes.count)
        }
        eventsTotal += batch.count
        lastEventWall = Date()
        if let t = batch.last?.time, t > lastEventTime { lastEventTime = t }
        let events = batch.count
        feed(&batch)
        // Keep the boxes the next read is likely to need (reads are large while catching up,
        // small once live): a live stream does not hold a backlog's 16,384 boxes for ever.
        pool.trim(keeping: max(1024, 2 * events))
        if evaluating { evaluate() } else { unevaluated = true }
    }

    /// Asks the engine for its findings, emits the alert transitions and the notifications now due.
    func evaluate() {
        unevaluated = false
        // Only what is handed on is rendered: the alerts that change, and the notifications not
        // sent yet. Routing, grouping and the idempotency keys read labels, status and times only.
        // (Rendering every finding's templates at every look was 7 % of a catch-up without
        // receivers; with them it also held every rendered alert of the run at each look, and the
        // memory of `analyze --state` over 10 M lines grew to 274 MiB instead of levelling off.)
        var alerts = tracker.pin(engine.snapshot().map { builder.alert($0, rendering: false) })
        if !carried.isEmpty {
            // Alerts carried over a restart, unless a detector has found them again.
            let found = Set(alerts.map(\.fingerprint))
            carried.removeAll { found.contains($0.fingerprint) }
            alerts += carried
        }
        defer {
            let now = engine.ctx.now == .min ? 0 : engine.ctx.now
            openAtLook = openAlerts(alerts, now: now)
        }
        for a in tracker.transitions(alerts) { sink.alert(builder.rendered(a)) }
        guard !rules.receivers.isEmpty else { return }
        let now = engine.ctx.now
        for s in router.advance(alerts, to: now, progress: &routing) where !notifiedSet.contains(s.notification.idempotencyKey) {
            sink.notify(builder.rendered(s.notification), at: s.at)
            notifiedSet.insert(s.notification.idempotencyKey)
            notified.append(s.notification.idempotencyKey)
        }
        if notified.count > 20_000 {
            notified.removeFirst(notified.count - 10_000)
            notifiedSet = Set(notified)
        }
    }

    /// Alerts still open that began before anything the replay re-read (from the checkpoint).
    private var carried: [Alert] = []

    /// At the last look: the start of the oldest alert still open, and the open alerts that
    /// began too long ago for a replay to rebuild them (the checkpoint carries them over).
    private var openAtLook: (oldest: Int64?, notRebuilt: [Alert]) = (nil, [])

    /// Whether `a` is open: firing, or resolved but last notified as firing (`notifiedFiring`,
    /// made from `routing` when first needed).
    private static func isOpen(_ a: Alert, _ routing: Router.Progress, _ notifiedFiring: inout Set<String>?) -> Bool {
        guard a.status == .resolved else { return true }
        if notifiedFiring == nil { notifiedFiring = routing.firingSent }
        return notifiedFiring!.contains(a.fingerprint)
    }

    /// The start of the oldest alert of `alerts` still open, and the open alerts that started
    /// before a replay from the horizon that start gives can rebuild them.
    func openAlerts(_ alerts: [Alert], now: Int64) -> (oldest: Int64?, notRebuilt: [Alert]) {
        var notifiedFiring: Set<String>?
        var oldest: Int64?
        for a in alerts where a.startsAt < oldest ?? .max && Self.isOpen(a, routing, &notifiedFiring) { oldest = a.startsAt }
        guard let oldest else { return (nil, []) }
        // What the replay re-reads of each file starts at its point before the horizon (a file
        // followed since a rotation, or from its end, reaches back only that far); a finding
        // needs `--replay-secs` of input before its start to be found again.
        // Standard input is not read again: what came from it cannot be rebuilt at all.
        let horizon = replayHorizon(now: now, oldestOpen: oldest)
        var reach = horizon
        for f in followed { if let r = f.history.reach(before: horizon), r > reach { reach = r } }
        let rebuiltFrom = options.stdin ? Int64.max : reach + nanos(options.replaySecs)
        guard oldest < rebuiltFrom else { return (oldest, []) }
        return (oldest, alerts.filter { $0.startsAt < rebuiltFrom && Self.isOpen($0, routing, &notifiedFiring) })
    }

    /// How far back a replay may reach: `--replay-secs`, or the detectors' retention if longer.
    var replayReachSecs: Double { max(options.replaySecs, options.analyze.detectors.retentionSecs) }

    /// Where a restart starts re-reading: `--replay-secs` before `now`, or earlier, at the start
    /// of the oldest alert still open (firing, or resolved but not yet notified as such), so
    /// the replay rebuilds the findings and notification groups an uninterrupted run would still
    /// hold; never more than the detectors' retention before `now` (they forget what is older).
    func replayHorizon(now: Int64, oldestOpen: Int64?) -> Int64 {
        var horizon = now - nanos(options.replaySecs)
        if let open = oldestOpen {
            let floor = now - nanos(replayReachSecs)
            horizon = min(horizon, max(floor, open - nanos(options.replaySecs)))
        }
        return horizon
    }

    private var lastStatus = Date.distantPast
    private var linesAtStatus = 0

    /// One line on stderr: lines/s, how far behind the newest line is, open findings, notifications sent.
    private func status() {
        guard Date().timeIntervalSince(lastStatus) >= 1 else { return }
        let lines = followed.reduce(0) { $0 + $1.processor.stats.lines } + (stdinSource?.stats.reduce(0) { $0 + $1.lines } ?? 0)
        let rate = Double(lines - linesAtStatus) / max(0.001, Date().timeIntervalSince(lastStatus))
        lastStatus = Date()
        linesAtStatus = lines
        let lag = lastEventTime > 0 ? Date().timeIntervalSince1970 - Double(lastEventTime) / 1e9 : 0
        let firing = tracker.emitted.values.filter { $0 == .firing }.count
        log("\u{1B}[2K\r\(Int(rate)) lines/s, newest line \(Report.secs(max(0, lag))) old, \(firing) alerts firing, \(notified.count) notifications sent", newline: false)
    }

    // MARK: state

    private func openEvents() throws {
        guard let p = options.eventsPath else { return }
        eventsFD = open(p, O_WRONLY | O_CREAT, 0o644)
        guard eventsFD >= 0 else { throw CocoaError(.fileWriteNoPermission) }
        // Whatever was written after the last checkpoint is written again: cut it off first.
        eventsLength = options.stateDir == nil ? 0 : checkpoint.eventsLength
        ftruncate(eventsFD, off_t(eventsLength))
        lseek(eventsFD, off_t(eventsLength), SEEK_SET)
    }

    func saveCheckpoint() throws {
        lastCheckpoint = Date()
        try writeMetrics()  // with or without --state
        guard let dir = options.stateDir else { return }
        // The checkpoint covers only lines whose alerts were handed on.
        if unevaluated { evaluate() }
        if eventsFD >= 0 { fsync(eventsFD) }
        var c = Checkpoint()
        let now = engine.ctx.now == .min ? 0 : engine.ctx.now
        let horizon = replayHorizon(now: now, oldestOpen: openAtLook.oldest)
        for f in followed {
            let p = f.replayPoint(before: horizon)
            c.files[f.path] = Checkpoint.FileState(
                fingerprint: f.follower.fingerprint, fingerprintLength: f.follower.fingerprintLength, offset: f.committed,
                lines: f.processor.lineNo, replayOffset: p.offset, replayLines: p.lines, unreadCopyHead: f.follower.unreadCopyHead.map { Data($0) })
        }
        c.emitted = tracker.emitted.mapValues(\.rawValue)
        c.pinned = tracker.pinned
        c.notified = notified
        c.eventsLength = eventsLength
        c.watermark = now
        c.routing = routing
        if !openAtLook.notRebuilt.isEmpty { c.carried = openAtLook.notRebuilt.map { builder.rendered($0) } }
        try c.save(dir: dir)
        checkpoint = c
    }

    private func writeMetrics() throws {
        guard let path = options.metricsPath else { return }
        let stats = followed.map(\.processor.stats) + (stdinSource?.stats ?? [])
        var total = SourceStats(name: "", site: "", component: .unknown)
        for s in stats { total.add(s) }
        let firing = tracker.emitted.values.filter { $0 == .firing }.count
        var text = "# HELP harborwatch_lines_total Lines read.\n# TYPE harborwatch_lines_total counter\nharborwatch_lines_total \(total.lines)\n"
        text += "# HELP harborwatch_events_total Events made.\n# TYPE harborwatch_events_total counter\nharborwatch_events_total \(total.events)\n"
        text += "# HELP harborwatch_malformed_lines_total Malformed lines.\n# TYPE harborwatch_malformed_lines_total counter\nharborwatch_malformed_lines_total \(total.malformedCount)\n"
        text += "# HELP harborwatch_alerts_firing Alerts firing now.\n# TYPE harborwatch_alerts_firing gauge\nharborwatch_alerts_firing \(firing)\n"
        let lag = lastEventTime > 0 ? Date().timeIntervalSince1970 - Double(lastEventTime) / 1e9 : 0
        text += "# HELP harborwatch_event_lag_seconds Wall time minus the newest event time.\n# TYPE harborwatch_event_lag_seconds gauge\nharborwatch_event_lag_seconds \(lag)\n"
        let rot = followed.reduce(0) { $0 + $1.follower.rotations }
        text += "# HELP harborwatch_rotations_total File rotations followed.\n# TYPE harborwatch_rotations_total counter\nharborwatch_rotations_total \(rot)\n"
        text += "# HELP harborwatch_artifacts_evicted_total Artifacts dropped from the cross-site book at its per-site cap.\n# TYPE harborwatch_artifacts_evicted_total counter\nharborwatch_artifacts_evicted_total \(engine.ctx.book.evicted)\n"
        text += "# HELP harborwatch_artifacts_expired_total Artifacts dropped from the cross-site book by event-time retention.\n# TYPE harborwatch_artifacts_expired_total counter\nharborwatch_artifacts_expired_total \(engine.ctx.book.expired)\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
