/*
 * bs.c: sendmail -bs, an SMTP server on stdin/stdout for one local client
 * (Symfony Mailer, some PHP libraries). Each message is queued through
 * the same submission code as sendmail -bm, and acknowledged with its
 * queue id only once committed. No STARTTLS or AUTH: the peer is a local
 * process already known by its uid.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "bs.h"
#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "dsnparam.h"
#include "envelope.h"
#include "fileio.h"
#include "log.h"
#include "modes.h"
#include "net.h"
#include "spool.h"
#include "submit.h"
#include "xmalloc.h"

#define BS_LINE_MAX	2048	/* a command line (RFC 5321 4.5.3.1.4: 512) */
#define BS_READ_CHUNK	65536
#define BS_HELO_MAX	255	/* a host name (RFC 1035) in Received: */

struct bs_in {
	char	*buf;
	size_t	 off, len;
	bool	 eof;
	ssize_t	(*read)(void *, char *, size_t);
	void	*arg;
};

struct bs {
	const struct cli	*cli;
	const struct conf	*conf;
	struct spool		*sp;
	struct bs_in		 in;
	FILE			*out;
	bool			 helo;
	char			*sender;	/* NULL: no MAIL yet */
	char			**rcpts;
	char			**orcpts;	/* ORCPT=, xtext-decoded */
	size_t			 nrcpts;
	int			 notify;
	int			 ret;
	char			*envid;
	bool			 crlf;		/* the last command ended in CRLF */
	char			 peer_ip[NET_NTOP_MAX];	/* "": not TCP */
	char			 helo_name[BS_HELO_MAX + 1];
	char			 peer[BS_HELO_MAX + NET_NTOP_MAX + 8];
};

/*
 * The client's EHLO/HELO name for the Received: line, when it looks like
 * a host name or an address literal; anything else is left out (it is
 * the client's word, and it goes into a header field).
 */
static void
set_helo(struct bs *b, const char *arg)
{
	size_t n;

	while (*arg == ' ')
		arg++;
	n = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_[]:");
	if (n == 0 || n > BS_HELO_MAX || arg[n] != '\0')
		n = 0;
	memcpy(b->helo_name, arg, n);
	b->helo_name[n] = '\0';
}

/* "helo ([ip])", or "[ip]": NULL when stdin is no TCP socket. */
static const char *
peer_text(struct bs *b)
{
	if (b->peer_ip[0] == '\0')
		return NULL;
	(void)snprintf(b->peer, sizeof(b->peer), b->helo_name[0] ?
	    "%s ([%s])" : "%s[%s]", b->helo_name, b->peer_ip);
	return b->peer;
}

static int
fill(struct bs_in *in)
{
	ssize_t n;

	if (in->off > 0) {
		memmove(in->buf, in->buf + in->off, in->len - in->off);
		in->len -= in->off;
		in->off = 0;
	}
	if (in->len == BS_READ_CHUNK || in->eof)
		return 0;
	do
		n = in->read(in->arg, in->buf + in->len,
		    BS_READ_CHUNK - in->len);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		in->eof = true;
		return n == 0 ? 0 : -1;
	}
	in->len += (size_t)n;
	return 1;
}

/* The next command line without CRLF; false at end of input. */
static bool
getline_bs(struct bs *b, struct buf *line, bool *too_long)
{
	struct bs_in *in = &b->in;
	char *lf;

	*too_long = false;
	for (;;) {
		lf = memchr(in->buf + in->off, '\n', in->len - in->off);
		if (lf != NULL)
			break;
		if (in->len - in->off >= BS_LINE_MAX) {
			in->off = in->len;	/* skip; resync at next LF */
			*too_long = true;
		}
		if (fill(in) <= 0 && (in->eof || in->len == in->off))
			return false;
	}
	if ((size_t)(lf - in->buf) - in->off > BS_LINE_MAX)
		*too_long = true;
	buf_reset(line);
	if (!*too_long)
		buf_add(line, in->buf + in->off, (size_t)(lf - in->buf -
		    (ptrdiff_t)in->off));
	in->off = (size_t)(lf - in->buf) + 1;
	b->crlf = lf > in->buf && lf[-1] == '\r';
	if (line->len > 0 && line->data[line->len - 1] == '\r')
		line->data[--line->len] = '\0';
	return true;
}

static ssize_t
data_read(void *arg, char *p, size_t n)
{
	struct bs_in *in = arg;
	size_t k;

	if (in->off == in->len && fill(in) == -1)
		return -1;
	k = in->len - in->off < n ? in->len - in->off : n;
	memcpy(p, in->buf + in->off, k);
	in->off += k;
	return (ssize_t)k;
}

/* Bytes past the final "." go back: the next commands. */
static void
data_unread(void *arg, const char *p, size_t n)
{
	struct bs_in *in = arg;

	(void)p;
	in->off -= n;
}

static void
reply(struct bs *b, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
reply(struct bs *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vfprintf(b->out, fmt, ap);
	va_end(ap);
	(void)fputs("\r\n", b->out);
}

static void
reset(struct bs *b)
{
	size_t i;

	for (i = 0; i < b->nrcpts; i++) {
		free(b->rcpts[i]);
		free(b->orcpts[i]);
	}
	free(b->rcpts);
	free(b->orcpts);
	b->orcpts = NULL;
	free(b->sender);
	free(b->envid);
	b->rcpts = NULL;
	b->nrcpts = 0;
	b->sender = NULL;
	b->envid = NULL;
	b->notify = 0;
	b->ret = DSNPARAM_RET_UNSET;
}

/* "<addr> params": the address (caller frees) and where params start. */
static char *
path_arg(const char *s, const char **params, bool allow_null)
{
	const char *end;
	char *raw, *addr = NULL;
	struct why why;

	while (*s == ' ')
		s++;
	if (*s != '<' || (end = strchr(s, '>')) == NULL)
		return NULL;
	raw = xstrndup(s, (size_t)(end - s + 1));
	if (addr_parse_envelope(raw, allow_null, &addr, &why) != ADDR_OK)
		addr = NULL;
	free(raw);
	*params = end + 1;
	return addr;
}

/*
 * The xtext (RFC 3461 4) value starting at p, up to the next space,
 * decoded; NULL when malformed or when it decodes to a control or
 * non-ASCII byte (submit.c checks what it keeps again).
 */
static char *
xtext_value(const char *p)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	if (dsnparam_xtext_decode(&b, p, strcspn(p, " ")) == -1)
		goto bad;
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 ||
		    (unsigned char)b.data[i] > 0x7e)
			goto bad;
	return buf_release(&b);
bad:
	buf_free(&b);
	return NULL;
}

/* ORCPT=type;xtext (RFC 3461 4.2) as "type;address", or NULL. */
static char *
orcpt_param(const char *params)
{
	const char *p = strcasestr(params, " ORCPT=");

	return p == NULL ? NULL : xtext_value(p + 7);
}

static void
cmd_mail(struct bs *b, const char *arg)
{
	const char *params, *p;
	char *addr;
	int ret;

	if (b->sender != NULL) {
		reply(b, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if ((addr = path_arg(arg, &params, true)) == NULL) {
		reply(b, "501 5.1.7 Bad sender address syntax");
		return;
	}
	b->sender = addr;
	for (p = params; (p = strchr(p, ' ')) != NULL; p++) {
		if (strncasecmp(p + 1, "RET=", 4) == 0) {
			if ((ret = dsnparam_ret_parse(p + 5,
			    strcspn(p + 5, " "))) == -1) {
				reply(b, "501 5.5.4 Bad RET");
				reset(b);
				return;
			}
			b->ret = ret;
		} else if (strncasecmp(p + 1, "ENVID=", 6) == 0) {
			free(b->envid);
			b->envid = xtext_value(p + 7);
			if (b->envid == NULL || !submit_envid_ok(b->envid)) {
				reply(b, "501 5.5.4 Bad ENVID");
				reset(b);
				return;
			}
		} else if (strncasecmp(p + 1, "SIZE=", 5) == 0 &&
		    strtoull(p + 6, NULL, 10) > b->conf->max_message_size) {
			reply(b, "552 5.3.4 Message size exceeds fixed limit");
			reset(b);
			return;
		}
	}
	reply(b, "250 2.1.0 Ok");
}

static void
cmd_rcpt(struct bs *b, const char *arg)
{
	const char *params, *p;
	int notify = 0;
	char *addr;

	if (b->sender == NULL) {
		reply(b, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if ((addr = path_arg(arg, &params, false)) == NULL) {
		reply(b, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	if (b->nrcpts >= (size_t)b->conf->max_recipients) {
		free(addr);
		reply(b, "452 4.5.3 Error: too many recipients");
		return;
	}
	if ((p = strcasestr(params, " NOTIFY=")) != NULL &&
	    (notify = dsnparam_notify_parse(p + 8, strcspn(p + 8, " "))) <
	    0) {
		free(addr);
		reply(b, "501 5.5.4 Bad NOTIFY");
		return;
	}
	/* one NOTIFY per message is stored: the first recipient's holds */
	if (notify > 0 && b->notify == 0)
		b->notify = notify;
	b->rcpts = xreallocarray(b->rcpts, b->nrcpts + 1, sizeof(*b->rcpts));
	b->orcpts = xreallocarray(b->orcpts, b->nrcpts + 1,
	    sizeof(*b->orcpts));
	b->orcpts[b->nrcpts] = orcpt_param(params);
	b->rcpts[b->nrcpts++] = addr;
	reply(b, "250 2.1.5 Ok");
}

static void
cmd_data(struct bs *b)
{
	struct submit_request req = { 0 };
	struct submit_source src = { data_read, data_unread, &b->in };
	char id[SPOOL_ID_LEN + 1];
	struct why why;
	enum submit_result rc;

	if (b->sender == NULL || b->nrcpts == 0) {
		reply(b, "503 5.5.1 Error: need %s command", b->sender == NULL ?
		    "MAIL" : "RCPT");
		return;
	}
	reply(b, "354 End data with <CR><LF>.<CR><LF>");
	(void)fflush(b->out);
	req.sender = b->sender;
	req.sender_checked = true;
	req.smtp_data = true;
	/* a client that speaks CRLF ends DATA only with <CRLF>.<CRLF> */
	req.data_crlf = b->crlf;
	req.notify = b->notify;
	req.ret = b->ret;
	req.envid = b->envid;
	req.rcpts = b->rcpts;
	req.orcpts = b->orcpts;
	req.nrcpts = b->nrcpts;
	req.uid = getuid();
	req.peer = peer_text(b);
	req.peer_ip = req.peer != NULL ? b->peer_ip : NULL;
	why.text[0] = '\0';
	rc = submit_message(b->conf, b->sp, &req, &src, id, &why);
	switch (rc) {
	case SUBMIT_OK:
		reply(b, "250 2.0.0 Ok: queued as %s", id);
		(void)fflush(b->out);
		(void)mode_after_submit(b->cli, b->conf, b->sp, id);
		break;
	case SUBMIT_BAD_MESSAGE:
		reply(b, "554 5.6.0 Error: %s", why.text);
		break;
	case SUBMIT_BAD_REQUEST:
		reply(b, "554 5.5.4 Error: %s", why.text);
		break;
	case SUBMIT_LOOP:
		/* sendmail: "554 Too many hops"; RFC 3463 5.4.6 */
		reply(b, "554 5.4.6 Error: %s", why.text);
		break;
	case SUBMIT_RETRY:
	case SUBMIT_INPUT:
		reply(b, "451 4.3.0 Error: queue file write error: %s", why.text);
		break;
	}
	reset(b);
}

static bool
is_cmd(const char *line, const char *cmd, const char **arg)
{
	size_t n = strlen(cmd);

	if (strncasecmp(line, cmd, n) != 0 || (line[n] != '\0' &&
	    line[n] != ' ' && line[n] != ':'))
		return false;
	*arg = line + n;
	return true;
}

/* One command line; false after QUIT. */
static bool
bs_command(struct bs *b, const char *line)
{
	const char *arg;

	if (is_cmd(line, "EHLO", &arg)) {
		reset(b);
		set_helo(b, arg);
		reply(b, "250-%s\r\n250-PIPELINING\r\n250-SIZE %zu\r\n"
		    "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n"
		    "250 ENHANCEDSTATUSCODES", b->conf->hostname,
		    b->conf->max_message_size);
	} else if (is_cmd(line, "HELO", &arg)) {
		reset(b);
		set_helo(b, arg);
		reply(b, "250 %s", b->conf->hostname);
	} else if (is_cmd(line, "MAIL FROM", &arg) && *arg == ':') {
		cmd_mail(b, arg + 1);
	} else if (is_cmd(line, "RCPT TO", &arg) && *arg == ':') {
		cmd_rcpt(b, arg + 1);
	} else if (is_cmd(line, "DATA", &arg)) {
		cmd_data(b);
	} else if (is_cmd(line, "RSET", &arg)) {
		reset(b);
		reply(b, "250 2.0.0 Ok");
	} else if (is_cmd(line, "NOOP", &arg)) {
		reply(b, "250 2.0.0 Ok");
	} else if (is_cmd(line, "VRFY", &arg)) {
		reply(b, "252 2.0.0 Send some mail, I'll try my best");
	} else if (is_cmd(line, "QUIT", &arg)) {
		reply(b, "221 2.0.0 Bye");
		return false;
	} else {
		reply(b, "502 5.5.2 Error: command not recognized");
	}
	return true;
}

int
bs_session(const struct cli *cli, const struct conf *conf, struct spool *sp,
    const char *peer_ip, ssize_t (*rd)(void *, char *, size_t), void *rarg,
    FILE *out)
{
	struct bs bs = { .cli = cli, .conf = conf, .sp = sp, .out = out };
	struct bs *b = &bs;

	if (peer_ip != NULL)
		(void)strlcpy(b->peer_ip, peer_ip, sizeof(b->peer_ip));
	struct buf line;
	bool too_long;

	b->in.buf = xmalloc(BS_READ_CHUNK);
	b->in.read = rd;
	b->in.arg = rarg;
	buf_init(&line);
	reply(b, "220 %s ESMTP minimta", conf->hostname);
	for (;;) {
		if (b->in.off == b->in.len)
			(void)fflush(b->out);	/* pipelined input: batch */
		if (!getline_bs(b, &line, &too_long))
			break;
		if (too_long) {
			reply(b, "500 5.5.2 Error: line too long");
			continue;
		}
		if (!bs_command(b, line.data))
			break;
	}
	(void)fflush(b->out);
	reset(b);
	buf_free(&line);
	free(b->in.buf);
	return ferror(b->out) ? EX_IOERR : EX_OK;
}

int
mode_smtp_stdio(const struct cli *cli, const struct conf *conf)
{
	struct spool *sp = mode_open_spool(conf, false, "-bs");
	char peer[NET_NTOP_MAX];
	int in = STDIN_FILENO, rc;

	/* under a socket unit (or systemd-socket-activate --inetd) */
	if (!net_peer(STDIN_FILENO, peer, sizeof(peer)))
		peer[0] = '\0';
	rc = bs_session(cli, conf, sp, peer, fileio_read_cb, &in, stdout);
	spool_close(sp);
	return rc;
}
