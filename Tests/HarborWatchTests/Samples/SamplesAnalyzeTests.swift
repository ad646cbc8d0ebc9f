import Foundation
import Testing
@testable import HarborWatch

/// `analyze samples/` finds every planted incident of samples/incidents.json, with the right cause, and nothing else.
@Suite struct SamplesAnalyzeTests {
    static let analysis: Analysis = {
        let r = InputResolver().resolve([InputSpec(path: packageRoot + "/samples/")])
        return Analyzer.run(sources: r.sources, inputErrors: r.errors, options: AnalyzeOptions())
    }()

    func findings(_ d: String) -> [Finding] { Self.analysis.findings.filter { $0.detector == d } }

    @Test func nothingButThePlantedIncidents() throws {
        let truth = try sampleTruth()
        let expected = ["push_unauthorized", "secondary_missing_artifact", "replication_duplicate", "tag_without_data"]
            .reduce(0) { $0 + ((truth[$1] as? [Any])?.count ?? 0) }
        let neverArrived = (truth["replication_lag"] as! [[String: Any]]).filter { $0["secondary_available_time"] is NSNull }.count
        #expect(Self.analysis.findings.count == expected + neverArrived)
        #expect(Self.analysis.primary == "hub-1")
    }

    @Test func pushUnauthorizedWithCauses() throws {
        let truth = try sampleTruth()["push_unauthorized"] as! [[String: Any]]
        let found = findings("push_unauthorized")
        for item in truth {
            let f = found.first { $0.detail("user") == .string(item["user"] as! String) }
            #expect(f?.site == item["site"] as? String)
            #expect(f?.labels["repository"] == item["repository"] as? String)
            #expect(f?.detail("cause") == .string(item["cause"] as! String))
            #expect(f?.count == item["failed_requests"] as? Int)
            #expect((f?.resolvedAt == nil) == (item["resolved_at"] is NSNull))
        }
    }

    @Test func secondaryMisses() throws {
        let truth = try sampleTruth()["secondary_missing_artifact"] as! [[String: Any]]
        let found = findings("secondary_missing_artifact")
        for item in truth {
            let f = found.first { $0.labels["repository"] == item["repository"] as? String && $0.labels["reference"] == item["reference"] as? String }
            #expect(f?.count == item["failed_requests"] as? Int)
            #expect(Set(f.map { if case .strings(let c) = $0.detail("clients") { return c } else { return [] } } ?? []) == Set(item["clients"] as! [String]))
            if let served = item["served_at"] as? String {
                #expect(f?.detail("served_at") == .time(floorSecond(t(served))))
            } else {
                #expect(f?.detail("served_at") == .null)
            }
        }
    }

    @Test func replicationLatencyMatchesTheTruth() throws {
        let truth = try sampleTruth()["replication_lag"] as! [[String: Any]]
        for item in truth {
            let art = item["artifact"] as! String
            let p = Self.analysis.pushes.first { "\($0.repository):\($0.reference)" == art }
            try #require(p != nil, "no push of \(art)")
            #expect(abs(p!.pushedAt - t(item["primary_push_time"] as! String)) < 1_000_000)
            if let lag = item["lag_secs"] as? Double {
                let measured = Double(p!.arrivals["hub-2"]! - p!.pushedAt) / 1e9
                #expect(abs(measured - lag) < 0.01, "\(art): \(measured) vs \(lag)")
            } else {
                #expect(p!.arrivals["hub-2"] == nil)
                #expect(findings("replication_lag").contains { $0.labels["repository"].map { "\($0):" } == art.split(separator: ":").first.map { "\($0):" } })
            }
        }
    }

    @Test func theStorm() throws {
        let truth = try sampleTruth()["replication_duplicate"] as! [[String: Any]]
        let found = findings("replication_duplicate")
        #expect(found.count == truth.count)
        let jobs = truth[0]["jobs"] as! [[String: Any]]
        #expect(found.first?.count == jobs.count)
        #expect(found.first?.detail("job_sites") == .strings(jobs.map { $0["site"] as! String }))
    }

    @Test func tagWithoutData() throws {
        let truth = try sampleTruth()["tag_without_data"] as! [[String: Any]]
        let found = findings("tag_without_data")
        #expect(found.count == truth.count)
        #expect(found.first?.labels["reference"] == truth.first?["tag"] as? String)
        #expect(found.first?.detail("clients") == .strings([truth.first?["client"] as! String]))
    }

    func floorSecond(_ n: Int64) -> Int64 { n - n % 1_000_000_000 }
}
