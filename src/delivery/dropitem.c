#include <stdio.h>
#include <unistd.h>

#include "crash.h"
#include "drop.h"
#include "dropitem.h"
#include "log.h"
#include "spool.h"

bool
dropitem_take(const struct conf *conf, struct spool *sp, const char *id,
    struct qfile *q)
{
	struct qfile in;
	struct why why;

	if (drop_gate(conf, sp, id, QFILE_TRYLOCK, &in, &why) != QFILE_OK)
		return false;
	if (drop_bad_rcpt(&in.env) >= 0 || spool_exists(sp, SPOOL_QUEUE, id) ||
	    spool_exists(sp, SPOOL_HOLD, id) ||
	    !drop_in_memory(conf, &in, q, &why)) {
		qfile_close(&in);
		return false;
	}
	/* what a crash left of an earlier try (dropitem_queue()): its
	 * state, so that no recipient done is sent again */
	if (qfile_read_state_of(sp, SPOOL_QUEUE, q, &why) == -1)
		log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR, "%s: %s", id, why.text);
	return true;
}

/*
 * A failure or a crash before the queue file leaves the drop file, for
 * pickup or the next try, and the state if it was written (the runner
 * keeps a state beside a drop file of its id): the message queued from
 * the drop file takes it, so what was sent is not sent again. A crash
 * after the file leaves both, and pickup removes the drop file, "already
 * queued".
 */
void
dropitem_queue(struct spool *sp, struct qfile *q)
{
	struct why why;
	int fd = -1;

	q->dir = SPOOL_QUEUE;
	if (spool_exists(sp, SPOOL_QUEUE, q->id)) {
		why_set(&why, "queue/%s exists", q->id);
	} else if (qfile_save_state(sp, q, &why) == 0) {
		crash_point("deliver.drop-state");
		fd = qfile_write_image(sp, q, &why);
	}
	if (fd == -1) {
		q->dir = SPOOL_INCOMING;
		log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR, "%s: cannot queue "
		    "incoming/%s: %s; left for pickup", q->id, q->id,
		    why.text);
		return;
	}
	crash_point("deliver.drop-queued");
	if (spool_remove(sp, SPOOL_INCOMING, q->id, &why) == -1)
		log_as(LOG_PROG_QMGR, LOG_LEVEL_ERROR, "%s: %s", q->id,
		    why.text);
	(void)close(q->fd);	/* the drop file's lock, past its unlink */
	q->fd = fd;
}

int
dropitem_remove(struct spool *sp, struct qfile *q, struct why *why)
{
	char name[SPOOL_MAX_NAME + 2];

	/* the drop file first: a state removed before it, and a failed
	 * unlink, would have the next try send everything again */
	if (spool_remove(sp, SPOOL_INCOMING, q->id, why) == -1)
		return -1;
	(void)snprintf(name, sizeof(name), ".%s", q->id);
	(void)spool_remove(sp, SPOOL_QUEUE, name, NULL);
	(void)snprintf(name, sizeof(name), "%s%s", q->id, QSTATE_SUFFIX);
	if (!q->stateless)
		(void)spool_remove(sp, SPOOL_QUEUE, name, NULL);
	return 0;
}
