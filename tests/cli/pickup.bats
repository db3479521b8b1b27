#!/usr/bin/env bats
# Pickup of drop files (sendmail -q by the spool owner): every file in
# incoming/ is hostile. Each bad kind goes to corrupt/ (or is removed) with
# exactly one log line; the run exits 0 and still picks up a good file.

load common

GOOD=00000000000001
BAD=00000000000002

setup() {
	common_setup
	MTA_ARGS=-odq
	mta -bp >/dev/null	# creates the layout
	IN=$T/spool/incoming
}
teardown() { common_teardown; }

# rec TYPE DATA: one length-prefixed record
rec() { printf '%s%d:%s\n' "$1" "${#2}" "$2"; }

# drop_file [records...]: a well-formed drop file on stdout
drop_file() {
	printf 'MINIMTA-QUEUE 1\n'
	rec T 1700000000
	rec S sender@example.net
	rec B --
	rec R rcpt@example.net
	rec M ''
	printf 'Subject: dropped\n\nhello from the drop file\n'
}

# A good drop file owned by nobody, to be picked up in the same run.
put_good() {
	drop_file >"$IN/$GOOD"
	chown 65534 "$IN/$GOOD" 2>/dev/null || true
	chmod 0640 "$IN/$GOOD"
}

# run_pickup NAME: runs -q (under timeout) and checks what every hostile
# kind must give: exit 0, exactly one log line naming incoming/NAME, the
# bad file gone from incoming/, the good one queued.
run_pickup() {
	local name=$1
	run timeout 20 "$MINIMTA" -C "$T/minimta.conf" -q
	echo "$output"
	PICKUP_OUT=$output
	[ "$status" -eq 0 ]
	[ "$(grep -cF "incoming/$name:" <<<"$output")" -eq 1 ]
	[ ! -e "$IN/$name" ] && [ ! -L "$IN/$name" ]
	[ -z "$(ls -A "$IN")" ]
	[[ "$output" == *"minimta/pickup["*"]: $GOOD: uid="* ]]
	run qmsg
	[[ "$output" == *"hello from the drop file"* ]]
}

in_corrupt() {
	[ -e "$T/spool/corrupt/$1" ] || [ -L "$T/spool/corrupt/$1" ]
}

@test "pickup: a good drop file is queued, attributed to the file's owner" {
	skip_unless_root "chown of the drop file"
	put_good
	run mta -q
	[ "$status" -eq 0 ]
	# the id the submitter was told is kept
	[[ "$output" == *"minimta/pickup["*"]: $GOOD: uid=65534 from=<sender@example.net>"* ]]
	[ -z "$(ls -A "$IN")" ]
	run qenv
	[[ "$output" == *$'\nU5:65534\nS18:sender@example.net\n'* ]]
	[[ "$output" == *$'\nR16:rcpt@example.net\nM0:'* ]]
	run qmsg
	[[ "${lines[0]}" == "Received: by test.example (minimta, from userid 65534)" ]]
	# pickup adds only the Received: line (the submitter added the
	# rest); the drop file's message follows it as it was
	[[ "${lines[1]}" == $'\tid '"$GOOD; "* ]]
	[ "$(qmsg | sed 1,2d)" = $'Subject: dropped\n\nhello from the drop file' ]
}

# A backlog (512 drop files or more) is taken by forked pickers, one a CPU
# up to 4 and concurrency, each the names of its share; every file is
# still taken under its own lock, so each is queued exactly once. The
# queue run then delivers them from queue/.
@test "pickup: a backlog of 600 drop files is taken by two pickers at once, each queued once" {
	skip_unless_root "chown of the drop files"
	[ "$(nproc)" -ge 2 ] || skip "one CPU: a single picker"
	drop_file >"$T/drop"
	chown 65534 "$T/drop"
	chmod 0640 "$T/drop"
	for i in $(seq 1 600); do
		cp -p "$T/drop" "$IN/$(printf '%014d' "$i")"
	done
	run mta -q
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$IN")" ]
	[ "$(qfiles | wc -l)" -eq 600 ]
	[ "$(grep -cE 'minimta/pickup\[[0-9]+\]: [0-9]{14}: uid=65534 ' <<<"$output")" -eq 600 ]
	[ "$(grep -E 'minimta/pickup\[[0-9]+\]: [0-9]{14}: uid=' <<<"$output" |
	    cut -f1 -d: | sort -u | wc -l)" -eq 2 ]
	# the relay is down here, so the run's first tries from memory send
	# nothing and leave every file to the pickers; the run then tries
	# each message queued exactly once, none left untried
	[ "$(grep -E ': [0-9]{14}: to=<rcpt@example.net>.* status=deferred' <<<"$output" |
	    grep -oE '[0-9]{14}' | sort | uniq -c | awk '$1 == 1' | wc -l)" -eq 600 ]
	[ "$(grep -c 'status=deferred' <<<"$output")" -eq 600 ]
}

@test "pickup: a temporary (dot) file being written is left alone" {
	put_good
	drop_file >"$IN/.$BAD"
	run mta -q
	[ "$status" -eq 0 ]
	[ -e "$IN/.$BAD" ]
	[ "$(qfiles | wc -l)" -eq 1 ]
}

@test "pickup: hostile: a symlink" {
	put_good
	ln -s /etc/passwd "$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	[ -L "$T/spool/corrupt/$BAD" ]
	grep -q '^root:' /etc/passwd
}

@test "pickup: hostile: a FIFO does not hang the runner" {
	put_good
	mkfifo "$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	[[ "$PICKUP_OUT" != *"]: $BAD: uid="* ]]
}

@test "pickup: hostile: a hard link (two links)" {
	put_good
	drop_file >"$T/outside"
	ln "$T/outside" "$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	[ -f "$T/outside" ]
}

@test "pickup: hostile: a truncated file" {
	put_good
	drop_file | head -c 60 >"$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	grep -F "incoming/$BAD:" <<<"$PICKUP_OUT" | grep -q truncated
}

@test "pickup: hostile: an injected U record (uid) in a drop file" {
	put_good
	{ printf 'MINIMTA-QUEUE 1\n'; rec T 1700000000; rec U 0; rec S a@example.net; rec B --
	  rec R b@example.net; rec M ''; printf 'Subject: x\n\nx\n'; } >"$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	grep -F "incoming/$BAD:" <<<"$PICKUP_OUT" | grep -q 'uid record'
	# nothing was queued as uid 0
	run qenv
	[[ "$output" != *$'\nU1:0\n'* ]]
}

@test "pickup: hostile: CR/LF inside a record" {
	put_good
	{ printf 'MINIMTA-QUEUE 1\n'; rec T 1700000000; rec S a@example.net; rec B --
	  rec R $'b@example.net\r\nR13:c@example.net'; rec M ''; printf 'Subject: x\n\nx\n'; } >"$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	grep -F "incoming/$BAD:" <<<"$PICKUP_OUT" | grep -q 'control character'
}

@test "pickup: hostile: an unknown record type" {
	put_good
	{ printf 'MINIMTA-QUEUE 1\n'; rec T 1700000000; rec S a@example.net; rec X evil
	  rec R b@example.net; rec M ''; printf 'Subject: x\n\nx\n'; } >"$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	grep -F "incoming/$BAD:" <<<"$PICKUP_OUT" | grep -q 'unknown record'
}

@test "pickup: hostile: a bad version line" {
	put_good
	drop_file | sed '1s/QUEUE 1/QUEUE 3/' >"$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	grep -F "incoming/$BAD:" <<<"$PICKUP_OUT" | grep -q 'version'
}

@test "pickup: hostile: a record length that lies" {
	put_good
	{ printf 'MINIMTA-QUEUE 1\n'; rec T 1700000000; printf 'S5:a@example.net\n'
	  rec R b@example.net; rec M ''; printf 'x\n'; } >"$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
}

@test "pickup: hostile: a bad sender address in the envelope" {
	put_good
	{ printf 'MINIMTA-QUEUE 1\n'; rec T 1700000000; rec S 'a b@example.net'; rec B --
	  rec R b@example.net; rec M ''; printf 'x\n'; } >"$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
}

@test "pickup: hostile: a huge file (over max_message_size)" {
	write_conf "max_message_size 1000" "max_recipients 2"
	put_good
	{ drop_file; head -c 300000 /dev/zero | tr '\0' a | fold -w 70; } >"$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	grep -F "incoming/$BAD:" <<<"$PICKUP_OUT" | grep -q 'max_message_size'
}

@test "pickup: hostile: a message over max_message_size under the file bound" {
	write_conf "max_message_size 1000"
	put_good
	# past the room submit leaves for what minimta adds (4096 octets)
	{ drop_file; head -c 6000 /dev/zero | tr '\0' a | fold -w 70; } >"$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
	grep -F "incoming/$BAD:" <<<"$PICKUP_OUT" | grep -q 'max_message_size'
}

@test "pickup: hostile: a name that is not a queue id" {
	put_good
	drop_file >"$IN/hello.txt"
	run_pickup "hello.txt"
	in_corrupt "hello.txt"
}

@test "pickup: hostile: a directory" {
	put_good
	mkdir "$IN/$BAD"
	run_pickup "$BAD"
	in_corrupt "$BAD"
}

@test "pickup: mailq shows a drop file that waits for pickup (and JSON says maildrop)" {
	put_good
	# and a hostile one that must not be shown
	printf 'garbage\n' >"$IN/00000000000009"
	run mta -bp
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "${lines[1]}" =~ ^$GOOD\ +[0-9]+\ .*sender@example.net$ ]]
	[ "${lines[2]}" = "(waiting for pickup by the queue runner)" ]
	[[ "${lines[3]}" =~ ^\ {46}rcpt@example.net$ ]]
	[[ "$output" != *00000000000009* ]]
	[ "${lines[-1]}" = "-- 1 Kbytes in 1 Request." ]
	run mta -bp -j
	[ "$status" -eq 0 ]
	/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); assert d["queue_name"]=="maildrop", d; assert d["queue_id"]==sys.argv[1], d' "$GOOD" <<<"$output"
}

@test "pickup: a drop file named like a queued message never replaces it" {
	printf 'Subject: first\n\nthe queued one\n' | mta -odq a@example.net
	old=$(qfiles)
	[ -n "$old" ]
	cp "$T/spool/queue/$old" "$T/queued.copy"
	drop_file >"$IN/$old"
	chmod 0640 "$IN/$old"
	run timeout 20 "$MINIMTA" -C "$T/minimta.conf" -odq -q
	echo "$output"
	[ "$status" -eq 0 ]
	# the queued message is untouched; the drop file is set aside (a
	# drop file keeps its id, and that one is taken by another message)
	cmp "$T/spool/queue/$old" "$T/queued.copy"
	[ "$(qfiles | wc -l)" -eq 1 ]
	[[ "$output" == *"incoming/$old: moved to corrupt/: named like a queued message"* ]]
	in_corrupt "$old"
}

@test "pickup: a drop file's ORCPT (O record) is kept" {
	{
		printf 'MINIMTA-QUEUE 1\n'
		rec T 1700000000
		rec S sender@example.net
		rec R rcpt@example.net
		rec O 'rfc822;root@example.net'
		rec M ''
		printf 'Subject: dropped\n\nhello\n'
	} >"$IN/$GOOD"
	chmod 0640 "$IN/$GOOD"
	run timeout 20 "$MINIMTA" -C "$T/minimta.conf" -odq -q
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^R16:rcpt@example.net$' "$T/spool/queue/$GOOD"
	grep -q '^O23:rfc822;root@example.net$' "$T/spool/queue/$GOOD"
}

@test "pickup: a drop file seen again after its pickup (crash before the unlink) is not queued twice" {
	put_good
	cp "$IN/$GOOD" "$T/again"
	run timeout 20 "$MINIMTA" -C "$T/minimta.conf" -odq -q
	[ "$status" -eq 0 ]
	[ "$(qfiles)" = "$GOOD" ]
	# as if the runner had died between the commit and the unlink
	cp -p "$T/again" "$IN/$GOOD"
	chown 65534 "$IN/$GOOD" 2>/dev/null || true
	run timeout 20 "$MINIMTA" -C "$T/minimta.conf" -odq -q
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(qfiles)" = "$GOOD" ]
	[[ "$output" == *"incoming/$GOOD: already queued as $GOOD; removed"* ]]
	[ -z "$(ls -A "$IN")" ]
}

@test "pickup: the drop file's arrival time is kept when it is believable" {
	now=$(date +%s)
	{
		printf 'MINIMTA-QUEUE 1\n'
		rec T $((now - 600))
		rec S sender@example.net
		rec R rcpt@example.net
		rec M ''
		printf 'Subject: dropped\n\nhello\n'
	} >"$IN/$GOOD"
	chmod 0640 "$IN/$GOOD"
	run timeout 20 "$MINIMTA" -C "$T/minimta.conf" -odq -q
	[ "$status" -eq 0 ]
	grep -q "^T10:$((now - 600))\$" "$T/spool/queue/$GOOD"
}
