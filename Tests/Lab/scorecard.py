#!/usr/bin/env python3
"""Scorecard: harborwatch's analysis of a lab run against the lab's ground truth.

    Tests/Lab/scorecard.py OUTDIR [--binary PATH] [--report JSON] [--analysis JSON] [--explain]

Runs `harborwatch analyze --format json OUTDIR` (or reads a saved report with --analysis) and
compares it with OUTDIR/truth.jsonl (written by run.sh / scenario.py, schema in README.md):

  push_unauthorized           every failed push of the truth is a finding on its site, with its user
                              (or, anonymous, no user), its repository, a time that overlaps the push,
                              and the cause the truth's cause maps to; every other finding is a false
                              alarm (a successful push, the /v2/ challenge, anonymous-first retries …)
  secondary_missing_artifact  every artifact with failed pulls on a secondary (truth `lag` records) is
                              a finding on that site for repository:tag, covering every failed pull,
                              outcome replication_lag (and available when the replica landed) or
                              missing (never replicated); other findings are false alarms
  replication_lag             every artifact pushed on the primary is in the replication table with
                              its latency (first manifest_put_done - pushed_at) within 1 s; the never
                              replicated one has no arrival and is in `replication.missing` or a
                              replication_lag finding (outcome never_arrived); extra artifacts,
                              missing entries and lag findings below --max-lag are false alarms
  replication_duplicate       every `replicated_twice` artifact (concurrent copies or a late duplicate
                              job that skips) is a finding on its destination; others are false alarms
  other                       the lab plans nothing for other detectors and rules: any finding of
                              theirs is a false alarm

Prints a table (expected, found, missed, false alarms per detector), one line per miss and false
alarm, and last `N passed, N failed` (a check per expected item and per false alarm; the lab's own
summary is one check).  --report writes the same as JSON.  --explain adds, per miss and false
alarm, the log lines (file:line, from `harborwatch parse`) around it.
Exit status: 0 all passed, 1 a miss or false alarm, 2 the analysis could not be had, 64 usage.
Python standard library only.
"""
import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(LAB_DIR))

CAUSE_MAP = {
    "auth_header_dropped": "no_credentials_on_write",
    "wrong_password": "bad_credentials",
    "unknown_user": "bad_credentials",
    "anonymous": "anonymous",
    "no_push_scope": "token_without_push",
}
DETECTORS = ["push_unauthorized", "secondary_missing_artifact", "replication_lag", "replication_duplicate", "other"]
SLACK = 2.0          # nginx logs whole seconds (floored); truth times are the clients' (ms)
LATENCY_TOL = 1.0    # replication latency: harborwatch vs truth


def ts(s):
    """ISO-8601 UTC (Z or +00:00, any number of fraction digits) -> float seconds."""
    if s is None:
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$", s)
    if not m:
        raise ValueError("bad time %r" % s)
    base = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc).timestamp()
    frac = float("0." + m.group(2)) if m.group(2) else 0.0
    zone = m.group(3) or "Z"
    off = 0
    if zone != "Z":
        z = zone.replace(":", "")
        off = (int(z[1:3]) * 3600 + int(z[3:5]) * 60) * (1 if z[0] == "+" else -1)
    return base + frac - off


def hms(t):
    if t is None:
        return "-"
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def overlaps(a0, a1, b0, b1, slack=SLACK):
    return a0 <= b1 + slack and a1 >= b0 - slack


class Card:
    def __init__(self):
        self.rows = {d: {"expected": 0, "found": 0, "missed": 0, "false_alarms": 0, "items": []} for d in DETECTORS}
        self.lab_ok = True
        self.lab_problems = []

    def expect(self, det, ok, what, why="", **extra):
        r = self.rows[det]
        r["expected"] += 1
        r["found" if ok else "missed"] += 1
        r["items"].append(dict({"result": "found" if ok else "missed", "what": what, "why": why}, **extra))

    def false_alarm(self, det, what, why="", **extra):
        r = self.rows[det]
        r["false_alarms"] += 1
        r["items"].append(dict({"result": "false_alarm", "what": what, "why": why}, **extra))

    @property
    def passed(self):
        return sum(r["found"] for r in self.rows.values()) + (1 if self.lab_ok else 0)

    @property
    def failed(self):
        return sum(r["missed"] + r["false_alarms"] for r in self.rows.values()) + (0 if self.lab_ok else 1)


def finding_ref(f):
    l = f.get("labels", {})
    d = f.get("details", {})
    return {"detector": f.get("detector"), "site": f.get("site"), "summary": f.get("summary"),
            "labels": l, "cause": d.get("cause"), "outcome": d.get("outcome"),
            "first_seen": f.get("first_seen"), "last_seen": f.get("last_seen"),
            "evidence": ["%s:%s %s" % (e.get("file"), e.get("line"), (e.get("text") or "")[:160])
                         for e in f.get("evidence", [])]}


# ------------------------------------------------------------------------------------------ checks

def check_push_unauthorized(card, truth, findings):
    fails = [r for r in truth if r["type"] == "push" and r["outcome"] == "failed" and r.get("cause") != "unexpected"]
    ok_pushes = [r for r in truth if r["type"] == "push" and r["outcome"] == "ok"]
    fs = [f for f in findings if f["detector"] == "push_unauthorized"]
    used = set()

    def who_ok(f, p):
        user = f.get("details", {}).get("user")
        if p.get("anonymous"):
            return user in (None, "")
        return user == p["user"]

    def near(f, p):
        d = f.get("details", {})
        return (f["site"] == p["site"] and d.get("repository", f["labels"].get("repository")) == p["repo"]
                and overlaps(ts(f["first_seen"]), ts(f["last_seen"]), ts(p["start"]), ts(p["end"])))

    results = {}
    # pass 1: findings with the right site, repository, time and user
    for i, p in enumerate(fails):
        exact = [j for j, f in enumerate(fs) if near(f, p) and who_ok(f, p)]
        if exact:
            want = CAUSE_MAP.get(p["cause"], p["cause"])
            good = [j for j in exact if fs[j]["details"].get("cause") == want]
            j = (good or exact)[0]
            used.update(exact)
            results[i] = (j, bool(good), "" if good else "wrong cause: reported %s, truth %s -> %s" % (
                fs[j]["details"].get("cause"), p["cause"], want))
    # pass 2: a finding at the right place and time with the wrong user
    for i, p in enumerate(fails):
        if i in results:
            continue
        cand = [j for j, f in enumerate(fs) if j not in used and near(f, p)]
        if cand:
            j = cand[0]
            used.add(j)
            results[i] = (j, False, "wrong user: reported %r (cause %s), truth %r (%s)" % (
                fs[j]["details"].get("user"), fs[j]["details"].get("cause"),
                "" if p.get("anonymous") else p["user"], p["cause"]))
        else:
            results[i] = (None, False, "no finding on %s for %s" % (p["site"], p["repo"]))
    for i, p in enumerate(fails):
        j, ok, why = results[i]
        who = "anonymous" if p.get("anonymous") else p["user"]
        card.expect("push_unauthorized", ok,
                    "%s %s:%s by %s (%s, %s)" % (p["site"], p["repo"], p["tag"], who, p["cause"], p.get("failed_request")),
                    why, truth={"site": p["site"], "repo": p["repo"], "tag": p["tag"], "user": p["user"],
                                "cause": p["cause"], "start": p["start"], "end": p["end"],
                                "failed_request": p.get("failed_request"), "status": p.get("status")},
                    finding=finding_ref(fs[j]) if j is not None else None)
    for j, f in enumerate(fs):
        if j in used:
            continue
        d = f["details"]
        t0, t1 = ts(f["first_seen"]), ts(f["last_seen"])
        hint = [p for p in ok_pushes if p["site"] == f["site"] and p["repo"] == d.get("repository")
                and overlaps(t0, t1, ts(p["start"]), ts(p["end"]))]
        why = "no failed push of %r to %s on %s in the truth" % (d.get("user"), d.get("repository"), f["site"])
        if hint:
            why += "; successful push(es) then: " + ", ".join("%s:%s by %s" % (p["repo"], p["tag"], p["user"] or "anonymous") for p in hint)
        card.false_alarm("push_unauthorized", "%s %s by %r (cause %s, %s..%s)" % (
            f["site"], d.get("repository"), d.get("user"), d.get("cause"), f["first_seen"], f["last_seen"]), why,
            finding=finding_ref(f))


def check_secondary_missing(card, truth, findings, lab):
    primary = next((s for s, v in lab.get("sites", {}).items() if v.get("role") == "primary"), "hub-1")
    lags = [r for r in truth if r["type"] == "lag"]
    fs = [f for f in findings if f["detector"] == "secondary_missing_artifact"]
    used = set()
    # failed pulls on secondaries that no lag record covers (should not happen; reported as lab problems)
    lag_keys = {(r["site"], r["repo"], r["tag"]) for r in lags}
    for p in truth:
        if (p["type"] == "pull" and p["outcome"] == "failed" and p["site"] != primary
                and p.get("purpose") == "wait_for_replication" and (p["site"], p["repo"], p["tag"]) not in lag_keys):
            card.lab_problems.append("failed pull %s %s:%s at %s has no lag record" % (p["site"], p["repo"], p["tag"], p["start"]))
    for r in lags:
        want = "replication_lag" if r.get("replicated_at") else "missing"
        cand = [j for j, f in enumerate(fs) if f["site"] == r["site"] and f["details"].get("repository") == r["repo"]
                and f["details"].get("reference") == r["tag"]]
        used.update(cand)
        what = "%s %s:%s (%d failed pulls, %s)" % (r["site"], r["repo"], r["tag"], r["failed_pulls"], r["cause"])
        tinfo = {"site": r["site"], "repo": r["repo"], "tag": r["tag"], "cause": r["cause"], "failed_pulls": r["failed_pulls"],
                 "first_failure": r["first_failure"], "last_failure": r["last_failure"], "replicated_at": r.get("replicated_at")}
        if not cand:
            card.expect("secondary_missing_artifact", False, what, "no finding", truth=tinfo)
            continue
        f = fs[cand[0]]
        d = f["details"]
        problems = []
        if d.get("outcome") != want:
            problems.append("outcome %s, truth %s" % (d.get("outcome"), want))
        f0, f1 = ts(d.get("first_404") or f["first_seen"]), ts(d.get("last_404") or f["last_seen"])
        uncovered = [p for p in r.get("pulls", []) if not overlaps(f0, f1, ts(p["start"]), ts(p["time"]))]
        if uncovered:
            problems.append("%d failed pull(s) outside first_404..last_404 (%s..%s): %s" % (
                len(uncovered), d.get("first_404"), d.get("last_404"), ", ".join(p["start"] for p in uncovered)))
        if (d.get("failed_requests") or f.get("count") or 0) < r["failed_pulls"]:
            problems.append("failed_requests %s < %d failed pulls" % (d.get("failed_requests"), r["failed_pulls"]))
        if want == "replication_lag" and d.get("available_at"):
            if abs(ts(d["available_at"]) - ts(r["replicated_at"])) > SLACK:
                problems.append("available_at %s, truth replicated_at %s" % (d["available_at"], r["replicated_at"]))
        if len(cand) > 1:
            problems.append("%d findings for one artifact" % len(cand))
        card.expect("secondary_missing_artifact", not problems, what, "; ".join(problems), truth=tinfo, finding=finding_ref(f))
    for j, f in enumerate(fs):
        if j not in used:
            d = f["details"]
            card.false_alarm("secondary_missing_artifact", "%s %s:%s (%s, %s requests, outcome %s)" % (
                f["site"], d.get("repository"), d.get("reference"), d.get("kind"), d.get("failed_requests"), d.get("outcome")),
                "no failed pull of it waited for replication in the truth", finding=finding_ref(f))


def check_replication_lag(card, truth, report, findings, lab, max_lag):
    primary = next((s for s, v in lab.get("sites", {}).items() if v.get("role") == "primary"), "hub-1")
    secondaries = [s for s, v in lab.get("sites", {}).items() if v.get("role") != "primary"] or ["hub-2"]
    pushes = [r for r in truth if r["type"] == "push" and r["outcome"] == "ok" and r["site"] == primary]
    repl = [r for r in truth if r["type"] == "replication" and r.get("manifest_put_done")]
    never = {(r["repo"], r["tag"]) for r in truth if r["type"] == "never_replicated"}
    rep = report.get("replication", {}) or {}
    arts = {(a["repository"], a["reference"]): a for a in rep.get("artifacts", [])}
    missing = {(m["repository"], m["reference"], m.get("site")) for m in rep.get("missing", [])}
    lagf = [f for f in findings if f["detector"] == "replication_lag"]
    used_f = set()
    expected_keys = set()
    for p in pushes:
        key = (p["repo"], p["tag"])
        expected_keys.add(key)
        a = arts.get(key)
        for site in secondaries:
            done = sorted(ts(r["manifest_put_done"]) for r in repl if (r["repo"], r["tag"]) == key and r["dst_site"] == site)
            what = "%s %s:%s -> %s" % (p["site"], p["repo"], p["tag"], site)
            arrival = (a or {}).get("arrivals", {}).get(site) or {}
            mine = [j for j, f in enumerate(lagf) if f["site"] == site and f["labels"].get("repository") == p["repo"]
                    and f["labels"].get("reference") == p["tag"]]
            if done:
                lat = done[0] - ts(p["end"])
                tinfo = {"pushed_at": p["end"], "manifest_put_done": hms(done[0]), "latency_s": round(lat, 3)}
                if a is None:
                    card.expect("replication_lag", False, what + " latency %.3fs" % lat, "not in the replication table", truth=tinfo)
                elif arrival.get("lag_secs") is None:
                    card.expect("replication_lag", False, what + " latency %.3fs" % lat,
                                "no arrival reported (pushed_at %s)" % a.get("pushed_at"), truth=tinfo, reported=a)
                else:
                    diff = arrival["lag_secs"] - lat
                    card.expect("replication_lag", abs(diff) <= LATENCY_TOL, what + " latency %.3fs" % lat,
                                "" if abs(diff) <= LATENCY_TOL else "reported %.3fs (pushed_at %s, arrived_at %s), off by %+.3fs" % (
                                    arrival["lag_secs"], a.get("pushed_at"), arrival.get("arrived_at"), diff),
                                truth=tinfo, reported={"pushed_at": a.get("pushed_at"), "arrived_at": arrival.get("arrived_at"),
                                                       "lag_secs": arrival.get("lag_secs")})
                for j in mine:
                    used_f.add(j)
                    if lat <= max_lag:
                        card.false_alarm("replication_lag", what, "lag finding (%s) but truth latency %.3fs <= max lag %ss" % (
                            lagf[j]["details"].get("outcome"), lat, max_lag), finding=finding_ref(lagf[j]))
            else:
                used_f.update(mine)
                reported_missing = (p["repo"], p["tag"], site) in missing or any(
                    lagf[j]["details"].get("outcome") == "never_arrived" for j in mine)
                problems = []
                if key not in never:
                    card.lab_problems.append("%s never reached %s but the truth has no never_replicated record" % (what, site))
                if a is None:
                    problems.append("not in the replication table")
                elif arrival.get("arrived_at"):
                    problems.append("reported arrived at %s" % arrival["arrived_at"])
                if not reported_missing:
                    problems.append("neither in replication.missing nor a never_arrived finding")
                card.expect("replication_lag", not problems, what + " never replicated", "; ".join(problems),
                            truth={"pushed_at": p["end"], "never_replicated": True})
    for key, a in arts.items():
        if key not in expected_keys:
            card.false_alarm("replication_lag", "%s:%s in the replication table" % key,
                             "not a successful push on %s in the truth" % primary, reported=a)
    for (repo, ref, site) in missing:
        if (repo, ref) in expected_keys and (repo, ref) not in never:
            card.false_alarm("replication_lag", "%s:%s in replication.missing for %s" % (repo, ref, site),
                             "the truth has it replicated")
        elif (repo, ref) not in expected_keys:
            card.false_alarm("replication_lag", "%s:%s in replication.missing for %s" % (repo, ref, site),
                             "not a successful push on %s in the truth" % primary)
    for j, f in enumerate(lagf):
        if j not in used_f:
            card.false_alarm("replication_lag", "%s %s:%s (%s)" % (f["site"], f["labels"].get("repository"),
                                                                  f["labels"].get("reference"), f["details"].get("outcome")),
                             "not a push on the primary in the truth", finding=finding_ref(f))


def check_replication_duplicate(card, truth, findings):
    twice = [r for r in truth if r["type"] == "replicated_twice"]
    fs = [f for f in findings if f["detector"] == "replication_duplicate"]
    used = set()
    for r in twice:
        cand = [j for j, f in enumerate(fs) if f["site"] == r["dst_site"] and f["labels"].get("repository") == r["repo"]
                and f["labels"].get("reference") == r["tag"]]
        used.update(cand)
        card.expect("replication_duplicate", bool(cand), "%s %s:%s (%s: %s)" % (
            r["dst_site"], r["repo"], r["tag"], r["kind"], ", ".join("%s %s" % (x["run"], x["action"]) for x in r["runs"])),
            "" if cand else "no finding", truth={"kind": r["kind"], "runs": r["runs"]},
            finding=finding_ref(fs[cand[0]]) if cand else None)
    for j, f in enumerate(fs):
        if j not in used:
            d = f["details"]
            card.false_alarm("replication_duplicate", "%s %s:%s (%s runs)" % (f["site"], d.get("repository"), d.get("reference"), d.get("runs")),
                             "replicated once in the truth", finding=finding_ref(f))


def check_other(card, findings):
    for f in findings:
        if f["detector"] not in DETECTORS:
            card.false_alarm("other", "%s %s: %s" % (f["detector"], f.get("site"), f.get("summary")),
                             "the lab plans no such incident", finding=finding_ref(f))


# ------------------------------------------------------------------------------------------ explain

def explain(card, binary, outdir):
    """Log lines (file:line) near each miss and false alarm, from `harborwatch parse`."""
    p = subprocess.run([binary, "parse", outdir], capture_output=True, text=True)
    events = []
    for line in p.stdout.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        e["_t"] = ts(e["time"])
        events.append(e)
    for det, r in card.rows.items():
        for it in r["items"]:
            if it["result"] == "found":
                continue
            t = it.get("truth") or {}
            f = it.get("finding") or {}
            site = t.get("site") or f.get("site")
            repo = t.get("repo") or (f.get("labels") or {}).get("repository")
            if "start" in t:
                lo, hi = ts(t["start"]) - 1.5, ts(t["end"]) + 1.5
            elif "first_failure" in t:
                lo, hi = ts(t["first_failure"]) - 1.5, ts(t["last_failure"]) + 1.5
            elif f.get("first_seen"):
                lo, hi = ts(f["first_seen"]) - 1.5, ts(f["last_seen"]) + 1.5
            else:
                continue
            lines = []
            for e in events:
                if e["site"] != site or not (lo <= e["_t"] <= hi) or e.get("kind") == "ping":
                    continue
                comp = e.get("component")
                if comp in ("proxy", "nginx"):
                    if e.get("format") == "nginx-error" or e.get("repository") not in (repo, None) \
                            or (e.get("repository") is None and e.get("kind") != "token"):
                        continue
                elif comp == "core":
                    pass
                elif comp == "registry":
                    # the registry's own verdicts: errors and warnings (401 reasons, manifest unknown)
                    if e.get("repository") != repo or e.get("level") not in ("warning", "error"):
                        continue
                else:
                    continue
                desc = " ".join(str(x) for x in (e.get("method"), (e.get("path") or "") + ("?" + e["query"] if e.get("query") else ""),
                                                 e.get("status"), e.get("user"), e.get("user_agent"), e.get("message"),
                                                 e.get("error_detail")) if x not in (None, ""))
                lines.append("%s:%d %s %s %s" % (os.path.relpath(e["file"], outdir), e["line"], e["time"], e["component"], desc[:220]))
            it["log_lines"] = lines[:40]


# ------------------------------------------------------------------------------------------ main

def resolve_binary(b):
    if os.path.isabs(b) or os.path.exists(b):
        return os.path.abspath(b)
    return os.path.join(ROOT, b)


def main(argv=None):
    ap = argparse.ArgumentParser(description="harborwatch vs the lab's truth.jsonl")
    ap.add_argument("outdir")
    ap.add_argument("--binary", default=".build/debug/harborwatch", help="harborwatch binary (default: .build/debug/harborwatch)")
    ap.add_argument("--report", help="write the scorecard as JSON here")
    ap.add_argument("--analysis", help="read this saved `analyze --format json` report instead of running harborwatch")
    ap.add_argument("--save-analysis", help="also save harborwatch's JSON report here")
    ap.add_argument("--explain", action="store_true", help="show the log lines around each miss and false alarm")
    ap.add_argument("--max-lag", type=float, help="passed to harborwatch (default: its own, 120 s)")
    ap.add_argument("--quiet", action="store_true", help="no per-item lines for passed checks")
    a = ap.parse_args(argv)
    outdir = os.path.abspath(a.outdir)
    tpath = os.path.join(outdir, "truth.jsonl")
    try:
        truth = [json.loads(l) for l in open(tpath) if l.strip()]
    except (OSError, ValueError) as e:
        print("scorecard: cannot read %s: %s" % (tpath, e), file=sys.stderr)
        return 2
    lab = next((r for r in truth if r["type"] == "lab"), {})
    summary = next((r for r in truth if r["type"] == "summary"), None)
    primary = next((s for s, v in lab.get("sites", {}).items() if v.get("role") == "primary"), "hub-1")
    binary = resolve_binary(a.binary)

    if a.analysis:
        with open(a.analysis) as f:
            report = json.load(f)
    else:
        cmd = [binary, "analyze", "--format", "json", "--primary", primary]
        if a.max_lag is not None:
            cmd += ["--max-lag", str(a.max_lag)]
        cmd.append(outdir)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            print("scorecard: cannot run %s: %s" % (binary, e), file=sys.stderr)
            return 2
        if p.returncode != 0:
            print("scorecard: %s exited %d:\n%s" % (" ".join(cmd), p.returncode, p.stderr[-4000:]), file=sys.stderr)
            return 2
        try:
            report = json.loads(p.stdout)
        except ValueError as e:
            print("scorecard: harborwatch's output is not JSON (%s): %s" % (e, p.stdout[:400]), file=sys.stderr)
            return 2
        if a.save_analysis:
            with open(a.save_analysis, "w") as f:
                f.write(p.stdout)
    findings = report.get("findings", [])
    max_lag = a.max_lag if a.max_lag is not None else 120.0

    card = Card()
    if summary is None:
        card.lab_problems.append("truth.jsonl has no summary record (the lab did not finish)")
    else:
        card.lab_problems += ["unexpected: " + u for u in summary.get("unexpected", [])]
        card.lab_problems += ["error: " + u for u in summary.get("errors", [])]
    check_push_unauthorized(card, truth, findings)
    check_secondary_missing(card, truth, findings, lab)
    check_replication_lag(card, truth, report, findings, lab, max_lag)
    check_replication_duplicate(card, truth, findings)
    check_other(card, findings)
    card.lab_ok = not card.lab_problems
    if a.explain:
        explain(card, binary, outdir)

    # ---- print
    print("scorecard: %s (mode %s, seed %s) vs %s" % (outdir, lab.get("mode"), lab.get("seed"),
                                                     a.analysis or binary))
    for det, r in card.rows.items():
        for it in r["items"]:
            if it["result"] == "found" and a.quiet:
                continue
            tag = {"found": "ok    ", "missed": "MISSED", "false_alarm": "FALSE "}[it["result"]]
            print("  %s %-27s %s%s" % (tag, det, it["what"], ("  -- " + it["why"]) if it["why"] else ""))
            if it["result"] != "found":
                f = it.get("finding")
                if f:
                    print("         reported: %s" % f["summary"])
                    for ev in f["evidence"][:8]:
                        print("           %s" % os.path.relpath(ev, outdir) if ev.startswith(outdir) else "           %s" % ev)
                for l in it.get("log_lines", []):
                    print("         log: %s" % l)
    for p in card.lab_problems:
        print("  LAB    %s" % p)
    print()
    print("%-28s %8s %6s %7s %13s" % ("detector", "expected", "found", "missed", "false alarms"))
    for det, r in card.rows.items():
        print("%-28s %8d %6d %7d %13d" % (det, r["expected"], r["found"], r["missed"], r["false_alarms"]))
    print("%-28s %8s" % ("lab run green", "yes" if card.lab_ok else "NO"))
    if a.report:
        with open(a.report, "w") as f:
            json.dump({"outdir": outdir, "mode": lab.get("mode"), "seed": lab.get("seed"), "binary": binary,
                       "analysis": a.analysis, "detectors": card.rows, "lab_problems": card.lab_problems,
                       "passed": card.passed, "failed": card.failed}, f, indent=1)
    print("%d passed, %d failed" % (card.passed, card.failed))
    return 0 if card.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
