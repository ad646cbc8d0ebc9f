/// Where a line's first `\` is: a value before it or with none holds no escape, and one that
/// holds it needs no search (a `memchr` per value that may hold escapes, before).
struct Backslashes {
    /// The index of the line's first `\`, `Int.max` when it has none, `Int.min` when not known.
    let first: Int
    /// Nothing known: every range is searched.
    static let unknown = Backslashes(first: Int.min)

    /// True when `b[r]` holds a `\`.
    @inline(__always)
    func within(_ b: LineBytes, _ r: Range<Int>) -> Bool {
        if first >= r.upperBound { return false }
        if first >= r.lowerBound { return true }
        return b.containsBackslash(r)
    }
}

/// Reads nginx access lines of one compiled `log_format` into events.
public final class NginxAccessParser: @unchecked Sendable {
    // A class: the line parser holds several and calls them per line, and a struct copy would
    // retain the compiled format each time. Immutable after init (hence Sendable).

    /// The format this parser reads.
    public let format: NginxLogFormat
    /// True for gorilla/Go access lines, whose quoted values escape `"` as `\"`.
    let backslashQuotes: Bool

    /// One segment of the format as plain data: the per-line loop reads no arrays of enums with
    /// payloads (each `case .literal(let bytes)` retained and released an array).
    private struct Step {
        /// Literal: its bytes in `literals`; variable: -1.
        var literal: Int32 = -1
        var literalCount: Int32 = 0
        /// Variable: its index in `variables`.
        var variable: Int32 = -1
        /// The literal that follows a variable (-1: the variable runs to the end of the line).
        var next: Int32 = -1
        var nextCount: Int32 = 0
        var spaceFree = false
        /// The literal after the variable starts with a space: the first space after the value's
        /// start is where the search for that literal looks first, so a value that ends there
        /// has no space in it (no second scan).
        var stopsAtSpace = false
        var isList = false
        var isTimeLocal = false
        /// The variable's common cases, stored in the line loop itself (`Hot`); the others go
        /// through `assign`.
        var hot = Hot.none
        /// The literal that follows (`next`), up to 8 bytes, as one little-endian word and the
        /// mask of its bytes: compared with one load where the line has 8 bytes left.
        var nextWord: UInt64 = 0
        var nextMask: UInt64 = 0
        /// The first byte of `next`.
        var nextFirst: UInt8 = 0
        /// The value ends at the first `nextFirst` followed by the rest of `next` (not a list, nor
        /// a time, nor a quoted value with backslash escapes): the loop finds it inline.
        var plainStop = false
        /// The value is short as a rule (a status, a size, a time, an address): its end is looked
        /// for in the first 16 bytes inline before `memchr` is called.
        var short = false
    }

    /// The variables the parse loop stores without a call (a call to `assign` per value, with its
    /// switch over an enum with payloads, was a sixth of the parser's time).
    private enum Hot: UInt8 {
        case none, remoteAddr, status, bodyBytesSent, requestTime, upstreamResponseTime, pipe, userAgent, referer,
            request
    }
    private let steps: UnsafeMutableBufferPointer<Step>
    /// The format is Harbor's `timed_combined`: its lines are read by `harborProxy`, without the
    /// step loop.
    private let isHarborProxy: Bool
    /// The format starts as nginx's `combined` (`combined`, `main`, `timed_combined_full`, …): the
    /// values up to the user agent are read by `combinedHead`, the rest by the step loop.
    private let isCombinedHead: Bool
    private let literals: UnsafeMutableBufferPointer<UInt8>
    private let variables: UnsafeMutableBufferPointer<NginxVariable>

    /// A parser for `format`; `straight`: Harbor's proxy format is read by `harborProxy`, and the
    /// head of the `combined` formats by `combinedHead` (off only for tests that compare them
    /// with the step loop).
    public init(format: NginxLogFormat, backslashQuotes: Bool = false, straight: Bool = true) {
        self.format = format
        self.backslashQuotes = backslashQuotes
        let segs = format.segments
        var lits: [UInt8] = []
        var vars: [NginxVariable] = []
        var plan: [Step] = []
        var litAt: [Int32] = []
        for seg in segs {
            if case .literal(let l) = seg {
                litAt.append(Int32(lits.count))
                lits += l
            } else {
                litAt.append(-1)
            }
        }
        for (k, seg) in segs.enumerated() {
            var st = Step()
            switch seg {
            case .literal(let l):
                st.literal = litAt[k]
                st.literalCount = Int32(l.count)
            case .variable(let v):
                st.variable = Int32(vars.count)
                vars.append(v)
                if k + 1 < segs.count, case .literal(let next) = segs[k + 1] {
                    st.next = litAt[k + 1]
                    st.nextCount = Int32(next.count)
                    st.stopsAtSpace = next.first == ASCII.space
                    st.nextFirst = next.first ?? 0
                    if next.count <= 8 {
                        for (n, byte) in next.enumerated() {
                            st.nextWord |= UInt64(byte) << (8 * UInt64(n))
                            st.nextMask |= 0xFF << (8 * UInt64(n))
                        }
                    }
                }
                st.spaceFree = format.spaceFree[k]
                st.isList = v.isList
                if case .timeLocal = v { st.isTimeLocal = true }
                st.plainStop = st.next >= 0 && !st.isList && !st.isTimeLocal
                    && !(backslashQuotes && st.nextFirst == ASCII.quote)
                switch v {
                case .remoteAddr, .remoteUser, .status, .bodyBytesSent, .bytesSent, .requestTime, .msec, .pipe, .referer:
                    st.short = true
                default: st.short = false
                }
                switch v {
                case .remoteAddr: st.hot = .remoteAddr
                case .status: st.hot = .status
                case .bodyBytesSent: st.hot = .bodyBytesSent
                case .requestTime: st.hot = .requestTime
                case .upstreamResponseTime: st.hot = .upstreamResponseTime
                case .pipe: st.hot = .pipe
                case .userAgent: st.hot = .userAgent
                case .referer: st.hot = .referer
                case .request: st.hot = .request
                default: st.hot = .none
                }
            }
            plan.append(st)
        }
        isHarborProxy = straight && !backslashQuotes && format.segments == NginxLogFormat.timedCombined.segments
        let head = NginxLogFormat.combined.segments.prefix(15)
        if straight, !backslashQuotes, segs.count >= 16, segs.prefix(15) == head, case .literal(let l) = segs[15],
            l.first == ASCII.quote
        {
            isCombinedHead = true
        } else {
            isCombinedHead = false
        }
        steps = .allocate(capacity: plan.count)
        _ = steps.initialize(from: plan)
        literals = .allocate(capacity: max(1, lits.count))
        _ = literals.initialize(from: lits)
        variables = .allocate(capacity: max(1, vars.count))
        _ = variables.initialize(from: vars)
    }

    deinit {
        steps.deallocate()
        literals.deallocate()
        variables.deinitialize().deallocate()
    }

    /// Parses `b[r]` into `e`; false when the line does not have this format's shape.
    public func parse(_ b: LineBytes, _ r: Range<Int>, into e: inout Event, interner: inout StringInterner) -> Bool {
        // The event's box, made unique once: the fields below are written to it directly (each
        // `e.field =` checked the box's uniqueness again, a runtime call per field).
        let w = e.writable()
        let end = r.upperBound
        // One scan for `\` per line: most lines have none, and then no field needs decoding.
        let esc = Backslashes(first: b.find(ASCII.backslash, from: r.lowerBound, to: r.upperBound) ?? Int.max)
        if isHarborProxy, harborProxy(b, r, esc, w, interner: &interner) { return true }
        var k = 0
        var i = r.lowerBound
        if isCombinedHead, let resume = combinedHead(b, r, esc, w, interner: &interner) { (i, k) = resume }
        let count = steps.count
        let plan = steps.baseAddress.unsafelyUnwrapped
        while k < count {
            let sp = plan + k
            if sp.pointee.literal >= 0 {
                let n = Int(sp.pointee.literalCount)
                guard i + n <= end, same(b, i, Int(sp.pointee.literal), n) else { return false }
                i += n
                k += 1
                continue
            }
            var valueEnd = end
            var atFirst = false
            if sp.pointee.plainStop {
                // The common case inline: the first occurrence of the literal's first byte, and
                // the rest of the literal after it (a call per value before).
                let found = sp.pointee.short
                    ? Self.findShort(b, sp.pointee.nextFirst, from: i, to: end) : b.find(sp.pointee.nextFirst, from: i, to: end)
                guard let j = found else { return false }
                if sp.pointee.nextCount == 1 || nextAt(b, sp.pointee, j) {
                    valueEnd = j
                    atFirst = true
                } else {
                    guard let stop = findStop(b, sp.pointee, from: j + 1, end: end, atFirst: &atFirst) else { return false }
                    valueEnd = stop
                    atFirst = false
                }
            } else if sp.pointee.next >= 0 {
                guard let stop = findStop(b, sp.pointee, from: i, end: end, atFirst: &atFirst) else { return false }
                valueEnd = stop
            }
            let st = sp.pointee
            if st.spaceFree, !(st.stopsAtSpace && atFirst), Self.findShort(b, ASCII.space, from: i, to: valueEnd) != nil { return false }
            let v = i..<valueEnd
            switch st.hot {
            case .remoteAddr:
                guard !v.isEmpty else { return false }
                w.client = interner.intern(b, v)
            case .status:
                guard v.count == 3, let s = b.int(v) else { return false }
                w.status = s
            case .bodyBytesSent:
                guard let n = b.int(v) else { return false }
                w.bytes = Int64(n)
            case .requestTime:
                guard let t = b.decimal(v) else { return false }
                w.requestTime = t
            case .upstreamResponseTime: w.upstreamTime = sumList(b, v)
            case .pipe:
                guard v.count == 1, b[v.lowerBound] == 0x70 || b[v.lowerBound] == ASCII.dot else { return false }
            case .userAgent:
                let agent = interned(b, v, esc, &interner)
                w.setUserAgent(agent, isReplicator: EventStorage.isReplicator(agent, b, v, verbatim: !esc.within(b, v)))
            case .referer: w.setReferer(text(b, v, esc))
            case .request: request(b, v, esc, w, interner: &interner)
            case .none:
                guard assign(Int(st.variable), b, v, esc, w, interner: &interner) else { return false }
            }
            if st.next >= 0 {
                // `findStop` found the literal that follows at `valueEnd` (it is the next step):
                // step over it rather than compare it again.
                // (`same` checks against the buffer, the line may have been trimmed before it.)
                i = valueEnd + Int(st.nextCount)
                guard i <= end else { return false }
                k += 2
            } else {
                i = valueEnd
                k += 1
            }
        }
        guard i == end else { return false }
        w.format = .nginxAccess
        return true
    }

    /// True when the `n` bytes at `at` equal the literal bytes at `lit`.
    @inline(__always)
    private func same(_ b: LineBytes, _ at: Int, _ lit: Int, _ n: Int) -> Bool {
        guard at >= 0, at + n <= b.count else { return false }
        var k = 0
        while k < n {
            if b[at + k] != literals[lit + k] { return false }
            k += 1
        }
        return true
    }

    /// Reads a line of Harbor's proxy format (`timed_combined`) as the step loop would, in
    /// straight code: it first finds every value's end and checks every value as the loop does,
    /// and stores nothing unless all hold (false: nothing stored, the loop reads the line, and
    /// decides). The values are stored in the loop's order.
    ///
    /// `$remote_addr - "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
    /// $request_time $upstream_response_time $pipe`: the steps of the variables are 0, 2, 4, …,
    /// each with the literal after it.
    @inline(__always)
    private func harborProxy(
        _ b: LineBytes, _ r: Range<Int>, _ esc: Backslashes, _ w: EventStorage, interner: inout StringInterner
    ) -> Bool {
        let p = steps.baseAddress.unsafelyUnwrapped
        let end = r.upperBound
        var i = r.lowerBound
        // $remote_addr, then ` - "`.
        guard let a = Self.findShort(b, ASCII.space, from: i, to: end), a > i, nextAt(b, p[0], a) else { return false }
        let addr = i..<a
        i = a + 4
        // $request, then `" `.
        guard i <= end, let q = b.find(ASCII.quote, from: i, to: end), nextAt(b, p[2], q) else { return false }
        let req = i..<q
        i = q + 2
        // $status, then ` `.
        guard i <= end, let s = Self.findShort(b, ASCII.space, from: i, to: end), s - i == 3, let status = b.int(i..<s)
        else { return false }
        i = s + 1
        // $body_bytes_sent, then ` "`.
        guard let z = Self.findShort(b, ASCII.space, from: i, to: end), nextAt(b, p[6], z), let size = b.int(i..<z)
        else { return false }
        i = z + 2
        // $http_referer, then `" "`.
        guard i <= end, let f = Self.findShort(b, ASCII.quote, from: i, to: end), nextAt(b, p[8], f) else { return false }
        let referer = i..<f
        i = f + 3
        // $http_user_agent, then `" `.
        guard i <= end, let u = b.find(ASCII.quote, from: i, to: end), nextAt(b, p[10], u) else { return false }
        let agent = i..<u
        i = u + 2
        // $request_time, then ` `.
        guard i <= end, let t = Self.findShort(b, ASCII.space, from: i, to: end), let took = b.decimal(i..<t) else { return false }
        i = t + 1
        // $upstream_response_time (a list), then ` `: as `findStop`.
        let x = Self.listEnd(b, from: i, end: end)
        guard nextAt(b, p[14], x) else { return false }
        let upstream = i..<x
        i = x + 1
        // $pipe, to the end.
        guard i < end, end - i == 1, b[i] == 0x70 || b[i] == ASCII.dot else { return false }

        w.client = interner.intern(b, addr)
        request(b, req, esc, w, interner: &interner)
        w.status = status
        w.bytes = Int64(size)
        w.setReferer(text(b, referer, esc))
        let agentText = interned(b, agent, esc, &interner)
        w.setUserAgent(agentText, isReplicator: EventStorage.isReplicator(agentText, b, agent, verbatim: !esc.within(b, agent)))
        w.requestTime = took
        w.upstreamTime = sumList(b, upstream)
        w.format = .nginxAccess
        return true
    }

    /// Reads the values up to the user agent of a format that starts as nginx's `combined` as the
    /// step loop would, in straight code, and returns where the loop goes on (the position after
    /// the agent's closing literal, and that literal's step + 1); nil when a check fails, with
    /// nothing stored (the loop then reads the whole line). As `harborProxy`: every end found and
    /// every value checked first, then the values stored in the loop's order. (Its checks from
    /// `$status` to the agent are `harborProxy`'s, written out again. Shared, they cost the proxy
    /// log's `parse` 2 % of its time: a function for the four values was not inlined (58
    /// instructions a line more), and one reader for both formats, compiled once per format with
    /// the format a constant, read the proxy log in 0.79 s against 0.775 s.)
    ///
    /// `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    /// "$http_referer" "$http_user_agent"` and a literal starting with `"`: steps 0, 2, …, 14.
    @inline(__always)
    private func combinedHead(
        _ b: LineBytes, _ r: Range<Int>, _ esc: Backslashes, _ w: EventStorage, interner: inout StringInterner
    ) -> (Int, Int)? {
        let p = steps.baseAddress.unsafelyUnwrapped
        let end = r.upperBound
        var i = r.lowerBound
        // $remote_addr, then ` - `.
        guard let a = Self.findShort(b, ASCII.space, from: i, to: end), a > i, nextAt(b, p[0], a) else { return nil }
        let addr = i..<a
        i = a + 3
        // $remote_user, then ` [`.
        guard i <= end, let m = Self.findShort(b, ASCII.space, from: i, to: end), nextAt(b, p[2], m) else { return nil }
        let user = i..<m
        i = m + 2
        // $time_local (26 bytes, as `findStop`), then `] "`.
        guard i + 26 <= end, nextAt(b, p[4], i + 26), let time = interner.timeLocal.time(b, at: i) else { return nil }
        i += 26 + 3
        // $request, then `" `.
        guard i <= end, let q = b.find(ASCII.quote, from: i, to: end), nextAt(b, p[6], q) else { return nil }
        let req = i..<q
        i = q + 2
        // $status, then ` `.
        guard i <= end, let s = Self.findShort(b, ASCII.space, from: i, to: end), s - i == 3, let status = b.int(i..<s)
        else { return nil }
        i = s + 1
        // $body_bytes_sent, then ` "`.
        guard let z = Self.findShort(b, ASCII.space, from: i, to: end), nextAt(b, p[10], z), let size = b.int(i..<z)
        else { return nil }
        i = z + 2
        // $http_referer, then `" "`.
        guard i <= end, let f = Self.findShort(b, ASCII.quote, from: i, to: end), nextAt(b, p[12], f) else { return nil }
        let referer = i..<f
        i = f + 3
        // $http_user_agent, then the format's literal (`"`, `" ` …).
        guard i <= end, let u = b.find(ASCII.quote, from: i, to: end), nextAt(b, p[14], u) else { return nil }
        let agent = i..<u
        i = u + Int(p[14].nextCount)
        guard i <= end else { return nil }

        w.client = interner.intern(b, addr)
        w.user = interned(b, user, esc, &interner)
        w.time = time
        request(b, req, esc, w, interner: &interner)
        w.status = status
        w.bytes = Int64(size)
        w.setReferer(text(b, referer, esc))
        let agentText = interned(b, agent, esc, &interner)
        w.setUserAgent(agentText, isReplicator: EventStorage.isReplicator(agentText, b, agent, verbatim: !esc.within(b, agent)))
        return (i, 16)
    }

    /// True when the literal after `st`'s variable is at `at`: one masked load where the line has
    /// 8 bytes from `at`.
    @inline(__always)
    private func nextAt(_ b: LineBytes, _ st: Step, _ at: Int) -> Bool {
        if st.nextMask != 0, at >= 0, at + 8 <= b.count {
            return UnsafeRawPointer(b.baseAddress!).loadUnaligned(fromByteOffset: at, as: UInt64.self) & st.nextMask
                == st.nextWord
        }
        return same(b, at, Int(st.next), Int(st.nextCount))
    }

    /// `b.find(byte, from:to:)` for a value that is short as a rule: its first 16 bytes are
    /// searched eight at a time inline (a `memchr` call costs more than a status or a time).
    @inline(__always)
    static func findShort(_ b: LineBytes, _ byte: UInt8, from: Int, to: Int) -> Int? {
        var i = from
        let raw = UnsafeRawPointer(b.baseAddress.unsafelyUnwrapped)
        while i + 8 <= to, i - from < 16 {
            let zero = ByteWord.equal(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self), byte)
            if zero != 0 { return i + zero.trailingZeroBitCount / 8 }
            i += 8
        }
        return b.find(byte, from: i, to: to)
    }

    /// Where the value that starts at `from` ends; `atFirst`: at the first occurrence of the
    /// literal's first byte (set only by the plain search).
    @inline(never)
    private func findStop(_ b: LineBytes, _ st: Step, from: Int, end: Int, atFirst: inout Bool) -> Int? {
        let next = Int(st.next), n = Int(st.nextCount)
        let first = literals[next]
        if st.isList {
            // `0.1, 0.2`, `0.1 : 0.2`, `-`: consume list items, then the literal must follow.
            let i = Self.listEnd(b, from: from, end: end)
            return nextAt(b, st, i) ? i : nil
        }
        if backslashQuotes, first == ASCII.quote {
            return Self.unescapedQuote(b, from: from, to: end) { nextAt(b, st, $0) }
        }
        if st.isTimeLocal, from + 26 <= end, nextAt(b, st, from + 26) { return from + 26 }
        var i = from
        while let j = b.find(first, from: i, to: end) {
            if n == 1 || nextAt(b, st, j) {
                // A value is followed by the format's literal; for the last quote before the end
                // this is the only choice, elsewhere the first match is the one nginx wrote.
                atFirst = i == from
                return j
            }
            i = j + 1
        }
        return nil
    }

    /// Where a list value (`0.1, 0.2`, `0.1 : 0.2`, `-`) that starts at `from` ends: its items
    /// and their separators consumed.
    @inline(__always)
    static func listEnd(_ b: LineBytes, from: Int, end: Int) -> Int {
        var i = from
        while true {
            while i < end, b[i] != ASCII.space, b[i] != ASCII.comma, b[i] != ASCII.quote { i += 1 }
            if i + 1 < end, b[i] == ASCII.comma, b[i + 1] == ASCII.space { i += 2; continue }
            if i + 2 < end, b[i] == ASCII.space, b[i + 1] == ASCII.colon, b[i + 2] == ASCII.space { i += 3; continue }
            return i
        }
    }

    /// The first `"` in `b[from..<to]` not escaped by `\` for which `accept` holds. Read from
    /// `from`, a `\` escapes the byte after it; so a quote is escaped exactly when an odd run of
    /// backslashes ends right before it (counted back no further than `from`). Quotes are found
    /// with `memchr` and only their runs looked at, rather than every byte stepped through.
    @inline(__always)
    static func unescapedQuote(_ b: LineBytes, from: Int, to: Int, accept: (Int) -> Bool) -> Int? {
        var i = from
        while let q = b.find(ASCII.quote, from: i, to: to) {
            var k = q
            while k > from, b[k - 1] == ASCII.backslash { k -= 1 }
            if (q - k) & 1 == 0, accept(q) { return q }
            i = q + 1
        }
        return nil
    }

    @inline(__always)
    private func text(_ b: LineBytes, _ r: Range<Int>, _ esc: Backslashes = .unknown) -> String? {
        if r.count == 1 && b[r.lowerBound] == ASCII.dash { return nil }
        if r.isEmpty { return nil }
        if esc.within(b, r) {
            return backslashQuotes ? Escapes.backslash(b, r) : (format.escape == .none ? b.string(r) : Escapes.nginx(b, r))
        }
        return b.string(r)
    }

    @inline(__always)
    private func interned(_ b: LineBytes, _ r: Range<Int>, _ esc: Backslashes, _ interner: inout StringInterner) -> String? {
        if r.isEmpty || (r.count == 1 && b[r.lowerBound] == ASCII.dash) { return nil }
        if esc.within(b, r) {
            // Decoded as `text` decodes, written out without `self`: `text` in the closure retained
            // and released the parser per value. (Both calling one static function instead cost
            // `harborProxy` 0.3 % of `parse`'s instructions, measured: its code got worse.)
            let quotes = backslashQuotes, escape = format.escape
            return interner.intern(b, r) { bytes, range in
                quotes ? Escapes.backslash(bytes, range) : (escape == .none ? bytes.string(range) : Escapes.nginx(bytes, range))
            }
        }
        return interner.intern(b, r)
    }

    /// Stores the value of the variable at `index`, one the loop does not store itself (switched
    /// on in place: a copy of the enum per value went through an outlined copy that retained the
    /// names of `.other`).
    private func assign(
        _ index: Int, _ b: LineBytes, _ r: Range<Int>, _ esc: Backslashes, _ w: EventStorage, interner: inout StringInterner
    ) -> Bool {
        switch variables[index] {
        case .remoteUser: w.user = interned(b, r, esc, &interner)
        case .timeLocal:
            guard r.count == 26, let t = interner.timeLocal.time(b, at: r.lowerBound) else { return false }
            w.time = t
        case .timeIso8601:
            guard let (t, stop) = Timestamps.rfc3339(b, r), stop == r.upperBound else { return false }
            w.time = t
        case .msec:
            guard let t = Timestamps.msec(b, r) else { return false }
            w.time = t
        case .requestMethod: w.setMethod(interned(b, r, esc, &interner))
        case .requestURI: target(b, r, esc, w, interner: &interner)
        case .uri:
            if !w.hasPath { target(b, r, esc, w, interner: &interner) }
        case .args:
            if !r.isEmpty, !(r.count == 1 && b[r.lowerBound] == ASCII.dash) { w.setQuery(b, r) }
        case .bytesSent:
            guard let n = b.int(r) else { return false }
            if w.bytes < 0 { w.bytes = Int64(n) }
            w.fields["bytes_sent"] = b.string(r)
        case .upstreamAddr: w.setUpstreamAddr(interned(b, r, esc, &interner))
        case .upstreamStatus:
            if let s = interned(b, r, esc, &interner) { w.fields["upstream_status"] = s }
        case .requestId: w.requestId = text(b, r, esc)
        case .xRequestId(let name):
            if let id = text(b, r, esc) {
                if !w.hasRequestId { w.requestId = id }
                w.fields[name] = id
            }
        case .host: w.host = interned(b, r, esc, &interner)
        case .xForwardedFor:
            if let x = text(b, r, esc) { w.fields["x_forwarded_for"] = x }
        case .other(let name):
            if let x = text(b, r, esc) { w.fields[name] = x }
        case .remoteAddr, .request, .status, .bodyBytesSent, .requestTime, .upstreamResponseTime, .userAgent, .referer,
            .pipe:
            preconditionFailure("stored by parse's loop (Step.hot)")
        }
        return true
    }

    /// `METHOD target PROTO`; junk and `-` are kept as the path.
    private func request(_ b: LineBytes, _ r: Range<Int>, _ esc: Backslashes, _ w: EventStorage, interner: inout StringInterner) {
        guard !r.isEmpty, !(r.count == 1 && b[r.lowerBound] == ASCII.dash) else { return }
        let sp = Self.findShort(b, ASCII.space, from: r.lowerBound, to: r.upperBound)  // after the method
        // The common methods are codes; another word is a method when `isMethod` says so.
        var known: HTTPMethod? = nil
        if let sp1 = sp, sp1 > r.lowerBound { known = Self.method(b, r.lowerBound..<sp1) }
        guard let sp1 = sp, sp1 > r.lowerBound,
            sp1 - r.lowerBound <= 16, known != nil || Self.isMethod(b, r.lowerBound..<sp1),
            sp1 + 1 < r.upperBound, b[sp1 + 1] == ASCII.slash || b.matches("http", at: sp1 + 1) || b[sp1 + 1] == ASCII.star
        else {
            w.path = text(b, r, esc)
            w.kind = .other
            return
        }
        Self.setMethod(b, r.lowerBound..<sp1, known: known, w, &interner)
        var targetEnd = r.upperBound
        // The protocol's space, found eight bytes at a time from the end (a byte loop before).
        let j = b.findLast(ASCII.space, from: sp1 + 1, to: r.upperBound) ?? sp1
        if j > sp1, b.matches("HTTP/", at: j + 1) {
            if r.upperBound - j - 1 == 8 && b.matches("HTTP/1.1", at: j + 1) {
                w.setHTTP11()
            } else {
                w.proto = interner.intern(b, (j + 1)..<r.upperBound)
            }
            targetEnd = j
        }
        target(b, (sp1 + 1)..<targetEnd, esc, w, interner: &interner)
    }

    /// True for an HTTP method (`GET`, `PROPFIND` …): uppercase letters only, and known or WebDAV-like.
    static func isMethod(_ b: LineBytes, _ r: Range<Int>) -> Bool {
        if method(b, r) != nil { return true }
        for i in r where !ASCII.isUpper(b[i]) { return false }
        let known: [StaticString] = ["OPTIONS", "CONNECT", "TRACE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"]
        return known.contains { $0.utf8CodeUnitCount == r.count && b.matches($0, at: r.lowerBound) }
    }

    /// The common methods as static strings (no lookup, no allocation).
    @inline(__always)
    static func method(_ b: LineBytes, _ r: Range<Int>) -> HTTPMethod? {
        switch r.count {
        case 3: return b.matches("GET", at: r.lowerBound) ? .get : b.matches("PUT", at: r.lowerBound) ? .put : nil
        case 4: return b.matches("HEAD", at: r.lowerBound) ? .head : b.matches("POST", at: r.lowerBound) ? .post : nil
        case 5: return b.matches("PATCH", at: r.lowerBound) ? .patch : nil
        case 6: return b.matches("DELETE", at: r.lowerBound) ? .delete : nil
        default: return nil
        }
    }

    /// Sets the method of `b[r]`: a common one as its code alone, another interned.
    @inline(__always)
    static func setMethod(_ b: LineBytes, _ r: Range<Int>, known: HTTPMethod?, _ w: EventStorage, _ interner: inout StringInterner) {
        if let code = known {
            w.setMethod(code: code, other: nil)
        } else {
            w.setMethod(code: .other, other: interner.intern(b, r))  // not one of the six: `method` says so
        }
    }

    private func target(_ b: LineBytes, _ r: Range<Int>, _ esc: Backslashes, _ w: EventStorage, interner: inout StringInterner) {
        guard !r.isEmpty else { return }
        let q = b.find(ASCII.question, from: r.lowerBound, to: r.upperBound)
        let pathRange = r.lowerBound..<(q ?? r.upperBound)
        if esc.within(b, pathRange) {
            w.path = text(b, pathRange)
        } else {
            w.setPath(b, pathRange)  // bytes until read
        }
        var queryRange: Range<Int>?
        if let q {
            queryRange = (q + 1)..<r.upperBound
            w.setQuery(b, queryRange!)  // bytes until read
        }
        RegistryURI.classify(b, path: pathRange, query: queryRange, w, interner: &interner)
    }

    private func sumList(_ b: LineBytes, _ r: Range<Int>) -> Double? {
        if let one = b.decimal(r) { return one }  // one upstream: the common case
        var total = 0.0, any = false
        var i = r.lowerBound
        while i < r.upperBound {
            var j = i
            while j < r.upperBound, b[j] != ASCII.space, b[j] != ASCII.comma { j += 1 }
            if let v = b.decimal(i..<j) { total += v; any = true }
            i = j
            while i < r.upperBound, b[i] == ASCII.space || b[i] == ASCII.comma || b[i] == ASCII.colon { i += 1 }
        }
        return any ? total : nil
    }
}
