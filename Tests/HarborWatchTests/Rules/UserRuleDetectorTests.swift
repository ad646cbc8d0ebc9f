import Foundation
import Testing
@testable import HarborWatch

@Suite struct UserRuleDetectorTests {
    func rules(_ yaml: String) throws -> [UserRule] { try RulesLoader.load(text: yaml, path: "t.yaml").rules }

    func findings(_ s: Scenario, _ yaml: String) throws -> [Finding] {
        var settings = DetectorSettings()
        settings.enabled = []
        let dir = try TempDirectory()
        defer { dir.remove() }
        for (site, fs) in s.files { for (name, lines) in fs { try dir.write("\(site)/\(name)", Array((lines.joined(separator: "\n") + "\n").utf8)) } }
        var o = AnalyzeOptions()
        o.parse.year = 2024
        o.parse.syslogZone = .fixed(0)
        o.detectors = settings
        o.userRules = try rules(yaml)
        o.primary = "hub-1"
        return Analyzer.run(sources: InputResolver().resolve([InputSpec(path: dir.path)]).sources, options: o).findings
    }

    static let fiveHundreds = """
        rules:
          - name: errors
            kind: threshold
            match: {status: {min: 500}, path: {regex: "^/v2/.+/manifests/"}}
            group_by: [site]
            window_secs: 60
            threshold: 3
        """

    @Test func thresholdFiresAndResolves() throws {
        var s = Scenario()
        for t in ["02:00:00", "02:00:10", "02:00:20", "02:00:30"] { s.proxy("hub-1", t, "10.0.0.1", "GET /v2/a/manifests/1", 502) }
        s.proxy("hub-1", "02:05:00", "10.0.0.1", "GET /v2/", 401)
        let f = try findings(s, Self.fiveHundreds)
        try #require(f.count == 1)
        #expect(f[0].labels == ["detector": "errors", "site": "hub-1"])
        #expect(f[0].firstSeen == t("2024-09-18T02:00:20Z"))
        #expect(f[0].detail("peak_count") == .int(4))
        #expect(f[0].resolvedAt == t("2024-09-18T02:01:10Z"))
    }

    @Test func thresholdNotReached() throws {
        var s = Scenario()
        for t in ["02:00:00", "02:01:10", "02:02:20"] { s.proxy("hub-1", t, "10.0.0.1", "GET /v2/a/manifests/1", 502) }
        s.proxy("hub-1", "02:00:05", "10.0.0.1", "GET /v2/a/blobs/sha256:1", 502)
        #expect(try findings(s, Self.fiveHundreds).isEmpty)
    }

    static let ratio = """
        rules:
          - name: failing_pulls
            kind: ratio
            match: {status: 404}
            total: {kind: manifest}
            window_secs: 300
            ratio: 0.5
            min_count: 4
        """

    @Test func ratioWithMinimumCount() throws {
        var s = Scenario()
        s.proxy("hub-2", "02:00:00", "10.0.0.1", "GET /v2/a/manifests/1", 404)
        s.proxy("hub-2", "02:00:01", "10.0.0.1", "GET /v2/a/manifests/1", 404)
        s.proxy("hub-2", "02:00:02", "10.0.0.1", "GET /v2/a/manifests/1", 200)
        #expect(try findings(s, Self.ratio).isEmpty, "three requests: under min_count")
        s.proxy("hub-2", "02:00:03", "10.0.0.1", "GET /v2/a/manifests/1", 404)
        let f = try findings(s, Self.ratio)
        #expect(f.count == 1)
        #expect(f.first?.detail("peak_ratio") == .double(0.75))
    }

    static let absence = """
        rules:
          - name: no_replication_into_hub2
            kind: absence
            match: {site: hub-2, user_agent: harbor-registry-client, method: PUT}
            for_secs: 600
        """

    @Test func absenceFiresAfterQuietAndResolves() throws {
        var s = Scenario()
        s.proxy("hub-2", "02:00:00", "10.10.0.11", "PUT /v2/a/manifests/1", 201, ua: "harbor-registry-client")
        s.proxy("hub-1", "02:15:00", "10.0.0.1", "GET /v2/", 401)
        s.proxy("hub-2", "02:20:00", "10.10.0.11", "PUT /v2/a/manifests/2", 201, ua: "harbor-registry-client")
        let f = try findings(s, Self.absence)
        try #require(f.count == 1)
        #expect(f[0].firstSeen == t("2024-09-18T02:10:00Z"))
        #expect(f[0].resolvedAt == t("2024-09-18T02:20:00Z"))
    }

    @Test func noAbsenceWhileEventsFlow() throws {
        var s = Scenario()
        for m in stride(from: 0, to: 50, by: 5) {
            s.proxy("hub-2", String(format: "02:%02d:00", m), "10.10.0.11", "PUT /v2/a/manifests/1", 201, ua: "harbor-registry-client")
        }
        #expect(try findings(s, Self.absence).isEmpty)
    }

    static let sequence = """
        rules:
          - name: push_never_replicated
            kind: sequence
            match: {site: hub-1, method: PUT, kind: manifest, status: 201}
            then: {site: hub-2, method: PUT, kind: manifest, user_agent: harbor-registry-client}
            join_on: [repository, reference]
            window_secs: 300
            missing: true
        """

    @Test func sequenceMissingFollowUp() throws {
        var s = Scenario()
        s.push("02:00:00", "app/a", "1")
        s.push("02:00:00", "app/b", "1")
        s.proxy("hub-2", "02:01:00", "10.10.0.11", "PUT /v2/app/a/manifests/1", 201, ua: "harbor-registry-client")
        s.end("02:30:00")
        let f = try findings(s, Self.sequence)
        try #require(f.count == 1)
        #expect(f[0].labels == ["detector": "push_never_replicated", "repository": "app/b", "reference": "1"])
        #expect(f[0].firstSeen == t("2024-09-18T02:05:00Z"))
        #expect(f[0].resolvedAt == nil)
    }

    @Test func sequencePresentFires() throws {
        var s = Scenario()
        s.proxy("hub-1", "02:00:00", "10.0.0.5", "GET /service/token?account=carol&scope=repository%3Ax%3Apull%2Cpush&service=harbor-registry", 401)
        s.proxy("hub-1", "02:00:05", "10.0.0.5", "GET /service/token?account=carol&scope=repository%3Ax%3Apull%2Cpush&service=harbor-registry", 401)
        let f = try findings(s, """
            rules:
              - name: repeated_login_failure
                kind: sequence
                match: {kind: token, status: 401}
                then: {kind: token, status: 401}
                join_on: [client]
                window_secs: 60
            """)
        #expect(f.count == 1)
        #expect(f.first?.labels["client"] == "10.0.0.5")
    }
}

@Suite struct RouterTests {
    func alert(_ name: String, site: String, from: String, to: String? = nil, extra: [String: String] = [:]) -> Alert {
        var labels = ["alertname": name, "site": site, "severity": "warning"]
        for (k, v) in extra { labels[k] = v }
        return Alert(fingerprint: Fingerprint.of(labels), status: to == nil ? .firing : .resolved, labels: labels, annotations: ["summary": name],
                     startsAt: t("2024-09-18T\(from)Z"), endsAt: to.map { t("2024-09-18T\($0)Z") })
    }

    /// Grouped by site: 30 s wait, 5 min interval, hourly repeats.
    func siteRoute() -> RouteSpec {
        var route = RouteSpec(receiver: "ops")
        route.groupBy = ["site"]
        route.groupWaitSecs = 30
        route.groupIntervalSecs = 300
        route.repeatIntervalSecs = 3600
        return route
    }

    @Test func fingerprintsAreStableAndOrderFree() {
        #expect(Fingerprint.of(["a": "1", "b": "2"]) == Fingerprint.of(["b": "2", "a": "1"]))
        #expect(Fingerprint.of(["a": "1", "b": "2"]) != Fingerprint.of(["a": "12"]))
        // FNV-1a 64 of `alertname=x\0site=hub-1\0` (python3: the same loop over those bytes).
        #expect(Fingerprint.of(["alertname": "x", "site": "hub-1"]) == "46c21065df8cae3e")
        #expect(Fingerprint.of(["a": "é", "b": ""]) == Fingerprint.of(["b": "", "a": "é"]))
    }

    @Test func groupWaitIntervalAndResolve() {
        let route = siteRoute()
        let a = alert("x", site: "hub-1", from: "02:00:00", to: "02:20:00")
        let b = alert("y", site: "hub-1", from: "02:00:10")
        let c = alert("z", site: "hub-2", from: "02:01:00")
        let sched = Router(route: route).schedule([a, b, c], end: t("2024-09-18T03:30:00Z"))
        let hub1 = sched.filter { $0.notification.groupLabels["site"] == "hub-1" }
        // first after group_wait with both alerts; the resolve at 02:20 goes at the next interval; repeats hourly.
        #expect(hub1.map { Timestamps.format($0.at) } == ["2024-09-18T02:00:30Z", "2024-09-18T02:20:30Z", "2024-09-18T03:20:30Z"])
        #expect(hub1[0].notification.alerts.count == 2)
        #expect(hub1[1].notification.alerts.first { $0.labels["alertname"] == "x" }?.status == .resolved)
        #expect(hub1[2].notification.alerts.map { $0.labels["alertname"] } == ["y"])
        #expect(hub1[0].notification.commonLabels == ["site": "hub-1", "severity": "warning"])
        #expect(Set(sched.map(\.notification.idempotencyKey)).count == sched.count)
        #expect(sched.filter { $0.notification.groupLabels["site"] == "hub-2" }.first.map { Timestamps.format($0.at) } == "2024-09-18T02:01:30Z")
    }

    @Test func childRoutesAndContinue() throws {
        let r = try RulesLoader.load(text: """
            receivers:
              - {name: all, webhook: {url: "http://127.0.0.1:1/a"}}
              - {name: pager, webhook: {url: "http://127.0.0.1:1/p"}}
            route:
              receiver: all
              routes:
                - match: {severity: critical}
                  receiver: pager
                  continue: true
                - match_regex: {alertname: "replication_.*"}
                  receiver: all
            """, path: "r.yaml")
        let router = Router(rules: r)
        #expect(router.matches(["severity": "critical", "alertname": "replication_lag"]).map(\.1) == ["pager", "all"])
        #expect(router.matches(["severity": "warning", "alertname": "tag_without_data"]).map(\.1) == ["all"])
    }

    /// A stream's view at `look`: the alerts started by then, resolved only if they ended by then.
    func view(_ alerts: [Alert], at look: Int64) -> [Alert] {
        alerts.filter { $0.startsAt <= look }.map { a in
            var x = a
            if let e = a.endsAt, e > look { x.endsAt = nil; x.status = .firing }
            return x
        }
    }

    /// `advance`, asked at every look of a stream, sends exactly the notifications that `schedule`
    /// gives for the whole run (same times, alerts and keys), without simulating the past again.
    @Test func advanceAtEachLookGivesTheSchedule() {
        let route = siteRoute()
        func hms(_ secs: Int) -> String { String(format: "%02d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60) }
        var alerts: [Alert] = []
        for k in 0..<40 {  // alerts that start and end all through three hours, on two sites
            let start = 2 * 3600 + k * 263
            alerts.append(alert("a\(k % 5)", site: k % 2 == 0 ? "hub-1" : "hub-2", from: hms(start),
                                to: k % 3 == 0 ? nil : hms(start + 600 + (k % 7) * 411), extra: ["n": "\(k)"]))
        }
        let last = t("2024-09-18T05:30:00Z")
        let router = Router(route: route)
        let whole = router.schedule(alerts, end: last).filter { $0.at <= last }
        for step in [7, 60, 301, 1800] as [Int64] {  // looks 7 s, 1 min, 5 min and 30 min apart
            var progress = Router.Progress()
            var sent: [Router.Scheduled] = []
            var look = t("2024-09-18T02:00:00Z")
            while look <= last {
                sent += router.advance(view(alerts, at: look), to: look, progress: &progress)
                look += step * Timestamps.nsPerSecond
            }
            sent += router.advance(view(alerts, at: last), to: last, progress: &progress)
            #expect(sent.count == whole.count, "looks \(step) s apart")
            #expect(sent.map(\.at) == whole.map(\.at), "looks \(step) s apart")
            #expect(sent.map(\.notification) == whole.map(\.notification), "looks \(step) s apart")
        }
        #expect(whole.count > 20)
    }

    /// A restart in the middle of a stream: the groups' progress goes through a checkpoint's JSON
    /// and the run goes on as if it had never stopped. A progress started afresh (what a restart
    /// did before the checkpoint kept it) sends a group's alerts again at other times.
    @Test func progressThroughACheckpointGoesOnWhereItWas() throws {
        let route = siteRoute()
        func hms(_ secs: Int) -> String { String(format: "%02d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60) }
        var alerts: [Alert] = []
        for k in 0..<30 {
            let start = 2 * 3600 + k * 331
            alerts.append(alert("a\(k % 4)", site: k % 2 == 0 ? "hub-1" : "hub-2", from: hms(start),
                                to: k % 3 == 0 ? nil : hms(start + 900 + (k % 5) * 377), extra: ["n": "\(k)"]))
        }
        let r = Router(route: route)
        let restartAt = t("2024-09-18T03:30:00Z"), last = t("2024-09-18T05:30:00Z")
        func run(restart: (Router.Progress) throws -> Router.Progress) rethrows -> [Router.Scheduled] {
            var progress = Router.Progress()
            var sent: [Router.Scheduled] = []
            var look = t("2024-09-18T02:00:00Z")
            while look <= last {
                if look == restartAt { progress = try restart(progress) }
                sent += r.advance(view(alerts, at: look), to: look, progress: &progress)
                look += 60 * Timestamps.nsPerSecond
            }
            return sent
        }
        let whole = run { $0 }
        let resumed = try run { p in
            var c = Checkpoint()
            c.routing = p
            let data = try JSONEncoder().encode(c)
            return try JSONDecoder().decode(Checkpoint.self, from: data).routing ?? Router.Progress()
        }
        #expect(whole.count > 20)
        #expect(resumed.map(\.at) == whole.map(\.at))
        #expect(resumed.map(\.notification) == whole.map(\.notification))
        let afresh = run { _ in Router.Progress() }
        #expect(afresh.map(\.notification.idempotencyKey) != whole.map(\.notification.idempotencyKey))
    }

    /// An alert found late (its start before the group's last tick) goes out at the group's next
    /// tick, once; a group with nothing new sends nothing more until its repeat.
    @Test func lateAlertGoesOutAtTheNextTick() {
        let route = siteRoute()
        let router = Router(route: route)
        var progress = Router.Progress()
        let a = alert("x", site: "hub-1", from: "02:00:00", to: "02:02:00")
        let first = router.advance([a], to: t("2024-09-18T02:10:00Z"), progress: &progress)
        #expect(first.map { Timestamps.format($0.at) } == ["2024-09-18T02:00:30Z", "2024-09-18T02:05:30Z"])
        #expect(router.advance([a], to: t("2024-09-18T02:20:00Z"), progress: &progress).isEmpty)
        // Found at 02:20, started at 02:04 (before the tick of 02:05:30), still firing.
        let late = alert("y", site: "hub-1", from: "02:04:00")
        let next = router.advance([a, late], to: t("2024-09-18T02:20:00Z"), progress: &progress)
        #expect(next.map { Timestamps.format($0.at) } == ["2024-09-18T02:10:30Z"])
        #expect(next.first?.notification.alerts.map { $0.labels["alertname"] } == ["y"])
        #expect(router.advance([a, late], to: t("2024-09-18T02:30:00Z"), progress: &progress).isEmpty)
        let repeated = router.advance([a, late], to: t("2024-09-18T03:20:00Z"), progress: &progress)
        #expect(repeated.map { Timestamps.format($0.at) } == ["2024-09-18T03:10:30Z"])
    }

    @Test func inhibitionMutesTargetsWithEqualLabels() {
        var route = RouteSpec(receiver: "ops")
        route.groupBy = ["alertname"]
        route.groupWaitSecs = 0
        let outage = alert("site_down", site: "hub-2", from: "02:00:00", to: "02:30:00")
        let miss = alert("secondary_missing_artifact", site: "hub-2", from: "02:05:00", to: "02:40:00")
        let other = alert("secondary_missing_artifact", site: "hub-3", from: "02:05:00", to: "02:10:00", extra: ["repository": "r"])
        let rule = InhibitRule(sourceMatch: ["alertname": "site_down"], targetMatch: ["alertname": "secondary_missing_artifact"], equal: ["site"])
        let sched = Router(route: route, inhibit: [rule]).schedule([outage, miss, other], end: t("2024-09-18T03:00:00Z"))
        let misses = sched.filter { $0.notification.groupLabels["alertname"] == "secondary_missing_artifact" }
        // hub-2's miss is muted while the outage fires; hub-3's is not.
        #expect(misses.first?.notification.alerts.map { $0.labels["site"] } == ["hub-3"])
        #expect(misses.contains { n in n.notification.alerts.contains { $0.labels["site"] == "hub-2" } && n.at >= t("2024-09-18T02:30:00Z") })
    }
}
