#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "envelope.h"
#include "log.h"
#include "modes.h"
#include "pickup.h"
#include "spool.h"
#include "submit.h"
#include "xmalloc.h"

struct spool *
mode_open_spool(const struct conf *conf, bool need_owner, const char *what)
{
	struct spool *sp;
	struct why why;

	if ((sp = spool_open(conf->spool, &why)) == NULL)
		fatal(errno == EACCES ? EX_NOPERM : EX_TEMPFAIL, "%s",
		    why.text);
	if (geteuid() == 0 && spool_drop_root(sp, &why) == -1)
		fatal(EX_OSERR, "%s", why.text);
	if (need_owner && spool_role(sp) != SPOOL_ROLE_OWNER)
		fatal(EX_NOPERM, "%s: permission denied: only the spool owner "
		    "(uid %lu) and root may do this", what,
		    (unsigned long)spool_owner(sp));
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

static ssize_t
stdin_read(void *arg, char *p, size_t n)
{
	ssize_t r;

	(void)arg;
	do
		r = read(STDIN_FILENO, p, n);
	while (r == -1 && errno == EINTR);
	return r;
}

static int
cli_notify(const struct cli *cli)
{
	int n = 0;

	if (cli->notify & CLI_NOTIFY_NEVER)
		return ENVELOPE_NOTIFY_NEVER;
	if (cli->notify & CLI_NOTIFY_SUCCESS)
		n |= ENVELOPE_NOTIFY_SUCCESS;
	if (cli->notify & CLI_NOTIFY_FAILURE)
		n |= ENVELOPE_NOTIFY_FAILURE;
	if (cli->notify & CLI_NOTIFY_DELAY)
		n |= ENVELOPE_NOTIFY_DELAY;
	return n;
}

void
mode_after_submit(const struct cli *cli, const struct conf *conf,
    struct spool *sp, const char *id)
{
	(void)conf;
	if (cli->delivery == CLI_DELIVER_QUEUE)
		return;
	if (spool_trigger(sp) == 0)
		return;
	if (spool_role(sp) == SPOOL_ROLE_OWNER) {
		/* XXX delivery engine (issue 3): deliver in a detached child */
		log_info("%s: no queue runner is listening; the message waits "
		    "for the next queue run", id);
		return;
	}
	log_user("no queue runner is listening: message %s waits for the "
	    "next \"sendmail -q\" run by the spool owner or root", id);
	log_info("%s: no queue runner is listening; the message waits for "
	    "the next queue run", id);
}

int
mode_submit(const struct cli *cli, const struct conf *conf)
{
	struct submit_request req = { 0 };
	struct submit_source src = { stdin_read, NULL, NULL };
	char id[SPOOL_ID_LEN + 1];
	char *login = mode_login_name();
	struct spool *sp;
	struct why why;
	int rc;

	req.uid = getuid();
	sp = mode_open_spool(conf, false, "submit");
	req.sender = cli->sender;
	req.fullname = cli->fullname;
	req.extract = cli->read_recipients;
	req.dot_ends = !cli->ignore_dots;
	req.notify = cli_notify(cli);
	req.ret = cli->ret == CLI_RET_HDRS ? ENVELOPE_RET_HDRS :
	    cli->ret == CLI_RET_FULL ? ENVELOPE_RET_FULL : ENVELOPE_RET_UNSET;
	req.envid = cli->envid;
	req.verp = cli->verp ? cli->verp_delims : NULL;
	req.rcpts = cli->rcpts;
	req.nrcpts = cli->nrcpts;
	req.login = login;
	why.text[0] = '\0';
	rc = submit_message(conf, sp, &req, &src, id, &why);
	if (rc != EX_OK) {
		log_user("%s", why.text[0] ? why.text :
		    "message not accepted");
		if (log_get_dest() == LOG_DEST_SYSLOG)
			log_warn("submission from uid %lu refused: %s",
			    (unsigned long)req.uid, why.text);
	} else {
		mode_after_submit(cli, conf, sp, id);
	}
	free(login);
	spool_close(sp);
	return rc;
}

int
mode_queue(const struct cli *cli, const struct conf *conf)
{
	struct spool *sp = mode_open_spool(conf, true, "queue run");

	(void)cli;
	(void)pickup_run(conf, sp);
	spool_close(sp);
	return EX_OK;
}
