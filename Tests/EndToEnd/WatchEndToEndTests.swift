import Foundation
import Testing

/// Output of a child process, collected as it arrives.
final class LiveOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }

    /// Waits up to `seconds` for `needle`; returns the wall seconds it took, nil on time-out.
    func wait(for needle: String, seconds: Double) -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if text.contains(needle) { return Date().timeIntervalSince(start) }
            usleep(20_000)
        }
        return nil
    }
}

@Suite(.serialized) struct WatchEndToEndTests {
    static let rules = """
        detectors:
          push_unauthorized: {enabled: false}
        rules:
          - name: manifest_5xx
            kind: threshold
            match: {kind: manifest, status: {min: 500}}
            group_by: [site]
            window_secs: 60
            threshold: 1
            severity: critical
        """

    func proxyLine(_ hms: String, _ status: Int) -> String {
        #"Sep 18 \#(hms) 172.18.0.1 proxy[1043]: 10.0.0.1 - "GET /v2/app/manifests/1 HTTP/1.1" \#(status) 0 "-" "containerd/v1.7.13" 0.004 0.004 ."# + "\n"
    }

    @Test func stdinFedSlowlyFiresAndResolvesAsLinesArrive() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hw-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rules = dir.appendingPathComponent("rules.yaml")
        try Data(Self.rules.utf8).write(to: rules)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.binary)
        p.arguments = ["watch", "--rules", rules.path, "--stdin-site", "hub-1", "--year", "2024", "--syslog-tz", "UTC", "-"]
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        p.environment = env
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = FileHandle.nullDevice
        let live = LiveOutput()
        output.fileHandleForReading.readabilityHandler = { h in live.append(h.availableData) }
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        let w = input.fileHandleForWriting
        w.write(Data(proxyLine("02:00:00", 200).utf8))
        usleep(300_000)
        #expect(!live.text.contains("FIRING"))
        w.write(Data(proxyLine("02:00:05", 503).utf8))
        let fired = live.wait(for: "FIRING", seconds: 3)
        #expect(fired != nil && fired! < 1.0, "alert \(String(describing: fired)) s after its line")
        #expect(live.text.contains("2024-09-18T02:00:05Z FIRING   critical manifest_5xx site=hub-1"))
        // a good line a minute later in event time: the window has passed, the alert resolves
        w.write(Data(proxyLine("02:01:10", 200).utf8))
        let resolved = live.wait(for: "RESOLVED", seconds: 3)
        #expect(resolved != nil && resolved! < 1.0)
        #expect(live.text.contains("2024-09-18T02:01:05Z RESOLVED critical manifest_5xx"))
        try w.close()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test(arguments: [("rename", 11), ("copytruncate", 12), ("mixed", 13)])
    func rotationWithKillsSeesEveryLineOnce(mode: String, seed: Int) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Harness.root + "/Tests/EndToEnd/rotation_harness.py", "--binary", Harness.binary,
                       "--mode", mode, "--seed", String(seed), "--lines", "2000", "--seconds", "8", "--kills", "4"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let summary = String(decoding: data, as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(summary) \(String(decoding: errData, as: UTF8.self))")
        #expect(summary.contains("\"missing_count\": 0"))
        #expect(summary.contains("\"repeated_count\": 0"))
    }
}

@Suite struct IncrementalEndToEndTests {
    func alerts(_ path: String) throws -> [String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { l in
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            return "\(o["fingerprint"]!) \(o["status"]!)"
        }.sorted()
    }

    @Test func cronRunsReadOnlyWhatIsNewAndAgreeWithBatch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hw-cron-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: Harness.root + "/samples", toPath: dir.appendingPathComponent("samples").path)
        let samples = dir.appendingPathComponent("samples").path
        let state = dir.appendingPathComponent("state").path
        let batch = dir.appendingPathComponent("batch.ndjson").path
        let first = dir.appendingPathComponent("first.ndjson").path
        let second = dir.appendingPathComponent("second.ndjson").path
        _ = try Harness.run(["analyze", "--alerts", batch, samples])
        let r1 = try Harness.run(["analyze", "--state", state, "--alerts", first, samples])
        #expect(r1.status == 0, "\(r1.stderr)")
        // The same input gives the same alerts, batch or incremental.
        #expect(try alerts(first) == alerts(batch))
        #expect(try alerts(first).count == 8)
        // Nothing new: nothing read, nothing said.
        let r2 = try Harness.run(["analyze", "--state", state, "--alerts", second, samples])
        #expect(r2.status == 0)
        #expect(r2.text.isEmpty)
        #expect(try alerts(second).isEmpty)
        // New lines: only their alerts.
        let more = #"Sep 18 11:40:00 172.19.0.1 proxy[2210]: 10.60.7.21 - "GET /v2/library/nginx/manifests/1.25 HTTP/1.1" 200 1570 "-" "containerd/v1.7.13" 0.004 0.004 ."# + "\n"
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: samples + "/hub-2/proxy.log"))
        h.seekToEndOfFile()
        h.write(Data(more.utf8))
        try h.close()
        let r3 = try Harness.run(["analyze", "--state", state, samples])
        #expect(r3.status == 0)
        #expect(!r3.text.contains("push_unauthorized"), "old alerts said again: \(r3.text)")
    }
    /// Final status per alert fingerprint of an alerts file (a stream says firing, then resolved).
    func finalStatus(_ path: String) throws -> [String: String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var out: [String: String] = [:]
        for l in text.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            out["\(o["fingerprint"]!)"] = "\(o["status"]!)"
        }
        return out
    }

    /// Tens of MB over four files of unequal size: the incremental reader takes them a chunk at a
    /// time, the file furthest behind in event time first, and must merge them as batch does (it
    /// once read a whole file ahead of the others and took hub-2's misses for unrelated 404s; it
    /// once reversed same-second lines and saw one replication as two).
    @Test func chunkedIncrementalReadAgreesWithBatchOnABigInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hw-big-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = try generate(into: dir)
        let batch = dir.appendingPathComponent("batch.ndjson").path
        let incremental = dir.appendingPathComponent("incremental.ndjson").path
        let b = try Harness.run(["analyze", "--alerts", batch, logs])
        #expect(b.status == 0, "\(b.stderr)")
        let r = try Harness.run(["analyze", "--state", dir.appendingPathComponent("state").path, "--alerts", incremental, logs])
        #expect(r.status == 0, "\(r.stderr)")
        let want = try finalStatus(batch), got = try finalStatus(incremental)
        #expect(want.count > 50)
        #expect(got == want, "only batch: \(want.filter { got[$0.key] != $0.value }.count), only incremental: \(got.filter { want[$0.key] != $0.value }.count)")
    }

    /// Two sites' logs from the benchmark's generator (80,000 lines, about 80 reads of 256 KiB).
    func generate(into dir: URL) throws -> String {
        let logs = dir.appendingPathComponent("logs").path
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gen.arguments = ["python3", "-B", Harness.root + "/Benchmarks/gen_harbor.py", "--lines", "80000", "--artifacts", "5000", "--seed", "7", "-o", logs]
        gen.standardOutput = FileHandle.nullDevice
        try gen.run()
        gen.waitUntilExit()
        try #require(gen.terminationStatus == 0)
        return logs
    }

    /// What a `--state` run prints may not depend on the machine's speed: a checkpoint looks at the
    /// findings first, so checkpoints by wall time once added transitions wherever they fell (a
    /// slow machine printed more lines). A checkpoint on every read and none at all must agree.
    @Test func stateRunPrintsTheSameWhateverTheCheckpointCadence() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hw-cadence-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = try generate(into: dir)
        var outputs: [(stdout: Data, alerts: String)] = []
        for interval in ["0", "3600"] {
            let alerts = dir.appendingPathComponent("alerts-\(interval).ndjson").path
            let state = dir.appendingPathComponent("state-\(interval)").path
            let r = try Harness.run(["analyze", "--state", state, "--checkpoint-interval", interval, "--alerts", alerts, logs])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append((r.stdout, try String(contentsOfFile: alerts, encoding: .utf8)))
        }
        #expect(outputs[0].alerts.split(separator: "\n").count > 50)
        let lines = outputs.map { String(decoding: $0.stdout, as: UTF8.self).split(separator: "\n").count }
        let sameStdout = outputs[0].stdout == outputs[1].stdout, sameAlerts = outputs[0].alerts == outputs[1].alerts
        #expect(sameStdout, "printed \(lines[0]) lines with a checkpoint per read, \(lines[1]) with none")
        #expect(sameAlerts, "alerts files differ")
    }
}

/// `watch --follow` details: lines cut mid-way, and SIGHUP.
@Suite(.serialized) struct WatchFollowEndToEndTests {
    static func line(_ hms: String, _ status: Int, _ repo: String = "app") -> String {
        #"Sep 18 \#(hms) 172.18.0.1 proxy[1043]: 10.0.0.1 - "GET /v2/\#(repo)/manifests/1 HTTP/1.1" \#(status) 0 "-" "containerd/v1.7.13" 0.004 0.004 ."#
    }

    final class Watcher {
        let p = Process()
        let out = LiveOutput(), err = LiveOutput()
        init(_ args: [String]) throws {
            p.executableURL = URL(fileURLWithPath: Harness.binary)
            p.arguments = ["watch"] + args
            var env = ProcessInfo.processInfo.environment
            env["NO_COLOR"] = "1"
            p.environment = env
            let o = Pipe(), e = Pipe()
            p.standardOutput = o
            p.standardError = e
            p.standardInput = FileHandle.nullDevice
            let out = self.out, err = self.err
            o.fileHandleForReading.readabilityHandler = { h in out.append(h.availableData) }
            e.fileHandleForReading.readabilityHandler = { h in err.append(h.availableData) }
            try p.run()
        }
        func stop() -> Int32 {
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
            return p.terminationStatus
        }
    }

    func append(_ path: String, _ s: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        h.seekToEndOfFile()
        h.write(Data(s.utf8))
        try h.close()
    }

    func events(_ path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hw-follow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aLineCutMidwayWaitsForItsNewline() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("proxy.log").path, ev = dir.appendingPathComponent("events.ndjson").path
        let whole = Self.line("02:00:00", 200)
        let cut = whole.index(whole.startIndex, offsetBy: 60)
        try Data(whole[..<cut].utf8).write(to: URL(fileURLWithPath: log))
        let w = try Watcher(["--follow", log, "--from-start", "--year", "2024", "--syslog-tz", "UTC", "--events", ev])
        usleep(1_200_000)
        #expect(events(ev).isEmpty, "half a line was parsed")
        try append(log, String(whole[cut...]) + "\n")
        usleep(1_000_000)
        #expect(w.stop() == 0)
        let e = events(ev)
        #expect(e.count == 1)
        #expect(e.first?["path"] as? String == "/v2/app/manifests/1")
        #expect(e.first?["status"] as? Int == 200)
    }

    /// A file nothing was read from yet, copied and truncated while harborwatch was stopped: the
    /// restart reads the copy made since, then the file. It used to take the copy for the one
    /// it already knew, and its lines were lost (found by the rotation test under load).
    @Test func aFileNeverReadCopyTruncatedWhileStoppedIsReadFromTheCopy() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("proxy.log").path, ev = dir.appendingPathComponent("events.ndjson").path
        let state = dir.appendingPathComponent("state").path
        try Data().write(to: URL(fileURLWithPath: log))
        let args = ["watch", "--follow", log, "--from-start", "--state", state, "--events", ev, "--year", "2024", "--syslog-tz", "UTC", "--max-runtime", "1"]
        #expect(try Harness.run(args).status == 0)
        // Stopped: lines written, the file copied and truncated, more lines.
        try append(log, (0..<5).map { Self.line("02:00:0\($0)", 200, "before\($0)") + "\n" }.joined())
        try FileManager.default.copyItem(atPath: log, toPath: log + ".1")
        try Data().write(to: URL(fileURLWithPath: log))
        try append(log, (0..<3).map { Self.line("02:00:1\($0)", 200, "after\($0)") + "\n" }.joined())
        let r = try Harness.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let repos = events(ev).compactMap { $0["repository"] as? String }
        #expect(repos == (0..<5).map { "before\($0)" } + (0..<3).map { "after\($0)" })
    }

    @Test func aWriterThatStopsMidLineIsReadAfterTheTimeout() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("proxy.log").path, ev = dir.appendingPathComponent("events.ndjson").path
        try Data((Self.line("02:00:00", 200) + "\n" + Self.line("02:00:01", 404, "web")).utf8).write(to: URL(fileURLWithPath: log))
        let w = try Watcher(["--follow", log, "--from-start", "--year", "2024", "--syslog-tz", "UTC", "--events", ev,
                             "--partial-line-timeout-secs", "1"])
        usleep(500_000)
        #expect(events(ev).count == 1)
        usleep(1_500_000)
        #expect(w.stop() == 0)
        let e = events(ev)
        #expect(e.count == 2)
        #expect(e.last?["path"] as? String == "/v2/web/manifests/1")
    }

    @Test func metricsFileWithoutState() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("proxy.log").path, metrics = dir.appendingPathComponent("m.prom").path
        try Data((Self.line("02:00:00", 200) + "\n" + Self.line("02:00:01", 404, "web") + "\n").utf8).write(to: URL(fileURLWithPath: log))
        let w = try Watcher(["--follow", log, "--from-start", "--year", "2024", "--syslog-tz", "UTC", "--metrics-file", metrics])
        usleep(1_500_000)
        #expect(w.stop() == 0)
        let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        #expect(text.contains("harborwatch_lines_total 2\n"), "\(text)")
        #expect(text.contains("harborwatch_events_total 2\n"))
        #expect(text.contains("# TYPE harborwatch_artifacts_evicted_total counter"))
    }

    @Test func sighupReloadsTheRulesAndKeepsTheOldOnesWhenTheNewAreBad() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("proxy.log").path, rules = dir.appendingPathComponent("rules.yaml")
        try Data((Self.line("02:00:00", 200) + "\n").utf8).write(to: URL(fileURLWithPath: log))
        try Data("detectors:\n  push_unauthorized: {enabled: false}\n".utf8).write(to: rules)
        let w = try Watcher(["--follow", log, "--from-start", "--year", "2024", "--syslog-tz", "UTC", "--rules", rules.path])
        usleep(800_000)
        // A bad file: refused with its location, the old rules stay.
        try Data("rules:\n  - name: x\n    kind: threshold\n    windw_secs: 60\n".utf8).write(to: rules)
        kill(w.p.processIdentifier, SIGHUP)
        #expect(w.err.wait(for: "rules not reloaded", seconds: 3) != nil, "stderr: \(w.err.text)")
        #expect(w.err.text.contains("rules.yaml:4:5: error:"), "stderr: \(w.err.text)")
        // A good file with a new rule: reloaded, and the new rule fires on the next line.
        try Data(WatchEndToEndTests.rules.utf8).write(to: rules)
        kill(w.p.processIdentifier, SIGHUP)
        #expect(w.err.wait(for: "rules reloaded: 1 rules", seconds: 3) != nil, "stderr: \(w.err.text)")
        try append(log, Self.line("02:00:05", 503) + "\n")
        #expect(w.out.wait(for: "FIRING", seconds: 3) != nil, "stdout: \(w.out.text)")
        #expect(w.out.text.contains("manifest_5xx"))
        #expect(w.stop() == 0)
    }
}
