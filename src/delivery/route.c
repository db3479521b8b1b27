#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "conf.h"
#include "conf_relay.h"
#include "qfile.h"
#include "route.h"
#include "xmalloc.h"

static void
relays_of(const struct conf_route *r, struct route_relays *out)
{
	out->sender = r->sender;
	out->v = r->relays;
	out->n = r->nrelays;
}

static const struct conf_route *
find_route(const struct conf *conf, const char *spec)
{
	size_t i;

	for (i = 0; i < conf->nroutes; i++)
		if (strcasecmp(conf->routes[i].sender, spec) == 0)
			return &conf->routes[i];
	return NULL;
}

bool
route_by_sender(const struct conf *conf)
{
	return conf->nroutes > 0;
}

void
route_sender(const struct conf *conf, const char *sender,
    struct route_relays *out)
{
	const struct conf_route *r = NULL;
	const char *d;

	if (*sender == '\0')
		r = find_route(conf, CONF_RELAY_NULL_SENDER);
	else if ((r = find_route(conf, sender)) == NULL &&
	    (d = addr_domain(sender)) != NULL)
		r = find_route(conf, d);
	if (r != NULL) {
		relays_of(r, out);
		return;
	}
	out->sender = NULL;
	out->v = conf->smarthosts;
	out->n = conf->nsmarthosts;
}

bool
route_relays_of(const struct conf *conf, const char *key,
    struct route_relays *out)
{
	const struct conf_route *r;

	out->sender = NULL;
	out->v = conf->smarthosts;
	out->n = conf->nsmarthosts;
	if (key[0] == ROUTE_RELAY_FOR) {
		/* a route gone with a reloaded config: the default */
		if ((r = find_route(conf, key + 1)) != NULL)
			relays_of(r, out);
		return true;
	}
	return key[0] == '\0';
}

struct rcpt_key {
	char	*key;
	size_t	 idx;
};

static int
cmp_rcpt_key(const void *a, const void *b)
{
	const struct rcpt_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static char *
mx_key(const char *rcpt)
{
	const char *d = addr_domain(rcpt);
	char *r;
	size_t i;

	if (d == NULL)
		return xstrdup(ROUTE_SMARTHOST);
	r = xstrdup(d);
	for (i = 0; r[i] != '\0'; i++)
		r[i] = (char)tolower((unsigned char)r[i]);
	return r;
}

static struct route_group *
add_group(struct route_plan *p, char *key)
{
	struct route_group *g;

	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	g = &p->v[p->n++];
	g->key = key;
	g->idx = NULL;
	g->n = 0;
	return g;
}

static void
add_idx(struct route_group *g, size_t i)
{
	g->idx = xreallocarray(g->idx, g->n + 1, sizeof(*g->idx));
	g->idx[g->n++] = i;
}

void
route_plan(const struct conf *conf, const struct qfile *q,
    struct route_plan *p)
{
	const struct envelope *env = &q->env;
	struct route_relays rel;
	struct route_group *g = NULL;
	struct rcpt_key *v;
	size_t i, n = 0;

	p->v = NULL;
	p->n = 0;
	route_sender(conf, env->sender, &rel);
	if (rel.n > 0) {
		/* a relay route takes every recipient */
		for (i = 0; i < env->nrcpts; i++) {
			if (q->state.rcpts[i].done)
				continue;
			if (g == NULL)
				g = add_group(p, rel.sender != NULL ?
				    xasprintf("%c%s", ROUTE_RELAY_FOR,
				    rel.sender) : xstrdup(ROUTE_SMARTHOST));
			add_idx(g, i);
		}
		return;
	}
	/* MX: one group per domain; the sort finds them in n log n */
	v = xcalloc(env->nrcpts + 1, sizeof(*v));
	for (i = 0; i < env->nrcpts; i++) {
		if (q->state.rcpts[i].done)
			continue;
		v[n].key = mx_key(env->rcpts[i].addr);
		v[n++].idx = i;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_rcpt_key);
	for (i = 0; i < n; i++) {
		if (g == NULL || strcmp(g->key, v[i].key) != 0)
			g = add_group(p, v[i].key);
		else
			free(v[i].key);
		add_idx(g, v[i].idx);
	}
	free(v);
}

void
route_plan_free(struct route_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].idx);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

bool
route_limit_applies(const struct conf_limit *l, const struct conf_url *u)
{
	const char *at = strrchr(l->host, '@');
	const char *h = at != NULL ? at + 1 : l->host;
	size_t ulen = at != NULL ? (size_t)(at - l->host) : 0;

	if (strcasecmp(h, u->host) != 0)
		return false;
	return at == NULL || (u->user != NULL && strlen(u->user) == ulen &&
	    strncmp(u->user, l->host, ulen) == 0);
}
