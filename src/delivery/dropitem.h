/*
 * dropitem: a drop file on its first try, as delivery takes it (deliver.h,
 * drop items): incoming/ID locked and held as its queued form in memory
 * (drop.h), never written to queue/ unless something is left to do after
 * the try.
 */
#ifndef DROPITEM_H
#define DROPITEM_H

#include <stdbool.h>

#include "qfile.h"

struct conf;
struct spool;

/*
 * incoming/id, locked, as its queued form in q (q->dir SPOOL_INCOMING),
 * with the state a crashed earlier try left in queue/, if any; false
 * leaves it to pickup: the gate, a bad recipient, a file not read whole
 * with its envelope (most of 64 KiB or more), or its id taken in queue/
 * or hold/.
 */
bool	dropitem_take(const struct conf *, struct spool *, const char *id,
	    struct qfile *);
/*
 * q, tried with something left to do (a deferral, a report due), queued
 * as queue/ID: its state first, then the file, locked from before its
 * rename (q->fd becomes that lock), then the drop file is removed. A
 * failure leaves the drop file to pickup (q->dir stays SPOOL_INCOMING),
 * with a log line.
 */
void	dropitem_queue(struct spool *, struct qfile *);
/*
 * q, tried with nothing left to do: the drop file is removed (it was
 * never queued), and with it what a crashed pickup or an earlier try left
 * in queue/ for it (a temporary copy, the state dropitem_take() read);
 * its unlink is unsynced: the caller syncs incoming/.
 */
int	dropitem_remove(struct spool *, struct qfile *, struct why *);

#endif
