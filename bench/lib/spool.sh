# bench/lib/spool.sh: a throwaway spool for the benches that need a queue
# of copies of one message (defer.sh, mailq.sh). Sourced, not run.

# bench_spool DIR: DIR/conf (its spool in DIR/spool, owned by whoever runs
# the bench, the relay down) and one 4 KB message queued there.
bench_spool()
{
	cat >"$1/conf" <<CONF
spool $1/spool
log stderr
spool_owner $(id -un)
hostname bench.example
domain example.org
smarthost smtp://127.0.0.1:1
CONF
	/usr/bin/python3 -c 'import sys; sys.stdout.write("Subject: x\nFrom: a@example.org\n\n" + ("x" * 75 + "\n") * 52)' |
	    "$MINIMTA" -C "$1/conf" -odq -f sender@example.org \
	    rcpt@example.net 2>/dev/null
}

# bench_copies QUEUE FROM TO: copies of the first message in QUEUE under
# the ids numbered FROM..TO-1 (base 32, 14 digits: never a real id).
bench_copies()
{
	/usr/bin/python3 - "$@" <<'PY'
import os, sys
q, first, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
src = sorted(f for f in os.listdir(q) if "." not in f)[-1]
data = open(os.path.join(q, src), "rb").read()
for i in range(first, end):
    x, s = i, ""
    for _ in range(14):
        s, x = alpha[x % 32] + s, x // 32
    with open(os.path.join(q, s), "wb") as f:
        f.write(data)
PY
}
