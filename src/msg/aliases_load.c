/*
 * aliases_load.c: aliases_load() (see aliases.h), the only part of aliases
 * that does I/O: it reads the aliases file and every :include: file it
 * names and hands their bytes to the pure parser in aliases.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aliases.h"
#include "buf.h"
#include "fileio.h"
#include "why.h"

/* Reads a whole regular file of at most ALIASES_MAX_FILE bytes. */
static int
aliases_read(const char *path, char **text, size_t *len)
{
	struct stat st;
	struct buf b = { 0 };
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if (fileio_read_all(fd, ALIASES_MAX_FILE, &b) == -1)
		goto fail;
	(void)close(fd);	/* read-only: nothing to lose */
	*len = b.len;
	*text = buf_release(&b);
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	buf_free(&b);
	errno = saved;
	return -1;
}

/*
 * Reads every include file not read yet, breadth first: parsing one may
 * name more, which the loop then reaches.
 */
static int
aliases_load_includes(struct aliases *a, struct why *why)
{
	const char *path;
	size_t i, len;
	char *text;
	int depth;
	bool loaded;

	for (i = 0; (path = aliases_include(a, i, &depth, &loaded)) != NULL;
	    i++) {
		if (loaded)
			continue;
		if (depth > ALIASES_MAX_INCLUDE_DEPTH) {
			aliases_include_skipped(a, i, "nested more than %d "
			    "deep", ALIASES_MAX_INCLUDE_DEPTH);
			continue;
		}
		if (aliases_read(path, &text, &len) == -1) {
			aliases_include_skipped(a, i, "%s", strerror(errno));
			continue;
		}
		if (aliases_parse_include(a, path, text, len, why) == -1) {
			free(text);
			return -1;
		}
		free(text);
	}
	return 0;
}

int
aliases_load(const char *path, struct aliases **out, struct why *why)
{
	struct aliases *a;
	size_t len;
	char *text;
	int rc;

	*out = NULL;
	if (aliases_read(path, &text, &len) == -1) {
		why_errno(why, "read %s", path);
		return -1;
	}
	a = aliases_new();
	rc = aliases_parse(a, path, text, len, why);
	free(text);
	if (rc == 0)
		rc = aliases_load_includes(a, why);
	if (rc == -1) {
		aliases_free(a);
		errno = EINVAL;
		return -1;
	}
	*out = a;
	return 0;
}
