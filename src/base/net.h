/*
 * net: TCP connections and poll deadlines. Sockets are non-blocking,
 * close-on-exec and have TCP_NODELAY (io.c buffers writes instead, so
 * Nagle only adds delay). Every wait is bounded by a deadline on the
 * monotonic clock; EINTR is retried within it. No alarm(), no longjmp.
 *
 * The caller owns the fd net_connect() returns (usually handing it to
 * io_new()). Reasons go into a caller-owned struct why.
 */
#ifndef NET_H
#define NET_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"

struct why;

/* Longest text net_ntop() writes, NUL included (an IPv6 address). */
#define NET_NTOP_MAX	64

/*
 * Connects a non-blocking TCP socket (O_CLOEXEC, TCP_NODELAY) to sa within
 * timeout_ms. Returns the fd, or -1 with why: "connect to DISPLAY[IP]:PORT:
 * Connection refused", "... : timeout after 30 s". display is the name the
 * caller shows (the MX or smarthost name).
 */
int	net_connect(const struct sockaddr *sa, socklen_t salen,
	    const char *display, int timeout_ms, struct why *why);

/*
 * "127.0.0.1" / "2001:db8::1" for logs (relay=host[ip]:port); "?" for an
 * unknown family. *port_out (if not NULL) gets the port, 0 if none.
 */
void	net_ntop(const struct sockaddr *sa, char *out, size_t outlen,
	    int *port_out);

/*
 * The address of fd's peer, when fd is a TCP socket (sendmail -bs under
 * a socket unit): true with "127.0.0.1" or "::1" in out; false for a
 * pipe, a terminal or a local socket.
 */
bool	net_peer(int fd, char *out, size_t outlen);

/* A deadline timeout_ms from now on the monotonic clock (milliseconds). */
int64_t	net_deadline(int timeout_ms);
/* Milliseconds left until deadline, 0 if it has passed. */
int	net_remaining(int64_t deadline);

/*
 * Waits until fd is ready for events (POLLIN, POLLOUT) or the deadline
 * passes; EINTR is retried with the time left. Returns 1 ready (also on
 * POLLERR/POLLHUP: the next read or write reports the error), 0 timeout,
 * -1 with errno on a poll failure.
 */
int	net_wait(int fd, short events, int64_t deadline);

/* "30 s", "0.25 s": a timeout in ms as shown in reasons. */
void	net_fmt_secs(int ms, char *out, size_t outlen);

#endif
