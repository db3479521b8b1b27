/*
 * fuzz_mtasts: the MTA-STS parsers (mtasts_parse.c) over arbitrary bytes.
 * First byte mod 4: 0 or 2 policy text, 1 TXT records separated by LF,
 * 3 an HTTP response then (its body) policy text; top bit set: the rest
 * is a cache file. Aborts unless: an HTTP body lies inside the response
 * after a blank line; a cache file's id is letters and digits and its
 * policy lies after the header; a parsed policy has a known mode,
 * max_age within 0..MTASTS_MAX_AGE_MAX, at most MTASTS_MX_MAX mx
 * patterns, at least one unless the mode is none, each lower case, found
 * in the input (ignoring case), and matching itself (a "*." pattern
 * matches "x" + its rest); a found TXT id is 1..MTASTS_ID_MAX letters and
 * digits that follow "id=" in the input; NONE only when no record starts
 * with "v=STSv1".
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_fail.h"
#include "mtasts_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NREC	16

static bool
contains_ci(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return true;
	return false;
}

static void
policy(const char *t, size_t n)
{
	struct mtasts_policy p;
	const char *err;
	char *x;
	size_t i;

	if (mtasts_policy_parse(t, n, &p, &err) == 0) {
		if (p.mode > MTASTS_MODE_ENFORCE || p.max_age < 0 ||
		    p.max_age > MTASTS_MAX_AGE_MAX || p.nmx > MTASTS_MX_MAX ||
		    (p.mode != MTASTS_MODE_NONE && p.nmx == 0))
			FUZZ_FAIL();
		for (i = 0; i < p.nmx; i++) {
			const char *m = p.mx[i], *c;

			for (c = m; *c != '\0'; c++)
				if (isupper((unsigned char)*c))
					FUZZ_FAIL();
			if (!contains_ci(t, n, m))
				FUZZ_FAIL();
			if (m[0] == '*') {
				x = strdup(m);
				if (x == NULL)
					abort();
				x[0] = 'x';
				if (!mtasts_mx_match(m, x) ||
				    !mtasts_policy_allows(&p, x))
					FUZZ_FAIL();
				free(x);
			} else if (!mtasts_mx_match(m, m)) {
				FUZZ_FAIL();
			}
		}
	} else if (err == NULL || p.nmx > MTASTS_MX_MAX) {
		FUZZ_FAIL();
	}
	mtasts_policy_free(&p);
}

static void
txt(const char *t, size_t n)
{
	const char *v[NREC] = { 0 };
	size_t len[NREC] = { 0 }, k = 0, i, j;
	const char *p = t, *end = t + n, *nl;
	char id[MTASTS_ID_MAX + 1], want[MTASTS_ID_MAX + 4];
	bool any = false;

	while (p < end && k < NREC) {
		nl = memchr(p, '\n', (size_t)(end - p));
		v[k] = p;
		len[k] = (size_t)((nl ? nl : end) - p);
		if (len[k] >= 7 && memcmp(p, "v=STSv1", 7) == 0)
			any = true;
		k++;
		p = nl ? nl + 1 : end;
	}
	switch (mtasts_txt_parse(v, len, k, id)) {
	case MTASTS_TXT_FOUND:
		j = strlen(id);
		if (j == 0 || j > MTASTS_ID_MAX || !any)
			FUZZ_FAIL();
		for (i = 0; i < j; i++)
			if (!isalnum((unsigned char)id[i]))
				FUZZ_FAIL();
		want[0] = 'i';
		want[1] = 'd';
		want[2] = '=';
		memcpy(want + 3, id, j + 1);
		if (!contains_ci(t, n, want))
			FUZZ_FAIL();
		break;
	case MTASTS_TXT_NONE:
		if (any && k > 0) {
			/* only "v=STSv1" + something else (another version) */
			for (i = 0; i < k; i++)
				if (len[i] == 7 &&
				    memcmp(v[i], "v=STSv1", 7) == 0)
					FUZZ_FAIL();
		}
		break;
	case MTASTS_TXT_INVALID:
		if (!any || id[0] != '\0')
			FUZZ_FAIL();
		break;
	default:
		FUZZ_FAIL();
	}
}

static void
http(const char *t, size_t n)
{
	const char *body, *err;
	size_t blen;

	if (mtasts_http_body(t, n, &body, &blen, &err) == -1) {
		if (err == NULL)
			FUZZ_FAIL();
		return;
	}
	if (body < t + 2 || body + blen > t + n || body[-1] != '\n' ||
	    strncmp(t, "HTTP/1.", 7) != 0)
		FUZZ_FAIL();
	policy(body, blen);
}

static void
cache(const char *t, size_t n)
{
	char id[MTASTS_ID_MAX + 1];
	const char *pol;
	long long fetched;
	size_t plen, i;

	if (mtasts_cache_parse(t, n, id, &fetched, &pol, &plen) == -1)
		return;
	if (fetched < 0 || id[0] == '\0' || strlen(id) > MTASTS_ID_MAX ||
	    pol < t || pol + plen != t + n || pol[-1] != '\n' ||
	    pol[-2] != '\n')
		FUZZ_FAIL();
	for (i = 0; id[i] != '\0'; i++)
		if (!isalnum((unsigned char)id[i]))
			FUZZ_FAIL();
	policy(pol, plen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data + 1;

	if (size == 0)
		return 0;
	if (data[0] & 0x80)
		cache(t, size - 1);
	else if ((data[0] & 3) == 1)
		txt(t, size - 1);
	else if ((data[0] & 3) == 3)
		http(t, size - 1);
	else
		policy(t, size - 1);
	return 0;
}
