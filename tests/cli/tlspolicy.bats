#!/usr/bin/env bats
# MX transport security: tls_policy DOMAIN none|may|encrypt|verify|dane
# against MX servers that offer no STARTTLS, answer it with 454, speak
# only TLS 1.1 (below our 1.2 minimum: the handshake fails), present a
# certificate for another name, or a good one; the "may" fallback to
# plaintext (a new connection without STARTTLS), and never for relays
# that require TLS or send AUTH. The DNS server is a real unbound
# (tests/lib/dns-server.sh); the MX host is 127.0.0.3 on a per-test port.
# Each case checks the server side (did the message arrive, over TLS?)
# and the log line's "tls=LEVEL policy=POLICY".

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup_file()
{
	export DNSDIR=$BATS_FILE_TMPDIR/dns
	export DNSADDR=127.0.0.$((RANDOM % 100 + 120))
	DNSPORT=$(free_dns_port "$DNSADDR")
	export DNSPORT
	# mx.test is a name of the test CA's server certificate; the MX of
	# other.tp is not
	cat >"$BATS_FILE_TMPDIR/zone" <<'ZONE'
pol.tp MX 10 mx.test
mx.test A 127.0.0.3
other.tp MX 10 mx.other.tp
mx.other.tp A 127.0.0.3
ZONE
	"$BATS_TEST_DIRNAME/../lib/dns-server.sh" start "$DNSDIR" "$DNSADDR" \
	    "$DNSPORT" "$BATS_FILE_TMPDIR/zone"
	dane_setup_file
}

teardown_file()
{
	"$BATS_TEST_DIRNAME/../lib/dns-server.sh" stop "$DNSDIR"
	[ -z "${DANEDIR:-}" ] ||
	    "$BATS_TEST_DIRNAME/../lib/dnssec-server.sh" stop "$DANEDIR"
}

# The DANE zones: "test." signed here (its key is the validating
# resolver's trust anchor), "ins." unsigned. The TLSA owner names hold the
# port, so the DANE MX port is fixed for the file ($DANEPORT). mx.test is
# in the test CA's server certificate (DANE-TA checks the name); the
# other MX names are not (DANE-EE does not check names).
dane_setup_file()
{
	local ca spki zero
	command -v ldns-signzone >/dev/null || return 0
	make_ca
	export DANEDIR=$BATS_FILE_TMPDIR/dane
	export DANEADDR=127.0.0.$((RANDOM % 100 + 20))
	DANEDNSPORT=$(free_dns_port "$DANEADDR")
	DANEPORT=$(free_port 127.0.0.3)
	export DANEDNSPORT DANEPORT
	mkdir -p "$DANEDIR/zones"
	ca=$(openssl x509 -in "$CA_DIR/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)
	spki=$(openssl x509 -in "$CA_DIR/server.pem" -pubkey -noout |
	    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
	zero=$(printf '%064d' 0)
	# DANE-TA needs the trust anchor in the chain the server sends
	cat "$CA_DIR/server.pem" "$CA_DIR/ca.pem" >"$BATS_FILE_TMPDIR/chain.pem"
	cat >"$DANEDIR/zones/test.signed" <<ZONE
\$ORIGIN test.
\$TTL 300
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@ NS ns.test.
ns A 127.0.0.2
ta MX 10 mx.test.
mx A 127.0.0.3
_$DANEPORT._tcp.mx TLSA 2 0 1 $ca
ee MX 10 mx-ee.test.
mx-ee A 127.0.0.3
_$DANEPORT._tcp.mx-ee TLSA 3 1 1 $spki
_mta-sts.ee TXT "v=STSv1; id=1"
mta-sts.ee A 127.0.0.5
bad MX 10 mx-bad.test.
mx-bad A 127.0.0.3
_$DANEPORT._tcp.mx-bad TLSA 3 1 1 $zero
pkix MX 10 mx-pkix.test.
mx-pkix A 127.0.0.3
_$DANEPORT._tcp.mx-pkix TLSA 1 1 1 $spki
none MX 10 mx-none.test.
mx-none A 127.0.0.3
bogus MX 10 mx-bogus.test.
mx-bogus A 127.0.0.3
_$DANEPORT._tcp.mx-bogus TLSA 3 1 1 $spki
ZONE
	echo "_$DANEPORT._tcp.mx-bogus.test." >"$DANEDIR/zones/test.bogus"
	cat >"$DANEDIR/zones/ins.unsigned" <<ZONE
\$ORIGIN ins.
\$TTL 300
@ SOA ns.ins. hostmaster.ins. 1 3600 600 86400 300
@ NS ns.ins.
ns A 127.0.0.2
@ MX 10 mx.ins.
mx A 127.0.0.3
_$DANEPORT._tcp.mx TLSA 3 1 1 $zero
ZONE
	"$BATS_TEST_DIRNAME/../lib/dnssec-server.sh" start "$DANEDIR" \
	    "$DANEADDR" "$DANEDNSPORT"
}

setup()
{
	dl_setup
	MXPORT=$(free_port 127.0.0.3)
}

teardown()
{
	dl_teardown
}

# mx_conf [extra lines...]: MX delivery through the test DNS server (the
# MX hosts are on 127.0.0.x: mx_allow_loopback).
mx_conf()
{
	dl_conf "" "resolver $DNSADDR:$DNSPORT" "smtp_port $MXPORT" \
	    "tls_ca_file $CA_DIR/ca.pem" "mx_allow_loopback yes" \
	    ${STS_CONF:+"$STS_CONF"} "$@"
}

# mx_server KIND: the MX on 127.0.0.3:$MXPORT, as server "m":
#   plain      no STARTTLS (smtpd.py)
#   good       STARTTLS, certificate for mx.test from the test CA
#   wrongcert  STARTTLS, certificate for wrong.example from the test CA
#   oldtls     STARTTLS, TLS 1.1 at most: our handshake fails
#   454        STARTTLS offered, answered "454 4.7.0" (faultsmtp.py: no
#              real server refuses its own extension on demand)
mx_server()
{
	local m=(m --host 127.0.0.3 --port "$MXPORT")
	case $1 in
	plain) start_smtpd "${m[@]}" ;;
	good) start_smtpd "${m[@]}" --starttls "$CA_DIR/server.pem" \
	    "$CA_DIR/server.key" ;;
	wrongcert) start_smtpd "${m[@]}" --starttls "$CA_DIR/wrongname.pem" \
	    "$CA_DIR/wrongname.key" ;;
	oldtls) start_smtpd "${m[@]}" --starttls "$CA_DIR/server.pem" \
	    "$CA_DIR/server.key" --tls-max 1.1 ;;
	454) start_faultsmtp "${m[@]:0:1}" - "${m[@]:1}" \
	    --cert "$CA_DIR/server.pem" --key "$CA_DIR/server.key" \
	    <<<'starttls reply 454 4.7.0 TLS not available' ;;
	*) echo "mx_server: unknown kind $1" >&2; return 1 ;;
	esac
}

# arrived KIND TLS: the MX got the message once, over TLS (yes) or not (no).
arrived()
{
	local kind=$1 tls=$2
	if [ "$kind" = 454 ]; then
		# faultsmtp: the message data ended on some connection
		grep -qx '\.' "$M_TRANSCRIPT" || {
			echo "no message reached the MX:" >&2
			cat "$M_TRANSCRIPT" >&2
			return 1
		}
		[ "$tls" = no ]
		return
	fi
	[ "$(count_eml "$M_SPOOL")" -eq 1 ] || {
		echo "the MX holds $(count_eml "$M_SPOOL") messages" >&2
		return 1
	}
	if [ "$tls" = yes ]; then
		envf "$M_SPOOL/0001.env" .tls | grep -Eq '"TLSv1\.[23]"'
	else
		[ "$(envf "$M_SPOOL/0001.env" .tls)" = false ]
	fi
}

# not_arrived: nothing reached the MX (no message, no MAIL command).
not_arrived()
{
	if [ -n "${M_SPOOL:-}" ]; then
		[ "$(count_eml "$M_SPOOL")" -eq 0 ]
	fi
	if [ -n "${M_TRANSCRIPT:-}" ] && [ -f "$M_TRANSCRIPT" ]; then
		! grep -qi '^MAIL ' "$M_TRANSCRIPT" || false
	fi
}

# sent_case POLICY KIND TLS LEVEL [DOMAIN]: with tls_policy DOMAIN POLICY
# the message to u@DOMAIN (pol.tp) is sent, over TLS or not, and the log
# says tls=LEVEL policy=POLICY.
sent_case()
{
	local policy=$1 kind=$2 tls=$3 level=$4 dom=${5:-pol.tp} id
	mx_conf "tls_policy $dom $policy"
	mx_server "$kind"
	send "u@$dom"
	id=$(qids)
	qrun
	arrived "$kind" "$tls"
	log_has "$id: to=<u@$dom>, relay=[^ ]*\[127\.0\.0\.3\]:$MXPORT, .*dsn=2\.0\.0, status=sent \(.*\), tls=$level policy=$policy( |$)" "$T/qlog"
	spool_empty
}

# deferred_case POLICY KIND DSN REASON [DOMAIN]: the message is deferred
# with DSN (a regex) and REASON in the log, nothing reached the MX.
deferred_case()
{
	local policy=$1 kind=$2 dsn=$3 reason=$4 dom=${5:-pol.tp} id
	mx_conf "tls_policy $dom $policy"
	mx_server "$kind"
	send "u@$dom"
	id=$(qids)
	qrun
	not_arrived
	log_has "$id: to=<u@$dom>, relay=none, .*dsn=$dsn, status=deferred \(.*$reason.*\), tls=none policy=$policy$" "$T/qlog"
	[ "$(qids)" = "$id" ]
}

# ---- may: today's default, and the fallback to plaintext ----

@test "tlspolicy: may (default): no STARTTLS offered: sent in plaintext" {
	mx_conf
	mx_server plain
	send u@pol.tp
	id=$(qids)
	qrun
	arrived plain no
	log_has "$id: to=<u@pol.tp>, .*dsn=2\.0\.0, status=sent \(.*\), tls=none policy=may$" "$T/qlog"
	spool_empty
}

@test "tlspolicy: may: STARTTLS answered 454: a new connection without STARTTLS delivers" {
	sent_case may 454 no "none"
	# connection 1 asked for STARTTLS and sent no mail; connection 2
	# did not ask and sent the message
	[ "$(conns "$M_TRANSCRIPT")" -eq 2 ]
	grep -q '^STARTTLS' "$M_TRANSCRIPT.1.raw"
	! grep -q '^MAIL' "$M_TRANSCRIPT.1.raw" || false
	! grep -q '^STARTTLS' "$M_TRANSCRIPT.2.raw" || false
	grep -q '^MAIL FROM' "$M_TRANSCRIPT.2.raw"
	log_has "tls=none policy=may fallback$" "$T/qlog"
	log_has "STARTTLS failed.*454 4\.7\.0 TLS not available.*plaintext" "$T/qlog"
}

@test "tlspolicy: may: a server below TLS 1.2 (handshake fails): delivered in plaintext" {
	sent_case may oldtls no "none"
	log_has "tls=none policy=may fallback$" "$T/qlog"
	log_has "STARTTLS failed.*TLS handshake.*plaintext" "$T/qlog"
}

@test "tlspolicy: may: wrong certificate: encrypted, not checked" {
	sent_case may wrongcert yes encrypted
}

@test "tlspolicy: may: good certificate: encrypted" {
	sent_case may good yes encrypted
}

# ---- none ----

@test "tlspolicy: none: no STARTTLS even when offered" {
	sent_case none good no none
	! grep -q STARTTLS "$M_LOG" || false
}

@test "tlspolicy: none: plaintext server, 454 server, old TLS server: sent in plaintext" {
	sent_case none plain no none
}

@test "tlspolicy: none: a server that would answer STARTTLS with 454 is never asked" {
	sent_case none 454 no none
	[ "$(conns "$M_TRANSCRIPT")" -eq 1 ]
	! grep -q '^STARTTLS' "$M_TRANSCRIPT" || false
}

# ---- encrypt ----

@test "tlspolicy: encrypt: no STARTTLS offered: deferred 4.7.4, nothing sent" {
	deferred_case encrypt plain '4\.7\.4' "does not offer STARTTLS, which tls_policy encrypt for pol\.tp requires"
}

@test "tlspolicy: encrypt: STARTTLS answered 454: deferred 4.7.4, no plaintext retry" {
	deferred_case encrypt 454 '4\.7\.4' "454 4\.7\.0 TLS not available"
	[ "$(conns "$M_TRANSCRIPT")" -eq 1 ]
}

@test "tlspolicy: encrypt: a server below TLS 1.2: deferred 4.7.5" {
	deferred_case encrypt oldtls '4\.7\.5' "TLS handshake"
}

@test "tlspolicy: encrypt: wrong certificate: sent encrypted (not checked)" {
	sent_case encrypt wrongcert yes encrypted
}

@test "tlspolicy: encrypt: good certificate: sent encrypted" {
	sent_case encrypt good yes encrypted
}

# ---- verify ----

@test "tlspolicy: verify: no STARTTLS offered: deferred 4.7.4" {
	deferred_case verify plain '4\.7\.4' "does not offer STARTTLS, which tls_policy verify for pol\.tp requires"
}

@test "tlspolicy: verify: STARTTLS answered 454: deferred, no plaintext retry" {
	deferred_case verify 454 '4\.7\.4' "454 4\.7\.0 TLS not available"
	[ "$(conns "$M_TRANSCRIPT")" -eq 1 ]
}

@test "tlspolicy: verify: a server below TLS 1.2: deferred 4.7.5" {
	deferred_case verify oldtls '4\.7\.5' "TLS handshake"
}

@test "tlspolicy: verify: certificate for another name: deferred 4.7.5" {
	deferred_case verify wrongcert '4\.7\.5' "certificate verify failed: [Hh]ostname mismatch"
}

@test "tlspolicy: verify: MX host name not in the certificate: deferred 4.7.5" {
	deferred_case verify good '4\.7\.5' "certificate verify failed: [Hh]ostname mismatch" other.tp
}

@test "tlspolicy: verify: good certificate for the MX host: sent, tls=verified" {
	sent_case verify good yes verified
	log_has "Verified TLS connection established to mx\.test\[127\.0\.0\.3\]:$MXPORT" "$T/qlog"
}

@test "tlspolicy: subdomain entry and default: .pol.tp and * apply by specificity" {
	mx_conf "tls_policy * verify" "tls_policy .tp none"
	mx_server good
	send u@pol.tp
	id=$(qids)
	qrun
	arrived good no
	log_has "$id: to=<u@pol.tp>, .*dsn=2\.0\.0, status=sent \(.*\), tls=none policy=none$" "$T/qlog"
}

@test "tlspolicy: -v shows the policy decisions and the fallback" {
	mx_conf "tls_policy pol.tp may"
	mx_server 454
	printf 'Subject: v\n\nbody\n' | "$MINIMTA" -C "$T/minimta.conf" -odi -v \
	    u@pol.tp 2>"$T/verbose" || { cat "$T/verbose" >&2; false; }
	grep -q '^\*\*\* tls_policy for pol\.tp: may$' "$T/verbose"
	grep -q '^\*\*\* TLS policy for mx\.test: may (STARTTLS when offered, plaintext if it fails)$' "$T/verbose"
	grep -q '^\*\*\* STARTTLS failed: .*454 4\.7\.0 TLS not available.*: plaintext (policy may)$' "$T/verbose"
	grep -q '^>>> STARTTLS$' "$T/verbose"
	grep -q 'tls=none policy=may fallback' "$T/verbose"
}

# ---- relays: no fallback when TLS is required or AUTH would be sent ----

@test "tlspolicy: smtp:// relay without AUTH: 454 falls back to plaintext" {
	start_faultsmtp relay - --cert "$CA_DIR/server.pem" --key "$CA_DIR/server.key" \
	    <<<'starttls reply 454 4.7.0 TLS not available'
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem"
	send a@x.example
	id=$(qids)
	qrun
	grep -q '^MAIL FROM' "$RELAY_TRANSCRIPT.2.raw"
	log_has "$id: to=<a@x\.example>, .*dsn=2\.0\.0, status=sent \(.*\), tls=none policy=may fallback$" "$T/qlog"
}

@test "tlspolicy: smtp+starttls:// relay: 454 defers, never plaintext" {
	start_faultsmtp relay - --cert "$CA_DIR/server.pem" --key "$CA_DIR/server.key" \
	    <<<'starttls reply 454 4.7.0 TLS not available'
	dl_conf "smtp+starttls://$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem"
	send a@x.example
	id=$(qids)
	qrun
	[ "$(conns "$RELAY_TRANSCRIPT")" -eq 1 ]
	! grep -qi '^MAIL' "$RELAY_TRANSCRIPT" || false
	log_has "$id: to=<a@x\.example>, relay=none, .*dsn=4\.7\.4, status=deferred \(.*\), tls=none policy=verify$" "$T/qlog"
}

@test "tlspolicy: smtp:// relay with AUTH: a failed handshake defers, never plaintext" {
	start_smtpd relay --starttls "$CA_DIR/server.pem" "$CA_DIR/server.key" \
	    --tls-max 1.1 --auth joe:s3cret --auth-without-tls
	printf '%s\n' "$RELAY_HOST joe s3cret" >"$T/auth"
	chmod 600 "$T/auth"
	dl_conf "smtp://joe@$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem" \
	    "auth_file $T/auth" "auth_plaintext yes"
	send a@x.example
	id=$(qids)
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	! grep -q 's3cret\|joe' "$RELAY_LOG" || false
	log_has "$id: to=<a@x\.example>, relay=none, .*dsn=4\.7\.5, status=deferred \(.*\), tls=none policy=may$" "$T/qlog"
}

# ---- DANE (RFC 7672) ----

# dane_case: the DANE zones' resolver and MX port for this test.
dane_case()
{
	[ -n "${DANEDIR:-}" ] ||
	    skip "DANE tests need ldns-signzone (apt-get install ldnsutils)"
	MXPORT=$DANEPORT
	DNSADDR=$DANEADDR
	DNSPORT=$DANEDNSPORT
}

@test "tlspolicy: dane: DANE-EE record matches the server's key: sent, tls=dane" {
	dane_case
	sent_case dane good yes dane ee.test
	log_has "Verified \(DANE\) TLS connection established to mx-ee\.test" "$T/qlog"
}

@test "tlspolicy: dane: DANE-TA record (the CA) and the MX name match: sent, tls=dane" {
	dane_case
	mx_conf "tls_policy ta.test dane"
	start_smtpd m --host 127.0.0.3 --port "$MXPORT" --starttls \
	    "$BATS_FILE_TMPDIR/chain.pem" "$CA_DIR/server.key"
	send u@ta.test
	id=$(qids)
	qrun
	arrived good yes
	log_has "$id: to=<u@ta\.test>, .*status=sent \(.*\), tls=dane policy=dane TLSv1\.[23] with cipher [A-Z0-9_-]+$" "$T/qlog"
}

@test "tlspolicy: dane: no TLSA record matches: deferred 4.7.5, nothing sent" {
	dane_case
	deferred_case dane good '4\.7\.5' "DANE TLSA" bad.test
}

@test "tlspolicy: dane: the matching key, but a TLSA record that fails validation (bogus): deferred, no connection" {
	dane_case
	deferred_case dane good '4\.7\.5' "TLSA lookup for _$DANEPORT\._tcp\.mx-bogus\.test: server failure" bogus.test
	! grep -q EHLO "$M_LOG" || false
}

@test "tlspolicy: dane: only unusable TLSA records (PKIX-EE): TLS required, not checked" {
	dane_case
	deferred_case dane plain '4\.7\.4' "does not offer STARTTLS, which DANE \(unusable TLSA records of mx-pkix\.test\) requires" pkix.test
}

@test "tlspolicy: dane: only unusable TLSA records, server with TLS: sent encrypted" {
	dane_case
	sent_case dane wrongcert yes encrypted pkix.test
}

@test "tlspolicy: dane: validated zone without TLSA: as may (plaintext server)" {
	dane_case
	sent_case dane plain no none none.test
}

@test "tlspolicy: dane: unsigned zone: its (wrong) TLSA record is ignored, as may" {
	dane_case
	sent_case dane good yes encrypted ins
}

@test "tlspolicy: dane: -v tells what DANE found" {
	dane_case
	mx_conf "tls_policy ee.test dane"
	mx_server good
	printf 'Subject: v\n\nbody\n' | "$MINIMTA" -C "$T/minimta.conf" -odi -v \
	    u@ee.test 2>"$T/verbose" || { cat "$T/verbose" >&2; false; }
	grep -q "^\*\*\* DANE: TLSA lookup for _$DANEPORT\._tcp\.mx-ee\.test: 1 usable, 0 unusable record$" "$T/verbose"
	grep -q '^\*\*\* TLS policy for mx-ee\.test: dane (TLS required, certificate checked against TLSA)$' "$T/verbose"
	grep -q 'tls=dane policy=dane' "$T/verbose"
}

# ---- MTA-STS (RFC 8461) ----

# The MTA-STS zones are real zone files (TXT records hold "; "), served
# unsigned by a third unbound; the policies come from tests/lib/
# mtasts-https.py on 127.0.0.5 with a certificate from the test CA for
# mta-sts.*.sts. mx.test is in the MX server's certificate, mx-other.test
# is not.
sts_setup()
{
	local ext
	export STSDIR=$BATS_FILE_TMPDIR/sts
	[ -f "$STSDIR/ready" ] && return 0
	make_ca
	mkdir -p "$STSDIR/zones" "$STSDIR/www"
	ext=$STSDIR/ext.cnf
	printf '%s\n' "subjectAltName=DNS:mta-sts.enf.sts,DNS:mta-sts.nomatch.sts,DNS:mta-sts.tst.sts,DNS:mta-sts.redir.sts,DNS:mta-sts.ee.test" \
	    "extendedKeyUsage=serverAuth" >"$ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=mta-sts.enf.sts -keyout "$STSDIR/https.key" \
	    -out "$STSDIR/https.csr" 2>/dev/null
	openssl x509 -req -in "$STSDIR/https.csr" -CA "$CA_DIR/ca.pem" \
	    -CAkey "$CA_DIR/ca.key" -CAcreateserial -CAserial "$STSDIR/serial" \
	    -days 2 -extfile "$ext" -out "$STSDIR/https.pem" 2>/dev/null
	cat >"$STSDIR/zones/sts.unsigned" <<'ZONE'
$ORIGIN sts.
$TTL 300
@ SOA ns.sts. hostmaster.sts. 1 3600 600 86400 300
@ NS ns.sts.
ns A 127.0.0.2
enf MX 10 mx.test.
_mta-sts.enf TXT "v=STSv1; id=20261207A1;"
mta-sts.enf A 127.0.0.5
nomatch MX 10 mx-other.test.
_mta-sts.nomatch TXT "v=STSv1; id=1"
mta-sts.nomatch A 127.0.0.5
tst MX 10 mx-other.test.
_mta-sts.tst TXT "v=spf1 -all"
_mta-sts.tst TXT "v=STSv1;" "id=7"
mta-sts.tst A 127.0.0.5
redir MX 10 mx.test.
_mta-sts.redir TXT "v=STSv1; id=1"
mta-sts.redir A 127.0.0.5
ZONE
	cat >"$STSDIR/zones/test.unsigned" <<'ZONE'
$ORIGIN test.
$TTL 300
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@ NS ns.test.
ns A 127.0.0.2
mx A 127.0.0.3
mx-other A 127.0.0.3
ZONE
	printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.test\r\nmax_age: 86400\r\n' \
	    >"$STSDIR/www/mta-sts.enf.sts.txt"
	printf 'version: STSv1\nmode: enforce\nmx: mx.test\nmx: *.example.net\nmax_age: 86400\n' \
	    >"$STSDIR/www/mta-sts.nomatch.sts.txt"
	printf 'version: STSv1\nmode: testing\nmx: mx.test\nmax_age: 600\n' \
	    >"$STSDIR/www/mta-sts.tst.sts.txt"
	printf 'version: STSv1\nmode: enforce\nmx: nothing.example\nmax_age: 600\n' \
	    >"$STSDIR/www/mta-sts.redir.sts.txt"
	# DANE's ee.test also publishes an MTA-STS policy its MX is not in
	printf 'version: STSv1\nmode: enforce\nmx: nothing.example\nmax_age: 600\n' \
	    >"$STSDIR/www/mta-sts.ee.test.txt"
	echo "https://mta-sts.enf.sts/.well-known/mta-sts.txt" \
	    >"$STSDIR/www/mta-sts.redir.sts.redirect"
	STSADDR=127.0.0.$((RANDOM % 100 + 20))
	STSDNSPORT=$(free_dns_port "$STSADDR")
	"$BATS_TEST_DIRNAME/../lib/dnssec-server.sh" start "$STSDIR" \
	    "$STSADDR" "$STSDNSPORT"
	echo "$STSADDR $STSDNSPORT" >"$STSDIR/ready"
}

# sts_case: the MTA-STS resolver and HTTPS server for this test; config
# through mx_conf as for the other cases.
sts_case()
{
	sts_setup
	read -r DNSADDR DNSPORT <"$STSDIR/ready"
	_servers_launch https mtasts-https.py --host 127.0.0.5 --port 0 \
	    --cert "$STSDIR/https.pem" --key "$STSDIR/https.key" \
	    --dir "$STSDIR/www"
	STS_CONF="mta_sts_port $HTTPS_PORT"
}

# sts_run DOMAIN KIND: one message to u@DOMAIN through the MX of KIND.
sts_run()
{
	mx_conf
	mx_server "$2"
	send "u@$1"
	id=$(qids)
	qrun
}

@test "tlspolicy: mta-sts enforce: the MX named by the policy, verified: sent, policy cached" {
	sts_case
	sts_run enf.sts good
	arrived good yes
	log_has "$id: to=<u@enf\.sts>, relay=mx\.test\[127\.0\.0\.3\]:$MXPORT, .*status=sent \(.*\), tls=verified policy=mta-sts TLSv1\.[23] " "$T/qlog"
	grep -q "GET mta-sts.enf.sts /.well-known/mta-sts.txt 200" "$HTTPS_LOG"
	grep -q '^id 20261207A1$' "$T/spool/mta-sts/enf.sts"
	grep -q '^mode: enforce' "$T/spool/mta-sts/enf.sts"
	spool_empty
}

@test "tlspolicy: mta-sts enforce: MX without STARTTLS: deferred 4.7.4, nothing sent" {
	sts_case
	sts_run enf.sts plain
	not_arrived
	log_has "$id: to=<u@enf\.sts>, relay=none, .*dsn=4\.7\.4, status=deferred \(.*which the MTA-STS policy of enf\.sts requires\), tls=none policy=mta-sts$" "$T/qlog"
}

@test "tlspolicy: mta-sts enforce: wrong certificate: deferred 4.7.5" {
	sts_case
	sts_run enf.sts wrongcert
	not_arrived
	log_has "$id: to=<u@enf\.sts>, relay=none, .*dsn=4\.7\.5, status=deferred \(.*certificate verify failed" "$T/qlog"
}

@test "tlspolicy: mta-sts enforce: the MX is not in the policy: deferred, never connected" {
	sts_case
	sts_run nomatch.sts good
	not_arrived
	! grep -q EHLO "$M_LOG" || false
	log_has "$id: to=<u@nomatch\.sts>, relay=none, .*dsn=4\.7\.5, status=deferred \(MX host mx-other\.test is not in the MTA-STS policy of nomatch\.sts \(enforce\)\), tls=none policy=mta-sts$" "$T/qlog"
}

@test "tlspolicy: mta-sts testing: MX not in the policy, certificate not for it: sent, both logged" {
	sts_case
	sts_run tst.sts good
	arrived good yes
	log_has "$id: to=<u@tst\.sts>, .*status=sent \(.*\), tls=encrypted policy=mta-sts-testing TLSv1" "$T/qlog"
	log_has "MTA-STS testing: MX host mx-other\.test of tst\.sts is not in its policy" "$T/qlog"
	log_has "MTA-STS testing: mx-other\.test\[127\.0\.0\.3\]:$MXPORT: certificate verify failed: [Hh]ostname mismatch" "$T/qlog"
}

@test "tlspolicy: mta-sts: a redirect is not followed: no policy, as may" {
	sts_case
	sts_run redir.sts plain
	arrived plain no
	log_has "$id: to=<u@redir\.sts>, .*dsn=2\.0\.0, status=sent \(.*\), tls=none policy=may$" "$T/qlog"
	log_has "MTA-STS policy of redir\.sts: .*the HTTP reply is not 200" "$T/qlog"
	grep -q "GET mta-sts.redir.sts /.well-known/mta-sts.txt 301" "$HTTPS_LOG"
	! grep -q "GET mta-sts.enf.sts" "$HTTPS_LOG" || false
}

@test "tlspolicy: mta-sts: the cached policy applies while the HTTPS server is down, and is not fetched again" {
	sts_case
	sts_run enf.sts good
	arrived good yes
	stop_server m
	stop_server https
	mx_server plain
	send u@enf.sts
	id=$(qids)
	qrun
	log_has "$id: to=<u@enf\.sts>, relay=none, .*dsn=4\.7\.4, status=deferred" "$T/qlog"
	[ "$(grep -c 'GET mta-sts.enf.sts' "$HTTPS_LOG")" -eq 1 ]
}

@test "tlspolicy: mta-sts: mta_sts no: no lookup, as may" {
	sts_case
	STS_CONF="mta_sts no"
	sts_run enf.sts plain
	arrived plain no
	[ ! -s "$HTTPS_LOG" ]
}

@test "tlspolicy: mta-sts: a new TXT id, or an expired cache, fetches the policy again" {
	sts_case
	sts_run enf.sts good
	arrived good yes
	[ "$(grep -c 'GET mta-sts.enf.sts' "$HTTPS_LOG")" -eq 1 ]
	# the same id and an unexpired cache: no fetch
	send u@enf.sts
	qrun
	[ "$(grep -c 'GET mta-sts.enf.sts' "$HTTPS_LOG")" -eq 1 ]
	# the cache holds another id (the domain changed its policy)
	sed -i 's/^id .*/id Old1/' "$T/spool/mta-sts/enf.sts"
	send u@enf.sts
	qrun
	[ "$(grep -c 'GET mta-sts.enf.sts' "$HTTPS_LOG")" -eq 2 ]
	grep -q '^id 20261207A1$' "$T/spool/mta-sts/enf.sts"
	# fetched long ago: max_age (86400) has passed
	sed -i 's/^fetched .*/fetched 1000/' "$T/spool/mta-sts/enf.sts"
	send u@enf.sts
	qrun
	[ "$(grep -c 'GET mta-sts.enf.sts' "$HTTPS_LOG")" -eq 3 ]
	[ "$(count_eml "$M_SPOOL")" -eq 4 ]
}

@test "tlspolicy: mta-sts: -v tells what was found" {
	sts_case
	mx_conf
	mx_server good
	printf 'Subject: v\n\nbody\n' | "$MINIMTA" -C "$T/minimta.conf" -odi -v \
	    u@enf.sts 2>"$T/verbose" || { cat "$T/verbose" >&2; false; }
	grep -q '^\*\*\* MTA-STS: enf\.sts publishes policy id 20261207A1$' "$T/verbose"
	grep -q '^\*\*\* MTA-STS: policy of enf\.sts: enforce, 1 mx pattern$' "$T/verbose"
	grep -q '^\*\*\* TLS policy for mx\.test: mta-sts (TLS required, certificate verified)$' "$T/verbose"
}

@test "tlspolicy: mta-sts and DANE: DANE takes precedence (an MTA-STS policy that names no MX of the domain)" {
	[ -n "${DANEDIR:-}" ] ||
	    skip "DANE tests need ldns-signzone (apt-get install ldnsutils)"
	sts_case
	dane_case
	# under may (the default: "* may"; an entry for ee.test itself would
	# turn MTA-STS off), MTA-STS applies: the MX is not in the policy
	mx_conf "tls_policy * may"
	mx_server good
	send u@ee.test
	id=$(qids)
	qrun
	not_arrived
	log_has "$id: to=<u@ee\.test>, relay=none, .*dsn=4\.7\.5, status=deferred \(MX host mx-ee\.test is not in the MTA-STS policy of ee\.test .*\), tls=none policy=mta-sts$" "$T/qlog"
	# under dane, the usable TLSA record decides
	mx_conf "tls_policy ee.test dane"
	qrun
	arrived good yes
	log_has "$id: to=<u@ee\.test>, .*status=sent \(.*\), tls=dane policy=dane TLSv1" "$T/qlog"
}
