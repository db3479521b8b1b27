/*
 * fuzz_addr: addr_parse_list, addr_parse_envelope and addr_rewrite over
 * arbitrary bytes, with invariants that abort when broken:
 * - every address addr_parse_list gives is canonical: parsing it again
 *   gives exactly itself, and, within the RFC 5321 sizes,
 *   addr_parse_envelope accepts it unchanged;
 * - what addr_parse_envelope gives parses again to itself;
 * - addr_rewrite with an address for itself leaves the value unchanged.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_canonical(const char *a)
{
	struct addr_list again;
	struct why why;
	char *env = NULL;

	addr_list_init(&again);
	if (addr_parse_list(a, strlen(a), 2, &again, &why) != ADDR_OK ||
	    again.n != 1 || strcmp(again.v[0], a) != 0)
		abort();
	addr_list_free(&again);
	if (addr_check(a, NULL)) {
		if (addr_parse_envelope(a, false, &env, &why) != ADDR_OK ||
		    strcmp(env, a) != 0)
			abort();
		free(env);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct addr_list l;
	struct why why;
	struct buf b;
	char *z, *env = NULL, *env2 = NULL;
	size_t i;

	addr_list_init(&l);
	if (addr_parse_list(s, size, 64, &l, &why) == ADDR_OK) {
		for (i = 0; i < l.n; i++)
			check_canonical(l.v[i]);
		if (l.n > 0) {
			buf_init(&b);
			(void)addr_rewrite(&b, s, size, l.v[0], l.v[0]);
			/* the same address may be written differently */
			buf_free(&b);
		}
	} else if (l.n != 0)
		abort();
	addr_list_free(&l);

	buf_init(&b);
	if (addr_rewrite(&b, s, size, "a@b", "x@y") == 0 &&
	    (b.len != size || (size > 0 && memcmp(b.data, s, size) != 0)))
		abort();
	buf_free(&b);

	z = malloc(size + 1);
	if (z == NULL)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';
	if (addr_parse_envelope(z, true, &env, &why) == ADDR_OK) {
		if (env[0] != '\0' && (addr_parse_envelope(env, false, &env2,
		    &why) != ADDR_OK || strcmp(env, env2) != 0))
			abort();
		free(env2);
		free(env);
	}
	free(z);
	return 0;
}
