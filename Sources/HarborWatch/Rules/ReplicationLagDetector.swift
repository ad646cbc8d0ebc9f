/// `replication_lag`: for every artifact pushed on the primary, when it became available on each
/// secondary (a manifest PUT by the replication client, or the first successful read there).
///
/// Fires when one took longer than `max_lag_secs` or never arrived. Also gives the latency table
/// (p50/p90/p99/max per site pair) and the list of artifacts still missing at the end.
public final class ReplicationLagDetector: Detector {
    public let id = "replication_lag"
    let settings: DetectorSettings

    /// One push on the primary and its arrival on each secondary.
    public struct Push: Sendable, Equatable {
        /// `repository@reference`.
        public var key: String
        /// Repository.
        public var repository: String
        /// Tag or digest.
        public var reference: String
        /// When the push completed on the primary.
        public var pushedAt: Int64
        /// Arrival time per secondary (nil: not yet).
        public var arrivals: [String: Int64]
        /// Secondaries that already had it when it was pushed again.
        public var alreadyPresent: Set<String>
        /// The push's line.
        public var evidence: Evidence
        /// The arrival lines per secondary.
        public var arrivalEvidence: [String: Evidence]
        /// Times already taken from the registry's own line (the primary's push, per secondary's arrival).
        var refinedPush = false
        var refinedArrivals: Set<String> = []
    }

    /// Pushes waiting for arrivals, by the 64-bit hash of repository and reference (the artifact
    /// book's): not a `repository@reference` String built per lookup (a secondary's every
    /// manifest read looks), nor a key holding the two Strings (every open push of a site that
    /// replicates nowhere is held here). A push found is checked to be the artifact asked for.
    private var open: [HashKey: Push] = [:]
    /// Latencies per secondary of every arrival, folded pushes included.
    public private(set) var latency: [String: LatencySummary] = [:]
    /// Pushes folded into the statistics and dropped from the per-artifact list (memory bound).
    public private(set) var folded = 0
    /// Findings of pushes already folded.
    private var foldedFindings: [Finding] = []
    private var sinceFold = 0
    /// The latest push key per repository (a registry line by digest finds its push through it).
    private var latestByRepo: [String: HashKey] = [:]
    private let registryPuts = RecentLines(keepNanos: 5_000_000_000)
    private var done: [Push] = []
    private var order: [String] = []

    init(settings: DetectorSettings) { self.settings = settings }

    public func observe(_ e: Event, _ ctx: AnalysisContext) {
        if e.component == .registry, e.format == .registryLogrus, e.methodCode == .put, e.kind == .manifest,
            e.status >= 200, e.status < 300, !ctx.isFront(e)
        {
            refine(with: e, ctx)
            registryPuts.add(e)
            return
        }
        // The cheap tests first.
        guard ctx.isFront(e), e.kind == .manifest, e.status >= 200, e.status < 400 else { return }
        if !ctx.isSecondary(e.site) {
            guard e.methodCode == .put, !e.isReplicator, let repo = e.repository, let ref = e.reference else { return }
            // The book's hash of the artifact, once: the key here, and the book's for each
            // secondary site (its `String` key was split and hashed again for each).
            let h = ArtifactBook.hash(repository: repo, reference: ref)
            let key = HashKey(h)
            if let old = open.removeValue(forKey: key) { done.append(old) }
            latestByRepo[repo] = key
            var p = Push(
                key: repo + "@" + ref, repository: repo, reference: ref, pushedAt: e.time, arrivals: [:],
                alreadyPresent: [], evidence: Evidence(e), arrivalEvidence: [:])
            for s in ctx.sites where ctx.isSecondary(s) {
                if let had = ctx.book.entry(s, hash: h), had.since <= e.time {
                    p.arrivals[s] = e.time
                    p.alreadyPresent.insert(s)
                }
            }
            open[key] = p
            for r in registryPuts.find(site: e.site, around: e.time, window: 2_000_000_000, { Self.sameArtifact($0, e) }) { refine(with: r, ctx) }
            return
        }
        guard (e.methodCode == .put && e.isReplicator) || e.isRead, !open.isEmpty, let repo = e.repository, let ref = e.reference,
            let slot = open.index(forKey: Self.key(repo, ref)), open.values[slot].reference == ref, open.values[slot].repository == repo,
            open.values[slot].arrivals[e.site] == nil, e.time >= open.values[slot].pushedAt
        else { return }
        open.values[slot].arrivals[e.site] = e.time
        open.values[slot].arrivalEvidence[e.site] = Evidence(e, note: e.methodCode == .put ? "replicated" : "first served")
        foldIfDue(ctx)
        if e.methodCode == .put {
            for r in registryPuts.find(site: e.site, around: e.time, window: 2_000_000_000, { Self.sameArtifact($0, e) }) { refine(with: r, ctx) }
        }
    }

    /// The registry's own line of a manifest PUT (nanoseconds) replaces the nginx second.
    private func refine(with r: Event, _ ctx: AnalysisContext) {
        guard let repo = r.repository, let ref = r.reference else { return }
        let window: Int64 = 2_000_000_000
        // By tag (the registry saw the tag), else the repository's latest push (v2.15+ writes by digest).
        let direct = Self.key(repo, ref)
        let hasDirect = open[direct].map { $0.repository == repo && $0.reference == ref } ?? false
        guard let key = hasDirect ? direct : (ref.hasASCIIPrefix("sha256:") ? latestByRepo[repo] : nil), var p = open[key] else { return }
        if !ctx.isSecondary(r.site) {
            guard !p.refinedPush, abs(r.time - p.pushedAt) <= window else { return }
            p.pushedAt = r.time
            p.refinedPush = true
        } else {
            guard !p.refinedArrivals.contains(r.site), let a = p.arrivals[r.site], !p.alreadyPresent.contains(r.site), abs(r.time - a) <= window else { return }
            p.arrivals[r.site] = r.time
            p.refinedArrivals.insert(r.site)
        }
        open[key] = p
    }

    /// The key of `repository@reference` in `open`.
    @inline(__always)
    private static func key(_ repository: String, _ reference: String) -> HashKey { HashKey(ArtifactBook.hash(repository: repository, reference: reference)) }

    private static func sameArtifact(_ r: Event, _ e: Event) -> Bool {
        r.repository == e.repository && (r.reference == e.reference || r.reference?.hasASCIIPrefix("sha256:") == true)
    }

    /// Every push still held, in push order (older ones are folded into `latency`).
    public var pushes: [Push] { (done + open.values).sorted { ($0.pushedAt, $0.key) < ($1.pushedAt, $1.key) } }

    /// Keeps memory bounded: pushes older than the retention are folded into the latency summary
    /// (and, when late or missing, into findings) and dropped.
    private func foldIfDue(_ ctx: AnalysisContext) {
        sinceFold += 1
        guard sinceFold >= 10_000 else { return }
        sinceFold = 0
        let horizon = ctx.now - nanos(settings.retentionSecs)
        guard done.contains(where: { $0.pushedAt < horizon }) || open.values.contains(where: { $0.pushedAt < horizon }) else { return }
        let old = done.filter { $0.pushedAt < horizon } + open.values.filter { $0.pushedAt < horizon }
        done.removeAll { $0.pushedAt < horizon }
        for p in old {
            let k = Self.key(p.repository, p.reference)
            if open[k]?.pushedAt == p.pushedAt { open[k] = nil }
        }
        foldedFindings += findings(old, ctx)
        for p in old { record(p, ctx) }
        folded += old.count
    }

    private func record(_ p: Push, _ ctx: AnalysisContext) {
        for (s, t) in p.arrivals where !p.alreadyPresent.contains(s) {
            latency[s, default: LatencySummary()].add(Double(t - p.pushedAt) / 1e9)
        }
    }

    /// The latency summary per secondary, of folded and held pushes.
    public func latencySummary() -> [String: LatencySummary] {
        var out = latency
        for p in pushes {
            for (s, t) in p.arrivals where !p.alreadyPresent.contains(s) {
                out[s, default: LatencySummary()].add(Double(t - p.pushedAt) / 1e9)
            }
        }
        return out
    }

    public func finish(_ ctx: AnalysisContext) -> [Finding] {
        // Only the pushes late somewhere give findings: those alone are copied and sorted (a
        // stream asks for the findings at every look, and nearly every push held arrived in time).
        let secondaries = ctx.sites.filter { ctx.isSecondary($0) }
        func late(_ p: Push) -> Bool { secondaries.contains { lateLag(p, $0, ctx) != nil } }
        let held = (done.filter(late) + open.values.filter(late)).sorted { ($0.pushedAt, $0.key) < ($1.pushedAt, $1.key) }
        return foldedFindings + findings(held, ctx)
    }

    /// How long `p` took, or has waited so far, to reach `s`, when that is over the limit (nil:
    /// in time, or it was there already).
    private func lateLag(_ p: Push, _ s: String, _ ctx: AnalysisContext) -> Int64? {
        guard !p.alreadyPresent.contains(s) else { return nil }
        let lag = (p.arrivals[s] ?? ctx.now) - p.pushedAt
        return lag > nanos(settings.maxLagSecs) ? lag : nil
    }

    private func findings(_ list: [Push], _ ctx: AnalysisContext) -> [Finding] {
        var out: [Finding] = []
        for p in list {
            for s in ctx.sites where ctx.isSecondary(s) {
                guard let lag = lateLag(p, s, ctx) else { continue }
                let arrival = p.arrivals[s]
                var ev = [p.evidence]
                if let a = p.arrivalEvidence[s] { ev.append(a) }
                let lagSecs = Double(lag) / 1e9
                let summary = arrival == nil
                    ? "\(p.repository):\(p.reference) pushed on \(ctx.primary) has not arrived on \(s) after \(Report.secs(lagSecs))"
                    : "\(p.repository):\(p.reference) took \(Report.secs(lagSecs)) to replicate from \(ctx.primary) to \(s) (max \(Report.secs(settings.maxLagSecs)))"
                out.append(
                    Finding(
                        detector: id, site: s, severity: "critical", summary: summary,
                        labels: ["detector": id, "site": s, "repository": p.repository, "reference": p.reference],
                        details: [
                            ("repository", .string(p.repository)), ("reference", .string(p.reference)),
                            ("source_site", .string(ctx.primary)), ("pushed_at", .time(p.pushedAt)),
                            ("arrived_at", arrival.map { .time($0) } ?? .null),
                            (arrival == nil ? "age_secs" : "lag_secs", .double(lagSecs)),
                            ("outcome", .string(arrival == nil ? "never_arrived" : "slow")),
                        ],
                        firstSeen: p.pushedAt, lastSeen: arrival ?? p.pushedAt, resolvedAt: arrival, count: 1, evidence: ev))
            }
        }
        return out
    }
}
