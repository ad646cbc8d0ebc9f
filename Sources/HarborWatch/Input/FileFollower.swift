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
            let recovery = recoverFromCopy(emit, before: fd)
            startOver(rotated, baseline: recovery.newestHead)
            resume(after: recovery.continuesAfter)
            rotationStep?(.copiesRead)
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
            rotationStep?(.seen)
            // The file the path names now is held open before the copies are listed. Several
            // rotations between two looks, or one while this one is handled (logrotate renames the
            // new file too): the files in between are rotated copies by then. Opened after the
            // listing, one renamed away meanwhile was neither (its lines lost).
            let next = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            rotationStep?(.opened)
            let recovery = recoverFromCopy(emit, quiet: true, before: next)
            close(fd)
            fd = -1
            startOver(rotated, baseline: recovery.newestHead)
            if next >= 0 { take(next, emit, rotated) } else { open(emit, rotated) }
            resume(after: recovery.continuesAfter)
            rotationStep?(.copiesRead)
            drain(emit)
        }
    }

    /// The steps of taking up a rotated file, for tests that rotate again in between: the path
    /// names another file, that file is open, the copies are read (the file is read next).
    enum RotationStep { case seen, opened, copiesRead }
    /// Called at each `RotationStep` (tests only).
    var rotationStep: ((RotationStep) -> Void)?

    private func open(_ emit: (UnsafeBufferPointer<UInt8>) -> Void, _ rotated: () -> Void) {
        let f = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard f >= 0 else { return }
        take(f, emit, rotated)
    }

    /// Reads `f` (the followed path, opened) from now on.
    private func take(_ f: Int32, _ emit: (UnsafeBufferPointer<UInt8>) -> Void, _ rotated: () -> Void) {
        var st = stat()
        fstat(f, &st)
        fd = f
        inode = UInt64(st.st_ino)
        if startAtEnd {
            readOffset = Int64(st.st_size)
            startAtEnd = false
            noteHead(Array(Self.head(of: fd).prefix(Int(min(1024, readOffset)))))
            if fingerprint == 0 { unreadBaseline = newestCopyHead() }
            return
        }
        if fingerprint != 0, fingerprintLength > 0 {
            // Resuming: is this still the file we read? Else look for it among the rotated copies.
            let head = Self.head(of: fd).prefix(fingerprintLength)
            if head.count == fingerprintLength, Self.hash(Array(head)) == fingerprint, Int64(st.st_size) >= readOffset {
                headBytes = Array(head)
            } else {
                let recovery = recoverFromCopy(emit, before: fd)
                startOver(rotated, baseline: recovery.newestHead)
                resume(after: recovery.continuesAfter)
            }
        }
        if fingerprint == 0, readOffset == 0, unreadBaseline == nil { unreadBaseline = newestCopyHead() }
    }

    /// A new file from its first byte (after a rotation): the caller ends its pending line.
    /// `baseline`: the newest copy's first bytes when the copies were listed, if they were (see
    /// `unreadBaseline`; listed again after they were read, a copy of the file read next made
    /// meanwhile, copied and truncated before its first read, was taken for the baseline and its
    /// lines lost).
    private func startOver(_ rotated: () -> Void, baseline: [UInt8]? = nil) {
        rotations += 1
        rotated()
        readOffset = 0
        fingerprint = 0
        fingerprintLength = 0
        headBytes = []
        unreadBaseline = baseline ?? newestCopyHead()
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
    /// taken up). Each is read whole, up to the one the file starts as (copied, not truncated
    /// yet), after which the file goes on (`resume(after:)`).
    private func recoverUnread(since base: [UInt8], _ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        // Looked at again only when the newest copy's name, inode, size or time changed: a file
        // that stays empty costs a few `stat` calls a poll.
        let signature = newestCopySignature()
        if signature == lastCopySignature { return }
        lastCopySignature = signature
        let members = rotatedMembers()
        guard let newest = members.first else { return }
        let newestHead = newest.head()
        if newestHead == base { return }
        // The copies made since `base` was newest, oldest first.
        let known = members.firstIndex { !base.isEmpty && $0.head() == base } ?? members.count
        let continuesAfter = streamCopies(members[..<known].reversed(), from: 0, before: fd, emit)
        unreadBaseline = newestHead
        resume(after: continuesAfter)
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

    /// The rotated copies of the file, newest first (at most `limit`), held open.
    private func rotatedMembers(limit: Int = .max) -> [RotatedCopy] { Self.rotatedMembers(of: path, limit: limit) }

    /// The rotated copy of `path` that starts with the `length` bytes hashed to `fingerprint`
    /// (the file as it was when a checkpoint was written), newest first; nil when none does.
    static func rotatedCopy(of path: String, fingerprint: UInt64, length: Int) -> RotatedCopy? {
        guard fingerprint != 0, length > 0 else { return nil }
        return rotatedMembers(of: path).first { headMatches($0, fingerprint: fingerprint, length: length) }
    }

    /// True when the first `length` bytes of `copy` (decompressed) hash to `fingerprint`.
    private static func headMatches(_ copy: RotatedCopy, fingerprint: UInt64, length: Int) -> Bool {
        let h = copy.head(length: length)
        return h.count == length && hash(h) == fingerprint
    }

    /// The rotated copies of `path`, newest first: `NAME.0`, then `NAME.1` or `NAME.1.gz`, …
    /// `NAME.20` or `NAME.20.gz`, each opened as it is listed (at most `limit` of them).
    ///
    /// Logrotate moves copies up while they are listed (`NAME.1.gz` to `NAME.2.gz` …): the names
    /// are looked at in rising order, so a copy that moves is met again, and taken once (by its
    /// inode). `NAME.N` and `NAME.N.gz` together are one copy being compressed: the `.gz` is not
    /// whole until `NAME.N` goes, so `NAME.N` is the one read (held open, it stays readable).
    private static func rotatedMembers(of path: String, limit: Int = .max) -> [RotatedCopy] {
        var members: [RotatedCopy] = []
        var seen = Set<UInt64>()
        func take(_ name: String) -> Bool {
            guard let copy = RotatedCopy(name) else { return false }
            if seen.insert(copy.inode).inserted { members.append(copy) }
            return true
        }
        _ = take(path + ".0")
        for i in 1...20 where members.count < limit {
            if !take(path + ".\(i)") { _ = take(path + ".\(i).gz") }
        }
        return Array(members.prefix(limit))
    }

    /// The first bytes (up to 1 KiB) of the newest rotated copy (`[]`: none).
    private func newestCopyHead() -> [UInt8] { rotatedMembers(limit: 1).first?.head() ?? [] }

    /// The first bytes (up to 1 KiB) of the plain file open as `descriptor`, as it is now.
    private static func head(of descriptor: Int32) -> [UInt8] {
        var head = [UInt8](repeating: 0, count: 1024)
        let n = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 1024, 0) }
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
            // Truncated and written past `readOffset` since the last look (a copytruncate while a
            // stalled reader took its time): these bytes may be the new lines. They are left, and
            // the next poll reads the lines before the truncation from the copy.
            if fingerprintLength > 0, currentFingerprint(length: fingerprintLength) != fingerprint { break }
            budget -= n
            buffer.withUnsafeBufferPointer { emit(UnsafeBufferPointer(rebasing: $0[0..<n])) }
            if readOffset < 1024, Int64(headBytes.count) == readOffset {
                // The fingerprint covers the first KiB as it was read, not the file as it is now:
                // truncated and written again since, the file looked unchanged (its fingerprint
                // taken from the new bytes), and the lines before the truncation were lost.
                buffer.withUnsafeBufferPointer { noteHead(headBytes + $0[0..<min(n, 1024 - headBytes.count)]) }
            }
            readOffset += Int64(n)
            unreadBaseline = nil
        }
    }

    /// The first bytes of the file read so far (up to 1 KiB), as read: `fingerprint` is their hash.
    private var headBytes: [UInt8] = []

    /// Takes `bytes` as the file's first bytes (none: no fingerprint yet).
    private func noteHead(_ bytes: [UInt8]) {
        headBytes = bytes
        fingerprint = bytes.isEmpty ? 0 : Self.hash(bytes)
        fingerprintLength = bytes.count
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

    /// What reading the rotated copies found: the copy the file read next goes on after (nil: that
    /// file is read from its start), and the newest copy's first bytes when they were listed.
    private struct Recovery {
        var continuesAfter: (RotatedCopy, Int64)?
        var newestHead: [UInt8]?
    }

    /// The bytes after `readOffset` of the file we were reading, from the copy logrotate made of it
    /// (`NAME.1`, `NAME.1.gz`, or older when several rotations passed), then the newer copies
    /// whole, up to the one `next` (the file read next, -1: none) starts as.
    private func recoverFromCopy(_ emit: (UnsafeBufferPointer<UInt8>) -> Void, quiet: Bool = false, before next: Int32) -> Recovery {
        guard fingerprint != 0, fingerprintLength > 0 else { return Recovery() }
        // members: newest first. Find ours, then read it from readOffset and the newer ones whole.
        let members = rotatedMembers()
        var recovery = Recovery(newestHead: members.first?.head() ?? [])
        guard let mine = members.firstIndex(where: { headMatches($0) }) else {
            if !quiet {
                warnings.append("\(path) was truncated or replaced, and no rotated copy holds the lines written after offset \(readOffset): they may be lost")
            }
            return recovery
        }
        recovery.continuesAfter = streamCopies(members[...mine].reversed(), from: readOffset, before: next, emit)
        return recovery
    }

    /// Reads `copies` (oldest first; the first from `from`, the others whole) up to the one the
    /// file open as `next` starts as, and returns it with its length: that file goes on after it
    /// (`resume(after:)`), and the copies newer than it are made of files after it, read when the
    /// rename is seen. Nil when `next` starts as none of them.
    ///
    /// A copytruncate then two renames between two looks: the open file is the second newest
    /// copy, the newest is the file after it. Read to the newest, the open file was then read
    /// again from its start, and the newest again after it.
    private func streamCopies(
        _ copies: some Sequence<RotatedCopy>, from: Int64, before next: Int32, _ emit: (UnsafeBufferPointer<UInt8>) -> Void
    ) -> (RotatedCopy, Int64)? {
        var start = from
        for copy in copies {
            let read = (copy, stream(copy, from: start, emit))
            start = 0
            if Self.file(next, startsAs: read) { return read }
        }
        return nil
    }

    /// After the rotated copies were read: the open file goes on where `copy` (the one it starts
    /// as: it is the file renamed since it was opened, or the file that copy was made of, not
    /// truncated yet) ends, not from its start.
    ///
    /// Left to the open file instead, such a copy's lines were lost when logrotate truncated the
    /// file before it was read. A truncation after this shows as the first bytes changing, and
    /// `recoverFromCopy` finds the copy by them.
    private func resume(after copy: (RotatedCopy, Int64)?) {
        guard let (copy, length) = copy, readOffset == 0 else { return }
        noteHead(copy.head(length: Int(min(1024, length))))
        readOffset = length
        unreadBaseline = nil
    }

    /// True when the file open as `descriptor` is at least as long as the copy (`copy` and its
    /// length) and starts with the same bytes (up to 1 KiB), which hold a whole line: a line cut
    /// by its writer may be how another file starts too.
    private static func file(_ descriptor: Int32, startsAs copy: (RotatedCopy, Int64)?) -> Bool {
        guard descriptor >= 0, let (copy, length) = copy, length > 0 else { return false }
        let n = Int(min(1024, length))
        let head = copy.head(length: n)
        guard head.count == n, head.contains(0x0A) else { return false }
        var st = stat()
        return fstat(descriptor, &st) == 0 && Int64(st.st_size) >= length && Self.head(of: descriptor).prefix(n).elementsEqual(head)
    }

    private func headMatches(_ copy: RotatedCopy) -> Bool { Self.headMatches(copy, fingerprint: fingerprint, length: fingerprintLength) }

    /// Emits `copy`'s (decompressed) bytes from `from` on; returns its length.
    private func stream(_ copy: RotatedCopy, from: Int64, _ emit: (UnsafeBufferPointer<UInt8>) -> Void) -> Int64 {
        guard let reader = copy.reader() else { return 0 }
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
        return pos
    }

}

/// A rotated copy of the followed file, held open from when the copies were listed. Logrotate
/// renames, compresses and removes copies while they are looked at (`NAME.1` becomes `NAME.1.gz`,
/// then `NAME.2.gz`): one read again by its name later could be gone (its lines lost) or be
/// another (read twice).
final class RotatedCopy {
    let name: String
    let inode: UInt64
    private let fd: Int32

    /// `name` opened; nil when there is no such regular file.
    init?(_ name: String) {
        let f = Glibc.open(name, O_RDONLY | O_CLOEXEC)
        guard f >= 0 else { return nil }
        var st = stat()
        guard fstat(f, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(f)
            return nil
        }
        self.name = name
        self.fd = f
        inode = UInt64(st.st_ino)
    }

    deinit { close(fd) }

    /// A reader of the copy from its first byte, inflated when it is gzip (one at a time: the
    /// readers share the file's position).
    func reader() -> ChunkReader? {
        let d = dup(fd)
        guard d >= 0 else { return nil }
        let file = RawFile(descriptor: d, name: name)
        guard file.seek(to: 0) else { return nil }
        return ChunkReader(file: file, decompressInBackground: false)
    }

    /// The first `length` bytes (decompressed).
    func head(length: Int = 1024) -> [UInt8] {
        guard let reader = reader() else { return [] }
        var head: [UInt8] = []
        while head.count < length, let chunk = reader.next() { head.append(contentsOf: chunk.prefix(length - head.count)) }
        return head
    }
}
