/*
 * auth: the client side of SMTP AUTH (RFC 4954) for the PLAIN (RFC 4616)
 * and LOGIN mechanisms, and a small base64 codec (RFC 4648 section 4).
 * Pure functions: no I/O, no logging. Every result is appended to a
 * caller-owned struct buf; the caller wipes buffers that held secrets
 * (explicit_bzero) once they are sent.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#include "buf.h"

/* Appends the base64 form of in[0..len) (with '=' padding). */
void	auth_base64_encode(struct buf *out, const void *in, size_t len);
/*
 * Appends the bytes that the base64 text in[0..len) stands for. Strict:
 * padding required, no white space, no bits after the data. Returns 0, or
 * -1 on bad input (out then holds a partial result).
 */
int	auth_base64_decode(struct buf *out, const char *in, size_t len);

/* PLAIN's initial response: base64("" NUL user NUL pass), no authzid. */
void	auth_plain(struct buf *out, const char *user, const char *pass);
/*
 * LOGIN's answer to the server's step-th 334 challenge (0: the user name,
 * 1: the password), base64-encoded. Returns 0, or -1 for a further
 * challenge, which LOGIN does not have.
 */
int	auth_login_response(struct buf *out, unsigned step, const char *user,
	    const char *pass);

#endif
