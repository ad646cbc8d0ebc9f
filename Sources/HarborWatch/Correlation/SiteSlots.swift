/// A value per site, kept in an array: events come in runs of one site, so the slot of the site
/// before is found with one String comparison, and a new one with a scan of a few names; a
/// Dictionary hashed the site on every event.
struct SiteSlots<Value> {
    private(set) var sites: [String] = []
    private(set) var values: [Value] = []
    private var last = -1
    private let initial: Value

    /// Slots that start as `initial`.
    init(_ initial: Value) { self.initial = initial }

    /// The value of `site` (`initial` until first changed), made on first change.
    subscript(site: String) -> Value {
        get { sites.firstIndex(of: site).map { values[$0] } ?? initial }
        set { values[slot(site)] = newValue }
        _modify {
            let k = slot(site)
            yield &values[k]
        }
    }

    /// Every site's value, as a Dictionary.
    var dictionary: [String: Value] { Dictionary(zip(sites, values), uniquingKeysWith: { a, _ in a }) }

    @inline(__always)
    private mutating func slot(_ site: String) -> Int {
        if last >= 0, sites[last] == site { return last }
        if let k = sites.firstIndex(of: site) {
            last = k
        } else {
            sites.append(site)
            values.append(initial)
            last = sites.count - 1
        }
        return last
    }
}
