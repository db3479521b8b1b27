#!/usr/bin/env bats
# Crash points (issue 6; src/base/crash.h): MINIMTA_CRASH_AT=POINT[:N]
# makes the process SIGKILL itself at a named step, as a kill -9 or a
# crash would. Each test crashes one step, then runs the queue twice
# without the variable and checks with the SMTP server as ground truth
# (DESIGN.md "Spool and privileges"): nothing that was accepted is lost,
# each recipient gets exactly one copy except where the crash fell between
# the final dot and the record of its reply (RFC 1047), and nothing is left
# stuck in the spool.
#
# A process that does not die (exit 137) names the missing point.

load common
load ../lib/servers
load delivery
load ../lib/harness

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

# One server for the file (starting one per test costs more than the
# tests): each test's messages have their own subject, recipients and
# sender, by test number.
setup_file()
{
	hx_setup_file mtacr
	start_smtpd relay --reject-rcpt "bad@x.example=550 5.1.1 no such user"
}

teardown_file()
{
	stop_servers
	hx_teardown_file
}

setup()
{
	hx_setup
	hx_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	N=t$BATS_TEST_NUMBER
}

teardown()
{
	hx_teardown
}

# crash_run POINT ROLE ARGS...: minimta as ROLE (owner, nobody) with the
# crash armed; it must die there.
crash_run()
{
	local point=$1 role=$2
	shift 2
	run "as_$role" env MINIMTA_CRASH_AT="$point" "$MINIMTA" \
	    -C "$T/minimta.conf" "$@"
	hx_expect_killed "$point"
}

# two queue runs without the crash, then the spool must settle
recover()
{
	hx_qrun || true
	hx_qrun || true
	hx_spool_settled
}

# submit_point POINT ROLE DURABLE: ROLE (owner, nobody) submits with the
# crash at POINT. DURABLE no: the message was never accepted and must not
# appear; maybe: the submitter was killed after the rename, so it never
# heard "accepted", and either outcome is right - but never twice, never
# cut off.
submit_point()
{
	local point=$1 role=$2 durable=$3 msg n
	msg=$(hx_msg "$N-$point")
	crash_run "$point:1" "$role" -odq -f "$role@example.org" \
	    "$N@x.example" <"$msg"
	recover
	n=$(hx_subject_count "$RELAY_SPOOL" "$N-$point")
	echo "$point as $role: $n copies delivered" >&2
	case $durable in
	no) [ "$n" -eq 0 ] ;;
	maybe) [ "$n" -eq 0 ] || [ "$n" -eq 1 ] ;;
	esac
}

@test "crash: submit.after-write (owner): not accepted, not delivered, nothing stuck" {
	submit_point submit.after-write owner no
}

@test "crash: submit.after-fsync (owner): not accepted, not delivered, nothing stuck" {
	submit_point submit.after-fsync owner no
}

@test "crash: submit.after-rename (owner): delivered at most once, never cut off" {
	submit_point submit.after-rename owner maybe
}

@test "crash: submit.after-dirsync (owner): delivered at most once, never cut off" {
	submit_point submit.after-dirsync owner maybe
}

@test "crash: submit.after-write (nobody): no drop file is picked up, nothing stuck" {
	submit_point submit.after-write nobody no
}

@test "crash: submit.after-fsync (nobody): no drop file is picked up, nothing stuck" {
	submit_point submit.after-fsync nobody no
}

@test "crash: submit.after-rename (nobody): delivered at most once, never cut off" {
	submit_point submit.after-rename nobody maybe
}

@test "crash: submit.after-dirsync (nobody): delivered at most once, never cut off" {
	submit_point submit.after-dirsync nobody maybe
}

# pickup_point POINT: nobody's drop file, the owner's queue run crashes at
# POINT of its pickup; afterwards the message is delivered exactly once.
# The run selects messages (-qR), so the drop file is copied to queue/
# by pickup, not first tried from memory.
pickup_point()
{
	local point=$1 msg n
	msg=$(hx_msg "$N-$point")
	nm -odq -f nobody@example.org "$N@x.example" <"$msg" 2>>"$T/log"
	[ -n "$(ls -A "$T/spool/incoming")" ]
	crash_run "$point:1" owner -q -qRx.example
	recover
	n=$(hx_subject_count "$RELAY_SPOOL" "$N-$point")
	echo "$point: $n copies delivered" >&2
	[ "$n" -eq 1 ]
}

@test "crash: pickup.after-write: the drop file is delivered exactly once" {
	pickup_point pickup.after-write
}

@test "crash: pickup.after-fsync: the drop file is delivered exactly once" {
	pickup_point pickup.after-fsync
}

@test "crash: pickup.after-rename: the drop file is delivered exactly once" {
	pickup_point pickup.after-rename
}

@test "crash: pickup.after-dirsync: the drop file is delivered exactly once" {
	pickup_point pickup.after-dirsync
}

@test "crash: pickup.after-commit: the drop file is delivered exactly once" {
	pickup_point pickup.after-commit
}

@test "crash: pickup.before-unlink: the drop file is delivered exactly once" {
	pickup_point pickup.before-unlink
}

# pickup_batch_point POINT NTH: three drop files, taken in one batch (one
# syncfs for their data, one fsync of queue/); the queue run crashes at
# the NTH hit of POINT. Afterwards each is delivered exactly once.
pickup_batch_point()
{
	local point=$1 nth=$2 msg i n
	for i in 1 2 3; do
		msg=$(hx_msg "$N-$i-$point")
		nm -odq -f nobody@example.org "$N-$i@x.example" <"$msg" \
		    2>>"$T/log"
	done
	[ "$(ls -A "$T/spool/incoming" | wc -l)" -eq 3 ]
	crash_run "$point:$nth" owner -q -qRx.example
	recover
	for i in 1 2 3; do
		n=$(hx_subject_count "$RELAY_SPOOL" "$N-$i-$point")
		echo "$point:$nth, message $i: $n copies delivered" >&2
		[ "$n" -eq 1 ]
	done
}

@test "crash: a batch of drop files, pickup.after-write: each delivered exactly once" {
	pickup_batch_point pickup.after-write 1
}

@test "crash: a batch of drop files, pickup.after-fsync: each delivered exactly once" {
	pickup_batch_point pickup.after-fsync 1
}

@test "crash: a batch of drop files, pickup.after-rename: each delivered exactly once" {
	pickup_batch_point pickup.after-rename 1
}

@test "crash: a batch of drop files, pickup.after-dirsync: each delivered exactly once" {
	pickup_batch_point pickup.after-dirsync 1
}

@test "crash: a batch of drop files, the second pickup.after-commit: each delivered exactly once" {
	pickup_batch_point pickup.after-commit 2
}

@test "crash: a batch of drop files, the second pickup.before-unlink: each delivered exactly once" {
	pickup_batch_point pickup.before-unlink 2
}

# deliver_point POINT N WINDOW: a VERP message (-XV: one transaction per
# recipient) to a, b, c; the queue run crashes at the Nth hit of POINT,
# that is in the Nth transaction. Recipients whose transaction was over
# before it must not get a second copy (their state was saved); the Nth
# may, when WINDOW is yes (the crash fell between the final dot and the
# record of its reply), and so may the last (c) when WINDOW is last;
# every recipient gets at least one.
# With ROLE nobody (default owner) the message is a drop file, tried
# first from memory: after the first transaction it is queued (its state,
# then queue/ID, then the drop file goes).
deliver_point()
{
	local point=$1 nth=$2 window=$3 role=${4:-owner} msg i r n bad=0
	msg=$(hx_msg "$N-$point")
	"${role:0:1}m" -odq -XV -f sender@example.org "${N}a@x.example" \
	    "${N}b@x.example" "${N}c@x.example" <"$msg" 2>>"$T/log"
	if [ "$role" = nobody ]; then
		[ -n "$(ls -A "$T/spool/incoming")" ]
	fi
	crash_run "$point:$nth" owner -q
	recover
	i=0
	for r in "${N}a" "${N}b" "${N}c"; do
		i=$((i + 1))
		n=$(hx_rcpt_count "$RELAY_SPOOL" "$r@x.example" \
		    "sender+$r=x.example@example.org")
		echo "$point:$nth: $r@x.example got $n" >&2
		if [ "$n" -lt 1 ]; then
			echo "LOST: $r@x.example" >&2
			bad=1
		elif [ "$n" -gt 1 ] && ! { [ "$n" -eq 2 ] && {
		    { [ "$window" = yes ] && [ "$i" -eq "$nth" ]; } ||
		    { [ "$window" = last ] && [ "$i" -eq 3 ]; }; }; }; then
			echo "SENT AGAIN: $r@x.example ($n copies)" >&2
			bad=1
		fi
	done
	[ "$(hx_subject_count "$RELAY_SPOOL" "$N-$point")" -ge 3 ]
	[ "$bad" -eq 0 ]
}

@test "crash: deliver.after-dot:1 (RFC 1047 window): no loss, only the first may be doubled" {
	deliver_point deliver.after-dot 1 yes
}

@test "crash: deliver.after-dot:2: the recipient accepted before is not sent again" {
	deliver_point deliver.after-dot 2 yes
}

@test "crash: deliver.after-reply:1 (RFC 1047 window): no loss, only the first may be doubled" {
	deliver_point deliver.after-reply 1 yes
}

@test "crash: deliver.after-reply:2: the recipient accepted before is not sent again" {
	deliver_point deliver.after-reply 2 yes
}

@test "crash: deliver.after-state:1: each recipient exactly once" {
	deliver_point deliver.after-state 1 no
}

@test "crash: deliver.after-state:2: each recipient exactly once" {
	deliver_point deliver.after-state 2 no
}

# The removal of a finished message is the record of its last
# transaction's reply (one state write and fsync less per message): a
# crash just before it is inside the RFC 1047 window for the last
# recipient only; the ones before it are never sent again.
@test "crash: deliver.before-remove (RFC 1047 window for the last transaction): no loss, only the last may be doubled" {
	deliver_point deliver.before-remove 1 last
}

# Removals are made durable in groups (one fsync of queue/ for many):
# a runner that dies after the unlink, before the group's fsync, has
# removed the message all the same; only a power cut could bring it back.
@test "crash: deliver.after-remove (unlinked, its fsync not yet made): each recipient exactly once" {
	deliver_point deliver.after-remove 1 no
}

@test "crash: a drop file, deliver.after-reply:1 (RFC 1047 window): no loss, only the first may be doubled" {
	deliver_point deliver.after-reply 1 yes nobody
}

@test "crash: a drop file, deliver.drop-state:1 (its state, not yet queued): each recipient exactly once" {
	deliver_point deliver.drop-state 1 no nobody
}

@test "crash: a drop file, deliver.drop-queued:1 (queued, the drop file not yet removed): each recipient exactly once" {
	deliver_point deliver.drop-queued 1 no nobody
}

# the first transaction's record queued the message: the first state
# saved in queue/ after it is the second transaction's
@test "crash: a drop file, deliver.after-state:1 (the second transaction, queued by the first): each recipient exactly once" {
	deliver_point deliver.after-state 1 no nobody
}

# drop_removal_point POINT WINDOW: nobody's drop file to one recipient,
# sent from memory; the run crashes at POINT around the removal of the
# drop file. One copy, or two when WINDOW is yes.
drop_removal_point()
{
	local point=$1 window=$2 msg n
	msg=$(hx_msg "$N-$point")
	nm -odq -f nobody@example.org "$N@x.example" <"$msg" 2>>"$T/log"
	[ -n "$(ls -A "$T/spool/incoming")" ]
	crash_run "$point:1" owner -q
	recover
	n=$(hx_subject_count "$RELAY_SPOOL" "$N-$point")
	echo "$point: $n copies delivered" >&2
	[ "$n" -ge 1 ]
	[ "$n" -eq 1 ] || { [ "$window" = yes ] && [ "$n" -eq 2 ]; }
}

@test "crash: a drop file, deliver.before-remove (RFC 1047 window): delivered, at most twice" {
	drop_removal_point deliver.before-remove yes
}

@test "crash: a drop file, deliver.after-remove (unlinked, not yet synced): delivered exactly once" {
	drop_removal_point deliver.after-remove no
}

# bounce_point POINT MAX: a message to a recipient the server refuses
# (550); the queue run crashes at POINT while making the report. The sender
# gets it at least once and at most MAX times; the refused recipient
# never got the message; the original leaves the queue.
# ROLE nobody (default owner): the message is a drop file, refused on its
# first try from memory.
bounce_point()
{
	local point=$1 max=$2 role=${3:-owner} msg n
	msg=$(hx_msg "$N-$point")
	"${role:0:1}m" -odq -f "$N@example.org" bad@x.example <"$msg" \
	    2>>"$T/log"
	crash_run "$point:1" owner -q
	recover
	n=$(hx_rcpt_count "$RELAY_SPOOL" "$N@example.org" "<>")
	echo "$point: $n reports to the sender" >&2
	[ "$n" -ge 1 ]
	[ "$n" -le "$max" ]
	[ "$(hx_rcpt_count "$RELAY_SPOOL" bad@x.example)" -eq 0 ]
	# the report is about this message: it quotes its header
	[ "$(grep -lx "Subject: hx $N-$point"$'\r' "$RELAY_SPOOL"/*.eml |
	    wc -l)" -eq "$n" ]
}

# A drop file whose only recipient is refused: its state (the report due)
# is written, then the run dies before the queue file. The next run finds
# nothing left to send from memory; pickup queues it with that state, and
# the report goes out once, the refused recipient never gets the message.
@test "crash: a drop file refused, deliver.drop-state: the sender gets exactly one report" {
	bounce_point deliver.drop-state 1 nobody
}

@test "crash: bounce.after-write: the sender gets exactly one report" {
	bounce_point bounce.after-write 1
}

@test "crash: bounce.after-fsync: the sender gets exactly one report" {
	bounce_point bounce.after-fsync 1
}

# From the rename on, the report is in queue/ but the original's state
# does not say so yet: the same window as bounce.after-commit.
@test "crash: bounce.after-rename: the sender gets a report (a second one is the window)" {
	bounce_point bounce.after-rename 2
}

@test "crash: bounce.after-dirsync: the sender gets a report (a second one is the window)" {
	bounce_point bounce.after-dirsync 2
}

@test "crash: bounce.after-commit: the sender gets a report (a second one is the window)" {
	bounce_point bounce.after-commit 2
}

# dots_sent N FILE: the client has ended at least N messages' data.
dots_sent()
{
	local n
	n=$(grep -c '^\.$' "$2" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}

# Defect 5 without a crash point: the runner is killed (SIGKILL) from
# outside while the server holds the reply to the second transaction's
# final dot. The first recipient's copy had been accepted: it must not be
# sent again.
@test "crash: a runner killed during a VERP message's second transaction does not resend the first" {
	start_faultsmtp slow - <<'F'
[conn 1]
dot#2 stall forever
F
	hx_conf "smtp://$SLOW_HOST:$SLOW_PORT" "data_timeout 30s"
	om -odq -XV -f sender@example.org a@x.example b@x.example \
	    c@x.example <"$(hx_msg verp)" 2>>"$T/log"
	hx_bg_owner "$MINIMTA" -C "$T/minimta.conf" -q 2>"$T/qlog"
	pid=$HX_BG
	# the second message's data is in: the runner waits for the reply
	wait_until 20 dots_sent 2 "$SLOW_TRANSCRIPT"
	kill -KILL "$pid"
	wait "$pid" || true
	hx_qrun || true
	cat "$SLOW_TRANSCRIPT" >&2
	# the transactions after the kill (connection 2 on)
	awk '/^#conn 2 open/{on=1} on' "$SLOW_TRANSCRIPT" >"$T/after"
	grep -qi '^RCPT TO:<b@x.example>' "$T/after"
	grep -qi '^RCPT TO:<c@x.example>' "$T/after"
	! grep -qi '^RCPT TO:<a@x.example>' "$T/after" || {
		echo "a@x.example, accepted before the kill, was sent again" >&2
		false
	}
	hx_spool_settled
}

# cut_short ROLE DIR: ROLE's message, its spool file then cut short by 12
# bytes (inside the last line), as a power cut after an unsynced write
# leaves it; the next queue runs must never deliver it cut off, and it
# must not stay stuck: it goes to corrupt/ with a log line.
cut_short()
{
	local role=$1 dir=$2 f
	"${role:0:1}m" -odq -f "$role@example.org" "$N@x.example" \
	    <"$(hx_msg "$N-cut")" 2>>"$T/log"
	f=$(ls -A "$T/spool/$dir")
	[ -n "$f" ]
	truncate -s -12 "$T/spool/$dir/$f"
	hx_qrun || true
	hx_qrun || true
	if [ "$(grep -lx "Subject: hx $N-cut"$'\r' "$RELAY_SPOOL"/*.eml |
	    wc -l)" -ne 0 ]; then
		echo "the cut-off $dir/$f was delivered" >&2
		return 1
	fi
	[ -z "$(ls -A "$T/spool/$dir")" ] || {
		echo "$dir/ still holds: $(ls -A "$T/spool/$dir")" >&2
		return 1
	}
	[ -n "$(ls -A "$T/spool/corrupt")" ]
	log_has "$f.*(corrupt|truncated)"
}

@test "crash: a queue file cut short (power cut) is never delivered cut off" {
	cut_short owner queue
}

@test "crash: a drop file cut short (power cut) is never delivered cut off" {
	cut_short nobody incoming
}

# defer_point POINT PRIOR: three messages, the relay down; PRIOR queue runs
# defer them first (0: the crashing run writes their first state files;
# 1: it replaces them, swapping with the spare), then the run crashes at
# POINT while its deferrals are staged or committed as a group (deliver.c,
# spool_commit_staged). The queue must stay readable: mailq lists the
# three, none unreadable, nothing in corrupt/; once the relay is back,
# each is delivered exactly once and nothing is left.
defer_point()
{
	local point=$1 prior=$2 msg i out
	msg=$(hx_msg "$N-$point")
	for i in 1 2 3; do
		om -odq -f "$N@example.org" "${N}r$i@x.example" <"$msg" \
		    2>>"$T/log"
	done
	for ((i = 0; i < prior; i++)); do
		hx_qrun || true
	done
	crash_run "$point" owner -q
	out=$(om -bp 2>&1)
	echo "$out" >&2
	[ "$(grep -c "^[0-9A-V]\{14\} " <<<"$out")" -eq 3 ]
	! grep -q unreadable <<<"$out"
	[ -z "$(ls -A "$T/spool/corrupt")" ]
	if [ "$prior" -gt 0 ]; then
		# the runs before the crash recorded their reason
		[ "$(grep -c "(connect to 127.0.0.1" <<<"$out")" -eq 3 ]
	fi
	hx_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	recover
	for i in 1 2 3; do
		[ "$(hx_rcpt_count "$RELAY_SPOOL" "${N}r$i@x.example")" -eq 1 ]
	done
}

@test "crash: deliver.after-stage (deferral staged, not committed): queue readable, each delivered once" {
	hx_conf "smtp://127.0.0.1:1"
	defer_point deliver.after-stage:2 1
}

@test "crash: defer.after-write (first deferral): queue readable, each delivered once" {
	hx_conf "smtp://127.0.0.1:1"
	defer_point defer.after-write:2 0
}

@test "crash: defer.after-syncfs: queue readable, each delivered once" {
	hx_conf "smtp://127.0.0.1:1"
	defer_point defer.after-syncfs:1 1
}

@test "crash: defer.after-rename:2 (first deferral): queue readable, each delivered once" {
	hx_conf "smtp://127.0.0.1:1"
	defer_point defer.after-rename:2 0
}

@test "crash: defer.after-rename:2 (state swapped with its spare): queue readable, each delivered once" {
	hx_conf "smtp://127.0.0.1:1"
	defer_point defer.after-rename:2 1
}

@test "crash: defer.after-dirsync: queue readable, each delivered once" {
	hx_conf "smtp://127.0.0.1:1"
	defer_point defer.after-dirsync:1 1
}
