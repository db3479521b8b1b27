/*
 * test_ratelimit: the counters in spool/ratelimit/ (ratelimit.h) on a
 * throwaway spool: a cap and its slot, all or none over several
 * counters, the strictest cap of one file, slots given back, a damaged
 * file (full for a cap, afresh for a use), and a key too long for a file
 * name (hashed name, the key cut at an escape, never a repair loop).
 */
#include <sys/stat.h>

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ratelimit.h"
#include "spool.h"
#include "unit.h"
#include "why.h"

int	main(void);

static char dir[] = "/tmp/test_ratelimit.XXXXXX";
static char path[128];

static enum ratelimit_result
take(struct spool *sp, const struct ratelimit_use *u, size_t n, time_t now,
    size_t *full, time_t *slot, struct why *note)
{
	struct why why;

	return ratelimit_take(sp, u, n, now, 0, full, slot, note, &why);
}

static void
write_file(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	(void)snprintf(p, sizeof(p), "%s/ratelimit/%s", path, name);
	if ((f = fopen(p, "w")) != NULL) {
		(void)fputs(text, f);
		(void)fclose(f);
	}
}

static void
test_cap(struct spool *sp, time_t now)
{
	const struct ratelimit_use cap = { "r.example", 3600, 2 };
	const struct ratelimit_use two[] = {
		{ "a.example", 3600, 5 }, { "b.example", 3600, 1 },
	};
	const struct ratelimit_use dup[] = {
		{ "c.example", 3600, 0 }, { "c.example", 3600, 1 },
	};
	struct why note;
	struct stat st;
	size_t full = 9;
	time_t slot;
	char p[256];

	UNIT_INT("take 1", take(sp, &cap, 1, now, &full, &slot, &note),
	    RATELIMIT_OK);
	(void)snprintf(p, sizeof(p), "%s/ratelimit", path);
	UNIT_INT("lazy dir", stat(p, &st) == 0 && (st.st_mode & 07777) ==
	    0700, true);
	UNIT_INT("take 2", take(sp, &cap, 1, now, &full, &slot, &note),
	    RATELIMIT_OK);
	UNIT_INT("take 3: full", take(sp, &cap, 1, now, &full, &slot, &note),
	    RATELIMIT_FULL);
	UNIT_INT("full index", full, 0);
	UNIT_CHECK("slot a window on", slot >= now + 3600 &&
	    slot <= now + 3610, "slot now+%lld", (long long)(slot - now));
	UNIT_INT("used", ratelimit_used(sp, "r.example", 3600, now), 2);
	ratelimit_give_back(sp, &cap, 1, now);
	UNIT_INT("given back", ratelimit_used(sp, "r.example", 3600, now), 1);
	UNIT_INT("take again", take(sp, &cap, 1, now, &full, &slot, &note),
	    RATELIMIT_OK);
	UNIT_INT("no such counter", ratelimit_used(sp, "none.example", 3600,
	    now), 0);

	/* all or none: b is full after one, a is not counted then */
	UNIT_INT("two: ok", take(sp, two, 2, now, &full, &slot, &note),
	    RATELIMIT_OK);
	UNIT_INT("two: full", take(sp, two, 2, now, &full, &slot, &note),
	    RATELIMIT_FULL);
	UNIT_INT("two: full index", full, 1);
	UNIT_INT("two: a not counted", ratelimit_used(sp, "a.example", 3600,
	    now), 1);

	/* one file twice: the cap applies, counted once */
	UNIT_INT("dup: ok", take(sp, dup, 2, now, &full, &slot, &note),
	    RATELIMIT_OK);
	UNIT_INT("dup: counted once", ratelimit_used(sp, "c.example", 3600,
	    now), 1);
	UNIT_INT("dup: full", take(sp, dup, 2, now, &full, &slot, &note),
	    RATELIMIT_FULL);
	UNIT_INT("dup: full index", full, 1);
}

static void
test_damaged(struct spool *sp, time_t now)
{
	const struct ratelimit_use cap = { "d.example", 3600, 3 };
	const struct ratelimit_use use = { "e.example", 3600, 0 };
	const struct ratelimit_use day = { "d.example", 86400, 3 };
	struct why note;
	size_t full;
	time_t slot;

	UNIT_INT("make d", take(sp, &cap, 1, now, &full, &slot, &note),
	    RATELIMIT_OK);
	write_file("d.example.h", "garbage\n");
	UNIT_INT("damaged cap: full", take(sp, &cap, 1, now, &full, &slot,
	    &note), RATELIMIT_FULL);
	UNIT_STR("damaged cap: note", note.text, "ratelimit/d.example.h: not "
	    "a rate counter (version 1): counted as full for one window");
	UNIT_INT("damaged cap: rewritten", ratelimit_used(sp, "d.example",
	    3600, now), 3);
	UNIT_INT("damaged cap: a window later", take(sp, &cap, 1,
	    now + 3620, &full, &slot, &note), RATELIMIT_OK);
	UNIT_STR("damaged cap: no second note", note.text, "");

	UNIT_INT("make e", take(sp, &use, 1, now, &full, &slot, &note),
	    RATELIMIT_OK);
	write_file("e.example.h", "");
	UNIT_INT("damaged use: ok", take(sp, &use, 1, now, &full, &slot,
	    &note), RATELIMIT_OK);
	UNIT_STR("damaged use: note", note.text, "ratelimit/e.example.h: not "
	    "a rate counter (version 1): started afresh");
	UNIT_INT("damaged use: counted", ratelimit_used(sp, "e.example", 3600,
	    now), 1);

	/* a daily counter is another file */
	UNIT_INT("day: ok", take(sp, &day, 1, now, &full, &slot, &note),
	    RATELIMIT_OK);
	UNIT_STR("day: no note", note.text, "");
}

static void
test_long_key(struct spool *sp, time_t now)
{
	char key[420], name[80], p[256];
	struct ratelimit_use cap = { key, 3600, 2 };
	struct why note;
	size_t full;
	time_t slot;
	FILE *f;
	char head[1200];

	/* 400 upper-case letters: 1200 bytes of %41 escapes, cut at 1023 */
	memset(key, 'A', 400);
	(void)strlcpy(key + 400, "@r.example", sizeof(key) - 400);
	ratelimit_file_name(key, 3600, name, sizeof(name));
	UNIT_CHECK("hashed name", name[0] == '%' && strlen(name) == 19 &&
	    strcmp(name + 17, ".h") == 0, "%s", name);
	UNIT_INT("long: 1", take(sp, &cap, 1, now, &full, &slot, &note),
	    RATELIMIT_OK);
	UNIT_INT("long: 2", take(sp, &cap, 1, now, &full, &slot, &note),
	    RATELIMIT_OK);
	UNIT_STR("long: no repair", note.text, "");
	UNIT_INT("long: full", take(sp, &cap, 1, now, &full, &slot, &note),
	    RATELIMIT_FULL);
	(void)snprintf(p, sizeof(p), "%s/ratelimit/%s", path, name);
	head[0] = '\0';
	if ((f = fopen(p, "r")) != NULL) {
		if (fgets(head, sizeof(head), f) == NULL)
			head[0] = '\0';
		(void)fclose(f);
	}
	UNIT_INT("long: key cut at an escape", strlen(head),
	    strlen("MINIMTA-RATE 1 3600 361 ") + 1023 + 1);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int
main(void)
{
	struct spool_account me;
	struct spool *sp = NULL;
	struct why why;
	time_t now = time(NULL);

	if (mkdtemp(dir) == NULL)
		return 1;
	(void)snprintf(path, sizeof(path), "%s/spool", dir);
	me.name = geteuid() == 0 ? "root" : "tester";
	me.uid = geteuid();
	me.gid = getegid();
	if (spool_open(path, &me, &sp, &why) != SPOOL_OPEN_OK) {
		printf("FAIL spool: %s\n", why.text);
		return 1;
	}
	test_cap(sp, now);
	test_damaged(sp, now);
	test_long_key(sp, now);
	spool_close(sp);
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		printf("cannot remove %s\n", dir);
	return unit_done("ratelimit");
}
