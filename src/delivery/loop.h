/*
 * loop: mail loops (RFC 5321 6.3), found before anything is sent; both
 * are permanent failures with status 5.4.6 (RFC 3463: routing loop).
 *
 * loop_hops(): the queued message has more Received: header fields than
 * max_hops (as Postfix's hopcount_limit; submission refuses such a
 * message already, submit.h: this catches a drop file made by hand and
 * a message queued before max_hops was lowered).
 *
 * loop_mx(): the MX hosts of a domain include this host: a loopback or
 * unspecified address (unless mx_allow_loopback), or an address of one
 * of its interfaces (ifaddr.h). As Postfix does (smtp_addr.c), that host
 * and every one not more preferred than it leave the list (they would
 * send the mail back to us); when no host is left, the mail loops.
 *
 * Results: true when a loop was found, with why saying which.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdbool.h>

#include "why.h"

struct conf;
struct dns_hosts;
struct qfile;

/* Reads q's header block (q's fd is moved: rewind before reading on). */
bool	loop_hops(const struct conf *, struct qfile *, struct why *);
/* hosts: dns_mx()'s list for domain, truncated as said above. */
bool	loop_mx(const struct conf *, const char *domain, struct dns_hosts *,
	    struct why *);

#endif
