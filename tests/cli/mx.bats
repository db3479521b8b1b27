#!/usr/bin/env bats
# Delivery by MX (no smarthost): a real DNS server (unbound, tests/lib/
# dns-server.sh) with a zone written here, smtpd.py servers on 127.0.0.x
# sharing one port (config smtp_port): MX preference order, failover to
# the next MX, null MX and NXDOMAIN bounce, SERVFAIL defers.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup_file()
{
	export DNSDIR=$BATS_FILE_TMPDIR/dns
	export DNSADDR=127.0.0.$((RANDOM % 100 + 120))
	DNSPORT=$(free_dns_port "$DNSADDR")
	export DNSPORT
	cat >"$BATS_FILE_TMPDIR/zone" <<'ZONE'
order.dt MX 20 mx-b.order.dt
order.dt MX 10 mx-a.order.dt
mx-a.order.dt A 127.0.0.3
mx-b.order.dt A 127.0.0.4
implicit.dt A 127.0.0.3
nullmx.dt MX 0 .
sender.dt MX 10 mx-a.order.dt
broken.dt SERVFAIL
ZONE
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
	MXPORT=$(free_port 127.0.0.3)
	# the MX hosts are on 127.0.0.x: allowed explicitly (loop.h)
	dl_conf "" "resolver $DNSADDR:$DNSPORT" "smtp_port $MXPORT" \
	    "mx_allow_loopback yes"
}

teardown()
{
	dl_teardown
}

@test "mx: the lowest preference gets the mail" {
	start_smtpd a --host 127.0.0.3 --port "$MXPORT"
	start_smtpd b --host 127.0.0.4 --port "$MXPORT"
	send u@order.dt
	id=$(qids)
	qrun
	log_has "$id: to=<u@order.dt>, relay=mx-a\.order\.dt\[127\.0\.0\.3\]:$MXPORT, .*status=sent" "$T/qlog"
	[ "$(count_eml "$A_SPOOL")" -eq 1 ]
	[ "$(count_eml "$B_SPOOL")" -eq 0 ]
	spool_empty
}

@test "mx: the next MX when the first refuses connections" {
	start_smtpd b --host 127.0.0.4 --port "$MXPORT"
	send u@order.dt
	id=$(qids)
	qrun
	log_has "connect to mx-a\.order\.dt\[127\.0\.0\.3\]:$MXPORT: Connection refused" "$T/qlog"
	log_has "$id: to=<u@order.dt>, relay=mx-b\.order\.dt\[127\.0\.0\.4\]:$MXPORT, .*status=sent" "$T/qlog"
	[ "$(count_eml "$B_SPOOL")" -eq 1 ]
	spool_empty
}

@test "mx: no MX record: the domain's own address (implicit MX)" {
	start_smtpd a --host 127.0.0.3 --port "$MXPORT"
	send u@implicit.dt
	qrun
	[ "$(count_eml "$A_SPOOL")" -eq 1 ]
	spool_empty
}

@test "mx: null MX (RFC 7505) bounces with 5.1.10" {
	start_smtpd a --host 127.0.0.3 --port "$MXPORT"
	send -f s@sender.dt u@nullmx.dt
	id=$(qids)
	qrun
	log_has "$id: to=<u@nullmx.dt>, relay=none, .*dsn=5\.1\.10, status=bounced" "$T/qlog"
	# the report goes to the sender's MX on the next run
	qrun
	[ "$(count_eml "$A_SPOOL")" -eq 1 ]
	grep -q $'^Final-Recipient: rfc822; u@nullmx.dt\r$' "$A_SPOOL/0001.eml"
	grep -q $'^Status: 5.1.10\r$' "$A_SPOOL/0001.eml"
	spool_empty
}

@test "mx: NXDOMAIN bounces with 5.1.2" {
	send -f '<>' u@nosuch.dt
	id=$(qids)
	qrun
	log_has "$id: to=<u@nosuch.dt>, relay=none, .*dsn=5\.1\.2, status=bounced" "$T/qlog"
	spool_empty
}

@test "mx: SERVFAIL defers with 4.4.3" {
	send u@broken.dt
	id=$(qids)
	qrun
	log_has "$id: to=<u@broken.dt>, relay=none, .*dsn=4\.4\.3, status=deferred" "$T/qlog"
	[ "$(qids)" = "$id" ]
}

@test "mx: recipients of one message in two domains go to their own MX" {
	start_smtpd a --host 127.0.0.3 --port "$MXPORT"
	send u@order.dt v@implicit.dt w@broken.dt
	id=$(qids)
	qrun
	[ "$(count_eml "$A_SPOOL")" -eq 2 ]
	log_has "$id: to=<u@order.dt>, .*status=sent" "$T/qlog"
	log_has "$id: to=<v@implicit.dt>, .*status=sent" "$T/qlog"
	log_has "$id: to=<w@broken.dt>, .*status=deferred" "$T/qlog"
	[ "$(qids)" = "$id" ]
	run mta -bp
	[[ "$output" == *"w@broken.dt"* ]]
	[[ "$output" != *"u@order.dt"* ]]
}

@test "mx: -bv shows the MX hosts in order, and says why a domain cannot get mail" {
	run "$MINIMTA" -C "$T/minimta.conf" -bv a@order.dt
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "a@order.dt... deliverable: MX hosts mx-a.order.dt (10) mx-b.order.dt (20), port $MXPORT" ]
	run "$MINIMTA" -C "$T/minimta.conf" -bv a@nullmx.dt
	echo "$output"
	[ "$status" -eq 68 ]
	[[ "$output" == "a@nullmx.dt... undeliverable: "* ]]
	run "$MINIMTA" -C "$T/minimta.conf" -bv a@broken.dt
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == "a@broken.dt... deferred: "* ]]
	# nothing was queued or sent
	[ -z "$(ls -A "$T/spool/queue" 2>/dev/null)" ]
}

@test "mx: with relay_for routes and no smarthost, other senders still go by MX" {
	start_smtpd a --host 127.0.0.3 --port "$MXPORT"
	start_smtpd relay --host 127.0.0.6
	dl_conf "" "resolver $DNSADDR:$DNSPORT" "smtp_port $MXPORT" \
	    "mx_allow_loopback yes" \
	    "relay_for example.org smtp://$RELAY_HOST:$RELAY_PORT"
	send -f shop@example.org u@order.dt
	send -f x@example.net v@order.dt
	qrun
	[ "$(jq -r '.mail_from + ">" + .rcpt_tos[0]' "$RELAY_SPOOL"/*.env)" = "shop@example.org>u@order.dt" ]
	[ "$(jq -r '.mail_from + ">" + .rcpt_tos[0]' "$A_SPOOL"/*.env)" = "x@example.net>v@order.dt" ]
	spool_empty
	run "$MINIMTA" -C "$T/minimta.conf" -bv -f x@example.net a@order.dt
	[ "$output" = "a@order.dt... deliverable: MX hosts mx-a.order.dt (10) mx-b.order.dt (20), port $MXPORT" ]
	run "$MINIMTA" -C "$T/minimta.conf" -bv -f shop@example.org a@order.dt
	[ "$output" = "a@order.dt... deliverable: relay_for example.org: smtp://$RELAY_HOST:$RELAY_PORT" ]
}
