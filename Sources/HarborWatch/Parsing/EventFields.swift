/// The other fields of an event (`auth.user.name`, `scope.actions`, unknown nginx variables …).
///
/// Used like a `[String: String]`, kept as a short list of pairs: a line has a few of them, and a
/// Dictionary hashed every key on insert (a fifth of the registry parser's time). Lookups compare
/// keys in order; setting a key again replaces its value.
public struct EventFields: Sendable, Equatable, ExpressibleByDictionaryLiteral, Sequence {
    private var pairs: [(key: String, value: String)] = []

    /// No fields.
    public init() {}

    /// Fields from a literal (`["scope": "repository:a:pull"]`).
    public init(dictionaryLiteral elements: (String, String)...) {
        for (k, v) in elements { self[k] = v }
    }

    /// The value of `key`, or nil; setting nil removes it.
    public subscript(key: String) -> String? {
        get {
            for p in pairs where p.key == key { return p.value }
            return nil
        }
        set {
            if let i = pairs.firstIndex(where: { $0.key == key }) {
                if let newValue { pairs[i].value = newValue } else { pairs.remove(at: i) }
            } else if let newValue {
                // Room for a registry line's few at once (growing 1, 2, 4 was three allocations).
                if pairs.capacity == 0 { pairs.reserveCapacity(4) }
                pairs.append((key, newValue))
            }
        }
    }

    /// Removes them all, keeping the room (a recycled event box sets its next ones there).
    public mutating func removeAll() {
        // Pair by pair, keeping the room: `removeAll(keepingCapacity:)` destroyed the pairs
        // through the generic array path (a tuple's and each String's value witness), for every
        // registry line's recycled box.
        while !pairs.isEmpty { pairs.removeLast() }
    }

    /// True when there are none.
    public var isEmpty: Bool { pairs.isEmpty }
    /// How many there are.
    public var count: Int { pairs.count }
    /// The keys, in the order they were set.
    public var keys: [String] { pairs.map(\.key) }
    /// The fields as a Dictionary.
    public var dictionary: [String: String] { Dictionary(pairs, uniquingKeysWith: { _, last in last }) }

    /// The pairs in the order they were set.
    public func makeIterator() -> IndexingIterator<[(key: String, value: String)]> { pairs.makeIterator() }

    /// Equal when they hold the same keys with the same values, in any order.
    public static func == (a: EventFields, b: EventFields) -> Bool {
        a.count == b.count && a.pairs.allSatisfy { b[$0.key] == $0.value }
    }
}
