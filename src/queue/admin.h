/*
 * admin: queue administration by the spool owner or root (sendmail
 * -Mrm, -Mf, -Mt, and the release that -M does first): remove, hold or
 * release one message by queue id, under the message's lock, so that a
 * runner delivering it at that moment finishes its transaction first and
 * one that waits for it finds it gone (qfile_open).
 *
 * A held message lives in hold/ with its state file (qfile_move): the
 * runner lists only queue/, so nothing delivers it, bounces it, expires
 * it or warns about it while it is held, and mailq lists hold/ apart. Its
 * queue lifetime still counts from its arrival (as Postfix's): released
 * after queue_lifetime, it gets one more attempt and expires if that one
 * is deferred.
 *
 * admin_remove() is the one place where a message leaves the queue by
 * the administrator's hand: no report goes to the sender (as Postfix's
 * postsuper -d), reports pending in its state included.
 *
 * The changes are not synced one by one (two directory fsyncs a message
 * made a bulk hold of 2000 messages take 15 s): the caller calls
 * admin_sync() after one or a batch of them, and only then tells the
 * user and logs each (admin_log: "ID: removed by uid N (name)", "ID:
 * placed on hold by ...", "ID: released from hold by ...").
 *
 * Each call takes an optional selection (the bulk forms, -qR/-qS),
 * checked again under the lock: a message that no longer matches (its
 * matching recipient was delivered meanwhile) is left alone.
 */
#ifndef ADMIN_H
#define ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "why.h"

struct spool;

/* Who acts: logged with each change (the uid before root became the
 * spool owner). name is borrowed. */
struct conf;

struct admin_who {
	uid_t		 uid;
	const char	*name;
};

/* -qR/-qS substrings (NULL: any); NULL selection: every message. */
struct admin_match {
	const char	*rcpt;
	const char	*sender;
};

enum admin_result {
	ADMIN_DONE,
	ADMIN_ALREADY,		/* hold: already held; release: not held */
	ADMIN_SKIPPED,		/* no longer matches the selection */
	ADMIN_UNKNOWN,		/* no message of that id (or not an id) */
	ADMIN_FAILED,		/* the system failed: why says */
};

/* The journal (journal.h) records who removed, held or released it,
 * under conf. */
enum admin_result admin_remove(struct spool *, const struct conf *,
	    const char *id, const struct admin_match *,
	    const struct admin_who *, struct why *);
enum admin_result admin_hold(struct spool *, const struct conf *,
	    const char *id, const struct admin_match *,
	    const struct admin_who *, struct why *);
enum admin_result admin_release(struct spool *, const struct conf *,
	    const char *id, const struct admin_match *,
	    const struct admin_who *, struct why *);

/* Makes the changes so far durable (fsync of queue/ and hold/). */
int	admin_sync(struct spool *, struct why *);

enum admin_change {
	ADMIN_REMOVED,
	ADMIN_HELD,
	ADMIN_RELEASED,
};
/* The log line of a change made durable. */
void	admin_log(const char *id, enum admin_change,
	    const struct admin_who *);

/*
 * Calls fn for each message of dir (queue/ or hold/) that m selects,
 * in batches (the ids of a batch are read, then acted on), so that
 * memory stays flat; fn's id is valid for the call. Returns 0, or -1
 * with why when dir cannot be listed. Messages are looked at without
 * their lock: fn's admin_* call checks again under it.
 */
int	admin_select(struct spool *, bool held, const struct admin_match *,
	    void (*fn)(void *, const char *id), void *, struct why *);

#endif
