/*
 * pickup: moves drop files from incoming/ into the queue (run by the spool
 * owner). Every drop file is hostile input: opened without following
 * links or blocking, required to be a regular file with one link and a
 * bounded size, attributed to the owner of the opened file, parsed
 * strictly, and its message passed through the same submission code as
 * stdin (so the Received: line names the real submitter). What fails goes
 * to corrupt/ with one log line; a temporary failure leaves it in place.
 */
#ifndef PICKUP_H
#define PICKUP_H

#include <stddef.h>

struct conf;
struct spool;

/* Returns the number of messages queued; never fails as a whole. */
size_t	pickup_run(const struct conf *, struct spool *);

#endif
