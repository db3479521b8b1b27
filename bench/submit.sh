#!/bin/sh
# bench/submit.sh: submission next to its limit, both measured in this run:
# the floor program (bench/floor.c: write, fsync, rename, fsync of the
# directory) on the same bytes. Prints one table: each figure's median,
# p99, its ratio to the limit, the peak RSS, and the command behind it.
#
#	bench/submit.sh [N]	N submissions of a 4 KB message (default 200)
#
#   figures   4 KB: floor; minimta -odq as the spool owner; as root also
#             the spool owner "mail" and "nobody" (the drop directory),
#             both through the same setpriv wrapper (nobody's limit is
#             the owner's time); then each size of BENCH_LARGE (MiB,
#             default "50 1024"; "" skips them): floor and minimta, runs
#             interleaved, BENCH_LARGE_RUNS (default 3) each, the spool
#             and the page cache's dirty data cleared between runs (rm,
#             sync: not timed).
#   targets   4 KB: <= 1.10x the floor; nobody: <= 1.10x the owner;
#             50 MiB: <= 0.15 s; 1 GiB: <= 1.30x the floor; peak RSS
#             <= 3 MB at any size.
#   BENCH_VS  another sendmail command (dma, Postfix's sendmail, ...):
#             its 4 KB and large figures join the table, each with its
#             ratio to the same floor ("-f bench@example.org
#             rcpt@example.net" is appended; put a queue-only flag in it
#             if it has one). BENCH_VS_CLEAN, a shell command that removes
#             what it queued, runs after each of its large runs (not
#             timed): without it the next run (the floor) starts on a
#             disk that has just taken its files, and is slower for it
#             (1 GiB: 4.9-6.2 s instead of 0.95 s here).
#
# MINIMTA names the binary (default ./minimta); BENCH_DIR the scratch
# directory (default a new one under bench/, so that fsync hits a real
# disk rather than a tmpfs: on tmpfs the ratios mean nothing); CC.
# Wall-clock per process (posix_spawn to wait4); a shared machine is
# noisy: compare figures of the same run only.
set -eu
cd "$(dirname "$0")/.."
. bench/lib/table.sh
N=${1:-200}
MINIMTA=${MINIMTA:-$PWD/minimta}
CC=${CC:-cc}
LARGE=${BENCH_LARGE-50 1024}
LRUNS=${BENCH_LARGE_RUNS:-3}
VS=${BENCH_VS:-}
D=$(mktemp -d "${BENCH_DIR:-$PWD/bench}/.run.XXXXXX")
trap 'rm -rf "$D"' EXIT INT TERM
chmod 0755 "$D"

$CC -O2 -o "$D/floor" bench/floor.c
# another user runs what is in here: a copy it can read
cp "$MINIMTA" "$D/minimta"
chmod 0755 "$D/minimta"
M=$D/minimta

conf() {	# conf FILE SPOOL OWNER
	cat >"$1" <<EOC
spool $2
log stderr
spool_owner $3
hostname bench.example
domain example.org
max_message_size 2000M
EOC
	chmod 0644 "$1"
}
# a throwaway spool: run as root, it is root's (which must be said)
conf "$D/minimta.conf" "$D/spool" "$(id -un)"
"$M" -C "$D/minimta.conf" -bp >/dev/null
mkdir "$D/floordir"

# the 4 KB message
{
	printf 'From: bench@example.org\nTo: rcpt@example.net\n'
	printf 'Subject: bench\n\n'
	i=0
	while [ $i -lt 56 ]; do
		printf '%071d\n' $i
		i=$((i + 1))
	done
} >"$D/msg4k"
chmod 0644 "$D/msg4k"

# stats FILE: "median p99 peak-RSS-kB" of the runs in FILE ("ms kB")
stats() {
	sort -n "$1" | awk '{ v[NR] = $1; if ($2 > r) r = $2 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		i = int(NR * 0.99 + 0.999); if (i > NR) i = NR
		printf "%s %s %s\n", m, v[i], r }'
}

# row FIGURE FILE [LIMIT-FIGURE LIMIT-FILE TARGET]: one line of the table
row() {
	set -- "$1" "$2" "${3:-}" "${4:-}" "${5:-}" $(stats "$2")
	lim=0
	[ -n "$4" ] && lim=$(stats "$4" | cut -d' ' -f1)
	awk -v f="$1" -v m="$6" -v p="$7" -v r="$8" -v lf="$3" -v lm="$lim" \
	    -v t="$5" 'function ms(x) {
		if (x >= 1000)
			return sprintf("%.2f s", x / 1000)
		return sprintf("%.2f ms", x)
	}
	BEGIN {
		ratio = "(the limit)"
		if (lf != "")
			ratio = sprintf("%.2fx %s", m / lm, lf)
		printf "%-30s %10s %10s  %-24s %6.1f MB  %s\n", f, ms(m),
		    ms(p), ratio, r / 1024, t
		# the row of make bench'"'"'s table, for cmd()
		printf "%s\t%s (p99 %s)\t%s\t%s\t%.1f MB\n", f, ms(m),
		    ms(p), ratio, t == "" ? "-" : t, r / 1024 > "/dev/stderr"
	}' 2>"$D/row"
}
# cmd COMMAND...: the command under the last row, and both to the table
cmd() {
	c=$(echo "$*" | sed "s|$D|D|g")
	printf '    $ %s\n' "$c"
	IFS='	' read -r tf tv tr tt trss <"$D/row"
	table_add "submission: $tf" "$tv" "$tr" "$tt" "$trss" "$c"
}

# time_runs OUT N INPUT CMD...: appends N timed runs of CMD to OUT
time_runs() {
	out=$1 n=$2 in=$3
	shift 3
	"$D/floor" time "$n" "$in" "$@" >>"$out" 2>/dev/null
}

SUB="-odq -f bench@example.org rcpt@example.net"
FLOOR_CMD="$D/floor write $D/floordir"
MTA_CMD="$M -C $D/minimta.conf $SUB"

# warm up, then rounds in turn, so that disk weather hits both alike
time_runs /dev/null 5 "$D/msg4k" $FLOOR_CMD
time_runs /dev/null 5 "$D/msg4k" $MTA_CMD
: >"$D/t.floor"
: >"$D/t.mta"
: >"$D/t.vs"
r=0
while [ $r -lt 10 ]; do
	time_runs "$D/t.floor" $((N / 10)) "$D/msg4k" $FLOOR_CMD
	time_runs "$D/t.mta" $((N / 10)) "$D/msg4k" $MTA_CMD
	[ -n "$VS" ] && time_runs "$D/t.vs" $((N / 10)) "$D/msg4k" $VS \
	    -f bench@example.org rcpt@example.net
	r=$((r + 1))
done

printf 'bench/submit.sh: %d CPUs, load %s; 4 KB x %d, large x %d\n' \
    "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" "$N" "$LRUNS"
printf '%-30s %10s %10s  %-24s %9s  %s\n' figure median p99 \
    "ratio to (same run)" "peak RSS" target
row "floor 4 KB" "$D/t.floor"
cmd "$FLOOR_CMD < msg4k"
row "minimta 4 KB (owner)" "$D/t.mta" "floor 4 KB" "$D/t.floor" \
    "<= 1.10x"
cmd "$MTA_CMD < msg4k"
if [ -n "$VS" ]; then
	row "BENCH_VS 4 KB" "$D/t.vs" "floor 4 KB" "$D/t.floor"
	cmd "$VS -f bench@example.org rcpt@example.net < msg4k"
fi

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
    id mail >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	# a spool owned by "mail": mail queues (queue/), nobody drops
	# (incoming/); both through the same wrapper
	mkdir "$D/mspool"
	chown mail:mail "$D/mspool"
	conf "$D/mail.conf" "$D/mspool" mail
	SP=$(command -v setpriv)
	AS_MAIL="$SP --reuid=mail --regid=mail --clear-groups"
	AS_NOBODY="$SP --reuid=nobody --regid=nogroup --clear-groups"
	$AS_MAIL "$M" -C "$D/mail.conf" -bp >/dev/null
	time_runs /dev/null 3 "$D/msg4k" $AS_MAIL "$M" -C "$D/mail.conf" $SUB
	time_runs /dev/null 3 "$D/msg4k" $AS_NOBODY "$M" -C "$D/mail.conf" \
	    $SUB
	: >"$D/t.owner"
	: >"$D/t.nobody"
	r=0
	while [ $r -lt 10 ]; do
		time_runs "$D/t.owner" $((N / 10)) "$D/msg4k" $AS_MAIL "$M" \
		    -C "$D/mail.conf" $SUB
		time_runs "$D/t.nobody" $((N / 10)) "$D/msg4k" $AS_NOBODY \
		    "$M" -C "$D/mail.conf" $SUB
		r=$((r + 1))
	done
	row "minimta 4 KB as mail (owner)" "$D/t.owner"
	cmd "$AS_MAIL $M -C $D/mail.conf $SUB < msg4k"
	row "minimta 4 KB as nobody (drop)" "$D/t.nobody" \
	    "owner" "$D/t.owner" "<= 1.10x"
	cmd "$AS_NOBODY $M -C $D/mail.conf $SUB < msg4k"
	n=$(find "$D/mspool/incoming" -type f | wc -l)
	[ "$n" -gt 0 ] || echo "  (no drop file was written)"
fi

for mb in $LARGE; do
	{
		printf 'From: bench@example.org\nSubject: big\n\n'
		yes 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' |
		    head -c $((mb * 1024 * 1024))
	} >"$D/msg$mb"
	: >"$D/t.floor$mb"
	: >"$D/t.mta$mb"
	: >"$D/t.vs$mb"
	r=0
	while [ $r -lt "$LRUNS" ]; do
		# each run starts with nothing left to write back
		rm -f "$D"/floordir/* "$D"/spool/queue/*
		sync
		time_runs "$D/t.floor$mb" 1 "$D/msg$mb" $FLOOR_CMD
		rm -f "$D"/floordir/*
		sync
		time_runs "$D/t.mta$mb" 1 "$D/msg$mb" $MTA_CMD
		if [ -n "$VS" ]; then
			rm -f "$D"/spool/queue/*
			sync
			time_runs "$D/t.vs$mb" 1 "$D/msg$mb" $VS \
			    -f bench@example.org rcpt@example.net
			[ -n "${BENCH_VS_CLEAN:-}" ] &&
			    sh -c "$BENCH_VS_CLEAN"
		fi
		r=$((r + 1))
	done
	rm -f "$D"/floordir/* "$D"/spool/queue/* "$D/msg$mb"
	target="<= 1.30x"
	[ "$mb" -eq 50 ] && target="<= 0.15 s"
	row "floor $mb MiB" "$D/t.floor$mb"
	cmd "$FLOOR_CMD < msg$mb"
	row "minimta $mb MiB (owner)" "$D/t.mta$mb" "floor $mb MiB" \
	    "$D/t.floor$mb" "$target"
	cmd "$MTA_CMD < msg$mb"
	if [ -n "$VS" ]; then
		row "BENCH_VS $mb MiB" "$D/t.vs$mb" "floor $mb MiB" \
		    "$D/t.floor$mb"
		cmd "$VS -f bench@example.org rcpt@example.net < msg$mb"
	fi
done
