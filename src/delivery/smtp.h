/*
 * smtp: the client side of one SMTP session (RFC 5321) over a struct io:
 * greeting, EHLO (HELO fallback), STARTTLS (RFC 3207), AUTH PLAIN, LOGIN,
 * XOAUTH2 and OAUTHBEARER (RFC 4954, RFC 7628), transactions with
 * PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8
 * (RFC 6531), DSN (RFC 3461), RSET, QUIT.
 * The mechanism only: deliver.c picks hosts and decides on retries and
 * bounces from the result classes below.
 *
 * Results: SMTP_OK (2xx), SMTP_TEMPFAIL (4xx), SMTP_PERMFAIL (5xx),
 * SMTP_NETFAIL (I/O error, timeout, broken or out-of-sync reply, or an
 * unexpected reply such as 3xx to RCPT: treat as temporary). After a
 * NETFAIL the session is dead: every later call returns SMTP_NETFAIL at
 * once; the caller frees the session and the io.
 *
 * Replies handed back are the server's (reply.local false), or our own
 * (local true) for a failure we found without asking: a NETFAIL (code 421,
 * 4.4.2 for I/O, 4.5.0 for a broken reply; the text is the reason), a
 * message too big for SIZE (552 5.3.4), SMTPUTF8 needed (553 5.6.7), an
 * address that cannot be sent (553 5.1.3/5.1.7), AUTH impossible (530).
 *
 * Deadlines (RFC 5321 4.5.3.2): the greeting, each command and each
 * write use command_timeout_ms; the reply to the final "." uses
 * data_timeout_ms. A deadline covers a whole reply, all its lines.
 * Every reply is bounded (smtp_reply.h).
 *
 * The message body is read in chunks and sent with CRLF line ends and
 * dot-stuffing; CR, LF and CRLF in the stored form each end a line, so no
 * stored bytes can end the DATA early (no SMTP smuggling), and the last
 * line gets a CRLF if it has none. Memory stays flat in the message size.
 */
#ifndef SMTP_H
#define SMTP_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "smtp_reply.h"

struct buf;
struct io;
struct tls_ctx;
struct why;

enum smtp_result {
	SMTP_OK,
	SMTP_TEMPFAIL,	/* 4xx */
	SMTP_PERMFAIL,	/* 5xx */
	SMTP_NETFAIL,	/* io error, timeout, broken reply: temporary */
	SMTP_PENDING,	/* smtp_send: the reply to "." is still to come */
};

struct smtp_params {
	const char	*helo_name;	/* borrowed for the session's life */
	int		 command_timeout_ms;
	int		 data_timeout_ms;
	/* AUTH on a connection without TLS (config auth_plaintext yes) */
	bool		 auth_plaintext;
	/*
	 * For -v: each command sent ('>') and reply line read ('<'),
	 * not NUL-terminated, not cleaned; AUTH secrets are "<hidden>".
	 * The message body is not shown, only its final ".". NULL: none.
	 */
	void		(*trace)(void *arg, char dir, const char *line,
			    size_t len);
	void		*trace_arg;
};

/* io is borrowed for the session's life; params are copied. */
struct smtp_session *smtp_new(struct io *io, const struct smtp_params *);
void	smtp_free(struct smtp_session *);

/* Reads the greeting: OK on 220. */
enum smtp_result smtp_greeting(struct smtp_session *, struct smtp_reply *);
/*
 * EHLO, and on a 5xx reply HELO (no extensions then). Forgets the
 * extensions known before, then records the new ones.
 */
enum smtp_result smtp_ehlo(struct smtp_session *, struct smtp_reply *);
bool	smtp_has(const struct smtp_session *, enum smtp_ext);
/* The SIZE the server announced; 0 = none. */
size_t	smtp_size_limit(const struct smtp_session *);

/*
 * STARTTLS, its 220, then the TLS handshake (io_starttls; sni and
 * verify_host as there). The extensions are forgotten (RFC 3207 4.2):
 * the caller calls smtp_ehlo again. A handshake failure is SMTP_NETFAIL
 * with why (also in the reply text).
 */
enum smtp_result smtp_starttls(struct smtp_session *, struct tls_ctx *,
	    const char *sni, const char *verify_host, struct smtp_reply *,
	    struct why *);

/*
 * AUTH PLAIN (initial response) if offered, else AUTH LOGIN. Refused
 * without sending (SMTP_PERMFAIL, local 530 5.7.0) on a connection that
 * is not TLS (unless params.auth_plaintext), or when neither mechanism is
 * offered. OK on 235.
 */
enum smtp_result smtp_auth(struct smtp_session *, const char *user,
	    const char *pass, struct smtp_reply *);
/*
 * AUTH mech with the initial response ir (auth.h made it; wiped here
 * once queued; the trace shows "AUTH mech <hidden>"). OK on 235. On a
 * 334 (the error of RFC 7628 3.2.2) the challenge, decoded, goes into
 * challenge (empty when it was not base64), on_challenge is sent ("AQ=="
 * for OAUTHBEARER, "" for XOAUTH2), and the server's final reply decides.
 * The same refusals as smtp_auth without TLS; the caller checks that the
 * server offers mech.
 */
enum smtp_result smtp_auth_sasl(struct smtp_session *, const char *mech,
	    struct buf *ir, const char *on_challenge, struct smtp_reply *,
	    struct buf *challenge);

struct smtp_rcpt {
	const char		*addr;		/* without <> */
	int			 notify;	/* DSNPARAM_NOTIFY_*, 0 none */
	/*
	 * "rfc822;user@example.org" (the address part is xtext-encoded
	 * here), or a bare address (rfc822 assumed), or NULL.
	 */
	const char		*orcpt;
	struct smtp_reply	 reply;		/* filled; smtp_reply_init it */
	enum smtp_result	 result;	/* filled */
};

struct smtp_msg {
	const char	*sender;	/* "" = the null sender */
	struct smtp_rcpt *rcpts;
	size_t		 nrcpts;
	bool		 body_8bit;	/* BODY=8BITMIME when offered */
	bool		 smtputf8;	/* needs SMTPUTF8 */
	size_t		 size;		/* bytes as sent (CRLF), 0 unknown */
	int		 ret;		/* DSNPARAM_RET_* */
	const char	*envid;		/* RFC 3461 ENVID, or NULL */
	/*
	 * Reads the stored message (LF line ends, no dot-stuffing): bytes
	 * read, 0 at the end, -1 on error (the session is then dropped:
	 * SMTP_NETFAIL, since the server must not see a final ".").
	 */
	ssize_t		(*read)(void *arg, char *buf, size_t n);
	void		*read_arg;
	/*
	 * In: the reply to the final "." may wait (smtp_finish()). Out:
	 * pending while it does; result, the transaction's, once read.
	 */
	bool		 may_pend;
	bool		 pending;
	enum smtp_result result;
};

/*
 * One transaction: MAIL FROM (SIZE=, BODY=8BITMIME, SMTPUTF8 as offered
 * and needed; RET=, ENVID= only when the server offers DSN), RCPT TO for
 * each recipient (NOTIFY=, ORCPT= only with DSN), DATA, body, ".". With
 * PIPELINING the commands go in groups of up to SMTP_PIPE_MAX with DATA
 * last, each group one write; else lock-step.
 *
 * Each rcpts[i] gets its own result and reply: the RCPT reply when it was
 * refused, else the reply to DATA or to "." (or MAIL's when MAIL failed).
 * Returns SMTP_OK when the message was accepted for at least one
 * recipient, with the final reply in *reply. Otherwise the class of the
 * failure with the reply that decided it (MAIL's, DATA's, the final
 * dot's; when every RCPT was refused, TEMPFAIL if any refusal was 4xx,
 * else PERMFAIL, with the first such reply).
 *
 * A failed transaction is followed by RSET at the start of the next
 * smtp_send (or by smtp_rset); a completed one needs none.
 */
#define SMTP_PIPE_MAX	100

enum smtp_result smtp_send(struct smtp_session *, struct smtp_msg *,
	    struct smtp_reply *, struct why *);
/*
 * Pipelining across transactions (RFC 2920 3.1: message content may be
 * the first "command" of a group). For a message with may_pend set, on
 * a server that offers PIPELINING, smtp_send() returns SMTP_PENDING once
 * the body and its "." are queued, unsent and unanswered; m must then
 * stay alive until m->pending is false. The next smtp_send() on the
 * session puts its MAIL, RCPT and DATA in the same write as that "."
 * and reads the "." reply first: one round trip a message instead of
 * two. smtp_finish() sends and reads it alone. Either way m's
 * recipients get their results as smtp_send() would have given them,
 * and m->result the transaction's (SMTP_NETFAIL when the session died
 * first). Only a session without a pending message may be given to
 * smtp_rset(), smtp_quit() or smtp_free().
 */
enum smtp_result smtp_finish(struct smtp_session *);
enum smtp_result smtp_rset(struct smtp_session *, struct smtp_reply *);
/* QUIT, then waits at most 5 s for 221; best effort. */
void	smtp_quit(struct smtp_session *);

#endif
