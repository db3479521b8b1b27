#!/usr/bin/env bats
# Delivery over TLS and with AUTH: STARTTLS verified against the test CA,
# implicit TLS (smtps://), AUTH PLAIN and LOGIN from auth_file, no AUTH in
# clear, 535 as a deferral, certificate faults (each a deferral with a
# clear reason and nothing sent in clear), failover between smarthosts.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup()
{
	dl_setup
}

teardown()
{
	dl_teardown
}

# auth_file LINE...: writes $T/auth (mode 0600).
auth_file()
{
	printf '%s\n' "$@" >"$T/auth"
	chmod 600 "$T/auth"
}

@test "tls: STARTTLS verified against tls_ca_file; version and cipher in the log" {
	start_smtpd relay --starttls "$CA_DIR/server.pem" "$CA_DIR/server.key"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem"
	send a@x.example
	id=$(qids)
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	e=$RELAY_SPOOL/0001.env
	envf "$e" .tls | grep -Eq '"TLSv1\.[23]"'
	cipher=$(jq -r .tls_cipher "$e")
	log_has "Verified TLS connection established to $RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT: TLSv1\.[23] with cipher $cipher" "$T/qlog"
	log_has "^minimta/smtp\[[0-9]+\]: $id: to=<a@x.example>, relay=$RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT, delay=[0-9.]+, delays=[0-9./]+, dsn=2\.0\.0, status=sent \(.*\), tls=verified policy=may TLSv1\.[23] with cipher $cipher$" "$T/qlog"
	# STARTTLS came before any mail command
	grep -q "STARTTLS" "$RELAY_LOG"
	spool_empty
}

@test "tls: implicit TLS (smtps://) verified" {
	start_smtpd relay --implicit-tls "$CA_DIR/server.pem" "$CA_DIR/server.key"
	dl_conf "smtps://$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem"
	send a@x.example
	id=$(qids)
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	envf "$RELAY_SPOOL/0001.env" .tls | grep -Eq '"TLSv1\.[23]"'
	log_has "^minimta/smtp\[[0-9]+\]: Verified TLS connection established to .*: TLSv1\.[23] with cipher " "$T/qlog"
	log_has "$id: to=<a@x.example>, .*status=sent \(.*\), tls=verified policy=verify TLSv1\.[23] with cipher " "$T/qlog"
	spool_empty
}

@test "tls: AUTH PLAIN with the password from auth_file (plain host line)" {
	start_smtpd relay --starttls "$CA_DIR/server.pem" "$CA_DIR/server.key" \
	    --auth joe:s3cret --auth-require
	auth_file "$RELAY_HOST joe s3cret"
	dl_conf "smtp://joe@$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem" \
	    "auth_file $T/auth"
	send a@x.example
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(envf "$RELAY_SPOOL/0001.env" .auth)" = '"joe"' ]
	cat "$RELAY_LOG" >&2; grep -q "AUTH PLAIN.*joe.*ok" "$RELAY_LOG"
	! grep -q s3cret "$T/log" || false
	spool_empty
}

@test "tls: AUTH from a URL line of auth_file with a percent-encoded password" {
	start_smtpd relay --starttls "$CA_DIR/server.pem" "$CA_DIR/server.key" \
	    --auth 'joe:p@ss word' --auth-require
	auth_file "smtp://joe:p%40ss%20word@$RELAY_HOST:$RELAY_PORT"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem" \
	    "auth_file $T/auth"
	send a@x.example
	qrun
	[ "$(envf "$RELAY_SPOOL/0001.env" .auth)" = '"joe"' ]
	spool_empty
}

@test "tls: AUTH LOGIN when the server offers only LOGIN; -v hides the secrets" {
	start_faultsmtp relay - --cert "$CA_DIR/server.pem" --key "$CA_DIR/server.key" <<'EOF'
ehlo reply 250-fault.test\r\n250-STARTTLS\r\n250-PIPELINING\r\n250 AUTH LOGIN
EOF
	auth_file "$RELAY_HOST joe s3cret"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem" \
	    "auth_file $T/auth"
	send a@x.example
	id=$(qids)
	qrun -v
	cat "$RELAY_TRANSCRIPT" >&2
	# the credentials went only after TLS, base64 on their own lines
	awk '/^#conn 1 tls /{t=1} /^AUTH LOGIN/{print t}' "$RELAY_TRANSCRIPT" | grep -qx 1
	grep -qx "$(printf joe | base64)" "$RELAY_TRANSCRIPT"
	grep -qx "$(printf s3cret | base64)" "$RELAY_TRANSCRIPT"
	log_has "$id: to=<a@x.example>, .*status=sent" "$T/qlog"
	# -v shows the dialogue, without the secrets
	grep -q '^>>> AUTH LOGIN' "$T/qlog"
	! grep -q "$(printf s3cret | base64)" "$T/qlog" || false
	! grep -q "$(printf joe | base64)" "$T/qlog" || false
	spool_empty
}

@test "tls: an auth_file readable by others is refused with exit 78" {
	start_smtpd relay
	auth_file "$RELAY_HOST joe s3cret"
	chmod 644 "$T/auth"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "auth_file $T/auth"
	send a@x.example
	run qrun
	[ "$status" -eq 78 ]
	log_has "auth_file.*readable by others" "$T/qlog"
	[ "$(nqueued)" -eq 1 ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
}

@test "tls: AUTH is never sent without TLS; the message is deferred" {
	start_faultsmtp relay - <<'EOF'
ehlo reply 250-fault.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN
EOF
	auth_file "$RELAY_HOST joe s3cret"
	dl_conf "smtp://joe@$RELAY_HOST:$RELAY_PORT" "auth_file $T/auth"
	send a@x.example
	id=$(qids)
	qrun
	! transcript_verbs "$RELAY_TRANSCRIPT" | grep -Eq 'AUTH|MAIL' || false
	! grep -q "$(printf '\0joe\0s3cret' | base64)" "$RELAY_TRANSCRIPT" || false
	log_has "$id: to=<a@x.example>, .*status=deferred \(.*not sending AUTH without TLS" "$T/qlog"
	[ "$(qids)" = "$id" ]
}

@test "tls: 535 (bad password) is a deferral with the reason, not a bounce" {
	start_smtpd relay --starttls "$CA_DIR/server.pem" "$CA_DIR/server.key" \
	    --auth joe:right --auth-require
	auth_file "$RELAY_HOST joe wrong"
	dl_conf "smtp://joe@$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem" \
	    "auth_file $T/auth"
	send -f sender@example.org a@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<a@x.example>, .*status=deferred \(.*535 5\.7\.8.*AUTH" "$T/qlog"
	! grep -q bounced "$T/qlog" || false
	[ "$(qids)" = "$id" ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	# fixing the password fixes the delivery
	auth_file "$RELAY_HOST joe right"
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	spool_empty
}

# cert_fault CERT REASON-REGEX: a STARTTLS server with CERT; the message
# is deferred with REASON, and nothing but EHLO/STARTTLS went in clear.
cert_fault()
{
	local host=${CERT_URL_HOST:-}
	if [ -n "$host" ]; then
		start_faultsmtp relay - --host 127.0.0.1 --cert "$CA_DIR/$1.pem" \
		    --key "$CA_DIR/$1.key" </dev/null
	else
		start_faultsmtp relay - --cert "$CA_DIR/$1.pem" \
		    --key "$CA_DIR/$1.key" </dev/null
		host=$RELAY_HOST
	fi
	dl_conf "smtp://$host:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem" \
	    ${CERT_CONF:+"$CERT_CONF"}
	send a@x.example
	id=$(qids)
	qrun
	cat "$T/qlog" "$RELAY_TRANSCRIPT" >&2
	log_has "$id: to=<a@x.example>, .*dsn=4\.[0-9.]+, status=deferred \(.*$2" "$T/qlog"
	[ "$(qids)" = "$id" ]
	[ "$(transcript_verbs "$RELAY_TRANSCRIPT" | tr '\n' ' ')" = "EHLO STARTTLS " ]
	# and nothing at all reached the server inside TLS either
	! grep -q '^#conn 1 tls TLS' "$RELAY_TRANSCRIPT" ||
	    [ "$(grep -vc '^#conn' "$RELAY_TRANSCRIPT")" -eq 2 ]
}

@test "tls: certificate for the wrong IP address: deferred, nothing sent" {
	cert_fault wrongname "certificate verify failed: IP address mismatch"
}

@test "tls: certificate for the wrong host name (smarthost by name): deferred, nothing sent" {
	grep -Eq '^127\.0\.0\.1[[:space:]](.*[[:space:]])?localhost([[:space:]]|$)' /etc/hosts ||
	    skip "/etc/hosts does not map localhost to 127.0.0.1"
	# a fresh Debian also maps localhost to ::1: whatever it says, the
	# certificate failure is the reason kept
	CERT_URL_HOST=localhost cert_fault wrongname \
	    "certificate verify failed: hostname mismatch"
}

# A smarthost name with an A and an AAAA record (from a real DNS server,
# so that this machine's /etc/hosts plays no part): the certificate fails
# on 127.0.0.1, then ::1 refuses the connection. The certificate failure
# is the reason kept in the log and in mailq, not the refusal after it.
@test "tls: wrong host name on the first address, refused on ::1: the certificate failure is the reason kept" {
	local dns=$T/dns addr=127.0.0.$((RANDOM % 100 + 120)) port
	port=$(free_dns_port "$addr")
	printf '%s\n' "relay.dt A 127.0.0.1" "relay.dt AAAA ::1" >"$T/zone"
	"$BATS_TEST_DIRNAME/../lib/dns-server.sh" start "$dns" "$addr" \
	    "$port" "$T/zone"
	CERT_URL_HOST=relay.dt CERT_CONF="resolver $addr:$port" \
	    cert_fault wrongname "certificate verify failed: hostname mismatch"
	"$BATS_TEST_DIRNAME/../lib/dns-server.sh" stop "$dns"
	grep -q 'relay\.dt\[::1\]' "$T/qlog"
	run "$MINIMTA" -C "$T/minimta.conf" -bp
	[[ "$output" == *"hostname mismatch"* ]]
}

@test "tls: certificate from an unknown CA: deferred, nothing sent" {
	cert_fault unknownca "certificate verify failed: unable to get local issuer certificate"
}

@test "tls: expired certificate: deferred, nothing sent" {
	cert_fault expired "certificate verify failed: certificate has expired"
}

@test "tls: smtps:// to a wrong-name certificate: deferred, nothing sent" {
	start_faultsmtp relay - --implicit-tls --cert "$CA_DIR/wrongname.pem" \
	    --key "$CA_DIR/wrongname.key" </dev/null
	dl_conf "smtps://$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem"
	send a@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<a@x.example>, .*status=deferred \(.*certificate verify failed: IP address mismatch" "$T/qlog"
	[ "$(grep -vc '^#conn' "$RELAY_TRANSCRIPT" || true)" -eq 0 ]
	[ "$(qids)" = "$id" ]
}

@test "tls: tls_verify no delivers to a wrong-name certificate, with a warning" {
	start_smtpd relay --starttls "$CA_DIR/wrongname.pem" "$CA_DIR/wrongname.key"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "tls_verify no"
	send a@x.example
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	log_has "tls_verify is off" "$T/qlog"
	log_has "Anonymous TLS connection established" "$T/qlog"
	spool_empty
}

@test "tls: failover: first smarthost refuses connections, the second gets the mail" {
	start_smtpd second
	dead=$(free_port 127.0.0.9)
	dl_conf "smtp://127.0.0.9:$dead"
	echo "smarthost smtp://$SECOND_HOST:$SECOND_PORT" >>"$T/minimta.conf"
	send a@x.example
	id=$(qids)
	qrun
	log_has "^minimta/smtp\[[0-9]+\]: connect to 127\.0\.0\.9\[127\.0\.0\.9\]:$dead: Connection refused$" "$T/qlog"
	log_has "$id: to=<a@x.example>, relay=$SECOND_HOST\[$SECOND_HOST\]:$SECOND_PORT, .*status=sent" "$T/qlog"
	[ "$(count_eml "$SECOND_SPOOL")" -eq 1 ]
	spool_empty
}

@test "tls: failover: 421 at the first smarthost's greeting, the second gets the mail" {
	start_faultsmtp first - <<'EOF'
greeting reply 421 4.3.2 too busy
EOF
	start_smtpd second
	dl_conf "smtp://$FIRST_HOST:$FIRST_PORT"
	echo "smarthost smtp://$SECOND_HOST:$SECOND_PORT" >>"$T/minimta.conf"
	send a@x.example
	id=$(qids)
	qrun
	log_has "421 4\.3\.2 too busy" "$T/qlog"
	log_has "$id: to=<a@x.example>, relay=$SECOND_HOST\[$SECOND_HOST\]:$SECOND_PORT, .*status=sent" "$T/qlog"
	[ "$(count_eml "$SECOND_SPOOL")" -eq 1 ]
	! transcript_verbs "$FIRST_TRANSCRIPT" | grep -q MAIL || false
	spool_empty
}

@test "tls: every smarthost down: deferred with the last reason" {
	d1=$(free_port 127.0.0.8)
	d2=$(free_port 127.0.0.9)
	dl_conf "smtp://127.0.0.8:$d1"
	echo "smarthost smtp://127.0.0.9:$d2" >>"$T/minimta.conf"
	send a@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<a@x.example>, relay=none, .*dsn=4\.4\.1, status=deferred \(.*127\.0\.0\.9" "$T/qlog"
	[ "$(qids)" = "$id" ]
}

@test "tls: auth_plaintext: off (the default) refuses AUTH in clear and defers; yes sends it" {
	start_smtpd relay --auth joe:s3cret --auth-without-tls --auth-require
	auth_file "$RELAY_HOST joe s3cret"
	dl_conf "smtp://joe@$RELAY_HOST:$RELAY_PORT" "auth_file $T/auth"
	send a@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<a@x.example>, .*status=deferred \(host $RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT: not sending AUTH without TLS" "$T/qlog"
	# the server saw EHLO, then no AUTH and no mail
	grep -q ">> b'EHLO test.example'" "$RELAY_LOG"
	run grep -Eq ">> b'(AUTH|MAIL)" "$RELAY_LOG"
	[ "$status" -eq 1 ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	[ "$(qids)" = "$id" ]
	# auth_plaintext yes: AUTH goes over the plain connection
	echo "auth_plaintext yes" >>"$T/minimta.conf"
	qrun
	cat "$T/qlog" >&2
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	e=$RELAY_SPOOL/0001.env
	[ "$(envf "$e" .auth)" = '"joe"' ]
	[ "$(envf "$e" .tls)" = false ]
	grep -q ">> b'AUTH PLAIN " "$RELAY_LOG"
	grep -q "AUTH PLAIN b'joe': ok" "$RELAY_LOG"
	log_has "$id: to=<a@x.example>, relay=$RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT, .*status=sent" "$T/qlog"
	run grep -q s3cret "$T/log"
	[ "$status" -eq 1 ]
	spool_empty
}

@test "tls: a reason of our own (no AUTH mechanism we know) is not worded 'host said'" {
	start_faultsmtp relay - --cert "$CA_DIR/server.pem" --key "$CA_DIR/server.key" <<'EOF2'
ehlo reply 250-fault.test\r\n250-STARTTLS\r\n250-PIPELINING\r\n250 AUTH CRAM-MD5
EOF2
	auth_file "$RELAY_HOST joe s3cret"
	dl_conf "smtp://$RELAY_HOST:$RELAY_PORT" "tls_ca_file $CA_DIR/ca.pem" \
	    "auth_file $T/auth"
	send a@x.example
	id=$(qids)
	qrun
	cat "$T/qlog" >&2
	log_has "$id: to=<a@x.example>, .*dsn=4\.[0-9.]+, status=deferred \($RELAY_HOST\[$RELAY_HOST\]:$RELAY_PORT: AUTH: 530 5\.7\.0 AUTH not attempted: the server offers neither PLAIN nor LOGIN\)$" "$T/qlog"
	run grep -Eq ' said: |in reply to' "$T/qlog"
	[ "$status" -eq 1 ]
	# nothing was asked of the server (! would not fail a bats test)
	# shellcheck disable=SC2143
	[ -z "$(transcript_verbs "$RELAY_TRANSCRIPT" | grep -E 'AUTH|MAIL')" ]
	[ "$(qids)" = "$id" ]
}
