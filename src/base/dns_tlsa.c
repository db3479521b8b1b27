/*
 * dns_tlsa.c: the pure parts of the TLSA and TXT lookups: which records
 * DANE can use, and TXT RDATA made one string (see dns.h). No c-ares, no
 * I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "xmalloc.h"

/* RFC 6698 7.2-7.4 */
#define DNS_TLSA_DANE_TA	2
#define DNS_TLSA_DANE_EE	3
#define DNS_TLSA_SHA256_LEN	32
#define DNS_TLSA_SHA512_LEN	64

static bool
dns_tlsa_usable(unsigned usage, unsigned selector, unsigned mtype,
    size_t dlen)
{
	if (usage != DNS_TLSA_DANE_TA && usage != DNS_TLSA_DANE_EE)
		return false;	/* RFC 7672 3.1.3: PKIX-TA/EE unusable */
	if (selector > 1)
		return false;
	switch (mtype) {
	case 0:
		return dlen > 0 && dlen <= DNS_TLSA_DATA_MAX;
	case 1:
		return dlen == DNS_TLSA_SHA256_LEN;
	case 2:
		return dlen == DNS_TLSA_SHA512_LEN;
	default:
		return false;
	}
}

int
dns_tlsa_add(struct dns_tlsa *out, const unsigned char *rd, size_t len)
{
	struct dns_tlsa_rec *r;

	if (len < 4) {
		out->unusable++;
		return -1;
	}
	if (!dns_tlsa_usable(rd[0], rd[1], rd[2], len - 3)) {
		out->unusable++;
		return 0;
	}
	if (out->n == DNS_TLSA_MAX)
		return 1;	/* usable, but we keep no more */
	if (out->v == NULL)
		out->v = xcalloc(DNS_TLSA_MAX, sizeof(*out->v));
	r = &out->v[out->n++];
	r->usage = rd[0];
	r->selector = rd[1];
	r->mtype = rd[2];
	r->len = len - 3;
	r->data = xmalloc(r->len);
	memcpy(r->data, rd + 3, r->len);
	return 1;
}

/* One TXT RDATA: its character-strings joined, bounded. */
void
dns_txt_add(struct dns_txt *t, const unsigned char *rd, size_t len)
{
	struct buf b;
	size_t i = 0, k, n;

	if (t->n == DNS_TXT_MAX)
		return;
	buf_init(&b);
	while (i < len) {
		k = rd[i++];
		if (k > len - i)
			k = len - i;	/* truncated string: what is there */
		n = b.len + k > DNS_TXT_LEN ? DNS_TXT_LEN - b.len : k;
		buf_add(&b, rd + i, n);
		i += k;
	}
	t->len[t->n] = b.len;
	t->v[t->n++] = buf_release(&b);
}

void
dns_tlsa_free(struct dns_tlsa *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].data);
	free(t->v);
	t->v = NULL;
	t->n = 0;
	t->unusable = 0;
}
