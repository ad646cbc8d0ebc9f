import Foundation
import Testing
@testable import HarborWatch

/// Writes `text` to a new temp file (in a directory of its own) and returns its path; the caller
/// removes it with `removeTempFile` (each run left five directories in /tmp before).
func tempFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hw-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// Removes a file made by `tempFile`, with its directory.
func removeTempFile(_ path: String) {
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
}

/// Every example line of harbor-logs.md's proxy, core, registry and jobservice sections, as one file.
let docLines: [String] = NginxAccessParserTests.proxyLines.map(\.0) + [
    RegistryLogrusParserTests.authorized, RegistryLogrusParserTests.completed, RegistryLogrusParserTests.access,
    RegistryLogrusParserTests.blobUnknown,
    "Sep 18 10:00:00 172.18.0.1 core[1043]: 2024-09-18T10:00:00Z [INFO] [/core/main.go:182]: configurations initialization completed",
    "Sep 18 10:00:01 172.18.0.1 core[1043]: 2024-09-18T10:00:01Z [ERROR] [/lib/http/error.go:56]: {\"errors\":[{\"code\":\"UNKNOWN\"}]} goroutine 1 [running]:",
    "Sep 18 10:00:01 172.18.0.1 core[1043]: #011/go/src/github.com/goharbor/harbor/src/lib/http/error.go:56 +0x1d2",
    #"Sep 18 10:00:05 172.18.0.1 jobservice[1043]: 2024-09-18T10:00:05Z [INFO] [/jobservice/worker/cworker/c_worker.go:77]: Job incoming: {"name":"REPLICATION","id":"97833cef690cc2e9741266cd","t":1726653605,"args":null}"#,
    "Sep 18 10:00:12 172.18.0.1 jobservice[1043]: 2024-09-18T10:00:12Z [INFO] [/jobservice/runner/redis.go:152]: Job 'REPLICATION:97833cef690cc2e9741266cd' exit with success",
]

@Suite struct SourceRunnerTests {
    func run(_ path: String, options: ParseOptions = ParseOptions(), hint: Component? = nil) -> ([Event], SourceStats) {
        var o = options
        if o.year == nil { o.year = 2024 }
        let src = ResolvedSource(site: "hub-1", componentHint: hint, files: [path], name: path)
        var events: [Event] = []
        let stats = SourceRunner(source: src, options: o).run { events.append($0) }
        return (events, stats)
    }

    /// Parses `bytes` with the framer fed in chunks of `size` (0: whole).
    func chunked(_ bytes: [UInt8], size: Int) -> [Event] {
        var parser = LineParser(options: ParseOptions(), clock: SyslogClock(year: 2024, reference: nil, zone: .fixed(0)))
        var framer = LineFramer()
        var out: [Event] = []
        var n = 0
        let handle: (UnsafeBufferPointer<UInt8>, LineFlags) -> Void = { line, _ in
            n += 1
            var e = Event()
            e.line = n
            if case .event = parser.parse(line, into: &e) { out.append(e) }
        }
        bytes.withUnsafeBufferPointer { all in
            let step = size == 0 ? all.count : size
            var i = 0
            while i < all.count {
                framer.feed(UnsafeBufferPointer(rebasing: all[i..<min(all.count, i + step)]), handle)
                i += step
            }
        }
        framer.finish(handle)
        return out
    }

    @Test func sameEventsWholeLineByLineAndByteByByte() {
        let text = Array((docLines.joined(separator: "\n") + "\n").utf8)
        let whole = chunked(text, size: 0)
        #expect(whole.count == docLines.count - 1)  // the stack-trace line continues a record
        #expect(chunked(text, size: 1) == whole)
        #expect(chunked(text, size: 7) == whole)
        #expect(chunked(text, size: 4096) == whole)
        // line by line
        var lineByLine: [Event] = []
        var parser = LineParser(options: ParseOptions(), clock: SyslogClock(year: 2024, reference: nil, zone: .fixed(0)))
        for (i, l) in docLines.enumerated() {
            var e = Event()
            e.line = i + 1
            let bytes = Array(l.utf8)
            if case .event = bytes.withUnsafeBufferPointer({ parser.parse($0, into: &e) }) { lineByLine.append(e) }
        }
        #expect(lineByLine == whole)
    }

    @Test func continuationJoinsTheRecordBefore() throws {
        let path = try tempFile("core.log", Array((docLines.joined(separator: "\n") + "\n").utf8))
        defer { removeTempFile(path) }
        let (events, stats) = run(path)
        #expect(stats.continuations == 1)
        #expect(stats.malformedCount == 0)
        let err = events.first { $0.level == .error && $0.component == .core }
        #expect(err?.message?.hasSuffix("\n\t/go/src/github.com/goharbor/harbor/src/lib/http/error.go:56 +0x1d2") == true)
        #expect(events.count == docLines.count - 1)
        #expect(events.map(\.line) == events.map(\.line).sorted())
    }

    /// A run whose `emit` keeps no event gives the same events as one that keeps them all, its
    /// boxes used again line after line: registry records held for their continuation, access
    /// lines and proxy lines in turns (a line then hands on two events), a continuation, a
    /// `message repeated` line, blank and malformed lines.
    @Test func eventsNotKeptLeaveTheirBoxesToTheNextLines() throws {
        var lines: [String] = []
        for k in 0..<300 {
            switch k % 7 {
            case 0, 1: lines.append(RegistryLogrusParserTests.completed)
            case 2: lines.append(RegistryLogrusParserTests.access)
            case 3: lines.append(RegistryLogrusParserTests.authorized)
            case 4: lines.append(k % 3 == 0 ? "" : "Sep 18 10:00:01 172.18.0.1 registry[1043]: not a registry line \(k)")
            case 5: lines.append("Sep 18 10:00:02 172.18.0.1 registry[1043]: message repeated 3 times: [ \(RegistryLogrusParserTests.access.components(separatedBy: "]: ")[1])]")
            default: lines.append(RegistryLogrusParserTests.blobUnknown)
            }
        }
        let path = try tempFile("registry.log", Array((lines.joined(separator: "\n") + "\n").utf8))
        defer { removeTempFile(path) }
        let (kept, keptStats) = run(path)
        let src = ResolvedSource(site: "hub-1", componentHint: nil, files: [path], name: path)
        var options = ParseOptions()
        options.year = 2024
        final class Seen { weak var box: EventStorage? }
        var copies: [Event] = []
        var seen: [Seen] = []  // each box an event came in (weak: not kept by the test)
        var freed = 0  // boxes seen that were freed before the run's end
        let stats = SourceRunner(source: src, options: options).run { e in
            copies.append(Event(box: e.s.copy()))  // a copy in a box of its own: `e` is not kept
            freed = seen.count(where: { $0.box == nil })
            if !seen.contains(where: { $0.box === e.s }) {
                let s = Seen()
                s.box = e.s
                seen.append(s)
            }
        }
        #expect(copies.count == kept.count && copies.count > 300, "\(copies.count) events, \(stats)")
        #expect(copies == kept)
        #expect(stats.events == keptStats.events && stats.malformedCount == keptStats.malformedCount)
        #expect(stats.continuations == keptStats.continuations)
        #expect(freed == 0 && seen.count <= 3, "\(seen.count) boxes for \(copies.count) events, \(freed) freed")
    }

    @Test func hostileInputNeverStopsTheRun() throws {
        var bytes: [UInt8] = []
        bytes += Array("Sep 18 10:00:01 172.18.0.1 proxy[1043]: 10.0.0.1 - \"GET /v2/ HTTP/1.1\" 401 76 \"-\" \"ua\" 0.002 0.002 .\n".utf8)
        bytes += [0, 1, 2, 0xFF, 0xFE, 0, 0x0A]  // binary
        bytes += Array(repeating: 0x41, count: 1_000_000) + [0x0A]  // a 1 MB line
        bytes += [0xC3, 0x28, 0xA0, 0xA1, 0x0A]  // invalid UTF-8
        bytes += Array(repeating: 0x22, count: 5000) + [0x0A]  // only quotes
        bytes += Array("Sep 18 10:00:02 172.18.0.1 proxy[1043]: 10.0.0.1 - \"GET /v2/ HTTP/1.1\" 401 76 \"-\" \"ua\" 0.002 0.002 .".utf8)  // no newline
        let path = try tempFile("proxy.log", bytes)
        defer { removeTempFile(path) }
        let (events, stats) = run(path, hint: .proxy)
        #expect(events.count == 2)
        #expect(stats.lines == 6)
        #expect(stats.truncated == 1)
        #expect(stats.malformedCount == 4)
        #expect(stats.malformed[.binary] == 1)
        #expect(stats.malformedSamples.map(\.line) == [2, 3, 4, 5])
        #expect(events.last?.line == 6)
    }

    @Test func invalidUTF8InsideAFieldIsRepaired() throws {
        var bytes = Array("10.0.0.1 - \"GET /v2/ HTTP/1.1\" 401 76 \"-\" \"bad".utf8)
        bytes += [0xC3, 0x28]
        bytes += Array("ua\" 0.002 0.002 .\n".utf8)
        let path = try tempFile("proxy.log", bytes)
        defer { removeTempFile(path) }
        let (events, stats) = run(path, hint: .proxy)
        #expect(stats.malformedCount == 0)
        #expect(events.first?.userAgent == "bad\u{FFFD}(ua")
    }

    @Test func jobLogFileNameGivesTheJobId() throws {
        let path = try tempFile("97833cef690cc2e9741266cd.log", Array("2024-09-18T10:00:06Z [INFO] [/controller/replication/transfer/image/transfer.go:292]: copy the blob sha256:77ea completed\n".utf8))
        defer { removeTempFile(path) }
        let src = InputResolver().resolve([InputSpec(path: path)]).sources
        #expect(src.first?.componentHint == .job)
        var events: [Event] = []
        _ = SourceRunner(source: src[0], options: ParseOptions()).run { events.append($0) }
        #expect(events.first?.jobId == "97833cef690cc2e9741266cd")
        #expect(events.first?.jobAction == .blobCopied)
    }

    @Test func zoneAndYearAreLearnedFromDatedLines() throws {
        let lines = [
            #"Sep 18 10:00:01 172.18.0.1 proxy[1043]: 10.0.0.1 - "GET /v2/ HTTP/1.1" 401 76 "-" "ua" 0.002 0.002 ."#,
            #"Sep 18 10:00:03 172.18.0.1 proxy[1043]: 2024/09/18 02:00:03 [warn] 8#8: *1 an upstream response is buffered to a temporary file, client: 10.0.0.1, server: , request: "GET /v2/library/nginx/blobs/sha256:aa HTTP/1.1", upstream: "http://172.18.0.6:8080/v2/library/nginx/blobs/sha256:aa", host: "hub-1""#,
        ]
        let path = try tempFile("proxy.log", Array((lines.joined(separator: "\n") + "\n").utf8))
        defer { removeTempFile(path) }
        var o = ParseOptions()
        o.year = nil
        let src = ResolvedSource(site: "hub-1", componentHint: .proxy, files: [path], name: path)
        var events: [Event] = []
        let runners = ParseRun(sources: [src], options: o).runners()
        _ = runners[0].run { events.append($0) }
        #expect(events.count == 2)
        #expect(events[0].time == t("2024-09-18T02:00:01Z"))
        #expect(events[1].format == .nginxError)
        #expect(events[1].kind == .blob)
        #expect(events[1].level == .warning)
    }
}
