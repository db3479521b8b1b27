/*
 * conf_relay.c: relay_for and relay_limit values (conf_relay.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_relay.h"
#include "conf_url.h"
#include "conf_value.h"
#include "why.h"
#include "xmalloc.h"

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* The next blank-separated word of *p (NULL at the end); *p moves on. */
static char *
word(char **p)
{
	char *w;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (**p == '\0')
		return NULL;
	w = *p;
	*p += strcspn(*p, " \t");
	if (**p != '\0')
		*(*p)++ = '\0';
	return w;
}

static void
free_route(struct conf_route *r)
{
	size_t i;

	for (i = 0; i < r->nrelays; i++)
		conf_url_free(&r->relays[i]);
	free(r->relays);
	free(r->sender);
}

/* SENDER: "<>", a domain, or an address (matched case-insensitively). */
static int
check_sender(const char *s, struct why *why)
{
	if (strcmp(s, CONF_RELAY_NULL_SENDER) == 0)
		return 0;
	if (strchr(s, '@') != NULL)
		return conf_value_address(s, true, why);
	if (!conf_valid_domain(s)) {
		why_set(why, "want a sender domain, address or <> before the "
		    "relays");
		return -1;
	}
	return 0;
}

int
conf_relay_route_add(struct conf *c, const char *v, struct why *why)
{
	char *copy = xstrdup(v), *p = copy, *sender, *u;
	struct conf_route r = { 0 };
	size_t i;
	int rc = -1;

	sender = word(&p);
	if (sender == NULL || check_sender(sender, why) == -1)
		goto out;
	r.sender = xstrdup(sender);
	lower(r.sender);
	while ((u = word(&p)) != NULL) {
		if (r.nrelays == CONF_RELAY_URLS_MAX) {
			why_set(why, "too many relays (max %d)",
			    CONF_RELAY_URLS_MAX);
			goto out;
		}
		r.relays = xreallocarray(r.relays, r.nrelays + 1,
		    sizeof(*r.relays));
		if (conf_url_parse(u, &r.relays[r.nrelays], NULL, NULL,
		    why) == -1)
			goto out;
		r.nrelays++;
	}
	if (r.nrelays == 0) {
		why_set(why, "want \"SENDER URL...\" (at least one relay)");
		goto out;
	}
	for (i = 0; i < c->nroutes; i++) {
		if (strcmp(c->routes[i].sender, r.sender) == 0) {
			/* the last line for a sender wins, as for any key */
			free_route(&c->routes[i]);
			c->routes[i] = r;
			r = (struct conf_route){ 0 };
			rc = 0;
			goto out;
		}
	}
	c->routes = xreallocarray(c->routes, c->nroutes + 1,
	    sizeof(*c->routes));
	c->routes[c->nroutes++] = r;
	r = (struct conf_route){ 0 };
	rc = 0;
out:
	free_route(&r);
	free(copy);
	return rc;
}

/* "N/h" or "N/d". */
static int
parse_rate(const char *s, long *count, time_t *window, struct why *why)
{
	const char *p = s;
	long long n;

	if (conf_value_number(&p, CONF_VALUE_NUM_LIMIT, &n) == -1 ||
	    *p != '/' || (p[1] != 'h' && p[1] != 'd') || p[2] != '\0') {
		why_set(why, "want a rate N/h or N/d (e.g. 100/h)");
		return -1;
	}
	if (n < 1 || n > CONF_RELAY_LIMIT_MAX) {
		why_set(why, "%lld is out of range (1..%ld)", n,
		    CONF_RELAY_LIMIT_MAX);
		return -1;
	}
	*count = (long)n;
	*window = p[1] == 'h' ? CONF_VALUE_HOUR : CONF_VALUE_DAY;
	return 0;
}

/* HOST, or user@HOST for one account: host lower-cased, user kept. */
static char *
parse_limit_host(const char *s, struct why *why)
{
	const char *at = strrchr(s, '@'), *h = at != NULL ? at + 1 : s;
	char *host = NULL, *out;
	int port = 0;

	if (at == s) {
		why_set(why, "want HOST or user@HOST");
		return NULL;
	}
	if (conf_url_hostport(h, h + strlen(h), &host, &port, why) == -1)
		return NULL;
	if (port != 0) {
		why_set(why, "a relay_limit names a host, without a port");
		free(host);
		return NULL;
	}
	lower(host);
	out = at != NULL ? xasprintf("%.*s@%s", (int)(at - s), s, host) :
	    xstrdup(host);
	free(host);
	return out;
}

int
conf_relay_limit_add(struct conf *c, const char *v, struct why *why)
{
	char *copy = xstrdup(v), *p = copy, *h, *rate, *host = NULL;
	struct conf_limit l = { 0 };
	size_t i;
	int rc = -1;

	h = word(&p);
	rate = word(&p);
	if (h == NULL || rate == NULL || word(&p) != NULL) {
		why_set(why, "want \"HOST N/h\" or \"HOST N/d\"");
		goto out;
	}
	if ((host = parse_limit_host(h, why)) == NULL ||
	    parse_rate(rate, &l.count, &l.window, why) == -1)
		goto out;
	for (i = 0; i < c->nlimits; i++) {
		if (strcmp(c->limits[i].host, host) == 0 &&
		    c->limits[i].window == l.window) {
			c->limits[i].count = l.count;	/* the last wins */
			rc = 0;
			goto out;
		}
	}
	c->limits = xreallocarray(c->limits, c->nlimits + 1,
	    sizeof(*c->limits));
	l.host = host;
	host = NULL;
	c->limits[c->nlimits++] = l;
	rc = 0;
out:
	free(host);
	free(copy);
	return rc;
}

void
conf_relay_clear_routes(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++)
		free_route(&c->routes[i]);
	free(c->routes);
	c->routes = NULL;
	c->nroutes = 0;
}

void
conf_relay_clear_limits(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nlimits; i++)
		free(c->limits[i].host);
	free(c->limits);
	c->limits = NULL;
	c->nlimits = 0;
}
