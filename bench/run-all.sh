#!/bin/sh
# bench/run-all.sh: runs every bench/*.sh except itself, one after another,
# each with the interpreter its #! line names (deliver.sh is bash; Debian's
# /bin/sh is dash), so `make bench` works wherever the scripts do; then
# prints one table of their figures (bench/lib/table.sh): each with its
# ratio to the limit measured in the same run, its target, the peak RSS
# and the command behind it.
# Benchmarks are not tests: they print figures and fail only if they
# cannot run.
cd "$(dirname "$0")" || exit 1
BENCH_TABLE=$(mktemp "${TMPDIR:-/tmp}/minimta-bench-table.XXXXXX") || exit 1
export BENCH_TABLE
trap 'rm -f "$BENCH_TABLE"' EXIT
rc=0
for b in ./*.sh; do
	[ "$b" = ./run-all.sh ] && continue
	[ -f "$b" ] || continue
	echo "== ${b#./}"
	if [ -x "$b" ]; then
		"$b"
	else
		# no exec bit (an unpacked tarball): run its #! line by hand
		interp=$(sed -n '1s/^#![[:space:]]*//p' "$b")
		# shellcheck disable=SC2086
		${interp:-sh} "$b"
	fi || { echo "${b#./}: failed (exit $?)"; rc=1; }
done
if [ -s "$BENCH_TABLE" ]; then
	echo "== the table ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg) at the end)"
	awk -F '\t' 'BEGIN {
		printf "%-42s %-24s %-38s %-12s %s\n", "figure", "value",
		    "ratio to (same run)", "target", "peak RSS"
	} {
		printf "%-42s %-24s %-38s %-12s %s\n", $1, $2, $3, $4, $5
		if ($6 != "")
			printf "    $ %s\n", $6
	}' "$BENCH_TABLE"
fi
exit $rc
