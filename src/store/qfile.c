#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "qfile.h"
#include "xmalloc.h"

#define QFILE_CHUNK	65536
/* The M record that ends the records; it follows the LF of the one
 * before it, and no field may hold an LF. */
#define QFILE_END_RECS	"\nM0:\n"

enum {
	QFILE_READ_OK = 0,
	QFILE_READ_IO = -1,	/* the system failed: try again later */
	QFILE_READ_CORRUPT = -2,
};

/* The most bytes of records a file with max_rcpts recipients can have. */
static size_t
head_limit(size_t max_rcpts)
{
	return max_rcpts * 2 * (ENVELOPE_MAX_FIELD + 8) + QFILE_CHUNK;
}

/*
 * Reads the records, up to the M record, in chunks, and parses them once:
 * finding the end is a scan of each new chunk, so the work is linear in
 * the number of recipients (parsing again after every chunk was not).
 */
static int
read_head(struct qfile *q, size_t max_rcpts, bool drop, struct why *why)
{
	/* a drop file's reason is logged after its name by the caller */
	const char *dir = drop ? "" : "queue/", *sep = drop ? "" : ": ";
	const char *id = drop ? "" : q->id;
	size_t limit = head_limit(max_rcpts), from;
	enum envelope_result r;
	bool found = false, eof = false;
	struct buf b;
	ssize_t n;
	int rc = QFILE_READ_CORRUPT;

	buf_init(&b);
	while (!found && !eof && b.len < limit) {
		buf_reserve(&b, QFILE_CHUNK);
		n = pread(q->fd, b.data + b.len, QFILE_CHUNK, (off_t)b.len);
		if (n == -1) {
			why_errno(why, "read %s%s", dir, id);
			rc = QFILE_READ_IO;
			goto out;
		}
		eof = n == 0;
		from = b.len < 4 ? 0 : b.len - 4;
		b.len += (size_t)n;
		found = memmem(b.data + from, b.len - from, QFILE_END_RECS,
		    sizeof(QFILE_END_RECS) - 1) != NULL;
	}
	r = envelope_parse(b.data ? b.data : "", b.len, max_rcpts, drop,
	    &q->env, why);
	if (r == ENVELOPE_OK)
		rc = QFILE_READ_OK;
	else if (r == ENVELOPE_MORE && b.len >= limit)
		why_set(why, "%s%s%senvelope larger than %zu bytes", dir, id,
		    sep, limit);
	else if (r == ENVELOPE_MORE)
		why_set(why, "%s%s%struncated envelope", dir, id, sep);
out:
	buf_free(&b);
	return rc;
}

/* Version 2: the file holds exactly the message its C record says. */
static int
check_length(const struct qfile *q, const struct stat *st, bool drop,
    struct why *why)
{
	off_t want = (off_t)(q->env.body_offset + q->env.msg_len);

	if (q->env.version < 2 || st->st_size == want)
		return 0;
	why_set(why, "%s%s%s%s: %lld bytes, the envelope says %lld",
	    drop ? "" : "queue/", drop ? "" : q->id, drop ? "" : ": ",
	    st->st_size < want ? "truncated" : "longer than recorded",
	    (long long)st->st_size, (long long)want);
	return -1;
}

static int
read_state(struct spool *sp, struct qfile *q, struct why *why)
{
	char name[SPOOL_MAX_NAME + 1];
	struct buf b;
	int fd, rc = QFILE_READ_OK;

	(void)snprintf(name, sizeof(name), "%s%s", q->id, QSTATE_SUFFIX);
	if ((fd = spool_open_file(sp, SPOOL_QUEUE, name, why)) == -1) {
		if (errno != ENOENT)
			return QFILE_READ_IO;
		qstate_init(&q->state, q->env.nrcpts);
		return QFILE_READ_OK;
	}
	buf_init(&b);
	/* the writer's own bound (qstate_encode never writes more) */
	if (fileio_read_all(fd, qstate_max_size(q->env.nrcpts), &b) == -1) {
		why_errno(why, "read queue/%s", name);
		rc = errno == EFBIG ? QFILE_READ_CORRUPT : QFILE_READ_IO;
	} else if (qstate_parse(b.data, b.len, q->env.nrcpts, &q->state,
	    why) == -1) {
		rc = QFILE_READ_CORRUPT;
	}
	(void)close(fd);
	buf_free(&b);
	return rc;
}

static void
append(struct why *why, const char *what, const char *detail)
{
	(void)strlcat(why->text, what, sizeof(why->text));
	if (detail != NULL)
		(void)strlcat(why->text, detail, sizeof(why->text));
}

/* Under the lock: a corrupt message and its state go to corrupt/. */
static void
quarantine(struct spool *sp, const char *id, struct why *why)
{
	char name[SPOOL_MAX_NAME + 1];
	struct why w;

	if (spool_to_corrupt(sp, SPOOL_QUEUE, id, &w) == -1) {
		append(why, "; not moved to corrupt/: ", w.text);
		return;
	}
	(void)snprintf(name, sizeof(name), "%s%s", id, QSTATE_SUFFIX);
	if (spool_exists(sp, SPOOL_QUEUE, name) &&
	    spool_to_corrupt(sp, SPOOL_QUEUE, name, &w) == -1)
		append(why, "; state file kept: ", w.text);
	append(why, "; moved to corrupt/", NULL);
}

static enum qfile_result
take_lock(struct qfile *q, enum qfile_lock lock, const char *dir,
    struct why *why)
{
	int e;

	if (lock == QFILE_NOLOCK || flock(q->fd, LOCK_EX |
	    (lock == QFILE_TRYLOCK ? LOCK_NB : 0)) == 0)
		return QFILE_OK;
	e = errno;
	/* EINTR: SIGTERM came while we waited; leave it for later */
	if (e == EWOULDBLOCK || e == EINTR)
		return QFILE_LOCKED;
	why_errno(why, "lock %s/%s", dir, q->id);
	return QFILE_BAD;
}

enum qfile_result
qfile_open(struct spool *sp, const char *id, enum qfile_lock lock,
    size_t max_rcpts, struct qfile *q, struct why *why)
{
	enum qfile_result res;
	struct stat st;
	int rc;

	(void)max_rcpts;	/* see QFILE_MAX_RCPTS */
	memset(q, 0, sizeof(*q));
	envelope_init(&q->env);
	(void)strlcpy(q->id, id, sizeof(q->id));
	if ((q->fd = spool_open_file(sp, SPOOL_QUEUE, id, why)) == -1)
		return errno == ENOENT ? QFILE_GONE : QFILE_BAD;
	if ((res = take_lock(q, lock, "queue", why)) != QFILE_OK) {
		qfile_close(q);
		return res;
	}
	/* delivered and removed between our open and our lock */
	if (fstat(q->fd, &st) == -1 || st.st_nlink == 0) {
		qfile_close(q);
		return QFILE_GONE;
	}
	q->mtime = st.st_mtime;
	q->owner = st.st_uid;
	if ((rc = read_head(q, QFILE_MAX_RCPTS, false, why)) == QFILE_READ_OK &&
	    (rc = check_length(q, &st, false, why) == -1 ?
	    QFILE_READ_CORRUPT : QFILE_READ_OK) == QFILE_READ_OK)
		rc = read_state(sp, q, why);
	if (rc != QFILE_READ_OK) {
		/* still under the lock: no other runner is reading it */
		if (rc == QFILE_READ_CORRUPT && lock != QFILE_NOLOCK)
			quarantine(sp, id, why);
		qfile_close(q);
		return QFILE_BAD;
	}
	q->size = st.st_size - (off_t)q->env.body_offset;
	return QFILE_OK;
}

bool
qfile_quarantine(struct spool *sp, const char *id, struct why *why)
{
	enum qfile_result r;
	struct qfile q;

	if ((r = qfile_open(sp, id, QFILE_TRYLOCK, 0, &q, why)) == QFILE_OK)
		qfile_close(&q);
	return r == QFILE_BAD && !spool_exists(sp, SPOOL_QUEUE, id);
}

enum qfile_result
qfile_open_drop(struct spool *sp, const char *name, enum qfile_lock lock,
    size_t max_rcpts, off_t max_msg, struct qfile *q, struct why *why)
{
	enum qfile_result res = QFILE_BAD;
	struct stat st;
	int rc;

	memset(q, 0, sizeof(*q));
	envelope_init(&q->env);
	(void)strlcpy(q->id, name, sizeof(q->id));
	if ((q->fd = spool_open_file(sp, SPOOL_INCOMING, name, why)) == -1) {
		/* a link, a device, a file we may not read: the file's
		 * fault; anything else is the system's */
		if (errno == ENOENT)
			return QFILE_GONE;
		return errno == ELOOP || errno == ENXIO || errno == EACCES ||
		    errno == EPERM ? QFILE_BAD : QFILE_RETRY;
	}
	if ((res = take_lock(q, lock, "incoming", why)) != QFILE_OK)
		goto fail;
	res = QFILE_BAD;
	if (fstat(q->fd, &st) == -1) {
		why_errno(why, "fstat");
	} else if (st.st_nlink == 0) {
		/* another runner picked it up while we waited to open it */
		res = QFILE_GONE;
	} else if (!S_ISREG(st.st_mode)) {
		why_set(why, "not a regular file");
	} else if (st.st_nlink != 1) {
		why_set(why, "has more than one link");
	} else if (st.st_size > max_msg + (off_t)head_limit(max_rcpts)) {
		why_set(why, "larger than max_message_size");
	} else if ((rc = read_head(q, max_rcpts, true, why)) == QFILE_READ_IO) {
		res = QFILE_RETRY;
	} else if (rc == QFILE_READ_OK &&
	    st.st_size - (off_t)q->env.body_offset > max_msg) {
		why_set(why, "message larger than max_message_size");
	} else if (rc == QFILE_READ_OK &&
	    check_length(q, &st, true, why) == 0) {
		qstate_init(&q->state, q->env.nrcpts);
		q->mtime = st.st_mtime;
		q->owner = st.st_uid;
		q->size = st.st_size - (off_t)q->env.body_offset;
		return QFILE_OK;
	}
fail:
	qfile_close(q);
	return res;
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

static struct spool_file *
create_named(struct spool *sp, enum spool_dir d, const char *want,
    struct why *why)
{
	char tmp[SPOOL_MAX_NAME + 2];

	if (spool_exists(sp, d, want)) {
		why_set(why, "create queue/%s: exists", want);
		errno = EEXIST;
		return NULL;
	}
	(void)snprintf(tmp, sizeof(tmp), ".%s", want);
	if (spool_remove(sp, d, tmp, why) == -1)
		return NULL;
	return spool_create(sp, d, want, why);
}

int
qfile_create(struct spool *sp, enum spool_dir d, const char *want,
    const struct envelope *env, struct qfile_writer *w, struct why *why)
{
	struct buf b;
	int rc = -1;

	memset(w, 0, sizeof(*w));
	if (want != NULL) {
		if (!spool_id_ok(want)) {
			why_set(why, "create: bad queue id %s", want);
			errno = EINVAL;
			return -1;
		}
		(void)strlcpy(w->id, want, sizeof(w->id));
		w->f = create_named(sp, d, want, why);
	} else {
		w->f = spool_create_message(sp, d, NULL, w->id, why);
	}
	if (w->f == NULL)
		return -1;
	buf_init(&b);
	envelope_encode(env, &b, &w->patch);
	w->env_len = b.len;
	if (spool_write(w->f, b.data, b.len, why) == 0)
		rc = 0;
	else
		qfile_abort(w);
	buf_free(&b);
	return rc;
}

int
qfile_write(struct qfile_writer *w, const void *p, size_t n, struct why *why)
{
	const char *q = p, *end = q + n;
	size_t lines = 0;

	/* memchr(NULL, c, 0) is undefined */
	while (n > 0 && (q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		lines++;
		q++;
	}
	return qfile_write_lines(w, p, n, lines, why);
}

int
qfile_write_lines(struct qfile_writer *w, const void *p, size_t n,
    size_t lines, struct why *why)
{
	w->lines += lines;
	return n == 0 ? 0 : spool_write(w->f, p, n, why);
}

size_t
qfile_written(const struct qfile_writer *w)
{
	return (size_t)spool_file_size(w->f) - w->env_len;
}

int
qfile_seal(struct qfile_writer *w, bool body_8bit, struct why *why)
{
	char digits[ENVELOPE_SIZE_WIDTH + 1];
	size_t len = qfile_written(w);

	envelope_size_digits(len + w->lines, digits);
	if ((body_8bit && spool_patch(w->f, (off_t)w->patch.flag_off,
	    (char []){ ENVELOPE_8BIT_YES }, 1, why) == -1) ||
	    spool_patch(w->f, (off_t)w->patch.size_off, digits,
	    ENVELOPE_SIZE_WIDTH, why) == -1) {
		qfile_abort(w);
		return -1;
	}
	envelope_size_digits(len, digits);
	if (spool_patch(w->f, (off_t)w->patch.len_off, digits,
	    ENVELOPE_SIZE_WIDTH, why) == -1) {
		qfile_abort(w);
		return -1;
	}
	return 0;
}

int
qfile_commit(struct qfile_writer *w, bool body_8bit, struct why *why)
{
	int rc;

	if (qfile_seal(w, body_8bit, why) == -1)
		return -1;
	rc = spool_commit(w->f, why);
	w->f = NULL;
	return rc;
}

size_t
qfile_commit_batch(struct qfile_writer **w, size_t n, bool *ok,
    struct why *why)
{
	struct spool_file **f = xcalloc(n, sizeof(*f));
	size_t i, done;

	for (i = 0; i < n; i++) {
		f[i] = w[i]->f;
		w[i]->f = NULL;
	}
	done = spool_commit_batch(f, n, ok, why);
	free(f);
	return done;
}

void
qfile_abort(struct qfile_writer *w)
{
	spool_abort(w->f);
	w->f = NULL;
}
