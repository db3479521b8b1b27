/*
 * test_dns: table tests of the pure parts of dns.c (no arguments), and a
 * small lookup tool for tests/cli/dns.bats (with arguments):
 *
 *   test_dns mx DOMAIN SERVERS [TIMEOUT_MS]
 *   test_dns host NAME SERVERS [TIMEOUT_MS]
 *
 * prints one line per host, "PREF NAME ADDR:PORT,ADDR:PORT" (IPv6 as
 * [addr]:port, port 25), then "DNS_FOUND" or "DNS_xxx: why".
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "unit.h"
#include "why.h"

int	main(int, char **);

static const char *
result_name(enum dns_result r)
{
	switch (r) {
	case DNS_FOUND:
		return "DNS_FOUND";
	case DNS_NOTFOUND:
		return "DNS_NOTFOUND";
	case DNS_NULLMX:
		return "DNS_NULLMX";
	case DNS_RETRY:
		return "DNS_RETRY";
	}
	return "?";
}

static void
fmt_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, len, "%s:%d", a, ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(out, len, "[%s]:%d", a, ntohs(s6->sin6_port));
	}
}

static int
live(int argc, char **argv)
{
	struct dns_hosts hs = { 0 };
	struct why why = { "" };
	enum dns_result r;
	struct dns *d;
	char a[80];
	int timeout = 3000;
	size_t i, k;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: test_dns mx|host NAME SERVERS "
		    "[TIMEOUT_MS]\n");
		return 64;
	}
	if (argc == 5) {
		const char *e;

		timeout = (int)strtonum(argv[4], 1, 600000, &e);
		if (e != NULL) {
			fprintf(stderr, "test_dns: timeout %s: %s\n", argv[4],
			    e);
			return 64;
		}
	}
	if ((d = dns_new(argv[3], &why)) == NULL) {
		printf("dns_new: %s\n", why.text);
		return 1;
	}
	if (strcmp(argv[1], "mx") == 0)
		r = dns_mx(d, argv[2], 25, timeout, &hs, &why);
	else
		r = dns_host(d, argv[2], 25, timeout, &hs, &why);
	for (i = 0; i < hs.n; i++) {
		printf("%d %s ", hs.v[i].preference, hs.v[i].name);
		for (k = 0; k < hs.v[i].naddrs; k++) {
			fmt_addr(&hs.v[i].addrs[k], a, sizeof(a));
			printf("%s%s", k > 0 ? "," : "", a);
		}
		printf("\n");
	}
	if (r == DNS_FOUND)
		printf("%s\n", result_name(r));
	else
		printf("%s: %s\n", result_name(r), why.text);
	dns_hosts_free(&hs);
	dns_free(d);
	return 0;
}

static void
test_servers(void)
{
	static const struct {
		const char *in;
		int n;		/* -1: error */
		const char *first;	/* family/port of the first */
		int port, family;
	} t[] = {
		{ "127.0.0.1", 1, "127.0.0.1", 53, AF_INET },
		{ "127.0.0.1:5353", 1, "127.0.0.1", 5353, AF_INET },
		{ "[::1]:54", 1, "::1", 54, AF_INET6 },
		{ "[::1]", 1, "::1", 53, AF_INET6 },
		{ "2001:db8::1", 1, "2001:db8::1", 53, AF_INET6 },
		{ "10.0.0.1, 10.0.0.2:99", 2, "10.0.0.1", 53, AF_INET },
		{ " 10.0.0.1 ,\t[::1]:1", 2, "10.0.0.1", 53, AF_INET },
		{ "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,"
		    "8.8.8.8", 8, "1.1.1.1", 53, AF_INET },
		{ "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,"
		    "8.8.8.8,9.9.9.9", -1, NULL, 0, 0 },
		{ "", -1, NULL, 0, 0 },
		{ " ", -1, NULL, 0, 0 },
		{ "1.2.3.4,", -1, NULL, 0, 0 },
		{ "1.2.3.4,,5.6.7.8", -1, NULL, 0, 0 },
		{ "1.2.3.4:", -1, NULL, 0, 0 },
		{ "1.2.3.4:0", -1, NULL, 0, 0 },
		{ "1.2.3.4:65536", -1, NULL, 0, 0 },
		{ "1.2.3.4:53x", -1, NULL, 0, 0 },
		{ "1.2.3", -1, NULL, 0, 0 },
		{ "ns.example.org", -1, NULL, 0, 0 },
		{ "[::1", -1, NULL, 0, 0 },
		{ "[::1]x", -1, NULL, 0, 0 },
		{ "[]:53", -1, NULL, 0, 0 },
		{ "[1.2.3.4]:53", 1, "1.2.3.4", 53, AF_INET },
		{ "1.2.3.4\n", -1, NULL, 0, 0 },
	};
	struct dns_server v[DNS_MAX_SERVERS];
	struct why why;
	size_t i, n;
	char a[INET6_ADDRSTRLEN], name[64];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		snprintf(name, sizeof(name), "servers[%zu] \"%.20s\"", i,
		    t[i].in);
		why.text[0] = '\0';
		rc = dns_parse_servers(t[i].in, v, &n, &why);
		if (t[i].n == -1) {
			UNIT_INT(name, rc, -1);
			UNIT_INT(name, n, 0);
			UNIT_CHECK(name, strncmp(why.text, "resolver: ", 10)
			    == 0, "why \"%s\"", why.text);
			continue;
		}
		UNIT_INT(name, rc, 0);
		UNIT_INT(name, n, t[i].n);
		if (rc != 0)
			continue;
		UNIT_INT(name, v[0].family, t[i].family);
		UNIT_INT(name, v[0].port, t[i].port);
		inet_ntop(v[0].family, v[0].addr, a, sizeof(a));
		UNIT_STR(name, a, t[i].first);
	}
	/* the second server of a list keeps its own port */
	UNIT_INT("servers second", dns_parse_servers("10.0.0.1, 10.0.0.2:99",
	    v, &n, &why), 0);
	UNIT_INT("servers second port", v[1].port, 99);
	UNIT_INT("servers v6 second", dns_parse_servers("1.2.3.4,[::1]:7", v,
	    &n, &why), 0);
	UNIT_INT("servers v6 second family", v[1].family, AF_INET6);
	UNIT_INT("servers v6 second port", v[1].port, 7);
}

static uint32_t
pick_first(uint32_t k)
{
	(void)k;
	return 0;
}

static uint32_t
pick_last(uint32_t k)
{
	return k - 1;
}

/* Renders names in order as "a b c". */
static void
order_str(const struct dns_mxrec *v, size_t n, char *out, size_t len)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(out, " ", len);
		strlcat(out, v[i].name, len);
	}
}

static void
test_order(void)
{
	static const struct {
		const char *name;
		const char *names[5];
		int prefs[5];
		size_t n;
		const char *first, *last;	/* with pick_first/last */
	} t[] = {
		{ "empty", { NULL }, { 0 }, 0, "", "" },
		{ "one", { "a" }, { 10 }, 1, "a", "a" },
		{ "sorted", { "a", "b", "c" }, { 10, 20, 30 }, 3,
		    "a b c", "a b c" },
		{ "reverse", { "c", "b", "a" }, { 30, 20, 10 }, 3,
		    "a b c", "a b c" },
		{ "pref 0 and 65535", { "z", "y" }, { 65535, 0 }, 2,
		    "y z", "y z" },
		/* Fisher-Yates from the end: always 0 rotates, always k-1
		 * keeps the sorted order (qsort of equal keys is any order,
		 * so equal runs are only compared as sets below). */
		{ "equal pair", { "a", "b" }, { 10, 10 }, 2, NULL, NULL },
		{ "equal run in middle", { "x", "a", "b", "c", "y" },
		    { 5, 10, 10, 10, 20 }, 5, NULL, NULL },
	};
	struct dns_mxrec v[5];
	char got[128];
	size_t i, k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (k = 0; k < t[i].n; k++) {
			v[k].name = t[i].names[k];
			v[k].preference = t[i].prefs[k];
		}
		dns_mx_order(v, t[i].n, pick_first);
		for (k = 1; k < t[i].n; k++)
			UNIT_CHECK(t[i].name, v[k - 1].preference <=
			    v[k].preference, "not sorted at %zu", k);
		order_str(v, t[i].n, got, sizeof(got));
		if (t[i].first != NULL)
			UNIT_STR(t[i].name, got, t[i].first);
		dns_mx_order(v, t[i].n, pick_last);
		order_str(v, t[i].n, got, sizeof(got));
		if (t[i].last != NULL)
			UNIT_STR(t[i].name, got, t[i].last);
	}
	/* The equal run stays between x and y whatever the shuffle. */
	for (k = 0; k < 5; k++) {
		v[k].name = t[6].names[k];
		v[k].preference = t[6].prefs[k];
	}
	dns_mx_order(v, 5, arc4random_uniform);
	UNIT_STR("run bounds first", v[0].name, "x");
	UNIT_STR("run bounds last", v[4].name, "y");
}

/* Every order of three equal-preference hosts shows up. */
static void
test_shuffle(void)
{
	static const char *perms[6] = {
		"a b c", "a c b", "b a c", "b c a", "c a b", "c b a"
	};
	int seen[6] = { 0 };
	struct dns_mxrec v[3];
	char got[32];
	int run, k, all;

	for (run = 0; run < 600; run++) {
		v[0].name = "a";
		v[1].name = "b";
		v[2].name = "c";
		v[0].preference = v[1].preference = v[2].preference = 10;
		dns_mx_order(v, 3, arc4random_uniform);
		order_str(v, 3, got, sizeof(got));
		for (k = 0; k < 6; k++)
			if (strcmp(got, perms[k]) == 0)
				seen[k]++;
	}
	for (all = 1, k = 0; k < 6; k++) {
		/* expected 100 each; under 40 means a biased shuffle */
		UNIT_CHECK(perms[k], seen[k] >= 40, "seen %d times in 600",
		    seen[k]);
		all &= seen[k] > 0;
	}
	UNIT_CHECK("shuffle all permutations", all, "some order never seen");
}

static void
test_nullmx(void)
{
	struct dns_mxrec a[2] = { { "", 0 }, { "mx.example.org", 10 } };
	struct dns_mxrec dot[1] = { { ".", 0 } };
	struct dns_mxrec pref[1] = { { "", 10 } };
	struct dns_mxrec host[1] = { { "mx.example.org", 0 } };

	UNIT_CHECK("null mx", dns_mx_is_null(a, 1), "not null");
	UNIT_CHECK("null mx dot", dns_mx_is_null(dot, 1), "not null");
	UNIT_CHECK("null mx with other", !dns_mx_is_null(a, 2), "null");
	UNIT_CHECK("null mx pref 10", !dns_mx_is_null(pref, 1), "null");
	UNIT_CHECK("null mx real host", !dns_mx_is_null(host, 1), "null");
	UNIT_CHECK("null mx empty", !dns_mx_is_null(a, 0), "null");
}

static void
test_literal(void)
{
	static const struct {
		const char *in;
		int family;	/* 0: not a literal */
		const char *addr;
	} t[] = {
		{ "192.0.2.1", AF_INET, "192.0.2.1" },
		{ "[192.0.2.1]", AF_INET, "192.0.2.1" },
		{ "2001:db8::1", AF_INET6, "2001:db8::1" },
		{ "[2001:db8::1]", AF_INET6, "2001:db8::1" },
		{ "[IPv6:2001:db8::1]", AF_INET6, "2001:db8::1" },
		{ "[ipv6:::1]", AF_INET6, "::1" },
		{ "example.org", 0, NULL },
		{ "[example.org]", 0, NULL },
		{ "192.0.2", 0, NULL },
		{ "192.0.2.1.", 0, NULL },
		{ "[192.0.2.1", 0, NULL },
		{ "[]", 0, NULL },
		{ "", 0, NULL },
		{ "[IPv6:]", 0, NULL },
	};
	struct sockaddr_storage ss;
	socklen_t len;
	char got[80], want[80];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok = dns_ip_literal(t[i].in, 2525, &ss, &len);

		UNIT_INT(t[i].in, ok, t[i].family != 0);
		if (!ok || t[i].family == 0)
			continue;
		UNIT_INT(t[i].in, ss.ss_family, t[i].family);
		UNIT_INT(t[i].in, len, t[i].family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		fmt_addr(&ss, got, sizeof(got));
		snprintf(want, sizeof(want), t[i].family == AF_INET ?
		    "%s:2525" : "[%s]:2525", t[i].addr);
		UNIT_STR(t[i].in, got, want);
	}
}

static void
test_hostname(void)
{
	static const struct {
		const char *in;
		bool ok;
	} t[] = {
		{ "mx.example.org", true },
		{ "mx.example.org.", true },
		{ "MX-1.Example.ORG", true },
		{ "_dmarc.example.org", true },
		{ "xn--bcher-kva.example", true },
		{ "a", true },
		{ "", false },
		{ ".", false },
		{ "a..b", false },
		{ ".a", false },
		{ "a.b..", false },
		{ "mx example.org", false },
		{ "mx\\032.example.org", false },
		{ "mx\n.example.org", false },
		{ "m\xc3\xa4il.example", false },
		{ "a/b", false },
		/* 63-byte label fits, 64 does not */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org", true },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org", false },
	};
	char longname[300];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		UNIT_INT(t[i].in, dns_hostname_ok(t[i].in), t[i].ok);
	/* 253 bytes fit (with or without the final dot), 254 do not */
	memset(longname, 'a', sizeof(longname));
	for (i = 1; i < 253; i += 2)
		longname[i] = '.';
	longname[253] = '\0';
	UNIT_INT("253 bytes", dns_hostname_ok(longname), true);
	longname[253] = '.';
	longname[254] = '\0';
	UNIT_INT("253 bytes and dot", dns_hostname_ok(longname), true);
	longname[254] = 'a';
	longname[255] = '\0';
	UNIT_INT("255 bytes", dns_hostname_ok(longname), false);
}

/* Calls that need no answer from a server. */
static void
test_offline(void)
{
	struct dns_hosts hs = { 0 };
	struct why why = { "" };
	struct dns *d;
	char a[80];

	UNIT_CHECK("dns_new bad", dns_new("1.2.3.4:x", &why) == NULL,
	    "accepted");
	UNIT_STR("dns_new bad why", why.text,
	    "resolver: bad server address: \"1.2.3.4:x\"");
	UNIT_CHECK("dns_new ctl", dns_new("1.2.3.4\x1b", &why) == NULL,
	    "accepted");
	UNIT_STR("dns_new ctl why", why.text,
	    "resolver: bad server address: \"1.2.3.4?\"");
	/* port 9 (discard) on loopback: nothing must be asked of it */
	d = dns_new("127.0.0.1:9", &why);
	UNIT_CHECK("dns_new", d != NULL, "%s", why.text);
	if (d == NULL)
		return;
	UNIT_INT("host literal", dns_host(d, "192.0.2.7", 587, 100, &hs,
	    &why), DNS_FOUND);
	UNIT_INT("host literal n", hs.n, 1);
	if (hs.n == 1) {
		UNIT_INT("host literal naddrs", hs.v[0].naddrs, 1);
		fmt_addr(&hs.v[0].addrs[0], a, sizeof(a));
		UNIT_STR("host literal addr", a, "192.0.2.7:587");
	}
	dns_hosts_free(&hs);
	UNIT_INT("mx domain literal", dns_mx(d, "[IPv6:2001:db8::2]", 25, 100,
	    &hs, &why), DNS_FOUND);
	if (hs.n == 1) {
		fmt_addr(&hs.v[0].addrs[0], a, sizeof(a));
		UNIT_STR("mx domain literal addr", a, "[2001:db8::2]:25");
	}
	dns_hosts_free(&hs);
	UNIT_INT("mx bad name", dns_mx(d, "a b\n.example", 25, 100, &hs,
	    &why), DNS_NOTFOUND);
	UNIT_STR("mx bad name why", why.text,
	    "MX lookup for a b?.example: bad domain name");
	UNIT_INT("mx bad name n", hs.n, 0);
	UNIT_INT("host empty", dns_host(d, "", 25, 100, &hs, &why),
	    DNS_NOTFOUND);
	dns_hosts_free(&hs);
	dns_hosts_free(NULL);
	dns_free(d);
	dns_free(NULL);
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		return live(argc, argv);
	test_servers();
	test_order();
	test_shuffle();
	test_nullmx();
	test_literal();
	test_hostname();
	test_offline();
	return unit_done("dns");
}
