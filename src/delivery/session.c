#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "authfile.h"
#include "buf.h"
#include "conf.h"
#include "dns.h"
#include "io.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "oauth2.h"
#include "session.h"
#include "session_env.h"
#include "smtp.h"
#include "tls.h"
#include "mtasts.h"
#include "tlspolicy.h"
#include "xmalloc.h"

struct session {
	struct io		*io;
	struct smtp_session	*smtp;
	struct session_peer	 peer;	/* who answered */
	bool			 dsn;		/* server offers DSN */
};

struct attempt {
	struct session_env	*env;
	const struct conf_url	*url;		/* NULL: MX delivery */
	const char		*host;
	const struct sockaddr	*sa;
	socklen_t		 salen;
	/* the TLS policy of this attempt (tlspolicy_for) */
	struct tlspolicy	 pol;
	bool			 plaintext;	/* the "may" fallback try */
	bool			 starttls_failed;	/* fallback allowed */
	char			 status[16];	/* of a failure */
};

#define note session_env_trace

static void
trace(void *arg, char dir, const char *line, size_t len)
{
	(void)arg;
	(void)fprintf(stderr, "%s %.*s\n", dir == '>' ? ">>>" : "<<<",
	    (int)len, line);
}

static bool
is_ip_literal(const char *h)
{
	return strchr(h, ':') != NULL || strspn(h, "0123456789.") ==
	    strlen(h);
}

static void
fail_reply(struct why *why, const char *relay, const char *stage,
    const struct smtp_reply *r)
{
	struct buf b;

	buf_init(&b);
	smtp_reply_format(r, &b);
	if (r->local)	/* our own reason, not the server's words */
		why_set(why, "%s: %s: %s", relay, stage, buf_cstr(&b));
	else
		why_set(why, "host %s said: %s (in reply to %s)", relay,
		    buf_cstr(&b), stage);
	buf_free(&b);
}

static int
do_auth(const struct attempt *a, struct session *s, struct why *why)
{
	const struct conf *conf = a->env->conf;
	struct authfile_account acct;
	struct oauth2_login ol;
	struct smtp_reply r;
	int rc = 0;

	if (a->url == NULL || a->env->auth == NULL)
		return 0;
	if (authfile_find(a->env->auth, a->url->host, a->url->port,
	    a->url->user, &acct) == -1 || acct.user == NULL) {
		if (a->url->user != NULL) {
			why_set(why, "no password for %s@%s in auth_file",
			    a->url->user, a->url->host);
			return -1;
		}
		return 0;	/* no account for this host */
	}
	if (!io_is_tls(s->io) && !conf->auth_plaintext) {
		why_set(why, "host %s: not sending AUTH without TLS "
		    "(auth_plaintext is off)", s->peer.relay);
		return -1;
	}
	if (acct.token_cmd != NULL) {
		ol = (struct oauth2_login){ acct.user, a->url->host,
		    a->url->port, acct.token_cmd,
		    (int)conf->oauth2_token_timeout * 1000, s->peer.relay };
		return oauth2_auth(s->smtp, &ol, why) == 0 ? 0 : -1;
	}
	smtp_reply_init(&r);
	if (smtp_auth(s->smtp, acct.user, acct.pass, &r) != SMTP_OK) {
		fail_reply(why, s->peer.relay, "AUTH", &r);
		rc = -1;
	}
	smtp_reply_free(&r);
	return rc;
}

/*
 * STARTTLS under the attempt's policy: 0 done, -1 failed (why, and
 * a->starttls_failed when the policy lets us retry in plaintext).
 */
static int
starttls(struct attempt *a, struct session *s, const char *sni,
    struct smtp_reply *r, struct why *why)
{
	const struct tlspolicy *p = &a->pol;
	struct tls_ctx *ctx;
	enum smtp_result res;
	struct why w;

	if ((ctx = session_env_tls(a->env, why)) == NULL)
		return -1;
	if (tls_ctx_dane(ctx, a->host, p->tlsa, p->ntlsa, why) == -1)
		return -1;
	res = smtp_starttls(s->smtp, ctx, sni, p->verify ? p->verify_name :
	    NULL, r, why);
	(void)tls_ctx_dane(ctx, NULL, NULL, 0, &w);	/* off: cannot fail */
	if (res == SMTP_OK)
		return 0;
	if (r->code != 0 && !r->local) {
		fail_reply(why, s->peer.relay, "STARTTLS", r);
	} else {
		w = *why;
		why_set(why, "%s: %s", s->peer.relay, w.text);
	}
	/* 454, or a handshake that failed without a certificate check */
	a->starttls_failed = p->fallback && (res != SMTP_NETFAIL ||
	    !p->verify);
	(void)strlcpy(a->status, res != SMTP_NETFAIL ? "4.7.4" : "4.7.5",
	    sizeof(a->status));
	return -1;
}

/* s->peer.tls: "LEVEL policy=POLICY[ fallback][ TLSv1.3 with cipher ...]" */
static void
describe_tls(const struct attempt *a, struct session *s)
{
	const char *level = "none", *info = io_tls_info(s->io);

	if (io_is_tls(s->io))
		level = io_tls_dane(s->io) ? "dane" : a->pol.verify ?
		    "verified" : "encrypted";
	else if (a->url != NULL && !a->plaintext) {
		/* a smarthost in plaintext under smtp://: as before */
		s->peer.tls[0] = '\0';
		return;
	}
	(void)snprintf(s->peer.tls, sizeof(s->peer.tls), "%s policy=%s%s%s%s",
	    level, a->pol.name, a->plaintext ? " fallback" : "",
	    info ? " " : "", info ? info : "");
}

/* Brings one connected session through greeting, EHLO, TLS and AUTH. */
static int
handshake(struct attempt *a, struct session *s, struct why *why)
{
	const struct tlspolicy *p = &a->pol;
	enum conf_scheme scheme = a->url ? a->url->scheme : CONF_SMTP;
	const char *sni = is_ip_literal(a->host) ? NULL : a->host;
	struct smtp_reply r;
	int rc = -1;

	smtp_reply_init(&r);
	if (scheme == CONF_SMTPS && (session_env_tls(a->env, why) == NULL ||
	    io_starttls(s->io, a->env->tls, sni, p->verify ? p->verify_name :
	    NULL, why) == -1)) {
		(void)strlcpy(a->status, "4.7.5", sizeof(a->status));
		goto out;
	}
	if (smtp_greeting(s->smtp, &r) != SMTP_OK) {
		fail_reply(why, s->peer.relay, "the initial greeting", &r);
		goto out;
	}
	if (smtp_ehlo(s->smtp, &r) != SMTP_OK) {
		fail_reply(why, s->peer.relay, "EHLO", &r);
		goto out;
	}
	if (scheme != CONF_SMTPS && p->starttls && !a->plaintext &&
	    smtp_has(s->smtp, SMTP_EXT_STARTTLS)) {
		if (starttls(a, s, sni, &r, why) == -1)
			goto out;
		if (smtp_ehlo(s->smtp, &r) != SMTP_OK) {
			fail_reply(why, s->peer.relay, "EHLO after STARTTLS",
			    &r);
			goto out;
		}
	} else if (scheme != CONF_SMTPS && p->required) {
		why_set(why, "host %s does not offer STARTTLS, which %s "
		    "requires", s->peer.relay, p->why_required);
		(void)strlcpy(a->status, "4.7.4", sizeof(a->status));
		goto out;
	}
	describe_tls(a, s);
	if (p->sts_testing && !io_tls_verified(s->io))
		log_as(LOG_PROG_SMTP, LOG_LEVEL_WARN, "MTA-STS testing: %s: %s",
		    s->peer.relay, io_is_tls(s->io) ? io_tls_verify(s->io) :
		    "no TLS");
	if (io_is_tls(s->io))
		log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO,
		    "%s TLS connection established to %s: %s",
		    io_tls_dane(s->io) ? "Verified (DANE)" : p->verify ?
		    "Verified" : "Anonymous", s->peer.relay,
		    io_tls_info(s->io) ? io_tls_info(s->io) : "TLS");
	if (do_auth(a, s, why) == -1)
		goto out;
	s->dsn = smtp_has(s->smtp, SMTP_EXT_DSN);
	rc = 0;
out:
	smtp_reply_free(&r);
	return rc;
}

/*
 * How far an attempt got: the reason kept across a host's addresses is
 * the one from the attempt that got furthest (a certificate failure on
 * 127.0.0.1 tells more than "Connection refused" on ::1 after it).
 */
enum reach {
	REACH_NONE,		/* no attempt yet */
	REACH_LOOKUP,		/* the name did not resolve */
	REACH_CONNECT,		/* no connection */
	REACH_SERVER,		/* connected: the server or TLS said no */
};

/* Keeps w in best when it got at least as far as best's attempt. */
static void
keep_reason(struct why *best, enum reach *best_reach, const struct why *w,
    enum reach reach)
{
	if (reach >= *best_reach) {
		*best = *w;
		*best_reach = reach;
	}
}

/* The same, with the attempt's status (a TLS policy failure: 4.7.x). */
static void
keep_status(struct session_env *env, enum reach reach, enum reach best,
    const struct attempt *a)
{
	if (reach < best)
		return;
	(void)strlcpy(env->status, a->status[0] ? a->status : "4.4.1",
	    sizeof(env->status));
	/* a smarthost's line names its TLS policy when TLS failed */
	if (a->url == NULL || a->status[0] != '\0')
		(void)snprintf(env->tls_note, sizeof(env->tls_note),
		    "none policy=%s", a->pol.name);
	else
		env->tls_note[0] = '\0';
}

static struct session *
try_address(struct attempt *a, enum reach *reach, struct why *why)
{
	const struct conf *conf = a->env->conf;
	struct smtp_params p = { 0 };
	struct session *s = xcalloc(1, sizeof(*s));
	char ip[INET6_ADDRSTRLEN + 8];
	int port = 0, fd;

	net_ntop(a->sa, ip, sizeof(ip), &port);
	(void)snprintf(s->peer.host, sizeof(s->peer.host), "%s", a->host);
	(void)snprintf(s->peer.relay, sizeof(s->peer.relay), "%s[%s]:%d",
	    a->host, ip, port);
	*reach = REACH_CONNECT;
	fd = net_connect(a->sa, a->salen, a->host,
	    (int)conf->connect_timeout * 1000, why);
	if (fd == -1) {
		free(s);
		return NULL;
	}
	*reach = REACH_SERVER;
	s->io = io_new(fd);
	io_set_timeout(s->io, (int)conf->command_timeout * 1000);
	p.helo_name = conf->hostname;
	p.command_timeout_ms = (int)conf->command_timeout * 1000;
	p.data_timeout_ms = (int)conf->data_timeout * 1000;
	p.auth_plaintext = conf->auth_plaintext;
	if (a->env->verbose) {
		p.trace = trace;
		p.trace_arg = NULL;
	}
	s->smtp = smtp_new(s->io, &p);
	if (handshake(a, s, why) == -1) {
		session_close(s, true);
		return NULL;
	}
	return s;
}

/*
 * One address under the policy; when STARTTLS fails where the policy
 * allows it ("may", no AUTH), a new connection without STARTTLS, as
 * Postfix does: the server would otherwise defer the mail on every run.
 */
static struct session *
try_policy(struct attempt *a, enum reach *reach, struct why *why)
{
	struct session *s;

	a->plaintext = a->starttls_failed = false;
	a->status[0] = '\0';
	if ((s = try_address(a, reach, why)) != NULL ||
	    !a->starttls_failed)
		return s;
	log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO, "STARTTLS failed: %s; trying "
	    "again in plaintext (tls_policy %s)", why->text, a->pol.name);
	note(a->env, "STARTTLS failed: %s: plaintext (policy %s)",
	    why->text, a->pol.name);
	a->plaintext = true;
	a->status[0] = '\0';
	return try_address(a, reach, why);
}

/*
 * Tries every address of every host; NULL with why from the attempt
 * that got furthest (the last of those).
 */
static struct session *
try_hosts(struct session_env *env, const struct conf_url *url,
    const char *domain, const struct dns_hosts *hosts,
    const struct mtasts *sts, enum reach *best_reach, struct why *why)
{
	struct attempt a = { .env = env, .url = url };
	struct session *s = NULL;
	enum reach reach;
	struct why w;
	size_t i, j;

	for (i = 0; i < hosts->n && s == NULL; i++) {
		a.host = url ? url->host : hosts->v[i].name;
		if (tlspolicy_for(env, url, domain, hosts, sts, a.host,
		    &a.pol, &w) == -1) {
			/* a TLSA lookup failed: this host must wait */
			(void)strlcpy(a.status, "4.7.5", sizeof(a.status));
			log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO, "%s", w.text);
			keep_status(env, REACH_SERVER, *best_reach, &a);
			keep_reason(why, best_reach, &w, REACH_SERVER);
			continue;
		}
		for (j = 0; j < hosts->v[i].naddrs; j++) {
			a.sa = (const struct sockaddr *)&hosts->v[i].addrs[j];
			a.salen = hosts->v[i].addrlens[j];
			if ((s = try_policy(&a, &reach, &w)) != NULL)
				break;
			log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO, "%s", w.text);
			keep_status(env, reach, *best_reach, &a);
			keep_reason(why, best_reach, &w, reach);
		}
		tlspolicy_free(&a.pol);
	}
	return s;
}

enum session_result
session_open_relay(struct session_env *env, const struct conf_url *u,
    struct session **out, char status[16], struct why *why)
{
	int timeout = (int)env->conf->command_timeout * 1000;
	struct dns_hosts hosts = { 0 };
	enum reach reach = REACH_NONE;
	enum dns_result dr;
	struct why w;

	*out = NULL;
	(void)strlcpy(status, "4.4.1", 16);
	(void)strlcpy(env->status, "4.4.1", sizeof(env->status));
	tlspolicy_note_domain(env, NULL);
	why_set(why, "smarthost %s could not be reached", u->text);
	dr = dns_host(env->dns, u->host, u->port, timeout, &hosts, &w);
	if (dr == DNS_FOUND) {
		*out = try_hosts(env, u, NULL, &hosts, NULL, &reach, why);
		(void)strlcpy(status, env->status, 16);
	} else {
		log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO, "smarthost %s: %s",
		    u->text, w.text);
		keep_reason(why, &reach, &w, REACH_LOOKUP);
	}
	dns_hosts_free(&hosts);
	return *out ? SESSION_OK : SESSION_TEMP;
}

enum session_result
session_open(struct session_env *env, const char *domain,
    struct session **out, char status[16], struct why *why)
{
	const struct conf *conf = env->conf;
	int timeout = (int)conf->command_timeout * 1000;
	struct dns_hosts hosts = { 0 };
	enum reach reach = REACH_NONE;
	struct mtasts sts = { 0 };
	enum dns_result dr;

	*out = NULL;
	(void)strlcpy(status, "4.4.1", 16);
	(void)strlcpy(env->status, "4.4.1", sizeof(env->status));
	tlspolicy_note_domain(env, domain);
	why_set(why, "no MX host could be reached");
	dr = dns_mx(env->dns, domain, (int)conf->smtp_port, timeout, &hosts,
	    why);
	switch (dr) {
	case DNS_FOUND:
		/* never a connection to ourselves (loop.h) */
		if (loop_mx(conf, domain, &hosts, why)) {
			(void)strlcpy(status, "5.4.6", 16);
			dns_hosts_free(&hosts);
			return SESSION_PERM;
		}
		if (tlspolicy_wants_sts(env, domain))
			mtasts_lookup(env, domain, &sts);
		*out = try_hosts(env, NULL, domain, &hosts, &sts, &reach,
		    why);
		mtasts_free(&sts);
		(void)strlcpy(status, env->status, 16);
		break;
	case DNS_NULLMX:
		(void)strlcpy(status, "5.1.10", 16);
		break;
	case DNS_NOTFOUND:
		(void)strlcpy(status, "5.1.2", 16);
		break;
	case DNS_RETRY:
		(void)strlcpy(status, "4.4.3", 16);
		break;
	default:
		(void)strlcpy(status, "4.4.1", 16);
		break;
	}
	dns_hosts_free(&hosts);
	if (*out != NULL)
		return SESSION_OK;
	return dr == DNS_NULLMX || dr == DNS_NOTFOUND ? SESSION_PERM :
	    SESSION_TEMP;
}

void
session_close(struct session *s, bool quit)
{
	if (s == NULL)
		return;
	if (quit && s->smtp != NULL)
		smtp_quit(s->smtp);
	smtp_free(s->smtp);
	io_free(s->io);
	free(s);
}

bool
session_idle_ok(const struct session *s)
{
	return io_idle_ok(s->io);
}

enum smtp_result
session_send(struct session *s, struct smtp_msg *m, struct smtp_reply *reply,
    struct why *why)
{
	return smtp_send(s->smtp, m, reply, why);
}

enum smtp_result
session_finish(struct session *s)
{
	return smtp_finish(s->smtp);
}

const struct session_peer *
session_peer(const struct session *s)
{
	return &s->peer;
}

bool
session_offers_dsn(const struct session *s)
{
	return s->dsn;
}
