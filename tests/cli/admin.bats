#!/usr/bin/env bats
# Queue administration (issue 7): -Mrm removes, -Mf holds (freezes), -Mt
# releases (thaws), -M delivers now, by queue id or for every message
# matching -qR/-qS; held messages wait in hold/ and mailq marks them.
# The spool belongs to an account of its own, as installed (harness.bash);
# root drops to it, anyone else is refused. Needs root.

load common
load ../lib/servers
load delivery
load ../lib/harness

# shellcheck disable=SC2034 # read by bats: no test may hang
BATS_TEST_TIMEOUT=60

setup_file()
{
	hx_setup_file mtaad
}

teardown_file()
{
	hx_teardown_file
}

setup()
{
	hx_setup
	start_smtpd relay
	hx_conf "smtp://$RELAY_HOST:$RELAY_PORT" "spool_owner $OWNER"
}

teardown()
{
	hx_teardown
}

# osend [args] rcpt...: the owner queues a test message (-odq); its log
# goes to $T/log.
osend()
{
	printf 'Subject: admin test\n\nbody\n' | om -odq "$@" 2>>"$T/log"
}

# the root-run minimta (drops to the owner)
rm_()
{
	"$MINIMTA" -C "$T/minimta.conf" "$@"
}

@test "admin: -Mrm ID removes the message, queues nothing (it was read as -M rm and a recipient)" {
	osend -f alice@example.org one@x.example
	id=$(qids)
	[ -n "$id" ]
	run rm_ -Mrm "$id" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(qids)" ]
	[ -z "$(ls -A "$T/spool/incoming")" ]
	[[ "$output" == *"$id: removed by uid 0 (root)"* ]]
	! grep -q "$id@" "$T/spool/queue"/* 2>/dev/null || false
}
