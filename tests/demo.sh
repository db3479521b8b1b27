#!/usr/bin/env bash
# The main job, end to end, with the in-tree default configuration
# (etc/minimta.conf) and the spool in the build tree (spool/):
# a throwaway SMTP server (aiosmtpd) listens on loopback, a message is
# submitted with sendmail's command line, mailq shows it queued, a queue
# run delivers it, and the bytes the server received are shown.
set -eu
cd "$(dirname "$0")/.."
MINIMTA=${MINIMTA:-./minimta}
work=$(mktemp -d)
trap 'kill "$(cat "$work/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT

/usr/bin/python3 tests/lib/smtpd.py --host 127.0.0.1 --port 0 \
	--port-file "$work/port" --pid-file "$work/pid" --spool "$work/received" \
	--log "$work/smtpd.log" &
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "demo: the test SMTP server did not start" >&2; exit 1; }
port=$(cat "$work/port")

# etc/minimta.conf as shipped; only the spool, the relay and the log
# destination are set on the command line (-O key=value). Run as root
# (the README's first command), the build tree's spool/ is root's, and
# minimta refuses a root-owned spool unless told that this one is a
# throwaway: spool_owner root.
owner=
[ "$(id -u)" -ne 0 ] || owner=root
run() {
	"$MINIMTA" -C etc/minimta.conf -O spool="$PWD/spool" \
		${owner:+-O spool_owner="$owner"} \
		-O smarthost="smtp://127.0.0.1:$port" -O log=stderr "$@"
}

echo "== submit: sendmail -t -i -odq (queue only) =="
printf 'To: Demo Recipient <demo@example.org>\nSubject: minimta demo\n\nHello from minimta.\n' |
	run -t -i -odq
echo "== mailq =="
run -bp
echo "== sendmail -q: deliver =="
run -q
echo "== mailq after delivery =="
run -bp
echo "== what the SMTP server on 127.0.0.1:$port received =="
for f in "$work"/received/*.eml; do
	[ -e "$f" ] || { echo "demo: nothing was delivered" >&2; exit 1; }
	tr -d '\r' <"$f"
done
