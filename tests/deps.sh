#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian 12 machine.
# Run as root (CI does): idempotent, prints nothing unless something fails.
# apt-get update runs only when something is missing, so a machine that
# has everything passes in a second or two without the network.
# Run as another user: checks only; exits 0 if everything is present,
# non-zero with the list of what is missing otherwise.
#
# Debian packages (keep in sync with what tests/ and the build use):
#   build tools:  build-essential pkg-config git
#   libraries:    libssl-dev libc-ares-dev libbsd-dev
#   fuzzing:      clang libclang-rt-14-dev (libFuzzer for `make fuzz`)
#   tests:        bats python3 python3-aiosmtpd openssl ca-certificates
#                 strace unbound util-linux (flock) procps
#                 iproute2 (ss, used by wait_for_port) coreutils (timeout)
#                 time (/usr/bin/time -v, peak RSS in tests and bench)
#                 jq (the delivery tests read smtpd.py's envelope JSON)
#                 ldnsutils (ldns-keygen, ldns-signzone: tlspolicy.bats signs
#                 its DANE test zones, served by a validating unbound through
#                 tests/lib/dnssec-server.sh)
#   logs:         pflogsumm (tests/cli/logs.bats runs the real one over a
#                 test run's log: Postfix's program names and line shapes;
#                 it needs perl and libdate-calc-perl, not postfix)
#   clients:      php-cli (mail() with sendmail_path), php-symfony-mailer
#                 (its sendmail transport), git-email and libmailtools-perl
#                 (git send-email --sendmail-cmd; Mail::Address is only a
#                 Recommends of git-email), systemd (systemd-socket-activate
#                 serves sendmail -bs on a TCP port): tests/cli/clients.bats
#   package:      dpkg-dev debhelper lintian (package.bats builds and lints
#                 the .deb), debootstrap (its throwaway Debian 12 root,
#                 when the cached tarball is missing)
#   services:     systemd (systemd-analyze verify, systemd-socket-activate;
#                 installed, never booted), man-db (verify looks up the
#                 units' Documentation= man pages)
#   smtp-sink:    Postfix's runtime libraries (from `apt-cache depends
#                 postfix`), but NOT postfix itself: its .deb is fetched with
#                 `apt-get download` and unpacked with `dpkg -x` into
#                 $MINIMTA_TEST_DIR/postfix (default /opt/minimta-test), so
#                 tests/lib/smtp-sink.sh can run smtp-sink and smtp-source
#                 with LD_LIBRARY_PATH pointing at its private libraries.
set -u

PACKAGES="build-essential pkg-config libssl-dev libc-ares-dev libbsd-dev
openssl ca-certificates python3 python3-aiosmtpd bats strace unbound
util-linux procps iproute2 coreutils time jq ldnsutils clang libclang-rt-14-dev
git
php-cli php-symfony-mailer git-email libmailtools-perl systemd
dpkg-dev debhelper lintian debootstrap man-db pflogsumm"
# Fallback if apt-cache cannot tell us (Debian 12's postfix 3.7).
POSTFIX_LIBS_DEFAULT="libc6 libdb5.3 libicu72 libnsl2 libsasl2-2 libssl3"

TEST_DIR=${MINIMTA_TEST_DIR:-/opt/minimta-test}
PF_DIR=$TEST_DIR/postfix
SINK=$PF_DIR/root/usr/sbin/smtp-sink
SOURCE=$PF_DIR/root/usr/sbin/smtp-source

log=$(mktemp "${TMPDIR:-/tmp}/minimta-deps.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

die()
{
	echo "tests/deps.sh: $*" >&2
	if [ -s "$log" ]; then
		echo "--- output of the failed step:" >&2
		tail -n 40 "$log" >&2
	fi
	exit 1
}

# run CMD...: runs quietly, keeps the output for die().
run()
{
	: >"$log"
	"$@" >"$log" 2>&1
}

missing_packages()
{
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
		case $st in
		*" ok installed") ;;
		*) printf '%s\n' "$p" ;;
		esac
	done
}

postfix_libs()
{
	local libs
	# Only the library dependencies: never postfix, debconf, adduser...
	libs=$(apt-cache depends --no-pre-depends --no-recommends \
	    --no-suggests --no-conflicts --no-breaks --no-replaces \
	    --no-enhances postfix 2>/dev/null |
	    sed -nE 's/^ *\|?Depends: (lib[^ <>]+)$/\1/p' | sort -u)
	[ -n "$libs" ] || libs=$POSTFIX_LIBS_DEFAULT
	echo "$libs"
}

# sink_works: the unpacked smtp-sink finds all its libraries.
sink_works()
{
	[ -x "$SINK" ] && [ -x "$SOURCE" ] || return 1
	! LD_LIBRARY_PATH=$PF_DIR/root/usr/lib/postfix ldd "$SINK" "$SOURCE" \
	    2>/dev/null | grep -q 'not found'
}

if [ "$(id -u)" -ne 0 ]; then
	# shellcheck disable=SC2086
	miss=$(missing_packages $PACKAGES $POSTFIX_LIBS_DEFAULT)
	sink_works || miss="$miss${miss:+
}smtp-sink/smtp-source unpacked in $PF_DIR"
	if [ -n "$miss" ]; then
		echo "tests/deps.sh: not root, cannot install; missing:" >&2
		while IFS= read -r m; do echo "  $m"; done <<<"$miss" >&2
		echo "run tests/deps.sh as root (sudo tests/deps.sh)" >&2
		exit 1
	fi
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
miss=$(missing_packages $PACKAGES)
updated=0
if [ -n "$miss" ] || ! sink_works; then
	run apt-get update -q || die "apt-get update failed"
	updated=1
fi
if [ -n "$miss" ]; then
	# shellcheck disable=SC2086
	run apt-get install -y -q --no-install-recommends $miss ||
	    die "apt-get install failed for: $(echo "$miss" | tr '\n' ' ')"
fi

libs=$(postfix_libs)
# shellcheck disable=SC2086
miss=$(missing_packages $libs)
if [ -n "$miss" ]; then
	# shellcheck disable=SC2086
	run apt-get install -y -q --no-install-recommends $miss ||
	    die "apt-get install failed for postfix libraries:" \
	    "$(echo "$miss" | tr '\n' ' ')"
fi

if ! sink_works; then
	[ "$updated" = 1 ] || { run apt-get update -q ||
	    die "apt-get update failed"; }
	mkdir -p "$PF_DIR" || die "cannot create $PF_DIR"
	rm -rf "$PF_DIR/root" "$PF_DIR"/postfix_*.deb
	# apt-get download as root warns about the _apt sandbox; harmless.
	(cd "$PF_DIR" && run apt-get download -q postfix) ||
	    die "apt-get download postfix failed"
	deb=$(find "$PF_DIR" -maxdepth 1 -name 'postfix_*.deb' | head -n 1)
	[ -n "$deb" ] || die "apt-get download postfix left no .deb in $PF_DIR"
	run dpkg -x "$deb" "$PF_DIR/root" || die "dpkg -x $deb failed"
	rm -f "$deb"
	if ! sink_works; then
		: >"$log"
		LD_LIBRARY_PATH=$PF_DIR/root/usr/lib/postfix ldd "$SINK" \
		    "$SOURCE" >"$log" 2>&1
		die "smtp-sink unpacked but cannot run (missing libraries?)"
	fi
fi
exit 0
