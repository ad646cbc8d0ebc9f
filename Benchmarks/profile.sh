#!/usr/bin/env bash
# Benchmarks/profile.sh - where harborwatch spends its time (perf, software cpu-clock event).
#
#   Benchmarks/profile.sh [LINES]        (default 2000000: the data of `run.sh`; run that first)
#
# Records `harborwatch parse --count harbor-proxy.log` and `harborwatch analyze --format json
# twosite` of $BENCH_DATA/n<LINES>/ with `perf record -e cpu-clock -g` (this VM exposes no hardware
# counters: `perf stat -e instructions` says <not supported>), then writes, Swift names demangled:
#   profile/<cmd>.self.txt      flat profile (perf report --no-children): the top functions
#   profile/<cmd>.children.txt  inclusive time per function (perf report --children)
#   profile/<cmd>.callers.txt   the callers of the top functions (who causes the ARC traffic)
# Needs: linux-perf (apt-get install -y linux-perf), swift (swift demangle).
# MASSIF=1 also runs valgrind's heap profiler on `analyze` (profile/analyze.massif.txt: who holds
# the heap at its peak). valgrind 3.19 cannot read the DWARF 5 of Swift 6.3's binaries ("unhandled
# dwarf2 abbrev form code 0x25 ... Possibly corrupted debuginfo file"), so it runs on a copy with
# the debug info stripped (symbols stay). The same holds for callgrind.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
LINES=${1:-2000000}
DATA=${BENCH_DATA:-/tmp/harborwatch-bench}/n$LINES
HW=${HARBORWATCH:-$REPO/.build-bench/release/harborwatch}
OUT=$DATA/profile
[ -d "$DATA/twosite" ] || { echo "profile.sh: no data in $DATA (run Benchmarks/run.sh first)" >&2; exit 1; }
[ -x "$HW" ] || { echo "profile.sh: no binary $HW (run Benchmarks/run.sh first)" >&2; exit 1; }
command -v perf >/dev/null || { echo "profile.sh: perf missing (apt-get install -y linux-perf)" >&2; exit 1; }
mkdir -p "$OUT"
cd "$DATA"
dm() { swift demangle --simplified 2>/dev/null || cat; }

prof() { # name command...
  local name=$1; shift
  echo "== perf record: $*"
  perf record -q -e cpu-clock -F 1999 -g -o "$OUT/$name.perf.data" -- "$@" > /dev/null 2> "$OUT/$name.stderr"
  perf report -i "$OUT/$name.perf.data" --no-children --stdio --sort dso,symbol --percent-limit 0.5 -g none 2>/dev/null \
    | dm | grep '%' | sed 's/ *$//' > "$OUT/$name.self.txt"
  perf report -i "$OUT/$name.perf.data" --children --stdio --sort symbol --percent-limit 1 -g none 2>/dev/null \
    | dm | grep '%' | sed 's/ *$//' > "$OUT/$name.children.txt"
  perf report -i "$OUT/$name.perf.data" --no-children --stdio --sort symbol --percent-limit 2 \
    -g caller,0.5,callee,function,percent --max-stack 4 2>/dev/null | dm | grep -v '^#' | grep -v '^$' \
    | sed 's/ *$//' > "$OUT/$name.callers.txt"
  echo "   top functions (self):"
  head -15 "$OUT/$name.self.txt" | cut -c1-140 | sed 's/^/   /'
}

prof parse "$HW" parse --count harbor-proxy.log
prof analyze "$HW" analyze --format json twosite
if [ "${MASSIF:-0}" = 1 ]; then
  command -v valgrind >/dev/null || { echo "profile.sh: valgrind missing" >&2; exit 1; }
  cp "$HW" "$OUT/harborwatch.nodebug" && strip --strip-debug "$OUT/harborwatch.nodebug"
  echo "== valgrind massif: analyze --format json twosite (a few minutes)"
  valgrind --tool=massif --depth=14 --massif-out-file="$OUT/analyze.massif.out" \
    "$OUT/harborwatch.nodebug" analyze --format json twosite > /dev/null 2> "$OUT/analyze.massif.stderr"
  ms_print "$OUT/analyze.massif.out" | dm | sed 's/(in \/[^)]*)//' > "$OUT/analyze.massif.txt"
  grep -m1 -B2 -A3 'peak' "$OUT/analyze.massif.txt" | head -8
fi
echo "reports: $OUT"
