#!/usr/bin/env bats
# dns_mx() and dns_host() against a real DNS server (unbound, started by
# tests/lib/dns-server.sh with tests/data/dns/test.zone), through the
# lookup mode of build/tests/test_dns.

load ../lib/servers

setup_file() {
	export TOP="$BATS_TEST_DIRNAME/../.."
	export TEST_DNS="${TEST_DNS:-$TOP/${BUILD:-build}/tests/test_dns}"
	export DNSDIR="$BATS_FILE_TMPDIR/dns"
	# A loopback address of our own, away from 127.0.0.1 and 127.0.0.53.
	export DNSADDR="127.0.0.$((RANDOM % 200 + 30))"
	DNSPORT=$(free_dns_port "$DNSADDR")
	export DNSPORT
	export SERVER="$DNSADDR:$DNSPORT"
	"$TOP/tests/lib/dns-server.sh" start "$DNSDIR" "$DNSADDR" "$DNSPORT" \
	    "$TOP/tests/data/dns/test.zone"
}

teardown_file() {
	"$TOP/tests/lib/dns-server.sh" stop "$DNSDIR"
}

teardown() {
	if [ -n "${SILENT_PID:-}" ]; then
		kill "$SILENT_PID" 2>/dev/null || true
	fi
}

# A UDP socket that nobody reads: queries to it time out.
start_silent() {
	local f="$BATS_TEST_TMPDIR/silent.port" i
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
print(s.getsockname()[1], flush=True)
time.sleep(60)
' "$DNSADDR" >"$f" 2>/dev/null 3>&- &
	SILENT_PID=$!
	for i in $(seq 1 100); do
		[ -s "$f" ] && break
		sleep 0.05
	done
	SILENT="$DNSADDR:$(cat "$f")"
}

@test "dns: MX hosts come in preference order with their addresses" {
	run "$TEST_DNS" mx order.test "$SERVER"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "10 mx-a.order.test 127.0.0.11:25" ]
	[ "${lines[1]}" = "20 mx-b.order.test 127.0.0.12:25" ]
	[ "${lines[2]}" = "30 mx-c.order.test 127.0.0.13:25" ]
	[ "${lines[3]}" = "DNS_FOUND" ]
	[ "${#lines[@]}" -eq 4 ]
}

@test "dns: equal preferences are shuffled (both orders seen)" {
	local i a=0 b=0
	for i in $(seq 1 60); do
		run "$TEST_DNS" mx equal.test "$SERVER"
		[ "${lines[2]}" = "DNS_FOUND" ]
		case "${lines[0]}|${lines[1]}" in
		"10 mx1.equal.test 127.0.0.21:25|10 mx2.equal.test 127.0.0.22:25")
			a=$((a + 1)) ;;
		"10 mx2.equal.test 127.0.0.22:25|10 mx1.equal.test 127.0.0.21:25")
			b=$((b + 1)) ;;
		*) echo "unexpected: $output"; false ;;
		esac
		[ "$a" -gt 0 ] && [ "$b" -gt 0 ] && break
	done
	echo "order a $a times, order b $b times"
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ]
}

@test "dns: no MX records means the domain itself (implicit MX)" {
	run "$TEST_DNS" mx implicit.test "$SERVER"
	[ "${lines[0]}" = "0 implicit.test 127.0.0.31:25,[::1]:25" ]
	[ "${lines[1]}" = "DNS_FOUND" ]
}

@test "dns: no MX and no address is a permanent failure" {
	run "$TEST_DNS" mx noaddr.test "$SERVER"
	[ "$output" = "DNS_NOTFOUND: MX lookup for noaddr.test: no MX and no address records" ]
}

@test "dns: null MX (RFC 7505)" {
	run "$TEST_DNS" mx nullmx.test "$SERVER"
	[ "$output" = "DNS_NULLMX: MX lookup for nullmx.test: domain accepts no mail (null MX)" ]
}

@test "dns: NXDOMAIN is a permanent failure" {
	run "$TEST_DNS" mx nosuch.test "$SERVER"
	[ "$output" = "DNS_NOTFOUND: MX lookup for nosuch.test: domain not found" ]
	run "$TEST_DNS" host nosuch.test "$SERVER"
	[ "$output" = "DNS_NOTFOUND: address lookup for nosuch.test: domain not found" ]
}

@test "dns: SERVFAIL is a temporary failure" {
	run "$TEST_DNS" mx broken.test "$SERVER"
	[ "$output" = "DNS_RETRY: MX lookup for broken.test: server failure" ]
	run "$TEST_DNS" host mx.broken.test "$SERVER"
	[ "$output" = "DNS_RETRY: address lookup for mx.broken.test: server failure" ]
}

@test "dns: a server that does not answer is a temporary failure, on time" {
	start_silent
	local t0 t1
	t0=$(date +%s%N)
	run "$TEST_DNS" mx order.test "$SILENT" 800
	t1=$(date +%s%N)
	echo "$output; took $(((t1 - t0) / 1000000)) ms"
	[ "$output" = "DNS_RETRY: MX lookup for order.test: timed out" ]
	[ $(((t1 - t0) / 1000000)) -ge 750 ]
	[ $(((t1 - t0) / 1000000)) -lt 1800 ]
}

@test "dns: a silent first server fails over to the second" {
	start_silent
	run "$TEST_DNS" mx order.test "$SILENT,$SERVER" 8000
	[ "${lines[0]}" = "10 mx-a.order.test 127.0.0.11:25" ]
	[ "${lines[3]}" = "DNS_FOUND" ]
}

@test "dns: A then AAAA addresses of one host" {
	run "$TEST_DNS" mx dual.test "$SERVER"
	[ "${lines[0]}" = "5 mail.dual.test 127.0.0.41:25,[2001:db8::41]:25" ]
	[ "${lines[1]}" = "DNS_FOUND" ]
}

@test "dns: an MX host behind a CNAME chain is followed" {
	run "$TEST_DNS" mx cname.test "$SERVER"
	[ "${lines[0]}" = "10 alias.cname.test 127.0.0.51:25" ]
	[ "${lines[1]}" = "DNS_FOUND" ]
	run "$TEST_DNS" host alias.cname.test "$SERVER"
	[ "${lines[0]}" = "0 alias.cname.test 127.0.0.51:25" ]
}

@test "dns: MX hosts without addresses are skipped" {
	run "$TEST_DNS" mx partial.test "$SERVER"
	[ "${lines[0]}" = "30 ok.partial.test 127.0.0.61:25" ]
	[ "${lines[1]}" = "DNS_FOUND" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "dns: no MX host left: retry if one failed temporarily" {
	run "$TEST_DNS" mx allbroken.test "$SERVER"
	[ "$output" = "DNS_RETRY: MX lookup for allbroken.test: a.broken.test: server failure" ]
}

@test "dns: no MX host left: not found if all are definitive" {
	run "$TEST_DNS" mx allgone.test "$SERVER"
	[ "$output" = "DNS_NOTFOUND: MX lookup for allgone.test: x.allgone.test: domain not found" ]
}

@test "dns: an IP address as MX target is skipped" {
	run "$TEST_DNS" mx numeric.test "$SERVER"
	[ "${lines[0]}" = "20 good.numeric.test 127.0.0.71:25" ]
	[ "${lines[1]}" = "DNS_FOUND" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "dns: host lookup for a smarthost, and an IP literal without a query" {
	run "$TEST_DNS" host relay.test "$SERVER"
	[ "${lines[0]}" = "0 relay.test 127.0.0.81:25,[::1]:25" ]
	[ "${lines[1]}" = "DNS_FOUND" ]
	start_silent
	run "$TEST_DNS" host 192.0.2.9 "$SILENT" 5000
	[ "${lines[0]}" = "0 192.0.2.9 192.0.2.9:25" ]
	[ "${lines[1]}" = "DNS_FOUND" ]
}

@test "dns-server.sh: a taken port is a clear error, stop is clean" {
	run "$TOP/tests/lib/dns-server.sh" start "$BATS_TEST_TMPDIR/d2" \
	    "$DNSADDR" "$DNSPORT" "$TOP/tests/data/dns/test.zone"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unbound exited at start ($DNSADDR port $DNSPORT)"* ]]
	[[ "$output" == *"Address already in use"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/d2/dns.pid" ]
	printf 'bad.test MX\n' >"$BATS_TEST_TMPDIR/bad.zone"
	run "$TOP/tests/lib/dns-server.sh" start "$BATS_TEST_TMPDIR/d3" \
	    "$DNSADDR" "$DNSPORT" "$BATS_TEST_TMPDIR/bad.zone"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bad.zone:1: MX needs data"* ]]
}

@test "dns: at most DNS_MAX_HOSTS (10) MX hosts, the best ones" {
	run "$TEST_DNS" mx many.test "$SERVER"
	[ "${#lines[@]}" -eq 11 ]
	[ "${lines[0]}" = "10 mx01.many.test 127.0.2.1:25" ]
	[ "${lines[9]}" = "100 mx10.many.test 127.0.2.10:25" ]
	[ "${lines[10]}" = "DNS_FOUND" ]
}

@test "dns: at most DNS_MAX_ADDRS (8) addresses per host, IPv4 first" {
	run "$TEST_DNS" mx wide.test "$SERVER"
	[ "${lines[0]}" = "10 mx.wide.test 127.0.3.1:25,127.0.3.2:25,127.0.3.3:25,127.0.3.4:25,127.0.3.5:25,127.0.3.6:25,[2001:db8::1]:25,[2001:db8::2]:25" ]
	[ "${lines[1]}" = "DNS_FOUND" ]
}

@test "dns: a CNAME loop ends, permanently" {
	run "$TEST_DNS" host loop.test "$SERVER"
	[ "$output" = "DNS_NOTFOUND: address lookup for loop.test: CNAME chain too long" ]
}
