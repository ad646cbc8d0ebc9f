import Testing
@testable import HarborWatch

@Suite struct AlertTrackerTests {
    func alert(_ status: Alert.Status, severity: String) -> Alert {
        let labels = ["alertname": "secondary_missing_artifact", "repository": "app/web", "site": "hub-2", "severity": severity]
        return Alert(fingerprint: Fingerprint.of(labels), status: status, labels: labels, annotations: [:], startsAt: 1)
    }

    /// A detector grades a miss that was later served as a warning and one never served as
    /// critical; in a stream the resolved message must resolve the alert that fired (found by
    /// comparing `analyze --state` with a batch run on a million lines).
    @Test func resolvedKeepsTheSeverityItFiredWith() {
        var t = AlertTracker()
        let fired = t.transitions(t.pin([alert(.firing, severity: "critical")]))
        let resolved = t.transitions(t.pin([alert(.resolved, severity: "warning")]))
        try? #require(fired.count == 1 && resolved.count == 1)
        #expect(resolved[0].labels["severity"] == "critical")
        #expect(resolved[0].fingerprint == fired[0].fingerprint)
        #expect(t.transitions(t.pin([alert(.resolved, severity: "warning")])).isEmpty)
    }

    @Test func pinsSurviveACheckpoint() {
        var t = AlertTracker()
        _ = t.transitions(t.pin([alert(.firing, severity: "critical")]))
        var restored = AlertTracker(emitted: t.emitted, pinned: t.pinned)
        let out = restored.transitions(restored.pin([alert(.resolved, severity: "warning")]))
        #expect(out.map(\.labels["severity"]) == ["critical"])
        #expect(out.map(\.status) == [.resolved])
    }

    @Test func anAlertFirstSeenResolvedKeepsItsOwnSeverity() {
        var t = AlertTracker()
        let out = t.transitions(t.pin([alert(.resolved, severity: "warning")]))
        #expect(out.map(\.labels["severity"]) == ["warning"])
    }

    /// A stream builds every finding's alert at each look without rendering its templates, and
    /// renders the ones it emits: the same annotations as rendering all, with the pinned severity.
    @Test func alertsRenderedOnlyWhenEmittedAreTheSame() {
        var tpl = AlertTemplate()
        tpl.annotations = ["description": "{{count}} misses of {{labels.repository}} on {{site}} ({{severity}})"]
        let builder = AlertBuilder(templates: ["secondary_missing_artifact": tpl])
        func finding(_ severity: String, resolved: Int64?) -> Finding {
            Finding(
                detector: "secondary_missing_artifact", site: "hub-2", severity: severity, summary: "misses",
                labels: ["repository": "app/web"], details: [], firstSeen: 1, lastSeen: 2, resolvedAt: resolved, count: 3,
                evidence: [])
        }
        let fired = finding("critical", resolved: nil)
        let plain = builder.alert(fired, rendering: false)
        #expect(plain.annotations == ["summary": "misses"])
        let full = builder.alert(fired)
        #expect(full.annotations["description"] == "3 misses of app/web on hub-2 (critical)")
        let lazy = builder.rendered(plain)
        #expect(lazy.annotations == full.annotations)
        #expect(lazy.labels == full.labels && lazy.fingerprint == full.fingerprint && lazy.status == full.status)

        // Pinned: the resolved one keeps the severity it fired with, in labels and fingerprint.
        var t = AlertTracker()
        _ = t.transitions(t.pin([plain]))
        let resolved = finding("warning", resolved: 5)
        let eager = AlertTracker(emitted: t.emitted, pinned: t.pinned)
        var e = eager
        let expected = e.transitions(e.pin([builder.alert(resolved)]))
        let out = t.transitions(t.pin([builder.alert(resolved, rendering: false)])).map(builder.rendered)
        #expect(out.count == 1 && expected.count == 1)
        #expect(out.first?.labels["severity"] == "critical")
        #expect(out.first?.labels == expected.first?.labels && out.first?.fingerprint == expected.first?.fingerprint)
        // Its templates see the severity it has (it read the finding's own, "warning", before).
        #expect(out.first?.annotations["description"] == "3 misses of app/web on hub-2 (critical)")
        #expect(expected.first.map(builder.rendered)?.annotations == out.first?.annotations)
    }
}
