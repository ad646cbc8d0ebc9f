#!/usr/bin/env bash
# Benchmarks/run.sh - harborwatch side by side with the peers of /work/shared/docs/perf-anchors.md.
#
#   Benchmarks/run.sh [--quick] [--scale] [--no-peers] [--no-install] [--no-build]
#
# 1. generates the data if missing into $BENCH_DATA (default /tmp/harborwatch-bench; never inside
#    the repository), one directory per size, n<LINES>/:
#      access.log          gen_nginx.py --lines LINES --seed 42 (plain nginx timed_combined)
#      harbor-proxy.log    gen_nginx.py --lines LINES --seed 42 --style harbor-proxy (syslog-wrapped)
#      twosite/hub-{1,2}/{proxy,registry}.log   gen_harbor.py --lines LINES --seed 42
#      *.gz, twosite-gz/   pigz -6 -n copies (gzip -6 -n without pigz)
# 2. builds harborwatch release in a separate scratch path (.build-bench: does not block the
#    debug builds of the default .build);
# 3. times everything with hyperfine (median of RUNS / SLOW_RUNS runs, warm page cache) and runs
#    each command once more under GNU time for peak RSS, keeping its output for the checks;
# 4. prints and writes n<LINES>/results/table.md + summary.json (Benchmarks/summarize.py): median
#    wall, lines/s, MB/s, peak RSS, CPU %, and the ratios harborwatch/peer.
#
# --quick     LINES=200000 (first look; peers included unless --no-peers)
# --scale     also: analyze at 1 M and 10 M two-site lines over --artifacts 1,000,000 (peak RSS
#             and lines/s, SCALE_RUNS runs under GNU time each); results in scale/
#             + one more 10 M run with VmRSS sampled every second (scale/results/*.rss-trace)
# --scale-only  the --scale part alone (keeps the main table's results, re-summarizes)
# --no-peers  harborwatch and the I/O floors only (cat, zcat, pigz)
# Env: BENCH_DATA, LINES, SEED (42), RUNS (5), SLOW_RUNS (3), SCALE_RUNS (3), ONLY="name ...",
#      PY (python3), HARBORWATCH (a built binary: skips the build).
# Needs (Debian): hyperfine time pigz goaccess sec mtail lnav mawk; installed with apt-get when
#      missing and running as root, unless --no-install.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-}
if [ -z "$SHARED_BENCH" ]; then
  for d in "$REPO/../shared/bench" /work/shared/bench; do
    if [ -f "$d/gen_nginx.py" ]; then SHARED_BENCH=$(cd "$d" && pwd); break; fi
  done
fi
[ -n "$SHARED_BENCH" ] || { echo "run.sh: cannot find shared/bench (gen_nginx.py); set SHARED_BENCH" >&2; exit 2; }

QUICK=0; SCALE=0; SCALE_ONLY=0; PEERS=1; INSTALL=1; BUILD=1
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --scale) SCALE=1 ;;
    --scale-only) SCALE=1; SCALE_ONLY=1 ;;
    --no-peers) PEERS=0 ;;
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $arg" >&2; exit 64 ;;
  esac
done

DATA_ROOT=${BENCH_DATA:-/tmp/harborwatch-bench}
case "$DATA_ROOT/" in "$REPO"/*) echo "run.sh: BENCH_DATA must be outside the repository" >&2; exit 2 ;; esac
if [ $QUICK = 1 ]; then LINES=${LINES:-200000}; else LINES=${LINES:-2000000}; fi
SEED=${SEED:-42}
RUNS=${RUNS:-5}
SLOW_RUNS=${SLOW_RUNS:-3}
SCALE_RUNS=${SCALE_RUNS:-3}
ONLY=${ONLY:-}
if [ -z "${PY:-}" ]; then
  if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
fi
DATA=$DATA_ROOT/n$LINES
RES=$DATA/results
mkdir -p "$RES"

# ---------------------------------------------------------------- tools
need=(hyperfine time pigz mawk)
[ $PEERS = 1 ] && need+=(goaccess sec mtail lnav)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ $INSTALL = 1 ] && [ "$(id -u)" = 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" > "$RES/apt.log" 2>&1 || { cat "$RES/apt.log"; exit 1; }
  else
    echo "run.sh: missing Debian packages: ${missing[*]} (apt-get install -y ${missing[*]})" >&2; exit 1
  fi
fi
GZIP_CMD="pigz -6 -n -k -f"; command -v pigz >/dev/null || GZIP_CMD="gzip -6 -n -k -f"

# ---------------------------------------------------------------- data
gz_dir() { # src dst: gzip copies of every .log under src, as rotated files (proxy.log.1.gz)
  local src=$1 dst=$2 rel
  rm -rf "$dst.tmp"; mkdir -p "$dst.tmp"
  (cd "$src" && find . -name '*.log' | sort) | while read -r rel; do
    mkdir -p "$dst.tmp/$(dirname "$rel")"
    if command -v pigz >/dev/null; then pigz -6 -n -c "$src/$rel" > "$dst.tmp/$rel.1.gz"
    else gzip -6 -n -c "$src/$rel" > "$dst.tmp/$rel.1.gz"; fi
  done
  rm -rf "$dst"; mv "$dst.tmp" "$dst"
}

gen_twosite() { # dir lines artifacts
  local dir=$1 n=$2 arts=$3
  if [ ! -s "$dir/manifest.json" ] || ! "$PY" - "$dir/manifest.json" "$n" "$arts" "$SEED" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); a = m['args']
sys.exit(0 if (a['lines'], a['artifacts'], a['seed']) == (int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])) else 1)
EOF
  then
    echo "generating two-site data: $n lines, $arts artifacts -> $dir"
    rm -rf "$dir"
    "$PY" "$HERE/gen_harbor.py" --lines "$n" --artifacts "$arts" --seed "$SEED" -o "$dir"
  fi
}

cd "$DATA"
if [ ! -s access.log ] || [ "$(wc -l < access.log)" != "$LINES" ]; then
  # the 2M-line anchors file may already be there (measure.sh, or an earlier run in $DATA_ROOT)
  if [ -s "$DATA_ROOT/access.log" ] && [ "$(wc -l < "$DATA_ROOT/access.log")" = "$LINES" ]; then
    ln -f "$DATA_ROOT/access.log" access.log 2>/dev/null || cp "$DATA_ROOT/access.log" access.log
  else
    echo "generating access.log: $LINES lines (seed $SEED)"
    "$PY" "$SHARED_BENCH/gen_nginx.py" --lines "$LINES" --seed "$SEED" -o access.log.tmp && mv access.log.tmp access.log
  fi
  rm -f access.log.gz
fi
if [ ! -s harbor-proxy.log ] || [ "$(wc -l < harbor-proxy.log)" != "$LINES" ]; then
  if [ -s "$DATA_ROOT/harbor-proxy.log" ] && [ "$(wc -l < "$DATA_ROOT/harbor-proxy.log")" = "$LINES" ]; then
    ln -f "$DATA_ROOT/harbor-proxy.log" harbor-proxy.log 2>/dev/null || cp "$DATA_ROOT/harbor-proxy.log" harbor-proxy.log
  else
    echo "generating harbor-proxy.log: $LINES lines (seed $SEED, --style harbor-proxy)"
    "$PY" "$SHARED_BENCH/gen_nginx.py" --lines "$LINES" --seed "$SEED" --style harbor-proxy -o harbor-proxy.log.tmp
    mv harbor-proxy.log.tmp harbor-proxy.log
  fi
  rm -f harbor-proxy.log.gz
fi
[ -s access.log.gz ] || $GZIP_CMD access.log
[ -s harbor-proxy.log.gz ] || $GZIP_CMD harbor-proxy.log
ARTIFACTS=${ARTIFACTS:-$(( LINES / 20 > 1000 ? LINES / 20 : 1000 ))}
old_manifest=$(cat twosite/manifest.json 2>/dev/null || true)
gen_twosite twosite "$LINES" "$ARTIFACTS"
if [ ! -d twosite-gz ] || [ "$old_manifest" != "$(cat twosite/manifest.json)" ]; then gz_dir "$DATA/twosite" "$DATA/twosite-gz"; fi

rm -rf conf && cp -r "$SHARED_BENCH/conf" conf
cp "$SHARED_BENCH/py_re_parse.py" .

# lines and bytes of every input (bytes = uncompressed bytes for .gz inputs)
{
  echo "access.log $(wc -l < access.log) $(stat -c %s access.log) $(stat -c %s access.log.gz)"
  echo "harbor-proxy.log $(wc -l < harbor-proxy.log) $(stat -c %s harbor-proxy.log) $(stat -c %s harbor-proxy.log.gz)"
  echo "twosite $(cat twosite/*/*.log | wc -l) $(cat twosite/*/*.log | wc -c) $(cat twosite-gz/*/*.gz | wc -c)"
} > "$RES/inputs.txt"
cp twosite/manifest.json "$RES/twosite.manifest.json"

# ---------------------------------------------------------------- build
if [ -n "${HARBORWATCH:-}" ]; then
  HW=$HARBORWATCH
else
  if [ $BUILD = 1 ]; then
    echo "building harborwatch (release, --scratch-path .build-bench) ..."
    # others may be editing Sources/ meanwhile ("was modified during the build"): try up to 3 times
    ok=0
    for attempt in 1 2 3; do
      if (cd "$REPO" && swift build -c release --scratch-path "$REPO/.build-bench" --product harborwatch) > "$RES/build.log" 2>&1; then
        ok=1; break
      fi
      grep -q 'modified during the build' "$RES/build.log" || break
      sleep 5
    done
    [ $ok = 1 ] || { tail -30 "$RES/build.log"; exit 1; }
  fi
  HW=$REPO/.build-bench/release/harborwatch
fi
[ -x "$HW" ] || { echo "run.sh: no harborwatch binary at $HW" >&2; exit 1; }

# ---------------------------------------------------------------- versions
{
  echo "host: $(uname -srm); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(free -g | awk '/^Mem:/{print $2" GiB"}')"
  echo "os: $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "harborwatch: $("$HW" --version 2>&1 | head -1) ($(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$REPO" && git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' + uncommitted changes'))"
  echo "swift: $(swift --version 2>&1 | head -1)"
  echo "hyperfine: $(hyperfine --version)"
  echo "GNU time: $(dpkg-query -W -f='${Version}' time 2>/dev/null || echo '?')"
  echo "gzip (zcat): $(gzip --version | head -1)"
  command -v pigz >/dev/null && echo "pigz: $(pigz --version 2>&1)"
  echo "awk: $(readlink -f "$(command -v awk)")"
  if [ $PEERS = 1 ]; then
    echo "goaccess: $(goaccess --version | head -1) (Debian $(dpkg-query -W -f='${Version}' goaccess))"
    echo "mtail: $(mtail --version 2>&1 | head -1)"
    echo "sec: $(sec --version 2>&1 | head -1) (perl $(perl -e 'print $^V'))"
    echo "lnav: $(lnav -V)"
  fi
  echo "python: $("$PY" -c 'import sys; print(sys.version.split()[0])')"
} > "$RES/versions.txt"
cat "$RES/versions.txt"

# warm the page cache: every timing below is a warm-cache number
cat access.log access.log.gz harbor-proxy.log harbor-proxy.log.gz twosite/*/*.log twosite-gz/*/*.gz > /dev/null

# ---------------------------------------------------------------- bench table
# name  runs(fast|slow)  input(access|proxy|twosite)  command  (@HW@ = harborwatch)
TAB=$(cat <<'EOF'
cat_proxy	fast	proxy	cat harbor-proxy.log > /dev/null
wc_l_proxy	fast	proxy	wc -l harbor-proxy.log
zcat_proxy	fast	proxy	zcat harbor-proxy.log.gz > /dev/null
pigz_d_proxy	fast	proxy	pigz -dc harbor-proxy.log.gz > /dev/null
hw_parse_proxy	fast	proxy	@HW@ parse --count harbor-proxy.log
hw_parse_proxy_gz	fast	proxy	@HW@ parse --count harbor-proxy.log.gz
cat_access	fast	access	cat access.log > /dev/null
zcat_access	fast	access	zcat access.log.gz > /dev/null
hw_parse_access	fast	access	@HW@ parse --count access.log
hw_parse_access_gz	fast	access	@HW@ parse --count access.log.gz
cat_twosite	fast	twosite	cat twosite/hub-1/*.log twosite/hub-2/*.log > /dev/null
zcat_twosite	fast	twosite	zcat twosite-gz/hub-1/*.gz twosite-gz/hub-2/*.gz > /dev/null
hw_parse_twosite	fast	twosite	@HW@ parse --count twosite
hw_analyze	slow	twosite	@HW@ analyze --format json twosite > results/hw_analyze.report.json
hw_analyze_1t	slow	twosite	@HW@ analyze --single-thread --format json twosite > results/hw_analyze_1t.report.json
hw_analyze_gz	slow	twosite	@HW@ analyze --format json twosite-gz > results/hw_analyze_gz.report.json
hw_analyze_access_1t	slow	access	@HW@ analyze --single-thread --format json access.log > results/hw_analyze_access_1t.report.json
awk_401	fast	access	awk '$9==401{c++}END{print c}' access.log
python_re	slow	access	@PY@ py_re_parse.py access.log
lnav	slow	access	lnav -n -c ';SELECT count(*) FROM access_log WHERE sc_status=401' access.log
sec	slow	access	sec --conf=conf/sec/rules.sec --input=access.log --notail
mtail	slow	access	mtail --one_shot --logtostderr --address=127.0.0.1 --progs conf/mtail --logs access.log
goaccess	slow	access	goaccess access.log --log-format='%h - %e [%d:%t %^] "%r" %s %b "%R" "%u" %T %^' --date-format=%d/%b/%Y --time-format=%T -o results/goaccess.report.json
EOF
)
PEER_NAMES="awk_401 python_re lnav sec mtail goaccess"

: > "$RES/benches.tsv.new"
[ $SCALE_ONLY = 1 ] || mv "$RES/benches.tsv.new" "$RES/benches.tsv"
rm -f "$RES/benches.tsv.new"
while IFS=$'\t' read -r name kind input cmd; do
  [ -n "$name" ] || continue
  [ $SCALE_ONLY = 0 ] || continue
  if [ -n "$ONLY" ] && ! grep -qw -- "$name" <<<"$ONLY"; then continue; fi
  if [ $PEERS = 0 ] && grep -qw -- "$name" <<<"$PEER_NAMES"; then continue; fi
  case "$cmd" in pigz*) command -v pigz >/dev/null || continue ;; esac
  runs=$RUNS; warm=1
  if [ "$kind" = slow ]; then runs=$SLOW_RUNS; warm=0; fi
  c=${cmd//@HW@/$HW}
  c=${c//@PY@/$PY}
  echo "== $name ($runs runs): $c"
  printf '%s\t%s\t%s\n' "$name" "$input" "$c" >> "$RES/benches.tsv"
  # --output=pipe: GNU grep-like early exits on /dev/null must not be timed (measure.sh's rule)
  if ! hyperfine --style basic --output=pipe --runs "$runs" --warmup "$warm" --command-name "$name" \
       --export-json "$RES/$name.hyperfine.json" -- "$c" > "$RES/$name.hyperfine.txt" 2>&1; then
    echo "   FAILED (see $RES/$name.hyperfine.txt)"; continue
  fi
  grep -E 'Time \(mean|Range' "$RES/$name.hyperfine.txt" | sed 's/^/   /'
  /usr/bin/time -f '%e %M %U %S' -o "$RES/$name.time" sh -c "$c" \
      > "$RES/$name.out" 2> "$RES/$name.err" || echo "   (rss run exited non-zero)"
done <<< "$TAB"

# ---------------------------------------------------------------- scale (issue 3: bounded memory)
if [ $SCALE = 1 ]; then
  SC=$DATA_ROOT/scale
  mkdir -p "$SC/results"
  for n in 1000000 10000000; do
    gen_twosite "$SC/n$n" "$n" 1000000
    cat "$SC/n$n"/*/*.log > /dev/null
    : > "$SC/results/n$n.time"
    for k in $(seq "$SCALE_RUNS"); do
      /usr/bin/time -a -f '%e %M %U %S' -o "$SC/results/n$n.time" "$HW" analyze --format json "$SC/n$n" \
        > "$SC/results/n$n.report.json" 2> "$SC/results/n$n.err" || echo "   (analyze exited non-zero at $n)"
      echo "   scale n=$n run $k: $(tail -1 "$SC/results/n$n.time")"
    done
    cp "$SC/n$n/manifest.json" "$SC/results/n$n.manifest.json"
  done
  # is memory bounded? sample the resident size of one more 10 M run every second
  n=10000000
  "$HW" analyze --format json "$SC/n$n" > /dev/null 2>&1 &
  pid=$!; t0=$(date +%s.%N); : > "$SC/results/n$n.rss-trace"
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -z "$rss" ] || echo "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.1f", a-b}') $rss" >> "$SC/results/n$n.rss-trace"
    sleep 1
  done
  wait "$pid" || echo "   (traced analyze exited non-zero)"
  echo "   rss trace: $(wc -l < "$SC/results/n$n.rss-trace") samples, last $(tail -1 "$SC/results/n$n.rss-trace")"
  # parse throughput of the 2M proxy log is in the main table (hw_parse_proxy)
fi

if [ $SCALE = 1 ]; then
  SHARED_BENCH=$SHARED_BENCH "$PY" "$HERE/summarize.py" "$RES" "$DATA_ROOT/scale/results"
else
  SHARED_BENCH=$SHARED_BENCH "$PY" "$HERE/summarize.py" "$RES"
fi
echo "results: $RES/table.md"
