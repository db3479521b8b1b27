# harness.bash: shared helpers for the crash, I/O fault and race tests
# (tests/cli/crash.bats, faultio.bats, race.bats). Load after common,
# ../lib/servers and delivery:
#     load common; load ../lib/servers; load delivery; load ../lib/harness
#
# The spool belongs to an account of its own ($OWNER, made once per file by
# hx_setup_file), as installed: the owner's submissions go to queue/,
# nobody's through incoming/, and queue runs are the owner's. Needs root
# (useradd, setpriv); hx_setup_file skips the whole file without it.
#
#   hx_setup_file PREFIX / hx_teardown_file   the owner account
#   hx_setup / hx_teardown                    per test: $T, spool, servers
#   hx_conf URL [lines...]                    config (smarthost URL)
#   as_owner CMD... / as_nobody CMD...        run as that account
#   om ARGS... / nm ARGS...                   minimta as owner / nobody
#   hx_bg_owner CMD...                        in the background, pid HX_BG
#   hx_qrun [ARGS]                            one -q as the owner, log kept
#   hx_msg NAME                               a test message (file path)
#   hx_subject_count DIR NAME                 copies of hx_msg NAME received
#   hx_rcpt_count DIR ADDR [SENDER]           messages received for ADDR
#   hx_spool_settled                          nothing stuck in the spool

# (bats 1.8 cannot skip in setup_file: the reason is kept for hx_setup)
hx_setup_file()
{
	HX_SKIP=
	if [ "$(id -u)" -ne 0 ]; then
		HX_SKIP="needs root (useradd, setpriv)"
	elif ! command -v setpriv >/dev/null || ! command -v flock >/dev/null
	then
		HX_SKIP="needs setpriv and flock (util-linux)"
	fi
	export HX_SKIP
	[ -z "$HX_SKIP" ] || return 0
	OWNER=$1$$
	export OWNER
	useradd -r -M -U -d /nonexistent -s /usr/sbin/nologin "$OWNER"
}

hx_teardown_file()
{
	[ -n "${OWNER:-}" ] || return 0
	userdel "$OWNER" 2>/dev/null || true
	groupdel "$OWNER" 2>/dev/null || true
}

as_owner()
{
	setpriv --reuid="$OWNER" --regid="$OWNER" --clear-groups "$@"
}

as_nobody()
{
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# hx_bg_owner CMD...: CMD as the owner in the background; HX_BG is its
# pid (setpriv execs CMD: the pid is CMD's own, for kill -KILL), stopped at
# teardown if still running.
hx_bg_owner()
{
	setpriv --reuid="$OWNER" --regid="$OWNER" --clear-groups "$@" &
	HX_BG=$!
	DL_PIDS+=("$HX_BG")
}

# hx_setup: $T (readable by the owner and nobody), the spool owned by the
# owner and laid out by its first run, the binary reachable by both.
hx_setup()
{
	[ -z "${HX_SKIP:-}" ] || skip "$HX_SKIP"
	common_setup
	DL_PIDS=()
	: >"$T/log"
	mkdir -p "$T/spool"
	chown "$OWNER:$OWNER" "$T/spool"
	chmod 0755 "$T/spool"
	if ! as_nobody test -x "$MINIMTA"; then
		cp "$MINIMTA" "$T/minimta"
		chmod 0755 "$T/minimta"
		MINIMTA=$T/minimta
	fi
	hx_conf "smtp://127.0.0.1:1"
	as_owner "$MINIMTA" -C "$T/minimta.conf" -bp >/dev/null
	SPOOL=$(realpath "$T/spool")
}

hx_teardown()
{
	[ -n "${T:-}" ] || return 0
	dl_teardown
}

# hx_conf URL [extra lines...]: delivery.bash's config, readable by all.
hx_conf()
{
	dl_conf "$@"
	chmod 0644 "$T/minimta.conf"
}

om()
{
	as_owner "$MINIMTA" -C "$T/minimta.conf" "$@"
}

nm()
{
	as_nobody "$MINIMTA" -C "$T/minimta.conf" "$@"
}

# hx_qrun [ARGS]: a queue run as the owner; its log goes to $T/qlog and is
# added to $T/log. Returns its exit status.
hx_qrun()
{
	local rc=0
	om -q "$@" 2>"$T/qlog" || rc=$?
	cat "$T/qlog" >>"$T/log"
	return "$rc"
}

# hx_msg NAME: writes a message with Subject "hx NAME" and a body whose
# last line names it too (so that a cut-off copy is seen); prints its path.
hx_msg()
{
	local f=$T/msg.$1
	{
		printf 'Subject: hx %s\nX-Hx: %s\n\n' "$1" "$1"
		printf 'line %s of the body\n' 1 2 3
		printf 'end of %s\n' "$1"
	} >"$f"
	echo "$f"
}

# hx_subject_count DIR NAME: messages in an smtpd.py spool with that
# subject; each must also be complete (its last line there).
hx_subject_count()
{
	local f n=0 files
	files=$(grep -lx "Subject: hx $2"$'\r' "$1"/*.eml 2>/dev/null)
	for f in $files; do
		if ! grep -qx "end of $2"$'\r' "$f"; then
			echo "hx_subject_count: $f is cut off" >&2
			n=$((n + 1000))
		fi
		n=$((n + 1))
	done
	echo "$n"
}

# hx_subjects DIR: "COUNT SUBJECT" for every subject received, sorted.
hx_subjects()
{
	cat "$1"/*.eml 2>/dev/null | tr -d '\r' | sed -n 's/^Subject: //p' |
	    sort | uniq -c | sed -E 's/^ +//'
}

# hx_rcpt_count DIR ADDR [SENDER]: messages received for ADDR (from SENDER
# when given; aiosmtpd writes the null sender as "<>").
hx_rcpt_count()
{
	local n
	if [ $# -ge 3 ]; then
		n=$(cat "$1"/*.env 2>/dev/null |
		    jq -r --arg a "$2" --arg s "$3" 'select(.mail_from == $s) |
		    .rcpt_tos[] | select(. == $a)' | wc -l)
	else
		n=$(cat "$1"/*.env 2>/dev/null | jq -r --arg a "$2" \
		    '.rcpt_tos[] | select(. == $a)' | wc -l)
	fi
	echo "$n"
}

# hx_expect_killed POINT: after `run`, the process must have died by
# SIGKILL at the named crash point; anything else means the point is
# missing (or was never reached).
hx_expect_killed()
{
	if [ "$status" -ne 137 ]; then
		echo "crash point $1 missing or not reached: exit $status," \
		    "not 137 (SIGKILL)" >&2
		echo "$output" >&2
		return 1
	fi
}

# hx_age_temps: makes every temporary (dot) file in queue/ and incoming/
# two days old, as if the crash was long ago: the runner must clean them.
hx_age_temps()
{
	local f
	for f in "$T/spool/queue"/.[!.]* "$T/spool/incoming"/.[!.]*; do
		[ -e "$f" ] || continue
		echo "temporary file left: ${f#"$T"/}" >&2
		touch -h -d '2 days ago' "$f"
	done
}

# hx_spool_settled: nothing stuck: after stale temporaries are aged and a
# queue run has had its turn, queue/, incoming/ and corrupt/ are empty and
# mailq says so.
hx_spool_settled()
{
	local q i c out
	hx_age_temps
	hx_qrun || true
	q=$(ls -A "$T/spool/queue")
	i=$(ls -A "$T/spool/incoming")
	c=$(ls -A "$T/spool/corrupt")
	if [ -n "$q$i$c" ]; then
		echo "spool not settled: queue=[$q] incoming=[$i]" \
		    "corrupt=[$c]" >&2
		return 1
	fi
	out=$(om -bp 2>&1) || { echo "mailq failed: $out" >&2; return 1; }
	[[ "$out" == *"Mail queue is empty"* ]] || {
		echo "mailq: $out" >&2
		return 1
	}
}

# hx_procs_gone: no process has our config on its command line (the
# detached -odb children, which are not ours to wait for).
hx_procs_gone()
{
	local p c
	for p in /proc/[0-9]*; do
		c=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		if [[ "$c" == *"$T/minimta.conf"* ]]; then
			HX_LEFT="${p#/proc/} $c"
			return 1
		fi
	done
	return 0
}
