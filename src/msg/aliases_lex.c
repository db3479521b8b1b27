/*
 * aliases_lex.c: the byte-level syntax of aliases files (see
 * aliases_lex.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "aliases_lex.h"
#include "xmalloc.h"

bool
aliases_lex_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

bool
aliases_lex_has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

bool
aliases_lex_has_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (aliases_lex_space(*s))
			return true;
	return false;
}

const char *
aliases_lex_bad_address(const char *s)
{
	bool inq = false;

	for (; *s != '\0'; s++) {
		if (inq && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			inq = !inq;
		else if (!inq && aliases_lex_space(*s))
			return "white space in an address";
	}
	return inq ? "unbalanced quote" : NULL;
}

size_t
aliases_lex_quoted_len(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

char *
aliases_lex_unquote(const char *s, size_t n)
{
	char *out = xmalloc(n), *o = out;
	size_t i;

	for (i = 1; i + 1 < n; i++) {
		if (s[i] == '\\' && i + 2 < n)
			i++;
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

bool
aliases_lex_line(const char *text, size_t len, size_t *pos, const char **line,
    size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = text + *pos;
	if ((nl = memchr(*line, '\n', len - *pos)) == NULL) {
		*n = len - *pos;
		*pos = len;
	} else {
		*n = (size_t)(nl - *line);
		*pos += *n + 1;
	}
	if (*n > 0 && (*line)[*n - 1] == '\r')
		(*n)--;
	return true;
}

bool
aliases_lex_skip_line(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && aliases_lex_space(s[i]); i++)
		continue;
	return i == n || s[i] == '#';
}
