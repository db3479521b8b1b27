/*
 * log: the one logger (syslog facility mail, or stderr), fatal() and
 * panic(). Messages are one line: "action: object: reason". Lines about
 * a message begin with its queue id, as Postfix's do.
 *
 * Every line carries a program name in Postfix's manner, "minimta/qmgr",
 * so that pflogsumm, logwatch and admins' greps read our log as they read
 * Postfix's (DESIGN.md "Logs"): the syslog ident, and the same
 * "minimta/PROG[pid]: " prefix on stderr (log stderr, -v). A process has
 * a program of its own (log_set_prog: qmgr for the queue runner,
 * sendmail for a submission...), used by log_info/warn/error; the lines
 * of a message's life name theirs explicitly and have their own
 * functions below, so that their shapes live here only. Warnings and
 * errors begin with "warning: " and "error: ", as Postfix's msg_warn()
 * and msg_error() write them.
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

/* Postfix's program names: "minimta/" and the name. */
enum log_prog {
	LOG_PROG_SELF,		/* the process's own (log_set_prog) */
	LOG_PROG_SENDMAIL,	/* submission, -bv, the command line */
	LOG_PROG_POSTDROP,	/* a drop file written for pickup */
	LOG_PROG_PICKUP,	/* a local submission enters the queue */
	LOG_PROG_CLEANUP,	/* the message's header (message-id=) */
	LOG_PROG_SMTPD,		/* -bs */
	LOG_PROG_QMGR,		/* the queue runner */
	LOG_PROG_SMTP,		/* delivery to a server */
	LOG_PROG_BOUNCE,	/* reports to the sender */
	LOG_PROG_POSTQUEUE,	/* mailq */
	LOG_PROG_POSTALIAS,	/* newaliases */
	LOG_PROG_POSTSUPER,	/* -Mrm, -Mf, -Mt, -M */
};

enum log_level {
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,		/* "warning: ..." */
	LOG_LEVEL_ERROR,	/* "error: ..." */
};

struct buf;

/* ident ("minimta") is borrowed for the life of the process. */
void	log_init(const char *ident, enum log_dest);
void	log_set_dest(enum log_dest);
enum log_dest log_get_dest(void);
/* The program of this process's own lines (default sendmail). */
void	log_set_prog(enum log_prog);
/* Also copy every log line to stderr (sendmail -v). */
void	log_set_verbose(bool);

void	log_info(const char *, ...) PRINTFLIKE(1, 2);
void	log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	log_error(const char *, ...) PRINTFLIKE(1, 2);
/* A line under another program's name. */
void	log_as(enum log_prog, enum log_level, const char *, ...)
	    PRINTFLIKE(3, 4);

/* A message for the user on stderr only ("minimta: ..."). */
void	log_user(const char *, ...) PRINTFLIKE(1, 2);

void	log_set_cleanup(void (*)(void));
void	fatal(int, const char *, ...) PRINTFLIKE(2, 3) NORETURN;
void	panic(const char *, ...) PRINTFLIKE(1, 2) NORETURN;

/*
 * The lines of a message's life, in Postfix's shapes (pflogsumm counts
 * received mail from the pickup and smtpd lines, senders and sizes from
 * the qmgr line, deliveries from log_delivery's):
 *   pickup:   ID: uid=N from=<sender>
 *   postdrop: ID: uid=N from=<sender> (dropped for pickup)
 *   smtpd:    ID: client=unknown[ip]
 *   cleanup:  ID: message-id=<...>     (the field's value, cleaned)
 *   qmgr:     ID: from=<sender>, size=N, nrcpt=N (queue active)
 *   qmgr:     ID: removed
 *   qmgr:     ID: from=<sender>, status=expired, returned to sender
 *   bounce:   ID: sender non-delivery notification: NEWID
 * Addresses are ours (parsed and checked); the message-id is the
 * submitter's and is cleaned and capped here.
 */
void	log_msg_pickup(const char *id, unsigned long uid, const char *sender);
void	log_msg_postdrop(const char *id, unsigned long uid,
	    const char *sender);
void	log_msg_client(const char *id, const char *ip);
void	log_msg_id(const char *id, const char *value, size_t len);
void	log_msg_active(const char *id, const char *sender, long long size,
	    size_t nrcpt);
void	log_msg_removed(const char *id);
/* qmgr: "ID: from=<sender>, status=expired, returned to sender" */
void	log_msg_expired(const char *id, const char *sender);

enum log_report {
	LOG_REPORT_FAILED,	/* non-delivery */
	LOG_REPORT_DELAYED,	/* delay */
	LOG_REPORT_RELAYED,	/* delivery status (success, relayed) */
};
/* "ID: sender non-delivery notification: NEWID" (postmaster: when the
 * report goes to the postmaster, a failed message from <>). */
void	log_msg_notice(const char *id, bool postmaster, enum log_report,
	    const char *newid);

/*
 * The delivery log line (minimta/smtp), in Postfix's shape:
 * "ID: to=<rcpt>, relay=host[ip]:port, delay=S, delays=a/b/c/d,
 * dsn=X.Y.Z, status=sent (reply)". relay and orig_to may be NULL; the
 * reply is cleaned and capped here. Nothing goes between delays= and
 * status= that Postfix does not write there: pflogsumm's pattern would
 * not match (TLS has its own line, as in Postfix). The TLS outcome and
 * policy (tls, "verified policy=verify TLSv1.3 with cipher ...", or NULL)
 * come last, after the reply: ", tls=...", where pflogsumm's patterns
 * (status=deferred \(([^)]+), status=bounced \((.+)\)) do not look,
 * and tls never holds a parenthesis. delays are Postfix's
 * four parts of delay (sendmail.8 LOGGING says what each is in minimta);
 * they print as Postfix prints them (two significant digits, 0 under
 * 10 ms, whole seconds from 10 s).
 */
struct log_delivery {
	const char	*id;
	const char	*to;
	const char	*orig_to;
	const char	*relay;		/* "host[ip]:port" or "none" */
	double		 delay;		/* seconds since arrival */
	double		 delays[4];	/* before qmgr, in qmgr, conn, xmit */
	const char	*dsn;
	const char	*status;	/* sent, deferred, bounced, expired */
	const char	*reply;
	const char	*tls;		/* NULL: no tls= field */
};
void	log_delivery(const struct log_delivery *);

/* Appends seconds as Postfix's delay= and delays= print them. */
void	log_fmt_delay(struct buf *, double);

/*
 * Appends untrusted text (a server reply, a DNS name, a file's bytes) to
 * b: control characters and non-ASCII become '?', and at most cap bytes
 * are taken ("..." marks a cut).
 */
void	log_clean(struct buf *b, const char *, size_t, size_t cap);

#endif
