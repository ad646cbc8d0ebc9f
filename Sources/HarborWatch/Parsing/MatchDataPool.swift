import CPCRE2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reusable PCRE2 match data blocks for one pattern, so a match allocates nothing in the common case.
///
/// `@unchecked Sendable`: `free` and `hits` are touched only while holding `mutex`; a block handed out
/// by `acquire()` belongs to one caller until `release(_:)`.
final class MatchDataPool: @unchecked Sendable {
    private let code: OpaquePointer
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var free: [OpaquePointer] = []
    private var hits = 0

    /// A pool of match data sized for `code`'s groups.
    init(code: OpaquePointer) {
        self.code = code
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        for data in free { pcre2_match_data_free_8(data) }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// A match data block for the caller's exclusive use until `release(_:)`.
    func acquire() -> OpaquePointer {
        pthread_mutex_lock(mutex)
        let reused = free.popLast()
        pthread_mutex_unlock(mutex)
        if let reused { return reused }
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else {
            fatalError("PCRE2 could not allocate match data (out of memory)")
        }
        return data
    }

    /// Gives a block back to the pool.
    func release(_ data: OpaquePointer) {
        pthread_mutex_lock(mutex)
        free.append(data)
        pthread_mutex_unlock(mutex)
    }

    /// Records one match abandoned at a limit.
    func countLimitHit() {
        pthread_mutex_lock(mutex)
        hits += 1
        pthread_mutex_unlock(mutex)
    }

    /// Matches abandoned at a limit so far.
    var limitHits: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return hits
    }
}
