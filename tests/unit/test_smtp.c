/*
 * test_smtp: the SMTP client session against a real server: aiosmtpd,
 * started from tests/lib/smtp_unit_server.py on an ephemeral loopback
 * port, which records the exact bytes it received on each connection.
 * Faults a real server will not produce (broken replies, silence) come
 * from the same script's raw --script mode.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dsnparam.h"
#include "io.h"
#include "net.h"
#include "smtp.h"
#include "smtp_reply.h"
#include "tls.h"
#include "why.h"

#include "unit.h"

int	main(void);

#define SERVER_SCRIPT	"tests/lib/smtp_unit_server.py"

struct srv {
	pid_t	pid;
	char	dir[64];
	int	port;
	int	conns;		/* connections made so far */
};

/* Reads a whole file into b (reset first); -1 if it is not there. */
static int
slurp(const char *path, struct buf *b)
{
	char tmp[4096];
	ssize_t n;
	int fd;

	buf_reset(b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_add(b, tmp, (size_t)n);
	(void)close(fd);
	return n < 0 ? -1 : 0;
}

/* Waits up to 10 s for DIR/name to appear, then reads it. */
static int
wait_file(const struct srv *sv, const char *name, struct buf *b)
{
	char path[128];
	int i;

	(void)snprintf(path, sizeof(path), "%s/%s", sv->dir, name);
	for (i = 0; i < 1000; i++) {
		if (slurp(path, b) == 0)
			return 0;
		unit_msleep(10);
	}
	printf("ERROR: %s did not appear\n", path);
	return -1;
}

/* Starts the server with extra arguments (NULL-terminated). */
static int
srv_start(struct srv *sv, ...)
{
	const char *argv[32];
	struct buf b;
	va_list ap;
	int n = 0;

	memset(sv, 0, sizeof(*sv));
	(void)strlcpy(sv->dir, "/tmp/test_smtp.XXXXXX", sizeof(sv->dir));
	if (mkdtemp(sv->dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	argv[n++] = "/usr/bin/python3";
	argv[n++] = SERVER_SCRIPT;
	argv[n++] = "--dir";
	argv[n++] = sv->dir;
	va_start(ap, sv);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	if ((sv->pid = fork()) == -1)
		return -1;
	if (sv->pid == 0) {
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	buf_init(&b);
	if (wait_file(sv, "port", &b) == -1) {
		buf_free(&b);
		return -1;
	}
	sv->port = (int)strtol(buf_cstr(&b), NULL, 10);
	buf_free(&b);
	return 0;
}

static void
srv_stop(struct srv *sv)
{
	struct dirent *de;
	char path[400];
	DIR *d;

	if (sv->pid > 0) {
		(void)kill(sv->pid, SIGTERM);
		(void)waitpid(sv->pid, NULL, 0);
	}
	if ((d = opendir(sv->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			(void)snprintf(path, sizeof(path), "%s/%s", sv->dir,
			    de->d_name);
			(void)unlink(path);
		}
		(void)closedir(d);
	}
	(void)rmdir(sv->dir);
}

/* The raw bytes of connection n (1-based), once it has ended. */
static int
srv_raw(const struct srv *sv, int n, const char *ext, struct buf *b)
{
	char name[64];

	(void)snprintf(name, sizeof(name), "conn-%d.%s", n, ext);
	return wait_file(sv, name, b);
}

struct trace {
	struct buf	text;
};

static void
trace_fn(void *arg, char dir, const char *line, size_t len)
{
	struct trace *t = arg;

	buf_addc(&t->text, dir);
	buf_addc(&t->text, ' ');
	buf_add(&t->text, line, len);
	buf_addc(&t->text, '\n');
}

struct conn {
	struct io		*io;
	struct smtp_session	*s;
	struct smtp_reply	 r;
	struct trace		 tr;
};

static int
conn_open(struct conn *c, const struct srv *sv, int timeout_ms)
{
	struct smtp_params p;
	struct sockaddr_in sin;
	struct why why;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)sv->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = net_connect((struct sockaddr *)&sin, sizeof(sin), "test", 5000,
	    &why);
	if (fd == -1) {
		printf("ERROR: %s\n", why.text);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.helo_name = "client.test";
	p.command_timeout_ms = timeout_ms;
	p.data_timeout_ms = timeout_ms;
	p.trace = trace_fn;
	p.trace_arg = &c->tr;
	buf_init(&c->tr.text);
	c->io = io_new(fd);
	c->s = smtp_new(c->io, &p);
	smtp_reply_init(&c->r);
	return 0;
}

static void
conn_close(struct conn *c, bool quit)
{
	if (quit)
		smtp_quit(c->s);
	smtp_free(c->s);
	io_free(c->io);
	smtp_reply_free(&c->r);
	buf_free(&c->tr.text);
}

/* Opens, reads the greeting and says EHLO; -1 if any of it fails. */
static int
conn_start(struct conn *c, const struct srv *sv)
{
	if (conn_open(c, sv, 10000) == -1)
		return -1;
	if (smtp_greeting(c->s, &c->r) != SMTP_OK ||
	    smtp_ehlo(c->s, &c->r) != SMTP_OK) {
		printf("ERROR: start: %d %s\n", c->r.code,
		    buf_cstr(&c->r.text));
		conn_close(c, false);
		return -1;
	}
	return 0;
}

/* A stored message in memory, read step bytes at a time. */
struct body {
	const char	*p;
	size_t		 len, off, step;
	bool		 fail;		/* -1 once half is read */
};

static ssize_t
body_read(void *arg, char *out, size_t n)
{
	struct body *b = arg;

	if (b->fail && b->off >= b->len / 2)
		return -1;
	if (n > b->step)
		n = b->step;
	if (n > b->len - b->off)
		n = b->len - b->off;
	memcpy(out, b->p + b->off, n);
	b->off += n;
	return (ssize_t)n;
}

struct rcpts {
	struct smtp_rcpt	r[4];
};

static void
msg_init(struct smtp_msg *m, struct rcpts *rs, struct body *b,
    const char *body, size_t step, const char *a0, const char *a1)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	memset(rs, 0, sizeof(*rs));
	memset(b, 0, sizeof(*b));
	for (i = 0; i < 4; i++)
		smtp_reply_init(&rs->r[i].reply);
	b->p = body;
	b->len = strlen(body);
	b->step = step;
	m->sender = "sender@client.test";
	m->rcpts = rs->r;
	rs->r[0].addr = a0;
	rs->r[1].addr = a1;
	m->nrcpts = a1 != NULL ? 2 : 1;
	m->read = body_read;
	m->read_arg = b;
}

static void
rcpts_free(struct rcpts *rs)
{
	size_t i;

	for (i = 0; i < 4; i++)
		smtp_reply_free(&rs->r[i].reply);
}

/* What the client sent after the first occurrence of what. */
static const char *
after(const struct buf *raw, const char *what)
{
	const char *p = memmem(raw->data, raw->len, what, strlen(what));

	return p != NULL ? p + strlen(what) : "";
}

static int
count(const struct buf *raw, const char *what)
{
	const char *p = raw->data, *e = raw->data + raw->len;
	int n = 0;

	while ((p = memmem(p, (size_t)(e - p), what, strlen(what))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* A chunk holding both a and b (hex of ASCII), one read of the server. */
static bool
same_chunk(const struct buf *chunks, const char *a, const char *b)
{
	struct buf ha, hb;
	const char *p = chunks->data, *e = chunks->data + chunks->len, *nl;
	bool found = false;
	size_t i;

	buf_init(&ha);
	buf_init(&hb);
	for (i = 0; a[i] != '\0'; i++)
		buf_printf(&ha, "%02x", (unsigned char)a[i]);
	for (i = 0; b[i] != '\0'; i++)
		buf_printf(&hb, "%02x", (unsigned char)b[i]);
	while (p < e && !found) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		found = memmem(p, (size_t)(nl - p), ha.data, ha.len) != NULL &&
		    memmem(p, (size_t)(nl - p), hb.data, hb.len) != NULL;
		p = nl + 1;
	}
	buf_free(&ha);
	buf_free(&hb);
	return found;
}

/*
 * Dot-stuffing, CRLF, a last line without LF, a lone "." line and the
 * smuggling forms, each read 1 byte at a time and in one piece: the bytes
 * on the wire must be exactly these, and the server must stay in sync.
 */
static const struct {
	const char	*name;
	const char	*body;
	const char	*wire;
} bodies[] = {
	{ "plain", "Subject: x\n\nhello\n",
	    "Subject: x\r\n\r\nhello\r\n.\r\n" },
	{ "no final lf", "a\nb", "a\r\nb\r\n.\r\n" },
	{ "empty", "", ".\r\n" },
	{ "lone dot", "a\n.\nb\n", "a\r\n..\r\nb\r\n.\r\n" },
	{ "leading dots", ".a\n..b\n", "..a\r\n...b\r\n.\r\n" },
	{ "dot last no lf", "a\n.", "a\r\n..\r\n.\r\n" },
	{ "crlf stored", "a\r\n.\r\nMAIL FROM:<evil@x>\r\n",
	    "a\r\n..\r\nMAIL FROM:<evil@x>\r\n.\r\n" },
	{ "lf dot crlf", "a\n.\r\nRSET\n", "a\r\n..\r\nRSET\r\n.\r\n" },
	{ "bare cr dot", "a\r.\rQUIT\r", "a\r\n..\r\nQUIT\r\n.\r\n" },
	{ "cr cr lf", "a\r\r\n.\n", "a\r\n\r\n..\r\n.\r\n" },
	{ "dot mid line", "a.b\n x.\n", "a.b\r\n x.\r\n.\r\n" },
};

static void
test_bodies(void)
{
	struct srv sv;
	struct conn c;
	struct smtp_msg m;
	struct rcpts rs;
	struct body b;
	struct buf raw, want, chunks;
	size_t i, k, steps[2] = { 1, 65536 };
	int n = 0;

	if (srv_start(&sv, "--pipelining", "--size", "100000", NULL) == -1) {
		UNIT_CHECK("server start", 0, "no server");
		return;
	}
	buf_init(&raw);
	buf_init(&want);
	buf_init(&chunks);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		for (k = 0; k < 2; k++) {
			if (conn_start(&c, &sv) == -1) {
				UNIT_CHECK(bodies[i].name, 0, "no session");
				continue;
			}
			n++;
			UNIT_CHECK("pipelining seen",
			    smtp_has(c.s, SMTP_EXT_PIPELINING), "no");
			UNIT_INT("size seen", smtp_size_limit(c.s), 100000);
			msg_init(&m, &rs, &b, bodies[i].body, steps[k],
			    "rcpt@mx.test", NULL);
			UNIT_INT(bodies[i].name, smtp_send(c.s, &m, &c.r,
			    NULL), SMTP_OK);
			UNIT_INT(bodies[i].name, c.r.code, 250);
			UNIT_STR(bodies[i].name, c.r.enhanced, "2.0.0");
			UNIT_INT(bodies[i].name, rs.r[0].result, SMTP_OK);
			UNIT_INT(bodies[i].name, rs.r[0].reply.code, 250);
			/* The session is still in sync after the body. */
			UNIT_INT(bodies[i].name, smtp_rset(c.s, &c.r),
			    SMTP_OK);
			conn_close(&c, true);
			rcpts_free(&rs);
			if (srv_raw(&sv, n, "raw", &raw) == -1)
				continue;
			buf_reset(&want);
			buf_adds(&want, "DATA\r\n");
			buf_adds(&want, bodies[i].wire);
			buf_adds(&want, "RSET\r\nQUIT\r\n");
			UNIT_STR(bodies[i].name, after(&raw,
			    "RCPT TO:<rcpt@mx.test>\r\n"), buf_cstr(&want));
			/* MAIL, RCPT and DATA went in one write. */
			if (srv_raw(&sv, n, "chunks", &chunks) == 0)
				UNIT_CHECK(bodies[i].name, same_chunk(&chunks,
				    "MAIL FROM:", "DATA\r\n"), "chunks:\n%s",
				    buf_cstr(&chunks));
		}
	}
	buf_free(&raw);
	buf_free(&want);
	buf_free(&chunks);
	srv_stop(&sv);
}

/* Three messages on one session, pipelined, with DSN parameters. */
static void
test_session_dsn(void)
{
	struct srv sv;
	struct conn c;
	struct smtp_msg m;
	struct rcpts rs;
	struct body b;
	struct buf raw;
	int i;

	if (srv_start(&sv, "--pipelining", "--dsn", "--size", "100000",
	    NULL) == -1 || conn_start(&c, &sv) == -1) {
		UNIT_CHECK("dsn server", 0, "no session");
		srv_stop(&sv);
		return;
	}
	buf_init(&raw);
	UNIT_CHECK("dsn offered", smtp_has(c.s, SMTP_EXT_DSN), "no");
	UNIT_CHECK("8bitmime offered", smtp_has(c.s, SMTP_EXT_8BITMIME),
	    "no");
	UNIT_CHECK("no smtputf8", !smtp_has(c.s, SMTP_EXT_SMTPUTF8), "has");
	UNIT_CHECK("enhanced", smtp_has(c.s, SMTP_EXT_ENHANCED), "no");
	for (i = 0; i < 3; i++) {
		msg_init(&m, &rs, &b, "x\n", 4096, "a@mx.test", "b@mx.test");
		m.size = 3;
		m.body_8bit = i == 0;
		m.ret = i == 0 ? DSNPARAM_RET_HDRS : DSNPARAM_RET_FULL;
		m.envid = i == 0 ? "id+1=x y\xc3\xa9" : NULL;
		rs.r[0].notify = DSNPARAM_NOTIFY_FAILURE |
		    DSNPARAM_NOTIFY_DELAY;
		rs.r[0].orcpt = "rfc822;A+b=c@mx.test";
		rs.r[1].notify = i == 0 ? DSNPARAM_NOTIFY_NEVER :
		    DSNPARAM_NOTIFY_SUCCESS;
		rs.r[1].orcpt = i == 0 ? "plain@mx.test" : NULL;
		UNIT_INT("dsn send", smtp_send(c.s, &m, &c.r, NULL), SMTP_OK);
		UNIT_INT("dsn rcpt 0", rs.r[0].result, SMTP_OK);
		UNIT_INT("dsn rcpt 1", rs.r[1].result, SMTP_OK);
		rcpts_free(&rs);
	}
	conn_close(&c, true);
	if (srv_raw(&sv, 1, "raw", &raw) == 0) {
		UNIT_CHECK("dsn mail", strstr(buf_cstr(&raw),
		    "MAIL FROM:<sender@client.test> SIZE=3 BODY=8BITMIME "
		    "RET=HDRS ENVID=id+2B1+3Dx+20y+C3+A9\r\n") != NULL,
		    "raw:\n%s", buf_cstr(&raw));
		UNIT_CHECK("dsn rcpt", strstr(buf_cstr(&raw),
		    "RCPT TO:<a@mx.test> NOTIFY=FAILURE,DELAY "
		    "ORCPT=rfc822;A+2Bb+3Dc@mx.test\r\n") != NULL,
		    "raw:\n%s", buf_cstr(&raw));
		UNIT_CHECK("dsn never", strstr(buf_cstr(&raw),
		    "RCPT TO:<b@mx.test> NOTIFY=NEVER "
		    "ORCPT=rfc822;plain@mx.test\r\n") != NULL,
		    "raw:\n%s", buf_cstr(&raw));
		UNIT_CHECK("second mail", strstr(buf_cstr(&raw),
		    "MAIL FROM:<sender@client.test> SIZE=3 RET=FULL\r\n") !=
		    NULL, "raw:\n%s", buf_cstr(&raw));
		UNIT_CHECK("success", strstr(buf_cstr(&raw),
		    "RCPT TO:<b@mx.test> NOTIFY=SUCCESS\r\n") != NULL,
		    "raw:\n%s", buf_cstr(&raw));
		UNIT_INT("three messages", count(&raw, "MAIL FROM:"), 3);
		UNIT_INT("three bodies", count(&raw, "\r\nx\r\n.\r\n"), 3);
		UNIT_INT("no rset", count(&raw, "RSET"), 0);
	}
	if (srv_raw(&sv, 1, "chunks", &raw) == 0)
		UNIT_CHECK("one write", same_chunk(&raw, "MAIL FROM:",
		    "RCPT TO:<b@mx.test>") && same_chunk(&raw,
		    "RCPT TO:<a@mx.test>", "DATA\r\n"), "chunks:\n%s",
		    buf_cstr(&raw));
	buf_free(&raw);
	srv_stop(&sv);
}

/*
 * Without DSN or PIPELINING offered: no DSN parameters, lock-step
 * commands; refused recipients, refused MAIL, refused data; RSET after a
 * failed transaction; SIZE refusal and SMTPUTF8 without sending.
 */
static void
test_refusals(void)
{
	struct srv sv;
	struct conn c;
	struct smtp_msg m;
	struct rcpts rs;
	struct body b;
	struct buf raw;
	int pipe;

	buf_init(&raw);
	for (pipe = 0; pipe < 2; pipe++) {
		const char *name = pipe ? "pipelined" : "lock-step";

		if (srv_start(&sv, "--size", "1000", "--reject-rcpt",
		    "bad@mx.test=550 5.1.1 no such user", "--reject-rcpt",
		    "later@mx.test=450 4.2.1 try later", "--reject-mail",
		    "no@client.test=553 5.7.1 sender refused",
		    pipe ? "--pipelining" : NULL, NULL) == -1 ||
		    conn_start(&c, &sv) == -1) {
			UNIT_CHECK(name, 0, "no session");
			srv_stop(&sv);
			continue;
		}
		UNIT_CHECK(name, smtp_has(c.s, SMTP_EXT_PIPELINING) == pipe,
		    "pipelining %d", pipe);
		UNIT_CHECK(name, !smtp_has(c.s, SMTP_EXT_DSN), "dsn offered");

		/* One good, one bad: OK for one. */
		msg_init(&m, &rs, &b, "hi\n", 4096, "good@mx.test",
		    "bad@mx.test");
		m.ret = DSNPARAM_RET_FULL;
		m.envid = "e1";
		rs.r[0].notify = DSNPARAM_NOTIFY_FAILURE;
		rs.r[0].orcpt = "rfc822;good@mx.test";
		UNIT_INT(name, smtp_send(c.s, &m, &c.r, NULL), SMTP_OK);
		UNIT_INT(name, rs.r[0].result, SMTP_OK);
		UNIT_INT(name, rs.r[0].reply.code, 250);
		UNIT_INT(name, rs.r[1].result, SMTP_PERMFAIL);
		UNIT_INT(name, rs.r[1].reply.code, 550);
		UNIT_STR(name, rs.r[1].reply.enhanced, "5.1.1");
		UNIT_STR(name, buf_cstr(&rs.r[1].reply.text), "no such user");
		rcpts_free(&rs);

		/* All refused, one of them 4xx: TEMPFAIL, no body. */
		msg_init(&m, &rs, &b, "body-not-sent\n", 4096, "bad@mx.test",
		    "later@mx.test");
		UNIT_INT(name, smtp_send(c.s, &m, &c.r, NULL), SMTP_TEMPFAIL);
		UNIT_INT(name, c.r.code, 450);
		UNIT_INT(name, rs.r[0].result, SMTP_PERMFAIL);
		UNIT_INT(name, rs.r[1].result, SMTP_TEMPFAIL);
		rcpts_free(&rs);

		/* MAIL refused: every recipient gets its reply. */
		msg_init(&m, &rs, &b, "body-not-sent\n", 4096, "good@mx.test",
		    "good2@mx.test");
		m.sender = "no@client.test";
		UNIT_INT(name, smtp_send(c.s, &m, &c.r, NULL), SMTP_PERMFAIL);
		UNIT_INT(name, c.r.code, 553);
		UNIT_INT(name, rs.r[0].result, SMTP_PERMFAIL);
		UNIT_INT(name, rs.r[0].reply.code, 553);
		UNIT_INT(name, rs.r[1].reply.code, 553);
		UNIT_STR(name, rs.r[1].reply.enhanced, "5.7.1");
		rcpts_free(&rs);

		/* Too big for SIZE: nothing sent. */
		msg_init(&m, &rs, &b, "x\n", 4096, "good@mx.test", NULL);
		m.size = 5000;
		UNIT_INT(name, smtp_send(c.s, &m, &c.r, NULL), SMTP_PERMFAIL);
		UNIT_INT(name, c.r.code, 552);
		UNIT_STR(name, c.r.enhanced, "5.3.4");
		UNIT_CHECK(name, c.r.local, "not local");
		UNIT_STR(name, buf_cstr(&c.r.text),
		    "message size 5000 exceeds server limit 1000");
		UNIT_INT(name, rs.r[0].result, SMTP_PERMFAIL);
		UNIT_INT(name, rs.r[0].reply.code, 552);
		rcpts_free(&rs);

		/* SMTPUTF8 needed, not offered: nothing sent. */
		msg_init(&m, &rs, &b, "x\n", 4096, "j\xc3\xb6rg@mx.test", NULL);
		m.smtputf8 = true;
		UNIT_INT(name, smtp_send(c.s, &m, &c.r, NULL), SMTP_PERMFAIL);
		UNIT_STR(name, c.r.enhanced, "5.6.7");
		UNIT_INT(name, rs.r[0].result, SMTP_PERMFAIL);
		rcpts_free(&rs);

		/* A command injection attempt in an address: not sent. */
		msg_init(&m, &rs, &b, "x\n", 4096, "good@mx.test",
		    "x@y>\r\nRSET\r\nRCPT TO:<z@mx.test");
		m.size = 900;
		UNIT_INT(name, smtp_send(c.s, &m, &c.r, NULL), SMTP_OK);
		UNIT_INT(name, rs.r[1].result, SMTP_PERMFAIL);
		UNIT_STR(name, rs.r[1].reply.enhanced, "5.1.3");
		rcpts_free(&rs);

		conn_close(&c, true);
		if (srv_raw(&sv, 1, "raw", &raw) == 0) {
			UNIT_INT(name, count(&raw, "body-not-sent"), 0);
			UNIT_INT(name, count(&raw, "RET="), 0);
			UNIT_INT(name, count(&raw, "NOTIFY="), 0);
			UNIT_INT(name, count(&raw, "MAIL FROM:"), 4);
			UNIT_INT(name, count(&raw, "SIZE=900"), 1);
			UNIT_INT(name, count(&raw, "z@mx.test"), 0);
			UNIT_INT(name, count(&raw, "\r\nhi\r\n.\r\n"), 1);
			/* RSET after the two failed transactions only. */
			UNIT_INT(name, count(&raw, "RSET\r\n"), 2);
			/* Pipelined: DATA went out with the refused RCPTs. */
			UNIT_INT(name, count(&raw, "DATA\r\n"), pipe ? 4 : 2);
		}
		srv_stop(&sv);
	}
	buf_free(&raw);
}

/*
 * More recipients than SMTP_PIPE_MAX: groups of that many, DATA with the
 * last; with MAIL refused, no group after the first.
 */
static void
test_groups(void)
{
	static char addrs[150][32];
	struct smtp_rcpt rc[150];
	struct srv sv;
	struct conn c;
	struct smtp_msg m;
	struct body b;
	struct buf raw;
	size_t i;
	int refuse;

	buf_init(&raw);
	if (srv_start(&sv, "--pipelining", "--reject-mail",
	    "no@client.test=451 4.3.0 not now", NULL) == -1) {
		UNIT_CHECK("groups", 0, "no server");
		return;
	}
	for (refuse = 0; refuse < 2; refuse++) {
		if (conn_start(&c, &sv) == -1) {
			UNIT_CHECK("groups", 0, "no session");
			continue;
		}
		memset(&m, 0, sizeof(m));
		memset(&b, 0, sizeof(b));
		for (i = 0; i < 150; i++) {
			(void)snprintf(addrs[i], sizeof(addrs[i]),
			    "r%zu@mx.test", i);
			memset(&rc[i], 0, sizeof(rc[i]));
			rc[i].addr = addrs[i];
			smtp_reply_init(&rc[i].reply);
		}
		b.p = "x\n";
		b.len = 2;
		b.step = 10;
		m.sender = refuse ? "no@client.test" : "s@client.test";
		m.rcpts = rc;
		m.nrcpts = 150;
		m.read = body_read;
		m.read_arg = &b;
		UNIT_INT("groups", smtp_send(c.s, &m, &c.r, NULL),
		    refuse ? SMTP_TEMPFAIL : SMTP_OK);
		for (i = 0; i < 150; i++) {
			UNIT_INT("groups rcpt", rc[i].result,
			    refuse ? SMTP_TEMPFAIL : SMTP_OK);
			UNIT_INT("groups rcpt", rc[i].reply.code,
			    refuse ? 451 : 250);
			smtp_reply_free(&rc[i].reply);
		}
		conn_close(&c, true);
		if (srv_raw(&sv, refuse + 1, "raw", &raw) == 0)
			UNIT_INT("groups sent", count(&raw, "RCPT TO:"),
			    refuse ? SMTP_PIPE_MAX : 150);
		if (!refuse && srv_raw(&sv, 1, "chunks", &raw) == 0)
			UNIT_CHECK("groups", same_chunk(&raw, "MAIL FROM:",
			    "<r99@mx.test>") && !same_chunk(&raw, "<r99@",
			    "<r100@") && same_chunk(&raw, "<r100@", "<r149@") &&
			    same_chunk(&raw, "<r149@", "DATA\r\n"),
			    "chunks:\n%s", buf_cstr(&raw));
	}
	buf_free(&raw);
	srv_stop(&sv);
}

/* The end of data refused; then a read error while sending the body. */
static void
test_data_refused(void)
{
	struct srv sv;
	struct conn c;
	struct smtp_msg m;
	struct rcpts rs;
	struct body b;
	struct buf raw;
	struct why why;

	buf_init(&raw);
	if (srv_start(&sv, "--pipelining", "--data-reply",
	    "554 5.7.1 looks like spam", NULL) == -1 ||
	    conn_start(&c, &sv) == -1) {
		UNIT_CHECK("data refused", 0, "no session");
		srv_stop(&sv);
		return;
	}
	msg_init(&m, &rs, &b, "spam\n", 4096, "a@mx.test", "b@mx.test");
	UNIT_INT("data refused", smtp_send(c.s, &m, &c.r, NULL),
	    SMTP_PERMFAIL);
	UNIT_INT("data refused", c.r.code, 554);
	UNIT_INT("data refused a", rs.r[0].result, SMTP_PERMFAIL);
	UNIT_STR("data refused b", buf_cstr(&rs.r[1].reply.text),
	    "looks like spam");
	rcpts_free(&rs);

	/* The message cannot be read half way: no final dot, NETFAIL. */
	msg_init(&m, &rs, &b, "0123456789\n0123456789\n", 4, "a@mx.test",
	    NULL);
	b.fail = true;
	UNIT_INT("read error", smtp_send(c.s, &m, &c.r, &why), SMTP_NETFAIL);
	UNIT_INT("read error rcpt", rs.r[0].result, SMTP_NETFAIL);
	UNIT_STR("read error why", why.text,
	    "error reading the queued message");
	rcpts_free(&rs);
	/* The session is dead now. */
	msg_init(&m, &rs, &b, "x\n", 4096, "a@mx.test", NULL);
	UNIT_INT("dead session", smtp_send(c.s, &m, &c.r, NULL),
	    SMTP_NETFAIL);
	rcpts_free(&rs);
	conn_close(&c, true);
	if (srv_raw(&sv, 1, "raw", &raw) == 0) {
		UNIT_INT("no final dot", count(&raw, ".\r\n"), 1);
		UNIT_INT("no quit", count(&raw, "QUIT"), 0);
	}
	buf_free(&raw);
	srv_stop(&sv);
}

/* EHLO refused with 502: HELO, no extensions, lock-step sending. */
static void
test_helo(void)
{
	struct srv sv;
	struct conn c;
	struct smtp_msg m;
	struct rcpts rs;
	struct body b;
	struct buf raw;

	buf_init(&raw);
	if (srv_start(&sv, "--reject-ehlo", "--pipelining", "--dsn",
	    NULL) == -1 || conn_start(&c, &sv) == -1) {
		UNIT_CHECK("helo", 0, "no session");
		srv_stop(&sv);
		return;
	}
	UNIT_INT("helo reply", c.r.code, 250);
	UNIT_CHECK("helo no ext", !smtp_has(c.s, SMTP_EXT_PIPELINING) &&
	    !smtp_has(c.s, SMTP_EXT_8BITMIME), "extensions after HELO");
	msg_init(&m, &rs, &b, "x\n", 4096, "a@mx.test", NULL);
	m.body_8bit = true;
	m.size = 3;
	UNIT_INT("helo send", smtp_send(c.s, &m, &c.r, NULL), SMTP_OK);
	rcpts_free(&rs);
	conn_close(&c, true);
	if (srv_raw(&sv, 1, "raw", &raw) == 0)
		UNIT_STR("helo raw", buf_cstr(&raw),
		    "EHLO client.test\r\nHELO client.test\r\n"
		    "MAIL FROM:<sender@client.test>\r\nRCPT TO:<a@mx.test>\r\n"
		    "DATA\r\nx\r\n.\r\nQUIT\r\n");
	buf_free(&raw);
	srv_stop(&sv);
}

/* STARTTLS, then AUTH PLAIN or LOGIN; secrets hidden in the trace. */
static void
test_tls_auth(void)
{
	struct tls_config tc = { NULL, NULL, NULL, NULL };
	struct tls_ctx *ctx;
	struct srv sv;
	struct conn c;
	struct why why;
	struct smtp_msg m;
	struct rcpts rs;
	struct body b;
	int login;

	if ((ctx = tls_ctx_new(&tc, &why)) == NULL) {
		UNIT_CHECK("tls ctx", 0, "%s", why.text);
		return;
	}
	for (login = 0; login < 2; login++) {
		const char *name = login ? "auth login" : "auth plain";

		if (srv_start(&sv, "--tls", "--auth", "joe:s3cret pass",
		    login ? "--auth-login-only" : "--pipelining", NULL) == -1 ||
		    conn_start(&c, &sv) == -1) {
			UNIT_CHECK(name, 0, "no session");
			srv_stop(&sv);
			continue;
		}
		UNIT_CHECK(name, smtp_has(c.s, SMTP_EXT_STARTTLS), "no tls");
		UNIT_CHECK(name, !smtp_has(c.s, SMTP_EXT_AUTH_PLAIN),
		    "auth before tls");
		UNIT_INT(name, smtp_auth(c.s, "joe", "s3cret pass", &c.r),
		    SMTP_PERMFAIL);
		UNIT_CHECK(name, c.r.local && c.r.code == 530 &&
		    strstr(buf_cstr(&c.r.text), "not encrypted") != NULL,
		    "clear-text auth not refused: %d %s", c.r.code,
		    buf_cstr(&c.r.text));
		UNIT_INT(name, count(&c.tr.text, "AUTH"), 0);
		UNIT_INT(name, smtp_starttls(c.s, ctx, NULL, NULL, &c.r, &why),
		    SMTP_OK);
		UNIT_CHECK(name, io_is_tls(c.io), "not tls");
		UNIT_CHECK(name, !smtp_has(c.s, SMTP_EXT_STARTTLS),
		    "extensions kept after STARTTLS");
		UNIT_INT(name, smtp_ehlo(c.s, &c.r), SMTP_OK);
		UNIT_CHECK(name, smtp_has(c.s, SMTP_EXT_AUTH_LOGIN),
		    "no LOGIN");
		UNIT_CHECK(name, smtp_has(c.s, SMTP_EXT_AUTH_PLAIN) != login,
		    "PLAIN offered %d", login);
		UNIT_INT(name, smtp_auth(c.s, "joe", "wrong", &c.r),
		    SMTP_PERMFAIL);
		UNIT_INT(name, c.r.code, 535);
		UNIT_INT(name, smtp_auth(c.s, "joe", "s3cret pass", &c.r),
		    SMTP_OK);
		UNIT_INT(name, c.r.code, 235);
		msg_init(&m, &rs, &b, "secret mail\n", 4096, "a@mx.test",
		    NULL);
		UNIT_INT(name, smtp_send(c.s, &m, &c.r, NULL), SMTP_OK);
		rcpts_free(&rs);
		UNIT_CHECK(name, strstr(buf_cstr(&c.tr.text), "s3cret") ==
		    NULL && strstr(buf_cstr(&c.tr.text), "am9l") == NULL &&
		    strstr(buf_cstr(&c.tr.text), "AGpvZQ") == NULL,
		    "secret in trace:\n%s", buf_cstr(&c.tr.text));
		UNIT_CHECK(name, strstr(buf_cstr(&c.tr.text), login ?
		    "> AUTH LOGIN\n" : "> AUTH PLAIN <hidden>\n") != NULL,
		    "trace:\n%s", buf_cstr(&c.tr.text));
		UNIT_CHECK(name, !login || count(&c.tr.text,
		    "> <hidden>\n") == 4, "trace:\n%s", buf_cstr(&c.tr.text));
		UNIT_CHECK(name, strstr(buf_cstr(&c.tr.text),
		    "< 235 ") != NULL && strstr(buf_cstr(&c.tr.text),
		    "> .\n") != NULL, "trace:\n%s", buf_cstr(&c.tr.text));
		conn_close(&c, true);
		srv_stop(&sv);
	}
	tls_ctx_free(ctx);
}

/* Replies a real server would not send, from the raw script server. */
static const struct {
	const char	*name;
	const char	*script;
	int		 step;		/* 0 greeting, 1 EHLO, 2 send */
	const char	*why;		/* start of the reason */
} faults[] = {
	{ "garbage greeting", "hello there\r\n", 0, "broken reply" },
	{ "closed at once", "CLOSE", 0, "lost connection" },
	{ "greeting 554", "554 5.7.1 go away\r\n", 0, NULL },
	{ "mismatched ehlo", "220 x\r\n--\n250-x\r\n251 PIPELINING\r\n", 1,
	    "broken reply to EHLO: reply code changed" },
	{ "silent ehlo", "220 x\r\n--\n", 1,
	    "lost connection reading reply to EHLO: timeout" },
	{ "354 to mail", "220 x\r\n--\n250 x\r\n--\n354 go\r\n", 2,
	    "unexpected reply to MAIL FROM: 354" },
	{ "250 to data", "220 x\r\n--\n250 x\r\n--\n250 ok\r\n--\n"
	    "250 ok\r\n--\n250 data?\r\n", 2,
	    "unexpected reply to DATA: 250" },
	{ "closed after rcpt", "220 x\r\n--\n250 x\r\n--\n250 ok\r\n--\n"
	    "250 ok\r\n--\nCLOSE", 2, "lost connection reading reply to DATA" },
	{ "long line", "220 x\r\n--\n250-x\r\n250 %LONG%\r\n", 1,
	    "lost connection reading reply to EHLO: line too long" },
};

static void
test_faults(void)
{
	char path[128];
	struct srv sv;
	struct conn c;
	struct smtp_msg m;
	struct rcpts rs;
	struct body b;
	struct buf script;
	enum smtp_result res;
	struct why why;
	size_t i;
	FILE *f;
	int step;

	buf_init(&script);
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		const char *name = faults[i].name, *p;

		buf_reset(&script);
		p = strstr(faults[i].script, "%LONG%");
		if (p != NULL) {
			buf_add(&script, faults[i].script,
			    (size_t)(p - faults[i].script));
			while (script.len < 3 * SMTP_REPLY_LINE_MAX)
				buf_addc(&script, 'x');
			buf_adds(&script, p + 6);
		} else {
			buf_adds(&script, faults[i].script);
		}
		(void)snprintf(path, sizeof(path), "/tmp/test_smtp_script.%d",
		    (int)getpid());
		if ((f = fopen(path, "w")) == NULL ||
		    fwrite(script.data, 1, script.len, f) != script.len ||
		    fclose(f) != 0) {
			UNIT_CHECK(name, 0, "cannot write script");
			continue;
		}
		if (srv_start(&sv, "--script", path, NULL) == -1 ||
		    conn_open(&c, &sv, 500) == -1) {
			UNIT_CHECK(name, 0, "no server");
			srv_stop(&sv);
			continue;
		}
		res = SMTP_OK;
		for (step = 0; step <= faults[i].step && res == SMTP_OK;
		    step++) {
			if (step == 0) {
				res = smtp_greeting(c.s, &c.r);
			} else if (step == 1) {
				res = smtp_ehlo(c.s, &c.r);
			} else {
				msg_init(&m, &rs, &b, "x\n", 4096, "a@b",
				    NULL);
				res = smtp_send(c.s, &m, &c.r, &why);
				UNIT_INT(name, rs.r[0].result, res);
				rcpts_free(&rs);
			}
		}
		if (faults[i].why == NULL) {
			UNIT_INT(name, res, SMTP_PERMFAIL);
			UNIT_INT(name, c.r.code, 554);
		} else {
			UNIT_INT(name, res, SMTP_NETFAIL);
			UNIT_CHECK(name, c.r.local && c.r.code == 421,
			    "reply %d local %d", c.r.code, c.r.local);
			UNIT_CHECK(name, strncmp(buf_cstr(&c.r.text),
			    faults[i].why, strlen(faults[i].why)) == 0,
			    "got \"%s\", want \"%s...\"", buf_cstr(&c.r.text),
			    faults[i].why);
			/* Dead: no more I/O, the same class. */
			UNIT_INT(name, smtp_rset(c.s, &c.r), SMTP_NETFAIL);
		}
		conn_close(&c, false);
		srv_stop(&sv);
		(void)unlink(path);
	}
	buf_free(&script);
}

int
main(void)
{
	(void)signal(SIGPIPE, SIG_IGN);
	if (access(SERVER_SCRIPT, R_OK) != 0 ||
	    access("/usr/bin/python3", X_OK) != 0) {
		printf("FAIL setup: run from the top of the tree, with "
		    "/usr/bin/python3 and python3-aiosmtpd\n");
		return 1;
	}
	test_bodies();
	test_session_dsn();
	test_refusals();
	test_groups();
	test_data_refused();
	test_helo();
	test_tls_auth();
	test_faults();
	return unit_done("smtp");
}
