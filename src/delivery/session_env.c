/*
 * session_env.c: the environment the sessions share (session_env.h,
 * session.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "authfile.h"
#include "conf.h"
#include "dns.h"
#include "session.h"
#include "session_env.h"
#include "tls.h"
#include "xmalloc.h"

struct session_env *
session_env_new(const struct conf *conf, struct spool *sp, bool verbose,
    struct why *why)
{
	struct session_env *env = xcalloc(1, sizeof(*env));

	env->conf = conf;
	env->spool = sp;
	env->verbose = verbose;
	if ((env->dns = dns_new(conf->resolver, why)) == NULL)
		goto fail;
	if (conf->auth_file != NULL &&
	    (env->auth = authfile_load(conf->auth_file, why)) == NULL)
		goto fail;
	return env;
fail:
	session_env_free(env);
	return NULL;
}

void
session_env_free(struct session_env *env)
{
	if (env == NULL)
		return;
	dns_free(env->dns);
	tls_ctx_free(env->tls);
	authfile_free(env->auth);
	free(env);
}

const struct conf *
session_env_conf(const struct session_env *env)
{
	return env->conf;
}

const char *
session_env_tls_note(const struct session_env *env)
{
	return env->tls_note;
}

struct tls_ctx *
session_env_tls(struct session_env *env, struct why *why)
{
	const struct conf *conf = env->conf;
	struct tls_config tc = { conf->tls_ca_file, conf->tls_ca_path,
	    conf->tls_cert_file, conf->tls_key_file };

	if (env->tls == NULL)
		env->tls = tls_ctx_new(&tc, why);
	return env->tls;
}

void
session_env_trace(const struct session_env *env, const char *fmt, ...)
{
	va_list ap;

	if (!env->verbose)
		return;
	(void)fputs("*** ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
}
