/*
 * test_cli: table-driven tests of cli_parse. Each case gives argv and
 * either the parsed result, rendered by cli_show() into one canonical
 * line, or "USAGE: " and the exact reason.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "dsnparam.h"
#include "unit.h"
#include "why.h"
#include "xmalloc.h"

int	main(void);

struct cli_case {
	const char *name;
	const char *argv[16];	/* NULL-terminated */
	const char *want;
};

static const char *
cli_show_mode(enum cli_mode m)
{
	switch (m) {
	case CLI_SUBMIT:
		return "submit";
	case CLI_SMTP_STDIO:
		return "bs";
	case CLI_LIST:
		return "list";
	case CLI_ALIASES:
		return "aliases";
	case CLI_VERIFY:
		return "verify";
	case CLI_QUEUE:
		return "queue";
	case CLI_ADMIN:
		return "admin";
	}
	return "?";
}

/* Only what differs from the defaults, in a fixed order. */
static void
cli_show(struct buf *b, const struct cli *c)
{
	size_t i;

	buf_printf(b, "mode=%s", cli_show_mode(c->mode));
	if (c->delivery == CLI_DELIVER_INTERACTIVE)
		buf_adds(b, " odi");
	if (c->delivery == CLI_DELIVER_QUEUE)
		buf_adds(b, " odq");
	if (c->read_recipients)
		buf_adds(b, " t");
	if (c->ignore_dots)
		buf_adds(b, " i");
	if (c->verbose)
		buf_adds(b, " v");
	if (c->sender != NULL)
		buf_printf(b, " f=<%s>", c->sender);
	if (c->fullname != NULL)
		buf_printf(b, " F=[%s]", c->fullname);
	if (c->notify != 0)
		buf_printf(b, " N=%d", c->notify);
	if (c->ret != DSNPARAM_RET_UNSET)
		buf_adds(b, c->ret == DSNPARAM_RET_FULL ? " R=full" : " R=hdrs");
	if (c->envid != NULL)
		buf_printf(b, " V=%s", c->envid);
	if (c->verp)
		buf_printf(b, " verp=%s", c->verp_delims);
	else if (strcmp(c->verp_delims, "+=") != 0)
		buf_adds(b, " BAD-DELIMS");
	if (c->error_mode != 0)
		buf_printf(b, " e=%c", c->error_mode);
	if (c->conf_path != NULL)
		buf_printf(b, " C=%s", c->conf_path);
	if (c->queue_once)
		buf_adds(b, " once");
	if (c->queue_interval != 0)
		buf_printf(b, " every=%ld", c->queue_interval);
	if (c->queue_foreground)
		buf_adds(b, " qf");
	if (c->queue_id != NULL)
		buf_printf(b, " qI=%s", c->queue_id);
	if (c->queue_rcpt != NULL)
		buf_printf(b, " qR=%s", c->queue_rcpt);
	if (c->queue_sender != NULL)
		buf_printf(b, " qS=%s", c->queue_sender);
	if (c->json)
		buf_adds(b, " json");
	if (c->admin != CLI_ADMIN_NONE)
		buf_printf(b, " M=%s", c->admin == CLI_ADMIN_DELIVER ?
		    "deliver" : c->admin == CLI_ADMIN_REMOVE ? "rm" :
		    c->admin == CLI_ADMIN_HOLD ? "hold" :
		    c->admin == CLI_ADMIN_RELEASE ? "release" : "?");
	if (c->status_id != NULL)
		buf_printf(b, " s=%s", c->status_id);
	for (i = 0; i < c->noverrides; i++)
		buf_printf(b, " O:%s=%s", c->overrides[i].key,
		    c->overrides[i].value);
	if (c->nrcpts > 0) {
		buf_adds(b, " rcpts=");
		for (i = 0; i < c->nrcpts; i++)
			buf_printf(b, "%s%s", i ? "," : "", c->rcpts[i]);
	}
}

static const struct cli_case cases[] = {
	/* argv[0] picks the default mode */
	{ "default submit", { "sendmail", "a@b", NULL },
	    "mode=submit rcpts=a@b" },
	{ "path basename", { "/usr/sbin/sendmail", "a@b", "c", NULL },
	    "mode=submit rcpts=a@b,c" },
	{ "minimta name", { "minimta", "-t", NULL }, "mode=submit t" },
	{ "mailq name", { "/usr/bin/mailq", NULL }, "mode=list" },
	{ "newaliases name", { "newaliases", NULL }, "mode=aliases" },
	{ "mailq -bs overrides", { "mailq", "-bs", NULL }, "mode=bs" },
	{ "mailq -j", { "mailq", "-j", NULL }, "mode=list json" },
	{ "-bp -j", { "sendmail", "-bpj", NULL },
	    "USAGE: unknown option: -bpj" },
	{ "-bp then -j", { "sendmail", "-bp", "-j", NULL }, "mode=list json" },

	/* -s: mailq's delivery status; sendmail's ignored flag elsewhere */
	{ "mailq -s id", { "mailq", "-s", "1LHC3QOBGO4C3S", NULL },
	    "mode=list s=1LHC3QOBGO4C3S" },
	{ "mailq -sID -j", { "mailq", "-s1LHC3QOBGO4C3S", "-j", NULL },
	    "mode=list json s=1LHC3QOBGO4C3S" },
	{ "-bp -s msgid", { "sendmail", "-bp", "-s", "<a@b>", NULL },
	    "mode=list s=<a@b>" },
	{ "mailq -s without a value", { "mailq", "-s", NULL },
	    "USAGE: option requires a value: -s" },
	{ "mailq -s empty", { "mailq", "-s", "", NULL },
	    "USAGE: -s: give a queue id or a Message-ID" },
	{ "sendmail -s ignored", { "sendmail", "-s", "a@b", NULL },
	    "mode=submit rcpts=a@b" },
	{ "sendmail -s before -bp", { "sendmail", "-s", "x", "-bp", NULL },
	    "USAGE: -bp takes no recipients" },

	/* command lines real callers use */
	{ "cron", { "/usr/sbin/sendmail", "-FCronDaemon", "-i", "-B8BITMIME",
	    "-oem", "root", NULL },
	    "mode=submit i F=[CronDaemon] e=m rcpts=root" },
	{ "mutt", { "/usr/sbin/sendmail", "-oem", "-oi", "--", "a@b.example",
	    "c@d.example", NULL },
	    "mode=submit i e=m rcpts=a@b.example,c@d.example" },
	{ "php mail() with -f", { "/usr/sbin/sendmail", "-t", "-i",
	    "-fwww@example.org", NULL }, "mode=submit t i f=<www@example.org>" },
	{ "nodemailer", { "sendmail", "-i", "-f", "app@example.org", "--",
	    "x@example.org", NULL },
	    "mode=submit i f=<app@example.org> rcpts=x@example.org" },
	{ "symfony -bs", { "/usr/sbin/sendmail", "-bs", NULL }, "mode=bs" },
	{ "git send-email", { "/usr/sbin/sendmail", "-i", "a@example.org",
	    "b@example.org", NULL },
	    "mode=submit i rcpts=a@example.org,b@example.org" },

	/* -t -i and clusters */
	{ "-ti", { "sendmail", "-ti", NULL }, "mode=submit t i" },
	{ "-oi -t", { "sendmail", "-oi", "-t", NULL }, "mode=submit t i" },
	{ "-tiv", { "sendmail", "-tiv", NULL }, "mode=submit t i v" },
	{ "-t with args", { "sendmail", "-t", "x@y", NULL },
	    "mode=submit t rcpts=x@y" },
	{ "-o i separate", { "sendmail", "-o", "i", "a", NULL },
	    "mode=submit i rcpts=a" },

	/* -f -r -F */
	{ "-f attached", { "sendmail", "-fa@b", "c", NULL },
	    "mode=submit f=<a@b> rcpts=c" },
	{ "-f separate", { "sendmail", "-f", "a@b", "c", NULL },
	    "mode=submit f=<a@b> rcpts=c" },
	{ "-f <>", { "sendmail", "-f", "<>", "c", NULL },
	    "mode=submit f=<> rcpts=c" },
	{ "-f ''", { "sendmail", "-f", "", "c", NULL },
	    "mode=submit f=<> rcpts=c" },
	{ "-f<> attached", { "sendmail", "-f<>", "c", NULL },
	    "mode=submit f=<> rcpts=c" },
	{ "-r separate", { "sendmail", "-r", "x@y", "c", NULL },
	    "mode=submit f=<x@y> rcpts=c" },
	{ "-f twice: last wins", { "sendmail", "-fa@b", "-f", "c@d", "e",
	    NULL }, "mode=submit f=<c@d> rcpts=e" },
	{ "-ti then -f value", { "sendmail", "-tif", "a@b", NULL },
	    "mode=submit t i f=<a@b>" },
	{ "-F attached", { "sendmail", "-FFull Name", "c", NULL },
	    "mode=submit F=[Full Name] rcpts=c" },
	{ "-F separate", { "sendmail", "-F", "Cron Daemon", "c", NULL },
	    "mode=submit F=[Cron Daemon] rcpts=c" },
	{ "-f missing value", { "sendmail", "-f", NULL },
	    "USAGE: option requires a value: -f" },

	/* DSN */
	{ "-N never", { "sendmail", "-N", "never", "a", NULL },
	    "mode=submit N=1 rcpts=a" },
	{ "-N list", { "sendmail", "-N", "delay,failure,success", "a", NULL },
	    "mode=submit N=14 rcpts=a" },
	{ "-N attached case", { "sendmail", "-NFAILURE", "a", NULL },
	    "mode=submit N=4 rcpts=a" },
	{ "-N never mixed", { "sendmail", "-N", "never,delay", "a", NULL },
	    "USAGE: -N: never cannot be combined with other values" },
	{ "-N blanks", { "sendmail", "-N", " delay , failure ", "a", NULL },
	    "mode=submit N=12 rcpts=a" },
	/* the word after a blank was dropped: "delay junk" was delay */
	{ "-N two words", { "sendmail", "-N", "delay junk", "a", NULL },
	    "USAGE: -N: want never, or a list of delay, failure, success" },
	{ "-N empty word", { "sendmail", "-N", "delay,,failure", "a", NULL },
	    "USAGE: -N: want never, or a list of delay, failure, success" },
	{ "-N empty", { "sendmail", "-N", "", "a", NULL },
	    "USAGE: -N: want never, or a list of delay, failure, success" },
	{ "-N bad", { "sendmail", "-N", "sometimes", "a", NULL },
	    "USAGE: -N: want never, or a list of delay, failure, success" },
	{ "-R full", { "sendmail", "-R", "full", "a", NULL },
	    "mode=submit R=full rcpts=a" },
	{ "-Rhdrs", { "sendmail", "-Rhdrs", "a", NULL },
	    "mode=submit R=hdrs rcpts=a" },
	{ "-R bad", { "sendmail", "-R", "body", "a", NULL },
	    "USAGE: -R: want full or hdrs" },
	{ "-V envid", { "sendmail", "-V", "abc123", "a", NULL },
	    "mode=submit V=abc123 rcpts=a" },
	{ "-V space", { "sendmail", "-V", "a b", "a", NULL },
	    "USAGE: -V: the envelope id must be printable ASCII without "
	    "spaces" },
	{ "-V 100", { "sendmail", "-V", "123456789012345678901234567890"
	    "12345678901234567890123456789012345678901234567890"
	    "12345678901234567890", "a", NULL },
	    "mode=submit V=123456789012345678901234567890123456789012345678"
	    "9012345678901234567890123456789012345678901234567890 rcpts=a" },
	{ "-V 101", { "sendmail", "-V", "123456789012345678901234567890"
	    "12345678901234567890123456789012345678901234567890"
	    "123456789012345678901", "a", NULL },
	    "USAGE: -V: the envelope id must be 1 to 100 characters" },

	/* VERP */
	{ "-XV", { "sendmail", "-XV", "a", NULL },
	    "mode=submit verp=+= rcpts=a" },
	{ "-XV-=", { "sendmail", "-XV-=", "a", NULL },
	    "mode=submit verp=-= rcpts=a" },
	{ "-X V separate", { "sendmail", "-X", "V", "a", NULL },
	    "mode=submit verp=+= rcpts=a" },
	{ "-XV bad delims", { "sendmail", "-XV@@", "a", NULL },
	    "USAGE: -XV: want two delimiters from \"+-=\", as in -XV+=" },
	{ "-XV one delim", { "sendmail", "-XV+", "a", NULL },
	    "USAGE: -XV: want two delimiters from \"+-=\", as in -XV+=" },
	{ "-X logfile refused", { "sendmail", "-X", "/tmp/log", "a", NULL },
	    "USAGE: -X: traffic log files are not supported (-XV is VERP)" },

	/* modes */
	{ "-bm", { "mailq", "-bm", "a", NULL }, "mode=submit rcpts=a" },
	{ "-bs", { "sendmail", "-bs", NULL }, "mode=bs" },
	{ "-b s separate", { "sendmail", "-b", "s", NULL }, "mode=bs" },
	{ "-bp", { "sendmail", "-bp", NULL }, "mode=list" },
	{ "-bi", { "sendmail", "-bi", NULL }, "mode=aliases" },
	{ "-I", { "sendmail", "-I", NULL }, "mode=aliases" },
	{ "-bv", { "sendmail", "-bv", "a@b", "root", NULL },
	    "mode=verify rcpts=a@b,root" },
	{ "-bd", { "sendmail", "-bd", NULL }, "USAGE: -bd: minimta runs no "
	    "SMTP listener; use sendmail -q30m for a queue runner" },
	{ "-bD", { "sendmail", "-bD", NULL }, "USAGE: -bD: minimta runs no "
	    "SMTP listener; use sendmail -qf -q30m for a queue runner in the "
	    "foreground" },
	{ "-bt", { "sendmail", "-bt", NULL }, "USAGE: -bt: minimta has no "
	    "rewriting rules to test; use -bv to see how addresses are "
	    "routed" },
	{ "-bh", { "sendmail", "-bh", NULL }, "USAGE: -bh: minimta keeps no "
	    "host status; mailq shows why messages wait" },
	{ "-bH", { "sendmail", "-bH", NULL },
	    "USAGE: -bH: minimta keeps no host status to purge" },
	{ "-bP", { "sendmail", "-bP", NULL },
	    "USAGE: -bP: minimta has one queue; mailq lists it" },
	{ "-bz", { "sendmail", "-bz", NULL }, "USAGE: unknown option: -bz" },
	{ "-b missing", { "sendmail", "-b", NULL },
	    "USAGE: option requires a value: -b" },

	/* queue */
	{ "-q", { "sendmail", "-q", NULL }, "mode=queue once" },
	{ "-q30m", { "sendmail", "-q30m", NULL }, "mode=queue every=1800" },
	{ "-q1h", { "sendmail", "-q1h", NULL }, "mode=queue every=3600" },
	{ "-q90s", { "sendmail", "-q90s", NULL }, "mode=queue every=90" },
	{ "-q1h30m", { "sendmail", "-q1h30m", NULL },
	    "mode=queue every=5400" },
	{ "-q15 minutes", { "sendmail", "-q15", NULL },
	    "mode=queue every=900" },
	{ "-q30d at max", { "sendmail", "-q30d", NULL },
	    "mode=queue every=2592000" },
	{ "-q31d past max", { "sendmail", "-q31d", NULL },
	    "USAGE: -q31d: bad queue interval (e.g. -q30m, -q1h; at most 30d)" },
	{ "-q0", { "sendmail", "-q0", NULL },
	    "USAGE: -q0: bad queue interval (e.g. -q30m, -q1h; at most 30d)" },
	{ "-q5x", { "sendmail", "-q5x", NULL },
	    "USAGE: -q5x: bad queue interval (e.g. -q30m, -q1h; at most 30d)" },
	{ "-qf", { "sendmail", "-qf", NULL }, "mode=queue once qf" },
	{ "-qf -q30m", { "sendmail", "-qf", "-q30m", NULL },
	    "mode=queue every=1800 qf" },
	{ "-qIid", { "sendmail", "-qI7QX2", NULL },
	    "mode=queue once qI=7QX2" },
	{ "-q -qR -qS", { "sendmail", "-q", "-qRexample.org", "-qSroot",
	    NULL }, "mode=queue once qR=example.org qS=root" },
	{ "-qI empty", { "sendmail", "-qI", NULL },
	    "USAGE: -qI: needs a value attached, as in -qIvalue" },
	{ "mailq -qR filters", { "mailq", "-qRexample.org", NULL },
	    "mode=list qR=example.org" },
	{ "-bp -qI", { "sendmail", "-bp", "-qIabc", NULL },
	    "mode=list qI=abc" },
	{ "-bs -qI", { "sendmail", "-bs", "-qIabc", NULL },
	    "USAGE: -qI: only with -q, -bp or -M, not with -bs" },
	{ "-qp", { "sendmail", "-qp", NULL }, "USAGE: -qp: persistent queue "
	    "runners are not supported; use -q30m" },
	{ "-q!I", { "sendmail", "-q!Iabc", NULL }, "USAGE: -q!Iabc: negated "
	    "queue selections are not supported" },
	{ "-qG", { "sendmail", "-qGgroup", NULL }, "USAGE: -qGgroup: not "
	    "supported (minimta has one queue: use -q, -qf, -q30m, -qI, -qR or "
	    "-qS)" },
	{ "mailq -q runs", { "mailq", "-q", NULL }, "mode=queue once" },

	/* delivery and error modes */
	{ "-odb", { "sendmail", "-odb", "a", NULL }, "mode=submit rcpts=a" },
	{ "-odi", { "sendmail", "-odi", "a", NULL },
	    "mode=submit odi rcpts=a" },
	{ "-odq", { "sendmail", "-odq", "a", NULL },
	    "mode=submit odq rcpts=a" },
	{ "-odd", { "sendmail", "-odd", "a", NULL },
	    "mode=submit odq rcpts=a" },
	{ "-odx", { "sendmail", "-odx", "a", NULL },
	    "USAGE: -od: want b, i, q or d (-odb, -odi, -odq)" },
	{ "-oem", { "sendmail", "-oem", "a", NULL },
	    "mode=submit e=m rcpts=a" },
	{ "-oep", { "sendmail", "-oep", "a", NULL },
	    "mode=submit e=p rcpts=a" },
	{ "-oee", { "sendmail", "-oee", "a", NULL },
	    "mode=submit e=e rcpts=a" },
	{ "-oeq", { "sendmail", "-oeq", "a", NULL },
	    "mode=submit e=q rcpts=a" },
	{ "-oew", { "sendmail", "-oew", "a", NULL },
	    "mode=submit e=w rcpts=a" },
	{ "-em", { "sendmail", "-em", "a", NULL }, "mode=submit e=m rcpts=a" },
	{ "-oex", { "sendmail", "-oex", "a", NULL },
	    "USAGE: -oe: want m, p, e, q or w (as in -oem)" },

	/* -C, -O, -o overrides */
	{ "-C", { "sendmail", "-C", "/tmp/x.conf", "a", NULL },
	    "mode=submit C=/tmp/x.conf rcpts=a" },
	{ "-Cattached", { "sendmail", "-C/tmp/x.conf", "a", NULL },
	    "mode=submit C=/tmp/x.conf rcpts=a" },
	{ "-oQ", { "sendmail", "-oQ/tmp/spool", "a", NULL },
	    "mode=submit O:spool=/tmp/spool rcpts=a" },
	{ "-oQ empty", { "sendmail", "-oQ", "a", NULL },
	    "USAGE: -oQ: missing spool directory (-oQ/var/spool/minimta)" },
	{ "-oA", { "newaliases", "-oA/etc/mail/aliases", NULL },
	    "mode=aliases O:aliases=/etc/mail/aliases" },
	{ "-O key", { "sendmail", "-O", "smarthost=smtp://h", "-Ospool=/s",
	    "a", NULL }, "mode=submit O:smarthost=smtp://h O:spool=/s "
	    "rcpts=a" },
	{ "-O empty value", { "sendmail", "-O", "smarthost=", "a", NULL },
	    "mode=submit O:smarthost= rcpts=a" },
	{ "-O key no value", { "sendmail", "-O", "spool", "a", NULL },
	    "USAGE: -O spool: missing value (-O spool=value)" },
	{ "-O sendmail ignored", { "sendmail", "-O", "LogLevel=9", "a",
	    NULL }, "mode=submit rcpts=a" },
	{ "-O QueueDirectory", { "sendmail", "-OQueueDirectory=/q", "a",
	    NULL }, "mode=submit O:spool=/q rcpts=a" },
	{ "-O DeliveryMode", { "sendmail", "-O", "DeliveryMode=i", "a",
	    NULL }, "mode=submit odi rcpts=a" },
	{ "-O ErrorMode", { "sendmail", "-O", "ErrorMode=q", "a", NULL },
	    "mode=submit e=q rcpts=a" },
	{ "-O IgnoreDots", { "sendmail", "-O", "ignoredots", "a", NULL },
	    "mode=submit i rcpts=a" },
	{ "-O IgnoreDots=false", { "sendmail", "-i", "-O",
	    "IgnoreDots=false", "a", NULL }, "mode=submit rcpts=a" },
	{ "-O =x", { "sendmail", "-O", "=x", "a", NULL },
	    "USAGE: -O: missing option name (-O key=value)" },

	/* ignored flags */
	{ "ignored flags", { "sendmail", "-B", "8BITMIME", "-h", "5",
	    "-L", "tag", "-G", "-U", "-Ac", "-m", "-n", "-s", "-c", "a",
	    NULL }, "mode=submit rcpts=a" },
	{ "ignored attached", { "sendmail", "-B8BITMIME", "-h5", "-Ltag",
	    "-Am", "-d0.1", "-pesmtp:host", "a", NULL },
	    "mode=submit rcpts=a" },

	/* queue administration, Exim's spellings (issue 7) */
	{ "-Mrm ids", { "sendmail", "-Mrm", "1LHC3IEGPOVQK8", "X", NULL },
	    "mode=admin M=rm rcpts=1LHC3IEGPOVQK8,X" },
	{ "-Mf", { "sendmail", "-Mf", "1LHC3IEGPOVQK8", NULL },
	    "mode=admin M=hold rcpts=1LHC3IEGPOVQK8" },
	{ "-Mt after", { "sendmail", "1LHC3IEGPOVQK8", "-Mt", NULL },
	    "mode=admin M=release rcpts=1LHC3IEGPOVQK8" },
	{ "-M", { "sendmail", "-v", "-M", "1LHC3IEGPOVQK8", NULL },
	    "mode=admin v M=deliver rcpts=1LHC3IEGPOVQK8" },
	{ "-vM cluster", { "sendmail", "-vMf", "A", NULL },
	    "mode=admin v M=hold rcpts=A" },
	{ "-M as mailq", { "mailq", "-Mrm", "A", NULL },
	    "mode=admin M=rm rcpts=A" },
	{ "-M twice", { "sendmail", "-Mf", "-Mf", "A", NULL },
	    "mode=admin M=hold rcpts=A" },
	{ "-Mf -qR", { "sendmail", "-Mf", "-qR@spam.example", NULL },
	    "mode=admin qR=@spam.example M=hold" },
	{ "-qS before -Mrm", { "sendmail", "-qSbob", "-qRx", "-Mrm", NULL },
	    "mode=admin qR=x qS=bob M=rm" },
	{ "-M -- ids", { "sendmail", "-Mrm", "--", "-x", NULL },
	    "mode=admin M=rm rcpts=-x" },
	{ "-M no ids", { "sendmail", "-Mrm", NULL },
	    "USAGE: -Mrm: give the queue ids, or select messages with -qR or "
	    "-qS" },
	{ "-M ids and -qR", { "sendmail", "-Mt", "-qRa", "A", NULL },
	    "USAGE: -Mt: give queue ids or select with -qR/-qS, not both" },
	{ "-M -qI", { "sendmail", "-M", "-qIA", NULL },
	    "USAGE: -qI: not with -M: give the queue ids as arguments" },
	{ "-M two actions", { "sendmail", "-Mf", "-Mrm", "A", NULL },
	    "USAGE: conflicting modes: -Mf and -Mrm" },
	{ "-M and -q", { "sendmail", "-Mf", "-q", "A", NULL },
	    "USAGE: conflicting modes: -Mf and -q" },
	{ "-M and -bp", { "sendmail", "-bp", "-Mrm", "A", NULL },
	    "USAGE: conflicting modes: -bp and -Mrm" },
	{ "-M -t", { "sendmail", "-t", "-Mrm", "A", NULL },
	    "USAGE: -t: only when submitting a message, not with -Mrm" },
	{ "-M -j", { "sendmail", "-j", "-Mrm", "A", NULL },
	    "USAGE: -j: only when listing the queue (mailq, -bp), not with "
	    "-Mrm" },
	{ "Exim -Mvh", { "sendmail", "-Mvh", "A", NULL },
	    "USAGE: -Mvh: not supported (minimta knows -M, -Mrm, -Mf and -Mt, "
	    "each followed by queue ids)" },
	{ "sendmail macro -MjX", { "sendmail", "-MjX", "a", NULL },
	    "USAGE: -MjX: not supported (minimta knows -M, -Mrm, -Mf and -Mt, "
	    "each followed by queue ids)" },
	{ "-M empty id", { "sendmail", "-Mrm", "", NULL },
	    "USAGE: empty queue id argument" },
	{ "-M id with control", { "sendmail", "-Mrm", "A\nB", NULL },
	    "USAGE: queue id 1 contains a control character" },
	{ "ignored -o letters", { "sendmail", "-o7", "-o8", "-om", "-oo",
	    "-os", "-oL9", "-oXyz", "a", NULL }, "mode=submit rcpts=a" },
	{ "ignored in cluster", { "sendmail", "-GtUi", NULL },
	    "mode=submit t i" },
	{ "ignored -B needs value", { "sendmail", "-B", NULL },
	    "USAGE: option requires a value: -B" },
	{ "-o missing letter", { "sendmail", "-o", "", "a", NULL },
	    "USAGE: -o: missing option letter" },

	/* unknown flags and argument order */
	{ "unknown -Z", { "sendmail", "-Z", "a", NULL },
	    "USAGE: unknown option: -Z" },
	{ "unknown in cluster", { "sendmail", "-tiZ", NULL },
	    "USAGE: unknown option: -Z" },
	{ "unknown --help", { "sendmail", "--help", NULL },
	    "USAGE: unknown option: --help" },
	{ "unknown control", { "sendmail", "-\x01", NULL },
	    "USAGE: unknown option: -?" },
	{ "-- ends options", { "sendmail", "-f", "a@b", "--", "-weird",
	    "x", NULL }, "mode=submit f=<a@b> rcpts=-weird,x" },
	{ "option after rcpt", { "sendmail", "rcpt@x", "-f", "a@b", NULL },
	    "mode=submit f=<a@b> rcpts=rcpt@x" },
	{ "options around rcpts", { "sendmail", "-t", "a@x", "-i", "b@x",
	    "-oi", "-Fname", NULL },
	    "mode=submit t i F=[name] rcpts=a@x,b@x" },
	{ "-- after rcpt", { "sendmail", "a@x", "--", "-f", NULL },
	    "mode=submit rcpts=a@x,-f" },
	{ "- alone", { "sendmail", "-", NULL },
	    "USAGE: recipient - is not an address" },
	{ "-- then -", { "sendmail", "--", "-", NULL },
	    "USAGE: recipient - is not an address" },
	{ "empty recipient", { "sendmail", "a", "", NULL },
	    "USAGE: empty recipient argument" },

	/* control characters */
	{ "LF in sender", { "sendmail", "-f", "a@b\nRCPT TO:<x>", "c", NULL },
	    "USAGE: -f: value contains a control character" },
	{ "CR in -F", { "sendmail", "-FName\r", "c", NULL },
	    "USAGE: -F: value contains a control character" },
	{ "LF in recipient", { "sendmail", "a@b", "c@d\nBcc: e", NULL },
	    "USAGE: recipient 2 contains a control character" },
	{ "LF in -O", { "sendmail", "-O", "spool=/x\n", "a", NULL },
	    "USAGE: -O: value contains a control character" },
	{ "LF in ignored -h", { "sendmail", "-h", "1\n", "a", NULL },
	    "USAGE: -h: value contains a control character" },
	{ "LF in -qR", { "sendmail", "-qRa\nb", NULL },
	    "USAGE: -q: value contains a control character" },

	/* conflicts */
	{ "two modes", { "sendmail", "-bp", "-bs", NULL },
	    "USAGE: conflicting modes: -bp and -bs" },
	{ "same mode twice", { "sendmail", "-bp", "-bp", NULL },
	    "mode=list" },
	{ "-q with -bp", { "sendmail", "-bp", "-q", NULL },
	    "USAGE: conflicting modes: -bp and -q" },
	{ "-q30m with -bi", { "sendmail", "-q30m", "-bi", NULL },
	    "USAGE: conflicting modes: -q30m and -bi" },
	{ "-q with -t", { "sendmail", "-q", "-t", NULL },
	    "USAGE: -t: only when submitting a message, not with -q" },
	{ "-t with -bs", { "sendmail", "-t", "-bs", NULL },
	    "USAGE: -t: only when submitting a message, not with -bs" },
	{ "-bs with recipients", { "sendmail", "-bs", "a@b", NULL },
	    "USAGE: -bs takes no recipients" },
	{ "mailq with recipients", { "mailq", "a@b", NULL },
	    "USAGE: mailq takes no recipients" },
	{ "-q with recipients", { "sendmail", "-q", "a@b", NULL },
	    "USAGE: -q takes no recipients" },
	{ "-j when submitting", { "sendmail", "-j", "a", NULL },
	    "USAGE: -j: only when listing the queue (mailq, -bp), not with "
	    "sendmail" },
	{ "-bv without addresses", { "sendmail", "-bv", NULL },
	    "USAGE: -bv: give the addresses to verify" },
	{ "no recipients", { "sendmail", NULL }, "USAGE: no recipients: give "
	    "them as arguments, or use -t to read them from the message" },
	{ "no recipients -i", { "sendmail", "-i", "-f", "a@b", NULL },
	    "USAGE: no recipients: give them as arguments, or use -t to read "
	    "them from the message" },
	{ "argc 0", { NULL }, "USAGE: no recipients: give them as arguments, "
	    "or use -t to read them from the message" },
};

static void
run_case(const struct cli_case *tc)
{
	char *argv[17];
	struct cli c;
	struct why why;
	struct buf got;
	int argc, i;
	enum cli_result r;

	for (argc = 0; tc->argv[argc] != NULL; argc++)
		argv[argc] = xstrdup(tc->argv[argc]);
	argv[argc] = NULL;
	why.text[0] = '\0';
	buf_init(&got);
	r = cli_parse(argc, argv, &c, &why);
	if (r == CLI_OK) {
		cli_show(&got, &c);
		cli_free(&c);
	} else {
		buf_printf(&got, "USAGE: %s", why.text);
		UNIT_CHECK(tc->name, c.overrides == NULL,
		    "overrides not freed on usage");
	}
	UNIT_STR(tc->name, buf_cstr(&got), tc->want);
	buf_free(&got);
	for (i = 0; i < argc; i++)
		free(argv[i]);
}

/* Every flag of the ignored table is in sendmail.8, with its reason. */
static void
check_man_page(void)
{
	const struct cli_ignored *t;
	struct buf man, flag;
	char chunk[4096];
	size_t n, i;
	FILE *f;

	f = fopen("man/sendmail.8", "r");
	UNIT_CHECK("man/sendmail.8 readable", f != NULL,
	    "run from the top of the tree");
	if (f == NULL)
		return;
	buf_init(&man);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&man, chunk, n);
	fclose(f);
	t = cli_ignored(&n);
	UNIT_CHECK("ignored table not empty", n > 10, "n=%zu", n);
	for (i = 0; i < n; i++) {
		buf_init(&flag);
		/* man(7): ".TP" then "\fB\-X\fR" on the next line. */
		buf_printf(&flag, "\\fB\\%s\\fR", t[i].flag);
		UNIT_CHECK(t[i].flag, strstr(buf_cstr(&man),
		    buf_cstr(&flag)) != NULL, "%s not in man/sendmail.8",
		    buf_cstr(&flag));
		UNIT_CHECK(t[i].flag, t[i].reason != NULL &&
		    strlen(t[i].reason) > 10, "no reason");
		buf_free(&flag);
	}
	buf_free(&man);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	check_man_page();
	return unit_done("cli");
}
