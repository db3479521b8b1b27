/*
 * oauth2: AUTH with an OAuth2 access token (XOAUTH2, OAUTHBEARER of RFC
 * 7628) for a relay account whose auth_file line names a token command
 * (authfile.h: "oauth2 host user /path/to/command [arg ...]").
 *
 * The command runs through child_run (no shell): as the process's own
 * user, which for a queue run is the spool owner (root became it before
 * touching the spool); never as root (spool_owner root: refused). It gets
 * oauth2_token_timeout, after which it is killed, and OAUTH2_OUTPUT_MAX
 * bytes of standard output (more: killed, refused). Its output, trimmed
 * of white space, is the token: one word of visible ASCII of at most
 * AUTH_TOKEN_MAX bytes. The token is never logged, never shown in a -v
 * transcript (the AUTH line shows "<hidden>"), never put in a reason;
 * buffers that held it are wiped. On a failure the reason says how the
 * command ended and the first line of its standard error (cleaned).
 *
 * oauth2_auth prefers OAUTHBEARER, then XOAUTH2, whichever the server
 * offers. When the server refuses the token (a 5xx, after the 334 with
 * its JSON error or without it: an expired token looks like any other
 * refusal), the command runs once more, with MINIMTA_OAUTH2_RETRY=1 in
 * its environment (a command that caches tokens should fetch a new one),
 * and AUTH is tried once more with its token.
 *
 * Results: 0 (235), or -1 with why: the command failed, the server
 * refused (its reply; the decoded JSON error when it sent one), or it
 * offers neither mechanism (OAUTH2_NO_MECH: the caller may still have a
 * password to try).
 */
#ifndef OAUTH2_H
#define OAUTH2_H

#include <stdbool.h>

struct buf;
struct smtp_session;
struct why;

#define OAUTH2_OUTPUT_MAX	16384	/* bytes of the command's stdout */
#define OAUTH2_STDERR_MAX	1024	/* bytes of its stderr kept */
#define OAUTH2_NO_MECH		(-2)

struct oauth2_login {
	const char	*user;
	const char	*host;		/* for OAUTHBEARER's host= */
	int		 port;
	char *const	*argv;		/* the token command */
	int		 timeout_ms;
	const char	*relay;		/* "host[ip]:port", for reasons */
};

/*
 * Runs the command; the token goes into token (the caller wipes it).
 * retry: the server refused the last token.
 */
int	oauth2_token(const struct oauth2_login *, bool retry,
	    struct buf *token, struct why *);
/* The whole AUTH: mechanism, token, one retry with a new token. */
int	oauth2_auth(struct smtp_session *, const struct oauth2_login *,
	    struct why *);

#endif
