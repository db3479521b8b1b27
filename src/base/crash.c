#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

static const char *crash_stage_now = "submit";

/* MINIMTA_CRASH_AT, read once: the point's name and its hit count. */
static struct {
	bool		 loaded;
	const char	*name;		/* NULL: no crash wanted */
	size_t		 len;
	long		 hits_left;
} crash_want;

static bool
crash_armed(void)
{
	const char *s, *colon;

	if (!crash_want.loaded) {
		crash_want.loaded = true;
		s = getenv("MINIMTA_CRASH_AT");
		if (s != NULL && *s != '\0') {
			colon = strchr(s, ':');
			crash_want.name = s;
			crash_want.len = colon ? (size_t)(colon - s) :
			    strlen(s);
			crash_want.hits_left = colon ?
			    strtol(colon + 1, NULL, 10) : 1;
		}
	}
	return crash_want.name != NULL;
}

const char *
crash_stage(const char *stage)
{
	const char *old = crash_stage_now;

	crash_stage_now = stage;
	return old;
}

void
crash_point(const char *name)
{
	if (!crash_armed() || strlen(name) != crash_want.len ||
	    memcmp(name, crash_want.name, crash_want.len) != 0)
		return;
	if (--crash_want.hits_left > 0)
		return;
	(void)fflush(NULL);
	(void)raise(SIGKILL);
}

void
crash_step(const char *step)
{
	char name[128];

	if (!crash_armed())
		return;
	(void)snprintf(name, sizeof(name), "%s.%s", crash_stage_now, step);
	crash_point(name);
}
