/*
 * test_auth: base64 (RFC 4648 section 10 vectors and bad input), and the
 * PLAIN and LOGIN responses.
 */
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "unit.h"

int	main(void);

static const struct {
	const char	*plain;
	const char	*b64;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
	{ "\xff\xfe\xfd", "//79" },
	{ "\xfb\xff", "+/8=" },
};

static const char *bad[] = {
	"Zg=", "Zg", "Z===", "Zm9v=Zm9", "Zg==Zg==", "Zm 9v", "Zm9v\n",
	"Zh==", "Zm9=", "Zm-v", "=Zm9", "Zm=v",
};

static void
test_base64(void)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		buf_reset(&b);
		auth_base64_encode(&b, vectors[i].plain,
		    strlen(vectors[i].plain));
		UNIT_STR(vectors[i].b64, buf_cstr(&b), vectors[i].b64);
		buf_reset(&b);
		UNIT_INT(vectors[i].b64, auth_base64_decode(&b,
		    vectors[i].b64, strlen(vectors[i].b64)), 0);
		UNIT_STR(vectors[i].b64, buf_cstr(&b), vectors[i].plain);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		UNIT_INT(bad[i], auth_base64_decode(&b, bad[i],
		    strlen(bad[i])), -1);
	}
	/* NUL bytes survive both ways. */
	buf_reset(&b);
	auth_base64_encode(&b, "\0a\0", 3);
	UNIT_STR("nul encode", buf_cstr(&b), "AGEA");
	buf_reset(&b);
	UNIT_INT("nul decode", auth_base64_decode(&b, "AGEA", 4), 0);
	UNIT_CHECK("nul decode", b.len == 3 && memcmp(b.data, "\0a\0", 3) == 0,
	    "got %zu bytes", b.len);
	/* Appends. */
	buf_reset(&b);
	buf_adds(&b, "AUTH PLAIN ");
	auth_base64_encode(&b, "x", 1);
	UNIT_STR("appends", buf_cstr(&b), "AUTH PLAIN eA==");
	buf_free(&b);
}

static void
test_mechanisms(void)
{
	struct buf b;

	buf_init(&b);
	/* RFC 4616 example shape: NUL user NUL password. */
	auth_plain(&b, "tim", "tanstaaftanstaaf");
	UNIT_STR("plain", buf_cstr(&b), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	buf_reset(&b);
	auth_plain(&b, "user@example.org", "p\xc3\xa4ss word");
	UNIT_STR("plain utf-8", buf_cstr(&b),
	    "AHVzZXJAZXhhbXBsZS5vcmcAcMOkc3Mgd29yZA==");
	buf_reset(&b);
	UNIT_INT("login user", auth_login_response(&b, 0, "tim", "secret"), 0);
	UNIT_STR("login user", buf_cstr(&b), "dGlt");
	buf_reset(&b);
	UNIT_INT("login pass", auth_login_response(&b, 1, "tim", "secret"), 0);
	UNIT_STR("login pass", buf_cstr(&b), "c2VjcmV0");
	buf_reset(&b);
	UNIT_INT("login third", auth_login_response(&b, 2, "tim", "secret"),
	    -1);
	UNIT_INT("login third writes nothing", b.len, 0);
	UNIT_INT("login empty", auth_login_response(&b, 1, "tim", ""), 0);
	UNIT_STR("login empty", buf_cstr(&b), "");
	buf_free(&b);
}

int
main(void)
{
	test_base64();
	test_mechanisms();
	return unit_done("auth");
}
