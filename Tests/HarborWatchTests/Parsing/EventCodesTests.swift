import Testing
@testable import HarborWatch

/// What the parsers note of a line as they read it, for the detectors to test without the text.
@Suite struct EventCodesTests {
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

    /// `isReplicator` is the agent's text starting with `harbor-registry-client`, however the
    /// parser read it: from the bytes, or from the text when an escape is in them.
    @Test func replicatorFromEveryParser() {
        let agents: [(raw: String, text: String)] = [
            ("harbor-registry-client", "harbor-registry-client"),
            ("harbor-registry-client/2.11 extra", "harbor-registry-client/2.11 extra"),
            ("harbor-registry-clien", "harbor-registry-clien"),
            ("docker/24.0.7", "docker/24.0.7"),
            ("Harbor-registry-client", "Harbor-registry-client"),
            (#"harbor-registry-client \"x\""#, #"harbor-registry-client "x""#),
            (#"x\"harbor-registry-client"#, #"x"harbor-registry-client"#),
        ]
        for (raw, text) in agents {
            let want = text.hasPrefix("harbor-registry-client")
            let nginxRaw = raw.replacingOccurrences(of: #"\""#, with: #"\x22"#)
            let nginx = #"10.0.0.5 - - [18/Sep/2024:02:41:05 +0000] "GET /v2/team/app/manifests/1.0 HTTP/1.1" 200 0 "-" "\#(nginxRaw)""#
            let proxy = #"Sep 18 02:41:05 172.18.0.1 proxy[1043]: 10.0.0.5 - "GET /v2/team/app/manifests/1.0 HTTP/1.1" 200 0 "-" "\#(nginxRaw)" 0.003 0.002 ."#
            let registry = #"Sep 18 10:00:01 172.18.0.1 registry[1043]: time="2024-09-18T10:00:01.743880410Z" level=info msg="response completed" http.request.method=GET http.request.remoteaddr=10.20.30.40 http.request.uri="/v2/library/nginx/manifests/1" http.request.useragent="\#(raw)" http.response.status=200 vars.name="library/nginx" "#
            for (line, hint) in [(nginx, Component.nginx), (proxy, nil), (registry, nil)] {
                let (r, e) = parseLine(line, hint: hint)
                #expect(r == .event(count: 1), "\(line)")
                #expect(e.userAgent == text, "\(line)")
                #expect(e.isReplicator == want, "\(line)")
            }
            var e = Event(site: "s", file: "f", line: 1)
            e.userAgent = text
            #expect(e.isReplicator == want)
        }
    }
}
