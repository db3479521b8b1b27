/*
 * ratelimit.c: relay counters in spool/ratelimit/ (ratelimit.h).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crash.h"
#include "ratecount.h"
#include "ratelimit.h"
#include "spool.h"
#include "xmalloc.h"

/* One counter file, open and locked. */
struct counter {
	const struct ratelimit_use *use;
	size_t		 idx;		/* in the caller's array */
	char		 name[SPOOL_MAX_NAME + 1];
	int		 fd;
	struct ratecount rc;
};

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* As the file holds it: cut at RATECOUNT_KEY_MAX, as ratecount_init does. */
static void
encoded_key(const char *key, struct buf *b)
{
	buf_init(b);
	ratecount_key(key, b);
	if (b->len > RATECOUNT_KEY_MAX) {
		/* never inside a %XX escape: the parser would refuse it */
		b->len = RATECOUNT_KEY_MAX;
		if (b->data[b->len - 1] == '%')
			b->len -= 1;
		else if (b->data[b->len - 2] == '%')
			b->len -= 2;
	}
	buf_addc(b, '\0');
}

void
ratelimit_file_name(const char *key, time_t window, char *out, size_t len)
{
	char suffix[32];
	struct buf b;

	if (window == 3600)
		(void)strlcpy(suffix, ".h", sizeof(suffix));
	else if (window == 86400)
		(void)strlcpy(suffix, ".d", sizeof(suffix));
	else
		(void)snprintf(suffix, sizeof(suffix), ".%llds",
		    (long long)window);
	encoded_key(key, &b);
	/* a long key gets a hash for a name; the file holds the key */
	if (strlen(b.data) + strlen(suffix) > SPOOL_MAX_NAME)
		(void)snprintf(out, len, "%%%016llx%s",
		    (unsigned long long)fnv1a(b.data), suffix);
	else
		(void)snprintf(out, len, "%s%s", b.data, suffix);
	buf_free(&b);
}

static void
fresh(struct ratecount *rc, const struct ratelimit_use *u)
{
	struct buf b;

	encoded_key(u->key, &b);
	ratecount_init(rc, b.data, u->window);
	buf_free(&b);
}

/* The whole file into c->rc; -1 on I/O failure (errno), 1 if corrupt. */
static int
load(struct counter *c, struct why *why)
{
	struct buf b, k;
	ssize_t n;
	int rc = 0;

	buf_init(&b);
	buf_reserve(&b, RATECOUNT_FILE_MAX + 1);
	do {
		n = pread(c->fd, b.data, RATECOUNT_FILE_MAX + 1, 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		why_errno(why, "read ratelimit/%s", c->name);
		buf_free(&b);
		return -1;
	}
	encoded_key(c->use->key, &k);
	if (ratecount_parse(b.data, (size_t)n, &c->rc, why) == -1) {
		rc = 1;
	} else if (strcmp(c->rc.key, k.data) != 0 ||
	    c->rc.window != c->use->window) {
		why_set(why, "holds another counter (%.100s)", c->rc.key);
		rc = 1;
	}
	buf_free(&k);
	buf_free(&b);
	return rc;
}

static int
sync_if(const struct counter *c, struct why *why)
{
	/* a cap's count must outlive a crash; an order hint need not */
	if (c->use->limit > 0 && fdatasync(c->fd) == -1) {
		why_errno(why, "fdatasync ratelimit/%s", c->name);
		return -1;
	}
	return 0;
}

/* A corrupt file, rewritten in place (ratelimit.h says how). */
static int
repair(struct counter *c, time_t now, struct why *note, struct why *why)
{
	struct buf b;
	ssize_t w;
	int rc = -1;

	why_set(note, "ratelimit/%s: %s: %s", c->name, why->text,
	    c->use->limit > 0 ? "counted as full for one window" :
	    "started afresh");
	ratecount_free(&c->rc);
	fresh(&c->rc, c->use);
	if (c->use->limit > 0)
		(void)ratecount_fill(&c->rc, now, c->use->limit);
	buf_init(&b);
	ratecount_encode(&c->rc, &b);
	do {
		w = pwrite(c->fd, b.data, b.len, 0);
	} while (w == -1 && errno == EINTR);
	if (w != (ssize_t)b.len || ftruncate(c->fd, (off_t)b.len) == -1) {
		if (w >= 0 && w != (ssize_t)b.len)
			errno = EIO;
		why_errno(why, "rewrite ratelimit/%s", c->name);
		goto out;
	}
	rc = sync_if(c, why);
out:
	buf_free(&b);
	return rc;
}

static int
open_one(struct spool *sp, struct counter *c, time_t now, struct why *note,
    struct why *why)
{
	struct ratecount init;
	struct buf b;
	int r;

	ratelimit_file_name(c->use->key, c->use->window, c->name,
	    sizeof(c->name));
	fresh(&init, c->use);
	buf_init(&b);
	ratecount_encode(&init, &b);
	ratecount_free(&init);
	c->fd = spool_counter_open(sp, SPOOL_RATELIMIT, c->name, b.data, b.len,
	    why);
	buf_free(&b);
	if (c->fd == -1)
		return -1;
	while (flock(c->fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			why_errno(why, "lock ratelimit/%s", c->name);
			return -1;
		}
	}
	if ((r = load(c, why)) == 1)
		return repair(c, now, note, why);
	return r;
}

static void
close_one(struct counter *c)
{
	if (c->fd != -1)
		(void)close(c->fd);	/* drops the lock; written in place */
	ratecount_free(&c->rc);
}

/* By name; of one name, the strictest cap first (the one opened). */
static int
cmp_counter(const void *a, const void *b)
{
	const struct counter *x = a, *y = b;
	unsigned long lx = x->use->limit, ly = y->use->limit;
	int c = strcmp(x->name, y->name);

	if (c != 0 || lx == ly)
		return c;
	if (lx == 0 || ly == 0)
		return lx == 0 ? 1 : -1;
	return lx < ly ? -1 : 1;
}

/* One record, written in place. */
static int
write_record(struct counter *c, size_t i, struct why *why)
{
	char rec[RATECOUNT_REC_LEN + 1];
	ssize_t w;

	ratecount_record(&c->rc, i, rec);
	do {
		w = pwrite(c->fd, rec, RATECOUNT_REC_LEN,
		    (off_t)ratecount_offset(&c->rc, i));
	} while (w == -1 && errno == EINTR);
	if (w != RATECOUNT_REC_LEN) {
		if (w >= 0)
			errno = EIO;
		why_errno(why, "write ratelimit/%s", c->name);
		return -1;
	}
	return 0;
}

/*
 * Opens and locks u[0..n) in the order of their names (two processes
 * never wait for each other's locks in a cycle).
 */
static struct counter *
open_all(struct spool *sp, const struct ratelimit_use *u, size_t n,
    time_t now, struct why *note, struct why *why, int *err)
{
	struct counter *c = xcalloc(n, sizeof(*c));
	struct why w;
	size_t i;

	*err = 0;
	for (i = 0; i < n; i++) {
		c[i].use = &u[i];
		c[i].idx = i;
		c[i].fd = -1;
		ratelimit_file_name(u[i].key, u[i].window, c[i].name,
		    sizeof(c[i].name));
	}
	qsort(c, n, sizeof(*c), cmp_counter);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(c[i].name, c[i - 1].name) == 0)
			continue;	/* the same counter twice: once */
		if (open_one(sp, &c[i], now, note, &w) == 0)
			continue;
		if (c[i].fd != -1)
			(void)close(c[i].fd);
		c[i].fd = -1;
		if (c[i].use->limit > 0 && *err == 0) {
			*why = w;
			*err = -1;
		}
	}
	return c;
}

/* One slot in c at now; -1 only when it backs a cap. */
static int
take_one(struct counter *c, time_t now, struct why *why)
{
	if (write_record(c, ratecount_add(&c->rc, now, 1), why) == -1)
		return c->use->limit > 0 ? -1 : 0;
	crash_point("ratelimit.after-write");
	return sync_if(c, why);
}

enum ratelimit_result
ratelimit_take(struct spool *sp, const struct ratelimit_use *u, size_t n,
    time_t now, unsigned long waiting, size_t *full, time_t *slot,
    struct why *note, struct why *why)
{
	enum ratelimit_result res = RATELIMIT_OK;
	struct counter *c;
	struct why w;
	size_t i;
	time_t t;
	int err;

	note->text[0] = '\0';
	*slot = 0;
	c = open_all(sp, u, n, now, note, why, &err);
	if (err == -1) {
		res = RATELIMIT_ERROR;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (c[i].fd == -1 || c[i].use->limit == 0 ||
		    ratecount_used(&c[i].rc, now) < c[i].use->limit)
			continue;
		t = ratecount_free_at(&c[i].rc, now, c[i].use->limit,
		    waiting + 1);
		if (res == RATELIMIT_OK || t > *slot) {
			*slot = t;
			*full = c[i].idx;
		}
		res = RATELIMIT_FULL;
	}
	for (i = 0; i < n && res == RATELIMIT_OK; i++) {
		if (c[i].fd != -1 && take_one(&c[i], now, &w) == -1) {
			*why = w;
			res = RATELIMIT_ERROR;
		}
	}
	if (res == RATELIMIT_OK)
		crash_point("ratelimit.after-take");
out:
	for (i = 0; i < n; i++)
		close_one(&c[i]);
	free(c);
	return res;
}

void
ratelimit_give_back(struct spool *sp, const struct ratelimit_use *u,
    size_t n, time_t t)
{
	struct why note, why;
	struct counter *c;
	size_t i;
	int err;

	c = open_all(sp, u, n, t, &note, &why, &err);
	for (i = 0; i < n; i++) {
		if (c[i].fd == -1)
			continue;
		/* a failure keeps the slot counted: the safe side */
		if (write_record(&c[i], ratecount_add(&c[i].rc, t, -1),
		    &why) == 0)
			(void)sync_if(&c[i], &why);
	}
	for (i = 0; i < n; i++)
		close_one(&c[i]);
	free(c);
}

uint64_t
ratelimit_used(struct spool *sp, const char *key, time_t window, time_t now)
{
	struct ratelimit_use u = { key, window, 0 };
	struct counter c = { .use = &u, .fd = -1 };
	struct why note, why;
	uint64_t n = 0;

	if (open_one(sp, &c, now, &note, &why) == 0)
		n = ratecount_used(&c.rc, now);
	close_one(&c);
	return n;
}
