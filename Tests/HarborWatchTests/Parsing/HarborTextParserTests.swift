import Testing
@testable import HarborWatch

@Suite struct HarborTextParserTests {
    @Test func coreStartupLine() {
        let (r, e) = parseLine("Sep 18 10:00:00 172.18.0.1 core[1043]: 2024-09-18T10:00:00Z [INFO] [/core/main.go:182]: configurations initialization completed")
        #expect(r == .event(count: 1))
        #expect(e.component == .core)
        #expect(e.format == .harborText)
        #expect(e.level == .info)
        #expect(e.caller == "/core/main.go:182")
        #expect(e.message == "configurations initialization completed")
        #expect(e.time == t("2024-09-18T10:00:00Z"))
    }

    @Test func loginFailedNamesTheUser() {
        let (_, e) = parseLine("Sep 18 10:00:02 172.18.0.1 core[1043]: 2024-09-18T10:00:02Z [WARNING] [/core/auth/authenticator.go:158]: Login failed, locking alice, and sleep for 1.5s")
        #expect(e.level == .warning)
        #expect(e.user == "alice")
        #expect(e.errorCode == "LOGIN_FAILED")
    }

    @Test func basicAuthFailureFieldsWithSpacesInKeys() {
        let line = #"Sep 18 10:00:04 172.18.0.1 core[1043]: 2024-09-18T10:00:04Z [ERROR] [/server/middleware/security/basic_auth.go:72][client IP="10.20.30.40" user agent="docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \(linux\))"]: failed to authenticate user:alice, error:Failed to authenticate user, due to error 'Invalid credentials'"#
        let (r, e) = parseLine(line)
        #expect(r == .event(count: 1))
        #expect(e.level == .error)
        #expect(e.client == "10.20.30.40")
        #expect(e.userAgent == dockerUA)
        #expect(e.user == "alice")
        #expect(e.errorCode == "AUTHENTICATION_FAILED")
        #expect(e.message?.hasPrefix("failed to authenticate user:alice") == true)
    }

    @Test func v212FieldsCarryTheRequestId() {
        let line = #"2024-09-18T10:00:04Z [ERROR] [/server/middleware/security/basic_auth.go:72][client IP="10.20.30.40" requestID="2c5d8f5f-ef4f-4250-94e3-ea273ac3284d" user agent="curl/8.0"]: failed to authenticate user:bob, error:x"#
        let (_, e) = parseLine(line, hint: .core)
        #expect(e.requestId == "2c5d8f5f-ef4f-4250-94e3-ea273ac3284d")
        #expect(e.userAgent == "curl/8.0")
        #expect(e.user == "bob")
    }

    @Test func artifactAlreadyExistsKeepsRequestIdAndDigest() {
        let line = #"Sep 18 10:05:12 172.18.0.1 core[1043]: 2024-09-18T10:05:12Z [INFO] [/controller/blob/controller.go:118][requestID="2c5d8f5f-ef4f-4250-94e3-ea273ac3284d"]: artifact digest sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f already exist, skip to associate blobs with the artifact"#
        let (_, e) = parseLine(line)
        #expect(e.requestId == "2c5d8f5f-ef4f-4250-94e3-ea273ac3284d")
        #expect(e.reference == "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f")
        #expect(e.fields["note"] == "artifact_exists")
    }

    @Test func auditRecord() {
        let line = #"2024-09-18T10:00:04Z [INFO] [/pkg/auditext/manager.go:86][operator="alice" resourceType="artifact" time="2024-09-18 10:00:04.512 +0000 UTC"]: action:create, resource:library/nginx:1.25, operation_description:push artifact: library/nginx@sha256:05b3"#
        let (r, e) = parseLine(line, hint: .core)
        #expect(r == .event(count: 1))
        #expect(e.user == "alice")
        #expect(e.fields["resourceType"] == "artifact")
        #expect(e.fields["time"] == "2024-09-18 10:00:04.512 +0000 UTC")
        #expect(e.fields["action"] == "create")
        #expect(e.repository == "library/nginx")
        #expect(e.reference == "1.25")
    }

    @Test func nonUTCOffset() {
        let (_, e) = parseLine("2024-09-18T18:00:00+08:00 [INFO] [/core/main.go:1]: x", hint: .core)
        #expect(e.time == t("2024-09-18T10:00:00Z"))
    }

    @Test func stackTraceLinesContinueTheRecord() {
        let (r, _) = parseLine("Sep 18 10:00:05 172.18.0.1 core[1043]: #011/go/src/github.com/goharbor/harbor/src/lib/http/error.go:56 +0x1d2")
        let line = "Sep 18 10:00:05 172.18.0.1 core[1043]: #011/go/src/github.com/goharbor/harbor/src/lib/http/error.go:56 +0x1d2"
        #expect(r == .continuation(39..<line.utf8.count))
    }

    @Test func garbledHeaderIsMalformed() {
        let (r, _) = parseLine("2024-09-18T10:00:00Z [INFO] [/core/main.go:182][broken=\"x: no end", hint: .core)
        #expect(r == .malformed(.harborText))
    }

    @Test func registryctlAccessAndText() {
        let (r1, a) = parseLine(#"Sep 18 03:00:12 172.18.0.1 registryctl[1043]: 172.18.0.9 - - [18/Sep/2024:03:00:12 +0000] "DELETE /api/registry/blob/sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06 HTTP/1.1" 200 0"#)
        #expect(r1 == .event(count: 1))
        #expect(a.component == .registryctl)
        #expect(a.format == .commonAccess)
        #expect(a.method == "DELETE")
        #expect(a.status == 200)
        #expect(a.timeIsStart)
        let (r2, h) = parseLine(#"Sep 18 10:00:30 172.18.0.1 registryctl[1043]: 127.0.0.1 - - [18/Sep/2024:10:00:30 +0000] "GET /api/health HTTP/1.1" 200 9"#)
        #expect(r2 == .event(count: 1))
        #expect(h.kind == .health)
    }
}
