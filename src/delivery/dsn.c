/*
 * dsn: delivery status notifications. See dsn.h for the contract.
 *
 * The output goes through one buffer that is handed to the caller's write
 * function whenever it holds DSN_CHUNK bytes, so memory stays flat however
 * large the original is. The original is copied line by line through a
 * line buffer of at most DSN_LINE_MAX bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dsn.h"
#include "why.h"
#include "xmalloc.h"

#define DSN_CHUNK	16384
/* RFC 5322 2.1.1: SHOULD be no more than 78 characters. */
#define DSN_FOLD	78
/* Paragraphs of the human-readable part. */
#define DSN_TEXT_WIDTH	72
/* RFC 2046 5.1.1: a boundary has at most 70 characters. */
#define DSN_BOUNDARY_MAX 70
#define DSN_QID_MAX	30
#define DSN_BANNER_RULE	\
	"################################################################"

enum dsn_kind {
	DSN_KIND_FAILURE,
	DSN_KIND_DELAY,
	DSN_KIND_SUCCESS,
};

struct dsn_ctx {
	const struct dsn_info *info;
	enum dsn_kind	 kind;
	bool		 full;		/* return the whole original */
	char		*host;		/* reporting MTA, a host-name token */
	char		*qid;		/* queue id, a token */
	char		*sender;	/* cleaned */
	char		*unique;
	char		*boundary;
	struct buf	 out;
	int		(*wr)(void *, const void *, size_t);
	void		*warg;
	bool		 werr;		/* a write failed; werrno says why */
	int		 werrno;
};

/* State of the copy of the original. */
struct dsn_copy {
	struct dsn_ctx	*c;
	bool		 headers_only;
	bool		 in_header;	/* still in the original's header */
	bool		 done;		/* stop reading */
	bool		 pending_cr;
	size_t		 hdr_bytes;
	struct buf	 line;
};

static const char *const dsn_action_names[] = {
	[DSN_FAILED] = "failed",
	[DSN_DELAYED] = "delayed",
	[DSN_DELIVERED] = "delivered",
	[DSN_RELAYED] = "relayed",
	[DSN_EXPANDED] = "expanded",
};

/* ---- output ---- */

static void
dsn_flush(struct dsn_ctx *c)
{
	if (c->out.len == 0)
		return;
	if (!c->werr && c->wr(c->warg, c->out.data, c->out.len) != 0) {
		c->werr = true;
		c->werrno = errno;
	}
	buf_reset(&c->out);
}

static void
dsn_maybe_flush(struct dsn_ctx *c)
{
	if (c->out.len >= DSN_CHUNK)
		dsn_flush(c);
}

/* ---- cleaning and folding ---- */

/*
 * The length of the well-formed UTF-8 sequence (RFC 3629) of 2 to 4
 * bytes at s, with its code point in *cp; 0 if there is none.
 */
static size_t
dsn_utf8_seq(const char *s, unsigned long *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, i;
	unsigned long v;

	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		v = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		v = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		v = u[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (u[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return n;
}

static bool
dsn_ascii(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/*
 * Appends s to b, safe for a header or a line of text: CR, LF and TAB
 * count as white space, runs of white space become one space and are
 * trimmed at both ends, other control characters and 8-bit bytes become
 * '?' (with utf8, well-formed UTF-8 is kept: RFC 6532 header fields of
 * a report that goes with SMTPUTF8). At most cap bytes are taken; "..."
 * marks a cut.
 */
static void
dsn_clean_into(struct buf *b, const char *s, size_t cap, bool utf8)
{
	size_t n = 0, seq;
	bool space = false;
	unsigned long cp;
	unsigned char ch;

	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		seq = utf8 && ch >= 0x80 ? dsn_utf8_seq(s, &cp) : 0;
		if (seq > 0) {
			if (n + seq + (space ? 1 : 0) > cap) {
				buf_adds(b, "...");
				return;
			}
			if (space)
				buf_addc(b, ' ');
			buf_add(b, s, seq);
			n += seq + (space ? 1 : 0);
			space = false;
			s += seq - 1;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			space = n > 0;
			continue;
		}
		if (n + (space ? 2 : 1) > cap) {
			buf_adds(b, "...");
			return;
		}
		if (space) {
			buf_addc(b, ' ');
			n++;
			space = false;
		}
		buf_addc(b, ch < 0x20 || ch >= 0x7f ? '?' : (char)ch);
		n++;
	}
}

static char *
dsn_clean(const char *s, size_t cap)
{
	struct buf b;

	buf_init(&b);
	dsn_clean_into(&b, s, cap, false);
	return buf_release(&b);
}

/*
 * An address for a delivery-status field, with its type: "rfc822; a@b",
 * or for a UTF-8 one "utf-8; " and RFC 6533 3's utf-8-addr-xtext (each
 * non-ASCII character, '+', '=', '\\' and controls as \x{HEX}), which is
 * ASCII and so fits message/delivery-status. type: the given type or
 * NULL for rfc822.
 */
static char *
dsn_address(const char *type, const char *addr)
{
	struct buf b;
	unsigned long cp;
	size_t seq;
	char *t, *r;

	if (dsn_ascii(addr)) {
		t = dsn_clean(addr, DSN_FIELD_MAX);
		r = xasprintf("%s; %s", type ? type : "rfc822", t);
		free(t);
		return r;
	}
	buf_init(&b);
	buf_adds(&b, "utf-8; ");
	for (; *addr != '\0' && b.len < DSN_FIELD_MAX; addr++) {
		unsigned char ch = (unsigned char)*addr;

		if (ch > 0x20 && ch < 0x7f && ch != '+' && ch != '=' &&
		    ch != '\\') {
			buf_addc(&b, (char)ch);
		} else if (ch >= 0x80 && (seq = dsn_utf8_seq(addr, &cp)) > 0) {
			buf_printf(&b, "\\x{%lX}", cp);
			addr += seq - 1;
		} else {
			/* a control or a broken byte: as the byte itself */
			buf_printf(&b, "\\x{%X}", ch < 0x80 ? ch : 0xFFFD);
		}
	}
	return buf_release(&b);
}

/* Keeps only letters, digits and the characters in extra. */
static char *
dsn_token(const char *s, const char *extra, size_t cap, const char *dflt)
{
	struct buf b;
	unsigned char ch;

	buf_init(&b);
	for (; s != NULL && *s != '\0' && b.len < cap; s++) {
		ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr(extra, ch) != NULL)
			buf_addc(&b, (char)ch);
	}
	if (b.len == 0)
		buf_adds(&b, dflt);
	return buf_release(&b);
}

/*
 * Writes s (clean: single spaces, no controls) as lines of at most width
 * octets where white space allows, and never more than DSN_LINE_MAX.
 * A header (hdr) folds before a space, which starts the next line
 * (RFC 5322 2.2.3); text drops the space and indents by cont. Where no
 * space is near, the line is broken by force and the next one starts
 * with a space (header) or cont (text).
 */
static void
dsn_fold(struct buf *out, const char *s, size_t width, bool hdr,
    const char *cont)
{
	size_t n = strlen(s), pos = 0, col, brk, i;
	const char *pfx = "";

	for (;;) {
		buf_adds(out, pfx);
		col = strlen(pfx);
		if (col + (n - pos) <= width) {
			buf_add(out, s + pos, n - pos);
			break;
		}
		brk = 0;
		for (i = pos + width - col; i > pos; i--) {
			if (s[i] == ' ') {
				brk = i;
				break;
			}
		}
		for (i = pos + 1; brk == 0 && i < n &&
		    i - pos <= DSN_LINE_MAX - col; i++) {
			if (s[i] == ' ')
				brk = i;
		}
		if (brk == 0 && col + (n - pos) <= DSN_LINE_MAX) {
			buf_add(out, s + pos, n - pos);
			break;
		}
		if (brk == 0) {
			brk = pos + DSN_LINE_MAX - col;
			buf_add(out, s + pos, brk - pos);
			buf_addc(out, '\n');
			pos = brk;
			pfx = hdr ? " " : cont;
			continue;
		}
		buf_add(out, s + pos, brk - pos);
		buf_addc(out, '\n');
		pos = hdr ? brk : brk + 1;
		pfx = hdr ? "" : cont;
	}
	buf_addc(out, '\n');
}

/* A header field; the arguments must already be clean. */
static void PRINTFLIKE(3, 4)
dsn_field(struct dsn_ctx *c, const char *name, const char *fmt, ...)
{
	struct buf line;
	va_list ap;

	buf_init(&line);
	buf_printf(&line, "%s: ", name);
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	dsn_fold(&c->out, buf_cstr(&line), DSN_FOLD, true, "");
	buf_free(&line);
}

/* A paragraph of the human-readable part, followed by a blank line. */
static void PRINTFLIKE(2, 3)
dsn_para(struct dsn_ctx *c, const char *fmt, ...)
{
	struct buf text;
	va_list ap;

	buf_init(&text);
	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	dsn_fold(&c->out, buf_cstr(&text), DSN_TEXT_WIDTH, false, "");
	buf_addc(&c->out, '\n');
	buf_free(&text);
}

/* ---- dates and codes ---- */

void
dsn_date(time_t t, char out[DSN_DATE_LEN])
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct tm tm;
	long off;

	if (localtime_r(&t, &tm) == NULL || tm.tm_year < 0 ||
	    tm.tm_year > 9999 - 1900) {
		t = 0;
		(void)gmtime_r(&t, &tm);
		tm.tm_gmtoff = 0;
	}
	/* Zone offsets are within a day; the clamps keep snprintf honest. */
	off = tm.tm_gmtoff / 60;
	if (off < -1439 || off > 1439)
		off = 0;
	(void)snprintf(out, DSN_DATE_LEN,
	    "%s, %d %s %d %02d:%02d:%02d %c%02d%02d",
	    days[(unsigned)tm.tm_wday % 7], tm.tm_mday % 32,
	    months[(unsigned)tm.tm_mon % 12], tm.tm_year + 1900,
	    tm.tm_hour % 24, tm.tm_min % 60, tm.tm_sec % 61,
	    off < 0 ? '-' : '+', (int)(labs(off) / 60), (int)(labs(off) % 60));
}

/* RFC 3463 2: subject and detail are "0" or 1-3 digits without a 0 lead. */
static const char *
dsn_status_number(const char *s)
{
	size_t n = 0;

	if (*s == '0')
		return s + 1;
	while (n < 3 && s[n] >= '0' && s[n] <= '9')
		n++;
	return n == 0 ? NULL : s + n;
}

bool
dsn_status_valid(const char *s)
{
	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return false;
	s = dsn_status_number(s + 2);
	if (s == NULL || *s != '.')
		return false;
	s = dsn_status_number(s + 1);
	return s != NULL && *s == '\0';
}

int
dsn_status_from_reply(int code, const char *enhanced, char out[DSN_STATUS_LEN])
{
	int class = code / 100;

	if (code < 200 || code > 599 || class == 3) {
		(void)strlcpy(out, "5.5.0", DSN_STATUS_LEN);
		return -1;
	}
	/* RFC 3463 2: the class must agree with the reply code's. */
	if (dsn_status_valid(enhanced) && enhanced[0] - '0' == class) {
		(void)strlcpy(out, enhanced, DSN_STATUS_LEN);
		return 0;
	}
	(void)snprintf(out, DSN_STATUS_LEN, "%d.0.0", class);
	return 0;
}

static const char *
dsn_rcpt_status(const struct dsn_rcpt *r)
{
	if (dsn_status_valid(r->status))
		return r->status;
	switch (r->action) {
	case DSN_FAILED:
		return "5.0.0";
	case DSN_DELAYED:
		return "4.0.0";
	default:
		return "2.0.0";
	}
}

/* "4 hours", "1 day": how long the message has waited. */
static void
dsn_duration(time_t secs, char *out, size_t len)
{
	long v;
	const char *unit;

	if (secs < 2 * 3600) {
		v = (long)(secs > 0 ? secs / 60 : 0);
		unit = "minute";
	} else if (secs < 2 * 86400) {
		v = (long)(secs / 3600);
		unit = "hour";
	} else {
		v = (long)(secs / 86400);
		unit = "day";
	}
	(void)snprintf(out, len, "%ld %s%s", v, unit, v == 1 ? "" : "s");
}

/* ---- the human-readable part ---- */

/* One recipient: "<addr>: host mx said: 550 ...", Postfix's shape. */
static void
dsn_text_rcpt(struct dsn_ctx *c, const struct dsn_rcpt *r)
{
	struct buf line;
	char *addr, *host, *diag;
	bool done = r->action != DSN_FAILED && r->action != DSN_DELAYED;

	addr = dsn_clean(r->addr, DSN_FIELD_MAX);
	host = dsn_clean(r->remote_mta, DSN_FIELD_MAX);
	diag = dsn_clean(r->diagnostic, DSN_DIAG_MAX);
	buf_init(&line);
	buf_printf(&line, "<%s>: ", addr);
	/* A failure report may also list recipients still being tried. */
	if (c->kind == DSN_KIND_FAILURE && r->action == DSN_DELAYED)
		buf_adds(&line, "delayed: ");
	if (*host != '\0' && done)
		buf_printf(&line, "delivery via %s%s", host,
		    *diag != '\0' ? ": " : "");
	else if (*host != '\0' && *diag != '\0' && r->diagnostic_is_smtp)
		buf_printf(&line, "host %s said: ", host);
	if (*diag != '\0')
		buf_adds(&line, diag);
	else if (r->action == DSN_FAILED || r->action == DSN_DELAYED)
		buf_printf(&line, "delivery %s, status %s",
		    dsn_action_names[r->action], dsn_rcpt_status(r));
	else if (*host == '\0')
		buf_adds(&line, dsn_action_names[r->action]);
	dsn_fold(&c->out, buf_cstr(&line), DSN_FOLD, false, "    ");
	buf_free(&line);
	free(addr);
	free(host);
	free(diag);
}

static void
dsn_text_intro(struct dsn_ctx *c, const struct dsn_rcpt *rcpts, size_t n)
{
	char date[DSN_DATE_LEN], waited[64];
	time_t until = 0;
	size_t i;

	dsn_para(c, "This is the mail system at host %s.", c->host);
	switch (c->kind) {
	case DSN_KIND_FAILURE:
		for (i = 0; i < n && rcpts[i].action != DSN_DELAYED; i++)
			continue;
		dsn_para(c, "Your message could not be delivered to one or "
		    "more of its recipients; the mail system has given up on "
		    "them. They are listed below with the reasons.%s",
		    i < n ? " Those marked \"delayed\" are still being "
		    "tried." : "");
		break;
	case DSN_KIND_DELAY:
		buf_adds(&c->out, DSN_BANNER_RULE "\n# This is only a "
		    "warning. You need not send the message again. #\n"
		    DSN_BANNER_RULE "\n\n");
		for (i = 0; i < n; i++) {
			if (rcpts[i].action == DSN_DELAYED &&
			    rcpts[i].will_retry_until > until)
				until = rcpts[i].will_retry_until;
		}
		dsn_duration(c->info->now - c->info->arrival, waited,
		    sizeof(waited));
		dsn_date(until, date);
		dsn_para(c, "Your message has not yet been delivered to the "
		    "recipients listed below; it has been waiting for "
		    "%s.%s%s%s", waited, until != 0 ? " The mail system will "
		    "keep trying until " : "", until != 0 ? date : "",
		    until != 0 ? ", and will tell you if it has to give up." :
		    "");
		break;
	case DSN_KIND_SUCCESS:
		dsn_para(c, "Your message was delivered to the destinations "
		    "listed below. Where it was put in a mailbox you will get "
		    "no further notice; where it was passed on to another "
		    "system, you may still hear from that system.");
		break;
	}
}

static void
dsn_text(struct dsn_ctx *c, const struct dsn_rcpt *rcpts, size_t n)
{
	const struct dsn_info *info = c->info;
	size_t i;

	dsn_text_intro(c, rcpts, n);
	if (c->full)
		dsn_para(c, "Your message is attached below.");
	else if (c->kind != DSN_KIND_FAILURE)
		dsn_para(c, "The headers of your message are attached below.");
	else if (info->ret_hdrs)
		dsn_para(c, "As requested when the message was sent, only its "
		    "headers are attached below.");
	else
		dsn_para(c, "Your message (%zu bytes) is larger than the "
		    "limit of %zu bytes for returned mail, so only its "
		    "headers are attached below.", info->original_size,
		    info->size_limit);
	if (c->kind != DSN_KIND_SUCCESS)
		dsn_para(c, "For help, please write to the postmaster and "
		    "include this report.%s", c->full ? " You may delete your "
		    "own text from the attached message." : "");
	dsn_para(c, "                   The mail system");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&c->out, '\n');
		dsn_text_rcpt(c, &rcpts[i]);
	}
}

/* ---- the delivery-status part (RFC 3464 2.2, 2.3) ---- */

static void
dsn_status_rcpt(struct dsn_ctx *c, const struct dsn_rcpt *r)
{
	char date[DSN_DATE_LEN];
	char *s;

	buf_addc(&c->out, '\n');
	if (r->orcpt != NULL && dsn_ascii(r->orcpt)) {
		s = dsn_clean(r->orcpt, DSN_FIELD_MAX);
		dsn_field(c, "Original-Recipient", "%s%s",
		    strchr(s, ';') == NULL ? "rfc822;" : "", s);
		free(s);
	} else if (r->orcpt != NULL) {
		const char *semi = strchr(r->orcpt, ';');

		s = dsn_address(NULL, semi ? semi + 1 + strspn(semi + 1, " ") :
		    r->orcpt);
		dsn_field(c, "Original-Recipient", "%s", s);
		free(s);
	}
	s = dsn_address(NULL, r->addr);
	dsn_field(c, "Final-Recipient", "%s", s);
	free(s);
	dsn_field(c, "Action", "%s", dsn_action_names[r->action]);
	dsn_field(c, "Status", "%s", dsn_rcpt_status(r));
	if (r->remote_mta != NULL && *r->remote_mta != '\0') {
		s = dsn_clean(r->remote_mta, DSN_FIELD_MAX);
		dsn_field(c, "Remote-MTA", "dns; %s", s);
		free(s);
	}
	if (r->diagnostic != NULL && *r->diagnostic != '\0') {
		s = dsn_clean(r->diagnostic, DSN_DIAG_MAX);
		dsn_field(c, "Diagnostic-Code", "%s; %s",
		    r->diagnostic_is_smtp ? "smtp" : "X-Minimta", s);
		free(s);
	}
	if (r->last_attempt != 0) {
		dsn_date(r->last_attempt, date);
		dsn_field(c, "Last-Attempt-Date", "%s", date);
	}
	if (r->action == DSN_DELAYED && r->will_retry_until != 0) {
		dsn_date(r->will_retry_until, date);
		dsn_field(c, "Will-Retry-Until", "%s", date);
	}
}

static void
dsn_status(struct dsn_ctx *c, const struct dsn_rcpt *rcpts, size_t n)
{
	char date[DSN_DATE_LEN];
	char *s;
	size_t i;

	dsn_field(c, "Reporting-MTA", "dns; %s", c->host);
	dsn_field(c, "X-Minimta-Queue-ID", "%s", c->qid);
	s = dsn_address(NULL, c->info->sender);
	dsn_field(c, "X-Minimta-Sender", "%s", s);
	free(s);
	if (c->info->envid != NULL) {
		s = dsn_clean(c->info->envid, DSN_FIELD_MAX);
		dsn_field(c, "Original-Envelope-Id", "%s", s);
		free(s);
	}
	dsn_date(c->info->arrival, date);
	dsn_field(c, "Arrival-Date", "%s", date);
	for (i = 0; i < n; i++) {
		dsn_status_rcpt(c, &rcpts[i]);
		dsn_maybe_flush(c);
	}
}

/* ---- the original ---- */

/*
 * Emits the line buffer with its line end. A line that would close our
 * MIME part ("--" and the boundary) has its first '-' replaced; with a
 * random boundary that cannot happen by chance, only by a fixed one.
 */
static void
dsn_copy_emit(struct dsn_copy *cp)
{
	struct dsn_ctx *c = cp->c;
	size_t blen = strlen(c->boundary);

	if (cp->headers_only) {
		if (cp->hdr_bytes + cp->line.len + 1 > DSN_HEADERS_MAX) {
			cp->done = true;
			return;
		}
		cp->hdr_bytes += cp->line.len + 1;
	}
	if (cp->line.len >= 2 + blen && cp->line.data[0] == '-' &&
	    cp->line.data[1] == '-' &&
	    memcmp(cp->line.data + 2, c->boundary, blen) == 0)
		cp->line.data[0] = ' ';
	buf_add(&c->out, cp->line.data, cp->line.len);
	buf_addc(&c->out, '\n');
	buf_reset(&cp->line);
	dsn_maybe_flush(c);
}

static void
dsn_copy_eol(struct dsn_copy *cp)
{
	if (cp->in_header && cp->line.len == 0) {
		/* The blank line that ends the header (RFC 5322 2.1). */
		cp->in_header = false;
		if (cp->headers_only) {
			cp->done = true;
			return;
		}
	}
	dsn_copy_emit(cp);
}

static void
dsn_copy_byte(struct dsn_copy *cp, char ch)
{
	if (cp->pending_cr) {
		cp->pending_cr = false;
		if (ch == '\n') {
			dsn_copy_eol(cp);
			return;
		}
		dsn_copy_byte(cp, ' ');
		if (cp->done)
			return;
	}
	if (ch == '\r') {
		cp->pending_cr = true;
		return;
	}
	if (ch == '\n') {
		dsn_copy_eol(cp);
		return;
	}
	if (ch == '\0')
		ch = ' ';
	if (cp->line.len >= DSN_LINE_MAX) {
		/* RFC 5322 2.1.1: break; in the header, as a continuation. */
		dsn_copy_emit(cp);
		if (cp->done)
			return;
		if (cp->in_header)
			buf_addc(&cp->line, ' ');
	}
	buf_addc(&cp->line, ch);
}

static int
dsn_copy(struct dsn_ctx *c, ssize_t (*rd)(void *, char *, size_t),
    void *rarg, struct why *why)
{
	struct dsn_copy cp;
	struct buf in;
	ssize_t got;
	size_t i;
	int rc = -1;

	memset(&cp, 0, sizeof(cp));
	cp.c = c;
	cp.headers_only = !c->full;
	cp.in_header = true;
	buf_init(&cp.line);
	buf_init(&in);
	buf_reserve(&in, DSN_CHUNK);
	while (!cp.done && !c->werr) {
		got = rd(rarg, in.data, DSN_CHUNK);
		if (got < 0) {
			why_errno(why, "read original of %s", c->qid);
			goto out;
		}
		if (got == 0)
			break;
		for (i = 0; i < (size_t)got && !cp.done; i++)
			dsn_copy_byte(&cp, in.data[i]);
	}
	if (cp.pending_cr && !cp.done) {
		cp.pending_cr = false;
		dsn_copy_byte(&cp, ' ');
	}
	if (cp.line.len > 0 && !cp.done)
		dsn_copy_emit(&cp);
	rc = 0;
out:
	buf_free(&in);
	buf_free(&cp.line);
	return rc;
}

/* ---- the message ---- */

static void
dsn_headers(struct dsn_ctx *c)
{
	static const char *const subjects[] = {
		[DSN_KIND_FAILURE] = "Undelivered Mail Returned to Sender",
		[DSN_KIND_DELAY] = "Delayed Mail (still being retried)",
		[DSN_KIND_SUCCESS] = "Successful Mail Delivery Report",
	};
	char date[DSN_DATE_LEN], stamp[32];
	struct tm tm;
	time_t now = c->info->now;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm) == 0)
		(void)strlcpy(stamp, "0", sizeof(stamp));
	dsn_date(now, date);
	dsn_field(c, "From", "MAILER-DAEMON@%s (Mail Delivery System)",
	    c->host);
	dsn_field(c, "To", "%s", c->sender);
	dsn_field(c, "Subject", "%s", subjects[c->kind]);
	dsn_field(c, "Date", "%s", date);
	/* Postfix's shape, and 32 random bits against a second report of
	 * the same kind for the same message within a second. */
	dsn_field(c, "Message-ID", "<%s.%s.%.8s@%s>", stamp, c->qid,
	    c->unique, c->host);
	/* RFC 3834 5: no auto-reply may answer this one. */
	dsn_field(c, "Auto-Submitted", "auto-replied");
	dsn_field(c, "MIME-Version", "1.0");
	dsn_field(c, "Content-Type", "multipart/report; "
	    "report-type=delivery-status; boundary=\"%s\"", c->boundary);
	dsn_field(c, "Content-Transfer-Encoding", "%s",
	    c->info->original_8bit ? "8bit" : "7bit");
	buf_adds(&c->out, "\nThis is a MIME-encapsulated message.\n");
}

static void
dsn_part(struct dsn_ctx *c, const char *desc, const char *type, bool eight)
{
	buf_printf(&c->out, "\n--%s\n", c->boundary);
	dsn_field(c, "Content-Description", "%s", desc);
	dsn_field(c, "Content-Type", "%s", type);
	if (eight)
		dsn_field(c, "Content-Transfer-Encoding", "8bit");
	buf_addc(&c->out, '\n');
}

/*
 * The reporting MTA as a host-name token that starts with a letter or
 * digit (RFC 1123 2.1): a paragraph line starting with "--" and the
 * boundary would end the MIME part (found by fuzz_dsn).
 */
static char *
dsn_host(const char *s)
{
	char *t = dsn_token(s, ".-", 253, "localhost");
	size_t skip = strspn(t, ".-");

	if (t[skip] == '\0') {
		free(t);
		return xstrdup("localhost");
	}
	memmove(t, t + skip, strlen(t + skip) + 1);
	return t;
}

static void
dsn_ctx_init(struct dsn_ctx *c, const struct dsn_info *info,
    const struct dsn_rcpt *rcpts, size_t n)
{
	unsigned char rnd[16];
	char hex[2 * sizeof(rnd) + 1];
	size_t i;

	c->info = info;
	c->kind = DSN_KIND_SUCCESS;
	for (i = 0; i < n; i++) {
		if (rcpts[i].action == DSN_FAILED)
			c->kind = DSN_KIND_FAILURE;
		else if (rcpts[i].action == DSN_DELAYED &&
		    c->kind == DSN_KIND_SUCCESS)
			c->kind = DSN_KIND_DELAY;
	}
	/* RFC 3461 4.3: only a failure report returns the whole message. */
	c->full = c->kind == DSN_KIND_FAILURE && !info->ret_hdrs &&
	    (info->size_limit == 0 || info->original_size <= info->size_limit);
	c->host = dsn_host(info->reporting_mta);
	c->qid = dsn_token(info->queue_id, "", DSN_QID_MAX, "0");
	/* RFC 6532: a report going with SMTPUTF8 has its UTF-8 To: intact */
	buf_init(&c->out);
	dsn_clean_into(&c->out, info->sender, DSN_FIELD_MAX, info->smtputf8);
	c->sender = buf_release(&c->out);
	if (info->unique == NULL) {
		arc4random_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			(void)snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
		c->unique = xstrdup(hex);
	} else
		c->unique = dsn_token(info->unique, "", DSN_BOUNDARY_MAX -
		    DSN_QID_MAX - 1, "0");
	c->boundary = xasprintf("%s.%s", c->qid, c->unique);
	buf_init(&c->out);
}

static void
dsn_ctx_free(struct dsn_ctx *c)
{
	free(c->host);
	free(c->qid);
	free(c->sender);
	free(c->unique);
	free(c->boundary);
	buf_free(&c->out);
}

int
dsn_write(const struct dsn_info *info, const struct dsn_rcpt *rcpts,
    size_t n, ssize_t (*rd)(void *, char *, size_t), void *rarg,
    int (*wr)(void *, const void *, size_t), void *warg, struct why *why)
{
	static const char *const what[] = {
		[DSN_KIND_FAILURE] = "Undelivered Message",
		[DSN_KIND_DELAY] = "Delayed Message",
		[DSN_KIND_SUCCESS] = "Delivered Message",
	};
	struct dsn_ctx c;
	char desc[64];
	size_t i;
	int rc = -1;

	if (info->sender == NULL || *info->sender == '\0') {
		why_set(why, "no notification to the null sender");
		return -1;
	}
	if (n == 0) {
		why_set(why, "no recipients to report");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned)rcpts[i].action > DSN_EXPANDED) {
			why_set(why, "bad action %d", (int)rcpts[i].action);
			return -1;
		}
	}
	memset(&c, 0, sizeof(c));
	dsn_ctx_init(&c, info, rcpts, n);
	c.wr = wr;
	c.warg = warg;
	dsn_headers(&c);
	dsn_part(&c, "Notification", "text/plain; charset=us-ascii", false);
	dsn_text(&c, rcpts, n);
	dsn_part(&c, "Delivery report", "message/delivery-status", false);
	dsn_status(&c, rcpts, n);
	(void)snprintf(desc, sizeof(desc), "%s%s", what[c.kind],
	    c.full ? "" : " Headers");
	dsn_part(&c, desc, c.full ? "message/rfc822" : "text/rfc822-headers",
	    info->original_8bit);
	if (dsn_copy(&c, rd, rarg, why) == -1)
		goto out;
	buf_printf(&c.out, "\n--%s--\n", c.boundary);
	dsn_flush(&c);
	if (c.werr) {
		errno = c.werrno;
		why_errno(why, "write notification for %s", c.qid);
		goto out;
	}
	rc = 0;
out:
	dsn_ctx_free(&c);
	return rc;
}
