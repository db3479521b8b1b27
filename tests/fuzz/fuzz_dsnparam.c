/*
 * fuzz_dsnparam: the RFC 3461 parameters over arbitrary bytes. A NOTIFY
 * list that parses is a valid set whose canonical form parses to the
 * same bits; xtext round-trips (decode(encode(x)) == x for any x without
 * NUL), and what decodes encodes back to text that decodes the same; an
 * ORCPT always encodes to "type;xtext" that decodes to printable text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dsnparam.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_notify(const char *s, size_t len)
{
	struct buf b;
	int bits;

	bits = dsnparam_notify_parse(s, len);
	if (bits < 0) {
		if (bits != DSNPARAM_BAD_WORD && bits != DSNPARAM_BAD_NEVER)
			abort();
		return;
	}
	if (!dsnparam_notify_ok(bits))
		abort();
	buf_init(&b);
	dsnparam_notify_format(&b, bits);
	if (dsnparam_notify_parse(b.data, b.len) != bits)
		abort();
	buf_free(&b);
}

static void
check_xtext(const char *s, size_t len)
{
	struct buf x, y, z;
	size_t i;

	buf_init(&x);
	buf_init(&y);
	buf_init(&z);
	dsnparam_xtext_encode(&x, s, len);
	for (i = 0; i < x.len; i++)
		if ((unsigned char)x.data[i] < 33 ||
		    (unsigned char)x.data[i] > 126 || x.data[i] == '=')
			abort();
	if (len == 0 || memchr(s, '\0', len) == NULL) {
		if (dsnparam_xtext_decode(&y, buf_cstr(&x), x.len) != 0 ||
		    y.len != len || (len > 0 && memcmp(y.data, s, len) != 0))
			abort();
	}
	buf_reset(&y);
	if (dsnparam_xtext_decode(&y, s, len) == 0) {
		if (y.len > 0 && memchr(y.data, '\0', y.len) != NULL)
			abort();
		dsnparam_xtext_encode(&z, buf_cstr(&y), y.len);
		buf_reset(&x);
		if (dsnparam_xtext_decode(&x, buf_cstr(&z), z.len) != 0 ||
		    x.len != y.len ||
		    (y.len > 0 && memcmp(x.data, y.data, y.len) != 0))
			abort();
	}
	buf_free(&x);
	buf_free(&y);
	buf_free(&z);
}

static void
check_orcpt(const char *s, size_t len)
{
	struct buf b, d;
	char *c;

	c = strndup(s, len);
	if (c == NULL)
		return;
	buf_init(&b);
	buf_init(&d);
	dsnparam_orcpt_encode(&b, c);
	if (b.len == 0 || memchr(b.data, ';', b.len) == NULL ||
	    dsnparam_xtext_decode(&d, b.data, b.len) != 0)
		abort();
	buf_free(&b);
	buf_free(&d);
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *s = data != NULL ? (const char *)data : "";

	check_notify(s, len);
	check_xtext(s, len);
	check_orcpt(s, len);
	return 0;
}
