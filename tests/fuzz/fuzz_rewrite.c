/*
 * fuzz_rewrite: header rewriting for local submissions: submit_map_sender
 * (sender_map, masquerade, domain), header_rewrite_address, the
 * qualification of header addresses (header_qualify) and the field
 * writer of submission (submit_rewrite_field: From: masquerading, then
 * qualification). The input is three parts split at the first two 0x1f
 * bytes: the sender as given (-f), config lines (hostname, domain,
 * masquerade, sender_map; the rest of the config is the defaults) and a
 * field body (any bytes), used as From: and as To:.
 * Aborts unless: the mapped sender is an envelope address again (no CR,
 * LF, NUL or other control byte); a rewritten field is one field to
 * header_parse, of lines of at most 998 octets, with no CR, NUL or LF
 * but the folds and final LF the writer adds (when the body had none);
 * no address equal to the sender as given survives; rewriting is
 * idempotent; rewriting an address to itself keeps the address list and
 * nothing is changed when nothing is replaced. Qualification: every
 * address of the output is qualified, each the input's own address with
 * "@domain" when it had none; the output is the input with exactly
 * those insertions (its length says so: the rest is byte for byte);
 * nothing changes when nothing is qualified or the input does not
 * parse; qualifying again changes nothing; and the written field, when
 * it parses, holds only qualified addresses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "fuzz_fail.h"
#include "conf.h"
#include "header.h"
#include "submit.h"
#include "why.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static bool
has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

static bool
same_buf(const struct buf *a, const char *b, size_t n)
{
	return a->len == n && (n == 0 || memcmp(a->data, b, n) == 0);
}

/* Both parse as address lists of pairwise equal addresses. */
static bool
same_addrs(const char *a, size_t alen, const char *b, size_t blen)
{
	struct addr_list x, y;
	struct why why;
	bool ok;
	size_t i;

	addr_list_init(&x);
	addr_list_init(&y);
	ok = (addr_parse_list(a, alen, 1000, &x, &why) == ADDR_OK) ==
	    (addr_parse_list(b, blen, 1000, &y, &why) == ADDR_OK) &&
	    x.n == y.n;
	for (i = 0; ok && i < x.n; i++)
		ok = addr_equal(x.v[i], y.v[i]);
	addr_list_free(&x);
	addr_list_free(&y);
	return ok;
}

static void
check_value(const char *value, size_t len, const char *old, const char *new)
{
	struct buf r1, r2, id;
	struct addr_list l;
	struct why why;
	size_t n, i;

	buf_init(&r1);
	buf_init(&r2);
	buf_init(&id);
	n = header_rewrite_address(&r1, value, len, old, new);
	if (n == 0 && !same_buf(&r1, value, len))
		FUZZ_FAIL();
	(void)header_rewrite_address(&r2, r1.data ? r1.data : "", r1.len,
	    old, new);
	if (!same_buf(&r2, r1.data, r1.len))
		FUZZ_FAIL();	/* not idempotent */
	addr_list_init(&l);
	if (addr_parse_list(r1.data ? r1.data : "", r1.len, 1000, &l,
	    &why) == ADDR_OK)
		for (i = 0; i < l.n; i++)
			if (addr_equal(l.v[i], old) && !addr_equal(l.v[i], new))
				FUZZ_FAIL();	/* one left */
	addr_list_free(&l);
	(void)header_rewrite_address(&id, value, len, old, old);
	if (!same_addrs(value, len, id.data ? id.data : "", id.len))
		FUZZ_FAIL();
	buf_free(&r1);
	buf_free(&r2);
	buf_free(&id);
}

/* header_qualify's invariants (see the top). */
static void
check_qualify(const char *value, size_t len, const char *domain)
{
	struct addr_list in, out;
	struct buf q, q2;
	struct why why;
	size_t n, i, want_len = len, want_n = 0;
	char *a;

	buf_init(&q);
	buf_init(&q2);
	addr_list_init(&in);
	addr_list_init(&out);
	n = header_qualify(&q, value, len, domain);
	if (addr_parse_list(value, len, 1000, &in, &why) != ADDR_OK) {
		if (n != 0 || !same_buf(&q, value, len))
			FUZZ_FAIL();	/* an unparsable value is kept */
		goto out;
	}
	if (addr_parse_list(q.data ? q.data : "", q.len, 1000, &out, &why) !=
	    ADDR_OK || out.n != in.n)
		FUZZ_FAIL();
	for (i = 0; i < in.n; i++) {
		if (addr_is_local(in.v[i])) {
			want_n++;
			want_len += 1 + strlen(domain) -
			    (addr_list_noalias(&in, i) ? 1 : 0);
		}
		a = addr_qualify(in.v[i], domain);
		if (!addr_equal(a, out.v[i]) || addr_is_local(out.v[i]) ||
		    addr_list_noalias(&out, i))
			FUZZ_FAIL();
		free(a);
	}
	if (n != want_n || q.len != want_len)
		FUZZ_FAIL();
	if (n == 0 && !same_buf(&q, value, len))
		FUZZ_FAIL();
	if (header_qualify(&q2, q.data ? q.data : "", q.len, domain) != 0 ||
	    !same_buf(&q2, q.data, q.len))
		FUZZ_FAIL();	/* not idempotent */
out:
	addr_list_free(&in);
	addr_list_free(&out);
	buf_free(&q);
	buf_free(&q2);
}

/*
 * The field submission writes: one field, lines within 998 octets, LF
 * only as folds and at the end; with qualify, its addresses qualified.
 */
static void
check_field(const char *name, const char *value, size_t len,
    const char *given, const char *qual, const char *sender,
    const char *domain)
{
	struct addr_list l;
	struct header_list hl, out;
	struct buf f, hb;
	struct why why;
	size_t i, start = 0;
	bool dirty = memchr(value, '\r', len) != NULL ||
	    memchr(value, '\0', len) != NULL;

	buf_init(&f);
	buf_init(&hb);
	header_list_init(&hl);
	header_list_init(&out);
	addr_list_init(&l);
	buf_adds(&f, name);
	buf_addc(&f, ':');
	buf_add(&f, value, len);
	buf_addc(&f, '\n');
	if (header_parse(f.data, f.len, 10, &hl, &why) != HEADER_OK ||
	    hl.n != 1)
		goto out;
	submit_rewrite_field(&hb, &hl.v[0], given, qual, sender, domain);
	if (hb.len == 0 || hb.data[hb.len - 1] != '\n')
		FUZZ_FAIL();
	for (i = 0; i < hb.len; i++) {
		if (!dirty && (hb.data[i] == '\r' || hb.data[i] == '\0'))
			FUZZ_FAIL();
		if (hb.data[i] != '\n')
			continue;
		if (i - start > HEADER_LINE_MAX)
			FUZZ_FAIL();
		/* an LF is a fold (a continuation follows) or the end */
		if (i + 1 < hb.len && hb.data[i + 1] != ' ' &&
		    hb.data[i + 1] != '\t')
			FUZZ_FAIL();
		start = i + 1;
	}
	if (header_parse(hb.data, hb.len, 10, &out, &why) != HEADER_OK ||
	    out.n != 1 || !header_name_is(&out.v[0], name))
		FUZZ_FAIL();
	if (addr_parse_list(value, len, 1000, &l, &why) == ADDR_OK) {
		addr_list_free(&l);
		addr_list_init(&l);
		if (addr_parse_list(out.v[0].value, out.v[0].value_len, 1000,
		    &l, &why) == ADDR_OK)
			for (i = 0; i < l.n; i++)
				if (addr_is_local(l.v[i]))
					FUZZ_FAIL();	/* left bare */
	}
out:
	addr_list_free(&l);
	header_list_free(&hl);
	header_list_free(&out);
	buf_free(&f);
	buf_free(&hb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *p1, *p2;
	char *raw, *given = NULL, *sender, *qual = NULL, *check = NULL;
	struct conf *conf;
	struct why why;

	if ((p1 = memchr(s, 0x1f, size)) == NULL ||
	    (p2 = memchr(p1 + 1, 0x1f, (size_t)(end - p1 - 1))) == NULL)
		return 0;
	conf = conf_new();
	if (conf_parse(conf, "fuzz", p1 + 1, (size_t)(p2 - p1 - 1), &why) ==
	    -1)
		goto out;
	if (conf->hostname == NULL)
		conf->hostname = xstrdup("host.example");
	if (conf->domain == NULL)
		conf->domain = xstrdup("example");
	raw = xstrndup(s, (size_t)(p1 - s));
	if (addr_parse_envelope(raw, true, &given, &why) != ADDR_OK) {
		free(raw);
		goto out;
	}
	free(raw);
	sender = submit_map_sender(conf, given);
	if (has_ctl(sender, strlen(sender)))
		FUZZ_FAIL();
	if (*sender != '\0' &&
	    addr_parse_envelope(sender, false, &check, &why) != ADDR_OK)
		FUZZ_FAIL();
	check_qualify(p2 + 1, (size_t)(end - p2 - 1), conf->domain);
	check_field("To", p2 + 1, (size_t)(end - p2 - 1), NULL, NULL, NULL,
	    conf->domain);
	if (*given != '\0') {
		qual = addr_qualify(given, conf->hostname);
		check_value(p2 + 1, (size_t)(end - p2 - 1), given, sender);
		check_field("From", p2 + 1, (size_t)(end - p2 - 1), given,
		    qual, sender, conf->domain);
	}
	free(check);
	free(qual);
	free(sender);
out:
	free(given);
	conf_free(conf);
	return 0;
}
