#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "qfile.h"

#define QFILE_CHUNK	65536

static int
read_head(struct qfile *q, size_t max_rcpts, bool drop, struct why *why)
{
	const char *dir = drop ? "incoming" : "queue";
	struct buf b;
	enum envelope_result r = ENVELOPE_MORE;
	size_t limit = max_rcpts * 2 * (ENVELOPE_MAX_FIELD + 8) + QFILE_CHUNK;
	ssize_t n;

	buf_init(&b);
	while (r == ENVELOPE_MORE && b.len < limit) {
		buf_reserve(&b, QFILE_CHUNK);
		n = pread(q->fd, b.data + b.len, QFILE_CHUNK, (off_t)b.len);
		if (n <= 0) {
			if (n == 0)
				why_set(why, "%s/%s: truncated", dir, q->id);
			else
				why_errno(why, "read %s/%s", dir, q->id);
			break;
		}
		b.len += (size_t)n;
		r = envelope_parse(b.data, b.len, max_rcpts, drop, &q->env,
		    why);
	}
	buf_free(&b);
	return r == ENVELOPE_OK ? 0 : -1;
}

static int
read_state(struct spool *sp, struct qfile *q, struct why *why)
{
	char name[SPOOL_MAX_NAME + 1];
	struct buf b;
	int fd, rc = 0;

	(void)snprintf(name, sizeof(name), "%s%s", q->id, QSTATE_SUFFIX);
	if ((fd = spool_open_file(sp, SPOOL_QUEUE, name, why)) == -1) {
		if (errno != ENOENT)
			return -1;
		qstate_init(&q->state, q->env.nrcpts);
		return 0;
	}
	buf_init(&b);
	/* the writer's own bound (qstate_encode never writes more) */
	if (fileio_read_all(fd, qstate_max_size(q->env.nrcpts), &b) == -1) {
		why_errno(why, "read queue/%s", name);
		rc = -1;
	} else if (qstate_parse(b.data, b.len, q->env.nrcpts, &q->state,
	    why) == -1) {
		rc = -1;
	}
	(void)close(fd);
	buf_free(&b);
	return rc;
}

enum qfile_result
qfile_open(struct spool *sp, const char *id, enum qfile_lock lock,
    size_t max_rcpts,
    struct qfile *q, struct why *why)
{
	struct stat st;

	memset(q, 0, sizeof(*q));
	envelope_init(&q->env);
	(void)strlcpy(q->id, id, sizeof(q->id));
	if ((q->fd = spool_open_file(sp, SPOOL_QUEUE, id, why)) == -1)
		return errno == ENOENT ? QFILE_GONE : QFILE_BAD;
	if (lock != QFILE_NOLOCK && flock(q->fd, LOCK_EX |
	    (lock == QFILE_TRYLOCK ? LOCK_NB : 0)) == -1) {
		int e = errno;

		(void)close(q->fd);
		q->fd = -1;
		/* EINTR: SIGTERM came while we waited; leave it for later */
		if (e == EWOULDBLOCK || e == EINTR)
			return QFILE_LOCKED;
		why_errno(why, "lock queue/%s", id);
		return QFILE_BAD;
	}
	/* delivered and removed between our open and our lock */
	if (fstat(q->fd, &st) == -1 || st.st_nlink == 0) {
		qfile_close(q);
		return QFILE_GONE;
	}
	q->mtime = st.st_mtime;
	if (read_head(q, max_rcpts, false, why) == -1 ||
	    read_state(sp, q, why) == -1) {
		qfile_close(q);
		return QFILE_BAD;
	}
	q->size = st.st_size - (off_t)q->env.body_offset;
	return QFILE_OK;
}

enum qfile_result
qfile_open_drop(struct spool *sp, const char *name, size_t max_rcpts,
    struct qfile *q, struct why *why)
{
	struct stat st;

	memset(q, 0, sizeof(*q));
	envelope_init(&q->env);
	(void)strlcpy(q->id, name, sizeof(q->id));
	if ((q->fd = spool_open_file(sp, SPOOL_INCOMING, name, why)) == -1)
		return errno == ENOENT ? QFILE_GONE : QFILE_BAD;
	if (fstat(q->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || read_head(q, max_rcpts, true, why) == -1) {
		qfile_close(q);
		return QFILE_BAD;
	}
	qstate_init(&q->state, q->env.nrcpts);
	q->mtime = st.st_mtime;
	q->size = st.st_size - (off_t)q->env.body_offset;
	return QFILE_OK;
}

void
qfile_close(struct qfile *q)
{
	if (q->fd != -1)
		(void)close(q->fd);	/* also releases the lock */
	q->fd = -1;
	envelope_free(&q->env);
	qstate_free(&q->state);
}

int
qfile_rewind(struct qfile *q, struct why *why)
{
	if (lseek(q->fd, (off_t)q->env.body_offset, SEEK_SET) == -1) {
		why_errno(why, "seek queue/%s", q->id);
		return -1;
	}
	return 0;
}

int
qfile_save_state(struct spool *sp, struct qfile *q, struct why *why)
{
	char name[SPOOL_MAX_NAME + 1];
	struct spool_file *f;
	struct buf b;
	int rc = -1;

	(void)snprintf(name, sizeof(name), "%s%s", q->id, QSTATE_SUFFIX);
	buf_init(&b);
	qstate_encode(&q->state, &b);
	if ((f = spool_replace(sp, SPOOL_QUEUE, name, why)) != NULL) {
		if (spool_write(f, b.data, b.len, why) == 0)
			rc = spool_commit(f, why);
		else
			spool_abort(f);
	}
	buf_free(&b);
	return rc;
}

int
qfile_remove(struct spool *sp, struct qfile *q, struct why *why)
{
	char name[SPOOL_MAX_NAME + 1];

	(void)snprintf(name, sizeof(name), "%s%s", q->id, QSTATE_SUFFIX);
	if (spool_remove(sp, SPOOL_QUEUE, q->id, why) == -1 ||
	    spool_remove(sp, SPOOL_QUEUE, name, why) == -1)
		return -1;
	/* a removal lost to a power cut would bring the message back, and
	 * it would be sent again */
	return spool_sync_dir(sp, SPOOL_QUEUE, why);
}
