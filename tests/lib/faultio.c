/*
 * faultio.so: an LD_PRELOAD shim that makes chosen I/O calls on files
 * under the spool fail, for tests/cli/faultio.bats (a full disk or a dying
 * disk on demand, at one exact call, without a small tmpfs).
 *
 *   MINIMTA_FAULT_DIR=/abs/spool       only paths under it (links
 *                                      resolved: give realpath's answer)
 *   MINIMTA_FAULT="OP:ERRNO:N[+][:SUB],..."
 *       OP     write (write, writev, pwrite), fsync (fsync, fdatasync),
 *              syncfs, rename (rename, renameat, renameat2), unlink
 *              (unlink, unlinkat of a file)
 *       ERRNO  ENOSPC, EIO, EDQUOT, EROFS, or a number
 *       N      the Nth matching call fails (counted per process);
 *              N+: that one and every later one (a disk that stays full)
 *       SUB    only paths containing SUB, e.g. "/queue" or ".state";
 *              "!TEXT": not containing TEXT; "A&!B": both (for a
 *              rename: either name)
 *   MINIMTA_FAULT_LOG=FILE             one line per injected fault:
 *                                      "PID OP PATH ERRNO"
 *
 * Only regular files and directories count: stdout, stderr, sockets,
 * pipes and the trigger FIFO are never hit. A failing call does nothing
 * (no partial write) and returns -1 with errno set.
 * Build: cc -shared -fPIC -o faultio.so faultio.c -ldl
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define FAULT_RULES	8

enum fault_op { FOP_WRITE, FOP_FSYNC, FOP_SYNCFS, FOP_RENAME, FOP_UNLINK };

static const char *const fault_op_names[] = {
	[FOP_WRITE] = "write", [FOP_FSYNC] = "fsync",
	[FOP_SYNCFS] = "syncfs", [FOP_RENAME] = "rename",
	[FOP_UNLINK] = "unlink",
};

static const struct {
	const char	*name;
	int		 err;
} fault_errnos[] = {
	{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EDQUOT", EDQUOT },
	{ "EROFS", EROFS }, { "EFBIG", EFBIG },
};

struct fault_rule {
	enum fault_op	 op;
	int		 err;
	long		 nth;
	bool		 sticky;
	char		 sub[128];
	long		 hits;
};

static struct fault_rule fault_rules[FAULT_RULES];
static int fault_nrules;
static char fault_dir[PATH_MAX];
static size_t fault_dirlen;
static bool fault_loaded;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_syncfs)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *,
    unsigned int);
static int (*real_unlink)(const char *);
static int (*real_unlinkat)(int, const char *, int);

/* The next definition of sym (libc's); a missing one is a broken setup. */
static void *
fault_next(const char *sym)
{
	void *p = dlsym(RTLD_NEXT, sym);

	if (p == NULL)
		abort();
	return p;
}

static void
fault_resolve(void)
{
	real_write = (ssize_t (*)(int, const void *, size_t))
	    fault_next("write");
	real_writev = (ssize_t (*)(int, const struct iovec *, int))
	    fault_next("writev");
	real_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))
	    fault_next("pwrite");
	real_pwrite64 = (ssize_t (*)(int, const void *, size_t, off_t))
	    fault_next("pwrite64");
	real_fsync = (int (*)(int))fault_next("fsync");
	real_fdatasync = (int (*)(int))fault_next("fdatasync");
	real_syncfs = (int (*)(int))fault_next("syncfs");
	real_rename = (int (*)(const char *, const char *))
	    fault_next("rename");
	real_renameat = (int (*)(int, const char *, int, const char *))
	    fault_next("renameat");
	real_renameat2 = (int (*)(int, const char *, int, const char *,
	    unsigned int))fault_next("renameat2");
	real_unlink = (int (*)(const char *))fault_next("unlink");
	real_unlinkat = (int (*)(int, const char *, int))
	    fault_next("unlinkat");
}

static int
fault_parse_errno(const char *s)
{
	size_t i;
	long n;

	for (i = 0; i < sizeof(fault_errnos) / sizeof(fault_errnos[0]); i++)
		if (strcmp(s, fault_errnos[i].name) == 0)
			return fault_errnos[i].err;
	n = strtol(s, NULL, 10);
	return n > 0 && n < 4096 ? (int)n : EIO;
}

/* Splits s at the first c: returns what follows, or NULL. */
static char *
fault_cut(char *s, int c)
{
	char *p = s != NULL ? strchr(s, c) : NULL;

	if (p == NULL)
		return NULL;
	*p = '\0';
	return p + 1;
}

/* One "OP:ERRNO:N[+][:SUB]"; a malformed rule is ignored. */
static void
fault_parse_rule(char *op)
{
	struct fault_rule *r = &fault_rules[fault_nrules];
	char *err = fault_cut(op, ':'), *nth = fault_cut(err, ':');
	char *sub = fault_cut(nth, ':');
	size_t i, nops = sizeof(fault_op_names) / sizeof(fault_op_names[0]);

	if (err == NULL || fault_nrules == FAULT_RULES)
		return;
	for (i = 0; i < nops && strcmp(op, fault_op_names[i]) != 0; i++)
		continue;
	if (i == nops)
		return;
	memset(r, 0, sizeof(*r));
	r->op = (enum fault_op)i;
	r->err = fault_parse_errno(err);
	r->nth = nth != NULL ? strtol(nth, NULL, 10) : 1;
	r->nth = r->nth > 0 ? r->nth : 1;
	r->sticky = nth != NULL && strchr(nth, '+') != NULL;
	if (sub != NULL)
		(void)snprintf(r->sub, sizeof(r->sub), "%s", sub);
	fault_nrules++;
}

static void
fault_load(void)
{
	const char *spec, *dir;
	char buf[1024], *one, *next;

	if (fault_loaded)
		return;
	fault_loaded = true;
	fault_resolve();
	spec = getenv("MINIMTA_FAULT");
	dir = getenv("MINIMTA_FAULT_DIR");
	if (spec == NULL || dir == NULL || *dir != '/')
		return;
	(void)snprintf(fault_dir, sizeof(fault_dir), "%s", dir);
	fault_dirlen = strlen(fault_dir);
	while (fault_dirlen > 1 && fault_dir[fault_dirlen - 1] == '/')
		fault_dir[--fault_dirlen] = '\0';
	(void)snprintf(buf, sizeof(buf), "%s", spec);
	for (one = buf; one != NULL; one = next) {
		next = fault_cut(one, ',');
		if (*one != '\0')
			fault_parse_rule(one);
	}
}

/* The path fd refers to, if it is a regular file or a directory. */
static bool
fault_fd_path(int fd, char *out, size_t outlen)
{
	char link[64];
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) == -1 ||
	    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return false;
	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, out, outlen - 1)) <= 0)
		return false;
	out[n] = '\0';
	return true;
}

/* The path name means relative to dirfd (renameat's view). */
static bool
fault_at_path(int dirfd, const char *name, char *out, size_t outlen)
{
	char dir[PATH_MAX];
	char link[64];
	ssize_t n;

	if (name == NULL)
		return false;
	if (name[0] == '/') {
		(void)snprintf(out, outlen, "%s", name);
		return true;
	}
	if (dirfd == AT_FDCWD) {
		if (getcwd(dir, sizeof(dir)) == NULL)
			return false;
	} else {
		(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		if ((n = readlink(link, dir, sizeof(dir) - 1)) <= 0)
			return false;
		dir[n] = '\0';
	}
	n = snprintf(out, outlen, "%s/%s", dir, name);
	return n > 0 && (size_t)n < outlen;
}

/* SUB: conditions joined by '&', each "TEXT" or "!TEXT". */
static bool
fault_sub_ok(const char *path, const char *sub)
{
	char cond[sizeof(((struct fault_rule *)0)->sub)];
	const char *p = sub, *amp;
	size_t n;
	bool neg;

	while (*p != '\0') {
		amp = strchr(p, '&');
		n = amp != NULL ? (size_t)(amp - p) : strlen(p);
		neg = *p == '!';
		(void)snprintf(cond, sizeof(cond), "%.*s", (int)(n - neg),
		    p + neg);
		if (cond[0] != '\0' && (strstr(path, cond) != NULL) == neg)
			return false;
		p += n + (amp != NULL);
	}
	return true;
}

static bool
fault_in_scope(const char *path, const struct fault_rule *r)
{
	if (path == NULL || strncmp(path, fault_dir, fault_dirlen) != 0 ||
	    (path[fault_dirlen] != '/' && path[fault_dirlen] != '\0'))
		return false;
	return fault_sub_ok(path, r->sub);
}

static void
fault_log(enum fault_op op, const char *path, int err)
{
	const char *file = getenv("MINIMTA_FAULT_LOG");
	char line[PATH_MAX + 64];
	int fd, n;

	if (file == NULL || *file == '\0')
		return;
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1)
		return;
	n = snprintf(line, sizeof(line), "%ld %s %s %d\n", (long)getpid(),
	    fault_op_names[op], path, err);
	if (n > 0)
		(void)real_write(fd, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
	(void)close(fd);
}

/*
 * Counts the call against every rule for op that p1 or p2 falls under;
 * true (errno set) when one of them says this call fails.
 */
static bool
fault_hit(enum fault_op op, const char *p1, const char *p2)
{
	struct fault_rule *r;
	int i, err = 0;
	const char *which = NULL;

	fault_load();
	for (i = 0; i < fault_nrules; i++) {
		r = &fault_rules[i];
		if (r->op != op)
			continue;
		if (fault_in_scope(p1, r))
			which = p1;
		else if (fault_in_scope(p2, r))
			which = p2;
		else
			continue;
		r->hits++;
		if (err == 0 && (r->hits == r->nth ||
		    (r->sticky && r->hits > r->nth)))
			err = r->err;
	}
	if (err == 0)
		return false;
	fault_log(op, which, err);
	errno = err;
	return true;
}

static bool
fault_fd(enum fault_op op, int fd)
{
	char path[PATH_MAX];

	fault_load();
	if (fault_nrules == 0 || !fault_fd_path(fd, path, sizeof(path)))
		return false;
	return fault_hit(op, path, NULL);
}

static bool
fault_rename(int ofd, const char *old, int nfd, const char *new)
{
	char p1[PATH_MAX], p2[PATH_MAX];
	bool h1, h2;

	fault_load();
	if (fault_nrules == 0)
		return false;
	h1 = fault_at_path(ofd, old, p1, sizeof(p1));
	h2 = fault_at_path(nfd, new, p2, sizeof(p2));
	return fault_hit(FOP_RENAME, h1 ? p1 : NULL, h2 ? p2 : NULL);
}

ssize_t
write(int fd, const void *p, size_t n)
{
	if (fault_fd(FOP_WRITE, fd))
		return -1;
	return real_write(fd, p, n);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	if (fault_fd(FOP_WRITE, fd))
		return -1;
	return real_writev(fd, iov, n);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	if (fault_fd(FOP_WRITE, fd))
		return -1;
	return real_pwrite(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	if (fault_fd(FOP_WRITE, fd))
		return -1;
	return real_pwrite64(fd, p, n, off);
}

int
fsync(int fd)
{
	if (fault_fd(FOP_FSYNC, fd))
		return -1;
	return real_fsync(fd);
}

int
fdatasync(int fd)
{
	if (fault_fd(FOP_FSYNC, fd))
		return -1;
	return real_fdatasync(fd);
}

int
syncfs(int fd)
{
	if (fault_fd(FOP_SYNCFS, fd))
		return -1;
	return real_syncfs(fd);
}

int
rename(const char *old, const char *new)
{
	if (fault_rename(AT_FDCWD, old, AT_FDCWD, new))
		return -1;
	return real_rename(old, new);
}

int
renameat(int ofd, const char *old, int nfd, const char *new)
{
	if (fault_rename(ofd, old, nfd, new))
		return -1;
	return real_renameat(ofd, old, nfd, new);
}

int
renameat2(int ofd, const char *old, int nfd, const char *new,
    unsigned int flags)
{
	if (fault_rename(ofd, old, nfd, new))
		return -1;
	return real_renameat2(ofd, old, nfd, new, flags);
}

/* A file's unlink (a directory's, AT_REMOVEDIR, is never hit). */
static bool
fault_unlink(int dfd, const char *name, int flags)
{
	char p[PATH_MAX];

	fault_load();
	if (fault_nrules == 0 || (flags & AT_REMOVEDIR) ||
	    !fault_at_path(dfd, name, p, sizeof(p)))
		return false;
	return fault_hit(FOP_UNLINK, p, NULL);
}

int
unlink(const char *name)
{
	if (fault_unlink(AT_FDCWD, name, 0))
		return -1;
	return real_unlink(name);
}

int
unlinkat(int dfd, const char *name, int flags)
{
	if (fault_unlink(dfd, name, flags))
		return -1;
	return real_unlinkat(dfd, name, flags);
}
