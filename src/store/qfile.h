/*
 * qfile: the queue's one interface to its files. A queued message as the
 * runner and mailq see it: the queue file (envelope records, then the
 * message) and its state file; the first, store-level part of the gate
 * for drop files (incoming/, hostile); and the one writer of new queue
 * and drop files (submission, pickup, bounces). Opening can take the
 * message's lock (flock on the queue or drop file), so that two runners
 * never deliver or pick up the same message at once.
 *
 * Every reader checks what the format lets it check: a version 2 file
 * must be exactly as long as its C record says (envelope.h), so that a
 * truncated file is corrupt, not a shorter message.
 */
#ifndef QFILE_H
#define QFILE_H

#include <stdbool.h>
#include <sys/types.h>

#include "envelope.h"
#include "qstate.h"
#include "spool.h"

/*
 * The most recipients any writer may have put in a queue file: the top of
 * max_recipients' range (conf.c). Files already in queue/ were accepted
 * under the writer's bound, so they are read with this one: lowering
 * max_recipients must not make queued messages unreadable.
 */
#define QFILE_MAX_RCPTS	1000000

struct qfile {
	char		 id[SPOOL_ID_LEN + 1];
	int		 fd;		/* the queue file, at body_offset */
	struct envelope	 env;
	struct qstate	 state;
	off_t		 size;		/* of the message, without envelope */
	time_t		 mtime;
	uid_t		 owner;		/* of the file (drop: the submitter) */
};

enum qfile_result {
	QFILE_OK,
	QFILE_GONE,		/* delivered, removed or picked up meanwhile */
	QFILE_LOCKED,		/* another runner has it */
	QFILE_BAD,		/* unreadable or corrupt: why says */
	QFILE_RETRY,		/* drop files: the system failed; try later */
};

enum qfile_lock {
	QFILE_NOLOCK,		/* mailq: a look only */
	QFILE_TRYLOCK,
	QFILE_WAITLOCK,		/* waits: holders are bounded by deadlines */
};

/*
 * Opens queue/id, reads its envelope and state, after taking the
 * message's lock as asked (QFILE_LOCKED: TRYLOCK found it held); the lock
 * lasts until qfile_close(). The state is read under the lock, so it is
 * what the last holder saved. A file found corrupt under the lock is
 * moved to corrupt/ (why says so, for the caller's log line); a look
 * (QFILE_NOLOCK) moves nothing. max_rcpts is not used: queue files are
 * read with QFILE_MAX_RCPTS (kept so that callers need not change).
 */
enum qfile_result qfile_open(struct spool *, const char *id, enum qfile_lock,
	    size_t max_rcpts, struct qfile *, struct why *);
/*
 * Takes queue/id's lock (TRYLOCK) and moves it to corrupt/ if it is
 * corrupt (for a look that met QFILE_BAD): true if moved, with why.
 */
bool	qfile_quarantine(struct spool *, const char *id, struct why *);
/*
 * The store half of the gate for incoming/name, a hostile drop file:
 * opened without following links or blocking, locked as asked (pickup:
 * TRYLOCK; mailq: none), a regular file with one link (none: picked up
 * meanwhile, QFILE_GONE), a message of at most max_msg bytes, at most
 * max_rcpts recipients, a valid drop envelope, and whole (version 2).
 * QFILE_BAD gives the reason of the refusal in why. No state is read.
 */
enum qfile_result qfile_open_drop(struct spool *, const char *name,
	    enum qfile_lock, size_t max_rcpts, off_t max_msg, struct qfile *,
	    struct why *);
void	qfile_close(struct qfile *);
/* Positions fd at the start of the message. */
int	qfile_rewind(struct qfile *, struct why *);
/* Replaces the state file atomically. */
int	qfile_save_state(struct spool *, struct qfile *, struct why *);
/* Removes the message and its state (all recipients are done). */
int	qfile_remove(struct spool *, struct qfile *, struct why *);

/*
 * The writer: create (the envelope's records are written), write the
 * message (line ends are counted for the wire size), commit (the 8-bit
 * flag, the wire size and the message length are patched in, then
 * spool_commit: its crash steps carry the caller's crash_stage()).
 */
struct qfile_writer {
	struct spool_file	*f;
	struct envelope_patch	 patch;
	size_t			 env_len;
	size_t			 lines;
	char			 id[SPOOL_ID_LEN + 1];
};
/*
 * Creates a new file in dir under a fresh id, or, when want is given,
 * under exactly that id (pickup: the caller holds the drop file's lock,
 * so a leftover temporary file of that name is a crashed pickup's and is
 * removed): -1 with errno EEXIST when dir/want exists.
 */
int	qfile_create(struct spool *, enum spool_dir, const char *want,
	    const struct envelope *, struct qfile_writer *, struct why *);
int	qfile_write(struct qfile_writer *, const void *, size_t, struct why *);
/* The same, from a caller that knows how many LFs p holds (canon.h). */
int	qfile_write_lines(struct qfile_writer *, const void *, size_t,
	    size_t lines, struct why *);
/* Bytes of message written so far. */
size_t	qfile_written(const struct qfile_writer *);
int	qfile_commit(struct qfile_writer *, bool body_8bit, struct why *);
/* The patches of qfile_commit() alone (-1: the file is dropped). */
int	qfile_seal(struct qfile_writer *, bool body_8bit, struct why *);
/*
 * Commits n sealed writers at once (spool_commit_batch()): each w[i]'s
 * file is committed or dropped; ok[i] says which. Returns the number
 * committed.
 */
size_t	qfile_commit_batch(struct qfile_writer **, size_t n, bool *ok,
	    struct why *);
/* Drops an uncommitted file; NULL f does nothing. */
void	qfile_abort(struct qfile_writer *);

#endif
