/// A problem found while reading a file that ended the file early but did not stop the run.
///
/// Example: a truncated or damaged `.gz` (every byte before the damage was delivered).
public struct InputWarning: Sendable, Hashable, CustomStringConvertible {
    /// The file, as it was opened (`samples/hub-1/proxy.log.2.gz`, `-` for stdin).
    public let file: String
    /// Offset in the file's raw (compressed) bytes where the damage was found.
    public let byteOffset: Int64
    /// What was wrong (`gzip data ends early`).
    public let message: String

    /// A warning about `file` at raw `byteOffset`.
    public init(file: String, byteOffset: Int64, message: String) {
        self.file = file
        self.byteOffset = byteOffset
        self.message = message
    }

    /// The warning as `file: byte N: message`.
    public var description: String {
        "\(file): byte \(byteOffset): \(message)"
    }
}
