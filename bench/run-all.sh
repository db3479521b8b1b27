#!/bin/sh
# bench/run-all.sh: runs every bench/*.sh except itself, one after another,
# each with the interpreter its #! line names (deliver.sh is bash; Debian's
# /bin/sh is dash), so `make bench` works wherever the scripts do.
# Benchmarks are not tests: they print figures and fail only if they
# cannot run.
cd "$(dirname "$0")" || exit 1
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
exit $rc
