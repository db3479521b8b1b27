/*
 * addr_envelope.c: the part of addr.h that handles one address at a time:
 * an envelope address as given on the command line (addr_parse_envelope,
 * RFC 5321 4.1.2 and the sizes of 4.5.3.1) and the helpers on addresses
 * in canonical form (addr_check, addr_is_local, addr_domain, addr_is_8bit,
 * addr_qualify, addr_equal). addr.c holds the RFC 5322 address lists;
 * both share addr_syntax.c.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "addr_syntax.h"
#include "buf.h"
#include "why.h"
#include "xmalloc.h"

/* The first '@' outside a quoted local part, or NULL. */
static const char *
addr_at(const char *a)
{
	bool quoted = false;

	for (; *a != '\0'; a++) {
		if (quoted && *a == '\\' && a[1] != '\0')
			a++;
		else if (*a == '"')
			quoted = !quoted;
		else if (*a == '@' && !quoted)
			return a;
	}
	return NULL;
}

bool
addr_check(const char *addr, struct why *why)
{
	const char *at = addr_at(addr);
	size_t llen = at ? (size_t)(at - addr) : strlen(addr);

	if (llen > ADDR_LOCAL_MAX) {
		why_set(why, "local part longer than %d octets",
		    ADDR_LOCAL_MAX);
		return false;
	}
	if (strlen(addr) > ADDR_MAX) {
		why_set(why, "address longer than %d octets", ADDR_MAX);
		return false;
	}
	return true;
}

/* Envelope local part at s[0..len): a dot-atom or one quoted string. */
static bool
envelope_local(struct buf *out, const char *s, size_t len, struct why *why)
{
	struct buf dec;
	size_t i;
	bool ok = true;

	if (len == 0) {
		why_set(why, "empty local part");
		return false;
	}
	if (s[0] != '"') {
		for (i = 0; i < len; i++) {
			if (s[i] != '.' &&
			    !addr_syntax_atext((unsigned char)s[i])) {
				why_set(why, "bad character in local part "
				    "at offset %zu", i);
				return false;
			}
		}
		if (!addr_syntax_dot_atom(s, len)) {
			/* "a..b" is sent quoted (RFC 5321 4.1.2). */
			addr_syntax_local_canon(out, s, len);
			return true;
		}
		buf_add(out, s, len);
		return true;
	}
	buf_init(&dec);
	for (i = 1; i < len; i++) {
		if (s[i] == '"')
			break;
		if (s[i] == '\\')
			i++;
		buf_addc(&dec, s[i]);
	}
	if (i != len - 1) {
		why_set(why, "bad quoted local part");
		ok = false;
	} else
		addr_syntax_local_canon(out, dec.data ? dec.data : "", dec.len);
	buf_free(&dec);
	return ok;
}

/* Envelope domain: labels of atext, or a bracketed domain literal. */
static bool
envelope_domain(struct buf *out, const char *s, struct why *why)
{
	size_t len = strlen(s);

	if (len > 0 && s[0] == '[') {
		if (len < 3 || s[len - 1] != ']' ||
		    !addr_syntax_literal(s + 1, len - 2)) {
			why_set(why, "bad domain literal");
			return false;
		}
	} else if (!addr_syntax_domain(s, len)) {
		why_set(why, len == 0 ? "empty domain" : "bad domain");
		return false;
	}
	buf_add(out, s, len);
	return true;
}

/* Where the local part ends: the '@' after it, or the string's end. */
static bool
envelope_split(const char *s, size_t *llen, struct why *why)
{
	size_t i = 0;

	if (s[0] == '"') {
		for (i = 1; s[i] != '"'; i++) {
			if (s[i] == '\0') {
				why_set(why, "unbalanced quote");
				return false;
			}
			if (s[i] == '\\' && s[++i] == '\0') {
				why_set(why, "unbalanced quote");
				return false;
			}
		}
		i++;
	} else {
		while (s[i] != '\0' && s[i] != '@')
			i++;
	}
	*llen = i;
	return true;
}

enum addr_result
addr_parse_envelope(const char *s, bool allow_null, char **out,
    struct why *why)
{
	struct buf b;
	const char *p;
	char *inner = NULL;
	size_t len = strlen(s), llen;
	enum addr_result r = ADDR_BAD;

	buf_init(&b);
	for (p = s; *p != '\0'; p++) {
		if (addr_syntax_ctl((unsigned char)*p)) {
			why_set(why, "control character in address");
			goto out;
		}
	}
	if (len > 0 && s[0] == '<') {
		if (s[len - 1] != '>' || len < 2) {
			why_set(why, "unbalanced angle bracket");
			goto out;
		}
		inner = xstrndup(s + 1, len - 2);
	} else
		inner = xstrdup(s);
	if (inner[0] == '\0') {
		if (!allow_null) {
			why_set(why, "empty address");
			goto out;
		}
		*out = xstrdup("");
		r = ADDR_OK;
		goto out;
	}
	p = inner;
	if (p[0] == '@') {
		/* obs-route "<@relay:user@host>": dropped. */
		p = strchr(p, ':');
		if (p == NULL) {
			why_set(why, "bad route");
			goto out;
		}
		p++;
	}
	if (!envelope_split(p, &llen, why))
		goto out;
	if (strpbrk(p + llen, "<>\"") != NULL) {
		why_set(why, "unbalanced angle bracket or quote");
		goto out;
	}
	if (!envelope_local(&b, p, llen, why))
		goto out;
	if (p[llen] == '@') {
		buf_addc(&b, '@');
		if (!envelope_domain(&b, p + llen + 1, why))
			goto out;
	} else if (p[llen] != '\0') {
		why_set(why, "bad character after quoted local part");
		goto out;
	}
	if (!addr_syntax_utf8((const unsigned char *)b.data, b.len)) {
		why_set(why, "invalid UTF-8 in address");
		goto out;
	}
	if (!addr_check(buf_cstr(&b), why))
		goto out;
	*out = buf_release(&b);
	r = ADDR_OK;
out:
	free(inner);
	buf_free(&b);
	return r;
}

/* ---- helpers on canonical addresses ---- */

bool
addr_is_local(const char *addr)
{
	return addr_at(addr) == NULL;
}

const char *
addr_domain(const char *addr)
{
	const char *at = addr_at(addr);

	return at ? at + 1 : NULL;
}

bool
addr_is_8bit(const char *addr)
{
	for (; *addr != '\0'; addr++)
		if ((unsigned char)*addr >= 0x80)
			return true;
	return false;
}

char *
addr_qualify(const char *addr, const char *domain)
{
	if (!addr_is_local(addr) || domain == NULL || domain[0] == '\0')
		return xstrdup(addr);
	return xasprintf("%s@%s", addr, domain);
}

bool
addr_equal(const char *a, const char *b)
{
	const char *aa = addr_at(a), *ba = addr_at(b);
	size_t al = aa ? (size_t)(aa - a) : strlen(a);
	size_t bl = ba ? (size_t)(ba - b) : strlen(b);

	if ((aa == NULL) != (ba == NULL) || al != bl ||
	    memcmp(a, b, al) != 0)
		return false;
	return aa == NULL || strcasecmp(aa + 1, ba + 1) == 0;
}
