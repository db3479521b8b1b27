#!/usr/bin/env bats
# Faults no real server produces on demand, from our scripted server
# (tests/lib/faultsmtp.py, scripts in tests/data/faults/*.fault: the
# fault is on connection 1, later connections behave). Each case checks
# the log and the queue after the faulty run, and for a deferral, that
# the next run delivers: no recipient lost, none sent twice except in
# the RFC 1047 window (the reply to the final dot lost), where the
# message is deferred and rightly sent again.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

FAULTS=$BATS_TEST_DIRNAME/../data/faults

setup()
{
	dl_setup
}

teardown()
{
	dl_teardown
}

# times_sent: how often the message's content went to the server (after
# a refused MAIL or RCPT, a 354 gets an empty message: "." alone).
times_sent()
{
	grep -cx 'Subject: test' "$RELAY_TRANSCRIPT" || true
}

# fault NAME OUTCOME DSN-REGEX REASON-REGEX SENT [faultsmtp options]:
# run 1 against tests/data/faults/NAME.fault; OUTCOME is deferred,
# bounced or sent (in run 1). For deferred, run 2 must deliver; SENT is
# how often the whole message went out over both runs.
fault()
{
	local name=$1 outcome=$2 dsn=$3 reason=$4 sent=$5 id
	shift 5
	start_faultsmtp relay "$FAULTS/$name.fault" "$@"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "command_timeout 1s" \
	    "data_timeout 2s" "tls_ca_file $CA_DIR/ca.pem"
	send -f sender@example.org a@x.example
	id=$(qids)
	qrun
	cat "$T/qlog" >&2
	# DL_DUMP=DIR keeps each case's log for reading
	if [ -n "${DL_DUMP:-}" ]; then cp "$T/qlog" "$DL_DUMP/$name.log"; fi
	log_has "^minimta/smtp\[[0-9]+\]: $id: to=<a@x.example>, relay=[^,]+, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=$dsn, status=$outcome \(.*$reason" "$T/qlog"
	[ "$(log_count "$id: to=" "$T/qlog")" -eq 1 ]
	case $outcome in
	deferred)
		[ "$(qids)" = "$id" ]
		# the reason is kept for mailq
		run mta -bp
		[[ "$output" == *"$id"* ]]
		qstate_of "$id" | grep -Eq "^P.*$dsn"
		qrun
		log_has "$id: to=<a@x.example>, .*status=sent" "$T/qlog"
		spool_empty
		;;
	bounced)
		# only the report to the sender is left
		[ "$(nqueued)" -eq 1 ]
		[ "$(qids)" != "$id" ]
		qenv | grep -q '^Rsender@example.org\|^R.*sender@example.org'
		;;
	sent)
		spool_empty
		;;
	esac
	[ "$(times_sent)" -eq "$sent" ]
}

@test "faults: 421 at greeting: deferred, retried" {
	fault greeting-421 deferred '4\.[0-9.]+' '421 4\.3\.2 service not available' 1
}

@test "faults: 554 at greeting: deferred (a smarthost refusing us is a setup problem)" {
	fault greeting-554 deferred '5\.3\.2|4\.[0-9.]+' '554 5\.3\.2 no service' 1
}

@test "faults: 421 to EHLO: deferred, retried" {
	fault ehlo-421 deferred '4\.[0-9.]+' '421 4\.3\.2 closing' 1
}

@test "faults: 550 to EHLO: HELO fallback delivers" {
	fault ehlo-550-helo sent '2\.0\.0' '250' 1
	transcript_verbs "$RELAY_TRANSCRIPT" | grep -qx HELO
}

@test "faults: 451 to MAIL: deferred, retried" {
	fault mail-451 deferred '4\.3\.0' '451 4\.3\.0 mail later' 1
}

@test "faults: 553 to MAIL: bounced" {
	fault mail-553 bounced '5\.7\.1' '553 5\.7\.1 sender refused' 0
}

@test "faults: 450 to RCPT: deferred, retried" {
	fault rcpt-450 deferred '4\.2\.1' '450 4\.2\.1 mailbox busy' 1
}

@test "faults: 550 to RCPT: bounced, message not sent" {
	fault rcpt-550 bounced '5\.1\.1' '550 5\.1\.1 no such user' 0
}

@test "faults: 451 to DATA: deferred, retried" {
	fault data-451 deferred '4\.3\.0' '451 4\.3\.0 data later' 1
}

@test "faults: 554 to DATA: bounced" {
	fault data-554 bounced '5\.5\.0' '554 5\.5\.0 no data for you' 0
}

@test "faults: 451 after the final dot: deferred, sent again (refused the first time)" {
	fault dot-451 deferred '4\.3\.0' '451 4\.3\.0 queue full' 2
}

@test "faults: 554 after the final dot: bounced" {
	fault dot-554 bounced '5\.7\.1' '554 5\.7\.1 content refused' 1
}

@test "faults: drop at greeting: deferred, retried" {
	fault drop-greeting deferred '4\.[0-9.]+' 'connection closed|closed by server' 1
}

@test "faults: drop after EHLO: deferred, retried" {
	fault drop-ehlo deferred '4\.[0-9.]+' 'connection closed|closed by server' 1
}

@test "faults: drop at MAIL: deferred, retried" {
	fault drop-mail deferred '4\.4\.2' 'connection closed|closed by server' 1
}

@test "faults: drop at RCPT: deferred, retried" {
	fault drop-rcpt deferred '4\.4\.2' 'connection closed|closed by server' 1
}

@test "faults: drop at DATA: deferred, retried" {
	fault drop-data deferred '4\.4\.2' 'connection closed|closed by server' 1
}

@test "faults: drop after the final dot (RFC 1047 window): deferred and sent again" {
	fault drop-dot deferred '4\.4\.2' 'connection closed|closed by server' 2
}

@test "faults: stall at greeting past command_timeout: deferred, retried" {
	fault stall-greeting deferred '4\.[0-9.]+' 'timeout after 1 s' 1
}

@test "faults: multi-line greeting a line at a time past command_timeout: deferred, retried" {
	fault slow-lines deferred '4\.[0-9.]+' 'timeout after 1 s' 1
}

@test "faults: stall at EHLO past command_timeout: deferred, retried" {
	fault stall-ehlo deferred '4\.[0-9.]+' 'timeout after 1 s' 1
}

@test "faults: stall at MAIL past command_timeout: deferred, retried" {
	fault stall-mail deferred '4\.4\.2' 'timeout after 1 s' 1
}

@test "faults: stall at RCPT past command_timeout: deferred, retried" {
	fault stall-rcpt deferred '4\.4\.2' 'timeout after 1 s' 1
}

@test "faults: stall at DATA past command_timeout: deferred, retried" {
	fault stall-data deferred '4\.4\.2' 'timeout after 1 s' 1
}

@test "faults: stall after the final dot past data_timeout (RFC 1047 window): deferred and sent again" {
	fault stall-dot deferred '4\.4\.2' 'timeout after 2 s' 2
}

@test "faults: malformed reply code: deferred, retried" {
	fault bad-code deferred '4\.5\.0' 'broken reply to MAIL FROM: malformed reply line' 1
}

@test "faults: multi-line reply with mixed codes: deferred, retried" {
	fault mixed-multiline deferred '4\.5\.0' 'reply code changed from 250 to 251' 1
}

@test "faults: over-long reply line: deferred, retried" {
	fault long-line deferred '4\.[0-9.]+' 'line too long \(more than 2048 bytes\)' 1
}

@test "faults: reply of too many lines: deferred, retried" {
	fault many-lines deferred '4\.[0-9.]+' 'reply longer than 100 lines' 1
}

@test "faults: unasked reply after the greeting: caught before EHLO, never taken for a later one" {
	fault extra-greeting deferred '4\.[0-9.]+' 'server sent data before EHLO' 1
}

@test "faults: plaintext right after STARTTLS's 220: refused, nothing sent in clear" {
	fault starttls-inject deferred '4\.[0-9.]+' 'sent data after its 220 reply' 1 \
	    --cert "$CA_DIR/server.pem" --key "$CA_DIR/server.key"
	# connection 1 stopped after STARTTLS: no MAIL, no TLS
	awk '/^#conn 2 open/{exit} {print}' "$RELAY_TRANSCRIPT" >"$T/c1"
	! grep -q '^MAIL' "$T/c1" || false
	! grep -q '^#conn 1 tls TLS' "$T/c1" || false
}

@test "faults: a timeout is our own reason: relay and stage named, never 'host said'" {
	fault stall-greeting deferred '4\.[0-9.]+' 'timeout after 1 s' 1
	log_has "status=deferred \($RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT: the initial greeting: 421 4\.4\.2 .*timeout after 1 s[^()]*\)$" "$T/log"
	run grep -q ' said: ' "$T/log"
	[ "$status" -eq 1 ]
}

@test "faults: a drop mid-transaction: the deferral's log line names the relay" {
	fault drop-rcpt deferred '4\.4\.2' 'connection closed|closed by server' 1
	log_has "to=<a@x.example>, relay=$RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=4\.4\.2, status=deferred" "$T/log"
	run grep -q 'relay=none' "$T/log"
	[ "$status" -eq 1 ]
}
