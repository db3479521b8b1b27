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

/*
 * Field text must not hold '|' in status/remote, nor controls anywhere;
 * at most cap bytes are kept, so that every record fits QSTATE_RECORD_MAX.
 */
static char *
clean(const char *s, bool no_bar, size_t cap)
{
	char *r = xstrndup(s, cap);
	size_t i;

	for (i = 0; r[i] != '\0'; i++) {
		unsigned char c = (unsigned char)r[i];

		if (c < 0x20 || c == 0x7f || (no_bar && (c == '|' ||
		    c == ' ')))
			r[i] = '?';
	}
	return r;
}

void
qstate_set_reason(struct qstate *q, size_t i, const char *status,
    const char *remote, const char *reason)
{
	struct qstate_rcpt *r = &q->rcpts[i];

	clear_rcpt(r);
	r->status = clean(status && *status ? status : "4.0.0", true,
	    QSTATE_STATUS_MAX);
	r->remote = remote && *remote ? clean(remote, true,
	    QSTATE_REMOTE_MAX) : NULL;
	r->reason = clean(reason ? reason : "", false, QSTATE_REASON_MAX);
	r->done = false;
	r->report = QSTATE_REPORT_NONE;
}

void
qstate_set_report(struct qstate *q, size_t i, enum qstate_report kind,
    const char *status, const char *remote, const char *reason)
{
	qstate_set_reason(q, i, status, remote, reason);
	q->rcpts[i].done = true;
	q->rcpts[i].report = kind;
}

size_t
qstate_max_size(size_t nrcpts)
{
	return QSTATE_HEAD_MAX + nrcpts * QSTATE_RECORD_MAX;
}

/* "index [K ]status host|reason", each field within its cap. */
static void
put_fields(struct buf *b, char type, size_t i, const struct qstate_rcpt *r,
    struct buf *t)
{
	buf_reset(t);
	buf_printf(t, "%zu ", i);
	if (type == 'R')
		buf_printf(t, "%c ", (char)r->report);
	buf_printf(t, "%.*s %.*s|%.*s", QSTATE_STATUS_MAX, r->status,
	    QSTATE_REMOTE_MAX, r->remote ? r->remote : "-",
	    QSTATE_REASON_MAX, r->reason ? r->reason : "");
	envelope_record_put(b, type, t->data, t->len);
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

		if (r->done && r->report != QSTATE_REPORT_NONE &&
		    r->status != NULL)
			put_fields(b, 'R', i, r, &t);
		else if (r->done)
			envelope_record_putnum(b, 'D', (long long)i);
		else if (r->status != NULL)
			put_fields(b, 'P', i, r, &t);
	}
	buf_free(&t);
}

/* A P record, or an R record (report true: "K " after the index). */
static int
pending(struct qstate *q, const char *d, size_t n, bool report,
    struct why *why)
{
	const char *sp1, *sp2, *bar, *end = d + n;
	enum qstate_report kind = QSTATE_REPORT_NONE;
	long long idx;
	char *status, *remote, *reason;

	if ((sp1 = memchr(d, ' ', n)) == NULL ||
	    !envelope_record_num(d, (size_t)(sp1 - d),
	    (long long)q->nrcpts - 1, &idx))
		goto bad;
	if (report) {
		if (end - sp1 < 3 || (sp1[1] != QSTATE_REPORT_FAILED &&
		    sp1[1] != QSTATE_REPORT_RELAYED) || sp1[2] != ' ')
			goto bad;
		kind = (enum qstate_report)sp1[1];
		sp1 += 2;
	}
	if ((sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))) == NULL ||
	    (bar = memchr(sp2 + 1, '|', (size_t)(end - sp2 - 1))) == NULL)
		goto bad;
	status = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	remote = xstrndup(sp2 + 1, (size_t)(bar - sp2 - 1));
	reason = xstrndup(bar + 1, (size_t)(end - bar - 1));
	qstate_set_reason(q, (size_t)idx, status,
	    strcmp(remote, "-") == 0 ? NULL : remote, reason);
	if (report) {
		q->rcpts[idx].done = true;
		q->rcpts[idx].report = kind;
	}
	free(status);
	free(remote);
	free(reason);
	return 0;
bad:
	why_set(why, "state file: bad %s record", report ? "report" :
	    "pending");
	return -1;
}

int
qstate_parse(const char *p, size_t len, size_t nrcpts, struct qstate *q,
    struct why *why)
{
	size_t magic = sizeof(QSTATE_MAGIC) - 1, off = magic, n;
	const char *d;
	long long v;
	char type;
	bool v1;

	qstate_init(q, nrcpts);
	if (len > qstate_max_size(nrcpts)) {
		why_set(why, "state file: over %zu bytes",
		    qstate_max_size(nrcpts));
		return -1;
	}
	v1 = len >= magic && memcmp(p, QSTATE_MAGIC_V1, magic) == 0;
	if (len < magic || (!v1 && memcmp(p, QSTATE_MAGIC, magic) != 0)) {
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
		case 'R':
			if ((type == 'R' && v1) ||
			    pending(q, d, n, type == 'R', why) == -1)
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
		if (!q->rcpts[i].done ||
		    q->rcpts[i].report != QSTATE_REPORT_NONE)
			return false;
	return true;
}

size_t
qstate_reports(const struct qstate *q, enum qstate_report kind)
{
	size_t i, n = 0;

	for (i = 0; i < q->nrcpts; i++)
		n += q->rcpts[i].done && q->rcpts[i].report == kind;
	return n;
}

size_t
qstate_id_len(const char *name)
{
	const char *dot = strchr(name, '.');

	if (dot == NULL || dot == name || strcmp(dot, QSTATE_SUFFIX) != 0)
		return 0;
	return (size_t)(dot - name);
}
