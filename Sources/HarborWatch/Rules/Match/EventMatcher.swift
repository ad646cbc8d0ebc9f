/// A rule's `match:`: every condition must hold.
///
/// ```yaml
/// match:
///   component: proxy                       # equality
///   method: [PUT, POST, PATCH]             # one of
///   status: {min: 500, max: 599}           # numeric range
///   path: {regex: '^/v2/.+/manifests/'}    # PCRE2, compiled once, JIT, match and depth limits
///   user_agent: {not: harbor-registry-client}
///   repository: {exists: true}
/// ```
public struct EventMatcher: Sendable {
    /// One condition on a field.
    public indirect enum Condition: Sendable {
        case equals(String)
        case oneOf(Set<String>)
        case range(min: Double?, max: Double?)
        case regex(PCRE2Regex)
        case exists(Bool)
        case not(Condition)
    }

    /// The conditions, all of which must hold.
    public var conditions: [(EventField, Condition)] {
        didSet { fast = Self.plan(conditions) }
    }
    /// `conditions` as matched. A value list of an enum-valued field (component, kind, format,
    /// level, job_action) becomes a bit set of its cases; a short list of strings is scanned
    /// instead of hashed (hashing costs more than comparing a few short strings). The cheapest
    /// come first: every condition must hold and none has an effect, so the order changes only
    /// how soon an event that fails is known to.
    private var fast: [Fast]

    private enum Fast: Sendable {
        case component(UInt64), kind(UInt64), format(UInt64), level(UInt64), jobAction(UInt64)
        case few(EventField, [String])
        case other(EventField, Condition)
    }

    /// A matcher of `conditions` (none: matches every event).
    public init(_ conditions: [(EventField, Condition)] = []) {
        self.conditions = conditions
        fast = Self.plan(conditions)
    }

    /// The conditions as matched, cheapest first (the rules file's order among equals).
    private static func plan(_ conditions: [(EventField, Condition)]) -> [Fast] {
        let planned = conditions.map { fast($0.0, $0.1) }
        return planned.indices.sorted { (cost(planned[$0]), $0) < (cost(planned[$1]), $1) }.map { planned[$0] }
    }

    /// 0: a bit test; 1: a number; 2: a few short strings compared; 3: a lookup; 4: a regex.
    private static func cost(_ f: Fast) -> Int {
        switch f {
        case .component, .kind, .format, .level, .jobAction: return 0
        case .few: return 2
        case .other(let field, let c): return cost(field, c)
        }
    }

    private static func cost(_ field: EventField, _ c: Condition) -> Int {
        switch c {
        case .range:
            switch field {
            case .status, .bytes, .requestTime, .upstreamTime: return 1
            default: return 3  // the text read as a number
            }
        case .equals, .oneOf, .exists: return 3
        case .regex: return 4
        case .not(let inner): return cost(field, inner)
        }
    }

    private static func fast(_ f: EventField, _ c: Condition) -> Fast {
        let values: [String]
        switch c {
        case .equals(let v): values = [v]
        case .oneOf(let set): values = set.sorted()
        default: return .other(f, c)
        }
        func mask<T: CaseIterable & RawRepresentable & Equatable>(_: T.Type, none: T?) -> UInt64? where T.RawValue == String {
            guard T.allCases.count <= 64 else { return nil }
            var m: UInt64 = 0
            for x in T.allCases where values.contains(x.rawValue) && x != none {  // `none` reads as absent
                m |= caseBit(x)
            }
            return m
        }
        switch f {
        case .component: if let m = mask(Component.self, none: nil) { return .component(m) }
        case .kind: if let m = mask(RequestKind.self, none: RequestKind.none) { return .kind(m) }
        case .format: if let m = mask(LogFormat.self, none: nil) { return .format(m) }
        case .level: if let m = mask(LogLevel.self, none: LogLevel.none) { return .level(m) }
        case .jobAction: if let m = mask(JobAction.self, none: JobAction.none) { return .jobAction(m) }
        default: break
        }
        return values.count <= 8 ? .few(f, values) : .other(f, c)
    }

    /// True when every condition holds for `e`.
    public func matches(_ e: Event) -> Bool {
        for f in fast {
            switch f {
            case .component(let m): if m & caseBit(e.component) == 0 { return false }
            case .kind(let m): if m & caseBit(e.kind) == 0 { return false }
            case .format(let m): if m & caseBit(e.format) == 0 { return false }
            case .level(let m): if m & caseBit(e.level) == 0 { return false }
            case .jobAction(let m): if m & caseBit(e.jobAction) == 0 { return false }
            case .few(let field, let values):
                guard let v = field.text(e), values.contains(v) else { return false }
            case .other(let field, let c):
                if !Self.holds(c, field, e) { return false }
            }
        }
        return true
    }

    static func holds(_ c: Condition, _ f: EventField, _ e: Event) -> Bool {
        switch c {
        case .equals(let v): return f.text(e) == v
        case .oneOf(let set): return f.text(e).map { set.contains($0) } ?? false
        case .range(let lo, let hi):
            guard let n = f.number(e) else { return false }
            return (lo.map { n >= $0 } ?? true) && (hi.map { n <= $0 } ?? true)
        case .regex(let r): return f.text(e).map { r.matches($0) } ?? false
        case .exists(let want): return (f.text(e) != nil) == want
        case .not(let inner): return !holds(inner, f, e)
        }
    }
}
