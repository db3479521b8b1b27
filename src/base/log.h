/*
 * log: the one logger (syslog facility mail, or stderr), fatal() and
 * panic(). Messages are one line: "action: object: reason". Lines about
 * a message begin with its queue id, as Postfix's do.
 *
 * fatal() runs the registered cleanup hook (which drops uncommitted spool
 * files), says why on stderr and in the log, and exits with a sysexits
 * code; panic() is for broken invariants and aborts.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "compat.h"

enum log_dest {
	LOG_DEST_SYSLOG,
	LOG_DEST_STDERR,
};

struct buf;

/* ident is borrowed for the life of the process (syslog keeps it). */
void	log_init(const char *ident, enum log_dest);
void	log_set_dest(enum log_dest);
enum log_dest log_get_dest(void);
/* Also copy every log line to stderr (sendmail -v). */
void	log_set_verbose(bool);

void	log_info(const char *, ...) PRINTFLIKE(1, 2);
void	log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	log_error(const char *, ...) PRINTFLIKE(1, 2);

/* A message for the user on stderr only ("minimta: ..."). */
void	log_user(const char *, ...) PRINTFLIKE(1, 2);

void	log_set_cleanup(void (*)(void));
void	fatal(int, const char *, ...) PRINTFLIKE(2, 3) NORETURN;
void	panic(const char *, ...) PRINTFLIKE(1, 2) NORETURN;

/*
 * The delivery log line, in Postfix's shape (DESIGN.md "Logs"):
 * "ID: to=<rcpt>, relay=host[ip]:port, delay=S, tls=..., dsn=X.Y.Z,
 * status=sent (reply)". relay, tls and orig_to may be NULL; the reply is
 * cleaned and capped here.
 */
struct log_delivery {
	const char	*id;
	const char	*to;
	const char	*orig_to;
	const char	*relay;		/* "host[ip]:port" or "none" */
	double		 delay;		/* seconds since arrival */
	const char	*tls;
	const char	*dsn;
	const char	*status;	/* sent, deferred, bounced, expired */
	const char	*reply;
};
void	log_delivery(const struct log_delivery *);

/*
 * Appends untrusted text (a server reply, a DNS name, a file's bytes) to
 * b: control characters and non-ASCII become '?', and at most cap bytes
 * are taken ("..." marks a cut).
 */
void	log_clean(struct buf *b, const char *, size_t, size_t cap);

#endif
