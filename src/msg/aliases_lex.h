/*
 * aliases_lex: the byte-level syntax of aliases(5) files and :include:
 * lists, under the parser in aliases.c: white space, control bytes,
 * quoted strings and physical lines. Pure functions over bytes: no I/O,
 * no logging, no globals.
 *
 * Only aliases_lex_unquote() allocates (the caller frees its result);
 * aliases_lex_line() and aliases_lex_bad_address() return pointers into
 * the caller's text or to static strings.
 */
#ifndef ALIASES_LEX_H
#define ALIASES_LEX_H

#include <stdbool.h>
#include <stddef.h>

/* Space, tab, CR, FF or VT: white space inside an entry. */
bool	aliases_lex_space(char c);
/* A control byte other than tab among s[0..n). */
bool	aliases_lex_has_ctl(const char *s, size_t n);
/* Any white space (aliases_lex_space) in the string. */
bool	aliases_lex_has_space(const char *s);
/* Why an address or local name is unusable, or NULL. */
const char *aliases_lex_bad_address(const char *s);
/* Length of the quoted string at s[0] == '"' (with its quotes), or 0. */
size_t	aliases_lex_quoted_len(const char *s, size_t n);
/* The content of a quoted string (n bytes with quotes), unescaped. */
char	*aliases_lex_unquote(const char *s, size_t n);
/*
 * Next physical line of text[*pos..len): *line, *n (without "\r\n"),
 * *pos moved past it; false at the end.
 */
bool	aliases_lex_line(const char *text, size_t len, size_t *pos,
	    const char **line, size_t *n);
/* True for a blank line or one whose first non-blank byte is '#'. */
bool	aliases_lex_skip_line(const char *s, size_t n);

#endif
