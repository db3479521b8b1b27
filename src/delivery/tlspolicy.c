/*
 * tlspolicy.c: the TLS policy of an attempt. See tlspolicy.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authfile.h"
#include "conf.h"
#include "dns.h"
#include "log.h"
#include "mtasts.h"
#include "session_env.h"
#include "tlspolicy.h"
#include "why.h"
#include "xmalloc.h"

/* Would this relay session send AUTH? (Then it never goes plaintext.) */
static bool
tlspolicy_auth(const struct session_env *env, const struct conf_url *u)
{
	struct authfile_account acct;

	if (u->user != NULL)
		return true;
	/* a password or an OAuth2 token command: as do_auth finds it */
	return env->auth != NULL && authfile_find(env->auth, u->host,
	    u->port, NULL, &acct) == 0 && acct.user != NULL;
}

static void
tlspolicy_relay(const struct session_env *env, const struct conf_url *u,
    struct tlspolicy *p)
{
	bool verify = env->conf->tls_verify;

	p->starttls = true;
	p->verify = verify;
	p->verify_name = u->host;
	if (u->scheme != CONF_SMTP) {
		p->name = verify ? "verify" : "encrypt";
		p->required = true;
		(void)snprintf(p->why_required, sizeof(p->why_required), "%s",
		    u->text);
		return;
	}
	p->name = "may";
	p->fallback = !tlspolicy_auth(env, u);
}

static void
tlspolicy_level(struct tlspolicy *p, enum conf_tls_level level,
    const char *domain, const char *host)
{
	p->name = conf_tlspol_name(level);
	p->starttls = level != CONF_TLS_NONE;
	p->fallback = level == CONF_TLS_MAY || level == CONF_TLS_DANE;
	p->required = level == CONF_TLS_ENCRYPT || level == CONF_TLS_VERIFY;
	p->verify = level == CONF_TLS_VERIFY;
	p->verify_name = host;
	(void)snprintf(p->why_required, sizeof(p->why_required),
	    "tls_policy %s for %s", p->name, domain);
}

/* DANE for one MX host: 0 (p set), or -1 (the TLSA lookup failed). */
static int
tlspolicy_dane(struct session_env *env, const struct dns_hosts *hosts,
    const char *domain, const char *host, struct tlspolicy *p,
    struct why *why)
{
	const struct conf *conf = env->conf;
	enum dns_tlsa_result r;
	struct why w;
	size_t i;

	if (!hosts->secure) {
		session_env_trace(env, "DANE: the MX records of %s are not "
		    "validated (no AD bit): as may", domain);
		return 0;
	}
	r = dns_tlsa(env->dns, host, (int)conf->smtp_port,
	    (int)conf->command_timeout * 1000, &p->recs, why);
	session_env_trace(env, "DANE: %s", why->text);
	switch (r) {
	case DNS_TLSA_USABLE:
		p->tlsa = xcalloc(p->recs.n, sizeof(*p->tlsa));
		for (i = 0; i < p->recs.n; i++) {
			p->tlsa[i].usage = p->recs.v[i].usage;
			p->tlsa[i].selector = p->recs.v[i].selector;
			p->tlsa[i].mtype = p->recs.v[i].mtype;
			p->tlsa[i].data = p->recs.v[i].data;
			p->tlsa[i].len = p->recs.v[i].len;
		}
		p->ntlsa = p->recs.n;
		p->required = p->verify = true;
		p->fallback = false;
		(void)snprintf(p->why_required, sizeof(p->why_required),
		    "DANE (TLSA records of %s)", host);
		return 0;
	case DNS_TLSA_UNUSABLE:
		p->required = true;
		p->fallback = false;
		(void)snprintf(p->why_required, sizeof(p->why_required),
		    "DANE (unusable TLSA records of %s)", host);
		return 0;
	case DNS_TLSA_NONE:
	case DNS_TLSA_INSECURE:
		return 0;
	case DNS_TLSA_RETRY:
	default:
		w = *why;	/* why_set must not read what it writes */
		why_set(why, "%s: not trying %s without it (DANE)", w.text,
		    host);
		return -1;
	}
}

/* MTA-STS for one MX host: 0 (p set), or -1 (not a host to use). */
static int
tlspolicy_sts(const struct session_env *env, const struct mtasts *sts,
    const char *host, struct tlspolicy *p, struct why *why)
{
	bool listed = mtasts_policy_allows(&sts->pol, host);

	if (sts->pol.mode == MTASTS_MODE_TESTING) {
		p->name = "mta-sts-testing";
		p->sts_testing = true;
		if (!listed)
			log_as(LOG_PROG_SMTP, LOG_LEVEL_WARN,
			    "MTA-STS testing: MX host %s of %s is not in its "
			    "policy", host, sts->domain);
		return 0;
	}
	if (!listed) {
		p->name = "mta-sts";	/* for the deferral's log line */
		why_set(why, "MX host %s is not in the MTA-STS policy of %s "
		    "(enforce)", host, sts->domain);
		session_env_trace(env, "%s", why->text);
		return -1;
	}
	p->name = "mta-sts";
	p->starttls = p->required = p->verify = true;
	p->fallback = false;
	p->verify_name = host;
	(void)snprintf(p->why_required, sizeof(p->why_required),
	    "the MTA-STS policy of %s", sts->domain);
	return 0;
}

bool
tlspolicy_wants_sts(const struct session_env *env, const char *domain)
{
	return conf_tlspol_sts(env->conf->tls_policies,
	    env->conf->ntls_policies, domain);
}

int
tlspolicy_for(struct session_env *env, const struct conf_url *url,
    const char *domain, const struct dns_hosts *hosts,
    const struct mtasts *sts, const char *host, struct tlspolicy *out,
    struct why *why)
{
	const struct conf *conf = env->conf;
	enum conf_tls_level level;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (url != NULL) {
		tlspolicy_relay(env, url, out);
	} else {
		level = conf_tlspol_lookup(conf->tls_policies,
		    conf->ntls_policies, domain);
		tlspolicy_level(out, level, domain, host);
		if (level == CONF_TLS_DANE)
			rc = tlspolicy_dane(env, hosts, domain, host, out,
			    why);
		/* RFC 8461 2: DANE first, where it applies */
		if (rc == 0 && sts != NULL && sts->active && out->ntlsa == 0 &&
		    (level == CONF_TLS_MAY || level == CONF_TLS_DANE))
			rc = tlspolicy_sts(env, sts, host, out, why);
	}
	if (rc == 0)
		session_env_trace(env, "TLS policy for %s: %s (%s%s%s%s)",
		    host, out->name, !out->starttls ? "no STARTTLS" :
		    out->required ? "TLS required" : "STARTTLS when offered",
		    out->ntlsa > 0 ? ", certificate checked against TLSA" :
		    out->verify ? ", certificate verified" : "",
		    out->fallback ? ", plaintext if it fails" : "",
		    out->starttls && !out->required && !out->fallback ?
		    ", no plaintext fallback" : "");
	return rc;
}

void
tlspolicy_free(struct tlspolicy *p)
{
	if (p == NULL)
		return;
	free(p->tlsa);
	p->tlsa = NULL;
	p->ntlsa = 0;
	dns_tlsa_free(&p->recs);
}

void
tlspolicy_note_domain(struct session_env *env, const char *domain)
{
	const struct conf *conf = env->conf;
	const char *name;

	if (domain == NULL) {
		env->tls_note[0] = '\0';	/* set per relay attempt */
		return;
	}
	name = conf_tlspol_name(conf_tlspol_lookup(conf->tls_policies,
	    conf->ntls_policies, domain));
	(void)snprintf(env->tls_note, sizeof(env->tls_note), "none policy=%s",
	    name);
	session_env_trace(env, "tls_policy for %s: %s", domain, name);
}
