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
}
