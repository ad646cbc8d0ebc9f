import Testing
@testable import HarborWatch

@Suite struct RegistryLogrusParserTests {
    static let authorized = #"Sep 18 10:00:01 172.18.0.1 registry[1043]: time="2024-09-18T10:00:01.734512093Z" level=info msg="authorized request" go.version=go1.22.7 http.request.host=harbor-a.example.com http.request.id=9ce406ee-a210-4387-854b-b95fd26879f1 http.request.method=POST http.request.remoteaddr=10.20.30.40 http.request.uri="/v2/library/nginx/blobs/uploads/" http.request.useragent="docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \(linux\))" vars.name="library/nginx" "#
    static let completed = #"Sep 18 10:00:01 172.18.0.1 registry[1043]: time="2024-09-18T10:00:01.743880410Z" level=info msg="response completed" go.version=go1.22.7 http.request.host=harbor-a.example.com http.request.id=9ce406ee-a210-4387-854b-b95fd26879f1 http.request.method=POST http.request.remoteaddr=10.20.30.40 http.request.uri="/v2/library/nginx/blobs/uploads/" http.request.useragent="docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \(linux\))" http.response.duration=9.412ms http.response.status=202 http.response.written=0 "#
    static let access = #"Sep 18 10:00:01 172.18.0.1 registry[1043]: 172.18.0.6 - - [18/Sep/2024:10:00:01 +0000] "POST /v2/library/nginx/blobs/uploads/ HTTP/1.1" 202 0 "" "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \\(linux\\))""#
    static let blobUnknown = #"Sep 18 10:00:09 172.19.0.1 registry[2210]: time="2024-09-18T10:00:09.118230511Z" level=error msg="response completed with error" auth.user.name=harbor_registry_user err.code="blob unknown" err.detail=sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2 err.message="blob unknown to registry" go.version=go1.22.7 http.request.host=harbor-b.example.com http.request.id=f337bd97-0661-493c-b969-e10ee286eb51 http.request.method=GET http.request.remoteaddr=10.60.7.21 http.request.uri="/v2/library/nginx/blobs/sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2" http.request.useragent="containerd/v1.7.13" http.response.contenttype="application/json; charset=utf-8" http.response.duration=4.215ms http.response.status=404 http.response.written=157 vars.digest="sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2" vars.name="library/nginx" "#

    @Test func authorizedRequest() {
        let (r, e) = parseLine(Self.authorized)
        #expect(r == .event(count: 1))
        #expect(e.component == .registry)
        #expect(e.format == .registryLogrus)
        #expect(e.level == .info)
        #expect(e.message == "authorized request")
        #expect(e.time == t("2024-09-18T10:00:01.734512093Z"))
        #expect(e.host == "harbor-a.example.com")
        #expect(e.requestId == "9ce406ee-a210-4387-854b-b95fd26879f1")
        #expect(e.method == "POST")
        #expect(e.client == "10.20.30.40")
        #expect(e.path == "/v2/library/nginx/blobs/uploads/")
        #expect(e.userAgent == dockerUA)
        #expect(e.repository == "library/nginx")
        #expect(e.kind == .upload)
        #expect(e.status == 0)
    }

    @Test func responseCompleted() {
        let (_, e) = parseLine(Self.completed)
        #expect(e.status == 202)
        #expect(e.bytes == 0)
        #expect(abs((e.requestTime ?? 0) - 0.009412) < 1e-12)
        #expect(e.message == "response completed")
    }

    @Test func accessLineCarriesStartTimeAndCoreAddress() {
        let (r, e) = parseLine(Self.access)
        #expect(r == .event(count: 1))
        #expect(e.format == .registryAccess)
        #expect(e.timeIsStart)
        #expect(e.client == "172.18.0.6")
        #expect(e.userAgent == dockerUA)
        #expect(e.referer == nil)
        #expect(e.status == 202)
        #expect(e.time == t("2024-09-18T10:00:01Z"))
    }

    @Test func blobUnknownError() {
        let (r, e) = parseLine(Self.blobUnknown)
        #expect(r == .event(count: 1))
        #expect(e.level == .error)
        #expect(e.errorCode == "blob unknown")
        #expect(e.errorDetail == "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2")
        #expect(e.fields["err.message"] == "blob unknown to registry")
        #expect(e.fields["auth.user.name"] == "harbor_registry_user")
        #expect(e.fields["http.response.contenttype"] == "application/json; charset=utf-8")
        #expect(e.status == 404)
        #expect(e.bytes == 157)
        #expect(e.kind == .blob)
        #expect(e.repository == "library/nginx")
        #expect(e.reference == "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2")
        #expect(e.client == "10.60.7.21")
        #expect(e.userAgent == "containerd/v1.7.13")
    }

    @Test func rawQuotesInsideAValue() {
        let line = #"time="2024-09-18T02:41:07.1Z" level=warning msg="error authorizing context: basic authentication challenge for realm "harbor-registry-basic-realm": invalid authorization credential" go.version=go1.21.11 http.request.host="hub-1.corp.example.com" http.request.id=1 http.request.method=POST http.request.remoteaddr=10.20.30.41 http.request.uri="/v2/team/payments/blobs/uploads/" http.request.useragent="ua \"x\"" vars.name="team/payments" "#
        let (r, e) = parseLine(line, hint: .registry)
        #expect(r == .event(count: 1))
        #expect(e.level == .warning)
        #expect(e.message == #"error authorizing context: basic authentication challenge for realm "harbor-registry-basic-realm": invalid authorization credential"#)
        #expect(e.host == "hub-1.corp.example.com")
        #expect(e.userAgent == #"ua "x""#)
        #expect(e.repository == "team/payments")
    }

    @Test func manifestUnknownByDigest() {
        let line = #"time="2024-09-18T02:10:20.5Z" level=error msg="response completed with error" auth.user.name=harbor_registry_user err.code="manifest unknown" err.detail="unknown manifest name=app/web revision=sha256:aa" err.message="manifest unknown" go.version=go1.21.11 http.request.host=hub-2.corp.example.com http.request.id=x http.request.method=HEAD http.request.remoteaddr=10.60.7.21 http.request.uri="/v2/app/web/manifests/sha256:aa" http.request.useragent="containerd/v1.7.13" http.response.duration="812.4µs" http.response.status=404 http.response.written=157 vars.name="app/web" vars.reference="sha256:aa" "#
        let (_, e) = parseLine(line, hint: .registry)
        #expect(e.errorCode == "manifest unknown")
        #expect(e.errorDetail == "unknown manifest name=app/web revision=sha256:aa")
        #expect(e.kind == .manifest)
        #expect(e.reference == "sha256:aa")
        #expect(abs((e.requestTime ?? 0) - 0.0008124) < 1e-12)
    }

    @Test func cutLineIsMalformed() {
        let (r, _) = parseLine(#"Sep 18 10:00:01 172.18.0.1 registry[1043]: time="2024-09-18T10:00:01.7Z" level=info msg="resp"#)
        #expect(r == .malformed(.registry))
    }

    @Test func goroutineDumpContinues() {
        let (r, _) = parseLine("Sep 18 10:00:01 172.18.0.1 registry[1043]: goroutine 1 [running]:")
        if case .continuation = r {} else { Issue.record("expected a continuation, got \(r)") }
    }

    @Test(arguments: [
        ("9.412ms", 0.009412), ("1m51.9s", 111.9), ("150ns", 150e-9), ("2h0m1s", 7201), ("812µs", 812e-6), ("0s", 0),
    ])
    func goDurations(text: String, seconds: Double) {
        let b = Array(text.utf8)
        let v = b.withUnsafeBufferPointer { Timestamps.goDuration($0, 0..<$0.count) }
        #expect(abs((v ?? -1) - seconds) < 1e-9)
    }
}

@Suite struct LabFindingsTests {
    @Test func newerLogrusEscapesQuotedValues() {
        let line = #"time="2026-11-27T00:46:44.5Z" level=info msg="response completed" http.request.method=GET http.request.remoteaddr=127.0.0.1 http.request.uri=/v2/ http.request.useragent="evil \"agent\" \\ with ümläuts\t<tab> UpstreamClient(Docker-Client/24.0.7 \\(linux\\))" http.response.status=200"#
        let (r, e) = parseLine(line, hint: .registry)
        #expect(r == .event(count: 1))
        #expect(e.userAgent == "evil \"agent\" \\ with ümläuts\t<tab> UpstreamClient(Docker-Client/24.0.7 \\(linux\\))")
        #expect(e.path == "/v2/")
        #expect(e.kind == .ping)
    }

    @Test func olderLogrusRawBackslashesStay() {
        let (_, e) = parseLine(RegistryLogrusParserTests.authorized)
        #expect(e.userAgent == dockerUA)
    }

    @Test func quotedDigestAndEmptyUser() {
        let line = #"time="2026-11-27T00:46:44.5Z" level=error msg="response completed with error" auth.user.name= err.code="manifest unknown" err.detail="sha256:abc" http.request.method=HEAD http.request.uri="/v2/library/web/manifests/1.0" http.response.status=404 vars.name=library/web vars.reference=1.0"#
        let (r, e) = parseLine(line, hint: .registry)
        #expect(r == .event(count: 1))
        #expect(e.errorDetail == "sha256:abc")
        #expect(e.repository == "library/web")
        #expect(e.reference == "1.0")
        #expect(e.fields["auth.user.name"] == "")
    }

    @Test func rsyslogEscapesInsideHarborFields() {
        let line = ##"Sep 18 10:00:04 172.18.0.1 core[1043]: 2024-09-18T10:00:04Z [ERROR] [/server/middleware/security/basic_auth.go:72][client IP="127.0.0.1" user agent="docker/20.10.5 "lab"#011client"]: failed to authenticate user:carol, error:x"##
        let (r, e) = parseLine(line)
        #expect(r == .event(count: 1))
        #expect(e.userAgent == "docker/20.10.5 \"lab\"\tclient")
        #expect(e.user == "carol")
    }

    @Test func robotAccountFailureNamesTheRobot() {
        let (_, e) = parseLine(#"2024-09-18T10:00:04Z [ERROR] [/x.go:1]: failed to authenticate robot account: robot$ci, error: bad secret"#, hint: .core)
        #expect(e.user == "robot$ci")
        #expect(e.errorCode == "AUTHENTICATION_FAILED")
    }

    @Test func junkRequestLineIsNotAMethod() {
        let (r, e) = parseLine(#"10.0.0.9 - "HELLO WORLD" 400 150 "-" "-" 0.001 - ."#, hint: .proxy)
        #expect(r == .event(count: 1))
        #expect(e.method == nil)
        #expect(e.path == "HELLO WORLD")
        #expect(e.kind == .other)
        let (_, ok) = parseLine(#"10.0.0.9 - "OPTIONS * HTTP/1.1" 200 0 "-" "-" 0.001 - ."#, hint: .proxy)
        #expect(ok.method == "OPTIONS")
    }

    /// The registry's route variables win over what the path says; what they leave out comes from
    /// the path (the path's own value is not even looked up when a variable gives it).
    @Test func routeVariablesWinOverThePath() {
        func line(_ uri: String, _ vars: String) -> String {
            #"time="2024-09-18T10:00:01.5Z" level=info msg="response completed" http.request.method=GET http.request.uri=""# + uri
                + #"" http.response.status=200 "# + vars
        }
        var (r, e) = parseLine(line("/v2/a/b/manifests/latest", #"vars.name="x/y" vars.reference="sha256:dd""#), hint: .registry)
        #expect(r == .event(count: 1))
        #expect(e.kind == .manifest)
        #expect(e.repository == "x/y")
        #expect(e.reference == "sha256:dd")
        (_, e) = parseLine(line("/v2/a/b/manifests/latest", #"vars.name="x/y""#), hint: .registry)
        #expect(e.repository == "x/y")
        #expect(e.reference == "latest")
        (_, e) = parseLine(line("/v2/a/b/blobs/sha256:ee", ""), hint: .registry)
        #expect(e.kind == .blob)
        #expect(e.repository == "a/b")
        #expect(e.reference == "sha256:ee")
        (_, e) = parseLine(line("/v2/a/b/blobs/uploads/u-path", #"vars.name="x/y" vars.uuid=u-var"#), hint: .registry)
        #expect(e.kind == .upload)
        #expect(e.repository == "x/y")
        #expect(e.uploadId == "u-var")
        (_, e) = parseLine(line("/v2/a/b/blobs/uploads/u-path", ""), hint: .registry)
        #expect(e.repository == "a/b")
        #expect(e.uploadId == "u-path")
        (_, e) = parseLine(line("/v2/a/b/tags/list", #"vars.name="x/y""#), hint: .registry)
        #expect(e.kind == .tags)
        #expect(e.repository == "x/y")
        #expect(e.reference == nil)
    }
}

@Suite struct LogrusKnownKeyTests {
    /// The byte loop `knownKey` was: the `=` of a known key at `i` (a known prefix, then
    /// `[A-Za-z0-9._]` up to `=`, under 48 bytes from `i` and before `to`), or -1.
    static func byteLoop(_ b: [UInt8], _ i: Int, _ to: Int) -> Int {
        let prefixes = ["http.", "vars.", "version=", "err.", "error=", "environment=", "go.", "auth.", "instance.", "service=",
            "redis.", "trace.", "url=", "level=", "msg="].map { Array($0.utf8) }
        guard let p = prefixes.first(where: { i + $0.count <= b.count && Array(b[i..<(i + $0.count)]) == $0 }),
            i + p.count <= to
        else { return -1 }
        if p.last == UInt8(ascii: "=") { return i + p.count - 1 }
        var k = i + p.count
        while k < to, k < i + 48 {
            if b[k] == UInt8(ascii: "=") { return k }
            guard RegistryLogrusParser.isKeyByte(b[k]) else { return -1 }
            k += 1
        }
        return -1
    }

    /// The word-at-a-time `knownKey` gives the byte loop's answer: 30,000 random keys after known
    /// and unknown prefixes, of key bytes and the bytes around their ranges (`/`, `:`, `@`, `[`,
    /// `` ` ``, `{`, 0x80 and up, `-`, space), with `=` anywhere or nowhere, every end.
    @Test func givesTheByteLoopsAnswer() {
        var rng = SplitMix(seed: 11)
        let starts = ["http.", "vars.", "version=", "err.", "error=", "environment=", "go.", "auth.", "instance.", "service=",
            "redis.", "trace.", "url=", "level=", "msg=", "https.", "var.", "x."]
        let alphabet = Array("aAzZ09._/:@[`{-= ".utf8) + [0x80, 0xC3, 0xFF, 0x7F, 0x2E, 0x5F, 0x3D, 0x3C, 0x3E]
        for _ in 0..<30_000 {
            var line = Array(starts[Int(rng.next() % UInt64(starts.count))].utf8)
            let length = Int(rng.next() % 60)
            for _ in 0..<length {
                // mostly key bytes, so that long keys and far `=` come up
                if rng.next() % 4 == 0 {
                    line.append(alphabet[Int(rng.next() % UInt64(alphabet.count))])
                } else {
                    line.append(Array("abcXYZ019._".utf8)[Int(rng.next() % 11)])
                }
            }
            if rng.next() % 2 == 0 { line.insert(UInt8(ascii: "="), at: Int(rng.next() % UInt64(line.count + 1))) }
            let to = Int(rng.next() % UInt64(line.count + 1))
            let want = Self.byteLoop(line, 0, to)
            let got = line.withUnsafeBufferPointer { RegistryLogrusParser.knownKey($0, 0, to) }
            #expect(got == want, "\(String(decoding: line, as: UTF8.self)) to \(to)")
        }
    }

    /// A quoted value that holds `" ` and text that looks like a key ends at the first `"` before
    /// a known key and `=` (`bogus.key` is not one, and `uri="` is no `" `), and the key after it is
    /// read whole.
    @Test func quoteInsideAValue() {
        let line = #"time="2024-09-18T10:00:01.734512093Z" level=info msg="say "hi" there" bogus.key=1 http.request.uri="/v2/a/b/manifests/1" http.request.method=GET vars.name="a/b" "#
        let (r, e) = parseLine(line, hint: .registry)
        #expect(r == .event(count: 1))
        #expect(e.message == #"say "hi" there" bogus.key=1 http.request.uri="/v2/a/b/manifests/1"#)
        #expect(e.method == "GET")
        #expect(e.repository == "a/b")
    }
}
