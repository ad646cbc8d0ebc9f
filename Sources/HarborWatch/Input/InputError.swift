/// A path harborwatch was asked to read but cannot: missing, unreadable, or a glob that matches nothing.
///
/// Its `description` is a sentence that names the path, ready to show the user
/// (`cannot open samples/x.log: No such file or directory`).
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// `open(2)` or `stat(2)` failed; `reason` is the system's message.
        case cannotOpen
        /// A directory could not be listed; `reason` is the system's message.
        case cannotList
        /// A glob matched no file.
        case noMatch
        /// A directory holds no log files.
        case noLogs
    }

    /// What went wrong.
    public let kind: Kind
    /// The path or pattern as the user gave it (or as it was reached).
    public let path: String
    /// The system's message (`No such file or directory`), empty when the kind says it all.
    public let reason: String

    /// An error of `kind` for `path`, with the system's `reason` when there is one.
    public init(_ kind: Kind, path: String, reason: String = "") {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    /// An error of `kind` for `path`, with the message of the C `errno` value `code`.
    init(_ kind: Kind, path: String, errno code: Int32) {
        self.init(kind, path: path, reason: systemMessage(code))
    }

    /// The error as a sentence naming the path.
    public var description: String {
        switch kind {
        case .cannotOpen: "cannot open \(path): \(reason)"
        case .cannotList: "cannot list directory \(path): \(reason)"
        case .noMatch: "no file matches \(path)"
        case .noLogs: "no log files in directory \(path)"
        }
    }
}
