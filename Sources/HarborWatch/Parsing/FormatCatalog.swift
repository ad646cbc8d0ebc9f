/// The formats harborwatch reads, with an example line of each (`harborwatch formats`).
public enum FormatCatalog {
    /// One entry: name, what it is, an example line.
    public struct Entry: Sendable {
        /// The name `--input-format` takes (or the nginx format's name).
        public var name: String
        /// What writes it.
        public var summary: String
        /// A line of it.
        public var example: String
    }

    /// Every format.
    public static let entries: [Entry] = [
        Entry(name: "syslog", summary: "Harbor's log container prefix on every file of /var/log/harbor (yearless, zone-less); the payload is one of the formats below, chosen by the tag",
              example: "Sep 18 10:00:01 172.18.0.1 core[1043]: <payload>"),
        Entry(name: "nginx:timed_combined", summary: "Harbor's nginx (proxy.log): no time of its own, the syslog prefix dates it",
              example: #"10.20.30.40 - "GET /v2/ HTTP/1.1" 401 76 "-" "docker/24.0.7 … UpstreamClient(Docker-Client/24.0.7 \x5C(linux\x5C))" 0.002 0.002 ."#),
        Entry(name: "nginx:helm_timed_combined", summary: "harbor-helm's nginx: timed_combined with [$time_local]: first",
              example: #"[18/Sep/2024:10:00:01 +0000]:10.20.30.40 - "GET /v2/ HTTP/1.1" 401 76 "-" "containerd/v1.7.13" 0.002 0.002 ."#),
        Entry(name: "nginx:combined", summary: "nginx's predefined combined format (also main, combined + $request_id, and any --nginx-format)",
              example: #"10.20.30.40 - alice [18/Sep/2024:10:00:01 +0000] "GET /v2/ HTTP/1.1" 401 76 "-" "curl/8.0" 0123456789abcdef0123456789abcdef"#),
        Entry(name: "nginx-error", summary: "nginx error log (shares proxy.log in Harbor)",
              example: #"2024/09/18 10:00:01 [error] 8#8: *12 upstream timed out (110: Connection timed out), client: 10.20.30.40, server: , request: "GET /v2/ HTTP/1.1", upstream: "http://172.18.0.6:8080/v2/", host: "hub-1""#),
        Entry(name: "harbor", summary: "Harbor's text format: core, jobservice, registryctl and job log files",
              example: #"2024-09-18T10:05:12Z [INFO] [/controller/blob/controller.go:118][requestID="2c5d8f5f-ef4f-4250-94e3-ea273ac3284d"]: artifact digest sha256:05b3… already exist, skip to associate blobs with the artifact"#),
        Entry(name: "registry", summary: "the registry's logrus text lines (distribution 2.x)",
              example: #"time="2024-09-18T10:00:09.118230511Z" level=error msg="response completed with error" err.code="blob unknown" … http.response.status=404 vars.name="library/nginx" "#),
        Entry(name: "registry-access", summary: "the registry's access lines (gorilla combined; the time is the request's start, the address is core's)",
              example: #"172.18.0.6 - - [18/Sep/2024:10:00:01 +0000] "POST /v2/library/nginx/blobs/uploads/ HTTP/1.1" 202 0 "" "docker/24.0.7 … \\(linux\\))""#),
        Entry(name: "common-access", summary: "registryctl's access lines (common log format)",
              example: #"127.0.0.1 - - [18/Sep/2024:10:00:30 +0000] "GET /api/health HTTP/1.1" 200 9"#),
        Entry(name: "jobservice", summary: "jobservice service and job logs (Harbor text format): job start/end and every replication step",
              example: #"2024-09-18T10:00:05Z [INFO] [/jobservice/worker/cworker/c_worker.go:77]: Job incoming: {"name":"REPLICATION","id":"97833cef690cc2e9741266cd","t":1726653605,"args":null}"#),
    ]

    /// The catalog as text.
    public static func render() -> String {
        entries.map { "\($0.name)\n  \($0.summary)\n  e.g. \($0.example)" }.joined(separator: "\n\n")
    }
}
