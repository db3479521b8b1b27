/*
 * authfile: the smarthost passwords (config key auth_file). Readable by
 * the spool owner only: an unprivileged submitter never opens it.
 *
 * Lines (whitespace separated; '#' starts a comment only at the start of
 * a line, since a password may hold '#'):
 *	host user password
 *	smtp+starttls://user:pass@host:587	(user and password %-encoded)
 *	oauth2 host user /path/to/command [arg ...]
 * In the first form the password cannot hold white space; use the URL
 * form with %20. The third names the command whose standard output is
 * the account's OAuth2 access token (XOAUTH2, OAUTHBEARER: oauth2.h); it
 * has four fields or more, so it cannot be taken for the first, which
 * has exactly three. A URL line matches its host, and its port when it
 * names one; the other lines match their host on any port. The first
 * matching line wins.
 *
 * authfile_parse() is a pure function over bytes; authfile_load() checks
 * the file first: a regular file, owned by the effective uid or root, with
 * no access for group or others (mode & 077 == 0), else an error such as
 * "auth_file FILE: readable by others: chmod 600 FILE" (main exits 78).
 * Errors name FILE:LINE and never quote a password. The caller owns the
 * struct authfile; passwords are wiped by authfile_free().
 */
#ifndef AUTHFILE_H
#define AUTHFILE_H

#include <stddef.h>

struct why;
struct authfile;

#define AUTHFILE_LINE_MAX	4096		/* bytes in one line */
#define AUTHFILE_FILE_MAX	(1024 * 1024)	/* bytes authfile_load reads */

/* NULL with why set on a syntax error. name is used in messages. */
struct authfile *authfile_parse(const char *name, const char *text,
	    size_t len, struct why *);
/*
 * NULL with errno and why set: ENOENT missing, EPERM bad owner or mode,
 * EINVAL bad syntax, other errnos from open/read.
 */
struct authfile *authfile_load(const char *path, struct why *);
/*
 * Finds the account for a smarthost: 0 and *user, *pass (borrowed from
 * the struct authfile, valid until authfile_free), or -1 when no line
 * matches. host is compared without case and without [] around IPv6.
 * If user_or_NULL is given, the line's user must be exactly that.
 */
int	authfile_lookup(const struct authfile *, const char *host, int port,
	    const char *user_or_NULL, const char **user, const char **pass);
/* The same, with the whole account; *pass is NULL for an oauth2 line. */
struct authfile_account {
	const char	*user;
	const char	*pass;		/* NULL: a token command instead */
	char *const	*token_cmd;	/* argv, NULL-terminated, or NULL */
};
int	authfile_find(const struct authfile *, const char *host, int port,
	    const char *user_or_NULL, struct authfile_account *);
size_t	authfile_count(const struct authfile *);
void	authfile_free(struct authfile *);

#endif
