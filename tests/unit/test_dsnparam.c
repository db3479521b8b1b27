/*
 * test_dsnparam: the NOTIFY set, RET, xtext both ways and ORCPT (RFC 3461).
 */
#include <string.h>

#include "buf.h"
#include "dsnparam.h"
#include "unit.h"

int	main(void);

static const struct {
	const char	*name;
	const char	*in;
	int		 want;
} notify[] = {
	{ "never", "NEVER", DSNPARAM_NOTIFY_NEVER },
	{ "never lower", "never", DSNPARAM_NOTIFY_NEVER },
	{ "success", "SUCCESS", DSNPARAM_NOTIFY_SUCCESS },
	{ "all three", "SUCCESS,FAILURE,DELAY", 14 },
	{ "any order, any case", "delay,Failure", 12 },
	{ "repeated word", "DELAY,DELAY", DSNPARAM_NOTIFY_DELAY },
	{ "blanks around words", " delay , failure ", 12 },
	{ "empty", "", DSNPARAM_BAD_WORD },
	{ "blank", " ", DSNPARAM_BAD_WORD },
	{ "empty word", "DELAY,,FAILURE", DSNPARAM_BAD_WORD },
	{ "trailing comma", "DELAY,", DSNPARAM_BAD_WORD },
	{ "leading comma", ",DELAY", DSNPARAM_BAD_WORD },
	{ "two words", "DELAY FAILURE", DSNPARAM_BAD_WORD },
	{ "unknown", "SOMETIMES", DSNPARAM_BAD_WORD },
	{ "prefix", "DELAYS", DSNPARAM_BAD_WORD },
	{ "short", "DELA", DSNPARAM_BAD_WORD },
	{ "never and more", "NEVER,DELAY", DSNPARAM_BAD_NEVER },
	{ "more and never", "SUCCESS,never", DSNPARAM_BAD_NEVER },
	{ "never twice", "NEVER,NEVER", DSNPARAM_NOTIFY_NEVER },
};

static const struct {
	int		 bits;
	const char	*want;
} notify_fmt[] = {
	{ DSNPARAM_NOTIFY_NEVER, "NEVER" },
	{ 14, "SUCCESS,FAILURE,DELAY" },
	{ DSNPARAM_NOTIFY_DELAY | DSNPARAM_NOTIFY_SUCCESS, "SUCCESS,DELAY" },
	{ DSNPARAM_NOTIFY_FAILURE, "FAILURE" },
};

static const struct {
	const char	*name;
	const char	*plain;
	const char	*xtext;
} xtext[] = {
	{ "plain", "user@example.org", "user@example.org" },
	{ "plus and equals", "a+b=c", "a+2Bb+3Dc" },
	{ "space", "\"a b\"@x", "\"a+20b\"@x" },
	{ "control and del", "a\x01\x7f", "a+01+7F" },
	{ "8-bit", "\xc3\xa9", "+C3+A9" },
	{ "empty", "", "" },
	{ "printable edges", "!~", "!~" },
};

static const struct {
	const char	*name;
	const char	*in;
	const char	*want;	/* NULL: refused */
} decode[] = {
	{ "lower-case hex", "a+2bb", "a+b" },
	{ "bare plus", "a+", NULL },
	{ "plus one digit", "a+2", NULL },
	{ "plus non-hex", "a+2G", NULL },
	{ "raw equals", "a=b", NULL },
	{ "raw space", "a b", NULL },
	{ "raw control", "a\tb", NULL },
	{ "raw 8-bit", "a\xc3\xa9", NULL },
	{ "encoded NUL", "a+00b", NULL },
	{ "encoded high", "+FF", "\xff" },
};

static const struct {
	const char	*orcpt;
	const char	*want;
} orcpt[] = {
	{ "rfc822;u@example.org", "rfc822;u@example.org" },
	{ "RFC822;a+b@x", "RFC822;a+2Bb@x" },
	{ "x-local;u=1", "x-local;u+3D1" },
	{ "u@example.org", "rfc822;u@example.org" },
	{ ";u@x", "rfc822;;u@x" },
	{ "bad type;u@x", "rfc822;bad+20type;u@x" },
	{ "rfc822;\"a b\"@x", "rfc822;\"a+20b\"@x" },
};

static void
test_notify(void)
{
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(notify) / sizeof(notify[0]); i++)
		UNIT_INT(notify[i].name, dsnparam_notify_parse(notify[i].in,
		    strlen(notify[i].in)), notify[i].want);
	/* the length is the end: what follows is not read */
	UNIT_INT("length", dsnparam_notify_parse("DELAY,FAILURE", 5),
	    DSNPARAM_NOTIFY_DELAY);
	buf_init(&b);
	for (i = 0; i < sizeof(notify_fmt) / sizeof(notify_fmt[0]); i++) {
		buf_reset(&b);
		dsnparam_notify_format(&b, notify_fmt[i].bits);
		UNIT_STR(notify_fmt[i].want, buf_cstr(&b), notify_fmt[i].want);
		UNIT_INT(notify_fmt[i].want, dsnparam_notify_parse(b.data,
		    b.len), notify_fmt[i].bits);
	}
	buf_free(&b);
	UNIT_CHECK("ok 0", !dsnparam_notify_ok(0), "0 is no set");
	UNIT_CHECK("ok 16", !dsnparam_notify_ok(16), "16 is no set");
	UNIT_CHECK("ok -1", !dsnparam_notify_ok(-1), "-1 is no set");
	UNIT_CHECK("ok 3", !dsnparam_notify_ok(3), "NEVER goes alone");
	UNIT_CHECK("ok 14", dsnparam_notify_ok(14), "14 is a set");
	/* queue files store the numbers: they never change */
	UNIT_INT("never is 1", DSNPARAM_NOTIFY_NEVER, 1);
	UNIT_INT("success is 2", DSNPARAM_NOTIFY_SUCCESS, 2);
	UNIT_INT("failure is 4", DSNPARAM_NOTIFY_FAILURE, 4);
	UNIT_INT("delay is 8", DSNPARAM_NOTIFY_DELAY, 8);
}

static void
test_ret(void)
{
	UNIT_INT("FULL", dsnparam_ret_parse("FULL", 4), DSNPARAM_RET_FULL);
	UNIT_INT("hdrs", dsnparam_ret_parse("hdrs", 4), DSNPARAM_RET_HDRS);
	UNIT_INT("HDRSX", dsnparam_ret_parse("HDRSX", 5), -1);
	UNIT_INT("HDR", dsnparam_ret_parse("HDR", 3), -1);
	UNIT_INT("empty", dsnparam_ret_parse("", 0), -1);
	UNIT_STR("name full", dsnparam_ret_name(DSNPARAM_RET_FULL), "FULL");
	UNIT_STR("name hdrs", dsnparam_ret_name(DSNPARAM_RET_HDRS), "HDRS");
	UNIT_STR("name unset", dsnparam_ret_name(DSNPARAM_RET_UNSET), NULL);
	UNIT_STR("name 7", dsnparam_ret_name(7), NULL);
}

static void
test_xtext(void)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(xtext) / sizeof(xtext[0]); i++) {
		buf_reset(&b);
		dsnparam_xtext_encode(&b, xtext[i].plain,
		    strlen(xtext[i].plain));
		UNIT_STR(xtext[i].name, buf_cstr(&b), xtext[i].xtext);
		buf_reset(&b);
		UNIT_INT(xtext[i].name, dsnparam_xtext_decode(&b,
		    xtext[i].xtext, strlen(xtext[i].xtext)), 0);
		UNIT_STR(xtext[i].name, buf_cstr(&b), xtext[i].plain);
	}
	for (i = 0; i < sizeof(decode) / sizeof(decode[0]); i++) {
		buf_reset(&b);
		if (dsnparam_xtext_decode(&b, decode[i].in,
		    strlen(decode[i].in)) == -1)
			UNIT_STR(decode[i].name, NULL, decode[i].want);
		else
			UNIT_STR(decode[i].name, buf_cstr(&b), decode[i].want);
	}
	for (i = 0; i < sizeof(orcpt) / sizeof(orcpt[0]); i++) {
		buf_reset(&b);
		dsnparam_orcpt_encode(&b, orcpt[i].orcpt);
		UNIT_STR(orcpt[i].orcpt, buf_cstr(&b), orcpt[i].want);
	}
	buf_free(&b);
}

int
main(void)
{
	test_notify();
	test_ret();
	test_xtext();
	return unit_done("dsnparam");
}
