#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads every line of one source: unwraps the syslog prefix, picks the payload's format, fills the event.
///
/// One instance per source (it keeps the source's state: year and zone of the syslog clock, the
/// nginx format that matched last, the interner). Formats are tried in the order that worked last,
/// so a source costs one parse attempt per line once its format is known.
public struct LineParser {
    /// Options shared by all sources.
    public let options: ParseOptions
    /// The component the file name suggests, if any.
    public var componentHint: Component?
    /// The job id of a job log file (its name), if any.
    public var jobIdFromFile: String?
    /// True when the source's lines carry the syslog prefix (then a line without one is malformed).
    public var wrapped = false
    /// Per-format counts of the lines read (`nginx:timed_combined`, `registry` …).
    public var formatCounts: [String: Int] {
        var out: [String: Int] = [:]
        for (k, name) in Self.fixedNames.enumerated() where counts[k] > 0 { out[name] = counts[k] }
        for (k, p) in nginx.enumerated() {
            let n = counts[Self.fixedNames.count + k] + (k == preferredNginx ? preferredHits : 0)
            if n > 0 { out["nginx:" + p.format.name] = n }
        }
        return out
    }
    private static let fixedNames = ["nginx-error", "harbor", "registry", "registry-access", "common-access", "forced"]
    private var counts: [Int]
    /// The lines the preferred nginx format read since it became the preferred one, not yet in
    /// `counts`: a stored Int, where an element of `counts` checked the array's uniqueness per line.
    private var preferredHits = 0

    /// The clock that dates syslog prefixes; replaced per file of a rotated set.
    public var clock: SyslogClock {
        didSet { memo.nanos = nil }
    }
    /// Learn the syslog zone and year from the first dated payload (a live stream, where no probe ran).
    public var learnsClock = false
    /// The syslog prefix of the last event, and its payload's own time (0 when it had none): clock probing.
    public private(set) var lastPrefix: SyslogPrefix?
    /// Keep `lastPrefix` (for clock probing); a run that does not read it turns this off (the
    /// prefix is a struct of ten words, and copying it out per line cost a store-to-load stall).
    public var keepsLastPrefix = true
    /// The payload's own time of the last syslog-wrapped event (0 when it had none).
    public private(set) var payloadTime: Int64 = 0
    var interner = StringInterner()
    private var lastTag: (lo: UInt64, hi: UInt64, count: Int, component: Component?)?
    private var memo = PrefixMemo()
    /// Lines whose syslog prefix was the line before's, not read again (see `PrefixMemo`).
    public private(set) var prefixReuses = 0
    /// Lines whose syslog prefix was the line before's but for its time (`PrefixMemo.sameButTime`).
    public private(set) var prefixTimeReuses = 0
    private var nginx: [NginxAccessParser]
    private var preferredNginx = 0
    private let registryAccess = NginxAccessParser(format: Self.gorillaCombined, backslashQuotes: true)
    private let commonAccess = NginxAccessParser(format: Self.gorillaCommon, backslashQuotes: true)

    static let gorillaCombined = try! NginxLogFormat(
        name: "gorilla_combined",
        pattern: #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#)
    static let gorillaCommon = try! NginxLogFormat(
        name: "common", pattern: #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#)

    /// A parser for one source.
    public init(options: ParseOptions, componentHint: Component? = nil, clock: SyslogClock) {
        self.options = options
        self.componentHint = componentHint
        self.clock = clock
        nginx = (options.nginxFormats + NginxLogFormat.builtIn).map { NginxAccessParser(format: $0) }
        counts = Array(repeating: 0, count: Self.fixedNames.count + nginx.count)
    }

    /// Parses `b` into `e` (whose site, file and line the caller set).
    public mutating func parse(_ b: LineBytes, into e: inout Event) -> ParseResult {
        if keepsLastPrefix { lastPrefix = nil }
        let all = 0..<b.count
        let r = b.trimmed(all)
        if r.isEmpty { return .skip(.blank) }
        // The prefix: the kept one, the kept one with this line's time (a new second of the same
        // host and tag: its host, tag and component not read again, about 250 instructions a
        // line), or read.
        let prefix: SyslogPrefix?
        let reused: Bool
        if memo.matches(b, r) {
            prefix = memo.prefix
            reused = true
            prefixReuses &+= 1
        } else if let p = memo.sameButTime(b, r) {
            prefix = p
            reused = true
            memo.keep(b, r, p, memo.component)
            prefixTimeReuses &+= 1
        } else {
            prefix = SyslogEnvelope.parse(b, r)
            reused = false
        }
        if let p = prefix {
            wrapped = true
            let component: Component
            if reused {
                component = memo.component
            } else {
                guard let c = self.component(ofTag: b, p.tag) else { memo.clear(); return .skip(.otherComponent) }
                component = c
                memo.keep(b, r, p, c)
            }
            var payload = p.payload..<r.upperBound
            var count = 1
            if let rep = SyslogEnvelope.repeated(b, payload) {
                count = max(1, rep.count)
                payload = rep.inner
            }
            if payload.isEmpty {
                e.component = component
                return .skip(.blank)
            }
            let result = parsePayload(b, payload, component: component, into: &e)
            if case .event = result {
                // The component and time set through the box, made unique once (each `e.` setter
                // checked its uniqueness again); the payload's parsers do not read the component.
                let w = e.writable()
                w.component = component
                if keepsLastPrefix { lastPrefix = p }
                payloadTime = w.time
                if learnsClock, w.time != 0, p.absolute == nil {
                    learnsClock = false
                    let zone: SyslogZone = options.syslogZone ?? .fixed(ClockProbe.offset(prefix: p, payload: w.time) ?? 0)
                    clock = SyslogClock(year: options.year, reference: w.time, zone: zone)
                }
                if w.time == 0 {
                    if let t = memo.nanos {
                        w.time = t
                    } else {
                        w.time = clock.nanos(p)
                        memo.nanos = w.time  // the memo holds this line's prefix (or nothing)
                    }
                }
                return .event(count: count)
            }
            e.component = component
            return Self.diagnosed(result, b, payload)
        }
        memo.clear()
        if wrapped && options.inputFormat == .auto {
            return .malformed(looksBinary(b, r) ? .binary : .badSyslogPrefix)
        }
        let component = componentHint ?? .unknown
        e.component = component
        let result = parsePayload(b, r, component: component, into: &e)
        if case .event = result {
            if e.component == .unknown { e.component = inferredComponent(e) }
            return result
        }
        return Self.diagnosed(result, b, r)
    }

    /// `result`, or for a line whose format did not match because its time is outside the years
    /// a time can have (`Timestamps.years`), that reason.
    private static func diagnosed(_ result: ParseResult, _ b: LineBytes, _ r: Range<Int>) -> ParseResult {
        guard case .malformed(let why) = result else { return result }
        switch why {
        case .noFormat, .nginx, .harborText, .registry, .access, .forced:
            return Timestamps.yearOutOfRange(b, r) != nil ? .malformed(.timeOutOfRange) : result
        case .badSyslogPrefix, .orphanContinuation, .binary, .timeOutOfRange:
            return result
        }
    }

    /// The component of the syslog tag `b[r]`. A source repeats one tag, so the last one is kept
    /// as two words and compared first (a String per line, and a switch over Strings, before).
    @inline(__always)
    private mutating func component(ofTag b: LineBytes, _ r: Range<Int>) -> Component? {
        guard r.count <= 16, let base = b.baseAddress else { return Component(syslogTag: b.string(r)) }
        var lo: UInt64 = 0, hi: UInt64 = 0
        for (k, i) in r.enumerated() {
            if k < 8 { lo |= UInt64(base[i]) << (8 * UInt64(k)) } else { hi |= UInt64(base[i]) << (8 * UInt64(k - 8)) }
        }
        if let last = lastTag, last.lo == lo, last.hi == hi, last.count == r.count { return last.component }
        let component = Component(syslogTag: b.string(r))
        lastTag = (lo, hi, r.count, component)
        return component
    }

    private func inferredComponent(_ e: Event) -> Component {
        switch e.format {
        case .nginxAccess, .nginxError: return .nginx
        case .registryLogrus, .registryAccess: return .registry
        case .commonAccess: return .registryctl
        case .harborText: return e.jobAction != .none ? .jobservice : .core
        case .unknown: return .unknown
        }
    }

    private mutating func parsePayload(_ b: LineBytes, _ r: Range<Int>, component: Component, into e: inout Event) -> ParseResult {
        if options.inputFormat != .auto { return forced(b, r, component: component, into: &e) }
        switch component {
        case .proxy, .nginx, .portal:
            if tryNginx(b, r, into: &e) { return .event(count: 1) }
            if NginxErrorParser.looksLike(b, r) {
                if NginxErrorParser.parse(b, r, into: &e, interner: &interner) { count(.nginxError); return .event(count: 1) }
            }
            return .malformed(looksBinary(b, r) ? .binary : .nginx)
        case .core, .jobservice, .registryctl, .job:
            if HarborTextParser.looksLike(b, r) {
                guard HarborTextParser.parse(b, r, into: &e, interner: &interner) else { return .malformed(.harborText) }
                count(.harbor)
                interpret(&e, component: component)
                return .event(count: 1)
            }
            if component == .registryctl, commonAccess.parse(b, r, into: &e, interner: &interner) {
                e.format = .commonAccess; e.timeIsStart = true; count(.commonAccess)
                return .event(count: 1)
            }
            return looksBinary(b, r) ? .malformed(.binary) : .continuation(r)
        case .registry:
            if RegistryLogrusParser.looksLike(b, r) {
                guard RegistryLogrusParser.parse(b, r, into: &e, interner: &interner) else { return .malformed(.registry) }
                count(.registry)
                return .event(count: 1)
            }
            if startsLikeAddress(b, r) {
                guard registryAccess.parse(b, r, into: &e, interner: &interner) else { return .malformed(.access) }
                e.format = .registryAccess; e.timeIsStart = true; count(.registryAccess)
                return .event(count: 1)
            }
            return looksBinary(b, r) ? .malformed(.binary) : .continuation(r)
        case .unknown:
            return sniff(b, r, into: &e)
        }
    }

    /// A line of a source whose component is not known: decide by its first bytes.
    private mutating func sniff(_ b: LineBytes, _ r: Range<Int>, into e: inout Event) -> ParseResult {
        if RegistryLogrusParser.looksLike(b, r) {
            return parsePayload(b, r, component: .registry, into: &e)
        }
        if HarborTextParser.looksLike(b, r) {
            guard HarborTextParser.parse(b, r, into: &e, interner: &interner) else { return .malformed(.harborText) }
            count(.harbor)
            JobMessageParser.interpret(&e)
            if e.jobAction == .none { CoreMessageParser.interpret(&e) }
            return .event(count: 1)
        }
        if NginxErrorParser.looksLike(b, r), NginxErrorParser.parse(b, r, into: &e, interner: &interner) {
            count(.nginxError)
            return .event(count: 1)
        }
        if tryNginx(b, r, into: &e) { return .event(count: 1) }
        if registryAccess.parse(b, r, into: &e, interner: &interner) {
            e.format = .registryAccess; e.timeIsStart = true; count(.registryAccess)
            return .event(count: 1)
        }
        return .malformed(looksBinary(b, r) ? .binary : .noFormat)
    }

    private mutating func forced(_ b: LineBytes, _ r: Range<Int>, component: Component, into e: inout Event) -> ParseResult {
        var ok = false
        switch options.inputFormat {
        case .auto: return sniff(b, r, into: &e)
        case .nginx: ok = tryNginx(b, r, into: &e)
        case .nginxError: ok = NginxErrorParser.parse(b, r, into: &e, interner: &interner)
        case .harbor:
            if HarborTextParser.looksLike(b, r) {
                ok = HarborTextParser.parse(b, r, into: &e, interner: &interner)
                if ok { interpret(&e, component: component) }
            } else {
                return .continuation(r)
            }
        case .registry:
            ok = RegistryLogrusParser.parse(b, r, into: &e, interner: &interner)
                || registryAccess.parse(b, r, into: &e, interner: &interner)
            if ok, e.format == .nginxAccess { e.format = .registryAccess; e.timeIsStart = true }
        case .registryAccess:
            ok = registryAccess.parse(b, r, into: &e, interner: &interner)
            if ok { e.format = .registryAccess; e.timeIsStart = true }
        case .commonAccess:
            ok = commonAccess.parse(b, r, into: &e, interner: &interner)
            if ok { e.format = .commonAccess; e.timeIsStart = true }
        }
        if ok {
            count(.forced)
            if e.component == .unknown { e.component = inferredComponent(e) }
            return .event(count: 1)
        }
        return .malformed(.forced)
    }

    private mutating func tryNginx(_ b: LineBytes, _ r: Range<Int>, into e: inout Event) -> Bool {
        // The preferred parser without a retain and release of it per line (`nginx` holds it).
        let hit = Unmanaged.passUnretained(nginx[preferredNginx])._withUnsafeGuaranteedRef {
            $0.parse(b, r, into: &e, interner: &interner)
        }
        if hit {
            preferredHits &+= 1
            return true
        }
        for k in nginx.indices where k != preferredNginx {
            let saved = e
            if nginx[k].parse(b, r, into: &e, interner: &interner) {
                counts[Self.fixedNames.count + preferredNginx] += preferredHits
                preferredHits = 0
                preferredNginx = k
                counts[Self.fixedNames.count + k] += 1
                return true
            }
            e = saved
        }
        return false
    }

    private func interpret(_ e: inout Event, component: Component) {
        switch component {
        case .jobservice, .job:
            JobMessageParser.interpret(&e)
            if component == .job, e.jobId == nil { e.jobId = jobIdFromFile }
        case .core:
            CoreMessageParser.interpret(&e)
        default:
            break
        }
    }

    private enum Counted: Int { case nginxError, harbor, registry, registryAccess, commonAccess, forced }

    @inline(__always)
    private mutating func count(_ what: Counted) { counts[what.rawValue] += 1 }

    @inline(__always)
    private func startsLikeAddress(_ b: LineBytes, _ r: Range<Int>) -> Bool {
        let c = b[r.lowerBound]
        return ASCII.isDigit(c) || c == ASCII.lbracket || c == ASCII.colon || ASCII.isHex(c)
    }

    /// NUL bytes or mostly control bytes.
    private func looksBinary(_ b: LineBytes, _ r: Range<Int>) -> Bool {
        if b.find(0, from: r.lowerBound, to: r.upperBound) != nil { return true }
        var control = 0
        for i in r where b[i] < 0x20 && b[i] != ASCII.tab { control += 1 }
        return control * 4 > r.count
    }
}

/// The syslog prefix of the line before: its bytes, what they were read as and the time they gave.
///
/// A source repeats its prefix (`Jul 12 00:00:01 172.18.0.1 proxy[1168]: `) for every line of the
/// same second, so a line that starts with the same bytes is not read again: one `memcmp` instead
/// of parsing the date, the host and the tag, and the clock's answer is kept with it. The prefix
/// of a line depends on its own bytes only, and the clock gives the same time for the same prefix
/// asked twice in a row; the memo is emptied by any line that does not reuse it, and its time by a
/// new clock, so a hit gives exactly what reading the line again would.
struct PrefixMemo {
    /// Longest prefix kept.
    static let capacity = 96
    private var bytes = [UInt8](repeating: 0, count: PrefixMemo.capacity)
    /// Bytes kept (0: none).
    private(set) var count = 0
    private(set) var prefix: SyslogPrefix?
    private(set) var component: Component = .unknown
    /// The clock's time for `prefix`, once asked.
    var nanos: Int64?

    /// True when `b[r]` starts with the kept prefix (only for lines that start at byte 0, as the
    /// ranges kept are absolute).
    @inline(__always)
    func matches(_ b: LineBytes, _ r: Range<Int>) -> Bool {
        guard count > 0, r.lowerBound == 0, r.upperBound >= count, let base = b.baseAddress else { return false }
        return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, base, count) == 0 }
    }

    /// Keeps the prefix `p` of `b[r]`, read as `component`, when it ends with `: ` (so that the
    /// byte after it cannot change how it reads), else empties the memo.
    mutating func keep(_ b: LineBytes, _ r: Range<Int>, _ p: SyslogPrefix, _ component: Component) {
        let n = p.payload
        guard r.lowerBound == 0, n >= 2, n <= Self.capacity, n <= r.upperBound,
            b[n - 1] == ASCII.space, b[n - 2] == ASCII.colon, let base = b.baseAddress
        else { clear(); return }
        bytes.withUnsafeMutableBufferPointer { _ = memcpy($0.baseAddress!, base, n) }
        count = n
        prefix = p
        self.component = component
        nanos = nil
    }

    /// The prefix of `b[r]` when it is the kept one but for its traditional timestamp (the same
    /// bytes from the space after the time to the payload: host, tag and pid), with the line's
    /// time; nil otherwise (nothing kept, a `<PRI>` or an RFC 3339 time, other bytes).
    @inline(__always)
    func sameButTime(_ b: LineBytes, _ r: Range<Int>) -> SyslogPrefix? {
        guard count > 16, var p = prefix, p.absolute == nil, p.host.lowerBound == 16, r.lowerBound == 0,
            r.upperBound >= count, let base = b.baseAddress,
            bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress! + 15, base + 15, count - 15) == 0 }),
            let t = SyslogEnvelope.traditionalTime(b, at: 0, end: r.upperBound)
        else { return nil }
        (p.month, p.day, p.secondOfDay) = t
        return p
    }

    /// Forgets the kept prefix.
    @inline(__always)
    mutating func clear() {
        count = 0
        prefix = nil
        nanos = nil
    }
}
