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
        guard e.status != 0, e.methodCode != .none else { return false }
        let site = e.site
        if site != frontSite {  // events come in runs of one site: the mask changes per run
            frontSite = site
            frontMask = mask(of: site)
        }
        let component = e.component
        if component == .registry { return frontMask & caseBit(Component.registry) != 0 && e.format == .registryLogrus }
        return frontMask & caseBit(component) != 0 && e.format == .nginxAccess
    }
    private var frontSite = "\u{0}"
    /// The site's front components as bits (a Set lookup hashes; this is per event).
    private var frontMask: UInt64 = 0
    /// Each site's mask once worked out: a few sites, found by comparing names (a run of the other
    /// site's events, often a few lines long with two sites, looked the site up in `front` by its
    /// hash).
    private var frontMasks: [(site: String, mask: UInt64)] = []

    private func mask(of site: String) -> UInt64 {
        for m in frontMasks where m.site == site { return m.mask }
        let m = Self.mask(front[site] ?? [.proxy, .nginx])
        frontMasks.append((site, m))
        return m
    }

    private static func mask(_ set: Set<Component>) -> UInt64 { set.reduce(0) { $0 | caseBit($1) } }

    /// The hash of site, client and user agent.
    static func clientKey(_ e: Event) -> UInt64 {
        var h = KeyHash()
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
    /// The sites in slots (a Dictionary of sites hashed the site's name at every record).
    private var entries = SiteSlots([HashKey: Entry]())

    /// The hash of `repository@reference` (split at its last `@`, as `hash(repository:reference:)`).
    static func hash(_ key: String) -> UInt64 {
        guard let at = key.lastIndex(of: "@") else { return hash(repository: key, reference: "") }
        return hash(repository: String(key[..<at]), reference: String(key[key.index(after: at)...]))
    }

    /// The hash of an artifact, without building `repository@reference`.
    static func hash(repository: String, reference: String) -> UInt64 {
        var h = KeyHash()
        h.add(repository)
        h.add(reference)
        return h.value
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
    public func entry(_ site: String, hash h: UInt64) -> Entry? { entries[site][HashKey(h)] }

    /// Records that `site` had `key` at `time`.
    func record(_ site: String, _ key: String, at time: Int64, how: How) {
        record(site, hash: Self.hash(key), at: time, how: how)
    }

    /// Records that `site` had the artifact of hash `h` (`hash(repository:reference:)`) at `time`.
    func record(_ site: String, hash h: UInt64, at time: Int64, how: How) {
        Self.upsert(&entries[site], h, time, how)  // in place
    }

    @inline(__always)
    private static func upsert(_ d: inout [HashKey: Entry], _ h: UInt64, _ time: Int64, _ how: How) {
        let h = HashKey(h)
        if let i = d.index(forKey: h) {
            if d.values[i].lastSeen < time { d.values[i].lastSeen = time }
        } else {
            // Full: this insert doubles the table, the largest allocation of a run (the old and the
            // new table are resident together). Pages freed before are returned first.
            if d.count >= d.capacity, d.capacity >= 65_536 { Allocator.purge?() }
            d[h] = Entry(since: time, how: how, lastSeen: time)
        }
    }

    /// Drops entries not seen for `retention` (checked every few thousand calls).
    func sweep(now: Int64) {
        sinceSweep += 1
        guard sinceSweep >= 50_000 else { return }
        sinceSweep = 0
        let horizon = now - retention
        for site in entries.sites {
            expired += entries[site].removeAll { $0.value.lastSeen < horizon }
            let count = entries[site].count
            if count > cap {
                // Keep the 90 % of the cap seen most recently.
                let times = entries[site].values.map(\.lastSeen).sorted()
                let cutoff = times[count - cap * 9 / 10]
                evicted += entries[site].removeAll { $0.value.lastSeen < cutoff }
            }
        }
    }

    /// Entries held now.
    public var count: Int { entries.values.reduce(0) { $0 + $1.count } }

    /// Forgets every entry (the counts stay): the end of a batch run, where no event will ask
    /// again and the report is built next.
    func removeAll() { entries = SiteSlots([HashKey: Entry]()) }
}

/// A 64-bit hash of several Strings (and bytes), for keys that live in memory only: each part is
/// hashed eight bytes at a time with its length, so ("ab", "c") and ("a", "bc") differ. FNV-1a,
/// one multiply per byte, was 2 % of `analyze` on user agents alone. Deterministic across runs
/// and machines (not Swift's seeded `Hasher`).
struct KeyHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Adds `part`.
    @inline(__always)
    mutating func add(_ part: String) {
        // Read in place (a `var` copy to call `withUTF8` retained and released the String).
        if let h = part.utf8.withContiguousStorageIfAvailable({ Self.hash($0) }) {
            combine(h)
        } else {
            var s = part
            combine(s.withUTF8 { Self.hash($0) })
        }
    }

    @inline(__always)
    private static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        b.isEmpty ? 0x2545_F491_4F6C_DD1D : StringInterner.hash(b, 0..<b.count)
    }

    /// Adds one byte.
    @inline(__always)
    mutating func add(byte: UInt8) { combine(0x1_0000_0000 | UInt64(byte)) }

    @inline(__always)
    private mutating func combine(_ x: UInt64) {
        var h = (value ^ x) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        value = h
    }
}

/// A key computed from up to three strings and a number, remembered for the strings it was last
/// computed from.
///
/// The strings of log values are interned, so the lines of one client (or one repository) share
/// the same strings: their 16 bytes each are compared here instead of hashing their text per line
/// again. The memo holds the strings it compares with, so their storage cannot be freed and reused
/// for other text while an entry names it; a miss computes the key as before. Direct-mapped: two
/// keys that share a slot only replace one another.
struct StringKeyMemo {
    private struct Entry {
        var a: String
        var b: String?
        var c: String?
        var n: UInt64
        var key: UInt64
    }

    private var entries: [Entry?] = Array(repeating: nil, count: 1024)

    /// The 16 bytes of a `String` value (`String.words`), zero for none.
    @inline(__always)
    private static func bits(_ s: String?) -> (UInt64, UInt64) { s?.words ?? (0, 0) }

    @inline(__always)
    private static func same(_ x: String?, _ y: String?) -> Bool {
        let u = bits(x), v = bits(y)
        return u.0 == v.0 && u.1 == v.1 && (x == nil) == (y == nil)
    }

    /// The key of `a`, `b`, `c` and `n`: `compute()` the first time, and after another key took
    /// its place.
    @inline(__always)
    mutating func key(_ a: String, _ b: String?, _ c: String?, _ n: UInt64, _ compute: () -> UInt64) -> UInt64 {
        let x = Self.bits(b), y = Self.bits(c)
        var mix = (x.0 ^ (x.1 &* 31) ^ (y.0 &* 0x9E37_79B9_7F4A_7C15) ^ y.1 ^ (n &* 0x94D0_49BB_1331_11EB))
            &* 0xBF58_476D_1CE4_E5B9
        mix ^= mix >> 29
        let slot = Int(truncatingIfNeeded: mix) & (entries.count - 1)
        if let hit = entries[slot], hit.n == n, Self.same(hit.b, b), Self.same(hit.c, c), Self.same(hit.a, a) {
            return hit.key
        }
        let key = compute()
        entries[slot] = Entry(a: a, b: b, c: c, n: n, key: key)
        return key
    }
}

/// `AnalysisContext.clientKey`, remembered for the site, client and user agent it was last
/// computed from (a front line's three strings are interned: see `StringKeyMemo`).
struct ClientKeyMemo {
    private var memo = StringKeyMemo()

    /// `AnalysisContext.clientKey(e)`.
    mutating func key(_ e: Event) -> UInt64 {
        memo.key(e.site, e.client, e.userAgent, 0) { AnalysisContext.clientKey(e) }
    }
}

/// Hooks into the allocator the executable links (jemalloc); unset in the tests.
public enum Allocator {
    /// Returns freed pages to the kernel now.
    nonisolated(unsafe) public static var purge: (() -> Void)?
}

/// A key that is a `KeyHash` already: a Dictionary buckets it by mixing its bits with the table's
/// seed, where `UInt64`'s own hashing ran SipHash over it (100 instructions a lookup; 2 % of
/// `analyze` in the session, client and artifact tables). Crafted log lines that collide here
/// collide in the `KeyHash` anyway, which is not keyed either.
struct HashKey: Hashable {
    var bits: UInt64
    @inline(__always) init(_ bits: UInt64) { self.bits = bits }
    func hash(into hasher: inout Hasher) { hasher.combine(bits) }
    @inline(__always)
    func _rawHashValue(seed: Int) -> Int {
        var x = bits ^ UInt64(UInt(bitPattern: seed))
        x = (x ^ (x >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return Int(truncatingIfNeeded: x ^ (x >> 32))
    }
}

/// The bit of `x`'s case among `T.allCases` (its declaration order): enum-valued fields tested
/// against a set of cases with one AND, not a Set lookup (which hashes).
@inline(__always)
func caseBit<T: CaseIterable & Equatable>(_ x: T) -> UInt64 {
    // An enum without payloads of up to 256 cases is stored as its case's index in declaration
    // order, the order of `allCases`: read it, rather than walk the cases (`allCases` built an
    // array per call). `caseBitIsTheIndexInAllCases` checks it for the enums used here.
    if MemoryLayout<T>.size == 1 {
        let index = withUnsafeBytes(of: x) { $0[0] }
        return index < 64 ? 1 &<< UInt64(index) : 0
    }
    return caseBitByWalking(x)
}

/// `caseBit` by comparing `x` with each of `T.allCases` in turn.
func caseBitByWalking<T: CaseIterable & Equatable>(_ x: T) -> UInt64 {
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
