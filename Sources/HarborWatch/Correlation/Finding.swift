/// One problem a detector found, with the evidence that made it fire.
public struct Finding: Sendable, Equatable {
    /// The detector's id (`push_unauthorized`).
    public var detector: String
    /// The site the problem is on.
    public var site: String
    /// `critical`, `warning` or `info`.
    public var severity: String
    /// One sentence for a human.
    public var summary: String
    /// Identity labels (detector, site, repository …): the alert's fingerprint is made from them.
    public var labels: [String: String]
    /// Details by name, in order.
    public var details: [(String, DetailValue)]
    /// First and last event time that belongs to the problem.
    public var firstSeen: Int64
    /// Last event time that belongs to the problem.
    public var lastSeen: Int64
    /// When the detector's resolve condition held, nil while still open.
    public var resolvedAt: Int64?
    /// How many requests (or runs) failed.
    public var count: Int
    /// The lines that made it fire.
    public var evidence: [Evidence]

    /// A finding.
    public init(
        detector: String, site: String, severity: String, summary: String, labels: [String: String],
        details: [(String, DetailValue)], firstSeen: Int64, lastSeen: Int64, resolvedAt: Int64?, count: Int,
        evidence: [Evidence]
    ) {
        self.detector = detector
        self.site = site
        self.severity = severity
        self.summary = summary
        self.labels = labels
        self.details = details
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.resolvedAt = resolvedAt
        self.count = count
        self.evidence = evidence
    }

    /// The detail named `name`.
    public func detail(_ name: String) -> DetailValue? { details.first { $0.0 == name }?.1 }

    public static func == (a: Finding, b: Finding) -> Bool {
        a.detector == b.detector && a.site == b.site && a.severity == b.severity && a.summary == b.summary
            && a.labels == b.labels && a.details.map(\.0) == b.details.map(\.0) && a.details.map(\.1) == b.details.map(\.1)
            && a.firstSeen == b.firstSeen && a.lastSeen == b.lastSeen && a.resolvedAt == b.resolvedAt && a.count == b.count
            && a.evidence == b.evidence
    }
}

/// A value in a finding's details.
public enum DetailValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case time(Int64)
    case strings([String])
    case null
}

/// One log line behind a finding.
public struct Evidence: Sendable, Equatable {
    /// Event time.
    public var time: Int64
    /// Site and component.
    public var site: String
    /// The component that wrote the line.
    public var component: Component
    /// Where the line is.
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// The request id, when the line has one.
    public var requestId: String?
    /// What the line says, short (`PATCH /v2/team/app/blobs/uploads/… 401`).
    public var text: String

    /// The evidence of an event.
    public init(_ e: Event, note: String? = nil) {
        time = e.time
        site = e.site
        component = e.component
        file = e.file
        line = e.line
        requestId = e.requestId
        var t = ""
        if let m = e.method { t = m + " " + (e.pathPrefix == nil ? "" : "") + (e.path ?? "") }
        if e.status != 0 { t += (t.isEmpty ? "" : " ") + String(e.status) }
        if let c = e.client { t += " from " + c }
        if let msg = e.message, e.format != .nginxAccess {
            let first = msg.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? msg
            t += (t.isEmpty ? "" : ": ") + String(first.prefix(240))
        }
        if let note { t += " (" + note + ")" }
        text = t
    }
}

extension Event {
    /// True for Harbor's own registry client (replication jobs, core's abstractor).
    @inline(__always)
    public var isReplicator: Bool { s.isReplicator }  // the agent starts with `harbor-registry-client`

    /// `repository@reference` for a manifest or blob request, else nil.
    public var artifactKey: String? {
        guard let repo = repository, let ref = reference else { return nil }
        return repo + "@" + ref
    }

    /// True for GET/HEAD.
    public var isRead: Bool { methodCode == .get || methodCode == .head }

    /// True for a write of a push: upload POST/PATCH/PUT or a manifest PUT.
    public var isPushWrite: Bool {
        switch kind {
        case .upload: return methodCode == .post || methodCode == .patch || methodCode == .put
        case .manifest: return methodCode == .put
        default: return false
        }
    }
}

/// Short human texts for durations.
public enum Report {
    /// `0.8 s`, `85 s`, `4 min 05 s`, `2 h 10 min`.
    public static func secs(_ s: Double) -> String {
        if s < 10 { return String(Double(Int(s * 10)) / 10) + " s" }
        let t = Int(s.rounded())
        if t < 120 { return "\(t) s" }
        if t < 7200 { return "\(t / 60) min \(String(t % 60).leftPadded(2)) s" }
        return "\(t / 3600) h \(String(t / 60 % 60).leftPadded(2)) min"
    }
}
