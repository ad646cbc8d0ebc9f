/// The registry's view of a request target: what it is about, which repository, which reference.
///
/// Works on the bytes of the path and query as logged. A path prefix before `/v2/` (the seed's
/// `/registry/v2/…`) is recognised and kept in `pathPrefix`.
public enum RegistryURI {
    /// Fills `kind`, `repository`, `reference`, `uploadId`, `uploadDigest`, `mountDigest`,
    /// `mountFrom`, `pathPrefix` (and `user` of a token request) from `path` and `query`.
    public static func classify(
        _ b: LineBytes, path: Range<Int>, query: Range<Int>?, into e: inout Event, interner: inout StringInterner
    ) {
        classify(b, path: path, query: query, e.writable(), interner: &interner)
    }

    /// `classify` into the box of an event a parser holds (made unique, written directly). With
    /// `keepRoute`, a `repository`, `reference` or `uploadId` the event already has is kept (the
    /// registry's route variables, read before): the path's is not even looked up then.
    static func classify(
        _ b: LineBytes, path: Range<Int>, query: Range<Int>?, _ w: EventStorage, interner: inout StringInterner,
        keepRoute: Bool = false
    ) {
        let lo = path.lowerBound, hi = path.upperBound
        guard hi > lo, b[lo] == ASCII.slash else { w.kind = .other; return }
        // Locate "/v2" followed by "/" or the end.
        var v2 = -1
        var i = lo
        // (The path's own first `/` is taken without a `memchr` call.)
        while let s = i < hi && b[i] == ASCII.slash ? i : b.find(ASCII.slash, from: i, to: hi) {
            if s + 3 <= hi, b[s + 1] == 0x76, b[s + 2] == 0x32, s + 3 == hi || b[s + 3] == ASCII.slash {
                v2 = s
                break
            }
            i = s + 1
            if s - lo > 64 { break }
        }
        if v2 < 0 {
            classifyOther(b, path: path, query: query, keepRoute, w, interner: &interner)
            return
        }
        if v2 > lo { w.setPathPrefix(interner.intern(b, lo..<v2)) }
        let rest = min(v2 + 4, hi)
        if rest >= hi { w.kind = .ping; return }
        if b.matches("_catalog", at: rest) { w.kind = .catalog; return }
        // The route is decided by the segments before the last one, so repository names may hold anything.
        let last = b.findLast(ASCII.slash, from: rest, to: hi) ?? (rest - 1)
        if last >= rest {
            if last - rest >= 10, b.matches("/manifests", at: last - 10) {
                w.kind = .manifest
                route(b, rest..<(last - 10), (last + 1)..<hi, keepRoute, w, interner: &interner)
                return
            }
            if last - rest >= 14, b.matches("/blobs/uploads", at: last - 14) {
                upload(b, repo: rest..<(last - 14), id: (last + 1)..<hi, query: query, keepRoute, w, interner: &interner)
                return
            }
            if last - rest >= 6, b.matches("/blobs", at: last - 6) {
                if last + 1 < hi, hi - last - 1 == 7, b.matches("uploads", at: last + 1) {
                    upload(b, repo: rest..<(last - 6), id: hi..<hi, query: query, keepRoute, w, interner: &interner)
                    return
                }
                w.kind = .blob
                route(b, rest..<(last - 6), (last + 1)..<hi, keepRoute, w, interner: &interner)
                return
            }
            if last - rest >= 5, hi - last == 5, b.matches("/tags/list", at: last - 5) {
                w.kind = .tags
                route(b, rest..<(last - 5), hi..<hi, keepRoute, w, interner: &interner)
                return
            }
            if last - rest >= 10, b.matches("/referrers", at: last - 10) {
                w.kind = .other
                route(b, rest..<(last - 10), (last + 1)..<hi, keepRoute, w, interner: &interner)
                return
            }
        }
        w.kind = .other
    }

    /// Sets `repository` from `repo` and `reference` from `ref` (when not empty); with
    /// `keepRoute`, only those the event does not have yet.
    @inline(__always)
    private static func route(
        _ b: LineBytes, _ repo: Range<Int>, _ ref: Range<Int>, _ keepRoute: Bool, _ w: EventStorage,
        interner: inout StringInterner
    ) {
        if !keepRoute || w.repository == nil { w.repository = interner.intern(b, repo) }
        if !ref.isEmpty, !keepRoute || w.reference == nil { w.reference = interner.reference(b, ref) }
    }

    private static func classifyOther(
        _ b: LineBytes, path: Range<Int>, query: Range<Int>?, _ keepRoute: Bool, _ w: EventStorage,
        interner: inout StringInterner
    ) {
        let lo = path.lowerBound, hi = path.upperBound
        if b.matches("/service/token", at: lo) {
            w.kind = .token
            if let q = query {
                // Interned by its bytes as logged: a few accounts ask for every token.
                queryValue(b, q, "account=") { w.user = interner.intern(b, $0) { Escapes.percent($0, $1) } }
                queryValue(b, q, "scope=") { r in
                    // Decoded and split as bytes: `repository:<name>:<actions>`.
                    Escapes.withPercentDecoded(b, r) { s in
                        w.fields["scope"] = interner.intern(s, 0..<s.count, maxLength: 256)
                        guard s.count > 11, s.matches("repository:", at: 0),
                            let colon = s.findLast(ASCII.colon, from: 11, to: s.count)
                        else { return }
                        if !keepRoute || w.repository == nil { w.repository = interner.intern(s, 11..<colon) }
                        w.fields["scope.actions"] = interner.intern(s, (colon + 1)..<s.count)
                    }
                }
            }
            return
        }
        if hi - lo == 1 || b.matches("/api/v2.0/ping", at: lo) || b.matches("/api/v2.0/health", at: lo)
            || b.matches("/api/health", at: lo)
        {
            w.kind = .health
            return
        }
        if b.matches("/api/", at: lo) || b.matches("/c/", at: lo) { w.kind = .api; return }
        w.kind = .other
    }

    private static func upload(
        _ b: LineBytes, repo: Range<Int>, id: Range<Int>, query: Range<Int>?, _ keepRoute: Bool, _ w: EventStorage,
        interner: inout StringInterner
    ) {
        w.kind = .upload
        if !keepRoute || w.repository == nil { w.repository = interner.intern(b, repo) }
        if !id.isEmpty, !keepRoute || w.uploadId == nil { w.uploadId = interner.transient(b, id) }
        if let q = query {
            queryValue(b, q, "digest=") { w.setUploadDigest(interner.transientPercentDecoded(b, $0)) }
            queryValue(b, q, "mount=") { w.setMountDigest(Escapes.percent(b, $0)) }
            queryValue(b, q, "from=") { w.setMountFrom(Escapes.percent(b, $0)) }
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
