#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "envelope.h"
#include "fileio.h"
#include "journal.h"
#include "log.h"
#include "modes.h"
#include "runner.h"
#include "spool.h"
#include "submit.h"
#include "xmalloc.h"

struct conf *
mode_load_conf(const struct cli *cli, struct why *why)
{
	const char *path = cli->conf_path;
	bool explicit = true;
	struct conf *conf = conf_new();
	size_t i;

	if (path == NULL && (path = getenv("MINIMTA_CONF")) != NULL &&
	    *path == '\0')
		path = NULL;
	if (path == NULL) {
		path = CONF_DEFAULT_PATH;
		explicit = false;
	}
	if (conf_load(conf, path, why) == -1 && (explicit || errno != ENOENT))
		goto fail;
	for (i = 0; i < cli->noverrides; i++) {
		const char *key = cli->overrides[i].key;
		size_t j;
		bool first = true;

		if (!conf_has_key(key))
			continue;	/* sendmail's own options: ignored */
		/* -O smarthost=... replaces the file's list, then adds */
		for (j = 0; j < i; j++)
			if (strcmp(cli->overrides[j].key, key) == 0)
				first = false;
		if (first && conf_key_repeatable(key) &&
		    conf_set(conf, key, "", why) == -1)
			goto fail;
		if (conf_set(conf, key, cli->overrides[i].value, why) == -1)
			goto fail;
	}
	if (conf_finish(conf, why) == -1)
		goto fail;
	return conf;
fail:
	conf_free(conf);
	return NULL;
}

/*
 * spool_owner, looked up only by root (the only one who acts on it): a
 * passwd lookup costs every submission otherwise.
 */
static void
spool_account_of(const struct conf *conf, struct spool_account *a)
{
	struct passwd *pw;

	a->name = NULL;
	a->uid = 0;
	a->gid = 0;
	if (geteuid() != 0 || conf->spool_owner == NULL)
		return;
	a->name = conf->spool_owner;
	if (strcmp(conf->spool_owner, "root") == 0)
		return;		/* uid 0 by definition: no lookup */
	if ((pw = getpwnam(conf->spool_owner)) == NULL)
		fatal(EX_CONFIG, "%s: spool_owner: %s: no such user",
		    conf->path != NULL ? conf->path : "-O", conf->spool_owner);
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
}

/*
 * Root, before it becomes the spool owner, gives the journal directory
 * its status_group (journal.h): the owner may not. A missing spool is
 * made by spool_open; its journal gets the group on root's next start.
 */
static void
journal_setup_as_root(const struct conf *conf)
{
	struct group *gr;
	struct why why;

	if (geteuid() != 0 || conf->status_group == NULL ||
	    conf->journal_max_age == 0)
		return;
	if ((gr = getgrnam(conf->status_group)) == NULL)
		fatal(EX_CONFIG, "%s: status_group: %s: no such group",
		    conf->path != NULL ? conf->path : "-O", conf->status_group);
	if (journal_root_setup(conf->spool, gr->gr_gid, &why) == -1 &&
	    errno != ENOENT)
		log_warn("%s", why.text);
}

struct spool *
mode_open_spool(const struct conf *conf, bool need_owner, const char *what)
{
	static const int exits[] = {
		[SPOOL_OPEN_TEMPFAIL] = EX_TEMPFAIL,
		[SPOOL_OPEN_NOPERM] = EX_NOPERM,
		[SPOOL_OPEN_CONFIG] = EX_CONFIG,
		[SPOOL_OPEN_OSERR] = EX_OSERR,
	};
	struct spool_account want;
	enum spool_open_result r;
	struct spool *sp;
	struct why why;

	spool_account_of(conf, &want);
	journal_setup_as_root(conf);
	/* root becomes the spool owner inside, before touching the spool */
	if ((r = spool_open(conf->spool, &want, &sp, &why)) != SPOOL_OPEN_OK)
		fatal(exits[r], "%s", why.text);
	if (need_owner && spool_role(sp) != SPOOL_ROLE_OWNER) {
		unsigned long owner = (unsigned long)spool_owner(sp);

		spool_close(sp);
		fatal(EX_NOPERM, "%s: permission denied: only the spool owner "
		    "(uid %lu) and root may do this", what, owner);
	}
	return sp;
}

char *
mode_login_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0')
		return xstrdup(pw->pw_name);
	return xasprintf("uid%lu", (unsigned long)getuid());
}

/* -odi: the outcome of the delivery as an exit code. */
static int
interactive(const struct cli *cli, const struct conf *conf,
    struct spool *sp, const char *id)
{
	struct runner_opts o = { .only_id = id, .in_process = true,
	    .verbose = cli->verbose };
	struct deliver_stats st;
	struct why why;
	time_t next;

	/* the message is queued: a failure now must not make the caller
	 * submit it again (it would go out twice); it waits in the queue */
	if (runner_once(conf, sp, &o, &st, &next, &why) == -1) {
		log_error("%s: queued, not delivered now: %s", id, why.text);
		log_user("message %s is queued, but delivery failed: %s; it "
		    "waits for the next queue run", id, why.text);
		return EX_OK;
	}
	if (st.bounced > 0) {
		log_user("message %s: some recipients were refused; a "
		    "delivery status notification was sent", id);
		return EX_UNAVAILABLE;
	}
	if (st.deferred > 0)
		log_user("message %s: delivery deferred; it stays queued and "
		    "will be retried", id);
	return EX_OK;
}

int
mode_after_submit(const struct cli *cli, const struct conf *conf,
    struct spool *sp, const char *id)
{
	bool owner = spool_role(sp) == SPOOL_ROLE_OWNER;

	if (cli->delivery == CLI_DELIVER_QUEUE)
		return EX_OK;
	if (cli->delivery == CLI_DELIVER_INTERACTIVE && owner)
		return interactive(cli, conf, sp, id);
	if (spool_trigger(sp) == 0)
		return EX_OK;
	if (owner) {
		runner_detach(conf, sp, id);
		return EX_OK;
	}
	log_user("no queue runner is listening: message %s waits for the "
	    "next \"sendmail -q\" run by the spool owner or root", id);
	log_info("%s: no queue runner is listening; the message waits for "
	    "the next queue run", id);
	return EX_OK;
}

/* submit's result class as the exit code (sysexits.h; sendmail 8's). */
static int
submit_exit(enum submit_result r)
{
	switch (r) {
	case SUBMIT_OK:
		return EX_OK;
	case SUBMIT_RETRY:
		return EX_TEMPFAIL;
	case SUBMIT_INPUT:
		return EX_IOERR;
	case SUBMIT_BAD_MESSAGE:
	case SUBMIT_LOOP:
		return EX_DATAERR;
	case SUBMIT_BAD_REQUEST:
		return EX_USAGE;
	}
	return EX_SOFTWARE;
}

int
mode_submit(const struct cli *cli, const struct conf *conf)
{
	struct submit_request req = { 0 };
	int in = STDIN_FILENO;
	struct submit_source src = { fileio_read_cb, NULL, &in };
	char id[SPOOL_ID_LEN + 1];
	/* the passwd lookup costs (NSS, nscd probes): only when needed */
	char *login = cli->sender == NULL ? mode_login_name() : NULL;
	struct spool *sp;
	struct why why;
	int rc;

	req.uid = getuid();
	sp = mode_open_spool(conf, false, "submit");
	req.sender = cli->sender;
	req.fullname = cli->fullname;
	req.extract = cli->read_recipients;
	req.dot_ends = !cli->ignore_dots;
	req.notify = cli->notify;
	req.ret = cli->ret;
	req.envid = cli->envid;
	req.verp = cli->verp ? cli->verp_delims : NULL;
	req.rcpts = cli->rcpts;
	req.nrcpts = cli->nrcpts;
	req.login = login;
	why.text[0] = '\0';
	rc = submit_exit(submit_message(conf, sp, &req, &src, id, &why));
	if (rc != EX_OK) {
		log_user("%s", why.text[0] ? why.text :
		    "message not accepted");
		if (log_get_dest() == LOG_DEST_SYSLOG)
			log_warn("submission from uid %lu refused: %s",
			    (unsigned long)req.uid, why.text);
	} else {
		/* for a gateway's "mailq -s ID" later (sendmail.8) */
		if ((cli->verbose || conf->print_queue_id) &&
		    (printf("%s\n", id) < 0 || fflush(stdout) == EOF))
			log_warn("%s: queued; its id could not be printed",
			    id);
		rc = mode_after_submit(cli, conf, sp, id);
	}
	free(login);
	spool_close(sp);
	return rc;
}

/* What a SIGHUP reload needs: the command line, and the config that the
 * last reload made (main.c owns and frees the first one). */
struct reload_ctx {
	const struct cli	*cli;
	struct conf		*loaded;
};

static const struct conf *
reload_conf(void *arg)
{
	struct reload_ctx *rc = arg;
	struct conf *fresh;
	struct why why;

	if ((fresh = mode_load_conf(rc->cli, &why)) == NULL) {
		log_error("reload: %s: keeping the old configuration",
		    why.text);
		return NULL;
	}
	/* the runner calls us between queue runs and keeps no pointer
	 * into the old config past this call */
	conf_free(rc->loaded);
	rc->loaded = fresh;
	return fresh;
}

int
mode_queue(const struct cli *cli, const struct conf *conf)
{
	struct spool *sp = mode_open_spool(conf, true, "queue run");
	struct runner_opts o = { .pickup = true, .verbose = cli->verbose,
	    .only_id = cli->queue_id, .only_rcpt = cli->queue_rcpt,
	    .only_sender = cli->queue_sender };
	struct deliver_stats st;
	struct why why;
	time_t next;
	int rc = EX_OK;

	if (cli->queue_interval > 0) {
		struct reload_ctx reload = { cli, NULL };

		o.due_only = true;
		if (runner_daemon(conf, sp, &o, cli->queue_interval,
		    reload_conf, &reload) == -1)
			rc = EX_OSERR;
		conf_free(reload.loaded);
	} else if (runner_once(conf, sp, &o, &st, &next, &why) == -1) {
		log_user("%s", why.text);
		rc = EX_CONFIG;
	}
	spool_close(sp);
	return rc;
}
