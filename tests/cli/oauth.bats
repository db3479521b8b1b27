#!/usr/bin/env bats
# OAuth2 for relays: AUTH XOAUTH2 and OAUTHBEARER (RFC 7628) with the
# access token from the command an auth_file line names ("oauth2 host
# user /path/to/command args"), over STARTTLS with the test CA: the token
# used, an expired token (the command runs again, AUTH once more), a
# failing command (status, timeout, too much output: deferred with the
# reason), the token never in our logs or -v transcripts, the command run
# as the spool owner (root's queue run has become it), never as root.
#
# Run as root, each test makes a spool owner account (as privsep.bats
# does) and starts the queue runs as root; run as a user, that user owns
# the spool.

load common
load ../lib/servers
load delivery

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup()
{
	dl_setup
	if [ "$(id -u)" -eq 0 ]; then
		OWNER=mtao$$
		useradd -r -M -U -d /nonexistent -s /usr/sbin/nologin "$OWNER"
		MADE_OWNER=1
	else
		OWNER=$(id -un)
	fi
	OUID=$(id -u "$OWNER")
	mkdir -p "$T/spool" "$T/state"
	chown "$OWNER:" "$T/spool" "$T/state"
	# the spool owner reads the CA (the shared one may sit in root's
	# private temporary directory)
	cp "$CA_DIR/ca.pem" "$T/ca.pem"
	chmod 644 "$T/ca.pem"
	token_cmd
}

teardown()
{
	dl_teardown
	if [ -n "${MADE_OWNER:-}" ]; then
		userdel "$OWNER" 2>/dev/null || true
		groupdel "$OWNER" 2>/dev/null || true
	fi
}

# token_cmd: $T/token MODE: prints a token as MODE says; counts its runs
# in $T/state/count, records its uid and MINIMTA_OAUTH2_RETRY per run.
token_cmd()
{
	cat >"$T/token" <<'EOF2'
#!/bin/sh
s=$(dirname "$0")/state
n=$(($(cat "$s/count" 2>/dev/null || echo 0) + 1))
echo "$n" >"$s/count"
id -u >"$s/uid"
echo "retry=${MINIMTA_OAUTH2_RETRY:-unset}" >>"$s/env"
case $1 in
good)	printf '  ya29.good-SECRET-token\n\n' ;;
expire)	echo "ya29.run$n-SECRET" ;;
fail)	echo "invalid_grant: refresh token revoked" >&2
	echo "ya29.partial-SECRET"
	exit 3 ;;
hang)	sleep 60 &
	echo $! >"$s/sleep.pid"
	wait ;;
big)	head -c 20000 /dev/zero | tr '\0' S ;;
empty)	echo ;;
spaces)	echo "two SECRET-words" ;;
esac
EOF2
	chmod 755 "$T/token"
}

# oauth_conf AUTH-FILE-LINE [extra config lines]: the relay with STARTTLS
# verified, the auth_file (the spool owner's, 0600).
oauth_conf()
{
	printf '%s\n' "$1" >"$T/auth"
	chmod 600 "$T/auth"
	chown "$OWNER:" "$T/auth"
	shift
	dl_conf "smtp+starttls://$RELAY_HOST:$RELAY_PORT" \
	    "tls_ca_file $T/ca.pem" "auth_file $T/auth" \
	    "spool_owner $OWNER" "$@"
}

# relay [smtpd options]: an aiosmtpd relay with STARTTLS that wants AUTH.
relay()
{
	start_smtpd relay --starttls "$CA_DIR/server.pem" "$CA_DIR/server.key" \
	    --auth-require "$@"
}

# no_secret: no token in our log, queue files or -v transcripts.
no_secret()
{
	! grep -rq SECRET "$T/log" "$T/spool" || {
		grep -r SECRET "$T/log" "$T/spool" >&2
		return 1
	}
	# nor any AUTH line with its initial response
	! grep -Eq 'AUTH (XOAUTH2|OAUTHBEARER) [A-Za-z0-9+/=]{8}' "$T/log" ||
	    false
}

@test "oauth: XOAUTH2 with the command's token (trimmed); -v shows the AUTH line masked" {
	relay --oauth-mechs XOAUTH2 --oauth app@example.com:ya29.good-SECRET-token
	oauth_conf "oauth2 $RELAY_HOST app@example.com $T/token good"
	send a@x.example
	id=$(qids)
	qrun -v
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(envf "$RELAY_SPOOL/0001.env" .auth)" = '"app@example.com"' ]
	[ "$(envf "$RELAY_SPOOL/0001.env" .auth_mech)" = '"XOAUTH2"' ]
	grep -q 'oauth XOAUTH2 user=app@example.com token=ya29.good-SECRET-token .*: ok' "$RELAY_LOG"
	log_has "$id: to=<a@x.example>, .*status=sent" "$T/qlog"
	grep -qx '>>> AUTH XOAUTH2 <hidden>' "$T/qlog"
	grep -q '^<<< 235 ' "$T/qlog"
	[ "$(cat "$T/state/count")" -eq 1 ]
	[ "$(cat "$T/state/env")" = "retry=unset" ]
	no_secret
	spool_empty
}

@test "oauth: OAUTHBEARER is preferred when offered, with the relay's host and port" {
	relay --oauth app@example.com:ya29.good-SECRET-token
	oauth_conf "oauth2 $RELAY_HOST app@example.com $T/token good"
	send a@x.example
	qrun -v
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(envf "$RELAY_SPOOL/0001.env" .auth_mech)" = '"OAUTHBEARER"' ]
	grep -q "oauth OAUTHBEARER user=app@example.com token=ya29.good-SECRET-token host=$RELAY_HOST port=$RELAY_PORT: ok" "$RELAY_LOG"
	grep -qx '>>> AUTH OAUTHBEARER <hidden>' "$T/qlog"
	no_secret
}

@test "oauth: an expired token: the 334 error is answered, the command runs again, AUTH once more" {
	# the relay takes only the second token the command prints
	relay --oauth-mechs XOAUTH2 --oauth app@example.com:ya29.run2-SECRET
	oauth_conf "oauth2 $RELAY_HOST app@example.com $T/token expire"
	send a@x.example
	id=$(qids)
	qrun -v
	cat "$RELAY_LOG" >&2
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	grep -q 'oauth XOAUTH2 user=app@example.com token=ya29.run1-SECRET .*: bad' "$RELAY_LOG"
	# XOAUTH2's answer to the error is an empty line
	grep -q "oauth answer b''" "$RELAY_LOG"
	grep -q 'oauth XOAUTH2 user=app@example.com token=ya29.run2-SECRET .*: ok' "$RELAY_LOG"
	[ "$(cat "$T/state/count")" -eq 2 ]
	[ "$(tr '\n' ' ' <"$T/state/env")" = "retry=unset retry=1 " ]
	log_has "AUTH XOAUTH2 refused \(535\): running the token command again" "$T/qlog"
	log_has "$id: to=<a@x.example>, .*status=sent" "$T/qlog"
	no_secret
}

@test "oauth: an expired token refused with a bare 535 (OAUTHBEARER): one retry" {
	relay --oauth-mechs OAUTHBEARER --oauth-fail 535 \
	    --oauth app@example.com:ya29.run2-SECRET
	oauth_conf "oauth2 $RELAY_HOST app@example.com $T/token expire"
	send a@x.example
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(grep -c 'oauth OAUTHBEARER' "$RELAY_LOG")" -eq 2 ]
	[ "$(cat "$T/state/count")" -eq 2 ]
	no_secret
}

@test "oauth: a second refusal defers with the reply and the JSON error; the command ran twice" {
	relay --oauth app@example.com:ya29.never-SECRET
	oauth_conf "oauth2 $RELAY_HOST app@example.com $T/token expire"
	send -f s@example.org a@x.example
	id=$(qids)
	qrun
	# OAUTHBEARER's answer to the error is ^A (RFC 7628 3.2.3)
	grep -q "oauth answer b'\\\\x01'" "$RELAY_LOG"
	log_has "$id: to=<a@x.example>, .*status=deferred \(host .* said: 535 5\.7\.8 .*\(in reply to AUTH OAUTHBEARER; error \{\"status\": \"401\"" "$T/qlog"
	[ "$(cat "$T/state/count")" -eq 2 ]
	! grep -q bounced "$T/qlog" || false
	[ "$(qids)" = "$id" ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	no_secret
}

# failing MODE REASON-REGEX [config lines]: the command fails; the message
# is deferred with the reason, and AUTH was never sent.
failing()
{
	local mode=$1 reason=$2
	shift 2
	relay --oauth app@example.com:ya29.good-SECRET-token
	oauth_conf "oauth2 $RELAY_HOST app@example.com $T/token $mode" "$@"
	send a@x.example
	id=$(qids)
	qrun -v
	log_has "$id: to=<a@x.example>, .*status=deferred \(oauth2 token command $T/token: $reason" "$T/qlog"
	! grep -q 'oauth ' "$RELAY_LOG" || false
	! grep -q '^>>> AUTH' "$T/qlog" || false
	[ "$(qids)" = "$id" ]
	[ "$(count_eml "$RELAY_SPOOL")" -eq 0 ]
	no_secret
}

@test "oauth: a command that fails defers with its status and its stderr, never its stdout" {
	failing fail "exited with status 3: invalid_grant: refresh token revoked\)"
}

@test "oauth: a command past oauth2_token_timeout is killed with its children; deferred" {
	failing hang "timed out after 1 s \(killed\)" "oauth2_token_timeout 1s"
	# the child the script started went with it (its process group)
	pid=$(cat "$T/state/sleep.pid")
	wait_until 5 sh -c "! kill -0 $pid 2>/dev/null || ps -o stat= -p $pid | grep -q Z"
}

@test "oauth: a command writing more than 16 KiB is killed; deferred" {
	failing big "wrote more than 16384 bytes \(killed\)"
}

@test "oauth: empty output or more than one word is no token; deferred without quoting it" {
	failing empty "wrote no token"
	: >"$T/state/count"
	oauth_conf "oauth2 $RELAY_HOST app@example.com $T/token spaces"
	qrun
	log_has "status=deferred \(oauth2 token command $T/token: wrote 16 bytes that are not a token" "$T/qlog"
	no_secret
}

@test "oauth: a relay that offers neither OAUTHBEARER nor XOAUTH2 defers with a clear reason" {
	relay --auth joe:pw
	oauth_conf "oauth2 $RELAY_HOST app@example.com $T/token good"
	send a@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<a@x.example>, .*status=deferred \(host $RELAY_HOST\[.*\]:$RELAY_PORT offers neither OAUTHBEARER nor XOAUTH2, which the token command of app@example.com@$RELAY_HOST needs" "$T/qlog"
	# the command did not even run
	[ ! -e "$T/state/count" ]
	[ "$(qids)" = "$id" ]
}

@test "oauth: root's queue run runs the command as the spool owner" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (starts the runner as root)"
	relay --oauth app@example.com:ya29.good-SECRET-token
	oauth_conf "oauth2 $RELAY_HOST app@example.com $T/token good"
	send a@x.example
	qrun
	[ "$(count_eml "$RELAY_SPOOL")" -eq 1 ]
	[ "$(cat "$T/state/uid")" = "$OUID" ]
	[ "$OUID" -ne 0 ]
}

@test "oauth: with spool_owner root the command is refused, never run as root" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a root-owned spool)"
	relay --oauth app@example.com:ya29.good-SECRET-token
	chown root: "$T/spool"
	printf '%s\n' "oauth2 $RELAY_HOST app@example.com $T/token good" >"$T/auth"
	chmod 600 "$T/auth"
	dl_conf "smtp+starttls://$RELAY_HOST:$RELAY_PORT" \
	    "tls_ca_file $T/ca.pem" "auth_file $T/auth"
	send a@x.example
	id=$(qids)
	qrun
	log_has "$id: to=<a@x.example>, .*status=deferred \(oauth2 token command $T/token: not run as root" "$T/qlog"
	[ ! -e "$T/state/count" ]
}
