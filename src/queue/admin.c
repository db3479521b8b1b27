/*
 * admin.c: remove, hold and release queued messages. See admin.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "crash.h"
#include "journal.h"
#include "log.h"
#include "qfile.h"
#include "spool.h"
#include "xmalloc.h"

#define ADMIN_BATCH	10000	/* ids read at a time by admin_select */

/*
 * Opens id under its lock, in queue/ or hold/. A message moved between
 * the two looks (another administrator) is looked for once more where
 * it went.
 */
static enum admin_result
find(struct spool *sp, const char *id, struct qfile *q, struct why *why)
{
	static const enum spool_dir dirs[] = { SPOOL_QUEUE, SPOOL_HOLD,
	    SPOOL_QUEUE, SPOOL_HOLD };
	size_t i;

	if (!spool_id_ok(id)) {
		why_set(why, "not a queue id");
		return ADMIN_UNKNOWN;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		switch (qfile_open_in(sp, dirs[i], id, QFILE_WAITLOCK, q,
		    why)) {
		case QFILE_OK:
			return ADMIN_DONE;
		case QFILE_GONE:
			continue;
		case QFILE_LOCKED:
			why_set(why, "interrupted while waiting for its lock");
			return ADMIN_FAILED;
		default:
			return ADMIN_FAILED;	/* why says; corrupt/ */
		}
	}
	why_set(why, "no such message in the queue");
	return ADMIN_UNKNOWN;
}

static bool
selected(const struct qfile *q, const struct admin_match *m)
{
	return m == NULL || qfile_selected(q, NULL, m->rcpt, m->sender);
}

enum admin_result
admin_remove(struct spool *sp, const struct conf *conf, const char *id,
    const struct admin_match *m, const struct admin_who *who, struct why *why)
{
	enum admin_result r;
	struct qfile q;

	if ((r = find(sp, id, &q, why)) != ADMIN_DONE)
		return r;
	/* no report: reports pending in its state go with it */
	if (!selected(&q, m)) {
		r = ADMIN_SKIPPED;
	} else {
		/* before the unlink: a crash between them re-records it */
		journal_admin(conf, &q, JOURNAL_REMOVED, who->name);
		if (qfile_remove_unsynced(sp, &q, why) == -1)
			r = ADMIN_FAILED;
	}
	qfile_close(&q);
	return r;
}

/*
 * Moves the message id to `to`, in crash stage `stage`, and records the
 * change e in the journal once it is made (a crash between them leaves
 * the journal's last record as it was).
 */
static enum admin_result
move(struct spool *sp, const struct conf *conf, const char *id,
    const struct admin_match *m, enum spool_dir to, const char *stage,
    enum journal_event e, const struct admin_who *who, struct why *why)
{
	enum admin_result r;
	struct qfile q;
	const char *old;

	if ((r = find(sp, id, &q, why)) != ADMIN_DONE)
		return r;
	if (q.dir == to) {
		r = ADMIN_ALREADY;
	} else if (!selected(&q, m)) {
		r = ADMIN_SKIPPED;
	} else {
		old = crash_stage(stage);
		if (qfile_move(sp, &q, to, why) == -1)
			r = ADMIN_FAILED;
		else
			journal_admin(conf, &q, e, who->name);
		(void)crash_stage(old);
	}
	qfile_close(&q);	/* the lock goes once it is in place */
	return r;
}

enum admin_result
admin_hold(struct spool *sp, const struct conf *conf, const char *id,
    const struct admin_match *m, const struct admin_who *who, struct why *why)
{
	return move(sp, conf, id, m, SPOOL_HOLD, "hold", JOURNAL_HELD, who,
	    why);
}

enum admin_result
admin_release(struct spool *sp, const struct conf *conf, const char *id,
    const struct admin_match *m, const struct admin_who *who, struct why *why)
{
	return move(sp, conf, id, m, SPOOL_QUEUE, "release", JOURNAL_RELEASED,
	    who, why);
}

int
admin_sync(struct spool *sp, struct why *why)
{
	/* a change lost to a power cut would let a held or removed
	 * message go out */
	if (spool_sync_dir(sp, SPOOL_QUEUE, why) == -1 ||
	    spool_sync_dir(sp, SPOOL_HOLD, why) == -1)
		return -1;
	return 0;
}

void
admin_log(const char *id, enum admin_change c, const struct admin_who *who)
{
	static const char *const what[] = {
		[ADMIN_REMOVED] = "removed",
		[ADMIN_HELD] = "placed on hold",
		[ADMIN_RELEASED] = "released from hold",
	};

	log_info("%s: %s by uid %lu (%s)", id, what[c],
	    (unsigned long)who->uid, who->name);
}

struct batch {
	char	**v;
	size_t	  n;
};

/* A look (no lock) at each id of the batch; fn for those selected. */
static void
run_batch(struct spool *sp, enum spool_dir d, const struct admin_match *m,
    struct batch *b, void (*fn)(void *, const char *), void *arg)
{
	struct qfile q;
	struct why why;
	size_t i;
	bool take;

	for (i = 0; i < b->n; i++) {
		take = false;
		if (qfile_open_in(sp, d, b->v[i], QFILE_NOLOCK, &q, &why) ==
		    QFILE_OK) {
			take = selected(&q, m);
			qfile_close(&q);
		}
		if (take)
			fn(arg, b->v[i]);
		free(b->v[i]);
	}
	b->n = 0;
}

int
admin_select(struct spool *sp, bool held, const struct admin_match *m,
    void (*fn)(void *, const char *), void *arg, struct why *why)
{
	enum spool_dir d = held ? SPOOL_HOLD : SPOOL_QUEUE;
	struct batch b = { xreallocarray(NULL, ADMIN_BATCH, sizeof(char *)),
	    0 };
	struct spool_iter *it;
	const char *name = NULL;

	if ((it = spool_iter_open(sp, d, why)) == NULL) {
		free(b.v);
		return -1;
	}
	do {
		while (b.n < ADMIN_BATCH && (name = spool_iter_next(it)) !=
		    NULL)
			if (spool_id_ok(name))
				b.v[b.n++] = xstrdup(name);
		run_batch(sp, d, m, &b, fn, arg);
	} while (name != NULL);
	spool_iter_close(it);
	free(b.v);
	return 0;
}
