/*
 * test_ratecount: the relay counter file (ratecount.h): the parser's table
 * of accepted and refused files, the canonical round trip, the sliding
 * window arithmetic (used, add, give back, free_at) and the key encoding.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ratecount.h"
#include "unit.h"

int	main(void);

/* A file of nb empty records after head, with record i replaced. */
static char *
file(const char *head, size_t nb, size_t i, const char *rec)
{
	struct buf b;
	size_t k;

	buf_init(&b);
	buf_adds(&b, head);
	for (k = 0; k < nb; k++)
		buf_adds(&b, k == i && rec != NULL ? rec :
		    "000000000000 000000000\n");
	return buf_release(&b);
}

struct parse_case {
	const char *name;
	const char *head;
	size_t nb;		/* records written */
	size_t i;		/* the one replaced by rec */
	const char *rec;
	const char *want;	/* NULL: accepted */
};

static const struct parse_case parse_cases[] = {
	{ "fresh", "MINIMTA-RATE 1 3600 361 r.example\n", 361, 0, NULL,
	    NULL },
	{ "one bucket", "MINIMTA-RATE 1 60 2 k\n", 2, 0,
	    "000000000120 000000003\n", NULL },
	{ "one record", "MINIMTA-RATE 1 60 1 k\n", 1, 0, NULL,
	    "bad window or bucket count" },
	/* 1700000000 / 10 % 361 = 46 */
	{ "used bucket", "MINIMTA-RATE 1 3600 361 r.example\n", 361, 46,
	    "001700000000 000000007\n", NULL },
	{ "bucket out of place", "MINIMTA-RATE 1 3600 361 r\n", 361, 47,
	    "001700000000 000000007\n", "bucket 47: start 1700000000 out of "
	    "place" },
	{ "start not on a bucket", "MINIMTA-RATE 1 3600 361 r\n", 361, 46,
	    "001700000001 000000007\n", "bucket 46: start 1700000001 out of "
	    "place" },
	{ "count without start", "MINIMTA-RATE 1 3600 361 r\n", 361, 3,
	    "000000000000 000000001\n", "bucket 3: start 0 out of place" },
	{ "bad digit", "MINIMTA-RATE 1 3600 361 r\n", 361, 3,
	    "00000000000x 000000000\n", "bucket 3: bad record" },
	{ "no newline", "MINIMTA-RATE 1 3600 361 r\n", 361, 3,
	    "000000000000 000000000 ", "bucket 3: bad record" },
	{ "short record", "MINIMTA-RATE 1 3600 361 r\n", 361, 3,
	    "00000000000 000000000\n", "8302 bytes of buckets, want 8303" },
	{ "one record missing", "MINIMTA-RATE 1 3600 361 r\n", 360, 0, NULL,
	    "8280 bytes of buckets, want 8303" },
	{ "trailing byte", "MINIMTA-RATE 1 3600 361 r\n", 361, 360,
	    "000000000000 000000000\nx", "8304 bytes of buckets, want 8303" },
	{ "version 2", "MINIMTA-RATE 2 3600 361 r\n", 361, 0, NULL,
	    "not a rate counter (version 1)" },
	{ "empty", "", 0, 0, NULL, "not a rate counter (version 1)" },
	{ "window 0", "MINIMTA-RATE 1 0 2 r\n", 2, 0, NULL,
	    "bad window or bucket count" },
	{ "leading zero", "MINIMTA-RATE 1 03600 360 r\n", 361, 0, NULL,
	    "bad window or bucket count" },
	{ "window not divisible", "MINIMTA-RATE 1 3601 360 r\n", 361, 0, NULL,
	    "bad window or bucket count" },
	{ "too many buckets", "MINIMTA-RATE 1 7200 3602 r\n", 0, 0, NULL,
	    "bad window or bucket count" },
	{ "window past 30 days", "MINIMTA-RATE 1 2592060 2 r\n", 2, 0, NULL,
	    "bad window or bucket count" },
	{ "no key", "MINIMTA-RATE 1 3600 361 \n", 361, 0, NULL, "bad key" },
	{ "key with space", "MINIMTA-RATE 1 3600 361 a b\n", 361, 0, NULL,
	    "bad key" },
	{ "key upper case", "MINIMTA-RATE 1 3600 361 R.example\n", 361, 0,
	    NULL, "bad key" },
	{ "key escaped", "MINIMTA-RATE 1 3600 361 %25me@r\n", 361, 0, NULL,
	    NULL },
	{ "key escape not canonical", "MINIMTA-RATE 1 3600 361 %72\n", 361, 0,
	    NULL, "bad key" },
	{ "key leading dot escaped", "MINIMTA-RATE 1 3600 361 %2Er\n", 361, 0,
	    NULL, NULL },
	{ "key leading dot", "MINIMTA-RATE 1 3600 361 .r\n", 361, 0, NULL,
	    "bad key" },
	{ "key lower-case escape", "MINIMTA-RATE 1 3600 361 %2er\n", 361, 0,
	    NULL, "bad key" },
};

static void
test_parse(void)
{
	struct ratecount rc;
	struct why why;
	struct buf b;
	size_t i;
	char *f;
	int r;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *tc = &parse_cases[i];

		f = file(tc->head, tc->nb, tc->i, tc->rec);
		r = ratecount_parse(f, strlen(f), &rc, &why);
		UNIT_STR(tc->name, r == 0 ? NULL : why.text, tc->want);
		if (r == 0) {
			/* canonical: encoding gives the same bytes */
			buf_init(&b);
			ratecount_encode(&rc, &b);
			UNIT_CHECK(tc->name, b.len == strlen(f) &&
			    memcmp(b.data, f, b.len) == 0, "round trip");
			buf_free(&b);
		}
		ratecount_free(&rc);
		free(f);
	}
}

static void
test_window(void)
{
	struct ratecount rc, p;
	struct why why;
	struct buf b;
	time_t t0 = 1700000000;		/* on a bucket boundary */
	char rec[RATECOUNT_REC_LEN + 1];
	size_t i;

	ratecount_init(&rc, "r.example", 3600);
	UNIT_INT("fresh used", ratecount_used(&rc, t0), 0);
	for (i = 0; i < 5; i++)
		(void)ratecount_add(&rc, t0 + 1, 1);
	UNIT_INT("five used", ratecount_used(&rc, t0 + 5), 5);
	/* the bucket [t0, t0+10) counts while it overlaps the window */
	UNIT_INT("until its end leaves", ratecount_used(&rc, t0 + 3609), 5);
	UNIT_INT("gone after", ratecount_used(&rc, t0 + 3610), 0);
	UNIT_INT("room now", ratecount_free_at(&rc, t0 + 5, 6, 1), t0 + 5);
	UNIT_INT("full: next slot", ratecount_free_at(&rc, t0 + 5, 5, 1),
	    t0 + 3610);
	UNIT_INT("6th waiting: a window later",
	    ratecount_free_at(&rc, t0 + 5, 5, 6), t0 + 3610 + 3600);
	(void)ratecount_add(&rc, t0 + 1000, 2);
	UNIT_INT("seven", ratecount_used(&rc, t0 + 1000), 7);
	UNIT_INT("need 3 of 7: the first bucket is enough",
	    ratecount_free_at(&rc, t0 + 1000, 7, 3), t0 + 3610);
	UNIT_INT("need 6 of 7: the later bucket too", ratecount_free_at(&rc,
	    t0 + 1000, 7, 6), t0 + 1000 + 3600 + 10);
	UNIT_INT("need 1 of 7: the first bucket", ratecount_free_at(&rc,
	    t0 + 1000, 7, 1), t0 + 3610);
	/* give back: the bucket of the time it was taken */
	i = ratecount_add(&rc, t0 + 1000, -1);
	UNIT_INT("given back", ratecount_used(&rc, t0 + 1000), 6);
	UNIT_INT("record index", i, (size_t)((t0 + 1000) / 10 % 361));
	ratecount_record(&rc, i, rec);
	UNIT_STR("record", rec, "001700001000 000000001\n");
	(void)ratecount_add(&rc, t0 + 1000, -5);
	UNIT_INT("never below 0", rc.b[i].count, 0);
	(void)ratecount_add(&rc, t0 + 3605, -1);
	UNIT_INT("other bucket: nothing", ratecount_used(&rc, t0 + 1000), 5);
	/* a window later, the bucket straddling the window's start still
	 * counts: its record is not the one the new bucket takes (found by
	 * fuzz_ratelimit: with a window's worth of records it was) */
	(void)ratecount_add(&rc, t0 + 3600 + 1, 1);
	UNIT_INT("straddling bucket kept", ratecount_used(&rc, t0 + 3600 + 1),
	    6);
	(void)ratecount_add(&rc, t0 + 3610 + 1, 1);
	/* the first bucket has left: its record now holds t0 + 3610's */
	UNIT_INT("reused record", ratecount_used(&rc, t0 + 3610 + 1), 2);
	UNIT_INT("reused record start", rc.b[(t0 / 10) % 361].start,
	    t0 + 3610);
	/* the clock set back by more than a window forgets the future */
	UNIT_INT("clock far back", ratecount_used(&rc, t0 - 4000), 0);
	/* filled: the bucket of now counts as the limit (100, with the
	 * one of t0 + 3610) */
	(void)ratecount_fill(&rc, t0 + 3605, 100);
	UNIT_INT("filled", ratecount_used(&rc, t0 + 3611), 101);
	/* the record's offset points at its bytes */
	buf_init(&b);
	ratecount_encode(&rc, &b);
	i = (size_t)((t0 + 3605) / 10 % 361);
	UNIT_CHECK("offset", memcmp(b.data + ratecount_offset(&rc, i),
	    "001700003600 000000100\n", RATECOUNT_REC_LEN) == 0, "at %zu",
	    ratecount_offset(&rc, i));
	UNIT_INT("encoded parses", ratecount_parse(b.data, b.len, &p, &why),
	    0);
	UNIT_INT("parsed used", ratecount_used(&p, t0 + 3611), 101);
	ratecount_free(&p);
	buf_free(&b);
	ratecount_free(&rc);

	ratecount_init(&rc, "r", 86400);
	UNIT_INT("daily bucket length", rc.window / (time_t)(rc.nbuckets - 1),
	    240);
	(void)ratecount_add(&rc, t0, RATECOUNT_COUNT_MAX);
	(void)ratecount_add(&rc, t0, 5);
	UNIT_INT("count saturates", ratecount_used(&rc, t0),
	    RATECOUNT_COUNT_MAX);
	ratecount_free(&rc);
}

static void
test_key(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "smtp.example.net", "smtp.example.net" },
		{ "me@example.org@smtp.x", "me@example.org@smtp.x" },
		{ "Me 100%", "%4De%20100%25" },
		{ ".hidden", "%2Ehidden" },
		{ "a/b", "a%2Fb" },
		{ "::1", "%3A%3A1" },
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b);
		ratecount_key(cases[i].in, &b);
		UNIT_STR(cases[i].in, buf_cstr(&b), cases[i].want);
		buf_free(&b);
	}
}

int
main(void)
{
	test_parse();
	test_window();
	test_key();
	return unit_done("ratecount");
}
