/*
 * why: the reason text a leaf module gives its caller along with a result
 * class. Caller-owned, fixed size; the text is one line, already cleaned.
 */
#ifndef WHY_H
#define WHY_H

#include "compat.h"

struct why {
	char	text[512];
};

void	why_set(struct why *, const char *, ...) PRINTFLIKE(2, 3);
/* Like why_set, appending ": strerror(errno)". */
void	why_errno(struct why *, const char *, ...) PRINTFLIKE(2, 3);

#endif
