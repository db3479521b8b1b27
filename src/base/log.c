#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#define LOG_NAME_MAX	48
#define LOG_MSGID_MAX	256	/* Postfix's cleanup caps it too */
#define LOG_REPLY_MAX	1024

static const char *const log_progs[] = {
	[LOG_PROG_SELF] = NULL,
	[LOG_PROG_SENDMAIL] = "sendmail",
	[LOG_PROG_POSTDROP] = "postdrop",
	[LOG_PROG_PICKUP] = "pickup",
	[LOG_PROG_CLEANUP] = "cleanup",
	[LOG_PROG_SMTPD] = "smtpd",
	[LOG_PROG_QMGR] = "qmgr",
	[LOG_PROG_SMTP] = "smtp",
	[LOG_PROG_BOUNCE] = "bounce",
	[LOG_PROG_POSTQUEUE] = "postqueue",
	[LOG_PROG_POSTALIAS] = "postalias",
	[LOG_PROG_POSTSUPER] = "postsuper",
};
#define LOG_NPROGS	(sizeof(log_progs) / sizeof(log_progs[0]))

static const char *log_ident = "minimta";
/* "minimta/qmgr"...: syslog keeps the pointer it was given */
static char log_names[LOG_NPROGS][LOG_NAME_MAX];
static enum log_prog log_self = LOG_PROG_SENDMAIL;
static enum log_dest log_dest = LOG_DEST_SYSLOG;
static bool log_verbose;
static void (*log_cleanup)(void);
static bool log_opened;
static enum log_prog log_opened_as;
static pid_t log_pid;		/* 0: not known in this process yet */

/* A forked child logs under its own pid. */
static void
log_forgot_pid(void)
{
	log_pid = 0;
}

/* getpid() is a system call: once a process, for each stderr line. */
static long
log_getpid(void)
{
	static bool hooked;

	if (!hooked && pthread_atfork(NULL, NULL, log_forgot_pid) == 0)
		hooked = true;
	if (log_pid == 0 || !hooked)
		log_pid = getpid();
	return (long)log_pid;
}

static const char *
log_name(enum log_prog p)
{
	if (p == LOG_PROG_SELF || (size_t)p >= LOG_NPROGS)
		p = log_self;
	if (log_names[p][0] == '\0')
		(void)snprintf(log_names[p], sizeof(log_names[p]), "%s/%s",
		    log_ident, log_progs[p]);
	return log_names[p];
}

/* The syslog ident is the program's: reopened when it changes (openlog
 * keeps an open connection; it only takes the new ident). */
static void
log_open(enum log_prog p)
{
	if (p == LOG_PROG_SELF)
		p = log_self;
	if (log_opened && log_opened_as == p)
		return;
	openlog(log_name(p), LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_opened = true;
	log_opened_as = p;
}

void
log_init(const char *ident, enum log_dest dest)
{
	if (log_opened)
		closelog();	/* it holds one of the names */
	log_ident = ident;
	memset(log_names, 0, sizeof(log_names));
	log_opened = false;
	log_set_dest(dest);
}

void
log_set_dest(enum log_dest dest)
{
	log_dest = dest;
	if (dest == LOG_DEST_SYSLOG)
		log_open(LOG_PROG_SELF);
}

enum log_dest
log_get_dest(void)
{
	return log_dest;
}

void
log_set_prog(enum log_prog p)
{
	if (p != LOG_PROG_SELF && (size_t)p < LOG_NPROGS)
		log_self = p;
}

void
log_set_verbose(bool on)
{
	log_verbose = on;
}

/* tagged: "warning: " and "error: " go before warnings and errors. */
static void
log_emit(enum log_prog p, int prio, bool tagged, const char *fmt,
    va_list ap)
{
	const char *tag = !tagged ? "" : prio == LOG_WARNING ? "warning: " :
	    prio == LOG_ERR ? "error: " : "";
	char line[2048];

	(void)vsnprintf(line, sizeof(line), fmt, ap);
	if (log_dest == LOG_DEST_SYSLOG) {
		log_open(p);
		syslog(prio, "%s%s", tag, line);
	}
	if (log_dest == LOG_DEST_STDERR || log_verbose)
		(void)fprintf(stderr, "%s[%ld]: %s%s\n", log_name(p),
		    log_getpid(), tag, line);
}

/* A line in a set shape (a message's life): never tagged. */
static void
log_line(enum log_prog p, int prio, const char *fmt, ...) PRINTFLIKE(3, 4);

static void
log_line(enum log_prog p, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(p, prio, false, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_PROG_SELF, LOG_INFO, true, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_PROG_SELF, LOG_WARNING, true, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_PROG_SELF, LOG_ERR, true, fmt, ap);
	va_end(ap);
}

void
log_as(enum log_prog p, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(p, level == LOG_LEVEL_WARN ? LOG_WARNING :
	    level == LOG_LEVEL_ERROR ? LOG_ERR : LOG_INFO, true, fmt, ap);
	va_end(ap);
}

void
log_user(const char *fmt, ...)
{
	va_list ap;

	(void)fprintf(stderr, "%s: ", log_ident);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
}

void
log_set_cleanup(void (*fn)(void))
{
	log_cleanup = fn;
}

void
fatal(int code, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	void (*fn)(void) = log_cleanup;

	log_cleanup = NULL;	/* a fatal() inside the hook must not loop */
	if (fn != NULL)
		fn();
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "%s: %s\n", log_ident, line);
	if (log_dest == LOG_DEST_SYSLOG) {
		log_open(LOG_PROG_SELF);
		syslog(LOG_ERR, "fatal: %s", line);
	}
	exit(code);
}

void
panic(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "%s: panic: %s\n", log_ident, line);
	log_open(LOG_PROG_SELF);
	syslog(LOG_CRIT, "panic: %s", line);
	abort();
}

void
log_clean(struct buf *b, const char *s, size_t n, size_t cap)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == cap) {
			buf_adds(b, "...");
			return;
		}
		buf_addc(b, (c >= 0x20 && c < 0x7f) ? (char)c : '?');
	}
}

void
log_fmt_delay(struct buf *b, double s)
{
	char v[32];
	size_t n;

	/* Postfix's log_adhoc.c: whole seconds from 10 s, else two
	 * significant digits down to its 10 ms resolution, no trailing
	 * zeros */
	if (!(s >= 0.01)) {	/* also NaN */
		buf_addc(b, '0');
		return;
	}
	if (s >= 10) {
		buf_printf(b, "%lld", (long long)s);
		return;
	}
	(void)snprintf(v, sizeof(v), s >= 1 ? "%.1f" : "%.2f", s);
	n = strlen(v);
	while (n > 0 && v[n - 1] == '0')
		n--;
	if (n > 0 && v[n - 1] == '.')
		n--;
	buf_add(b, v, n);
}

void
log_msg_pickup(const char *id, unsigned long uid, const char *sender)
{
	log_line(LOG_PROG_PICKUP, LOG_INFO, "%s: uid=%lu from=<%s>", id, uid,
	    sender);
}

void
log_msg_postdrop(const char *id, unsigned long uid, const char *sender)
{
	log_line(LOG_PROG_POSTDROP, LOG_INFO,
	    "%s: uid=%lu from=<%s> (dropped for pickup)", id, uid, sender);
}

void
log_msg_client(const char *id, const char *ip)
{
	/* no reverse lookup: Postfix's "unknown" (smtpd_peername_lookup
	 * off) */
	log_line(LOG_PROG_SMTPD, LOG_INFO, "%s: client=unknown[%s]", id, ip);
}

void
log_msg_id(const char *id, const char *value, size_t len)
{
	struct buf u, b;
	size_t i;

	/* the field's value unfolded (RFC 5322 2.2.3), without the space
	 * around it */
	buf_init(&u);
	for (i = 0; i < len; i++)
		if (value[i] != '\r' && value[i] != '\n')
			buf_addc(&u, value[i]);
	for (i = 0; i < u.len && (u.data[i] == ' ' || u.data[i] == '\t'); i++)
		continue;
	while (u.len > i && (u.data[u.len - 1] == ' ' ||
	    u.data[u.len - 1] == '\t'))
		u.len--;
	buf_init(&b);
	log_clean(&b, buf_cstr(&u) + i, u.len - i, LOG_MSGID_MAX);
	log_line(LOG_PROG_CLEANUP, LOG_INFO, "%s: message-id=%s", id,
	    buf_cstr(&b));
	buf_free(&b);
	buf_free(&u);
}

void
log_msg_active(const char *id, const char *sender, long long size,
    size_t nrcpt)
{
	log_line(LOG_PROG_QMGR, LOG_INFO,
	    "%s: from=<%s>, size=%lld, nrcpt=%zu (queue active)", id, sender,
	    size, nrcpt);
}

void
log_msg_removed(const char *id)
{
	log_line(LOG_PROG_QMGR, LOG_INFO, "%s: removed", id);
}

void
log_msg_expired(const char *id, const char *sender)
{
	log_line(LOG_PROG_QMGR, LOG_INFO,
	    "%s: from=<%s>, status=expired, returned to sender", id, sender);
}

void
log_msg_notice(const char *id, bool postmaster, enum log_report kind,
    const char *newid)
{
	log_line(LOG_PROG_BOUNCE, LOG_INFO, "%s: %s %s notification: %s", id,
	    postmaster ? "postmaster" : "sender",
	    kind == LOG_REPORT_FAILED ? "non-delivery" :
	    kind == LOG_REPORT_DELAYED ? "delay" : "delivery status", newid);
}

void
log_delivery(const struct log_delivery *d)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_printf(&b, "%s: to=<%s>, ", d->id, d->to);
	if (d->orig_to != NULL)
		buf_printf(&b, "orig_to=<%s>, ", d->orig_to);
	buf_printf(&b, "relay=%s, delay=", d->relay ? d->relay : "none");
	log_fmt_delay(&b, d->delay);
	buf_adds(&b, ", delays=");
	for (i = 0; i < 4; i++) {
		if (i > 0)
			buf_addc(&b, '/');
		log_fmt_delay(&b, d->delays[i]);
	}
	buf_adds(&b, ", ");
	buf_printf(&b, "dsn=%s, status=%s (", d->dsn, d->status);
	log_clean(&b, d->reply ? d->reply : "", d->reply ?
	    strlen(d->reply) : 0, LOG_REPLY_MAX);
	buf_addc(&b, ')');
	if (d->tls != NULL && d->tls[0] != '\0')
		buf_printf(&b, ", tls=%s", d->tls);
	log_line(LOG_PROG_SMTP, d->dsn[0] == '2' ? LOG_INFO : LOG_WARNING,
	    "%s", buf_cstr(&b));
	buf_free(&b);
}
