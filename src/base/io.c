/*
 * io: buffered line I/O over a non-blocking socket, plain or TLS. Each
 * operation tries the read or write first and polls only when the socket
 * (or OpenSSL) says it would block, so data OpenSSL already holds is never
 * waited for.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "net.h"
#include "tls.h"
#include "why.h"
#include "xmalloc.h"

/* One read: a full TLS record (16 KiB) or a good share of a socket buffer. */
#define IO_READ_CHUNK	(16 * 1024)
/* The bound on sending close_notify when the connection is freed. */
#define IO_CLOSE_MS	2000

struct io {
	int		 fd;
	struct tls_conn	*tls;
	bool		 tls_up;	/* handshake done */
	struct buf	 rbuf;
	size_t		 rpos;		/* consumed prefix of rbuf */
	struct buf	 wbuf;
	int		 timeout_ms;
	bool		 dead;		/* a failure left it unusable */
	bool		 eof;		/* the peer closed its side */
	struct why	 dead_why;
	void		(*trace)(void *, char, const char *, size_t);
	void		*trace_arg;
};

struct io *
io_new(int fd)
{
	struct io *io;
	int fl;

	io = xcalloc(1, sizeof(*io));
	io->fd = fd;
	io->timeout_ms = IO_TIMEOUT_DEFAULT;
	buf_init(&io->rbuf);
	buf_init(&io->wbuf);
	/* net_connect's sockets already are; a socket from elsewhere may not
	 * be, and a blocking read would ignore our deadlines. */
	fl = fcntl(fd, F_GETFL);
	if (fl != -1 && (fl & O_NONBLOCK) == 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return io;
}

void
io_free(struct io *io)
{
	int64_t deadline;
	int r, ms;

	if (io == NULL)
		return;
	if (io->tls != NULL) {
		ms = io->timeout_ms;
		if (ms > IO_CLOSE_MS)
			ms = IO_CLOSE_MS;
		deadline = net_deadline(ms);
		while (io->tls_up && !io->dead) {
			r = tls_conn_shutdown(io->tls);
			if (r != TLS_WANT_READ && r != TLS_WANT_WRITE)
				break;
			if (net_wait(io->fd, r == TLS_WANT_READ ? POLLIN :
			    POLLOUT, deadline) != 1)
				break;
		}
		tls_conn_free(io->tls);
	}
	/* A read-write socket: close cannot lose data we still care about. */
	(void)close(io->fd);
	buf_free(&io->rbuf);
	buf_free(&io->wbuf);
	free(io);
}

void
io_set_timeout(struct io *io, int ms)
{
	io->timeout_ms = ms > 0 ? ms : 0;
}

void
io_set_trace(struct io *io, void (*fn)(void *, char, const char *, size_t),
    void *arg)
{
	io->trace = fn;
	io->trace_arg = arg;
}

size_t
io_pending(const struct io *io)
{
	return io->rbuf.len - io->rpos;
}

bool
io_is_tls(const struct io *io)
{
	return io->tls_up;
}

const char *
io_tls_info(const struct io *io)
{
	return io->tls_up ? tls_conn_info(io->tls) : NULL;
}

const char *
io_tls_verify(const struct io *io)
{
	return io->tls_up ? tls_conn_verify_text(io->tls) : NULL;
}

bool
io_tls_verified(const struct io *io)
{
	return io->tls_up && tls_conn_verified(io->tls);
}

bool
io_tls_dane(const struct io *io)
{
	return io->tls_up && tls_conn_dane(io->tls);
}

/* Marks the connection unusable; later operations report why. */
static int
io_die(struct io *io, const struct why *why)
{
	io->dead = true;
	if (why != NULL)
		io->dead_why = *why;
	buf_reset(&io->wbuf);
	return -1;
}

static void
io_timeout(struct io *io, const char *doing, struct why *why)
{
	char secs[32];

	net_fmt_secs(io->timeout_ms, secs, sizeof(secs));
	why_set(why, "timeout after %s %s", secs, doing);
}

/*
 * Waits for what a TLS or socket call asked for. Returns 0 to retry the
 * call, -1 with why on timeout (doing: "reading from server") or error.
 */
static int
io_wait(struct io *io, short ev, int64_t deadline, const char *doing,
    struct why *why)
{
	switch (net_wait(io->fd, ev, deadline)) {
	case 1:
		return 0;
	case 0:
		io_timeout(io, doing, why);
		return -1;
	default:
		why_errno(why, "poll");
		return -1;
	}
}

/*
 * Reads one chunk into rbuf (after dropping its consumed prefix). Returns
 * 1, or -1 with why at EOF, on error or timeout.
 */
static int
io_fill(struct io *io, int64_t deadline, struct why *why)
{
	size_t room;
	ssize_t n;
	short ev;

	if (io->rpos > 0) {
		buf_consume(&io->rbuf, io->rpos);
		io->rpos = 0;
	}
	buf_reserve(&io->rbuf, IO_READ_CHUNK);
	room = io->rbuf.cap - io->rbuf.len - 1;
	for (;;) {
		if (io->tls != NULL) {
			n = tls_conn_read(io->tls, io->rbuf.data + io->rbuf.len,
			    room, why);
			if (n == TLS_ERROR)
				return io_die(io, why);
			ev = n == TLS_WANT_WRITE ? POLLOUT : POLLIN;
		} else {
			n = recv(io->fd, io->rbuf.data + io->rbuf.len, room, 0);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK) {
				why_errno(why, "read from server");
				return -1;
			}
			ev = POLLIN;
		}
		if (n >= 0)
			break;
		if (io_wait(io, ev, deadline, "reading from server",
		    why) == -1)
			return -1;
	}
	if (n == 0) {
		io->eof = true;
		why_set(why, "connection closed by server");
		return -1;
	}
	io->rbuf.len += (size_t)n;
	io->rbuf.data[io->rbuf.len] = '\0';
	return 1;
}

int
io_read_all(struct io *io, struct buf *out, size_t max, struct why *why)
{
	int64_t deadline = net_deadline(io->timeout_ms);
	struct why w;
	size_t avail;

	buf_reset(out);
	if (io->dead) {
		*why = io->dead_why;
		return -1;
	}
	for (;;) {
		avail = io_pending(io);
		if (out->len + avail > max) {
			why_set(why, "more than %zu bytes from server", max);
			return io_die(io, why);
		}
		buf_add(out, io->rbuf.data + io->rpos, avail);
		io->rpos += avail;
		if (io_fill(io, deadline, &w) == -1) {
			if (io->eof)
				return 0;
			*why = w;
			return -1;
		}
	}
}

int
io_getline(struct io *io, struct buf *out, size_t max, struct why *why)
{
	return io_getline_until(io, out, max, net_deadline(io->timeout_ms),
	    why);
}

int
io_getline_until(struct io *io, struct buf *out, size_t max,
    int64_t deadline, struct why *why)
{
	size_t scan, avail, len, content;
	const char *start, *nl;

	buf_reset(out);
	if (io->dead) {
		*why = io->dead_why;
		return -1;
	}
	scan = 0;	/* bytes of the pending data known to hold no LF */
	for (;;) {
		start = io->rbuf.data + io->rpos;
		avail = io_pending(io);
		nl = avail > scan ? memchr(start + scan, '\n', avail - scan) :
		    NULL;
		if (nl != NULL)
			break;
		/* max content bytes plus a CR may wait for their LF. */
		if (avail > 0 && avail - 1 > max)
			goto too_long;
		scan = avail;
		if (io_fill(io, deadline, why) == -1)
			return -1;
	}
	len = (size_t)(nl - start);
	content = len > 0 && start[len - 1] == '\r' ? len - 1 : len;
	if (content > max)
		goto too_long;
	buf_add(out, start, content);
	io->rpos += len + 1;
	if (io->rpos == io->rbuf.len) {
		buf_reset(&io->rbuf);
		io->rpos = 0;
	}
	if (io->trace != NULL)
		io->trace(io->trace_arg, '<', out->data, out->len);
	return 0;
too_long:
	why_set(why, "line too long (more than %zu bytes)", max);
	return io_die(io, why);
}

/* Writes all of wbuf within one deadline; 0, or -1 with why. */
static int
io_send(struct io *io, struct why *why)
{
	int64_t deadline;
	size_t off = 0;
	ssize_t n;
	short ev;

	deadline = net_deadline(io->timeout_ms);
	while (off < io->wbuf.len) {
		if (io->tls != NULL) {
			n = tls_conn_write(io->tls, io->wbuf.data + off,
			    io->wbuf.len - off, why);
			if (n == TLS_ERROR)
				return io_die(io, why);
			ev = n == TLS_WANT_READ ? POLLIN : POLLOUT;
		} else {
			n = send(io->fd, io->wbuf.data + off,
			    io->wbuf.len - off, MSG_NOSIGNAL);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK) {
				why_errno(why, "write to server");
				return io_die(io, why);
			}
			ev = POLLOUT;
		}
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (io_wait(io, ev, deadline, "writing to server", why) == -1)
			return io_die(io, why);
	}
	buf_reset(&io->wbuf);
	return 0;
}

int
io_flush(struct io *io, struct why *why)
{
	if (io->dead) {
		*why = io->dead_why;
		return -1;
	}
	return io_send(io, why);
}

void
io_write(struct io *io, const void *p, size_t n)
{
	const char *s = p;
	struct why why;
	size_t take;

	if (io->trace != NULL && n > 0)
		io->trace(io->trace_arg, '>', s, n);
	/* Fill the buffer to IO_WBUF_MAX and write it out, so memory stays
	 * bounded however much the caller hands us at once. */
	while (n > 0 && !io->dead) {
		take = IO_WBUF_MAX - io->wbuf.len;
		if (take > n)
			take = n;
		buf_add(&io->wbuf, s, take);
		s += take;
		n -= take;
		if (io->wbuf.len >= IO_WBUF_MAX)
			(void)io_send(io, &why);	/* io_die keeps why */
	}
}

void
io_printf(struct io *io, const char *fmt, ...)
{
	struct why why;
	va_list ap;
	size_t start;

	start = io->wbuf.len;
	va_start(ap, fmt);
	buf_vprintf(&io->wbuf, fmt, ap);
	va_end(ap);
	if (io->trace != NULL && io->wbuf.len > start)
		io->trace(io->trace_arg, '>', io->wbuf.data + start,
		    io->wbuf.len - start);
	if (io->dead)
		buf_reset(&io->wbuf);
	else if (io->wbuf.len >= IO_WBUF_MAX)
		(void)io_send(io, &why);	/* io_die keeps why */
}

int
io_starttls(struct io *io, struct tls_ctx *ctx, const char *sni,
    const char *verify_host, struct why *why)
{
	int64_t deadline;
	int r;

	if (io->dead) {
		*why = io->dead_why;
		return -1;
	}
	if (io->tls != NULL) {
		why_set(why, "STARTTLS: already using TLS");
		return -1;
	}
	/* RFC 3207 4.2 and CVE-2011-0411: plaintext the server sent after
	 * its 220 would otherwise be read as if it came through TLS. */
	if (io_pending(io) > 0) {
		why_set(why, "STARTTLS: server sent data after its 220 reply");
		return io_die(io, why);
	}
	if (io->wbuf.len > 0) {
		why_set(why, "STARTTLS: unsent output before the handshake");
		return io_die(io, why);
	}
	buf_reset(&io->rbuf);
	io->rpos = 0;
	io->tls = tls_conn_new(ctx, io->fd, sni, verify_host, why);
	if (io->tls == NULL)
		return io_die(io, why);
	deadline = net_deadline(io->timeout_ms);
	for (;;) {
		r = tls_conn_handshake(io->tls, why);
		if (r == 0)
			break;
		if (r == TLS_ERROR)
			return io_die(io, why);
		if (io_wait(io, r == TLS_WANT_READ ? POLLIN : POLLOUT,
		    deadline, "in TLS handshake", why) == -1)
			return io_die(io, why);
	}
	io->tls_up = true;
	return 0;
}

bool
io_idle_ok(const struct io *io)
{
	struct pollfd pfd = { .fd = io->fd, .events = POLLIN };

	if (io->dead || io_pending(io) > 0)
		return false;
	return poll(&pfd, 1, 0) == 0;
}
