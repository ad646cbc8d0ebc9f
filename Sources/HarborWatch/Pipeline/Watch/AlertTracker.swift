/// Turns the engine's findings, asked for again and again, into alert transitions: an alert is
/// emitted when it first fires and when it resolves, never twice with the same status.
public struct AlertTracker: Sendable {
    /// Fingerprint → last status emitted.
    public var emitted: [String: Alert.Status] = [:]

    /// A tracker that already emitted `emitted` (from a checkpoint).
    public init(emitted: [String: Alert.Status] = [:]) { self.emitted = emitted }

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
