#!/usr/bin/env python3
"""Rotation harness for `harborwatch watch --follow`.

Writes Harbor proxy lines carrying sequence numbers while rotating the file the way logrotate does
(by rename, or copytruncate + gzip without delaycompress), kills harborwatch with SIGKILL at random
points and restarts it on the same --state, then checks that every sequence number reached the
--events file exactly once. Prints a JSON summary; exits 1 on any missing or repeated line.
"""
import argparse, gzip, json, os, random, shutil, signal, subprocess, sys, tempfile, threading, time

signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])

p = argparse.ArgumentParser()
p.add_argument("--binary", required=True)
p.add_argument("--lines", type=int, default=3000)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--mode", choices=["rename", "copytruncate", "mixed"], default="mixed")
p.add_argument("--rotations", type=int, default=6)
p.add_argument("--kills", type=int, default=5)
p.add_argument("--seconds", type=float, default=12.0, help="how long the writer takes")
args = p.parse_args()
rng = random.Random(args.seed)
work = tempfile.mkdtemp(prefix="hw-rotation-")
log = os.path.join(work, "proxy.log")
state = os.path.join(work, "state")
events = os.path.join(work, "events.ndjson")

def line(seq):
    t = time.gmtime(1726624800 + seq)  # 2024-09-18T02:00:00Z + seq seconds
    stamp = time.strftime("%b %e %H:%M:%S", t)
    return (f'{stamp} 172.18.0.1 proxy[1043]: 10.0.0.{seq % 250 + 1} - "GET /v2/seq/manifests/{seq} HTTP/1.1" 200 512 '
            f'"-" "containerd/v1.7.13" 0.004 0.004 .\n')

def shift_rotated():
    # proxy.log.N.gz -> proxy.log.N+1.gz, oldest first
    for n in range(30, 0, -1):
        src = f"{log}.{n}.gz"
        if os.path.exists(src):
            os.rename(src, f"{log}.{n + 1}.gz")

def compress_first():
    with open(log + ".1", "rb") as f, gzip.open(log + ".1.gz", "wb") as g:
        shutil.copyfileobj(f, g)
    os.remove(log + ".1")

rotations = []
def writer():
    rotate_at = sorted(rng.sample(range(args.lines // 10, args.lines - 10), args.rotations))
    f = open(log, "a")
    pause = args.seconds / args.lines
    for seq in range(args.lines):
        if rotate_at and seq == rotate_at[0]:
            rotate_at.pop(0)
            mode = args.mode if args.mode != "mixed" else rng.choice(["rename", "copytruncate"])
            shift_rotated()
            if mode == "rename":
                f.close()
                os.rename(log, log + ".1")
                f = open(log, "a")
            else:
                f.flush()
                shutil.copyfile(log, log + ".1")
                os.truncate(log, 0)
            compress_first()
            rotations.append((seq, mode))
        data = line(seq)
        if rng.random() < 0.05:
            # a writer that flushes half a line first
            cut = rng.randrange(1, len(data) - 1)
            f.write(data[:cut]); f.flush(); time.sleep(pause)
            f.write(data[cut:])
        else:
            f.write(data)
        f.flush()
        time.sleep(pause)
    f.close()

open(log, "w").close()
cmd = [args.binary, "watch", "--follow", f"hub-1={log}", "--from-start", "--state", state, "--events", events,
       "--year", "2024", "--syslog-tz", "UTC", "--idle-flush-secs", "1"]
def start():
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "stderr.log"), "a"))

t = threading.Thread(target=writer)
proc = start()
began = time.time()
t.start()
kills = []
kill_times = sorted(rng.uniform(0.5, args.seconds) for _ in range(args.kills))
for kt in kill_times:
    time.sleep(max(0, began + kt - time.time()))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kills.append(round(time.time() - began, 2))
    time.sleep(rng.uniform(0.1, 0.8))
    proc = start()
t.join()

def seen():
    counts = {}
    if os.path.exists(events):
        with open(events) as f:
            for l in f:
                try:
                    e = json.loads(l)
                except ValueError:
                    counts.setdefault("corrupt", 0); counts["corrupt"] += 1
                    continue
                if e.get("repository") == "seq":
                    counts[int(e["reference"])] = counts.get(int(e["reference"]), 0) + 1
    return counts

deadline = time.time() + 30
while time.time() < deadline:
    c = seen()
    if len([k for k in c if k != "corrupt"]) >= args.lines:
        break
    time.sleep(0.3)
time.sleep(1.5)  # a last checkpoint
proc.send_signal(signal.SIGTERM)
code = proc.wait(timeout=20)
c = seen()
missing = [s for s in range(args.lines) if s not in c]
repeated = [s for s, n in c.items() if s != "corrupt" and n > 1]
summary = {
    "lines": args.lines, "mode": args.mode, "seed": args.seed, "rotations": rotations, "kills_at_secs": kills,
    "seen_once": sum(1 for s, n in c.items() if s != "corrupt" and n == 1), "missing": missing[:20], "missing_count": len(missing),
    "repeated": repeated[:20], "repeated_count": len(repeated), "corrupt_lines": c.get("corrupt", 0), "exit_code_after_sigterm": code,
    "work_dir": work,
}
print(json.dumps(summary))
ok = not missing and not repeated and not c.get("corrupt") and code == 0
if ok:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(0 if ok else 1)
