/*
 * unit.h: the tiny harness of the table-driven unit tests. Each check
 * counts as one test; a failure prints its name, what we got and what we
 * wanted. unit_done() prints "unit NAME: P passed, F failed" (tests/run-all.sh
 * adds these up) and gives the exit status.
 */
#ifndef UNIT_H
#define UNIT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int unit_passed, unit_failed;

#define UNIT_CHECK(name, cond, ...) do {				\
	if (cond) {							\
		unit_passed++;						\
	} else {							\
		unit_failed++;						\
		printf("FAIL %s: ", (name));				\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

#define UNIT_STR(name, got, want) do {					\
	const char *unit_g_ = (got), *unit_w_ = (want);			\
	UNIT_CHECK((name), (unit_g_ == NULL && unit_w_ == NULL) ||	\
	    (unit_g_ != NULL && unit_w_ != NULL &&			\
	    strcmp(unit_g_, unit_w_) == 0),				\
	    "got \"%s\", want \"%s\"", unit_g_ ? unit_g_ : "(null)",	\
	    unit_w_ ? unit_w_ : "(null)");				\
} while (0)

#define UNIT_INT(name, got, want) do {					\
	long long unit_g_ = (long long)(got), unit_w_ = (long long)(want); \
	UNIT_CHECK((name), unit_g_ == unit_w_, "got %lld, want %lld",	\
	    unit_g_, unit_w_);						\
} while (0)

/* Monotonic milliseconds, for tests that bound how long a call takes. */
static inline long
unit_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms milliseconds (test servers pacing their side only). */
static inline void
unit_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* FNV-1a over n bytes, chained through h: compares big transfers. */
static inline uint32_t
unit_fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n-- > 0)
		h = (h ^ *s++) * 16777619u;
	return h;
}

static inline int
unit_done(const char *prog)
{
	printf("unit %s: %d passed, %d failed\n", prog, unit_passed,
	    unit_failed);
	return unit_failed == 0 ? 0 : 1;
}

#endif
