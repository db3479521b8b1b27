/*
 * fuzz_dsn: dsn_write with fuzzer-chosen recipients, statuses, texts and
 * original message, its output read back by a strict RFC 3464 / RFC 6522
 * report parser below. The input is parts split at 0x1f bytes: a flags
 * part (byte 0: RET=HDRS, 8BITMIME, a size limit; byte 1: read chunk
 * size), the sender, ENVID, reporting MTA, queue id, the boundary's
 * unique part, the original message, then six parts per recipient
 * (action byte, address, ORCPT, status, remote MTA, diagnostic); text
 * parts may hold CR, LF and 8-bit bytes (a NUL ends them, as C strings
 * do), the original any byte. Aborts unless: the report is the same
 * whatever the read chunking; every line has at most 998 octets and no
 * CR or NUL, and only the original carries 8-bit bytes; the top header
 * has each field once and names the boundary; the body is exactly the
 * three parts and the closing delimiter, no line inside a part starts
 * with the delimiter; the delivery-status part has the per-message
 * fields, then one block per recipient in order with exactly the fields
 * it should have (no injected field), its cleaned address, action and
 * status; the returned part is of the right type and, for an original
 * without CR, NUL, long lines or delimiter lines, is the original itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dsn.h"
#include "fuzz_fail.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAXPARTS	(7 + 6 * 8)
#define NFIELDS		16

struct src {
	const char	*p;
	size_t		 len, off, chunk;
};

static ssize_t
src_read(void *arg, char *p, size_t n)
{
	struct src *s = arg;
	size_t k = s->len - s->off;

	if (k > n)
		k = n;
	if (k > s->chunk)
		k = s->chunk;
	memcpy(p, s->p + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

static int
sink(void *arg, const void *p, size_t n)
{
	buf_add(arg, p, n);
	return 0;
}

/* dsn.h's cleaning: white space runs to one space, trimmed; controls
 * and 8-bit bytes to '?'; cut at cap with "...". */
static void
clean(struct buf *b, const char *s, size_t cap)
{
	size_t n = 0;
	bool space = false;
	unsigned char ch;

	for (; s != NULL && *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			space = n > 0;
			continue;
		}
		if (n + (space ? 2 : 1) > cap) {
			buf_adds(b, "...");
			return;
		}
		if (space) {
			buf_addc(b, ' ');
			n++;
			space = false;
		}
		buf_addc(b, ch < 0x20 || ch >= 0x7f ? '?' : (char)ch);
		n++;
	}
}

/* a and b equal once spaces are dropped (folding may add or eat one) */
static bool
same_nospace(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < alen && a[i] == ' ')
			i++;
		while (j < blen && b[j] == ' ')
			j++;
		if (i == alen || j == blen)
			return i == alen && j == blen;
		if (a[i++] != b[j++])
			return false;
	}
}

struct line {
	const char	*p;
	size_t		 len;
};

struct field {
	char		 name[40];
	struct buf	 value;		/* unfolded: LFs removed */
};

struct block {
	struct field	 f[NFIELDS];
	size_t		 n;
};

static void
block_free(struct block *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		buf_free(&b->f[i].value);
	b->n = 0;
}

/* Fields of lines[*i..) up to a blank line (consumed) or the end. */
static void
parse_block(const struct line *l, size_t n, size_t *i, struct block *b)
{
	const char *colon;
	struct field *f;
	size_t j, k;

	b->n = 0;
	for (; *i < n && l[*i].len > 0; (*i)++) {
		if (l[*i].p[0] == ' ' || l[*i].p[0] == '\t') {
			if (b->n == 0)
				FUZZ_FAIL();	/* continuation first */
			buf_add(&b->f[b->n - 1].value, l[*i].p, l[*i].len);
			continue;
		}
		colon = memchr(l[*i].p, ':', l[*i].len);
		if (colon == NULL || colon == l[*i].p || b->n == NFIELDS ||
		    (size_t)(colon - l[*i].p) >= sizeof(f->name))
			FUZZ_FAIL();	/* not "Name: value" */
		f = &b->f[b->n++];
		memcpy(f->name, l[*i].p, (size_t)(colon - l[*i].p));
		f->name[colon - l[*i].p] = '\0';
		buf_init(&f->value);
		buf_add(&f->value, colon + 1, (size_t)(l[*i].p + l[*i].len -
		    colon - 1));
	}
	if (*i < n)
		(*i)++;
	for (k = 0; k < b->n; k++) {
		struct buf *v = &b->f[k].value;

		if (v->len == 0)
			continue;
		for (j = 0; j < v->len && v->data[j] == ' '; j++)
			continue;
		memmove(v->data, v->data + j, v->len - j);
		v->len -= j;
	}
}

static const struct field *
get(const struct block *b, const char *name)
{
	const struct field *r = NULL;
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (strcmp(b->f[i].name, name) != 0)
			continue;
		if (r != NULL)
			FUZZ_FAIL();	/* twice */
		r = &b->f[i];
	}
	return r;
}

static const struct field *
need(const struct block *b, const char *name)
{
	const struct field *f = get(b, name);

	if (f == NULL)
		FUZZ_FAIL();
	return f;
}

/* The field holds prefix then s cleaned. */
static void
need_value(const struct block *b, const char *name, const char *prefix,
    const char *s, size_t cap)
{
	const struct field *f = need(b, name);
	struct buf want;

	buf_init(&want);
	buf_adds(&want, prefix);
	clean(&want, s, cap);
	if (!same_nospace(f->value.data ? f->value.data : "", f->value.len,
	    want.data ? want.data : "", want.len))
		FUZZ_FAIL();
	buf_free(&want);
}

/* True when s has a byte >= 0x80 (a UTF-8 address, RFC 6531). */
static bool
has_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/*
 * A UTF-8 address in a delivery-status field: "utf-8; " and RFC 6533's
 * utf-8-addr-xtext, which is printable ASCII.
 */
static void
need_utf8_addr(const struct block *b, const char *name)
{
	const struct field *f = need(b, name);
	size_t i;

	if (f->value.len < 7 || memcmp(f->value.data, "utf-8; ", 7) != 0)
		FUZZ_FAIL();
	for (i = 0; i < f->value.len; i++)
		if ((unsigned char)f->value.data[i] < 0x20 ||
		    (unsigned char)f->value.data[i] >= 0x7f)
			FUZZ_FAIL();
}

static const char *const action_names[] = {
	"failed", "delayed", "delivered", "relayed", "expanded",
};

static void
check_rcpt(const struct block *b, const struct dsn_rcpt *r)
{
	const char *st = r->status;
	size_t want = 3;	/* Final-Recipient, Action, Status */
	const struct field *f;

	if (!dsn_status_valid(st))
		st = r->action == DSN_FAILED ? "5.0.0" :
		    r->action == DSN_DELAYED ? "4.0.0" : "2.0.0";
	if (has_8bit(r->addr))
		need_utf8_addr(b, "Final-Recipient");
	else
		need_value(b, "Final-Recipient", "rfc822; ", r->addr,
		    DSN_FIELD_MAX);
	f = need(b, "Action");
	if (strlen(action_names[r->action]) != f->value.len ||
	    memcmp(f->value.data, action_names[r->action], f->value.len) != 0)
		FUZZ_FAIL();
	f = need(b, "Status");
	if (strlen(st) != f->value.len || memcmp(f->value.data, st,
	    f->value.len) != 0)
		FUZZ_FAIL();
	if (r->orcpt != NULL) {
		want++;
		(void)need(b, "Original-Recipient");
	}
	if (r->remote_mta != NULL && *r->remote_mta != '\0') {
		want++;
		need_value(b, "Remote-MTA", "dns; ", r->remote_mta,
		    DSN_FIELD_MAX);
	}
	if (r->diagnostic != NULL && *r->diagnostic != '\0') {
		want++;
		need_value(b, "Diagnostic-Code", r->diagnostic_is_smtp ?
		    "smtp; " : "X-Minimta; ", r->diagnostic, DSN_DIAG_MAX);
	}
	if (r->last_attempt != 0) {
		want++;
		(void)need(b, "Last-Attempt-Date");
	}
	if (r->action == DSN_DELAYED && r->will_retry_until != 0) {
		want++;
		(void)need(b, "Will-Retry-Until");
	}
	if (b->n != want)
		FUZZ_FAIL();	/* a field too many: injected */
}

/* Whether the original comes back byte for byte (LF added at the end). */
static bool
plain_original(const char *p, size_t len, const char *delim)
{
	size_t i, start = 0, dl = strlen(delim);

	for (i = 0; i <= len; i++) {
		if (i < len && (p[i] == '\r' || p[i] == '\0'))
			return false;
		if (i < len && p[i] != '\n')
			continue;
		if (i - start > DSN_LINE_MAX || (i - start >= dl &&
		    memcmp(p + start, delim, dl) == 0))
			return false;
		start = i + 1;
	}
	return true;
}

static void
check_report(const struct buf *out, const struct dsn_info *info,
    const struct dsn_rcpt *r, size_t n, const char *orig, size_t olen)
{
	struct line *l;
	size_t nl = 0, i, k, start = 0, parts[4], np = 0, bstart, blen;
	struct block top, b;
	const struct field *ct;
	const char *bq, *bend;
	char delim[100], close[104];
	bool full = false;

	if (out->len == 0 || out->data[out->len - 1] != '\n')
		FUZZ_FAIL();
	for (i = 0, k = 1; i < out->len; i++)
		k += out->data[i] == '\n';
	l = calloc(k, sizeof(*l));
	for (i = 0; i < out->len; i++) {
		if (out->data[i] == '\r' || out->data[i] == '\0')
			FUZZ_FAIL();
		if (out->data[i] != '\n')
			continue;
		if (i - start > DSN_LINE_MAX)
			FUZZ_FAIL();
		l[nl].p = out->data + start;
		l[nl++].len = i - start;
		start = i + 1;
	}
	i = 0;
	parse_block(l, nl, &i, &top);
	(void)need(&top, "From");
	(void)need(&top, "To");
	(void)need(&top, "Subject");
	(void)need(&top, "Date");
	(void)need(&top, "Message-ID");
	(void)need(&top, "Auto-Submitted");
	(void)need(&top, "MIME-Version");
	(void)need(&top, "Content-Transfer-Encoding");
	ct = need(&top, "Content-Type");
	if (top.n != 9)
		FUZZ_FAIL();
	/* a UTF-8 sender goes into To: as it is (RFC 6532), checked for
	 * controls with every line above */
	if (!has_8bit(info->sender))
		need_value(&top, "To", "", info->sender, DSN_FIELD_MAX);
	else
		(void)need(&top, "To");
	bq = memmem(ct->value.data, ct->value.len, "boundary=\"", 10);
	if (bq == NULL)
		FUZZ_FAIL();
	bstart = (size_t)(bq + 10 - ct->value.data);
	bend = memchr(bq + 10, '"', ct->value.len - bstart);
	if (bend == NULL || (blen = (size_t)(bend - bq - 10)) == 0 ||
	    blen > 70)
		FUZZ_FAIL();	/* RFC 2046 5.1.1: 1 to 70 characters */
	(void)snprintf(delim, sizeof(delim), "--%.*s", (int)blen, bq + 10);
	(void)snprintf(close, sizeof(close), "%s--", delim);
	for (k = 0; k < blen; k++)
		if (bq[10 + k] == ' ' || bq[10 + k] == '"')
			FUZZ_FAIL();
	/* delimiter lines; nothing else may start with the delimiter */
	for (k = i; k < nl; k++) {
		if (l[k].len < strlen(delim) ||
		    memcmp(l[k].p, delim, strlen(delim)) != 0)
			continue;
		if (l[k].len == strlen(delim) && np < 3) {
			parts[np++] = k;
			continue;
		}
		if (np == 3 && k == nl - 1 && l[k].len == strlen(close) &&
		    memcmp(l[k].p, close, strlen(close)) == 0) {
			parts[np++] = k;
			continue;
		}
		FUZZ_FAIL();
	}
	if (np != 4)
		FUZZ_FAIL();
	/* only the original may carry 8-bit bytes */
	for (k = 0; k < parts[2]; k++)
		for (i = 0; i < l[k].len; i++)
			if ((unsigned char)l[k].p[i] >= 0x80)
				FUZZ_FAIL();
	/* the delivery-status part */
	i = parts[1] + 1;
	parse_block(l, parts[2], &i, &b);
	ct = need(&b, "Content-Type");
	if (ct->value.len != 23 || memcmp(ct->value.data,
	    "message/delivery-status", 23) != 0)
		FUZZ_FAIL();
	block_free(&b);
	parse_block(l, parts[2], &i, &b);
	(void)need(&b, "Reporting-MTA");
	(void)need(&b, "Arrival-Date");
	if ((info->envid != NULL) != (get(&b, "Original-Envelope-Id") != NULL))
		FUZZ_FAIL();
	block_free(&b);
	for (k = 0; k < n; k++) {
		if (i >= parts[2])
			FUZZ_FAIL();	/* a recipient missing */
		parse_block(l, parts[2], &i, &b);
		check_rcpt(&b, &r[k]);
		block_free(&b);
	}
	if (i != parts[2])
		FUZZ_FAIL();	/* something after the last recipient */
	/* the returned part */
	i = parts[2] + 1;
	parse_block(l, parts[3], &i, &b);
	ct = need(&b, "Content-Type");
	if (ct->value.len == 14 && memcmp(ct->value.data, "message/rfc822",
	    14) == 0)
		full = true;
	else if (ct->value.len != 19 || memcmp(ct->value.data,
	    "text/rfc822-headers", 19) != 0)
		FUZZ_FAIL();
	block_free(&b);
	if (full && plain_original(orig, olen, delim)) {
		/* lines i .. parts[3]-2, then the blank line before "--" */
		const char *s = i < parts[3] ? l[i].p : NULL;
		const char *e = l[parts[3]].p - 1;	/* that blank line */
		size_t got = s != NULL ? (size_t)(e - s) : 0;
		bool lf = olen > 0 && orig[olen - 1] != '\n';

		if (got != olen + (lf ? 1 : 0) || (olen > 0 &&
		    memcmp(s, orig, olen) != 0))
			FUZZ_FAIL();
	}
	block_free(&top);
	free(l);
}

static char *
part(const char *p, size_t len)
{
	char *s = malloc(len + 1);

	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *sep;
	char *pv[MAXPARTS];
	size_t plen[MAXPARTS], np = 0, n = 0, i;
	struct dsn_rcpt r[8];
	struct dsn_info info;
	struct buf a, b;
	struct src src;
	struct why why;
	uint8_t f0, f1;

	while (np < MAXPARTS) {
		sep = memchr(s, 0x1f, (size_t)(end - s));
		plen[np] = sep ? (size_t)(sep - s) : (size_t)(end - s);
		pv[np] = part(s, plen[np]);
		np++;
		if (sep == NULL)
			break;
		s = sep + 1;
	}
	if (np < 13)
		goto out;
	f0 = plen[0] > 0 ? (uint8_t)pv[0][0] : 0;
	f1 = plen[0] > 1 ? (uint8_t)pv[0][1] : 0;
	memset(&info, 0, sizeof(info));
	info.ret_hdrs = f0 & 1;
	info.original_8bit = f0 & 2;
	info.size_limit = (f0 & 4) ? (size_t)(f0 >> 3) * 16 : 0;
	info.original_size = plen[6];
	info.sender = pv[1];
	info.envid = plen[2] > 0 ? pv[2] : NULL;
	info.reporting_mta = pv[3];
	info.queue_id = pv[4];
	info.unique = pv[5];
	info.arrival = 1739440680;
	info.now = 1739440800 + (f0 & 0x80 ? 86400 * 3 : 0);
	memset(r, 0, sizeof(r));
	for (i = 7; i + 6 <= np && n < 8; i += 6, n++) {
		uint8_t act = plen[i] > 0 ? (uint8_t)pv[i][0] : 0;

		r[n].action = (enum dsn_action)(act % 5);
		r[n].diagnostic_is_smtp = act & 8;
		r[n].last_attempt = act & 16 ? 1739440700 : 0;
		r[n].will_retry_until = act & 32 ? 1739900000 : 0;
		r[n].addr = pv[i + 1];
		r[n].orcpt = act & 64 ? pv[i + 2] : NULL;
		r[n].status = pv[i + 3];
		r[n].remote_mta = act & 128 ? pv[i + 4] : NULL;
		r[n].diagnostic = pv[i + 5];
	}
	buf_init(&a);
	buf_init(&b);
	src = (struct src){ pv[6], plen[6], 0, 65536 };
	if (dsn_write(&info, r, n, src_read, &src, sink, &a, &why) == 0) {
		if (*info.sender == '\0' || n == 0)
			FUZZ_FAIL();
		src = (struct src){ pv[6], plen[6], 0, 1 + f1 % 64 };
		if (dsn_write(&info, r, n, src_read, &src, sink, &b, &why) !=
		    0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			FUZZ_FAIL();	/* depends on the read chunking */
		check_report(&a, &info, r, n, pv[6], plen[6]);
	} else if (*info.sender != '\0' && n > 0) {
		FUZZ_FAIL();	/* reads and writes cannot fail here */
	}
	buf_free(&a);
	buf_free(&b);
out:
	for (i = 0; i < np; i++)
		free(pv[i]);
	return 0;
}
