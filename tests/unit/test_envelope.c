/*
 * test_envelope: the queue file format (envelope.h): encode/parse round
 * trip, each record type, each refusal, and partial input (MORE).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dsnparam.h"
#include "envelope.h"
#include "unit.h"

int	main(void);

#define MAGIC	ENVELOPE_MAGIC
#define MAGIC1	ENVELOPE_MAGIC_V1
#define LEN0	"C20:00000000000000000000\n"

static void
test_round_trip(void)
{
	struct envelope e, p;
	struct buf b;
	struct why why;
	struct envelope_patch patch;
	size_t flag;
	enum envelope_result r;

	envelope_init(&e);
	envelope_init(&p);
	buf_init(&b);
	e.arrival = 1700000000;
	e.uid = 33;
	e.sender = strdup("www-data@example.org");
	e.envid = strdup("QQ123+2Bx");
	e.notify = DSNPARAM_NOTIFY_FAILURE | DSNPARAM_NOTIFY_DELAY;
	e.ret = DSNPARAM_RET_HDRS;
	memcpy(e.verp, "+=", 3);
	e.smtputf8 = true;
	envelope_add_rcpt(&e, "a@example.net", NULL);
	envelope_add_rcpt(&e, "\"q l\"@example.net", "rfc822;alias@example.org");
	envelope_add_rcpt(&e, "j\xc3\xb6@example.net", NULL);
	envelope_encode(&e, &b, &patch);
	flag = patch.flag_off;
	UNIT_STR("round trip: size digits", b.data[patch.size_off] == '0' ?
	    "0" : "?", "0");
	envelope_size_digits(19, b.data + patch.size_off);
	b.data[patch.size_off + ENVELOPE_SIZE_WIDTH] = '\n';	/* snprintf's NUL */
	envelope_size_digits(17, b.data + patch.len_off);
	b.data[patch.len_off + ENVELOPE_SIZE_WIDTH] = '\n';
	buf_adds(&b, "Subject: x\n\nbody\n");
	UNIT_CHECK("round trip: flag byte", b.data[flag] == '-',
	    "got '%c'", b.data[flag]);
	b.data[flag] = ENVELOPE_8BIT_YES;	/* as spool_patch does */
	r = envelope_parse(b.data, b.len, 10, false, &p, &why);
	UNIT_INT("round trip: result", r, ENVELOPE_OK);
	UNIT_INT("round trip: arrival", p.arrival, 1700000000);
	UNIT_INT("round trip: uid", p.uid, 33);
	UNIT_STR("round trip: sender", p.sender, "www-data@example.org");
	UNIT_STR("round trip: envid", p.envid, "QQ123+2Bx");
	UNIT_INT("round trip: notify", p.notify, DSNPARAM_NOTIFY_FAILURE |
	    DSNPARAM_NOTIFY_DELAY);
	UNIT_INT("round trip: ret", p.ret, DSNPARAM_RET_HDRS);
	UNIT_STR("round trip: verp", p.verp, "+=");
	UNIT_INT("round trip: 8bit (patched)", p.body_8bit, true);
	UNIT_INT("round trip: smtputf8", p.smtputf8, true);
	UNIT_INT("round trip: wire size (patched)", p.wire_size, 19);
	UNIT_INT("round trip: version", p.version, 2);
	UNIT_INT("round trip: length (patched)", p.msg_len, 17);
	UNIT_INT("round trip: nrcpts", p.nrcpts, 3);
	if (p.nrcpts == 3) {
		UNIT_STR("round trip: rcpt 0", p.rcpts[0].addr, "a@example.net");
		UNIT_STR("round trip: orcpt 0", p.rcpts[0].orcpt, NULL);
		UNIT_STR("round trip: rcpt 1", p.rcpts[1].addr,
		    "\"q l\"@example.net");
		UNIT_STR("round trip: orcpt 1", p.rcpts[1].orcpt,
		    "rfc822;alias@example.org");
		UNIT_STR("round trip: rcpt 2", p.rcpts[2].addr,
		    "j\xc3\xb6@example.net");
	}
	UNIT_STR("round trip: body offset", b.data + p.body_offset,
	    "Subject: x\n\nbody\n");

	/* every strict prefix up to the M record wants more */
	{
		size_t i, bad = 0;

		for (i = 0; i < p.body_offset; i++) {
			struct envelope q;

			envelope_init(&q);
			if (envelope_parse(b.data, i, 10, false, &q, &why) !=
			    ENVELOPE_MORE)
				bad++;
			envelope_free(&q);
		}
		UNIT_INT("round trip: prefixes give MORE", bad, 0);
	}

	/* the same as a drop file: the U record is refused */
	r = envelope_parse(b.data, b.len, 10, true, &p, &why);
	UNIT_INT("drop file with uid", r, ENVELOPE_BAD);
	UNIT_CHECK("drop file with uid: reason",
	    strstr(why.text, "uid record in a drop file") != NULL, "%s",
	    why.text);

	/* the null sender and no optional records */
	envelope_free(&e);
	e.arrival = 5;
	e.sender = strdup("");
	envelope_add_rcpt(&e, "b@example.net", NULL);
	buf_reset(&b);
	envelope_encode(&e, &b, NULL);
	buf_reserve(&b, 1);
	b.data[b.len] = '\0';
	UNIT_STR("minimal encoding", b.data,
	    MAGIC "T1:5\nS0:\nB2:--\nL20:00000000000000000000\n" LEN0
	    "R13:b@example.net\nM0:\n");
	r = envelope_parse(b.data, b.len, 1, true, &p, &why);
	UNIT_INT("minimal: result", r, ENVELOPE_OK);
	UNIT_STR("minimal: null sender", p.sender, "");
	UNIT_INT("minimal: uid unknown", p.uid, -1);
	UNIT_STR("minimal: no envid", p.envid, NULL);
	UNIT_INT("minimal: ret unset", p.ret, DSNPARAM_RET_UNSET);
	UNIT_INT("minimal: body offset", p.body_offset, b.len);

	envelope_free(&e);
	envelope_free(&p);
	buf_free(&b);
}

struct parse_case {
	const char	*name;
	const char	*in;		/* after the version line, unless ... */
	bool		 no_magic;	/* ... in is the whole file */
	bool		 drop;
	size_t		 max_rcpts;
	enum envelope_result want;
	const char	*want_why;	/* substring, for BAD */
};

#define HEAD	"T2:10\nS13:s@example.org\n"
#define TAIL	"R13:r@example.net\nM0:\n"

static const struct parse_case parse_cases[] = {
	{ "ok", HEAD TAIL, false, true, 5, ENVELOPE_OK, NULL },
	{ "every optional record", HEAD "E3:abc\nN1:6\nZ1:F\nV2:-=\n"
	    "B2:8U\nR13:r@example.net\nO14:rfc822;x@y.org\nR1:z\nM0:\n", false,
	    true,
	    5, ENVELOPE_OK, NULL },
	{ "bad version", "MINIMTA-QUEUE 3\n" HEAD TAIL, true, true, 5,
	    ENVELOPE_BAD, "version line" },
	{ "version 2", MAGIC HEAD LEN0 TAIL, true, true, 5, ENVELOPE_OK,
	    NULL },
	{ "version 2 without a length", MAGIC HEAD TAIL, true, true, 5,
	    ENVELOPE_BAD, "missing message length" },
	{ "version 2 short length", MAGIC HEAD "C2:12\n" TAIL, true, true, 5,
	    ENVELOPE_BAD, "bad message length" },
	{ "version 2 repeated length", MAGIC HEAD LEN0 LEN0 TAIL, true, true,
	    5, ENVELOPE_BAD, "repeated record" },
	{ "version 1 with a length", MAGIC1 HEAD LEN0 TAIL, true, true, 5,
	    ENVELOPE_BAD, "bad message length" },
	{ "short version 2 prefix", "MINIMTA-QUEUE 2", true, true, 5,
	    ENVELOPE_MORE, NULL },
	{ "not a queue file", "From x\n", true, true, 5, ENVELOPE_BAD,
	    "version line" },
	{ "short version prefix", "MINIMTA-", true, true, 5, ENVELOPE_MORE,
	    NULL },
	{ "unknown record", HEAD "X1:a\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "unknown record type" },
	{ "lowercase record", HEAD "r1:a\n" TAIL, false, true, 5,
	    ENVELOPE_BAD, "unknown record type" },
	{ "uid in drop file", "U1:0\n" HEAD TAIL, false, true, 5,
	    ENVELOPE_BAD, "uid record" },
	{ "uid in queue file", "U1:0\n" HEAD TAIL, false, false, 5,
	    ENVELOPE_OK, NULL },
	{ "bad uid", "U2:-1\n" HEAD TAIL, false, false, 5, ENVELOPE_BAD,
	    "bad uid" },
	{ "uid too big", "U10:9999999999\n" HEAD TAIL, false, false, 5,
	    ENVELOPE_BAD, "bad uid" },
	{ "cr in a field", "T2:10\nS3:a\rb\n" TAIL, false, true, 5,
	    ENVELOPE_BAD, "control character" },
	{ "lf in a field", "T2:10\nS3:a\nb\n" TAIL, false, true, 5,
	    ENVELOPE_BAD, "control character" },
	{ "del in a field", "T2:10\nS3:a\x7f" "b\n" TAIL, false, true, 5,
	    ENVELOPE_BAD, "control character" },
	{ "length mismatch", "T2:10\nS2:abc\n" TAIL, false, true, 5,
	    ENVELOPE_BAD, "length mismatch" },
	{ "no length", "T:10\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "malformed record" },
	{ "no colon", "T2x10\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "malformed record" },
	{ "record too long", "S99999:x\n", false, true, 5, ENVELOPE_BAD,
	    "record too long" },
	{ "record over max field", "S2049:x\n", false, true, 5, ENVELOPE_BAD,
	    "record too long" },
	{ "repeated sender", HEAD "S1:x\n" TAIL, false, true, 5,
	    ENVELOPE_BAD, "repeated record" },
	{ "repeated time", "T1:1\n" HEAD TAIL, false, true, 5, ENVELOPE_BAD,
	    "repeated record" },
	{ "bad time", "T2:1x\nS0:\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "bad arrival time" },
	{ "empty time", "T0:\nS0:\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "bad arrival time" },
	{ "no time", "S0:\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "missing arrival time or sender" },
	{ "no sender", "T1:1\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "missing arrival time or sender" },
	{ "no recipients", HEAD "M0:\n", false, true, 5, ENVELOPE_BAD,
	    "no recipients" },
	{ "empty recipient", HEAD "R0:\nM0:\n", false, true, 5, ENVELOPE_BAD,
	    "empty recipient" },
	{ "too many recipients", HEAD "R1:a\nR1:b\nR1:c\nM0:\n", false, true,
	    2, ENVELOPE_BAD, "too many recipients" },
	{ "max recipients", HEAD "R1:a\nR1:b\nM0:\n", false, true, 2,
	    ENVELOPE_OK, NULL },
	{ "orcpt first", HEAD "O3:a;b\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "misplaced original recipient" },
	{ "two orcpts", HEAD "R1:a\nO3:a;b\nO3:a;c\nM0:\n", false, true, 5,
	    ENVELOPE_BAD, "misplaced original recipient" },
	{ "empty envid", HEAD "E0:\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "empty envid" },
	{ "notify zero", HEAD "N1:0\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "bad notify" },
	{ "notify never with others", HEAD "N1:3\n" TAIL, false, true, 5,
	    ENVELOPE_BAD, "bad notify" },
	{ "notify too big", HEAD "N2:16\n" TAIL, false, true, 5,
	    ENVELOPE_BAD, "bad notify" },
	{ "ret other", HEAD "Z1:X\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "bad ret" },
	{ "verp one char", HEAD "V1:+\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "bad verp" },
	{ "flags wrong", HEAD "B2:U8\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "bad flags" },
	{ "flags short", HEAD "B1:-\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "bad flags" },
	{ "wire size", HEAD "L20:00000000000000001234\n" TAIL, false, true,
	    5, ENVELOPE_OK, NULL },
	{ "wire size short", HEAD "L4:1234\n" TAIL, false, true, 5,
	    ENVELOPE_BAD, "bad size" },
	{ "wire size not digits", HEAD "L20:0000000000000000123x\n" TAIL,
	    false, true, 5, ENVELOPE_BAD, "bad size" },
	{ "wire size repeated", HEAD "L20:00000000000000000001\n"
	    "L20:00000000000000000001\n" TAIL, false, true, 5, ENVELOPE_BAD,
	    "repeated record" },
	{ "message record with data", HEAD "R1:a\nM1:x\n", false, true, 5,
	    ENVELOPE_BAD, "malformed message record" },
	{ "cut in a record", HEAD "R13:r@exa", false, true, 5, ENVELOPE_MORE,
	    NULL },
	{ "cut in a length", HEAD "R1", false, true, 5, ENVELOPE_MORE, NULL },
	{ "cut before M", HEAD "R1:a\n", false, true, 5, ENVELOPE_MORE, NULL },
};

static void
test_parse_cases(void)
{
	struct envelope e;
	struct why why;
	struct buf b;
	size_t i;

	envelope_init(&e);
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *k = &parse_cases[i];
		enum envelope_result r;

		buf_init(&b);
		/* the cases are version 1 files, which need no C record */
		if (!k->no_magic)
			buf_adds(&b, MAGIC1);
		buf_adds(&b, k->in);
		why.text[0] = '\0';
		r = envelope_parse(b.data, b.len, k->max_rcpts, k->drop, &e,
		    &why);
		UNIT_INT(k->name, r, k->want);
		if (k->want_why != NULL)
			UNIT_CHECK(k->name, strstr(why.text, k->want_why) !=
			    NULL, "why \"%s\", want \"%s\"", why.text,
			    k->want_why);
		if (r == ENVELOPE_OK)
			UNIT_INT(k->name, e.body_offset, b.len);
		envelope_free(&e);
		buf_free(&b);
	}
}

static void
test_records(void)
{
	const char *d;
	char type;
	size_t off = 0, len;
	struct why why;
	struct buf b;

	buf_init(&b);
	envelope_record_put(&b, 'P', "a\0b", 3);	/* bytes, not a string */
	UNIT_INT("record put: length", b.len, 7);
	UNIT_INT("record next", envelope_record_next(b.data, b.len, &off,
	    &type, &d, &len, &why), ENVELOPE_OK);
	UNIT_INT("record next: type", type, 'P');
	UNIT_INT("record next: len", len, 3);
	UNIT_INT("record next: off", off, 7);
	UNIT_INT("record next: at end", envelope_record_next(b.data, b.len,
	    &off, &type, &d, &len, &why), ENVELOPE_MORE);
	buf_free(&b);

	UNIT_INT("field ok: empty", envelope_field_ok(""), true);
	UNIT_INT("field ok: utf-8", envelope_field_ok("j\xc3\xb6@x"), true);
	UNIT_INT("field ok: cr", envelope_field_ok("a\rb"), false);
	UNIT_INT("field ok: lf", envelope_field_ok("a\nb"), false);
	UNIT_INT("field ok: tab", envelope_field_ok("a\tb"), false);
	{
		char big[ENVELOPE_MAX_FIELD + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[ENVELOPE_MAX_FIELD] = '\0';
		UNIT_INT("field ok: at max", envelope_field_ok(big), true);
		big[ENVELOPE_MAX_FIELD] = 'a';
		big[ENVELOPE_MAX_FIELD + 1] = '\0';
		UNIT_INT("field ok: past max", envelope_field_ok(big), false);
	}
}

int
main(void)
{
	test_round_trip();
	test_parse_cases();
	test_records();
	return unit_done("envelope");
}
