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
#include "net.h"
#include "oauth2.h"
#include "session.h"
#include "smtp.h"
#include "tls.h"
#include "xmalloc.h"

struct attempt {
	struct session_env	*env;
	const struct conf_url	*url;		/* NULL: MX delivery */
	const char		*host;
	const struct sockaddr	*sa;
	socklen_t		 salen;
};

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

/*
 * The TLS context, made at the first TLS connection: loading the CA store
 * costs milliseconds, which each delivery worker would otherwise pay even
 * when no server offers STARTTLS.
 */
static struct tls_ctx *
tls_for(struct session_env *env, struct why *why)
{
	const struct conf *conf = env->conf;
	struct tls_config tc = { conf->tls_ca_file, conf->tls_ca_path,
	    conf->tls_cert_file, conf->tls_key_file };

	if (env->tls == NULL)
		env->tls = tls_ctx_new(&tc, why);
	return env->tls;
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
		    "(auth_plaintext is off)", s->relay);
		return -1;
	}
	if (acct.token_cmd != NULL) {
		ol = (struct oauth2_login){ acct.user, a->url->host,
		    a->url->port, acct.token_cmd,
		    (int)conf->oauth2_token_timeout * 1000, s->relay };
		return oauth2_auth(s->smtp, &ol, why) == 0 ? 0 : -1;
	}
	smtp_reply_init(&r);
	if (smtp_auth(s->smtp, acct.user, acct.pass, &r) != SMTP_OK) {
		fail_reply(why, s->relay, "AUTH", &r);
		rc = -1;
	}
	smtp_reply_free(&r);
	return rc;
}

/* Brings one connected session through greeting, EHLO, TLS and AUTH. */
static int
handshake(const struct attempt *a, struct session *s, struct why *why)
{
	const struct conf *conf = a->env->conf;
	enum conf_scheme scheme = a->url ? a->url->scheme : CONF_SMTP;
	bool verify = a->url != NULL && conf->tls_verify;
	const char *sni = is_ip_literal(a->host) ? NULL : a->host;
	struct smtp_reply r;
	int rc = -1;

	smtp_reply_init(&r);
	if (scheme == CONF_SMTPS && (tls_for(a->env, why) == NULL ||
	    io_starttls(s->io, a->env->tls, sni, verify ? a->host : NULL,
	    why) == -1))
		goto out;
	if (smtp_greeting(s->smtp, &r) != SMTP_OK) {
		fail_reply(why, s->relay, "the initial greeting", &r);
		goto out;
	}
	if (smtp_ehlo(s->smtp, &r) != SMTP_OK) {
		fail_reply(why, s->relay, "EHLO", &r);
		goto out;
	}
	if (scheme != CONF_SMTPS && smtp_has(s->smtp, SMTP_EXT_STARTTLS)) {
		if (tls_for(a->env, why) == NULL)
			goto out;
		if (smtp_starttls(s->smtp, a->env->tls, sni,
		    verify ? a->host : NULL, &r, why) != SMTP_OK) {
			if (r.code != 0 && !r.local)
				fail_reply(why, s->relay, "STARTTLS", &r);
			goto out;
		}
		if (smtp_ehlo(s->smtp, &r) != SMTP_OK) {
			fail_reply(why, s->relay, "EHLO after STARTTLS", &r);
			goto out;
		}
	} else if (scheme == CONF_SMTP_STARTTLS) {
		why_set(why, "host %s does not offer STARTTLS, which %s "
		    "requires", s->relay, a->url->text);
		goto out;
	}
	if (io_is_tls(s->io)) {
		(void)snprintf(s->tls, sizeof(s->tls), "%s",
		    io_tls_info(s->io) ? io_tls_info(s->io) : "TLS");
		log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO,
		    "%s TLS connection established to %s: %s",
		    verify ? "Verified" : "Anonymous", s->relay, s->tls);
	}
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

static struct session *
try_address(const struct attempt *a, enum reach *reach, struct why *why)
{
	const struct conf *conf = a->env->conf;
	struct smtp_params p = { 0 };
	struct session *s = xcalloc(1, sizeof(*s));
	char ip[INET6_ADDRSTRLEN + 8];
	int port = 0, fd;

	net_ntop(a->sa, ip, sizeof(ip), &port);
	(void)snprintf(s->host, sizeof(s->host), "%s", a->host);
	(void)snprintf(s->relay, sizeof(s->relay), "%s[%s]:%d", a->host, ip,
	    port);
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
 * Tries every address of every host; NULL with why from the attempt
 * that got furthest (the last of those).
 */
static struct session *
try_hosts(struct session_env *env, const struct conf_url *url,
    const struct dns_hosts *hosts, enum reach *best_reach, struct why *why)
{
	struct attempt a = { .env = env, .url = url };
	struct session *s;
	enum reach reach;
	struct why w;
	size_t i, j;

	for (i = 0; i < hosts->n; i++) {
		a.host = url ? url->host : hosts->v[i].name;
		for (j = 0; j < hosts->v[i].naddrs; j++) {
			a.sa = (const struct sockaddr *)&hosts->v[i].addrs[j];
			a.salen = hosts->v[i].addrlens[j];
			if ((s = try_address(&a, &reach, &w)) != NULL)
				return s;
			log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO, "%s", w.text);
			keep_reason(why, best_reach, &w, reach);
		}
	}
	return NULL;
}

enum session_result
session_open(struct session_env *env, const char *domain,
    struct session **out, char status[16], struct why *why)
{
	const struct conf *conf = env->conf;
	int timeout = (int)conf->command_timeout * 1000;
	struct dns_hosts hosts = { 0 };
	enum reach reach = REACH_NONE;
	enum dns_result dr;
	struct why w;
	size_t i;

	*out = NULL;
	(void)strlcpy(status, "4.4.1", 16);
	why_set(why, "no smarthost could be reached");
	if (domain == NULL) {
		for (i = 0; i < conf->nsmarthosts && *out == NULL; i++) {
			const struct conf_url *u = &conf->smarthosts[i];

			dr = dns_host(env->dns, u->host, u->port, timeout,
			    &hosts, &w);
			if (dr == DNS_FOUND) {
				*out = try_hosts(env, u, &hosts, &reach, why);
			} else {
				log_as(LOG_PROG_SMTP, LOG_LEVEL_INFO,
				    "smarthost %s: %s", u->text, w.text);
				keep_reason(why, &reach, &w, REACH_LOOKUP);
			}
			dns_hosts_free(&hosts);
		}
		return *out ? SESSION_OK : SESSION_TEMP;
	}
	dr = dns_mx(env->dns, domain, (int)conf->smtp_port, timeout, &hosts,
	    why);
	switch (dr) {
	case DNS_FOUND:
		*out = try_hosts(env, NULL, &hosts, &reach, why);
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
