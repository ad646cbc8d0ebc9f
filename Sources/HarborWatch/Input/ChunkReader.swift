#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import CMapGuard

/// Reads a file (or stdin) in large chunks, inflating gzip data, which it recognises by its magic bytes.
///
/// `next()` hands out a buffer that stays valid until the following call; buffers are allocated once
/// and reused. A gzip file may hold several concatenated members. A truncated or damaged gzip file
/// yields every byte inflated before the damage, then ends and records an `InputWarning`.
/// With `decompressInBackground`, gzip data is inflated on a second thread, a few chunks ahead.
///
/// With `mapped`, a plain regular file is read through windows mapped with mmap: its chunks are the
/// page cache's own bytes, with no `read(2)` copying each into the buffer (5–9 % of `parse`'s
/// time on the 2 M-line benchmark log, in the kernel). At most 64 windows are mapped at a time in
/// the process (`CMapGuard`'s slots): a file opened beyond them is read with `read(2)`.
///
/// A file that shrinks while mapped (logrotate's `copytruncate`) does not raise SIGBUS: the guard
/// (`CMapGuard`) maps zero pages where the file ended, and no byte from there on is handed out;
/// `read(2)` then goes on from that offset, as it would have. The chunk handed out last may still
/// be read by its caller when the file shrinks: from the truncation on, it reads zero bytes (a
/// line or two the parser counts as malformed). Bytes appended after the file was opened are read
/// with `read(2)` as well.
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
    /// The chunk size (the buffer's, and at most a mapped chunk's).
    private let chunkSize: Int

    /// The size of a window mapped at a time: 256 KiB. Its pages count in the resident memory while
    /// it is read (one window per file open: `analyze` of two sites holds four); 1 MiB and 4 MiB
    /// windows read the benchmark's proxy log no faster.
    public static let defaultMapWindow = 1 << 18
    private let mapWindow: Int
    /// The end of the part of the file read through mmap (its size when opened; 0: none is).
    private var mapEnd = 0
    /// The file offset of the next mapped byte to hand out.
    private var mapOffset = 0
    /// The window mapped now: its address, file offset, length and guard slot.
    private var window: UnsafeRawPointer?
    private var windowStart = 0
    private var windowLength = 0
    private var guardSlot: Int32 = -1
    /// The SIGBUS guard, installed once for the process (false: files are not mapped).
    private static let guardInstalled = hw_map_guard_install() == 0

    /// Opens `path` (`-` for stdin); throws an `InputError` naming the file when it cannot be opened.
    /// `gzipChunkSize`: the chunks of a gzip file inflated in the background (else `chunkSize`).
    public convenience init(
        path: String, chunkSize: Int = ChunkReader.defaultChunkSize, gzipChunkSize: Int? = nil,
        decompressInBackground: Bool = true, mapped: Bool = false, mapWindow: Int = ChunkReader.defaultMapWindow
    ) throws(InputError) {
        try self.init(
            file: RawFile(path: path), chunkSize: chunkSize, gzipChunkSize: gzipChunkSize,
            decompressInBackground: decompressInBackground, mapped: mapped, mapWindow: mapWindow)
    }

    /// Reads `file` (opened already, e.g. a rotated copy held open while logrotate renames it).
    init(
        file: RawFile, chunkSize: Int = ChunkReader.defaultChunkSize, gzipChunkSize: Int? = nil,
        decompressInBackground: Bool = true, mapped: Bool = false, mapWindow: Int = ChunkReader.defaultMapWindow
    ) {
        precondition(chunkSize >= 16, "chunk size too small")
        let path = file.name
        self.path = path
        self.chunkSize = chunkSize
        let page = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
        self.mapWindow = max(page, mapWindow / page * page)
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
            if mapped, Self.guardInstalled, let size = file.regularFileSize(), size > peeked {
                mapEnd = size
                mapOffset = peeked
            }
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
        unmapWindow()
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
            if mapEnd > 0 {
                if mapOffset < mapEnd, let chunk = nextMapped(file) {
                    bytesRead += Int64(chunk.count)
                    return chunk
                }
                // The mapped part is read (or the file shrank, or a window could not be mapped):
                // `read(2)` goes on from here.
                unmapWindow()
                mapEnd = 0
                guard file.seek(to: mapOffset) else {
                    warnings.append(InputWarning(file: path, byteOffset: bytesRead, message: "seek failed: \(systemMessage(errno))"))
                    mode = .finished
                    return nil
                }
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

    /// The next chunk of the mapped part, mapping the window it is in first; nil when the window
    /// cannot be mapped or guarded, or the file ends before `mapOffset` now.
    private func nextMapped(_ file: RawFile) -> UnsafeBufferPointer<UInt8>? {
        if window == nil || mapOffset >= windowStart + windowLength {
            unmapWindow()
            let start = mapOffset - mapOffset % mapWindow
            let length = min(mapWindow, mapEnd - start)
            guard let w = file.map(offset: start, length: length) else { return nil }
            let slot = hw_map_guard_add(w, length)
            guard slot >= 0 else {
                munmap(UnsafeMutableRawPointer(mutating: w), length)
                return nil
            }
            (window, windowStart, windowLength, guardSlot) = (w, start, length, Int32(slot))
        }
        let at = mapOffset - windowStart
        var n = min(chunkSize, windowLength - at)
        let p = window.unsafelyUnwrapped + at
        // Every page touched before its bytes are handed out: a page wholly past the file's end
        // faults here, and the guard says where. The part of a page past the end reads as zeros
        // without a fault: a chunk that ends with a zero byte is checked against the file's size.
        hw_map_guard_touch(p, n)
        let fault = hw_map_guard_fault(guardSlot)
        if fault >= 0 || p.load(fromByteOffset: n - 1, as: UInt8.self) == 0 {
            var limit = (file.regularFileSize() ?? mapOffset) - mapOffset
            if fault >= 0 { limit = min(limit, fault - at) }
            if limit < n {
                // The file shrank: what is left of it here is handed out, then `read(2)` goes on.
                n = limit
                mapEnd = mapOffset + max(n, 0)
                if n <= 0 { return nil }
            }
        }
        mapOffset += n
        return UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n)
    }

    private func unmapWindow() {
        guard let w = window else { return }
        hw_map_guard_remove(guardSlot)
        munmap(UnsafeMutableRawPointer(mutating: w), windowLength)
        window = nil
        guardSlot = -1
    }
}
