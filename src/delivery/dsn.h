/*
 * dsn: writes delivery status notifications (bounces, delay warnings,
 * success reports): RFC 3464 (message/delivery-status), RFC 3461 (RET,
 * ENVID, ORCPT), RFC 6522 (multipart/report), RFC 3463 (status codes),
 * RFC 3834 (Auto-Submitted), in the shape of Postfix's notifications.
 *
 * dsn_write() produces the whole message (LF line ends, every line at most
 * DSN_LINE_MAX octets, no CR, no NUL); the caller queues it to info->sender
 * from the null sender <>. When original_8bit is set the report declares
 * 8bit and must be relayed with BODY=8BITMIME. Nothing here allocates what
 * the caller must free; every pointer argument is borrowed for the call.
 *
 * The kind of report follows the recipients: a failure report if any
 * recipient FAILED, else a delay warning if any is DELAYED, else a success
 * report. Postfix sends one report per kind; callers should too.
 *
 * Text taken from the caller (addresses, host names, diagnostics, ids) is
 * untrusted: control characters and 8-bit bytes become '?' (but To: keeps
 * well-formed UTF-8 when smtputf8 is set, RFC 6532, and a UTF-8 address in
 * a delivery-status field is written as RFC 6533's utf-8-addr-xtext), runs of white
 * space become one space, and over-long values are cut ("..." marks the
 * cut) before they reach the report; long fields are folded (RFC 5322 2.2.3)
 * at 78 columns where there is white space, and broken by force before
 * DSN_LINE_MAX where there is none. The original message is copied as
 * stored, except that lines longer than DSN_LINE_MAX are broken (with a
 * space after the break in its header section, so that the header stays a
 * header), a bare CR or a NUL becomes a space, and a line that would end
 * the MIME part (it begins with "--" and the boundary) gets a leading space.
 */
#ifndef DSN_H
#define DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "compat.h"

struct why;

/* RFC 5322 2.1.1: octets per line, without the line end. */
#define DSN_LINE_MAX		998
/* Diagnostic text beyond this is cut. */
#define DSN_DIAG_MAX		8000
/* Addresses, host names, ids beyond this are cut. */
#define DSN_FIELD_MAX		900
/* A returned header block stops at the last whole line within this. */
#define DSN_HEADERS_MAX		102400
/* "Thu, 13 Feb 2025 10:00:00 +0000" and a NUL, with room to spare. */
#define DSN_DATE_LEN		40
#define DSN_STATUS_LEN		16

enum dsn_action {
	DSN_FAILED,
	DSN_DELAYED,
	DSN_DELIVERED,
	DSN_RELAYED,
	DSN_EXPANDED,
};

struct dsn_rcpt {
	const char	*addr;		/* the recipient we tried (Final-) */
	const char	*orcpt;		/* ORCPT, xtext-decoded: "rfc822;u@x";
					   "type;" is added when missing;
					   NULL: none */
	enum dsn_action	 action;
	const char	*status;	/* RFC 3463 "5.1.1"; NULL or invalid:
					   5.0.0, 4.0.0 or 2.0.0 by action */
	const char	*remote_mta;	/* host name, or NULL */
	const char	*diagnostic;	/* server reply or our reason, NULL */
	bool		 diagnostic_is_smtp; /* "smtp;", else "X-Minimta;" */
	time_t		 last_attempt;	/* 0: no Last-Attempt-Date */
	time_t		 will_retry_until; /* DELAYED only; 0: not shown */
};

struct dsn_info {
	const char	*reporting_mta;	/* our host name */
	const char	*queue_id;
	const char	*envid;		/* ENVID, xtext-decoded, or NULL */
	time_t		 arrival;
	const char	*sender;	/* the original envelope sender */
	bool		 ret_hdrs;	/* RET=HDRS */
	size_t		 size_limit;	/* larger originals: headers only;
					   0: no limit */
	size_t		 original_size;
	bool		 original_8bit;	/* the original is 8BITMIME */
	bool		 smtputf8;	/* goes with SMTPUTF8 (RFC 6531): the
					   To: field keeps a UTF-8 sender */
	time_t		 now;
	const char	*unique;	/* random part of the boundary and
					   Message-ID; NULL: 128 fresh random
					   bits (set only by tests) */
};

/*
 * Reads the original message (LF line ends, as stored) through rd, which
 * returns the bytes read, 0 at the end, or -1 with errno set; writes the
 * notification through wr, which writes all n bytes and returns 0, or -1
 * with errno set. Returns 0, or -1 with the reason in why (a read or write
 * failure, no recipients, or the null sender, to which nothing is sent).
 * The original is streamed in chunks; with a headers-only copy reading
 * stops after the header block.
 */
int	dsn_write(const struct dsn_info *, const struct dsn_rcpt *, size_t,
	    ssize_t (*rd)(void *, char *, size_t), void *,
	    int (*wr)(void *, const void *, size_t), void *, struct why *);

/*
 * The RFC 3463 status to report for an SMTP reply: the server's enhanced
 * code (may be NULL) when it is well formed and its class matches the
 * reply's first digit, else X.0.0 from the reply's class (as Postfix
 * does; 552 is not guessed at: it means different things at RCPT and
 * DATA). Returns 0, or -1 for a code that is not 2yz, 4yz or 5yz,
 * which gets 5.5.0 (protocol error; the caller decides on retrying).
 */
int	dsn_status_from_reply(int, const char *, char [DSN_STATUS_LEN]);

/* True if s is an RFC 3463 status-code ("4.7.1"). */
bool	dsn_status_valid(const char *);

/* RFC 5322 3.3 date of t in local time, in C-locale names. */
void	dsn_date(time_t, char [DSN_DATE_LEN]);

#endif
