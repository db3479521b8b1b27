/*
 * test_io: net_connect and io over real TCP on 127.0.0.1. Each case forks
 * a small blocking server on an ephemeral port; its exit status carries
 * the server side's own checks. SIGPIPE is NOT ignored here, so a plain
 * write to a reset peer would kill the test if MSG_NOSIGNAL were missing.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "net.h"
#include "why.h"

#include "unit.h"

/* A listening socket on 127.0.0.1, ephemeral port. */
static int
listen_lo(int backlog, int rcvbuf, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		perror("socket");
		exit(2);
	}
	if (rcvbuf > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    listen(fd, backlog) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) == -1) {
		perror("bind/listen");
		exit(2);
	}
	return fd;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
write_str(int fd, const char *s)
{
	return write_all(fd, s, strlen(s));
}

/* Reads until EOF; returns the byte count. */
static long
drain(int fd)
{
	char b[4096];
	long total = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, b, sizeof(b));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return total;
		total += n;
	}
}

typedef int server_fn(int fd);

struct server {
	pid_t			pid;
	struct sockaddr_in	sin;
};

/* Forks a server that accepts one connection and runs fn on it. */
static struct server
serve(server_fn *fn, int rcvbuf)
{
	struct server s;
	int lfd, cfd, rc;

	lfd = listen_lo(1, rcvbuf, &s.sin);
	fflush(stdout);
	s.pid = fork();
	if (s.pid == -1) {
		perror("fork");
		exit(2);
	}
	if (s.pid == 0) {
		/* The client may go away mid-write; see the status instead. */
		(void)signal(SIGPIPE, SIG_IGN);
		do {
			cfd = accept(lfd, NULL, NULL);
		} while (cfd == -1 && errno == EINTR);
		if (cfd == -1)
			_exit(3);
		rc = fn(cfd);
		(void)close(cfd);
		_exit(rc);
	}
	(void)close(lfd);
	return s;
}

static struct io *
connect_to(const struct server *s)
{
	struct why why;
	int fd;

	fd = net_connect((const struct sockaddr *)&s->sin, sizeof(s->sin),
	    "localhost", 2000, &why);
	if (fd == -1) {
		printf("connect: %s\n", why.text);
		exit(2);
	}
	return io_new(fd);
}

/* The server's exit status (0: its own checks passed). */
static int
reap(const struct server *s)
{
	int st;

	while (waitpid(s->pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void
stop(const struct server *s)
{
	(void)kill(s->pid, SIGKILL);
	(void)reap(s);
}

/* ---- connect and addresses ---- */

static int
srv_silent(int fd)
{
	(void)drain(fd);
	return 0;
}

static void
test_connect(void)
{
	struct server s = serve(srv_silent, 0);
	struct sockaddr_in6 sin6;
	struct sockaddr_un_like { sa_family_t f; char p[14]; } other;
	char ip[NET_NTOP_MAX];
	struct why why;
	int fd, one = 0, port = -1, fl;
	socklen_t len = sizeof(one);

	fd = net_connect((const struct sockaddr *)&s.sin, sizeof(s.sin),
	    "localhost", 2000, &why);
	UNIT_CHECK("connect ok", fd >= 0, "fd %d: %s", fd, why.text);
	if (fd >= 0) {
		fl = fcntl(fd, F_GETFL);
		UNIT_CHECK("connect nonblock", fl != -1 && (fl & O_NONBLOCK),
		    "flags %x", fl);
		fl = fcntl(fd, F_GETFD);
		UNIT_CHECK("connect cloexec", fl != -1 && (fl & FD_CLOEXEC),
		    "fd flags %x", fl);
		(void)getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, &len);
		UNIT_CHECK("connect nodelay", one != 0, "TCP_NODELAY %d", one);
		(void)close(fd);
	}
	UNIT_INT("server exit", reap(&s), 0);

	net_ntop((const struct sockaddr *)&s.sin, ip, sizeof(ip), &port);
	UNIT_STR("ntop v4", ip, "127.0.0.1");
	UNIT_INT("ntop v4 port", port, ntohs(s.sin.sin_port));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(25);
	(void)inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	net_ntop((const struct sockaddr *)&sin6, ip, sizeof(ip), &port);
	UNIT_STR("ntop v6", ip, "2001:db8::1");
	UNIT_INT("ntop v6 port", port, 25);
	memset(&other, 0, sizeof(other));
	other.f = AF_UNIX;
	net_ntop((const struct sockaddr *)(void *)&other, ip, sizeof(ip),
	    &port);
	UNIT_STR("ntop other", ip, "?");
	UNIT_INT("ntop other port", port, 0);
}

static void
test_connect_refused(void)
{
	struct sockaddr_in sin;
	char want[200];
	struct why why;
	int lfd, fd;

	/* A port that was just ours and is closed now. */
	lfd = listen_lo(1, 0, &sin);
	(void)close(lfd);
	fd = net_connect((const struct sockaddr *)&sin, sizeof(sin),
	    "mx.example", 2000, &why);
	UNIT_INT("refused fd", fd, -1);
	(void)snprintf(want, sizeof(want),
	    "connect to mx.example[127.0.0.1]:%d: Connection refused",
	    ntohs(sin.sin_port));
	UNIT_STR("refused why", why.text, want);
}

/*
 * Linux drops SYNs while a listener's accept queue is full, so a connect
 * to it hangs in SYN_SENT: a connect timeout without leaving loopback.
 */
static void
test_connect_timeout(void)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	int fill[32], nfill = 0, lfd, fd, i;
	bool full = false;
	struct why why;
	long t0, dt;

	lfd = listen_lo(0, 0, &sin);
	for (i = 0; i < 32 && !full; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd == -1)
			break;
		fill[nfill++] = fd;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			continue;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 200) == 0)
			full = true;
	}
	if (!full) {
		printf("SKIP connect timeout: could not fill the accept queue "
		    "of a loopback listener\n");
		goto out;
	}
	t0 = unit_now_ms();
	fd = net_connect((const struct sockaddr *)&sin, sizeof(sin),
	    "slow.example", 300, &why);
	dt = unit_now_ms() - t0;
	UNIT_INT("timeout fd", fd, -1);
	UNIT_CHECK("timeout why", strstr(why.text, "connect to slow.example"
	    "[127.0.0.1]:") == why.text && strstr(why.text,
	    ": timeout after 0.3 s") != NULL, "%s", why.text);
	UNIT_CHECK("timeout bounded", dt >= 280 && dt < 1500, "%ld ms", dt);
	if (fd >= 0)
		(void)close(fd);
out:
	for (i = 0; i < nfill; i++)
		(void)close(fill[i]);
	(void)close(lfd);
}

/* ---- reading lines ---- */

static int
srv_lines(int fd)
{
	return write_str(fd, "a\nbb\r\n\r\nc\rd\nlast") == 0 ? 0 : 1;
}

static void
test_lines(void)
{
	struct server s = serve(srv_lines, 0);
	struct io *io = connect_to(&s);
	struct buf line = { 0 };
	struct why why;

	UNIT_INT("lf rc", io_getline(io, &line, 100, &why), 0);
	UNIT_STR("lf", buf_cstr(&line), "a");
	UNIT_INT("crlf rc", io_getline(io, &line, 100, &why), 0);
	UNIT_STR("crlf", buf_cstr(&line), "bb");
	UNIT_INT("empty rc", io_getline(io, &line, 100, &why), 0);
	UNIT_STR("empty", buf_cstr(&line), "");
	UNIT_INT("inner cr rc", io_getline(io, &line, 100, &why), 0);
	UNIT_STR("inner cr", buf_cstr(&line), "c\rd");
	/* "last" has no LF before EOF: dropped, EOF reported. */
	UNIT_INT("eof rc", io_getline(io, &line, 100, &why), -1);
	UNIT_STR("eof why", why.text, "connection closed by server");
	UNIT_INT("eof out", line.len, 0);
	io_free(io);
	UNIT_INT("server exit", reap(&s), 0);
	buf_free(&line);
}

static int
srv_split(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (write_str(fd, "hel") == -1)
		return 1;
	unit_msleep(100);
	if (write_str(fd, "lo\r") == -1)
		return 1;
	unit_msleep(100);
	if (write_str(fd, "\nx\n") == -1)
		return 1;
	return drain(fd) == 0 ? 0 : 1;
}

struct trace {
	struct buf	log;
	int		calls;
};

static void
trace_fn(void *arg, char dir, const char *data, size_t len)
{
	struct trace *t = arg;

	t->calls++;
	buf_addc(&t->log, dir);
	buf_add(&t->log, data, len);
	buf_addc(&t->log, '|');
}

static void
test_split(void)
{
	struct server s = serve(srv_split, 0);
	struct io *io = connect_to(&s);
	struct trace tr = { { 0 }, 0 };
	struct buf line = { 0 };
	struct why why;

	io_set_trace(io, trace_fn, &tr);
	UNIT_INT("split rc", io_getline(io, &line, 5, &why), 0);
	UNIT_STR("split", buf_cstr(&line), "hello");
	UNIT_INT("split pending", io_pending(io), 2);
	UNIT_INT("split2 rc", io_getline(io, &line, 5, &why), 0);
	UNIT_STR("split2", buf_cstr(&line), "x");
	UNIT_INT("split2 pending", io_pending(io), 0);
	io_set_trace(io, NULL, NULL);
	io_free(io);
	UNIT_STR("trace read", buf_cstr(&tr.log), "<hello|<x|");
	UNIT_INT("server exit", reap(&s), 0);
	buf_free(&line);
	buf_free(&tr.log);
}

static int
srv_maxlen(int fd)
{
	/* 10 bytes + CRLF, 10 + LF, then 11 + CRLF. */
	if (write_str(fd, "0123456789\r\n0123456789\n01234567890\r\nok\n") ==
	    -1)
		return 1;
	(void)drain(fd);
	return 0;
}

static void
test_maxlen(void)
{
	struct server s = serve(srv_maxlen, 0);
	struct io *io = connect_to(&s);
	struct buf line = { 0 };
	struct why why;

	UNIT_INT("max crlf rc", io_getline(io, &line, 10, &why), 0);
	UNIT_STR("max crlf", buf_cstr(&line), "0123456789");
	UNIT_INT("max lf rc", io_getline(io, &line, 10, &why), 0);
	UNIT_STR("max lf", buf_cstr(&line), "0123456789");
	UNIT_INT("past max rc", io_getline(io, &line, 10, &why), -1);
	UNIT_STR("past max why", why.text,
	    "line too long (more than 10 bytes)");
	/* The connection is unusable afterwards, with the same reason. */
	UNIT_INT("after too long rc", io_getline(io, &line, 10, &why), -1);
	UNIT_STR("after too long why", why.text,
	    "line too long (more than 10 bytes)");
	io_free(io);
	UNIT_INT("server exit", reap(&s), 0);
	buf_free(&line);
}

static int
srv_endless(int fd)
{
	static char junk[256 * 1024];

	memset(junk, 'x', sizeof(junk));
	/* The client gives up early; a write error here is expected. */
	(void)write_all(fd, junk, sizeof(junk));
	(void)drain(fd);
	return 0;
}

/* A line with no end is refused at the limit, not read to the end. */
static void
test_endless(void)
{
	struct server s = serve(srv_endless, 0);
	struct io *io = connect_to(&s);
	struct buf line = { 0 };
	struct why why;
	long t0, dt;

	io_set_timeout(io, 5000);
	t0 = unit_now_ms();
	UNIT_INT("endless rc", io_getline(io, &line, 512, &why), -1);
	dt = unit_now_ms() - t0;
	UNIT_STR("endless why", why.text,
	    "line too long (more than 512 bytes)");
	UNIT_CHECK("endless quick", dt < 2000, "%ld ms", dt);
	UNIT_CHECK("endless bounded", io_pending(io) < 512 + 64 * 1024,
	    "pending %zu", io_pending(io));
	io_free(io);
	UNIT_INT("server exit", reap(&s), 0);
	buf_free(&line);
}

static void
test_read_timeout(void)
{
	struct server s = serve(srv_silent, 0);
	struct io *io = connect_to(&s);
	struct buf line = { 0 };
	struct why why;
	long t0, dt;

	io_set_timeout(io, 300);
	t0 = unit_now_ms();
	UNIT_INT("rtimeout rc", io_getline(io, &line, 100, &why), -1);
	dt = unit_now_ms() - t0;
	UNIT_STR("rtimeout why", why.text,
	    "timeout after 0.3 s reading from server");
	UNIT_CHECK("rtimeout bounded", dt >= 280 && dt < 1000, "%ld ms", dt);
	io_free(io);
	UNIT_INT("server exit", reap(&s), 0);
	buf_free(&line);
}

/* A line every 150 ms: each line comes in time, but not all of them. */
static int
srv_trickle(int fd)
{
	int i, one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < 10; i++) {
		if (write_str(fd, "250-slow\r\n") == -1)
			return 0;	/* the client gave up: expected */
		unit_msleep(150);
	}
	return drain(fd) == 0 ? 0 : 1;
}

static void
test_shared_deadline(void)
{
	struct server s = serve(srv_trickle, 0);
	struct io *io = connect_to(&s);
	struct buf line = { 0 };
	struct why why;
	long t0, dt;
	int64_t deadline;
	int n = 0;

	io_set_timeout(io, 400);
	t0 = unit_now_ms();
	deadline = net_deadline(400);
	while (io_getline_until(io, &line, 100, deadline, &why) == 0)
		n++;
	dt = unit_now_ms() - t0;
	UNIT_CHECK("shared deadline: some lines", n >= 1 && n <= 4, "%d", n);
	UNIT_CHECK("shared deadline: ends at it", dt >= 380 && dt < 1000,
	    "%ld ms", dt);
	UNIT_CHECK("shared deadline: why", strstr(why.text, "timeout") !=
	    NULL, "%s", why.text);
	io_free(io);
	(void)reap(&s);
	buf_free(&line);
}

/* ---- signals: EINTR is retried, the deadline still holds ---- */

static volatile sig_atomic_t got_usr1;

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

static int
srv_signals_then_line(int fd)
{
	int i;

	for (i = 0; i < 20; i++) {
		(void)kill(getppid(), SIGUSR1);
		unit_msleep(10);
	}
	if (write_str(fd, "ok\r\n") == -1)
		return 1;
	(void)drain(fd);
	return 0;
}

static int
srv_signals_only(int fd)
{
	int i;

	(void)fd;
	for (i = 0; i < 200; i++) {
		(void)kill(getppid(), SIGUSR1);
		unit_msleep(5);
	}
	return 0;
}

static void
test_eintr(void)
{
	struct sigaction sa;
	struct buf line = { 0 };
	struct server s;
	struct why why;
	struct io *io;
	long t0, dt;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	(void)sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: poll fails with EINTR */
	(void)sigaction(SIGUSR1, &sa, NULL);

	got_usr1 = 0;
	s = serve(srv_signals_then_line, 0);
	io = connect_to(&s);
	io_set_timeout(io, 5000);
	UNIT_INT("eintr rc", io_getline(io, &line, 100, &why), 0);
	UNIT_STR("eintr line", buf_cstr(&line), "ok");
	UNIT_CHECK("eintr signals", got_usr1 > 0, "%d signals", (int)got_usr1);
	io_free(io);
	UNIT_INT("server exit", reap(&s), 0);

	got_usr1 = 0;
	s = serve(srv_signals_only, 0);
	io = connect_to(&s);
	io_set_timeout(io, 300);
	t0 = unit_now_ms();
	UNIT_INT("eintr timeout rc", io_getline(io, &line, 100, &why), -1);
	dt = unit_now_ms() - t0;
	UNIT_STR("eintr timeout why", why.text,
	    "timeout after 0.3 s reading from server");
	UNIT_CHECK("eintr timeout bounded", dt >= 280 && dt < 900, "%ld ms",
	    dt);
	UNIT_CHECK("eintr timeout signals", got_usr1 > 0, "%d signals",
	    (int)got_usr1);
	io_free(io);
	stop(&s);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGUSR1, &sa, NULL);
	buf_free(&line);
}

/* ---- writing ---- */

#define BIG_LINES	60000
#define BIG_BLOCK	(3 * 1024 * 1024)

/*
 * Reads slowly (starts late, small buffer) everything up to EOF of the
 * write side, then replies with the byte count and hash it saw.
 */
static int
srv_slow_reader(int fd)
{
	char b[8192], reply[64];
	uint32_t h = 2166136261u;
	long total = 0;
	ssize_t n;

	unit_msleep(300);
	for (;;) {
		n = read(fd, b, sizeof(b));
		if (n == -1 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		if (n == 0)
			break;
		h = unit_fnv(h, b, (size_t)n);
		total += n;
	}
	(void)snprintf(reply, sizeof(reply), "250 %ld %08x\r\n", total,
	    (unsigned)h);
	return write_str(fd, reply) == 0 ? 0 : 1;
}

static void
test_big_write(void)
{
	struct server s = serve(srv_slow_reader, 16 * 1024);
	struct buf line = { 0 }, want = { 0 }, chunk = { 0 };
	uint32_t h = 2166136261u;
	struct why why;
	struct io *io;
	int fd, small = 16 * 1024, i, rc;
	long total = 0, t0, dt;
	char *block;

	fd = net_connect((const struct sockaddr *)&s.sin, sizeof(s.sin),
	    "localhost", 2000, &why);
	if (fd == -1) {
		printf("connect: %s\n", why.text);
		exit(2);
	}
	/* Small buffers on both ends: the writer must meet EAGAIN. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	io = io_new(fd);
	io_set_timeout(io, 10000);
	t0 = unit_now_ms();
	for (i = 0; i < BIG_LINES; i++) {
		buf_reset(&chunk);
		buf_printf(&chunk, "%07d the quick brown fox jumps over the "
		    "lazy dog\r\n", i);
		io_printf(io, "%s", chunk.data);
		h = unit_fnv(h, chunk.data, chunk.len);
		total += (long)chunk.len;
	}
	block = malloc(BIG_BLOCK);
	for (i = 0; i < BIG_BLOCK; i++)
		block[i] = (char)('a' + i % 26);
	io_write(io, block, BIG_BLOCK);
	h = unit_fnv(h, block, BIG_BLOCK);
	total += BIG_BLOCK;
	free(block);
	rc = io_flush(io, &why);
	dt = unit_now_ms() - t0;
	UNIT_CHECK("big flush", rc == 0, "%s", why.text);
	/* The server reads nothing for 300 ms: we must have waited. */
	UNIT_CHECK("big flush waited", dt >= 250, "%ld ms", dt);
	(void)shutdown(fd, SHUT_WR);
	buf_printf(&want, "250 %ld %08x", total, (unsigned)h);
	UNIT_INT("big reply rc", io_getline(io, &line, 100, &why), 0);
	UNIT_STR("big reply", buf_cstr(&line), want.data);
	io_free(io);
	UNIT_INT("server exit", reap(&s), 0);
	buf_free(&line);
	buf_free(&want);
	buf_free(&chunk);
}

static int
srv_never_reads(int fd)
{
	(void)fd;
	unit_msleep(20000);		/* killed by the test long before */
	return 0;
}

static void
test_write_timeout(void)
{
	struct server s = serve(srv_never_reads, 16 * 1024);
	static char block[1024 * 1024];
	struct why why;
	struct io *io;
	long t0, dt;
	int i;

	io = connect_to(&s);
	io_set_timeout(io, 300);
	memset(block, 'z', sizeof(block));
	t0 = unit_now_ms();
	/* The first blocked automatic flush fails; the rest is dropped. */
	for (i = 0; i < 16; i++)
		io_write(io, block, sizeof(block));
	UNIT_INT("wtimeout rc", io_flush(io, &why), -1);
	dt = unit_now_ms() - t0;
	UNIT_STR("wtimeout why", why.text,
	    "timeout after 0.3 s writing to server");
	UNIT_CHECK("wtimeout bounded", dt >= 280 && dt < 1500, "%ld ms", dt);
	io_free(io);
	stop(&s);
}

static int
srv_reset(int fd)
{
	struct linger lg = { 1, 0 };

	/* close with linger 0 sends RST */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return 0;
}

static void
test_write_reset(void)
{
	struct server s = serve(srv_reset, 0);
	static char block[256 * 1024];
	struct io *io = connect_to(&s);
	struct why why;
	int rc = 0, i;

	UNIT_INT("server exit", reap(&s), 0);
	memset(block, 'r', sizeof(block));
	io_set_timeout(io, 2000);
	for (i = 0; i < 8 && rc == 0; i++) {
		io_write(io, block, sizeof(block));
		rc = io_flush(io, &why);
	}
	UNIT_INT("reset rc", rc, -1);
	UNIT_CHECK("reset why", strcmp(why.text, "write to server: "
	    "Connection reset by peer") == 0 || strcmp(why.text,
	    "write to server: Broken pipe") == 0, "%s", why.text);
	io_free(io);
}

static int
srv_close(int fd)
{
	(void)fd;	/* serve() closes it: a FIN, nothing unread */
	return 0;
}

/*
 * Writing after the peer closed: EPIPE, which raises SIGPIPE unless the
 * send says MSG_NOSIGNAL (this test does not ignore SIGPIPE).
 */
static void
test_write_closed(void)
{
	struct server s = serve(srv_close, 0);
	char block[100];
	struct io *io = connect_to(&s);
	struct buf line = { 0 };
	struct why why;
	int rc = 0, i;

	UNIT_INT("closed eof", io_getline(io, &line, 100, &why), -1);
	UNIT_STR("closed eof why", why.text, "connection closed by server");
	memset(block, 'c', sizeof(block));
	for (i = 0; i < 50 && rc == 0; i++) {
		io_write(io, block, sizeof(block));
		rc = io_flush(io, &why);
		unit_msleep(10);
	}
	UNIT_INT("closed rc", rc, -1);
	UNIT_STR("closed why", why.text, "write to server: Broken pipe");
	io_free(io);
	UNIT_INT("server exit", reap(&s), 0);
	buf_free(&line);
}

static int
srv_echo(int fd)
{
	char b[256];
	ssize_t n;
	size_t len = 0;

	/* Expect exactly "EHLO x\r\nNOOP\r\n" in one segment: one flush. */
	while (len < 14) {
		n = read(fd, b + len, sizeof(b) - len);
		if (n <= 0)
			return 1;
		len += (size_t)n;
	}
	if (len != 14 || memcmp(b, "EHLO x\r\nNOOP\r\n", 14) != 0)
		return 2;
	return write_str(fd, "250 ok\r\n") == 0 ? (int)(drain(fd) != 0) : 1;
}

static void
test_round_trip(void)
{
	struct server s = serve(srv_echo, 0);
	struct io *io = connect_to(&s);
	struct trace tr = { { 0 }, 0 };
	struct buf line = { 0 };
	struct why why;

	io_set_trace(io, trace_fn, &tr);
	io_printf(io, "EHLO %s\r\n", "x");
	io_write(io, "NOOP\r\n", 6);
	UNIT_INT("rt flush", io_flush(io, &why), 0);
	UNIT_INT("rt flush empty", io_flush(io, &why), 0);
	UNIT_INT("rt reply rc", io_getline(io, &line, 512, &why), 0);
	UNIT_STR("rt reply", buf_cstr(&line), "250 ok");
	UNIT_STR("rt trace", buf_cstr(&tr.log),
	    ">EHLO x\r\n|>NOOP\r\n|<250 ok|");
	UNIT_CHECK("not tls", !io_is_tls(io) && io_tls_info(io) == NULL,
	    "tls without a handshake");
	io_free(io);
	UNIT_INT("server exit", reap(&s), 0);
	buf_free(&line);
	buf_free(&tr.log);
}

int
main(void)
{
	io_free(NULL);
	test_connect();
	test_connect_refused();
	test_connect_timeout();
	test_lines();
	test_split();
	test_maxlen();
	test_endless();
	test_read_timeout();
	test_shared_deadline();
	test_eintr();
	test_round_trip();
	test_big_write();
	test_write_timeout();
	test_write_reset();
	test_write_closed();
	return unit_done("io");
}
