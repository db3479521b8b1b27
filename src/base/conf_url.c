/*
 * conf_url.c: smarthost URLs, "host[:port]" pairs and host names (see
 * conf_url.h). conf_valid_domain() lives here as the host-name check the
 * URLs need; conf.h declares it for the rest of minimta.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "conf_url.h"
#include "why.h"
#include "xmalloc.h"

bool
conf_valid_domain(const char *s)
{
	size_t len = strlen(s), label = 0;
	const char *p;

	if (len == 0 || len > 253)
		return false;
	for (p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
		if (*p == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label != 0 && p[-1] != '-';
}

static int
conf_url_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes %XX in len bytes; NULL (bad escape, or a decoded NUL/CR/LF). */
static char *
conf_url_pct_decode(const char *s, size_t len)
{
	struct buf b;
	size_t i;
	int hi, lo;

	buf_init(&b);
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			if (len - i < 3)
				goto bad;
			hi = conf_url_hexval((unsigned char)s[i + 1]);
			lo = conf_url_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || c == '\r' || c == '\n')
			goto bad;
		buf_addc(&b, c);
	}
	return buf_release(&b);
bad:
	if (b.data != NULL)	/* nothing kept yet: no buffer to wipe */
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	return NULL;
}

void
conf_url_free(struct conf_url *u)
{
	if (u == NULL)
		return;
	free(u->user);
	free(u->host);
	/* authfile.c parses URLs with passwords through here too. */
	if (u->text != NULL)
		explicit_bzero(u->text, strlen(u->text));
	free(u->text);
	memset(u, 0, sizeof(*u));
}

static int
conf_url_port(const char *s, size_t len)
{
	long long n = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n >= 1 && n <= 65535 ? (int)n : -1;
}

int
conf_url_hostport(const char *s, const char *end, char **host, int *port,
    struct why *why)
{
	char tmp[sizeof(struct in6_addr)];
	const char *h, *hend, *p;
	char *name;

	*port = 0;
	if (s >= end) {
		why_set(why, "missing host");
		return -1;
	}
	if (*s == '[') {
		h = s + 1;
		if ((hend = memchr(h, ']', (size_t)(end - h))) == NULL) {
			why_set(why, "missing ] after an IPv6 address");
			return -1;
		}
		p = hend + 1;
	} else {
		h = s;
		hend = memchr(h, ':', (size_t)(end - h));
		if (hend == NULL)
			hend = end;
		p = hend;
	}
	if (hend == h) {
		why_set(why, "missing host");
		return -1;
	}
	if (p < end) {
		if (*p != ':' || (*port = conf_url_port(p + 1,
		    (size_t)(end - p - 1))) == -1) {
			why_set(why, "bad port (want 1..65535)");
			return -1;
		}
	}
	name = xstrndup(h, (size_t)(hend - h));
	if (*s == '[' ? inet_pton(AF_INET6, name, tmp) != 1 :
	    !conf_valid_domain(name)) {
		why_set(why, "bad host name");
		free(name);
		return -1;
	}
	*host = name;
	return 0;
}

/* The scheme at the start of text: sets out->scheme and *defport and
 * returns what follows it, or NULL for an unknown one. */
static const char *
conf_url_scheme(const char *text, struct conf_url *out, int *defport)
{
	static const struct {
		const char *prefix;
		enum conf_scheme scheme;
		int port;
	} schemes[] = {
		{ "smtp://", CONF_SMTP, 25 },
		{ "smtp+starttls://", CONF_SMTP_STARTTLS, 25 },
		{ "smtps://", CONF_SMTPS, 465 },
	};
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].prefix);

		if (strncasecmp(text, schemes[i].prefix, n) == 0) {
			out->scheme = schemes[i].scheme;
			*defport = schemes[i].port;
			return text + n;
		}
	}
	return NULL;
}

/*
 * "user[:password]" in [rest, at), percent-decoded into out->user and,
 * where password is not NULL, *password; with password NULL a password
 * is refused (minimta.conf is readable by every user).
 */
static int
conf_url_userinfo(const char *rest, const char *at, struct conf_url *out,
    char **password, struct why *why)
{
	const char *colon = memchr(rest, ':', (size_t)(at - rest));

	if (colon != NULL && password == NULL) {
		why_set(why, "a password in the URL is not allowed "
		    "(this file is readable by every user): put it "
		    "in auth_file");
		return -1;
	}
	if (colon == NULL)
		colon = at;
	if (colon == rest) {
		why_set(why, "empty user name in URL");
		return -1;
	}
	if ((out->user = conf_url_pct_decode(rest,
	    (size_t)(colon - rest))) == NULL) {
		why_set(why, "bad %%-escape in the user name");
		return -1;
	}
	if (colon != at && (*password = conf_url_pct_decode(colon + 1,
	    (size_t)(at - colon - 1))) == NULL) {
		why_set(why, "bad %%-escape in the password");
		return -1;
	}
	return 0;
}

int
conf_url_parse(const char *text, struct conf_url *out, char **password,
    bool *port_given, struct why *why)
{
	const char *rest, *end, *at;
	size_t i;
	int defport = 0;

	memset(out, 0, sizeof(*out));
	if (password != NULL)
		*password = NULL;
	if ((rest = conf_url_scheme(text, out, &defport)) == NULL) {
		why_set(why, "unknown URL scheme (want smtp://, "
		    "smtp+starttls:// or smtps://)");
		return -1;
	}
	end = rest + strlen(rest);
	if (end > rest && end[-1] == '/')
		end--;
	if (strpbrk(rest, "/?# \t") != NULL && strpbrk(rest, "/?# \t") < end) {
		why_set(why, "a path, query, fragment or space is not allowed "
		    "in a smarthost URL");
		return -1;
	}
	/* The last @: a user name may be an address with its @ unencoded. */
	at = NULL;
	for (i = 0; rest + i < end; i++)
		if (rest[i] == '@')
			at = rest + i;
	if (at != NULL) {
		if (conf_url_userinfo(rest, at, out, password, why) == -1)
			goto fail;
		rest = at + 1;
	}
	if (conf_url_hostport(rest, end, &out->host, &out->port, why) == -1)
		goto fail;
	if (port_given != NULL)
		*port_given = out->port != 0;
	if (out->port == 0)
		out->port = defport;
	out->text = xstrdup(text);
	return 0;
fail:
	if (password != NULL && *password != NULL) {
		explicit_bzero(*password, strlen(*password));
		free(*password);
		*password = NULL;
	}
	conf_url_free(out);
	return -1;
}
