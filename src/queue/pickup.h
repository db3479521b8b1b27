/*
 * pickup: queues the drop files of incoming/ (run by the spool owner):
 * what a queue run's first try from memory (deliver.h, drop items) left
 * alone, and every drop file of a run that selects messages (-qR...).
 * The gate and the queued form are drop.h's. Pickup takes the drop
 * file's lock (flock), so that two runners never queue it twice, and a
 * queue/NAME already there means "picked up before".
 *
 * Drop files are copied to queue/NAME (the id the submitter was told).
 * What fails the gate goes to corrupt/ with one log line; a drop file
 * that passes it but fails a later check (a recipient address) is
 * returned to its sender as a bounce and removed, with a log line; a
 * temporary failure leaves it in place for the next run.
 */
#ifndef PICKUP_H
#define PICKUP_H

#include <stddef.h>

struct conf;
struct spool;

/*
 * Queues the drop files of incoming/ (a backlog by several forked
 * pickers at once); returns the number this process queued. Never fails
 * as a whole.
 */
size_t	pickup_run(const struct conf *, struct spool *);

#endif
