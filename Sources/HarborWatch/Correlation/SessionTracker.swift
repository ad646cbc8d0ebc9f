/// Client sessions per (site, client address, user agent): the token dance, push sessions and pull
/// sessions, each with its outcome.
///
/// A session is the run of one client's requests with no gap over `idle` seconds. It is a push when
/// it wrote (upload or manifest PUT) — successful when a manifest PUT succeeded — else a pull when
/// it read a manifest — successful when its last manifest read succeeded.
public final class SessionTracker {
    /// Session counts of one site.
    public struct Counts: Sendable, Equatable {
        /// `GET /v2/` 401 followed by a token 200 in the same session.
        public var tokenDances = 0
        /// Push sessions that ended with a manifest PUT 2xx.
        public var pushesOK = 0
        /// Push sessions that did not.
        public var pushesFailed = 0
        /// Pull sessions whose last manifest read succeeded.
        public var pullsOK = 0
        /// Pull sessions whose last manifest read failed.
        public var pullsFailed = 0
        /// All sessions (including ones that only pinged or asked for a token).
        public var sessions = 0
    }

    struct Session {
        var site: String
        var last: Int64
        var challenged = false
        var danced = false
        var wrote = false
        var pushed = false
        var readManifest = false
        var lastReadOK = false
    }

    /// Per site.
    public var counts: [String: Counts] { siteCounts.dictionary }
    private var siteCounts = SiteSlots(Counts())
    private var open: [HashKey: Session] = [:]
    private let idle: Int64
    private var sinceSweep = 0

    /// A tracker closing sessions after `idleSecs` of quiet.
    public init(idleSecs: Double = 60) { idle = Int64(idleSecs * 1e9) }

    func observe(_ e: Event, _ ctx: AnalysisContext) {
        guard ctx.isFront(e), !e.isReplicator else { return }
        let key = HashKey(e.clientKey)
        // Updated in place (one lookup, and the session's site is not retained and released
        // by a copy out and back).
        if let i = open.index(forKey: key) {
            if e.time - open.values[i].last > idle {
                close(open.values[i])
                open.values[i] = Session(site: e.site, last: e.time)
            }
            Self.update(&open.values[i], e)
        } else {
            var s = Session(site: e.site, last: e.time)
            Self.update(&s, e)
            open[key] = s
        }
        sinceSweep += 1
        if sinceSweep >= 20_000 {
            sinceSweep = 0
            // Looked at in place (a loop over the pairs copied every session out, its site
            // retained and released); the idle ones closed and then removed.
            var idleKeys: [HashKey] = []
            for i in open.values.indices where e.time - open.values[i].last > idle {
                close(open.values[i])
                idleKeys.append(open.keys[i])
            }
            for k in idleKeys { open[k] = nil }
        }
    }

    /// `s` after `e`, one of its requests.
    @inline(__always)
    private static func update(_ s: inout Session, _ e: Event) {
        s.last = e.time
        let ok = e.status >= 200 && e.status < 400
        switch e.kind {
        case .ping: if e.status == 401 { s.challenged = true }
        case .token: if ok && s.challenged { s.danced = true }
        case .upload: if e.methodCode != .get && e.methodCode != .head { s.wrote = true }
        case .manifest:
            if e.methodCode == .put {
                s.wrote = true
                if ok { s.pushed = true }
            } else if e.isRead, e.status != 401 {
                s.readManifest = true
                s.lastReadOK = ok
            }
        default: break
        }
    }

    private func close(_ s: Session) { Self.count(s, into: &siteCounts[s.site]) }

    private static func count(_ s: Session, into c: inout Counts) {
        c.sessions += 1
        if s.danced { c.tokenDances += 1 }
        if s.wrote {
            if s.pushed { c.pushesOK += 1 } else { c.pushesFailed += 1 }
        } else if s.readManifest {
            if s.lastReadOK { c.pullsOK += 1 } else { c.pullsFailed += 1 }
        }
    }

    /// Closes every open session (end of input).
    func finish() {
        for s in open.values.sorted(by: { $0.last < $1.last }) { close(s) }
        open = [:]
    }
}
