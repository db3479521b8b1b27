/*
 * fuzz_bs: the sendmail -bs session (bs_session: command parser and DATA
 * state) over an arbitrary client byte stream, against a spool in
 * /dev/shm (or TMPDIR) that is emptied after every input. Byte 0 of the
 * input picks the chunking; the rest is what the client sends. The
 * session runs twice: with the whole stream in one read, and split at a
 * fuzzer-chosen point, then in small reads. Aborts unless: both runs
 * give the same replies (queue ids aside) and queue the same messages;
 * every reply line is a 3-digit code 2xx-5xx, then SP or "-" and text
 * without control bytes, ending in CRLF, at most 512 octets; a message
 * is queued exactly once per "250 ... queued as" reply; and every queued
 * file parses as a queue file whose sender and recipients hold no CR, LF
 * or NUL, and re-encodes to the same envelope.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs.h"
#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "envelope.h"
#include "fuzz_fail.h"
#include "spool.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct conf *conf;
static struct spool *sp;
static struct cli cli;
static char spool_dir[256];

struct chunks {
	const char	*p;
	size_t		 len, off, split;
	uint32_t	 seed;		/* 0: one read for all */
};

static ssize_t
chunk_read(void *arg, char *p, size_t n)
{
	struct chunks *c = arg;
	size_t k = c->len - c->off;

	if (c->seed != 0) {
		if (c->off < c->split) {
			k = c->split - c->off;
		} else {
			c->seed = c->seed * 1103515245u + 12345u;
			if (k > 1 + (c->seed >> 16) % 300)
				k = 1 + (c->seed >> 16) % 300;
		}
	}
	if (k > n)
		k = n;
	memcpy(p, c->p + c->off, k);
	c->off += k;
	return (ssize_t)k;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

/* The spool goes when the fuzzer exits. */
static void
cleanup(void)
{
	spool_close(sp);
	(void)nftw(spool_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
	const char *tmp = getenv("FUZZ_BS_DIR");
	struct buf text;
	struct spool_account me;
	struct why why;

	if (tmp == NULL)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	(void)snprintf(spool_dir, sizeof(spool_dir), "%s/minimta-fuzz-bs.%ld",
	    tmp, (long)getpid());
	buf_init(&text);
	buf_printf(&text, "spool %s\nhostname fuzz.example\n"
	    "max_message_size 6K\nmax_recipients 5\nmax_header_size 4K\n",
	    spool_dir);
	conf = conf_new();
	/* the invoking user owns the throwaway spool (root too: CI) */
	me.name = geteuid() == 0 ? "root" : "fuzzer";
	me.uid = geteuid();
	me.gid = getegid();
	if (conf_parse(conf, "fuzz", text.data, text.len, &why) == -1 ||
	    spool_open(spool_dir, &me, &sp, &why) != SPOOL_OPEN_OK) {
		fprintf(stderr, "fuzz_bs: %s\n", why.text);
		abort();
	}
	buf_free(&text);
	cli.delivery = CLI_DELIVER_QUEUE;
	(void)atexit(cleanup);
}

/* A reply line is "NNN" SP/"-" text CRLF; the next offset, or FAIL. */
static size_t
check_line(const char *p, size_t len, size_t i)
{
	size_t e = i;

	while (e < len && p[e] != '\r' && p[e] != '\n')
		e++;
	if (e + 1 >= len || p[e] != '\r' || p[e + 1] != '\n')
		FUZZ_FAIL();	/* no CRLF, or a bare CR or LF */
	if (e + 2 - i > 512 || e - i < 4 || p[i] < '2' || p[i] > '5' ||
	    p[i + 1] < '0' || p[i + 1] > '9' || p[i + 2] < '0' ||
	    p[i + 2] > '9' || (p[i + 3] != ' ' && p[i + 3] != '-'))
		FUZZ_FAIL();
	for (; i < e; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			FUZZ_FAIL();
	return e + 2;
}

/* The replies with queue ids blanked; *queued counts them. */
static void
check_replies(const char *p, size_t len, struct buf *norm, size_t *queued)
{
	static const char q[] = "250 2.0.0 Ok: queued as ";
	size_t i = 0, next;

	*queued = 0;
	while (i < len) {
		next = check_line(p, len, i);
		if (next - i > sizeof(q) - 1 && memcmp(p + i, q,
		    sizeof(q) - 1) == 0) {
			if (next - 2 - i - (sizeof(q) - 1) != SPOOL_ID_LEN)
				FUZZ_FAIL();
			buf_adds(norm, q);
			buf_adds(norm, "ID\r\n");
			(*queued)++;
		} else {
			buf_add(norm, p + i, next - i);
		}
		i = next;
	}
}

static bool
clean_field(const char *s)
{
	return s == NULL || (strpbrk(s, "\r\n") == NULL &&
	    envelope_field_ok(s));
}

/* One queued file: a queue file with clean fields that round-trips. */
static void
check_qfile(const char *path, bool drop, struct buf *summary)
{
	struct envelope e, again;
	struct buf b, enc;
	struct why why;
	char chunk[4096];
	ssize_t n;
	size_t i;
	int fd;

	buf_init(&b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		FUZZ_FAIL();
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	(void)close(fd);
	envelope_init(&e);
	envelope_init(&again);
	if (envelope_parse(b.data, b.len, 10, drop, &e, &why) != ENVELOPE_OK)
		FUZZ_FAIL();
	if (!clean_field(e.sender) || e.nrcpts == 0 || e.nrcpts > 5 ||
	    !clean_field(e.envid))
		FUZZ_FAIL();
	for (i = 0; i < e.nrcpts; i++)
		if (!clean_field(e.rcpts[i].addr) ||
		    !clean_field(e.rcpts[i].orcpt))
			FUZZ_FAIL();
	buf_init(&enc);
	envelope_encode(&e, &enc, NULL);
	if (envelope_parse(enc.data, enc.len, 10, false, &again, &why) !=
	    ENVELOPE_OK || again.nrcpts != e.nrcpts ||
	    strcmp(again.sender, e.sender) != 0)
		FUZZ_FAIL();
	/* what the other run must have queued too: envelope and body */
	buf_printf(summary, "%s %zu", e.sender, e.nrcpts);
	for (i = 0; i < e.nrcpts; i++)
		buf_printf(summary, " %s", e.rcpts[i].addr);
	buf_printf(summary, " %zu\n", b.len - e.body_offset);
	envelope_free(&e);
	envelope_free(&again);
	buf_free(&enc);
	buf_free(&b);
}

/* Checks and removes what the session queued; returns the count. */
static size_t
drain(struct buf *summary)
{
	static const char *const dirs[] = { "queue", "incoming" };
	char path[1024];
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;

	for (i = 0; i < 2; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", spool_dir, dirs[i]);
		if ((d = opendir(path)) == NULL)
			FUZZ_FAIL();
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			(void)snprintf(path, sizeof(path), "%s/%s/%s",
			    spool_dir, dirs[i], de->d_name);
			if (strchr(de->d_name, '.') == NULL) {
				check_qfile(path, i == 1, summary);
				n++;
			}
			(void)unlink(path);
		}
		(void)closedir(d);
	}
	return n;
}

static void
session(struct chunks *c, struct buf *norm, size_t *queued, size_t *files,
    struct buf *summary)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	if (f == NULL)
		abort();
	(void)bs_session(&cli, conf, sp, NULL, chunk_read, c, f);
	if (fclose(f) != 0)
		abort();
	if (getenv("FUZZ_BS_VERBOSE") != NULL)
		(void)fwrite(out, 1, outlen, stderr);
	check_replies(out, outlen, norm, queued);
	*files = drain(summary);
	if (*files != *queued)
		FUZZ_FAIL();	/* a message queued without its reply */
	free(out);
}

static int
cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The summary's lines in order (a directory lists files in any order). */
static void
sort_summary(struct buf *s)
{
	char **v = NULL, *p, *copy;
	size_t n = 0, i;
	struct buf out;

	if (s->len == 0)
		return;
	copy = p = strndup(s->data, s->len - 1);	/* drop the last LF */
	while (p != NULL) {
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = strsep(&p, "\n");
	}
	qsort(v, n, sizeof(*v), cmp_lines);
	buf_init(&out);
	for (i = 0; i < n; i++)
		buf_printf(&out, "%s\n", v[i]);
	buf_free(s);
	*s = out;
	free(v);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunks one, many;
	struct buf n1, n2, s1, s2;
	size_t q1, q2, f1, f2;

	if (sp == NULL)
		setup();
	if (size < 1)
		return 0;
	one = (struct chunks){ (const char *)data + 1, size - 1, 0, 0, 0 };
	many = one;
	many.seed = data[0] | 1u;
	many.split = size > 1 ? (data[0] * 7919u) % size : 0;
	buf_init(&n1);
	buf_init(&n2);
	buf_init(&s1);
	buf_init(&s2);
	session(&one, &n1, &q1, &f1, &s1);
	session(&many, &n2, &q2, &f2, &s2);
	sort_summary(&s1);
	sort_summary(&s2);
	if (q1 != q2 || n1.len != n2.len || (n1.len > 0 &&
	    memcmp(n1.data, n2.data, n1.len) != 0) || s1.len != s2.len ||
	    (s1.len > 0 && memcmp(s1.data, s2.data, s1.len) != 0))
		FUZZ_FAIL();	/* depends on the chunking */
	buf_free(&n1);
	buf_free(&n2);
	buf_free(&s1);
	buf_free(&s2);
	return 0;
}
