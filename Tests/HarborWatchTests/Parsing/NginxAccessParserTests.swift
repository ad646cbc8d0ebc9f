import Testing
@testable import HarborWatch

@Suite struct NginxAccessParserTests {
    static let proxyLines: [(String, String, String, Int, Int64, RequestKind)] = [
        (#"Sep 18 10:00:01 172.18.0.1 proxy[1043]: 10.20.30.40 - "GET /v2/ HTTP/1.1" 401 76 "-" "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \x5C(linux\x5C))" 0.002 0.002 ."#,
         "GET", "/v2/", 401, 76, .ping),
        (#"Sep 18 10:00:01 172.18.0.1 proxy[1043]: 10.20.30.40 - "GET /service/token?account=alice&scope=repository%3Alibrary%2Fnginx%3Apull%2Cpush&service=harbor-registry HTTP/1.1" 200 1043 "-" "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \x5C(linux\x5C))" 0.091 0.091 ."#,
         "GET", "/service/token", 200, 1043, .token),
        (#"Sep 18 10:00:03 172.18.0.1 proxy[1043]: 10.20.30.40 - "PATCH /v2/library/nginx/blobs/uploads/17ceae91-b124-4b35-a44c-065535dba420?_state=Qm9ndXNTdGF0ZVRva2VuRXhhbXBsZU9ubHk%3D HTTP/1.1" 202 0 "-" "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \x5C(linux\x5C))" 1.874 1.874 ."#,
         "PATCH", "/v2/library/nginx/blobs/uploads/17ceae91-b124-4b35-a44c-065535dba420", 202, 0, .upload),
        (#"Sep 18 10:00:04 172.18.0.1 proxy[1043]: 10.20.30.40 - "PUT /v2/library/nginx/manifests/1.25 HTTP/1.1" 201 0 "-" "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \x5C(linux\x5C))" 0.143 0.143 ."#,
         "PUT", "/v2/library/nginx/manifests/1.25", 201, 0, .manifest),
    ]

    @Test(arguments: proxyLines)
    func harborProxyDocExamples(line: String, method: String, path: String, status: Int, bytes: Int64, kind: RequestKind) {
        let (r, e) = parseLine(line)
        #expect(r == .event(count: 1))
        #expect(e.component == .proxy)
        #expect(e.format == .nginxAccess)
        #expect(e.client == "10.20.30.40")
        #expect(e.method == method)
        #expect(e.path == path)
        #expect(e.status == status)
        #expect(e.bytes == bytes)
        #expect(e.kind == kind)
        #expect(e.userAgent == dockerUA)
        #expect(e.proto == "HTTP/1.1")
        #expect(e.referer == nil)
        #expect(e.time > t("2024-09-18T10:00:00Z"))
    }

    @Test func tokenRequestNamesUserAndScope() {
        let (_, e) = parseLine(Self.proxyLines[1].0)
        #expect(e.user == "alice")
        #expect(e.repository == "library/nginx")
        #expect(e.fields["scope.actions"] == "pull,push")
        #expect(e.requestTime == 0.091)
        #expect(e.time == t("2024-09-18T10:00:01Z"))
    }

    @Test func uploadAndManifestViews() {
        let (_, patch) = parseLine(Self.proxyLines[2].0)
        #expect(patch.repository == "library/nginx")
        #expect(patch.uploadId == "17ceae91-b124-4b35-a44c-065535dba420")
        #expect(patch.query == "_state=Qm9ndXNTdGF0ZVRva2VuRXhhbXBsZU9ubHk%3D")
        let (_, put) = parseLine(Self.proxyLines[3].0)
        #expect(put.repository == "library/nginx")
        #expect(put.reference == "1.25")
    }

    @Test func uploadPutDigestAndMount() {
        let put = #"10.20.30.40 - "PUT /v2/team/app/blobs/uploads/abc?_state=x&digest=sha256%3A77ea HTTP/1.1" 201 0 "-" "ua" 0.010 0.010 ."#
        let (_, e) = parseLine(put, hint: .proxy)
        #expect(e.kind == .upload)
        #expect(e.repository == "team/app")
        #expect(e.uploadDigest == "sha256:77ea")
        let mount = #"10.20.30.40 - "POST /v2/team/app/blobs/uploads/?mount=sha256%3Aaa&from=library%2Fbase HTTP/1.1" 201 0 "-" "ua" 0.010 0.010 ."#
        let (_, m) = parseLine(mount, hint: .proxy)
        #expect(m.mountDigest == "sha256:aa")
        #expect(m.mountFrom == "library/base")
        #expect(m.uploadId == nil)
    }

    @Test func pathPrefixBeforeV2() {
        let line = #"172.18.0.6 - - [18/Sep/2024:02:41:07 +0000] "POST /registry/v2/team/payments/blobs/uploads/ HTTP/1.1" 401 87 "-" "ua" 0123456789abcdef0123456789abcdef"#
        let (r, e) = parseLine(line, hint: .nginx)
        #expect(r == .event(count: 1))
        #expect(e.pathPrefix == "/registry")
        #expect(e.kind == .upload)
        #expect(e.repository == "team/payments")
        #expect(e.requestId == "0123456789abcdef0123456789abcdef")
        #expect(e.time == t("2024-09-18T02:41:07Z"))
        #expect(e.user == nil)
    }

    @Test func helmVariantCarriesItsOwnTime() {
        let line = #"[18/Sep/2024:10:00:01 +0800]:10.20.30.40 - "GET /v2/ HTTP/1.1" 401 76 "-" "curl/8.0" 0.002 0.002 ."#
        let (r, e) = parseLine(line)
        #expect(r == .event(count: 1))
        #expect(e.time == t("2024-09-18T02:00:01Z"))
        #expect(e.component == .nginx)
    }

    @Test(arguments: [("0.1, 0.2", 0.3), ("0.1 : 0.2", 0.3), ("-", nil), ("0.5", 0.5)] as [(String, Double?)])
    func upstreamTimeLists(list: String, expected: Double?) {
        let line = #"10.0.0.1 - "GET /v2/ HTTP/1.1" 502 0 "-" "ua" 1.000 "# + list + " ."
        let (r, e) = parseLine(line, hint: .proxy)
        #expect(r == .event(count: 1))
        if let expected {
            #expect(abs((e.upstreamTime ?? -1) - expected) < 1e-9)
        } else {
            #expect(e.upstreamTime == nil)
        }
    }

    @Test func junkRequestIsKeptNotMalformed() {
        let line = #"10.0.0.9 - "\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03" 400 157 "-" "-" 0.001 - ."#
        let (r, e) = parseLine(line, hint: .proxy)
        #expect(r == .event(count: 1))
        #expect(e.status == 400)
        #expect(e.method == nil)
        #expect(e.upstreamTime == nil)
    }

    @Test func customFormatFromDirective() throws {
        let directive = """
            log_format trace '$remote_addr $host [$time_iso8601] "$request" $status $bytes_sent '
                             'rt=$request_time urt="$upstream_response_time" ua="$http_user_agent" '
                             'id=$upstream_http_x_request_id up=$upstream_addr x=$ssl_protocol';
            """
        let f = try NginxLogFormat.parse(directive: directive)
        #expect(f.name == "trace")
        var o = ParseOptions()
        o.nginxFormats = [f]
        let line = #"10.1.1.1 hub-1.example.com [2024-09-18T10:00:01+08:00] "HEAD /v2/library/nginx/manifests/1.25 HTTP/1.1" 200 512 rt=0.004 urt="0.004" ua="containerd/v1.7.13" id=2c5d8f5f-ef4f-4250-94e3-ea273ac3284d up=172.18.0.6:8080 x=TLSv1.3"#
        let (r, e) = parseLine(line, hint: .nginx, options: o)
        #expect(r == .event(count: 1))
        #expect(e.host == "hub-1.example.com")
        #expect(e.time == t("2024-09-18T02:00:01Z"))
        #expect(e.requestId == "2c5d8f5f-ef4f-4250-94e3-ea273ac3284d")
        #expect(e.fields["upstream_http_x_request_id"] == "2c5d8f5f-ef4f-4250-94e3-ea273ac3284d")
        #expect(e.upstreamAddr == "172.18.0.6:8080")
        #expect(e.fields["ssl_protocol"] == "TLSv1.3")
        #expect(e.bytes == 512)
        #expect(e.kind == .manifest)
    }

    @Test func badDirectivesAreRefusedWithAReason() {
        #expect(throws: NginxFormatError.self) { try NginxLogFormat.parse(directive: "log_format x '$remote_addr$status';") }
        #expect(throws: NginxFormatError.self) { try NginxLogFormat.parse(directive: "log_format x 'no variables';") }
        #expect(throws: NginxFormatError.self) { try NginxLogFormat.parse(directive: "log_format x escape=bogus '$status';") }
        #expect(throws: NginxFormatError.self) { try NginxLogFormat.parse(directive: "log_format x '$status") }
    }

    @Test func msecTime() throws {
        var o = ParseOptions()
        o.nginxFormats = [try NginxLogFormat.parse(directive: #"$msec $remote_addr "$request" $status"#)]
        let (r, e) = parseLine(#"1726653601.250 10.0.0.1 "GET /v2/ HTTP/1.1" 401"#, hint: .nginx, options: o)
        #expect(r == .event(count: 1))
        #expect(e.time == t("2024-09-18T10:00:01.25Z"))
    }

    /// The literal after a value is matched once, where the value's end is searched for, and then
    /// stepped over. A literal that reaches into the blanks trimmed off the line's end does not count.
    @Test func literalIntoTrimmedBlanksIsNotAMatch() throws {
        let f = try NginxLogFormat.parse(directive: #"log_format t '$remote_addr "$request" $status';"#)
        let p = NginxAccessParser(format: f)
        var interner = StringInterner()
        func parse(_ line: String) -> Event? {
            let bytes = Array(line.utf8)
            var e = Event()
            let trimmed = bytes.withUnsafeBufferPointer { $0.trimmed(0..<$0.count) }
            let ok = bytes.withUnsafeBufferPointer { p.parse($0, trimmed, into: &e, interner: &interner) }
            return ok ? e : nil
        }
        #expect(parse(#"10.0.0.1 "GET /v2/ HTTP/1.1" 401"#)?.status == 401)
        #expect(parse(#"10.0.0.1 "GET /v2/ HTTP/1.1" 401   "#)?.status == 401)
        #expect(parse(#"10.0.0.1 "GET /v2/ HTTP/1.1" "#) == nil)  // `" ` ends in the trimmed blank
        #expect(parse(#"10.0.0.1 "GET /v2/ HTTP/1.1""#) == nil)
        #expect(parse(#"10.0.0.1 "GET /v2/ HTTP/1.1"401"#) == nil)
        // Through a source, the same lines: an event, and malformed (not a crash).
        var o = ParseOptions()
        o.nginxFormats = [f]
        #expect(parseLine(#"10.0.0.1 "GET /v2/ HTTP/1.1" 401 "#, hint: .nginx, options: o).0 == .event(count: 1))
        #expect(parseLine(#"10.0.0.1 "GET /v2/ HTTP/1.1" "#, hint: .nginx, options: o).0 == .malformed(.nginx))
    }

    @Test func truncatedLineIsMalformed() {
        let cut = String(Self.proxyLines[0].0.prefix(150))
        let (r, _) = parseLine(cut)
        #expect(r == .malformed(.nginx))
    }
}

@Suite struct UnescapedQuoteTests {
    /// The scan of a gorilla line's quoted value as it was written first: byte by byte from the
    /// value's start, a `\` stepping over the byte after it.
    static func stepped(_ b: [UInt8], from: Int, to: Int, accept: (Int) -> Bool) -> Int? {
        var i = from
        while i < to {
            if b[i] == ASCII.backslash { i += 2; continue }
            if b[i] == ASCII.quote, accept(i) { return i }
            i += 1
        }
        return nil
    }

    /// Quotes found with `memchr` and their backslash runs counted back give the stepped scan's
    /// answer, on 20,000 random values of quotes, backslashes, blanks and letters (runs of
    /// backslashes of every length, a run at the value's start, a `\` as the last byte).
    @Test func givesTheSteppedScansAnswer() {
        var rng = SplitMix(seed: 7)
        let alphabet: [UInt8] = [ASCII.quote, ASCII.backslash, ASCII.backslash, ASCII.space, 0x61, 0x78]
        var checked = 0, found = 0
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 14)
            let bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let from = n == 0 ? 0 : Int(rng.next() % UInt64(n))
            let acceptAll: (Int) -> Bool = { _ in true }
            let beforeBlank: (Int) -> Bool = { $0 + 1 < n && bytes[$0 + 1] == ASCII.space }
            for accept in [acceptAll, beforeBlank] {
                let want = Self.stepped(bytes, from: from, to: n, accept: accept)
                let got = bytes.withUnsafeBufferPointer { NginxAccessParser.unescapedQuote($0, from: from, to: n, accept: accept) }
                #expect(got == want, "\(String(decoding: bytes, as: UTF8.self)) from \(from)")
                checked += 1
                if want != nil { found += 1 }
            }
        }
        #expect(checked == 40_000)
        #expect(found > 5_000)  // the values do end at quotes, often
    }

    /// Through the registry's access line: `\"` inside a value stays in it, `\\"` ends it.
    @Test func escapedQuotesInAccessLines() {
        let line = #"172.18.0.6 - - [18/Sep/2024:10:00:01 +0000] "GET /v2/ HTTP/1.1" 200 0 "a \" b" "agent \"quoted\" \\""#
        let (r, e) = parseLine(line, hint: .registry)
        #expect(r == .event(count: 1))
        #expect(e.referer == #"a " b"#)
        #expect(e.userAgent == #"agent "quoted" \"#)
        // `\\"` then more text: the value ended at that quote, and the line is not this format's.
        let (r2, _) = parseLine(#"172.18.0.6 - - [18/Sep/2024:10:00:01 +0000] "GET /v2/ HTTP/1.1" 200 0 "" "agent \\" x""#, hint: .registry)
        #expect(r2 != .event(count: 1))
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct FindLastTests {
    /// The word-at-a-time `findLast` gives the byte loop's answer: on 20,000 random buffers of
    /// 0–40 bytes, with bytes near the one sought (±1, its high-bit twin, 0x00, 0xFF) that would
    /// show a borrow between bytes, and every start and end.
    @Test func givesTheByteLoopsAnswer() {
        var rng = SplitMix(seed: 11)
        var found = 0
        for round in 0..<20_000 {
            let target = UInt8(truncatingIfNeeded: rng.next())
            let near: [UInt8] = [target, target &+ 1, target &- 1, target ^ 0x80, 0x00, 0xFF, 0x2F, 0x41]
            let n = Int(rng.next() % 41)
            let bytes = (0..<n).map { _ in near[Int(rng.next() % UInt64(near.count))] }
            let from = n == 0 ? 0 : Int(rng.next() % UInt64(n + 1))
            let to = from + (n - from == 0 ? 0 : Int(rng.next() % UInt64(n - from + 1)))
            var want: Int?
            var i = to - 1
            while i >= from { if bytes[i] == target { want = i; break }; i -= 1 }
            let got = bytes.withUnsafeBufferPointer { $0.findLast(target, from: from, to: to) }
            #expect(got == want, "round \(round): \(bytes) \(from)..<\(to) for \(target)")
            if want != nil { found += 1 }
        }
        #expect(found > 6_000)  // most rounds have the byte in range
    }
}

@Suite struct StringInternerTests {
    /// Every value interned reads as its bytes: 60,000 lookups of values that share their length
    /// and first and last 8 bytes (the recent table's quick key) but differ inside, short ones, and
    /// repeats, through a table small enough to start afresh many times.
    @Test func valuesAreTheirBytes() {
        var rng = SplitMix(seed: 3)
        var interner = StringInterner(capacity: 64)
        let head = "docker/24.0.7 go/go1.20.10 ", tail = " (linux)"
        var distinct: [String] = []
        for k in 0..<300 {
            switch k % 3 {
            case 0: distinct.append(head + String(repeating: "x", count: 20) + String(k, radix: 36) + tail)  // same quick key family
            case 1: distinct.append(head + "y\(k)" + tail)
            default: distinct.append("10.0.\(k % 256).\(k / 256)")
            }
        }
        var repeatsAlike = 0
        for _ in 0..<60_000 {
            let want = distinct[Int(rng.next() % UInt64(distinct.count))]
            let bytes = Array(("<" + want + ">").utf8)
            let got = bytes.withUnsafeBufferPointer { interner.intern($0, 1..<($0.count - 1)) }
            #expect(got == want)
            let again = bytes.withUnsafeBufferPointer { interner.intern($0, 1..<($0.count - 1)) }
            if again == got { repeatsAlike += 1 }
        }
        #expect(repeatsAlike == 60_000)
        #expect(interner.count <= 64)
    }

    /// A reference reads as its bytes: a tag through the table, a digest without it (the table
    /// does not grow with digests).
    @Test func referencesAreTheirBytes() {
        var interner = StringInterner()
        let digest = "sha256:" + String(repeating: "0123456789abcdef", count: 4)
        for text in ["1.25", "latest", "sha256:short", digest, "sha256:" + String(repeating: "é", count: 40), digest] {
            let bytes = Array(("/" + text + " ").utf8)
            let got = bytes.withUnsafeBufferPointer { interner.reference($0, 1..<($0.count - 1)) }
            #expect(got == text)
        }
        #expect(interner.count == 3)  // the tags and `sha256:short`
    }

    /// The cache of digests and upload ids (`transient`): a value seen again gives the string made
    /// the first time (the same storage), and every value reads as its bytes, or as them decoded
    /// for `transientPercentDecoded`, whichever value held its slot before: 20,000 lookups of
    /// digests that share their last 8 bytes and length (one slot), of upload ids, of values too
    /// short or too long for a slot, and the same bytes asked for plain and decoded in turns.
    @Test func transientValuesAreTheirBytes() {
        var interner = StringInterner()
        func ask(_ text: String, decoded: Bool = false) -> String {
            let bytes = Array(("/" + text + " ").utf8)
            return bytes.withUnsafeBufferPointer {
                decoded ? interner.transientPercentDecoded($0, 1..<($0.count - 1)) : interner.transient($0, 1..<($0.count - 1))
            }
        }
        let tail = String(repeating: "0123456789abcdef", count: 3) + "89abcdef"
        let digest = "sha256:" + "aa" + String(tail.dropFirst(2))
        let first = ask(digest)
        #expect(first == digest)
        #expect(ask(digest).words == first.words)  // found: the string made the first time

        var rng = SplitMix(seed: 11)
        var values: [(String, Bool, String)] = []  // asked, decoded, wanted
        for k in 0..<40 {
            let head = String(k, radix: 16)
            let sameSlot = "sha256:" + head + String(tail.dropFirst(head.count))  // same length and last 8 bytes
            values.append((sameSlot, false, sameSlot))
            let encoded = "sha256%3A" + head + String(tail.dropFirst(head.count))
            values.append((encoded, false, encoded))
            values.append((encoded, true, "sha256:" + head + String(tail.dropFirst(head.count))))
            let upload = "3f2a\(k)c1e-7b5d-4c44-9a0e-\(String(repeating: "d", count: 12 - String(k).count))\(k)"
            values.append((upload, false, upload))
        }
        values += [("short", false, "short"), ("sha512:" + String(repeating: "ab", count: 70), false, "sha512:" + String(repeating: "ab", count: 70))]
        for _ in 0..<20_000 {
            let (asked, decoded, want) = values[Int(rng.next() % UInt64(values.count))]
            #expect(ask(asked, decoded: decoded) == want)
        }
    }
}

@Suite struct HarborProxyPathTests {
    /// Harbor's proxy lines read in straight code (`harborProxy`) give what the step loop gives:
    /// the same answer and the same event, on 30,000 lines made of real values and then bent (a
    /// byte replaced by a blank, quote, comma, colon, backslash or `p`, a cut, a doubled blank),
    /// so that many take the loop's slower searches or are not the format's at all.
    @Test func givesTheStepLoopsEvents() {
        let straight = NginxAccessParser(format: NginxLogFormat.timedCombined)
        let loop = NginxAccessParser(format: NginxLogFormat.timedCombined, straight: false)
        var rng = SplitMix(seed: 17)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let clients = ["10.0.0.2", "10.30.1.58", "fe80::1", "10.0.0.2", "10.30.1.58", "10.0.0.9", "", "1.2.3.4 x"]
        let requests = [
            "GET /v2/ HTTP/1.1", "HEAD /v2/library/nginx/manifests/1.25 HTTP/1.1",
            "PUT /v2/team/app/blobs/uploads/3f2a?digest=sha256%3Aabc HTTP/1.1",
            "GET /service/token?account=robot%24ci&scope=repository%3Ateam%2Fapp%3Apull&service=harbor-registry HTTP/1.1",
            "GET /registry/v2/a/b/tags/list HTTP/2.0", "-", "junk \\x22 here", "GET /a\\\"b HTTP/1.1",
        ]
        let statuses = ["200", "401", "404", "200", "201", "202", "500", "204", "20", "2000"]
        let sizes = ["0", "1145", "76", "0", "524288", "13", "-", "12 3"]
        let referers = ["-", "", "https://hub-1/harbor/projects", "a\\x22b"]
        let agents = ["docker/20.10.12 go/go1.16.12 UpstreamClient(Docker-Client/20.10.12 \\x5C(linux\\x5C))", "-", "kube-probe/1.21"]
        let times = ["0.002", "0.052", "12.345", "0.003", "1.500", "1", "0.1234", "-", "x.yz"]
        let upstreams = ["0.000", "0.048", "0.1, 0.2", "0.1 : 0.2", "-", "0.1,0.2"]
        let pipes = [".", "p", ".", ".", "p", ".", "x", ". "]
        let benders: [UInt8] = [ASCII.space, ASCII.quote, ASCII.comma, ASCII.colon, ASCII.backslash, 0x70]
        var parsed = 0, refused = 0
        for round in 0..<30_000 {
            let line = "\(pick(clients)) - \"\(pick(requests))\" \(pick(statuses)) \(pick(sizes)) \"\(pick(referers))\" "
                + "\"\(pick(agents))\" \(pick(times)) \(pick(upstreams)) \(pick(pipes))"
            if Self.bentLineAgrees(line, straight, loop, benders, &rng, "round \(round)") { parsed += 1 } else { refused += 1 }
        }
        #expect(parsed > 5_000)
        #expect(refused > 5_000)
    }
}

extension HarborProxyPathTests {
    /// Bends `line` (a byte replaced by one of `benders`, a cut, a doubled blank, or nothing),
    /// reads it with both parsers, and expects the same answer and the same event; true when read.
    static func bentLineAgrees(
        _ line: String, _ straight: NginxAccessParser, _ loop: NginxAccessParser, _ benders: [UInt8], _ rng: inout SplitMix,
        _ label: String
    ) -> Bool {
        var bytes = Array(line.utf8)
        switch rng.next() % 4 {
        case 0: bytes[Int(rng.next() % UInt64(bytes.count))] = benders[Int(rng.next() % UInt64(benders.count))]
        case 1: bytes.removeLast(Int(rng.next() % 12))
        case 2:
            let at = Int(rng.next() % UInt64(bytes.count))
            if bytes[at] == ASCII.space { bytes.insert(ASCII.space, at: at) }
        default: break
        }
        let bent = String(decoding: bytes, as: UTF8.self)
        var a = Event(site: "s", file: "f", line: 1), b = Event(site: "s", file: "f", line: 1)
        var ia = StringInterner(), ib = StringInterner()
        let (okA, okB) = bytes.withUnsafeBufferPointer { buf in
            let r = buf.trimmed(0..<buf.count)
            return (straight.parse(buf, r, into: &a, interner: &ia), loop.parse(buf, r, into: &b, interner: &ib))
        }
        #expect(okA == okB, "\(label): \(bent)")
        #expect(a == b, "\(label): \(bent)")
        return okA
    }

    /// The formats that start as nginx's `combined` read their head in straight code
    /// (`combinedHead`) and the rest with the step loop: the same answer and event as the loop
    /// alone, on 30,000 bent lines of `combined`, `main`, `timed_combined_full` and
    /// `combined_request_id`.
    @Test func combinedHeadGivesTheStepLoopsEvents() {
        let formats = [NginxLogFormat.combined, .main, .timedCombinedFull, .combinedRequestId]
        let straight = formats.map { NginxAccessParser(format: $0) }
        let loop = formats.map { NginxAccessParser(format: $0, straight: false) }
        var rng = SplitMix(seed: 19)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let clients = ["10.0.0.2", "10.30.1.58", "fe80::1", "10.0.0.9", "", "1.2.3.4 x"]
        let users = ["-", "-", "-", "admin", "robot$ci", "", "a b"]
        let times = ["12/Jul/2021:00:00:01 +0000", "12/Jul/2021:00:00:01 +0000", "01/Jan/2024:23:59:59 +0800", "12/Jul/2021 00:00:01 +0000", "12/Jul/2021:00:00:01"]
        let requests = [
            "GET /v2/ HTTP/1.1", "HEAD /v2/library/nginx/manifests/1.25 HTTP/1.1",
            "GET /service/token?account=robot%24ci&scope=repository%3Ateam%2Fapp%3Apull HTTP/1.1", "-", "GET /a\\\"b HTTP/1.1",
        ]
        let statuses = ["200", "401", "404", "200", "500", "20"]
        let sizes = ["0", "1145", "76", "524288", "-"]
        let referers = ["-", "", "https://hub-1/harbor/projects", "a\\x22b"]
        let agents = ["docker/20.10.12 go/go1.16.12 UpstreamClient(Docker-Client/20.10.12 \\x5C(linux\\x5C))", "-", "kube-probe/1.21", "a\\\"b"]
        // Each format's own tails (in `formats`' order), and now and then another's.
        let tails = [[""], [" \"10.1.1.1, 10.2.2.2\"", " \"-\""], [" 0.002 0.000 .", " 0.052 0.1, 0.2 p"], [" 3f2a9c"]]
        let anyTail = tails.flatMap { $0 } + [" x"]
        let benders: [UInt8] = [ASCII.space, ASCII.quote, ASCII.comma, ASCII.colon, ASCII.backslash, ASCII.rbracket, ASCII.lbracket]
        var parsed = 0, refused = 0
        for round in 0..<30_000 {
            let f = Int(rng.next() % UInt64(formats.count))
            let line = "\(pick(clients)) - \(pick(users)) [\(pick(times))] \"\(pick(requests))\" \(pick(statuses)) \(pick(sizes)) "
                + "\"\(pick(referers))\" \"\(pick(agents))\"\(rng.next() % 6 == 0 ? pick(anyTail) : pick(tails[f]))"
            let label = "round \(round), \(formats[f].name)"
            if Self.bentLineAgrees(line, straight[f], loop[f], benders, &rng, label) { parsed += 1 } else { refused += 1 }
        }
        #expect(parsed > 3_000)
        #expect(refused > 5_000)
    }
}

@Suite struct ByteScanTests {
    /// `matches`' word compares give the byte loop's answer: literals of 1–22 bytes, at every
    /// place of a buffer that holds them, with each byte changed in turn, and cut by the end.
    @Test func matchesGivesTheByteLoopsAnswer() {
        let literals: [StaticString] = [
            "h", "go", "msg", "http", "vars.", "level=", "version", "http.req", "instance.", "err.detail",
            "vars.digest", "environment=", "http.request.", "http.response.", "http.request.uri", "http.request.host",
            "http.request.method", "http.response.status", "http.request.useragent",
        ]
        for literal in literals {
            let text = Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
            for change in -1..<text.count {
                var body = text
                if change >= 0 { body[change] ^= [0x01, 0x20, 0x80][change % 3] }
                for pad in 0..<3 {
                    let buffer = Array(repeating: UInt8(ascii: "x"), count: pad) + body + Array(repeating: UInt8(ascii: " "), count: pad % 2)
                    buffer.withUnsafeBufferPointer { b in
                        for at in -1...(b.count + 1) {
                            let loop = at >= 0 && at + text.count <= b.count && (0..<text.count).allSatisfy { b[at + $0] == text[$0] }
                            #expect(b.matches(literal, at: at) == loop, "\(literal) in \(buffer) at \(at)")
                        }
                    }
                }
            }
        }
    }

    /// `decimal`'s three-decimals path gives the digit loop's number, on 20,000 random values of
    /// digits, dots and other bytes (0–9 bytes long).
    @Test func decimalGivesTheLoopsNumber() {
        func loop(_ b: [UInt8]) -> Double? {
            var whole = 0, frac = 0, scale = 1, i = 0, digits = 0
            while i < b.count, b[i] &- ASCII.zero < 10 { whole = whole &* 10 &+ Int(b[i] &- ASCII.zero); i += 1; digits += 1 }
            if i < b.count, b[i] == ASCII.dot {
                i += 1
                while i < b.count, b[i] &- ASCII.zero < 10 {
                    if scale < 1_000_000_000_000 { frac = frac &* 10 &+ Int(b[i] &- ASCII.zero); scale &*= 10 }
                    i += 1; digits += 1
                }
            }
            guard !b.isEmpty, i == b.count, digits > 0 else { return nil }
            return Double(whole) + Double(frac) / Double(scale)
        }
        var rng = SplitMix(seed: 23)
        let alphabet: [UInt8] = Array("0123456789".utf8) + Array("0123456789".utf8) + [ASCII.dot, ASCII.dot, ASCII.dash, 0x78]
        var numbers = 0
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 10)
            var bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            if n >= 5, rng.next() % 2 == 0 { bytes[n - 4] = ASCII.dot }  // the `d.ddd` shape, often
            let want = loop(bytes)
            let got = bytes.withUnsafeBufferPointer { $0.decimal(0..<n) }
            #expect(got == want, "\(String(decoding: bytes, as: UTF8.self))")
            if want != nil { numbers += 1 }
        }
        #expect(numbers > 2_000)
    }

    /// `findShort` gives `find`'s answer (the first byte sought, or nil), for every start and end
    /// of 20,000 random buffers of 0–40 bytes.
    @Test func findShortGivesFindsAnswer() {
        var rng = SplitMix(seed: 29)
        var found = 0
        for _ in 0..<20_000 {
            let target: UInt8 = rng.next() % 2 == 0 ? ASCII.space : ASCII.quote
            let near: [UInt8] = [target, target &+ 1, target &- 1, target ^ 0x80, 0x00, 0xFF, 0x41, 0x41, 0x41]
            let n = Int(rng.next() % 41)
            let bytes = (0..<n).map { _ in near[Int(rng.next() % UInt64(near.count))] }
            let from = n == 0 ? 0 : Int(rng.next() % UInt64(n + 1))
            let to = from + (n - from == 0 ? 0 : Int(rng.next() % UInt64(n - from + 1)))
            let want = bytes[from..<to].firstIndex(of: target)
            let got = bytes.withUnsafeBufferPointer { NginxAccessParser.findShort($0, target, from: from, to: to) }
            #expect(got == want)
            if want != nil { found += 1 }
        }
        #expect(found > 6_000)
    }

    /// The interner's hash reads a value's last 0–7 bytes with one load; it is the byte loop's
    /// hash for every range of 300 random buffers of 0–29 bytes (so equal paths still hash alike
    /// however they were kept).
    @Test func hashTailIsTheByteLoops() {
        func loopHash(_ b: [UInt8], _ r: Range<Int>) -> UInt64 {
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(r.count)
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                var w: UInt64 = 0
                for k in 0..<8 { w |= UInt64(b[i + k]) << (8 * UInt64(k)) }
                h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 31
                i += 8
            }
            var tail: UInt64 = 0, shift: UInt64 = 0
            while i < r.upperBound { tail |= UInt64(b[i]) << shift; shift += 8; i += 1 }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
            return h ^ (h >> 29)
        }
        var rng = SplitMix(seed: 31)
        for _ in 0..<300 {
            let n = Int(rng.next() % 30)
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for lo in 0...n {
                for hi in lo...n {
                    let got = bytes.withUnsafeBufferPointer { StringInterner.hash($0, lo..<hi) }
                    #expect(got == loopHash(bytes, lo..<hi))
                }
            }
        }
    }
}
