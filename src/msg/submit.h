/*
 * submit: accepting one message (sendmail -bm, each -bs transaction, and
 * the pickup of drop files). Reads the message through a caller-given
 * source, turns it into the stored form (canon.c), rewrites the header
 * block (Bcc: removed; Date:, Message-ID:, From: added when missing; a
 * Received: line naming the submitting uid; local senders mapped;
 * unqualified addresses in address fields qualified), takes
 * the -t recipients, and commits a queue file (spool owner) or a drop file
 * (anyone else). Policy: returns a result class and fills why; SUBMIT_OK
 * only once the file is committed. The callers map the class: the command
 * line to sysexits, -bs to SMTP replies.
 *
 * Limits (max_header_size, SUBMIT_MAX_FIELDS, max_message_size, and
 * max_recipients) are checked here, once, on what the submitter gave;
 * what minimta adds (Received:, and Date:, Message-ID:, From: when
 * missing: at most SUBMIT_ADDED_FIELDS fields and, for the size, up to
 * SUBMIT_ADDED_MAX bytes) does not count. Pickup does not check them again
 * (pickup.h).
 */
#ifndef SUBMIT_H
#define SUBMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spool.h"
#include "why.h"

struct buf;
struct conf;
struct header;

#define SUBMIT_ADDED_FIELDS	4
#define SUBMIT_ADDED_MAX	4096

struct submit_source {
	/* Returns bytes read, 0 at end of input, -1 with errno on error. */
	ssize_t	(*read)(void *arg, char *buf, size_t n);
	/* Gives back bytes read past the end of the message (-bs). */
	void	(*unread)(void *arg, const char *p, size_t n);
	void	*arg;
};

struct submit_request {
	const char	*sender;	/* as given (-f), "" null, NULL: user */
	const char	*fullname;	/* -F */
	bool		 extract;	/* -t */
	bool		 dot_ends;	/* no -i */
	bool		 smtp_data;	/* -bs DATA: dot-stuffed input */
	bool		 data_crlf;	/* -bs: only <CRLF>.<CRLF> ends it */
	bool		 sender_checked; /* sender is already an addr-spec */
	int		 notify;	/* DSNPARAM_NOTIFY_* bits */
	int		 ret;		/* DSNPARAM_RET_* */
	const char	*envid;
	const char	*verp;		/* two delimiters, or NULL */
	char		**rcpts;	/* as given on the command line */
	char		**orcpts;	/* DSN ORCPT of each, or NULL (-bs,
					   pickup): "type;address" */
	size_t		 nrcpts;
	uid_t		 uid;		/* who submits (Received: line) */
	const char	*peer;		/* -bs on a socket: "helo ([ip])" */
	const char	*peer_ip;	/* and its address alone (the log) */
	const char	*login;		/* their login name, for the sender */
};

enum submit_result {
	SUBMIT_OK,		/* committed: id holds the queue id */
	SUBMIT_RETRY,		/* the spool failed (full, unwritable): later */
	SUBMIT_INPUT,		/* the input failed or ended early (-bs) */
	SUBMIT_BAD_MESSAGE,	/* too big, header block too big, bad -t
				   header, too many recipients */
	SUBMIT_BAD_REQUEST,	/* no or bad recipients, bad sender, bad
				   ENVID, NOTIFY or VERP */
	SUBMIT_LOOP,		/* more Received: fields, with the one
				   minimta adds, than max_hops */
};

/*
 * Accepts one message; on SUBMIT_OK, id holds its queue id. On any other
 * result nothing was accepted, and why says why.
 */
enum submit_result submit_message(const struct conf *, struct spool *,
	    const struct submit_request *, const struct submit_source *,
	    char id[SPOOL_ID_LEN + 1], struct why *);

/* RFC 3461 4.4: ENVID is 1..100 printable characters (xtext on the wire). */
#define SUBMIT_ENVID_MAX	100
bool	submit_envid_ok(const char *);

/* Appends the Received: line naming the submitting uid (submission by
 * the spool owner, and pickup), and the SMTP client (-bs on a socket)
 * when peer is not NULL. */
struct buf;
void	submit_received(const struct conf *, uid_t, const char *peer,
	    const char *id, struct buf *);

/* The address local senders are sent as (sender_map, masquerade, domain). */
char	*submit_map_sender(const struct conf *, const char *);

/*
 * Rewrites an address field h (header_is_address_field) of a local
 * submission into hb: masquerading first, when given is not NULL (the
 * From: field: every address equal to given, the sender as given, or to
 * qual_given, the same qualified with the host name, becomes sender, the
 * mapped one), then every address still unqualified gets "@domain"
 * (header_qualify). Display names, comments, groups and folds are kept;
 * the field is folded as header_write_folded does, and written as it
 * came when nothing changed.
 */
void	submit_rewrite_field(struct buf *hb, const struct header *h,
	    const char *given, const char *qual_given, const char *sender,
	    const char *domain);

#endif
