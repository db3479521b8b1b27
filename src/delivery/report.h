/*
 * report: one delivery status notification per message and queue run.
 * Delivery (deliver.c) marks each recipient that failed for good (or
 * expired) "report pending" in the state file, with its DSN details,
 * and never tries it again; so does a success relayed to a server without
 * DSN when NOTIFY=SUCCESS was asked. When all the jobs of a run are over,
 * the runner calls report_finish() for each message that has reports
 * pending: under the message's lock it queues ONE non-delivery report
 * listing every pending failed recipient, one success report, and one
 * delay warning listing every deferred recipient (once per message), as
 * Postfix and sendmail do; then it saves the state or removes the
 * message.
 *
 * Crash safety: pending reports are in the state file, so a run that
 * finds them (a crash came before they were queued) queues them. A
 * crash after a report's commit and before the state is saved sends
 * that report again on the next run (Postfix has the same window).
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <time.h>

struct conf;
struct spool;
struct qfile;

/* The sender asked for this kind of news (DSNPARAM_NOTIFY_*). */
bool	report_wants(const struct qfile *, int notify_bit);
/* A delay warning is due for q (deferred recipients, not yet warned). */
bool	report_delay_due(const struct conf *, const struct qfile *, time_t);
/* Queues the reports due for message id; logs its failures. */
void	report_finish(const struct conf *, struct spool *, const char *id);

#endif
