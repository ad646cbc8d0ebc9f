/// Runs one user rule of the rules file over the merged event stream, in event time.
///
/// - `threshold`: at least `threshold` matching events per group within `window_secs`; resolves
///   when the window holds fewer again.
/// - `ratio`: matching / `total` events per group within `window_secs` at least `ratio`, with at
///   least `min_count` total events; resolves when it falls back.
/// - `absence`: no matching event for `for_secs` (per group seen so far, or at all); resolves
///   when one arrives. The clock is the stream's event time.
/// - `sequence`: a `match` event followed by a `then` event with equal `join_on` fields within
///   `window_secs` fires; with `missing: true` it fires when the `then` event does NOT follow
///   (SEC's PairWithWindow), and resolves if it comes late.
public final class UserRuleDetector: Detector {
    public var id: String { rule.name }
    let rule: UserRule
    let evidenceLimit: Int

    struct Incident {
        var group: [String]
        var first: Int64
        var last: Int64
        var peak: Double = 0
        var count = 0
        var resolvedAt: Int64?
        var evidence: EvidenceList
    }

    private var windows: [String: [Int64]] = [:]
    private var totals: [String: [Int64]] = [:]
    private var lastSeen: [String: (time: Int64, group: [String])] = [:]
    private var pendingSeq: [String: [(time: Int64, event: Event)]] = [:]
    /// First steps in arrival order, so expiry looks only at the oldest.
    private var seqQueue: [(time: Int64, key: String)] = []
    private var seqHead = 0
    private var open: [String: Incident] = [:]
    private var closed: [Incident] = []
    private var streamStart: Int64?

    init(rule: UserRule, evidenceLimit: Int) {
        self.rule = rule
        self.evidenceLimit = evidenceLimit
    }

    private func groupValues(_ e: Event, _ fields: [EventField]) -> [String] { fields.map { $0.text(e) ?? "" } }

    /// The window key of a group: its one value, or the values joined by U+001F.
    @inline(__always)
    private func groupKey(_ e: Event) -> String {
        if rule.groupBy.count == 1 { return rule.groupBy[0].text(e) ?? "" }
        return groupValues(e, rule.groupBy).joined(separator: "\u{1F}")
    }

    public func observe(_ e: Event, _ ctx: AnalysisContext) {
        if streamStart == nil { streamStart = e.time }
        switch rule.kind {
        case .threshold: threshold(e)
        case .ratio: ratio(e)
        case .absence: absence(e)
        case .sequence: sequence(e)
        }
    }

    // MARK: threshold and ratio

    private func threshold(_ e: Event) {
        let window = nanos(rule.windowSecs)
        settle(now: e.time, window: window)
        guard rule.match.matches(e) else { return }
        let key = groupKey(e)
        let count = Self.slide(&windows, key, adding: e.time, cutoff: e.time - window)
        if Double(count) >= rule.threshold {
            var inc = open[key] ?? Incident(group: groupValues(e, rule.groupBy), first: e.time, last: e.time, evidence: EvidenceList(limit: evidenceLimit))
            inc.last = e.time
            inc.count += 1
            inc.peak = max(inc.peak, Double(count))
            inc.evidence.add(e)
            open[key] = inc
        } else if var inc = open[key] {
            inc.evidence.add(e)
            open[key] = inc
        }
    }

    private func ratio(_ e: Event) {
        let window = nanos(rule.windowSecs)
        settle(now: e.time, window: window)
        guard rule.total.matches(e) else { return }
        let key = groupKey(e)
        let total = Self.slide(&totals, key, adding: e.time, cutoff: e.time - window)
        let count = Self.slide(&windows, key, adding: rule.match.matches(e) ? e.time : nil, cutoff: e.time - window)
        let value = total == 0 ? 0 : Double(count) / Double(total)
        if total >= rule.minCount, value >= rule.threshold {
            var inc = open[key] ?? Incident(group: groupValues(e, rule.groupBy), first: e.time, last: e.time, evidence: EvidenceList(limit: evidenceLimit))
            inc.last = e.time
            inc.count = count
            inc.peak = max(inc.peak, value)
            if rule.match.matches(e) { inc.evidence.add(e) }
            open[key] = inc
        }
    }

    /// Adds `time` (if any) to the window of `key` and drops what is at or before `cutoff`, in place
    /// (a copy of the window per event made a storm quadratic); returns how many times it holds.
    private static func slide(_ d: inout [String: [Int64]], _ key: String, adding time: Int64?, cutoff: Int64) -> Int {
        if let time { return slide(&d[key, default: []], adding: time, cutoff: cutoff) }
        guard let i = d.index(forKey: key) else { return 0 }
        return slide(&d.values[i], adding: nil, cutoff: cutoff)
    }

    /// Times come in order, so what falls out of the window is a prefix.
    @inline(__always)
    private static func slide(_ w: inout [Int64], adding time: Int64?, cutoff: Int64) -> Int {
        if let time { w.append(time) }
        if let first = w.first, first <= cutoff { w.removeAll { $0 <= cutoff } }
        return w.count
    }

    /// Resolves the open windows whose condition no longer holds at `now`.
    private func settle(now: Int64, window: Int64) {
        guard !open.isEmpty else { return }
        let cutoff = now - window
        for (key, inc) in open {
            // Read what resolving needs before the window changes (in place: no copy of it).
            let n = Int(rule.threshold)
            let beforeCount = windows[key]?.count ?? 0
            let nthFromEnd = beforeCount >= n && n >= 1 ? windows[key]![beforeCount - n] : nil
            let lastDropped = windows[key]?.last { $0 <= cutoff }
            let count = Self.slide(&windows, key, adding: nil, cutoff: cutoff)
            var stillHolds: Bool
            if rule.kind == .ratio {
                let total = Self.slide(&totals, key, adding: nil, cutoff: cutoff)
                stillHolds = total > 0 && total >= rule.minCount && Double(count) / Double(total) >= rule.threshold
            } else {
                stillHolds = Double(count) >= rule.threshold
            }
            if !stillHolds {
                var done = inc
                if rule.kind == .threshold, let t = nthFromEnd {
                    // The moment the window first held fewer than the threshold.
                    done.resolvedAt = t + window
                } else {
                    done.resolvedAt = (lastDropped ?? inc.last) + window
                }
                closed.append(done)
                open[key] = nil
            }
        }
    }

    // MARK: absence

    private func absence(_ e: Event) {
        let forNanos = nanos(rule.forSecs)
        // Fire for every group (or the whole stream) quiet for too long.
        if rule.groupBy.isEmpty, lastSeen[""] == nil, let s = streamStart { lastSeen[""] = (s, []) }
        for (key, seen) in lastSeen where open[key] == nil && e.time - seen.time >= forNanos {
            open[key] = Incident(group: seen.group, first: seen.time + forNanos, last: seen.time + forNanos, evidence: EvidenceList(limit: evidenceLimit))
        }
        guard rule.match.matches(e) else { return }
        let g = groupValues(e, rule.groupBy)
        let key = rule.groupBy.isEmpty ? "" : g.joined(separator: "\u{1F}")
        if var inc = open.removeValue(forKey: key) {
            inc.resolvedAt = e.time
            inc.evidence.add(e, note: "the awaited event")
            closed.append(inc)
        }
        lastSeen[key] = (e.time, g)
    }

    // MARK: sequence

    private func sequence(_ e: Event) {
        let window = nanos(rule.windowSecs)
        // Expire first steps whose window passed (oldest first); with `missing` they fire.
        while seqHead < seqQueue.count, e.time - seqQueue[seqHead].time > window {
            let (t0, key) = seqQueue[seqHead]
            seqHead += 1
            guard var list = pendingSeq[key], let i = list.firstIndex(where: { $0.time == t0 }) else { continue }
            let p = list.remove(at: i)
            pendingSeq[key] = list.isEmpty ? nil : list
            if rule.missing {
                var inc = Incident(group: groupValues(p.event, rule.joinOn), first: p.time + window, last: p.time + window, evidence: EvidenceList(limit: evidenceLimit))
                inc.count = 1
                inc.evidence.add(p.event, note: "no follow-up within \(Report.secs(rule.windowSecs))")
                open[key + "#" + String(p.time)] = inc
            }
        }
        if seqHead > 4096, seqHead * 2 > seqQueue.count {
            seqQueue.removeFirst(seqHead)
            seqHead = 0
        }
        let key = groupValues(e, rule.joinOn).joined(separator: "\u{1F}")
        if rule.then.matches(e) {
            if rule.missing {
                // The awaited event: clears pending first steps, and resolves late ones.
                pendingSeq[key] = nil
                for (k, var inc) in open where k.hasPrefix(key + "#") {  // late arrivals resolve
                    inc.resolvedAt = e.time
                    inc.evidence.add(e, note: "arrived late")
                    closed.append(inc)
                    open[k] = nil
                }
            } else if let list = pendingSeq[key], let firstStep = list.first(where: { e.time - $0.time <= window }) {
                var inc = Incident(group: groupValues(e, rule.joinOn), first: firstStep.time, last: e.time, evidence: EvidenceList(limit: evidenceLimit))
                inc.count = 1
                inc.evidence.add(firstStep.event)
                inc.evidence.add(e)
                inc.resolvedAt = e.time
                closed.append(inc)
                pendingSeq[key] = nil
            }
        }
        if rule.match.matches(e) {
            pendingSeq[key, default: []].append((e.time, e))
            seqQueue.append((e.time, key))
        }
    }

    public func tick(_ ctx: AnalysisContext) {
        switch rule.kind {
        case .threshold, .ratio: settle(now: ctx.now, window: nanos(rule.windowSecs))
        case .absence:
            for (key, seen) in lastSeen where open[key] == nil && ctx.now - seen.time >= nanos(rule.forSecs) {
                open[key] = Incident(group: seen.group, first: seen.time + nanos(rule.forSecs), last: seen.time + nanos(rule.forSecs), evidence: EvidenceList(limit: evidenceLimit))
            }
        case .sequence: break
        }
    }

    // MARK: findings

    public func finish(_ ctx: AnalysisContext) -> [Finding] {
        if rule.kind == .absence {
            // The end of the input counts as time passing.
            for (key, seen) in lastSeen where open[key] == nil && ctx.now - seen.time >= nanos(rule.forSecs) {
                open[key] = Incident(group: seen.group, first: seen.time + nanos(rule.forSecs), last: seen.time + nanos(rule.forSecs), evidence: EvidenceList(limit: evidenceLimit))
            }
        }
        return (closed + open.values).sorted { ($0.first, $0.group.joined()) < ($1.first, $1.group.joined()) }.map { inc in
            var labels = ["detector": rule.name]
            let names = rule.kind == .sequence ? rule.joinOn.map { Self.name($0) } : rule.groupByNames
            for (n, v) in zip(names, inc.group) where !v.isEmpty { labels[n] = v }
            let site = labels["site"] ?? ""
            var details: [(String, DetailValue)] = [("kind", .string(rule.kind.rawValue))]
            switch rule.kind {
            case .threshold: details += [("peak_count", .int(Int(inc.peak))), ("threshold", .double(rule.threshold)), ("window_secs", .double(rule.windowSecs))]
            case .ratio: details += [("peak_ratio", .double(inc.peak)), ("ratio", .double(rule.threshold)), ("window_secs", .double(rule.windowSecs))]
            case .absence: details += [("for_secs", .double(rule.forSecs))]
            case .sequence: details += [("window_secs", .double(rule.windowSecs)), ("missing", .string(rule.missing ? "true" : "false"))]
            }
            let group = zip(names, inc.group).filter { !$0.1.isEmpty }.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
            let summary = "\(rule.name)" + (group.isEmpty ? "" : " (\(group))") + ": " + Self.describe(rule, inc)
            return Finding(
                detector: rule.name, site: site, severity: rule.alert.severity ?? "warning", summary: summary, labels: labels,
                details: details, firstSeen: inc.first, lastSeen: inc.last, resolvedAt: inc.resolvedAt, count: max(inc.count, 1),
                evidence: inc.evidence.all)
        }
    }

    static func name(_ f: EventField) -> String {
        if case .extra(let k) = f { return "fields." + k }
        return EventField.names.first { EventField($0) == f } ?? "field"
    }

    static func describe(_ rule: UserRule, _ inc: Incident) -> String {
        switch rule.kind {
        case .threshold: return "\(Int(inc.peak)) matching events within \(Report.secs(rule.windowSecs)) (threshold \(Report.number(rule.threshold)))"
        case .ratio: return "ratio \(Report.number((inc.peak * 1000).rounded() / 1000)) within \(Report.secs(rule.windowSecs)) (bound \(Report.number(rule.threshold)))"
        case .absence: return "no matching event for \(Report.secs(rule.forSecs))"
        case .sequence: return rule.missing ? "no follow-up within \(Report.secs(rule.windowSecs))" : "the sequence happened within \(Report.secs(rule.windowSecs))"
        }
    }
}
