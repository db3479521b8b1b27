/*
 * drop: a drop file (incoming/NAME, written by a user who is not the spool
 * owner) taken as a queued message. Every drop file is hostile input.
 * The gate (drop_gate: pickup, mailq and the runner's first try use it)
 * takes it only if it is a regular file with one link, named like a
 * queue id, within max_message_size (with the room submit leaves for
 * what minimta adds, SUBMIT_ADDED_MAX), with a valid drop envelope,
 * whole (format version 2: its length is recorded), and a sender in
 * canonical form; each refusal has a reason.
 *
 * The submitter checked the message's limits once (submit.h); they are
 * not checked again. Its queued form (drop_copy) is the drop file's
 * message through canon.c (so bytes a hand-made drop file holds cannot
 * reach the wire raw) after the one Received: line that names the owner
 * of the drop file; the envelope (drop_envelope) is the drop file's,
 * with U set to that owner.
 */
#ifndef DROP_H
#define DROP_H

#include <stdbool.h>
#include <sys/types.h>

#include "qfile.h"

struct conf;
struct spool;

/*
 * The gate for incoming/name (see above). On QFILE_OK, q is open (and
 * locked, as asked) until qfile_close(); QFILE_BAD: why gives the reason.
 */
enum qfile_result drop_gate(const struct conf *, struct spool *,
	    const char *name, enum qfile_lock, struct qfile *, struct why *);
/*
 * The check after the gate, whose failure is returned to the sender: the
 * index of the first recipient that is not a canonical address with a
 * domain, or -1.
 */
ssize_t	drop_bad_rcpt(const struct envelope *);
/* The queued envelope of the gated drop file q (envelope_free() it). */
void	drop_envelope(const struct conf *, const struct qfile *,
	    struct envelope *);
enum drop_copy_result {
	DROP_COPIED,
	DROP_IO,	/* the system failed: why; try again later */
	DROP_SHRANK,	/* the file shrank under us: corrupt */
};
/*
 * Writes the queued message of the gated drop file q (the Received: line,
 * then the message through canon.c) to w, created with drop_envelope()'s
 * envelope, and seals w.
 */
enum drop_copy_result drop_copy(const struct conf *, struct qfile *,
	    struct qfile_writer *, struct why *);
/*
 * The queued form of the gated drop file in (read whole into memory by
 * the gate with its envelope: a file under 64 KiB, or a little more
 * when its envelope takes more than one read) in out, from memory
 * (qfile_from_image(): out->dir SPOOL_INCOMING, nothing written); out
 * takes in's fd and lock, in is closed. False, in left alone, for a file
 * the gate did not read whole (or an image that does not parse: why).
 */
bool	drop_in_memory(const struct conf *, struct qfile *in,
	    struct qfile *out, struct why *);

#endif
