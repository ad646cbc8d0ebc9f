/// Where `LineProcessor` hands its events: a list (`[Event]`, the batch and the live follower), or
/// a function called at once (`SourceCursor.forEach`).
protocol EventSink {
    /// Takes `e`, an event of the source in order.
    mutating func take(_ e: consuming Event)
    /// The box of an event taken before and done with, reset, for the next line's event; nil
    /// when the sink has none (a list keeps its events).
    mutating func reusableBox() -> EventStorage?
}

extension EventSink {
    @inline(__always)
    mutating func reusableBox() -> EventStorage? { nil }
}

extension Array: EventSink where Element == Event {
    @inline(__always)
    mutating func take(_ e: consuming Event) { append(e) }
}

/// Turns the lines of one source into events: parses each, joins continuation lines to the record
/// before them, expands `message repeated N times`, and counts every outcome.
///
/// Shared by the batch cursor and the live follower. Harbor-text and registry records are held
/// until the next line shows they have no continuation (or `flush` is called).
struct LineProcessor {
    var parser: LineParser
    var stats: SourceStats
    let site: String
    let maxSamples: Int
    let maxLineLength: Int
    var fileName = ""
    var lineNo = 0
    /// Where new events' boxes come from, when the run recycles them (one thread only).
    var pool: EventPool?
    /// The held record. Taken out when handed on, not left behind: a reference left here shared
    /// the event's box with the consumer, whose first write then copied it, and whose box went
    /// unrecycled.
    private var pending: Event?

    init(parser: LineParser, stats: SourceStats, site: String, maxSamples: Int, maxLineLength: Int) {
        self.parser = parser
        self.stats = stats
        self.site = site
        self.maxSamples = maxSamples
        self.maxLineLength = maxLineLength
    }

    /// Hands out the held record, if any.
    @inline(__always)
    mutating func flush<Sink: EventSink>(into out: inout Sink) {
        if let p = pending.take() {
            out.take(consume p)  // moved: a copy left the box shared, and not reusable
        }
    }

    /// Reads one line.
    @inline(__always)
    mutating func handle<Sink: EventSink>(_ line: UnsafeBufferPointer<UInt8>, _ flags: LineFlags, into out: inout Sink) {
        lineNo += 1
        stats.lines += 1
        if flags.contains(.truncated) { stats.truncated += 1 }
        // Placed while it is a local of its own (placed through `e.s`, the box was retained and
        // released around the call), then moved into `e` (`consume`: a copy would leave it shared,
        // and every parser's `writable()` would copy it), which holds it alone: parsers write it
        // in place.
        let box = out.reusableBox() ?? pool?.take() ?? EventStorage()
        box.place(site: site, file: fileName, line: lineNo)
        var e = Event(box: consume box)
        switch parser.parse(line, into: &e) {
        case .event(let count):
            stats.events += count
            flush(into: &out)
            for _ in 1..<max(1, count) { out.take(e) }
            if e.format == .harborText || e.format == .registryLogrus {
                pending = consume e
            } else {
                out.take(consume e)  // a copy was retained, and the local released after it
            }
            return
        case .skip(let reason):
            stats.skipped[reason, default: 0] += 1
        case .malformed(let reason):
            stats.malformed[reason, default: 0] += 1
            if stats.malformedSamples.count < maxSamples {
                let why = flags.contains(.truncated) ? "\(reason.rawValue) (line cut at \(maxLineLength) bytes)" : reason.rawValue
                stats.malformedSamples.append(LineIssue(file: fileName, line: lineNo, reason: why))
            }
        case .continuation(let r):
            if pending != nil {
                stats.continuations += 1
                let text = Escapes.mayHaveRsyslogEscape(line, r) ? Escapes.rsyslog(line, r) : line.string(r)
                pending!.message = (pending!.message ?? "") + "\n" + text
            } else {
                stats.malformed[.orphanContinuation, default: 0] += 1
                if stats.malformedSamples.count < maxSamples {
                    stats.malformedSamples.append(LineIssue(file: fileName, line: lineNo, reason: MalformedReason.orphanContinuation.rawValue))
                }
            }
        }
        if let pool { e.recycle(into: pool) }  // no event: the box serves a later line
    }

    /// Adds the parser's per-format counts to the stats (at the end).
    mutating func finishStats() {
        for (k, v) in parser.formatCounts { stats.formats[k, default: 0] += v }
        if stats.component == .unknown, let top = stats.formats.max(by: { $0.value < $1.value })?.key {
            if top.hasPrefix("nginx") { stats.component = .nginx } else if top.hasPrefix("registry") { stats.component = .registry }
        }
    }
}
