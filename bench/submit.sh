#!/bin/sh
# bench/submit.sh: submission latency next to the floor (write, fsync,
# rename, fsync of the directory: bench/floor.c), as median and p90 in ms
# and their ratio; peak RSS of a 200 MB submission; and, as root, the
# latency of a submission by another user (nobody), which drops into
# incoming/ and calls syncfs().
#
#	bench/submit.sh [N]	N submissions of a 4 KB message (default 200)
#
# MINIMTA names the binary (default ./minimta); BENCH_DIR the scratch
# directory (default a new one under the repo, so that fsync hits a real
# disk rather than a tmpfs). Target (STYLE.md): median <= 1.3x the floor.
set -eu
cd "$(dirname "$0")/.."
N=${1:-200}
MINIMTA=${MINIMTA:-$PWD/minimta}
CC=${CC:-cc}
D=$(mktemp -d "${BENCH_DIR:-$PWD/bench}/.run.XXXXXX")
trap 'rm -rf "$D"' EXIT INT TERM
chmod 0755 "$D"

$CC -O2 -o "$D/floor" bench/floor.c

cat >"$D/minimta.conf" <<EOC
spool $D/spool
log stderr
# a throwaway spool: run as root, it is root's (else refused)
spool_owner root
hostname bench.example
domain example.org
max_message_size 300M
EOC
chmod 0644 "$D/minimta.conf"
"$MINIMTA" -C "$D/minimta.conf" -bp >/dev/null

# a 4 KB message
{
	printf 'From: bench@example.org\nTo: rcpt@example.net\n'
	printf 'Subject: bench\n\n'
	i=0
	while [ $i -lt 56 ]; do
		printf '%071d\n' $i
		i=$((i + 1))
	done
} >"$D/msg"
mkdir "$D/floordir"

# stats FILE: "median p90" of the numbers in FILE
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.9 + 0.5)]
		printf "%.3f %.3f\n", m, p }'
}

# warm up both
"$D/floor" time 5 "$D/msg" "$D/floor" write "$D/floordir" >/dev/null
"$D/floor" time 5 "$D/msg" "$MINIMTA" -C "$D/minimta.conf" -odq \
    -f bench@example.org rcpt@example.net >/dev/null 2>&1

# interleave rounds so that disk weather hits both alike
: >"$D/t.floor"
: >"$D/t.mta"
r=0
while [ $r -lt 10 ]; do
	"$D/floor" time $((N / 10)) "$D/msg" "$D/floor" write "$D/floordir" \
	    >>"$D/t.floor"
	"$D/floor" time $((N / 10)) "$D/msg" "$MINIMTA" -C "$D/minimta.conf" \
	    -odq -f bench@example.org rcpt@example.net >>"$D/t.mta" 2>/dev/null
	r=$((r + 1))
done
set -- $(stats "$D/t.floor")
f_med=$1 f_p90=$2
set -- $(stats "$D/t.mta")
m_med=$1 m_p90=$2
printf 'submission of a 4 KB message, %d runs each (ms):\n' "$N"
printf '  %-28s median %8s  p90 %8s\n' "floor (write+fsync+rename+fsync dir)" "$f_med" "$f_p90"
printf '  %-28s median %8s  p90 %8s\n' "minimta -odq (spool owner)" "$m_med" "$m_p90"
awk -v a="$m_med" -v b="$f_med" -v c="$m_p90" -v d="$f_p90" 'BEGIN {
	printf "  ratio to floor: median %.2fx, p90 %.2fx (target: median <= 1.30x)\n",
	    a / b, c / d }'

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	# a spool owned by someone else: root hands it to "mail"; nobody drops
	rm -rf "$D/spool"
	mkdir "$D/spool"
	chown mail:mail "$D/spool"
	setpriv --reuid=mail --regid=mail --clear-groups \
	    "$MINIMTA" -C "$D/minimta.conf" -bp >/dev/null
	cp "$MINIMTA" "$D/minimta.bin"
	chmod 0755 "$D/minimta.bin"
	chmod 0644 "$D/msg"
	: >"$D/t.nobody"
	"$D/floor" time $((N / 2)) "$D/msg" /usr/bin/setpriv --reuid=nobody \
	    --regid=nogroup --clear-groups "$D/minimta.bin" -C "$D/minimta.conf" \
	    -odq rcpt@example.net >>"$D/t.nobody" 2>/dev/null
	: >"$D/t.setpriv"
	"$D/floor" time $((N / 2)) "$D/msg" /usr/bin/setpriv --reuid=nobody \
	    --regid=nogroup --clear-groups /bin/true >>"$D/t.setpriv"
	set -- $(stats "$D/t.nobody")
	printf '  %-28s median %8s  p90 %8s  (incoming/, syncfs)\n' \
	    "minimta as nobody" "$1" "$2"
	set -- $(stats "$D/t.setpriv")
	printf '  %-28s median %8s  p90 %8s  (the setpriv wrapper alone)\n' \
	    "setpriv ... /bin/true" "$1" "$2"
fi

if [ -x /usr/bin/time ]; then
	rm -rf "$D/spool"
	"$MINIMTA" -C "$D/minimta.conf" -bp >/dev/null
	for mb in 10 200; do
		{ printf 'Subject: big\n\n'
		  yes 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' |
		      head -c $((mb * 1024 * 1024)); } |
		    /usr/bin/time -f '%M %e' -o "$D/rss" "$MINIMTA" \
		    -C "$D/minimta.conf" -odq -f bench@example.org rcpt@example.net \
		    2>/dev/null
		set -- $(cat "$D/rss")
		printf '  %3d MB submission: peak RSS %s kB, %s s\n' "$mb" "$1" "$2"
		rm -f "$D"/spool/queue/*
	done
else
	echo "  (peak RSS skipped: /usr/bin/time missing; apt-get install time)"
fi
