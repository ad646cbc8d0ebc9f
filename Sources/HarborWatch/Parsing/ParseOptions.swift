/// How lines are read: formats, the syslog clock, limits.
public struct ParseOptions: Sendable {
    /// `--input-format`: a format to force, or `.auto`.
    public var inputFormat: InputFormat = .auto
    /// `--nginx-format`: a user `log_format`, tried before the built-in ones.
    public var nginxFormats: [NginxLogFormat] = []
    /// `--year` for yearless syslog times.
    public var year: Int?
    /// `--syslog-tz`; nil: inferred from dated payloads, else UTC.
    public var syslogZone: SyslogZone?
    /// Longest line read whole; longer ones are cut, flagged and counted.
    public var maxLineLength = 65_536

    /// Default options.
    public init() {}
}

/// A format the user can force with `--input-format`.
public enum InputFormat: String, Sendable, CaseIterable {
    /// Detect per source and per line.
    case auto
    /// nginx access lines (the `--nginx-format`, else the built-in formats).
    case nginx
    /// nginx error log.
    case nginxError = "nginx-error"
    /// Harbor's text format (core, jobservice, registryctl, job logs).
    case harbor
    /// registry logrus lines and access lines.
    case registry
    /// gorilla combined access lines of the registry only.
    case registryAccess = "registry-access"
    /// Common log format (registryctl).
    case commonAccess = "common-access"

    /// One line describing the format.
    public var summary: String {
        switch self {
        case .auto: return "detect the format per source and per line (the default)"
        case .nginx: return "nginx access log: Harbor's timed_combined, harbor-helm's variant, combined, or --nginx-format"
        case .nginxError: return "nginx error log"
        case .harbor: return "Harbor text format: core, jobservice, registryctl and job log files"
        case .registry: return "registry (distribution 2.x) logrus text lines and access lines"
        case .registryAccess: return "registry access lines (gorilla combined; the time is the request's start)"
        case .commonAccess: return "common log format (registryctl)"
        }
    }
}
