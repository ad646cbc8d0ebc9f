/// The report of an analysis, as text for a terminal and as one JSON document.
public enum AnalysisReport {
    /// Latency statistics of one site pair.
    public struct LatencyStats: Sendable, Equatable {
        /// Artifacts that arrived.
        public var count: Int
        /// Percentiles and maximum in seconds.
        public var p50, p90, p99, max: Double
    }

    /// Latency per secondary (nearest-rank percentiles over the artifacts that arrived).
    public static func latency(_ a: Analysis) -> [String: LatencyStats] {
        var out: [String: LatencyStats] = [:]
        for (s, l) in a.latency where l.count > 0 {
            out[s] = LatencyStats(count: l.count, p50: l.percentile(0.5), p90: l.percentile(0.9), p99: l.percentile(0.99), max: l.max)
        }
        return out
    }

    /// Artifacts pushed on the primary and not (yet) on a secondary at the end: (push, site, age in seconds).
    public static func missing(_ a: Analysis) -> [(ReplicationLagDetector.Push, String, Double)] {
        var out: [(ReplicationLagDetector.Push, String, Double)] = []
        for p in a.pushes {
            for s in a.sites where s != a.primary && p.arrivals[s] == nil {
                out.append((p, s, Double(a.end - p.pushedAt) / 1e9))
            }
        }
        return out
    }

    // MARK: text

    /// The report for a terminal (untrusted text made safe; colour when `color`).
    public static func text(_ a: Analysis, color: Bool = false) -> String {
        func bold(_ s: String) -> String { color ? "\u{1B}[1m" + s + "\u{1B}[0m" : s }
        func sev(_ s: String) -> String {
            guard color else { return s.uppercased() }
            switch s {
            case "critical": return "\u{1B}[31mCRITICAL\u{1B}[0m"
            case "warning": return "\u{1B}[33mWARNING\u{1B}[0m"
            default: return s.uppercased()
            }
        }
        var out = bold("harborwatch report") + "  \(Timestamps.format(a.start)) → \(Timestamps.format(a.end))\n"
        out += "sites: " + a.sites.map { $0 == a.primary ? "\($0) (primary)" : $0 }.joined(separator: ", ") + "\n\n"
        out += bold("Totals") + "\n"
        out += "  site        requests   pushes    pulls  failures  replicated-in\n"
        for s in a.sites {
            let t = a.totals[s] ?? SiteTotals()
            out += "  " + pad(s, 10) + lpad(t.requests, 10) + lpad(t.pushes, 9) + lpad(t.pulls, 9) + lpad(t.failures, 10) + lpad(t.replicatedIn, 15) + "\n"
        }
        out += "\n  site        sessions  token dances  push ok/failed  pull ok/failed\n"
        for s in a.sites {
            let c = a.sessions[s] ?? SessionTracker.Counts()
            out += "  " + pad(s, 10) + lpad(c.sessions, 10) + lpad(c.tokenDances, 14) + rpad("\(c.pushesOK)/\(c.pushesFailed)", 16)
                + rpad("\(c.pullsOK)/\(c.pullsFailed)", 16) + "\n"
        }
        out += "\n" + bold("Findings") + " (\(a.findings.count))\n"
        if a.findings.isEmpty { out += "  none\n" }
        for f in a.findings {
            let state = f.resolvedAt.map { "resolved \(Timestamps.format($0))" } ?? "open"
            out += "  [\(sev(f.severity))] \(f.detector) @ \(f.site): \(TerminalText.safe(f.summary))\n"
            out += "      \(Timestamps.format(f.firstSeen)) … \(Timestamps.format(f.lastSeen)), \(state)\n"
            for (k, v) in f.details { out += "      \(k): \(TerminalText.safe(render(v)))\n" }
            out += "      evidence:\n"
            for ev in f.evidence {
                let rid = ev.requestId.map { " [id \($0)]" } ?? ""
                out += "        \(Timestamps.format(ev.time)) \(ev.site)/\(ev.component.rawValue) \(TerminalText.safe(ev.file)):\(ev.line)\(TerminalText.safe(rid)) \(TerminalText.safe(ev.text))\n"
            }
        }
        out += "\n" + bold("Replication latency") + " (from the push on \(a.primary) to the artifact on each secondary)\n"
        let lat = latency(a)
        if lat.isEmpty { out += "  no replicated artifact seen\n" }
        for s in a.sites where lat[s] != nil {
            let l = lat[s]!
            out += "  \(a.primary) → \(s): \(l.count) artifacts, p50 \(Report.secs(l.p50)), p90 \(Report.secs(l.p90)), p99 \(Report.secs(l.p99)), max \(Report.secs(l.max))\n"
        }
        for p in a.pushes {
            for s in a.sites where s != a.primary {
                let arr = p.alreadyPresent.contains(s) ? "already there" : p.arrivals[s].map { Report.secs(Double($0 - p.pushedAt) / 1e9) } ?? "MISSING"
                out += "    \(TerminalText.safe(p.repository)):\(TerminalText.safe(p.reference))  pushed \(Timestamps.format(p.pushedAt))  → \(s): \(arr)\n"
            }
        }
        if a.foldedPushes > 0 { out += "    (\(a.foldedPushes) older pushes are in the statistics only)\n" }
        let miss = missing(a)
        out += "  missing at the end: " + (miss.isEmpty ? "none" : "") + "\n"
        for (p, s, age) in miss {
            out += "    \(TerminalText.safe(p.repository)):\(TerminalText.safe(p.reference)) on \(s), pushed \(Report.secs(age)) before the end\n"
        }
        out += "\n" + bold("Input") + "\n"
        out += ParseSummary.render(a.parse, inputErrors: a.inputErrors).split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        out += "\n" + bold("Joins") + " (front nginx ↔ registry, no shared request id in Harbor's default logs)\n"
        for s in a.sites {
            let c = a.stitch[s] ?? RequestStitcher.Counts()
            out += "  \(s): \(c.frontJoined)/\(c.frontCandidates) proxied requests joined to a registry line (\(percent(c.frontJoined, c.frontCandidates))), \(c.registryJoined)/\(c.registryCandidates) registry responses to a front line (\(percent(c.registryJoined, c.registryCandidates)))"
            if c.byRequestId > 0 { out += ", \(c.byRequestId) by request id" }
            out += "\n"
        }
        out += "  \(a.events) events merged in time order, \(a.lateEvents) later than the allowed lateness; \(a.unrelated404) secondary 404s for artifacts the primary never had\n"
        if a.artifactsEvicted > 0 {
            out += "  \(a.artifactsEvicted) artifacts dropped from the cross-site book at its per-site cap (least recently seen first)\n"
        }
        return out
    }

    static func render(_ v: DetailValue) -> String {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(Double(Int(d * 1000)) / 1000)
        case .time(let t): return Timestamps.format(t)
        case .strings(let l): return l.joined(separator: ", ")
        case .null: return "-"
        }
    }

    private static func percent(_ a: Int, _ b: Int) -> String {
        b == 0 ? "n/a" : String(Double(Int(Double(a) * 1000 / Double(b))) / 10) + "%"
    }
    private static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    private static func rpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
    private static func lpad(_ v: Int, _ n: Int) -> String { let s = String(v); return s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
}
