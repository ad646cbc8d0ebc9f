#!/usr/bin/env python3
"""Deterministic generator of two-site Harbor logs (proxy.log + registry.log) for benchmarks.

Writes OUT/hub-1/{proxy,registry}.log and OUT/hub-2/{proxy,registry}.log, syslog-wrapped exactly
as Harbor's log container writes them (/work/shared/docs/harbor-logs.md §1.2), plus OUT/manifest.json
with what was generated.

  proxy.log     nginx `timed_combined` of Harbor's template (no $remote_user, no $time_local; the
                time is the rsyslog prefix), docker UA escaped as \\x5C(linux\\x5C)
  registry.log  distribution v2.8 logrus lines (`authorized request`, `response completed`,
                `response completed with error`; keys in logrus order, values quoted per
                needsQuoting, trailing space) and gorilla combined access lines (core's address,
                request start time, UA with \\\\( \\\\)), for exactly the requests core proxies
                (harbor-logs.md §2.3, §4.1): HEAD blob 200 / uploads / PUT manifest / GET blob /
                manifest GET/HEAD by digest on a cache miss; core's abstractor GETs
                (host "registry:5000") after every PUT manifest; replication source pulls on
                hub-1 (host "core:8080", jobservice's address).

Traffic (seeded, lines written in completion order per file):
  * hub-1 (primary): docker / CI pushes of NEW artifacts (GET /v2/ 401, token, HEAD blob 404 or 200
    for a shared base layer, POST 202, PATCH 202, PUT ?digest 201, PUT manifest 201), pulls and
    kubelet manifest checks of the catalogue, docker logins, portal/API calls.
  * replication: every push is copied to hub-2 by `harbor-registry-client` (ping and token with
    `Go-http-client/1.1`, monolithic uploads, no PATCH) 30-120 s later (--lag-min/--lag-max);
    --never (3 %) of them never arrive (the job's upload PUT gets 500, 3 tries).
  * hub-2 (secondary): pulls and checks of the catalogue, and, after --early-pull (30 %) of the
    pushes, a containerd pull of the new tag before it arrived (404), retried after arrival (200;
    never-replicated artifacts keep 404ing).
  * --db shared (default, like samples/): hub-2's core finds hub-1's rows in the shared DB and
    proxies, so hub-2's registry answers the 404s (`response completed with error`,
    `manifest unknown` / `blob unknown`); --db separate: hub-2's core answers 404 itself (nginx only).
  * --artifacts N: the catalogue of artifacts that exist on both sites before the window. Pulls
    and checks take a "hot" artifact with probability --hot (0.1), else the next one of a fixed
    permutation of the catalogue, so the first N cold references are N distinct artifacts:
    `--lines 10000000 --artifacts 1000000` references about 0.9-1 M distinct artifacts.

--lines is the total over the four files (the run stops starting sessions once it is reached, so
the total exceeds it by less than one session). Same arguments + seed -> byte-identical output.

Example:  python3 gen_harbor.py --lines 2000000 --artifacts 100000 --seed 42 -o /tmp/hw/twosite
"""

import argparse
import base64
import hashlib
import json
import math
import os
import sys
import time
from random import Random

MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')

PROJECTS = ['library', 'ci', 'infra', 'ml', 'frontend', 'backend', 'data', 'mirror', 'sec', 'qa',
            'ops', 'mobile', 'platform', 'app']
WORDS = ['nginx', 'redis', 'postgres', 'alpine', 'ubuntu', 'debian', 'python', 'golang', 'node',
         'openjdk', 'web', 'api', 'worker', 'gateway', 'auth', 'billing', 'search', 'etl', 'trainer',
         'notebook', 'jenkins-agent', 'busybox', 'prometheus', 'grafana', 'kafka', 'zookeeper',
         'envoy', 'coredns', 'fluent-bit', 'vault', 'consul', 'rabbitmq', 'mysql', 'mongo',
         'elasticsearch', 'kibana', 'minio', 'traefik', 'memcached', 'scheduler', 'notifier',
         'frontend-ssr', 'admin-ui', 'cron', 'importer', 'exporter']
HUMANS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy',
          'wang.wei', 'li.na', 'chen.jie', 'liu.yang', 'admin']
ROBOTS = ['robot$ci', 'robot$ci+builder', 'robot$ops+deployer', 'robot$ml+trainer',
          'robot$frontend+pipeline', 'robot$backend+pipeline']

GO_VERSION = 'go1.21.11'
MT_V2 = 'application/vnd.docker.distribution.manifest.v2+json'
SITES = {
    # name: (public host, syslog host, dockerd pid, core container IP)
    'hub-1': ('hub-1.corp.example.com', '172.18.0.1', 1043, '172.18.0.6'),
    'hub-2': ('hub-2.corp.example.com', '172.19.0.1', 2210, '172.19.0.6'),
}
JOBSERVICE_IP = '172.18.0.9'   # hub-1's jobservice: source pulls through http://core:8080
EGRESS_IP = '10.10.0.11'       # hub-1's egress as seen by hub-2's nginx


def pct(s):
    return s.replace('/', '%2F').replace(':', '%3A').replace(',', '%2C').replace('$', '%24').replace('+', '%2B')


def needs_quoting(v):
    for c in v:
        if not (c.isalnum() and c.isascii() or c in '.-'):
            return True
    return False


def lq(v):
    """A logrus string value as the text formatter writes it (quoted, never escaped)."""
    return '"%s"' % v if needs_quoting(v) else v


class UA:
    """One user agent in its three renderings: nginx, logrus field, gorilla access line."""
    __slots__ = ('nginx', 'logrus', 'access', 'raw')

    def __init__(self, raw):
        self.raw = raw
        self.nginx = raw.replace('\\', '\\x5C')
        self.logrus = 'http.request.useragent=' + lq(raw)
        self.access = raw.replace('\\', '\\\\').replace('"', '\\"')


def docker_ua(engine, go, commit, kernel):
    return ('docker/%s go/go%s git-commit/%s kernel/%s os/linux arch/amd64 '
            'UpstreamClient(Docker-Client/%s \\(linux\\))' % (engine, go, commit, kernel, engine))


class Gen:
    def __init__(self, a):
        self.a = a
        self.r = Random(a.seed)
        self.N = a.artifacts
        self.R = max(64, self.N // 16)          # repositories of the catalogue
        self.db_shared = a.db == 'shared'
        # cold references walk a fixed permutation of the catalogue: k -> (k*P + off) mod N
        self.perm_p = self._coprime(self.N, 2654435761 % max(self.N, 2) or 1)
        self.perm_off = self.r.randrange(self.N)
        self.cold_k = 0
        self.next_new = self.N                  # artifacts pushed in the window get N, N+1, ...
        self.recent = []                        # recently landed pushes (hot pulls)
        # clients
        r = self.r
        eng = [('20.10.17', '1.17.11', 'a89b842'), ('24.0.7', '1.20.10', '311b9ff'),
               ('23.0.6', '1.20.4', '9dbdbd4'), ('25.0.3', '1.21.6', 'f417435')]
        kern = ['5.15.0-91-generic', '5.10.0-8-amd64', '6.1.0-18-amd64', '4.18.0-513.el8.x86_64']
        self.docker_uas = [UA(docker_ua(e[0], e[1], e[2], k)) for e in eng for k in kern]
        self.containerd_uas = [UA('containerd/v1.7.13'), UA('containerd/v1.6.28')]
        self.ua_repl = UA('harbor-registry-client')
        self.ua_go = UA('Go-http-client/1.1')
        self.ua_curl = UA('curl/8.6.0')
        self.ua_browser = UA('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) '
                             'Chrome/128.0.0.0 Safari/537.36')
        self.devs = ['10.20.%d.%d' % (r.randrange(1, 40), r.randrange(2, 250)) for _ in range(300)]
        self.ci = ['10.30.%d.%d' % (r.randrange(0, 8), r.randrange(2, 250)) for _ in range(60)]
        self.nodes = {'hub-1': ['10.50.%d.%d' % (r.randrange(0, 16), r.randrange(2, 250)) for _ in range(800)],
                      'hub-2': ['10.60.%d.%d' % (r.randrange(0, 16), r.randrange(2, 250)) for _ in range(800)]}
        # output: per file, buckets of lines by whole second of completion
        self.out = {}
        self.buckets = {}
        self.counts = {}
        self.bytes = {}
        for s in SITES:
            for f in ('proxy', 'registry'):
                key = (s, f)
                self.buckets[key] = {}
                self.counts[key] = 0
                self.bytes[key] = 0
        self.pending = 0
        self.written = 0
        self._pre = {}        # (site, tag, sec) -> syslog prefix
        self._rfc = {}        # sec -> 'YYYY-MM-DDTHH:MM:SS'
        self._clf = {}        # sec -> 'dd/Mon/yyyy:HH:MM:SS +0000'
        self.stats = dict(pushes=0, replicated=0, never=0, early_pull_404=0, late_pull_ok=0,
                          pulls=0, checks=0, logins=0, api=0, cold_refs=0, hot_refs=0,
                          registry_errors=0)

    @staticmethod
    def _coprime(n, p):
        p = max(1, p)
        while math.gcd(p, n) != 1:
            p += 1
        return p

    # ------------------------------------------------------------------ artifacts
    def repo(self, i):
        j = i % self.R
        base = PROJECTS[j % len(PROJECTS)] + '/' + WORDS[(j // len(PROJECTS)) % len(WORDS)]
        wrap = j // (len(PROJECTS) * len(WORDS))
        return base if wrap == 0 else '%s-%d' % (base, wrap)

    def tag(self, i):
        n = i // self.R
        return '%d.%d.%d' % (1 + n // 100, (n // 10) % 10, n % 10)

    @staticmethod
    def digest(kind, i, k=0):
        return 'sha256:' + hashlib.blake2b(b'%c%d.%d' % (kind, i, k), digest_size=32).hexdigest()

    def blobs(self, i):
        """(digest, size) of config + layers; layer 0 is one of 64 shared base layers."""
        n_layers = 1 + (i * 7919) % 3
        out = [(self.digest(99, i), 1400 + (i * 31) % 6000)]
        out.append((self.digest(98, i % 64), 2_800_000 + (i % 64) * 40_000))
        for k in range(1, n_layers):
            out.append((self.digest(108, i, k), 200_000 + (i * 104729 + k * 7) % 60_000_000))
        return out

    def pick(self, site, t):
        """An artifact of the catalogue (or a recent push that `site` has at `t`) for a pull or check."""
        r = self.r
        if r.random() < self.a.hot:
            self.stats['hot_refs'] += 1
            if self.recent and r.random() < 0.5:
                i, t_push, t_arrive = self.recent[r.randrange(len(self.recent))]
                if t > (t_push if site == 'hub-1' else t_arrive):
                    return i
            return r.randrange(max(1, self.N // 1000))
        self.stats['cold_refs'] += 1
        k = self.cold_k
        self.cold_k += 1
        return (k * self.perm_p + self.perm_off) % self.N

    # ------------------------------------------------------------------ formatting
    def prefix(self, site, tag, sec):
        key = (site, tag, sec)
        p = self._pre.get(key)
        if p is None:
            tm = time.gmtime(sec)
            s = SITES[site]
            p = '%s %2d %02d:%02d:%02d %s %s[%d]: ' % (MONTHS[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour,
                                                        tm.tm_min, tm.tm_sec, s[1], tag, s[2])
            if len(self._pre) > 4000:
                self._pre.clear()
            self._pre[key] = p
        return p

    def rfc3339nano(self, t):
        sec = int(t)
        base = self._rfc.get(sec)
        if base is None:
            tm = time.gmtime(sec)
            base = '%04d-%02d-%02dT%02d:%02d:%02d' % (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour,
                                                      tm.tm_min, tm.tm_sec)
            if len(self._rfc) > 4000:
                self._rfc.clear()
            self._rfc[sec] = base
        ns = int((t - sec) * 1e9)
        if ns <= 0:
            return base + 'Z'
        return base + ('.%09d' % ns).rstrip('0') + 'Z'      # Go's RFC3339Nano trims zeros

    def clf(self, sec):
        s = self._clf.get(sec)
        if s is None:
            tm = time.gmtime(sec)
            s = '%02d/%s/%04d:%02d:%02d:%02d +0000' % (tm.tm_mday, MONTHS[tm.tm_mon - 1], tm.tm_year,
                                                       tm.tm_hour, tm.tm_min, tm.tm_sec)
            if len(self._clf) > 4000:
                self._clf.clear()
            self._clf[sec] = s
        return s

    def uuid(self):
        h = '%032x' % self.r.getrandbits(128)
        return '%s-%s-4%s-%s%s-%s' % (h[:8], h[8:12], h[13:16], '89ab'[int(h[16], 16) & 3], h[17:20], h[20:])

    def state(self):
        raw = self.r.getrandbits(8 * 72).to_bytes(72, 'big')
        return base64.urlsafe_b64encode(raw).decode().replace('=', '%3D')

    @staticmethod
    def duration(d):
        """Go's Duration.String() for d seconds (ms or µs), logrus-quoted when it holds µ."""
        if d >= 1:
            return ('%.6f' % d).rstrip('0').rstrip('.') + 's'
        if d >= 0.001:
            return ('%.6f' % (d * 1e3)).rstrip('0').rstrip('.') + 'ms'
        return '"%sµs"' % ('%.3f' % (d * 1e6)).rstrip('0').rstrip('.')

    # ------------------------------------------------------------------ emit
    def _put(self, key, t, line):
        b = self.buckets[key].get(int(t))
        if b is None:
            b = self.buckets[key][int(t)] = []
        b.append((t, line))
        self.pending += 1

    def nginx(self, site, t, client, method, uri, status, nbytes, ua, rt, upstream=True, ref='-'):
        """One proxy.log line for a request that started at t and took rt seconds."""
        end = t + rt
        line = '%s%s - "%s %s HTTP/1.1" %d %d "%s" "%s" %.3f %s .' % (
            self.prefix(site, 'proxy', int(end)), client, method, uri, status, nbytes, ref, ua.nginx, rt,
            ('%.3f' % rt) if upstream else '-')
        self._put((site, 'proxy'), end, line)
        return end

    def registry(self, site, t, rt, method, uri, status, written, ua, remote, host, vars_=(),
                 req_ct=None, resp_ct=None, err=None, peer=None):
        """The registry lines of one request core proxied: authorized request, response completed
        (2xx/3xx) or response completed with error, and the access line."""
        s = SITES[site]
        pre = self.prefix(site, 'registry', int(t + rt))
        rid = self.uuid()
        common = ['go.version=' + GO_VERSION]
        if req_ct:
            common.append('http.request.contenttype=' + lq(req_ct))
        common.append('http.request.host=' + lq(host))
        common.append('http.request.id=' + rid)
        common.append('http.request.method=' + method)
        common.append('http.request.remoteaddr=' + remote)
        common.append('http.request.uri="%s"' % uri)
        common.append(ua.logrus)
        req = ' '.join(common)
        vs = ' '.join('vars.%s=%s' % (k, lq(v)) for k, v in vars_)
        t_auth = t + 0.0004
        auth = '%stime="%s" level=info msg="authorized request" %s %s ' % (
            self.prefix(site, 'registry', int(t_auth)), self.rfc3339nano(t_auth), req, vs) if vs else \
            '%stime="%s" level=info msg="authorized request" %s ' % (
                self.prefix(site, 'registry', int(t_auth)), self.rfc3339nano(t_auth), req)
        self._put((site, 'registry'), t_auth, auth)
        t_done = t + rt * 0.97
        resp = []
        if resp_ct:
            resp.append('http.response.contenttype=' + lq(resp_ct))
        resp.append('http.response.duration=' + self.duration(rt * 0.96))
        resp.append('http.response.status=%d' % status)
        resp.append('http.response.written=%d' % written)
        if err is None:
            done = '%stime="%s" level=info msg="response completed" %s %s ' % (
                pre, self.rfc3339nano(t_done), req, ' '.join(resp))
        else:
            self.stats['registry_errors'] += 1
            code, message, detail = err
            e = ['auth.user.name="harbor_registry_user"', 'err.code=' + lq(code)]
            if detail is not None:
                e.append('err.detail=' + detail)
            e.append('err.message=' + lq(message))
            done = '%stime="%s" level=error msg="response completed with error" %s %s %s%s ' % (
                pre, self.rfc3339nano(t_done), ' '.join(e), req, ' '.join(resp), (' ' + vs) if vs else '')
        self._put((site, 'registry'), t_done, done)
        acc = '%s%s - - [%s] "%s %s HTTP/1.1" %d %d "" "%s"' % (
            pre, peer or s[3], self.clf(int(t)), method, uri, status, written, ua.access)
        self._put((site, 'registry'), t_done + 0.00001, acc)

    def flush(self, upto):
        """Write every bucket of a whole second < upto (all: upto=None)."""
        for key, b in self.buckets.items():
            if not b:
                continue
            secs = sorted(s for s in b if upto is None or s < upto)
            if not secs:
                continue
            out = []
            for s in secs:
                items = b.pop(s)
                items.sort(key=lambda x: x[0])
                out.extend(x[1] for x in items)
            n = len(out)
            text = '\n'.join(out) + '\n'
            self.out[key].write(text)
            self.counts[key] += n
            self.bytes[key] += len(text.encode()) if not text.isascii() else len(text)
            self.pending -= n
            self.written += n

    # ------------------------------------------------------------------ sessions
    def rt(self, lo=0.002, hi=0.030):
        return lo + self.r.random() * (hi - lo)

    def token(self, site, t, client, ua, user, repo, push):
        scope = 'repository%%3A%s%%3Apull%s' % (pct(repo), '%2Cpush' if push else '')
        acct = ('account=%s&' % pct(user)) if user else ''
        return self.nginx(site, t, client, 'GET', '/service/token?%sscope=%s&service=harbor-registry' % (acct, scope),
                          200, 1040 + len(repo), ua, self.rt(0.02, 0.12))

    def manifest_fetch(self, site, t, client, ua, i, method, user_facing_ref):
        """GET/HEAD of a manifest that exists on `site`: core rewrites the tag to the digest and
        serves from the Redis cache (60 %) or proxies to the registry."""
        repo = self.repo(i)
        dg = self.digest(109, i)
        size = 900 + (i * 13) % 1200
        rt = self.rt(0.004, 0.04)
        if self.r.random() < 0.4:
            self.registry(site, t + 0.002, rt - 0.002, method, '/v2/%s/manifests/%s' % (repo, dg), 200,
                          size, ua, client, SITES[site][0], (('name', repo), ('reference', dg)),
                          resp_ct=MT_V2)
        return self.nginx(site, t, client, method, '/v2/%s/manifests/%s' % (repo, user_facing_ref), 200,
                          size if method == 'GET' else 0, ua, rt)

    def blob_get(self, site, t, client, ua, repo, dg, size):
        rt = self.rt(0.005, 0.2)
        redirect = self.r.random() < 0.3
        st, written = (307, 0) if redirect else (200, size)
        self.registry(site, t + 0.002, rt - 0.002, 'GET', '/v2/%s/blobs/%s' % (repo, dg), st,
                      written, ua, client, SITES[site][0], (('digest', dg), ('name', repo)),
                      resp_ct='application/octet-stream')
        return self.nginx(site, t, client, 'GET', '/v2/%s/blobs/%s' % (repo, dg), st, written, ua, rt)

    def sess_pull(self, site, t, i=None):
        r = self.r
        self.stats['pulls'] += 1
        i = self.pick(site, t) if i is None else i
        client = r.choice(self.nodes[site] if r.random() < 0.7 else self.devs)
        ua = r.choice(self.docker_uas)
        repo = self.repo(i)
        t = self.nginx(site, t, client, 'GET', '/v2/', 401, 76, ua, 0.002)
        t = self.token(site, t + 0.001, client, ua, None, repo, False)
        t = self.manifest_fetch(site, t + 0.001, client, ua, i, 'GET', self.tag(i))
        blobs = self.blobs(i)
        t0 = t + 0.001
        end = t0
        for k, (dg, size) in enumerate(blobs):
            if k == 0 or r.random() < 0.5:      # config always, layers not cached locally
                end = max(end, self.blob_get(site, t0 + 0.0005 * k, client, ua, repo, dg, size))
        return end

    def sess_check(self, site, t, i=None, expect_404=False):
        """kubelet/containerd: anonymous HEAD 401, token, HEAD manifest (200, or 404 before arrival)."""
        r = self.r
        self.stats['checks'] += 1
        i = self.pick(site, t) if i is None else i
        client = r.choice(self.nodes[site])
        ua = r.choice(self.containerd_uas)
        repo, tag = self.repo(i), self.tag(i)
        uri = '/v2/%s/manifests/%s' % (repo, tag)
        t = self.nginx(site, t, client, 'HEAD', uri, 401, 0, ua, 0.002)
        t = self.token(site, t + 0.001, client, ua, None, repo, False)
        if not expect_404:
            return self.manifest_fetch(site, t + 0.001, client, ua, i, 'HEAD', tag)
        rt = self.rt(0.004, 0.03)
        if self.db_shared:
            dg = self.digest(109, i)
            detail = '"unknown manifest name=%s revision=%s"' % (repo, dg)
            self.registry(site, t + 0.003, rt - 0.002, 'HEAD', '/v2/%s/manifests/%s' % (repo, dg), 404, 189, ua,
                          client, SITES[site][0], (('name', repo), ('reference', dg)),
                          resp_ct='application/json; charset=utf-8',
                          err=('manifest unknown', 'manifest unknown', detail))
        return self.nginx(site, t + 0.001, client, 'HEAD', uri, 404, 0, ua, rt)

    def sess_login(self, site, t):
        r = self.r
        self.stats['logins'] += 1
        client, ua, user = r.choice(self.devs), r.choice(self.docker_uas), r.choice(HUMANS)
        t = self.nginx(site, t, client, 'GET', '/v2/', 401, 76, ua, 0.002)
        ok = r.random() < 0.95
        return self.nginx(site, t + 0.001, client, 'GET',
                          '/service/token?account=%s&client_id=docker&offline_token=true&service=harbor-registry' % pct(user),
                          200 if ok else 401, 1100 if ok else 76, ua, self.rt(0.05, 0.2))

    def sess_api(self, site, t):
        r = self.r
        self.stats['api'] += 1
        client = r.choice(self.devs)
        host = SITES[site][0]
        ref = 'https://%s/harbor/projects' % host
        j = r.randrange(self.R)
        proj = PROJECTS[j % len(PROJECTS)]
        paths = ['/api/v2.0/projects?page=1&page_size=15&with_detail=true',
                 '/api/v2.0/projects/%s/repositories?page=1&page_size=15' % proj,
                 '/api/v2.0/projects/%s/repositories/%s/artifacts?with_tag=true&with_scan_overview=true&page=1&page_size=15'
                 % (proj, pct(pct(self.repo(j).split('/', 1)[1])))]
        for p in paths[:1 + r.randrange(3)]:
            t = self.nginx(site, t, client, 'GET', p, 200, 800 + r.randrange(20000), self.ua_browser,
                           self.rt(0.01, 0.15), ref=ref) + 0.05
        return t

    def sess_push(self, t):
        """A push of a new artifact on hub-1, then its replication to hub-2 (or not)."""
        r = self.r
        a = self.a
        self.stats['pushes'] += 1
        i = self.next_new
        self.next_new += 1
        site = 'hub-1'
        host = SITES[site][0]
        robot = r.random() < 0.6
        client = r.choice(self.ci if robot else self.devs)
        user = r.choice(ROBOTS if robot else HUMANS)
        ua = r.choice(self.docker_uas)
        repo, tag = self.repo(i), self.tag(i)
        t = self.nginx(site, t, client, 'GET', '/v2/', 401, 76, ua, 0.002)
        t = self.token(site, t + 0.001, client, ua, user, repo, True)
        blobs = self.blobs(i)
        for k, (dg, size) in enumerate(blobs):
            t += 0.001
            if k == 1 and r.random() < 0.7:      # the shared base layer is already there
                rt = self.rt(0.004, 0.02)
                self.registry(site, t + 0.002, rt - 0.002, 'HEAD', '/v2/%s/blobs/%s' % (repo, dg), 200, 0, ua,
                              client, host, (('digest', dg), ('name', repo)), resp_ct='application/octet-stream')
                t = self.nginx(site, t, client, 'HEAD', '/v2/%s/blobs/%s' % (repo, dg), 200, 0, ua, rt)
                continue
            t = self.nginx(site, t, client, 'HEAD', '/v2/%s/blobs/%s' % (repo, dg), 404, 0, ua, self.rt(0.003, 0.01))
            up = self.uuid()
            rt = self.rt(0.01, 0.05)
            self.registry(site, t + 0.003, rt - 0.003, 'POST', '/v2/%s/blobs/uploads/' % repo, 202, 0, ua, client,
                          host, (('name', repo),))
            t = self.nginx(site, t + 0.001, client, 'POST', '/v2/%s/blobs/uploads/' % repo, 202, 0, ua, rt)
            st1 = self.state()
            rt = 0.05 + size / 80e6 * (0.5 + r.random())
            uri = '/v2/%s/blobs/uploads/%s?_state=%s' % (repo, up, st1)
            self.registry(site, t + 0.003, rt - 0.003, 'PATCH', uri, 202, 0, ua, client, host,
                          (('name', repo), ('uuid', up)), req_ct='application/octet-stream')
            t = self.nginx(site, t + 0.001, client, 'PATCH', uri, 202, 0, ua, rt)
            uri = '/v2/%s/blobs/uploads/%s?_state=%s&digest=%s' % (repo, up, self.state(), dg.replace(':', '%3A'))
            rt = self.rt(0.02, 0.3)
            self.registry(site, t + 0.003, rt - 0.003, 'PUT', uri, 201, 0, ua, client, host,
                          (('name', repo), ('uuid', up)), req_ct='application/octet-stream')
            t = self.nginx(site, t + 0.001, client, 'PUT', uri, 201, 0, ua, rt)
        rt = self.rt(0.05, 0.2)
        t0 = t + 0.001
        self.registry(site, t0 + 0.004, rt - 0.008, 'PUT', '/v2/%s/manifests/%s' % (repo, tag), 201, 0, ua, client,
                      host, (('name', repo), ('reference', tag)), req_ct=MT_V2)
        t_push = self.nginx(site, t0, client, 'PUT', '/v2/%s/manifests/%s' % (repo, tag), 201, 0, ua, rt)
        self.abstractor(site, t_push + 0.01, i)
        # a containerd pull of the new tag on hub-2 before it could have arrived
        early = r.random() < a.early_pull
        if early:
            self.stats['early_pull_404'] += 1
            self.sess_check('hub-2', t_push + 3 + r.random() * (a.lag_min - 8), i, expect_404=True)
        if r.random() < a.never:
            self.stats['never'] += 1
            self.replicate(t_push + 5 + r.random() * 10, i, fail=True)
            if early:
                self.sess_check('hub-2', t_push + a.lag_max + r.random() * 60, i, expect_404=True)
            return t_push
        # the job starts so that the manifest lands lag_min..lag_max after the push (the job itself
        # takes up to a few seconds)
        t_arrive = self.replicate(t_push + a.lag_min - 4 + r.random() * (a.lag_max - a.lag_min - 4), i, fail=False)
        self.stats['replicated'] += 1
        if early:
            self.stats['late_pull_ok'] += 1
            self.sess_check('hub-2', t_arrive + 5 + r.random() * 60, i)
        self.recent.append((i, t_push, t_arrive))
        if len(self.recent) > 1000:
            del self.recent[:500]
        return t_push

    def abstractor(self, site, t, i):
        """core's artifact abstractor reads the new manifest and its config from the registry."""
        repo, dg = self.repo(i), self.digest(109, i)
        cfg, csize = self.blobs(i)[0]
        core_ip = SITES[site][3]
        self.registry(site, t, 0.004, 'GET', '/v2/%s/manifests/%s' % (repo, dg), 200, 900 + (i * 13) % 1200,
                      self.ua_repl, core_ip, 'registry:5000', (('name', repo), ('reference', dg)), resp_ct=MT_V2,
                      peer=core_ip)
        self.registry(site, t + 0.005, 0.003, 'GET', '/v2/%s/blobs/%s' % (repo, cfg), 200, csize,
                      self.ua_repl, core_ip, 'registry:5000', (('digest', cfg), ('name', repo)),
                      resp_ct='application/octet-stream', peer=core_ip)

    def replicate(self, t, i, fail):
        """The REPLICATION job: source pulls on hub-1 (core:8080), writes on hub-2 through its nginx.
        Returns the time the manifest PUT completed on hub-2 (the arrival)."""
        r = self.r
        repo, tag = self.repo(i), self.tag(i)
        mdg = self.digest(109, i)
        src, dst = 'hub-1', 'hub-2'
        dhost = SITES[dst][0]
        # discovery ping and token on the destination
        t = self.nginx(dst, t, EGRESS_IP, 'GET', '/v2/', 401, 76, self.ua_go, 0.002)
        t = self.nginx(dst, t + 0.001, EGRESS_IP, 'GET',
                       '/service/token?scope=repository%%3A%s%%3Apull%%2Cpush&service=harbor-registry' % pct(repo),
                       200, 1040 + len(repo), self.ua_go, self.rt(0.03, 0.1))
        # source manifest
        self.registry(src, t + 0.002, 0.006, 'GET', '/v2/%s/manifests/%s' % (repo, mdg), 200, 900 + (i * 13) % 1200,
                      self.ua_repl, JOBSERVICE_IP, 'core:8080', (('name', repo), ('reference', mdg)), resp_ct=MT_V2)
        t += 0.01
        # destination manifest HEAD: 404
        rt = self.rt(0.004, 0.02)
        if self.db_shared:
            self.registry(dst, t + 0.002, rt - 0.002, 'HEAD', '/v2/%s/manifests/%s' % (repo, mdg), 404, 189,
                          self.ua_repl, EGRESS_IP, dhost, (('name', repo), ('reference', mdg)),
                          resp_ct='application/json; charset=utf-8',
                          err=('manifest unknown', 'manifest unknown',
                               '"unknown manifest name=%s revision=%s"' % (repo, mdg)))
        t = self.nginx(dst, t, EGRESS_IP, 'HEAD', '/v2/%s/manifests/%s' % (repo, tag), 404, 0, self.ua_repl, rt)
        for k, (dg, size) in enumerate(self.blobs(i)):
            t += 0.001
            rt = self.rt(0.003, 0.015)
            buri = '/v2/%s/blobs/%s' % (repo, dg)
            if k == 1:       # shared base layer: already on hub-2
                self.registry(dst, t + 0.002, rt - 0.002, 'HEAD', buri, 200, 0, self.ua_repl, EGRESS_IP, dhost,
                              (('digest', dg), ('name', repo)), resp_ct='application/octet-stream')
                t = self.nginx(dst, t, EGRESS_IP, 'HEAD', buri, 200, 0, self.ua_repl, rt)
                continue
            if self.db_shared:
                self.registry(dst, t + 0.002, rt - 0.002, 'HEAD', buri, 404, 157, self.ua_repl, EGRESS_IP, dhost,
                              (('digest', dg), ('name', repo)), resp_ct='application/json; charset=utf-8',
                              err=('blob unknown', 'blob unknown to registry', dg))
            t = self.nginx(dst, t, EGRESS_IP, 'HEAD', buri, 404, 0, self.ua_repl, rt)
            # source blob pull
            srt = 0.01 + size / 200e6
            self.registry(src, t + 0.001, srt, 'GET', buri, 200, size, self.ua_repl, JOBSERVICE_IP, 'core:8080',
                          (('digest', dg), ('name', repo)), resp_ct='application/octet-stream')
            tries = 3 if fail else 1
            for attempt in range(tries):
                up = self.uuid()
                rt = self.rt(0.01, 0.04)
                self.registry(dst, t + 0.003, rt - 0.003, 'POST', '/v2/%s/blobs/uploads/' % repo, 202, 0, self.ua_repl,
                              EGRESS_IP, dhost, (('name', repo),))
                t = self.nginx(dst, t + 0.001, EGRESS_IP, 'POST', '/v2/%s/blobs/uploads/' % repo, 202, 0,
                               self.ua_repl, rt)
                uri = '/v2/%s/blobs/uploads/%s?_state=%s&digest=%s' % (repo, up, self.state(), dg.replace(':', '%3A'))
                rt = 0.05 + size / 60e6 * (0.5 + r.random())
                if fail:
                    self.registry(dst, t + 0.003, rt - 0.003, 'PUT', uri, 500, 182, self.ua_repl, EGRESS_IP, dhost,
                                  (('name', repo), ('uuid', up)), req_ct='application/octet-stream',
                                  resp_ct='application/json; charset=utf-8',
                                  err=('unknown', 'unknown error',
                                       '"s3aws: RequestError: send request failed caused by: Put \\"https://ceph-dc2/\\": '
                                       'dial tcp 10.2.0.5:7480: connect: connection refused"'))
                    t = self.nginx(dst, t + 0.001, EGRESS_IP, 'PUT', uri, 500, 182, self.ua_repl, rt)
                    t += 2 ** (attempt + 1)           # will retry 2s/4s later
                    continue
                self.registry(dst, t + 0.003, rt - 0.003, 'PUT', uri, 201, 0, self.ua_repl, EGRESS_IP, dhost,
                              (('name', repo), ('uuid', up)), req_ct='application/octet-stream')
                t = self.nginx(dst, t + 0.001, EGRESS_IP, 'PUT', uri, 201, 0, self.ua_repl, rt)
            if fail:
                return t
        rt = self.rt(0.05, 0.15)
        self.registry(dst, t + 0.005, rt - 0.008, 'PUT', '/v2/%s/manifests/%s' % (repo, tag), 201, 0, self.ua_repl,
                      EGRESS_IP, dhost, (('name', repo), ('reference', tag)), req_ct=MT_V2)
        t = self.nginx(dst, t + 0.001, EGRESS_IP, 'PUT', '/v2/%s/manifests/%s' % (repo, tag), 201, 0, self.ua_repl, rt)
        self.abstractor(dst, t + 0.01, i)
        return t

    def health(self, site, t):
        """Health checks: nginx container curl (proxy 308 in the HTTPS setup) and registry GET /."""
        self.nginx(site, t, '127.0.0.1', 'GET', '/', 308, 164, self.ua_curl, 0.0, upstream=False)
        pre = self.prefix(site, 'registry', int(t + 0.3))
        self._put((site, 'registry'), t + 0.3, '%s127.0.0.1 - - [%s] "GET / HTTP/1.1" 200 0 "" "%s"' % (
            pre, self.clf(int(t + 0.3)), self.ua_curl.access))

    # ------------------------------------------------------------------ main loop
    def run(self):
        a, r = self.a, self.r
        for s in SITES:
            os.makedirs(os.path.join(a.output, s), exist_ok=True)
            for f in ('proxy', 'registry'):
                self.out[(s, f)] = open(os.path.join(a.output, s, f + '.log'), 'w', encoding='utf-8',
                                        newline='\n', buffering=1 << 22)
        t = float(a.start)
        next_health = t + 1.3
        kinds = (('check', a.w_check), ('pull', a.w_pull), ('push', a.w_push), ('login', a.w_login),
                 ('api', a.w_api))
        total_w = sum(w for _, w in kinds)
        cum, acc = [], 0.0
        for k, w in kinds:
            acc += w / total_w
            cum.append((acc, k))
        last_flush = int(t)
        while self.written + self.pending < a.lines:
            t += r.expovariate(a.rate)
            while next_health <= t:
                for s in SITES:
                    self.health(s, next_health)
                next_health += 30.0
            x = r.random()
            kind = 'api'
            for c, k in cum:
                if x < c:
                    kind = k
                    break
            if kind == 'push':
                self.sess_push(t)
            else:
                site = 'hub-1' if r.random() < a.primary_share else 'hub-2'
                if kind == 'check':
                    self.sess_check(site, t)
                elif kind == 'pull':
                    self.sess_pull(site, t)
                elif kind == 'login':
                    self.sess_login(site, t)
                else:
                    self.sess_api(site, t)
            if int(t) - last_flush >= 20:
                last_flush = int(t)
                self.flush(int(t))
        self.flush(None)
        for f in self.out.values():
            f.close()
        return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument('--lines', type=int, default=2_000_000, help='total lines over the four files')
    ap.add_argument('--artifacts', type=int, default=100_000, help='catalogue size (distinct artifacts pulled)')
    ap.add_argument('--seed', type=int, default=42)
    ap.add_argument('--start', type=int, default=1726617600, help='epoch seconds (default 2024-09-18T00:00:00Z)')
    ap.add_argument('--rate', type=float, default=40.0, help='sessions per second over both sites')
    ap.add_argument('--db', choices=['shared', 'separate'], default='shared')
    ap.add_argument('--hot', type=float, default=0.1, help='share of pulls/checks of a hot artifact')
    ap.add_argument('--never', type=float, default=0.03, help='share of pushes never replicated')
    ap.add_argument('--early-pull', type=float, default=0.3, help='share of pushes pulled on hub-2 before arrival')
    ap.add_argument('--lag-min', type=float, default=30.0)
    ap.add_argument('--lag-max', type=float, default=120.0)
    ap.add_argument('--primary-share', type=float, default=0.55, help="share of pull traffic on hub-1")
    ap.add_argument('--w-check', type=float, default=0.50)
    ap.add_argument('--w-pull', type=float, default=0.36)
    ap.add_argument('--w-push', type=float, default=0.02)
    ap.add_argument('--w-login', type=float, default=0.04)
    ap.add_argument('--w-api', type=float, default=0.08)
    ap.add_argument('-o', '--output', required=True, help='directory; hub-1/ and hub-2/ are created in it')
    a = ap.parse_args()
    if a.artifacts < 1 or a.lines < 1 or a.lag_min < 10 or a.lag_max < a.lag_min:
        ap.error('need --artifacts >= 1, --lines >= 1, 10 <= --lag-min <= --lag-max')
    t0 = time.time()
    g = Gen(a)
    t_end = g.run()
    st = g.stats
    distinct = min(st['cold_refs'], a.artifacts) + st['pushes']
    man = {
        'generator': 'Benchmarks/gen_harbor.py', 'args': vars(a),
        'files': {'%s/%s.log' % k: {'lines': g.counts[k], 'bytes': g.bytes[k]} for k in sorted(g.counts)},
        'lines': g.written, 'bytes': sum(g.bytes.values()),
        'start': a.start, 'end': int(t_end),
        'distinct_artifacts_referenced_approx': distinct,
        'stats': st, 'seconds': round(time.time() - t0, 2),
    }
    with open(os.path.join(a.output, 'manifest.json'), 'w') as f:
        json.dump(man, f, indent=1)
    sys.stderr.write('gen_harbor: %d lines, %.1f MB, %d distinct artifacts (approx), %d pushes '
                     '(%d replicated, %d never), %.1f s\n' % (
                         g.written, man['bytes'] / 1e6, distinct, st['pushes'], st['replicated'], st['never'],
                         time.time() - t0))


if __name__ == '__main__':
    main()
