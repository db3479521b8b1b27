/*
 * fuzz_canon: canon_feed/canon_finish over arbitrary bytes with each
 * combination of dot_ends and unstuff. The first byte picks the split
 * points. Invariants (abort when broken): the stored form has no CR and
 * no NUL, ends with LF (when not empty), has no body line over
 * CANON_LINE_MAX, and does not depend on how the input was split.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t
run(const char *in, size_t n, size_t step, bool dot, bool unstuff,
    struct buf *out, struct canon *c)
{
	size_t off = 0, used = 0;

	canon_init(c, dot, unstuff);
	while (off < n && !c->done) {
		size_t k = step == 0 || n - off < step ? n - off : step;

		used += canon_feed(c, in + off, k, out);
		off += k;
	}
	canon_finish(c, out);
	return used;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	struct buf a, b;
	struct canon ca, cb;
	size_t n, step, i, col, ua, ub;
	int mode;

	if (size == 0)
		return 0;
	n = size - 1;
	step = (size_t)data[0] % 17 + 1;
	for (mode = 0; mode < 4; mode++) {
		bool dot = mode & 1, unstuff = mode & 2;

		buf_init(&a);
		buf_init(&b);
		ua = run(in, n, 0, dot, unstuff, &a, &ca);
		ub = run(in, n, step, dot, unstuff, &b, &cb);
		if (ua != ub || a.len != b.len || (a.len > 0 &&
		    memcmp(a.data, b.data, a.len) != 0) || ca.done != cb.done ||
		    ca.body_8bit != cb.body_8bit)
			abort();
		if (ua > n || (!ca.done && ua != n))
			abort();
		if (a.len > 0 && a.data[a.len - 1] != '\n')
			abort();
		for (i = 0, col = 0; i < a.len; i++) {
			if (a.data[i] == '\r' || a.data[i] == '\0')
				abort();
			col = a.data[i] == '\n' ? 0 : col + 1;
		}
		/* the last body line (past any header) is bounded too */
		if (!ca.in_header && ca.lines_broken > 0 && col > CANON_LINE_MAX)
			abort();
		buf_free(&a);
		buf_free(&b);
	}
	return 0;
}
