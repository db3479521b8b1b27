/*
 * header: the RFC 5322 header block of a message, pure functions over
 * bytes (no I/O, no logging; the only global is the random source of
 * header_message_id).
 *
 * Lines end in LF; a CR before the LF is accepted and kept in the bytes
 * (field, value) but never counted as content. header_parse() splits a
 * block into fields whose pointers borrow from the block (valid while
 * the block is); header_recipients() gives the -t recipients; the
 * writers build fields minimta adds (Date:, Message-ID:, From:) and fold
 * lines over RFC 5322 2.1.1's 998 octets.
 *
 * Results: HEADER_OK; HEADER_BAD (why names the line); HEADER_TOO_BIG
 * (more fields than the caller's limit).
 */
#ifndef HEADER_H
#define HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "compat.h"

struct buf;
struct why;

/* RFC 5322 2.1.1: at most 998 octets on a line, not counting CRLF. */
#define HEADER_LINE_MAX	998

/*
 * name: the field name, without WSP or colon. field: the whole field,
 * name, colon, folded lines and the final LF (if any). value: from after
 * the colon to the final line end (excluded), still folded.
 */
struct header {
	const char	*name;
	size_t		 name_len;
	const char	*field;
	size_t		 field_len;
	const char	*value;
	size_t		 value_len;
};

struct header_list {
	struct header	*v;
	size_t		 n, cap;
};

enum header_result {
	HEADER_OK,
	HEADER_BAD,
	HEADER_TOO_BIG,
};

/*
 * Where the header block of msg[0..len) ends, by Postfix's rule: at the
 * first empty line (LF or CRLF), or at the first line that is neither a
 * header field ("name:" with name printable ASCII 33..126 except ':',
 * WSP allowed before the colon as in RFC 5322 obs-field) nor a
 * continuation of one (a line starting with SP or HTAB after a field).
 * Returns the offset of the first body byte: after the empty line when
 * there is one, else at the start of the offending line (so "From x..."
 * or a leading continuation line makes the whole message body, offset 0),
 * or len when the message is all header. The header block is
 * msg[0..header_block_len()).
 */
size_t	header_block_end(const char *msg, size_t len);
/* The length of the header block proper (without the empty line). */
size_t	header_block_len(const char *msg, size_t len);

void	header_list_init(struct header_list *);
/* Frees the vector only: the fields borrow from the block. */
void	header_list_free(struct header_list *);

/*
 * Splits block[0..len) (up to, not including, the empty line) into
 * fields appended to out (initialised by the caller). A line that is
 * neither a field nor a continuation, an empty line, or a continuation
 * first line gives HEADER_BAD ("line 3: not a header field"); more than
 * max_fields fields in out gives HEADER_TOO_BIG. The last line may lack
 * its LF. On failure out is left as it was.
 */
enum header_result header_parse(const char *block, size_t len,
	    size_t max_fields, struct header_list *out, struct why *);

bool	header_name_is(const struct header *, const char *name);
/* The first field with that name (case-insensitive), or NULL. */
const struct header *header_find(const struct header_list *,
	    const char *name);

/*
 * sendmail -t: the addresses of To:, Cc: and Bcc:, or, when any
 * Resent-To:, Resent-Cc: or Resent-Bcc: is present, of those Resent-
 * fields only (RFC 5322 3.6.6; sendmail and Postfix do the same). In
 * field order, duplicates kept, unqualified names as given. At most max
 * in out (ADDR_TOO_MANY beyond); a field that addr_parse_list() rejects
 * gives ADDR_BAD with why naming the field ("Cc: missing comma at
 * offset 7"). On failure out is left as it was.
 */
enum addr_result header_recipients(const struct header_list *, size_t max,
	    struct addr_list *out, struct why *);

/*
 * Counting the fields of one name in a header block that arrives in
 * pieces (delivery reads a queued message in chunks): header_scan_init
 * with the name ("Received"), then header_scan_feed until it returns
 * false, at the end of the header block by header_block_len()'s rule
 * (an empty line, or a line that is neither a field nor the
 * continuation of one). Lines end in LF (the stored form: a CR is an
 * ordinary byte, so a CRLF empty line ends the block as a non-field
 * line does). count is the number of fields so far; name is borrowed.
 */
struct header_scan {
	const char	*name;
	size_t		 name_len;
	size_t		 count;
	size_t		 pos;		/* name bytes matched on this line */
	int		 state;
	bool		 match;		/* the line's name so far is name */
	bool		 seen_field;
	bool		 done;
};

void	header_scan_init(struct header_scan *, const char *name);
/* Returns false once the header block has ended (the rest is body). */
bool	header_scan_feed(struct header_scan *, const char *s, size_t n);

/* Bcc: and Resent-Bcc: (removed before queueing). */
bool	header_is_bcc(const struct header *);

/*
 * The fields whose unqualified addresses a local submission qualifies
 * (Postfix's local header rewriting): From:, Sender:, Reply-To:, To:,
 * Cc:, their Resent- forms (Resent-Reply-To: included), and Errors-To:,
 * Return-Receipt-To:, Disposition-Notification-To:, Mail-Followup-To:,
 * Mail-Reply-To:. Not Bcc: (removed anyway).
 */
bool	header_is_address_field(const struct header *);

/*
 * Appends field[0..len) to out with every line at most HEADER_LINE_MAX
 * octets: a longer line is folded before its last WSP within the limit
 * (so unfolding gives the original back); where there is none, it is
 * broken by inserting LF SP (as Postfix does) after the last comma
 * within the limit (an address list keeps its addresses whole), else at
 * the limit, never inside a UTF-8 sequence. Existing folds are kept;
 * CRLF becomes LF; the output ends in LF.
 */
void	header_write_folded(struct buf *out, const char *field, size_t len);

/* RFC 5322 3.3 date-time in local time with a numeric zone:
 * "Sun, 22 Nov 2026 03:49:32 +0000" (English names, any locale). */
void	header_date(struct buf *out, time_t t);

/*
 * A Message-ID value "<20261122034932.1234.9f86d081884c7d65@hostname>":
 * time, pid and 64 random bits (arc4random). A hostname that is not a
 * dot-atom is replaced by "localhost".
 */
void	header_message_id(struct buf *out, const char *hostname);

/*
 * The value of a From: field minimta adds: "Full Name <addr>", or addr
 * alone when fullname is NULL or empty. The name is written as atoms
 * when it can be, else as a quoted string (RFC 5322 3.2.4), or as RFC
 * 2047 encoded-words (UTF-8, base64) when it has non-ASCII bytes.
 * Control characters in the name (a "-F" with a newline) become spaces.
 */
void	header_from_value(struct buf *out, const char *fullname,
	    const char *addr);

/*
 * Masquerading: appends value[0..len) to out with every address equal
 * to old (addr_equal: as an address, not a substring) replaced by
 * new_addr, display names, comments and folding kept. A value that does
 * not parse is appended unchanged. Returns the number replaced.
 */
size_t	header_rewrite_address(struct buf *out, const char *value,
	    size_t len, const char *old, const char *new_addr);

/*
 * Appends value[0..len) to out with "@domain" after every unqualified
 * address ("\\root" loses its backslash), all other bytes kept
 * (addr_qualify_list). Returns the number qualified.
 */
size_t	header_qualify(struct buf *out, const char *value, size_t len,
	    const char *domain);

#endif
