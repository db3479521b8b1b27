/*
 * fuzz_canon: canon_feed/canon_finish over arbitrary bytes with each
 * combination of dot_ends, unstuff and crlf_end, against a reference
 * model written here: the canonicalizer as it was before its fast path,
 * one byte at a time, with the same rules (canon.h). The input is fed to
 * canon in chunks of random sizes (the first two bytes seed them: runs
 * of lines, CRs and dots then fall on chunk edges in every way) and to
 * the model byte by byte; at every chunk edge the two must agree on the
 * output so far, the bytes used, the flags and canon_header_pending()
 * (submit.c bounds the header by it after each read), and canon's count
 * of LFs must match its output. Half the chunks go through
 * canon_feed_direct(): the bytes it left in place, then what it wrote.
 * Invariants (abort when broken): the stored form has no CR and no NUL,
 * ends with LF (when not empty), and has no body line over
 * CANON_LINE_MAX.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* ---- the reference model: one byte at a time, nothing clever ---- */

enum { R_START, R_NAME, R_NAME_WSP, R_VALUE };

struct ref {
	bool	dot_ends, unstuff, crlf_end;
	bool	done, in_header, body_8bit, pend_cr, pend_dot;
	bool	eol_crlf, dot_after_crlf, seen_field;
	int	hdr_state;
	int	from_state;	/* bytes of "From " matched; -1 done */
	size_t	col, lines_broken;
};

static void
ref_init(struct ref *r, bool dot_ends, bool unstuff, bool crlf_end)
{
	*r = (struct ref){ .dot_ends = dot_ends, .unstuff = unstuff,
	    .crlf_end = crlf_end, .in_header = true, .eol_crlf = true,
	    .from_state = unstuff ? -1 : 0 };
}

static void
ref_emit(struct ref *r, unsigned char ch, struct buf *out)
{
	bool wsp = ch == ' ' || ch == '\t';

	if (r->in_header) {
		if (r->hdr_state == R_START) {
			if (wsp && r->seen_field)
				r->hdr_state = R_VALUE;
			else if (ch > 32 && ch < 127 && ch != ':')
				r->hdr_state = R_NAME;
			else
				r->in_header = false;
		} else if (r->hdr_state != R_VALUE) {
			if (ch == ':') {
				r->hdr_state = R_VALUE;
				r->seen_field = true;
			} else if (wsp) {
				r->hdr_state = R_NAME_WSP;
			} else if (r->hdr_state == R_NAME_WSP || ch < 33 ||
			    ch > 126) {
				r->in_header = false;
			}
			if (r->col >= CANON_LINE_MAX &&
			    r->hdr_state != R_VALUE)
				r->in_header = false;
		}
	}
	if (!r->in_header && r->col >= CANON_LINE_MAX) {
		buf_addc(out, '\n');
		r->col = 0;
		r->lines_broken++;
	}
	if (ch >= 0x80)
		r->body_8bit = true;
	buf_addc(out, (char)ch);
	r->col++;
}

static void
ref_end_line(struct ref *r, struct buf *out)
{
	if (r->in_header && (r->col == 0 || r->hdr_state == R_NAME ||
	    r->hdr_state == R_NAME_WSP))
		r->in_header = false;
	buf_addc(out, '\n');
	r->col = 0;
	r->hdr_state = R_START;
}

static void ref_byte(struct ref *, unsigned char, struct buf *);

/* The mbox "From " line; a mismatch replays the bytes held. */
static bool
ref_from(struct ref *r, unsigned char ch, struct buf *out)
{
	static const char from_[] = "From ";
	int held, k;

	if (r->from_state < 0)
		return false;
	if (r->from_state == 5) {
		if (ch == '\n')
			r->from_state = -1;
		return true;
	}
	if (ch == (unsigned char)from_[r->from_state]) {
		r->from_state++;
		return true;
	}
	held = r->from_state;
	r->from_state = -1;
	for (k = 0; k < held; k++)
		ref_byte(r, (unsigned char)from_[k], out);
	return false;
}

static void
ref_byte(struct ref *r, unsigned char ch, struct buf *out)
{
	bool was_dot = r->pend_dot, after_cr = r->pend_cr;

	if (r->done || ref_from(r, ch, out))
		return;
	if (r->pend_cr) {
		r->pend_cr = false;
		if (ch != '\n') {
			if (r->pend_dot) {
				r->pend_dot = false;
				if (!r->unstuff)
					ref_emit(r, '.', out);
			}
			ref_emit(r, ' ', out);
		}
	}
	if (r->pend_dot && ch != '\n' && ch != '\r') {
		r->pend_dot = false;
		if (!r->unstuff)
			ref_emit(r, '.', out);
	}
	if (ch == '\r') {
		r->pend_cr = true;
	} else if (ch == '\n') {
		if (r->pend_dot) {
			r->pend_dot = false;
			if (r->dot_ends && (!r->crlf_end ||
			    (after_cr && r->dot_after_crlf))) {
				r->done = true;
				return;
			}
			ref_emit(r, '.', out);
		}
		ref_end_line(r, out);
		r->eol_crlf = after_cr;
	} else if (ch == '.' && r->col == 0 && r->dot_ends && !was_dot) {
		r->pend_dot = true;
		r->dot_after_crlf = r->eol_crlf;
	} else {
		ref_emit(r, ch == '\0' ? ' ' : ch, out);
	}
}

static void
ref_finish(struct ref *r, struct buf *out)
{
	static const char from_[] = "From ";
	int held = r->from_state, k;

	if (held > 0 && held < 5) {
		r->from_state = -1;
		for (k = 0; k < held; k++)
			ref_byte(r, (unsigned char)from_[k], out);
	}
	if (r->done)
		return;
	if (r->pend_dot) {
		r->pend_dot = false;
		ref_emit(r, '.', out);
	}
	if (r->pend_cr) {
		r->pend_cr = false;
		ref_emit(r, ' ', out);
	}
	if (r->col > 0)
		ref_end_line(r, out);
}

static size_t
ref_header_pending(const struct ref *r)
{
	return !r->in_header || r->hdr_state == R_VALUE ? 0 : r->col;
}

/* ---- the comparison ---- */

static uint32_t
next_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A chunk size: mostly small, sometimes around a line's limit, or big. */
static size_t
chunk_size(uint32_t *s)
{
	uint32_t r = next_rand(s);

	switch (r % 4) {
	case 0:
		return 1 + (r >> 2) % 3;
	case 1:
		return 1 + (r >> 2) % 64;
	case 2:
		return CANON_LINE_MAX - 2 + (r >> 2) % 5;
	default:
		return 1 + (r >> 2) % 4096;
	}
}

static void
same(const struct canon *c, const struct buf *a, size_t ua,
    const struct ref *r, const struct buf *b, size_t ub)
{
	size_t i, lf;

	if (ua != ub || a->len != b->len || (a->len > 0 &&
	    memcmp(a->data, b->data, a->len) != 0) || c->done != r->done ||
	    c->body_8bit != r->body_8bit || c->in_header != r->in_header ||
	    c->lines_broken != r->lines_broken ||
	    canon_header_pending(c) != ref_header_pending(r))
		abort();
	if (a->data != NULL && a->data[a->len] != '\0')
		abort();	/* buf.h: NUL-terminated past len */
	for (i = 0, lf = 0; i < a->len; i++)
		lf += a->data[i] == '\n';
	if (c->lines != lf)
		abort();	/* submit.c takes the wire size's LFs from it */
}

static void
check_form(const struct canon *c, const struct buf *a)
{
	size_t i, col;

	if (a->len > 0 && a->data[a->len - 1] != '\n')
		abort();
	for (i = 0, col = 0; i < a->len; i++) {
		if (a->data[i] == '\r' || a->data[i] == '\0')
			abort();
		col = a->data[i] == '\n' ? 0 : col + 1;
	}
	/* the last body line (past any header) is bounded too */
	if (!c->in_header && c->lines_broken > 0 && col > CANON_LINE_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 2;
	struct buf a, b, t;
	struct canon c;
	struct ref r;
	size_t n, off, k, j, u, ua, ub, direct;
	uint32_t seed;
	int mode;

	if (size < 2)
		return 0;
	n = size - 2;
	buf_init(&t);
	for (mode = 0; mode < 8; mode++) {
		bool dot = mode & 1, unstuff = mode & 2, crlf = mode & 4;

		seed = (uint32_t)data[0] << 8 | data[1];
		buf_init(&a);
		buf_init(&b);
		canon_init(&c, dot, unstuff);
		c.crlf_end = crlf;
		ref_init(&r, dot, unstuff, crlf);
		ua = ub = 0;
		for (off = 0; off < n && !c.done; off += k) {
			k = chunk_size(&seed);
			if (k > n - off)
				k = n - off;
			if (next_rand(&seed) & 1) {
				ua += canon_feed(&c, in + off, k, &a);
			} else {
				/* submit.c's body: the stored form is
				 * in's first direct bytes, then t */
				buf_reset(&t);
				u = canon_feed_direct(&c, in + off, k, &t,
				    &direct);
				ua += u;
				if (direct > u)
					abort();
				buf_add(&a, in + off, direct);
				buf_add(&a, t.data, t.len);
			}
			for (j = 0; j < k && !r.done; j++, ub++)
				ref_byte(&r, (unsigned char)in[off + j], &b);
			same(&c, &a, ua, &r, &b, ub);
		}
		canon_finish(&c, &a);
		ref_finish(&r, &b);
		same(&c, &a, ua, &r, &b, ub);
		if (ua > n || (!c.done && ua != n))
			abort();
		check_form(&c, &a);
		buf_free(&a);
		buf_free(&b);
	}
	buf_free(&t);
	return 0;
}
