/*
 * session_env: what the SMTP sessions of one delivery process share, and
 * own: the DNS channel, the auth_file accounts, the TLS context (made at
 * its first use: loading the CA store costs milliseconds, which each
 * delivery worker would otherwise pay even when no server offers
 * STARTTLS), the spool for the MTA-STS cache, the notes of the last
 * session_open that failed, and the -v trace of the TLS and MTA-STS
 * decisions (session_env_trace). session.h makes and frees it
 * (session_env_new, session_env_free); its fields are read only by the
 * session's own parts: session.c, tlspolicy.c and mtasts.c.
 */
#ifndef SESSION_ENV_H
#define SESSION_ENV_H

#include <stdbool.h>

#include "compat.h"
#include "why.h"

struct conf;
struct dns;
struct tls_ctx;
struct authfile;
struct spool;

struct session_env {
	const struct conf	*conf;	/* borrowed */
	struct dns		*dns;
	struct tls_ctx		*tls;	/* made at first use; NULL: not yet */
	struct authfile		*auth;	/* NULL: no auth_file */
	struct spool		*spool;	/* the MTA-STS cache; NULL: none */
	bool			 verbose;	/* SMTP dialogue on stderr */
	/* filled by session_open when it fails, for the log line: */
	char			 status[16];	/* RFC 3463 code */
	char			 tls_note[64];	/* "none policy=verify" */
};

/*
 * The TLS context of env, made at its first use; NULL with why when it
 * cannot be made (the next call tries again). Owned by env.
 */
struct tls_ctx *session_env_tls(struct session_env *, struct why *);

/* With -v (env->verbose): "*** " and the text on stderr. */
void	session_env_trace(const struct session_env *, const char *, ...)
	    PRINTFLIKE(2, 3);

#endif
