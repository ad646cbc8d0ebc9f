import Testing
@testable import HarborWatch

/// `Timestamps.TimeLocalMemo`, which remembers the last line's date and zone, answers as
/// `Timestamps.timeLocal` reads every line afresh.
@Suite struct TimeLocalMemoTests {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Sept", "jan"]

    /// A run of lines that mostly keep their date and zone, and now and then change the day, the
    /// month, the year, the zone's sign or digits, or break a byte, the time of day included.
    @Test func sameAnswersAsReadingEveryLine() {
        var rng = SplitMix(seed: 7)
        var memo = Timestamps.TimeLocalMemo()
        var day = 18, month = 8, year = 2024, sign = "+", zone = "0000"
        var memoHits = 0
        for n in 0..<40_000 {
            switch rng.next() % 40 {
            case 0: day = Int(rng.next() % 33)  // 0 and 32 are not days
            case 1: month = Int(rng.next() % UInt64(Self.months.count))
            case 2: year = [1677, 1678, 1969, 2024, 2261, 2262, 9999][Int(rng.next() % 7)]
            case 3: sign = ["+", "-", "*"][Int(rng.next() % 3)]
            case 4: zone = ["0000", "0800", "0530", "1a00", "9999"][Int(rng.next() % 5)]
            default: break
            }
            let h = Int(rng.next() % 25), m = Int(rng.next() % 61), s = Int(rng.next() % 62)
            var text = String(format2(day)) + "/" + Self.months[month] + "/" + String(year) + ":"
                + format2(h) + ":" + format2(m) + ":" + format2(s) + " " + sign + zone + "] \"GET / HTTP/1.1\""
            if rng.next() % 50 == 0 {
                // one byte broken anywhere in the time
                var bytes = Array(text.utf8)
                bytes[Int(rng.next() % 26)] = [UInt8(ascii: "x"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: " ")][Int(rng.next() % 4)]
                text = String(decoding: bytes, as: UTF8.self)
            }
            let pad = String(repeating: " ", count: n % 3)
            let bytes = Array((pad + text).utf8)
            bytes.withUnsafeBufferPointer { b in
                let want = Timestamps.timeLocal(b, at: pad.utf8.count)
                let got = memo.time(b, at: pad.utf8.count)
                #expect(got == want, "\(text)")
                if want != nil { memoHits += 1 }
            }
        }
        #expect(memoHits > 5_000)  // times read (the rest are invalid on purpose, and compared too)
    }

    /// At the end of a buffer the memo reads no byte past it: a time cut short is no time.
    @Test func shortBufferIsNoTime() {
        var memo = Timestamps.TimeLocalMemo()
        let full = Array("18/Sep/2024:10:00:01 +0000".utf8)
        full.withUnsafeBufferPointer { #expect(memo.time($0, at: 0) == Timestamps.timeLocal($0, at: 0)) }
        for cut in 0..<26 {
            let part = Array(full[0..<cut])
            part.withUnsafeBufferPointer { #expect(memo.time($0, at: 0) == nil) }
        }
        #expect(full.withUnsafeBufferPointer { memo.time($0, at: 0) } == t("2024-09-18T10:00:01Z"))
    }

    /// A time its nanoseconds since 1970 cannot hold (after 2262-04-11, before 1677-09-21) is no
    /// time, in every layout: the line is malformed, not dated in another century (the product
    /// overflowed, and wrapped in a release build: 9999 read as 1815).
    @Test func yearsOutOfRangeAreNoTime() {
        func read(_ s: String, _ f: (LineBytes) -> Int64?) -> Int64? { Array(s.utf8).withUnsafeBufferPointer { f($0) } }
        var memo = Timestamps.TimeLocalMemo()
        for (year, ok) in [(1677, false), (1678, true), (2261, true), (2262, false), (9999, false)] {
            let local = "01/Jan/\(year):00:00:00 +0000"
            #expect((read(local) { Timestamps.timeLocal($0, at: 0) } != nil) == ok, "\(local)")
            #expect((read(local) { memo.time($0, at: 0) } != nil) == ok, "\(local)")
            let iso = "\(year)-01-01T00:00:00Z"
            #expect((read(iso) { Timestamps.rfc3339($0, 0..<$0.count)?.nanos } != nil) == ok, "\(iso)")
            let error = "\(year)/01/01 00:00:00"
            #expect((read(error) { Timestamps.nginxErrorTime($0, at: 0) } != nil) == ok, "\(error)")
        }
        #expect(read("9223372035.999") { Timestamps.msec($0, 0..<$0.count) } != nil)
        #expect(read("9223372037.0") { Timestamps.msec($0, 0..<$0.count) } == nil)
        #expect(read("99999999999999999999.5") { Timestamps.msec($0, 0..<$0.count) } == nil)
        // From the parsers: the line is malformed, and says why.
        let lines: [(String, Component?)] = [
            (#"10.0.0.2 - - [12/Jul/9999:00:00:00 +0000] "GET /v2/ HTTP/1.1" 401 4 "-" "x""#, .nginx),
            (#"10.0.0.2 - - [12/Jul/1066:00:00:00 +0000] "GET /v2/ HTTP/1.1" 401 4 "-" "x""#, nil),
            (#"time="9999-09-18T00:00:00.078515768Z" level=info msg="x" http.request.method=GET"#, .registry),
            (#"Sep 18 00:00:00 172.18.0.1 registry[1043]: time="2300-09-18T00:00:00Z" level=info msg="x""#, nil),
            ("2263-09-18T10:00:01Z [INFO] [/replication/adapter.go:12]: x", .core),
            ("3024/09/18 10:00:01 [error] 31#31: *1 open() failed", .nginx),
        ]
        for (line, hint) in lines {
            let (r, _) = parseLine(line, hint: hint)
            #expect(r == .malformed(.timeOutOfRange), "\(line)")
        }
        // In range, the reasons of before: a garbled line whose time is fine is not blamed on it.
        let (g, _) = parseLine(#"10.0.0.2 - - [12/Jul/2024:00:00:00 +0000] "GET"#, hint: .nginx)
        #expect(g == .malformed(.nginx))
    }

    private func format2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
