import Mustache

/// Turns findings into alerts: labels (`alertname`, `severity`, the rule's own), and annotations
/// rendered from the rules file's Mustache templates.
///
/// A template sees: `summary`, `detector`, `site`, `severity`, `count`, `first_seen`, `last_seen`,
/// `resolved_at`, `status`, `labels.NAME`, `details.NAME`. Log content in it is plain text (no HTML
/// escaping); sinks escape for their own format.
public struct AlertBuilder: Sendable {
    /// Templates per detector or rule name.
    public var templates: [String: AlertTemplate] { didSet { compiled = Self.compile(templates) } }
    /// The annotation templates parsed once (an alert is built again at every look in a stream).
    private var compiled: [String: [(name: String, template: MustacheTemplate)]]

    /// A builder with `templates` (from `RulesFile.detectorAlerts` and the rules' own).
    public init(templates: [String: AlertTemplate] = [:]) {
        self.templates = templates
        compiled = Self.compile(templates)
    }

    static func compile(_ templates: [String: AlertTemplate]) -> [String: [(name: String, template: MustacheTemplate)]] {
        templates.mapValues { tpl in
            tpl.annotations.sorted { $0.key < $1.key }.compactMap { name, text in
                (try? MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)).map { (name, $0) }
            }
        }
    }

    /// The builder for a rules file.
    public init(rules: RulesFile) {
        var t = rules.detectorAlerts
        for r in rules.rules { t[r.name] = r.alert }
        templates = t
        compiled = Self.compile(t)
    }

    /// The alert of `f`.
    public func alert(_ f: Finding) -> Alert { alert(f, rendering: true) }

    /// The alert of `f`; without `rendering`, its annotations are only the summary (a stream asks
    /// for every finding's alert at each look, and renders only those that are emitted).
    public func alert(_ f: Finding, rendering: Bool) -> Alert {
        let tpl = templates[f.detector] ?? AlertTemplate()
        let severity = tpl.severity ?? f.severity
        var labels = f.labels
        labels["alertname"] = f.detector
        labels["severity"] = severity
        if labels["site"] == nil, !f.site.isEmpty { labels["site"] = f.site }
        for (k, v) in tpl.labels { labels[k] = v }
        labels.removeValue(forKey: "detector")
        labels["detector"] = f.detector
        let annotations = rendering ? self.annotations(f, labels: labels) : ["summary": f.summary]
        return Alert(
            fingerprint: Fingerprint.of(labels), status: f.resolvedAt == nil ? .firing : .resolved, labels: labels,
            annotations: annotations, startsAt: f.firstSeen, endsAt: f.resolvedAt, finding: f)
    }

    /// The annotations of `f`'s alert whose labels are `labels`: the summary and the templates
    /// rendered, their `severity` and `labels` those of the alert (a stream's alert keeps the
    /// severity it fired with, `AlertTracker.pin`, whatever the finding says by the time it resolves).
    private func annotations(_ f: Finding, labels: [String: String]) -> [String: String] {
        var annotations = ["summary": f.summary]
        if let list = compiled[f.detector], !list.isEmpty {
            let context = Self.context(f, labels: labels, severity: labels["severity"] ?? f.severity)
            for (name, t) in list { annotations[name] = t.render(context) }
        }
        return annotations
    }

    /// `a` (built without rendering) with its annotations rendered as `alert(_:)` renders them,
    /// from the labels and fingerprint it has now (`AlertTracker.pin` may have set them).
    public func rendered(_ a: Alert) -> Alert {
        guard let f = a.finding, compiled[f.detector]?.isEmpty == false else { return a }
        var r = a
        r.annotations = annotations(f, labels: a.labels)
        return r
    }

    /// `n` (scheduled from alerts built without rendering) with each alert's annotations rendered
    /// as `alert(_:)` renders them, and its common annotations taken again; everything else (the
    /// status and end the alerts had at the notification's time, labels, key) is kept.
    public func rendered(_ n: Notification) -> Notification {
        var out = n
        out.alerts = n.alerts.map { a in
            var r = a
            r.annotations = rendered(a).annotations
            return r
        }
        out.commonAnnotations = Notification.shared(out.alerts.map(\.annotations))
        return out
    }

    static func context(_ f: Finding, labels: [String: String], severity: String) -> [String: Any] {
        var details: [String: Any] = [:]
        for (k, v) in f.details { details[k] = AnalysisReport.render(v) }
        return [
            "summary": f.summary, "detector": f.detector, "site": f.site, "severity": severity, "count": f.count,
            "first_seen": Timestamps.format(f.firstSeen), "last_seen": Timestamps.format(f.lastSeen),
            "resolved_at": f.resolvedAt.map { Timestamps.format($0) } ?? "", "status": f.resolvedAt == nil ? "firing" : "resolved",
            "labels": labels, "details": details,
        ]
    }
}

extension Analysis {
    /// The analysis with each finding's severity and summary as its alert has them (the rules file's templates).
    public func applying(_ builder: AlertBuilder) -> Analysis {
        var a = self
        a.findings = findings.map { f in
            var g = f
            let alert = builder.alert(f)
            g.severity = alert.labels["severity"] ?? f.severity
            if let s = alert.annotations["summary"] { g.summary = s }
            return g
        }
        return a
    }
}
