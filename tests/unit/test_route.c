/*
 * test_route: the one routing rule (route.h): the route of a sender
 * (address before domain, <>, the default, MX) and the destination plan
 * of a message's pending recipients, which the runner makes and delivery
 * takes as it is.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "qfile.h"
#include "route.h"
#include "unit.h"
#include "why.h"
#include "xmalloc.h"

int	main(void);

static struct conf *
config(const char *text)
{
	struct conf *c = conf_new();
	struct why why;

	if (conf_parse(c, "t.conf", text, strlen(text), &why) == -1)
		printf("FAIL config: %s\n", why.text);
	return c;
}

/* "key:i,j key2:k" for the plan of sender to rcpts ("" ends). */
static char *
plan(const struct conf *c, const char *sender, const char *const *rcpts,
    const bool *done)
{
	struct route_plan p;
	struct qfile q;
	struct buf b;
	size_t i, j;

	memset(&q, 0, sizeof(q));
	envelope_init(&q.env);
	q.env.sender = xstrdup(sender);
	for (i = 0; rcpts[i] != NULL; i++)
		envelope_add_rcpt(&q.env, rcpts[i], NULL);
	qstate_init(&q.state, q.env.nrcpts);
	for (i = 0; done != NULL && i < q.env.nrcpts; i++)
		q.state.rcpts[i].done = done[i];
	route_plan(c, &q, &p);
	buf_init(&b);
	for (i = 0; i < p.n; i++) {
		buf_printf(&b, "%s[%s]:", i ? " " : "", p.v[i].key);
		for (j = 0; j < p.v[i].n; j++)
			buf_printf(&b, "%s%zu", j ? "," : "", p.v[i].idx[j]);
	}
	route_plan_free(&p);
	qstate_free(&q.state);
	envelope_free(&q.env);
	return buf_release(&b);
}

static void
check_plan(const char *name, const struct conf *c, const char *sender,
    const char *const *rcpts, const bool *done, const char *want)
{
	char *got = plan(c, sender, rcpts, done);

	UNIT_STR(name, got, want);
	free(got);
}

static void
test_plan(void)
{
	const char *const r3[] = { "a@X.example", "b@y.example",
	    "c@x.example", NULL };
	const char *const local[] = { "root", "a@x.example", NULL };
	const bool done[] = { false, true, false };
	struct conf *c;

	c = config("relay_for example.org smtp://r1\n"
	    "relay_for Boss@example.org smtp://r2 smtp://r3\n"
	    "relay_for <> smtp://r4\n");
	/* no smarthost: MX for the others, one group per domain */
	check_plan("mx groups", c, "u@other.example", r3, NULL,
	    "[x.example]:0,2 [y.example]:1");
	check_plan("mx done skipped", c, "u@other.example", r3, done,
	    "[x.example]:0,2");
	check_plan("unqualified under mx", c, "u@other.example", local, NULL,
	    "[]:0 [x.example]:1");
	check_plan("relay_for domain", c, "u@Example.ORG", r3, NULL,
	    "[=example.org]:0,1,2");
	check_plan("relay_for address", c, "boss@EXAMPLE.org", r3, done,
	    "[=boss@example.org]:0,2");
	check_plan("relay_for <>", c, "", r3, NULL, "[=<>]:0,1,2");
	check_plan("subdomain is another domain", c, "u@sub.example.org", r3,
	    NULL, "[x.example]:0,2 [y.example]:1");
	conf_free(c);

	c = config("smarthost smtp://def\nrelay_for example.org smtp://r1\n");
	check_plan("default smarthost", c, "u@other.example", r3, NULL,
	    "[]:0,1,2");
	check_plan("<> takes the default", c, "", r3, NULL, "[]:0,1,2");
	check_plan("nothing pending", c, "u@example.org", r3 + 3, NULL, "");
	conf_free(c);
}

static void
test_keys(void)
{
	struct route_relays rel;
	struct conf *c;

	c = config("smarthost smtp://def\nrelay_for example.org smtp://r1 "
	    "smtp://r2\n");
	UNIT_INT("default key", route_relays_of(c, ROUTE_SMARTHOST, &rel),
	    true);
	UNIT_STR("default relay", rel.n == 1 ? rel.v[0].host : "?", "def");
	UNIT_INT("relay_for key", route_relays_of(c, "=example.org", &rel),
	    true);
	UNIT_STR("relay_for sender", rel.sender, "example.org");
	UNIT_INT("relay_for relays", rel.n, 2);
	UNIT_INT("gone route: the default", route_relays_of(c, "=gone.example",
	    &rel), true);
	UNIT_INT("gone route relays", rel.n, 1);
	UNIT_INT("mx key", route_relays_of(c, "x.example", &rel), false);
	route_sender(c, "someone@EXAMPLE.org", &rel);
	UNIT_STR("sender route", rel.sender, "example.org");
	route_sender(c, "someone@example.net", &rel);
	UNIT_STR("sender default", rel.sender, NULL);
	UNIT_INT("by sender", route_by_sender(c), true);
	conf_free(c);
	c = config("smarthost smtp://def\n");
	UNIT_INT("not by sender", route_by_sender(c), false);
	conf_free(c);
}

static void
test_limits(void)
{
	struct conf *c = config("relay_limit R.example 10/h\n"
	    "relay_limit me@r.example 1/h\nrelay_limit [::1] 5/d\n"
	    "relay_for a.example smtp://r.EXAMPLE smtp://me@r.example "
	    "smtp://Me@r.example smtp://[::1]:2525 smtp://q.example\n");
	const struct conf_url *u = c->routes[0].relays;
	const struct conf_limit *l = c->limits;

	UNIT_INT("host: any case", route_limit_applies(&l[0], &u[0]), true);
	UNIT_INT("host: every account", route_limit_applies(&l[0], &u[1]),
	    true);
	UNIT_INT("account: not the host", route_limit_applies(&l[1], &u[0]),
	    false);
	UNIT_INT("account", route_limit_applies(&l[1], &u[1]), true);
	UNIT_INT("account: user exact", route_limit_applies(&l[1], &u[2]),
	    false);
	UNIT_INT("IPv6", route_limit_applies(&l[2], &u[3]), true);
	UNIT_INT("other host", route_limit_applies(&l[0], &u[4]), false);
	conf_free(c);
}

int
main(void)
{
	test_plan();
	test_keys();
	test_limits();
	return unit_done("route");
}
