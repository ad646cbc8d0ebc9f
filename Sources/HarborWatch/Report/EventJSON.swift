/// The NDJSON form of an event (`harborwatch parse`): one object, fields with values only.
public enum EventJSON {
    /// Writes `e` as one JSON object.
    public static func write(_ e: Event, to w: inout JSONWriter) {
        w.beginObject()
        if e.time != 0 { w.member("time", Timestamps.format(e.time)) }
        if e.timeIsStart { w.member("time_is_start", true) }
        w.member("site", e.site)
        w.member("component", e.component.rawValue)
        w.member("format", e.format.rawValue)
        w.member("file", e.file)
        w.member("line", e.line)
        w.member("client", e.client)
        w.member("user", e.user)
        w.member("method", e.method)
        w.member("path", e.path)
        w.member("query", e.query)
        w.member("proto", e.proto)
        if e.status != 0 { w.member("status", e.status) }
        if e.bytes >= 0 { w.member("bytes", e.bytes) }
        w.member("request_time", e.requestTime)
        w.member("upstream_time", e.upstreamTime)
        w.member("upstream_addr", e.upstreamAddr)
        w.member("user_agent", e.userAgent)
        w.member("referer", e.referer)
        w.member("host", e.host)
        w.member("request_id", e.requestId)
        if e.kind != .none { w.member("kind", e.kind.rawValue) }
        w.member("repository", e.repository)
        w.member("reference", e.reference)
        w.member("upload_id", e.uploadId)
        w.member("upload_digest", e.uploadDigest)
        w.member("mount_digest", e.mountDigest)
        w.member("mount_from", e.mountFrom)
        w.member("path_prefix", e.pathPrefix)
        if e.level != .none { w.member("level", e.level.rawValue) }
        w.member("caller", e.caller)
        w.member("message", e.message)
        w.member("error_code", e.errorCode)
        w.member("error_detail", e.errorDetail)
        w.member("job_id", e.jobId)
        w.member("job_name", e.jobName)
        if e.jobAction != .none { w.member("job_action", e.jobAction.rawValue) }
        w.member("source_artifact", e.sourceArtifact)
        w.member("destination_artifact", e.destinationArtifact)
        if !e.fields.isEmpty {
            w.key("fields")
            w.beginObject()
            for k in e.fields.keys.sorted() { w.member(k, e.fields[k]) }
            w.endObject()
        }
        w.endObject()
    }
}
