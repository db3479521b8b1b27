/*
 * qstate: the delivery state of a queued message, kept beside it as
 * queue/ID.state and replaced whole through spool_commit() each time it
 * changes, so every update is atomic. Pure encode/parse, no I/O.
 *
 *	MINIMTA-STATE 1\n
 *	A<n>:attempts  W<n>:next try (epoch)  Y1:1 delay warning sent
 *	D<n>:index               recipient finished (sent or bounced)
 *	P<n>:index status host|reason   pending recipient's last deferral
 *
 * A message without a state file has had no attempt yet.
 */
#ifndef QSTATE_H
#define QSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "why.h"

struct buf;

#define QSTATE_MAGIC	"MINIMTA-STATE 1\n"
#define QSTATE_SUFFIX	".state"

struct qstate_rcpt {
	bool	 done;
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
void	qstate_encode(const struct qstate *, struct buf *);
/* Parses a state file for a message of nrcpts recipients; 0 or -1. */
int	qstate_parse(const char *, size_t, size_t nrcpts, struct qstate *,
	    struct why *);
bool	qstate_all_done(const struct qstate *);

#endif
