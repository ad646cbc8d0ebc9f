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
    public var conditions: [(EventField, Condition)]

    /// A matcher of `conditions` (none: matches every event).
    public init(_ conditions: [(EventField, Condition)] = []) { self.conditions = conditions }

    /// True when every condition holds for `e`.
    public func matches(_ e: Event) -> Bool {
        for (field, c) in conditions where !Self.holds(c, field, e) { return false }
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
