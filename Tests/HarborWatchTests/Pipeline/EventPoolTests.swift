import Foundation
import Testing
@testable import HarborWatch

/// Event boxes used again (`EventPool`): a run on one thread hands each event's box back when it is
/// done with it, and the next line's event takes it.
@Suite struct EventPoolTests {
    /// Every field set away from a new box's value, `extra`'s and `fields` included.
    static func everyFieldSet() -> Event {
        var e = Event(site: "hub-2", file: "proxy.log", line: 7)
        e.time = 1_726_653_601_000_000_000
        e.timeIsStart = true
        e.component = .registry
        e.format = .registryLogrus
        e.client = "10.0.0.1"
        e.user = "admin"
        e.method = "PROPFIND"  // a method without a code of its own: kept as text (`otherMethod`)
        e.path = "/v2/a/b/blobs/uploads/u1"
        e.query = "digest=sha256%3Aaa"
        e.proto = "HTTP/1.1"
        e.status = 201
        e.bytes = 5
        e.requestTime = 0.5
        e.upstreamTime = 0.4
        e.upstreamAddr = "172.18.0.6:8080"
        e.userAgent = "harbor-registry-client"  // `isReplicator` set too
        e.referer = "https://hub-2/"
        e.host = "hub-2.example.com"
        // The request id kept as bytes (as parsers keep it), the path as text.
        let id = Array("9ce406ee-a210-4387-854b-b95fd26879f1".utf8)
        id.withUnsafeBufferPointer { e.writable().setRequestId($0, 0..<$0.count) }
        e.kind = .upload
        e.repository = "a/b"
        e.reference = "sha256:aa"
        e.uploadId = "u1"
        e.uploadDigest = "sha256:aa"
        e.level = .error
        e.message = "response completed"
        e.errorCode = "blob unknown"
        e.errorDetail = "detail"
        e.fields["scope"] = "repository:a/b:pull"
        e.jobId = "0123456789abcdef01234567"
        e.isFrontLine = true
        e.clientKey = 42
        return e
    }

    /// The stored properties of an event's box, as text.
    static func stored(_ e: Event) -> [String: String] {
        var out: [String: String] = [:]
        for c in Mirror(reflecting: e.s).children { out[c.label ?? "?"] = String(describing: c.value) }
        return out
    }

    /// A recycled box gives an event equal to a new one, in every stored property: a property a
    /// later change adds to the box and not to `reset` fails here (the first check makes sure
    /// this test sets every property).
    @Test func recycledBoxIsANewOne() throws {
        let fresh = Self.stored(Event(site: "", file: "", line: 0))
        var e = Self.everyFieldSet()
        let set = Self.stored(e)
        #expect(set.count == fresh.count)
        // A field is kept either as text or as bytes: `path` and `query` as text, `requestId` as
        // bytes; the protocol as a flag for `HTTP/1.1`, else as text.
        for (name, value) in fresh where !["pathSlot", "querySlot", "requestId", "otherProto"].contains(name) {
            #expect(set[name] != value, "\(name) not set by the test")
        }
        let pool = EventPool()
        let box = ObjectIdentifier(e.s)  // not a reference: the box must be held by `e` alone
        e.recycle(into: pool)
        #expect(pool.count == 1)
        let again = Event(box: pool.take() ?? EventStorage())  // as `LineProcessor.handle` does
        again.s.place(site: "hub-1", file: "registry.log", line: 3)
        #expect(ObjectIdentifier(again.s) == box)  // the same box, used again
        #expect(pool.count == 0)
        #expect(again == Event(site: "hub-1", file: "registry.log", line: 3))
        // All but the room for kept bytes, which a recycled box keeps (empty: `lazyCount` is 0),
        // and the box of the rarer fields, kept too, every field of it back to nil.
        let room: Set = ["lazyBytes", "lazyCapacity", "extra"]
        #expect(Self.stored(again).filter { !room.contains($0.key) } == Self.stored(Event(site: "hub-1", file: "registry.log", line: 3)).filter { !room.contains($0.key) })
        #expect(again.s.lazyCount == 0 && again.s.lazyCapacity > 0)
        let extra = try #require(again.s.extra)
        let cleared = Mirror(reflecting: extra).children.map { String(describing: $0.value) }
        #expect(cleared.count == 13 && cleared.allSatisfy { $0 == "nil" || $0 == "none" }, "\(cleared)")
        // Set again on the kept box, and copied, a field reads as set; the others stay nil.
        var next = again
        next.referer = "https://hub-1/"
        #expect(next.referer == "https://hub-1/" && next.upstreamAddr == nil && next.jobId == nil)
        var copy = next
        copy.referer = nil  // a copy of the shared box, with a copy of `extra`
        #expect(copy.referer == nil && next.referer == "https://hub-1/")
    }

    /// With sources parsed on threads of their own, the engine hands boxes back (`BoxReturns`)
    /// and a parse thread's pool takes them, reset there: the same boxes, each equal to a new
    /// one; boxes are handed over 256 at a time, and past the capacity they are freed.
    @Test func boxesHandedBackAreResetOnTheParseThread() async throws {
        let returns = BoxReturns(capacity: 600)
        var given = Set<ObjectIdentifier>()
        for _ in 0..<800 {
            var e = Self.everyFieldSet()
            given.insert(ObjectIdentifier(e.s))
            e.recycle(into: returns)
        }
        var shared = Self.everyFieldSet()
        let kept = shared
        shared.recycle(into: returns)  // shared with `kept`: not handed back
        // 256 and 512 were handed over; the third 256 did not fit in 600 and was freed; 32 wait to be.
        let taken = await Task.detached { () -> [ObjectIdentifier: [String: String]] in
            let pool = EventPool(capacity: 100, returns: returns)
            var out: [ObjectIdentifier: [String: String]] = [:]
            while let box = pool.take() {
                box.place(site: "hub-1", file: "registry.log", line: 3)
                out[ObjectIdentifier(box)] = EventPoolTests.stored(Event(box: box))
                withExtendedLifetime(box) {}
                if out.count > 1_000 { break }
            }
            return out
        }.value
        #expect(taken.count == 512)
        #expect(Set(taken.keys).isSubset(of: given))
        let room: Set = ["lazyBytes", "lazyCapacity", "extra"]  // kept, emptied (`recycledBoxIsANewOne`)
        let fresh = Self.stored(Event(site: "hub-1", file: "registry.log", line: 3)).filter { !room.contains($0.key) }
        #expect(taken.values.allSatisfy { $0.filter { !room.contains($0.key) } == fresh })
        #expect(kept == Self.everyFieldSet())
    }

    /// `trim` frees the boxes past the number kept (a live stream gives back what a backlog needed).
    @Test func trimFreesTheBoxesPastTheNumberKept() {
        let pool = EventPool(capacity: 16)
        weak var last: EventStorage?
        for i in 0..<10 {
            var e = Event(site: "hub-1", file: "proxy.log", line: i)
            if i == 9 { last = e.s }
            e.recycle(into: pool)
        }
        #expect(pool.count == 10 && last != nil)
        pool.trim(keeping: 3)
        #expect(pool.count == 3)
        #expect(last == nil)  // the last put is the first freed (a stack)
        pool.trim(keeping: 5)
        #expect(pool.count == 3)
    }

    /// An event another one shares (kept by a detector, or a copy) is not recycled.
    @Test func sharedEventIsNotRecycled() {
        var e = Self.everyFieldSet()
        let kept = e
        let pool = EventPool()
        e.recycle(into: pool)
        #expect(pool.count == 0)
        #expect(kept == Self.everyFieldSet())
    }

    /// Reading a file with events recycled: the events a caller keeps are those of a run in which
    /// it keeps them all (none recycled), whatever was parsed after them into recycled boxes.
    @Test func keptEventsStayAsParsed() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var lines: [String] = []
        for k in 0..<3_000 {
            switch k % 3 {
            case 0:
                lines.append(#"Sep 18 10:00:01 172.18.0.1 proxy[1]: 10.0.0.\#(k % 250) - "GET /v2/a/b\#(k % 7)/manifests/1.\#(k)?x=\#(k) HTTP/1.1" 200 \#(k) "https://hub-1/\#(k)" "docker/\#(k % 5)" 0.004 0.004 ."#)
            case 1:
                lines.append(#"Sep 18 10:00:01 172.18.0.1 registry[2]: time="2024-09-18T10:00:01.5Z" level=error msg="response completed with error" err.code="blob unknown" err.detail="d\#(k)" http.request.id=id-\#(k) http.request.method=HEAD http.request.uri="/v2/c/d/blobs/sha256:\#(k)" http.response.contenttype="application/json" http.response.status=404 vars.name="c/d" vars.digest="sha256:\#(k)" "#)
            default:
                lines.append(#"Sep 18 10:00:01 172.18.0.1 registry[2]: 172.18.0.6 - - [18/Sep/2024:10:00:01 +0000] "PUT /v2/e/f/blobs/uploads/u\#(k)?digest=sha256%3A\#(k) HTTP/1.1" 201 0 "" "ua \"\#(k)\"""#)
            }
        }
        let path = try dir.write("mixed.log", Array((lines.joined(separator: "\n") + "\n").utf8))
        let src = ResolvedSource(site: "hub-1", componentHint: nil, files: [path], name: path)
        var all: [Event] = []
        _ = SourceRunner(source: src, options: ParseOptions()).run { all.append($0) }
        var kept: [Int: Event] = [:]
        var n = 0
        _ = SourceRunner(source: src, options: ParseOptions()).run { e in
            if n % 10 == 3 { kept[n] = e }
            n += 1
        }
        #expect(all.count == 3_000 && n == 3_000)
        #expect(kept.count == 300)
        for (i, e) in kept { #expect(e == all[i], "event \(i)") }
        #expect(Set(all.map(\.format)) == [.nginxAccess, .registryLogrus, .registryAccess])
    }

    /// A path and a request id kept as bytes read as the text a String would have held: equal to
    /// the same event with them set as text, the same path hash, invalid UTF-8 repaired alike,
    /// and a copy changed on its own.
    @Test func keptBytesReadAsText() {
        let line = #"time="2024-09-18T10:00:01.5Z" level=info msg="response completed" http.request.id=id-1 http.request.method=GET http.request.uri="/v2/a/b/manifests/\#u{FF}x?n=1&last=2" http.response.status=200 "#
        var bytes = Array(line.utf8)
        // A raw 0xFF byte in the path (not valid UTF-8), in place of the `ÿ` written above.
        let at = bytes.firstIndex(of: 0xC3)!
        bytes.replaceSubrange(at..<(at + 2), with: [0xFF])
        var parser = LineParser(options: ParseOptions(), componentHint: .registry, clock: SyslogClock(year: 2024, reference: nil, zone: .fixed(0)))
        var e = Event()
        let r = bytes.withUnsafeBufferPointer { parser.parse($0, into: &e) }
        #expect(r == .event(count: 1))
        #expect(e.s.path == nil && e.s.pathSlot.count > 0)  // kept as bytes
        #expect(e.s.requestId == nil && e.s.requestIdSlot.count > 0)
        let repaired = String(decoding: Array("/v2/a/b/manifests/".utf8) + [0xFF, 0x78], as: UTF8.self)
        #expect(e.path == repaired)
        #expect(e.requestId == "id-1")
        #expect(e.s.query == nil && e.s.querySlot.count > 0)
        #expect(e.query == "n=1&last=2")
        var text = e
        text.path = e.path  // the same values, as text
        text.query = e.query
        text.requestId = e.requestId
        #expect(text.s.path != nil && text.s.pathSlot.count == 0)
        #expect(text.s.query != nil && text.s.querySlot.count == 0)
        #expect(text == e)
        text.query = "n=1"
        #expect(text != e)
        #expect(text.s.pathHash() == e.s.pathHash())
        // ASCII paths hash without a String, and alike in either form.
        var a = Event(site: "x", file: "f", line: 1)
        let p = Array("/v2/c/d/blobs/sha256:aa".utf8)
        p.withUnsafeBufferPointer { a.writable().setPath($0, 0..<$0.count) }
        var b = a
        b.path = "/v2/c/d/blobs/sha256:aa"
        #expect(a.s.pathHash() == b.s.pathHash())
        #expect(a.path == "/v2/c/d/blobs/sha256:aa")  // the copy's change left `a` as it was
        #expect(a.s.pathSlot.count > 0 && b.s.pathSlot.count == 0)
        b.path = "/v2/c/d/blobs/sha256:ab"
        #expect(a.s.pathHash() != b.s.pathHash())
        #expect(Event().s.pathHash() == { var e = Event(); e.path = ""; return e }().s.pathHash())  // none is ""
    }

    /// Past 64 KiB of kept bytes a field is kept as text instead: a 40,000-byte path is kept as
    /// bytes, the 30,000-byte query after it as text, and both read back whole.
    @Test func longFieldsKeptAsText() {
        let path = "/v2/a/b/manifests/" + String(repeating: "p", count: 40_000)
        let query = "q=" + String(repeating: "x", count: 30_000)
        let line = #"time="2024-09-18T10:00:01.5Z" level=info msg="response completed" http.request.method=GET http.request.uri=""# + path + "?" + query + #"" http.response.status=200 "#
        var options = ParseOptions()
        options.maxLineLength = 100_000
        let (r, e) = parseLine(line, hint: .registry, options: options)
        #expect(r == .event(count: 1))
        #expect(e.s.pathSlot.count > 0)
        #expect(e.s.query != nil && e.s.querySlot.count == 0)
        #expect(e.path == path)
        #expect(e.query == query)
    }
}
