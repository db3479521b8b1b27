/*
 * fuzz_conf: conf_parse over arbitrary bytes, then conf_set with the
 * first line split as key=value. Neither may crash, leak or read out of
 * bounds; a success leaves values within the table's bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "why.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf *c = conf_new();
	struct why why;
	char *copy, *eq;

	if (conf_parse(c, "fuzz.conf", (const char *)data, len, &why) == 0) {
		if (c->concurrency < 1 || c->concurrency > 256 ||
		    c->smtp_port < 1 || c->smtp_port > 65535 ||
		    c->retry_min < 1 || c->max_message_size < 1)
			abort();
	}
	copy = xstrndup((const char *)data, len < 256 ? len : 256);
	copy[strcspn(copy, "\n")] = '\0';
	if ((eq = strchr(copy, '=')) != NULL) {
		*eq = '\0';
		(void)conf_set(c, copy, eq + 1, &why);
	}
	free(copy);
	conf_free(c);
	return 0;
}
