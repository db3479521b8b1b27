/*
 * runner: the queue runner (sendmail -q, -q<interval>, and the delivery
 * that follows a submission). One run: try the drop files of incoming/
 * from memory (drop items, deliver.h), pick up what they left (pickup.h),
 * scan queue/ (never hold/: held messages are not looked at, admin.h),
 * group the due messages by destination, and deliver each group over one
 * SMTP session, up to `concurrency` sessions at once (forked workers;
 * a large group is split across several). Workers send their result
 * (counts, a setup failure, the messages with reports due) over a pipe;
 * when a batch's jobs are over the runner queues those reports, one per
 * message (report.h). A daemon run repeats at the interval or when the
 * next message is due (a full scan, at most once a second); the trigger
 * FIFO, which anyone may write, only makes it take incoming/ and
 * deliver the messages never tried. SIGTERM ends it after the current
 * transaction, SIGHUP rereads the configuration.
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <stdbool.h>
#include <time.h>

#include "deliver.h"

struct conf;
struct spool;

struct runner_opts {
	bool		 pickup;	/* take incoming/ first */
	bool		 due_only;	/* respect back-off (daemon) */
	bool		 fresh_only;	/* only messages never tried (no
					   state file): a trigger's run */
	bool		 in_process;	/* no workers (-odi) */
	bool		 verbose;	/* -v: SMTP dialogue on stderr */
	const char	*only_id;	/* -qI: id substring */
	const char	*only_rcpt;	/* -qR: recipient substring */
	const char	*only_sender;	/* -qS: sender substring */
	char *const	*ids;		/* -M: these messages, no listing */
	size_t		 nids;
};

/*
 * One run. Fills stats (summed over workers: sent, deferred, bounced
 * recipients) and *next_due (earliest next try of what is
 * left; 0 if nothing). Returns 0, or -1 with why for a setup failure
 * (bad TLS or auth_file settings: a config error).
 */
int	runner_once(const struct conf *, struct spool *,
	    const struct runner_opts *, struct deliver_stats *,
	    time_t *next_due, struct why *);

/*
 * The daemon (-q<interval>). reload returns a fresh config (SIGHUP), or
 * NULL to keep the old one; the runner owns neither, and drops every
 * pointer into the old one when it gets a fresh one (reload may free
 * the config it returned last time).
 */
int	runner_daemon(const struct conf *, struct spool *,
	    const struct runner_opts *, long interval,
	    const struct conf *(*reload)(void *), void *reload_arg);

/* -odb: deliver one message in a detached child; the caller returns. */
void	runner_detach(const struct conf *, struct spool *, const char *id);

#endif
