#!/usr/bin/env bats
# The queue's one interface (qfile) end to end: drop files submitted by
# nobody and picked up by concurrent runners, truncation (format version
# 2), version 1 files still delivered, limits at their edges, a drop file
# refused after the gate bounced to its sender, queue files that became
# unreadable, and pickup's crash points. Delivery goes to aiosmtpd.

load common
load ../lib/servers
load delivery

setup() {
	dl_setup
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	chmod 0644 "$T/minimta.conf"
	mta -bp >/dev/null	# the layout, owned by root
	IN=$T/spool/incoming
}
teardown() { dl_teardown; }

# as_nobody CMD...: runs CMD as nobody (skips without root or setpriv).
need_nobody() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (setpriv to nobody)"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    test -x "$MINIMTA"; then
		cp "$MINIMTA" "$T/minimta"
		chmod 0755 "$T/minimta"
		MINIMTA=$T/minimta
	fi
}
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# nobody_send [args...] < message: a drop file, as sendmail by nobody.
nobody_send() {
	as_nobody "$MINIMTA" -C "$T/minimta.conf" -odq "$@" 2>>"$T/log"
}

drops() { ls -A "$IN" | grep -v '^\.' || true; }
corrupt_files() { ls -A "$T/spool/corrupt" 2>/dev/null || true; }

# rec TYPE DATA: one length-prefixed record
rec() { printf '%s%d:%s\n' "$1" "${#2}" "$2"; }

# three_runs: three queue runs (-q) at once, each waited for (a failed
# one fails the test).
three_runs() {
	local p pids=()
	for _ in 1 2 3; do
		"$MINIMTA" -C "$T/minimta.conf" -q 2>>"$T/log" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
}

# v2_file MESSAGE RECORDS...: a version 2 file (the C record is computed)
v2_file() {
	local msg=$1 r
	shift
	printf 'MINIMTA-QUEUE 2\n'
	for r in "$@"; do printf '%s\n' "$r"; done
	rec C "$(printf '%020d' "$(printf '%s' "$msg" | wc -c)")"
	printf 'M0:\n%s' "$msg"
}

@test "gate: three runners over 200 drop files by nobody queue each once" {
	need_nobody
	for i in $(seq 1 200); do
		printf 'Subject: m%s\n\nbody %s\n' "$i" "$i" |
		    nobody_send "r$i@x.example"
	done
	[ "$(drops | wc -l)" -eq 200 ]
	# no delivery yet: the relay is not reachable
	dl_conf "smtp://127.0.0.1:1"
	three_runs
	[ "$(drops | wc -l)" -eq 0 ]
	[ "$(qfiles | wc -l)" -eq 200 ]
	[ -z "$(corrupt_files)" ]
	# each drop file kept its id: the queue ids are the drop files'
	[ "$(grep -Ec '^minimta/pickup\[[0-9]+\]: [0-9A-V]+: uid=65534 from=<' "$T/log")" -eq 200 ]
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 200 ]
	[ "$(grep -h '^Subject: ' "$RELAY_SPOOL"/*.eml | sort -u | wc -l)" -eq 200 ]
	spool_empty
}

@test "gate: a drop file cut by 1 or by 64 bytes is corrupt, not delivered" {
	need_nobody
	body=$(head -c 400 /dev/zero | tr '\0' b | fold -w 60)
	printf 'Subject: one\n\n%s\n' "$body" | nobody_send a@x.example
	d1=$(drops)
	truncate -s -1 "$IN/$d1"
	printf 'Subject: sixtyfour\n\n%s\n' "$body" | nobody_send a@x.example
	d2=$(drops | grep -v "^$d1$")
	truncate -s -64 "$IN/$d2"
	qrun
	cat "$T/qlog"
	grep -q "incoming/$d1: moved to corrupt/: truncated: " "$T/qlog"
	grep -q "incoming/$d2: moved to corrupt/: truncated: " "$T/qlog"
	[ -f "$T/spool/corrupt/$d1" ] && [ -f "$T/spool/corrupt/$d2" ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	spool_empty
}

@test "gate: a queue file cut short goes to corrupt/ with a log line" {
	send a@x.example
	id=$(qfiles)
	truncate -s -1 "$T/spool/queue/$id"
	qrun
	cat "$T/qlog"
	grep -q "$id: queue/$id: truncated: .*; moved to corrupt/" "$T/qlog"
	[ -f "$T/spool/corrupt/$id" ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	spool_empty
}

@test "gate: a version 1 queue file queued before the upgrade is delivered" {
	id=00000000000042
	{
		printf 'MINIMTA-QUEUE 1\n'
		rec T "$(date +%s)"
		rec U 0
		rec S old@example.org
		rec B --
		rec L 00000000000000000043
		rec R v1@x.example
		rec M ''
		printf 'Subject: from version 1\n\nstill here\n'
	} >"$T/spool/queue/$id"
	chmod 0600 "$T/spool/queue/$id"
	qrun
	cat "$T/qlog"
	grep -q "$id: to=<v1@x.example>, .*status=sent" "$T/qlog"
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	grep -q $'^Subject: from version 1\r$' "$RELAY_SPOOL/0001.eml"
	spool_empty
}

# submit by nobody, pick up, deliver: the edge case must arrive whole
edge_delivered() {
	[ "$status" -eq 0 ]
	qrun
	cat "$T/qlog"
	grep -Eq '^minimta/pickup\[[0-9]+\]: [0-9A-V]+: uid=[0-9]+ from=<' "$T/qlog"
	[ -z "$(corrupt_files)" ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	spool_empty
}

@test "gate: 9,999 header fields from nobody are delivered" {
	need_nobody
	hdr=$(for i in $(seq 1 9999); do echo "X-F: $i"; done)
	run nobody_send a@x.example < <(printf '%s\n\nbody\n' "$hdr")
	edge_delivered
	[ "$(grep -c '^X-F: ' "$RELAY_SPOOL/0001.eml")" -eq 9999 ]
	# past the limit (10,000 fields) is refused at submission, not after
	run nobody_send a@x.example < <(printf '%s\nX-F: x\nX-F: y\n\nbody\n' "$hdr")
	[ "$status" -eq 65 ]
}

@test "gate: a header block of exactly max_header_size from nobody is delivered" {
	need_nobody
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "max_header_size 4096"
	# 4096 octets of fields (the blank line ends the block, uncounted)
	hdr=$(python3 -c "import sys; sys.stdout.write(('X-P: ' + 'p' * 94 + '\n') * 40 + 'X-Q: ' + 'q' * 90 + '\n')")
	[ "${#hdr}" -eq 4095 ]	# $(...) drops the last LF
	run nobody_send a@x.example < <(printf '%s\n\nbody\n' "$hdr")
	edge_delivered
	run nobody_send a@x.example < <(printf '%sq\n\nbody\n' "$hdr")
	[ "$status" -eq 65 ]
}

@test "gate: a message 50 octets under max_message_size from nobody is delivered" {
	need_nobody
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "max_message_size 10000"
	msg() {
		printf 'From: a@example.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n'
		printf 'Message-ID: <edge@example.org>\nSubject: edge\n\n'
		python3 -c "import sys; n = $1; sys.stdout.write(('z' * 99 + '\n') * (n // 100) + 'z' * (n % 100 - 1) + '\n')"
	}
	head=$(msg 100 | wc -c)
	head=$((head - 100))
	run nobody_send a@x.example < <(msg $((10000 - 50 - head)))
	edge_delivered
}

@test "gate: a drop file with a bad recipient bounces to its sender" {
	need_nobody
	msg=$'Subject: bad rcpt\n\nhello\n'
	v2_file "$msg" "$(rec T "$(date +%s)")" "$(rec S sender@x.example)" \
	    "$(rec B --)" "$(rec R 'not an address')" >"$IN/00000000000077"
	chown nobody "$IN/00000000000077"
	qrun
	cat "$T/qlog"
	grep -q 'incoming/00000000000077: refused: bad recipient #1; returned to <sender@x.example>' "$T/qlog"
	# the journal answers for it: queued, then bounced, with the reason
	run "$MINIMTA" -C "$T/minimta.conf" -bp -s 00000000000077
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not an address"*bounced*"5.1.3"*"bad recipient #1"* ]]
	[ -z "$(corrupt_files)" ]
	[ -z "$(drops)" ]
	qrun	# the bounce goes out
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(envf "$RELAY_SPOOL/0001.env" .mail_from)" = '"<>"' ]
	[ "$(envf "$RELAY_SPOOL/0001.env" .rcpt_tos)" = '["sender@x.example"]' ]
	grep -q $'^Final-Recipient: rfc822; not an address\r$' "$RELAY_SPOOL/0001.eml"
	grep -q $'^Status: 5.1.3\r$' "$RELAY_SPOOL/0001.eml"
	grep -q $'^Subject: bad rcpt\r$' "$RELAY_SPOOL/0001.eml"
	spool_empty
}

@test "gate: lowering max_recipients leaves queued messages readable" {
	dl_conf "smtp://127.0.0.1:1"
	send a@x.example b@x.example c@x.example
	id=$(qfiles)
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "max_recipients 2"
	run mta -bp
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"Mail queue is empty"* ]]
	[[ "$output" == *"$id "* ]]
	[[ "$output" == *c@x.example* ]]
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(envf "$RELAY_SPOOL/0001.env" .rcpt_tos)" = '["a@x.example","b@x.example","c@x.example"]' ]
	spool_empty
}

@test "gate: mailq never says empty while an unreadable file is queued" {
	dl_conf "smtp://127.0.0.1:1"
	send a@x.example
	id=$(qfiles)
	printf 'garbage\n' >"$T/spool/queue/$id"
	run mta -bp
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"Mail queue is empty"* ]]
	[[ "$output" == *"$id  (unreadable: "*"moves it to corrupt/)"* ]]
	[[ "$output" == *"-- 1 unreadable Request."* ]]
	# a look moves nothing; the runner does, with a log line
	[ -f "$T/spool/queue/$id" ]
	qrun
	cat "$T/qlog"
	grep -q "$id: .*version line.*; moved to corrupt/" "$T/qlog"
	[ -f "$T/spool/corrupt/$id" ]
	run mta -bp
	[ "$output" = "Mail queue is empty" ]
}

@test "gate: pickup.after-commit: the next run removes the drop file, one copy" {
	need_nobody
	printf 'Subject: crash\n\nonce\n' | nobody_send a@x.example
	d=$(drops)
	dl_conf "smtp://127.0.0.1:1"
	run env MINIMTA_CRASH_AT=pickup.after-commit "$MINIMTA" \
	    -C "$T/minimta.conf" -q
	[ "$status" -eq 137 ]
	[ -f "$T/spool/queue/$d" ] && [ -f "$IN/$d" ]
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	qrun
	cat "$T/qlog"
	grep -q "incoming/$d: already queued as $d; removed" "$T/qlog"
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	spool_empty
}

@test "gate: pickup.after-write and pickup.before-unlink lose nothing, send once" {
	need_nobody
	for point in pickup.after-write pickup.before-unlink; do
		printf 'Subject: %s\n\nonce\n' "$point" | nobody_send a@x.example
		d=$(drops)
		dl_conf "smtp://127.0.0.1:1"
		run env MINIMTA_CRASH_AT=$point "$MINIMTA" \
		    -C "$T/minimta.conf" -q
		[ "$status" -eq 137 ]
		[ -f "$IN/$d" ]
		dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
		qrun
		cat "$T/qlog"
		[ -z "$(drops)" ]
	done
	[ "$(count_eml "$RELAY_SPOOL")" -eq 2 ]
	spool_empty
}

# A queue run tries a drop file first from memory (deliver.h, drop items):
# the message goes out and the drop file is removed without a queue file
# ever being written, with the log lines and journal records of a pickup.
@test "gate: a drop file is sent from memory: nothing written to queue/, logged as picked up" {
	need_nobody
	command -v strace >/dev/null || skip "needs strace"
	for i in 1 2 3; do
		printf 'Subject: mem%s\nMessage-ID: <mem%s@example.org>\n\nb\n' \
		    "$i" "$i" | nobody_send "m$i@x.example"
	done
	ids=$(drops)
	[ "$(wc -w <<<"$ids")" -eq 3 ]
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -qq -o "$T/trace" -e trace=openat,renameat2,linkat \
	    "$MINIMTA" -C "$T/minimta.conf" -q 2>"$T/qlog"
	cat "$T/qlog"
	[ "$(count_eml "$RELAY_SPOOL")" -eq 3 ]
	[ -z "$(drops)" ]
	spool_empty
	for id in $ids; do
		# no file of this id was created anywhere, none renamed
		! grep -E "\"\.?$id(\.state)?\"" "$T/trace" | grep -E 'O_CREAT|renameat2|linkat'
		# the lines of a pickup and a delivery, in order
		seq=$(grep -E ": $id: " "$T/qlog" |
		    sed -E 's/^minimta\/([a-z]+)\[[0-9]+\]: [0-9A-V]+: ([a-z]+).*/\1 \2/' |
		    tr '\n' ',')
		echo "$id: $seq"
		[ "$seq" = "pickup uid,qmgr from,smtp to,qmgr removed," ]
		grep -q "minimta/pickup\[[0-9]*\]: $id: uid=65534 from=<nobody@" "$T/qlog"
	done
	# the journal has them queued and sent (mailq -s)
	for id in $ids; do
		run "$MINIMTA" -C "$T/minimta.conf" -bp -s "$id"
		echo "$output"
		[[ "$output" == *queued* ]]
		[[ "$output" == *sent* ]]
	done
}

# What is left after the first try is queued: its state first, so that the
# recipient accepted is not sent again by the next run.
@test "gate: a drop file with a recipient deferred is queued after its first try, with its state" {
	need_nobody
	start_smtpd later --reject-rcpt "later@x.example=451 4.2.0 try later"
	dl_conf "smtp://$LATER_HOST:$LATER_PORT"
	printf 'Subject: part\n\nb\n' | nobody_send now@x.example later@x.example
	id=$(drops)
	[ -n "$id" ]
	qrun
	cat "$T/qlog"
	[ -z "$(drops)" ]
	[ -f "$T/spool/queue/$id" ] && [ -f "$T/spool/queue/$id.state" ]
	[ "$(grep -l '"now@x.example"' "$LATER_SPOOL"/*.env | wc -l)" -eq 1 ]
	grep -q "$id: to=<later@x.example>.*status=deferred" "$T/qlog"
	# queued as pickup would have: the owner, the Received: line
	grep -q '^U5:65534$' "$T/spool/queue/$id"
	grep -q '^Received: by test.example (minimta, from userid 65534)' \
	    "$T/spool/queue/$id"
	run "$MINIMTA" -C "$T/minimta.conf" -bp
	echo "$output"
	[[ "$output" == *"$id"*"try later"* ]]
	# the next run sends only what is left
	qrun || true
	grep -q "$id: to=<later@x.example>.*status=deferred" "$T/qlog"
	[ "$(grep -l '"now@x.example"' "$LATER_SPOOL"/*.env | wc -l)" -eq 1 ]
}

# Nothing can be tried (the relay down): the drop file is left to pickup,
# which queues it, and the run's look at queue/ defers it once.
@test "gate: a drop file that cannot be tried is queued by pickup and deferred once" {
	need_nobody
	printf 'Subject: down\n\nb\n' | nobody_send d@x.example
	id=$(drops)
	dl_conf "smtp://127.0.0.1:1"
	qrun
	cat "$T/qlog"
	[ -z "$(drops)" ]
	[ -f "$T/spool/queue/$id" ]
	[ "$(grep -c "$id: uid=65534" "$T/qlog")" -eq 1 ]
	[ "$(grep -c "$id: to=<d@x.example>.*status=deferred" "$T/qlog")" -eq 1 ]
}

# Drop files tried from memory by three runners at once, each with one
# recipient accepted and one deferred, so that every one is queued after
# its first try: each drop file is taken by one worker (its lock), and a
# runner that finds the new queue file reads the state written before it
# (fails when the drop items are taken without the lock).
@test "gate: three runners over 60 drop files with a deferred recipient send each accepted one once" {
	need_nobody
	start_smtpd later --reject-rcpt "later@x.example=451 4.2.0 try later"
	dl_conf "smtp://$LATER_HOST:$LATER_PORT"
	for i in $(seq 1 60); do
		printf 'Subject: r%s\n\nb\n' "$i" |
		    nobody_send "ok$i@x.example" later@x.example
	done
	[ "$(drops | wc -l)" -eq 60 ]
	three_runs
	[ -z "$(drops)" ]
	[ "$(qfiles | wc -l)" -eq 60 ]
	# every accepted recipient exactly once
	[ "$(cat "$LATER_SPOOL"/*.env | jq -r '.rcpt_tos[]' | grep -c '^ok')" -eq 60 ]
	[ "$(cat "$LATER_SPOOL"/*.env | jq -r '.rcpt_tos[]' | grep '^ok' |
	    sort -u | wc -l)" -eq 60 ]
}
