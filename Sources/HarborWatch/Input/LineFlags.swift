/// What the `LineFramer` had to do to a line.
public struct LineFlags: OptionSet, Sendable, Hashable {
    /// The flags as bits.
    public let rawValue: UInt8

    /// A flag set from its raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The line was longer than the framer's limit and was cut; the rest of it was dropped.
    public static let truncated = LineFlags(rawValue: 1 << 0)
    /// The data ended without a newline after this line.
    public static let unterminated = LineFlags(rawValue: 1 << 1)
}
