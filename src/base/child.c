/*
 * child: fork, exec argv, waitpid, with bounds on time and output. See
 * child.h. The child's end is watched through a pidfd, so a program that
 * closes its stdout early and goes on running still meets the deadline.
 */
#include <sys/types.h>
#include <sys/pidfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "net.h"
#include "why.h"

extern char **environ;

/* After fork: only async-signal-safe calls; reports exec's errno. */
static void
child_exec(char *const argv[], char *const env[], int out, int err,
    int report)
{
	sigset_t none;
	int null, e, sig;

	(void)setpgid(0, 0);
	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(err, STDERR_FILENO) == -1)
		goto fail;
	(void)execve(argv[0], argv, env);
fail:
	e = errno;
	(void)write(report, &e, sizeof(e));
	_exit(127);
}

/* Reads what is there from fd into b (up to max kept); 0 at EOF. */
static ssize_t
child_drain(int fd, struct buf *b, size_t max, bool *over)
{
	char chunk[4096];
	ssize_t n;

	n = read(fd, chunk, sizeof(chunk));
	if (n > 0) {
		if (b->len + (size_t)n > max) {
			*over = true;
			n = (ssize_t)(max - b->len);
		}
		buf_add(b, chunk, (size_t)n);
		return n > 0 ? n : 1;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 1;
	return 0;
}

static void
child_kill(pid_t pid)
{
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
}

static enum child_result
child_status(int status, struct why *why)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CHILD_OK;
	if (WIFEXITED(status))
		why_set(why, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		why_set(why, "killed by signal %d", WTERMSIG(status));
	else
		why_set(why, "ended with wait status %#x", status);
	return CHILD_FAILED;
}

struct child_watch {
	pid_t		 pid;
	int		 pidfd;		/* -1: none (old kernel) */
	int		 fds[3];	/* stdout, stderr, exec report */
	int64_t		 deadline;
};

/* Polls until the pipes end and the child exits, or the deadline. */
static enum child_result
child_wait(struct child_watch *w, const struct child_opts *o,
    struct buf *out, struct buf *err, struct why *why)
{
	struct pollfd pf[4];
	bool over = false, dropped = false, exited = false;
	int i, n, left, status = 0, exec_errno = 0, got;

	for (;;) {
		n = 0;
		for (i = 0; i < 3; i++)
			pf[i] = (struct pollfd){ w->fds[i], POLLIN, 0 };
		pf[3] = (struct pollfd){ exited ? -1 : w->pidfd, POLLIN, 0 };
		for (i = 0; i < 4; i++)
			n += pf[i].fd != -1;
		if (n == 0)
			break;
		if ((left = net_remaining(w->deadline)) == 0) {
			child_kill(w->pid);
			(void)waitpid(w->pid, &status, 0);
			why_set(why, "timed out after %d s (killed)",
			    (o->timeout_ms + 999) / 1000);
			return CHILD_TIMEOUT;
		}
		if (poll(pf, 4, left) == -1 && errno != EINTR) {
			why_errno(why, "poll");
			child_kill(w->pid);
			(void)waitpid(w->pid, &status, 0);
			return CHILD_ERROR;
		}
		if (pf[0].revents && child_drain(w->fds[0], out, o->out_max,
		    &over) == 0) {
			(void)close(w->fds[0]);
			w->fds[0] = -1;
		}
		if (over) {
			child_kill(w->pid);
			(void)waitpid(w->pid, &status, 0);
			why_set(why, "wrote more than %zu bytes (killed)",
			    o->out_max);
			return CHILD_TOO_MUCH;
		}
		if (pf[1].revents && child_drain(w->fds[1], err, o->err_max,
		    &dropped) == 0) {
			(void)close(w->fds[1]);
			w->fds[1] = -1;
		}
		if (pf[2].revents) {
			got = (int)read(w->fds[2], &exec_errno,
			    sizeof(exec_errno));
			if (got == (int)sizeof(exec_errno)) {
				(void)waitpid(w->pid, &status, 0);
				errno = exec_errno;
				why_errno(why, "exec");
				return CHILD_ERROR;
			}
			(void)close(w->fds[2]);
			w->fds[2] = -1;
		}
		if (pf[3].fd != -1 && pf[3].revents)
			exited = true;
	}
	while (waitpid(w->pid, &status, 0) == -1) {
		if (errno != EINTR) {
			/* SIGCHLD ignored, say: we cannot know how it ended */
			why_errno(why, "wait");
			return CHILD_ERROR;
		}
	}
	return child_status(status, why);
}

enum child_result
child_run(char *const argv[], const struct child_opts *o, struct buf *out,
    struct buf *err, struct why *why)
{
	struct child_watch w = { .pidfd = -1, .fds = { -1, -1, -1 } };
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, pr[2] = { -1, -1 };
	enum child_result res = CHILD_ERROR;
	int i;

	if (pipe2(po, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1 ||
	    pipe2(pr, O_CLOEXEC) == -1) {
		why_errno(why, "pipe");
		goto out;
	}
	w.deadline = net_deadline(o->timeout_ms);
	if ((w.pid = fork()) == -1) {
		why_errno(why, "fork");
		goto out;
	}
	if (w.pid == 0)
		child_exec(argv, o->env != NULL ? o->env : environ, po[1],
		    pe[1], pr[1]);
	/* the parent too, so that the kill at the deadline finds it */
	(void)setpgid(w.pid, w.pid);
	w.pidfd = pidfd_open(w.pid, 0);
	for (i = 0; i < 2; i++) {
		(void)close(i == 0 ? po[1] : pe[1]);
		w.fds[i] = i == 0 ? po[0] : pe[0];
		(void)fcntl(w.fds[i], F_SETFL, O_NONBLOCK);
	}
	(void)close(pr[1]);
	w.fds[2] = pr[0];
	po[0] = po[1] = pe[0] = pe[1] = pr[0] = pr[1] = -1;
	res = child_wait(&w, o, out, err, why);
out:
	for (i = 0; i < 3; i++)
		if (w.fds[i] != -1)
			(void)close(w.fds[i]);
	if (w.pidfd != -1)
		(void)close(w.pidfd);
	for (i = 0; i < 2; i++) {
		if (po[i] != -1)
			(void)close(po[i]);
		if (pe[i] != -1)
			(void)close(pe[i]);
		if (pr[i] != -1)
			(void)close(pr[i]);
	}
	return res;
}
