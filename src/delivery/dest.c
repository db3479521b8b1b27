/*
 * dest.c: the relays (or MX hosts) of one batch, and which one carries
 * the next transaction (dest.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dest.h"
#include "log.h"
#include "ratelimit.h"
#include "route.h"
#include "session.h"
#include "xmalloc.h"

/* The window of the use that orders a round-robin route. */
#define DEST_RR_WINDOW	3600

struct relay {
	const struct conf_url	*url;		/* NULL: MX hosts */
	struct session		*sess;
	bool			 down, perm;
	char			 status[16];
	struct why		 why;
	unsigned		 reconnects;
	unsigned long		 waiting;	/* behind its cap so far */
	bool			 full;		/* for the current message */
	time_t			 slot;
	struct why		 cap_why;
	char			*key;		/* user@host or host */
	struct ratelimit_use	*uses;
	size_t			 nuses;
	uint64_t		 used;		/* for the round-robin order */
};

struct dest {
	struct session_env	*env;
	struct spool		*sp;
	char			*key;		/* route.h's */
	char			*domain;	/* MX delivery, or NULL */
	struct relay		*r;
	size_t			 n;
	size_t			*order;
	size_t			 cur;		/* of the last session given */
	bool			 roundrobin;
};

static char *
relay_key(const struct conf_url *u)
{
	char *k = u->user != NULL ? xasprintf("%s@%s", u->user, u->host) :
	    xstrdup(u->host);
	char *h = strrchr(k, '@') != NULL ? strrchr(k, '@') + 1 : k;

	for (; *h != '\0'; h++)
		*h = (char)tolower((unsigned char)*h);
	return k;
}

static void
add_use(struct relay *r, const char *key, time_t window, long limit)
{
	r->uses = xreallocarray(r->uses, r->nuses + 1, sizeof(*r->uses));
	r->uses[r->nuses].key = key;
	r->uses[r->nuses].window = window;
	r->uses[r->nuses].limit = (unsigned long)limit;
	r->nuses++;
}

/*
 * The counters of a relay: each relay_limit naming its account
 * (user@host) or its host (every account there together), and its own
 * use when a round-robin route orders by it.
 */
static void
relay_uses(const struct conf *conf, struct relay *r, bool roundrobin)
{
	size_t i;

	for (i = 0; i < conf->nlimits; i++) {
		const struct conf_limit *l = &conf->limits[i];

		if (route_limit_applies(l, r->url))
			add_use(r, l->host, l->window, l->count);
	}
	if (roundrobin)
		add_use(r, r->key, DEST_RR_WINDOW, 0);
}

struct dest *
dest_new(struct session_env *env, struct spool *sp, const char *key)
{
	const struct conf *conf = session_env_conf(env);
	struct dest *d = xcalloc(1, sizeof(*d));
	struct route_relays rel;
	size_t i;

	d->env = env;
	d->sp = sp;
	d->key = xstrdup(key);
	if (!route_relays_of(conf, key, &rel)) {
		d->domain = xstrdup(key);
		d->n = 1;
		d->r = xcalloc(1, sizeof(*d->r));
	} else {
		d->n = rel.n;
		d->r = xcalloc(rel.n + 1, sizeof(*d->r));
		d->roundrobin = conf->relay_roundrobin && rel.n > 1;
		for (i = 0; i < rel.n; i++) {
			d->r[i].url = &rel.v[i];
			d->r[i].key = relay_key(&rel.v[i]);
			relay_uses(conf, &d->r[i], d->roundrobin);
		}
	}
	d->order = xcalloc(d->n + 1, sizeof(*d->order));
	return d;
}

void
dest_free(struct dest *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		session_close(d->r[i].sess, true);
		free(d->r[i].key);
		free(d->r[i].uses);
	}
	free(d->r);
	free(d->order);
	free(d->domain);
	free(d->key);
	free(d);
}

const char *
dest_key(const struct dest *d)
{
	return d->key;
}

void
dest_renew(struct dest *d)
{
	struct relay *r;
	size_t i;

	for (i = 0; i < d->n; i++) {
		r = &d->r[i];
		if (r->sess != NULL && !session_idle_ok(r->sess)) {
			session_close(r->sess, true);
			r->sess = NULL;
		}
		r->down = r->perm = r->full = false;
		r->reconnects = 0;
		r->waiting = 0;
	}
}

/* "12m", "1h5m", "40s": how long until t (to the nearest minute). */
static void
fmt_wait(char *out, size_t len, time_t now, time_t t)
{
	time_t s = t > now ? t - now : 0, m = (s + 30) / 60;

	if (s < 60)
		(void)snprintf(out, len, "%llds", (long long)s);
	else if (m < 60)
		(void)snprintf(out, len, "%lldm", (long long)m);
	else if (m % 60 == 0)
		(void)snprintf(out, len, "%lldh", (long long)(m / 60));
	else
		(void)snprintf(out, len, "%lldh%lldm", (long long)(m / 60),
		    (long long)(m % 60));
}

/* The order to try the relays in for this message. */
static void
sort_relays(struct dest *d, time_t now)
{
	size_t i, j, k;

	for (i = 0; i < d->n; i++)
		d->order[i] = i;
	if (!d->roundrobin)
		return;
	for (i = 0; i < d->n; i++)
		if (!d->r[i].down)
			d->r[i].used = ratelimit_used(d->sp, d->r[i].key,
			    DEST_RR_WINDOW, now);
	/* least used first, ties in the order written (insertion sort:
	 * stable, and a route has a few relays) */
	for (i = 1; i < d->n; i++) {
		k = d->order[i];
		for (j = i; j > 0 && d->r[d->order[j - 1]].used > d->r[k].used;
		    j--)
			d->order[j] = d->order[j - 1];
		d->order[j] = k;
	}
}

/* A slot in r's counters; false when r is full or its state unreadable. */
static bool
take_slot(struct dest *d, struct relay *r, time_t now)
{
	enum ratelimit_result res;
	struct why note, why;
	char wait[32];
	size_t full = 0;
	time_t slot;

	if (r->nuses == 0)
		return true;
	res = ratelimit_take(d->sp, r->uses, r->nuses, now, r->waiting,
	    &full, &slot, &note, &why);
	if (note.text[0] != '\0')
		log_warn("%s", note.text);
	if (res == RATELIMIT_OK)
		return true;
	if (res == RATELIMIT_ERROR) {
		/* a cap we cannot read is not a cap we may pass */
		r->full = true;
		r->slot = now + session_env_conf(d->env)->retry_min;
		why_set(&r->cap_why, "rate limit of %s: %s", r->key,
		    why.text);
		return false;
	}
	fmt_wait(wait, sizeof(wait), now, slot);
	r->full = true;
	r->slot = slot;
	why_set(&r->cap_why, "rate limit of %s reached (%lu/%s); next slot "
	    "in %s", r->uses[full].key, r->uses[full].limit,
	    r->uses[full].window == 3600 ? "h" : "d", wait);
	return false;
}

static bool
open_session(struct dest *d, struct relay *r)
{
	enum session_result res;

	if (r->sess != NULL)
		return true;
	res = r->url != NULL ? session_open_relay(d->env, r->url, &r->sess,
	    r->status, &r->why) : session_open(d->env, d->domain, &r->sess,
	    r->status, &r->why);
	if (res == SESSION_OK)
		return true;
	/* the rest of the batch goes elsewhere or waits: no new try */
	r->down = true;
	r->perm = res == SESSION_PERM;
	return false;
}

/* Why nothing could take the message (none full). */
static enum dest_result
all_down(struct dest *d, char status[16], struct why *why)
{
	const struct relay *last = NULL;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->r[d->order[i]].down)
			last = &d->r[d->order[i]];
	if (last == NULL) {
		(void)strlcpy(status, "4.4.1", 16);
		why_set(why, "no smarthost could be reached");
		return DEST_TEMP;
	}
	(void)strlcpy(status, last->status, 16);
	*why = last->why;
	return last->perm ? DEST_PERM : DEST_TEMP;
}

enum dest_result
dest_session(struct dest *d, struct session **sess, char status[16],
    time_t *next, struct why *why)
{
	const struct relay *first_full = NULL;
	time_t now = time(NULL);
	struct relay *r;
	size_t i;

	*sess = NULL;
	*next = 0;
	sort_relays(d, now);
	for (i = 0; i < d->n; i++)
		d->r[i].full = false;
	for (i = 0; i < d->n; i++) {
		r = &d->r[d->order[i]];
		if (r->down || !take_slot(d, r, now))
			continue;
		if (!open_session(d, r)) {
			ratelimit_give_back(d->sp, r->uses, r->nuses, now);
			continue;
		}
		d->cur = d->order[i];
		*sess = r->sess;
		return DEST_OK;
	}
	/* every relay is down or full: wait for the first slot */
	for (i = 0; i < d->n; i++) {
		r = &d->r[i];
		if (!r->full)
			continue;
		r->waiting++;
		if (first_full == NULL || r->slot < first_full->slot)
			first_full = r;
	}
	if (first_full == NULL)
		return all_down(d, status, why);
	(void)strlcpy(status, DEST_CAPPED_STATUS, 16);
	*why = first_full->cap_why;
	*next = first_full->slot;
	return DEST_CAPPED;
}

bool
dest_gives(const struct dest *d, const struct session *sess)
{
	size_t i;

	if (d->roundrobin || sess == NULL)
		return false;
	for (i = 0; i < d->n; i++)
		if (!d->r[i].down)
			return d->r[i].nuses == 0 && d->r[i].sess == sess;
	return false;
}

void
dest_lost(struct dest *d, const char *reason)
{
	struct relay *r = &d->r[d->cur];

	session_close(r->sess, false);
	r->sess = NULL;
	if (++r->reconnects > 1) {
		r->down = true;
		(void)strlcpy(r->status, "4.4.2", sizeof(r->status));
		why_set(&r->why, "%s", reason != NULL ? reason :
		    "connection lost");
	}
}
