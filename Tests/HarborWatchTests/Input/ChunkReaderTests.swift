import Foundation
import Testing

@testable import HarborWatch
import CMapGuard

@Suite struct ChunkReaderTests {
    static let modes: [(background: Bool, chunkSize: Int)] = [(false, 4096), (true, 4096), (false, 1 << 20), (true, 1 << 20)]

    @Test(arguments: modes)
    func plainFileIsDeliveredUnchanged(mode: (background: Bool, chunkSize: Int)) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = sampleLog(lines: 2000)
        let path = try dir.write("proxy.log", text)
        let reader = try ChunkReader(path: path, chunkSize: mode.chunkSize, decompressInBackground: mode.background)
        let (all, largest) = readNotingLargest(reader)
        #expect(all == text)
        #expect(!reader.isGzip)
        #expect(reader.bytesRead == Int64(text.count))
        #expect(largest <= mode.chunkSize)
        #expect(reader.warnings.isEmpty)
    }

    @Test(arguments: modes)
    func singleGzipMemberIsInflated(mode: (background: Bool, chunkSize: Int)) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = sampleLog(lines: 5000)
        let compressed = gzipped(text)
        let path = try dir.write("proxy.log.1", compressed)  // no .gz suffix: recognised by magic bytes
        let reader = try ChunkReader(path: path, chunkSize: mode.chunkSize, decompressInBackground: mode.background)
        #expect(reader.isGzip)
        #expect(readAll(reader) == text)
        #expect(reader.bytesRead == Int64(compressed.count))
        #expect(reader.warnings.isEmpty)
        #expect(reader.next() == nil)
    }

    @Test(arguments: modes)
    func concatenatedMembersAreAllRead(mode: (background: Bool, chunkSize: Int)) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let first = sampleLog(lines: 700, seed: 1)
        let second = sampleLog(lines: 900, seed: 2)
        let third = Array("last\n".utf8)
        let path = try dir.write("multi.gz", gzipped(first) + gzipped(second, level: 1) + gzipped(third))
        let reader = try ChunkReader(path: path, chunkSize: mode.chunkSize, decompressInBackground: mode.background)
        #expect(readAll(reader) == first + second + third)
        #expect(reader.warnings.isEmpty)
    }

    @Test(arguments: modes)
    func truncatedGzipDeliversWhatPrecedesTheCut(mode: (background: Bool, chunkSize: Int)) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = sampleLog(lines: 20_000)
        let compressed = gzipped(text)
        let cut = compressed.count / 2
        let path = try dir.write("proxy.log.2.gz", Array(compressed[..<cut]))
        let reader = try ChunkReader(path: path, chunkSize: mode.chunkSize, decompressInBackground: mode.background)
        let delivered = readAll(reader)
        #expect(delivered == Array(text[..<delivered.count]))
        #expect(delivered.count > text.count * 4 / 10)
        #expect(delivered.count < text.count * 6 / 10)
        #expect(reader.warnings.count == 1)
        let warning = try #require(reader.warnings.first)
        #expect(warning.file == path)
        #expect(warning.byteOffset == Int64(cut))
        #expect(warning.description.contains(path))
        #expect(warning.description.contains("truncated"))
        #expect(reader.bytesRead == Int64(cut))
    }

    @Test(arguments: modes)
    func damagedBlockEndsTheFileRightAfterTheBytesBeforeIt(mode: (background: Bool, chunkSize: Int)) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = sampleLog(lines: 20_000)
        var compressed = gzipped(text, level: 0)
        // Level 0 writes stored blocks: [header byte][LEN][NLEN][LEN bytes]. Break the NLEN of a middle block.
        var position = 10
        var inflatedBefore = 0
        var blocks: [(position: Int, inflatedBefore: Int)] = []
        while position < compressed.count - 8 {
            let length = Int(compressed[position + 1]) | Int(compressed[position + 2]) << 8
            blocks.append((position, inflatedBefore))
            position += 5 + length
            inflatedBefore += length
        }
        try #require(position == compressed.count - 8 && blocks.count > 4)
        let target = blocks[blocks.count / 2]
        compressed[target.position + 3] ^= 0x5A
        let path = try dir.write("core.log.3.gz", compressed)
        let reader = try ChunkReader(path: path, chunkSize: mode.chunkSize, decompressInBackground: mode.background)
        #expect(readAll(reader) == Array(text[..<target.inflatedBefore]))
        let warning = try #require(reader.warnings.first)
        #expect(reader.warnings.count == 1)
        #expect((target.position...(target.position + 5)).contains(Int(warning.byteOffset)))
        #expect(warning.message.contains("invalid stored block lengths"))
    }

    @Test(arguments: modes)
    func damageFoundOnlyByTheChecksumNamesTheMember(mode: (background: Bool, chunkSize: Int)) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let first = sampleLog(lines: 2_000, seed: 7)
        let text = sampleLog(lines: 20_000)
        let head = gzipped(first)
        var damaged = gzipped(text)
        let damage = damaged.count / 2
        for index in damage..<(damage + 64) { damaged[index] = 0xFF }  // Huffman codes resync: inflate goes on
        let path = try dir.write("core.log.4.gz", head + damaged)
        let reader = try ChunkReader(path: path, chunkSize: mode.chunkSize, decompressInBackground: mode.background)
        let delivered = readAll(reader)
        let intact = first.count + text.count * 4 / 10
        #expect(delivered.count > intact)
        #expect(Array(delivered[..<intact]) == first + Array(text[..<(intact - first.count)]))
        let warning = try #require(reader.warnings.first)
        let total = head.count + damaged.count
        #expect(((total - 8)...total).contains(Int(warning.byteOffset)))
        #expect(warning.message.contains("incorrect data check"))
        #expect(warning.message.contains("starts at byte \(head.count)"))
    }

    @Test(arguments: [false, true])
    func bytesAfterTheLastMemberThatAreNotGzipAreReported(background: Bool) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = sampleLog(lines: 50)
        let compressed = gzipped(text)
        let path = try dir.write("tail.gz", compressed + Array("garbage".utf8))
        let reader = try ChunkReader(path: path, decompressInBackground: background)
        #expect(readAll(reader) == text)
        let warning = try #require(reader.warnings.first)
        #expect(warning.byteOffset >= Int64(compressed.count))
        #expect(warning.message.contains("not gzip"))
    }

    @Test(
        arguments: [
            [0x1F, 0x8B] + Array("hello\nworld\n".utf8),
            [0x1F, 0x8B],
            [0x1F],
            [0x1F, 0x8B, 0x09, 0x00, 0x41, 0x0A],
        ] as [[UInt8]])
    func magicPrefixWithoutDeflateMethodIsPlain(bytes: [UInt8]) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = try dir.write("odd.log", bytes)
        let reader = try ChunkReader(path: path)
        #expect(!reader.isGzip)
        #expect(readAll(reader) == bytes)
        #expect(reader.warnings.isEmpty)
    }

    @Test(arguments: [false, true])
    func gzipHeaderFollowedByGarbageWarnsAndDeliversNothing(background: Bool) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = try dir.write("fake.gz", [0x1F, 0x8B, 0x08, 0x00] + Array("not really compressed data\n".utf8))
        let reader = try ChunkReader(path: path, decompressInBackground: background)
        #expect(reader.isGzip)
        #expect(readAll(reader).isEmpty)
        let warning = try #require(reader.warnings.first)
        #expect(warning.byteOffset < 32)
    }

    @Test func emptyFileEndsAtOnce() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = try dir.write("empty.log")
        let reader = try ChunkReader(path: path)
        #expect(reader.next() == nil)
        #expect(!reader.isGzip)
        #expect(reader.bytesRead == 0)
        #expect(reader.warnings.isEmpty)
    }

    @Test func emptyGzipEndsWithoutWarning() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = try dir.write("empty.log.1.gz", gzipped([]))
        let reader = try ChunkReader(path: path)
        #expect(reader.isGzip)
        #expect(reader.next() == nil)
        #expect(reader.warnings.isEmpty)
    }

    @Test func missingFileThrowsASentenceNamingIt() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/samples/x.log"
        let error = #expect(throws: InputError.self) { try ChunkReader(path: path) }
        #expect(error?.description == "cannot open \(path): No such file or directory")
        #expect(error?.kind == .cannotOpen)
    }

    @Test func directoryThrows() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let error = #expect(throws: InputError.self) { try ChunkReader(path: dir.path) }
        #expect(error?.description == "cannot open \(dir.path): Is a directory")
    }

    @Test func dashReadsStandardInputAndLeavesItOpen() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = sampleLog(lines: 3000)
        let path = try dir.write("stdin.gz", gzipped(text))
        let saved = dup(STDIN_FILENO)
        let file = open(path, O_RDONLY)
        try #require(saved >= 0 && file >= 0)
        dup2(file, STDIN_FILENO)
        close(file)
        defer {
            dup2(saved, STDIN_FILENO)
            close(saved)
        }
        do {
            let reader = try ChunkReader(path: "-", chunkSize: 4096)
            #expect(reader.isGzip)
            #expect(readAll(reader) == text)
            #expect(reader.path == "-")
        }
        #expect(fcntl(STDIN_FILENO, F_GETFD) != -1)
    }

    @Test func droppingABackgroundReaderEarlyIsSafe() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = try dir.write("big.gz", gzipped(sampleLog(lines: 50_000)))
        for _ in 0..<20 {
            let reader = try ChunkReader(path: path, chunkSize: 4096, decompressInBackground: true)
            #expect(reader.next() != nil)
        }
    }

    // MARK: plain files read through mmap (`mapped:`, as `analyze` and `parse` read them)

    /// Chunk sizes and windows (a window a whole number of chunks, and not).
    static let mappedModes: [(chunkSize: Int, window: Int)] = [(4096, 16384), (5000, 12288), (1 << 15, 1 << 20)]

    @Test(arguments: mappedModes)
    func mappedFileIsDeliveredUnchanged(mode: (chunkSize: Int, window: Int)) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = sampleLog(lines: 3000)
        let path = try dir.write("proxy.log", text)
        let reader = try ChunkReader(path: path, chunkSize: mode.chunkSize, mapped: true, mapWindow: mode.window)
        let (all, largest) = readNotingLargest(reader)
        #expect(all.count == text.count)
        #expect(all.elementsEqual(text))
        #expect(reader.bytesRead == Int64(text.count))
        #expect(largest <= mode.chunkSize)
        #expect(reader.warnings.isEmpty)
    }

    /// Bytes appended after the file was opened (past the mapped part) are read too, and a call
    /// after the end reads what was appended since.
    @Test func mappedFileGoesOnWithWhatWasAppended() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let first = sampleLog(lines: 1000), more = sampleLog(lines: 300, seed: 7), last = sampleLog(lines: 5, seed: 9)
        let path = try dir.write("proxy.log", first)
        let reader = try ChunkReader(path: path, chunkSize: 4096, mapped: true, mapWindow: 16384)
        var all: [UInt8] = Array(reader.next()!)
        try append(more, to: path)
        while let chunk = reader.next() { all.append(contentsOf: chunk) }
        #expect(all.count == first.count + more.count)
        #expect(all.elementsEqual(first + more))
        try append(last, to: path)
        #expect(readAll(reader).elementsEqual(last))
        #expect(reader.bytesRead == Int64(first.count + more.count + last.count))
    }

    /// More files open at once than the guard has slots (64): those beyond are read with
    /// `read(2)`, and every file is delivered whole, read in turns.
    @Test func moreOpenFilesThanWindowsAreAllDelivered() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let texts = (0..<80).map { sampleLog(lines: 60, seed: UInt64($0 + 1)) }
        let readers = try texts.enumerated().map { k, text in
            try ChunkReader(path: dir.write("f\(k).log", text), chunkSize: 4096, mapped: true, mapWindow: 4096)
        }
        var got = Array(repeating: [UInt8](), count: texts.count)
        var open = Set(texts.indices)
        while !open.isEmpty {
            for k in open.sorted() {
                if let chunk = readers[k].next() { got[k].append(contentsOf: chunk) } else { open.remove(k) }
            }
        }
        for k in texts.indices {
            #expect(got[k].count == texts[k].count)
            #expect(got[k].elementsEqual(texts[k]))
        }
    }

    /// A file truncated while it is mapped (logrotate's `copytruncate`, or a shrink to a length
    /// inside a page): no SIGBUS, no zero byte handed out, only bytes the file held where they
    /// are read, and the new lines written after the truncation are read from the offset reached,
    /// as `read(2)` would.
    @Test(arguments: [0, 10_000, 40_960, 70_001])
    func mappedFileTruncatedWhileReadEndsWithoutAFault(newLength: Int) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = sampleLog(lines: 3000)  // about 400 KB
        let path = try dir.write("proxy.log", text)
        let reader = try ChunkReader(path: path, chunkSize: 4096, mapped: true, mapWindow: 65536)
        var all: [UInt8] = []
        for _ in 0..<3 { all.append(contentsOf: reader.next()!) }  // 12 KiB, in the first window
        #expect(truncate(path, off_t(newLength)) == 0)
        while let chunk = reader.next() { all.append(contentsOf: chunk) }
        #expect(all.firstIndex(of: 0) == nil)
        #expect(all.count == max(12288, newLength))
        #expect(all.elementsEqual(text[..<max(12288, newLength)]))
        #expect(reader.warnings.isEmpty)
        // Lines written after the truncation, past the offset reached: read from there on.
        let written = sampleLog(lines: 200, seed: 5)
        try append(written, to: path)
        let size = newLength + written.count
        let expected = size > max(12288, newLength) ? Array(written[(max(12288, newLength) - newLength)...]) : []
        let after = readAll(reader)
        #expect(after.count == expected.count)
        #expect(after.elementsEqual(expected))
    }

    /// The guard turns only faults inside a registered window into zero pages: a window
    /// unregistered, then truncated, is not guarded any more (checked without touching it), and
    /// a fault in a guarded window is reported with its page's offset.
    @Test func guardReportsTheFirstPageThatFaulted() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let path = try dir.write("g.log", [UInt8](repeating: 0x61, count: 8 * page))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        #expect(hw_map_guard_install() == 0)
        let m = try #require(mmap(nil, 8 * page, PROT_READ, MAP_PRIVATE, fd, 0))
        defer { munmap(m, 8 * page) }
        let slot = hw_map_guard_add(m, 8 * page)
        #expect(slot >= 0)
        defer { hw_map_guard_remove(slot) }
        #expect(hw_map_guard_fault(slot) == -1)
        hw_map_guard_touch(m, 8 * page)
        #expect(hw_map_guard_fault(slot) == -1)
        #expect(truncate(path, off_t(3 * page + 10)) == 0)
        hw_map_guard_touch(m, 8 * page)  // pages 4… are past the end: SIGBUS, caught
        #expect(hw_map_guard_fault(slot) == 4 * page)
        #expect(m.load(fromByteOffset: 3 * page + 9, as: UInt8.self) == 0x61)
        #expect(m.load(fromByteOffset: 3 * page + 10, as: UInt8.self) == 0)  // the page's tail
        #expect(m.load(fromByteOffset: 6 * page, as: UInt8.self) == 0)  // a zero page now
    }

    /// Every byte `reader` delivers, and its largest chunk.
    private func readNotingLargest(_ reader: ChunkReader) -> (all: [UInt8], largest: Int) {
        var largest = 0
        var all: [UInt8] = []
        while let chunk = reader.next() {
            largest = max(largest, chunk.count)
            all.append(contentsOf: chunk)
        }
        return (all, largest)
    }
}
