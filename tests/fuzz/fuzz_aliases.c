/*
 * fuzz_aliases: the aliases parser (as an aliases file and as an include
 * file) and expansion over what it parsed. Expanded names: fixed ones and
 * the first word of each of the first lines, so entries the fuzzer writes
 * get looked up.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "aliases.h"
#include "why.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
expand(const struct aliases *a, const char *name)
{
	struct addr_list l;
	struct why why;

	addr_list_init(&l);
	(void)aliases_expand(a, name, 50, &l, &why);
	addr_list_free(&l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *fixed[] = { "root", "a", "b", "postmaster", "" };
	const char *s = (const char *)data, *p = s, *end = s + len;
	struct aliases *a = aliases_new();
	struct why why;
	size_t i, lines;

	(void)aliases_parse(a, "fuzz", s, len, &why);
	(void)aliases_parse_include(a, "/inc", s, len, &why);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		expand(a, fixed[i]);
	for (lines = 0; p < end && lines < 8; lines++) {
		const char *q = p;
		char *name;

		while (q < end && *q != ':' && *q != '\n')
			q++;
		name = xstrndup(p, (size_t)(q - p));
		expand(a, name);
		free(name);
		while (q < end && *q != '\n')
			q++;
		p = q + (q < end);
	}
	for (i = 0; i < aliases_nwarnings(a); i++)
		(void)strlen(aliases_warning(a, i));
	(void)aliases_count(a);
	aliases_free(a);
	return 0;
}
