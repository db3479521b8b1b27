#!/usr/bin/env bats
# Relay policy: routes chosen by the envelope sender (relay_for), several
# relays per route in failover or round-robin order (smarthost_order),
# caps over a sliding window (relay_limit) counted in spool/ratelimit/ and
# shared by every runner, and -bv showing the route. Real aiosmtpd relays
# on 127.0.0.2, 127.0.0.3 ...; which relay got what is read from their
# spools.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=90

setup()
{
	dl_setup
}

teardown()
{
	dl_teardown
}

# url NAME: the smtp:// URL of a started relay.
url()
{
	local v
	v=$(_servers_var "$1")
	eval "echo smtp://\${${v}_HOST}:\${${v}_PORT}"
}

# spool_of NAME
spool_of()
{
	local v
	v=$(_servers_var "$1")
	eval "echo \${${v}_SPOOL}"
}

# got NAME: "sender>rcpt" of each message a relay got, sorted.
got()
{
	local d
	d=$(spool_of "$1")
	cat "$d"/*.env 2>/dev/null |
	    jq -r '.mail_from + ">" + (.rcpt_tos | join(","))' | sort
}

n_got()
{
	count_eml "$(spool_of "$1")"
}

# has_n NAME N: the relay got N messages (for wait_until).
has_n()
{
	[ "$(n_got "$1")" -eq "$2" ]
}

# sendn N SENDER: N messages from SENDER to r1..rN@x.example.
sendn()
{
	local i
	for i in $(seq "$1"); do
		send -f "$2" "r$i@x.example"
	done
}

# reasons: the deferral reasons mailq shows, one a line.
reasons()
{
	"$MINIMTA" -C "$T/minimta.conf" -bp 2>/dev/null | sed -n 's/^(\(.*\))$/\1/p'
}

@test "relays: the sender picks the route: address before domain, others and <> take the default" {
	start_smtpd def
	start_smtpd org
	start_smtpd shop
	start_smtpd com
	dl_conf "$(url def)" \
	    "relay_for example.org $(url org)" \
	    "relay_for shop@example.com $(url shop)" \
	    "relay_for EXAMPLE.com $(url com)"
	send -f alice@example.org a@x.example b@y.example
	send -f Shop@Example.COM c@x.example
	send -f other@example.com d@x.example
	send -f bob@sub.example.org e@x.example
	send -f '<>' f@x.example
	qrun
	[ "$(got org)" = "alice@example.org>a@x.example,b@y.example" ]
	[ "$(got shop)" = "Shop@Example.COM>c@x.example" ]
	[ "$(got com)" = "other@example.com>d@x.example" ]
	# subdomains are not the domain; a bounce (<>) takes the default
	[ "$(got def | tr "\n" " ")" = "<>>f@x.example bob@sub.example.org>e@x.example " ]
	spool_empty
}

@test "relays: relay_for <> gives bounces a route of their own" {
	start_smtpd def
	start_smtpd bounces
	dl_conf "$(url def)" "relay_for <> $(url bounces)"
	send -f '<>' a@x.example
	send -f u@example.net b@x.example
	qrun
	[ "$(got bounces)" = "<>>a@x.example" ]
	[ "$(got def)" = "u@example.net>b@x.example" ]
}

@test "relays: a route's relays fail over in order; the first that answers gets the mail" {
	start_smtpd two
	start_smtpd three
	dead=$(free_port 127.0.0.9)
	dl_conf "" "relay_for example.org smtp://127.0.0.9:$dead $(url two) $(url three)"
	sendn 3 a@example.org
	qrun
	log_has "connect to 127\.0\.0\.9\[127\.0\.0\.9\]:$dead: Connection refused" "$T/qlog"
	[ "$(n_got two)" -eq 3 ]
	[ "$(n_got three)" -eq 0 ]
	# the dead relay is tried once per batch, not per message
	[ "$(log_count "127\.0\.0\.9.*Connection refused" "$T/qlog")" -eq 1 ]
	spool_empty
}

@test "relays: roundrobin spreads messages least used first; a relay that is down is skipped" {
	start_smtpd a
	start_smtpd b
	start_smtpd c
	dl_conf "" "smarthost_order roundrobin" \
	    "relay_for example.org $(url a) $(url b) $(url c)"
	sendn 9 s@example.org
	qrun
	[ "$(n_got a)" -eq 3 ]
	[ "$(n_got b)" -eq 3 ]
	[ "$(n_got c)" -eq 3 ]
	# the counts are kept: the next run goes on from them
	stop_server b
	sendn 4 s@example.org
	qrun
	[ "$(n_got a)" -eq 5 ]
	[ "$(n_got c)" -eq 5 ]
	spool_empty
}

@test "relays: a cap of 5/h with 12 messages: 5 sent, 7 wait with the reason, none bounced" {
	start_smtpd p
	start_smtpd other
	dl_conf "$(url other)" "relay_for example.org $(url p)" \
	    "relay_limit $P_HOST 5/h"
	sendn 12 shop@example.org
	sendn 3 web@example.net
	qrun
	[ "$(n_got p)" -eq 5 ]
	# other routes proceed
	[ "$(n_got other)" -eq 3 ]
	[ "$(nqueued)" -eq 7 ]
	# the first waits for the next slot; the rest get the slots after
	reasons | head -1 | grep -Eqx "rate limit of $P_HOST reached \(5/h\); next slot in (59m|1h)"
	[ "$(reasons | wc -l)" -eq 7 ]
	[ "$(log_count "status=deferred \(rate limit of $P_HOST reached \(5/h\); next slot in [0-9hm]+\)" "$T/qlog")" -eq 7 ]
	log_has "dsn=4\.4\.5, status=deferred \(rate limit" "$T/qlog"
	! grep -q "status=bounced" "$T/log"
	# no report was queued, nothing went to <> anywhere
	for id in $(qids); do
		qenv_of=$(sed -n 1,/^M0:/p "$T/spool/queue/$id")
		[[ "$qenv_of" == *shop@example.org* ]]
	done
	# the next try is the slot, about an hour away
	now=$(date +%s)
	for id in $(qids); do
		w=$(sed -n 's/^W[0-9]*://p' "$T/spool/queue/$id.state")
		[ "$w" -ge $((now + 3500)) ]
		[ "$w" -le $((now + 3 * 3600 + 60)) ]
	done
	# kept across a restart: a new run sends none of the 7
	qrun
	[ "$(n_got p)" -eq 5 ]
	[ "$(nqueued)" -eq 7 ]
	# the counter file, in the spool
	head -1 "$T/spool/ratelimit/$P_HOST.h" | grep -qx "MINIMTA-RATE 1 3600 361 $P_HOST"
}

@test "relays: two runners started together share the count" {
	start_smtpd p
	dl_conf "" "relay_for example.org $(url p) " "relay_limit $P_HOST 5/h" \
	    "concurrency 8"
	sendn 12 shop@example.org
	"$MINIMTA" -C "$T/minimta.conf" -q 2>"$T/q1" &
	p1=$!
	"$MINIMTA" -C "$T/minimta.conf" -q 2>"$T/q2" &
	p2=$!
	wait "$p1"
	wait "$p2"
	cat "$T/q1" "$T/q2" >>"$T/log"
	[ "$(n_got p)" -eq 5 ]
	[ "$(nqueued)" -eq 7 ]
	! grep -q "status=bounced" "$T/log"
	qrun
	[ "$(n_got p)" -eq 5 ]
}

@test "relays: the daemon and -q share the count" {
	start_smtpd p
	dl_conf "" "relay_for example.org $(url p)" "relay_limit $P_HOST 4/h"
	sendn 3 shop@example.org
	dl_bg "$MINIMTA" -C "$T/minimta.conf" -q1h 2>>"$T/log"
	wait_until 10 has_n p 3
	sendn 3 shop@example.org
	qrun
	[ "$(n_got p)" -eq 4 ]
	[ "$(nqueued)" -eq 2 ]
}

@test "relays: in a round-robin route a capped relay is skipped, the others take the mail" {
	start_smtpd a
	start_smtpd b
	dl_conf "" "smarthost_order roundrobin" \
	    "smarthost $(url a)" "smarthost $(url b)" "relay_limit $A_HOST 2/h"
	sendn 8 s@example.org
	qrun
	[ "$(n_got a)" -eq 2 ]
	[ "$(n_got b)" -eq 6 ]
	spool_empty
}

@test "relays: a capped route waits; it never borrows another route's relay" {
	start_smtpd p
	start_smtpd def
	dl_conf "$(url def)" "relay_for example.org $(url p)" \
	    "relay_limit $P_HOST 1/h"
	sendn 3 shop@example.org
	qrun
	[ "$(n_got p)" -eq 1 ]
	[ "$(n_got def)" -eq 0 ]
	[ "$(nqueued)" -eq 2 ]
}

@test "relays: a message waiting for a slot is not expired by queue_lifetime" {
	start_smtpd p
	dl_conf "" "relay_for example.org $(url p)" "relay_limit $P_HOST 1/h" \
	    "queue_lifetime 0s"
	sendn 2 shop@example.org
	qrun
	[ "$(n_got p)" -eq 1 ]
	[ "$(nqueued)" -eq 1 ]
	! grep -Eq "status=(bounced|expired)" "$T/log"
}

@test "relays: when the window has moved on, the waiting mail goes" {
	start_smtpd p
	dl_conf "" "relay_for example.org $(url p)" "relay_limit $P_HOST 2/h"
	sendn 4 shop@example.org
	qrun
	[ "$(n_got p)" -eq 2 ]
	f=$T/spool/ratelimit/$P_HOST.h
	# an hour later: every bucket start moves back by the ring's length,
	# 361 buckets of 10 s (the same record, so the file stays valid)
	awk 'NR == 1 { print; next }
	    { s = $1 + 0; if (s > 0) s -= 3610;
	      printf "%012d %s\n", s, $2 }' "$f" >"$f.new"
	cat "$f.new" >"$f"
	qrun
	[ "$(n_got p)" -eq 4 ]
	spool_empty
}

@test "relays: a corrupt counter file counts as full for one window, and is rewritten" {
	start_smtpd p
	dl_conf "" "relay_for example.org $(url p)" "relay_limit $P_HOST 3/h"
	sendn 1 shop@example.org
	qrun
	[ "$(n_got p)" -eq 1 ]
	f=$T/spool/ratelimit/$P_HOST.h
	printf 'garbage\n' >"$f"
	sendn 2 shop@example.org
	qrun
	[ "$(n_got p)" -eq 1 ]
	log_has "ratelimit/$P_HOST\.h: .*counted as full for one window" "$T/qlog"
	reasons | grep -q "rate limit of $P_HOST reached (3/h)"
	head -1 "$f" | grep -qx "MINIMTA-RATE 1 3600 361 $P_HOST"
	[ "$(wc -c <"$f")" -eq $(( $(head -1 "$f" | wc -c) + 361 * 23 )) ]
}

@test "relays: a user@host limit caps one account, a host limit all of them" {
	start_smtpd p --auth alice:secret --auth bob:secret --auth-without-tls
	cat >"$T/auth" <<EOF2
$P_HOST alice secret
$P_HOST bob secret
EOF2
	chmod 600 "$T/auth"
	dl_conf "" "auth_file $T/auth" "auth_plaintext yes" \
	    "relay_for a.example smtp://alice@$P_HOST:$P_PORT" \
	    "relay_for b.example smtp://bob@$P_HOST:$P_PORT" \
	    "relay_limit alice@$P_HOST 1/h" "relay_limit $P_HOST 3/h"
	# one after the other: both routes count against the host's cap
	sendn 3 u@a.example
	qrun
	sendn 3 u@b.example
	qrun
	[ "$(got p | grep -c '^u@a.example')" -eq 1 ]
	[ "$(got p | grep -c '^u@b.example')" -eq 2 ]
	[ "$(jq -r .auth "$P_SPOOL"/*.env | sort | tr '\n' ' ')" = "alice bob bob " ]
	reasons | grep -q "rate limit of alice@$P_HOST reached (1/h)"
	reasons | grep -q "rate limit of $P_HOST reached (3/h)"
}

@test "relays: -bv shows the route of the sender and recipient" {
	dl_conf "smtp://127.0.0.1:2525" "smarthost_order roundrobin" \
	    "relay_for example.org smtp://127.0.0.2:25 smtps://127.0.0.3:465" \
	    "relay_for boss@example.org smtp+starttls://127.0.0.4:587" \
	    "relay_limit 127.0.0.2 100/h" "relay_limit 127.0.0.2 2000/d"
	run "$MINIMTA" -C "$T/minimta.conf" -bv -f alice@example.org bob@x.example
	[ "$status" -eq 0 ]
	[ "$output" = "bob@x.example... deliverable: relay_for example.org: smtp://127.0.0.2:25 (limit 100/h, 2000/d), smtps://127.0.0.3:465 (roundrobin)" ]
	run "$MINIMTA" -C "$T/minimta.conf" -bv -f Boss@Example.org bob@x.example
	[ "$output" = "bob@x.example... deliverable: relay_for boss@example.org: smtp+starttls://127.0.0.4:587" ]
	run "$MINIMTA" -C "$T/minimta.conf" -bv -f '<>' bob@x.example
	[ "$output" = "bob@x.example... deliverable: smarthost smtp://127.0.0.1:2525" ]
	run "$MINIMTA" -C "$T/minimta.conf" -bv -f x@example.net bob@x.example
	[ "$output" = "bob@x.example... deliverable: smarthost smtp://127.0.0.1:2525" ]
}

@test "relays: bad relay_for and relay_limit lines are config errors naming the line" {
	dl_conf "" "relay_for example.org"
	run "$MINIMTA" -C "$T/minimta.conf" -bv a@x.example
	[ "$status" -eq 78 ]
	[[ "$output" == *"minimta.conf:"*": relay_for: want \"SENDER URL...\" (at least one relay)"* ]]
	dl_conf "" "relay_for example.org smtp://u:pw@relay.example:587"
	run "$MINIMTA" -C "$T/minimta.conf" -bv a@x.example
	[ "$status" -eq 78 ]
	[[ "$output" == *"auth_file"* ]]
	[[ "$output" != *"pw"* ]]
	dl_conf "" "relay_limit relay.example 100/w"
	run "$MINIMTA" -C "$T/minimta.conf" -bv a@x.example
	[ "$status" -eq 78 ]
	[[ "$output" == *"relay_limit: want a rate N/h or N/d"* ]]
}

@test "relays: killed after counting, before sending: the message waits, the cap holds" {
	start_smtpd p
	dl_conf "" "relay_for example.org $(url p)" "relay_limit $P_HOST 2/h"
	sendn 3 shop@example.org
	for point in ratelimit.after-write ratelimit.after-take; do
		rc=0
		MINIMTA_CRASH_AT=$point:1 "$MINIMTA" -C "$T/minimta.conf" -q \
		    2>>"$T/log" || rc=$?
		# SIGKILL: 137 from the shell
		[ "$rc" -eq 137 ]
	done
	# two slots were counted, nothing was sent, no lock was left held
	[ "$(n_got p)" -eq 0 ]
	qrun
	[ "$(n_got p)" -eq 0 ]
	[ "$(nqueued)" -eq 3 ]
	reasons | grep -q "rate limit of $P_HOST reached (2/h)"
	head -1 "$T/spool/ratelimit/$P_HOST.h" | grep -qx "MINIMTA-RATE 1 3600 361 $P_HOST"
}

@test "relays: the daemon wakes for the slot and sends what waited for it" {
	start_smtpd p
	dl_conf "" "relay_for example.org $(url p)" "relay_limit $P_HOST 1/h"
	mkdir -p -m 700 "$T/spool/ratelimit"
	# one message counted 59m40s ago: the slot comes back in about 30s
	# (its 10 s bucket counts until it has left the window)
	now=$(date +%s)
	s=$(( (now - 3580) / 10 * 10 ))
	{
		echo "MINIMTA-RATE 1 3600 361 $P_HOST"
		for i in $(seq 0 360); do
			if [ "$i" -eq $(( s / 10 % 361 )) ]; then
				printf '%012d %09d\n' "$s" 1
			else
				printf '%012d %09d\n' 0 0
			fi
		done
	} >"$T/spool/ratelimit/$P_HOST.h"
	sendn 1 shop@example.org
	dl_bg "$MINIMTA" -C "$T/minimta.conf" -q1h 2>>"$T/log"
	wait_until 10 grep -Eq "status=deferred \(rate limit of $P_HOST reached \(1/h\); next slot in (19|2[0-9]|3[0-9])s\)" "$T/log"
	[ "$(n_got p)" -eq 0 ]
	# no trigger, no interval: the slot wakes it
	wait_until 60 has_n p 1
	wait_until 10 spool_empty
}
