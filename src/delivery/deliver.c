#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "crash.h"
#include "deliver.h"
#include "dest.h"
#include "dropitem.h"
#include "dsn.h"
#include "dsnparam.h"
#include "fileio.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "qfile.h"
#include "report.h"
#include "session.h"
#include "smtp.h"
#include "spool.h"
#include "xmalloc.h"

/*
 * Saves that record only deferrals are committed as a group
 * (spool_commit_staged(): one syncfs, the renames, one directory fsync)
 * at the end of a batch, before the worker waits for a lock, and every
 * DELIVER_STAGE_MAX messages (each keeps its lock, an open file, until
 * then). A crash before the commit loses those records only: the
 * message is tried again sooner, never sent twice. Saves that record a
 * recipient done but the message not (sent, bounced) are committed at
 * once, as before.
 *
 * A message with nothing left is unlinked at once, and the unlinks are
 * made durable by the group's directory fsync, as Postfix's qmgr leaves
 * its unlinks to the file system: only a power cut (not a crash of
 * minimta) in between can bring such a message back, to be sent again
 * (the RFC 1047 window, widened to at most DELIVER_STAGE_MAX messages
 * or DELIVER_STAGE_AGE seconds). Its file is closed at the commit too:
 * the last close frees the blocks, which costs a discard on a file
 * system mounted with -o discard (1 ms here), never paid between two
 * deliveries.
 */
#define DELIVER_STAGE_MAX	256
#define DELIVER_STAGE_AGE	1.0	/* s */

struct staged {
	struct spool_file	*f;	/* the new state; NULL: removed */
	int			 lock;	/* the queue file, locked; or -1 */
	char			 id[SPOOL_ID_LEN + 1];
};

/* What happened to one recipient in this attempt. */
struct outcome {
	size_t			 idx;
	enum smtp_result	 result;
	struct smtp_reply	 reply;
	char			 status[DSN_STATUS_LEN];
	char			*text;		/* reply or reason, cleaned */
	bool			 remote;	/* a server said it */
	bool			 capped;	/* waits for a relay's slot */
	/* the session it was tried on (it may be gone when logging) */
	char			 host[256];
	char			 relay[320];
	char			 tls[160];
	double			 delays[4];	/* log.h; a ([0]) at logging */
};

/* One transaction's SMTP side: its message and recipients. */
struct txn {
	struct smtp_msg		 m;
	struct smtp_rcpt	*r;
	size_t			 n;
};

/*
 * A message whose "." waits for the next transaction's write (smtp.h):
 * its queue file stays open and locked, its outcomes unrecorded, until
 * finish_parked() reads the reply (or the next transaction did).
 */
struct parked {
	struct txn		*t;		/* NULL: none parked */
	struct qfile		 q;
	struct outcome		*o;
	size_t			 n;
	struct session		*sess;
	double			 start, conn;	/* set_delays() */
	double			 arrival;
	struct deliver_stats	*st;
};

struct deliver {
	const struct conf	*conf;
	struct spool		*sp;
	struct session_env	*env;
	struct dest		*dest;		/* of the current batch */
	struct session		*sess;		/* dest's, for a transaction */
	bool			 msg_deferred;	/* of the current message */
	double			 taken;		/* when the batch began: */
	double			 taken_wall;	/* monotonic, and wall */
	double			 arrival;	/* log.h delays= */
	bool			 msg_failed;	/* deferred, not for a cap */
	time_t			 msg_slot;	/* its cap's next slot, or 0 */
	time_t			 next_try;	/* earliest set in the batch */
	char			**final;	/* ids with reports due */
	size_t			 nfinal;
	struct journal		*journal;	/* mailq -s: outcomes */
	struct staged		*staged;	/* DELIVER_STAGE_MAX */
	size_t			 nstaged;
	double			 staged_since;	/* monotonic, the first */
	bool			 drops_removed;	/* staged: sync incoming/ */
	bool			 untried;	/* a drop item: left alone */
	struct parked		 park;
};

/* Seconds on clock id (CLOCK_MONOTONIC cannot fail with a valid id). */
static double
seconds(clockid_t id)
{
	struct timespec ts;

	(void)clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Commits the staged deferrals and removals, then lets their locks go. */
static void
commit_staged(struct deliver *d)
{
	struct spool_file *v[DELIVER_STAGE_MAX];
	bool failed[DELIVER_STAGE_MAX];
	const char *stage;
	struct why why;
	size_t i, n = 0;
	int rc = 0;

	if (d->nstaged == 0)
		return;
	for (i = 0; i < d->nstaged; i++)
		if (d->staged[i].f != NULL)
			v[n++] = d->staged[i].f;
	stage = crash_stage("defer");
	/* its directory fsync carries the unlinks made before it */
	if (n > 0)
		rc = spool_commit_staged(d->sp, SPOOL_QUEUE, v, n, failed,
		    &why);
	else if (spool_sync_dir(d->sp, SPOOL_QUEUE, &why) == -1)
		log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR, "%s", why.text);
	if (d->drops_removed && spool_sync_dir(d->sp, SPOOL_INCOMING,
	    &why) == -1)
		log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR, "%s", why.text);
	d->drops_removed = false;
	(void)crash_stage(stage);
	for (i = n = 0; i < d->nstaged; i++) {
		if (d->staged[i].f != NULL && rc == -1 && failed[n++])
			log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR,
			    "%s: cannot save delivery state: %s",
			    d->staged[i].id, why.text);
		if (d->staged[i].lock != -1)
			(void)close(d->staged[i].lock);
	}
	d->nstaged = 0;
}

/* A newer state of the message replaces the one staged for it. */
static void
unstage(struct deliver *d, const char *id)
{
	struct staged *s;

	if (d->nstaged == 0)
		return;
	s = &d->staged[d->nstaged - 1];
	if (strcmp(s->id, id) != 0 || s->f == NULL)
		return;
	spool_abort(s->f);
	if (s->lock != -1)
		(void)close(s->lock);
	d->nstaged--;
}

/* Takes the next staged entry, for the message id. */
static struct staged *
stage_next(struct deliver *d, const char *id)
{
	struct staged *s = &d->staged[d->nstaged];

	if (d->nstaged == 0)
		d->staged_since = seconds(CLOCK_MONOTONIC);
	s->f = NULL;
	s->lock = -1;	/* the message's lock is kept by deliver_one() */
	(void)strlcpy(s->id, id, sizeof(s->id));
	return s;
}

/* A save that records deferrals only: staged, or committed at once. */
static int
stage(struct deliver *d, struct qfile *q, struct why *why)
{
	struct staged *s;
	const char *old;
	int rc;

	if (q->dir != SPOOL_QUEUE)
		return qfile_save_state(d->sp, q, why);
	s = stage_next(d, q->id);
	old = crash_stage("defer");
	rc = qfile_stage_state(d->sp, q, &s->f, why);
	(void)crash_stage(old);
	if (rc == -1)
		return -1;
	d->nstaged++;
	crash_point("deliver.after-stage");
	return 0;
}

/* A message with nothing left: unlinked now, made durable at the commit. */
static int
stage_removal(struct deliver *d, struct qfile *q, struct why *why)
{
	bool drop = q->dir == SPOOL_INCOMING;

	if (!drop && q->dir != SPOOL_QUEUE)
		return qfile_remove(d->sp, q, why);
	(void)stage_next(d, q->id);
	if ((drop ? dropitem_remove(d->sp, q, why) :
	    qfile_remove_unsynced(d->sp, q, why)) == -1)
		return -1;
	d->nstaged++;
	d->drops_removed = d->drops_removed || drop;
	crash_point("deliver.after-remove");
	return 0;
}

struct deliver *
deliver_new(const struct conf *conf, struct spool *sp, bool verbose,
    struct why *why)
{
	struct deliver *d = xcalloc(1, sizeof(*d));

	d->conf = conf;
	d->sp = sp;
	d->staged = xcalloc(DELIVER_STAGE_MAX, sizeof(*d->staged));
	if ((d->env = session_env_new(conf, sp, verbose, why)) == NULL)
		goto fail;
	d->journal = journal_open(conf, true);
	if (!conf->tls_verify && (conf->nsmarthosts > 0 ||
	    conf->nroutes > 0))
		log_as(LOG_PROG_SMTP, LOG_LEVEL_WARN, "tls_verify is off: "
		    "smarthost certificates are not verified");
	return d;
fail:
	deliver_free(d);
	return NULL;
}

void
deliver_free(struct deliver *d)
{
	if (d == NULL)
		return;
	commit_staged(d);
	free(d->staged);
	dest_free(d->dest);
	session_env_free(d->env);
	for (; d->nfinal > 0; d->nfinal--)
		free(d->final[d->nfinal - 1]);
	free(d->final);
	journal_close(d->journal);
	free(d);
}

/*
 * The arrival time for delay= and delays=: the queue file records it to
 * the second; the file's modification time (its commit) refines it when
 * it falls within that second, as it does unless writing the message
 * took longer or a pickup came later.
 */
static double
arrival(const struct qfile *q)
{
	if (q->mtim.tv_sec == q->env.arrival)
		return (double)q->mtim.tv_sec + (double)q->mtim.tv_nsec / 1e9;
	return (double)q->env.arrival;
}

/*
 * Postfix's delays= parts b, c and d of outcomes o[0..n) (a is logged):
 * since the batch began until the transaction began, less c;
 * setting up the connection it went on (c); the transaction (d).
 */
static void
set_delays(const struct deliver *d, struct outcome *o, size_t n,
    double start, double conn)
{
	double now = seconds(CLOCK_MONOTONIC);
	size_t i;

	for (i = 0; i < n; i++) {
		o[i].delays[1] = start - d->taken - conn;
		o[i].delays[2] = conn;
		o[i].delays[3] = now - start;
	}
}

static time_t
backoff(const struct conf *conf, int attempts)
{
	time_t t = conf->retry_min;

	while (--attempts > 0 && t < conf->retry_max)
		t *= 2;
	return t < conf->retry_max ? t : conf->retry_max;
}

static void
set_text(struct outcome *o, const char *text)
{
	struct buf b;

	buf_init(&b);
	log_clean(&b, text, strlen(text), 1000);
	free(o->text);
	o->text = buf_release(&b);
}

static void
from_reply(struct outcome *o, const struct smtp_reply *r)
{
	struct buf b;

	buf_init(&b);
	smtp_reply_format(r, &b);
	set_text(o, buf_cstr(&b));
	buf_free(&b);
	(void)dsn_status_from_reply(r->code, r->enhanced, o->status);
	o->remote = !r->local;
}

/* VERP (-XV): local+rcptlocal=rcptdomain@domain (sendmail, Postfix). */
static char *
verp_sender(const struct qfile *q, const char *rcpt)
{
	const char *at = strrchr(q->env.sender, '@');
	const char *rat = strrchr(rcpt, '@');

	if (q->env.verp[0] == '\0' || *q->env.sender == '\0' || at == NULL ||
	    rat == NULL)
		return xstrdup(q->env.sender);
	return xasprintf("%.*s%c%.*s%c%s%s", (int)(at - q->env.sender),
	    q->env.sender, q->env.verp[0], (int)(rat - rcpt), rcpt,
	    q->env.verp[1], rat + 1, at);
}

static bool
ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static struct txn *
txn_new(struct qfile *q, const struct outcome *o, size_t n,
    const char *sender)
{
	struct txn *t = xcalloc(1, sizeof(*t));
	size_t i;

	t->r = xcalloc(n, sizeof(*t->r));
	t->n = n;
	for (i = 0; i < n; i++) {
		const struct envelope_rcpt *er = &q->env.rcpts[o[i].idx];

		t->r[i].addr = er->addr;
		t->r[i].notify = q->env.notify;
		/*
		 * RFC 3461 4.2: without an ORCPT from the submitter, the
		 * address as we got it (as Postfix does); a UTF-8 one would
		 * need the utf-8 type (RFC 6533), so it goes without.
		 */
		t->r[i].orcpt = er->orcpt ? er->orcpt : ascii(er->addr) ?
		    er->addr : NULL;
		smtp_reply_init(&t->r[i].reply);
	}
	t->m.sender = sender;
	t->m.rcpts = t->r;
	t->m.nrcpts = n;
	t->m.body_8bit = q->env.body_8bit;
	t->m.smtputf8 = q->env.smtputf8;
	/* every queue file we write records it (L); SIZE= is an estimate
	 * anyway (RFC 1870 4: the server checks again at the end) */
	t->m.size = q->env.wire_size ? q->env.wire_size : (size_t)q->size;
	t->m.ret = q->env.ret;
	t->m.envid = q->env.envid;
	t->m.read = qfile_read_cb;
	t->m.read_arg = q;
	return t;
}

/* The recipients' results into o[0..n); reply: for those without one. */
static void
txn_results(const struct txn *t, struct outcome *o,
    const struct smtp_reply *reply)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		o[i].result = t->r[i].result;
		from_reply(&o[i], t->r[i].reply.code || reply == NULL ?
		    &t->r[i].reply : reply);
	}
}

static void
txn_free(struct txn *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		smtp_reply_free(&t->r[i].reply);
	free(t->r);
	free(t);
}

/*
 * One transaction for outcomes o[0..n). With park, the "." may wait for
 * the next transaction (smtp.h): SMTP_PENDING, and *park is the txn,
 * whose results are read later.
 */
static enum smtp_result
transact(struct deliver *d, struct qfile *q, struct outcome *o, size_t n,
    const char *sender, struct txn **park)
{
	struct txn *t = txn_new(q, o, n, sender);
	struct smtp_reply reply;
	enum smtp_result res;
	struct why why;
	size_t i;

	smtp_reply_init(&reply);
	if (qfile_rewind(q, &why) == -1) {
		res = SMTP_NETFAIL;
		smtp_reply_set(&reply, 451, "4.3.0", "%s", why.text);
		for (i = 0; i < n; i++) {
			o[i].result = SMTP_TEMPFAIL;
			from_reply(&o[i], &reply);
		}
	} else {
		t->m.may_pend = park != NULL;
		res = session_send(d->sess, &t->m, &reply, &why);
		for (i = 0; i < n; i++) {
			(void)strlcpy(o[i].host, session_peer(d->sess)->host,
			    sizeof(o[i].host));
			(void)strlcpy(o[i].relay, session_peer(d->sess)->relay,
			    sizeof(o[i].relay));
			(void)strlcpy(o[i].tls, session_peer(d->sess)->tls,
			    sizeof(o[i].tls));
		}
		if (res == SMTP_PENDING) {
			*park = t;
			smtp_reply_free(&reply);
			return res;
		}
		txn_results(t, o, &reply);
	}
	txn_free(t);
	smtp_reply_free(&reply);
	return res;
}

static void
log_outcome(const struct deliver *d, const struct qfile *q,
    const struct outcome *o, const char *status)
{
	struct log_delivery l = { 0 };

	l.id = q->id;
	l.to = q->env.rcpts[o->idx].addr;
	l.relay = o->relay[0] ? o->relay : "none";
	l.delay = seconds(CLOCK_REALTIME) - d->arrival;
	memcpy(l.delays, o->delays, sizeof(l.delays));
	l.delays[0] = d->taken_wall - d->arrival;
	l.dsn = o->status;
	l.status = status;
	l.reply = o->text;
	l.tls = o->tls;
	log_delivery(&l);
}

/*
 * A failed message from <> (a bounce) goes to the postmaster, when one is
 * configured, whatever its NOTIFY says (bounces carry NOTIFY=NEVER for
 * the servers); a failed report to the postmaster itself is only logged.
 */
static bool
postmaster_copy(const struct deliver *d, const struct qfile *q,
    const struct outcome *o)
{
	return *q->env.sender == '\0' && d->conf->postmaster != NULL &&
	    !addr_equal(q->env.rcpts[o->idx].addr, d->conf->postmaster);
}

/* Records a finished recipient, with a report to send when one is due. */
static void
finish(struct qfile *q, const struct outcome *o, bool report,
    enum qstate_report kind)
{
	if (report)
		qstate_set_report(&q->state, o->idx, kind, o->status,
		    o->remote && o->host[0] ? o->host : NULL, o->text);
	else
		q->state.rcpts[o->idx].done = true;
}

/*
 * Records the outcomes of one transaction in the state (saved next, before
 * the next transaction starts), then logs them. A report is not queued
 * here: the recipient is marked "report pending" and the runner queues one
 * report per message for all of a run's failures (report.h).
 */
static void
settle(struct deliver *d, struct qfile *q, struct outcome *o, size_t n,
    struct deliver_stats *st)
{
	time_t now = time(NULL);
	bool expired = now - q->env.arrival >= d->conf->queue_lifetime;
	size_t i;

	crash_point("deliver.after-reply");
	for (i = 0; i < n; i++) {
		if (o[i].result == SMTP_OK) {
			finish(q, &o[i], d->sess &&
			    !session_offers_dsn(d->sess) &&
			    report_wants(q, DSNPARAM_NOTIFY_SUCCESS),
			    QSTATE_REPORT_RELAYED);
			log_outcome(d, q, &o[i], "sent");
			st->sent++;
		} else if (o[i].result == SMTP_PERMFAIL ||
		    (expired && !o[i].capped)) {
			/* a message waiting for a slot never expires */
			finish(q, &o[i],
			    report_wants(q, DSNPARAM_NOTIFY_FAILURE) ||
			    postmaster_copy(d, q, &o[i]), QSTATE_REPORT_FAILED);
			log_outcome(d, q, &o[i], o[i].result == SMTP_PERMFAIL ?
			    "bounced" : "expired");
			st->bounced++;
		} else {
			qstate_set_reason(&q->state, o[i].idx, o[i].status,
			    o[i].remote && o[i].host[0] ? o[i].host : NULL,
			    o[i].text);
			log_outcome(d, q, &o[i], "deferred");
			d->msg_deferred = true;
			d->msg_failed = d->msg_failed || !o[i].capped;
			st->deferred++;
		}
	}
}

/*
 * Saves the state, or removes the message once nothing is left to do;
 * deferral_only: no recipient was finished since the last save.
 */
static void
save(struct deliver *d, struct qfile *q, bool deferral_only)
{
	struct why why;

	if (q->dir == SPOOL_INCOMING && !qstate_all_done(&q->state)) {
		dropitem_queue(d->sp, q);
		return;
	}
	unstage(d, q->id);
	if (qstate_all_done(&q->state)) {
		crash_point("deliver.before-remove");
		if (stage_removal(d, q, &why) == -1)
			log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR, "%s: %s", q->id,
			    why.text);
		else
			log_msg_removed(q->id);
	} else if (deferral_only) {
		if (stage(d, q, &why) == -1)
			log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR,
			    "%s: cannot save delivery state: %s", q->id,
			    why.text);
	} else if (qfile_save_state(d->sp, q, &why) == -1) {
		log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR,
		    "%s: cannot save delivery state: %s", q->id, why.text);
	} else {
		crash_point("deliver.after-state");
	}
}

/*
 * The journal's record of outcomes o[0..n), as settle() decided them:
 * done is final (sent, or bounced/expired), else deferred until the
 * next try (that the last transaction of the attempt sets: VERP's
 * earlier ones record what it will be).
 */
static void
journal_outcomes(struct deliver *d, const struct qfile *q,
    const struct outcome *o, size_t n, bool last)
{
	struct journal_rec r = { 0 };
	time_t next = q->state.next_try;
	size_t i;

	r.time = time(NULL);
	if (!last)
		next = r.time + backoff(d->conf, q->state.attempts + 1);
	r.id = q->id;
	for (i = 0; i < n; i++) {
		r.event = !q->state.rcpts[o[i].idx].done ? JOURNAL_DEFERRED :
		    o[i].result == SMTP_OK ? JOURNAL_SENT :
		    o[i].result == SMTP_PERMFAIL ? JOURNAL_BOUNCED :
		    JOURNAL_EXPIRED;
		r.rcpt = q->env.rcpts[o[i].idx].addr;
		r.next = r.event == JOURNAL_DEFERRED ? next : 0;
		r.dsn = o[i].status;
		r.relay = o[i].relay[0] ? o[i].relay : NULL;
		r.text = o[i].text;
		journal_write(d->journal, &r);
	}
}

/* Outcomes o[0..n) of one transaction (or none): recorded, then saved. */
static void
record(struct deliver *d, struct qfile *q, struct outcome *o, size_t n,
    bool last, struct deliver_stats *st)
{
	time_t now = time(NULL), next;
	bool deferral_only = true;
	size_t i;

	settle(d, q, o, n, st);
	for (i = 0; i < n; i++)
		if (q->state.rcpts[o[i].idx].done)
			deferral_only = false;
	if (last && d->msg_deferred) {
		q->state.attempts++;
		next = now + backoff(d->conf, q->state.attempts);
		/* behind a cap: its slot (sooner, when a failure was too) */
		if (d->msg_slot != 0 && (!d->msg_failed || d->msg_slot < next))
			next = d->msg_slot;
		q->state.next_try = next;
		if (d->next_try == 0 || next < d->next_try)
			d->next_try = next;
	}
	journal_outcomes(d, q, o, n, last);
	save(d, q, deferral_only);
}

/* The outcome of recipients not tried: nothing could take them. */
static void
set_down(struct deliver *d, struct outcome *o, size_t n,
    enum dest_result r, const char *status, time_t next,
    const struct why *why)
{
	size_t i;

	if (r == DEST_CAPPED && (d->msg_slot == 0 || next < d->msg_slot))
		d->msg_slot = next;
	for (i = 0; i < n; i++) {
		o[i].result = r == DEST_PERM ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
		(void)strlcpy(o[i].status, status, sizeof(o[i].status));
		set_text(&o[i], why->text);
		/* a cap deferral tried nothing: no TLS policy to tell */
		(void)strlcpy(o[i].tls, r == DEST_CAPPED ? "" :
		    session_env_tls_note(d->env), sizeof(o[i].tls));
		o[i].remote = false;
		o[i].capped = r == DEST_CAPPED;
	}
}

/* The session died in a transaction: dest closes it; not used again. */
static void
lost(struct deliver *d, const char *reason)
{
	dest_lost(d->dest, reason);
	d->sess = NULL;
}

/* A session for the next transaction, or o[0..n) set as not tried. */
static bool
get_session(struct deliver *d, struct outcome *o, size_t n)
{
	enum dest_result r;
	char status[16];
	struct why why;
	time_t next;

	r = dest_session(d->dest, &d->sess, status, &next, &why);
	if (r == DEST_OK)
		return true;
	set_down(d, o, n, r, status, next, &why);
	return false;
}

/*
 * The log lines (and journal records) of a message about to be tried: a
 * drop item's pickup too, logged once something will be recorded for it
 * (before: it may still be left to pickup).
 */
static void
announce(struct deliver *d, struct qfile *q)
{
	struct buf mid;
	size_t i, left = 0;

	for (i = 0; i < q->env.nrcpts; i++)
		left += !q->state.rcpts[i].done;
	if (q->dir == SPOOL_INCOMING) {
		log_msg_pickup(q->id, (unsigned long)q->owner, q->env.sender);
		buf_init(&mid);
		journal_message_id_of(q, &mid);
		journal_queued(d->journal, q->id, mid.len ? buf_cstr(&mid) :
		    NULL, &q->env);
		buf_free(&mid);
	}
	log_msg_active(q->id, q->env.sender, (long long)q->size, left);
}

/*
 * A drop item at its first transaction: without a session nothing is
 * tried, and pickup queues it (nothing logged); with one it is announced
 * (picked up) now. True to go on.
 */
static bool
take_up(struct deliver *d, struct qfile *q, bool up)
{
	if (q->dir != SPOOL_INCOMING)
		return true;
	if (!up) {
		d->untried = true;
		return false;
	}
	announce(d, q);
	return true;
}

/* Messages the runner must finish (report_finish): reports are due. */
static void
note_final(struct deliver *d, const struct qfile *q)
{
	if (qstate_reports(&q->state, QSTATE_REPORT_FAILED) == 0 &&
	    qstate_reports(&q->state, QSTATE_REPORT_RELAYED) == 0 &&
	    !(d->msg_deferred && report_delay_due(d->conf, q, time(NULL))))
		return;
	d->final = xreallocarray(d->final, d->nfinal + 1, sizeof(*d->final));
	d->final[d->nfinal++] = xstrdup(q->id);
}

/*
 * Lets q go once tried: its reports noted, o freed, its lock kept by a
 * staged state until the commit (due after DELIVER_STAGE_MAX of them or
 * DELIVER_STAGE_AGE).
 */
static void
release(struct deliver *d, struct qfile *q, struct outcome *o, size_t n)
{
	size_t i;

	if (!d->untried)
		note_final(d, q);
	for (i = 0; i < n; i++) {
		smtp_reply_free(&o[i].reply);
		free(o[i].text);
	}
	free(o);
	/* a staged state keeps the message locked until its commit */
	if (d->nstaged > 0 && strcmp(d->staged[d->nstaged - 1].id, q->id) ==
	    0 && d->staged[d->nstaged - 1].lock == -1) {
		d->staged[d->nstaged - 1].lock = q->fd;
		q->fd = -1;
	}
	qfile_close(q);
	if (d->nstaged == DELIVER_STAGE_MAX || (d->nstaged > 0 &&
	    seconds(CLOCK_MONOTONIC) - d->staged_since > DELIVER_STAGE_AGE))
		commit_staged(d);
}

/*
 * The parked message's reply (read by the next transaction's write, or
 * now), recorded as attempt() records a transaction, then let go as
 * deliver_one() lets a message go. The message-wide fields of struct
 * deliver are its own meanwhile; its session too, unless lost since.
 * True when the session died before that reply.
 */
static bool
finish_parked(struct deliver *d)
{
	struct parked *p = &d->park;
	struct session *sess = d->sess;
	double arrival = d->arrival;
	bool deferred = d->msg_deferred, failed = d->msg_failed;
	bool untried = d->untried;
	time_t slot = d->msg_slot;
	enum smtp_result res;

	if (p->t == NULL)
		return false;
	res = p->t->m.pending ? session_finish(p->sess) : p->t->m.result;
	txn_results(p->t, p->o, NULL);
	txn_free(p->t);
	p->t = NULL;
	d->sess = p->sess;
	d->arrival = p->arrival;
	d->msg_deferred = d->msg_failed = d->untried = false;
	d->msg_slot = 0;
	set_delays(d, p->o, p->n, p->start, p->conn);
	record(d, &p->q, p->o, p->n, true, p->st);
	if (res == SMTP_NETFAIL && sess == p->sess) {
		lost(d, p->o[0].text);
		sess = NULL;
	}
	release(d, &p->q, p->o, p->n);
	d->sess = sess;
	d->arrival = arrival;
	d->msg_deferred = deferred;
	d->msg_failed = failed;
	d->msg_slot = slot;
	d->untried = untried;
	*p = (struct parked){ 0 };
	return res == SMTP_NETFAIL;
}

/*
 * Sends q to the pending recipients o[0..n) (or defers them): one
 * transaction, or one per recipient with VERP; the state is saved after
 * each, so a crash never sends again what a server has accepted. A
 * single transaction may park q (true: q and o are d->park's now): its
 * "." goes with the next message's MAIL, RCPT and DATA, and its outcome
 * is recorded once that write's first reply is read, before the next
 * message's own.
 */
static bool
attempt(struct deliver *d, struct qfile *q, struct outcome *o, size_t n,
    struct deliver_stats *st)
{
	bool verp = q->env.verp[0] != '\0' && *q->env.sender != '\0';
	enum smtp_result res = SMTP_OK;
	double start = seconds(CLOCK_MONOTONIC), conn;
	struct txn *t = NULL;
	size_t i;

	d->msg_deferred = d->msg_failed = false;
	d->msg_slot = 0;
	for (i = 0; i < n; i++) {
		o[i].result = SMTP_TEMPFAIL;
		set_text(&o[i], "not tried");
	}
	/* a parked "." waits only while the next session is at hand */
	if (verp || !dest_gives(d->dest, d->park.sess))
		(void)finish_parked(d);
	for (i = 0; !verp; i++) {
		bool up, again;
		double now;

		if (i > 0)
			start = seconds(CLOCK_MONOTONIC);
		up = get_session(d, o, n);
		now = seconds(CLOCK_MONOTONIC);

		if (d->sess != d->park.sess)
			(void)finish_parked(d);
		if (i == 0 && !take_up(d, q, up))
			return false;
		/* 0 for a session that an earlier message opened */
		conn = now - start;
		if (up) {
			res = transact(d, q, o, n, q->env.sender, &t);
			/*
			 * The session died reading the parked message's
			 * reply, before any of this one's: this one never
			 * got its "." out, and goes once more, on a new
			 * session, as it would have without the wait.
			 */
			again = finish_parked(d) && res == SMTP_NETFAIL &&
			    i == 0;
			if (res == SMTP_PENDING) {
				d->park = (struct parked){ .t = t, .q = *q,
				    .o = o, .n = n, .sess = d->sess,
				    .start = now, .conn = conn,
				    .arrival = d->arrival, .st = st };
				return true;
			}
			if (res == SMTP_NETFAIL && d->sess != NULL)
				lost(d, o[0].text);
			if (again)
				continue;
		}
		set_delays(d, o, n, now, conn);
		record(d, q, o, n, true, st);
		return false;
	}
	/* a transaction per recipient: each takes its own slot */
	for (i = 0; i < n; i++) {
		char *s;
		bool up;
		double now;

		start = seconds(CLOCK_MONOTONIC);
		if (res == SMTP_NETFAIL) {
			/* the rest waits for the next run, as "not tried" */
			set_delays(d, &o[i], n - i, start, 0);
			record(d, q, &o[i], n - i, true, st);
			return false;
		}
		up = get_session(d, &o[i], n - i);
		now = seconds(CLOCK_MONOTONIC);
		conn = now - start;
		if (i == 0 && !take_up(d, q, up))
			return false;
		if (!up) {
			set_delays(d, &o[i], n - i, now, conn);
			record(d, q, &o[i], n - i, true, st);
			return false;
		}
		s = verp_sender(q, q->env.rcpts[o[i].idx].addr);
		res = transact(d, q, &o[i], 1, s, NULL);
		set_delays(d, &o[i], 1, now, conn);
		free(s);
		if (res == SMTP_NETFAIL)
			lost(d, o[i].text);
		record(d, q, &o[i], 1, i + 1 == n, st);
	}
	return false;
}

/* A loop (loop.h): the pending recipients o[0..n) bounce, unsent. */
static void
bounce_loop(struct deliver *d, struct qfile *q, struct outcome *o, size_t n,
    const struct why *why, struct deliver_stats *st)
{
	size_t i;

	d->msg_deferred = false;
	for (i = 0; i < n; i++) {
		o[i].result = SMTP_PERMFAIL;
		(void)strlcpy(o[i].status, "5.4.6", sizeof(o[i].status));
		set_text(&o[i], why->text);
		o[i].remote = false;
	}
	record(d, q, o, n, true, st);
}

static void
deliver_one(struct deliver *d, const struct deliver_item *it,
    struct deliver_stats *st)
{
	const char *id = it->id;
	struct outcome *o;
	enum qfile_result r;
	struct qfile q;
	struct why why;
	size_t i, k, n = 0;

	/* never wait for a lock while holding staged ones: two workers
	 * would wait for each other (and flock waits for our own too) */
	if (it->drop) {
		if (!dropitem_take(d->conf, d->sp, id, &q))
			return;
		r = QFILE_OK;
	} else {
		r = qfile_open(d->sp, id, QFILE_TRYLOCK,
		    (size_t)d->conf->max_recipients, &q, &why);
	}
	if (r == QFILE_LOCKED) {
		finish_parked(d);
		commit_staged(d);
		r = qfile_open(d->sp, id, QFILE_WAITLOCK,
		    (size_t)d->conf->max_recipients, &q, &why);
	}
	switch (r) {
	case QFILE_OK:
		break;
	case QFILE_BAD:
		log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR, "%s: %s", id, why.text);
		return;
	default:
		return;
	}
	d->arrival = arrival(&q);
	o = xcalloc(q.env.nrcpts, sizeof(*o));
	/* the recipients the runner routed here (route.h): no second rule */
	for (k = 0; k < (it->rcpts != NULL ? it->nrcpts : q.env.nrcpts); k++) {
		i = it->rcpts != NULL ? it->rcpts[k] : k;
		if (i >= q.env.nrcpts || q.state.rcpts[i].done)
			continue;
		o[n].idx = i;
		smtp_reply_init(&o[n].reply);
		n++;
	}
	d->msg_deferred = false;
	/* a drop item with nothing to send (its state, left by a crash,
	 * has only reports due) is pickup's, as one the runner routed
	 * elsewhere; one to send is announced once it is tried */
	d->untried = q.dir == SPOOL_INCOMING && n == 0;
	if (n > 0 && q.dir != SPOOL_INCOMING)
		announce(d, &q);
	if (n == 0) {
		finish_parked(d);
		/* a crash came between state and removal */
		if (qstate_all_done(&q.state) && !d->untried)
			save(d, &q, false);
	} else if (loop_hops(d->conf, &q, &why)) {
		finish_parked(d);
		if (q.dir == SPOOL_INCOMING)
			announce(d, &q);
		bounce_loop(d, &q, o, n, &why, st);
	} else if (attempt(d, &q, o, n, st)) {
		return;		/* parked: d->park's now */
	}
	release(d, &q, o, n);
}

char **
deliver_take_final(struct deliver *d, size_t *n)
{
	char **v = d->final;

	*n = d->nfinal;
	d->final = NULL;
	d->nfinal = 0;
	return v;
}

void
deliver_batch(struct deliver *d, const char *dest,
    const struct deliver_item *items, size_t n, volatile const int *stop,
    struct deliver_stats *st)
{
	size_t i;

	/* the destination and its sessions go on from the last batch (the
	 * runner's workers live for the whole queue run), unless another
	 * destination comes, or the server has spoken (421) or closed */
	if (d->dest != NULL && strcmp(dest_key(d->dest), dest) == 0) {
		dest_renew(d->dest);
	} else {
		dest_free(d->dest);
		d->dest = dest_new(d->env, d->sp, dest);
	}
	d->sess = NULL;
	d->next_try = 0;
	/* delays=: a ends here; b is the wait for the queue file's lock and
	 * for the batch's earlier messages */
	d->taken = seconds(CLOCK_MONOTONIC);
	d->taken_wall = seconds(CLOCK_REALTIME);
	for (i = 0; i < n && !(stop != NULL && *stop); i++)
		deliver_one(d, &items[i], st);
	finish_parked(d);
	commit_staged(d);
	d->sess = NULL;
	if (d->next_try != 0 && (st->next_try == 0 ||
	    d->next_try < st->next_try))
		st->next_try = d->next_try;
}
