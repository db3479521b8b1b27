/*
 * test_loop: the MX loop check (loop_mx: which hosts are this host, and
 * how the list is cut) and the loopback test under it (ifaddr).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dns.h"
#include "ifaddr.h"
#include "loop.h"
#include "unit.h"
#include "why.h"
#include "xmalloc.h"

int	main(void);

/* ip into ss (IPv4 or IPv6); false when it is neither. */
static bool
sockaddr_of(const char *ip, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(25);
		*len = sizeof(*in);
		return true;
	}
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(25);
		*len = sizeof(*in6);
		return true;
	}
	return false;
}

static const struct lo_case {
	const char	*ip;
	bool		 loopback;
} lo_cases[] = {
	{ "127.0.0.1", true }, { "127.255.1.2", true }, { "0.0.0.0", true },
	{ "::1", true }, { "::", true }, { "::ffff:127.0.0.3", true },
	{ "::ffff:0.0.0.0", true },
	{ "128.0.0.1", false }, { "126.255.255.255", false },
	{ "192.0.2.1", false }, { "::2", false }, { "2001:db8::1", false },
	{ "::ffff:192.0.2.1", false }, { "fe80::1", false },
	{ "::127.0.0.1", false },	/* IPv4-compatible: deprecated */
};

static void
test_loopback(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	for (i = 0; i < sizeof(lo_cases) / sizeof(lo_cases[0]); i++) {
		UNIT_CHECK(lo_cases[i].ip, sockaddr_of(lo_cases[i].ip, &ss,
		    &len), "bad test address");
		UNIT_INT(lo_cases[i].ip, ifaddr_is_loopback(
		    (struct sockaddr *)&ss), lo_cases[i].loopback);
	}
	ss.ss_family = AF_UNIX;
	UNIT_INT("AF_UNIX", ifaddr_is_loopback((struct sockaddr *)&ss), 0);
	UNIT_INT("NULL", ifaddr_is_loopback(NULL), 0);
}

/* The interfaces: lo's 127.0.0.1 is among them; 203.0.113.255 is not. */
static void
test_own(void)
{
	struct sockaddr_storage ss;
	struct ifaddr_list *l;
	struct why why;
	socklen_t len;

	l = ifaddr_load(&why);
	UNIT_CHECK("ifaddr_load", l != NULL, "%s", why.text);
	(void)sockaddr_of("127.0.0.1", &ss, &len);
	UNIT_INT("own 127.0.0.1", ifaddr_is_own(l, (struct sockaddr *)&ss), 1);
	(void)sockaddr_of("::ffff:127.0.0.1", &ss, &len);
	UNIT_INT("own mapped 127.0.0.1", ifaddr_is_own(l,
	    (struct sockaddr *)&ss), 1);
	(void)sockaddr_of("203.0.113.255", &ss, &len);
	UNIT_INT("not own", ifaddr_is_own(l, (struct sockaddr *)&ss), 0);
	UNIT_INT("NULL list", ifaddr_is_own(NULL, (struct sockaddr *)&ss), 0);
	ifaddr_free(l);
	ifaddr_free(NULL);
}

/*
 * hosts: "PREF NAME IP[,IP]; ..."; want: the names left after loop_mx,
 * space-separated, or "LOOP: text" when it reports a loop.
 */
static const struct mx_case {
	const char	*name;
	bool		 allow;
	const char	*hosts;
	const char	*want;
} mx_cases[] = {
	{ "none", false, "10 a 203.0.113.1; 20 b 203.0.113.2", "a b" },
	{ "best is loopback", false, "10 a 127.0.0.1; 20 b 203.0.113.2",
	    "LOOP: mail for d.example loops back to myself (MX host "
	    "a[127.0.0.1] is this host)" },
	{ "second is loopback", false, "10 a 203.0.113.1; 20 b 127.0.0.2; "
	    "30 c 203.0.113.3", "a" },
	{ "equal preference cut", false, "10 a 203.0.113.1; "
	    "20 b 203.0.113.2; 20 c ::1; 30 d 203.0.113.4", "a" },
	{ "equal preference before self", false, "10 b 203.0.113.2; "
	    "10 c ::1", "LOOP: mail for d.example loops back to myself (MX "
	    "host c[::1] is this host)" },
	{ "one of several addresses", false, "10 a 203.0.113.1,0.0.0.0",
	    "LOOP: mail for d.example loops back to myself (MX host "
	    "a[0.0.0.0] is this host)" },
	{ "allowed", true, "10 a 127.0.0.1; 20 b ::1", "a b" },
	{ "allowed, none is this host", true, "10 a 203.0.113.1", "a" },
};

static void
add_host(struct dns_hosts *h, char *spec)
{
	struct dns_host *d;
	char *pref, *name, *ips, *ip;

	pref = strsep(&spec, " ");
	name = strsep(&spec, " ");
	ips = spec;
	h->v = xreallocarray(h->v, h->n + 1, sizeof(*h->v));
	d = &h->v[h->n++];
	memset(d, 0, sizeof(*d));
	d->preference = (int)strtol(pref, NULL, 10);
	d->name = xstrdup(name);
	while ((ip = strsep(&ips, ",")) != NULL) {
		d->addrs = xreallocarray(d->addrs, d->naddrs + 1,
		    sizeof(*d->addrs));
		d->addrlens = xreallocarray(d->addrlens, d->naddrs + 1,
		    sizeof(*d->addrlens));
		(void)sockaddr_of(ip, &d->addrs[d->naddrs],
		    &d->addrlens[d->naddrs]);
		d->naddrs++;
	}
}

static void
test_mx(void)
{
	struct conf *conf = conf_new();
	char got[512];
	size_t i, k;

	for (i = 0; i < sizeof(mx_cases) / sizeof(mx_cases[0]); i++) {
		const struct mx_case *c = &mx_cases[i];
		struct dns_hosts h = { 0 };
		char *specs = xstrdup(c->hosts), *p = specs, *one;
		struct why why;

		while ((one = strsep(&p, ";")) != NULL) {
			while (*one == ' ')
				one++;
			add_host(&h, one);
		}
		conf->mx_allow_loopback = c->allow;
		why.text[0] = '\0';
		if (loop_mx(conf, "d.example", &h, &why)) {
			(void)snprintf(got, sizeof(got), "LOOP: %s", why.text);
		} else {
			got[0] = '\0';
			for (k = 0; k < h.n; k++) {
				if (k > 0)
					(void)strlcat(got, " ", sizeof(got));
				(void)strlcat(got, h.v[k].name, sizeof(got));
			}
		}
		UNIT_STR(c->name, got, c->want);
		dns_hosts_free(&h);
		free(specs);
	}
	conf_free(conf);
}

int
main(void)
{
	test_loopback();
	test_own();
	test_mx();
	return unit_done("loop");
}
