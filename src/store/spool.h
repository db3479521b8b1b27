/*
 * spool: the on-disk spool (DESIGN.md "Spool and privileges"). Only this
 * file creates, renames or removes spool files.
 *
 *	incoming/  3733 drop directory for submitters other than the owner
 *	queue/     0700 accepted messages (ID) and their delivery state
 *	           (ID.state); temporary files start with '.'
 *	corrupt/   0700 drop files that failed validation
 *	hold/      0700 held messages (sendmail -Mf) and their state
 *	trigger    0622 FIFO that wakes a listening queue runner
 *
 * Commit protocol: write a temporary file (O_EXCL, explicit mode), fsync,
 * checked close, rename into place (never over another file, except for
 * spool_replace()), fsync the directory. A submitter that
 * cannot open incoming/ (no read bit) fsyncs the file again after the
 * rename instead (the rename is in the file's journal transaction). Until spool_commit() returns 0 nothing is accepted; the
 * uncommitted file is removed by spool_abort() or by fatal()'s cleanup.
 * Functions return 0, or -1 with why filled.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "why.h"

#define SPOOL_ID_LEN	14
#define SPOOL_MAX_NAME	64

enum spool_dir {
	SPOOL_QUEUE,
	SPOOL_INCOMING,
	SPOOL_CORRUPT,
	SPOOL_HOLD,
	SPOOL_RATELIMIT,	/* 0700, made at first use: relay counters */
	SPOOL_MTASTS,	/* mta-sts/: cached MTA-STS policies, by domain */
};

enum spool_role {
	SPOOL_ROLE_OWNER,	/* euid owns the spool: writes queue/ */
	SPOOL_ROLE_OTHER,	/* anyone else: drops into incoming/ */
};

struct spool;
struct spool_file;

/*
 * The account root makes of the spool (minimta.conf spool_owner); name
 * NULL when the key is unset. Only root acts on it.
 */
struct spool_account {
	const char	*name;
	uid_t		 uid;
	gid_t		 gid;
};

enum spool_open_result {
	SPOOL_OPEN_OK,
	SPOOL_OPEN_TEMPFAIL,	/* I/O, a missing parent: may work later */
	SPOOL_OPEN_NOPERM,	/* this user may not use the spool */
	SPOOL_OPEN_CONFIG,	/* the spool and spool_owner disagree */
	SPOOL_OPEN_OSERR,	/* root could not become the spool owner */
};

/*
 * Opens the spool at path into *out. Root first becomes the spool owner
 * (the owner of path: setgroups, setgid, setuid), before it touches
 * anything in the spool; a root-owned spool is refused unless want
 * names root, and a spool whose owner is not want's is refused. Root
 * creates a missing spool directory only for want (never by name: mkdir,
 * then fchown and fchmod on the opened directory). The owner then
 * creates the parts that are missing and reports wrong modes. Everything
 * after goes through descriptors relative to the spool directory.
 */
enum spool_open_result spool_open(const char *path,
	    const struct spool_account *want, struct spool **out,
	    struct why *);
void	spool_close(struct spool *);
enum spool_role spool_role(const struct spool *);
uid_t	spool_owner(const struct spool *);
const char *spool_path(const struct spool *);

/* A fresh queue id: [0-9A-V], time-ordered. */
void	spool_new_id(char out[SPOOL_ID_LEN + 1]);
bool	spool_id_ok(const char *);

/* A new file that will become dir/name on commit. */
struct spool_file *spool_create(struct spool *, enum spool_dir,
	    const char *name, struct why *);
/*
 * A new message file under a fresh queue id (or under want, when it is a
 * valid id not in use), the id written to id.
 */
struct spool_file *spool_create_message(struct spool *, enum spool_dir,
	    const char *want, char id[SPOOL_ID_LEN + 1], struct why *);
/* Like spool_create, for a file we rewrite (removes a crashed writer's
 * temporary file first; the caller holds the message's lock). */
struct spool_file *spool_replace(struct spool *, enum spool_dir,
	    const char *name, struct why *);
int	spool_write(struct spool_file *, const void *, size_t, struct why *);
off_t	spool_file_size(const struct spool_file *);
/* Overwrites n bytes already written at offset off (fixed-width fields). */
int	spool_patch(struct spool_file *, off_t off, const char *, size_t,
	    struct why *);
int	spool_commit(struct spool_file *, struct why *);
/*
 * An fd of f's file holding its lock (flock, exclusive), taken before the
 * commit makes the file visible and kept after it, until the caller
 * closes the fd; -1 with why.
 */
int	spool_lock_file(struct spool_file *, struct why *);
/*
 * Commits n new files of one directory (the spool owner's, never
 * spool_replace()'s) with one syncfs() for their data (one fsync when
 * n is 1) and one directory fsync: as spool_commit() does each, its
 * crash steps once for all. Every f[i]
 * (NULL is skipped) is committed or dropped, and set to NULL; ok[i] says
 * which; why holds the last failure. Returns the number committed.
 */
size_t	spool_commit_batch(struct spool_file **, size_t n, bool *ok,
	    struct why *);
void	spool_abort(struct spool_file *);
/*
 * Group commit of replaced files (delivery state of deferred messages),
 * owner only. spool_stage() writes f out and closes it, without fsync:
 * f (still a temporary file) stays the caller's until
 * spool_commit_staged() or spool_abort(). spool_commit_staged() commits
 * n staged files of dir d at once: one syncfs() makes all their data
 * durable, then each is renamed into place, then one fsync of d. A
 * SIGKILL or power cut between any two steps leaves each name with its
 * old content or its new one, never a part; a temporary file left over
 * is removed by the next replace of the name (or spool_clean_temp()).
 * Crash steps: after-write (stage), after-syncfs, after-rename (each
 * file), after-dirsync. Frees the files; -1 if any failed (why: the
 * last failure), and failed[i] says which (n entries, the caller's): a
 * file not renamed keeps its old content; after a failed fsync of d
 * every rename may be lost.
 */
int	spool_stage(struct spool_file *, struct why *);
/*
 * As spool_replace() for a file to be staged, but the temporary file
 * (.name) is kept between replaces: spool_commit_staged() swaps it with
 * name (RENAME_EXCHANGE), so the old content becomes the next spare and
 * no inode is allocated or freed; the caller removes the spare with the
 * file (".name").
 */
struct spool_file *spool_replace_spare(struct spool *, enum spool_dir,
	    const char *name, struct why *);
int	spool_commit_staged(struct spool *, enum spool_dir d,
	    struct spool_file **, size_t n, bool *failed, struct why *);

/* Opens dir/name for reading without following links or blocking. */
int	spool_open_file(struct spool *, enum spool_dir, const char *name,
	    struct why *);
bool	spool_exists(struct spool *, enum spool_dir, const char *name);
/* dir/name is the file st describes, an fstat of the open file (not
 * renamed or removed meanwhile). */
struct stat;
bool	spool_is(struct spool *, enum spool_dir, const char *name,
	    const struct stat *);
/* Unlinks dir/name; ENOENT is not an error. */
int	spool_remove(struct spool *, enum spool_dir, const char *name,
	    struct why *);
/*
 * Moves dir/name to to/name, never over a file there (EEXIST); link
 * gives to/name a second link instead (the state file of a message that
 * moves, see qfile_move()). Owner only; the caller syncs both dirs.
 */
int	spool_move(struct spool *, enum spool_dir, enum spool_dir to,
	    const char *name, struct why *);
int	spool_link(struct spool *, enum spool_dir, enum spool_dir to,
	    const char *name, struct why *);
/*
 * The lock on moves between queue/ and hold/ (flock on hold/): a mover
 * holds it shared while a message and its state file change directory,
 * so that whoever holds it exclusively (a runner removing state files
 * whose message is gone) never sees a message between its two names.
 * Exclusive is only tried: false if a mover has it (or on an error).
 */
bool	spool_lock_moves(struct spool *, bool exclusive);
void	spool_unlock_moves(struct spool *);
/* Makes the removals and renames in dir durable (fsync; owner only). */
int	spool_sync_dir(struct spool *, enum spool_dir, struct why *);
/*
 * Moves dir/name (incoming/ or queue/) to corrupt/name, or to
 * corrupt/name.N when a file of that name is kept there already (owner
 * only).
 */
int	spool_to_corrupt(struct spool *, enum spool_dir, const char *name,
	    struct why *);
/*
 * Calls fn for each entry of dir that is not temporary, in no order;
 * stops early when fn returns non-zero (and returns that).
 */
int	spool_scan(struct spool *, enum spool_dir,
	    int (*fn)(void *, const char *), void *, struct why *);
/*
 * The same walk a piece at a time, so that a caller can work through a
 * directory of any size in bounded batches. The name is valid until the
 * next call.
 */
struct spool_iter;
struct spool_iter *spool_iter_open(struct spool *, enum spool_dir,
	    struct why *);
const char *spool_iter_next(struct spool_iter *);
/*
 * Where the listing is (telldir), and a return there (seekdir) for a
 * second look at the rest of it (mailq's batches).
 */
long	spool_iter_tell(struct spool_iter *);
void	spool_iter_seek(struct spool_iter *, long);
void	spool_iter_close(struct spool_iter *);
/*
 * Removes temporary files in dir older than max_age seconds (a crashed
 * writer's leftovers).
 */
void	spool_clean_temp(struct spool *, enum spool_dir, time_t max_age);

/*
 * A small file updated in place (a rate counter): dir/name opened for
 * reading and writing, without following links, a regular file with one
 * link; when missing, the directory and the file (with the len bytes
 * of init, committed whole) are made first. Owner only. -1 with why.
 */
int	spool_counter_open(struct spool *, enum spool_dir, const char *name,
	    const void *init, size_t len, struct why *);

/* Wakes a listening runner: 0 if one was listening, -1 (ENXIO) if not. */
int	spool_trigger(struct spool *);
/* Opens the trigger FIFO for reading (a runner); -1 on failure. */
int	spool_trigger_listen(struct spool *, struct why *);

#endif
