#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns repeated byte strings (clients, user agents, repositories) into shared `String`s.
///
/// A lookup hashes the bytes and compares them with the stored copy, so a value seen before
/// costs no allocation. The table is bounded: when it fills up it starts afresh, which keeps
/// memory flat on inputs with millions of distinct values.
public struct StringInterner {
    private struct Entry {
        var hash: UInt64
        var start: Int32
        var length: Int32
    }

    private var entries: [Entry] = []
    private var values: [String] = []
    private var arena: [UInt8] = []
    private var slots: [Int32]
    /// The entry last found for each quick key (length, first and last 8 bytes): a value that
    /// comes back soon is found with one `memcmp`, without hashing all its bytes (a user agent is
    /// 100–200). Direct-mapped, one entry per key: values that share a quick key only replace one
    /// another here and are then found the usual way (after one compare more), so crafted lines
    /// sharing a quick key cost no more than a miss each, never a longer search.
    private var recent: [Int32]
    /// The last value seen in each of `lastSlots` slots among those the table does not keep
    /// (`transient`: digests, upload ids): their bytes (`lastStride` a slot), keys (length and how
    /// the string was made from the bytes) and strings.
    private var lastBytes: [UInt8]
    private var lastKeys: [UInt16]
    private var lastValues: [String]
    private let mask: Int
    private let capacity: Int
    private let arenaLimit: Int
    /// The source's last `$time_local` date and zone (kept here because the parsers get the
    /// source's interner with every line: one per source, like it).
    var timeLocal = Timestamps.TimeLocalMemo()

    /// A table holding up to `capacity` distinct strings at a time. There is one per source;
    /// 16,384 filled up with clients and digests and held 3 MiB each at the peak, and 4,096 is as
    /// fast: the values that repeat come back within a few thousand lines.
    public init(capacity: Int = 4096) {
        self.capacity = capacity
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        recent = Array(repeating: -1, count: Self.recentSize)
        // Not zeroed (a slot's bytes are read only after its key says they were written): the
        // pages of a source with few digests are never touched, and take no memory.
        lastBytes = [UInt8](unsafeUninitializedCapacity: Self.lastSlots * Self.lastStride) { _, n in
            n = Self.lastSlots * Self.lastStride
        }
        lastKeys = Array(repeating: 0, count: Self.lastSlots)
        lastValues = Array(repeating: "", count: Self.lastSlots)
        mask = size - 1
        arenaLimit = capacity * 128
        entries.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    /// The shared string for `bytes[r]`; strings longer than `maxLength` are not kept.
    @inline(__always)
    public mutating func intern(_ bytes: LineBytes, _ r: Range<Int>, maxLength: Int = 512) -> String {
        intern(bytes, r, maxLength: maxLength) { $0.string($1) }
    }

    /// The shared result of `make(bytes, r)`, computed once per distinct byte string (e.g. decoding escapes).
    @inline(__always)
    public mutating func intern(
        _ bytes: LineBytes, _ r: Range<Int>, maxLength: Int = 512, _ make: (LineBytes, Range<Int>) -> String
    ) -> String {
        let n = r.count
        if n == 0 { return "" }
        if n > maxLength { return make(bytes, r) }
        let src = bytes.baseAddress! + r.lowerBound
        var quick = -1
        if n >= 8 {
            // First and last 8 bytes (overlapping below 16): the quick key, and for values up
            // to 16 bytes (clients, most repositories) the whole comparison without `memcmp`.
            let raw = UnsafeRawPointer(src)
            let first = raw.loadUnaligned(as: UInt64.self)
            let last = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            let q = (first &* 0x9E37_79B9_7F4A_7C15) ^ (last &+ UInt64(n)) &* 0xBF58_476D_1CE4_E5B9
            quick = Int(truncatingIfNeeded: q >> 55)  // recentSize = 512
            let idx = Int(recent[quick])
            if idx >= 0, Int(entries[idx].length) == n {
                let start = Int(entries[idx].start)
                let same = arena.withUnsafeBufferPointer { a -> Bool in
                    let stored = UnsafeRawPointer(a.baseAddress! + start)
                    if n <= 16 {
                        return stored.loadUnaligned(as: UInt64.self) == first
                            && stored.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == last
                    }
                    return memcmp(stored, src, n) == 0
                }
                if same { return values[idx] }
            }
        }
        let h = Self.hash(bytes, r)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let idx = Int(slots[slot])
            if idx < 0 { break }
            let entry = entries[idx]
            if entry.hash == h, Int(entry.length) == n {
                let same = arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(entry.start), src, n) == 0 }
                if same {
                    if quick >= 0 { recent[quick] = Int32(idx) }
                    return values[idx]
                }
            }
            slot = (slot + 1) & mask
        }
        if entries.count >= capacity || arena.count + n > arenaLimit {
            reset()
            return intern(bytes, r, maxLength: maxLength, make)
        }
        let s = make(bytes, r)
        if quick >= 0 { recent[quick] = Int32(entries.count) }
        slots[slot] = Int32(entries.count)
        entries.append(Entry(hash: h, start: Int32(arena.count), length: Int32(n)))
        arena.append(contentsOf: UnsafeBufferPointer(start: src, count: n))
        values.append(s)
        return s
    }

    /// The string of a manifest or blob reference: a tag through the table, a digest
    /// (`sha256:…`, 71 bytes; `sha512:…`, 135) through `transient`. A digest comes back on a few
    /// lines of one push or pull, and in the table the digests filled it up and made it start
    /// afresh, pushing out the values that do repeat (clients, agents, repositories).
    @inline(__always)
    public mutating func reference(_ bytes: LineBytes, _ r: Range<Int>) -> String {
        if r.count > 64 { return transient(bytes, r) }
        return intern(bytes, r, maxLength: 64)
    }

    /// The string of a value that comes back within a few lines at most and is not worth a place
    /// in the table (a digest, an upload id): the one made for the same bytes when they were last
    /// seen, if no other value took its slot since; else `make(bytes, r)`, kept in the slot.
    ///
    /// A direct-mapped cache of 1,024 slots, found by a value's length and last 8 bytes (hex
    /// digits, in digests and upload ids). The HEAD, PUT and GET of a blob in one push, or a
    /// manifest's digest in the proxy's and the registry's lines, share one string, made and
    /// freed once: on Harbor's proxy log 44 % of these values were found (a String made and freed
    /// per digest was 5 % of `parse`'s instructions). Values that share a slot only replace one
    /// another (a miss each, as without the cache), so crafted lines cost no more than unique ones.
    @inline(__always)
    public mutating func transient(_ bytes: LineBytes, _ r: Range<Int>) -> String {
        transient(bytes, r, kind: 0) { $0.string($1) }
    }

    /// `transient` of the value with its `%XX` escapes decoded (a query's `digest=`).
    @inline(__always)
    public mutating func transientPercentDecoded(_ bytes: LineBytes, _ r: Range<Int>) -> String {
        transient(bytes, r, kind: 1) { Escapes.percent($0, $1) }
    }

    /// `transient`, with `make` the way `kind` says the string is made from the bytes: a slot's
    /// value is found only for the same bytes and the same `kind`.
    @inline(__always)
    private mutating func transient(
        _ bytes: LineBytes, _ r: Range<Int>, kind: UInt16, _ make: (LineBytes, Range<Int>) -> String
    ) -> String {
        let n = r.count
        if n < 8 || n > Self.lastStride { return make(bytes, r) }
        let src = bytes.baseAddress! + r.lowerBound
        let last = UnsafeRawPointer(src).loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        let slot = Int(truncatingIfNeeded: ((last ^ UInt64(n)) &* 0x9E37_79B9_7F4A_7C15) >> 54)  // lastSlots = 1024
        let at = slot &* Self.lastStride
        let key = UInt16(n) | kind << 8
        if lastKeys[slot] == key, lastBytes.withUnsafeBufferPointer({ memcmp($0.baseAddress! + at, src, n) == 0 }) {
            return lastValues[slot]
        }
        let s = make(bytes, r)
        lastKeys[slot] = key
        lastBytes.withUnsafeMutableBufferPointer { _ = memcpy($0.baseAddress! + at, src, n) }
        lastValues[slot] = s
        return s
    }

    /// How many strings the table holds.
    public var count: Int { entries.count }

    private static let recentSize = 512
    private static let lastSlots = 1024
    /// A `sha512:` digest's 135 bytes fit.
    private static let lastStride = 136

    private mutating func reset() {
        for i in slots.indices { slots[i] = -1 }
        for i in recent.indices { recent[i] = -1 }
        entries.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    static func hash(_ bytes: LineBytes, _ r: Range<Int>) -> UInt64 {
        var high: UInt64 = 0
        return hash(bytes, r, high: &high)
    }

    /// `hash(bytes, r)`, and the OR of all the bytes into `high` (a byte with its top bit set
    /// there means they are not ASCII), read in the same pass.
    @inline(__always)
    static func hash(_ bytes: LineBytes, _ r: Range<Int>, high: inout UInt64) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(r.count)
        var i = r.lowerBound
        let raw = UnsafeRawPointer(bytes.baseAddress!)
        while i + 8 <= r.upperBound {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            high |= w
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        // The last 0–7 bytes as the byte loop would have put them together (little-endian, the
        // first in the low byte), read with one load where the buffer allows it.
        var tail: UInt64 = 0
        let left = r.upperBound - i
        if left > 0 {
            if r.upperBound >= 8 {
                tail = raw.loadUnaligned(fromByteOffset: r.upperBound - 8, as: UInt64.self) >> UInt64(8 * (8 - left))
            } else {
                var shift: UInt64 = 0
                while i < r.upperBound { tail |= UInt64(bytes[i]) << shift; shift += 8; i += 1 }
            }
        }
        high |= tail
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }
}
