/*
 * route: where a message's mail goes; the one routing rule of the queue
 * runner (which groups messages by destination key) and of delivery
 * (which takes the recipients the runner grouped, without routing
 * again).
 *
 * The route is chosen by the envelope sender: a relay_for line naming
 * the whole address (case-insensitively, as Postfix's lookup tables),
 * else one naming its domain (exactly: not its subdomains), else the
 * default smarthosts, else MX delivery. The null sender <> (bounces)
 * takes the default, unless a relay_for line names "<>" (Postfix's
 * sender_dependent_relayhost_maps and its <> key do the same).
 *
 * Destination keys: ROUTE_SMARTHOST (""), the default smarthosts;
 * "=SENDER" for a relay_for route (every recipient of the message); a
 * lower-cased domain for MX delivery (the recipients of that domain).
 * An unqualified recipient under MX delivery has ROUTE_SMARTHOST (there
 * are none: it is deferred).
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct conf_url;
struct qfile;

#define ROUTE_SMARTHOST	""
#define ROUTE_RELAY_FOR	'='	/* first byte of a relay_for route's key */

/* The relays of a route (borrowed from the conf); n == 0: MX. */
struct route_relays {
	const char		*sender;	/* relay_for SENDER, or NULL */
	const struct conf_url	*v;
	size_t			 n;
};

/* The route of sender's mail ("" for <>). */
void	route_sender(const struct conf *, const char *sender,
	    struct route_relays *);
/* True when the sender decides the route (relay_for lines exist). */
bool	route_by_sender(const struct conf *);

/* The pending recipients (indices into the envelope) of one key. */
struct route_group {
	char		*key;
	size_t		*idx;
	size_t		 n;
};

struct route_plan {
	struct route_group *v;
	size_t		 n;
};

/* The destinations of q's pending recipients; the caller frees it. */
void	route_plan(const struct conf *, const struct qfile *q,
	    struct route_plan *);
void	route_plan_free(struct route_plan *);
/*
 * The relays of a destination key: true for a relay route (n may be 0:
 * no smarthost for an unqualified recipient), false for MX (key is the
 * domain).
 */
bool	route_relays_of(const struct conf *, const char *key,
	    struct route_relays *);

/*
 * A relay_limit applies to a relay URL when it names the URL's host, or
 * its user@host (hosts compare without regard to case, users exactly).
 */
struct conf_limit;
bool	route_limit_applies(const struct conf_limit *,
	    const struct conf_url *);

#endif
