import Foundation
import Testing
@testable import HarborWatch

/// A fake receiver: answers from a script, records what it got.
final class FakeTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [HTTPOutcome]
    private(set) var received: [(url: URL, headers: [String: String], body: Data)] = []
    init(_ script: [HTTPOutcome]) { self.script = script }
    func post(url: URL, headers: [String: String], body: Data, timeout: Double) -> HTTPOutcome {
        lock.lock()
        defer { lock.unlock() }
        received.append((url, headers, body))
        return script.isEmpty ? .response(status: 200, headers: [:], body: "") : script.removeFirst()
    }
}

/// A clock the test moves.
final class FakeClock: @unchecked Sendable {
    var now: Double = 1_700_000_000
}

func sampleNotification(status: Alert.Status = .firing) -> AlertNotification {
    let labels = ["alertname": "replication_lag", "site": "hub-2", "severity": "critical", "repository": "app/api"]
    let a = Alert(fingerprint: Fingerprint.of(labels), status: status, labels: labels, annotations: ["summary": "app/api:5.0.0 has not arrived"],
                  startsAt: t("2024-09-18T02:30:10Z"), endsAt: status == .resolved ? t("2024-09-18T02:40:00Z") : nil)
    return AlertNotification(receiver: "am", groupKey: "root{alertname=\"replication_lag\"}:am", status: status, groupLabels: ["alertname": "replication_lag"],
                        commonLabels: labels, commonAnnotations: a.annotations, alerts: [a], idempotencyKey: "key-1")
}

@Suite struct PayloadTests {
    @Test func alertmanagerVersion4Exactly() {
        let body = String(decoding: PayloadRenderer.alertmanager(sampleNotification()), as: UTF8.self)
        let fp = Fingerprint.of(["alertname": "replication_lag", "site": "hub-2", "severity": "critical", "repository": "app/api"])
        #expect(body == #"{"version":"4","groupKey":"root{alertname=\"replication_lag\"}:am","truncatedAlerts":0,"status":"firing","receiver":"am","groupLabels":{"alertname":"replication_lag"},"commonLabels":{"alertname":"replication_lag","repository":"app/api","severity":"critical","site":"hub-2"},"commonAnnotations":{"summary":"app/api:5.0.0 has not arrived"},"externalURL":"","alerts":[{"status":"firing","labels":{"alertname":"replication_lag","repository":"app/api","severity":"critical","site":"hub-2"},"annotations":{"summary":"app/api:5.0.0 has not arrived"},"startsAt":"2024-09-18T02:30:10Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"\#(fp)"}]}"#)
        let resolved = String(decoding: PayloadRenderer.alertmanager(sampleNotification(status: .resolved)), as: UTF8.self)
        #expect(resolved.contains(#""endsAt":"2024-09-18T02:40:00Z""#))
    }

    @Test func chatFormats() {
        let n = sampleNotification()
        #expect(String(decoding: PayloadRenderer.slack(n), as: UTF8.self) == #"{"text":"harborwatch: 1 firing, 0 resolved (alertname=replication_lag)","attachments":[{"color":"danger","text":"*[FIRING] replication_lag* hub-2 app/api: app/api:5.0.0 has not arrived"}]}"#)
        #expect(String(decoding: PayloadRenderer.wecom(n), as: UTF8.self) == #"{"msgtype":"markdown","markdown":{"content":"**harborwatch: 1 firing, 0 resolved (alertname=replication_lag)**\n> [FIRING] replication_lag hub-2 app/api: app/api:5.0.0 has not arrived"}}"#)
        let ding = PayloadRenderer.dingtalk(n, secret: "SECxyz", nowMillis: 1_700_000_000_000)
        #expect(ding.query.map { $0.0 } == ["timestamp", "sign"])
        #expect(ding.query.last?.1 == "0PUR1j8g85Xg3vlFV/UrEcxXfF5HpCAGzcjrNfyJoyg=")
        #expect(String(decoding: ding.body, as: UTF8.self).hasPrefix(#"{"msgtype":"markdown","markdown":{"title":"harborwatch: 1 firing"#))
        let feishu = String(decoding: PayloadRenderer.feishu(n, secret: "SECxyz", nowSecs: 1_700_000_000), as: UTF8.self)
        #expect(feishu.hasPrefix(#"{"timestamp":"1700000000","sign":"GnU9dobz1WousiKlH0LX6FYP8yrWNCgoJOvRhpMc8HY=","msg_type":"text""#))
    }

    @Test func signatureHeaderAndTemplate() {
        #expect(PayloadRenderer.signature(body: Array(#"{"a":1}"#.utf8), key: "k") == "sha256=c3a92ff9e274cdcce27a58c15a78ec6dcbbdbd0038a87e7a11baef2028fd8bff")
        let text = PayloadRenderer.template(sampleNotification(), "{{status}} {{#alerts}}{{labels.alertname}}@{{labels.site}} <{{annotations.summary}}>{{/alerts}}")
        #expect(text == "firing replication_lag@hub-2 <app/api:5.0.0 has not arrived>")
        let generic = String(decoding: PayloadRenderer.generic(sampleNotification()), as: UTF8.self)
        #expect(generic.contains(#""idempotency_key":"key-1""#))
    }
}

@Suite final class OutboxAndDelivererTests {
    /// The outbox directories this test made, removed when it ends (a class suite: one instance a test).
    private var made: [String] = []
    deinit { for d in made { try? FileManager.default.removeItem(atPath: d) } }

    func setup(_ script: [HTTPOutcome], dir: String? = nil) throws -> (Deliverer, FakeTransport, FakeClock, String) {
        let d = dir ?? (NSTemporaryDirectory() + "/hw-outbox-\(UUID().uuidString)")
        if dir == nil { made.append(d) }
        let clock = FakeClock()
        let transport = FakeTransport(script)
        let receiver = ReceiverSpec(name: "am", url: "http://127.0.0.1:9/hook", format: "alertmanager", headers: ["X-Team": "r"], hmacSecretEnv: "K")
        let deliverer = Deliverer(outbox: try Outbox(dir: d), receivers: [receiver], transport: transport, environment: ["K": "key"],
                                  maxAgeSecs: 3600, now: { clock.now }, random: { 0.5 })
        return (deliverer, transport, clock, d)
    }

    @Test func retriesServerErrorsThenDelivers() throws {
        let (d, t, clock, _) = try setup([.failed("connection refused"), .response(status: 503, headers: [:], body: "busy"), .response(status: 200, headers: [:], body: "")])
        try d.enqueue(sampleNotification())
        #expect(try d.runDue() == 0)          // refused
        #expect(try d.runDue() == 0)          // not due yet (backoff 1 s)
        clock.now += 1
        #expect(try d.runDue() == 0)          // 503
        clock.now += 2
        #expect(try d.runDue() == 1)          // 200
        #expect(t.received.count == 3)
        #expect(t.received.last?.headers["Idempotency-Key"] == "key-1")
        #expect(t.received.last?.headers["X-Harborwatch-Signature"]?.hasPrefix("sha256=") == true)
        #expect(d.outbox.pending.isEmpty)
        try d.enqueue(sampleNotification())   // delivered already: never again
        #expect(d.outbox.pending.isEmpty)
    }

    @Test func honoursRetryAfterAndDoesNotRetryOther4xx() throws {
        let (d, _, clock, dir) = try setup([.response(status: 429, headers: ["retry-after": "30"], body: ""), .response(status: 400, headers: [:], body: "bad payload")])
        try d.enqueue(sampleNotification())
        try d.runDue()
        clock.now += 29
        #expect(try d.runDue() == 0)
        #expect(d.outbox.pending.first?.value.attempts == 1)
        clock.now += 1
        try d.runDue()
        #expect(d.outbox.pending.isEmpty)
        let dead = try String(contentsOfFile: dir + "/dead-letter.ndjson", encoding: .utf8)
        #expect(dead.contains("HTTP 400 (not retried): bad payload"))
        #expect(Deliverer.retryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: 1_445_412_480) == 30)
    }

    @Test func deadLetterAfterTheHorizon() throws {
        let (d, _, clock, dir) = try setup(Array(repeating: .failed("down"), count: 50))
        try d.enqueue(sampleNotification())
        for _ in 0..<20 { try d.runDue(); clock.now += 400 }
        #expect(d.outbox.pending.isEmpty)
        #expect(try String(contentsOfFile: dir + "/dead-letter.ndjson", encoding: .utf8).contains("undelivered after 3600 s"))
    }

    @Test func survivesARestartAndATornRecord() throws {
        let (d1, _, _, dir) = try setup([.failed("down"), .failed("down")])
        try d1.enqueue(sampleNotification())
        var other = sampleNotification()
        other.idempotencyKey = "key-2"
        try d1.enqueue(other)
        try d1.runDue()
        // a crash in the middle of a write
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/outbox.log"))
        h.seekToEndOfFile()
        h.write(Data(#"{"op":"ack","id":"key"#.utf8))
        try h.close()
        let (d2, t2, clock2, _) = try setup([], dir: dir)
        clock2.now += 5
        #expect(d2.outbox.tornRecords == 1)
        #expect(Set(d2.outbox.pending.keys) == ["key-1", "key-2"])
        #expect(try d2.runDue() == 2)
        #expect(t2.received.map { $0.headers["Idempotency-Key"]! }.sorted() == ["key-1", "key-2"])
        let (d3, t3, _, _) = try setup([], dir: dir)
        #expect(d3.outbox.pending.isEmpty)
        try d3.enqueue(sampleNotification())
        #expect(try d3.runDue() == 0)
        #expect(t3.received.isEmpty)
    }

    @Test func compactionKeepsWhatMatters() throws {
        let (d, _, _, dir) = try setup([])
        for i in 0..<600 {
            var n = sampleNotification()
            n.idempotencyKey = "k\(i)"
            try d.enqueue(n)
        }
        try d.runDue()
        let lines = try String(contentsOfFile: dir + "/outbox.log", encoding: .utf8).split(separator: "\n").count
        #expect(lines < 1200, "the log was not compacted (\(lines) records)")
        let (again, _, _, _) = try setup([], dir: dir)
        #expect(again.outbox.pending.isEmpty)
        #expect(again.outbox.settled.count == 600)
    }

    /// A long run's settled ids stay bounded: a compaction drops the oldest from memory as from
    /// the log (they were kept in memory for the whole run), and the newest still refuse a repeat.
    @Test func settledIdsStayBoundedInALongRun() throws {
        let dir = NSTemporaryDirectory() + "/hw-outbox-\(UUID().uuidString)"
        made.append(dir)
        let outbox = try Outbox(dir: dir, keepSettled: 100)
        func item(_ i: Int) -> Outbox.Item {
            Outbox.Item(id: "k\(i)", receiver: "am", body: Data("{}".utf8), contentType: "application/json", query: [],
                        created: Double(i), attempts: 0, next: 0, lastError: nil)
        }
        var most = 0
        for i in 0..<3000 {
            try outbox.enqueue(item(i))
            try outbox.ack("k\(i)")
            most = max(most, outbox.settled.count)
        }
        #expect(most < 700, "settled grew to \(most) ids")
        #expect(outbox.settled.contains("k2999") && !outbox.settled.contains("k0"))
        #expect(try outbox.enqueue(item(2999)) == false)
        let again = try Outbox(dir: dir, keepSettled: 100)
        #expect(again.settled == outbox.settled)
    }

    @Test func dryRunRedactsSecrets() throws {
        let (d, t, _, _) = try setup([])
        try d.enqueue(sampleNotification())
        let text = d.dryRun()
        #expect(text.hasPrefix("POST http://127.0.0.1:9/hook\n"))
        #expect(text.contains("X-Harborwatch-Signature: <redacted>"))
        #expect(text.contains("Idempotency-Key: key-1"))
        #expect(t.received.isEmpty)
    }
}
