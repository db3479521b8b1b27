/*
 * auth: SASL PLAIN and LOGIN responses, base64. See auth.h.
 */
#include <stdint.h>
#include <string.h>

#include "auth.h"
#include "buf.h"

static const char auth_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
auth_base64_encode(struct buf *out, const void *in, size_t len)
{
	const unsigned char *p = in;
	char q[4];
	uint32_t v;
	size_t i;

	if (len == 0)
		return;
	buf_reserve(out, (len + 2) / 3 * 4);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = auth_b64[v >> 18 & 63];
		q[1] = auth_b64[v >> 12 & 63];
		q[2] = auth_b64[v >> 6 & 63];
		q[3] = auth_b64[v & 63];
		buf_add(out, q, 4);
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		q[0] = auth_b64[v >> 18 & 63];
		q[1] = auth_b64[v >> 12 & 63];
		q[2] = i + 1 < len ? auth_b64[v >> 6 & 63] : '=';
		q[3] = '=';
		buf_add(out, q, 4);
	}
}

static int
auth_b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
auth_base64_decode(struct buf *out, const char *in, size_t len)
{
	unsigned char b[3];
	uint32_t v;
	size_t i, j, pad;
	int d;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		pad = 0;
		v = 0;
		for (j = 0; j < 4; j++) {
			/* '=' only as the last one or two of the last group */
			if (in[i + j] == '=' && i + 4 == len && j >= 2 &&
			    (j == 3 || in[i + 3] == '=')) {
				pad++;
				v <<= 6;
				continue;
			}
			if (pad > 0 || (d = auth_b64_value(in[i + j])) < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		b[0] = (unsigned char)(v >> 16);
		b[1] = (unsigned char)(v >> 8);
		b[2] = (unsigned char)v;
		/* Bits past the data must be zero (RFC 4648 3.5). */
		if ((pad == 1 && b[2] != 0) || (pad == 2 && (v & 0xffff) != 0))
			return -1;
		buf_add(out, b, 3 - pad);
	}
	return 0;
}

void
auth_plain(struct buf *out, const char *user, const char *pass)
{
	struct buf raw;

	buf_init(&raw);
	buf_addc(&raw, '\0');
	buf_adds(&raw, user);
	buf_addc(&raw, '\0');
	buf_adds(&raw, pass);
	auth_base64_encode(out, raw.data, raw.len);
	explicit_bzero(raw.data, raw.cap);
	buf_free(&raw);
}

int
auth_login_response(struct buf *out, unsigned step, const char *user,
    const char *pass)
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
		return -1;
	}
	/* An empty answer to a challenge is an empty line (RFC 4954 4). */
	auth_base64_encode(out, s, strlen(s));
	return 0;
}
