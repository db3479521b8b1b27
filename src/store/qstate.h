/*
 * qstate: the delivery state of a queued message, kept beside it as
 * queue/ID.state and replaced whole through spool_commit() each time it
 * changes, so every update is atomic. Pure encode/parse, no I/O.
 *
 *	MINIMTA-STATE 2\n
 *	A<n>:attempts  W<n>:next try (epoch)  Y1:1 delay warning sent
 *	D<n>:index               recipient finished (sent or bounced)
 *	P<n>:index status host|reason   pending recipient's last deferral
 *	R<n>:index K status host|reason finished, its report not yet queued
 *	                         (K: F failed, S relayed to a non-DSN server)
 *
 * Version 1 files (no R records) are still read; version 2 is written.
 * A message without a state file has had no attempt yet.
 *
 * Every record is at most QSTATE_RECORD_MAX bytes (qstate_set_reason()
 * cuts the fields), so a message of n recipients has a state file of at
 * most qstate_max_size(n) bytes: the writer never makes a file the
 * reader refuses.
 */
#ifndef QSTATE_H
#define QSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "why.h"

struct buf;

#define QSTATE_MAGIC	"MINIMTA-STATE 2\n"
#define QSTATE_MAGIC_V1	"MINIMTA-STATE 1\n"
#define QSTATE_SUFFIX	".state"
/* The length of the id a state file's name (ID.state) carries; 0 for any
 * other name. */
size_t	qstate_id_len(const char *name);

/* Field caps (bytes, without the NUL) and the bounds they give. */
#define QSTATE_STATUS_MAX	15
#define QSTATE_REMOTE_MAX	255
#define QSTATE_REASON_MAX	1000
#define QSTATE_RECORD_MAX	(QSTATE_REASON_MAX + QSTATE_REMOTE_MAX + \
	    QSTATE_STATUS_MAX + 64)
#define QSTATE_HEAD_MAX		256

/* A report still to be queued for a finished recipient. */
enum qstate_report {
	QSTATE_REPORT_NONE = 0,
	QSTATE_REPORT_FAILED = 'F',	/* non-delivery (bounced, expired) */
	QSTATE_REPORT_RELAYED = 'S',	/* NOTIFY=SUCCESS, non-DSN server */
};

struct qstate_rcpt {
	bool	 done;		/* never to be tried again */
	enum qstate_report report; /* done, report pending: the DSN fields
				   are in status, remote and reason */
	char	*status;	/* "4.4.1", or NULL when never tried */
	char	*remote;	/* host that answered, or NULL */
	char	*reason;	/* cleaned text, or NULL */
};

struct qstate {
	int		 attempts;
	time_t		 next_try;
	bool		 warned;
	size_t		 nrcpts;
	struct qstate_rcpt *rcpts;
};

/* A fresh state for n recipients (all pending, never tried). */
void	qstate_init(struct qstate *, size_t nrcpts);
void	qstate_free(struct qstate *);
void	qstate_set_reason(struct qstate *, size_t i, const char *status,
	    const char *remote, const char *reason);
/* As qstate_set_reason, and marks i done with a report pending. */
void	qstate_set_report(struct qstate *, size_t i, enum qstate_report,
	    const char *status, const char *remote, const char *reason);
void	qstate_encode(const struct qstate *, struct buf *);
/* The largest state file of a message of nrcpts recipients. */
size_t	qstate_max_size(size_t nrcpts);
/* Parses a state file for a message of nrcpts recipients; 0 or -1. */
int	qstate_parse(const char *, size_t, size_t nrcpts, struct qstate *,
	    struct why *);
/* All done and no report pending: the message can go. */
bool	qstate_all_done(const struct qstate *);
/* Recipients with a report of that kind pending. */
size_t	qstate_reports(const struct qstate *, enum qstate_report);

#endif
