/*
 * test_journal_io: the journal's files (journal.h) in a scratch spool:
 * journal_admin() records the recipients not yet done, journal_scan()
 * reads them back; the reader skips links, other versions and bad lines,
 * and refuses a journal directory that others may write.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "envelope.h"
#include "journal.h"
#include "qfile.h"
#include "unit.h"

int	main(void);

struct seen {
	struct buf	 b;	/* "event rcpt text;" per record */
};

static int
collect(void *arg, const struct journal_rec *r)
{
	struct seen *s = arg;

	buf_printf(&s->b, "%s %s %s %s;", journal_event_name(r->event), r->id,
	    r->rcpt, r->text);
	return 0;
}

static const char *
scan(const char *spool, struct seen *s, int *rc)
{
	struct why why;

	buf_reset(&s->b);
	*rc = journal_scan(spool, collect, s, &why);
	return s->b.len ? buf_cstr(&s->b) : "";
}

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	(void)close(fd);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

int
main(void)
{
	char dir[] = "/tmp/test_journal_io.XXXXXX", path[256];
	char name[JOURNAL_NAME_LEN + 1];
	struct conf *conf = conf_new();
	struct qfile q;
	struct seen s;
	struct why why;
	size_t before;
	int rc;

	buf_init(&s.b);
	if (mkdtemp(dir) == NULL)
		abort();
	(void)conf_set(conf, "spool", dir, &why);
	UNIT_STR("no journal yet: empty", scan(dir, &s, &rc), "");
	UNIT_INT("no journal yet: not an error", rc, 0);

	memset(&q, 0, sizeof(q));
	(void)strlcpy(q.id, "1LHC3QOBGO4C3S", sizeof(q.id));
	envelope_init(&q.env);
	envelope_add_rcpt(&q.env, "a@x.example", NULL);
	envelope_add_rcpt(&q.env, "b@x.example", NULL);
	envelope_add_rcpt(&q.env, "c@x.example", NULL);
	qstate_init(&q.state, 3);
	q.state.rcpts[1].done = true;
	journal_admin(conf, &q, JOURNAL_REMOVED, "root");
	journal_admin(conf, &q, JOURNAL_REMOVED, NULL);
	UNIT_STR("removed: the pending recipients", scan(dir, &s, &rc),
	    "removed 1LHC3QOBGO4C3S a@x.example removed by root;"
	    "removed 1LHC3QOBGO4C3S c@x.example removed by root;"
	    "removed 1LHC3QOBGO4C3S a@x.example removed by the "
	    "administrator;"
	    "removed 1LHC3QOBGO4C3S c@x.example removed by the "
	    "administrator;");
	/* held and released read back as such, and are not final */
	journal_admin(conf, &q, JOURNAL_HELD, "mail");
	journal_admin(conf, &q, JOURNAL_RELEASED, "mail");
	UNIT_STR("held, released: the pending recipients",
	    scan(dir, &s, &rc) + strlen("removed 1LHC3QOBGO4C3S a@x.example "
	    "removed by root;removed 1LHC3QOBGO4C3S c@x.example removed by "
	    "root;removed 1LHC3QOBGO4C3S a@x.example removed by the "
	    "administrator;removed 1LHC3QOBGO4C3S c@x.example removed by the "
	    "administrator;"),
	    "held 1LHC3QOBGO4C3S a@x.example held by mail;"
	    "held 1LHC3QOBGO4C3S c@x.example held by mail;"
	    "released 1LHC3QOBGO4C3S a@x.example released by mail;"
	    "released 1LHC3QOBGO4C3S c@x.example released by mail;");
	UNIT_INT("held is not final", journal_event_final(JOURNAL_HELD), 0);
	UNIT_INT("released is not final",
	    journal_event_final(JOURNAL_RELEASED), 0);
	UNIT_INT("removed is final", journal_event_final(JOURNAL_REMOVED), 1);
	(void)snprintf(path, sizeof(path), "%s/journal", dir);
	{
		struct stat st;

		UNIT_INT("journal dir made", stat(path, &st), 0);
		UNIT_INT("journal dir mode", st.st_mode & 07777, 02750);
	}

	/* older hours come first; junk lines, other versions, links and
	 * names that are not hours are skipped */
	journal_name(0, name);
	(void)snprintf(path, sizeof(path), "%s/journal/%s", dir, name);
	write_file(path, JOURNAL_MAGIC "junk\n"
	    "1\tsent\t00000000000001\t\t\told@x\t0\t\t\tok\n"
	    "1\tsent\t00000000000001\t\t\tcut@x\t0\t\t\tno LF");
	(void)snprintf(path, sizeof(path), "%s/journal/1970010101", dir);
	write_file(path, "MINIMTA-JOURNAL 9\n"
	    "1\tsent\t00000000000002\t\t\tv9@x\t0\t\t\tok\n");
	(void)snprintf(path, sizeof(path), "%s/journal/1970010102", dir);
	if (symlink("1970010100", path) == -1)
		abort();
	(void)snprintf(path, sizeof(path), "%s/journal/notes", dir);
	write_file(path, JOURNAL_MAGIC
	    "1\tsent\t00000000000003\t\t\tnotes@x\t0\t\t\tok\n");
	UNIT_STR("order and skips", scan(dir, &s, &rc),
	    "sent 00000000000001 old@x ok;"
	    "removed 1LHC3QOBGO4C3S a@x.example removed by root;"
	    "removed 1LHC3QOBGO4C3S c@x.example removed by root;"
	    "removed 1LHC3QOBGO4C3S a@x.example removed by the "
	    "administrator;"
	    "removed 1LHC3QOBGO4C3S c@x.example removed by the "
	    "administrator;"
	    "held 1LHC3QOBGO4C3S a@x.example held by mail;"
	    "held 1LHC3QOBGO4C3S c@x.example held by mail;"
	    "released 1LHC3QOBGO4C3S a@x.example released by mail;"
	    "released 1LHC3QOBGO4C3S c@x.example released by mail;");

	/* a journal others may write is not believed */
	(void)snprintf(path, sizeof(path), "%s/journal", dir);
	(void)chmod(path, 02770);
	(void)scan(dir, &s, &rc);
	UNIT_INT("group-writable journal refused", rc, -1);
	(void)chmod(path, 02750);

	/* journal_max_age 0: nothing is written */
	before = strlen(scan(dir, &s, &rc));
	(void)conf_set(conf, "journal_max_age", "0", &why);
	journal_admin(conf, &q, JOURNAL_REMOVED, "root");
	UNIT_INT("off: nothing more", strlen(scan(dir, &s, &rc)), before);

	envelope_free(&q.env);
	qstate_free(&q.state);
	conf_free(conf);
	buf_free(&s.b);
	if (nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS) != 0)
		printf("could not remove %s\n", dir);
	return unit_done("journal_io");
}
