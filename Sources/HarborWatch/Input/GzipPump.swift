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
/// (`ready`, `free`, `held`, `done`, `cancelled`, `warning`) only under `mutex`; a buffer is written by
/// the producer only while it is in neither `ready` nor `held`, and read by the consumer only while held.
final class GzipPump: @unchecked Sendable {
    private let decoder: GzipDecoder
    private let buffers: [UnsafeMutableBufferPointer<UInt8>]
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
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
        var thread = pthread_t()
        let context = Unmanaged.passRetained(pump).toOpaque()
        let status = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<GzipPump>.fromOpaque(context).takeRetainedValue().produce()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<GzipPump>.fromOpaque(context).release()
            return nil
        }
        pthread_detach(thread)
        return pump
    }

    private init(_ decoder: GzipDecoder, chunkSize: Int, bufferCount: Int) {
        self.decoder = decoder
        buffers = (0..<bufferCount).map { _ in .allocate(capacity: chunkSize) }
        free = Array(buffers.indices)
        ready.reserveCapacity(bufferCount)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
        for buffer in buffers { buffer.deallocate() }
    }

    /// The next inflated chunk and the raw bytes read to make it, or nil at the end; the previous chunk is given back.
    func next() -> (chunk: UnsafeBufferPointer<UInt8>, rawBytes: Int64)? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let index = held {
            free.append(index)
            held = nil
            pthread_cond_broadcast(changed)
        }
        while ready.isEmpty && !done { pthread_cond_wait(changed, mutex) }
        guard !ready.isEmpty else { return nil }
        let item = ready.removeFirst()
        held = item.index
        return (UnsafeBufferPointer(rebasing: buffers[item.index][..<item.count]), item.rawBytes)
    }

    /// The damage warning and raw byte count, once `next()` has returned nil.
    var outcome: (warning: InputWarning?, rawBytes: Int64) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return (warning, finalRawBytes)
    }

    /// Tells the producer to stop after its current chunk.
    func cancel() {
        pthread_mutex_lock(mutex)
        cancelled = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    private func produce() {
        while true {
            pthread_mutex_lock(mutex)
            while free.isEmpty && !cancelled { pthread_cond_wait(changed, mutex) }
            if cancelled {
                pthread_mutex_unlock(mutex)
                return
            }
            let index = free.removeLast()
            pthread_mutex_unlock(mutex)

            let count = decoder.decode(into: buffers[index])

            pthread_mutex_lock(mutex)
            if count > 0 {
                ready.append((index, count, decoder.rawBytes))
            } else {
                free.append(index)
                done = true
                warning = decoder.warning
                finalRawBytes = decoder.rawBytes
            }
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
            if count == 0 { return }
        }
    }
}
