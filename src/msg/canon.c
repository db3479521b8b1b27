#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "canon.h"

/* lf_lines() is worth a call when the next CR or NUL is farther */
#define CANON_LF_RUN	256

enum {
	HDR_LINE_START,
	HDR_NAME,
	HDR_NAME_WSP,		/* obs-field: WSP between name and colon */
	HDR_VALUE,
};

void
canon_init(struct canon *c, bool dot_ends, bool unstuff)
{
	/* the data starts after the DATA command's line end */
	*c = (struct canon){ .dot_ends = dot_ends, .unstuff = unstuff,
	    .in_header = true, .strip_from_ = !unstuff, .eol_crlf = true };
}

/*
 * Header block tracking (RFC 5322 2.2), by exactly the rule of
 * header_block_end() (header.c), which submit.c uses on what we give it:
 * a line is a field ("name:", WSP allowed before the colon as in
 * obs-field), a continuation (starts with WSP, after a field) or, as in
 * Postfix, the start of the body. The two must agree, or a header block
 * could be cut inside a line and a Bcc: end up in the body.
 */
static void
track_header(struct canon *c, unsigned char ch)
{
	bool wsp = ch == ' ' || ch == '\t';

	switch (c->hdr_state) {
	case HDR_LINE_START:
		if (wsp && c->seen_field)
			c->hdr_state = HDR_VALUE;
		else if (ch > 32 && ch < 127 && ch != ':')
			c->hdr_state = HDR_NAME;
		else
			c->in_header = false;
		break;
	case HDR_NAME:
	case HDR_NAME_WSP:
		if (ch == ':') {
			c->hdr_state = HDR_VALUE;
			c->seen_field = true;
		} else if (wsp) {
			c->hdr_state = HDR_NAME_WSP;
		} else if (c->hdr_state == HDR_NAME_WSP || ch < 33 ||
		    ch > 126) {
			c->in_header = false;
		}
		/* body: broken like body */
		if (c->col >= CANON_LINE_MAX && c->hdr_state != HDR_VALUE)
			c->in_header = false;
		break;
	default:
		break;
	}
}

/* One byte out; the buffer stays NUL-terminated (buf.h). */
static inline void
put(struct buf *out, char ch)
{
	if (out->len + 2 > out->cap)
		buf_reserve(out, 1);
	out->data[out->len++] = ch;
	out->data[out->len] = '\0';
}

static bool
has_8bit(const char *p, size_t n)
{
	uint64_t acc = 0, w[4];
	size_t i = 0;

	/* 32 bytes a step: this runs over every byte of a message */
	for (; i + 32 <= n; i += 32) {
		memcpy(w, p + i, 32);
		acc |= w[0] | w[1] | w[2] | w[3];
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(w, p + i, 8);
		acc |= w[0];
	}
	for (; i < n; i++)
		acc |= (unsigned char)p[i];
	return (acc & 0x8080808080808080u) != 0;
}

/* A run of input bytes out as they are. */
static void
put_run(struct canon *c, const char *p, size_t n, struct buf *out)
{
	if (n == 0)
		return;
	if (!c->body_8bit && has_8bit(p, n))
		c->body_8bit = true;
	buf_add(out, p, n);
}

static void
emit(struct canon *c, unsigned char ch, struct buf *out)
{
	if (c->in_header)
		track_header(c, ch);
	if (!c->in_header && c->col >= CANON_LINE_MAX) {
		put(out, '\n');
		c->col = 0;
		c->lines_broken++;
		c->lines++;
	}
	if (ch >= 0x80)
		c->body_8bit = true;
	put(out, (char)ch);
	c->col++;
}

/* The state a line end leaves (the LF itself is the caller's). */
static void
line_ended(struct canon *c, bool crlf)
{
	if (c->in_header && c->col == 0)
		c->in_header = false;	/* the empty separator line */
	if (c->in_header && (c->hdr_state == HDR_NAME ||
	    c->hdr_state == HDR_NAME_WSP))
		c->in_header = false;	/* a name without a colon: body */
	c->col = 0;
	c->hdr_state = HDR_LINE_START;
	c->eol_crlf = crlf;
	c->lines++;
}

static void
end_line(struct canon *c, bool crlf, struct buf *out)
{
	line_ended(c, crlf);
	put(out, '\n');
}

size_t
canon_header_pending(const struct canon *c)
{
	if (!c->in_header || c->hdr_state == HDR_VALUE)
		return 0;
	return c->col;
}

static const char canon_from_[] = "From ";

/*
 * The mbox "From " line: matched byte by byte across chunks; on a
 * mismatch the bytes held so far are replayed as ordinary input.
 */
static size_t
strip_from_line(struct canon *c, const char *in, size_t n, struct buf *out)
{
	size_t i = 0;
	int held;

	for (; i < n && c->from_state >= 0; i++) {
		if (c->from_state == (int)sizeof(canon_from_) - 1) {
			if (in[i] == '\n')
				c->from_state = -1;	/* dropped */
			continue;
		}
		if (in[i] == canon_from_[c->from_state]) {
			c->from_state++;
			continue;
		}
		held = c->from_state;
		c->from_state = -1;
		c->strip_from_ = false;
		(void)canon_feed(c, canon_from_, (size_t)held, out);
		return i;
	}
	if (c->from_state < 0)
		c->strip_from_ = false;
	return i;
}

/* One byte by the rules, for what the fast path leaves (see fast()). */
static void
step(struct canon *c, unsigned char ch, struct buf *out)
{
	bool was_dot = c->pend_dot;	/* ch follows a leading dot */
	bool after_cr = c->pend_cr;

	if (c->pend_cr) {
		c->pend_cr = false;
		if (ch != '\n') {
			if (c->pend_dot) {
				c->pend_dot = false;
				if (!c->unstuff)
					emit(c, '.', out);
			}
			emit(c, ' ', out);	/* bare CR */
		}
	}
	if (c->pend_dot && ch != '\n' && ch != '\r') {
		c->pend_dot = false;
		if (!c->unstuff)
			emit(c, '.', out);
	}
	switch (ch) {
	case '\r':
		c->pend_cr = true;
		break;
	case '\n':
		if (c->pend_dot) {
			c->pend_dot = false;
			if (c->dot_ends && (!c->crlf_end ||
			    (after_cr && c->dot_after_crlf))) {
				c->done = true;
				break;
			}
			emit(c, '.', out);
		}
		end_line(c, after_cr, out);
		break;
	case '.':
		if (c->col == 0 && c->dot_ends && !was_dot) {
			c->pend_dot = true;
			c->dot_after_crlf = c->eol_crlf;
			break;
		}
		emit(c, ch, out);
		break;
	case '\0':
		emit(c, ' ', out);
		break;
	default:
		emit(c, ch, out);
		break;
	}
}

/* Body bytes of one line, broken every CANON_LINE_MAX as emit() does. */
static void
put_broken(struct canon *c, const char *p, size_t n, struct buf *out)
{
	size_t k;

	while (n > 0) {
		if (c->col >= CANON_LINE_MAX) {
			put(out, '\n');
			c->col = 0;
			c->lines_broken++;
			c->lines++;
		}
		k = CANON_LINE_MAX - c->col;
		if (k > n)
			k = n;
		put_run(c, p, k, out);
		c->col += k;
		p += k;
		n -= k;
	}
}

/* Where the next ch is in in[from..n), or n. */
static size_t
next_at(const char *in, size_t from, size_t n, char ch)
{
	const char *p = memchr(in + from, ch, n - from);

	return p != NULL ? (size_t)(p - in) : n;
}

/* The next LF, CR and NUL in the chunk, found once each (fast()). */
struct canon_scan {
	size_t	 lf, cr, nul;
	size_t	*direct;	/* canon_feed_direct(): not taken yet */
	size_t	 out0;		/* out's length when the feed began */
};

/*
 * The run in[span..i) out: for canon_feed_direct(), the run that starts
 * both the input and the output of this feed stays where it is.
 */
static void
put_span(struct canon *c, const char *in, size_t span, size_t i,
    struct canon_scan *sc, struct buf *out)
{
	if (sc->direct != NULL && span == 0 && out->len == sc->out0) {
		if (!c->body_8bit && has_8bit(in, i))
			c->body_8bit = true;
		*sc->direct = i;
		sc->direct = NULL;
		return;
	}
	put_run(c, in + span, i - span, out);
}

/*
 * The body's common case, inside fast(): lines that end in LF before end
 * (the next CR or NUL), no longer than CANON_LINE_MAX; only their ends
 * are looked at, and nothing is copied (the caller's run goes on).
 * Stops before a line that starts with a dot (dot_ends) or is too long.
 */
static size_t
lf_lines(struct canon *c, const char *in, size_t i, size_t end)
{
	const char *p;
	size_t col = c->col, lines = 0;

	while (i < end && (p = memchr(in + i, '\n', end - i)) != NULL &&
	    col + (size_t)(p - (in + i)) <= CANON_LINE_MAX) {
		lines++;
		col = 0;
		i = (size_t)(p - in) + 1;
		if (c->dot_ends && i < end && in[i] == '.')
			break;
	}
	if (lines > 0) {
		c->col = 0;
		c->lines += lines;
		c->hdr_state = HDR_LINE_START;
		c->eol_crlf = false;
	}
	return i;
}

/*
 * The fast path, from a state with nothing pending (no CR, no dot, and
 * in the body or in a header field's value, where no byte changes the
 * header tracking): runs of ordinary bytes are found with memchr and go
 * out in one copy, across lines while the output equals the input (LF
 * lines; CRLF lines lose their CR), so the work per byte is a few scans
 * of memory, never a call. It stops, for step(), at what needs the byte
 * rules: a CR not followed by LF in this chunk (a bare CR, or one at the
 * chunk's end), a NUL, a dot that starts a line (dot_ends) and the start
 * of a header line. Returns the offset where it stopped.
 */
static size_t
fast(struct canon *c, const char *in, size_t i, size_t n,
    struct canon_scan *sc, struct buf *out)
{
	size_t span = i, stop;
	bool crlf;

	while (i < n) {
		if (c->col == 0 && c->dot_ends && in[i] == '.')
			break;
		if (sc->cr < i)
			sc->cr = next_at(in, i, n, '\r');
		if (sc->nul < i)
			sc->nul = next_at(in, i, n, '\0');
		/* LF lines up to the next CR or NUL, if it is not on this
		 * line already (as in CRLF text, which goes on below) */
		stop = sc->cr < sc->nul ? sc->cr : sc->nul;
		if (!c->in_header && stop - i > CANON_LF_RUN &&
		    (stop = lf_lines(c, in, i, stop)) > i) {
			i = stop;
			continue;
		}
		if (sc->lf < i)
			sc->lf = next_at(in, i, n, '\n');
		stop = sc->lf < sc->cr ? sc->lf : sc->cr;
		if (sc->nul < stop)
			stop = sc->nul;
		if (!c->in_header && c->col + (stop - i) > CANON_LINE_MAX) {
			put_span(c, in, span, i, sc, out);
			put_broken(c, in + i, stop - i, out);
			span = stop;
		} else {
			c->col += stop - i;
		}
		i = stop;
		if (i == n || in[i] == '\0')
			break;
		crlf = in[i] == '\r';
		if (crlf) {
			if (i + 1 == n || in[i + 1] != '\n')
				break;
			put_span(c, in, span, i, sc, out);
			span = ++i;	/* the CR goes; the LF stays */
		}
		line_ended(c, crlf);
		i++;
		if (c->in_header)
			break;		/* a new line: a name to track */
	}
	put_span(c, in, span, i, sc, out);
	return i;
}

size_t
canon_feed(struct canon *c, const char *in, size_t n, struct buf *out)
{
	return canon_feed_direct(c, in, n, out, NULL);
}

size_t
canon_feed_direct(struct canon *c, const char *in, size_t n,
    struct buf *out, size_t *direct)
{
	struct canon_scan sc;
	size_t i = 0;

	if (direct != NULL)
		*direct = 0;
	sc.direct = direct;
	sc.out0 = out->len;

	if (c->strip_from_) {
		i = strip_from_line(c, in, n, out);
		if (c->strip_from_)
			return i;	/* all of it was (part of) "From ..." */
	}
	if (i == n)
		return i;
	buf_reserve(out, n + n / 8 + 4);
	sc.lf = next_at(in, i, n, '\n');
	sc.cr = next_at(in, i, n, '\r');
	sc.nul = next_at(in, i, n, '\0');
	while (i < n && !c->done) {
		if (!c->pend_cr && !c->pend_dot && (!c->in_header ||
		    c->hdr_state == HDR_VALUE)) {
			i = fast(c, in, i, n, &sc, out);
			if (i == n)
				break;
		}
		step(c, (unsigned char)in[i], out);
		i++;
	}
	return i;
}

void
canon_finish(struct canon *c, struct buf *out)
{
	if (c->strip_from_ && c->from_state > 0 &&
	    c->from_state < (int)sizeof(canon_from_) - 1) {
		int held = c->from_state;

		c->strip_from_ = false;
		(void)canon_feed(c, canon_from_, (size_t)held, out);
	}
	if (c->done)
		return;
	if (c->pend_dot) {
		c->pend_dot = false;
		emit(c, '.', out);
	}
	if (c->pend_cr) {
		c->pend_cr = false;
		emit(c, ' ', out);
	}
	if (c->col > 0)
		end_line(c, c->eol_crlf, out);
}
