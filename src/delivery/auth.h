/*
 * auth: the client side of SMTP AUTH (RFC 4954): the responses of PLAIN
 * (RFC 4616), LOGIN, XOAUTH2 (Google's and Microsoft's) and OAUTHBEARER
 * (RFC 7628), base64-encoded through tls_base64_* (AUTH runs over TLS, so
 * OpenSSL is loaded anyway). Pure functions but for that loading: no I/O,
 * no logging. Every result is appended to a caller-owned struct buf; the
 * caller wipes buffers that held secrets (explicit_bzero) once they are
 * sent. Each returns 0, or -1 with why (OpenSSL could not be loaded, or
 * a field holds a control character, which would break the framing).
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct why;

/* PLAIN's initial response: base64("" NUL user NUL pass), no authzid. */
int	auth_plain(struct buf *out, const char *user, const char *pass,
	    struct why *);
/*
 * LOGIN's answer to the server's step-th 334 challenge (0: the user name,
 * 1: the password), base64-encoded. -1 for a further challenge, which
 * LOGIN does not have.
 */
int	auth_login_response(struct buf *out, unsigned step, const char *user,
	    const char *pass, struct why *);
/*
 * XOAUTH2's initial response:
 * base64("user=" user ^A "auth=Bearer " token ^A ^A).
 */
int	auth_xoauth2(struct buf *out, const char *user, const char *token,
	    struct why *);
/*
 * OAUTHBEARER's initial response (RFC 7628 3.1), with the user as the
 * authzid (RFC 5801 5.1: ',' and '=' written =2C and =3D):
 * base64("n,a=" user "," ^A "host=" host ^A "port=" port ^A
 * "auth=Bearer " token ^A ^A).
 */
int	auth_oauthbearer(struct buf *out, const char *user, const char *host,
	    int port, const char *token, struct why *);
/*
 * What the server sent with a 334 (len bytes of base64): the decoded
 * bytes (for OAUTHBEARER and XOAUTH2, a JSON error, RFC 7628 3.2.2).
 */
int	auth_challenge(struct buf *out, const char *b64, size_t len,
	    struct why *);
/* An access token we can send: 1 to AUTH_TOKEN_MAX visible ASCII bytes. */
#define AUTH_TOKEN_MAX	8192
bool	auth_token_ok(const char *);

#endif
