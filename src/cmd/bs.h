/*
 * bs: sendmail -bs, SMTP on stdin/stdout (mode_smtp_stdio in modes.h).
 * bs_session runs the same session on any byte source and output stream
 * against an open spool, so that tests/fuzz/fuzz_bs.c can drive the
 * command parser and the DATA state with chunked input.
 */
#ifndef BS_H
#define BS_H

#include <stdio.h>
#include <sys/types.h>

struct cli;
struct conf;
struct spool;

/*
 * Reads commands through rd (bytes read, 0 at the end, -1 with errno),
 * writes the replies to out, queues each message in sp and acts on it as
 * cli says (mode_after_submit). peer_ip is the TCP client's address for
 * the Received: line, or NULL or "" (not a socket). Returns EX_OK, or
 * EX_IOERR when out failed.
 */
int	bs_session(const struct cli *, const struct conf *, struct spool *,
	    const char *peer_ip, ssize_t (*rd)(void *, char *, size_t),
	    void *rarg, FILE *out);

#endif
