/// One alert as a line for a terminal: `FIRING  critical  push_unauthorized  site=hub-1 …: summary`.
public enum AlertLine {
    /// The line (untrusted text made safe; ANSI colour when `color`).
    public static func render(_ a: Alert, color: Bool) -> String {
        let sev = a.labels["severity"] ?? "warning"
        var status = a.status == .firing ? "FIRING  " : "RESOLVED"
        if color {
            let code = a.status == .resolved ? "32" : (sev == "critical" ? "31" : "33")
            status = "\u{1B}[\(code)m" + status + "\u{1B}[0m"
        }
        let at = Timestamps.format(a.status == .resolved ? a.endsAt ?? a.startsAt : a.startsAt)
        let labels = a.labels.filter { !["alertname", "severity", "detector"].contains($0.key) }
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let summary = a.annotations["summary"] ?? ""
        return TerminalText.safe("\(at) \(status) \(sev) \(a.labels["alertname"] ?? "?") \(labels): \(summary)")
            .replacingOccurrences(of: "\\x1b[", with: "\u{1B}[")
    }
}
