#!/usr/bin/env bats
# Mail loops (issue 8, "Loops"; src/delivery/loop.h): more Received:
# fields than max_hops are refused at submission (65, -bs 554 5.4.6) and
# bounced at delivery (5.4.6) when a message got queued anyway; an MX
# host that is this host (loopback unless mx_allow_loopback, or an
# address of one of its interfaces) is a loop (5.4.6), never a
# connection. Real servers: aiosmtpd, unbound with a zone written here.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

# One global address of this host (not loopback), or nothing.
own_ip() {
	hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' |
	    grep -v '^127\.' | head -n 1
}

setup_file()
{
	export DNSDIR=$BATS_FILE_TMPDIR/dns
	export DNSADDR=127.0.0.$((RANDOM % 100 + 120))
	DNSPORT=$(free_dns_port "$DNSADDR")
	export DNSPORT
	OWNIP=$(own_ip)
	export OWNIP
	{
		echo "lo4.dt MX 10 mx.lo4.dt"
		echo "mx.lo4.dt A 127.0.0.1"
		echo "lo6.dt MX 10 mx.lo6.dt"
		echo "mx.lo6.dt AAAA ::1"
		echo "zero.dt A 0.0.0.0"
		echo "allowed.dt MX 10 mx.allowed.dt"
		echo "mx.allowed.dt A 127.0.0.5"
		echo "down.dt A 127.0.0.6"
		if [ -n "$OWNIP" ]; then
			echo "self.dt MX 10 mx.self.dt"
			echo "mx.self.dt A $OWNIP"
			# self first: the less preferred host is never tried
			echo "worse.dt MX 10 mx.self.dt"
			echo "worse.dt MX 20 mx.allowed.dt"
			# self in the middle: only the better one is tried
			echo "middle.dt MX 10 down.dt"
			echo "middle.dt MX 20 mx.self.dt"
			echo "middle.dt MX 30 mx.allowed.dt"
		fi
	} >"$BATS_FILE_TMPDIR/zone"
	"$BATS_TEST_DIRNAME/../lib/dns-server.sh" start "$DNSDIR" "$DNSADDR" \
	    "$DNSPORT" "$BATS_FILE_TMPDIR/zone"
}

teardown_file()
{
	"$BATS_TEST_DIRNAME/../lib/dns-server.sh" stop "$DNSDIR"
}

setup()
{
	dl_setup
}

teardown()
{
	dl_teardown
}

# received N: N Received: fields, as relays in a loop would add them.
received() {
	local i
	for i in $(seq 1 "$1"); do
		printf 'Received: from h%d.example (h%d.example [192.0.2.%d])\n' \
		    "$i" "$i" "$((i % 250 + 1))"
		printf '\tby h%d.example with ESMTP id X%d; Mon, 7 Dec 2026 01:00:00 +0000\n' \
		    "$((i + 1))" "$i"
	done
}

# hops_msg N: a message with N Received: fields.
hops_msg() {
	received "$1"
	printf 'From: a@example.org\nTo: b@example.net\nSubject: loop\n\nbody\n'
}

# mx_conf [extra lines]: MX delivery through the test DNS on $MXPORT.
mx_conf() {
	dl_conf "" "resolver $DNSADDR:$DNSPORT" "smtp_port $MXPORT" "$@"
}

# no_peer NAME_LOG: the aiosmtpd server with that log saw no connection.
no_peer() {
	! grep -q 'Peer:' "$1" || { cat "$1" >&2; false; }
}

@test "loop: 60 Received: fields: submission refuses with 65 and a clear error, nothing queued" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	run mta -odq -f a@example.org b@example.net < <(hops_msg 60)
	[ "$status" -eq 65 ]
	[[ "$output" == *"mail loop: too many hops (61 Received: header fields, max_hops 50)"* ]]
	spool_empty
	# -odi (deliver now): still nothing reaches the relay
	run mta -odi -f a@example.org b@example.net < <(hops_msg 60)
	[ "$status" -eq 65 ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	no_peer "$RELAY_LOG"
}

@test "loop: max_hops counts the Received: line minimta adds: 49 pass, 50 are refused" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	hops_msg 49 | mta -odq -f a@example.org b@example.net 2>>"$T/log"
	[ "$(qmsg | grep -c '^Received:')" -eq 50 ]
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(grep -c '^Received:' "$RELAY_SPOOL/0001.eml")" -eq 50 ]
	spool_empty
	run mta -odq -f a@example.org b@example.net < <(hops_msg 50)
	[ "$status" -eq 65 ]
	[[ "$output" == *"(51 Received: header fields, max_hops 50)"* ]]
	# the key sets the limit
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "max_hops 3"
	run mta -odq -f a@example.org b@example.net < <(hops_msg 2)
	[ "$status" -eq 0 ]
	rm -f "$T"/spool/queue/*
	run mta -odq -f a@example.org b@example.net < <(hops_msg 3)
	[ "$status" -eq 65 ]
	[[ "$output" == *"(4 Received: header fields, max_hops 3)"* ]]
}

@test "loop: -bs answers 554 5.4.6 to a looping message and takes the next one" {
	dl_conf "smtp://127.0.0.1:1"
	{
		printf 'EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n'
		hops_msg 60 | sed 's/$/\r/'
		printf '.\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n'
		hops_msg 1 | sed 's/$/\r/'
		printf '.\r\nQUIT\r\n'
	} | mta -odq -bs >"$T/out" 2>>"$T/log"
	grep -q $'^554 5\\.4\\.6 Error: mail loop: too many hops (61 Received: header fields, max_hops 50)\r$' "$T/out"
	grep -q '^250 2\.0\.0 Ok: queued as ' "$T/out"
	[ "$(qfiles | wc -l)" -eq 1 ]
}

# bs_socket MINIMTA ARGS... < DIALOGUE: runs "MINIMTA ARGS -bs" with a TCP
# connection as its standard input and output (as minimta-smtp@.service
# does: the session records its peer and adds its Received: line), sends
# the dialogue and prints the replies.
bs_socket() {
	"$PYTHON" -c '
import socket, subprocess, sys
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
c = socket.create_connection(l.getsockname())
s, _ = l.accept()
p = subprocess.Popen(sys.argv[1:], stdin=s, stdout=s)
s.close()
c.sendall(sys.stdin.buffer.read())
c.shutdown(socket.SHUT_WR)
while True:
    b = c.recv(65536)
    if not b:
        break
    sys.stdout.buffer.write(b)
p.wait()' "$@"
}

@test "loop: -bs on a socket by another user: both added Received: lines count, submission and delivery agree" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (setpriv to nobody)"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    test -x "$MINIMTA"; then
		cp "$MINIMTA" "$T/minimta"
		chmod 0755 "$T/minimta"
		MINIMTA=$T/minimta
	fi
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "max_hops 5"
	chmod 0644 "$T/minimta.conf"
	mta -bp >/dev/null
	# 3 given + the session's + pickup's = 5: accepted and sent; 4: refused
	for n in 3 4; do
		{
			printf 'EHLO c\r\nMAIL FROM:<a@example.org>\r\n'
			printf 'RCPT TO:<b%s@example.net>\r\nDATA\r\n' "$n"
			hops_msg "$n" | sed 's/$/\r/'
			printf '.\r\nQUIT\r\n'
		} | bs_socket setpriv --reuid=nobody --regid=nogroup \
		    --clear-groups "$MINIMTA" -C "$T/minimta.conf" -odq -bs \
		    >"$T/out$n" 2>>"$T/log"
	done
	grep -q '^250 2\.0\.0 Ok: queued as ' "$T/out3"
	grep -q $'^554 5\\.4\\.6 Error: mail loop: too many hops (6 Received: header fields, max_hops 5)\r$' "$T/out4"
	qrun
	log_has "to=<b3@example.net>, relay=$RELAY_HOST.*status=sent" "$T/qlog"
	[ "$(grep -c '^Received:' "$RELAY_SPOOL/0001.eml")" -eq 5 ]
	grep -q '^Received: from c (\[127\.0\.0\.1\])' "$RELAY_SPOOL/0001.eml"
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
}

@test "loop: a queued message over max_hops bounces with 5.4.6 at delivery, never sent" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	# queued past the check (-O, as a hand-made drop file would be)
	hops_msg 60 | mta -odq -O max_hops=100 -f a@example.org b@example.net \
	    2>>"$T/log"
	id=$(qids)
	qrun
	log_has "$id: to=<b@example.net>, relay=none, .*dsn=5\.4\.6, status=bounced \(mail loop: too many hops \(61 Received: header fields, max_hops 50\)\)" "$T/qlog"
	log_has "minimta/bounce\[[0-9]+\]: $id: sender non-delivery notification: " "$T/qlog"
	# whatever reached the relay is the bounce, from <>, never the loop
	# (aiosmtpd writes the null sender as "<>")
	for e in "$RELAY_SPOOL"/*.env; do
		[ -e "$e" ] || continue
		[ "$(envf "$e" .mail_from)" = '"<>"' ]
		[ "$(envf "$e" .rcpt_tos)" = '["a@example.org"]' ]
	done
	[ ! -e "$T/spool/queue/$id" ]
}

@test "loop: a drop file by nobody over max_hops is picked up and bounced with 5.4.6" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (setpriv to nobody)"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    test -x "$MINIMTA"; then
		cp "$MINIMTA" "$T/minimta"
		chmod 0755 "$T/minimta"
		MINIMTA=$T/minimta
	fi
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	chmod 0644 "$T/minimta.conf"
	mta -bp >/dev/null
	hops_msg 60 | setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$MINIMTA" -C "$T/minimta.conf" -odq -O max_hops=1000 \
	    b@example.net 2>>"$T/log"
	qrun
	log_has "minimta/pickup\[[0-9]+\]: [0-9A-Z]+: uid=65534 from=" "$T/qlog"
	log_has "to=<b@example.net>, relay=none, .*dsn=5\.4\.6, status=bounced \(mail loop" "$T/qlog"
	log_has "sender non-delivery notification: " "$T/qlog"
	# the run sends the report too (the drop file was tried before the
	# look at queue/); the loop itself never reached the relay
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	e=$(ls "$RELAY_SPOOL"/*.env)
	[ "$(envf "$e" .mail_from)" = '"<>"' ]
	[ "$(envf "$e" .rcpt_tos)" = '["nobody@example.org"]' ]
}

@test "loop: an MX on 127.0.0.1 bounces with 5.4.6 without a connection" {
	MXPORT=$(free_port 127.0.0.1)
	start_smtpd mx --host 127.0.0.1 --port "$MXPORT"
	mx_conf
	send -f a@example.org u@lo4.dt
	id=$(qids)
	qrun
	log_has "$id: to=<u@lo4\.dt>, relay=none, .*dsn=5\.4\.6, status=bounced \(mail for lo4\.dt loops back to myself \(MX host mx\.lo4\.dt\[127\.0\.0\.1\] is this host\)\)" "$T/qlog"
	[ "$(count_eml "$MX_SPOOL")" -eq 0 ]
	no_peer "$MX_LOG"
}

@test "loop: an MX on ::1 bounces with 5.4.6 without a connection" {
	MXPORT=$("$PYTHON" -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))
print(s.getsockname()[1])' 2>/dev/null) || skip "no IPv6 loopback"
	start_smtpd mx --host ::1 --port "$MXPORT"
	mx_conf
	send -f a@example.org u@lo6.dt
	qrun
	log_has "to=<u@lo6\.dt>, relay=none, .*dsn=5\.4\.6, status=bounced \(mail for lo6\.dt loops back to myself \(MX host mx\.lo6\.dt\[::1\] is this host\)\)" "$T/qlog"
	no_peer "$MX_LOG"
}

@test "loop: 0.0.0.0 (implicit MX) and a [127.0.0.1] domain literal are this host too" {
	MXPORT=$(free_port 127.0.0.1)
	start_smtpd mx --host 127.0.0.1 --port "$MXPORT"
	mx_conf
	send -f a@example.org u@zero.dt 'v@[127.0.0.1]'
	qrun
	log_has "to=<u@zero\.dt>, relay=none, .*dsn=5\.4\.6, status=bounced \(mail for zero\.dt loops back to myself \(MX host zero\.dt\[0\.0\.0\.0\] is this host\)\)" "$T/qlog"
	log_has "to=<v@\[127\.0\.0\.1\]>, relay=none, .*dsn=5\.4\.6, status=bounced" "$T/qlog"
	no_peer "$MX_LOG"
}

@test "loop: mx_allow_loopback yes delivers to an MX on 127.0.0.x" {
	MXPORT=$(free_port 127.0.0.5)
	start_smtpd mx --host 127.0.0.5 --port "$MXPORT"
	mx_conf "mx_allow_loopback yes"
	send -f a@example.org u@allowed.dt
	qrun
	log_has "to=<u@allowed\.dt>, relay=mx\.allowed\.dt\[127\.0\.0\.5\]:$MXPORT, .*status=sent" "$T/qlog"
	[ "$(count_eml "$MX_SPOOL")" -eq 1 ]
	# and without it, the same MX is a loop
	mx_conf
	send -f a@example.org u@allowed.dt
	qrun
	log_has "to=<u@allowed\.dt>, relay=none, .*dsn=5\.4\.6, status=bounced" "$T/qlog"
	[ "$(count_eml "$MX_SPOOL")" -eq 1 ]
}

@test "loop: an MX that is one of this host's own addresses bounces with 5.4.6, even with mx_allow_loopback" {
	[ -n "$OWNIP" ] || skip "this host has no global IPv4 address"
	MXPORT=$(free_port "$OWNIP")
	start_smtpd mx --host "$OWNIP" --port "$MXPORT"
	start_smtpd alt --host 127.0.0.5 --port "$MXPORT"
	mx_conf "mx_allow_loopback yes"
	send -f a@example.org u@self.dt w@worse.dt
	qrun
	log_has "to=<u@self\.dt>, relay=none, .*dsn=5\.4\.6, status=bounced \(mail for self\.dt loops back to myself \(MX host mx\.self\.dt\[$OWNIP\] is this host\)\)" "$T/qlog"
	# this host is the best MX: the one after it would send it back
	log_has "to=<w@worse\.dt>, relay=none, .*dsn=5\.4\.6, status=bounced" "$T/qlog"
	no_peer "$MX_LOG"
	no_peer "$ALT_LOG"
}

@test "loop: MX hosts after this host in preference are dropped, better ones are tried" {
	[ -n "$OWNIP" ] || skip "this host has no global IPv4 address"
	MXPORT=$(free_port 127.0.0.5)
	start_smtpd alt --host 127.0.0.5 --port "$MXPORT"
	mx_conf "mx_allow_loopback yes"
	send -f a@example.org u@middle.dt
	qrun
	# down.dt (127.0.0.6) refuses; mx.self.dt and mx.allowed.dt are
	# never tried: deferred, not bounced, not sent
	log_has "connect to down\.dt\[127\.0\.0\.6\]:$MXPORT: Connection refused" "$T/qlog"
	log_has "MX host mx\.self\.dt\[$OWNIP\] of middle\.dt is this host: only the 1 more preferred are tried" "$T/qlog"
	log_has "to=<u@middle\.dt>, .*status=deferred" "$T/qlog"
	no_peer "$ALT_LOG"
	[ "$(qfiles | wc -l)" -eq 1 ]
}
