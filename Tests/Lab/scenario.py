#!/usr/bin/env python3
"""harborwatch lab scenario driver.

Started by run.sh once both sites are up.  Drives real clients (skopeo, curl, the
Python registry client in regclient.py) against hub-1 and hub-2, runs logrotate in the
middle, and writes the ground truth (JSON lines) to <out>/truth.jsonl as things happen.
Schema: README.md beside this file.

    scenario.py --write-users FILE            write the lab's users/permissions
    scenario.py --lab WORK/lab.json           run the scenario
"""
import argparse
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True  # keep Tests/Lab free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkimage  # noqa: E402
import regclient  # noqa: E402

USERS = {
    "users": {
        "alice": {"password": "Alice-Pass-1", "grants": {"library/*": ["pull", "push"], "team-a/*": ["pull", "push"]}},
        "bob": {"password": "Bob-Pass-2", "grants": {"library/*": ["pull"], "team-b/*": ["pull", "push"]}},
        "carol": {"password": "Carol-Pass-3", "grants": {"library/*": ["pull", "push"], "team-a/*": ["pull"]}},
        "robot$ci": {"password": "ci-secret-4", "grants": {"library/*": ["pull", "push"]}},
        "robot$replicator": {"password": "repl-secret-5", "grants": {"*": ["pull", "push"]}},
    },
    # anonymous callers get a token too, with pull on public projects only
    "anonymous": {"library/*": ["pull"]},
    "admins": ["alice"],
}
PW = {u: v["password"] for u, v in USERS["users"].items()}
REPLICATOR = "robot$replicator"
HARBOR_UA = "harbor-registry-client"
DOCKER_UA = ("docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/6.1.0-lab os/linux arch/amd64 "
             "UpstreamClient(Docker-Client/24.0.7 \\(linux\\))")


def iso(t):
    if t is None:
        return None
    # Rounded to the millisecond first: a time in the last half millisecond of a second is the next
    # second's .000 (rounding the fraction alone wrote the same second's .000, a second early: a
    # replication's manifest_put_done 1 s before the registry's own line, and a latency 1 s short).
    secs, ms = divmod(int(round(t * 1000)), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%03dZ" % ms


class Truth:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, rec):
        rec = {k: v for k, v in rec.items() if v is not None}
        with self.lock:
            self.f.write(json.dumps(rec, sort_keys=False) + "\n")


class Children:
    """Every child process the scenario starts, so SIGTERM can stop them by PID."""

    def __init__(self):
        self.live = set()
        self.lock = threading.Lock()

    def run(self, args, timeout=90, input_bytes=None):
        p = subprocess.Popen(args, stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with self.lock:
            self.live.add(p)
        try:
            out, err = p.communicate(input_bytes, timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        finally:
            with self.lock:
                self.live.discard(p)
        return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def kill_all(self):
        with self.lock:
            for p in list(self.live):
                try:
                    p.kill()
                except ProcessLookupError:
                    pass


CHILDREN = Children()


class JobLog:
    """Harbor jobservice's logging for the lab's replication jobs (the replicator plays the
    jobservice of hub-1, where push-based replication runs).  Service log `jobservice.log`
    (through rsyslog with tag `jobservice`, or a plain file) gets the service lines and, as
    with Harbor's STD_OUTPUT job logger, every job line without the job ID; each job also has
    its FILE log `job_logs/<24-hex job id>.log` (Harbor text format, no syslog prefix)."""

    def __init__(self, cfg, site="hub-1"):
        self.lock = threading.Lock()
        self.dir = os.path.join(cfg["out"], site, "job_logs")
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None
        if cfg["mode"] == "syslog":
            env = dict(os.environ, TZ=cfg.get("syslog_tz") or "UTC")
            self.proc = subprocess.Popen(
                ["logger", "--rfc3164", "-T", "-n", "127.0.0.1", "-P", str(cfg["sites"][site]["syslog"]),
                 "-t", "jobservice", "--id=%d" % cfg["dpid"], "-p", "daemon.info", "--size", "32768", "--skip-empty"],
                stdin=subprocess.PIPE, env=env)
            with CHILDREN.lock:
                CHILDREN.live.add(self.proc)
            self.out = self.proc.stdin
        else:
            self.out = open(os.path.join(cfg["out"], site, "jobservice.log"), "ab", buffering=0)
        self.service("INFO", "/jobservice/main.go:64", "Registering jobs for lab replication")

    @staticmethod
    def _fmt(level, where, msg):
        return "%s [%s] [%s]: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), level, where, msg)

    def service(self, level, where, msg):
        with self.lock:
            self.out.write(self._fmt(level, where, msg).encode())
            self.out.flush()

    def job(self, job_id, level, where, msg):
        line = self._fmt(level, where, msg)
        with self.lock:
            self.out.write(line.encode())
            self.out.flush()
            with open(os.path.join(self.dir, job_id + ".log"), "a") as f:
                f.write(line)

    def close(self):
        with self.lock:
            try:
                self.out.close()
            except OSError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

# ---------------------------------------------------------------------------------- skopeo

REQ_RE = re.compile(r'msg="(GET|HEAD|POST|PUT|PATCH|DELETE) (https?://[^"\s]+)"')
STATUS_RE = re.compile(r"StatusCode:(\d{3})")
FATAL_RE = re.compile(r'level=fatal msg="((?:[^"\\]|\\.)*)"')


def _path_of(url):
    m = re.match(r"https?://[^/]+(/[^?]*)(\?.*)?", url)
    return m.group(1) if m else url


def skopeo_copy(src, dst, src_creds=None, dest_creds=None, fmt=None, digestfile=None):
    args = ["skopeo", "--debug", "copy", "--src-tls-verify=false", "--dest-tls-verify=false"]
    if src_creds:
        args += ["--src-creds", "%s:%s" % src_creds]
    if dest_creds:
        args += ["--dest-creds", "%s:%s" % dest_creds]
    if fmt:
        args += ["--format", fmt]
    if digestfile:
        args += ["--digestfile", digestfile]
    args += [src, dst]
    t0 = time.time()
    rc, _, err = CHILDREN.run(args)
    t1 = time.time()
    reqs = [(m.group(1), m.group(2)) for m in REQ_RE.finditer(err)]
    fatal = FATAL_RE.search(err)
    error = fatal.group(1).encode().decode("unicode_escape", errors="replace") if fatal else None
    if rc != 0 and error is None:
        error = (err.strip().splitlines() or ["skopeo exit %d" % rc])[-1]
    status = None
    if rc != 0:
        codes = STATUS_RE.findall(err)
        if "invalid username/password" in (error or ""):
            status = 401
        elif codes:
            status = int(codes[-1])
        elif "manifest unknown" in (error or "") or "name unknown" in (error or "") or "blob unknown" in (error or ""):
            status = 404
        elif "unauthorized" in (error or "") or "denied" in (error or ""):
            status = 401
    failed = None
    if rc != 0 and reqs:
        failed = "%s %s" % (reqs[-1][0], _path_of(reqs[-1][1]))
    return {"ok": rc == 0, "rc": rc, "start": t0, "end": t1, "error": error, "status": status,
            "failed_request": failed, "requests": ["%s %s" % (m, _path_of(u)) for m, u in reqs]}


# ---------------------------------------------------------------------------------- lab

class Artifact:
    def __init__(self, site, repo, tag, layout, info, user):
        self.site, self.repo, self.tag, self.layout, self.info, self.user = site, repo, tag, layout, info, user
        self.digest = info["digest"]
        self.pushed_at = None
        self.replicate = False
        self.lag_pull = False
        self.dup = None            # None | "concurrent" | "late_skip"
        self.runs = []             # replication run records
        self.landed_at = None      # first manifest PUT completion on hub-2
        self.failed_pulls = []
        self.lock = threading.Lock()


class Lab:
    def __init__(self, cfg):
        self.cfg = cfg
        self.seed = cfg["seed"]
        self.rng = random.Random(self.seed)
        self.out = cfg["out"]
        self.work = cfg["work"]
        self.sites = cfg["sites"]
        self.truth = Truth(os.path.join(self.out, "truth.jsonl"))
        self.imgdir = os.path.join(self.work, "images")
        self.pulldir = os.path.join(self.work, "pulls")
        os.makedirs(self.imgdir, exist_ok=True)
        os.makedirs(self.pulldir, exist_ok=True)
        self.threads = []
        self.artifacts = []
        self.unexpected = []
        self.errors = []
        self.run_seq = 0
        self.lock = threading.Lock()
        self.t0 = time.time()

    # ------------------------------------------------------------ helpers
    def nginx(self, site):
        return "127.0.0.1:%d" % self.sites[site]["nginx"]

    def log(self, msg):
        sys.stderr.write("%s scenario +%5.1fs %s\n" % (time.strftime("%H:%M:%S"), time.time() - self.t0, msg))
        sys.stderr.flush()

    def spawn(self, name, fn, *args):
        def body():
            try:
                fn(*args)
            except Exception as e:  # a scenario bug must not hang the lab
                self.errors.append("%s: %r" % (name, e))
                self.log("ERROR in %s: %s" % (name, traceback.format_exc()))
        t = threading.Thread(target=body, name=name, daemon=True)
        t.start()
        self.threads.append(t)
        return t

    def later(self, delay, name, fn, *args):
        def body():
            time.sleep(delay)
            fn(*args)
        return self.spawn(name, body)

    def image(self, site, repo, tag, user, layers=1):
        layout = os.path.join(self.imgdir, "%s-%s-%s" % (site, repo.replace("/", "_"), tag))
        info = mkimage.build(layout, tag, random.Random("%d/%s/%s/%s" % (self.seed, site, repo, tag)),
                             repo, layers=layers, size=self.rng.choice([2048, 4096, 8192]))
        return Artifact(site, repo, tag, layout, info, user)

    def expect(self, what, expected, got):
        if expected != got:
            self.unexpected.append("%s: expected %s, got %s" % (what, expected, got))
            self.log("UNEXPECTED %s: expected %s, got %s" % (what, expected, got))

    # ------------------------------------------------------------ pushes
    def push(self, art, creds, cause=None, fmt=None):
        """skopeo push of art; cause = the failure this push is meant to show (None = success)."""
        dfile = os.path.join(self.work, "digest-%s-%s-%s" % (art.site, art.repo.replace("/", "_"), art.tag))
        r = skopeo_copy("oci:%s:%s" % (art.layout, art.tag), "docker://%s/%s:%s" % (self.nginx(art.site), art.repo, art.tag),
                        dest_creds=creds, fmt=fmt, digestfile=dfile)
        if r["ok"]:
            with open(dfile) as f:
                art.digest = f.read().strip()
            art.pushed_at = r["end"]
        rec = {"type": "push", "time": iso(r["end"]), "site": art.site, "repo": art.repo, "tag": art.tag,
               "digest": art.digest, "user": creds[0] if creds else "", "anonymous": creds is None,
               "client": "skopeo", "user_agent": "skopeo/1.9.3", "via": "/v2/", "manifest_format": fmt or "oci",
               "start": iso(r["start"]), "end": iso(r["end"]),
               "outcome": "ok" if r["ok"] else "failed", "cause": None if r["ok"] else cause,
               "expected_cause": cause, "status": r["status"], "failed_request": r["failed_request"],
               "error": r["error"], "requests": r["requests"]}
        if not r["ok"] and cause is None:
            rec["cause"] = "unexpected"
        self.truth.write(rec)
        self.expect("push %s %s:%s as %s" % (art.site, art.repo, art.tag, creds[0] if creds else "anonymous"),
                    "failed" if cause else "ok", rec["outcome"])
        self.log("push %s %s:%s user=%s -> %s%s" % (art.site, art.repo, art.tag, creds[0] if creds else "-",
                                                    rec["outcome"], "" if r["ok"] else " (%s, %s)" % (cause, r["status"])))
        return r["ok"]

    def push_via_prefix(self, art, creds):
        """Push through nginx's /registry/ prefix after a good login: nginx drops Authorization on
        writes there (the seed's REGISTRY_URL=http://nginx:8080/registry case), so the first
        write gets 401 although the token has push access."""
        c = regclient.Client("https://" + self.nginx(art.site), DOCKER_UA, creds=creds, prefix="/registry")
        scope = "repository:%s:pull,push" % art.repo
        t0 = time.time()
        status, failed, error, ok = None, None, None, False
        try:
            c.ping()
            with open(os.path.join(art.layout, "index.json")) as f:
                idx = json.load(f)
            mdesc = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == art.tag][0]
            mdata = open(os.path.join(art.layout, "blobs", "sha256", mdesc["digest"].split(":")[1]), "rb").read()
            for d in regclient.blobs_of(json.loads(mdata)):
                if c.head_blob(art.repo, d, scope) == 200:
                    continue
                c.push_blob(art.repo, d, open(os.path.join(art.layout, "blobs", "sha256", d.split(":")[1]), "rb").read(), scope)
            c.put_manifest(art.repo, art.tag, mdata, mdesc["mediaType"], scope)
            ok = True
        except regclient.RegistryError as e:
            status, failed, error = e.status, "%s %s" % (e.method, e.path), str(e)
        finally:
            c.close()
        t1 = time.time()
        granted = any(t["status"] == 200 and "/service/token" in t["path"] for t in c.trace)
        rec = {"type": "push", "time": iso(t1), "site": art.site, "repo": art.repo, "tag": art.tag,
               "digest": art.digest, "user": creds[0], "anonymous": False, "client": "python-regclient",
               "user_agent": DOCKER_UA, "via": "/registry/v2/", "manifest_format": "oci",
               "start": iso(t0), "end": iso(t1), "outcome": "ok" if ok else "failed",
               "cause": None if ok else "auth_header_dropped", "expected_cause": "auth_header_dropped",
               "token_status": 200 if granted else None, "status": status, "failed_request": failed, "error": error,
               "requests": ["%s %s %d" % (t["method"], t["path"].split("?")[0], t["status"]) for t in c.trace]}
        self.truth.write(rec)
        self.expect("push via /registry/ %s:%s" % (art.repo, art.tag), "failed", rec["outcome"])
        self.log("push %s /registry/ %s:%s user=%s -> %s (%s)" % (art.site, art.repo, art.tag, creds[0], rec["outcome"], status))

    # ------------------------------------------------------------ pulls
    def pull(self, site, repo, tag, creds, purpose, art=None, expect_ok=None):
        d = tempfile.mkdtemp(dir=self.pulldir)
        r = skopeo_copy("docker://%s/%s:%s" % (self.nginx(site), repo, tag), "oci:%s:%s" % (d, tag), src_creds=creds)
        shutil.rmtree(d, ignore_errors=True)
        rec = {"type": "pull", "time": iso(r["end"]), "site": site, "repo": repo, "tag": tag,
               "user": creds[0] if creds else "", "anonymous": creds is None, "client": "skopeo",
               "purpose": purpose, "start": iso(r["start"]), "end": iso(r["end"]),
               "outcome": "ok" if r["ok"] else "failed", "status": r["status"],
               "failed_request": r["failed_request"], "error": r["error"]}
        if art is not None:
            rec["source_site"] = art.site
            rec["pushed_at"] = iso(art.pushed_at)
            rec["replicated_yet"] = art.landed_at is not None and art.landed_at < r["start"]
        self.truth.write(rec)
        if expect_ok is not None:
            self.expect("pull %s %s:%s (%s)" % (site, repo, tag, purpose), "ok" if expect_ok else "failed", rec["outcome"])
        return r

    def lag_puller(self, art, deadline):
        """Pull art from hub-2 until it is there (or deadline): real 404s until replication lands."""
        rng = random.Random("%d/lag/%s/%s" % (self.seed, art.repo, art.tag))
        time.sleep(rng.uniform(0.3, 1.0))
        users = [("bob", PW["bob"]), None, ("robot$ci", PW["robot$ci"])] if art.repo.startswith("library/") \
            else [("alice", PW["alice"])]
        n = 0
        while time.time() < deadline:
            creds = users[n % len(users)]
            n += 1
            r = self.pull("hub-2", art.repo, art.tag, creds, "wait_for_replication", art)
            if r["ok"]:
                self.log("lag pull hub-2 %s:%s ok after %d failures" % (art.repo, art.tag, len(art.failed_pulls)))
                return
            with art.lock:
                art.failed_pulls.append({"time": iso(r["end"]), "start": iso(r["start"]), "status": r["status"],
                                         "user": creds[0] if creds else ""})
            time.sleep(rng.uniform(1.0, 2.0))
        self.log("lag pull hub-2 %s:%s gave up after %d failures" % (art.repo, art.tag, len(art.failed_pulls)))

    # ------------------------------------------------------------ replication
    def replicate(self, art, attempt, kind):
        with self.lock:
            self.run_seq += 1
            run_id = "R%03d" % self.run_seq
            job_id = "%024x" % self.rng.getrandbits(96)
        reg1, tok1 = self.sites["hub-1"]["registry"], self.sites["hub-1"]["token"]
        creds = (REPLICATOR, PW[REPLICATOR])
        # source reads go straight to hub-1's registry as Harbor's jobservice does through
        # core (http.request.host="core:8080"); not through hub-1's nginx
        src = regclient.Client("http://127.0.0.1:%d" % reg1, HARBOR_UA, creds=creds, host_header="core:8080",
                               forwarded_for="127.0.0.1",  # core's reverse proxy sets it in Harbor
                               realm_override="http://127.0.0.1:%d/service/token" % tok1)
        dst = regclient.Client("https://" + self.nginx("hub-2"), HARBOR_UA, creds=creds)
        sscope, dscope = "repository:%s:pull" % art.repo, "repository:%s:pull,push" % art.repo
        J = lambda lvl, line, msg: self.joblog.job(job_id, lvl, "/controller/replication/transfer/image/transfer.go:%d" % line, msg)  # noqa: E731
        ref, rl = "%s:%s" % (art.repo, art.tag), "%s:[%s]" % (art.repo, art.tag)
        started = time.time()
        self.joblog.service("INFO", "/jobservice/worker/cworker/c_worker.go:77",
                            'Job incoming: {"name":"REPLICATION","id":"%s","t":%d,"args":null}' % (job_id, int(started)))
        J("INFO", 140, "client for source registry [type: harbor, URL: http://core:8080, insecure: true] created")
        J("INFO", 150, "client for destination registry [type: harbor, URL: https://%s, insecure: true] created" % self.nginx("hub-2"))
        J("INFO", 183, "copying %s(source registry) to %s(destination registry)..." % (rl, rl))
        J("INFO", 211, "copying %s(source registry) to %s(destination registry)..." % (ref, ref))
        action, uploaded, skipped, put_done, err = "copied", 0, 0, None, None
        try:
            _, src_digest = src.head_manifest(art.repo, art.tag, sscope)
            dst.ping()
            st, dig = dst.head_manifest(art.repo, art.tag, dscope)
            if st == 200 and dig == src_digest:
                action = "skipped_exists"
                J("INFO", 226, "the artifact %s already exists on the destination registry, skip" % ref)
            else:
                J("INFO", 465, "pulling the manifest of artifact %s ..." % ref)
                data, ctype, _ = src.get_manifest(art.repo, art.tag, sscope)
                J("INFO", 471, "the manifest of artifact %s pulled" % ref)
                for n, d in enumerate(regclient.blobs_of(json.loads(data)), 1):
                    if dst.head_blob(art.repo, d, dscope) == 200:
                        skipped += 1
                        J("INFO", 330, "the blob %s already exists on the destination registry, skip" % d)
                        continue
                    J("INFO", 290, "copying the blob %s(the %dth running)..." % (d, n))
                    dst.push_blob(art.repo, d, src.get_blob(art.repo, d, sscope), dscope)
                    J("INFO", 292, "copy the blob %s completed" % d)
                    uploaded += 1
                J("INFO", 494, "pushing the manifest of artifact %s ..." % ref)
                dst.put_manifest(art.repo, art.tag, data, ctype, dscope)
                put_done = dst.trace[-1]["end"]
                J("INFO", 506, "the manifest of artifact %s pushed" % ref)
            J("INFO", 254, "copy %s(source registry) to %s(destination registry) completed" % (ref, ref))
            J("INFO", 197, "copy %s(source registry) to %s(destination registry) completed" % (rl, rl))
            self.joblog.service("INFO", "/jobservice/runner/redis.go:152", "Job 'REPLICATION:%s' exit with success" % job_id)
        except (regclient.RegistryError, OSError) as e:
            action, err = "failed", str(e)
            J("ERROR", 200, "got error during the whole transfer period, mark the job failure")
            self.joblog.service("ERROR", "/jobservice/runner/redis.go:123", "Job 'REPLICATION:%s' exit with error: %s" % (job_id, e))
        finally:
            src.close()
            dst.close()
        with art.lock:
            if put_done is not None and (art.landed_at is None or put_done < art.landed_at):
                art.landed_at = put_done
        rec = {"type": "replication", "time": iso(time.time()), "run": run_id, "job_id": job_id,
               "attempt": attempt, "kind": kind,
               "src_site": "hub-1", "dst_site": "hub-2", "repo": art.repo, "tag": art.tag, "digest": art.digest,
               "user": REPLICATOR, "user_agent": HARBOR_UA,
               "pushed_at": iso(art.pushed_at), "started": iso(started), "manifest_put_done": iso(put_done),
               "latency_s": round(put_done - art.pushed_at, 3) if put_done else None,
               "action": action, "blobs_uploaded": uploaded, "blobs_skipped": skipped, "error": err,
               "requests": {"hub-1": ["%s %s %d" % (t["method"], t["path"].split("?")[0], t["status"]) for t in src.trace],
                            "hub-2": ["%s %s %d" % (t["method"], t["path"].split("?")[0], t["status"]) for t in dst.trace]}}
        art.runs.append(rec)
        self.truth.write(rec)
        self.log("replication %s %s:%s attempt %d (%s) -> %s%s" % (run_id, art.repo, art.tag, attempt, kind, action,
                                                                 " latency %.2fs" % rec["latency_s"] if put_done else ""))
        if action == "failed":
            self.unexpected.append("replication %s %s:%s failed: %s" % (run_id, art.repo, art.tag, err))

    def schedule_replication(self, art):
        rng = random.Random("%d/repl/%s/%s" % (self.seed, art.repo, art.tag))
        delay = rng.uniform(4.0, 12.0)

        def first():
            self.replicate(art, 1, "event")
            if art.dup == "late_skip":
                time.sleep(rng.uniform(2.0, 4.0))
                self.replicate(art, 2, "duplicate_late")
        self.later(delay, "repl-%s" % art.tag, first)
        if art.dup == "concurrent":
            # a second execution for the same push, started with the first: both find the
            # artifact missing on hub-2 and both copy it (two PUT manifest 201)
            self.later(delay + rng.uniform(0.0, 0.03), "repl2-%s" % art.tag, self.replicate, art, 2, "duplicate_concurrent")

    # ------------------------------------------------------------ rotation, garbage
    def rotate(self, n):
        before = set(glob.glob(os.path.join(self.out, "hub-*", "*.gz")))
        t0 = time.time()
        rc, out, err = CHILDREN.run(self.cfg["logrotate"])
        t1 = time.time()
        made = sorted(set(glob.glob(os.path.join(self.out, "hub-*", "*.gz"))) - before)
        self.truth.write({"type": "rotation", "time": iso(t1), "n": n, "start": iso(t0), "end": iso(t1),
                          "rc": rc, "settings": "rotate 50, size 200M (forced), copytruncate, compress, missingok, nodateext",
                          "files": sorted(os.path.relpath(p, self.out) for p in glob.glob(os.path.join(self.out, "hub-*", "*.gz"))),
                          "error": err.strip() or None})
        self.log("logrotate #%d rc=%d -> %d new .gz files" % (n, rc, len(made)))
        if rc != 0:
            self.unexpected.append("logrotate rc=%d: %s" % (rc, err.strip()))

    def curl(self, site, path, what, extra=(), method=None):
        args = ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--path-as-is", "--max-time", "5"]
        if method:
            args += ["-X", method]
        args += list(extra)
        args.append("https://%s%s" % (self.nginx(site), path))
        t0 = time.time()
        rc, out, _ = CHILDREN.run(args, timeout=10)
        status = int(out) if out.strip().isdigit() else None
        self.truth.write({"type": "garbage", "time": iso(time.time()), "site": site, "client": "curl", "what": what,
                          "request": "%s %s" % (method or ("HEAD" if "-I" in extra else "GET"), path[:200] + ("…" if len(path) > 200 else "")),
                          "status": status, "start": iso(t0)})
        return status

    def login(self, site, creds, ua, cause):
        """`docker login`: token request without scope (offline token)."""
        path = "/service/token?account=%s&client_id=docker&offline_token=true&service=harbor-registry" % creds[0]
        t0 = time.time()
        rc, out, _ = CHILDREN.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                                   "-u", "%s:%s" % creds, "-A", ua, "https://%s%s" % (self.nginx(site), path)], timeout=15)
        status = int(out) if out.strip().isdigit() else None
        ok = status == 200
        self.truth.write({"type": "login", "time": iso(time.time()), "site": site, "user": creds[0], "client": "curl",
                          "user_agent": ua, "start": iso(t0), "end": iso(time.time()), "request": "GET " + path,
                          "status": status, "outcome": "ok" if ok else "failed", "cause": None if ok else cause})
        self.expect("login %s %s" % (site, creds[0]), "failed" if cause else "ok", "ok" if ok else "failed")

    def raw_request(self, site, payload: bytes, what, tls=True):
        """Send bytes as they are (malformed request lines) and read the answer."""
        t0 = time.time()
        status = None
        try:
            s = socket.create_connection(("127.0.0.1", self.sites[site]["nginx"]), timeout=5)
            if tls:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                s = ctx.wrap_socket(s)
            s.sendall(payload)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            s.close()
            m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
            status = int(m.group(1)) if m else None
        except OSError:
            pass
        self.truth.write({"type": "garbage", "time": iso(time.time()), "site": site, "client": "python-socket",
                          "what": what, "request": payload[:120].decode("latin-1"), "tls": tls, "status": status,
                          "start": iso(t0)})
        return status

    def registry_direct(self, site, what):
        """A request straight to the registry port (as Harbor core's health check does):
        no X-Forwarded-For, so the registry logs remoteaddr as ip:port."""
        import http.client
        t0 = time.time()
        status = None
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.sites[site]["registry"], timeout=5)
            c.request("GET", "/", headers={"User-Agent": "Go-http-client/1.1", "Host": "registry:5000"})
            status = c.getresponse().status
            c.close()
        except OSError:
            pass
        self.truth.write({"type": "garbage", "time": iso(time.time()), "site": site, "client": "python-http",
                          "what": what, "request": "GET / (registry port, Host registry:5000)", "status": status,
                          "start": iso(t0)})

    def garbage(self, site, burst):
        rng = random.Random("%d/garbage/%s/%d" % (self.seed, site, burst))
        acts = [
            lambda: self.curl(site, "/v1/_ping", "old v1 API (nginx returns 404)"),
            lambda: self.curl(site, "/v2/_catalog", "catalog without credentials"),
            lambda: self.curl(site, "/service/notifications", "notifications hook from outside"),
            lambda: self.curl(site, "/", "portal (down: 502 and an nginx error line)"),
            lambda: self.curl(site, "/api/v2.0/systeminfo", "API call (portal upstream down)"),
            lambda: self.curl(site, "/v2/", "quotes, backslash and UTF-8 in the user agent",
                              ["-A", 'evil "agent" \\ with \u00fcml\u00e4uts\t<tab>']),
            lambda: self.curl(site, "/v2/library/web/manifests/" + "x" * 3000, "very long URI"),
            lambda: self.curl(site, "/v2/library/../../etc/passwd", "path traversal"),
            lambda: self.curl(site, "/v2/library/web/tags/list?n=5&last=%ZZ", "bad percent-encoding"),
            lambda: self.curl(site, "/v2/", "WebDAV method", method="PROPFIND"),
            lambda: self.curl(site, "/v2/", "HTTP/1.0 without Host", ["-0", "-H", "Host:"]),
            lambda: self.raw_request(site, b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n", "plain HTTP to the TLS port", tls=False),
            lambda: self.raw_request(site, b"HELLO WORLD\r\n\r\n", "junk request line"),
            lambda: self.raw_request(site, b"GET /v2/\x01\x02\xff HTTP/1.1\r\nHost: x\r\n\r\n", "control bytes in the URI"),
            lambda: self.raw_request(site, b"\x16\x03\x01\x00\x05hello\r\n\r\n", "TLS record inside TLS"),
            lambda: self.registry_direct(site, "health check straight to the registry"),
        ]
        rng.shuffle(acts)
        if burst == 1:
            # always in the first burst: core's 500 with a multi-line stack trace, and a failed
            # `docker login` whose user agent holds quotes and a tab (raw in core.log)
            self.curl(site, "/service/token?account=%00x&service=harbor-registry",
                      "NUL byte in the token query (core answers 500, multi-line error with stack trace)")
            self.login(site, ("carol", "Carol-Pass-WRONG"), 'docker/20.10.5 "lab"\tclient', "wrong_password")
        for a in acts[: 8 if burst == 1 else len(acts)]:
            a()
            time.sleep(rng.uniform(0.02, 0.2))
        if burst == 1:
            # identical requests back to back: identical nginx lines, rsyslog may collapse them
            # ("message repeated N times")
            for _ in range(3):
                self.curl(site, "/v1/", "identical repeated request", ["-A", "lab-healthcheck/1.0"])

    # ------------------------------------------------------------ tracks
    def track_hub1_pushes(self):
        rng = random.Random("%d/pushes" % self.seed)
        gap = lambda: time.sleep(rng.uniform(0.6, 1.8))  # noqa: E731
        plan = [
            ("library/web", "1.0", "alice", None),
            ("library/api", "2.1", "robot$ci", "v2s2"),
            ("team-a/worker", "0.3", "alice", None),
            ("library/db", "5.7", "carol", "v2s2"),
            ("library/cache", "7", "robot$ci", None),
        ]
        later_plan = [
            ("library/web", "1.1", "alice", None),
            ("team-a/cron", "2024.09", "alice", "v2s2"),
        ]
        arts = [self.image("hub-1", r, t, u, layers=rng.choice([1, 2])) for r, t, u, _ in plan + later_plan]
        fmts = [f for *_, f in plan + later_plan]
        # which artifact is never replicated, which twice (concurrently / a late duplicate that skips)
        idx = list(range(len(arts)))
        rng.shuffle(idx)
        never, dup_c, dup_l = idx[0], idx[1], idx[2]
        for i, a in enumerate(arts):
            a.replicate = i != never
            a.dup = "concurrent" if i == dup_c else "late_skip" if i == dup_l else None
            a.lag_pull = i == never or rng.random() < 0.6
        self.artifacts.extend(arts)

        failures = [
            lambda: self.push(self.image("hub-1", "library/web", "1.0-hotfix", "carol"), ("carol", "Carol-Pass-OLD"), "wrong_password"),
            lambda: self.push(self.image("hub-1", "library/tmp", "anon", ""), None, "anonymous"),
            lambda: self.push(self.image("hub-1", "library/api", "bob-test", "bob"), ("bob", PW["bob"]), "no_push_scope"),
            lambda: self.push(self.image("hub-1", "library/web", "dave", "dave"), ("dave", "Dave-Pass"), "unknown_user"),
            lambda: self.push_via_prefix(self.image("hub-1", "library/web", "1.0-prefix", "alice"), ("alice", PW["alice"])),
            lambda: self.push(self.image("hub-1", "library/cache", "8", "robot$ci"), ("robot$ci", "ci-secret-EXPIRED"), "wrong_password"),
        ]
        rng.shuffle(failures)

        def ok_push(a, fmt):
            if self.push(a, (a.user, PW[a.user]), None, fmt):
                if a.replicate:
                    self.schedule_replication(a)
                if a.lag_pull:
                    deadline = a.pushed_at + (20.0 if not a.replicate else 35.0)
                    self.spawn("lag-%s" % a.tag, self.lag_puller, a, deadline)

        n = len(plan)
        for i in range(n):
            ok_push(arts[i], fmts[i])
            gap()
            if failures:
                failures.pop()()
                gap()
        while failures:
            failures.pop()()
            gap()
        # wait for the mid-run rotation before the later pushes
        self.rotated.wait(timeout=30)
        for i in range(n, len(arts)):
            ok_push(arts[i], fmts[i])
            gap()

    def track_other(self):
        """Local traffic: a hub-2-only image, ordinary pulls on both sites, non-lag pull failures."""
        rng = random.Random("%d/other" % self.seed)
        time.sleep(rng.uniform(1.0, 2.0))
        local = self.image("hub-2", "library/local-tools", "3.2", "alice")
        self.push(local, ("alice", PW["alice"]))
        self.artifacts.append(local)
        time.sleep(rng.uniform(1.0, 2.0))
        self.pull("hub-2", local.repo, local.tag, ("bob", PW["bob"]), "normal", expect_ok=True)
        time.sleep(rng.uniform(0.5, 1.5))
        self.pull("hub-2", local.repo, local.tag, None, "normal", expect_ok=True)
        time.sleep(rng.uniform(2.0, 4.0))
        web = next((a for a in self.artifacts if a.site == "hub-1" and a.pushed_at), None)
        if web is not None:
            self.pull("hub-1", web.repo, web.tag, ("bob", PW["bob"]), "normal", expect_ok=True)
            time.sleep(rng.uniform(0.5, 1.5))
            self.pull("hub-1", web.repo, web.tag, None, "normal", expect_ok=True)
        time.sleep(rng.uniform(0.5, 1.5))
        # a typo: the tag does not exist on the primary either (a 404 that is not replication lag)
        self.pull("hub-1", "library/web", "1.O", ("bob", PW["bob"]), "typo_not_found", expect_ok=False)
        time.sleep(rng.uniform(0.5, 1.5))
        # a stale password on the secondary
        self.push(self.image("hub-2", "library/local-tools", "3.3", "alice"), ("alice", "Alice-Pass-0"), "wrong_password")
        time.sleep(rng.uniform(1.0, 2.0))
        worker = next((a for a in self.artifacts if a.repo == "team-a/worker" and a.pushed_at), None)
        if worker is not None:
            # bob has no role in team-a: token without pull -> 401 on the manifest
            self.pull("hub-1", worker.repo, worker.tag, ("bob", PW["bob"]), "no_pull_scope", expect_ok=False)
            time.sleep(rng.uniform(0.5, 1.0))
            self.pull("hub-1", worker.repo, worker.tag, ("alice", PW["alice"]), "normal", expect_ok=True)
        self.rotated.wait(timeout=40)
        time.sleep(rng.uniform(3.0, 6.0))
        self.push(self.image("hub-2", "library/local-tools", "3.4", "robot$ci"), ("robot$ci", PW["robot$ci"]))
        time.sleep(rng.uniform(1.0, 3.0))
        self.pull("hub-2", "library/local-tools", "3.4", ("robot$ci", PW["robot$ci"]), "normal", expect_ok=True)

    # ------------------------------------------------------------ main
    def run(self):
        versions = {}
        for name, args in [("nginx", ["nginx", "-v"]), ("docker-registry", ["docker-registry", "--version"]),
                           ("skopeo", ["skopeo", "--version"]), ("rsyslogd", ["rsyslogd", "-v"]),
                           ("logrotate", ["logrotate", "--version"]), ("curl", ["curl", "--version"])]:
            try:
                _, o, e = CHILDREN.run(args, timeout=10)
                versions[name] = ((o or e).strip().splitlines() or [""])[0]
            except OSError:
                versions[name] = None
        self.truth.write({"type": "lab", "time": iso(time.time()), "mode": self.cfg["mode"], "seed": self.seed,
                          "sites": {s: {"role": "primary" if s == "hub-1" else "secondary",
                                        "nginx": "https://%s" % self.nginx(s),
                                        "registry": "http://127.0.0.1:%d" % v["registry"],
                                        "token": "http://127.0.0.1:%d/service/token" % v["token"]}
                                    for s, v in self.sites.items()},
                          "users": sorted(USERS["users"]), "replicator": REPLICATOR, "replicator_user_agent": HARBOR_UA,
                          "syslog_tz": self.cfg.get("syslog_tz"), "versions": versions})
        self.rotated = threading.Event()
        self.joblog = JobLog(self.cfg)
        self.spawn("garbage-1", self.garbage, "hub-1", 1)
        self.spawn("garbage-2", self.garbage, "hub-2", 1)
        pushes = self.spawn("hub1-pushes", self.track_hub1_pushes)
        self.spawn("other", self.track_other)
        # rotation #1 in the middle of the traffic, #2 near the end
        time.sleep(18.0)
        self.rotate(1)
        self.rotated.set()
        pushes.join(timeout=120)
        time.sleep(6.0)
        self.rotate(2)
        # wait for everything else (replications, lag pullers) with a hard limit
        limit = time.time() + 100
        for t in list(self.threads):
            t.join(timeout=max(0.1, limit - time.time()))
        stuck = [t.name for t in self.threads if t.is_alive()]
        if stuck:
            self.unexpected.append("threads still running at the end: %s" % stuck)
        self.garbage("hub-1", 2)
        self.garbage("hub-2", 2)
        self.finish()

    def finish(self):
        self.joblog.close()
        for a in self.artifacts:
            if a.site != "hub-1" or a.pushed_at is None:
                continue
            fails = a.failed_pulls
            if fails:
                self.truth.write({"type": "lag", "time": iso(time.time()), "site": "hub-2", "source_site": "hub-1",
                                  "repo": a.repo, "tag": a.tag, "digest": a.digest, "pushed_at": iso(a.pushed_at),
                                  "replicated_at": iso(a.landed_at), "failed_pulls": len(fails),
                                  "first_failure": fails[0]["start"], "last_failure": fails[-1]["time"],
                                  "statuses": sorted({f["status"] for f in fails if f["status"] is not None}),
                                  "cause": "replication_pending" if a.landed_at else "never_replicated",
                                  "pulls": fails})
            if not a.replicate:
                self.truth.write({"type": "never_replicated", "time": iso(time.time()), "src_site": "hub-1",
                                  "dst_site": "hub-2", "repo": a.repo, "tag": a.tag, "digest": a.digest,
                                  "pushed_at": iso(a.pushed_at), "failed_pulls_on_dst": len(fails)})
            if a.dup:
                self.truth.write({"type": "replicated_twice", "time": iso(time.time()), "kind": a.dup,
                                  "src_site": "hub-1", "dst_site": "hub-2", "repo": a.repo, "tag": a.tag,
                                  "digest": a.digest, "pushed_at": iso(a.pushed_at),
                                  "runs": [{"run": r["run"], "attempt": r["attempt"], "started": r["started"],
                                            "manifest_put_done": r.get("manifest_put_done"), "action": r["action"]}
                                           for r in sorted(a.runs, key=lambda r: r["started"])]})
        # token decisions of both token services (what each login really got)
        for site in sorted(self.sites):
            path = os.path.join(self.work, site, "token-decisions.jsonl")
            if os.path.exists(path):
                with open(path) as f:
                    for line in f:
                        self.truth.write(json.loads(line))
        counts = {}
        with open(os.path.join(self.out, "truth.jsonl")) as f:
            for line in f:
                t = json.loads(line)["type"]
                counts[t] = counts.get(t, 0) + 1
        self.truth.write({"type": "summary", "time": iso(time.time()), "duration_s": round(time.time() - self.t0, 1),
                          "records": counts, "unexpected": self.unexpected, "errors": self.errors})
        for u in self.unexpected + self.errors:
            self.log("PROBLEM: " + u)
        self.log("scenario done in %.1fs; %s" % (time.time() - self.t0, counts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-users")
    ap.add_argument("--lab")
    a = ap.parse_args()
    if a.write_users:
        with open(a.write_users, "w") as f:
            json.dump(USERS, f, indent=1)
        return 0
    with open(a.lab) as f:
        cfg = json.load(f)

    def on_term(signum, frame):
        CHILDREN.kill_all()
        os._exit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    lab = Lab(cfg)
    lab.run()
    return 1 if (lab.unexpected or lab.errors) else 0


if __name__ == "__main__":
    sys.exit(main())
