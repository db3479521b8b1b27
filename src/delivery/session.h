/*
 * session: an SMTP session to one destination, ready for transactions:
 * one relay (the choice among a route's relays is dest.c's), or the
 * domain's MX hosts in
 * preference order, each address in turn, until one greets, says EHLO,
 * does STARTTLS under the TLS policy of each host (tlspolicy.h: for
 * smarthosts the URL scheme and tls_verify, for MX hosts tls_policy and
 * DANE), with the "may" fallback to plaintext, and AUTH where configured.
 * A session (opaque) carries transactions (session_send) and tells who
 * answered (session_peer) and whether the server offers DSN; the caller
 * of session_open owns it (session_close). What the sessions share (DNS,
 * auth_file, TLS context, MTA-STS cache) is a struct session_env the
 * caller makes once.
 *
 * Results: SESSION_OK; SESSION_TEMP (every host failed: defer, why and
 * *status say the last reason); SESSION_PERM (the destination can never
 * work: no such domain, null MX).
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>

#include "smtp.h"
#include "why.h"

struct conf;
struct conf_url;
struct session;
struct session_env;
struct spool;

/*
 * The environment of the sessions (session_env.h): the DNS channel and
 * the auth_file made here (NULL with why when either fails), the TLS
 * context at its first use. conf and sp (the MTA-STS cache; NULL: none)
 * are borrowed; verbose shows the SMTP dialogue on stderr. The caller
 * owns it: session_env_free (NULL is fine), after every session.
 */
struct session_env *session_env_new(const struct conf *, struct spool *,
	    bool verbose, struct why *);
void	session_env_free(struct session_env *);
const struct conf *session_env_conf(const struct session_env *);
/*
 * After a session_open or session_open_relay that failed: the TLS policy
 * of the attempt that got furthest ("none policy=verify"), or "" (a
 * smarthost that failed before TLS); valid until the next open.
 */
const char *session_env_tls_note(const struct session_env *);

/* Who answered, for the log line and Remote-MTA (valid with the session). */
struct session_peer {
	char	host[256];	/* name, for Remote-MTA */
	char	relay[320];	/* host[ip]:port */
	/* "verified policy=verify TLSv1.3 with cipher ..." (tlspolicy.h) */
	char	tls[160];
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

/* One transaction: smtp_send (smtp.h) on the session's connection. */
enum smtp_result session_send(struct session *, struct smtp_msg *,
	    struct smtp_reply *, struct why *);
/* smtp_finish (smtp.h): the pending message's reply, if one waits. */
enum smtp_result session_finish(struct session *);
const struct session_peer *session_peer(const struct session *);
/* The server offers DSN (RFC 3461): NOTIFY and RET reach it. */
bool	session_offers_dsn(const struct session *);

#endif
