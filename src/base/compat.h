/*
 * compat.h: platform differences, kept out of function bodies.
 * libbsd's overlay (pkg-config libbsd-overlay) supplies strlcpy, strlcat,
 * strtonum and reallocarray through the usual headers.
 */
#ifndef COMPAT_H
#define COMPAT_H

#include "config.h"

#include <stdlib.h>
#include <string.h>

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))

#endif
