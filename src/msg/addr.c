/*
 * addr.c: RFC 5322 3.4 address lists (addr_parse_list, addr_rewrite) and
 * the address vector. Envelope addresses and the helpers on canonical
 * addresses are in addr_envelope.c; the shared character classes in
 * addr_syntax.c.
 *
 * The list parser is a lexer (CFWS skipped, atoms, quoted strings,
 * domain literals, specials) under a small recursive-descent parser with
 * one token of look-ahead. Nothing recurses on input: comment nesting is
 * a counter, groups are one level deep, every loop consumes input.
 */
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "addr_syntax.h"
#include "buf.h"
#include "why.h"
#include "xmalloc.h"

void
addr_list_init(struct addr_list *l)
{
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
	l->noalias = NULL;
}

void
addr_list_free(struct addr_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->noalias);
	addr_list_init(l);
}

static void
addr_list_push(struct addr_list *l, char *s, bool noalias)
{
	size_t i;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
		if (l->noalias != NULL)
			l->noalias = xreallocarray(l->noalias, l->cap,
			    sizeof(*l->noalias));
	}
	if (noalias && l->noalias == NULL) {
		l->noalias = xreallocarray(NULL, l->cap,
		    sizeof(*l->noalias));
		for (i = 0; i < l->n; i++)
			l->noalias[i] = false;
	}
	if (l->noalias != NULL)
		l->noalias[l->n] = noalias;
	l->v[l->n++] = s;
}

bool
addr_list_noalias(const struct addr_list *l, size_t i)
{
	return l->noalias != NULL && i < l->n && l->noalias[i];
}

void
addr_list_add(struct addr_list *l, const char *s)
{
	addr_list_push(l, xstrdup(s), false);
}

static void
addr_list_truncate(struct addr_list *l, size_t n)
{
	while (l->n > n)
		free(l->v[--l->n]);
}

/* ---- the lexer ---- */

enum tok_type {
	TOK_END,
	TOK_ERR,
	TOK_ATOM,	/* atext and dots: "john", "a.b", "."; or, with
			   bslash, "\\root" (start at the backslash) */
	TOK_QSTR,	/* quoted string, decoded into lex.text */
	TOK_DLIT,	/* domain literal, content decoded into lex.text */
	TOK_SPECIAL,	/* < > @ , ; : */
};

struct tok {
	enum tok_type	 type;
	char		 c;		/* TOK_SPECIAL */
	bool		 bslash;	/* TOK_ATOM after a backslash */
	size_t		 start, end;	/* offsets in the input */
};

struct lex {
	const char	*s;
	size_t		 len, pos;
	struct buf	 text;		/* decoded TOK_QSTR/TOK_DLIT */
	struct tok	 peek;
	bool		 have_peek;
	const char	*err;
	size_t		 err_pos;
};

static enum tok_type
lex_fail(struct lex *lx, struct tok *t, const char *msg, size_t pos)
{
	lx->err = msg;
	lx->err_pos = pos;
	t->type = TOK_ERR;
	return TOK_ERR;
}

/* Skips whitespace (folds included) and comments; false when a comment
 * is unterminated. */
static bool
lex_cfws(struct lex *lx)
{
	size_t depth, open;

	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			lx->pos++;
			continue;
		}
		if (c != '(')
			return true;
		open = lx->pos++;
		depth = 1;
		while (depth > 0) {
			if (lx->pos >= lx->len) {
				lx->err = "unterminated comment";
				lx->err_pos = open;
				return false;
			}
			c = lx->s[lx->pos++];
			if (c == '\\') {
				if (lx->pos >= lx->len)
					continue;	/* reported above */
				lx->pos++;
			} else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		}
	}
	return true;
}

/*
 * Reads a quoted string or domain literal body after its opening byte,
 * decoding quoted pairs and dropping folds (CR and LF) into lx->text.
 */
static enum tok_type
lex_quoted(struct lex *lx, struct tok *t, char close, enum tok_type type,
    const char *what)
{
	buf_reset(&lx->text);
	lx->pos++;
	for (;;) {
		char c;

		if (lx->pos >= lx->len)
			return lex_fail(lx, t, what, t->start);
		c = lx->s[lx->pos++];
		if (c == close)
			break;
		if (c == '\\') {
			if (lx->pos >= lx->len)
				return lex_fail(lx, t, what, t->start);
			c = lx->s[lx->pos++];
		} else if (c == '\r' || c == '\n')
			continue;
		else if (close == ']' && c == '[')
			return lex_fail(lx, t, "'[' in domain literal",
			    lx->pos - 1);
		if (c == '\0')
			return lex_fail(lx, t, "NUL byte", lx->pos - 1);
		buf_addc(&lx->text, c);
	}
	t->type = type;
	t->end = lx->pos;
	return type;
}

static enum tok_type
lex_read(struct lex *lx, struct tok *t)
{
	unsigned char c;

	if (!lex_cfws(lx))
		return lex_fail(lx, t, lx->err, lx->err_pos);
	t->start = t->end = lx->pos;
	t->bslash = false;
	if (lx->pos >= lx->len) {
		t->type = TOK_END;
		return TOK_END;
	}
	c = (unsigned char)lx->s[lx->pos];
	switch (c) {
	case '"':
		return lex_quoted(lx, t, '"', TOK_QSTR,
		    "unterminated quoted string");
	case '[':
		return lex_quoted(lx, t, ']', TOK_DLIT,
		    "unterminated domain literal");
	case '<': case '>': case '@': case ',': case ';': case ':':
		lx->pos++;
		t->type = TOK_SPECIAL;
		t->c = (char)c;
		t->end = lx->pos;
		return TOK_SPECIAL;
	case ')':
		return lex_fail(lx, t, "unbalanced ')'", lx->pos);
	case ']':
		return lex_fail(lx, t, "unbalanced ']'", lx->pos);
	case '\\':
		/* "\\root": sendmail's unaliased local name; the parser
		 * takes it as the first word of an addr-spec only */
		if (lx->pos + 1 >= lx->len || !addr_syntax_atext(
		    (unsigned char)lx->s[lx->pos + 1]))
			return lex_fail(lx, t, "backslash outside quotes",
			    lx->pos);
		t->bslash = true;
		c = (unsigned char)lx->s[++lx->pos];
		break;
	default:
		break;
	}
	if (c != '.' && !addr_syntax_atext(c))
		return lex_fail(lx, t, "control character", lx->pos);
	while (lx->pos < lx->len && (lx->s[lx->pos] == '.' ||
	    addr_syntax_atext((unsigned char)lx->s[lx->pos])))
		lx->pos++;
	t->type = TOK_ATOM;
	t->end = lx->pos;
	return TOK_ATOM;
}

static const struct tok *
lex_peek(struct lex *lx)
{
	if (!lx->have_peek) {
		(void)lex_read(lx, &lx->peek);
		lx->have_peek = true;
	}
	return &lx->peek;
}

/* Consumes the peeked token. */
static void
lex_take(struct lex *lx)
{
	lx->have_peek = false;
}

static bool
tok_is(const struct tok *t, char c)
{
	return t->type == TOK_SPECIAL && t->c == c;
}

/* ---- the parser ---- */

struct span {
	size_t	start, end;
};

struct parser {
	struct lex	 lx;
	size_t		 max;
	struct addr_list *out;
	/* addr_rewrite: where each address was in the input */
	struct span	*spans;
	size_t		 nspans, capspans;
	bool		 want_spans;
	struct buf	 local;		/* the decoded local part */
	bool		 bslash;	/* it was given as "\\name" */
	struct buf	 addr;		/* the canonical address */
	enum addr_result result;
	struct why	*why;
};

static bool
parse_fail(struct parser *p, const char *msg, size_t pos)
{
	if (p->result == ADDR_OK)
		p->result = ADDR_BAD;
	why_set(p->why, "%s at offset %zu", msg, pos);
	return false;
}

/* Reports a lexer error if the peeked token is one. */
static bool
lex_error(struct parser *p, const struct tok *t)
{
	if (t->type != TOK_ERR)
		return false;
	(void)parse_fail(p, p->lx.err, p->lx.err_pos);
	return true;
}

/*
 * Words of a local part: atoms and quoted strings, joined where an atom
 * begins or ends with a dot (obs-local-part allows CFWS around dots).
 * Sets *joined false where two words meet without a dot ("john doe"):
 * that is a phrase, not a local part. Returns the number of words, or
 * SIZE_MAX after a lexer error.
 */
static size_t
parse_words(struct parser *p, bool *joined, size_t *start, size_t *end)
{
	const struct tok *t;
	size_t n = 0;
	bool prev_dot = false;

	buf_reset(&p->local);
	p->bslash = false;
	*joined = true;
	for (;;) {
		t = lex_peek(&p->lx);
		if (lex_error(p, t))
			return SIZE_MAX;
		if (t->type != TOK_ATOM && t->type != TOK_QSTR)
			return n;
		if (n == 0)
			*start = t->start;
		*end = t->end;
		if (t->type == TOK_ATOM) {
			const char *a = p->lx.s + t->start;
			size_t alen = t->end - t->start;

			if (t->bslash) {
				if (n > 0) {
					(void)parse_fail(p, "backslash outside "
					    "quotes", t->start);
					return SIZE_MAX;
				}
				p->bslash = true;
				a++;
				alen--;
			}

			if (n > 0 && !prev_dot && a[0] != '.')
				*joined = false;
			buf_add(&p->local, a, alen);
			prev_dot = a[alen - 1] == '.';
		} else {
			if (n > 0 && !prev_dot)
				*joined = false;
			buf_add(&p->local, p->lx.text.data, p->lx.text.len);
			prev_dot = false;
		}
		lex_take(&p->lx);
		n++;
	}
}

/* The domain after '@': a domain literal or dot-joined atoms. */
static bool
parse_domain(struct parser *p, size_t *end)
{
	const struct tok *t;
	size_t n = 0, mark, at;
	bool prev_dot = false;

	t = lex_peek(&p->lx);
	if (lex_error(p, t))
		return false;
	at = t->start;
	if (t->type == TOK_DLIT) {
		if (!addr_syntax_literal(p->lx.text.data, p->lx.text.len))
			return parse_fail(p, "bad domain literal", t->start);
		buf_addc(&p->addr, '[');
		buf_add(&p->addr, p->lx.text.data, p->lx.text.len);
		buf_addc(&p->addr, ']');
		*end = t->end;
		lex_take(&p->lx);
		return true;
	}
	mark = p->addr.len;
	while (t->type == TOK_ATOM) {
		const char *a = p->lx.s + t->start;
		size_t alen = t->end - t->start;

		if (n > 0 && !prev_dot && a[0] != '.')
			break;	/* "a@b c@d": the caller wants a comma */
		buf_add(&p->addr, a, alen);
		prev_dot = a[alen - 1] == '.';
		*end = t->end;
		lex_take(&p->lx);
		n++;
		t = lex_peek(&p->lx);
		if (lex_error(p, t))
			return false;
	}
	if (n == 0)
		return parse_fail(p, "missing domain", at);
	if (!addr_syntax_domain(p->addr.data + mark, p->addr.len - mark))
		return parse_fail(p, "bad domain", at);
	return true;
}

static bool
emit(struct parser *p, size_t start, size_t end)
{
	if (!addr_syntax_utf8((const unsigned char *)p->addr.data, p->addr.len))
		return parse_fail(p, "invalid UTF-8 in address", start);
	if (p->out->n >= p->max) {
		p->result = ADDR_TOO_MANY;
		why_set(p->why, "more than %zu addresses", p->max);
		return false;
	}
	addr_list_push(p->out, xstrndup(p->addr.data, p->addr.len),
	    p->bslash);
	if (p->want_spans) {
		if (p->nspans == p->capspans) {
			p->capspans = p->capspans ? p->capspans * 2 : 8;
			p->spans = xreallocarray(p->spans, p->capspans,
			    sizeof(*p->spans));
		}
		p->spans[p->nspans].start = start;
		p->spans[p->nspans].end = end;
		p->nspans++;
	}
	return true;
}

/*
 * With the local part decoded in p->local, parses an optional "@domain"
 * and emits the address.
 */
static bool
finish_addr_spec(struct parser *p, size_t start, size_t end)
{
	const struct tok *t;
	size_t i;

	for (i = 0; i < p->local.len; i++)
		if (addr_syntax_ctl((unsigned char)p->local.data[i]))
			return parse_fail(p, "control character in local part",
			    start);
	buf_reset(&p->addr);
	addr_syntax_local_canon(&p->addr, p->local.data, p->local.len);
	t = lex_peek(&p->lx);
	if (lex_error(p, t))
		return false;
	if (tok_is(t, '@')) {
		if (p->bslash)
			return parse_fail(p, "backslash before a qualified "
			    "address", start);
		lex_take(&p->lx);
		buf_addc(&p->addr, '@');
		if (!parse_domain(p, &end))
			return false;
	}
	return emit(p, start, end);
}

/* After '<': [obs-route] addr-spec '>', or "<>" (no address). */
static bool
parse_angle(struct parser *p, size_t open)
{
	const struct tok *t;
	size_t n, start = 0, end = 0;
	bool joined;

	t = lex_peek(&p->lx);
	if (lex_error(p, t))
		return false;
	if (tok_is(t, '>')) {
		lex_take(&p->lx);
		return true;
	}
	if (tok_is(t, '@')) {
		/* RFC 5322 4.4 obs-route: "@a,@b:" — dropped. */
		for (;;) {
			t = lex_peek(&p->lx);
			if (lex_error(p, t))
				return false;
			if (tok_is(t, ':'))
				break;
			if (t->type == TOK_END || t->type == TOK_QSTR ||
			    (t->type == TOK_SPECIAL && !tok_is(t, '@') &&
			    !tok_is(t, ',')))
				return parse_fail(p, "bad route", t->start);
			lex_take(&p->lx);
		}
		lex_take(&p->lx);
	}
	n = parse_words(p, &joined, &start, &end);
	if (n == SIZE_MAX)
		return false;
	t = lex_peek(&p->lx);
	if (n == 0)
		return parse_fail(p, t->type == TOK_END ?
		    "unterminated angle address" : "missing local part",
		    t->type == TOK_END ? open : t->start);
	if (!joined)
		return parse_fail(p, "space in local part", start);
	if (!finish_addr_spec(p, start, end))
		return false;
	t = lex_peek(&p->lx);
	if (lex_error(p, t))
		return false;
	if (t->type == TOK_END)
		return parse_fail(p, "unterminated angle address", open);
	if (!tok_is(t, '>'))
		return parse_fail(p, "expected '>'", t->start);
	lex_take(&p->lx);
	return true;
}

static bool	parse_group(struct parser *);

/*
 * One list element: nothing (an empty element), a mailbox, or (unless
 * in_group) a group. Leaves the separator after it unconsumed.
 */
static bool
parse_element(struct parser *p, bool in_group)
{
	const struct tok *t;
	size_t n, start = 0, end = 0;
	bool joined;

	n = parse_words(p, &joined, &start, &end);
	if (n == SIZE_MAX)
		return false;
	t = lex_peek(&p->lx);
	if (p->bslash && (tok_is(t, '<') || tok_is(t, ':')))
		return parse_fail(p, "backslash outside quotes", start);
	if (tok_is(t, '<')) {
		size_t open = t->start;

		lex_take(&p->lx);
		return parse_angle(p, open);
	}
	if (tok_is(t, ':')) {
		if (in_group)
			return parse_fail(p, "nested group", t->start);
		lex_take(&p->lx);
		return parse_group(p);
	}
	if (n == 0) {
		if (tok_is(t, '@'))
			return parse_fail(p, "missing local part", t->start);
		if (tok_is(t, ',') || tok_is(t, ';') || t->type == TOK_END)
			return true;	/* empty element */
		return parse_fail(p, "unexpected character", t->start);
	}
	if (!joined)
		return parse_fail(p, tok_is(t, '@') ? "space in local part" :
		    "missing comma or address", start);
	return finish_addr_spec(p, start, end);
}

/* After "name:": mailboxes up to ';' (or the end: a common omission). */
static bool
parse_group(struct parser *p)
{
	const struct tok *t;

	for (;;) {
		t = lex_peek(&p->lx);
		if (lex_error(p, t))
			return false;
		if (tok_is(t, ';')) {
			lex_take(&p->lx);
			return true;
		}
		if (t->type == TOK_END)
			return true;
		if (!parse_element(p, true))
			return false;
		t = lex_peek(&p->lx);
		if (lex_error(p, t))
			return false;
		if (tok_is(t, ','))
			lex_take(&p->lx);
		else if (!tok_is(t, ';') && t->type != TOK_END)
			return parse_fail(p, "missing comma", t->start);
	}
}

static enum addr_result
parse_list(struct parser *p)
{
	const struct tok *t;

	for (;;) {
		if (!parse_element(p, false))
			return p->result;
		t = lex_peek(&p->lx);
		if (lex_error(p, t))
			return p->result;
		if (t->type == TOK_END)
			return ADDR_OK;
		if (!tok_is(t, ',')) {
			(void)parse_fail(p, tok_is(t, ';') ? "unexpected ';'" :
			    "missing comma", t->start);
			return p->result;
		}
		lex_take(&p->lx);
	}
}

static void
parser_init(struct parser *p, const char *s, size_t len, size_t max,
    struct addr_list *out, struct why *why)
{
	memset(p, 0, sizeof(*p));
	p->lx.s = s;
	p->lx.len = len;
	buf_init(&p->lx.text);
	buf_init(&p->local);
	buf_init(&p->addr);
	p->max = max;
	p->out = out;
	p->result = ADDR_OK;
	p->why = why;
}

static void
parser_free(struct parser *p)
{
	buf_free(&p->lx.text);
	buf_free(&p->local);
	buf_free(&p->addr);
	free(p->spans);
}

enum addr_result
addr_parse_list(const char *s, size_t len, size_t max, struct addr_list *out,
    struct why *why)
{
	struct parser p;
	enum addr_result r;
	size_t n0 = out->n;

	parser_init(&p, s, len, max, out, why);
	r = parse_list(&p);
	if (r != ADDR_OK)
		addr_list_truncate(out, n0);
	parser_free(&p);
	return r;
}

size_t
addr_rewrite(struct buf *out, const char *value, size_t len, const char *old,
    const char *new_addr)
{
	struct parser p;
	struct addr_list l;
	size_t i, pos = 0, n = 0;

	addr_list_init(&l);
	parser_init(&p, value, len, SIZE_MAX, &l, NULL);
	p.want_spans = true;
	if (parse_list(&p) != ADDR_OK) {
		buf_add(out, value, len);
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		if (!addr_equal(l.v[i], old))
			continue;
		buf_add(out, value + pos, p.spans[i].start - pos);
		buf_adds(out, new_addr);
		pos = p.spans[i].end;
		n++;
	}
	buf_add(out, value + pos, len - pos);
out:
	parser_free(&p);
	addr_list_free(&l);
	return n;
}

size_t
addr_qualify_list(struct buf *out, const char *value, size_t len,
    const char *domain)
{
	struct parser p;
	struct addr_list l;
	size_t i, pos = 0, n = 0, start;

	addr_list_init(&l);
	parser_init(&p, value, len, SIZE_MAX, &l, NULL);
	p.want_spans = true;
	if (domain == NULL || *domain == '\0' || parse_list(&p) != ADDR_OK) {
		buf_add(out, value, len);
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		if (!addr_is_local(l.v[i]))
			continue;
		/* the span is the local part as written: keep it, but not
		 * the backslash (not RFC 5322 syntax) */
		start = p.spans[i].start + (addr_list_noalias(&l, i) ? 1 : 0);
		buf_add(out, value + pos, p.spans[i].start - pos);
		buf_add(out, value + start, p.spans[i].end - start);
		buf_addc(out, '@');
		buf_adds(out, domain);
		pos = p.spans[i].end;
		n++;
	}
	buf_add(out, value + pos, len - pos);
out:
	parser_free(&p);
	addr_list_free(&l);
	return n;
}
