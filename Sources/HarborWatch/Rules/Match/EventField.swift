/// An event field a rule can match on, group by or put in a label.
public enum EventField: Sendable, Equatable, Hashable {
    case site, component, format, client, user, method, path, query, status, bytes, requestTime, upstreamTime
    case userAgent, host, requestId, kind, repository, reference, level, message, errorCode, errorDetail
    case jobId, jobName, jobAction, pathPrefix, uploadId, file
    /// `fields.NAME`: an extra field of the line.
    case extra(String)

    /// The names the rules file uses, in order.
    public static let names: [String] = [
        "site", "component", "format", "client", "user", "method", "path", "query", "status", "bytes", "request_time",
        "upstream_time", "user_agent", "host", "request_id", "kind", "repository", "reference", "level", "message",
        "error_code", "error_detail", "job_id", "job_name", "job_action", "path_prefix", "upload_id", "file",
    ]

    /// The field called `name` (`status`, `user_agent`, `fields.scope`), nil when there is none.
    public init?(_ name: String) {
        if name.hasPrefix("fields."), name.count > 7 {
            self = .extra(String(name.dropFirst(7)))
            return
        }
        let all: [EventField] = [
            .site, .component, .format, .client, .user, .method, .path, .query, .status, .bytes, .requestTime, .upstreamTime,
            .userAgent, .host, .requestId, .kind, .repository, .reference, .level, .message, .errorCode, .errorDetail,
            .jobId, .jobName, .jobAction, .pathPrefix, .uploadId, .file,
        ]
        guard let i = Self.names.firstIndex(of: name) else { return nil }
        self = all[i]
    }

    /// The field's value in `e` as text, nil when the line has none.
    public func text(_ e: Event) -> String? {
        switch self {
        case .site: return e.site
        case .component: return e.component.rawValue
        case .format: return e.format.rawValue
        case .client: return e.client
        case .user: return e.user
        case .method: return e.method
        case .path: return e.path
        case .query: return e.query
        case .status: return e.status == 0 ? nil : String(e.status)
        case .bytes: return e.bytes < 0 ? nil : String(e.bytes)
        case .requestTime: return e.requestTime.map { String($0) }
        case .upstreamTime: return e.upstreamTime.map { String($0) }
        case .userAgent: return e.userAgent
        case .host: return e.host
        case .requestId: return e.requestId
        case .kind: return e.kind == .none ? nil : e.kind.rawValue
        case .repository: return e.repository
        case .reference: return e.reference
        case .level: return e.level == .none ? nil : e.level.rawValue
        case .message: return e.message
        case .errorCode: return e.errorCode
        case .errorDetail: return e.errorDetail
        case .jobId: return e.jobId
        case .jobName: return e.jobName
        case .jobAction: return e.jobAction == .none ? nil : e.jobAction.rawValue
        case .pathPrefix: return e.pathPrefix
        case .uploadId: return e.uploadId
        case .file: return e.file
        case .extra(let k): return e.fields[k]
        }
    }

    /// The field's value in `e` as a number, nil when it has none or it is not a number.
    public func number(_ e: Event) -> Double? {
        switch self {
        case .status: return e.status == 0 ? nil : Double(e.status)
        case .bytes: return e.bytes < 0 ? nil : Double(e.bytes)
        case .requestTime: return e.requestTime
        case .upstreamTime: return e.upstreamTime
        default: return text(e).flatMap(Double.init)
        }
    }
}
