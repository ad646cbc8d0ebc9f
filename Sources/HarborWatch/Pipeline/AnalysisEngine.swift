/// The correlation and detection engine, fed one event at a time in event-time order.
///
/// `analyze` feeds it a merged batch and calls `finish`; `watch` feeds it as lines arrive, asks
/// for a `snapshot` of the findings after each batch of lines, and `advance`s its clock by wall
/// time when the input goes quiet, so absence and lag alerts still fire and resolve.
public final class AnalysisEngine {
    /// The context detectors share.
    public let ctx: AnalysisContext
    let options: AnalyzeOptions
    let detectors: [Detector]
    let lag: ReplicationLagDetector?
    let missing: SecondaryMissingDetector?
    // The same detectors as concrete types, for the per-event calls (in `detectors`' order): a
    // call through the protocol retained and released each detector, per event.
    private let push: PushUnauthorizedDetector?
    private let duplicate: ReplicationDuplicateDetector?
    private let tagless: TagWithoutDataDetector?
    private let userRules: [UserRuleDetector]
    let stitcher = RequestStitcher()
    let sessions = SessionTracker()
    private var siteTotals = SiteSlots(SiteTotals())
    var totals: [String: SiteTotals] { siteTotals.dictionary }
    /// Events consumed.
    public private(set) var consumed = 0

    /// An engine for `sites`; `front` names each site's front-door components. `pool`: where each
    /// event's box goes when the engine is done with it (a run on one thread); else `returns`,
    /// which hands it back to the threads that parse the sources.
    init(sites: [String], front: [String: Set<Component>], options: AnalyzeOptions, pool: EventPool?, returns: BoxReturns? = nil) {
        self.pool = pool
        self.returns = returns
        unretainedReturns = returns.map { Unmanaged.passUnretained($0) }
        self.options = options
        let primary = options.primary ?? sites.sorted().first ?? "default"
        ctx = AnalysisContext(primary: primary, sites: sites, front: front, retentionNanos: nanos(options.detectors.retentionSecs))
        let settings = options.detectors
        let lag = ReplicationLagDetector(settings: settings)
        let missing = SecondaryMissingDetector(settings: settings)
        let push = PushUnauthorizedDetector(settings: settings)
        let duplicate = ReplicationDuplicateDetector(settings: settings)
        let tagless = TagWithoutDataDetector(settings: settings)
        let builtIn: [Detector] = [push, missing, lag, duplicate, tagless].filter { settings.enabled.contains($0.id) }
        userRules = options.userRules.map { UserRuleDetector(rule: $0, evidenceLimit: settings.evidenceLimit) }
        detectors = builtIn + userRules
        self.lag = settings.enabled.contains(lag.id) ? lag : nil
        self.missing = settings.enabled.contains(missing.id) ? missing : nil
        self.push = settings.enabled.contains(push.id) ? push : nil
        self.duplicate = settings.enabled.contains(duplicate.id) ? duplicate : nil
        self.tagless = settings.enabled.contains(tagless.id) ? tagless : nil
        unretainedPool = pool.map { Unmanaged.passUnretained($0) }
        unretainedCtx = Unmanaged.passUnretained(ctx)
        unretainedRules = .allocate(capacity: userRules.count)
        _ = unretainedRules.initialize(from: userRules.map { Unmanaged.passUnretained($0) })
    }

    deinit { unretainedRules.deallocate() }

    /// An engine for `sites`; `front` names each site's front-door components.
    public convenience init(sites: [String], front: [String: Set<Component>], options: AnalyzeOptions) {
        self.init(sites: sites, front: front, options: options, pool: nil)
    }

    /// The front-door components of each site, from the sources' file names: Harbor's proxy when
    /// there is one, else another nginx, else the registry.
    public static func front(for sources: [ResolvedSource]) -> [String: Set<Component>] {
        var front: [String: Set<Component>] = [:]
        for site in Set(sources.map(\.site)) {
            let hints = Set(sources.filter { $0.site == site }.compactMap(\.componentHint))
            if hints.contains(.proxy) {
                front[site] = [.proxy]
            } else if hints.contains(.nginx) {
                front[site] = [.nginx]
            } else if hints.contains(.registry) {
                front[site] = [.registry]
            } else {
                front[site] = [.proxy, .nginx]
            }
        }
        return front
    }

    private var clientKeys = ClientKeyMemo()
    /// Where each event's box goes when the engine is done with it (a run on one thread).
    private let pool: EventPool?
    /// … or, with sources parsed on threads of their own, to whom it goes back.
    private let returns: BoxReturns?
    private let unretainedReturns: Unmanaged<BoxReturns>?
    /// `pool` and `ctx` as references the engine holds already (`pool` and `ctx` keep them): read
    /// through them, neither is retained and released at every event (as each was, read from the
    /// properties: two atomic operations an event each).
    private let unretainedPool: Unmanaged<EventPool>?
    private let unretainedCtx: Unmanaged<AnalysisContext>
    /// The user rules the same way (`userRules` keeps them), in memory of the engine's own: the
    /// loop over the array retained each rule, and the array, per event.
    private let unretainedRules: UnsafeMutableBufferPointer<Unmanaged<UserRuleDetector>>

    /// Reads one event.
    public func consume(_ e: consuming Event) {
        unretainedCtx._withUnsafeGuaranteedRef { ctx in
            e.isFrontLine = ctx.computeFront(e)
            if e.isFrontLine { e.clientKey = clientKeys.key(e) }
            consumed += 1
            ctx.advance(e.time)
            stitcher.observe(e, ctx)
            sessions.observe(e, ctx)
            push?.observe(e, ctx)
            missing?.observe(e, ctx)
            lag?.observe(e, ctx)
            duplicate?.observe(e, ctx)
            tagless?.observe(e, ctx)
            for d in unretainedRules { d._withUnsafeGuaranteedRef { $0.observe(e, ctx) } }
            if ctx.isFront(e) {
                Analyzer.count(e, into: &siteTotals[e.site])
                Analyzer.learn(e, ctx)
            }
        }
        if let pool = unretainedPool {
            pool._withUnsafeGuaranteedRef { e.recycle(into: $0) }
        } else {
            unretainedReturns?._withUnsafeGuaranteedRef { e.recycle(into: $0) }
        }
    }

    /// Moves the clock to `time` without an event (an idle input: time passes all the same).
    public func advance(to time: Int64) {
        guard time > ctx.now else { return }
        ctx.advance(time)
        for d in detectors { d.tick(ctx) }
    }

    /// The findings as they stand now; can be called any number of times.
    public func snapshot() -> [Finding] {
        for d in detectors { d.tick(ctx) }
        return detectors.flatMap { $0.snapshot(ctx) }
    }

    /// The end of the input: every finding, and the report's figures.
    public func finish(parse: [SourceStats], inputErrors: [InputError], events: Int, lateEvents: Int) -> Analysis {
        // The report is built on top of the largest state of the run. The artifact book (the
        // largest part) is asked nothing more, so it goes first, then the pages freed are returned.
        ctx.book.removeAll()
        Allocator.purge?()
        let findings = detectors.flatMap { $0.finish(ctx) }
        sessions.finish()
        var a = Analysis(
            sites: ctx.sites, primary: ctx.primary, start: ctx.start == .max ? 0 : ctx.start, end: ctx.now == .min ? 0 : ctx.now,
            totals: totals, findings: findings, pushes: lag?.pushes ?? [], latency: lag?.latencySummary() ?? [:],
            foldedPushes: lag?.folded ?? 0, parse: parse, inputErrors: inputErrors, stitch: stitcher.counts,
            sessions: sessions.counts, events: events, lateEvents: lateEvents, unrelated404: missing?.unrelated404 ?? 0,
            settings: options.detectors)
        a.artifactsEvicted = ctx.book.evicted
        return a
    }
}
