import Foundation
import Testing

/// The built binary on the bundled samples, as a new user runs it from the README.
@Suite struct SamplesEndToEndTests {
    static let golden = Harness.root + "/Tests/EndToEnd/Fixtures/samples-report.json"

    @Test func analyzeJSONMatchesTheExpectedReport() throws {
        let r = try Harness.run(["analyze", "--format", "json", "samples/"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        if ProcessInfo.processInfo.environment["HARBORWATCH_UPDATE_GOLDEN"] == "1" {
            try r.stdout.write(to: URL(fileURLWithPath: Self.golden))
        }
        let expected = try Data(contentsOf: URL(fileURLWithPath: Self.golden))
        let a = try JSONSerialization.jsonObject(with: r.stdout) as! NSDictionary
        let b = try JSONSerialization.jsonObject(with: expected) as! NSDictionary
        #expect(a == b, "the report differs from Tests/EndToEnd/Fixtures/samples-report.json (HARBORWATCH_UPDATE_GOLDEN=1 rewrites it after a reviewed change)")
    }

    @Test func analyzeTextShowsEveryDetector() throws {
        let r = try Harness.run(["analyze", "samples/"], env: ["NO_COLOR": "1"])
        #expect(r.status == 0)
        for d in ["push_unauthorized", "secondary_missing_artifact", "replication_lag", "replication_duplicate", "tag_without_data", "replication_job_failed"] {
            #expect(r.text.contains("] \(d) @ "), "no \(d) in the report")
        }
        #expect(!r.text.contains("\u{1B}["), "colour on a pipe")
    }

    @Test func alertsAsNDJSON() throws {
        let r = try Harness.run(["analyze", "--alerts", "-", "--format", "json", "samples/"])
        let lines = r.text.split(separator: "\n").dropFirst()  // the report is one line, then the alerts
        #expect(lines.count == 8)
        for l in lines {
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            #expect((o["fingerprint"] as? String)?.count == 16)
            #expect(["firing", "resolved"].contains(o["status"] as? String))
        }
    }

    @Test func parseCountsThePlantedBrokenLines() throws {
        let r = try Harness.run(["parse", "--count", "samples/"])
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("5 malformed"))
        #expect(r.stderr.contains("samples/hub-1/proxy.log.1.gz:40: nginx line does not match its log_format"))
    }

    @Test func parseWritesOneJSONObjectPerLine() throws {
        let r = try Harness.run(["parse", "samples/hub-2/core.log"])
        let lines = r.text.split(separator: "\n")
        #expect(lines.count == 5)
        for l in lines { _ = try JSONSerialization.jsonObject(with: Data(l.utf8)) }
    }

    @Test func stdinAndExitStatuses() throws {
        let line = #"Sep 18 10:00:01 172.18.0.1 proxy[1043]: 10.0.0.1 - "GET /v2/ HTTP/1.1" 401 76 "-" "ua" 0.002 0.002 ."# + "\n"
        let r = try Harness.run(["parse", "--year", "2024", "-"], stdin: Data(line.utf8))
        #expect(r.status == 0)
        #expect(r.text.contains(#""time":"2024-09-18T10:00:01Z""#))
        let missing = try Harness.run(["parse", "--count", "samples/hub-1/core.log", "no/such/file.log"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no/such/file.log"))
        let usage = try Harness.run(["parse", "--syslog-tz", "Mars/Base", "samples/"])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--syslog-tz"))
    }

    @Test func formatsListsExamples() throws {
        let r = try Harness.run(["formats"])
        #expect(r.status == 0)
        for f in ["nginx:timed_combined", "registry", "harbor", "nginx-error", "registry-access"] { #expect(r.text.contains(f)) }
    }
}

@Suite struct RulesCommandEndToEndTests {
    @Test func shippedRulesCheckAndTestPass() throws {
        let check = try Harness.run(["rules", "check", "rules/"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.text.contains("rules/default.yaml: ok"))
        let test = try Harness.run(["rules", "test", "rules/"])
        #expect(test.status == 0, "\(test.text)")
        #expect(test.text.hasSuffix("4 passed, 0 failed\n"))
    }

    @Test func aBadRulesFileIsRefusedWithLocations() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml").path
        try Data("detectors:\n  replication_lag: {max_lag: 5}\nrules:\n  - {name: x, kind: threshold, threshold: 0}\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try Harness.run(["rules", "check", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(path):2:21: error: unknown key 'max_lag' in detectors.replication_lag; did you mean 'max_lag_secs'?"), "\(r.stderr)")
        #expect(r.stderr.contains("\(path):4:43: error: threshold must be at least 1, not 0"))
        let a = try Harness.run(["analyze", "--rules", path, "samples/"])
        #expect(a.status == 1)
        #expect(a.stderr.contains(":2:21: error:"))
    }
}
