/*
 * test_aliases: the aliases parser and expansion (tables), the limits,
 * and the loader with :include: files in a temporary directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "buf.h"
#include "unit.h"
#include "why.h"

int	main(int, char **);

/* Expansion of name as "a b c", or "ERR: why". */
static void
expand_str(const struct aliases *a, const char *name, size_t max,
    struct buf *out)
{
	struct addr_list l;
	struct why why = { "" };
	size_t i;

	addr_list_init(&l);
	buf_reset(out);
	if (aliases_expand(a, name, max, &l, &why) == -1) {
		buf_printf(out, "ERR: %s", why.text);
		if (l.n != 0)
			buf_adds(out, " (and results)");
	} else {
		for (i = 0; i < l.n; i++)
			buf_printf(out, "%s%s", i > 0 ? " " : "", l.v[i]);
		if (l.n == 0)
			buf_printf(out, "NONE: %s", why.text);
	}
	addr_list_free(&l);
}

static void
test_table(void)
{
	static const struct {
		const char *name, *text, *expand, *want;
		int nwarn;
		const char *warn0;	/* first warning, or NULL */
	} t[] = {
		{ "simple", "root: alice@example.org\n", "root",
		    "alice@example.org", 0, NULL },
		{ "case", "Root: a@x\n", "ROOT", "a@x", 0, NULL },
		{ "not an alias", "root: a@x\n", "Bob", "Bob", 0, NULL },
		{ "several", "staff: a@x, b@x,c@x\n", "staff",
		    "a@x b@x c@x", 0, NULL },
		{ "continuation", "staff: a@x,\n  b@x,\n\tc@x\nz: q@x\n",
		    "staff", "a@x b@x c@x", 0, NULL },
		{ "continuation over comment and blank",
		    "staff: a@x,\n# c\n\n  b@x\n", "staff", "a@x b@x", 0,
		    NULL },
		{ "comments", "# hello\n\nroot: r@x\n   # indented\n", "root",
		    "r@x", 0, NULL },
		{ "no final newline", "root: r@x", "root", "r@x", 0, NULL },
		{ "crlf", "root: a@x,\r\n b@x\r\n", "root", "a@x b@x", 0,
		    NULL },
		{ "space before colon", "root : r@x\n", "root", "r@x", 0,
		    NULL },
		{ "empty elements", "a: x@y,, z@y,\n", "a", "x@y z@y", 0,
		    NULL },
		{ "recursive", "root: admin\nadmin: a@x, b\nb: b@x\n", "root",
		    "a@x b@x", 0, NULL },
		{ "local name kept", "root: admin\n", "root", "admin", 0,
		    NULL },
		{ "self in own list", "root: root, admin@x\n", "root",
		    "root admin@x", 0, NULL },
		/* sendmail's "\\root": the name itself, never expanded */
		{ "backslash self", "root: \\root, admin@x\n", "root",
		    "root admin@x", 0, NULL },
		{ "backslash other alias", "a: \\b\nb: z@x\n", "a", "b", 0,
		    NULL },
		{ "two-name loop", "a: b\nb: a, z@x\n", "a", "a z@x", 0,
		    NULL },
		{ "two-name loop from b", "a: b\nb: a, z@x\n", "b", "b z@x", 0,
		    NULL },
		{ "duplicates removed", "a: x@y, b\nb: x@y, X@Y, c\nc: x@y\n",
		    "a", "x@y", 0, NULL },
		{ "diamond", "a: b, c\nb: d\nc: d\nd: x@y\n", "a", "x@y", 0,
		    NULL },
		{ "quoted name", "\"my list\": a@x\n", "My List", "a@x", 0,
		    NULL },
		{ "quoted name escape", "\"q\\\"d\" : q@x\n", "q\"d", "q@x", 0,
		    NULL },
		{ "quoted address kept", "a: \"john doe\"@x\n", "a",
		    "\"john doe\"@x", 0, NULL },
		{ "quoted pipe with comma",
		    "a: \"|/bin/cmd a, b\", z@x\n", "a", "z@x", 1,
		    "t:1: pipe target \"|/bin/cmd a, b\" skipped: minimta "
		    "does not deliver to programs" },
		{ "file target", "a: z@x,\n  /var/mail/a\n", "a", "z@x", 1,
		    "t:1: file target \"/var/mail/a\" skipped: minimta does "
		    "not deliver to files" },
		{ "only a pipe",
		    "mailman: |/usr/lib/mailman/mail/mailman post list\n",
		    "mailman", "NONE: alias mailman: no deliverable targets "
		    "(pipes and files are skipped)", 1, NULL },
		{ "only a pipe, via another", "root: m\nm: |/bin/x\n", "root",
		    "NONE: alias root: no deliverable targets (pipes and "
		    "files are skipped)", 1, NULL },
		{ "duplicate: first wins", "a: x@y\nb: q@y\nA: z@y\n", "a",
		    "x@y", 1, "t:3: duplicate alias \"a\" ignored: the entry "
		    "at t:1 is used" },
		{ "no colon", "foo bar\nroot: r@x\n", "root", "r@x", 1,
		    "t:1: need \"name: value\"" },
		{ "empty value", "foo:\nroot: r@x\n", "foo", "foo", 1,
		    "t:1: alias \"foo\" skipped: no targets" },
		{ "empty name", ": r@x\n", "", "", 1,
		    "t:1: name \"\" skipped: empty" },
		{ "continuation first", "  a@x\nroot: r@x\n", "root", "r@x", 1,
		    "t:1: continuation line without an entry" },
		{ "control in target", "a: x\001y@z, q@z\n", "a", "q@z", 1,
		    "t:1: target \"x?y@z\" skipped: control character" },
		{ "control in name", "a\033b: q@z\n", "a\033b", "a\033b", 1,
		    "t:1: name \"a?b\" skipped: control character" },
		{ "space in unquoted name", "my list: a@x\n", "my list",
		    "my list", 1, "t:1: name \"my list\" skipped: white space "
		    "in an unquoted name" },
		{ "unterminated quoted name", "\"abc: a@x\n", "abc", "abc", 1,
		    "t:1: unterminated quoted name" },
		{ "unterminated quote in target", "a: \"x@y, z@y\n", "a",
		    "NONE: alias a: no deliverable targets (pipes and files "
		    "are skipped)", 1, "t:1: target \"\"x@y, z@y\" skipped: "
		    "unbalanced quote" },
		{ "space in address", "a: john doe@x, z@x\n", "a", "z@x", 1,
		    "t:1: target \"john doe@x\" skipped: white space in an "
		    "address" },
		{ "relative include", "a: :include: rel/list, z@x\n", "a",
		    "z@x", 1, "t:1: include \"rel/list\" skipped: not an "
		    "absolute path" },
		{ "include not loaded", "a: :include:/no/such, z@x\n", "a",
		    "z@x", 0, NULL },
		{ "line numbers", "\n\n# x\na: b@x\n\nb: |x\n", "a", "b@x", 1,
		    "t:6: pipe target \"|x\" skipped: minimta does not deliver "
		    "to programs" },
		{ "empty file", "", "root", "root", 0, NULL },
	};
	struct buf got = { 0 };
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct aliases *a = aliases_new();

		UNIT_INT(t[i].name, aliases_parse(a, "t", t[i].text,
		    strlen(t[i].text), &why), 0);
		expand_str(a, t[i].expand, 0, &got);
		UNIT_STR(t[i].name, buf_cstr(&got), t[i].want);
		UNIT_INT(t[i].name, aliases_nwarnings(a), t[i].nwarn);
		if (t[i].warn0 != NULL)
			UNIT_STR(t[i].name, aliases_warning(a, 0), t[i].warn0);
		aliases_free(a);
	}
	buf_free(&got);
}

static void
test_misc(void)
{
	static const char nul[] = "a: x\0y@z, q@z\nb: r@z\n";
	struct aliases *a = aliases_new();
	struct buf got = { 0 };
	struct addr_list l;
	struct why why;

	UNIT_INT("nul", aliases_parse(a, "t", nul, sizeof(nul) - 1, &why), 0);
	expand_str(a, "a", 0, &got);
	UNIT_STR("nul a", buf_cstr(&got), "q@z");
	expand_str(a, "b", 0, &got);
	UNIT_STR("nul b", buf_cstr(&got), "r@z");
	UNIT_INT("nul count", aliases_count(a), 2);
	UNIT_CHECK("exists", aliases_exists(a, "B"), "no");
	UNIT_CHECK("exists not", !aliases_exists(a, "c"), "yes");
	/* two parses add up; the second file's duplicates are warned */
	UNIT_INT("second parse", aliases_parse(a, "u", "c: s@z\nb: t@z\n", 14,
	    &why), 0);
	UNIT_INT("second count", aliases_count(a), 3);
	UNIT_STR("second dup", aliases_warning(a, 1),
	    "u:2: duplicate alias \"b\" ignored: the entry at t:2 is used");
	UNIT_CHECK("warning past end", aliases_warning(a, 99) == NULL, "set");
	/* results are appended to what the list holds */
	addr_list_init(&l);
	addr_list_add(&l, "first@x");
	UNIT_INT("append", aliases_expand(a, "c", 0, &l, &why), 0);
	UNIT_INT("append n", l.n, 2);
	UNIT_STR("append 0", l.v[0], "first@x");
	UNIT_STR("append 1", l.v[1], "s@z");
	addr_list_free(&l);
	aliases_free(a);
	/* no table at all */
	expand_str(NULL, "root", 0, &got);
	UNIT_STR("null table", buf_cstr(&got), "root");
	UNIT_INT("null count", aliases_count(NULL), 0);
	aliases_free(NULL);
	buf_free(&got);
}

static void
test_limits(void)
{
	struct buf text = { 0 }, got = { 0 };
	struct addr_list l;
	struct aliases *a;
	struct why why;
	size_t i;
	char name[ALIASES_MAX_NAME + 2];

	/* results: max passed */
	a = aliases_new();
	buf_adds(&text, "big: ");
	for (i = 0; i < 10; i++)
		buf_printf(&text, "%sa%zu@x", i > 0 ? ", " : "", i);
	buf_adds(&text, "\nsmall: big\n");
	UNIT_INT("results parse", aliases_parse(a, "t", text.data, text.len,
	    &why), 0);
	expand_str(a, "big", 10, &got);
	UNIT_CHECK("results at max", strncmp(buf_cstr(&got), "a0@x ", 5) == 0
	    && strstr(buf_cstr(&got), "a9@x") != NULL, "%s", got.data);
	expand_str(a, "small", 9, &got);
	UNIT_STR("results past max", buf_cstr(&got),
	    "ERR: alias expansion of small: more than 9 addresses");
	addr_list_init(&l);
	addr_list_add(&l, "keep@x");
	UNIT_INT("results past max rc", aliases_expand(a, "big", 3, &l, &why),
	    -1);
	UNIT_INT("out untouched on error", l.n, 1);
	addr_list_free(&l);
	aliases_free(a);

	/* depth: 20 nested aliases work, 21 do not */
	buf_reset(&text);
	for (i = 0; i < 21; i++)
		buf_printf(&text, "l%zu: l%zu\n", i, i + 1);
	buf_adds(&text, "l21: end@x\n");
	a = aliases_new();
	UNIT_INT("depth parse", aliases_parse(a, "t", text.data, text.len,
	    &why), 0);
	expand_str(a, "l2", 0, &got);	/* l2..l21: 20 aliases */
	UNIT_STR("depth 20", buf_cstr(&got), "end@x");
	expand_str(a, "l1", 0, &got);	/* 21 */
	UNIT_STR("depth 21", buf_cstr(&got), "ERR: alias expansion of l1: "
	    "more than 20 levels (a loop?)");
	aliases_free(a);

	/* targets per entry */
	buf_reset(&text);
	buf_adds(&text, "many: x0@y");
	for (i = 1; i < ALIASES_MAX_TARGETS; i++)
		buf_printf(&text, ",x%zu@y", i);
	a = aliases_new();
	UNIT_INT("targets at limit", aliases_parse(a, "t", text.data, text.len,
	    &why), 0);
	aliases_free(a);
	buf_adds(&text, ",one@more");
	a = aliases_new();
	UNIT_INT("targets past limit", aliases_parse(a, "t", text.data,
	    text.len, &why), -1);
	UNIT_STR("targets past limit why", why.text,
	    "t:1: more than 10000 targets");
	aliases_free(a);

	/* target and name lengths */
	buf_reset(&text);
	buf_adds(&text, "long: ");
	for (i = 0; i < ALIASES_MAX_TARGET - 2; i++)
		buf_addc(&text, 'x');
	buf_adds(&text, "@y\nlonger: ");
	for (i = 0; i < ALIASES_MAX_TARGET - 1; i++)
		buf_addc(&text, 'x');
	buf_adds(&text, "@y\n");
	a = aliases_new();
	UNIT_INT("target len parse", aliases_parse(a, "t", text.data,
	    text.len, &why), 0);
	expand_str(a, "long", 0, &got);
	UNIT_INT("target at limit", got.len, ALIASES_MAX_TARGET);
	UNIT_INT("target past limit warned", aliases_nwarnings(a), 1);
	UNIT_STR("target past limit", aliases_warning(a, 0),
	    "t:2: target skipped: longer than 1000 bytes");
	aliases_free(a);
	memset(name, 'n', sizeof(name));
	name[ALIASES_MAX_NAME] = '\0';
	buf_reset(&text);
	buf_printf(&text, "%s: a@b\nn%s: c@d\n", name, name);
	a = aliases_new();
	UNIT_INT("name len parse", aliases_parse(a, "t", text.data, text.len,
	    &why), 0);
	UNIT_CHECK("name at limit", aliases_exists(a, name), "missing");
	UNIT_INT("name past limit", aliases_count(a), 1);
	UNIT_CHECK("name past limit warned", aliases_nwarnings(a) == 1 &&
	    strstr(aliases_warning(a, 0), "skipped: too long") != NULL,
	    "%s", aliases_warning(a, 0));
	aliases_free(a);

	/* warnings are capped */
	buf_reset(&text);
	for (i = 0; i < ALIASES_MAX_WARNINGS + 50; i++)
		buf_adds(&text, "bad line\n");
	a = aliases_new();
	UNIT_INT("warnings parse", aliases_parse(a, "t", text.data, text.len,
	    &why), 0);
	UNIT_INT("warnings kept", aliases_nwarnings(a),
	    ALIASES_MAX_WARNINGS + 1);
	UNIT_STR("warnings more", aliases_warning(a, ALIASES_MAX_WARNINGS),
	    "50 more warnings not shown");
	aliases_free(a);

	/* entries */
	buf_reset(&text);
	for (i = 0; i <= ALIASES_MAX_ENTRIES; i++)
		buf_printf(&text, "a%zu: x@y\n", i);
	a = aliases_new();
	UNIT_INT("entries past limit", aliases_parse(a, "t", text.data,
	    text.len, &why), -1);
	UNIT_STR("entries past limit why", why.text,
	    "t:100001: more than 100000 aliases");
	UNIT_INT("entries kept", aliases_count(a), ALIASES_MAX_ENTRIES);
	expand_str(a, "A99999", 0, &got);
	UNIT_STR("entries lookup", buf_cstr(&got), "x@y");
	aliases_free(a);
	buf_free(&text);
	buf_free(&got);
}

static char dir[] = "/tmp/test_aliases.XXXXXX";

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF) {
		perror(path);
		exit(1);
	}
}

static void
test_load(void)
{
	struct aliases *a = NULL;
	struct buf text = { 0 }, got = { 0 }, want = { 0 };
	struct why why;
	char path[256];
	size_t i;
	bool found;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	buf_printf(&text,
	    "# test aliases\n"
	    "list: :include:%s/inc1, own@x\n"
	    "local1: l@y\n"
	    "cyc: :include:%s/self\n"
	    "gone: :include:%s/nope, still@x\n"
	    "deep: :include:%s/d0\n", dir, dir, dir, dir);
	put("aliases", text.data);
	buf_reset(&text);
	buf_printf(&text, "# members\nx@y, y@y\nlocal1\n\n:include:%s/inc2\n",
	    dir);
	put("inc1", text.data);
	put("inc2", "z@y\n|/bin/prog\nown@x\n");
	buf_reset(&text);
	buf_printf(&text, "s@x\n:include:%s/self\n", dir);
	put("self", text.data);
	for (i = 0; i < 10; i++) {
		char n[16];

		buf_reset(&text);
		buf_printf(&text, "d%zu@x\n:include:%s/d%zu\n", i, dir, i + 1);
		snprintf(n, sizeof(n), "d%zu", i);
		put(n, text.data);
	}
	snprintf(path, sizeof(path), "%s/aliases", dir);
	UNIT_INT("load", aliases_load(path, &a, &why), 0);
	if (a == NULL) {
		printf("FAIL load: %s\n", why.text);
		return;
	}
	UNIT_INT("load count", aliases_count(a), 5);
	expand_str(a, "list", 0, &got);
	UNIT_STR("include nested", buf_cstr(&got), "x@y y@y l@y z@y own@x");
	expand_str(a, "cyc", 0, &got);
	UNIT_STR("include cycle", buf_cstr(&got), "s@x");
	expand_str(a, "gone", 0, &got);
	UNIT_STR("include missing", buf_cstr(&got), "still@x");
	expand_str(a, "deep", 0, &got);
	/* d0 is at depth 1; d7 at depth 8 is the last one read */
	UNIT_STR("include depth", buf_cstr(&got),
	    "d0@x d1@x d2@x d3@x d4@x d5@x d6@x d7@x");
	for (i = 0; i < aliases_nwarnings(a); i++)
		printf("  warning: %s\n", aliases_warning(a, i));
	buf_printf(&want, "%s/inc2:2: pipe target \"|/bin/prog\" skipped: "
	    "minimta does not deliver to programs", dir);
	for (found = false, i = 0; i < aliases_nwarnings(a); i++)
		found |= strcmp(aliases_warning(a, i), want.data) == 0;
	UNIT_CHECK("include pipe warned", found, "no \"%s\"", want.data);
	buf_reset(&want);
	buf_printf(&want, "%s/aliases:5: include %s/nope skipped: No such "
	    "file or directory", dir, dir);
	for (found = false, i = 0; i < aliases_nwarnings(a); i++)
		found |= strcmp(aliases_warning(a, i), want.data) == 0;
	UNIT_CHECK("include missing warned", found, "no \"%s\"", want.data);
	buf_reset(&want);
	buf_printf(&want, "%s/d7:2: include %s/d8 skipped: nested more than "
	    "8 deep", dir, dir);
	for (found = false, i = 0; i < aliases_nwarnings(a); i++)
		found |= strcmp(aliases_warning(a, i), want.data) == 0;
	UNIT_CHECK("include depth warned", found, "no \"%s\"", want.data);
	UNIT_INT("load warnings", aliases_nwarnings(a), 3);
	aliases_free(a);

	/* a missing file is ENOENT, for the caller to decide */
	snprintf(path, sizeof(path), "%s/none", dir);
	errno = 0;
	UNIT_INT("load missing", aliases_load(path, &a, &why), -1);
	UNIT_INT("load missing errno", errno, ENOENT);
	UNIT_CHECK("load missing out", a == NULL, "set");
	buf_reset(&want);
	buf_printf(&want, "read %s: No such file or directory", path);
	UNIT_STR("load missing why", why.text, want.data);
	UNIT_INT("load dir", aliases_load(dir, &a, &why), -1);
	UNIT_INT("load dir errno", errno, EINVAL);

	/* a limit passed in a file fails the load */
	buf_reset(&text);
	buf_adds(&text, "many: x0@y");
	for (i = 1; i <= ALIASES_MAX_TARGETS; i++)
		buf_printf(&text, ",x%zu@y", i);
	put("toomany", text.data);
	snprintf(path, sizeof(path), "%s/toomany", dir);
	UNIT_INT("load limit", aliases_load(path, &a, &why), -1);
	UNIT_INT("load limit errno", errno, EINVAL);

	buf_free(&text);
	buf_free(&got);
	buf_free(&want);
}

static void
cleanup(void)
{
	const char *names[] = { "aliases", "inc1", "inc2", "self", "toomany",
	    "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/* Malformed lines count as errors; skips by policy do not. */
static void
test_errors(void)
{
	static const struct {
		const char	*name, *text;
		size_t		 warnings, errors;
	} t[] = {
		{ "clean", "a: b@x\n", 0, 0 },
		{ "no colon", "a b@x\n", 1, 1 },
		{ "unterminated quote", "\"a: b@x\n", 1, 1 },
		{ "continuation first", " b@x\na: c@x\n", 1, 1 },
		{ "no targets", "a:\n", 1, 1 },
		{ "pipe skipped", "a: |/bin/true, b@x\n", 1, 0 },
		{ "file skipped", "a: /var/mail/a\n", 1, 0 },
		{ "duplicate", "a: b@x\na: c@x\n", 1, 0 },
		{ "bad and skipped", "x y\na: |cmd, b@x\n", 2, 1 },
	};
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct aliases *a = aliases_new();

		(void)aliases_parse(a, "t", t[i].text, strlen(t[i].text), &why);
		UNIT_INT(t[i].name, aliases_nwarnings(a), t[i].warnings);
		UNIT_INT(t[i].name, aliases_nerrors(a), t[i].errors);
		aliases_free(a);
	}
	UNIT_INT("NULL", aliases_nerrors(NULL), 0);
}

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_table();
	test_misc();
	test_limits();
	test_load();
	test_errors();
	cleanup();
	return unit_done("aliases");
}
