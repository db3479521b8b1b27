#!/usr/bin/env bats
# Logs that the admin's tools read (issue 7): Postfix's program names and
# line shapes, so that the real pflogsumm (Debian's package) counts a test
# run's mail as it counts Postfix's. minimta logs to stderr here (log
# stderr) in the very lines syslog stores after its "Mon DD HH:MM:SS host"
# prefix, which the test adds: "minimta/smtp[PID]: ID: to=<...>, ...".

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=120

setup()
{
	command -v pflogsumm >/dev/null ||
	    skip "pflogsumm is not installed (tests/deps.sh installs it)"
	dl_setup
}

teardown()
{
	dl_teardown
}

# syslog_of FILE: FILE's log lines as syslog writes them to /var/log/mail.log
# (the time is now, the host "testhost"), for pflogsumm.
syslog_of()
{
	local now
	now=$(LC_ALL=C date '+%b %e %H:%M:%S')
	grep -E '^minimta(/[a-z]+)?\[[0-9]+\]: ' "$1" | sed "s/^/$now testhost /"
}

# summary [FILE]: pflogsumm's report of $T/log (or of FILE, a syslog file
# already), in $T/report.
summary()
{
	if [ $# -gt 0 ]; then
		cp "$1" "$T/syslog"
	else
		syslog_of "$T/log" >"$T/syslog"
	fi
	pflogsumm --syslog-name=minimta "$T/syslog" >"$T/report"
	cat "$T/report" >&2
}

# total N WHAT: pflogsumm's Grand Totals line "N   WHAT".
total()
{
	grep -Eq "^ +$1 +$2( |\$)" "$T/report" || {
		echo "report lacks \"$1 $2\":" >&2
		grep -E "^ +[0-9]+[kM]? +$2( |\$)" "$T/report" >&2
		return 1
	}
}

# section TITLE: the lines of one pflogsumm section, without its title,
# underline and blank lines.
section()
{
	awk -v t="$1" '
	    $0 == t { on = 1; getline; next }
	    on && /^$/ { if (seen) exit; next }
	    on { seen = 1; print }' "$T/report"
}

@test "logs: pflogsumm counts received, delivered, deferred, bounced, senders and recipients" {
	start_smtpd relay \
	    --reject-rcpt "later@x.example=450 4.2.0 try again later" \
	    --reject-rcpt "gone@x.example=550 5.1.1 no such user"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	send -f alice@example.org one@x.example
	send -f alice@example.org two@y.example
	send -f bob@example.org later@x.example
	send -f bob@example.org gone@x.example
	[ "$(nqueued)" -eq 4 ]
	qrun
	# the bounce to bob is queued by this run; the next run sends it
	# and tries later@ again
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 3 ]
	[ "$(nqueued)" -eq 1 ]
	summary
	total 4 received
	total 3 delivered
	total 1 'deferred +\(2 +deferrals\)'
	total 1 bounced
	total 2 senders
	total 1 'sending hosts/domains'
	total 3 recipients
	total 3 'recipient hosts/domains'
	# each sender with its two messages; each recipient delivered to
	[ "$(section 'Senders by message count' |
	    awk '{print $1, $2}' | sort)" = \
	    $'2 alice@example.org\n2 bob@example.org' ]
	[ "$(section 'Recipients by message count' |
	    awk '{print $1, $2}' | sort)" = \
	    $'1 bob@example.org\n1 one@x.example\n1 two@y.example' ]
	# the server's reasons, as pflogsumm trims them
	section 'message deferral detail' | grep -q 'try again later'
	section 'message bounce detail (by relay)' | grep -q 'no such user'
}

# as_nobody CMD...: CMD as nobody (a submitter that is not the spool owner).
as_nobody()
{
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# received_lines ID: the lines that tell pflogsumm ID was received.
received_lines()
{
	grep -Ec "^minimta/pickup\[[0-9]+\]: $1: uid=|^minimta/smtpd\[[0-9]+\]: $1: client=" "$T/log" || true
}

@test "logs: a drop file, a local submission and an SMTP client on a socket are each received once" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (setpriv to nobody)"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	command -v systemd-socket-activate >/dev/null ||
	    skip "needs systemd-socket-activate (Debian package systemd)"
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	if ! as_nobody test -x "$MINIMTA"; then
		cp "$MINIMTA" "$T/minimta"
		chmod 0755 "$T/minimta"
		MINIMTA=$T/minimta
	fi
	"$MINIMTA" -C "$T/minimta.conf" -bp >/dev/null	# the spool's layout
	# the spool owner (root here) submits: straight into the queue
	send -f root@example.org a@x.example
	# nobody drops a file for the queue runner's pickup
	printf 'Message-ID: <drop.1@example.org>\nSubject: drop\n\nb\n' |
	    as_nobody "$MINIMTA" -C "$T/minimta.conf" -odq \
	    -f nobody@example.org b@x.example 2>>"$T/log"
	# an SMTP client on a socket (as minimta-smtp@.service runs -bs)
	port=$(free_port 127.0.0.1)
	dl_bg systemd-socket-activate -l "127.0.0.1:$port" --inetd -a \
	    "$MINIMTA" -C "$T/minimta.conf" -odq -bs 2>>"$T/log"
	wait_for_port 127.0.0.1 "$port"
	py - "$port" <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("client@example.org", ["c@x.example"],
               "Subject: smtp\r\n\r\nb\r\n")
PY
	wait_until 10 grep -q 'minimta/smtpd\[[0-9]*\]: [0-9A-V]*: client=' \
	    "$T/log"
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 3 ]
	spool_empty
	cat "$T/log" >&2
	# the owner's: pickup; nobody's: postdrop when written, pickup when
	# taken in; the client's: smtpd, with the address of the client
	a=$(sed -n 's/^minimta\/pickup\[[0-9]*\]: \([0-9A-V]*\): uid=0 from=<root@example.org>$/\1/p' "$T/log")
	b=$(sed -n 's/^minimta\/postdrop\[[0-9]*\]: \([0-9A-V]*\): uid=65534 from=<nobody@example.org> (dropped for pickup)$/\1/p' "$T/log")
	c=$(sed -n 's/^minimta\/smtpd\[[0-9]*\]: \([0-9A-V]*\): client=unknown\[127\.0\.0\.1\]$/\1/p' "$T/log")
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ]
	log_has "^minimta/pickup\[[0-9]+\]: $b: uid=65534 from=<nobody@example.org>$"
	log_has "^minimta/cleanup\[[0-9]+\]: $b: message-id=<drop\.1@example\.org>$"
	log_has "^minimta/cleanup\[[0-9]+\]: $c: message-id=<[^>]+@test\.example>$"
	for id in "$a" "$b" "$c"; do
		[ "$(received_lines "$id")" -eq 1 ]
		log_has "^minimta/qmgr\[[0-9]+\]: $id: from=<[^>]+>, size=[0-9]+, nrcpt=1 \(queue active\)$"
		log_has "^minimta/qmgr\[[0-9]+\]: $id: removed$"
	done
	summary
	total 3 received
	total 3 delivered
	total 3 senders
	[ "$(section 'Senders by message count' |
	    awk '{print $1, $2}' | sort)" = \
	    $'1 client@example.org\n1 nobody@example.org\n1 root@example.org' ]
}

# syslogd DIR: a /dev/log stand-in, the datagram socket DIR/devlog, that
# writes each message it gets as one line to DIR/syslog.raw.
syslogd()
{
	: >"$1/syslog.raw"
	cat >"$1/syslogd.py" <<'PY'
import os, socket, sys
d = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(os.path.join(d, "devlog"))
os.chmod(os.path.join(d, "devlog"), 0o666)
with open(os.path.join(d, "syslog.raw"), "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536).rstrip(b"\n") + b"\n")
PY
	dl_bg "$PYTHON" "$1/syslogd.py" "$1"
	wait_until 10 test -S "$1/devlog"
}

# in_devlog_ns CMD...: CMD in a mount namespace whose /dev/log is
# $T/devlog (the machine's /dev is left alone: a tmpfs on /dev holds
# the null and urandom devices and the socket).
in_devlog_ns()
{
	unshare -m --propagation private sh -ec '
	    t=$1; shift
	    mkdir -p "$t/olddev"
	    mount --bind /dev "$t/olddev"
	    mount -t tmpfs -o mode=0755 tmpfs /dev
	    for n in null zero urandom random; do
		touch "/dev/$n"
		mount --bind "$t/olddev/$n" "/dev/$n"
	    done
	    touch /dev/log
	    mount --bind "$t/devlog" /dev/log
	    "$@"' sh "$T" "$@"
}

@test "logs: syslog gets the same lines as -v, facility mail, the program as ident" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a mount namespace for /dev/log)"
	unshare -m true 2>/dev/null || skip "cannot make a mount namespace here"
	start_smtpd relay
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT"
	sed -i 's/^log stderr$/log syslog/' "$T/minimta.conf"
	syslogd "$T"
	printf 'Subject: s\n\nb\n' >"$T/msg"
	# -v copies the lines to stderr
	in_devlog_ns "$MINIMTA" -C "$T/minimta.conf" -odq -v \
	    -f a@example.org one@x.example <"$T/msg" 2>"$T/verbose"
	in_devlog_ns "$MINIMTA" -C "$T/minimta.conf" -q
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	wait_until 5 grep -q ': removed$' "$T/syslog.raw"
	cat "$T/syslog.raw" >&2
	# glibc's local form: <PRI>Mmm dd hh:mm:ss ident[pid]: text; mail.info
	# is 2 * 8 + 6
	id=$(sed -En 's/.* minimta\/pickup\[[0-9]+\]: ([0-9A-V]+): .*/\1/p' \
	    "$T/syslog.raw")
	[ -n "$id" ]
	grep -Eq "^<22>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} minimta/pickup\[[0-9]+\]: $id: uid=0 from=<a@example.org>$" "$T/syslog.raw"
	grep -Eq "^<22>.{15} minimta/cleanup\[[0-9]+\]: $id: message-id=<" "$T/syslog.raw"
	grep -Eq "^<22>.{15} minimta/qmgr\[[0-9]+\]: $id: from=<a@example.org>, size=[0-9]+, nrcpt=1 \(queue active\)$" "$T/syslog.raw"
	grep -Eq "^<22>.{15} minimta/smtp\[[0-9]+\]: $id: to=<one@x.example>, relay=[^,]+, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\.0\.0, status=sent \(250 " "$T/syslog.raw"
	grep -Eq "^<22>.{15} minimta/qmgr\[[0-9]+\]: $id: removed$" "$T/syslog.raw"
	# the same lines as syslog got from the submitter
	pid=$(sed -En 's/^minimta\/pickup\[([0-9]+)\]: .*/\1/p' "$T/verbose")
	[ -n "$pid" ]
	diff <(grep -E "^minimta/[a-z]+\[$pid\]: " "$T/verbose") \
	    <(sed -En "s/^<[0-9]+>.{15} (minimta\/[a-z]+\[$pid\]: )/\1/p" \
	    "$T/syslog.raw")
	[ "$(grep -c "\[$pid\]: " "$T/verbose")" -eq 2 ]
	# what syslogd stores, with the host: pflogsumm reads it
	sed -E 's/^<[0-9]+>(.{15}) /\1 testhost /' "$T/syslog.raw" \
	    >"$T/mail.log"
	summary "$T/mail.log"
	total 1 received
	total 1 delivered
}
