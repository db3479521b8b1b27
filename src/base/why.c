#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "why.h"

void
why_set(struct why *w, const char *fmt, ...)
{
	va_list ap;

	if (w == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
}

void
why_errno(struct why *w, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (w == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
	n = strlen(w->text);
	(void)snprintf(w->text + n, sizeof(w->text) - n, ": %s",
	    strerror(saved));
	errno = saved;
}
