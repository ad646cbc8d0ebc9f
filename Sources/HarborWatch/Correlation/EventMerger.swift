/// Merges the events of many sources into one stream in event-time order.
///
/// Each source is nearly ordered (a registry access line carries the request's start, nginx lines
/// whole seconds), so each goes through a reorder buffer that holds events until the source's
/// newest time has moved `allowedLateness` past them; a k-way merge over the buffers' heads then
/// yields the global order. An event later than that is still passed on, and counted as late.
/// Ties keep source order, so the same input always gives the same order.
public final class EventMerger {
    /// Events that arrived later than the allowed lateness (used all the same).
    public private(set) var lateEvents = 0
    /// Events handed out.
    public private(set) var merged = 0

    private let cursors: [SourceCursor]
    private let lateness: Int64
    /// One reorder buffer a source, with the source's cursor, clock offset and end, in memory of
    /// the merger's own: written in place, with no uniqueness or bounds check of an array around
    /// them at every event.
    private let buffers: UnsafeMutablePointer<ReorderBuffer>
    /// Heads of the buffers; ties by source, then arrival.
    private struct Head: Comparable {
        var time: Int64, source: Int, seq: Int
        static func < (a: Head, b: Head) -> Bool { (a.time, a.source, a.seq) < (b.time, b.source, b.seq) }
    }
    private var heap = MinHeap<Head>()
    private var seq = 0

    /// A merger over `cursors`; `offsets[i]` (ns) is added to the times of source i (clock skew).
    public init(cursors: [SourceCursor], allowedLatenessNanos: Int64, offsets: [Int64]? = nil) {
        self.cursors = cursors
        lateness = allowedLatenessNanos
        buffers = .allocate(capacity: max(cursors.count, 1))
        for k in cursors.indices {
            // The cursor unretained: `cursors` keeps it, and it is not retained and released
            // around each event taken from it.
            (buffers + k).initialize(to: ReorderBuffer(cursor: Unmanaged.passUnretained(cursors[k]), offset: offsets?[k] ?? 0))
        }
        for i in cursors.indices { fill(i) }
    }

    deinit {
        for k in cursors.indices { buffers[k].destroy() }
        buffers.deinitialize(count: cursors.count)
        buffers.deallocate()
    }

    /// The stats of every source so far.
    public var stats: [SourceStats] { cursors.map(\.stats) }

    /// The next event in time order, or nil when all sources are exhausted.
    public func next() -> Event? {
        guard let top = heap.first else { return nil }
        let i = top.source
        buffers[i].headInHeap = false
        let e = buffers[i].popFirst()
        // The source's next head takes the place of the one handed out: one sift down, rather
        // than a pop and a push (the order is the same: heads are ordered by time, source, seq).
        if let head = load(i) {
            heap.replaceFirst(head)
            buffers[i].headInHeap = true
        } else {
            _ = heap.pop()
        }
        merged += 1
        return e
    }

    /// Pulls from source `i` until its buffer's oldest event is safe to release, then pushes that head.
    private func fill(_ i: Int) {
        guard !buffers[i].headInHeap else { return }
        if let head = load(i) {
            heap.push(head)
            buffers[i].headInHeap = true
        }
    }

    /// Pulls from source `i` until its buffer's oldest event is safe to release; that head.
    @inline(__always)
    private func load(_ i: Int) -> Head? {
        let b = buffers + i
        while !b.pointee.exhausted {
            if let oldest = b.pointee.minTime, b.pointee.maxTime - oldest >= lateness { break }
            guard var e = b.pointee.cursor.unsafelyUnwrapped._withUnsafeGuaranteedRef({ $0.next() }) else { b.pointee.exhausted = true; break }
            let offset = b.pointee.offset
            if offset != 0 { e.time &+= offset }  // a setter checks the box is unique: not for 0
            if e.time < b.pointee.released { lateEvents += 1 }
            b.pointee.insert(consume e, seq: seq)
            seq += 1
        }
        guard let first = b.pointee.first else { return nil }
        return Head(time: first.time, source: i, seq: first.seq)
    }
}

/// One source's events ordered by (time, arrival); events are moved, never copied.
///
/// A source is nearly sorted, so an event no older than the one before it goes to a FIFO (sorted
/// by construction, O(1)); only an event older than that goes to a min-heap. The least of the two
/// heads comes out first. The FIFO is a ring that grows by doubling and is never shifted: taking
/// from it leaves nil behind, and nothing is destroyed element by element.
///
/// The ring is memory of the buffer's own: the owner (the merger, which keeps its buffers in place
/// and never copies them) calls `destroy()` once at the end.
struct ReorderBuffer {
    private struct Key: Comparable {
        var time: Int64, seq: Int, slot: Int
        static func < (a: Key, b: Key) -> Bool { (a.time, a.seq) < (b.time, b.seq) }
    }
    struct Entry {
        var time: Int64
        var seq: Int
        var event: Event?
    }
    private var heap = MinHeap<Key>()
    private var slots: [Event?] = []
    private var free: [Int] = []
    /// In-order arrivals: `ringCount` of them from `ringHead` on, in a ring of `ringMask + 1`.
    private var ring: UnsafeMutablePointer<Entry>
    private var ringMask: Int
    private var ringHead = 0
    private var ringCount = 0
    var maxTime: Int64 = .min
    var released: Int64 = .min
    var headInHeap = false
    /// The source's cursor (its merger keeps it; nil: a buffer filled by hand), clock offset, and
    /// whether it has ended.
    let cursor: Unmanaged<SourceCursor>?
    let offset: Int64
    var exhausted = false

    init(cursor: Unmanaged<SourceCursor>? = nil, offset: Int64 = 0) {
        self.cursor = cursor
        self.offset = offset
        let c = 1024
        ring = .allocate(capacity: c)
        ring.initialize(repeating: Entry(time: 0, seq: 0, event: nil), count: c)
        ringMask = c - 1
    }

    /// Frees the ring and the events still in it.
    mutating func destroy() {
        ring.deinitialize(count: ringMask + 1)
        ring.deallocate()
        ringCount = 0
    }

    /// True when the next event comes from the FIFO (its head is before the heap's).
    private var nextFromFifo: Bool {
        guard ringCount > 0 else { return false }
        guard let h = heap.first else { return true }
        let f = ring + ringHead
        return (f.pointee.time, f.pointee.seq) < (h.time, h.seq)
    }

    /// The (time, seq) that comes out next.
    var first: (time: Int64, seq: Int)? {
        if nextFromFifo { let f = ring + ringHead; return (f.pointee.time, f.pointee.seq) }
        return heap.first.map { ($0.time, $0.seq) }
    }

    var minTime: Int64? { first?.time }
    var minSeq: Int { first?.seq ?? 0 }

    mutating func insert(_ e: consuming Event, seq: Int) {
        let t = e.time
        if t >= maxTime {  // in order (seq grows with arrival): the FIFO stays sorted
            maxTime = t
            if ringCount > ringMask { growRing() }
            let p = ring + ((ringHead &+ ringCount) & ringMask)
            p.pointee.time = t
            p.pointee.seq = seq
            p.pointee.event = consume e
            ringCount += 1
            return
        }
        var slot: Int
        if let f = free.popLast() {
            slot = f
            slots[slot] = consume e
        } else {
            slot = slots.count
            slots.append(consume e)
        }
        heap.push(Key(time: t, seq: seq, slot: slot))
    }

    mutating func popFirst() -> Event {
        var out: Event? = nil
        if nextFromFifo {
            let p = ring + ringHead
            if p.pointee.time > released { released = p.pointee.time }
            swap(&out, &p.pointee.event)
            ringHead = (ringHead &+ 1) & ringMask
            ringCount -= 1
        } else {
            let top = heap.pop()!
            if top.time > released { released = top.time }
            swap(&out, &slots[top.slot])
            free.append(top.slot)
        }
        return out!
    }

    /// Doubles the ring; the entries move, in FIFO order, to the front of the new one.
    private mutating func growRing() {
        let old = ringMask + 1
        let bigger = UnsafeMutablePointer<Entry>.allocate(capacity: old * 2)
        let tail = old - ringHead
        bigger.moveInitialize(from: ring + ringHead, count: tail)
        (bigger + tail).moveInitialize(from: ring, count: ringHead)
        (bigger + old).initialize(repeating: Entry(time: 0, seq: 0, event: nil), count: old)
        ring.deallocate()
        ring = bigger
        ringMask = old * 2 - 1
        ringHead = 0
    }
}

/// A binary min-heap; `pop` gives the least element. Used by the merger and the reorder buffers.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    var first: Element? { items.first }
    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ x: Element) {
        items.append(x)
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard items[c] < items[p] else { break }
            items.swapAt(c, p)
            c = p
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown()
        }
        return top
    }

    /// Replaces the least element with `x` (the heap must not be empty): `pop` then `push` in one
    /// sift.
    mutating func replaceFirst(_ x: Element) {
        items[0] = x
        siftDown()
    }

    private mutating func siftDown() {
        var p = 0
        while true {
            let l = 2 * p + 1, r = l + 1
            var m = p
            if l < items.count, items[l] < items[m] { m = l }
            if r < items.count, items[r] < items[m] { m = r }
            if m == p { break }
            items.swapAt(p, m)
            p = m
        }
    }
}
