#!/usr/bin/env python3
"""Cross-check `harborwatch parse` output against a lab run's truth.jsonl.

    python3 Tests/Lab/crosscheck.py OUT_DIR [--bin .build/debug/harborwatch]

For every client action in the truth it looks for the log events that must exist:
  * push ok            -> nginx `PUT /v2/<repo>/manifests/<tag>` 201 on that site, in the push's time window
  * push failed        -> the failing request (nginx) with the recorded status, in the window
                          (a token 401 for wrong password / unknown user)
  * replication copied -> registry `response completed` PUT manifest 201 on hub-2 with
                          UA harbor-registry-client within 0.25 s of manifest_put_done
  * failed pull        -> nginx GET/HEAD manifest 404/401 on that site in the window
  * rotation           -> nothing lost: rotated .gz files are read (counted per file)
and reports what it cannot find.  Prints `N passed, N failed` at the end.
Only reads: it runs the given harborwatch binary with `parse`.
"""
import argparse
import datetime as dt
import json
import subprocess
import sys


def ts(s):
    if s is None:
        return None
    s = s.replace("Z", "+00:00")
    if "." in s:
        head, rest = s.split(".", 1)
        frac, zone = rest[:rest.index("+")] if "+" in rest else rest, rest[rest.index("+"):] if "+" in rest else ""
        s = head + "." + (frac + "000000")[:6] + zone
    return dt.datetime.fromisoformat(s).timestamp()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--bin", default="/work/main/.build/debug/harborwatch")
    a = ap.parse_args()
    truth = [json.loads(l) for l in open(a.out + "/truth.jsonl")]
    year = truth[0]["time"][:4]
    p = subprocess.run([a.bin, "parse", "--year", year, a.out], capture_output=True, text=True)
    events = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    nginx = [e for e in events if e["format"] == "nginx"]
    reg = [e for e in events if e["format"] == "registry"]
    for e in events:
        e["_t"] = ts(e["time"])
    passed, failed = 0, []
    ua_checked = set()

    def check(ok, what):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failed.append(what)

    def window(rec, slack=1.5):
        return ts(rec["start"]) - slack, ts(rec.get("end") or rec["time"]) + slack

    for r in truth:
        if r["type"] == "push":
            lo, hi = window(r)
            near = [e for e in nginx if e["site"] == r["site"] and lo <= e["_t"] <= hi]
            if r["outcome"] == "ok":
                check(any(e.get("method") == "PUT" and e.get("kind") == "manifest" and e.get("status") == 201
                          and e.get("repository") == r["repo"] and e.get("reference") == r["tag"] for e in near),
                      "push ok %s %s:%s: no nginx PUT manifest 201" % (r["site"], r["repo"], r["tag"]))
            else:
                method, path = r["failed_request"].split(" ", 1)
                check(any(e.get("method") == method and (e.get("path") == path) and e.get("status") == r["status"]
                          for e in near),
                      "push failed %s %s:%s (%s): no nginx %s %s %s" % (r["site"], r["repo"], r["tag"], r["cause"],
                                                                       method, path, r["status"]))
        elif r["type"] == "replication" and r.get("manifest_put_done"):
            t = ts(r["manifest_put_done"])
            check(any(e["site"] == "hub-2" and e.get("message") == "response completed" and e.get("method") == "PUT"
                      and e.get("kind") == "manifest" and e.get("repository") == r["repo"]
                      and e.get("reference") == r["tag"] and e.get("user_agent") == "harbor-registry-client"
                      and abs(e["_t"] - t) < 0.25 for e in reg),
                  "replication %s %s:%s: no registry response completed PUT manifest 201 near %s" % (
                      r["run"], r["repo"], r["tag"], r["manifest_put_done"]))
        elif r["type"] == "pull" and r["outcome"] == "failed":
            lo, hi = window(r)
            check(any(e["site"] == r["site"] and e.get("kind") == "manifest" and e.get("method") in ("GET", "HEAD")
                      and e.get("status") == r["status"] and e.get("repository") == r["repo"]
                      and e.get("reference") == r["tag"] and lo <= e["_t"] <= hi for e in nginx),
                  "pull failed %s %s:%s %s: no nginx manifest %s" % (r["site"], r["repo"], r["tag"], r["start"], r["status"]))
        elif r["type"] == "login":
            lo, hi = window(r)
            check(any(e["site"] == r["site"] and e.get("kind") == "token" and e.get("status") == r["status"]
                      and lo <= e["_t"] <= hi for e in nginx),
                  "login %s %s: no nginx token %s" % (r["site"], r["user"], r["status"]))
            check(any(e["site"] == r["site"] and e.get("component") == "core" and e.get("user_agent") == r["user_agent"]
                      for e in events),
                  "login %s %s: no core event with user_agent %r (got %r)" % (
                      r["site"], r["user"], r["user_agent"],
                      sorted({e.get("user_agent") for e in events if e["site"] == r["site"] and e.get("component") == "core"
                              and e.get("user_agent")})))
        elif r["type"] == "garbage" and r.get("status") and r["client"] == "curl":
            lo, hi = window(r)
            check(any(e["site"] == r["site"] and e.get("status") == r["status"] and lo <= e["_t"] <= hi for e in nginx),
                  "garbage %s %r: no nginx line with status %s" % (r["site"], r["what"], r["status"]))
        if r["type"] == "garbage" and r.get("what", "").startswith("quotes, backslash") and r["site"] not in ua_checked:
            ua_checked.add(r["site"])
            ua = 'evil "agent" \\ with \u00fcml\u00e4uts\t<tab>'
            uas = {e["format"]: e.get("user_agent") for e in events if e["site"] == r["site"]
                   and (e.get("user_agent") or "").startswith("evil")}
            for fmt in ("nginx", "registry", "registry-access"):
                check(uas.get(fmt) == ua, "user agent with quotes via %s on %s: got %r, sent %r" % (fmt, r["site"], uas.get(fmt), ua))
    docker_ua = "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/6.1.0-lab os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \\(linux\\))"
    for fmt in ("nginx", "registry", "registry-access"):
        got = {e.get("user_agent") for e in events if (e.get("user_agent") or "").startswith("docker/24")
               and e["format"] == fmt}
        check(got == {docker_ua}, "docker user agent via %s: got %r, sent %r" % (fmt, sorted(got), docker_ua))
    for f in failed:
        print("MISSING:", f)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
