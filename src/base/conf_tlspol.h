/*
 * conf_tlspol: the "tls_policy DOMAIN LEVEL" lines of minimta.conf (a
 * pure parser and the lookup; no I/O, no globals). The levels are those
 * of Postfix's smtp_tls_security_level for MX delivery:
 *
 *   none     no STARTTLS
 *   may      STARTTLS when offered, certificate not checked; a STARTTLS
 *            that fails (454, failed handshake) falls back to plaintext
 *   encrypt  TLS required, certificate not checked
 *   verify   TLS required; chain (tls_ca_file, tls_ca_path) and the MX
 *            host name verified
 *   dane     DANE (RFC 7672) where DNSSEC-validated TLSA records are
 *            usable; else as "may" (Postfix's opportunistic "dane")
 *
 * DOMAIN: "example.org" (that domain only), ".example.org" (its
 * subdomains only), or "*" (the default; without it: may). The most
 * specific entry wins (exact, then the longest parent, then "*"); a
 * second line for the same DOMAIN replaces the first.
 *
 * conf_tlspol_parse() owns nothing: the caller frees out->domain.
 */
#ifndef CONF_TLSPOL_H
#define CONF_TLSPOL_H

#include <stdbool.h>
#include <stddef.h>

struct why;

enum conf_tls_level {
	CONF_TLS_NONE,
	CONF_TLS_MAY,
	CONF_TLS_ENCRYPT,
	CONF_TLS_VERIFY,
	CONF_TLS_DANE,
};

struct conf_tls_policy {
	char			*domain;	/* lower case, no final dot */
	enum conf_tls_level	 level;
};

/* "DOMAIN LEVEL": 0, or -1 with why (the reason only). */
int	conf_tlspol_parse(const char *value, struct conf_tls_policy *out,
	    struct why *);
/* A level's name ("none" ... "dane"); NULL for a bad value. */
const char *conf_tlspol_name(enum conf_tls_level);
/* The level by name; -1 when it is none of the five. */
int	conf_tlspol_level(const char *name, enum conf_tls_level *out);
/* Adds p to the list (or replaces the entry for its DOMAIN); takes p. */
void	conf_tlspol_add(struct conf_tls_policy **v, size_t *n,
	    struct conf_tls_policy *p);
/*
 * The entry that applies to domain (an MX destination): exact, nearest
 * parent, "*"; NULL when none does. Borrowed from v.
 */
const struct conf_tls_policy *conf_tlspol_match(
	    const struct conf_tls_policy *v, size_t n, const char *domain);
/* The level that applies to domain (an MX destination); may by default. */
enum conf_tls_level conf_tlspol_lookup(const struct conf_tls_policy *v,
	    size_t n, const char *domain);
/*
 * Whether MTA-STS may apply to domain: its level is dane, or may by
 * default or from "*". An entry naming the domain or a parent with none,
 * may, encrypt or verify is the admin's choice and wins over a policy
 * the domain publishes (RFC 8461 leaves that to the sender).
 */
bool	conf_tlspol_sts(const struct conf_tls_policy *v, size_t n,
	    const char *domain);

#endif
