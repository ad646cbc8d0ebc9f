import Testing
@testable import HarborWatch

@Suite struct HTTPMethodTests {
    static let expected: [(String, HTTPMethod)] = [
        ("GET", .get), ("HEAD", .head), ("PUT", .put), ("POST", .post), ("PATCH", .patch), ("DELETE", .delete),
        ("OPTIONS", .other), ("PROPFIND", .other), ("MOVE", .other), ("GETX", .other), ("get", .other), ("PUTS", .other),
    ]

    /// The code of a method's text is the one the detectors' string tests gave.
    @Test func codeOfText() {
        for (m, code) in Self.expected { #expect(HTTPMethod(m) == code, "\(m)") }
        #expect(HTTPMethod(nil) == HTTPMethod.none)
        #expect(HTTPMethod("") == .other)
        var e = Event(site: "s", file: "f", line: 1)
        e.method = "PATCH"
        #expect(e.methodCode == .patch)
        e.method = nil
        #expect(e.methodCode == HTTPMethod.none)
    }

    /// Every parser that reads a method sets its code with it (from the bytes, not the text).
    @Test func parsersSetTheCode() {
        // real methods only: a request line with `GETX` is not a request (no method at all)
        for (m, code) in Self.expected where !["GETX", "PUTS", "get"].contains(m) {
            let nginx = #"10.0.0.5 - - [18/Sep/2024:02:41:05 +0000] "\#(m) /v2/team/app/manifests/1.0 HTTP/1.1" 200 0 "-" "docker/24.0.7""#
            let proxy = #"Sep 18 02:41:05 172.18.0.1 proxy[1043]: 10.0.0.5 - "\#(m) /v2/team/app/manifests/1.0 HTTP/1.1" 200 0 "-" "docker/24.0.7" 0.003 0.002 ."#
            let registry = #"Sep 18 10:00:01 172.18.0.1 registry[1043]: time="2024-09-18T10:00:01.743880410Z" level=info msg="response completed" http.request.method=\#(m) http.request.remoteaddr=10.20.30.40 http.request.uri="/v2/library/nginx/manifests/1" http.response.status=200 vars.name="library/nginx" "#
            let registryAccess = #"Sep 18 10:00:01 172.18.0.1 registry[1043]: 172.18.0.6 - - [18/Sep/2024:10:00:01 +0000] "\#(m) /v2/library/nginx/manifests/1 HTTP/1.1" 200 0 "" "docker/24.0.7""#
            for (line, hint) in [(nginx, Component.nginx), (proxy, nil), (registry, nil), (registryAccess, nil)] {
                let (r, e) = parseLine(line, hint: hint)
                #expect(r == .event(count: 1), "\(line)")
                #expect(e.method == m, "\(line)")
                #expect(e.methodCode == code, "\(line)")
            }
        }
    }
}
