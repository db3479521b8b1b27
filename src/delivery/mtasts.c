/*
 * mtasts.c: MTA-STS discovery, fetch and cache. See mtasts.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "dns.h"
#include "fileio.h"
#include "io.h"
#include "log.h"
#include "mtasts.h"
#include "net.h"
#include "session_env.h"
#include "spool.h"
#include "tls.h"
#include "why.h"
#include "xmalloc.h"

#define MTASTS_CACHE_MAX	(MTASTS_POLICY_MAX + 256)

/* The cache file's name: the domain, when the spool can name a file so. */
static bool
mtasts_cache_name(const char *domain)
{
	return strlen(domain) <= 60 && dns_hostname_ok(domain) &&
	    domain[0] != '.';
}

/* The cached policy of domain: 0 (id, fetched, text in b), or -1. */
static int
mtasts_cache_read(struct session_env *env, const char *domain,
    char id[MTASTS_ID_MAX + 1], long long *fetched, struct buf *text)
{
	struct buf b;
	struct why why;
	const char *pol;
	size_t plen;
	int fd, rc = -1;

	if (env->spool == NULL || !mtasts_cache_name(domain))
		return -1;
	if ((fd = spool_open_file(env->spool, SPOOL_MTASTS, domain,
	    &why)) == -1)
		return -1;
	buf_init(&b);
	if (fileio_read_all(fd, MTASTS_CACHE_MAX, &b) == 0 &&
	    mtasts_cache_parse(b.data, b.len, id, fetched, &pol, &plen) == 0) {
		buf_reset(text);
		buf_add(text, pol, plen);
		rc = 0;
	}
	(void)close(fd);	/* read-only */
	buf_free(&b);
	return rc;
}

static void
mtasts_cache_write(struct session_env *env, const char *domain,
    const char *id, const char *text, size_t len)
{
	struct spool_file *f;
	struct why why;
	struct buf b;

	if (env->spool == NULL || !mtasts_cache_name(domain))
		return;
	buf_init(&b);
	buf_printf(&b, "MINIMTA-STS 1\nid %s\nfetched %lld\n\n", id,
	    (long long)time(NULL));
	buf_add(&b, text, len);
	if ((f = spool_replace(env->spool, SPOOL_MTASTS, domain,
	    &why)) == NULL || spool_write(f, b.data, b.len, &why) == -1 ||
	    spool_commit(f, &why) == -1) {
		if (f != NULL)
			spool_abort(f);
		log_as(LOG_PROG_SMTP, LOG_LEVEL_WARN, "MTA-STS policy of %s "
		    "not cached: %s", domain, why.text);
	}
	buf_free(&b);
}

/*
 * The time left before deadline for the next step of a fetch, at most
 * cap ms (cap 0: no other cap); 0 when none is left.
 */
static int
mtasts_left(int64_t deadline, int cap)
{
	int ms = net_remaining(deadline);

	return cap > 0 && ms > cap ? cap : ms;
}

/* The reason of a fetch that ran out of time. */
static void
mtasts_timeout_why(const struct conf *conf, struct why *why)
{
	char secs[32];

	net_fmt_secs((int)conf->mta_sts_timeout * 1000, secs, sizeof(secs));
	why_set(why, "no policy within %s (mta_sts_timeout)", secs);
}

/*
 * One HTTPS GET of the policy from one address, every step (connect,
 * handshake, request, reply) within deadline: 0 (body in out), or -1.
 */
static int
mtasts_get(struct session_env *env, const char *host,
    const struct dns_host *h, size_t k, int64_t deadline, struct buf *out,
    struct why *why)
{
	const struct conf *conf = env->conf;
	const char *body, *err;
	struct tls_ctx *ctx;
	struct buf resp;
	struct io *io;
	size_t blen;
	int fd, rc = -1;

	if ((ctx = session_env_tls(env, why)) == NULL)
		return -1;
	fd = net_connect((const struct sockaddr *)&h->addrs[k],
	    h->addrlens[k], host, mtasts_left(deadline,
	    (int)conf->connect_timeout * 1000), why);
	if (fd == -1)
		return -1;
	io = io_new(fd);
	buf_init(&resp);
	/* HTTP/1.0: no chunked reply; RFC 8461 3.3: no redirects */
	io_set_timeout(io, mtasts_left(deadline, 0));
	if (io_starttls(io, ctx, host, host, why) == -1)
		goto out;
	io_printf(io, "GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: %s\r\n"
	    "User-Agent: minimta\r\nConnection: close\r\n\r\n", host);
	io_set_timeout(io, mtasts_left(deadline, 0));
	if (io_flush(io, why) == -1)
		goto out;
	io_set_timeout(io, mtasts_left(deadline, 0));
	if (io_read_all(io, &resp, MTASTS_POLICY_MAX + MTASTS_HTTP_HEAD_MAX,
	    why) == -1)
		goto out;
	if (mtasts_http_body(resp.data, resp.len, &body, &blen, &err) == -1) {
		why_set(why, "%s", err);
		goto out;
	}
	buf_reset(out);
	buf_add(out, body, blen);
	rc = 0;
out:
	/* a step that failed for want of time says so, not "timeout after
	 * (what was left) reading from server" */
	if (rc == -1 && net_remaining(deadline) == 0)
		mtasts_timeout_why(conf, why);
	/* the close_notify wait is bounded by IO_CLOSE_MS */
	io_free(io);
	buf_free(&resp);
	return rc;
}

/*
 * Fetches the policy of domain, all addresses of mta-sts.DOMAIN tried
 * within mta_sts_timeout in all: 0 (text in out), or -1 with why.
 */
static int
mtasts_fetch(struct session_env *env, const char *domain, struct buf *out,
    struct why *why)
{
	const struct conf *conf = env->conf;
	struct dns_hosts hosts = { 0 };
	struct why w;
	char *host;
	int64_t deadline;
	size_t i, k;
	int rc = -1;

	deadline = net_deadline((int)conf->mta_sts_timeout * 1000);
	host = xasprintf("mta-sts.%s", domain);
	if (dns_host(env->dns, host, (int)conf->mta_sts_port,
	    mtasts_left(deadline, (int)conf->command_timeout * 1000), &hosts,
	    why) != DNS_FOUND)
		goto out;
	for (i = 0; i < hosts.n && rc == -1; i++) {
		for (k = 0; k < hosts.v[i].naddrs && rc == -1; k++) {
			if (net_remaining(deadline) == 0)
				mtasts_timeout_why(conf, &w);
			else
				rc = mtasts_get(env, host, &hosts.v[i], k,
				    deadline, out, &w);
			if (rc == -1)
				why_set(why, "https://%s/.well-known/"
				    "mta-sts.txt: %s", host, w.text);
		}
	}
out:
	dns_hosts_free(&hosts);
	free(host);
	return rc;
}

/* Parses text into out->pol and activates it when it says so. */
static int
mtasts_use(struct mtasts *out, const char *text, size_t len,
    struct why *why)
{
	const char *err;

	if (mtasts_policy_parse(text, len, &out->pol, &err) == -1) {
		mtasts_policy_free(&out->pol);
		why_set(why, "bad policy: %s", err);
		return -1;
	}
	out->active = out->pol.mode != MTASTS_MODE_NONE;
	return 0;
}

void
mtasts_lookup(struct session_env *env, const char *domain,
    struct mtasts *out)
{
	const struct conf *conf = env->conf;
	char cid[MTASTS_ID_MAX + 1], tid[MTASTS_ID_MAX + 1], *name;
	struct mtasts_policy cp;
	struct dns_txt txt;
	enum mtasts_txt tr = MTASTS_TXT_NONE;
	enum dns_result dr;
	long long fetched = 0;
	struct buf ctext, ftext;
	struct why why;
	const char *err;
	bool cached = false;

	memset(out, 0, sizeof(*out));
	(void)snprintf(out->domain, sizeof(out->domain), "%s", domain);
	if (!conf->mta_sts || domain[0] == '[' || !dns_hostname_ok(domain))
		return;
	buf_init(&ctext);
	buf_init(&ftext);
	/* an unexpired cached policy (5.1) */
	if (mtasts_cache_read(env, domain, cid, &fetched, &ctext) == 0 &&
	    mtasts_policy_parse(ctext.data, ctext.len, &cp, &err) == 0) {
		cached = fetched + cp.max_age > (long long)time(NULL);
		mtasts_policy_free(&cp);
	}
	name = xasprintf("_mta-sts.%s", domain);
	dr = dns_txt(env->dns, name, (int)conf->command_timeout * 1000, &txt,
	    &why);
	free(name);
	if (dr == DNS_FOUND)
		tr = mtasts_txt_parse((const char *const *)txt.v, txt.len,
		    txt.n, tid);
	dns_txt_free(&txt);
	if (tr == MTASTS_TXT_FOUND && !(cached && strcmp(cid, tid) == 0)) {
		session_env_trace(env, "MTA-STS: %s publishes policy id %s%s",
		    domain, tid, cached ? " (cached: another id)" : "");
		if (mtasts_fetch(env, domain, &ftext, &why) == 0 &&
		    mtasts_use(out, ftext.data, ftext.len, &why) == 0) {
			mtasts_cache_write(env, domain, tid, ftext.data,
			    ftext.len);
			goto out;
		}
		log_as(LOG_PROG_SMTP, LOG_LEVEL_WARN, "MTA-STS policy of %s: "
		    "%s%s", domain, why.text, cached ?
		    "; using the cached one" : "");
		session_env_trace(env, "MTA-STS: fetch failed: %s", why.text);
	}
	if (cached && mtasts_use(out, ctext.data, ctext.len, &why) == 0)
		session_env_trace(env, "MTA-STS: cached policy of %s", domain);
out:
	if (out->active)
		session_env_trace(env, "MTA-STS: policy of %s: %s, %zu mx "
		    "pattern%s", domain, out->pol.mode ==
		    MTASTS_MODE_ENFORCE ? "enforce" : "testing",
		    out->pol.nmx, out->pol.nmx == 1 ? "" : "s");
	buf_free(&ctext);
	buf_free(&ftext);
}

void
mtasts_free(struct mtasts *m)
{
	if (m == NULL)
		return;
	mtasts_policy_free(&m->pol);
	m->active = false;
}
