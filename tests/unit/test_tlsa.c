/*
 * test_tlsa: which TLSA records DANE may use for SMTP (dns_tlsa_add):
 * RFC 7672 3.1.3 (PKIX-TA/EE unusable), RFC 6698 2.1 (fields), digest
 * lengths (RFC 7671 5), and the DNS_TLSA_MAX and DNS_TLSA_DATA_MAX
 * limits at and past them.
 */
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "unit.h"

int	main(void);

struct tlsa_case {
	const char	*name;
	unsigned char	 usage, selector, mtype;
	size_t		 dlen;		/* association data bytes */
	int		 want;		/* dns_tlsa_add's result */
};

static const struct tlsa_case cases[] = {
	{ "DANE-EE SPKI SHA-256", 3, 1, 1, 32, 1 },
	{ "DANE-EE Cert SHA-256", 3, 0, 1, 32, 1 },
	{ "DANE-TA Cert SHA-256", 2, 0, 1, 32, 1 },
	{ "DANE-TA SPKI SHA-512", 2, 1, 2, 64, 1 },
	{ "DANE-EE full certificate", 3, 0, 0, 700, 1 },
	{ "full, at DNS_TLSA_DATA_MAX", 3, 0, 0, DNS_TLSA_DATA_MAX, 1 },
	{ "full, past DNS_TLSA_DATA_MAX", 3, 0, 0, DNS_TLSA_DATA_MAX + 1, 0 },
	{ "PKIX-TA unusable in SMTP", 0, 0, 1, 32, 0 },
	{ "PKIX-EE unusable in SMTP", 1, 1, 1, 32, 0 },
	{ "unknown usage 4", 4, 1, 1, 32, 0 },
	{ "usage 255", 255, 1, 1, 32, 0 },
	{ "selector 2", 3, 2, 1, 32, 0 },
	{ "matching type 3", 3, 1, 3, 32, 0 },
	{ "SHA-256 too short", 3, 1, 1, 31, 0 },
	{ "SHA-256 too long", 3, 1, 1, 33, 0 },
	{ "SHA-512 of 32 bytes", 3, 1, 2, 32, 0 },
	{ "SHA-256 of 64 bytes", 3, 1, 1, 64, 0 },
	{ "full, one byte", 3, 1, 0, 1, 1 },
};

static void
check_cases(void)
{
	unsigned char rd[DNS_TLSA_DATA_MAX + 8];
	struct dns_tlsa t;
	size_t i, j;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tlsa_case *c = &cases[i];

		memset(&t, 0, sizeof(t));
		rd[0] = c->usage;
		rd[1] = c->selector;
		rd[2] = c->mtype;
		for (j = 0; j < c->dlen; j++)
			rd[3 + j] = (unsigned char)(i + j);
		r = dns_tlsa_add(&t, rd, 3 + c->dlen);
		UNIT_INT(c->name, r, c->want);
		UNIT_INT(c->name, t.n, c->want == 1);
		UNIT_INT(c->name, t.unusable, c->want != 1);
		if (t.n == 1) {
			UNIT_INT(c->name, t.v[0].len, c->dlen);
			UNIT_CHECK(c->name, t.v[0].usage == c->usage &&
			    t.v[0].selector == c->selector &&
			    t.v[0].mtype == c->mtype &&
			    memcmp(t.v[0].data, rd + 3, c->dlen) == 0,
			    "record not copied");
		}
		dns_tlsa_free(&t);
	}
}

static void
check_limits(void)
{
	unsigned char rd[3 + 32] = { 3, 1, 1 };
	struct dns_tlsa t;
	size_t i;

	memset(&t, 0, sizeof(t));
	UNIT_INT("empty rdata", dns_tlsa_add(&t, rd, 0), -1);
	UNIT_INT("three bytes", dns_tlsa_add(&t, rd, 3), -1);
	UNIT_INT("malformed counted unusable", t.unusable, 2);
	for (i = 0; i < DNS_TLSA_MAX; i++)
		(void)dns_tlsa_add(&t, rd, sizeof(rd));
	UNIT_INT("kept at DNS_TLSA_MAX", t.n, DNS_TLSA_MAX);
	UNIT_INT("past DNS_TLSA_MAX: usable", dns_tlsa_add(&t, rd,
	    sizeof(rd)), 1);
	UNIT_INT("past DNS_TLSA_MAX: not kept", t.n, DNS_TLSA_MAX);
	dns_tlsa_free(&t);
	UNIT_INT("freed", t.n, 0);
	dns_tlsa_free(NULL);
}

struct txt_case {
	const char	*name;
	const char	*rd;		/* RDATA */
	size_t		 len;
	const char	*want;
};

#define T(s) s, sizeof(s) - 1

static const struct txt_case txt_cases[] = {
	{ "one string", T("\x0dv=STSv1; id=1"), "v=STSv1; id=1" },
	{ "two strings joined", T("\x08v=STSv1;\x05 id=1"), "v=STSv1; id=1" },
	{ "empty string", T("\x00"), "" },
	{ "empty strings around", T("\x00\x02" "ab\x00"), "ab" },
	{ "cut short", T("\x09" "abc"), "abc" },
	{ "no RDATA", "", 0, "" },
	/* a C string stops at the NUL */
	{ "NUL inside", T("\x03" "a\0b"), "a" },
};

static void
check_txt(void)
{
	unsigned char rd[DNS_TXT_LEN + 600];
	struct dns_txt t;
	size_t i, k;

	for (i = 0; i < sizeof(txt_cases) / sizeof(txt_cases[0]); i++) {
		memset(&t, 0, sizeof(t));
		dns_txt_add(&t, (const unsigned char *)txt_cases[i].rd,
		    txt_cases[i].len);
		UNIT_INT(txt_cases[i].name, t.n, 1);
		UNIT_STR(txt_cases[i].name, t.n ? t.v[0] : NULL,
		    txt_cases[i].want);
		dns_txt_free(&t);
	}
	/* DNS_TXT_LEN: strings of 255 bytes up to and past the cap */
	for (k = 0; k + 256 <= sizeof(rd); k += 256) {
		rd[k] = 255;
		memset(rd + k + 1, 'x', 255);
	}
	memset(&t, 0, sizeof(t));
	dns_txt_add(&t, rd, k);
	UNIT_INT("past DNS_TXT_LEN: capped", t.len[0], DNS_TXT_LEN);
	dns_txt_free(&t);
	memset(&t, 0, sizeof(t));
	rd[16 * 256] = DNS_TXT_LEN - 16 * 255;	/* 16 more: 4096 in all */
	memset(rd + 16 * 256 + 1, 'z', rd[16 * 256]);
	dns_txt_add(&t, rd, 16 * 256 + 1 + rd[16 * 256]);
	UNIT_INT("at DNS_TXT_LEN", t.len[0], DNS_TXT_LEN);
	UNIT_INT("at DNS_TXT_LEN: all of it", t.v[0][DNS_TXT_LEN - 1], 'z');
	/* DNS_TXT_MAX records kept, the next ignored */
	for (i = 1; i < DNS_TXT_MAX + 2; i++)
		dns_txt_add(&t, (const unsigned char *)"\x01y", 2);
	UNIT_INT("DNS_TXT_MAX records", t.n, DNS_TXT_MAX);
	UNIT_STR("last kept", t.v[DNS_TXT_MAX - 1], "y");
	dns_txt_free(&t);
	UNIT_INT("freed", t.n, 0);
}

int
main(void)
{
	check_cases();
	check_limits();
	check_txt();
	return unit_done("tlsa");
}
