/*
 * conf_url: the smarthost URLs of minimta.conf and auth_file
 * ("smtp://user@host:port", "smtps://...", "smtp+starttls://...") and the
 * "host[:port]" pairs that the smarthost and resolver keys share. Pure
 * functions over bytes: no I/O, no logging, no globals.
 *
 * conf_url_parse() fills a caller-owned struct conf_url; the caller
 * releases it with conf_url_free(), which wipes the URL text (auth_file
 * URLs may hold a password). Results: 0, or -1 with why holding the
 * reason only, never the password.
 */
#ifndef CONF_URL_H
#define CONF_URL_H

#include <stdbool.h>

struct why;

enum conf_scheme {
	CONF_SMTP,		/* STARTTLS when offered */
	CONF_SMTP_STARTTLS,	/* STARTTLS required */
	CONF_SMTPS,		/* implicit TLS */
};

struct conf_url {
	enum conf_scheme scheme;
	char	*user;		/* percent-decoded, or NULL */
	char	*host;		/* without [] around an IPv6 literal */
	int	 port;		/* given, or 25 / 25 / 465 by scheme */
	char	*text;		/* the URL as written, for logs (no secret) */
};

/*
 * Parses one smarthost URL into out (the caller frees it with
 * conf_url_free). With password NULL, a password in the URL is an error
 * that points to auth_file; otherwise *password receives the decoded
 * password (caller frees) or NULL. *port_given (may be NULL) says whether
 * the URL named a port. why gets the reason only, never the password.
 * Shared with authfile.c, whose lines may be whole URLs.
 */
int	conf_url_parse(const char *, struct conf_url *out, char **password,
	    bool *port_given, struct why *);
/* Frees what u holds and zeroes it; NULL does nothing. */
void	conf_url_free(struct conf_url *u);

/*
 * A host ("[IPv6]" or a name that conf_valid_domain() accepts) and an
 * optional ":port" (1..65535) in [s, end). *host (without the brackets)
 * is the caller's; *port is 0 when none was given.
 */
int	conf_url_hostport(const char *s, const char *end, char **host,
	    int *port, struct why *);

#endif
