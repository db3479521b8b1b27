/*
 * ifaddr.c: this host's addresses (getifaddrs) and the loopback test.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <ifaddrs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ifaddr.h"
#include "why.h"
#include "xmalloc.h"

/* An address as 16 bytes: IPv4 as ::ffff:a.b.c.d, so both compare. */
struct ifaddr_key {
	unsigned char	b[16];
};

struct ifaddr_list {
	struct ifaddr_key	*v;
	size_t			 n;
};

static const unsigned char ifaddr_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/* false for a family other than AF_INET and AF_INET6 */
static bool
ifaddr_key(const struct sockaddr *sa, struct ifaddr_key *k)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(k->b, ifaddr_mapped, 12);
		memcpy(k->b + 12, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(k->b, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

bool
ifaddr_is_loopback(const struct sockaddr *sa)
{
	static const unsigned char zero[16];
	struct ifaddr_key k;

	if (!ifaddr_key(sa, &k))
		return false;
	if (memcmp(k.b, ifaddr_mapped, 12) == 0)	/* IPv4 */
		return k.b[12] == 127 || memcmp(k.b + 12, zero, 4) == 0;
	/* :: and ::1 */
	return memcmp(k.b, zero, 15) == 0 && (k.b[15] == 0 || k.b[15] == 1);
}

struct ifaddr_list *
ifaddr_load(struct why *why)
{
	struct ifaddrs *all, *i;
	struct ifaddr_list *l;
	size_t n = 0;

	if (getifaddrs(&all) == -1) {
		why_errno(why, "getifaddrs");
		return NULL;
	}
	for (i = all; i != NULL; i = i->ifa_next)
		n++;
	l = xcalloc(1, sizeof(*l));
	l->v = xcalloc(n + 1, sizeof(*l->v));
	for (i = all; i != NULL; i = i->ifa_next)
		if (ifaddr_key(i->ifa_addr, &l->v[l->n]))
			l->n++;
	freeifaddrs(all);
	return l;
}

bool
ifaddr_is_own(const struct ifaddr_list *l, const struct sockaddr *sa)
{
	struct ifaddr_key k;
	size_t i;

	if (l == NULL || !ifaddr_key(sa, &k))
		return false;
	for (i = 0; i < l->n; i++)
		if (memcmp(l->v[i].b, k.b, 16) == 0)
			return true;
	return false;
}

void
ifaddr_free(struct ifaddr_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	free(l);
}
