import Testing
@testable import HarborWatch

let replicator = "harbor-registry-client"

extension Scenario {
    /// A push of `repo:tag` on hub-1 by a developer.
    mutating func push(_ hms: String, _ repo: String, _ tag: String) {
        proxy("hub-1", hms, "10.0.0.5", "PUT /v2/\(repo)/manifests/\(tag)", 201)
    }

    /// The replicator's run on hub-2: HEAD 404, blob upload, manifest PUT.
    mutating func replicate(_ start: String, _ end: String, _ repo: String, _ tag: String) {
        proxy("hub-2", start, "10.10.0.11", "HEAD /v2/\(repo)/manifests/\(tag)", 404, ua: replicator)
        proxy("hub-2", start, "10.10.0.11", "POST /v2/\(repo)/blobs/uploads/", 202, ua: replicator)
        proxy("hub-2", end, "10.10.0.11", "PUT /v2/\(repo)/manifests/\(tag)", 201, ua: replicator)
    }

    /// The end of the input, later than everything else.
    mutating func end(_ hms: String) { proxy("hub-1", hms, "10.0.0.99", "GET /v2/", 401) }
}

@Suite struct SecondaryMissingDetectorTests {
    @Test func missesUntilReplicationLands() throws {
        var s = Scenario()
        s.push("02:10:00", "app/web", "2.3.1")
        s.proxy("hub-2", "02:10:20", "10.60.7.21", "HEAD /v2/app/web/manifests/2.3.1", 404, ua: "containerd/v1.7.13")
        s.proxy("hub-2", "02:10:35", "10.60.7.22", "GET /v2/app/web/manifests/2.3.1", 404, ua: "containerd/v1.7.13")
        s.replicate("02:11:00", "02:11:25", "app/web", "2.3.1")
        s.proxy("hub-2", "02:11:40", "10.60.7.21", "GET /v2/app/web/manifests/2.3.1", 200, ua: "containerd/v1.7.13")
        s.end("02:30:00")
        let f = try s.findings("secondary_missing_artifact")
        try #require(f.count == 1)
        #expect(f[0].count == 2)
        #expect(f[0].detail("clients") == .strings(["10.60.7.21", "10.60.7.22"]))
        #expect(f[0].detail("outcome") == .string("replication_lag"))
        #expect(f[0].detail("available_at") == .time(t("2024-09-18T02:11:25Z")))
        #expect(f[0].detail("served_at") == .time(t("2024-09-18T02:11:40Z")))
        #expect(f[0].detail("secs_after_primary") == .double(20))
        #expect(f[0].resolvedAt == t("2024-09-18T02:11:40Z"))
    }

    @Test func neverServedIsMissing() throws {
        var s = Scenario()
        s.push("02:30:00", "app/api", "5.0.0")
        s.proxy("hub-2", "02:31:40", "10.60.7.21", "HEAD /v2/app/api/manifests/5.0.0", 404, ua: "containerd/v1.7.13")
        s.end("03:00:00")
        let f = try s.findings("secondary_missing_artifact")
        #expect(f.count == 1)
        #expect(f.first?.detail("outcome") == .string("missing"))
        // The first miss came 100 s after the push, inside the 120 s replication window.
        #expect(f.first?.severity == "warning")
    }

    /// Severity is decided when the incident starts and never changes, so a streamed alert resolves
    /// with the labels it fired with (the same whether the artifact later arrives or not).
    @Test func severityIsFixedWhenTheIncidentStarts() throws {
        for arrives in [false, true] {
            var s = Scenario()
            s.push("02:30:00", "app/api", "5.0.0")
            s.proxy("hub-2", "02:33:00", "10.60.7.21", "HEAD /v2/app/api/manifests/5.0.0", 404, ua: "containerd/v1.7.13")
            if arrives {
                s.proxy("hub-2", "02:35:00", "10.10.0.11", "PUT /v2/app/api/manifests/5.0.0", 201, ua: "harbor-registry-client")
                s.proxy("hub-2", "02:35:10", "10.60.7.21", "HEAD /v2/app/api/manifests/5.0.0", 200, ua: "containerd/v1.7.13")
            }
            s.end("03:00:00")
            let f = try s.findings("secondary_missing_artifact")
            #expect(f.count == 1)
            #expect(f.first?.severity == "critical", "a miss 180 s after the push is overdue replication (arrives: \(arrives))")
            #expect((f.first?.resolvedAt != nil) == arrives)
            let lag = try s.findings("replication_lag")
            #expect(lag.map(\.severity) == ["critical"])
        }
    }

    @Test func notReplicationProblems() throws {
        var s = Scenario()
        s.push("02:30:00", "app/api", "5.0.0")
        // an artifact hub-1 never had
        s.proxy("hub-2", "02:31:00", "10.60.7.22", "HEAD /v2/library/ngnix/manifests/latest", 404, ua: "containerd/v1.7.13")
        // the replicator's own checks before uploading
        s.replicate("02:31:10", "02:31:20", "app/api", "5.0.0")
        // a 404 on the primary itself
        s.proxy("hub-1", "02:32:00", "10.0.0.7", "GET /v2/app/api/manifests/9.9", 404)
        // a 404 before the primary had it
        s.proxy("hub-2", "02:29:00", "10.60.7.21", "GET /v2/app/api/manifests/5.0.0", 404, ua: "containerd/v1.7.13")
        s.end("03:00:00")
        #expect(try s.findings("secondary_missing_artifact").isEmpty)
        #expect(try s.analyze().unrelated404 == 2)
    }

    @Test func blobsByDigest() throws {
        var s = Scenario()
        s.proxy("hub-1", "02:00:00", "10.0.0.5", "PUT /v2/team/app/blobs/uploads/u1?_state=x&digest=sha256%3Aabc", 201)
        s.proxy("hub-2", "02:00:30", "10.60.7.21", "GET /v2/team/app/blobs/sha256:abc", 404, ua: "containerd/v1.7.13")
        s.end("02:10:00")
        let f = try s.findings("secondary_missing_artifact")
        #expect(f.first?.detail("kind") == .string("blob"))
        #expect(f.first?.detail("reference") == .string("sha256:abc"))
    }
}

@Suite struct ReplicationLagDetectorTests {
    @Test func slowButSuccessfulFiresAndResolves() throws {
        var s = Scenario()
        s.push("02:00:00", "app/web", "1")
        s.replicate("02:02:00", "02:02:30", "app/web", "1")
        s.end("02:30:00")
        let f = try s.findings("replication_lag")
        try #require(f.count == 1)
        #expect(f[0].detail("lag_secs") == .double(150))
        #expect(f[0].detail("outcome") == .string("slow"))
        #expect(f[0].resolvedAt == t("2024-09-18T02:02:30Z"))
    }

    @Test func fastReplicationIsOnlyMeasured() throws {
        var s = Scenario()
        s.push("02:00:00", "app/web", "1")
        s.replicate("02:00:10", "02:00:30", "app/web", "1")
        s.end("02:30:00")
        #expect(try s.findings("replication_lag").isEmpty)
        let a = try s.analyze()
        #expect(a.pushes.count == 1)
        #expect(a.pushes[0].arrivals["hub-2"] == t("2024-09-18T02:00:30Z"))
        #expect(AnalysisReport.latency(a)["hub-2"]?.max == 30)
    }

    @Test func neverArrives() throws {
        var s = Scenario()
        s.push("02:00:00", "app/api", "5")
        s.proxy("hub-2", "02:10:00", "10.60.7.21", "GET /v2/", 401)
        s.end("02:30:00")
        let f = try s.findings("replication_lag")
        #expect(f.count == 1)
        #expect(f.first?.detail("outcome") == .string("never_arrived"))
        #expect(f.first?.detail("age_secs") == .double(1800))
    }

    @Test func aRePushOfWhatIsAlreadyThere() throws {
        var s = Scenario()
        s.push("02:00:00", "library/nginx", "1.25")
        s.replicate("02:00:10", "02:00:30", "library/nginx", "1.25")
        s.push("03:15:00", "library/nginx", "1.25")
        s.end("03:30:00")
        #expect(try s.findings("replication_lag").isEmpty)
        #expect(try s.analyze().pushes.last?.alreadyPresent == ["hub-2"])
    }

    @Test func maxLagIsASetting() throws {
        var s = Scenario()
        s.push("02:00:00", "app/web", "1")
        s.replicate("02:00:10", "02:00:30", "app/web", "1")
        s.end("02:30:00")
        var settings = DetectorSettings()
        settings.maxLagSecs = 20
        #expect(try s.findings("replication_lag", settings: settings).count == 1)
    }
}

@Suite struct ReplicationDuplicateDetectorTests {
    @Test func twoRunsIntoTheDestination() throws {
        var s = Scenario()
        s.push("03:00:00", "library/redis", "7.2")
        s.replicate("03:00:40", "03:00:51", "library/redis", "7.2")
        s.proxy("hub-2", "03:00:57", "10.10.0.11", "HEAD /v2/library/redis/manifests/7.2", 200, ua: replicator)
        s.end("03:30:00")
        let f = try s.findings("replication_duplicate")
        try #require(f.count == 1)
        #expect(f[0].count == 2)
        #expect(f[0].detail("write_bursts") == .int(2))
        #expect(f[0].detail("manifest_writes") == .int(1))
    }

    @Test func oneRunIsNormal() throws {
        var s = Scenario()
        s.push("03:00:00", "library/redis", "7.2")
        s.replicate("03:00:40", "03:01:51", "library/redis", "7.2")
        s.end("03:30:00")
        #expect(try s.findings("replication_duplicate").isEmpty)
    }

    @Test func twoJobsForOneArtifact() throws {
        var s = Scenario()
        s.job("hub-1", "03:00:40", #"Job incoming: {"name":"REPLICATION","id":"aaaaaaaaaaaaaaaaaaaaaaaa","t":1726628439,"args":null}"#)
        s.job("hub-1", "03:00:40", "copying library/redis:7.2(source registry) to library/redis:7.2(destination registry)...")
        s.job("hub-1", "03:00:51", "the manifest of artifact library/redis:7.2 pushed")
        s.job("hub-2", "03:00:59", #"Job incoming: {"name":"REPLICATION","id":"bbbbbbbbbbbbbbbbbbbbbbbb","t":1726628458,"args":null}"#)
        s.job("hub-2", "03:00:59", "copying library/redis:7.2(source registry) to library/redis:7.2(destination registry)...")
        s.job("hub-2", "03:00:59", "the artifact library/redis:7.2 already exists on the destination registry, skip")
        s.end("03:30:00")
        let f = try s.findings("replication_duplicate")
        try #require(f.count == 1)
        #expect(f[0].detail("jobs") == .strings([
            "hub-1 job aaaaaaaaaaaaaaaaaaaaaaaa: copied", "hub-2 job bbbbbbbbbbbbbbbbbbbbbbbb: skipped: already exists on the destination",
        ]))
    }

    @Test func aRetriedJobIsOneRun() throws {
        var s = Scenario()
        s.job("hub-1", "03:00:40", #"Job incoming: {"name":"REPLICATION","id":"aaaaaaaaaaaaaaaaaaaaaaaa","t":1726628439,"args":null}"#)
        s.job("hub-1", "03:00:40", "copying library/redis:7.2(source registry) to library/redis:7.2(destination registry)...")
        s.job("hub-1", "03:00:45", "Job 'REPLICATION:aaaaaaaaaaaaaaaaaaaaaaaa' exit with error: boom", level: "ERROR")
        s.job("hub-1", "03:01:00", "Retrying job REPLICATION:aaaaaaaaaaaaaaaaaaaaaaaa, revision: 2")
        s.job("hub-1", "03:01:00", #"Job incoming: {"name":"REPLICATION","id":"aaaaaaaaaaaaaaaaaaaaaaaa","t":1726628439,"args":null,"fails":1}"#)
        s.job("hub-1", "03:01:00", "copying library/redis:7.2(source registry) to library/redis:7.2(destination registry)...")
        s.end("03:30:00")
        #expect(try s.findings("replication_duplicate").isEmpty)
    }
}

@Suite struct TagWithoutDataDetectorTests {
    @Test func tagsListThenManifest404() throws {
        var s = Scenario()
        s.proxy("hub-2", "02:38:10", "10.60.3.8", "GET /v2/app/api/tags/list", 200, ua: "skopeo/1.13")
        s.proxy("hub-2", "02:38:11", "10.60.3.8", "GET /v2/app/api/manifests/5.0.0", 404, ua: "skopeo/1.13")
        s.end("02:40:00")
        let f = try s.findings("tag_without_data")
        try #require(f.count == 1)
        #expect(f[0].labels["reference"] == "5.0.0")
        #expect(f[0].detail("clients") == .strings(["10.60.3.8"]))
        #expect(f[0].evidence.count == 2)
    }

    /// Two tags of one repository missing at the same second: reported in the order of their
    /// references (the order of the detector's table, which differs from run to run, used to
    /// decide).
    @Test func sameSecondIncidentsComeInReferenceOrder() throws {
        var s = Scenario()
        s.proxy("hub-2", "02:38:10", "10.60.3.8", "GET /v2/app/api/tags/list", 200, ua: "skopeo/1.13")
        for tag in ["5.0.2", "5.0.0", "5.0.3", "5.0.1"] {
            s.proxy("hub-2", "02:38:11", "10.60.3.8", "GET /v2/app/api/manifests/\(tag)", 404, ua: "skopeo/1.13")
        }
        s.end("02:40:00")
        let f = try s.findings("tag_without_data")
        #expect(f.map { $0.labels["reference"] ?? "" } == ["5.0.0", "5.0.1", "5.0.2", "5.0.3"])
    }

    @Test func otherClientOrTooLateIsNot() throws {
        var s = Scenario()
        s.proxy("hub-2", "02:38:10", "10.60.3.8", "GET /v2/app/api/tags/list", 200, ua: "skopeo/1.13")
        s.proxy("hub-2", "02:38:11", "10.60.3.9", "GET /v2/app/api/manifests/5.0.0", 404, ua: "skopeo/1.13")
        s.proxy("hub-2", "02:39:30", "10.60.3.8", "GET /v2/app/api/manifests/5.0.0", 404, ua: "skopeo/1.13")
        s.proxy("hub-2", "02:39:31", "10.60.3.8", "GET /v2/app/web/manifests/1.0", 404, ua: "skopeo/1.13")
        s.end("02:40:00")
        #expect(try s.findings("tag_without_data").isEmpty)
    }
}

@Suite struct SessionTrackerTests {
    @Test func pushAndPullSessionsWithOutcomes() throws {
        var s = Scenario()
        // a good push after the token dance
        s.proxy("hub-1", "02:00:00", "10.0.0.5", "GET /v2/", 401)
        s.proxy("hub-1", "02:00:00", "10.0.0.5", "GET /service/token?account=a&scope=repository%3Ax%3Apull%2Cpush&service=harbor-registry", 200)
        s.proxy("hub-1", "02:00:01", "10.0.0.5", "POST /v2/x/blobs/uploads/", 202)
        s.proxy("hub-1", "02:00:02", "10.0.0.5", "PUT /v2/x/manifests/1", 201)
        // a failed push by another client
        s.proxy("hub-1", "02:00:05", "10.0.0.6", "POST /v2/x/blobs/uploads/", 401)
        // a pull that worked, then the same client 10 minutes later: a new session that failed
        s.proxy("hub-1", "02:01:00", "10.0.0.7", "GET /v2/x/manifests/1", 200)
        s.proxy("hub-1", "02:11:00", "10.0.0.7", "GET /v2/x/manifests/2", 404)
        // the replication client is not a client session
        s.proxy("hub-1", "02:12:00", "10.10.0.11", "HEAD /v2/x/manifests/1", 200, ua: replicator)
        let c = try s.analyze().sessions["hub-1"]
        #expect(c == SessionTracker.Counts(tokenDances: 1, pushesOK: 1, pushesFailed: 1, pullsOK: 1, pullsFailed: 1, sessions: 4))
    }
}
