/// `secondary_missing_artifact`: GET/HEAD of a manifest or blob answered 404 on a secondary site
/// while the primary already had that `repository:tag` or digest (pushed or served before).
///
/// Reports how long after the primary had it, how many requests failed, which clients, and
/// whether and when the secondary later served it (then it was replication lag) or never did.
/// 404s for artifacts the primary never had are not replication problems; the replication
/// client's own HEAD checks before an upload are not misses.
///
/// Severity is fixed when the incident starts, so a streamed alert resolves with the labels it
/// fired with: `critical` when the first miss came more than `max_lag_secs` after the primary had
/// the artifact (replication overdue), else `warning` (pulled inside the normal replication window;
/// if it never arrives, `replication_lag` reports that as critical).
public final class SecondaryMissingDetector: Detector {
    public let id = "secondary_missing_artifact"
    let settings: DetectorSettings

    struct Incident {
        var site: String
        var repository: String
        var reference: String
        var kind: RequestKind
        var primarySince: Int64
        var first: Int64
        var last: Int64
        var count = 0
        var clients: [String] = []
        var servedAt: Int64?
        var availableAt: Int64?
        var evidence: EvidenceList
    }

    private var open: [ArtifactIncidentKey: Incident] = [:]
    private var closed: [Incident] = []
    /// 404s on secondaries for artifacts the primary never had (not replication problems).
    public private(set) var unrelated404 = 0
    private let registryLines: RecentLines

    init(settings: DetectorSettings) {
        self.settings = settings
        registryLines = RecentLines(keepNanos: 5_000_000_000)
    }

    public func observe(_ e: Event, _ ctx: AnalysisContext) {
        if e.component == .registry, e.level == .error, e.errorCode != nil, ctx.isSecondary(e.site) {
            registryLines.add(e)
            attachRegistryLine(e)
            return
        }
        guard ctx.isSecondary(e.site), ctx.isFront(e), e.kind == .manifest || e.kind == .blob,
            let repo = e.repository, let ref = e.reference
        else { return }
        if e.isRead, e.status == 404 {
            guard !e.isReplicator else { return }
            guard let had = ctx.book.entry(ctx.primary, hash: ArtifactBook.hash(repository: repo, reference: ref)), had.since <= e.time else {
                unrelated404 += 1
                return
            }
            let id = ArtifactIncidentKey(e.site, repo, ref)
            var inc = open[id] ?? Incident(
                site: e.site, repository: e.repository ?? "", reference: e.reference ?? "", kind: e.kind,
                primarySince: had.since, first: e.time, last: e.time, evidence: EvidenceList(limit: settings.evidenceLimit))
            inc.count += 1
            inc.last = e.time
            if let c = e.client, !inc.clients.contains(c) { inc.clients.append(c) }
            inc.evidence.add(e, note: "primary had it \(Report.secs(Finding.secs(had.since, e.time))) before")
            for r in registryLines.find(site: e.site, around: e.time, window: 2_000_000_000, { $0.repository == e.repository }) {
                inc.evidence.add(r)
            }
            open[id] = inc
            return
        }
        // The key is made only when an incident is open and the request succeeded.
        guard !open.isEmpty, e.status >= 200, e.status < 400 else { return }
        let id = ArtifactIncidentKey(e.site, repo, ref)
        guard var inc = open[id] else { return }
        if e.methodCode == .put {
            if inc.availableAt == nil {
                inc.availableAt = e.time
                inc.evidence.add(e, note: "replicated")
                open[id] = inc
            }
        } else if e.isRead, !e.isReplicator {
            inc.servedAt = e.time
            if inc.availableAt == nil { inc.availableAt = e.time }
            inc.evidence.add(e, note: "served")
            open[id] = nil
            closed.append(inc)
        }
    }

    /// A registry error line written just after the nginx line it belongs to.
    /// Every open incident is looked at in place, the time first: a loop over `(id, inc)` copied
    /// each one out (its strings, clients and evidence retained and released) before testing it,
    /// and an error line of a busy secondary met hundreds of them.
    private func attachRegistryLine(_ r: Event) {
        guard !open.isEmpty else { return }
        var i = open.values.startIndex
        while i != open.values.endIndex {
            if abs(r.time - open.values[i].last) <= 2_000_000_000, open.values[i].site == r.site, open.values[i].repository == r.repository {
                open.values[i].evidence.add(r)
            }
            open.values.formIndex(after: &i)
        }
    }

    public func finish(_ ctx: AnalysisContext) -> [Finding] {
        (closed + open.values).sorted { ($0.first, $0.site, $0.repository, $0.reference) < ($1.first, $1.site, $1.repository, $1.reference) }
            .map { inc in
                let delay = Finding.secs(inc.primarySince, inc.first)
                let what = inc.reference.hasPrefix("sha256:") ? "\(inc.repository)@\(inc.reference)" : "\(inc.repository):\(inc.reference)"
                let summary: String
                if let s = inc.availableAt ?? inc.servedAt {
                    summary = "\(inc.count) pull request\(inc.count == 1 ? "" : "s") of \(what) got 404 on \(inc.site) while \(ctx.primary) had it; available there \(Report.secs(Finding.secs(inc.first, s))) after the first miss (replication lag)"
                } else {
                    summary = "\(inc.count) pull request\(inc.count == 1 ? "" : "s") of \(what) got 404 on \(inc.site) while \(ctx.primary) had it; never served there"
                }
                return Finding(
                    detector: id, site: inc.site, severity: delay > settings.maxLagSecs ? "critical" : "warning", summary: summary,
                    labels: ["detector": id, "site": inc.site, "repository": inc.repository, "reference": inc.reference],
                    details: [
                        ("repository", .string(inc.repository)), ("reference", .string(inc.reference)),
                        ("kind", .string(inc.kind.rawValue)), ("primary_site", .string(ctx.primary)),
                        ("primary_since", .time(inc.primarySince)), ("first_404", .time(inc.first)), ("last_404", .time(inc.last)),
                        ("secs_after_primary", .double(delay)), ("failed_requests", .int(inc.count)),
                        ("clients", .strings(inc.clients)), ("available_at", inc.availableAt.map { .time($0) } ?? .null),
                        ("served_at", inc.servedAt.map { .time($0) } ?? .null),
                        ("outcome", .string(inc.servedAt == nil && inc.availableAt == nil ? "missing" : "replication_lag")),
                    ],
                    firstSeen: inc.first, lastSeen: inc.last, resolvedAt: inc.servedAt, count: inc.count, evidence: inc.evidence.all)
            }
    }
}
