/*
 * test_child: child_run, the one fork/exec/waitpid helper: output kept,
 * exit status and signals, exec failures, the time limit (the whole
 * process group killed), the output bound at and past it, stderr kept
 * apart and capped, the environment given.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "unit.h"
#include "why.h"

int	main(void);

struct run {
	enum child_result	 res;
	struct buf		 out, err;
	struct why		 why;
};

static void
run_sh(struct run *r, const char *script, int timeout_ms, size_t out_max,
    char *const *env)
{
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	struct child_opts o = { timeout_ms, out_max, 64, env };

	argv[2] = (char *)(uintptr_t)script;
	buf_init(&r->out);
	buf_init(&r->err);
	r->why.text[0] = '\0';
	r->res = child_run(argv, &o, &r->out, &r->err, &r->why);
}

/* pid is gone, or a zombie waiting for its new parent to reap it */
static bool
gone(pid_t pid)
{
	char path[64], stat[256];
	const char *paren;
	size_t n;
	FILE *f;

	if (kill(pid, 0) == -1)
		return true;
	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return true;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	(void)fclose(f);
	stat[n] = '\0';
	paren = strrchr(stat, ')');
	return paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

static void
run_free(struct run *r)
{
	buf_free(&r->out);
	buf_free(&r->err);
}

int
main(void)
{
	char *env[] = { "A=one", NULL };
	char *missing[] = { "/nonexistent/token", NULL };
	struct child_opts o = { 1000, 100, 100, NULL };
	struct run r;
	char pidtext[32];
	pid_t pid;
	int i;

	(void)signal(SIGPIPE, SIG_IGN);
	run_sh(&r, "printf 'tok\\n'; echo oops >&2", 5000, 100, NULL);
	UNIT_INT("ok", r.res, CHILD_OK);
	UNIT_STR("ok out", buf_cstr(&r.out), "tok\n");
	UNIT_STR("ok err", buf_cstr(&r.err), "oops\n");
	run_free(&r);

	run_sh(&r, "exit 3", 5000, 100, NULL);
	UNIT_INT("status", r.res, CHILD_FAILED);
	UNIT_STR("status why", r.why.text, "exited with status 3");
	run_free(&r);

	run_sh(&r, "kill -TERM $$", 5000, 100, NULL);
	UNIT_INT("signal", r.res, CHILD_FAILED);
	UNIT_STR("signal why", r.why.text, "killed by signal 15");
	run_free(&r);

	buf_init(&r.out);
	buf_init(&r.err);
	r.res = child_run(missing, &o, &r.out, &r.err, &r.why);
	UNIT_INT("exec", r.res, CHILD_ERROR);
	UNIT_STR("exec why", r.why.text, "exec: No such file or directory");
	run_free(&r);

	/* the grandchild (sleep) goes with the process group */
	run_sh(&r, "sleep 30 & echo $! >&2; wait", 300, 100, NULL);
	UNIT_INT("timeout", r.res, CHILD_TIMEOUT);
	UNIT_STR("timeout why", r.why.text, "timed out after 1 s (killed)");
	(void)snprintf(pidtext, sizeof(pidtext), "%s", buf_cstr(&r.err));
	pid = (pid_t)strtol(pidtext, NULL, 10);
	for (i = 0; i < 250 && pid > 0 && !gone(pid); i++)
		unit_msleep(20);
	UNIT_CHECK("grandchild killed", pid > 0 && gone(pid), "pid %ld",
	    (long)pid);
	run_free(&r);

	/* a child that closes its output and goes on meets the deadline */
	run_sh(&r, "exec >&- 2>&-; sleep 30", 300, 100, NULL);
	UNIT_INT("closed, running", r.res, CHILD_TIMEOUT);
	run_free(&r);

	run_sh(&r, "printf '%0100d' 0", 5000, 100, NULL);
	UNIT_INT("at the bound", r.res, CHILD_OK);
	UNIT_INT("at the bound len", r.out.len, 100);
	run_free(&r);
	run_sh(&r, "printf '%0101d' 0", 5000, 100, NULL);
	UNIT_INT("past the bound", r.res, CHILD_TOO_MUCH);
	UNIT_STR("past the bound why", r.why.text,
	    "wrote more than 100 bytes (killed)");
	run_free(&r);

	/* stderr past its cap is dropped, not an error */
	run_sh(&r, "head -c 5000 /dev/zero | tr '\\0' e >&2; echo x", 5000,
	    100, NULL);
	UNIT_INT("stderr capped", r.res, CHILD_OK);
	UNIT_INT("stderr capped len", r.err.len, 64);
	run_free(&r);

	run_sh(&r, "printf '%s' \"$A${HOME:-}\"", 5000, 100, env);
	UNIT_STR("env", buf_cstr(&r.out), "one");
	run_free(&r);

	/* stdin is /dev/null */
	run_sh(&r, "cat", 5000, 100, NULL);
	UNIT_INT("stdin", r.res, CHILD_OK);
	UNIT_INT("stdin empty", r.out.len, 0);
	run_free(&r);
	return unit_done("child");
}
