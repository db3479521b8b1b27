/*
 * tls: the client side of TLS (OpenSSL), behind opaque handles. Only
 * tls.c includes OpenSSL; io.c drives a struct tls_conn over a
 * non-blocking socket and the SMTP code only sees struct io.
 *
 * Contexts: TLS 1.2 minimum, the system's default ciphers, the CA file
 * and/or directory from the config (the system default store when
 * neither is given), an optional client certificate. A context may serve
 * many connections; free it after them.
 *
 * Verification (RFC 6125 via OpenSSL): when a verify name is given, the
 * chain must verify against the CA store and the certificate must match
 * the name (DNS name, or IP address for an IP literal); otherwise the
 * handshake fails. Without one the handshake succeeds whatever the
 * certificate, and tls_conn_verify_text() still tells the log what the
 * check found (chain, and the SNI name if any). SNI is sent for host
 * names, never for IP literals.
 *
 * SIGPIPE: OpenSSL writes to the socket with write(2), so a peer that
 * resets the connection would raise SIGPIPE. main() ignores SIGPIPE
 * (signal(SIGPIPE, SIG_IGN)) before any connection; tests do the same.
 */
#ifndef TLS_H
#define TLS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "compat.h"

struct buf;
struct why;

struct tls_config {
	const char	*ca_file;	/* PEM bundle, or NULL */
	const char	*ca_path;	/* hashed directory, or NULL */
	const char	*cert_file;	/* client certificate chain, or NULL */
	const char	*key_file;	/* its key; NULL: inside cert_file */
};

struct tls_ctx;		/* SSL_CTX, client side */

/* One TLSA record (RFC 6698 2.1), borrowed. */
struct tls_tlsa {
	unsigned char		 usage, selector, mtype;
	const unsigned char	*data;
	size_t			 len;
};
struct tls_conn;	/* one SSL on an fd; used only by io.c */

/* Results of the non-blocking steps (besides >= 0 for success). */
enum {
	TLS_ERROR = -1,		/* why says what failed */
	TLS_WANT_READ = -2,	/* poll for POLLIN, then call again */
	TLS_WANT_WRITE = -3,	/* poll for POLLOUT, then call again */
};

/* NULL with why ("load TLS CA file /x: ...") on bad CA, cert or key. */
struct tls_ctx *tls_ctx_new(const struct tls_config *, struct why *);
void	tls_ctx_free(struct tls_ctx *);

/*
 * DANE (RFC 7672) for the connections made from ctx from now on, until
 * called again (n == 0 turns it off): the certificate must match one of
 * the n TLSA records v (DANE-TA(2) or DANE-EE(3); the caller leaves the
 * others out, RFC 7672 3.1.3) and, for DANE-TA, the name base (the MX
 * host, the TLSA base domain); DANE-EE records skip the name check (RFC
 * 7672 3.1.1). base and v are copied into each connection at
 * tls_conn_new(). -1 with why when OpenSSL refuses a record set.
 */
int	tls_ctx_dane(struct tls_ctx *, const char *base,
	    const struct tls_tlsa *v, size_t n, struct why *);

/*
 * One client connection on fd (not owned: the caller closes it after
 * tls_conn_free). sni: the server's name for SNI (NULL or an IP literal:
 * none sent). verify_name: the name or IP literal the certificate must
 * match, NULL not to verify. Both strings are copied.
 */
struct tls_conn *tls_conn_new(struct tls_ctx *, int fd, const char *sni,
	    const char *verify_name, struct why *);
void	tls_conn_free(struct tls_conn *);

/*
 * A handshake step: 0 done, TLS_WANT_READ/TLS_WANT_WRITE, or TLS_ERROR
 * with why ("TLS handshake: certificate verify failed: hostname mismatch").
 */
int	tls_conn_handshake(struct tls_conn *, struct why *);

/*
 * Read and write: the number of bytes done (> 0), 0 for end of stream
 * (read only: close_notify, or the peer closing without one),
 * TLS_WANT_READ/TLS_WANT_WRITE, or TLS_ERROR with why ("TLS read: ...").
 * Writes may be partial (one record); after a WANT, call again with the
 * same bytes (the buffer may have moved).
 */
ssize_t	tls_conn_read(struct tls_conn *, void *, size_t, struct why *);
ssize_t	tls_conn_write(struct tls_conn *, const void *, size_t,
	    struct why *);

/*
 * Sends close_notify: 0 sent, TLS_WANT_READ/TLS_WANT_WRITE, TLS_ERROR.
 * Does not wait for the peer's close_notify.
 */
int	tls_conn_shutdown(struct tls_conn *);

/*
 * After the handshake, for logs; borrowed until tls_conn_free.
 * info: "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384".
 * verify text: "certificate verified" (the chain, and the verify name or
 * else the SNI name when there is one), else "certificate verify failed:
 * unable to get local issuer certificate" (after the colon, OpenSSL's X509
 * reason: "hostname mismatch", "certificate has expired", "self-signed
 * certificate", ...), or "no certificate".
 */
const char *tls_conn_info(const struct tls_conn *);
const char *tls_conn_verify_text(const struct tls_conn *);
bool	tls_conn_verified(const struct tls_conn *);
/* The handshake verified the peer with DANE (a TLSA record matched). */
bool	tls_conn_dane(const struct tls_conn *);

/*
 * base64 (RFC 4648 section 4) through OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock, for SASL (auth.c): AUTH runs over TLS, so OpenSSL is
 * loaded anyway (these load it if not). Both append to out and return 0,
 * or -1 with why: OpenSSL could not be loaded, the input is longer than
 * TLS_BASE64_MAX, or (decode) it is not strict base64: whole groups of
 * four, padding only at the end, no white space.
 */
#define TLS_BASE64_MAX	(1024 * 1024)
int	tls_base64_encode(struct buf *, const void *, size_t, struct why *);
int	tls_base64_decode(struct buf *, const char *, size_t, struct why *);

#endif
