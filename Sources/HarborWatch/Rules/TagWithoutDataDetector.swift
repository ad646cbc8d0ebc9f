/// `tag_without_data`: on one site, a `tags/list` 200 followed within seconds by a 404 for a
/// manifest of that repository from the same client — the (shared) database lists tags whose
/// data that site's storage lacks.
public final class TagWithoutDataDetector: Detector {
    public let id = "tag_without_data"
    let settings: DetectorSettings

    struct Incident {
        var site: String
        var repository: String
        var reference: String
        var first: Int64
        var last: Int64
        var count = 0
        var clients: [String] = []
        var servedAt: Int64?
        var evidence: EvidenceList
    }

    private var lists: [HashKey: (time: Int64, event: Event)] = [:]
    private var open: [ArtifactIncidentKey: Incident] = [:]
    private var closed: [Incident] = []

    init(settings: DetectorSettings) { self.settings = settings }

    public func observe(_ e: Event, _ ctx: AnalysisContext) {
        guard ctx.isFront(e), !e.isReplicator, let repo = e.repository else { return }
        let kind = e.kind
        if kind == .tags, e.methodCode == .get, e.status == 200 {
            lists[HashKey(listKey(e, repo))] = (e.time, e)
            sweep(ctx)
            return
        }
        guard kind == .manifest, e.isRead, let ref = e.reference else { return }
        if e.status == 404, !lists.isEmpty, let l = lists[HashKey(listKey(e, repo))], e.time - l.time <= nanos(settings.tagWindowSecs), e.time >= l.time {
            let id = ArtifactIncidentKey(e.site, repo, ref)
            let client = e.client ?? "-"
            var inc = open[id] ?? Incident(site: e.site, repository: repo, reference: ref, first: e.time, last: e.time, evidence: EvidenceList(limit: settings.evidenceLimit))
            if inc.count == 0 || !inc.evidence.items.contains(Evidence(l.event, note: "tags/list listed the repository")) {
                inc.evidence.add(l.event, note: "tags/list listed the repository")
            }
            inc.evidence.add(e, note: "manifest missing \(Report.secs(Finding.secs(l.time, e.time))) after tags/list")
            inc.count += 1
            inc.last = e.time
            if !inc.clients.contains(client) { inc.clients.append(client) }
            open[id] = inc
        } else if e.status >= 200, e.status < 400, !open.isEmpty, var inc = open.removeValue(forKey: ArtifactIncidentKey(e.site, repo, ref)) {
            inc.servedAt = e.time
            inc.evidence.add(e, note: "served")
            closed.append(inc)
        }
    }

    /// Site, client and repository of a request, hashed: what a tags/list and a later manifest
    /// request must share (no String built per front line).
    @inline(__always)
    private func listKey(_ e: Event, _ repo: String) -> UInt64 {
        var h = KeyHash()
        h.add(e.site)
        h.add(e.client ?? "-")
        h.add(repo)
        return h.value
    }

    /// Drops the tags/list requests older than the window, once per window of event time (they
    /// hold whole events; counting 10,000 calls between sweeps kept up to 10,000 of them).
    private func sweep(_ ctx: AnalysisContext) {
        let window = nanos(settings.tagWindowSecs)
        guard ctx.now - lastSweep >= window else { return }
        lastSweep = ctx.now
        let horizon = ctx.now - window
        lists.removeAll { $0.value.time < horizon }
    }
    private var lastSweep: Int64 = 0

    public func finish(_ ctx: AnalysisContext) -> [Finding] {
        (closed + open.values).sorted { ($0.first, $0.site, $0.repository, $0.reference) < ($1.first, $1.site, $1.repository, $1.reference) }.map { inc in
            Finding(
                detector: id, site: inc.site, severity: "warning",
                summary: "tags/list on \(inc.site) lists \(inc.repository) but its manifest \(inc.reference) answered 404 (\(inc.count)×): the database has the tag, this site's storage does not",
                labels: ["detector": id, "site": inc.site, "repository": inc.repository, "reference": inc.reference],
                details: [
                    ("repository", .string(inc.repository)), ("reference", .string(inc.reference)),
                    ("first", .time(inc.first)), ("last", .time(inc.last)), ("failed_requests", .int(inc.count)),
                    ("clients", .strings(inc.clients)), ("served_at", inc.servedAt.map { .time($0) } ?? .null),
                ],
                firstSeen: inc.first, lastSeen: inc.last, resolvedAt: inc.servedAt, count: inc.count, evidence: inc.evidence.all)
        }
    }
}
