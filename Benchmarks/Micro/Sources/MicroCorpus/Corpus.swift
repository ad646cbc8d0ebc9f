import Foundation
import HarborWatch

/// Lines and inputs shared by the ordo-one benchmarks and the plain timing fallback.
/// The lines are the composed examples of harbor-logs.md (§2.1, §2.2, §2.3), as
/// Benchmarks/gen_harbor.py writes them.
public enum Corpus {
    public static let proxyLine =
        #"Sep 18 10:00:03 172.18.0.1 proxy[1043]: 10.20.30.40 - "PATCH /v2/library/nginx/blobs/uploads/17ceae91-b124-4b35-a44c-065535dba420?_state=Qm9ndXNTdGF0ZVRva2VuRXhhbXBsZU9ubHk%3D HTTP/1.1" 202 0 "-" "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \x5C(linux\x5C))" 1.874 1.874 ."#
    /// The same line without the syslog prefix (the nginx payload only).
    public static let proxyPayload = String(proxyLine[proxyLine.range(of: "]: ")!.upperBound...])

    public static let registryLine =
        #"Sep 18 10:00:09 172.19.0.1 registry[2210]: time="2024-09-18T10:00:09.118230511Z" level=error msg="response completed with error" auth.user.name=harbor_registry_user err.code="blob unknown" err.detail=sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2 err.message="blob unknown to registry" go.version=go1.22.7 http.request.host=harbor-b.example.com http.request.id=f337bd97-0661-493c-b969-e10ee286eb51 http.request.method=GET http.request.remoteaddr=10.60.7.21 http.request.uri="/v2/library/nginx/blobs/sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2" http.request.useragent="containerd/v1.7.13" http.response.contenttype="application/json; charset=utf-8" http.response.duration=4.215ms http.response.status=404 http.response.written=157 vars.digest="sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2" vars.name="library/nginx" "#
    public static let registryPayload = String(registryLine[registryLine.range(of: "]: ")!.upperBound...])

    public static let registryAccessLine =
        #"Sep 18 10:00:01 172.18.0.1 registry[1043]: 172.18.0.6 - - [18/Sep/2024:10:00:01 +0000] "POST /v2/library/nginx/blobs/uploads/ HTTP/1.1" 202 0 "" "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \\(linux\\))""#

    public static let harborTextLine =
        #"Sep 18 10:05:12 172.18.0.1 core[1043]: 2024-09-18T10:05:12Z [INFO] [/controller/blob/controller.go:118][requestID="2c5d8f5f-ef4f-4250-94e3-ea273ac3284d"]: artifact digest sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f already exist, skip to associate blobs with the artifact"#
    public static let harborTextPayload = String(harborTextLine[harborTextLine.range(of: "]: ")!.upperBound...])

    /// The repository's samples/ (two sites), found from this file's path or $HARBORWATCH_SAMPLES.
    public static var samplesDirectory: String {
        if let env = ProcessInfo.processInfo.environment["HARBORWATCH_SAMPLES"], !env.isEmpty { return env }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { url.deleteLastPathComponent() }   // Sources/MicroCorpus/Corpus.swift -> repo root
        return url.appendingPathComponent("samples").path
    }

    /// samples/ resolved once (two sites: hub-1, hub-2).
    public static func sampleSources() -> InputResolution {
        InputResolver().resolve([InputSpec(path: samplesDirectory)])
    }

    /// A reusable per-line parser: one LineParser (as one source has) over one fixed line.
    public struct LineBench {
        public let bytes: [UInt8]
        public var parser: LineParser

        public init(_ line: String, hint: Component?) {
            bytes = Array(line.utf8)
            parser = LineParser(options: ParseOptions(), componentHint: hint,
                                clock: SyslogClock(year: 2024, reference: nil, zone: .fixed(0)))
        }

        /// Parses the line `n` times; returns a checksum so the work cannot be dropped.
        public mutating func run(_ n: Int) -> Int {
            var sum = 0
            bytes.withUnsafeBufferPointer { b in
                for _ in 0..<n {
                    var e = Event()
                    if case .event = parser.parse(b, into: &e) { sum &+= e.status &+ Int(truncatingIfNeeded: e.time) }
                }
            }
            return sum
        }
    }

    /// Runs a bare payload parser `n` times over `line`.
    public static func payload(_ line: String, _ n: Int,
                               _ body: (LineBytes, Range<Int>, inout Event, inout StringInterner) -> Bool) -> Int {
        let bytes = Array(line.utf8)
        var interner = StringInterner()
        var sum = 0
        bytes.withUnsafeBufferPointer { b in
            for _ in 0..<n {
                var e = Event()
                if body(b, 0..<b.count, &e, &interner) { sum &+= e.status &+ Int(truncatingIfNeeded: e.time) }
            }
        }
        return sum
    }

    public static let nginx = NginxAccessParser(format: NginxLogFormat.timedCombined)

    /// Analyzer.run over samples/ once; returns the number of events merged.
    public static func analyzeSamples(_ res: InputResolution) -> Int {
        let a = Analyzer.run(sources: res.sources, inputErrors: res.errors, options: AnalyzeOptions())
        return a.events &+ a.findings.count
    }
}
