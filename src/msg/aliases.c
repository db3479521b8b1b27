/*
 * aliases.c: the alias table, the pure parser of aliases files and
 * :include: lists, and the expansion (see aliases.h). The byte-level
 * syntax is in aliases_lex.c; reading files is aliases_load.c's.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "aliases.h"
#include "aliases_lex.h"
#include "buf.h"
#include "log.h"
#include "why.h"
#include "xmalloc.h"

#define ALIASES_INCLUDE		":include:"
#define ALIASES_INCLUDE_LEN	9
#define ALIASES_CLEAN_CAP	300	/* bytes of a warning line */

struct aliases_list {
	char	**v;
	size_t	  n;
};

struct aliases_entry {
	char			*name;		/* lower case */
	char			*where;		/* "FILE:LINE" */
	struct aliases_list	 t;
};

struct aliases_include {
	char			*path;
	char			*where;		/* first reference */
	int			 depth;	/* 1: in the aliases file */
	bool			 loaded;
	struct aliases_list	 t;
};

struct aliases {
	struct aliases_entry	*e;
	size_t			 n, cap;
	size_t			*hash;	/* index + 1; 0 is empty */
	size_t			 hcap;
	struct aliases_include	*inc;
	size_t			 ninc;
	char			**warn;
	size_t			 nwarn, nwarn_more;
	size_t			 nerrors;	/* malformed lines */
	char			*more;	/* "N more warnings" */
};

/* Where the parser is: for warnings and for include depth. */
struct aliases_pos {
	const char	*file;	/* or "FILE:LINE" when line is 0 */
	size_t		 line;
	int		 depth;		/* of the file being parsed */
};

struct aliases *
aliases_new(void)
{
	return xcalloc(1, sizeof(struct aliases));
}

static void
aliases_list_free(struct aliases_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
aliases_list_add(struct aliases_list *l, char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

void
aliases_free(struct aliases *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->e[i].name);
		free(a->e[i].where);
		aliases_list_free(&a->e[i].t);
	}
	for (i = 0; i < a->ninc; i++) {
		free(a->inc[i].path);
		free(a->inc[i].where);
		aliases_list_free(&a->inc[i].t);
	}
	for (i = 0; i < a->nwarn; i++)
		free(a->warn[i]);
	free(a->warn);
	free(a->more);
	free(a->inc);
	free(a->hash);
	free(a->e);
	free(a);
}

size_t
aliases_count(const struct aliases *a)
{
	return a == NULL ? 0 : a->n;
}

size_t
aliases_nwarnings(const struct aliases *a)
{
	if (a == NULL)
		return 0;
	return a->nwarn + (a->more != NULL);
}

size_t
aliases_nerrors(const struct aliases *a)
{
	return a == NULL ? 0 : a->nerrors;
}

const char *
aliases_warning(const struct aliases *a, size_t i)
{
	if (a == NULL)
		return NULL;
	if (i < a->nwarn)
		return a->warn[i];
	return i == a->nwarn ? a->more : NULL;
}

/* Records "FILE:LINE: message", cleaned: file contents are untrusted. */
static void PRINTFLIKE(3, 4)
aliases_warn(struct aliases *a, const struct aliases_pos *p,
    const char *fmt, ...)
{
	struct buf raw = { 0 }, clean = { 0 };
	va_list ap;

	if (a->nwarn == ALIASES_MAX_WARNINGS) {
		a->nwarn_more++;
		free(a->more);
		a->more = xasprintf("%zu more warnings not shown",
		    a->nwarn_more);
		return;
	}
	if (p->line == 0)
		buf_printf(&raw, "%s: ", p->file); /* "FILE:LINE" */
	else
		buf_printf(&raw, "%s:%zu: ", p->file, p->line);
	va_start(ap, fmt);
	buf_vprintf(&raw, fmt, ap);
	va_end(ap);
	log_clean(&clean, raw.data, raw.len, ALIASES_CLEAN_CAP);
	buf_free(&raw);
	a->warn = xreallocarray(a->warn, a->nwarn + 1, sizeof(*a->warn));
	a->warn[a->nwarn++] = buf_release(&clean);
}

/* A malformed line or target: a warning that newaliases counts as an error. */
#define aliases_error(a, ...) ((a)->nerrors++, aliases_warn((a), __VA_ARGS__))

/* ---- the name table ---- */

static size_t
aliases_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)tolower((unsigned char)*s);
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* Index of name, or (size_t)-1. */
static size_t
aliases_find(const struct aliases *a, const char *name)
{
	size_t i;

	if (a->hcap == 0)
		return (size_t)-1;
	for (i = aliases_hash(name) & (a->hcap - 1); a->hash[i] != 0;
	    i = (i + 1) & (a->hcap - 1)) {
		if (strcasecmp(a->e[a->hash[i] - 1].name, name) == 0)
			return a->hash[i] - 1;
	}
	return (size_t)-1;
}

static void
aliases_hash_put(struct aliases *a, size_t idx)
{
	size_t i = aliases_hash(a->e[idx].name) & (a->hcap - 1);

	while (a->hash[i] != 0)
		i = (i + 1) & (a->hcap - 1);
	a->hash[i] = idx + 1;
}

static void
aliases_add_entry(struct aliases *a, char *name, char *where,
    struct aliases_list *t)
{
	size_t i;

	if (2 * (a->n + 1) > a->hcap) {
		a->hcap = a->hcap == 0 ? 64 : 2 * a->hcap;
		free(a->hash);
		a->hash = xcalloc(a->hcap, sizeof(*a->hash));
		for (i = 0; i < a->n; i++)
			aliases_hash_put(a, i);
	}
	if (a->n == a->cap) {
		a->cap = a->cap == 0 ? 64 : 2 * a->cap;
		a->e = xreallocarray(a->e, a->cap, sizeof(*a->e));
	}
	a->e[a->n].name = name;
	a->e[a->n].where = where;
	a->e[a->n].t = *t;
	aliases_hash_put(a, a->n++);
}

bool
aliases_exists(const struct aliases *a, const char *name)
{
	return a != NULL && aliases_find(a, name) != (size_t)-1;
}

static struct aliases_include *
aliases_find_include(const struct aliases *a, const char *path)
{
	size_t i;

	for (i = 0; i < a->ninc; i++)
		if (strcmp(a->inc[i].path, path) == 0)
			return &a->inc[i];
	return NULL;
}

const char *
aliases_include(const struct aliases *a, size_t i, int *depth,
    bool *loaded)
{
	if (a == NULL || i >= a->ninc)
		return NULL;
	*depth = a->inc[i].depth;
	*loaded = a->inc[i].loaded;
	return a->inc[i].path;
}

void
aliases_include_skipped(struct aliases *a, size_t i, const char *fmt, ...)
{
	/* where is "FILE:LINE" already, hence line 0 */
	struct aliases_pos p = { a->inc[i].where, 0, 0 };
	struct buf reason = { 0 };
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&reason, fmt, ap);
	va_end(ap);
	aliases_warn(a, &p, "include %s skipped: %s", a->inc[i].path,
	    buf_cstr(&reason));
	buf_free(&reason);
}

/* ---- parsing ---- */

/* Registers an include file named at p (at most ALIASES_MAX_INCLUDES). */
static bool
aliases_add_include(struct aliases *a, const struct aliases_pos *p,
    const char *path)
{
	struct aliases_include *inc;

	if (aliases_find_include(a, path) != NULL)
		return true;
	if (a->ninc == ALIASES_MAX_INCLUDES) {
		aliases_warn(a, p, "include %s skipped: more than %d include "
		    "files", path, ALIASES_MAX_INCLUDES);
		return false;
	}
	a->inc = xreallocarray(a->inc, a->ninc + 1, sizeof(*a->inc));
	inc = &a->inc[a->ninc++];
	memset(inc, 0, sizeof(*inc));
	inc->path = xstrdup(path);
	inc->where = xasprintf("%s:%zu", p->file, p->line);
	inc->depth = p->depth + 1;
	return true;
}

/*
 * Classifies one target (s[0..n), trimmed, not empty) and adds it to l,
 * or warns and counts it in *skipped.
 */
static void
aliases_target(struct aliases *a, const struct aliases_pos *p,
    const char *s, size_t n, struct aliases_list *l, size_t *skipped)
{
	const char *bad;
	char *t;
	size_t q;

	if (n > ALIASES_MAX_TARGET) {
		aliases_error(a, p, "target skipped: longer than %d bytes",
		    ALIASES_MAX_TARGET);
		(*skipped)++;
		return;
	}
	if (s[0] == '"' && (q = aliases_lex_quoted_len(s, n)) == n)
		t = aliases_lex_unquote(s, n);
	else
		t = xstrndup(s, n);
	/* checks s, not t: a NUL byte would hide the rest of t */
	if (aliases_lex_has_ctl(s, n) || t[0] == '\0') {
		aliases_error(a, p, "target \"%s\" skipped: %s", t,
		    t[0] == '\0' ? "empty" : "control character");
		goto skip;
	}
	if (t[0] == '|' || t[0] == '/') {
		/* minimta does no local delivery (see aliases.h) */
		aliases_warn(a, p, "%s target \"%s\" skipped: minimta does "
		    "not deliver to %s", t[0] == '|' ? "pipe" : "file", t,
		    t[0] == '|' ? "programs" : "files");
		goto skip;
	}
	if (strncasecmp(t, ALIASES_INCLUDE, ALIASES_INCLUDE_LEN) == 0) {
		const char *path = t + ALIASES_INCLUDE_LEN;

		while (aliases_lex_space(*path))
			path++;
		if (path[0] != '/' || aliases_lex_has_space(path)) {
			aliases_error(a, p, "include \"%s\" skipped: not an "
			    "absolute path", path);
			goto skip;
		}
		if (!aliases_add_include(a, p, path))
			goto skip;
		aliases_list_add(l, xasprintf("%s%s", ALIASES_INCLUDE, path));
		free(t);
		return;
	}
	if ((bad = aliases_lex_bad_address(t)) != NULL) {
		aliases_error(a, p, "target \"%s\" skipped: %s", t, bad);
		goto skip;
	}
	aliases_list_add(l, t);
	return;
skip:
	free(t);
	(*skipped)++;
}

/*
 * Splits s[0..n) at commas outside quotes into l. Returns -1 with why
 * set past ALIASES_MAX_TARGETS.
 */
static int
aliases_targets(struct aliases *a, const struct aliases_pos *p,
    const char *s, size_t n, struct aliases_list *l, size_t *skipped,
    struct why *why)
{
	size_t i = 0, start, end;
	bool inq;

	while (i < n) {
		start = i;
		for (inq = false; i < n && (inq || s[i] != ','); i++) {
			if (inq && s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '"')
				inq = !inq;
		}
		end = i++;
		while (start < end && aliases_lex_space(s[start]))
			start++;
		while (end > start && aliases_lex_space(s[end - 1]))
			end--;
		if (start == end)
			continue;	/* "a,,b" and a final comma */
		if (l->n + *skipped == ALIASES_MAX_TARGETS) {
			why_set(why, "%s:%zu: more than %d targets", p->file,
			    p->line, ALIASES_MAX_TARGETS);
			return -1;
		}
		aliases_target(a, p, s + start, end - start, l, skipped);
	}
	return 0;
}

/* The name of the entry s[0..n): *name (lower case) and *rest after ':'. */
static bool
aliases_name(struct aliases *a, const struct aliases_pos *p, const char *s,
    size_t n, char **name, size_t *rest)
{
	size_t i, q = 0;
	char *c;

	if (s[0] == '"') {
		if ((q = aliases_lex_quoted_len(s, n)) == 0) {
			aliases_error(a, p, "unterminated quoted name");
			return false;
		}
		for (i = q; i < n && aliases_lex_space(s[i]); i++)
			continue;
		if (i == n || s[i] != ':') {
			aliases_error(a, p, "need \"name: value\"");
			return false;
		}
		*name = aliases_lex_unquote(s, q);
	} else {
		const char *colon = memchr(s, ':', n);
		size_t e;

		if (colon == NULL) {
			aliases_error(a, p, "need \"name: value\"");
			return false;
		}
		i = (size_t)(colon - s);
		for (e = i; e > 0 && aliases_lex_space(s[e - 1]); e--)
			continue;
		*name = xstrndup(s, e);
		if (aliases_lex_has_space(*name)) {
			aliases_error(a, p, "name \"%s\" skipped: white space "
			    "in an unquoted name", *name);
			goto bad;
		}
	}
	*rest = i + 1;
	if ((*name)[0] == '\0' || strlen(*name) > ALIASES_MAX_NAME ||
	    aliases_lex_has_ctl(s, q > 0 ? q : i)) {
		aliases_error(a, p, "name \"%.64s\" skipped: %s", *name,
		    (*name)[0] == '\0' ? "empty" :
		    strlen(*name) > ALIASES_MAX_NAME ? "too long" :
		    "control character");
		goto bad;
	}
	for (c = *name; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return true;
bad:
	free(*name);
	*name = NULL;
	return false;
}

/* Parses one logical entry s[0..n) (continuations joined). */
static int
aliases_entry(struct aliases *a, const struct aliases_pos *p,
    const char *s, size_t n, struct why *why)
{
	struct aliases_list t = { NULL, 0 };
	size_t rest, skipped = 0, dup;
	char *name;

	if (!aliases_name(a, p, s, n, &name, &rest))
		return 0;
	if ((dup = aliases_find(a, name)) != (size_t)-1) {
		aliases_warn(a, p, "duplicate alias \"%s\" ignored: the entry "
		    "at %s is used", name, a->e[dup].where);
		free(name);
		return 0;
	}
	if (aliases_targets(a, p, s + rest, n - rest, &t, &skipped, why) ==
	    -1)
		goto bad;
	if (t.n == 0 && skipped == 0) {
		aliases_error(a, p, "alias \"%s\" skipped: no targets", name);
		free(name);
		return 0;
	}
	if (a->n == ALIASES_MAX_ENTRIES) {
		why_set(why, "%s:%zu: more than %d aliases", p->file, p->line,
		    ALIASES_MAX_ENTRIES);
		goto bad;
	}
	aliases_add_entry(a, name, xasprintf("%s:%zu", p->file, p->line), &t);
	return 0;
bad:
	aliases_list_free(&t);
	free(name);
	return -1;
}

int
aliases_parse(struct aliases *a, const char *filename, const char *text,
    size_t len, struct why *why)
{
	struct aliases_pos p = { filename, 0, 0 }, ep = p;
	struct buf e = { 0 };
	const char *line;
	size_t pos = 0, n, lineno = 0;
	bool have = false;
	int rc = 0;

	while (rc == 0 && aliases_lex_line(text, len, &pos, &line, &n)) {
		p.line = ++lineno;
		if (aliases_lex_skip_line(line, n))
			continue;
		if (aliases_lex_space(line[0])) {
			/* aliases(5): a continuation of the entry above */
			if (!have)
				aliases_error(a, &p, "continuation line "
				    "without an entry");
			else {
				buf_addc(&e, ' ');
				buf_add(&e, line, n);
			}
			continue;
		}
		if (have)
			rc = aliases_entry(a, &ep, e.data, e.len, why);
		buf_reset(&e);
		buf_add(&e, line, n);
		have = true;
		ep = p;
	}
	if (rc == 0 && have)
		rc = aliases_entry(a, &ep, e.data, e.len, why);
	buf_free(&e);
	return rc;
}

int
aliases_parse_include(struct aliases *a, const char *path, const char *text,
    size_t len, struct why *why)
{
	struct aliases_include *inc;
	struct aliases_list t = { NULL, 0 };
	struct aliases_pos p = { path, 0, 0 };
	const char *line;
	size_t pos = 0, n, skipped = 0;

	if ((inc = aliases_find_include(a, path)) == NULL) {
		if (!aliases_add_include(a, &p, path)) {
			why_set(why, "%s: more than %d include files", path,
			    ALIASES_MAX_INCLUDES);
			return -1;
		}
		inc = aliases_find_include(a, path);
	}
	p.depth = inc->depth;
	aliases_list_free(&inc->t);
	inc->loaded = true;
	while (aliases_lex_line(text, len, &pos, &line, &n)) {
		p.line++;
		if (aliases_lex_skip_line(line, n))
			continue;
		if (aliases_targets(a, &p, line, n, &t, &skipped, why) == -1) {
			aliases_list_free(&t);
			return -1;
		}
	}
	/* aliases_targets may have moved a->inc: look it up again */
	inc = aliases_find_include(a, path);
	inc->t = t;
	return 0;
}

/* ---- expansion ---- */

struct aliases_exp {
	const struct aliases	*a;
	struct addr_list	 res;
	size_t			 max;
	const char		*top;		/* the name asked for */
	bool			*path_e, *done_e;	/* per entry */
	bool			*path_i, *done_i;	/* per include */
	struct why		*why;
};

static int	aliases_exp_target(struct aliases_exp *, const char *, int);

static int
aliases_emit(struct aliases_exp *x, const char *s)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < x->res.n; i++)
		if (strcasecmp(x->res.v[i], s) == 0)
			return 0;
	if (x->res.n == x->max) {
		log_clean(&b, x->top, strlen(x->top), 64);
		why_set(x->why, "alias expansion of %s: more than %zu "
		    "addresses", buf_cstr(&b), x->max);
		buf_free(&b);
		return -1;
	}
	addr_list_add(&x->res, s);
	return 0;
}

static int
aliases_too_deep(struct aliases_exp *x)
{
	struct buf b = { 0 };

	log_clean(&b, x->top, strlen(x->top), 64);
	why_set(x->why, "alias expansion of %s: more than %d levels (a loop?)",
	    buf_cstr(&b), ALIASES_MAX_DEPTH);
	buf_free(&b);
	return -1;
}

static int
aliases_exp_list(struct aliases_exp *x, const struct aliases_list *l,
    int depth)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (aliases_exp_target(x, l->v[i], depth) == -1)
			return -1;
	return 0;
}

static int
aliases_exp_name(struct aliases_exp *x, const char *name, int depth)
{
	size_t i = aliases_find(x->a, name);
	int rc;

	if (i == (size_t)-1 || x->path_e[i])
		/* not an alias, or met again in its own expansion */
		return aliases_emit(x, name);
	if (x->done_e[i])
		return 0;	/* its results are in already */
	if (depth == ALIASES_MAX_DEPTH)
		return aliases_too_deep(x);
	x->path_e[i] = true;
	rc = aliases_exp_list(x, &x->a->e[i].t, depth + 1);
	x->path_e[i] = false;
	x->done_e[i] = true;
	return rc;
}

static int
aliases_exp_target(struct aliases_exp *x, const char *t, int depth)
{
	const struct aliases_include *inc;
	size_t i;
	int rc;

	if (strncmp(t, ALIASES_INCLUDE, ALIASES_INCLUDE_LEN) != 0) {
		/* "root: \\root, admin": sendmail's way to deliver to the
		 * name itself, not its alias (nor "\\root" as an address) */
		if (t[0] == '\\' && t[1] != '\0')
			return aliases_emit(x, t + 1);
		if (strchr(t, '@') != NULL)
			return aliases_emit(x, t);
		return aliases_exp_name(x, t, depth);
	}
	inc = aliases_find_include(x->a, t + ALIASES_INCLUDE_LEN);
	if (inc == NULL || !inc->loaded)
		return 0;	/* unreadable: the loader warned */
	i = (size_t)(inc - x->a->inc);
	if (x->path_i[i] || x->done_i[i])
		return 0;
	if (depth == ALIASES_MAX_DEPTH)
		return aliases_too_deep(x);
	x->path_i[i] = true;
	rc = aliases_exp_list(x, &inc->t, depth + 1);
	x->path_i[i] = false;
	x->done_i[i] = true;
	return rc;
}

int
aliases_expand(const struct aliases *a, const char *name, size_t max,
    struct addr_list *out, struct why *why)
{
	struct aliases_exp x;
	struct buf b = { 0 };
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	x.a = a;
	x.max = max == 0 ? ALIASES_MAX_RESULTS : max;
	x.top = name;
	x.why = why;
	addr_list_init(&x.res);
	if (a == NULL || a->n == 0) {
		rc = aliases_emit(&x, name);
		goto out;
	}
	x.path_e = xcalloc(a->n, sizeof(bool));
	x.done_e = xcalloc(a->n, sizeof(bool));
	x.path_i = xcalloc(a->ninc + 1, sizeof(bool));
	x.done_i = xcalloc(a->ninc + 1, sizeof(bool));
	rc = aliases_exp_name(&x, name, 0);
	if (rc == 0 && x.res.n == 0) {
		log_clean(&b, name, strlen(name), 64);
		why_set(why, "alias %s: no deliverable targets (pipes and "
		    "files are skipped)", buf_cstr(&b));
		buf_free(&b);
	}
out:
	if (rc == 0)
		for (i = 0; i < x.res.n; i++)
			addr_list_add(out, x.res.v[i]);
	addr_list_free(&x.res);
	free(x.path_e);
	free(x.done_e);
	free(x.path_i);
	free(x.done_i);
	return rc;
}

