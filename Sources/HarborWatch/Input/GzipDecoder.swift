import CZlib

/// Inflates a gzip file (one or more concatenated members) from a `RawFile`.
///
/// Damage (a truncated file, corrupt deflate data, a bad checksum, trailing bytes that are not gzip)
/// ends the output after the last byte inflated and sets `warning` with the compressed offset.
final class GzipDecoder {
    private let file: RawFile
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let stream: UnsafeMutablePointer<z_stream>
    /// Raw offset of `input[0]` in the file.
    private var inputOffset: Int64 = 0
    /// Raw bytes read from the file so far.
    private(set) var rawBytes: Int64 = 0
    private var endOfInput = false
    private var isFinished = false
    /// True after a member ended: the next byte must start a new member.
    private var betweenMembers = false
    /// Members inflated to their end so far.
    private var membersDone = 0
    /// Raw offset where the current member starts.
    private var memberStart: Int64 = 0
    private var zlibReady = false
    /// Set when the data was damaged; the output stops there.
    private(set) var warning: InputWarning?

    /// A decoder over `file`, whose first bytes were already read into `initial`.
    init(file: RawFile, initial: UnsafeBufferPointer<UInt8>, inputCapacity: Int) {
        self.file = file
        input = .allocate(capacity: max(inputCapacity, initial.count))
        _ = input.initialize(from: initial)
        rawBytes = Int64(initial.count)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        stream.pointee.next_in = input.baseAddress
        stream.pointee.avail_in = UInt32(initial.count)
        // windowBits 15 + 16: gzip wrapper only (the caller saw the magic bytes).
        let status = inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        zlibReady = status == Z_OK
        if !zlibReady {
            isFinished = true
            warning = InputWarning(file: file.name, byteOffset: 0, message: "cannot start zlib (status \(status))")
        }
    }

    deinit {
        if zlibReady { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    /// Fills `out` with inflated bytes; returns how many, 0 once the data (or the undamaged part) is over.
    func decode(into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard !isFinished, let base = out.baseAddress else { return 0 }
        stream.pointee.next_out = base
        stream.pointee.avail_out = UInt32(out.count)
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 {
                if endOfInput {
                    if !betweenMembers {
                        stop(at: rawBytes, "gzip data ends early (the file is truncated); \(rawBytes) bytes read")
                    }
                    isFinished = true
                    break
                }
                refill()
                continue
            }
            if betweenMembers {
                inflateReset(stream)
                betweenMembers = false
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                betweenMembers = true
                membersDone += 1
                memberStart = currentOffset
            default:
                stop(at: currentOffset, damageMessage(status))
            }
            if isFinished { break }
        }
        return out.count - Int(stream.pointee.avail_out)
    }

    /// Raw offset of the next byte inflate would read.
    private var currentOffset: Int64 {
        guard let next = stream.pointee.next_in, let start = input.baseAddress else { return rawBytes }
        return inputOffset + Int64(next - start)
    }

    private func refill() {
        guard let start = input.baseAddress else { return }
        let n = file.read(into: start, count: input.count)
        inputOffset = rawBytes
        stream.pointee.next_in = start
        if n > 0 {
            rawBytes += Int64(n)
            stream.pointee.avail_in = UInt32(n)
        } else {
            stream.pointee.avail_in = 0
            endOfInput = true
            if n < 0, let code = file.lastError {
                stop(at: rawBytes, "read failed: \(systemMessage(code))")
            }
        }
    }

    private func damageMessage(_ status: Int32) -> String {
        let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
        if membersDone > 0, stream.pointee.total_out == 0 {
            return "bytes after the end of the gzip data are not gzip (\(detail)); ignored"
        }
        if detail.hasSuffix("check"), detail != "incorrect header check" {
            // Deflate data often decodes even when damaged; only the member's trailer tells.
            return "gzip data is damaged (\(detail)): some of the lines inflated from the member that starts "
                + "at byte \(memberStart) are wrong; the rest of the file is skipped"
        }
        return "gzip data is damaged (\(detail)); the rest of the file is skipped"
    }

    private func stop(at offset: Int64, _ message: String) {
        guard !isFinished else { return }
        isFinished = true
        warning = InputWarning(file: file.name, byteOffset: offset, message: message)
    }
}
