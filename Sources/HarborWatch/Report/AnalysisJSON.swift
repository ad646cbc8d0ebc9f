/// The analysis as one JSON document (`analyze --format json`), and findings as NDJSON alerts.
public enum AnalysisJSON {
    /// The whole report.
    public static func document(_ a: Analysis) -> [UInt8] {
        var w = JSONWriter()
        document(a, &w)
        return w.bytes
    }

    /// The whole report, handed to `sink` in chunks as it is written (the report of a big input is
    /// megabytes: whole, it was the run's last peak of memory).
    public static func write(_ a: Analysis, to sink: @escaping ([UInt8]) -> Void) {
        var w = JSONWriter(streamingTo: sink)
        document(a, &w)
        w.finish()
    }

    private static func document(_ a: Analysis, _ w: inout JSONWriter) {
        w.beginObject()
        w.member("generator", "harborwatch \(HarborWatch.version)")
        w.member("start", Timestamps.format(a.start))
        w.member("end", Timestamps.format(a.end))
        w.member("primary", a.primary)
        w.key("sites"); w.beginArray(); for s in a.sites { w.string(s) }; w.endArray()
        w.key("totals")
        w.beginObject()
        for s in a.sites {
            let t = a.totals[s] ?? SiteTotals()
            w.key(s)
            w.beginObject()
            w.member("requests", t.requests); w.member("pushes", t.pushes); w.member("pulls", t.pulls)
            w.member("failures", t.failures); w.member("replicated_in", t.replicatedIn)
            let c = a.sessions[s] ?? SessionTracker.Counts()
            w.key("sessions")
            w.beginObject()
            w.member("total", c.sessions); w.member("token_dances", c.tokenDances)
            w.member("pushes_ok", c.pushesOK); w.member("pushes_failed", c.pushesFailed)
            w.member("pulls_ok", c.pullsOK); w.member("pulls_failed", c.pullsFailed)
            w.endObject()
            w.endObject()
        }
        w.endObject()
        w.key("findings")
        w.beginArray()
        for f in a.findings { finding(f, &w) }
        w.endArray()
        w.key("replication")
        w.beginObject()
        w.key("latency")
        w.beginObject()
        let lat = AnalysisReport.latency(a)
        for s in a.sites where lat[s] != nil {
            let l = lat[s]!
            w.key(a.primary + "->" + s)
            w.beginObject()
            w.member("count", l.count); w.member("p50_secs", l.p50); w.member("p90_secs", l.p90)
            w.member("p99_secs", l.p99); w.member("max_secs", l.max)
            w.endObject()
        }
        w.endObject()
        w.key("artifacts")
        w.beginArray()
        for p in a.pushes {
            w.beginObject()
            w.member("repository", p.repository)
            w.member("reference", p.reference)
            w.member("pushed_at", Timestamps.format(p.pushedAt))
            w.key("arrivals")
            w.beginObject()
            for s in a.sites where s != a.primary {
                w.key(s)
                w.beginObject()
                if p.alreadyPresent.contains(s) {
                    w.member("already_present", true)
                } else if let t = p.arrivals[s] {
                    w.member("arrived_at", Timestamps.format(t))
                    w.member("lag_secs", Double(t - p.pushedAt) / 1e9)
                } else {
                    w.key("arrived_at"); w.null()
                }
                w.endObject()
            }
            w.endObject()
            w.endObject()
        }
        w.endArray()
        w.member("folded_pushes", a.foldedPushes)
        w.key("missing")
        w.beginArray()
        for (p, s, age) in AnalysisReport.missing(a) {
            w.beginObject()
            w.member("repository", p.repository); w.member("reference", p.reference); w.member("site", s)
            w.member("pushed_at", Timestamps.format(p.pushedAt)); w.member("age_secs", age)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.key("input")
        w.beginArray()
        for s in a.parse { source(s, &w) }
        w.endArray()
        w.key("input_errors"); w.beginArray(); for e in a.inputErrors { w.string(e.description) }; w.endArray()
        w.key("joins")
        w.beginObject()
        for s in a.sites {
            let c = a.stitch[s] ?? RequestStitcher.Counts()
            w.key(s)
            w.beginObject()
            w.member("front_candidates", c.frontCandidates); w.member("front_joined", c.frontJoined)
            w.member("registry_candidates", c.registryCandidates); w.member("registry_joined", c.registryJoined)
            w.member("by_request_id", c.byRequestId)
            w.endObject()
        }
        w.endObject()
        w.member("events", a.events)
        w.member("late_events", a.lateEvents)
        w.member("unrelated_secondary_404s", a.unrelated404)
        w.member("artifacts_evicted", a.artifactsEvicted)
        w.endObject()
        w.bytes.append(0x0A)
    }

    /// One finding as a JSON object.
    public static func finding(_ f: Finding, _ w: inout JSONWriter) {
        w.beginObject()
        w.member("detector", f.detector)
        w.member("site", f.site)
        w.member("severity", f.severity)
        w.member("summary", f.summary)
        w.member("first_seen", Timestamps.format(f.firstSeen))
        w.member("last_seen", Timestamps.format(f.lastSeen))
        if let r = f.resolvedAt { w.member("resolved_at", Timestamps.format(r)) } else { w.key("resolved_at"); w.null() }
        w.member("count", f.count)
        w.key("labels")
        w.beginObject()
        for k in f.labels.keys.sorted() { w.member(k, f.labels[k]) }
        w.endObject()
        w.key("details")
        w.beginObject()
        for (k, v) in f.details { w.key(k); value(v, &w) }
        w.endObject()
        w.key("evidence")
        w.beginArray()
        for e in f.evidence {
            w.beginObject()
            w.member("time", Timestamps.format(e.time))
            w.member("site", e.site)
            w.member("component", e.component.rawValue)
            w.member("file", e.file)
            w.member("line", e.line)
            w.member("request_id", e.requestId)
            w.member("text", e.text)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// One NDJSON line per alert (firing, or resolved when its resolve condition held).
    public static func alerts(_ alerts: [Alert]) -> [UInt8] {
        var out: [UInt8] = []
        for a in alerts {
            var w = JSONWriter()
            alert(a, &w)
            out += w.bytes
            out.append(0x0A)
        }
        return out
    }

    /// One alert as a JSON object (Alertmanager's alert fields, plus the finding).
    public static func alert(_ a: Alert, _ w: inout JSONWriter) {
        w.beginObject()
        w.member("fingerprint", a.fingerprint)
        w.member("status", a.status.rawValue)
        w.key("labels")
        w.beginObject()
        for k in a.labels.keys.sorted() { w.member(k, a.labels[k]) }
        w.endObject()
        w.key("annotations")
        w.beginObject()
        for k in a.annotations.keys.sorted() { w.member(k, a.annotations[k]) }
        w.endObject()
        w.member("startsAt", Timestamps.format(a.startsAt))
        if let e = a.endsAt { w.member("endsAt", Timestamps.format(e)) }
        if let f = a.finding {
            w.key("finding")
            finding(f, &w)
        }
        w.endObject()
    }

    static func value(_ v: DetailValue, _ w: inout JSONWriter) {
        switch v {
        case .string(let s): w.string(s)
        case .int(let i): w.int(i)
        case .double(let d): w.double((d * 1000).rounded() / 1000)
        case .time(let t): w.string(Timestamps.format(t))
        case .strings(let l): w.beginArray(); for s in l { w.string(s) }; w.endArray()
        case .null: w.null()
        }
    }

    static func source(_ s: SourceStats, _ w: inout JSONWriter) {
        w.beginObject()
        w.member("name", s.name)
        w.member("site", s.site)
        w.member("component", s.component.rawValue)
        w.key("files"); w.beginArray(); for f in s.files { w.string(f) }; w.endArray()
        w.member("lines", s.lines)
        w.member("events", s.events)
        w.member("continuations", s.continuations)
        w.member("truncated", s.truncated)
        w.key("skipped"); w.beginObject(); for (k, v) in s.skipped.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { w.member(k.rawValue, v) }; w.endObject()
        w.key("malformed"); w.beginObject(); for (k, v) in s.malformed.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { w.member(k.rawValue, v) }; w.endObject()
        w.key("formats"); w.beginObject(); for k in s.formats.keys.sorted() { w.member(k, s.formats[k]!) }; w.endObject()
        w.key("malformed_lines")
        w.beginArray()
        for m in s.malformedSamples {
            w.beginObject(); w.member("file", m.file); w.member("line", m.line); w.member("reason", m.reason); w.endObject()
        }
        w.endArray()
        w.key("problems"); w.beginArray(); for p in s.warnings { w.string(p.description) }; for p in s.errors { w.string(p.description) }; w.endArray()
        w.endObject()
    }
}

/// A stable fingerprint of a label set: the same problem gets the same id on every machine and run.
public enum Fingerprint {
    /// 16 hex digits of FNV-1a 64 over the sorted `name=value` pairs.
    public static func of(_ labels: [String: String]) -> String {
        // The bytes hashed are `name=value\0` of each pair, without building that String (a
        // stream fingerprints every alert at every look).
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func add(_ b: UInt8) {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) {
            for b in k.utf8 { add(b) }
            add(0x3D)
            for b in v.utf8 { add(b) }
            add(0)
        }
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
