#!/usr/bin/env python3
"""Generate the bundled sample logs of harborwatch (samples/).

Two Harbor v2.10 sites share one PostgreSQL (DC1) and have their own Ceph storage:
hub-1 (primary, DC1) replicates to hub-2 (secondary, DC2).  This script writes the
syslog-wrapped Harbor logs of both sites for 2024-09-18 02:00-03:30 UTC, plus the
ground truth (samples/incidents.json) and a short guide (samples/README.md).

Every format follows /work/shared/docs/harbor-logs.md (the project's Harbor log
reference): nginx `timed_combined` in proxy.log, Harbor text format in core.log and
jobservice.log, logrus + gorilla access lines in registry.log, syslog prefix in
dockerd's local time (UTC+8) while payloads are UTC.

The output is deterministic: a fixed random seed for small timing jitter, IDs and
digests derived from hashes of names and counters, no wall clock, gzip mtime=0.
Running `python3 scripts/gen_samples.py` rewrites samples/ exactly and then checks
the result (formats, order, prefix = payload + 8 h); it exits non-zero on a problem.
"""

import base64
import calendar
import gzip
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import sys

# =====================================================================================
# Setting
# =====================================================================================

SEED = 20240918
DAY = (2024, 9, 18)
PREFIX_TZ_HOURS = 8          # dockerd runs in China time, containers in UTC
GO_VERSION = "go1.21.11"     # registry (distribution v2.8.3) build of Harbor v2.10
HARBOR_VERSION = "v2.10.2"
REGISTRY_USER = "harbor_registry_user"
ROTATE_AT = "02:35:00"       # hub-1 proxy.log was rotated (copytruncate) here -> proxy.log.1.gz

SITES = {
    "hub-1": dict(fqdn="hub-1.corp.example.com", token="172.18.0.1", pid=1043,
                  core_ip="172.18.0.6", jobservice_ip="172.18.0.9", portal_ip="172.18.0.3",
                  egress_ip="10.10.0.11", nginx_worker=9, conn0=104_212),
    "hub-2": dict(fqdn="hub-2.corp.example.com", token="172.19.0.1", pid=2210,
                  core_ip="172.19.0.6", jobservice_ip="172.19.0.9", portal_ip="172.19.0.3",
                  egress_ip="10.60.0.11", nginx_worker=9, conn0=88_031),
}
REGPROXY_IP = "172.18.0.20"  # the operator's extra nginx on hub-1 (incident 4)
DB_HOST = "pgsql.dc1.corp.example.com"

DOCKER_UA = ("docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic "
             "os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \\(linux\\))")
CI_UA = ("docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/6.1.0-18-amd64 "
         "os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \\(linux\\))")
CAROL_UA = ("docker/25.0.3 go/go1.21.6 git-commit/f417435 kernel/6.6.12-linuxkit "
            "os/linux arch/arm64 UpstreamClient(Docker-Client/25.0.3 \\(darwin\\))")
CONTAINERD_UA = "containerd/v1.7.13"
SKOPEO_UA = "skopeo/1.13.3"
REPL_UA = "harbor-registry-client"
GO_UA = "Go-http-client/1.1"
BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36")
CURL_UA = "curl/8.6.0"
BLACKBOX_UA = "Blackbox Exporter/0.24.0"

CLIENTS = {
    "alice": dict(ip="10.20.30.40", ua=DOCKER_UA, account="alice"),
    "bob": dict(ip="10.20.30.41", ua=DOCKER_UA, account="bob"),
    "carol": dict(ip="10.20.30.42", ua=CAROL_UA, account="carol"),
    "ci": dict(ip="10.20.31.5", ua=CI_UA, account="robot$ci"),
    "k8s-a": dict(ip="10.60.7.21", ua=CONTAINERD_UA, account="robot$k8s-puller"),
    "k8s-b": dict(ip="10.60.7.22", ua=CONTAINERD_UA, account="robot$k8s-puller"),
    "deploy": dict(ip="10.60.3.8", ua=SKOPEO_UA, account="robot$deployer"),
    "ops-1": dict(ip="10.20.30.50", ua=BROWSER_UA, account="admin"),
    "ops-2": dict(ip="10.60.1.15", ua=BROWSER_UA, account="admin"),
    "monitor": dict(ip="10.10.9.5", ua=BLACKBOX_UA, account=None),
}

# Artifacts: (repository, tag) -> layers [(name, size)], config size.  Digests are
# sha256 of "<kind>:<repo>:<tag>:<name>" so they are stable and readable in diffs.
ARTIFACTS = {
    ("library/nginx", "1.25"): dict(layers=[("debian-base", 29_126_484), ("nginx", 41_387_220)], config=7_791),
    ("app/web", "2.3.1"): dict(layers=[("web-app", 38_734_112)], config=5_342),
    ("app/web", "2.3.0"): dict(layers=[("web-app", 38_702_551)], config=5_338),
    ("app/api", "5.0.0"): dict(layers=[("api-app", 52_118_903)], config=6_120),
    ("app/api", "4.9.2"): dict(layers=[("api-app", 51_907_366)], config=6_104),
    ("team/payments", "1.4.2"): dict(layers=[("payments-app", 23_650_017)], config=4_987),
    ("library/redis", "7.2"): dict(layers=[("redis-server", 12_480_330)], config=7_120),
    ("library/golang", "1.22"): dict(layers=[("golang-sdk", 69_842_117)], config=9_231),
    ("library/python", "3.12"): dict(layers=[("python-runtime", 24_056_702)], config=8_411),
    ("dev/tools", "0.9"): dict(layers=[("tools-base", 31_415_926), ("tools-bin", 8_062_114)], config=3_954),
}

# Replication policies (one shared DB, so both cores see both policies).
POLICY_MAIN = "dc1-to-dc2"        # event_based, all repositories, destination hub-2
POLICY_REDIS = "redis-to-dc2"     # event_based, library/redis only, destination hub-2 (the duplicate)

# -------------------------------------------------------------------------------------
# The incident day, as data: (UTC time, action, parameters), run in this order.
# Times are when the action starts; each action computes its own request timings.
# -------------------------------------------------------------------------------------
SCENARIO = [
    # --- background noise, both sites ---------------------------------------------------
    ("02:00:04", "proxy_health", dict(site="hub-1")),
    ("02:00:09", "proxy_health", dict(site="hub-2")),
    ("02:00:20", "registry_health", dict(site="hub-1")),
    ("02:00:27", "registry_health", dict(site="hub-2")),
    # hub-1 operator's repository page times out (nginx error line early in proxy.log.1.gz)
    ("01:59:40.512", "portal_timeout", dict(site="hub-1", who="ops-1",
        uri="/api/v2.0/projects/library/repositories/nginx/artifacts?with_tag=true&with_scan_overview=true&with_label=true&page_size=15&page=1",
        referer="https://hub-1.corp.example.com/harbor/projects/1/repositories/nginx/artifacts-tab")),
    # incident 1: alice pushes library/nginx:1.25, normal replication (~55 s)
    ("02:01:00.214", "docker_push", dict(site="hub-1", who="alice", art=("library/nginx", "1.25"), tag="i1")),
    ("02:01:30.771", "portal_timeout", dict(site="hub-2", who="ops-2", uri="/api/v2.0/statistics",
        referer="https://hub-2.corp.example.com/harbor/projects", core_error=True)),
    ("02:01:13.000", "replication", dict(src="hub-1", dst="hub-2", art=("library/nginx", "1.25"),
        policy=POLICY_MAIN, enqueue="02:01:12", incoming="02:01:13.402", rate=1.6e6, tag="r-nginx")),
    ("02:04:15.118", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("app/web", "2.3.0"), fetch=False)),
    ("02:06:10.530", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("library/nginx", "1.25"), fetch=True)),
    ("02:06:41.902", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("library/nginx", "1.25"), fetch=True)),
    ("02:07:30.044", "monitor_health", dict(site="hub-1")),
    # incident 2: CI pushes app/web:2.3.1; hub-2 misses it for ~85 s
    ("02:09:20.380", "docker_pull", dict(site="hub-1", who="ci", art=("library/golang", "1.22"), fetch_layers=True)),
    ("02:09:57.605", "docker_push", dict(site="hub-1", who="ci", art=("app/web", "2.3.1"), tag="i2")),
    ("02:10:20.140", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("app/web", "2.3.1"), missing=True, tag="web-miss")),
    ("02:10:35.262", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("app/web", "2.3.1"), missing=True, tag="web-miss")),
    ("02:10:50.087", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("app/web", "2.3.1"), missing=True, tag="web-miss")),
    ("02:11:05.311", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("app/web", "2.3.1"), missing=True, tag="web-miss")),
    ("02:11:03.000", "replication", dict(src="hub-1", dst="hub-2", art=("app/web", "2.3.1"),
        policy=POLICY_MAIN, enqueue="02:11:02", incoming="02:11:03.220", rate=1.75e6, tag="r-web")),
    ("02:11:40.203", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("app/web", "2.3.1"), fetch=True, tag="web-served")),
    ("02:15:04", "proxy_health", dict(site="hub-1")),
    ("02:15:38.450", "docker_pull", dict(site="hub-1", who="bob", art=("library/python", "3.12"), fetch_layers=True)),
    ("02:16:09", "proxy_health", dict(site="hub-2")),
    ("02:20:20", "registry_health", dict(site="hub-1")),
    ("02:20:27", "registry_health", dict(site="hub-2")),
    ("02:22:30.051", "monitor_health", dict(site="hub-1")),
    # benign lookalike: a typo that hub-1 never had
    ("02:25:10.640", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("library/ngnix", "latest"), nonexistent=True)),
    ("02:25:31.018", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("library/ngnix", "latest"), nonexistent=True)),
    # incident 3: CI pushes app/api:5.0.0; its replication fails (HTTP 500 on hub-2)
    ("02:29:25.930", "docker_pull", dict(site="hub-1", who="ci", art=("library/golang", "1.22"), fetch_layers=False)),
    ("02:30:07.122", "docker_push", dict(site="hub-1", who="ci", art=("app/api", "5.0.0"), tag="i3")),
    ("02:30:04", "proxy_health", dict(site="hub-1")),
    ("02:30:21.000", "replication", dict(src="hub-1", dst="hub-2", art=("app/api", "5.0.0"),
        policy=POLICY_MAIN, enqueue="02:30:20", incoming="02:30:21.311", rate=6.2e6, fail_blob="api-app",
        tag="r-api", job_file=True)),
    ("02:31:40.077", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("app/api", "5.0.0"), missing=True, tag="api-miss")),
    ("02:32:10.826", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("app/api", "5.0.0"), missing=True, tag="api-miss")),
    ("02:32:25.514", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("app/api", "5.0.0"), missing=True, tag="api-miss")),
    ("02:35:55.233", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("app/api", "5.0.0"), missing=True, tag="api-miss")),
    ("02:37:30.049", "monitor_health", dict(site="hub-1")),
    # incident 3b: tags/list lists 5.0.0 on hub-2, the manifest 404s (tag without data)
    ("02:38:10.402", "skopeo_check", dict(site="hub-2", who="deploy", art=("app/api", "5.0.0"), tag="api-miss")),
    # incident 4: operator points core's REGISTRY_URL at their own nginx (/registry/ prefix)
    ("02:39:41.200", "regproxy_test", dict()),
    ("02:40:00.000", "core_restart", dict(site="hub-1", who="ops-1", registry_url="http://regproxy:8080/registry")),
    ("02:40:20", "registry_health", dict(site="hub-1")),
    ("02:40:27", "registry_health", dict(site="hub-2")),
    ("02:41:05.310", "docker_push_unauthorized", dict(site="hub-1", who="bob", art=("team/payments", "1.4.2"), tag="bob")),
    ("02:41:38.052", "docker_push_unauthorized", dict(site="hub-1", who="bob", art=("team/payments", "1.4.2"), tag="bob")),
    ("02:42:09.771", "docker_push_unauthorized", dict(site="hub-1", who="bob", art=("team/payments", "1.4.2"), tag="bob")),
    ("02:44:30.062", "monitor_health", dict(site="hub-1")),
    ("02:44:30.870", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("app/api", "5.0.0"), missing=True, tag="api-miss")),
    ("02:45:04", "proxy_health", dict(site="hub-1")),
    # incident 5: carol, stale/wrong password
    ("02:45:10.115", "docker_push_bad_credentials", dict(site="hub-1", who="carol", art=("dev/tools", "0.9"), tag="carol")),
    ("02:45:38.660", "docker_login_bad_credentials", dict(site="hub-1", who="carol", tag="carol")),
    ("02:46:09", "proxy_health", dict(site="hub-2")),
    ("02:49:10.004", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("library/nginx", "1.25"), fetch=False)),
    # incident 4 ends: configuration reverted, bob's push goes through and replicates
    ("02:52:00.000", "core_restart", dict(site="hub-1", who="ops-1", registry_url="http://registry:5000")),
    ("02:53:10.488", "docker_push", dict(site="hub-1", who="bob", art=("team/payments", "1.4.2"), tag="i4", ping_after_restart=True)),
    ("02:53:31.000", "replication", dict(src="hub-1", dst="hub-2", art=("team/payments", "1.4.2"),
        policy=POLICY_MAIN, enqueue="02:53:30", incoming="02:53:31.150", rate=0.62e6, tag="r-payments")),
    ("02:56:02.315", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("team/payments", "1.4.2"), fetch=True)),
    ("02:59:30.040", "monitor_health", dict(site="hub-1")),
    # incident 6: alice pushes library/redis:7.2 -> three replication jobs (storm)
    ("03:00:01.377", "docker_push", dict(site="hub-1", who="alice", art=("library/redis", "7.2"), tag="i6")),
    ("03:00:04", "proxy_health", dict(site="hub-1")),
    ("03:00:20", "registry_health", dict(site="hub-1")),
    ("03:00:40.000", "replication", dict(src="hub-1", dst="hub-2", art=("library/redis", "7.2"),
        policy=POLICY_MAIN, enqueue="03:00:39", incoming="03:00:40.086", rate=1.1e6, tag="r-redis-a")),
    ("03:00:57.000", "replication", dict(src="hub-1", dst="hub-2", art=("library/redis", "7.2"),
        policy=POLICY_REDIS, enqueue="03:00:56", incoming="03:00:57.233", tag="r-redis-b")),
    ("03:00:59.000", "replication", dict(src="hub-2", dst="hub-2", art=("library/redis", "7.2"),
        policy=POLICY_MAIN, enqueue="03:00:58", incoming="03:00:59.021", tag="r-redis-c")),
    ("03:01:09", "proxy_health", dict(site="hub-2")),
    ("03:01:27", "registry_health", dict(site="hub-2")),
    ("03:03:00.702", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("library/redis", "7.2"), fetch=True)),
    ("03:05:12.319", "docker_pull", dict(site="hub-1", who="ci", art=("library/golang", "1.22"), fetch_layers=False, tag="ci-pull-late")),
    ("03:08:00.530", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("app/web", "2.3.1"), fetch=False)),
    ("03:12:20.660", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("app/api", "5.0.0"), missing=True, tag="api-miss")),
    ("03:14:30.047", "monitor_health", dict(site="hub-1")),
    # benign lookalike: alice re-pushes library/nginx:1.25 (same digest)
    ("03:15:20.702", "docker_push", dict(site="hub-1", who="alice", art=("library/nginx", "1.25"), tag="i7", repush=True)),
    ("03:15:31.000", "replication", dict(src="hub-1", dst="hub-2", art=("library/nginx", "1.25"),
        policy=POLICY_MAIN, enqueue="03:15:30", incoming="03:15:31.118", tag="r-nginx-repush")),
    ("03:16:09", "proxy_health", dict(site="hub-2")),
    ("03:20:15.442", "containerd_pull", dict(site="hub-2", who="k8s-b", art=("app/api", "5.0.0"), missing=True, tag="api-miss")),
    ("03:20:20", "registry_health", dict(site="hub-1")),
    ("03:27:40.118", "containerd_pull", dict(site="hub-2", who="k8s-a", art=("app/api", "5.0.0"), missing=True, tag="api-miss")),
    ("03:29:30.050", "monitor_health", dict(site="hub-1")),
]

# Planted broken lines: (file, selector, kind).  The selector picks one ordinary line
# (by substring, the n-th match) that is then damaged at write time.  None of them is
# evidence of an incident.
BROKEN = [
    ("hub-1/proxy.log.1.gz", ("GET /v2/library/python/blobs/sha256:", 0), "cut_request"),
    ("hub-1/proxy.log", ("GET /v2/library/golang/manifests/1.22", 0), "cut_user_agent"),
    ("hub-1/registry.log", ('msg="response completed" ', "/v2/library/golang/manifests/", 1), "cut_logrus"),
    ("hub-2/registry.log", ('msg="response completed" ', "remoteaddr=10.60.7.21", "/v2/library/redis/blobs/", 0),
     "garble_timestamp"),
    ("hub-2/proxy.log", ("HEAD /v2/library/nginx/manifests/1.25", 3), "nul_junk_before"),
]

# =====================================================================================
# Engine
# =====================================================================================

S = 10 ** 9
MS = 10 ** 6
US = 10 ** 3
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAY0 = calendar.timegm((DAY[0], DAY[1], DAY[2], 0, 0, 0)) * S

rng = random.Random(SEED)
_counter = [0]


def T(hms):
    """'02:01:00.214' -> ns since the epoch (UTC)."""
    hh, mm, rest = hms.split(":")
    if "." in rest:
        ss, frac = rest.split(".")
        frac_ns = int((frac + "000000000")[:9])
    else:
        ss, frac_ns = rest, 0
    return DAY0 + ((int(hh) * 60 + int(mm)) * 60 + int(ss)) * S + frac_ns


def J(lo_ms, hi_ms):
    """Random duration in ns between lo and hi milliseconds (microsecond grain)."""
    return rng.randint(int(lo_ms * 1000), int(hi_ms * 1000)) * US + rng.randint(0, 999)


def _h(label):
    _counter[0] += 1
    return hashlib.sha256(f"{SEED}:{_counter[0]}:{label}".encode()).digest()


def uuid4(label="uuid"):
    b = bytearray(_h(label)[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    x = b.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def hexid(n, label):
    return _h(label).hex()[:n]


def digest_of(kind, repo, tag, name=""):
    return "sha256:" + hashlib.sha256(f"{kind}:{repo}:{tag}:{name}".encode()).hexdigest()


def art_info(art):
    repo, tag = art
    spec = ARTIFACTS[art]
    cfg = dict(name="config", size=spec["config"], digest=digest_of("config", repo, tag))
    layers = [dict(name=n, size=sz, digest=digest_of("layer", repo, tag, n)) for n, sz in spec["layers"]]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": cfg["size"], "digest": cfg["digest"]},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": l["size"], "digest": l["digest"]} for l in layers],
    }
    mbytes = json.dumps(manifest, indent=3).encode()
    return dict(repo=repo, tag=tag, config=cfg, layers=layers,
                digest=digest_of("manifest", repo, tag), manifest_size=len(mbytes))


# ---- time formats ---------------------------------------------------------------------

def _parts(t):
    sec, frac = divmod(t, S)
    y, mo, d, hh, mi, ss = __import__("time").gmtime(sec)[:6]
    return y, mo, d, hh, mi, ss, frac


def rfc3339(t):
    y, mo, d, hh, mi, ss, _ = _parts(t)
    return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d}Z"


def rfc3339nano(t):
    y, mo, d, hh, mi, ss, frac = _parts(t)
    f = f"{frac:09d}".rstrip("0")
    return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d}" + (f".{f}" if f else "") + "Z"


def syslog_stamp(t):
    y, mo, d, hh, mi, ss, _ = _parts(t + PREFIX_TZ_HOURS * 3600 * S)
    return f"{MONTHS[mo - 1]} {d:>2} {hh:02d}:{mi:02d}:{ss:02d}"


def clf(t):
    y, mo, d, hh, mi, ss, _ = _parts(t)
    return f"{d:02d}/{MONTHS[mo - 1]}/{y:04d}:{hh:02d}:{mi:02d}:{ss:02d} +0000"


def nginx_err_stamp(t):
    y, mo, d, hh, mi, ss, _ = _parts(t)
    return f"{y:04d}/{mo:02d}/{d:02d} {hh:02d}:{mi:02d}:{ss:02d}"


def go_duration(ns):
    """Go's time.Duration.String()."""
    if ns < US:
        return f"{ns}ns"

    def frac(v, unit, digits):
        w, f = divmod(v, unit)
        fs = f"{f:0{digits}d}".rstrip("0")
        return f"{w}" + (f".{fs}" if fs else "")

    if ns < MS:
        return frac(ns, US, 3) + "µs"
    if ns < S:
        return frac(ns, MS, 6) + "ms"
    mins, rest = divmod(ns, 60 * S)
    secs = frac(rest, S, 9) + "s"
    return (f"{mins}m" if mins else "") + secs


# ---- files ------------------------------------------------------------------------------

class LogFile:
    def __init__(self, path):
        self.path = path
        self.entries = []      # [t_write_ns, seq, bytes_line]

    def add(self, t, line):
        _counter[0] += 1
        self.entries.append([t, _counter[0], line.encode() if isinstance(line, str) else line])

    def lines(self):
        return [e[2] for e in sorted(self.entries, key=lambda e: (e[0], e[1]))]


FILES = {}


def logfile(path):
    if path not in FILES:
        FILES[path] = LogFile(path)
    return FILES[path]


class Site:
    def __init__(self, key, cfg):
        self.key = key
        self.__dict__.update(cfg)
        self.conn = cfg["conn0"]
        self.registry_url = "http://registry:5000"
        self.core_client_pinged = True   # core's registry client already pinged before 02:00

    def syslog(self, tag, t, payload):
        logfile(f"{self.key}/{tag}.log").add(
            t, f"{syslog_stamp(t)} {self.token} {tag}[{self.pid}]: {payload}")


SITE = {k: Site(k, v) for k, v in SITES.items()}

# ground truth collected while generating
TRUTH = {"pushes": {}, "missing": {}, "replications": {}, "bob": [], "carol": [],
         "tag_without_data": [], "continuations": []}


# ---- line builders --------------------------------------------------------------------

LOGRUS_SAFE = re.compile(r"^[A-Za-z0-9.\-]*$")


class Raw(str):
    """A logrus value that is not a string (int, digest.Digest): never quoted."""


def logrus_value(v):
    if isinstance(v, (int, Raw)):
        return str(v)
    return v if LOGRUS_SAFE.match(v) and v != "" else f'"{v}"'


def logrus(t, level, msg, fields):
    parts = [f'time="{rfc3339nano(t)}"', f"level={level}", f"msg={logrus_value(msg)}"]
    for k in sorted(fields):
        parts.append(f"{k}={logrus_value(fields[k])}")
    return " ".join(parts) + " "


def nginx_escape(s):
    out = []
    for ch in s:
        if ch in '"\\' or ord(ch) < 0x20 or ord(ch) > 0x7E:
            out.append("".join(f"\\x{b:02X}" for b in ch.encode()))
        else:
            out.append(ch)
    return "".join(out)


def gorilla_escape(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def harbor_text(t, level, caller, msg, fields=None):
    f = ""
    if fields:
        f = "[" + " ".join(f'{k}="{v}"' for k, v in sorted(fields.items())) + "]"
    return f"{rfc3339(t)} [{level}] [{caller}]{f}: {msg}"


def nginx_line(site, t_start, t_end, ip, method, uri, status, nbytes, ua, upstream=True, referer="-"):
    rt_ms = max(0, (t_end - t_start) // MS)
    rt = f"{rt_ms // 1000}.{rt_ms % 1000:03d}"
    if upstream:
        u_ms = max(0, rt_ms - rng.choice([0, 0, 0, 1]))
        urt = f"{u_ms // 1000}.{u_ms % 1000:03d}"
    else:
        urt = "-"
    site.syslog("proxy", t_end,
                f'{ip} - "{method} {uri} HTTP/1.1" {status} {nbytes} "{nginx_escape(referer)}" '
                f'"{nginx_escape(ua)}" {rt} {urt} .')
    return t_end


def nginx_error(site, t, level, msg, client, method, uri, upstream_uri, referer=None):
    site.conn += rng.randint(3, 40)
    tail = (f', client: {client}, server: , request: "{method} {uri} HTTP/1.1", '
            f'upstream: "{upstream_uri}", host: "{site.fqdn}"')
    if referer:
        tail += f', referrer: "{referer}"'
    payload = f"{nginx_err_stamp(t)} [{level}] {site.nginx_worker}#{site.nginx_worker}: *{site.conn} {msg}{tail}"
    site.syslog("proxy", t, payload)


NGINX_PAGE = ("<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n"
              "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


def nginx_page_size(title):
    return len(NGINX_PAGE.format(title))


def err_body(errors):
    return len(json.dumps({"errors": errors}, separators=(",", ":")).encode()) + 1


CHALLENGE_BYTES = err_body([{"code": "UNAUTHORIZED", "message": "unauthorized: unauthorized"}])
assert CHALLENGE_BYTES == 76


def blob_unknown_bytes(d):
    return err_body([{"code": "BLOB_UNKNOWN", "message": "blob unknown to registry", "detail": d}])


def manifest_unknown_bytes(repo, d):
    return err_body([{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown",
                      "detail": {"Name": repo, "Revision": d}}])


def push_denied_bytes(repo):
    m = f"unauthorized to access repository: {repo}, action: push"
    return err_body([{"code": "UNAUTHORIZED", "message": f"{m}: {m}"}])


def htpasswd_401_body(repo):
    return err_body([{"code": "UNAUTHORIZED", "message": "authentication required",
                      "detail": [{"Type": "repository", "Class": "", "Name": repo, "Action": "pull"},
                                 {"Type": "repository", "Class": "", "Name": repo, "Action": "push"}]}])


SWIFT_ERR = "swift: HTTP Error: 500: 500 Internal Server Error"
UPLOAD_500_JSON = json.dumps({"errors": [{"code": "UNKNOWN", "message": "unknown error", "detail": {
    "DriverName": "swift", "Enclosed": {"StatusCode": 500, "Text": "HTTP Error: 500: 500 Internal Server Error"}}}]},
    separators=(",", ":"))


def token_bytes():
    return rng.randint(1008, 1187)


def upload_state(repo, uuid, offset, started):
    payload = json.dumps({"Name": repo, "UUID": uuid, "Offset": offset, "StartedAt": rfc3339nano(started)},
                         separators=(",", ":")).encode()
    mac = hmac.new(b"harbor-sample-secret", payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac + payload).decode().replace("=", "%3D")


def token_uri(scope_repo, actions, account=None, login=False):
    q = []
    if account:
        q.append("account=" + account.replace("$", "%24"))
    if login:
        q.append("client_id=docker")
        q.append("offline_token=true")
    else:
        q.append("scope=repository%3A" + scope_repo.replace("/", "%2F") + "%3A" + actions.replace(",", "%2C"))
    q.append("service=harbor-registry")
    return "/service/token?" + "&".join(q)


# ---- registry request ------------------------------------------------------------------

def registry_request(site, t_start, dur, *, method, uri, status, written=0, host, remoteaddr, ua,
                     peer=None, proto="HTTP/1.1", vars=None, req_ctype=None, resp_ctype=None,
                     error=None, extra_error=None, authfail=None):
    """Writes the registry.log lines of one request; returns its completion time."""
    vars = vars or {}
    req = {"go.version": GO_VERSION, "http.request.host": host, "http.request.id": uuid4("reqid"),
           "http.request.method": method, "http.request.remoteaddr": remoteaddr,
           "http.request.uri": uri, "http.request.useragent": ua}
    if req_ctype:
        req["http.request.contenttype"] = req_ctype
    t_auth = t_start + J(0.05, 0.4)
    t_end = t_start + dur
    if authfail:
        site.syslog("registry", t_auth, logrus(t_auth, "warning", authfail, {**req, **vars}))
    else:
        site.syslog("registry", t_auth, logrus(t_auth, "info", "authorized request", {**req, **vars}))
        resp = {"http.response.duration": go_duration(t_end - t_start), "http.response.status": status,
                "http.response.written": written}
        if resp_ctype:
            resp["http.response.contenttype"] = resp_ctype
        if error:
            code, message, detail = error
            if extra_error:
                t_x = t_end - J(0.05, 0.2)
                site.syslog("registry", t_x, logrus(t_x, "error", extra_error,
                                                   {**req, **vars, "auth.user.name": REGISTRY_USER}))
            f = {**req, **resp, **vars, "auth.user.name": REGISTRY_USER,
                 "err.code": Raw(code) if LOGRUS_SAFE.match(code) else code,
                 "err.message": message}
            if detail is not None:
                f["err.detail"] = detail
            site.syslog("registry", t_end, logrus(t_end, "error", "response completed with error", f))
        else:
            site.syslog("registry", t_end, logrus(t_end, "info", "response completed", {**req, **resp}))
    t_acc = t_end + J(0.01, 0.05)
    site.syslog("registry", t_acc,
                f'{peer or site.core_ip} - - [{clf(t_start)}] "{method} {uri} {proto}" {status} {written} "" '
                f'"{gorilla_escape(ua)}"')
    return t_acc


def core_only(site, t0, ip, ua, method, uri, status, nbytes, dur_ms=(1, 4), referer="-"):
    t_end = t0 + J(*dur_ms)
    nginx_line(site, t0, t_end, ip, method, uri, status, nbytes, ua, referer=referer)
    return t_end


def proxied(site, t0, ip, ua, method, uri, status, nbytes, *, reg_dur, reg_uri=None, written=None,
            host=None, vars=None, req_ctype=None, resp_ctype=None, error=None, extra_error=None,
            after=None, authfail=None, peer=None, proto="HTTP/1.1", reg_host=None):
    """nginx -> core -> registry.  Returns (nginx end time, registry completion time)."""
    t_reg = t0 + J(1.0, 3.5)
    t_reg_end = registry_request(
        site, t_reg, reg_dur, method=method, uri=reg_uri or uri, status=status,
        written=nbytes if written is None else written, host=reg_host or host or site.fqdn,
        remoteaddr=ip, ua=ua, peer=peer, proto=proto, vars=vars, req_ctype=req_ctype,
        resp_ctype=resp_ctype, error=error, extra_error=extra_error, authfail=authfail)
    t_done = after(t_reg_end) if after else t_reg_end
    t_end = t_done + J(0.8, 2.5)
    nginx_line(site, t0, t_end, ip, method, uri, status, 0 if method == "HEAD" else nbytes, ua)
    return t_end, t_reg_end


# ---- composite flows --------------------------------------------------------------------

JSON_CT = "application/json; charset=utf-8"
MANIFEST_CT = "application/vnd.docker.distribution.manifest.v2+json"
OCTET = "application/octet-stream"


def abstractor(site, t, info, ping=False):
    """core's artifact abstractor after a first push: GET manifest + config (host registry:5000)."""
    port = rng.randint(33000, 60999)
    ra = f"{site.core_ip}:{port}"
    t += J(0.8, 2.0)
    if ping:
        # first use of core's registry client after a restart: discovery ping, 401 by design
        t = registry_request(site, t, J(0.2, 0.6), method="GET", uri="/v2/", status=401,
                             written=err_body([{"code": "UNAUTHORIZED", "message": "authentication required",
                                                "detail": None}]),
                             host="registry:5000", remoteaddr=ra, ua=GO_UA,
                             authfail='error authorizing context: basic authentication challenge for realm '
                                      '"harbor-registry-basic-realm": invalid authorization credential')
        t += J(0.5, 1.5)
    t = registry_request(site, t, J(2, 6), method="GET", uri=f"/v2/{info['repo']}/manifests/{info['digest']}",
                         status=200, written=info["manifest_size"], host="registry:5000", remoteaddr=ra,
                         ua=REPL_UA, vars={"vars.name": info["repo"], "vars.reference": info["digest"]},
                         resp_ctype=MANIFEST_CT)
    t += J(0.5, 1.5)
    t = registry_request(site, t, J(3, 9), method="GET", uri=f"/v2/{info['repo']}/blobs/{info['config']['digest']}",
                         status=200, written=info["config"]["size"], host="registry:5000", remoteaddr=ra,
                         ua=REPL_UA, vars={"vars.name": info["repo"], "vars.digest": info["config"]["digest"]},
                         resp_ctype=OCTET)
    return t


def upload_blob(site, t, ip, ua, repo, blob, rate, monolithic=False, fail=False, req_ctype=OCTET):
    """POST -> (PATCH) -> PUT ?digest=.  Returns (end time, uploads' registry end of the PUT)."""
    uuid = uuid4("upload")
    started = t + J(1, 3)
    vars_n = {"vars.name": repo}
    t, _ = proxied(site, t, ip, ua, "POST", f"/v2/{repo}/blobs/uploads/", 202, 0, reg_dur=J(4, 14),
                   vars=vars_n)
    t += J(1, 5)
    xfer = int(blob["size"] / rate * S) + J(20, 90)
    if not monolithic:
        st = upload_state(repo, uuid, 0, started)
        t, _ = proxied(site, t, ip, ua, "PATCH", f"/v2/{repo}/blobs/uploads/{uuid}?_state={st}", 202, 0,
                       reg_dur=xfer, vars={**vars_n, "vars.uuid": Raw(uuid)}, req_ctype=OCTET)
        t += J(1, 4)
        st = upload_state(repo, uuid, blob["size"], started)
        put_dur = J(20, 120)
        put_ctype = None
    else:
        st = upload_state(repo, uuid, 0, started)
        put_dur = xfer
        put_ctype = req_ctype
    uri = f"/v2/{repo}/blobs/uploads/{uuid}?_state={st}&digest={blob['digest'].replace(':', '%3A')}"
    if fail:
        body = UPLOAD_500_JSON + "\n"
        t, _ = proxied(site, t, ip, ua, "PUT", uri, 500, len(body.encode()), reg_dur=put_dur,
                       vars={**vars_n, "vars.uuid": Raw(uuid)}, req_ctype=put_ctype, resp_ctype=JSON_CT,
                       error=("unknown", "unknown error", SWIFT_ERR),
                       extra_error=f"unknown error completing upload: {SWIFT_ERR}")
        return t, UPLOAD_500_JSON
    t, _ = proxied(site, t, ip, ua, "PUT", uri, 201, 0, reg_dur=put_dur,
                   vars={**vars_n, "vars.uuid": Raw(uuid)}, req_ctype=put_ctype)
    return t, None


def site_core_line(site, t, level, caller, msg, fields=None):
    site.syslog("core", t, harbor_text(t, level, caller, msg, fields))


def already_exist_line(site, t, info):
    site_core_line(site, t, "INFO", "/controller/blob/controller.go:118",
                   f"artifact digest {info['digest']} already exist, skip to associate blobs with the artifact",
                   {"requestID": uuid4("core-reqid")})


def act_docker_push(t, site, who, art, tag=None, repush=False, ping_after_restart=False):
    s = SITE[site]
    c = CLIENTS[who]
    info = art_info(art)
    repo = info["repo"]
    ip, ua = c["ip"], c["ua"]
    t = core_only(s, t, ip, ua, "GET", "/v2/", 401, CHALLENGE_BYTES)
    t = core_only(s, t + J(4, 15), ip, ua, "GET", token_uri(repo, "pull,push", c["account"]), 200,
                  token_bytes(), dur_ms=(60, 120))
    t += J(5, 20)
    # layers, concurrently
    ends = []
    for i, layer in enumerate(info["layers"]):
        tl = t + J(0.2, 3) * (i + 1)
        if repush:
            tl, _ = proxied(s, tl, ip, ua, "HEAD", f"/v2/{repo}/blobs/{layer['digest']}", 200, 0, reg_dur=J(2, 8),
                            written=0, vars={"vars.name": repo, "vars.digest": layer["digest"]}, resp_ctype=OCTET)
        else:
            tl = core_only(s, tl, ip, ua, "HEAD", f"/v2/{repo}/blobs/{layer['digest']}", 404, 0, dur_ms=(2, 6))
            tl, _ = upload_blob(s, tl + J(2, 8), ip, ua, repo, layer, rate=rng.uniform(18e6, 26e6))
        ends.append(tl)
    t = max(ends) + J(5, 30)
    cfg = info["config"]
    if repush:
        t, _ = proxied(s, t, ip, ua, "HEAD", f"/v2/{repo}/blobs/{cfg['digest']}", 200, 0, reg_dur=J(2, 6),
                       written=0, vars={"vars.name": repo, "vars.digest": cfg["digest"]}, resp_ctype=OCTET)
    else:
        t = core_only(s, t, ip, ua, "HEAD", f"/v2/{repo}/blobs/{cfg['digest']}", 404, 0, dur_ms=(2, 6))
        t, _ = upload_blob(s, t + J(2, 6), ip, ua, repo, cfg, rate=5e6)
    t += J(4, 15)
    box = {}

    def after(tr):
        box["registry_done"] = tr
        if repush:
            t2 = tr + J(3, 9)
            already_exist_line(s, t2, info)
            return t2 + J(1, 4)
        return abstractor(s, tr, info, ping=ping_after_restart)

    t_put0 = t
    t, _ = proxied(s, t, ip, ua, "PUT", f"/v2/{repo}/manifests/{info['tag']}", 201, 0, reg_dur=J(18, 45),
                   vars={"vars.name": repo, "vars.reference": Raw(info["tag"]) if LOGRUS_SAFE.match(info["tag"]) else info["tag"]},
                   req_ctype=MANIFEST_CT, after=after)
    # the registry's `response completed` for the PUT manifest = push time on the primary
    put_done = _find_completion(s, "PUT", f"/v2/{repo}/manifests/{info['tag']}", t_put0)
    key = f"{repo}:{info['tag']}"
    if not repush:
        TRUTH["pushes"][key] = dict(site=site, user=c["account"], digest=info["digest"], time=put_done,
                                    nginx_time=t)
    else:
        TRUTH["pushes"][key]["repush_time"] = put_done
    return t


def _find_completion(site, method, uri, after_t):
    f = logfile(f"{site.key}/registry.log")
    needle1 = f"http.request.method={method} ".encode()
    needle2 = f'http.request.uri="{uri}"'.encode()
    for t, _, line in sorted(f.entries, key=lambda e: (e[0], e[1])):
        if t >= after_t and b'msg="response completed' in line and needle1 in line and needle2 in line:
            return t
    raise RuntimeError(f"no completion for {method} {uri}")


def act_docker_push_unauthorized(t, site, who, art, tag=None):
    """Incident 4: core forwards the write through the operator's nginx without credentials."""
    s = SITE[site]
    c = CLIENTS[who]
    info = art_info(art)
    repo = info["repo"]
    ip, ua = c["ip"], c["ua"]
    t = core_only(s, t, ip, ua, "GET", "/v2/", 401, CHALLENGE_BYTES)
    t = core_only(s, t + J(4, 15), ip, ua, "GET", token_uri(repo, "pull,push", c["account"]), 200,
                  token_bytes(), dur_ms=(60, 120))
    t += J(5, 20)
    layer = info["layers"][0]
    t = core_only(s, t, ip, ua, "HEAD", f"/v2/{repo}/blobs/{layer['digest']}", 404, 0, dur_ms=(2, 6))
    t += J(2, 8)
    body = htpasswd_401_body(repo)
    uri = f"/v2/{repo}/blobs/uploads/"
    # harbor nginx -> core -> regproxy (/registry/v2/...) -> registry (HTTP/1.0 from nginx)
    t_core = t + J(1.5, 3.5)
    t_reg = t_core + J(0.6, 1.2)
    msg = ('error authorizing context: basic authentication challenge for realm '
           '"harbor-registry-basic-realm": invalid authorization credential')
    t_reg_end = registry_request(s, t_reg, J(0.4, 1.0), method="POST", uri=uri, status=401, written=body,
                                 host="registry_local", remoteaddr=ip, ua=ua, peer=REGPROXY_IP,
                                 proto="HTTP/1.0", vars={"vars.name": repo}, authfail=msg)
    t_rp = t_reg_end + J(0.2, 0.6)
    regproxy_line(t_rp, s.core_ip, "POST", f"/registry{uri}", 401, body, ua)
    t_end = t_rp + J(1.0, 2.5)
    nginx_line(s, t, t_end, ip, "POST", uri, 401, body, ua)
    TRUTH["bob"].append(dict(nginx=t_end, registry=_find_warning(s, t_reg)))
    return t_end


def _find_warning(site, after_t):
    for t, _, line in sorted(logfile(f"{site.key}/registry.log").entries, key=lambda e: (e[0], e[1])):
        if t >= after_t and b"level=warning" in line:
            return t
    raise RuntimeError("warning line not found")


def regproxy_line(t, ip, method, uri, status, nbytes, ua):
    logfile("hub-1/nginx/access.log").add(
        t, f'{ip} - - [{clf(t)}] "{method} {uri} HTTP/1.1" {status} {nbytes} "-" "{nginx_escape(ua)}" '
           f'{hexid(32, "nginx-request-id")}')


def act_regproxy_test(t):
    """The operator checks the new nginx from the docker host before switching core over."""
    s = SITE["hub-1"]
    t_reg = t + J(0.5, 1.0)
    t_acc = t_reg + J(0.1, 0.3)
    s.syslog("registry", t_acc, f'{REGPROXY_IP} - - [{clf(t_reg)}] "GET / HTTP/1.0" 200 0 "" "{CURL_UA}"')
    regproxy_line(t_acc + J(0.1, 0.4), s.token, "GET", "/registry/", 200, 0, CURL_UA)


def act_docker_push_bad_credentials(t, site, who, art, tag=None):
    """Incident 5 (F1+F2): stale password; scoped token request gives an anonymous token (200)."""
    s = SITE[site]
    c = CLIENTS[who]
    info = art_info(art)
    repo = info["repo"]
    ip, ua = c["ip"], c["ua"]
    t = core_only(s, t, ip, ua, "GET", "/v2/", 401, CHALLENGE_BYTES)
    t_tok = t + J(4, 15)
    auth_failed(s, t_tok + J(30, 60), c)
    t = core_only(s, t_tok, ip, ua, "GET", token_uri(repo, "pull,push", c["account"]), 200, token_bytes(),
                  dur_ms=(1560, 1640))
    t += J(5, 20)
    ends = []
    for i, layer in enumerate(info["layers"]):
        tl = core_only(s, t + J(0.2, 3) * (i + 1), ip, ua, "HEAD", f"/v2/{repo}/blobs/{layer['digest']}", 404, 0,
                       dur_ms=(2, 6))
        tl = core_only(s, tl + J(2, 8), ip, ua, "POST", f"/v2/{repo}/blobs/uploads/", 401, push_denied_bytes(repo),
                       dur_ms=(3, 8))
        TRUTH["carol"].append(dict(time=tl, what="POST upload 401"))
        ends.append(tl)
    return max(ends)


def auth_failed(s, t, c):
    site_core_line(s, t, "WARNING", "/core/auth/authenticator.go:158",
                   f"Login failed, locking {c['account']}, and sleep for 1.5s")
    t2 = t + 1_500 * MS + J(1, 5)
    site_core_line(s, t2, "ERROR", "/server/middleware/security/basic_auth.go:72",
                   f"failed to authenticate user:{c['account']}, error:Failed to authenticate user, "
                   f"due to error 'Invalid credentials'",
                   {"client IP": c["ip"], "requestID": uuid4("core-reqid"), "user agent": c["ua"]})


def act_docker_login_bad_credentials(t, site, who, tag=None):
    s = SITE[site]
    c = CLIENTS[who]
    ip, ua = c["ip"], c["ua"]
    t = core_only(s, t, ip, ua, "GET", "/v2/", 401, CHALLENGE_BYTES)
    t_tok = t + J(4, 15)
    auth_failed(s, t_tok + J(30, 60), c)
    t = core_only(s, t_tok, ip, ua, "GET", token_uri("", "", c["account"], login=True), 401, 0,
                  dur_ms=(1560, 1640))
    TRUTH["carol"].append(dict(time=t, what="login token 401"))
    return t


def act_docker_pull(t, site, who, art, fetch_layers=True, tag=None):
    s = SITE[site]
    c = CLIENTS[who]
    info = art_info(art)
    repo = info["repo"]
    ip, ua = c["ip"], c["ua"]
    t = core_only(s, t, ip, ua, "GET", "/v2/", 401, CHALLENGE_BYTES)
    t = core_only(s, t + J(4, 15), ip, ua, "GET", token_uri(repo, "pull", c["account"]), 200, token_bytes(),
                  dur_ms=(40, 90))
    t += J(4, 12)
    t, _ = proxied(s, t, ip, ua, "GET", f"/v2/{repo}/manifests/{info['tag']}", 200, info["manifest_size"],
                   reg_uri=f"/v2/{repo}/manifests/{info['digest']}", reg_dur=J(3, 9),
                   vars={"vars.name": repo, "vars.reference": info["digest"]}, resp_ctype=MANIFEST_CT)
    if fetch_layers:
        for blob in [info["config"]] + info["layers"]:
            t += J(3, 10)
            t, _ = proxied(s, t, ip, ua, "GET", f"/v2/{repo}/blobs/{blob['digest']}", 200, blob["size"],
                           reg_dur=int(blob["size"] / 45e6 * S) + J(3, 10),
                           vars={"vars.name": repo, "vars.digest": blob["digest"]}, resp_ctype=OCTET)
    return t


def act_containerd_pull(t, site, who, art, fetch=False, missing=False, nonexistent=False, tag=None):
    """kubelet -> containerd: anonymous HEAD (401), POST token (405), GET token, HEAD, GETs."""
    s = SITE[site]
    c = CLIENTS[who]
    repo, ref = art
    ip, ua = c["ip"], c["ua"]
    muri = f"/v2/{repo}/manifests/{ref}"
    t = core_only(s, t, ip, ua, "HEAD", muri, 401, 0)
    t = core_only(s, t + J(1, 4), ip, ua, "POST", "/service/token", 405, 19, dur_ms=(1, 3))
    t = core_only(s, t + J(1, 3), ip, ua, "GET", token_uri(repo, "pull"), 200, token_bytes(), dur_ms=(35, 80))
    t += J(1, 4)
    if nonexistent:
        t = core_only(s, t, ip, ua, "HEAD", muri, 404, 0, dur_ms=(3, 8))
        return t
    info = art_info(art)
    if missing:
        d = info["digest"]
        t0 = t
        t, _ = proxied(s, t, ip, ua, "HEAD", muri, 404, manifest_unknown_bytes(repo, d),
                       reg_uri=f"/v2/{repo}/manifests/{d}", reg_dur=J(3, 12),
                       vars={"vars.name": repo, "vars.reference": d}, resp_ctype=JSON_CT,
                       error=("manifest unknown", "manifest unknown", f"unknown manifest name={repo} revision={d}"))
        TRUTH["missing"].setdefault(tag, []).append(dict(
            time=_find_completion(s, "HEAD", f"/v2/{repo}/manifests/{d}", t0), nginx=t, client=ip, method="HEAD",
            repo=repo, ref=ref, digest=d))
        return t
    t0 = t
    t, _ = proxied(s, t, ip, ua, "HEAD", muri, 200, info["manifest_size"],
                   reg_uri=f"/v2/{repo}/manifests/{info['digest']}", reg_dur=J(3, 9),
                   vars={"vars.name": repo, "vars.reference": info["digest"]}, resp_ctype=MANIFEST_CT)
    if tag:
        TRUTH["missing"].setdefault(tag, []).append(dict(
            time=_find_completion(s, "HEAD", f"/v2/{repo}/manifests/{info['digest']}", t0), nginx=t,
            client=ip, served=True))
    if not fetch:
        return t
    t += J(2, 6)
    t, _ = proxied(s, t, ip, ua, "GET", f"/v2/{repo}/manifests/{info['digest']}", 200, info["manifest_size"],
                   reg_dur=J(3, 9), vars={"vars.name": repo, "vars.reference": info["digest"]},
                   resp_ctype=MANIFEST_CT)
    t += J(2, 6)
    t, _ = proxied(s, t, ip, ua, "GET", f"/v2/{repo}/blobs/{info['config']['digest']}", 200, info["config"]["size"],
                   reg_dur=J(4, 12), vars={"vars.name": repo, "vars.digest": info["config"]["digest"]},
                   resp_ctype=OCTET)
    ends = []
    for i, layer in enumerate(info["layers"]):
        tl = t + J(2, 6) * (i + 1)
        tl, _ = proxied(s, tl, ip, ua, "GET", f"/v2/{repo}/blobs/{layer['digest']}", 200, layer["size"],
                        reg_dur=int(layer["size"] / 60e6 * S) + J(5, 20),
                        vars={"vars.name": repo, "vars.digest": layer["digest"]}, resp_ctype=OCTET)
        ends.append(tl)
    return max(ends)


def act_skopeo_check(t, site, who, art, tag=None):
    """A deploy check: `skopeo list-tags` then `skopeo inspect` -> tag listed, manifest 404."""
    s = SITE[site]
    c = CLIENTS[who]
    info = art_info(art)
    repo, ip, ua = info["repo"], c["ip"], c["ua"]
    t = core_only(s, t, ip, ua, "GET", "/v2/", 401, CHALLENGE_BYTES)
    t = core_only(s, t + J(3, 8), ip, ua, "GET", token_uri(repo, "pull", c["account"]), 200, token_bytes(),
                  dur_ms=(35, 70))
    tags = sorted(tg for (r, tg) in ARTIFACTS if r == repo)
    body = len(json.dumps({"name": repo, "tags": tags}, separators=(",", ":")))
    t = core_only(s, t + J(3, 8), ip, ua, "GET", f"/v2/{repo}/tags/list", 200, body, dur_ms=(6, 15))
    t_tags = t
    t += J(700, 900)
    t = core_only(s, t, ip, ua, "GET", "/v2/", 401, CHALLENGE_BYTES)
    t = core_only(s, t + J(3, 8), ip, ua, "GET", token_uri(repo, "pull", c["account"]), 200, token_bytes(),
                  dur_ms=(35, 70))
    t += J(3, 8)
    d = info["digest"]
    t0 = t
    t, _ = proxied(s, t, ip, ua, "GET", f"/v2/{repo}/manifests/{info['tag']}", 404, manifest_unknown_bytes(repo, d),
                   reg_uri=f"/v2/{repo}/manifests/{d}", reg_dur=J(3, 12),
                   vars={"vars.name": repo, "vars.reference": d}, resp_ctype=JSON_CT,
                   error=("manifest unknown", "manifest unknown", f"unknown manifest name={repo} revision={d}"))
    t404 = _find_completion(s, "GET", f"/v2/{repo}/manifests/{d}", t0)
    TRUTH["missing"].setdefault(tag, []).append(dict(time=t404, nginx=t, client=ip, method="GET",
                                                     repo=repo, ref=info["tag"], digest=d))
    TRUTH["tag_without_data"].append(dict(site=site, repository=repo, tag=info["tag"], digest=d, client=ip,
                                          tags_list_time=t_tags, manifest_404_time=t404, nginx_404_time=t))
    return t


def act_proxy_health(t, site):
    s = SITE[site]
    nginx_line(s, t, t + J(0.1, 0.4), "127.0.0.1", "GET", "/", 308,
               nginx_page_size("308 Permanent Redirect"), CURL_UA, upstream=False)


def act_registry_health(t, site):
    s = SITE[site]
    s.syslog("registry", t + J(0.2, 0.6), f'127.0.0.1 - - [{clf(t)}] "GET / HTTP/1.1" 200 0 "" "{CURL_UA}"')


HEALTH_JSON = json.dumps({"status": "healthy", "components": [
    {"name": n, "status": "healthy"} for n in
    ["core", "database", "jobservice", "portal", "redis", "registry", "registryctl", "trivy"]]},
    separators=(",", ":"))


def act_monitor_health(t, site):
    """Blackbox probe of /api/v2.0/health; core's checker probes <REGISTRY_URL>/."""
    s = SITE[site]
    c = CLIENTS["monitor"]
    t_chk = t + J(2, 5)
    if s.registry_url.startswith("http://regproxy"):
        t_reg = t_chk + J(0.8, 1.5)
        t_acc = t_reg + J(0.1, 0.3)
        s.syslog("registry", t_acc, f'{REGPROXY_IP} - - [{clf(t_reg)}] "GET / HTTP/1.0" 200 0 "" "{GO_UA}"')
        t_done = t_acc + J(0.2, 0.5)
        regproxy_line(t_done, s.core_ip, "GET", "/registry/", 200, 0, GO_UA)
    else:
        t_acc = t_chk + J(0.3, 0.8)
        s.syslog("registry", t_acc, f'{s.core_ip} - - [{clf(t_chk)}] "GET / HTTP/1.1" 200 0 "" "{GO_UA}"')
        t_done = t_acc
    nginx_line(s, t, t_done + J(8, 25), c["ip"], "GET", "/api/v2.0/health", 200, len(HEALTH_JSON), c["ua"])


def act_portal_timeout(t, site, who, uri, referer, core_error=False):
    """A portal API call that hits nginx's 60 s proxy_read_timeout (nginx error line + 504)."""
    s = SITE[site]
    c = CLIENTS[who]
    t_end = t + 60 * S + J(0.5, 2)
    nginx_error(s, t_end, "error", "upstream timed out (110: Connection timed out) while reading response header "
                "from upstream", c["ip"], "GET", uri, f"http://{s.core_ip}:8080{uri}", referer)
    nginx_line(s, t, t_end + J(0.05, 0.2), c["ip"], "GET", uri, 504, nginx_page_size("504 Gateway Time-out"),
               c["ua"], referer=referer)
    if core_error:
        # nginx closed the upstream connection -> the query is cancelled -> core's SendError (>= 500)
        te = t_end + J(2, 9)
        payload = json.dumps({"errors": [{"code": "UNKNOWN",
                                          "message": "unknown: pq: canceling statement due to user request"}]},
                             separators=(",", ":"))
        site_core_line(s, te, "ERROR", "/lib/http/error.go:56", payload + " ")
        frames = [
            "/harbor/src/pkg/project/dao/dao.go:137, github.com/goharbor/harbor/src/pkg/project/dao.(*dao).Count",
            "/harbor/src/controller/project/controller.go:171, github.com/goharbor/harbor/src/controller/project.(*controller).Count",
            "/harbor/src/server/v2.0/handler/statistic.go:64, github.com/goharbor/harbor/src/server/v2.0/handler.(*statisticAPI).GetStatistic",
        ]
        for fr in frames:
            s.syslog("core", te, "#011" + fr)
            TRUTH["continuations"].append(dict(site=site, file="core.log", time=te))


def act_core_restart(t, site, who, registry_url):
    """The operator edits common/config/core/env (REGISTRY_URL) and restarts core."""
    s = SITE[site]
    c = CLIENTS[who]
    s.registry_url = registry_url
    # the operator's browser refreshes while core is down
    t_req = t + J(900, 1300)
    uri = "/api/v2.0/systeminfo"
    t_err = t_req + J(0.3, 1.0)
    nginx_error(s, t_err, "error", "connect() failed (111: Connection refused) while connecting to upstream",
                c["ip"], "GET", uri, f"http://{s.core_ip}:8080{uri}",
                f"https://{s.fqdn}/harbor/projects")
    nginx_line(s, t_req, t_err + J(0.05, 0.2), c["ip"], "GET", uri, 502, nginx_page_size("502 Bad Gateway"),
               c["ua"], referer=f"https://{s.fqdn}/harbor/projects")
    tc = t + 3 * S + J(100, 400)
    lines = [
        ("/controller/artifact/annotation/parser.go:71",
         "the annotation parser to parser artifact annotation version v1alpha1 registered"),
        ("/controller/artifact/processor/processor.go:59",
         "the processor to process media type application/vnd.wasm.config.v1+json registered"),
        ("/common/dao/base.go:67",
         f'Registering database: type-PostgreSQL host-{DB_HOST} port-5432 database-registry sslmode-"disable"'),
        ("/common/dao/base.go:72", "Register database completed"),
        ("/common/dao/pgsql.go:135", "Upgrading schema for pgsql ..."),
        ("/common/dao/pgsql.go:140", "No change in schema, skip."),
        ("/core/main.go:182", "configurations initialization completed"),
        ("/core/main.go:230", f"Version: {HARBOR_VERSION}, Git commit: 9f1d2c4e"),
        ("/core/main.go:286", "Because SYNC_REGISTRY set false , no need to sync registry"),
        ("/core/main.go:290", "Init proxy"),
    ]
    for caller, msg in lines:
        site_core_line(s, tc, "INFO", caller, msg)
        tc += J(20, 350)


def act_replication(t, src, dst, art, policy, enqueue, incoming, rate=2e6, fail_blob=None, tag=None,
                    job_file=False):
    """One REPLICATION job run by `src`'s jobservice, pushing into `dst` through dst's nginx."""
    S_src, S_dst = SITE[src], SITE[dst]
    info = art_info(art)
    repo, ref = info["repo"], info["tag"]
    job_id = hexid(24, "jobid")
    t = T(incoming)
    jlog = []

    def job(tt, level, line, msg):
        text = harbor_text(tt, level, f"/controller/replication/transfer/image/transfer.go:{line}", msg)
        S_src.syslog("jobservice", tt, text)
        jlog.append((tt, text))

    # hub core prepares the destination (project lookup through the destination's API)
    client_ip = S_src.egress_ip
    t_api = T(enqueue) - J(300, 700)
    core_only(S_dst, t_api, client_ip, GO_UA, "GET",
              "/api/v2.0/projects?page=1&page_size=100&q=name%3D%7B%27" + repo.split("/")[0] + "%27%7D&with_detail=false",
              200, rng.randint(600, 900), dur_ms=(25, 60))
    S_src.syslog("jobservice", t, harbor_text(
        t, "INFO", "/jobservice/worker/cworker/c_worker.go:77",
        'Job incoming: {"name":"REPLICATION","id":"%s","t":%d,"args":null}' % (job_id, T(enqueue) // S)))
    t += J(20, 80)
    job(t, "INFO", 140, "client for source registry [type: harbor, URL: http://core:8080, insecure: true] created")
    job(t, "INFO", 150, f"client for destination registry [type: harbor, URL: https://{S_dst.fqdn}, insecure: false] created")
    job(t, "INFO", 183, f"copying {repo}:[{ref}](source registry) to {repo}:[{ref}](destination registry)...")
    job(t, "INFO", 211, f"copying {repo}:{ref}(source registry) to {repo}:{ref}(destination registry)...")
    job(t, "INFO", 465, f"pulling the manifest of artifact {repo}:{ref} ...")

    def src_get(tt, uri, size, vars, ctype, dur):
        return registry_request(S_src, tt, dur, method="GET", uri=uri, status=200, written=size,
                                host="core:8080", remoteaddr=S_src.jobservice_ip, ua=REPL_UA,
                                vars=vars, resp_ctype=ctype)

    t = src_get(t + J(2, 5), f"/v2/{repo}/manifests/{info['digest']}", info["manifest_size"],
                {"vars.name": repo, "vars.reference": info["digest"]}, MANIFEST_CT, J(3, 9)) + J(1, 4)
    job(t, "INFO", 471, f"the manifest of artifact {repo}:{ref} pulled")
    # first request to the destination: discovery ping + token (Go's default UA on v2.10)
    ip = client_ip
    t = core_only(S_dst, t + J(2, 6), ip, GO_UA, "GET", "/v2/", 401, CHALLENGE_BYTES, dur_ms=(1, 3))
    t = core_only(S_dst, t + J(15, 30), ip, GO_UA, "GET", token_uri(repo, "pull,push"), 200, token_bytes(),
                  dur_ms=(40, 90))
    t += J(15, 30)
    dst_has_it = tag in ("r-redis-b", "r-redis-c", "r-nginx-repush")
    if dst_has_it:
        t, _ = proxied(S_dst, t, ip, REPL_UA, "HEAD", f"/v2/{repo}/manifests/{ref}", 200, info["manifest_size"],
                       reg_uri=f"/v2/{repo}/manifests/{info['digest']}", reg_dur=J(3, 9),
                       vars={"vars.name": repo, "vars.reference": info["digest"]}, resp_ctype=MANIFEST_CT)
        t += J(20, 60)
        job(t, "INFO", 220, f"the artifact {repo}:{ref} already exists on the destination registry, skip")
        job(t, "INFO", 201, f"copy {repo}:[{ref}](source registry) to {repo}:[{ref}](destination registry) completed")
        t += J(20, 80)
        S_src.syslog("jobservice", t, harbor_text(t, "INFO", "/jobservice/runner/redis.go:152",
                                                 f"Job 'REPLICATION:{job_id}' exit with success"))
        TRUTH["replications"][tag] = dict(src=src, dst=dst, job_id=job_id, art=f"{repo}:{ref}", policy=policy,
                                          enqueue=T(enqueue), incoming=T(incoming), outcome="skipped",
                                          dest_head=t)
        return t
    # shared DB: core finds the artifact row and proxies -> registry 404 `manifest unknown`
    d = info["digest"]
    t, _ = proxied(S_dst, t, ip, REPL_UA, "HEAD", f"/v2/{repo}/manifests/{ref}", 404,
                   manifest_unknown_bytes(repo, d), reg_uri=f"/v2/{repo}/manifests/{d}", reg_dur=J(3, 10),
                   vars={"vars.name": repo, "vars.reference": d}, resp_ctype=JSON_CT,
                   error=("manifest unknown", "manifest unknown", f"unknown manifest name={repo} revision={d}"))
    failed = False
    for blob in [info["config"]] + info["layers"]:
        tries = 5 if blob["name"] == fail_blob else 1
        backoff = 2
        for attempt in range(1, tries + 1):
            t += J(2, 6)
            job(t, "INFO", 290, f"copying the blob {blob['digest']}(the {attempt}th running)...")
            t += J(1, 4)
            t, _ = proxied(S_dst, t, ip, REPL_UA, "HEAD", f"/v2/{repo}/blobs/{blob['digest']}", 404,
                           blob_unknown_bytes(blob["digest"]), reg_dur=J(2, 8),
                           vars={"vars.name": repo, "vars.digest": blob["digest"]}, resp_ctype=JSON_CT,
                           error=("blob unknown", "blob unknown to registry", Raw(blob["digest"])))
            t += J(2, 6)
            # source pull streams while the destination PUT uploads it
            t_src = t
            fail = blob["name"] == fail_blob
            t, body = upload_blob(S_dst, t + J(3, 8), ip, REPL_UA, repo, blob, rate=rate, monolithic=True, fail=fail)
            src_get(t_src, f"/v2/{repo}/blobs/{blob['digest']}", blob["size"],
                    {"vars.name": repo, "vars.digest": blob["digest"]}, OCTET, (t - t_src) - J(20, 60))
            t += J(2, 8)
            if fail:
                job(t, "ERROR", 395, f"failed to pushing the blob {blob['digest']}, size {blob['size']}: "
                                     f"http status code: 500, body: {body}")
                if attempt < tries:
                    job(t, "INFO", 298, f"will retry {backoff}s later")
                    t += backoff * S
                    backoff *= 2
                else:
                    failed = f"http status code: 500, body: {body}"
            else:
                job(t, "INFO", 292, f"copy the blob {blob['digest']} completed")
        if failed:
            break
    if failed:
        job(t, "ERROR", 191, failed)
        job(t, "ERROR", 197, "got error during the whole transfer period, mark the job failure")
        t += J(20, 80)
        S_src.syslog("jobservice", t, harbor_text(
            t, "ERROR", "/jobservice/runner/redis.go:131",
            f"Job 'REPLICATION:{job_id}' exit with error: got error during the whole transfer period, "
            f"mark the job failure"))
        TRUTH["replications"][tag] = dict(src=src, dst=dst, job_id=job_id, art=f"{repo}:{ref}", policy=policy,
                                          enqueue=T(enqueue), incoming=T(incoming), outcome="failed",
                                          failed_at=t, failed_blob=[b for b in info["layers"] if b["name"] == fail_blob][0]["digest"])
        if job_file:
            f = logfile(f"{src}/job_logs/{job_id}.log")
            for tt, text in jlog:
                f.add(tt, text)
        return t
    t += J(5, 20)
    job(t, "INFO", 494, f"pushing the manifest of artifact {repo}:{ref} ...")
    t0 = t + J(2, 6)

    def after(tr):
        t2 = tr + J(3, 9)
        already_exist_line(S_dst, t2, info)   # shared DB: the digest is already associated
        return t2 + J(1, 4)

    t, _ = proxied(S_dst, t0, ip, REPL_UA, "PUT", f"/v2/{repo}/manifests/{ref}", 201, 0, reg_dur=J(20, 60),
                   vars={"vars.name": repo, "vars.reference": Raw(ref)}, req_ctype=MANIFEST_CT, after=after)
    landed = _find_completion(S_dst, "PUT", f"/v2/{repo}/manifests/{ref}", t0)
    t += J(3, 10)
    job(t, "INFO", 506, f"the manifest of artifact {repo}:{ref} pushed")
    job(t, "INFO", 254, f"copy {repo}:{ref}(source registry) to {repo}:{ref}(destination registry) completed")
    job(t, "INFO", 201, f"copy {repo}:[{ref}](source registry) to {repo}:[{ref}](destination registry) completed")
    t += J(20, 80)
    S_src.syslog("jobservice", t, harbor_text(t, "INFO", "/jobservice/runner/redis.go:152",
                                             f"Job 'REPLICATION:{job_id}' exit with success"))
    TRUTH["replications"][tag] = dict(src=src, dst=dst, job_id=job_id, art=f"{repo}:{ref}", policy=policy,
                                      enqueue=T(enqueue), incoming=T(incoming), outcome="copied", landed=landed)
    return t


ACTIONS = {
    "docker_push": act_docker_push,
    "docker_push_unauthorized": act_docker_push_unauthorized,
    "docker_push_bad_credentials": act_docker_push_bad_credentials,
    "docker_login_bad_credentials": act_docker_login_bad_credentials,
    "docker_pull": act_docker_pull,
    "containerd_pull": act_containerd_pull,
    "skopeo_check": act_skopeo_check,
    "replication": act_replication,
    "proxy_health": act_proxy_health,
    "registry_health": act_registry_health,
    "monitor_health": act_monitor_health,
    "portal_timeout": act_portal_timeout,
    "core_restart": act_core_restart,
    "regproxy_test": act_regproxy_test,
}

# =====================================================================================
# Output
# =====================================================================================

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples")


def split_rotated():
    """hub-1/proxy.log -> proxy.log.1.gz (before ROTATE_AT) + proxy.log (the rest)."""
    f = FILES.pop("hub-1/proxy.log")
    cut = T(ROTATE_AT)
    old, new = logfile("hub-1/proxy.log.1.gz"), logfile("hub-1/proxy.log")
    for e in f.entries:
        (old if e[0] < cut else new).entries.append(e)


def plant_broken(files_lines):
    """Damages the selected lines; returns [{file, line, reason}]."""
    out = []
    for path, sel, kind in BROKEN:
        lines = files_lines[path]
        needles = [s.encode() for s in sel[:-1]]
        nth = sel[-1]
        hits = [i for i, ln in enumerate(lines) if all(n in ln for n in needles)]
        i = hits[nth]
        ln = lines[i]
        if kind == "cut_request":
            k = ln.index(b"/blobs/sha256:") + len(b"/blobs/sha256:") + 9
            lines[i] = ln[:k]
            reason = "nginx access line truncated inside the request line (writer cut mid-line)"
        elif kind == "cut_user_agent":
            k = ln.index(b"kernel/") + len(b"kernel/6.1")
            lines[i] = ln[:k]
            reason = "nginx access line truncated inside the user agent"
        elif kind == "cut_logrus":
            k = ln.index(b'msg="resp') + len(b'msg="resp')
            lines[i] = ln[:k]
            reason = 'registry logrus line cut after level=info msg="resp'
        elif kind == "garble_timestamp":
            lines[i] = b"Sep 3x" + ln[6:]
            reason = "syslog prefix with a garbled day (Sep 3x)"
        elif kind == "nul_junk_before":
            junk = b"\x00" * 23 + bytes([0x8B, 0x1F, 0xFF, 0xFE, 0x07, 0x00, 0xC3, 0x28]) + b"\x00" * 9
            lines.insert(i, junk)
            reason = "binary junk / NUL bytes left by a crashed writer"
        out.append(dict(file=path, line=i + 1, reason=reason, kind=kind))
    # line numbers may shift when a line is inserted in the same file: recompute
    for o in out:
        lines = files_lines[o["file"]]
        if o["kind"] == "nul_junk_before":
            o["line"] = next(i + 1 for i, ln in enumerate(lines) if ln.startswith(b"\x00" * 23))
    return out


def main():
    for when, action, params in SCENARIO:
        ACTIONS[action](T(when), **params)
    split_rotated()
    files_lines = {p: f.lines() for p, f in FILES.items()}
    broken = plant_broken(files_lines)

    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for path, lines in sorted(files_lines.items()):
        full = os.path.join(OUT, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        data = b"".join(ln + b"\n" for ln in lines)
        if path.endswith(".gz"):
            with open(full, "wb") as fh:
                with gzip.GzipFile(filename=os.path.basename(path)[:-3], mode="wb", fileobj=fh, mtime=0) as gz:
                    gz.write(data)
        else:
            with open(full, "wb") as fh:
                fh.write(data)

    truth = build_truth(files_lines, broken)
    with open(os.path.join(OUT, "incidents.json"), "w") as fh:
        json.dump(truth, fh, indent=2)
        fh.write("\n")
    with open(os.path.join(OUT, "README.md"), "w") as fh:
        fh.write(build_readme(truth, files_lines))

    problems = check(files_lines, broken)
    for p in problems:
        print("CHECK:", p, file=sys.stderr)
    for path in sorted(files_lines):
        print(f"{len(files_lines[path]):5d}  samples/{path}")
    return 1 if problems else 0


# =====================================================================================
# Ground truth and README
# =====================================================================================

def build_truth(files_lines, broken):
    R = TRUTH["replications"]
    P = TRUTH["pushes"]

    def n(t):
        return rfc3339nano(t)

    bob = TRUTH["bob"]
    carol = TRUTH["carol"]
    push_unauth = [
        dict(site="hub-1", user="bob", client=CLIENTS["bob"]["ip"], repository="team/payments",
             first=n(bob[0]["registry"]), last=n(bob[-1]["registry"]), failed_requests=len(bob),
             cause="no_credentials_on_write",
             evidence="POST /v2/team/payments/blobs/uploads/ 401 after token 200 (pull,push); registry warning "
                      "'error authorizing context ... invalid authorization credential' via peer 172.18.0.20 "
                      "HTTP/1.0; nginx/access.log POST /registry/v2/... 401 from core 172.18.0.6",
             resolved_at=n(P["team/payments:1.4.2"]["time"])),
        dict(site="hub-1", user="carol", client=CLIENTS["carol"]["ip"], repository="dev/tools",
             first=rfc3339(carol[0]["time"]), last=rfc3339(carol[-1]["time"]), failed_requests=len(carol),
             cause="bad_credentials",
             evidence="core.log 'Login failed, locking carol' + 'failed to authenticate user:carol' (twice); "
                      "scoped token 200 (anonymous) then POST uploads 401 x2; docker login token 401",
             resolved_at=None),
    ]

    def missing(tag, site, served_tag=None):
        ev = [e for e in TRUTH["missing"][tag] if not e.get("served")]
        served = None
        if served_tag:
            served = TRUTH["missing"][served_tag][0]["time"]
        e0 = ev[0]
        return dict(site=site, repository=e0["repo"], reference=e0["ref"], digest=e0["digest"],
                    first_404=n(ev[0]["time"]), last_404=n(ev[-1]["time"]), failed_requests=len(ev),
                    clients=sorted({e["client"] for e in ev}),
                    served_at=n(served) if served else None,
                    primary_push_time=n(P[f"{e0['repo']}:{e0['ref']}"]["time"]))

    sec_missing = [missing("web-miss", "hub-2", "web-served"), missing("api-miss", "hub-2")]

    lag = []
    for key, rtag in [("library/nginx:1.25", "r-nginx"), ("app/web:2.3.1", "r-web"), ("app/api:5.0.0", "r-api"),
                      ("team/payments:1.4.2", "r-payments"), ("library/redis:7.2", "r-redis-a")]:
        p = P[key]
        r = R[rtag]
        landed = r.get("landed")
        lag.append(dict(artifact=key, digest=p["digest"], primary_push_time=n(p["time"]),
                        secondary_available_time=n(landed) if landed else None,
                        lag_secs=round((landed - p["time"]) / S, 3) if landed else None,
                        job_id=r["job_id"], job_outcome=r["outcome"]))

    dup = [dict(artifact="library/redis:7.2", digest=P["library/redis:7.2"]["digest"],
                primary_push_time=n(P["library/redis:7.2"]["time"]),
                jobs=[dict(site=R[k]["src"], job_id=R[k]["job_id"], policy=R[k]["policy"],
                           enqueued=rfc3339(R[k]["enqueue"]), incoming=rfc3339(R[k]["incoming"]),
                           outcome=R[k]["outcome"],
                           source_registry="http://core:8080 (hub-1 core)" if R[k]["src"] == "hub-1"
                           else "http://core:8080 (hub-2 core)")
                      for k in ("r-redis-a", "r-redis-b", "r-redis-c")],
                destination_head_bursts=[rfc3339(R[k]["dest_head"]) for k in ("r-redis-b", "r-redis-c")],
                note="hub-1 runs two jobs (policies dc1-to-dc2 and redis-to-dc2); hub-2's core fires its own "
                     "push event on the replicated PUT (shared DB) and hub-2's jobservice runs a third job")]

    twd = [dict(site=x["site"], repository=x["repository"], tag=x["tag"], digest=x["digest"], client=x["client"],
                tags_list_time=rfc3339(x["tags_list_time"]), manifest_404_time=n(x["manifest_404_time"]))
           for x in TRUTH["tag_without_data"]]

    not_incidents = [
        dict(what="GET /v2/ 401 (76 bytes) at the start of every docker/skopeo session and every replication job",
             why="token challenge"),
        dict(what="containerd: anonymous HEAD manifests 401, then POST /service/token 405, then GET token 200",
             why="anonymous-first client; Harbor's token service only answers GET"),
        dict(what="hub-2: HEAD manifests/blobs 404 with UA harbor-registry-client before the uploads",
             why="the replicator checks the destination first (registry 404 because of the shared DB)"),
        dict(what="hub-2: library/ngnix:latest HEAD 404 (10.60.7.22, 02:25)",
             why="typo; hub-1 never had it (core answers from the DB, no registry line)"),
        dict(what="hub-1: library/nginx:1.25 re-pushed by alice at 03:15 (same digest)",
             why="core 'already exist, skip'; one replication job that skips; not a duplicate"),
        dict(what="hub-1 registry.log GET /v2/ 401 'invalid authorization credential' from registry:5000, "
                  "Go-http-client/1.1, after core's 02:52 restart",
             why="discovery ping of core's registry client"),
        dict(what="portal 504 (hub-1 02:00, hub-2 02:02) and 502 during core restarts (hub-1 02:40, 02:52)",
             why="operator UI requests, not registry traffic"),
    ]

    counts = {f"samples/{p}": len(v) for p, v in sorted(files_lines.items())}
    mal = [dict(file=f"samples/{b['file']}", line=b["line"], reason=b["reason"]) for b in broken]
    cont = []
    for path, lines in files_lines.items():
        for i, ln in enumerate(lines):
            if b": #011" in ln:
                cont.append(dict(file=f"samples/{path}", line=i + 1))
    return {
        "push_unauthorized": push_unauth,
        "secondary_missing_artifact": sec_missing,
        "replication_lag": lag,
        "replication_duplicate": dup,
        "tag_without_data": twd,
        "replication_failed": [dict(site="hub-1", job_id=R["r-api"]["job_id"], artifact="app/api:5.0.0",
                                    failed_blob=R["r-api"]["failed_blob"], attempts=5,
                                    error="http status code: 500 from hub-2 (swift storage error)",
                                    job_log=f"samples/hub-1/job_logs/{R['r-api']['job_id']}.log",
                                    ended=rfc3339(R["r-api"]["failed_at"]))],
        "not_incidents": not_incidents,
        "malformed_lines": mal,
        "continuation_lines": cont,
        "line_counts": counts,
    }


def build_readme(truth, files_lines):
    c = truth["line_counts"]
    lag = {x["artifact"]: x for x in truth["replication_lag"]}
    pu = truth["push_unauthorized"]
    sm = truth["secondary_missing_artifact"]
    job_api = truth["replication_failed"][0]["job_id"]
    d = truth["replication_duplicate"][0]
    tw = truth["tag_without_data"][0]

    def hm(s):
        return s[11:19] if s else "-"

    L = []
    L.append("# Sample logs: hub-1 (primary, DC1) and hub-2 (secondary, DC2)\n")
    L.append("Generated by `python3 scripts/gen_samples.py` (deterministic; do not edit by hand). "
             "Ground truth: `incidents.json`. Day 2024-09-18, 02:00-03:30 UTC. Harbor v2.10 "
             "(registry v2.8.3), two sites sharing ONE PostgreSQL, each with its own Ceph storage; "
             "hub-1 replicates to hub-2 (normally about a minute). Payload times are UTC; the syslog "
             "prefix is dockerd's local time, UTC+8 (`Sep 18 10:00:05` = 02:00:05Z).\n")
    L.append("## Files\n")
    L.append(f"- `hub-1/proxy.log.1.gz` ({c['samples/hub-1/proxy.log.1.gz']} lines, 02:00-02:35) and "
             f"`hub-1/proxy.log` ({c['samples/hub-1/proxy.log']} lines, 02:35-03:30): Harbor's nginx "
             "(`timed_combined`, no time of its own) plus nginx error-log lines (full UTC date). Rotated with "
             "copytruncate; the .gz was written with mtime 0. syslog host 172.18.0.1, dockerd pid 1043.")
    L.append(f"- `hub-1/core.log` ({c['samples/hub-1/core.log']}): quiet at INFO: carol's login failures, two "
             "core restarts (02:40, 02:52) and the re-push's `already exist, skip`.")
    L.append(f"- `hub-1/registry.log` ({c['samples/hub-1/registry.log']}): logrus + gorilla access lines for "
             "every request core proxied, core's abstractor GETs (host `registry:5000`), replication source "
             "pulls (host `core:8080`, remoteaddr 172.18.0.9).")
    L.append(f"- `hub-1/jobservice.log` ({c['samples/hub-1/jobservice.log']}): the REPLICATION jobs hub-1 ran.")
    L.append(f"- `hub-1/job_logs/{job_api}.log` ({c[f'samples/hub-1/job_logs/{job_api}.log']}): job log file "
             "of the failed app/api job (no syslog prefix).")
    L.append(f"- `hub-1/nginx/access.log` ({c['samples/hub-1/nginx/access.log']}): the operator's own nginx "
             "(container `regproxy`, 172.18.0.20), standard `combined` + `$request_id`, only during 02:39-02:52.")
    L.append(f"- `hub-2/proxy.log` ({c['samples/hub-2/proxy.log']}), `hub-2/core.log` "
             f"({c['samples/hub-2/core.log']}), `hub-2/registry.log` ({c['samples/hub-2/registry.log']}), "
             f"`hub-2/jobservice.log` ({c['samples/hub-2/jobservice.log']}): syslog host 172.19.0.1, pid 2210. "
             "Replication traffic arrives from 10.10.0.11 (hub-1's egress), UA `harbor-registry-client` "
             "(ping/token with `Go-http-client/1.1`). Shared DB: hub-2's core finds hub-1's rows and proxies, "
             "so hub-2's registry answers 404 `manifest unknown` / `blob unknown` for data it lacks.\n")
    L.append("## Timeline (UTC) and what each detector should report\n")
    L.append("| Time | What | Expected report |\n|---|---|---|")
    L.append(f"| 02:01 | alice pushes library/nginx:1.25; replicated at {hm(lag['library/nginx:1.25']['secondary_available_time'])} | "
             f"replication lag {lag['library/nginx:1.25']['lag_secs']} s (normal) |")
    L.append(f"| 02:10 | robot$ci pushes app/web:2.3.1; k8s nodes pull it on hub-2 at 02:10:20-02:11:05 (4x 404); lands "
             f"{hm(lag['app/web:2.3.1']['secondary_available_time'])}, served {hm(sm[0]['served_at'])} | "
             f"secondary missing artifact ({sm[0]['failed_requests']} requests, 2 clients, served later); "
             f"lag {lag['app/web:2.3.1']['lag_secs']} s (> 60 s) |")
    L.append(f"| 02:30 | robot$ci pushes app/api:5.0.0; job {job_api} fails (HTTP 500 from hub-2's storage, 5 tries) | "
             f"replication lag: never replicated; secondary missing artifact from {hm(sm[1]['first_404'])} to "
             f"{hm(sm[1]['last_404'])} ({sm[1]['failed_requests']} requests, {len(sm[1]['clients'])} clients) |")
    L.append(f"| {hm(tw['tags_list_time'])} | skopeo on 10.60.3.8: tags/list shows 5.0.0, manifest 404 <2 s later | tag without data |")
    L.append(f"| 02:40-02:52 | core's REGISTRY_URL points at `http://regproxy:8080/registry`; bob's push: token 200, "
             f"POST uploads 401 x{pu[0]['failed_requests']} ({hm(pu[0]['first'])}-{hm(pu[0]['last'])}) | push 401, cause "
             "`no_credentials_on_write` (registry warning via 172.18.0.20 HTTP/1.0; nginx/access.log) |")
    L.append("| 02:45 | carol, wrong password: core login failures, POST 401 x2, `docker login` token 401 | push 401, "
             "cause `bad_credentials`, never resolved |")
    L.append(f"| 02:53 | config reverted (02:52); bob's push succeeds; replicated at "
             f"{hm(lag['team/payments:1.4.2']['secondary_available_time'])} | lag {lag['team/payments:1.4.2']['lag_secs']} s |")
    L.append(f"| 03:00 | alice pushes library/redis:7.2; 3 REPLICATION jobs (2 on hub-1, 1 on hub-2); HEAD 200 bursts on hub-2 at "
             f"{', '.join(hm(x) for x in d['destination_head_bursts'])} | replication duplicate (storm); lag "
             f"{lag['library/redis:7.2']['lag_secs']} s |")
    L.append("| 03:15 | alice re-pushes library/nginx:1.25 (same digest); one job, skips | nothing |")
    L.append("")
    L.append("Benign lookalikes (must not be reported): `GET /v2/` 401 challenges; containerd's anonymous HEAD 401 "
             "and `POST /service/token` 405 before its GET token; the replicator's HEAD 404s on hub-2 before uploads; "
             "`library/ngnix:latest` 404 on hub-2 (a typo hub-1 never had; core answers, no registry line); the "
             "03:15 re-push; core's registry-client discovery ping (`GET /v2/` 401, `registry:5000`, "
             "Go-http-client/1.1) after the 02:52 restart; portal 504/502 lines.\n")
    L.append("Notes on what the lines look like (Harbor behaviour, see harbor-logs.md):\n")
    L.append("- hub-2 manifest 404s are answered by hub-2's **registry** (`manifest unknown`, URI by digest: core "
             "rewrote the tag) because the shared DB knows the artifact; only the typo is a core 404 (nginx only).")
    L.append(f"- bob's 401s come from the registry (htpasswd, {htpasswd_401_body('team/payments')}-byte body) "
             "through `regproxy`: registry.log shows "
             "`http.request.host=\"registry_local\"`, peer 172.18.0.20, `HTTP/1.0`. carol's POST 401s are answered "
             f"by core ({push_denied_bytes('dev/tools')}-byte `unauthorized to access repository` body): "
             "with a scope, `/service/token` returns "
             "200 even for a wrong password (anonymous token) and core.log logs the failed login; her later "
             "`docker login` (no scope) gets the token 401.")
    L.append("- containerd sessions start with an anonymous `HEAD .../manifests/<tag>` 401 (no `GET /v2/`), then "
             "`POST /service/token` 405 and `GET /service/token` 200.\n")
    L.append("## Planted broken lines\n")
    for m in truth["malformed_lines"]:
        L.append(f"- `{m['file'][8:]}` line {m['line']}: {m['reason']}")
    cont = truth["continuation_lines"]
    if cont:
        L.append(f"\nNot broken: `{cont[0]['file'][8:]}` lines {cont[0]['line']}-{cont[-1]['line']} are the "
                 "3-line stack trace (`#011` = tab) continuing the ERROR line above them.")
    L.append("")
    return "\n".join(L)


# =====================================================================================
# Self-check (regexes of harbor-logs.md section 7)
# =====================================================================================

RE_SYSLOG = re.compile(r"^(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<hms>\d\d:\d\d:\d\d) (?P<host>\S+) "
                       r"(?P<tag>[\w.-]+)\[(?P<pid>\d+)\]: (?P<payload>.*)$")
RE_NGINX = re.compile(r'^(?P<ip>\S+) - "(?P<req>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<bytes>\d+) '
                      r'"(?P<ref>(?:[^"\\]|\\.)*)" "(?P<ua>(?:[^"\\]|\\.)*)" (?P<rt>\d+\.\d+) '
                      r'(?P<urt>-|[\d.]+(?:(?:, | : )[\d.]+)*) (?P<pipe>[p.])$')
RE_NGINX_ERR = re.compile(r"^(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?P<lvl>\w+)\] \d+#\d+: \*\d+ .*$")
RE_HARBOR = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)) "
                       r"\[(?P<lvl>DEBUG|INFO|WARNING|ERROR|FATAL)\] (?:\[(?P<file>[^\]]+):(?P<line>\d+)\])?"
                       r"(?:\[(?P<fields>[^\]]*)\])?: (?P<msg>.*)$")
RE_LOGRUS = re.compile(r'^time="(?P<ts>[^"]+)" level=(?P<lvl>\w+) msg=(?:"[^"]*(?:"[^"]*)*?"|\S+) .*\s$')
RE_ACCESS = re.compile(r'^(?P<ip>\S+) - (?P<user>\S+) \[(?P<ts>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] '
                       r'"(?P<method>\S+) (?P<uri>\S+) (?P<proto>[^"]+)" (?P<status>\d{3}) (?P<size>\d+) '
                       r'"(?P<ref>(?:[^"\\]|\\.)*)" "(?P<ua>(?:[^"\\]|\\.)*)"$')
RE_COMBINED = re.compile(r'^(?P<ip>\S+) - (?P<user>\S+) \[(?P<ts>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] '
                         r'"(?P<req>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<bytes>\d+) "(?P<ref>(?:[^"\\]|\\.)*)" '
                         r'"(?P<ua>(?:[^"\\]|\\.)*)" (?P<rid>[0-9a-f]{32})$')


def _prefix_secs(m):
    mon = MONTHS.index(m.group("mon")) + 1
    hh, mi, ss = map(int, m.group("hms").split(":"))
    return calendar.timegm((DAY[0], mon, int(m.group("day")), hh, mi, ss)) - PREFIX_TZ_HOURS * 3600


def check(files_lines, broken):
    problems = []
    bad = {(b["file"], b["line"]) for b in broken}
    for path, lines in files_lines.items():
        last_prefix = None
        last_payload = None
        for i, raw in enumerate(lines, 1):
            if (path, i) in bad:
                continue
            try:
                ln = raw.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{path}:{i}: not UTF-8")
                continue
            where = f"{path}:{i}"
            if path.endswith("nginx/access.log"):
                m = RE_COMBINED.match(ln)
                if not m:
                    problems.append(f"{where}: not combined+request_id")
                continue
            if "/job_logs/" in path:
                m = RE_HARBOR.match(ln)
                if not m:
                    problems.append(f"{where}: not Harbor text")
                    continue
                ts = calendar.timegm(__import__("time").strptime(m.group("ts"), "%Y-%m-%dT%H:%M:%SZ"))
                if last_payload is not None and ts < last_payload:
                    problems.append(f"{where}: time goes back")
                last_payload = ts
                continue
            m = RE_SYSLOG.match(ln)
            if not m:
                problems.append(f"{where}: no syslog prefix")
                continue
            pt = _prefix_secs(m)
            if last_prefix is not None and pt < last_prefix:
                problems.append(f"{where}: prefix time goes back")
            last_prefix = pt
            tag, payload = m.group("tag"), m.group("payload")
            if not path.split("/")[-1].startswith(tag):
                problems.append(f"{where}: tag {tag} in {path}")
            host = SITES[path.split("/")[0]]
            if m.group("host") != host["token"] or int(m.group("pid")) != host["pid"]:
                problems.append(f"{where}: host/pid")
            if tag == "proxy":
                if RE_NGINX.match(payload):
                    continue
                e = RE_NGINX_ERR.match(payload)
                if not e:
                    problems.append(f"{where}: not nginx access/error")
                    continue
                et = calendar.timegm(__import__("time").strptime(e.group("ts"), "%Y/%m/%d %H:%M:%S"))
                if et != pt:
                    problems.append(f"{where}: nginx error time {et} != prefix {pt}")
            elif tag in ("core", "jobservice"):
                h = RE_HARBOR.match(payload)
                if not h:
                    if payload.startswith("#011"):
                        continue
                    problems.append(f"{where}: not Harbor text")
                    continue
                ts = calendar.timegm(__import__("time").strptime(h.group("ts"), "%Y-%m-%dT%H:%M:%SZ"))
                if ts != pt:
                    problems.append(f"{where}: payload {ts} != prefix {pt} - 8h")
            elif tag == "registry":
                if payload.startswith('time="'):
                    lm = RE_LOGRUS.match(payload)
                    if not lm or not payload.endswith(" "):
                        problems.append(f"{where}: not logrus")
                        continue
                    ts_s = lm.group("ts")
                    base = calendar.timegm(__import__("time").strptime(ts_s[:19], "%Y-%m-%dT%H:%M:%S"))
                    if base != pt:
                        problems.append(f"{where}: logrus {base} != prefix {pt}")
                    frac = ts_s[20:-1] if "." in ts_s else ""
                    tns = base * S + (int((frac + "000000000")[:9]) if frac else 0)
                    if last_payload is not None and tns < last_payload:
                        problems.append(f"{where}: logrus time goes back")
                    last_payload = tns
                else:
                    a = RE_ACCESS.match(payload)
                    if not a:
                        problems.append(f"{where}: not access line")
                        continue
                    at = calendar.timegm(__import__("time").strptime(a.group("ts"), "%d/%b/%Y:%H:%M:%S +0000"))
                    if at > pt or pt - at > 120:
                        problems.append(f"{where}: access start {at} vs prefix {pt}")
            else:
                problems.append(f"{where}: unknown tag {tag}")
    # gzip readable
    gz = os.path.join(OUT, "hub-1/proxy.log.1.gz")
    with gzip.open(gz, "rb") as fh:
        if fh.read() != b"".join(x + b"\n" for x in files_lines["hub-1/proxy.log.1.gz"]):
            problems.append("gzip content mismatch")
    # every proxy file has an nginx error line within its first 50 lines
    for p in ("hub-1/proxy.log.1.gz", "hub-1/proxy.log", "hub-2/proxy.log"):
        if not any(b" [error] " in ln or b" [warn] " in ln for ln in files_lines[p][:50]):
            problems.append(f"{p}: no nginx error line in the first 50 lines")
    return problems


if __name__ == "__main__":
    sys.exit(main())
