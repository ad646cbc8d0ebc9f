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
}
