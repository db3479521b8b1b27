#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "log.h"
#include "spool.h"
#include "xmalloc.h"

#define SPOOL_WBUF	65536
#define SPOOL_PAGE	4096	/* spool_write() cuts large writes there */
#define SPOOL_ID_TRIES	16	/* fresh ids tried for one new message */
#define SPOOL_CORRUPT_TRIES 1000 /* names tried in corrupt/ for one file */

static const struct {
	const char	*name;
	mode_t		 mode;
	bool		 lazy;	/* made at first use, not at spool_open */
} spool_dirs[] = {
	[SPOOL_QUEUE] = { "queue", 0700, false },
	[SPOOL_INCOMING] = { "incoming", 03733, false },
	[SPOOL_CORRUPT] = { "corrupt", 0700, false },
	[SPOOL_HOLD] = { "hold", 0700, false },
	[SPOOL_RATELIMIT] = { "ratelimit", 0700, true },
	[SPOOL_MTASTS] = { "mta-sts", 0700, false },
};
#define SPOOL_NDIRS (sizeof(spool_dirs) / sizeof(spool_dirs[0]))

struct spool {
	char		*path;
	uid_t		 owner;
	gid_t		 group;
	enum spool_role	 role;
	int		 top;			/* the spool directory */
	int		 dirfd[SPOOL_NDIRS];	/* O_PATH, -1 until needed */
	int		 syncfd[SPOOL_NDIRS];	/* read-only, for fsync; or -1 */
	int		 movelock;	/* hold/ read-only, for flock; or -1 */
};

struct spool_file {
	struct spool	*sp;
	enum spool_dir	 dir;
	int		 fd;
	char		 tmp[SPOOL_MAX_NAME + 2];
	char		 name[SPOOL_MAX_NAME + 1];
	char		*wbuf;
	size_t		 wlen;
	off_t		 size;
	off_t		 flushed;	/* bytes already in the file */
	bool		 replace;	/* may take the place of a file */
	bool		 exchange;	/* staged: swapped with the file */
};

/*
 * The file being written, so that fatal() can remove it: a submission
 * that dies leaves nothing behind (DESIGN.md).
 */
static struct spool_file *spool_uncommitted;

static void
spool_cleanup(void)
{
	if (spool_uncommitted != NULL)
		spool_abort(spool_uncommitted);
}

/* The directory name in the spool, as st found it: type, mode, owner. */
static int
check_dir_stat(const struct spool *sp, const char *name,
    const struct stat *st, mode_t want, struct why *why)
{
	if (!S_ISDIR(st->st_mode)) {
		why_set(why, "spool: %s/%s: not a directory", sp->path, name);
		return -1;
	}
	if ((st->st_mode & 07777) != want || st->st_uid != sp->owner) {
		why_set(why, "spool: %s/%s: mode %04o owner %lu, want mode "
		    "%04o owner %lu (fix it, or remove it and let minimta "
		    "create it)",
		    sp->path, name, (unsigned)(st->st_mode & 07777),
		    (unsigned long)st->st_uid, (unsigned)want,
		    (unsigned long)sp->owner);
		return -1;
	}
	return 0;
}

/* The directory name in the spool: its type, mode and owner. */
static int
check_dir(const struct spool *sp, const char *name, mode_t want,
    struct why *why)
{
	struct stat st;

	if (fstatat(sp->top, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		why_errno(why, "spool: %s/%s", sp->path, name);
		return -1;
	}
	return check_dir_stat(sp, name, &st, want, why);
}

/*
 * Creates a directory (or the FIFO) name with its final mode, atomically:
 * made under a temporary name, then renamed without replacing, so that
 * submitters starting at once on a new spool neither fail nor see a
 * half-made node; losing that race is fine. The mode is set on the
 * opened node (O_NOFOLLOW), never by name. The caller is the spool owner.
 */
static int
make_node(const struct spool *sp, const char *name, mode_t mode, bool fifo,
    struct why *why)
{
	char tmp[SPOOL_MAX_NAME + 32];
	struct stat st;
	int fd = -1, r;

	(void)snprintf(tmp, sizeof(tmp), ".new.%s.%ld", name, (long)getpid());
	r = fifo ? mkfifoat(sp->top, tmp, 0600) : mkdirat(sp->top, tmp, 0700);
	if (r == -1) {
		why_errno(why, "spool: create %s/%s", sp->path, name);
		return -1;
	}
	/* O_NONBLOCK: a FIFO opens for reading without a writer */
	fd = openat(sp->top, tmp, (fifo ? O_NONBLOCK : O_DIRECTORY) |
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1)
		goto fail_errno;
	if (fifo ? !S_ISFIFO(st.st_mode) : !S_ISDIR(st.st_mode)) {
		why_set(why, "spool: create %s/%s: replaced while made",
		    sp->path, name);
		goto fail;
	}
	/* only root (spool_owner root) may give the spool dir's group */
	if ((geteuid() == 0 && fchown(fd, sp->owner, sp->group) == -1) ||
	    fchmod(fd, mode) == -1)
		goto fail_errno;
	if (renameat2(sp->top, tmp, sp->top, name, RENAME_NOREPLACE) == -1) {
		if (errno == EEXIST)	/* another process made it first */
			goto fail_ok;
		goto fail_errno;
	}
	(void)close(fd);
	return 0;
fail_errno:
	why_errno(why, "spool: create %s/%s", sp->path, name);
fail:
	r = -1;
	goto out;
fail_ok:
	r = 0;
out:
	if (fd != -1)
		(void)close(fd);
	(void)unlinkat(sp->top, tmp, fifo ? 0 : AT_REMOVEDIR);
	return r;
}

/* Creates what is missing; the caller is the spool owner. */
static int
make_layout(struct spool *sp, struct why *why)
{
	struct stat st;
	size_t i;

	for (i = 0; i < SPOOL_NDIRS; i++) {
		if (spool_dirs[i].lazy)
			continue;
		/* one stat a directory: a submission does this each time */
		if (fstatat(sp->top, spool_dirs[i].name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0) {
			if (check_dir_stat(sp, spool_dirs[i].name, &st,
			    spool_dirs[i].mode, why) == -1)
				return -1;
			continue;
		}
		if (errno == ENOENT && make_node(sp, spool_dirs[i].name,
		    spool_dirs[i].mode, false, why) == -1)
			return -1;
		if (check_dir(sp, spool_dirs[i].name, spool_dirs[i].mode,
		    why) == -1)
			return -1;
	}
	if (fstatat(sp->top, "trigger", &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return make_node(sp, "trigger", 0622, true, why);
		why_errno(why, "spool: %s/trigger", sp->path);
		return -1;
	}
	if (!S_ISFIFO(st.st_mode)) {
		why_set(why, "spool: %s/trigger: not a FIFO", sp->path);
		return -1;
	}
	return 0;
}

/*
 * Root creates the missing spool directory for want: mkdir (mode 0700
 * until it is want's), then fchown and fchmod on the directory opened
 * without following links, so that whoever can write the parent cannot
 * have root chown another file. Returns the open directory.
 */
static enum spool_open_result
make_top_as_root(const char *path, const struct spool_account *want,
    int *fdp, struct why *why)
{
	struct stat st;
	bool made;
	int fd;

	if (want->name == NULL) {
		why_set(why, "spool: %s: no such directory, and minimta.conf "
		    "sets no spool_owner: set spool_owner to the account "
		    "that owns the spool (installed: mail)", path);
		return SPOOL_OPEN_CONFIG;
	}
	made = mkdir(path, 0700) == 0;
	if (!made && errno != EEXIST) {
		why_errno(why, "spool: create %s", path);
		return SPOOL_OPEN_TEMPFAIL;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		why_errno(why, "spool: create %s", path);
		goto fail;
	}
	if (!made) {		/* another process made it first */
		*fdp = fd;
		return SPOOL_OPEN_OK;
	}
	if (st.st_uid != 0) {
		why_set(why, "spool: create %s: replaced while made", path);
		goto fail;
	}
	/* others need search permission to reach incoming/ */
	if (fchown(fd, want->uid, want->gid) == -1 || fchmod(fd, 0755) == -1) {
		why_errno(why, "spool: create %s", path);
		goto fail;
	}
	*fdp = fd;
	return SPOOL_OPEN_OK;
fail:
	if (fd != -1)
		(void)close(fd);
	return SPOOL_OPEN_TEMPFAIL;
}

/* The spool directory, created when it is missing. */
static enum spool_open_result
open_top(const char *path, const struct spool_account *want, int *fdp,
    struct why *why)
{
	int fd;

	/* O_PATH: fstat and the *at() calls need no read permission */
	if ((fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) != -1) {
		*fdp = fd;
		return SPOOL_OPEN_OK;
	}
	if (errno != ENOENT) {
		why_errno(why, "spool: %s", path);
		return errno == EACCES ? SPOOL_OPEN_NOPERM :
		    SPOOL_OPEN_TEMPFAIL;
	}
	if (geteuid() == 0)
		return make_top_as_root(path, want, fdp, why);
	/* whoever makes it owns it: it is our own file */
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		why_errno(why, "spool: create %s", path);
		return errno == EACCES ? SPOOL_OPEN_NOPERM :
		    SPOOL_OPEN_TEMPFAIL;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fchmod(fd, 0755) == -1) {
		int e = errno;

		why_errno(why, "spool: create %s", path);
		if (fd != -1)
			(void)close(fd);
		return e == EACCES || e == EPERM ? SPOOL_OPEN_NOPERM :
		    SPOOL_OPEN_TEMPFAIL;
	}
	*fdp = fd;
	return SPOOL_OPEN_OK;
}

/*
 * Root becomes the spool owner before anything in the spool is touched
 * (DESIGN.md): the spool's directories are the owner's to change, so a
 * privileged process acting on their names could be redirected.
 */
static enum spool_open_result
become_owner(struct spool *sp, const struct spool_account *want,
    struct why *why)
{
	struct stat st;

	if (want->name != NULL && sp->owner != want->uid) {
		why_set(why, "spool: %s: owned by uid %lu, but spool_owner is "
		    "%s (uid %lu): chown the spool or change spool_owner",
		    sp->path, (unsigned long)sp->owner, want->name,
		    (unsigned long)want->uid);
		return SPOOL_OPEN_CONFIG;
	}
	if (sp->owner == 0 && want->name == NULL) {
		why_set(why, "spool: %s: owned by root: minimta does not run "
		    "as root; chown -R the spool to its owner (installed: "
		    "mail), or set spool_owner root for a throwaway spool",
		    sp->path);
		return SPOOL_OPEN_CONFIG;
	}
	if (sp->owner == 0) {
		/* spool_owner root, said so; but no one else may add names */
		if (fstat(sp->top, &st) == -1 || (st.st_mode & 022) != 0) {
			why_set(why, "spool: %s: root's, and writable by group "
			    "or others: chmod 755 it", sp->path);
			return SPOOL_OPEN_CONFIG;
		}
		return SPOOL_OPEN_OK;
	}
	if (setgroups(1, &sp->group) == -1 || setgid(sp->group) == -1 ||
	    setuid(sp->owner) == -1) {
		why_errno(why, "drop privileges to uid %lu",
		    (unsigned long)sp->owner);
		return SPOOL_OPEN_OSERR;
	}
	return SPOOL_OPEN_OK;
}

/* The rest of spool_open(), on the opened spool directory. */
static enum spool_open_result
open_layout(struct spool *sp, const struct spool_account *want,
    struct why *why)
{
	enum spool_open_result r;
	struct stat st;

	if (geteuid() == 0 && (r = become_owner(sp, want, why)) !=
	    SPOOL_OPEN_OK)
		return r;
	sp->role = geteuid() == sp->owner ? SPOOL_ROLE_OWNER :
	    SPOOL_ROLE_OTHER;
	if (sp->role == SPOOL_ROLE_OWNER)
		return make_layout(sp, why) == -1 ? SPOOL_OPEN_TEMPFAIL :
		    SPOOL_OPEN_OK;
	if (fstatat(sp->top, "incoming", &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode)) {
		why_set(why, "spool: %s/incoming: no drop directory: the "
		    "spool owner has to run minimta once to create it",
		    sp->path);
		return SPOOL_OPEN_TEMPFAIL;
	}
	return SPOOL_OPEN_OK;
}

enum spool_open_result
spool_open(const char *path, const struct spool_account *want,
    struct spool **out, struct why *why)
{
	enum spool_open_result r;
	struct spool *sp;
	struct stat st;
	size_t i;
	int top;

	*out = NULL;
	if (strlen(path) > PATH_MAX - 32) {
		why_set(why, "spool: %s: path too long", path);
		return SPOOL_OPEN_TEMPFAIL;
	}
	if ((r = open_top(path, want, &top, why)) != SPOOL_OPEN_OK)
		return r;
	if (fstat(top, &st) == -1) {
		why_errno(why, "spool: %s", path);
		(void)close(top);
		return SPOOL_OPEN_TEMPFAIL;
	}
	sp = xcalloc(1, sizeof(*sp));
	sp->path = xstrdup(path);
	sp->top = top;
	sp->owner = st.st_uid;
	sp->group = st.st_gid;
	for (i = 0; i < SPOOL_NDIRS; i++)
		sp->dirfd[i] = sp->syncfd[i] = -1;
	sp->movelock = -1;
	if ((r = open_layout(sp, want, why)) != SPOOL_OPEN_OK) {
		spool_close(sp);
		return r;
	}
	log_set_cleanup(spool_cleanup);
	*out = sp;
	return SPOOL_OPEN_OK;
}

void
spool_close(struct spool *sp)
{
	size_t i;

	if (sp == NULL)
		return;
	for (i = 0; i < SPOOL_NDIRS; i++) {
		if (sp->dirfd[i] != -1)
			(void)close(sp->dirfd[i]);
		if (sp->syncfd[i] != -1)
			(void)close(sp->syncfd[i]);
	}
	if (sp->movelock != -1)
		(void)close(sp->movelock);
	(void)close(sp->top);
	free(sp->path);
	free(sp);
}

enum spool_role
spool_role(const struct spool *sp)
{
	return sp->role;
}

uid_t
spool_owner(const struct spool *sp)
{
	return sp->owner;
}

const char *
spool_path(const struct spool *sp)
{
	return sp->path;
}

static const char spool_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

static void
base32(char *out, uint64_t v, int digits)
{
	int i;

	for (i = digits - 1; i >= 0; i--) {
		out[i] = spool_alphabet[v & 31];
		v >>= 5;
	}
}

void
spool_new_id(char out[SPOOL_ID_LEN + 1])
{
	struct timeval tv;

	/*
	 * Time (sorts by arrival), then the pid: processes alive at once
	 * do not share it, so submitters in the same microsecond get
	 * distinct ids. One process asking twice within a microsecond is
	 * caught by the callers (O_EXCL, spool_exists) and asks again.
	 */
	(void)gettimeofday(&tv, NULL);
	base32(out, (uint64_t)tv.tv_sec, 7);
	base32(out + 7, (uint64_t)tv.tv_usec, 4);
	base32(out + 11, (uint64_t)getpid() & 32767, 3);
	out[SPOOL_ID_LEN] = '\0';
}

bool
spool_id_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (strchr(spool_alphabet, id[i]) == NULL)
			return false;
	return i == SPOOL_ID_LEN;
}

static int
dirfd_of(struct spool *sp, enum spool_dir d, struct why *why)
{
	if (sp->dirfd[d] == -1) {
		/* O_PATH: others may search incoming/ but not read it */
		sp->dirfd[d] = openat(sp->top, spool_dirs[d].name, O_PATH |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sp->dirfd[d] == -1) {
			why_errno(why, "open %s/%s", sp->path,
			    spool_dirs[d].name);
			return -1;
		}
	}
	return sp->dirfd[d];
}

/* dir opened for reading (listing, fsync), without following links. */
static int
open_dir(struct spool *sp, enum spool_dir d)
{
	return openat(sp->top, spool_dirs[d].name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
}

static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= SPOOL_MAX_NAME && name[0] != '.' &&
	    strchr(name, '/') == NULL;
}

struct spool_file *
spool_create(struct spool *sp, enum spool_dir d, const char *name,
    struct why *why)
{
	struct spool_file *f;
	int dfd;

	if (!name_ok(name))
		panic("spool_create: bad name %s", name);
	if ((dfd = dirfd_of(sp, d, why)) == -1)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	f->sp = sp;
	f->dir = d;
	(void)snprintf(f->tmp, sizeof(f->tmp), ".%s", name);
	(void)strlcpy(f->name, name, sizeof(f->name));
	f->fd = openat(dfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, d == SPOOL_INCOMING ? 0640 : 0600);
	if (f->fd == -1) {
		why_errno(why, "create %s/%s", spool_dirs[d].name, f->tmp);
		free(f);
		return NULL;
	}
	f->wbuf = xmalloc(SPOOL_WBUF);
	spool_uncommitted = f;
	return f;
}

struct spool_file *
spool_replace(struct spool *sp, enum spool_dir d, const char *name,
    struct why *why)
{
	char tmp[SPOOL_MAX_NAME + 2];
	struct spool_file *f;
	int dfd;

	if ((dfd = dirfd_of(sp, d, why)) == -1)
		return NULL;
	(void)snprintf(tmp, sizeof(tmp), ".%s", name);
	(void)unlinkat(dfd, tmp, 0);	/* ENOENT is the usual case */
	if ((f = spool_create(sp, d, name, why)) != NULL)
		f->replace = true;
	return f;
}

struct spool_file *
spool_replace_spare(struct spool *sp, enum spool_dir d, const char *name,
    struct why *why)
{
	struct spool_file *f;
	int dfd, fd;

	if (!name_ok(name))
		panic("spool_replace_spare: bad name %s", name);
	if ((dfd = dirfd_of(sp, d, why)) == -1)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	(void)snprintf(f->tmp, sizeof(f->tmp), ".%s", name);
	fd = openat(dfd, f->tmp, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		free(f);
		if (errno != ENOENT) {
			why_errno(why, "open %s/.%s", spool_dirs[d].name, name);
			return NULL;
		}
		if ((f = spool_create(sp, d, name, why)) != NULL)
			f->replace = f->exchange = true;
		return f;
	}
	f->sp = sp;
	f->dir = d;
	f->fd = fd;
	(void)strlcpy(f->name, name, sizeof(f->name));
	f->wbuf = xmalloc(SPOOL_WBUF);
	f->replace = f->exchange = true;
	return f;
}

struct spool_file *
spool_create_message(struct spool *sp, enum spool_dir d, const char *want,
    char id[SPOOL_ID_LEN + 1], struct why *why)
{
	struct spool_file *f = NULL;
	int i;

	/* the id the submitter was told stays, unless it is taken */
	if (want != NULL && spool_id_ok(want) && !spool_exists(sp, d, want)) {
		(void)strlcpy(id, want, SPOOL_ID_LEN + 1);
		if ((f = spool_create(sp, d, id, why)) != NULL)
			return f;
	}
	for (i = 0; i < SPOOL_ID_TRIES && f == NULL; i++) {
		spool_new_id(id);
		if (spool_exists(sp, d, id)) {
			why_set(why, "create %s/%s: id in use",
			    spool_dirs[d].name, id);
			continue;
		}
		f = spool_create(sp, d, id, why);
		if (f == NULL && errno != EEXIST)
			break;
	}
	return f;
}

/* Writes a[0..alen) then b[0..blen) at the end of the file, at once. */
static int
write_two(struct spool_file *f, const char *a, size_t alen, const char *b,
    size_t blen, struct why *why)
{
	struct iovec iov[2];
	size_t done = 0, total = alen + blen;
	ssize_t k;

	while (done < total) {
		int n = 0;

		if (done < alen) {
			iov[n].iov_base = (void *)(uintptr_t)(a + done);
			iov[n++].iov_len = alen - done;
		}
		iov[n].iov_base = (void *)(uintptr_t)(b + (done < alen ? 0 :
		    done - alen));
		iov[n++].iov_len = done < alen ? blen : total - done;
		k = writev(f->fd, iov, n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1) {
			why_errno(why, "write %s/%s", spool_dirs[f->dir].name,
			    f->tmp);
			return -1;
		}
		done += (size_t)k;
	}
	f->flushed += (off_t)total;
	return 0;
}

static int
flush_wbuf(struct spool_file *f, struct why *why)
{
	if (write_two(f, f->wbuf, f->wlen, "", 0, why) == -1)
		return -1;
	f->wlen = 0;
	return 0;
}

int
spool_write(struct spool_file *f, const void *p, size_t n, struct why *why)
{
	const char *s = p;

	f->size += (off_t)n;
	/*
	 * A message body comes in chunks of about SPOOL_WBUF: those go from
	 * the caller's buffer, without a copy into ours, in one writev with
	 * what we hold, cut at a page boundary of the file (a write that
	 * ends inside a page makes the next one redo that page); the rest
	 * waits in our buffer.
	 */
	if (n >= SPOOL_WBUF / 2) {
		size_t end = (size_t)(f->flushed + (off_t)f->wlen) + n;
		size_t k = n - end % SPOOL_PAGE;

		if (write_two(f, f->wbuf, f->wlen, s, k, why) == -1)
			return -1;
		f->wlen = 0;
		s += k;
		n -= k;
	}
	while (n > 0) {
		size_t room = SPOOL_WBUF - f->wlen;
		size_t k = n < room ? n : room;

		memcpy(f->wbuf + f->wlen, s, k);
		f->wlen += k;
		s += k;
		n -= k;
		if (f->wlen == SPOOL_WBUF && flush_wbuf(f, why) == -1)
			return -1;
	}
	return 0;
}

off_t
spool_file_size(const struct spool_file *f)
{
	return f->size;
}

int
spool_patch(struct spool_file *f, off_t off, const char *p, size_t n,
    struct why *why)
{
	size_t k;

	if (off < 0 || off + (off_t)n > f->size)
		panic("spool_patch: offset %lld out of range", (long long)off);
	/* the part already in the file, in one write; the rest is ours */
	k = off >= f->flushed ? 0 : (size_t)(f->flushed - off);
	if (k > n)
		k = n;
	if (k > 0 && pwrite(f->fd, p, k, off) != (ssize_t)k) {
		why_errno(why, "write %s/%s", spool_dirs[f->dir].name, f->tmp);
		return -1;
	}
	if (n > k)
		memcpy(f->wbuf + (off + (off_t)k - f->flushed), p + k, n - k);
	return 0;
}

static void
free_file(struct spool_file *f)
{
	if (spool_uncommitted == f)
		spool_uncommitted = NULL;
	free(f->wbuf);
	free(f);
}

/*
 * A new message never takes the place of another (a drop file named like
 * a queued message must not overwrite it): RENAME_NOREPLACE, EEXIST.
 */
static int
commit_rename(const struct spool_file *f, int dfd)
{
	if (f->replace)
		return renameat(dfd, f->tmp, dfd, f->name);
	return renameat2(dfd, f->tmp, dfd, f->name, RENAME_NOREPLACE);
}

int
spool_lock_file(struct spool_file *f, struct why *why)
{
	int fd;

	/* a dup shares the open file and with it the lock */
	if ((fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		why_errno(why, "dup %s/%s", spool_dirs[f->dir].name, f->tmp);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		why_errno(why, "lock %s/%s", spool_dirs[f->dir].name, f->tmp);
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
spool_commit(struct spool_file *f, struct why *why)
{
	const char *dn = spool_dirs[f->dir].name;
	int dfd = f->sp->dirfd[f->dir];

	if (flush_wbuf(f, why) == -1)
		goto fail;
	crash_step("after-write");
	if (fsync(f->fd) == -1) {
		why_errno(why, "fsync %s/%s", dn, f->tmp);
		goto fail;
	}
	crash_step("after-fsync");
	if (f->sp->role == SPOOL_ROLE_OTHER) {
		/*
		 * We cannot open incoming/ to fsync it. A rename changes
		 * the moved file's ctime in the same journal transaction
		 * as the new entry (ext4, xfs, btrfs), so a second fsync
		 * of the file commits the entry. syncfs(), used before,
		 * also waited for every dirty page of the filesystem:
		 * 1 GB written by anyone else made a 4 KB drop take
		 * 0.3-0.4 s instead of 3-12 ms.
		 */
		if (commit_rename(f, dfd) == -1) {
			why_errno(why, "rename %s/%s", dn, f->tmp);
			goto fail;
		}
		crash_step("after-rename");
		if (fsync(f->fd) == -1) {
			why_errno(why, "fsync %s/%s", dn, f->name);
			(void)unlinkat(dfd, f->name, 0);
			goto fail_closed;
		}
		if (close(f->fd) == -1) {
			why_errno(why, "close %s/%s", dn, f->name);
			f->fd = -1;
			(void)unlinkat(dfd, f->name, 0);
			goto fail_closed;
		}
		crash_step("after-dirsync");
		free_file(f);
		return 0;
	}
	if (close(f->fd) == -1) {
		why_errno(why, "close %s/%s", dn, f->tmp);
		f->fd = -1;
		goto fail;
	}
	f->fd = -1;
	if (commit_rename(f, dfd) == -1) {
		why_errno(why, "rename %s/%s: %s/%s", dn, f->tmp, dn, f->name);
		goto fail;
	}
	crash_step("after-rename");
	if (spool_sync_dir(f->sp, f->dir, why) == -1) {
		/*
		 * A new message is withdrawn, so the caller can say "try
		 * again" truthfully; a replaced file (delivery state) has
		 * already taken the old one's place and is the only copy.
		 */
		if (!f->replace)
			(void)unlinkat(dfd, f->name, 0);
		goto fail_closed;
	}
	crash_step("after-dirsync");
	free_file(f);
	return 0;
fail:
	spool_abort(f);
	return -1;
fail_closed:
	if (f->fd != -1)
		(void)close(f->fd);
	free_file(f);
	return -1;
}

int
spool_stage(struct spool_file *f, struct why *why)
{
	if (flush_wbuf(f, why) == -1)
		goto fail;
	crash_step("after-write");
	if (close(f->fd) == -1) {
		why_errno(why, "close %s/%s", spool_dirs[f->dir].name, f->tmp);
		f->fd = -1;
		goto fail;
	}
	f->fd = -1;
	return 0;
fail:
	spool_abort(f);
	return -1;
}

int
spool_commit_staged(struct spool *sp, enum spool_dir d,
    struct spool_file **v, size_t n, bool *failed, struct why *why)
{
	const char *dn = spool_dirs[d].name;
	int fd, dfd, rc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		failed[i] = true;
	if (n == 0)
		return 0;
	dfd = dirfd_of(sp, d, why);
	if (dfd == -1 || (fd = open_dir(sp, d)) == -1 || syncfs(fd) == -1) {
		if (dfd != -1)
			why_errno(why, "syncfs %s/%s", sp->path, dn);
		if (dfd != -1 && fd != -1)
			(void)close(fd);
		for (i = 0; i < n; i++)
			spool_abort(v[i]);
		return -1;
	}
	crash_step("after-syncfs");
	for (i = 0; i < n; i++) {
		if (v[i]->dir != d)
			panic("spool_commit_staged: %s not in %s", v[i]->name,
			    dn);
		/* the old file becomes the spare: no inode is freed or
		 * allocated (ext4 spends long finding a free one after
		 * many removals) */
		if (v[i]->exchange && renameat2(dfd, v[i]->tmp, dfd,
		    v[i]->name, RENAME_EXCHANGE) == 0) {
			crash_step("after-rename");
			free_file(v[i]);
			failed[i] = false;
			continue;
		}
		if (commit_rename(v[i], dfd) == -1) {
			why_errno(why, "rename %s/%s: %s/%s", dn, v[i]->tmp, dn,
			    v[i]->name);
			spool_abort(v[i]);
			rc = -1;
			continue;
		}
		crash_step("after-rename");
		free_file(v[i]);
		failed[i] = false;
	}
	if (fsync(fd) == -1) {
		why_errno(why, "fsync %s/%s", sp->path, dn);
		rc = -1;
		for (i = 0; i < n; i++)
			failed[i] = true;
	}
	crash_step("after-dirsync");
	(void)close(fd);
	return rc;
}

/*
 * The commit of n new files in one directory, by the spool owner, with
 * the steps of spool_commit() taken for all files at once. The data of
 * all is made durable by one syncfs(): an fsync each cost a disk cache
 * flush each, as the first one's journal commit had carried the others
 * (3-4 ms a file here). Then the renames, and one directory fsync. A
 * file that fails a step is dropped alone (all of them when syncfs
 * fails: it does not say whose data was lost); a failed directory fsync
 * withdraws all. A batch of one is committed as spool_commit() does.
 */
size_t
spool_commit_batch(struct spool_file **f, size_t n, bool *ok, struct why *why)
{
	size_t i, done = 0, live = 0, last = 0;
	struct spool *sp = NULL;
	enum spool_dir d = SPOOL_QUEUE;

	for (i = 0; i < n; i++) {
		ok[i] = f[i] != NULL && !f[i]->replace &&
		    f[i]->sp->role != SPOOL_ROLE_OTHER;
		if (!ok[i] && f[i] != NULL)
			panic("spool_commit_batch: not a new owner's file");
		if (ok[i] && flush_wbuf(f[i], why) == -1)
			ok[i] = false;
		if (ok[i]) {
			sp = f[i]->sp;
			d = f[i]->dir;
			last = i;
			live++;
		}
	}
	crash_step("after-write");
	if (live == 1 && fsync(f[last]->fd) == -1) {
		why_errno(why, "fsync %s/%s", spool_dirs[d].name,
		    f[last]->tmp);
		ok[last] = false;
	} else if (live > 1 && syncfs(f[last]->fd) == -1) {
		why_errno(why, "syncfs %s (%zu files)", spool_dirs[d].name,
		    live);
		for (i = 0; i < n; i++)
			ok[i] = false;
	}
	crash_step("after-fsync");
	for (i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		if (close(f[i]->fd) == -1) {
			why_errno(why, "close %s/%s", spool_dirs[d].name,
			    f[i]->tmp);
			ok[i] = false;
		}
		f[i]->fd = -1;
		if (ok[i] && commit_rename(f[i], sp->dirfd[d]) == -1) {
			why_errno(why, "rename %s/%s: %s/%s",
			    spool_dirs[d].name, f[i]->tmp,
			    spool_dirs[d].name, f[i]->name);
			ok[i] = false;
		}
	}
	crash_step("after-rename");
	if (sp != NULL && spool_sync_dir(sp, d, why) == -1) {
		/* withdrawn, so that the caller may say "try again" */
		for (i = 0; i < n; i++) {
			if (ok[i])
				(void)unlinkat(sp->dirfd[d], f[i]->name, 0);
			ok[i] = false;
		}
	}
	crash_step("after-dirsync");
	for (i = 0; i < n; i++) {
		if (f[i] == NULL)
			continue;
		if (ok[i]) {
			done++;
			free_file(f[i]);
		} else {
			/* its temporary file, if left */
			spool_abort(f[i]);
		}
		f[i] = NULL;
	}
	return done;
}

void
spool_abort(struct spool_file *f)
{
	if (f == NULL)
		return;
	if (f->fd != -1)
		(void)close(f->fd);
	(void)unlinkat(f->sp->dirfd[f->dir], f->tmp, 0);
	free_file(f);
}

int
spool_open_file(struct spool *sp, enum spool_dir d, const char *name,
    struct why *why)
{
	int dfd, fd;

	if (!name_ok(name)) {
		why_set(why, "open %s/%s: bad name", spool_dirs[d].name, name);
		return -1;
	}
	if ((dfd = dirfd_of(sp, d, why)) == -1)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		why_errno(why, "open %s/%s", spool_dirs[d].name, name);
	return fd;
}

bool
spool_exists(struct spool *sp, enum spool_dir d, const char *name)
{
	int dfd = dirfd_of(sp, d, NULL);

	return dfd != -1 && faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) ==
	    0;
}

bool
spool_is(struct spool *sp, enum spool_dir d, const char *name,
    const struct stat *st)
{
	struct stat a;
	int dfd = dirfd_of(sp, d, NULL);

	return dfd != -1 && fstatat(dfd, name, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == st->st_dev && a.st_ino == st->st_ino;
}

int
spool_remove(struct spool *sp, enum spool_dir d, const char *name,
    struct why *why)
{
	int dfd;

	if ((dfd = dirfd_of(sp, d, why)) == -1)
		return -1;
	if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT) {
		why_errno(why, "remove %s/%s", spool_dirs[d].name, name);
		return -1;
	}
	return 0;
}

int
spool_move(struct spool *sp, enum spool_dir from, enum spool_dir to,
    const char *name, struct why *why)
{
	int ffd, tfd;

	if (!name_ok(name))
		panic("spool_move: bad name %s", name);
	if ((ffd = dirfd_of(sp, from, why)) == -1 ||
	    (tfd = dirfd_of(sp, to, why)) == -1)
		return -1;
	if (renameat2(ffd, name, tfd, name, RENAME_NOREPLACE) == -1) {
		why_errno(why, "rename %s/%s: %s/%s", spool_dirs[from].name,
		    name, spool_dirs[to].name, name);
		return -1;
	}
	return 0;
}

int
spool_link(struct spool *sp, enum spool_dir from, enum spool_dir to,
    const char *name, struct why *why)
{
	int ffd, tfd;

	if (!name_ok(name))
		panic("spool_link: bad name %s", name);
	if ((ffd = dirfd_of(sp, from, why)) == -1 ||
	    (tfd = dirfd_of(sp, to, why)) == -1)
		return -1;
	/* no AT_SYMLINK_FOLLOW: a symlink put there is linked, not its
	 * target, and a reader opening it O_NOFOLLOW refuses it */
	if (linkat(ffd, name, tfd, name, 0) == -1) {
		why_errno(why, "link %s/%s: %s/%s", spool_dirs[from].name,
		    name, spool_dirs[to].name, name);
		return -1;
	}
	return 0;
}

bool
spool_lock_moves(struct spool *sp, bool exclusive)
{
	int r;

	if (sp->movelock == -1 &&
	    (sp->movelock = open_dir(sp, SPOOL_HOLD)) == -1)
		return false;
	/* shared: movers wait for a cleaner, which holds it briefly */
	while ((r = flock(sp->movelock, exclusive ? LOCK_EX | LOCK_NB :
	    LOCK_SH)) == -1 && errno == EINTR)
		continue;
	return r == 0;
}

void
spool_unlock_moves(struct spool *sp)
{
	if (sp->movelock != -1)
		(void)flock(sp->movelock, LOCK_UN);
}

int
spool_sync_dir(struct spool *sp, enum spool_dir d, struct why *why)
{
	char p[PATH_MAX];
	int fd;

	/* kept open: a queue run syncs queue/ once a delivered message */
	if (sp->syncfd[d] == -1)
		sp->syncfd[d] = open_dir(sp, d);
	if ((fd = sp->syncfd[d]) == -1 || fsync(fd) == -1) {
		(void)snprintf(p, sizeof(p), "%s/%s", sp->path,
		    spool_dirs[d].name);
		why_errno(why, "fsync %s", p);
		return -1;
	}
	return 0;
}

int
spool_to_corrupt(struct spool *sp, enum spool_dir from, const char *name,
    struct why *why)
{
	char dest[SPOOL_MAX_NAME + 8];
	int fromfd, to, i;

	if ((fromfd = dirfd_of(sp, from, why)) == -1 ||
	    (to = dirfd_of(sp, SPOOL_CORRUPT, why)) == -1)
		return -1;
	/* never over a file kept there before: the admin may need both */
	(void)strlcpy(dest, name, sizeof(dest));
	for (i = 1; i < SPOOL_CORRUPT_TRIES; i++) {
		if (renameat2(fromfd, name, to, dest, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			break;
		(void)snprintf(dest, sizeof(dest), "%s.%d", name, i);
	}
	why_errno(why, "rename %s/%s: corrupt/%s", spool_dirs[from].name,
	    name, dest);
	return -1;
}

struct spool_iter {
	DIR	*dir;
};

struct spool_iter *
spool_iter_open(struct spool *sp, enum spool_dir d, struct why *why)
{
	char p[PATH_MAX];
	struct spool_iter *it;
	DIR *dir;
	int fd;

	(void)snprintf(p, sizeof(p), "%s/%s", sp->path, spool_dirs[d].name);
	if ((fd = open_dir(sp, d)) == -1 || (dir = fdopendir(fd)) == NULL) {
		why_errno(why, "open %s", p);
		if (fd != -1)
			(void)close(fd);
		return NULL;
	}
	it = xmalloc(sizeof(*it));
	it->dir = dir;
	return it;
}

const char *
spool_iter_next(struct spool_iter *it)
{
	struct dirent *de;

	while ((de = readdir(it->dir)) != NULL)
		if (de->d_name[0] != '.')
			return de->d_name;
	return NULL;
}

long
spool_iter_tell(struct spool_iter *it)
{
	return telldir(it->dir);
}

void
spool_iter_seek(struct spool_iter *it, long pos)
{
	seekdir(it->dir, pos);
}

void
spool_iter_close(struct spool_iter *it)
{
	if (it == NULL)
		return;
	(void)closedir(it->dir);
	free(it);
}

int
spool_scan(struct spool *sp, enum spool_dir d,
    int (*fn)(void *, const char *), void *arg, struct why *why)
{
	struct spool_iter *it = spool_iter_open(sp, d, why);
	const char *name;
	int r = 0;

	if (it == NULL)
		return -1;
	while (r == 0 && (name = spool_iter_next(it)) != NULL)
		r = fn(arg, name);
	spool_iter_close(it);
	return r;
}

void
spool_clean_temp(struct spool *sp, enum spool_dir d, time_t max_age)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int dfd, fd;
	time_t now = time(NULL);

	if ((dfd = dirfd_of(sp, d, NULL)) == -1 || (fd = open_dir(sp, d)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_mtime + max_age < now) {
			log_warn("removing stale temporary file %s/%s",
			    spool_dirs[d].name, de->d_name);
			(void)unlinkat(dfd, de->d_name, 0);
		}
	}
	(void)closedir(dir);
}

/*
 * The trigger FIFO, opened without following a link and checked to be a
 * FIFO: a writer (a submitter) never writes into another file put in its
 * place.
 */
static int
open_trigger(struct spool *sp, int flags)
{
	struct stat st;
	int fd;

	fd = openat(sp->top, "trigger", flags | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int
spool_trigger(struct spool *sp)
{
	int fd;

	if ((fd = open_trigger(sp, O_WRONLY)) == -1)
		return -1;
	/* EAGAIN: the pipe is full, so a wake-up is pending anyway; any
	 * other failure only delays delivery to the next queue run
	 * (checked, so _FORTIFY_SOURCE's warn_unused_result is met) */
	if (write(fd, "w", 1) == -1 && errno != EAGAIN)
		log_warn("trigger: %s", strerror(errno));
	(void)close(fd);
	return 0;
}

int
spool_trigger_listen(struct spool *sp, struct why *why)
{
	int fd;

	/*
	 * O_RDWR: we are also a writer, so poll() does not report
	 * end-of-file each time a submitter closes its end.
	 */
	if ((fd = open_trigger(sp, O_RDWR)) == -1)
		why_errno(why, "open %s/trigger", sp->path);
	return fd;
}

/* A lazy directory (owner only): made when missing, then checked. */
static int
lazy_dir(struct spool *sp, enum spool_dir d, struct why *why)
{
	struct stat st;

	if (sp->dirfd[d] != -1)
		return sp->dirfd[d];
	if (fstatat(sp->top, spool_dirs[d].name, &st, AT_SYMLINK_NOFOLLOW) ==
	    -1 && errno == ENOENT && make_node(sp, spool_dirs[d].name,
	    spool_dirs[d].mode, false, why) == -1)
		return -1;
	if (check_dir(sp, spool_dirs[d].name, spool_dirs[d].mode, why) == -1)
		return -1;
	return dirfd_of(sp, d, why);
}

/* dir/name for reading and writing: a regular file with one link. */
static int
open_rw(int dfd, enum spool_dir d, const char *name, struct why *why)
{
	struct stat st;
	int fd;

	fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		why_errno(why, "open %s/%s", spool_dirs[d].name, name);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		why_set(why, "open %s/%s: not a regular file with one link",
		    spool_dirs[d].name, name);
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/*
 * Makes dir/name whole: a temporary file of our own (".name.PID": no
 * other process writes it; one left by a crashed process of the same pid
 * is replaced), fsync, rename without replacing (another process that
 * made it first wins), fsync the directory.
 */
static int
make_counter(struct spool *sp, int dfd, enum spool_dir d, const char *name,
    const void *init, size_t len, struct why *why)
{
	char tmp[SPOOL_MAX_NAME + 32];
	int fd, rc = -1;
	ssize_t w;

	(void)snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid());
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		why_errno(why, "create %s/%s", spool_dirs[d].name, tmp);
		return -1;
	}
	while ((w = write(fd, init, len)) == -1 && errno == EINTR)
		continue;
	if (w != (ssize_t)len || fsync(fd) == -1) {
		if (w >= 0 && w != (ssize_t)len)
			errno = EIO;
		why_errno(why, "write %s/%s", spool_dirs[d].name, tmp);
		(void)close(fd);
		goto out;
	}
	if (close(fd) == -1) {
		why_errno(why, "close %s/%s", spool_dirs[d].name, tmp);
		goto out;
	}
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == -1 &&
	    errno != EEXIST) {
		why_errno(why, "rename %s/%s", spool_dirs[d].name, tmp);
		goto out;
	}
	rc = spool_sync_dir(sp, d, why);
out:
	(void)unlinkat(dfd, tmp, 0);	/* ENOENT once renamed */
	return rc;
}

int
spool_counter_open(struct spool *sp, enum spool_dir d, const char *name,
    const void *init, size_t len, struct why *why)
{
	int dfd, fd;

	if (!name_ok(name)) {
		why_set(why, "open %s/%s: bad name", spool_dirs[d].name, name);
		errno = EINVAL;
		return -1;
	}
	if ((dfd = lazy_dir(sp, d, why)) == -1)
		return -1;
	if ((fd = open_rw(dfd, d, name, why)) != -1 || errno != ENOENT)
		return fd;
	if (make_counter(sp, dfd, d, name, init, len, why) == -1)
		return -1;
	return open_rw(dfd, d, name, why);
}
