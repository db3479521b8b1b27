#!/usr/bin/env bats
# make install: binary and links, man pages, a config never overwritten,
# the spool with DESIGN.md's modes; the installed names pick the mode.

load common

setup() {
	common_setup
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	DEST=$T/inst
}
teardown() { common_teardown; }

install_into() {
	make -s -C "$REPO" install DESTDIR="$DEST" BUILD="${BUILD:-build}" \
	    BIN="$MINIMTA" "$@"
}

@test "install: binary, sendmail/mailq/newaliases links, man pages, config, spool" {
	run install_into
	echo "$output"
	[ "$status" -eq 0 ]
	[ -x "$DEST/usr/sbin/minimta" ]
	[ "$(readlink "$DEST/usr/sbin/sendmail")" = minimta ]
	[ "$(readlink "$DEST/usr/bin/mailq")" = ../sbin/minimta ]
	[ "$(readlink "$DEST/usr/bin/newaliases")" = ../sbin/minimta ]
	for m in man8/sendmail.8 man8/newaliases.8 man1/mailq.1 man5/minimta.conf.5; do
		[ -f "$DEST/usr/share/man/$m" ]
	done
	# the shipped file, with spool_owner set to configure's account
	diff "$REPO/etc/minimta.conf" "$DEST/etc/minimta.conf" >"$T/diff" || true
	[ "$(grep -c '^[<>]' "$T/diff")" -eq 2 ]
	grep -qx '< #spool_owner  mail' "$T/diff"
	grep -qx '> spool_owner  mail' "$T/diff"
	s=$DEST/var/spool/minimta
	[ "$(stat -c %a "$s/queue")" = 700 ]
	[ "$(stat -c %a "$s/corrupt")" = 700 ]
	[ "$(stat -c %a "$s/journal")" = 2750 ]
	[ "$(stat -c %a "$s/incoming")" = 3733 ]
	[ -p "$s/trigger" ]
	[ "$(stat -c %a "$s/trigger")" = 622 ]
	if [ "$(id -u)" -eq 0 ] && id mail >/dev/null 2>&1; then
		[ "$(stat -c %U "$s/queue")" = mail ]
		[ "$(stat -c %U "$s/incoming")" = mail ]
		[ "$(stat -c %U "$s/journal")" = mail ]
	else
		[[ "$output" == *"chown mail"* ]]
	fi
}

@test "install: an existing config file is never overwritten" {
	mkdir -p "$DEST/etc"
	echo "# mine" >"$DEST/etc/minimta.conf"
	run install_into
	[ "$status" -eq 0 ]
	[ "$(cat "$DEST/etc/minimta.conf")" = "# mine" ]
	[[ "$output" == *"keeping existing"* ]]
}

@test "install: PREFIX and the installed names pick the mode" {
	run install_into PREFIX=/opt/mta
	[ "$status" -eq 0 ]
	[ -x "$DEST/opt/mta/sbin/minimta" ]
	run "$DEST/opt/mta/bin/mailq" -C "$T/minimta.conf"
	[ "$status" -eq 0 ]
	[ "$output" = "Mail queue is empty" ]
	printf 'Subject: x\n\nbody\n' | "$DEST/opt/mta/sbin/sendmail" \
	    -C "$T/minimta.conf" -odq a@example.net
	run "$DEST/opt/mta/bin/mailq" -C "$T/minimta.conf"
	[[ "$output" == *"a@example.net"* ]]
	printf 'root: admin@example.net\n' >"$T/aliases"
	run "$DEST/opt/mta/bin/newaliases" -C "$T/minimta.conf" -O aliases="$T/aliases"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/aliases: 1 aliases" ]
}

@test "install: the installed config names the spool owner; root uses the installed spool as it" {
	run install_into SPOOL_OWNER=nobody
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'spool_owner  nobody' "$DEST/etc/minimta.conf"
	[ "$(grep -c '^spool_owner' "$DEST/etc/minimta.conf")" -eq 1 ]
	[ "$(id -u)" -eq 0 ] || skip "needs root (the spool made for nobody)"
	s=$DEST/var/spool/minimta
	[ "$(stat -c %U "$s/queue")" = nobody ]
	inst() {
		"$DEST/usr/sbin/minimta" -C "$DEST/etc/minimta.conf" -O spool="$s" \
		    -O log=stderr -O smarthost=smtp://127.0.0.1:1 "$@"
	}
	# root submits and lists as the spool owner: the queue file is nobody's
	run inst -odq a@example.net < <(printf 'Subject: x\n\nbody\n')
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(find "$s/queue" -type f -user nobody | wc -l)" -eq 1 ]
	[ -z "$(find "$s" -user root)" ]
	run inst -bp
	[[ "$output" == *"a@example.net"* ]]
	# a spool removed by the admin is made again, for nobody
	rm -rf "$s"
	run inst -bp
	[ "$status" -eq 0 ]
	[ "$(stat -c '%a %U' "$s")" = "755 nobody" ]
	[ "$(stat -c '%a %U' "$s/incoming")" = "3733 nobody" ]
}
