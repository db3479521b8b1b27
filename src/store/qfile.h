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

#include "buf.h"
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
	enum spool_dir	 dir;		/* queue/, or hold/ when held */
	int		 fd;		/* the queue file, at body_offset */
	struct envelope	 env;
	struct qstate	 state;
	off_t		 size;		/* of the message, without envelope */
	struct timespec	 mtim;		/* of the file: its commit */
	struct buf	 whole;		/* the file, when one read took it all */
	size_t		 pos;		/* qfile_read()'s offset in whole */
	uid_t		 owner;		/* of the file (drop: the submitter) */
	bool		 stateless;	/* no ID.state when read, none saved */
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
 * what the last holder saved; a message moved (to hold/) while we waited
 * for its lock is QFILE_GONE, as a removed one. A file found corrupt
 * under the lock is moved to corrupt/ (why says so, for the caller's log
 * line); a look (QFILE_NOLOCK) moves nothing. max_rcpts is not used:
 * queue files are read with QFILE_MAX_RCPTS (kept so that callers need
 * not change).
 */
enum qfile_result qfile_open(struct spool *, const char *id, enum qfile_lock,
	    size_t max_rcpts, struct qfile *, struct why *);
/* The same for a message in dir (SPOOL_QUEUE or SPOOL_HOLD). */
enum qfile_result qfile_open_in(struct spool *, enum spool_dir,
	    const char *id, enum qfile_lock, struct qfile *, struct why *);
/*
 * A look for mailq (no lock, nothing moved), as qfile_open_in() with
 * QFILE_NOLOCK but in one open and one small read (1 KiB): a shorter
 * file is read whole, so its length is known without an fstat; a longer
 * one whose records end within the read costs an fstat more (the length
 * check of version 2 is kept either way); only a longer head is read
 * further. The
 * state file is read only when has_state (the caller saw ID.state in the
 * directory's listing); otherwise the state is a fresh one. scratch is
 * the caller's buffer, reused from call to call. mtime and owner are not
 * set. q->fd stays open until qfile_close().
 */
enum qfile_result qfile_look(struct spool *, enum spool_dir, const char *id,
	    bool has_state, struct buf *scratch, struct qfile *, struct why *);
/*
 * Whether q is selected by -qI, -qR, -qS (each NULL for any): its id,
 * a recipient still to be delivered, its sender contain the text
 * (case-sensitive substrings, as sendmail's).
 */
bool	qfile_selected(const struct qfile *, const char *id_sub,
	    const char *rcpt_sub, const char *sender_sub);
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
/*
 * The message is read with qfile_read() from its start (qfile_rewind()):
 * from memory when the envelope's read took the whole file (most
 * messages: one read a delivery), else from fd.
 */
ssize_t	qfile_read(struct qfile *, char *, size_t);
/* The same as a read callback (smtp.h, dsn.h): arg is the qfile. */
ssize_t	qfile_read_cb(void *arg, char *, size_t);
/* Positions fd at the start of the message. */
int	qfile_rewind(struct qfile *, struct why *);
/* Replaces the state file atomically. */
int	qfile_save_state(struct spool *, struct qfile *, struct why *);
/*
 * The same, staged for a group commit (spool_commit_staged(), SPOOL_QUEUE
 * or q->dir): for saves that only record deferrals, whose loss in a crash
 * means an earlier retry. The caller keeps the message's lock (q->fd)
 * until the commit, so no other runner reads the old state meanwhile.
 */
int	qfile_stage_state(struct spool *, struct qfile *, struct spool_file **,
	    struct why *);
/* Removes the message and its state (all recipients are done). */
int	qfile_remove(struct spool *, struct qfile *, struct why *);
/*
 * The same without the fsync of the directory: for a caller that removes
 * many (sendmail -Mrm -qS...) and syncs once (spool_sync_dir) before it
 * tells anyone.
 */
int	qfile_remove_unsynced(struct spool *, struct qfile *, struct why *);
/*
 * Moves the message and its state to dir `to` (hold/ or back to queue/),
 * under the lock the caller holds (q opened with one) and the spool's
 * move lock (spool_lock_moves). The state file is linked into `to`
 * first, then the message is renamed, then the old state link goes: a
 * crash (SIGKILL) between any two steps leaves the message in one
 * directory with its state beside it, and at most a spare state link
 * that the runner removes (qfile_clean_states). Nothing is synced: the
 * caller syncs both directories (spool_sync_dir) before it tells anyone,
 * once for a batch of moves; the journal commits the steps in order, as
 * it does the two unlinks of qfile_remove(). The crash steps are the
 * current crash stage's after-link, after-rename and after-unlink.
 */
int	qfile_move(struct spool *, struct qfile *, enum spool_dir to,
	    struct why *);
/*
 * Removes the state files in dir whose message is not there (a crash
 * between the steps of a removal or a move), under the exclusive move
 * lock; does nothing when a mover has it (the next run does it).
 * names: the state files seen in a listing of dir.
 */
void	qfile_clean_states(struct spool *, enum spool_dir, char **names,
	    size_t n);

/*
 * The writer: create (the envelope's records are written), write the
 * message (line ends are counted for the wire size), commit (the 8-bit
 * flag, the wire size and the message length are patched in, then
 * spool_commit: its crash steps carry the caller's crash_stage()).
 */
struct qfile_writer {
	struct spool_file	*f;	/* NULL: in mem (qfile_create_mem) */
	struct buf		 mem;
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
/*
 * The same file built in memory (w->mem): a drop file's copy that its
 * first delivery attempt sends from memory (qfile_from_image()), written
 * to queue/ only if something is left to do (qfile_write_image()).
 */
void	qfile_create_mem(const char *id, const struct envelope *,
	    struct qfile_writer *);
/*
 * q from a sealed memory writer's image, taken from w: envelope parsed
 * as a queue file's, read from memory, a fresh state, in q->dir
 * SPOOL_INCOMING (not queued yet); fd -1. -1 with why if it does not
 * parse (a bug: the image was just written).
 */
int	qfile_from_image(struct qfile_writer *w, struct qfile *q,
	    struct why *);
/*
 * Reads dir/ID.state into q->state, where q is not (a drop item whose
 * state a crash left in queue/ without its queue file); none there: a
 * fresh state, as on -1 (unreadable: why).
 */
int	qfile_read_state_of(struct spool *, enum spool_dir, struct qfile *,
	    struct why *);
/*
 * Writes q's image (from qfile_from_image()) as queue/ID, committed
 * (fsync, rename, directory fsync); returns an fd of the new file that
 * holds its lock from before the rename, so no runner reads it until the
 * caller closes that fd; -1 with why (errno EEXIST: queue/ID is there).
 */
int	qfile_write_image(struct spool *, const struct qfile *, struct why *);
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
