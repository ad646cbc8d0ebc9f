/// Joins the lines one HTTP request left in the front nginx and in the registry, and counts how
/// many could be joined per site.
///
/// Harbor's default logs share no request id, so the join is method + status + repository (+ the
/// path, except for manifest GET/HEAD, which core rewrites from tag to digest) within a time
/// tolerance; requests core answers itself (the `/v2/` challenge, tokens, tags/list, catalog)
/// never reach the registry and are not expected to join. Internal callers of the registry
/// (`registry:5000`, `core:8080`: core's abstractor, replication pulls) have no nginx line.
public final class RequestStitcher {
    /// Join counts of one site.
    public struct Counts: Sendable, Equatable {
        /// Front requests that should reach the registry.
        public var frontCandidates = 0
        /// … of which a registry line joined.
        public var frontJoined = 0
        /// Registry response lines of outside callers.
        public var registryCandidates = 0
        /// … of which a front line joined.
        public var registryJoined = 0
        /// Joins made by request id (a custom nginx format with `$upstream_http_x_request_id`).
        public var byRequestId = 0
    }

    private struct Pending {
        var key: String
        var path: String
        var time: Int64
        var expected = true
    }

    /// Per site.
    public private(set) var counts: [String: Counts] = [:]
    private var front: [String: [Pending]] = [:]
    private var registry: [String: [Pending]] = [:]
    private var ids: [String: Int64] = [:]
    private let tolerance: Int64

    /// A stitcher joining lines up to `tolerance` apart.
    public init(toleranceNanos: Int64 = 2_000_000_000) { tolerance = toleranceNanos }

    /// Reads one event (in time order).
    func observe(_ e: Event, _ ctx: AnalysisContext) {
        if let id = e.requestId, e.component == .core {
            ids[id] = e.time
        }
        if ctx.isFront(e), e.component != .registry {
            if let id = e.requestId, ids[id] != nil { counts[e.site, default: Counts()].byRequestId += 1 }
            guard e.kind == .manifest || e.kind == .blob || e.kind == .upload, e.status != 401 else { return }
            // Requests core may answer itself (DB misses) are expected only when a registry line shows up.
            let expected = reachesRegistry(e)
            if expected { counts[e.site, default: Counts()].frontCandidates += 1 }
            var p = Pending(key: key(e), path: e.path ?? "", time: e.time)
            p.expected = expected
            if take(&registry, e.site, p, rewrites: e.kind == .manifest && e.isRead) != nil {
                if !expected { counts[e.site, default: Counts()].frontCandidates += 1 }
                counts[e.site, default: Counts()].frontJoined += 1
                counts[e.site, default: Counts()].registryJoined += 1
            } else {
                append(&front, e.site, p)
            }
        } else if e.component == .registry, e.format == .registryLogrus, e.status != 0, e.method != nil {
            if let h = e.host, h.hasPrefix("registry:") || h.hasPrefix("core:") { return }
            if e.kind == .health || e.kind == .none { return }
            counts[e.site, default: Counts()].registryCandidates += 1
            let p = Pending(key: key(e), path: e.path ?? "", time: e.time)
            if let partner = take(&front, e.site, p, rewrites: e.kind == .manifest && e.isRead) {
                if !partner.expected { counts[e.site, default: Counts()].frontCandidates += 1 }
                counts[e.site, default: Counts()].frontJoined += 1
                counts[e.site, default: Counts()].registryJoined += 1
            } else {
                append(&registry, e.site, p)
            }
        }
        if ids.count > 100_000 { ids = ids.filter { e.time - $0.value < 60_000_000_000 } }
    }

    private func reachesRegistry(_ e: Event) -> Bool {
        switch e.kind {
        case .ping, .token, .tags, .catalog, .health, .api, .none, .other: return false
        case .manifest, .blob, .upload:
            // core answers 401 and DB misses (404 for HEAD blob and manifests) itself
            if e.status == 401 { return false }
            if e.status == 404 && (e.kind == .manifest || e.method == "HEAD") { return false }
            return true
        }
    }

    private func key(_ e: Event) -> String {
        (e.method ?? "") + " " + String(e.status) + " " + (e.repository ?? "")
    }

    private func append(_ side: inout [String: [Pending]], _ site: String, _ p: Pending) {
        var list = side[site, default: []]
        list.append(p)
        if list.count > 4096 { list.removeAll { p.time - $0.time > tolerance } }
        side[site] = list
    }

    /// Removes and reports a pending entry of the other side that matches `p`.
    private func take(_ side: inout [String: [Pending]], _ site: String, _ p: Pending, rewrites: Bool) -> Pending? {
        guard var list = side[site] else { return nil }
        list.removeAll { p.time - $0.time > tolerance }
        if let i = list.firstIndex(where: { $0.key == p.key && abs($0.time - p.time) <= tolerance && (rewrites || $0.path == p.path) }) {
            let partner = list.remove(at: i)
            side[site] = list
            return partner
        }
        side[site] = list
        return nil
    }
}
