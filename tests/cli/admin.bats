#!/usr/bin/env bats
# Queue administration (issue 7): -Mrm removes, -Mf holds (freezes), -Mt
# releases (thaws), -M delivers now, by queue id or for every message
# matching -qR/-qS; held messages wait in hold/ and mailq marks them.
# The spool belongs to an account of its own, as installed (harness.bash);
# root drops to it, anyone else is refused. Needs root.

load common
load ../lib/servers
load delivery
load ../lib/harness

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup_file()
{
	hx_setup_file mtaad
}

teardown_file()
{
	hx_teardown_file
}

setup()
{
	hx_setup
	start_smtpd relay \
	    --reject-rcpt "later@x.example=451 4.2.0 try later" \
	    --reject-rcpt "bad@x.example=550 5.1.1 no such user"
	hx_conf "smtp://$RELAY_HOST:$RELAY_PORT" "spool_owner $OWNER"
}

teardown()
{
	hx_teardown
}

# osend [args] rcpt...: the owner queues a test message (-odq); its log
# goes to $T/log.
osend()
{
	printf 'Subject: admin test\n\nbody\n' | om -odq "$@" 2>>"$T/log"
}

# hsend NAME [args] rcpt...: the owner queues hx_msg NAME (-odq).
hsend()
{
	local name=$1
	shift
	om -odq "$@" <"$(hx_msg "$name")" 2>>"$T/log"
}

# the root-run minimta (drops to the owner)
rm_()
{
	"$MINIMTA" -C "$T/minimta.conf" "$@"
}

# held: the held messages (message files of hold/), one a line.
held()
{
	ls -A "$T/spool/hold" 2>/dev/null | grep -v '\.state$' | grep -v '^\.' || true
}

# queued ID: ID is in queue/ and not in hold/ (and the other way round).
queued()
{
	[ -f "$T/spool/queue/$1" ] && [ ! -e "$T/spool/hold/$1" ]
}

is_held()
{
	[ -f "$T/spool/hold/$1" ] && [ ! -e "$T/spool/queue/$1" ]
}

# the relay's messages, all of them (bounces included)
relay_count()
{
	count_eml "$RELAY_SPOOL"
}

# to_relay2: a second server that takes everything; the config points
# there from now on.
to_relay2()
{
	start_smtpd relay2
	hx_conf "smtp://$RELAY2_HOST:$RELAY2_PORT" "spool_owner $OWNER" "$@"
}

# got DIR NAME N: the smtpd spool DIR has N copies of hx_msg NAME (for
# wait_until, which runs it again until it holds).
got()
{
	[ "$(hx_subject_count "$1" "$2")" -eq "$3" ]
}

# settled: nothing left anywhere, hold/ included, no stray state file.
settled()
{
	hx_spool_settled
	[ -z "$(ls -A "$T/spool/hold")" ] || {
		echo "hold/ not empty: $(ls -A "$T/spool/hold")" >&2
		return 1
	}
}

@test "admin: -Mrm ID removes the message, queues nothing (it was read as -M rm and a recipient)" {
	osend -f alice@example.org one@x.example
	id=$(qids)
	[ -n "$id" ]
	run rm_ -Mrm "$id" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(qids)" ]
	[ -z "$(ls -A "$T/spool/incoming")" ]
	[[ "$output" == *"minimta/postsuper["*"]: $id: removed by uid 0 (root)"* ]]
	! grep -q "$id@" "$T/spool/queue"/* 2>/dev/null || false
}

@test "admin: -Mf holds, -Mt releases; root acts as the owner and the log says who" {
	osend one@x.example
	id=$(qids)
	run rm_ -Mf "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id: placed on hold"* ]]
	[[ "$output" == *"$id: placed on hold by uid 0 (root)"* ]]
	is_held "$id"
	# root dropped to the owner before touching the spool
	[ "$(stat -c %U "$T/spool/hold")" = "$OWNER" ]
	[ "$(stat -c '%a %U' "$T/spool/hold/$id")" = "600 $OWNER" ]
	# again: nothing to do, not an error
	run om -Mf "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id: already on hold"* ]]
	run om -Mt "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id: released from hold"* ]]
	[[ "$output" == *"$id: released from hold by uid $(id -u "$OWNER") ($OWNER)"* ]]
	queued "$id"
	run om -Mt "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id: not on hold"* ]]
	hx_qrun
	[ "$(hx_rcpt_count "$RELAY_SPOOL" one@x.example)" -eq 1 ]
	settled
}

@test "admin: a held message is not delivered by -q, -qI, -qR, and not expired (queue_lifetime 0)" {
	hx_conf "smtp://$RELAY_HOST:$RELAY_PORT" "spool_owner $OWNER" \
	    "queue_lifetime 0"
	hsend held -f alice@x.example later@x.example
	id=$(qids)
	om -Mf "$id"
	hx_qrun
	hx_qrun -qI"$id"
	hx_qrun -qRlater
	is_held "$id"
	[ "$(relay_count)" -eq 0 ]
	! grep -q "$id: to=" "$T/log" || false
	# the state file was never written: no attempt
	[ ! -e "$T/spool/hold/$id.state" ]
	# the lifetime counts from arrival: released, one attempt, expired
	om -Mt "$id"
	hx_qrun
	log_has "$id: to=<later@x.example>, .*status=expired" "$T/qlog"
	hx_qrun
	# the bounce went to the sender
	[ "$(hx_rcpt_count "$RELAY_SPOOL" alice@x.example "<>")" -eq 1 ]
}

@test "admin: the daemon runner skips a held message, in its scans and when triggered" {
	hsend held one@x.example
	id=$(qids)
	om -Mf "$id"
	hx_bg_owner "$MINIMTA" -C "$T/minimta.conf" -q1h 2>"$T/daemon"
	wait_until 10 grep -q "queue runner started" "$T/daemon"
	# a new message wakes it (trigger); it goes, the held one stays
	om -f bob@example.org two@x.example <"$(hx_msg fresh)" 2>>"$T/log"
	wait_until 10 got "$RELAY_SPOOL" fresh 1
	is_held "$id"
	[ "$(hx_subject_count "$RELAY_SPOOL" held)" -eq 0 ]
	# released: the trigger that -Mt writes makes the daemon send it
	om -Mt "$id"
	wait_until 10 got "$RELAY_SPOOL" held 1
	cat "$T/daemon" >&2
	[ "$(grep -c "$id: to=" "$T/daemon")" -eq 1 ]
}

@test "admin: mailq marks a held message with ! and -j names its queue hold" {
	osend -f alice@example.org one@x.example
	a=$(qids)
	osend -f bob@example.org two@x.example
	b=$(qids | grep -v "$a")
	om -Mf "$b" >/dev/null
	run om -bp
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ (^|$'\n')$a\ +[0-9]+\ .*alice@example.org ]]
	[[ "$output" =~ (^|$'\n')$b!\ +[0-9]+\ .*bob@example.org ]]
	[[ "$output" == *"two@x.example"* ]]
	[[ "$output" == *"-- 2 Kbytes in 2 Requests."* ]]
	# -qR narrows the held ones too
	run om -bp -qRtwo
	[[ "$output" == *"$b!"* ]]
	[[ "$output" != *"$a"* ]]
	run om -bp -j
	[ "$status" -eq 0 ]
	echo "$output"
	run /usr/bin/python3 -c '
import json, sys
a, b = sys.argv[1:3]
recs = {r["queue_id"]: r for r in map(json.loads, sys.stdin.read().splitlines())}
assert set(recs) == {a, b}, recs
assert recs[b]["queue_name"] == "hold", recs[b]
assert recs[a]["queue_name"] == "active", recs[a]
assert recs[b]["recipients"] == [{"address": "two@x.example"}], recs[b]
print("ok")
' "$a" "$b" <<<"$output"
	[ "$output" = ok ]
}

@test "admin: -M delivers a held message and a deferred one before its retry time, only those" {
	hx_conf "smtp://$RELAY_HOST:$RELAY_PORT" "spool_owner $OWNER" \
	    "retry_min 1h" "retry_max 2h"
	hsend deferred later@x.example
	d=$(qids)
	hx_qrun
	log_has "$d: to=<later@x.example>, .*status=deferred" "$T/qlog"
	# its next try is an hour away
	w=$(sed -n 's/^W[0-9]*://p' "$T/spool/queue/$d.state")
	[ "$w" -gt $(( $(date +%s) + 1800 )) ]
	hsend held one@x.example
	h=$(qids | grep -v "$d")
	om -Mf "$h"
	hsend other two@x.example
	to_relay2 "retry_min 1h" "retry_max 2h"
	run om -M "$d" "$h"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$h: released from hold by uid"* ]]
	[[ "$output" == *"$d: to=<later@x.example>, "*"status=sent"* ]]
	[[ "$output" == *"$h: to=<one@x.example>, "*"status=sent"* ]]
	[ "$(hx_subject_count "$RELAY2_SPOOL" deferred)" -eq 1 ]
	[ "$(hx_subject_count "$RELAY2_SPOOL" held)" -eq 1 ]
	# the message not named stays queued
	[ "$(hx_subject_count "$RELAY2_SPOOL" other)" -eq 0 ]
	[ "$(qids)" = "$(ls "$T/spool/queue" | grep -v state)" ]
	[ "$(nqueued)" -eq 1 ]
	[ -z "$(held)" ]
}

@test "admin: bulk forms: -Mf -qR, -Mt -qS, -M -qR, -Mrm -qS act on the matching messages only" {
	hsend s1 -f spammer@spam.example a@x.example
	hsend s2 -f spammer@spam.example b@spam.example
	hsend h1 -f alice@example.org c@x.example
	hsend h2 -f bob@example.org d@spam.example
	[ "$(nqueued)" -eq 4 ]
	run rm_ -Mf -qR@spam.example
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(held | wc -l)" -eq 2 ]
	[ "$(grep -c ': placed on hold$' <<<"$output")" -eq 2 ]
	for id in $(held); do grep -q '^R.*@spam.example' "$T/spool/hold/$id"; done
	# -Mt -qS: only bob's of the held ones
	run om -Mt -qSbob@
	[ "$status" -eq 0 ]
	[ "$(held | wc -l)" -eq 1 ]
	[ "$(grep -c ': released from hold$' <<<"$output")" -eq 1 ]
	# -M -qR: held or not, what matches goes now
	run om -M -qRb@spam.example
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(hx_subject_count "$RELAY_SPOOL" s2)" -eq 1 ]
	[ "$(hx_subject_count "$RELAY_SPOOL" s1)" -eq 0 ]
	[ "$(hx_subject_count "$RELAY_SPOOL" h2)" -eq 0 ]
	# -Mrm -qS: queued and held alike
	om -Mf -qRa@x.example >/dev/null
	run om -Mrm -qSspammer@
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': removed$' <<<"$output")" -eq 1 ]
	[ -z "$(held)" ]
	[ "$(nqueued)" -eq 2 ]
	# nothing matches: said, and not an error
	run om -Mrm -qSnobody-sends-this
	[ "$status" -eq 0 ]
	[[ "$output" == *"-Mrm: no message matches"* ]]
	run om -M -qSnobody-sends-this
	[ "$status" -eq 0 ]
	[[ "$output" == *"-M: no message matches"* ]]
	[ "$(nqueued)" -eq 2 ]
	hx_qrun
	[ "$(hx_subject_count "$RELAY_SPOOL" h1)" -eq 1 ]
	[ "$(hx_subject_count "$RELAY_SPOOL" h2)" -eq 1 ]
	[ "$(hx_subject_count "$RELAY_SPOOL" s1)" -eq 0 ]
	settled
}

@test "admin: -Mrm of a deferred message: no bounce reaches the sender, the server sees nothing" {
	hsend gone -f alice@x.example later@x.example
	id=$(qids)
	hx_qrun
	log_has "$id: to=<later@x.example>, .*status=deferred" "$T/qlog"
	run om -Mrm "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id: removed by uid $(id -u "$OWNER") ($OWNER)"* ]]
	[ -z "$(ls -A "$T/spool/queue")" ]
	hx_qrun
	hx_qrun
	[ "$(relay_count)" -eq 0 ]
	! grep -q 'non-delivery' "$T/log" || false
	settled
}

@test "admin: -Mrm of a held message removes it and its state" {
	hsend held later@x.example
	id=$(qids)
	hx_qrun
	om -Mf "$id"
	[ -f "$T/spool/hold/$id.state" ]
	run om -Mrm "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id: removed by uid"* ]]
	[ -z "$(ls -A "$T/spool/hold")" ]
	settled
}

@test "admin: a drop file waiting for pickup is removed by its id" {
	id=$(nm -odq -f nobody@example.org one@x.example <"$(hx_msg drop)" 2>&1 |
	    sed -n 's/.*: \([0-9A-V]\{14\}\): uid=.*/\1/p')
	[ -n "$id" ]
	[ -f "$T/spool/incoming/$id" ]
	run om -Mrm "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id: removed by uid"* ]]
	hx_qrun
	[ "$(relay_count)" -eq 0 ]
	settled
}

@test "admin: anyone else is refused with one line and exit 77, nothing changes" {
	osend one@x.example
	id=$(qids)
	om -Mf "$id"
	for f in -Mrm -Mf -Mt -M; do
		run nm "$f" "$id"
		echo "$f: $output"
		[ "$status" -eq 77 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "minimta: $f: permission denied: only the spool owner (uid $(id -u "$OWNER")) and root may do this" ]]
	done
	run nm -Mrm -qR@x.example
	[ "$status" -eq 77 ]
	is_held "$id"
	[ "$(relay_count)" -eq 0 ]
}

@test "admin: an unknown or malformed id is named, exit 66, and the other ids are still done" {
	osend one@x.example
	a=$(qids)
	osend two@x.example
	b=$(qids | grep -v "$a")
	run om -Mrm 1LHAAAAAAAAAA0 "$a" not-an-id "$b"
	echo "$output"
	[ "$status" -eq 66 ]
	[[ "$output" == *"minimta: -Mrm: 1LHAAAAAAAAAA0: no such message in the queue"* ]]
	[[ "$output" == *"minimta: -Mrm: not-an-id: not a queue id"* ]]
	[[ "$output" == *"$a: removed"* ]]
	[[ "$output" == *"$b: removed"* ]]
	[ "$(nqueued)" -eq 0 ]
	for f in -Mf -Mt -M; do
		run om "$f" 1LHAAAAAAAAAA0
		[ "$status" -eq 66 ]
		[[ "$output" == *"$f: 1LHAAAAAAAAAA0: no such message in the queue"* ]]
	done
}

@test "admin: usage errors name the flags (64)" {
	run om -Mrm
	[ "$status" -eq 64 ]
	[[ "$output" == *"-Mrm: give the queue ids, or select messages with -qR or -qS"* ]]
	run om -Mf -qR@x 1LHAAAAAAAAAA0
	[ "$status" -eq 64 ]
	[[ "$output" == *"not both"* ]]
	run om -Mf -Mrm 1LHAAAAAAAAAA0
	[ "$status" -eq 64 ]
	[[ "$output" == *"conflicting modes: -Mf and -Mrm"* ]]
	run om -Mvh 1LHAAAAAAAAAA0
	[ "$status" -eq 64 ]
	[[ "$output" == *"-Mvh: not supported"* ]]
	run om -Mf -q 1LHAAAAAAAAAA0
	[ "$status" -eq 64 ]
	run om -Mf -qI1LH
	[ "$status" -eq 64 ]
	[[ "$output" == *"-qI: not with -Mf"* ]]
	# and nothing was queued by any of them
	[ -z "$(dir_entries queue)$(dir_entries incoming)" ]
}

# crash_move OP POINT: a message with one recipient sent and one deferred
# (its state says which); OP (-Mf, or -Mt after a clean -Mf) SIGKILLs
# itself at POINT. mailq must still show it, once, with only the pending
# recipient; OP again finishes the move; released and delivered, the
# sent recipient never gets a second copy.
crash_move()
{
	local op=$1 point=$2 id out
	hsend "c-$point" ok@x.example later@x.example
	id=$(qids)
	hx_qrun
	log_has "$id: to=<later@x.example>, .*status=deferred" "$T/qlog"
	[ "$(hx_subject_count "$RELAY_SPOOL" "c-$point")" -eq 1 ]
	[ "$op" = -Mf ] || om -Mf "$id"
	run as_owner env MINIMTA_CRASH_AT="$point" "$MINIMTA" \
	    -C "$T/minimta.conf" "$op" "$id"
	hx_expect_killed "$point"
	out=$(om -bp)
	echo "$out" >&2
	[ "$(grep -c "^$id" <<<"$out")" -eq 1 ]
	[[ "$out" == *"later@x.example"* ]]
	[[ "$out" != *"ok@x.example"* ]]
	[[ "$out" == *"-- 1 Kbytes in 1 Request."* ]]
	# a queue run meanwhile (it cleans up spare state links) sends
	# nothing twice
	hx_qrun
	# OP again completes the move
	run om "$op" "$id"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	if [ "$op" = -Mf ]; then is_held "$id"; else queued "$id"; fi
	[[ "$(om -bp)" == *"later@x.example"* ]]
	to_relay2
	om -Mt "$id" >/dev/null
	hx_qrun
	[ "$(hx_rcpt_count "$RELAY2_SPOOL" later@x.example)" -eq 1 ]
	[ "$(hx_rcpt_count "$RELAY2_SPOOL" ok@x.example)" -eq 0 ]
	[ "$(hx_rcpt_count "$RELAY_SPOOL" ok@x.example)" -eq 1 ]
	settled
}

@test "admin crash: -Mf killed after linking the state into hold/" {
	crash_move -Mf hold.after-link
}

@test "admin crash: -Mf killed after renaming the message into hold/" {
	crash_move -Mf hold.after-rename
}

@test "admin crash: -Mf killed after unlinking the old state, before the sync" {
	crash_move -Mf hold.after-unlink
}

@test "admin crash: -Mt killed after linking the state into queue/" {
	crash_move -Mt release.after-link
}

@test "admin crash: -Mt killed after renaming the message into queue/" {
	crash_move -Mt release.after-rename
}

@test "admin crash: -Mt killed after unlinking the old state, before the sync" {
	crash_move -Mt release.after-unlink
}

# The lock race: a runner waits for a message's lock while the holder
# moves it to hold/ (what -Mf does under that lock, done here by hand so
# that the order is certain); once it has the lock it must see that the
# name no longer leads to its file, and leave the message alone.
@test "admin: a runner that waited for the lock of a message held meanwhile does not deliver it" {
	hsend raced one@x.example
	id=$(qids)
	mkfifo "$T/go"
	flock -x "$T/spool/queue/$id" cat "$T/go" &
	locker=$!
	DL_PIDS+=("$locker")
	wait_until 5 grep -q "FLOCK  ADVISORY  WRITE $locker " /proc/locks
	hx_bg_owner "$MINIMTA" -C "$T/minimta.conf" -q
	runner=$HX_BG
	# the runner is blocked on the message's lock
	wait_until 10 grep -q -- "-> FLOCK  ADVISORY  WRITE $runner " /proc/locks
	mv "$T/spool/queue/$id" "$T/spool/hold/$id"
	echo go >"$T/go"
	wait "$locker"
	wait "$runner"
	is_held "$id"
	[ "$(relay_count)" -eq 0 ]
	om -Mt "$id"
	hx_qrun
	[ "$(hx_subject_count "$RELAY_SPOOL" raced)" -eq 1 ]
}

@test "admin: a spool made before hold/ existed gets it from the owner's next run; a wrong mode is reported" {
	rmdir "$T/spool/hold"
	osend one@x.example
	id=$(qids)
	[ -d "$T/spool/hold" ]
	[ "$(stat -c '%a %U' "$T/spool/hold")" = "700 $OWNER" ]
	om -Mf "$id" >/dev/null
	is_held "$id"
	chmod 0755 "$T/spool/hold"
	run om -bp
	[ "$status" -eq 75 ]
	[[ "$output" == *"$T/spool/hold: mode 0755 owner $(id -u "$OWNER"), want mode 0700"* ]]
	[ "$(stat -c %a "$T/spool/hold")" = 755 ]
}

@test "admin crash: a bulk -Mf killed before its sync told nothing; every message is still listed, once" {
	for i in 1 2 3; do hsend "b$i" "r$i@x.example"; done
	run as_owner env MINIMTA_CRASH_AT=admin.before-sync "$MINIMTA" \
	    -C "$T/minimta.conf" -Mf -qR@x.example
	hx_expect_killed admin.before-sync
	# killed before it said anything
	[[ "$output" != *"placed on hold"* ]]
	out=$(om -bp)
	echo "$out" >&2
	[[ "$out" == *"-- 3 Kbytes in 3 Requests."* ]]
	[ "$(held | wc -l)" -eq 3 ]
	# all held already: the bulk -Mf looks at queued messages only
	run om -Mf -qR@x.example
	[ "$status" -eq 0 ]
	[[ "$output" == *"-Mf: no message matches"* ]]
	om -Mt -qR@x.example >/dev/null
	hx_qrun
	for i in 1 2 3; do [ "$(hx_subject_count "$RELAY_SPOOL" "b$i")" -eq 1 ]; done
	settled
}

# fault SPEC ARGS...: minimta as the owner with faultio.so's SPEC armed
# on the spool; `run`'s status and output. The fault must fire.
fault()
{
	local spec=$1 so=$REPO/${BUILD:-build}/faultio.so
	shift
	[ -f "$so" ] || skip "no $so (make check builds it)"
	if ! as_owner test -r "$so"; then
		cp "$so" "$T/faultio.so"
		chmod 0644 "$T/faultio.so"
		so=$T/faultio.so
	fi
	: >"$T/faultlog"
	chmod 0666 "$T/faultlog"
	run as_owner env LD_PRELOAD="$so" MINIMTA_FAULT="$spec" \
	    MINIMTA_FAULT_DIR="$SPOOL" MINIMTA_FAULT_LOG="$T/faultlog" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$MINIMTA" -C "$T/minimta.conf" "$@"
	[ -s "$T/faultlog" ] || {
		echo "fault $spec never fired: exit $status: $output" >&2
		return 1
	}
}

@test "admin: an fsync that fails is reported (75), never \"placed on hold\"" {
	osend one@x.example
	id=$(qids)
	fault "fsync:EIO:1+:/hold" -Mf "$id"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"-Mf: $id: fsync $SPOOL/hold: Input/output error"* ]]
	[[ "$output" != *"placed on hold"* ]]
}

@test "admin: a rename that fails leaves the message queued with its state; the spare link goes" {
	hsend rn ok@x.example later@x.example
	id=$(qids)
	hx_qrun
	fault "rename:EIO:1:/hold" -Mf "$id"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"-Mf: $id: rename queue/$id: hold/$id: Input/output error"* ]]
	queued "$id"
	# the state's link made before the rename is spare: a run removes it
	[ -f "$T/spool/hold/$id.state" ]
	to_relay2
	hx_qrun
	[ ! -e "$T/spool/hold/$id.state" ]
	[ "$(hx_rcpt_count "$RELAY2_SPOOL" later@x.example)" -eq 1 ]
	[ "$(hx_rcpt_count "$RELAY2_SPOOL" ok@x.example)" -eq 0 ]
	settled
}

# A drop file whose pickup was cut short (committed to queue/, not yet
# unlinked) while the message was held meanwhile: the next pickup must
# find it in hold/ and not queue it a second time.
@test "admin: a drop file already picked up and held since is not queued again" {
	id=$(nm -odq -f nobody@example.org one@x.example <"$(hx_msg twice)" 2>&1 |
	    sed -n 's/.*: \([0-9A-V]\{14\}\): uid=.*/\1/p')
	[ -n "$id" ]
	# a run that selects (-qR) queues drop files by pickup
	run as_owner env MINIMTA_CRASH_AT=pickup.before-unlink "$MINIMTA" \
	    -C "$T/minimta.conf" -q -qRx.example
	hx_expect_killed pickup.before-unlink
	[ -f "$T/spool/incoming/$id" ]
	queued "$id"
	# another pickup holds the drop file, so -Mf's own pickup skips it
	mkfifo "$T/go"
	flock -x "$T/spool/incoming/$id" cat "$T/go" &
	locker=$!
	DL_PIDS+=("$locker")
	wait_until 5 grep -q "FLOCK  ADVISORY  WRITE $locker " /proc/locks
	om -Mf "$id" >/dev/null
	echo go >"$T/go"
	wait "$locker"
	is_held "$id"
	[ -f "$T/spool/incoming/$id" ]
	hx_qrun
	log_has "incoming/$id: already queued as $id; removed" "$T/qlog"
	[ ! -e "$T/spool/incoming/$id" ]
	is_held "$id"
	[ "$(relay_count)" -eq 0 ]
	om -Mt "$id" >/dev/null
	hx_qrun
	[ "$(hx_subject_count "$RELAY_SPOOL" twice)" -eq 1 ]
	settled
}
