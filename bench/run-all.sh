#!/bin/sh
# bench/run-all.sh: runs every bench/*.sh except itself, one after another.
# Benchmarks are not tests: they print figures and fail only if they
# cannot run.
cd "$(dirname "$0")" || exit 1
rc=0
for b in ./*.sh; do
	[ "$b" = ./run-all.sh ] && continue
	[ -f "$b" ] || continue
	echo "== ${b#./}"
	sh "$b" || { echo "${b#./}: failed (exit $?)"; rc=1; }
done
exit $rc
