/*
 * addr_syntax.c: character classes and canonical forms of addresses (see
 * addr_syntax.h).
 */
#include <stdint.h>
#include <string.h>

#include "addr_syntax.h"
#include "buf.h"

/* RFC 5322 3.2.3 atext, plus UTF-8 (RFC 6532 3.2). */
bool
addr_syntax_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

bool
addr_syntax_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* RFC 3629 well-formed UTF-8: no overlongs, surrogates or > U+10FFFF. */
bool
addr_syntax_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

/* dot-atom-text: atext runs separated by single dots. */
bool
addr_syntax_dot_atom(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!addr_syntax_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

/*
 * Appends the canonical form of a decoded local part: bare when it is a
 * dot-atom, else one quoted string (RFC 5321 4.1.2 Quoted-string).
 */
void
addr_syntax_local_canon(struct buf *out, const char *s, size_t len)
{
	size_t i;

	if (addr_syntax_dot_atom(s, len)) {
		buf_add(out, s, len);
		return;
	}
	buf_addc(out, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addc(out, '\\');
		buf_addc(out, s[i]);
	}
	buf_addc(out, '"');
}

/*
 * Domain literal content: RFC 5321 4.1.3 IPv4 and IPv6 literals and
 * tagged ones ("IPv6:..."); dcontent's other printables (<>"\\ ...) only
 * ever come from junk and would need quoting further on.
 */
bool
addr_syntax_literal(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == ':' ||
		    c == '-'))
			return false;
	}
	return true;
}

/* Domain names: dot-separated non-empty labels of atext. */
bool
addr_syntax_domain(const char *s, size_t len)
{
	return addr_syntax_dot_atom(s, len);
}
