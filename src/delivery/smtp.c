/*
 * smtp: the client side of an SMTP session. See smtp.h.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "crash.h"
#include "dsnparam.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "smtp.h"
#include "smtp_dot.h"
#include "smtp_reply.h"
#include "why.h"
#include "xmalloc.h"

#define SMTP_COMMAND_TIMEOUT	(300 * 1000)	/* RFC 5321 4.5.3.2 */
#define SMTP_DATA_TIMEOUT	(600 * 1000)
#define SMTP_QUIT_TIMEOUT	(5 * 1000)
#define SMTP_CHUNK		(64 * 1024)	/* body read size */

struct smtp_session {
	struct io		*io;
	struct smtp_params	 p;
	struct smtp_ehlo	 ehlo;
	bool			 dead;		/* out of sync or closed */
	bool			 need_rset;	/* a transaction is open */
	struct why		 dead_why;
	struct buf		 line;		/* reply line being read */
	struct buf		 cmd;		/* command being written */
	char			*chunk;		/* SMTP_CHUNK bytes of body */
	struct smtp_msg		*pend;		/* its "." unanswered */
	struct smtp_reply	 pend_reply;	/* the reply to that "." */
};

struct smtp_session *
smtp_new(struct io *io, const struct smtp_params *p)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));

	s->io = io;
	s->p = *p;
	if (s->p.helo_name == NULL || *s->p.helo_name == '\0')
		s->p.helo_name = "localhost";
	if (s->p.command_timeout_ms <= 0)
		s->p.command_timeout_ms = SMTP_COMMAND_TIMEOUT;
	if (s->p.data_timeout_ms <= 0)
		s->p.data_timeout_ms = SMTP_DATA_TIMEOUT;
	smtp_reply_ehlo_init(&s->ehlo);
	smtp_reply_init(&s->pend_reply);
	buf_init(&s->line);
	buf_init(&s->cmd);
	return s;
}

void
smtp_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	if (s->pend != NULL)
		panic("smtp_free: a message's \".\" is unanswered");
	smtp_reply_free(&s->pend_reply);
	buf_free(&s->line);
	if (s->cmd.data != NULL)
		explicit_bzero(s->cmd.data, s->cmd.cap);
	buf_free(&s->cmd);
	free(s->chunk);
	free(s);
}

bool
smtp_has(const struct smtp_session *s, enum smtp_ext ext)
{
	return (s->ehlo.exts & (unsigned)ext) != 0;
}

size_t
smtp_size_limit(const struct smtp_session *s)
{
	return (s->ehlo.exts & SMTP_EXT_SIZE) ? s->ehlo.size : 0;
}

static void
smtp_trace(struct smtp_session *s, char dir, const char *data, size_t len)
{
	if (s->p.trace != NULL)
		s->p.trace(s->p.trace_arg, dir, data, len);
}

/*
 * Queues one command line. shown: what the trace shows instead of the
 * line (for secrets), or NULL.
 */
static void PRINTFLIKE(3, 4)
smtp_cmd(struct smtp_session *s, const char *shown, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&s->cmd);
	va_start(ap, fmt);
	buf_vprintf(&s->cmd, fmt, ap);
	va_end(ap);
	if (shown != NULL)
		smtp_trace(s, '>', shown, strlen(shown));
	else
		smtp_trace(s, '>', s->cmd.data, s->cmd.len);
	buf_add(&s->cmd, "\r\n", 2);
	io_write(s->io, s->cmd.data, s->cmd.len);
}

/*
 * Addresses and DSN values go into command lines: a control character
 * would end the line early and smuggle in a command of its own.
 */
static bool
smtp_addr_ok(const char *a)
{
	const unsigned char *p;

	if (a == NULL)
		return false;
	for (p = (const unsigned char *)a; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Gives every recipient still pending (NETFAIL or OK) res and r. */
static void
smtp_settle(struct smtp_msg *m, enum smtp_result res,
    const struct smtp_reply *r, bool all)
{
	size_t i;

	for (i = 0; i < m->nrcpts; i++) {
		struct smtp_rcpt *rc = &m->rcpts[i];

		if (!all && rc->result != SMTP_OK &&
		    rc->result != SMTP_NETFAIL)
			continue;
		if (all && !smtp_addr_ok(rc->addr))
			continue;
		rc->result = res;
		smtp_reply_copy(&rc->reply, r);
	}
}

/* The pending message's transaction ended with res and r. */
static void
smtp_pend_settle(struct smtp_session *s, enum smtp_result res,
    const struct smtp_reply *r)
{
	struct smtp_msg *m = s->pend;

	s->pend = NULL;
	smtp_settle(m, res, r, false);
	m->result = res;
	m->pending = false;
}

/* The session cannot go on: remember why, say it in r. */
static enum smtp_result PRINTFLIKE(4, 5)
smtp_dead(struct smtp_session *s, struct smtp_reply *r, const char *enh,
    const char *fmt, ...)
{
	va_list ap;

	s->dead = true;
	va_start(ap, fmt);
	(void)vsnprintf(s->dead_why.text, sizeof(s->dead_why.text), fmt, ap);
	va_end(ap);
	smtp_reply_set(r, 421, enh, "%s", s->dead_why.text);
	if (s->pend != NULL)
		smtp_pend_settle(s, SMTP_NETFAIL, r);
	return SMTP_NETFAIL;
}

static enum smtp_result
smtp_check_dead(struct smtp_session *s, struct smtp_reply *r)
{
	if (!s->dead)
		return SMTP_OK;
	smtp_reply_set(r, 421, "4.4.2", "%s", s->dead_why.text);
	return SMTP_NETFAIL;
}

static enum smtp_result
smtp_flush(struct smtp_session *s, struct smtp_reply *r, const char *what)
{
	struct why w;

	io_set_timeout(s->io, s->p.command_timeout_ms);
	if (io_flush(s->io, &w) == -1)
		return smtp_dead(s, r, "4.4.2",
		    "lost connection sending %s: %s", what, w.text);
	return SMTP_OK;
}

/* For smtp_read: 235 (done) or 334 (a challenge) are both right. */
#define SMTP_EXPECT_SASL	0

/*
 * Reads one reply within timeout_ms: the whole reply, however many lines
 * (one deadline per line would let a slow server hold us for hours, a
 * line at a time). Its class, where a first digit of
 * expect counts as SMTP_OK; any other but 4 and 5 puts the session out of
 * sync (a 354 to RCPT, a 250 to DATA).
 */
static enum smtp_result
smtp_read(struct smtp_session *s, int timeout_ms, int expect,
    struct smtp_reply *r, struct smtp_ehlo *ehlo, const char *what)
{
	struct smtp_reply_parser p;
	struct why w;
	int64_t deadline;

	if (smtp_check_dead(s, r) != SMTP_OK)
		return SMTP_NETFAIL;
	io_set_timeout(s->io, timeout_ms);
	deadline = net_deadline(timeout_ms);
	smtp_reply_parser_init(&p, r, ehlo);
	for (;;) {
		if (io_getline_until(s->io, &s->line, SMTP_REPLY_LINE_MAX,
		    deadline, &w) == -1)
			return smtp_dead(s, r, "4.4.2",
			    "lost connection reading reply to %s: %s", what,
			    w.text);
		smtp_trace(s, '<', s->line.data, s->line.len);
		switch (smtp_reply_feed(&p, s->line.data, s->line.len, &w)) {
		case SMTP_REPLY_MORE:
			continue;
		case SMTP_REPLY_DONE:
			break;
		case SMTP_REPLY_BAD:
			return smtp_dead(s, r, "4.5.0",
			    "broken reply to %s: %s", what, w.text);
		}
		break;
	}
	if (r->code / 100 == expect || (expect == SMTP_EXPECT_SASL &&
	    (r->code / 100 == 2 || r->code / 100 == 3)))
		return SMTP_OK;
	if (r->code / 100 == 4)
		return SMTP_TEMPFAIL;
	if (r->code / 100 == 5)
		return SMTP_PERMFAIL;
	return smtp_dead(s, r, "4.5.0", "unexpected reply to %s: %d %s", what,
	    r->code, buf_cstr(&r->text));
}

/* Sends a command alone and reads its reply; what: its verb. */
static enum smtp_result
smtp_simple(struct smtp_session *s, const char *cmd, const char *what,
    int expect, struct smtp_reply *r, struct smtp_ehlo *ehlo)
{
	if (smtp_check_dead(s, r) != SMTP_OK)
		return SMTP_NETFAIL;
	smtp_cmd(s, NULL, "%s", cmd);
	if (smtp_flush(s, r, what) != SMTP_OK)
		return SMTP_NETFAIL;
	return smtp_read(s, s->p.command_timeout_ms, expect, r, ehlo, what);
}

/*
 * The reply to the pending message's ".", once the write that carried
 * the "." went out; its class settles the message (a NETFAIL, through
 * smtp_dead()).
 */
static void
smtp_read_pending(struct smtp_session *s)
{
	enum smtp_result res;

	crash_point("deliver.after-dot");
	res = smtp_read(s, s->p.data_timeout_ms, 2, &s->pend_reply, NULL,
	    "end of data");
	if (res != SMTP_NETFAIL)
		smtp_pend_settle(s, res, &s->pend_reply);
}

enum smtp_result
smtp_finish(struct smtp_session *s)
{
	struct smtp_msg *m = s->pend;

	if (m == NULL)
		return SMTP_OK;
	if (smtp_flush(s, &s->pend_reply, "message data") == SMTP_OK)
		smtp_read_pending(s);
	return m->result;
}

enum smtp_result
smtp_greeting(struct smtp_session *s, struct smtp_reply *r)
{
	return smtp_read(s, s->p.command_timeout_ms, 2, r, NULL, "greeting");
}

enum smtp_result
smtp_ehlo(struct smtp_session *s, struct smtp_reply *r)
{
	struct smtp_ehlo e;
	enum smtp_result res;
	char cmd[512];

	smtp_reply_ehlo_init(&s->ehlo);
	smtp_reply_ehlo_init(&e);
	if (smtp_check_dead(s, r) != SMTP_OK)
		return SMTP_NETFAIL;
	/* nothing may come before our EHLO: a reply stream out of step */
	if (io_pending(s->io) > 0)
		return smtp_dead(s, r, "4.5.0", "server sent data before "
		    "EHLO (replies out of step)");
	(void)snprintf(cmd, sizeof(cmd), "EHLO %s", s->p.helo_name);
	res = smtp_simple(s, cmd, "EHLO", 2, r, &e);
	if (res == SMTP_OK)
		s->ehlo = e;
	if (res != SMTP_PERMFAIL)
		return res;
	/* RFC 5321 3.2: a server that refuses EHLO may still take HELO. */
	(void)snprintf(cmd, sizeof(cmd), "HELO %s", s->p.helo_name);
	return smtp_simple(s, cmd, "HELO", 2, r, NULL);
}

enum smtp_result
smtp_starttls(struct smtp_session *s, struct tls_ctx *ctx, const char *sni,
    const char *verify_host, struct smtp_reply *r, struct why *why)
{
	enum smtp_result res;
	struct why w;

	res = smtp_simple(s, "STARTTLS", "STARTTLS", 2, r, NULL);
	if (res != SMTP_OK) {
		if (res == SMTP_NETFAIL)
			why_set(why, "%s", s->dead_why.text);
		return res;
	}
	/* RFC 3207 4.2: what the server said before TLS is forgotten. */
	smtp_reply_ehlo_init(&s->ehlo);
	if (io_starttls(s->io, ctx, sni, verify_host, &w) == -1) {
		res = smtp_dead(s, r, "4.7.0", "%s", w.text);
		why_set(why, "%s", w.text);
		return res;
	}
	return SMTP_OK;
}

/* Queues a line holding a secret; the trace shows shown instead. */
static void
smtp_secret(struct smtp_session *s, const char *prefix, struct buf *secret,
    const char *shown)
{
	buf_reset(&s->cmd);
	buf_adds(&s->cmd, prefix);
	buf_add(&s->cmd, secret->data, secret->len);
	buf_add(&s->cmd, "\r\n", 2);
	smtp_trace(s, '>', shown, strlen(shown));
	io_write(s->io, s->cmd.data, s->cmd.len);
	explicit_bzero(s->cmd.data, s->cmd.cap);
	buf_reset(&s->cmd);
	if (secret->data != NULL)
		explicit_bzero(secret->data, secret->cap);
	buf_reset(secret);
}

/* A local 530 for an AUTH we do not send; why: the reason. */
static enum smtp_result
smtp_auth_refused(struct smtp_reply *r, const char *why)
{
	smtp_reply_set(r, 530, "5.7.0", "AUTH not attempted: %s", why);
	return SMTP_PERMFAIL;
}

enum smtp_result
smtp_auth(struct smtp_session *s, const char *user, const char *pass,
    struct smtp_reply *r)
{
	enum smtp_result res;
	struct buf secret;
	struct why w;
	unsigned step;

	if (smtp_check_dead(s, r) != SMTP_OK)
		return SMTP_NETFAIL;
	/* DESIGN: AUTH is never sent in clear text, unless configured */
	if (!io_is_tls(s->io) && !s->p.auth_plaintext)
		return smtp_auth_refused(r, "the connection is not encrypted");
	buf_init(&secret);
	if (smtp_has(s, SMTP_EXT_AUTH_PLAIN)) {
		if (auth_plain(&secret, user, pass, &w) == -1) {
			res = smtp_auth_refused(r, w.text);
			goto out;
		}
		smtp_secret(s, "AUTH PLAIN ", &secret, "AUTH PLAIN <hidden>");
		res = smtp_flush(s, r, "AUTH");
		if (res == SMTP_OK)
			res = smtp_read(s, s->p.command_timeout_ms, 2, r, NULL,
			    "AUTH");
		goto out;
	}
	if (!smtp_has(s, SMTP_EXT_AUTH_LOGIN)) {
		res = smtp_auth_refused(r, "the server offers neither PLAIN "
		    "nor LOGIN");
		goto out;
	}
	smtp_cmd(s, NULL, "AUTH LOGIN");
	for (step = 0; step < 2; step++) {
		if ((res = smtp_flush(s, r, "AUTH")) != SMTP_OK)
			goto out;
		res = smtp_read(s, s->p.command_timeout_ms, 3, r, NULL, "AUTH");
		if (res != SMTP_OK)
			goto out;
		if (auth_login_response(&secret, step, user, pass, &w) == -1) {
			/* mid-exchange: the session cannot go on */
			res = smtp_dead(s, r, "4.7.0", "AUTH LOGIN: %s",
			    w.text);
			goto out;
		}
		smtp_secret(s, "", &secret, "<hidden>");
	}
	if ((res = smtp_flush(s, r, "AUTH")) == SMTP_OK)
		res = smtp_read(s, s->p.command_timeout_ms, 2, r, NULL, "AUTH");
out:
	if (secret.data != NULL)
		explicit_bzero(secret.data, secret.cap);
	buf_free(&secret);
	return res;
}

enum smtp_result
smtp_auth_sasl(struct smtp_session *s, const char *mech, struct buf *ir,
    const char *on_challenge, struct smtp_reply *r, struct buf *challenge)
{
	enum smtp_result res;
	struct buf shown;
	char prefix[64];

	if (smtp_check_dead(s, r) != SMTP_OK)
		return SMTP_NETFAIL;
	if (!io_is_tls(s->io) && !s->p.auth_plaintext)
		return smtp_auth_refused(r, "the connection is not encrypted");
	buf_init(&shown);
	buf_printf(&shown, "AUTH %s <hidden>", mech);
	(void)snprintf(prefix, sizeof(prefix), "AUTH %s ", mech);
	smtp_secret(s, prefix, ir, buf_cstr(&shown));
	buf_free(&shown);
	if ((res = smtp_flush(s, r, "AUTH")) != SMTP_OK)
		return res;
	res = smtp_read(s, s->p.command_timeout_ms, SMTP_EXPECT_SASL, r, NULL,
	    "AUTH");
	if (res != SMTP_OK || r->code / 100 == 2)
		return res;
	/*
	 * 334: the server's error (RFC 7628 3.2.2: base64 JSON); the client
	 * ends the exchange (OAUTHBEARER: ^A, XOAUTH2: an empty line) and
	 * the server answers with the failure.
	 */
	buf_reset(challenge);
	(void)auth_challenge(challenge, r->text.data != NULL ? r->text.data :
	    "", r->text.len, NULL);
	smtp_cmd(s, NULL, "%s", on_challenge);
	if ((res = smtp_flush(s, r, "AUTH")) != SMTP_OK)
		return res;
	return smtp_read(s, s->p.command_timeout_ms, 2, r, NULL, "AUTH");
}

enum smtp_result
smtp_rset(struct smtp_session *s, struct smtp_reply *r)
{
	enum smtp_result res;

	if (s->pend != NULL)
		panic("smtp_rset: a message's \".\" is unanswered");
	res = smtp_simple(s, "RSET", "RSET", 2, r, NULL);
	if (res == SMTP_OK) {
		s->need_rset = false;
	} else if (res != SMTP_NETFAIL) {
		/* A server that refuses RSET may be out of sync. */
		(void)smtp_dead(s, r, "4.5.0", "RSET refused: %d %s", r->code,
		    buf_cstr(&r->text));
		res = SMTP_NETFAIL;
	}
	return res;
}

void
smtp_quit(struct smtp_session *s)
{
	struct smtp_reply r;
	struct why w;
	int ms = s->p.command_timeout_ms;

	if (s->pend != NULL)
		panic("smtp_quit: a message's \".\" is unanswered");
	if (s->dead)
		return;
	smtp_reply_init(&r);
	smtp_cmd(s, NULL, "QUIT");
	if (ms > SMTP_QUIT_TIMEOUT)
		ms = SMTP_QUIT_TIMEOUT;
	io_set_timeout(s->io, ms);
	if (io_flush(s->io, &w) == 0)
		/* Best effort: the reply changes nothing. */
		(void)smtp_read(s, ms, 2, &r, NULL, "QUIT");
	s->dead = true;
	(void)strlcpy(s->dead_why.text, "session ended with QUIT",
	    sizeof(s->dead_why.text));
	smtp_reply_free(&r);
}

static void
smtp_queue_mail(struct smtp_session *s, const struct smtp_msg *m)
{
	struct buf *b = &s->cmd;
	bool dsn = smtp_has(s, SMTP_EXT_DSN);

	buf_reset(b);
	buf_printf(b, "MAIL FROM:<%s>", m->sender);
	if (m->size > 0 && smtp_has(s, SMTP_EXT_SIZE))
		buf_printf(b, " SIZE=%zu", m->size);
	if (m->body_8bit && smtp_has(s, SMTP_EXT_8BITMIME))
		buf_adds(b, " BODY=8BITMIME");
	if (m->smtputf8)
		buf_adds(b, " SMTPUTF8");
	if (dsn && dsnparam_ret_name(m->ret) != NULL)
		buf_printf(b, " RET=%s", dsnparam_ret_name(m->ret));
	if (dsn && m->envid != NULL && *m->envid != '\0') {
		buf_adds(b, " ENVID=");
		dsnparam_xtext_encode(b, m->envid, strlen(m->envid));
	}
	smtp_trace(s, '>', b->data, b->len);
	buf_add(b, "\r\n", 2);
	io_write(s->io, b->data, b->len);
}

static void
smtp_queue_rcpt(struct smtp_session *s, const struct smtp_rcpt *rc)
{
	struct buf *b = &s->cmd;

	buf_reset(b);
	buf_printf(b, "RCPT TO:<%s>", rc->addr);
	if (smtp_has(s, SMTP_EXT_DSN) && dsnparam_notify_ok(rc->notify)) {
		buf_adds(b, " NOTIFY=");
		dsnparam_notify_format(b, rc->notify);
	}
	if (smtp_has(s, SMTP_EXT_DSN) && rc->orcpt != NULL &&
	    *rc->orcpt != '\0') {
		buf_adds(b, " ORCPT=");
		dsnparam_orcpt_encode(b, rc->orcpt);
	}
	smtp_trace(s, '>', b->data, b->len);
	buf_add(b, "\r\n", 2);
	io_write(s->io, b->data, b->len);
}

/* io_write as a smtp_dot writer. */
static void
smtp_dot_out(void *io, const void *p, size_t n)
{
	io_write(io, p, n);
}

/* Sends the body and the final "."; -1 if the message could not be read. */
static int
smtp_body(struct smtp_session *s, struct smtp_msg *m)
{
	struct smtp_dot d;
	ssize_t n;

	if (s->chunk == NULL)
		s->chunk = xmalloc(SMTP_CHUNK);
	io_set_timeout(s->io, s->p.command_timeout_ms);
	smtp_dot_init(&d);
	while ((n = m->read(m->read_arg, s->chunk, SMTP_CHUNK)) > 0)
		smtp_dot_encode(&d, s->chunk, (size_t)n, smtp_dot_out, s->io);
	if (n < 0)
		return -1;
	smtp_dot_finish(&d, smtp_dot_out, s->io);
	smtp_trace(s, '>', ".", 1);
	return 0;
}

/* Checks made before anything is sent; SMTP_OK when there are none. */
static enum smtp_result
smtp_precheck(struct smtp_session *s, struct smtp_msg *m,
    struct smtp_reply *r)
{
	size_t i, limit = smtp_size_limit(s);

	if (m->nrcpts == 0) {
		smtp_reply_set(r, 554, "5.5.1", "no recipients");
		return SMTP_PERMFAIL;
	}
	if (!smtp_addr_ok(m->sender)) {
		smtp_reply_set(r, 553, "5.1.7",
		    "sender address has control characters");
		return SMTP_PERMFAIL;
	}
	if (m->smtputf8 && !smtp_has(s, SMTP_EXT_SMTPUTF8)) {
		smtp_reply_set(r, 553, "5.6.7", "message needs SMTPUTF8 "
		    "(RFC 6531) but the server does not offer it");
		return SMTP_PERMFAIL;
	}
	if (limit > 0 && m->size > limit) {
		smtp_reply_set(r, 552, "5.3.4",
		    "message size %zu exceeds server limit %zu", m->size,
		    limit);
		return SMTP_PERMFAIL;
	}
	for (i = 0; i < m->nrcpts; i++)
		if (smtp_addr_ok(m->rcpts[i].addr))
			return SMTP_OK;
	smtp_reply_set(r, 553, "5.1.3",
	    "recipient address has control characters");
	return SMTP_PERMFAIL;
}

/*
 * After a 354 that should not have come (no recipient, or MAIL refused,
 * with DATA pipelined): an empty message ends the DATA (RFC 2920 3.1);
 * its reply is read and ignored.
 */
static enum smtp_result
smtp_empty_data(struct smtp_session *s, struct smtp_reply *scratch)
{
	smtp_cmd(s, NULL, ".");
	if (smtp_flush(s, scratch, "end of data") != SMTP_OK)
		return SMTP_NETFAIL;
	return smtp_read(s, s->p.data_timeout_ms, 2, scratch, NULL,
	    "end of data");
}

/*
 * Sends RCPT TO for every recipient (in groups with PIPELINING, DATA
 * after the last group) and reads the replies, MAIL's first if not read
 * yet. SMTP_NETFAIL, or SMTP_OK with the counts and results filled.
 */
static enum smtp_result
smtp_rcpts(struct smtp_session *s, struct smtp_msg *m, bool pipe,
    enum smtp_result *mail_res, struct smtp_reply *reply, bool *data_sent,
    size_t *accepted)
{
	size_t cap = pipe ? SMTP_PIPE_MAX : 1, i = 0, j, first, n;
	bool mail_read = !pipe;
	enum smtp_result res;
	struct smtp_rcpt *rc;

	while (i < m->nrcpts) {
		first = i;
		for (n = 0; i < m->nrcpts && n < cap; i++) {
			if (smtp_addr_ok(m->rcpts[i].addr)) {
				smtp_queue_rcpt(s, &m->rcpts[i]);
				n++;
			}
		}
		while (i < m->nrcpts && !smtp_addr_ok(m->rcpts[i].addr))
			i++;
		if (i == m->nrcpts && pipe) {
			/* RFC 2920 3.1: DATA ends the last group. */
			smtp_cmd(s, NULL, "DATA");
			*data_sent = true;
		}
		if (smtp_flush(s, reply, "RCPT TO") != SMTP_OK)
			return SMTP_NETFAIL;
		/* the write carried the last message's "." first */
		if (s->pend != NULL)
			smtp_read_pending(s);
		if (!mail_read) {
			mail_read = true;
			*mail_res = smtp_read(s, s->p.command_timeout_ms, 2,
			    reply, NULL, "MAIL FROM");
			if (*mail_res == SMTP_NETFAIL)
				return SMTP_NETFAIL;
		}
		for (j = first; j < i; j++) {
			rc = &m->rcpts[j];
			if (!smtp_addr_ok(rc->addr))
				continue;
			res = smtp_read(s, s->p.command_timeout_ms, 2,
			    &rc->reply, NULL, "RCPT TO");
			if (res == SMTP_NETFAIL) {
				smtp_reply_copy(reply, &rc->reply);
				return SMTP_NETFAIL;
			}
			rc->result = res;
			if (res == SMTP_OK)
				(*accepted)++;
		}
		if (*mail_res != SMTP_OK)
			break;
	}
	return SMTP_OK;
}

/* When no RCPT was accepted: the first 4xx refusal, else the first 5xx. */
static enum smtp_result
smtp_no_rcpt(struct smtp_msg *m, struct smtp_reply *reply)
{
	enum smtp_result want;
	size_t i;

	for (want = SMTP_TEMPFAIL; want <= SMTP_PERMFAIL; want++) {
		for (i = 0; i < m->nrcpts; i++) {
			if (m->rcpts[i].result == want) {
				smtp_reply_copy(reply, &m->rcpts[i].reply);
				return want;
			}
		}
	}
	smtp_reply_set(reply, 554, "5.5.1", "no recipient accepted");
	return SMTP_PERMFAIL;
}

/* Every recipient pending, but those that cannot be sent at all. */
static void
smtp_rcpts_init(struct smtp_msg *m)
{
	size_t i;

	for (i = 0; i < m->nrcpts; i++) {
		smtp_reply_reset(&m->rcpts[i].reply);
		m->rcpts[i].result = SMTP_NETFAIL;
		if (!smtp_addr_ok(m->rcpts[i].addr)) {
			smtp_reply_set(&m->rcpts[i].reply, 553, "5.1.3",
			    "recipient address has control characters");
			m->rcpts[i].result = SMTP_PERMFAIL;
		}
	}
}

/*
 * After the 354: the body, ".", and the final reply, or SMTP_PENDING
 * with the "." left for the next transaction's write (smtp_finish()).
 */
static enum smtp_result
smtp_data(struct smtp_session *s, struct smtp_msg *m,
    struct smtp_reply *reply)
{
	enum smtp_result res;

	if (smtp_body(s, m) == -1)
		return smtp_dead(s, reply, "4.3.0",
		    "error reading the queued message");
	if (m->may_pend && smtp_has(s, SMTP_EXT_PIPELINING)) {
		/* whatever its reply, it ends the transaction */
		s->need_rset = false;
		m->pending = true;
		s->pend = m;
		return SMTP_PENDING;
	}
	if (smtp_flush(s, reply, "message data") != SMTP_OK)
		return SMTP_NETFAIL;
	crash_point("deliver.after-dot");
	res = smtp_read(s, s->p.data_timeout_ms, 2, reply, NULL,
	    "end of data");
	/* RFC 5321 4.1.1.4: the final reply ends the transaction. */
	if (res != SMTP_NETFAIL)
		s->need_rset = false;
	return res;
}

enum smtp_result
smtp_send(struct smtp_session *s, struct smtp_msg *m,
    struct smtp_reply *reply, struct why *why)
{
	struct smtp_reply data;
	enum smtp_result res, mail_res = SMTP_OK, data_res = SMTP_NETFAIL;
	bool pipe = smtp_has(s, SMTP_EXT_PIPELINING), data_sent = false;
	size_t accepted = 0;

	smtp_reply_init(&data);
	smtp_rcpts_init(m);
	m->pending = false;
	if (s->pend != NULL && !pipe)
		(void)smtp_finish(s);
	if (smtp_check_dead(s, reply) != SMTP_OK)
		goto netfail;
	if ((res = smtp_precheck(s, m, reply)) != SMTP_OK) {
		smtp_settle(m, res, reply, true);
		goto out;
	}
	if (s->need_rset && smtp_rset(s, reply) != SMTP_OK)
		goto netfail;

	s->need_rset = true;
	smtp_queue_mail(s, m);
	if (!pipe) {
		if (smtp_flush(s, reply, "MAIL FROM") != SMTP_OK)
			goto netfail;
		mail_res = smtp_read(s, s->p.command_timeout_ms, 2, reply,
		    NULL, "MAIL FROM");
		if (mail_res == SMTP_NETFAIL)
			goto netfail;
	}
	if (mail_res == SMTP_OK && smtp_rcpts(s, m, pipe, &mail_res, reply,
	    &data_sent, &accepted) != SMTP_OK)
		goto netfail;
	if (data_sent) {
		data_res = smtp_read(s, s->p.command_timeout_ms, 3, &data,
		    NULL, "DATA");
		if (data_res == SMTP_NETFAIL) {
			smtp_reply_copy(reply, &data);
			goto netfail;
		}
	}
	if (mail_res != SMTP_OK || accepted == 0) {
		if (data_res == SMTP_OK &&
		    smtp_empty_data(s, &data) == SMTP_NETFAIL) {
			smtp_reply_copy(reply, &data);
			goto netfail;
		}
		if (mail_res != SMTP_OK) {
			/* RFC 2920: RCPT got "503 need MAIL" or the like */
			res = mail_res;
			smtp_settle(m, res, reply, true);
		} else {
			res = smtp_no_rcpt(m, reply);
		}
		goto out;
	}
	if (!data_sent) {
		smtp_cmd(s, NULL, "DATA");
		if (smtp_flush(s, &data, "DATA") != SMTP_OK)
			data_res = SMTP_NETFAIL;
		else
			data_res = smtp_read(s, s->p.command_timeout_ms, 3,
			    &data, NULL, "DATA");
	}
	smtp_reply_copy(reply, &data);
	if (data_res == SMTP_NETFAIL)
		goto netfail;
	if (data_res != SMTP_OK) {
		res = data_res;
		smtp_settle(m, res, reply, false);
		goto out;
	}

	if ((res = smtp_data(s, m, reply)) == SMTP_NETFAIL)
		goto netfail;
	if (res != SMTP_PENDING)
		smtp_settle(m, res, reply, false);
	goto out;

netfail:
	res = SMTP_NETFAIL;
	why_set(why, "%s", s->dead_why.text);
	smtp_settle(m, res, reply, false);
out:
	m->result = res;
	smtp_reply_free(&data);
	return res;
}
