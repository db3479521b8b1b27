#!/usr/bin/env bats
# MTA-STS (RFC 8461) end to end, on the real port: the policy server is
# tests/lib/mtasts-https.py on 127.0.0.x:443 (RFC 8461 3.3 fixes the
# port, so the config here keeps mta_sts_port at its default) with a
# certificate from the test CA for each mta-sts.DOMAIN; the _mta-sts TXT
# records and the A records of mta-sts.DOMAIN are real zone files served
# by unbound (tests/lib/dnssec-server.sh, unsigned); the MX host is
# 127.0.0.3 on a per-test port: aiosmtpd with STARTTLS and the good
# certificate (mx.test), a wrong one, or none. Binding port 443 needs
# root: without it every case skips.
#
# tlspolicy.bats covers the rest of MTA-STS against a policy server on a
# free port (mta_sts_port): no STARTTLS under enforce, redirects, the
# cache while the server is down, mta_sts no, -v, DANE first.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

# mts_addr: a loopback address whose port 443 is free.
mts_addr()
{
	"$PYTHON" -c 'import random, socket, sys
for _ in range(50):
    a = "127.0.0.%d" % random.randint(140, 239)
    s = socket.socket()
    try:
        s.bind((a, 443))
    except OSError:
        continue
    finally:
        s.close()
    print(a)
    sys.exit(0)
sys.exit(1)'
}

# mts_zone ID: the zone of the domains below, chg.mts publishing id ID.
mts_zone()
{
	cat >"$MTSDIR/zones/mts.unsigned" <<ZONE
\$ORIGIN mts.
\$TTL 300
@ SOA ns.mts. hostmaster.mts. 1 3600 600 86400 300
@ NS ns.mts.
ns A 127.0.0.2
enf MX 10 mx.test.
_mta-sts.enf TXT "v=STSv1; id=E1"
mta-sts.enf A $HTTPSADDR
wild MX 10 mx.test.
_mta-sts.wild TXT "v=STSv1; id=W1"
mta-sts.wild A $HTTPSADDR
nomatch MX 10 mx-other.test.
_mta-sts.nomatch TXT "v=STSv1; id=N1"
mta-sts.nomatch A $HTTPSADDR
tst MX 10 mx-other.test.
_mta-sts.tst TXT "v=STSv1; id=T1"
mta-sts.tst A $HTTPSADDR
big MX 10 mx.test.
_mta-sts.big TXT "v=STSv1; id=B1"
mta-sts.big A $HTTPSADDR
cap MX 10 mx.test.
_mta-sts.cap TXT "v=STSv1; id=C1"
mta-sts.cap A $HTTPSADDR
slow MX 10 mx.test.
_mta-sts.slow TXT "v=STSv1; id=S1"
mta-sts.slow A $HTTPSADDR
html MX 10 mx.test.
_mta-sts.html TXT "v=STSv1; id=H1"
mta-sts.html A $HTTPSADDR
chg MX 10 mx.test.
_mta-sts.chg TXT "v=STSv1; id=$1"
mta-sts.chg A $HTTPSADDR
ZONE
}

setup_file()
{
	local d ext sans=""
	[ "$(id -u)" = 0 ] || return 0
	make_ca
	export MTSDIR=$BATS_FILE_TMPDIR/mts
	mkdir -p "$MTSDIR/zones" "$MTSDIR/www"
	HTTPSADDR=$(mts_addr)
	MTSDNSADDR=127.0.0.$((RANDOM % 100 + 20))
	MTSDNSPORT=$(free_dns_port "$MTSDNSADDR")
	export HTTPSADDR MTSDNSADDR MTSDNSPORT
	for d in enf wild nomatch tst big cap slow html chg; do
		sans=$sans${sans:+,}DNS:mta-sts.$d.mts
	done
	ext=$MTSDIR/ext.cnf
	printf '%s\n' "subjectAltName=$sans" "extendedKeyUsage=serverAuth" \
	    >"$ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=mta-sts.enf.mts -keyout "$MTSDIR/https.key" \
	    -out "$MTSDIR/https.csr" 2>/dev/null
	openssl x509 -req -in "$MTSDIR/https.csr" -CA "$CA_DIR/ca.pem" \
	    -CAkey "$CA_DIR/ca.key" -CAcreateserial -CAserial "$MTSDIR/serial" \
	    -days 2 -extfile "$ext" -out "$MTSDIR/https.pem" 2>/dev/null
	mts_zone 1
	cat >"$MTSDIR/zones/test.unsigned" <<'ZONE'
$ORIGIN test.
$TTL 300
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@ NS ns.test.
ns A 127.0.0.2
mx A 127.0.0.3
mx-other A 127.0.0.3
ZONE
	"$BATS_TEST_DIRNAME/../lib/dnssec-server.sh" start "$MTSDIR" \
	    "$MTSDNSADDR" "$MTSDNSPORT"
}

teardown_file()
{
	[ -z "${MTSDIR:-}" ] ||
	    "$BATS_TEST_DIRNAME/../lib/dnssec-server.sh" stop "$MTSDIR"
}

setup()
{
	[ "$(id -u)" = 0 ] ||
	    skip "the MTA-STS policy server needs port 443 (RFC 8461 3.3): run as root"
	dl_setup
	MXPORT=$(free_port 127.0.0.3)
	WWW=$T/www
	mkdir -p "$WWW"
}

teardown()
{
	[ -n "${T:-}" ] || return 0	# skipped before dl_setup
	dl_teardown
}

# policy DOMAIN MODE MX...: the policy text mta-sts.DOMAIN serves.
policy()
{
	local dom=$1 mode=$2 mx
	shift 2
	{
		printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
		for mx in "$@"; do printf 'mx: %s\r\n' "$mx"; done
		printf 'max_age: 86400\r\n'
	} >"$WWW/mta-sts.$dom.txt"
}

# padded_policy SIZE: an enforce policy naming nothing.example, SIZE
# bytes long, filled up by an extension field (ignored: RFC 8461 3.2).
padded_policy()
{
	local head=$'version: STSv1\nmode: enforce\nmx: nothing.example\nmax_age: 86400\nx-pad: '
	printf '%s' "$head"
	head -c $(($1 - ${#head} - 1)) /dev/zero | tr '\0' '#'
	printf '\n'
}

# https_server [CERT KEY]: mtasts-https.py on $HTTPSADDR:443 serving
# $WWW, with the certificate for the mta-sts.* names by default.
https_server()
{
	_servers_launch https mtasts-https.py --host "$HTTPSADDR" --port 443 \
	    --cert "${1:-$MTSDIR/https.pem}" --key "${2:-$MTSDIR/https.key}" \
	    --dir "$WWW"
}

# fetches DOMAIN: how many policy requests for DOMAIN the server answered.
fetches()
{
	grep -c "^GET mta-sts\.$1 /.well-known/mta-sts.txt " "$HTTPS_LOG" ||
	    true
}

# mts_conf [lines...]: MX delivery through the test DNS, port 443 policies
# (the MX hosts are on 127.0.0.3: mx_allow_loopback).
mts_conf()
{
	dl_conf "" "resolver $MTSDNSADDR:$MTSDNSPORT" "smtp_port $MXPORT" \
	    "tls_ca_file $CA_DIR/ca.pem" "mx_allow_loopback yes" "$@"
}

# mx_server good|wrongcert|plain: the MX on 127.0.0.3:$MXPORT ("m").
mx_server()
{
	local m=(m --host 127.0.0.3 --port "$MXPORT")
	case $1 in
	good) start_smtpd "${m[@]}" --starttls "$CA_DIR/server.pem" \
	    "$CA_DIR/server.key" ;;
	wrongcert) start_smtpd "${m[@]}" --starttls "$CA_DIR/wrongname.pem" \
	    "$CA_DIR/wrongname.key" ;;
	plain) start_smtpd "${m[@]}" ;;
	esac
}

# run_to DOMAIN: queue one message to u@DOMAIN and run the queue once.
run_to()
{
	send "u@$1"
	id=$(qids | tail -n 1)
	qrun
}

# received N [TLS]: the MX holds N messages, the last over TLS (yes/no).
received()
{
	local n
	n=$(count_eml "$M_SPOOL")
	[ "$n" -eq "$1" ] || { echo "the MX holds $n messages" >&2; return 1; }
	[ "$1" -eq 0 ] || [ -z "${2:-}" ] && return 0
	if [ "$2" = yes ]; then
		envf "$M_SPOOL/$(printf %04d "$1").env" .tls |
		    grep -Eq '"TLSv1\.[23]"'
	else
		[ "$(envf "$M_SPOOL/$(printf %04d "$1").env" .tls)" = false ]
	fi
}

@test "mtasts: enforce, MX in the policy, good certificate: sent, tls=verified policy=mta-sts, policy cached" {
	policy enf.mts enforce mx.test
	https_server
	mts_conf
	mx_server good
	run_to enf.mts
	received 1 yes
	log_has "$id: to=<u@enf\.mts>, relay=mx\.test\[127\.0\.0\.3\]:$MXPORT, .*dsn=2\.0\.0, status=sent \(.*\), tls=verified policy=mta-sts TLSv1\.[23] " "$T/qlog"
	[ "$(fetches enf.mts)" -eq 1 ]
	# the cache: versioned, the TXT id, then the policy as served
	[ "$(head -n 1 "$T/spool/mta-sts/enf.mts")" = "MINIMTA-STS 1" ]
	grep -qx 'id E1' "$T/spool/mta-sts/enf.mts"
	grep -q '^mode: enforce' "$T/spool/mta-sts/enf.mts"
	[ "$(stat -c %a "$T/spool/mta-sts")" = 700 ]
	spool_empty
}

@test "mtasts: enforce, a wildcard pattern (*.test) matches the MX: sent verified" {
	policy wild.mts enforce mx.example '*.test'
	https_server
	mts_conf
	mx_server good
	run_to wild.mts
	received 1 yes
	log_has "$id: to=<u@wild\.mts>, .*status=sent \(.*\), tls=verified policy=mta-sts " "$T/qlog"
}

@test "mtasts: enforce, the MX is not in the policy: deferred 4.7.5, nothing sent" {
	policy nomatch.mts enforce mx.test '*.mx-other.test'
	https_server
	mts_conf
	mx_server good
	run_to nomatch.mts
	received 0
	log_has "$id: to=<u@nomatch\.mts>, relay=none, .*dsn=4\.7\.5, status=deferred \(MX host mx-other\.test is not in the MTA-STS policy of nomatch\.mts \(enforce\)\), tls=none policy=mta-sts$" "$T/qlog"
	[ "$(qids)" = "$id" ]
}

@test "mtasts: enforce, MX with a wrong certificate: deferred 4.7.5, nothing sent" {
	policy enf.mts enforce mx.test
	https_server
	mts_conf
	mx_server wrongcert
	run_to enf.mts
	received 0
	log_has "$id: to=<u@enf\.mts>, relay=none, .*dsn=4\.7\.5, status=deferred \(.*certificate verify failed.*\), tls=none policy=mta-sts$" "$T/qlog"
	[ "$(qids)" = "$id" ]
}

@test "mtasts: testing, MX not in the policy and not in its certificate: sent, both failures logged" {
	policy tst.mts testing mx.test
	https_server
	mts_conf
	mx_server good
	run_to tst.mts
	received 1 yes
	log_has "$id: to=<u@tst\.mts>, .*dsn=2\.0\.0, status=sent \(.*\), tls=encrypted policy=mta-sts-testing " "$T/qlog"
	log_has "MTA-STS testing: MX host mx-other\.test of tst\.mts is not in its policy" "$T/qlog"
	log_has "MTA-STS testing: mx-other\.test\[127\.0\.0\.3\]:$MXPORT: certificate verify failed" "$T/qlog"
}

@test "mtasts: testing, MX in the policy without STARTTLS: sent in plaintext, the failure logged" {
	policy enf.mts testing mx.test
	https_server
	mts_conf
	mx_server plain
	run_to enf.mts
	received 1 no
	log_has "$id: to=<u@enf\.mts>, .*dsn=2\.0\.0, status=sent \(.*\), tls=none policy=mta-sts-testing$" "$T/qlog"
	log_has "MTA-STS testing: mx\.test\[127\.0\.0\.3\]:$MXPORT: no TLS$" "$T/qlog"
	! grep -q 'is not in its policy' "$T/qlog" || false
}

@test "mtasts: a policy server whose certificate is not for mta-sts.DOMAIN: no policy, logged, not cached" {
	policy enf.mts enforce nothing.example
	https_server "$CA_DIR/wrongname.pem" "$CA_DIR/wrongname.key"
	mts_conf
	mx_server plain
	run_to enf.mts
	received 1 no
	log_has "MTA-STS policy of enf\.mts: https://mta-sts\.enf\.mts/\.well-known/mta-sts\.txt: .*certificate verify failed" "$T/qlog"
	log_has "$id: to=<u@enf\.mts>, .*status=sent \(.*\), tls=none policy=may$" "$T/qlog"
	[ ! -e "$T/spool/mta-sts/enf.mts" ]
}

@test "mtasts: the second run uses the cached policy: no HTTPS request" {
	policy enf.mts enforce mx.test
	https_server
	mts_conf
	mx_server good
	run_to enf.mts
	run_to enf.mts
	received 2 yes
	log_has "$id: to=<u@enf\.mts>, .*status=sent \(.*\), tls=verified policy=mta-sts " "$T/qlog"
	[ "$(fetches enf.mts)" -eq 1 ]
}

@test "mtasts: a new TXT id in the DNS fetches the policy again, and the new policy applies" {
	policy chg.mts testing mx.test
	https_server
	mts_conf
	mx_server good
	run_to chg.mts
	received 1 yes
	[ "$(fetches chg.mts)" -eq 1 ]
	# the server's policy changes, the TXT id does not: the cache holds
	policy chg.mts enforce nothing.example
	run_to chg.mts
	received 2 yes
	[ "$(fetches chg.mts)" -eq 1 ]
	# the domain publishes a new id (the resolver restarted: no cache)
	"$BATS_TEST_DIRNAME/../lib/dnssec-server.sh" stop "$MTSDIR"
	mts_zone 2
	"$BATS_TEST_DIRNAME/../lib/dnssec-server.sh" start "$MTSDIR" \
	    "$MTSDNSADDR" "$MTSDNSPORT"
	run_to chg.mts
	[ "$(fetches chg.mts)" -eq 2 ]
	received 2
	log_has "$id: to=<u@chg\.mts>, relay=none, .*dsn=4\.7\.5, status=deferred \(MX host mx\.test is not in the MTA-STS policy of chg\.mts \(enforce\)\)" "$T/qlog"
	grep -qx 'id 2' "$T/spool/mta-sts/chg.mts"
	grep -q '^mode: enforce' "$T/spool/mta-sts/chg.mts"
}

@test "mtasts: a reply bigger than the cap (100 KiB): no policy, logged, sent as may" {
	{
		printf 'version: STSv1\nmode: enforce\nmx: nothing.example\nmax_age: 86400\n'
		head -c 102400 /dev/zero | tr '\0' '#'
	} >"$WWW/mta-sts.big.mts.txt"
	https_server
	mts_conf
	mx_server plain
	run_to big.mts
	received 1 no
	log_has "MTA-STS policy of big\.mts: https://mta-sts\.big\.mts/\.well-known/mta-sts\.txt: more than [0-9]+ bytes from server" "$T/qlog"
	log_has "$id: to=<u@big\.mts>, .*status=sent \(.*\), tls=none policy=may$" "$T/qlog"
	[ ! -e "$T/spool/mta-sts/big.mts" ]
}

@test "mtasts: a policy one byte over 64 KiB: no policy, logged, sent as may" {
	padded_policy 65537 >"$WWW/mta-sts.cap.mts.txt"
	https_server
	mts_conf
	mx_server plain
	run_to cap.mts
	received 1 no
	log_has "MTA-STS policy of cap\.mts: bad policy: policy too long$" "$T/qlog"
	log_has "$id: to=<u@cap\.mts>, .*status=sent \(.*\), tls=none policy=may$" "$T/qlog"
}

@test "mtasts: a policy of exactly 64 KiB applies" {
	padded_policy 65536 >"$WWW/mta-sts.cap.mts.txt"
	https_server
	mts_conf
	mx_server plain
	run_to cap.mts
	received 0
	log_has "$id: to=<u@cap\.mts>, relay=none, .*dsn=4\.7\.5, status=deferred \(MX host mx\.test is not in the MTA-STS policy of cap\.mts" "$T/qlog"
}

@test "mtasts: a server slower than mta_sts_timeout: no policy, logged, sent as may" {
	policy slow.mts enforce nothing.example
	: >"$WWW/mta-sts.slow.mts.slow"
	https_server
	mts_conf "mta_sts_timeout 2s"
	mx_server plain
	run_to slow.mts
	received 1 no
	[ "$(fetches slow.mts)" -eq 1 ]
	log_has "MTA-STS policy of slow\.mts: https://mta-sts\.slow\.mts/\.well-known/mta-sts\.txt: no policy within 2 s \(mta_sts_timeout\)$" "$T/qlog"
	log_has "$id: to=<u@slow\.mts>, .*status=sent \(.*\), tls=none policy=may$" "$T/qlog"
}

@test "mtasts: a Content-Type other than text/plain: no policy, logged" {
	policy html.mts enforce nothing.example
	echo text/html >"$WWW/mta-sts.html.mts.ctype"
	https_server
	mts_conf
	mx_server plain
	run_to html.mts
	received 1 no
	log_has "MTA-STS policy of html\.mts: https://mta-sts\.html\.mts/\.well-known/mta-sts\.txt: the policy is not text/plain$" "$T/qlog"
}

@test "mtasts: an explicit tls_policy for the domain wins: no lookup, its own rule" {
	policy enf.mts enforce mx.test
	https_server
	mts_conf "tls_policy enf.mts encrypt"
	mx_server wrongcert
	run_to enf.mts
	received 1 yes
	log_has "$id: to=<u@enf\.mts>, .*status=sent \(.*\), tls=encrypted policy=encrypt " "$T/qlog"
	[ "$(fetches enf.mts)" -eq 0 ]
}

@test "mtasts: an explicit tls_policy DOMAIN may wins too (the way past a broken policy); * may does not" {
	policy enf.mts enforce nothing.example
	https_server
	mts_conf "tls_policy enf.mts may"
	mx_server plain
	run_to enf.mts
	received 1 no
	log_has "$id: to=<u@enf\.mts>, .*status=sent \(.*\), tls=none policy=may$" "$T/qlog"
	[ "$(fetches enf.mts)" -eq 0 ]
	# "* may" is the default spelled out: the domain's policy applies
	mts_conf "tls_policy * may"
	run_to enf.mts
	received 1
	log_has "$id: to=<u@enf\.mts>, relay=none, .*dsn=4\.7\.5, status=deferred \(MX host mx\.test is not in the MTA-STS policy of enf\.mts \(enforce\)\), tls=none policy=mta-sts$" "$T/qlog"
	[ "$(fetches enf.mts)" -eq 1 ]
}
