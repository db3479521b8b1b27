#!/usr/bin/env bats
# Local header rewriting (issue 7, "Compatibility details"): unqualified
# addresses in the address fields of a local submission get the config's
# domain, whoever submits (the spool owner, or another account through
# incoming/), as Postfix's append_at_myorigin does for local mail; and
# "\name" (sendmail's "do not alias") is the local name itself, qualified
# without alias expansion. Checked in the queue file and at a real server
# (aiosmtpd), byte for byte.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup() {
	dl_setup
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	chmod 0644 "$T/minimta.conf"
	mta -bp >/dev/null	# the layout, owned by root
}
teardown() { dl_teardown; }

# What Debian's cron writes, and how it calls sendmail (cron's do_command:
# "-FCronDaemon -i -B8BITMIME -oem MAILTO").
cron_msg() {
	printf 'From: root (Cron Daemon)\nTo: ops\n'
	printf 'Subject: Cron <root@box> /usr/local/bin/backup\n'
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\n'
	printf 'X-Cron-Env: <LOGNAME=root>\n\nbackup done\n'
}
CRON_ARGS=(-FCronDaemon -i -B8BITMIME -oem ops)

# The header block and body as cron's message must be stored: every
# field as it came but From: and To:, then what minimta adds.
cron_want() {
	printf 'From: root@example.org (Cron Daemon)\nTo: ops@example.org\n'
	printf 'Subject: Cron <root@box> /usr/local/bin/backup\n'
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\n'
	printf 'X-Cron-Env: <LOGNAME=root>\n'
}

# strip_added FILE: the message without the lines minimta adds
# (Received: and its continuations, Date:, Message-ID:), LF line ends.
strip_added() {
	tr -d '\r' <"$1" | awk '
		/^$/ { body = 1 }
		!body && /^Received:/ { skip = 1; next }
		!body && skip && /^[ \t]/ { next }
		{ skip = 0 }
		!body && /^(Date|Message-ID):/ { next }
		{ print }'
}

need_nobody() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (setpriv to nobody)"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    test -x "$MINIMTA"; then
		cp "$MINIMTA" "$T/minimta"
		chmod 0755 "$T/minimta"
		MINIMTA=$T/minimta
	fi
}
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

@test "qualify: cron's From: and To: from the owner's crontab are qualified, the rest byte for byte" {
	cron_msg | mta -odq "${CRON_ARGS[@]}" 2>>"$T/log"
	qmsg >"$T/stored"
	strip_added "$T/stored" >"$T/got"
	{ cron_want; printf '\nbackup done\n'; } >"$T/want"
	diff -u "$T/want" "$T/got"
	run qenv
	[[ "$output" == *$'\nR15:ops@example.org\n'* ]]
	# delivered as stored: the relay sees the same qualified fields
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	strip_added "$RELAY_SPOOL/0001.eml" >"$T/wire"
	diff -u "$T/want" "$T/wire"
	[ "$(envf "$RELAY_SPOOL/0001.env" .rcpt_tos)" = '["ops@example.org"]' ]
}

@test "qualify: cron's message from another account's crontab (nobody, drop file) reaches the relay qualified" {
	need_nobody
	run as_nobody "$MINIMTA" -C "$T/minimta.conf" -odq "${CRON_ARGS[@]}" \
	    < <(cron_msg)
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(dropped for pickup)"* ]]
	qrun
	[[ "$(cat "$T/qlog")" == *"minimta/pickup["*"uid=65534 from="* ]]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	eml=$RELAY_SPOOL/0001.eml
	{ cron_want; printf '\nbackup done\n'; } >"$T/want"
	strip_added "$eml" >"$T/wire"
	diff -u "$T/want" "$T/wire"
	# the envelope is nobody's, qualified; the header From: is cron's
	[ "$(envf "$RELAY_SPOOL/0001.env" .mail_from)" = '"nobody@example.org"' ]
	[ "$(envf "$RELAY_SPOOL/0001.env" .rcpt_tos)" = '["ops@example.org"]' ]
	grep -q $'^Received: by test.example (minimta, from userid 65534)\r$' "$eml"
}

@test "qualify: display names, comments, groups, quoted local parts and folds are kept; Bcc and other fields untouched" {
	printf '%s\n' 'From: "Root, the" <root> (cron)' \
	    'Reply-To: admins: alice, "bob smith", c@example.net;' \
	    'Cc: carol,' ' dave (D),' '	"e f"@example.net' \
	    'Bcc: hidden' 'Resent-From: fwd' 'X-Original-To: xo' \
	    'Comments: root' 'Subject: root, ops' '' 'body' |
	    mta -odq -f root@example.org x@example.net 2>>"$T/log"
	qmsg >"$T/stored"
	strip_added "$T/stored" >"$T/got"
	printf '%s\n' 'From: "Root, the" <root@example.org> (cron)' \
	    'Reply-To: admins: alice@example.org, "bob smith"@example.org, c@example.net;' \
	    'Cc: carol@example.org,' ' dave@example.org (D),' '	"e f"@example.net' \
	    'Resent-From: fwd@example.org' 'X-Original-To: xo' \
	    'Comments: root' 'Subject: root, ops' '' 'body' >"$T/want"
	diff -u "$T/want" "$T/got"
}

@test "qualify: a From: that was already qualified, or an unparsable To:, is left as it came" {
	# (a first line "From " would be an mbox From_ line: Subject first)
	printf 'Subject: s\nFrom : Someone <me@elsewhere.net>\nTo: john doe, ops\n\nb\n' |
	    mta -odq -f me@elsewhere.net x@example.net 2>>"$T/log"
	run qmsg
	[[ "$output" == *$'\nFrom : Someone <me@elsewhere.net>\nTo: john doe, ops\n'* ]]
}

@test "qualify: masquerading maps the sender's own address, then the rest is qualified" {
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "sender_map root alerts@example.com"
	cron_msg | mta -odq "${CRON_ARGS[@]}" 2>>"$T/log"
	run qmsg
	[[ "$output" == *$'\nFrom: alerts@example.com (Cron Daemon)\nTo: ops@example.org\n'* ]]
	run qenv
	[[ "$output" == *$'\nS18:alerts@example.com\n'* ]]
}

@test "qualify: a long list of local names is folded between addresses, never inside one" {
	names=$(seq -f 'user%03g' 1 120 | paste -sd, -)
	printf 'To: %s\nSubject: s\n\nb\n' "$names" | mta -odq -t 2>>"$T/log"
	qmsg >"$T/stored"
	# every line within 998 octets
	[ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/stored")" -le 998 ]
	# unfolded (the fold after a comma inserted "LF SP"), it is the list
	want=$(seq -f 'user%03g@example.org' 1 120 | paste -sd, -)
	got=$(sed -n '/^To:/,/^Subject:/p' "$T/stored" | sed '$d' |
	    tr -d '\n' | sed 's/^To: *//; s/, /,/g')
	[ "$got" = "$want" ]
	[ "$(qenv | grep -c '^R')" -eq 120 ]
}

@test "qualify: \\root on the command line is root@domain, not its alias" {
	printf 'root: admin@example.net\n' >"$T/aliases"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "aliases $T/aliases"
	printf 'Subject: s\n\nb\n' | mta -odq -f root '\root' root 2>>"$T/log"
	[ "$(qenv | grep '^R')" = $'R16:root@example.org\nR17:admin@example.net' ]
	run mta -bv '\root'
	[ "$status" -eq 0 ]
	[[ "$output" == "root@example.org... deliverable: "* ]]
	[[ "$output" != *aliased* ]]
	run mta -bv 'root'
	[[ "$output" == *"root... aliased to admin@example.net"* ]]
}

@test "qualify: \\root in a -t header is root@domain, not its alias, and the header says root@domain" {
	printf 'root: admin@example.net\n' >"$T/aliases"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "aliases $T/aliases"
	printf 'To: \\root, Ops <\\ops>\nSubject: s\n\nb\n' |
	    mta -odq -t -f root 2>>"$T/log"
	[ "$(qenv | grep '^R')" = $'R16:root@example.org\nR15:ops@example.org' ]
	run qmsg
	[[ "$output" == *$'\nTo: root@example.org, Ops <ops@example.org>\n'* ]]
}

@test "qualify: \\name before a qualified address or inside a phrase is refused" {
	run mta -odq -f root '\root@example.net' < <(printf 'Subject: s\n\nb\n')
	[ "$status" -eq 64 ]
	[[ "$output" == *"backslash before a qualified address"* ]]
	run mta -odq -t -f root < <(printf 'To: \\Ops <ops>\n\nb\n')
	[ "$status" -eq 65 ]
	[[ "$output" == *"backslash outside quotes"* ]]
	spool_empty
}

@test "qualify: -bs (the loopback SMTP path) qualifies the header too" {
	printf 'EHLO c\r\nMAIL FROM:<root@example.org>\r\nRCPT TO:<x@example.net>\r\nDATA\r\nFrom: root (Cron Daemon)\r\nTo: ops\r\n\r\nb\r\n.\r\nQUIT\r\n' |
	    mta -odq -bs >"$T/out" 2>>"$T/log"
	grep -q '^250 ' "$T/out"
	run qmsg
	[[ "$output" == *$'\nFrom: root@example.org (Cron Daemon)\nTo: ops@example.org\n'* ]]
}
