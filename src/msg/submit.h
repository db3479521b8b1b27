/*
 * submit: accepting one message (sendmail -bm, each -bs transaction, and
 * the pickup of drop files). Reads the message through a caller-given
 * source, turns it into the stored form (canon.c), rewrites the header
 * block (Bcc: removed; Date:, Message-ID:, From: added when missing; a
 * Received: line naming the submitting uid; local senders mapped), takes
 * the -t recipients, and commits a queue file (spool owner) or a drop file
 * (anyone else). Policy: returns a sysexits code and fills why; EX_OK
 * only once the file is committed.
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
	bool		 sender_checked; /* sender is already an addr-spec */
	int		 notify;	/* ENVELOPE_NOTIFY_* bits */
	int		 ret;		/* ENVELOPE_RET_* */
	const char	*envid;
	const char	*verp;		/* two delimiters, or NULL */
	char		**rcpts;	/* as given on the command line */
	char		**orcpts;	/* DSN ORCPT of each, or NULL (-bs,
					   pickup): "type;address" */
	size_t		 nrcpts;
	uid_t		 uid;		/* who submits (Received: line) */
	const char	*id;		/* pickup: keep the drop file's id */
	time_t		 arrival;	/* pickup: the drop file's; 0: now */
	const char	*login;		/* their login name, for the sender */
};

/*
 * Accepts one message. On EX_OK, id holds its queue id. Other results:
 * EX_USAGE (no or bad recipients), EX_DATAERR (message too big, header
 * block too big, bad -t header), EX_TEMPFAIL/EX_IOERR/EX_CANTCREAT
 * (nothing was accepted).
 */
int	submit_message(const struct conf *, struct spool *,
	    const struct submit_request *, const struct submit_source *,
	    char id[SPOOL_ID_LEN + 1], struct why *);

/* RFC 3461 4.4: ENVID is 1..100 printable characters (xtext on the wire). */
#define SUBMIT_ENVID_MAX	100
bool	submit_envid_ok(const char *);

/* The address local senders are sent as (sender_map, masquerade, domain). */
char	*submit_map_sender(const struct conf *, const char *);

/*
 * Masquerading of a From: field h: appends it to hb with every address
 * equal to given (the sender as given) or to qual_given (the same,
 * qualified with the host name) replaced by sender (the mapped one),
 * folded as header_write_folded does.
 */
void	submit_rewrite_from(struct buf *hb, const struct header *h,
	    const char *given, const char *qual_given, const char *sender);

#endif
