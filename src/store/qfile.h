/*
 * qfile: one queued message as the runner and mailq see it: the queue
 * file (envelope records, then the message) and its state file. Opening
 * can take the message's lock (flock on the queue file), so that two
 * runners never deliver the same message at once.
 */
#ifndef QFILE_H
#define QFILE_H

#include <stdbool.h>
#include <sys/types.h>

#include "envelope.h"
#include "qstate.h"
#include "spool.h"

struct qfile {
	char		 id[SPOOL_ID_LEN + 1];
	int		 fd;		/* the queue file, at body_offset */
	struct envelope	 env;
	struct qstate	 state;
	off_t		 size;		/* of the message, without envelope */
	time_t		 mtime;
};

enum qfile_result {
	QFILE_OK,
	QFILE_GONE,		/* delivered or removed meanwhile */
	QFILE_LOCKED,		/* another runner has it */
	QFILE_BAD,		/* unreadable or corrupt: why says */
};

/*
 * Opens queue/id, reads its envelope and state, after taking the
 * message's lock as asked (QFILE_LOCKED: TRYLOCK found it held); the lock
 * lasts until qfile_close(). The state is read under the lock, so it is
 * what the last holder saved.
 */
enum qfile_lock {
	QFILE_NOLOCK,		/* mailq: a look only */
	QFILE_TRYLOCK,
	QFILE_WAITLOCK,		/* waits: holders are bounded by deadlines */
};

enum qfile_result qfile_open(struct spool *, const char *id, enum qfile_lock,
	    size_t max_rcpts, struct qfile *, struct why *);
/*
 * Opens incoming/name, a drop file not yet picked up, for a look (mailq):
 * no lock, no state; the file is hostile, so only a regular file with one
 * link and a valid envelope is shown.
 */
enum qfile_result qfile_open_drop(struct spool *, const char *name,
	    size_t max_rcpts, struct qfile *, struct why *);
void	qfile_close(struct qfile *);
/* Positions fd at the start of the message. */
int	qfile_rewind(struct qfile *, struct why *);
/* Replaces the state file atomically. */
int	qfile_save_state(struct spool *, struct qfile *, struct why *);
/* Removes the message and its state (all recipients are done). */
int	qfile_remove(struct spool *, struct qfile *, struct why *);

#endif
