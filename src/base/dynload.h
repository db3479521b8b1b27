/*
 * dynload: loads a shared library with dlopen() and fills a table of its
 * functions with dlsym(), for the libraries minimta needs only when it
 * delivers (OpenSSL in tls.c, c-ares in dns.c; see tls_sym.h). Loading
 * happens once per process; 0, or -1 with why naming the library and the
 * missing name.
 */
#ifndef DYNLOAD_H
#define DYNLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "why.h"

struct dynload_sym {
	const char	*name;
	void		**ptr;	/* where the function's address goes */
};

struct dynload_lib {
	const char	*soname;
	bool		 loaded;
};

int	dynload_open(struct dynload_lib *, const struct dynload_sym *, size_t,
	    struct why *);

#endif
