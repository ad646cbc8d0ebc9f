import Foundation
import Testing
@testable import HarborWatch

@Suite struct FileFollowerTests {
    /// Reads everything there is now, `maxBytes` per poll; returns the bytes and the rotations seen.
    func drain(_ f: FileFollower, maxBytes: Int) -> [UInt8] {
        var got: [UInt8] = []
        repeat {
            f.poll(maxBytes: maxBytes, { got += $0 }, rotated: {})
        } while f.hasMore
        return got
    }

    /// A budgeted poll (watch reads a backlog a few hundred KiB at a time) that stops inside a file
    /// renamed away reads that file to its end, over several polls, before the new one.
    @Test func aRenamedFileIsReadToItsEndUnderAByteBudget() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let old = (0..<2000).map { "old line \($0)\n" }.joined(), new = (0..<300).map { "new line \($0)\n" }.joined()
        let path = try dir.write("proxy.log", Array(old.prefix(100).utf8))
        let f = FileFollower(path: path)
        #expect(drain(f, maxBytes: 4096) == Array(old.prefix(100).utf8))
        // The writer goes on, then the file is rotated by rename and a new one started.
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        h.seekToEndOfFile()
        h.write(Data(old.dropFirst(100).utf8))
        try h.close()
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try dir.write("proxy.log", Array(new.utf8))
        var got: [UInt8] = []
        var rotations = 0
        for _ in 0..<100 {
            f.poll(maxBytes: 4096, { got += $0 }, rotated: { rotations += 1 })
            if !f.hasMore && got.count >= old.utf8.count + new.utf8.count { break }
        }
        #expect(String(decoding: got, as: UTF8.self) == String(old.dropFirst(100)) + new)
        #expect(rotations == 1)
    }

    /// Appends `text` to `path`.
    func append(_ path: String, _ text: String) throws { try HarborWatchTests.append(Array(text.utf8), to: path) }

    /// logrotate's copytruncate with `compress` and no `delaycompress`: older copies move up one,
    /// the file is copied to `.1`, truncated, and `.1` is compressed to `.1.gz`.
    func copytruncate(_ path: String) throws {
        try shift(path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        truncate(path, 0)
        try Data(gzipped(Array(bytes))).write(to: URL(fileURLWithPath: path + ".1.gz"))
    }

    /// logrotate's default (rename) with `compress`: the file becomes `.1.gz`, a new one is made.
    func renameRotate(_ path: String) throws {
        try shift(path)
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try Data().write(to: URL(fileURLWithPath: path))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path + ".1"))
        try Data(gzipped(Array(bytes))).write(to: URL(fileURLWithPath: path + ".1.gz"))
        try FileManager.default.removeItem(atPath: path + ".1")
    }

    /// The first half of a copytruncate: the file is copied to `.1.gz`, not truncated yet.
    func copyNotTruncated(_ path: String) throws {
        try shift(path)
        try Data(gzipped(Array(try Data(contentsOf: URL(fileURLWithPath: path))))).write(to: URL(fileURLWithPath: path + ".1.gz"))
    }

    func shift(_ path: String) throws {
        for n in stride(from: 9, through: 1, by: -1) where FileManager.default.fileExists(atPath: path + ".\(n).gz") {
            try FileManager.default.moveItem(atPath: path + ".\(n).gz", toPath: path + ".\(n + 1).gz")
        }
    }

    func lines(_ tag: String, _ r: Range<Int>) -> String { r.map { "\(tag) line \($0) of the file\n" }.joined() }

    /// `proxy.log` in `dir` with ten lines, and a follower that has read them.
    func following(_ dir: TempDirectory) throws -> (String, FileFollower) {
        let path = try dir.write("proxy.log", Array(lines("a", 0..<10).utf8))
        let f = FileFollower(path: path)
        #expect(drain(f, maxBytes: 1 << 20) == Array(lines("a", 0..<10).utf8))
        return (path, f)
    }

    /// What `f` reads in two polls, the file rotated again (`rotate`) when the first reaches `step`.
    func readRotating(_ f: FileFollower, at step: FileFollower.RotationStep, rotate: @escaping () -> Void) -> String {
        f.rotationStep = { now in
            guard now == step else { return }
            f.rotationStep = nil
            rotate()
        }
        return String(decoding: drain(f, maxBytes: 1 << 20) + drain(f, maxBytes: 1 << 20), as: UTF8.self)
    }

    /// What `f` reads in a poll of `maxBytes` during which, once the first bytes were handed on,
    /// the file is rotated again (`rotate`), and in the polls after it.
    func pollRotating(_ f: FileFollower, maxBytes: Int, rotate: () -> Void) -> String {
        var got: [UInt8] = []
        var rotating = true
        f.poll(maxBytes: maxBytes, { bytes in
            got += bytes
            if rotating {
                rotating = false
                rotate()
            }
        }, rotated: {})
        got += drain(f, maxBytes: 1 << 20)
        return String(decoding: got, as: UTF8.self)
    }

    /// A follower that has read `proxy.log` in `dir`, rotated by rename: the new file is empty,
    /// nothing read from it.
    func followingANewFile(_ dir: TempDirectory) throws -> (String, FileFollower) {
        let (path, f) = try following(dir)
        try renameRotate(path)
        #expect(drain(f, maxBytes: 1 << 20).isEmpty)
        return (path, f)
    }

    /// A copytruncate and then a rename between two polls (the harness's seed 217: lines
    /// 711–714 twice): the truncated file's new lines are in the newest copy, and were read from
    /// there and again from the open file, which had been renamed to that copy. With a second
    /// rename (the amplified harness, `mixed` seed 1: lines 2072–2140 twice), the open file is
    /// the second newest copy, and the newest the file after it.
    @Test(arguments: [1, 2])
    func aCopytruncateThenRenamesBetweenTwoPollsReadEachLineOnce(renames: Int) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (path, f) = try following(dir)
        try append(path, lines("a", 10..<12))
        try copytruncate(path)
        var expected = lines("a", 10..<12)
        for (n, tag) in ["b", "c", "d"].prefix(renames + 1).enumerated() {
            if n > 0 { try renameRotate(path) }
            try append(path, lines(tag, 0..<(4 - n)))
            expected += lines(tag, 0..<(4 - n))
        }
        let got = String(decoding: drain(f, maxBytes: 1 << 20) + drain(f, maxBytes: 1 << 20), as: UTF8.self)
        #expect(got == expected)
    }

    /// A file followed before its first line, copied and truncated before it was read (the
    /// harness's `mixed` runs: lines 1600–1602 lost): its lines are only in the copy now. Also
    /// when the file then holds the start of a line cut by its writer, the same bytes as the
    /// copy's first line starts with ("b lin"): it was taken for the file the copy was made of,
    /// not truncated yet, and the copy's lines were lost.
    @Test(arguments: [("b line 3 of the file\nb line 4 of the file\n", ""), ("b lin", "e 5 of the file\n")])
    func aCopytruncateOfAFileNotYetReadIsReadFromTheCopy(written: String, later: String) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (path, f) = try followingANewFile(dir)
        try append(path, lines("b", 0..<3))
        try copytruncate(path)
        try append(path, written)
        var got = String(decoding: drain(f, maxBytes: 1 << 20), as: UTF8.self)
        try append(path, later)
        got += String(decoding: drain(f, maxBytes: 1 << 20), as: UTF8.self)
        #expect(got == lines("b", 0..<3) + written + later)
    }

    /// The window of a copytruncate between the copy and the truncation: a file not yet read
    /// whose copy exists already is read once, from the file.
    @Test func aCopyMadeBeforeTheTruncationIsNotReadTwice() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (path, f) = try followingANewFile(dir)
        try append(path, lines("b", 0..<3))
        try copyNotTruncated(path)
        var got = String(decoding: drain(f, maxBytes: 1 << 20), as: UTF8.self)
        truncate(path, 0)
        try append(path, lines("b", 3..<5))
        got += String(decoding: drain(f, maxBytes: 1 << 20), as: UTF8.self)
        #expect(got == lines("b", 0..<5))
    }

    /// A second rotation while the first is taken up (the rotation test's seed 11: two rotations
    /// 27 lines apart, lines 1126–1152 lost). `.seen`: the path is renamed again after the
    /// follower saw it name a new file and before it opened it; that file is a copy by then.
    /// `.opened`: right after it was opened; it is read once, from the open file, not from its
    /// copy as well (two rotations seen).
    @Test(arguments: [(FileFollower.RotationStep.seen, 1), (.opened, 2)])
    func aSecondRotationWhileTheFirstIsTakenUpLosesAndRepeatsNoLine(step: FileFollower.RotationStep, rotations: Int) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (path, f) = try following(dir)
        try append(path, lines("a", 10..<12))
        try renameRotate(path)
        try append(path, lines("b", 0..<4))
        let got = readRotating(f, at: step) {
            try? renameRotate(path)
            try? append(path, lines("c", 0..<3))
        }
        #expect(got == lines("a", 10..<12) + lines("b", 0..<4) + lines("c", 0..<3))
        #expect(f.rotations == rotations)
    }

    /// Two rotations between two polls, the second caught while its copy is compressed
    /// (`NAME.1` and a whole `NAME.1.gz`, `NAME.1` not yet removed): the lines are read once.
    @Test func aCopyBeingCompressedIsReadOnce() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (path, f) = try following(dir)
        try renameRotate(path)
        try append(path, lines("b", 0..<4))
        try shift(path)
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try append(path + ".1", "")
        try Data(lines("c", 0..<2).utf8).write(to: URL(fileURLWithPath: path))
        try Data(gzipped(Array(lines("b", 0..<4).utf8))).write(to: URL(fileURLWithPath: path + ".1.gz"))
        let got = String(decoding: drain(f, maxBytes: 1 << 20), as: UTF8.self)
        #expect(got == lines("b", 0..<4) + lines("c", 0..<2))
    }

    /// A rotated copy held open is read whole after logrotate removed its name.
    @Test func aCopyHeldOpenIsReadAfterItsNameIsGone() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = try dir.write("proxy.log.1", Array(lines("a", 0..<3).utf8))
        let copy = try #require(RotatedCopy(path))
        try FileManager.default.removeItem(atPath: path)
        #expect(copy.head(length: 6) == Array("a line".utf8))
        var got: [UInt8] = []
        let reader = try #require(copy.reader())
        while let chunk = reader.next() { got += chunk }
        #expect(String(decoding: got, as: UTF8.self) == lines("a", 0..<3))
    }

    /// A second copytruncate while the first is taken up. `true`: caught between its copy and
    /// its truncation, which comes once the copies are read (the rotation test's seed 12: lines
    /// 1546–1563 lost): the copy of the open file was left to the open file, truncated before it
    /// was read; its lines come from the copy now, and the file goes on after them. `false`: while
    /// the lines of the first copy are read (the amplified harness after a restart: 4 lines
    /// lost): the file read next was compared with the newest copy listed after the copies were
    /// read, already the copy of that file, so its lines were taken as read; the copies listed
    /// before count.
    @Test(arguments: [true, false])
    func aSecondCopytruncateWhileTheFirstIsTakenUpLosesNoLine(halfWay: Bool) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (path, f) = try following(dir)
        try append(path, lines("a", 10..<12))
        try copytruncate(path)
        try append(path, lines("b", 0..<4))
        let got: String
        if halfWay {
            try copyNotTruncated(path)
            got = readRotating(f, at: .copiesRead) {
                truncate(path, 0)
                try? append(path, lines("c", 0..<3))
            }
        } else {
            got = pollRotating(f, maxBytes: 1 << 20) {
                try? copytruncate(path)
                try? append(path, lines("c", 0..<3))
            }
        }
        #expect(got == lines("a", 10..<12) + lines("b", 0..<4) + lines("c", 0..<3))
    }


    /// A copytruncate while lines are read (the amplified harness's `copytruncate` seeds: whole
    /// copies lost, with a reader stalled on a busy machine). `budget`: the read stops after the
    /// lines, and the fingerprint was taken from the file as it was then, truncated and written
    /// again, so the file looked unchanged and was read on from the middle of its new lines; it
    /// is taken from the bytes as read. No budget: the same read went on into the new lines; the
    /// first bytes are compared after each read.
    @Test(arguments: [true, false])
    func aTruncationWhileLinesAreReadIsNoticed(budget: Bool) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (path, f) = try following(dir)
        let more = lines("a", 10..<12)
        try append(path, more)
        let got = pollRotating(f, maxBytes: budget ? more.utf8.count : 1 << 20) {
            try? copytruncate(path)
            try? append(path, lines("c", 0..<20))
        }
        #expect(got == more + lines("c", 0..<20))
    }

}
