/*
 * smtp_reply: parsing of SMTP replies and EHLO keywords. See smtp_reply.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "smtp_reply.h"
#include "why.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	r->local = false;
	buf_init(&r->text);
}

void
smtp_reply_free(struct smtp_reply *r)
{
	if (r == NULL)
		return;
	buf_free(&r->text);
	smtp_reply_init(r);
}

void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	r->local = false;
	buf_reset(&r->text);
}

void
smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src)
{
	if (dst == src)
		return;
	smtp_reply_reset(dst);
	dst->code = src->code;
	(void)strlcpy(dst->enhanced, src->enhanced, sizeof(dst->enhanced));
	dst->local = src->local;
	buf_add(&dst->text, src->text.data, src->text.len);
}

void
smtp_reply_set(struct smtp_reply *r, int code, const char *enhanced,
    const char *fmt, ...)
{
	struct buf raw;
	va_list ap;

	smtp_reply_reset(r);
	r->code = code;
	r->local = true;
	if (enhanced != NULL)
		(void)strlcpy(r->enhanced, enhanced, sizeof(r->enhanced));
	buf_init(&raw);
	va_start(ap, fmt);
	buf_vprintf(&raw, fmt, ap);
	va_end(ap);
	/* Our text may quote the server's or an address: clean it too. */
	log_clean(&r->text, raw.data, raw.len, SMTP_REPLY_TEXT_MAX);
	buf_free(&raw);
}

void
smtp_reply_format(const struct smtp_reply *r, struct buf *out)
{
	buf_printf(out, "%d", r->code);
	if (r->enhanced[0] != '\0')
		buf_printf(out, " %s", r->enhanced);
	if (r->text.len > 0) {
		buf_addc(out, ' ');
		buf_add(out, r->text.data, r->text.len);
	}
}

static bool
smtp_reply_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The length of an enhanced status code (RFC 3463: class "." 1*3digit "."
 * 1*3digit) at the start of s, followed by a space or the end; 0 if none.
 */
static size_t
smtp_reply_enhanced_len(const char *s, size_t len)
{
	size_t i = 0, n, part;

	if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && n < 4 && smtp_reply_isdigit(s[i]); n++)
			i++;
		if (n < 1 || n > 3)
			return 0;
		if (part == 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && s[i] != ' ')
		return 0;
	return i;
}

/* Appends one line's text, cleaned, within SMTP_REPLY_TEXT_MAX. */
static void
smtp_reply_add_text(struct smtp_reply_parser *p, const char *s, size_t len)
{
	struct buf *t = &p->reply->text;
	size_t room;

	if (p->cut || len == 0)
		return;
	if (t->len > 0) {
		if (t->len + 1 >= SMTP_REPLY_TEXT_MAX) {
			buf_adds(t, "...");
			p->cut = true;
			return;
		}
		buf_addc(t, ' ');
	}
	room = SMTP_REPLY_TEXT_MAX - t->len;
	if (len > room)
		p->cut = true;
	log_clean(t, s, len, room);
}

void
smtp_reply_parser_init(struct smtp_reply_parser *p, struct smtp_reply *r,
    struct smtp_ehlo *ehlo)
{
	p->reply = r;
	p->ehlo = ehlo;
	p->lines = 0;
	p->done = false;
	p->cut = false;
	smtp_reply_reset(r);
}

enum smtp_reply_status
smtp_reply_feed(struct smtp_reply_parser *p, const char *line, size_t len,
    struct why *why)
{
	struct smtp_reply *r = p->reply;
	const char *text;
	size_t tlen, elen;
	bool last;
	int code;

	if (p->done) {
		why_set(why, "reply line after the end of the reply");
		return SMTP_REPLY_BAD;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > SMTP_REPLY_LINE_MAX) {
		p->done = true;
		why_set(why, "reply line longer than %d octets",
		    SMTP_REPLY_LINE_MAX);
		return SMTP_REPLY_BAD;
	}
	/* RFC 5321 4.2: 2-5, 0-5, 0-9. */
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '5' || !smtp_reply_isdigit(line[2]) ||
	    (len > 3 && line[3] != ' ' && line[3] != '-')) {
		p->done = true;
		why_set(why, "malformed reply line");
		return SMTP_REPLY_BAD;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (p->lines > 0 && code != r->code) {
		p->done = true;
		why_set(why, "reply code changed from %d to %d within a reply",
		    r->code, code);
		return SMTP_REPLY_BAD;
	}
	if (p->lines >= SMTP_REPLY_MAX_LINES) {
		p->done = true;
		why_set(why, "reply longer than %d lines",
		    SMTP_REPLY_MAX_LINES);
		return SMTP_REPLY_BAD;
	}
	last = len == 3 || line[3] == ' ';
	text = len > 4 ? line + 4 : "";
	tlen = len > 4 ? len - 4 : 0;

	if (p->lines == 0) {
		r->code = code;
		elen = smtp_reply_enhanced_len(text, tlen);
		if (elen > 0 && text[0] == line[0]) {
			memcpy(r->enhanced, text, elen);
			r->enhanced[elen] = '\0';
		}
	} else if (p->ehlo != NULL) {
		smtp_reply_ehlo_line(p->ehlo, text, tlen);
	}
	elen = strlen(r->enhanced);
	if (elen > 0 && tlen >= elen && memcmp(text, r->enhanced, elen) == 0 &&
	    (tlen == elen || text[elen] == ' ')) {
		text += elen;
		tlen -= elen;
		if (tlen > 0) {
			text++;
			tlen--;
		}
	}
	smtp_reply_add_text(p, text, tlen);
	p->lines++;
	if (last) {
		p->done = true;
		return SMTP_REPLY_DONE;
	}
	return SMTP_REPLY_MORE;
}

void
smtp_reply_ehlo_init(struct smtp_ehlo *e)
{
	e->exts = 0;
	e->size = 0;
}

/* Returns the next space-separated word of [*sp, end), or NULL. */
static const char *
smtp_reply_word(const char **sp, const char *end, size_t *lenp)
{
	const char *s = *sp, *w;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end) {
		*sp = s;
		return NULL;
	}
	w = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*lenp = (size_t)(s - w);
	*sp = s;
	return w;
}

static bool
smtp_reply_is(const char *w, size_t len, const char *kw)
{
	return strlen(kw) == len && strncasecmp(w, kw, len) == 0;
}

/* RFC 1870: "SIZE" [1*DIGIT]; 0, none or a bad number: no fixed limit. */
static size_t
smtp_reply_size(const char *w, size_t len)
{
	size_t i, v = 0;

	if (w == NULL || len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (!smtp_reply_isdigit(w[i]))
			return 0;
		if (v > (SIZE_MAX - 9) / 10)
			return 0;
		v = v * 10 + (size_t)(w[i] - '0');
	}
	return v;
}

static void
smtp_reply_auth(struct smtp_ehlo *e, const char *s, const char *end)
{
	const char *w;
	size_t len;

	while ((w = smtp_reply_word(&s, end, &len)) != NULL) {
		if (smtp_reply_is(w, len, "PLAIN"))
			e->exts |= SMTP_EXT_AUTH_PLAIN;
		else if (smtp_reply_is(w, len, "LOGIN"))
			e->exts |= SMTP_EXT_AUTH_LOGIN;
		else if (smtp_reply_is(w, len, "XOAUTH2"))
			e->exts |= SMTP_EXT_AUTH_XOAUTH2;
		else if (smtp_reply_is(w, len, "OAUTHBEARER"))
			e->exts |= SMTP_EXT_AUTH_OAUTHBEARER;
	}
}

void
smtp_reply_ehlo_line(struct smtp_ehlo *e, const char *text, size_t len)
{
	static const struct {
		const char	*kw;
		unsigned	 bit;
	} plain[] = {
		{ "PIPELINING", SMTP_EXT_PIPELINING },
		{ "8BITMIME", SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "DSN", SMTP_EXT_DSN },
		{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCED },
		{ "STARTTLS", SMTP_EXT_STARTTLS },
	};
	const char *s = text, *end = text + len, *kw, *arg;
	size_t klen, alen = 0, i;

	if ((kw = smtp_reply_word(&s, end, &klen)) == NULL)
		return;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (smtp_reply_is(kw, klen, plain[i].kw)) {
			e->exts |= plain[i].bit;
			return;
		}
	}
	if (smtp_reply_is(kw, klen, "SIZE")) {
		arg = smtp_reply_word(&s, end, &alen);
		e->exts |= SMTP_EXT_SIZE;
		e->size = smtp_reply_size(arg, alen);
	} else if (smtp_reply_is(kw, klen, "AUTH")) {
		smtp_reply_auth(e, s, end);
	} else if (klen > 5 && strncasecmp(kw, "AUTH=", 5) == 0) {
		/* Old servers: "AUTH=LOGIN PLAIN". */
		smtp_reply_auth(e, kw + 5, end);
	}
}
