#include "buf.h"
#include "canon.h"

enum {
	HDR_LINE_START,
	HDR_NAME,
	HDR_VALUE,
};

void
canon_init(struct canon *c, bool dot_ends, bool unstuff)
{
	*c = (struct canon){ .dot_ends = dot_ends, .unstuff = unstuff,
	    .in_header = true, .strip_from_ = !unstuff };
}

/*
 * Header block tracking (RFC 5322 2.2): a line is a field ("name:"), a
 * continuation (starts with WSP) or, as in Postfix, the start of the body.
 */
static void
track_header(struct canon *c, unsigned char ch)
{
	switch (c->hdr_state) {
	case HDR_LINE_START:
		if (ch == ' ' || ch == '\t')
			c->hdr_state = HDR_VALUE;
		else if (ch > 32 && ch < 127 && ch != ':')
			c->hdr_state = HDR_NAME;
		else
			c->in_header = false;
		break;
	case HDR_NAME:
		if (ch == ':')
			c->hdr_state = HDR_VALUE;
		else if (ch <= 32 || ch >= 127 || c->col >= CANON_LINE_MAX)
			c->in_header = false;	/* body: broken like body */
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
	if (c->in_header && c->hdr_state == HDR_NAME)
		c->in_header = false;	/* a name without a colon: body */
	buf_addc(out, '\n');
	c->col = 0;
	c->hdr_state = HDR_LINE_START;
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
				if (c->dot_ends) {
					c->done = true;
					break;
				}
				emit(c, '.', out);
			}
			end_line(c, out);
			break;
		case '.':
			if (c->col == 0 && c->dot_ends && !was_dot) {
				c->pend_dot = true;
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
