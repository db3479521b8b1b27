#!/usr/bin/env bash
# dnssec-server.sh: a validating DNS resolver (unbound) in front of zones
# the tests sign themselves, for DANE (RFC 7672) tests.
#
#   tests/lib/dnssec-server.sh start DIR ADDR PORT
#   tests/lib/dnssec-server.sh stop DIR
#
# Zones are master files (RFC 1035 syntax, with $ORIGIN and $TTL) in
# DIR/zones:
#   NAME.signed     signed at start with a fresh ECDSA P-256 key
#                   (ldns-keygen, ldns-signzone from Debian's ldnsutils);
#                   the key is the resolver's trust anchor for NAME, so
#                   its answers come with the AD bit
#   NAME.unsigned   served as it is: no trust anchor, answers are
#                   insecure (no AD bit)
#   NAME.bogus      optional, next to NAME.signed: owner names, one a
#                   line, whose TLSA records are altered after signing, so
#                   their signatures fail and the resolver answers
#                   SERVFAIL (bogus data)
# Each zone is an unbound auth-zone used "for upstream": unbound serves
# the zone's records as if an authoritative server had sent them, and its
# validator checks them against the trust anchor like any upstream answer
# (module-config "validator iterator"). Nothing else resolves: every
# other name is NXDOMAIN (local-zone "." static), no root queries.
#
# start writes DIR/unbound.conf, DIR/dns.pid and DIR/dns.log, and returns
# once the server answers on ADDR:PORT.
set -u
here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "dnssec-server.sh: $*" >&2
	exit 1
}

usage() {
	die "usage: dnssec-server.sh start DIR ADDR PORT | stop DIR"
}

# sign DIR NAME: DIR/zones/NAME.signed -> DIR/NAME.zone (signed), and the
# trust anchor DIR/NAME.anchor.
sign() {
	local dir=$1 name=$2 key owner
	key=$(cd "$dir" && ldns-keygen -a ECDSAP256SHA256 -k "$name.") ||
	    die "ldns-keygen failed for $name"
	(cd "$dir" && ldns-signzone -o "$name." -f "$name.zone" \
	    "zones/$name.signed" "$key") >"$dir/sign.out" 2>&1 ||
	    die "ldns-signzone failed for $name: $(cat "$dir/sign.out")"
	cp "$dir/$key.key" "$dir/$name.anchor" || die "no key for $name"
	[ -f "$dir/zones/$name.bogus" ] || return 0
	while read -r owner; do
		[ -n "$owner" ] || continue
		# the last hex digit of each TLSA record of owner changes
		awk -v o="${owner%.}." '
		    $1 == o && $4 == "TLSA" {
			    c = substr($NF, length($NF), 1)
			    $NF = substr($NF, 1, length($NF) - 1) (c == "0" ? "1" : "0")
		    }
		    { print }' "$dir/$name.zone" >"$dir/$name.zone.new" &&
		    mv "$dir/$name.zone.new" "$dir/$name.zone"
	done <"$dir/zones/$name.bogus"
}

start() {
	[ $# -eq 3 ] || usage
	local dir=$1 addr=$2 port=$3 f name body="" zones=""
	command -v unbound >/dev/null || die "unbound not found: apt-get install unbound"
	dir=$(cd "$dir" && pwd) || die "cannot enter $dir"
	for f in "$dir"/zones/*.signed "$dir"/zones/*.unsigned; do
		[ -f "$f" ] || continue
		name=$(basename "$f")
		case $name in
		*.signed)
			name=${name%.signed}
			command -v ldns-signzone >/dev/null ||
			    die "ldns-signzone not found: apt-get install ldnsutils"
			sign "$dir" "$name"
			body="$body	trust-anchor-file: \"$dir/$name.anchor\"
"
			;;
		*)
			name=${name%.unsigned}
			cp "$f" "$dir/$name.zone"
			;;
		esac
		body="$body	local-zone: \"$name.\" transparent
"
		zones="${zones}auth-zone:
	name: \"$name.\"
	zonefile: \"$dir/$name.zone\"
	for-upstream: yes
	for-downstream: no
	fallback-enabled: no
"
	done
	[ -n "$zones" ] || die "no zones in $dir/zones"
	cat >"$dir/unbound.conf" <<CONF
server:
	username: ""
	chroot: ""
	directory: "$dir"
	pidfile: ""
	logfile: "$dir/dns.log"
	use-syslog: no
	verbosity: 1
	val-log-level: 2
	num-threads: 1
	so-reuseport: no
	interface: $addr@$port
	access-control: 0.0.0.0/0 allow
	do-ip4: yes
	do-ip6: no
	do-not-query-localhost: no
	module-config: "validator iterator"
	qname-minimisation: no
	rrset-roundrobin: no
	local-zone: "." static
$body
$zones
remote-control:
	control-enable: no
CONF
	unbound-checkconf "$dir/unbound.conf" >"$dir/checkconf.out" 2>&1 ||
	    die "bad configuration: $(cat "$dir/checkconf.out")"
	"$here/dns-server.sh" launch "$dir" "$addr" "$port"
}

cmd=${1:-}
[ $# -ge 1 ] && shift
case "$cmd" in
start) start "$@" ;;
stop) exec "$here/dns-server.sh" stop "$@" ;;
*) usage ;;
esac
