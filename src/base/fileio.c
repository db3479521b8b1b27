#include <errno.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"

#define FILEIO_CHUNK	65536

ssize_t
fileio_read(int fd, void *p, size_t n)
{
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r == -1 && errno == EINTR);
	return r;
}

int
fileio_read_all(int fd, size_t max, struct buf *b)
{
	size_t start = b->len;
	ssize_t r;

	for (;;) {
		buf_reserve(b, FILEIO_CHUNK);
		if ((r = fileio_read(fd, b->data + b->len, FILEIO_CHUNK)) == -1)
			return -1;
		if (r == 0)
			return 0;
		if (b->len - start + (size_t)r > max) {
			errno = EFBIG;
			return -1;
		}
		b->len += (size_t)r;
		b->data[b->len] = '\0';
	}
}

ssize_t
fileio_read_cb(void *arg, char *p, size_t n)
{
	return fileio_read(*(int *)arg, p, n);
}
