#!/usr/bin/env bats
# Delivery state and reports (issue 6): the state is saved after each SMTP
# transaction (VERP), one report per message and run however many
# destinations failed, pending reports survive a crash, the state file of
# a large message stays readable, -odi after queueing, a slow multi-line
# reply within one deadline, UTF-8 senders' reports.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=120

setup_file()
{
	export DNSDIR=$BATS_FILE_TMPDIR/dns
	export DNSADDR=127.0.0.$((RANDOM % 100 + 120))
	DNSPORT=$(free_dns_port "$DNSADDR")
	export DNSPORT
	cat >"$BATS_FILE_TMPDIR/zone" <<'ZONE'
one.dt MX 0 .
two.dt MX 0 .
three.dt MX 0 .
sender.dt MX 10 mx.sender.dt
slow1.dt SERVFAIL
slow2.dt SERVFAIL
mx.sender.dt A 127.0.0.3
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
}

teardown()
{
	dl_teardown
}

# crashrun POINT: one queue run killed at POINT; fails unless it was.
crashrun()
{
	local rc=0
	MINIMTA_CRASH_AT=$1 "$MINIMTA" -C "$T/minimta.conf" -q \
	    2>"$T/qlog" || rc=$?
	cat "$T/qlog" >>"$T/log"
	echo "crash run at $1: exit $rc" >&2
	[ "$rc" -eq 137 ]
}

# older_than S FILE: FILE's mtime is more than S seconds ago.
older_than()
{
	[ $(($(date +%s) - $(stat -c %Y "$2"))) -gt "$1" ]
}

# rcpt_counts: "N addr" for every recipient the relay got, sorted.
rcpt_counts()
{
	local f
	for f in "$RELAY_SPOOL"/*.env; do
		[ -e "$f" ] && jq -r '.rcpt_tos[]' "$f"
	done | sort | uniq -c | awk '{print $1, $2}'
}

@test "reports: VERP, crash after the first transaction's state: each recipient gets it once" {
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -XV -f list@example.org a@x.example b@x.example c@x.example
	id=$(qids)
	crashrun deliver.after-state:1
	# the first transaction is recorded as done
	qstate_of "$id" | grep -qx 'D1:0'
	qrun
	[ "$(rcpt_counts)" = $'1 a@x.example\n1 b@x.example\n1 c@x.example' ]
	spool_empty
}

@test "reports: one message to three failing domains: ONE report listing all three" {
	dl_conf "" "resolver $DNSADDR:$DNSPORT" "mx_allow_loopback yes"
	send -f u@sender.dt a@one.dt b@two.dt c@three.dt
	id=$(qids)
	qrun
	log_has "$id: to=<a@one.dt>, .*status=bounced" "$T/qlog"
	log_has "$id: to=<c@three.dt>, .*status=bounced" "$T/qlog"
	log_has "$id: removed" "$T/qlog"
	[ "$(log_count "$id: sender non-delivery notification: " "$T/qlog")" \
	    -eq 1 ]
	f=$(one_qfile)
	grep -q '^Ru@sender.dt\|^R.*u@sender.dt' "$f"
	[ "$(grep -c '^Final-Recipient: ' "$f")" -eq 3 ]
	grep -qx 'Final-Recipient: rfc822; a@one.dt' "$f"
	grep -qx 'Final-Recipient: rfc822; b@two.dt' "$f"
	grep -qx 'Final-Recipient: rfc822; c@three.dt' "$f"
	# one copy of the original
	[ "$(grep -cx 'Subject: test' "$f")" -eq 1 ]
}

@test "reports: deferred at two destinations: one delay warning listing both" {
	dl_conf "" "resolver $DNSADDR:$DNSPORT" "delay_warning 1s" \
	    "mx_allow_loopback yes"
	send -f u@sender.dt a@slow1.dt b@slow2.dt
	id=$(qids)
	wait_until 5 older_than 1 "$T/spool/queue/$id"
	qrun
	log_has "$id: to=<a@slow1.dt>, .*status=deferred" "$T/qlog"
	log_has "$id: to=<b@slow2.dt>, .*status=deferred" "$T/qlog"
	[ "$(log_count "$id: sender delay notification: " \
	    "$T/qlog")" -eq 1 ]
	w=$(qfiles | grep -v "$id")
	f=$T/spool/queue/$w
	grep -q '^Subject: Delayed Mail' "$f"
	grep -qx 'Final-Recipient: rfc822; a@slow1.dt' "$f"
	grep -qx 'Final-Recipient: rfc822; b@slow2.dt' "$f"
	[ "$(grep -cx 'Action: delayed' "$f")" -eq 2 ]
	# once per message: the next run sends no second warning
	qrun
	[ "$(log_count "sender delay notification" "$T/qlog")" \
	    -eq 0 ]
}

@test "reports: a failure's report survives a crash before it is queued" {
	start_smtpd relay --reject-rcpt "bad@x.example=550 5.1.1 no such user"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f sender@example.org bad@x.example good@x.example
	id=$(qids)
	crashrun deliver.after-state:1
	# recorded: failed, report pending, never to be tried again
	qstate_of "$id" | grep -Eq '^R[0-9]+:0 F 5\.1\.1 '
	[ "$(qids)" = "$id" ]
	qrun
	! grep -q 'RCPT TO:<bad@x.example>' <(tail -n +1 "$T/qlog") || false
	[ "$(log_count "to=<bad@x.example>" "$T/qlog")" -eq 0 ]
	log_has "$id: sender non-delivery notification: " "$T/qlog"
	log_has "$id: removed" "$T/qlog"
	f=$(one_qfile)
	grep -qx 'Final-Recipient: rfc822; bad@x.example' "$f"
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
}

@test "reports: 4,500 recipients with long 450 replies: the state file is read next run" {
	long=$(printf 'y%.0s' $(seq 1 400))
	cat >"$T/long.fault" <<EOF2
[all]
rcpt reply 450-4.2.1 $long\\r\\n450-4.2.1 $long\\r\\n450 4.2.1 $long
EOF2
	start_faultsmtp relay "$T/long.fault"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "max_recipients 5000" \
	    "command_timeout 30s"
	seq -f 'r%g@x.example' 1 4500 >"$T/rcpts"
	xargs -a "$T/rcpts" "$MINIMTA" -C "$T/minimta.conf" -odq \
	    -f sender@example.org <<<"Subject: big" 2>>"$T/log"
	id=$(qids)
	qrun
	size=$(stat -c %s "$T/spool/queue/$id.state")
	echo "state file: $size bytes" >&2
	[ "$size" -gt $((4 * 1024 * 1024)) ]
	run mta -bp
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id"* ]]
	[[ "$output" == *"r4500@x.example"* ]]
	n1=$(grep -c 'RCPT TO:<r4500@x.example>' "$RELAY_TRANSCRIPT")
	qrun
	! grep -q 'File too large\|state file' "$T/qlog" || false
	log_has "$id: to=<r4500@x.example>, .*status=deferred" "$T/qlog"
	n2=$(grep -c 'RCPT TO:<r4500@x.example>' "$RELAY_TRANSCRIPT")
	[ "$n2" -gt "$n1" ]
}

@test "reports: -odi with a mode-0644 auth_file: exit 0, the message waits in the queue" {
	start_smtpd relay
	echo "$RELAY_HOST joe s3cret" >"$T/auth"
	chmod 0644 "$T/auth"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "auth_file $T/auth"
	run "$MINIMTA" -C "$T/minimta.conf" -odi a@x.example <<<"Subject: t"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == *"queued, not delivered now"*"auth"* ]]
	[ "$(nqueued)" -eq 1 ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
}

@test "reports: a multi-line reply sent a line at a time ends at command_timeout" {
	{
		echo '[conn 1]'
		for i in 1 2 3 4 5 6 7 8 9 10; do
			echo "greeting reply 220-slow line $i"
			echo "greeting stall 1"
		done
		echo "greeting reply 220 done"
	} >"$T/slow.fault"
	start_faultsmtp relay "$T/slow.fault"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "command_timeout 3s"
	send a@x.example
	id=$(qids)
	start=$(date +%s)
	qrun
	took=$(($(date +%s) - start))
	echo "took $took s" >&2
	log_has "$id: to=<a@x.example>, .*status=deferred \(.*timeout" "$T/qlog"
	[ "$took" -lt 8 ]
}

@test "reports: a UTF-8 sender's report goes with SMTPUTF8 and an intact To:" {
	start_smtpd relay --smtputf8 \
	    --reject-rcpt "bad@x.example=550 5.1.1 no such user"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f 'jörg@exämple.org' bad@x.example
	qrun
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	e=$RELAY_SPOOL/0001.env
	[ "$(envf "$e" .rcpt_tos)" = '["jörg@exämple.org"]' ]
	envf "$e" '.mail_options[]' | grep -qx '"SMTPUTF8"'
	grep -qxF $'To: jörg@exämple.org\r' "$RELAY_SPOOL/0001.eml"
	grep -qxF $'X-Minimta-Sender: utf-8; j\\x{F6}rg@ex\\x{E4}mple.org\r' \
	    "$RELAY_SPOOL/0001.eml"
	spool_empty
}

# cpu_ticks PID: user + system time of a process, in clock ticks.
cpu_ticks()
{
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# newid N: a queue id (14 characters of the spool alphabet) from N.
newid()
{
	printf 'ZZ%012d' "$1"
}

@test "reports: a trigger flood by another user does not rescan 2,000 deferred messages" {
	skip_unless_root "writes the trigger as nobody"
	command -v setpriv >/dev/null || skip "needs setpriv"
	port=$(free_port 127.0.0.2)
	dl_conf "smtp://127.0.0.2:$port" "connect_timeout 1s"
	send -f sender@example.org a@x.example
	id=$(qids)
	qrun	# deferred: the relay is down
	[ -f "$T/spool/queue/$id.state" ]
	q=$T/spool/queue
	for i in $(seq 1 1999); do
		n=$(newid "$i")
		cp -p "$q/$id" "$q/$n"
		cp -p "$q/$id.state" "$q/$n.state"
	done
	[ "$(nqueued)" -eq 2000 ]
	"$MINIMTA" -C "$T/minimta.conf" -q1h 2>"$T/daemon" &
	pid=$!
	DL_PIDS+=("$pid")
	wait_until 20 grep -q "queue runner started" "$T/daemon"
	# the first full scan (every message is opened once) is over when
	# the daemon sleeps; then the flood starts
	sleep 3
	before=$(cpu_ticks "$pid")
	trig=$T/spool/trigger
	setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c \
	    "while :; do echo x >'$trig'; sleep 0.01; done" &
	flood=$!
	DL_PIDS+=("$flood")
	sleep 2
	start_smtpd relay --host 127.0.0.2 --port "$port"
	printf 'Subject: during the flood\n\nx\n' |
	    "$MINIMTA" -C "$T/minimta.conf" b@x.example 2>>"$T/log"
	start=$(date +%s)
	wait_for_file "$RELAY_SPOOL/0001.eml" 10
	took=$(($(date +%s) - start))
	sleep 2
	after=$(cpu_ticks "$pid")
	kill "$flood"
	hz=$(getconf CLK_TCK)
	used=$((after - before))
	echo "daemon CPU over ~5 s of flood: $used ticks ($hz/s); delivered in ${took}s" >&2
	[ -z "${DL_MEASURE:-}" ] || echo "$used ticks, ${took}s" >>"$DL_MEASURE"
	cat "$T/daemon" | tail -5 >&2
	# the new message went out at once, the flood cost little
	[ "$took" -le 5 ]
	grep -q 'Subject: during the flood' "$RELAY_SPOOL/0001.eml"
	[ "$used" -lt "$hz" ]
	# the deferred ones still wait for their back-off
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
}
