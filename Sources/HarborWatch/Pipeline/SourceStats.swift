/// What reading one source (a rotated set, or stdin) gave: counts by outcome, format and reason.
public struct SourceStats: Sendable, Equatable {
    /// The source's name (its live file).
    public var name: String
    /// Its site.
    public var site: String
    /// The component its file name suggests, or the one most of its lines came from.
    public var component: Component
    /// The files read, oldest first.
    public var files: [String] = []
    /// Lines read.
    public var lines = 0
    /// Events made (a `message repeated N times` line makes N).
    public var events = 0
    /// Lines that continued the record before them.
    public var continuations = 0
    /// Lines longer than the limit, cut.
    public var truncated = 0
    /// Skipped lines by reason.
    public var skipped: [SkipReason: Int] = [:]
    /// Malformed lines by reason.
    public var malformed: [MalformedReason: Int] = [:]
    /// Lines read per format.
    public var formats: [String: Int] = [:]
    /// The first malformed lines: where and why.
    public var malformedSamples: [LineIssue] = []
    /// Damage found while reading (a truncated gzip file …).
    public var warnings: [InputWarning] = []
    /// Files that could not be opened.
    public var errors: [InputError] = []

    /// Empty stats for a source.
    public init(name: String, site: String, component: Component) {
        self.name = name
        self.site = site
        self.component = component
    }

    /// Malformed lines in all.
    public var malformedCount: Int { malformed.values.reduce(0, +) }
    /// Skipped lines in all.
    public var skippedCount: Int { skipped.values.reduce(0, +) }

    /// Adds `other`'s counts (for totals).
    public mutating func add(_ other: SourceStats) {
        files += other.files
        lines += other.lines
        events += other.events
        continuations += other.continuations
        truncated += other.truncated
        for (k, v) in other.skipped { skipped[k, default: 0] += v }
        for (k, v) in other.malformed { malformed[k, default: 0] += v }
        for (k, v) in other.formats { formats[k, default: 0] += v }
        malformedSamples += other.malformedSamples
        warnings += other.warnings
        errors += other.errors
    }
}

/// A line that could not be read: file, line number and why.
public struct LineIssue: Sendable, Equatable, CustomStringConvertible {
    /// File path.
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// What was wrong.
    public var reason: String
    /// `file:line: reason`.
    public var description: String { "\(file):\(line): \(reason)" }
}
