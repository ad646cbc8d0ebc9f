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
        var out: [Scheduled] = []
        for g in groups(alerts) {
            out += simulate(g, all: alerts, end: end)
        }
        return Self.ordered(out)
    }

    /// What one group has sent, kept from one look to the next by `advance`.
    public struct GroupProgress: Sendable, Equatable, Codable {
        /// The last tick processed, and whether the group had a firing alert then.
        var lastTick: Int64?
        var firingAtLastTick = false
        var lastSent: [String: Alert.Status] = [:]
        var lastSentAt: Int64 = .min
        var resolvedSent = Set<String>()
    }

    /// Every group's progress (a stream keeps one, and starts afresh when the rules change). A
    /// checkpoint keeps it, so groups go on after a restart from where they were.
    public struct Progress: Sendable, Equatable, Codable {
        var groups: [String: GroupProgress] = [:]
        /// An empty progress: the next `advance` schedules from each group's first change.
        public init() {}

        /// The alerts some group last notified as firing (their resolution is still to be sent).
        public var firingSent: Set<String> {
            var out = Set<String>()
            for g in groups.values { for (k, v) in g.lastSent where v == .firing { out.insert(k) } }
            return out
        }
    }

    /// The notifications of `alerts` due from where `progress` left off up to event time `end`.
    ///
    /// A stream looks at its alerts again and again; `schedule` would simulate every group from
    /// its first alert at each look, building every notification of the run again (over 10 M
    /// lines that was a third of `analyze --state`'s time, and its memory grew with the run). This
    /// goes on from each group's last tick: the ticks, states and notifications are those
    /// `schedule` gives for alerts that change after the tick before them. An alert that turns up
    /// with a time before a group's last tick (a late finding) goes out at the group's next tick,
    /// where `schedule` would date it at the past tick it missed.
    public func advance(_ alerts: [Alert], to end: Int64, progress: inout Progress) -> [Scheduled] {
        var out: [Scheduled] = []
        for g in groups(alerts) {
            let wait = nanos(g.route.groupWaitSecs)
            let interval = nanos(g.route.groupIntervalSecs)
            let repeatEvery = nanos(g.route.repeatIntervalSecs)
            var p = progress.groups[g.key] ?? GroupProgress()
            var t: Int64?
            if let last = p.lastTick {
                var pending = Self.firstChange(g.alerts, after: last)
                if pending == nil {
                    // A late alert (its change before the last tick) that the group has not sent.
                    let state = self.state(g.alerts, at: last, resolvedSent: p.resolvedSent, all: alerts)
                    if !state.isEmpty, Self.changed(Self.statuses(state), since: p.lastSent) { pending = last + 1 }
                }
                t = Self.next(after: last, pending: pending, firing: p.firingAtLastTick, interval: interval, repeatEvery: repeatEvery)
            } else if let first = g.alerts.lazy.map(\.startsAt).min() {
                t = first + wait
            }
            while let tick = t, tick <= end {
                let (sent, firing) = step(g, at: tick, &p, all: alerts, repeatEvery: repeatEvery)
                if let sent { out.append(sent) }
                p.lastTick = tick
                p.firingAtLastTick = firing
                t = Self.next(after: tick, pending: Self.firstChange(g.alerts, after: tick), firing: firing, interval: interval, repeatEvery: repeatEvery)
            }
            progress.groups[g.key] = p
        }
        return Self.ordered(out)
    }

    /// A group of alerts: its receiver, route, key and group labels.
    private struct Group {
        var receiver: String
        var route: RouteSpec
        var key: String
        var groupLabels: [String: String]
        var alerts: [Alert] = []
    }

    /// The groups of `alerts`, by key.
    private func groups(_ alerts: [Alert]) -> [Group] {
        var groups: [String: Group] = [:]
        for a in alerts {
            for (path, receiver, r) in matches(a.labels) {
                let gl = Dictionary(uniqueKeysWithValues: r.groupBy.map { ($0, a.labels[$0] ?? "") })
                let key = path + "{" + r.groupBy.map { "\($0)=\"\(a.labels[$0] ?? "")\"" }.joined(separator: ",") + "}:" + receiver
                groups[key, default: Group(receiver: receiver, route: r, key: key, groupLabels: gl)].alerts.append(a)
            }
        }
        return groups.keys.sorted().map { groups[$0]! }
    }

    private static func ordered(_ out: [Scheduled]) -> [Scheduled] {
        out.sorted { ($0.at, $0.notification.receiver, $0.notification.groupKey) < ($1.at, $1.notification.receiver, $1.notification.groupKey) }
    }

    /// The group's alerts as they stand at `t`: resolved ones already sent and inhibited ones left out.
    private func state(_ alerts: [Alert], at t: Int64, resolvedSent: Set<String>, all: [Alert]) -> [Alert] {
        var state: [Alert] = []
        for a in alerts where a.startsAt <= t {
            var x = a
            if let e = a.endsAt, e <= t { x.status = .resolved } else { x.status = .firing; x.endsAt = nil }
            if x.status == .resolved && resolvedSent.contains(a.fingerprint) { continue }
            if inhibited(a, at: t, among: all) { continue }
            state.append(x)
        }
        return state
    }

    /// The earliest start or end of `alerts` after `t` (the group's next change), without building
    /// a list of every change at each tick.
    private static func firstChange(_ alerts: [Alert], after t: Int64) -> Int64? {
        var first: Int64?
        for a in alerts {
            if a.startsAt > t, a.startsAt < first ?? .max { first = a.startsAt }
            if let e = a.endsAt, e > t, e < first ?? .max { first = e }
        }
        return first
    }

    /// Each alert's status, by fingerprint.
    private static func statuses(_ state: [Alert]) -> [String: Alert.Status] {
        Dictionary(state.map { ($0.fingerprint, $0.status) }, uniquingKeysWith: { a, _ in a })
    }

    /// True when `now` differs from what was last sent (resolved alerts sent are gone from both).
    private static func changed(_ now: [String: Alert.Status], since lastSent: [String: Alert.Status]) -> Bool {
        now != lastSent.filter { now[$0.key] != nil || $0.value == .firing }
    }

    /// One tick of a group at `t`: the notification due then, if any, and whether an alert fires.
    private func step(_ g: Group, at t: Int64, _ p: inout GroupProgress, all: [Alert], repeatEvery: Int64) -> (Scheduled?, Bool) {
        let state = self.state(g.alerts, at: t, resolvedSent: p.resolvedSent, all: all)
        let firing = state.contains { $0.status == .firing }
        let now = Self.statuses(state)
        let due = Self.changed(now, since: p.lastSent) || (firing && t - p.lastSentAt >= repeatEvery)
        guard due, !state.isEmpty else { return (nil, firing) }
        p.lastSent = now
        p.lastSentAt = t
        for a in state where a.status == .resolved { p.resolvedSent.insert(a.fingerprint) }
        return (Scheduled(at: t, notification: notification(g.receiver, g.key, g.groupLabels, state, at: t)), firing)
    }

    /// The group's next tick after `t`: changes go out at the group's ticks, `group_interval`
    /// apart from its first notification; a firing group repeats every `repeat_interval`.
    private static func next(after t: Int64, pending: Int64?, firing: Bool, interval: Int64, repeatEvery: Int64) -> Int64? {
        var next: Int64?
        if let c = pending { next = t + max(1, (c - t + interval - 1) / interval) * interval }
        if firing {
            let rep = t + repeatEvery
            next = next.map { min($0, rep) } ?? rep
        }
        return next
    }

    private func simulate(_ g: Group, all: [Alert], end: Int64) -> [Scheduled] {
        let wait = nanos(g.route.groupWaitSecs), interval = nanos(g.route.groupIntervalSecs), repeatEvery = nanos(g.route.repeatIntervalSecs)
        guard let first = g.alerts.lazy.map(\.startsAt).min() else { return [] }
        var out: [Scheduled] = []
        var t = first + wait
        var p = GroupProgress()
        while true {
            let (sent, firing) = step(g, at: t, &p, all: all, repeatEvery: repeatEvery)
            if let sent { out.append(sent) }
            // The next moment something can be sent; repeats stop at `end`.
            let pendingChange = Self.firstChange(g.alerts, after: t)
            if pendingChange == nil && firing && t + repeatEvery > end { break }
            guard let n = Self.next(after: t, pending: pendingChange, firing: firing, interval: interval, repeatEvery: repeatEvery) else { break }
            t = n
        }
        return out
    }

    private func notification(_ receiver: String, _ key: String, _ gl: [String: String], _ alerts: [Alert], at t: Int64) -> Notification {
        let sorted = alerts.sorted { ($0.startsAt, $0.fingerprint) < ($1.startsAt, $1.fingerprint) }
        let common = Notification.shared(sorted.map(\.labels))
        let commonAnn = Notification.shared(sorted.map(\.annotations))
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
