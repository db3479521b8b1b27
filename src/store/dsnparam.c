/*
 * dsnparam: RFC 3461 NOTIFY, RET and xtext. See dsnparam.h.
 */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dsnparam.h"

static const struct {
	const char	*word;
	int		 bit;
} dsnparam_words[] = {
	{ "NEVER", DSNPARAM_NOTIFY_NEVER },
	{ "SUCCESS", DSNPARAM_NOTIFY_SUCCESS },
	{ "FAILURE", DSNPARAM_NOTIFY_FAILURE },
	{ "DELAY", DSNPARAM_NOTIFY_DELAY },
};

#define DSNPARAM_NWORDS (sizeof(dsnparam_words) / sizeof(dsnparam_words[0]))

bool
dsnparam_notify_ok(int bits)
{
	return bits > 0 && bits <= DSNPARAM_NOTIFY_ALL &&
	    (!(bits & DSNPARAM_NOTIFY_NEVER) || bits == DSNPARAM_NOTIFY_NEVER);
}

static bool
dsnparam_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
dsnparam_notify_parse(const char *s, size_t len)
{
	size_t i, k, a, b, w;
	int bits = 0;

	for (i = 0; i <= len; i = k + 1) {
		for (k = i; k < len && s[k] != ','; k++)
			continue;
		/* the word is s[a..b), without the blanks around it */
		for (a = i; a < k && dsnparam_blank(s[a]); a++)
			continue;
		for (b = k; b > a && dsnparam_blank(s[b - 1]); b--)
			continue;
		for (w = 0; w < DSNPARAM_NWORDS; w++)
			if (strlen(dsnparam_words[w].word) == b - a &&
			    strncasecmp(s + a, dsnparam_words[w].word,
			    b - a) == 0)
				break;
		if (w == DSNPARAM_NWORDS)
			return DSNPARAM_BAD_WORD;
		bits |= dsnparam_words[w].bit;
	}
	return dsnparam_notify_ok(bits) ? bits : DSNPARAM_BAD_NEVER;
}

void
dsnparam_notify_format(struct buf *b, int bits)
{
	const char *sep = "";
	size_t w;

	if (bits & DSNPARAM_NOTIFY_NEVER) {
		buf_adds(b, "NEVER");
		return;
	}
	for (w = 1; w < DSNPARAM_NWORDS; w++) {
		if ((bits & dsnparam_words[w].bit) == 0)
			continue;
		buf_adds(b, sep);
		buf_adds(b, dsnparam_words[w].word);
		sep = ",";
	}
}

int
dsnparam_ret_parse(const char *s, size_t len)
{
	if (len == 4 && strncasecmp(s, "FULL", 4) == 0)
		return DSNPARAM_RET_FULL;
	if (len == 4 && strncasecmp(s, "HDRS", 4) == 0)
		return DSNPARAM_RET_HDRS;
	return -1;
}

const char *
dsnparam_ret_name(int ret)
{
	switch (ret) {
	case DSNPARAM_RET_FULL:
		return "FULL";
	case DSNPARAM_RET_HDRS:
		return "HDRS";
	default:
		return NULL;
	}
}

void
dsnparam_xtext_encode(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char q[3];
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] < 33 || p[i] > 126 || p[i] == '+' || p[i] == '=') {
			q[0] = '+';
			q[1] = hex[p[i] >> 4];
			q[2] = hex[p[i] & 15];
			buf_add(b, q, 3);
		} else {
			buf_addc(b, (char)p[i]);
		}
	}
}

static int
dsnparam_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
dsnparam_xtext_decode(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (p[i] == '+') {
			if (len - i < 3 || (hi = dsnparam_hex(s[i + 1])) < 0 ||
			    (lo = dsnparam_hex(s[i + 2])) < 0 ||
			    (hi == 0 && lo == 0))
				return -1;
			buf_addc(b, (char)(hi << 4 | lo));
			i += 2;
		} else if (p[i] < 33 || p[i] > 126 || p[i] == '=') {
			return -1;
		} else {
			buf_addc(b, (char)p[i]);
		}
	}
	return 0;
}

void
dsnparam_orcpt_encode(struct buf *b, const char *orcpt)
{
	const char *semi = strchr(orcpt, ';'), *q;

	for (q = orcpt; semi != NULL && q < semi; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    (*q >= '0' && *q <= '9') || *q == '-'))
			semi = NULL;
	if (semi != NULL && semi > orcpt) {
		buf_add(b, orcpt, (size_t)(semi - orcpt) + 1);
		orcpt = semi + 1;
	} else {
		buf_adds(b, "rfc822;");
	}
	dsnparam_xtext_encode(b, orcpt, strlen(orcpt));
}
