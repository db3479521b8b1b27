#!/usr/bin/env bash
# dns-server.sh: a real DNS server (unbound) for the tests, answering from
# a small zone file and nothing else (no recursion, no root queries).
#
#   tests/lib/dns-server.sh start DIR ADDR PORT ZONEFILE
#   tests/lib/dns-server.sh stop DIR
#   tests/lib/dns-server.sh launch DIR ADDR PORT   (DIR/unbound.conf written)
#
# start writes DIR/unbound.conf, DIR/dns.pid and DIR/dns.log, and returns
# once the server answers on ADDR:PORT (UDP and TCP); it exits non-zero with
# a message on stderr if it cannot start. ADDR is any loopback address
# (127.0.0.x, so no system resolver on 127.0.0.1:53 or 127.0.0.53:53 is
# disturbed).
#
# Zone file: one record a line, "#" comments, blank lines ignored:
#   NAME TYPE DATA...          any type unbound's local-data accepts:
#   example.test MX 10 mx1.example.test
#   mx1.example.test A 127.0.0.1
#   mx1.example.test AAAA ::1
#   www.example.test CNAME mx1.example.test
#   nullmx.test MX 0 .         (RFC 7505 null MX)
#   broken.test SERVFAIL       this name and every name below it answer
#                              SERVFAIL: a stub zone whose only server is
#                              this unbound itself, which refuses the
#                              iterator's non-recursive query (access-control
#                              "allow" refuses RD=0 queries it cannot answer
#                              from cache), so the lookup fails as with a
#                              broken authoritative server
# Names get a final "." if they lack one; TTLs are 300. Every name not in
# the file answers NXDOMAIN; a name in the file asked for a type it lacks
# answers NOERROR with no data (NODATA). CNAMEs are not chased by the
# server (a local zone answers with the CNAME alone), so clients must
# follow them. Records are served in file order (no round-robin).
set -u

die() {
	echo "dns-server.sh: $*" >&2
	exit 1
}

usage() {
	die "usage: dns-server.sh start DIR ADDR PORT ZONEFILE |" \
	    "launch DIR ADDR PORT | stop DIR"
}

fqdn() {
	case "$1" in
	*.) printf '%s' "$1" ;;
	*) printf '%s.' "$1" ;;
	esac
}

# query ADDR PORT NAME: exit 0 when the server answers (any rcode) over
# UDP and over TCP.
query() {
	/usr/bin/python3 - "$@" <<'PY'
import random, socket, struct, sys
addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
qid = random.randint(0, 65535)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
for label in name.strip(".").split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\0" + struct.pack(">HH", 1, 1)
try:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    s.sendto(q, (addr, port))
    r = s.recv(4096)
    if struct.unpack(">H", r[:2])[0] != qid:
        sys.exit(1)
    t = socket.create_connection((addr, port), timeout=0.3)
    t.sendall(struct.pack(">H", len(q)) + q)
    if len(t.recv(2)) != 2:
        sys.exit(1)
except OSError:
    sys.exit(1)
PY
}

# convert ZONEFILE ADDR PORT: the unbound.conf lines for the zone.
convert() {
	local zone=$1 addr=$2 port=$3 n=0 line name type rest stubs=""
	printf '\tlocal-zone: "." static\n'
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%%#*}
		line=${line%$'\r'}
		[ -n "${line//[[:space:]]/}" ] || continue
		case "$line" in
		*'"'*|*'\'*) die "$zone:$n: quotes and backslashes are not supported" ;;
		esac
		read -r name type rest <<<"$line"
		[ -n "$type" ] || die "$zone:$n: need NAME TYPE DATA"
		name=$(fqdn "$name")
		type=$(printf '%s' "$type" | tr '[:lower:]' '[:upper:]')
		case "$type" in
		SERVFAIL)
			printf '\tlocal-zone: "%s" transparent\n' "$name"
			stubs="$stubs$name "
			;;
		MX|CNAME|NS|PTR)
			[ -n "$rest" ] || die "$zone:$n: $type needs data"
			local target=${rest##* } head=""
			[ "$target" = "$rest" ] || head="${rest% *} "
			printf '\tlocal-data: "%s 300 IN %s %s%s"\n' "$name" \
			    "$type" "$head" "$(fqdn "$target")"
			;;
		*)
			[ -n "$rest" ] || die "$zone:$n: $type needs data"
			printf '\tlocal-data: "%s 300 IN %s %s"\n' "$name" \
			    "$type" "$rest"
			;;
		esac
	done <"$zone"
	for name in $stubs; do
		printf 'stub-zone:\n\tname: "%s"\n\tstub-addr: %s@%s\n' \
		    "$name" "$addr" "$port"
	done
}

start() {
	[ $# -eq 4 ] || usage
	local dir=$1 addr=$2 port=$3 zone=$4 body
	case "$port" in
	''|*[!0-9]*) die "bad port: $port" ;;
	esac
	[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad port: $port"
	[ -r "$zone" ] || die "cannot read zone file: $zone"
	command -v unbound >/dev/null || die "unbound not found: apt-get install unbound"
	mkdir -p "$dir" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd) || die "cannot enter $dir"
	if [ -s "$dir/dns.pid" ] && kill -0 "$(cat "$dir/dns.pid")" 2>/dev/null; then
		die "a server is already running from $dir (pid $(cat "$dir/dns.pid"))"
	fi
	body=$(convert "$zone" "$addr" "$port") || exit 1
	cat >"$dir/unbound.conf" <<CONF
server:
	username: ""
	chroot: ""
	directory: "$dir"
	pidfile: ""
	logfile: "$dir/dns.log"
	use-syslog: no
	verbosity: 1
	num-threads: 1
	so-reuseport: no
	interface: $addr@$port
	access-control: 0.0.0.0/0 allow
	access-control: ::/0 allow
	do-ip4: yes
	do-ip6: yes
	do-not-query-localhost: no
	module-config: "iterator"
	qname-minimisation: no
	rrset-roundrobin: no
	infra-host-ttl: 1
$body
remote-control:
	control-enable: no
CONF
	unbound-checkconf "$dir/unbound.conf" >"$dir/checkconf.out" 2>&1 ||
	    die "bad configuration from $zone: $(cat "$dir/checkconf.out")"
	launch "$dir" "$addr" "$port" dns-server-probe.
}

# launch DIR ADDR PORT [PROBE]: runs unbound on DIR/unbound.conf (written
# and checked), pid in DIR/dns.pid, log in DIR/dns.log; returns once it
# has logged "start of service" (every port is open) and, with PROBE,
# answers a query for that name (an answer alone could come from another
# server on that port). dnssec-server.sh launches its resolver so too.
launch() {
	local dir=$1 addr=$2 port=$3 probe=${4:-} pid i
	: >"$dir/dns.log"
	unbound -d -c "$dir/unbound.conf" </dev/null >>"$dir/dns.log" 2>&1 3>&- &
	pid=$!
	echo "$pid" >"$dir/dns.pid"
	for i in $(seq 1 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$dir/dns.pid"
			die "unbound exited at start ($addr port $port):" \
			    "$(tail -5 "$dir/dns.log")"
		fi
		if grep -q 'start of service' "$dir/dns.log" &&
		    { [ -z "$probe" ] || query "$addr" "$port" "$probe"; } &&
		    kill -0 "$pid" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
		: "$i"
	done
	kill "$pid" 2>/dev/null
	rm -f "$dir/dns.pid"
	die "unbound does not answer on $addr port $port: $(tail -5 "$dir/dns.log")"
}

stop() {
	[ $# -eq 1 ] || usage
	local dir=$1 pid i
	[ -s "$dir/dns.pid" ] || return 0
	pid=$(cat "$dir/dns.pid")
	kill "$pid" 2>/dev/null || { rm -f "$dir/dns.pid"; return 0; }
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$dir/dns.pid"; return 0; }
		sleep 0.05
		: "$i"
	done
	kill -9 "$pid" 2>/dev/null
	rm -f "$dir/dns.pid"
}

cmd=${1:-}
[ $# -ge 1 ] && shift
case "$cmd" in
start) start "$@" ;;
launch) [ $# -eq 3 ] || usage; launch "$@" ;;
stop) stop "$@" ;;
*) usage ;;
esac
