/*
 * test_auth: base64 through OpenSSL (tls_base64_*: RFC 4648 section 10
 * vectors and bad input), and the PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER
 * responses (Google's documented XOAUTH2 example, RFC 7628 4.1's).
 */
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "tls.h"
#include "unit.h"
#include "why.h"

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
	"Zh==", "Zm9=", "Zm-v", "=Zm9", "Zm=v", "====", "Zg==\n", " Zg==",
	"Zm9v\r\n",
};

static void
test_base64(void)
{
	struct why why;
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		buf_reset(&b);
		UNIT_INT(vectors[i].b64, tls_base64_encode(&b,
		    vectors[i].plain, strlen(vectors[i].plain), &why), 0);
		UNIT_STR(vectors[i].b64, buf_cstr(&b), vectors[i].b64);
		buf_reset(&b);
		UNIT_INT(vectors[i].b64, tls_base64_decode(&b,
		    vectors[i].b64, strlen(vectors[i].b64), &why), 0);
		UNIT_STR(vectors[i].b64, buf_cstr(&b), vectors[i].plain);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		UNIT_INT(bad[i], tls_base64_decode(&b, bad[i],
		    strlen(bad[i]), &why), -1);
	}
	/* NUL bytes survive both ways. */
	buf_reset(&b);
	UNIT_INT("nul encode", tls_base64_encode(&b, "\0a\0", 3, &why), 0);
	UNIT_STR("nul encode", buf_cstr(&b), "AGEA");
	buf_reset(&b);
	UNIT_INT("nul decode", tls_base64_decode(&b, "AGEA", 4, &why), 0);
	UNIT_CHECK("nul decode", b.len == 3 && memcmp(b.data, "\0a\0", 3) == 0,
	    "got %zu bytes", b.len);
	/* Appends. */
	buf_reset(&b);
	buf_adds(&b, "AUTH PLAIN ");
	UNIT_INT("appends", tls_base64_encode(&b, "x", 1, &why), 0);
	UNIT_STR("appends", buf_cstr(&b), "AUTH PLAIN eA==");
	buf_free(&b);
}

static void
test_mechanisms(void)
{
	struct why why;
	struct buf b;

	buf_init(&b);
	/* RFC 4616 example shape: NUL user NUL password. */
	UNIT_INT("plain", auth_plain(&b, "tim", "tanstaaftanstaaf", &why), 0);
	UNIT_STR("plain", buf_cstr(&b), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	buf_reset(&b);
	(void)auth_plain(&b, "user@example.org", "p\xc3\xa4ss word", &why);
	UNIT_STR("plain utf-8", buf_cstr(&b),
	    "AHVzZXJAZXhhbXBsZS5vcmcAcMOkc3Mgd29yZA==");
	buf_reset(&b);
	UNIT_INT("login user", auth_login_response(&b, 0, "tim", "secret",
	    &why), 0);
	UNIT_STR("login user", buf_cstr(&b), "dGlt");
	buf_reset(&b);
	UNIT_INT("login pass", auth_login_response(&b, 1, "tim", "secret",
	    &why), 0);
	UNIT_STR("login pass", buf_cstr(&b), "c2VjcmV0");
	buf_reset(&b);
	UNIT_INT("login third", auth_login_response(&b, 2, "tim", "secret",
	    &why), -1);
	UNIT_INT("login third writes nothing", b.len, 0);
	UNIT_INT("login empty", auth_login_response(&b, 1, "tim", "", &why),
	    0);
	UNIT_STR("login empty", buf_cstr(&b), "");
	buf_free(&b);
}

static const struct {
	const char	*name;
	const char	*user, *host;
	int		 port;
	const char	*token;
	const char	*want;		/* NULL: refused */
} bearer[] = {
	{ "rfc 7628 4.1", "user@example.com", "server.example.com", 143,
	    "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
	    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBv"
	    "cnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1s"
	    "emRHRXVZMjl0Q2c9PQEB" },
	/* RFC 5801 5.1: ',' and '=' in the authzid */
	{ "saslname escapes", "a=b,c", "h", 587, "t",
	    "bixhPWE9M0RiPTJDYywBaG9zdD1oAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHQBAQ==" },
	{ "user with ^A", "a\001b", "h", 587, "t", NULL },
	{ "token with ^A", "a", "h", 587, "t\001auth=x", NULL },
	{ "host with newline", "a", "h\nx", 587, "t", NULL },
};

static void
test_oauth(void)
{
	struct why why;
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b);
	/* Google's documented example */
	UNIT_INT("xoauth2", auth_xoauth2(&b, "someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", &why), 0);
	UNIT_STR("xoauth2", buf_cstr(&b), "dXNlcj1zb21ldXNlckBleGFtcGxlLmNv"
	    "bQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1s"
	    "emRHRXVZMjl0Q2cBAQ==");
	buf_reset(&b);
	UNIT_INT("xoauth2 ^A in token", auth_xoauth2(&b, "u", "a\001b", &why),
	    -1);
	UNIT_INT("xoauth2 ^A writes nothing", b.len, 0);
	for (i = 0; i < sizeof(bearer) / sizeof(bearer[0]); i++) {
		buf_reset(&b);
		rc = auth_oauthbearer(&b, bearer[i].user, bearer[i].host,
		    bearer[i].port, bearer[i].token, &why);
		UNIT_INT(bearer[i].name, rc, bearer[i].want ? 0 : -1);
		if (rc == 0)
			UNIT_STR(bearer[i].name, buf_cstr(&b), bearer[i].want);
	}
	/* the server's error (RFC 7628 3.2.2) */
	buf_reset(&b);
	UNIT_INT("challenge", auth_challenge(&b, "eyJzdGF0dXMiOiI0MDEiLCJzY2hl"
	    "bWVzIjoiYmVhcmVyIn0=", 48, &why), 0);
	UNIT_STR("challenge", buf_cstr(&b),
	    "{\"status\":\"401\",\"schemes\":\"bearer\"}");
	buf_reset(&b);
	UNIT_INT("challenge not base64", auth_challenge(&b, "5.7.8 no", 8,
	    &why), -1);
	UNIT_CHECK("token ok", auth_token_ok("ya29.a0-_~+/="), "ya29");
	UNIT_CHECK("token empty", !auth_token_ok(""), "empty");
	UNIT_CHECK("token space", !auth_token_ok("a b"), "space");
	UNIT_CHECK("token newline", !auth_token_ok("a\nb"), "newline");
	UNIT_CHECK("token 8-bit", !auth_token_ok("a\xc3\xa9"), "8-bit");
	buf_reset(&b);
	for (i = 0; i < AUTH_TOKEN_MAX; i++)
		buf_addc(&b, 'a');
	UNIT_CHECK("token at the limit", auth_token_ok(b.data), "%zu", b.len);
	buf_addc(&b, 'a');
	UNIT_CHECK("token past the limit", !auth_token_ok(b.data), "%zu",
	    b.len);
	buf_free(&b);
}

int
main(void)
{
	test_base64();
	test_mechanisms();
	test_oauth();
	return unit_done("auth");
}
