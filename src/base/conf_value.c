/*
 * conf_value.c: the syntax of single configuration values (see
 * conf_value.h); conf_bool() and conf_duration() are declared in conf.h,
 * where cli.c finds them.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "conf_url.h"
#include "conf_value.h"
#include "why.h"
#include "xmalloc.h"

int
conf_bool(const char *s, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int
conf_value_number(const char **sp, long long limit, long long *out)
{
	const char *s = *sp;
	long long n = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (n > (limit - (*s - '0')) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	*sp = s;
	*out = n;
	return 0;
}

int
conf_duration(const char *s, time_t unit, time_t *out)
{
	long long total = 0, n, mult;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (conf_value_number(&s, CONF_VALUE_NUM_LIMIT, &n) == -1)
			return -1;
		switch (tolower((unsigned char)*s)) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = CONF_VALUE_MIN;
			break;
		case 'h':
			mult = CONF_VALUE_HOUR;
			break;
		case 'd':
			mult = CONF_VALUE_DAY;
			break;
		case 'w':
			mult = 7 * CONF_VALUE_DAY;
			break;
		case '\0':
			mult = unit;
			break;
		default:
			return -1;
		}
		if (*s != '\0')
			s++;
		if (n > CONF_VALUE_NUM_LIMIT / mult)
			return -1;
		total += n * mult;
		if (total > CONF_VALUE_NUM_LIMIT)
			return -1;
	}
	*out = (time_t)total;
	return 0;
}

int
conf_value_size(const char *s, long long *out)
{
	long long n, mult = 1;

	if (conf_value_number(&s, CONF_VALUE_NUM_LIMIT, &n) == -1)
		return -1;
	switch (*s) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = CONF_VALUE_KB;
		break;
	case 'm':
	case 'M':
		mult = CONF_VALUE_MB;
		break;
	case 'g':
	case 'G':
		mult = CONF_VALUE_GB;
		break;
	default:
		return -1;
	}
	if (*s != '\0' && s[1] != '\0')
		return -1;
	if (n > CONF_VALUE_NUM_LIMIT / mult)
		return -1;
	*out = n * mult;
	return 0;
}

void
conf_value_fmt_duration(char *out, size_t len, time_t t)
{
	static const struct {
		long long secs;
		char unit;
	} units[] = {
		{ 7 * CONF_VALUE_DAY, 'w' }, { CONF_VALUE_DAY, 'd' },
		{ CONF_VALUE_HOUR, 'h' }, { CONF_VALUE_MIN, 'm' },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (t != 0 && (long long)t % units[i].secs == 0) {
			(void)snprintf(out, len, "%lld%c",
			    (long long)t / units[i].secs, units[i].unit);
			return;
		}
	}
	(void)snprintf(out, len, "%llds", (long long)t);
}

/* RFC 3629 well-formed UTF-8 at s: its length, or 0. */
static size_t
conf_utf8_len(const unsigned char *s)
{
	size_t n, k;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 3;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n + 1;
}

/*
 * The local part as the envelope takes it unquoted (RFC 5321 4.1.2
 * Dot-string, RFC 6531 UTF-8): atext runs joined by single dots. Else
 * the mapped sender would be an address the envelope parser refuses.
 */
static bool
conf_valid_local(const char *s, size_t len)
{
	size_t i = 0, k;
	bool atom = false;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (!atom)
				return false;
			atom = false;
			i++;
			continue;
		}
		if (c >= 0x80) {
			if ((k = conf_utf8_len((const unsigned char *)s + i)) ==
			    0 || k > len - i)
				return false;
			i += k;
		} else if (isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) !=
		    NULL) {
			i++;
		} else {
			return false;
		}
		atom = true;
	}
	return atom;
}

int
conf_value_address(const char *v, bool need_at, struct why *why)
{
	const char *at = strchr(v, '@');
	size_t llen;

	if (strlen(v) > 254) {
		why_set(why, "address too long (max 254)");
		return -1;
	}
	if (strpbrk(v, " \t<>()\",;") != NULL) {
		why_set(why, "not a plain address (no spaces, <>, quotes)");
		return -1;
	}
	if ((at == NULL && need_at) || at == v) {
		why_set(why, "want user@domain");
		return -1;
	}
	llen = at != NULL ? (size_t)(at - v) : strlen(v);
	if (llen > 64) {
		/* RFC 5321 4.5.3.1.1 */
		why_set(why, "local part longer than 64 octets");
		return -1;
	}
	if (!conf_valid_local(v, llen)) {
		why_set(why, "bad local part (want atoms of letters, digits, "
		    "!#$%%&'*+-/=?^_`{|}~ or UTF-8, joined by dots)");
		return -1;
	}
	if (at != NULL && (strchr(at + 1, '@') != NULL ||
	    !conf_valid_domain(at + 1))) {
		why_set(why, "want user@domain");
		return -1;
	}
	return 0;
}

int
conf_value_resolver(const char *v, struct why *why)
{
	char tmp[sizeof(struct in6_addr)];
	char *copy = xstrdup(v), *p = copy, *item, *host;
	int n = 0, rc = -1, port;

	while ((item = strsep(&p, ",")) != NULL) {
		size_t len;

		item += strspn(item, " \t");
		len = strlen(item);
		while (len > 0 && (item[len - 1] == ' ' ||
		    item[len - 1] == '\t'))
			item[--len] = '\0';
		if (++n > CONF_RESOLVERS_MAX) {
			why_set(why, "more than %d servers",
			    CONF_RESOLVERS_MAX);
			goto out;
		}
		if (*item != '[' && strchr(item, ':') != strrchr(item, ':')) {
			/* A bare IPv6 address: no port without []. */
			if (inet_pton(AF_INET6, item, tmp) != 1)
				goto bad;
			continue;
		}
		if (conf_url_hostport(item, item + len, &host, &port,
		    why) == -1)
			goto bad;
		if (*item != '[' && inet_pton(AF_INET, host, tmp) != 1) {
			free(host);
			goto bad;
		}
		free(host);
	}
	rc = 0;
	goto out;
bad:
	why_set(why, "want ip[:port][,ip[:port]...] (IPv6 as [addr]:port)");
out:
	free(copy);
	return rc;
}

int
conf_value_masquerade(const char *v, struct why *why)
{
	if (strchr(v, '@') != NULL)
		return conf_value_address(v, true, why);
	if (!conf_valid_domain(v)) {
		why_set(why, "want a domain or user@domain");
		return -1;
	}
	return 0;
}
