/// What every detector may ask about the run: the sites' roles, which component is each site's
/// front door, the current event time, and what each site had of every artifact.
public final class AnalysisContext {
    /// The primary site (replication source).
    public let primary: String
    /// All sites, primary first.
    public let sites: [String]
    /// The newest event time seen so far (the stream's clock).
    public private(set) var now: Int64 = .min
    /// The first event time seen.
    public private(set) var start: Int64 = .max
    /// Cross-site artifact knowledge.
    public let book: ArtifactBook
    private let front: [String: Set<Component>]

    /// A context for `sites`; `front[site]` names the components whose lines are the clients' view.
    public init(primary: String, sites: [String], front: [String: Set<Component>], retentionNanos: Int64) {
        self.primary = primary
        self.sites = [primary] + sites.filter { $0 != primary }
        self.front = front
        book = ArtifactBook(retention: retentionNanos)
    }

    /// True when `site` is a secondary site.
    @inline(__always)
    public func isSecondary(_ site: String) -> Bool { site != primary }

    /// True when `e` is a client request as the site's front door logged it (one line per request).
    @inline(__always)
    public func isFront(_ e: Event) -> Bool { e.isFrontLine }

    /// Works out `isFront` for an event (the engine does it once per event).
    func computeFront(_ e: Event) -> Bool {
        guard e.status != 0, e.method != nil else { return false }
        let site = e.site
        if site != frontSite {  // events come in runs of one site: look the set up once per run
            frontSite = site
            frontMask = Self.mask(front[site] ?? [.proxy, .nginx])
        }
        let component = e.component
        if component == .registry { return frontMask & caseBit(Component.registry) != 0 && e.format == .registryLogrus }
        return frontMask & caseBit(component) != 0 && e.format == .nginxAccess
    }
    private var frontSite = "\u{0}"
    /// The site's front components as bits (a Set lookup hashes; this is per event).
    private var frontMask: UInt64 = 0

    private static func mask(_ set: Set<Component>) -> UInt64 { set.reduce(0) { $0 | caseBit($1) } }

    /// FNV-1a of site, client and user agent.
    static func clientKey(_ e: Event) -> UInt64 {
        var h = FNV1a()
        h.add(e.site)
        h.add(e.client ?? "-")
        h.add(e.userAgent ?? "-")
        return h.value
    }

    /// Moves the clock forward.
    @inline(__always)
    func advance(_ t: Int64) {
        if t > now { now = t }
        if t < start && t != 0 { start = t }
    }
}

/// What each site had of each artifact (`repository@tag` or `repository@digest`), and since when.
///
/// Entries expire in event time after `retention`, so memory stays bounded on endless input.
public final class ArtifactBook {
    /// How a site came to have an artifact.
    public enum How: String, Sendable { case pushed, replicated, served }

    /// One site's knowledge of one artifact.
    public struct Entry: Sendable {
        /// First time the site had it.
        public var since: Int64
        /// How.
        public var how: How
        /// Last time seen, in 1/16 s after `since`: expiry needs no more, and it packs an entry
        /// into 16 bytes instead of 24 (the book is the largest part of the heap).
        private var seenAfter: UInt32 = 0

        /// An entry first seen at `since` and last at `lastSeen`.
        public init(since: Int64, how: How, lastSeen: Int64) {
            self.since = since
            self.how = how
            self.lastSeen = lastSeen
        }

        /// Last time it was seen (for expiry), to 1/16 s.
        public var lastSeen: Int64 {
            get { since &+ Int64(seenAfter) &* Self.tick }
            set { seenAfter = UInt32(clamping: max(0, newValue &- since) / Self.tick) }
        }
        private static let tick: Int64 = 62_500_000
    }

    /// Per site, by a 64-bit hash of `repository@reference`: a fixed-size key takes a third of the
    /// memory of the String (which was 20 % of the heap), and two artifacts of one run sharing a hash
    /// is about as likely as a one-in-ten-million event at a million artifacts.
    private var entries: [String: [UInt64: Entry]] = [:]

    /// FNV-1a 64 over the key's UTF-8, with a final mix (deterministic across runs and machines).
    static func hash(_ key: String) -> UInt64 {
        var h = FNV1a()
        h.add(bytesOf: key)
        return mix(h.value)
    }

    /// `hash(repository + "@" + reference)` without building the String.
    static func hash(repository: String, reference: String) -> UInt64 {
        var h = FNV1a()
        h.add(bytesOf: repository)
        h.add(byte: 0x40)  // "@"
        h.add(bytesOf: reference)
        return mix(h.value)
    }

    private static func mix(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return h
    }
    private let retention: Int64
    private let cap: Int
    private var sinceSweep = 0
    /// Entries dropped by expiry.
    public private(set) var expired = 0
    /// Entries dropped because a site held more than the cap (the least recently seen go first).
    public private(set) var evicted = 0

    init(retention: Int64, cap: Int = 400_000) {
        self.retention = retention
        self.cap = cap
    }

    /// What `site` had of `key` (nil: nothing known).
    public func entry(_ site: String, _ key: String) -> Entry? { entry(site, hash: Self.hash(key)) }

    /// What `site` had of the artifact of hash `h` (`hash(repository:reference:)`).
    public func entry(_ site: String, hash h: UInt64) -> Entry? { entries[site]?[h] }

    /// Records that `site` had `key` at `time`.
    func record(_ site: String, _ key: String, at time: Int64, how: How) {
        record(site, hash: Self.hash(key), at: time, how: how)
    }

    /// Records that `site` had the artifact of hash `h` (`hash(repository:reference:)`) at `time`.
    func record(_ site: String, hash h: UInt64, at time: Int64, how: How) {
        Self.upsert(&entries[site, default: [:]], h, time, how)  // in place: one lookup per level
    }

    @inline(__always)
    private static func upsert(_ d: inout [UInt64: Entry], _ h: UInt64, _ time: Int64, _ how: How) {
        if let i = d.index(forKey: h) {
            if d.values[i].lastSeen < time { d.values[i].lastSeen = time }
        } else {
            d[h] = Entry(since: time, how: how, lastSeen: time)
        }
    }

    /// Drops entries not seen for `retention` (checked every few thousand calls).
    func sweep(now: Int64) {
        sinceSweep += 1
        guard sinceSweep >= 50_000 else { return }
        sinceSweep = 0
        let horizon = now - retention
        for site in entries.keys {
            expired += entries[site]!.removeAll { $0.value.lastSeen < horizon }
            let count = entries[site]!.count
            if count > cap {
                // Keep the 90 % of the cap seen most recently.
                let times = entries[site]!.values.map(\.lastSeen).sorted()
                let cutoff = times[count - cap * 9 / 10]
                evicted += entries[site]!.removeAll { $0.value.lastSeen < cutoff }
            }
        }
    }

    /// Entries held now.
    public var count: Int { entries.values.reduce(0) { $0 + $1.count } }
}

/// FNV-1a 64 over several Strings, each closed by a 0xFF byte (which UTF-8 never holds), so that
/// ("ab", "c") and ("a", "bc") differ. Deterministic across runs and machines.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Adds `part` and a closing 0xFF.
    @inline(__always)
    mutating func add(_ part: String) {
        add(bytesOf: part)
        add(byte: 0xFF)
    }

    /// Adds the UTF-8 of `part` alone (for a key that has its own separators).
    @inline(__always)
    mutating func add(bytesOf part: String) {
        var s = part
        var h = value
        s.withUTF8 { for b in $0 { h ^= UInt64(b); h &*= 0x100_0000_01b3 } }
        value = h
    }

    @inline(__always)
    mutating func add(byte: UInt8) {
        value ^= UInt64(byte)
        value &*= 0x100_0000_01b3
    }
}

/// The bit of `x`'s case among `T.allCases` (its declaration order): enum-valued fields tested
/// against a set of cases with one AND, not a Set lookup (which hashes).
@inline(__always)
func caseBit<T: CaseIterable & Equatable>(_ x: T) -> UInt64 {
    var k: UInt64 = 0
    for c in T.allCases {
        if c == x { return 1 << k }
        k += 1
    }
    return 0
}

extension Dictionary {
    /// Removes in place the entries that `shouldRemove` picks (a filtered copy would hold the
    /// dictionary twice while it is made); returns how many.
    @discardableResult
    mutating func removeAll(where shouldRemove: (Element) -> Bool) -> Int {
        let gone = compactMap { shouldRemove($0) ? $0.key : nil }
        for k in gone { removeValue(forKey: k) }
        return gone.count
    }
}
