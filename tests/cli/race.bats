#!/usr/bin/env bats
# Races (issue 6): several queue runners, a daemon and -odb children over
# the same drop files and queue deliver every message exactly once
# (DESIGN.md: "Two queue runners at once never deliver the same message
# twice"). The SMTP server is the ground truth: each message has its own
# Subject, counted there.

load common
load ../lib/servers
load delivery
load ../lib/harness

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=120

setup_file()
{
	hx_setup_file mtara
}

teardown_file()
{
	hx_teardown_file
}

setup()
{
	hx_setup
	start_smtpd relay
	hx_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	printf 'Subject: hx drop\n\nx\n' >"$T/base"
}

teardown()
{
	hx_teardown
}

# drops FIRST LAST: nobody's drop files "race FIRST" .. "race LAST", four
# submitters at a time.
drops()
{
	local i p pids=()
	for i in $(seq "$1" "$2"); do
		printf 'Subject: race %d\n\nbody %d\n' "$i" "$i" >"$T/m$i"
		nm -odq "r$i@x.example" <"$T/m$i" 2>>"$T/log" &
		pids+=("$!")
		if [ "${#pids[@]}" -eq 4 ]; then
			for p in "${pids[@]}"; do wait "$p"; done
			pids=()
		fi
	done
	for p in "${pids[@]}"; do wait "$p"; done
}

# received_once N: the server has "race 1" .. "race N", each exactly once,
# and nothing else.
received_once()
{
	local got want
	got=$(hx_subjects "$RELAY_SPOOL")
	want=$(seq -f '1 race %g' "$1" | sort)
	if [ "$got" != "$want" ]; then
		echo "want each of race 1..$1 once; duplicates and misses:" >&2
		diff <(echo "$want") <(echo "$got") | grep '^[<>]' |
		    head -20 >&2
		echo "messages at the server: $(count_eml "$RELAY_SPOOL")" >&2
		return 1
	fi
}

# gated ARGS...: minimta as the owner, once the test releases the barrier
# (a shared flock on $T/barrier, held exclusively until then). Run in the
# background: `wait` on it returns when minimta is done.
gated()
{
	flock -s "$T/barrier" setpriv --reuid="$OWNER" --regid="$OWNER" \
	    --clear-groups "$MINIMTA" -C "$T/minimta.conf" "$@"
}

# arrived N: the server has at least N messages.
arrived()
{
	[ "$(count_eml "$RELAY_SPOOL")" -ge "$1" ]
}

@test "race: three queue runners started at once over 200 drop files deliver each once" {
	drops 1 200
	[ "$(ls -A "$T/spool/incoming" | wc -l)" -eq 200 ]
	# all wait on one lock, released at once
	exec 9>"$T/barrier"
	flock -x 9
	pids=()
	for r in 1 2 3; do
		gated -q 2>"$T/q$r" &
		pids+=("$!")
	done
	flock -u 9
	exec 9>&-
	for p in "${pids[@]}"; do wait "$p" || true; done
	cat "$T"/q[123] >>"$T/log"
	# (main made 518 queue files of 200 drop files: defect 1)
	echo "pickups logged: $(grep -Ec '^minimta/pickup\[[0-9]+\]: [0-9A-V]+: uid=' "$T/log")" >&2
	# every drop file was taken, and went out once
	[ -z "$(ls -A "$T/spool/incoming")" ]
	received_once 200
	hx_spool_settled
	received_once 200
}

@test "race: a -q1s daemon, -q runs and -odb children over one queue deliver each once" {
	drops 1 30
	# released at once: two -q runs (which pick up the drop files) and 20
	# -odb submissions by the owner; no runner listens on the trigger yet,
	# so each submitter forks a detached child to deliver its message
	exec 9>"$T/barrier"
	flock -x 9
	runs=()
	for r in 1 2; do
		gated -q 2>"$T/q$r" &
		runs+=("$!")
	done
	subs=()
	for i in $(seq 31 50); do
		printf 'Subject: race %d\n\nbody %d\n' "$i" "$i" >"$T/m$i"
		gated "r$i@x.example" <"$T/m$i" 2>"$T/sub.$i" &
		subs+=("$!")
	done
	flock -u 9
	exec 9>&-
	for p in "${subs[@]}"; do wait "$p"; done
	# then the daemon, while the children and the -q runs may still be
	# at work; its pid is its own (not started through flock)
	hx_bg_owner "$MINIMTA" -C "$T/minimta.conf" -q1s 2>"$T/daemon"
	daemon=$HX_BG
	wait_until 10 grep -q "queue runner started" "$T/daemon"
	# and 10 more, which wake it through the trigger (or, should it have
	# gone, fork their own child)
	for i in $(seq 51 60); do
		printf 'Subject: race %d\n\nbody %d\n' "$i" "$i" |
		    om "r$i@x.example" 2>"$T/sub.$i"
	done
	for p in "${runs[@]}"; do wait "$p" || true; done
	wait_until 60 arrived 60
	wait_until 30 spool_empty 2>/dev/null
	kill -TERM "$daemon"
	wait "$daemon" || true
	# the -odb children are not ours: wait until none is left
	wait_until 30 hx_procs_gone || {
		echo "still running: $HX_LEFT" >&2
		false
	}
	cat "$T/daemon" "$T"/q[12] "$T"/sub.* >>"$T/log"
	echo "sent by detached children: $(cat "$T"/sub.* |
	    grep -c 'status=sent')" >&2
	received_once 60
	hx_spool_settled
	received_once 60
}
