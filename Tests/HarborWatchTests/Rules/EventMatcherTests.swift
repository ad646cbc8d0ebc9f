import Testing
@testable import HarborWatch

@Suite struct EventMatcherTests {
    /// The matcher tests its conditions cheapest first; every event gets the answer of testing
    /// them in the rules file's order. 3,000 random matchers of 1–5 conditions (masks, ranges,
    /// value lists, regexes, `exists`, `not`), each over 200 random events.
    @Test func cheapestFirstGivesTheFilesAnswer() throws {
        var rng = SplitMix(seed: 5)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let regex = try PCRE2Regex("^/v2/.+/manifests/")
        let pool: [(EventField, EventMatcher.Condition)] = [
            (.component, .oneOf(["proxy", "nginx"])), (.component, .equals("registry")),
            (.kind, .oneOf(["upload", "manifest"])), (.kind, .equals("blob")),
            (.method, .oneOf(["POST", "PATCH", "PUT"])), (.method, .equals("GET")), (.method, .oneOf(["GET", "OPTIONS"])),
            (.status, .range(min: 400, max: nil)), (.status, .range(min: 500, max: 599)),
            (.path, .regex(regex)), (.path, .not(.regex(regex))),
            (.user, .exists(true)), (.user, .exists(false)), (.userAgent, .not(.equals("harbor-registry-client"))),
            (.bytes, .range(min: nil, max: 100)), (.requestTime, .range(min: 0.5, max: 2)), (.repository, .oneOf(["a/b", "c/d", "e/f", "g/h", "i/j", "k/l", "m/n", "o/p", "q/r"])),
        ]
        var events: [Event] = []
        for _ in 0..<200 {
            var e = Event(site: pick(["hub-1", "hub-2"]), file: "f", line: 1)
            e.component = pick([.proxy, .nginx, .registry, .core])
            e.kind = pick([.manifest, .blob, .upload, .tags, .none])
            e.method = pick(["GET", "HEAD", "PUT", "POST", "PATCH", "OPTIONS", nil])
            e.status = pick([0, 200, 201, 401, 404, 500, 503])
            e.bytes = pick([-1, 0, 50, 5000])
            e.requestTime = pick([nil, 0.1, 1.0, 3.0])
            e.path = pick(["/v2/a/b/manifests/1", "/v2/a/b/blobs/sha256:aa", "/api/v2.0/ping", nil])
            e.user = pick(["admin", nil])
            e.userAgent = pick(["harbor-registry-client", "docker/24.0.7", nil])
            e.repository = pick(["a/b", "c/d", "x/y", nil])
            events.append(e)
        }
        var differentOrder = 0, held = 0
        for _ in 0..<3_000 {
            let n = 1 + Int(rng.next() % 5)
            let conditions = (0..<n).map { _ in pick(pool) }
            let m = EventMatcher(conditions)
            for e in events {
                let inOrder = conditions.allSatisfy { EventMatcher.holds($0.1, $0.0, e) }
                #expect(m.matches(e) == inOrder)
                if inOrder { held += 1 }
            }
            if conditions.first.map({ $0.0 != .component && $0.0 != .kind }) ?? false, conditions.contains(where: { $0.0 == .component || $0.0 == .kind }) {
                differentOrder += 1
            }
        }
        #expect(held > 10_000)
        #expect(differentOrder > 500)  // many matchers are tested in another order than written
    }
}
