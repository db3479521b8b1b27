/*
 * test_journal: the delivery journal's record format (journal.h): round
 * trips with escaping and field caps, each refusal of the parser, the
 * Message-ID scanner and the hour file names.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "journal.h"
#include "unit.h"

int	main(void);

/* Parses a copy of s (with room for the parser's NUL). */
static int
parse(const char *s, struct journal_rec *r, char **keep)
{
	struct why why;
	size_t n = strlen(s);

	*keep = malloc(n + 1);
	memcpy(*keep, s, n + 1);
	return journal_parse(*keep, n, r, &why);
}

static void
test_round_trip(void)
{
	struct journal_rec r = { 0 }, p;
	struct buf b;
	char *line;

	r.time = 1796607729;
	r.event = JOURNAL_DEFERRED;
	r.id = "1LHC3NH3DUT20N";
	r.rcpt = "t@x.example";
	r.next = 1796608029;
	r.dsn = "4.3.0";
	r.relay = "mx[192.0.2.1]:25";
	r.text = "451 4.3.0 100% full\tnow\r\nreally";
	buf_init(&b);
	journal_encode(&r, &b);
	UNIT_STR("encode: escaped, one line", buf_cstr(&b),
	    "1796607729\tdeferred\t1LHC3NH3DUT20N\t\t\tt@x.example\t"
	    "1796608029\t4.3.0\tmx[192.0.2.1]:25\t"
	    "451 4.3.0 100%25 full%09now%0D%0Areally\n");
	b.data[--b.len] = '\0';		/* the LF */
	UNIT_INT("round trip: parse", parse(b.data, &p, &line), 0);
	UNIT_INT("round trip: time", p.time, 1796607729);
	UNIT_INT("round trip: event", p.event, JOURNAL_DEFERRED);
	UNIT_STR("round trip: id", p.id, "1LHC3NH3DUT20N");
	UNIT_STR("round trip: no msgid", p.msgid, "");
	UNIT_STR("round trip: rcpt", p.rcpt, "t@x.example");
	UNIT_INT("round trip: next", p.next, 1796608029);
	UNIT_STR("round trip: relay", p.relay, "mx[192.0.2.1]:25");
	UNIT_STR("round trip: text", p.text,
	    "451 4.3.0 100% full\tnow\r\nreally");
	free(line);

	/* every event name round-trips */
	for (r.event = JOURNAL_QUEUED; r.event <= JOURNAL_REMOVED; r.event++) {
		buf_reset(&b);
		journal_encode(&r, &b);
		b.data[--b.len] = '\0';
		UNIT_INT(journal_event_name(r.event), parse(b.data, &p, &line),
		    0);
		UNIT_INT(journal_event_name(r.event), p.event, r.event);
		free(line);
	}
	UNIT_INT("final: queued", journal_event_final(JOURNAL_QUEUED), false);
	UNIT_INT("final: deferred", journal_event_final(JOURNAL_DEFERRED),
	    false);
	UNIT_INT("final: expired", journal_event_final(JOURNAL_EXPIRED), true);

	/* a field over the cap is cut, and the line is still read back */
	{
		char *big = malloc(JOURNAL_FIELD_MAX * 2 + 1);

		r.event = JOURNAL_BOUNCED;
		memset(big, '%', JOURNAL_FIELD_MAX * 2);
		big[JOURNAL_FIELD_MAX * 2] = '\0';
		r.text = big;
		r.msgid = big;
		r.sender = big;
		r.rcpt = big;
		r.dsn = big;
		r.relay = big;
		buf_reset(&b);
		journal_encode(&r, &b);
		UNIT_CHECK("cap: line within JOURNAL_LINE_MAX",
		    b.len - 1 <= JOURNAL_LINE_MAX, "%zu", b.len);
		b.data[--b.len] = '\0';
		UNIT_INT("cap: parse", parse(b.data, &p, &line), 0);
		UNIT_INT("cap: text cut", p.text ? strlen(p.text) : 0,
		    JOURNAL_FIELD_MAX);
		free(line);
		free(big);
	}
	buf_free(&b);
}

static void
test_refusals(void)
{
	static const struct {
		const char *name, *line;
	} bad[] = {
		{ "empty", "" },
		{ "nine fields", "1\tsent\t1LHC3NH3DUT20N\t\t\ta\t0\t\t" },
		{ "eleven fields",
		  "1\tsent\t1LHC3NH3DUT20N\t\t\ta\t0\t\t\t\t" },
		{ "bad time", "x\tsent\t1LHC3NH3DUT20N\t\t\ta\t0\t\t\t" },
		{ "empty time", "\tsent\t1LHC3NH3DUT20N\t\t\ta\t0\t\t\t" },
		{ "leading zero", "01\tsent\t1LHC3NH3DUT20N\t\t\ta\t0\t\t\t" },
		{ "time too long",
		  "1234567890123\tsent\t1LHC3NH3DUT20N\t\t\ta\t0\t\t\t" },
		{ "negative next", "1\tsent\t1LHC3NH3DUT20N\t\t\ta\t-1\t\t\t" },
		{ "unknown event", "1\tlost\t1LHC3NH3DUT20N\t\t\ta\t0\t\t\t" },
		{ "bad id", "1\tsent\t../../etc\t\t\ta\t0\t\t\t" },
		{ "short id", "1\tsent\t1LHC3\t\t\ta\t0\t\t\t" },
		{ "raw CR", "1\tsent\t1LHC3NH3DUT20N\t\t\ta\r\t0\t\t\t" },
		{ "raw DEL", "1\tsent\t1LHC3NH3DUT20N\t\t\ta\x7f\t0\t\t\t" },
		{ "bad escape", "1\tsent\t1LHC3NH3DUT20N\t\t\ta%G1\t0\t\t\t" },
		{ "cut escape", "1\tsent\t1LHC3NH3DUT20N\t\t\ta\t0\t\t\tx%4" },
		{ "NUL escape", "1\tsent\t1LHC3NH3DUT20N\t\t\ta%00\t0\t\t\t" },
	};
	struct journal_rec p;
	char *line;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		UNIT_INT(bad[i].name, parse(bad[i].line, &p, &line), -1);
		free(line);
	}
	UNIT_INT("minimal line", parse("1\tsent\t1LHC3NH3DUT20N\t\t\t\t0\t\t\t",
	    &p, &line), 0);
	free(line);
	UNIT_INT("lowercase escape", parse("1\tsent\t1LHC3NH3DUT20N\t\t\ta%3c"
	    "\t0\t\t\t", &p, &line), 0);
	UNIT_STR("lowercase escape: decoded", p.rcpt, "a<");
	free(line);
	/* a field over the cap, written by someone else, is refused */
	{
		struct buf b;

		buf_init(&b);
		buf_adds(&b, "1\tsent\t1LHC3NH3DUT20N\t\t\t");
		for (i = 0; i <= JOURNAL_FIELD_MAX; i++)
			buf_addc(&b, 'a');
		buf_adds(&b, "\t0\t\t\t");
		UNIT_INT("field over the cap", parse(buf_cstr(&b), &p, &line),
		    -1);
		free(line);
		buf_free(&b);
	}
}

static void
test_message_id(void)
{
	static const struct {
		const char *name, *hdr, *want;	/* want NULL: none */
	} t[] = {
		{ "plain", "Subject: x\nMessage-ID: <a@b>\n\nbody\n", "<a@b>" },
		{ "case", "message-id:<a.1@b>\n", "<a.1@b>" },
		{ "folded", "Message-Id:\n  <folded@b>\nX: y\n", "<folded@b>" },
		{ "comment before", "Message-ID: (c) <a@b> (d)\n", "<a@b>" },
		{ "first wins", "Message-ID: <1@b>\nMessage-ID: <2@b>\n",
		  "<1@b>" },
		{ "in the body only", "Subject: x\n\nMessage-ID: <a@b>\n",
		  NULL },
		{ "none", "Subject: x\n", NULL },
		{ "no brackets", "Message-ID: a@b\n", NULL },
		{ "empty brackets", "Message-ID: <>\n", NULL },
		{ "space inside", "Message-ID: <a b@c>\n", NULL },
		{ "unclosed", "Message-ID: <a@b\n", NULL },
		{ "other field", "X-Message-ID: <a@b>\n", NULL },
		{ "no final LF", "Message-ID: <a@b>", "<a@b>" },
	};
	struct buf out;
	size_t i;
	bool ok;

	buf_init(&out);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok = journal_message_id(t[i].hdr, strlen(t[i].hdr), &out);
		UNIT_INT(t[i].name, ok, t[i].want != NULL);
		if (ok && t[i].want != NULL)
			UNIT_STR(t[i].name, buf_cstr(&out), t[i].want);
	}
	buf_free(&out);
}

static void
test_names(void)
{
	char name[JOURNAL_NAME_LEN + 1];

	journal_name(1796607729, name);
	UNIT_STR("name of a time", name, "2026120701");
	UNIT_INT("time of a name", journal_name_time("2026120701"),
	    1796605200);
	UNIT_INT("epoch", journal_name_time("1970010100"), 0);
	UNIT_INT("Feb 30", journal_name_time("2026023001"), -1);
	UNIT_INT("hour 24", journal_name_time("2026120724"), -1);
	UNIT_INT("short", journal_name_time("202612070"), -1);
	UNIT_INT("letters", journal_name_time("2026120a01"), -1);
	UNIT_INT("temporary", journal_name_time(".2026120701"), -1);
	UNIT_INT("before 1970", journal_name_time("1969123123"), -1);
}

int
main(void)
{
	test_round_trip();
	test_refusals();
	test_message_id();
	test_names();
	return unit_done("journal");
}
