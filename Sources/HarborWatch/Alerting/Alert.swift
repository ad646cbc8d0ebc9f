/// An alert: a finding as receivers see it, identified by the fingerprint of its labels.
///
/// Times are event times (nanoseconds since the epoch, UTC): a replay of last week's logs gives
/// the alerts the live stream gave.
public struct Alert: Sendable, Equatable, Codable {
    /// Firing or resolved.
    public enum Status: String, Sendable, Codable { case firing, resolved }

    /// Stable id of the label set (`Fingerprint.of(labels)`), the same on every machine and run.
    public var fingerprint: String
    /// Firing or resolved.
    public var status: Status
    /// Identity labels (`alertname`, `detector`, `site`, `repository`, `severity` …).
    public var labels: [String: String]
    /// Human texts (`summary`, `description` …), rendered from the rules file's templates.
    public var annotations: [String: String]
    /// When the problem started (event time, ns).
    public var startsAt: Int64
    /// When it resolved (event time, ns), nil while firing.
    public var endsAt: Int64?
    /// A link back (optional).
    public var generatorURL: String?
    /// The finding behind the alert, for the generic JSON payload (not encoded: a checkpoint
    /// keeps an alert's labels, annotations and times).
    public var finding: Finding?

    private enum CodingKeys: String, CodingKey { case fingerprint, status, labels, annotations, startsAt, endsAt, generatorURL }

    /// An alert.
    public init(
        fingerprint: String, status: Status, labels: [String: String], annotations: [String: String], startsAt: Int64,
        endsAt: Int64? = nil, generatorURL: String? = nil, finding: Finding? = nil
    ) {
        self.fingerprint = fingerprint
        self.status = status
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
        self.finding = finding
    }
}

/// A batch of alerts of one route group, sent to one receiver at once (Alertmanager's notification).
public struct Notification: Sendable, Equatable {
    /// The receiver's name.
    public var receiver: String
    /// The group's key (route + group labels), stable.
    public var groupKey: String
    /// `firing` when any alert fires, else `resolved`.
    public var status: Alert.Status
    /// The labels the route groups by, with the group's values.
    public var groupLabels: [String: String]
    /// Labels every alert of the group shares.
    public var commonLabels: [String: String]
    /// Annotations every alert of the group shares.
    public var commonAnnotations: [String: String]
    /// The alerts.
    public var alerts: [Alert]
    /// Alerts left out by a `max_alerts` limit.
    public var truncatedAlerts: Int
    /// Where the alerts can be seen (optional).
    public var externalURL: String
    /// Idempotency key of this delivery: receivers drop a second copy with the same key.
    public var idempotencyKey: String

    /// The pairs every map of `maps` holds (`commonLabels`, `commonAnnotations`).
    public static func shared(_ maps: [[String: String]]) -> [String: String] {
        var common = maps.first ?? [:]
        for m in maps.dropFirst() { common = common.filter { m[$0.key] == $0.value } }
        return common
    }

    /// A notification.
    public init(
        receiver: String, groupKey: String, status: Alert.Status, groupLabels: [String: String],
        commonLabels: [String: String], commonAnnotations: [String: String], alerts: [Alert], truncatedAlerts: Int = 0,
        externalURL: String = "", idempotencyKey: String
    ) {
        self.receiver = receiver
        self.groupKey = groupKey
        self.status = status
        self.groupLabels = groupLabels
        self.commonLabels = commonLabels
        self.commonAnnotations = commonAnnotations
        self.alerts = alerts
        self.truncatedAlerts = truncatedAlerts
        self.externalURL = externalURL
        self.idempotencyKey = idempotencyKey
    }
}

/// `Notification` under a name that does not clash with Foundation's.
public typealias AlertNotification = Notification
