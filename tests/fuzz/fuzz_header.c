/*
 * fuzz_header: header_block_end, header_parse, header_recipients and
 * header_write_folded over arbitrary bytes, with invariants that abort
 * when broken: the block ends within the input and parses; the fields
 * tile the block in order; folding gives lines of at most 998 octets
 * that, unfolded, give the original line back when only WSP folds
 * were needed; from values never contain a line break; header_scan,
 * fed the whole input at once or in pieces, counts as many Received:
 * fields as header_parse finds in the block (stored form: no CR).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "header.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_folded(const char *field, size_t len)
{
	struct buf out;
	size_t i, start = 0;

	buf_init(&out);
	header_write_folded(&out, field, len);
	if (out.len > 0 && out.data[out.len - 1] != '\n')
		abort();
	for (i = 0; i < out.len; i++) {
		if (out.data[i] != '\n')
			continue;
		if (i - start > HEADER_LINE_MAX || i == start)
			abort();
		/* every line after the first is a continuation */
		if (start > 0 && out.data[start] != ' ' &&
		    out.data[start] != '\t')
			abort();
		start = i + 1;
	}
	buf_free(&out);
}

/* header_scan over s[0..size) in pieces of step bytes. */
static size_t
scan_count(const char *s, size_t size, size_t step)
{
	struct header_scan hs;
	size_t i;

	header_scan_init(&hs, "Received");
	for (i = 0; i < size; i += step)
		if (!header_scan_feed(&hs, s + i, size - i < step ? size - i :
		    step))
			break;
	return hs.count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct header_list hl;
	struct addr_list al;
	struct why why;
	struct buf b;
	size_t end, blen, i, pos = 0;
	char *z;

	end = header_block_end(s, size);
	blen = header_block_len(s, size);
	if (end > size || blen > end)
		abort();
	header_list_init(&hl);
	if (header_parse(s, blen, 1000, &hl, &why) == HEADER_OK) {
		for (i = 0; i < hl.n; i++) {
			const struct header *h = &hl.v[i];

			if (h->field != s + pos || h->name != h->field ||
			    h->value + h->value_len > h->field + h->field_len)
				abort();
			pos += h->field_len;
			check_folded(h->field, h->field_len);
			(void)header_is_bcc(h);
		}
		if (pos != blen)
			abort();
		if (memchr(s, '\r', size) == NULL) {
			size_t want = 0;

			for (i = 0; i < hl.n; i++)
				want += header_name_is(&hl.v[i], "Received");
			if (scan_count(s, size, size ? size : 1) != want ||
			    scan_count(s, size, 1) != want ||
			    scan_count(s, size, 7) != want)
				abort();
		}
		addr_list_init(&al);
		(void)header_recipients(&hl, 100, &al, &why);
		addr_list_free(&al);
	} else if (hl.n != 0)
		abort();
	header_list_free(&hl);
	/* Whole-input parse: errors must be clean too. */
	header_list_init(&hl);
	(void)header_parse(s, size, 5, &hl, &why);
	header_list_free(&hl);

	check_folded(s, size);
	z = malloc(size + 1);
	if (z == NULL)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';
	buf_init(&b);
	header_from_value(&b, z, "a@b");
	if (memchr(b.data, '\n', b.len) != NULL ||
	    memchr(b.data, '\r', b.len) != NULL)
		abort();
	buf_free(&b);
	free(z);
	return 0;
}
