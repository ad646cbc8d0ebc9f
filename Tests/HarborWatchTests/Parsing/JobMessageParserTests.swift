import Testing
@testable import HarborWatch

@Suite struct JobMessageParserTests {
    static let prefix = "Sep 18 10:00:05 172.18.0.1 jobservice[1043]: 2024-09-18T10:00:05Z [INFO] [/controller/replication/transfer/image/transfer.go:1]: "

    @Test func jobIncoming() {
        let (_, e) = parseLine(#"Sep 18 10:00:05 172.18.0.1 jobservice[1043]: 2024-09-18T10:00:05Z [INFO] [/jobservice/worker/cworker/c_worker.go:77]: Job incoming: {"name":"REPLICATION","id":"97833cef690cc2e9741266cd","t":1726653605,"args":null}"#)
        #expect(e.component == .jobservice)
        #expect(e.jobAction == .incoming)
        #expect(e.jobName == "REPLICATION")
        #expect(e.jobId == "97833cef690cc2e9741266cd")
        #expect(e.fields["enqueued_at"] == "1726653605")
    }

    @Test func jobExit() {
        let (_, ok) = parseLine("Sep 18 10:00:12 172.18.0.1 jobservice[1043]: 2024-09-18T10:00:12Z [INFO] [/jobservice/runner/redis.go:152]: Job 'REPLICATION:97833cef690cc2e9741266cd' exit with success")
        #expect(ok.jobAction == .exitSuccess)
        #expect(ok.jobId == "97833cef690cc2e9741266cd")
        let (_, bad) = parseLine("2024-09-18T10:00:12Z [ERROR] [/jobservice/runner/redis.go:120]: Job 'REPLICATION:97833cef690cc2e9741266cd' exit with error: run error: http status code: 500, body: oops", hint: .jobservice)
        #expect(bad.jobAction == .exitError)
        #expect(bad.status == 500)
        #expect(bad.level == .error)
        let (_, retry) = parseLine("2024-09-18T10:00:12Z [INFO] [/x.go:1]: Retrying job REPLICATION:97833cef690cc2e9741266cd, revision: 2", hint: .jobservice)
        #expect(retry.jobAction == .retrying)
        #expect(retry.jobId == "97833cef690cc2e9741266cd")
        #expect(retry.fields["revision"] == "2")
    }

    static let steps: [(String, JobAction, String?, String?)] = [
        ("client for source registry [type: harbor, URL: http://core:8080, insecure: true] created", .clientCreated, nil, nil),
        ("copying library/nginx:[1.25](source registry) to library/nginx:[1.25](destination registry)...", .copyingArtifact, "library/nginx", "1.25"),
        ("copying library/nginx:1.25(source registry) to library/nginx:1.25(destination registry)...", .copyingReference, "library/nginx", "1.25"),
        ("pulling the manifest of artifact library/nginx:1.25 ...", .pullingManifest, "library/nginx", "1.25"),
        ("the manifest of artifact library/nginx:1.25 pulled", .manifestPulled, "library/nginx", "1.25"),
        ("copying the blob sha256:77ea(the 1th running)...", .copyingBlob, nil, "sha256:77ea"),
        ("copy the blob sha256:77ea completed", .blobCopied, nil, "sha256:77ea"),
        ("the blob sha256:77ea already exists on the destination registry, skip", .blobExists, nil, "sha256:77ea"),
        ("the blob sha256:77ea mounted from the repository library/base on the destination registry directly", .blobMounted, nil, "sha256:77ea"),
        ("pushing the manifest of artifact library/nginx:1.25 ...", .pushingManifest, "library/nginx", "1.25"),
        ("the manifest of artifact library/nginx:1.25 pushed", .manifestPushed, "library/nginx", "1.25"),
        ("copy library/nginx:1.25(source registry) to library/nginx:1.25(destination registry) completed", .copyCompleted, "library/nginx", "1.25"),
        ("the artifact library/redis:7.2 already exists on the destination registry, skip", .artifactExists, "library/redis", "7.2"),
        ("will retry 2s later", .retryLater, nil, nil),
        ("got error during the whole transfer period, mark the job failure", .jobFailed, nil, nil),
        ("the artifact library/nginx@sha256:05b3 already exists on the destination registry, skip", .artifactExists, "library/nginx", "sha256:05b3"),
    ]

    @Test(arguments: steps)
    func transferSteps(message: String, action: JobAction, repository: String?, reference: String?) {
        let (r, e) = parseLine(Self.prefix + message)
        #expect(r == .event(count: 1))
        #expect(e.jobAction == action)
        if let repository { #expect(e.repository == repository) }
        if let reference { #expect(e.reference == reference) }
    }

    @Test func failedBlobPushCarriesTheStatus() {
        let m = #"failed to pushing the blob sha256:77ea, size 3145728: http status code: 401, body: {"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}"#
        let (_, e) = parseLine(Self.prefix.replacingOccurrences(of: "[INFO]", with: "[ERROR]") + m)
        #expect(e.jobAction == .copyFailed)
        #expect(e.status == 401)
        #expect(e.reference == "sha256:77ea")
        #expect(e.level == .error)
    }

    @Test func failedManifestPull() {
        let (_, e) = parseLine(Self.prefix + "failed to pull the manifest of artifact library/nginx:1.25: http status code: 404, body: x")
        #expect(e.jobAction == .copyFailed)
        #expect(e.repository == "library/nginx")
        #expect(e.reference == "1.25")
        #expect(e.status == 404)
    }

    @Test func jobLogFileTakesItsIdFromTheName() {
        var parser = LineParser(options: ParseOptions(), componentHint: .job, clock: SyslogClock(year: 2024, reference: nil, zone: .fixed(0)))
        parser.jobIdFromFile = "97833cef690cc2e9741266cd"
        let (_, e) = parseLine("2024-09-18T10:00:06Z [INFO] [/controller/replication/transfer/image/transfer.go:290]: copying the blob sha256:77ea(the 1th running)...", with: &parser)
        #expect(e.component == .job)
        #expect(e.jobId == "97833cef690cc2e9741266cd")
        #expect(e.jobAction == .copyingBlob)
    }
}
