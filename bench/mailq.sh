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
# (target: mailq <= 1.2x the floor), and mailq's peak RSS (GNU time).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
MINIMTA=${MINIMTA:-$top/minimta}
SIZES=${SIZES:-1000 10000 100000}
RUNS=${RUNS:-7}
[ -x "$MINIMTA" ] || { echo "bench/mailq.sh: no binary $MINIMTA" >&2; exit 1; }
work=$(mktemp -d "${BENCH_DIR:-$top/bench}/mailq.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$top/bench/lib/spool.sh"
bench_spool "$work"
have=0
for n in $SIZES; do
	bench_copies "$work/spool/queue" "$have" $((n - 1))
	have=$((n - 1))
	/usr/bin/python3 - "$MINIMTA" "$work" "$RUNS" "$n" <<'PY'
import os, statistics, subprocess, sys, time
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
# mailq's own peak RSS: one more run under GNU time (a wait4 here
# would count this python's pages, which the child shares until exec)
r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmds["mailq"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
rss = int(r.stderr.split()[-1]) if r.returncode == 0 else 0
m, f = statistics.median(t["mailq"]), statistics.median(t["floor"])
print("mailq at %s: %.3f s, floor %.3f s, ratio %.2f (median of %d); "
      "mailq's peak RSS %d KB" % (n, m, f, m / f, runs, rss))
if os.environ.get("BENCH_TABLE"):
    with open(os.environ["BENCH_TABLE"], "a") as tf:
        tf.write("mailq at %s\t%.3f s\t%.2fx the head-read floor (%.3f s)"
                 "\t<= 1.20x\t%d KB\tminimta -C CONF -bp"
                 "\n" % (n, m, m / f, f, rss))
PY
done
