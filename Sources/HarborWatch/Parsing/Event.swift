/// One normalised log record: an HTTP request, an application message or a jobservice step.
///
/// Every parser fills the fields its format carries and leaves the others `nil` (or 0 / `.none`).
/// The value is cheap to copy around: strings that repeat (clients, user agents, repositories)
/// come from a per-source interner, so most events share their storage.
public struct Event: Sendable, Equatable {
    /// Event time, nanoseconds since 1970-01-01 UTC (0 when the line carried none).
    public var time: Int64 = 0
    /// True when `time` marks the start of the request (registry access lines), not its end.
    public var timeIsStart = false
    /// The data center / Harbor instance that wrote the line (`hub-1`).
    public var site: String = ""
    /// The component that wrote the line.
    public var component: Component = .unknown
    /// The format the line was read with.
    public var format: LogFormat = .unknown
    /// File (the rotated set's member, or `-`) and 1-based line number inside it.
    public var file: String = ""
    /// 1-based line number inside `file`.
    public var line: Int = 0

    // MARK: HTTP
    /// Client address as the component saw it (nginx `$remote_addr`, registry `http.request.remoteaddr`).
    public var client: String?
    /// User name when the line names one (nginx `$remote_user`, the token request's `account`, core's `user:`).
    public var user: String?
    /// HTTP method.
    public var method: String?
    /// URI path as logged (percent-encoding kept).
    public var path: String?
    /// Query string without `?`.
    public var query: String?
    /// HTTP protocol (`HTTP/1.1`).
    public var proto: String?
    /// HTTP status (0 when none).
    public var status: Int = 0
    /// Body bytes sent (-1 when none).
    public var bytes: Int64 = -1
    /// Request duration in seconds (nginx `$request_time`, registry `http.response.duration`).
    public var requestTime: Double?
    /// Upstream duration in seconds (the sum when nginx tried several upstreams).
    public var upstreamTime: Double?
    /// Upstream address (nginx `$upstream_addr`).
    public var upstreamAddr: String?
    /// User agent, with nginx and logfmt escapes decoded.
    public var userAgent: String?
    /// Referer, when not empty or `-`.
    public var referer: String?
    /// Host header (nginx `$host`, registry `http.request.host`).
    public var host: String?
    /// Request id: nginx `$request_id` / `X-Request-ID`, core `requestID`, registry `http.request.id`.
    public var requestId: String?

    // MARK: Registry view of the URI
    /// What the request is about, from its path.
    public var kind: RequestKind = .none
    /// Repository name (`library/nginx`).
    public var repository: String?
    /// Tag or digest of a manifest, or the digest of a blob.
    public var reference: String?
    /// Upload session id of `…/blobs/uploads/<id>`.
    public var uploadId: String?
    /// `digest=` of an upload's final PUT, decoded (`sha256:…`).
    public var uploadDigest: String?
    /// `mount=` digest of a cross-repository mount.
    public var mountDigest: String?
    /// `from=` repository of a cross-repository mount.
    public var mountFrom: String?
    /// Path prefix before `/v2/` (`/registry` when a proxy adds one), else nil.
    public var pathPrefix: String?

    // MARK: Application lines
    /// Log level.
    public var level: LogLevel = .none
    /// Message text (escapes decoded; continuation lines appended after `\n`).
    public var message: String?
    /// Source file:line of the Harbor text format (`/core/main.go:154`).
    public var caller: String?
    /// Registry error code (`manifest unknown`, `blob unknown`, `UNAUTHORIZED` …).
    public var errorCode: String?
    /// Registry error detail.
    public var errorDetail: String?
    /// Other fields: unknown nginx variables, Harbor text `[k="v"]` fields, `auth.user.name` ….
    public var fields: [String: String] = [:]

    // MARK: jobservice
    /// jobservice job id (24 hex).
    public var jobId: String?
    /// Job name (`REPLICATION`).
    public var jobName: String?
    /// What a jobservice line says happened.
    public var jobAction: JobAction = .none
    /// Source artifact of a replication step (`library/nginx:1.25`).
    public var sourceArtifact: String?
    /// Destination artifact of a replication step.
    public var destinationArtifact: String?

    // MARK: Set by the analysis engine
    /// True when the line is a client request as the site's front door logged it.
    public var isFrontLine = false
    /// Hash of (site, client, user agent): the session a request belongs to.
    public var clientKey: UInt64 = 0

    /// An empty event.
    public init() {}
}

/// What a request's path says it is about, in registry terms.
public enum RequestKind: String, Sendable, CaseIterable, Codable {
    case none, ping, token, catalog, tags, manifest, blob, upload, api, health, other
}

/// Log level of an application line.
public enum LogLevel: String, Sendable, CaseIterable, Codable {
    case none, debug, info, warning, error, fatal, panic
}

/// The format a line was read with.
public enum LogFormat: String, Sendable, CaseIterable, Codable {
    case unknown
    /// nginx access line in a known or user-supplied `log_format`.
    case nginxAccess = "nginx"
    /// nginx error log line.
    case nginxError = "nginx-error"
    /// Harbor's text format (core, jobservice, registryctl, job logs).
    case harborText = "harbor"
    /// distribution's logrus text format (registry).
    case registryLogrus = "registry"
    /// distribution's gorilla combined access line (registry).
    case registryAccess = "registry-access"
    /// gorilla common log line (registryctl).
    case commonAccess = "common-access"
}

/// A step of a jobservice job, as its log line says.
public enum JobAction: String, Sendable, CaseIterable, Codable {
    case none
    case incoming, exitSuccess = "exit_success", exitError = "exit_error", stopped, retrying
    case clientCreated = "client_created"
    case copyingArtifact = "copying_artifact", copyingReference = "copying_reference"
    case pullingManifest = "pulling_manifest", manifestPulled = "manifest_pulled"
    case artifactExists = "artifact_exists_skip", sameNameExists = "same_name_skip"
    case copyingBlob = "copying_blob", blobCopied = "blob_copied", blobExists = "blob_exists_skip"
    case blobMounted = "blob_mounted", foreignLayer = "foreign_layer", retryLater = "retry_later"
    case pushingManifest = "pushing_manifest", manifestPushed = "manifest_pushed"
    case copyCompleted = "copy_completed", copyFailed = "copy_failed", jobFailed = "job_failed"
    case deleted, jobStopped = "job_stopped"
}
