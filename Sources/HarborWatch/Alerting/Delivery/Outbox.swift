import Foundation

/// Pending webhook deliveries, kept on disk so that a receiver outage or a restart loses nothing.
///
/// An append-only log (`outbox.log`, one JSON record a line, each append fsync'd) of enqueues,
/// attempts, acknowledgements and dead letters. Opening it replays the log; a torn last line (a
/// crash mid-write) is skipped and counted. When most records are settled the log is compacted:
/// the live records go to a new file that replaces the old one atomically. Deliveries that keep
/// failing past `maxAge` go to `dead-letter.ndjson`. Every delivery is keyed by its idempotency
/// key: a key already delivered is never enqueued again.
public final class Outbox {
    /// One pending delivery.
    public struct Item: Codable, Sendable, Equatable {
        /// The notification's idempotency key.
        public var id: String
        /// The receiver's name.
        public var receiver: String
        /// The body (base64 in the log).
        public var body: Data
        /// Its content type.
        public var contentType: String
        /// Query items added to the URL (DingTalk's signature).
        public var query: [[String]]
        /// Wall time it was enqueued (seconds since the epoch).
        public var created: Double
        /// Attempts so far.
        public var attempts: Int
        /// Wall time of the next attempt.
        public var next: Double
        /// The last error, if any.
        public var lastError: String?
    }

    struct Record: Codable {
        var op: String
        var item: Item?
        var id: String?
        var attempts: Int?
        var next: Double?
        var error: String?
    }

    /// Deliveries waiting, by id.
    public private(set) var pending: [String: Item] = [:]
    /// Ids delivered or dead-lettered (never enqueued again): the last `keepSettled` of them
    /// after a compaction, so that a long run's memory does not grow with every notification.
    public private(set) var settled = Set<String>()
    /// Torn lines skipped when opening.
    public private(set) var tornRecords = 0
    /// Deliveries moved to the dead-letter file by this process.
    public private(set) var deadLettered = 0
    let dir: String
    private var fd: Int32 = -1
    private var records = 0
    private var settledOrder: [String] = []
    /// How many settled ids a compaction keeps (in the log and in `settled`).
    let keepSettled: Int

    /// Opens (or creates) the outbox in `dir`; a compaction keeps the last `keepSettled` settled ids.
    public init(dir: String, keepSettled: Int = 10_000) throws {
        self.dir = dir
        self.keepSettled = keepSettled
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try replay()
        fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: logPath]) }
    }

    deinit { if fd >= 0 { close(fd) } }

    var logPath: String { dir + "/outbox.log" }
    /// Where undeliverable notifications end.
    public var deadLetterPath: String { dir + "/dead-letter.ndjson" }

    private func replay() throws {
        guard let data = FileManager.default.contents(atPath: logPath) else { return }
        // A torn last record (no newline): cut it off so the next append starts on a fresh line.
        if let last = data.last, last != 0x0A {
            let keep = (data.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
            truncate(logPath, off_t(keep))
        }
        let dec = JSONDecoder()
        for line in data.split(separator: 0x0A) {
            guard let r = try? dec.decode(Record.self, from: Data(line)) else { tornRecords += 1; continue }
            records += 1
            apply(r)
        }
    }

    private func apply(_ r: Record) {
        switch r.op {
        case "put": if let i = r.item, !settled.contains(i.id) { pending[i.id] = i }
        case "retry":
            if let id = r.id, var i = pending[id] {
                i.attempts = r.attempts ?? i.attempts
                i.next = r.next ?? i.next
                i.lastError = r.error
                pending[id] = i
            }
        case "ack", "dead":
            if let id = r.id {
                pending[id] = nil
                if settled.insert(id).inserted { settledOrder.append(id) }
            }
        default: break
        }
    }

    private func append(_ r: Record) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        var data = try enc.encode(r)
        data.append(0x0A)
        guard data.withUnsafeBytes({ WriteAll.write(fd, $0) }) else { throw CocoaError(.fileWriteUnknown) }
        fsync(fd)
        records += 1
        apply(r)
    }

    /// Enqueues a delivery (durably) unless its id is pending or settled already; returns true when added.
    @discardableResult
    public func enqueue(_ item: Item) throws -> Bool {
        guard pending[item.id] == nil, !settled.contains(item.id) else { return false }
        try append(Record(op: "put", item: item))
        return true
    }

    /// Records a failed attempt and when to try again.
    public func retry(_ id: String, attempts: Int, next: Double, error: String) throws {
        try append(Record(op: "retry", id: id, attempts: attempts, next: next, error: error))
    }

    /// Records a successful delivery.
    public func ack(_ id: String) throws {
        try append(Record(op: "ack", id: id))
        try compactIfWorthIt()
    }

    /// Moves a delivery to the dead-letter file.
    public func deadLetter(_ id: String, reason: String) throws {
        guard let item = pending[id] else { return }
        var w = JSONWriter()
        w.beginObject()
        w.member("id", item.id)
        w.member("receiver", item.receiver)
        w.member("attempts", item.attempts)
        w.member("reason", reason)
        w.member("enqueued", Timestamps.format(Int64(item.created * 1e9)))
        w.member("body", String(decoding: item.body, as: UTF8.self))
        w.endObject()
        w.bytes.append(0x0A)
        let dfd = open(deadLetterPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if dfd >= 0 {
            _ = w.bytes.withUnsafeBytes { write(dfd, $0.baseAddress, $0.count) }
            fsync(dfd)
            close(dfd)
        }
        try append(Record(op: "dead", id: id, error: reason))
        deadLettered += 1
    }

    /// Rewrites the log with only the live records when most records are settled.
    func compactIfWorthIt() throws {
        guard records > 1000, records > 4 * (pending.count + 1) else { return }
        let kept = settledOrder.suffix(keepSettled)
        let tmp = logPath + ".tmp"
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        var data = Data()
        for id in kept { data += try enc.encode(Record(op: "ack", id: id)); data.append(0x0A) }
        for i in pending.values.sorted(by: { $0.created < $1.created }) { data += try enc.encode(Record(op: "put", item: i)); data.append(0x0A) }
        let t = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard t >= 0 else { return }
        _ = data.withUnsafeBytes { write(t, $0.baseAddress, $0.count) }
        fsync(t)
        close(t)
        guard rename(tmp, logPath) == 0 else { return }
        close(fd)
        fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        records = kept.count + pending.count
        settledOrder = Array(kept)
        // The ids the log no longer holds leave memory too (a run of months kept every one).
        if settled.count > settledOrder.count { settled = Set(settledOrder) }
    }
}
