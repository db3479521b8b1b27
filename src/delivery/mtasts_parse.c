/*
 * mtasts_parse.c: MTA-STS TXT records, policy text and MX patterns (RFC
 * 8461). See mtasts_parse.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtasts_parse.h"
#include "xmalloc.h"

static bool
mtasts_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* sts-ext-name / sts-id: 1*32 alnum (the name also _ - . after one) */
static bool
mtasts_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * One record (3.1): "v=STSv1" then fields "; name=value", an optional
 * final ";". 1: valid (id set), 0: malformed.
 */
static int
mtasts_txt_one(const char *s, size_t len, char id[MTASTS_ID_MAX + 1])
{
	const char *end = s + len, *p = s + 7, *name, *val;
	size_t nlen, vlen;
	bool have_id = false;

	for (;;) {
		while (p < end && mtasts_wsp(*p))
			p++;
		if (p == end)
			break;
		if (*p++ != ';')
			return 0;
		while (p < end && mtasts_wsp(*p))
			p++;
		if (p == end)
			break;		/* a final delimiter */
		name = p;
		while (p < end && (mtasts_alnum(*p) || (p > name &&
		    (*p == '_' || *p == '-' || *p == '.'))))
			p++;
		nlen = (size_t)(p - name);
		if (nlen == 0 || nlen > 32 || p == end || *p++ != '=')
			return 0;
		val = p;
		/* %x21-3A / %x3C / %x3E-7E: printable but ';' and '=' */
		while (p < end && *p > 0x20 && *p < 0x7f && *p != ';' &&
		    *p != '=')
			p++;
		vlen = (size_t)(p - val);
		if (vlen == 0)
			return 0;
		if (nlen == 2 && strncmp(name, "id", 2) == 0) {
			size_t i;

			if (vlen > MTASTS_ID_MAX || have_id)
				return 0;
			for (i = 0; i < vlen; i++)
				if (!mtasts_alnum(val[i]))
					return 0;
			memcpy(id, val, vlen);
			id[vlen] = '\0';
			have_id = true;
		}
	}
	return have_id ? 1 : 0;
}

enum mtasts_txt
mtasts_txt_parse(const char *const *v, const size_t *len, size_t n,
    char id[MTASTS_ID_MAX + 1])
{
	size_t i, found = 0;
	bool bad = false;

	id[0] = '\0';
	for (i = 0; i < n; i++) {
		if (len[i] < 7 || memcmp(v[i], "v=STSv1", 7) != 0)
			continue;
		/* "v=STSv1x" is another version, not ours */
		if (len[i] > 7 && !mtasts_wsp(v[i][7]) && v[i][7] != ';')
			continue;
		found++;
		if (mtasts_txt_one(v[i], len[i], id) != 1)
			bad = true;
	}
	if (found == 0)
		return MTASTS_TXT_NONE;
	if (found > 1 || bad) {
		id[0] = '\0';
		return MTASTS_TXT_INVALID;
	}
	return MTASTS_TXT_FOUND;
}

void
mtasts_policy_free(struct mtasts_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	p->nmx = 0;
}

/* An mx value: a host name, or "*." and one; stored lower case. */
static char *
mtasts_mx_value(const char *v, size_t len)
{
	const char *p = v, *end = v + len;
	char *out, *q;
	size_t label = 0;

	if (len >= 2 && v[0] == '*' && v[1] == '.')
		p += 2;
	if (p == end || len > 255)
		return NULL;
	for (; p < end; p++) {
		if (*p == '.') {
			if (label == 0)
				return NULL;
			label = 0;
		} else if (mtasts_alnum(*p) || *p == '-' || *p == '_') {
			if (++label > 63)
				return NULL;
		} else {
			return NULL;
		}
	}
	out = xstrndup(v, len);
	for (q = out; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	return out;
}

/*
 * The value of max_age: 1*10DIGIT (3.2), larger values taken as
 * MTASTS_MAX_AGE_MAX: the limit is for how long we cache, and an
 * enforce policy must not turn into none over it.
 */
static int
mtasts_max_age(const char *v, size_t len, long *out)
{
	long long n = 0;	/* 10 digits: past 32 bits */
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	*out = n > MTASTS_MAX_AGE_MAX ? MTASTS_MAX_AGE_MAX : (long)n;
	return 0;
}

/* One "key: value" line; 0, or -1 with *err. */
static int
mtasts_line(struct mtasts_policy *out, const char *l, size_t len,
    bool *version, bool *mode, bool *age, const char **err)
{
	const char *colon = memchr(l, ':', len), *v;
	size_t klen, vlen;
	char *mx;

	if (colon == NULL) {
		*err = "a line without a colon";
		return -1;
	}
	klen = (size_t)(colon - l);
	v = colon + 1;
	vlen = len - klen - 1;
	while (vlen > 0 && mtasts_wsp(*v)) {
		v++;
		vlen--;
	}
	while (vlen > 0 && mtasts_wsp(v[vlen - 1]))
		vlen--;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(l, k, klen) == 0)
#define VAL(s) (vlen == sizeof(s) - 1 && memcmp(v, s, vlen) == 0)
	if (KEY("version")) {
		if (!VAL("STSv1")) {
			*err = "version is not STSv1";
			return -1;
		}
		*version = true;
	} else if (KEY("mode")) {
		if (VAL("enforce"))
			out->mode = MTASTS_MODE_ENFORCE;
		else if (VAL("testing"))
			out->mode = MTASTS_MODE_TESTING;
		else if (VAL("none"))
			out->mode = MTASTS_MODE_NONE;
		else {
			*err = "mode is not enforce, testing or none";
			return -1;
		}
		*mode = true;
	} else if (KEY("max_age")) {
		if (mtasts_max_age(v, vlen, &out->max_age) == -1) {
			*err = "bad max_age";
			return -1;
		}
		*age = true;
	} else if (KEY("mx")) {
		if ((mx = mtasts_mx_value(v, vlen)) == NULL) {
			*err = "bad mx pattern";
			return -1;
		}
		if (out->nmx == MTASTS_MX_MAX)
			free(mx);	/* more than we keep: ignored */
		else
			out->mx[out->nmx++] = mx;
	}
#undef KEY
#undef VAL
	return 0;	/* other keys: extensions, ignored (3.2) */
}

int
mtasts_policy_parse(const char *text, size_t len, struct mtasts_policy *out,
    const char **err)
{
	const char *p = text, *end = text + len, *nl;
	bool version = false, mode = false, age = false;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (len > MTASTS_POLICY_MAX) {
		*err = "policy too long";
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		*err = "a NUL byte in the policy";
		return -1;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 && mtasts_line(out, p, n, &version, &mode, &age,
		    err) == -1)
			return -1;
		p = nl != NULL ? nl + 1 : end;
	}
	if (!version || !mode || !age) {
		*err = !version ? "no version" : !mode ? "no mode" :
		    "no max_age";
		return -1;
	}
	if (out->mode != MTASTS_MODE_NONE && out->nmx == 0) {
		*err = "no mx";
		return -1;
	}
	return 0;
}

bool
mtasts_mx_match(const char *pattern, const char *host)
{
	size_t plen = strlen(pattern), hlen = strlen(host);
	const char *dot;

	if (plen > 0 && pattern[plen - 1] == '.')
		plen--;
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* exactly one label in place of the "*" */
		dot = memchr(host, '.', hlen);
		if (dot == NULL || dot == host)
			return false;
		return (size_t)(host + hlen - dot) == plen - 1 &&
		    strncasecmp(dot, pattern + 1, plen - 1) == 0;
	}
	return plen == hlen && strncasecmp(pattern, host, plen) == 0;
}

bool
mtasts_policy_allows(const struct mtasts_policy *p, const char *host)
{
	size_t i;

	for (i = 0; i < p->nmx; i++)
		if (mtasts_mx_match(p->mx[i], host))
			return true;
	return false;
}

/* "Name:" at l (len bytes) for the header name, any case. */
static bool
mtasts_header_is(const char *l, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && l[n] == ':' && strncasecmp(l, name, n) == 0;
}

/* The value of a header line, blanks trimmed. */
static void
mtasts_header_value(const char *l, size_t len, const char **v, size_t *vlen)
{
	const char *c = memchr(l, ':', len), *end = l + len;

	for (c++; c < end && mtasts_wsp(*c); c++)
		continue;
	while (end > c && mtasts_wsp(end[-1]))
		end--;
	*v = c;
	*vlen = (size_t)(end - c);
}

int
mtasts_http_body(const char *resp, size_t len, const char **body,
    size_t *blen, const char **err)
{
	const char *p = resp, *end = resp + len, *nl, *v;
	size_t n, vlen, i;
	long clen = -1;
	bool status = false, text = false;

	for (;;) {
		if (p == end || (size_t)(p - resp) > MTASTS_HTTP_HEAD_MAX) {
			*err = "no end of the HTTP header";
			return -1;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			*err = "no end of the HTTP header";
			return -1;
		}
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (!status) {
			/* "HTTP/1.x 200 ..." */
			if (n < 12 || strncmp(p, "HTTP/1.", 7) != 0 ||
			    p[8] != ' ' || strncmp(p + 9, "200", 3) != 0 ||
			    (n > 12 && p[12] != ' ')) {
				*err = "the HTTP reply is not 200";
				return -1;
			}
			status = true;
		} else if (n == 0) {
			p = nl + 1;
			break;
		} else if (mtasts_header_is(p, n, "Content-Type")) {
			mtasts_header_value(p, n, &v, &vlen);
			text = vlen >= 10 && strncasecmp(v, "text/plain", 10) ==
			    0 && (vlen == 10 || v[10] == ';' ||
			    mtasts_wsp(v[10]));
		} else if (mtasts_header_is(p, n, "Content-Length")) {
			mtasts_header_value(p, n, &v, &vlen);
			if (vlen == 0 || vlen > 9) {
				*err = "bad Content-Length";
				return -1;
			}
			for (clen = 0, i = 0; i < vlen; i++) {
				if (v[i] < '0' || v[i] > '9') {
					*err = "bad Content-Length";
					return -1;
				}
				clen = clen * 10 + (v[i] - '0');
			}
		} else if (mtasts_header_is(p, n, "Transfer-Encoding")) {
			*err = "a Transfer-Encoding in an HTTP/1.0 reply";
			return -1;
		}
		p = nl + 1;
	}
	if (!text) {
		*err = "the policy is not text/plain";
		return -1;
	}
	*body = p;
	*blen = (size_t)(end - p);
	if (clen >= 0) {
		if ((size_t)clen > *blen) {
			*err = "the policy is shorter than its Content-Length";
			return -1;
		}
		*blen = (size_t)clen;
	}
	return 0;
}

int
mtasts_cache_parse(const char *text, size_t len, char id[MTASTS_ID_MAX + 1],
    long long *fetched, const char **policy, size_t *plen)
{
	static const char magic[] = "MINIMTA-STS 1\nid ";
	const char *p = text, *end = text + len, *nl;
	size_t n, i;
	long long t = 0;

	if (len < sizeof(magic) - 1 || memcmp(p, magic, sizeof(magic) - 1))
		return -1;
	p += sizeof(magic) - 1;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return -1;
	n = (size_t)(nl - p);
	if (n == 0 || n > MTASTS_ID_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!mtasts_alnum(p[i]))
			return -1;
	memcpy(id, p, n);
	id[n] = '\0';
	p = nl + 1;
	if ((size_t)(end - p) < 8 || memcmp(p, "fetched ", 8) != 0)
		return -1;
	p += 8;
	for (i = 0; p < end && *p >= '0' && *p <= '9' && i < 12; p++, i++)
		t = t * 10 + (*p - '0');
	if (i == 0 || (size_t)(end - p) < 2 || p[0] != '\n' || p[1] != '\n')
		return -1;
	*fetched = t;
	*policy = p + 2;
	*plen = (size_t)(end - p - 2);
	return 0;
}
