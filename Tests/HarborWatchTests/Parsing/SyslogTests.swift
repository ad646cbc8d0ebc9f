import Testing
@testable import HarborWatch

@Suite struct SyslogTests {
    @Test func spacePaddedDay() {
        let (r, e) = parseLine(#"Sep  8 09:05:17 172.18.0.1 registry[1043]: 172.18.0.6 - - [08/Sep/2024:09:05:16 +0000] "GET / HTTP/1.1" 200 0 "" "curl/8.0""#)
        #expect(r == .event(count: 1))
        #expect(e.kind == .health)
        #expect(e.time == t("2024-09-08T09:05:16Z"))
    }

    @Test func prefixZoneAppliesToNginxLines() {
        let (_, e) = parseLine(#"Sep 18 10:00:01 172.18.0.1 proxy[1043]: 10.0.0.1 - "GET /v2/ HTTP/1.1" 401 76 "-" "ua" 0.001 0.001 ."#, zone: .fixed(8 * 3600))
        #expect(e.time == t("2024-09-18T02:00:01Z"))
        let (_, n) = parseLine(#"Jan  2 10:00:01 h proxy[1]: 10.0.0.1 - "GET /v2/ HTTP/1.1" 401 76 "-" "ua" 0.001 0.001 ."#, zone: .named("America/New_York"))
        #expect(n.time == t("2024-01-02T15:00:01Z"))
    }

    @Test func messageRepeated() {
        let (r, e) = parseLine(#"Sep 18 10:00:01 172.18.0.1 proxy[1043]: message repeated 3 times: [ 127.0.0.1 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - .]"#)
        #expect(r == .event(count: 3))
        #expect(e.status == 308)
    }

    @Test func otherComponentsAreSkipped() {
        let (r, _) = parseLine("Sep 18 10:00:01 172.18.0.1 postgresql[1043]: LOG:  checkpoint starting: time")
        #expect(r == .skip(.otherComponent))
    }

    @Test func garbledPrefixInAWrappedSourceIsMalformed() {
        var p = LineParser(options: ParseOptions(), componentHint: .core, clock: SyslogClock(year: 2024, reference: nil, zone: .fixed(0)))
        _ = parseLine("Sep 18 10:00:00 172.18.0.1 core[1043]: 2024-09-18T10:00:00Z [INFO] [/core/main.go:182]: ok", with: &p)
        let (r, _) = parseLine("Sep 3x 10:00:00 172.18.0.1 core[1043]: 2024-09-18T10:00:00Z [INFO] [/core/main.go:182]: ok", with: &p)
        #expect(r == .malformed(.badSyslogPrefix))
        let (b, _) = parseLine("\u{0}\u{0}\u{1}junk\u{0}", with: &p)
        #expect(b == .malformed(.binary))
    }

    /// A line that repeats the prefix of the line before reuses what was read of it (`PrefixMemo`);
    /// the events must be exactly those of a parser that reads every prefix again (a line without a
    /// prefix between them empties the memo), across a year's turn, tags with and without a space
    /// after the colon, a new clock, and lines whose payload carries its own time.
    @Test func repeatedPrefixGivesWhatReadingAgainGives() {
        let lines = [
            #"Dec 31 23:59:59 172.18.0.1 proxy[1168]: 10.0.0.1 - "GET /v2/ HTTP/1.1" 401 76 "-" "ua" 0.001 0.001 ."#,
            #"Dec 31 23:59:59 172.18.0.1 proxy[1168]: 10.0.0.2 - "GET /v2/a/b/manifests/1 HTTP/1.1" 200 5 "-" "ua" 0.002 0.002 ."#,
            #"Jan  1 00:00:00 172.18.0.1 proxy[1168]: 10.0.0.1 - "HEAD /v2/a/b/blobs/sha256:00 HTTP/1.1" 404 0 "-" "ua" 0.001 0.001 ."#,
            #"Jan  1 00:00:00 172.18.0.1 proxy[1168]: 10.0.0.3 - "GET /v2/ HTTP/1.1" 401 76 "-" "ua" 0.001 0.001 ."#,
            #"Dec 31 23:59:58 172.18.0.1 proxy[1168]: 10.0.0.4 - "GET /v2/ HTTP/1.1" 200 2 "-" "ua" 0.001 0.001 ."#,
            #"Dec 31 23:59:58 172.18.0.1 proxy[1168]: 10.0.0.4 - "GET /v2/ HTTP/1.1" 200 2 "-" "ua" 0.001 0.001 ."#,
            #"Jan  1 00:00:01 172.18.0.1 core[1043]: 2025-01-01T00:00:01Z [INFO] [/core/main.go:182]: ok"#,
            #"Jan  1 00:00:01 172.18.0.1 core[1043]: 2025-01-01T00:00:09Z [INFO] [/core/main.go:182]: own time"#,
            #"Jan  1 00:00:01 172.18.0.1 core[1043]:2025-01-01T00:00:02Z [INFO] [/core/main.go:182]: no space"#,
            #"Jan  1 00:00:01 172.18.0.1 core[1043]:2025-01-01T00:00:03Z [INFO] [/core/main.go:182]: no space"#,
            #"Jan  1 00:00:01 172.18.0.1 postgresql[9]: LOG:  checkpoint"#,
            #"Jan  1 00:00:01 172.18.0.1 postgresql[9]: LOG:  checkpoint"#,
            #"Jan  1 00:00:01 172.18.0.1 proxy[1168]: "#,
            #"Jan  1 00:00:01 172.18.0.1 proxy[1168]: message repeated 2 times: [ 10.0.0.1 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - .]"#,
            #"Jan  1 00:00:01 172.18.0.1 proxy[1168]: 10.0.0.1 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"  Jan  1 00:00:01 172.18.0.1 proxy[1168]: 10.0.0.1 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan  1 00:00:01 172.18.0.1 proxy[1168]: 10.0.0.1 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan  1 00:00:01 172.18.0.1 proxy[1168]: not an nginx line"#,
            #"Jan  1 00:00:01 172.18.0.1 proxy[1168]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            // A new second of the same host and tag, then of another pid, host, day, and times
            // that are not times: only the time is read again where the rest is the same bytes.
            #"Jan  1 00:00:02 172.18.0.1 proxy[1168]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan  1 00:00:03 172.18.0.1 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan  1 00:00:03 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan 10 00:00:03 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan 10 25:00:03 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan 10 00:00:04 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan 32 00:00:05 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan 10 00:00:05 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"jan 10 00:00:06 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan 10 00:00:07 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"<30>Jan 10 00:00:07 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"<30>Jan 10 00:00:08 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan 10 00:00:09 172.18.0.2 proxy[1169]: 10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
            #"Jan 10 00:00:10 172.18.0.2 proxy[1169]:10.0.0.9 - "GET / HTTP/1.1" 308 0 "-" "curl/7.88" 0.000 - ."#,
        ]
        func clock() -> SyslogClock { SyslogClock(year: nil, reference: t("2025-01-01T05:00:00Z"), zone: .fixed(3600)) }
        var memo = LineParser(options: ParseOptions(), clock: clock())
        var fresh = LineParser(options: ParseOptions(), clock: clock())
        for (k, line) in lines.enumerated() {
            if k == 18 {  // a new clock (a new file of the set) between two lines of one prefix: the memo's time must not outlive it
                memo.clock = SyslogClock(year: 2030, reference: nil, zone: .fixed(0))
                fresh.clock = SyslogClock(year: 2030, reference: nil, zone: .fixed(0))
            }
            let (r1, e1) = parseLine(line, with: &memo)
            let (r0, e0) = parseLine(line, with: &fresh)
            #expect(r1 == r0, "line \(k + 1)")
            #expect(e1 == e0, "line \(k + 1)")
            #expect(memo.lastPrefix == fresh.lastPrefix, "line \(k + 1)")
            _ = parseLine("no prefix here", with: &fresh)  // empties its memo, leaves its clock
        }
        // Lines 2, 4, 6, 8, 15, 18 and 19 reuse the prefix before them; the others may not (a new
        // second, no space after the colon, a skipped tag, an empty payload, leading spaces).
        #expect(memo.prefixReuses == 7)
        #expect(fresh.prefixReuses == 0)
        // Only the time read again: lines 3, 5, 20 and 23 (a new second, or day, of the line
        // before's host, tag and pid). Not for another pid or host, nor a time that is not one
        // (25:00, Jan 32, jan), a `<PRI>`, or a tag without the space after its colon.
        #expect(memo.prefixTimeReuses == 4)
        #expect(fresh.prefixTimeReuses == 0)
        // The times themselves: the year turns at Jan 1 and a late Dec 31 line stays in 2024.
        var p = LineParser(options: ParseOptions(), clock: clock())
        let times = lines.prefix(6).map { parseLine($0, with: &p).1.time }
        #expect(times == [t("2024-12-31T22:59:59Z"), t("2024-12-31T22:59:59Z"), t("2024-12-31T23:00:00Z"),
                          t("2024-12-31T23:00:00Z"), t("2024-12-31T22:59:58Z"), t("2024-12-31T22:59:58Z")])
    }

    @Test func highPrecisionPrefix() {
        let (r, e) = parseLine(#"2024-09-18T10:00:01.500+08:00 hub-1 proxy[1043]: 10.0.0.1 - "GET /v2/ HTTP/1.1" 401 76 "-" "ua" 0.001 0.001 ."#)
        #expect(r == .event(count: 1))
        #expect(e.time == t("2024-09-18T02:00:01.5Z"))
    }

    @Test func yearFromReferenceAndRollover() {
        var clock = SyslogClock(year: nil, reference: t("2025-01-01T05:00:00Z"), zone: .fixed(0))
        let dec = SyslogPrefix(month: 12, day: 31, secondOfDay: 86_399, absolute: nil, host: 0..<0, tag: 0..<0, payload: 0)
        let jan = SyslogPrefix(month: 1, day: 1, secondOfDay: 1, absolute: nil, host: 0..<0, tag: 0..<0, payload: 0)
        #expect(clock.nanos(dec) == t("2024-12-31T23:59:59Z"))
        #expect(clock.nanos(jan) == t("2025-01-01T00:00:01Z"))
        #expect(clock.nanos(jan) == t("2025-01-01T00:00:01Z"))
        var fixed = SyslogClock(year: 2020, reference: nil, zone: .fixed(0))
        #expect(fixed.nanos(dec) == t("2020-12-31T23:59:59Z"))
        #expect(fixed.nanos(jan) == t("2021-01-01T00:00:01Z"))
        #expect(fixed.nanos(jan) == t("2021-01-01T00:00:01Z"))
    }

    @Test(arguments: [("UTC", SyslogZone.fixed(0)), ("+08:00", .fixed(28800)), ("-0500", .fixed(-18000)), ("+8", .fixed(28800)), ("Asia/Shanghai", .named("Asia/Shanghai"))])
    func zones(text: String, zone: SyslogZone) {
        #expect(SyslogZone(text) == zone)
    }

    @Test func badZone() {
        #expect(SyslogZone("Mars/Base") == nil)
        #expect(SyslogZone("+25:00") == nil)
    }

    @Test func timestampsRoundTrip() {
        #expect(Timestamps.format(t("2024-09-18T10:00:01.298269790Z")) == "2024-09-18T10:00:01.298269790Z")
        #expect(Timestamps.format(t("2024-02-29T00:00:00Z")) == "2024-02-29T00:00:00Z")
        #expect(Timestamps.format(t("1999-12-31T23:59:59.5Z")) == "1999-12-31T23:59:59.500Z")
    }
}

@Suite struct FormatCountTests {
    /// The per-format counts of a proxy log whose lines change between Harbor's format and
    /// nginx's `combined` (the preferred format's lines are counted apart until it changes).
    @Test func countsFollowTheFormatThatReadEachLine() {
        var parser = LineParser(options: ParseOptions(), componentHint: .proxy, clock: SyslogClock(year: 2024, reference: nil, zone: .fixed(0)))
        let harbor = #"Sep 18 10:00:01 172.18.0.1 proxy[1168]: 10.0.0.2 - "GET /v2/ HTTP/1.1" 401 76 "-" "docker/24.0.7" 0.003 0.003 ."#
        let combined = #"Sep 18 10:00:02 172.18.0.1 proxy[1168]: 10.0.0.3 - - [18/Sep/2024:10:00:02 +0000] "GET /v2/ HTTP/1.1" 200 2 "-" "curl/8""#
        var want = [String: Int]()
        let runs: [(String, Int)] = [(harbor, 3), (combined, 5), (harbor, 1), (harbor, 2), (combined, 4), (harbor, 7)]
        for (line, n) in runs {
            for _ in 0..<n {
                let (result, e) = parseLine(line, with: &parser)
                guard case .event = result else {
                    Issue.record("not an event: \(line)")
                    continue
                }
                let name = e.status == 401 ? "nginx:timed_combined" : "nginx:" + NginxLogFormat.combined.name
                want[name, default: 0] += 1
            }
            #expect(parser.formatCounts == want)
        }
        #expect(want == ["nginx:timed_combined": 13, "nginx:combined": 9])
    }
}
