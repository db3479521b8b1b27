/*
 * floor: the least a durable submission can cost, and a timer.
 *
 *	floor write DIR		copies stdin to DIR/.tmpPID, fsyncs it,
 *				closes it, renames it to DIR/PID-N and
 *				fsyncs DIR: what "sendmail" must do at the
 *				very least before it may exit 0
 *	floor remove DIR P	the least a queue of one file a message
 *				pays to take its messages and remove them,
 *				sending nothing: P processes share the
 *				files of DIR (listed once); each opens,
 *				locks, reads, unlinks and closes its files,
 *				then fsyncs DIR once
 *	floor time N FILE CMD [ARG...]
 *				runs CMD N times, stdin from FILE, and
 *				prints each run's wall time in ms and its
 *				peak RSS in kB, one run a line (fails if a
 *				run exits non-zero)
 *
 * Built by bench/submit.sh with cc; not part of minimta.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int
do_write(const char *dir)
{
	char tmp[4096], fin[4096], buf[65536];
	ssize_t n;
	int fd, dfd;

	(void)snprintf(tmp, sizeof(tmp), "%s/.tmp%ld", dir, (long)getpid());
	(void)snprintf(fin, sizeof(fin), "%s/%ld-%ld", dir, (long)getpid(),
	    (long)time(NULL));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return perror(tmp), 75;
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return perror("write"), 75;
	if (n == -1 || fsync(fd) == -1 || close(fd) == -1)
		return perror(tmp), 75;
	if (rename(tmp, fin) == -1)
		return perror("rename"), 75;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1 || fsync(dfd) == -1)
		return perror(dir), 75;
	(void)close(dfd);
	return 0;
}

static int
do_remove(const char *dir, int p)
{
	static char buf[65536];
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int k, st, rc = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return perror(dir), 1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((names = realloc(names, (n + 1) * sizeof(*names))) == NULL ||
		    (names[n++] = strdup(de->d_name)) == NULL)
			return perror("malloc"), 1;
	}
	for (k = 0; k < p; k++) {
		if (fork() != 0)
			continue;
		for (i = (size_t)k; i < n; i += (size_t)p) {
			int fd = openat(dirfd(d), names[i], O_RDONLY |
			    O_NOFOLLOW | O_CLOEXEC);

			if (fd == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1 ||
			    pread(fd, buf, sizeof(buf), 0) == -1 ||
			    unlinkat(dirfd(d), names[i], 0) == -1)
				_exit((perror(names[i]), 1));
			(void)close(fd);
		}
		_exit(fsync(dirfd(d)) == -1 ? 1 : 0);
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	return rc;
}

static int
do_time(int n, const char *file, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct timespec a, b;
	struct rusage ru;
	pid_t pid;
	int i, st;

	for (i = 0; i < n; i++) {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, file, O_RDONLY, 0);
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
			return perror(argv[0]), 1;
		if (wait4(pid, &st, 0, &ru) == -1)
			return perror("wait4"), 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		posix_spawn_file_actions_destroy(&fa);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "floor: %s: run %d failed (status %d)\n",
			    argv[0], i, st);
			return 1;
		}
		printf("%.3f %ld\n", (b.tv_sec - a.tv_sec) * 1e3 +
		    (b.tv_nsec - a.tv_nsec) / 1e6, ru.ru_maxrss);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2]);
	if (argc == 4 && strcmp(argv[1], "remove") == 0 && atoi(argv[3]) > 0)
		return do_remove(argv[2], atoi(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "time") == 0)
		return do_time(atoi(argv[2]), argv[3], argv + 4);
	fprintf(stderr, "usage: floor write DIR | floor remove DIR P | "
	    "floor time N FILE CMD...\n");
	return 64;
}
