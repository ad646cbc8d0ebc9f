/// Decoders for the escapes different writers put in log lines.
enum Escapes {
    /// nginx `escape=default`: `\xHH` for `"`, `\` and bytes outside 0x20…0x7E. Other bytes kept.
    static func nginx(_ bytes: LineBytes, _ r: Range<Int>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(r.count)
        var i = r.lowerBound
        while i < r.upperBound {
            let b = bytes[i]
            if b == ASCII.backslash, i + 3 < r.upperBound, bytes[i + 1] == ASCII.x,
                ASCII.isHex(bytes[i + 2]), ASCII.isHex(bytes[i + 3])
            {
                out.append(ASCII.hexValue(bytes[i + 2]) << 4 | ASCII.hexValue(bytes[i + 3]))
                i += 4
            } else {
                out.append(b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Go `%q`-style escapes of gorilla's access log: `\"`, `\\`, `\xHH`, `\t`, `\n`, `\r`.
    static func backslash(_ bytes: LineBytes, _ r: Range<Int>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(r.count)
        var i = r.lowerBound
        while i < r.upperBound {
            let b = bytes[i]
            guard b == ASCII.backslash, i + 1 < r.upperBound else { out.append(b); i += 1; continue }
            let n = bytes[i + 1]
            switch n {
            case ASCII.x where i + 3 < r.upperBound && ASCII.isHex(bytes[i + 2]) && ASCII.isHex(bytes[i + 3]):
                out.append(ASCII.hexValue(bytes[i + 2]) << 4 | ASCII.hexValue(bytes[i + 3])); i += 4
            case 0x74: out.append(ASCII.tab); i += 2
            case 0x6E: out.append(0x0A); i += 2
            case 0x72: out.append(0x0D); i += 2
            default: out.append(n); i += 2
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// rsyslog's control-character escapes: `#` and three octal digits (`#011` is a tab).
    static func rsyslog(_ bytes: LineBytes, _ r: Range<Int>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(r.count)
        var i = r.lowerBound
        while i < r.upperBound {
            let b = bytes[i]
            if b == ASCII.hash, i + 3 < r.upperBound, isOctal(bytes[i + 1]), isOctal(bytes[i + 2]), isOctal(bytes[i + 3]) {
                let v = Int(bytes[i + 1] &- ASCII.zero) * 64 + Int(bytes[i + 2] &- ASCII.zero) * 8 + Int(bytes[i + 3] &- ASCII.zero)
                if v < 0x20 || v == 0x7F {
                    out.append(UInt8(v)); i += 4; continue
                }
            }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `r` may hold an rsyslog escape.
    static func mayHaveRsyslogEscape(_ bytes: LineBytes, _ r: Range<Int>) -> Bool {
        bytes.find(ASCII.hash, from: r.lowerBound, to: r.upperBound) != nil
    }

    /// Percent-decoding of a query value (`sha256%3Aabc` → `sha256:abc`, `+` kept).
    static func percent(_ bytes: LineBytes, _ r: Range<Int>) -> String {
        guard bytes.find(ASCII.percent, from: r.lowerBound, to: r.upperBound) != nil else { return bytes.string(r) }
        return withPercentDecoded(bytes, r) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the bytes of `r`, `%XX` escapes decoded, in a buffer on the stack (up to
    /// 1 KiB; an Array per token request's scope before, allocated and freed).
    @inline(__always)
    static func withPercentDecoded<T>(_ bytes: LineBytes, _ r: Range<Int>, _ body: (LineBytes) -> T) -> T {
        if r.count > 1024 { return percentBytes(bytes, r).withUnsafeBufferPointer(body) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, r.count)) { out in
            let o = out.baseAddress!
            var n = 0
            var i = r.lowerBound
            let end = r.upperBound
            while i < end {
                let c = bytes[i]
                if c == ASCII.percent, i + 2 < end, ASCII.isHex(bytes[i + 1]), ASCII.isHex(bytes[i + 2]) {
                    o[n] = ASCII.hexValue(bytes[i + 1]) << 4 | ASCII.hexValue(bytes[i + 2])
                    i += 3
                } else {
                    o[n] = c
                    i += 1
                }
                n += 1
            }
            return body(LineBytes(start: o, count: n))
        }
    }

    /// The bytes of `r` with `%XX` escapes decoded.
    static func percentBytes(_ bytes: LineBytes, _ r: Range<Int>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(r.count)
        var i = r.lowerBound
        while i < r.upperBound {
            let b = bytes[i]
            if b == ASCII.percent, i + 2 < r.upperBound, ASCII.isHex(bytes[i + 1]), ASCII.isHex(bytes[i + 2]) {
                out.append(ASCII.hexValue(bytes[i + 1]) << 4 | ASCII.hexValue(bytes[i + 2])); i += 3
            } else {
                out.append(b); i += 1
            }
        }
        return out
    }

    @inline(__always) private static func isOctal(_ b: UInt8) -> Bool { b &- ASCII.zero < 8 }
}
