/// A user regular expression PCRE2 refused, with PCRE2's message and where in the pattern it stopped.
public struct RegexError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pattern as given.
    public let pattern: String
    /// PCRE2's message (`missing closing parenthesis`).
    public let message: String
    /// Offset in the pattern's UTF-8 bytes where PCRE2 found the problem.
    public let offset: Int

    /// An error for `pattern` at byte `offset`.
    public init(pattern: String, message: String, offset: Int) {
        self.pattern = pattern
        self.message = message
        self.offset = offset
    }

    /// The error as a sentence with the pattern and offset.
    public var description: String {
        "invalid regular expression \"\(pattern)\" at offset \(offset): \(message)"
    }
}
