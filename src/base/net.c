/*
 * net: non-blocking TCP connect with a poll deadline, address formatting,
 * and the deadline helpers io.c shares.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "why.h"

int64_t
net_deadline(int timeout_ms)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid clock id. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if (timeout_ms < 0)
		timeout_ms = 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
}

int
net_remaining(int64_t deadline)
{
	int64_t left;

	left = deadline - net_deadline(0);
	if (left <= 0)
		return 0;
	if (left > INT32_MAX)
		return INT32_MAX;
	return (int)left;
}

int
net_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int n, left;

	for (;;) {
		left = net_remaining(deadline);
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		/* A last zero-timeout poll still reports readiness. */
		n = poll(&pfd, 1, left);
		if (n > 0)
			return 1;
		if (n == 0) {
			if (left == 0 || net_remaining(deadline) == 0)
				return 0;
			continue;	/* woke early (coarse clock); wait on */
		}
		if (errno != EINTR)
			return -1;
		if (net_remaining(deadline) == 0)
			return 0;
	}
}

void
net_fmt_secs(int ms, char *out, size_t outlen)
{
	(void)snprintf(out, outlen, "%g s", ms / 1000.0);
}

void
net_ntop(const struct sockaddr *sa, char *out, size_t outlen, int *port_out)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	int port = 0;

	if (outlen == 0)
		return;
	(void)strlcpy(out, "?", outlen);
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		if (inet_ntop(AF_INET, &sin->sin_addr, out, outlen) == NULL)
			(void)strlcpy(out, "?", outlen);
		port = ntohs(sin->sin_port);
		break;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, out, outlen) == NULL)
			(void)strlcpy(out, "?", outlen);
		port = ntohs(sin6->sin6_port);
		break;
	default:
		break;
	}
	if (port_out != NULL)
		*port_out = port;
}

/* Waits for a connect in progress; returns 0, or -1 with why. */
static int
net_connect_wait(int fd, int timeout_ms, const char *what, struct why *why)
{
	char secs[32];
	socklen_t len;
	int r, err;

	r = net_wait(fd, POLLOUT, net_deadline(timeout_ms));
	if (r < 0) {
		why_errno(why, "connect to %s: poll", what);
		return -1;
	}
	if (r == 0) {
		net_fmt_secs(timeout_ms, secs, sizeof(secs));
		why_set(why, "connect to %s: timeout after %s", what, secs);
		return -1;
	}
	err = 0;
	len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
		why_errno(why, "connect to %s", what);
		return -1;
	}
	if (err != 0) {
		errno = err;
		why_errno(why, "connect to %s", what);
		return -1;
	}
	return 0;
}

int
net_connect(const struct sockaddr *sa, socklen_t salen, const char *display,
    int timeout_ms, struct why *why)
{
	char ip[NET_NTOP_MAX], what[512];
	int fd, port, one = 1;

	net_ntop(sa, ip, sizeof(ip), &port);
	(void)snprintf(what, sizeof(what), "%s[%s]:%d", display, ip, port);
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		why_errno(why, "connect to %s: socket", what);
		return -1;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1) {
		why_errno(why, "connect to %s: TCP_NODELAY", what);
		goto fail;
	}
	if (connect(fd, sa, salen) == 0)
		return fd;
	/* After EINTR the connect goes on asynchronously, as EINPROGRESS. */
	if (errno != EINPROGRESS && errno != EINTR) {
		why_errno(why, "connect to %s", what);
		goto fail;
	}
	if (net_connect_wait(fd, timeout_ms, what, why) == -1)
		goto fail;
	return fd;
fail:
	(void)close(fd);	/* nothing written; the error is reported */
	return -1;
}

bool
net_peer(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return false;
	net_ntop((const struct sockaddr *)&ss, out, outlen, NULL);
	return true;
}
