/*
 * fuzz_dropgate: the gate for drop files as a whole (drop_gate: the
 * file checks of qfile_open_drop, the envelope, the whole-file check of
 * format 2, the sender) over arbitrary bytes written as a drop file in a
 * scratch spool, with invariants that abort when broken: an accepted file
 * is whole (body_offset + size is its length, and in format 2 its C
 * record), every envelope field is storable (no CR, LF, NUL or other
 * control), the recipients are within max_recipients, the message bound
 * holds, and encoding the envelope and parsing it again gives the same
 * envelope (the format round-trips). Then its queued form in memory
 * (drop_in_memory, what a queue run sends on the first try): a queue
 * file image that parses, attributed to the file's owner, with the drop
 * file's sender and recipients and a message in canon.c's stored form
 * (no CR, no NUL). Limits are small (max_recipients 8, max_message_size 4096) so
 * that inputs reach past them.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "envelope.h"
#include "drop.h"
#include "qfile.h"
#include "spool.h"
#include "submit.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define DROP_NAME	"00000000000001"
#define MAX_RCPTS	8
#define MAX_MSG		4096

static struct conf *fz_conf;
static struct spool *fz_spool;
static char fz_dir[64];		/* the scratch directory */
static char fz_path[96];	/* its spool */

/* Removes the scratch spool (empty but for its layout) at exit. */
static void
fz_cleanup(void)
{
	static const char *const parts[] = { "incoming/" DROP_NAME,
	    "trigger", "incoming", "queue", "corrupt", "" };
	char p[160];
	size_t i;

	spool_close(fz_spool);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		(void)snprintf(p, sizeof(p), "%s/%s", fz_path, parts[i]);
		if (unlink(p) == -1)
			(void)rmdir(p);
	}
	(void)rmdir(fz_dir);
}

static void
fz_init(void)
{
	struct spool_account me;
	struct why why;

	(void)strlcpy(fz_dir, "/tmp/fuzz-dropgate.XXXXXX", sizeof(fz_dir));
	if (mkdtemp(fz_dir) == NULL)
		abort();
	(void)snprintf(fz_path, sizeof(fz_path), "%s/spool", fz_dir);
	/* the invoking user owns the throwaway spool (root too: CI) */
	me.name = geteuid() == 0 ? "root" : "fuzzer";
	me.uid = geteuid();
	me.gid = getegid();
	if (spool_open(fz_path, &me, &fz_spool, &why) != SPOOL_OPEN_OK) {
		fprintf(stderr, "spool: %s\n", why.text);
		abort();
	}
	(void)atexit(fz_cleanup);
	fz_conf = conf_new();
	fz_conf->max_recipients = MAX_RCPTS;
	fz_conf->max_message_size = MAX_MSG;
}

static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_round_trip(const struct envelope *e)
{
	struct envelope p;
	struct buf b;
	struct why why;
	size_t i;

	buf_init(&b);
	envelope_init(&p);
	envelope_encode(e, &b, NULL);
	if (envelope_parse(b.data, b.len, e->nrcpts, true, &p, &why) !=
	    ENVELOPE_OK || p.body_offset != b.len || p.version != 2)
		abort();
	if (p.arrival != e->arrival || !same(p.sender, e->sender) ||
	    !same(p.envid, e->envid) || p.notify != e->notify ||
	    p.ret != e->ret || strcmp(p.verp, e->verp) != 0 ||
	    p.body_8bit != e->body_8bit || p.smtputf8 != e->smtputf8 ||
	    p.wire_size != e->wire_size || p.msg_len != e->msg_len ||
	    p.nrcpts != e->nrcpts)
		abort();
	for (i = 0; i < e->nrcpts; i++)
		if (!same(p.rcpts[i].addr, e->rcpts[i].addr) ||
		    !same(p.rcpts[i].orcpt, e->rcpts[i].orcpt))
			abort();
	envelope_free(&p);
	buf_free(&b);
}

static void
check(const struct qfile *q, size_t len)
{
	const struct envelope *e = &q->env;
	size_t i;

	if (e->sender == NULL || e->nrcpts == 0 || e->nrcpts > MAX_RCPTS ||
	    e->uid != -1 || !envelope_field_ok(e->sender) ||
	    (e->envid != NULL && !envelope_field_ok(e->envid)))
		abort();
	for (i = 0; i < e->nrcpts; i++)
		if (!envelope_field_ok(e->rcpts[i].addr) ||
		    (e->rcpts[i].orcpt != NULL &&
		    !envelope_field_ok(e->rcpts[i].orcpt)))
			abort();
	/* whole: what the gate says is the message is the rest of the file */
	if (q->size < 0 || e->body_offset + (size_t)q->size != len ||
	    (size_t)q->size > MAX_MSG + SUBMIT_ADDED_MAX)
		abort();
	if (e->version == 2 && e->msg_len != (size_t)q->size)
		abort();
	if (e->version != 1 && e->version != 2)
		abort();
	check_round_trip(e);
}

/* The queued form of gated q (which it closes), from memory. */
static void
check_in_memory(struct qfile *q)
{
	uid_t owner = q->owner;
	struct envelope d;	/* a copy of q's: q is closed below */
	struct qfile m;
	struct why why;
	struct buf b;
	size_t i;

	buf_init(&b);
	envelope_init(&d);
	envelope_encode(&q->env, &b, NULL);
	if (envelope_parse(b.data, b.len, q->env.nrcpts, true, &d, &why) !=
	    ENVELOPE_OK)
		abort();
	buf_free(&b);
	if (!drop_in_memory(fz_conf, q, &m, &why)) {
		/* only a file the gate did not read whole stays */
		if (q->whole.data != NULL)
			abort();
		qfile_close(q);
		envelope_free(&d);
		return;
	}
	/* canon.c's stored form: no CR (CRLF is LF, a bare CR a space)
	 * and no NUL reach the queued message */
	if (m.dir != SPOOL_INCOMING || m.env.uid != (long)owner ||
	    m.env.version != 2 || m.size <= 0 ||
	    memchr(m.whole.data + m.env.body_offset, '\r',
	    (size_t)m.size) != NULL ||
	    memchr(m.whole.data + m.env.body_offset, '\0',
	    (size_t)m.size) != NULL ||
	    m.env.msg_len != (size_t)m.size ||
	    m.env.body_offset + (size_t)m.size != m.whole.len ||
	    !same(m.env.sender, d.sender) || m.env.nrcpts != d.nrcpts ||
	    m.state.nrcpts != d.nrcpts)
		abort();
	for (i = 0; i < d.nrcpts; i++)
		if (!same(m.env.rcpts[i].addr, d.rcpts[i].addr))
			abort();
	qfile_close(&m);
	envelope_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char p[128];
	struct qfile q;
	struct why why;
	int fd;

	if (fz_spool == NULL)
		fz_init();
	(void)snprintf(p, sizeof(p), "%s/incoming/%s", fz_path, DROP_NAME);
	(void)unlink(p);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) ==
	    -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	if (close(fd) == -1)
		abort();
	if (drop_gate(fz_conf, fz_spool, DROP_NAME, QFILE_NOLOCK, &q,
	    &why) == QFILE_OK) {
		check(&q, size);
		check_in_memory(&q);
	}
	(void)unlink(p);
	return 0;
}
