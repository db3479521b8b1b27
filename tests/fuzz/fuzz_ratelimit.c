/*
 * fuzz_ratelimit: ratecount_parse over arbitrary bytes (the counter files
 * of spool/ratelimit/, ratelimit.h). Invariants (FUZZ_FAIL when broken):
 * an accepted file is canonical (it re-encodes to the same bytes) and
 * each record sits at ratecount_offset(); the window arithmetic on it
 * keeps its bounds: adding one slot counts one more (up to the cap),
 * giving it back restores the count, and the next slot of a full counter
 * lies in the future, at most one window (per round of the limit) and a
 * bucket ahead.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_fail.h"
#include "ratecount.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_arith(struct ratecount *rc, time_t now)
{
	uint64_t used = ratecount_used(rc, now), after;
	unsigned long limit;
	time_t t;

	(void)ratecount_add(rc, now, 1);
	after = ratecount_used(rc, now);
	if (after != used + 1 && after != used)
		FUZZ_FAIL();
	(void)ratecount_add(rc, now, -1);
	if (after == used + 1 && ratecount_used(rc, now) != used)
		FUZZ_FAIL();
	used = ratecount_used(rc, now);
	limit = used == 0 ? 1 : used > 1000000 ? 1000000 : (unsigned long)used;
	t = ratecount_free_at(rc, now, limit, 1);
	if (t < now || t > now + 2 * rc->window + rc->window /
	    (time_t)rc->nbuckets)
		FUZZ_FAIL();
	if (used < limit && t != now)
		FUZZ_FAIL();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char rec[RATECOUNT_REC_LEN + 1];
	struct ratecount rc;
	struct why why;
	struct buf b;
	size_t i;

	if (ratecount_parse((const char *)data, size, &rc, &why) != 0) {
		ratecount_free(&rc);
		return 0;
	}
	buf_init(&b);
	ratecount_encode(&rc, &b);
	if (b.len != size || memcmp(b.data, data, size) != 0)
		FUZZ_FAIL();
	for (i = 0; i < rc.nbuckets; i++) {
		ratecount_record(&rc, i, rec);
		if (memcmp(rec, data + ratecount_offset(&rc, i),
		    RATECOUNT_REC_LEN) != 0)
			FUZZ_FAIL();
	}
	buf_free(&b);
	/* times near the file's buckets, and the present */
	for (i = 0; i < rc.nbuckets; i++)
		if (rc.b[i].start != 0) {
			check_arith(&rc, rc.b[i].start + 1);
			break;
		}
	check_arith(&rc, 1700000000);
	ratecount_free(&rc);
	return 0;
}
