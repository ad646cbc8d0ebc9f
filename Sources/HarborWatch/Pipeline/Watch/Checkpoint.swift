import Foundation

/// What `watch --state DIR` (and `analyze --state DIR`) keeps to resume: per file where reading
/// stopped and where a restart re-reads from, the alerts already emitted, how far each
/// notification group has got, the open alerts too old to be rebuilt by re-reading, and the
/// length of the events file written so far.
///
/// Written atomically (write, fsync, rename) after the alerts of the lines it covers were handed on.
public struct Checkpoint: Codable, Sendable, Equatable {
    /// Where one file stopped.
    public struct FileState: Codable, Sendable, Equatable {
        /// Hash of the file's first bytes (up to 1 KiB).
        public var fingerprint: UInt64
        /// How many first bytes the fingerprint covers.
        public var fingerprintLength: Int = 0
        /// Offset after the last whole line handed on.
        public var offset: Int64
        /// Lines read (line numbers go on from here).
        public var lines: Int
        /// Offset to re-read from, silently, to rebuild the correlation state of the recent past.
        public var replayOffset: Int64
        /// Line number at `replayOffset`.
        public var replayLines: Int
        /// While nothing was read from the file: the newest rotated copy's first bytes then.
        public var unreadCopyHead: Data? = nil
    }

    /// Format version.
    public var version = 1
    /// Per path.
    public var files: [String: FileState] = [:]
    /// Alert fingerprint → last status emitted.
    public var emitted: [String: String] = [:]
    /// Alert labels without `severity` (fingerprint) → the severity it was first seen with.
    public var pinned: [String: String]? = nil
    /// Notification idempotency keys already handed to the outbox.
    public var notified: [String] = []
    /// Bytes of the `--events` file that are committed.
    public var eventsLength: Int64 = 0
    /// The newest event time seen.
    public var watermark: Int64 = 0
    /// How far each notification group has got (nil in checkpoints of older versions).
    public var routing: Router.Progress? = nil
    /// Alerts still open that began before anything a replay re-reads, as they were then (their
    /// annotations rendered; their findings are not kept); nil: none.
    public var carried: [Alert]? = nil

    /// An empty checkpoint.
    public init() {}

    static func url(_ dir: String) -> URL { URL(fileURLWithPath: dir).appendingPathComponent("checkpoint.json") }

    /// The checkpoint in `dir`, or an empty one when there is none.
    public static func load(dir: String) throws -> Checkpoint {
        let u = url(dir)
        guard FileManager.default.fileExists(atPath: u.path) else { return Checkpoint() }
        return try JSONDecoder().decode(Checkpoint.self, from: Data(contentsOf: u))
    }

    /// Writes the checkpoint into `dir` atomically.
    public func save(dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let data = try enc.encode(self)
        let tmp = dir + "/checkpoint.json.tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission) }
        guard data.withUnsafeBytes({ WriteAll.write(fd, $0) }) else {
            close(fd)
            throw CocoaError(.fileWriteUnknown)  // never rename a short checkpoint into place
        }
        fsync(fd)
        close(fd)
        guard rename(tmp, Self.url(dir).path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        let dfd = open(dir, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
