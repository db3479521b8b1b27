#include <dlfcn.h>

#include "dynload.h"

int
dynload_open(struct dynload_lib *lib, const struct dynload_sym *syms,
    size_t n, struct why *why)
{
	const char *err;
	void *h;
	size_t i;

	if (lib->loaded)
		return 0;
	if ((h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		why_set(why, "load %s: %s", lib->soname, err ? err :
		    "unknown error");
		return -1;
	}
	/* the handle also searches the library's own dependencies */
	for (i = 0; i < n; i++) {
		if ((*syms[i].ptr = dlsym(h, syms[i].name)) == NULL) {
			why_set(why, "load %s: no %s", lib->soname,
			    syms[i].name);
			(void)dlclose(h);
			return -1;
		}
	}
	lib->loaded = true;
	return 0;
}
