/// The human summary of a parse run, per source and in total (what `parse` prints on stderr).
public enum ParseSummary {
    /// Renders the stats of every source, the malformed lines and the warnings.
    public static func render(_ stats: [SourceStats], inputErrors: [InputError] = []) -> String {
        var total = SourceStats(name: "total", site: "", component: .unknown)
        for s in stats { total.add(s) }
        var out = "harborwatch: \(stats.count) source\(stats.count == 1 ? "" : "s"), \(total.lines) lines, \(total.events) events, "
        out += "\(total.skippedCount) skipped, \(total.malformedCount) malformed, \(total.continuations) continuation lines, \(total.truncated) cut\n"
        let siteWidth = max(4, stats.map(\.site.count).max() ?? 0)
        let compWidth = max(9, stats.map(\.component.rawValue.count).max() ?? 0)
        for s in stats {
            var line = "  " + pad(s.site, siteWidth) + "  " + pad(s.component.rawValue, compWidth) + "  " + TerminalText.safe(s.name)
            if s.files.count > 1 { line += " (\(s.files.count) files)" }
            line += ": \(s.lines) lines, \(s.events) events"
            if s.skippedCount > 0 { line += ", \(s.skippedCount) skipped (" + counts(s.skipped.map { ($0.key.rawValue, $0.value) }) + ")" }
            if s.malformedCount > 0 { line += ", \(s.malformedCount) malformed (" + counts(s.malformed.map { ($0.key.rawValue, $0.value) }) + ")" }
            if s.continuations > 0 { line += ", \(s.continuations) continuation lines" }
            if s.truncated > 0 { line += ", \(s.truncated) cut" }
            if !s.formats.isEmpty { line += "; formats: " + counts(s.formats.map { ($0.key, $0.value) }, separator: "=") }
            out += line + "\n"
        }
        if !total.malformedSamples.isEmpty {
            out += "malformed lines (first \(total.malformedSamples.count)):\n"
            for m in total.malformedSamples { out += "  " + TerminalText.safe(m.description) + "\n" }
        }
        let warnings = total.warnings.map(\.description) + (total.errors + inputErrors).map(\.description)
        if !warnings.isEmpty {
            out += "problems:\n"
            for w in warnings { out += "  " + TerminalText.safe(w) + "\n" }
        }
        return out
    }

    private static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }

    private static func counts(_ pairs: [(String, Int)], separator: String = ": ") -> String {
        pairs.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map { "\($0.0)\(separator)\($0.1)" }.joined(separator: ", ")
    }
}

/// Makes untrusted text safe to print on a terminal: control bytes and escapes become visible.
public enum TerminalText {
    /// `s` with control characters (ESC, BEL, CR …) shown as `\x1b`-style escapes.
    public static func safe(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) }) else {
            return s
        }
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F || (0x80..<0xA0).contains(u.value) {
                out += "\\x" + String(u.value, radix: 16).leftPadded(2)
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(_ n: Int, with c: Character = "0") -> String {
        count >= n ? self : String(repeating: c, count: n - count) + self
    }
}
