/// What a parser made of one line.
public enum ParseResult: Equatable, Sendable {
    /// An event, written `count` times (rsyslog's `message repeated N times`).
    case event(count: Int)
    /// A line with nothing to read (blank, a component harborwatch does not read).
    case skip(SkipReason)
    /// A line that should have been readable and was not.
    case malformed(MalformedReason)
    /// The rest of the previous record (a stack trace line, a multi-line message): bytes `range`.
    case continuation(Range<Int>)
}

/// Why a line was skipped.
public enum SkipReason: String, Sendable, CaseIterable, Codable {
    case blank
    case otherComponent = "other_component"
}

/// Why a line was malformed.
public enum MalformedReason: String, Sendable, CaseIterable, Codable {
    case noFormat = "no format matched"
    case badSyslogPrefix = "no valid syslog prefix"
    case nginx = "nginx line does not match its log_format"
    case harborText = "Harbor text line is cut or garbled"
    case registry = "registry line is cut or garbled"
    case access = "access line is cut or garbled"
    case orphanContinuation = "continuation without a record before it"
    case binary = "binary data"
    case forced = "line does not match the forced --input-format"
    case timeOutOfRange = "time outside the years 1678-2261"
}
