#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "conf.h"
#include "crash.h"
#include "dsnparam.h"
#include "envelope.h"
#include "fileio.h"
#include "log.h"
#include "qfile.h"
#include "spool.h"
#include "xmalloc.h"

struct bounce_io {
	struct qfile_writer	 w;	/* the one queue file writer */
	struct why		*why;
};

static int
write_report(void *arg, const void *p, size_t n)
{
	struct bounce_io *b = arg;

	return qfile_write(&b->w, p, n, b->why);
}

static bool
ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static bool
any_failed(const struct dsn_rcpt *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].action == DSN_FAILED)
			return true;
	return false;
}

int
bounce_queue(const struct conf *conf, struct spool *sp, struct qfile *q,
    const struct dsn_rcpt *rcpts, size_t n, struct why *why)
{
	struct dsn_info info = { 0 };
	struct envelope env;
	struct bounce_io bio = { .why = why };
	const char *to = q->env.sender, *stage;
	int rc = -1;

	if (n == 0)
		return 0;
	if (*to == '\0') {
		if (!any_failed(rcpts, n))
			return 0;	/* delay or success news: nobody to tell */
		if (conf->postmaster == NULL) {
			log_as(LOG_PROG_BOUNCE, LOG_LEVEL_WARN, "%s: "
			    "undeliverable message from <>: report discarded "
			    "(no postmaster configured)", q->id);
			return 0;
		}
		to = conf->postmaster;
	}
	envelope_init(&env);
	env.arrival = time(NULL);
	env.uid = (long)getuid();
	env.sender = xstrdup("");
	env.body_8bit = q->env.body_8bit;
	/* RFC 6531: a UTF-8 address goes only with SMTPUTF8 */
	env.smtputf8 = !ascii(to);
	envelope_add_rcpt(&env, to, NULL);
	env.notify = DSNPARAM_NOTIFY_NEVER;

	info.reporting_mta = conf->hostname;
	info.queue_id = q->id;
	info.envid = q->env.envid;
	info.arrival = q->env.arrival;
	info.sender = to;
	info.ret_hdrs = q->env.ret == DSNPARAM_RET_HDRS;
	info.size_limit = conf->bounce_size_limit;
	info.original_size = (size_t)q->size;
	info.original_8bit = q->env.body_8bit;
	info.smtputf8 = env.smtputf8;
	info.now = time(NULL);

	if (qfile_rewind(q, why) == -1 ||
	    qfile_create(sp, SPOOL_QUEUE, NULL, &env, &bio.w, why) == -1)
		goto out;
	if (dsn_write(&info, rcpts, n, qfile_read_cb, q, write_report,
	    &bio, why) == -1) {
		qfile_abort(&bio.w);
		goto out;
	}
	stage = crash_stage("bounce");
	rc = qfile_commit(&bio.w, env.body_8bit, why);
	(void)crash_stage(stage);
	if (rc == -1)
		goto out;
	rc = -1;
	crash_point("bounce.after-commit");
	log_msg_notice(q->id, *q->env.sender == '\0', any_failed(rcpts, n) ?
	    LOG_REPORT_FAILED : rcpts[0].action == DSN_DELAYED ?
	    LOG_REPORT_DELAYED : LOG_REPORT_RELAYED, bio.w.id);
	(void)spool_trigger(sp);
	rc = 0;
out:
	envelope_free(&env);
	return rc;
}
