#!/usr/bin/env bats
# Real clients through the built binary (issue 7, "Real clients in the
# suite"): PHP's mail() with sendmail_path, Symfony Mailer's sendmail
# transport (-bs and -t), git send-email --sendmail-cmd, and Python's
# smtplib over a TCP connection served by `sendmail -bs`. Each client
# submits through $MINIMTA with the test's config; a queue run delivers to
# aiosmtpd (tests/lib/smtpd.py), and the tests check what that server
# received: envelope, recipients, header fields and body bytes.
# tests/deps.sh installs the clients (php-cli, php-symfony-mailer,
# git-email, systemd); a test whose client is missing skips and says so.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup()
{
	dl_setup
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	# what a client runs: the built binary with this test's config;
	# -odq: the queue run below delivers, not a detached child racing it
	SM="$MINIMTA -C $T/minimta.conf -odq"
}

teardown()
{
	dl_teardown
}

# need PROGRAM PACKAGE: skips unless PROGRAM is on PATH.
need()
{
	command -v "$1" >/dev/null 2>&1 ||
	    skip "needs $1 (Debian package $2; run tests/deps.sh)"
}

need_symfony()
{
	need php php-cli
	[ -r "$SYMFONY_AUTOLOAD" ] ||
	    skip "needs Symfony Mailer (Debian package php-symfony-mailer; run tests/deps.sh)"
}

SYMFONY_AUTOLOAD=/usr/share/php/Symfony/Component/Mailer/autoload.php

# hdr N NAME: the unfolded value of header field NAME in the server's
# message N (0001...), CR removed; fails if the field is absent.
hdr()
{
	awk -v want="$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')" '
	    { sub(/\r$/, "") }
	    /^$/ { exit }
	    /^[ \t]/ { if (on) val = val $0; next }
	    { on = 0; n = index($0, ":")
	      if (tolower(substr($0, 1, n - 1)) == want) {
		on = 1; found = 1; val = substr($0, n + 1)
	      } }
	    END { if (!found) exit 1; sub(/^[ \t]+/, "", val); print val }' \
	    "$RELAY_SPOOL/$1.eml"
}

# has_hdr N NAME: the server's message N has a header field NAME.
has_hdr()
{
	hdr "$1" "$2" >/dev/null
}

# body N: the body bytes of the server's message N (after the blank line).
body()
{
	sed -n '/^\r$/,$p' "$RELAY_SPOOL/$1.eml" | sed 1d
}

# crlf_only N: every line of the server's message N ends in CRLF, and no
# CR stands elsewhere.
crlf_only()
{
	local f=$RELAY_SPOOL/$1.eml
	! grep -q $'[^\r]$' "$f" || { echo "bare LF in $f" >&2; return 1; }
	! grep -q $'\r.' "$f" || { echo "stray CR in $f" >&2; return 1; }
}

# rcpts N: the envelope recipients of message N, sorted, one a line.
rcpts()
{
	jq -r '.rcpt_tos[]' "$RELAY_SPOOL/$1.env" | sort
}

# sender N: the envelope sender of message N.
sender()
{
	jq -r .mail_from "$RELAY_SPOOL/$1.env"
}

# delivered N: a queue run delivers exactly N messages and leaves the
# spool empty.
delivered()
{
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq "$1" ] || {
		echo "server has $(count_eml "$RELAY_SPOOL") messages, want $1" >&2
		cat "$T/log" >&2
		return 1
	}
	spool_empty
}

# body_is N [WANT]: the body of the server's message N is exactly WANT
# (default $WIRE_BODY).
body_is()
{
	body "$1" >"$T/body.$1"
	printf '%s' "${2-$WIRE_BODY}" | cmp - "$T/body.$1" || {
		od -c "$T/body.$1" >&2
		return 1
	}
}

# wrap: $T/sendmail, which records its arguments (one a line, then a line
# "--end") in $T/argv and runs the built binary with them; $SM becomes it.
wrap()
{
	{
		echo '#!/bin/sh'
		# shellcheck disable=SC2028 # the \\n is for the script's printf
		echo "printf '%s\\n' \"\$@\" --end >>$T/argv"
		echo "exec $SM \"\$@\""
	} >"$T/sendmail"
	chmod 0755 "$T/sendmail"
	SM=$T/sendmail
}

# The body every client sends (LF line ends): a line with a single dot,
# which -i (or SMTP's dot-stuffing) must keep, and one starting with a dot.
BODY=$'line one\n.\n.leading dot\n..two dots\nlast line\n'
# ... as the server must have it.
WIRE_BODY=$'line one\r\n.\r\n.leading dot\r\n..two dots\r\nlast line\r\n'

# php_mail [PARAMS]: PHP's mail() with sendmail_path "$SM -t -i" (what
# Debian's php.ini means by its default) and PARAMS as its additional
# parameters (the fifth argument).
php_mail()
{
	BODY=$BODY php -n -d "sendmail_path=$SM -t -i" -r '
	    $h = "From: App <app@example.org>\r\n" .
		"Cc: carol@z.example\r\n" .
		"Bcc: dave@w.example\r\n" .
		"X-Mailer: clients.bats";
	    $ok = isset($argv[1])
		? mail("Alice <alice@x.example>, bob@y.example", "php subject",
		    getenv("BODY"), $h, $argv[1])
		: mail("Alice <alice@x.example>, bob@y.example", "php subject",
		    getenv("BODY"), $h);
	    exit($ok ? 0 : 1);' -- "$@" 2>>"$T/log"
}

@test "clients: PHP mail() with sendmail_path -t -i: recipients from the header, Bcc removed, body bytes" {
	need php php-cli
	php_mail
	delivered 1
	rcpts 0001 >"$T/got"
	printf '%s\n' alice@x.example bob@y.example carol@z.example \
	    dave@w.example | cmp - "$T/got"
	# no -f: the submitting account, qualified with the config's domain
	[ "$(sender 0001)" = "$(id -un)@example.org" ]
	[[ "$(hdr 0001 Received)" == "by test.example (minimta, from userid $(id -u))"* ]]
	[ "$(hdr 0001 To)" = "Alice <alice@x.example>, bob@y.example" ]
	[ "$(hdr 0001 Cc)" = carol@z.example ]
	[ "$(hdr 0001 Subject)" = "php subject" ]
	[ "$(hdr 0001 From)" = "App <app@example.org>" ]
	[ "$(hdr 0001 X-Mailer)" = clients.bats ]
	! has_hdr 0001 Bcc || false
	! grep -q dave "$RELAY_SPOOL/0001.eml" || false
	has_hdr 0001 Date
	has_hdr 0001 Message-ID
	crlf_only 0001
	# PHP ends the message with a CRLF of its own after the body
	body_is 0001 "$WIRE_BODY"$'\r\n'
}

@test "clients: PHP mail() with the additional parameter -f sets the envelope sender only" {
	need php php-cli
	wrap
	php_mail "-f bounce@example.org"
	delivered 1
	# PHP appends its additional parameters to sendmail_path
	printf '%s\n' -t -i -f bounce@example.org --end | cmp - "$T/argv"
	[ "$(sender 0001)" = bounce@example.org ]
	rcpts 0001 >"$T/got"
	printf '%s\n' alice@x.example bob@y.example carol@z.example \
	    dave@w.example | cmp - "$T/got"
	# the header From: is the application's, not the -f address
	[ "$(hdr 0001 From)" = "App <app@example.org>" ]
	! grep -q bounce@ "$RELAY_SPOOL/0001.eml" || false
	! has_hdr 0001 Bcc || false
	[ "$(hdr 0001 Subject)" = "php subject" ]
	body_is 0001 "$WIRE_BODY"$'\r\n'
}

@test "clients: PHP mail() with sendmail_path '-t -i' only (no -odq) is delivered at once" {
	need php php-cli
	SM="$MINIMTA -C $T/minimta.conf"
	php_mail "-fbounce@example.org"
	# the submitter (root here, the spool owner) delivers in a detached
	# child: nobody runs the queue
	wait_for_file "$RELAY_SPOOL/0001.eml"
	wait_until 10 spool_empty
	[ "$(sender 0001)" = bounce@example.org ]
	[ "$(rcpts 0001 | wc -l)" -eq 4 ]
	body_is 0001 "$WIRE_BODY"$'\r\n'
}

# symfony CMD: sends two messages through Symfony Mailer's
# SendmailTransport(CMD), one transport (so one -bs session); the bytes
# Symfony sent go to $T/sent.1 and $T/sent.2, their Message-IDs to
# $T/msgid.1, $T/msgid.2.
symfony()
{
	cat >"$T/send.php" <<'PHP'
<?php
require getenv('SYMFONY_AUTOLOAD');
use Symfony\Component\Mailer\Transport\SendmailTransport;
use Symfony\Component\Mime\Email;

$t = new SendmailTransport($argv[1]);
$dir = getenv('OUT_DIR');
foreach ([1, 2] as $n) {
	$e = (new Email())
	    ->from('App <app@example.org>')
	    ->to('Alice <alice@x.example>', 'bob@y.example')
	    ->cc('carol@z.example')
	    ->bcc('dave@w.example')
	    ->replyTo('help@example.org')
	    ->subject("symfony $n Grüße")
	    ->text(getenv('BODY'));
	$e->getHeaders()->addTextHeader('X-Seq', "$n");
	$sent = $t->send($e);
	file_put_contents("$dir/sent.$n", $sent->toString());
	file_put_contents("$dir/msgid.$n", $sent->getMessageId());
}
PHP
	SYMFONY_AUTOLOAD=$SYMFONY_AUTOLOAD OUT_DIR=$T BODY=$BODY \
	    php "$T/send.php" "$1" 2>>"$T/log"
}

# minus_received N: the server's message N without the Received: field
# minimta put first.
minus_received()
{
	awk 'NR == 1 && /^Received:/ { skip = 1; next }
	    skip && /^[ \t]/ { next }
	    { skip = 0; print }' "$RELAY_SPOOL/$1.eml"
}

# symfony_check N EXTRA: the server's message N is the bytes Symfony sent
# (CRLF) followed by EXTRA, with one Received: field before them; its
# Message-ID is Symfony's; Bcc went to the envelope only.
symfony_check()
{
	local n=$1
	[ "$(head -c 10 "$RELAY_SPOOL/000$n.eml")" = "Received: " ]
	minus_received "000$n" >"$T/got.$n"
	{ cat "$T/sent.$n"; printf '%s' "$2"; } >"$T/want.$n"
	cmp "$T/want.$n" "$T/got.$n" || {
		diff "$T/want.$n" "$T/got.$n" | od -c | head -40 >&2
		return 1
	}
	grep -q $'\r$' "$T/sent.$n"	# Symfony's bytes are CRLF already
	[ "$(hdr "000$n" Message-ID)" = "<$(cat "$T/msgid.$n")>" ]
	[ "$(hdr "000$n" X-Seq)" = "$n" ]
	[ "$(hdr "000$n" Subject)" = "symfony $n =?utf-8?Q?Gr=C3=BC=C3=9Fe?=" ]
	! has_hdr "000$n" Bcc || false
	! grep -q dave "$RELAY_SPOOL/000$n.eml" || false
	[ "$(sender "000$n")" = app@example.org ]
	rcpts "000$n" >"$T/rcpts.$n"
	printf '%s\n' alice@x.example bob@y.example carol@z.example \
	    dave@w.example | cmp - "$T/rcpts.$n"
	crlf_only "000$n"
	# the body lines survived: the lone dot and the leading dots
	body "000$n" | grep -qx $'\\.\r'
	body "000$n" | grep -qx $'\\.leading dot\r'
	body "000$n" | grep -qx $'\\.\\.two dots\r'
}

@test "clients: Symfony Mailer sendmail transport, default -bs mode: two messages in one session" {
	need_symfony
	wrap
	symfony "$SM -bs"
	delivered 2
	# one process, one SMTP session for both messages
	printf '%s\n' -bs --end | cmp - "$T/argv"
	# SMTP's end of data "\r\n.\r\n" after Symfony's final CRLF makes the
	# empty last line: the server has what Symfony put on the wire
	symfony_check 1 $'\r\n'
	symfony_check 2 $'\r\n'
}

@test "clients: Symfony Mailer sendmail transport in -t mode: recipients as arguments, -f" {
	need_symfony
	# Symfony drops -t when it knows the recipients and runs
	# CMD -i -f'app@example.org' -- 'alice@x.example' ... instead
	wrap
	symfony "$SM -t -i"
	delivered 2
	args=$(printf '%s\n' -i -fapp@example.org -- alice@x.example \
	    bob@y.example carol@z.example dave@w.example --end)
	printf '%s\n%s\n' "$args" "$args" | cmp - "$T/argv"
	symfony_check 1 ""
	symfony_check 2 ""
}

# git_repo: a repository in $T/repo with two commits on top of the first
# (their messages hold a lone "." line and a line starting with "."), and
# their patches in $T/patches; HOME=$T keeps the user's git config out.
git_repo()
{
	export HOME=$T GIT_CONFIG_NOSYSTEM=1
	local r=$T/repo
	git init -q "$r"
	git -C "$r" config user.name "Dev One"
	git -C "$r" config user.email dev@example.org
	echo one >"$r/f"
	git -C "$r" add f
	git -C "$r" commit -qm init
	echo two >>"$r/f"
	git -C "$r" commit -qam $'f: add two\n\nfirst line\n.\n.leading dot\nlast line'
	echo three >>"$r/f"
	git -C "$r" commit -qam $'f: add three\n\nthe second patch'
	git -C "$r" format-patch -q -2 -o "$T/patches"
}

@test "clients: git send-email --sendmail-cmd: envelope from --envelope-sender, recipients as arguments, threaded patches" {
	need git git
	git send-email -h 2>&1 | grep -q -- --sendmail-cmd ||
	    skip "needs git send-email with --sendmail-cmd (Debian package git-email; run tests/deps.sh)"
	git_repo
	wrap
	(cd "$T/repo" && git send-email --sendmail-cmd="$SM" \
	    --to='Alice <alice@x.example>' --cc=carol@z.example \
	    --bcc=dave@w.example --envelope-sender=bounce@example.org \
	    --confirm=never --no-validate --quiet "$T"/patches/*.patch) \
	    >>"$T/log" 2>&1
	delivered 2
	# git runs CMD -f SENDER -i RCPT... once per patch (the author is
	# added as Cc)
	args=$(printf '%s\n' -f bounce@example.org -i alice@x.example \
	    carol@z.example dev@example.org dave@w.example --end)
	printf '%s\n%s\n' "$args" "$args" | cmp - "$T/argv"
	for n in 1 2; do
		m=000$n
		[ "$(sender $m)" = bounce@example.org ]
		rcpts $m >"$T/rcpts"
		printf '%s\n' alice@x.example carol@z.example dave@w.example \
		    dev@example.org | cmp - "$T/rcpts"
		[ "$(hdr $m From)" = "Dev One <dev@example.org>" ]
		[ "$(hdr $m To)" = "Alice <alice@x.example>" ]
		[ "$(hdr $m Cc)" = $'carol@z.example,\tDev One <dev@example.org>' ]
		! has_hdr $m Bcc || false
		! grep -q dave "$RELAY_SPOOL/$m.eml" || false
		# git's Message-Id and Date are kept, none added
		[ "$(grep -ci '^message-id:' "$RELAY_SPOOL/$m.eml")" -eq 1 ]
		[ "$(grep -ci '^date:' "$RELAY_SPOOL/$m.eml")" -eq 1 ]
		crlf_only $m
		# the body is the patch's body, byte for byte (CRLF)
		sed -n '/^$/,$p' "$(ls "$T"/patches/000$n-*.patch)" | sed 1d |
		    sed 's/$/\r/' >"$T/want"
		body $m | cmp "$T/want" -
	done
	[ "$(hdr 0001 Subject)" = "[PATCH 1/2] f: add two" ]
	[ "$(hdr 0002 Subject)" = "[PATCH 2/2] f: add three" ]
	body 0001 | grep -qx $'\\.\r'
	body 0001 | grep -qx $'\\.leading dot\r'
	# the second patch answers the first
	[ "$(hdr 0002 In-Reply-To)" = "$(hdr 0001 Message-Id)" ]
}

# socket_bs: `sendmail -bs` on 127.0.0.1:$PORT, one process a connection
# (systemd-socket-activate --inetd, as minimta-smtp@.service would run).
socket_bs()
{
	need systemd-socket-activate systemd
	PORT=$(free_port 127.0.0.1)
	dl_bg systemd-socket-activate -l "127.0.0.1:$PORT" --inetd -a \
	    "$MINIMTA" -C "$T/minimta.conf" -odq -bs 2>>"$T/log"
	wait_for_port 127.0.0.1 "$PORT"
}

# smtp_client PORT: Python's smtplib on 127.0.0.1:PORT. Connection one:
# message A by the low-level commands (one bad recipient among good ones),
# message B by send_message() (Bcc, 8-bit body); connection two: message
# C by sendmail(). Prints "features ...", the DATA reply of A, the
# refused recipients of A, one a line.
smtp_client()
{
	BODY=$BODY py - "$1" <<'PY'
import os, smtplib, sys
from email.message import EmailMessage

port = int(sys.argv[1])
body = os.environ["BODY"]
s = smtplib.SMTP("127.0.0.1", port, local_hostname="app.example", timeout=10)
code, _ = s.ehlo()
assert code == 250, code
print("features", " ".join(sorted(s.esmtp_features)))
assert s.mail("app@example.org")[0] == 250
assert s.rcpt("alice@x.example")[0] == 250
print("refused b@", s.rcpt("b@")[0])
assert s.rcpt("bob@y.example")[0] == 250
msg = ("From: App <app@example.org>\nTo: alice@x.example, bob@y.example\n"
       "Subject: smtplib A\n\n" + body)
# data() dot-stuffs, and makes CRLF of the LFs of a str
code, reply = s.data(msg)
print("data", code, reply.decode())

m = EmailMessage()
m["From"] = "App <app@example.org>"
m["To"] = "carol@z.example"
m["Bcc"] = "dave@w.example"
m["Subject"] = "smtplib B"
m.set_content("caf\u00e9 cr\u00e8me\n" + body, cte="8bit")
refused = s.send_message(m)
assert refused == {}, refused
s.quit()

s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.sendmail("<>", ["alice@x.example"],
           b"Subject: smtplib C\r\n\r\nthird\r\n")
s.quit()
PY
}

@test "clients: Python smtplib over TCP to sendmail -bs (systemd-socket-activate --inetd)" {
	socket_bs
	run smtp_client "$PORT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "features "*"8bitmime"*"pipelining"* ]]
	[ "${lines[1]}" = "refused b@ 501" ]
	[[ "${lines[2]}" =~ ^"data 250 2.0.0 Ok: queued as "([0-9A-Z]+)$ ]]
	ida=${BASH_REMATCH[1]}
	delivered 3
	# A: the envelope as given, the bad recipient left out, the body
	# dot-unstuffed by minimta and stuffed again for the server
	a=$(grep -l 'Subject: smtplib A' "$RELAY_SPOOL"/*.eml)
	a=$(basename "$a" .eml)
	[ "$(sender "$a")" = app@example.org ]
	[ "$(rcpts "$a" | tr '\n' ' ')" = "alice@x.example bob@y.example " ]
	grep -q "id $ida;" "$RELAY_SPOOL/$a.eml"
	crlf_only "$a"
	body_is "$a"
	# B: Bcc removed by smtplib and still only in the envelope; 8BITMIME
	b=$(grep -l 'Subject: smtplib B' "$RELAY_SPOOL"/*.eml)
	b=$(basename "$b" .eml)
	[ "$(rcpts "$b" | tr '\n' ' ')" = "carol@z.example dave@w.example " ]
	! grep -q dave "$RELAY_SPOOL/$b.eml" || false
	envf "$RELAY_SPOOL/$b.env" .mail_options | grep -q '"BODY=8BITMIME"'
	body_is "$b" $'caf\xc3\xa9 cr\xc3\xa8me\r\n'"$WIRE_BODY"
	crlf_only "$b"
	# C: the second connection, null sender
	c=$(grep -l 'Subject: smtplib C' "$RELAY_SPOOL"/*.eml)
	c=$(basename "$c" .eml)
	[ "$(sender "$c")" = "<>" ]
	[ "$(rcpts "$c")" = alice@x.example ]
	body_is "$c" $'third\r\n'
}

@test "clients: over TCP, only <CR><LF>.<CR><LF> ends DATA: <LF>.<LF>, <LF>.<CR><LF>, <CR><LF>.<LF> smuggle no second message" {
	socket_bs
	for end in '\n.\n' '\n.\r\n' '\r\n.\n'; do
		# one pipelined session, as an attacker whose text an
		# application passes on unchanged would make it
		printf "EHLO app.example\r\nMAIL FROM:<app@example.org>\r\nRCPT TO:<alice@x.example>\r\nDATA\r\nSubject: one\r\n\r\nbody${end}MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\nQUIT\r\n" |
		    py -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
    pass' "$PORT"
	done
	# the bare-LF dot lines are text of the first message: three
	# messages, all from app@ to alice@, none from evil@ to victim@
	run "$MINIMTA" -C "$T/minimta.conf" -bp -j
	[ "$status" -eq 0 ]
	[ "$(grep -c '"sender": "app@example.org", "recipients": \[{"address": "alice@x.example"}\]' <<<"$output")" -eq 3 ]
	! grep -q -e evil@ -e victim@ <<<"$output" || false
	[ "$(nqueued)" -eq 3 ]
}
