/*
 * fuzz_qstate: qstate_parse over arbitrary bytes for 0 to 3 recipients.
 * Invariants (abort when broken): an accepted state re-encodes to bytes
 * that parse to the same state; no pending field holds a control
 * character.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "qstate.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
clean(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qstate q, p;
	struct why why;
	struct buf b;
	size_t n, i;

	for (n = 0; n < 4; n++) {
		if (qstate_parse((const char *)data, size, n, &q, &why) != 0) {
			qstate_free(&q);
			continue;
		}
		buf_init(&b);
		qstate_encode(&q, &b);
		if (qstate_parse(b.data, b.len, n, &p, &why) != 0)
			abort();
		if (p.attempts != q.attempts || p.next_try != q.next_try ||
		    p.warned != q.warned)
			abort();
		for (i = 0; i < n; i++) {
			const struct qstate_rcpt *x = &q.rcpts[i], *y = &p.rcpts[i];

			if (x->done != y->done || !clean(x->reason) ||
			    !clean(x->status) || !clean(x->remote))
				abort();
			if (!x->done && (!same(x->status, y->status) ||
			    !same(x->remote, y->remote) ||
			    !same(x->reason, y->reason)))
				abort();
		}
		qstate_free(&p);
		qstate_free(&q);
		buf_free(&b);
	}
	return 0;
}
