/*
 * child: the one way minimta starts another program: fork, exec of an
 * argv (no shell), waitpid. The child gets /dev/null as stdin, pipes as
 * stdout and stderr, its own process group, default signal dispositions,
 * and the environment env (or ours); every other descriptor of ours is
 * close-on-exec. Its output is bounded and its run time too: past the
 * deadline or the bound the whole process group gets SIGKILL and is
 * reaped. Returns the class; what it wrote is in out and err, however it
 * ended (the caller decides what may be shown: stdout may hold a secret).
 *
 * The caller chooses who runs it: child_run does not change users.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stddef.h>

struct buf;
struct why;

enum child_result {
	CHILD_OK,		/* exit status 0 */
	CHILD_FAILED,		/* another status, or a signal: why says */
	CHILD_TIMEOUT,		/* killed at the deadline */
	CHILD_TOO_MUCH,		/* killed: stdout past out_max */
	CHILD_ERROR,		/* not started (pipe, fork, exec): why */
};

struct child_opts {
	int		 timeout_ms;
	size_t		 out_max;	/* bytes of stdout kept */
	size_t		 err_max;	/* bytes of stderr kept; more dropped */
	char *const	*env;		/* NULL: ours */
};

/* argv[0] is the path (execve, no PATH search). */
enum child_result child_run(char *const argv[], const struct child_opts *,
	    struct buf *out, struct buf *err, struct why *);

#endif
