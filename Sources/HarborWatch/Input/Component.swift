/// The Harbor (or nginx) component that wrote a log line.
///
/// It comes from the syslog tag of Harbor's log container, the file name, or the shape of the line.
public enum Component: String, Sendable, CaseIterable, Codable, Hashable {
    /// Harbor's nginx (`proxy.log`, syslog tag `proxy`).
    case proxy
    /// Any other nginx: a load balancer or the operator's own proxy (`access.log`, `error.log`).
    case nginx
    /// Harbor core (`core.log`).
    case core
    /// The distribution registry (`registry.log`).
    case registry
    /// registryctl (`registryctl.log`).
    case registryctl
    /// The jobservice service log (`jobservice.log`).
    case jobservice
    /// A per-job log file of jobservice (`job_logs/<24-hex job id>.log`).
    case job
    /// The portal's nginx (`portal.log`).
    case portal
    /// Anything else (postgresql, redis, trivy …) or not known yet.
    case unknown

    /// The component a syslog tag names (`proxy`, `core`, `registry` …); `nil` for tags harborwatch does not read.
    public init?(syslogTag tag: String) {
        switch tag {
        case "proxy", "nginx": self = .proxy
        case "core": self = .core
        case "registry": self = .registry
        case "registryctl": self = .registryctl
        case "jobservice": self = .jobservice
        case "portal": self = .portal
        default: return nil
        }
    }
}
