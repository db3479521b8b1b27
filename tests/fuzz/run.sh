#!/usr/bin/env bash
# Runs libFuzzer targets: tests/fuzz/run.sh build/fuzz/fuzz_a build/fuzz/fuzz_b
# Each runs FUZZ_SECONDS (default 30), FUZZ_JOBS (default 2) at a time,
# from a working copy of its seed corpus (tests/fuzz/corpus/<name>/, never
# written to) in <bin dir>/work/<name>/, with crash files in
# <bin dir>/crashes/<name>/ and its log in <bin dir>/logs/<name>.log.
# Prints one line per target, "fuzz NAME: E execs, C crashes" (E from
# libFuzzer's stat::number_of_executed_units), then a total; exits
# non-zero if any target crashed, leaked, timed out or did not run.
# tests/fuzz/<name>.options holds a target's own libFuzzer options (one
# line, e.g. -max_len=8192), tests/fuzz/<name>.dict its dictionary;
# FUZZ_FLAGS adds options for every target.
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-2}

run_one() {
	local bin=$1 secs=$2 dir name work crashes log seeds dict=()
	dir=$(dirname "$bin")
	name=${bin##*/}; name=${name#fuzz_}
	work=$dir/work/$name crashes=$dir/crashes/$name log=$dir/logs/$name.log
	seeds=tests/fuzz/corpus/$name
	mkdir -p "$work" "$crashes" "$dir/logs"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	# tests/fuzz/<name>.options: the target's own libFuzzer options
	# shellcheck disable=SC2207
	[ -f "tests/fuzz/$name.options" ] &&
		dict+=($(cat "tests/fuzz/$name.options"))
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=20 \
		-rss_limit_mb=2048 -artifact_prefix="$crashes/" "${dict[@]}" \
		${FUZZ_FLAGS:-} "$work" >"$log" 2>&1
	local rc=$? execs ncrash
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' \
		"$log" | tail -1)
	ncrash=$(find "$crashes" -type f -newer "$log.start" 2>/dev/null |
		wc -l)
	[ "$rc" -ne 0 ] && [ "$ncrash" -eq 0 ] && ncrash=1
	echo "fuzz $name: ${execs:-0} execs, $ncrash crashes (exit $rc)"
	if [ "$ncrash" -ne 0 ]; then
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" |
			head -10 | sed 's/^/    /'
	fi
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
i=0
for bin in "$@"; do
	i=$((i + 1))
	if [ ! -x "$bin" ]; then
		echo "fuzz ${bin##*/}: not built" >"$tmp/$i"
		continue
	fi
	dir=$(dirname "$bin"); name=${bin##*/}; name=${name#fuzz_}
	mkdir -p "$dir/logs"; : >"$dir/logs/$name.log.start"
	# Wait for a free slot: at most $jobs targets run at once.
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	run_one "$bin" "$secs" >"$tmp/$i" &
done
wait
out=$tmp/all
for f in $(seq 1 "$i"); do cat "$tmp/$f"; done >"$out"
cat "$out"
total=$(sed -nE 's/^fuzz .*: ([0-9]+) execs.*/\1/p' "$out" |
	awk '{ s += $1 } END { print s + 0 }')
bad=$(grep -cvE ': [0-9]+ execs, 0 crashes \(exit 0\)$|^    ' "$out")
echo "fuzz: $# targets, $total execs, $bad failed"
[ "$bad" -eq 0 ]
