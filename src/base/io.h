/*
 * io: one connection to a server: a non-blocking fd, optional TLS, a read
 * buffer and a write buffer. Every read operation and every flush has a
 * deadline (io_set_timeout) enforced with poll; EINTR is retried within
 * it. Writes are buffered and go out in large writes (io_flush, or by
 * themselves past IO_WBUF_MAX), so a pipelined command group or a chunk of
 * message data costs one write, not one per line.
 *
 * Reasons (struct why, one line) for the caller's log:
 *   "connection closed by server"
 *   "timeout after 300 s reading from server"
 *   "timeout after 300 s writing to server"
 *   "line too long (more than 512 bytes)"
 *   "read from server: Connection reset by peer"
 *   "write to server: Broken pipe"
 *   "TLS read: ..." / "TLS write: ..." (OpenSSL's reason)
 *   "TLS handshake: certificate verify failed: hostname mismatch"
 *   "STARTTLS: server sent data after its 220 reply"
 *
 * SIGPIPE: plain writes use MSG_NOSIGNAL, but OpenSSL writes with write(2);
 * main() ignores SIGPIPE before any connection, and io relies on that.
 * RFC 3207 (STARTTLS) section 4.2: data read before the TLS handshake is
 * refused, never carried into the TLS session.
 */
#ifndef IO_H
#define IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"

struct buf;
struct tls_ctx;
struct why;

/* The write buffer is flushed by io_write itself when it reaches this. */
#define IO_WBUF_MAX	(64 * 1024)
/* The deadline before io_set_timeout is called. */
#define IO_TIMEOUT_DEFAULT	(300 * 1000)

struct io;

/* Takes ownership of fd (closed by io_free); makes it non-blocking. */
struct io *io_new(int fd);
/*
 * Sends TLS close_notify (best effort, at most 2 s or the timeout if
 * shorter), then closes the fd. Unflushed output is dropped. NULL ok.
 */
void	io_free(struct io *);
/* Deadline in ms for each following read operation or flush. */
void	io_set_timeout(struct io *, int ms);

/*
 * Reads one line ending in LF; CRLF or LF is removed. out is reset first.
 * A line longer than max bytes (terminator not counted) fails with "line
 * too long"; reading stops there, the connection is then unusable. Also
 * fails at EOF, on timeout or error. Returns 0, or -1 with why.
 */
int	io_getline(struct io *, struct buf *out, size_t max, struct why *);
/*
 * The same with a deadline of the caller's (net_deadline()), so that
 * several lines (a multi-line reply) share one: a server sending a line
 * now and then cannot hold the connection past it.
 */
int	io_getline_until(struct io *, struct buf *out, size_t max,
	    int64_t deadline, struct why *);

/*
 * Reads everything until the peer closes (max bytes at most: more fails
 * with "more than N bytes from server"), all within one deadline (the
 * io_set_timeout one). out is reset first. 0, or -1 with why.
 */
int	io_read_all(struct io *, struct buf *out, size_t max, struct why *);

/*
 * Buffers bytes for writing. Once the buffer holds IO_WBUF_MAX bytes it is
 * written out (within the deadline); a failure then is remembered, later
 * writes are dropped, and the next io_flush reports it.
 */
void	io_write(struct io *, const void *, size_t);
void	io_printf(struct io *, const char *, ...) PRINTFLIKE(2, 3);
/* Writes everything buffered within the deadline; 0, or -1 with why. */
int	io_flush(struct io *, struct why *);
/* Bytes read from the peer but not yet consumed. */
size_t	io_pending(const struct io *);
/*
 * True if an idle connection looks usable: not failed, nothing unread,
 * and the peer has sent nothing (a 421 or a close) since. A look, no
 * wait: for a session kept open between batches.
 */
bool	io_idle_ok(const struct io *);

/*
 * Switches to TLS (STARTTLS after the 220 reply, RFC 3207; or at once for
 * implicit TLS). Fails if io_pending() > 0 ("STARTTLS: server sent data
 * after its 220 reply"), before sending anything, or if output is still
 * buffered. sni: server name for SNI (IP literal or NULL: none);
 * verify_host: name (or IP literal) the certificate must match with a
 * chain to the context's CAs, NULL not to verify. The handshake has the
 * read deadline. Returns 0, or -1 with why; after a failure the
 * connection is unusable (only io_free).
 */
int	io_starttls(struct io *, struct tls_ctx *, const char *sni,
	    const char *verify_host, struct why *);
bool	io_is_tls(const struct io *);
/* "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384", or NULL without TLS. */
const char *io_tls_info(const struct io *);
/*
 * "certificate verified" or "certificate verify failed: REASON" (see
 * tls.h), or NULL without TLS; borrowed until io_free.
 */
const char *io_tls_verify(const struct io *);
/* True when the certificate verified (chain and the name checked). */
bool	io_tls_verified(const struct io *);
/* True when DANE verified it (tls_ctx_dane). */
bool	io_tls_dane(const struct io *);

/*
 * Optional trace hook for `sendmail -v`: called with each line read
 * ('<', terminator removed) and each chunk given to io_write ('>'),
 * as bytes that are not NUL-terminated and not cleaned. NULL turns it off.
 */
void	io_set_trace(struct io *, void (*)(void *arg, char dir,
	    const char *data, size_t len), void *arg);

#endif
