# Shared helpers for the submission-path bats files (submit, spool, pickup,
# mailq, privsep). Each test gets its own directory $T with a config
# $T/minimta.conf whose spool is $T/spool and whose log goes to stderr.
# $MINIMTA names the binary (default: the repo's ./minimta).

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MINIMTA=${MINIMTA:-$REPO/minimta}

common_setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/minimta-t.XXXXXX")
	chmod 0755 "$T"
	write_conf
}

common_teardown() {
	[ -n "${T:-}" ] && rm -rf "$T"
}

# write_conf [extra config lines...]
write_conf() {
	{
		echo "spool $T/spool"
		echo "log stderr"
		echo "hostname test.example"
		echo "domain example.org"
		# delivery (a detached runner, -q) fails at once, never leaves
		echo "smarthost smtp://127.0.0.1:1"
		for l in "$@"; do echo "$l"; done
		# the suite runs as root, and its throwaway spools are root's:
		# say so (minimta refuses a root-owned spool otherwise), after
		# the extra lines so that their line numbers stay put
		case " $* " in *" spool_owner "*) ;; *) echo "spool_owner root" ;; esac
	} >"$T/minimta.conf"
}

# mta ARGS...: the binary with our config (and $MTA_ARGS: the submission
# tests set -odq, so that no detached runner races with their checks)
mta() {
	# shellcheck disable=SC2086
	"$MINIMTA" -C "$T/minimta.conf" ${MTA_ARGS:-} "$@"
}

# Queue files (not state files, not temporaries), one name a line.
qfiles() {
	ls -A "$T/spool/queue" 2>/dev/null | grep -v '\.state$' | grep -v '^\.' || true
}

# All entries of a spool directory, temporaries included.
dir_entries() {
	ls -A "$T/spool/$1" 2>/dev/null || true
}

# The only queue file; fails if there is not exactly one.
one_qfile() {
	local n
	n=$(qfiles | wc -l)
	[ "$n" -eq 1 ] || { echo "want 1 queue file, have $n: $(qfiles)" >&2; return 1; }
	echo "$T/spool/queue/$(qfiles)"
}

# The stored message (after the M0: record) of the only queue file.
qmsg() {
	local f
	f=$(one_qfile) || return 1
	sed -n '/^M0:$/,$p' "$f" | sed 1d
}

# The envelope records (before the message) of the only queue file.
qenv() {
	local f
	f=$(one_qfile) || return 1
	sed -n '1,/^M0:$/p' "$f"
}

# The stored message without the lines minimta adds (Received, Date,
# Message-ID, From when added) - for comparing bodies.
qbody() {
	qmsg | sed -n '/^$/,$p' | sed 1d
}

# Asserts that no file (temporary or not) is in queue/ or incoming/.
spool_empty() {
	local q i
	q=$(dir_entries queue)
	i=$(dir_entries incoming)
	[ -z "$q" ] && [ -z "$i" ] || {
		echo "spool not empty: queue=[$q] incoming=[$i]" >&2
		return 1
	}
}

skip_unless_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root ($1)"
}
