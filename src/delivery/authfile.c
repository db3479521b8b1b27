/*
 * authfile.c: parser and loader of the smarthost password file. See
 * authfile.h.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "authfile.h"
#include "buf.h"
#include "fileio.h"
#include "conf_url.h"
#include "why.h"
#include "xmalloc.h"

struct authfile_entry {
	char	*host;		/* without [] */
	int	 port;		/* 0: any */
	char	*user;
	char	*pass;		/* NULL for an oauth2 line */
	char	**argv;		/* the token command, or NULL */
};

struct authfile {
	struct authfile_entry *v;
	size_t	 n;
};

static void
authfile_wipe(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
authfile_free(struct authfile *a)
{
	size_t i, j;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->v[i].host);
		free(a->v[i].user);
		authfile_wipe(a->v[i].pass);
		for (j = 0; a->v[i].argv != NULL && a->v[i].argv[j] != NULL;
		    j++)
			free(a->v[i].argv[j]);
		free(a->v[i].argv);
	}
	free(a->v);
	free(a);
}

size_t
authfile_count(const struct authfile *a)
{
	return a != NULL ? a->n : 0;
}

static void
authfile_add(struct authfile *a, char *host, int port, char *user,
    char *pass)
{
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n].host = host;
	a->v[a->n].port = port;
	a->v[a->n].user = user;
	a->v[a->n].pass = pass;
	a->v[a->n].argv = NULL;
	a->n++;
}

/* A host field: "[v6]" loses its brackets; host:port is refused. */
static char *
authfile_host(const char *host, struct why *why)
{
	size_t len = strlen(host);

	if (host[0] == '[' && len > 2 && host[len - 1] == ']')
		return xstrndup(host + 1, len - 2);
	if (strchr(host, ':') != NULL) {
		why_set(why, "host:port is only allowed in the URL form");
		return NULL;
	}
	return xstrdup(host);
}

/* "oauth2 host user /path/to/command [arg ...]" (at least four fields) */
static int
authfile_oauth2(struct authfile *a, char *line, struct why *why)
{
	char **argv = NULL, *p = line, *w, *host;
	size_t n = 0, i;

	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		w = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
		argv = xreallocarray(argv, n + 2, sizeof(*argv));
		argv[n++] = w;
		argv[n] = NULL;
	}
	if (n < 4) {
		why_set(why, "want \"oauth2 host user /path/to/command "
		    "[arg ...]\"");
		goto fail;
	}
	if (argv[3][0] != '/') {
		why_set(why, "the token command must be an absolute path");
		goto fail;
	}
	if ((host = authfile_host(argv[1], why)) == NULL)
		goto fail;
	authfile_add(a, host, 0, xstrdup(argv[2]), NULL);
	/* the command's argv: fields 3.. of the line, copied */
	for (i = 3; i < n; i++)
		argv[i - 3] = xstrdup(argv[i]);
	argv[n - 3] = NULL;
	a->v[a->n - 1].argv = argv;
	return 0;
fail:
	free(argv);
	return -1;
}

/* "host user password": three fields, why gets the reason only. */
static int
authfile_plain(struct authfile *a, char *line, struct why *why)
{
	char *f[3], *p = line, *host;
	size_t i;

	for (i = 0; i < 3; i++) {
		p += strspn(p, " \t");
		if (*p == '\0') {
			why_set(why, "want \"host user password\" or a URL");
			return -1;
		}
		f[i] = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
	}
	p += strspn(p, " \t");
	if (*p != '\0') {
		why_set(why, "more than three fields (a password with white "
		    "space needs the URL form, with %%20)");
		return -1;
	}
	if ((host = authfile_host(f[0], why)) == NULL)
		return -1;
	authfile_add(a, host, 0, xstrdup(f[1]), xstrdup(f[2]));
	return 0;
}

static int
authfile_url(struct authfile *a, const char *line, struct why *why)
{
	struct conf_url u;
	char *pass = NULL;
	bool port_given;

	if (conf_url_parse(line, &u, &pass, &port_given, why) == -1)
		return -1;
	if (u.user == NULL || pass == NULL) {
		why_set(why, "a URL line needs user:password@");
		authfile_wipe(pass);
		conf_url_free(&u);
		return -1;
	}
	authfile_add(a, u.host, port_given ? u.port : 0, u.user, pass);
	u.host = u.user = NULL;
	conf_url_free(&u);
	return 0;
}

static size_t
authfile_fields(const char *s)
{
	size_t n = 0;

	for (;;) {
		s += strspn(s, " \t");
		if (*s == '\0')
			return n;
		n++;
		s += strcspn(s, " \t");
	}
}

struct authfile *
authfile_parse(const char *name, const char *text, size_t len,
    struct why *why)
{
	struct authfile *a = xcalloc(1, sizeof(*a));
	const char *p = text, *end = text + len, *nl;
	struct why reason;
	size_t lineno = 0, n;
	char *line, *s;
	int rc;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (nl != NULL ? nl : end) - p;
		if (n > AUTHFILE_LINE_MAX) {
			why_set(why, "%s:%zu: line too long (max %d bytes)",
			    name, lineno, AUTHFILE_LINE_MAX);
			goto fail;
		}
		if (memchr(p, '\0', n) != NULL) {
			why_set(why, "%s:%zu: line contains a control "
			    "character", name, lineno);
			goto fail;
		}
		line = xstrndup(p, n);
		p += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (strpbrk(line, "\r\v\f") != NULL) {
			why_set(why, "%s:%zu: line contains a control "
			    "character", name, lineno);
			authfile_wipe(line);
			goto fail;
		}
		s = line + strspn(line, " \t");
		n = strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			s[--n] = '\0';
		if (*s == '\0' || *s == '#')
			rc = 0;
		else if (strncmp(s, "oauth2", 6) == 0 && (s[6] == ' ' ||
		    s[6] == '\t') && authfile_fields(s) >= 4)
			rc = authfile_oauth2(a, s, &reason);
		else if (strstr(s, "://") != NULL &&
		    strcspn(s, " \t") > (size_t)(strstr(s, "://") - s))
			rc = authfile_url(a, s, &reason);
		else
			rc = authfile_plain(a, s, &reason);
		authfile_wipe(line);
		if (rc == -1) {
			why_set(why, "%s:%zu: %s", name, lineno, reason.text);
			goto fail;
		}
	}
	return a;
fail:
	authfile_free(a);
	return NULL;
}

static int
authfile_check(const char *path, const struct stat *st, struct why *why)
{
	uid_t euid = geteuid();

	if (!S_ISREG(st->st_mode)) {
		why_set(why, "auth_file %s: not a regular file", path);
		return -1;
	}
	if (st->st_uid != euid && st->st_uid != 0) {
		why_set(why, "auth_file %s: owned by uid %ld, not by uid %ld "
		    "or root: chown %ld %s", path, (long)st->st_uid,
		    (long)euid, (long)euid, path);
		return -1;
	}
	if ((st->st_mode & 077) != 0) {
		why_set(why, "auth_file %s: readable by others: chmod 600 %s",
		    path, path);
		return -1;
	}
	return 0;
}

struct authfile *
authfile_load(const char *path, struct why *why)
{
	struct authfile *a = NULL;
	struct stat st;
	struct buf b;
	int fd, saved;

	buf_init(&b);
	/* O_NONBLOCK: a FIFO in its place must not hang us before fstat. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		why_errno(why, "auth_file %s: open", path);
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		why_errno(why, "auth_file %s: stat", path);
		goto out;
	}
	if (authfile_check(path, &st, why) == -1) {
		errno = EPERM;
		goto out;
	}
	if (fileio_read_all(fd, AUTHFILE_FILE_MAX, &b) == -1) {
		if (errno == EFBIG)
			why_set(why, "auth_file %s: file too large (max %d "
			    "bytes)", path, AUTHFILE_FILE_MAX);
		else
			why_errno(why, "auth_file %s: read", path);
		goto out;
	}
	if ((a = authfile_parse(path, b.data != NULL ? b.data : "", b.len,
	    why)) == NULL)
		errno = EINVAL;
out:
	saved = errno;
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	(void)close(fd);	/* read-only: nothing to lose */
	errno = saved;
	return a;
}

static const char *
authfile_strip(const char *host, size_t *len)
{
	*len = strlen(host);
	if (host[0] == '[' && *len > 2 && host[*len - 1] == ']') {
		*len -= 2;
		return host + 1;
	}
	return host;
}

int
authfile_find(const struct authfile *a, const char *host, int port,
    const char *user_or_NULL, struct authfile_account *out)
{
	const char *h;
	size_t i, len;

	if (a == NULL || host == NULL)
		return -1;
	h = authfile_strip(host, &len);
	for (i = 0; i < a->n; i++) {
		const struct authfile_entry *e = &a->v[i];

		if (strlen(e->host) != len || strncasecmp(e->host, h, len) != 0)
			continue;
		if (e->port != 0 && e->port != port)
			continue;
		if (user_or_NULL != NULL && strcmp(e->user, user_or_NULL) != 0)
			continue;
		out->user = e->user;
		out->pass = e->pass;
		out->token_cmd = e->argv;
		return 0;
	}
	return -1;
}

int
authfile_lookup(const struct authfile *a, const char *host, int port,
    const char *user_or_NULL, const char **user, const char **pass)
{
	struct authfile_account acct;

	if (authfile_find(a, host, port, user_or_NULL, &acct) == -1)
		return -1;
	*user = acct.user;
	*pass = acct.pass;
	return 0;
}
