#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dsnparam.h"
#include "envelope.h"
#include "xmalloc.h"

void
envelope_init(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->uid = -1;
}

void
envelope_free(struct envelope *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nrcpts; i++) {
		free(e->rcpts[i].addr);
		free(e->rcpts[i].orcpt);
	}
	free(e->rcpts);
	free(e->sender);
	free(e->envid);
	envelope_init(e);
}

void
envelope_add_rcpt(struct envelope *e, const char *addr, const char *orcpt)
{
	if (e->nrcpts == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 4;
		e->rcpts = xreallocarray(e->rcpts, e->cap, sizeof(*e->rcpts));
	}
	e->rcpts[e->nrcpts].addr = xstrdup(addr);
	e->rcpts[e->nrcpts].orcpt = orcpt ? xstrdup(orcpt) : NULL;
	e->nrcpts++;
}

/* Printable bytes (UTF-8 allowed), no controls; empty is fine. */
bool
envelope_field_ok(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || n >= ENVELOPE_MAX_FIELD)
			return false;
	}
	return true;
}

void
envelope_record_put(struct buf *b, char type, const char *data, size_t len)
{
	buf_printf(b, "%c%zu:", type, len);
	buf_add(b, data, len);
	buf_addc(b, '\n');
}

static void
puts_rec(struct buf *b, char type, const char *s)
{
	envelope_record_put(b, type, s, strlen(s));
}

void
envelope_record_putnum(struct buf *b, char type, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", v);

	envelope_record_put(b, type, num, (size_t)n);
}

void
envelope_size_digits(size_t n, char *out)
{
	(void)snprintf(out, ENVELOPE_SIZE_WIDTH + 1, "%0*zu",
	    ENVELOPE_SIZE_WIDTH, n);
}

void
envelope_encode(const struct envelope *e, struct buf *b,
    struct envelope_patch *patch)
{
	char flags[2], size[ENVELOPE_SIZE_WIDTH + 1];
	char len[ENVELOPE_SIZE_WIDTH + 1];
	size_t i, start = b->len;

	buf_adds(b, ENVELOPE_MAGIC);
	envelope_record_putnum(b, 'T', (long long)e->arrival);
	if (e->uid >= 0)
		envelope_record_putnum(b, 'U', e->uid);
	puts_rec(b, 'S', e->sender ? e->sender : "");
	if (e->envid != NULL)
		puts_rec(b, 'E', e->envid);
	if (e->notify != 0)
		envelope_record_putnum(b, 'N', e->notify);
	if (e->ret != DSNPARAM_RET_UNSET)
		puts_rec(b, 'Z', e->ret == DSNPARAM_RET_HDRS ? "H" : "F");
	if (e->verp[0] != '\0')
		puts_rec(b, 'V', e->verp);
	flags[0] = e->body_8bit ? ENVELOPE_8BIT_YES : '-';
	flags[1] = e->smtputf8 ? 'U' : '-';
	envelope_record_put(b, 'B', flags, 2);
	if (patch != NULL)
		patch->flag_off = b->len - 3 - start;
	envelope_size_digits(e->wire_size, size);
	envelope_record_put(b, 'L', size, ENVELOPE_SIZE_WIDTH);
	if (patch != NULL)
		patch->size_off = b->len - 1 - ENVELOPE_SIZE_WIDTH - start;
	envelope_size_digits(e->msg_len, len);
	envelope_record_put(b, 'C', len, ENVELOPE_SIZE_WIDTH);
	if (patch != NULL)
		patch->len_off = b->len - 1 - ENVELOPE_SIZE_WIDTH - start;
	for (i = 0; i < e->nrcpts; i++) {
		puts_rec(b, 'R', e->rcpts[i].addr);
		if (e->rcpts[i].orcpt != NULL)
			puts_rec(b, 'O', e->rcpts[i].orcpt);
	}
	envelope_record_put(b, 'M', "", 0);
}

bool
envelope_record_num(const char *s, size_t len, long long max, long long *out)
{
	long long v = 0;
	size_t i;

	if (len == 0 || len > ENVELOPE_SIZE_WIDTH || max < 0)
		return false;
	for (i = 0; i < len; i++) {
		int digit = s[i] - '0';

		if (!isdigit((unsigned char)s[i]) ||
		    v > (LLONG_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
		/* after each digit: an index past the end must not pass */
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool
field_bytes_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static enum envelope_result
bad(struct why *why, const char *what, size_t off)
{
	why_set(why, "queue file: %s at offset %zu", what, off);
	return ENVELOPE_BAD;
}

/* R and O, the records that repeat: a recipient, and its ORCPT after it. */
static enum envelope_result
record_rcpt(struct envelope *e, char type, const char *d, size_t len,
    size_t max_rcpts, size_t off, struct why *why)
{
	if (type == 'O') {
		if (e->nrcpts == 0 || e->rcpts[e->nrcpts - 1].orcpt != NULL ||
		    len == 0)
			return bad(why, "misplaced original recipient", off);
		e->rcpts[e->nrcpts - 1].orcpt = xstrndup(d, len);
		return ENVELOPE_OK;
	}
	if (len == 0)
		return bad(why, "empty recipient", off);
	if (e->nrcpts >= max_rcpts)
		return bad(why, "too many recipients", off);
	envelope_add_rcpt(e, "", NULL);
	free(e->rcpts[e->nrcpts - 1].addr);
	e->rcpts[e->nrcpts - 1].addr = xstrndup(d, len);
	return ENVELOPE_OK;
}

static enum envelope_result
record(struct envelope *e, char type, const char *d, size_t len, bool drop,
    size_t max_rcpts, unsigned *seen, size_t off, struct why *why)
{
	long long v;
	unsigned bit;
	size_t i;

	if (!field_bytes_ok(d, len))
		return bad(why, "control character in a field", off);
	if (type == 'R' || type == 'O')
		return record_rcpt(e, type, d, len, max_rcpts, off, why);
	/* Single-valued records may appear once. */
	bit = (type >= 'A' && type <= 'Z') ? 1u << (type - 'A') : 0;
	if (*seen & bit)
		return bad(why, "repeated record", off);
	*seen |= bit;
	switch (type) {
	case 'T':
		if (!envelope_record_num(d, len, INT64_MAX / 2, &v))
			return bad(why, "bad arrival time", off);
		e->arrival = (time_t)v;
		break;
	case 'U':
		if (drop)
			return bad(why, "uid record in a drop file", off);
		if (!envelope_record_num(d, len, INT32_MAX, &v))
			return bad(why, "bad uid", off);
		e->uid = (long)v;
		break;
	case 'S':
		e->sender = xstrndup(d, len);
		break;
	case 'E':
		if (len == 0)
			return bad(why, "empty envid", off);
		e->envid = xstrndup(d, len);
		break;
	case 'N':
		if (!envelope_record_num(d, len, DSNPARAM_NOTIFY_ALL, &v) ||
		    !dsnparam_notify_ok((int)v))
			return bad(why, "bad notify", off);
		e->notify = (int)v;
		break;
	case 'Z':
		if (len != 1 || (d[0] != 'F' && d[0] != 'H'))
			return bad(why, "bad ret", off);
		e->ret = d[0] == 'H' ? DSNPARAM_RET_HDRS : DSNPARAM_RET_FULL;
		break;
	case 'L':
		if (len != ENVELOPE_SIZE_WIDTH ||
		    !envelope_record_num(d, len, INT64_MAX / 2, &v))
			return bad(why, "bad size", off);
		e->wire_size = (size_t)v;
		break;
	case 'C':
		if (e->version < 2 || len != ENVELOPE_SIZE_WIDTH ||
		    !envelope_record_num(d, len, INT64_MAX / 2, &v))
			return bad(why, "bad message length", off);
		e->msg_len = (size_t)v;
		break;
	case 'V':
		if (len != 2)
			return bad(why, "bad verp delimiters", off);
		memcpy(e->verp, d, 2);
		e->verp[2] = '\0';
		break;
	case 'B':
		for (i = 0; i < len; i++) {
			if (d[i] == '8' && i == 0)
				e->body_8bit = true;
			else if (d[i] == 'U' && i == 1)
				e->smtputf8 = true;
			else if (d[i] != '-' || len != 2)
				return bad(why, "bad flags", off);
		}
		break;
	default:
		return bad(why, "unknown record type", off);
	}
	return ENVELOPE_OK;
}

enum envelope_result
envelope_parse(const char *p, size_t len, size_t max_rcpts, bool drop,
    struct envelope *e, struct why *why)
{
	size_t magic = sizeof(ENVELOPE_MAGIC) - 1, off, n;
	unsigned seen = 0;
	enum envelope_result r;

	envelope_free(e);
	/* both version lines have the same length */
	if (len < magic)
		return memcmp(p, ENVELOPE_MAGIC, len) == 0 ||
		    memcmp(p, ENVELOPE_MAGIC_V1, len) == 0 ? ENVELOPE_MORE :
		    bad(why, "not a minimta queue file (version line)", 0);
	if (memcmp(p, ENVELOPE_MAGIC, magic) == 0)
		e->version = ENVELOPE_VERSION;
	else if (memcmp(p, ENVELOPE_MAGIC_V1, magic) == 0)
		e->version = 1;
	else
		return bad(why, "not a minimta queue file (version line)", 0);
	for (off = magic;;) {
		const char *d;
		char type;

		r = envelope_record_next(p, len, &off, &type, &d, &n, why);
		if (r != ENVELOPE_OK)
			return r;
		if (type == 'M') {
			if (n != 0)
				return bad(why, "malformed message record",
				    off);
			break;
		}
		r = record(e, type, d, n, drop, max_rcpts, &seen, off, why);
		if (r != ENVELOPE_OK)
			return r;
	}
	if (!(seen & (1u << ('T' - 'A'))) || e->sender == NULL)
		return bad(why, "missing arrival time or sender", off);
	if (e->nrcpts == 0)
		return bad(why, "no recipients", off);
	if (e->version >= 2 && !(seen & (1u << ('C' - 'A'))))
		return bad(why, "missing message length", off);
	e->body_offset = off;
	return ENVELOPE_OK;
}

enum envelope_result
envelope_record_next(const char *p, size_t len, size_t *offp, char *type,
    const char **data, size_t *dlen, struct why *why)
{
	size_t off = *offp, i, n;

	if (off >= len)
		return ENVELOPE_MORE;
	/* type, length of 1..4 digits, ':', data, LF */
	for (i = off + 1, n = 0; i < len && isdigit((unsigned char)p[i]); i++) {
		n = n * 10 + (size_t)(p[i] - '0');
		if (i - off > 4 || n > ENVELOPE_MAX_FIELD)
			return bad(why, "record too long", off);
	}
	if (i >= len)
		return ENVELOPE_MORE;
	if (i == off + 1 || p[i] != ':')
		return bad(why, "malformed record", off);
	if (len - i - 1 < n + 1)
		return ENVELOPE_MORE;
	if (p[i + 1 + n] != '\n')
		return bad(why, "record length mismatch", off);
	*type = p[off];
	*data = p + i + 1;
	*dlen = n;
	*offp = i + 1 + n + 1;
	return ENVELOPE_OK;
}
