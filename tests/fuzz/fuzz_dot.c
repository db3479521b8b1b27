/*
 * fuzz_dot: the DATA body encoder (smtp_dot) over arbitrary bodies fed in
 * fuzzer-chosen chunks. The first two bytes seed the chunk sizes; the rest
 * is the body. Aborts unless: the output is the same whatever the
 * chunking; CR and LF appear only as CRLF; CRLF "." CRLF (the end of
 * data) appears only at the very end (or the output is that alone, for an
 * empty body); and un-stuffing the output gives back the body with every
 * line end (LF, CRLF, bare CR) as LF and a final LF added where missing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_fail.h"
#include "smtp_dot.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
out(void *arg, const void *p, size_t n)
{
	buf_add(arg, p, n);
}

static void
encode(const char *p, size_t len, uint32_t seed, struct buf *b)
{
	struct smtp_dot d;
	size_t off = 0, n;

	smtp_dot_init(&d);
	while (off < len) {
		if (seed == 0) {
			n = len - off;
		} else {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 17;
			if (n > len - off)
				n = len - off;
		}
		smtp_dot_encode(&d, p + off, n, out, b);
		off += n;
	}
	smtp_dot_finish(&d, out, b);
}

/* The body as a server stores it: every line end LF, a last one added. */
static void
canonical(const char *p, size_t len, struct buf *b)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r') {
			buf_addc(b, '\n');
			if (i + 1 < len && p[i + 1] == '\n')
				i++;
		} else {
			buf_addc(b, p[i]);
		}
	}
	if (b->len > 0 && b->data[b->len - 1] != '\n')
		buf_addc(b, '\n');
}

/* What a server reads: lines to the first "." line, one dot removed. */
static void
unstuff(const struct buf *w, struct buf *b)
{
	size_t i = 0, e;

	for (;;) {
		for (e = i; e + 1 < w->len && !(w->data[e] == '\r' &&
		    w->data[e + 1] == '\n'); e++)
			continue;
		if (e + 1 >= w->len)
			FUZZ_FAIL();	/* no end of data at all */
		if (e - i == 1 && w->data[i] == '.') {
			if (e + 2 != w->len)
				FUZZ_FAIL();	/* end of data too early */
			return;
		}
		if (w->data[i] == '.')
			i++;
		buf_add(b, w->data + i, e - i);
		buf_addc(b, '\n');
		i = e + 2;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf one, many, canon, back;
	uint32_t seed;
	size_t i;

	if (size < 2)
		return 0;
	seed = (uint32_t)data[0] << 8 | data[1] | 1u;
	data += 2;
	size -= 2;
	buf_init(&one);
	buf_init(&many);
	buf_init(&canon);
	buf_init(&back);
	encode((const char *)data, size, 0, &one);
	encode((const char *)data, size, seed, &many);
	if (one.len != many.len || memcmp(one.data, many.data, one.len) != 0)
		FUZZ_FAIL();
	for (i = 0; i < one.len; i++) {
		if (one.data[i] == '\r' && (i + 1 == one.len ||
		    one.data[i + 1] != '\n'))
			FUZZ_FAIL();
		if (one.data[i] == '\n' && (i == 0 || one.data[i - 1] != '\r'))
			FUZZ_FAIL();
	}
	canonical((const char *)data, size, &canon);
	unstuff(&one, &back);
	if (canon.len != back.len || (canon.len > 0 &&
	    memcmp(canon.data, back.data, canon.len) != 0))
		FUZZ_FAIL();
	buf_free(&one);
	buf_free(&many);
	buf_free(&canon);
	buf_free(&back);
	return 0;
}
