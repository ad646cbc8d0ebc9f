import Foundation
import Testing
@testable import HarborWatch

/// `analyze` parses each source on a thread of its own (`AnalyzeOptions.prefetch`); the report must
/// be byte for byte the one a single thread gives, over inputs of many chunks and several files.
@Suite struct PrefetchTests {
    /// Two sites, several MB each: pushes on hub-1, pulls that miss on hub-2 before the replica
    /// arrives, replicas that never arrive, and plain pulls in between.
    static func writeSites(_ dir: TempDirectory, pushes: Int) throws {
        var hub1: [String] = [], hub2: [String] = [], reg2: [String] = []
        func syslog(_ s: Int) -> String { String(format: "Sep 18 %02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) }
        for k in 0..<pushes {
            let t = k * 3
            let repo = "team/app-\(k % 97)", tag = "1.\(k)"
            hub1.append("\(syslog(t)) 172.18.0.1 proxy[1]: 10.0.\(k % 50).1 - \"PUT /v2/\(repo)/manifests/\(tag) HTTP/1.1\" 201 0 \"-\" \"docker/24.0.7\" 0.050 0.050 .")
            for j in 0..<20 {  // filler pulls on both sites
                hub1.append("\(syslog(t)) 172.18.0.1 proxy[1]: 10.1.\(j).\(k % 200) - \"GET /v2/\(repo)/blobs/sha256:\(String(repeating: "ab", count: 32)) HTTP/1.1\" 200 1234 \"-\" \"containerd/v1.7.13\" 0.004 0.004 .")
                hub2.append("\(syslog(t)) 172.19.0.1 proxy[2]: 10.2.\(j).\(k % 200) - \"HEAD /v2/\(repo)/manifests/latest HTTP/1.1\" 200 0 \"-\" \"containerd/v1.7.13\" 0.004 0.004 .")
            }
            if k % 3 == 0 {  // a pull that misses before replication
                hub2.append("\(syslog(t + 1)) 172.19.0.1 proxy[2]: 10.60.7.\(k % 200) - \"GET /v2/\(repo)/manifests/\(tag) HTTP/1.1\" 404 0 \"-\" \"containerd/v1.7.13\" 0.004 0.004 .")
                reg2.append("\(syslog(t + 1)) 172.19.0.1 registry[2]: time=\"2024-09-18T\(String(format: "%02d:%02d:%02d", (t + 1) / 3600, (t + 1) / 60 % 60, (t + 1) % 60)).5Z\" level=error msg=\"response completed with error\" err.code=\"manifest unknown\" http.request.method=GET http.request.uri=\"/v2/\(repo)/manifests/\(tag)\" http.response.status=404 vars.name=\"\(repo)\" vars.reference=\"\(tag)\" ")
            }
            if k % 10 != 7 {  // replicated 60 s later, except every tenth
                hub2.append("\(syslog(t + 60)) 172.19.0.1 proxy[2]: 10.10.0.11 - \"PUT /v2/\(repo)/manifests/\(tag) HTTP/1.1\" 201 0 \"-\" \"harbor-registry-client\" 0.030 0.030 .")
            }
        }
        // hub-2's proxy lines are written in time order, as nginx does.
        hub2.sort { $0.prefix(15) < $1.prefix(15) }
        let half = hub1.count / 2
        try dir.write("hub-1/proxy.log.1", Array((hub1[..<half].joined(separator: "\n") + "\n").utf8))
        try dir.write("hub-1/proxy.log", Array((hub1[half...].joined(separator: "\n") + "\n").utf8))
        try dir.write("hub-2/proxy.log", Array((hub2.joined(separator: "\n") + "\n").utf8))
        try dir.write("hub-2/registry.log", Array((reg2.joined(separator: "\n") + "\n").utf8))
    }

    func report(_ path: String, prefetch: Bool) -> (Analysis, [UInt8]) {
        let r = InputResolver().resolve([InputSpec(path: path)])
        var o = AnalyzeOptions()
        o.parse.year = 2024
        o.prefetch = prefetch
        let a = Analyzer.run(sources: r.sources, inputErrors: r.errors, options: o)
        return (a, AnalysisJSON.document(a))
    }

    @Test func sameReportAsOneThread() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try Self.writeSites(dir, pushes: 1_500)
        let (threaded, a) = report(dir.path + "/", prefetch: true)
        let (_, b) = report(dir.path + "/", prefetch: false)
        #expect(threaded.events > 60_000)  // many chunks per source
        #expect(threaded.findings.contains { $0.detector == "secondary_missing_artifact" })
        #expect(threaded.findings.contains { $0.detector == "replication_lag" })
        #expect(a == b)
        // Streamed in 64 KiB chunks (as `analyze --format json` writes it): the same bytes.
        var chunks: [[UInt8]] = []
        AnalysisJSON.write(threaded) { chunks.append($0) }
        #expect(a.count > 200_000)
        #expect(chunks.count > 2)
        #expect(chunks.dropLast().allSatisfy { $0.count >= 64 << 10 && $0.count < (64 << 10) + 8192 })
        #expect(Array(chunks.joined()) == a)
    }

    @Test func sameReportOnTheSamples() {
        #expect(report(packageRoot + "/samples/", prefetch: true).1 == report(packageRoot + "/samples/", prefetch: false).1)
    }
}
