#!/usr/bin/env bash
# bench/deliver.sh: how fast the queue runner drains a queue into Postfix's
# smtp-sink, next to smtp-source -> smtp-sink (the ceiling of this machine)
# in the same run. Not a test: run by hand or with `make bench`.
#
#   bench/deliver.sh            10,000 messages of 4 KB, concurrency 8
#   N=2000 SIZE=65536 CONC=4 ROUNDS=5 bench/deliver.sh
#   MINIMTA=build-asan/minimta bench/deliver.sh
#
# smtp-source -d keeps its CONC sessions open, as the runner does.
# ROUNDS (default 3) rounds, each: the ceiling; N messages queued through
# `minimta -odq` (16 submitters in parallel), then one `minimta -q` timed
# (under /usr/bin/time -v for the peak RSS) into smtp-sink -c, whose
# counters give the messages and the sessions (connections) it saw; as
# root, the same N dropped by nobody and drained the same way. Each round
# also times the removal floor (bench/floor.c remove) on a copy of the
# queue: what any queue of one file a message pays to take and remove
# those N files, nothing sent. Prints each round, then the medians and
# the median of each round's ratio. With BENCH_VS (another MTA's
# queue-only sendmail command, as in submit.sh) and BENCH_VS_FLUSH (a
# shell command that delivers its queue to $BENCH_SINK, HOST:PORT) each
# round also drains N messages through that MTA (vs_drain below), e.g.
#   BENCH_VS='minimta -C vs.conf -odq' \
#   BENCH_VS_FLUSH='minimta -C vs.conf -O smarthost=smtp://$BENCH_SINK -q'
# Last, a link with a round trip of LINK_RTT ms (default 20, 0 skips;
# bench/lib/delayproxy.py in front of the sink): LINK_N (default 800)
# messages by smtp-source and by the runner, in round trips a message
# (time / (LINK_N / CONC * LINK_RTT)).
# Needs tests/deps.sh (smtp-sink) and the `time` package. Exits non-zero
# if a message is lost.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib/table.sh"
MINIMTA=${MINIMTA:-$top/minimta}
N=${N:-10000}
SIZE=${SIZE:-4096}
CONC=${CONC:-8}
ROUNDS=${ROUNDS:-3}
HOST=${BENCH_HOST:-127.0.0.7}
sinkctl=$top/tests/lib/smtp-sink.sh

die() { echo "bench/deliver.sh: $*" >&2; exit 1; }

[ -x "$MINIMTA" ] || die "no binary $MINIMTA (make first)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
if ! "$sinkctl" sink-path >/dev/null 2>&1; then
	echo "bench/deliver.sh: smtp-sink not installed, run tests/deps.sh" >&2
	exit 77
fi
SINK=$("$sinkctl" sink-path)
SOURCE=$("$sinkctl" source-path)
eval "export $("$sinkctl" env)"

work=$(mktemp -d "${TMPDIR:-/tmp}/minimta-bench.XXXXXX")
sink_pid=
link_pid=
cleanup()
{
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
	[ -n "$link_pid" ] && kill "$link_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

free_port()
{
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

# sink_start NAME [keep-port]: smtp-sink with counters (-c) on
# $HOST:$PORT, a new port unless keep-port.
sink_start()
{
	local user=()
	[ "$(id -u)" -eq 0 ] && user=(-u root)
	[ "${2:-}" = keep-port ] || PORT=$(free_port "$HOST")
	"$SINK" "${user[@]}" -c "$HOST:$PORT" 256 >"$work/$1.count" 2>&1 &
	sink_pid=$!
	for _ in $(seq 100); do
		ss -Hltn "sport = :$PORT" | grep -qF " $HOST:$PORT " && return 0
		sleep 0.05
	done
	die "smtp-sink did not start: $(cat "$work/$1.count")"
}

# sink_stop NAME: prints "SESSIONS MESSAGES" from the last counter line.
sink_stop()
{
	kill "$sink_pid" 2>/dev/null
	wait "$sink_pid" 2>/dev/null || true
	sink_pid=
	tr '\r' '\n' <"$work/$1.count" | grep '^sess=' | tail -n 1 |
	    sed -E 's/^sess=([0-9]+) quit=[0-9]+ mesg=([0-9]+).*/\1 \2/'
}

# link_start: bench/lib/delayproxy.py on $HOST:$LINK_PORT in front of the
# sink, LINK_RTT ms a round trip; link_stop ends it.
link_start()
{
	/usr/bin/python3 "$top/bench/lib/delayproxy.py" "$HOST" "$LINK_PORT" \
	    "$HOST" "$PORT" "$(echo "$LINK_RTT" | awk '{ print $1 / 2 }')" &
	link_pid=$!
	for _ in $(seq 100); do
		ss -Hltn "sport = :$LINK_PORT" | grep -qF " $HOST:$LINK_PORT " &&
		    return 0
		sleep 0.05
	done
	die "delayproxy.py did not start"
}
link_stop()
{
	[ -n "$link_pid" ] || return 0
	kill "$link_pid" 2>/dev/null
	wait "$link_pid" 2>/dev/null || true
	link_pid=
}

now() { date +%s.%N; }
rate() { echo "$1 $2" | awk '{ printf "%.0f", $1 / ($2 > 0 ? $2 : 1e-9) }'; }

# ceiling: smtp-source -> smtp-sink; sets csess cmsgs ctime crate
ceiling()
{
	local t0 t1
	sink_start ceiling
	[ -z "${LINK_PORT:-}" ] || link_start
	t0=$(now)
	"$SOURCE" -d -s "$CONC" -m "$N" -l "$SIZE" -f bench@example.org \
	    -t sink@example.net "$HOST:${LINK_PORT:-$PORT}" >/dev/null
	t1=$(now)
	link_stop
	read -r csess cmsgs <<<"$(sink_stop ceiling)"
	ctime=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
	crate=$(rate "$cmsgs" "$ctime")
}

${CC:-cc} -O2 -o "$work/floor" "$top/bench/floor.c" || die "cannot build bench/floor.c"

# --- the spool and its configuration (drain() sets the port) --------------
PORT=1
chmod 0755 "$work"
# as root, nobody drops too: it must reach the binary
cp "$MINIMTA" "$work/minimta"
chmod 0755 "$work/minimta"
MTA=$work/minimta
cat >"$work/minimta.conf" <<CONF
spool $work/spool
log stderr
# a throwaway spool: run as root, it is root's (else refused)
spool_owner root
hostname bench.example
domain example.org
smarthost smtp://$HOST:$PORT
concurrency $CONC
CONF
chmod 0644 "$work/minimta.conf"
/usr/bin/python3 - "$SIZE" >"$work/msg" <<'PY'
import sys
size = int(sys.argv[1])
head = "Subject: bench\nFrom: bench@example.org\nTo: sink@example.net\n\n"
line = "x" * 75 + "\n"
body = line * max(1, (size - len(head)) // len(line))
sys.stdout.write(head + body)
PY
chmod 0644 "$work/msg"

# queue_all [WRAPPER...]: N submissions, 16 at a time, as WRAPPER runs them
queue_all()
{
	/usr/bin/python3 - "$MTA" "$work/minimta.conf" "$work/msg" "$N" "$@" <<'PY'
import concurrent.futures, os, shlex, subprocess, sys
mta, conf, msg, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
wrap = sys.argv[5:]
# VS_CMD: another MTA's queue-only command instead (BENCH_VS)
cmd = shlex.split(os.environ.get("VS_CMD", "")) or [mta, "-C", conf, "-odq"]
def one(i):
    with open(msg, "rb") as f:
        r = subprocess.run(wrap + cmd + ["-f", "bench@example.org",
                                         "sink%d@example.net" % i],
                           stdin=f, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.stderr.write("submission %d: exit %d: %s" % (i, r.returncode,
                         r.stderr.decode(errors="replace")[-500:]))
    return r.returncode
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    bad = sum(1 for rc in ex.map(one, range(n)) if rc != 0)
if bad:
    sys.exit("%d submissions failed" % bad)
PY
}

# drain NAME: one `minimta -q` into a new smtp-sink (through the link
# when LINK_PORT is set); sets msgs sess dtime drate rss sent left
drain()
{
	local t0 t1
	sink_start "$1"
	[ -z "${LINK_PORT:-}" ] || link_start
	sed -i "s|^smarthost .*|smarthost smtp://$HOST:${LINK_PORT:-$PORT}|" \
	    "$work/minimta.conf"
	# each drain starts with its messages on disk: nobody's submitters
	# cannot fsync incoming/ (the owner's fsync queue/), and the kernel's
	# writeback of their entries would otherwise fall in the drop drain
	sync
	t0=$(now)
	/usr/bin/time -v -o "$work/time" "$MTA" -C "$work/minimta.conf" -q \
	    2>"$work/runner.log"
	t1=$(now)
	link_stop
	read -r sess msgs <<<"$(sink_stop "$1")"
	dtime=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
	drate=$(rate "$msgs" "$dtime")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
	sent=$(grep -c 'status=sent' "$work/runner.log" || true)
	left=$(find "$work/spool/queue" "$work/spool/incoming" -maxdepth 1 \
	    -type f ! -name '.*' | wc -l)
	[ "$msgs" -eq "$N" ] && [ "$left" -eq 0 ] ||
	    die "$1: lost or undelivered messages ($msgs sent, $left left)"
}

# sink_count NAME: the messages smtp-sink has counted so far
sink_count()
{
	awk 'BEGIN { RS = "[\r\n]"; n = 0 }
	/^sess=/ { v = $0; sub(/.* mesg=/, "", v); n = v + 0 }
	END { print n }' "$work/$1.count"
}

# vs_drain: BENCH_VS queues N (its queue-only command), then
# BENCH_VS_FLUSH (a shell command; BENCH_SINK is HOST:PORT of the sink,
# BENCH_SINK_HOST and BENCH_SINK_PORT its parts) is timed until the sink
# has counted N messages (at most VS_TIMEOUT s, default 600); once it
# has returned and a second passes without a message, it runs again, as
# an admin would (dma's queue run opens a connection a message, and
# what the sink refuses waits for the next run). The sink starts after
# the queueing: what the MTA tries at once is deferred, not delivered.
# Sets vtime vsess vflushes.
vs_drain()
{
	local t0 t1 end pid last seen idle
	PORT=$(free_port "$HOST")
	export BENCH_SINK="$HOST:$PORT" BENCH_SINK_HOST="$HOST"
	export BENCH_SINK_PORT="$PORT"
	VS_CMD=$BENCH_VS queue_all
	sink_start vs keep-port
	sync
	end=$(( $(date +%s) + ${VS_TIMEOUT:-600} ))
	vflushes=0 pid= last=0 idle=0
	t0=$(now)
	while :; do
		seen=$(sink_count vs)
		[ "$seen" -lt "$N" ] || break
		[ "$(date +%s)" -lt "$end" ] ||
		    die "BENCH_VS: $seen of $N messages in ${VS_TIMEOUT:-600} s"
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" ||
			    die "BENCH_VS_FLUSH failed: $(tail -n 3 "$work/vs.log")"
			pid=
		fi
		[ "$seen" -eq "$last" ] && idle=$((idle + 1)) || idle=0
		last=$seen
		if [ -z "$pid" ] && { [ "$vflushes" -eq 0 ] || [ "$idle" -ge 50 ]; }; then
			sh -c "$BENCH_VS_FLUSH" >>"$work/vs.log" 2>&1 &
			pid=$! vflushes=$((vflushes + 1)) idle=0
		fi
		sleep 0.02
	done
	t1=$(now)
	[ -z "$pid" ] || wait "$pid" || true
	read -r vsess _ <<<"$(sink_stop vs)"
	vtime=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
}

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }

drops=no
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
    id nobody >/dev/null 2>&1; then
	drops=yes
fi
"$MTA" -C "$work/minimta.conf" -bp >/dev/null
echo "bench/deliver.sh: $N messages of $SIZE bytes, concurrency $CONC, $(nproc) CPUs, $ROUNDS rounds"
: >"$work/rounds"
for r in $(seq "$ROUNDS"); do
	ceiling
	t0=$(now)
	queue_all
	t1=$(now)
	qtime=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
	queued=$(find "$work/spool/queue" -maxdepth 1 -type f \
	    ! -name '*.state' ! -name '.*' | wc -l)
	[ "$queued" -eq "$N" ] || die "queued $queued of $N messages"
	# the removal floor, on a copy of the same queue (not timed: the
	# copy and its sync)
	rm -rf "$work/rmcopy"
	cp -a "$work/spool/queue" "$work/rmcopy"
	sync
	t0=$(now)
	"$work/floor" remove "$work/rmcopy" "$CONC" || die "floor remove failed"
	t1=$(now)
	rtime=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
	drain minimta
	otime=$dtime orss=$rss osess=$sess
	ptime=- prss=-
	if [ "$drops" = yes ]; then
		queue_all setpriv --reuid=nobody --regid=nogroup --clear-groups
		dropped=$(find "$work/spool/incoming" -maxdepth 1 -type f \
		    ! -name '.*' | wc -l)
		[ "$dropped" -eq "$N" ] || die "dropped $dropped of $N messages"
		drain drops
		ptime=$dtime prss=$rss
	fi
	vtime=-
	if [ -n "${BENCH_VS:-}" ] && [ -n "${BENCH_VS_FLUSH:-}" ]; then
		vs_drain
		echo "round $r: BENCH_VS drain ${vtime}s ($vsess connections, $vflushes runs of BENCH_VS_FLUSH)"
	fi
	echo "$ctime $qtime $otime $ptime $osess $orss $prss $rtime $vtime" \
	    >>"$work/rounds"
	echo "round $r: ceiling ${ctime}s ($csess connections), queueing" \
	    "${qtime}s, removal floor ${rtime}s, drain ${otime}s ($osess connections, runner peak RSS" \
	    "${orss} KB), ratio $(echo "$ctime $otime" |
	    awk '{ printf "%.2f", $1 / $2 }')$( [ "$drops" = no ] ||
	    echo "; drop files ${ptime}s (RSS ${prss} KB), $(echo "$ptime $otime" |
	    awk '{ printf "%.2f", $1 / $2 }')x the owner's")"
done
col() { awk -v c="$1" '{ print $c }' "$work/rounds" | median; }
ratio() {
	awk -v a="$1" -v b="$2" '{ print $a / $b }' "$work/rounds" | median |
	    awk '{ printf "%.2f", $1 }'
}
ct=$(col 1) qt=$(col 2) ot=$(col 3)
echo "medians of $ROUNDS rounds:"
echo "ceiling (smtp-source -> smtp-sink): ${ct}s = $(rate "$N" "$ct") msg/s over $CONC connections"
echo "queueing (minimta -odq, 16 parallel): ${qt}s = $(rate "$N" "$qt") msg/s"
echo "drain (minimta -q -> smtp-sink): ${ot}s = $(rate "$N" "$ot") msg/s"
echo "ratio to ceiling (median of the rounds' ratios): $(ratio 1 3) (target: >= 0.90)"
rt=$(col 8)
echo "removal floor (bench/floor.c remove: open, lock, read, unlink, close of the same $N queue files by $CONC processes, nothing sent): ${rt}s = $(ratio 8 1) of the ceiling's time"
echo "drain's time / (ceiling's + removal floor's), median of the rounds: $(awk '{ print $3 / ($1 + $8) }' "$work/rounds" | median | awk '{ printf "%.2f", $1 }')"
echo "connections used: $(col 5); runner peak RSS: $(col 6) KB"
if [ "$drops" = yes ]; then
	pt=$(col 4)
	echo "drain of $N drop files (nobody, incoming/): ${pt}s = $(rate "$N" "$pt") msg/s; runner peak RSS $(col 7) KB"
	echo "ratio to the owner's drain (median of the rounds' ratios): $(ratio 4 3)x the time (target: <= 1.20x)"
fi
if [ "$(col 9)" != - ]; then
	vt=$(col 9)
	echo "BENCH_VS drain: ${vt}s = $(rate "$N" "$vt") msg/s, $(ratio 1 9) of the ceiling's rate (minimta: $(ratio 1 3))"
	table_add "drain: BENCH_VS, $N queued" "${vt} s" "$(ratio 1 9) of the ceiling's rate" \
	    "-" "-" "$BENCH_VS_FLUSH"
fi
src="smtp-source -d -s $CONC -m $N -l $SIZE -f bench@example.org -t sink@example.net HOST:PORT"
table_add "drain: ceiling, $N x $SIZE B" "${ct} s" "(the limit)" "-" "-" "$src"
table_add "drain: removal floor, $N files" "${rt} s" "$(ratio 8 1) of the ceiling's time" \
    "-" "-" "floor remove QUEUE-COPY $CONC"
table_add "drain: minimta -q, $N queued" "${ot} s" "$(ratio 1 3) of the ceiling's rate" \
    ">= 0.90" "$(col 6) KB" "minimta -C CONF -q (concurrency $CONC)"
if [ "$drops" = yes ]; then
	table_add "drain: minimta -q, $N drop files" "${pt} s" "$(ratio 4 3)x the owner's time" \
	    "<= 1.20x" "$(col 7) KB" "setpriv --reuid=nobody ... minimta -odq; minimta -C CONF -q"
fi

# A link with a round trip of LINK_RTT ms (default 20; 0 skips): LINK_N
# (default 800) messages over CONC sessions. Its floor is one round trip
# a message on each session: LINK_N / CONC * LINK_RTT.
LINK_RTT=${LINK_RTT:-20}
if [ "$LINK_RTT" != 0 ]; then
	saved_n=$N
	N=${LINK_N:-800}
	LINK_PORT=$(free_port "$HOST")
	ceiling
	queue_all
	drain link
	N=$saved_n
	floor=$(echo "${LINK_N:-800} $CONC $LINK_RTT" |
	    awk '{ printf "%.3f", $1 / $2 * $3 / 1000 }')
	echo "over a ${LINK_RTT} ms round trip, ${LINK_N:-800} messages," \
	    "$CONC sessions (floor: one round trip a message, ${floor}s):"
	echo "  smtp-source: ${ctime}s = $(echo "$ctime $floor" |
	    awk '{ printf "%.2f", $1 / $2 }') round trips a message"
	echo "  minimta -q: ${dtime}s = $(echo "$dtime $floor" |
	    awk '{ printf "%.2f", $1 / $2 }') round trips a message"
	table_add "drain over a ${LINK_RTT} ms link: smtp-source" "${ctime} s" \
	    "$(echo "$ctime $floor" | awk '{ printf "%.2f", $1 / $2 }') round trips a message" \
	    "-" "-" "smtp-source ... via bench/lib/delayproxy.py"
	table_add "drain over a ${LINK_RTT} ms link: minimta -q" "${dtime} s" \
	    "$(echo "$dtime $floor" | awk '{ printf "%.2f", $1 / $2 }') round trips a message" \
	    "1 round trip" "${rss} KB" "minimta -C CONF -q via bench/lib/delayproxy.py"
	unset LINK_PORT
fi
