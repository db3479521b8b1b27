#!/usr/bin/env bats
# The services (etc/systemd/, etc/cron.d/): systemd-analyze verify on every
# unit as `make install` installs it; what they promise (the runner as the
# spool owner, hardened; loopback only); and the socket path without
# systemd: systemd-socket-activate runs `sendmail -bs` per connection, as
# minimta-smtp@.service does, and a pipelined SMTP dialogue reaches the
# queue and the server behind it.

load common
load ../lib/servers

UNITS="minimta.service minimta-smtp.socket minimta-smtp@.service"

setup() {
	common_setup
	SSA_PID=
}

teardown() {
	if [ -n "${SSA_PID:-}" ]; then
		kill -TERM "$SSA_PID" 2>/dev/null
		wait "$SSA_PID" 2>/dev/null
	fi
	stop_servers
	[ -n "${OWNER:-}" ] && userdel "$OWNER" 2>/dev/null
	[ -n "${OWNER:-}" ] && groupdel "$OWNER" 2>/dev/null
	common_teardown
}

# unit_key FILE KEY: the values of KEY= in FILE, one a line.
unit_key() {
	sed -n "s/^$2=//p" "$1"
}

@test "services: systemd-analyze verify passes on every unit, without a warning" {
	command -v systemd-analyze >/dev/null ||
	    skip "needs systemd-analyze (tests/deps.sh installs systemd)"
	local d=$T/inst
	# every path inside $T, so that ExecStart= and the man pages exist
	make -s -C "$REPO" install PREFIX="$d/usr" SYSCONFDIR="$d/etc" \
	    LOCALSTATEDIR="$d/var" SYSTEMDUNITDIR="$d/lib/systemd/system" \
	    BUILD="${BUILD:-build}" BIN="$MINIMTA" >/dev/null
	for u in $UNITS; do
		f=$d/lib/systemd/system/$u
		case $u in *.service) grep -q "ExecStart=$d/usr/sbin/sendmail" "$f" ;; esac
		run env MANPATH="$d/usr/share/man" systemd-analyze verify "$f"
		echo "$u: $status: $output"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
	done
	# and verify does see mistakes: an unknown key is a warning
	printf '[Service]\nExecStart=%s -q\nFrobnicate=yes\n' \
	    "$d/usr/sbin/sendmail" >"$T/bad.service"
	run env MANPATH="$d/usr/share/man" systemd-analyze verify "$T/bad.service"
	[[ "$output" == *"Unknown key"*"Frobnicate"* ]]
}

@test "services: the runner runs sendmail -q5m as the spool owner, restarts, hardened" {
	f=$REPO/etc/systemd/minimta.service
	[ "$(unit_key "$f" ExecStart)" = "/usr/sbin/sendmail -q5m" ]
	[ "$(unit_key "$f" User)" = mail ]
	[ "$(unit_key "$f" Group)" = mail ]
	[ "$(unit_key "$f" Restart)" = on-failure ]
	[ "$(unit_key "$f" Type)" = simple ]
	[ "$(unit_key "$f" ProtectSystem)" = strict ]
	[ "$(unit_key "$f" ReadWritePaths)" = /var/spool/minimta ]
	[ "$(unit_key "$f" NoNewPrivileges)" = yes ]
	[ "$(unit_key "$f" PrivateTmp)" = yes ]
	[ "$(unit_key "$f" ProtectHome)" = yes ]
	[ "$(unit_key "$f" RestrictAddressFamilies)" = "AF_UNIX AF_INET AF_INET6" ]
	[ "$(unit_key "$f" CapabilityBoundingSet)" = "" ]
	grep -qx 'CapabilityBoundingSet=' "$f"
	[ "$(unit_key "$f" WantedBy)" = multi-user.target ]
	# make install with another owner and prefix rewrites them
	make -s -C "$REPO" install DESTDIR="$T/d" PREFIX=/opt/mta SPOOL_OWNER=nobody \
	    LOCALSTATEDIR=/srv BUILD="${BUILD:-build}" BIN="$MINIMTA" >/dev/null
	g=$T/d/lib/systemd/system/minimta.service
	[ "$(unit_key "$g" ExecStart)" = "/opt/mta/sbin/sendmail -q5m" ]
	[ "$(unit_key "$g" User)" = nobody ]
	[ "$(unit_key "$g" Group)" = "$(id -gn nobody)" ]
	[ "$(unit_key "$g" ReadWritePaths)" = /srv/spool/minimta ]
	h=$T/d/lib/systemd/system/minimta-smtp@.service
	[ "$(unit_key "$h" ExecStart)" = "/opt/mta/sbin/sendmail -bs" ]
	[ "$(unit_key "$h" ReadWritePaths)" = "/srv/spool/minimta/incoming /srv/spool/minimta/trigger" ]
	[[ "$(tail -n 1 "$T/d/etc/cron.d/minimta")" == *$'\tnobody\t'*"/opt/mta/sbin/sendmail -q" ]]
}

@test "services: the socket listens on loopback addresses only; sessions run sendmail -bs unprivileged" {
	s=$REPO/etc/systemd/minimta-smtp.socket
	run unit_key "$s" ListenStream
	[ "$output" = $'127.0.0.1:25\n[::1]:25' ]
	[ "$(unit_key "$s" Accept)" = yes ]
	[ "$(unit_key "$s" BindIPv6Only)" = ipv6-only ]
	[ "$(unit_key "$s" WantedBy)" = sockets.target ]
	f=$REPO/etc/systemd/minimta-smtp@.service
	[ "$(unit_key "$f" ExecStart)" = "/usr/sbin/sendmail -bs" ]
	[ "$(unit_key "$f" StandardInput)" = socket ]
	[ "$(unit_key "$f" StandardOutput)" = socket ]
	# an unprivileged account: a dynamic one, never root, never mail
	[ "$(unit_key "$f" DynamicUser)" = yes ]
	[ -z "$(unit_key "$f" User)" ]
	[ "$(unit_key "$f" ReadWritePaths)" = "/var/spool/minimta/incoming /var/spool/minimta/trigger" ]
	[ "$(unit_key "$f" NoNewPrivileges)" = yes ]
	[ "$(unit_key "$f" ProtectSystem)" = strict ]
	# a template: started by the socket, never enabled on its own
	! grep -q '^\[Install\]' "$f" || false
}

@test "services: the cron line runs sendmail -q as mail every 5 minutes, only without systemd" {
	f=$REPO/etc/cron.d/minimta.cron
	line=$(grep -v '^#' "$f" | grep -v '^$')
	[ "$(echo "$line" | wc -l)" -eq 1 ]
	IFS=$'\t' read -r when user cmd <<<"$line"
	[ "$when" = "*/5 * * * *" ]
	[ "$user" = mail ]
	[ "$cmd" = "[ -d /run/systemd/system ] || [ ! -x /usr/sbin/minimta ] || /usr/sbin/sendmail -q" ]
	# the guard, run: with systemd nothing happens; without, sendmail -q
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho "ran: $*"\n' >"$T/bin/sendmail"
	chmod +x "$T/bin/sendmail"
	c=${cmd//\/usr\/sbin\/sendmail/$T/bin/sendmail}
	c=${c//\/usr\/sbin\/minimta/$T/bin/sendmail}
	run sh -c "${c//\/run\/systemd\/system/$T}"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run sh -c "${c//\/run\/systemd\/system/$T/none}"
	[ "$output" = "ran: -q" ]
}

# The socket path without systemd: an owner account (as mail is), sessions
# as nobody (as the dynamic user of minimta-smtp@.service).
socket_setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (useradd, setpriv)"
	command -v systemd-socket-activate >/dev/null ||
	    skip "needs systemd-socket-activate (tests/deps.sh installs systemd)"
	start_smtpd relay
	write_conf
	sed -i "s|^smarthost .*|smarthost smtp://$RELAY_HOST:$RELAY_PORT|" "$T/minimta.conf"
	chmod 0644 "$T/minimta.conf"
	OWNER=mtas$$
	useradd -r -M -U -d /nonexistent -s /usr/sbin/nologin "$OWNER"
	mkdir -p "$T/spool"
	chown "$OWNER:$OWNER" "$T/spool"
	cp "$MINIMTA" "$T/minimta"
	chmod 0755 "$T/minimta"
	MINIMTA=$T/minimta
	as_owner "$MINIMTA" -C "$T/minimta.conf" -bp >/dev/null
	PORT=$(free_port 127.0.0.1)
	# what minimta-smtp.socket and minimta-smtp@.service do: accept, and
	# run sendmail -bs on the connection (stdin and stdout) per client
	systemd-socket-activate -l "127.0.0.1:$PORT" -a --inetd \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$MINIMTA" -C "$T/minimta.conf" -bs 2>"$T/ssa.log" &
	SSA_PID=$!
	wait_for_port 127.0.0.1 "$PORT"
}

as_owner() { setpriv --reuid="$OWNER" --regid="$OWNER" --clear-groups "$@"; }

# smtp_client PORT: a pipelining client (RFC 2920): EHLO; then MAIL, RCPT,
# RCPT, DATA in one write; the message, and the next transaction with
# QUIT, in one write. Prints every reply line the server sent.
smtp_client() {
	py - "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
def replies(n):
    for _ in range(n):
        while True:
            line = f.readline()
            if not line:
                sys.exit("connection closed")
            sys.stdout.write(line.decode())
            if line[3:4] != b"-":
                break
replies(1)
s.sendall(b"EHLO client.example\r\n")
replies(1)
s.sendall(b"MAIL FROM:<app@example.org>\r\nRCPT TO:<one@example.net>\r\n"
          b"RCPT TO:<two@example.net>\r\nDATA\r\n")
replies(4)
s.sendall(b"Subject: over the socket\r\n\r\nfirst\r\n..dot\r\n.\r\n"
          b"MAIL FROM:<app@example.org>\r\nRCPT TO:<three@example.net>\r\n"
          b"DATA\r\n")
replies(4)
s.sendall(b"Subject: second\r\n\r\nsecond\r\n.\r\nQUIT\r\n")
replies(2)
PY
}

@test "services: the socket path without systemd: a pipelined SMTP dialogue reaches the queue and the relay" {
	socket_setup
	run smtp_client "$PORT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "220 test.example ESMTP minimta"* ]]
	[[ "$output" == *"250-PIPELINING"* ]]
	[ "$(grep -c '^250 2.0.0 Ok: queued as' <<<"$output")" -eq 2 ]
	[ "$(grep -c '^354 ' <<<"$output")" -eq 2 ]
	[[ "${lines[-1]}" == "221 2.0.0 Bye"* ]]
	# nobody dropped both into incoming/; the owner's run delivers them
	[ "$(ls -A "$T/spool/incoming" | wc -l)" -eq 2 ]
	run as_owner "$MINIMTA" -C "$T/minimta.conf" -q
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -Ec '^minimta/pickup\[[0-9]+\]: [0-9A-V]+: uid=65534 from=<' <<<"$output")" -eq 2 ]
	wait_for_file "$RELAY_SPOOL/0002.eml"
	first=$(grep -l '^Subject: over the socket' "$RELAY_SPOOL"/*.eml)
	second=$(grep -l '^Subject: second' "$RELAY_SPOOL"/*.eml)
	env1=${first%.eml}.env
	[ "$(jq -r .mail_from "$env1")" = app@example.org ]
	[ "$(jq -r '.rcpt_tos | join(",")' "$env1")" = one@example.net,two@example.net ]
	[ "$(jq -r '.rcpt_tos | join(",")' "${second%.eml}.env")" = three@example.net ]
	grep -q $'^Received: by test.example (minimta, from userid 65534)\r$' "$first"
	# dot-unstuffed by the session, stuffed again on the way out: ".dot"
	tail -n 2 "$first" | cmp - <(printf 'first\r\n.dot\r\n')
	cat "$T/ssa.log"
}

# The session records its peer: bs.c reads it with getpeername() on
# standard input (net_peer; a socket under minimta-smtp@.service and
# systemd-socket-activate --inetd) and puts "from HELO ([IP])" into the
# Received: line it writes.
@test "services: the socket path records the peer in Received: (from [127.0.0.1])" {
	socket_setup
	run smtp_client "$PORT"
	echo "$output"
	[ "$status" -eq 0 ]
	run as_owner "$MINIMTA" -C "$T/minimta.conf" -q
	wait_for_file "$RELAY_SPOOL/0002.eml"
	first=$(grep -l '^Subject: over the socket' "$RELAY_SPOOL"/*.eml)
	grep '^Received:' "$first"
	grep -qE '^Received: from [^;]*\[127\.0\.0\.1\]' "$first"
}
