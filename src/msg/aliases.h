/*
 * aliases: the aliases file (aliases(5), as sendmail and Postfix read it)
 * and the expansion of local names through it.
 *
 * Format: "name: target, target, ..."; a line starting with a space or a
 * tab continues the entry above; a line whose first non-blank byte is '#'
 * is a comment, and comment and blank lines are skipped (they do not end
 * an entry, as in Postfix). Names are case-insensitive and may be quoted
 * ("name with space": ...). Targets are separated by commas outside
 * double quotes; a target wholly in quotes loses them. A target is
 *   user@domain       an address (not expanded further)
 *   name              a local name (expanded again through the table)
 *   :include:/path    the targets listed in /path (one list: targets
 *                     separated by commas or new lines, '#' comments),
 *                     which may include further files, up to
 *                     ALIASES_MAX_INCLUDE_DEPTH deep; the path must be
 *                     absolute; an unreadable file is a warning and
 *                     adds nothing
 *   |command, /file   local delivery to a program or a file: minimta
 *                     does no local delivery, so these are skipped with
 *                     a warning "FILE:LINE: ..." (the other targets of
 *                     the entry still apply)
 *
 * Duplicate names: the first entry is kept and the later one is skipped
 * with a warning, as Postfix's postalias does (DICT_FLAG_DUP_WARN).
 *
 * Parsing is pure (aliases_parse, aliases_parse_include: bytes in, no I/O,
 * no logging; aliases_lex.c has the byte-level syntax); aliases_load
 * (aliases_load.c) reads the files. Problems in the data are
 * warnings ("FILE:LINE: reason", cleaned of control bytes) kept in the
 * struct for the caller to print; only broken limits fail a parse.
 *
 * Expansion (aliases_expand) follows local names recursively, leaves out
 * duplicates, and treats a name met again inside its own expansion as a
 * plain local name (sendmail's rule: "root: root, admin@example.org"
 * delivers to root and admin@example.org). It fails past
 * ALIASES_MAX_DEPTH levels or past max results.
 *
 * Ownership: struct aliases is the caller's (aliases_free); strings from
 * aliases_warning() are borrowed until aliases_free().
 */
#ifndef ALIASES_H
#define ALIASES_H

#include <stdbool.h>
#include <stddef.h>

#include "compat.h"

struct why;
struct addr_list;

#define ALIASES_MAX_FILE	(16 * 1024 * 1024)	/* bytes per file */
#define ALIASES_MAX_ENTRIES	100000
#define ALIASES_MAX_TARGETS	10000	/* per entry or include file */
#define ALIASES_MAX_NAME	256	/* bytes in a name */
#define ALIASES_MAX_TARGET	1000	/* bytes in a target */
#define ALIASES_MAX_INCLUDES	100	/* distinct :include: files */
#define ALIASES_MAX_INCLUDE_DEPTH 8	/* files including files */
#define ALIASES_MAX_DEPTH	20	/* expansion levels */
#define ALIASES_MAX_RESULTS	1000	/* default for max == 0 */
#define ALIASES_MAX_WARNINGS	100	/* kept; more are counted */

struct aliases;

struct aliases	*aliases_new(void);
void		 aliases_free(struct aliases *);

/*
 * Adds the entries of an aliases file held in text[0..len) (filename is
 * used in warnings only). Returns 0, or -1 with why "FILE:LINE: reason"
 * when a limit is passed (the entries before it stay).
 */
int	aliases_parse(struct aliases *, const char *filename,
	    const char *text, size_t len, struct why *);

/*
 * Sets the target list of the :include: file path from its text. Returns
 * 0, or -1 with why when a limit is passed.
 */
int	aliases_parse_include(struct aliases *, const char *path,
	    const char *text, size_t len, struct why *);

/*
 * Reads and parses the aliases file at path and every :include: file it
 * names (recursively, ALIASES_MAX_INCLUDE_DEPTH). An include file that
 * cannot be read is a warning. Returns 0 with *out set (the caller frees
 * it), or -1 with errno and why set: ENOENT when path does not exist
 * (the caller may treat that as "no aliases"), EFBIG when it is too large,
 * EINVAL when a limit is passed.
 */
int	aliases_load(const char *path, struct aliases **out, struct why *);

/*
 * For aliases_load (aliases_load.c): the i-th :include: file named so far,
 * in the order found (parsing an include file may add more): its path,
 * borrowed until aliases_free(), or NULL past the end; *depth is how deep
 * it is nested (1: named in the aliases file), *loaded whether its text
 * was parsed. aliases_include_skipped() records the warning "FILE:LINE:
 * include PATH skipped: REASON", FILE:LINE where it was first named.
 */
const char *aliases_include(const struct aliases *, size_t i, int *depth,
	    bool *loaded);
void	aliases_include_skipped(struct aliases *, size_t i, const char *fmt,
	    ...) PRINTFLIKE(3, 4);

/*
 * Expands the local name (case-insensitive) and appends the resulting
 * addresses and local names to out. A name that is not an alias gives
 * itself. max bounds the number of results (0: ALIASES_MAX_RESULTS).
 * Returns 0 (out may gain no entry at all when every target of the alias
 * was skipped; why then says so), or -1 with why set (too deep, too many
 * results); out is then left as it was.
 */
int	aliases_expand(const struct aliases *, const char *name, size_t max,
	    struct addr_list *out, struct why *);

size_t	aliases_count(const struct aliases *);
bool	aliases_exists(const struct aliases *, const char *name);

/* Warnings in the order found: "FILE:LINE: reason". */
size_t	aliases_nwarnings(const struct aliases *);
/* How many of the warnings are malformed lines or targets (newaliases
 * exits 65 when there are any); the others are skips by policy. */
size_t	aliases_nerrors(const struct aliases *);
const char *aliases_warning(const struct aliases *, size_t);

#endif
