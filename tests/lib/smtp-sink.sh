#!/usr/bin/env bash
# smtp-sink.sh: runs Postfix's smtp-sink / smtp-source from the copy that
# tests/deps.sh unpacked (no postfix installed as the MTA).
#
#   smtp-sink.sh start DIR HOST PORT [smtp-sink options...]
#       starts smtp-sink in the background on HOST:PORT, waits until it
#       listens (10 s at most). Each message it receives is dumped to
#       DIR/msgs/ (one file per message: X-Client-*, X-Helo-Args,
#       X-Mail-Args, X-Rcpt-Args, Received headers, then the message).
#       Writes DIR/sink.pid, logs to DIR/sink.log.
#   smtp-sink.sh stop DIR       stops it (TERM, then KILL after 5 s)
#   smtp-sink.sh sink-path      prints the smtp-sink binary's path
#   smtp-sink.sh source-path    prints the smtp-source binary's path
#   smtp-sink.sh source ARGS... runs smtp-source ARGS (for benchmarks)
#   smtp-sink.sh env            prints LD_LIBRARY_PATH=... for eval
#
# If the binaries are missing: prints "skip: smtp-sink not installed, run
# tests/deps.sh" and exits 77 (the automake "skipped" code).
# The install location is $MINIMTA_TEST_DIR/postfix (default
# /opt/minimta-test/postfix), the same as in tests/deps.sh.
set -u

PF_ROOT=${MINIMTA_TEST_DIR:-/opt/minimta-test}/postfix/root
SINK=$PF_ROOT/usr/sbin/smtp-sink
SOURCE=$PF_ROOT/usr/sbin/smtp-source
LIBDIR=$PF_ROOT/usr/lib/postfix

need()
{
	if [ ! -x "$SINK" ] || [ ! -x "$SOURCE" ] || [ ! -d "$LIBDIR" ]; then
		echo "skip: smtp-sink not installed, run tests/deps.sh"
		exit 77
	fi
}

listening()
{
	ss -Hltn "sport = :$2" 2>/dev/null | grep -qF " $1:$2 "
}

start()
{
	local dir=${1:?start DIR HOST PORT} host=${2:?HOST} port=${3:?PORT}
	local pid
	shift 3
	need
	mkdir -p "$dir/msgs"
	local user=()
	if [ "$(id -u)" -eq 0 ]; then
		# As root smtp-sink insists on -u; "nobody" could not write into
		# the tests' private temp dirs, and this is a loopback test sink.
		user=(-u root)
	fi
	LD_LIBRARY_PATH=$LIBDIR "$SINK" "${user[@]}" -d "$dir/msgs/msg." "$@" \
	    "$host:$port" 64 </dev/null >>"$dir/sink.log" 2>&1 3>&- &
	pid=$!
	echo "$pid" >"$dir/sink.pid"
	for _ in $(seq 100); do
		listening "$host" "$port" && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "smtp-sink.sh: smtp-sink exited:" >&2
			cat "$dir/sink.log" >&2
			rm -f "$dir/sink.pid"
			return 1
		fi
		sleep 0.1
	done
	echo "smtp-sink.sh: smtp-sink not listening on $host:$port" >&2
	stop "$dir"
	return 1
}

stop()
{
	local dir=${1:?stop DIR} pid
	[ -f "$dir/sink.pid" ] || return 0
	pid=$(cat "$dir/sink.pid")
	rm -f "$dir/sink.pid"
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
start) start "$@" ;;
stop) stop "$@" ;;
sink-path) need; echo "$SINK" ;;
source-path) need; echo "$SOURCE" ;;
source) need; LD_LIBRARY_PATH=$LIBDIR exec "$SOURCE" "$@" ;;
env) need; echo "LD_LIBRARY_PATH=$LIBDIR" ;;
*)
	echo "usage: smtp-sink.sh start DIR HOST PORT [args] | stop DIR |" \
	    "sink-path | source-path | source ARGS | env" >&2
	exit 2
	;;
esac
