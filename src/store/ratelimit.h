/*
 * ratelimit: the counters of relay use (relay_limit caps, and each
 * relay's use for smarthost_order roundrobin), one file per counter in
 * spool/ratelimit/ (ratecount.h gives the format), shared by every
 * process that delivers: the daemon, -q runs, -odb children and their
 * parallel workers.
 *
 * Updates: under flock(LOCK_EX) on the counter file, one pwrite of one
 * fixed-width record, in place; a counter that backs a cap is then
 * fdatasync'd before the message goes out. A slot is taken before the
 * message is sent, so a process killed between any two system calls
 * has either not counted a message it has not sent, or counted one it
 * may not have sent: the cap is never exceeded. A file that does not
 * parse (or names another key or window) is rewritten in place: empty
 * when it only orders round-robin, full for one window when it backs a
 * cap (its count was lost: nothing goes through that relay for at most
 * one window, and delivery then resumes by itself); *note says so.
 *
 * Results: RATELIMIT_OK; RATELIMIT_FULL (a cap is reached: *full names
 * it, *slot is when it has room); RATELIMIT_ERROR (I/O: why says; the
 * caller defers rather than send past a cap it cannot read). Counters
 * without a limit never cause an error: they only order relays.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "why.h"

struct spool;

/* The counters a message through one relay takes a slot in. */
struct ratelimit_use {
	const char	*key;		/* host or user@host, host lower case */
	time_t		 window;	/* seconds: 3600 (h) or 86400 (d) */
	unsigned long	 limit;		/* 0: counted, not capped */
};

enum ratelimit_result {
	RATELIMIT_OK,
	RATELIMIT_FULL,
	RATELIMIT_ERROR,
};

/*
 * Takes one slot at now in every counter of u[0..n), all or none. When
 * one is full: RATELIMIT_FULL, *full its index in u, *slot the time at
 * which waiting + 1 more messages fit (so that messages queued behind a
 * cap get successive slots instead of waking all at once).
 */
enum ratelimit_result ratelimit_take(struct spool *,
	    const struct ratelimit_use *u, size_t n, time_t now,
	    unsigned long waiting, size_t *full, time_t *slot,
	    struct why *note, struct why *why);
/* Gives back the slots ratelimit_take took at t (nothing was sent). */
void	ratelimit_give_back(struct spool *, const struct ratelimit_use *u,
	    size_t n, time_t t);
/* The use of one counter over its window at now (0: no such file). */
uint64_t ratelimit_used(struct spool *, const char *key, time_t window,
	    time_t now);
/* The counter's file name in spool/ratelimit/ (for the docs and tests). */
void	ratelimit_file_name(const char *key, time_t window, char *out,
	    size_t len);

#endif
