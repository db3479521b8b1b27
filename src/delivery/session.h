/*
 * session: an SMTP session to one destination, ready for transactions:
 * one relay (the choice among a route's relays is dest.c's), or the
 * domain's MX hosts in
 * preference order, each address in turn, until one greets, says EHLO,
 * does STARTTLS under the TLS policy of each host (tlspolicy.h: for
 * smarthosts the URL scheme and tls_verify, for MX hosts tls_policy and
 * DANE), with the "may" fallback to plaintext, and AUTH where configured.
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
struct spool;

struct session_env {
	const struct conf	*conf;
	struct dns		*dns;
	struct tls_ctx		*tls;	/* made at first use (session.c) */
	struct authfile		*auth;	/* NULL: no auth_file */
	struct spool		*spool;	/* the MTA-STS cache; NULL: none */
	bool			 verbose;	/* SMTP dialogue on stderr */
	/* filled by session_open when it fails, for the log line: */
	char			 status[16];	/* RFC 3463 code */
	char			 tls_note[64];	/* "none policy=verify" */
};

struct session {
	struct io		*io;
	struct smtp_session	*smtp;
	char			 host[256];	/* name, for Remote-MTA */
	char			 relay[320];	/* host[ip]:port */
	/* "verified policy=verify TLSv1.3 with cipher ..." (tlspolicy.h) */
	char			 tls[160];
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
/*
 * The TLS context of env, made at its first use (loading the CA store
 * costs milliseconds); NULL with why when it cannot be made.
 */
struct tls_ctx *session_tls_ctx(struct session_env *, struct why *);

/* To one relay (a smarthost or relay_for URL): OK or TEMP. */
struct conf_url;
enum session_result session_open_relay(struct session_env *,
	    const struct conf_url *, struct session **, char status[16],
	    struct why *);
/*
 * Nothing has come from the server since the last reply, and the
 * connection is open: the session can carry the next batch.
 */
bool	session_idle_ok(const struct session *);
/* QUIT (when quit) and free; NULL is fine. */
void	session_close(struct session *, bool quit);

#endif
