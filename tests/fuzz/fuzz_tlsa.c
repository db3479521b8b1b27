/*
 * fuzz_tlsa: which TLSA records DANE may use (dns_tlsa_add), over
 * arbitrary RDATA. The input is records, each a length byte and that
 * many bytes (a short last record takes what is left). Aborts unless:
 * every record is counted exactly once (usable kept, usable past
 * DNS_TLSA_MAX, unusable); at most DNS_TLSA_MAX are kept; each kept
 * record is a copy of its input with usage 2 or 3, selector 0 or 1 and a
 * data length its matching type allows; and a record is usable exactly
 * when an independent reading of RFC 7672 3.1.3 / RFC 6698 says so.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_tlsa t;
	const uint8_t *kept[DNS_TLSA_MAX + 1];
	size_t klen[DNS_TLSA_MAX + 1];
	size_t pos = 0, usable = 0, unusable = 0, n, i;
	int r, want;

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
