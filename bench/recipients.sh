#!/bin/sh
# bench/recipients.sh: submission and mailq of one message with many
# recipients (max_recipients raised): the de-duplication (a hash set) and
# the envelope read (one parse after finding the M record) are linear in
# the recipient count. Prints seconds per step. MINIMTA names the binary.
set -u
cd "$(dirname "$0")/.." || exit 1
MINIMTA=${MINIMTA:-$PWD/minimta}
N=${N:-50000}
T=$(mktemp -d /tmp/minimta-bench.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
cat >"$T/minimta.conf" <<CONF
spool $T/spool
log stderr
hostname bench.example
domain example.org
max_recipients $N
CONF
# as root the throwaway spool is root's, which must be said (else 78)
[ "$(id -u)" -eq 0 ] && echo 'spool_owner root' >>"$T/minimta.conf"
seq -f 'r%g@example.net' 1 "$N" >"$T/rcpts"
now() { date +%s.%N; }
t0=$(now)
# shellcheck disable=SC2046
set -- $(cat "$T/rcpts")
printf 'Subject: many\n\nb\n' | "$MINIMTA" -C "$T/minimta.conf" -odq \
    -f root "$@" 2>/dev/null || exit 1
t1=$(now)
"$MINIMTA" -C "$T/minimta.conf" -bp >/dev/null 2>&1 || exit 1
t2=$(now)
n=$("$MINIMTA" -C "$T/minimta.conf" -bp 2>/dev/null | grep -c '@example.net$')
echo "$N recipients ($n listed): submit $(echo "$t1 - $t0" | bc) s, mailq $(echo "$t2 - $t1" | bc) s"
. bench/lib/table.sh
table_add "one message to $N recipients: submit" \
    "$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }') s" "-" "-" "-" \
    "minimta -C CONF -odq -f root r1@example.net ... r$N@example.net"
table_add "one message to $N recipients: mailq" \
    "$(echo "$t1 $t2" | awk '{ printf "%.3f", $2 - $1 }') s" "-" "-" "-" \
    "minimta -C CONF -bp"
