/*
 * conf_relay: the relay policy keys of minimta.conf: relay_for (routes
 * chosen by the envelope sender), relay_limit (caps over a sliding
 * window) and smarthost_order. Pure functions over bytes: no I/O, no
 * logging, no globals.
 *
 * conf_relay_route_add() and conf_relay_limit_add() parse one value and
 * add it to the conf (a repeated SENDER, or HOST and window, replaces
 * the earlier line: the last one wins, as for any key). Results: 0, or -1
 * with why holding the reason only (the caller adds file, line and key),
 * never a password.
 */
#ifndef CONF_RELAY_H
#define CONF_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct conf;
struct why;

/* Named limits. */
#define CONF_RELAY_URLS_MAX	32		/* relays of one route */
#define CONF_RELAY_LIMIT_MAX	1000000L	/* N of N/h, N/d */

/* The SENDER that stands for the null sender <> (bounces). */
#define CONF_RELAY_NULL_SENDER	"<>"

/* "SENDER URL..." */
int	conf_relay_route_add(struct conf *, const char *, struct why *);
/* "HOST N/h" or "HOST N/d"; HOST may be user@host (one account) */
int	conf_relay_limit_add(struct conf *, const char *, struct why *);
/* relay_for, relay_limit: an empty value empties the list */
void	conf_relay_clear_routes(struct conf *);
void	conf_relay_clear_limits(struct conf *);

#endif
