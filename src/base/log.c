#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static const char *log_ident = "minimta";
static enum log_dest log_dest = LOG_DEST_SYSLOG;
static bool log_verbose;
static void (*log_cleanup)(void);
static bool log_opened;

void
log_init(const char *ident, enum log_dest dest)
{
	log_ident = ident;
	log_set_dest(dest);
}

void
log_set_dest(enum log_dest dest)
{
	log_dest = dest;
	if (dest == LOG_DEST_SYSLOG && !log_opened) {
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
		log_opened = true;
	}
}

enum log_dest
log_get_dest(void)
{
	return log_dest;
}

void
log_set_verbose(bool on)
{
	log_verbose = on;
}

static void
log_emit(int prio, const char *fmt, va_list ap)
{
	char line[2048];

	(void)vsnprintf(line, sizeof(line), fmt, ap);
	if (log_dest == LOG_DEST_SYSLOG)
		syslog(prio, "%s", line);
	if (log_dest == LOG_DEST_STDERR || log_verbose)
		(void)fprintf(stderr, "%s[%ld]: %s\n", log_ident,
		    (long)getpid(), line);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, fmt, ap);
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
	if (log_dest == LOG_DEST_SYSLOG)
		syslog(LOG_ERR, "fatal: %s", line);
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
log_delivery(const struct log_delivery *d)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s: to=<%s>, ", d->id, d->to);
	if (d->orig_to != NULL)
		buf_printf(&b, "orig_to=<%s>, ", d->orig_to);
	buf_printf(&b, "relay=%s, delay=%.2f, ", d->relay ? d->relay : "none",
	    d->delay);
	if (d->tls != NULL)
		buf_printf(&b, "tls=%s, ", d->tls);
	buf_printf(&b, "dsn=%s, status=%s (", d->dsn, d->status);
	log_clean(&b, d->reply ? d->reply : "", d->reply ?
	    strlen(d->reply) : 0, 1024);
	buf_addc(&b, ')');
	if (d->dsn[0] == '2')
		log_info("%s", b.data);
	else
		log_warn("%s", b.data);
	buf_free(&b);
}
