/*
 * fuzz_authfile: authfile_parse over arbitrary bytes, then a lookup of
 * each parsed host. No crash, leak or out-of-bounds read; an account has
 * a password or an absolute token command, never both.
 */
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "authfile.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct authfile *a;
	struct why why;
	struct authfile_account acct;
	const char *u, *p;

	a = authfile_parse("fuzz", (const char *)data, len, &why);
	if (a != NULL && authfile_find(a, "relay.example.org", 587, NULL,
	    &acct) == 0 && ((acct.pass == NULL) == (acct.token_cmd == NULL) ||
	    (acct.token_cmd != NULL && acct.token_cmd[0][0] != '/')))
		abort();
	if (a != NULL) {
		(void)authfile_lookup(a, "relay.example.org", 587, NULL, &u,
		    &p);
		(void)authfile_lookup(a, "[::1]", 25, "me", &u, &p);
	} else if (strlen(why.text) == 0)
		return 1;	/* an error always says why */
	authfile_free(a);
	return 0;
}
