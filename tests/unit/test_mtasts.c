/*
 * test_mtasts: the pure parts of MTA-STS (RFC 8461): TXT records (3.1),
 * policy text (3.2, with its limits at and past them) and MX patterns
 * (4.1).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mtasts_parse.h"
#include "unit.h"

int	main(void);

struct txt_case {
	const char	*name;
	const char	*rec[3];	/* NULL-terminated */
	const char	*want;		/* "FOUND id", "NONE", "INVALID" */
};

static const struct txt_case txt_cases[] = {
	{ "plain", { "v=STSv1; id=20160831085700Z;", NULL },
	    "FOUND 20160831085700Z" },
	{ "no final ;", { "v=STSv1; id=abc", NULL }, "FOUND abc" },
	{ "no spaces", { "v=STSv1;id=abc;", NULL }, "FOUND abc" },
	{ "tabs", { "v=STSv1\t;\tid=abc\t;\t", NULL }, "FOUND abc" },
	{ "extension ignored", { "v=STSv1; ext_a.b-c=x!y; id=Q1", NULL },
	    "FOUND Q1" },
	{ "other TXT ignored", { "v=spf1 -all", "v=STSv1; id=a1", NULL },
	    "FOUND a1" },
	{ "none", { "v=spf1 -all", NULL }, "NONE" },
	{ "no records", { NULL }, "NONE" },
	{ "other version ignored", { "v=STSv10; id=a", NULL }, "NONE" },
	{ "two records", { "v=STSv1; id=a", "v=STSv1; id=b", NULL },
	    "INVALID" },
	{ "no id", { "v=STSv1;", NULL }, "INVALID" },
	{ "id too long", { "v=STSv1; id=123456789012345678901234567890123",
	    NULL }, "INVALID" },
	{ "id at 32", { "v=STSv1; id=12345678901234567890123456789012",
	    NULL }, "FOUND 12345678901234567890123456789012" },
	{ "id not alnum", { "v=STSv1; id=a-b", NULL }, "INVALID" },
	{ "two ids", { "v=STSv1; id=a; id=b", NULL }, "INVALID" },
	{ "empty value", { "v=STSv1; id=", NULL }, "INVALID" },
	{ "garbage", { "v=STSv1; id=a b", NULL }, "INVALID" },
	{ "v not first", { "id=a; v=STSv1", NULL }, "NONE" },
};

struct pol_case {
	const char	*name, *text, *want;
};

#define OKP "version: STSv1\nmode: enforce\nmax_age: 86400\n"

static const struct pol_case pol_cases[] = {
	{ "enforce", OKP "mx: mail.example.com\nmx: *.example.net\n",
	    "enforce 86400 mail.example.com *.example.net" },
	{ "CRLF and blanks", "version: STSv1\r\nmode:testing  \r\n"
	    "max_age:\t604800\r\nmx:  MX.Example.ORG\r\n",
	    "testing 604800 mx.example.org" },
	{ "none needs no mx", "version: STSv1\nmode: none\nmax_age: 0",
	    "none 0" },
	{ "unknown key ignored", OKP "mx: a.b\nfoo: bar\n",
	    "enforce 86400 a.b" },
	{ "blank lines", "\n" OKP "\nmx: a.b\n\n", "enforce 86400 a.b" },
	{ "no mx", OKP, "ERR no mx" },
	{ "no version", "mode: enforce\nmax_age: 1\nmx: a.b",
	    "ERR no version" },
	{ "bad version", "version: STSv2\nmode: enforce\nmax_age: 1\nmx: a",
	    "ERR version is not STSv1" },
	{ "no mode", "version: STSv1\nmax_age: 1\nmx: a", "ERR no mode" },
	{ "bad mode", "version: STSv1\nmode: Enforce\nmax_age: 1\nmx: a",
	    "ERR mode is not enforce, testing or none" },
	{ "no max_age", "version: STSv1\nmode: enforce\nmx: a",
	    "ERR no max_age" },
	{ "max_age at the limit", "version: STSv1\nmode: none\n"
	    "max_age: 31557600", "none 31557600" },
	{ "max_age past the limit: the limit", "version: STSv1\nmode: none\n"
	    "max_age: 31557601", "none 31557600" },
	{ "max_age 10 digits: the limit", "version: STSv1\nmode: none\n"
	    "max_age: 9999999999", "none 31557600" },
	{ "max_age 11 digits", "version: STSv1\nmode: none\n"
	    "max_age: 00000000001", "ERR bad max_age" },
	{ "max_age negative", "version: STSv1\nmode: none\nmax_age: -1",
	    "ERR bad max_age" },
	{ "bad mx", OKP "mx: a..b", "ERR bad mx pattern" },
	{ "bad mx star", OKP "mx: *", "ERR bad mx pattern" },
	{ "mx inner star", OKP "mx: a.*.b", "ERR bad mx pattern" },
	{ "line without colon", OKP "mx a.b", "ERR a line without a colon" },
};

struct mx_case {
	const char	*pattern, *host;
	bool		 want;
};

static const struct mx_case mx_cases[] = {
	{ "mail.example.com", "mail.example.com", true },
	{ "mail.example.com", "MAIL.example.COM.", true },
	{ "mail.example.com", "mail.example.org", false },
	{ "*.example.net", "mx1.example.net", true },
	{ "*.example.net", "mx1.example.net.", true },
	{ "*.example.net", "example.net", false },
	{ "*.example.net", "a.b.example.net", false },
	{ "*.example.net", ".example.net", false },
	{ "*.example.net", "mx1.example.org", false },
	{ "*.example.net", "xexample.net", false },
};

struct http_case {
	const char	*name, *resp, *want;	/* body or "ERR reason" */
};

#define TP "Content-Type: text/plain\r\n"

static const struct http_case http_cases[] = {
	{ "200", "HTTP/1.0 200 OK\r\n" TP "\r\nversion: STSv1\n",
	    "version: STSv1\n" },
	{ "LF only, 1.1", "HTTP/1.1 200 OK\n" TP "\nbody", "body" },
	{ "no reason phrase", "HTTP/1.1 200\r\n" TP "\r\nx", "x" },
	{ "charset", "HTTP/1.0 200 OK\r\nContent-type: TEXT/PLAIN; "
	    "charset=utf-8\r\n\r\nx", "x" },
	{ "Content-Length cuts", "HTTP/1.0 200 OK\r\n" TP
	    "Content-Length: 3\r\n\r\nabcdef", "abc" },
	{ "Content-Length too long", "HTTP/1.0 200 OK\r\n" TP
	    "Content-Length: 30\r\n\r\nabc",
	    "ERR the policy is shorter than its Content-Length" },
	{ "Content-Length bad", "HTTP/1.0 200 OK\r\n" TP
	    "Content-Length: 3x\r\n\r\nabc", "ERR bad Content-Length" },
	{ "redirect", "HTTP/1.0 301 Moved\r\nLocation: https://x/\r\n\r\n",
	    "ERR the HTTP reply is not 200" },
	{ "404", "HTTP/1.0 404 Not Found\r\n\r\n",
	    "ERR the HTTP reply is not 200" },
	{ "2000", "HTTP/1.0 2000 OK\r\n" TP "\r\nx",
	    "ERR the HTTP reply is not 200" },
	{ "not HTTP", "SMTP/1.0 200 OK\r\n" TP "\r\nx",
	    "ERR the HTTP reply is not 200" },
	{ "html", "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nx",
	    "ERR the policy is not text/plain" },
	{ "text/plainx", "HTTP/1.0 200 OK\r\nContent-Type: text/plainx\r\n"
	    "\r\nx", "ERR the policy is not text/plain" },
	{ "no type", "HTTP/1.0 200 OK\r\n\r\nx",
	    "ERR the policy is not text/plain" },
	{ "chunked", "HTTP/1.1 200 OK\r\n" TP "Transfer-Encoding: chunked"
	    "\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	    "ERR a Transfer-Encoding in an HTTP/1.0 reply" },
	{ "no end of header", "HTTP/1.0 200 OK\r\n" TP,
	    "ERR no end of the HTTP header" },
	{ "empty", "", "ERR no end of the HTTP header" },
};

struct cache_case {
	const char	*name, *text, *want;	/* "id fetched policy" or ERR */
};

static const struct cache_case cache_cases[] = {
	{ "good", "MINIMTA-STS 1\nid A1\nfetched 1700000000\n\nmode: x\n",
	    "A1 1700000000 mode: x\n" },
	{ "empty policy", "MINIMTA-STS 1\nid A1\nfetched 0\n\n", "A1 0 " },
	{ "other version", "MINIMTA-STS 2\nid A1\nfetched 1\n\nx", "ERR" },
	{ "bad id", "MINIMTA-STS 1\nid A-1\nfetched 1\n\nx", "ERR" },
	{ "empty id", "MINIMTA-STS 1\nid \nfetched 1\n\nx", "ERR" },
	{ "long id", "MINIMTA-STS 1\nid 123456789012345678901234567890123\n"
	    "fetched 1\n\nx", "ERR" },
	{ "no fetched", "MINIMTA-STS 1\nid A\n\nx", "ERR" },
	{ "bad fetched", "MINIMTA-STS 1\nid A\nfetched x\n\nx", "ERR" },
	{ "huge fetched", "MINIMTA-STS 1\nid A\nfetched 1234567890123\n\n",
	    "ERR" },
	{ "no blank line", "MINIMTA-STS 1\nid A\nfetched 1\nx", "ERR" },
	{ "truncated", "MINIMTA-STS 1\nid A", "ERR" },
};

static void
check_http(void)
{
	const char *body, *err;
	struct buf b;
	size_t i, blen;

	buf_init(&b);
	for (i = 0; i < sizeof(http_cases) / sizeof(http_cases[0]); i++) {
		const struct http_case *c = &http_cases[i];

		buf_reset(&b);
		if (mtasts_http_body(c->resp, strlen(c->resp), &body, &blen,
		    &err) == -1)
			buf_printf(&b, "ERR %s", err);
		else
			buf_add(&b, body, blen);
		UNIT_STR(c->name, buf_cstr(&b), c->want);
	}
	for (i = 0; i < sizeof(cache_cases) / sizeof(cache_cases[0]); i++) {
		const struct cache_case *c = &cache_cases[i];
		char id[MTASTS_ID_MAX + 1];
		long long t;

		buf_reset(&b);
		if (mtasts_cache_parse(c->text, strlen(c->text), id, &t,
		    &body, &blen) == -1) {
			buf_adds(&b, "ERR");
		} else {
			buf_printf(&b, "%s %lld ", id, t);
			buf_add(&b, body, blen);
		}
		UNIT_STR(c->name, buf_cstr(&b), c->want);
	}
	buf_free(&b);
}

static void
check_txt(void)
{
	char id[MTASTS_ID_MAX + 1];
	size_t i, n, len[3];
	struct buf b;

	buf_init(&b);
	for (i = 0; i < sizeof(txt_cases) / sizeof(txt_cases[0]); i++) {
		const struct txt_case *c = &txt_cases[i];
		enum mtasts_txt r;

		for (n = 0; c->rec[n] != NULL; n++)
			len[n] = strlen(c->rec[n]);
		r = mtasts_txt_parse(c->rec, len, n, id);
		buf_reset(&b);
		if (r == MTASTS_TXT_FOUND)
			buf_printf(&b, "FOUND %s", id);
		else
			buf_adds(&b, r == MTASTS_TXT_NONE ? "NONE" :
			    "INVALID");
		UNIT_STR(c->name, buf_cstr(&b), c->want);
	}
	buf_free(&b);
}

static void
check_policy(void)
{
	static const char *const modes[] = { "none", "testing", "enforce" };
	struct mtasts_policy p;
	const char *err;
	struct buf b;
	char *big;
	size_t i, j;

	buf_init(&b);
	for (i = 0; i < sizeof(pol_cases) / sizeof(pol_cases[0]); i++) {
		const struct pol_case *c = &pol_cases[i];

		buf_reset(&b);
		if (mtasts_policy_parse(c->text, strlen(c->text), &p,
		    &err) == -1) {
			buf_printf(&b, "ERR %s", err);
		} else {
			buf_printf(&b, "%s %ld", modes[p.mode], p.max_age);
			for (j = 0; j < p.nmx; j++)
				buf_printf(&b, " %s", p.mx[j]);
		}
		mtasts_policy_free(&p);
		UNIT_STR(c->name, buf_cstr(&b), c->want);
	}
	/* MTASTS_POLICY_MAX: at the limit parsed, past it refused */
	big = calloc(1, MTASTS_POLICY_MAX + 2);
	memcpy(big, OKP "mx: a.b\n", strlen(OKP "mx: a.b\n"));
	memset(big + strlen(big), '\n', MTASTS_POLICY_MAX - strlen(big));
	UNIT_INT("at MTASTS_POLICY_MAX", mtasts_policy_parse(big,
	    MTASTS_POLICY_MAX, &p, &err), 0);
	mtasts_policy_free(&p);
	big[MTASTS_POLICY_MAX] = '\n';
	UNIT_INT("past MTASTS_POLICY_MAX", mtasts_policy_parse(big,
	    MTASTS_POLICY_MAX + 1, &p, &err), -1);
	mtasts_policy_free(&p);
	free(big);
	/* MTASTS_MX_MAX kept, the rest ignored */
	buf_reset(&b);
	buf_adds(&b, OKP);
	for (i = 0; i < MTASTS_MX_MAX + 3; i++)
		buf_printf(&b, "mx: m%zu.example\n", i);
	UNIT_INT("many mx", mtasts_policy_parse(b.data, b.len, &p, &err), 0);
	UNIT_INT("MTASTS_MX_MAX kept", p.nmx, MTASTS_MX_MAX);
	UNIT_CHECK("first kept", p.nmx > 0 && strcmp(p.mx[0],
	    "m0.example") == 0, "mx[0]");
	UNIT_CHECK("allows kept", mtasts_policy_allows(&p, "m31.example"),
	    "m31");
	UNIT_CHECK("past the limit", !mtasts_policy_allows(&p,
	    "m32.example"), "m32");
	mtasts_policy_free(&p);
	buf_free(&b);
	UNIT_INT("NUL refused", mtasts_policy_parse("version: STSv1\0", 15,
	    &p, &err), -1);
	mtasts_policy_free(&p);
}

int
main(void)
{
	size_t i;

	check_txt();
	check_policy();
	check_http();
	for (i = 0; i < sizeof(mx_cases) / sizeof(mx_cases[0]); i++)
		UNIT_INT(mx_cases[i].host, mtasts_mx_match(mx_cases[i].pattern,
		    mx_cases[i].host), mx_cases[i].want);
	return unit_done("mtasts");
}
