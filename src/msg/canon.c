#include "buf.h"
#include "canon.h"

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

static void
emit(struct canon *c, unsigned char ch, struct buf *out)
{
	if (c->in_header)
		track_header(c, ch);
	if (!c->in_header && c->col >= CANON_LINE_MAX) {
		buf_addc(out, '\n');
		c->col = 0;
		c->lines_broken++;
	}
	if (ch >= 0x80)
		c->body_8bit = true;
	buf_addc(out, (char)ch);
	c->col++;
}

static void
end_line(struct canon *c, struct buf *out)
{
	if (c->in_header && c->col == 0)
		c->in_header = false;	/* the empty separator line */
	if (c->in_header && (c->hdr_state == HDR_NAME ||
	    c->hdr_state == HDR_NAME_WSP))
		c->in_header = false;	/* a name without a colon: body */
	buf_addc(out, '\n');
	c->col = 0;
	c->hdr_state = HDR_LINE_START;
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

size_t
canon_feed(struct canon *c, const char *in, size_t n, struct buf *out)
{
	size_t i = 0;

	if (c->strip_from_) {
		i = strip_from_line(c, in, n, out);
		if (c->strip_from_)
			return i;	/* all of it was (part of) "From ..." */
	}
	buf_reserve(out, n + n / 8 + 4);
	for (; i < n && !c->done; i++) {
		unsigned char ch = (unsigned char)in[i];
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
			end_line(c, out);
			c->eol_crlf = after_cr;
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
		end_line(c, out);
}
