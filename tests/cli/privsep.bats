#!/usr/bin/env bats
# Privilege separation (DESIGN.md "Spool and privileges"): a spool owned by
# one account, submission by another (nobody) through incoming/, pickup by
# the owner or by root, mailq refused to others. Needs root.

load common

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (useradd, setpriv)"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	common_setup
	OWNER=mtat$$
	useradd -r -M -U -d /nonexistent -s /usr/sbin/nologin "$OWNER"
	# the spool is the owner's, not root's as in the other files
	write_conf "spool_owner $OWNER"
	mkdir -p "$T/spool"
	chown "$OWNER:$OWNER" "$T/spool"
	chmod 0755 "$T/spool"
	chmod 0644 "$T/minimta.conf"
	OUID=$(id -u "$OWNER")
	OGID=$(id -g "$OWNER")
	# the binary must be reachable by nobody
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$MINIMTA"; then
		cp "$MINIMTA" "$T/minimta"
		chmod 0755 "$T/minimta"
		MINIMTA=$T/minimta
	fi
	# the owner's first run creates the layout
	as_owner "$MINIMTA" -C "$T/minimta.conf" -bp >/dev/null
}

teardown() {
	[ -n "${OWNER:-}" ] && userdel "$OWNER" 2>/dev/null || true
	[ -n "${OWNER:-}" ] && groupdel "$OWNER" 2>/dev/null || true
	common_teardown
}

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_owner() { setpriv --reuid="$OWNER" --regid="$OWNER" --clear-groups "$@"; }

@test "privsep: the owner's first run made the layout, owned by the owner" {
	[ "$(stat -c '%a %U %G' "$T/spool/incoming")" = "3733 $OWNER $OWNER" ]
	[ "$(stat -c '%a %U' "$T/spool/queue")" = "700 $OWNER" ]
	[ "$(stat -c '%a %U' "$T/spool/corrupt")" = "700 $OWNER" ]
	[ "$(stat -c '%F %U' "$T/spool/trigger")" = "fifo $OWNER" ]
}

@test "privsep: nobody submits into incoming/ (0640, spool group); pickup queues it" {
	run as_nobody "$MINIMTA" -C "$T/minimta.conf" -f nobody@example.org rcpt@example.net \
	    < <(printf 'Subject: from nobody\n\nhello\n')
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no queue runner is listening"*"sendmail -q"* ]]
	[[ "$output" =~ minimta/postdrop\[[0-9]+\]:\ [0-9A-V]+:\ uid=65534\ from=\<nobody@example.org\>\ \(dropped\ for\ pickup\) ]]
	[ -z "$(ls -A "$T/spool/queue")" ]
	files=$(ls -A "$T/spool/incoming")
	[ "$(echo "$files" | wc -l)" -eq 1 ]
	[[ "$files" =~ ^[0-9A-V]{14}$ ]]
	[ "$(stat -c '%a %u %g' "$T/spool/incoming/$files")" = "640 65534 $OGID" ]
	# a drop file carries no uid record: the file's owner says who sent it
	! grep -q '^U' "$T/spool/incoming/$files" || false
	# nobody cannot list incoming/ nor read the queue
	run as_nobody ls "$T/spool/incoming"
	[ "$status" -ne 0 ]
	run as_nobody ls "$T/spool/queue"
	[ "$status" -ne 0 ]

	# the owner's queue run picks it up
	run as_owner "$MINIMTA" -C "$T/minimta.conf" -q
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"minimta/pickup["*"]: $files: uid=65534 from=<nobody@example.org>"* ]]
	[ -z "$(ls -A "$T/spool/incoming")" ]
	q=$(one_qfile)
	[ "$(stat -c '%a %U' "$q")" = "600 $OWNER" ]
	run qmsg
	[ "${lines[0]}" = "Received: by test.example (minimta, from userid 65534)" ]
	[[ "$output" == *$'\nSubject: from nobody\n'* ]]
	run qenv
	[[ "$output" == *$'\nU5:65534\nS18:nobody@example.org\n'* ]]
}

@test "privsep: root's queue run drops to the owner before picking up" {
	as_nobody "$MINIMTA" -C "$T/minimta.conf" rcpt@example.net \
	    < <(printf 'Subject: s\n\nb\n') 2>/dev/null
	run "$MINIMTA" -C "$T/minimta.conf" -q
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$T/spool/incoming")" ]
	q=$(one_qfile)
	# written by the owner, not by root
	[ "$(stat -c %U "$q")" = "$OWNER" ]
	run qmsg
	[ "${lines[0]}" = "Received: by test.example (minimta, from userid 65534)" ]
	# the sender is nobody's login name, qualified
	run qenv
	[[ "$output" == *$'\nS18:nobody@example.org\n'* ]]
}

@test "privsep: nobody's drop: fsync, rename, fsync of the file again, before exit; no syncfs (strace)" {
	command -v strace >/dev/null || skip "needs strace"
	# syncfs() waited for every dirty page of the filesystem (someone
	# else's gigabyte too); the second fsync commits only the rename
	printf 'Subject: s\n\nb\n' >"$T/msg"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -o "$T/trace" -e trace=openat,fsync,syncfs,renameat2,exit_group \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$MINIMTA" -C "$T/minimta.conf" -odq rcpt@example.net <"$T/msg"
	cat "$T/trace"
	id=$(ls -A "$T/spool/incoming")
	[ -n "$id" ]
	! grep -q syncfs "$T/trace"
	tfd=$(grep -E "openat\(.*\"\.$id\", O_WRONLY" "$T/trace" |
	    sed -E 's/.*= ([0-9]+)$/\1/')
	[ -n "$tfd" ]
	seq=$(grep -nE "fsync\($tfd\) += 0|renameat2\(.*\"\.$id\".*\"$id\".* = 0|exit_group\(0\)" "$T/trace" |
	    sed -E 's/^([0-9]+):[0-9]+ +([a-z0-9_]+).*/\2/' | tr '\n' ' ')
	echo "order: $seq"
	[ "$seq" = "fsync renameat2 fsync exit_group " ]
}

@test "privsep: the owner's submission goes straight to queue/" {
	run as_owner "$MINIMTA" -C "$T/minimta.conf" -odq rcpt@example.net \
	    < <(printf 'Subject: s\n\nb\n')
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$T/spool/incoming")" ]
	q=$(one_qfile)
	[ "$(stat -c '%a %U' "$q")" = "600 $OWNER" ]
	run qmsg
	[ "${lines[0]}" = "Received: by test.example (minimta, from userid $OUID)" ]
}

@test "privsep: mailq and -q as nobody -> 77 with a one-line refusal" {
	run as_nobody "$MINIMTA" -C "$T/minimta.conf" -bp
	echo "$output"
	[ "$status" -eq 77 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"mailq: permission denied"* ]]
	run as_nobody "$MINIMTA" -C "$T/minimta.conf" -q
	[ "$status" -eq 77 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"permission denied"* ]]
}

@test "privsep: nobody before the owner ever ran -> clear error, nothing written" {
	rm -rf "$T/spool"
	mkdir "$T/spool"
	chown "$OWNER:$OWNER" "$T/spool"
	run as_nobody "$MINIMTA" -C "$T/minimta.conf" rcpt@example.net < <(printf '\nb\n')
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"no drop directory"* ]]
	[ -z "$(ls -A "$T/spool")" ]
}

# conf_without_owner: the test config with no spool_owner line.
conf_without_owner() { sed -i '/^spool_owner /d' "$T/minimta.conf"; }

@test "privsep: root, no spool_owner, no spool -> 78 saying to set spool_owner, nothing made" {
	rm -rf "$T/spool"
	conf_without_owner
	run "$MINIMTA" -C "$T/minimta.conf" -odq rcpt@example.net < <(printf 'Subject: s\n\nb\n')
	echo "$output"
	[ "$status" -eq 78 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$T/spool: no such directory"*"set spool_owner"* ]]
	[ ! -e "$T/spool" ]
}

@test "privsep: root and a root-owned spool without spool_owner root -> 78, nothing made" {
	rm -rf "$T/spool"
	mkdir -m 0755 "$T/spool"
	conf_without_owner
	for args in -bp -q "-odq rcpt@example.net"; do
		# shellcheck disable=SC2086
		run "$MINIMTA" -C "$T/minimta.conf" $args < <(printf 'Subject: s\n\nb\n')
		echo "$output"
		[ "$status" -eq 78 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"$T/spool: owned by root"*"spool_owner root"* ]]
	done
	[ -z "$(ls -A "$T/spool")" ]
	# said explicitly, it is taken (a throwaway spool, as root)
	write_conf "spool_owner root"
	run "$MINIMTA" -C "$T/minimta.conf" -bp
	[ "$status" -eq 0 ]
	[ "$(stat -c '%a %U' "$T/spool/queue")" = "700 root" ]
	# but not when others could add names to it
	chmod 0775 "$T/spool"
	run "$MINIMTA" -C "$T/minimta.conf" -bp
	[ "$status" -eq 78 ]
	[[ "$output" == *"$T/spool: root's, and writable by group or others"* ]]
}

@test "privsep: root with spool_owner creates the spool for that account, then works as it" {
	rm -rf "$T/spool"
	run "$MINIMTA" -C "$T/minimta.conf" -odq rcpt@example.net < <(printf 'Subject: s\n\nb\n')
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(stat -c '%a %U %G' "$T/spool")" = "755 $OWNER $OWNER" ]
	[ "$(stat -c '%a %U %G' "$T/spool/incoming")" = "3733 $OWNER $OWNER" ]
	[ "$(stat -c '%a %U %G' "$T/spool/queue")" = "700 $OWNER $OWNER" ]
	[ "$(stat -c '%a %U %G' "$T/spool/corrupt")" = "700 $OWNER $OWNER" ]
	[ "$(stat -c '%F %a %U %G' "$T/spool/trigger")" = "fifo 622 $OWNER $OWNER" ]
	# nothing in the spool is root's: the message was written as the owner
	[ -z "$(find "$T/spool" -user root)" ]
	q=$(one_qfile)
	[ "$(stat -c '%a %U' "$q")" = "600 $OWNER" ]
	run qmsg
	[ "${lines[0]}" = "Received: by test.example (minimta, from userid 0)" ]
	# and the queue run works on it as the owner too
	run "$MINIMTA" -C "$T/minimta.conf" -bp
	[ "$status" -eq 0 ]
	[[ "$output" == *"rcpt@example.net"* ]]
}

@test "privsep: root without spool_owner takes an existing spool's owner (a user's build tree)" {
	conf_without_owner
	as_nobody "$MINIMTA" -C "$T/minimta.conf" rcpt@example.net \
	    < <(printf 'Subject: s\n\nb\n') 2>/dev/null
	run "$MINIMTA" -C "$T/minimta.conf" -q
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ minimta/pickup\[[0-9]+\]:\ [0-9A-V]+:\ uid=65534\ from= ]]
	[ "$(stat -c %U "$(one_qfile)")" = "$OWNER" ]
}

@test "privsep: a spool not spool_owner's -> 78 naming both, nothing changed" {
	write_conf "spool_owner nobody"
	run "$MINIMTA" -C "$T/minimta.conf" -q
	echo "$output"
	[ "$status" -eq 78 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"owned by uid $OUID, but spool_owner is nobody (uid 65534)"* ]]
	write_conf "spool_owner no-such-user-$$"
	run "$MINIMTA" -C "$T/minimta.conf" -bp
	[ "$status" -eq 78 ]
	[[ "$output" == *"spool_owner: no-such-user-$$: no such user"* ]]
	[ -z "$(find "$T/spool" -user root)" ]
}

# swap_attack NODE: root makes the missing spool NODE while the owner
# swaps the node being made for a symlink to a root file (root's mkdir and
# mknod are slowed down under strace, so that the swap always wins); the
# root file must stay as it was.
swap_attack() {
	command -v strace >/dev/null || skip "needs strace"
	victim=$T/victim
	echo secret >"$victim"
	chmod 0600 "$victim"
	rm -rf "${T:?}/spool/$1"
	conf_without_owner	# the spool is the owner's: root takes it
	# a copy the owner can read (the tree may sit under /root, 0700)
	install -m 0644 "$REPO/tests/lib/swap-node.py" "$T/swap-node.py"
	as_owner /usr/bin/python3 "$T/swap-node.py" "$T/spool" "$victim" 20 \
	    >"$T/swap.out" 2>&1 &
	swapper=$!
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -o /dev/null \
	    -e inject=mkdir,mkdirat,mknod,mknodat:delay_exit=400000 \
	    "$MINIMTA" -C "$T/minimta.conf" -bp >"$T/run.out" 2>&1 || true
	wait "$swapper" || true
	cat "$T/swap.out" "$T/run.out"
	grep -q "swapped .new.$1" "$T/swap.out"
	stat -c "victim: %a %U %G" "$victim"
	[ "$(stat -c '%a %U %G' "$victim")" = "600 root root" ]
	[ "$(cat "$victim")" = secret ]
}

@test "privsep: the owner swapping a new directory for a symlink never gets root to chown/chmod its target" {
	swap_attack queue
}

@test "privsep: the owner swapping the new trigger FIFO for a symlink never gets root to chmod its target 0622" {
	swap_attack trigger
}
