# Shared helpers for the delivery-engine bats files (delivery, tls, faults,
# runner, mx). Load after common.bash and ../lib/servers:
#     load common; load ../lib/servers; load delivery
# Each test has its own $T (common_setup); minimta's stderr log of every
# run made through these helpers is appended to $T/log.

# dl_setup: per-test directory, test CA, no config yet.
dl_setup()
{
	common_setup
	make_ca
	: >"$T/log"
	DL_PIDS=()
}

dl_teardown()
{
	local p
	for p in "${DL_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	stop_servers
	common_teardown
}

# dl_conf URL [extra config lines...]: a config sending everything to URL
# with deadlines short enough for tests (URL "" for MX delivery). Not
# common.bash's write_conf: that one adds a dead smarthost.
dl_conf()
{
	local url=$1 l
	shift
	{
		echo "spool $T/spool"
		echo "log stderr"
		echo "hostname test.example"
		echo "domain example.org"
		[ -n "$url" ] && echo "smarthost $url"
		echo "connect_timeout 2s"
		echo "command_timeout 3s"
		echo "data_timeout 3s"
		echo "concurrency 4"
		for l in "$@"; do echo "$l"; done
		# the suite runs as root, and its throwaway spools are root's:
		# say so (minimta refuses a root-owned spool otherwise), after
		# the extra lines so that their line numbers stay put
		case " $* " in *" spool_owner "*) ;; *) echo "spool_owner root" ;; esac
	} >"$T/minimta.conf"
}

# dl_msg: the test message (LF line ends).
DL_MSG=$'Subject: test\nX-Test: 1\n\nline one\n.leading dot\nlast line\n'

# send [minimta args...] rcpt...: queues DL_MSG (-odq).
send()
{
	printf '%s' "${DL_MSG}" | "$MINIMTA" -C "$T/minimta.conf" -odq "$@" \
	    2>>"$T/log"
}

# qrun [args]: one queue run (-q ARGS); its log goes to $T/qlog and $T/log.
qrun()
{
	local rc=0
	"$MINIMTA" -C "$T/minimta.conf" -q "$@" 2>"$T/qlog" || rc=$?
	cat "$T/qlog" >>"$T/log"
	return "$rc"
}

# count_eml DIR: messages an smtpd.py spool holds.
count_eml()
{
	local n
	n=$(find "$1" -name '*.eml' 2>/dev/null | wc -l)
	echo "$n"
}

# envf FILE.env JQ-EXPR: one field of a smtpd.py envelope, compact JSON.
envf()
{
	jq -c "$2" "$1"
}

# The queue ids in $T/spool/queue (message files only).
qids()
{
	qfiles
}

nqueued()
{
	qfiles | wc -l
}

# qstate_of ID: the state file of a queued message.
qstate_of()
{
	cat "$T/spool/queue/$1.state"
}

# log_has REGEX [FILE]: an extended regex matches a line of the log.
log_has()
{
	grep -Eq -- "$1" "${2:-$T/log}" || {
		echo "log lacks /$1/:" >&2
		cat "${2:-$T/log}" >&2
		return 1
	}
}

log_count()
{
	grep -Ec -- "$1" "${2:-$T/log}" || true
}

# transcript_cmds FILE: the commands a faultsmtp client sent (no events,
# no message data lines), e.g. "EHLO", "MAIL", "RCPT", "DATA", "QUIT".
transcript_verbs()
{
	grep -v '^#conn' "$1" | awk '{print toupper($1)}' |
	    grep -E '^(EHLO|HELO|MAIL|RCPT|DATA|RSET|QUIT|STARTTLS|AUTH|NOOP)$'
}

# conns FILE: connections a faultsmtp served.
conns()
{
	grep -c '^#conn [0-9]* open' "$1" || true
}

# dl_bg CMD...: runs CMD in the background, killed at teardown.
dl_bg()
{
	"$@" &
	DL_PIDS+=("$!")
	DL_LAST=$!
}
