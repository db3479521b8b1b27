/*
 * conf_tlspol.c: tls_policy lines and their lookup. See conf_tlspol.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "conf_tlspol.h"
#include "why.h"
#include "xmalloc.h"

static const char *const conf_tlspol_names[] = {
	[CONF_TLS_NONE] = "none",
	[CONF_TLS_MAY] = "may",
	[CONF_TLS_ENCRYPT] = "encrypt",
	[CONF_TLS_VERIFY] = "verify",
	[CONF_TLS_DANE] = "dane",
};

#define CONF_TLSPOL_NLEVELS \
	(sizeof(conf_tlspol_names) / sizeof(conf_tlspol_names[0]))

const char *
conf_tlspol_name(enum conf_tls_level l)
{
	if ((size_t)l >= CONF_TLSPOL_NLEVELS)
		return NULL;
	return conf_tlspol_names[l];
}

int
conf_tlspol_level(const char *name, enum conf_tls_level *out)
{
	size_t i;

	for (i = 0; i < CONF_TLSPOL_NLEVELS; i++) {
		if (strcmp(name, conf_tlspol_names[i]) == 0) {
			*out = (enum conf_tls_level)i;
			return 0;
		}
	}
	return -1;
}

/* Lower case, without one final dot; NULL when it is not a domain. */
static char *
conf_tlspol_domain(const char *word, size_t len)
{
	char *d, *p;

	if (len == 1 && word[0] == '*')
		return xstrdup("*");
	if (len > 0 && word[len - 1] == '.')
		len--;
	d = xstrndup(word, len);
	for (p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!conf_valid_domain(d[0] == '.' ? d + 1 : d)) {
		free(d);
		return NULL;
	}
	return d;
}

int
conf_tlspol_parse(const char *value, struct conf_tls_policy *out,
    struct why *why)
{
	const char *p = value, *dom, *lev;
	size_t dlen, llen;
	char level[16];

	out->domain = NULL;
	p += strspn(p, " \t");
	dom = p;
	dlen = strcspn(p, " \t");
	p += dlen;
	p += strspn(p, " \t");
	lev = p;
	llen = strcspn(p, " \t");
	p += llen;
	p += strspn(p, " \t");
	if (dlen == 0 || llen == 0 || *p != '\0') {
		why_set(why, "want \"DOMAIN none|may|encrypt|verify|dane\"");
		return -1;
	}
	if (llen >= sizeof(level) || (memcpy(level, lev, llen),
	    level[llen] = '\0', conf_tlspol_level(level, &out->level) == -1)) {
		why_set(why, "want none, may, encrypt, verify or dane after "
		    "the domain");
		return -1;
	}
	if ((out->domain = conf_tlspol_domain(dom, dlen)) == NULL) {
		why_set(why, "not a domain, .domain or *");
		return -1;
	}
	return 0;
}

void
conf_tlspol_add(struct conf_tls_policy **v, size_t *n,
    struct conf_tls_policy *p)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*v)[i].domain, p->domain) == 0) {
			free((*v)[i].domain);
			(*v)[i] = *p;
			return;
		}
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = *p;
}

/* The entry for exactly name (len bytes, no final dot), or NULL. */
static const struct conf_tls_policy *
conf_tlspol_find(const struct conf_tls_policy *v, size_t n,
    const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(v[i].domain) == len &&
		    strncasecmp(v[i].domain, name, len) == 0)
			return &v[i];
	return NULL;
}

const struct conf_tls_policy *
conf_tlspol_match(const struct conf_tls_policy *v, size_t n,
    const char *domain)
{
	const struct conf_tls_policy *e;
	size_t len = strlen(domain);
	const char *p;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if ((e = conf_tlspol_find(v, n, domain, len)) != NULL)
		return e;
	/* ".example.org" for each parent, the nearest first */
	for (p = domain; p < domain + len; p++) {
		if (*p != '.' || p == domain)
			continue;
		if ((e = conf_tlspol_find(v, n, p, (size_t)(domain + len -
		    p))) != NULL)
			return e;
	}
	return conf_tlspol_find(v, n, "*", 1);
}

enum conf_tls_level
conf_tlspol_lookup(const struct conf_tls_policy *v, size_t n,
    const char *domain)
{
	const struct conf_tls_policy *e = conf_tlspol_match(v, n, domain);

	return e != NULL ? e->level : CONF_TLS_MAY;
}

bool
conf_tlspol_sts(const struct conf_tls_policy *v, size_t n,
    const char *domain)
{
	const struct conf_tls_policy *e = conf_tlspol_match(v, n, domain);

	if (e == NULL || e->level == CONF_TLS_DANE)
		return true;
	/* "* may" is the default spelled out; "example.org may" is the
	 * admin's choice for that domain, as an entry of Postfix's
	 * smtp_tls_policy_maps before postfix-mta-sts-resolver's */
	return e->level == CONF_TLS_MAY && strcmp(e->domain, "*") == 0;
}
