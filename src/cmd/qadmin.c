/*
 * qadmin.c: sendmail -Mrm, -Mf, -Mt, -M (Exim's spellings): remove,
 * hold, release, deliver now, by queue id or for every message that
 * -qR/-qS select. Spool owner and root only. The work is admin.h's; this
 * file says what happened, one line per message, and picks the exit
 * code: 0, 66 when an id is not in the queue (the others are still
 * done), 75 when the system failed on one.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "admin.h"
#include "cli.h"
#include "conf.h"
#include "crash.h"
#include "log.h"
#include "modes.h"
#include "pickup.h"
#include "runner.h"
#include "spool.h"
#include "xmalloc.h"

/* Changes made but not yet synced, told once they are (admin_sync). */
#define QADMIN_SYNC_EVERY	1000

struct change {
	char			*id;
	enum admin_change	 what;
};

struct qadmin {
	const struct cli	*cli;
	const struct conf	*conf;
	struct spool		*sp;
	struct admin_who	 who;
	struct admin_match	 match;
	const struct admin_match *m;	/* NULL: ids given */
	const char		*flag;	/* "-Mrm" ... */
	int			 rc;
	size_t			 done;	/* messages acted on */
	struct change		*unsynced;
	size_t			 nunsynced;
	char			**ids;	/* -M: to deliver */
	size_t			 nids;
};

static const char *
flag_of(enum cli_admin a)
{
	switch (a) {
	case CLI_ADMIN_REMOVE:
		return "-Mrm";
	case CLI_ADMIN_HOLD:
		return "-Mf";
	case CLI_ADMIN_RELEASE:
		return "-Mt";
	default:
		return "-M";
	}
}

/* 75 (the system failed) outranks 66 (an unknown id), which outranks 0. */
static void
set_rc(struct qadmin *a, int rc)
{
	if (rc == EX_TEMPFAIL || (rc == EX_NOINPUT && a->rc == EX_OK))
		a->rc = rc;
}

static void
failed(struct qadmin *a, const char *id, const struct why *why)
{
	log_error("%s: %s: %s", id, a->flag, why->text);
	log_user("%s: %s: %s", a->flag, id, why->text);
	set_rc(a, EX_TEMPFAIL);
}

/* Syncs the changes made so far, then tells them (log and stdout). */
static void
flush(struct qadmin *a)
{
	static const char *const said[] = {
		[ADMIN_REMOVED] = "removed",
		[ADMIN_HELD] = "placed on hold",
		[ADMIN_RELEASED] = "released from hold",
	};
	struct change *c;
	struct why why;
	bool synced;
	size_t i;

	if (a->nunsynced == 0)
		return;
	crash_point("admin.before-sync");
	synced = admin_sync(a->sp, &why) == 0;
	for (i = 0; i < a->nunsynced; i++) {
		c = &a->unsynced[i];
		if (!synced) {
			failed(a, c->id, &why);
		} else {
			admin_log(c->id, c->what, &a->who);
			/* -M says what its delivery did instead */
			if (a->cli->admin != CLI_ADMIN_DELIVER)
				printf("%s: %s\n", c->id, said[c->what]);
		}
		free(c->id);
	}
	a->nunsynced = 0;
}

static void
changed(struct qadmin *a, const char *id, enum admin_change what)
{
	if (a->unsynced == NULL)
		a->unsynced = xreallocarray(NULL, QADMIN_SYNC_EVERY,
		    sizeof(*a->unsynced));
	a->unsynced[a->nunsynced].id = xstrdup(id);
	a->unsynced[a->nunsynced].what = what;
	if (++a->nunsynced == QADMIN_SYNC_EVERY)
		flush(a);
}

/* What happened to id: a change (told once synced), or a line now. */
static void
report(struct qadmin *a, const char *id, enum admin_result r,
    enum admin_change what, const char *already, const struct why *why)
{
	switch (r) {
	case ADMIN_DONE:
		a->done++;
		changed(a, id, what);
		break;
	case ADMIN_ALREADY:
		a->done++;
		if (already != NULL)
			printf("%s: %s\n", id, already);
		break;
	case ADMIN_SKIPPED:
		break;
	case ADMIN_UNKNOWN:
		log_user("%s: %s: %s", a->flag, id, why->text);
		set_rc(a, EX_NOINPUT);
		break;
	case ADMIN_FAILED:
		failed(a, id, why);
		break;
	}
}

static void
act(void *arg, const char *id)
{
	struct qadmin *a = arg;
	enum admin_result r;
	struct why why;

	why.text[0] = '\0';
	switch (a->cli->admin) {
	case CLI_ADMIN_REMOVE:
		r = admin_remove(a->sp, a->conf, id, a->m, &a->who, &why);
		report(a, id, r, ADMIN_REMOVED, NULL, &why);
		break;
	case CLI_ADMIN_HOLD:
		r = admin_hold(a->sp, a->conf, id, a->m, &a->who, &why);
		report(a, id, r, ADMIN_HELD, "already on hold", &why);
		break;
	case CLI_ADMIN_RELEASE:
		r = admin_release(a->sp, a->conf, id, a->m, &a->who,
		    &why);
		report(a, id, r, ADMIN_RELEASED, "not on hold", &why);
		break;
	default:
		/* -M: released first (Exim thaws a frozen message too) */
		r = admin_release(a->sp, a->conf, id, a->m, &a->who,
		    &why);
		report(a, id, r, ADMIN_RELEASED, NULL, &why);
		if ((r == ADMIN_DONE || r == ADMIN_ALREADY) && a->m == NULL) {
			a->ids = xreallocarray(a->ids, a->nids + 1,
			    sizeof(*a->ids));
			a->ids[a->nids++] = xstrdup(id);
		}
		break;
	}
}

/* -M: one delivery attempt now, back-off or not, as -q does. */
static void
deliver_now(struct qadmin *a, const struct conf *conf)
{
	struct runner_opts o = { .verbose = a->cli->verbose,
	    .only_rcpt = a->match.rcpt, .only_sender = a->match.sender,
	    .ids = a->ids, .nids = a->nids };
	struct deliver_stats st;
	struct why why;
	time_t next;

	if (a->m == NULL && a->nids == 0)
		return;		/* every id was unknown */
	if (runner_once(conf, a->sp, &o, &st, &next, &why) == -1) {
		log_user("%s", why.text);
		a->rc = EX_CONFIG;
	} else if (a->m != NULL && a->done == 0 &&
	    st.sent + st.deferred + st.bounced == 0) {
		log_user("%s: no message matches", a->flag);
	}
}

int
mode_admin(const struct cli *cli, const struct conf *conf)
{
	struct qadmin a = { .cli = cli, .flag = flag_of(cli->admin) };
	/* who asked, before root becomes the spool owner */
	char *login = mode_login_name();
	struct why why;
	size_t i;

	a.who.uid = getuid();
	a.who.name = login;
	a.conf = conf;
	a.sp = mode_open_spool(conf, true, a.flag);
	/* drop files too: a message is removable as soon as it is queued */
	(void)pickup_run(conf, a.sp);
	if (cli->nrcpts > 0) {
		for (i = 0; i < cli->nrcpts; i++)
			act(&a, cli->rcpts[i]);
	} else {
		a.match.rcpt = cli->queue_rcpt;
		a.match.sender = cli->queue_sender;
		a.m = &a.match;
		/* -Mf: queued messages; -Mt, -M: held ones; -Mrm: both */
		if ((cli->admin == CLI_ADMIN_HOLD ||
		    cli->admin == CLI_ADMIN_REMOVE) &&
		    admin_select(a.sp, false, a.m, act, &a, &why) == -1)
			fatal(EX_IOERR, "%s: %s", a.flag, why.text);
		if (cli->admin != CLI_ADMIN_HOLD &&
		    admin_select(a.sp, true, a.m, act, &a, &why) == -1)
			fatal(EX_IOERR, "%s: %s", a.flag, why.text);
		if (a.done == 0 && cli->admin != CLI_ADMIN_DELIVER)
			log_user("%s: no message matches", a.flag);
	}
	flush(&a);
	if (cli->admin == CLI_ADMIN_DELIVER)
		deliver_now(&a, conf);
	/* a listening runner takes released messages never tried at once */
	if (cli->admin == CLI_ADMIN_RELEASE && a.done > 0)
		(void)spool_trigger(a.sp);
	for (i = 0; i < a.nids; i++)
		free(a.ids[i]);
	free(a.ids);
	free(a.unsynced);
	free(login);
	spool_close(a.sp);
	if (fflush(stdout) != 0 && a.rc == EX_OK)
		a.rc = EX_IOERR;
	return a.rc;
}
