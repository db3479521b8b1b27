/*
 * ratecount: the counter behind one relay_limit (or one relay's use, for
 * smarthost_order roundrobin) over a sliding window, as kept in
 * spool/ratelimit/ (ratelimit.h does the I/O). Pure encode, parse and
 * arithmetic over bytes: no I/O, no logging, no globals.
 *
 *	MINIMTA-RATE 1 WINDOW BUCKETS KEY\n
 *	SSSSSSSSSSSS CCCCCCCCC\n		BUCKETS records, 23 bytes each
 *
 * The window (seconds) is cut into BUCKETS - 1 buckets of
 * WINDOW/(BUCKETS - 1) seconds, and the file keeps BUCKETS of them (one
 * more than the window holds, so that a record is reused only once its
 * bucket has left the window); record i holds the bucket whose start S
 * (a multiple of the bucket length, 0 when never used) has (S / length) %
 * BUCKETS == i, and C, the messages counted in it. KEY is the relay
 * key (ratecount_key: lower-case letters, digits, ".-_+@", other bytes as
 * %XX). Every field
 * has a fixed width, so that one bucket is updated in place with one
 * write of RATECOUNT_REC_LEN bytes (ratecount_offset, ratecount_record),
 * and a file is valid only in its canonical form: parse(encode(x)) is x
 * and encode(parse(bytes)) is bytes.
 *
 * A bucket counts for the window ending at t when it overlaps it: the
 * count is never less than the true count of the last WINDOW seconds, so
 * a cap is never exceeded; slots come back at the end of a bucket.
 */
#ifndef RATECOUNT_H
#define RATECOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "why.h"

struct buf;

#define RATECOUNT_MAGIC		"MINIMTA-RATE 1 "
#define RATECOUNT_BUCKETS	361		/* what the writer uses */
#define RATECOUNT_BUCKETS_MAX	3600		/* what the reader takes */
#define RATECOUNT_WINDOW_MAX	(30L * 86400)
#define RATECOUNT_REC_LEN	23
#define RATECOUNT_COUNT_MAX	999999999UL
#define RATECOUNT_START_MAX	999999999999LL
#define RATECOUNT_KEY_MAX	1024		/* encoded */
#define RATECOUNT_HEAD_MAX	(RATECOUNT_KEY_MAX + 64)
/* The largest valid file. */
#define RATECOUNT_FILE_MAX	(RATECOUNT_HEAD_MAX + \
	    RATECOUNT_BUCKETS_MAX * RATECOUNT_REC_LEN)

struct ratecount_bucket {
	time_t		 start;
	unsigned long	 count;
};

struct ratecount {
	time_t		 window;
	size_t		 nbuckets;
	char		*key;		/* encoded */
	size_t		 head_len;	/* bytes before record 0 */
	struct ratecount_bucket *b;
};

/*
 * A fresh counter (every bucket empty) for the encoded key (at most
 * RATECOUNT_KEY_MAX bytes; longer ones are cut) over window seconds, in
 * RATECOUNT_BUCKETS records (window must be a multiple of one less).
 */
void	ratecount_init(struct ratecount *, const char *key, time_t window);
void	ratecount_free(struct ratecount *);
void	ratecount_encode(const struct ratecount *, struct buf *);
/* 0, or -1 with why; *out is to be freed either way. */
int	ratecount_parse(const char *, size_t, struct ratecount *out,
	    struct why *);

/* Messages counted in the window that ends at now. */
uint64_t ratecount_used(const struct ratecount *, time_t now);
/*
 * Adds n (negative: slots given back, never below 0) to the bucket of
 * time t; returns the index of the record changed.
 */
size_t	ratecount_add(struct ratecount *, time_t t, long n);
/* Counts the bucket of now as holding limit messages (a lost count). */
size_t	ratecount_fill(struct ratecount *, time_t now, unsigned long limit);
/* Where record i starts in the encoded file; its bytes (with the NUL). */
size_t	ratecount_offset(const struct ratecount *, size_t i);
void	ratecount_record(const struct ratecount *, size_t i,
	    char out[RATECOUNT_REC_LEN + 1]);
/*
 * The first time, now or later, at which want more messages fit under
 * limit (used <= limit - want); past one window's worth, a window later
 * per limit messages.
 */
time_t	ratecount_free_at(const struct ratecount *, time_t now,
	    unsigned long limit, unsigned long want);

/* The encoded form of a relay key (see above), appended to b. */
void	ratecount_key(const char *key, struct buf *b);

#endif
