/*
 * xmalloc: allocation that cannot fail from the caller's point of view.
 * On exhaustion these call fatal(EX_TEMPFAIL, ...): the caller is told to
 * retry and nothing half-written is accepted. The caller owns the result.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

#include "compat.h"

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) PRINTFLIKE(1, 2);

#endif
