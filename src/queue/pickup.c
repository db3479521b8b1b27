#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "envelope.h"
#include "fileio.h"
#include "log.h"
#include "pickup.h"
#include "qfile.h"
#include "submit.h"
#include "xmalloc.h"

#define PICKUP_HEAD_CHUNK	65536
#define PICKUP_TEMP_MAX_AGE	(24 * 3600)	/* a crashed submitter's file */

struct pickup_ctx {
	const struct conf	*conf;
	struct spool		*sp;
	size_t			 queued;
};

/* Reads the envelope records, bounded; returns 0, or -1 with why. */
static int
read_envelope(const struct pickup_ctx *pc, int fd, size_t limit,
    struct envelope *env, struct why *why)
{
	struct buf b;
	enum envelope_result r = ENVELOPE_MORE;
	ssize_t n;

	buf_init(&b);
	while (r == ENVELOPE_MORE) {
		if (b.len >= limit) {
			why_set(why, "envelope larger than %zu bytes", limit);
			break;
		}
		buf_reserve(&b, PICKUP_HEAD_CHUNK);
		n = read(fd, b.data + b.len, PICKUP_HEAD_CHUNK);
		if (n == -1) {
			why_errno(why, "read");
			break;
		}
		if (n == 0) {
			why_set(why, "truncated envelope");
			break;
		}
		b.len += (size_t)n;
		r = envelope_parse(b.data, b.len,
		    (size_t)pc->conf->max_recipients, true, env, why);
	}
	buf_free(&b);
	if (r != ENVELOPE_OK)
		return -1;
	if (lseek(fd, (off_t)env->body_offset, SEEK_SET) == -1) {
		why_errno(why, "seek");
		return -1;
	}
	return 0;
}

static int
check_addresses(const struct envelope *env, struct why *why)
{
	char *a = NULL;
	size_t i;

	if (addr_parse_envelope(env->sender, true, &a, why) != ADDR_OK ||
	    strcmp(a, env->sender) != 0) {
		free(a);
		why_set(why, "bad sender");
		return -1;
	}
	free(a);
	for (i = 0; i < env->nrcpts; i++) {
		if (addr_parse_envelope(env->rcpts[i].addr, false, &a, why) !=
		    ADDR_OK || strcmp(a, env->rcpts[i].addr) != 0) {
			free(a);
			why_set(why, "bad recipient #%zu", i + 1);
			return -1;
		}
		free(a);
	}
	return 0;
}

static void
remove_drop(struct pickup_ctx *pc, const char *name)
{
	struct why w;

	/* if this fails, already_queued() stops a second pickup */
	if (spool_remove(pc->sp, SPOOL_INCOMING, name, &w) == -1)
		log_error("incoming/%s: %s", name, w.text);
}

/*
 * True when queue/NAME is this very drop file, picked up before: same
 * submitter, sender and recipients (the name, time and pid, is unique
 * per submission). Pickup keeps a drop file's
 * name as its queue id, so the check is one open.
 */
static bool
already_queued(struct pickup_ctx *pc, const char *name,
    const struct stat *st, const struct envelope *drop)
{
	struct qfile q;
	struct why w;
	bool same;
	size_t i;

	if (qfile_open(pc->sp, name, QFILE_NOLOCK,
	    (size_t)pc->conf->max_recipients, &q, &w) != QFILE_OK)
		return false;
	same = q.env.uid == (long)st->st_uid &&
	    strcmp(q.env.sender, drop->sender) == 0 &&
	    q.env.nrcpts == drop->nrcpts;
	for (i = 0; same && i < q.env.nrcpts; i++)
		same = strcmp(q.env.rcpts[i].addr, drop->rcpts[i].addr) == 0;
	qfile_close(&q);
	return same;
}

static void
to_corrupt(struct pickup_ctx *pc, const char *name, const char *reason)
{
	struct why w;

	if (spool_to_corrupt(pc->sp, SPOOL_INCOMING, name, &w) == -1) {
		log_error("incoming/%s: %s; %s", name, reason, w.text);
		(void)spool_remove(pc->sp, SPOOL_INCOMING, name, NULL);
		return;
	}
	log_warn("incoming/%s: moved to corrupt/: %s", name, reason);
}

static int
pick_one(void *arg, const char *name)
{
	struct pickup_ctx *pc = arg;
	const struct conf *conf = pc->conf;
	struct submit_request req = { 0 };
	struct submit_source src;
	struct envelope env;
	char id[SPOOL_ID_LEN + 1];
	struct stat st;
	char **rcpts = NULL, **orcpts = NULL;
	size_t head_max, i;
	struct why w;
	int fd, rc;

	if (!spool_id_ok(name)) {
		to_corrupt(pc, name, "not a drop file name");
		return 0;
	}
	head_max = (size_t)conf->max_recipients * 2 *
	    (ENVELOPE_MAX_FIELD + 8) + PICKUP_HEAD_CHUNK;
	if ((fd = spool_open_file(pc->sp, SPOOL_INCOMING, name, &w)) == -1) {
		if (errno == ELOOP || errno == ENXIO || errno == EACCES ||
		    errno == EPERM)
			to_corrupt(pc, name, w.text);
		else if (errno != ENOENT)
			log_error("incoming/%s: %s", name, w.text);
		return 0;
	}
	envelope_init(&env);
	if (fstat(fd, &st) == -1) {
		why_errno(&w, "fstat");
		to_corrupt(pc, name, w.text);
	} else if (!S_ISREG(st.st_mode)) {
		to_corrupt(pc, name, "not a regular file");
	} else if (st.st_nlink != 1) {
		to_corrupt(pc, name, "has more than one link");
	} else if ((size_t)st.st_size > conf->max_message_size + head_max) {
		to_corrupt(pc, name, "larger than max_message_size");
	} else if (read_envelope(pc, fd, head_max, &env, &w) == -1 ||
	    check_addresses(&env, &w) == -1) {
		to_corrupt(pc, name, w.text);
	} else {
		rcpts = xreallocarray(NULL, env.nrcpts, sizeof(*rcpts));
		orcpts = xreallocarray(NULL, env.nrcpts, sizeof(*orcpts));
		for (i = 0; i < env.nrcpts; i++) {
			rcpts[i] = env.rcpts[i].addr;
			orcpts[i] = env.rcpts[i].orcpt;
		}
		req.sender = env.sender;
		req.sender_checked = true;
		req.notify = env.notify;
		req.ret = env.ret;
		req.envid = env.envid;
		req.verp = env.verp[0] ? env.verp : NULL;
		req.rcpts = rcpts;
		req.orcpts = orcpts;
		req.nrcpts = env.nrcpts;
		req.uid = st.st_uid;
		req.id = name;
		/* the user's arrival time counts (queue_lifetime, delays),
		 * when it is believable */
		if (env.arrival > 0 && env.arrival <= time(NULL) &&
		    time(NULL) - env.arrival < conf->queue_lifetime)
			req.arrival = env.arrival;
		src = (struct submit_source){ fileio_read_cb, NULL, &fd };
		if (already_queued(pc, name, &st, &env)) {
			/* a crash (or a failed unlink) after the last pickup */
			log_warn("incoming/%s: already queued as %s; removed",
			    name, name);
			remove_drop(pc, name);
			rc = -1;
		} else {
			rc = submit_message(conf, pc->sp, &req, &src, id, &w);
		}
		if (rc == EX_OK) {
			log_info("%s: picked up incoming/%s from uid %lu", id,
			    name, (unsigned long)st.st_uid);
			remove_drop(pc, name);
			pc->queued++;
		} else if (rc == -1) {
			/* handled above */
		} else if (rc == EX_TEMPFAIL || rc == EX_IOERR) {
			log_error("incoming/%s: pickup deferred: %s", name,
			    w.text);
		} else {
			to_corrupt(pc, name, w.text);
		}
	}
	free(rcpts);
	free(orcpts);
	envelope_free(&env);
	(void)close(fd);
	return 0;
}

size_t
pickup_run(const struct conf *conf, struct spool *sp)
{
	struct pickup_ctx pc = { conf, sp, 0 };
	struct why w;

	spool_clean_temp(sp, SPOOL_INCOMING, PICKUP_TEMP_MAX_AGE);
	if (spool_scan(sp, SPOOL_INCOMING, pick_one, &pc, &w) == -1)
		log_error("pickup: %s", w.text);
	return pc.queued;
}
