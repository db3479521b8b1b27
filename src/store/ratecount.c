/*
 * ratecount.c: the counter file of a relay limit (ratecount.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ratecount.h"
#include "xmalloc.h"

/*
 * The window is cut into nbuckets - 1 buckets; the file keeps one more,
 * so that the record reused for a new bucket is always one that has left
 * the window (with exactly a window's worth, the bucket that straddles
 * the window's start would be overwritten while it still counts).
 */
static time_t
blen(const struct ratecount *rc)
{
	return rc->window / (time_t)(rc->nbuckets - 1);
}

static bool
key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_' || c == '+' || c == '@';
}

void
ratecount_key(const char *key, struct buf *b)
{
	const unsigned char *p = (const unsigned char *)key;

	for (; *p != '\0'; p++) {
		/* a leading dot would make a hidden (temporary) file name */
		if (key_char(*p) && !(*p == '.' && p == (const unsigned char *)
		    key))
			buf_addc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

static size_t
head_len(const struct ratecount *rc)
{
	char n[64];

	return strlen(RATECOUNT_MAGIC) + (size_t)snprintf(n, sizeof(n),
	    "%lld %zu ", (long long)rc->window, rc->nbuckets) +
	    strlen(rc->key) + 1;
}

void
ratecount_init(struct ratecount *rc, const char *key, time_t window)
{
	size_t n = strlen(key);

	rc->window = window;
	rc->nbuckets = RATECOUNT_BUCKETS;
	rc->key = xstrndup(key, n > RATECOUNT_KEY_MAX ? RATECOUNT_KEY_MAX : n);
	rc->b = xcalloc(rc->nbuckets, sizeof(*rc->b));
	rc->head_len = head_len(rc);
}

void
ratecount_free(struct ratecount *rc)
{
	free(rc->key);
	free(rc->b);
	rc->key = NULL;
	rc->b = NULL;
}

void
ratecount_record(const struct ratecount *rc, size_t i,
    char out[RATECOUNT_REC_LEN + 1])
{
	(void)snprintf(out, RATECOUNT_REC_LEN + 1, "%012lld %09lu\n",
	    (long long)rc->b[i].start, rc->b[i].count);
}

size_t
ratecount_offset(const struct ratecount *rc, size_t i)
{
	return rc->head_len + i * RATECOUNT_REC_LEN;
}

void
ratecount_encode(const struct ratecount *rc, struct buf *b)
{
	char rec[RATECOUNT_REC_LEN + 1];
	size_t i;

	buf_printf(b, "%s%lld %zu %s\n", RATECOUNT_MAGIC,
	    (long long)rc->window, rc->nbuckets, rc->key);
	for (i = 0; i < rc->nbuckets; i++) {
		ratecount_record(rc, i, rec);
		buf_add(b, rec, RATECOUNT_REC_LEN);
	}
}

/* A canonical decimal (no sign, no leading zero) up to max; *p moves. */
static int
number(const char **p, const char *end, long long max, long long *out)
{
	const char *s = *p;
	long long n = 0;

	if (s == end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end &&
	    s[1] >= '0' && s[1] <= '9'))
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (*s - '0');
		if (n > max)
			return -1;
	}
	*p = s;
	*out = n;
	return 0;
}

/* Exactly width digits. */
static int
fixed(const char *s, size_t width, long long *out)
{
	long long n = 0;
	size_t i;

	for (i = 0; i < width; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	*out = n;
	return 0;
}

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

static bool
hex_upper(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* The encoded key up to the newline; *p moves past the newline. */
static int
parse_key(const char **p, const char *end, struct ratecount *rc,
    struct why *why)
{
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
	const char *q;

	if (nl == NULL || nl == s || nl - s > RATECOUNT_KEY_MAX) {
		why_set(why, "bad key");
		return -1;
	}
	for (q = s; q < nl; q++) {
		/* canonical: %XX only for what ratecount_key escapes */
		if (*q == '%' && nl - q >= 3 && hex_upper(q[1]) &&
		    hex_upper(q[2])) {
			unsigned char c = (unsigned char)(hexval(q[1]) * 16 +
			    hexval(q[2]));

			if (key_char(c) && !(q == s && c == '.')) {
				why_set(why, "bad key");
				return -1;
			}
			q += 2;
			continue;
		}
		if (!key_char((unsigned char)*q) || (*q == '.' && q == s)) {
			why_set(why, "bad key");
			return -1;
		}
	}
	rc->key = xstrndup(s, (size_t)(nl - s));
	*p = nl + 1;
	return 0;
}

static int
parse_head(const char **p, const char *end, struct ratecount *rc,
    struct why *why)
{
	size_t ml = strlen(RATECOUNT_MAGIC);
	long long w, nb;

	if ((size_t)(end - *p) < ml || memcmp(*p, RATECOUNT_MAGIC, ml) != 0) {
		why_set(why, "not a rate counter (version 1)");
		return -1;
	}
	*p += ml;
	if (number(p, end, RATECOUNT_WINDOW_MAX, &w) == -1 || w < 1 ||
	    *p == end || *(*p)++ != ' ' ||
	    number(p, end, RATECOUNT_BUCKETS_MAX, &nb) == -1 || nb < 2 ||
	    *p == end || *(*p)++ != ' ' || w % (nb - 1) != 0) {
		why_set(why, "bad window or bucket count");
		return -1;
	}
	rc->window = (time_t)w;
	rc->nbuckets = (size_t)nb;
	return parse_key(p, end, rc, why);
}

int
ratecount_parse(const char *s, size_t len, struct ratecount *rc,
    struct why *why)
{
	const char *p = s, *end = s + len;
	long long start, count;
	size_t i;

	memset(rc, 0, sizeof(*rc));
	if (len > RATECOUNT_FILE_MAX) {
		why_set(why, "too large");
		return -1;
	}
	if (parse_head(&p, end, rc, why) == -1)
		return -1;
	rc->head_len = (size_t)(p - s);
	if ((size_t)(end - p) != rc->nbuckets * RATECOUNT_REC_LEN) {
		why_set(why, "%zu bytes of buckets, want %zu",
		    (size_t)(end - p), rc->nbuckets * RATECOUNT_REC_LEN);
		return -1;
	}
	rc->b = xcalloc(rc->nbuckets, sizeof(*rc->b));
	for (i = 0; i < rc->nbuckets; i++, p += RATECOUNT_REC_LEN) {
		if (fixed(p, 12, &start) == -1 || p[12] != ' ' ||
		    fixed(p + 13, 9, &count) == -1 || p[22] != '\n') {
			why_set(why, "bucket %zu: bad record", i);
			return -1;
		}
		if (start == 0 ? count != 0 : start % blen(rc) != 0 ||
		    (size_t)((start / blen(rc)) % (long long)rc->nbuckets) !=
		    i) {
			why_set(why, "bucket %zu: start %lld out of place", i,
			    start);
			return -1;
		}
		rc->b[i].start = (time_t)start;
		rc->b[i].count = (unsigned long)count;
	}
	return 0;
}

/* Bucket i counts for the window ending at now (a clock set back by
 * more than a window forgets what lies ahead of it). */
static bool
counts(const struct ratecount *rc, size_t i, time_t now)
{
	const struct ratecount_bucket *b = &rc->b[i];

	return b->start != 0 && b->count != 0 &&
	    b->start + blen(rc) > now - rc->window &&
	    b->start <= now + rc->window;
}

uint64_t
ratecount_used(const struct ratecount *rc, time_t now)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < rc->nbuckets; i++)
		if (counts(rc, i, now))
			n += rc->b[i].count;
	return n;
}

size_t
ratecount_add(struct ratecount *rc, time_t t, long n)
{
	time_t start = t - t % blen(rc);
	size_t i = (size_t)((start / blen(rc)) % (time_t)rc->nbuckets);
	struct ratecount_bucket *b = &rc->b[i];

	if (t <= 0 || start > RATECOUNT_START_MAX)
		return i;	/* no clock: nothing to record */
	if (b->start != start) {
		if (n <= 0)
			return i;	/* its bucket is gone: nothing held */
		b->start = start;
		b->count = 0;
	}
	if (n < 0)
		b->count = (unsigned long)-n > b->count ? 0 :
		    b->count - (unsigned long)-n;
	else
		b->count = (unsigned long)n > RATECOUNT_COUNT_MAX - b->count ?
		    RATECOUNT_COUNT_MAX : b->count + (unsigned long)n;
	return i;
}

size_t
ratecount_fill(struct ratecount *rc, time_t now, unsigned long limit)
{
	size_t i = ratecount_add(rc, now, 1);

	rc->b[i].count = limit > RATECOUNT_COUNT_MAX ? RATECOUNT_COUNT_MAX :
	    limit;
	return i;
}

static int
cmp_bucket(const void *a, const void *b)
{
	const struct ratecount_bucket *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

time_t
ratecount_free_at(const struct ratecount *rc, time_t now,
    unsigned long limit, unsigned long want)
{
	struct ratecount_bucket *v;
	unsigned long rounds = 0;
	uint64_t used, target;
	time_t t = now;
	size_t i, n = 0;

	if (limit == 0)
		return now + rc->window;
	if (want > limit) {
		rounds = (want - 1) / limit;
		want -= rounds * limit;
	}
	target = limit - want;
	if ((used = ratecount_used(rc, now)) <= target)
		return now + (time_t)rounds * rc->window;
	v = xcalloc(rc->nbuckets, sizeof(*v));
	for (i = 0; i < rc->nbuckets; i++)
		if (counts(rc, i, now))
			v[n++] = rc->b[i];
	qsort(v, n, sizeof(*v), cmp_bucket);
	for (i = 0; i < n && used > target; i++) {
		used -= v[i].count;
		t = v[i].start + blen(rc) + rc->window;
	}
	free(v);
	if (t <= now)
		t = now + 1;
	return t + (time_t)rounds * rc->window;
}
