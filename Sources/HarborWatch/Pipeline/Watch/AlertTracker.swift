/// Turns the engine's findings, asked for again and again, into alert transitions: an alert is
/// emitted when it first fires and when it resolves, never twice with the same status.
///
/// An alert keeps the severity it was first seen with. A detector may grade a finding by how it
/// ended (a miss that was later served is a warning, one never served is critical); in a stream
/// that would turn the resolved message into another alert (other labels, other fingerprint), and
/// a receiver such as Alertmanager would never see the firing one resolve.
public struct AlertTracker: Sendable {
    /// Fingerprint → last status emitted.
    public var emitted: [String: Alert.Status] = [:]
    /// Fingerprint of the labels without `severity` → the severity the alert was first seen with.
    public var pinned: [String: String] = [:]

    /// A tracker that already emitted `emitted` (from a checkpoint).
    public init(emitted: [String: Alert.Status] = [:], pinned: [String: String] = [:]) {
        self.emitted = emitted
        self.pinned = pinned
    }

    /// `alerts` with the severity each was first seen with (and the fingerprint that goes with it).
    public mutating func pin(_ alerts: [Alert]) -> [Alert] {
        alerts.map { a in
            guard let severity = a.labels["severity"] else { return a }
            var rest = a.labels
            rest["severity"] = nil
            let key = Fingerprint.of(rest)
            guard let first = pinned[key] else {
                pinned[key] = severity
                return a
            }
            if first == severity { return a }
            var b = a
            b.labels["severity"] = first
            b.fingerprint = Fingerprint.of(b.labels)
            return b
        }
    }

    /// The alerts among `alerts` whose status changed since they were last emitted.
    public mutating func transitions(_ alerts: [Alert]) -> [Alert] {
        var out: [Alert] = []
        for a in alerts where emitted[a.fingerprint] != a.status {
            // A resolved alert never seen firing is still worth one message (it fired and resolved between looks).
            emitted[a.fingerprint] = a.status
            out.append(a)
        }
        return out
    }
}
