/* temporary: modes not written yet */
#include <sysexits.h>
#include "modes.h"
int mode_smtp_stdio(const struct cli *c, const struct conf *f) { (void)c; (void)f; return EX_SOFTWARE; }
int mode_aliases(const struct cli *c, const struct conf *f) { (void)c; (void)f; return EX_SOFTWARE; }
int mode_verify(const struct cli *c, const struct conf *f) { (void)c; (void)f; return EX_SOFTWARE; }
