#!/usr/bin/env bats
# mailq / sendmail -bp: Postfix's table, and JSON lines (-j).

load common

setup() { common_setup; MTA_ARGS=-odq; }
teardown() {
	if [ -n "${MNT:-}" ]; then umount "$MNT" 2>/dev/null || true; fi
	common_teardown
}

@test "mailq: an empty queue says so" {
	run mta -bp
	[ "$status" -eq 0 ]
	[ "$output" = "Mail queue is empty" ]
	# called as mailq
	ln -s "$MINIMTA" "$T/mailq"
	run "$T/mailq" -C "$T/minimta.conf"
	[ "$status" -eq 0 ]
	[ "$output" = "Mail queue is empty" ]
}

@test "mailq: the table lists id, size, time, sender and recipients" {
	printf 'Subject: one\n\nb\n' | mta -f alice@example.net a@example.net b@example.net 2>/dev/null
	{ printf 'Subject: two\n\n'; head -c 3000 /dev/zero | tr '\0' x | fold -w 60; } |
	    mta -f '<>' c@example.net 2>/dev/null
	run mta -bp
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "${lines[0]}" =~ ^-Queue\ ID-\ +--Size--\ ----Arrival\ Time----\ -Sender/Recipient-------$ ]]
	ids=($(qfiles | sort))
	[ "${#ids[@]}" -eq 2 ]
	s1=$(( $(stat -c %s "$T/spool/queue/${ids[0]}") - $(sed -n '1,/^M0:$/p' "$T/spool/queue/${ids[0]}" | wc -c) ))
	[[ "${lines[1]}" =~ ^${ids[0]}\ +$s1\ [A-Z][a-z]{2}\ [A-Z][a-z]{2}\ [\ 0-9][0-9]\ [0-9:]{8}\ +alice@example.net$ ]]
	[[ "${lines[2]}" =~ ^\ {46}a@example.net$ ]]
	[[ "${lines[3]}" =~ ^\ {46}b@example.net$ ]]
	[[ "${lines[4]}" =~ ^${ids[1]}\ +[0-9]+\ .*MAILER-DAEMON$ ]]
	[[ "${lines[5]}" =~ ^\ {46}c@example.net$ ]]
	# sizes in Kbytes, each message rounded up
	[ "${lines[6]}" = "-- 5 Kbytes in 2 Requests." ]
}

@test "mailq: one message says Request, not Requests" {
	printf 'Subject: one\n\nb\n' | mta -f root a@example.net 2>/dev/null
	run mta -bp
	[ "${lines[-1]}" = "-- 1 Kbytes in 1 Request." ]
}

@test "mailq -j: JSON lines that python's json module parses" {
	printf 'Subject: one\n\nb\n' | mta -f 'we"ird\\x@example.net' a@example.net b@example.net 2>/dev/null ||
	    printf 'Subject: one\n\nb\n' | mta -f alice@example.net a@example.net b@example.net 2>/dev/null
	printf 'Subject: two\n\nb\n' | mta -f '<>' c@example.net 2>/dev/null
	run mta -bp -j
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	ids=$(qfiles | sort | tr '\n' ' ')
	run /usr/bin/python3 -c '
import json, sys
ids = sys.argv[1].split()
recs = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert sorted(r["queue_id"] for r in recs) == ids, recs
for r in recs:
    assert r["queue_name"] in ("active", "deferred", "hold", "incoming"), r
    assert isinstance(r["arrival_time"], int) and isinstance(r["message_size"], int)
    assert all(isinstance(x["address"], str) for x in r["recipients"])
by = {tuple(x["address"] for x in r["recipients"]): r for r in recs}
assert by[("c@example.net",)]["sender"] == ""
assert by[("a@example.net", "b@example.net")]["sender"] in ("we\"ird\\x@example.net", "alice@example.net")
print("ok")
' "$ids" <<<"$output"
	echo "$output"
	[ "$output" = ok ]
}

@test "mailq -j: empty queue prints nothing" {
	run mta -bp -j
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "mailq: a deferred recipient shows the last reason" {
	printf 'Subject: one\n\nb\n' | mta -f root a@example.net 2>/dev/null
	mta -q 2>/dev/null || true
	run mta -bp
	echo "$output"
	[[ "${lines[2]}" =~ ^\(.*Connection\ refused\)$ ]]
	[[ "${lines[3]}" =~ ^\ {46}a@example.net$ ]]
	run mta -bp -j
	[[ "$output" == *'"queue_name": "deferred"'* ]]
	[[ "$output" == *'"delay_reason": "'*'Connection refused'* ]]
}

@test "mailq: a corrupt queue file is skipped with a warning" {
	printf 'Subject: one\n\nb\n' | mta -f root a@example.net 2>/dev/null
	printf 'garbage\n' >"$T/spool/queue/00000000000009"
	run mta -bp
	[ "$status" -eq 0 ]
	[[ "$output" == *"00000000000009"*"version line"* ]]
	[[ "$output" == *"-- 1 Kbytes in 1 Request."* ]]
}

@test "mailq: -qI, -qR and -qS narrow the listing" {
	printf 'Subject: one\n\nb\n' | mta -f alice@example.net a@x.example 2>/dev/null
	printf 'Subject: two\n\nb\n' | mta -f bob@example.net b@y.example 2>/dev/null
	id1=$(grep -l '^R.*a@x.example$' "$T"/spool/queue/* | xargs -n1 basename)
	id2=$(grep -l '^R.*b@y.example$' "$T"/spool/queue/* | xargs -n1 basename)
	[ -n "$id1" ] && [ -n "$id2" ] && [ "$id1" != "$id2" ]
	run mta -bp -qR@y.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id2"* ]]
	[[ "$output" != *"$id1"* ]]
	[[ "$output" != *a@x.example* ]]
	[ "${lines[-1]}" = "-- 1 Kbytes in 1 Request." ]
	run mta -bp -qSalice
	[[ "$output" == *"$id1"* ]]
	[[ "$output" != *"$id2"* ]]
	[ "${lines[-1]}" = "-- 1 Kbytes in 1 Request." ]
	run mta -bp -qI"$id2"
	[[ "$output" == *"$id2"* ]]
	[[ "$output" != *"$id1"* ]]
	# JSON lines and the mailq name narrow the same way
	run mta -bp -j -qSbob
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"\"queue_id\": \"$id2\""* ]]
	ln -s "$MINIMTA" "$T/mailq"
	run "$T/mailq" -C "$T/minimta.conf" -qR@x.example
	[[ "$output" == *"$id1"* ]]
	[[ "$output" != *"$id2"* ]]
	# no match: nothing listed
	run mta -bp -qRnobody@nowhere
	[ "$status" -eq 0 ]
	[[ "$output" != *"$id1"* ]]
	[[ "$output" != *"$id2"* ]]
	# without a selection both are there
	run mta -bp
	[ "${lines[-1]}" = "-- 2 Kbytes in 2 Requests." ]
}

# mailq reads a queue file shorter than 64 KiB in one read and the state
# file only for ids listed with one (issue 9): the output for each state
# must be what the full read gave.
@test "mailq: fresh, deferred, held, large, old-format and truncated files" {
	local q=$T/spool/queue ids big v1 s
	printf 'Subject: fresh\n\nb\n' | mta -f f@example.net f1@example.net f2@example.net 2>/dev/null
	{ printf 'Subject: big\n\n'; head -c 100000 /dev/zero | tr '\0' x | fold -w 70; } |
	    mta -f big@example.net b@example.net 2>/dev/null
	printf 'Subject: deferred\n\nb\n' | mta -f d@example.net d@example.net 2>/dev/null
	mta -q -qRd@example.net 2>/dev/null || true
	printf 'Subject: held\n\nb\n' | mta -f h@example.net h@example.net 2>/dev/null
	ids=($(qfiles | sort))
	[ "${#ids[@]}" -eq 4 ]
	mta -Mf "${ids[3]}"
	# records longer than the first read (60 long recipients)
	printf 'Subject: many\n\nb\n' | mta -f many@example.net \
	    $(printf 'a-rather-long-recipient-address-%02d@example.net ' $(seq 60)) 2>/dev/null
	[ -f "$T/spool/hold/${ids[3]}" ]
	# a version 1 copy of the fresh one (no C record), a truncated copy
	# of it, and a truncated copy of the big one (past 64 KiB)
	v1=00000000000001
	{ printf 'MINIMTA-QUEUE 1\n'; tail -n +2 "$q/${ids[0]}" | grep -v '^C20:'; } >"$q/$v1"
	head -c -1 "$q/${ids[0]}" >"$q/00000000000002"
	head -c 80000 "$q/${ids[1]}" >"$q/00000000000003"
	run mta -bp
	echo "$output"
	[ "$status" -eq 0 ]
	s=$(( $(stat -c %s "$q/${ids[1]}") - $(sed -n '1,/^M0:$/p' "$q/${ids[1]}" | wc -c) ))
	[[ "$output" == *"${ids[1]} "*" $s "*"big@example.net"* ]]
	grep -qx "$v1 .* f@example.net" <<<"$output"
	grep -qx "00000000000002  (unreadable: queue/00000000000002: truncated: .*)" <<<"$output"
	grep -qx "00000000000003  (unreadable: queue/00000000000003: truncated: .*)" <<<"$output"
	grep -qx "${ids[3]}! .* h@example.net" <<<"$output"
	grep -A2 "^${ids[2]} " <<<"$output" | grep -q '^(.*Connection refused)$'
	[ "$(grep -c "^ \{46\}f[12]@example.net$" <<<"$output")" -eq 4 ]
	[ "$(grep -c "^ \{46\}a-rather-long-recipient-address-[0-9]*@example.net$" <<<"$output")" -eq 60 ]
	[[ "$output" == *"in 6 Requests."* ]]
	run mta -bp -j
	[ "$(grep -c '"queue_name": "deferred"' <<<"$output")" -eq 1 ]
	[ "$(grep -c '"queue_name": "hold"' <<<"$output")" -eq 1 ]
	[ "$(grep -c '"queue_name": "active"' <<<"$output")" -eq 4 ]
}

# mailq reads a directory once when it holds up to 131,072 ids (one batch,
# sorted together); a longer one is read on from where the first batch
# ended. Every message is listed once, and the state files found anywhere
# in that one reading are shown with their messages, in either batch.
@test "mailq: a queue longer than one batch lists each message once, with its state" {
	skip_unless_root "mounting a tmpfs for 150,000 files"
	MNT=$T/spool
	mkdir -p "$MNT"
	mount -t tmpfs -o mode=0755 tmpfs "$MNT" || skip "cannot mount tmpfs here"
	printf 'Subject: d\n\nb\n' | mta -f d@example.net d@example.net 2>/dev/null
	mta -q 2>/dev/null || true
	src=$(qfiles)
	[ -f "$T/spool/queue/$src.state" ]
	# copies under 135,999 more ids (every tenth deferred too)
	/usr/bin/python3 - "$T/spool/queue" "$src" <<'PY'
import os, sys
q, src = sys.argv[1], sys.argv[2]
data = open(os.path.join(q, src), "rb").read()
state = open(os.path.join(q, src + ".state"), "rb").read()
alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
for i in range(135999):
    x, s = i, ""
    for _ in range(14):
        s, x = alpha[x % 32] + s, x // 32
    with open(os.path.join(q, s), "wb") as f:
        f.write(data)
    if i % 10 == 0:
        with open(os.path.join(q, s + ".state"), "wb") as f:
            f.write(state)
PY
	mta -bp >"$T/out" 2>"$T/err"
	[ ! -s "$T/err" ]
	tail -n 1 "$T/out"
	[ "$(tail -n 1 "$T/out")" = "-- 136000 Kbytes in 136000 Requests." ]
	grep -oE '^[0-9A-V]{14}' "$T/out" >"$T/ids"
	[ "$(wc -l <"$T/ids")" -eq 136000 ]
	[ -z "$(sort "$T/ids" | uniq -d)" ]
	# each deferred one with its reason, the fresh ones without (the
	# second batch has about 490 of them)
	[ "$(grep -c '^(.*Connection refused)$' "$T/out")" -eq 13601 ]
}
