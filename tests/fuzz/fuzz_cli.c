/*
 * fuzz_cli: cli_parse over an argv made of the input's NUL-separated
 * pieces (argv is what a web form may end up in). Checks that parsing
 * never crashes and that an accepted command line has no recipient with
 * a control character in it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "why.h"

#define FUZZ_ARGS_MAX	64

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name[] = "sendmail";
	char *copy = malloc(size + 1), *argv[FUZZ_ARGS_MAX + 2], *p;
	struct cli cli;
	struct why why;
	size_t i;
	int argc = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = name;
	for (p = copy; p <= copy + size && argc <= FUZZ_ARGS_MAX;
	    p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (cli_parse(argc, argv, &cli, &why) == CLI_OK) {
		for (i = 0; i < cli.nrcpts; i++)
			if (strpbrk(cli.rcpts[i], "\r\n") != NULL)
				abort();
		cli_free(&cli);
	}
	free(copy);
	return 0;
}
