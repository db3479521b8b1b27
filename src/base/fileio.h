/*
 * fileio: the two ways minimta reads a file descriptor. fileio_read is
 * read(2) retried after EINTR; fileio_read_all appends everything to a
 * struct buf with a named bound (config, auth_file, aliases, state
 * files). Both return -1 with errno set; EFBIG when the bound is passed.
 */
#ifndef FILEIO_H
#define FILEIO_H

#include <stddef.h>
#include <sys/types.h>

struct buf;

ssize_t	fileio_read(int fd, void *, size_t);
int	fileio_read_all(int fd, size_t max, struct buf *);
/* A read callback for struct submit_source and friends: arg is int *. */
ssize_t	fileio_read_cb(void *arg, char *, size_t);

#endif
