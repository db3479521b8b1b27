/*
 * envelope: the queue file format (pure encode/parse, no I/O).
 *
 * A queue file (and a drop file in incoming/) is:
 *
 *	MINIMTA-QUEUE 2\n			version line
 *	<type><len>:<len bytes>\n ...		records
 *	M0:\n					start of the message
 *	<message, LF line ends, as canon.c made it> to end of file
 *
 * Version 2 adds the C record: the message's length in bytes, 20 digits
 * (patched by the writer once the body is written, like L). A reader of a
 * version 2 file checks that the file is exactly body_offset + C bytes
 * long, so a file cut short (even by its last byte) is corrupt, not a
 * shorter message. Version 1 files (no C record; the parser refuses one)
 * are still read, without that check, so that what was queued before an
 * upgrade is still delivered; writers always write version 2.
 *
 * Records are length-prefixed, so no field can carry a record separator;
 * the set of types is closed and a parser meeting an unknown one refuses
 * the file. Types: T arrival time, U submitter uid (queue files only: in
 * a drop file the owner of the file says who submitted it), S envelope
 * sender ("" is the null sender), E ENVID, N DSN NOTIFY bits, Z DSN RET
 * (F or H), L the size on the wire (CRLF line ends; RFC 1870 SIZE=), 20
 * digits, C the message's length in the file (version 2 only), 20
 * digits, V VERP delimiters (two characters), B flags (two bytes:
 * '8' or '-' for an 8-bit body, 'U' or '-' for SMTPUTF8 needed), R
 * recipient, O original recipient of the R before it (DSN ORCPT). Every
 * text field must be printable and free of CR, LF and NUL; sizes and
 * counts are bounded.
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "why.h"

struct buf;

#define ENVELOPE_MAGIC		"MINIMTA-QUEUE 2\n"
/* version 1: read, never written */
#define ENVELOPE_MAGIC_V1	"MINIMTA-QUEUE 1\n"
#define ENVELOPE_VERSION	2
#define ENVELOPE_MAX_FIELD	2048	/* one record's data */

struct envelope_rcpt {
	char	*addr;
	char	*orcpt;		/* "rfc822;addr" or NULL */
};

struct envelope {
	time_t	 arrival;
	long	 uid;		/* -1: unknown (drop file) */
	char	*sender;	/* "" for the null sender */
	char	*envid;		/* or NULL */
	int	 notify;	/* DSNPARAM_NOTIFY_* bits, 0: not given */
	int	 ret;		/* DSNPARAM_RET_* */
	char	 verp[3];	/* "" or two delimiters */
	bool	 body_8bit;
	bool	 smtputf8;
	size_t	 wire_size;	/* 0: not recorded */
	int	 version;	/* of the file parsed (1 or 2) */
	size_t	 msg_len;	/* version 2: the C record; else 0 */
	struct envelope_rcpt *rcpts;
	size_t	 nrcpts;
	size_t	 cap;
	size_t	 body_offset;	/* where the message starts in the file */
};

enum envelope_result {
	ENVELOPE_OK,
	ENVELOPE_MORE,		/* the records go on past the bytes given */
	ENVELOPE_BAD,
};

void	envelope_init(struct envelope *);
void	envelope_free(struct envelope *);
void	envelope_add_rcpt(struct envelope *, const char *, const char *);
/*
 * Where the fields known only after the body are, relative to where
 * envelope_encode began appending: the one-byte body_8bit flag and the
 * ENVELOPE_SIZE_WIDTH digits of the wire size and of the message length.
 * The writer (qfile_commit) patches them.
 */
struct envelope_patch {
	size_t	flag_off;
	size_t	size_off;
	size_t	len_off;
};
#define ENVELOPE_SIZE_WIDTH	20

/* Appends the version line and records up to and including M. */
void	envelope_encode(const struct envelope *, struct buf *,
	    struct envelope_patch *);
/* The wire-size (or length) digits for the patch (WIDTH + 1 bytes). */
void	envelope_size_digits(size_t, char *);
#define ENVELOPE_8BIT_YES	'8'
/*
 * Parses the head of a queue or drop file (drop: a U record is refused).
 * ENVELOPE_MORE: call again with more of the file (the caller bounds how
 * much). On ENVELOPE_OK, body_offset is set (and, for version 2, msg_len:
 * the caller, who knows the file's size, checks it). out is reset first.
 */
enum envelope_result envelope_parse(const char *, size_t, size_t max_rcpts,
	    bool drop, struct envelope *, struct why *);
/*
 * The record syntax, shared with qstate.c: appends one record; reads the
 * record at *off (ENVELOPE_OK: *type, *data, *len set and *off advanced).
 */
void	envelope_record_put(struct buf *, char type, const char *, size_t);
enum envelope_result envelope_record_next(const char *, size_t, size_t *off,
	    char *type, const char **data, size_t *len, struct why *);
void	envelope_record_putnum(struct buf *, char type, long long);
/* A decimal field (no sign, at most 20 digits) within [0, max]. */
bool	envelope_record_num(const char *, size_t, long long max, long long *);
/* True if s can be stored as a field: printable, no CR/LF/NUL, bounded. */
bool	envelope_field_ok(const char *);

#endif
