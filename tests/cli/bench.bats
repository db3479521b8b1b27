#!/usr/bin/env bats
# bench/run-all.sh (make bench): every script runs with its own
# interpreter, whatever /bin/sh is (Debian's is dash, and deliver.sh is
# bash). Stand-in scripts, so that no benchmark is timed here.

load common

setup() {
	common_setup
	mkdir "$T/bench"
	cp "$REPO/bench/run-all.sh" "$T/bench/"
	# bash only: an array (dash: Syntax error: "(" unexpected)
	cat >"$T/bench/a.sh" <<'S'
#!/usr/bin/env bash
a=(one two)
echo "bash script ran: ${a[1]}"
S
	chmod 0755 "$T/bench/a.sh"
	# no exec bit (an unpacked tarball): its #! line still picks bash
	cat >"$T/bench/b.sh" <<'S'
#!/usr/bin/env bash
b=(x y z)
echo "no exec bit, ran: ${#b[@]}"
S
	chmod 0644 "$T/bench/b.sh"
	cat >"$T/bench/c.sh" <<'S'
#!/bin/sh
echo "sh script ran"
S
	chmod 0755 "$T/bench/c.sh"
}
teardown() { common_teardown; }

@test "bench: run-all.sh under sh runs a bash script with bash" {
	run sh "$T/bench/run-all.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"== a.sh"*"bash script ran: two"* ]]
	[[ "$output" == *"== b.sh"*"no exec bit, ran: 3"* ]]
	[[ "$output" == *"== c.sh"*"sh script ran"* ]]
	[[ "$output" != *"Syntax error"* ]]
	[[ "$output" != *failed* ]]
}

@test "bench: run-all.sh says which script failed and exits non-zero" {
	printf '#!/bin/sh\nexit 3\n' >"$T/bench/d.sh"
	chmod 0755 "$T/bench/d.sh"
	run sh "$T/bench/run-all.sh"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"d.sh: failed (exit 3)"* ]]
	[[ "$output" == *"sh script ran"* ]]
}

@test "bench: run-all.sh ends with one table of every script's rows, each with its command" {
	mkdir "$T/bench/lib"
	cp "$REPO/bench/lib/table.sh" "$T/bench/lib/"
	cat >"$T/bench/e.sh" <<'S'
#!/bin/sh
. "$(dirname "$0")/lib/table.sh"
echo "e ran"
table_add "figure e" "1.00 s" "0.50x the floor" "<= 1.10x" "2.0 MB" "minimta -e"
S
	cat >"$T/bench/f.sh" <<'S'
#!/usr/bin/env bash
. "$(dirname "$0")/lib/table.sh"
table_add "figure f" "2 s" "-" "<= 0.3 s" "-" "minimta -f"
S
	chmod 0755 "$T/bench/e.sh" "$T/bench/f.sh"
	run sh "$T/bench/run-all.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	# the table comes after every script's own output
	table=$(sed -n '/^== the table/,$p' <<<"$output")
	[ -n "$table" ]
	[ "$(sed -n '2p' <<<"$table" | awk '{ print $1 }')" = figure ]
	grep -Eq '^figure e +1\.00 s +0\.50x the floor +<= 1\.10x +2\.0 MB$' <<<"$table"
	grep -Eq '^    \$ minimta -e$' <<<"$table"
	grep -Eq '^figure f +2 s +- +<= 0\.3 s +-$' <<<"$table"
	grep -Eq '^    \$ minimta -f$' <<<"$table"
	[[ "$output" == *"e ran"*"== the table"* ]]
	# a script run alone adds no row anywhere
	run env -u BENCH_TABLE sh "$T/bench/e.sh"
	[ "$status" -eq 0 ]
	[ "$output" = "e ran" ]
}
