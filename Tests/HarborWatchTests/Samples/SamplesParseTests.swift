import Foundation
import Testing
@testable import HarborWatch

/// The package root (for samples/ and the built binary).
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    return FileManager.default.currentDirectoryPath
}()

/// samples/incidents.json, the samples' ground truth.
func sampleTruth() throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/samples/incidents.json"))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}

@Suite struct SamplesParseTests {
    @Test func everyLineParsesButThePlantedBrokenOnes() throws {
        let resolution = InputResolver().resolve([InputSpec(path: packageRoot + "/samples/")])
        #expect(resolution.errors.isEmpty)
        #expect(Set(resolution.sources.map(\.site)) == ["hub-1", "hub-2"])
        var events = 0
        let stats = ParseRun(sources: resolution.sources, options: ParseOptions()).run { _ in events += 1 }
        let truth = try sampleTruth()
        let planted = (truth["malformed_lines"] as! [[String: Any]]).map { "\($0["file"]!):\($0["line"]!)" }
        let found = stats.flatMap(\.malformedSamples).map { "\($0.file.dropFirst(packageRoot.count + 1)):\($0.line)" }
        #expect(Set(found) == Set(planted))
        #expect(found.count == planted.count)
        let counts = truth["line_counts"] as! [String: Int]
        #expect(stats.reduce(0) { $0 + $1.lines } == counts.values.reduce(0, +))
        #expect(stats.allSatisfy { $0.errors.isEmpty && $0.warnings.isEmpty })
        #expect(events > 1000)
    }

    @Test func proxyTimesUseTheLearnedZone() throws {
        let sources = InputResolver().resolve([InputSpec(path: packageRoot + "/samples/hub-1/proxy.log")]).sources
        var first: Event?
        _ = ParseRun(sources: sources, options: ParseOptions()).run { e in if first == nil, e.format == .nginxAccess { first = e } }
        // The payload is UTC, the syslog prefix +08:00: the events must land on 2024-09-18 in UTC.
        let text = Timestamps.format(first?.time ?? 0)
        #expect(text.hasPrefix("2024-09-18T02:") || text.hasPrefix("2024-09-18T03:"))
    }
}
