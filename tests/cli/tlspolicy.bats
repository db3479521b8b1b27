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
}

teardown_file()
{
	"$BATS_TEST_DIRNAME/../lib/dns-server.sh" stop "$DNSDIR"
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

# mx_conf [extra lines...]: MX delivery through the test DNS server.
mx_conf()
{
	dl_conf "" "resolver $DNSADDR:$DNSPORT" "smtp_port $MXPORT" \
	    "tls_ca_file $CA_DIR/ca.pem" "$@"
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
	log_has "$id: to=<u@$dom>, relay=[^ ]*\[127\.0\.0\.3\]:$MXPORT, .*tls=$level policy=$policy[ ,].*dsn=2\.0\.0, status=sent" "$T/qlog"
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
	log_has "$id: to=<u@$dom>, relay=none, .*tls=none policy=$policy, dsn=$dsn, status=deferred \(.*$reason" "$T/qlog"
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
	log_has "$id: to=<u@pol.tp>, .*tls=none policy=may, dsn=2\.0\.0, status=sent" "$T/qlog"
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
	log_has "tls=none policy=may fallback," "$T/qlog"
	log_has "STARTTLS failed.*454 4\.7\.0 TLS not available.*plaintext" "$T/qlog"
}

@test "tlspolicy: may: a server below TLS 1.2 (handshake fails): delivered in plaintext" {
	sent_case may oldtls no "none"
	log_has "tls=none policy=may fallback," "$T/qlog"
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
	log_has "$id: to=<u@pol.tp>, .*tls=none policy=none, dsn=2\.0\.0, status=sent" "$T/qlog"
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
	log_has "$id: to=<a@x\.example>, .*tls=none policy=may fallback, dsn=2\.0\.0, status=sent" "$T/qlog"
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
	log_has "$id: to=<a@x\.example>, relay=none, .*dsn=4\.7\.4, status=deferred" "$T/qlog"
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
	log_has "$id: to=<a@x\.example>, relay=none, .*dsn=4\.7\.5, status=deferred" "$T/qlog"
}
