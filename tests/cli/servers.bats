#!/usr/bin/env bats
# Self-tests of the end-to-end test infrastructure in tests/lib/: each
# server is driven by a real client (Python's smtplib or a raw socket) over
# loopback TCP, and the certificates are checked with openssl verify.

load ../lib/servers

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=30

setup()
{
	make_ca
}

teardown()
{
	stop_servers
}

# ---------------------------------------------------------------- mkca.sh

@test "mkca: server cert verifies for localhost, mx.test and 127.0.0.x" {
	cd "$CA_DIR"
	run openssl verify -CAfile ca.pem -purpose sslserver \
	    -verify_hostname localhost server.pem
	[ "$status" -eq 0 ]
	[ "$output" = "server.pem: OK" ]
	openssl verify -CAfile ca.pem -verify_hostname mx.test server.pem
	openssl verify -CAfile ca.pem -verify_hostname relay.test server.pem
	openssl verify -CAfile ca.pem -verify_ip 127.0.0.1 server.pem
	openssl verify -CAfile ca.pem -verify_ip 127.0.0.9 server.pem
	run openssl verify -CAfile ca.pem -verify_ip 127.0.0.10 server.pem
	[ "$status" -ne 0 ]
	run openssl verify -CAfile ca.pem -purpose sslclient client.pem
	[ "$status" -eq 0 ]
	# Keys match their certificates.
	[ "$(openssl pkey -in server.key -pubout)" = \
	    "$(openssl x509 -in server.pem -noout -pubkey)" ]
	[ "$(openssl pkey -in client.key -pubout)" = \
	    "$(openssl x509 -in client.pem -noout -pubkey)" ]
}

@test "mkca: wrong name, expired and unknown CA certs fail as intended" {
	cd "$CA_DIR"
	# wrongname: a good chain, but not for localhost.
	openssl verify -CAfile ca.pem wrongname.pem
	run openssl verify -CAfile ca.pem -verify_hostname localhost \
	    wrongname.pem
	[ "$status" -ne 0 ]
	[[ "$output" == *"hostname mismatch"* ]]
	run openssl verify -CAfile ca.pem expired.pem
	[ "$status" -ne 0 ]
	[[ "$output" == *"certificate has expired"* ]]
	run openssl verify -CAfile ca.pem unknownca.pem
	[ "$status" -ne 0 ]
	[[ "$output" == *"unable to get local issuer certificate"* ]]
	# Same names as server.pem: only the issuer is wrong.
	[ "$(openssl x509 -in unknownca.pem -noout -ext subjectAltName)" = \
	    "$(openssl x509 -in server.pem -noout -ext subjectAltName)" ]
}

@test "mkca: idempotent, leaves an existing CA alone" {
	before=$(openssl x509 -in "$CA_DIR/ca.pem" -noout -fingerprint)
	"$SERVERS_LIB/mkca.sh" "$CA_DIR"
	[ "$(openssl x509 -in "$CA_DIR/ca.pem" -noout -fingerprint)" = "$before" ]
	d=$BATS_TEST_TMPDIR/ca2
	"$SERVERS_LIB/mkca.sh" "$d"
	[ "$(openssl x509 -in "$d/ca.pem" -noout -fingerprint)" != "$before" ]
}

# ---------------------------------------------------------------- smtpd.py

@test "smtpd: plain message saved byte for byte with its envelope" {
	start_smtpd mx
	[[ "$MX_HOST" == 127.0.0.* ]]
	py - "$MX_HOST" "$MX_PORT" <<'EOF'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="client.test", timeout=10)
code, ehlo = s.ehlo()
assert b"PIPELINING" in ehlo and b"8BITMIME" in ehlo, ehlo
assert b"STARTTLS" not in ehlo and b"AUTH" not in ehlo, ehlo
s.sendmail("from@a.test", ["to1@b.test", "To2@b.test"],
           b"Subject: hi\r\n\r\n.starts with a dot\r\nline2\r\n")
s.quit()
EOF
	wait_for_file "$MX_SPOOL/0001.eml"
	printf 'Subject: hi\r\n\r\n.starts with a dot\r\nline2\r\n' >"$BATS_TEST_TMPDIR/want"
	cmp "$MX_SPOOL/0001.eml" "$BATS_TEST_TMPDIR/want"
	py - "$MX_SPOOL/0001.env" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["mail_from"] == "from@a.test", e
assert e["rcpt_tos"] == ["to1@b.test", "To2@b.test"], e
assert e["helo"] == "client.test" and e["esmtp"] is True, e
assert e["tls"] is False and e["auth"] is None, e
assert e["peer"][0] == "127.0.0.1", e
EOF
	[ ! -e "$MX_SPOOL/0002.eml" ]
	# Nothing on stdout, ever.
	[ ! -s "$MX_DIR/stdout" ]
}

@test "smtpd: STARTTLS verified against the test CA, recorded as TLS" {
	start_smtpd mx --require-starttls \
	    --starttls "$CA_DIR/server.pem" "$CA_DIR/server.key"
	py - "$MX_HOST" "$MX_PORT" "$CA_DIR/ca.pem" <<'EOF'
import smtplib, ssl, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
code, ehlo = s.ehlo()
assert b"STARTTLS" in ehlo, ehlo
code, msg = s.mail("a@a.test")
assert code == 530, (code, msg)       # --require-starttls
ctx = ssl.create_default_context(cafile=sys.argv[3])
s.starttls(context=ctx)               # verifies chain and the IP SAN
assert s.sock.getpeercert()["subject"] == ((("commonName", "localhost"),),)
s.ehlo()
s.sendmail("a@a.test", ["b@b.test"], b"Subject: tls\r\n\r\nx\r\n")
s.quit()
EOF
	wait_for_file "$MX_SPOOL/0001.env"
	grep -q '"tls": "TLSv1\.[23]"' "$MX_SPOOL/0001.env"
}

@test "smtpd: implicit TLS (smtps) with a client certificate" {
	start_smtpd mx --implicit-tls "$CA_DIR/server.pem" "$CA_DIR/server.key" \
	    --client-ca "$CA_DIR/ca.pem"
	py - "$MX_HOST" "$MX_PORT" "$CA_DIR" <<'EOF'
import smtplib, ssl, sys
d = sys.argv[3]
ctx = ssl.create_default_context(cafile=d + "/ca.pem")
ctx.load_cert_chain(d + "/client.pem", d + "/client.key")
s = smtplib.SMTP_SSL(sys.argv[1], int(sys.argv[2]), context=ctx, timeout=10)
code, ehlo = s.ehlo()
assert b"STARTTLS" not in ehlo, ehlo
s.sendmail("a@a.test", ["b@b.test"], b"Subject: smtps\r\n\r\nx\r\n")
s.quit()
EOF
	wait_for_file "$MX_SPOOL/0001.env"
	grep -q '"tls": "TLSv1\.[23]"' "$MX_SPOOL/0001.env"
	grep -q '"client_cert": "commonName=client.test"' "$MX_SPOOL/0001.env"
}

@test "smtpd: AUTH PLAIN and LOGIN, required, bad password refused" {
	start_smtpd mx --auth joe:s3cret --auth alice:pw --auth-require \
	    --auth-without-tls
	py - "$MX_HOST" "$MX_PORT" <<'EOF'
import smtplib, sys
h, p = sys.argv[1], int(sys.argv[2])
s = smtplib.SMTP(h, p, timeout=10)
code, ehlo = s.ehlo()
assert b"AUTH LOGIN PLAIN" in ehlo, ehlo
assert s.mail("a@a.test")[0] == 530            # --auth-require
try:
    s.login("joe", "wrong")
    raise SystemExit("bad password accepted")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
for user, pw, mech in (("joe", "s3cret", "PLAIN"), ("alice", "pw", "LOGIN")):
    s = smtplib.SMTP(h, p, timeout=10)
    s.ehlo()
    s.user, s.password = user, pw
    auth = getattr(s, "auth_" + mech.lower())
    code, msg = s.auth(mech, auth, initial_response_ok=(mech == "PLAIN"))
    assert code == 235, (code, msg)
    s.sendmail("a@a.test", ["b@b.test"], b"Subject: %s\r\n\r\nx\r\n" % mech.encode())
    s.quit()
EOF
	wait_for_file "$MX_SPOOL/0002.env"
	grep -q '"auth": "joe"' "$MX_SPOOL/0001.env"
	grep -q '"auth": "alice"' "$MX_SPOOL/0002.env"
	grep -q '^Subject: LOGIN' "$MX_SPOOL/0002.eml"
}

@test "smtpd: AUTH only offered after STARTTLS by default" {
	start_smtpd mx --auth joe:pw \
	    --starttls "$CA_DIR/server.pem" "$CA_DIR/server.key"
	py - "$MX_HOST" "$MX_PORT" "$CA_DIR/ca.pem" <<'EOF'
import smtplib, ssl, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
code, ehlo = s.ehlo()
assert b"AUTH" not in ehlo, ehlo
s.docmd("AUTH", "PLAIN AGpvZQBwdw==")
s.starttls(context=ssl.create_default_context(cafile=sys.argv[3]))
code, ehlo = s.ehlo()
assert b"AUTH LOGIN PLAIN" in ehlo, ehlo
s.login("joe", "pw")
s.quit()
EOF
	grep -q "AUTH PLAIN b'joe': ok" "$MX_LOG"
	[ "$(grep -c "AUTH PLAIN b'joe'" "$MX_LOG")" -eq 1 ]
}

@test "smtpd: DSN parameters accepted with --dsn and recorded as sent" {
	start_smtpd mx --dsn
	py - "$MX_HOST" "$MX_PORT" <<'EOF'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
code, ehlo = s.ehlo()
assert b"DSN" in ehlo, ehlo
assert s.mail("a@a.test", ["RET=HDRS", "ENVID=Id+2Bx"])[0] == 250
assert s.rcpt("b@b.test", ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;B@b.test"])[0] == 250
assert s.rcpt("c@b.test", ["NOTIFY=NEVER"])[0] == 250
assert s.rcpt("d@b.test", ["NOTIFY=SOMETIMES"])[0] == 501
assert s.data(b"Subject: dsn\r\n\r\nx\r\n")[0] == 250
s.quit()
EOF
	wait_for_file "$MX_SPOOL/0001.env"
	py - "$MX_SPOOL/0001.env" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["mail_options"] == ["RET=HDRS", "ENVID=Id+2Bx"], e
assert e["rcpts"] == [
    {"to": "b@b.test", "options": ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;B@b.test"]},
    {"to": "c@b.test", "options": ["NOTIFY=NEVER"]}], e
EOF
}

@test "smtpd: without --dsn, DSN parameters are refused" {
	start_smtpd mx
	py - "$MX_HOST" "$MX_PORT" <<'EOF'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
code, ehlo = s.ehlo()
assert b"DSN" not in ehlo, ehlo
assert s.mail("a@a.test", ["RET=HDRS"])[0] == 555
assert s.mail("a@a.test")[0] == 250
assert s.rcpt("b@b.test", ["NOTIFY=NEVER"])[0] == 555
EOF
}

@test "smtpd: configured recipients rejected with 5xx and 4xx" {
	start_smtpd mx --reject-rcpt 'bad@b.test=550 5.1.1 no such user' \
	    --reject-rcpt 'later@b.test=451 4.3.0 try again later'
	py - "$MX_HOST" "$MX_PORT" <<'EOF'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
s.ehlo()
s.mail("a@a.test")
assert s.rcpt("BAD@b.test") == (550, b"5.1.1 no such user")
assert s.rcpt("later@b.test") == (451, b"4.3.0 try again later")
assert s.rcpt("ok@b.test")[0] == 250
assert s.data(b"Subject: r\r\n\r\nx\r\n")[0] == 250
s.quit()
EOF
	wait_for_file "$MX_SPOOL/0001.env"
	grep -q '"rcpt_tos": \[ *$' "$MX_SPOOL/0001.env"
	py -c 'import json, sys
e = json.load(open(sys.argv[1]))
assert e["rcpt_tos"] == ["ok@b.test"], e' "$MX_SPOOL/0001.env"
}

@test "smtpd: --no-8bitmime, --smtputf8, --size, --data-reply" {
	start_smtpd mx --no-8bitmime --smtputf8 --size 1000 \
	    --data-reply '452 4.3.1 out of space'
	py - "$MX_HOST" "$MX_PORT" <<'EOF'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
code, ehlo = s.ehlo()
assert b"8BITMIME" not in ehlo and b"SMTPUTF8" in ehlo, ehlo
assert b"SIZE 1000" in ehlo, ehlo
assert s.mail("a@a.test", ["BODY=8BITMIME"])[0] == 555
assert s.mail("a@a.test", ["SIZE=2000"])[0] == 552
assert s.mail("\u00e9@a.test", ["SMTPUTF8"])[0] == 250
assert s.rcpt("b@b.test")[0] == 250
assert s.data(b"Subject: x\r\n\r\nx\r\n")[0] == 452
EOF
	[ ! -e "$MX_SPOOL/0001.eml" ]
}

@test "smtpd: SIGTERM stops it and removes its pid file" {
	start_smtpd mx
	[ -f "$MX_DIR/pid" ]
	stop_server mx
	[ ! -e "$MX_DIR/pid" ]
	run _servers_alive "$MX_PID"
	[ "$status" -ne 0 ]
	run wait_for_port "$MX_HOST" "$MX_PORT" 0.2
	[ "$status" -ne 0 ]
	# Numbering continues after files already in the spool.
	touch "$MX_SPOOL/0007.eml"
	start_smtpd mx
	py -c 'import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
s.sendmail("a@a.test", ["b@b.test"], "Subject: n\r\n\r\nx\r\n")' \
	    "$MX_HOST" "$MX_PORT"
	wait_for_file "$MX_SPOOL/0008.eml"
}

# ---------------------------------------------------------------- faultsmtp

@test "faultsmtp: replies, multi-line replies, n-th RCPT, transcript" {
	start_faultsmtp f - <<'EOF'
# EHLO as one scripted multi-line reply, two ways
ehlo reply 250-fault.test\r\n250-PIPELINING
ehlo reply 250 X-ODD ext
rcpt#2 reply 550 5.1.1 second rejected
mail reply 250 sender fine
EOF
	py - "$F_HOST" "$F_PORT" <<'EOF'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
code, ehlo = s.ehlo("me.test")
assert (code, ehlo) == (250, b"fault.test\nPIPELINING\nX-ODD ext"), ehlo
assert s.mail("a@a.test") == (250, b"sender fine")
assert s.rcpt("b1@b.test")[0] == 250
assert s.rcpt("b2@b.test") == (550, b"5.1.1 second rejected")
assert s.rcpt("b3@b.test")[0] == 250
s.data(b"Subject: t\r\n\r\nbody line\r\n")
s.quit()
EOF
	wait_until 5 grep -q '^#conn 1 close' "$F_TRANSCRIPT"
	grep -qx 'ehlo me.test' "$F_TRANSCRIPT"
	grep -qx 'rcpt TO:<b2@b.test>' "$F_TRANSCRIPT"
	[ "$(grep -cx 'body line' "$F_TRANSCRIPT")" -eq 1 ]
	grep -qx 'quit' "$F_TRANSCRIPT"
	printf 'Subject: t\r\n\r\nbody line\r\n.\r\n' >"$BATS_TEST_TMPDIR/want"
	grep -qaF "$(cat "$BATS_TEST_TMPDIR/want")" "$F_TRANSCRIPT.1.raw"
}

@test "faultsmtp: drop after the dot on connection 1, accept on 2" {
	start_faultsmtp f - <<'EOF'
[conn 1]
dot drop
EOF
	py - "$F_HOST" "$F_PORT" <<'EOF'
import smtplib, sys
def send():
    s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
    s.sendmail("a@a.test", ["b@b.test"], b"Subject: t\r\n\r\nthe body\r\n")
    s.quit()
try:
    send()
    raise SystemExit("connection 1 was not dropped")
except smtplib.SMTPServerDisconnected:
    pass
send()
EOF
	wait_until 5 grep -q '^#conn 2 close' "$F_TRANSCRIPT"
	# The body went out once per connection: twice in all.
	[ "$(grep -cx 'the body' "$F_TRANSCRIPT")" -eq 2 ]
	grep -q '^#conn 2 open' "$F_TRANSCRIPT"
}

@test "faultsmtp: stall a short time, then answer; stall forever" {
	start_faultsmtp f - <<'EOF'
greeting stall 1.2
greeting default
mail stall forever
EOF
	py - "$F_HOST" "$F_PORT" <<'EOF'
import socket, sys, time
t = time.monotonic()
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
f = c.makefile("rb")
assert f.readline().startswith(b"220 ")
took = time.monotonic() - t
assert 1.1 <= took < 5, took
c.sendall(b"HELO x\r\n")
assert f.readline().startswith(b"250 ")
c.settimeout(1)
c.sendall(b"MAIL FROM:<a@a.test>\r\n")
try:
    raise SystemExit("MAIL answered: %r" % f.readline())
except (socket.timeout, TimeoutError):
    pass
c.sendall(b"NOOP while stalled\r\n")
time.sleep(0.2)
c.close()
EOF
	# What the client sent during the stall is recorded all the same.
	wait_until 5 grep -qx 'NOOP while stalled' "$F_TRANSCRIPT"
	wait_until 5 grep -q '^#conn 1 close' "$F_TRANSCRIPT"
}

@test "faultsmtp: plaintext injected after STARTTLS's 220, then TLS" {
	start_faultsmtp f - --cert "$CA_DIR/server.pem" --key "$CA_DIR/server.key" <<'EOF'
starttls reply 220 2.0.0 go ahead
starttls raw 250 injected\r\n
starttls tls
EOF
	py - "$F_HOST" "$F_PORT" "$CA_DIR/ca.pem" <<'EOF'
import smtplib, ssl, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
code, ehlo = s.ehlo()
assert b"STARTTLS" in ehlo, ehlo
s.sock.sendall(b"STARTTLS\r\n")
got = b""
while not got.endswith(b"250 injected\r\n"):
    got += s.sock.recv(100)
    assert len(got) < 200, got
# Both arrive together, in the same write, as in the real attack.
assert got == b"220 2.0.0 go ahead\r\n250 injected\r\n", got
ctx = ssl.create_default_context(cafile=sys.argv[3])
t = ctx.wrap_socket(s.sock, server_hostname=sys.argv[1])
t.sendall(b"EHLO again.test\r\n")
r = t.recv(1000)
assert r.startswith(b"250-fault.test") and b"STARTTLS" not in r, r
t.sendall(b"QUIT\r\n")
assert t.recv(100).startswith(b"221")
EOF
	wait_until 5 grep -q '^#conn 1 close' "$F_TRANSCRIPT"
	grep -Eq '^#conn 1 tls TLSv1\.[23]$' "$F_TRANSCRIPT"
	# The transcript shows the decrypted command after the handshake.
	sed -n '/^#conn 1 tls/,$p' "$F_TRANSCRIPT" | grep -qx 'EHLO again.test'
}

@test "faultsmtp: pipelined commands answered in order; raw and long lines" {
	start_faultsmtp f - <<'EOF'
rcpt#2 reply 452 4.5.3 too many
data longreply 354 1500
dot raw 250 no newline yet
dot stall 0.3
dot raw \r\n
EOF
	py - "$F_HOST" "$F_PORT" <<'EOF'
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
f = c.makefile("rb")
assert f.readline().startswith(b"220 ")
c.sendall(b"EHLO x\r\nMAIL FROM:<a@a>\r\nRCPT TO:<b@b>\r\nRCPT TO:<c@c>\r\nDATA\r\n")
while not f.readline().startswith(b"250 "):         # EHLO's last line
    pass
rest = [f.readline() for _ in range(4)]
assert rest[0].startswith(b"250 2.1.0"), rest
assert rest[1].startswith(b"250 2.1.5"), rest
assert rest[2] == b"452 4.5.3 too many\r\n", rest
assert rest[3] == b"354 " + b"x" * 1500 + b"\r\n", rest[3][:20]
c.sendall(b"Subject: p\r\n\r\nx\r\n.\r\n")
assert f.readline() == b"250 no newline yet\r\n"
EOF
	wait_until 5 grep -q '^#conn 1 close' "$F_TRANSCRIPT"
	grep -qx 'RCPT TO:<c@c>' "$F_TRANSCRIPT"
}

@test "faultsmtp: reset aborts the connection; bad scripts refused" {
	start_faultsmtp f - <<'EOF'
ehlo reset
EOF
	py - "$F_HOST" "$F_PORT" <<'EOF'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
try:
    s.ehlo()
    raise SystemExit("no reset")
except (ConnectionResetError, smtplib.SMTPServerDisconnected) as e:
    print(repr(e))
EOF
	printf 'ehlo explode\n' >"$BATS_TEST_TMPDIR/bad"
	run py "$SERVERS_LIB/faultsmtp.py" --script "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad:1: unknown action 'explode'"* ]]
}

# ---------------------------------------------------------------- smtp-sink

# sink_has N: exactly N messages in the sink's dump directory.
sink_has()
{
	[ "$(find "$SINK_MSGS" -type f -name 'msg.*' | wc -l)" -eq "$1" ]
}

@test "smtp-sink: starts, accepts a message, smtp-source works" {
	start_sink sink
	py - "$SINK_HOST" "$SINK_PORT" <<'EOF'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)
code, ehlo = s.ehlo()
assert b"PIPELINING" in ehlo, ehlo
s.sendmail("a@a.test", ["sinkrcpt@b.test"], b"Subject: to the sink\r\n\r\nx\r\n")
s.quit()
EOF
	wait_until 5 grep -lq 'Subject: to the sink' "$SINK_MSGS"/msg.*
	grep -q '^X-Rcpt-Args: <sinkrcpt@b.test>' "$SINK_MSGS"/msg.*
	[ -x "$("$SERVERS_LIB/smtp-sink.sh" source-path)" ]
	timeout 10 "$SERVERS_LIB/smtp-sink.sh" source -m 2 \
	    "$SINK_HOST:$SINK_PORT"
	wait_until 5 sink_has 3
}
