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
	[[ "$output" == *"(dropped for pickup)"* ]]
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
	[[ "$output" == *"picked up incoming/$files from uid 65534"* ]]
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
