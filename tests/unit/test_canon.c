/*
 * test_canon: the stored-message canonicalizer (canon.h). Every case is
 * fed whole, split at every offset, and one byte at a time; all three
 * must give the same output, the same count of bytes used and the same
 * flags.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "unit.h"

int	main(void);

struct canon_case {
	const char	*name;
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	bool		 dot_ends, unstuff;
	const char	*want;
	size_t		 want_used;	/* 0: all of it */
	bool		 want_done, want_8bit, want_in_header;
};

static const struct canon_case cases[] = {
	{ "lf", "a\nb\n", 0, false, false, "a\nb\n", 0, false, false, false },
	{ "crlf", "a\r\nb\r\n", 0, false, false, "a\nb\n", 0, false, false,
	    false },
	{ "mixed line ends", "a\r\nb\nc\r\n", 0, false, false, "a\nb\nc\n",
	    0, false, false, false },
	{ "no final newline", "a", 0, false, false, "a\n", 0, false, false,
	    false },
	{ "empty input", "", 0, false, false, "", 0, false, false, true },
	{ "bare cr inside", "a\rb\n", 0, false, false, "a b\n", 0, false,
	    false, false },
	{ "bare cr at end of input", "a\r", 0, false, false, "a \n", 0,
	    false, false, false },
	{ "cr cr lf", "a\r\r\n", 0, false, false, "a \n", 0, false, false,
	    false },
	{ "nul", "a\0b\n", 4, false, false, "a b\n", 0, false, false, false },
	{ "nul cr nul", "\n\0\r\0\n", 5, false, false, "\n   \n", 0, false,
	    false, false },
	{ "dot ends (lf)", "a\n.\nb\n", 0, true, false, "a\n", 4, true,
	    false, false },
	{ "dot ends (crlf)", "a\r\n.\r\nb\r\n", 0, true, false, "a\n", 6,
	    true, false, false },
	{ "dot kept with -i", "a\n.\nb\n", 0, false, false, "a\n.\nb\n", 0,
	    false, false, false },
	{ "two dots not a terminator", "a\n..\nb\n", 0, true, false,
	    "a\n..\nb\n", 0, false, false, false },
	{ "dot text", "a\n.x\n", 0, true, false, "a\n.x\n", 0, false, false,
	    false },
	{ "dot at end of input without newline", "a\n.", 0, true, false,
	    "a\n.\n", 0, false, false, false },
	{ "dot then bare cr", "a\n.\rx\n", 0, true, false, "a\n. x\n", 0,
	    false, false, false },
	{ "dot first line", ".\n", 0, true, false, "", 2, true, false, true },
	{ "dot not at line start", "a.\n", 0, true, false, "a.\n", 0, false,
	    false, false },
	{ "unstuff", "..x\r\n.y\r\n.\r\n", 0, true, true, ".x\ny\n", 12,
	    true, false, false },
	{ "unstuff keeps second dot", "...\r\n.\r\n", 0, true, true, "..\n",
	    8, true, false, false },
	{ "8-bit body", "\n\xc3\xa9\n", 0, false, false, "\n\xc3\xa9\n", 0,
	    false, true, false },
	{ "header continues", "A: b\n c\n", 0, false, false, "A: b\n c\n",
	    0, false, false, true },
	{ "empty line ends header", "A: b\n\nc\n", 0, false, false,
	    "A: b\n\nc\n", 0, false, false, false },
	{ "non-field line ends header", "A: b\nnot a field\n", 0, false,
	    false, "A: b\nnot a field\n", 0, false, false, false },
	{ "name without colon ends header", "Abc\n", 0, false, false,
	    "Abc\n", 0, false, false, false },
};

struct result {
	struct buf	out;
	size_t		used;
	struct canon	c;
};

static void
feed_split(const struct canon_case *k, size_t len, size_t step,
    size_t first, struct result *r)
{
	size_t off = 0, n;

	buf_init(&r->out);
	r->used = 0;
	canon_init(&r->c, k->dot_ends, k->unstuff);
	if (first > 0) {
		n = canon_feed(&r->c, k->in, first, &r->out);
		r->used += n;
		off = first;
	}
	while (off < len && !r->c.done) {
		size_t chunk = step == 0 || len - off < step ? len - off : step;

		n = canon_feed(&r->c, k->in + off, chunk, &r->out);
		r->used += n;
		off += chunk;
	}
	canon_finish(&r->c, &r->out);
}

static void
check(const char *name, const struct canon_case *k, size_t len,
    struct result *r)
{
	char *got = strndup(r->out.data ? r->out.data : "", r->out.len);

	UNIT_STR(name, got, k->want);
	UNIT_INT(name, r->used, k->want_used ? k->want_used : len);
	UNIT_INT(name, r->c.done, k->want_done);
	UNIT_INT(name, r->c.body_8bit, k->want_8bit);
	if (!k->want_done)
		UNIT_INT(name, r->c.in_header, k->want_in_header);
	free(got);
	buf_free(&r->out);
}

static void
test_cases(void)
{
	char name[128];
	struct result r;
	size_t i, split;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct canon_case *k = &cases[i];
		size_t len = k->len ? k->len : strlen(k->in);

		feed_split(k, len, 0, 0, &r);
		check(k->name, k, len, &r);
		for (split = 1; split < len; split++) {
			(void)snprintf(name, sizeof(name), "%s (split at %zu)",
			    k->name, split);
			feed_split(k, len, 0, split, &r);
			check(name, k, len, &r);
		}
		(void)snprintf(name, sizeof(name), "%s (bytewise)", k->name);
		feed_split(k, len, 1, 0, &r);
		check(name, k, len, &r);
	}
}

/* Body lines are broken at CANON_LINE_MAX, header lines are not. */
static void
test_long_lines(void)
{
	size_t sizes[] = { 997, 998, 999, 1996, 1997, 3000 };
	struct buf in, out;
	struct canon c;
	size_t i, j, col, maxcol, lines;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[64];

		buf_init(&in);
		buf_init(&out);
		buf_adds(&in, "\n");
		for (j = 0; j < sizes[i]; j++)
			buf_addc(&in, 'x');
		buf_adds(&in, "\r\n");
		canon_init(&c, true, false);
		/* fed in odd chunks, so breaks fall across chunk ends */
		for (j = 0; j < in.len; j += 333)
			(void)canon_feed(&c, in.data + j, in.len - j < 333 ?
			    in.len - j : 333, &out);
		canon_finish(&c, &out);
		col = maxcol = lines = 0;
		for (j = 1; j < out.len; j++) {
			if (out.data[j] == '\n') {
				lines++;
				col = 0;
			} else if (++col > maxcol) {
				maxcol = col;
			}
		}
		(void)snprintf(name, sizeof(name), "body line of %zu",
		    sizes[i]);
		UNIT_INT(name, maxcol, sizes[i] < CANON_LINE_MAX ? sizes[i] :
		    CANON_LINE_MAX);
		UNIT_INT(name, lines, (sizes[i] + CANON_LINE_MAX - 1) /
		    CANON_LINE_MAX);
		UNIT_INT(name, out.len, 1 + sizes[i] + lines);
		UNIT_INT(name, c.lines_broken, lines - 1);
		buf_free(&in);
		buf_free(&out);
	}

	/* a long header line is left for the header folder */
	buf_init(&in);
	buf_init(&out);
	buf_adds(&in, "Subject: ");
	for (j = 0; j < 1500; j++)
		buf_addc(&in, 'y');
	buf_adds(&in, "\n\n");
	canon_init(&c, false, false);
	(void)canon_feed(&c, in.data, in.len, &out);
	canon_finish(&c, &out);
	UNIT_INT("long header line untouched", out.len, in.len);
	UNIT_INT("long header line: no break", c.lines_broken, 0);
	buf_free(&in);
	buf_free(&out);
}

/*
 * SMTP DATA from a client that speaks CRLF: only <CRLF>.<CRLF> ends it; a
 * dot line next to a bare LF is text (SMTP smuggling). Fed one byte at a
 * time and whole, with the same verdict.
 */
static void
test_crlf_end(void)
{
	static const struct {
		const char	*name, *in, *want;
		bool		 done;
	} v[] = {
		{ "crlf dot crlf ends", "a\r\n.\r\nMAIL", "a\n", true },
		{ "lf dot lf is text", "a\n.\nMAIL\r\n", "a\n.\nMAIL\n",
		    false },
		{ "lf dot crlf is text", "a\n.\r\nb\r\n", "a\n.\nb\n", false },
		{ "crlf dot lf is text", "a\r\n.\nb\r\n", "a\n.\nb\n", false },
		{ "first line dot crlf ends", ".\r\n", "", true },
		{ "text then the real end", "a\n.\nb\r\n.\r\nX", "a\n.\nb\n",
		    true },
	};
	size_t i, j, step;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (step = 1; step <= strlen(v[i].in); step += strlen(v[i].in)
		    - 1) {
			struct canon c;
			struct buf out;
			size_t n = strlen(v[i].in);

			buf_init(&out);
			canon_init(&c, true, true);
			c.crlf_end = true;
			for (j = 0; j < n && !c.done; j += step)
				(void)canon_feed(&c, v[i].in + j, n - j < step ?
				    n - j : step, &out);
			if (!c.done)
				canon_finish(&c, &out);
			buf_addc(&out, '\0');
			UNIT_STR(v[i].name, out.data, v[i].want);
			UNIT_INT(v[i].name, c.done, v[i].done);
			buf_free(&out);
		}
	}
}

/* canon_header_pending: the bytes of a line that may still be body. */
static void
test_header_pending(void)
{
	static const struct {
		const char	*name, *in;
		size_t		 want;
	} t[] = {
		{ "pending: line start", "A: b\n", 0 },
		{ "pending: name so far", "A: b\nSubj", 4 },
		{ "pending: name and wsp", "A: b\nSubj ", 5 },
		{ "pending: value", "A: b\nSubject: x", 0 },
		{ "pending: continuation", "A: b\n more", 0 },
		{ "pending: body", "A: b\n\nbody", 0 },
	};
	struct canon c;
	struct buf out;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&out);
		canon_init(&c, false, false);
		(void)canon_feed(&c, t[i].in, strlen(t[i].in), &out);
		UNIT_INT(t[i].name, canon_header_pending(&c), t[i].want);
		buf_free(&out);
	}
}

int
main(void)
{
	test_cases();
	test_long_lines();
	test_crlf_end();
	test_header_pending();
	return unit_done("canon");
}
