#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a `GzipDecoder` on its own thread, handing inflated chunks over through a small ring of buffers.
///
/// `@unchecked Sendable`: the decoder is touched only by the producer thread once started; the ring
/// (`ready`, `free`, `held`, `done`, `cancelled`, `warning`) only under `monitor`; a buffer is written by
/// the producer only while it is in neither `ready` nor `held`, and read by the consumer only while held.
final class GzipPump: @unchecked Sendable {
    private let decoder: GzipDecoder
    private let buffers: [UnsafeMutableBufferPointer<UInt8>]
    private let monitor = Monitor()
    private var ready: [(index: Int, count: Int, rawBytes: Int64)] = []
    private var free: [Int] = []
    private var held: Int?
    private var done = false
    private var cancelled = false
    private var warning: InputWarning?
    private var finalRawBytes: Int64 = 0

    /// Starts inflating `decoder` into `bufferCount` buffers of `chunkSize` bytes; nil if no thread can be started.
    static func start(_ decoder: GzipDecoder, chunkSize: Int, bufferCount: Int = 3) -> GzipPump? {
        let pump = GzipPump(decoder, chunkSize: chunkSize, bufferCount: bufferCount)
        return startDetachedThread { pump.produce() } ? pump : nil
    }

    private init(_ decoder: GzipDecoder, chunkSize: Int, bufferCount: Int) {
        self.decoder = decoder
        buffers = (0..<bufferCount).map { _ in .allocate(capacity: chunkSize) }
        free = Array(buffers.indices)
        ready.reserveCapacity(bufferCount)
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    /// The next inflated chunk and the raw bytes read to make it, or nil at the end; the previous chunk is given back.
    func next() -> (chunk: UnsafeBufferPointer<UInt8>, rawBytes: Int64)? {
        monitor.lock()
        defer { monitor.unlock() }
        if let index = held {
            free.append(index)
            held = nil
            monitor.broadcast()
        }
        while ready.isEmpty && !done { monitor.wait() }
        guard !ready.isEmpty else { return nil }
        let item = ready.removeFirst()
        held = item.index
        return (UnsafeBufferPointer(rebasing: buffers[item.index][..<item.count]), item.rawBytes)
    }

    /// The damage warning and raw byte count, once `next()` has returned nil.
    var outcome: (warning: InputWarning?, rawBytes: Int64) {
        monitor.lock()
        defer { monitor.unlock() }
        return (warning, finalRawBytes)
    }

    /// Tells the producer to stop after its current chunk.
    func cancel() {
        monitor.lock()
        cancelled = true
        monitor.broadcast()
        monitor.unlock()
    }

    private func produce() {
        while true {
            monitor.lock()
            while free.isEmpty && !cancelled { monitor.wait() }
            if cancelled {
                monitor.unlock()
                return
            }
            let index = free.removeLast()
            monitor.unlock()

            let count = decoder.decode(into: buffers[index])

            monitor.lock()
            if count > 0 {
                ready.append((index, count, decoder.rawBytes))
            } else {
                free.append(index)
                done = true
                warning = decoder.warning
                finalRawBytes = decoder.rawBytes
            }
            monitor.broadcast()
            monitor.unlock()
            if count == 0 { return }
        }
    }
}
