/*
 * test_addr: table tests of the address-list and envelope parsers and
 * the helpers on canonical addresses.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "unit.h"
#include "why.h"

int	main(void);

#define BIG	1000

/* want: the addresses joined by "|" when res is ADDR_OK (one marked
 * noalias written with a backslash: "\\root"), else a substring of the
 * reason. */
static const struct list_case {
	const char	*name;
	const char	*in;
	size_t		 max;
	enum addr_result res;
	const char	*want;
} list_cases[] = {
	{ "plain", "a@example.org", BIG, ADDR_OK, "a@example.org" },
	{ "two", "a@b.org, c@d.org", BIG, ADDR_OK, "a@b.org|c@d.org" },
	{ "empty", "", BIG, ADDR_OK, "" },
	{ "only space", "  \n ", BIG, ADDR_OK, "" },
	{ "empty elements", "a@b,,c@d, ,", BIG, ADDR_OK, "a@b|c@d" },
	{ "leading comma", ",a@b", BIG, ADDR_OK, "a@b" },
	{ "display name", "John Doe <john@example.org>", BIG, ADDR_OK,
	    "john@example.org" },
	{ "quoted display name with comma",
	    "\"Doe, John\" <john@example.org>, x@y", BIG, ADDR_OK,
	    "john@example.org|x@y" },
	{ "display name with specials quoted",
	    "\"a@b <c@d>, e\" <real@example.org>", BIG, ADDR_OK,
	    "real@example.org" },
	{ "display name with dot (obs-phrase)", "Dr. No <no@x.org>", BIG,
	    ADDR_OK, "no@x.org" },
	{ "encoded-word name", "=?UTF-8?B?w6l0w6k=?= <e@x.org>", BIG,
	    ADDR_OK, "e@x.org" },
	{ "angle only", "<a@b.c>", BIG, ADDR_OK, "a@b.c" },
	{ "null angle", "<>, a@b", BIG, ADDR_OK, "a@b" },
	{ "group", "team: a@b, Carl <c@d>;, e@f", BIG, ADDR_OK,
	    "a@b|c@d|e@f" },
	{ "empty group", "undisclosed-recipients:;", BIG, ADDR_OK, "" },
	{ "group without semicolon", "undisclosed-recipients:", BIG,
	    ADDR_OK, "" },
	{ "group with empty elements", "g: ,a@b,,;", BIG, ADDR_OK, "a@b" },
	{ "two groups", "g1: a@b; , g2: c@d;", BIG, ADDR_OK, "a@b|c@d" },
	{ "quoted group name", "\"my team\": a@b;", BIG, ADDR_OK, "a@b" },
	{ "comment", "a@b (Alice)", BIG, ADDR_OK, "a@b" },
	{ "nested comments",
	    "(x (y (z)) w) a@b (c (d) \\) e), c@d", BIG, ADDR_OK,
	    "a@b|c@d" },
	{ "comment with quoted paren", "a@b (\\(), c@d", BIG, ADDR_OK,
	    "a@b|c@d" },
	{ "comments everywhere", "a(1)@(2)b(3).(4)c", BIG, ADDR_OK,
	    "a@b.c" },
	{ "quoted local", "\"john doe\"@example.org", BIG, ADDR_OK,
	    "\"john doe\"@example.org" },
	{ "quoted local escaped quote",
	    "\"john \\\"jd\\\" doe\"@example.org", BIG, ADDR_OK,
	    "\"john \\\"jd\\\" doe\"@example.org" },
	{ "quoted local escaped backslash", "\"a\\\\b\"@x", BIG, ADDR_OK,
	    "\"a\\\\b\"@x" },
	{ "quoted local simplified", "\"john\"@example.org", BIG, ADDR_OK,
	    "john@example.org" },
	{ "quoted local with at", "<\"a@b\"@c.d>", BIG, ADDR_OK,
	    "\"a@b\"@c.d" },
	{ "quoted local with comma", "\"a,b\"@c, d@e", BIG, ADDR_OK,
	    "\"a,b\"@c|d@e" },
	{ "obs local mixed", "\"a\".b@c", BIG, ADDR_OK, "a.b@c" },
	{ "obs local spaces around dots", "john . doe @ example . org",
	    BIG, ADDR_OK, "john.doe@example.org" },
	{ "double dot local quoted", "a..b@docomo.ne.jp", BIG, ADDR_OK,
	    "\"a..b\"@docomo.ne.jp" },
	{ "folded LF", "a@b,\n c@d,\n\t\"x\n y\"@e", BIG, ADDR_OK,
	    "a@b|c@d|\"x y\"@e" },
	{ "folded CRLF", "Joe\r\n <j@x>,\r\n k@y\r\n", BIG, ADDR_OK,
	    "j@x|k@y" },
	{ "domain literal", "a@[1.2.3.4]", BIG, ADDR_OK, "a@[1.2.3.4]" },
	{ "domain literal ipv6", "<a@[IPv6:2001:db8::1]>", BIG, ADDR_OK,
	    "a@[IPv6:2001:db8::1]" },
	{ "route", "<@relay.example:user@host.example>", BIG, ADDR_OK,
	    "user@host.example" },
	{ "two-hop route", "Joe <@r1,@r2.x:j@h>", BIG, ADDR_OK, "j@h" },
	{ "utf8 address", "J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.de>",
	    BIG, ADDR_OK, "j\xc3\xb6rg@b\xc3\xbc" "cher.de" },
	{ "utf8 bare", "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90",
	    BIG, ADDR_OK,
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90" },
	{ "latin1 display name", "J\xf6rg <j@x.de>", BIG, ADDR_OK, "j@x.de" },
	{ "unqualified", "root", BIG, ADDR_OK, "root" },
	{ "unqualified list", "root, www-data", BIG, ADDR_OK,
	    "root|www-data" },
	{ "unqualified angle", "Root <root>", BIG, ADDR_OK, "root" },
	{ "unqualified comment", "root (Cron Daemon)", BIG, ADDR_OK,
	    "root" },
	/* sendmail's "do not alias": \\name, an unqualified name only */
	{ "backslash name", "\\root", BIG, ADDR_OK, "\\root" },
	{ "backslash name angle", "Root <\\root>", BIG, ADDR_OK,
	    "\\root" },
	{ "backslash name in list", "ops, \\root (Cron), b@c", BIG,
	    ADDR_OK, "ops|\\root|b@c" },
	{ "backslash name in group", "g: \\root;", BIG, ADDR_OK,
	    "\\root" },
	{ "backslash dotted name", "\\a.b", BIG, ADDR_OK, "\\a.b" },
	{ "backslash qualified", "\\root@example.org", BIG, ADDR_BAD,
	    "backslash before a qualified address at offset 0" },
	{ "backslash in phrase", "\\Root <root>", BIG, ADDR_BAD,
	    "backslash outside quotes" },
	{ "backslash group name", "\\g: a@b;", BIG, ADDR_BAD,
	    "backslash outside quotes" },
	{ "backslash second word", "a.\\b", BIG, ADDR_BAD,
	    "backslash outside quotes at offset 2" },
	{ "backslash alone", "\\", BIG, ADDR_BAD,
	    "backslash outside quotes" },
	{ "backslash before quote", "\\\"a b\"", BIG, ADDR_BAD,
	    "backslash outside quotes" },
	{ "backslash before dot", "\\.a", BIG, ADDR_BAD,
	    "backslash outside quotes" },
	{ "at max", "a@b, c@d, e@f", 3, ADDR_OK, "a@b|c@d|e@f" },
	{ "past max", "a@b, c@d, e@f", 2, ADDR_TOO_MANY, "more than 2" },
	{ "max zero empty ok", " ,, ", 0, ADDR_OK, "" },
	{ "group past max", "g: a@b, c@d;", 1, ADDR_TOO_MANY, "more than 1" },

	{ "unterminated quote", "\"john doe@example.org", BIG, ADDR_BAD,
	    "unterminated quoted string at offset 0" },
	{ "unterminated comment", "a@b (oops", BIG, ADDR_BAD,
	    "unterminated comment at offset 4" },
	{ "unterminated nested comment", "a@b (x (y) z", BIG, ADDR_BAD,
	    "unterminated comment" },
	{ "unterminated angle", "John <john@example.org", BIG, ADDR_BAD,
	    "unterminated angle address at offset 5" },
	{ "unterminated angle empty", "John <", BIG, ADDR_BAD,
	    "unterminated angle address" },
	{ "unterminated literal", "a@[1.2.3.4", BIG, ADDR_BAD,
	    "unterminated domain literal" },
	{ "trailing backslash in quote", "\"a\\", BIG, ADDR_BAD,
	    "unterminated quoted string" },
	{ "missing comma", "a@b c@d", BIG, ADDR_BAD, "missing comma" },
	{ "missing comma angles", "<a@b> <c@d>", BIG, ADDR_BAD,
	    "missing comma" },
	{ "missing comma phrase", "john doe", BIG, ADDR_BAD,
	    "missing comma or address" },
	{ "space in local", "john doe@x", BIG, ADDR_BAD,
	    "space in local part" },
	{ "space in domain", "a@b c", BIG, ADDR_BAD, "missing comma" },
	{ "empty label", "a@b..c", BIG, ADDR_BAD, "bad domain" },
	{ "trailing dot domain", "a@b.c.", BIG, ADDR_BAD, "bad domain" },
	{ "missing domain", "a@", BIG, ADDR_BAD, "missing domain" },
	{ "missing local", "@b", BIG, ADDR_BAD, "missing local part" },
	{ "nested group", "g: h: a@b;;", BIG, ADDR_BAD, "nested group" },
	{ "stray semicolon", "a@b; c@d", BIG, ADDR_BAD, "unexpected ';'" },
	{ "stray close paren", "a@b)", BIG, ADDR_BAD, "unbalanced ')'" },
	{ "stray close angle", "a@b>", BIG, ADDR_BAD, "missing comma" },
	{ "stray close bracket", "]", BIG, ADDR_BAD, "unbalanced ']'" },
	{ "backslash", "a\\b@c", BIG, ADDR_BAD, "backslash" },
	{ "control char", "a\x01@b", BIG, ADDR_BAD, "control character" },
	{ "control in quoted local", "\"a\x01\"@b", BIG, ADDR_BAD,
	    "control character in local part" },
	{ "bad route", "<@relay user@host>", BIG, ADDR_BAD, "bad route" },
	{ "latin1 address", "j\xf6rg@x.de", BIG, ADDR_BAD, "invalid UTF-8" },
	{ "quoted domain", "a@\"b\"", BIG, ADDR_BAD, "missing domain" },
	{ "escaped bracket in literal", "a@[1\\]2]", BIG, ADDR_BAD,
	    "bad domain literal" },
	{ "literal then atom", "a@[1.2.3.4]x", BIG, ADDR_BAD,
	    "missing comma" },
};

static void
test_list(void)
{
	size_t i, k;

	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case *c = &list_cases[i];
		struct addr_list l;
		struct why why;
		struct buf got;
		enum addr_result r;

		addr_list_init(&l);
		buf_init(&got);
		why.text[0] = '\0';
		r = addr_parse_list(c->in, strlen(c->in), c->max, &l, &why);
		UNIT_INT(c->name, r, c->res);
		if (r != ADDR_OK) {
			UNIT_CHECK(c->name, strstr(why.text, c->want) != NULL,
			    "reason \"%s\", want \"%s\"", why.text, c->want);
			UNIT_INT(c->name, l.n, 0);
		} else {
			for (k = 0; k < l.n; k++) {
				if (k > 0)
					buf_addc(&got, '|');
				if (addr_list_noalias(&l, k))
					buf_addc(&got, '\\');
				buf_adds(&got, l.v[k]);
			}
			UNIT_STR(c->name, buf_cstr(&got), c->want);
		}
		buf_free(&got);
		addr_list_free(&l);
	}
}

/* The limit counts what out held before; a failure leaves out as it was. */
static void
test_list_append(void)
{
	struct addr_list l;
	struct why why;

	addr_list_init(&l);
	addr_list_add(&l, "first@x");
	UNIT_INT("append ok", addr_parse_list("a@b", 3, 2, &l, &why),
	    ADDR_OK);
	UNIT_INT("append n", l.n, 2);
	UNIT_INT("append over", addr_parse_list("c@d", 3, 2, &l, &why),
	    ADDR_TOO_MANY);
	UNIT_INT("append bad", addr_parse_list("c@d, \"", 6, 10, &l, &why),
	    ADDR_BAD);
	UNIT_INT("append kept", l.n, 2);
	UNIT_STR("append first", l.v[0], "first@x");
	UNIT_STR("append second", l.v[1], "a@b");
	addr_list_free(&l);
	/* Not NUL-terminated: the parser must stay within len. */
	addr_list_init(&l);
	UNIT_INT("len bound", addr_parse_list("a@b.cXXX", 5, 10, &l, &why),
	    ADDR_OK);
	UNIT_STR("len bound addr", l.n == 1 ? l.v[0] : NULL, "a@b.c");
	addr_list_free(&l);
}

/* Deep nesting and long lists: no recursion, no fixed arrays. */
static void
test_list_big(void)
{
	struct addr_list l;
	struct buf b;
	struct why why;
	size_t i;

	buf_init(&b);
	for (i = 0; i < 100000; i++)
		buf_addc(&b, '(');
	buf_adds(&b, "x");
	for (i = 0; i < 100000; i++)
		buf_addc(&b, ')');
	buf_adds(&b, " a@b");
	addr_list_init(&l);
	UNIT_INT("deep comment", addr_parse_list(b.data, b.len, 10, &l,
	    &why), ADDR_OK);
	UNIT_STR("deep comment addr", l.n == 1 ? l.v[0] : NULL, "a@b");
	addr_list_free(&l);
	/* one ')' short: " a@b" moves over the last one */
	memmove(b.data + 100001 + 99999, " a@b", 4);
	b.len = 100001 + 99999 + 4;
	UNIT_INT("deep comment open", addr_parse_list(b.data, b.len, 10, &l,
	    &why), ADDR_BAD);
	buf_reset(&b);
	for (i = 0; i < 5000; i++)
		buf_printf(&b, "u%zu@example.org, ", i);
	UNIT_INT("5000 at max", addr_parse_list(b.data, b.len, 5000, &l,
	    &why), ADDR_OK);
	UNIT_INT("5000 n", l.n, 5000);
	UNIT_STR("5000 last", l.v[4999], "u4999@example.org");
	addr_list_free(&l);
	UNIT_INT("5000 past max", addr_parse_list(b.data, b.len, 4999, &l,
	    &why), ADDR_TOO_MANY);
	UNIT_INT("5000 past max n", l.n, 0);
	addr_list_free(&l);
	buf_free(&b);
}

/* want: the address when res is ADDR_OK, else a reason substring. */
static const struct env_case {
	const char	*name;
	const char	*in;
	bool		 allow_null;
	enum addr_result res;
	const char	*want;
} env_cases[] = {
	{ "plain", "user@example.org", false, ADDR_OK, "user@example.org" },
	{ "angle", "<user@example.org>", false, ADDR_OK,
	    "user@example.org" },
	{ "unqualified", "root", false, ADDR_OK, "root" },
	{ "null allowed", "", true, ADDR_OK, "" },
	{ "null angle allowed", "<>", true, ADDR_OK, "" },
	{ "null refused", "", false, ADDR_BAD, "empty address" },
	{ "null angle refused", "<>", false, ADDR_BAD, "empty address" },
	{ "quoted local", "\"john doe\"@x.org", false, ADDR_OK,
	    "\"john doe\"@x.org" },
	{ "quoted local simplified", "<\"john\"@x.org>", false, ADDR_OK,
	    "john@x.org" },
	{ "quoted with escaped quote", "\"a\\\"b\"@x", false, ADDR_OK,
	    "\"a\\\"b\"@x" },
	{ "quoted at sign", "\"a@b\"@x", false, ADDR_OK, "\"a@b\"@x" },
	{ "quoted angle", "\"<a>\"@x", false, ADDR_OK, "\"<a>\"@x" },
	{ "route", "<@relay:u@h>", false, ADDR_OK, "u@h" },
	{ "domain literal", "u@[192.0.2.1]", false, ADDR_OK,
	    "u@[192.0.2.1]" },
	{ "utf8", "j\xc3\xb6rg@b\xc3\xbc" "cher.de", false, ADDR_OK,
	    "j\xc3\xb6rg@b\xc3\xbc" "cher.de" },
	{ "plus and dash", "a+tag-x@sub-d.example", false, ADDR_OK,
	    "a+tag-x@sub-d.example" },
	{ "double dot quoted", "a..b@x", false, ADDR_OK, "\"a..b\"@x" },
	{ "local 64", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaa@x", false, ADDR_OK,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "a@x" },
	{ "local 65", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaa@x", false, ADDR_BAD, "local part longer than 64" },
	{ "newline", "a@b\nRCPT TO:<x@y>", false, ADDR_BAD,
	    "control character" },
	{ "cr", "a@b\r", false, ADDR_BAD, "control character" },
	{ "tab", "a@b\t", false, ADDR_BAD, "control character" },
	{ "space", "a b@c", false, ADDR_BAD, "bad character" },
	{ "space in domain", "a@b c", false, ADDR_BAD, "bad domain" },
	{ "leading space", " a@b", false, ADDR_BAD, "bad character" },
	{ "unbalanced quote", "\"a@b", false, ADDR_BAD, "unbalanced quote" },
	{ "unbalanced angle open", "<a@b", false, ADDR_BAD,
	    "unbalanced angle" },
	{ "unbalanced angle close", "a@b>", false, ADDR_BAD,
	    "unbalanced angle" },
	{ "double angle", "<<a@b>>", false, ADDR_BAD, "unbalanced angle" },
	{ "lone angle", "<", false, ADDR_BAD, "unbalanced angle" },
	{ "display name", "Joe <a@b>", false, ADDR_BAD, "" },
	{ "two at", "a@b@c", false, ADDR_BAD, "bad domain" },
	{ "empty domain", "a@", false, ADDR_BAD, "empty domain" },
	{ "empty local", "@b", false, ADDR_BAD, "bad route" },
	{ "empty label", "a@b..c", false, ADDR_BAD, "bad domain" },
	{ "bad literal", "a@[1.2.3.4", false, ADDR_BAD, "bad domain literal" },
	{ "literal with space", "a@[1.2. 3.4]", false, ADDR_BAD,
	    "bad domain literal" },
	{ "text after quote", "\"a\"b@c", false, ADDR_BAD,
	    "bad character after quoted" },
	{ "comment", "a@b(c)", false, ADDR_BAD, "bad domain" },
	{ "latin1", "j\xf6rg@x", false, ADDR_BAD, "invalid UTF-8" },
	{ "overlong utf8", "\xc0\xaf@x", false, ADDR_BAD, "invalid UTF-8" },
	{ "surrogate utf8", "\xed\xa0\x80@x", false, ADDR_BAD,
	    "invalid UTF-8" },
};

static void
test_envelope(void)
{
	size_t i;

	for (i = 0; i < sizeof(env_cases) / sizeof(env_cases[0]); i++) {
		const struct env_case *c = &env_cases[i];
		struct why why;
		char *out = NULL;
		enum addr_result r;

		why.text[0] = '\0';
		r = addr_parse_envelope(c->in, c->allow_null, &out, &why);
		UNIT_INT(c->name, r, c->res);
		if (r == ADDR_OK)
			UNIT_STR(c->name, out, c->want);
		else
			UNIT_CHECK(c->name, strstr(why.text, c->want) != NULL,
			    "reason \"%s\", want \"%s\"", why.text, c->want);
		free(out);
	}
}

/* RFC 5321 4.5.3.1.3: 254 octets is the most an address may have. */
static void
test_envelope_total(void)
{
	struct buf b;
	struct why why;
	char *out = NULL;

	buf_init(&b);
	buf_adds(&b, "user@");
	while (b.len + 2 <= 250)
		buf_adds(&b, "a.");
	buf_adds(&b, "co");		/* 251 */
	UNIT_INT("total 251", b.len, 251);
	UNIT_INT("total 251 ok", addr_parse_envelope(buf_cstr(&b), false,
	    &out, &why), ADDR_OK);
	free(out);
	out = NULL;
	buf_adds(&b, "mmm");		/* 254 */
	UNIT_INT("total 254 ok", addr_parse_envelope(buf_cstr(&b), false,
	    &out, &why), ADDR_OK);
	UNIT_INT("total 254 len", out ? strlen(out) : 0, 254);
	free(out);
	out = NULL;
	buf_addc(&b, 'x');		/* 255 */
	UNIT_INT("total 255 bad", addr_parse_envelope(buf_cstr(&b), false,
	    &out, &why), ADDR_BAD);
	UNIT_CHECK("total 255 reason", strstr(why.text, "254") != NULL,
	    "reason \"%s\"", why.text);
	UNIT_CHECK("total 255 out untouched", out == NULL, "out set");
	buf_free(&b);
}

static void
test_helpers(void)
{
	char *s;

	UNIT_CHECK("is_local root", addr_is_local("root"), "false");
	UNIT_CHECK("is_local qualified", !addr_is_local("a@b"), "true");
	UNIT_CHECK("is_local quoted at", addr_is_local("\"a@b\""), "false");
	UNIT_STR("domain", addr_domain("a@Example.ORG"), "Example.ORG");
	UNIT_STR("domain quoted at", addr_domain("\"a@b\"@c"), "c");
	UNIT_STR("domain none", addr_domain("root"), NULL);
	UNIT_CHECK("8bit", addr_is_8bit("j\xc3\xb6rg@x"), "false");
	UNIT_CHECK("not 8bit", !addr_is_8bit("jorg@x"), "true");
	s = addr_qualify("root", "example.org");
	UNIT_STR("qualify", s, "root@example.org");
	free(s);
	s = addr_qualify("a@b", "example.org");
	UNIT_STR("qualify qualified", s, "a@b");
	free(s);
	s = addr_qualify("\"a@b\"", "example.org");
	UNIT_STR("qualify quoted at", s, "\"a@b\"@example.org");
	free(s);
	s = addr_qualify("root", NULL);
	UNIT_STR("qualify no domain", s, "root");
	free(s);
	UNIT_CHECK("equal domain case", addr_equal("a@EXAMPLE.org",
	    "a@example.ORG"), "false");
	UNIT_CHECK("equal local case", !addr_equal("A@x", "a@x"), "true");
	UNIT_CHECK("equal unqualified", addr_equal("root", "root"), "false");
	UNIT_CHECK("equal mixed", !addr_equal("root", "root@x"), "true");
	UNIT_CHECK("equal prefix", !addr_equal("ab@x", "a@x"), "true");
	UNIT_CHECK("check ok", addr_check("a@b", NULL), "false");
}

static const struct rw_case {
	const char	*name;
	const char	*in, *old, *new_addr;
	const char	*want;
	size_t		 n;
} rw_cases[] = {
	{ "bare", "root", "root", "cron@example.org", "cron@example.org",
	    1 },
	{ "comment kept", "root (Cron Daemon)", "root", "c@x",
	    "c@x (Cron Daemon)", 1 },
	{ "display name kept", "\"Root, the\" <root@host>", "root@HOST",
	    "r@example.org", "\"Root, the\" <r@example.org>", 1 },
	{ "not a substring", "xroot@host, root@hostx", "root@host", "n@x",
	    "xroot@host, root@hostx", 0 },
	{ "several", "a@h, B <a@h>, c@h", "a@h", "z@y",
	    "z@y, B <z@y>, c@h", 2 },
	{ "folding kept", "A\n <a@h>,\n b@h", "b@h", "q@r",
	    "A\n <a@h>,\n q@r", 1 },
	{ "unparsable unchanged", "\"a@h", "a@h", "x@y", "\"a@h", 0 },
	{ "in group", "g: a@h;", "a@h", "x@y", "g: x@y;", 1 },
};

static void
test_rewrite(void)
{
	size_t i, n;

	for (i = 0; i < sizeof(rw_cases) / sizeof(rw_cases[0]); i++) {
		const struct rw_case *c = &rw_cases[i];
		struct buf out;

		buf_init(&out);
		n = addr_rewrite(&out, c->in, strlen(c->in), c->old,
		    c->new_addr);
		UNIT_STR(c->name, buf_cstr(&out), c->want);
		UNIT_INT(c->name, n, c->n);
		buf_free(&out);
	}
}

/* Qualifying header addresses: want is the output, n the count. */
static const struct q_case {
	const char	*name;
	const char	*in, *domain;
	const char	*want;
	size_t		 n;
} q_cases[] = {
	{ "cron from", "root (Cron Daemon)", "example.org",
	    "root@example.org (Cron Daemon)", 1 },
	{ "cron to", " ops", "example.org", " ops@example.org", 1 },
	{ "qualified unchanged", " a@b.c, Bob <b@d>", "example.org",
	    " a@b.c, Bob <b@d>", 0 },
	{ "display name kept", "\"Root, the\" <root>", "x.org",
	    "\"Root, the\" <root@x.org>", 1 },
	{ "quoted local kept", "\"john doe\", \"a@b\"", "x.org",
	    "\"john doe\"@x.org, \"a@b\"@x.org", 2 },
	{ "obs local kept", "john . doe (c)", "x.org",
	    "john . doe@x.org (c)", 1 },
	{ "group", "team: a, b@c, d;, e", "x.org",
	    "team: a@x.org, b@c, d@x.org;, e@x.org", 3 },
	{ "empty group", "undisclosed-recipients:;", "x.org",
	    "undisclosed-recipients:;", 0 },
	{ "null angle", "<>", "x.org", "<>", 0 },
	{ "comments", "(a) root(b) ,(c)x", "x.org",
	    "(a) root@x.org(b) ,(c)x@x.org", 2 },
	{ "folding kept", "a,\r\n b,\n\tc@d", "x.org",
	    "a@x.org,\r\n b@x.org,\n\tc@d", 2 },
	{ "backslash dropped", "\\root, Root <\\root>", "x.org",
	    "root@x.org, Root <root@x.org>", 2 },
	{ "mixed", "a, b@c, (x) d", "x.org",
	    "a@x.org, b@c, (x) d@x.org", 2 },
	{ "utf8 local", "j\xc3\xb6rg", "x.org", "j\xc3\xb6rg@x.org", 1 },
	{ "unparsable unchanged", "a b, c", "x.org", "a b, c", 0 },
	{ "unterminated unchanged", "root (oops", "x.org", "root (oops",
	    0 },
	{ "no domain", "root", "", "root", 0 },
	{ "empty", "", "x.org", "", 0 },
};

static void
test_qualify(void)
{
	size_t i, n;

	for (i = 0; i < sizeof(q_cases) / sizeof(q_cases[0]); i++) {
		const struct q_case *c = &q_cases[i];
		struct buf out;

		buf_init(&out);
		n = addr_qualify_list(&out, c->in, strlen(c->in), c->domain);
		UNIT_STR(c->name, buf_cstr(&out), c->want);
		UNIT_INT(c->name, n, c->n);
		buf_free(&out);
	}
	{
		struct buf out;

		buf_init(&out);
		UNIT_INT("qualify NULL domain", addr_qualify_list(&out, "a", 1,
		    NULL), 0);
		UNIT_STR("qualify NULL domain", buf_cstr(&out), "a");
		buf_free(&out);
	}
}

int
main(void)
{
	test_list();
	test_list_append();
	test_list_big();
	test_envelope();
	test_envelope_total();
	test_helpers();
	test_rewrite();
	test_qualify();
	return unit_done("addr");
}
