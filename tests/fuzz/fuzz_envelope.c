/*
 * fuzz_envelope: envelope_parse over arbitrary bytes, as a drop file and
 * as a queue file, with invariants that abort when broken: an accepted
 * envelope has a sender and recipients whose fields are storable, its
 * body offset lies within the input, and encoding it again and parsing
 * the result gives the same envelope, in format 2 whichever version was
 * read (the format round-trips).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check(const struct envelope *e, size_t len)
{
	struct envelope p;
	struct buf b;
	struct why why;
	size_t i;

	if (e->sender == NULL || e->nrcpts == 0 || e->body_offset > len ||
	    !envelope_field_ok(e->sender))
		abort();
	for (i = 0; i < e->nrcpts; i++)
		if (!envelope_field_ok(e->rcpts[i].addr) ||
		    (e->rcpts[i].orcpt != NULL &&
		    !envelope_field_ok(e->rcpts[i].orcpt)))
			abort();
	buf_init(&b);
	envelope_init(&p);
	envelope_encode(e, &b, NULL);
	if (envelope_parse(b.data, b.len, e->nrcpts, false, &p, &why) !=
	    ENVELOPE_OK || p.body_offset != b.len)
		abort();
	if (p.arrival != e->arrival || p.uid != e->uid ||
	    !same(p.sender, e->sender) || !same(p.envid, e->envid) ||
	    p.notify != e->notify || p.ret != e->ret ||
	    strcmp(p.verp, e->verp) != 0 || p.body_8bit != e->body_8bit ||
	    p.smtputf8 != e->smtputf8 || p.wire_size != e->wire_size ||
	    p.msg_len != e->msg_len || p.version != 2 ||
	    p.nrcpts != e->nrcpts)
		abort();
	for (i = 0; i < e->nrcpts; i++)
		if (!same(p.rcpts[i].addr, e->rcpts[i].addr) ||
		    !same(p.rcpts[i].orcpt, e->rcpts[i].orcpt))
			abort();
	envelope_free(&p);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct envelope e;
	struct why why;
	int drop;

	envelope_init(&e);
	for (drop = 0; drop < 2; drop++) {
		if (envelope_parse(p, size, 50, drop, &e, &why) == ENVELOPE_OK)
			check(&e, size);
		envelope_free(&e);
	}
	return 0;
}
