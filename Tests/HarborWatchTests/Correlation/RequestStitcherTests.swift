import Foundation
import Testing
@testable import HarborWatch

@Suite struct RequestStitcherTests {
    /// `02:00:00` plus `seconds`, as a scenario's `hms`.
    private func hms(_ seconds: Int) -> String {
        let t = 2 * 3600 + seconds
        return String(format: "%02d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
    }

    /// Front lines that came before the site's first registry line: one 0.5 s before its registry
    /// line joins, one 21 s before does not, and a site with no registry line joins nothing.
    @Test func frontLinesBeforeTheFirstRegistryLineStillJoin() throws {
        var s = Scenario()
        s.proxy("hub-1", hms(0), "10.0.0.1", "GET /v2/app/web/blobs/sha256:aaa", 200)
        s.proxy("hub-1", hms(20), "10.0.0.1", "GET /v2/app/web/blobs/sha256:bbb", 200)
        s.registry("hub-1", hms(20), level: "info", msg: "response completed", method: "GET", uri: "/v2/app/web/blobs/sha256:bbb",
                   client: "10.0.0.1", status: 200, repo: "app/web")
        s.registry("hub-1", hms(21), level: "info", msg: "response completed", method: "GET", uri: "/v2/app/web/blobs/sha256:aaa",
                   client: "10.0.0.1", status: 200, repo: "app/web")
        s.proxy("hub-1", hms(30), "10.0.0.1", "GET /v2/app/web/blobs/sha256:ccc", 200)
        s.registry("hub-1", hms(30), level: "info", msg: "response completed", method: "GET", uri: "/v2/app/web/blobs/sha256:ccc",
                   client: "10.0.0.1", status: 200, repo: "app/web")
        s.proxy("hub-2", hms(5), "10.0.0.2", "GET /v2/app/web/blobs/sha256:aaa", 200)
        let a = try s.analyze()
        let one = try #require(a.stitch["hub-1"])
        #expect(one.frontCandidates == 3 && one.frontJoined == 2)
        #expect(one.registryCandidates == 3 && one.registryJoined == 2)
        let two = try #require(a.stitch["hub-2"])
        #expect(two.frontCandidates == 1 && two.frontJoined == 0 && two.registryCandidates == 0)
    }

    /// Thousands of front lines before the first registry line (dropped from the buckets as they
    /// pass the tolerance): the last line still joins, one 2.5 s before the registry line does not.
    @Test func aLongWaitKeepsTheLinesWithinTheTolerance() throws {
        var s = Scenario()
        let n = 6_000
        for i in 0..<n {
            s.proxy("hub-1", hms(i), "10.0.0.\(i % 200)", "GET /v2/app/web/blobs/sha256:\(i)", 200)
        }
        s.registry("hub-1", hms(n - 1), level: "info", msg: "response completed", method: "GET", uri: "/v2/app/web/blobs/sha256:\(n - 1)",
                   client: "10.0.0.1", status: 200, repo: "app/web")
        s.registry("hub-1", hms(n - 1), level: "info", msg: "response completed", method: "GET", uri: "/v2/app/web/blobs/sha256:\(n - 3)",
                   client: "10.0.0.1", status: 200, repo: "app/web")
        let a = try s.analyze()
        let one = try #require(a.stitch["hub-1"])
        #expect(one.frontCandidates == n && one.frontJoined == 1)
        #expect(one.registryCandidates == 2 && one.registryJoined == 1)
    }
}
