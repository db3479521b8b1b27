#include <errno.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "canon.h"
#include "conf.h"
#include "drop.h"
#include "envelope.h"
#include "submit.h"
#include "xmalloc.h"

#define DROP_CHUNK	65536

/* As addr_parse_envelope() would give it back: nothing to rewrite. */
static bool
canonical(const char *s, bool null_ok)
{
	char *a = NULL;
	struct why w;
	bool ok;

	ok = addr_parse_envelope(s, null_ok, &a, &w) == ADDR_OK &&
	    strcmp(a, s) == 0;
	free(a);
	return ok;
}

enum qfile_result
drop_gate(const struct conf *conf, struct spool *sp, const char *name,
    enum qfile_lock lock, struct qfile *q, struct why *why)
{
	enum qfile_result r;

	if (!spool_id_ok(name)) {
		memset(q, 0, sizeof(*q));
		q->fd = -1;
		envelope_init(&q->env);
		why_set(why, "not a drop file name");
		return QFILE_BAD;
	}
	r = qfile_open_drop(sp, name, lock, (size_t)conf->max_recipients,
	    (off_t)(conf->max_message_size + SUBMIT_ADDED_MAX), q, why);
	if (r == QFILE_OK && !canonical(q->env.sender, true)) {
		qfile_close(q);
		why_set(why, "bad sender");
		return QFILE_BAD;
	}
	return r;
}

ssize_t
drop_bad_rcpt(const struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpts; i++)
		if (!canonical(env->rcpts[i].addr, false) ||
		    addr_domain(env->rcpts[i].addr) == NULL)
			return (ssize_t)i;
	return -1;
}

void
drop_envelope(const struct conf *conf, const struct qfile *q,
    struct envelope *env)
{
	const struct envelope *d = &q->env;
	time_t now = time(NULL);
	size_t i;

	envelope_init(env);
	/* the user's arrival time counts (queue_lifetime, delays), when it
	 * is believable */
	env->arrival = d->arrival > 0 && d->arrival <= now &&
	    now - d->arrival < conf->queue_lifetime ? d->arrival : now;
	env->uid = (long)q->owner;
	env->sender = xstrdup(d->sender);
	env->envid = d->envid ? xstrdup(d->envid) : NULL;
	env->notify = d->notify;
	env->ret = d->ret;
	memcpy(env->verp, d->verp, sizeof(env->verp));
	env->smtputf8 = d->smtputf8 || addr_is_8bit(d->sender);
	for (i = 0; i < d->nrcpts; i++) {
		envelope_add_rcpt(env, d->rcpts[i].addr, d->rcpts[i].orcpt);
		if (addr_is_8bit(d->rcpts[i].addr))
			env->smtputf8 = true;
	}
}

enum drop_copy_result
drop_copy(const struct conf *conf, struct qfile *q, struct qfile_writer *w,
    struct why *why)
{
	off_t left = q->size;
	struct buf out;
	struct canon cn;
	char *chunk = xmalloc(DROP_CHUNK);
	enum drop_copy_result res = DROP_IO;
	size_t lines;
	ssize_t n;

	buf_init(&out);
	submit_received(conf, q->owner, NULL, q->id, &out);
	if (qfile_write(w, out.data, out.len, why) == -1)
		goto out;
	buf_reset(&out);
	canon_init(&cn, false, false);
	if (qfile_rewind(q, why) == -1)
		goto out;
	while (left > 0) {
		n = qfile_read(q, chunk, left < DROP_CHUNK ? (size_t)left :
		    DROP_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				why_set(why, "shrank while picked up");
			else
				why_errno(why, "read");
			res = n == 0 ? DROP_SHRANK : DROP_IO;
			goto out;
		}
		left -= n;
		lines = cn.lines;
		(void)canon_feed(&cn, chunk, (size_t)n, &out);
		/* canon counted the LFs of what it wrote */
		if (qfile_write_lines(w, out.data, out.len, cn.lines - lines,
		    why) == -1)
			goto out;
		buf_reset(&out);
	}
	lines = cn.lines;
	canon_finish(&cn, &out);
	if (qfile_write_lines(w, out.data, out.len, cn.lines - lines,
	    why) == -1 || qfile_seal(w, cn.body_8bit, why) == -1)
		goto out;
	res = DROP_COPIED;
out:
	buf_free(&out);
	free(chunk);
	return res;
}

bool
drop_in_memory(const struct conf *conf, struct qfile *in, struct qfile *out,
    struct why *why)
{
	struct qfile_writer w;
	struct envelope env;
	bool ok;

	if (in->whole.data == NULL)
		return false;	/* a large one: copied by pickup */
	drop_envelope(conf, in, &env);
	qfile_create_mem(in->id, &env, &w);
	envelope_free(&env);
	ok = drop_copy(conf, in, &w, why) == DROP_COPIED &&
	    qfile_from_image(&w, out, why) == 0;
	qfile_abort(&w);
	if (!ok)
		return false;
	out->fd = in->fd;	/* the lock goes with it */
	out->owner = in->owner;
	out->mtim = in->mtim;
	in->fd = -1;
	qfile_close(in);
	return true;
}
