#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "conf.h"
#include "drop.h"
#include "crash.h"
#include "envelope.h"
#include "journal.h"
#include "log.h"
#include "pickup.h"
#include "qfile.h"
#include "submit.h"
#include "xmalloc.h"

#define PICKUP_TEMP_MAX_AGE	(24 * 3600)	/* a crashed submitter's file */

/*
 * Drop files are queued in batches: each queue file is written, then the
 * batch is committed with one syncfs and one fsync of queue/
 * (spool_commit_batch), and only then are the drop files removed. Two
 * syncs a file were the drain's bottleneck (2,000 drop files: 24 s, the
 * same queued by the owner: 0.6 s).
 */
#define PICKUP_BATCH		64
/*
 * A backlog of drop files is taken by several pickers at once (forked),
 * each the names that hash to its share, each file still under its own
 * lock: one copies while another waits for its batch's sync. 10,000
 * drop files here (2 CPUs): 2.36 s by one picker, 1.58 s by two, 1.65 s
 * by three. A short backlog is not worth a fork.
 */
#define PICKUP_PARALLEL_MIN	512	/* drop files before a second one */
#define PICKUP_PICKERS_MAX	4

struct pickup_item {
	struct qfile		 q;	/* the drop file, locked */
	struct qfile_writer	 w;	/* queue/NAME, written, sealed */
};

struct pickup_ctx {
	const struct conf	*conf;
	struct spool		*sp;
	size_t			 queued;
	struct pickup_item	*batch;
	size_t			 nbatch;
	struct journal		*journal;	/* opened for the run */
	unsigned		 share, nshares;	/* this picker's names */
};

enum pickup_result {
	PICKUP_QUEUED,
	PICKUP_DEFER,		/* try again on the next run */
	PICKUP_CORRUPT,		/* to corrupt/ */
	PICKUP_TAKEN,		/* queue/NAME exists */
};

static void
remove_drop(struct pickup_ctx *pc, const char *name)
{
	struct why w;

	/* if this fails, already_queued() stops a second pickup */
	if (spool_remove(pc->sp, SPOOL_INCOMING, name, &w) == -1)
		log_as(LOG_PROG_PICKUP, LOG_LEVEL_ERROR, "incoming/%s: %s",
		    name, w.text);
}

/*
 * True when queue/NAME (or hold/NAME: held since) is this very drop
 * file, picked up before (a crash or a failed unlink after the commit):
 * same submitter, sender and recipients.
 */
static bool
already_queued(struct pickup_ctx *pc, enum spool_dir d,
    const struct qfile *drop)
{
	struct qfile q;
	struct why w;
	bool same;
	size_t i;

	if (qfile_open_in(pc->sp, d, drop->id, QFILE_NOLOCK, &q, &w) !=
	    QFILE_OK)
		return false;
	same = q.env.uid == (long)drop->owner &&
	    strcmp(q.env.sender, drop->env.sender) == 0 &&
	    q.env.nrcpts == drop->env.nrcpts;
	for (i = 0; same && i < q.env.nrcpts; i++)
		same = strcmp(q.env.rcpts[i].addr,
		    drop->env.rcpts[i].addr) == 0;
	qfile_close(&q);
	return same;
}

static void
to_corrupt(struct pickup_ctx *pc, const char *name, const char *reason)
{
	struct why w;

	if (spool_to_corrupt(pc->sp, SPOOL_INCOMING, name, &w) == -1) {
		log_as(LOG_PROG_PICKUP, LOG_LEVEL_ERROR, "incoming/%s: %s; %s",
		    name, reason, w.text);
		(void)spool_remove(pc->sp, SPOOL_INCOMING, name, NULL);
		return;
	}
	log_as(LOG_PROG_PICKUP, LOG_LEVEL_WARN,
	    "incoming/%s: moved to corrupt/: %s", name, reason);
}

/* Writes queue/NAME, to be committed with its batch (flush_batch()). */
static enum pickup_result
queue_drop(struct pickup_ctx *pc, struct qfile *q, struct qfile_writer *w,
    struct why *why)
{
	struct envelope env;
	enum pickup_result res = PICKUP_DEFER;

	drop_envelope(pc->conf, q, &env);
	if (qfile_create(pc->sp, SPOOL_QUEUE, q->id, &env, w, why) == -1) {
		res = errno == EEXIST ? PICKUP_TAKEN : PICKUP_DEFER;
		goto out;
	}
	switch (drop_copy(pc->conf, q, w, why)) {
	case DROP_COPIED:
		res = PICKUP_QUEUED;
		break;
	case DROP_SHRANK:
		res = PICKUP_CORRUPT;
		/* FALLTHROUGH */
	case DROP_IO:
		qfile_abort(w);
		break;
	}
out:
	envelope_free(&env);
	return res;
}

/* The journal's queued records, from the drop file in hand. */
static void
record_queued(struct pickup_ctx *pc, struct qfile *q)
{
	struct buf mid;

	if (pc->journal == NULL)
		pc->journal = journal_open(pc->conf, false);
	buf_init(&mid);
	journal_message_id_of(q, &mid);
	journal_queued(pc->journal, q->id, mid.len ? buf_cstr(&mid) : NULL,
	    &q->env);
	buf_free(&mid);
}

/*
 * The journal's records of a refused drop file, so that mailq -s answers
 * for it as for a message delivered: queued, then each recipient bounced.
 */
static void
record_refused(struct pickup_ctx *pc, struct qfile *q,
    const struct dsn_rcpt *r)
{
	struct journal_rec jr = { 0 };
	size_t i;

	record_queued(pc, q);
	jr.time = time(NULL);
	jr.event = JOURNAL_BOUNCED;
	jr.id = q->id;
	for (i = 0; i < q->env.nrcpts; i++) {
		jr.rcpt = r[i].addr;
		jr.dsn = r[i].status;
		jr.text = r[i].diagnostic;
		journal_write(pc->journal, &jr);
	}
}

/* A later check failed: the drop file goes back to its sender. */
static void
refuse(struct pickup_ctx *pc, struct qfile *q, size_t bad, const char *why)
{
	struct dsn_rcpt *r = xcalloc(q->env.nrcpts, sizeof(*r));
	struct why w;
	size_t i;

	for (i = 0; i < q->env.nrcpts; i++) {
		r[i].addr = q->env.rcpts[i].addr;
		r[i].orcpt = q->env.rcpts[i].orcpt;
		r[i].action = DSN_FAILED;
		r[i].status = i == bad ? "5.1.3" : "5.0.0";
		r[i].diagnostic = why;
	}
	if (bounce_queue(pc->conf, pc->sp, q, r, q->env.nrcpts, &w) == -1) {
		log_as(LOG_PROG_PICKUP, LOG_LEVEL_ERROR,
		    "incoming/%s: refused (%s); pickup deferred: %s", q->id,
		    why, w.text);
	} else {
		log_as(LOG_PROG_PICKUP, LOG_LEVEL_WARN,
		    "incoming/%s: refused: %s; returned to <%s>", q->id, why,
		    q->env.sender);
		record_refused(pc, q, r);
		remove_drop(pc, q->id);
	}
	free(r);
}

/*
 * Commits the batch's queue files (crash points pickup.after-write...,
 * once a batch), then removes the drop files whose copy is safe.
 */
static void
flush_batch(struct pickup_ctx *pc)
{
	struct qfile_writer **wv;
	const char *stage;
	struct why w;
	size_t i, n = pc->nbatch;
	bool *ok;

	if (n == 0)
		return;
	wv = xcalloc(n, sizeof(*wv));
	ok = xcalloc(n, sizeof(*ok));
	for (i = 0; i < n; i++)
		wv[i] = &pc->batch[i].w;
	w.text[0] = '\0';
	stage = crash_stage("pickup");
	(void)qfile_commit_batch(wv, n, ok, &w);
	(void)crash_stage(stage);
	for (i = 0; i < n; i++) {
		struct qfile *q = &pc->batch[i].q;

		if (ok[i]) {
			crash_point("pickup.after-commit");
			log_msg_pickup(q->id, (unsigned long)q->owner,
			    q->env.sender);
			record_queued(pc, q);
			pc->queued++;
			crash_point("pickup.before-unlink");
			remove_drop(pc, q->id);
		} else {
			log_as(LOG_PROG_PICKUP, LOG_LEVEL_ERROR,
			    "incoming/%s: pickup deferred: %s", q->id, w.text);
		}
		/* the lock is held until here, past the unlink */
		qfile_close(q);
	}
	pc->nbatch = 0;
	free(ok);
	free(wv);
}

/* True when q went into the batch (it closes q then). */
static bool
pick_gated(struct pickup_ctx *pc, struct qfile *q)
{
	enum spool_dir d = SPOOL_QUEUE;
	struct pickup_item *it = &pc->batch[pc->nbatch];
	char reason[128];
	ssize_t bad;
	struct why w;

	if (spool_exists(pc->sp, d, q->id) ||
	    spool_exists(pc->sp, (d = SPOOL_HOLD), q->id)) {
		if (!already_queued(pc, d, q)) {
			to_corrupt(pc, q->id, "named like a queued message");
			return false;
		}
		/* a crash (or a failed unlink) after the last pickup */
		log_as(LOG_PROG_PICKUP, LOG_LEVEL_WARN,
		    "incoming/%s: already queued as %s; removed", q->id, q->id);
		remove_drop(pc, q->id);
		return false;
	}
	if ((bad = drop_bad_rcpt(&q->env)) >= 0) {
		(void)snprintf(reason, sizeof(reason), "bad recipient #%zd",
		    bad + 1);
		refuse(pc, q, (size_t)bad, reason);
		return false;
	}
	switch (queue_drop(pc, q, &it->w, &w)) {
	case PICKUP_QUEUED:
		it->q = *q;
		if (++pc->nbatch == PICKUP_BATCH)
			flush_batch(pc);
		return true;
	case PICKUP_CORRUPT:
		to_corrupt(pc, q->id, w.text);
		break;
	case PICKUP_TAKEN:
	case PICKUP_DEFER:
		log_as(LOG_PROG_PICKUP, LOG_LEVEL_ERROR,
		    "incoming/%s: pickup deferred: %s", q->id, w.text);
		break;
	}
	return false;
}

/* The picker whose share name is: FNV-1a of the name. */
static unsigned
share_of(const char *name, unsigned nshares)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619u;
	}
	return h % nshares;
}

static int
pick_one(void *arg, const char *name)
{
	struct pickup_ctx *pc = arg;
	struct qfile q;
	struct why w;

	if (pc->nshares > 1 && share_of(name, pc->nshares) != pc->share)
		return 0;	/* another picker's */
	switch (drop_gate(pc->conf, pc->sp, name, QFILE_TRYLOCK, &q, &w)) {
	case QFILE_OK:
		/* the lock is held until qfile_close(), past the unlink:
		 * a runner that opened the file meanwhile finds no link */
		if (!pick_gated(pc, &q))
			qfile_close(&q);
		break;
	case QFILE_BAD:
		to_corrupt(pc, name, w.text);
		break;
	case QFILE_RETRY:
		log_as(LOG_PROG_PICKUP, LOG_LEVEL_ERROR,
		    "incoming/%s: pickup deferred: %s", name, w.text);
		break;
	case QFILE_GONE:
	case QFILE_LOCKED:
		break;	/* picked up by another runner, or being */
	}
	return 0;
}

static int
count_one(void *arg, const char *name)
{
	size_t *n = arg;

	(void)name;
	return ++*n >= PICKUP_PARALLEL_MIN;	/* enough: stop listing */
}

/* How many pickers: one, unless the backlog and the machine are large. */
static unsigned
pickers(const struct conf *conf, struct spool *sp)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = 0;
	struct why w;
	unsigned k = PICKUP_PICKERS_MAX;

	if (cpus < 2 || conf->concurrency < 2 ||
	    spool_scan(sp, SPOOL_INCOMING, count_one, &n, &w) == -1 ||
	    n < PICKUP_PARALLEL_MIN)
		return 1;
	if ((long)k > cpus)
		k = (unsigned)cpus;
	if ((long)k > conf->concurrency)
		k = (unsigned)conf->concurrency;
	return k;
}

/* One picker's share of incoming/. */
static void
pick_share(struct pickup_ctx *pc)
{
	struct why w;

	pc->batch = xcalloc(PICKUP_BATCH, sizeof(*pc->batch));
	if (spool_scan(pc->sp, SPOOL_INCOMING, pick_one, pc, &w) == -1)
		log_as(LOG_PROG_PICKUP, LOG_LEVEL_ERROR, "pickup: %s",
		    w.text);
	flush_batch(pc);
	free(pc->batch);
	pc->batch = NULL;
	journal_close(pc->journal);
	pc->journal = NULL;
}

size_t
pickup_run(const struct conf *conf, struct spool *sp)
{
	struct pickup_ctx pc = { conf, sp, 0, NULL, 0, NULL, 0, 1 };
	pid_t kids[PICKUP_PICKERS_MAX];
	unsigned k;

	spool_clean_temp(sp, SPOOL_INCOMING, PICKUP_TEMP_MAX_AGE);
	pc.nshares = pickers(conf, sp);
	(void)fflush(NULL);	/* nothing buffered twice */
	for (k = 1; k < pc.nshares; k++) {
		if ((kids[k] = fork()) == 0) {
			pc.share = k;
			pick_share(&pc);
			_exit(0);
		}
	}
	pc.share = 0;
	pick_share(&pc);
	for (k = 1; k < pc.nshares; k++) {
		if (kids[k] == -1) {
			/* no fork: this process takes that share too */
			pc.share = k;
			pick_share(&pc);
			continue;
		}
		while (waitpid(kids[k], NULL, 0) == -1 && errno == EINTR)
			continue;
	}
	return pc.queued;	/* by this process */
}
