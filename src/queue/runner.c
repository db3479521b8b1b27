#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "pickup.h"
#include "qfile.h"
#include "route.h"
#include "runner.h"
#include "spool.h"
#include "xmalloc.h"

#define RUNNER_JOB_MIN		64	/* messages before a group is split */
#define RUNNER_BATCH		10000	/* queue entries routed at a time */
#define RUNNER_WAIT_MAX		3600	/* s: the daemon looks again at least hourly */
#define RUNNER_TRIGGER_DRAIN	512

/* Signal flags: the handlers only set these. */
static volatile sig_atomic_t runner_stop;
static volatile sig_atomic_t runner_reload;

struct pair {
	char	*dest;
	char	*id;
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
};

struct job {
	const char	*dest;
	char		**ids;
	size_t		 n;
};

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
add_pair(struct scan *s, const char *dest, const char *id)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n].dest = xstrdup(dest);
	s->v[s->n].id = xstrdup(id);
	s->n++;
}

static bool
needs_look(const struct scan *s)
{
	const struct runner_opts *o = s->opts;

	return o->due_only || o->only_rcpt || o->only_sender ||
	    s->conf->nsmarthosts == 0;
}

/* Routes one queued message; reads it only when routing needs that. */
static void
route_message(struct scan *s, const char *id)
{
	const struct runner_opts *o = s->opts;
	struct qfile q;
	struct why why;
	bool match = o->only_rcpt == NULL;
	size_t i, j;

	if (!needs_look(s)) {
		add_pair(s, ROUTE_SMARTHOST, id);
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
	/* one pair per distinct destination of the pending recipients */
	for (i = 0; i < q.env.nrcpts; i++) {
		char *dest;
		bool seen = false;

		if (q.state.rcpts[i].done)
			continue;
		dest = route_dest(s->conf, q.env.rcpts[i].addr);
		for (j = 0; j < i && !seen; j++) {
			char *other;

			if (q.state.rcpts[j].done)
				continue;
			other = route_dest(s->conf, q.env.rcpts[j].addr);
			seen = strcmp(other, dest) == 0;
			free(other);
		}
		if (!seen)
			add_pair(s, dest, id);
		free(dest);
	}
	if (qstate_all_done(&q.state))
		add_pair(s, ROUTE_SMARTHOST, id);	/* finish its removal */
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
		if (strcmp(suffix, QSTATE_SUFFIX) == 0) {
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

/* A state file whose message is gone (a crash between the two unlinks). */
static void
clean_orphans(struct scan *s)
{
	char id[SPOOL_MAX_NAME + 1];
	size_t i;
	int fd;

	for (i = 0; i < s->norphans; i++) {
		(void)strlcpy(id, s->orphans[i], sizeof(id));
		*strchr(id, '.') = '\0';
		fd = spool_open_file(s->sp, SPOOL_QUEUE, id, NULL);
		if (fd == -1 && errno == ENOENT)
			(void)spool_remove(s->sp, SPOOL_QUEUE, s->orphans[i],
			    NULL);
		if (fd != -1)
			(void)close(fd);
		free(s->orphans[i]);
	}
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
make_jobs(const struct scan *s, char **ids, size_t *njobs)
{
	size_t conc = (size_t)s->conf->concurrency, i = 0, nj = 0, cap = 16;
	struct job *jobs = xreallocarray(NULL, cap, sizeof(*jobs));

	for (i = 0; i < s->n; i++)
		ids[i] = s->v[i].id;
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
			jobs[nj].ids = ids + k;
			jobs[nj].n = end - k < per ? end - k : per;
			nj++;
		}
		i = end;
	}
	*njobs = nj;
	return jobs;
}

/* Worker exit status: bit 0 some deferred, bit 1 some bounced. */
static int
stats_code(const struct deliver_stats *st)
{
	return (st->deferred ? 1 : 0) | (st->bounced ? 2 : 0) |
	    (st->sent ? 4 : 0);
}

static void
run_jobs(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, struct job *jobs, size_t nj,
    struct deliver_stats *st, struct why *why, int *rc)
{
	size_t next = 0, running = 0, conc = (size_t)conf->concurrency, i;
	pid_t *kids = xcalloc(conc, sizeof(*kids));	/* 0: free slot */
	bool forwarded = false;
	struct deliver *d;
	int status;
	pid_t pid;

	if (o->in_process || nj == 1) {
		free(kids);
		if ((d = deliver_new(conf, sp, o->verbose, why)) == NULL) {
			*rc = -1;
			return;
		}
		for (next = 0; next < nj && !runner_stop; next++)
			deliver_batch(d, jobs[next].dest, jobs[next].ids,
			    jobs[next].n, &runner_stop, st);
		deliver_free(d);
		return;
	}
	while (next < nj || running > 0) {
		while (next < nj && running < conc && !runner_stop) {
			pid = fork();
			if (pid == -1) {
				log_error("fork: %s", strerror(errno));
				break;
			}
			if (pid == 0) {
				struct deliver_stats cs = { 0 };

				d = deliver_new(conf, sp, o->verbose, why);
				if (d == NULL) {
					log_error("%s", why->text);
					_exit(64);
				}
				deliver_batch(d, jobs[next].dest,
				    jobs[next].ids, jobs[next].n, &runner_stop,
				    &cs);
				deliver_free(d);
				(void)fflush(stderr);
				_exit(stats_code(&cs));
			}
			for (i = 0; kids[i] != 0; i++)
				continue;
			kids[i] = pid;
			next++;
			running++;
		}
		if (running == 0)
			break;
		pid = waitpid(-1, &status, 0);
		if (pid == -1) {
			if (errno == EINTR) {
				/* our workers only: others may share our
				 * process group (a container's entrypoint) */
				for (i = 0; runner_stop && !forwarded &&
				    i < conc; i++)
					if (kids[i] != 0)
						(void)kill(kids[i], SIGTERM);
				forwarded = forwarded || runner_stop;
				continue;
			}
			break;
		}
		for (i = 0; i < conc; i++)
			if (kids[i] == pid)
				kids[i] = 0;
		running--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 64) {
			why_set(why, "delivery setup failed (see log)");
			*rc = -1;
		} else if (WIFEXITED(status)) {
			st->deferred += (WEXITSTATUS(status) & 1) != 0;
			st->bounced += (WEXITSTATUS(status) & 2) != 0;
			st->sent += (WEXITSTATUS(status) & 4) != 0;
		}
	}
	free(kids);
}

/* Delivers the pairs collected so far, then forgets them. */
static void
run_batch(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, struct scan *s, struct deliver_stats *st,
    struct why *why, int *rc)
{
	struct job *jobs;
	char **ids;
	size_t nj = 0, i;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_pair);
	ids = xreallocarray(NULL, s->n, sizeof(*ids));
	jobs = make_jobs(s, ids, &nj);
	run_jobs(conf, sp, o, jobs, nj, st, why, rc);
	for (i = 0; i < s->n; i++) {
		free(s->v[i].dest);
		free(s->v[i].id);
	}
	s->n = 0;
	free(ids);
	free(jobs);
}

int
runner_once(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, struct deliver_stats *st, time_t *next_due,
    struct why *why)
{
	struct scan s = { .conf = conf, .sp = sp, .opts = o };
	struct spool_iter *it;
	const char *name = NULL;
	int rc = 0;

	*st = (struct deliver_stats){ 0 };
	s.now = time(NULL);
	if (o->pickup)
		(void)pickup_run(conf, sp);
	spool_clean_temp(sp, SPOOL_QUEUE, 24 * 3600);
	if ((it = spool_iter_open(sp, SPOOL_QUEUE, why)) == NULL)
		return -1;
	/* batches of RUNNER_BATCH: memory stays flat as the queue grows */
	do {
		while (s.n < RUNNER_BATCH &&
		    (name = spool_iter_next(it)) != NULL)
			(void)scan_entry(&s, name);
		run_batch(conf, sp, o, &s, st, why, &rc);
	} while (name != NULL && rc == 0);
	spool_iter_close(it);
	free(s.v);
	clean_orphans(&s);
	/* what was deferred now is due again no sooner than retry_min */
	if (st->deferred && (s.next_due == 0 ||
	    s.next_due > time(NULL) + conf->retry_min))
		s.next_due = time(NULL) + conf->retry_min;
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

int
runner_daemon(const struct conf *conf, struct spool *sp,
    const struct runner_opts *o, long interval,
    const struct conf *(*reload)(void *), void *reload_arg)
{
	struct sigaction sa = { 0 };
	struct deliver_stats st;
	struct pollfd pfd;
	struct why why;
	time_t next_due, wake;
	time_t wait_s;
	int fd, wait_ms;

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
		if (runner_once(conf, sp, o, &st, &next_due, &why) == -1)
			log_error("queue run: %s", why.text);
		if (runner_stop)
			break;
		wake = time(NULL) + interval;
		if (next_due != 0 && next_due < wake)
			wake = next_due;
		/* seconds first: -q30d in ms does not fit an int */
		wait_s = wake - time(NULL);
		wait_s = wait_s < 1 ? 1 : wait_s > RUNNER_WAIT_MAX ?
		    RUNNER_WAIT_MAX : wait_s;
		wait_ms = (int)wait_s * 1000;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait_ms) > 0)
			drain_trigger(fd);
		if (runner_reload) {
			const struct conf *fresh;

			runner_reload = 0;
			if ((fresh = reload(reload_arg)) != NULL) {
				conf = fresh;
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
