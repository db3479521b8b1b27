/*
 * bounce: queues a delivery status notification (dsn.c writes it) about
 * some recipients of a queued message, to its envelope sender, from the
 * null sender. Nothing is ever sent in reply to a <> message: a failure
 * report about one goes to the configured postmaster, or is logged and
 * dropped. Returns 0 once the report is committed to the queue (or was
 * rightly not made), -1 with why when it could not be queued (the caller
 * keeps the recipients pending and tries again later).
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <stddef.h>

#include "dsn.h"
#include "why.h"

struct conf;
struct spool;
struct qfile;

int	bounce_queue(const struct conf *, struct spool *, struct qfile *,
	    const struct dsn_rcpt *, size_t, struct why *);

#endif
