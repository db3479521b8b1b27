/*
 * buf: a growable byte buffer for untrusted data. len is authoritative;
 * data is always NUL-terminated past len for convenience, but may hold
 * NUL bytes inside. Growth goes through xreallocarray (fatal on OOM).
 * A zeroed struct buf is a valid empty buffer; buf_free() releases it.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "compat.h"

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	buf_init(struct buf *);
void	buf_free(struct buf *);
void	buf_reset(struct buf *);
void	buf_reserve(struct buf *, size_t);
void	buf_add(struct buf *, const void *, size_t);
void	buf_addc(struct buf *, char);
void	buf_adds(struct buf *, const char *);
void	buf_printf(struct buf *, const char *, ...) PRINTFLIKE(2, 3);
void	buf_vprintf(struct buf *, const char *, va_list) PRINTFLIKE(2, 0);
/* s as a JSON string: quotes, backslashes and control characters
 * escaped (mailq -j, mailq -s -j). */
void	buf_add_json(struct buf *, const char *);
void	buf_consume(struct buf *, size_t);
/* Returns data as a C string (never NULL, even for an empty buffer). */
const char *buf_cstr(struct buf *);
/* Gives back what was reserved past the data (and its NUL). */
void	buf_shrink(struct buf *);
/* Hands the data to the caller (who frees it) and empties the buffer. */
char	*buf_release(struct buf *);

#endif
