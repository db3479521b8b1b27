/*
 * smtp_dot: the body encoder of SMTP DATA (RFC 5321 4.5.2 dot-stuffing,
 * RFC 5321 2.3.8 line ends), pure: it writes through the caller's
 * function and keeps its state between chunks in a struct smtp_dot, so a
 * body streams in chunks of any size with the same output (fuzzed by
 * tests/fuzz/fuzz_dot.c).
 *
 * LF, CRLF and a bare CR each end a line and go out as CRLF; a line that
 * starts with "." gets a second one. So the stored bytes can never form
 * the end-of-data sequence, in any of the forms servers accept.
 */
#ifndef SMTP_DOT_H
#define SMTP_DOT_H

#include <stdbool.h>
#include <stddef.h>

struct smtp_dot {
	bool	bol;		/* at the beginning of a line */
	bool	cr;		/* the last byte was a CR not yet written */
};

/*
 * wr(arg, p, n) writes all n bytes of p; the encoder cannot fail (errors
 * stay in the writer, as in io_write).
 */
void	smtp_dot_init(struct smtp_dot *);
/* Encodes body bytes p[0..len). */
void	smtp_dot_encode(struct smtp_dot *, const char *p, size_t len,
	    void (*wr)(void *, const void *, size_t), void *arg);
/* Ends the last line if the body did not, then writes ".\r\n". */
void	smtp_dot_finish(struct smtp_dot *,
	    void (*wr)(void *, const void *, size_t), void *arg);

#endif
