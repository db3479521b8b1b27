/*
 * mtasts: MTA-STS (RFC 8461) for MX delivery: the policy of a
 * destination domain, looked up once per session (session.c) and then
 * applied to each MX host (tlspolicy.c).
 *
 * Discovery (3.1, 5.1): the TXT record _mta-sts.DOMAIN names a policy
 * id; the policy is fetched from https://mta-sts.DOMAIN/.well-known/
 * mta-sts.txt (port mta_sts_port, 443), the certificate verified against
 * tls_ca_file/tls_ca_path for mta-sts.DOMAIN, no redirects, at most
 * mta_sts_timeout for all of it (the address lookup, connect, handshake,
 * request and reply of every address tried) and MTASTS_POLICY_MAX bytes
 * of policy (MTASTS_HTTP_HEAD_MAX more of HTTP head); it is cached
 * in the spool (mta-sts/DOMAIN) for its max_age and fetched again when
 * the TXT id changes. A failed fetch keeps using an unexpired cached
 * policy; with none, the domain has no policy. A domain name longer than
 * the spool's names (60 bytes) is looked up but not cached.
 *
 * Applying it (4, 5): enforce: only MX hosts the policy names, over TLS
 * with a certificate verified for the MX host, else that host fails;
 * testing: every MX host as usual, with each failure logged. DANE comes
 * first where it applies (RFC 8461 2). mta_sts no turns it all off.
 */
#ifndef MTASTS_H
#define MTASTS_H

#include <stdbool.h>

#include "mtasts_parse.h"

struct session_env;

struct mtasts {
	bool			 active;	/* enforce or testing applies */
	struct mtasts_policy	 pol;
	char			 domain[256];
};

/* Fills out (inactive when the domain has no usable policy). */
void	mtasts_lookup(struct session_env *, const char *domain,
	    struct mtasts *out);
void	mtasts_free(struct mtasts *);

#endif
