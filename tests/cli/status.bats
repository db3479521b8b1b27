#!/usr/bin/env bats
# Delivery status for gateways (issue 7): the delivery journal and
# "mailq -s ID-or-Message-ID" (text and -j): queued, deferred (reason,
# next attempt), sent, bounced, expired, for a message still queued or
# gone; pruning by age and size; a journal that cannot be written never
# fails a delivery; who may read it (status_group); -v and print_queue_id
# print the queue id on submission.

bats_require_minimum_version 1.5.0

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=120

setup()
{
	dl_setup
}

teardown()
{
	[ -n "${OWNER:-}" ] && userdel "$OWNER" 2>/dev/null || true
	[ -n "${OWNER:-}" ] && groupdel "$OWNER" 2>/dev/null || true
	dl_teardown
}

# st ARGS: mailq -s with the test's config; output in $output.
st()
{
	"$MINIMTA" -C "$T/minimta.conf" -bp -s "$@"
}

# jrcpt ADDR JQ: a field of ADDR's entry in the -j answer held in $output.
jrcpt()
{
	jq -r --arg a "$1" ".recipients[] | select(.address == \$a) | $2" \
	    <<<"$output"
}

# relay_conf [extra lines]: a relay that refuses bad@ (550) and defers
# t@ (451), and a config that sends there.
relay_conf()
{
	start_smtpd relay \
	    --reject-rcpt "bad@x.example=550 5.1.1 no such user" \
	    --reject-rcpt "t@x.example=451 4.3.0 try again later"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "$@"
}

# msg_with_id MSGID: the test message with a Message-ID field.
msg_with_id()
{
	printf 'Message-ID: %s\nSubject: status\n\nbody\n' "$1"
}

@test "status: -v prints the queue id on stdout; a never-tried message is queued" {
	relay_conf
	id=$(msg_with_id '<q1@gw.example>' |
	    "$MINIMTA" -C "$T/minimta.conf" -odq -v a@x.example b@x.example \
	    2>>"$T/log")
	[[ "$id" =~ ^[0-9A-V]{14}$ ]]
	[ "$id" = "$(qids)" ]
	run st "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "$id: message-id=<q1@gw.example>, from=<"*">, queued="* ]]
	[[ "${lines[1]}" == "  to=<a@x.example>, status=queued, time="* ]]
	[[ "${lines[2]}" == "  to=<b@x.example>, status=queued, time="* ]]
	[ "${#lines[@]}" -eq 3 ]
	# nothing was sent
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
}

@test "status: print_queue_id (config or -O) prints the id; without it stdout stays empty" {
	relay_conf
	out=$(printf 'Subject: x\n\nb\n' | "$MINIMTA" -C "$T/minimta.conf" \
	    -odq a@x.example 2>>"$T/log")
	[ -z "$out" ]
	out=$(printf 'Subject: x\n\nb\n' | "$MINIMTA" -C "$T/minimta.conf" \
	    -odq -O print_queue_id=yes a@x.example 2>>"$T/log")
	[[ "$out" =~ ^[0-9A-V]{14}$ ]]
	qids | grep -qx "$out"
	echo "print_queue_id yes" >>"$T/minimta.conf"
	out2=$(printf 'Subject: x\n\nb\n' | "$MINIMTA" -C "$T/minimta.conf" \
	    -odq a@x.example 2>>"$T/log")
	[[ "$out2" =~ ^[0-9A-V]{14}$ ]]
	[ "$out2" != "$out" ]
	qids | grep -qx "$out2"
}

@test "status: sendmail -s when submitting is still ignored (save From_ lines)" {
	relay_conf
	printf 'Subject: x\n\nb\n' | "$MINIMTA" -C "$T/minimta.conf" -odq -s \
	    a@x.example 2>>"$T/log"
	grep -qx 'Ra@x.example\|R[0-9]*:a@x.example' "$(one_qfile)"
}

@test "status: sent, bounced and deferred per recipient, with relay, dsn, reply, reason and next attempt" {
	relay_conf
	id=$(msg_with_id '<mix@gw.example>' |
	    "$MINIMTA" -C "$T/minimta.conf" -odq -v a@x.example bad@x.example \
	    t@x.example 2>>"$T/log")
	qrun
	run st "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	relay="relay=$RELAY_HOST[$RELAY_HOST]:$RELAY_PORT"
	[[ "${lines[1]}" == "  to=<a@x.example>, status=sent, time="*", $relay, dsn=2.0.0 (250 "*")" ]]
	[[ "${lines[2]}" == "  to=<bad@x.example>, status=bounced, time="*", $relay, dsn=5.1.1 (550 5.1.1 no such user)" ]]
	[[ "${lines[3]}" == "  to=<t@x.example>, status=deferred, time="*", next_attempt="*", $relay, dsn=4.3.0 (451 4.3.0 try again later)" ]]
	run st "$id" -j
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .queue_id <<<"$output")" = "$id" ]
	[ "$(jq -r .message_id <<<"$output")" = "<mix@gw.example>" ]
	[ "$(jq -r '.recipients | length' <<<"$output")" -eq 3 ]
	[ "$(jrcpt a@x.example .status)" = sent ]
	[ "$(jrcpt a@x.example .dsn)" = 2.0.0 ]
	[ "$(jrcpt a@x.example .relay)" = "$RELAY_HOST[$RELAY_HOST]:$RELAY_PORT" ]
	[[ "$(jrcpt a@x.example .reply)" == "250 "* ]]
	[ "$(jrcpt bad@x.example .status)" = bounced ]
	[ "$(jrcpt bad@x.example .reply)" = "550 5.1.1 no such user" ]
	[ "$(jrcpt t@x.example .status)" = deferred ]
	[ "$(jrcpt t@x.example .delay_reason)" = "451 4.3.0 try again later" ]
	# the next attempt is the state file's, retry_min (5m) later
	next=$(jrcpt t@x.example .next_attempt)
	grep -qx "W[0-9]*:$next" "$T/spool/queue/$id.state"
	when=$(jrcpt t@x.example .time)
	[ $((next - when)) -ge 299 ] && [ $((next - when)) -le 301 ]
	# the journal file: version line, one line per record, mode 0640
	f=$(ls "$T/spool/journal/")
	[[ "$f" =~ ^[0-9]{10}$ ]]
	[ "$(stat -c %a "$T/spool/journal")" = 2750 ]
	[ "$(stat -c %a "$T/spool/journal/$f")" = 640 ]
	[ "$(head -1 "$T/spool/journal/$f")" = "MINIMTA-JOURNAL 1" ]
	grep -q $'\tsent\t'"$id"$'\t\t\ta@x.example\t0\t2.0.0\t' \
	    "$T/spool/journal/$f"
}

@test "status: VERP (one transaction per recipient): every deferred recipient has its next attempt" {
	start_smtpd relay \
	    --reject-rcpt "t@x.example=451 4.3.0 try again later" \
	    --reject-rcpt "u@x.example=452 4.2.2 mailbox full"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	id=$(msg_with_id '<verp@gw.example>' |
	    "$MINIMTA" -C "$T/minimta.conf" -odq -v -XV -f list@example.org \
	    t@x.example u@x.example a@x.example 2>>"$T/log")
	qrun
	run st "$id" -j
	echo "$output"
	next=$(sed -n 's/^W[0-9]*://p' "$T/spool/queue/$id.state")
	[ -n "$next" ]
	for r in t@x.example u@x.example; do
		[ "$(jrcpt $r .status)" = deferred ]
		n=$(jrcpt $r .next_attempt)
		[ "$n" != null ]
		[ $((n - next)) -ge -1 ] && [ $((n - next)) -le 1 ]
	done
	[ "$(jrcpt u@x.example .delay_reason)" = "452 4.2.2 mailbox full" ]
	[ "$(jrcpt a@x.example .status)" = sent ]
}

@test "status: a message gone from the queue is still answered, by id and by Message-ID" {
	relay_conf
	id=$(msg_with_id '<gone.1@gw.example>' |
	    "$MINIMTA" -C "$T/minimta.conf" -odq -v a@x.example c@x.example \
	    2>>"$T/log")
	qrun
	log_has "$id: removed" "$T/qlog"
	spool_empty
	run st "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "  to=<a@x.example>, status=sent,"* ]]
	[[ "${lines[2]}" == "  to=<c@x.example>, status=sent,"* ]]
	for m in '<gone.1@gw.example>' 'gone.1@gw.example'; do
		run st "$m" -j
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$(jq -r .queue_id <<<"$output")" = "$id" ]
		[ "$(jrcpt c@x.example .status)" = sent ]
	done
	# a Message-ID minimta added itself is found too
	id2=$(printf 'Subject: no id\n\nb\n' |
	    "$MINIMTA" -C "$T/minimta.conf" -odq -v a@x.example 2>>"$T/log")
	mid=$(sed -n 's/^Message-ID: //p' "$T/spool/queue/$id2")
	[ -n "$mid" ]
	run st "$mid" -j
	[ "$status" -eq 0 ]
	[ "$(jq -r .queue_id <<<"$output")" = "$id2" ]
	[ "$(jrcpt a@x.example .status)" = queued ]
}

@test "status: unknown id or Message-ID -> 67, one line on stderr, nothing on stdout" {
	relay_conf
	send a@x.example
	run --separate-stderr st 00000000000000
	[ "$status" -eq 67 ]
	[ -z "$output" ]
	[[ "$stderr" == *"00000000000000: no such message"* ]]
	run --separate-stderr st '<nope@x>' -j
	[ "$status" -eq 67 ]
	[ -z "$output" ]
	run st ''
	[ "$status" -eq 64 ]
}

@test "status: a recipient still deferred at queue_lifetime is expired" {
	relay_conf "queue_lifetime 1s"
	id=$(msg_with_id '<exp@gw.example>' |
	    "$MINIMTA" -C "$T/minimta.conf" -odq -v t@x.example 2>>"$T/log")
	wait_until 5 older_than 1 "$T/spool/queue/$id"
	qrun
	log_has "$id: to=<t@x.example>, .*status=expired" "$T/qlog"
	run st "$id" -j
	echo "$output"
	[ "$(jrcpt t@x.example .status)" = expired ]
	[ "$(jrcpt t@x.example .dsn)" = 4.3.0 ]
	[ "$(jrcpt t@x.example .reply)" = "451 4.3.0 try again later" ]
	[ "$(jrcpt t@x.example .next_attempt)" = null ]
}

# older_than S FILE: FILE's mtime is more than S seconds ago.
older_than()
{
	[ $(($(date +%s) - $(stat -c %Y "$2"))) -gt "$1" ]
}

# hour_name N: the journal file name of N hours ago.
hour_name()
{
	date -u -d "@$(($(date +%s) - $1 * 3600))" +%Y%m%d%H
}

@test "status: a queue run prunes hour files older than journal_max_age, and keeps the rest" {
	relay_conf "journal_max_age 2d"
	send a@x.example
	old=$(hour_name 49)
	kept=$(hour_name 47)
	printf 'MINIMTA-JOURNAL 1\n' >"$T/spool/journal/$old"
	printf 'MINIMTA-JOURNAL 1\n' >"$T/spool/journal/$kept"
	# not an hour file: never touched
	printf 'x\n' >"$T/spool/journal/notes"
	qrun
	[ ! -e "$T/spool/journal/$old" ]
	[ -e "$T/spool/journal/$kept" ]
	[ -e "$T/spool/journal/notes" ]
	log_has "journal: removed $old: older than journal_max_age" "$T/qlog"
}

# A writer killed between writing the note's temporary and renaming it
# leaves journal/.others.PID: a listing removes one older than a minute.
@test "status: a listing removes a killed writer's stale note, not a fresh one" {
	relay_conf
	send a@x.example
	printf '2026010100 0\n' >"$T/spool/journal/.others.4242"
	touch -d '2 minutes ago' "$T/spool/journal/.others.4242"
	printf '2026010100 0\n' >"$T/spool/journal/.others.4343"
	qrun
	[ ! -e "$T/spool/journal/.others.4242" ]
	[ -e "$T/spool/journal/.others.4343" ]
	[ -e "$T/spool/journal/.others" ]
}

@test "status: the journal stays within journal_max_size: the oldest hours go first" {
	relay_conf "journal_max_size 100K"
	send a@x.example
	h3=$(hour_name 3)
	h2=$(hour_name 2)
	h1=$(hour_name 1)
	for h in "$h3" "$h2" "$h1"; do
		printf 'MINIMTA-JOURNAL 1\n' >"$T/spool/journal/$h"
		truncate -s 40K "$T/spool/journal/$h"
	done
	qrun
	log_has "to=<a@x.example>, .*status=sent" "$T/qlog"
	# 3 x 40K and the current hour: the oldest goes, two stay
	[ ! -e "$T/spool/journal/$h3" ]
	[ -e "$T/spool/journal/$h2" ]
	[ -e "$T/spool/journal/$h1" ]
	log_has "journal: removed $h3: the journal is over journal_max_size" \
	    "$T/qlog"
	total=$(du -cb --apparent-size "$T/spool/journal/"[0-9]* | tail -1 |
	    cut -f1)
	[ "$total" -le 102400 ]
	# the current hour still got its record
	run st "$(grep -h $'\tsent\t' "$T/spool/journal/"* | cut -f3)" -j
	[ "$status" -eq 0 ]
	[ "$(jrcpt a@x.example .status)" = sent ]
}

@test "status: a submission keeps the bound too; a current hour over it drops records, logged once" {
	relay_conf "journal_max_size 64K"
	mkdir -p "$T/spool"
	"$MINIMTA" -C "$T/minimta.conf" -bp >/dev/null
	mkdir -m 2750 "$T/spool/journal"
	old=$(hour_name 5)
	printf 'MINIMTA-JOURNAL 1\n' >"$T/spool/journal/$old"
	truncate -s 60K "$T/spool/journal/$old"
	now=$(hour_name 0)
	printf 'MINIMTA-JOURNAL 1\n' >"$T/spool/journal/$now"
	truncate -s 10K "$T/spool/journal/$now"
	# no queue run: the submission itself removes the oldest hour
	printf 'Subject: x\n\nb\n' | "$MINIMTA" -C "$T/minimta.conf" -odq \
	    a@x.example b@x.example 2>"$T/slog"
	[ ! -e "$T/spool/journal/$old" ]
	grep -q $'\tqueued\t.*\ta@x.example\t' "$T/spool/journal/$now"
	# the current hour alone over the bound: records are dropped, the
	# message is queued all the same, one warning
	truncate -s 65K "$T/spool/journal/$now"
	printf 'Subject: x\n\nb\n' | "$MINIMTA" -C "$T/minimta.conf" -odq \
	    a@x.example b@x.example 2>"$T/slog"
	[ "$(stat -c %s "$T/spool/journal/$now")" -eq 66560 ]
	[ "$(log_count "journal: $now: over journal_max_size \(65536 bytes\): records dropped" "$T/slog")" -eq 1 ]
	[ "$(qids | wc -l)" -eq 2 ]
}

# A submission does not list and stat every hour file (168 of them at the
# default journal_max_age): the first writer of an hour notes what the
# others hold (journal/.others), later ones in that hour read the note.
@test "status: a submission in the same hour reads the journal's note, not each hour file (strace)" {
	command -v strace >/dev/null || skip "needs strace"
	relay_conf
	mkdir -p "$T/spool"
	"$MINIMTA" -C "$T/minimta.conf" -bp >/dev/null
	mkdir -m 2750 "$T/spool/journal"
	for i in $(seq 2 41); do
		printf 'MINIMTA-JOURNAL 1\n' >"$T/spool/journal/$(hour_name "$i")"
	done
	printf 'Subject: x\n\nb\n' | "$MINIMTA" -C "$T/minimta.conf" -odq \
	    a@x.example 2>"$T/slog"
	grep -qE '^[0-9]{10} [0-9]+$' "$T/spool/journal/.others"
	# the note is of this hour and holds the other hours' bytes
	read -r hour bytes <"$T/spool/journal/.others"
	[ "$hour" = "$(hour_name 0)" ]
	[ "$bytes" -eq $((40 * 18)) ]
	printf 'Subject: x\n\nb\n' |
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -o "$T/trace" -e trace=newfstatat,getdents64 \
	    "$MINIMTA" -C "$T/minimta.conf" -odq b@x.example 2>"$T/slog"
	# no listing, no hour file looked at by name
	! grep -q 'getdents64' "$T/trace"
	! grep -qE '"[0-9]{10}"' "$T/trace"
	[ "$(grep -c $'\tqueued\t' "$T/spool/journal/$(hour_name 0)")" -eq 2 ]
	[ "$(qids | wc -l)" -eq 2 ]
}

@test "status: a journal that cannot be written is logged once and never fails a delivery" {
	relay_conf
	# journal/ is a file: nothing can be created in it (root ignores
	# modes, so an unwritable directory would not stop this suite)
	send a@x.example b@x.example
	rm -rf "$T/spool/journal"
	printf 'x' >"$T/spool/journal"
	qrun
	log_has "to=<a@x.example>, .*status=sent" "$T/qlog"
	log_has "to=<b@x.example>, .*status=sent" "$T/qlog"
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	spool_empty
	[ "$(log_count "journal: .*; going on without it" "$T/qlog")" \
	    -eq 1 ]
	# and submission too
	printf 'Subject: x\n\nb\n' | "$MINIMTA" -C "$T/minimta.conf" -odq \
	    a@x.example 2>"$T/slog"
	[ "$(log_count "journal: .*; going on without it" "$T/slog")" \
	    -eq 1 ]
	[ "$(qids | wc -l)" -eq 1 ]
}

@test "status: a full disk under the journal (faultio ENOSPC on every write) never fails a delivery" {
	fio=$REPO/${BUILD:-build}/faultio.so
	[ -f "$fio" ] || skip "no $fio (make check builds it)"
	relay_conf
	send a@x.example b@x.example
	: >"$T/faultlog"
	MINIMTA_FAULT_DIR=$(realpath "$T/spool") \
	    MINIMTA_FAULT="write:ENOSPC:1+:/journal/" \
	    MINIMTA_FAULT_LOG=$T/faultlog LD_PRELOAD=$fio \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$MINIMTA" -C "$T/minimta.conf" -q 2>"$T/qlog"
	cat "$T/qlog" >>"$T/log"
	# the fault fired, on the journal only
	grep -q ' write .*/journal/.* ' "$T/faultlog"
	! grep -v '/journal/' "$T/faultlog"
	log_has "to=<a@x.example>, .*status=sent" "$T/qlog"
	log_has "to=<b@x.example>, .*status=sent" "$T/qlog"
	spool_empty
	[ "$(log_count "journal: .*No space left on device; going on without it" \
	    "$T/qlog")" -eq 1 ]
}

# Gateway access: a spool owned by its own account (as installed), root
# running the queue, status_group www-data.
gw_setup()
{
	skip_unless_root "useradd, setpriv"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	getent group www-data >/dev/null || skip "needs the www-data group"
	OWNER=mtas$$
	useradd -r -M -U -d /nonexistent -s /usr/sbin/nologin "$OWNER"
	relay_conf "spool_owner $OWNER" "status_group www-data"
	mkdir -p "$T/spool"
	chown "$OWNER:$OWNER" "$T/spool"
	chmod 0755 "$T/spool" "$T"
	chmod 0644 "$T/minimta.conf"
	# root's first run: the owner makes the layout, root the journal's
	# group
	"$MINIMTA" -C "$T/minimta.conf" -bp >/dev/null
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$MINIMTA"; then
		cp "$MINIMTA" "$T/minimta"
		chmod 0755 "$T/minimta"
		MINIMTA=$T/minimta
	fi
}

as() { local u=$1 g=$2; shift 2; setpriv --reuid="$u" --regid="$g" "$@"; }

@test "status: root gives journal/ the status_group; www-data submits, gets its id, and reads the status" {
	gw_setup
	# a gateway's submission: -v prints the id it keeps
	id=$(msg_with_id '<gw.1@gw.example>' | as www-data www-data \
	    --init-groups "$MINIMTA" -C "$T/minimta.conf" -v a@x.example \
	    2>>"$T/log")
	[[ "$id" =~ ^[0-9A-V]{14}$ ]]
	[ -e "$T/spool/incoming/$id" ]
	# not picked up yet: queued, from incoming/ alone
	run as www-data www-data --init-groups "$MINIMTA" \
	    -C "$T/minimta.conf" -bp -s "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "$id: "*"status=queued (waiting for pickup"* ]]
	# root runs the queue (as the owner); the journal is the owner's,
	# group www-data, setgid; its files 0640
	qrun
	log_has "$id: to=<a@x.example>, .*status=sent" "$T/qlog"
	[ "$(stat -c '%a %U %G' "$T/spool/journal")" = "2750 $OWNER www-data" ]
	for f in "$T/spool/journal/"*; do
		[ "$(stat -c '%a %U %G' "$f")" = "640 $OWNER www-data" ]
	done
	run as www-data www-data --init-groups "$MINIMTA" \
	    -C "$T/minimta.conf" -bp -s "$id" -j
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .message_id <<<"$output")" = "<gw.1@gw.example>" ]
	[ "$(jrcpt a@x.example .status)" = sent ]
	# a member by a supplementary group only
	run as nobody nogroup --groups=www-data "$MINIMTA" \
	    -C "$T/minimta.conf" -bp -s '<gw.1@gw.example>'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"to=<a@x.example>, status=sent"* ]]
	# the gateway still cannot list the queue
	run as www-data www-data --init-groups "$MINIMTA" \
	    -C "$T/minimta.conf" -bp
	[ "$status" -eq 77 ]
}

@test "status: a user outside status_group is refused with 77 and learns nothing" {
	gw_setup
	id=$(msg_with_id '<gw.2@gw.example>' | "$MINIMTA" \
	    -C "$T/minimta.conf" -odq -v a@x.example 2>>"$T/log")
	qrun
	for who in "nobody nogroup --clear-groups" \
	    "$OWNER-not nogroup --clear-groups"; do
		set -- $who
		[ "$1" = "$OWNER-not" ] && set -- 65533 65533 --clear-groups
		for q in "$id" '<gw.2@gw.example>' 00000000000000; do
			run --separate-stderr as "$@" "$MINIMTA" \
			    -C "$T/minimta.conf" -bp -s "$q"
			echo "$stderr"
			[ "$status" -eq 77 ]
			[ -z "$output" ]
			[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
			[[ "$stderr" == *"mailq -s: permission denied"* ]]
			[[ "$stderr" != *"gw.2"* && "$stderr" != *"a@x"* ]]
		done
	done
	# without status_group, www-data is refused too
	sed -i '/^status_group/d' "$T/minimta.conf"
	run as www-data www-data --init-groups "$MINIMTA" \
	    -C "$T/minimta.conf" -bp -s "$id"
	[ "$status" -eq 77 ]
	# the spool owner and root read it
	run as "$OWNER" "$OWNER" --clear-groups "$MINIMTA" \
	    -C "$T/minimta.conf" -bp -s "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"to=<a@x.example>, status=sent"* ]]
	run st "$id"
	[ "$status" -eq 0 ]
}

@test "status: a message removed with -Mrm is removed, by whom, for the recipients not yet done" {
	relay_conf
	id=$(msg_with_id '<rm.1@gw.example>' |
	    "$MINIMTA" -C "$T/minimta.conf" -odq -v a@x.example t@x.example \
	    2>>"$T/log")
	qrun	# a is sent, t (451 from the relay) stays deferred
	run st "$id" -j
	[ "$(jrcpt t@x.example .status)" = deferred ]
	run "$MINIMTA" -C "$T/minimta.conf" -Mrm "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	spool_empty
	run st "$id" -j
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jrcpt a@x.example .status)" = sent ]
	[ "$(jrcpt t@x.example .status)" = removed ]
	run st "$id"
	[[ "$output" == *"to=<t@x.example>, status=removed"*"$(id -un)"* ]]
}

@test "status: a message held with -Mf is held, by whom; released with -Mt, released; then sent" {
	relay_conf
	id=$(msg_with_id '<hold.1@gw.example>' |
	    "$MINIMTA" -C "$T/minimta.conf" -odq -v a@x.example 2>>"$T/log")
	run "$MINIMTA" -C "$T/minimta.conf" -Mf "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	run st "$id" -j
	echo "$output"
	[ "$(jrcpt a@x.example .status)" = held ]
	run st "$id"
	[[ "$output" == *"to=<a@x.example>, status=held"*"held by $(id -un)"* ]]
	qrun	# held: nothing goes, and the journal still says held
	run st "$id" -j
	[ "$(jrcpt a@x.example .status)" = held ]
	run "$MINIMTA" -C "$T/minimta.conf" -Mt "$id"
	[ "$status" -eq 0 ]
	run st "$id" -j
	[ "$(jrcpt a@x.example .status)" = released ]
	[ "$(jrcpt a@x.example .reply)" = "released by $(id -un)" ]
	qrun
	run st "$id" -j
	[ "$(jrcpt a@x.example .status)" = sent ]
}
