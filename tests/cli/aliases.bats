#!/usr/bin/env bats
# newaliases / sendmail -bi (check the aliases file, count its entries)
# and sendmail -bv (how each address would be routed), with aliases.

load common

setup() { common_setup; MTA_ARGS=-odq; }
teardown() { common_teardown; }

@test "aliases: newaliases counts the aliases of a good file" {
	cat >"$T/aliases" <<'A'
# comment
postmaster: root
root: admin@example.net,
	ops@example.net
"quoted name": x@example.net
A
	ln -s "$MINIMTA" "$T/newaliases"
	run "$T/newaliases" -C "$T/minimta.conf" -O aliases="$T/aliases"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/aliases: 3 aliases" ]
	run mta -bi -O aliases="$T/aliases"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/aliases: 3 aliases" ]
}

@test "aliases: a malformed line is an error (65) named FILE:LINE; a skipped pipe only a warning" {
	printf 'root: admin@example.net\nbad line\n' >"$T/bad"
	run mta -bi -O aliases="$T/bad"
	echo "$output"
	[ "$status" -eq 65 ]
	[[ "$output" == *"$T/bad:2: need \"name: value\""* ]]
	[[ "$output" == *"$T/bad: 1 aliases"* ]]
	printf 'root: admin@example.net\nprog: |/usr/bin/true, x@example.net\n' >"$T/warn"
	run mta -bi -O aliases="$T/warn"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$T/warn:2: pipe target \"|/usr/bin/true\" skipped"* ]]
	[[ "$output" == *"$T/warn: 2 aliases"* ]]
}

@test "aliases: a missing aliases file is not an error for newaliases" {
	run mta -bi -O aliases="$T/none"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/none: no such file: 0 aliases" ]
}

@test "aliases: -bv expands aliases and names the route" {
	printf 'root: admin@example.net, ops\nops: ops@example.org\n' >"$T/aliases"
	run mta -bv -O aliases="$T/aliases" root b@example.com
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"root... aliased to admin@example.net"* ]]
	[[ "$output" == *"admin@example.net... deliverable: smarthost smtp://127.0.0.1:1"* ]]
	[[ "$output" == *"ops@example.org... deliverable: smarthost smtp://127.0.0.1:1"* ]]
	[[ "$output" == *"b@example.com... deliverable: smarthost smtp://127.0.0.1:1"* ]]
	[ -z "$(qfiles)" ]
	run mta -bv 'bad address@'
	[ "$status" -eq 67 ]
	[[ "$output" == *"bad address"* ]]
	run mta -bv
	[ "$status" -eq 64 ]
}

@test "aliases: submission expands an unqualified recipient through the aliases" {
	printf 'root: admin@example.net, ops\nops: ops@example.org\n' >"$T/aliases"
	printf 'Subject: x\n\nbody\n' | mta -O aliases="$T/aliases" root
	run qenv
	echo "$output"
	[[ "$output" == *$'\nR17:admin@example.net\nO23:rfc822;root@example.org\n'* ]]
	[[ "$output" == *$'\nR15:ops@example.org\nO23:rfc822;root@example.org\n'* ]]
}

@test "aliases: a \\name target is the name itself, not expanded nor sent with its backslash" {
	printf 'root: \\root, admin@example.net\nops: \\root\n' >"$T/aliases"
	printf 'Subject: x\n\nbody\n' | mta -O aliases="$T/aliases" root ops
	[ "$(qenv | grep '^R')" = $'R16:root@example.org\nR17:admin@example.net' ]
}

@test "aliases: a FIFO as the aliases file or an :include: does not hang" {
	mkfifo "$T/fifo"
	run timeout 10 "$MINIMTA" -C "$T/minimta.conf" -bi -O aliases="$T/fifo"
	echo "$output"
	[ "$status" -ne 124 ]
	printf 'root: :include:%s\n' "$T/fifo" >"$T/aliases"
	printf 'Subject: x\n\nb\n' >"$T/msg"
	run timeout 10 "$MINIMTA" -C "$T/minimta.conf" -odq -O aliases="$T/aliases" root <"$T/msg"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -n "$(qfiles)" ]
}
