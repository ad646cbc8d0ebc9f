#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splits a stream of byte chunks into lines, however the chunks cut them.
///
/// Lines end at `\n`; one `\r` before it is removed. A line longer than `maxLineLength` bytes is
/// emitted once, cut to that length and flagged `.truncated`; the rest of it is dropped. Lines that
/// lie inside one chunk are handed out in place (no copy); only a line that straddles chunks is
/// gathered in a carry buffer, which is reused. Emitted buffers are valid only during the callback.
public struct LineFramer {
    /// The longest line emitted whole, in bytes (without the newline and `\r`).
    public let maxLineLength: Int
    /// The start of the line in progress (at most `maxLineLength` bytes of it).
    private var carry: [UInt8] = []
    /// Bytes of the line in progress seen so far, kept or not.
    private var pendingLength = 0
    /// The last byte of the line in progress.
    private var pendingLast: UInt8 = 0

    /// Bytes of the unfinished line held for the next call (the input's offset minus this is the end of the last line).
    public var pendingBytes: Int { pendingLength }

    /// A framer that cuts lines longer than `maxLineLength` bytes.
    public init(maxLineLength: Int = 65536) {
        precondition(maxLineLength > 0, "maxLineLength must be positive")
        self.maxLineLength = maxLineLength
        carry.reserveCapacity(min(maxLineLength, 1 << 16))
    }

    /// Emits every line that `bytes` completes; keeps the unfinished tail for the next call.
    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, _ emit: (UnsafeBufferPointer<UInt8>, LineFlags) -> Void) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let end = base + bytes.count
        var start = base
        if pendingLength > 0 {
            guard let newline = findNewline(start, end) else {
                append(start, end)
                return
            }
            append(start, newline)
            emitPending([], emit)
            start = newline + 1
        }
        while start < end, let newline = findNewline(start, end) {
            var length = newline - start
            if length > 0 && newline[-1] == 0x0D { length -= 1 }
            if length > maxLineLength {
                emit(UnsafeBufferPointer(start: start, count: maxLineLength), .truncated)
            } else {
                emit(UnsafeBufferPointer(start: start, count: length), [])
            }
            start = newline + 1
        }
        if start < end { append(start, end) }
    }

    /// Emits the last line if the data did not end with a newline (flagged `.unterminated`).
    public mutating func finish(_ emit: (UnsafeBufferPointer<UInt8>, LineFlags) -> Void) {
        if pendingLength > 0 { emitPending(.unterminated, emit) }
    }

    private func findNewline(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        guard let found = memchr(start, 0x0A, end - start) else { return nil }
        return UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
    }

    /// Adds `start..<end` to the line in progress, keeping at most `maxLineLength` bytes.
    private mutating func append(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) {
        let count = end - start
        guard count > 0 else { return }
        let room = maxLineLength - carry.count
        if room > 0 {
            carry.append(contentsOf: UnsafeBufferPointer(start: start, count: min(room, count)))
        }
        pendingLength += count
        pendingLast = end[-1]
    }

    private mutating func emitPending(_ flags: LineFlags, _ emit: (UnsafeBufferPointer<UInt8>, LineFlags) -> Void) {
        var flags = flags
        let hasCR = pendingLast == 0x0D
        let contentLength = pendingLength - (hasCR ? 1 : 0)
        if contentLength > maxLineLength {
            flags.insert(.truncated)
        } else if hasCR && contentLength < carry.count {
            carry.removeLast()
        }
        carry.withUnsafeBufferPointer { emit($0, flags) }
        carry.removeAll(keepingCapacity: true)
        pendingLength = 0
        pendingLast = 0
    }
}
