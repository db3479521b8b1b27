/*
 * test_qstate: the delivery state file (qstate.h): round trip, cleaning
 * of fields, and each refusal of the parser.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "qstate.h"
#include "unit.h"

int	main(void);

static void
test_round_trip(void)
{
	struct qstate q, p;
	struct why why;
	struct buf b;

	qstate_init(&q, 4);
	q.attempts = 3;
	q.next_try = 1700000300;
	q.warned = true;
	q.rcpts[0].done = true;
	qstate_set_reason(&q, 1, "4.4.1", "mx.example.net[192.0.2.1]",
	    "connect: Connection refused | retry");
	qstate_set_reason(&q, 2, "", NULL, NULL);
	q.rcpts[3].done = true;
	buf_init(&b);
	qstate_encode(&q, &b);
	UNIT_INT("round trip: parse", qstate_parse(b.data, b.len, 4, &p,
	    &why), 0);
	UNIT_INT("round trip: attempts", p.attempts, 3);
	UNIT_INT("round trip: next try", p.next_try, 1700000300);
	UNIT_INT("round trip: warned", p.warned, true);
	UNIT_INT("round trip: done 0", p.rcpts[0].done, true);
	UNIT_INT("round trip: done 1", p.rcpts[1].done, false);
	UNIT_STR("round trip: status 1", p.rcpts[1].status, "4.4.1");
	UNIT_STR("round trip: remote 1", p.rcpts[1].remote,
	    "mx.example.net[192.0.2.1]");
	UNIT_STR("round trip: reason 1", p.rcpts[1].reason,
	    "connect: Connection refused | retry");
	UNIT_STR("round trip: default status", p.rcpts[2].status, "4.0.0");
	UNIT_STR("round trip: no remote", p.rcpts[2].remote, NULL);
	UNIT_STR("round trip: empty reason", p.rcpts[2].reason, "");
	UNIT_INT("round trip: done 3", p.rcpts[3].done, true);
	UNIT_INT("round trip: not all done", qstate_all_done(&p), false);
	p.rcpts[1].done = p.rcpts[2].done = true;
	UNIT_INT("all done", qstate_all_done(&p), true);
	qstate_free(&p);
	qstate_free(&q);
	qstate_free(&q);	/* twice is harmless */
	buf_free(&b);

	/* fresh state: nothing tried */
	qstate_init(&q, 2);
	buf_init(&b);
	qstate_encode(&q, &b);
	buf_reserve(&b, 1);
	b.data[b.len] = '\0';
	UNIT_STR("fresh encoding", b.data, QSTATE_MAGIC "A1:0\nW1:0\n");
	qstate_free(&q);
	buf_free(&b);
}

static void
test_clean(void)
{
	struct qstate q, p;
	struct why why;
	struct buf b;
	char long_reason[4000];

	memset(long_reason, 'r', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	qstate_init(&q, 2);
	qstate_set_reason(&q, 0, "4.1|x y", "h|o st", "a\r\nb\tc\x7f");
	UNIT_STR("clean: status", q.rcpts[0].status, "4.1?x?y");
	UNIT_STR("clean: remote", q.rcpts[0].remote, "h?o?st");
	UNIT_STR("clean: reason", q.rcpts[0].reason, "a??b?c?");
	qstate_set_reason(&q, 1, "4.0.0", NULL, long_reason);
	UNIT_CHECK("clean: long reason capped", strlen(q.rcpts[1].reason) <
	    2048, "len %zu", strlen(q.rcpts[1].reason));
	buf_init(&b);
	qstate_encode(&q, &b);
	UNIT_INT("clean: encodes and parses", qstate_parse(b.data, b.len, 2,
	    &p, &why), 0);
	UNIT_STR("clean: reason survives", p.rcpts[0].reason, "a??b?c?");
	qstate_free(&p);
	qstate_free(&q);
	buf_free(&b);
}

struct parse_case {
	const char	*name;
	const char	*in;
	size_t		 nrcpts;
	int		 want;
	const char	*want_why;
};

#define M QSTATE_MAGIC

static const struct parse_case parse_cases[] = {
	{ "only the version", M, 1, 0, NULL },
	{ "bad version", "MINIMTA-STATE 3\nA1:0\n", 1, -1, "version" },
	{ "version 1 still read", "MINIMTA-STATE 1\nA1:0\nD1:0\n", 1, 0,
	    NULL },
	{ "no report record in version 1",
	    "MINIMTA-STATE 1\nR13:0 F 5.0.0 -|x\n", 1, -1, "bad record" },
	{ "report ok", M "R13:0 F 5.0.0 -|x\n", 1, 0, NULL },
	{ "report of unknown kind", M "R13:0 X 5.0.0 -|x\n", 1, -1,
	    "bad report record" },
	{ "report without kind", M "R11:0 5.0.0 -|x\n", 1, -1,
	    "bad report record" },
	{ "report index past the end", M "R13:1 S 2.0.0 -|x\n", 1, -1,
	    "bad report record" },
	{ "empty", "", 1, -1, "version" },
	{ "unknown record", M "Q1:0\n", 1, -1, "bad record" },
	{ "attempts too big", M "A7:9999999\n", 1, -1, "bad record" },
	{ "attempts not a number", M "A2:1x\n", 1, -1, "bad record" },
	{ "next try not a number", M "W2:-1\n", 1, -1, "bad record" },
	{ "done index past the end", M "D1:2\n", 2, -1, "bad record" },
	{ "done index last", M "D1:1\n", 2, 0, NULL },
	{ "done with no recipients", M "D1:0\n", 0, -1, "bad record" },
	{ "pending ok", M "P11:0 4.0.0 -|x\n", 1, 0, NULL },
	{ "pending index past the end", M "P11:1 4.0.0 -|x\n", 1, -1,
	    "bad pending record" },
	{ "pending without bar", M "P10:0 4.0.0 -x\n", 1, -1,
	    "bad pending record" },
	{ "pending without spaces", M "P3:0|x\n", 1, -1,
	    "bad pending record" },
	{ "cut record", M "A1:", 1, -1, "bad record" },
	{ "length mismatch", M "A1:12\n", 1, -1, NULL },
};

static void
test_parse_cases(void)
{
	struct qstate q;
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *k = &parse_cases[i];
		int r;

		why.text[0] = '\0';
		r = qstate_parse(k->in, strlen(k->in), k->nrcpts, &q, &why);
		UNIT_INT(k->name, r, k->want);
		if (k->want_why != NULL)
			UNIT_CHECK(k->name, strstr(why.text, k->want_why) !=
			    NULL, "why \"%s\", want \"%s\"", why.text,
			    k->want_why);
		qstate_free(&q);
	}
}

/* Finished recipients with a report pending: kept apart from plain done. */
static void
test_reports(void)
{
	struct qstate q, p;
	struct why why;
	struct buf b;

	qstate_init(&q, 3);
	qstate_set_report(&q, 0, QSTATE_REPORT_FAILED, "5.1.1",
	    "mx.example.net", "550 5.1.1 no such user");
	qstate_set_report(&q, 1, QSTATE_REPORT_RELAYED, "2.0.0", NULL,
	    "250 ok");
	q.rcpts[2].done = true;
	UNIT_INT("reports: not all done while reports wait",
	    qstate_all_done(&q), false);
	buf_init(&b);
	qstate_encode(&q, &b);
	UNIT_INT("reports: parse", qstate_parse(b.data, b.len, 3, &p, &why),
	    0);
	UNIT_INT("reports: done 0", p.rcpts[0].done, true);
	UNIT_INT("reports: kind 0", p.rcpts[0].report, QSTATE_REPORT_FAILED);
	UNIT_STR("reports: status 0", p.rcpts[0].status, "5.1.1");
	UNIT_STR("reports: remote 0", p.rcpts[0].remote, "mx.example.net");
	UNIT_STR("reports: reason 0", p.rcpts[0].reason,
	    "550 5.1.1 no such user");
	UNIT_INT("reports: kind 1", p.rcpts[1].report, QSTATE_REPORT_RELAYED);
	UNIT_STR("reports: no remote 1", p.rcpts[1].remote, NULL);
	UNIT_INT("reports: plain done 2", p.rcpts[2].report,
	    QSTATE_REPORT_NONE);
	UNIT_INT("reports: failed count", qstate_reports(&p,
	    QSTATE_REPORT_FAILED), 1);
	UNIT_INT("reports: relayed count", qstate_reports(&p,
	    QSTATE_REPORT_RELAYED), 1);
	p.rcpts[0].report = p.rcpts[1].report = QSTATE_REPORT_NONE;
	UNIT_INT("reports: all done once sent", qstate_all_done(&p), true);
	qstate_free(&p);
	qstate_free(&q);
	buf_free(&b);
}

/* The writer's largest file is one the reader takes; one byte more is not. */
static void
test_bound(void)
{
	char big[QSTATE_RECORD_MAX * 2];
	struct qstate q, p;
	struct why why;
	struct buf b;
	size_t i, n = 200;

	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	qstate_init(&q, n);
	q.attempts = 1000000;
	q.next_try = (time_t)1 << 40;
	q.warned = true;
	for (i = 0; i < n; i++)
		qstate_set_reason(&q, i, big, big, big);
	UNIT_CHECK("bound: reason capped", strlen(q.rcpts[0].reason) ==
	    QSTATE_REASON_MAX, "len %zu", strlen(q.rcpts[0].reason));
	buf_init(&b);
	qstate_encode(&q, &b);
	UNIT_CHECK("bound: within qstate_max_size", b.len <=
	    qstate_max_size(n), "%zu > %zu", b.len, qstate_max_size(n));
	UNIT_INT("bound: parses", qstate_parse(b.data, b.len, n, &p, &why),
	    0);
	qstate_free(&p);
	buf_reset(&b);
	buf_reserve(&b, qstate_max_size(1) + 1);
	buf_adds(&b, QSTATE_MAGIC);
	while (b.len <= qstate_max_size(1))
		buf_adds(&b, "A1:0\n");
	UNIT_INT("bound: over the bound refused", qstate_parse(b.data, b.len,
	    1, &p, &why), -1);
	UNIT_CHECK("bound: why", strstr(why.text, "over") != NULL, "%s",
	    why.text);
	qstate_free(&p);
	qstate_free(&q);
	buf_free(&b);
}

int
main(void)
{
	test_round_trip();
	test_reports();
	test_bound();
	test_clean();
	test_parse_cases();
	return unit_done("qstate");
}
