/*
 * dns_util.c: the pure parts of dns: servers strings, MX ordering, null
 * MX, usable MX targets, IP literals and name checks (see dns.h and
 * dns_util.h). Only dns.c includes ares.h.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dns.h"
#include "dns_util.h"
#include "log.h"
#include "why.h"
#include "xmalloc.h"

/* name cleaned and capped, in b (DNS text is untrusted). */
const char *
dns_util_clean(struct buf *b, const char *name)
{
	buf_reset(b);
	log_clean(b, name, strlen(name), DNS_UTIL_CLEAN_CAP);
	return buf_cstr(b);
}

/* ---- servers string ---- */

static int
dns_parse_one(const char *tok, struct dns_server *s, struct why *why)
{
	char host[64];
	const char *port = NULL, *e, *end;
	size_t hl;

	if (tok[0] == '[') {
		if ((end = strchr(tok, ']')) == NULL)
			goto bad;
		hl = (size_t)(end - tok - 1);
		tok++;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto bad;
	} else if ((end = strchr(tok, ':')) != NULL &&
	    strchr(end + 1, ':') == NULL) {
		hl = (size_t)(end - tok);
		port = end + 1;
	} else
		hl = strlen(tok);
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, tok, hl);
	host[hl] = '\0';
	s->port = 53;
	if (port != NULL) {
		s->port = (int)strtonum(port, 1, 65535, &e);
		if (e != NULL)
			goto bad;
	}
	if (inet_pton(AF_INET, host, s->addr) == 1)
		s->family = AF_INET;
	else if (inet_pton(AF_INET6, host, s->addr) == 1)
		s->family = AF_INET6;
	else
		goto bad;
	return 0;
bad:
	{
		struct buf b = { 0 };

		why_set(why, "resolver: bad server address: \"%s\"",
		    dns_util_clean(&b, tok));
		buf_free(&b);
	}
	return -1;
}

int
dns_parse_servers(const char *spec, struct dns_server *v, size_t *n,
    struct why *why)
{
	char *copy, *p, *tok;
	int rc = -1;

	*n = 0;
	copy = p = xstrdup(spec);
	while ((tok = strsep(&p, ",")) != NULL) {
		size_t l;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		l = strlen(tok);
		while (l > 0 && (tok[l - 1] == ' ' || tok[l - 1] == '\t'))
			tok[--l] = '\0';
		if (l == 0) {
			why_set(why, "resolver: empty server address");
			goto out;
		}
		if (*n == DNS_MAX_SERVERS) {
			why_set(why, "resolver: more than %d servers",
			    DNS_MAX_SERVERS);
			goto out;
		}
		if (dns_parse_one(tok, &v[*n], why) == -1)
			goto out;
		(*n)++;
	}
	rc = 0;
out:
	free(copy);
	if (rc == -1)
		*n = 0;
	return rc;
}

/* ---- MX ordering ---- */

static int
dns_mx_cmp(const void *a, const void *b)
{
	const struct dns_mxrec *x = a, *y = b;

	return (x->preference > y->preference) -
	    (x->preference < y->preference);
}

void
dns_mx_order(struct dns_mxrec *v, size_t n, uint32_t (*uniform)(uint32_t))
{
	size_t i, j, k;

	if (n < 2)
		return;
	qsort(v, n, sizeof(*v), dns_mx_cmp);
	/* RFC 5321 5.1: equal preferences are tried in random order. */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].preference == v[i].preference;
		    j++)
			continue;
		for (k = j - 1; k > i; k--) {
			size_t r = i + uniform((uint32_t)(k - i + 1));
			struct dns_mxrec t = v[k];

			v[k] = v[r];
			v[r] = t;
		}
	}
}

bool
dns_mx_is_null(const struct dns_mxrec *v, size_t n)
{
	return n == 1 && v[0].preference == 0 &&
	    (v[0].name[0] == '\0' || strcmp(v[0].name, ".") == 0);
}

int
dns_mx_usable(struct dns_mxrec *v, size_t n, uint32_t (*uniform)(uint32_t),
    size_t *numeric, size_t *bad)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i, k;

	*numeric = *bad = 0;
	if (dns_mx_is_null(v, n))
		return -1;
	for (i = k = 0; i < n; i++) {
		/* A "." among other MX records is unusable: skip it. */
		if (v[i].name[0] == '\0' || strcmp(v[i].name, ".") == 0)
			continue;
		/* RFC 5321 5.1: an MX target is a name; Postfix skips IPs. */
		if (dns_ip_literal(v[i].name, 0, &ss, &len)) {
			(*numeric)++;
			continue;
		}
		if (!dns_hostname_ok(v[i].name)) {
			(*bad)++;
			continue;
		}
		v[k++] = v[i];
	}
	dns_mx_order(v, k, uniform);
	return (int)(k > DNS_MAX_HOSTS ? DNS_MAX_HOSTS : k);
}

bool
dns_ip_literal(const char *name, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char host[64];
	size_t l = strlen(name);
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	if (l > 2 && name[0] == '[' && name[l - 1] == ']') {
		name++;
		l -= 2;
		if (l > 5 && strncasecmp(name, "IPv6:", 5) == 0) {
			name += 5;
			l -= 5;
		}
	}
	if (l == 0 || l >= sizeof(host))
		return false;
	memcpy(host, name, l);
	host[l] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return true;
	}
	return false;
}

/* ---- names ---- */

bool
dns_hostname_ok(const char *name)
{
	size_t i, label = 0, n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_UTIL_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

bool
dns_util_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > DNS_UTIL_NAME_MAX + 1)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}
