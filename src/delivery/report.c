#include <string.h>
#include <time.h>

#include "bounce.h"
#include "conf.h"
#include "crash.h"
#include "dsn.h"
#include "dsnparam.h"
#include "envelope.h"
#include "log.h"
#include "qfile.h"
#include "report.h"
#include "xmalloc.h"

bool
report_wants(const struct qfile *q, int bit)
{
	if (q->env.notify == 0)
		return bit != DSNPARAM_NOTIFY_SUCCESS;
	return (q->env.notify & bit) != 0;
}

bool
report_delay_due(const struct conf *conf, const struct qfile *q, time_t now)
{
	return conf->delay_warning > 0 && !q->state.warned &&
	    now - q->env.arrival >= conf->delay_warning &&
	    report_wants(q, DSNPARAM_NOTIFY_DELAY) && *q->env.sender != '\0';
}

/* The recipients with a report of kind pending (NONE: the deferred ones). */
static size_t
collect(const struct conf *conf, const struct qfile *q,
    enum qstate_report kind, time_t now, struct dsn_rcpt *v)
{
	size_t i, n = 0;

	for (i = 0; i < q->env.nrcpts; i++) {
		const struct qstate_rcpt *r = &q->state.rcpts[i];
		struct dsn_rcpt *d = &v[n];

		if (kind != QSTATE_REPORT_NONE ? !r->done || r->report != kind :
		    r->done || r->status == NULL)
			continue;
		memset(d, 0, sizeof(*d));
		d->addr = q->env.rcpts[i].addr;
		d->orcpt = q->env.rcpts[i].orcpt;
		d->action = kind == QSTATE_REPORT_FAILED ? DSN_FAILED :
		    kind == QSTATE_REPORT_RELAYED ? DSN_RELAYED : DSN_DELAYED;
		d->status = r->status;
		d->remote_mta = r->remote;
		d->diagnostic = r->reason;
		/* a remote host is stored only when a server said it */
		d->diagnostic_is_smtp = r->remote != NULL;
		d->last_attempt = now;
		d->will_retry_until = q->env.arrival + conf->queue_lifetime;
		n++;
	}
	return n;
}

static void
clear(struct qstate *s, enum qstate_report kind)
{
	size_t i;

	for (i = 0; i < s->nrcpts; i++)
		if (s->rcpts[i].report == kind)
			s->rcpts[i].report = QSTATE_REPORT_NONE;
}

/* Queues the report of one kind, if any is pending; true if it was. */
static bool
one_kind(const struct conf *conf, struct spool *sp, struct qfile *q,
    enum qstate_report kind, time_t now, struct dsn_rcpt *v)
{
	size_t n = collect(conf, q, kind, now, v);
	struct why why;

	if (n == 0)
		return false;
	if (bounce_queue(conf, sp, q, v, n, &why) == -1) {
		log_as(LOG_PROG_BOUNCE, LOG_LEVEL_ERROR,
		    "%s: cannot queue the %s, will retry: %s", q->id,
		    kind == QSTATE_REPORT_FAILED ? "bounce" :
		    kind == QSTATE_REPORT_RELAYED ? "success report" :
		    "delay warning", why.text);
		return false;
	}
	if (kind == QSTATE_REPORT_NONE)
		q->state.warned = true;
	else
		clear(&q->state, kind);
	return true;
}

void
report_finish(const struct conf *conf, struct spool *sp, const char *id)
{
	time_t now = time(NULL);
	struct dsn_rcpt *v;
	struct qfile q;
	struct why why;
	bool changed;

	switch (qfile_open(sp, id, QFILE_WAITLOCK, (size_t)conf->max_recipients,
	    &q, &why)) {
	case QFILE_OK:
		break;
	case QFILE_BAD:
		log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR, "%s: %s", id, why.text);
		return;
	default:
		return;	/* gone: another runner finished it */
	}
	v = xcalloc(q.env.nrcpts ? q.env.nrcpts : 1, sizeof(*v));
	changed = one_kind(conf, sp, &q, QSTATE_REPORT_FAILED, now, v);
	if (changed && now - q.env.arrival >= conf->queue_lifetime)
		log_msg_expired(id, q.env.sender);
	changed |= one_kind(conf, sp, &q, QSTATE_REPORT_RELAYED, now, v);
	if (report_delay_due(conf, &q, now))
		changed |= one_kind(conf, sp, &q, QSTATE_REPORT_NONE, now, v);
	if (changed && qstate_all_done(&q.state)) {
		crash_point("deliver.before-remove");
		if (qfile_remove(sp, &q, &why) == -1)
			log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR, "%s: %s", id,
			    why.text);
		else
			log_msg_removed(id);
	} else if (changed && qfile_save_state(sp, &q, &why) == -1) {
		log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR,
		    "%s: cannot save delivery state: %s", id, why.text);
	}
	free(v);
	qfile_close(&q);
}
