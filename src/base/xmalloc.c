#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "xmalloc.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal(EX_TEMPFAIL, "malloc: %zu bytes: out of memory", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatal(EX_TEMPFAIL, "calloc: %zu x %zu: out of memory", nmemb,
		    size);
	return p;
}

void *
xreallocarray(void *old, size_t nmemb, size_t size)
{
	void *p = reallocarray(old, nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatal(EX_TEMPFAIL, "realloc: %zu x %zu: out of memory", nmemb,
		    size);
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal(EX_TEMPFAIL, "strdup: out of memory");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		fatal(EX_TEMPFAIL, "strndup: out of memory");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal(EX_TEMPFAIL, "asprintf: out of memory");
	return p;
}
