import Testing
@testable import HarborWatch

@Suite struct PushUnauthorizedDetectorTests {
    static let token = "GET /service/token?account=bob&scope=repository%3Ateam%2Fapp%3Apull%2Cpush&service=harbor-registry"

    /// The normal start of a docker push.
    func login(_ s: inout Scenario, _ hms: String, token: String = token, status: Int = 200) {
        s.proxy("hub-1", hms, "10.0.0.5", "GET /v2/", 401, bytes: 76)
        s.proxy("hub-1", hms, "10.0.0.5", token, status)
    }

    @Test func challengeAloneIsNotAFailure() throws {
        var s = Scenario()
        s.proxy("hub-1", "02:00:00", "10.0.0.5", "GET /v2/", 401, bytes: 76)
        s.proxy("hub-1", "02:00:30", "10.0.0.6", "GET /v2/", 401, bytes: 76)
        #expect(try s.findings("push_unauthorized").isEmpty)
    }

    @Test func anonymousFirstThenTokenAndGoodRetryIsNotAFailure() throws {
        var s = Scenario()
        s.proxy("hub-1", "02:00:00", "10.0.0.5", "HEAD /v2/team/app/blobs/sha256:aa", 401)
        s.proxy("hub-1", "02:00:00", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        s.proxy("hub-1", "02:00:01", "10.0.0.5", Self.token, 200)
        s.proxy("hub-1", "02:00:01", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 202)
        s.proxy("hub-1", "02:00:02", "10.0.0.5", "PUT /v2/team/app/manifests/1.0", 201)
        s.proxy("hub-1", "02:01:00", "10.0.0.9", "GET /v2/", 401)
        #expect(try s.findings("push_unauthorized").isEmpty)
    }

    @Test func writesWithoutCredentialsAfterAGoodLogin() throws {
        var s = Scenario()
        for (i, t) in ["02:41:05", "02:41:38", "02:42:09"].enumerated() {
            login(&s, t)
            s.proxy("hub-1", t, "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
            s.registry("hub-1", t, msg: #"error authorizing context: basic authentication challenge for realm "harbor-registry-basic-realm": invalid authorization credential"#,
                       method: "POST", uri: "/v2/team/app/blobs/uploads/", client: "10.0.0.5", repo: "team/app")
            _ = i
        }
        login(&s, "02:53:00")
        s.proxy("hub-1", "02:53:01", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 202)
        s.proxy("hub-1", "02:53:02", "10.0.0.5", "PUT /v2/team/app/manifests/1.0", 201)
        s.proxy("hub-1", "02:59:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 1)
        #expect(f[0].detail("cause") == .string("no_credentials_on_write"))
        #expect(f[0].detail("user") == .string("bob"))
        #expect(f[0].count == 3)
        #expect(f[0].resolvedAt == t("2024-09-18T02:53:02Z"))
        #expect(f[0].labels == ["detector": "push_unauthorized", "site": "hub-1", "repository": "team/app", "user": "bob"])
        #expect(f[0].evidence.contains { $0.component == .registry })
    }

    @Test func pathPrefixProxyIsTheCause() throws {
        var s = Scenario()
        login(&s, "02:41:05")
        s.proxy("hub-1", "02:41:05", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        s.add("hub-1", "nginx/access.log", #"172.18.0.6 - - [18/Sep/2024:02:41:05 +0000] "POST /registry/v2/team/app/blobs/uploads/ HTTP/1.1" 401 87 "-" "docker/24.0.7" 0123456789abcdef0123456789abcdef"#)
        s.proxy("hub-1", "02:45:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 1)
        #expect(f[0].detail("cause") == .string("no_credentials_on_write"))
        #expect(f[0].resolvedAt == nil)
        #expect(f[0].evidence.contains { $0.text.contains("/registry/v2/") })
    }

    @Test func badCredentialsAtTheTokenRequest() throws {
        var s = Scenario()
        login(&s, "02:45:10", status: 401)
        s.core("hub-1", "02:45:10", "failed to authenticate user:bob, error:Failed to authenticate user, due to error 'Invalid credentials'", fields: #"[client IP="10.0.0.5" user agent="docker/24.0.7"]"#)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 1)
        #expect(f[0].detail("cause") == .string("bad_credentials"))
        #expect(f[0].labels["user"] == "bob")
    }

    @Test func badCredentialsWithAnAnonymousToken() throws {
        var s = Scenario()
        login(&s, "02:45:10")
        s.core("hub-1", "02:45:10", "failed to authenticate user:bob, error:Failed to authenticate user, due to error 'Invalid credentials'", fields: #"[client IP="10.0.0.5" user agent="docker/24.0.7"]"#)
        s.proxy("hub-1", "02:45:11", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        s.proxy("hub-1", "02:46:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 1)
        #expect(f[0].detail("cause") == .string("bad_credentials"))
    }

    @Test func tokenWithoutPushAccess() throws {
        var s = Scenario()
        login(&s, "02:45:10", token: "GET /service/token?account=bob&scope=repository%3Ateam%2Fapp%3Apull&service=harbor-registry")
        s.proxy("hub-1", "02:45:11", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        s.proxy("hub-1", "02:46:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 1)
        #expect(f[0].detail("cause") == .string("token_without_push"))
    }

    @Test func anonymousPush() throws {
        var s = Scenario()
        s.proxy("hub-1", "02:45:11", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        s.proxy("hub-1", "02:45:12", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        s.proxy("hub-1", "02:46:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 1)
        #expect(f[0].detail("cause") == .string("anonymous"))
        #expect(f[0].count == 2)
        #expect(f[0].labels["user"] == "10.0.0.5")
    }

    @Test func coreRegistryCredentialMismatch() throws {
        var s = Scenario()
        login(&s, "02:45:10")
        s.proxy("hub-1", "02:45:11", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        s.registry("hub-1", "02:45:11", level: "error", msg: #"error authenticating user "harbor_registry_user": authentication failure"#, method: "POST", uri: "/v2/team/app/blobs/uploads/", client: "10.0.0.5", repo: "team/app")
        s.proxy("hub-1", "02:46:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        #expect(f.first?.detail("cause") == .string("core_registry_credential_mismatch"))
    }
    // Found by the lab (Tests/Lab): every client there shares 127.0.0.1 and one user agent, as
    // clients behind NAT or a CI farm do.

    @Test func sharedAddressDoesNotLendAnotherUsersFailedLogin() throws {
        var s = Scenario()
        login(&s, "02:45:08", token: "GET /service/token?account=carol&scope=repository%3Ateam%2Fapp%3Apull%2Cpush&service=harbor-registry", status: 401)
        s.core("hub-1", "02:45:08", "failed to authenticate user:carol, error:Failed to authenticate user, due to error 'Invalid credentials'", fields: #"[client IP="10.0.0.5" user agent="docker/24.0.7"]"#)
        login(&s, "02:45:10")
        s.add("hub-1", "nginx/access.log", #"172.18.0.6 - - [18/Sep/2024:02:45:11 +0000] "POST /registry/v2/team/app/blobs/uploads/ HTTP/1.1" 401 87 "-" "docker/24.0.7" 0123456789abcdef0123456789abcdef"#)
        s.proxy("hub-1", "02:45:11", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        s.proxy("hub-1", "02:46:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 2)
        let carol = try #require(f.first { $0.labels["user"] == "carol" })
        let bob = try #require(f.first { $0.labels["user"] == "bob" })
        #expect(carol.detail("cause") == .string("bad_credentials"))
        #expect(bob.detail("cause") == .string("no_credentials_on_write"))
        #expect(!bob.evidence.contains { $0.text.contains("carol") })
    }

    @Test func anonymousTokenAfterAnotherUsersLogin() throws {
        var s = Scenario()
        login(&s, "02:45:08")
        s.proxy("hub-1", "02:45:09", "10.0.0.5", "PUT /v2/team/app/manifests/1.0", 201)
        s.proxy("hub-1", "02:45:10", "10.0.0.5", "GET /v2/", 401)
        s.proxy("hub-1", "02:45:10", "10.0.0.5", "GET /service/token?scope=repository%3Ateam%2Ftmp%3Apull%2Cpush&service=harbor-registry", 200)
        s.proxy("hub-1", "02:45:11", "10.0.0.5", "POST /v2/team/tmp/blobs/uploads/", 401)
        s.registry("hub-1", "02:45:11", msg: "error authorizing context: insufficient scope", method: "POST", uri: "/v2/team/tmp/blobs/uploads/", client: "10.0.0.5", repo: "team/tmp")
        s.proxy("hub-1", "02:46:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 1)
        #expect(f[0].detail("cause") == .string("anonymous"))
        #expect(f[0].detail("user") == .null)
        #expect(f[0].labels["user"] == "10.0.0.5")
    }

    @Test func insufficientScopeFromTheRegistry() throws {
        var s = Scenario()
        login(&s, "02:45:10")
        s.proxy("hub-1", "02:45:11", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        s.registry("hub-1", "02:45:11", msg: "error authorizing context: insufficient scope", method: "POST", uri: "/v2/team/app/blobs/uploads/", client: "10.0.0.5", repo: "team/app")
        s.proxy("hub-1", "02:46:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 1)
        #expect(f[0].detail("cause") == .string("token_without_push"))
        #expect(f[0].evidence.contains { $0.text.contains("insufficient scope") })
    }

    @Test func aLaterLoginBehindTheSameAddressDoesNotChangeWhoFailed() throws {
        var s = Scenario()
        login(&s, "02:45:10")
        s.proxy("hub-1", "02:45:11", "10.0.0.5", "POST /v2/team/app/blobs/uploads/", 401)
        login(&s, "02:45:12", token: "GET /service/token?account=alice&scope=repository%3Aother%2Fsvc%3Apull&service=harbor-registry")
        s.proxy("hub-1", "02:46:00", "10.0.0.9", "GET /v2/", 401)
        let f = try s.findings("push_unauthorized")
        try #require(f.count == 1)
        #expect(f[0].labels["user"] == "bob")
        #expect(f[0].detail("cause") != .string("token_without_push"))
    }

    /// A failed login after failed pushes of the same user to several repositories joins the
    /// incident that failed last. It once joined the first incident met in a dictionary, whose
    /// order changes with every dictionary: the same logs gave different findings from run to run.
    @Test func aFailedLoginJoinsTheLatestIncidentEveryTime() throws {
        var s = Scenario()
        for (t, repo) in [("02:40:00", "team/a"), ("02:41:00", "team/b"), ("02:42:00", "team/c"), ("02:41:30", "team/d")] {
            login(&s, t, token: "GET /service/token?account=bob&scope=repository%3A\(repo.replacingOccurrences(of: "/", with: "%2F"))%3Apull%2Cpush&service=harbor-registry")
            s.proxy("hub-1", t, "10.0.0.5", "POST /v2/\(repo)/blobs/uploads/", 401)
        }
        s.proxy("hub-1", "02:44:00", "10.0.0.5", "GET /service/token?account=bob&service=harbor-registry", 401)
        s.proxy("hub-1", "02:50:00", "10.0.0.9", "GET /v2/", 401)
        // Each run makes its dictionaries anew, at other addresses (the runs are kept), so their
        // orders differ; the answer must not.
        var runs: [[Finding]] = []
        for _ in 0..<12 {
            let f = try s.findings("push_unauthorized").sorted { $0.labels["repository"]! < $1.labels["repository"]! }
            try #require(f.map { $0.labels["repository"]! } == ["team/a", "team/b", "team/c", "team/d"])
            #expect(f.map(\.count) == [1, 1, 2, 1])
            #expect(f[2].evidence.contains { $0.text.contains("/service/token") && $0.text.contains("401") })
            runs.append(f)
        }
    }
}
