#!/usr/bin/env bats
# Submission (sendmail -bm): stored form, -i, -t, added headers, sender
# mapping, limits, configuration. Asserts the stored queue file.

load common

setup() { common_setup; MTA_ARGS=-odq; }
teardown() { common_teardown; }

# A message with its own Date/Message-ID/From, so only Received: is added.
full_msg() {
	printf 'From: a@example.net\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n'
	printf 'Message-ID: <m1@example.net>\nSubject: s\n\nline one\nline two\n'
}

@test "submit: queue file has version line, envelope records, message" {
	run mta -f root@example.org bob@example.net < <(full_msg)
	[ "$status" -eq 0 ]
	[[ "$output" =~ minimta/pickup\[[0-9]+\]:\ ([0-9A-V]+):\ uid=0\ from=\<root@example.org\> ]]
	[[ "$output" == *"minimta/cleanup["*"]: ${BASH_REMATCH[1]}: message-id=<m1@example.net>"* ]]
	run qenv
	[ "${lines[0]}" = "MINIMTA-QUEUE 2" ]
	[[ "${lines[1]}" =~ ^T[0-9]+:[0-9]+$ ]]
	[ "${lines[2]}" = "U1:0" ]
	[ "${lines[3]}" = "S16:root@example.org" ]
	[ "${lines[4]}" = "B2:--" ]
	# L: the size on the wire (CRLF line ends), patched after the body
	[[ "${lines[5]}" =~ ^L20:[0-9]{20}$ ]]
	# C: the message's length in the file (format 2), patched too
	[[ "${lines[6]}" =~ ^C20:[0-9]{20}$ ]]
	[ "${lines[7]}" = "R15:bob@example.net" ]
	[ "${lines[8]}" = "M0:" ]
	wire=$(qmsg | sed 's/$/\r/' | wc -c)
	[ "$((10#${lines[5]#L20:}))" -eq "$wire" ]
	[ "$((10#${lines[6]#C20:}))" -eq "$(qmsg | wc -c)" ]
	run qbody
	[ "$output" = $'line one\nline two' ]
}

@test "submit: LF and CRLF input are stored the same" {
	full_msg | mta -f root x@example.net
	a=$(qmsg | sed 1,2d)
	rm -f "$T"/spool/queue/*
	full_msg | sed 's/$/\r/' | mta -f root x@example.net
	b=$(qmsg | sed 1,2d)
	[ -n "$a" ]
	[ "$a" = "$b" ]
	run grep -c $'\r' "$(one_qfile)"
	[ "$output" = 0 ]
}

@test "submit: without -i a lone dot ends the message, the rest is not read" {
	printf 'Subject: s\n\nbefore\n..two dots\n.\nafter\n' |
	    mta -f root x@example.net
	run qbody
	[ "$output" = $'before\n..two dots' ]
}

@test "submit: a lone dot in CRLF input ends it too" {
	printf 'Subject: s\r\n\r\nbefore\r\n.\r\nafter\r\n' |
	    mta -f root x@example.net
	run qbody
	[ "$output" = "before" ]
}

@test "submit: with -i and -oi a lone dot is kept" {
	printf 'Subject: s\n\nbefore\n.\nafter\n' | mta -i -f root x@example.net
	run qbody
	[ "$output" = $'before\n.\nafter' ]
	rm -f "$T"/spool/queue/*
	printf 'Subject: s\n\nbefore\n.\nafter\n' | mta -oi -f root x@example.net
	run qbody
	[ "$output" = $'before\n.\nafter' ]
}

@test "submit: bare CR and NUL become spaces (canon.h rule)" {
	printf 'Subject: a\rb\n\nx\ry\0z\r\nend\rx' | mta -f root x@example.net
	run qmsg
	[[ "$output" == *$'\nSubject: a b\n'* ]]
	run qbody
	[ "$output" = $'x y z\nend x' ]
	run grep -c -P '\r|\x00' "$(one_qfile)"
	[ "$output" = 0 ]
}

@test "submit: a 3000-octet body line is broken at 998" {
	{ printf 'Subject: s\n\n'; head -c 3000 /dev/zero | tr '\0' y; printf '\nend\n'; } |
	    mta -f root x@example.net
	run qbody
	[ "${#lines[@]}" -eq 5 ]
	[ "${#lines[0]}" -eq 998 ]
	[ "${#lines[1]}" -eq 998 ]
	[ "${#lines[2]}" -eq 998 ]
	[ "${#lines[3]}" -eq 6 ]
	[ "${lines[4]}" = end ]
}

@test "submit: 3000-octet header lines are folded, every line <= 998" {
	python3 -c "
print('Subject: ' + ' '.join(['word'] * 600))
print('X-Long: ' + 'x' * 3000)
print()
print('body')" | mta -f root x@example.net
	f=$(one_qfile)
	run awk 'length($0) > 998' "$f"
	[ -z "$output" ]
	# unfolded, the Subject is the same words
	subj=$(qmsg | sed -n '/^Subject:/,/^[^ \t]/p' | sed '$d' | tr -d '\n')
	want="Subject: $(python3 -c "print(' '.join(['word'] * 600))")"
	[ "$(echo "$subj" | tr -s ' \t' ' ')" = "$want" ]
	run grep -c '^X-Long:' "$f"
	[ "$output" = 1 ]
	run qbody
	[ "$output" = body ]
}

@test "submit -t: To, Cc, Bcc with groups, comments, quoted locals, folding" {
	mta -t -f root <<'EOF2'
To: "Joe Q." <joe@example.net>, undisclosed: a@example.net, b@example.net;,
 (comment) c@example.net (Mr C)
Cc: "quoted local"@example.net,
	d@example.net
Bcc: secret@example.net
Subject: s

body
EOF2
	run qenv
	[[ "$output" == *$'\nR15:joe@example.net\nR13:a@example.net\nR13:b@example.net\nR13:c@example.net\nR26:"quoted local"@example.net\nR13:d@example.net\nR18:secret@example.net\nM0:'* ]]
	run qmsg
	[[ "$output" != *Bcc* ]]
	[[ "$output" != *secret* ]]
	[[ "$output" == *'To: "Joe Q." <joe@example.net>'* ]]
}

@test "submit -t: Resent-* headers take precedence; Resent-Bcc removed" {
	mta -t -f root <<'EOF2'
To: old@example.net
Cc: oldcc@example.net
Bcc: oldbcc@example.net
Resent-To: new@example.net
Resent-Bcc: newbcc@example.net
Subject: s

body
EOF2
	run qenv
	[[ "$output" == *$'\nR15:new@example.net\nR18:newbcc@example.net\nM0:'* ]]
	[[ "$output" != *old* ]]
	run qmsg
	[[ "$output" != *Bcc* ]]
	[[ "$output" == *"To: old@example.net"* ]]
}

@test "submit -t: command-line addresses are added (t_args add)" {
	printf 'To: a@example.net\n\nb\n' | mta -t -f root extra@example.net
	run qenv
	[[ "$output" == *R17:extra@example.net* ]]
	[[ "$output" == *R13:a@example.net* ]]
}

@test "submit -t: t_args remove leaves command-line addresses out" {
	write_conf "t_args remove"
	printf 'To: a@example.net\n\nb\n' | mta -t -f root extra@example.net
	run qenv
	[[ "$output" != *extra* ]]
	[[ "$output" == *R13:a@example.net* ]]
}

@test "submit: no recipients -> 64, nothing in the spool" {
	run mta -f root < <(printf 'Subject: s\n\nb\n')
	[ "$status" -eq 64 ]
	[[ "$output" == *"no recipients"* ]]
	spool_empty
	run mta -t -f root < <(printf 'Subject: s\nBcc:\n\nb\n')
	[ "$status" -eq 64 ]
	[[ "$output" == *"no recipients"*"-t"* ]]
	spool_empty
}

@test "submit: CR or LF in an address or option value -> 64, nothing queued" {
	for args in "-f root $'a@example.net\r'" ; do :; done
	run mta -f root $'a@example.net\rRCPT TO:<x@y>'
	[ "$status" -eq 64 ]
	run mta -f $'root\nx' a@example.net
	[ "$status" -eq 64 ]
	run mta -F $'Joe\r\nBcc: x@y' -f root a@example.net
	[ "$status" -eq 64 ]
	run mta -V $'id\n1' -f root a@example.net
	[ "$status" -eq 64 ]
	[ "${#lines[@]}" -eq 1 ]
	spool_empty
}

@test "submit: Date, Message-ID and From are added when missing" {
	printf 'Subject: s\n\nb\n' | mta -f root x@example.net
	run qmsg
	[[ "${lines[0]}" =~ ^Received:\ by\ test.example\ \(minimta,\ from\ userid\ 0\)$ ]]
	[[ "$output" =~ $'\n'Date:\ [A-Z][a-z][a-z],\ [0-9]+\ [A-Z][a-z][a-z]\ 20[0-9][0-9]\ [0-9:]{8}\ [-+][0-9]{4}$'\n' ]]
	[[ "$output" =~ $'\n'Message-ID:\ \<[^@\>]+@test.example\>$'\n' ]]
	[[ "$output" == *$'\nFrom: root@example.org\n'* ]]
}

@test "submit: -F names the added From (quoted, or encoded when 8-bit)" {
	printf 'Subject: s\n\nb\n' | mta -f root -F 'Joe Q. Public' x@example.net
	run qmsg
	[[ "$output" == *$'\nFrom: "Joe Q. Public" <root@example.org>\n'* ]]
	rm -f "$T"/spool/queue/*
	printf 'Subject: s\n\nb\n' | mta -f root -F 'Cron Daemon' x@example.net
	run qmsg
	[[ "$output" == *$'\nFrom: Cron Daemon <root@example.org>\n'* ]]
	rm -f "$T"/spool/queue/*
	printf 'Subject: s\n\nb\n' | mta -f root -F 'Jürgen' x@example.net
	run qmsg
	[[ "$output" =~ $'\n'From:\ =\?(UTF-8|utf-8)\?[BbQq]\?[^?]+\?=\ \<root@example.org\>$'\n' ]]
}

@test "submit: existing Date, Message-ID and From are kept" {
	full_msg | mta -f root -F 'Other Name' x@example.net
	run qmsg
	[ "$(echo "$output" | grep -c '^Date:')" = 1 ]
	[ "$(echo "$output" | grep -c '^Message-ID:')" = 1 ]
	[ "$(echo "$output" | grep -c '^From:')" = 1 ]
	[[ "$output" == *$'\nFrom: a@example.net\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <m1@example.net>\n'* ]]
}

@test "submit: sender_map rewrites envelope and From for a local sender" {
	write_conf "sender_map www-data web@example.com" "sender_map root admin@example.com"
	printf 'From: www-data\nSubject: s\n\nb\n' | mta -f www-data x@example.net
	run qenv
	[[ "$output" == *$'\nS15:web@example.com\n'* ]]
	run qmsg
	[[ "$output" == *$'\nFrom: web@example.com\n'* ]]
	rm -f "$T"/spool/queue/*
	printf 'Subject: s\n\nb\n' | mta -f root@test.example x@example.net
	run qenv
	[[ "$output" == *$'\nS17:admin@example.com\n'* ]]
	run qmsg
	[[ "$output" == *$'\nFrom: admin@example.com\n'* ]]
}

@test "submit: masquerade maps local senders, not other addresses" {
	write_conf "masquerade example.com"
	printf 'From: Cron <root@test.example>\nSubject: s\n\nb\n' |
	    mta -f root x@example.net
	run qenv
	[[ "$output" == *$'\nS16:root@example.com\n'* ]]
	run qmsg
	[[ "$output" == *$'\nFrom: Cron <root@example.com>\n'* ]]
	rm -f "$T"/spool/queue/*
	printf 'From: Someone <me@elsewhere.net>\nSubject: s\n\nb\n' |
	    mta -f me@elsewhere.net x@example.net
	run qenv
	[[ "$output" == *$'\nS16:me@elsewhere.net\n'* ]]
	run qmsg
	[[ "$output" == *$'\nFrom: Someone <me@elsewhere.net>\n'* ]]
}

@test "submit: masquerade keeps a quoted local part with an @ whole" {
	# found by fuzz_rewrite: the user was cut at the last @, in quotes
	write_conf "masquerade example.com"
	printf 'From: <"a@b"@test.example>\nSubject: s\n\nb\n' |
	    mta -f '"a@b"' x@example.net
	run qenv
	[[ "$output" == *$'\nS17:"a@b"@example.com\n'* ]]
	run qmsg
	[[ "$output" == *$'\nFrom: <"a@b"@example.com>\n'* ]]
}

@test "submit: max_header_size at the limit is accepted, past it 65" {
	# header block: "Subject: " + n x's + "\n"
	write_conf "max_header_size 100"
	hdr=$(printf 'Subject: %s' "$(head -c 90 /dev/zero | tr '\0' x)")
	run mta -f root x@example.net < <(printf '%s\n\nb\n' "$hdr")
	[ "$status" -eq 0 ]
	rm -f "$T"/spool/queue/*
	hdr=$(printf 'Subject: %s' "$(head -c 91 /dev/zero | tr '\0' x)")
	run mta -f root x@example.net < <(printf '%s\n\nb\n' "$hdr")
	[ "$status" -eq 65 ]
	[[ "$output" == *"max_header_size"* ]]
	spool_empty
}

@test "submit: max_recipients at the limit is accepted, past it 65" {
	write_conf "max_recipients 3"
	run mta -f root a@example.net b@example.net c@example.net < <(printf '\nb\n')
	[ "$status" -eq 0 ]
	rm -f "$T"/spool/queue/*
	run mta -f root a@example.net b@example.net c@example.net d@example.net < <(printf '\nb\n')
	[ "$status" -eq 65 ]
	[[ "$output" == *"too many recipients"* ]]
	spool_empty
	run mta -t -f root < <(printf 'To: a@example.net, b@example.net,\n c@example.net, d@example.net\n\nb\n')
	[ "$status" -eq 65 ]
	[[ "$output" == *"too many recipients"* ]]
	spool_empty
}

@test "submit: max_message_size at the limit is accepted, past it 65" {
	# the limit is on the message as submitted: what minimta adds
	# (Received:, From:, Date:, Message-ID:) does not count
	write_conf "max_message_size 2000"
	printf 'Subject: s\n\nb\n' | mta -f root x@example.net
	over=$(stat -c %s "$(one_qfile)")
	env=$(qenv | wc -c)
	added=$(qmsg | grep -E $'^(Received: |\tid |From: |Date: |Message-ID: )' | wc -c)
	size=$((over - env - added))
	rm -f "$T"/spool/queue/*
	# the same message grown to exactly 2000 submitted octets
	pad=$((2000 - size))
	# (lines of 100 octets, so that nothing is broken at 998)
	msg() {
		printf 'Subject: s\n\nb\n'
		python3 -c "import sys; n = $1; sys.stdout.write(('z' * 99 + '\n') * (n // 100) + ('z' * (n % 100 - 1) + '\n' if n % 100 else ''))"
	}
	run mta -f root x@example.net < <(msg $pad)
	[ "$status" -eq 0 ]
	f=$(one_qfile)
	# measured again: the added fields' length varies with the pid
	# (Message-ID), which may have one digit more than the first one's
	env=$(qenv | wc -c)
	added=$(qmsg | grep -E $'^(Received: |\tid |From: |Date: |Message-ID: )' | wc -c)
	[ $(( $(stat -c %s "$f") - env - added )) -eq 2000 ]
	rm -f "$T"/spool/queue/*
	run mta -f root x@example.net < <(msg $((pad + 1)))
	[ "$status" -eq 65 ]
	[[ "$output" == *"max_message_size"* ]]
	spool_empty
}

@test "submit: a 200 MB message streams with small memory" {
	[ -x /usr/bin/time ] || skip "needs /usr/bin/time (package time)"
	write_conf "max_message_size 300M"
	{ printf 'Subject: big\n\n'; yes 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' | head -c 209715200; } |
	    /usr/bin/time -v -o "$T/time" "$MINIMTA" -C "$T/minimta.conf" -f root x@example.net
	rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$T/time")
	echo "peak RSS ${rss} kB" >&3
	[ "$rss" -lt 20480 ]
	f=$(one_qfile)
	[ "$(stat -c %s "$f")" -gt 209715200 ]
}

@test "config: unknown key -> 78 with FILE:LINE: KEY: reason" {
	write_conf "bogus_key 1"
	run mta -f root x@example.net < <(printf '\nb\n')
	[ "$status" -eq 78 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ $T/minimta.conf:6:\ bogus_key:\ .+ ]]
	spool_empty
}

@test "config: bad value -> 78 naming file, line and key" {
	write_conf "max_recipients many"
	run mta -f root x@example.net < <(printf '\nb\n')
	[ "$status" -eq 78 ]
	[[ "$output" =~ $T/minimta.conf:6:\ max_recipients:\ .+ ]]
}

@test "config: MINIMTA_CONF is used; -C wins over it" {
	write_conf
	MINIMTA_CONF=$T/minimta.conf run "$MINIMTA" -f root x@example.net < <(printf '\nb\n')
	[ "$status" -eq 0 ]
	one_qfile
	echo "bogus 1" >"$T/bad.conf"
	MINIMTA_CONF=$T/bad.conf run "$MINIMTA" -C "$T/minimta.conf" -bp
	[ "$status" -eq 0 ]
	MINIMTA_CONF=$T/bad.conf run "$MINIMTA" -bp
	[ "$status" -eq 78 ]
	[[ "$output" == *"$T/bad.conf:1: bogus"* ]]
	run "$MINIMTA" -C "$T/missing.conf" -bp
	[ "$status" -eq 78 ]
}

@test "config: -O key=value overrides the file" {
	write_conf "max_recipients 100"
	run mta -O max_recipients=1 -f root a@example.net b@example.net < <(printf '\nb\n')
	[ "$status" -eq 65 ]
	[[ "$output" == *"too many recipients"* ]]
	run mta -O max_recipients=zero -f root a@example.net < <(printf '\nb\n')
	[ "$status" -eq 78 ]
	[[ "$output" == *"max_recipients"* ]]
	run mta -O hostname=other.example -f root a@example.net < <(printf '\nb\n')
	[ "$status" -eq 0 ]
	run qmsg
	[[ "${lines[0]}" == "Received: by other.example "* ]]
}

@test "submit: a message read whole by the first read is refused past max_message_size" {
	write_conf "max_message_size 1K"
	# 30 KB of body, ending in a newline, from a file: one read takes it
	{ printf 'Subject: s\n\n'; yes "$(printf '%099d' 0)" | head -c 30000; } >"$T/in"
	[ "$(tail -c 1 "$T/in" | od -An -c | tr -d ' ')" = '\n' ]
	run mta -f root x@example.net <"$T/in"
	[ "$status" -eq 65 ]
	[[ "$output" == *"max_message_size"* ]]
	spool_empty
}

@test "submit: a 3000-octet first line without a colon is body, broken at 998" {
	{ head -c 3000 /dev/zero | tr '\0' y; printf '\nend\n'; } >"$T/in"
	run mta -f root x@example.net <"$T/in"
	[ "$status" -eq 0 ]
	f=$(one_qfile)
	run awk 'length($0) > 998' "$f"
	[ -z "$output" ]
	run qbody
	[ "${#lines[@]}" -eq 5 ]
	[ "${#lines[0]}" -eq 998 ]
	[ "${#lines[1]}" -eq 998 ]
	[ "${#lines[2]}" -eq 998 ]
	[ "${lines[3]}" = yyyyyy ]
	[ "${lines[4]}" = end ]
	[ "$(printf '%s' "${lines[0]}${lines[1]}${lines[2]}${lines[3]}" | tr -d y | wc -c)" -eq 0 ]
}

@test "submit: an alias rewriting an unqualified recipient keeps the original as ORCPT" {
	printf 'root: admin@example.net\n' >"$T/aliases"
	write_conf "aliases $T/aliases"
	printf 'Subject: s\n\nb\n' | mta -f root root
	run qenv
	[[ "$output" == *$'\nR17:admin@example.net\nO23:rfc822;root@example.org\nM0:'* ]]
	# a recipient no alias touched has no O record
	rm -f "$T"/spool/queue/*
	printf 'Subject: s\n\nb\n' | mta -f root other@example.net
	run qenv
	[[ "$output" == *$'\nR17:other@example.net\nM0:'* ]]
}

@test "config: resolver takes at most 8 servers; 9 -> 78 naming the key" {
	eight='127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4:5353,[::1]:53'
	eight=$eight,127.0.0.6,127.0.0.7,127.0.0.8
	write_conf "resolver $eight"
	run mta -bp
	[ "$status" -eq 0 ]
	write_conf "resolver $eight,127.0.0.9"
	run mta -bp
	[ "$status" -eq 78 ]
	[[ "$output" == *"$T/minimta.conf:6: resolver"* ]]
	run mta -f root x@example.net < <(printf '\nb\n')
	[ "$status" -eq 78 ]
	[[ "$output" == *"resolver"* ]]
	spool_empty
}

@test "submit: a field with space before its colon keeps a long header whole, Bcc removed and taken by -t" {
	{
		printf 'Subject : spaced\n'
		for i in $(seq 1200); do printf 'X-Pad-%04d: %s\n' "$i" aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; done
		printf 'To: a@example.net\nBcc: secret@example.net\n\nbody\n'
	} >"$T/msg"
	[ "$(stat -c %s "$T/msg")" -gt 70000 ]
	mta -t <"$T/msg"
	run qenv
	[[ "$output" == *$'\nR13:a@example.net\n'* ]]
	[[ "$output" == *$'\nR18:secret@example.net\n'* ]]
	run qmsg
	[[ "$output" != *"secret@example.net"* ]]
	[[ "$output" == *$'X-Pad-1200: '* ]]
	[[ "$output" == *$'Subject : spaced\n'* ]]
	# the header block ends once, at the blank line before the body
	[ "$(grep -c '^$' <<<"$output")" -eq 1 ]
	[ "${lines[-1]}" = body ]
}

@test "submit: a first line that starts with white space makes the whole input body" {
	# (the long line starts with a space too: it would pass for a header
	# continuation, which header lines are never broken as)
	{ printf ' indented first line\n '; head -c 3000 /dev/zero | tr '\0' a; printf '\n'; } | mta x@example.net
	run qmsg
	# no line over 998 octets: the body rule applied from the first line
	[ -z "$(awk 'length($0) > 998' <<<"$output")" ]
	[[ "$output" == *$'\n\n indented first line\n'* ]]
}

@test "submit: empty input is queued with the added headers (no undefined behaviour)" {
	# under the sanitizer build (SANITIZE=1) UB aborts the run
	run mta -f root a@example.net < <(printf '')
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"runtime error"* ]]
	run qmsg
	[[ "$output" == *$'\nFrom: '* ]]
	[[ "$output" == *$'\nDate: '* ]]
	[[ "$output" == *$'\nMessage-ID: <'* ]]
	[ "$(qbody)" = "" ]
}

@test "submit: 20,000 recipients (max_recipients raised), each once, read back whole" {
	write_conf "max_recipients 20000"
	mapfile -t r < <(seq -f 'r%g@example.net' 1 20000)
	run mta -f root "${r[@]}" < <(printf 'Subject: many\n\nb\n')
	[ "$status" -eq 0 ]
	[[ "$output" == *": uid=0 from=<root@example.org>"* ]]
	[ "$(qenv | grep -c '^R')" -eq 20000 ]
	[ "$(qenv | grep '^R' | sort -u | wc -l)" -eq 20000 ]
	# mailq reads the envelope back (in 64 KiB chunks): all of them
	run mta -bp
	[ "$status" -eq 0 ]
	[ "$(grep -cE '^ {46}r[0-9]+@example.net$' <<<"$output")" -eq 20000 ]
	rm -f "$T"/spool/queue/*
	# 10,000 addresses given twice, the second time with the domain in
	# capitals: each is kept once, the first spelling
	mapfile -t d < <(seq -f 'r%g@EXAMPLE.NET' 1 10000)
	run mta -f root "${r[@]:0:10000}" "${d[@]}" < <(printf 'S: x\n\nb\n')
	[ "$status" -eq 0 ]
	[ "$(qenv | grep -c '^R')" -eq 10000 ]
	[ "$(qenv | grep '^R' | grep -c 'example.net$')" -eq 10000 ]
	rm -f "$T"/spool/queue/*
	# and one more than max_recipients is too many
	run mta -f root "${r[@]}" x@example.net < <(printf 'S: x\n\nb\n')
	[ "$status" -eq 65 ]
}
