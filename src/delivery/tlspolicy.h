/*
 * tlspolicy: the TLS policy of one connection attempt (session.c asks,
 * once per host): for a smarthost, from its URL scheme and tls_verify;
 * for an MX host, from tls_policy (conf_tlspol.h) and, under "dane", the
 * host's TLSA records when the MX RRset and the TLSA RRset are DNSSEC-
 * validated (RFC 7672 2.2):
 *
 *   usable TLSA records   TLS required, certificate checked against them
 *   only unusable ones    TLS required, not checked (RFC 7672 2.2: a
 *                         secure TLSA RRset means the server does TLS)
 *   none, not validated,  as "may"
 *   or the MX not validated
 *   lookup failed         -1: this host waits (RFC 7672 2.2, a downgrade
 *                         attack could look like this)
 *
 * Then, under may or dane without usable TLSA records, MTA-STS (mtasts.h)
 * when the domain has a policy: enforce: an MX host the policy does not
 * name fails (-1), the others need TLS with a verified certificate
 * (policy "mta-sts"); testing: as may, each failure logged (policy
 * "mta-sts-testing").
 *
 * The "may" fallback: when STARTTLS fails (a 4xx/5xx reply, or a failed
 * handshake that was not a certificate check), a new connection without
 * STARTTLS. Never for a relay that requires TLS or will send AUTH, nor
 * under encrypt, verify or DANE.
 *
 * Every decision is shown with -v ("*** " lines on stderr) and reaches
 * the delivery log line as "tls=LEVEL policy=NAME" (session.c).
 */
#ifndef TLSPOLICY_H
#define TLSPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "compat.h"
#include "dns.h"
#include "tls.h"

struct conf_url;
struct mtasts;
struct session_env;
struct why;

struct tlspolicy {
	const char	*name;		/* the policy, for logs (static) */
	bool		 starttls;	/* STARTTLS when offered */
	bool		 required;	/* no TLS: fail (4.7.4) */
	bool		 verify;	/* certificate checked (name or DANE) */
	bool		 fallback;	/* plaintext after a failed STARTTLS */
	bool		 sts_testing;	/* MTA-STS testing: log failures */
	char		 why_required[320];	/* "tls_policy verify for x" */
	const char	*verify_name;	/* borrowed: the host */
	struct tls_tlsa	*tlsa;		/* DANE: usable records, or NULL */
	size_t		 ntlsa;
	struct dns_tlsa	 recs;		/* owns tlsa's data */
};

/*
 * The policy for host (a relay's when url, else an MX host of domain
 * from hosts). 0, or -1 with why when the host must not be tried now.
 * Free with tlspolicy_free() after either.
 */
int	tlspolicy_for(struct session_env *, const struct conf_url *url,
	    const char *domain, const struct dns_hosts *hosts,
	    const struct mtasts *sts, const char *host,
	    struct tlspolicy *out, struct why *);
/*
 * Whether MTA-STS is looked up for domain: its tls_policy is dane, or
 * may by default or from "*" (an entry for the domain or a parent with
 * none, may, encrypt or verify is the admin's choice: conf_tlspol_sts).
 */
bool	tlspolicy_wants_sts(const struct session_env *, const char *domain);
void	tlspolicy_free(struct tlspolicy *);

/*
 * Before any attempt: env->tls_note (session_env.h) gets "none
 * policy=NAME" for the destination (domain NULL: the smarthosts), for a
 * log line when no session opens; shown with -v.
 */
void	tlspolicy_note_domain(struct session_env *, const char *domain);

#endif
