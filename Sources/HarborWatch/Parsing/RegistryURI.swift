/// The registry's view of a request target: what it is about, which repository, which reference.
///
/// Works on the bytes of the path and query as logged. A path prefix before `/v2/` (the seed's
/// `/registry/v2/…`) is recognised and kept in `pathPrefix`.
public enum RegistryURI {
    /// Fills `kind`, `repository`, `reference`, `uploadId`, `uploadDigest`, `mountDigest`,
    /// `mountFrom`, `pathPrefix` (and `user` of a token request) from `path` and `query`.
    /// With `keepRoute`, a `repository`, `reference` or `uploadId` the event already has is kept
    /// (the registry's route variables, read before): the path's is not even looked up then.
    public static func classify(
        _ b: LineBytes, path: Range<Int>, query: Range<Int>?, into e: inout Event, interner: inout StringInterner,
        keepRoute: Bool = false
    ) {
        let lo = path.lowerBound, hi = path.upperBound
        guard hi > lo, b[lo] == ASCII.slash else { e.kind = .other; return }
        // Locate "/v2" followed by "/" or the end.
        var v2 = -1
        var i = lo
        while let s = b.find(ASCII.slash, from: i, to: hi) {
            if s + 3 <= hi, b[s + 1] == 0x76, b[s + 2] == 0x32, s + 3 == hi || b[s + 3] == ASCII.slash {
                v2 = s
                break
            }
            i = s + 1
            if s - lo > 64 { break }
        }
        if v2 < 0 {
            classifyOther(b, path: path, query: query, keepRoute, into: &e, interner: &interner)
            return
        }
        if v2 > lo { e.pathPrefix = interner.intern(b, lo..<v2) }
        let rest = min(v2 + 4, hi)
        if rest >= hi { e.kind = .ping; return }
        if b.matches("_catalog", at: rest) { e.kind = .catalog; return }
        // The route is decided by the segments before the last one, so repository names may hold anything.
        let last = b.findLast(ASCII.slash, from: rest, to: hi) ?? (rest - 1)
        if last >= rest {
            if last - rest >= 10, b.matches("/manifests", at: last - 10) {
                e.kind = .manifest
                route(b, rest..<(last - 10), (last + 1)..<hi, keepRoute, into: &e, interner: &interner)
                return
            }
            if last - rest >= 14, b.matches("/blobs/uploads", at: last - 14) {
                upload(b, repo: rest..<(last - 14), id: (last + 1)..<hi, query: query, keepRoute, into: &e, interner: &interner)
                return
            }
            if last - rest >= 6, b.matches("/blobs", at: last - 6) {
                if last + 1 < hi, hi - last - 1 == 7, b.matches("uploads", at: last + 1) {
                    upload(b, repo: rest..<(last - 6), id: hi..<hi, query: query, keepRoute, into: &e, interner: &interner)
                    return
                }
                e.kind = .blob
                route(b, rest..<(last - 6), (last + 1)..<hi, keepRoute, into: &e, interner: &interner)
                return
            }
            if last - rest >= 5, hi - last == 5, b.matches("/tags/list", at: last - 5) {
                e.kind = .tags
                route(b, rest..<(last - 5), hi..<hi, keepRoute, into: &e, interner: &interner)
                return
            }
            if last - rest >= 10, b.matches("/referrers", at: last - 10) {
                e.kind = .other
                route(b, rest..<(last - 10), (last + 1)..<hi, keepRoute, into: &e, interner: &interner)
                return
            }
        }
        e.kind = .other
    }

    /// Sets `repository` from `repo` and `reference` from `ref` (when not empty); with
    /// `keepRoute`, only those the event does not have yet.
    @inline(__always)
    private static func route(
        _ b: LineBytes, _ repo: Range<Int>, _ ref: Range<Int>, _ keepRoute: Bool, into e: inout Event,
        interner: inout StringInterner
    ) {
        if !keepRoute || e.repository == nil { e.repository = interner.intern(b, repo) }
        if !ref.isEmpty, !keepRoute || e.reference == nil { e.reference = interner.intern(b, ref, maxLength: 128) }
    }

    private static func classifyOther(
        _ b: LineBytes, path: Range<Int>, query: Range<Int>?, _ keepRoute: Bool, into e: inout Event,
        interner: inout StringInterner
    ) {
        let lo = path.lowerBound, hi = path.upperBound
        if b.matches("/service/token", at: lo) {
            e.kind = .token
            if let q = query {
                queryValue(b, q, "account=") { e.user = Escapes.percent(b, $0) }
                queryValue(b, q, "scope=") { r in
                    // Decoded and split as bytes: `repository:<name>:<actions>`.
                    let scope = Escapes.percentBytes(b, r)
                    scope.withUnsafeBufferPointer { s in
                        e.fields["scope"] = interner.intern(s, 0..<s.count, maxLength: 256)
                        guard s.count > 11, s.matches("repository:", at: 0),
                            let colon = s.findLast(ASCII.colon, from: 11, to: s.count)
                        else { return }
                        if !keepRoute || e.repository == nil { e.repository = interner.intern(s, 11..<colon) }
                        e.fields["scope.actions"] = interner.intern(s, (colon + 1)..<s.count)
                    }
                }
            }
            return
        }
        if hi - lo == 1 || b.matches("/api/v2.0/ping", at: lo) || b.matches("/api/v2.0/health", at: lo)
            || b.matches("/api/health", at: lo)
        {
            e.kind = .health
            return
        }
        if b.matches("/api/", at: lo) || b.matches("/c/", at: lo) { e.kind = .api; return }
        e.kind = .other
    }

    private static func upload(
        _ b: LineBytes, repo: Range<Int>, id: Range<Int>, query: Range<Int>?, _ keepRoute: Bool, into e: inout Event,
        interner: inout StringInterner
    ) {
        e.kind = .upload
        if !keepRoute || e.repository == nil { e.repository = interner.intern(b, repo) }
        if !id.isEmpty, !keepRoute || e.uploadId == nil { e.uploadId = b.string(id) }
        if let q = query {
            queryValue(b, q, "digest=") { e.uploadDigest = Escapes.percent(b, $0) }
            queryValue(b, q, "mount=") { e.mountDigest = Escapes.percent(b, $0) }
            queryValue(b, q, "from=") { e.mountFrom = Escapes.percent(b, $0) }
        }
    }

    /// Calls `body` with the range of the value of `key` (`digest=`) in the query `q`.
    @inline(__always)
    static func queryValue(_ b: LineBytes, _ q: Range<Int>, _ key: StaticString, _ body: (Range<Int>) -> Void) {
        var i = q.lowerBound
        let n = key.utf8CodeUnitCount
        while i < q.upperBound {
            let end = b.find(ASCII.ampersand, from: i, to: q.upperBound) ?? q.upperBound
            if end - i >= n, b.matches(key, at: i) {
                body((i + n)..<end)
                return
            }
            i = end + 1
        }
    }
}
