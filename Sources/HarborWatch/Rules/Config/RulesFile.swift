/// A rules file: what to read, which detectors and rules run, where alerts go, and its own tests.
public struct RulesFile: Sendable {
    /// Where it was read from.
    public var path: String
    /// `inputs:` sites.
    public var sites: [SiteInput] = []
    /// `detectors:` settings of the built-in detectors.
    public var detectors = DetectorSettings()
    /// `detectors:` per-detector severity, labels and annotation templates.
    public var detectorAlerts: [String: AlertTemplate] = [:]
    /// `rules:` user rules.
    public var rules: [UserRule] = []
    /// `receivers:`.
    public var receivers: [ReceiverSpec] = []
    /// `route:` (nil: every alert to the first receiver, when there is one).
    public var route: RouteSpec?
    /// `inhibit_rules:`.
    public var inhibitRules: [InhibitRule] = []
    /// `outbox:`: where pending deliveries are kept.
    public var outbox: OutboxSpec?
    /// `tests:`.
    public var tests: [RuleTest] = []

    /// An empty rules file (built-in defaults).
    public init(path: String) { self.path = path }
}

/// One site of `inputs:`.
public struct SiteInput: Sendable, Equatable {
    public var name: String
    public var role: String = "secondary"
    public var paths: [String] = []
    public var inputFormat: String = "auto"
    public var nginxLogFormat: String?
    public var clockOffsetSecs: Double = 0
    public var syslogZone: String?
}

/// Severity, labels and annotation templates of an alert.
public struct AlertTemplate: Sendable {
    /// Severity (`critical`, `warning`, `info`); nil: the detector's own.
    public var severity: String?
    /// Extra labels.
    public var labels: [String: String] = [:]
    /// Annotation templates (Mustache), by name.
    public var annotations: [String: String] = [:]

    /// An empty template.
    public init() {}
}

/// A user rule of `rules:`.
public struct UserRule: Sendable {
    /// The four kinds.
    public enum Kind: String, Sendable, CaseIterable { case threshold, ratio, absence, sequence }

    public var name: String
    public var kind: Kind
    /// Events counted (threshold, ratio numerator, absence, sequence's first step).
    public var match = EventMatcher()
    /// ratio: the events the ratio is taken over (default: every event).
    public var total = EventMatcher()
    /// sequence: the second step.
    public var then = EventMatcher()
    /// sequence: fire when `then` does NOT follow within the window (SEC's PairWithWindow), else when it does.
    public var missing = false
    /// sequence: fields that must be equal in both steps.
    public var joinOn: [EventField] = []
    public var groupBy: [EventField] = []
    public var groupByNames: [String] = []
    public var windowSecs: Double = 60
    public var threshold: Double = 1
    public var minCount = 1
    public var forSecs: Double = 600
    public var alert = AlertTemplate()
}

/// A receiver of `receivers:`.
public struct ReceiverSpec: Sendable, Equatable {
    public var name: String
    public var url: String = ""
    /// generic, alertmanager, slack, dingtalk, feishu, wecom, template.
    public var format: String = "generic"
    public var headers: [String: String] = [:]
    /// Environment variable holding the receiver's secret (DingTalk/Feishu sign key, or a header value).
    public var secretEnv: String?
    /// Environment variable holding the HMAC-SHA256 key of the body signature header.
    public var hmacSecretEnv: String?
    /// Mustache template of the `template` format.
    public var template: String?
    public var timeoutSecs: Double = 10
    public var tlsVerify = true
    public var maxAlerts = 0
}

/// `route:` and its child routes.
public struct RouteSpec: Sendable {
    public var receiver: String?
    /// Where `receiver:` stands in the file (for cross-checks).
    public var receiverAt = (line: 1, column: 1)
    public var match: [String: String] = [:]
    public var matchRegex: [String: PCRE2Regex] = [:]
    public var groupBy: [String] = ["detector", "site"]
    public var groupWaitSecs: Double = 30
    public var groupIntervalSecs: Double = 300
    public var repeatIntervalSecs: Double = 4 * 3600
    public var `continue` = false
    public var routes: [RouteSpec] = []
}

/// `inhibit_rules:`: a firing source alert mutes matching target alerts with equal labels.
public struct InhibitRule: Sendable {
    public var sourceMatch: [String: String] = [:]
    public var targetMatch: [String: String] = [:]
    public var equal: [String] = []
}

/// `outbox:`.
public struct OutboxSpec: Sendable, Equatable {
    public var dir: String
    public var maxAgeSecs: Double = 86_400
}

/// One test of `tests:`: input lines per site and component, then the alerts expected.
public struct RuleTest: Sendable {
    public struct Input: Sendable {
        public var site: String
        public var component: String
        public var lines: [String]
        public var line: Int
    }

    public struct Expected: Sendable {
        public var alertname: String
        public var status: String?
        public var labels: [String: String] = [:]
        public var annotations: [String: String] = [:]
        public var at: String?
        public var line: Int
    }

    public var name: String
    public var line: Int
    public var inputs: [Input] = []
    public var expected: [Expected] = []
    /// The test's own options (`year`, `syslog_tz`).
    public var year: Int?
    public var syslogZone: String?
}
