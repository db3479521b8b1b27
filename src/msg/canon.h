/*
 * canon: turns submitted bytes into minimta's stored message form, one
 * chunk at a time (pure, no I/O; memory does not grow with the message).
 *
 * Stored form: lines end in LF (input LF and CRLF both accepted); a CR not
 * followed by LF and a NUL byte each become a space, so neither can reach
 * the wire raw (DESIGN.md); body lines longer than CANON_LINE_MAX octets
 * are broken with an LF (RFC 5322 2.1.1 allows 998 before CRLF). Header
 * lines are not broken here: the header block is refolded at whitespace by
 * its caller. When dot_ends is set (sendmail without -i), a line holding a
 * single "." ends the input, as sendmail 8 and Postfix do; with unstuff
 * (sendmail -bs, where the input is SMTP DATA) the leading dot of any
 * other line starting with one is removed (RFC 5321 4.5.2); there, when
 * crlf_end is set (the client ended its DATA command with CRLF), only
 * <CRLF>.<CRLF> ends the data: a "." line next to a bare LF is content, so
 * that text after "<LF>.<LF>" is never read as SMTP commands (SMTP
 * smuggling; Postfix's smtpd_forbid_bare_newline "normal"). Without
 * unstuff, a first line starting with "From " (an mbox separator, as
 * mutt and scripts may pass on) is dropped, as sendmail 8 does.
 *
 * Speed: runs of ordinary bytes are found with memchr and copied whole
 * (a 1 GiB submission is bound by the disk, not by this); only CRs, NULs,
 * dots at a line's start and header field names go byte by byte. The
 * fuzz target checks it against a byte-at-a-time model, chunked at random.
 */
#ifndef CANON_H
#define CANON_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

#define CANON_LINE_MAX	998

struct canon {
	bool	dot_ends;
	/* SMTP DATA: drop a leading dot (RFC 5321 4.5.2) */
	bool	unstuff;
	bool	done;		/* the "." line was seen */
	bool	in_header;	/* still in the header block */
	bool	body_8bit;	/* a byte >= 0x80 was seen */
	bool	pend_cr;
	bool	pend_dot;
	bool	crlf_end;	/* only <CRLF>.<CRLF> ends SMTP DATA */
	bool	eol_crlf;	/* the last line ended with CRLF */
	bool	dot_after_crlf;	/* the pending dot's line follows a CRLF */
	bool	strip_from_;	/* drop a leading mbox "From " line */
	int	from_state;	/* bytes of "From " matched; -1 done */
	int	hdr_state;
	bool	seen_field;	/* a continuation needs a field above */
	size_t	col;
	size_t	lines_broken;	/* body lines broken at CANON_LINE_MAX */
	size_t	lines;		/* LFs written to out, for the wire size */
};

void	canon_init(struct canon *, bool dot_ends, bool unstuff);
/*
 * Appends the stored form of in[0..n) to out; returns how many input bytes
 * were used (fewer than n only when the "." line ended the input).
 */
size_t	canon_feed(struct canon *, const char *in, size_t n, struct buf *out);
/*
 * The same, but where the stored form starts with in's first bytes as
 * they are, *direct of them are left in in instead of copied: the stored
 * form of this feed is in[0..*direct) followed by what it appended to
 * out (a caller that writes both saves copying the body).
 */
size_t	canon_feed_direct(struct canon *, const char *in, size_t n,
	    struct buf *out, size_t *direct);
/* At end of input: flushes what is pending and ends the last line. */
void	canon_finish(struct canon *, struct buf *out);
/*
 * While in_header: how many bytes at the end of the output are not yet
 * known to be header, the current line while it has no colon (it turns
 * into body at its end, or at CANON_LINE_MAX bytes). Else 0.
 */
size_t	canon_header_pending(const struct canon *);

#endif
