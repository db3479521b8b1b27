/*
 * journal_rec.c: the journal's record format (journal.h), pure: encode,
 * parse in place, hour file names, and the Message-ID scanner.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "journal.h"
#include "spool.h"

static const char *const journal_events[] = {
	[JOURNAL_QUEUED] = "queued",
	[JOURNAL_DEFERRED] = "deferred",
	[JOURNAL_SENT] = "sent",
	[JOURNAL_BOUNCED] = "bounced",
	[JOURNAL_EXPIRED] = "expired",
	[JOURNAL_REMOVED] = "removed",
	[JOURNAL_HELD] = "held",
	[JOURNAL_RELEASED] = "released",
};
#define JOURNAL_NEVENTS (sizeof(journal_events) / sizeof(journal_events[0]))

/* Epoch seconds are at most 12 digits (year 33658): bounds the parse. */
#define JOURNAL_TIME_DIGITS	12

const char *
journal_event_name(enum journal_event e)
{
	return (size_t)e < JOURNAL_NEVENTS ? journal_events[e] : "unknown";
}

bool
journal_event_final(enum journal_event e)
{
	return e == JOURNAL_SENT || e == JOURNAL_BOUNCED ||
	    e == JOURNAL_EXPIRED || e == JOURNAL_REMOVED;
}

static bool
must_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '%';
}

/* A field, cut at JOURNAL_FIELD_MAX bytes, escaped. */
static void
put_field(struct buf *out, const char *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s[i] != '\0' && i < JOURNAL_FIELD_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (must_escape(c))
			buf_printf(out, "%%%02X", c);
		else
			buf_addc(out, (char)c);
	}
}

static void
put_time(struct buf *out, time_t t)
{
	buf_printf(out, "%lld", t > 0 ? (long long)t : 0LL);
}

void
journal_encode(const struct journal_rec *r, struct buf *out)
{
	put_time(out, r->time);
	buf_addc(out, '\t');
	buf_adds(out, journal_event_name(r->event));
	buf_addc(out, '\t');
	put_field(out, r->id);
	buf_addc(out, '\t');
	put_field(out, r->msgid);
	buf_addc(out, '\t');
	put_field(out, r->sender);
	buf_addc(out, '\t');
	put_field(out, r->rcpt);
	buf_addc(out, '\t');
	put_time(out, r->next);
	buf_addc(out, '\t');
	put_field(out, r->dsn);
	buf_addc(out, '\t');
	put_field(out, r->relay);
	buf_addc(out, '\t');
	put_field(out, r->text);
	buf_addc(out, '\n');
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes s[0..len) in place; false on a bad escape, NUL or control. */
static bool
decode(char *s, size_t len, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int hi, lo;

		if (c < 0x20 || c == 0x7f)
			return false;	/* the writer escapes them all */
		if (c == '%') {
			if (len - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi | lo) == 0)
				return false;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		s[o++] = (char)c;
	}
	s[o] = '\0';
	*outlen = o;
	return true;
}

static bool
parse_time(const char *s, time_t *t)
{
	long long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= JOURNAL_TIME_DIGITS)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || (i > 1 && s[0] == '0'))
		return false;
	*t = (time_t)v;
	return true;
}

static bool
parse_event(const char *s, enum journal_event *e)
{
	size_t i;

	for (i = 0; i < JOURNAL_NEVENTS; i++) {
		if (strcmp(s, journal_events[i]) == 0) {
			*e = (enum journal_event)i;
			return true;
		}
	}
	return false;
}

int
journal_parse(char *line, size_t len, struct journal_rec *out,
    struct why *why)
{
	char *f[JOURNAL_NFIELDS];
	size_t n = 0, i, start = 0, flen;

	memset(out, 0, sizeof(*out));
	if (len > JOURNAL_LINE_MAX) {
		why_set(why, "journal: line over %d bytes", JOURNAL_LINE_MAX);
		return -1;
	}
	/* split on TAB, then decode each field where it lies: decoding
	 * only shrinks, and the TAB's byte takes the NUL */
	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (n == JOURNAL_NFIELDS) {
			why_set(why, "journal: more than %d fields",
			    JOURNAL_NFIELDS);
			return -1;
		}
		if (!decode(line + start, i - start, &flen) ||
		    flen > JOURNAL_FIELD_MAX) {
			why_set(why, "journal: field %zu: bad bytes or too "
			    "long", n + 1);
			return -1;
		}
		f[n++] = line + start;
		start = i + 1;
	}
	if (n != JOURNAL_NFIELDS) {
		why_set(why, "journal: %zu fields, want %d", n,
		    JOURNAL_NFIELDS);
		return -1;
	}
	if (!parse_time(f[0], &out->time) || !parse_time(f[6], &out->next)) {
		why_set(why, "journal: bad time");
		return -1;
	}
	if (!parse_event(f[1], &out->event)) {
		why_set(why, "journal: unknown event");
		return -1;
	}
	if (!spool_id_ok(f[2])) {
		why_set(why, "journal: bad queue id");
		return -1;
	}
	out->id = f[2];
	out->msgid = f[3];
	out->sender = f[4];
	out->rcpt = f[5];
	out->dsn = f[7];
	out->relay = f[8];
	out->text = f[9];
	return 0;
}

/* The length of the field line at h (up to its LF or end), 0 at end. */
static size_t
line_len(const char *h, size_t left)
{
	const char *lf = memchr(h, '\n', left);

	return lf != NULL ? (size_t)(lf - h) : left;
}

bool
journal_message_id(const char *hdr, size_t len, struct buf *out)
{
	static const char name[] = "message-id:";
	size_t pos = 0, l;
	struct buf v;
	bool ok;

	buf_reset(out);
	while (pos < len) {
		l = line_len(hdr + pos, len - pos);
		if (l == 0)
			return false;		/* end of the header block */
		if (l >= sizeof(name) - 1 &&
		    strncasecmp(hdr + pos, name, sizeof(name) - 1) == 0)
			break;
		pos += l + 1;
	}
	if (pos >= len)
		return false;
	/* the value, with its continuation lines (RFC 5322 2.2.3) */
	buf_init(&v);
	l = line_len(hdr + pos, len - pos);
	buf_add(&v, hdr + pos + sizeof(name) - 1, l - (sizeof(name) - 1));
	for (pos += l + 1; pos < len && (hdr[pos] == ' ' ||
	    hdr[pos] == '\t'); pos += l + 1) {
		l = line_len(hdr + pos, len - pos);
		if (v.len > JOURNAL_FIELD_MAX * 2)
			break;
		buf_add(&v, hdr + pos, l);
	}
	ok = journal_msgid_value(v.data, v.len, out);
	buf_free(&v);
	return ok;
}

bool
journal_msgid_value(const char *v, size_t len, struct buf *out)
{
	const char *lt, *gt;
	size_t i;

	buf_reset(out);
	lt = len > 0 ? memchr(v, '<', len) : NULL;
	gt = lt != NULL ? memchr(lt, '>', len - (size_t)(lt - v)) : NULL;
	if (gt == NULL || (size_t)(gt - lt) + 1 > JOURNAL_FIELD_MAX ||
	    gt - lt < 2)
		return false;
	for (i = 0; lt + i <= gt; i++) {
		unsigned char c = (unsigned char)lt[i];

		if (c <= 0x20 || c == 0x7f)
			return false;
	}
	buf_add(out, lt, (size_t)(gt - lt) + 1);
	(void)buf_cstr(out);
	return true;
}

void
journal_name(time_t t, char name[JOURNAL_NAME_LEN + 1])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(name, JOURNAL_NAME_LEN + 1, "%Y%m%d%H", &tm) !=
	    JOURNAL_NAME_LEN)
		(void)strlcpy(name, "1970010100", JOURNAL_NAME_LEN + 1);
}

time_t
journal_name_time(const char *name)
{
	static const int w[4] = { 4, 2, 2, 2 };
	char back[JOURNAL_NAME_LEN + 1];
	struct tm tm;
	int v[4];
	size_t i, k, p = 0;
	time_t t;

	if (strlen(name) != JOURNAL_NAME_LEN)
		return -1;
	for (i = 0; i < 4; i++) {
		v[i] = 0;
		for (k = 0; k < (size_t)w[i]; k++, p++) {
			if (name[p] < '0' || name[p] > '9')
				return -1;
			v[i] = v[i] * 10 + (name[p] - '0');
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = (v[1] - 1);
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
	    v[3] > 23)
		return -1;
	/* timegm normalises (Feb 31 is Mar 3): a name is valid only if
	 * its time gives it back */
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	journal_name(t, back);
	return strcmp(back, name) == 0 ? t : -1;
}
