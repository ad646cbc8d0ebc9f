/// Reads a file (or stdin) in large chunks, inflating gzip data, which it recognises by its magic bytes.
///
/// `next()` hands out a buffer that stays valid until the following call; buffers are allocated once
/// and reused. A gzip file may hold several concatenated members. A truncated or damaged gzip file
/// yields every byte inflated before the damage, then ends and records an `InputWarning`.
/// With `decompressInBackground`, gzip data is inflated on a second thread, a few chunks ahead.
public final class ChunkReader {
    /// The chunk size used when none is given: 1 MiB.
    public static let defaultChunkSize = 1 << 20

    /// The path as opened (`-` for stdin).
    public let path: String
    /// True when the data starts with the gzip magic bytes (1f 8b 08) and is inflated.
    public let isGzip: Bool
    /// Raw (compressed, for gzip) bytes read from the file so far.
    public private(set) var bytesRead: Int64 = 0
    /// Problems that ended the file early (a damaged gzip file, a failed read).
    public private(set) var warnings: [InputWarning] = []

    private enum Mode {
        case plain(RawFile)
        case gzip(GzipDecoder)
        case background(GzipPump)
        case finished
    }

    private var mode: Mode
    /// The chunk buffer for plain and foreground gzip reading.
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    /// Bytes already in `buffer` (read while looking for the magic bytes), delivered first.
    private var pending = 0

    /// Opens `path` (`-` for stdin); throws an `InputError` naming the file when it cannot be opened.
    /// `gzipChunkSize`: the chunks of a gzip file inflated in the background (else `chunkSize`).
    public convenience init(
        path: String, chunkSize: Int = ChunkReader.defaultChunkSize, gzipChunkSize: Int? = nil,
        decompressInBackground: Bool = true
    ) throws(InputError) {
        try self.init(file: RawFile(path: path), chunkSize: chunkSize, gzipChunkSize: gzipChunkSize, decompressInBackground: decompressInBackground)
    }

    /// Reads `file` (opened already, e.g. a rotated copy held open while logrotate renames it).
    init(file: RawFile, chunkSize: Int = ChunkReader.defaultChunkSize, gzipChunkSize: Int? = nil, decompressInBackground: Bool = true) {
        precondition(chunkSize >= 16, "chunk size too small")
        let path = file.name
        self.path = path
        buffer = .allocate(capacity: chunkSize)
        let peeked = file.read(into: buffer, atLeast: 3)
        let magic = peeked >= 3 && buffer[0] == 0x1F && buffer[1] == 0x8B && buffer[2] == 0x08
        isGzip = magic
        if peeked < 0 {
            mode = .finished
            warnings.append(InputWarning(file: path, byteOffset: 0, message: "read failed: \(systemMessage(file.lastError ?? 0))"))
            return
        }
        bytesRead = Int64(peeked)
        guard magic else {
            pending = peeked
            mode = .plain(file)
            return
        }
        let decoder = GzipDecoder(
            file: file, initial: UnsafeBufferPointer(rebasing: buffer[..<peeked]),
            inputCapacity: max(chunkSize / 4, 64 * 1024))
        if decompressInBackground, let pump = GzipPump.start(decoder, chunkSize: max(16, gzipChunkSize ?? chunkSize)) {
            mode = .background(pump)
        } else {
            mode = .gzip(decoder)
        }
    }

    deinit {
        if case .background(let pump) = mode { pump.cancel() }
        buffer.deallocate()
    }

    /// The next chunk of (inflated) bytes, valid until the next call; nil at the end of the data.
    ///
    /// For a plain file, a call after nil reads again, so bytes appended meanwhile are delivered.
    public func next() -> UnsafeBufferPointer<UInt8>? {
        switch mode {
        case .plain(let file):
            if pending > 0 {
                defer { pending = 0 }
                return UnsafeBufferPointer(rebasing: buffer[..<pending])
            }
            let n = file.read(into: buffer.baseAddress!, count: buffer.count)
            if n > 0 {
                bytesRead += Int64(n)
                return UnsafeBufferPointer(rebasing: buffer[..<n])
            }
            if n < 0 {
                warnings.append(InputWarning(file: path, byteOffset: bytesRead, message: "read failed: \(systemMessage(file.lastError ?? 0))"))
                mode = .finished
            }
            return nil
        case .gzip(let decoder):
            let n = decoder.decode(into: buffer)
            bytesRead = decoder.rawBytes
            if n > 0 { return UnsafeBufferPointer(rebasing: buffer[..<n]) }
            if let warning = decoder.warning { warnings.append(warning) }
            mode = .finished
            return nil
        case .background(let pump):
            if let (chunk, raw) = pump.next() {
                bytesRead = raw
                return chunk
            }
            let outcome = pump.outcome
            bytesRead = outcome.rawBytes
            if let warning = outcome.warning { warnings.append(warning) }
            mode = .finished
            return nil
        case .finished:
            return nil
        }
    }
}
