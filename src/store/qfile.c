#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crash.h"
#include "fileio.h"
#include "qfile.h"
#include "xmalloc.h"

#define QFILE_CHUNK	65536
/*
 * qfile_look()'s one read: a file shorter than this is read whole (its
 * size is known without an fstat); for a longer one whose records end
 * within it an fstat gives the size. Small, so that a look does not copy
 * the message (at 100,000 queued messages 1 KiB and an fstat beat 64 KiB
 * read whole: 1.34-1.43x the head-read floor against 1.52-1.54x).
 */
#define QFILE_LOOK	1024
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
read_head(struct qfile *q, size_t max_rcpts, bool drop, off_t size,
    struct why *why)
{
	/* a drop file's reason is logged after its name by the caller */
	const char *dir = drop ? "" : q->dir == SPOOL_HOLD ? "hold/" :
	    "queue/", *sep = drop ? "" : ": ";
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
	if (rc == QFILE_READ_OK && (off_t)b.len == size) {
		/* the whole file: read from memory from now on (pickup
		 * holds a batch of them: no 64 KiB reserve each) */
		buf_shrink(&b);
		q->whole = b;
		return rc;
	}
out:
	buf_free(&b);
	return rc;
}

/* "queue/" or "hold/", for messages. */
static const char *
dir_name(enum spool_dir d)
{
	return d == SPOOL_HOLD ? "hold/" : "queue/";
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
	    drop ? "" : dir_name(q->dir), drop ? "" : q->id, drop ? "" : ": ",
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
	if ((fd = spool_open_file(sp, q->dir, name, why)) == -1) {
		if (errno != ENOENT)
			return QFILE_READ_IO;
		qstate_init(&q->state, q->env.nrcpts);
		q->stateless = true;
		return QFILE_READ_OK;
	}
	buf_init(&b);
	/* the writer's own bound (qstate_encode never writes more) */
	if (fileio_read_all(fd, qstate_max_size(q->env.nrcpts), &b) == -1) {
		why_errno(why, "read %s%s", dir_name(q->dir), name);
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
quarantine(struct spool *sp, enum spool_dir d, const char *id,
    struct why *why)
{
	char name[SPOOL_MAX_NAME + 1];
	struct why w;

	if (spool_to_corrupt(sp, d, id, &w) == -1) {
		append(why, "; not moved to corrupt/: ", w.text);
		return;
	}
	(void)snprintf(name, sizeof(name), "%s%s", id, QSTATE_SUFFIX);
	if (spool_exists(sp, d, name) &&
	    spool_to_corrupt(sp, d, name, &w) == -1)
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
	(void)max_rcpts;	/* see QFILE_MAX_RCPTS */
	return qfile_open_in(sp, SPOOL_QUEUE, id, lock, q, why);
}

enum qfile_result
qfile_open_in(struct spool *sp, enum spool_dir dir, const char *id,
    enum qfile_lock lock, struct qfile *q, struct why *why)
{
	enum qfile_result res;
	struct stat st;
	int rc;

	memset(q, 0, sizeof(*q));
	envelope_init(&q->env);
	(void)strlcpy(q->id, id, sizeof(q->id));
	q->dir = dir;
	if ((q->fd = spool_open_file(sp, dir, id, why)) == -1)
		return errno == ENOENT ? QFILE_GONE : QFILE_BAD;
	if ((res = take_lock(q, lock, dir == SPOOL_HOLD ? "hold" : "queue",
	    why)) != QFILE_OK) {
		qfile_close(q);
		return res;
	}
	/*
	 * Delivered and removed, or moved to hold/ (or back), between our
	 * open and our lock: the name no longer leads to our file.
	 */
	if (fstat(q->fd, &st) == -1 || st.st_nlink == 0 ||
	    (lock != QFILE_NOLOCK && !spool_is(sp, dir, id, &st))) {
		qfile_close(q);
		return QFILE_GONE;
	}
	q->mtim = st.st_mtim;
	q->owner = st.st_uid;
	if ((rc = read_head(q, QFILE_MAX_RCPTS, false, st.st_size, why)) ==
	    QFILE_READ_OK &&
	    (rc = check_length(q, &st, false, why) == -1 ?
	    QFILE_READ_CORRUPT : QFILE_READ_OK) == QFILE_READ_OK)
		rc = read_state(sp, q, why);
	if (rc != QFILE_READ_OK) {
		/* still under the lock: no other runner is reading it */
		if (rc == QFILE_READ_CORRUPT && lock != QFILE_NOLOCK)
			quarantine(sp, dir, id, why);
		qfile_close(q);
		return QFILE_BAD;
	}
	q->size = st.st_size - (off_t)q->env.body_offset;
	return QFILE_OK;
}

/*
 * The small-file path of qfile_look(): the read returned the whole file
 * (n bytes, fewer than asked), so n is its size and no fstat is needed.
 */
static int
look_whole(struct qfile *q, const char *data, size_t n, struct stat *st,
    struct why *why)
{
	enum envelope_result r;

	memset(st, 0, sizeof(*st));
	st->st_size = (off_t)n;
	r = envelope_parse(data, n, QFILE_MAX_RCPTS, false, &q->env, why);
	if (r == ENVELOPE_MORE)
		why_set(why, "%s%s: truncated envelope", dir_name(q->dir),
		    q->id);
	if (r != ENVELOPE_OK)
		return QFILE_READ_CORRUPT;
	return check_length(q, st, false, why) == -1 ? QFILE_READ_CORRUPT :
	    QFILE_READ_OK;
}

enum qfile_result
qfile_look(struct spool *sp, enum spool_dir dir, const char *id,
    bool has_state, struct buf *scratch, struct qfile *q, struct why *why)
{
	struct stat st;
	ssize_t n;
	int rc;

	memset(q, 0, sizeof(*q));
	envelope_init(&q->env);
	(void)strlcpy(q->id, id, sizeof(q->id));
	q->dir = dir;
	if ((q->fd = spool_open_file(sp, dir, id, why)) == -1)
		return errno == ENOENT ? QFILE_GONE : QFILE_BAD;
	buf_reserve(scratch, QFILE_LOOK);
	if ((n = pread(q->fd, scratch->data, QFILE_LOOK, 0)) == -1) {
		why_errno(why, "read %s%s", dir_name(dir), id);
		rc = QFILE_READ_IO;
	} else if ((size_t)n < QFILE_LOOK) {
		rc = look_whole(q, scratch->data, (size_t)n, &st, why);
	} else if (fstat(q->fd, &st) == -1) {
		why_errno(why, "fstat %s%s", dir_name(dir), id);
		rc = QFILE_READ_IO;
	} else if (memmem(scratch->data, (size_t)n, QFILE_END_RECS,
	    sizeof(QFILE_END_RECS) - 1) != NULL) {
		/* the records are all in the first read */
		rc = envelope_parse(scratch->data, (size_t)n, QFILE_MAX_RCPTS,
		    false, &q->env, why) != ENVELOPE_OK ? QFILE_READ_CORRUPT :
		    check_length(q, &st, false, why) == -1 ?
		    QFILE_READ_CORRUPT : QFILE_READ_OK;
	} else if ((rc = read_head(q, QFILE_MAX_RCPTS, false, -1, why)) ==
	    QFILE_READ_OK && check_length(q, &st, false, why) == -1) {
		rc = QFILE_READ_CORRUPT;
	}
	if (rc == QFILE_READ_OK && has_state)
		rc = read_state(sp, q, why);
	else if (rc == QFILE_READ_OK)
		qstate_init(&q->state, q->env.nrcpts);
	if (rc != QFILE_READ_OK) {
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
	q->dir = SPOOL_INCOMING;
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
	} else if ((rc = read_head(q, max_rcpts, true, st.st_size, why)) ==
	    QFILE_READ_IO) {
		res = QFILE_RETRY;
	} else if (rc == QFILE_READ_OK &&
	    st.st_size - (off_t)q->env.body_offset > max_msg) {
		why_set(why, "message larger than max_message_size");
	} else if (rc == QFILE_READ_OK &&
	    check_length(q, &st, true, why) == 0) {
		qstate_init(&q->state, q->env.nrcpts);
		q->mtim = st.st_mtim;
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
	buf_free(&q->whole);
}

ssize_t
qfile_read(struct qfile *q, char *p, size_t n)
{
	if (q->whole.data == NULL)
		return fileio_read(q->fd, p, n);
	if (n > q->whole.len - q->pos)
		n = q->whole.len - q->pos;
	memcpy(p, q->whole.data + q->pos, n);
	q->pos += n;
	return (ssize_t)n;
}

ssize_t
qfile_read_cb(void *arg, char *p, size_t n)
{
	return qfile_read(arg, p, n);
}

int
qfile_rewind(struct qfile *q, struct why *why)
{
	if (q->whole.data != NULL) {
		q->pos = q->env.body_offset;
		return 0;
	}
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
	if ((f = spool_replace(sp, q->dir, name, why)) != NULL) {
		if (spool_write(f, b.data, b.len, why) == 0)
			rc = spool_commit(f, why);
		else
			spool_abort(f);
	}
	if (rc == 0)
		q->stateless = false;
	buf_free(&b);
	return rc;
}

int
qfile_stage_state(struct spool *sp, struct qfile *q, struct spool_file **out,
    struct why *why)
{
	char name[SPOOL_MAX_NAME + 1];
	struct spool_file *f;
	struct buf b;
	int rc = -1;

	*out = NULL;
	(void)snprintf(name, sizeof(name), "%s%s", q->id, QSTATE_SUFFIX);
	buf_init(&b);
	qstate_encode(&q->state, &b);
	if ((f = spool_replace_spare(sp, q->dir, name, why)) != NULL) {
		if (spool_write(f, b.data, b.len, why) == -1)
			spool_abort(f);
		else if ((rc = spool_stage(f, why)) == 0)
			*out = f;
	}
	if (rc == 0) {
		/* committed later, but may be: its removal must unlink it */
		q->stateless = false;
	}
	buf_free(&b);
	return rc;
}

int
qfile_remove_unsynced(struct spool *sp, struct qfile *q, struct why *why)
{
	char name[SPOOL_MAX_NAME + 1];

	(void)snprintf(name, sizeof(name), "%s%s", q->id, QSTATE_SUFFIX);
	/* no state file was read under the lock, none written since: no
	 * unlink that would only fail */
	if (spool_remove(sp, q->dir, q->id, why) == -1 ||
	    (!q->stateless && spool_remove(sp, q->dir, name, why) == -1))
		return -1;
	/* the spare of a deferred message's state (qfile_stage_state) */
	(void)snprintf(name, sizeof(name), ".%s%s", q->id, QSTATE_SUFFIX);
	if (q->state.attempts > 0 && spool_remove(sp, q->dir, name, why) == -1)
		return -1;
	return 0;
}

int
qfile_remove(struct spool *sp, struct qfile *q, struct why *why)
{
	if (qfile_remove_unsynced(sp, q, why) == -1)
		return -1;
	/* a removal lost to a power cut would bring the message back, and
	 * it would be sent again */
	return spool_sync_dir(sp, q->dir, why);
}

/*
 * The steps of qfile_move() under the move lock: link the state into
 * `to` (a spare one there is stale: the message is in q->dir, so its
 * state is the one beside it), rename the message, unlink the old state
 * link.
 */
static int
move_locked(struct spool *sp, struct qfile *q, enum spool_dir to,
    const char *state, struct why *why)
{
	enum spool_dir from = q->dir;

	if (spool_remove(sp, to, state, why) == -1)
		return -1;
	if (spool_link(sp, from, to, state, why) == -1 && errno != ENOENT)
		return -1;
	crash_step("after-link");
	if (spool_move(sp, from, to, q->id, why) == -1)
		return -1;
	q->dir = to;
	crash_step("after-rename");
	/* a spare link left by a failure here is the runner's to remove */
	if (spool_remove(sp, from, state, why) == -1)
		return -1;
	crash_step("after-unlink");
	return 0;
}

int
qfile_move(struct spool *sp, struct qfile *q, enum spool_dir to,
    struct why *why)
{
	char state[SPOOL_MAX_NAME + 1];
	int rc;

	(void)snprintf(state, sizeof(state), "%s%s", q->id, QSTATE_SUFFIX);
	if (!spool_lock_moves(sp, false)) {
		why_errno(why, "lock %s", dir_name(SPOOL_HOLD));
		return -1;
	}
	rc = move_locked(sp, q, to, state, why);
	spool_unlock_moves(sp);
	return rc;
}

/* The id of a state file name (ID.state), or false. */
static bool
state_id(const char *name, char id[SPOOL_MAX_NAME + 1])
{
	size_t n = qstate_id_len(name);

	if (n == 0 || n > SPOOL_MAX_NAME)
		return false;
	memcpy(id, name, n);
	id[n] = '\0';
	return spool_id_ok(id);
}

/* A state in queue/ beside a drop file of its id is that drop file's
 * first try, whose queue file could not be written: kept for its next. */
static void
clean_state(struct spool *sp, enum spool_dir d, const char *name)
{
	char id[SPOOL_MAX_NAME + 1];

	if (state_id(name, id) && !spool_exists(sp, d, id) &&
	    !(d == SPOOL_QUEUE && spool_exists(sp, SPOOL_INCOMING, id)))
		(void)spool_remove(sp, d, name, NULL);
}

void
qfile_clean_states(struct spool *sp, enum spool_dir d, char **names,
    size_t n)
{
	struct spool_iter *it = NULL;
	const char *name;
	size_t i;

	if (names != NULL && n == 0)
		return;
	/* the exclusive lock: no message is between queue/ and hold/ */
	if ((names == NULL && (it = spool_iter_open(sp, d, NULL)) == NULL) ||
	    !spool_lock_moves(sp, true)) {
		spool_iter_close(it);
		return;
	}
	if (names != NULL) {
		for (i = 0; i < n; i++)
			clean_state(sp, d, names[i]);
	} else {
		while ((name = spool_iter_next(it)) != NULL)
			clean_state(sp, d, name);
	}
	spool_unlock_moves(sp);
	spool_iter_close(it);
}

bool
qfile_selected(const struct qfile *q, const char *id_sub,
    const char *rcpt_sub, const char *sender_sub)
{
	size_t i;

	if (id_sub != NULL && strstr(q->id, id_sub) == NULL)
		return false;
	if (sender_sub != NULL && strstr(q->env.sender, sender_sub) == NULL)
		return false;
	if (rcpt_sub == NULL)
		return true;
	for (i = 0; i < q->env.nrcpts; i++)
		if (!q->state.rcpts[i].done &&
		    strstr(q->env.rcpts[i].addr, rcpt_sub) != NULL)
			return true;
	return false;
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

void
qfile_create_mem(const char *id, const struct envelope *env,
    struct qfile_writer *w)
{
	memset(w, 0, sizeof(*w));
	(void)strlcpy(w->id, id, sizeof(w->id));
	buf_init(&w->mem);
	envelope_encode(env, &w->mem, &w->patch);
	w->env_len = w->mem.len;
}

int
qfile_from_image(struct qfile_writer *w, struct qfile *q, struct why *why)
{
	memset(q, 0, sizeof(*q));
	envelope_init(&q->env);
	(void)strlcpy(q->id, w->id, sizeof(q->id));
	q->dir = SPOOL_INCOMING;
	q->fd = -1;
	q->whole = w->mem;
	buf_init(&w->mem);
	if (envelope_parse(q->whole.data, q->whole.len, QFILE_MAX_RCPTS, false,
	    &q->env, why) != ENVELOPE_OK) {
		qfile_close(q);
		return -1;
	}
	buf_shrink(&q->whole);
	q->size = (off_t)(q->whole.len - q->env.body_offset);
	q->stateless = true;
	qstate_init(&q->state, q->env.nrcpts);
	return 0;
}

int
qfile_read_state_of(struct spool *sp, enum spool_dir dir, struct qfile *q,
    struct why *why)
{
	enum spool_dir was = q->dir;
	int rc;

	qstate_free(&q->state);
	q->dir = dir;
	q->stateless = false;	/* unless there is none */
	rc = read_state(sp, q, why);
	q->dir = was;
	if (rc != QFILE_READ_OK) {
		qstate_free(&q->state);
		qstate_init(&q->state, q->env.nrcpts);
		q->stateless = true;
		return -1;
	}
	return 0;
}

int
qfile_write_image(struct spool *sp, const struct qfile *q, struct why *why)
{
	struct spool_file *f;
	int fd;

	if ((f = create_named(sp, SPOOL_QUEUE, q->id, why)) == NULL)
		return -1;
	if (spool_write(f, q->whole.data, q->whole.len, why) == -1 ||
	    (fd = spool_lock_file(f, why)) == -1) {
		spool_abort(f);
		return -1;
	}
	if (spool_commit(f, why) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* The writer's file, or its memory. */
static int
w_write(struct qfile_writer *w, const void *p, size_t n, struct why *why)
{
	if (w->f == NULL) {
		buf_add(&w->mem, p, n);
		return 0;
	}
	return spool_write(w->f, p, n, why);
}

static int
w_patch(struct qfile_writer *w, size_t off, const char *p, size_t n,
    struct why *why)
{
	if (w->f == NULL) {
		memcpy(w->mem.data + off, p, n);
		return 0;
	}
	return spool_patch(w->f, (off_t)off, p, n, why);
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
	return n == 0 ? 0 : w_write(w, p, n, why);
}

size_t
qfile_written(const struct qfile_writer *w)
{
	if (w->f == NULL)
		return w->mem.len - w->env_len;
	return (size_t)spool_file_size(w->f) - w->env_len;
}

int
qfile_seal(struct qfile_writer *w, bool body_8bit, struct why *why)
{
	char digits[ENVELOPE_SIZE_WIDTH + 1];
	size_t len = qfile_written(w);

	envelope_size_digits(len + w->lines, digits);
	if ((body_8bit && w_patch(w, w->patch.flag_off,
	    (char []){ ENVELOPE_8BIT_YES }, 1, why) == -1) ||
	    w_patch(w, w->patch.size_off, digits, ENVELOPE_SIZE_WIDTH,
	    why) == -1) {
		qfile_abort(w);
		return -1;
	}
	envelope_size_digits(len, digits);
	if (w_patch(w, w->patch.len_off, digits, ENVELOPE_SIZE_WIDTH,
	    why) == -1) {
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
	buf_free(&w->mem);
}
