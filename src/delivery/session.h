/*
 * session: an SMTP session to one destination, ready for transactions:
 * one relay (the choice among a route's relays is dest.c's), or the
 * domain's MX hosts in
 * preference order, each address in turn, until one greets, says EHLO,
 * does STARTTLS (always when offered; required for smtp+starttls://;
 * implicit for smtps://; certificate and host name verified for
 * smarthosts unless tls_verify is off) and AUTH where configured.
 *
 * Results: SESSION_OK; SESSION_TEMP (every host failed: defer, why and
 * *status say the last reason); SESSION_PERM (the destination can never
 * work: no such domain, null MX).
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>

#include "why.h"

struct conf;
struct dns;
struct tls_ctx;
struct authfile;
struct smtp_session;
struct io;

struct session_env {
	const struct conf	*conf;
	struct dns		*dns;
	struct tls_ctx		*tls;	/* made at first use (session.c) */
	struct authfile		*auth;	/* NULL: no auth_file */
	bool			 verbose;	/* SMTP dialogue on stderr */
};

struct session {
	struct io		*io;
	struct smtp_session	*smtp;
	char			 host[256];	/* name, for Remote-MTA */
	char			 relay[320];	/* host[ip]:port */
	char			 tls[160];	/* "TLSv1.3 with cipher ..." */
	bool			 dsn;		/* server offers DSN */
	unsigned		 messages;	/* transactions so far */
};

enum session_result {
	SESSION_OK,
	SESSION_TEMP,
	SESSION_PERM,
};

/* To the MX hosts of domain. status gets an RFC 3463 code. */
enum session_result session_open(struct session_env *,
	    const char *domain, struct session **, char status[16],
	    struct why *);
/* To one relay (a smarthost or relay_for URL): OK or TEMP. */
struct conf_url;
enum session_result session_open_relay(struct session_env *,
	    const struct conf_url *, struct session **, char status[16],
	    struct why *);
/* QUIT (when quit) and free; NULL is fine. */
void	session_close(struct session *, bool quit);

#endif
