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
	/*
	 * dns_mx(): the MX answer (or, without MX records, the NODATA
	 * answer) came with the AD bit: the resolver validated it with
	 * DNSSEC (RFC 7672 2.2: DANE applies only then).
	 */
	bool		 secure;
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

/*
 * TLSA records of an SMTP server (RFC 6698, RFC 7672 2.2), for DANE.
 * Every query sets the AD bit (RFC 6840 5.7), and a reply counts as
 * validated only when the resolver sets AD in it: the resolver must
 * validate DNSSEC and be trusted, local or on a trusted path (RFC 7672
 * 8.1), since anyone on the path could set the bit.
 */
#define DNS_TLSA_MAX		16	/* usable records kept */
#define DNS_TLSA_DATA_MAX	8192	/* bytes of association data */

struct dns_tlsa_rec {
	unsigned char	 usage, selector, mtype;
	unsigned char	*data;
	size_t		 len;
};

struct dns_tlsa {
	struct dns_tlsa_rec	*v;		/* usable records */
	size_t			 n;
	size_t			 unusable;	/* records left out */
};

enum dns_tlsa_result {
	DNS_TLSA_USABLE,	/* validated, at least one usable record */
	DNS_TLSA_UNUSABLE,	/* validated records, none usable */
	DNS_TLSA_NONE,		/* validated: no TLSA records (NXDOMAIN or
				 * NODATA) */
	DNS_TLSA_INSECURE,	/* the answer was not validated (no AD) */
	DNS_TLSA_RETRY,		/* SERVFAIL (also a bogus answer), timeout,
				 * malformed reply */
};

/*
 * TLSA of _PORT._tcp.HOST, following CNAMEs (every answer of the chain
 * must be validated). out is caller-owned: dns_tlsa_free() it after any
 * result. why says what for DNS_TLSA_RETRY (and a short note otherwise).
 */
/*
 * TXT records of name (MTA-STS's _mta-sts.DOMAIN): each record's
 * character-strings joined, as RFC 7208 3.3 and RFC 8461 3.1 read them;
 * at most DNS_TXT_MAX records of DNS_TXT_LEN bytes each are kept.
 * DNS_FOUND (records in out), DNS_NOTFOUND (NXDOMAIN, NODATA), DNS_RETRY.
 * Free out with dns_txt_free() after any result.
 */
#define DNS_TXT_MAX	16
#define DNS_TXT_LEN	4096

struct dns_txt {
	char	*v[DNS_TXT_MAX];	/* NUL-terminated, may hold NULs */
	size_t	 len[DNS_TXT_MAX];
	size_t	 n;
};

enum dns_result	dns_txt(struct dns *, const char *name, int timeout_ms,
		    struct dns_txt *out, struct why *);
void	dns_txt_free(struct dns_txt *);

enum dns_tlsa_result dns_tlsa(struct dns *, const char *host, int port,
	    int timeout_ms, struct dns_tlsa *out, struct why *);
void	dns_tlsa_free(struct dns_tlsa *);

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

/*
 * One TLSA RDATA (len bytes, untrusted): 1 when it is usable for SMTP and
 * was added to out (at most DNS_TLSA_MAX are kept), 0 when it is not
 * (out->unusable counts it), -1 when it is malformed (under 4 bytes:
 * counted as unusable too). Usable (RFC 7672 3.1.3, RFC 7671 5): usage
 * DANE-TA(2) or DANE-EE(3), selector Cert(0) or SPKI(1), matching type
 * Full(0) with 1..DNS_TLSA_DATA_MAX bytes, SHA2-256(1) with 32 or
 * SHA2-512(2) with 64. PKIX-TA(0) and PKIX-EE(1) are unusable in SMTP.
 */
int	dns_tlsa_add(struct dns_tlsa *out, const unsigned char *rd,
	    size_t len);

/*
 * One TXT RDATA (len bytes, untrusted) added to out as its
 * character-strings joined: a length byte then that many bytes, each; a
 * last string cut short by the RDATA's end gives what is there; the
 * result is capped at DNS_TXT_LEN bytes. Past DNS_TXT_MAX records the
 * RDATA is ignored.
 */
void	dns_txt_add(struct dns_txt *out, const unsigned char *rd, size_t len);

#endif
