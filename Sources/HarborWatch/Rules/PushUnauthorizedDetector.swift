/// `push_unauthorized`: a push that meets 401 — at its token request, a blob HEAD check, a
/// cross-repository mount, an upload POST/PATCH/PUT or the manifest PUT — and does not then
/// succeed with a good retry.
///
/// The challenge 401 on `GET /v2/` is never a failure, nor is an anonymous-first request that a
/// token and a good retry follow within `retry_grace_secs`. Sessions are keyed by site, client
/// address and user agent (Harbor's proxy log carries no user; the token request's `account`
/// names it). The cause is read from the evidence: `bad_credentials` (token 401, core's
/// `failed to authenticate user`), `anonymous` (no token asked for), `token_without_push` (the
/// token's scope lacks push), `no_credentials_on_write` (the registry saw writes without
/// credentials, or a proxy with a path prefix answered 401 — the seed's `/registry/` case),
/// `core_registry_credential_mismatch` (the registry refused core's own credentials),
/// `expired_token`, else `token_rejected`. One finding per (site, user or client, repository).
public final class PushUnauthorizedDetector: Detector {
    public let id = "push_unauthorized"
    let settings: DetectorSettings

    /// One client's token history. Packed into 48 bytes (was 72): there is one per client key for
    /// an hour, tens of thousands on a busy registry, the detector's whole heap.
    struct Session {
        var lastSeen: Int64
        private var okAt: Int64 = .min
        private var failAt: Int64 = .min
        var user: String?
        /// What the last good token's `scope.actions` said of push.
        private var scope: Scope = .none
        private enum Scope: UInt8 { case none, withPush, withoutPush }

        init(lastSeen: Int64) { self.lastSeen = lastSeen }

        /// When the client last got a token (nil: never in this session).
        var tokenOK: Int64? {
            get { okAt == .min ? nil : okAt }
            set { okAt = newValue ?? .min }
        }
        /// When a token request of the client last failed.
        var tokenFail: Int64? {
            get { failAt == .min ? nil : failAt }
            set { failAt = newValue ?? .min }
        }
        /// Whether the last good token's actions included push (nil: it named none).
        var tokenGrantsPush: Bool? {
            get { scope == .none ? nil : scope == .withPush }
            set { scope = newValue.map { $0 ? .withPush : .withoutPush } ?? .none }
        }
    }

    struct Pending {
        var event: Event
        var session: UInt64
        /// The session as it was at the 401 (later token requests of others behind the same
        /// address must not change who failed, or why).
        var state: Session
    }

    struct Incident {
        var site: String
        var who: String
        var user: String?
        var repository: String
        var clients: [String] = []
        var first: Int64
        var last: Int64
        var count = 0
        var causes: [String: Int] = [:]
        var resolvedAt: Int64?
        var evidence: EvidenceList
    }

    private var sessions: [HashKey: Session] = [:]
    private var pending: [Pending] = []
    /// Open incidents, by site, who and repository.
    private var open: [IncidentKey: Incident] = [:]
    struct IncidentKey: Hashable {
        var site: String, who: String, repository: String
    }
    private var closed: [Incident] = []
    private let side: RecentLines
    private var counter = 0

    init(settings: DetectorSettings) {
        self.settings = settings
        side = RecentLines(keepNanos: 60_000_000_000)
    }

    public func observe(_ e: Event, _ ctx: AnalysisContext) {
        if ctxRef !== ctx { ctxRef = ctx }  // the same context every event: no retain and release of it
        confirmExpired(now: e.time)
        if !ctx.isFront(e) {
            if isSideEvidence(e) { side.add(e) }
            return
        }
        let key = HashKey(e.clientKey)
        // The session is read and written in place, at its index: one lookup, and no copy of it
        // (and of its user) out and back per event. Nothing below adds to or removes from
        // `sessions` before the sweep at the end, so the index holds.
        let at: Dictionary<HashKey, Session>.Index
        if let i = sessions.index(forKey: key) {
            at = i
            if e.time - sessions.values[at].lastSeen > 3_600_000_000_000 { sessions.values[at] = Session(lastSeen: e.time) }
        } else {
            sessions[key] = Session(lastSeen: e.time)
            at = sessions.index(forKey: key)!
        }
        sessions.values[at].lastSeen = e.time
        defer {
            counter += 1
            if counter >= 100_000 { counter = 0; sweep(now: e.time) }
        }
        if e.kind == .token {
            // Each token request says who the client is now (`account=`, none for an anonymous
            // token): clients behind one address and user agent must not lend each other a user.
            if e.status == 200 {
                sessions.values[at].tokenOK = e.time
                sessions.values[at].tokenGrantsPush = e.fields["scope.actions"].map { $0.firstRange(ofASCII: "push") != nil }
                sessions.values[at].user = e.user
            } else if e.status == 401 {
                let user = e.user
                sessions.values[at].tokenFail = e.time
                sessions.values[at].user = user
                if let actions = e.fields["scope.actions"], actions.firstRange(ofASCII: "push") != nil, let repo = e.repository {
                    fail(e, repo: repo, user: user, cause: "bad_credentials", ctx)
                } else if let who = user ?? e.client, let inc = recentIncident(site: e.site, who: who, at: e.time) {
                    // A failed login right after failed pushes belongs to the same incident.
                    fail(e, repo: inc.repository, user: user, cause: "bad_credentials", ctx)
                }
            }
            return
        }
        guard let repo = e.repository else { return }
        let isWrite = e.isPushWrite || (e.kind == .blob && e.methodCode == .head && (sessions.values[at].tokenGrantsPush ?? false))
        guard isWrite else { return }
        if e.status == 401 {
            pending.append(Pending(event: e, session: key.bits, state: sessions.values[at]))
        } else if e.status >= 200, e.status < 400 {
            // A good retry clears this session's recent 401s on the repository.
            let grace = nanos(settings.retryGraceSecs)
            pending.removeAll { $0.session == key.bits && $0.event.repository == repo && e.time - $0.event.time <= grace }
            if e.kind == .manifest, e.methodCode == .put {
                let who = sessions.values[at].user ?? e.client ?? "-"
                if !open.isEmpty, var inc = open.removeValue(forKey: IncidentKey(site: e.site, who: who, repository: repo)) {
                    inc.resolvedAt = e.time
                    inc.evidence.add(e, note: "push completed")
                    closed.append(inc)
                }
            }
        }
    }

    private func isSideEvidence(_ e: Event) -> Bool {
        if e.component == .registry, let m = e.message, e.level == .warning || e.level == .error {
            return m.hasASCIIPrefix("error authorizing context") || m.hasASCIIPrefix("error authenticating user")
        }
        if e.component == .core, e.errorCode == "AUTHENTICATION_FAILED" || e.errorCode == "LOGIN_FAILED" { return true }
        if (e.component == .nginx || e.component == .proxy), e.status == 401, e.kind != .ping { return true }
        return false
    }

    private func confirmExpired(now: Int64) {
        guard let first = pending.first, now - first.event.time > nanos(settings.retryGraceSecs) else { return }
        let grace = nanos(settings.retryGraceSecs)
        var keep: [Pending] = []
        for p in pending {
            if now - p.event.time > grace { confirm(p) } else { keep.append(p) }
        }
        pending = keep
    }

    private var ctxRef: AnalysisContext?

    private func confirm(_ p: Pending) {
        guard let ctx = ctxRef else { return }
        let (cause, notes) = classify(p.event, session: p.state)
        fail(p.event, repo: p.event.repository ?? "", user: p.state.user, cause: cause, ctx, extra: notes)
    }

    /// The cause of a write 401, and the side lines that show it.
    ///
    /// Many clients may share one address (NAT, a CI farm, the lab's loopback): a side line counts
    /// for this session only when it names the session's user, or, naming none, comes from the
    /// same address within a few seconds of the session's own token request; registry lines must
    /// be about the same repository and method.
    private func classify(_ e: Event, session s: Session) -> (String, [Event]) {
        let window: Int64 = 3_000_000_000
        let registry = side.find(site: e.site, around: e.time, window: window) {
            $0.component == .registry && $0.repository == e.repository && ($0.method == nil || $0.method == e.method)
        }
        let prefixed = side.find(site: e.site, around: e.time, window: window) {
            ($0.component == .nginx || $0.component == .proxy) && $0.pathPrefix != nil && $0.repository == e.repository
        }
        let tokenTimes = [s.tokenOK, s.tokenFail].compactMap { $0 }
        let authFail = side.find(site: e.site, around: e.time, window: 60_000_000_000) { x in
            guard x.component == .core else { return false }
            if let u = x.user { return u == s.user }
            return x.client == e.client && tokenTimes.contains { abs($0 - x.time) <= window }
        }
        func said(_ prefix: String) -> [Event] { registry.filter { $0.message?.hasPrefix(prefix) == true } }
        if s.tokenOK == nil {
            if s.tokenFail != nil || !authFail.isEmpty { return ("bad_credentials", authFail) }
            return ("anonymous", [])
        }
        if let t = s.tokenFail, t > s.tokenOK! { return ("bad_credentials", authFail) }
        // Harbor answers a scoped token request with bad credentials by an anonymous token (200);
        // core's `failed to authenticate user` line tells.
        if !authFail.isEmpty { return ("bad_credentials", authFail) }
        // A token asked for without an account is an anonymous one: it never grants push.
        if s.user == nil { return ("anonymous", said("error authorizing context")) }
        let scope = said("error authorizing context: insufficient scope")
        if !scope.isEmpty { return ("token_without_push", scope) }
        if s.tokenGrantsPush == false { return ("token_without_push", []) }
        let mismatch = said("error authenticating user")
        if !mismatch.isEmpty { return ("core_registry_credential_mismatch", mismatch) }
        let noToken = said("error authorizing context")
        if !prefixed.isEmpty || !noToken.isEmpty { return ("no_credentials_on_write", prefixed + noToken) }
        if e.time - s.tokenOK! > nanos(settings.tokenLifetimeSecs) { return ("expired_token", []) }
        return ("token_rejected", registry)
    }

    private func fail(_ e: Event, repo: String, user: String?, cause: String, _ ctx: AnalysisContext, extra: [Event] = []) {
        ctxRef = ctx
        let who = user ?? e.client ?? "-"
        let id = IncidentKey(site: e.site, who: who, repository: repo)
        var inc = open[id] ?? Incident(site: e.site, who: who, user: user, repository: repo, first: e.time, last: e.time, evidence: EvidenceList(limit: settings.evidenceLimit))
        inc.count += 1
        inc.first = min(inc.first, e.time)
        inc.last = max(inc.last, e.time)
        inc.causes[cause, default: 0] += 1
        if let c = e.client, !inc.clients.contains(c) { inc.clients.append(c) }
        inc.evidence.add(e, note: cause)
        for x in extra where !inc.evidence.items.contains(where: { $0.file == x.file && $0.line == x.line }) { inc.evidence.add(x) }
        open[id] = inc
    }

    /// The open incident of `who` on `site` whose last failure is the latest within five minutes
    /// before `time` (on a tie, the first repository by name), or nil. Not the first one met in
    /// the dictionary: its order changes from run to run, and so did the incident a failed login
    /// joined.
    private func recentIncident(site: String, who: String, at time: Int64) -> Incident? {
        // Looked at in place, the time first (a loop over the values copied each incident out).
        var best: Dictionary<IncidentKey, Incident>.Index?
        for i in open.values.indices {
            let last = open.values[i].last
            guard time - last <= 300_000_000_000, open.values[i].who == who, open.values[i].site == site else { continue }
            if let b = best, open.values[b].last > last || (open.values[b].last == last && open.values[b].repository < open.values[i].repository) { continue }
            best = i
        }
        return best.map { open.values[$0] }
    }

    private func sweep(now: Int64) {
        sessions.removeAll { now - $0.value.lastSeen > 3_600_000_000_000 }
    }

    public func tick(_ ctx: AnalysisContext) {
        ctxRef = ctx
        confirmExpired(now: ctx.now)
    }

    public func finish(_ ctx: AnalysisContext) -> [Finding] {
        ctxRef = ctx
        for p in pending { confirm(p) }
        pending = []
        return snapshot(ctx)
    }

    public func snapshot(_ ctx: AnalysisContext) -> [Finding] {
        (closed + open.values).sorted { ($0.first, $0.site, $0.who, $0.repository) < ($1.first, $1.site, $1.who, $1.repository) }.map { inc in
            let cause = inc.causes.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key ?? "token_rejected"
            let who = inc.user.map { "user \($0)" } ?? "client \(inc.who)"
            var summary = "\(inc.count) push request\(inc.count == 1 ? "" : "s") of \(who) to \(inc.repository) on \(inc.site) got 401 (\(Self.explain(cause)))"
            if let r = inc.resolvedAt { summary += "; a push completed \(Report.secs(Finding.secs(inc.last, r))) later" }
            return Finding(
                detector: id, site: inc.site, severity: "critical", summary: summary,
                labels: ["detector": id, "site": inc.site, "repository": inc.repository, "user": inc.who],
                details: [
                    ("user", inc.user.map { .string($0) } ?? .null), ("clients", .strings(inc.clients)),
                    ("repository", .string(inc.repository)), ("cause", .string(cause)),
                    ("failed_requests", .int(inc.count)), ("first", .time(inc.first)), ("last", .time(inc.last)),
                    ("resolved_at", inc.resolvedAt.map { .time($0) } ?? .null),
                ],
                firstSeen: inc.first, lastSeen: inc.last, resolvedAt: inc.resolvedAt, count: inc.count, evidence: inc.evidence.all)
        }
    }

    /// A sentence for each cause.
    static func explain(_ cause: String) -> String {
        switch cause {
        case "bad_credentials": return "wrong user name or password"
        case "anonymous": return "no credentials: the client never asked for a token"
        case "token_without_push": return "the token grants no push access to the repository"
        case "no_credentials_on_write": return "writes reached the registry without credentials after a good login: a proxy or path prefix in front of the registry drops them"
        case "core_registry_credential_mismatch": return "the registry refused core's own credentials"
        case "expired_token": return "the token had expired"
        default: return "core refused the token"
        }
    }
}
