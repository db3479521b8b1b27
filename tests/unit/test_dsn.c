/*
 * test_dsn: delivery status notifications. Golden outputs in
 * tests/data/dsn/NAME.out are compared byte for byte (DSN_REGEN=1
 * rewrites them: review the diff by eye before committing), and every
 * output is parsed as MIME to check its structure.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dsn.h"
#include "why.h"
#include "unit.h"

#define T_NOW		1739440800	/* Thu, 13 Feb 2025 10:00:00 UTC */
#define T_ARRIVAL	(T_NOW - 4 * 3600 - 120)
#define DATA_DIR	"tests/data/dsn/"

/* ---- reader and writer ---- */

struct src {
	const char	*p;		/* NULL: generated "x...x\n" lines */
	size_t		 len;
	size_t		 pos;
	size_t		 chunk;		/* at most this per read; 0: any */
	size_t		 nread;
	bool		 fail;
};

static ssize_t
src_read(void *arg, char *buf, size_t n)
{
	struct src *s = arg;
	size_t i;

	if (s->fail) {
		errno = EIO;
		return -1;
	}
	if (s->chunk != 0 && n > s->chunk)
		n = s->chunk;
	if (n > s->len - s->pos)
		n = s->len - s->pos;
	for (i = 0; i < n; i++) {
		if (s->p != NULL)
			buf[i] = s->p[s->pos + i];
		else if (s->pos + i < 20)
			buf[i] = "Subject: generated\n\n"[s->pos + i];
		else
			buf[i] = (s->pos + i) % 100 == 99 ? '\n' : 'x';
	}
	s->pos += n;
	s->nread += n;
	return (ssize_t)n;
}

struct sink {
	struct buf	 b;
	size_t		 max_write;
	size_t		 total;
	bool		 keep;		/* keep the bytes (else count) */
	bool		 fail;
};

static int
sink_write(void *arg, const void *p, size_t n)
{
	struct sink *k = arg;

	if (k->fail) {
		errno = ENOSPC;
		return -1;
	}
	if (n > k->max_write)
		k->max_write = n;
	k->total += n;
	if (k->keep)
		buf_add(&k->b, p, n);
	return 0;
}

/* ---- structural check ---- */

struct shape {
	size_t		 nrcpt;
	const char	*part3_type;	/* "message/rfc822" or headers */
	const char	*part3_body;	/* expected content, or NULL */
};

/* Pointer to the next line of [p, end), its length in *len. */
static const char *
next_line(const char *p, const char *end, size_t *len)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*len = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);
	return nl == NULL ? end : nl + 1;
}

/* Unfolded value of header name in the header block [p, end). */
static void
header_value(const char *p, const char *end, const char *name,
    struct buf *out)
{
	size_t len, nlen = strlen(name);
	const char *line;
	bool in = false;

	buf_reset(out);
	while (p < end) {
		line = p;
		p = next_line(p, end, &len);
		if (len == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			if (in)
				buf_add(out, line, len);
			continue;
		}
		in = len > nlen && strncasecmp(line, name, nlen) == 0 &&
		    line[nlen] == ':';
		if (in)
			buf_add(out, line + nlen + 1, len - nlen - 1);
	}
}

static size_t
count_str(const char *p, size_t n, const char *needle)
{
	size_t c = 0, nl = strlen(needle), i;

	for (i = 0; i + nl <= n; i++) {
		if (memcmp(p + i, needle, nl) == 0)
			c++;
	}
	return c;
}

/* RFC 5322 2.2: a field name of printable characters, then ':'. */
static bool
is_field(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (line[i] == ':')
			return i > 0;
		if (line[i] <= ' ' || line[i] > '~')
			return false;
	}
	return false;
}

/* Checks the lines and header block of the whole message. */
static void
check_lines(const char *name, const char *msg, size_t n)
{
	const char *p = msg, *end = msg + n, *line;
	size_t len, bad_len = 0, bad_hdr = 0;
	bool in_hdr = true;

	UNIT_CHECK(name, n > 0 && msg[n - 1] == '\n', "no final line end");
	UNIT_CHECK(name, memchr(msg, '\r', n) == NULL, "CR in output");
	UNIT_CHECK(name, memchr(msg, '\0', n) == NULL, "NUL in output");
	while (p < end) {
		line = p;
		p = next_line(p, end, &len);
		if (len > DSN_LINE_MAX)
			bad_len++;
		if (in_hdr && len == 0)
			in_hdr = false;
		else if (in_hdr && line[0] != ' ' && line[0] != '\t' &&
		    !is_field(line, len))
			bad_hdr++;
		if (in_hdr && len > 78)
			bad_hdr++;
	}
	UNIT_INT(name, bad_len, 0);
	UNIT_INT(name, bad_hdr, 0);
}

/* Splits the message at the boundary and checks each part. */
static void
check_shape(const char *name, const char *msg, size_t n,
    const struct shape *want)
{
	const char *end = msg + n, *p, *line, *part[4] = { 0 }, *pend[4];
	struct buf v, delim;
	size_t len, nparts = 0, closes = 0, stray = 0;
	char *q;

	check_lines(name, msg, n);
	buf_init(&v);
	buf_init(&delim);
	header_value(msg, end, "Content-Type", &v);
	q = strstr(buf_cstr(&v), "boundary=\"");
	UNIT_CHECK(name, q != NULL, "no boundary in \"%s\"", buf_cstr(&v));
	if (q == NULL)
		goto out;
	q += strlen("boundary=\"");
	UNIT_CHECK(name, strchr(q, '"') != NULL &&
	    strchr(q, '"') - q <= 70, "bad boundary %s", q);
	buf_adds(&delim, "--");
	buf_add(&delim, q, strcspn(q, "\""));
	for (p = msg; p < end; ) {
		line = p;
		p = next_line(p, end, &len);
		if (len < delim.len || memcmp(line, delim.data, delim.len))
			continue;
		if (len == delim.len && nparts < 4) {
			if (nparts > 0)
				pend[nparts - 1] = line - 1;
			part[nparts++] = p;
		} else if (len == delim.len + 2 &&
		    memcmp(line + delim.len, "--", 2) == 0 && nparts > 0) {
			closes++;
			pend[nparts - 1] = line - 1;
			UNIT_CHECK(name, p == end, "text after the last part");
		} else
			stray++;
	}
	UNIT_INT(name, nparts, 3);
	UNIT_INT(name, closes, 1);
	UNIT_INT(name, stray, 0);
	if (nparts != 3 || closes != 1)
		goto out;
	header_value(part[0], pend[0], "Content-Type", &v);
	UNIT_STR(name, buf_cstr(&v), " text/plain; charset=us-ascii");
	header_value(part[1], pend[1], "Content-Type", &v);
	UNIT_STR(name, buf_cstr(&v), " message/delivery-status");
	/* RFC 3464 2.1: one group per recipient after the message's. */
	len = count_str(part[1], (size_t)(pend[1] - part[1]), "\n\n");
	UNIT_INT(name, len, want->nrcpt + 1);
	len = count_str(part[1], (size_t)(pend[1] - part[1]),
	    "\nFinal-Recipient: rfc822; ");
	UNIT_INT(name, len, want->nrcpt);
	header_value(part[2], pend[2], "Content-Type", &v);
	UNIT_CHECK(name, strcmp(buf_cstr(&v) + 1, want->part3_type) == 0,
	    "part 3 is %s, want %s", buf_cstr(&v), want->part3_type);
	if (want->part3_body != NULL) {
		p = strstr(part[2], "\n\n") + 2;
		len = (size_t)(pend[2] - p);
		UNIT_CHECK(name, len == strlen(want->part3_body) &&
		    memcmp(p, want->part3_body, len) == 0,
		    "part 3 is \"%.*s\", want \"%s\"", (int)len, p,
		    want->part3_body);
	}
out:
	buf_free(&v);
	buf_free(&delim);
}

/* ---- golden cases ---- */

static const char orig_std[] =
    "Received: from userid 1000 by mail.example.org; "
    "Thu, 13 Feb 2025 05:58:00 +0000\n"
    "From: Alice <alice@example.org>\n"
    "To: Bob <bob@example.net>\n"
    "Subject: Lunch on Friday?\n"
    "Date: Thu, 13 Feb 2025 05:58:00 +0000\n"
    "Message-ID: <20250213055800.4XyZ@mail.example.org>\n"
    "\n"
    "Hi Bob,\n"
    "\n"
    "shall we have lunch on Friday?\n"
    "-- \n"
    "Alice\n";
static const char orig_std_hdrs[] =
    "Received: from userid 1000 by mail.example.org; "
    "Thu, 13 Feb 2025 05:58:00 +0000\n"
    "From: Alice <alice@example.org>\n"
    "To: Bob <bob@example.net>\n"
    "Subject: Lunch on Friday?\n"
    "Date: Thu, 13 Feb 2025 05:58:00 +0000\n"
    "Message-ID: <20250213055800.4XyZ@mail.example.org>\n";

static char diag_long[3200], diag_nospace[3001], diag_ctl[200];

struct golden {
	const char	*name;
	const char	*orig;
	const char	*part3_type;
	const char	*part3_body;	/* NULL: orig itself */
	bool		 ret_hdrs;
	size_t		 size_limit;
	const char	*envid;
	size_t		 nrcpt;
	struct dsn_rcpt	 rcpt[3];
};

#define MSG822	"message/rfc822"
#define HDRS	"text/rfc822-headers"
#define RCPT_550 { "bob@example.net", NULL, DSN_FAILED, "5.1.1",	\
	"mx.example.net", "550 5.1.1 <bob@example.net>: Recipient address " \
	"rejected: User unknown in virtual mailbox table", true,	\
	T_NOW - 60, 0 }

static struct golden goldens[] = {
	{ "failed_smtp", orig_std, MSG822, NULL, false, 0, NULL, 1,
	    { RCPT_550 } },
	{ "delayed", orig_std, HDRS, orig_std_hdrs, false, 0, NULL, 2, {
	    { "carol@example.com", NULL, DSN_DELAYED, "4.4.1",
	      "mx1.example.com", "connect to mx1.example.com[192.0.2.7]:25: "
	      "Connection timed out", false, T_NOW - 300,
	      T_ARRIVAL + 5 * 86400 },
	    { "dave@example.com", NULL, DSN_DELAYED, "4.2.2",
	      "mx1.example.com", "452 4.2.2 <dave@example.com>: Mailbox full",
	      true, T_NOW - 300, T_ARRIVAL + 5 * 86400 } } },
	{ "mixed", orig_std, MSG822, NULL, false, 0, NULL, 2, {
	    RCPT_550,
	    { "carol@example.com", NULL, DSN_DELAYED, NULL, NULL,
	      "lookup of example.com: server failure", false, T_NOW - 300,
	      T_ARRIVAL + 5 * 86400 } } },
	{ "ret_hdrs", orig_std, HDRS, orig_std_hdrs, true, 0, NULL, 1,
	    { RCPT_550 } },
	{ "too_large", orig_std, HDRS, orig_std_hdrs, false, 100, NULL, 1,
	    { RCPT_550 } },
	{ "orcpt_envid", orig_std, MSG822, NULL, false, 0,
	    "QQ314159-envid", 1, {
	    { "bob@example.net", "rfc822;Bob.Alias@example.org", DSN_FAILED,
	      "5.7.1", "mx.example.net", "554 5.7.1 Message rejected "
	      "as spam", true, T_NOW - 60, 0 } } },
	{ "diagnostic_junk", orig_std, MSG822, NULL, false, 0,
	    "evil\r\nBcc: x@y", 3, {
	    { "bob@example.net\r\nBcc: mallory@example.com", NULL, DSN_FAILED,
	      "5.0.0", "mx.example.net\n", diag_ctl, true, 0, 0 },
	    { "carol@example.com", NULL, DSN_FAILED, "bogus", NULL,
	      diag_long, true, 0, 0 },
	    { "dave@example.com", NULL, DSN_FAILED, NULL, NULL,
	      diag_nospace, false, 0, 0 } } },
	{ "no_final_newline", "Subject: hi\n\nno newline at the end",
	    MSG822, "Subject: hi\n\nno newline at the end\n", false, 0,
	    NULL, 1, { RCPT_550 } },
	{ "empty_body", "Subject: nothing\n\n", MSG822, NULL, false, 0,
	    NULL, 1, { RCPT_550 } },
	{ "success", orig_std, HDRS, orig_std_hdrs, false, 0, NULL, 2, {
	    { "bob@example.net", "rfc822;bob@example.net", DSN_DELIVERED,
	      "2.0.0", "mx.example.net", "250 2.0.0 Ok: queued as 4Yq2",
	      true, T_NOW - 5, 0 },
	    { "erin@example.com", NULL, DSN_RELAYED, NULL, "mx.example.com",
	      "250 ok; relayed to a server that does not report delivery",
	      true, T_NOW - 5, 0 } } },
};

static void
make_diagnostics(void)
{
	size_t i;

	/* A reply of 3000 bytes: words of 9 letters and a space. */
	(void)strlcpy(diag_long, "550-5.1.1 ", sizeof(diag_long));
	for (i = strlen(diag_long); i < 3000; i++)
		diag_long[i] = i % 10 == 9 ? ' ' : 'a' + (char)(i % 26);
	diag_long[3000] = '\0';
	for (i = 0; i < 3000; i++)
		diag_nospace[i] = '0' + (char)(i % 10);
	diag_nospace[3000] = '\0';
	(void)strlcpy(diag_ctl, "550 5.7.1 no\r\nSubject: injected\r\n"
	    "\x01\x1b[31mred\x7f\xff\t\tend", sizeof(diag_ctl));
}

static void
init_info(struct dsn_info *info)
{
	memset(info, 0, sizeof(*info));
	info->reporting_mta = "mail.example.org";
	info->queue_id = "4XyZ7QA2";
	info->arrival = T_ARRIVAL;
	info->sender = "alice@example.org";
	info->original_size = strlen(orig_std);
	info->now = T_NOW;
	info->unique = "0123456789abcdef0123456789abcdef";
}

static char *
read_file(const char *path, size_t *len)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	(void)fclose(f);
	*len = b.len;
	return buf_release(&b);
}

static void
run_golden(const struct golden *g)
{
	struct dsn_info info;
	struct src s = { .p = g->orig, .len = strlen(g->orig), .chunk = 7 };
	struct sink k = { .keep = true };
	struct shape sh = { g->nrcpt, g->part3_type, g->part3_body };
	struct why why = { "" };
	char path[256], *want;
	size_t wlen = 0;
	FILE *f;
	int rc;

	init_info(&info);
	info.ret_hdrs = g->ret_hdrs;
	info.size_limit = g->size_limit;
	info.envid = g->envid;
	info.original_size = strlen(g->orig);
	rc = dsn_write(&info, g->rcpt, g->nrcpt, src_read, &s, sink_write,
	    &k, &why);
	UNIT_CHECK(g->name, rc == 0, "dsn_write: %s", why.text);
	if (sh.part3_body == NULL)
		sh.part3_body = g->orig;
	check_shape(g->name, buf_cstr(&k.b), k.b.len, &sh);
	(void)snprintf(path, sizeof(path), DATA_DIR "%s.out", g->name);
	if (getenv("DSN_REGEN") != NULL) {
		f = fopen(path, "wb");
		UNIT_CHECK(g->name, f != NULL && fwrite(k.b.data, 1, k.b.len,
		    f) == k.b.len && fclose(f) == 0, "cannot write %s", path);
	}
	want = read_file(path, &wlen);
	UNIT_CHECK(g->name, want != NULL, "cannot read %s", path);
	UNIT_CHECK(g->name, want != NULL && wlen == k.b.len &&
	    memcmp(want, k.b.data, wlen) == 0,
	    "output differs from %s; got:\n%s", path, buf_cstr(&k.b));
	free(want);
	buf_free(&k.b);
}

/* ---- other cases ---- */

/* Writes a report of orig with one failed recipient into k. */
static int
report(struct dsn_info *info, struct src *s, struct sink *k,
    struct why *why)
{
	static const struct dsn_rcpt r = RCPT_550;

	return dsn_write(info, &r, 1, src_read, s, sink_write, k, why);
}

/* found by fuzz_dsn: a host name never starts a line with "--" */
static void
test_host_dashes(void)
{
	struct dsn_info info;
	struct src s = { .p = orig_std, .len = strlen(orig_std) };
	struct sink k = { .keep = true };
	struct why why;

	init_info(&info);
	info.reporting_mta = "--.-mail.example.org";
	UNIT_INT("host dashes", report(&info, &s, &k, &why), 0);
	UNIT_CHECK("host dashes", strstr(k.b.data, "at host "
	    "mail.example.org.\n") != NULL, "leading dashes kept");
	UNIT_CHECK("host dashes", strstr(k.b.data, "\n--.-") == NULL,
	    "a line starts with the dashes");
	buf_free(&k.b);
	buf_init(&k.b);
	s.pos = 0;
	info.reporting_mta = "--";
	UNIT_INT("host only dashes", report(&info, &s, &k, &why), 0);
	UNIT_CHECK("host only dashes", strstr(k.b.data, "at host "
	    "localhost.\n") != NULL, "no localhost");
	buf_free(&k.b);
}

static void
test_size_limit(void)
{
	struct dsn_info info;
	struct src s = { .p = orig_std, .len = strlen(orig_std) };
	struct sink k = { .keep = true };
	struct shape at = { 1, MSG822, orig_std };
	struct shape past = { 1, HDRS, orig_std_hdrs };
	struct why why;

	init_info(&info);
	info.size_limit = strlen(orig_std);
	UNIT_INT("size at limit", report(&info, &s, &k, &why), 0);
	check_shape("size at limit", k.b.data, k.b.len, &at);
	buf_reset(&k.b);
	s.pos = 0;
	info.size_limit = strlen(orig_std) - 1;
	UNIT_INT("size past limit", report(&info, &s, &k, &why), 0);
	check_shape("size past limit", k.b.data, k.b.len, &past);
	UNIT_CHECK("size past limit", strstr(k.b.data, "larger than the "
	    "limit") != NULL, "no word of the limit in part 1");
	buf_free(&k.b);
}

static void
test_long_lines(void)
{
	struct dsn_info info;
	struct buf o, want;
	struct src s = { 0 };
	struct sink k = { .keep = true };
	struct shape sh = { 1, MSG822, NULL };
	struct why why;
	size_t i;

	buf_init(&o);
	buf_init(&want);
	/* A 2500-byte header line and a 2500-byte body line. */
	buf_adds(&o, "X-Long: ");
	for (i = 0; i < 2492; i++)
		buf_addc(&o, 'h');
	buf_adds(&o, "\nSubject: long\n\n");
	for (i = 0; i < 2500; i++)
		buf_addc(&o, 'b');
	buf_adds(&o, "\n");
	buf_adds(&want, "X-Long: ");
	for (i = 0; i < 990; i++)
		buf_addc(&want, 'h');
	buf_adds(&want, "\n ");
	for (i = 0; i < 997; i++)
		buf_addc(&want, 'h');
	buf_adds(&want, "\n ");
	for (i = 0; i < 505; i++)
		buf_addc(&want, 'h');
	buf_adds(&want, "\nSubject: long\n\n");
	for (i = 0; i < 2500; i++) {
		if (i == 998 || i == 1996)
			buf_addc(&want, '\n');
		buf_addc(&want, 'b');
	}
	buf_adds(&want, "\n");
	s.p = o.data;
	s.len = o.len;
	init_info(&info);
	info.original_size = o.len;
	sh.part3_body = buf_cstr(&want);
	UNIT_INT("long lines", report(&info, &s, &k, &why), 0);
	check_shape("long lines", k.b.data, k.b.len, &sh);
	buf_free(&k.b);
	buf_free(&o);
	buf_free(&want);
}

static void
test_raw_bytes(void)
{
	static const char orig[] =
	    "Subject: cr\r\n\r\na\rb\r\nc\0d\r\n--B.0123456789abcdef\n"
	    "--4XyZ7QA2.0123456789abcdef--\nend\r";
	static const char want[] =
	    "Subject: cr\n\na b\nc d\n--B.0123456789abcdef\n"
	    " -4XyZ7QA2.0123456789abcdef--\nend \n";
	struct dsn_info info;
	struct src s = { .p = orig, .len = sizeof(orig) - 1, .chunk = 1 };
	struct sink k = { .keep = true };
	struct shape sh = { 1, MSG822, want };
	struct why why;

	init_info(&info);
	info.unique = "0123456789abcdef";
	info.original_size = s.len;
	UNIT_INT("raw bytes", report(&info, &s, &k, &why), 0);
	check_shape("raw bytes", k.b.data, k.b.len, &sh);
	buf_free(&k.b);
}

static void
test_header_cap(void)
{
	struct dsn_info info;
	struct buf o;
	struct src s = { 0 };
	struct sink k = { .keep = true };
	struct shape sh = { 1, HDRS, NULL };
	struct why why;
	const char *p;
	size_t i;

	/* A header block (no blank line) of 200 KB: cut at a whole line. */
	buf_init(&o);
	for (i = 0; o.len < 200000; i++)
		buf_printf(&o, "X-Filler-%06zu: %s\n", i,
		    "0123456789012345678901234567890123456789012345678");
	s.p = o.data;
	s.len = o.len;
	init_info(&info);
	info.ret_hdrs = true;
	info.original_size = o.len;
	UNIT_INT("header cap", report(&info, &s, &k, &why), 0);
	check_shape("header cap", k.b.data, k.b.len, &sh);
	p = strstr(k.b.data, "Content-Type: text/rfc822-headers\n\n");
	UNIT_CHECK("header cap", p != NULL, "no headers part");
	if (p != NULL) {
		p += strlen("Content-Type: text/rfc822-headers\n\n");
		/* The most whole lines of 67 bytes within the cap. */
		UNIT_INT("header cap", strchr(o.data, '\n') + 1 - o.data, 67);
		UNIT_INT("header cap", strstr(p, "\n\n--") + 1 - p,
		    DSN_HEADERS_MAX / 67 * 67);
	}
	buf_free(&k.b);
	buf_free(&o);
}

static void
test_streaming(void)
{
	struct dsn_info info;
	struct src s = { .len = 20 * 1000 * 1000 };
	struct sink k = { 0 };
	struct why why;

	/* 20 MB: the writer sees bounded chunks, and all of it. */
	init_info(&info);
	info.original_size = s.len;
	UNIT_INT("streaming", report(&info, &s, &k, &why), 0);
	UNIT_CHECK("streaming", k.max_write <= 16384 + 2 * DSN_LINE_MAX,
	    "a write of %zu bytes", k.max_write);
	UNIT_CHECK("streaming", k.total > s.len && k.total < s.len + 4096,
	    "wrote %zu bytes", k.total);
	UNIT_INT("streaming", s.nread, s.len);
	/* Headers only: reading stops after the header block. */
	memset(&k, 0, sizeof(k));
	s.pos = s.nread = 0;
	info.ret_hdrs = true;
	UNIT_INT("streaming hdrs", report(&info, &s, &k, &why), 0);
	UNIT_CHECK("streaming hdrs", s.nread <= 65536, "read %zu bytes",
	    s.nread);
	UNIT_CHECK("streaming hdrs", k.total < 8192, "wrote %zu bytes",
	    k.total);
}

static void
test_failures(void)
{
	struct dsn_info info;
	struct src s = { .p = orig_std, .len = strlen(orig_std) };
	struct sink k = { .keep = true };
	struct dsn_rcpt bad = RCPT_550;
	struct why why = { "" };

	init_info(&info);
	s.fail = true;
	UNIT_INT("read fails", report(&info, &s, &k, &why), -1);
	UNIT_STR("read fails", why.text,
	    "read original of 4XyZ7QA2: Input/output error");
	s.fail = false;
	k.fail = true;
	UNIT_INT("write fails", report(&info, &s, &k, &why), -1);
	UNIT_STR("write fails", why.text,
	    "write notification for 4XyZ7QA2: No space left on device");
	k.fail = false;
	info.sender = "";
	UNIT_INT("null sender", report(&info, &s, &k, &why), -1);
	UNIT_STR("null sender", why.text, "no notification to the null sender");
	UNIT_INT("null sender", k.total, 0);
	info.sender = "alice@example.org";
	UNIT_INT("no rcpts", dsn_write(&info, &bad, 0, src_read, &s,
	    sink_write, &k, &why), -1);
	bad.action = (enum dsn_action)42;
	UNIT_INT("bad action", dsn_write(&info, &bad, 1, src_read, &s,
	    sink_write, &k, &why), -1);
	UNIT_INT("failures write nothing", k.total, 0);
	buf_free(&k.b);
}

/* Boundary of a report written with a random unique part. */
static void
random_boundary(struct buf *out)
{
	struct dsn_info info;
	struct src s = { .p = orig_std, .len = strlen(orig_std) };
	struct sink k = { .keep = true };
	struct shape sh = { 1, MSG822, orig_std };
	struct why why;
	const char *p;

	init_info(&info);
	info.unique = NULL;
	UNIT_INT("random", report(&info, &s, &k, &why), 0);
	check_shape("random", k.b.data, k.b.len, &sh);
	p = strstr(buf_cstr(&k.b), "boundary=\"");
	buf_reset(out);
	if (p != NULL)
		buf_add(out, p, strcspn(p + 10, "\"") + 10);
	buf_free(&k.b);
}

static void
test_random(void)
{
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	random_boundary(&a);
	random_boundary(&b);
	/* "boundary=\"" + 8 of the queue id + "." + 32 hex digits */
	UNIT_INT("random length", a.len, 10 + 8 + 1 + 32);
	UNIT_CHECK("random differs", strcmp(buf_cstr(&a), buf_cstr(&b)) != 0,
	    "%s twice", buf_cstr(&a));
	buf_free(&a);
	buf_free(&b);
}

static void
test_status(void)
{
	static const struct {
		int		 code;
		const char	*enh;
		const char	*want;
		int		 rc;
	} t[] = {
		{ 550, "5.1.1", "5.1.1", 0 },
		{ 550, NULL, "5.0.0", 0 },
		{ 552, NULL, "5.0.0", 0 },
		{ 452, "4.2.2", "4.2.2", 0 },
		{ 451, NULL, "4.0.0", 0 },
		{ 250, "2.1.5", "2.1.5", 0 },
		{ 250, NULL, "2.0.0", 0 },
		{ 550, "4.1.1", "5.0.0", 0 },	/* class disagrees */
		{ 450, "5.7.1", "4.0.0", 0 },
		{ 550, "5.1", "5.0.0", 0 },
		{ 550, "5.01.1", "5.0.0", 0 },
		{ 550, "5.1000.1", "5.0.0", 0 },
		{ 550, "5.999.999", "5.999.999", 0 },
		{ 550, "5.1.1 ", "5.0.0", 0 },
		{ 550, "3.1.1", "5.0.0", 0 },
		{ 354, NULL, "5.5.0", -1 },
		{ 199, NULL, "5.5.0", -1 },
		{ 600, "5.1.1", "5.5.0", -1 },
		{ 0, NULL, "5.5.0", -1 },
	};
	char out[DSN_STATUS_LEN], name[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		(void)snprintf(name, sizeof(name), "status %d %s", t[i].code,
		    t[i].enh ? t[i].enh : "-");
		UNIT_INT(name, dsn_status_from_reply(t[i].code, t[i].enh, out),
		    t[i].rc);
		UNIT_STR(name, out, t[i].want);
	}
	UNIT_CHECK("valid 4.7.0", dsn_status_valid("4.7.0"), "not valid");
	UNIT_CHECK("valid 2.0.0", dsn_status_valid("2.0.0"), "not valid");
	UNIT_CHECK("invalid 1.0.0", !dsn_status_valid("1.0.0"), "valid");
	UNIT_CHECK("invalid 5..0", !dsn_status_valid("5..0"), "valid");
	UNIT_CHECK("invalid NULL", !dsn_status_valid(NULL), "valid");
}

static void
test_date(void)
{
	char d[DSN_DATE_LEN];

	dsn_date(T_NOW, d);
	UNIT_STR("date utc", d, "Thu, 13 Feb 2025 10:00:00 +0000");
	(void)setenv("TZ", "<+0530>-5:30", 1);
	tzset();
	dsn_date(T_NOW, d);
	UNIT_STR("date +0530", d, "Thu, 13 Feb 2025 15:30:00 +0530");
	(void)setenv("TZ", "<-0330>3:30", 1);
	tzset();
	dsn_date(T_NOW + 86400 * 2, d);
	UNIT_STR("date -0330", d, "Sat, 15 Feb 2025 06:30:00 -0330");
	(void)setenv("TZ", "UTC0", 1);
	tzset();
	dsn_date(0, d);
	UNIT_STR("date epoch", d, "Thu, 1 Jan 1970 00:00:00 +0000");
}

/* RFC 6531-6533: a UTF-8 sender's To: is intact with SMTPUTF8 only;
 * UTF-8 addresses in the status part are utf-8-addr-xtext, never '?'. */
static void
test_utf8(void)
{
	static const struct dsn_rcpt r = { .addr = "b\xc3\xa9" "a+t=x@exa.org",
	    .orcpt = "rfc822;b\xc3\xa9" "a+t=x@exa.org", .action = DSN_FAILED,
	    .status = "5.1.1", .diagnostic = "550 no" };
	struct dsn_info info;
	struct src s = { .p = orig_std, .len = strlen(orig_std) };
	struct sink k = { .keep = true };
	struct why why;

	init_info(&info);
	info.sender = "j\xc3\xb6rg@ex\xc3\xa4mple.org";
	info.smtputf8 = true;
	UNIT_INT("utf8: written", dsn_write(&info, &r, 1, src_read, &s,
	    sink_write, &k, &why), 0);
	buf_addc(&k.b, '\0');
	UNIT_CHECK("utf8: To intact", strstr(k.b.data,
	    "\nTo: j\xc3\xb6rg@ex\xc3\xa4mple.org\n") != NULL, "%s",
	    k.b.data);
	UNIT_CHECK("utf8: Final-Recipient utf-8 type", strstr(k.b.data,
	    "\nFinal-Recipient: utf-8; b\\x{E9}a\\x{2B}t\\x{3D}x@exa.org\n")
	    != NULL, "no utf-8 Final-Recipient");
	UNIT_CHECK("utf8: Original-Recipient utf-8 type", strstr(k.b.data,
	    "\nOriginal-Recipient: utf-8; b\\x{E9}a\\x{2B}t\\x{3D}x@exa.org\n")
	    != NULL, "no utf-8 Original-Recipient");
	UNIT_CHECK("utf8: sender field", strstr(k.b.data,
	    "\nX-Minimta-Sender: utf-8; j\\x{F6}rg@ex\\x{E4}mple.org\n")
	    != NULL, "no utf-8 X-Minimta-Sender");
	buf_reset(&k.b);
	s.pos = 0;
	info.smtputf8 = false;
	UNIT_INT("utf8: without SMTPUTF8", dsn_write(&info, &r, 1, src_read,
	    &s, sink_write, &k, &why), 0);
	buf_addc(&k.b, '\0');
	UNIT_CHECK("utf8: To without SMTPUTF8 is ASCII", strstr(k.b.data,
	    "\nTo: j??rg@ex??mple.org\n") != NULL, "To: not cleaned");
	buf_reset(&k.b);
	s.pos = 0;
	/* a broken sequence is never copied raw */
	info.smtputf8 = true;
	info.sender = "j\xc3(x\xed\xa0\x80" "@e.org";
	UNIT_INT("utf8: broken", dsn_write(&info, &r, 1, src_read, &s,
	    sink_write, &k, &why), 0);
	buf_addc(&k.b, '\0');
	UNIT_CHECK("utf8: broken bytes become ?", strstr(k.b.data,
	    "\nTo: j?(x???@e.org\n") != NULL, "broken UTF-8 in To:");
	buf_free(&k.b);
}

int
main(void)
{
	size_t i;

	(void)setenv("TZ", "UTC0", 1);
	tzset();
	make_diagnostics();
	for (i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++)
		run_golden(&goldens[i]);
	test_size_limit();
	test_host_dashes();
	test_long_lines();
	test_raw_bytes();
	test_header_cap();
	test_streaming();
	test_failures();
	test_random();
	test_status();
	test_date();
	test_utf8();
	return unit_done("dsn");
}
