/// Options of an analysis run.
public struct AnalyzeOptions: Sendable {
    /// How lines are read.
    public var parse = ParseOptions()
    /// The primary site; nil: the first `--site`, else the first site by name.
    public var primary: String?
    /// Seconds added to every time of a site (clock skew between data centers).
    public var clockOffsets: [String: Double] = [:]
    /// How late (seconds) an event may arrive behind its source's newest and still be merged in order.
    public var allowedLatenessSecs: Double = 5
    /// Detector settings.
    public var detectors = DetectorSettings()
    /// User rules of the rules file.
    public var userRules: [UserRule] = []
    /// Parse options of particular sites.
    public var siteParse: [String: ParseOptions] = [:]
    /// Read and parse the sources on threads of their own while the engine runs (batch only).
    public var prefetch = true

    /// Defaults.
    public init() {}
}

/// The result of an analysis: findings, replication table, per-site totals, parse and join statistics.
public struct Analysis: Sendable {
    /// Sites, primary first.
    public var sites: [String]
    /// The primary site.
    public var primary: String
    /// First and last event time.
    public var start: Int64
    /// Last event time.
    public var end: Int64
    /// Totals per site.
    public var totals: [String: SiteTotals]
    /// Every finding, by detector then time.
    public var findings: [Finding]
    /// Every push on the primary still held and its arrivals (older ones are in `latency` only).
    public var pushes: [ReplicationLagDetector.Push]
    /// Replication latency per secondary, of every push.
    public var latency: [String: LatencySummary]
    /// Pushes folded into `latency` and left out of `pushes` (memory bound).
    public var foldedPushes: Int
    /// Per source.
    public var parse: [SourceStats]
    /// Input problems of the resolution step.
    public var inputErrors: [InputError]
    /// Join counts per site.
    public var stitch: [String: RequestStitcher.Counts]
    /// Client sessions per site.
    public var sessions: [String: SessionTracker.Counts]
    /// Events merged, and how many of them came late.
    public var events: Int
    /// Events later than the allowed lateness.
    public var lateEvents: Int
    /// 404s on secondaries for artifacts the primary never had.
    public var unrelated404: Int
    /// Artifacts dropped from the cross-site book because a site held more than its cap (the
    /// least recently seen first); a later miss of one of them is not recognised.
    public var artifactsEvicted: Int = 0
    /// The settings used.
    public var settings: DetectorSettings
}

/// Request counts of one site, from its front door.
public struct SiteTotals: Sendable, Equatable {
    /// Client requests.
    public var requests = 0
    /// Manifest PUTs that succeeded, not by the replication client.
    public var pushes = 0
    /// Manifest GETs that succeeded, not by the replication client.
    public var pulls = 0
    /// Responses ≥ 400, the `/v2/` challenge left out.
    public var failures = 0
    /// Manifest PUTs by the replication client that succeeded.
    public var replicatedIn = 0

    /// Zero counts.
    public init() {}
}

/// Runs the whole pipeline: sources → merge → stitch → detectors → findings.
public enum Analyzer {
    /// Analyzes `sources` (from `InputResolver`).
    public static func run(sources: [ResolvedSource], inputErrors: [InputError] = [], options: AnalyzeOptions) -> Analysis {
        var run = ParseRun(sources: sources, options: options.parse)
        run.siteOptions = options.siteParse
        let runners = run.runners()
        let cursors = runners.map { $0.cursor() }
        // Sources are read and parsed on threads of their own, a few chunks ahead, while this
        // thread merges and correlates (the same events in the same order; a bounded number of threads).
        // The engine hands each event's box back for a later line: to the parse threads, or on one
        // thread to the pool its sources take from.
        let returns = options.prefetch ? BoxReturns() : nil
        if options.prefetch { for c in cursors.prefix(32) { c.startPrefetch(returns: returns) } }
        let pool = options.prefetch ? nil : EventPool()
        if let pool { for c in cursors { c.recycle(from: pool) } }
        let offsets = sources.map { Int64((options.clockOffsets[$0.site] ?? 0) * 1e9) }
        let merger = EventMerger(cursors: cursors, allowedLatenessNanos: nanos(options.allowedLatenessSecs), offsets: offsets)
        var sites: [String] = []
        for s in sources where !sites.contains(s.site) { sites.append(s.site) }
        let engine = AnalysisEngine(sites: sites, front: AnalysisEngine.front(for: sources), options: options, pool: pool, returns: returns)
        while let e = merger.next() { engine.consume(e) }
        return engine.finish(parse: merger.stats, inputErrors: inputErrors, events: merger.merged, lateEvents: merger.lateEvents)
    }

    static func count(_ e: Event, into t: inout SiteTotals) {
        t.requests += 1
        if e.status >= 400, !(e.kind == .ping && e.status == 401) { t.failures += 1 }
        guard e.kind == .manifest, e.status >= 200, e.status < 300 else { return }
        if e.methodCode == .put {
            if e.isReplicator { t.replicatedIn += 1 } else { t.pushes += 1 }
        } else if e.methodCode == .get, !e.isReplicator {
            t.pulls += 1
        }
    }

    /// What a front line tells about which site has which artifact.
    static func learn(_ e: Event, _ ctx: AnalysisContext) {
        guard e.status >= 200, e.status < 400 else { return }
        switch e.kind {
        case .manifest, .blob:
            guard let repo = e.repository, let ref = e.reference else { return }
            let key = ArtifactBook.hash(repository: repo, reference: ref)
            if e.isRead {
                ctx.book.record(e.site, hash: key, at: e.time, how: .served)
            } else if e.methodCode == .put {
                ctx.book.record(e.site, hash: key, at: e.time, how: e.isReplicator ? .replicated : .pushed)
            }
        case .upload:
            if e.methodCode == .put, let repo = e.repository, let d = e.uploadDigest {
                ctx.book.record(e.site, hash: ArtifactBook.hash(repository: repo, reference: d), at: e.time, how: e.isReplicator ? .replicated : .pushed)
            }
        default:
            return
        }
        ctx.book.sweep(now: e.time)
    }
}
