import Foundation
import Testing

/// Alerts to a real HTTP receiver on 127.0.0.1 that refuses connections at first, then answers 503,
/// with harborwatch stopped and started again in the middle: every notification arrives exactly once.
@Suite(.serialized) struct WebhookEndToEndTests {
    func freePort() throws -> Int {
        let r = try Harness.run(["--version"])  // warm the binary (and check it runs)
        #expect(r.status == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        return Int(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    /// A new directory for one test.
    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hw-hook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A rules file in `dir` with one Alertmanager receiver on `port` (`webhook`: more of its settings).
    func rulesFile(in dir: URL, port: Int, webhook: String = "") throws -> URL {
        let rules = dir.appendingPathComponent("rules.yaml")
        try Data("""
            receivers:
              - name: am
                webhook: {url: "http://127.0.0.1:\(port)/hook", format: alertmanager\(webhook)}
            route: {receiver: am, group_by: [alertname, site], group_wait_secs: 0}
            outbox: {dir: "\(dir.path)/outbox"}
            """.utf8).write(to: rules)
        return rules
    }

    /// The rules of one of the runs compared across a restart (`name`: "whole" or "split"): one
    /// Alertmanager receiver at `url`, grouped by alert name and site with `route`'s settings, and
    /// an outbox of its own; `settings` go first (detectors).
    func restartRules(in dir: URL, _ name: String, url: String, route: String, settings: String = "") throws -> URL {
        let rules = dir.appendingPathComponent("rules-\(name).yaml")
        try Data("""
            \(settings)
            receivers:
              - name: am
                webhook: {url: "\(url)", format: alertmanager}
            route: {receiver: am, group_by: [alertname, site], group_wait_secs: 0, \(route)}
            outbox: {dir: "\(dir.path)/outbox-\(name)"}
            """.utf8).write(to: rules)
        return rules
    }

    /// The test receiver on `port`: answers 503 to the first `fail` requests, logs each one to `log`.
    func receiver(port: Int, fail: Int, log: String) throws -> Process {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", Harness.root + "/Tests/EndToEnd/receiver.py", "--port", String(port), "--fail", String(fail), "--log", log]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        usleep(500_000)
        return server
    }

    @Test func outageThen503ThenRestartEveryNotificationOnce() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = try freePort()
        let rules = try rulesFile(in: dir, port: port, webhook: ", hmac_secret_env: HW_TEST_HMAC, headers: {X-Team: registry}")
        let env = ["HW_TEST_HMAC": "s3cret"]
        // 1. The receiver is down: connections are refused; everything waits in the outbox.
        let r1 = try Harness.run(["analyze", "--rules", rules.path, "--delivery-timeout", "2", "samples/"], env: env)
        #expect(r1.status == 0)
        #expect(r1.stderr.contains("pending in"), "\(r1.stderr)")
        // The dry run shows the requests with the secret redacted.
        let dry = try Harness.run(["analyze", "--rules", rules.path, "--dry-run", "samples/"], env: env)
        #expect(dry.text.contains("POST http://127.0.0.1:\(port)/hook"))
        #expect(dry.text.contains("X-Harborwatch-Signature: <redacted>"))
        #expect(!dry.text.contains("s3cret"))
        // 2. The receiver comes up answering 503 twice, then 200; harborwatch runs again.
        let log = dir.appendingPathComponent("received.ndjson").path
        let server = try receiver(port: port, fail: 2, log: log)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let r2 = try Harness.run(["analyze", "--rules", rules.path, "--delivery-timeout", "20", "samples/"], env: env)
        #expect(r2.status == 0)
        #expect(r2.stderr.contains("got 503"), "\(r2.stderr)")
        #expect(r2.stderr.contains("0 pending"), "\(r2.stderr)")
        // 3. A third run sends nothing again.
        let r3 = try Harness.run(["analyze", "--rules", rules.path, "--delivery-timeout", "5", "samples/"], env: env)
        #expect(r3.stderr.contains("0 new; 0 pending"), "\(r3.stderr)")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        var keys: [String] = []
        for l in lines {
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            let h = o["headers"] as! [String: String]
            keys.append(h["Idempotency-Key"] ?? "")
            #expect(h["X-Team"] == "registry")
            #expect(h["X-Harborwatch-Signature"]?.hasPrefix("sha256=") == true)
            let body = try JSONSerialization.jsonObject(with: Data((o["body"] as! String).utf8)) as! [String: Any]
            #expect(body["version"] as? String == "4")
            #expect(body["receiver"] as? String == "am")
        }
        #expect(!keys.isEmpty)
        #expect(Set(keys).count == keys.count, "a notification arrived twice")
        // Every notification of the run arrived: one per alert group (alertname, site) here.
        #expect(keys.count >= 6)
    }

    /// `analyze --state` writes each notification to the outbox while it reads (it held them all
    /// until the end before) and delivers them after: every group of the run arrives once, and a
    /// second run with nothing new to read sends nothing again.
    @Test func stateRunDeliversWhatItQueuedAsItRead() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = try freePort()
        let rules = try rulesFile(in: dir, port: port)
        let log = dir.appendingPathComponent("received.ndjson").path
        let server = try receiver(port: port, fail: 0, log: log)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let state = dir.appendingPathComponent("state").path
        let r1 = try Harness.run(["analyze", "--rules", rules.path, "--state", state, "--delivery-timeout", "20", "samples/"])
        #expect(r1.status == 0)
        #expect(r1.stderr.contains(" new; 0 pending"), "\(r1.stderr)")
        let r2 = try Harness.run(["analyze", "--rules", rules.path, "--state", state, "--delivery-timeout", "5", "samples/"])
        #expect(r2.stderr.contains("0 new; 0 pending"), "\(r2.stderr)")
        var keys: [String] = []
        var groups = Set<String>()
        for l in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            keys.append((o["headers"] as! [String: String])["Idempotency-Key"] ?? "")
            let body = try JSONSerialization.jsonObject(with: Data((o["body"] as! String).utf8)) as! [String: Any]
            groups.insert(body["groupKey"] as? String ?? "")
        }
        #expect(Set(keys).count == keys.count, "a notification arrived twice")
        // The same groups as a plain run notifies (its dry run prints each request's body).
        let dry = try Harness.run(["analyze", "--rules", rules.path, "--dry-run", "samples/"])
        var planned = Set<String>()
        for line in dry.text.split(separator: "\n") where line.hasPrefix(#"{"version""#) {
            let body = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            planned.insert(body["groupKey"] as? String ?? "")
        }
        #expect(groups.count >= 5, "\(groups)")
        #expect(groups == planned)
    }

    /// Two sites' proxy logs, 09:58 to 10:50: a background of pulls on both, and `app/web:1.0`
    /// pushed on hub-1 at 10:00:00 that reaches hub-2 at 10:40:00 (`replication_lag` fires from
    /// 10:02 and resolves then), or never. The lines up to `split` go in `first`, the rest in `rest`.
    func lateReplicationLogs(split: String, arrives: Bool = true) -> [String: (first: String, rest: String)] {
        let docker = #"docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \x5C(linux\x5C))"#
        func line(_ hms: String, _ request: String, _ status: Int, _ agent: String) -> String {
            #"Sep 18 \#(hms) 172.18.0.1 proxy[1043]: 10.0.0.1 - "\#(request) HTTP/1.1" \#(status) 0 "-" "\#(agent)" 0.004 0.004 ."#
        }
        var lines: [String: [(String, String)]] = ["hub-1": [], "hub-2": []]
        lines["hub-1"]!.append(("09:58:00", line("09:58:00", "PUT /v2/app/base/manifests/1", 201, docker)))
        lines["hub-2"]!.append(("09:58:30", line("09:58:30", "PUT /v2/app/base/manifests/1", 201, "harbor-registry-client")))
        lines["hub-1"]!.append(("10:00:00", line("10:00:00", "PUT /v2/app/web/manifests/1.0", 201, docker)))
        if arrives { lines["hub-2"]!.append(("10:40:00", line("10:40:00", "PUT /v2/app/web/manifests/1.0", 201, "harbor-registry-client"))) }
        // Four pulls a second on each site: the first half of a file is a few of `analyze --state`'s
        // reads of 256 KiB, so a restart can replay part of it.
        for s in 59 * 60 ..< 110 * 60 {
            let hms = String(format: "%02d:%02d:%02d", 9 + s / 3600, (s / 60) % 60, s % 60)
            for site in ["hub-1", "hub-2"] {
                for _ in 0..<4 { lines[site]!.append((hms, line(hms, "GET /v2/app/base/manifests/1", 200, "containerd/v1.7.13"))) }
            }
        }
        var out: [String: (first: String, rest: String)] = [:]
        for (site, list) in lines {
            let sorted = list.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
            out[site] = (
                sorted.filter { $0.0 < split }.map { $0.1 + "\n" }.joined(),
                sorted.filter { $0.0 >= split }.map { $0.1 + "\n" }.joined()
            )
        }
        return out
    }

    /// `logs` read by `analyze --state` in one run ("whole") and in two, split where `logs` is
    /// ("split"), each with a receiver of its own: per run, the alerts written (run, alertname,
    /// repository, status), and the notifications received (key, status, alerts). A carried
    /// alert keeps the description it had at the checkpoint.
    /// `rotate` between the two runs: "rename" moves each log to `proxy.log.1`, "gzip" to
    /// `proxy.log.1.gz` (compressed), and the rest of the lines go in a new `proxy.log`.
    func wholeAndSplit(_ logs: [String: (first: String, rest: String)], settings: String = "", rotate: String? = nil) throws -> (alerts: [[String]], received: [[String]]) {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = try freePort()
        let log = dir.appendingPathComponent("received.ndjson").path
        let server = try receiver(port: port, fail: 0, log: log)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        func write(_ root: URL, _ text: (String) -> String) throws {
            for site in ["hub-1", "hub-2"] {
                let d = root.appendingPathComponent(site)
                try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
                try Data(text(site).utf8).write(to: d.appendingPathComponent("proxy.log"))
            }
        }
        var alertsPerRun: [[String]] = []
        var received: [[String]] = []
        for (name, runs) in [("whole", 1), ("split", 2)] {
            let root = dir.appendingPathComponent(name)
            try write(root) { runs == 1 ? logs[$0]!.first + logs[$0]!.rest : logs[$0]!.first }
            let rules = try restartRules(
                in: dir, name, url: "http://127.0.0.1:\(port)/\(name)", route: "repeat_interval_secs: 600", settings: settings)
            var alerts: [String] = []
            for run in 1...runs {
                if run == 2, let rotate {
                    for site in ["hub-1", "hub-2"] {
                        let live = root.appendingPathComponent(site).appendingPathComponent("proxy.log").path
                        try FileManager.default.moveItem(atPath: live, toPath: live + ".1")
                        if rotate == "gzip" {
                            let gz = Process()
                            gz.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                            gz.arguments = ["gzip", live + ".1"]
                            try gz.run()
                            gz.waitUntilExit()
                            try #require(gz.terminationStatus == 0)
                        }
                    }
                    try write(root) { logs[$0]!.rest }
                } else if run == 2 {
                    try write(root) { logs[$0]!.first + logs[$0]!.rest }
                }
                let file = dir.appendingPathComponent("alerts-\(name)-\(run).ndjson").path
                let r = try Harness.run([
                    "analyze", "--rules", rules.path, "--state", dir.appendingPathComponent("state-\(name)").path, "--alerts", file,
                    "--delivery-timeout", "20", root.path,
                ])
                #expect(r.status == 0, "\(r.stderr)")
                #expect(r.stderr.contains("0 pending"), "\(r.stderr)")
                for l in ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n") {
                    let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
                    let labels = o["labels"] as! [String: String]
                    alerts.append("\(run) \(labels["alertname"]!) \(labels["repository"] ?? "") \(o["status"]!)")
                }
            }
            alertsPerRun.append(alerts)
            var bodies: [String] = []
            for l in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
                guard (o["path"] as? String) == "/\(name)" else { continue }
                let body = try JSONSerialization.jsonObject(with: Data((o["body"] as! String).utf8)) as! [String: Any]
                let list = (body["alerts"] as! [[String: Any]]).map { a in
                    let labels = a["labels"] as! [String: String], annotations = a["annotations"] as! [String: String]
                    // The description up to its time ("… has not arrived on hub-2 after 12 min"),
                    // which is that of the look that rendered it.
                    let description = (annotations["description"] ?? "").components(separatedBy: " after ")[0]
                    return "\(labels["repository"] ?? "") \(a["status"]!) \(a["endsAt"] ?? "") \(description)"
                }
                let key = (o["headers"] as! [String: String])["Idempotency-Key"] ?? ""
                bodies.append("\(key) \(body["status"]!) \(list.sorted())")
            }
            received.append(bodies)
        }
        return (alertsPerRun, received)
    }

    /// An alert that fired long before a restart (more than `--replay-secs` before it) and still
    /// fires: the run after the restart sends its resolution, and the notifications are those of
    /// one run over the whole input. The replay used to go back 900 s only: that run lost the
    /// alert (no resolution sent) and started its notification group afresh.
    @Test func aRestartKeepsAnOldFiringAlertAndItsGroup() throws {
        let (alerts, received) = try wholeAndSplit(lateReplicationLogs(split: "10:30:00"))
        // One look at the end of a small input: the alert has fired and resolved by then.
        #expect(alerts[0] == ["1 replication_lag app/web resolved"])
        #expect(alerts[1] == ["1 replication_lag app/web firing", "2 replication_lag app/web resolved"])
        #expect(received[0].count >= 3, "\(received[0])")
        #expect(received[1] == received[0])
    }

    /// The same with the logs rotated while harborwatch was stopped (renamed, or compressed): the
    /// replay re-reads the recent past from the rotated copy. It used to replay nothing then.
    @Test(arguments: ["rename", "gzip"])
    func aRestartAfterARotationReplaysTheRotatedCopy(rotate: String) throws {
        let (alerts, received) = try wholeAndSplit(lateReplicationLogs(split: "10:30:00"), rotate: rotate)
        #expect(alerts[1] == ["1 replication_lag app/web firing", "2 replication_lag app/web resolved"])
        #expect(received[0].count >= 3, "\(received[0])")
        #expect(received[1] == received[0])
    }

    /// An alert open for longer than the detectors' retention (here 10 minutes; a replication that
    /// never arrives) is more than a replay can rebuild: the checkpoint carries it over, and its
    /// group goes on repeating it after the restart as one run does. It used to drop out of the
    /// group, unresolved.
    @Test func aRestartCarriesAnAlertOlderThanTheRetention() throws {
        let (alerts, received) = try wholeAndSplit(
            lateReplicationLogs(split: "10:30:00", arrives: false), settings: "detectors: {retention_secs: 600, replication_lag: {annotations: {description: \"{{summary}}\"}}}")
        #expect(alerts[0] == ["1 replication_lag app/web firing"])
        #expect(alerts[1] == ["1 replication_lag app/web firing"])
        // Firing at 10:02, repeated every 10 minutes to the end (10:49:59), with its description.
        #expect(received[0].count == 5, "\(received[0])")
        #expect(received[0].allSatisfy { $0.contains("has not arrived on hub-2") })
        #expect(received[1] == received[0])
    }

    /// `watch` reading standard input (both sites, prefixed) with `--state`: standard input is not
    /// read again after a restart, so every alert still open is carried over, and its group goes
    /// on repeating it as one run does. It used to drop out of the group.
    @Test func aStdinRestartCarriesItsOpenAlerts() throws {
        let logs = lateReplicationLogs(split: "10:30:00", arrives: false)
        func merged(_ part: ((first: String, rest: String)) -> String) -> Data {
            var lines: [String] = []
            for site in ["hub-1", "hub-2"] {
                lines += part(logs[site]!).split(separator: "\n").map { "\(site)/proxy \($0)" }
            }
            // In time order, each site's lines in their order (the time is at a fixed place).
            let sorted = lines.enumerated().sorted { a, b in
                let ta = a.element.split(separator: " ")[3], tb = b.element.split(separator: " ")[3]
                return (ta, a.offset) < (tb, b.offset)
            }
            return Data(sorted.map { $0.element + "\n" }.joined().utf8)
        }
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var keys: [[String]] = []
        for (name, inputs) in [("whole", [merged { $0.first + $0.rest }]), ("split", [merged { $0.first }, merged { $0.rest }])] {
            let rules = try restartRules(in: dir, name, url: "http://127.0.0.1:9/hook", route: "repeat_interval_secs: 600")
            for input in inputs {
                let r = try Harness.run(
                    ["watch", "--rules", rules.path, "--state", dir.appendingPathComponent("state-\(name)").path, "--stdin-format", "prefixed",
                     "--year", "2024", "--syslog-tz", "UTC", "--primary", "hub-1", "-"], stdin: input)
                #expect(r.status == 0, "\(r.stderr)")
            }
            // The notifications queued for the receiver (which is down): their keys.
            var queued: [String] = []
            for l in try String(contentsOfFile: dir.path + "/outbox-\(name)/outbox.log", encoding: .utf8).split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
                if o["op"] as? String == "put", let item = o["item"] as? [String: Any] { queued.append(item["id"] as! String) }
            }
            keys.append(queued)
        }
        // Firing at 10:02, repeated every 10 minutes to the end.
        #expect(keys[0].count >= 5, "\(keys[0])")
        #expect(keys[1] == keys[0])
    }

    /// A restart halfway through 80,000 lines of two sites (33 MB): the second run replays the
    /// first half, a MiB at a time from the file furthest behind, merged in time (it once read it
    /// whole, then sorted). What was alerted and notified, alert by alert, is what one run gives.
    @Test func aRestartHalfwayThroughTwoSitesGivesWhatOneRunGives() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = try IncrementalEndToEndTests().generate(into: dir)
        let port = try freePort()
        let log = dir.appendingPathComponent("received.ndjson").path
        let server = try receiver(port: port, fail: 0, log: log)
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        // Every file cut at the same event time: the lines before the first event at 00:03:00.
        let files = ["hub-1/proxy.log", "hub-1/registry.log", "hub-2/proxy.log", "hub-2/registry.log"]
        var cut: [String: Int] = [:]
        let parsed = try Harness.run(["parse", logs])
        for l in parsed.text.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            let file = (o["file"] as! String).replacingOccurrences(of: logs + "/", with: "")
            if cut[file] == nil, ((o["time"] as? String) ?? "").dropFirst(11) >= "00:03:00" { cut[file] = (o["line"] as! Int) - 1 }
        }
        try #require(cut.count == 4, "\(cut)")
        var whole: [String: [Substring]] = [:]
        for f in files { whole[f] = try String(contentsOfFile: logs + "/" + f, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) }
        func write(_ root: URL, first: Bool) throws {
            for f in files {
                let url = root.appendingPathComponent(f)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                let lines = first ? Array(whole[f]![..<cut[f]!]) + [""] : whole[f]!
                try Data(lines.joined(separator: "\n").utf8).write(to: url)
            }
        }
        var statuses: [[String: String]] = []
        for (name, runs) in [("whole", 1), ("split", 2)] {
            let root = dir.appendingPathComponent(name)
            try write(root, first: runs == 2)
            let rules = try restartRules(in: dir, name, url: "http://127.0.0.1:\(port)/\(name)", route: "group_interval_secs: 30")
            for run in 1...runs {
                if run == 2 { try write(root, first: false) }
                let r = try Harness.run([
                    "analyze", "--rules", rules.path, "--state", dir.appendingPathComponent("state-\(name)").path,
                    "--alerts", dir.appendingPathComponent("alerts-\(name).ndjson").path, "--delivery-timeout", "20", root.path,
                ])
                #expect(r.status == 0, "\(r.stderr)")
                #expect(r.stderr.contains("0 pending"), "\(r.stderr)")
            }
            // The last status each alert was notified with.
            var last: [String: String] = [:]
            for l in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
                guard (o["path"] as? String) == "/\(name)" else { continue }
                let body = try JSONSerialization.jsonObject(with: Data((o["body"] as! String).utf8)) as! [String: Any]
                for a in body["alerts"] as! [[String: Any]] { last[a["fingerprint"] as! String] = a["status"] as? String }
            }
            statuses.append(last)
        }
        let alertsWhole = try IncrementalEndToEndTests().finalStatus(dir.appendingPathComponent("alerts-whole.ndjson").path)
        let alertsSplit = try IncrementalEndToEndTests().finalStatus(dir.appendingPathComponent("alerts-split.ndjson").path)
        #expect(alertsWhole.count > 50)
        #expect(alertsSplit == alertsWhole)
        #expect(statuses[0].count > 50)
        #expect(statuses[1] == statuses[0], "differ: \(statuses[0].filter { statuses[1][$0.key] != $0.value }.count), only split: \(statuses[1].filter { statuses[0][$0.key] == nil }.count)")
    }
}
