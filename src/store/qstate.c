#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"
#include "qstate.h"
#include "xmalloc.h"

void
qstate_init(struct qstate *q, size_t n)
{
	memset(q, 0, sizeof(*q));
	q->nrcpts = n;
	q->rcpts = xcalloc(n ? n : 1, sizeof(*q->rcpts));
}

static void
clear_rcpt(struct qstate_rcpt *r)
{
	free(r->status);
	free(r->remote);
	free(r->reason);
	r->status = r->remote = r->reason = NULL;
}

void
qstate_free(struct qstate *q)
{
	size_t i;

	if (q == NULL || q->rcpts == NULL)
		return;
	for (i = 0; i < q->nrcpts; i++)
		clear_rcpt(&q->rcpts[i]);
	free(q->rcpts);
	memset(q, 0, sizeof(*q));
}

/* Field text must not hold '|' in status/remote, nor controls anywhere. */
static char *
clean(const char *s, bool no_bar)
{
	char *r = xstrdup(s);
	size_t i;

	for (i = 0; r[i] != '\0'; i++) {
		unsigned char c = (unsigned char)r[i];

		if (c < 0x20 || c == 0x7f || (no_bar && (c == '|' ||
		    c == ' ')))
			r[i] = '?';
	}
	if (i > ENVELOPE_MAX_FIELD - 100)
		r[ENVELOPE_MAX_FIELD - 100] = '\0';
	return r;
}

void
qstate_set_reason(struct qstate *q, size_t i, const char *status,
    const char *remote, const char *reason)
{
	struct qstate_rcpt *r = &q->rcpts[i];

	clear_rcpt(r);
	r->status = clean(status && *status ? status : "4.0.0", true);
	r->remote = remote && *remote ? clean(remote, true) : NULL;
	r->reason = clean(reason ? reason : "", false);
}

void
qstate_encode(const struct qstate *q, struct buf *b)
{
	struct buf t;
	size_t i;

	buf_init(&t);
	buf_adds(b, QSTATE_MAGIC);
	envelope_record_putnum(b, 'A', q->attempts);
	envelope_record_putnum(b, 'W', (long long)q->next_try);
	if (q->warned)
		envelope_record_putnum(b, 'Y', 1);
	for (i = 0; i < q->nrcpts; i++) {
		const struct qstate_rcpt *r = &q->rcpts[i];

		if (r->done) {
			envelope_record_putnum(b, 'D', (long long)i);
		} else if (r->status != NULL) {
			buf_reset(&t);
			buf_printf(&t, "%zu %s %s|%s", i, r->status,
			    r->remote ? r->remote : "-",
			    r->reason ? r->reason : "");
			envelope_record_put(b, 'P', t.data, t.len);
		}
	}
	buf_free(&t);
}

static int
pending(struct qstate *q, const char *d, size_t n, struct why *why)
{
	const char *sp1, *sp2, *bar, *end = d + n;
	long long idx;
	char *status, *remote, *reason;

	if ((sp1 = memchr(d, ' ', n)) == NULL ||
	    !envelope_record_num(d, (size_t)(sp1 - d),
	    (long long)q->nrcpts - 1, &idx) ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))) == NULL ||
	    (bar = memchr(sp2 + 1, '|', (size_t)(end - sp2 - 1))) == NULL) {
		why_set(why, "state file: bad pending record");
		return -1;
	}
	status = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	remote = xstrndup(sp2 + 1, (size_t)(bar - sp2 - 1));
	reason = xstrndup(bar + 1, (size_t)(end - bar - 1));
	qstate_set_reason(q, (size_t)idx, status,
	    strcmp(remote, "-") == 0 ? NULL : remote, reason);
	free(status);
	free(remote);
	free(reason);
	return 0;
}

int
qstate_parse(const char *p, size_t len, size_t nrcpts, struct qstate *q,
    struct why *why)
{
	size_t magic = sizeof(QSTATE_MAGIC) - 1, off = magic, n;
	const char *d;
	long long v;
	char type;

	qstate_init(q, nrcpts);
	if (len < magic || memcmp(p, QSTATE_MAGIC, magic) != 0) {
		why_set(why, "state file: bad version line");
		return -1;
	}
	while (off < len) {
		if (envelope_record_next(p, len, &off, &type, &d, &n, why) !=
		    ENVELOPE_OK)
			goto bad;
		switch (type) {
		case 'A':
			if (!envelope_record_num(d, n, 1000000, &v))
				goto bad;
			q->attempts = (int)v;
			break;
		case 'W':
			if (!envelope_record_num(d, n, INT64_MAX / 2, &v))
				goto bad;
			q->next_try = (time_t)v;
			break;
		case 'Y':
			q->warned = true;
			break;
		case 'D':
			if (!envelope_record_num(d, n,
			    (long long)nrcpts - 1, &v))
				goto bad;
			q->rcpts[v].done = true;
			break;
		case 'P':
			if (pending(q, d, n, why) == -1)
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	return 0;
bad:
	if (why != NULL && strncmp(why->text, "state file", 10) != 0)
		why_set(why, "state file: bad record at offset %zu", off);
	return -1;
}

bool
qstate_all_done(const struct qstate *q)
{
	size_t i;

	for (i = 0; i < q->nrcpts; i++)
		if (!q->rcpts[i].done)
			return false;
	return true;
}
