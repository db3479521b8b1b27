/*
 * auth: SASL PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER responses. See auth.h.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "tls.h"
#include "why.h"

/* Encodes raw into out, then wipes raw (it holds a secret). */
static int
auth_encode(struct buf *out, struct buf *raw, struct why *why)
{
	int rc;

	rc = tls_base64_encode(out, raw->data, raw->len, why);
	if (raw->data != NULL)
		explicit_bzero(raw->data, raw->cap);
	buf_free(raw);
	return rc;
}

/* SASL fields are framed by NUL (PLAIN) or ^A (the OAuth mechanisms). */
static bool
auth_field_ok(const char *what, const char *s, struct why *why)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			why_set(why, "AUTH: the %s holds a control character",
			    what);
			return false;
		}
	}
	return true;
}

int
auth_plain(struct buf *out, const char *user, const char *pass,
    struct why *why)
{
	struct buf raw;

	buf_init(&raw);
	buf_addc(&raw, '\0');
	buf_adds(&raw, user);
	buf_addc(&raw, '\0');
	buf_adds(&raw, pass);
	return auth_encode(out, &raw, why);
}

int
auth_login_response(struct buf *out, unsigned step, const char *user,
    const char *pass, struct why *why)
{
	const char *s;

	switch (step) {
	case 0:
		s = user;
		break;
	case 1:
		s = pass;
		break;
	default:
		why_set(why, "AUTH LOGIN: a third challenge");
		return -1;
	}
	/* An empty answer to a challenge is an empty line (RFC 4954 4). */
	return tls_base64_encode(out, s, strlen(s), why);
}

bool
auth_token_ok(const char *t)
{
	size_t n = 0;

	for (; *t != '\0'; t++, n++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return false;
	return n > 0 && n <= AUTH_TOKEN_MAX;
}

int
auth_xoauth2(struct buf *out, const char *user, const char *token,
    struct why *why)
{
	struct buf raw;

	if (!auth_field_ok("user", user, why) ||
	    !auth_field_ok("token", token, why))
		return -1;
	buf_init(&raw);
	buf_adds(&raw, "user=");
	buf_adds(&raw, user);
	buf_adds(&raw, "\001auth=Bearer ");
	buf_adds(&raw, token);
	buf_adds(&raw, "\001\001");
	return auth_encode(out, &raw, why);
}

int
auth_oauthbearer(struct buf *out, const char *user, const char *host,
    int port, const char *token, struct why *why)
{
	struct buf raw;
	const char *p;

	if (!auth_field_ok("user", user, why) ||
	    !auth_field_ok("host", host, why) ||
	    !auth_field_ok("token", token, why))
		return -1;
	buf_init(&raw);
	/* gs2-header (RFC 5801 4): no channel binding, the authzid */
	buf_adds(&raw, "n,a=");
	for (p = user; *p != '\0'; p++) {
		if (*p == ',')
			buf_adds(&raw, "=2C");
		else if (*p == '=')
			buf_adds(&raw, "=3D");
		else
			buf_addc(&raw, *p);
	}
	buf_printf(&raw, ",\001host=%s\001port=%d\001auth=Bearer ", host,
	    port);
	buf_adds(&raw, token);
	buf_adds(&raw, "\001\001");
	return auth_encode(out, &raw, why);
}

int
auth_challenge(struct buf *out, const char *b64, size_t len,
    struct why *why)
{
	return tls_base64_decode(out, b64, len, why);
}
