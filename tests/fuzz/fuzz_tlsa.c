/*
 * fuzz_tlsa: which TLSA records DANE may use (dns_tlsa_add), over
 * arbitrary RDATA. The input is records, each a length byte and that
 * many bytes (a short last record takes what is left). Aborts unless:
 * every record is counted exactly once (usable kept, usable past
 * DNS_TLSA_MAX, unusable); at most DNS_TLSA_MAX are kept; each kept
 * record is a copy of its input with usage 2 or 3, selector 0 or 1 and a
 * data length its matching type allows; and a record is usable exactly
 * when an independent reading of RFC 7672 3.1.3 / RFC 6698 says so.
 * A first byte 0xff makes the rest one TXT RDATA instead (dns_txt_add):
 * one record, at most DNS_TXT_LEN bytes, no longer than the RDATA, made
 * only of bytes that follow a length byte's position in order (checked
 * against an independent walk).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "fuzz_fail.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The oracle: written from the RFCs, not from dns_tlsa.c. */
static int
oracle(const uint8_t *rd, size_t len)
{
	size_t dl;

	if (len < 4)
		return -1;
	dl = len - 3;
	if (rd[0] < 2 || rd[0] > 3 || rd[1] > 1)
		return 0;
	if (rd[2] == 0)
		return dl <= DNS_TLSA_DATA_MAX;
	if (rd[2] == 1)
		return dl == 32;
	if (rd[2] == 2)
		return dl == 64;
	return 0;
}

static void
txt(const uint8_t *rd, size_t len)
{
	unsigned char want[DNS_TXT_LEN];
	size_t i = 0, k, n = 0;
	struct dns_txt t;

	while (i < len) {
		k = rd[i++];
		for (; k > 0 && i < len; k--, i++)
			if (n < DNS_TXT_LEN)
				want[n++] = rd[i];
	}
	memset(&t, 0, sizeof(t));
	dns_txt_add(&t, rd, len);
	if (t.n != 1 || t.len[0] != n || t.len[0] > DNS_TXT_LEN ||
	    t.len[0] > len || memcmp(t.v[0], want, n) != 0 ||
	    t.v[0][n] != '\0')
		FUZZ_FAIL();
	dns_txt_free(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_tlsa t;
	const uint8_t *kept[DNS_TLSA_MAX + 1];
	size_t klen[DNS_TLSA_MAX + 1];
	size_t pos = 0, usable = 0, unusable = 0, n, i;
	int r, want;

	if (size > 0 && data[0] == 0xff) {
		txt(data + 1, size - 1);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	while (pos < size) {
		n = data[pos++];
		if (n > size - pos)
			n = size - pos;
		r = dns_tlsa_add(&t, data + pos, n);
		want = oracle(data + pos, n);
		if (r != want)
			FUZZ_FAIL();
		if (r == 1) {
			if (usable < DNS_TLSA_MAX) {
				kept[usable] = data + pos;
				klen[usable] = n;
			}
			usable++;
		} else {
			unusable++;
		}
		pos += n;
	}
	if (t.unusable != unusable)
		FUZZ_FAIL();
	if (t.n > DNS_TLSA_MAX || t.n != (usable < DNS_TLSA_MAX ? usable :
	    DNS_TLSA_MAX))
		FUZZ_FAIL();
	for (i = 0; i < t.n; i++) {
		const struct dns_tlsa_rec *k = &t.v[i];

		if (k->usage != kept[i][0] || k->selector != kept[i][1] ||
		    k->mtype != kept[i][2] || k->len != klen[i] - 3 ||
		    memcmp(k->data, kept[i] + 3, k->len) != 0)
			FUZZ_FAIL();
		if ((k->usage != 2 && k->usage != 3) || k->selector > 1)
			FUZZ_FAIL();
	}
	dns_tlsa_free(&t);
	if (t.n != 0 || t.v != NULL || t.unusable != 0)
		FUZZ_FAIL();
	return 0;
}
