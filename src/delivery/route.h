/*
 * route: where a recipient's mail goes. With smarthosts configured,
 * everything goes to them (one destination, ROUTE_SMARTHOST); otherwise to
 * the MX hosts of the recipient's domain (the destination is the domain,
 * lower-cased). Unqualified recipients were qualified at submission.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stdbool.h>

struct conf;

#define ROUTE_SMARTHOST	""

/* The destination key (caller frees): ROUTE_SMARTHOST or a domain. */
char	*route_dest(const struct conf *, const char *rcpt);
/* route_dest(conf, rcpt) is dest (without allocating: called per
 * recipient and destination). */
bool	route_is(const struct conf *, const char *rcpt, const char *dest);
/* A text for -bv: "smarthost smtp://relay:587" or "MX of example.org". */
char	*route_describe(const struct conf *, const char *rcpt);

#endif
