/// Turns repeated byte strings (clients, user agents, repositories) into shared `String`s.
///
/// A lookup hashes the bytes and compares them with the stored copy, so a value seen before
/// costs no allocation. The table is bounded: when it fills up it starts afresh, which keeps
/// memory flat on inputs with millions of distinct values.
public struct StringInterner {
    private var keys: [[UInt8]]
    private var values: [String]
    private var hashes: [UInt64]
    private var slots: [Int32]
    private var mask: Int
    private let capacity: Int

    /// A table holding up to `capacity` distinct strings at a time.
    public init(capacity: Int = 16_384) {
        self.capacity = capacity
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        keys = []; values = []; hashes = []
        keys.reserveCapacity(capacity); values.reserveCapacity(capacity); hashes.reserveCapacity(capacity)
    }

    /// The shared string for `bytes[r]`; strings longer than `maxLength` are not kept.
    public mutating func intern(_ bytes: LineBytes, _ r: Range<Int>, maxLength: Int = 512) -> String {
        let n = r.count
        if n == 0 { return "" }
        if n > maxLength { return bytes.string(r) }
        let h = Self.hash(bytes, r)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let idx = Int(slots[slot])
            if idx < 0 { break }
            if hashes[idx] == h, keys[idx].count == n, Self.equal(keys[idx], bytes, r) { return values[idx] }
            slot = (slot + 1) & mask
        }
        if keys.count >= capacity {
            reset()
            return intern(bytes, r, maxLength: maxLength)
        }
        let s = bytes.string(r)
        slots[slot] = Int32(keys.count)
        keys.append(Array(UnsafeBufferPointer(rebasing: bytes[r])))
        values.append(s)
        hashes.append(h)
        return s
    }

    /// How many strings the table holds.
    public var count: Int { keys.count }

    private mutating func reset() {
        for i in slots.indices { slots[i] = -1 }
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private static func equal(_ key: [UInt8], _ bytes: LineBytes, _ r: Range<Int>) -> Bool {
        key.withUnsafeBufferPointer { k in
            memcmp(k.baseAddress!, bytes.baseAddress! + r.lowerBound, r.count) == 0
        }
    }

    @inline(__always)
    static func hash(_ bytes: LineBytes, _ r: Range<Int>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(r.count)
        var i = r.lowerBound
        let raw = UnsafeRawPointer(bytes.baseAddress!)
        while i + 8 <= r.upperBound {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < r.upperBound { tail |= UInt64(bytes[i]) << shift; shift += 8; i += 1 }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
