#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <netdb.h>

#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "dns.h"
#include "dynload.h"
#include "dns_sym.h"
#include "dns_util.h"
#include "log.h"
#include "why.h"
#include "xmalloc.h"

#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_MX	15
#define DNS_T_AAAA	28
#define DNS_T_TLSA	52
#define DNS_T_TXT	16
#define DNS_C_IN	1
#define DNS_MX_MAX	100	/* MX records looked at before ordering */
#define DNS_EDNS_SIZE	1232	/* our EDNS UDP size (DNS flag day 2020) */

struct dns {
	ares_channel	ch;
	size_t		pending;	/* lookups not yet done */
};

/* How one lookup ended. */
enum dns_lk {
	DNS_LK_FOUND,
	DNS_LK_NODATA,		/* the name exists, not this type */
	DNS_LK_NXDOMAIN,
	DNS_LK_BAD,		/* permanent: bad name, CNAME loop */
	DNS_LK_TEMP,		/* SERVFAIL, timeout, refused, network */
};

/* One query of one type for one name, following CNAMEs. */
struct dns_lookup {
	struct dns		*d;
	char			*qname;	/* no final dot */
	int			 type;
	int			 cnames;
	bool			 done;
	enum dns_lk		 res;
	const char		*reason;	/* static text */
	unsigned char		*abuf;	/* MX: copy of the answer */
	int			 alen;
	bool			 ad;	/* every answer so far had AD */
	bool			 answered;	/* a reply was parsed */
	struct dns_tlsa		*tlsa;	/* TLSA: the records go here */
	struct dns_txt		*txt;	/* TXT: the records go here */
	struct sockaddr_storage	 addrs[DNS_MAX_ADDRS];
	socklen_t		 addrlens[DNS_MAX_ADDRS];
	size_t			 naddrs;
};

static int64_t
dns_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		panic("clock_gettime: %s", strerror(errno));
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- channel ---- */

/* Loads c-ares once (DNS_LIBCARES_SONAME comes from ./configure). */
static int
dns_sym_load(struct why *why)
{
#define DNS_SYM_ENTRY(name) { #name, (void **)&dns_sym.p_##name },
	static const struct dynload_sym syms[] = {
		DNS_SYM_LIST(DNS_SYM_ENTRY)
	};
#undef DNS_SYM_ENTRY
	static struct dynload_lib lib = { DNS_LIBCARES_SONAME, false };

	return dynload_open(&lib, syms, sizeof(syms) / sizeof(syms[0]), why);
}

struct dns *
dns_new(const char *servers, struct why *why)
{
	struct dns_server sv[DNS_MAX_SERVERS];
	struct ares_addr_port_node nodes[DNS_MAX_SERVERS];
	struct ares_options opt;
	struct dns *d;
	size_t n = 0, i;
	int rc;

	if (servers != NULL && dns_parse_servers(servers, sv, &n, why) == -1)
		return NULL;
	if (dns_sym_load(why) == -1)
		return NULL;
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		why_set(why, "resolver: %s", ares_strerror(rc));
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	memset(&opt, 0, sizeof(opt));
	/*
	 * No search list: mail domains are absolute. EDNS for long MX sets.
	 * NOCHECKRESP: a SERVFAIL or REFUSED answer ends the query with
	 * that reason (else c-ares reports "connection refused"); it is a
	 * temporary failure either way, and a silent server still fails
	 * over to the next one.
	 */
	opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS |
	    ARES_FLAG_NOCHECKRESP;
	opt.ednspsz = DNS_EDNS_SIZE;
	opt.timeout = 1000;	/* ms per try; c-ares doubles it per round */
	opt.tries = 3;
	rc = ares_init_options(&d->ch, &opt, ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		why_set(why, "resolver: %s", ares_strerror(rc));
		free(d);
		ares_library_cleanup();	/* counted by c-ares */
		return NULL;
	}
	if (n > 0) {
		memset(nodes, 0, sizeof(nodes));
		for (i = 0; i < n; i++) {
			nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
			nodes[i].family = sv[i].family;
			memcpy(&nodes[i].addr, sv[i].addr,
			    sv[i].family == AF_INET ? 4 : 16);
			nodes[i].udp_port = sv[i].port;
			nodes[i].tcp_port = sv[i].port;
		}
		if ((rc = ares_set_servers_ports(d->ch, nodes)) !=
		    ARES_SUCCESS) {
			why_set(why, "resolver: %s", ares_strerror(rc));
			dns_free(d);
			return NULL;
		}
	}
	return d;
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	ares_destroy(d->ch);
	free(d);
	ares_library_cleanup();	/* counted by c-ares */
}

void
dns_hosts_truncate(struct dns_hosts *h, size_t n)
{
	if (h == NULL)
		return;
	for (; h->n > n; h->n--) {
		free(h->v[h->n - 1].name);
		free(h->v[h->n - 1].addrs);
		free(h->v[h->n - 1].addrlens);
	}
}

void
dns_hosts_free(struct dns_hosts *h)
{
	if (h == NULL)
		return;
	dns_hosts_truncate(h, 0);
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* ---- lookups ---- */

static bool
dns_name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static void
dns_add_addr(struct dns_lookup *l, int rtype, const unsigned char *rd)
{
	struct sockaddr_storage *ss = &l->addrs[l->naddrs];

	if (l->naddrs == DNS_MAX_ADDRS)
		return;
	memset(ss, 0, sizeof(*ss));
	if (rtype == DNS_T_A) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, rd, 4);
		l->addrlens[l->naddrs++] = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, rd, 16);
		l->addrlens[l->naddrs++] = sizeof(*s6);
	}
}

/*
 * Walks the answer section: records of l->type owned by the current name
 * (the query name, then each CNAME target in turn) are counted, and A/AAAA
 * addresses kept. Returns the count, or -1 for a malformed message; *cname
 * is the end of the CNAME chain when it differs from the query name.
 */
static int
dns_scan(struct dns_lookup *l, const unsigned char *abuf, int alen,
    char **cname)
{
	const unsigned char *p = abuf, *end = abuf + alen;
	char *cur = xstrdup(l->qname), *name;
	unsigned qd, an, i;
	long enc;
	int found = 0;

	*cname = NULL;
	if (alen < 12)
		goto bad;
	qd = (unsigned)(p[4] << 8 | p[5]);
	an = (unsigned)(p[6] << 8 | p[7]);
	p += 12;
	for (i = 0; i < qd; i++) {
		if (ares_expand_name(p, abuf, alen, &name, &enc) !=
		    ARES_SUCCESS)
			goto bad;
		ares_free_string(name);
		if (end - p < enc + 4)
			goto bad;
		p += enc + 4;
	}
	for (i = 0; i < an; i++) {
		int rtype, rdlen;
		bool mine;

		if (ares_expand_name(p, abuf, alen, &name, &enc) !=
		    ARES_SUCCESS)
			goto bad;
		mine = dns_name_eq(name, cur);
		ares_free_string(name);
		if (end - p < enc + 10)
			goto bad;
		p += enc;
		rtype = p[0] << 8 | p[1];
		rdlen = p[8] << 8 | p[9];
		p += 10;
		if (end - p < rdlen)
			goto bad;
		if (!mine || (p[-8] << 8 | p[-7]) != DNS_C_IN) {
			p += rdlen;
			continue;
		}
		if (rtype == DNS_T_CNAME) {
			if (ares_expand_name(p, abuf, alen, &name, &enc) !=
			    ARES_SUCCESS)
				goto bad;
			free(cur);
			cur = xstrdup(name);
			ares_free_string(name);
		} else if (rtype == l->type) {
			if ((rtype == DNS_T_A && rdlen == 4) ||
			    (rtype == DNS_T_AAAA && rdlen == 16))
				dns_add_addr(l, rtype, p);
			if (rtype == DNS_T_TLSA && l->tlsa != NULL)
				(void)dns_tlsa_add(l->tlsa, p,
				    (size_t)rdlen);	/* counted there */
			if (rtype == DNS_T_TXT && l->txt != NULL)
				dns_txt_add(l->txt, p, (size_t)rdlen);
			found++;
		}
		p += rdlen;
	}
	if (!dns_name_eq(cur, l->qname))
		*cname = xstrdup(cur);
	free(cur);
	return found;
bad:
	free(cur);
	return -1;
}

static void	dns_cb(void *, int, int, unsigned char *, int);

/*
 * ares_send() hands over any reply as ARES_SUCCESS; the status
 * ares_query() would have made of its RCODE (ares_query.c's qcallback).
 */
static int
dns_rcode_status(const unsigned char *abuf)
{
	unsigned ancount = (unsigned)(abuf[6] << 8 | abuf[7]);

	switch (abuf[3] & 0x0f) {
	case 0:		/* NOERROR */
		return ancount > 0 ? ARES_SUCCESS : ARES_ENODATA;
	case 1:		/* FORMERR */
		return ARES_EFORMERR;
	case 2:		/* SERVFAIL */
		return ARES_ESERVFAIL;
	case 3:		/* NXDOMAIN */
		return ARES_ENOTFOUND;
	case 4:		/* NOTIMP */
		return ARES_ENOTIMP;
	case 5:		/* REFUSED */
		return ARES_EREFUSED;
	default:
		return ARES_EBADRESP;
	}
}

/*
 * ares_query() with the AD bit set in the query (RFC 6840 5.7): a
 * validating resolver then says in its reply whether it validated the
 * answer, which DANE needs (RFC 7672 2.2). EDNS as the channel has it.
 */
static void
dns_start(struct dns_lookup *l)
{
	unsigned char *q = NULL;
	int qlen = 0, rc;

	rc = ares_create_query(l->qname, DNS_C_IN, l->type, 0, 1, &q, &qlen,
	    DNS_EDNS_SIZE);
	if (rc != ARES_SUCCESS || q == NULL || qlen < 12) {
		if (q != NULL)
			ares_free_string(q);
		dns_cb(l, rc != ARES_SUCCESS ? rc : ARES_EBADQUERY, 0, NULL,
		    0);
		return;
	}
	q[3] |= 0x20;	/* AD */
	ares_send(l->d->ch, q, qlen, dns_cb, l);
	ares_free_string(q);
}

static void
dns_finish(struct dns_lookup *l, enum dns_lk res, const char *reason)
{
	l->res = res;
	l->reason = reason;
	l->done = true;
	l->d->pending--;
}

static const char *
dns_nodata(const struct dns_lookup *l)
{
	return l->type == DNS_T_MX ? "no MX records" : "no address records";
}

/* Classifies a c-ares status that carries no usable answer. */
static void
dns_fail(struct dns_lookup *l, int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
		dns_finish(l, DNS_LK_NXDOMAIN, "domain not found");
		break;
	case ARES_ENODATA:
		dns_finish(l, DNS_LK_NODATA, dns_nodata(l));
		break;
	case ARES_EBADNAME:
		dns_finish(l, DNS_LK_BAD, "bad domain name");
		break;
	case ARES_ESERVFAIL:
		dns_finish(l, DNS_LK_TEMP, "server failure");
		break;
	case ARES_ETIMEOUT:
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		dns_finish(l, DNS_LK_TEMP, "timed out");
		break;
	case ARES_EREFUSED:
		dns_finish(l, DNS_LK_TEMP, "query refused");
		break;
	case ARES_ECONNREFUSED:
		dns_finish(l, DNS_LK_TEMP, "connection refused");
		break;
	default:
		dns_finish(l, DNS_LK_TEMP, ares_strerror(status));
		break;
	}
}

static void
dns_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_lookup *l = arg;
	char *cname = NULL;
	int n;

	(void)timeouts;	/* the deadline is ours, not a count of tries */
	if (abuf != NULL && alen >= 12) {
		/* NXDOMAIN and NODATA count too (validated denial) */
		l->ad = l->ad && (abuf[3] & 0x20) != 0;
		l->answered = true;
		if (status == ARES_SUCCESS)
			status = dns_rcode_status(abuf);
	}
	if ((status != ARES_SUCCESS && status != ARES_ENODATA) ||
	    abuf == NULL) {
		dns_fail(l, status);
		return;
	}
	l->naddrs = 0;
	if ((n = dns_scan(l, abuf, alen, &cname)) == -1) {
		dns_finish(l, DNS_LK_TEMP, "malformed reply");
		return;
	}
	if (n == 0 && cname != NULL) {
		/* The server gave the CNAME alone: ask for its target. */
		if (l->cnames++ == DNS_MAX_CNAMES) {
			free(cname);
			dns_finish(l, DNS_LK_BAD, "CNAME chain too long");
			return;
		}
		free(l->qname);
		l->qname = cname;
		dns_start(l);
		return;
	}
	free(cname);
	if (n == 0) {
		dns_finish(l, DNS_LK_NODATA, dns_nodata(l));
		return;
	}
	if (l->type == DNS_T_MX) {
		l->abuf = xmalloc((size_t)alen);
		memcpy(l->abuf, abuf, (size_t)alen);
		l->alen = alen;
	}
	dns_finish(l, DNS_LK_FOUND, NULL);
}

static void
dns_lookup_init(struct dns_lookup *l, struct dns *d, const char *name,
    int type)
{
	size_t n = strlen(name);

	memset(l, 0, sizeof(*l));
	l->d = d;
	if (n > 0 && name[n - 1] == '.')
		n--;
	l->qname = xstrndup(name, n);
	l->type = type;
	l->ad = true;
	d->pending++;
	dns_start(l);
}

static void
dns_lookup_free(struct dns_lookup *l)
{
	free(l->qname);
	free(l->abuf);
	l->qname = NULL;
	l->abuf = NULL;
}

/* Runs c-ares until every lookup is done or the deadline passes. */
static void
dns_run(struct dns *d, int64_t deadline)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval maxtv, tv, *tvp;
	int64_t left;
	unsigned bits;
	int i, n, nfds, ms;

	while (d->pending > 0) {
		if ((left = deadline - dns_now_ms()) <= 0) {
			/* the callbacks then say "timed out" */
			ares_cancel(d->ch);
			return;
		}
		bits = (unsigned)ares_getsock(d->ch, socks,
		    ARES_GETSOCK_MAXNUM);
		for (nfds = 0, i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = 0;

			/* ares.h's macros shift a signed 1 into bit 31 */
			if (bits & (1u << i))
				ev |= POLLIN;
			if (bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
				ev |= POLLOUT;
			if (ev == 0)
				continue;
			pfd[nfds].fd = socks[i];
			pfd[nfds].events = ev;
			pfd[nfds++].revents = 0;
		}
		maxtv.tv_sec = (time_t)(left / 1000);
		maxtv.tv_usec = (suseconds_t)((left % 1000) * 1000);
		tvp = ares_timeout(d->ch, &maxtv, &tv);
		ms = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
		if ((n = poll(pfd, (nfds_t)nfds, ms)) == -1) {
			if (errno == EINTR)
				continue;
			ares_cancel(d->ch);
			return;
		}
		if (n == 0) {
			/* Lets c-ares resend or give up on timed-out tries. */
			ares_process_fd(d->ch, ARES_SOCKET_BAD,
			    ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < nfds; i++) {
			short re = pfd[i].revents;

			if (re == 0)
				continue;
			ares_process_fd(d->ch,
			    re & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd :
			    ARES_SOCKET_BAD,
			    re & (POLLOUT | POLLERR) ? pfd[i].fd :
			    ARES_SOCKET_BAD);
		}
	}
}

/* Appends host name with l4's then l6's addresses (port set) to out. */
static void
dns_hosts_add(struct dns_hosts *out, const char *name, int pref, int port,
    const struct dns_lookup *l4, const struct dns_lookup *l6)
{
	const struct dns_lookup *ls[2] = { l4, l6 };
	struct dns_host *h;
	size_t i, k;

	out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	h = &out->v[out->n++];
	h->name = xstrdup(name);
	h->preference = pref;
	h->addrs = xcalloc(DNS_MAX_ADDRS, sizeof(*h->addrs));
	h->addrlens = xcalloc(DNS_MAX_ADDRS, sizeof(*h->addrlens));
	h->naddrs = 0;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < ls[k]->naddrs && h->naddrs < DNS_MAX_ADDRS;
		    i++) {
			struct sockaddr_storage *ss = &h->addrs[h->naddrs];

			*ss = ls[k]->addrs[i];
			if (ss->ss_family == AF_INET)
				((struct sockaddr_in *)ss)->sin_port =
				    htons((uint16_t)port);
			else
				((struct sockaddr_in6 *)ss)->sin6_port =
				    htons((uint16_t)port);
			h->addrlens[h->naddrs++] = ls[k]->addrlens[i];
		}
	}
}

static void
dns_literal_host(struct dns_hosts *out, const char *name,
    const struct sockaddr_storage *ss, socklen_t len)
{
	struct dns_host *h;

	out->v = xcalloc(1, sizeof(*out->v));
	out->n = 1;
	h = &out->v[0];
	h->name = xstrdup(name);
	h->addrs = xcalloc(1, sizeof(*h->addrs));
	h->addrlens = xcalloc(1, sizeof(*h->addrlens));
	h->addrs[0] = *ss;
	h->addrlens[0] = len;
	h->naddrs = 1;
}

/*
 * Resolves the addresses of hosts v[0..n) in parallel and appends those
 * with addresses to out. *temp tells whether a host was lost to a
 * temporary failure; *reason and *rname give the first failure seen (a
 * temporary one preferred), for the why text.
 */
static void
dns_resolve_hosts(struct dns *d, const struct dns_mxrec *v, size_t n,
    int port, int64_t deadline, struct dns_hosts *out, bool *temp,
    const char **reason, const char **rname)
{
	struct dns_lookup *ls = xcalloc(n * 2, sizeof(*ls));
	size_t i, k;

	*temp = false;
	for (i = 0; i < n; i++) {
		dns_lookup_init(&ls[2 * i], d, v[i].name, DNS_T_A);
		dns_lookup_init(&ls[2 * i + 1], d, v[i].name, DNS_T_AAAA);
	}
	dns_run(d, deadline);
	for (i = 0; i < n; i++) {
		struct dns_lookup *l4 = &ls[2 * i], *l6 = &ls[2 * i + 1];

		if (l4->naddrs + l6->naddrs > 0) {
			dns_hosts_add(out, v[i].name, v[i].preference, port,
			    l4, l6);
			continue;
		}
		for (k = 0; k < 2; k++) {
			struct dns_lookup *l = &ls[2 * i + k];
			bool t = l->res == DNS_LK_TEMP;

			if (*reason == NULL || (t && !*temp)) {
				*reason = l->reason;
				*rname = v[i].name;
			}
			if (t)
				*temp = true;
		}
	}
	for (i = 0; i < 2 * n; i++)
		dns_lookup_free(&ls[i]);
	free(ls);
}

/*
 * A smarthost named in /etc/hosts ("localhost", a container's relay) is
 * taken from there first, as every resolver library does for names; MX
 * delivery never consults it (DNS only).
 */
static bool
dns_hosts_file(struct dns *d, const char *name, int port,
    struct dns_hosts *out)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct dns_lookup l[2];
	struct hostent *he;
	size_t f, i;
	bool found = false;

	memset(l, 0, sizeof(l));
	for (f = 0; f < 2; f++) {
		if (ares_gethostbyname_file(d->ch, name, families[f], &he) !=
		    ARES_SUCCESS)
			continue;
		for (i = 0; he->h_addr_list[i] != NULL &&
		    l[f].naddrs < DNS_MAX_ADDRS; i++)
			dns_add_addr(&l[f], families[f] == AF_INET ?
			    DNS_T_A : DNS_T_AAAA,
			    (const unsigned char *)he->h_addr_list[i]);
		found = found || l[f].naddrs > 0;
		ares_free_hostent(he);
	}
	if (found)
		dns_hosts_add(out, name, 0, port, &l[0], &l[1]);
	return found;
}

enum dns_result
dns_host(struct dns *d, const char *name, int port, int timeout_ms,
    struct dns_hosts *out, struct why *why)
{
	struct sockaddr_storage ss;
	struct dns_mxrec rec;
	struct buf b = { 0 };
	const char *reason = NULL, *rname = NULL;
	socklen_t len;
	bool temp;
	enum dns_result res = DNS_FOUND;

	out->v = NULL;
	out->n = 0;
	if (dns_ip_literal(name, port, &ss, &len)) {
		dns_literal_host(out, name, &ss, len);
		return DNS_FOUND;
	}
	if (!dns_util_name_ok(name)) {
		why_set(why, "address lookup for %s: bad host name",
		    dns_util_clean(&b, name));
		buf_free(&b);
		return DNS_NOTFOUND;
	}
	if (dns_hosts_file(d, name, port, out))
		return DNS_FOUND;
	rec.name = name;
	rec.preference = 0;
	dns_resolve_hosts(d, &rec, 1, port, dns_now_ms() + timeout_ms, out,
	    &temp, &reason, &rname);
	if (out->n == 0) {
		res = temp ? DNS_RETRY : DNS_NOTFOUND;
		why_set(why, "address lookup for %s: %s",
		    dns_util_clean(&b, name),
		    reason != NULL ? reason : "no address");
	}
	buf_free(&b);
	return res;
}

/*
 * Turns the MX answer of l into ordered, usable records in v (names
 * borrowed from *mx, which the caller frees with ares_free_data).
 * Returns the count, -1 for a null MX, -2 for a malformed answer;
 * *numeric counts IP-address targets left out, *bad malformed names.
 */
static int
dns_mx_records(const struct dns_lookup *l, struct ares_mx_reply **mx,
    struct dns_mxrec *v, size_t *numeric, size_t *bad)
{
	struct ares_mx_reply *r;
	size_t n = 0;

	*numeric = *bad = 0;
	if (ares_parse_mx_reply(l->abuf, l->alen, mx) != ARES_SUCCESS)
		return -2;
	for (r = *mx; r != NULL && n < DNS_MX_MAX; r = r->next) {
		v[n].name = r->host;
		v[n++].preference = r->priority;
	}
	return dns_mx_usable(v, n, arc4random_uniform, numeric, bad);
}

/* The MX stage: fills v and *n, or returns a result with why set. */
static int
dns_mx_stage(struct dns *d, const char *domain, const char *cd,
    int64_t deadline, struct ares_mx_reply **mx, struct dns_mxrec *v,
    size_t *n, bool *secure, enum dns_result *res, struct why *why)
{
	struct dns_lookup l;
	size_t numeric = 0, bad = 0;
	int k;

	dns_lookup_init(&l, d, domain, DNS_T_MX);
	dns_run(d, deadline);
	*n = 0;
	*secure = l.answered && l.ad;
	switch (l.res) {
	case DNS_LK_FOUND:
		break;
	case DNS_LK_NODATA:
		/* RFC 5321 5.1: no MX, the domain is its own mail host. */
		v[0].name = domain;
		v[0].preference = 0;
		*n = 1;
		dns_lookup_free(&l);
		return 0;
	case DNS_LK_NXDOMAIN:
	case DNS_LK_BAD:
		*res = DNS_NOTFOUND;
		why_set(why, "MX lookup for %s: %s", cd, l.reason);
		dns_lookup_free(&l);
		return -1;
	case DNS_LK_TEMP:
	default:
		*res = DNS_RETRY;
		why_set(why, "MX lookup for %s: %s", cd, l.reason);
		dns_lookup_free(&l);
		return -1;
	}
	k = dns_mx_records(&l, mx, v, &numeric, &bad);
	dns_lookup_free(&l);
	if (k == -1) {
		*res = DNS_NULLMX;
		why_set(why, "MX lookup for %s: domain accepts no mail "
		    "(null MX)", cd);
		return -1;
	}
	if (k == -2) {
		*res = DNS_RETRY;
		why_set(why, "MX lookup for %s: malformed reply", cd);
		return -1;
	}
	if (k == 0) {
		*res = DNS_NOTFOUND;
		why_set(why, "MX lookup for %s: no usable MX host%s", cd,
		    numeric > 0 ? " (IP address as MX target)" :
		    bad > 0 ? " (malformed MX target)" : "");
		return -1;
	}
	*n = (size_t)k;
	return 0;
}

enum dns_result
dns_mx(struct dns *d, const char *domain, int port, int timeout_ms,
    struct dns_hosts *out, struct why *why)
{
	struct dns_mxrec v[DNS_MX_MAX];
	struct ares_mx_reply *mx = NULL;
	struct sockaddr_storage ss;
	struct buf b = { 0 }, b2 = { 0 };
	const char *cd, *reason = NULL, *rname = NULL;
	int64_t deadline = dns_now_ms() + timeout_ms;
	enum dns_result res = DNS_FOUND;
	socklen_t len;
	size_t n;
	bool temp, secure = false;

	out->v = NULL;
	out->n = 0;
	out->secure = false;
	cd = dns_util_clean(&b, domain);
	if (domain[0] == '[' && dns_ip_literal(domain, port, &ss, &len)) {
		/* A domain literal (RFC 5321 4.1.3) needs no lookup. */
		dns_literal_host(out, domain, &ss, len);
		goto out;
	}
	if (!dns_util_name_ok(domain)) {
		res = DNS_NOTFOUND;
		why_set(why, "MX lookup for %s: bad domain name", cd);
		goto out;
	}
	if (dns_mx_stage(d, domain, cd, deadline, &mx, v, &n, &secure, &res,
	    why) == -1)
		goto out;
	dns_resolve_hosts(d, v, n, port, deadline, out, &temp, &reason,
	    &rname);
	out->secure = secure;
	if (out->n == 0) {
		res = temp ? DNS_RETRY : DNS_NOTFOUND;
		if (n == 1 && v[0].name == domain && !temp)
			why_set(why, "MX lookup for %s: no MX and no address "
			    "records", cd);
		else
			why_set(why, "MX lookup for %s: %s: %s", cd,
			    dns_util_clean(&b2, rname), reason);
	}
out:
	if (mx != NULL)
		ares_free_data(mx);
	buf_free(&b);
	buf_free(&b2);
	return res;
}

enum dns_tlsa_result
dns_tlsa(struct dns *d, const char *host, int port, int timeout_ms,
    struct dns_tlsa *out, struct why *why)
{
	struct dns_lookup l;
	struct buf b = { 0 };
	enum dns_tlsa_result res;
	char *name;
	const char *cn;

	memset(out, 0, sizeof(*out));
	name = xasprintf("_%d._tcp.%s", port, host);
	cn = dns_util_clean(&b, name);
	if (!dns_util_name_ok(name)) {
		why_set(why, "TLSA lookup for %s: bad name", cn);
		res = DNS_TLSA_RETRY;
		goto out;
	}
	dns_lookup_init(&l, d, name, DNS_T_TLSA);
	l.tlsa = out;
	dns_run(d, dns_now_ms() + timeout_ms);
	switch (l.res) {
	case DNS_LK_FOUND:
		res = !l.ad ? DNS_TLSA_INSECURE : out->n > 0 ?
		    DNS_TLSA_USABLE : DNS_TLSA_UNUSABLE;
		why_set(why, "TLSA lookup for %s: %zu usable, %zu unusable "
		    "record%s%s", cn, out->n, out->unusable,
		    out->n + out->unusable == 1 ? "" : "s",
		    l.ad ? "" : " (not validated)");
		break;
	case DNS_LK_NODATA:
	case DNS_LK_NXDOMAIN:
		res = l.answered && l.ad ? DNS_TLSA_NONE : DNS_TLSA_INSECURE;
		why_set(why, "TLSA lookup for %s: no records%s", cn,
		    res == DNS_TLSA_NONE ? "" : " (not validated)");
		break;
	case DNS_LK_BAD:
	case DNS_LK_TEMP:
	default:
		res = DNS_TLSA_RETRY;
		why_set(why, "TLSA lookup for %s: %s", cn, l.reason);
		break;
	}
	if (res != DNS_TLSA_USABLE)
		dns_tlsa_free(out);
	dns_lookup_free(&l);
out:
	free(name);
	buf_free(&b);
	return res;
}

void
dns_txt_free(struct dns_txt *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	t->n = 0;
}

enum dns_result
dns_txt(struct dns *d, const char *name, int timeout_ms,
    struct dns_txt *out, struct why *why)
{
	struct dns_lookup l;
	struct buf b = { 0 };
	enum dns_result res;
	const char *cn;

	memset(out, 0, sizeof(*out));
	cn = dns_util_clean(&b, name);
	if (!dns_util_name_ok(name)) {
		why_set(why, "TXT lookup for %s: bad name", cn);
		buf_free(&b);
		return DNS_NOTFOUND;
	}
	dns_lookup_init(&l, d, name, DNS_T_TXT);
	l.txt = out;
	dns_run(d, dns_now_ms() + timeout_ms);
	switch (l.res) {
	case DNS_LK_FOUND:
		res = DNS_FOUND;
		break;
	case DNS_LK_NODATA:
	case DNS_LK_NXDOMAIN:
	case DNS_LK_BAD:
		res = DNS_NOTFOUND;
		why_set(why, "TXT lookup for %s: %s", cn, l.reason);
		break;
	case DNS_LK_TEMP:
	default:
		res = DNS_RETRY;
		why_set(why, "TXT lookup for %s: %s", cn, l.reason);
		break;
	}
	if (res != DNS_FOUND)
		dns_txt_free(out);
	dns_lookup_free(&l);
	buf_free(&b);
	return res;
}
