/*
 * modes: the entry points main() dispatches to, one per mode of the
 * command line. Each returns the process exit code (sysexits.h).
 * modes.c holds submission (-bm) and the queue run (-q); mailq.c the
 * listing (-bp); bs.c SMTP on stdin (-bs); aliases_cmd.c -bi and -bv;
 * qadmin.c queue administration (-M...).
 */
#ifndef MODES_H
#define MODES_H

#include <stdbool.h>

#include "why.h"

struct cli;
struct conf;
struct spool;

int	mode_submit(const struct cli *, const struct conf *);
int	mode_smtp_stdio(const struct cli *, const struct conf *);
int	mode_list(const struct cli *, const struct conf *);
/* mailq -s ID (status.c): the delivery status of one message. */
int	mode_status(const struct cli *, const struct conf *);
int	mode_aliases(const struct cli *, const struct conf *);
int	mode_verify(const struct cli *, const struct conf *);
int	mode_queue(const struct cli *, const struct conf *);
/* -M, -Mrm, -Mf, -Mt (qadmin.c). */
int	mode_admin(const struct cli *, const struct conf *);

/*
 * Loads the configuration: -C, else MINIMTA_CONF, else the default path
 * (whose absence is fine: defaults), then -O overrides of config keys.
 * NULL with why on an error (main exits 78).
 */
struct conf *mode_load_conf(const struct cli *, struct why *);

/*
 * Opens the spool (fatal on failure). With need_owner, only the spool
 * owner or root may go on (root becomes the owner); others get EX_NOPERM
 * with a one-line reason through fatal().
 */
struct spool *mode_open_spool(const struct conf *, bool need_owner,
	    const char *what);
/* The invoking user's login name (never NULL; caller frees). */
char	*mode_login_name(void);
/*
 * After a message is queued: wake a runner, or deliver as -od* says.
 * Returns the exit code (-odi: the outcome of the delivery).
 */
int	mode_after_submit(const struct cli *, const struct conf *,
	    struct spool *, const char *id);

#endif
