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
        didSet { fast = conditions.map { Self.fast($0.0, $0.1) } }
    }
    /// `conditions` as matched: a short list of values is scanned instead of hashed (a Set lookup
    /// hashes the value, which costs more than comparing it with a few short strings).
    private var fast: [(EventField, Condition, [String]?)]

    /// A matcher of `conditions` (none: matches every event).
    public init(_ conditions: [(EventField, Condition)] = []) {
        self.conditions = conditions
        fast = conditions.map { Self.fast($0.0, $0.1) }
    }

    private static func fast(_ f: EventField, _ c: Condition) -> (EventField, Condition, [String]?) {
        if case .oneOf(let set) = c, set.count <= 8 { return (f, c, set.sorted()) }
        return (f, c, nil)
    }

    /// True when every condition holds for `e`.
    public func matches(_ e: Event) -> Bool {
        for (field, c, few) in fast {
            if let few {
                guard let v = field.text(e), few.contains(v) else { return false }
            } else if !Self.holds(c, field, e) {
                return false
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
