#!/usr/bin/env bats
# sendmail -bs: SMTP on standard input and output (Symfony Mailer and
# friends). Each accepted message is queued through the same submission
# code and acknowledged with its queue id only once committed.

load common

setup() { common_setup; MTA_ARGS=-odq; }
teardown() { common_teardown; }

# session LINES...: one pipelined SMTP session, CRLF line ends.
session() {
	printf '%s\r\n' "$@" | mta -bs 2>"$T/err"
}

@test "bs: greeting, EHLO keywords, one message queued with its id, QUIT" {
	run session "EHLO client.example" "MAIL FROM:<app@example.org>" \
	    "RCPT TO:<a@example.net>" "DATA" "Subject: hi" "" "body" "." "QUIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'220 test.example ESMTP minimta\r' ]
	[ "${lines[1]}" = $'250-test.example\r' ]
	[[ "$output" == *$'250-PIPELINING\r'* ]]
	[[ "$output" == *$'250-8BITMIME\r'* ]]
	[[ "$output" == *$'250-DSN\r'* ]]
	[[ "$output" == *$'250-SMTPUTF8\r'* ]]
	[[ "$output" == *$'250 ENHANCEDSTATUSCODES\r'* ]]
	[[ "$output" != *STARTTLS* ]]
	[[ "$output" != *AUTH* ]]
	[[ "$output" == *$'354 End data with <CR><LF>.<CR><LF>\r'* ]]
	id=$(qfiles)
	[ -n "$id" ]
	[[ "$output" == *"250 2.0.0 Ok: queued as $id"* ]]
	[ "${lines[-1]}" = $'221 2.0.0 Bye\r' ]
	run qenv
	[[ "$output" == *$'\nS15:app@example.org\n'* ]]
	[[ "$output" == *$'\nR13:a@example.net\n'* ]]
	run qmsg
	[[ "${lines[0]}" == "Received: by test.example (minimta, from userid $(id -u))" ]]
	[[ "$output" == *$'Subject: hi\n'* ]]
	[ "${lines[-1]}" = body ]
}

@test "bs: dot-unstuffing, and two messages in one session" {
	run session "HELO c" "MAIL FROM:<a@example.org>" "RCPT TO:<b@example.net>" \
	    "DATA" "Subject: one" "" "..leading dot" "...." ".x" "." \
	    "MAIL FROM:<a@example.org>" "RCPT TO:<c@example.net>" "DATA" \
	    "Subject: two" "" "second" "." "QUIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'queued as' <<<"$output")" -eq 2 ]
	[ "$(qfiles | wc -l)" -eq 2 ]
	one=$(grep -l 'Subject: one' "$T"/spool/queue/[0-9A-V]*)
	sed -n '/^M0:$/,$p' "$one" | tail -n 3 >"$T/body"
	printf '.leading dot\n...\nx\n' | cmp - "$T/body"
	grep -q '^R13:c@example.net$' "$(grep -l 'Subject: two' "$T"/spool/queue/[0-9A-V]*)"
}

@test "bs: DSN parameters are kept: NOTIFY, ORCPT (xtext), RET, ENVID" {
	run session "EHLO c" "MAIL FROM:<a@example.org> RET=HDRS ENVID=QQ+2B123" \
	    "RCPT TO:<b@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;Old+2Bbox@example.net" \
	    "DATA" "Subject: dsn" "" "x" "." "QUIT"
	echo "$output"
	[[ "$output" == *"queued as"* ]]
	run qenv
	echo "$output"
	[[ "$output" == *$'\nE6:QQ+123\n'* ]]
	[[ "$output" == *$'\nN2:12\n'* ]]
	[[ "$output" == *$'\nZ1:H\n'* ]]
	[[ "$output" == *$'\nR13:b@example.net\nO26:rfc822;Old+box@example.net\n'* ]]
}

@test "bs: commands out of order and bad addresses get 5xx, the session goes on" {
	run session "EHLO c" "RCPT TO:<b@example.net>" "DATA" \
	    "MAIL FROM:<bad address>" "MAIL FROM:<a@example.org>" \
	    "MAIL FROM:<a@example.org>" "DATA" "RCPT TO:<b@>" "FROB" "NOOP" \
	    "VRFY root" "RSET" "QUIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[8]}" = $'503 5.5.1 Error: need MAIL command\r' ]
	[ "${lines[9]}" = $'503 5.5.1 Error: need MAIL command\r' ]
	[ "${lines[10]}" = $'501 5.1.7 Bad sender address syntax\r' ]
	[ "${lines[11]}" = $'250 2.1.0 Ok\r' ]
	[ "${lines[12]}" = $'503 5.5.1 Error: nested MAIL command\r' ]
	[ "${lines[13]}" = $'503 5.5.1 Error: need RCPT command\r' ]
	[ "${lines[14]}" = $'501 5.1.3 Bad recipient address syntax\r' ]
	[ "${lines[15]}" = $'502 5.5.2 Error: command not recognized\r' ]
	[ "${lines[16]}" = $'250 2.0.0 Ok\r' ]
	[[ "${lines[17]}" == 252* ]]
	[ "${lines[18]}" = $'250 2.0.0 Ok\r' ]
	[ "${lines[19]}" = $'221 2.0.0 Bye\r' ]
	[ -z "$(qfiles)" ]
}

@test "bs: a message over max_message_size is refused and the session goes on" {
	write_conf "max_message_size 1K"
	big=$(head -c 3000 /dev/zero | tr '\0' a | fold -w 70)
	run session "EHLO c" "MAIL FROM:<a@example.org> SIZE=5000" \
	    "MAIL FROM:<a@example.org>" "RCPT TO:<b@example.net>" "DATA" \
	    "Subject: big" "" "$big" "." \
	    "MAIL FROM:<a@example.org>" "RCPT TO:<b@example.net>" "DATA" \
	    "Subject: small" "" "ok" "." "QUIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'552 5.3.4 Message size exceeds fixed limit\r'* ]]
	[[ "$output" == *"554 5.6.0 Error: message too big"* ]]
	[ "$(grep -c 'queued as' <<<"$output")" -eq 1 ]
	run qmsg
	[[ "$output" == *"Subject: small"* ]]
	[ "${lines[-1]}" = ok ]
}

@test "bs: an over-long command line gets 500 and the session resynchronizes" {
	long=$(head -c 5000 /dev/zero | tr '\0' x)
	run session "EHLO c" "$long" "NOOP" "QUIT"
	echo "$output"
	[[ "$output" == *$'500 5.5.2 Error: line too long\r'* ]]
	[ "${lines[-2]}" = $'250 2.0.0 Ok\r' ]
	[ "${lines[-1]}" = $'221 2.0.0 Bye\r' ]
}

@test "bs: end of input in the middle of DATA queues nothing" {
	run session "EHLO c" "MAIL FROM:<a@example.org>" "RCPT TO:<b@example.net>" \
	    "DATA" "Subject: cut" "" "no final dot"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"queued as"* ]]
	[ -z "$(qfiles)" ]
}

@test "bs: a bad ENVID or NOTIFY is refused at once; nothing unreadable is queued" {
	run session "EHLO c" "MAIL FROM:<a@example.org> ENVID=ab+01cd" \
	    "MAIL FROM:<a@example.org>" \
	    "RCPT TO:<b@example.net> NOTIFY=NEVER,SUCCESS" \
	    "RCPT TO:<b@example.net> NOTIFY=SOMETIMES" \
	    "RCPT TO:<b@example.net> ORCPT=rfc822;success@example.net" \
	    "RCPT TO:<c@example.net> NOTIFY=NEVER" \
	    "DATA" "Subject: x" "" "y" "." "QUIT"
	echo "$output"
	[[ "$output" == *$'501 5.5.4 Bad ENVID\r'* ]]
	[ "$(grep -c '501 5.5.4 Bad NOTIFY' <<<"$output")" -eq 2 ]
	[[ "$output" == *"queued as"* ]]
	# ORCPT's text did not turn SUCCESS on; the first NOTIFY given holds
	run qenv
	echo "$output"
	[[ "$output" == *$'\nN1:1\n'* ]]
	# and the runner can read what was queued
	run mta -bp
	[[ "$output" == *"-- 1 Kbytes in 1 Request."* ]]
}

@test "bs: RET takes FULL or HDRS only (RET=HDRSX was HDRS, RET=BOGUS was ignored)" {
	run session "EHLO c" "MAIL FROM:<a@example.org> RET=HDRSX" \
	    "MAIL FROM:<a@example.org> RET=BOGUS" \
	    "MAIL FROM:<a@example.org> RET=full" "RCPT TO:<b@example.net>" \
	    "DATA" "Subject: x" "" "y" "." "QUIT"
	echo "$output"
	[ "$(grep -c '501 5.5.4 Bad RET' <<<"$output")" -eq 2 ]
	[[ "$output" == *"queued as"* ]]
	run qenv
	[[ "$output" == *$'\nZ1:F\n'* ]]
}

@test "bs: an ORCPT whose xtext holds an encoded space is kept (it was dropped)" {
	run session "EHLO c" "MAIL FROM:<a@example.org>" \
	    "RCPT TO:<b@example.net> ORCPT=rfc822;\"Old+20Box\"@example.net" \
	    "DATA" "Subject: x" "" "y" "." "QUIT"
	echo "$output"
	[[ "$output" == *"queued as"* ]]
	run qenv
	echo "$output"
	[[ "$output" == *$'\nR13:b@example.net\nO28:rfc822;"Old Box"@example.net\n'* ]]
}
