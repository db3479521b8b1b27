#!/usr/bin/env bats
# I/O faults (issue 6): ENOSPC and EIO on write, fsync, syncfs and rename
# in submission, pickup and delivery-state updates, injected at one exact
# call by an LD_PRELOAD shim ($BUILD/faultio.so, tests/lib/faultio.c) on
# files under the spool only. Each fault must give the right outcome
# (75 for a submission, the drop file kept for a failed pickup, the
# message kept for a failed state save), accept nothing half-written, and
# leave a queue that the next normal run delivers exactly once.
# (The full-disk tmpfs case of a submission is in spool.bats.)

load common
load ../lib/servers
load delivery
load ../lib/harness

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup_file()
{
	hx_setup_file mtafi
}

teardown_file()
{
	hx_teardown_file
}

setup()
{
	FAULTIO=$REPO/${BUILD:-build}/faultio.so
	[ -f "$FAULTIO" ] || skip "no $FAULTIO (make check builds it)"
	hx_setup
	if ! as_nobody test -r "$FAULTIO"; then
		cp "$FAULTIO" "$T/faultio.so"
		chmod 0644 "$T/faultio.so"
		FAULTIO=$T/faultio.so
	fi
	start_smtpd relay --reject-rcpt "bad@x.example=550 5.1.1 no such user" \
	    --reject-rcpt "later@x.example=451 4.2.0 try later"
	hx_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	# a message of several 64 KiB writes, and its last line
	{
		printf 'Subject: hx big\n\n'
		seq -f 'line %04g of a message that takes several writes' 3000
		printf 'end of big\n'
	} >"$T/big"
	: >"$T/faultlog"
	chmod 0666 "$T/faultlog"
}

teardown()
{
	hx_teardown
}

# fio ROLE SPEC ARGS...: minimta as ROLE (owner, nobody) with the fault
# SPEC (see faultio.c) armed on the spool (or on $FIO_DIR); `run`'s status
# and output.
# The fault must have fired, or the test proves nothing.
fio()
{
	local role=$1 spec=$2 before
	shift 2
	before=$(wc -l <"$T/faultlog")
	run "as_$role" env LD_PRELOAD="$FAULTIO" MINIMTA_FAULT="$spec" \
	    MINIMTA_FAULT_DIR="${FIO_DIR:-$SPOOL}" \
	    MINIMTA_FAULT_LOG="$T/faultlog" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$MINIMTA" -C "$T/minimta.conf" "$@"
	echo "$output" >>"$T/log"
	if [ "$(wc -l <"$T/faultlog")" -le "$before" ]; then
		echo "fault $spec never fired ($role $*): exit $status" >&2
		echo "$output" >&2
		return 1
	fi
}

# errtext SPEC: the strerror text its errno gives.
errtext()
{
	case $1 in
	*ENOSPC*) echo "No space left on device" ;;
	*EIO*) echo "Input/output error" ;;
	esac
}

# no_entries DIR: the spool directory holds nothing, temporaries included.
no_entries()
{
	local e
	e=$(ls -A "$T/spool/$1")
	[ -z "$e" ] || { echo "$1/ holds: $e" >&2; return 1; }
}

# submit_faults ROLE DIR SPEC...: each SPEC makes ROLE's submission (of
# the big message) fail: 75, one line naming the error, nothing in DIR.
# Then a normal submission goes through and is delivered once, alone.
submit_faults()
{
	local role=$1 dir=$2 spec
	shift 2
	for spec in "$@"; do
		fio "$role" "$spec" -odq -f "$role@example.org" \
		    "$role@x.example" <"$T/big"
		echo "$role $spec: exit $status: $output" >&2
		[ "$status" -eq 75 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"$(errtext "$spec")"* ]]
		no_entries "$dir"
		no_entries corrupt
	done
	"${role:0:1}m" -odq -f "$role@example.org" "$role@x.example" \
	    <"$(hx_msg "$role-ok")" 2>>"$T/log"
	hx_qrun
	hx_spool_settled
	[ "$(hx_subject_count "$RELAY_SPOOL" "$role-ok")" -eq 1 ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
}

@test "faultio: the owner's submission: ENOSPC/EIO on write, fsync, rename, dir fsync -> 75, nothing queued" {
	# the first and a middle write, every write, the file's fsync, the
	# rename, the directory's fsync (the second fsync)
	submit_faults owner queue write:ENOSPC:1 write:EIO:2 write:ENOSPC:2+ \
	    fsync:EIO:1 fsync:ENOSPC:1 rename:EIO:1 rename:ENOSPC:1 fsync:EIO:2
}

@test "faultio: nobody's submission: ENOSPC/EIO on write, fsync, rename, the fsync after it -> 75, no drop file" {
	submit_faults nobody incoming write:ENOSPC:1 write:EIO:2 \
	    write:ENOSPC:2+ fsync:EIO:1 rename:EIO:1 rename:ENOSPC:1 fsync:EIO:2
}

@test "faultio: pickup: a failed write, fsync, rename or dir fsync in queue/ keeps the drop file" {
	nm -odq -f nobody@example.org nobody@x.example <"$T/big" 2>>"$T/log"
	drop=$(ls -A "$T/spool/incoming")
	[ -n "$drop" ]
	cp "$T/spool/incoming/$drop" "$T/drop.copy"
	for spec in write:ENOSPC:1:/queue write:EIO:2:/queue \
	    fsync:EIO:1:/queue fsync:EIO:2:/queue rename:EIO:1:/queue \
	    rename:ENOSPC:1:/queue; do
		fio owner "$spec" -q
		echo "pickup $spec: exit $status" >&2
		[[ "$output" == *"incoming/$drop"*"$(errtext "$spec")"* ]]
		# kept as it was, for the next run; nothing half-made in queue/
		[ "$(ls -A "$T/spool/incoming")" = "$drop" ]
		cmp "$T/drop.copy" "$T/spool/incoming/$drop"
		no_entries queue
		no_entries corrupt
	done
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	hx_qrun
	hx_spool_settled
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	grep -qx $'end of big\r' "$RELAY_SPOOL/0001.eml"
}

@test "faultio: pickup of a batch: a failed syncfs, write, rename or dir fsync keeps the drop files it concerns" {
	nm -odq -f nobody@example.org nobody@x.example <"$T/big" 2>>"$T/log"
	nm -odq -f nobody@example.org nobody@x.example <"$(hx_msg second)" \
	    2>>"$T/log"
	[ "$(ls -A "$T/spool/incoming" | wc -l)" -eq 2 ]
	cp -a "$T/spool/incoming" "$T/drops.copy"
	# all kept: the data sync of the batch (syncfs, not an fsync a
	# file), the fsync of queue/ (the first fsync in a batch)
	# (a run that selects, -qR: every drop file goes through pickup)
	for spec in syncfs:EIO:1:/queue fsync:EIO:1:/queue \
	    write:ENOSPC:1+:/queue; do
		fio owner "$spec" -q -qRx.example
		echo "pickup $spec: exit $status" >&2
		[[ "$output" == *"pickup deferred"*"$(errtext "$spec")"* ]]
		diff -r "$T/drops.copy" "$T/spool/incoming"
		no_entries queue
		no_entries corrupt
	done
	# one rename of two fails: that drop file alone stays
	fio owner rename:EIO:2:/queue -q -qRx.example
	[ "$(ls -A "$T/spool/incoming" | wc -l)" -eq 1 ]
	hx_qrun
	hx_spool_settled
	[ "$(count_eml "$RELAY_SPOOL")" -eq 2 ]
	[ "$(hx_subject_count "$RELAY_SPOOL" second)" -eq 1 ]
}

# A drop file's first try (from memory) leaves a recipient deferred: the
# message is queued then, its state first. A failure of either write
# leaves the drop file to pickup, in the same run; the state, when it was
# written, keeps what this try sent from being sent again.
@test "faultio: a drop file's first try: a failed state or queue file write leaves it to pickup, and what was sent" {
	for spec in write:ENOSPC:1:/queue write:ENOSPC:2:/queue; do
		rm -f "$RELAY_SPOOL"/*
		nm -odq -f nobody@example.org now@x.example later@x.example \
		    <"$(hx_msg "first-${spec//[:\/]/-}")" 2>>"$T/log"
		drop=$(ls -A "$T/spool/incoming")
		[ -n "$drop" ]
		fio owner "$spec" -q
		echo "first try $spec: exit $status" >&2
		[[ "$output" == *"$drop: cannot queue incoming/$drop: "*"$(errtext "$spec")"*"; left for pickup"* ]]
		[[ "$output" == *"minimta/pickup["*"]: $drop: uid="* ]]
		[ -z "$(ls -A "$T/spool/incoming")" ]
		[ "$(qids)" = "$drop" ]
		# the state was written when the second write failed (the
		# queue file's): the recipient sent is not sent again
		n=$(hx_rcpt_count "$RELAY_SPOOL" now@x.example)
		echo "now@ got $n" >&2
		if [ "$spec" = write:ENOSPC:2:/queue ]; then
			[ "$n" -eq 1 ]
		else
			[ "$n" -eq 2 ]
		fi
		hx_qrun
		[ "$(hx_rcpt_count "$RELAY_SPOOL" now@x.example)" -eq "$n" ]
		[ "$(hx_rcpt_count "$RELAY_SPOOL" later@x.example)" -eq 0 ]
		om -Mrm "$drop" 2>>"$T/log"
	done
}

# A drop file's first try was killed after its state was written (one
# recipient sent, one deferred); the next try sends the other and removes
# the drop file, but that unlink fails. The state must still be there, so
# that the try after sends only what the state does not mark sent: the
# drop file is removed before its crash leftovers, never after.
@test "faultio: a drop file's retry whose unlink fails keeps the state: the recipient sent first is not sent again" {
	nm -odq -f nobody@example.org now@x.example later@x.example \
	    <"$(hx_msg unlinkfail)" 2>>"$T/log"
	drop=$(ls -A "$T/spool/incoming")
	[ -n "$drop" ]
	run as_owner env MINIMTA_CRASH_AT=deliver.drop-state "$MINIMTA" \
	    -C "$T/minimta.conf" -q
	hx_expect_killed deliver.drop-state
	[ -f "$T/spool/incoming/$drop" ] && [ -f "$T/spool/queue/$drop.state" ]
	[ "$(hx_rcpt_count "$RELAY_SPOOL" now@x.example)" -eq 1 ]
	# a relay that takes later@ too
	start_smtpd relay2
	hx_conf "smtp://$RELAY2_HOST:$RELAY2_PORT"
	fio owner "unlink:EIO:1:/incoming/$drop" -q
	echo "$output" >&2
	[[ "$output" == *"$drop: remove incoming/$drop: $(errtext EIO)"* ]]
	# pickup took the drop file that stayed, with that state, and the
	# run's look at queue/ sent what the state still had pending
	[[ "$output" == *"minimta/pickup["*"]: $drop: uid="* ]]
	[ -z "$(ls -A "$T/spool/incoming")" ]
	hx_qrun
	hx_spool_settled
	n=$(( $(hx_rcpt_count "$RELAY_SPOOL" now@x.example) +
	    $(hx_rcpt_count "$RELAY2_SPOOL" now@x.example) ))
	echo "now@ got $n" >&2
	[ "$n" -eq 1 ]
	# the record of later@'s delivery was the unlink that failed: it is
	# sent again, as a queued message whose removal fails would be
	[ "$(hx_rcpt_count "$RELAY2_SPOOL" later@x.example)" -eq 2 ]
}

@test "faultio: a failed delivery-state save keeps the message and its old state" {
	om -odq -f sender@example.org later@x.example <"$(hx_msg later)" \
	    2>>"$T/log"
	id=$(qids)
	hx_qrun
	log_has "$id: to=<later@x.example>, .*status=deferred"
	cp "$T/spool/queue/$id.state" "$T/state.1"
	# every state save of the run fails (1+): however often it saves
	# (a save that only records a deferral is synced with the others
	# of the run: one syncfs of the spool, deliver.c)
	for spec in write:ENOSPC:1+:.state write:EIO:1+:.state \
	    syncfs:EIO:1+:/queue rename:EIO:1+:.state rename:ENOSPC:1+:.state; do
		fio owner "$spec" -q
		echo "state $spec: exit $status" >&2
		[[ "$output" == *"$id"*"state"*"$(errtext "$spec")"* ]]
		# the message is there, its state is the last good one, no
		# temporary is left
		[ "$(qfiles)" = "$id" ]
		cmp "$T/state.1" "$T/spool/queue/$id.state"
		[ "$(ls -A "$T/spool/queue" | wc -l)" -eq 2 ]
	done
	run om -bp
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id"* ]]
	[[ "$output" == *"try later"* ]]
	# the server takes it now: delivered once
	stop_server relay
	start_smtpd relay2
	hx_conf "smtp://$RELAY2_HOST:$RELAY2_PORT"
	hx_qrun
	hx_spool_settled
	[ "$(hx_subject_count "$RELAY2_SPOOL" later)" -eq 1 ]
	[ "$(count_eml "$RELAY2_SPOOL")" -eq 1 ]
}

@test "faultio: a failed bounce write keeps the message; the next run sends one report" {
	om -odq -f sender@example.org bad@x.example <"$(hx_msg bounce)" \
	    2>>"$T/log"
	id=$(qids)
	# the report's file fails (a temporary in queue/), not the state file
	for spec in 'write:ENOSPC:1+:/queue/.&!.state' \
	    'fsync:EIO:1+:/queue/.&!.state' 'rename:EIO:1+:/queue/.&!.state'; do
		fio owner "$spec" -q
		echo "bounce $spec: exit $status" >&2
		[[ "$output" == *"$id"*"bounce"*"$(errtext "$spec")"* ]]
		[ "$(qfiles)" = "$id" ]
		[ -z "$(ls -A "$T/spool/queue" | grep '^\.')" ]
	done
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	hx_qrun
	hx_qrun
	hx_spool_settled
	[ "$(hx_rcpt_count "$RELAY_SPOOL" sender@example.org "<>")" -eq 1 ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
}
