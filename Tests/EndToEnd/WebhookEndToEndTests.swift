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
}
