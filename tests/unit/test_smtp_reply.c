/*
 * test_smtp_reply: reply lines, enhanced codes, limits and EHLO keywords.
 * Each case is a reply given as lines separated by '\n' and what the
 * parser must make of it.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "smtp_reply.h"
#include "unit.h"
#include "why.h"

int	main(void);

enum want { W_DONE, W_MORE, W_BAD };

struct reply_case {
	const char	*name;
	const char	*in;		/* lines separated by '\n' */
	enum want	 want;
	int		 code;
	const char	*enhanced;
	const char	*text;
};

static const struct reply_case reply_cases[] = {
	{ "single", "250 ok", W_DONE, 250, "", "ok" },
	{ "bare code", "250", W_DONE, 250, "", "" },
	{ "code and space", "250 ", W_DONE, 250, "", "" },
	{ "trailing cr", "220 mx.example ESMTP\r", W_DONE, 220, "",
	    "mx.example ESMTP" },
	{ "multi-line", "250-first\n250-second\n250 third", W_DONE, 250, "",
	    "first second third" },
	{ "multi-line empty middle", "250-a\n250-\n250 b", W_DONE, 250, "",
	    "a b" },
	{ "unfinished", "250-first\n250-second", W_MORE, 250, "", NULL },
	{ "mismatched codes", "250-first\n251 second", W_BAD, 0, NULL, NULL },
	{ "mismatched class", "250-first\n550 second", W_BAD, 0, NULL, NULL },
	{ "missing space", "250ok", W_BAD, 0, NULL, NULL },
	{ "tab separator", "250\tok", W_BAD, 0, NULL, NULL },
	{ "non-digit code", "2x0 ok", W_BAD, 0, NULL, NULL },
	{ "letters", "hello world", W_BAD, 0, NULL, NULL },
	{ "short", "25", W_BAD, 0, NULL, NULL },
	{ "empty line", "", W_BAD, 0, NULL, NULL },
	{ "1xx code", "150 ok", W_BAD, 0, NULL, NULL },
	{ "6xx code", "600 ok", W_BAD, 0, NULL, NULL },
	{ "second digit 6", "260 ok", W_BAD, 0, NULL, NULL },
	{ "line after end", "250 ok\n250 more", W_BAD, 0, NULL, NULL },
	{ "garbage continuation", "250-ok\nfoo", W_BAD, 0, NULL, NULL },
	{ "enhanced", "550 5.1.1 <x@y>: user unknown", W_DONE, 550, "5.1.1",
	    "<x@y>: user unknown" },
	{ "enhanced 3 digits", "451 4.123.456 later", W_DONE, 451,
	    "4.123.456", "later" },
	{ "enhanced repeated", "550-5.1.1 The account\n550-5.1.1 does not\n"
	    "550 5.1.1 exist", W_DONE, 550, "5.1.1",
	    "The account does not exist" },
	{ "enhanced other on later line", "550-5.1.1 a\n550 5.7.1 b",
	    W_DONE, 550, "5.1.1", "a 5.7.1 b" },
	{ "enhanced alone", "250 2.0.0", W_DONE, 250, "2.0.0", "" },
	{ "enhanced class mismatch", "550 2.1.1 odd", W_DONE, 550, "",
	    "2.1.1 odd" },
	{ "enhanced class 3", "354 3.0.0 go", W_DONE, 354, "", "3.0.0 go" },
	{ "enhanced 4 digits", "550 5.1234.1 x", W_DONE, 550, "",
	    "5.1234.1 x" },
	{ "enhanced no detail", "550 5.1. x", W_DONE, 550, "", "5.1. x" },
	{ "enhanced glued", "550 5.1.1x", W_DONE, 550, "", "5.1.1x" },
	{ "enhanced class 6", "550 6.1.1 x", W_DONE, 550, "", "6.1.1 x" },
	{ "control chars", "550 a\tb\033[31mc\x01", W_DONE, 550, "",
	    "a?b?[31mc?" },
	{ "8-bit text", "550 caf\xc3\xa9", W_DONE, 550, "", "caf??" },
	{ "bare cr inside", "250 a\rb", W_DONE, 250, "", "a?b" },
};

/* Feeds in, split at '\n', the way the fuzz target does. */
static enum want
feed_all(const char *in, size_t len, struct smtp_reply *r,
    struct smtp_ehlo *ehlo)
{
	struct smtp_reply_parser p;
	struct why why;
	const char *s = in, *end = in + len, *nl;
	enum smtp_reply_status st = SMTP_REPLY_MORE;

	smtp_reply_parser_init(&p, r, ehlo);
	for (;;) {
		nl = memchr(s, '\n', (size_t)(end - s));
		st = smtp_reply_feed(&p, s, nl ? (size_t)(nl - s) :
		    (size_t)(end - s), &why);
		if (st == SMTP_REPLY_BAD)
			return W_BAD;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return st == SMTP_REPLY_DONE ? W_DONE : W_MORE;
}

static void
test_table(void)
{
	struct smtp_reply r;
	size_t i;

	smtp_reply_init(&r);
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];
		enum want got = feed_all(c->in, strlen(c->in), &r, NULL);

		UNIT_INT(c->name, got, c->want);
		if (c->want == W_BAD)
			continue;
		UNIT_INT(c->name, r.code, c->code);
		UNIT_STR(c->name, r.enhanced, c->enhanced);
		if (c->text != NULL)
			UNIT_STR(c->name, buf_cstr(&r.text), c->text);
		UNIT_CHECK(c->name, !r.local, "server reply marked local");
	}
	smtp_reply_free(&r);
}

/* NUL bytes inside a line are data, cleaned like other controls. */
static void
test_nul(void)
{
	struct smtp_reply r;

	smtp_reply_init(&r);
	UNIT_INT("nul in text", feed_all("250 a\0b", 7, &r, NULL), W_DONE);
	UNIT_STR("nul in text", buf_cstr(&r.text), "a?b");
	UNIT_INT("nul in code", feed_all("2\0" "0 x", 5, &r, NULL), W_BAD);
	smtp_reply_free(&r);
}

static void
test_limits(void)
{
	struct smtp_reply r;
	struct buf in;
	size_t i;

	smtp_reply_init(&r);
	buf_init(&in);

	/* A line of exactly SMTP_REPLY_LINE_MAX octets passes, one more not. */
	buf_adds(&in, "250 ");
	while (in.len < SMTP_REPLY_LINE_MAX)
		buf_addc(&in, 'x');
	UNIT_INT("line at max", feed_all(in.data, in.len, &r, NULL), W_DONE);
	UNIT_INT("text capped", r.text.len, SMTP_REPLY_TEXT_MAX + 3);
	UNIT_CHECK("text cut marked", r.text.len >= 3 &&
	    memcmp(r.text.data + r.text.len - 3, "...", 3) == 0,
	    "no ... at the end");
	buf_addc(&in, 'x');
	UNIT_INT("line past max", feed_all(in.data, in.len, &r, NULL), W_BAD);
	/* The CR of CRLF does not count. */
	in.len--;
	buf_addc(&in, '\r');
	UNIT_INT("line at max with cr", feed_all(in.data, in.len, &r, NULL),
	    W_DONE);

	/* SMTP_REPLY_MAX_LINES lines pass, one more not. */
	buf_reset(&in);
	for (i = 0; i + 1 < SMTP_REPLY_MAX_LINES; i++)
		buf_adds(&in, "250-line\n");
	buf_adds(&in, "250 last");
	UNIT_INT("lines at max", feed_all(in.data, in.len, &r, NULL), W_DONE);
	UNIT_CHECK("lines at max text", r.text.len <= SMTP_REPLY_TEXT_MAX + 3,
	    "text %zu bytes", r.text.len);
	buf_reset(&in);
	for (i = 0; i < SMTP_REPLY_MAX_LINES; i++)
		buf_adds(&in, "250-line\n");
	buf_adds(&in, "250 last");
	UNIT_INT("lines past max", feed_all(in.data, in.len, &r, NULL), W_BAD);

	/* Short multi-line text is not cut. */
	UNIT_INT("no cut", feed_all("250-ab\n250 cd", 13, &r, NULL), W_DONE);
	UNIT_STR("no cut", buf_cstr(&r.text), "ab cd");

	buf_free(&in);
	smtp_reply_free(&r);
}

struct ehlo_case {
	const char	*name;
	const char	*in;
	unsigned	 exts;
	size_t		 size;
};

static const struct ehlo_case ehlo_cases[] = {
	{ "none", "250 mx.example", 0, 0 },
	{ "greeting line ignored", "250-PIPELINING\n250 DSN", SMTP_EXT_DSN,
	    0 },
	{ "postfix", "250-mx.example\n250-PIPELINING\n250-SIZE 10240000\n"
	    "250-VRFY\n250-ETRN\n250-STARTTLS\n250-ENHANCEDSTATUSCODES\n"
	    "250-8BITMIME\n250-DSN\n250-SMTPUTF8\n250 CHUNKING",
	    SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_STARTTLS |
	    SMTP_EXT_ENHANCED | SMTP_EXT_8BITMIME | SMTP_EXT_DSN |
	    SMTP_EXT_SMTPUTF8, 10240000 },
	{ "lower case", "250-x\n250-pipelining\n250 size 100",
	    SMTP_EXT_PIPELINING | SMTP_EXT_SIZE, 100 },
	{ "size alone", "250-x\n250 SIZE", SMTP_EXT_SIZE, 0 },
	{ "size zero", "250-x\n250 SIZE 0", SMTP_EXT_SIZE, 0 },
	{ "size bad", "250-x\n250 SIZE 12ab", SMTP_EXT_SIZE, 0 },
	{ "size huge", "250-x\n250 SIZE 99999999999999999999999999",
	    SMTP_EXT_SIZE, 0 },
	{ "auth", "250-x\n250 AUTH LOGIN PLAIN CRAM-MD5",
	    SMTP_EXT_AUTH_PLAIN | SMTP_EXT_AUTH_LOGIN, 0 },
	{ "auth plain and xoauth2", "250-x\n250 AUTH plain XOAUTH2",
	    SMTP_EXT_AUTH_PLAIN | SMTP_EXT_AUTH_XOAUTH2, 0 },
	{ "auth oauth", "250-x\n250 AUTH oauthbearer xoauth2",
	    SMTP_EXT_AUTH_OAUTHBEARER | SMTP_EXT_AUTH_XOAUTH2, 0 },
	{ "auth oauth prefix", "250-x\n250 AUTH XOAUTH OAUTHBEARERX", 0, 0 },
	{ "auth old form", "250-x\n250-AUTH=LOGIN\n250 HELP",
	    SMTP_EXT_AUTH_LOGIN, 0 },
	{ "auth none known", "250-x\n250 AUTH CRAM-MD5 GSSAPI", 0, 0 },
	{ "keyword prefix", "250-x\n250-PIPELININGX\n250-DSNX\n250 SIZEX 5",
	    0, 0 },
	{ "leading space", "250-x\n250  STARTTLS", SMTP_EXT_STARTTLS, 0 },
	{ "chunking ignored", "250-x\n250 CHUNKING", 0, 0 },
	{ "keyword in text", "250-x STARTTLS\n250 HELP", 0, 0 },
};

static void
test_ehlo(void)
{
	struct smtp_reply r;
	struct smtp_ehlo e;
	size_t i;

	smtp_reply_init(&r);
	for (i = 0; i < sizeof(ehlo_cases) / sizeof(ehlo_cases[0]); i++) {
		const struct ehlo_case *c = &ehlo_cases[i];

		smtp_reply_ehlo_init(&e);
		UNIT_INT(c->name, feed_all(c->in, strlen(c->in), &r, &e),
		    W_DONE);
		UNIT_INT(c->name, e.exts, c->exts);
		UNIT_INT(c->name, e.size, c->size);
	}
	smtp_reply_free(&r);
}

static void
test_local(void)
{
	struct smtp_reply r, c;
	struct buf out;

	smtp_reply_init(&r);
	smtp_reply_init(&c);
	buf_init(&out);
	smtp_reply_set(&r, 552, "5.3.4", "message size %d exceeds %s", 10,
	    "server\nlimit");
	UNIT_INT("local code", r.code, 552);
	UNIT_CHECK("local flag", r.local, "not local");
	UNIT_STR("local text cleaned", buf_cstr(&r.text),
	    "message size 10 exceeds server?limit");
	smtp_reply_copy(&c, &r);
	smtp_reply_format(&c, &out);
	UNIT_STR("format", buf_cstr(&out),
	    "552 5.3.4 message size 10 exceeds server?limit");
	buf_reset(&out);
	smtp_reply_set(&r, 421, NULL, "x");
	smtp_reply_format(&r, &out);
	UNIT_STR("format without enhanced", buf_cstr(&out), "421 x");
	buf_free(&out);
	smtp_reply_free(&r);
	smtp_reply_free(&c);
	smtp_reply_free(NULL);
}

int
main(void)
{
	test_table();
	test_nul();
	test_limits();
	test_ehlo();
	test_local();
	return unit_done("smtp_reply");
}
