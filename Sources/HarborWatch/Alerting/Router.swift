/// Routes alerts to receivers and groups them into notifications, in event time, the way
/// Alertmanager does: `group_wait` before a group's first notification, changes sent at most every
/// `group_interval`, a firing group repeated every `repeat_interval`, inhibited alerts muted.
///
/// The whole schedule is computed from the alerts' event times, so a replay of old logs gives the
/// same notifications, at the same (event) times, as the live run did.
public struct Router: Sendable {
    /// A notification and the event time it is due.
    public struct Scheduled: Sendable, Equatable {
        /// Event time (ns) the notification is due.
        public var at: Int64
        /// The notification.
        public var notification: Notification
    }

    let route: RouteSpec
    let inhibit: [InhibitRule]
    let defaultReceiver: String?

    /// A router for a rules file (no `route:`: everything to the first receiver, grouped by detector and site).
    public init(rules: RulesFile) {
        route = rules.route ?? RouteSpec(receiver: rules.receivers.first?.name)
        inhibit = rules.inhibitRules
        defaultReceiver = rules.receivers.first?.name
    }

    /// A router of `route` and `inhibit` rules.
    public init(route: RouteSpec, inhibit: [InhibitRule] = []) {
        self.route = route
        self.inhibit = inhibit
        defaultReceiver = route.receiver
    }

    /// The routes an alert goes to: (route path, receiver, the route's settings).
    func matches(_ labels: [String: String]) -> [(String, String, RouteSpec)] {
        var out: [(String, String, RouteSpec)] = []
        func walk(_ r: RouteSpec, _ path: String, _ inherited: String?) -> Bool {
            guard Self.matches(r, labels) else { return false }
            let receiver = r.receiver ?? inherited
            var matchedChild = false
            for (i, child) in r.routes.enumerated() {
                var c = child
                if c.groupBy == RouteSpec().groupBy && child.groupBy == RouteSpec().groupBy { c.groupBy = r.groupBy }
                if walk(c, path + "/\(i)", receiver) {
                    matchedChild = true
                    if !child.continue { break }
                }
            }
            if !matchedChild, let receiver { out.append((path, receiver, r)) }
            return true
        }
        _ = walk(route, "root", defaultReceiver)
        return out
    }

    static func matches(_ r: RouteSpec, _ labels: [String: String]) -> Bool {
        for (k, v) in r.match where labels[k] != v { return false }
        for (k, re) in r.matchRegex where !re.matches(labels[k] ?? "") { return false }
        return true
    }

    /// True when `a` is muted at `t` by a firing source alert of an inhibit rule.
    func inhibited(_ a: Alert, at t: Int64, among all: [Alert]) -> Bool {
        for rule in inhibit where rule.targetMatch.allSatisfy({ a.labels[$0.key] == $0.value }) {
            for s in all where s.fingerprint != a.fingerprint && rule.sourceMatch.allSatisfy({ s.labels[$0.key] == $0.value }) {
                guard s.startsAt <= t, s.endsAt.map({ $0 > t }) ?? true else { continue }
                if rule.equal.allSatisfy({ s.labels[$0] == a.labels[$0] }) { return true }
            }
        }
        return false
    }

    /// Every notification of `alerts`, up to event time `end` (repeats stop there; pending changes are still sent).
    public func schedule(_ alerts: [Alert], end: Int64) -> [Scheduled] {
        struct Group {
            var receiver: String
            var route: RouteSpec
            var key: String
            var groupLabels: [String: String]
            var alerts: [Alert] = []
        }
        var groups: [String: Group] = [:]
        for a in alerts {
            for (path, receiver, r) in matches(a.labels) {
                let gl = Dictionary(uniqueKeysWithValues: r.groupBy.map { ($0, a.labels[$0] ?? "") })
                let key = path + "{" + r.groupBy.map { "\($0)=\"\(a.labels[$0] ?? "")\"" }.joined(separator: ",") + "}:" + receiver
                groups[key, default: Group(receiver: receiver, route: r, key: key, groupLabels: gl)].alerts.append(a)
            }
        }
        var out: [Scheduled] = []
        for key in groups.keys.sorted() {
            let g = groups[key]!
            out += simulate(g.receiver, g.route, g.key, g.groupLabels, g.alerts, all: alerts, end: end)
        }
        return out.sorted { ($0.at, $0.notification.receiver, $0.notification.groupKey) < ($1.at, $1.notification.receiver, $1.notification.groupKey) }
    }

    private func simulate(_ receiver: String, _ r: RouteSpec, _ key: String, _ gl: [String: String], _ alerts: [Alert], all: [Alert], end: Int64) -> [Scheduled] {
        let wait = nanos(r.groupWaitSecs), interval = nanos(r.groupIntervalSecs), repeatEvery = nanos(r.repeatIntervalSecs)
        // Every time the group's content changes.
        let changes = Set(alerts.flatMap { [$0.startsAt] + ($0.endsAt.map { [$0] } ?? []) }).sorted()
        guard let first = changes.first else { return [] }
        var out: [Scheduled] = []
        var t = first + wait
        var lastSent: [String: Alert.Status] = [:]
        var lastSentAt: Int64 = .min
        var resolvedSent = Set<String>()
        while true {
            // The alerts as they stand at t, inhibited ones left out.
            var state: [Alert] = []
            for a in alerts where a.startsAt <= t {
                var x = a
                if let e = a.endsAt, e <= t { x.status = .resolved } else { x.status = .firing; x.endsAt = nil }
                if x.status == .resolved && resolvedSent.contains(a.fingerprint) { continue }
                if inhibited(a, at: t, among: all) { continue }
                state.append(x)
            }
            let now = Dictionary(state.map { ($0.fingerprint, $0.status) }, uniquingKeysWith: { a, _ in a })
            let changed = now != lastSent.filter { now[$0.key] != nil || $0.value == .firing }
            let firing = state.contains { $0.status == .firing }
            let due = changed || (firing && t - lastSentAt >= repeatEvery)
            if due, !state.isEmpty {
                out.append(Scheduled(at: t, notification: notification(receiver, key, gl, state, at: t)))
                lastSent = now
                lastSentAt = t
                for a in state where a.status == .resolved { resolvedSent.insert(a.fingerprint) }
            }
            // The next moment something can be sent.
            let pendingChange = changes.first { $0 > t }
            var next: Int64?
            // Changes go out at the group's ticks: group_interval apart from its first notification.
            if let c = pendingChange { next = t + max(1, (c - t + interval - 1) / interval) * interval }
            if firing || state.contains(where: { $0.status == .firing }) {
                let rep = t + repeatEvery
                next = next.map { min($0, rep) } ?? rep
                if pendingChange == nil && rep > end { next = nil }
            }
            guard let n = next else { break }
            t = n
        }
        return out
    }

    private func notification(_ receiver: String, _ key: String, _ gl: [String: String], _ alerts: [Alert], at t: Int64) -> Notification {
        let sorted = alerts.sorted { ($0.startsAt, $0.fingerprint) < ($1.startsAt, $1.fingerprint) }
        var common = sorted.first?.labels ?? [:]
        var commonAnn = sorted.first?.annotations ?? [:]
        for a in sorted.dropFirst() {
            common = common.filter { a.labels[$0.key] == $0.value }
            commonAnn = commonAnn.filter { a.annotations[$0.key] == $0.value }
        }
        let status: Alert.Status = sorted.contains { $0.status == .firing } ? .firing : .resolved
        let idem = Fingerprint.of([
            "receiver": receiver, "group": key, "at": String(t),
            "alerts": sorted.map { $0.fingerprint + ":" + $0.status.rawValue }.joined(separator: ","),
        ])
        return Notification(
            receiver: receiver, groupKey: key, status: status, groupLabels: gl, commonLabels: common, commonAnnotations: commonAnn,
            alerts: sorted, idempotencyKey: idem)
    }
}
