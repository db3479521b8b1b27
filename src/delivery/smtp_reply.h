/*
 * smtp_reply: pure parsers for what an SMTP server says (no I/O, no
 * logging, no globals; fuzzed by tests/fuzz/fuzz_smtp_reply.c).
 *
 * Reply lines (RFC 5321 4.2): "250-text" continues, "250 text" (or a bare
 * "250") ends the reply. Every line must carry the same code; a reply is
 * bounded to SMTP_REPLY_MAX_LINES lines of SMTP_REPLY_LINE_MAX octets
 * (code included, line terminator not: RFC 5321 4.5.3.1.5 says 512, real
 * servers send more). A line that breaks these rules makes the reply BAD:
 * the session is out of sync and must be dropped (a temporary failure).
 *
 * Enhanced status codes (RFC 3463, RFC 2034) are taken from the start of
 * the first line only when their class equals the reply code's first digit
 * (2, 4 or 5); the same code repeated at the start of later lines is
 * dropped from the text. The text of all lines is joined with one space,
 * cleaned of control characters and non-ASCII bytes (log_clean) and capped
 * at SMTP_REPLY_TEXT_MAX bytes ("..." marks a cut), so it may go straight
 * into a log line or a bounce.
 *
 * The EHLO keyword parser (RFC 5321 4.1.1.1 and the extensions' RFCs)
 * reads the lines after the first of a 250 reply to EHLO.
 */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "compat.h"

struct why;

#define SMTP_REPLY_LINE_MAX	2048	/* octets of one line, code included */
#define SMTP_REPLY_MAX_LINES	100
#define SMTP_REPLY_TEXT_MAX	1024	/* cleaned text kept */

struct smtp_reply {
	int		code;		/* 200..599; see local */
	char		enhanced[16];	/* "5.1.1", or "" */
	bool		local;		/* made up by us, not the server's */
	struct buf	text;		/* cleaned, capped; owned */
};

/* A zeroed struct smtp_reply is valid too; free with smtp_reply_free. */
void	smtp_reply_init(struct smtp_reply *);
void	smtp_reply_free(struct smtp_reply *);
void	smtp_reply_reset(struct smtp_reply *);
void	smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src);
/* A reply of our own (local = true); enhanced may be NULL. */
void	smtp_reply_set(struct smtp_reply *, int code, const char *enhanced,
	    const char *fmt, ...) PRINTFLIKE(4, 5);
/* Appends "550 5.1.1 text" (or "550 text") to out. */
void	smtp_reply_format(const struct smtp_reply *, struct buf *out);

/* Bits of the extensions a server offers in its EHLO reply. */
enum smtp_ext {
	SMTP_EXT_PIPELINING	= 1u << 0,	/* RFC 2920 */
	SMTP_EXT_SIZE		= 1u << 1,	/* RFC 1870 */
	SMTP_EXT_8BITMIME	= 1u << 2,	/* RFC 6152 */
	SMTP_EXT_SMTPUTF8	= 1u << 3,	/* RFC 6531 */
	SMTP_EXT_DSN		= 1u << 4,	/* RFC 3461 */
	SMTP_EXT_ENHANCED	= 1u << 5,	/* RFC 2034 */
	SMTP_EXT_STARTTLS	= 1u << 6,	/* RFC 3207 */
	SMTP_EXT_AUTH_PLAIN	= 1u << 7,	/* RFC 4954, RFC 4616 */
	SMTP_EXT_AUTH_LOGIN	= 1u << 8,	/* draft-murchison-sasl-login */
	SMTP_EXT_AUTH_XOAUTH2	= 1u << 9,	/* Google's, Microsoft's */
	SMTP_EXT_AUTH_OAUTHBEARER = 1u << 10,	/* RFC 7628 */
};

struct smtp_ehlo {
	unsigned	exts;		/* enum smtp_ext bits */
	size_t		size;		/* SIZE limit; 0: none announced */
};

void	smtp_reply_ehlo_init(struct smtp_ehlo *);
/*
 * One EHLO reply line's text (after "250-" or "250 "), for every line but
 * the first (which names the server). Keywords are case-insensitive;
 * unknown ones (CHUNKING, ...) are ignored; "AUTH=LOGIN" (the form of old
 * servers) counts like "AUTH LOGIN"; "SIZE" without a number, or with 0 or
 * a number too big, means no limit.
 */
void	smtp_reply_ehlo_line(struct smtp_ehlo *, const char *text, size_t len);

enum smtp_reply_status {
	SMTP_REPLY_MORE,	/* a continuation line: feed the next */
	SMTP_REPLY_DONE,	/* the reply is complete */
	SMTP_REPLY_BAD,		/* broken or out of sync: why says how */
};

struct smtp_reply_parser {
	struct smtp_reply	*reply;		/* borrowed */
	struct smtp_ehlo	*ehlo;		/* borrowed, or NULL */
	size_t			 lines;
	bool			 done;
	bool			 cut;
};

/*
 * Starts a parse into reply (reset here); when ehlo is not NULL, the lines
 * after the first also go to smtp_reply_ehlo_line (whatever the code: the
 * caller uses the result only for a 2xx reply).
 */
void	smtp_reply_parser_init(struct smtp_reply_parser *, struct smtp_reply *,
	    struct smtp_ehlo *);
/*
 * Feeds one line without its terminator (one trailing CR is ignored).
 * After DONE or BAD the parser takes no more lines (BAD).
 */
enum smtp_reply_status smtp_reply_feed(struct smtp_reply_parser *,
	    const char *line, size_t len, struct why *);

#endif
