/// Where a followed file stood in event time as it was read: points (newest event time, offset
/// after the last whole line, line number) at the end of each read, to find where a restart
/// starts re-reading to rebuild the detectors' state.
///
/// Bounded: points older than `keepNanos` before the newest go (a replay never reaches further
/// back), all but the newest of them; past `capacity` points, every other point goes, so the
/// points stay spread evenly over the time kept (a replay may have to go back hours, to the start
/// of an alert still firing, and starts at most one gap earlier than it must).
struct ReplayHistory {
    /// One read's end.
    struct Point: Equatable {
        /// The newest event time read up to `offset` (`.min`: the start, before any line).
        var time: Int64
        /// Offset after the last whole line.
        var offset: Int64
        /// Lines read up to `offset`.
        var lines: Int
    }

    private(set) var points: [Point] = []
    let capacity: Int
    let keepNanos: Int64

    init(capacity: Int = 4096, keepNanos: Int64 = .max) {
        self.capacity = max(4, capacity)
        self.keepNanos = keepNanos
    }

    var isEmpty: Bool { points.isEmpty }

    /// When the first point is a start (time `.min`: before any line read), the event time of the
    /// first line after it, if known: how far back a replay from there reaches.
    private(set) var startEventTime: Int64?

    /// Adds a start point (before any line read) and the time of the first line after it.
    mutating func recordStart(_ p: Point, firstEvent: Int64?) {
        if points.isEmpty { startEventTime = firstEvent }
        record(p)
    }

    /// The earliest event time a replay that reaches back to `horizon` re-reads (`.min`: not known,
    /// from the start of the file).
    func reach(before horizon: Int64) -> Int64? {
        guard let p = point(before: horizon) else { return nil }
        if p.time == .min { return startEventTime ?? .min }
        return p.time
    }

    /// Points closer in time than this to the one before them are replaced, not added (0 until
    /// the history first fills).
    private(set) var minGap: Int64 = 0

    /// Adds the end of a read.
    mutating func record(_ p: Point) {
        let n = points.count
        if minGap > 0, n >= 2, points[n - 2].time > .min, p.time - points[n - 2].time < minGap {
            points[n - 1] = p  // the newest stays, the gaps stay at least `minGap`
        } else {
            points.append(p)
        }
        if keepNanos < .max, p.time > .min + keepNanos, points.count > 1 {
            let boundary = p.time - keepNanos
            // The newest point at or before the boundary stays: a replay from the boundary starts there.
            var drop = 0
            while drop + 1 < points.count, points[drop + 1].time <= boundary { drop += 1 }
            // Dropped a few at a time only (each drop moves every point held).
            if drop > 0, drop >= points.count / 16 || points.count >= capacity {
                points.removeFirst(drop)
                startEventTime = nil
            }
        }
        guard points.count > capacity else { return }
        // Full: every other point goes, and points come at most half as often from now on.
        let timed = points.first { $0.time > .min }?.time ?? p.time
        minGap = max(minGap * 2, (p.time - timed) / Int64(capacity / 2))
        var kept: [Point] = []
        kept.reserveCapacity(points.count / 2 + 1)
        for i in stride(from: 0, to: points.count - 1, by: 2) { kept.append(points[i]) }
        kept.append(points[points.count - 1])
        points = kept
    }

    /// Forgets every point (the file was rotated: its offsets are another file's).
    mutating func removeAll() {
        points.removeAll()
        startEventTime = nil
    }

    /// Puts the points of a replay (re-read before these) in front, those before the first point
    /// held, so that the next checkpoint can still reach back into what was replayed.
    mutating func prepend(_ replayed: [Point], firstEvent: Int64?) {
        let firstHeld = points.first?.offset ?? .max
        let held = points
        let heldStart = startEventTime
        points = []
        startEventTime = nil
        for p in replayed where p.offset < firstHeld {
            if points.isEmpty { startEventTime = firstEvent }
            record(p)
        }
        if points.isEmpty { startEventTime = heldStart }
        for p in held { record(p) }
    }

    /// The newest point at or before event time `horizon` (where a replay starts), else the
    /// oldest point; nil when there is none.
    func point(before horizon: Int64) -> Point? {
        points.last { $0.time <= horizon } ?? points.first
    }
}
