#!/bin/sh
# mkspool.sh DIR OWNER: creates minimta's spool (DESIGN.md modes) for
# `make install`, whose minimta.conf says "spool_owner OWNER". As root,
# everything is owned by OWNER and its group; as another user (a DESTDIR
# install), it says what it could not chown.
set -eu
dir=$1 owner=$2
install -d -m 0755 "$dir"
install -d -m 0700 "$dir/queue" "$dir/corrupt" "$dir/hold"
# the delivery journal (mailq -s): set-group-ID, so that its files take
# the directory's group; root gives it status_group (sendmail.8)
install -d "$dir/journal"
chmod 2750 "$dir/journal"
install -d "$dir/incoming"
chmod 3733 "$dir/incoming"
[ -p "$dir/trigger" ] || mkfifo -m 0622 "$dir/trigger"
chmod 0622 "$dir/trigger"
if [ "$(id -u)" = 0 ] && id "$owner" >/dev/null 2>&1; then
	group=$(id -gn "$owner")
	chown "$owner:$group" "$dir" "$dir/queue" "$dir/corrupt" \
		"$dir/hold" "$dir/incoming" "$dir/trigger" "$dir/journal"
	chmod 2750 "$dir/journal"
else
	# minimta refuses a spool that is not the owner's (spool_owner in
	# the installed minimta.conf), a root-owned one included
	echo "mkspool: not root (or no user $owner): chown $owner of $dir," \
		"$dir/queue, $dir/corrupt, $dir/hold, $dir/incoming," \
		"$dir/journal and" \
		"$dir/trigger by hand"
fi
