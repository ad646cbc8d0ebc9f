// Generated from rules/default.yaml by scripts/embed_default_rules.py; a test keeps the two equal.

/// The copy of `rules/default.yaml` built into the binary, used when the file is not found.
enum DefaultRules {
    static let yaml = #"""
# harborwatch default rules: the built-in detectors as a Harbor operator wants them out of the box,
# a few user rules, and the tests that show what each one catches.
# `harborwatch rules check rules/` validates this file; `harborwatch rules test rules/` runs its tests.
# Durations are seconds (keys end in _secs). Templates are Mustache over the finding:
# {{summary}} {{detector}} {{site}} {{severity}} {{count}} {{first_seen}} {{last_seen}} {{resolved_at}}
# {{status}} {{labels.NAME}} {{details.NAME}}.

detectors:
  push_unauthorized:
    severity: critical
    retry_grace_secs: 15        # a 401 followed this soon by a token and a good retry is the normal challenge
    token_lifetime_secs: 1800   # Harbor's token_expiration
    annotations:
      description: "Push to {{labels.repository}} on {{site}} failed {{count}} times with 401 ({{details.cause}}), {{first_seen}} to {{last_seen}}."
  secondary_missing_artifact:
    annotations:
      description: "{{details.failed_requests}} pulls of {{details.repository}}:{{details.reference}} missed on {{site}} ({{details.outcome}}); {{details.primary_site}} had it since {{details.primary_since}}."
  replication_lag:
    max_lag_secs: 120
    annotations:
      description: "{{summary}}"
  replication_duplicate:
    window_secs: 600
    burst_gap_secs: 5
  tag_without_data:
    window_secs: 10

rules:
  - name: replication_job_failed
    kind: threshold
    match:
      component: [jobservice, job]
      job_action: exit_error
      message: {regex: "^Job 'REPLICATION:"}
    group_by: [site]
    window_secs: 600
    threshold: 1
    severity: critical
    annotations:
      summary: "A replication job failed on {{labels.site}} ({{count}} in 10 minutes)"

  - name: registry_server_errors
    kind: threshold
    match:
      component: [proxy, nginx]
      kind: [manifest, blob, upload]
      status: {min: 500, max: 599}
    group_by: [site]
    window_secs: 60
    threshold: 20
    severity: critical
    annotations:
      summary: "{{details.peak_count}} registry requests answered 5xx within a minute on {{labels.site}}"

  - name: push_failure_ratio
    kind: ratio
    match:
      component: proxy
      method: [POST, PATCH, PUT]
      kind: [upload, manifest]
      status: {min: 400}
    total:
      component: proxy
      method: [POST, PATCH, PUT]
      kind: [upload, manifest]
    group_by: [site]
    window_secs: 300
    ratio: 0.5
    min_count: 20
    severity: warning

tests:
  - name: a push that meets 401 after a good login
    input:
      - site: hub-1
        component: proxy
        lines: |
          Sep 18 02:41:05 172.18.0.1 proxy[1043]: 10.20.30.41 - "GET /v2/ HTTP/1.1" 401 76 "-" "docker/24.0.7" 0.003 0.002 .
          Sep 18 02:41:05 172.18.0.1 proxy[1043]: 10.20.30.41 - "GET /service/token?account=bob&scope=repository%3Ateam%2Fpayments%3Apull%2Cpush&service=harbor-registry HTTP/1.1" 200 1083 "-" "docker/24.0.7" 0.050 0.050 .
          Sep 18 02:41:05 172.18.0.1 proxy[1043]: 10.20.30.41 - "POST /v2/team/payments/blobs/uploads/ HTTP/1.1" 401 228 "-" "docker/24.0.7" 0.010 0.010 .
          Sep 18 02:45:00 172.18.0.1 proxy[1043]: 10.0.0.1 - "GET /v2/ HTTP/1.1" 401 76 "-" "curl/8.0" 0.001 0.001 .
      - site: hub-1
        component: registry
        lines: |
          Sep 18 02:41:05 172.18.0.1 registry[1043]: time="2024-09-18T02:41:05.467Z" level=warning msg="error authorizing context: basic authentication challenge for realm "harbor-registry-basic-realm": invalid authorization credential" go.version=go1.21.11 http.request.host=hub-1 http.request.id=a1 http.request.method=POST http.request.remoteaddr=10.20.30.41 http.request.uri="/v2/team/payments/blobs/uploads/" http.request.useragent="docker/24.0.7" vars.name="team/payments" 
    expect:
      - alertname: push_unauthorized
        status: firing
        at: "2024-09-18T02:41:05Z"
        labels: {site: hub-1, repository: team/payments, user: bob, severity: critical}
        annotations:
          description: "Push to team/payments on hub-1 failed 1 times with 401 (no_credentials_on_write), 2024-09-18T02:41:05Z to 2024-09-18T02:41:05Z."

  - name: the challenge 401 alone is normal
    input:
      - site: hub-1
        component: proxy
        lines: |
          Sep 18 02:00:00 172.18.0.1 proxy[1043]: 10.0.0.5 - "GET /v2/ HTTP/1.1" 401 76 "-" "docker/24.0.7" 0.001 0.001 .
          Sep 18 02:00:01 172.18.0.1 proxy[1043]: 10.0.0.5 - "GET /service/token?account=a&scope=repository%3Ax%3Apull&service=harbor-registry HTTP/1.1" 200 900 "-" "docker/24.0.7" 0.050 0.050 .
          Sep 18 02:00:01 172.18.0.1 proxy[1043]: 10.0.0.5 - "GET /v2/x/manifests/1 HTTP/1.1" 200 900 "-" "docker/24.0.7" 0.010 0.010 .
    expect: []

  - name: pulls miss on the secondary until replication lands
    input:
      - site: hub-1
        component: proxy
        lines: |
          Sep 18 02:10:00 172.18.0.1 proxy[1043]: 10.20.31.5 - "PUT /v2/app/web/manifests/2.3.1 HTTP/1.1" 201 0 "-" "docker/24.0.7" 0.100 0.100 .
      - site: hub-2
        component: proxy
        lines: |
          Sep 18 02:10:20 172.19.0.1 proxy[2210]: 10.60.7.21 - "HEAD /v2/app/web/manifests/2.3.1 HTTP/1.1" 404 0 "-" "containerd/v1.7.13" 0.004 0.004 .
          Sep 18 02:12:25 172.19.0.1 proxy[2210]: 10.10.0.11 - "PUT /v2/app/web/manifests/2.3.1 HTTP/1.1" 201 0 "-" "harbor-registry-client" 0.030 0.030 .
          Sep 18 02:12:40 172.19.0.1 proxy[2210]: 10.60.7.21 - "GET /v2/app/web/manifests/2.3.1 HTTP/1.1" 200 1000 "-" "containerd/v1.7.13" 0.004 0.004 .
    expect:
      - alertname: secondary_missing_artifact
        status: resolved
        at: "2024-09-18T02:12:40Z"
        labels: {site: hub-2, repository: app/web, reference: "2.3.1"}
      - alertname: replication_lag
        status: resolved
        at: "2024-09-18T02:12:25Z"
        labels: {site: hub-2, repository: app/web}
        annotations:
          summary: "app/web:2.3.1 took 2 min 25 s to replicate from hub-1 to hub-2 (max 2 min 00 s)"

  - name: a failed replication job
    input:
      - site: hub-1
        component: jobservice
        lines: |
          Sep 18 02:31:34 172.18.0.1 jobservice[1043]: 2024-09-18T02:31:34Z [ERROR] [/jobservice/runner/redis.go:131]: Job 'REPLICATION:a78ee16a9a63a56b56cf3a83' exit with error: got error during the whole transfer period, mark the job failure
    expect:
      - alertname: replication_job_failed
        status: firing
        at: "2024-09-18T02:31:34Z"
        labels: {site: hub-1, severity: critical}
        annotations:
          summary: "A replication job failed on hub-1 (1 in 10 minutes)"

"""#
}
