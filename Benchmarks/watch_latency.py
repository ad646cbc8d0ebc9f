#!/usr/bin/env python3
"""watch latency: lines fed to `harborwatch watch -` at a steady rate; one line in the middle
triggers a threshold rule; prints how long after that line was written its alert came out.

    Benchmarks/watch_latency.py [RATE] [SECONDS] [BINARY]     (default 50000 8 .build/release/harborwatch)
"""
import subprocess, sys, time, threading, os, tempfile
rate = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
secs = float(sys.argv[2]) if len(sys.argv) > 2 else 8
binary = sys.argv[3] if len(sys.argv) > 3 else ".build/release/harborwatch"
rules = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
rules.write("""detectors:
  push_unauthorized: {enabled: false}
rules:
  - name: manifest_5xx
    kind: threshold
    match: {kind: manifest, status: {min: 500}}
    group_by: [site]
    window_secs: 60
    threshold: 1
    severity: critical
""")
rules.close()
def line(sec, status, i):
    return ('Sep 18 02:%02d:%02d 172.18.0.1 proxy[1043]: 10.0.%d.%d - "GET /v2/app/manifests/%d HTTP/1.1" %d 0 "-" "containerd/v1.7.13" 0.004 0.004 .\n'
            % (sec // 60, sec % 60, i % 250, i % 200, i, status)).encode()
total = int(rate * secs); trig = total // 2
lines = [line(i // rate, 503 if i == trig else 200, i) for i in range(total)]
p = subprocess.Popen([binary, "watch", "--rules", rules.name, "--stdin-site", "hub-1", "--year", "2024", "--syslog-tz", "UTC", "-"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, NO_COLOR="1"))
seen = {}
def reader():
    for l in p.stdout:
        if b"FIRING" in l and "t" not in seen: seen["t"] = time.time()
threading.Thread(target=reader, daemon=True).start()
start = time.time(); n = 0; trig_at = None
while n < total:
    target = min(total, int((time.time() - start) * rate) + 1)
    if n <= trig < target:
        p.stdin.write(b"".join(lines[n:trig + 1])); p.stdin.flush(); trig_at = time.time(); n = trig + 1
    if target > n:
        p.stdin.write(b"".join(lines[n:target])); p.stdin.flush(); n = target
    time.sleep(0.002)
el = time.time() - start
time.sleep(1.0); p.stdin.close(); p.wait()
os.unlink(rules.name)
print("lines %d in %.2f s (%.0f lines/s); alert %.1f ms after its line was written" % (total, el, total / el, (seen["t"] - trig_at) * 1000 if "t" in seen else -1))
