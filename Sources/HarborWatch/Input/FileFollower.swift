#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Follows one log file as it grows, across rotation, as `tail -F` does but without losing or
/// repeating a line.
///
/// - Rotation by rename (or deletion and re-creation): the old file is read to its end, then the new
///   one from its start.
/// - `copytruncate`: the file's first bytes change (or it shrinks); the lines written between the
///   last read and the truncation are recovered from the fresh copy (`NAME.1` or `NAME.1.gz`, found
///   by the same first bytes), then the truncated file is read from its start.
/// - A line cut by a writer mid-way is held until its newline arrives.
///
/// The position (`fingerprint` of the first bytes, `offset` of the end of the last whole line)
/// is what a checkpoint stores to resume.
public final class FileFollower {
    /// The path followed.
    public let path: String
    /// Hash of the file's first bytes (up to 1 KiB), 0 until read.
    public private(set) var fingerprint: UInt64 = 0
    /// Bytes of the file read so far.
    public private(set) var readOffset: Int64 = 0
    /// Times the file was rotated under us.
    public private(set) var rotations = 0
    /// Lines recovered from a rotated copy after a copytruncate.
    public private(set) var recoveredBytes: Int64 = 0
    /// Problems (a rotated copy that could not be read …).
    public private(set) var warnings: [String] = []

    private var fd: Int32 = -1
    private var inode: UInt64 = 0
    /// How many first bytes `fingerprint` covers.
    public private(set) var fingerprintLength = 0
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    /// A follower of `path`, starting at `offset` of the file whose first bytes hash to `fingerprint`
    /// (0: start from the beginning, or the end with `fromEnd`).
    /// `unreadCopyHead`: for a file nothing was read from yet, the first bytes of the newest
    /// rotated copy when it was last looked at (`unreadCopyHead` of the follower before a restart):
    /// copies made since then hold its lines.
    public init(
        path: String, fingerprint: UInt64 = 0, fingerprintLength: Int = 0, offset: Int64 = 0, fromEnd: Bool = false,
        unreadCopyHead: [UInt8]? = nil
    ) {
        self.path = path
        if fingerprint == 0, offset == 0 { unreadBaseline = unreadCopyHead }
        self.fingerprint = fingerprint
        self.fingerprintLength = fingerprint == 0 ? 0 : (fingerprintLength > 0 ? fingerprintLength : Int(min(1024, offset)))
        readOffset = offset
        startAtEnd = fromEnd && fingerprint == 0
    }

    private var startAtEnd: Bool

    deinit { if fd >= 0 { close(fd) } }

    /// True when the last poll stopped at its byte budget with more to read.
    public private(set) var hasMore = false
    private var budget = Int.max

    /// Reads what is new, at most `maxBytes` of it (the rest on the next call; `hasMore` tells).
    public func poll(maxBytes: Int, _ emit: (UnsafeBufferPointer<UInt8>) -> Void, rotated: () -> Void) {
        budget = maxBytes
        defer { budget = .max }
        poll(emit, rotated: rotated)
    }

    /// Reads what is new; `emit` receives the bytes in order, and `rotated` is called before the bytes
    /// of a new file (so the caller can end its pending line and reset its line numbers).
    public func poll(_ emit: (UnsafeBufferPointer<UInt8>) -> Void, rotated: () -> Void) {
        hasMore = false
        if fd < 0 { open(emit, rotated) }
        guard fd >= 0 else { return }
        // copytruncate: the first bytes are not the ones we read (or the file shrank).
        var st = stat()
        if fstat(fd, &st) == 0, Int64(st.st_size) < readOffset || (fingerprint != 0 && fingerprintLength > 0 && currentFingerprint(length: fingerprintLength) != fingerprint) {
            recoverFromCopy(emit, openFileFollows: true)
            startOver(rotated)
        }
        // copytruncate of a file nothing was read from yet: no first bytes to compare, but a new
        // rotated copy tells.
        if fingerprint == 0, readOffset == 0, let base = unreadBaseline { recoverUnread(since: base, emit) }
        drain(emit)
        if hasMore { return }
        // rename / delete + re-create: the path names another file now.
        var now = stat()
        if stat(path, &now) == 0, UInt64(now.st_ino) != inode {
            drain(emit)
            if hasMore { return }  // the old file is read to its end before the new one
            // Several rotations between two looks: the files in between are rotated copies now.
            if fingerprint != 0, fingerprintLength > 0 { recoverFromCopy(emit, quiet: true) }
            close(fd)
            fd = -1
            startOver(rotated)
            open(emit, rotated)
            drain(emit)
        }
    }

    private func open(_ emit: (UnsafeBufferPointer<UInt8>) -> Void, _ rotated: () -> Void) {
        let f = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard f >= 0 else { return }
        var st = stat()
        fstat(f, &st)
        fd = f
        inode = UInt64(st.st_ino)
        if startAtEnd {
            readOffset = Int64(st.st_size)
            startAtEnd = false
            noteFingerprint()
            if fingerprint == 0 { unreadBaseline = newestCopyHead() }
            return
        }
        if fingerprint != 0, fingerprintLength > 0 {
            // Resuming: is this still the file we read? Else look for it among the rotated copies.
            if currentFingerprint(length: fingerprintLength) != fingerprint || Int64(st.st_size) < readOffset {
                recoverFromCopy(emit, openFileFollows: true)
                startOver(rotated)
            }
        }
        if fingerprint == 0, readOffset == 0, unreadBaseline == nil { unreadBaseline = newestCopyHead() }
    }

    /// A new file from its first byte (after a rotation): the caller ends its pending line.
    private func startOver(_ rotated: () -> Void) {
        rotations += 1
        rotated()
        readOffset = 0
        fingerprint = 0
        fingerprintLength = 0
        unreadBaseline = newestCopyHead()
    }

    /// The first bytes (up to 1 KiB) of the newest rotated copy when the file followed had had
    /// nothing read from it yet (`[]`: no copy); nil once something was read.
    private var unreadBaseline: [UInt8]?

    /// For a checkpoint: while nothing was read from the file, the newest rotated copy's first
    /// bytes when it was last looked at (a copytruncate while harborwatch is stopped then shows
    /// as a newer copy after the restart; its lines were lost before).
    public var unreadCopyHead: [UInt8]? { fingerprint == 0 && readOffset == 0 ? unreadBaseline : nil }

    /// A file nothing was read from yet may be copied and truncated before it is first read: its
    /// lines are then only in the new copies (those after `base`, the newest when the file was
    /// taken up). Each is read whole, once the file shows it was truncated: while it still starts
    /// as the newest copy does (copied, not yet truncated) it is left to be read as it is.
    private func recoverUnread(since base: [UInt8], _ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        // Looked at again only when the newest copy's name, inode, size or time changed: a file
        // that stays empty costs a few `stat` calls a poll.
        let signature = newestCopySignature()
        if signature == lastCopySignature { return }
        lastCopySignature = signature
        let members = rotatedMembers()
        guard let newest = members.first else { return }
        let newestHead = head(of: newest)
        if newestHead == base { return }
        let own = openFileHead()
        let n = min(own.count, newestHead.count)
        if n > 0, own[..<n] == newestHead[..<n] {
            lastCopySignature = []  // not truncated (yet): read from the file, and looked at again
            return
        }
        // The copies made since `base` was newest, oldest first.
        let known = members.firstIndex { !base.isEmpty && head(of: $0) == base } ?? members.count
        for file in members[..<known].reversed() { stream(file, from: 0, emit) }
        unreadBaseline = newestHead
    }

    private var lastCopySignature: [Int64] = []

    /// Name, inode, size and change time of the newest rotated copy (`[]`: none).
    private func newestCopySignature() -> [Int64] {
        for (i, name) in [path + ".0", path + ".1", path + ".1.gz"].enumerated() {
            var st = stat()
            if stat(name, &st) == 0 {
                return [Int64(i), Int64(bitPattern: UInt64(st.st_ino)), Int64(st.st_size), Int64(st.st_mtim.tv_sec), Int64(st.st_mtim.tv_nsec)]
            }
        }
        return []
    }

    /// The rotated copies of the file, newest first: `NAME.0`, then `NAME.1`, `NAME.1.gz`, … `NAME.20.gz`.
    private func rotatedMembers() -> [String] { Self.rotatedMembers(of: path) }

    /// The rotated copy of `path` that starts with the `length` bytes hashed to `fingerprint`
    /// (the file as it was when a checkpoint was written), newest first; nil when none does.
    static func rotatedCopy(of path: String, fingerprint: UInt64, length: Int) -> String? {
        guard fingerprint != 0, length > 0 else { return nil }
        return rotatedMembers(of: path).first { headMatches($0, fingerprint: fingerprint, length: length) }
    }

    /// True when the first `length` bytes of `file` (decompressed) hash to `fingerprint`.
    private static func headMatches(_ file: String, fingerprint: UInt64, length: Int) -> Bool {
        let h = head(of: file, length: length)
        return h.count == length && hash(h) == fingerprint
    }

    private static func rotatedMembers(of path: String) -> [String] {
        var members: [String] = []
        if access(path + ".0", R_OK) == 0 { members.append(path + ".0") }
        for i in 1...20 {
            for name in [path + ".\(i)", path + ".\(i).gz"] where access(name, R_OK) == 0 { members.append(name) }
        }
        return members
    }

    /// The first bytes (up to 1 KiB) of the rotated copy `file`, decompressed.
    private func head(of file: String, length: Int = 1024) -> [UInt8] { Self.head(of: file, length: length) }

    private static func head(of file: String, length: Int = 1024) -> [UInt8] {
        guard let reader = try? ChunkReader(path: file, decompressInBackground: false) else { return [] }
        var head: [UInt8] = []
        while head.count < length, let chunk = reader.next() { head.append(contentsOf: chunk.prefix(length - head.count)) }
        return head
    }

    /// The first bytes (up to 1 KiB) of the newest rotated copy (`[]`: none). A copy that goes
    /// while it is read (logrotate removes `NAME.1` once `NAME.1.gz` is written) is looked for
    /// again: taken for "no copy", every copy was later read again as new.
    private func newestCopyHead() -> [UInt8] {
        for _ in 0..<5 {
            guard let newest = rotatedMembers().first else { return [] }
            let h = head(of: newest)
            if !h.isEmpty || access(newest, R_OK) == 0 { return h }
        }
        return []
    }

    /// The first bytes (up to 1 KiB) of the open file as it is now.
    private func openFileHead() -> [UInt8] {
        var head = [UInt8](repeating: 0, count: 1024)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 1024, 0) }
        return Array(head.prefix(max(0, n)))
    }

    private func drain(_ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        while true {
            if budget <= 0 {
                hasMore = true
                return
            }
            let want = min(buffer.count, budget)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(readOffset)) }
            if n <= 0 { break }
            budget -= n
            buffer.withUnsafeBufferPointer { emit(UnsafeBufferPointer(rebasing: $0[0..<n])) }
            readOffset += Int64(n)
            unreadBaseline = nil
            if fingerprintLength < 1024 { noteFingerprint() }
        }
    }

    private func noteFingerprint() {
        let len = Int(min(1024, readOffset))
        guard len > fingerprintLength else { return }
        fingerprint = currentFingerprint(length: len)
        fingerprintLength = len
    }

    private func currentFingerprint(length: Int) -> UInt64 {
        var head = [UInt8](repeating: 0, count: length)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, 0) }
        guard n == length else { return 0 }
        return Self.hash(head)
    }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h ^= UInt64(b); h &*= 0x100_0000_01b3 }
        return h == 0 ? 1 : h
    }

    /// The bytes after `readOffset` of the file we were reading, from the copy logrotate made of it
    /// (`NAME.1`, `NAME.1.gz`, or older when several rotations passed), then every newer copy whole.
    ///
    /// `openFileFollows`: the open file is read from its start next (it was truncated). A newer
    /// copy that starts as it does is a copy of it (a rename after the truncation): it and any
    /// newer are left to the reads that follow (read here too, their lines came twice).
    private func recoverFromCopy(_ emit: (UnsafeBufferPointer<UInt8>) -> Void, quiet: Bool = false, openFileFollows: Bool = false) {
        guard fingerprint != 0, fingerprintLength > 0 else { return }
        // members: newest first. Find ours, then read it from readOffset and the newer ones whole.
        let members = rotatedMembers()
        guard let mine = members.firstIndex(where: { headMatches($0) }) else {
            if quiet { return }
            warnings.append("\(path) was truncated or replaced, and no rotated copy holds the lines written after offset \(readOffset): they may be lost")
            return
        }
        stream(members[mine], from: readOffset, emit)
        let own = openFileFollows && fd >= 0 ? openFileHead() : []
        for newer in members[..<mine].reversed() {
            if !own.isEmpty {
                let h = head(of: newer, length: own.count)
                if !h.isEmpty, own[..<h.count] == h[...] { break }
            }
            stream(newer, from: 0, emit)
        }
    }

    private func headMatches(_ file: String) -> Bool { Self.headMatches(file, fingerprint: fingerprint, length: fingerprintLength) }

    /// Emits `file`'s (decompressed) bytes from `from` on.
    private func stream(_ file: String, from: Int64, _ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let reader = try? ChunkReader(path: file, decompressInBackground: false) else { return }
        var pos: Int64 = 0
        while let chunk = reader.next() {
            let end = pos + Int64(chunk.count)
            if end > from {
                let skip = Int(max(0, from - pos))
                emit(UnsafeBufferPointer(rebasing: chunk[skip...]))
                recoveredBytes += end - max(from, pos)
            }
            pos = end
        }
        for w in reader.warnings { warnings.append(w.description) }
    }

}
