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
