#!/bin/sh
# bench/mailq.sh: mailq at 1k, 10k and 100k queued 4 KB messages, next to
# the head-read floor over the same queue (find spool -type f -print0 |
# xargs -0 head -qc 128), interleaved in the same run. Not a test.
#
#   bench/mailq.sh                 1000 10000 100000
#   SIZES="10000" RUNS=9 bench/mailq.sh
#
# The queue is one message queued by minimta -odq, copied under fresh ids
# (python3). Prints the median wall time of each and their ratio
# (target: mailq <= 1.2x the floor), and mailq's peak RSS.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
MINIMTA=${MINIMTA:-$top/minimta}
SIZES=${SIZES:-1000 10000 100000}
RUNS=${RUNS:-7}
[ -x "$MINIMTA" ] || { echo "bench/mailq.sh: no binary $MINIMTA" >&2; exit 1; }
work=$(mktemp -d "${BENCH_DIR:-$top/bench}/mailq.XXXXXX")
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
have=0
for n in $SIZES; do
	/usr/bin/python3 - "$work/spool/queue" "$have" "$n" <<'PY'
import os, sys
q, have, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
src = sorted(f for f in os.listdir(q) if "." not in f)[-1]
data = open(os.path.join(q, src), "rb").read()
for i in range(have, want - 1):
    x, s = 10**9 + i, ""
    for _ in range(14):
        s, x = alpha[x % 32] + s, x // 32
    with open(os.path.join(q, s), "wb") as f:
        f.write(data)
PY
	have=$((n - 1))
	/usr/bin/python3 - "$MINIMTA" "$work" "$RUNS" "$n" <<'PY'
import os, resource, statistics, subprocess, sys, time
mta, work, runs, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
cmds = {
    "mailq": [mta, "-C", work + "/conf", "-bp"],
    "floor": ["sh", "-c", "cd '%s' && find spool -type f -print0 | "
              "xargs -0 head -qc 128" % work],
}
t = {k: [] for k in cmds}
for r in range(runs + 1):
    for k, c in cmds.items():
        t0 = time.monotonic()
        subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        if r > 0:
            t[k].append(time.monotonic() - t0)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
m, f = statistics.median(t["mailq"]), statistics.median(t["floor"])
print("mailq at %s: %.3f s, floor %.3f s, ratio %.2f (median of %d); "
      "peak RSS of any child %d KB" % (n, m, f, m / f, runs, rss))
PY
done
