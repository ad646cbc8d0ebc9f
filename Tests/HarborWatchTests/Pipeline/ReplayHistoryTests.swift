import Testing
@testable import HarborWatch

@Suite struct ReplayHistoryTests {
    /// A day of reads, one a second, with 6 h 15 min kept: the history stays within its capacity
    /// and its window, keeps points evenly spread, and the point it gives for a time in the window
    /// is never after that time and at most one gap (about 2 × 6.25 h / 4,096, 11 s) before it.
    @Test func boundedEvenlySpreadOverTheTimeKept() {
        let keep = Int64(22_500) * 1_000_000_000
        var h = ReplayHistory(capacity: 4096, keepNanos: keep)
        h.record(.init(time: .min, offset: 0, lines: 0))
        let n = 86_400
        for i in 1...n { h.record(.init(time: Int64(i) * 1_000_000_000, offset: Int64(i) * 100, lines: i)) }
        #expect(h.points.count <= 4096)
        #expect(h.points.count > 1024)
        #expect(h.points.last?.lines == n)
        #expect(zip(h.points, h.points.dropFirst()).allSatisfy { $0.offset < $1.offset && $0.time <= $1.time })
        let newest = Int64(n) * 1_000_000_000
        // The oldest points are at or before the window's start, a sixteenth of them at most
        // (they go a few at a time).
        let stale = h.points.filter { $0.time <= newest - keep }.count
        #expect(stale >= 1 && stale <= h.points.count / 16 + 1, "\(stale) of \(h.points.count)")
        for back in [1, 60, 900, 3600, 6 * 3600] {
            let horizon = newest - Int64(back) * 1_000_000_000
            let p = h.point(before: horizon)!
            #expect(p.time <= horizon)
            #expect(horizon - p.time <= 11_000_000_000, "\(back) s back: \((horizon - p.time) / 1_000_000_000) s early")
        }
        // Before the window: as far back as it goes.
        #expect(h.point(before: newest - 20 * 3600 * 1_000_000_000) == h.points[0])
    }

    /// Without a window (the default), the history keeps the start and spreads its points over
    /// the whole time read.
    @Test func withoutAWindowItReachesBackToTheStart() {
        var h = ReplayHistory(capacity: 1000)
        h.record(.init(time: .min, offset: 0, lines: 0))
        for i in 1...100_000 { h.record(.init(time: Int64(i), offset: Int64(i), lines: i)) }
        #expect(h.points.count <= 1000)
        #expect(h.points.first == .init(time: .min, offset: 0, lines: 0))
        #expect(h.point(before: 0)?.offset == 0)
        for horizon: Int64 in [50, 5_000, 50_000, 99_000] {
            let p = h.point(before: horizon)!
            let time = max(p.time, 0)  // the start (`.min`): offset 0
            #expect(p.time <= horizon && horizon - time <= 256, "\(horizon): \(p.time)")
        }
    }

    /// A replay's points go in front of what was read since, those it re-read before them only.
    @Test func replayedPointsGoInFront() {
        var h = ReplayHistory()
        h.record(.init(time: 50, offset: 500, lines: 5))
        h.record(.init(time: 60, offset: 600, lines: 6))
        h.prepend([.init(time: .min, offset: 100, lines: 1), .init(time: 30, offset: 300, lines: 3), .init(time: 55, offset: 550, lines: 5)], firstEvent: 20)
        #expect(h.points.map(\.offset) == [100, 300, 500, 600])
        #expect(h.point(before: 40)?.offset == 300)
        #expect(h.point(before: 10)?.offset == 100)
        var empty = ReplayHistory()
        #expect(empty.point(before: 0) == nil)
        empty.prepend([.init(time: .min, offset: 7, lines: 0)], firstEvent: nil)
        #expect(empty.point(before: 0)?.offset == 7)
    }

    /// How far back a replay reaches: from a start point, the first line read after it; from a
    /// later point, its time; after a rotation (the history forgotten), only what came since.
    @Test func reachIsTheFirstLineAReplayReReads() {
        var h = ReplayHistory()
        h.recordStart(.init(time: .min, offset: 0, lines: 0), firstEvent: 1_000)
        h.record(.init(time: 2_000, offset: 100, lines: 10))
        h.record(.init(time: 3_000, offset: 200, lines: 20))
        #expect(h.reach(before: 500) == 1_000)
        #expect(h.reach(before: 2_500) == 2_000)
        h.removeAll()
        #expect(h.reach(before: 500) == nil)
        h.record(.init(time: 4_000, offset: 50, lines: 5))  // the first read after a rotation
        #expect(h.reach(before: 500) == 4_000)
        // A replay's points in front: it reaches back to its first line.
        var r = ReplayHistory()
        r.record(.init(time: 9_000, offset: 900, lines: 90))
        r.prepend([.init(time: .min, offset: 300, lines: 30), .init(time: 7_000, offset: 700, lines: 70)], firstEvent: 6_500)
        #expect(r.reach(before: 100) == 6_500)
        #expect(r.reach(before: 8_000) == 7_000)
        // A window that drops the start forgets where it was.
        var w = ReplayHistory(keepNanos: 1_000)
        w.recordStart(.init(time: .min, offset: 0, lines: 0), firstEvent: 10)
        for t in stride(from: Int64(100), through: 5_000, by: 100) { w.record(.init(time: t, offset: t, lines: Int(t))) }
        #expect(w.points.first!.time > .min)
        #expect(w.reach(before: 0) == w.points.first!.time)
    }
}
