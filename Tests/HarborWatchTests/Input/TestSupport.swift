import CZlib
import Foundation

@testable import HarborWatch

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TempDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/harborwatch-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    /// Writes `bytes` to `relative` (parent directories created) and returns the full path.
    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8] = []) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// `text` gzip-compressed in one member by zlib.
/// Appends `bytes` to the file at `path`.
func append(_ bytes: [UInt8], to path: String) throws {
    let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? h.close() }
    try h.seekToEnd()
    try h.write(contentsOf: Data(bytes))
}

func gzipped(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    let status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    precondition(status == Z_OK)
    defer { deflateEnd(&stream) }
    var input = bytes
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
    let written = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = UInt32(outBuffer.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<written])
}

/// Deterministic log-like text: `count` lines of pseudo-random nginx-ish requests.
func sampleLog(lines count: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed
    var text = ""
    for index in 0..<count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let status = [200, 201, 202, 401, 404, 500][Int(state >> 61) % 6]
        text += "10.0.\(state >> 56).\(state >> 48 & 0xFF) - \"GET /v2/library/app\(state % 97)/blobs/sha256:"
        text += String(state, radix: 16) + " HTTP/1.1\" \(status) \(state % 100_000) \"-\" \"docker/24.0\" 0.\(index % 1000) -\n"
    }
    return Array(text.utf8)
}

/// Every byte a reader delivers, concatenated.
func readAll(_ reader: ChunkReader) -> [UInt8] {
    var all: [UInt8] = []
    while let chunk = reader.next() { all.append(contentsOf: chunk) }
    return all
}
