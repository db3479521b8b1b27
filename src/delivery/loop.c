/*
 * loop.c: the hop count of a queued message and MX hosts that are this
 * host (loop.h).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "dns.h"
#include "fileio.h"
#include "header.h"
#include "ifaddr.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "qfile.h"
#include "xmalloc.h"

#define LOOP_CHUNK	8192
/* Past the submitter's max_header_size, what minimta adds (submit.h). */
#define LOOP_HEADER_ROOM	65536

bool
loop_hops(const struct conf *conf, struct qfile *q, struct why *why)
{
	struct header_scan hs;
	struct why w;
	char *chunk;
	size_t total = 0;
	ssize_t n;

	if (qfile_rewind(q, &w) == -1)
		return false;	/* sending will fail the same way: defer */
	chunk = xmalloc(LOOP_CHUNK);
	header_scan_init(&hs, "Received");
	while (total < conf->max_header_size + LOOP_HEADER_ROOM &&
	    (n = qfile_read(q, chunk, LOOP_CHUNK)) > 0) {
		total += (size_t)n;
		if (!header_scan_feed(&hs, chunk, (size_t)n))
			break;
	}
	free(chunk);
	if (hs.count <= (size_t)conf->max_hops)
		return false;
	/* the words of submission's refusal (submit.c) */
	why_set(why, "mail loop: too many hops (%zu Received: header fields, "
	    "max_hops %ld)", hs.count, conf->max_hops);
	return true;
}

/* The address of hosts->v[i] that is this host, or NULL. */
static const struct sockaddr *
self_addr(const struct conf *conf, const struct ifaddr_list *own,
    const struct dns_host *h)
{
	const struct sockaddr *sa;
	size_t j;

	for (j = 0; j < h->naddrs; j++) {
		sa = (const struct sockaddr *)&h->addrs[j];
		if (ifaddr_is_loopback(sa) ? !conf->mx_allow_loopback :
		    ifaddr_is_own(own, sa))
			return sa;
	}
	return NULL;
}

bool
loop_mx(const struct conf *conf, const char *domain, struct dns_hosts *hosts,
    struct why *why)
{
	struct ifaddr_list *own;
	const struct sockaddr *sa = NULL;
	char ip[NET_NTOP_MAX];
	struct why w;
	size_t i, keep;

	if ((own = ifaddr_load(&w)) == NULL)
		log_as(LOG_PROG_SMTP, LOG_LEVEL_WARN, "MX loop check: %s: "
		    "only loopback addresses are recognised", w.text);
	for (i = 0; i < hosts->n && sa == NULL; i++)
		sa = self_addr(conf, own, &hosts->v[i]);
	ifaddr_free(own);
	if (sa == NULL)
		return false;
	i--;
	/* equal preferences were shuffled: keep only the better ones */
	for (keep = 0; keep < hosts->n &&
	    hosts->v[keep].preference < hosts->v[i].preference; keep++)
		continue;
	net_ntop(sa, ip, sizeof(ip), NULL);
	if (keep > 0) {
		log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO, "MX host %s[%s] of %s "
		    "is this host: only the %zu more preferred are tried",
		    hosts->v[i].name, ip, domain, keep);
		dns_hosts_truncate(hosts, keep);
		return false;
	}
	why_set(why, "mail for %s loops back to myself (MX host %s[%s] is "
	    "this host)", domain, hosts->v[i].name, ip);
	return true;
}
