#!/usr/bin/env bats
# The spool: layout and modes, the commit protocol (strace), a full disk.

load common
load ../lib/servers

setup() { common_setup; MTA_ARGS=-odq; }
teardown() {
	if [ -n "${MNT:-}" ]; then umount "$MNT" 2>/dev/null || true; fi
	stop_servers
	common_teardown
}

@test "spool: first run creates the layout with DESIGN.md's modes" {
	[ ! -e "$T/spool" ]
	run mta -f root x@example.net < <(printf 'Subject: s\n\nb\n')
	[ "$status" -eq 0 ]
	[ "$(stat -c '%a %F' "$T/spool/incoming")" = "3733 directory" ]
	[ "$(stat -c '%a %F' "$T/spool/queue")" = "700 directory" ]
	[ "$(stat -c '%a %F' "$T/spool/corrupt")" = "700 directory" ]
	[ "$(stat -c '%a %F' "$T/spool/hold")" = "700 directory" ]
	[ "$(stat -c '%a %F' "$T/spool/mta-sts")" = "700 directory" ]
	[ "$(stat -c '%F' "$T/spool/trigger")" = "fifo" ]
	[ "$(stat -c '%a' "$T/spool/trigger")" = "622" ]
	own=$(id -u)
	for d in incoming queue corrupt hold mta-sts trigger; do
		[ "$(stat -c %u "$T/spool/$d")" = "$own" ]
	done
	[ "$(stat -c %a "$(one_qfile)")" = 600 ]
	[ -z "$(ls -A "$T/spool/incoming")" ]
	[ -z "$(ls -A "$T/spool/corrupt")" ]
}

@test "spool: a wrong mode on an existing directory is reported, not changed" {
	mta -bp >/dev/null
	chmod 0755 "$T/spool/queue"
	run mta -f root x@example.net < <(printf 'Subject: s\n\nb\n')
	[ "$status" -ne 0 ]
	[ "$status" -ne 64 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$T/spool/queue: mode 0755"*"want mode 0700"* ]]
	[ "$(stat -c %a "$T/spool/queue")" = 755 ]
	[ -z "$(ls -A "$T/spool/queue")" ]
	chmod 0777 "$T/spool/incoming"
	chmod 0700 "$T/spool/queue"
	run mta -bp
	[ "$status" -ne 0 ]
	[[ "$output" =~ $T/spool/incoming:\ mode\ [02]777.*want\ mode\ 3733 ]]
	[[ "$(stat -c %a "$T/spool/incoming")" =~ ^2?777$ ]]
}

@test "spool: a non-directory where a directory belongs is reported" {
	mkdir -p "$T/spool"
	: >"$T/spool/corrupt"
	run mta -bp
	[ "$status" -ne 0 ]
	[[ "$output" == *"$T/spool/corrupt: not a directory"* ]]
	[ -f "$T/spool/corrupt" ]
}

@test "spool: fsync(file), rename, fsync(dir), all before exit (strace)" {
	command -v strace >/dev/null || skip "needs strace"
	mta -bp >/dev/null
	printf 'Subject: s\n\nb\n' >"$T/msg"
	# LeakSanitizer cannot run under ptrace (SANITIZE=1 builds)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -o "$T/trace" \
	    -e trace=openat,open,close,fsync,fdatasync,rename,renameat,renameat2,syncfs,exit_group \
	    "$MINIMTA" -C "$T/minimta.conf" -odq -f root x@example.net <"$T/msg"
	id=$(qfiles)
	[ -n "$id" ]
	# the temporary file's descriptor, and queue/'s
	tfd=$(grep -E "openat\(.*\"\.$id\", O_WRONLY" "$T/trace" | sed -E 's/.*= ([0-9]+)$/\1/')
	[ -n "$tfd" ]
	seq=$(grep -nE "fsync\($tfd\)|rename(at2?)?\(.*\"\.$id\".*\"$id\"|openat\(.*\"([^\"]*/)?queue\", O_RDONLY(\|O_(NOFOLLOW|CLOEXEC|DIRECTORY))*\)|fsync\(|exit_group" "$T/trace")
	echo "$seq"
	l_fsync=$(echo "$seq" | grep -m1 -E "fsync\($tfd\) += 0" | cut -d: -f1)
	l_rename=$(echo "$seq" | grep -m1 -E "rename" | cut -d: -f1)
	dfd=$(echo "$seq" | grep -m1 -E 'O_DIRECTORY' | sed -E 's/.*= ([0-9]+)$/\1/')
	l_dsync=$(echo "$seq" | awk -F: -v fd="$dfd" -v after="$l_rename" \
	    '$1 > after && $0 ~ "fsync\\(" fd "\\) += 0" {print $1; exit}')
	l_exit=$(echo "$seq" | grep -m1 exit_group | cut -d: -f1)
	[ -n "$l_fsync" ] && [ -n "$l_rename" ] && [ -n "$l_dsync" ] && [ -n "$l_exit" ]
	[ "$l_fsync" -lt "$l_rename" ]
	[ "$l_rename" -lt "$l_dsync" ]
	[ "$l_dsync" -lt "$l_exit" ]
	grep -q 'exit_group(0)' "$T/trace"
	# the file was closed (checked) before the rename
	l_close=$(grep -nE "^[0-9]+ +close\($tfd\) += 0" "$T/trace" | head -1 | cut -d: -f1)
	[ -n "$l_close" ] && [ "$l_close" -lt "$l_rename" ]
}

@test "spool: full disk -> 75/73/74 with a one-line reason, no file left" {
	skip_unless_root "mounting a small tmpfs"
	MNT=$T/spool
	mkdir -p "$MNT"
	mount -t tmpfs -o size=512k,mode=0755 tmpfs "$MNT" || skip "cannot mount tmpfs here"
	mta -bp >/dev/null
	run mta -f root x@example.net < <(printf 'Subject: s\n\n'; head -c 2000000 /dev/zero | tr '\0' 'a' | fold -w 76)
	echo "$output"
	[[ "$status" -eq 75 || "$status" -eq 73 || "$status" -eq 74 ]]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"No space left on device"* ]]
	[ -z "$(ls -A "$MNT/queue")" ]
	[ -z "$(ls -A "$MNT/incoming")" ]
	# and it works again once there is room
	run mta -f root x@example.net < <(printf 'Subject: s\n\nsmall\n')
	[ "$status" -eq 0 ]
	[ "$(qfiles | wc -l)" -eq 1 ]
}

@test "spool: submitters starting at once on a new spool all succeed" {
	rm -rf "$T/spool"
	printf 'Subject: x\n\nx\n' >"$T/msg"
	# all wait on one lock, released at once: they race to make the spool
	exec 9>"$T/barrier"
	flock -x 9
	for i in $(seq 32); do
		flock -s "$T/barrier" "$MINIMTA" -C "$T/minimta.conf" -odq \
		    "r$i@example.net" <"$T/msg" 2>"$T/err.$i" &
	done
	flock -u 9
	exec 9>&-
	fail=0
	for j in $(jobs -p); do wait "$j" || fail=$((fail + 1)); done
	cat "$T"/err.* >&2
	[ "$fail" -eq 0 ]
	[ "$(qfiles | wc -l)" -eq 32 ]
	[ "$(stat -c %a "$T/spool/incoming")" = 3733 ]
	[ -p "$T/spool/trigger" ]
	[ -z "$(ls -A "$T/spool" | grep '^\.new\.')" ]
}

@test "spool: a bad drop file never overwrites one kept in corrupt/ (NAME, then NAME.1, NAME.2)" {
	mta -bp >/dev/null
	bad=00000000000002
	for n in one two three; do
		printf 'not a drop file: %s\n' "$n" >"$T/spool/incoming/$bad"
		chmod 0640 "$T/spool/incoming/$bad"
		run mta -q
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"incoming/$bad:"* ]]
		[ ! -e "$T/spool/incoming/$bad" ]
	done
	[ "$(cat "$T/spool/corrupt/$bad")" = "not a drop file: one" ]
	[ "$(cat "$T/spool/corrupt/$bad.1")" = "not a drop file: two" ]
	[ "$(cat "$T/spool/corrupt/$bad.2")" = "not a drop file: three" ]
	[ "$(ls -A "$T/spool/corrupt" | wc -l)" -eq 3 ]
}

@test "spool: removing a delivered message fsyncs queue/ after the unlink (strace)" {
	command -v strace >/dev/null || skip "needs strace"
	start_smtpd relay
	sed -i "s|^smarthost .*|smarthost smtp://$RELAY_HOST:$RELAY_PORT|" \
	    "$T/minimta.conf"
	mta -f root x@example.net < <(printf 'Subject: s\n\nb\n')
	id=$(qfiles)
	[ -n "$id" ]
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -o "$T/trace" \
	    -e trace=openat,open,unlink,unlinkat,fsync,exit_group \
	    "$MINIMTA" -C "$T/minimta.conf" -q 2>"$T/qlog"
	cat "$T/qlog"
	grep -q "$id: .*status=sent" "$T/qlog"
	[ -z "$(qfiles)" ]
	[ "$(find "$RELAY_SPOOL" -name '*.eml' | wc -l)" -eq 1 ]
	# the process that unlinked queue/ID, and where
	u=$(grep -nE "unlink(at\([0-9]+, )?\(?\"([^\"]*/)?$id\"" "$T/trace" | grep '= 0$' | head -1)
	echo "unlink: $u"
	[ -n "$u" ]
	l_unlink=${u%%:*}
	pid=$(echo "${u#*:}" | awk '{print $1}')
	# after it, the same process opens queue/ and fsyncs that descriptor
	seq=$(awk -v after="$l_unlink" -v pid="$pid" 'NR > after && $1 == pid' "$T/trace")
	echo "$seq"
	dfd=$(echo "$seq" | grep -m1 -E "openat\(.*\"([^\"]*/)?queue\", O_RDONLY(\|O_(NOFOLLOW|CLOEXEC|DIRECTORY))*\)" |
	    sed -E 's/.*= ([0-9]+)$/\1/')
	[ -n "$dfd" ]
	echo "$seq" | grep -qE "fsync\($dfd\) += 0"
}
