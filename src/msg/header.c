/*
 * header.c: splitting, reading and writing RFC 5322 header fields.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "header.h"
#include "why.h"
#include "xmalloc.h"

/* One line of a block: [start, content_end) is the text without CR LF,
 * next is where the following line starts. */
struct line {
	size_t	start, content_end, next;
};

/* Reads the line at pos; false at the end of the bytes. */
static bool
next_line(const char *s, size_t len, size_t pos, struct line *l)
{
	const char *lf;

	if (pos >= len)
		return false;
	l->start = pos;
	lf = memchr(s + pos, '\n', len - pos);
	if (lf == NULL) {
		l->content_end = l->next = len;
	} else {
		l->content_end = (size_t)(lf - s);
		l->next = l->content_end + 1;
	}
	if (l->content_end > l->start && s[l->content_end - 1] == '\r')
		l->content_end--;
	return true;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * RFC 5322 3.6.8 field-name (printable ASCII but ':'), then obs-field's
 * *WSP, then ':'. Returns the name's length, or 0 when the line is not
 * a field; *colon is the colon's offset in the line.
 */
static size_t
field_name(const char *s, size_t n, size_t *colon)
{
	size_t i = 0, name_len;

	while (i < n && s[i] >= 33 && s[i] <= 126 && s[i] != ':')
		i++;
	name_len = i;
	if (name_len == 0)
		return 0;
	while (i < n && is_wsp(s[i]))
		i++;
	if (i >= n || s[i] != ':')
		return 0;
	*colon = i;
	return name_len;
}

size_t
header_block_len(const char *msg, size_t len)
{
	struct line l;
	size_t pos = 0, colon;
	bool have_field = false;

	while (next_line(msg, len, pos, &l)) {
		const char *s = msg + l.start;
		size_t n = l.content_end - l.start;

		if (n == 0)
			return l.start;
		if (is_wsp(s[0])) {
			if (!have_field)
				return l.start;
		} else if (field_name(s, n, &colon) > 0)
			have_field = true;
		else
			return l.start;
		pos = l.next;
	}
	return len;
}

size_t
header_block_end(const char *msg, size_t len)
{
	size_t end = header_block_len(msg, len);
	struct line l;

	if (next_line(msg, len, end, &l) && l.content_end == l.start)
		return l.next;
	return end;
}

void
header_list_init(struct header_list *l)
{
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

void
header_list_free(struct header_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	header_list_init(l);
}

enum header_result
header_parse(const char *block, size_t len, size_t max_fields,
    struct header_list *out, struct why *why)
{
	struct line l;
	struct header *h;
	size_t pos = 0, lineno = 0, n0 = out->n, colon, name_len;
	enum header_result r = HEADER_OK;

	while (next_line(block, len, pos, &l)) {
		const char *s = block + l.start;
		size_t n = l.content_end - l.start;

		lineno++;
		pos = l.next;
		if (n == 0) {
			why_set(why, "line %zu: empty line in header", lineno);
			r = HEADER_BAD;
			break;
		}
		if (is_wsp(s[0])) {
			if (out->n == n0) {
				why_set(why, "line %zu: continuation line "
				    "without a field", lineno);
				r = HEADER_BAD;
				break;
			}
			h = &out->v[out->n - 1];
			h->field_len = l.next - (size_t)(h->field - block);
			h->value_len = l.content_end -
			    (size_t)(h->value - block);
			continue;
		}
		name_len = field_name(s, n, &colon);
		if (name_len == 0) {
			why_set(why, "line %zu: not a header field", lineno);
			r = HEADER_BAD;
			break;
		}
		if (out->n >= max_fields) {
			why_set(why, "more than %zu header fields",
			    max_fields);
			r = HEADER_TOO_BIG;
			break;
		}
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 16;
			out->v = xreallocarray(out->v, out->cap,
			    sizeof(*out->v));
		}
		h = &out->v[out->n++];
		h->name = s;
		h->name_len = name_len;
		h->field = s;
		h->field_len = l.next - l.start;
		h->value = s + colon + 1;
		h->value_len = n - colon - 1;
	}
	if (r != HEADER_OK)
		out->n = n0;
	return r;
}

bool
header_name_is(const struct header *h, const char *name)
{
	size_t n = strlen(name);

	return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

const struct header *
header_find(const struct header_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (header_name_is(&l->v[i], name))
			return &l->v[i];
	return NULL;
}

static bool
is_resent_rcpt(const struct header *h)
{
	return header_name_is(h, "Resent-To") ||
	    header_name_is(h, "Resent-Cc") || header_name_is(h, "Resent-Bcc");
}

static bool
is_rcpt(const struct header *h)
{
	return header_name_is(h, "To") || header_name_is(h, "Cc") ||
	    header_name_is(h, "Bcc");
}

enum addr_result
header_recipients(const struct header_list *l, size_t max,
    struct addr_list *out, struct why *why)
{
	struct why w;
	size_t i, n0 = out->n;
	bool resent = false;
	enum addr_result r;

	for (i = 0; i < l->n && !resent; i++)
		resent = is_resent_rcpt(&l->v[i]);
	for (i = 0; i < l->n; i++) {
		const struct header *h = &l->v[i];

		if (resent ? !is_resent_rcpt(h) : !is_rcpt(h))
			continue;
		w.text[0] = '\0';
		r = addr_parse_list(h->value, h->value_len, max, out, &w);
		if (r != ADDR_OK) {
			/* The name is printable ASCII (field_name()). */
			why_set(why, "%.*s: %s", (int)(h->name_len > 64 ? 64 :
			    h->name_len), h->name, w.text);
			while (out->n > n0)
				free(out->v[--out->n]);
			return r;
		}
	}
	return ADDR_OK;
}

/* header_scan's states within a line */
enum {
	HEADER_SCAN_START,	/* at the start of a line */
	HEADER_SCAN_NAME,	/* in a field name */
	HEADER_SCAN_WSP,	/* obs-field: WSP between the name and ':' */
	HEADER_SCAN_SKIP,	/* the rest of the line */
};

void
header_scan_init(struct header_scan *hs, const char *name)
{
	memset(hs, 0, sizeof(*hs));
	hs->name = name;
	hs->name_len = strlen(name);
	hs->state = HEADER_SCAN_START;
}

/* The field name ended at its colon. */
static void
scan_field(struct header_scan *hs)
{
	if (hs->match && hs->pos == hs->name_len)
		hs->count++;
	hs->seen_field = true;
	hs->state = HEADER_SCAN_SKIP;
}

bool
header_scan_feed(struct header_scan *hs, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && !hs->done; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (hs->state) {
		case HEADER_SCAN_START:
			if (is_wsp((char)c)) {
				/* a continuation, of a field above */
				hs->done = !hs->seen_field;
				hs->state = HEADER_SCAN_SKIP;
			} else if (c >= 33 && c <= 126 && c != ':') {
				hs->state = HEADER_SCAN_NAME;
				hs->pos = 1;
				hs->match = hs->name_len > 0 &&
				    tolower(c) == tolower((unsigned char)
				    hs->name[0]);
			} else {
				hs->done = true;  /* empty or not a field */
			}
			break;
		case HEADER_SCAN_NAME:
			if (c == ':') {
				scan_field(hs);
			} else if (is_wsp((char)c)) {
				hs->state = HEADER_SCAN_WSP;
			} else if (c >= 33 && c <= 126) {
				hs->match = hs->match &&
				    hs->pos < hs->name_len &&
				    tolower(c) == tolower((unsigned char)
				    hs->name[hs->pos]);
				hs->pos++;
			} else {
				hs->done = true;
			}
			break;
		case HEADER_SCAN_WSP:
			if (c == ':')
				scan_field(hs);
			else if (!is_wsp((char)c))
				hs->done = true;
			break;
		default:
			if (c == '\n')
				hs->state = HEADER_SCAN_START;
			break;
		}
	}
	return !hs->done;
}

bool
header_is_bcc(const struct header *h)
{
	return header_name_is(h, "Bcc") || header_name_is(h, "Resent-Bcc");
}

bool
header_is_address_field(const struct header *h)
{
	static const char *const names[] = {
		"From", "Sender", "Reply-To", "To", "Cc",
		"Errors-To", "Return-Receipt-To",
		"Disposition-Notification-To", "Mail-Followup-To",
		"Mail-Reply-To",
	};
	const char *name = h->name;
	size_t i, len = h->name_len;

	/* RFC 5322 3.6.6: Resent-From:, Resent-Sender:, Resent-To:... */
	if (len > 7 && strncasecmp(name, "Resent-", 7) == 0) {
		name += 7;
		len -= 7;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len &&
		    strncasecmp(name, names[i], len) == 0)
			return true;
	return false;
}

static bool
has_non_wsp(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_wsp(s[i]))
			return true;
	return false;
}

/* Writes one line s[0..n) (no line end), folded to HEADER_LINE_MAX. */
static void
fold_line(struct buf *out, const char *s, size_t n, bool pad)
{
	size_t room, b, k;

	for (;;) {
		room = HEADER_LINE_MAX - (pad ? 1 : 0);
		if (pad)
			buf_addc(out, ' ');
		if (n <= room) {
			buf_add(out, s, n);
			buf_addc(out, '\n');
			return;
		}
		/* Fold before the last WSP that leaves a line within room
		 * holding more than WSP (RFC 5322 2.2.3). */
		for (b = room; b > 0 && !is_wsp(s[b]); b--)
			continue;
		if (b > 0 && has_non_wsp(s, b)) {
			pad = false;
		} else {
			/* No WSP: break after the last comma (an address
			 * list stays whole: qualified addresses can make
			 * "a,b,c..." long), else anywhere, but not inside
			 * a UTF-8 sequence. */
			for (b = room; b > 1 && s[b - 1] != ','; b--)
				continue;
			if (b <= 1) {
				b = room;
				for (k = 0; k < 3 && b > 1 &&
				    ((unsigned char)s[b] & 0xc0) == 0x80; k++)
					b--;
			}
			pad = true;
		}
		buf_add(out, s, b);
		buf_addc(out, '\n');
		s += b;
		n -= b;
	}
}

void
header_write_folded(struct buf *out, const char *field, size_t len)
{
	struct line l;
	size_t pos = 0;
	bool first = true;

	while (next_line(field, len, pos, &l)) {
		const char *s = field + l.start;
		size_t n = l.content_end - l.start;

		pos = l.next;
		if (n == 0)
			continue;	/* would end the header block */
		/* A line that does not start with WSP would be read as a
		 * new field: make it a continuation. */
		fold_line(out, s, n, !first && !is_wsp(s[0]));
		first = false;
	}
}

static const char header_days[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char header_months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

void
header_date(struct buf *out, time_t t)
{
	struct tm tm;
	long off = 0;
	char sign = '+';

	if (localtime_r(&t, &tm) != NULL)
		off = tm.tm_gmtoff / 60;
	else if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));	/* year 1900: never seen */
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    header_days[tm.tm_wday >= 0 && tm.tm_wday < 7 ? tm.tm_wday : 0],
	    tm.tm_mday,
	    header_months[tm.tm_mon >= 0 && tm.tm_mon < 12 ? tm.tm_mon : 0],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    off / 60, off % 60);
}

/* A host name fit for a msg-id's id-right (RFC 5322 3.6.4 dot-atom). */
static bool
id_right_ok(const char *h)
{
	size_t i, n;

	if (h == NULL || (n = strlen(h)) == 0 || h[0] == '.' ||
	    h[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == '.' ? h[i + 1] == '.' :
		    !(c > 32 && c < 127 && strchr("()<>[]:;@\\,\"", c) ==
		    NULL))
			return false;
	}
	return true;
}

void
header_message_id(struct buf *out, const char *hostname)
{
	unsigned char rnd[8];
	struct tm tm;
	time_t now = time(NULL);
	size_t i;

	arc4random_buf(rnd, sizeof(rnd));
	if (gmtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	buf_printf(out, "<%04d%02d%02d%02d%02d%02d.%ld.", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (long)getpid());
	for (i = 0; i < sizeof(rnd); i++)
		buf_printf(out, "%02x", rnd[i]);
	buf_printf(out, "@%s>", id_right_ok(hostname) ? hostname :
	    "localhost");
}

static void
base64(struct buf *out, const unsigned char *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 |
		    s[i + 2];

		buf_addc(out, tab[v >> 18 & 63]);
		buf_addc(out, tab[v >> 12 & 63]);
		buf_addc(out, tab[v >> 6 & 63]);
		buf_addc(out, tab[v & 63]);
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		buf_addc(out, tab[v >> 18 & 63]);
		buf_addc(out, tab[v >> 12 & 63]);
		buf_addc(out, i + 1 < n ? tab[v >> 6 & 63] : '=');
		buf_addc(out, '=');
	}
}

/* RFC 2047 encoded-words: 45 octets give 60 base64 characters, so each
 * word stays within 75 (2047 section 2); never split a UTF-8 sequence. */
static void
encoded_words(struct buf *out, const char *s, size_t n)
{
	size_t i = 0, e;

	while (i < n) {
		e = n - i > 45 ? i + 45 : n;
		while (e < n && e > i + 1 &&
		    ((unsigned char)s[e] & 0xc0) == 0x80)
			e--;
		if (i > 0)
			buf_addc(out, ' ');
		buf_adds(out, "=?UTF-8?B?");
		base64(out, (const unsigned char *)s + i, e - i);
		buf_adds(out, "?=");
		i = e;
	}
}

static bool
is_phrase_char(unsigned char c)
{
	return c == ' ' || (c > 32 && c < 127 &&
	    strchr("()<>[]:;@\\,.\"", c) == NULL);
}

void
header_from_value(struct buf *out, const char *fullname, const char *addr)
{
	struct buf name;
	size_t i, start, end;
	bool eightbit = false, atoms = true;

	buf_init(&name);
	for (i = 0; fullname != NULL && fullname[i] != '\0'; i++) {
		unsigned char c = (unsigned char)fullname[i];

		buf_addc(&name, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	for (start = 0; start < name.len && name.data[start] == ' '; start++)
		continue;
	for (end = name.len; end > start && name.data[end - 1] == ' '; end--)
		continue;
	if (start == end) {
		buf_adds(out, addr);
		goto out;
	}
	for (i = start; i < end; i++) {
		unsigned char c = (unsigned char)name.data[i];

		eightbit |= c >= 0x80;
		atoms &= is_phrase_char(c);
	}
	if (eightbit)
		encoded_words(out, name.data + start, end - start);
	else if (atoms)
		buf_add(out, name.data + start, end - start);
	else {
		buf_addc(out, '"');
		for (i = start; i < end; i++) {
			if (name.data[i] == '"' || name.data[i] == '\\')
				buf_addc(out, '\\');
			buf_addc(out, name.data[i]);
		}
		buf_addc(out, '"');
	}
	buf_printf(out, " <%s>", addr);
out:
	buf_free(&name);
}

size_t
header_rewrite_address(struct buf *out, const char *value, size_t len,
    const char *old, const char *new_addr)
{
	return addr_rewrite(out, value, len, old, new_addr);
}

size_t
header_qualify(struct buf *out, const char *value, size_t len,
    const char *domain)
{
	return addr_qualify_list(out, value, len, domain);
}
