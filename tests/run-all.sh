#!/usr/bin/env bash
# Runs every test: unit binaries, fuzz-corpus replays, bats CLI and
# end-to-end tests. Ends with one line "N passed, M failed, K skipped".
set -u
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0
B=${BUILD:-build}
export BUILD=$B
export MINIMTA=${MINIMTA:-$PWD/minimta}
log=$B/test-output.log
: >"$log"

for t in $B/tests/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1); rc=$?
	echo "$out" >>"$log"
	line=$(echo "$out" | grep -E '^unit .*: [0-9]+ passed, [0-9]+ failed$' | tail -1)
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	[ -n "$line" ] || { p=0; f=0; }
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -ne 0 ]; then echo "$out" | grep -E '^FAIL|ERROR|runtime error' | head -20; fi
	echo "${t##*/}: $p passed, $f failed"
done

for r in $B/replay/fuzz_*; do
	[ -x "$r" ] || continue
	name=${r##*/}; name=${name#fuzz_}
	files=$(find "tests/fuzz/corpus/$name" -type f 2>/dev/null | sort)
	if [ -z "$files" ]; then
		echo "fuzz $name: no seed corpus in tests/fuzz/corpus/$name"; fail=$((fail + 1)); continue
	fi
	# shellcheck disable=SC2086
	if out=$("$r" $files 2>&1); then
		pass=$((pass + 1)); echo "fuzz $name: $out"
	else
		fail=$((fail + 1)); echo "fuzz $name: FAILED"; echo "$out" | tail -20
	fi
done

if ls tests/cli/*.bats >/dev/null 2>&1; then
	bats_files=${BATS_FILES:-tests/cli/*.bats}
	# shellcheck disable=SC2086
	bats --tap $bats_files >$B/bats.tap 2>&1
	cat $B/bats.tap >>"$log"
	grep -E '^not ok' -A6 $B/bats.tap | head -200
	b_skip=$(grep -cE '^ok .* # skip' $B/bats.tap)
	b_ok=$(grep -cE '^ok ' $B/bats.tap)
	b_fail=$(grep -cE '^not ok ' $B/bats.tap)
	planned=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' $B/bats.tap | head -1)
	ran=$((b_ok + b_fail))
	if [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then
		echo "bats: only $ran of $planned tests reported"; b_fail=$((b_fail + planned - ran))
	fi
	echo "bats: $((b_ok - b_skip)) passed, $b_fail failed, $b_skip skipped"
	pass=$((pass + b_ok - b_skip)); fail=$((fail + b_fail)); skip=$((skip + b_skip))
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
