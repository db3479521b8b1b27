/*
 * test_authfile: the auth_file parser (both line forms, %-decoding,
 * errors with FILE:LINE), lookups, and the loader's owner and mode check
 * on a real temporary file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authfile.h"
#include "buf.h"
#include "unit.h"
#include "why.h"

int	main(void);

struct parse_case {
	const char *name;
	const char *text;
	const char *want;	/* "ERR: ..." or the entry count "N" */
};

static const struct parse_case parse_cases[] = {
	{ "empty", "", "0" },
	{ "comments", "# c\n\n   # indented\n\t\n", "0" },
	{ "plain", "relay.example.org me s3cret\n", "1" },
	{ "plain tabs CRLF", "relay\tme\ts3cret\r\n", "1" },
	{ "url", "smtp+starttls://me:pw@relay:587\n", "1" },
	{ "both", "a u p\nsmtps://u:p@b\n", "2" },
	{ "plain two fields", "relay me\n",
	    "ERR: a:1: want \"host user password\" or a URL" },
	{ "plain four fields", "# x\nrelay me pass word\n",
	    "ERR: a:2: more than three fields (a password with white space "
	    "needs the URL form, with %20)" },
	{ "plain host:port", "relay:587 me pw\n",
	    "ERR: a:1: host:port is only allowed in the URL form" },
	{ "plain [v6]", "[::1] me pw\n", "1" },
	{ "url no password", "smtp://me@relay\n",
	    "ERR: a:1: a URL line needs user:password@" },
	{ "url no user", "smtp://relay:25\n",
	    "ERR: a:1: a URL line needs user:password@" },
	{ "url bad escape", "smtp://me:p%zz@relay\n",
	    "ERR: a:1: bad %-escape in the password" },
	{ "url %00", "smtp://me:p%00@relay\n",
	    "ERR: a:1: bad %-escape in the password" },
	{ "url bad scheme", "http://me:p@relay\n",
	    "ERR: a:1: unknown URL scheme (want smtp://, smtp+starttls:// or "
	    "smtps://)" },
	{ "url bad port", "smtp://me:p@relay:99999\n",
	    "ERR: a:1: bad port (want 1..65535)" },
	{ "NUL", "relay me p\0w\n", "ERR: a:1: line contains a control "
	    "character" },
	{ "bare CR", "relay me p\rw\n", "ERR: a:1: line contains a control "
	    "character" },
	{ "oauth2", "oauth2 relay me /usr/bin/token\n", "1" },
	{ "oauth2 args", "oauth2\trelay me /t --user me --scope x\n", "1" },
	/* three fields: the host is called oauth2 */
	{ "oauth2 as a host", "oauth2 me pw\n", "1" },
	{ "oauth2 relative", "oauth2 relay me bin/token\n",
	    "ERR: a:1: the token command must be an absolute path" },
	{ "oauth2 host:port", "oauth2 relay:587 me /t\n",
	    "ERR: a:1: host:port is only allowed in the URL form" },
	{ "oauth2 [v6]", "oauth2 [::1] me /t\n", "1" },
};

static void
run_parse(const struct parse_case *tc, size_t len)
{
	struct authfile *a;
	struct why why;
	struct buf got;

	buf_init(&got);
	if ((a = authfile_parse("a", tc->text, len, &why)) != NULL)
		buf_printf(&got, "%zu", authfile_count(a));
	else
		buf_printf(&got, "ERR: %s", why.text);
	UNIT_STR(tc->name, buf_cstr(&got), tc->want);
	buf_free(&got);
	authfile_free(a);
}

struct lookup_case {
	const char *name;
	const char *host;
	int port;
	const char *user;
	const char *want;	/* "user/pass" or "none" */
};

static const char lookup_text[] =
    "# passwords\n"
    "smtp+starttls://me%40example.org:p%20w%23d@relay.example.org:587\n"
    "relay.example.org fallback plainpw\n"
    "smtps://other:o%3Ap@[2001:db8::1]\n"
    "backup.example.org alice pw#1\n"
    "backup.example.org bob pw2\n";

static const struct lookup_case lookup_cases[] = {
	{ "url port match", "relay.example.org", 587, NULL,
	    "me@example.org/p w#d" },
	{ "url port mismatch: plain line", "relay.example.org", 25, NULL,
	    "fallback/plainpw" },
	{ "host case", "RELAY.example.ORG", 587, NULL,
	    "me@example.org/p w#d" },
	{ "user picks line", "relay.example.org", 587, "fallback",
	    "fallback/plainpw" },
	{ "user not there", "relay.example.org", 587, "nobody", "none" },
	{ "ipv6 brackets", "[2001:db8::1]", 465, NULL, "other/o:p" },
	{ "ipv6 bare", "2001:db8::1", 2525, NULL, "other/o:p" },
	{ "first wins", "backup.example.org", 25, NULL, "alice/pw#1" },
	{ "second by user", "backup.example.org", 25, "bob", "bob/pw2" },
	{ "unknown host", "nowhere.example", 25, NULL, "none" },
	{ "suffix is not a match", "example.org", 25, NULL, "none" },
};

static const char oauth_text[] =
    "oauth2 smtp.example.com app@example.com /usr/lib/tok -a  b\n"
    "smtp.example.com other pw\n";

static void
test_oauth2(void)
{
	struct authfile_account acct;
	struct authfile *a;
	struct why why;
	struct buf got;
	size_t i;

	a = authfile_parse("a", oauth_text, sizeof(oauth_text) - 1, &why);
	UNIT_CHECK("oauth text parses", a != NULL, "%s", why.text);
	if (a == NULL)
		return;
	buf_init(&got);
	UNIT_INT("oauth find", authfile_find(a, "SMTP.example.com", 587, NULL,
	    &acct), 0);
	UNIT_STR("oauth user", acct.user, "app@example.com");
	UNIT_STR("oauth no password", acct.pass, NULL);
	for (i = 0; acct.token_cmd != NULL && acct.token_cmd[i] != NULL; i++)
		buf_printf(&got, "[%s]", acct.token_cmd[i]);
	UNIT_STR("oauth argv", buf_cstr(&got), "[/usr/lib/tok][-a][b]");
	UNIT_INT("password line", authfile_find(a, "smtp.example.com", 587,
	    "other", &acct), 0);
	UNIT_STR("password line pass", acct.pass, "pw");
	UNIT_CHECK("password line no command", acct.token_cmd == NULL,
	    "a command");
	buf_free(&got);
	authfile_free(a);
}

static void
test_lookup(void)
{
	struct authfile *a;
	struct why why;
	const char *u, *p;
	struct buf got;
	size_t i;

	a = authfile_parse("a", lookup_text, sizeof(lookup_text) - 1, &why);
	UNIT_CHECK("lookup text parses", a != NULL, "%s", why.text);
	if (a == NULL)
		return;
	UNIT_INT("lookup entries", authfile_count(a), 5);
	for (i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++) {
		const struct lookup_case *tc = &lookup_cases[i];

		buf_init(&got);
		if (authfile_lookup(a, tc->host, tc->port, tc->user, &u,
		    &p) == 0)
			buf_printf(&got, "%s/%s", u, p);
		else
			buf_adds(&got, "none");
		UNIT_STR(tc->name, buf_cstr(&got), tc->want);
		buf_free(&got);
	}
	UNIT_INT("NULL file", authfile_lookup(NULL, "x", 25, NULL, &u, &p),
	    -1);
	authfile_free(a);
	authfile_free(NULL);
}

/* Errors never quote a password. */
static void
test_no_secret(void)
{
	static const char *bad[] = {
		"smtp://me:hunter2@relay:0\n",
		"relay me hunter2 extra\n",
		"smtp://me:hunter2%zz@relay\n",
	};
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		UNIT_CHECK("bad parses", authfile_parse("a", bad[i],
		    strlen(bad[i]), &why) == NULL, "%s", bad[i]);
		UNIT_CHECK("no secret in error", strstr(why.text, "hunter2") ==
		    NULL, "%s", why.text);
	}
}

static void
test_limits(void)
{
	struct authfile *a;
	struct buf t;
	struct why why;

	buf_init(&t);
	buf_adds(&t, "h u ");
	while (t.len < AUTHFILE_LINE_MAX)
		buf_addc(&t, 'p');
	buf_addc(&t, '\n');
	a = authfile_parse("a", t.data, t.len, &why);
	UNIT_CHECK("line at limit", a != NULL, "%s", why.text);
	authfile_free(a);
	buf_reset(&t);
	buf_adds(&t, "h u ");
	while (t.len < AUTHFILE_LINE_MAX + 1)
		buf_addc(&t, 'p');
	a = authfile_parse("a", t.data, t.len, &why);
	UNIT_CHECK("line past limit", a == NULL, "parsed");
	UNIT_STR("line past limit why", why.text,
	    "a:1: line too long (max 4096 bytes)");
	buf_free(&t);
}

static void
test_load(void)
{
	char dir[] = "/tmp/test_authfile.XXXXXX", path[96], want[256];
	const char *u, *p;
	struct authfile *a;
	struct why why;
	int fd;

	UNIT_CHECK("mkdtemp", mkdtemp(dir) != NULL, "mkdtemp");
	(void)snprintf(path, sizeof(path), "%s/auth", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	UNIT_CHECK("create", fd >= 0, "open");
	UNIT_CHECK("write", write(fd, "relay me pw\n", 12) == 12, "write");
	close(fd);
	UNIT_CHECK("chmod 644", chmod(path, 0644) == 0, "chmod");

	a = authfile_load(path, &why);
	UNIT_CHECK("0644 refused", a == NULL, "loaded");
	UNIT_INT("0644 errno", errno, EPERM);
	(void)snprintf(want, sizeof(want),
	    "auth_file %s: readable by others: chmod 600 %s", path, path);
	UNIT_STR("0644 why", why.text, want);

	UNIT_CHECK("chmod 620", chmod(path, 0620) == 0, "chmod");
	a = authfile_load(path, &why);
	UNIT_CHECK("0620 refused (group write)", a == NULL, "loaded");
	UNIT_STR("0620 why", why.text, want);

	UNIT_CHECK("chmod 604", chmod(path, 0604) == 0, "chmod");
	UNIT_CHECK("0604 refused", authfile_load(path, &why) == NULL, "ok");

	UNIT_CHECK("chmod 600", chmod(path, 0600) == 0, "chmod");
	a = authfile_load(path, &why);
	UNIT_CHECK("0600 loads", a != NULL, "%s", why.text);
	UNIT_INT("0600 lookup", authfile_lookup(a, "relay", 25, NULL, &u, &p),
	    0);
	UNIT_STR("0600 pass", a != NULL ? p : NULL, "pw");
	authfile_free(a);

	UNIT_CHECK("chmod 400", chmod(path, 0400) == 0, "chmod");
	a = authfile_load(path, &why);
	UNIT_CHECK("0400 loads", a != NULL, "%s", why.text);
	authfile_free(a);

	(void)unlink(path);
	a = authfile_load(path, &why);
	UNIT_CHECK("missing", a == NULL && errno == ENOENT, "errno %d", errno);
	UNIT_CHECK("dir refused", authfile_load(dir, &why) == NULL &&
	    errno == EPERM, "errno %d", errno);
	(void)snprintf(want, sizeof(want), "auth_file %s: not a regular file",
	    dir);
	UNIT_STR("dir why", why.text, want);

	/* Bad syntax in a well-protected file names FILE:LINE. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	UNIT_CHECK("write 2", fd >= 0 && write(fd, "#\nrelay me\n", 11) == 11,
	    "write");
	close(fd);
	a = authfile_load(path, &why);
	UNIT_CHECK("syntax", a == NULL && errno == EINVAL, "errno %d", errno);
	(void)snprintf(want, sizeof(want),
	    "%s:2: want \"host user password\" or a URL", path);
	UNIT_STR("syntax why", why.text, want);
	(void)unlink(path);

	/* Owned by someone else: only testable as root (chown). */
	if (geteuid() == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		close(fd);
		UNIT_CHECK("chown", chown(path, 65534, 65534) == 0, "chown");
		a = authfile_load(path, &why);
		UNIT_CHECK("other owner refused", a == NULL && errno == EPERM,
		    "loaded");
		UNIT_CHECK("other owner why", strstr(why.text,
		    "owned by uid 65534") != NULL, "%s", why.text);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
		run_parse(&parse_cases[i], strlen(parse_cases[i].text) +
		    (strcmp(parse_cases[i].name, "NUL") == 0 ? 3 : 0));
	test_lookup();
	test_oauth2();
	test_no_secret();
	test_limits();
	test_load();
	return unit_done("authfile");
}
