#!/usr/bin/env bats
# The Debian package (debian/): dpkg-buildpackage builds it from a copy of
# the tree; its file list, modes, relations, conffiles and maintainer
# scripts are checked, lintian is run, and it is installed into a throwaway
# Debian 12 root (tests/lib/debroot.sh, cached tarballs) where a message
# submitted as www-data reaches a test server through the packaged queue
# runner, removal keeps the queue and purge removes it.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
DEBROOT=$REPO/tests/lib/debroot.sh

# What the root has before the package: Debian's default MTA (which the
# package must replace), the test server's python3-aiosmtpd
# (tests/lib/smtpd.py), and the libraries minimta dlopen()s, so that
# installing the .deb needs no network once the cache exists.
ROOT_PKGS="exim4-daemon-light python3-aiosmtpd libssl3 libc-ares2"

# copy_tree DIR: the source tree without build outputs, as DIR (the
# tracked and the new files of a git checkout, else the tree without what
# .gitignore names). Errors go to stderr.
copy_tree() {
	local list=$BATS_FILE_TMPDIR/files
	mkdir -p "$1" || return 1
	if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$REPO" ls-files -co --exclude-standard -z >"$list" ||
		    return 1
		[ -s "$list" ] || { echo "git ls-files listed nothing" >&2; return 1; }
		tar -C "$REPO" --null -T "$list" -cf "$list.tar" || return 1
	else
		tar -C "$REPO" --exclude='./build*' --exclude=./minimta \
		    --exclude=./config.mk --exclude=./config.h \
		    --exclude='./spool/[!R]*' --exclude=./tests/tmp \
		    --exclude=./debian/minimta --exclude=./debian/.debhelper \
		    -cf "$list.tar" . || return 1
	fi
	tar -C "$1" -xf "$list.tar"
}

setup_file() {
	local missing="" t
	for t in dpkg-buildpackage dh dpkg-deb; do
		command -v "$t" >/dev/null || missing="$missing $t"
	done
	[ -z "$missing" ] || skip "needs$missing (tests/deps.sh installs debhelper and dpkg-dev)"
	P=$BATS_FILE_TMPDIR/pkg
	export P
	mkdir -p "$P"
	local start=$SECONDS rc=0
	# nocheck: the suite itself runs the unit tests. The build is the
	# package's own: not `make check WERROR=1 BUILD=...`'s variables,
	# which make passes down in MAKEFLAGS.
	(copy_tree "$P/minimta-0.1" && cd "$P/minimta-0.1" &&
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    -u WERROR -u SANITIZE -u BUILD -u CFLAGS -u LDFLAGS \
	    DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b
	) >"$P/build.log" 2>&1 || rc=$?
	echo "$rc" >"$P/build.rc"
	echo $((SECONDS - start)) >"$P/build.seconds"
	DEB=$(ls "$P"/minimta_*_*.deb 2>/dev/null | head -n 1)
	export DEB
}

setup() {
	[ -s "$P/build.rc" ] || skip "the package was not built"
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/minimta-pkg.XXXXXX")
	R=
}

teardown() {
	if [ -n "${R:-}" ]; then
		"$DEBROOT" remove "$R" || echo "left $R behind" >&2
	fi
	[ -n "${T:-}" ] && rm -rf "$T"
}

built() {
	[ "$(cat "$P/build.rc")" -eq 0 ] || {
		tail -n 30 "$P/build.log"
		return 1
	}
	[ -f "$DEB" ]
}

# listing: "MODE OWNER PATH[ -> TARGET]" per entry of the .deb
listing() {
	dpkg-deb -c "$DEB" | awk '{ m = $1; o = $2; $1 = $2 = $3 = $4 = $5 = "";
	    sub(/^ +/, ""); sub(/^\.\//, "/"); print m, o, $0 }'
}

@test "package: dpkg-buildpackage -us -uc -b builds minimta_VERSION_ARCH.deb" {
	built
	echo "# built in $(cat "$P/build.seconds") s" >&3
	[[ "$DEB" =~ /minimta_0\.1_[a-z0-9]+\.deb$ ]]
	# the build used Debian's paths and hardening flags
	grep -q 'spool=/var/spool/minimta owner=mail' "$P/build.log"
	grep -q -- '-D_FORTIFY_SOURCE=2' "$P/build.log"
}

@test "package: file list, modes and links" {
	built
	listing >"$T/list"
	cat "$T/list"
	grep -qx -- '-rwxr-xr-x root/root /usr/sbin/minimta' "$T/list"
	grep -qx -- 'lrwxrwxrwx root/root /usr/sbin/sendmail -> minimta' "$T/list"
	grep -qx -- 'lrwxrwxrwx root/root /usr/lib/sendmail -> ../sbin/sendmail' "$T/list"
	grep -qx -- 'lrwxrwxrwx root/root /usr/bin/mailq -> ../sbin/minimta' "$T/list"
	grep -qx -- 'lrwxrwxrwx root/root /usr/bin/newaliases -> ../sbin/minimta' "$T/list"
	for m in man8/sendmail.8 man8/newaliases.8 man1/mailq.1 man5/minimta.conf.5; do
		grep -qx -- "-rw-r--r-- root/root /usr/share/man/$m.gz" "$T/list"
	done
	grep -qx -- 'lrwxrwxrwx root/root /usr/share/man/man8/minimta.8.gz -> sendmail.8.gz' "$T/list"
	grep -qx -- '-rw-r--r-- root/root /etc/minimta.conf' "$T/list"
	grep -qx -- '-rw-r--r-- root/root /etc/cron.d/minimta' "$T/list"
	for u in minimta.service minimta-smtp.socket minimta-smtp@.service; do
		grep -qx -- "-rw-r--r-- root/root /lib/systemd/system/$u" "$T/list"
	done
	grep -qx -- '-rw-r--r-- root/root /usr/share/doc/minimta/copyright' "$T/list"
	grep -q -- ' /usr/share/doc/minimta/README.Debian' "$T/list"
	# never setuid or setgid; nothing owned by anyone but root
	! grep -E '^.{3}[sS]|^.{6}[sS]' "$T/list" || false
	! grep -v ' root/root ' "$T/list" || false
	# the spool is the postinst's (so that removal keeps the queue)
	! grep -q ' /var/' "$T/list" || false
	# the shipped config is the documented one, naming the spool owner
	# (make install sets spool_owner to configure's --with-spool-owner)
	dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./etc/minimta.conf |
	    cmp - <(sed 's/^#spool_owner .*/spool_owner  mail/' \
	    "$REPO/etc/minimta.conf")
	dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./etc/minimta.conf |
	    grep -qx 'spool_owner  mail'
}

@test "package: relations: takes the MTA's place, depends on the dlopen()ed libraries" {
	built
	run dpkg-deb -f "$DEB" Provides Conflicts Replaces Depends Section
	echo "$output"
	[[ "$output" == *"Provides: mail-transport-agent"* ]]
	[[ "$output" == *"Conflicts: mail-transport-agent"* ]]
	[[ "$output" == *"Replaces: mail-transport-agent"* ]]
	[[ "$output" == *"Section: mail"* ]]
	dep=$(dpkg-deb -f "$DEB" Depends)
	# the packages holding the SONAMEs that configure recorded
	for so in $(sed -n 's/^#define [A-Z_]*_SONAME "\(.*\)"$/\1/p' "$REPO/config.h"); do
		pkg=$(dpkg-query -S "*/$so" 2>/dev/null | sed -n '1s/[:,].*//p')
		[ -n "$pkg" ]
		[[ ", $dep," == *", $pkg"[\ ,]* ]]
	done
	[[ ", $dep," == *", libssl3,"* ]]
	[[ ", $dep," == *", libc-ares2,"* ]]
	[[ "$dep" == *libc6* ]]
}

@test "package: conffiles; maintainer scripts make the spool, enable the services, purge removes the spool" {
	built
	dpkg-deb -e "$DEB" "$T/ctl"
	[ "$(sort "$T/ctl/conffiles")" = "$(printf '/etc/cron.d/minimta\n/etc/minimta.conf')" ]
	grep -q "mkdir_as 3733 \"\$SPOOL/incoming\"" "$T/ctl/postinst"
	grep -q "mkdir_as 0700 \"\$SPOOL/queue\"" "$T/ctl/postinst"
	grep -q "mkfifo -m 0622" "$T/ctl/postinst"
	grep -q "deb-systemd-helper enable 'minimta.service'" "$T/ctl/postinst"
	grep -q "deb-systemd-helper enable 'minimta-smtp.socket'" "$T/ctl/postinst"
	# the template is started by the socket, never enabled
	! grep -q "enable 'minimta-smtp@" "$T/ctl/postinst" || false
	grep -q 'rm -rf "$SPOOL"' "$T/ctl/postrm"
	sh -n "$T/ctl/postinst"
	sh -n "$T/ctl/postrm"
}

@test "package: lintian reports no errors and no warnings; each override says why" {
	built
	command -v lintian >/dev/null || skip "needs lintian (tests/deps.sh installs it)"
	changes=$(ls "$P"/minimta_*.changes | head -n 1)
	run lintian --pedantic --display-info "$changes"
	echo "$output"
	! grep -E '^[EW]: ' <<<"$output" || false
	# every override in debian/ has a comment just above it
	awk '/^#/ { c = 1; next } /^[a-z]/ { if (!c) { print "unexplained: " $0; bad = 1 } next }
	    { c = 0 } END { exit bad }' "$REPO/debian/minimta.lintian-overrides"
}

@test "package: make install and the package install the same units and cron line" {
	built
	make -s -C "$REPO" install DESTDIR="$T/inst" >/dev/null
	mkdir -p "$T/deb"
	dpkg-deb -x "$DEB" "$T/deb"
	for u in minimta.service minimta-smtp.socket minimta-smtp@.service; do
		cmp "$T/inst/lib/systemd/system/$u" "$T/deb/lib/systemd/system/$u"
		cmp "$REPO/etc/systemd/$u" "$T/deb/lib/systemd/system/$u"
	done
	cmp "$T/inst/etc/cron.d/minimta" "$T/deb/etc/cron.d/minimta"
	[ "$(ls "$T/deb/lib/systemd/system" | wc -l)" -eq 3 ]
}

# The script run inside the root: the packaged runner (the unit's
# ExecStart= as its User=) delivers www-data's message to a test server;
# then remove and purge.
inroot_script() {
	cat <<'SCRIPT'
set -u
fail() { echo "FAIL: $*"; exit 1; }
unit=/lib/systemd/system/minimta.service
user=$(sed -n 's/^User=//p' $unit)
group=$(sed -n 's/^Group=//p' $unit)
exec_start=$(sed -n 's/^ExecStart=//p' $unit)
echo "unit: $user:$group $exec_start"
ls -ld /var/spool/minimta /var/spool/minimta/* | awk '{print $1, $3, $4, $NF}'
[ -d /etc/systemd/system/multi-user.target.wants ] &&
    [ -L /etc/systemd/system/multi-user.target.wants/minimta.service ] ||
    fail "minimta.service not enabled"
[ -L /etc/systemd/system/sockets.target.wants/minimta-smtp.socket ] ||
    fail "minimta-smtp.socket not enabled"
python3 /tmp/smtpd.py --host 127.0.0.1 --port-file /tmp/port \
    --spool /tmp/mx --log /tmp/mx.log </dev/null >/dev/null 2>&1 &
i=0
while [ ! -s /tmp/port ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "test server did not start"
	sleep 0.05
done
printf 'smarthost smtp://127.0.0.1:%s\nhostname pkg.example\ndomain example.org\nlog stderr\n' \
    "$(cat /tmp/port)" >>/etc/minimta.conf
# the queue runner as the unit runs it (sendmail -q5m as mail)
setpriv --reuid="$user" --regid="$group" --init-groups $exec_start \
    2>/tmp/runner.log &
runner=$!
i=0
while ! grep -q 'queue runner started' /tmp/runner.log; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "runner did not start"
	sleep 0.05
done
printf 'To: rcpt@example.net\nSubject: from www-data\n\nhello from the package\n' |
    su -s /bin/sh www-data -c '/usr/sbin/sendmail -t -i' 2>/tmp/submit.log
echo "submit: $?"
i=0
while [ ! -s /tmp/mx/0001.eml ]; do
	i=$((i + 1)); [ $i -lt 200 ] || { cat /tmp/runner.log /tmp/submit.log; fail "not delivered"; }
	sleep 0.05
done
echo "--- received"; cat /tmp/mx/0001.env; cat /tmp/mx/0001.eml
echo "--- submit.log"; cat /tmp/submit.log
kill $runner; wait $runner
# a message waiting when the package goes: it stays with the spool
printf 'Subject: waits\n\nx\n' |
    su -s /bin/sh www-data -c '/usr/sbin/sendmail -i later@example.net' 2>/dev/null
apt-get remove -y -q minimta >/tmp/remove.log 2>&1 || { cat /tmp/remove.log; fail "remove"; }
echo "after remove: $(ls /var/spool/minimta/incoming | wc -l) waiting;" \
    "conf $(test -f /etc/minimta.conf && echo kept)"
apt-get purge -y -q minimta >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; fail "purge"; }
grep 'minimta: purge' /tmp/purge.log
echo "after purge: spool $(test -e /var/spool/minimta && echo present || echo gone);" \
    "conf $(test -e /etc/minimta.conf && echo present || echo gone)"
SCRIPT
}

@test "package: in a Debian 12 root it replaces exim; www-data's message reaches a test server; remove keeps the queue, purge removes it" {
	built
	[ "$(id -u)" -eq 0 ] || skip "needs root (a chroot)"
	local start=$SECONDS rc
	R=$(mktemp -d /var/tmp/minimta-root.XXXXXX)
	# shellcheck disable=SC2086
	run "$DEBROOT" make "$R" $ROOT_PKGS
	if [ "$status" -eq 77 ]; then
		skip "no throwaway Debian 12 root: $output"
	fi
	echo "$output"
	[ "$status" -eq 0 ]
	cp "$DEB" "$R/tmp/"
	cp "$REPO/tests/lib/smtpd.py" "$R/tmp/"
	run "$DEBROOT" run "$R" dpkg-query -W -f '${Status}' exim4-daemon-light
	[ "$output" = "install ok installed" ]
	run "$DEBROOT" run "$R" apt-get install -y -q --no-install-recommends \
	    "/tmp/${DEB##*/}"
	echo "$output"
	[ "$status" -eq 0 ]
	# it took the MTA's place: apt removed exim (Conflicts and Provides:
	# mail-transport-agent), and sendmail is minimta now
	[[ "$output" == *"REMOVED:"*"exim4-daemon-light"* ]]
	run "$DEBROOT" run "$R" dpkg-query -W -f '${Status}' exim4-daemon-light
	[[ "$output" != "install ok installed" ]]
	[ "$(readlink -f "$R/usr/sbin/sendmail")" = "$R/usr/sbin/minimta" ]
	[ "$(readlink -f "$R/usr/lib/sendmail")" = "$R/usr/sbin/minimta" ]
	inroot_script >"$R/tmp/t.sh"
	run "$DEBROOT" run "$R" sh /tmp/t.sh
	echo "$output"
	echo "# Debian 12 root: $((SECONDS - start)) s" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"unit: mail:mail /usr/sbin/sendmail -q5m"* ]]
	# the spool, as the postinst made it
	[[ "$output" == *"drwxr-xr-x mail mail /var/spool/minimta"$'\n'* ]]
	[[ "$output" == *"drwx------ mail mail /var/spool/minimta/corrupt"* ]]
	[[ "$output" == *"drwx-ws-wt mail mail /var/spool/minimta/incoming"* ]]
	[[ "$output" == *"drwx------ mail mail /var/spool/minimta/queue"* ]]
	[[ "$output" == *"prw--w--w- mail mail /var/spool/minimta/trigger"* ]]
	# www-data's message, delivered at once (the runner listens)
	[[ "$output" == *"submit: 0"* ]]
	[[ "$output" != *"no queue runner is listening"* ]]
	[[ "$output" == *'"mail_from": "www-data@example.org"'* ]]
	[[ "$output" == *'"rcpt@example.net"'* ]]
	[[ "$output" == *"Received: by pkg.example (minimta, from userid 33)"* ]]
	[[ "$output" == *"Subject: from www-data"* ]]
	[[ "$output" == *"hello from the package"* ]]
	[[ "$output" == *"after remove: 1 waiting; conf kept"* ]]
	[[ "$output" == *"minimta: purge: removing /var/spool/minimta with 1 queued messages"* ]]
	[[ "$output" == *"after purge: spool gone; conf gone"* ]]
}
