/*
 * fuzz_fail.h: FUZZ_FAIL() names the broken invariant (file and line)
 * on stderr and aborts, so that a crash file says which check it broke.
 */
#ifndef FUZZ_FAIL_H
#define FUZZ_FAIL_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_FAIL()	(fprintf(stderr, "%s:%d: invariant broken\n", \
			    __FILE__, __LINE__), abort())

#endif
