#!/usr/bin/env bash
# Benchmarks/hot-functions.sh - writes Sources/harborwatch/hot-functions.order, the link order of
# the functions a run executes.
#
#   Benchmarks/hot-functions.sh [LINES]   (default 200000: the data of `run.sh --quick`; run that first)
#
# The release link (Package.swift) hands this file to lld as --symbol-ordering-file: the functions
# a run calls are laid out next to each other, hottest first. The kernel maps an executable's pages
# 64 KiB at a time around each page first touched, so functions spread over the 18 MiB of .text
# made about 10 MiB of it resident in every run; packed, 3.4 MiB less (peak RSS of `analyze` on
# the 2 M two-site lines: 56.5 -> 53.2 MiB). A name that no longer exists is skipped by the linker,
# so a stale file costs only that gain; run this again after large changes.
#
# It runs valgrind's callgrind (instructions, exact on this noisy VM) on a copy of the release
# binary with the debug info stripped (valgrind 3.19 cannot read Swift 6.3's DWARF 5) over
# `parse --count harbor-proxy.log`, `analyze --single-thread --format json twosite` and `analyze
# samples/`, and lists every function of the binary that ran, by instructions, most first (the
# names a linker knows: callgrind shows C++ functions demangled, and those are left out).
# Needs: valgrind.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
LINES=${1:-200000}
DATA=${BENCH_DATA:-/tmp/harborwatch-bench}/n$LINES
HW=${HARBORWATCH:-$REPO/.build/release/harborwatch}
OUT=$REPO/Sources/harborwatch/hot-functions.order
[ -d "$DATA/twosite" ] && [ -f "$DATA/harbor-proxy.log" ] || { echo "hot-functions.sh: no data in $DATA (run Benchmarks/run.sh --quick first)" >&2; exit 1; }
[ -x "$HW" ] || { echo "hot-functions.sh: no binary $HW (swift build -c release first)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "hot-functions.sh: valgrind missing (apt-get install -y valgrind)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp "$HW" "$TMP/hw" && strip --strip-debug "$TMP/hw"
run() { valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$1" "${@:2}" > /dev/null 2>&1; }
(cd "$DATA" && run parse "$TMP/hw" parse --count harbor-proxy.log)
(cd "$DATA" && run analyze "$TMP/hw" analyze --single-thread --format json twosite)
(cd "$REPO" && run samples "$TMP/hw" analyze samples/)
# Self instructions per function of the binary in each run; `'2` marks recursion. The functions of
# the two large runs come first (summed, most first), then those only `samples/` ran: ordered by
# one sum, the rarely used functions of the samples' report and alerts sat between the hot ones
# and the large runs kept 2 MiB more of the binary resident.
funcs() {
    callgrind_annotate --inclusive=no --threshold=100 "$TMP/cg.$1" 2>/dev/null | grep -F "[$TMP/hw]" \
        | sed -E 's/^ *([0-9,]+) .*\?\?\?:([^ ]+) \[.*$/\1 \2/' | tr -d ',' | sed -E "s/'[0-9]+$//" \
        | grep -E ' [A-Za-z_$.][A-Za-z0-9_$.]*$' || true
}
{ funcs parse; funcs analyze; } | awk '{ n[$2] += $1 } END { for (s in n) print n[s], s }' | sort -k1,1nr -k2 | awk '{ print $2 }' > "$TMP/order"
funcs samples | awk '{ n[$2] += $1 } END { for (s in n) print n[s], s }' | sort -k1,1nr -k2 | awk '{ print $2 }' \
    | grep -vxF -f "$TMP/order" >> "$TMP/order" || true
[ -s "$TMP/order" ] || { echo "hot-functions.sh: callgrind listed no functions" >&2; exit 1; }
mv "$TMP/order" "$OUT"
echo "hot-functions.sh: $(wc -l < "$OUT") functions -> $OUT"
# SwiftPM does not know the file is an input of the link: drop the release executables so that
# the next release build links them again with it.
for d in "$REPO"/.build "$REPO"/.build-bench; do
    for f in "$d"/release/harborwatch "$d"/*/release/harborwatch; do [ -f "$f" ] && rm -f "$f" && echo "hot-functions.sh: removed $f (relinked by the next build)"; done
done
true
