/// A built-in detector: reads the merged event stream in time order and reports findings.
public protocol Detector: AnyObject {
    /// The detector's id (`push_unauthorized`).
    var id: String { get }
    /// Reads one event (events arrive in event-time order, all sites merged).
    func observe(_ e: Event, _ ctx: AnalysisContext)
    /// Every finding, open or resolved, at the end of the input.
    func finish(_ ctx: AnalysisContext) -> [Finding]
    /// The findings as they stand now, without ending anything (a streaming run asks often).
    func snapshot(_ ctx: AnalysisContext) -> [Finding]
    /// Lets time-driven conditions advance to `ctx.now` (grace periods, windows, absences).
    func tick(_ ctx: AnalysisContext)
}

extension Detector {
    public func snapshot(_ ctx: AnalysisContext) -> [Finding] { finish(ctx) }
    public func tick(_ ctx: AnalysisContext) {}
}

/// The settings of the built-in detectors (the rules file's `detectors:` section sets them).
public struct DetectorSettings: Sendable, Equatable {
    /// Detectors that run (all by default).
    public var enabled: Set<String> = Set(DetectorSettings.allIds)
    /// A replication slower than this fires `replication_lag`.
    public var maxLagSecs: Double = 120
    /// Replications of one artifact into one site within this window are a storm.
    public var duplicateWindowSecs: Double = 600
    /// Requests of one replication run are at most this far apart.
    public var burstGapSecs: Double = 5
    /// A manifest 404 this soon after tags/list listed the repository is `tag_without_data`.
    public var tagWindowSecs: Double = 10
    /// A 401 followed within this time by a token and a good retry is the normal challenge.
    public var retryGraceSecs: Double = 15
    /// Harbor's token lifetime (`token_expiration`, 30 minutes by default).
    public var tokenLifetimeSecs: Double = 1800
    /// Evidence lines kept per finding.
    public var evidenceLimit = 20
    /// How long knowledge of an artifact is kept after it was last seen.
    public var retentionSecs: Double = 6 * 3600

    /// Ids of the built-in detectors.
    public static let allIds = [
        "push_unauthorized", "secondary_missing_artifact", "replication_lag", "replication_duplicate", "tag_without_data",
    ]

    /// The defaults.
    public init() {}
}

@inline(__always) func nanos(_ secs: Double) -> Int64 { Int64(secs * 1e9) }

/// A bounded list of evidence that counts what it had to leave out.
struct EvidenceList: Sendable {
    private(set) var items: [Evidence] = []
    private(set) var dropped = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    mutating func add(_ e: Event, note: String? = nil) {
        if items.count < limit { items.append(Evidence(e, note: note)) } else { dropped += 1 }
    }

    mutating func add(_ ev: Evidence) {
        if items.count < limit { items.append(ev) } else { dropped += 1 }
    }

    var all: [Evidence] { items.sorted { ($0.time, $0.file, $0.line) < ($1.time, $1.file, $1.line) } }
}

/// Recent registry and non-front lines per site, kept a short while so detectors can cite them.
final class RecentLines {
    private var lines: [String: [Event]] = [:]
    private let keep: Int64

    init(keepNanos: Int64) { keep = keepNanos }

    func add(_ e: Event) {
        Self.add(e, to: &lines[e.site, default: []], keep: keep)  // in place: a copy of the list per line was O(n)
    }

    private static func add(_ e: Event, to list: inout [Event], keep: Int64) {
        list.append(e)
        if list.count > 256 || (list.first.map { e.time - $0.time > keep } ?? false) {
            list.removeAll { e.time - $0.time > keep }
            if list.count > 256 { list.removeFirst(list.count - 256) }
        }
    }

    /// Lines of `site` within `window` of `time` that pass `match`.
    func find(site: String, around time: Int64, window: Int64, _ match: (Event) -> Bool) -> [Event] {
        (lines[site] ?? []).filter { abs($0.time - time) <= window && match($0) }
    }
}

/// The key of an incident about one artifact on one site (`hub-2`, `app/web`, `2.3.1`).
///
/// Hashed with `KeyHash` and compared field by field: a secondary's successful pull is looked up
/// while an incident is open, and building `hub-2 app/web@2.3.1` cost an allocation and a copy
/// of the three strings per lookup (1 % of `analyze`).
struct ArtifactIncidentKey: Hashable {
    let site: String
    let repository: String
    let reference: String
    private let bits: UInt64

    @inline(__always)
    init(_ site: String, _ repository: String, _ reference: String) {
        self.site = site
        self.repository = repository
        self.reference = reference
        var h = KeyHash()
        h.add(site)
        h.add(repository)
        h.add(reference)
        bits = h.value
    }

    static func == (a: Self, b: Self) -> Bool {
        a.bits == b.bits && a.site == b.site && a.repository == b.repository && a.reference == b.reference
    }

    func hash(into hasher: inout Hasher) { hasher.combine(bits) }

    @inline(__always)
    func _rawHashValue(seed: Int) -> Int { HashKey(bits)._rawHashValue(seed: seed) }
}

extension Finding {
    /// Seconds between two event times.
    static func secs(_ a: Int64, _ b: Int64) -> Double { Double(b - a) / 1e9 }
}
