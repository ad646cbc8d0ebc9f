import Testing

@testable import HarborWatch

/// A framed line, copied out of the callback.
struct FramedLine: Equatable, CustomStringConvertible {
    var bytes: [UInt8]
    var flags: LineFlags
    var description: String { "\(bytes.count)B \(flags.rawValue) \(String(decoding: bytes.prefix(40), as: UTF8.self))" }
}

/// Frames `input` fed in pieces of the given sizes (the last size repeats), then finishes.
func frame(_ input: [UInt8], pieces: [Int], maxLineLength: Int) -> [FramedLine] {
    var framer = LineFramer(maxLineLength: maxLineLength)
    var lines: [FramedLine] = []
    let collect = { (line: UnsafeBufferPointer<UInt8>, flags: LineFlags) in lines.append(FramedLine(bytes: Array(line), flags: flags)) }
    input.withUnsafeBufferPointer { all in
        var offset = 0
        var index = 0
        while offset < all.count {
            let size = min(pieces[min(index, pieces.count - 1)], all.count - offset)
            framer.feed(UnsafeBufferPointer(rebasing: all[offset..<(offset + size)]), collect)
            offset += size
            index += 1
        }
    }
    framer.finish(collect)
    return lines
}

/// The framing rules written plainly: split on `\\n`, drop one `\\r`, cut long lines, flag the unterminated tail.
func expectedLines(_ input: [UInt8], maxLineLength: Int) -> [FramedLine] {
    var parts = input.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    let unterminatedTail = parts.removeLast()
    var lines = parts.map { ($0, LineFlags()) }
    if !unterminatedTail.isEmpty { lines.append((unterminatedTail, .unterminated)) }
    return lines.map { bytes, flags in
        var bytes = bytes
        var flags = flags
        if bytes.last == 0x0D { bytes.removeLast() }
        if bytes.count > maxLineLength {
            bytes = Array(bytes[..<maxLineLength])
            flags.insert(.truncated)
        }
        return FramedLine(bytes: bytes, flags: flags)
    }
}

/// Pseudo-random piece sizes between 1 and `limit`.
func randomPieces(seed: UInt64, count: Int = 4096, limit: Int) -> [Int] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(state >> 33) % limit + 1
    }
}

@Suite struct LineFramerTests {
    static let cases: [(name: String, input: [UInt8], max: Int)] = [
        ("plain lines", Array("GET /v2/ 401\nGET /v2/ 200\n".utf8), 64),
        ("crlf", Array("one\r\ntwo\r\n\r\nthree\r\n".utf8), 64),
        ("lone and double cr", Array("a\rb\r\r\n\r\n\r".utf8), 64),
        ("empty lines", Array("\n\n\nx\n\n".utf8), 64),
        ("no trailing newline", Array("first\nsecond".utf8), 64),
        ("only a newline", [0x0A], 64),
        ("nul bytes", [0x00, 0x41, 0x00, 0x0A, 0x00, 0x0A, 0x00], 64),
        ("invalid utf-8", [0xFF, 0xFE, 0x0A, 0xC3, 0x28, 0x0A, 0xE2, 0x82, 0x0A, 0x80], 64),
        ("only quotes", Array(repeating: UInt8(ascii: "\""), count: 10_000), 4096),
        ("only quotes, short limit", Array(repeating: UInt8(ascii: "\""), count: 10_000), 7),
        ("1 MB line cut", Array(repeating: UInt8(ascii: "x"), count: 1 << 20) + Array("\nafter\n".utf8), 65536),
        ("1 MB line whole", Array(repeating: UInt8(ascii: "y"), count: 1 << 20) + Array("\r\nafter".utf8), 2 << 20),
        ("exactly the limit", Array("12345678\n123456789\n".utf8), 8),
        ("limit plus cr", Array("12345678\r\n123456789\r\n12345678\r".utf8), 8),
        ("long lines mixed", sampleLog(lines: 300) + Array(repeating: 0x2D, count: 5000) + sampleLog(lines: 30), 100),
    ]

    @Test(arguments: cases)
    func wholeLineByLineAndByteByByteAgree(testCase: (name: String, input: [UInt8], max: Int)) {
        let expected = expectedLines(testCase.input, maxLineLength: testCase.max)
        let whole = frame(testCase.input, pieces: [testCase.input.count], maxLineLength: testCase.max)
        #expect(whole == expected, "whole: \(testCase.name)")
        let lineByLine = testCase.input.split(separator: 0x0A, omittingEmptySubsequences: false).map { $0.count + 1 }
        #expect(frame(testCase.input, pieces: lineByLine, maxLineLength: testCase.max) == expected, "line by line: \(testCase.name)")
        if testCase.input.count <= 200_000 {
            #expect(frame(testCase.input, pieces: [1], maxLineLength: testCase.max) == expected, "byte by byte: \(testCase.name)")
        }
        for seed: UInt64 in [1, 2, 3] {
            for limit in [3, testCase.max + 2, 70_000] {
                let pieces = randomPieces(seed: seed, limit: limit)
                #expect(frame(testCase.input, pieces: pieces, maxLineLength: testCase.max) == expected, "random \(seed)/\(limit): \(testCase.name)")
            }
        }
    }

    @Test func flagsAreWhatTheRulesSay() {
        let input = Array("short\n".utf8) + Array(repeating: 0x61, count: 20) + Array("\r\nend".utf8)
        let lines = frame(input, pieces: [4], maxLineLength: 10)
        #expect(
            lines == [
                FramedLine(bytes: Array("short".utf8), flags: []),
                FramedLine(bytes: Array(repeating: 0x61, count: 10), flags: .truncated),
                FramedLine(bytes: Array("end".utf8), flags: .unterminated),
            ])
    }

    @Test func aLineInsideAChunkIsNotCopied() {
        var framer = LineFramer()
        let input = Array("alpha\nbeta\r\n".utf8)
        input.withUnsafeBufferPointer { chunk in
            var starts: [UnsafePointer<UInt8>?] = []
            framer.feed(chunk) { line, _ in starts.append(line.baseAddress) }
            #expect(starts == [chunk.baseAddress, chunk.baseAddress! + 6])
        }
    }

    @Test func finishWithNothingPendingEmitsNothing() {
        var framer = LineFramer()
        var count = 0
        Array("done\n".utf8).withUnsafeBufferPointer { framer.feed($0) { _, _ in count += 1 } }
        framer.finish { _, _ in count += 1 }
        framer.finish { _, _ in count += 1 }
        #expect(count == 1)
    }

    @Test(arguments: [false, true])
    func truncatedGzipFramesIntoCompleteLinesThenOneUnterminated(background: Bool) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = sampleLog(lines: 10_000)
        let compressed = gzipped(text)
        let path = try dir.write("proxy.log.1.gz", Array(compressed[..<(compressed.count * 3 / 4)]))
        let reader = try ChunkReader(path: path, chunkSize: 8192, decompressInBackground: background)
        var framer = LineFramer()
        var lines: [FramedLine] = []
        let collect = { (line: UnsafeBufferPointer<UInt8>, flags: LineFlags) in lines.append(FramedLine(bytes: Array(line), flags: flags)) }
        while let chunk = reader.next() { framer.feed(chunk, collect) }
        framer.finish(collect)
        let original = expectedLines(text, maxLineLength: 65536)
        let complete = lines.filter { $0.flags.isEmpty }
        #expect(complete.count > original.count / 2)
        #expect(complete == Array(original[..<complete.count]))
        #expect(lines.count - complete.count <= 1)
        if lines.count > complete.count { #expect(lines.last?.flags == .unterminated) }
        #expect(reader.warnings.count == 1)
    }
}
