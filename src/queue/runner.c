#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "drop.h"
#include "log.h"
#include "pickup.h"
#include "qfile.h"
#include "report.h"
#include "route.h"
#include "runner.h"
#include "spool.h"
#include "xmalloc.h"

#define RUNNER_JOB_MIN		64	/* messages before a group is split */
#define RUNNER_BATCH		10000	/* queue entries routed at a time */
#define RUNNER_WAIT_MAX		3600	/* s: the daemon looks again at least hourly */
#define RUNNER_TRIGGER_DRAIN	512
/*
 * Anyone may write to the trigger: a write only makes the daemon pick up
 * incoming/ and deliver what was never tried, at most every
 * RUNNER_TRIGGER_GAP_MS; a full scan of the queue comes at the interval
 * or a retry time, at most every RUNNER_SCAN_MIN seconds (Postfix's qmgr
 * limits its scans of the deferred queue the same way).
 */
#define RUNNER_TRIGGER_GAP_MS	100
#define RUNNER_SCAN_MIN		1

/* Signal flags: the handlers only set these. */
static volatile sig_atomic_t runner_stop;
static volatile sig_atomic_t runner_reload;

/* A message and the recipients route_plan() gave one destination. */
struct pair {
	char	*dest;
	char	*id;
	size_t	*rcpts;		/* NULL: all pending (not opened) */
	size_t	 nrcpts;
	bool	 drop;		/* incoming/id: a drop item (deliver.h) */
};

/* Ids of messages with reports due, collected over a batch. */
struct finals {
	char		**v;
	size_t		 n;
};

struct scan {
	const struct conf	*conf;
	struct spool		*sp;
	const struct runner_opts *opts;
	struct pair		*v;
	size_t			 n, cap;
	time_t			 now;
	time_t			 next_due;
	char			**orphans;	/* state files, no message */
	size_t			 norphans;
	struct finals		 final;		/* reports due */
	struct pool		*pool;		/* the run's workers */
};

struct job {
	const char	*dest;
	struct deliver_item *items;
	size_t		 n;
};

struct pool;

static void
on_term(int sig)
{
	(void)sig;
	runner_stop = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	runner_reload = 1;
}

static void
finals_take(struct finals *f, char **v, size_t n)
{
	if (n == 0)
		return;	/* v may be NULL */
	f->v = xreallocarray(f->v, f->n + n + 1, sizeof(*f->v));
	memcpy(f->v + f->n, v, n * sizeof(*v));
	f->n += n;
}

/* Takes dest and rcpts (NULL: all pending). */
static void
add_pair(struct scan *s, char *dest, const char *id, size_t *rcpts,
    size_t nrcpts)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n].dest = dest;
	s->v[s->n].id = xstrdup(id);
	s->v[s->n].rcpts = rcpts;
	s->v[s->n].nrcpts = nrcpts;
	s->v[s->n].drop = false;
	s->n++;
}

static bool
needs_look(const struct scan *s)
{
	const struct runner_opts *o = s->opts;

	return o->due_only || o->only_rcpt || o->only_sender ||
	    s->conf->nsmarthosts == 0 || route_by_sender(s->conf);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * One pair per destination of the pending recipients (route_plan, the
 * rule delivery uses too: it takes these recipients without routing
 * again).
 */
static void
add_dests(struct scan *s, const struct qfile *q, const char *id)
{
	struct route_plan p;
	size_t i;

	route_plan(s->conf, q, &p);
	for (i = 0; i < p.n; i++) {
		add_pair(s, p.v[i].key, id, p.v[i].idx, p.v[i].n);
		p.v[i].key = NULL;
		p.v[i].idx = NULL;
	}
	if (p.n == 0)	/* finish it */
		add_pair(s, xstrdup(ROUTE_SMARTHOST), id, NULL, 0);
	route_plan_free(&p);
}

/* Routes one queued message; reads it only when routing needs that. */
static void
route_message(struct scan *s, const char *id)
{
	const struct runner_opts *o = s->opts;
	struct qfile q;
	struct why why;
	bool match = o->only_rcpt == NULL;
	size_t i;

	if (!needs_look(s)) {
		/* the default smarthosts take every message */
		add_pair(s, xstrdup(ROUTE_SMARTHOST), id, NULL, 0);
		return;
	}
	if (qfile_open(s->sp, id, QFILE_NOLOCK, (size_t)s->conf->max_recipients,
	    &q, &why) != QFILE_OK) {
		if (qfile_quarantine(s->sp, id, &why))	/* corrupt: set aside */
			log_warn("%s: %s", id, why.text);
		return;
	}
	if (o->only_sender != NULL && strstr(q.env.sender, o->only_sender) ==
	    NULL)
		goto out;
	/* reports left by a crash: finished by this run (report.h) */
	if (qstate_reports(&q.state, QSTATE_REPORT_FAILED) > 0 ||
	    qstate_reports(&q.state, QSTATE_REPORT_RELAYED) > 0) {
		char *fid = xstrdup(id);

		finals_take(&s->final, &fid, 1);
	}
	for (i = 0; i < q.env.nrcpts && !match; i++)
		match = !q.state.rcpts[i].done &&
		    strstr(q.env.rcpts[i].addr, o->only_rcpt) != NULL;
	if (!match)
		goto out;
	if (o->due_only && q.state.attempts > 0 && q.state.next_try > s->now) {
		if (s->next_due == 0 || q.state.next_try < s->next_due)
			s->next_due = q.state.next_try;
		goto out;
	}
	add_dests(s, &q, id);
out:
	qfile_close(&q);
}

static int
scan_entry(void *arg, const char *name)
{
	struct scan *s = arg;
	const char *suffix = strchr(name, '.');
	const char *only = s->opts->only_id;

	if (suffix != NULL) {
		if (qstate_id_len(name) > 0) {
			s->orphans = xreallocarray(s->orphans, s->norphans + 1,
			    sizeof(*s->orphans));
			s->orphans[s->norphans++] = xstrdup(name);
		}
		return 0;
	}
	if (!spool_id_ok(name) || (only != NULL && strstr(name, only) == NULL))
		return 0;
	route_message(s, name);
	return 0;
}

/*
 * State files whose message is gone (a crash between the two unlinks of
 * a removal, or the steps of a move to or from hold/), in queue/ and in
 * hold/.
 */
static void
clean_orphans(struct scan *s)
{
	size_t i;

	qfile_clean_states(s->sp, SPOOL_QUEUE, s->orphans, s->norphans);
	/* hold/ is listed by full runs only, not by each -odb child */
	if (s->opts->only_id == NULL)
		qfile_clean_states(s->sp, SPOOL_HOLD, NULL, 0);
	for (i = 0; i < s->norphans; i++)
		free(s->orphans[i]);
	free(s->orphans);
}

static int
cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->dest, y->dest);

	return c != 0 ? c : strcmp(x->id, y->id);
}

/* Splits the sorted pairs into jobs: a group per destination, large
 * groups cut into up to `concurrency` pieces. */
static struct job *
make_jobs(const struct scan *s, struct deliver_item *items, size_t *njobs)
{
	size_t conc = (size_t)s->conf->concurrency, i = 0, nj = 0, cap = 16;
	struct job *jobs = xreallocarray(NULL, cap, sizeof(*jobs));

	for (i = 0; i < s->n; i++) {
		items[i].id = s->v[i].id;
		items[i].rcpts = s->v[i].rcpts;
		items[i].nrcpts = s->v[i].nrcpts;
		items[i].drop = s->v[i].drop;
	}
	i = 0;
	while (i < s->n) {
		size_t end = i, pieces, per, k;

		while (end < s->n && strcmp(s->v[end].dest, s->v[i].dest) == 0)
			end++;
		pieces = (end - i + RUNNER_JOB_MIN - 1) / RUNNER_JOB_MIN;
		pieces = pieces > conc ? conc : pieces;
		per = (end - i + pieces - 1) / pieces;
		for (k = i; k < end; k += per) {
			if (nj == cap) {
				cap *= 2;
				jobs = xreallocarray(jobs, cap, sizeof(*jobs));
			}
			jobs[nj].dest = s->v[i].dest;
			jobs[nj].items = items + k;
			jobs[nj].n = end - k < per ? end - k : per;
			nj++;
		}
		i = end;
	}
	*njobs = nj;
	return jobs;
}

/*
 * The delivery workers: up to `concurrency` processes, kept for the whole
 * queue run, so that each keeps its SMTP session open from one job to the
 * next (a new batch of RUNNER_BATCH entries no longer means new
 * connections). The runner sends a worker a job over its job pipe (a
 * job_head, the destination, n ids); the worker delivers it and answers
 * over its result pipe: a result, then nfinal message ids with reports
 * due (report_finish). A worker whose job pipe is closed ends its session
 * and exits.
 */
struct job_head {
	size_t	n;
	size_t	destlen;
};

struct result {
	struct deliver_stats	 st;
	bool			 setup_failed;	/* bad TLS or auth_file */
	struct why		 why;
	size_t			 nfinal;
};

typedef char result_id[SPOOL_MAX_NAME + 1];

struct worker {
	pid_t		 pid;	/* 0: free slot */
	int		 fd;	/* read end of its result pipe */
	int		 jobfd;	/* write end of its job pipe */
	bool		 busy;	/* a job sent, its result not yet read */
	char		*dest;	/* of its last job: its session may be open */
	struct buf	 in;
};

struct pool {
	struct worker	*kids;
	size_t		 conc;
};

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * A worker's end of its job pipe, read in large chunks: an item is a few
 * small fields, and a read each made three system calls of the twenty
 * that deliver a message.
 */
struct job_reader {
	int	fd;
	size_t	off, len;
	char	buf[65536];
};

/* 0, or -1 at the end of the pipe (or an error). */
static int
read_all(struct job_reader *r, void *p, size_t n)
{
	char *c = p;
	ssize_t got;
	size_t k;

	while (n > 0) {
		if (r->off == r->len) {
			if ((got = read(r->fd, r->buf, sizeof(r->buf))) == -1 &&
			    errno == EINTR)
				continue;
			if (got <= 0)
				return -1;
			r->off = 0;
			r->len = (size_t)got;
		}
		k = r->len - r->off < n ? r->len - r->off : n;
		memcpy(c, r->buf + r->off, k);
		r->off += k;
		c += k;
		n -= k;
	}
	return 0;
}

/*
 * In a worker: reads one job; false at the end of the job pipe (or on a
 * job that breaks the format: the runner is our parent, so that would be
 * a bug, and the worker ends). The job's items point into *ids and
 * *rcpts, which grow as needed and are the caller's to free.
 */
static bool
worker_read_job(struct job_reader *fd, struct job *job, char **dest,
    result_id **ids, size_t **rcpts)
{
	struct job_head h;
	size_t i, nr, have = 0, *offs;
	bool ok = false;

	if (read_all(fd, &h, sizeof(h)) == -1 || h.destlen > 4096 ||
	    h.n > RUNNER_BATCH * 2)
		return false;
	*dest = xreallocarray(*dest, h.destlen + 1, 1);
	*ids = xreallocarray(*ids, h.n + 1, sizeof(**ids));
	job->items = xreallocarray(job->items, h.n + 1, sizeof(*job->items));
	offs = xreallocarray(NULL, h.n + 1, sizeof(*offs));
	if (read_all(fd, *dest, h.destlen) == -1)
		goto out;
	(*dest)[h.destlen] = '\0';
	for (i = 0; i < h.n; i++) {
		/* an id, whether it is a drop item, then its recipients'
		 * count (SIZE_MAX: all pending) and indices (worker_send) */
		if (read_all(fd, (*ids)[i], sizeof(**ids)) == -1 ||
		    read_all(fd, &job->items[i].drop,
		    sizeof(job->items[i].drop)) == -1 ||
		    read_all(fd, &nr, sizeof(nr)) == -1)
			goto out;
		(*ids)[i][SPOOL_MAX_NAME] = '\0';
		offs[i] = nr == SIZE_MAX ? SIZE_MAX : have;
		job->items[i].id = (*ids)[i];
		job->items[i].nrcpts = nr == SIZE_MAX ? 0 : nr;
		if (nr == SIZE_MAX || nr == 0)
			continue;
		if (nr > QFILE_MAX_RCPTS)
			goto out;
		*rcpts = xreallocarray(*rcpts, have + nr, sizeof(**rcpts));
		if (read_all(fd, *rcpts + have, nr * sizeof(**rcpts)) == -1)
			goto out;
		have += nr;
	}
	for (i = 0; i < h.n; i++)
		job->items[i].rcpts = offs[i] == SIZE_MAX ? NULL :
		    *rcpts + offs[i];
	job->dest = *dest;
	job->n = h.n;
	ok = true;
out:
	free(offs);
	return ok;
}

/* In a worker: delivers the jobs it is sent, answers each, exits. */
static void
worker_main(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, int jobfd, int fd)
{
	struct job_reader *jr = xcalloc(1, sizeof(*jr));
	struct job job = { 0 };
	struct deliver *d;
	struct why why;
	char **final = NULL, *dest = NULL;
	result_id *ids = NULL, id;
	size_t *rcpts = NULL;
	size_t i;

	d = deliver_new(conf, sp, o->verbose, &why);
	jr->fd = jobfd;
	while (worker_read_job(jr, &job, &dest, &ids, &rcpts)) {
		struct result r = { 0 };

		if (d == NULL) {
			r.setup_failed = true;
			r.why = why;
		} else {
			deliver_batch(d, job.dest, job.items, job.n,
			    &runner_stop, &r.st);
			final = deliver_take_final(d, &r.nfinal);
		}
		(void)fflush(stderr);
		if (write_all(fd, &r, sizeof(r)) == -1)
			break;
		for (i = 0; i < r.nfinal; i++) {
			memset(id, 0, sizeof(id));
			(void)strlcpy(id, final[i], sizeof(id));
			(void)write_all(fd, id, sizeof(id));
			free(final[i]);
		}
		free(final);
		final = NULL;
	}
	deliver_free(d);	/* QUIT */
	free(jr);
	(void)fflush(stderr);
	_exit(0);
}

/* A worker's whole result is in: added in; the worker is idle again. */
static void
worker_result(struct worker *w, struct deliver_stats *st, struct finals *f,
    struct why *why, int *rc)
{
	struct result r;
	const result_id *ids;
	size_t i, need;

	if (w->in.len < sizeof(r))
		return;
	memcpy(&r, w->in.data, sizeof(r));
	need = sizeof(r) + r.nfinal * sizeof(result_id);
	if (w->in.len < need)
		return;
	if (r.setup_failed) {
		log_error("%s", r.why.text);
		why_set(why, "delivery setup failed: %s", r.why.text);
		*rc = -1;
	}
	st->sent += r.st.sent;
	st->deferred += r.st.deferred;
	st->bounced += r.st.bounced;
	if (r.st.next_try != 0 && (st->next_try == 0 ||
	    r.st.next_try < st->next_try))
		st->next_try = r.st.next_try;
	ids = (const result_id *)(void *)(w->in.data + sizeof(r));
	for (i = 0; i < r.nfinal; i++) {
		char *id = xstrndup(ids[i], SPOOL_MAX_NAME);

		finals_take(f, &id, 1);
	}
	memmove(w->in.data, w->in.data + need, w->in.len - need);
	w->in.len -= need;
	w->busy = false;
}

/* A worker's result pipe is at its end: it is reaped. */
static void
worker_done(struct worker *w)
{
	int status;

	if (w->jobfd != -1)
		(void)close(w->jobfd);
	while (waitpid(w->pid, &status, 0) == -1 && errno == EINTR)
		continue;
	(void)close(w->fd);
	if (w->busy)
		log_error("delivery worker %ld ended without a result",
		    (long)w->pid);
	buf_free(&w->in);
	free(w->dest);
	memset(w, 0, sizeof(*w));
}

static bool
worker_start(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, struct pool *pl, struct worker *w)
{
	int p[2], j[2];
	size_t i;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_error("pipe: %s", strerror(errno));
		return false;
	}
	if (pipe2(j, O_CLOEXEC) == -1) {
		log_error("pipe: %s", strerror(errno));
		(void)close(p[0]);
		(void)close(p[1]);
		return false;
	}
	if ((w->pid = fork()) == -1) {
		log_error("fork: %s", strerror(errno));
		(void)close(p[0]);
		(void)close(p[1]);
		(void)close(j[0]);
		(void)close(j[1]);
		w->pid = 0;
		return false;
	}
	if (w->pid == 0) {
		/* the other workers' pipes are not ours: their ends must
		 * close when the runner closes them */
		for (i = 0; i < pl->conc; i++) {
			if (pl->kids[i].pid != 0 && &pl->kids[i] != w) {
				(void)close(pl->kids[i].fd);
				(void)close(pl->kids[i].jobfd);
			}
		}
		(void)close(p[0]);
		(void)close(j[1]);
		worker_main(conf, sp, o, j[0], p[1]);
	}
	(void)close(p[1]);
	(void)close(j[0]);
	w->fd = p[0];
	w->jobfd = j[1];
	w->busy = false;
	w->dest = NULL;
	buf_init(&w->in);
	return true;
}

/* Sends job to w (idle); false if the worker is gone. */
static bool
worker_send(struct worker *w, const struct job *job)
{
	struct job_head h = { job->n, strlen(job->dest) };
	result_id id;
	struct buf b;
	size_t i;
	bool ok;

	buf_init(&b);
	buf_add(&b, &h, sizeof(h));
	buf_add(&b, job->dest, h.destlen);
	for (i = 0; i < job->n; i++) {
		const struct deliver_item *it = &job->items[i];
		size_t nr = it->rcpts != NULL ? it->nrcpts : SIZE_MAX;

		memset(id, 0, sizeof(id));
		(void)strlcpy(id, it->id, sizeof(id));
		buf_add(&b, id, sizeof(id));
		buf_add(&b, &it->drop, sizeof(it->drop));
		buf_add(&b, &nr, sizeof(nr));
		if (it->rcpts != NULL)
			buf_add(&b, it->rcpts, it->nrcpts * sizeof(*it->rcpts));
	}
	ok = write_all(w->jobfd, b.data, b.len) == 0;
	buf_free(&b);
	if (!ok)
		return false;
	free(w->dest);
	w->dest = xstrdup(job->dest);
	w->busy = true;
	return true;
}

/* Reads what the workers wrote; reaps those at the end. */
static void
worker_poll(struct pool *pl, struct deliver_stats *st, struct finals *f,
    struct why *why, int *rc)
{
	struct worker *kids = pl->kids;
	struct pollfd *pf = xcalloc(pl->conc, sizeof(*pf));
	size_t i;
	ssize_t n;

	for (i = 0; i < pl->conc; i++) {
		pf[i].fd = kids[i].pid != 0 ? kids[i].fd : -1;
		pf[i].events = POLLIN;
	}
	if (poll(pf, (nfds_t)pl->conc, -1) == -1) {
		free(pf);
		return;	/* EINTR: the caller looks at runner_stop */
	}
	for (i = 0; i < pl->conc; i++) {
		if (pf[i].fd == -1 || pf[i].revents == 0)
			continue;
		buf_reserve(&kids[i].in, 4096);
		n = read(kids[i].fd, kids[i].in.data + kids[i].in.len, 4096);
		if (n > 0) {
			kids[i].in.len += (size_t)n;
			worker_result(&kids[i], st, f, why, rc);
		} else if (n == 0 || errno != EINTR) {
			worker_done(&kids[i]);
		}
	}
	free(pf);
}

/*
 * The idle worker for a job to dest: one whose session goes there, else
 * a new one while there is room, else any idle one; NULL if none.
 */
static struct worker *
pick_worker(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, struct pool *pl, const char *dest)
{
	struct worker *idle = NULL, *free_slot = NULL;
	size_t i;

	for (i = 0; i < pl->conc; i++) {
		struct worker *w = &pl->kids[i];

		if (w->pid == 0) {
			if (free_slot == NULL)
				free_slot = w;
			continue;
		}
		if (w->busy)
			continue;
		if (w->dest != NULL && strcmp(w->dest, dest) == 0)
			return w;
		if (idle == NULL)
			idle = w;
	}
	if (free_slot != NULL && worker_start(conf, sp, o, pl, free_slot))
		return free_slot;
	return idle;
}

/* Ends the workers (each QUITs its session) and reaps them. */
static void
pool_close(struct pool *pl)
{
	struct deliver_stats st = { 0 };
	struct finals f = { 0 };
	struct why why;
	size_t i, alive;
	int rc = 0;

	if (pl->kids == NULL)
		return;
	for (i = 0; i < pl->conc; i++) {
		if (pl->kids[i].pid != 0 && pl->kids[i].jobfd != -1) {
			(void)close(pl->kids[i].jobfd);
			pl->kids[i].jobfd = -1;
		}
	}
	for (;;) {
		for (i = 0, alive = 0; i < pl->conc; i++)
			alive += pl->kids[i].pid != 0;
		if (alive == 0)
			break;
		worker_poll(pl, &st, &f, &why, &rc);
	}
	for (i = 0; i < f.n; i++)
		free(f.v[i]);
	free(f.v);
	free(pl->kids);
	pl->kids = NULL;
}

static void
run_jobs(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, struct pool *pl, struct job *jobs,
    size_t nj, struct deliver_stats *st, struct finals *f, struct why *why,
    int *rc)
{
	size_t next = 0, i, busy;
	struct worker *w;
	bool forwarded = false;
	struct deliver *d;
	char **v;
	size_t n;

	if ((o->in_process || nj == 1) && pl->kids == NULL) {
		if ((d = deliver_new(conf, sp, o->verbose, why)) == NULL) {
			*rc = -1;
			return;
		}
		for (next = 0; next < nj && !runner_stop; next++)
			deliver_batch(d, jobs[next].dest, jobs[next].items,
			    jobs[next].n, &runner_stop, st);
		v = deliver_take_final(d, &n);
		finals_take(f, v, n);
		free(v);
		deliver_free(d);
		return;
	}
	if (pl->kids == NULL) {
		pl->conc = (size_t)conf->concurrency;
		pl->kids = xcalloc(pl->conc, sizeof(*pl->kids));
	}
	for (;;) {
		while (next < nj && !runner_stop && (w = pick_worker(conf, sp,
		    o, pl, jobs[next].dest)) != NULL) {
			if (!worker_send(w, &jobs[next]))
				break;	/* gone: reaped by the poll */
			next++;
		}
		for (i = 0, busy = 0; i < pl->conc; i++)
			busy += pl->kids[i].pid != 0 && pl->kids[i].busy;
		if (busy == 0 && (next == nj || runner_stop))
			break;
		/* our workers only: others may share our process group
		 * (a container's entrypoint) */
		for (i = 0; runner_stop && !forwarded && i < pl->conc; i++)
			if (pl->kids[i].pid != 0)
				(void)kill(pl->kids[i].pid, SIGTERM);
		forwarded = forwarded || runner_stop;
		worker_poll(pl, st, f, why, rc);
	}
}

/* After the batch's jobs: one report per message (report.h). */
static void
finish_reports(const struct conf *conf, struct spool *sp, struct finals *f)
{
	size_t i;

	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_str);
	for (i = 0; i < f->n; i++) {
		if (i == 0 || strcmp(f->v[i], f->v[i - 1]) != 0)
			report_finish(conf, sp, f->v[i]);
	}
	for (i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* Delivers the pairs collected so far, then forgets them. */
static void
run_batch(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, struct scan *s, struct deliver_stats *st,
    struct why *why, int *rc)
{
	struct deliver_item *items;
	struct job *jobs;
	size_t nj = 0, i;

	if (s->n == 0) {
		finish_reports(conf, sp, &s->final);
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_pair);
	items = xreallocarray(NULL, s->n, sizeof(*items));
	jobs = make_jobs(s, items, &nj);
	run_jobs(conf, sp, o, s->pool, jobs, nj, st, &s->final, why, rc);
	finish_reports(conf, sp, &s->final);
	for (i = 0; i < s->n; i++) {
		free(s->v[i].dest);
		free(s->v[i].id);
		free(s->v[i].rcpts);
	}
	s->n = 0;
	free(items);
	free(jobs);
}

/*
 * incoming/name as a drop item (deliver.h), when it goes to one
 * destination: routing a message to several would send each worker
 * after the same file (the first takes it, the others' recipients wait
 * in queue/ for a full run), so those are left to pickup.
 */
static void
route_drop(struct scan *s, const char *name)
{
	size_t first = s->n, i;
	struct qfile q;
	struct why why;

	if (!spool_id_ok(name))
		return;
	if (s->conf->nsmarthosts > 0 && !route_by_sender(s->conf)) {
		/* the default smarthosts take every message */
		add_pair(s, xstrdup(ROUTE_SMARTHOST), name, NULL, 0);
	} else if (drop_gate(s->conf, s->sp, name, QFILE_NOLOCK, &q, &why) ==
	    QFILE_OK) {
		add_dests(s, &q, name);
		qfile_close(&q);
	}
	if (s->n - first > 1) {
		for (i = first; i < s->n; i++) {
			free(s->v[i].dest);
			free(s->v[i].id);
			free(s->v[i].rcpts);
		}
		s->n = first;
	}
	for (i = first; i < s->n; i++)
		s->v[i].drop = true;
}

/*
 * The drop files of incoming/, first tried from memory by the workers
 * (drop items); pickup then queues what they left.
 */
static int
scan_drops(struct scan *s, struct deliver_stats *st, struct why *why)
{
	struct spool_iter *it;
	const char *name = NULL;
	struct why w;
	int rc = 0;

	if ((it = spool_iter_open(s->sp, SPOOL_INCOMING, &w)) == NULL) {
		log_as(LOG_PROG_PICKUP, LOG_LEVEL_ERROR, "pickup: %s", w.text);
		return 0;
	}
	do {
		while (s->n < RUNNER_BATCH &&
		    (name = spool_iter_next(it)) != NULL)
			route_drop(s, name);
		run_batch(s->conf, s->sp, s->opts, s, st, why, &rc);
	} while (name != NULL && rc == 0 && !runner_stop);
	spool_iter_close(it);
	return rc;
}

/*
 * A trigger's run: the messages of queue/ that have no state file (new
 * submissions, picked-up drop files, reports). Only names are read for
 * the others, so a large deferred queue costs one directory listing.
 */
static int
scan_fresh(struct scan *s, struct deliver_stats *st, struct why *why)
{
	struct spool_iter *it;
	const char *name;
	char **ids = NULL, **states = NULL, key[SPOOL_MAX_NAME + 1];
	size_t nids = 0, nstates = 0, i, len;
	int rc = 0;

	if ((it = spool_iter_open(s->sp, SPOOL_QUEUE, why)) == NULL)
		return -1;
	while ((name = spool_iter_next(it)) != NULL) {
		if ((len = qstate_id_len(name)) > 0) {
			states = xreallocarray(states, nstates + 1,
			    sizeof(*states));
			states[nstates++] = xstrndup(name, len);
		} else if (strchr(name, '.') == NULL && spool_id_ok(name)) {
			ids = xreallocarray(ids, nids + 1, sizeof(*ids));
			ids[nids++] = xstrdup(name);
		}
	}
	spool_iter_close(it);
	if (nstates > 1)
		qsort(states, nstates, sizeof(*states), cmp_str);
	for (i = 0; i < nids && rc == 0; i++) {
		char *k = key;

		(void)strlcpy(key, ids[i], sizeof(key));
		if (nstates == 0 || bsearch(&k, states, nstates,
		    sizeof(*states), cmp_str) == NULL)
			(void)scan_entry(s, ids[i]);
		if (s->n >= RUNNER_BATCH)
			run_batch(s->conf, s->sp, s->opts, s, st, why, &rc);
	}
	run_batch(s->conf, s->sp, s->opts, s, st, why, &rc);
	for (i = 0; i < nids; i++)
		free(ids[i]);
	for (i = 0; i < nstates; i++)
		free(states[i]);
	free(ids);
	free(states);
	return rc;
}

/* -M: the messages named, without a listing of queue/. */
static int
run_ids(struct scan *s, struct deliver_stats *st, struct why *why)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < s->opts->nids && rc == 0; i++) {
		(void)scan_entry(s, s->opts->ids[i]);
		if (s->n >= RUNNER_BATCH)
			run_batch(s->conf, s->sp, s->opts, s, st, why, &rc);
	}
	run_batch(s->conf, s->sp, s->opts, s, st, why, &rc);
	return rc;
}

int
runner_once(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, struct deliver_stats *st, time_t *next_due,
    struct why *why)
{
	struct pool pool = { 0 };
	struct scan s = { .conf = conf, .sp = sp, .opts = o, .pool = &pool };
	struct spool_iter *it;
	const char *name = NULL;
	int rc = 0;

	*st = (struct deliver_stats){ 0 };
	s.now = time(NULL);
	/* drop files: first tried from memory (not for a run that selects
	 * messages), then pickup queues what is left */
	if (o->pickup && o->ids == NULL && o->only_id == NULL &&
	    o->only_rcpt == NULL && o->only_sender == NULL)
		rc = scan_drops(&s, st, why);
	if (o->pickup && rc == 0 && !runner_stop)
		(void)pickup_run(conf, sp);
	if (rc == -1) {
		pool_close(&pool);
		free(s.v);
		*next_due = 0;
		return rc;
	}
	if (o->ids != NULL) {
		rc = run_ids(&s, st, why);
		pool_close(&pool);
		free(s.v);
		*next_due = 0;
		return rc;
	}
	if (o->fresh_only) {
		rc = scan_fresh(&s, st, why);
		pool_close(&pool);
		free(s.v);
		*next_due = st->deferred ? time(NULL) + conf->retry_min : 0;
		/* a slot behind a cap may come sooner */
		if (st->next_try != 0 && (*next_due == 0 ||
		    st->next_try < *next_due))
			*next_due = st->next_try;
		return rc;
	}
	spool_clean_temp(sp, SPOOL_QUEUE, 24 * 3600);
	/* a counter's maker killed before its rename (ratelimit.h) */
	spool_clean_temp(sp, SPOOL_RATELIMIT, 24 * 3600);
	if ((it = spool_iter_open(sp, SPOOL_QUEUE, why)) == NULL) {
		pool_close(&pool);
		free(s.v);
		return -1;
	}
	/* batches of RUNNER_BATCH: memory stays flat as the queue grows */
	do {
		while (s.n < RUNNER_BATCH &&
		    (name = spool_iter_next(it)) != NULL)
			(void)scan_entry(&s, name);
		run_batch(conf, sp, o, &s, st, why, &rc);
	} while (name != NULL && rc == 0);
	spool_iter_close(it);
	pool_close(&pool);
	free(s.v);
	clean_orphans(&s);
	/* what was deferred now is due again no sooner than retry_min */
	if (st->deferred && (s.next_due == 0 ||
	    s.next_due > time(NULL) + conf->retry_min))
		s.next_due = time(NULL) + conf->retry_min;
	/* a slot behind a cap may come sooner */
	if (st->next_try != 0 && (s.next_due == 0 || st->next_try < s.next_due))
		s.next_due = st->next_try;
	*next_due = s.next_due;
	return rc;
}

static void
drain_trigger(int fd)
{
	char b[RUNNER_TRIGGER_DRAIN];

	while (read(fd, b, sizeof(b)) > 0)
		continue;
}

/* The next full scan: the interval or the next retry, not within
 * RUNNER_SCAN_MIN of this one. */
static time_t
next_wake(long interval, time_t next_due)
{
	time_t now = time(NULL), wake = now + interval;

	if (next_due != 0 && next_due < wake)
		wake = next_due;
	return wake < now + RUNNER_SCAN_MIN ? now + RUNNER_SCAN_MIN : wake;
}

/*
 * Waits for the trigger until wake; true if it was written. Then waits
 * out RUNNER_TRIGGER_GAP_MS, so a flood of writes costs a run per gap.
 */
static bool
wait_trigger(int fd, time_t wake)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	time_t wait_s = wake - time(NULL);
	int wait_ms;

	/* seconds first: -q30d in ms does not fit an int */
	wait_s = wait_s < 0 ? 0 : wait_s > RUNNER_WAIT_MAX ? RUNNER_WAIT_MAX :
	    wait_s;
	wait_ms = (int)wait_s * 1000;
	if (poll(&pfd, 1, wait_ms) <= 0)
		return false;
	drain_trigger(fd);
	(void)poll(NULL, 0, RUNNER_TRIGGER_GAP_MS);
	return true;
}

int
runner_daemon(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, long interval,
    const struct conf *(*reload)(void *), void *reload_arg)
{
	struct sigaction sa = { 0 };
	struct runner_opts fresh = *o;
	struct deliver_stats st;
	struct why why;
	time_t next_due, now, wake = 0;
	bool full = true, triggered = false;
	int fd;

	fresh.fresh_only = true;
	sa.sa_handler = on_term;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	(void)sigaction(SIGHUP, &sa, NULL);
	if ((fd = spool_trigger_listen(sp, &why)) == -1) {
		log_error("queue runner: %s", why.text);
		return -1;
	}
	log_info("queue runner started: interval %lds, spool %s", interval,
	    spool_path(sp));
	while (!runner_stop) {
		now = time(NULL);
		if (full || now >= wake) {
			if (runner_once(conf, sp, o, &st, &next_due, &why) ==
			    -1)
				log_error("queue run: %s", why.text);
			wake = next_wake(interval, next_due);
			full = false;
		} else if (triggered) {
			if (runner_once(conf, sp, &fresh, &st, &next_due,
			    &why) == -1)
				log_error("queue run: %s", why.text);
			if (next_due != 0 && next_due < wake)
				wake = next_due > now + RUNNER_SCAN_MIN ?
				    next_due : now + RUNNER_SCAN_MIN;
		}
		triggered = false;
		if (runner_stop)
			break;
		triggered = wait_trigger(fd, wake);
		if (runner_reload) {
			const struct conf *c;

			runner_reload = 0;
			if ((c = reload(reload_arg)) != NULL) {
				conf = c;
				full = true;	/* a new route may help */
				log_info("configuration reloaded");
			}
		}
	}
	log_info("queue runner stopped");
	(void)close(fd);
	return 0;
}

void
runner_detach(const struct conf *conf, struct spool *sp, const char *id)
{
	struct runner_opts o = { .only_id = id, .in_process = true };
	struct deliver_stats st;
	struct why why;
	time_t next;
	pid_t pid;
	int null;

	(void)fflush(stdout);
	(void)fflush(stderr);
	pid = fork();
	if (pid == -1) {
		log_warn("%s: fork: %s: the message waits for the next queue "
		    "run", id, strerror(errno));
		return;
	}
	if (pid > 0)
		return;
	/* the caller (PHP, cron) must not wait for us: no shared stdio */
	(void)setsid();
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		if (log_get_dest() != LOG_DEST_STDERR)
			(void)dup2(null, STDERR_FILENO);
	}
	if (runner_once(conf, sp, &o, &st, &next, &why) == -1)
		log_error("%s: delivery: %s", id, why.text);
	_exit(0);
}
