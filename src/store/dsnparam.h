/*
 * dsnparam: the DSN parameters of RFC 3461 in one place: the NOTIFY set
 * (4.1), the RET value (4.3), xtext both ways (4) for ENVID (4.4) and
 * ORCPT (4.2). Pure functions over bytes: no I/O, no logging, no globals.
 *
 * The command line (-N, -R), -bs (MAIL and RCPT parameters), the queue
 * file (N and Z records) and the SMTP client all use these values, so
 * that a set parsed in one place means the same everywhere. The NOTIFY
 * bits are stored as a number in queue files: their values never change.
 *
 * It sits in store/, the lowest layer that all its users can reach (the
 * queue file, envelope.c, is one of them).
 */
#ifndef DSNPARAM_H
#define DSNPARAM_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* NOTIFY bits: 0 is "not given"; NEVER goes alone. */
#define DSNPARAM_NOTIFY_NEVER	1
#define DSNPARAM_NOTIFY_SUCCESS	2
#define DSNPARAM_NOTIFY_FAILURE	4
#define DSNPARAM_NOTIFY_DELAY	8
#define DSNPARAM_NOTIFY_ALL	15

/* RET values */
#define DSNPARAM_RET_UNSET	0
#define DSNPARAM_RET_FULL	1
#define DSNPARAM_RET_HDRS	2

#define DSNPARAM_BAD_WORD	(-1)
#define DSNPARAM_BAD_NEVER	(-2)

/* A non-empty NOTIFY set: known bits only, NEVER alone. */
bool	dsnparam_notify_ok(int bits);
/*
 * "NEVER", or a comma-separated list of SUCCESS, FAILURE, DELAY, in any
 * case, blanks allowed around each word (the command line's -N); the
 * len bytes at s. Returns the bits, or DSNPARAM_BAD_WORD (an unknown
 * or empty word, nothing at all) or DSNPARAM_BAD_NEVER (NEVER with
 * another word).
 */
int	dsnparam_notify_parse(const char *s, size_t len);
/* Appends "NEVER" or "SUCCESS,FAILURE,DELAY" (those set, in that order). */
void	dsnparam_notify_format(struct buf *, int bits);

/* "FULL" or "HDRS" (any case): DSNPARAM_RET_*, or -1. */
int	dsnparam_ret_parse(const char *s, size_t len);
/* "FULL", "HDRS", or NULL for DSNPARAM_RET_UNSET and unknown values. */
const char *dsnparam_ret_name(int ret);

/*
 * xtext (RFC 3461 4): appends s (len bytes) with '+', '=' and every octet
 * outside 33..126 written as "+XX" (upper-case hex).
 */
void	dsnparam_xtext_encode(struct buf *, const char *s, size_t len);
/*
 * Appends what the xtext in s (len bytes) stands for. "+XX" takes upper
 * or lower-case hex (liberal in what we accept); a bare '+' or '=', a
 * character outside 33..126, or "+00" (a NUL cannot be kept) is an
 * error: -1 (out then holds a partial result), else 0.
 */
int	dsnparam_xtext_decode(struct buf *, const char *s, size_t len);

/*
 * ORCPT's value (RFC 3461 4.2: addr-type ";" xtext): orcpt is what we
 * keep, "type;address" decoded, or a bare address (rfc822 assumed). The
 * type is kept when it is an atom of letters, digits and '-'.
 */
void	dsnparam_orcpt_encode(struct buf *, const char *orcpt);

#endif
