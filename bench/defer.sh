#!/bin/sh
# bench/defer.sh: a queue run over N (default 2,000) deferred messages with
# the relay down (connection refused on 127.0.0.1:1): the cost of the
# deferral bookkeeping. Not a test.
#
#   bench/defer.sh              2000 messages, 5 timed runs
#   N=10000 RUNS=3 bench/defer.sh
#
# One message is queued with minimta -odq and copied under fresh ids
# (python3); a first run defers them all (their first state files), then
# RUNS runs are timed: each defers every message again. Prints the median
# wall time (target: <= 0.3 s for 2,000).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
MINIMTA=${MINIMTA:-$top/minimta}
N=${N:-2000}
RUNS=${RUNS:-5}
[ -x "$MINIMTA" ] || { echo "bench/defer.sh: no binary $MINIMTA" >&2; exit 1; }
work=$(mktemp -d "${BENCH_DIR:-$top/bench}/defer.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$top/bench/lib/spool.sh"
bench_spool "$work"
bench_copies "$work/spool/queue" 1 "$N"
"$MINIMTA" -C "$work/conf" -q 2>/dev/null || true
/usr/bin/python3 - "$MINIMTA" "$work/conf" "$RUNS" "$N" <<'PY'
import os, statistics, subprocess, sys, time
mta, conf, runs, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
t = []
for _ in range(runs):
    t0 = time.monotonic()
    subprocess.run([mta, "-C", conf, "-q"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    t.append(time.monotonic() - t0)
print("queue run over %s deferred messages, relay down: median %.3f s "
      "(min %.3f, max %.3f, %d runs)" % (n, statistics.median(t), min(t),
      max(t), runs))
if os.environ.get("BENCH_TABLE"):
    with open(os.environ["BENCH_TABLE"], "a") as f:
        f.write("queue run, %s deferred, relay down\t%.3f s\t-\t<= 0.3 s"
                "\t-\tminimta -C CONF -q\n" % (n, statistics.median(t)))
PY
