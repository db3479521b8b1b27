/*
 * addr: e-mail address parsing, pure functions over bytes (no I/O, no
 * logging, no globals).
 *
 * addr_parse_list() reads an RFC 5322 3.4 address-list as found in a
 * To:/Cc:/Bcc:/From: field body, with the RFC 5322 4.4 obsolete forms
 * seen in real mail; addr_parse_envelope() reads one address as given on
 * the command line (-f, recipients), checked against RFC 5321 4.1.2 and
 * the size limits of RFC 5321 4.5.3.1.
 *
 * Every address these functions produce is an addr-spec in canonical
 * form: "local@domain", or "local" for an unqualified local name. The
 * local part is bare when it is a dot-atom and otherwise one quoted
 * string with '"' and '\' escaped (RFC 5321 4.1.2: "john doe"@example.org,
 * "a..b"@example.org); "john"@example.org becomes john@example.org.
 * Domains keep their case; domain literals keep their brackets. Non-ASCII
 * addresses must be valid UTF-8 (RFC 6531).
 *
 * Results: ADDR_OK; ADDR_BAD (syntax; why says what and at which byte
 * offset); ADDR_TOO_MANY (the list would exceed the caller's limit).
 * On any failure the output is left as it was before the call.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "compat.h"

struct buf;
struct why;

/* RFC 5321 4.5.3.1.1 and 4.5.3.1.3 (a path is 256 octets with its <>). */
#define ADDR_LOCAL_MAX	64
#define ADDR_MAX	254

/*
 * Owned strings; addr_list_free() releases them and the vector. noalias
 * is NULL until an entry needs it: then noalias[i] is true when v[i] was
 * given as "\name" (addr_parse_list), sendmail's way to say "this local
 * name, not its alias".
 */
struct addr_list {
	char	**v;
	size_t	  n, cap;
	bool	 *noalias;
};

void	addr_list_init(struct addr_list *);
void	addr_list_free(struct addr_list *);
/* Appends a copy of the string. */
void	addr_list_add(struct addr_list *, const char *);
/* True when entry i was given as "\name". */
bool	addr_list_noalias(const struct addr_list *, size_t i);

enum addr_result {
	ADDR_OK,
	ADDR_BAD,
	ADDR_TOO_MANY,
};

/*
 * Parses the address-list in s[0..len) (a raw field body: folded lines
 * with LF or CRLF, comments, groups) and appends each address to out.
 * Accepted: display names, angle addresses, groups ("team: a@b, c@d;",
 * "undisclosed-recipients:;", also without the final ';' at the end),
 * nested comments with quoted pairs, quoted local parts, obsolete routes
 * (<@relay:user@host>, the route is dropped), domain literals, CFWS
 * around dots, empty list elements ("a@b,,c@d"), "<>" (no address),
 * unqualified local names ("root", "Root <root>"), and local names
 * escaped with a backslash ("\root", "<\root>": sendmail's "do not
 * alias"; given as "root" with addr_list_noalias() true; a backslash
 * anywhere else, or before a qualified address, is rejected).
 * Rejected: a missing comma between addresses, an unterminated quoted
 * string, comment, domain literal or angle address, control characters
 * and invalid UTF-8 in an address, nested groups, empty domain labels.
 * At most max addresses in out in all (counting those already there):
 * one more gives ADDR_TOO_MANY. The addresses are not length-checked;
 * see addr_check().
 */
enum addr_result addr_parse_list(const char *s, size_t len, size_t max,
	    struct addr_list *out, struct why *);

/*
 * Parses an envelope address as given on the command line: "local@domain",
 * "local", "<local@domain>", "<@route:local@domain>" (route dropped), or
 * the null sender "" / "<>" where allow_null is true (then *out is "").
 * Rejects control characters, spaces and specials outside quotes,
 * unbalanced quotes or brackets, empty labels, invalid UTF-8 and what
 * addr_check() rejects. On ADDR_OK *out is a new string the caller frees.
 */
enum addr_result addr_parse_envelope(const char *s, bool allow_null,
	    char **out, struct why *);

/* RFC 5321 4.5.3.1 sizes: local part <= 64 octets, address <= 254. */
bool	addr_check(const char *addr, struct why *);

/*
 * These take addresses in the canonical form above. The separator is
 * the first '@' outside a quoted local part.
 */
bool	addr_is_local(const char *addr);	/* unqualified */
/* Borrowed pointer into addr (after the '@'), or NULL when unqualified. */
const char *addr_domain(const char *addr);
/* True when any byte is >= 0x80: delivery needs SMTPUTF8 (RFC 6531). */
bool	addr_is_8bit(const char *addr);
/* "root" -> "root@domain"; a qualified address (or a NULL or empty
 * domain) gives a plain copy. The caller frees the result. */
char	*addr_qualify(const char *addr, const char *domain);
/* Local parts compare byte for byte, domains ASCII case-insensitively. */
bool	addr_equal(const char *a, const char *b);

/*
 * Copies value[0..len) to out, replacing every address equal (addr_equal)
 * to old by new_addr, keeping display names, comments, folding and all
 * other bytes. A value that addr_parse_list() rejects is copied
 * unchanged. Returns the number of addresses replaced.
 */
size_t	addr_rewrite(struct buf *out, const char *value, size_t len,
	    const char *old, const char *new_addr);

/*
 * Copies value[0..len) to out with "@domain" appended to every
 * unqualified address (the backslash of "\root" dropped), every other
 * byte (display names, comments, groups, quoted local parts, folding)
 * as it was. A value that addr_parse_list() rejects, or a NULL or empty
 * domain, is copied unchanged. Returns the number of addresses
 * qualified. (Postfix's append_at_myorigin for header addresses.)
 */
size_t	addr_qualify_list(struct buf *out, const char *value, size_t len,
	    const char *domain);

#endif
