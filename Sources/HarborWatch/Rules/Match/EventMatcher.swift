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
    /// level, job_action), or of methods events carry a code for, becomes a bit set of its cases;
    /// a short list of strings is scanned instead of hashed (hashing costs more than comparing a
    /// few short strings); a range of a numeric field is two compares. The cheapest come first:
    /// every condition must hold and none has an effect, so the order changes only how soon an
    /// event that fails is known to.
    ///
    /// Steps are a struct with a tag, read in place: a loop over an enum with payloads copied
    /// each one out, retaining and releasing its list or condition, per rule per event.
    private var fast: [Step]

    private struct Step: Sendable {
        enum Tag: UInt8, Sendable { case component, kind, format, level, jobAction, method, few, range, other }
        var tag: Tag
        var mask: UInt64 = 0
        var field: EventField = .site
        var values: [String] = []
        var lo: Double? = nil
        var hi: Double? = nil
        var condition: Condition? = nil
    }

    /// A matcher of `conditions` (none: matches every event).
    public init(_ conditions: [(EventField, Condition)] = []) {
        self.conditions = conditions
        fast = Self.plan(conditions)
    }

    /// The conditions as matched, cheapest first (the rules file's order among equals).
    private static func plan(_ conditions: [(EventField, Condition)]) -> [Step] {
        let planned = conditions.map { step($0.0, $0.1) }
        return planned.indices.sorted { (cost(planned[$0]), $0) < (cost(planned[$1]), $1) }.map { planned[$0] }
    }

    /// 0: a bit test; 1: a number; 2: a few short strings compared; 3: a lookup; 4: a regex.
    private static func cost(_ s: Step) -> Int {
        switch s.tag {
        case .component, .kind, .format, .level, .jobAction, .method: return 0
        case .range: return 1
        case .few: return 2
        case .other: return cost(s.field, s.condition!)
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

    private static func step(_ f: EventField, _ c: Condition) -> Step {
        let values: [String]
        switch c {
        case .equals(let v): values = [v]
        case .oneOf(let set): values = set.sorted()
        case .range(let lo, let hi):
            switch f {
            case .status, .bytes, .requestTime, .upstreamTime: return Step(tag: .range, field: f, lo: lo, hi: hi)
            default: return Step(tag: .other, field: f, condition: c)
            }
        default: return Step(tag: .other, field: f, condition: c)
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
        case .component: if let m = mask(Component.self, none: nil) { return Step(tag: .component, mask: m) }
        case .kind: if let m = mask(RequestKind.self, none: RequestKind.none) { return Step(tag: .kind, mask: m) }
        case .format: if let m = mask(LogFormat.self, none: nil) { return Step(tag: .format, mask: m) }
        case .level: if let m = mask(LogLevel.self, none: LogLevel.none) { return Step(tag: .level, mask: m) }
        case .jobAction: if let m = mask(JobAction.self, none: JobAction.none) { return Step(tag: .jobAction, mask: m) }
        case .method:
            // Every value one of the methods events carry a code for: a bit test of the code.
            let codes = values.map { HTTPMethod($0) }
            if !codes.isEmpty, !codes.contains(.other), !codes.contains(.none) {
                return Step(tag: .method, mask: codes.reduce(0) { $0 | (1 << UInt64($1.rawValue)) })
            }
        default: break
        }
        return values.count <= 8 ? Step(tag: .few, field: f, values: values) : Step(tag: .other, field: f, condition: c)
    }

    /// True when every condition holds for `e`.
    public func matches(_ e: Event) -> Bool {
        for i in fast.indices {
            switch fast[i].tag {
            case .component: if fast[i].mask & caseBit(e.component) == 0 { return false }
            case .kind: if fast[i].mask & caseBit(e.kind) == 0 { return false }
            case .format: if fast[i].mask & caseBit(e.format) == 0 { return false }
            case .level: if fast[i].mask & caseBit(e.level) == 0 { return false }
            case .jobAction: if fast[i].mask & caseBit(e.jobAction) == 0 { return false }
            case .method: if fast[i].mask & (1 << UInt64(e.methodCode.rawValue)) == 0 { return false }
            case .range:
                // `holds`' `.range` on a numeric field, without the text
                guard let n = fast[i].field.number(e) else { return false }
                if let lo = fast[i].lo, !(n >= lo) { return false }
                if let hi = fast[i].hi, !(n <= hi) { return false }
            case .few:
                guard let v = fast[i].field.text(e), fast[i].values.contains(v) else { return false }
            case .other:
                if !Self.holds(fast[i].condition!, fast[i].field, e) { return false }
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
