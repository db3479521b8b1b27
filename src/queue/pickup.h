/*
 * pickup: moves drop files from incoming/ into the queue (run by the spool
 * owner). Every drop file is hostile input. The gate (pickup_gate, which
 * mailq uses too) takes it only if it is a regular file with one link,
 * named like a queue id, within max_message_size (with the room submit
 * leaves for what minimta adds, SUBMIT_ADDED_MAX), with a valid drop
 * envelope, whole (format version 2: its length is recorded), and a
 * sender in canonical form; each refusal has a reason. Pickup takes the
 * drop file's lock (flock), so that two runners never queue it twice,
 * and a queue/NAME already there means "picked up before".
 *
 * The submitter checked the message's limits once (submit.h); pickup
 * does not check them again. It copies the drop file's message into
 * queue/NAME (the id the submitter was told), through canon.c (so bytes
 * a hand-made drop file holds cannot reach the wire raw), adding only the
 * Received: line that names the owner of the drop file; the envelope is
 * the drop file's, with U set to that owner.
 *
 * What fails the gate goes to corrupt/ with one log line; a drop file
 * that passes it but fails a later check (a recipient address) is
 * returned to its sender as a bounce and removed, with a log line; a
 * temporary failure leaves it in place for the next run.
 */
#ifndef PICKUP_H
#define PICKUP_H

#include <stddef.h>

#include <sys/types.h>

#include <stdbool.h>

#include "qfile.h"

struct conf;
struct spool;

/*
 * Queues the drop files of incoming/ (a backlog by several forked
 * pickers at once); returns the number this process queued. Never fails
 * as a whole.
 */
size_t	pickup_run(const struct conf *, struct spool *);
/*
 * The same, in a forked process when the backlog is large (the caller
 * delivers what is queued meanwhile, then waits with pickup_wait() and
 * looks for what was picked up); inline otherwise, and then -1.
 */
pid_t	pickup_start(const struct conf *, struct spool *);
void	pickup_wait(pid_t);
/* True while it works; once done, *pid becomes -1 (nothing to wait for). */
bool	pickup_busy(pid_t *);

/*
 * The gate for incoming/name (see above). On QFILE_OK, q is open (and
 * locked, as asked) until qfile_close(); QFILE_BAD: why gives the reason.
 */
enum qfile_result pickup_gate(const struct conf *, struct spool *,
	    const char *name, enum qfile_lock, struct qfile *, struct why *);

#endif
