/*
 * journal.c: the delivery journal's files (journal.h): the writer (the
 * spool owner), pruning, root's setup of the directory's group, and the
 * reader that mailq -s uses.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "journal.h"
#include "log.h"
#include "qfile.h"
#include "spool.h"
#include "xmalloc.h"

#define JOURNAL_MAX_FILES	(366 * 24)	/* hour files looked at */
#define JOURNAL_READ_CHUNK	65536
#define JOURNAL_STAT_EVERY	64	/* records between fstats of a file */
/*
 * What the last listing found besides the current hour ("HOUR BYTES"),
 * so that a one-shot writer (a submission, a pickup) need not list and
 * stat every hour file (168 of them at journal_max_age 7d) to keep the
 * bound: it lists only when the note is of another hour, or missing.
 * Only a listing writes it; a name with a dot is no hour file.
 */
#define JOURNAL_OTHERS		".others"
/* A note's temporary (.others.PID) this old is a killed writer's: it is
 * renamed a few system calls after its creation. */
#define JOURNAL_NOTE_STALE	60	/* s */
#define JOURNAL_STAT_NEAR	65536	/* bytes: near the cap, each record */

struct journal {
	const struct conf	*conf;
	int			 dfd;		/* journal/, -1: off */
	int			 fd;		/* the current hour's file */
	char			 name[JOURNAL_NAME_LEN + 1];
	off_t			 others;	/* bytes of the other files */
	off_t			 size;		/* the current file's, when seen */
	unsigned		 unseen;	/* records written since */
	bool			 repruned;	/* pruned again when full */
	bool			 warned;	/* its failure was logged */
};

/* The first failure of a handle is logged; the journal goes off. */
static void
fail(struct journal *j, const char *what, int err)
{
	if (!j->warned)
		log_warn("journal: %s/%s: %s: %s; going on without it",
		    j->conf->spool, JOURNAL_DIR, what, strerror(err));
	j->warned = true;
	if (j->fd != -1)
		(void)close(j->fd);
	if (j->dfd != -1)
		(void)close(j->dfd);
	j->fd = j->dfd = -1;
}

/*
 * journal/ made by its owner: under a temporary name, then renamed
 * without replacing (another writer may win: fine), mode set on the
 * opened directory. Its group is the owner's until root gives it
 * status_group (journal_root_setup, make install, the package).
 */
static int
make_dir(int top)
{
	char tmp[64];
	int fd, r = -1;

	(void)snprintf(tmp, sizeof(tmp), ".new.%s.%ld", JOURNAL_DIR,
	    (long)getpid());
	if (mkdirat(top, tmp, 0700) == -1)
		return -1;
	fd = openat(top, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* a runner that may not set the bit (systemd RestrictSUIDSGID)
	 * still keeps a journal for itself; install makes it 2750 */
	if (fd != -1 && (fchmod(fd, 02750) == 0 || fchmod(fd, 0750) == 0) &&
	    (renameat2(top, tmp, top, JOURNAL_DIR, RENAME_NOREPLACE) == 0 ||
	    errno == EEXIST))
		r = 0;
	if (fd != -1)
		(void)close(fd);
	(void)unlinkat(top, tmp, AT_REMOVEDIR);
	return r;
}

static int
open_dir(struct journal *j)
{
	struct stat st;
	int top;

	top = open(j->conf->spool, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (top == -1)
		return -1;
	j->dfd = openat(top, JOURNAL_DIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (j->dfd == -1 && errno == ENOENT && make_dir(top) == 0)
		j->dfd = openat(top, JOURNAL_DIR, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	(void)close(top);
	if (j->dfd == -1)
		return -1;
	if (fstat(j->dfd, &st) == -1)
		return -1;
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		errno = EPERM;	/* not ours alone: write nothing there */
		return -1;
	}
	return 0;
}

struct hour_file {
	char	name[JOURNAL_NAME_LEN + 1];
	off_t	size;
};

static int
cmp_hour(const void *a, const void *b)
{
	return strcmp(((const struct hour_file *)a)->name,
	    ((const struct hour_file *)b)->name);
}

/*
 * The hour files of dfd, sorted by name (oldest first); at most
 * JOURNAL_MAX_FILES. The caller frees *v. -1 on error.
 */
static int
list_hours(int dfd, struct hour_file **v, size_t *n)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	if ((fd = dup(dfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL && *n < JOURNAL_MAX_FILES) {
		if (strncmp(de->d_name, JOURNAL_OTHERS ".",
		    sizeof(JOURNAL_OTHERS)) == 0 &&
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_mtime + JOURNAL_NOTE_STALE < time(NULL)) {
			(void)unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (journal_name_time(de->d_name) == -1 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*v = xreallocarray(*v, cap, sizeof(**v));
		}
		(void)strlcpy((*v)[*n].name, de->d_name,
		    sizeof((*v)[*n].name));
		(*v)[*n].size = st.st_size;
		(*n)++;
	}
	(void)closedir(d);
	if (*n > 0)
		qsort(*v, *n, sizeof(**v), cmp_hour);
	return 0;
}

/* The note of others for this hour, if there is one: true, j->others. */
static bool
read_others(struct journal *j)
{
	char b[64], hour[JOURNAL_NAME_LEN + 1];
	long long bytes;
	ssize_t n;
	int fd;

	fd = openat(j->dfd, JOURNAL_OTHERS, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return false;
	n = read(fd, b, sizeof(b) - 1);
	(void)close(fd);
	if (n <= 0)
		return false;
	b[n] = '\0';
	if (sscanf(b, "%10s %lld", hour, &bytes) != 2 || bytes < 0 ||
	    strcmp(hour, j->name) != 0)
		return false;
	j->others = (off_t)bytes;
	return true;
}

/* Notes what a listing found (a cache: no fsync, a failure is harmless). */
static void
write_others(struct journal *j)
{
	char tmp[64], b[64];
	int fd, len;
	bool ok;

	(void)snprintf(tmp, sizeof(tmp), "%s.%ld", JOURNAL_OTHERS,
	    (long)getpid());
	len = snprintf(b, sizeof(b), "%s %lld\n", j->name,
	    (long long)j->others);
	fd = openat(j->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
	if (fd == -1)
		return;
	ok = write(fd, b, (size_t)len) == len;
	if (close(fd) == -1)
		ok = false;
	if (!ok || renameat(j->dfd, tmp, j->dfd, JOURNAL_OTHERS) == -1)
		(void)unlinkat(j->dfd, tmp, 0);
}

/*
 * With by_age, removes the hours older than journal_max_age; then the
 * oldest while the journal is over journal_max_size (never the current
 * hour's file); sets j->others to what is left besides the current hour,
 * so that every writer keeps the whole journal within the bound.
 */
static void
prune(struct journal *j, time_t now, bool by_age)
{
	struct hour_file *v;
	off_t total = 0, cur = 0;
	size_t n, i;

	if (list_hours(j->dfd, &v, &n) == -1) {
		fail(j, "list", errno);
		return;
	}
	for (i = 0; i < n; i++) {
		bool current = strcmp(v[i].name, j->name) == 0;

		if (by_age && !current && journal_name_time(v[i].name) +
		    3600 <= now - j->conf->journal_max_age) {
			if (unlinkat(j->dfd, v[i].name, 0) == 0 ||
			    errno == ENOENT) {
				log_info("journal: removed %s: older than "
				    "journal_max_age", v[i].name);
				v[i].size = -1;
				continue;
			}
		}
		if (current)
			cur = v[i].size;
		else
			total += v[i].size;
	}
	for (i = 0; i < n && total + cur > (off_t)j->conf->journal_max_size;
	    i++) {
		if (v[i].size < 0 || strcmp(v[i].name, j->name) == 0)
			continue;
		if (unlinkat(j->dfd, v[i].name, 0) == 0 || errno == ENOENT) {
			log_info("journal: removed %s: the journal is over "
			    "journal_max_size", v[i].name);
			total -= v[i].size;
		}
	}
	j->others = total;
	free(v);
	write_others(j);
}

/*
 * The file of this hour, opened for appending: made whole (version line
 * written) under a temporary name, then renamed into place (never over
 * another writer's), so that no
 * reader or other writer sees a file without its version line.
 */
static int
open_hour(struct journal *j, const char *name)
{
	char tmp[64];
	int fd;

	fd = openat(j->dfd, name, O_WRONLY | O_APPEND | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd != -1 || errno != ENOENT)
		return fd;
	(void)snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid());
	(void)unlinkat(j->dfd, tmp, 0);
	fd = openat(j->dfd, tmp, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (fchmod(fd, 0640) == -1 || write(fd, JOURNAL_MAGIC,
	    sizeof(JOURNAL_MAGIC) - 1) != (ssize_t)sizeof(JOURNAL_MAGIC) - 1 ||
	    (renameat2(j->dfd, tmp, j->dfd, name, RENAME_NOREPLACE) == -1 &&
	    errno != EEXIST)) {
		int e = errno;

		(void)close(fd);
		(void)unlinkat(j->dfd, tmp, 0);
		errno = e;
		return -1;
	}
	(void)close(fd);
	(void)unlinkat(j->dfd, tmp, 0);
	return openat(j->dfd, name, O_WRONLY | O_APPEND | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
}

struct journal *
journal_open(const struct conf *conf, bool do_prune)
{
	struct journal *j = xcalloc(1, sizeof(*j));

	j->conf = conf;
	j->fd = j->dfd = -1;
	if (conf->journal_max_age == 0)
		return j;
	if (open_dir(j) == -1) {
		fail(j, "open", errno);
		return j;
	}
	journal_name(time(NULL), j->name);
	if (do_prune || !read_others(j))
		prune(j, time(NULL), do_prune);
	return j;
}

void
journal_write(struct journal *j, const struct journal_rec *r)
{
	char name[JOURNAL_NAME_LEN + 1];
	struct stat st;
	struct buf b;
	ssize_t w;

	if (j == NULL || j->dfd == -1)
		return;
	journal_name(r->time, name);
	if (j->fd == -1 || strcmp(name, j->name) != 0) {
		if (j->fd != -1)
			(void)close(j->fd);
		(void)strlcpy(j->name, name, sizeof(j->name));
		j->unseen = 0;
		if ((j->fd = open_hour(j, name)) == -1) {
			fail(j, name, errno);
			return;
		}
	}
	buf_init(&b);
	journal_encode(r, &b);
	/* other writers append too: the size is looked at again every
	 * JOURNAL_STAT_EVERY records, and at every one near the cap */
	if (j->unseen == 0 || j->unseen >= JOURNAL_STAT_EVERY ||
	    j->others + j->size + JOURNAL_STAT_NEAR >
	    (off_t)j->conf->journal_max_size) {
		if (fstat(j->fd, &st) == -1) {
			fail(j, name, errno);
			goto out;
		}
		j->size = st.st_size;
		j->unseen = 0;
	}
	if (j->others + j->size + (off_t)b.len >
	    (off_t)j->conf->journal_max_size) {
		if (!j->repruned)
			prune(j, r->time, false);
		j->repruned = true;
		if (j->dfd == -1 || j->others + j->size + (off_t)b.len >
		    (off_t)j->conf->journal_max_size) {
			if (!j->warned)
				log_warn("journal: %s: over journal_max_size "
				    "(%zu bytes): records dropped", name,
				    j->conf->journal_max_size);
			j->warned = true;
			goto out;
		}
	}
	/* one write: O_APPEND keeps concurrent writers' lines whole */
	w = write(j->fd, b.data, b.len);
	if (w != (ssize_t)b.len)
		fail(j, name, w == -1 ? errno : ENOSPC);
	j->size += (off_t)b.len;
	j->unseen++;
out:
	buf_free(&b);
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd != -1)
		(void)close(j->fd);
	if (j->dfd != -1)
		(void)close(j->dfd);
	free(j);
}

void
journal_message_id_of(struct qfile *q, struct buf *out)
{
	struct buf h;
	struct why why;
	ssize_t n;

	buf_init(&h);
	buf_reserve(&h, JOURNAL_HEADER_SCAN);
	if (qfile_rewind(q, &why) == 0) {
		while (h.len < JOURNAL_HEADER_SCAN) {
			n = qfile_read(q, h.data + h.len,
			    JOURNAL_HEADER_SCAN - h.len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			h.len += (size_t)n;
		}
	}
	if (!journal_message_id(h.data, h.len, out))
		buf_reset(out);
	buf_free(&h);
}

void
journal_queued(struct journal *j, const char *id, const char *msgid,
    const struct envelope *env)
{
	struct journal_rec r = { 0 };
	struct buf mid;
	size_t i;

	buf_init(&mid);
	r.time = time(NULL);
	r.event = JOURNAL_QUEUED;
	r.id = id;
	if (msgid != NULL && journal_msgid_value(msgid, strlen(msgid), &mid))
		r.msgid = buf_cstr(&mid);
	r.sender = env->sender;
	for (i = 0; i < env->nrcpts; i++) {
		r.rcpt = env->rcpts[i].addr;
		journal_write(j, &r);
	}
	buf_free(&mid);
}

void
journal_admin(const struct conf *conf, const struct qfile *q,
    enum journal_event e, const char *by)
{
	struct journal_rec r = { 0 };
	struct journal *j;
	char *text;
	size_t i;

	if (conf->journal_max_age == 0)
		return;
	j = journal_open(conf, false);
	text = xasprintf("%s by %s", journal_event_name(e), by != NULL ? by :
	    "the administrator");
	r.time = time(NULL);
	r.event = e;
	r.id = q->id;
	r.text = text;
	for (i = 0; i < q->env.nrcpts; i++) {
		if (q->state.rcpts[i].done)
			continue;
		r.rcpt = q->env.rcpts[i].addr;
		journal_write(j, &r);
	}
	journal_close(j);
	free(text);
}

int
journal_root_setup(const char *spool, gid_t gid, struct why *why)
{
	char tmp[64];
	struct stat top_st, st;
	int top, fd = -1, rc = -1;

	if ((top = open(spool, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(top, &top_st) == -1) {
		why_errno(why, "journal: %s", spool);
		goto out;
	}
	(void)snprintf(tmp, sizeof(tmp), ".new.%s.%ld", JOURNAL_DIR,
	    (long)getpid());
	if (mkdirat(top, tmp, 0700) == 0) {
		/* ours (root's) until it is complete and renamed */
		fd = openat(top, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1 || fstat(fd, &st) == -1 || st.st_uid != 0 ||
		    fchown(fd, top_st.st_uid, gid) == -1 ||
		    fchmod(fd, 02750) == -1) {
			why_errno(why, "journal: create %s/%s", spool,
			    JOURNAL_DIR);
			(void)unlinkat(top, tmp, AT_REMOVEDIR);
			goto out;
		}
		if (renameat2(top, tmp, top, JOURNAL_DIR,
		    RENAME_NOREPLACE) == 0) {
			rc = 0;
			goto out;
		}
		(void)unlinkat(top, tmp, AT_REMOVEDIR);
		(void)close(fd);
	}
	/* one is there: fixed on the opened directory, if it is the
	 * owner's (whatever the owner renamed there, it could have made
	 * readable itself) */
	fd = openat(top, JOURNAL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		why_errno(why, "journal: %s/%s", spool, JOURNAL_DIR);
		goto out;
	}
	if (st.st_uid != top_st.st_uid) {
		why_set(why, "journal: %s/%s: not the spool owner's", spool,
		    JOURNAL_DIR);
		goto out;
	}
	if ((st.st_gid != gid && fchown(fd, (uid_t)-1, gid) == -1) ||
	    ((st.st_mode & 07777) != 02750 && fchmod(fd, 02750) == -1)) {
		why_errno(why, "journal: %s/%s: set group", spool,
		    JOURNAL_DIR);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	if (top != -1)
		(void)close(top);
	return rc;
}

/* Calls fn for each valid line of the hour file fd after its version. */
static int
scan_file(int fd, int (*fn)(void *, const struct journal_rec *), void *arg)
{
	struct journal_rec r;
	struct buf line;
	struct why why;
	char *chunk = xmalloc(JOURNAL_READ_CHUNK);
	bool first = true, skipping = false;
	int rc = 0;
	ssize_t n, i, start;

	buf_init(&line);
	while (rc == 0 && (n = read(fd, chunk, JOURNAL_READ_CHUNK)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (start = 0, i = 0; i < n && rc == 0; i++) {
			if (chunk[i] != '\n')
				continue;
			if (!skipping)
				buf_add(&line, chunk + start,
				    (size_t)(i - start));
			start = i + 1;
			if (skipping || line.len > JOURNAL_LINE_MAX) {
				/* too long: not ours, skipped */
			} else if (first) {
				buf_addc(&line, '\n');
				if (line.len != sizeof(JOURNAL_MAGIC) - 1 ||
				    memcmp(line.data, JOURNAL_MAGIC,
				    line.len) != 0)
					goto out;	/* another version */
			} else {
				buf_addc(&line, '\0');
				if (journal_parse(line.data, line.len - 1, &r,
				    &why) == 0)
					rc = fn(arg, &r);
			}
			first = skipping = false;
			buf_reset(&line);
		}
		if (!skipping && rc == 0)
			buf_add(&line, chunk + start, (size_t)(n - start));
		if (line.len > JOURNAL_LINE_MAX) {
			skipping = true;
			buf_reset(&line);
		}
	}
out:
	buf_free(&line);
	free(chunk);
	return rc;
}

int
journal_scan(const char *spool, int (*fn)(void *, const struct journal_rec *),
    void *arg, struct why *why)
{
	struct hour_file *v = NULL;
	struct stat top_st, st;
	size_t n = 0, i;
	int top, dfd = -1, fd, rc = -1, e;

	if ((top = open(spool, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(top, &top_st) == -1) {
		why_errno(why, "journal: %s", spool);
		goto out;
	}
	dfd = openat(top, JOURNAL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (dfd == -1 && errno == ENOENT) {
		rc = 0;		/* no journal yet: nothing recorded */
		goto out;
	}
	if (dfd == -1 || fstat(dfd, &st) == -1) {
		why_errno(why, "journal: %s/%s", spool, JOURNAL_DIR);
		goto out;
	}
	/* only what the spool owner alone wrote is believed */
	if (st.st_uid != top_st.st_uid || (st.st_mode & 022) != 0) {
		why_set(why, "journal: %s/%s: not the spool owner's alone",
		    spool, JOURNAL_DIR);
		errno = EPERM;
		goto out;
	}
	if (list_hours(dfd, &v, &n) == -1) {
		why_errno(why, "journal: %s/%s", spool, JOURNAL_DIR);
		goto out;
	}
	rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		fd = openat(dfd, v[i].name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd == -1)
			continue;	/* pruned meanwhile, or not ours */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_nlink == 1 && st.st_uid == top_st.st_uid)
			rc = scan_file(fd, fn, arg);
		(void)close(fd);
	}
	rc = rc < 0 ? -1 : 0;
	if (rc == -1)
		why_set(why, "journal: scan stopped");
out:
	e = errno;
	free(v);
	if (dfd != -1)
		(void)close(dfd);
	if (top != -1)
		(void)close(top);
	errno = e;
	return rc;
}
