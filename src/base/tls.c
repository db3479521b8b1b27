/*
 * tls: OpenSSL client contexts and connections. The only file that
 * includes OpenSSL. Every SSL call is preceded by ERR_clear_error() so
 * SSL_get_error() and the reasons we report are about that call only.
 */
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "dynload.h"
#include "log.h"
#include "tls.h"
#include "tls_sym.h"
#include "why.h"
#include "xmalloc.h"

/*
 * OpenSSL 3 reports a peer that closes without close_notify as an error;
 * SMTP frames its own data (a reply is complete at its last line), so we
 * treat it as end of stream, as OpenSSL 1.1 did.
 */
#ifndef SSL_OP_IGNORE_UNEXPECTED_EOF
#define SSL_OP_IGNORE_UNEXPECTED_EOF 0
#endif

struct tls_ctx {
	SSL_CTX		*ctx;
	bool		 dane_ready;	/* SSL_CTX_dane_enable done */
	char		*dane_base;
	struct tls_tlsa	*dane;		/* data owned */
	size_t		 ndane;
};

struct tls_conn {
	SSL	*ssl;
	bool	 enforce;	/* verify_name given: fail the handshake */
	bool	 verified;
	bool	 failed;	/* fatal error: no close_notify */
	bool	 dane;		/* DANE records given */
	bool	 dane_ok;	/* and one matched */
	char	 info[128];
	char	 vtext[256];
};

/*
 * Loads libssl (and with it libcrypto) once; TLS_LIBSSL_SONAME comes from
 * ./configure, which read it off a program linked with -lssl.
 */
static int
tls_sym_load(struct why *why)
{
#define TLS_SYM_ENTRY(name) { #name, (void **)&tls_sym.p_##name },
	static const struct dynload_sym syms[] = {
		TLS_SYM_LIST(TLS_SYM_ENTRY)
	};
#undef TLS_SYM_ENTRY
	static struct dynload_lib lib = { TLS_LIBSSL_SONAME, false };

	return dynload_open(&lib, syms, sizeof(syms) / sizeof(syms[0]), why);
}

/* The reason of the oldest queued OpenSSL error, then clears the queue. */
static void
tls_reason(char *out, size_t outlen)
{
	unsigned long e;
	const char *r;

	e = ERR_peek_error();
	r = e != 0 ? ERR_reason_error_string(e) : NULL;
	if (r != NULL)
		(void)strlcpy(out, r, outlen);
	else if (e != 0)
		(void)snprintf(out, outlen, "OpenSSL error %lx", e);
	else
		(void)strlcpy(out, "unknown OpenSSL error", outlen);
	ERR_clear_error();
}

/* Checks that path can be opened, for a reason better than OpenSSL's. */
static int
tls_check_path(const char *what, const char *path, int flags,
    struct why *why)
{
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	if (fd == -1) {
		why_errno(why, "load %s %s", what, path);
		return -1;
	}
	(void)close(fd);	/* opened read-only to test access */
	return 0;
}

static int
tls_ctx_load(SSL_CTX *ctx, const struct tls_config *cf, struct why *why)
{
	const char *key;
	char r[256];

	if (cf->ca_file != NULL) {
		if (tls_check_path("TLS CA file", cf->ca_file, 0, why) == -1)
			return -1;
		if (SSL_CTX_load_verify_locations(ctx, cf->ca_file, NULL) != 1)
			goto ca_file;
	}
	if (cf->ca_path != NULL) {
		if (tls_check_path("TLS CA directory", cf->ca_path,
		    O_DIRECTORY, why) == -1)
			return -1;
		if (SSL_CTX_load_verify_locations(ctx, NULL, cf->ca_path) != 1)
			goto ca_path;
	}
	if (cf->ca_file == NULL && cf->ca_path == NULL &&
	    SSL_CTX_set_default_verify_paths(ctx) != 1) {
		tls_reason(r, sizeof(r));
		why_set(why, "load default TLS CA store: %s", r);
		return -1;
	}
	if (cf->cert_file == NULL)
		return 0;
	key = cf->key_file != NULL ? cf->key_file : cf->cert_file;
	if (tls_check_path("TLS certificate", cf->cert_file, 0, why) == -1 ||
	    tls_check_path("TLS key", key, 0, why) == -1)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, cf->cert_file) != 1) {
		tls_reason(r, sizeof(r));
		why_set(why, "load TLS certificate %s: %s", cf->cert_file, r);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_reason(r, sizeof(r));
		why_set(why, "load TLS key %s: %s", key, r);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_reason(r, sizeof(r));
		why_set(why, "load TLS key %s: does not match certificate %s: "
		    "%s", key, cf->cert_file, r);
		return -1;
	}
	return 0;
ca_file:
	tls_reason(r, sizeof(r));
	why_set(why, "load TLS CA file %s: %s", cf->ca_file, r);
	return -1;
ca_path:
	tls_reason(r, sizeof(r));
	why_set(why, "load TLS CA directory %s: %s", cf->ca_path, r);
	return -1;
}

struct tls_ctx *
tls_ctx_new(const struct tls_config *cf, struct why *why)
{
	struct tls_ctx *t;
	SSL_CTX *ctx;
	char r[256];

	if (tls_sym_load(why) == -1)
		return NULL;
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		tls_reason(r, sizeof(r));
		why_set(why, "create TLS context: %s", r);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		tls_reason(r, sizeof(r));
		why_set(why, "create TLS context: TLS 1.2 minimum: %s", r);
		SSL_CTX_free(ctx);
		return NULL;
	}
	/*
	 * io.c writes what it can and retries later from a buffer that may
	 * have moved (its write buffer is compacted between flushes).
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (tls_ctx_load(ctx, cf, why) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	return t;
}

static void
tls_dane_clear(struct tls_ctx *t)
{
	size_t i;

	for (i = 0; i < t->ndane; i++)
		free((void *)(uintptr_t)t->dane[i].data);
	free(t->dane);
	free(t->dane_base);
	t->dane = NULL;
	t->dane_base = NULL;
	t->ndane = 0;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	tls_dane_clear(t);
	SSL_CTX_free(t->ctx);
	free(t);
}

int
tls_ctx_dane(struct tls_ctx *t, const char *base, const struct tls_tlsa *v,
    size_t n, struct why *why)
{
	unsigned char *data;
	char r[256];
	size_t i;

	tls_dane_clear(t);
	if (n == 0)
		return 0;
	ERR_clear_error();
	if (!t->dane_ready && SSL_CTX_dane_enable(t->ctx) <= 0) {
		tls_reason(r, sizeof(r));
		why_set(why, "TLS setup: DANE: %s", r);
		return -1;
	}
	t->dane_ready = true;
	t->dane_base = xstrdup(base);
	t->dane = xcalloc(n, sizeof(*t->dane));
	for (i = 0; i < n; i++) {
		t->dane[i] = v[i];
		data = xmalloc(v[i].len > 0 ? v[i].len : 1);
		memcpy(data, v[i].data, v[i].len);
		t->dane[i].data = data;
	}
	t->ndane = n;
	return 0;
}

/*
 * DANE on one connection: 0, -1 (the OpenSSL error queue says why), or
 * -2 when no record is usable.
 */
static int
tls_conn_dane_setup(struct tls_conn *c, const struct tls_ctx *t)
{
	size_t i, usable = 0;

	if (SSL_dane_enable(c->ssl, t->dane_base) <= 0)
		return -1;
	/* RFC 7672 3.1.1: DANE-EE(3) binds the key; no name to check */
	(void)SSL_dane_set_flags(c->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; i < t->ndane; i++) {
		const struct tls_tlsa *a = &t->dane[i];

		/* RFC 7672 3.1.3: PKIX-TA(0)/PKIX-EE(1) are not for SMTP */
		if (a->usage != 2 && a->usage != 3)
			continue;
		/* > 0 usable, 0 unusable (skipped), < 0 an error */
		if (SSL_dane_tlsa_add(c->ssl, a->usage, a->selector, a->mtype,
		    a->data, a->len) > 0)
			usable++;
	}
	ERR_clear_error();	/* unusable records leave errors behind */
	c->dane = true;
	c->enforce = true;
	return usable == 0 ? -2 : 0;
}

static bool
tls_is_ip(const char *name)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, name, &a4) == 1 ||
	    inet_pton(AF_INET6, name, &a6) == 1;
}

/* Sets the name the certificate is checked against. */
static int
tls_set_name(SSL *ssl, const char *name)
{
	X509_VERIFY_PARAM *param;

	param = SSL_get0_param(ssl);
	X509_VERIFY_PARAM_set_hostflags(param,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (tls_is_ip(name))
		return X509_VERIFY_PARAM_set1_ip_asc(param, name);
	return X509_VERIFY_PARAM_set1_host(param, name, 0);
}

struct tls_conn *
tls_conn_new(struct tls_ctx *t, int fd, const char *sni,
    const char *verify_name, struct why *why)
{
	struct tls_conn *c;
	const char *name;
	char r[256];

	ERR_clear_error();
	c = xcalloc(1, sizeof(*c));
	c->ssl = SSL_new(t->ctx);
	if (c->ssl == NULL)
		goto fail;
	if (SSL_set_fd(c->ssl, fd) != 1)
		goto fail;
	SSL_set_connect_state(c->ssl);
	if (sni != NULL && !tls_is_ip(sni) &&
	    SSL_set_tlsext_host_name(c->ssl, sni) != 1)
		goto fail;
	if (t->ndane > 0) {
		/* the TLSA base domain is the name (SSL_dane_enable) */
		switch (tls_conn_dane_setup(c, t)) {
		case 0:
			break;
		case -2:
			why_set(why, "TLS setup: no usable DANE TLSA record");
			tls_conn_free(c);
			return NULL;
		default:
			goto fail;
		}
		SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
		(void)strlcpy(c->vtext, "no certificate", sizeof(c->vtext));
		return c;
	}
	/* Without a verify name, still check the SNI name for the log. */
	name = verify_name != NULL ? verify_name : sni;
	if (name != NULL && tls_set_name(c->ssl, name) != 1)
		goto fail;
	c->enforce = verify_name != NULL;
	SSL_set_verify(c->ssl, c->enforce ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	(void)strlcpy(c->vtext, "no certificate", sizeof(c->vtext));
	return c;
fail:
	tls_reason(r, sizeof(r));
	why_set(why, "TLS setup: %s", r);
	tls_conn_free(c);
	return NULL;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	free(c);
}

/*
 * Maps the result of an SSL call to ours. 0 means end of stream. saved
 * is errno right after the call.
 */
static int
tls_result(struct tls_conn *c, int ret, int saved, const char *action,
    struct why *why)
{
	char r[256];
	long vr;

	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		return 0;
	case SSL_ERROR_SYSCALL:
		c->failed = true;
		ERR_clear_error();
		if (ret < 0 && saved != 0) {
			errno = saved;
			why_errno(why, "%s", action);
		} else {
			why_set(why, "%s: connection closed by server",
			    action);
		}
		return TLS_ERROR;
	default:
		c->failed = true;
		vr = SSL_get_verify_result(c->ssl);
		if (c->enforce && vr != X509_V_OK) {
			ERR_clear_error();
			why_set(why, "%s: certificate verify failed: %s",
			    action, X509_verify_cert_error_string(vr));
			return TLS_ERROR;
		}
		tls_reason(r, sizeof(r));
		why_set(why, "%s: %s", action, r);
		return TLS_ERROR;
	}
}

/* Fills info and the verify text once the handshake is done. */
static void
tls_describe(struct tls_conn *c)
{
	uint8_t usage, selector, mtype;
	long vr;

	(void)snprintf(c->info, sizeof(c->info), "%s with cipher %s",
	    SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
	vr = SSL_get_verify_result(c->ssl);
	if (SSL_get0_peer_certificate(c->ssl) == NULL) {
		(void)strlcpy(c->vtext, "no certificate", sizeof(c->vtext));
		c->verified = false;
	} else if (vr == X509_V_OK && c->dane &&
	    SSL_get0_dane_authority(c->ssl, NULL, NULL) >= 0 &&
	    SSL_get0_dane_tlsa(c->ssl, &usage, &selector, &mtype, NULL,
	    NULL) >= 0) {
		(void)snprintf(c->vtext, sizeof(c->vtext),
		    "certificate verified by DANE (TLSA %u %u %u)", usage,
		    selector, mtype);
		c->verified = true;
		c->dane_ok = true;
	} else if (vr == X509_V_OK) {
		(void)strlcpy(c->vtext, "certificate verified",
		    sizeof(c->vtext));
		c->verified = true;
	} else {
		(void)snprintf(c->vtext, sizeof(c->vtext),
		    "certificate verify failed: %s",
		    X509_verify_cert_error_string(vr));
		c->verified = false;
	}
}

int
tls_conn_handshake(struct tls_conn *c, struct why *why)
{
	int ret, r;

	ERR_clear_error();
	errno = 0;
	ret = SSL_connect(c->ssl);
	if (ret == 1) {
		tls_describe(c);
		return 0;
	}
	r = tls_result(c, ret, errno, "TLS handshake", why);
	if (r == 0) {
		c->failed = true;
		why_set(why, "TLS handshake: connection closed by server");
		return TLS_ERROR;
	}
	return r;
}

ssize_t
tls_conn_read(struct tls_conn *c, void *p, size_t len, struct why *why)
{
	size_t done = 0;
	int ret;

	ERR_clear_error();
	errno = 0;
	ret = SSL_read_ex(c->ssl, p, len, &done);
	if (ret == 1)
		return (ssize_t)done;
	return tls_result(c, ret, errno, "TLS read", why);
}

ssize_t
tls_conn_write(struct tls_conn *c, const void *p, size_t len,
    struct why *why)
{
	size_t done = 0;
	int ret, r;

	ERR_clear_error();
	errno = 0;
	ret = SSL_write_ex(c->ssl, p, len, &done);
	if (ret == 1)
		return (ssize_t)done;
	r = tls_result(c, ret, errno, "TLS write", why);
	if (r == 0) {
		c->failed = true;
		why_set(why, "TLS write: connection closed by server");
		return TLS_ERROR;
	}
	return r;
}

int
tls_conn_shutdown(struct tls_conn *c)
{
	int ret;

	/* After a fatal error or before the handshake, there is nothing to
	 * close politely (SSL_shutdown would fail anyway). */
	if (c->failed || !SSL_is_init_finished(c->ssl))
		return 0;
	ERR_clear_error();
	ret = SSL_shutdown(c->ssl);
	if (ret >= 0)
		return 0;
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	default:
		ERR_clear_error();
		c->failed = true;
		return TLS_ERROR;
	}
}

const char *
tls_conn_info(const struct tls_conn *c)
{
	return c->info[0] != '\0' ? c->info : NULL;
}

const char *
tls_conn_verify_text(const struct tls_conn *c)
{
	return c->vtext;
}

bool
tls_conn_verified(const struct tls_conn *c)
{
	return c->verified;
}

bool
tls_conn_dane(const struct tls_conn *c)
{
	return c->dane_ok;
}

/* The base64 alphabet, for the checks EVP_DecodeBlock does not make. */
static int
tls_b64_value(char c)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(tab, c) : NULL;

	return p != NULL ? (int)(p - tab) : -1;
}

int
tls_base64_encode(struct buf *out, const void *in, size_t len,
    struct why *why)
{
	size_t n = (len + 2) / 3 * 4;
	int got;

	if (len > TLS_BASE64_MAX) {
		why_set(why, "base64: %zu bytes is too long", len);
		return -1;
	}
	if (tls_sym_load(why) == -1)
		return -1;
	if (len == 0)
		return 0;
	/* EVP_EncodeBlock writes a NUL after the text */
	buf_reserve(out, n + 1);
	got = EVP_EncodeBlock((unsigned char *)out->data + out->len, in,
	    (int)len);
	if (got < 0 || (size_t)got != n)
		panic("EVP_EncodeBlock: %d bytes for %zu", got, len);
	out->len += n;
	out->data[out->len] = '\0';
	return 0;
}

int
tls_base64_decode(struct buf *out, const char *in, size_t len,
    struct why *why)
{
	size_t i, pad = 0, n = len / 4 * 3;
	int got;

	if (len > TLS_BASE64_MAX) {
		why_set(why, "base64: %zu bytes is too long", len);
		return -1;
	}
	if (tls_sym_load(why) == -1)
		return -1;
	/*
	 * Strict, as RFC 4648 3.3 asks of SASL: whole groups, padding only
	 * at the end; EVP_DecodeBlock would skip white space, and it counts
	 * the padding as zero bytes.
	 */
	while (pad < 2 && pad < len && in[len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < len - pad; i++)
		if (tls_b64_value(in[i]) < 0)
			break;
	/* and no bits past the data (RFC 4648 3.5) */
	if (len % 4 != 0 || i != len - pad || (pad > 0 &&
	    (tls_b64_value(in[i - 1]) & (pad == 1 ? 3 : 15)) != 0)) {
		why_set(why, "base64: malformed");
		return -1;
	}
	if (len == 0)
		return 0;
	buf_reserve(out, n + 1);
	got = EVP_DecodeBlock((unsigned char *)out->data + out->len,
	    (const unsigned char *)in, (int)len);
	if (got < 0 || (size_t)got != n) {
		why_set(why, "base64: malformed");
		return -1;
	}
	out->len += n - pad;
	out->data[out->len] = '\0';
	return 0;
}
