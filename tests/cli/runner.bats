#!/usr/bin/env bats
# The queue runner: -qI/-qR/-qS limits, two runners at once, the -q<time>
# daemon woken by the trigger FIFO and stopped by SIGTERM, -odb with no
# runner (a detached child delivers), -odi exit codes.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup()
{
	dl_setup
	start_smtpd relay --reject-rcpt "bad@x.example=550 5.1.1 no such user"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
}

teardown()
{
	dl_teardown
}

# rcpts_received: every recipient the smtpd got, sorted, one a line.
rcpts_received()
{
	cat "$RELAY_SPOOL"/*.env 2>/dev/null | jq -r '.rcpt_tos[]' | sort
}

rcpts_received2()
{
	cat "$RELAY2_SPOOL"/*.env 2>/dev/null | jq -r '.rcpt_tos[]' | sort
}

@test "runner: -qI delivers only the message with that id" {
	send one@x.example
	a=$(qids)
	send two@x.example
	b=$(qids | grep -v "$a")
	qrun -qI"$b"
	[ "$(rcpts_received)" = "two@x.example" ]
	[ "$(qids)" = "$a" ]
	qrun
	[ "$(rcpts_received | tr '\n' ' ')" = "one@x.example two@x.example " ]
	spool_empty
}

@test "runner: -qR delivers only messages with a matching recipient" {
	send one@x.example
	send two@y.example
	qrun -qR@y.example
	[ "$(rcpts_received)" = "two@y.example" ]
	[ "$(nqueued)" -eq 1 ]
	qenv | grep -q 'one@x.example'
}

@test "runner: -qS delivers only messages with a matching sender" {
	send -f alice@example.org one@x.example
	send -f bob@example.org two@x.example
	qrun -qSbob
	[ "$(rcpts_received)" = "two@x.example" ]
	[ "$(nqueued)" -eq 1 ]
	qenv | grep -q 'alice@example.org'
}

@test "runner: two runners at once deliver each of 50 messages exactly once" {
	for i in $(seq 50); do
		send "r$i@x.example"
	done
	[ "$(nqueued)" -eq 50 ]
	"$MINIMTA" -C "$T/minimta.conf" -q 2>"$T/q1" &
	p1=$!
	"$MINIMTA" -C "$T/minimta.conf" -q 2>"$T/q2" &
	p2=$!
	wait "$p1"
	wait "$p2"
	cat "$T/q1" "$T/q2" >&2
	[ "$(count_eml "$RELAY_SPOOL")" -eq 50 ]
	[ "$(rcpts_received | uniq | wc -l)" -eq 50 ]
	[ "$(cat "$T/q1" "$T/q2" | grep -c 'status=sent')" -eq 50 ]
	# each message was logged sent by exactly one runner
	[ "$(cat "$T/q1" "$T/q2" | grep 'status=sent' | awk '{print $2}' | sort | uniq -d | wc -l)" -eq 0 ]
	spool_empty
}

@test "runner: -q1h daemon is woken by a submission, and SIGTERM ends it" {
	"$MINIMTA" -C "$T/minimta.conf" -q1h 2>"$T/daemon" &
	pid=$!
	DL_PIDS+=("$pid")
	wait_until 10 grep -q "queue runner started: interval 3600s" "$T/daemon"
	# default -odb: the trigger FIFO wakes the runner, no child of ours
	printf 'Subject: t\n\nx\n' | mta a@x.example 2>>"$T/log"
	wait_for_file "$RELAY_SPOOL/0001.eml" 5
	wait_until 5 grep -q 'status=sent' "$T/daemon"
	wait_until 5 spool_empty
	kill -TERM "$pid"
	wait_until 10 grep -q "queue runner stopped" "$T/daemon"
	rc=0
	wait "$pid" || rc=$?
	cat "$T/daemon" >&2
	echo "daemon exit: $rc" >&2
	[ "$rc" -eq 0 ]
}

@test "runner: -odb with no runner listening: a detached child delivers the owner's mail" {
	printf 'Subject: t\n\nx\n' | mta a@x.example 2>"$T/sub"
	wait_for_file "$RELAY_SPOOL/0001.eml" 10
	wait_until 10 spool_empty
	[ "$(rcpts_received)" = "a@x.example" ]
	! grep -q "waits for the next" "$T/sub" || false
}

@test "runner: -odi delivers before exiting; 0 when sent, 69 when bounced" {
	printf 'Subject: t\n\nx\n' | mta -odi a@x.example 2>"$T/odi"
	[ "$(rcpts_received)" = "a@x.example" ]
	grep -q 'status=sent' "$T/odi"
	run mta -odi -f sender@example.org bad@x.example <<<"Subject: t"
	[ "$status" -eq 69 ]
	[[ "$output" == *"status=bounced"* ]]
}

@test "runner: a deferred message waits for its back-off in the daemon, -q tries it at once" {
	send t@x.example
	id=$(qids)
	stop_server relay
	qrun
	log_has "$id: to=<t@x.example>, .*status=deferred" "$T/qlog"
	qstate_of "$id" | grep -q '^A1:1$'
	start_smtpd relay2
	dl_conf "smtp://$RELAY2_HOST:$RELAY2_PORT" "retry_min 1h"
	"$MINIMTA" -C "$T/minimta.conf" -q1h 2>"$T/daemon" &
	DL_PIDS+=("$!")
	wait_until 10 grep -q "queue runner started" "$T/daemon"
	# a new message wakes it once its first run is over; the deferred
	# one is not due (retry_min 1h), so only the new one goes
	printf 'Subject: t\n\nx\n' | mta new@x.example 2>>"$T/log"
	wait_for_file "$RELAY2_SPOOL/0001.eml" 10
	[ "$(rcpts_received2)" = "new@x.example" ]
	! grep -q "$id: to=" "$T/daemon" || false
	qrun
	[ "$(count_eml "$RELAY2_SPOOL")" -eq 2 ]
	log_has "$id: to=<t@x.example>, .*status=sent" "$T/qlog"
	spool_empty
}

@test "runner: SIGHUP rereads the configuration (a new smarthost is used)" {
	"$MINIMTA" -C "$T/minimta.conf" -q1h 2>"$T/daemon" &
	pid=$!
	DL_PIDS+=("$pid")
	wait_until 10 grep -q "queue runner started" "$T/daemon"
	start_smtpd relay2
	dl_conf "smtp://$RELAY2_HOST:$RELAY2_PORT"
	kill -HUP "$pid"
	wait_until 10 grep -q "configuration reloaded" "$T/daemon"
	printf 'Subject: t\n\nx\n' | mta -odq b@x.example 2>>"$T/log"
	# -odq leaves it queued; the trigger wakes the runner
	printf 'Subject: t\n\nx\n' | mta c@x.example 2>>"$T/log"
	wait_until 10 spool_empty
	[ "$(count_eml "$RELAY2_SPOOL")" -eq 2 ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	# a broken config on SIGHUP keeps the old one, and the runner goes on
	echo "no_such_key 1" >>"$T/minimta.conf"
	kill -HUP "$pid"
	wait_until 10 grep -q "keeping the old configuration" "$T/daemon"
	kill -0 "$pid"
	kill -TERM "$pid"
	wait_until 10 grep -q "queue runner stopped" "$T/daemon"
}

@test "runner: SIGTERM reaches the runner's own workers, not the rest of its process group" {
	start_faultsmtp slow - <<'F'
greeting stall 2
F
	dl_conf "smtp://$SLOW_HOST:$SLOW_PORT"
	# more than one destination group's worth (64) makes several workers
	for i in $(seq 130); do
		printf 'Subject: t\n\nx\n' | mta -odq "m$i@x.example" 2>/dev/null
	done
	setsid bash -c '
		sleep 60 & echo $! >"$1/sibling"
		"$2" -C "$1/minimta.conf" -q1h 2>"$1/daemon" & echo $! >"$1/runner"
		wait' _ "$T" "$MINIMTA" &
	wait_until 10 grep -q "queue runner started" "$T/daemon"
	wait_until 10 test -s "$T/sibling"
	# the workers are connecting (the server stalls its greeting)
	wait_until 10 pgrep -P "$(cat "$T/runner")"
	kill -TERM "$(cat "$T/runner")"
	wait_until 15 grep -q "queue runner stopped" "$T/daemon"
	# the sibling in the same process group is still alive
	kill -0 "$(cat "$T/sibling")"
	kill "$(cat "$T/sibling")"
	! grep -q "Interrupted system call" "$T/daemon" || false
}

@test "runner: a -q30d daemon sleeps, it does not rescan every second" {
	command -v strace >/dev/null || skip "needs strace"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    timeout -s TERM 3 strace -f -e trace=poll -o "$T/trace" \
	    "$MINIMTA" -C "$T/minimta.conf" -q30d 2>"$T/daemon" || true
	cat "$T/trace" >&2
	grep -q 'queue runner started: interval 2592000s' "$T/daemon"
	# one long poll (capped at an hour), never a 1 s one
	grep -q 'poll(\[{fd=[0-9]*, events=POLLIN}\], 1, 3600000' "$T/trace"
	! grep -q ', 1, 1000)' "$T/trace" || false
}

# The runner routes the queue in batches of 10,000 entries (runner.c); its
# workers live for the whole run and keep their sessions (issue 9): a
# queue of two batches goes over `concurrency` connections, not that many
# per batch.
@test "runner: a queue longer than a batch goes over the same sessions" {
	local n=10050 id
	start_sink sink -c
	dl_conf "smtp://$SINK_HOST:$SINK_PORT" "concurrency 2"
	send -f s@example.org r@x.example
	id=$(qids)
	# copies of the message under fresh ids (ids are 14 characters of
	# 0-9A-V; these sort before any real one)
	py - "$T/spool/queue" "$id" "$n" <<'PY'
import os, shutil, sys
q, src, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
for i in range(1, n):
    x, s = i, ""
    for _ in range(14):
        s, x = alpha[x % 32] + s, x // 32
    shutil.copyfile(os.path.join(q, src), os.path.join(q, s))
PY
	[ "$(nqueued)" -eq "$n" ]
	qrun
	[ "$(nqueued)" -eq 0 ]
	[ "$(log_count 'status=sent')" -eq "$n" ]
	sinkstat() { tr '\r' '\n' <"$SINK_LOG" | grep '^sess=' | tail -n 1; }
	wait_until 10 eval '[[ "$(sinkstat)" =~ \ mesg=$n( |$) ]]'
	echo "smtp-sink: $(sinkstat)" >&2
	[[ "$(sinkstat)" =~ ^sess=2\  ]]
}
