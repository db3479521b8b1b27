/*
 * test_header: table tests of the header block splitter, -t recipients,
 * folding and the Date:/Message-ID:/From: writers, then the golden cases
 * in tests/data/header (or argv[1]): NAME.in is the start of a message,
 * NAME.rcpts the -t recipients, one per line, or "ERROR: text" when
 * header_recipients must fail with a reason containing text; where
 * NAME.qualified is there, it is the header block as a local submission
 * rewrites it with domain example.org (Bcc: removed, address fields
 * through submit_rewrite_field, the rest through header_write_folded).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "header.h"
#include "submit.h"
#include "unit.h"
#include "why.h"

int	main(int, char **);

static const struct end_case {
	const char	*name;
	const char	*in;
	size_t		 len, end;	/* header_block_len, _end */
} end_cases[] = {
	{ "blank line", "A: b\n\nbody\n", 5, 6 },
	{ "blank line crlf", "A: b\r\n\r\nbody\r\n", 6, 8 },
	{ "continuation", "A: b\n c\nD: e\n\nx", 13, 14 },
	{ "no body", "A: b\nC: d\n", 10, 10 },
	{ "no final lf", "A: b", 4, 4 },
	{ "empty message", "", 0, 0 },
	{ "only body", "\nbody", 0, 1 },
	{ "mbox From line", "From x@y Sun Nov 22\nA: b\n\n", 0, 0 },
	{ "leading continuation", " x\nA: b\n\n", 0, 0 },
	{ "non-header line", "A: b\nnot a header\n\nmore", 5, 5 },
	{ "obs space before colon", "Subject : x\n\nb", 12, 13 },
	{ "empty name", ":x\n", 0, 0 },
	{ "space in name", "A b: c\n", 0, 0 },
	{ "control in name", "A\001: c\n", 0, 0 },
	{ "8bit name", "A\xc3\xa9: c\n", 0, 0 },
	{ "blank with cr", "A: b\n\r\nbody", 5, 7 },
	{ "name only no colon", "Subject\n\n", 0, 0 },
};

static void
test_block_end(void)
{
	size_t i;

	for (i = 0; i < sizeof(end_cases) / sizeof(end_cases[0]); i++) {
		const struct end_case *c = &end_cases[i];

		UNIT_INT(c->name, header_block_len(c->in, strlen(c->in)),
		    c->len);
		UNIT_INT(c->name, header_block_end(c->in, strlen(c->in)),
		    c->end);
	}
}

/* want: "name=[value]" per field, joined by "|"; or a reason substring
 * when res is not HEADER_OK. */
static const struct parse_case {
	const char	*name;
	const char	*in;
	size_t		 max;
	enum header_result res;
	const char	*want;
} parse_cases[] = {
	{ "one", "Subject: hi\n", 10, HEADER_OK, "Subject=[ hi]" },
	{ "two", "A: 1\nB:2\n", 10, HEADER_OK, "A=[ 1]|B=[2]" },
	{ "continuation", "Subject: a\n b\n\tc\nTo: x\n", 10, HEADER_OK,
	    "Subject=[ a\n b\n\tc]|To=[ x]" },
	{ "crlf", "Subject: a\r\n b\r\nTo: x\r\n", 10, HEADER_OK,
	    "Subject=[ a\r\n b]|To=[ x]" },
	{ "no final lf", "A: 1\nB: 2", 10, HEADER_OK, "A=[ 1]|B=[ 2]" },
	{ "empty value", "X-Empty:\n", 10, HEADER_OK, "X-Empty=[]" },
	{ "obs wsp before colon", "Subject \t: x\n", 10, HEADER_OK,
	    "Subject=[ x]" },
	{ "colon in value", "A: b: c\n", 10, HEADER_OK, "A=[ b: c]" },
	{ "empty block", "", 10, HEADER_OK, "" },
	{ "at max", "A: 1\nB: 2\nC: 3\n", 3, HEADER_OK,
	    "A=[ 1]|B=[ 2]|C=[ 3]" },
	{ "past max", "A: 1\nB: 2\nC: 3\nD: 4\n", 3, HEADER_TOO_BIG,
	    "more than 3 header fields" },
	{ "bad first line", "not a header\nA: b\n", 10, HEADER_BAD,
	    "line 1: not a header field" },
	{ "bad third line", "A: b\nB: c\nfoo bar\n", 10, HEADER_BAD,
	    "line 3: not a header field" },
	{ "first line continuation", " x\nA: b\n", 10, HEADER_BAD,
	    "line 1: continuation line without a field" },
	{ "empty line", "A: b\n\nB: c\n", 10, HEADER_BAD,
	    "line 2: empty line" },
	{ "mbox From", "From a@b Sun Nov 22\n", 10, HEADER_BAD,
	    "line 1: not a header field" },
};

static void
test_parse(void)
{
	size_t i, k;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct header_list hl;
		struct why why;
		struct buf got;
		enum header_result r;
		size_t len = strlen(c->in), total = 0;

		header_list_init(&hl);
		buf_init(&got);
		why.text[0] = '\0';
		r = header_parse(c->in, len, c->max, &hl, &why);
		UNIT_INT(c->name, r, c->res);
		if (r != HEADER_OK) {
			UNIT_CHECK(c->name, strstr(why.text, c->want) != NULL,
			    "reason \"%s\", want \"%s\"", why.text, c->want);
			UNIT_INT(c->name, hl.n, 0);
			goto next;
		}
		for (k = 0; k < hl.n; k++) {
			const struct header *h = &hl.v[k];

			if (k > 0)
				buf_addc(&got, '|');
			buf_printf(&got, "%.*s=[%.*s]", (int)h->name_len,
			    h->name, (int)h->value_len, h->value);
			/* fields tile the block */
			UNIT_CHECK(c->name, h->field == c->in + total,
			    "field %zu not where the previous ended", k);
			total += h->field_len;
		}
		UNIT_STR(c->name, buf_cstr(&got), c->want);
		UNIT_INT(c->name, total, len);
next:
		buf_free(&got);
		header_list_free(&hl);
	}
}

static void
test_find(void)
{
	const char *blk = "From: a@b\nbcc: x@y\nSubject: s\nRESENT-BCC: z\n"
	    "Bccx: no\n";
	struct header_list hl;
	const struct header *h;
	struct why why;

	header_list_init(&hl);
	UNIT_INT("find parse", header_parse(blk, strlen(blk), 10, &hl, &why),
	    HEADER_OK);
	h = header_find(&hl, "SUBJECT");
	UNIT_CHECK("find subject", h == &hl.v[2], "not found");
	UNIT_CHECK("find none", header_find(&hl, "To") == NULL, "found");
	UNIT_CHECK("name_is", header_name_is(&hl.v[0], "from"), "false");
	UNIT_CHECK("name_is prefix", !header_name_is(&hl.v[0], "Fro"),
	    "true");
	UNIT_CHECK("bcc lower", header_is_bcc(&hl.v[1]), "false");
	UNIT_CHECK("bcc subject", !header_is_bcc(&hl.v[2]), "true");
	UNIT_CHECK("resent-bcc", header_is_bcc(&hl.v[3]), "false");
	UNIT_CHECK("bccx", !header_is_bcc(&hl.v[4]), "true");
	UNIT_CHECK("from not bcc", !header_is_bcc(&hl.v[0]), "true");
	header_list_free(&hl);
}

/* want: recipients joined by "|", or a reason substring. */
static const struct rcpt_case {
	const char	*name;
	const char	*in;
	size_t		 max;
	enum addr_result res;
	const char	*want;
} rcpt_cases[] = {
	{ "to cc bcc", "To: a@x\nCc: b@x\nBcc: c@x\nFrom: f@x\n", 10,
	    ADDR_OK, "a@x|b@x|c@x" },
	{ "resent wins", "To: a@x\nResent-To: r@x\nCc: b@x\n"
	    "Resent-Bcc: rb@x\n", 10, ADDR_OK, "r@x|rb@x" },
	{ "resent-cc alone wins", "To: a@x\nResent-Cc: rc@x\n", 10,
	    ADDR_OK, "rc@x" },
	{ "resent-from does not switch", "To: a@x\nResent-From: f@x\n", 10,
	    ADDR_OK, "a@x" },
	{ "none", "Subject: x\n", 10, ADDR_OK, "" },
	{ "case", "TO: a@x\ncc : b@x\n", 10, ADDR_OK, "a@x|b@x" },
	{ "at max", "To: a@x, b@x\nCc: c@x\n", 3, ADDR_OK, "a@x|b@x|c@x" },
	{ "past max across fields", "To: a@x, b@x\nCc: c@x\n", 2,
	    ADDR_TOO_MANY, "Cc: more than 2" },
	{ "bad field named", "To: a@x\nCc: \"oops\n", 10, ADDR_BAD,
	    "Cc: unterminated quoted string at offset 1" },
	{ "bad from ignored", "From: \"oops\nTo: a@x\n", 10, ADDR_OK,
	    "a@x" },
};

static void
test_recipients(void)
{
	size_t i, k;

	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		const struct rcpt_case *c = &rcpt_cases[i];
		struct header_list hl;
		struct addr_list al;
		struct why why;
		struct buf got;
		enum addr_result r;

		header_list_init(&hl);
		addr_list_init(&al);
		buf_init(&got);
		why.text[0] = '\0';
		UNIT_INT(c->name, header_parse(c->in, strlen(c->in), 100, &hl,
		    &why), HEADER_OK);
		r = header_recipients(&hl, c->max, &al, &why);
		UNIT_INT(c->name, r, c->res);
		if (r != ADDR_OK) {
			UNIT_CHECK(c->name, strstr(why.text, c->want) != NULL,
			    "reason \"%s\", want \"%s\"", why.text, c->want);
			UNIT_INT(c->name, al.n, 0);
		} else {
			for (k = 0; k < al.n; k++) {
				if (k > 0)
					buf_addc(&got, '|');
				buf_adds(&got, al.v[k]);
			}
			UNIT_STR(c->name, buf_cstr(&got), c->want);
		}
		buf_free(&got);
		addr_list_free(&al);
		header_list_free(&hl);
	}
}

/* Every line ends in LF, is at most 998 octets and is not empty; every
 * line after the first starts with WSP. */
static void
check_lines(const char *name, const struct buf *b)
{
	size_t i, start = 0, longest = 0;
	bool ok = true;

	UNIT_CHECK(name, b->len > 0 && b->data[b->len - 1] == '\n',
	    "output does not end in LF");
	for (i = 0; i < b->len; i++) {
		if (b->data[i] != '\n')
			continue;
		if (i - start > longest)
			longest = i - start;
		if (i == start || (start > 0 && b->data[start] != ' ' &&
		    b->data[start] != '\t'))
			ok = false;
		start = i + 1;
	}
	UNIT_CHECK(name, longest <= HEADER_LINE_MAX, "a line of %zu octets",
	    longest);
	UNIT_CHECK(name, ok, "empty line or line without leading WSP");
}

/* Removes every LF; with drop_sp also the SP after it. */
static void
unfold(struct buf *out, const struct buf *in, bool drop_sp)
{
	size_t i;

	for (i = 0; i < in->len; i++) {
		if (in->data[i] != '\n')
			buf_addc(out, in->data[i]);
		else if (drop_sp && i + 1 < in->len && in->data[i + 1] == ' ')
			i++;
	}
}

static void
test_fold(void)
{
	struct buf in, out, un;
	size_t i, lines;

	/* 3000 octets with spaces: folds at WSP, unfolds to the original. */
	buf_init(&in);
	buf_init(&out);
	buf_init(&un);
	buf_adds(&in, "X-Long:");
	for (i = 0; in.len < 3000; i++)
		buf_printf(&in, " w%zu%s", i, i % 7 == 0 ? "abcdefghij" : "");
	buf_free(&out);
	header_write_folded(&out, in.data, in.len);
	check_lines("fold spaces", &out);
	for (i = 0, lines = 0; i < out.len; i++)
		lines += out.data[i] == '\n';
	UNIT_INT("fold spaces lines", lines, 4);
	unfold(&un, &out, false);
	UNIT_STR("fold spaces unfold", buf_cstr(&un), buf_cstr(&in));

	/* 3000 octets without WSP: broken with LF SP. */
	buf_reset(&in);
	buf_reset(&out);
	buf_reset(&un);
	buf_adds(&in, "X-Long:");
	while (in.len < 3000)
		buf_addc(&in, (char)('a' + in.len % 26));
	header_write_folded(&out, in.data, in.len);
	check_lines("fold nospace", &out);
	UNIT_CHECK("fold nospace first full", out.data[998] == '\n',
	    "first line is not 998 octets");
	unfold(&un, &out, true);
	UNIT_STR("fold nospace unfold", buf_cstr(&un), buf_cstr(&in));

	/* A list without WSP: broken after a comma, so every address
	 * stays whole (qualified header addresses can make it long). */
	buf_reset(&in);
	buf_reset(&out);
	buf_reset(&un);
	buf_adds(&in, "To:");
	for (i = 0; in.len < 3000; i++)
		buf_printf(&in, "%su%zu@example.org", i ? "," : "", i);
	header_write_folded(&out, in.data, in.len);
	check_lines("fold commas", &out);
	for (i = 1; i < out.len; i++)
		if (out.data[i] == '\n' && i + 1 < out.len)
			UNIT_CHECK("fold commas after comma",
			    out.data[i - 1] == ',', "break at %zu", i);
	unfold(&un, &out, true);
	UNIT_STR("fold commas unfold", buf_cstr(&un), buf_cstr(&in));

	/* UTF-8 without WSP: never broken inside a character. */
	buf_reset(&in);
	buf_reset(&out);
	buf_adds(&in, "Subject:");
	while (in.len < 3000)
		buf_adds(&in, "\xe2\x82\xac");		/* U+20AC */
	header_write_folded(&out, in.data, in.len);
	check_lines("fold utf8", &out);
	for (i = 1; i < out.len; i++)
		if (out.data[i - 1] == '\n' && out.data[i] == ' ' &&
		    i + 1 < out.len)
			UNIT_CHECK("fold utf8 boundary",
			    ((unsigned char)out.data[i + 1] & 0xc0) != 0x80,
			    "continuation byte at %zu", i + 1);
	/* UTF-8 does not split before the last line break: len check. */
	buf_reset(&un);
	unfold(&un, &out, true);
	UNIT_STR("fold utf8 unfold", buf_cstr(&un), buf_cstr(&in));

	/* Short fields: kept, CRLF made LF, LF added, bare lines fixed. */
	buf_reset(&out);
	header_write_folded(&out, "A: b\r\n c\r\n", 10);
	UNIT_STR("fold short crlf", buf_cstr(&out), "A: b\n c\n");
	buf_reset(&out);
	header_write_folded(&out, "A: b", 4);
	UNIT_STR("fold adds lf", buf_cstr(&out), "A: b\n");
	buf_reset(&out);
	header_write_folded(&out, "A: b\nBcc: x\n\nz", 14);
	UNIT_STR("fold injection", buf_cstr(&out), "A: b\n Bcc: x\n z\n");

	/* Exactly 998 octets stays on one line; 999 does not. */
	buf_reset(&in);
	buf_reset(&out);
	buf_adds(&in, "X:");
	while (in.len < 998)
		buf_addc(&in, in.len % 10 == 0 ? ' ' : 'x');
	header_write_folded(&out, in.data, in.len);
	UNIT_INT("fold 998", out.len, 999);
	buf_addc(&in, 'y');
	buf_reset(&out);
	header_write_folded(&out, in.data, in.len);
	check_lines("fold 999", &out);
	UNIT_CHECK("fold 999 folded", out.len == 1001, "len %zu", out.len);
	buf_free(&in);
	buf_free(&out);
	buf_free(&un);
}

static const struct from_case {
	const char	*name, *full, *want;
} from_cases[] = {
	{ "no name", NULL, "u@x.org" },
	{ "empty name", "", "u@x.org" },
	{ "blank name", "  ", "u@x.org" },
	{ "atoms", "John Doe", "John Doe <u@x.org>" },
	{ "comma quoted", "Doe, John", "\"Doe, John\" <u@x.org>" },
	{ "dot quoted", "J. Doe", "\"J. Doe\" <u@x.org>" },
	{ "quote escaped", "The \"Boss\" \\o/",
	    "\"The \\\"Boss\\\" \\\\o/\" <u@x.org>" },
	{ "parens quoted", "Cron (daily)", "\"Cron (daily)\" <u@x.org>" },
	{ "newline removed", "Evil\nBcc: x@y", "\"Evil Bcc: x@y\" <u@x.org>" },
	{ "utf8 encoded", "J\xc3\xb6rg", "=?UTF-8?B?SsO2cmc=?= <u@x.org>" },
	{ "utf8 with comma", "M\xc3\xbcller, J",
	    "=?UTF-8?B?TcO8bGxlciwgSg==?= <u@x.org>" },
	/* 20 x U+20AC = 60 octets: 15 per word, whole characters. */
	{ "utf8 long split",
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
	    "=?UTF-8?B?4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs4oKs"
	    "4oKs4oKs?= =?UTF-8?B?4oKs4oKs4oKs4oKs4oKs?= <u@x.org>" },
};

static void
test_from(void)
{
	size_t i;

	for (i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		const struct from_case *c = &from_cases[i];
		struct buf out;

		buf_init(&out);
		header_from_value(&out, c->full, "u@x.org");
		UNIT_STR(c->name, buf_cstr(&out), c->want);
		buf_free(&out);
	}
}

static const struct date_case {
	const char	*tz;
	time_t		 t;
	const char	*want;
} date_cases[] = {
	{ "UTC0", 1795319372, "Sun, 22 Nov 2026 03:49:32 +0000" },
	{ "EST5EDT,M3.2.0,M11.1.0", 1783207800,
	    "Sat, 04 Jul 2026 19:30:00 -0400" },
	{ "IST-5:30", 1709164805, "Thu, 29 Feb 2024 05:30:05 +0530" },
	{ "NST3:30", 1709164805, "Wed, 28 Feb 2024 20:30:05 -0330" },
};

static void
test_date(void)
{
	size_t i;

	for (i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		const struct date_case *c = &date_cases[i];
		struct buf out;

		buf_init(&out);
		(void)setenv("TZ", c->tz, 1);
		tzset();
		header_date(&out, c->t);
		UNIT_STR(c->tz, buf_cstr(&out), c->want);
		buf_free(&out);
	}
	(void)unsetenv("TZ");
	tzset();
}

static void
test_message_id(void)
{
	struct buf a, b, c;
	struct addr_list l;
	struct why why;

	buf_init(&a);
	buf_init(&b);
	buf_init(&c);
	header_message_id(&a, "mail.example.org");
	header_message_id(&b, "mail.example.org");
	header_message_id(&c, "bad host>");
	UNIT_CHECK("msgid shape", a.len > 20 && a.data[0] == '<' &&
	    strstr(a.data, "@mail.example.org>") == a.data + a.len - 18,
	    "got %s", buf_cstr(&a));
	UNIT_CHECK("msgid unique", strcmp(buf_cstr(&a), buf_cstr(&b)) != 0,
	    "two equal ids %s", buf_cstr(&a));
	UNIT_CHECK("msgid bad host", strstr(buf_cstr(&c), "@localhost>") !=
	    NULL, "got %s", buf_cstr(&c));
	/* id-left and id-right are dot-atoms: the id parses as an angle
	 * address. */
	addr_list_init(&l);
	UNIT_INT("msgid parses", addr_parse_list(a.data, a.len, 2, &l, &why),
	    ADDR_OK);
	UNIT_INT("msgid one", l.n, 1);
	addr_list_free(&l);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
}

static const struct af_case {
	const char	*field;
	bool		 want;
} af_cases[] = {
	{ "From: a\n", true }, { "to: a\n", true }, { "CC: a\n", true },
	{ "Sender: a\n", true }, { "Reply-To: a\n", true },
	{ "Resent-From: a\n", true }, { "resent-to: a\n", true },
	{ "Resent-Cc: a\n", true }, { "Resent-Sender: a\n", true },
	{ "Resent-Reply-To: a\n", true }, { "Errors-To: a\n", true },
	{ "Return-Receipt-To: a\n", true },
	{ "Disposition-Notification-To: a\n", true },
	{ "Mail-Followup-To: a\n", true }, { "Mail-Reply-To: a\n", true },
	{ "From : a\n", true },
	{ "Bcc: a\n", false }, { "Resent-Bcc: a\n", false },
	{ "Subject: a\n", false }, { "Resent-: a\n", false },
	{ "Resent-Date: a\n", false }, { "Resent-Message-ID: a\n", false },
	{ "X-To: a\n", false }, { "Tox: a\n", false },
	{ "Delivered-To: a\n", false }, { "X-Original-To: a\n", false },
	{ "Message-ID: a\n", false }, { "In-Reply-To: a\n", false },
};

/* header_scan: Received: fields counted, fed whole and byte by byte. */
static const struct scan_case {
	const char	*name, *in;
	size_t		 count;
	bool		 ended;		/* the header block ended in it */
} scan_cases[] = {
	{ "none", "Subject: x\n\nReceived: body\n", 0, true },
	{ "three", "Received: a\nReceived: b\n c\nreceived: c\n\nb\n", 3,
	    true },
	{ "obs wsp", "Received \t: a\n", 1, false },
	{ "longer name", "ReceivedX: a\nX-Received: b\nReceive: c\n", 0,
	    false },
	{ "no final lf", "Received: a\nReceived:", 2, false },
	{ "non-field ends", "Received: a\nnot a field\nReceived: b\n", 1,
	    true },
	{ "leading continuation", " Received: a\nReceived: b\n", 0, true },
	{ "mbox line", "From x\nReceived: b\n", 0, true },
	{ "crlf empty line", "Received: a\n\r\nReceived: b\n", 1, true },
	{ "empty", "", 0, false },
	{ "name then lf", "Received\nReceived: b\n", 0, true },
	{ "8-bit name", "Rec\xc3\xa9ived: a\nReceived: b\n", 0, true },
};

static void
test_scan(void)
{
	struct header_scan hs;
	size_t i, k;
	bool more;

	for (i = 0; i < sizeof(scan_cases) / sizeof(scan_cases[0]); i++) {
		const struct scan_case *c = &scan_cases[i];
		size_t n = strlen(c->in);

		header_scan_init(&hs, "Received");
		more = header_scan_feed(&hs, c->in, n);
		UNIT_INT(c->name, hs.count, c->count);
		UNIT_INT(c->name, !more, c->ended);
		header_scan_init(&hs, "Received");
		for (k = 0; k < n && header_scan_feed(&hs, c->in + k, 1); k++)
			continue;
		UNIT_INT(c->name, hs.count, c->count);
	}
}

static void
test_address_field(void)
{
	struct header_list hl;
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(af_cases) / sizeof(af_cases[0]); i++) {
		const struct af_case *c = &af_cases[i];

		header_list_init(&hl);
		UNIT_INT(c->field, header_parse(c->field, strlen(c->field), 2,
		    &hl, &why), HEADER_OK);
		if (hl.n == 1)
			UNIT_INT(c->field, header_is_address_field(&hl.v[0]),
			    c->want);
		header_list_free(&hl);
	}
}

static void
test_rewrite(void)
{
	struct buf out;
	const char *v = " Cron Daemon <root@host.local> (cron)";

	buf_init(&out);
	UNIT_INT("rewrite n", header_rewrite_address(&out, v, strlen(v),
	    "root@HOST.local", "cron@example.org"), 1);
	UNIT_STR("rewrite", buf_cstr(&out),
	    " Cron Daemon <cron@example.org> (cron)");
	buf_free(&out);
}

static char *
read_file(const char *path, size_t *len)
{
	struct buf b;
	char chunk[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	buf_add(&b, "", 0);	/* NUL-terminated even when empty */
	return buf_release(&b);
}

/* NAME.qualified, when there is one (see the top). */
static void
golden_qualified(const char *dir, const char *base,
    const struct header_list *hl)
{
	struct buf path, got;
	char *want;
	size_t wantlen, i;

	buf_init(&path);
	buf_init(&got);
	buf_printf(&path, "%s/%s.qualified", dir, base);
	want = read_file(buf_cstr(&path), &wantlen);
	if (want == NULL)
		goto out;
	for (i = 0; i < hl->n; i++) {
		const struct header *h = &hl->v[i];

		if (header_is_bcc(h))
			continue;
		if (header_is_address_field(h))
			submit_rewrite_field(&got, h, NULL, NULL, NULL,
			    "example.org");
		else
			header_write_folded(&got, h->field, h->field_len);
	}
	UNIT_CHECK(buf_cstr(&path), got.len == wantlen &&
	    memcmp(got.data ? got.data : "", want, wantlen) == 0,
	    "got:\n%s\nwant:\n%s", buf_cstr(&got), want);
out:
	free(want);
	buf_free(&path);
	buf_free(&got);
}

static void
golden_one(const char *dir, const char *base)
{
	struct header_list hl;
	struct addr_list al;
	struct why why;
	struct buf path, got;
	char *in, *want;
	size_t inlen, wantlen, k;
	enum addr_result r;

	buf_init(&path);
	buf_init(&got);
	buf_printf(&path, "%s/%s.in", dir, base);
	in = read_file(buf_cstr(&path), &inlen);
	buf_reset(&path);
	buf_printf(&path, "%s/%s.rcpts", dir, base);
	want = read_file(buf_cstr(&path), &wantlen);
	UNIT_CHECK(base, in != NULL && want != NULL, "missing %s",
	    buf_cstr(&path));
	if (in == NULL || want == NULL)
		goto out;
	header_list_init(&hl);
	addr_list_init(&al);
	why.text[0] = '\0';
	if (header_parse(in, header_block_len(in, inlen), 1000, &hl, &why) ==
	    HEADER_OK)
		golden_qualified(dir, base, &hl);
	else
		buf_printf(&got, "ERROR: %s\n", why.text);
	if (got.len > 0) {
		/* the header parse failed */
	} else if ((r = header_recipients(&hl, 1000, &al, &why)) != ADDR_OK) {
		buf_printf(&got, "ERROR: %s\n", why.text);
	} else {
		for (k = 0; k < al.n; k++)
			buf_printf(&got, "%s%s\n", addr_list_noalias(&al, k) ?
			    "\\" : "", al.v[k]);
	}
	if (strncmp(want, "ERROR: ", 7) == 0) {
		want[strcspn(want, "\n")] = '\0';
		UNIT_CHECK(base, strncmp(buf_cstr(&got), "ERROR: ", 7) == 0 &&
		    strstr(buf_cstr(&got), want + 7) != NULL,
		    "got \"%s\", want \"%s\"", buf_cstr(&got), want);
	} else
		UNIT_STR(base, buf_cstr(&got), want);
	addr_list_free(&al);
	header_list_free(&hl);
out:
	free(in);
	free(want);
	buf_free(&path);
	buf_free(&got);
}

static void
test_golden(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	UNIT_CHECK("golden dir", d != NULL, "cannot open %s", dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *base;

		if (len < 4 || strcmp(de->d_name + len - 3, ".in") != 0)
			continue;
		base = strndup(de->d_name, len - 3);
		if (base == NULL)
			continue;
		golden_one(dir, base);
		free(base);
		n++;
	}
	closedir(d);
	UNIT_CHECK("golden count", n >= 8, "only %zu golden cases in %s", n,
	    dir);
}

int
main(int argc, char **argv)
{
	test_block_end();
	test_parse();
	test_find();
	test_recipients();
	test_fold();
	test_from();
	test_date();
	test_message_id();
	test_rewrite();
	test_address_field();
	test_scan();
	test_golden(argc > 1 ? argv[1] : "tests/data/header");
	return unit_done("header");
}
