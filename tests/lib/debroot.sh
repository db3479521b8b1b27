#!/bin/sh
# debroot.sh: throwaway Debian 12 roots for the package test.
#
#   debroot.sh make DIR PKG...   DIR becomes a Debian 12 (bookworm) minbase
#                                root with PKG... installed (and apt lists)
#   debroot.sh run DIR CMD...    CMD in DIR: chroot in private mount and pid
#                                namespaces with its own /proc, so nothing
#                                stays mounted and no process stays alive
#                                once CMD ends
#   debroot.sh remove DIR        deletes DIR (refuses while anything is
#                                mounted below it; never crosses into
#                                another file system)
#
# Roots come from tarballs cached in $MINIMTA_CHROOT_CACHE (default
# /var/cache/minimta-chroot): base.tar is `debootstrap --variant=minbase
# bookworm`, made when missing; deps-HASH.tar is base.tar with PKG...
# installed, made when missing. Needs root, debootstrap (only while
# base.tar is missing), unshare and the network to Debian's mirror (only
# while a tarball is missing). Exit 77 with the reason on stderr when a
# root cannot be made here; 1 on other failures.
set -eu

CACHE=${MINIMTA_CHROOT_CACHE:-/var/cache/minimta-chroot}
MIRROR=${MINIMTA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm

cannot() { echo "debroot: $*" >&2; exit 77; }
die() { echo "debroot: $*" >&2; exit 1; }

# mounted_below DIR: is anything mounted at or below DIR?
mounted_below()
{
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { f = 1 } END { exit !f }' \
	    /proc/self/mountinfo
}

remove_root()
{
	if [ -z "$1" ] || [ "$1" = / ]; then die "remove: refusing '$1'"; fi
	[ -d "$1" ] || return 0
	if mounted_below "$1"; then
		die "remove: something is still mounted below $1; not deleting"
	fi
	rm -rf --one-file-system "$1"
}

# (sh has no local variables: each function names its own)
run_root()
{
	rr_dir=$1
	shift
	cp /etc/resolv.conf "$rr_dir/etc/resolv.conf" 2>/dev/null || true
	# no package's maintainer script starts a daemon in here (exim4
	# would listen on the host's port 25): invoke-rc.d asks policy-rc.d
	if [ ! -e "$rr_dir/usr/sbin/policy-rc.d" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$rr_dir/usr/sbin/policy-rc.d"
		chmod 0755 "$rr_dir/usr/sbin/policy-rc.d"
	fi
	unshare --mount --pid --fork --mount-proc="$rr_dir/proc" \
	    chroot "$rr_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

make_base()
{
	mb_tmp=$CACHE/base.tmp.$$
	command -v debootstrap >/dev/null 2>&1 ||
	    cannot "no $CACHE/base.tar and no debootstrap to make it" \
		"(apt-get install debootstrap)"
	remove_root "$mb_tmp"
	# its own mount namespace: whatever it mounts goes when it ends
	if ! unshare --mount debootstrap --variant=minbase "$SUITE" "$mb_tmp" "$MIRROR" \
	    >"$CACHE/debootstrap.log" 2>&1; then
		remove_root "$mb_tmp"
		cannot "debootstrap $SUITE from $MIRROR failed" \
		    "(no network?), see $CACHE/debootstrap.log"
	fi
	tar -C "$mb_tmp" -cf "$mb_tmp.tar" . || die "tar of the new root failed"
	remove_root "$mb_tmp"
	mv -f "$mb_tmp.tar" "$CACHE/base.tar"
}

# make_deps TAR PKG...: base.tar with PKG... installed, as TAR.
make_deps()
{
	md_out=$1
	shift
	md_tmp=$CACHE/deps.tmp.$$
	remove_root "$md_tmp"
	mkdir -p "$md_tmp"
	tar -C "$md_tmp" -xf "$CACHE/base.tar" || die "cannot unpack base.tar"
	if ! run_root "$md_tmp" sh -c 'apt-get update -q &&
	    apt-get install -y -q --no-install-recommends "$@" &&
	    apt-get clean' sh "$@" >"$CACHE/deps.log" 2>&1; then
		remove_root "$md_tmp"
		cannot "apt-get install $* in a $SUITE root failed" \
		    "(no network?), see $CACHE/deps.log"
	fi
	tar -C "$md_tmp" -cf "$md_tmp.tar" . || die "tar of the root failed"
	remove_root "$md_tmp"
	mv -f "$md_tmp.tar" "$md_out"
}

make_root()
{
	mr_dir=$1
	shift
	[ "$(id -u)" -eq 0 ] || cannot "needs root (chroot, unshare)"
	command -v unshare >/dev/null 2>&1 || cannot "needs unshare (util-linux)"
	unshare --mount --pid --fork true 2>/dev/null ||
	    cannot "cannot make mount and pid namespaces here (unshare failed)"
	mkdir -p "$CACHE" || cannot "cannot create $CACHE"
	if [ ! -s "$CACHE/base.tar" ]; then make_base; fi
	hash=$(printf '%s\n' "$@" | sort | md5sum | cut -c1-12)
	deps=$CACHE/deps-$hash.tar
	if [ ! -s "$deps" ]; then make_deps "$deps" "$@"; fi
	mkdir -p "$mr_dir"
	tar -C "$mr_dir" -xf "$deps" || die "cannot unpack $deps"
}

cmd=${1:-}
[ $# -ge 2 ] || die "usage: debroot.sh make|run|remove DIR [...]"
shift
case $cmd in
make) make_root "$@" ;;
run) run_root "$@" ;;
remove) remove_root "$1" ;;
*) die "unknown command $cmd" ;;
esac
