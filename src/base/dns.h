/*
 * dns: MX and address lookups for delivery, through c-ares (the only file
 * that includes ares.h). Everything runs in the calling thread: c-ares is
 * driven with ares_getsock()/ares_process_fd() and poll() against one
 * deadline per call; no threads, no sleeping.
 *
 * struct dns owns the c-ares channel (dns_new/dns_free). dns_mx() and
 * dns_host() fill a caller-owned struct dns_hosts (free it with
 * dns_hosts_free(), also after a failure: it is then empty).
 *
 * Result classes:
 *   DNS_FOUND     at least one host with at least one address
 *   DNS_NOTFOUND  permanent: NXDOMAIN, no MX and no address, or every MX
 *                 host definitively without an address
 *   DNS_NULLMX    permanent: the domain accepts no mail (RFC 7505)
 *   DNS_RETRY     temporary: SERVFAIL, REFUSED, timeout, network error
 * why says which and for which name (DNS text is cleaned of control bytes).
 *
 * RFCs: 5321 5.1 (MX ordering, equal preferences randomised, implicit MX),
 * 7505 (null MX), 1035 (messages), 2181 10.3 (MX targets must not be
 * CNAMEs; we follow them anyway, bounded, as every MTA does).
 *
 * Choices: per host, IPv4 addresses come before IPv6 ones. Both are
 * tried; IPv4 goes first because mail from IPv6 addresses meets stricter
 * receiving policies (PTR, SPF and reputation checks at large providers)
 * and because many hosts and containers have an IPv6 address but no
 * working IPv6 route, where IPv4 first avoids a failed connect per host.
 * An MX target that is an IP address (not allowed by RFC 5321 5.1) is
 * skipped, as Postfix does; so is one that is not a valid host name.
 * With several servers, one that does not answer is failed over to the
 * next; a SERVFAIL or REFUSED answer ends the lookup (DNS_RETRY: the
 * queue runner tries again later), so the reason names it exactly.
 * Lookups never use the resolv.conf search list or /etc/hosts.
 */
#ifndef DNS_H
#define DNS_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"

struct why;

#define DNS_MAX_HOSTS	10	/* MX hosts kept, after ordering */
#define DNS_MAX_ADDRS	8	/* addresses kept per host */
#define DNS_MAX_SERVERS	8	/* in a servers string */
#define DNS_MAX_CNAMES	8	/* CNAME links followed per lookup */

struct dns;

/*
 * servers: "ip[:port][,ip[:port]...]" (IPv6 as "[addr]:port" or a bare
 * address without a port), or NULL for /etc/resolv.conf. NULL on a bad
 * servers string or a c-ares failure, with why set.
 */
struct dns	*dns_new(const char *servers, struct why *);
void		 dns_free(struct dns *);

enum dns_result {
	DNS_FOUND,
	DNS_NOTFOUND,
	DNS_NULLMX,
	DNS_RETRY,
};

struct dns_host {
	char			*name;
	int			 preference;	/* 0 for dns_host() */
	struct sockaddr_storage	*addrs;
	socklen_t		*addrlens;
	size_t			 naddrs;
};

struct dns_hosts {
	struct dns_host	*v;
	size_t		 n;
};

/*
 * MX lookup of domain: hosts in preference order, equal preferences
 * shuffled, each with its A then AAAA addresses, port set in every
 * sockaddr. No MX records: the domain itself is the one host (implicit
 * MX). A single MX "0 ." gives DNS_NULLMX. Hosts without addresses are
 * left out. The whole call takes at most timeout_ms.
 */
enum dns_result	dns_mx(struct dns *, const char *domain, int port,
		    int timeout_ms, struct dns_hosts *out, struct why *);

/*
 * A and AAAA of one host (a smarthost). An IP literal ("192.0.2.1",
 * "2001:db8::1", "[192.0.2.1]", "[IPv6:2001:db8::1]") is returned as
 * itself without a query.
 */
enum dns_result	dns_host(struct dns *, const char *name, int port,
		    int timeout_ms, struct dns_hosts *out, struct why *);

void		dns_hosts_free(struct dns_hosts *);
/* Keeps the first n hosts (the most preferred), frees the rest. */
void		dns_hosts_truncate(struct dns_hosts *, size_t n);

/* ---- pure parts, exposed for the table tests ---- */

struct dns_server {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* 4 or 16 bytes, network order */
	int		port;
};

/*
 * Parses a servers string into v[0..*n) (at most DNS_MAX_SERVERS).
 * Spaces around the commas are allowed. Returns 0, or -1 with why set.
 */
int	dns_parse_servers(const char *, struct dns_server *v, size_t *n,
	    struct why *);

struct dns_mxrec {
	const char *name;	/* borrowed; "" for the root (null MX) */
	int	 preference;
};

/*
 * Sorts v by preference and shuffles each run of equal preferences
 * (Fisher-Yates with uniform(k) giving 0..k-1; dns_mx passes
 * arc4random_uniform, tests a table).
 */
void	dns_mx_order(struct dns_mxrec *v, size_t n,
	    uint32_t (*uniform)(uint32_t));

/* RFC 7505: exactly one record, preference 0, target the root. */
bool	dns_mx_is_null(const struct dns_mxrec *v, size_t n);

/*
 * The records of an MX answer v[0..n) made the list dns_mx() resolves,
 * in place: -1 for a null MX; else the number kept (at most
 * DNS_MAX_HOSTS) in v, in dns_mx_order's order, after leaving out
 * targets that are the root ("." among other records), IP addresses
 * (counted in *numeric) or not host names (dns_hostname_ok; in *bad).
 */
int	dns_mx_usable(struct dns_mxrec *v, size_t n,
	    uint32_t (*uniform)(uint32_t), size_t *numeric, size_t *bad);

/*
 * A host name as MX targets must be: labels of letters, digits, '-' and
 * '_' (1 to 63 bytes), at most 253 bytes, an optional final dot. MX
 * targets that fail it are skipped, so every name dns_mx() returns is
 * safe to log; dns_host() returns the name it was given.
 */
bool	dns_hostname_ok(const char *name);

/*
 * Recognises an IP literal (bare or in brackets, "IPv6:" tag allowed) and
 * fills ss/len with it and port. Returns false for anything else.
 */
bool	dns_ip_literal(const char *name, int port,
	    struct sockaddr_storage *ss, socklen_t *len);

#endif
