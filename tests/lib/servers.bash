# servers.bash: real servers on loopback for bats tests.
# In a tests/cli/*.bats file:   load ../lib/servers
#
#   setup()    { make_ca; }                 # optional: $CA_DIR/{ca,server,..}
#   teardown() { stop_servers; }            # always: stops what was started
#   @test ... {
#       start_smtpd mx --dsn --starttls "$CA_DIR/server.pem" "$CA_DIR/server.key"
#       ... minimta sends to $MX_HOST:$MX_PORT ...
#       wait_for_file "$MX_SPOOL/0001.eml"
#   }
#
# start_smtpd NAME [smtpd.py options]     tests/lib/smtpd.py (see its --help)
# start_faultsmtp NAME SCRIPT|- [options]  tests/lib/faultsmtp.py; "-" reads
#                                          the script from stdin (heredoc)
# start_sink NAME [smtp-sink options]      Postfix smtp-sink; skips the test
#                                          if tests/deps.sh did not install it
# Each exports, with NAME upper-cased and non-alphanumerics turned into "_":
#   NAME_HOST NAME_PORT NAME_DIR NAME_PID NAME_LOG, and
#   smtpd:     NAME_SPOOL (messages: 0001.eml + 0001.env, ...)
#   faultsmtp: NAME_TRANSCRIPT (client lines; NAME_TRANSCRIPT.N.raw bytes)
#   sink:      NAME_MSGS (one file per message)
# Without --host, servers get distinct addresses 127.0.0.2 ... 127.0.0.9 (all
# in the test certificate); the port is chosen by the server (port 0) and
# read back from a file it writes once it listens, so nothing connects to a
# server before the test does (faultsmtp counts connections).
# Files go to $SERVERS_DIR/NAME (default: $BATS_TEST_TMPDIR, or
# $BATS_FILE_TMPDIR in setup_file). Never start servers inside `run`.
#
# Also: free_port [HOST], wait_for_port HOST PORT [TIMEOUT],
# wait_for_file FILE [TIMEOUT], wait_until TIMEOUT CMD..., stop_server NAME,
# stop_servers, make_ca, py ARGS (python with a timeout). Timeouts are in
# seconds (default 10); waits poll, nothing sleeps a fixed time.

SERVERS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHON

_servers_dir()
{
	echo "${SERVERS_DIR:-${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}}"
}

_servers_registry()
{
	echo "${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}/.servers"
}

_servers_var()
{
	local v
	v=$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]' | tr -c 'A-Z0-9_' '_')
	case $v in [0-9]*) v=_$v ;; esac
	echo "$v"
}

# _servers_alive PID: running and not a zombie.
_servers_alive()
{
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# _servers_host ARGS...: the --host in ARGS, or the next free 127.0.0.x.
_servers_host()
{
	local prev="" a n reg
	for a in "$@"; do
		if [ "$prev" = --host ]; then
			echo "$a"
			return
		fi
		case $a in --host=*) echo "${a#--host=}"; return ;; esac
		prev=$a
	done
	reg=$(_servers_registry)
	n=0
	[ -f "$reg" ] && n=$(wc -l <"$reg")
	echo "127.0.0.$((n % 8 + 2))"
}

_servers_has_host()
{
	local a
	for a in "$@"; do
		case $a in --host|--host=*) return 0 ;; esac
	done
	return 1
}

py()
{
	timeout "${PY_TIMEOUT:-20}" "$PYTHON" "$@"
}

free_port()
{
	"$PYTHON" -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

# free_dns_port ADDR: a port free on ADDR for both UDP and TCP (a DNS
# server needs both).
free_dns_port()
{
	"$PYTHON" -c 'import socket, sys
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        u.bind((sys.argv[1], 0))
        t.bind((sys.argv[1], u.getsockname()[1]))
    except OSError:
        continue
    print(u.getsockname()[1]); break' "$1"
}

# wait_until TIMEOUT CMD...: polls CMD every 50 ms until it succeeds.
wait_until()
{
	local timeout=$1 end
	shift
	end=$((SECONDS + ${timeout%.*} + 1))
	while ! "$@"; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "wait_until: timed out after ${timeout}s: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

_servers_listening()
{
	if command -v ss >/dev/null 2>&1; then
		ss -Hltn "sport = :$2" 2>/dev/null | grep -qF " $1:$2 "
	else
		# Connects: do not use on faultsmtp (it counts connections).
		timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
	fi
}

# wait_for_port HOST PORT [TIMEOUT]: until something listens there; uses ss,
# so it opens no connection.
wait_for_port()
{
	wait_until "${3:-10}" _servers_listening "$1" "$2"
}

# wait_for_file FILE [TIMEOUT]: until FILE exists and is not empty.
wait_for_file()
{
	wait_until "${2:-10}" test -s "$1"
}

# _servers_wait_port_file FILE PID TIMEOUT NAME: the server's port, or fail
# early with its stderr if it died.
_servers_wait_port_file()
{
	local file=$1 pid=$2 end=$((SECONDS + $3 + 1)) name=$4
	while [ ! -s "$file" ]; do
		if ! _servers_alive "$pid"; then
			echo "$name: server exited before listening:" >&2
			cat "$(dirname "$file")/stderr" >&2 2>/dev/null
			return 1
		fi
		if [ "$SECONDS" -ge "$end" ]; then
			echo "$name: server not listening after $3 s" >&2
			return 1
		fi
		sleep 0.05
	done
}

_servers_register()
{
	echo "$1 $2" >>"$(_servers_registry)"
}

# _servers_launch NAME PROG ARGS...: starts a python server writing
# DIR/port, DIR/pid; sets the common exported variables.
_servers_launch()
{
	local name=$1 prog=$2 dir v host pid
	shift 2
	v=$(_servers_var "$name")
	dir=$(_servers_dir)/$name
	mkdir -p "$dir"
	rm -f "$dir/port"
	host=$(_servers_host "$@")
	if ! _servers_has_host "$@"; then
		set -- --host "$host" "$@"
	fi
	"$PYTHON" "$SERVERS_LIB/$prog" --port-file "$dir/port" \
	    --pid-file "$dir/pid" --log "$dir/log" "$@" \
	    </dev/null >"$dir/stdout" 2>"$dir/stderr" 3>&- &
	pid=$!
	_servers_register "$pid" "$name"
	_servers_wait_port_file "$dir/port" "$pid" 10 "$name" || return 1
	export "${v}_HOST=$host" "${v}_PORT=$(cat "$dir/port")" \
	    "${v}_DIR=$dir" "${v}_PID=$pid" "${v}_LOG=$dir/log"
}

start_smtpd()
{
	local name=${1:?start_smtpd NAME [options]} v dir
	shift
	v=$(_servers_var "$name")
	dir=$(_servers_dir)/$name
	_servers_launch "$name" smtpd.py --spool "$dir/spool" "$@" || return 1
	export "${v}_SPOOL=$dir/spool"
}

start_faultsmtp()
{
	local name=${1:?start_faultsmtp NAME SCRIPT [options]} script=${2:-} v dir
	shift 2 || true
	v=$(_servers_var "$name")
	dir=$(_servers_dir)/$name
	mkdir -p "$dir"
	if [ "$script" = - ]; then
		cat >"$dir/script"
		script=$dir/script
	fi
	[ -f "$script" ] || { echo "start_faultsmtp: no script '$script'" >&2; return 1; }
	rm -f "$dir/transcript" "$dir"/transcript.*.raw
	_servers_launch "$name" faultsmtp.py --script "$script" \
	    --transcript "$dir/transcript" "$@" || return 1
	export "${v}_TRANSCRIPT=$dir/transcript"
}

# start_sink NAME [smtp-sink options]: a free port is picked; tried 3 times
# in case another process takes the port in between.
start_sink()
{
	local name=${1:?start_sink NAME [options]} v dir host port out rc
	shift
	v=$(_servers_var "$name")
	dir=$(_servers_dir)/$name
	mkdir -p "$dir"
	host=$(_servers_host)
	for _ in 1 2 3; do
		port=$(free_port "$host")
		out=$("$SERVERS_LIB/smtp-sink.sh" start "$dir" "$host" "$port" \
		    "$@" 2>&1)
		rc=$?
		if [ "$rc" -eq 77 ]; then
			skip "smtp-sink not installed, run tests/deps.sh"
		fi
		if [ "$rc" -eq 0 ]; then
			_servers_register "$(cat "$dir/sink.pid")" "$name"
			export "${v}_HOST=$host" "${v}_PORT=$port" \
			    "${v}_DIR=$dir" "${v}_PID=$(cat "$dir/sink.pid")" \
			    "${v}_LOG=$dir/sink.log" "${v}_MSGS=$dir/msgs"
			return 0
		fi
	done
	echo "start_sink: $out" >&2
	return 1
}

# _servers_kill PID: TERM, up to 5 s, then KILL; reaps it if it is our child.
_servers_kill()
{
	local pid=$1
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		_servers_alive "$pid" || break
		sleep 0.05
	done
	if _servers_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# stop_server NAME: stops one server (e.g. to test a server going away).
stop_server()
{
	local reg pid name rest
	reg=$(_servers_registry)
	[ -f "$reg" ] || return 0
	while read -r pid name; do
		[ "$name" = "$1" ] && _servers_kill "$pid"
	done <"$reg"
	rest=$(awk -v n="$1" '$2 != n' "$reg")
	printf '%s\n' "$rest" | sed '/^$/d' >"$reg"
}

# stop_servers: stops every server this test (or setup_file) started.
stop_servers()
{
	local reg pid name
	reg=$(_servers_registry)
	[ -f "$reg" ] || return 0
	while read -r pid name; do
		[ -n "$pid" ] && _servers_kill "$pid"
	done <"$reg"
	rm -f "$reg"
}

# make_ca: the test PKI (tests/lib/mkca.sh), made once per bats run and
# shared; exports CA_DIR.
make_ca()
{
	CA_DIR=${BATS_RUN_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}/ca
	export CA_DIR
	"$SERVERS_LIB/mkca.sh" "$CA_DIR"
}
