/*
 * addr_syntax: the character classes and canonical forms that the
 * address-list parser (addr.c) and the envelope parser (addr_envelope.c)
 * share. Pure functions over bytes: no I/O, no logging, no globals.
 *
 * The predicates return true when the bytes qualify; only
 * addr_syntax_local_canon() writes, appending to a caller-owned buffer.
 */
#ifndef ADDR_SYNTAX_H
#define ADDR_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* RFC 5322 3.2.3 atext, plus every byte >= 0x80 (RFC 6532 3.2). */
bool	addr_syntax_atext(unsigned char c);
/* A control character: below 0x20, or 0x7f. */
bool	addr_syntax_ctl(unsigned char c);
/* RFC 3629 well-formed UTF-8: no overlongs, surrogates or > U+10FFFF. */
bool	addr_syntax_utf8(const unsigned char *s, size_t len);
/* dot-atom-text: atext runs separated by single dots. */
bool	addr_syntax_dot_atom(const char *s, size_t len);
/*
 * Appends a decoded local part in canonical form to out: bare when it is
 * a dot-atom, else one quoted string (RFC 5321 4.1.2 Quoted-string).
 */
void	addr_syntax_local_canon(struct buf *out, const char *s, size_t len);
/* Domain literal content (without the brackets), RFC 5321 4.1.3. */
bool	addr_syntax_literal(const char *s, size_t len);
/* A domain name: dot-separated non-empty labels of atext. */
bool	addr_syntax_domain(const char *s, size_t len);

#endif
