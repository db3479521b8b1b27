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
	/*
	 * The fast path (runs of lines copied at once) meets the byte rules
	 * here; every case is also split at each offset, so a CR, a dot
	 * line or a NUL falls on a chunk's edge in every way.
	 */
	{ "lf run", "A: b\n\nl1\nl2\nl3\n", 0, false, false,
	    "A: b\n\nl1\nl2\nl3\n", 0, false, false, false },
	{ "crlf run", "A: b\r\n\r\nl1\r\nl2\r\nl3\r\n", 0, false, false,
	    "A: b\n\nl1\nl2\nl3\n", 0, false, false, false },
	{ "crlf run ends in a bare cr", "\nab\r\ncd\r", 0, false, false,
	    "\nab\ncd \n", 0, false, false, false },
	{ "nul and bare cr inside a run", "\nab\0cd\nef\rgh\nij\n", 16,
	    false, false, "\nab cd\nef gh\nij\n", 0, false, false, false },
	{ "cr cr lf in a run", "\nab\r\r\ncd\n", 0, false, false,
	    "\nab \ncd\n", 0, false, false, false },
	{ "dot lines inside a run", "\na\n.b\n..\nc\n.\nd\n", 0, true,
	    false, "\na\n.b\n..\nc\n", 13, true, false, false },
	{ "dot line after crlf run", "\na\r\nb\r\n.\r\nc\r\n", 0, true,
	    false, "\na\nb\n", 10, true, false, false },
	{ "dot then crlf is not a dot line", "\na\r\n.\r\r\nb\n", 0, true,
	    false, "\na\n. \nb\n", 0, false, false, false },
	{ "dot in a line is text", "\nx.\ny\n", 0, true, false,
	    "\nx.\ny\n", 0, false, false, false },
	{ "header values, then a name", "Subject: hi\r\nX-A: b\r\n\r\nc\n",
	    0, false, false, "Subject: hi\nX-A: b\n\nc\n", 0, false,
	    false, false },
	{ "header value with nul and cr", "Subject: a\0b\rc\n\nd\n", 18,
	    false, false, "Subject: a b c\n\nd\n", 0, false, false,
	    false },
	{ "8-bit in a header value", "Subject: \xc3\xa9\n\nb\n", 0, false,
	    false, "Subject: \xc3\xa9\n\nb\n", 0, false, true, false },
	{ "8-bit after an ascii run", "\nabcdefghijklmnopq\xff\n", 0, false,
	    false, "\nabcdefghijklmnopq\xff\n", 0, false, true, false },
	{ "8-bit only in a dropped From line", "From \xff\nA: b\n\nc\n",
	    0, false, false, "A: b\n\nc\n", 0, false, false, false },
	{ "From line then a run", "From x\r\nA: b\r\n\r\nc\r\nd\r\n", 0,
	    false, false, "A: b\n\nc\nd\n", 0, false, false, false },
	{ "unstuff in a run", "\r\n..a\r\nb\r\n.\r\n", 0, true, true,
	    "\n.a\nb\n", 13, true, false, false },
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

/* in, fed in chunks of step bytes (0: whole), or split once at split */
static void
feed_edges(const struct buf *in, bool dot_ends, size_t step, size_t split,
    struct buf *out, struct canon *c, size_t *used)
{
	size_t off = 0, k;

	buf_init(out);
	canon_init(c, dot_ends, false);
	*used = 0;
	while (off < in->len && !c->done) {
		k = in->len - off;
		if (step > 0 && k > step)
			k = step;
		if (split > 0 && off < split && k > split - off)
			k = split - off;
		*used += canon_feed(c, in->data + off, k, out);
		off += k;
	}
	canon_finish(c, out);
}

/*
 * Long lines at chunk edges: a break at CANON_LINE_MAX next to a CR, a
 * NUL, a dot or a chunk's end, fed whole, in chunks around the line
 * limit, one byte at a time and split at every offset.
 */
static void
test_chunk_edges(void)
{
	static const struct {
		const char	*name;
		size_t		 xs;	/* 'x' bytes after "\n" */
		const char	*tail, *want_tail;
		size_t		 tail_len;	/* 0: strlen(tail) */
		bool		 dot_ends, done;
		size_t		 broken, unused;
	} t[] = {
		/* 998 octets fill a line; the dot starts the next one
		 * after the break and is text, not a dot line */
		{ "dot after a break", 998, ".\r\n.\r\nrest", "\n.\n",
		    0, true, true, 1, 4 },
		{ "bare cr is the 998th octet", 997, "\r\r\n", " \n", 0,
		    false, false, 0, 0 },
		{ "bare cr is the 999th octet", 998, "\ra\r\n", "\n a\n",
		    0, false, false, 1, 0 },
		{ "crlf right at the limit", 998, "\r\n.\r\n", "\n", 0,
		    true, true, 0, 0 },
		{ "nul after a full line", 998, "\0y\n", "\n y\n", 3,
		    false, false, 1, 0 },
		{ "two breaks in one line", 1996, "z\n", "\nz\n", 0,
		    false, false, 2, 0 },
		{ "line of 1996 then a dot line", 1996, "\n.\nz", "\n", 0,
		    true, true, 1, 1 },
	};
	static const size_t steps[] = { 0, 1, 2, 3, 997, 998, 999, 1000,
	    1001, 4096 };
	struct buf in, want, out;
	struct canon c;
	char name[128];
	size_t i, j, s, used, x;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&in);
		buf_init(&want);
		buf_addc(&in, '\n');
		buf_addc(&want, '\n');
		for (j = 0; j < t[i].xs; j++) {
			buf_addc(&in, 'x');
			if (j > 0 && j % CANON_LINE_MAX == 0)
				buf_addc(&want, '\n');
			buf_addc(&want, 'x');
		}
		buf_add(&in, t[i].tail, t[i].tail_len ? t[i].tail_len :
		    strlen(t[i].tail));
		buf_adds(&want, t[i].want_tail);
		for (s = 0; s < sizeof(steps) / sizeof(steps[0]) + in.len;
		    s++) {
			bool by_step = s < sizeof(steps) / sizeof(steps[0]);
			size_t split = by_step ? 0 : s - 10;

			if (!by_step && split == 0)
				continue;
			feed_edges(&in, t[i].dot_ends, by_step ? steps[s] : 0,
			    split, &out, &c, &used);
			(void)snprintf(name, sizeof(name), "%s (%s %zu)",
			    t[i].name, by_step ? "step" : "split",
			    by_step ? steps[s] : split);
			x = out.len == want.len && memcmp(out.data, want.data,
			    want.len) == 0;
			UNIT_CHECK(name, x, "got %zu bytes, want %zu",
			    out.len, want.len);
			UNIT_INT(name, c.done, t[i].done);
			UNIT_INT(name, used, in.len - t[i].unused);
			UNIT_INT(name, c.lines_broken, t[i].broken);
			UNIT_INT(name, c.body_8bit, false);
			buf_free(&out);
		}
		buf_free(&in);
		buf_free(&want);
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
	test_chunk_edges();
	test_crlf_end();
	test_header_pending();
	return unit_done("canon");
}
