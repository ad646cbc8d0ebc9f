import Testing
@testable import HarborWatch

@Suite struct ArtifactBookTests {
    /// State is bounded whatever the input: past the per-site cap the least recently seen entries
    /// go, and they are counted (the report's `artifacts_evicted`, watch's metrics file).
    @Test func capEvictsTheLeastRecentlySeenAndCountsThem() {
        let book = ArtifactBook(retention: 3_600_000_000_000, cap: 1_000)
        for i in 0..<60_000 {
            let t = Int64(i) * 1_000_000
            book.record("hub-1", "app/a\(i)@1", at: t, how: .pushed)
            book.sweep(now: t)
        }
        #expect(book.evicted > 0)
        #expect(book.expired == 0)
        #expect(book.entry("hub-1", "app/a49999@1") != nil, "the newest before the sweep stay")
        #expect(book.entry("hub-1", "app/a0@1") == nil, "the oldest go")
        #expect(book.count <= 1_000 + 10_000)
    }

    @Test func retentionExpiresByEventTime() {
        let book = ArtifactBook(retention: 60_000_000_000, cap: 400_000)
        book.record("hub-1", "app/old@1", at: 0, how: .pushed)
        for i in 1...50_000 { book.sweep(now: 120_000_000_000 + Int64(i)) }
        #expect(book.entry("hub-1", "app/old@1") == nil)
        #expect(book.expired == 1)
        #expect(book.evicted == 0)
    }
}

@Suite struct ArtifactBookHashTests {
    @Test func hashOfPartsEqualsHashOfTheJoinedKey() {
        for (repo, ref) in [("library/nginx", "1.25"), ("app/api", "sha256:4ba8cd793ebb"), ("", ""), ("ü/é", "标签")] {
            #expect(ArtifactBook.hash(repository: repo, reference: ref) == ArtifactBook.hash(repo + "@" + ref))
        }
        #expect(ArtifactBook.hash("a@b") != ArtifactBook.hash("a@c"))
    }

    @Test func keyHashTellsWherePartsEnd() {
        func h(_ parts: [String]) -> UInt64 {
            var k = KeyHash()
            for p in parts { k.add(p) }
            return k.value
        }
        #expect(h(["ab", "c"]) != h(["a", "bc"]))
        #expect(h(["", "x"]) != h(["x", ""]))
        #expect(h(["x"]) != h(["x", ""]))
        // Words and tails: lengths around eight bytes, and one byte changed anywhere.
        let long = "docker/20.10.17 go/go1.17.11 git-commit/a89b842 kernel/5.10.0-8-amd64"
        var seen = Set<UInt64>()
        for n in 0...long.utf8.count {
            let s = String(long.prefix(n))
            #expect(seen.insert(h(["10.0.0.1", s])).inserted)
        }
        #expect(h([long]) != h([long.replacingOccurrences(of: "amd64", with: "amd65")]))
        #expect(h(["site", "10.0.0.1"]) == h(["site", "10.0.0.1"]))
    }

    /// `caseBit` reads an enum's stored index; it must be the case's place in `allCases`, for
    /// every enum a matcher or the front test asks about.
    @Test func caseBitIsTheIndexInAllCases() {
        func check<T: CaseIterable & Equatable>(_: T.Type) {
            var bits = Set<UInt64>()
            for c in T.allCases {
                #expect(caseBit(c) == caseBitByWalking(c))
                #expect(caseBit(c) != 0)
                bits.insert(caseBit(c))
            }
            #expect(bits.count == T.allCases.count)
        }
        check(Component.self)
        check(RequestKind.self)
        check(LogFormat.self)
        check(LogLevel.self)
        check(JobAction.self)
    }

    /// A key that is already a hash keeps its identity as a Dictionary key.
    @Test func hashKeysFindWhatWasStored() {
        var d: [HashKey: Int] = [:]
        for i in 0..<10_000 { d[HashKey(UInt64(i) &* 0x9E37_79B9_7F4A_7C15)] = i }
        #expect(d.count == 10_000)
        for i in stride(from: 0, to: 10_000, by: 7) { #expect(d[HashKey(UInt64(i) &* 0x9E37_79B9_7F4A_7C15)] == i) }
        #expect(d[HashKey(12345)] == nil)
    }
}

@Suite struct ClientKeyMemoTests {
    /// The memo gives what `clientKey` computes, for strings shared (interned) or made anew with
    /// the same text, for absent fields, and when entries are overwritten by other clients.
    @Test func memoGivesTheComputedKey() {
        var memo = ClientKeyMemo()
        let agents: [String?] = [nil, "curl/8", "docker/20.10.17 go/go1.17.11 git-commit/a89b842 kernel/5.10.0-8-amd64 os/linux arch/amd64"]
        var events: [Event] = []
        for i in 0..<3_000 {
            var e = Event(site: i % 3 == 0 ? "hub-1" : "hub-2-secondary-datacenter", file: "-", line: i)
            e.client = i % 7 == 0 ? nil : "10.0.\(i % 61).\(i % 5)"
            // Every third agent is made anew (same text, other storage); the others are shared.
            let a = agents[i % agents.count]
            e.userAgent = i % 3 == 1 ? a.map { String(decoding: Array($0.utf8), as: UTF8.self) } : a
            events.append(e)
        }
        var seen = Set<UInt64>()
        for e in events + events.reversed() {
            let k = memo.key(e)
            #expect(k == AnalysisContext.clientKey(e))
            seen.insert(k)
        }
        // 2 sites x (60 addresses + none) x 3 agents at most; more than one per site and agent.
        #expect(seen.count > 6)
        // Same text, whatever the storage: the same key.
        var a = Event(site: "hub-1", file: "-", line: 1)
        a.client = "10.1.2.3"
        a.userAgent = String(decoding: Array("docker/24.0.7 go/go1.20.10 git-commit/311b9ff".utf8), as: UTF8.self)
        var b = a
        b.userAgent = String(decoding: Array("docker/24.0.7 go/go1.20.10 git-commit/311b9ff".utf8), as: UTF8.self)
        b.line = 2
        #expect(memo.key(a) == memo.key(b))
        b.userAgent = "docker/24.0.7 go/go1.20.10 git-commit/311b9fe"
        #expect(memo.key(a) != memo.key(b))
        #expect(memo.key(b) == AnalysisContext.clientKey(b))
    }
}

@Suite struct StringKeyMemoTests {
    /// The memo gives what its `compute` gives for the same strings and number (the request
    /// stitcher's key: site, method, repository, status), with strings shared or made anew, absent,
    /// and a number that alone differs.
    @Test func memoGivesTheComputedKey() {
        var memo = StringKeyMemo()
        let repos: [String?] = [nil, "library/nginx", "team/a-very-long-repository-name/with/parts"]
        var computed = 0
        for i in 0..<6_000 {
            let site = i % 2 == 0 ? "hub-1" : "hub-2"
            let method: String? = i % 11 == 0 ? nil : ["GET", "HEAD", "PUT"][i % 3]
            let repo = i % 5 == 1 ? repos[i % 3].map { String(decoding: Array($0.utf8), as: UTF8.self) } : repos[i % 3]
            let status = UInt64([200, 404, 201, 65_736][i % 4])
            var e = Event(site: site, file: "-", line: i)
            e.method = method
            e.repository = repo
            e.status = Int(status)
            let want = RequestStitcher.joinKey(e)
            let got = memo.key(site, method, repo, status) {
                computed += 1
                return want
            }
            #expect(got == want)
            // the same strings and another number (no status of the run): not the entry of the first
            let other = memo.key(site, method, repo, status + 1_000) { want ^ 1 }
            #expect(other == want ^ 1)
        }
        #expect(computed < 6_000)
    }
}

@Suite struct ArtifactIncidentKeyTests {
    /// Equal for the same three texts, whatever their storage; the fields' ends count (the old
    /// `site repository@reference` string could not tell `a b`,`c` from `a`,`b c`).
    @Test func fieldsAndTheirEndsCount() {
        let k = ArtifactIncidentKey("hub-2", "app/web", "2.3.1")
        #expect(k == ArtifactIncidentKey(String(decoding: Array("hub-2".utf8), as: UTF8.self), "app/web", String("2.3.1")))
        #expect(k.hashValue == ArtifactIncidentKey("hub-2", String(decoding: Array("app/web".utf8), as: UTF8.self), "2.3.1").hashValue)
        #expect(k != ArtifactIncidentKey("hub-2", "app/web", "2.3.2"))
        #expect(k != ArtifactIncidentKey("hub-1", "app/web", "2.3.1"))
        #expect(ArtifactIncidentKey("a b", "c", "d") != ArtifactIncidentKey("a", "b c", "d"))
        var d: [ArtifactIncidentKey: Int] = [:]
        for i in 0..<500 { d[ArtifactIncidentKey("hub-2", "app/r\(i % 50)", "v\(i / 50)")] = i }
        #expect(d.count == 500)
        #expect(d[ArtifactIncidentKey("hub-2", "app/r7", "v3")] == 157)
    }
}
