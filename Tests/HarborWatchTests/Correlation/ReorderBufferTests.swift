import Testing
@testable import HarborWatch

@Suite struct ReorderBufferTests {
    /// Inserts and takes interleaved as the merger does them, nearly sorted times with some late
    /// ones, replayed on a plain sorted list: every take is the least (time, arrival) held. Up to
    /// about 9,000 events are held, so the FIFO's ring (1,024 places at first) wraps and grows
    /// several times with its head anywhere.
    @Test func everyTakeIsTheLeastHeld() {
        var rng = SplitMix(seed: 23)
        var buffer = ReorderBuffer()
        defer { buffer.destroy() }
        // what the buffer holds, sorted by (time, seq), from `head` on
        var held: [(time: Int64, seq: Int)] = []
        var head = 0
        var clock: Int64 = 0
        var seq = 0, taken = 0, late = 0
        for round in 0..<300 {
            for _ in 0..<Int(rng.next() % 200) {
                clock += Int64(rng.next() % 4)
                let isLate = rng.next() % 6 == 0
                let t = isLate ? clock - Int64(rng.next() % 50) : clock
                var e = Event(site: "s", file: "f", line: seq)
                e.time = t
                buffer.insert(e, seq: seq)
                var lo = head, hi = held.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if (held[mid].time, held[mid].seq) < (t, seq) { lo = mid + 1 } else { hi = mid }
                }
                held.insert((t, seq), at: lo)
                seq += 1
                if isLate { late += 1 }
            }
            // takes lag the inserts until the last rounds, which empty the buffer
            let takes = round < 280 ? Int(rng.next() % 170) : Int.max
            var k = 0
            while k < takes, head < held.count {
                let want = held[head]
                head += 1
                #expect(buffer.minTime == want.time)
                #expect(buffer.minSeq == want.seq)
                let e = buffer.popFirst()
                #expect(e.time == want.time && e.line == want.seq)
                taken += 1
                k += 1
            }
        }
        #expect(buffer.minTime == nil)
        #expect(taken == seq)
        #expect(seq > 25_000 && late > 3_000)
    }
}
