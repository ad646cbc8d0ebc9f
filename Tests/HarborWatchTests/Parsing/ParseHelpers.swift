@testable import HarborWatch

/// Parses one line the way a source would, with year 2024 and UTC syslog times.
func parseLine(
    _ line: String, hint: Component? = nil, options: ParseOptions = ParseOptions(), year: Int = 2024,
    zone: SyslogZone = .fixed(0)
) -> (ParseResult, Event) {
    var parser = LineParser(options: options, componentHint: hint, clock: SyslogClock(year: year, reference: nil, zone: zone))
    return parseLine(line, with: &parser)
}

/// Parses one line with an existing parser.
func parseLine(_ line: String, with parser: inout LineParser) -> (ParseResult, Event) {
    var e = Event()
    let bytes = Array(line.utf8)
    let r = bytes.withUnsafeBufferPointer { parser.parse($0, into: &e) }
    return (r, e)
}

/// Nanoseconds of an RFC 3339 UTC time.
func t(_ s: String) -> Int64 {
    let b = Array(s.utf8)
    return b.withUnsafeBufferPointer { Timestamps.rfc3339($0, 0..<$0.count)!.nanos }
}

let dockerUA = #"docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \(linux\))"#
