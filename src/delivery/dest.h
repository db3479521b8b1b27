/*
 * dest: the destination of one delivery batch, as route.h keys it: the
 * relays of a route (the default smarthosts or a relay_for route), each
 * with its session opened at first use and kept for the batch, or the
 * MX hosts of one domain. For each transaction it picks the relay:
 * in the order written (failover), or least used first over the last
 * hour (smarthost_order roundrobin; the use is counted in the spool, so
 * every process spreads over the same counts); a relay that cannot be
 * reached is skipped for the rest of the batch, one at its cap
 * (relay_limit) is skipped for that message. Mail never leaves through a
 * relay of another route.
 *
 * dest_session() takes the transaction's slot in the counters of the
 * relay it returns (ratelimit.h) before the message goes out, and gives
 * it back when the relay could not be reached.
 *
 * Results: DEST_OK (*sess, borrowed until the next call or dest_free);
 * DEST_TEMP, DEST_PERM (nothing could be reached, or the domain cannot
 * get mail: status and why say why); DEST_CAPPED (every relay that was
 * not down is at a cap: why reads "rate limit of HOST reached (N/h);
 * next slot in 12m", *next is the time of that slot).
 */
#ifndef DEST_H
#define DEST_H

#include <time.h>

#include "why.h"

struct dest;
struct session;
struct session_env;
struct spool;

enum dest_result {
	DEST_OK,
	DEST_TEMP,
	DEST_PERM,
	DEST_CAPPED,
};

/* The status of a cap deferral (RFC 3463: mail system congestion). */
#define DEST_CAPPED_STATUS	"4.4.5"

/* key: a route.h destination key. env and sp are borrowed. */
struct dest *dest_new(struct session_env *, struct spool *, const char *key);
/* QUITs and closes every session; NULL does nothing. */
void	dest_free(struct dest *);
/* The key dest_new() was given (borrowed for the dest's life). */
const char *dest_key(const struct dest *);
/*
 * A new batch to the same destination (the runner's workers live for
 * the whole queue run): the relays' marks of the last batch (down,
 * reconnects, waiting) are cleared, and a session is kept only while
 * its server has said nothing since (a 421 or a close ends it).
 */
void	dest_renew(struct dest *);
enum dest_result dest_session(struct dest *, struct session **,
	    char status[16], time_t *next, struct why *);
/*
 * dest_session() would give sess again without a look at the spool or
 * the network (one relay order, no cap on the first relay up, its
 * session open): a message's "." may wait for the next one (smtp.h).
 */
bool	dest_gives(const struct dest *, const struct session *sess);
/*
 * The last session dest_session() gave died in a transaction: closed;
 * the next call opens a new one, and after a second loss the relay is
 * down for the batch (reason: why the session ended).
 */
void	dest_lost(struct dest *, const char *reason);

#endif
