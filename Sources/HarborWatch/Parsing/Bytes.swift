#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A line of input: bytes without the newline, valid only while the parser runs.
public typealias LineBytes = UnsafeBufferPointer<UInt8>

/// ASCII byte constants used by the parsers.
enum ASCII {
    static let space: UInt8 = 0x20, tab: UInt8 = 0x09, quote: UInt8 = 0x22, hash: UInt8 = 0x23
    static let percent: UInt8 = 0x25, apostrophe: UInt8 = 0x27, comma: UInt8 = 0x2C, dash: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E, slash: UInt8 = 0x2F, zero: UInt8 = 0x30, nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A, equals: UInt8 = 0x3D, question: UInt8 = 0x3F, lbracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C, rbracket: UInt8 = 0x5D, plus: UInt8 = 0x2B, lt: UInt8 = 0x3C
    static let gt: UInt8 = 0x3E, ampersand: UInt8 = 0x26, star: UInt8 = 0x2A, x: UInt8 = 0x78
    static let T: UInt8 = 0x54, Z: UInt8 = 0x5A, z: UInt8 = 0x7A, A: UInt8 = 0x41, a: UInt8 = 0x61

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- zero < 10 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b &- A < 26 }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b &- a < 26 }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- a < 26 }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- a < 6 }
    @inline(__always) static func hexValue(_ b: UInt8) -> UInt8 { isDigit(b) ? b &- zero : (b | 0x20) &- a &+ 10 }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Index of the first `byte` in `from..<to`, or nil.
    @inline(__always)
    func find(_ byte: UInt8, from: Int, to: Int) -> Int? {
        guard from < to, let base = baseAddress else { return nil }
        guard let p = memchr(base + from, Int32(byte), to - from) else { return nil }
        return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    /// Index of the last `byte` in `from..<to`, or nil.
    @inline(__always)
    func findLast(_ byte: UInt8, from: Int, to: Int) -> Int? {
        // Eight bytes at a time from the end (a digest reference puts 71 bytes after a path's
        // last `/`).
        guard from < to, let base = baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        var i = to
        while i - 8 >= from {
            let zero = ByteWord.equal(raw.loadUnaligned(fromByteOffset: i - 8, as: UInt64.self), byte)
            if zero != 0 { return i - 8 + (63 - zero.leadingZeroBitCount) / 8 }
            i -= 8
        }
        while i > from {
            i -= 1
            if self[i] == byte { return i }
        }
        return nil
    }

    /// Index of the first occurrence of `needle` in `from..<to`, or nil.
    func find(_ needle: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let n = needle.count
        guard n > 0 else { return from }
        guard let first = needle.first else { return nil }
        var i = from
        while i + n <= to, let j = find(first, from: i, to: to - n + 1) {
            var k = 1
            while k < n && self[j + k] == needle[k] { k += 1 }
            if k == n { return j }
            i = j + 1
        }
        return nil
    }

    /// True when the bytes at `at` equal `literal`.
    @inline(__always)
    func matches(_ literal: StaticString, at: Int) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard at >= 0, at + n <= count else { return false }
        // Words, not bytes (`http.request.` was 13 compares and branches): 8 bytes at a time and
        // the last 8 overlapping, or the first and last 4. `n` is a constant where this is inlined.
        let p = UnsafeRawPointer(literal.utf8Start)
        let q = UnsafeRawPointer(baseAddress!) + at
        if n >= 8 {
            var k = 0
            while k + 8 <= n {
                if p.loadUnaligned(fromByteOffset: k, as: UInt64.self) != q.loadUnaligned(fromByteOffset: k, as: UInt64.self) {
                    return false
                }
                k += 8
            }
            return k == n
                || p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == q.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        if n >= 4 {
            return p.loadUnaligned(as: UInt32.self) == q.loadUnaligned(as: UInt32.self)
                && p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == q.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        let b = UnsafePointer<UInt8>(literal.utf8Start)
        for k in 0..<n where self[at + k] != b[k] { return false }
        return true
    }

    /// True when the bytes at `at` equal `literal`.
    @inline(__always)
    func matches(_ literal: [UInt8], at: Int) -> Bool {
        let n = literal.count
        guard at >= 0, at + n <= count else { return false }
        for k in 0..<n where self[at + k] != literal[k] { return false }
        return true
    }

    /// The bytes `r` as a String (invalid UTF-8 repaired).
    @inline(__always)
    func string(_ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[r]), as: UTF8.self)
    }

    /// A non-negative decimal integer in `r`, or nil.
    @inline(__always)
    func int(_ r: Range<Int>) -> Int? {
        guard !r.isEmpty, r.count <= 18 else { return nil }
        var v = 0
        for i in r {
            let d = self[i] &- ASCII.zero
            guard d < 10 else { return nil }
            v = v &* 10 &+ Int(d)
        }
        return v
    }

    /// A decimal number like `0.123` or `12` in `r`, or nil.
    @inline(__always)
    func decimal(_ r: Range<Int>) -> Double? {
        guard !r.isEmpty, let p = baseAddress else { return nil }
        let end = r.upperBound
        // nginx's times (`0.003`, `12.345`): three decimals, read without the loop's tests per
        // byte; the same sum as below.
        if r.count >= 5, r.count <= 8, p[end - 4] == ASCII.dot {
            let a = p[end - 3] &- ASCII.zero, b = p[end - 2] &- ASCII.zero, c = p[end - 1] &- ASCII.zero
            if a < 10, b < 10, c < 10 {
                var whole = 0, i = r.lowerBound
                while i < end - 4 {
                    let d = p[i] &- ASCII.zero
                    guard d < 10 else { break }
                    whole = whole &* 10 &+ Int(d); i &+= 1
                }
                if i == end - 4 {
                    return Double(whole) + Double(Int(a) &* 100 &+ Int(b) &* 10 &+ Int(c)) / Double(1000)
                }
            }
        }
        var whole = 0, frac = 0, scale = 1, i = r.lowerBound, digits = 0
        while i < end {
            let d = p[i] &- ASCII.zero
            guard d < 10 else { break }
            whole = whole &* 10 &+ Int(d); i &+= 1; digits &+= 1
        }
        if i < end, p[i] == ASCII.dot {
            i &+= 1
            while i < end {
                let d = p[i] &- ASCII.zero
                guard d < 10 else { break }
                if scale < 1_000_000_000_000 { frac = frac &* 10 &+ Int(d); scale &*= 10 }
                i &+= 1; digits &+= 1
            }
        }
        guard i == end, digits > 0 else { return nil }
        return Double(whole) + Double(frac) / Double(scale)
    }

    /// `r` with spaces trimmed on both sides.
    func trimmed(_ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi, self[lo] == ASCII.space || self[lo] == ASCII.tab { lo += 1 }
        while hi > lo, self[hi - 1] == ASCII.space || self[hi - 1] == ASCII.tab { hi -= 1 }
        return lo..<hi
    }

    /// True when `r` holds `\` (an escape the caller may decode).
    @inline(__always)
    func containsBackslash(_ r: Range<Int>) -> Bool { find(ASCII.backslash, from: r.lowerBound, to: r.upperBound) != nil }
}

extension String {
    /// The two words of the value: equal words are the same text (the same storage and count, or
    /// the same small string); different words may still be equal text.
    @inline(__always)
    var words: (UInt64, UInt64) { unsafeBitCast(self, to: (UInt64, UInt64).self) }

    /// True when `self` and `other` are the same value word for word (`words`): a compare of two
    /// words, never of the text.
    @inline(__always)
    func isSameValue(as other: String) -> Bool {
        let x = words, y = other.words
        return x.0 == y.0 && x.1 == y.1
    }

    /// Byte-wise prefix test, for ASCII prefixes of log values (`harbor-registry-client`,
    /// `sha256:`): no Character comparison, which `hasPrefix` pays for on every call.
    @inline(__always)
    func hasASCIIPrefix(_ p: StaticString) -> Bool {
        let n = p.utf8CodeUnitCount
        if let same = utf8.withContiguousStorageIfAvailable({ b in b.count >= n && memcmp(b.baseAddress!, p.utf8Start, n) == 0 }) {
            return same
        }
        return utf8.starts(with: UnsafeBufferPointer(start: p.utf8Start, count: n))
    }
}

extension StringProtocol {
    /// The first occurrence of the ASCII `needle`, found byte by byte: Foundation's `range(of:)`
    /// goes through CFString and cost 7 µs on a core line.
    func firstRange(ofASCII needle: StaticString) -> Range<Index>? {
        let n = needle.utf8CodeUnitCount
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: n)
        let found: Int?
        if let offset = utf8.withContiguousStorageIfAvailable({ $0.find(pattern, from: 0, to: $0.count) }) {
            found = offset
        } else {  // not contiguous (bridged): copy the bytes first
            found = Array(utf8).withUnsafeBufferPointer { $0.find(pattern, from: 0, to: $0.count) }
        }
        guard n > 0, let found else { return nil }
        let lo = utf8.index(utf8.startIndex, offsetBy: found)
        return lo..<utf8.index(lo, offsetBy: n)
    }
}

/// Tests of eight bytes at once, in one 64-bit word (little-endian: the first byte is the low one).
/// Each gives 0x80 in every byte that passes and nothing elsewhere, exactly: no borrow or carry
/// reaches another byte.
enum ByteWord {
    /// The bytes of `w` that are zero: `~(((w & 0x7F…) + 0x7F…) | w | 0x7F…)`.
    @inline(__always)
    static func zero(_ w: UInt64) -> UInt64 {
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((w & low) &+ low) | w | low)
    }

    /// The bytes of `w` equal to `byte`.
    @inline(__always)
    static func equal(_ w: UInt64, _ byte: UInt8) -> UInt64 { zero(w ^ (UInt64(byte) &* 0x0101_0101_0101_0101)) }
}
