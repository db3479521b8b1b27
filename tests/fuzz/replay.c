/*
 * replay.c: runs a libFuzzer target over files named on the command line
 * (the seed corpus and crash reproducers), so that `make check` exercises
 * every fuzz target without clang. A crash or sanitizer report fails it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	main(int, char **);

int
main(int argc, char **argv)
{
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *data;
		long len;

		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0) {
			perror(argv[i]);
			return 1;
		}
		data = malloc((size_t)len + 1);
		if (data == NULL || fread(data, 1, (size_t)len, f) != (size_t)len) {
			perror(argv[i]);
			return 1;
		}
		fclose(f);
		(void)LLVMFuzzerTestOneInput(data, (size_t)len);
		free(data);
		n++;
	}
	printf("replayed %d inputs\n", n);
	return 0;
}
