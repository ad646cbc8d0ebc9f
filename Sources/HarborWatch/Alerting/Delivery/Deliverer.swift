import Foundation

/// An HTTP response, or why there was none.
public enum HTTPOutcome: Sendable, Equatable {
    case response(status: Int, headers: [String: String], body: String)
    case failed(String)
}

/// Sends one HTTP request (a protocol so tests use a fake; the real one is `CurlTransport`).
public protocol HTTPTransport: Sendable {
    /// POSTs `body` to `url` with `headers`, waiting at most `timeout` seconds.
    func post(url: URL, headers: [String: String], body: Data, timeout: Double) -> HTTPOutcome
}

/// Delivers the outbox's pending notifications: retries connection errors, 5xx and 429 (honouring
/// `Retry-After`) with exponential backoff and jitter, gives up at once on other 4xx (the response
/// body goes to the dead-letter file), and dead-letters what is still undelivered after `maxAgeSecs`.
public final class Deliverer {
    let outbox: Outbox
    let receivers: [String: ReceiverSpec]
    let transport: HTTPTransport
    let environment: [String: String]
    let maxAgeSecs: Double
    var random: () -> Double
    let now: () -> Double
    /// One line per attempt, for the operator (secrets never appear).
    public private(set) var log: [String] = []

    /// A deliverer of `outbox` to `receivers`; `now` and `random` are the wall clock and jitter (fakes in tests).
    public init(
        outbox: Outbox, receivers: [ReceiverSpec], transport: HTTPTransport = CurlTransport(),
        environment: [String: String] = ProcessInfo.processInfo.environment, maxAgeSecs: Double = 86_400,
        now: @escaping () -> Double = { Date().timeIntervalSince1970 }, random: @escaping () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.outbox = outbox
        self.receivers = Dictionary(receivers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.transport = transport
        self.environment = environment
        self.maxAgeSecs = maxAgeSecs
        self.now = now
        self.random = random
    }

    /// Renders `n` for its receiver and enqueues it durably (before any attempt).
    public func enqueue(_ n: Notification) throws {
        guard let r = receivers[n.receiver] else { return }
        let secret = r.secretEnv.flatMap { environment[$0] }
        let p = PayloadRenderer.render(n, receiver: r, secret: secret, nowMillis: Int64(now() * 1000))
        try outbox.enqueue(Outbox.Item(
            id: n.idempotencyKey, receiver: r.name, body: Data(p.body), contentType: p.contentType, query: p.query.map { [$0.0, $0.1] },
            created: now(), attempts: 0, next: now(), lastError: nil))
    }

    /// The request an item makes: URL and headers (secret values included; never print these).
    func request(_ item: Outbox.Item, _ r: ReceiverSpec) -> (URL, [String: String])? {
        guard var comps = URLComponents(string: r.url) else { return nil }
        if !item.query.isEmpty {
            comps.queryItems = (comps.queryItems ?? []) + item.query.map { URLQueryItem(name: $0[0], value: $0[1]) }
        }
        guard let url = comps.url else { return nil }
        var headers = r.headers
        headers["Content-Type"] = item.contentType
        headers["Idempotency-Key"] = item.id
        headers["User-Agent"] = "harborwatch/\(HarborWatch.version)"
        if let k = r.hmacSecretEnv.flatMap({ environment[$0] }) {
            headers["X-Harborwatch-Signature"] = PayloadRenderer.signature(body: Array(item.body), key: k)
        }
        return (url, headers)
    }

    /// Attempts every due delivery once; returns how many were delivered.
    @discardableResult
    public func runDue() throws -> Int {
        var delivered = 0
        for item in outbox.pending.values.sorted(by: { ($0.created, $0.id) < ($1.created, $1.id) }) where item.next <= now() {
            guard let r = receivers[item.receiver], let (url, headers) = request(item, r) else {
                try outbox.deadLetter(item.id, reason: "receiver '\(item.receiver)' is no longer configured")
                continue
            }
            if now() - item.created > maxAgeSecs {
                try outbox.deadLetter(item.id, reason: "undelivered after \(Int(maxAgeSecs)) s: \(item.lastError ?? "")")
                log.append("\(item.receiver): \(item.id) dead-lettered after \(item.attempts) attempts")
                continue
            }
            let outcome = transport.post(url: url, headers: headers, body: item.body, timeout: r.timeoutSecs)
            let attempts = item.attempts + 1
            switch outcome {
            case .response(let status, _, _) where (200..<300).contains(status):
                try outbox.ack(item.id)
                delivered += 1
                log.append("\(item.receiver): \(item.id) delivered (\(status)) after \(attempts) attempt\(attempts == 1 ? "" : "s")")
            case .response(let status, let h, let body) where status == 429 || status >= 500:
                let wait = Self.retryAfter(h["retry-after"], now: now()) ?? backoff(attempts)
                try outbox.retry(item.id, attempts: attempts, next: now() + wait, error: "HTTP \(status)")
                log.append("\(item.receiver): \(item.id) got \(status), retry in \(Report.secs(wait)): \(body.prefix(200))")
            case .response(let status, _, let body):
                try outbox.retry(item.id, attempts: attempts, next: now(), error: "HTTP \(status): \(body.prefix(500))")
                try outbox.deadLetter(item.id, reason: "HTTP \(status) (not retried): \(body.prefix(500))")
                log.append("\(item.receiver): \(item.id) refused with \(status), not retried: \(body.prefix(200))")
            case .failed(let why):
                let wait = backoff(attempts)
                try outbox.retry(item.id, attempts: attempts, next: now() + wait, error: why)
                log.append("\(item.receiver): \(item.id) not delivered (\(why)), retry in \(Report.secs(wait))")
            }
        }
        return delivered
    }

    /// Exponential backoff from 1 s, doubling, capped at 5 minutes, with ±20 % jitter.
    func backoff(_ attempts: Int) -> Double {
        let base = min(300, pow(2, Double(max(0, attempts - 1))))
        return base * (0.8 + 0.4 * random())
    }

    /// `Retry-After` in seconds or as an HTTP date.
    static func retryAfter(_ value: String?, now: Double) -> Double? {
        guard let v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        if let s = Double(v) { return max(0, s) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: v).map { max(0, $0.timeIntervalSince1970 - now) }
    }

    /// Delivers until nothing is pending or `seconds` pass (sleeping until the next due attempt).
    public func drain(seconds: Double) throws {
        let end = now() + seconds
        while !outbox.pending.isEmpty, now() < end {
            try runDue()
            guard let next = outbox.pending.values.map(\.next).min() else { break }
            let wait = min(max(0, next - now()), end - now())
            if wait > 0 { usleep(UInt32(min(wait, 1) * 1e6)) }
        }
    }

    /// The exact requests pending deliveries would make, secrets replaced by `<redacted>`.
    public func dryRun() -> String {
        var out = ""
        for item in outbox.pending.values.sorted(by: { ($0.created, $0.id) < ($1.created, $1.id) }) {
            guard let r = receivers[item.receiver], let (url, headers) = request(item, r) else { continue }
            var secretValues = Set<String>()
            for name in [r.secretEnv, r.hmacSecretEnv].compactMap({ $0 }) { if let v = environment[name], !v.isEmpty { secretValues.insert(v) } }
            var shownURL = url.absoluteString
            if !item.query.isEmpty { shownURL = shownURL.replacingOccurrences(of: item.query.last![1].addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "", with: "<redacted>") }
            out += "POST \(shownURL)\n"
            for k in headers.keys.sorted() {
                var v = headers[k]!
                if k == "X-Harborwatch-Signature" || secretValues.contains(where: { v == $0 || ($0.count >= 8 && v.contains($0)) }) { v = "<redacted>" }
                out += "\(k): \(v)\n"
            }
            out += "\n" + String(decoding: item.body, as: UTF8.self) + "\n\n"
        }
        return out
    }
}
