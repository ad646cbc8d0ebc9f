import Foundation
import Testing
@testable import HarborWatch

/// A socket on 127.0.0.1 with a free port: listening (`listen`) or only bound (connections refused).
private func localSocket(listen doListen: Bool) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            bind(fd, sa, len) == 0 && (!doListen || listen(fd, 8) == 0) && getsockname(fd, sa, &len) == 0
        }
    }
    guard ok else { close(fd); throw POSIXError(.EADDRINUSE) }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}

/// An HTTP server for one request: records it, then writes `response` as given and closes.
final class OneRequestServer: Sendable {
    let port: Int
    private let fd: Int32
    private let got = Got()

    /// What the server thread read (the thread holds this, not the server, so deinit wakes it).
    final class Got: @unchecked Sendable {
        let lock = NSLock()
        var request = Data()
        let done = DispatchSemaphore(value: 0)
    }

    init(response: Data) throws {
        (fd, port) = try localSocket(listen: true)
        let (fd, got) = (self.fd, self.got)
        Thread {
            defer { got.done.signal() }
            let c = accept(fd, nil, nil)
            guard c >= 0 else { return }
            defer { close(c) }
            var req = Data()
            var buf = [UInt8](repeating: 0, count: 65_536)
            let size = buf.count
            while true {
                if let end = req.range(of: Data("\r\n\r\n".utf8)) {
                    let head = String(decoding: req[..<end.lowerBound], as: UTF8.self).lowercased()
                    let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                    if req.count - end.upperBound >= length { break }
                }
                let n = read(c, &buf, size)
                if n <= 0 { break }
                req.append(contentsOf: buf[0..<n])
            }
            got.lock.withLock { got.request = req }
            response.withUnsafeBytes { p in
                var off = 0
                while off < p.count {
                    let n = write(c, p.baseAddress! + off, p.count - off)
                    if n <= 0 { break }
                    off += n
                }
            }
            shutdown(c, Int32(SHUT_WR))
        }.start()
    }

    /// The request received: request line, headers (names lowercased), body.
    func received() -> (line: String, headers: [String: String], body: Data) {
        _ = got.done.wait(timeout: .now() + 5)
        let raw = got.lock.withLock { got.request }
        guard let end = raw.range(of: Data("\r\n\r\n".utf8)) else { return ("", [:], Data()) }
        let lines = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        var h: [String: String] = [:]
        for l in lines.dropFirst() {
            guard let c = l.firstIndex(of: ":") else { continue }
            h[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        return (lines[0], h, Data(raw[end.upperBound...]))
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}

@Suite struct CurlTransportTests {
    let transport = CurlTransport()

    @Test func postsTheRequestAndReadsTheResponse() throws {
        let server = try OneRequestServer(response: Data(
            "HTTP/1.1 202 Accepted\r\nRetry-After:  7 \r\nContent-Type: text/plain\r\nX-Seen: a\r\nx-seen: b\r\nContent-Length: 6\r\nConnection: close\r\n\r\nqueued".utf8))
        let body = Data(#"{"status":"firing","text":"naïve"}"#.utf8)
        let outcome = transport.post(
            url: URL(string: "http://127.0.0.1:\(server.port)/hook?timestamp=1&sign=a%2Bb")!,
            headers: ["Content-Type": "application/json", "Idempotency-Key": "key-1", "X-Team": "registry", "X-Empty": ""],
            body: body, timeout: 5)
        let req = server.received()
        #expect(req.line == "POST /hook?timestamp=1&sign=a%2Bb HTTP/1.1")
        #expect(req.headers["content-type"] == "application/json")
        #expect(req.headers["idempotency-key"] == "key-1")
        #expect(req.headers["x-team"] == "registry")
        #expect(req.headers["x-empty"] == "")
        #expect(req.headers["content-length"] == String(body.count))
        #expect(req.headers["expect"] == nil)
        #expect(req.body == body)
        #expect(outcome == .response(status: 202, headers: [
            "retry-after": "7", "content-type": "text/plain", "x-seen": "a, b", "content-length": "6", "connection": "close",
        ], body: "queued"))
    }

    @Test func theLastHeaderBlockCountsAndBodiesAreCut() throws {
        // 100 Continue first; a request body over curl's 1 MiB `Expect: 100-continue` threshold; a large, not quite UTF-8 response body.
        let big = Data((0..<1_200_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        var answer = Data("HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\nContent-Length: 100000\r\n\r\n".utf8)
        answer.append(Data([0x62, 0xFF]) + Data(repeating: UInt8(ascii: "x"), count: 99_998))
        let server = try OneRequestServer(response: answer)
        let outcome = transport.post(url: URL(string: "http://127.0.0.1:\(server.port)/")!, headers: ["Content-Type": "application/octet-stream"], body: big, timeout: 5)
        let req = server.received()
        #expect(req.headers["expect"] == nil)  // else curl waits a second for 100 Continue
        #expect(req.body == big)
        #expect(outcome == .response(status: 503, headers: ["retry-after": "30", "content-length": "100000"],
                                     body: "b\u{FFFD}" + String(repeating: "x", count: 2046)))
    }

    @Test func connectionRefusedFailsAtOnce() throws {
        let (fd, port) = try localSocket(listen: false)  // bound, not listening: the port stays ours and refuses
        defer { close(fd) }
        let start = Date()
        let outcome = transport.post(url: URL(string: "http://127.0.0.1:\(port)/hook")!, headers: [:], body: Data("{}".utf8), timeout: 10)
        #expect(Date().timeIntervalSince(start) < 2)
        guard case .failed(let why) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect(why.contains("onnect"), "\(why)")
    }

    @Test func aSilentServerTimesOut() throws {
        let (fd, port) = try localSocket(listen: true)  // the kernel accepts; nobody answers
        defer { close(fd) }
        let start = Date()
        let outcome = transport.post(url: URL(string: "http://127.0.0.1:\(port)/hook")!, headers: [:], body: Data("{}".utf8), timeout: 1)
        let took = Date().timeIntervalSince(start)
        #expect(took >= 0.9 && took < 3, "took \(took) s")
        guard case .failed(let why) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect(why.lowercased().contains("timed out") || why.lowercased().contains("timeout"), "\(why)")
    }

    @Test func aBadURLFailsWithoutARequest() {
        let outcome = transport.post(url: URL(string: "nosuchscheme://127.0.0.1/")!, headers: [:], body: Data(), timeout: 1)
        guard case .failed(let why) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect(!why.isEmpty)
    }

    @Test func aSelfSignedCertificateIsRejected() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hw-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gen.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"]
        gen.standardError = FileHandle.nullDevice
        try gen.run()
        gen.waitUntilExit()
        try #require(gen.terminationStatus == 0, "openssl could not make a certificate")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", """
            import http.server, ssl, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.send_response(200); self.end_headers()
                def log_message(self, *a): pass
            s = http.server.HTTPServer(("127.0.0.1", 0), H)
            c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])
            s.socket = c.wrap_socket(s.socket, server_side=True)
            print(s.server_address[1], flush=True)
            s.serve_forever()
            """, dir + "/cert.pem", dir + "/key.pem"]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        let port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), "the TLS server did not start")
        let outcome = transport.post(url: URL(string: "https://127.0.0.1:\(port)/hook")!, headers: [:], body: Data("{}".utf8), timeout: 5)
        guard case .failed(let why) = outcome else { Issue.record("a self-signed certificate was accepted: \(outcome)"); return }
        #expect(why.contains("certificate"), "\(why)")
    }

    @Test func headerBlocks() {
        let raw = "HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\nHTTP/1.1 200 OK\r\nX-A:  one \r\nX-Long: first\r\n  second\r\nx-a: two\r\nno colon\r\n\r\n"
        #expect(CurlTransport.parseHeaders(raw) == ["x-a": "one, two", "x-long": "first second"])
        #expect(CurlTransport.parseHeaders("") == [:])
    }

    @Test func theDelivererUsesItByDefault() throws {
        let server = try OneRequestServer(response: Data("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nslow".utf8))
        let dir = NSTemporaryDirectory() + "/hw-curl-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let receiver = ReceiverSpec(name: "am", url: "http://127.0.0.1:\(server.port)/hook", format: "alertmanager")
        let d = Deliverer(outbox: try Outbox(dir: dir), receivers: [receiver], now: { 1_700_000_000 })
        try d.enqueue(sampleNotification())
        #expect(try d.runDue() == 0)
        #expect(server.received().headers["idempotency-key"] == "key-1")
        #expect(d.outbox.pending["key-1"]?.next == 1_700_000_007)
        #expect(d.log.last?.contains("got 429, retry in") == true, "\(d.log)")
    }
}
