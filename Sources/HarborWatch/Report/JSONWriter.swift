/// Appends JSON to a byte buffer: escaped strings, numbers, objects with `key: value` members.
///
/// Log content is untrusted: every string is escaped (`"`, `\`, control bytes, and U+2028/U+2029
/// for consumers that embed JSON in scripts).
public struct JSONWriter {
    /// The bytes written so far.
    public var bytes: [UInt8] = []
    private var needsComma: [Bool] = []

    /// Where full chunks go (nil: `bytes` keeps everything).
    private let sink: (([UInt8]) -> Void)?
    private static let chunk = 64 << 10

    /// An empty writer.
    public init() {
        sink = nil
        bytes.reserveCapacity(1024)
    }

    /// A writer that hands its bytes to `sink` in chunks of about 64 KiB as it goes (call
    /// `finish()` for the rest): a large document is never whole in memory.
    public init(streamingTo sink: @escaping ([UInt8]) -> Void) {
        self.sink = sink
        bytes.reserveCapacity(Self.chunk + 4096)
    }

    /// Hands what is left to the sink.
    public mutating func finish() {
        guard let sink, !bytes.isEmpty else { return }
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// `{`
    public mutating func beginObject() { separator(); bytes.append(0x7B); needsComma.append(false) }
    /// `}`
    public mutating func endObject() { bytes.append(0x7D); needsComma.removeLast(); drain() }
    /// `[`
    public mutating func beginArray() { separator(); bytes.append(0x5B); needsComma.append(false) }
    /// `]`
    public mutating func endArray() { bytes.append(0x5D); needsComma.removeLast(); drain() }

    @inline(__always)
    private mutating func drain() {
        if bytes.count >= Self.chunk, sink != nil { finish() }
    }

    /// A member key (then call a value method).
    public mutating func key(_ k: String) {
        separator()
        appendString(k)
        bytes.append(ASCII.colon)
        afterKey = true
    }

    private var afterKey = false

    private mutating func separator() {
        if afterKey { afterKey = false; return }
        guard !needsComma.isEmpty else { return }
        if needsComma[needsComma.count - 1] { bytes.append(ASCII.comma) }
        needsComma[needsComma.count - 1] = true
    }

    /// A string value.
    public mutating func string(_ s: String) { separator(); appendString(s) }
    /// An integer value.
    public mutating func int<T: BinaryInteger>(_ v: T) { separator(); bytes.append(contentsOf: String(v).utf8) }
    /// A floating-point value (shortest round-trip form; non-finite as null).
    public mutating func double(_ v: Double) {
        separator()
        if v.isFinite {
            if v == v.rounded(), abs(v) < 1e15 { bytes.append(contentsOf: String(Int64(v)).utf8) } else { bytes.append(contentsOf: v.description.utf8) }
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
    }
    /// A boolean value.
    public mutating func bool(_ v: Bool) { separator(); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    /// `null`.
    public mutating func null() { separator(); bytes.append(contentsOf: "null".utf8) }

    /// `"key": "value"` when value is not nil.
    public mutating func member(_ k: String, _ v: String?) { if let v { key(k); string(v) } }
    /// `"key": n`.
    public mutating func member<T: BinaryInteger>(_ k: String, _ v: T) { key(k); int(v) }
    /// `"key": x` when x is not nil.
    public mutating func member(_ k: String, _ v: Double?) { if let v { key(k); double(v) } }
    /// `"key": true|false`.
    public mutating func member(_ k: String, _ v: Bool) { key(k); bool(v) }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendString(_ s: String) {
        bytes.append(ASCII.quote)
        var s = s
        s.withUTF8 { u in
            var i = 0
            let n = u.count
            while i < n {
                let c = u[i]
                switch c {
                case ASCII.quote: bytes.append(ASCII.backslash); bytes.append(ASCII.quote)
                case ASCII.backslash: bytes.append(ASCII.backslash); bytes.append(ASCII.backslash)
                case 0x0A: bytes.append(ASCII.backslash); bytes.append(0x6E)
                case 0x0D: bytes.append(ASCII.backslash); bytes.append(0x72)
                case 0x09: bytes.append(ASCII.backslash); bytes.append(0x74)
                case 0..<0x20, 0x7F:
                    bytes.append(contentsOf: [ASCII.backslash, 0x75, ASCII.zero, ASCII.zero, Self.hex[Int(c >> 4)], Self.hex[Int(c & 15)]])
                case 0xE2 where i + 2 < n && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9):
                    bytes.append(contentsOf: Array(#"\u202"#.utf8))
                    bytes.append(u[i + 2] == 0xA8 ? 0x38 : 0x39)
                    i += 2
                default: bytes.append(c)
                }
                i += 1
            }
        }
        bytes.append(ASCII.quote)
    }
}
