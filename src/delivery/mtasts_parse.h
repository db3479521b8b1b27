/*
 * mtasts_parse: the pure parts of MTA-STS (RFC 8461): the _mta-sts TXT
 * record (3.1), the policy text (3.2) and MX patterns (4.1). No I/O, no
 * globals; input is untrusted.
 */
#ifndef MTASTS_PARSE_H
#define MTASTS_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define MTASTS_ID_MAX		32	/* sts-id: 1*32(ALPHA / DIGIT) */
#define MTASTS_POLICY_MAX	65536	/* bytes of policy text (3.3) */
#define MTASTS_MX_MAX		32	/* mx lines kept */
#define MTASTS_MAX_AGE_MAX	31557600	/* seconds (3.2) */

enum mtasts_txt {
	MTASTS_TXT_FOUND,	/* one valid record: id filled */
	MTASTS_TXT_NONE,	/* no record starts with v=STSv1 */
	MTASTS_TXT_INVALID,	/* several, or a malformed one (3.1) */
};

/*
 * The TXT records of _mta-sts.DOMAIN, each its character-strings joined
 * (v[i] of len[i] bytes, may hold anything). Records that do not start
 * with "v=STSv1" are ignored (3.1).
 */
enum mtasts_txt mtasts_txt_parse(const char *const *v, const size_t *len,
	    size_t n, char id[MTASTS_ID_MAX + 1]);

enum mtasts_mode {
	MTASTS_MODE_NONE,
	MTASTS_MODE_TESTING,
	MTASTS_MODE_ENFORCE,
};

struct mtasts_policy {
	enum mtasts_mode mode;
	long		 max_age;		/* seconds */
	char		*mx[MTASTS_MX_MAX];	/* lower case, owned */
	size_t		 nmx;
};

/*
 * Policy text (len bytes): 0, or -1 with *err a static reason. Lines end
 * in LF or CRLF; "key:" then optional blanks then the value (trailing
 * blanks dropped); unknown keys ignored; version STSv1, mode and max_age
 * required, at least one mx unless mode is none. Free with
 * mtasts_policy_free() after either.
 */
int	mtasts_policy_parse(const char *text, size_t len,
	    struct mtasts_policy *out, const char **err);
void	mtasts_policy_free(struct mtasts_policy *);

/*
 * The body of an HTTP/1.x response (len bytes): 200 only (3.3: no
 * redirects), Content-Type text/plain (parameters allowed), Content-Length
 * honoured when given, no chunked encoding (we ask with HTTP/1.0). 0 with
 * *body (borrowed from resp) and *blen, or -1 with *err a static reason.
 */
#define MTASTS_HTTP_HEAD_MAX	8192	/* bytes of status line and headers */

int	mtasts_http_body(const char *resp, size_t len, const char **body,
	    size_t *blen, const char **err);

/*
 * The spool's cache file of one domain's policy (we write it; still
 * checked): "MINIMTA-STS 1\nid ID\nfetched SECONDS\n\n" then the policy
 * text. 0 with id, *fetched, *policy and *plen (borrowed), or -1.
 */
int	mtasts_cache_parse(const char *text, size_t len,
	    char id[MTASTS_ID_MAX + 1], long long *fetched,
	    const char **policy, size_t *plen);

/*
 * 4.1: host matches pattern: equal (case-insensitive, a final dot
 * ignored), or pattern "*.rest" and host is one label then ".rest".
 */
bool	mtasts_mx_match(const char *pattern, const char *host);
/* host matches one of p's mx patterns. */
bool	mtasts_policy_allows(const struct mtasts_policy *p, const char *host);

#endif
