/*
 * journal: the delivery journal, what "mailq -s" answers from (status.c).
 * One record a line per recipient and event: queued (the message entered
 * queue/), deferred (with the reason and the next attempt), held and
 * released (by the administrator: -Mf, -Mt), and the final outcomes sent,
 * bounced, expired and removed, with the time, relay, DSN
 * code and the server's reply. Records outlive the message: the journal
 * keeps them journal_max_age, in at most journal_max_size bytes.
 *
 *	SPOOL/journal/             2750, the spool owner's; its group is
 *	                           status_group (set by root: install, or
 *	                           journal_root_setup()), inherited by
 *	SPOOL/journal/YYYYMMDDHH   0640 files, one per hour (UTC), each
 *	                           starting with JOURNAL_MAGIC, then lines
 *
 *	time TAB event TAB id TAB message-id TAB sender TAB recipient TAB
 *	next-attempt TAB dsn TAB relay TAB text LF
 *
 * time and next-attempt are decimal epoch seconds (next-attempt 0: none);
 * the other fields may be empty, and have '%', TAB, CR, LF, other
 * control characters and DEL written as %XX. message-id and sender are
 * given on queued records only. Each field is cut at JOURNAL_FIELD_MAX
 * bytes, so no line is over JOURNAL_LINE_MAX and the writer never writes
 * a line the reader refuses.
 *
 * Files are only appended to (one write(2) per record, O_APPEND) and
 * removed whole: hours older than journal_max_age, and the oldest hours
 * while the journal is over journal_max_size; a record that would make
 * the current hour alone exceed it is dropped. The journal is never a
 * reason for a delivery or a submission to fail: a writer logs its first
 * failure and goes on without it.
 *
 * The encoder, parser and Message-ID scanner are pure (table test,
 * fuzz target); the reader treats the files as untrusted (bounded lines,
 * no links, the spool owner's regular files only).
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "why.h"

struct buf;
struct conf;
struct envelope;
struct qfile;
struct spool;

#define JOURNAL_MAGIC		"MINIMTA-JOURNAL 1\n"
#define JOURNAL_DIR		"journal"
#define JOURNAL_NFIELDS		10
#define JOURNAL_FIELD_MAX	1000	/* bytes of one field, decoded */
#define JOURNAL_LINE_MAX	(JOURNAL_NFIELDS * (3 * JOURNAL_FIELD_MAX + 1))
#define JOURNAL_NAME_LEN	10	/* YYYYMMDDHH */
/* bytes of a queued message's header read for its Message-ID */
#define JOURNAL_HEADER_SCAN	65536

enum journal_event {
	JOURNAL_QUEUED,
	JOURNAL_DEFERRED,
	JOURNAL_SENT,
	JOURNAL_BOUNCED,
	JOURNAL_EXPIRED,
	JOURNAL_REMOVED,
	JOURNAL_HELD,
	JOURNAL_RELEASED,
};

/* A record; the strings are borrowed (NULL: empty). */
struct journal_rec {
	time_t			 time;
	enum journal_event	 event;
	const char		*id;
	const char		*msgid;
	const char		*sender;
	const char		*rcpt;
	time_t			 next;	/* deferred: the next attempt */
	const char		*dsn;
	const char		*relay;
	const char		*text;
};

/* "queued", "deferred", "sent", ... */
const char *journal_event_name(enum journal_event);
/* True for sent, bounced, expired, removed: nothing follows. */
bool	journal_event_final(enum journal_event);
/* Appends r as one line (LF included) to out. */
void	journal_encode(const struct journal_rec *, struct buf *out);
/*
 * Parses one line (len bytes, without its LF; line[len] must be
 * writable, e.g. where the LF was) in place: the fields are
 * decoded into line, NUL-terminated, and *out points into it (empty
 * fields are ""). 0, or -1 with why.
 */
int	journal_parse(char *line, size_t len, struct journal_rec *out,
	    struct why *);
/*
 * The Message-ID of a header block (hdr, len bytes; LF line ends; ends
 * at the first empty line or at len): the first "<...>" of the first
 * Message-ID field, unfolded, into out (NUL-terminated). False when there
 * is none, or it is over JOURNAL_FIELD_MAX or holds a control character.
 */
bool	journal_message_id(const char *hdr, size_t len, struct buf *out);
/* The same for a Message-ID field's value v (len bytes). */
bool	journal_msgid_value(const char *v, size_t len, struct buf *out);
/* The hour file name of t (UTC) into name; its start from a name, or -1. */
void	journal_name(time_t, char name[JOURNAL_NAME_LEN + 1]);
time_t	journal_name_time(const char *name);

/*
 * The writer, for the spool owner. journal_open never fails: a journal
 * that cannot be opened (or journal_max_age 0) takes nothing, and says
 * why once in the log. Every writer measures the journal and removes the
 * oldest hours while it is over journal_max_size; with prune, the hours
 * older than journal_max_age go first (a queue run's writer; submission
 * and pickup leave that to it).
 */
struct journal;
struct journal *journal_open(const struct conf *, bool prune);
void	journal_write(struct journal *, const struct journal_rec *);
void	journal_close(struct journal *);

/*
 * Queued records for each recipient of env, queued as id, with its
 * Message-ID or none (submission by the spool owner, pickup: from what
 * they have in hand, never by reading the queue file again).
 */
void	journal_queued(struct journal *, const char *id, const char *msgid,
	    const struct envelope *);
/* The Message-ID of q's header (its value, brackets and all) into out,
 * or out emptied. */
void	journal_message_id_of(struct qfile *, struct buf *);
/*
 * Records of the administrator's change e (removed, held or released)
 * for q's recipients not yet done ("removed by BY", e.g. the login name;
 * NULL: "the administrator"), called under the message's lock: before
 * the unlink of a removal, after the move of a hold or a release.
 * Failures are logged.
 */
void	journal_admin(const struct conf *, const struct qfile *,
	    enum journal_event e, const char *by);

/*
 * Root, before it becomes the spool owner: makes SPOOL/journal (or
 * fixes the one there, if it is the owner's directory) mode 2750 with
 * group gid, on descriptors opened without following links, so that the
 * status_group can read the journal and nothing else. 0, or -1 with why.
 */
int	journal_root_setup(const char *spool, gid_t gid, struct why *);

/*
 * The reader: calls fn for each valid record of the journal in the
 * order written (hour files by name, lines in order). Only files that
 * are regular, single-linked and the spool owner's in a directory that
 * is the spool owner's and writable by no one else are read; invalid
 * lines are skipped. 0 (a missing journal is empty), or -1 with why
 * (errno EACCES: the caller may not read it).
 */
int	journal_scan(const char *spool, int (*fn)(void *,
	    const struct journal_rec *), void *arg, struct why *);

#endif
