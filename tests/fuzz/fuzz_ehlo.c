/*
 * fuzz_ehlo: an EHLO reply (lines split at LF) through the reply parser
 * with the EHLO keyword parser on, as smtp_ehlo() reads it. Aborts
 * unless: the result is the same on a second parse, with CRLF instead of
 * LF line ends, and when each line after the first is given to
 * smtp_reply_ehlo_line alone (no state crosses lines but the last SIZE
 * winning); the SIZE limit is 0 unless SIZE was announced and is the
 * number the last SIZE line gave; the reply text is clean (no control
 * or 8-bit bytes) and bounded; and the capabilities written back as an
 * EHLO reply parse to the same result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fuzz_fail.h"
#include "smtp_reply.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct parsed {
	enum smtp_reply_status	st;
	int			code;
	struct smtp_ehlo	ehlo;
	struct buf		text;
};

static void
parse(const char *s, size_t len, bool crlf, struct parsed *out)
{
	const char *end = s + len, *nl;
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct buf line;
	struct why why;

	smtp_reply_init(&r);
	buf_init(&line);
	smtp_reply_ehlo_init(&out->ehlo);
	smtp_reply_parser_init(&p, &r, &out->ehlo);
	out->st = SMTP_REPLY_MORE;
	while (s < end && out->st == SMTP_REPLY_MORE) {
		nl = memchr(s, '\n', (size_t)(end - s));
		buf_reset(&line);
		buf_add(&line, s, nl ? (size_t)(nl - s) : (size_t)(end - s));
		/* LF to CRLF (a line already ending in CR stays) */
		if (crlf && (line.len == 0 || line.data[line.len - 1] != '\r'))
			buf_addc(&line, '\r');
		out->st = smtp_reply_feed(&p, line.data ? line.data : "",
		    line.len, &why);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	out->code = r.code;
	buf_init(&out->text);
	buf_add(&out->text, r.text.data ? r.text.data : "", r.text.len);
	buf_free(&line);
	smtp_reply_free(&r);
}

static bool
same(const struct parsed *a, const struct parsed *b)
{
	return a->st == b->st && a->code == b->code &&
	    a->ehlo.exts == b->ehlo.exts && a->ehlo.size == b->ehlo.size &&
	    a->text.len == b->text.len && (a->text.len == 0 ||
	    memcmp(a->text.data, b->text.data, a->text.len) == 0);
}

/* Each line after the first alone, as the parser would see its text. */
static void
by_line(const char *s, size_t len, struct smtp_ehlo *e)
{
	const char *end = s + len, *nl;
	size_t n, k = 0;
	struct smtp_ehlo one;

	smtp_reply_ehlo_init(e);
	for (; s < end; s = nl + 1, k++) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (k > 0 && n > 4) {
			smtp_reply_ehlo_init(&one);
			smtp_reply_ehlo_line(&one, s + 4, n - 4);
			e->exts |= one.exts;
			if (one.exts & SMTP_EXT_SIZE)
				e->size = one.size;
		}
		if (nl == NULL || (n >= 4 && s[3] == ' ') || n == 3)
			break;
	}
}

/* The result written back as the EHLO reply a server would send. */
static void
write_back(const struct smtp_ehlo *e, struct buf *b)
{
	static const struct {
		unsigned	 bit;
		const char	*kw;
	} kws[] = {
		{ SMTP_EXT_PIPELINING, "PIPELINING" },
		{ SMTP_EXT_8BITMIME, "8BITMIME" },
		{ SMTP_EXT_SMTPUTF8, "SMTPUTF8" },
		{ SMTP_EXT_DSN, "DSN" },
		{ SMTP_EXT_ENHANCED, "ENHANCEDSTATUSCODES" },
		{ SMTP_EXT_STARTTLS, "STARTTLS" },
		{ SMTP_EXT_AUTH_PLAIN, "AUTH PLAIN" },
		{ SMTP_EXT_AUTH_LOGIN, "AUTH LOGIN" },
		{ SMTP_EXT_AUTH_XOAUTH2, "AUTH XOAUTH2" },
		{ SMTP_EXT_AUTH_OAUTHBEARER, "AUTH OAUTHBEARER" },
	};
	size_t i;

	buf_adds(b, "250-mx.example\n");
	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (e->exts & kws[i].bit)
			buf_printf(b, "250-%s\n", kws[i].kw);
	if (e->exts & SMTP_EXT_SIZE)
		buf_printf(b, "250-SIZE %zu\n", e->size);
	buf_adds(b, "250 HELP\n");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct parsed a, b, c, d;
	struct smtp_ehlo lines;
	struct buf w;
	size_t i;

	parse(s, size, false, &a);
	parse(s, size, false, &b);
	parse(s, size, true, &c);
	if (!same(&a, &b) || !same(&a, &c))
		FUZZ_FAIL();
	if (!(a.ehlo.exts & SMTP_EXT_SIZE) && a.ehlo.size != 0)
		FUZZ_FAIL();
	if (a.text.len > SMTP_REPLY_TEXT_MAX + 3)
		FUZZ_FAIL();
	for (i = 0; i < a.text.len; i++)
		if ((unsigned char)a.text.data[i] < 0x20 ||
		    (unsigned char)a.text.data[i] >= 0x7f)
			FUZZ_FAIL();
	if (a.st == SMTP_REPLY_DONE) {
		if (a.code < 200 || a.code > 599)
			FUZZ_FAIL();
		by_line(s, size, &lines);
		if (lines.exts != a.ehlo.exts || lines.size != a.ehlo.size)
			FUZZ_FAIL();
		buf_init(&w);
		write_back(&a.ehlo, &w);
		parse(w.data, w.len, false, &d);
		if (d.st != SMTP_REPLY_DONE || d.ehlo.exts != a.ehlo.exts ||
		    d.ehlo.size != a.ehlo.size)
			FUZZ_FAIL();
		buf_free(&d.text);
		buf_free(&w);
	}
	buf_free(&a.text);
	buf_free(&b.text);
	buf_free(&c.text);
	return 0;
}
