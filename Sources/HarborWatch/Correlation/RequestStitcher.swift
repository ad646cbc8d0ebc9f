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
        var key: UInt64
        /// `Event.pathHash`: the path's text compared without making a String of it.
        var path: UInt64
        var time: Int64
        var expected = true
    }

    /// Per site.
    public var counts: [String: Counts] { siteCounts.dictionary }
    private var siteCounts = SiteSlots(Counts())

    /// Lines waiting for their partner, per 64-bit hash of site + join key, in arrival order.
    /// Changed in place: a copy of a list per line made long runs quadratic (a site whose registry
    /// log is missing leaves every front line waiting). The hash spares a String per line.
    private struct Side {
        var buckets: [HashKey: [Pending]] = [:]
        var count = 0
    }
    private var front = Side()
    private var registry = Side()
    private var sinceSweep = 0
    private var ids: [String: Int64] = [:]
    private let tolerance: Int64

    /// A stitcher joining lines up to `tolerance` apart.
    public init(toleranceNanos: Int64 = 2_000_000_000) { tolerance = toleranceNanos }

    /// Reads one event (in time order).
    func observe(_ e: Event, _ ctx: AnalysisContext) {
        let component = e.component
        if component == .core, let id = e.requestId {
            ids[id] = e.time
        }
        if ctx.isFront(e), component != .registry {
            let site = e.site
            if let id = e.requestId, ids[id] != nil { siteCounts[site].byRequestId += 1 }
            let kind = e.kind
            guard kind == .manifest || kind == .blob || kind == .upload, e.status != 401 else { return }
            // Requests core may answer itself (DB misses) are expected only when a registry line shows up.
            let expected = reachesRegistry(e)
            if expected { siteCounts[site].frontCandidates += 1 }
            var p = Pending(key: key(e), path: e.s.pathHash(), time: e.time)
            p.expected = expected
            if take(&registry, p, rewrites: kind == .manifest && e.isRead) != nil {
                if !expected { siteCounts[site].frontCandidates += 1 }
                siteCounts[site].frontJoined += 1
                siteCounts[site].registryJoined += 1
            } else {
                append(&front, p)
            }
        } else if component == .registry, e.format == .registryLogrus, e.status != 0, e.method != nil {
            if let h = e.host, h.hasASCIIPrefix("registry:") || h.hasASCIIPrefix("core:") { return }
            if e.kind == .health || e.kind == .none { return }
            let site = e.site
            siteCounts[site].registryCandidates += 1
            let p = Pending(key: key(e), path: e.s.pathHash(), time: e.time)
            if let partner = take(&front, p, rewrites: e.kind == .manifest && e.isRead) {
                if !partner.expected { siteCounts[site].frontCandidates += 1 }
                siteCounts[site].frontJoined += 1
                siteCounts[site].registryJoined += 1
            } else {
                append(&registry, p)
            }
        }
        if ids.count > 100_000 { ids = ids.filter { e.time - $0.value < 60_000_000_000 } }
        sinceSweep += 1
        if sinceSweep >= 65_536 {
            sinceSweep = 0
            sweep(&front, now: e.time)
            sweep(&registry, now: e.time)
        }
    }

    /// Drops what waited longer than the tolerance (lines whose partner never came).
    private func sweep(_ side: inout Side, now: Int64) {
        var count = 0
        side.buckets = side.buckets.compactMapValues { list in
            let kept = list.filter { now - $0.time <= tolerance }
            count += kept.count
            return kept.isEmpty ? nil : kept
        }
        side.count = count
    }

    private func reachesRegistry(_ e: Event) -> Bool {
        switch e.kind {
        case .ping, .token, .tags, .catalog, .health, .api, .none, .other: return false
        case .manifest, .blob, .upload:
            // core answers 401 and DB misses (404 for HEAD blob and manifests) itself
            if e.status == 401 { return false }
            if e.status == 404 && (e.kind == .manifest || e.methodCode == .head) { return false }
            return true
        }
    }

    /// `joinKey`, remembered for the strings of the last lines (interned: see `StringKeyMemo`).
    private var keys = StringKeyMemo()

    @inline(__always)
    private func key(_ e: Event) -> UInt64 {
        keys.key(e.site, e.method, e.repository, UInt64(bitPattern: Int64(e.status))) { Self.joinKey(e) }
    }

    /// The hash of site, method, status and repository (what a join must agree on, but the path).
    static func joinKey(_ e: Event) -> UInt64 {
        var h = KeyHash()
        h.add(e.site)
        h.add(e.method ?? "")
        h.add(byte: UInt8(truncatingIfNeeded: e.status >> 8))
        h.add(byte: UInt8(truncatingIfNeeded: e.status))
        h.add(e.repository ?? "")
        return h.value ^ (h.value >> 29)
    }

    private func append(_ side: inout Side, _ p: Pending) {
        side.buckets[HashKey(p.key), default: []].append(p)
        side.count += 1
    }

    /// Removes and reports a pending entry of the other side that matches `p`.
    private func take(_ side: inout Side, _ p: Pending, rewrites: Bool) -> Pending? {
        guard let slot = side.buckets.index(forKey: HashKey(p.key)) else { return nil }
        // In place through the index: one lookup, no copy of the list.
        let before = side.buckets.values[slot].count
        side.buckets.values[slot].removeAll { p.time - $0.time > tolerance }
        var partner: Pending?
        if let i = side.buckets.values[slot].firstIndex(where: { abs($0.time - p.time) <= tolerance && (rewrites || $0.path == p.path) }) {
            partner = side.buckets.values[slot].remove(at: i)
        }
        let after = side.buckets.values[slot].count
        side.count -= before - after
        if after == 0 { side.buckets.remove(at: slot) }
        return partner
    }
}
