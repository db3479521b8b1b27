/*
 * test_tls: io_starttls and tls.c against a real OpenSSL server in a forked
 * child on 127.0.0.1. Keys and certificates are made at run time with the
 * openssl command into a mkdtemp directory (removed at the end): a test
 * CA, a server certificate for localhost and 127.0.0.1, an expired one,
 * one for a wrong name, a self-signed one, another CA and a client
 * certificate. The test includes OpenSSL itself only for the server side.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "io.h"
#include "net.h"
#include "tls.h"
#include "why.h"

#include "unit.h"

static char dir[] = "/tmp/minimta-tls.XXXXXX";

static const char cnf[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "prompt = no\n"
    "[dn]\n"
    "CN = minimta test\n"
    "[ca_ext]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[srv_ext]\n"
    "basicConstraints = CA:FALSE\n"
    "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
    "extendedKeyUsage = serverAuth\n"
    "[wrong_ext]\n"
    "basicConstraints = CA:FALSE\n"
    "subjectAltName = DNS:wrong.example\n"
    "extendedKeyUsage = serverAuth\n"
    "[client_ext]\n"
    "basicConstraints = CA:FALSE\n"
    "extendedKeyUsage = clientAuth\n";

static char *
path(const char *name)
{
	static char p[8][256];
	static int i;

	i = (i + 1) % 8;
	(void)snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* Runs openssl with argv (no shell), output into dir/openssl.log. */
static void
run_openssl(const char *const *argv)
{
	pid_t pid;
	int st, fd;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fd = open(path("openssl.log"), O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0600);
		if (fd != -1) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
		}
		execvp("openssl", (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		printf("ERROR openssl %s failed; see %s\n", argv[1],
		    path("openssl.log"));
		exit(2);
	}
}

static void
make_key_csr(const char *name, const char *cn)
{
	char key[64], csr[64], subj[128];

	(void)snprintf(key, sizeof(key), "%s.key", name);
	(void)snprintf(csr, sizeof(csr), "%s.csr", name);
	(void)snprintf(subj, sizeof(subj), "/CN=%s", cn);
	run_openssl((const char *[]){ "openssl", "req", "-config",
	    path("openssl.cnf"), "-new", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-keyout", path(key), "-out",
	    path(csr), "-subj", subj, NULL });
}

static void
make_signed(const char *name, const char *cn, const char *ca,
    const char *ext, const char *days, const char *serial)
{
	char crt[64], csr[64], cacrt[64], cakey[64];

	make_key_csr(name, cn);
	(void)snprintf(crt, sizeof(crt), "%s.crt", name);
	(void)snprintf(csr, sizeof(csr), "%s.csr", name);
	(void)snprintf(cacrt, sizeof(cacrt), "%s.crt", ca);
	(void)snprintf(cakey, sizeof(cakey), "%s.key", ca);
	run_openssl((const char *[]){ "openssl", "x509", "-req", "-in",
	    path(csr), "-CA", path(cacrt), "-CAkey", path(cakey),
	    "-set_serial", serial, "-days", days, "-extfile",
	    path("openssl.cnf"), "-extensions", ext, "-out", path(crt),
	    NULL });
}

static void
make_self(const char *name, const char *cn, const char *ext)
{
	char crt[64], key[64], subj[128];

	(void)snprintf(crt, sizeof(crt), "%s.crt", name);
	(void)snprintf(key, sizeof(key), "%s.key", name);
	(void)snprintf(subj, sizeof(subj), "/CN=%s", cn);
	run_openssl((const char *[]){ "openssl", "req", "-config",
	    path("openssl.cnf"), "-x509", "-new", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-keyout", path(key), "-out",
	    path(crt), "-subj", subj, "-days", "2", "-extensions", ext, NULL });
}

static void
make_pki(void)
{
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	f = fopen(path("openssl.cnf"), "we");
	if (f == NULL || fputs(cnf, f) == EOF || fclose(f) != 0) {
		perror("openssl.cnf");
		exit(2);
	}
	make_self("ca", "minimta test CA", "ca_ext");
	make_self("otherca", "other test CA", "ca_ext");
	make_self("self", "localhost", "srv_ext");
	make_signed("srv", "localhost", "ca", "srv_ext", "2", "2");
	make_signed("wrong", "wrong.example", "ca", "wrong_ext", "2", "3");
	/* -days -1: notAfter a day before notBefore (now): expired. */
	make_signed("expired", "localhost", "ca", "srv_ext", "-1", "4");
	make_signed("client", "client.example", "ca", "client_ext", "2", "5");
}

static void
remove_pki(void)
{
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			(void)unlink(path(de->d_name));
	}
	(void)closedir(d);
	(void)rmdir(dir);
}

/* ---- the server ---- */

enum srv_mode {
	SRV_IMPLICIT,		/* TLS at once */
	SRV_STARTTLS,		/* 220, STARTTLS, 220 go, TLS */
	SRV_INJECT,		/* ... "220 go\r\n250 injected\r\n" */
	SRV_MUTE,		/* accept, say nothing */
};

struct srv {
	enum srv_mode	 mode;
	const char	*cert;		/* srv, wrong, expired, self */
	bool		 want_client;	/* require a client certificate */
	pid_t		 pid;
	struct sockaddr_in sin;
};

static int
fd_getline(int fd, char *b, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		if (read(fd, b + n, 1) != 1)
			return -1;
		if (b[n++] == '\n')
			break;
	}
	b[n] = '\0';
	return 0;
}

static int
ssl_getline(SSL *ssl, char *b, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		if (SSL_read(ssl, b + n, 1) != 1)
			return -1;
		if (b[n++] == '\n')
			break;
	}
	b[n] = '\0';
	return 0;
}

static int
ssl_puts(SSL *ssl, const char *s)
{
	return SSL_write(ssl, s, (int)strlen(s)) == (int)strlen(s) ? 0 : -1;
}

/* After the handshake: a tiny command protocol to test data both ways. */
static int
srv_session(SSL *ssl)
{
	char line[256], b[16384];
	const char *sni;
	X509 *peer;
	long n, got, want;
	uint32_t h;
	int r, i;

	sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	peer = SSL_get1_peer_certificate(ssl);
	(void)snprintf(line, sizeof(line), "220 sni=%s client=%s\r\n",
	    sni != NULL ? sni : "none", peer != NULL ? "yes" : "none");
	X509_free(peer);
	if (ssl_puts(ssl, line) == -1)
		return 10;
	for (;;) {
		if (ssl_getline(ssl, line, sizeof(line)) == -1)
			return 11;
		if (sscanf(line, "BIG %ld", &want) == 1) {
			unit_msleep(300);	/* let the client's writes block */
			h = 2166136261u;
			for (got = 0; got < want; got += r) {
				n = want - got < (long)sizeof(b) ?
				    want - got : (long)sizeof(b);
				r = SSL_read(ssl, b, (int)n);
				if (r <= 0)
					return 12;
				h = unit_fnv(h, b, (size_t)r);
			}
			(void)snprintf(line, sizeof(line), "250 %ld %08x\r\n",
			    got, (unsigned)h);
			if (ssl_puts(ssl, line) == -1)
				return 13;
		} else if (sscanf(line, "SEND %ld", &want) == 1) {
			for (i = 0; i < want; i++) {
				(void)snprintf(line, sizeof(line),
				    "%07d some data from the server\r\n", i);
				if (ssl_puts(ssl, line) == -1)
					return 14;
			}
			if (ssl_puts(ssl, ".\r\n") == -1)
				return 15;
		} else if (strcmp(line, "QUIT\r\n") == 0) {
			if (ssl_puts(ssl, "221 bye\r\n") == -1)
				return 16;
			/* The client's close_notify, then EOF. */
			r = SSL_read(ssl, b, sizeof(b));
			return r == 0 &&
			    SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN ?
			    0 : 17;
		} else {
			return 18;
		}
	}
}

static int
srv_tls(const struct srv *s, int fd)
{
	char cert[64], key[64];
	SSL_CTX *ctx;
	SSL *ssl;
	int rc;

	(void)snprintf(cert, sizeof(cert), "%s.crt", s->cert);
	(void)snprintf(key, sizeof(key), "%s.key", s->cert);
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, path(cert)) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, path(key), SSL_FILETYPE_PEM) != 1)
		return 20;
	if (s->want_client) {
		if (SSL_CTX_load_verify_locations(ctx, path("ca.crt"), NULL) !=
		    1)
			return 21;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1)
		return 22;
	/* A failed handshake is what some cases want: the client checks. */
	rc = SSL_accept(ssl) == 1 ? srv_session(ssl) : 0;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return rc;
}

static int
srv_run(const struct srv *s, int fd)
{
	char line[256], b[4096];
	long extra = 0;
	ssize_t n;

	if (s->mode == SRV_MUTE) {
		while (read(fd, b, sizeof(b)) > 0)
			;
		return 0;
	}
	if (s->mode == SRV_IMPLICIT)
		return srv_tls(s, fd);
	if (write(fd, "220 plain\r\n", 11) != 11 ||
	    fd_getline(fd, line, sizeof(line)) == -1 ||
	    strcmp(line, "STARTTLS\r\n") != 0)
		return 30;
	if (s->mode == SRV_STARTTLS) {
		if (write(fd, "220 go\r\n", 8) != 8)
			return 31;
		return srv_tls(s, fd);
	}
	/* SRV_INJECT: one write, then nothing may come from the client. */
	if (write(fd, "220 go\r\n250 injected\r\n", 22) != 22)
		return 32;
	while ((n = read(fd, b, sizeof(b))) > 0)
		extra += n;
	return extra == 0 ? 0 : 33;
}

static void
srv_start(struct srv *s)
{
	socklen_t len = sizeof(s->sin);
	int lfd, cfd, small = 16 * 1024;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&s->sin, 0, sizeof(s->sin));
	s->sin.sin_family = AF_INET;
	s->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (lfd == -1 ||
	    bind(lfd, (struct sockaddr *)&s->sin, sizeof(s->sin)) == -1 ||
	    listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&s->sin, &len) == -1) {
		perror("listen");
		exit(2);
	}
	fflush(stdout);
	s->pid = fork();
	if (s->pid == -1) {
		perror("fork");
		exit(2);
	}
	if (s->pid == 0) {
		cfd = accept(lfd, NULL, NULL);
		_exit(cfd == -1 ? 40 : srv_run(s, cfd));
	}
	(void)close(lfd);
}

static int
srv_wait(const struct srv *s)
{
	int st;

	while (waitpid(s->pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static struct io *
srv_connect(const struct srv *s)
{
	struct why why;
	struct io *io;
	int fd;

	fd = net_connect((const struct sockaddr *)&s->sin, sizeof(s->sin),
	    "localhost", 2000, &why);
	if (fd == -1) {
		printf("ERROR connect: %s\n", why.text);
		exit(2);
	}
	io = io_new(fd);
	io_set_timeout(io, 10000);
	return io;
}

static struct tls_ctx *
ctx_with_ca(const char *ca)
{
	struct tls_config cf = { path(ca), NULL, NULL, NULL };
	struct tls_ctx *ctx;
	struct why why;

	ctx = tls_ctx_new(&cf, &why);
	if (ctx == NULL) {
		printf("ERROR tls_ctx_new: %s\n", why.text);
		exit(2);
	}
	return ctx;
}

/* ---- cases ---- */

/* Implicit TLS handshake; returns io_starttls's result, why filled. */
static int
try_implicit(const char *cert, const char *ca, const char *sni,
    const char *verify, struct why *why, int *srv_rc)
{
	struct srv s = { SRV_IMPLICIT, cert, false, 0, { 0 } };
	struct tls_ctx *ctx = ctx_with_ca(ca);
	struct buf line = { 0 };
	struct io *io;
	int rc;

	srv_start(&s);
	io = srv_connect(&s);
	rc = io_starttls(io, ctx, sni, verify, why);
	if (rc == 0) {
		/* Prove the session works, then quit politely. */
		if (io_getline(io, &line, 512, why) == 0)
			(void)snprintf(why->text, sizeof(why->text), "%s | %s",
			    line.data, io_tls_verify(io));
		io_printf(io, "QUIT\r\n");
		if (io_flush(io, why) == -1 ||
		    io_getline(io, &line, 512, why) == -1)
			rc = -2;
	}
	io_free(io);
	*srv_rc = srv_wait(&s);
	tls_ctx_free(ctx);
	buf_free(&line);
	return rc;
}

/* SHA-256 of a certificate (selector 0) or its key (selector 1). */
static void
cert_digest(const char *name, int selector, unsigned char out[32])
{
	unsigned char *der = NULL;
	unsigned int n = 0;
	X509 *x = NULL;
	FILE *f;
	int len;

	f = fopen(path(name), "r");
	if (f == NULL || (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		printf("ERROR read %s\n", name);
		exit(2);
	}
	(void)fclose(f);
	len = selector == 0 ? i2d_X509(x, &der) :
	    i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0 || EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(),
	    NULL) != 1 || n != 32) {
		printf("ERROR digest %s\n", name);
		exit(2);
	}
	OPENSSL_free(der);
	X509_free(x);
}

/*
 * Implicit TLS with DANE records v[0..n) for base (tls_ctx_dane); the CA
 * store holds otherca only, so PKIX alone cannot succeed.
 */
static int
try_dane(const char *cert, const char *base, const struct tls_tlsa *v,
    size_t n, struct why *why, int *srv_rc)
{
	struct srv s = { SRV_IMPLICIT, cert, false, 0, { 0 } };
	struct tls_ctx *ctx = ctx_with_ca("otherca.crt");
	struct buf line = { 0 };
	struct io *io;
	int rc;

	if (tls_ctx_dane(ctx, base, v, n, why) == -1) {
		tls_ctx_free(ctx);
		*srv_rc = 0;
		return -3;
	}
	srv_start(&s);
	io = srv_connect(&s);
	rc = io_starttls(io, ctx, base, NULL, why);
	if (rc == 0) {
		if (io_getline(io, &line, 512, why) == 0)
			(void)snprintf(why->text, sizeof(why->text),
			    "%s | %s%s", line.data, io_tls_verify(io),
			    io_tls_dane(io) ? " | dane" : "");
		io_printf(io, "QUIT\r\n");
		if (io_flush(io, why) == -1 ||
		    io_getline(io, &line, 512, why) == -1)
			rc = -2;
	}
	io_free(io);
	*srv_rc = srv_wait(&s);
	tls_ctx_free(ctx);
	buf_free(&line);
	return rc;
}

static void
test_dane(void)
{
	unsigned char spki[32], wrong[32], full[32];
	struct tls_tlsa r[2];
	struct why why;
	int rc, src;

	cert_digest("self.crt", 1, spki);
	cert_digest("wrong.crt", 1, wrong);
	cert_digest("self.crt", 0, full);

	/* DANE-EE(3) SPKI SHA-256: a self-signed certificate passes */
	r[0] = (struct tls_tlsa){ 3, 1, 1, spki, 32 };
	rc = try_dane("self", "localhost", r, 1, &why, &src);
	UNIT_INT("dane-ee rc", rc, 0);
	UNIT_STR("dane-ee", why.text, "220 sni=localhost client=none | "
	    "certificate verified by DANE (TLSA 3 1 1) | dane");
	UNIT_INT("dane-ee server", src, 0);

	/* DANE-EE(3) Cert: the same, whatever the name (RFC 7672 3.1.1) */
	r[0] = (struct tls_tlsa){ 3, 0, 1, full, 32 };
	rc = try_dane("self", "mx.elsewhere.example", r, 1, &why, &src);
	UNIT_INT("dane-ee cert other name rc", rc, 0);

	/* a record of another key: refused */
	r[0] = (struct tls_tlsa){ 3, 1, 1, wrong, 32 };
	rc = try_dane("self", "localhost", r, 1, &why, &src);
	UNIT_INT("dane mismatch rc", rc, -1);
	UNIT_CHECK("dane mismatch", strcasecmp(why.text, "TLS handshake: "
	    "certificate verify failed: no matching DANE TLSA records") == 0,
	    "got \"%s\"", why.text);

	/* one record of two matches */
	r[1] = (struct tls_tlsa){ 3, 1, 1, spki, 32 };
	rc = try_dane("self", "localhost", r, 2, &why, &src);
	UNIT_INT("dane second matches rc", rc, 0);

	/* only a PKIX-EE(1) record: nothing usable, no connection */
	r[0] = (struct tls_tlsa){ 1, 1, 1, spki, 32 };
	rc = try_dane("self", "localhost", r, 1, &why, &src);
	UNIT_INT("dane unusable rc", rc, -1);
	UNIT_STR("dane unusable", why.text,
	    "TLS setup: no usable DANE TLSA record");

	/* n == 0: DANE off again, PKIX as before (otherca: fails) */
	r[0] = (struct tls_tlsa){ 3, 1, 1, spki, 32 };
	rc = try_dane("srv", "localhost", r, 0, &why, &src);
	UNIT_INT("dane off rc", rc, 0);
	UNIT_STR("dane off", why.text, "220 sni=localhost client=none | "
	    "certificate verify failed: unable to get local issuer "
	    "certificate");
}

static void
test_verify(void)
{
	char want[256];
	struct why why;
	int rc, src;

	rc = try_implicit("srv", "ca.crt", "localhost", "localhost", &why,
	    &src);
	UNIT_INT("verified rc", rc, 0);
	UNIT_STR("verified", why.text,
	    "220 sni=localhost client=none | certificate verified");
	UNIT_INT("verified server", src, 0);

	/* IP literal: no SNI, checked against the IP SAN. */
	rc = try_implicit("srv", "ca.crt", "127.0.0.1", "127.0.0.1", &why,
	    &src);
	UNIT_INT("ip rc", rc, 0);
	UNIT_STR("ip", why.text, "220 sni=none client=none | "
	    "certificate verified");
	UNIT_INT("ip server", src, 0);

	rc = try_implicit("srv", "otherca.crt", "localhost", "localhost",
	    &why, &src);
	UNIT_INT("unknown ca rc", rc, -1);
	UNIT_STR("unknown ca", why.text, "TLS handshake: certificate verify "
	    "failed: unable to get local issuer certificate");

	rc = try_implicit("wrong", "ca.crt", "localhost", "localhost", &why,
	    &src);
	UNIT_INT("wrong name rc", rc, -1);
	UNIT_STR("wrong name", why.text,
	    "TLS handshake: certificate verify failed: hostname mismatch");

	rc = try_implicit("srv", "ca.crt", "localhost", "10.1.2.3", &why,
	    &src);
	UNIT_INT("wrong ip rc", rc, -1);
	UNIT_STR("wrong ip", why.text, "TLS handshake: certificate verify "
	    "failed: IP address mismatch");

	rc = try_implicit("expired", "ca.crt", "localhost", "localhost", &why,
	    &src);
	UNIT_INT("expired rc", rc, -1);
	UNIT_STR("expired", why.text, "TLS handshake: certificate verify "
	    "failed: certificate has expired");

	rc = try_implicit("self", "ca.crt", "localhost", "localhost", &why,
	    &src);
	UNIT_INT("self-signed rc", rc, -1);
	(void)snprintf(want, sizeof(want), "TLS handshake: certificate verify "
	    "failed: %s", X509_verify_cert_error_string(
	    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT));
	UNIT_STR("self-signed", why.text, want);

	/* Verify off: the handshake succeeds, the log still learns why. */
	rc = try_implicit("self", "ca.crt", "localhost", NULL, &why, &src);
	UNIT_INT("no verify rc", rc, 0);
	(void)snprintf(want, sizeof(want), "220 sni=localhost client=none | "
	    "certificate verify failed: %s", X509_verify_cert_error_string(
	    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT));
	UNIT_STR("no verify", why.text, want);
	UNIT_INT("no verify server", src, 0);

	rc = try_implicit("wrong", "ca.crt", "localhost", NULL, &why, &src);
	UNIT_INT("no verify wrong rc", rc, 0);
	UNIT_STR("no verify wrong", why.text, "220 sni=localhost client=none | "
	    "certificate verify failed: hostname mismatch");

	rc = try_implicit("srv", "ca.crt", NULL, NULL, &why, &src);
	UNIT_INT("no name rc", rc, 0);
	UNIT_STR("no name", why.text,
	    "220 sni=none client=none | certificate verified");
}

static void
test_starttls_data(void)
{
	struct srv s = { SRV_STARTTLS, "srv", false, 0, { 0 } };
	struct tls_ctx *ctx = ctx_with_ca("ca.crt");
	struct buf line = { 0 }, want = { 0 }, exp = { 0 };
	uint32_t h = 2166136261u, hs = 2166136261u;
	long big = 5 * 1024 * 1024, t0, dt;
	const char *info;
	struct why why;
	struct io *io;
	char *block;
	int rc, n, bad = 0;

	srv_start(&s);
	io = srv_connect(&s);
	UNIT_INT("st greeting", io_getline(io, &line, 512, &why), 0);
	UNIT_STR("st greeting", buf_cstr(&line), "220 plain");
	io_printf(io, "STARTTLS\r\n");
	UNIT_INT("st flush", io_flush(io, &why), 0);
	UNIT_INT("st 220", io_getline(io, &line, 512, &why), 0);
	UNIT_STR("st 220", buf_cstr(&line), "220 go");
	UNIT_CHECK("st plain", !io_is_tls(io) && io_tls_info(io) == NULL,
	    "TLS before the handshake");
	rc = io_starttls(io, ctx, "localhost", "localhost", &why);
	UNIT_CHECK("st handshake", rc == 0, "%s", why.text);
	UNIT_CHECK("st is tls", io_is_tls(io), "not TLS");
	UNIT_CHECK("st verified", io_tls_verified(io), "%s",
	    io_tls_verify(io));
	info = io_tls_info(io);
	UNIT_CHECK("st info", info != NULL &&
	    strncmp(info, "TLSv1.3 with cipher TLS_", 24) == 0, "%s",
	    info != NULL ? info : "(null)");
	UNIT_INT("st banner", io_getline(io, &line, 512, &why), 0);
	UNIT_STR("st banner", buf_cstr(&line), "220 sni=localhost client=none");

	/* Client to server: 5 MiB through a slow reader (SSL_write WANTs). */
	block = malloc((size_t)big);
	for (n = 0; n < big; n++)
		block[n] = (char)(n * 7 + n / 4096);
	h = unit_fnv(h, block, (size_t)big);
	io_printf(io, "BIG %ld\r\n", big);
	t0 = unit_now_ms();
	io_write(io, block, (size_t)big);
	free(block);
	UNIT_INT("st big flush", io_flush(io, &why), 0);
	dt = unit_now_ms() - t0;
	UNIT_CHECK("st big waited", dt >= 250, "%ld ms", dt);
	buf_printf(&want, "250 %ld %08x", big, (unsigned)h);
	UNIT_INT("st big reply", io_getline(io, &line, 512, &why), 0);
	UNIT_STR("st big reply", buf_cstr(&line), want.data);

	/* Server to client: 100000 lines (3.5 MB) through io_getline. */
	io_printf(io, "SEND %d\r\n", 100000);
	UNIT_INT("st send flush", io_flush(io, &why), 0);
	for (n = 0; ; n++) {
		if (io_getline(io, &line, 512, &why) == -1) {
			bad++;
			break;
		}
		if (strcmp(line.data, ".") == 0)
			break;
		buf_reset(&exp);
		buf_printf(&exp, "%07d some data from the server", n);
		if (strcmp(line.data, exp.data) != 0)
			bad++;
		hs = unit_fnv(hs, line.data, line.len);
	}
	UNIT_INT("st lines", n, 100000);
	UNIT_INT("st lines bad", bad, 0);
	io_printf(io, "QUIT\r\n");
	UNIT_INT("st quit flush", io_flush(io, &why), 0);
	UNIT_INT("st quit", io_getline(io, &line, 512, &why), 0);
	UNIT_STR("st quit", buf_cstr(&line), "221 bye");
	io_free(io);
	UNIT_INT("st server", srv_wait(&s), 0);
	tls_ctx_free(ctx);
	buf_free(&line);
	buf_free(&want);
	buf_free(&exp);
}

static void
test_inject(void)
{
	struct srv s = { SRV_INJECT, "srv", false, 0, { 0 } };
	struct tls_ctx *ctx = ctx_with_ca("ca.crt");
	struct buf line = { 0 };
	struct why why;
	struct io *io;

	srv_start(&s);
	io = srv_connect(&s);
	UNIT_INT("inj greeting", io_getline(io, &line, 512, &why), 0);
	io_printf(io, "STARTTLS\r\n");
	UNIT_INT("inj flush", io_flush(io, &why), 0);
	UNIT_INT("inj 220", io_getline(io, &line, 512, &why), 0);
	UNIT_STR("inj 220", buf_cstr(&line), "220 go");
	UNIT_INT("inj pending", io_pending(io), 14);
	UNIT_INT("inj rc", io_starttls(io, ctx, "localhost", "localhost",
	    &why), -1);
	UNIT_STR("inj why", why.text,
	    "STARTTLS: server sent data after its 220 reply");
	UNIT_CHECK("inj not tls", !io_is_tls(io), "TLS after refusal");
	/* Nothing more may be read or sent on it. */
	UNIT_INT("inj after", io_getline(io, &line, 512, &why), -1);
	io_free(io);
	/* The server saw no ClientHello (no byte after STARTTLS). */
	UNIT_INT("inj server", srv_wait(&s), 0);
	tls_ctx_free(ctx);
	buf_free(&line);
}

static void
test_handshake_timeout(void)
{
	struct srv s = { SRV_MUTE, "srv", false, 0, { 0 } };
	struct tls_ctx *ctx = ctx_with_ca("ca.crt");
	struct why why;
	struct io *io;
	long t0, dt;

	srv_start(&s);
	io = srv_connect(&s);
	io_set_timeout(io, 300);
	t0 = unit_now_ms();
	UNIT_INT("hs timeout rc", io_starttls(io, ctx, "localhost",
	    "localhost", &why), -1);
	dt = unit_now_ms() - t0;
	UNIT_STR("hs timeout", why.text,
	    "timeout after 0.3 s in TLS handshake");
	UNIT_CHECK("hs timeout bounded", dt >= 280 && dt < 1000, "%ld ms", dt);
	t0 = unit_now_ms();
	io_free(io);
	UNIT_CHECK("hs free quick", unit_now_ms() - t0 < 500, "io_free waited");
	UNIT_INT("hs server", srv_wait(&s), 0);
	tls_ctx_free(ctx);
}

static void
test_client_cert(void)
{
	struct srv s = { SRV_IMPLICIT, "srv", true, 0, { 0 } };
	struct tls_config cf = { NULL, NULL, NULL, NULL };
	struct tls_ctx *ctx;
	struct buf line = { 0 };
	struct why why;
	struct io *io;

	cf.ca_file = path("ca.crt");
	cf.cert_file = path("client.crt");
	cf.key_file = path("client.key");
	ctx = tls_ctx_new(&cf, &why);
	UNIT_CHECK("client ctx", ctx != NULL, "%s", why.text);
	if (ctx == NULL)
		return;
	srv_start(&s);
	io = srv_connect(&s);
	UNIT_INT("client hs", io_starttls(io, ctx, "localhost", "localhost",
	    &why), 0);
	UNIT_INT("client banner", io_getline(io, &line, 512, &why), 0);
	UNIT_STR("client banner", buf_cstr(&line),
	    "220 sni=localhost client=yes");
	io_printf(io, "QUIT\r\n");
	UNIT_INT("client quit", io_flush(io, &why), 0);
	UNIT_INT("client 221", io_getline(io, &line, 512, &why), 0);
	io_free(io);
	UNIT_INT("client server", srv_wait(&s), 0);
	tls_ctx_free(ctx);
	buf_free(&line);
}

static void
test_ctx_errors(void)
{
	struct tls_config cf = { NULL, NULL, NULL, NULL };
	struct tls_ctx *ctx;
	char want[512];
	struct why why;

	cf.ca_file = "/nonexistent/ca.pem";
	ctx = tls_ctx_new(&cf, &why);
	UNIT_CHECK("no ca", ctx == NULL, "context made");
	UNIT_STR("no ca", why.text, "load TLS CA file /nonexistent/ca.pem: "
	    "No such file or directory");

	cf.ca_file = path("openssl.cnf");
	ctx = tls_ctx_new(&cf, &why);
	UNIT_CHECK("bad ca", ctx == NULL, "context made");
	(void)snprintf(want, sizeof(want), "load TLS CA file %s: ",
	    path("openssl.cnf"));
	UNIT_CHECK("bad ca why", strncmp(why.text, want, strlen(want)) == 0 &&
	    strlen(why.text) > strlen(want), "%s", why.text);

	cf.ca_file = NULL;
	cf.ca_path = "/nonexistent";
	ctx = tls_ctx_new(&cf, &why);
	UNIT_STR("no ca dir", why.text, "load TLS CA directory /nonexistent: "
	    "No such file or directory");
	tls_ctx_free(ctx);

	cf.ca_path = dir;
	cf.cert_file = path("client.crt");
	cf.key_file = path("wrong.key");
	ctx = tls_ctx_new(&cf, &why);
	UNIT_CHECK("key mismatch", ctx == NULL, "context made");
	(void)snprintf(want, sizeof(want), "load TLS key %s: key values "
	    "mismatch", path("wrong.key"));
	UNIT_STR("key mismatch why", why.text, want);

	cf.key_file = path("missing.key");
	ctx = tls_ctx_new(&cf, &why);
	(void)snprintf(want, sizeof(want), "load TLS key %s: No such file or "
	    "directory", path("missing.key"));
	UNIT_STR("no key", why.text, want);
	tls_ctx_free(ctx);

	/* The system store, no client certificate: fine. */
	memset(&cf, 0, sizeof(cf));
	ctx = tls_ctx_new(&cf, &why);
	UNIT_CHECK("default ctx", ctx != NULL, "%s", why.text);
	tls_ctx_free(ctx);
	tls_ctx_free(NULL);
}

int
main(void)
{
	/* As main() does: OpenSSL writes with write(2). */
	(void)signal(SIGPIPE, SIG_IGN);
	make_pki();
	test_ctx_errors();
	test_verify();
	test_dane();
	test_starttls_data();
	test_inject();
	test_handshake_timeout();
	test_client_cert();
	remove_pki();
	return unit_done("tls");
}
