import Foundation
import Testing
@testable import HarborWatch

/// Lines of a small two-site scenario, written as Harbor's files and analyzed.
struct Scenario {
    /// site → file name → lines
    var files: [String: [String: [String]]] = [:]

    mutating func add(_ site: String, _ file: String, _ line: String) { files[site, default: [:]][file, default: []].append(line) }

    /// A proxy.log line at `hms` (UTC, 2024-09-18).
    mutating func proxy(_ site: String, _ hms: String, _ client: String, _ request: String, _ status: Int, ua: String = "docker/24.0.7", bytes: Int = 0) {
        add(site, "proxy.log", "Sep 18 \(hms) 172.18.0.1 proxy[1]: \(client) - \"\(request) HTTP/1.1\" \(status) \(bytes) \"-\" \"\(ua)\" 0.010 0.010 .")
    }

    /// A registry.log logrus line at `hms`.
    mutating func registry(_ site: String, _ hms: String, level: String = "warning", msg: String, method: String, uri: String, client: String, status: Int? = nil, repo: String) {
        var l = "Sep 18 \(hms) 172.18.0.1 registry[1]: time=\"2024-09-18T\(hms).5Z\" level=\(level) msg=\"\(msg)\" http.request.host=hub http.request.id=1 http.request.method=\(method) http.request.remoteaddr=\(client) http.request.uri=\"\(uri)\" http.request.useragent=\"docker/24.0.7\""
        if let status { l += " http.response.status=\(status)" }
        l += " vars.name=\"\(repo)\" "
        add(site, "registry.log", l)
    }

    /// A jobservice.log line at `hms`.
    mutating func job(_ site: String, _ hms: String, _ message: String, level: String = "INFO") {
        add(site, "jobservice.log", "Sep 18 \(hms) 172.18.0.1 jobservice[1]: 2024-09-18T\(hms)Z [\(level)] [/x.go:1]: \(message)")
    }

    /// A core.log line at `hms`.
    mutating func core(_ site: String, _ hms: String, _ message: String, level: String = "ERROR", fields: String = "") {
        add(site, "core.log", "Sep 18 \(hms) 172.18.0.1 core[1]: 2024-09-18T\(hms)Z [\(level)] [/x.go:1]\(fields): \(message)")
    }

    /// Analyzes the scenario: files written plain or gzipped, sources given in order or reversed.
    func analyze(gzip: Bool = false, reversed: Bool = false, settings: DetectorSettings = DetectorSettings()) throws -> Analysis {
        let dir = try TempDirectory()
        defer { dir.remove() }
        for (site, fs) in files {
            for (name, lines) in fs {
                let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
                try dir.write("\(site)/\(name)", gzip ? gzipped(bytes) : bytes)
            }
        }
        var sources = InputResolver().resolve([InputSpec(path: dir.path)]).sources
        if reversed { sources.reverse() }
        var o = AnalyzeOptions()
        o.parse.year = 2024
        o.parse.syslogZone = .fixed(0)
        o.primary = "hub-1"
        o.detectors = settings
        return Analyzer.run(sources: sources, options: o)
    }

    /// The findings of `detector`, checked to be the same whatever the source order and compression.
    func findings(_ detector: String, settings: DetectorSettings = DetectorSettings()) throws -> [Finding] {
        let plain = try analyze(settings: settings).findings.filter { $0.detector == detector }
        let other = try analyze(gzip: true, reversed: true, settings: settings).findings.filter { $0.detector == detector }
        #expect(Self.comparable(plain) == Self.comparable(other), "findings differ with gzip and reversed sources")
        return plain
    }

    /// Findings without file names (which differ between temp dirs).
    static func comparable(_ fs: [Finding]) -> [String] {
        fs.map { f in
            "\(f.detector) \(f.site) \(f.labels.sorted { $0.key < $1.key }) \(f.count) \(f.firstSeen) \(f.lastSeen) \(String(describing: f.resolvedAt)) \(f.details.map { "\($0.0)=\($0.1)" }) \(f.evidence.map { "\($0.time) \($0.line) \($0.text)" })"
        }
    }
}
