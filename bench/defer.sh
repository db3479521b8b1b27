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
cat >"$work/conf" <<CONF
spool $work/spool
log stderr
spool_owner $(id -un)
hostname bench.example
domain example.org
smarthost smtp://127.0.0.1:1
CONF
/usr/bin/python3 -c 'import sys; sys.stdout.write("Subject: x\nFrom: a@example.org\n\n" + ("x" * 75 + "\n") * 52)' |
    "$MINIMTA" -C "$work/conf" -odq -f sender@example.org rcpt@example.net 2>/dev/null
/usr/bin/python3 - "$work/spool/queue" "$N" <<'PY'
import os, sys
q, n = sys.argv[1], int(sys.argv[2])
alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
src = [f for f in os.listdir(q) if "." not in f][0]
data = open(os.path.join(q, src), "rb").read()
for i in range(1, n):
    x, s = i, ""
    for _ in range(14):
        s, x = alpha[x % 32] + s, x // 32
    with open(os.path.join(q, s), "wb") as f:
        f.write(data)
PY
"$MINIMTA" -C "$work/conf" -q 2>/dev/null || true
/usr/bin/python3 - "$MINIMTA" "$work/conf" "$RUNS" "$N" <<'PY'
import statistics, subprocess, sys, time
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
PY
