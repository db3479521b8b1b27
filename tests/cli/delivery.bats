#!/usr/bin/env bats
# Delivery to a smarthost (aiosmtpd, tests/lib/smtpd.py): the bytes and the
# envelope the server receives, the SMTP extensions (PIPELINING, SIZE,
# 8BITMIME, SMTPUTF8, DSN), VERP, outcomes (sent, deferred, bounced,
# expired), the bounce's bytes, and one session per destination.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup()
{
	dl_setup
}

teardown()
{
	dl_teardown
}

# The stored message of the only queue file, as it must go out: CRLF.
expected_wire()
{
	qmsg | sed 's/$/\r/'
}

# older_than S FILE: FILE's mtime is more than S seconds ago.
older_than()
{
	[ $(($(date +%s) - $(stat -c %Y "$2"))) -gt "$1" ]
}

@test "delivery: plain smarthost gets the exact bytes, the envelope, logs say sent" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f sender@example.org a@x.example b@y.example
	id=$(qids)
	expected_wire >"$T/want"
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	cmp "$T/want" "$RELAY_SPOOL/0001.eml"
	# dot-stuffing was undone by the server: the line is intact
	grep -q $'^\\.leading dot\r$' "$RELAY_SPOOL/0001.eml"
	e=$RELAY_SPOOL/0001.env
	[ "$(envf "$e" .mail_from)" = '"sender@example.org"' ]
	[ "$(envf "$e" .rcpt_tos)" = '["a@x.example","b@y.example"]' ]
	[ "$(envf "$e" .helo)" = '"test.example"' ]
	[ "$(envf "$e" .esmtp)" = true ]
	size=$(stat -c %s "$RELAY_SPOOL/0001.eml")
	# SIZE= is sent; RFC 1870 wants at least the bytes as sent
	envf "$e" '.mail_options[]' | grep -q '^"SIZE=[0-9]*"$'
	# the log: one line per recipient in Postfix's shape, then removal
	re="^minimta/smtp\[[0-9]+\]: $id: to=<a@x.example>, relay=$RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\.0\.0, status=sent \(250 2\.0\.0 OK queued as 0001\)$"
	log_has "$re" "$T/qlog"
	log_has "$id: to=<b@y.example>, .* status=sent" "$T/qlog"
	log_has "^minimta/qmgr\[[0-9]+\]: $id: removed$" "$T/qlog"
	spool_empty
	run mta -bp
	[ "$status" -eq 0 ]
	[[ "$output" == *"Mail queue is empty"* ]] || [[ "$output" == *"empty"* ]]
	[ "$size" -gt 0 ]
}

@test "delivery: SIZE= announces at least the bytes sent (CRLF counted)" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send a@x.example
	qrun
	sent=$(stat -c %s "$RELAY_SPOOL/0001.eml")
	# the server's copy lacks only the final ".\r\n"
	sz=$(envf "$RELAY_SPOOL/0001.env" '.mail_options[]' | tr -d '"' |
	    sed -n 's/^SIZE=//p')
	echo "SIZE=$sz bytes=$sent" >&2
	[ "$sz" -ge "$sent" ]
}

@test "delivery: 8-bit body goes with BODY=8BITMIME, a 7-bit one without" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	DL_MSG=$'Subject: caf\xc3\xa9\n\ncaf\xc3\xa9 cr\xc3\xa8me\n' send a@x.example
	qrun
	send b@x.example
	qrun
	envf "$RELAY_SPOOL/0001.env" '.mail_options' | grep -q '"BODY=8BITMIME"'
	grep -q $'caf\xc3\xa9 cr\xc3\xa8me\r$' "$RELAY_SPOOL/0001.eml"
	! envf "$RELAY_SPOOL/0002.env" '.mail_options' | grep -q BODY= || false
}

@test "delivery: UTF-8 address to a server without SMTPUTF8 bounces, never sent raw" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f sender@example.org $'j\xc3\xb6rg@x.example'
	id=$(qids)
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	log_has "$id: to=<j.*rg@x.example>, .*dsn=5\.6\.7, status=bounced \(.*SMTPUTF8" "$T/qlog"
	# the server never saw the raw address
	! grep -a $'j\xc3\xb6rg' "$RELAY_LOG" || false
	# the bounce went to the sender: it is the only message left
	[ "$(nqueued)" -eq 1 ]
	[ "$(qids)" != "$id" ]
	qenv | grep -q '^S0:$'
	qenv | grep -q '^R.*sender@example.org'
}

@test "delivery: UTF-8 address to a server with SMTPUTF8 goes with SMTPUTF8" {
	start_smtpd relay --smtputf8
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send $'j\xc3\xb6rg@x.example'
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	envf "$RELAY_SPOOL/0001.env" '.mail_options' | grep -q '"SMTPUTF8"'
	[ "$(envf "$RELAY_SPOOL/0001.env" .rcpt_tos)" = $'["j\xc3\xb6rg@x.example"]' ]
	spool_empty
}

@test "delivery: DSN parameters -N -R -V become NOTIFY, ORCPT, RET, ENVID" {
	start_smtpd relay --dsn
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -N success,failure -R hdrs -V env-42 a@x.example
	qrun
	e=$RELAY_SPOOL/0001.env
	envf "$e" '.mail_options' | grep -q '"RET=HDRS"'
	envf "$e" '.mail_options' | grep -q '"ENVID=env-42"'
	opts=$(envf "$e" '.rcpts[0].options')
	echo "$opts" >&2
	echo "$opts" | grep -Eq '"NOTIFY=(SUCCESS,FAILURE|FAILURE,SUCCESS)"'
	echo "$opts" | grep -q '"ORCPT=rfc822;a@x.example"'
	spool_empty
}

@test "delivery: no DSN parameters to a server that does not offer DSN" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -N never -R full -V env-42 a@x.example
	qrun
	e=$RELAY_SPOOL/0001.env
	! envf "$e" '.mail_options' | grep -Eq 'RET=|ENVID=' || false
	[ "$(envf "$e" '.rcpts[0].options')" = '[]' ]
	spool_empty
}

@test "delivery: VERP (-XV) sends one envelope sender per recipient" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -XV -f list@example.org a@x.example b@y.example
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 2 ]
	got=$(for f in "$RELAY_SPOOL"/*.env; do
		jq -r '.mail_from + " " + (.rcpt_tos | join(","))' "$f"
	done | sort)
	want=$'list+a=x.example@example.org a@x.example\nlist+b=y.example@example.org b@y.example'
	[ "$got" = "$want" ]
	spool_empty
}

@test "delivery: 5xx bounces; an RFC 3464 report from <> reaches the sender on the next run" {
	start_smtpd relay --reject-rcpt "bad@x.example=550 5.1.1 no such user"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f sender@example.org good@x.example bad@x.example
	id=$(qids)
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(envf "$RELAY_SPOOL/0001.env" .rcpt_tos)" = '["good@x.example"]' ]
	log_has "$id: to=<good@x.example>, .*status=sent" "$T/qlog"
	log_has "^minimta/smtp\[[0-9]+\]: $id: to=<bad@x.example>, relay=$RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=5\.1\.1, status=bounced \(550 5\.1\.1 no such user\)$" "$T/qlog"
	log_has "$id: removed" "$T/qlog"
	# the report is queued, from <> to the sender
	[ "$(nqueued)" -eq 1 ]
	bid=$(qids)
	[ "$bid" != "$id" ]
	log_has "^minimta/bounce\[[0-9]+\]: $id: sender non-delivery notification: $bid$" "$T/qlog"
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 2 ]
	e=$RELAY_SPOOL/0002.env
	[ "$(envf "$e" .mail_from)" = '"<>"' ]	# aiosmtpd's null sender
	[ "$(envf "$e" .rcpt_tos)" = '["sender@example.org"]' ]
	m=$RELAY_SPOOL/0002.eml
	cat "$m" >&2
	grep -q '^Content-Type: multipart/report; report-type=delivery-status;' "$m"
	grep -q '^Content-Type: message/delivery-status' "$m"
	grep -Eq '^Content-Type: (message/rfc822|text/rfc822-headers)' "$m"
	grep -q $'^Reporting-MTA: dns; test.example\r$' "$m"
	grep -q '^Arrival-Date: ' "$m"
	grep -q $'^Final-Recipient: rfc822; bad@x.example\r$' "$m"
	grep -q $'^Action: failed\r$' "$m"
	grep -q $'^Status: 5.1.1\r$' "$m"
	grep -q "^Remote-MTA: dns; $RELAY_HOST" "$m"
	grep -q $'^Diagnostic-Code: smtp; 550 5.1.1 no such user\r$' "$m"
	# the original headers are included; the good recipient is not reported
	grep -q $'^Subject: test\r$' "$m"
	! grep -q 'good@x.example' "$m" || false
	# every line of the report ends in CRLF
	[ "$(grep -c $'[^\r]$' "$m" || true)" -eq 0 ]
	spool_empty
}

@test "delivery: nothing is sent in reply to a <> message that bounces" {
	start_smtpd relay --reject-rcpt "bad@x.example=550 5.1.1 no such user"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f '<>' bad@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<bad@x.example>, .*status=bounced" "$T/qlog"
	log_has "$id: undeliverable message from <>: report discarded" "$T/qlog"
	spool_empty
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
}

@test "delivery: 4xx defers with the reason in mailq; the next -q retries" {
	start_smtpd relay --reject-rcpt "t@x.example=451 4.3.0 try again later"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f sender@example.org t@x.example ok@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<t@x.example>, relay=$RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=4\.3\.0, status=deferred \(451 4\.3\.0 try again later\)" "$T/qlog"
	log_has "$id: to=<ok@x.example>, .*status=sent" "$T/qlog"
	[ "$(qids)" = "$id" ]
	qstate_of "$id" | grep -q 'try again later'
	run mta -bp
	echo "$output" >&2
	[[ "$output" == *"$id"* ]]
	[[ "$output" == *"try again later"* ]]
	[[ "$output" == *"t@x.example"* ]]
	[[ "$output" != *"ok@x.example"* ]]
	# the next run tries again (a -q ignores back-off), only t@
	n1=$(grep -c "RCPT TO:<t@x.example>" "$RELAY_LOG")
	qrun
	n2=$(grep -c "RCPT TO:<t@x.example>" "$RELAY_LOG")
	[ "$n2" -gt "$n1" ]
	[ "$(grep -c "RCPT TO:<ok@x.example>" "$RELAY_LOG")" -eq 1 ]
	log_has "$id: to=<t@x.example>, .*status=deferred" "$T/qlog"
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(qids)" = "$id" ]
}

@test "delivery: past queue_lifetime a deferred recipient expires and bounces" {
	start_smtpd relay --reject-rcpt "t@x.example=451 4.3.0 try again later"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "queue_lifetime 1s"
	send -f sender@example.org t@x.example
	id=$(qids)
	# the arrival time must be at least 1 s old
	wait_until 5 older_than 1 "$T/spool/queue/$id"
	qrun
	log_has "$id: to=<t@x.example>, .*dsn=4\.3\.0, status=expired \(451 4\.3\.0 try again later\)" "$T/qlog"
	log_has "^minimta/qmgr\[[0-9]+\]: $id: from=<sender@example.org>, status=expired, returned to sender$" "$T/qlog"
	log_has "$id: removed" "$T/qlog"
	[ "$(nqueued)" -eq 1 ]
	[ "$(qids)" != "$id" ]
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	m=$RELAY_SPOOL/0001.eml
	grep -q $'^Action: failed\r$' "$m"
	grep -q $'^Final-Recipient: rfc822; t@x.example\r$' "$m"
	spool_empty
}

@test "delivery: a message over the server's SIZE bounces without being sent" {
	start_faultsmtp relay - <<'EOF'
ehlo reply 250-fault.test\r\n250-PIPELINING\r\n250-SIZE 100\r\n250 8BITMIME
EOF
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f sender@example.org a@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<a@x.example>, .*dsn=5\.3\.4, status=bounced" "$T/qlog"
	! transcript_verbs "$RELAY_TRANSCRIPT" | grep -Eq 'MAIL|DATA' || false
	[ "$(nqueued)" -eq 1 ]
	[ "$(qids)" != "$id" ]
}

@test "delivery: PIPELINING sends RCPT and DATA before MAIL's reply; without it, lock-step" {
	start_faultsmtp piped - <<'EOF'
mail reply 451 4.3.0 not now
EOF
	start_faultsmtp stepped - <<'EOF'
ehlo reply 250-fault.test\r\n250 8BITMIME
mail reply 451 4.3.0 not now
EOF
	dl_conf "smtp://$PIPED_HOST:$PIPED_PORT"
	send a@x.example
	qrun
	transcript_verbs "$PIPED_TRANSCRIPT" | tr '\n' ' ' >&2
	[ "$(transcript_verbs "$PIPED_TRANSCRIPT" | tr '\n' ' ')" = "EHLO MAIL RCPT DATA QUIT " ]
	dl_conf "smtp://$STEPPED_HOST:$STEPPED_PORT"
	qrun
	[ "$(transcript_verbs "$STEPPED_TRANSCRIPT" | tr '\n' ' ')" = "EHLO MAIL QUIT " ]
	[ "$(nqueued)" -eq 1 ]
}

@test "delivery: 20 queued messages go over one connection, RSET only after a failed one" {
	start_faultsmtp relay - <<'EOF'
rcpt#5 reply 550 5.1.1 no such user
EOF
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	for i in $(seq 20); do
		send -f '<>' "r$i@x.example"
	done
	[ "$(nqueued)" -eq 20 ]
	qrun
	[ "$(conns "$RELAY_TRANSCRIPT")" -eq 1 ]
	v=$(transcript_verbs "$RELAY_TRANSCRIPT")
	[ "$(grep -c '^MAIL' <<<"$v")" -eq 20 ]
	[ "$(grep -c '^RSET' <<<"$v")" -eq 1 ]
	# the RSET comes right after the failed (5th) transaction
	[ "$(grep -v '^RSET' <<<"$v" | head -0; awk '/^MAIL/{m++} /^RSET/{print m}' <<<"$v")" -eq 5 ]
	[ "$(log_count 'status=sent' "$T/qlog")" -eq 19 ]
	[ "$(log_count 'status=bounced' "$T/qlog")" -eq 1 ]
	spool_empty
}

@test "delivery: a message's \".\" shares a write with the next one's MAIL, RCPT and DATA; a session lost there sends that one again" {
	# RFC 2920 3.1: one round trip a message. The server stalls after
	# the first "." and drops: the second message's commands reached it
	# before any reply, and that message goes again on a new session
	start_faultsmtp relay - <<'EOF'
[conn 1]
dot#1 stall 0.5
dot#1 drop
EOF
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f '<>' a@x.example
	send -f '<>' b@x.example
	qrun
	[ "$(conns "$RELAY_TRANSCRIPT")" -eq 2 ]
	[ "$(grep -c '^MAIL FROM' "$RELAY_TRANSCRIPT.1.raw")" -eq 2 ]
	[ "$(grep -c '^MAIL FROM' "$RELAY_TRANSCRIPT.2.raw")" -eq 1 ]
	log_has 'status=deferred \(421 4\.4\.2 lost connection reading reply to end of data' \
	    "$T/qlog"
	[ "$(log_count 'status=deferred' "$T/qlog")" -eq 1 ]
	[ "$(log_count 'status=sent' "$T/qlog")" -eq 1 ]
	sent=$(sed -n 's/.*to=<\([^>]*\)>.*status=sent.*/\1/p' "$T/qlog")
	grep -q "^RCPT TO:<$sent>" "$RELAY_TRANSCRIPT.2.raw"
	[ "$(nqueued)" -eq 1 ]
}

@test "delivery: a \".\" refused while the next message waits in its write: that one goes on, no RSET" {
	start_faultsmtp relay - <<'EOF'
dot#1 reply 554 5.6.0 content refused
EOF
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	for r in a b c; do
		send -f '<>' "$r@x.example"
	done
	qrun
	[ "$(conns "$RELAY_TRANSCRIPT")" -eq 1 ]
	[ "$(transcript_verbs "$RELAY_TRANSCRIPT" | tr '\n' ' ')" = \
	    "EHLO MAIL RCPT DATA MAIL RCPT DATA MAIL RCPT DATA QUIT " ]
	# the refusal is the first transaction's, recorded for its
	# recipient, not for the one whose commands shared its write
	first=$(sed -n 's/^RCPT TO:<\([^>]*\)>.*/\1/p' "$RELAY_TRANSCRIPT" |
	    head -n 1)
	[ -n "$first" ]
	log_has "to=<$first>, .*dsn=5\\.6\\.0, status=bounced .*554 5\\.6\\.0 content refused" \
	    "$T/qlog"
	[ "$(log_count 'status=bounced' "$T/qlog")" -eq 1 ]
	[ "$(log_count 'status=sent' "$T/qlog")" -eq 2 ]
	! grep -q "to=<$first>, .*status=sent" "$T/qlog" || false
	spool_empty
}

@test "delivery: the L record is the size with CRLF line ends; SIZE= sends exactly it" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	# a broken long line and 8-bit text too
	DL_MSG=$'Subject: caf\xc3\xa9\n\n'"$(head -c 2500 /dev/zero | tr '\0' z)"$'\n.dot\nend\n' \
	    send a@x.example
	l=$(sed -n 's/^L20:\([0-9]\{20\}\)$/\1/p' "$(one_qfile)")
	[ -n "$l" ]
	l=$((10#$l))
	wire=$(expected_wire | wc -c)
	echo "L=$l wire=$wire" >&2
	[ "$l" -eq "$wire" ]
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	sz=$(envf "$RELAY_SPOOL/0001.env" '.mail_options[]' | tr -d '"' |
	    sed -n 's/^SIZE=//p')
	echo "SIZE=$sz" >&2
	[ "$sz" -eq "$l" ]
	[ "$(stat -c %s "$RELAY_SPOOL/0001.eml")" -eq "$l" ]
	spool_empty
}

@test "delivery: -O smarthost=URL replaces the file's smarthosts (a second -O adds)" {
	start_smtpd filehost
	start_smtpd cli
	dl_conf "smtp://$FILEHOST_HOST:$FILEHOST_PORT"
	send a@x.example
	id=$(qids)
	qrun -O "smarthost=smtp://$CLI_HOST:$CLI_PORT"
	[ "$(count_eml "$CLI_SPOOL")" -eq 1 ]
	[ "$(count_eml "$FILEHOST_SPOOL")" -eq 0 ]
	log_has "$id: to=<a@x.example>, relay=$CLI_HOST\[$CLI_HOST\]:$CLI_PORT, .*status=sent" "$T/qlog"
	spool_empty
	# -O dead, -O cli: the list is those two, the file's host stays out
	dead=$(free_port 127.0.0.9)
	send b@x.example
	id=$(qids)
	qrun -O "smarthost=smtp://127.0.0.9:$dead" \
	    -O "smarthost=smtp://$CLI_HOST:$CLI_PORT"
	log_has "connect to 127\.0\.0\.9\[127\.0\.0\.9\]:$dead: Connection refused" "$T/qlog"
	log_has "$id: to=<b@x.example>, relay=$CLI_HOST\[$CLI_HOST\]:$CLI_PORT, .*status=sent" "$T/qlog"
	[ "$(count_eml "$CLI_SPOOL")" -eq 2 ]
	[ "$(count_eml "$FILEHOST_SPOOL")" -eq 0 ]
	# nothing ever connected to the file's smarthost
	run grep -q "Peer:" "$FILEHOST_LOG"
	[ "$status" -eq 1 ]
	spool_empty
}

@test "delivery: a smarthost named in /etc/hosts (smtp://localhost:PORT)" {
	grep -Eq '^127\.0\.0\.1[[:space:]](.*[[:space:]])?localhost([[:space:]]|$)' /etc/hosts ||
	    skip "/etc/hosts does not map localhost to 127.0.0.1"
	start_smtpd relay --host 127.0.0.1
	dl_conf "smtp://localhost:$RELAY_PORT"
	send a@x.example
	id=$(qids)
	qrun
	cat "$T/qlog" >&2
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	log_has "$id: to=<a@x.example>, relay=localhost\[127\.0\.0\.1\]:$RELAY_PORT, .*status=sent" "$T/qlog"
	spool_empty
}

@test "delivery: a failed bounce goes to the postmaster, from <>" {
	start_smtpd relay --reject-rcpt "bad@x.example=550 5.1.1 no such user" \
	    --reject-rcpt "sender@example.org=550 5.1.1 no such sender"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "postmaster pm@example.org"
	send -f sender@example.org bad@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<bad@x.example>, .*status=bounced" "$T/qlog"
	# run 2: the report to the sender fails too
	bid=$(qids)
	[ "$bid" != "$id" ]
	qenv | grep -qx 'S0:'
	qrun
	log_has "$bid: to=<sender@example.org>, .*dsn=5\.1\.1, status=bounced" "$T/qlog"
	run grep -q "report discarded" "$T/log"
	[ "$status" -eq 1 ]
	# the report on the report is queued, from <> to the postmaster
	[ "$(nqueued)" -eq 1 ]
	pid=$(qids)
	[ "$pid" != "$bid" ]
	qenv | grep -qx 'S0:'
	qenv | grep -qx 'R14:pm@example.org'
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	e=$RELAY_SPOOL/0001.env
	[ "$(envf "$e" .mail_from)" = '"<>"' ]
	[ "$(envf "$e" .rcpt_tos)" = '["pm@example.org"]' ]
	m=$RELAY_SPOOL/0001.eml
	grep -q $'^Final-Recipient: rfc822; sender@example.org\r$' "$m"
	grep -q $'^Action: failed\r$' "$m"
	spool_empty
}

@test "delivery: a failed report to the postmaster is only logged (no loop)" {
	start_smtpd relay --reject-rcpt "bad@x.example=550 5.1.1 no such user" \
	    --reject-rcpt "sender@example.org=550 5.1.1 no such sender" \
	    --reject-rcpt "pm@example.org=550 5.1.1 no postmaster here"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "postmaster pm@example.org"
	send -f sender@example.org bad@x.example
	qrun
	qrun
	# the failed report to the sender went to the postmaster...
	[ "$(nqueued)" -eq 1 ]
	pid=$(qids)
	qenv | grep -qx 'R14:pm@example.org'
	# ...which fails too: logged, removed, nothing more queued
	for _ in 1 2 3 4; do
		qrun
	done
	cat "$T/log" >&2
	log_has "$pid: to=<pm@example.org>, .*dsn=5\.1\.1, status=bounced \(550 5\.1\.1 no postmaster here\)"
	log_has "$pid: removed"
	[ "$(log_count 'to=<pm@example.org>, .*status=bounced')" -eq 1 ]
	spool_empty
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
}

@test "delivery: past delay_warning a deferred message sends one delay warning to its sender" {
	start_smtpd relay --reject-rcpt "t@x.example=451 4.3.0 try again later"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "delay_warning 1s"
	send -f sender@example.org t@x.example
	id=$(qids)
	wait_until 5 older_than 1 "$T/spool/queue/$id"
	qrun
	log_has "$id: to=<t@x.example>, .*status=deferred" "$T/qlog"
	qstate_of "$id" | grep -q '^Y1:1$'
	# the warning is queued from <> and goes out on the next run; the
	# message itself stays, and no second warning follows
	[ "$(nqueued)" -eq 2 ]
	qrun
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	m=$RELAY_SPOOL/0001.eml
	grep -q $'^Subject: Delayed Mail (still being retried)\r$' "$m"
	grep -q $'^Action: delayed\r$' "$m"
	grep -q $'^Final-Recipient: rfc822; t@x.example\r$' "$m"
	grep -q '^Will-Retry-Until: ' "$m"
	[ "$(envf "$RELAY_SPOOL/0001.env" .mail_from)" = '"<>"' ]
	[ "$(nqueued)" -eq 1 ]
	[ "$(qids)" = "$id" ]
}

@test "delivery: -N never: no delay warning and no bounce" {
	start_smtpd relay --reject-rcpt "t@x.example=550 5.1.1 no such user" \
	    --reject-rcpt "d@x.example=451 4.3.0 try again later"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "delay_warning 1s"
	send -f sender@example.org -N never t@x.example d@x.example
	id=$(qids)
	wait_until 5 older_than 1 "$T/spool/queue/$id"
	qrun
	log_has "$id: to=<t@x.example>, .*status=bounced" "$T/qlog"
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	[ "$(qids)" = "$id" ]
}
