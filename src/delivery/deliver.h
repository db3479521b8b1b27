/*
 * deliver: delivery policy for one destination. Takes a list of queued
 * messages, keeps one SMTP session to the destination busy with all of
 * them (all their recipients that route there), and decides for each
 * recipient: sent, deferred (retry with back-off, bounce once
 * queue_lifetime has passed) or bounced (marked done with its report
 * pending: report.h queues one per message and run). Every outcome is
 * logged in Postfix's shape; per-recipient state is saved atomically
 * after each SMTP transaction (each recipient's, with VERP), before the
 * reply to the next one's "." is read (that one may be on its way:
 * smtp.h, smtp_finish()).
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "why.h"

struct conf;
struct spool;
struct deliver;

struct deliver_stats {
	size_t	sent;
	size_t	deferred;
	size_t	bounced;
	time_t	next_try;	/* earliest set on a deferred message; 0 */
};

/*
 * A message of a batch and the recipients the runner routed there. A
 * drop item is incoming/ID on its first try: sent from its queued form
 * in memory (drop.h), queued only if something is left to do after the
 * try, and left to pickup when it is not for this path (dropitem.h) or
 * when nothing could be tried (no session: the destination down or at
 * its cap).
 */
struct deliver_item {
	const char	*id;
	const size_t	*rcpts;		/* indices; NULL: all pending */
	size_t		 nrcpts;
	bool		 drop;
};

/* NULL with why when TLS or auth_file setup fails (a config error). */
struct deliver *deliver_new(const struct conf *, struct spool *,
	    bool verbose, struct why *);
void	deliver_free(struct deliver *);
/*
 * dest: a route.h destination key; items: its messages, each with the
 * recipients route_plan() gave that key. Stops early when *stop becomes
 * true. A message deferred because every relay of its route is at its
 * cap gets its slot as next try, and is not expired while it waits. The
 * session stays open for the next batch to the same destination; another
 * destination's batch or deliver_free() ends it.
 */
void	deliver_batch(struct deliver *, const char *dest,
	    const struct deliver_item *items, size_t n,
	    volatile const int *stop, struct deliver_stats *);
/*
 * The ids of the messages delivered so far that have reports due (for
 * report_finish() once the run's jobs are over); the caller frees them
 * and the array. *n may be 0.
 */
char	**deliver_take_final(struct deliver *, size_t *n);

#endif
