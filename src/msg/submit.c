#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "buf.h"
#include "canon.h"
#include "conf.h"
#include "dsnparam.h"
#include "envelope.h"
#include "header.h"
#include "journal.h"
#include "log.h"
#include "qfile.h"
#include "submit.h"
#include "xmalloc.h"

#define SUBMIT_CHUNK		131072	/* half the read and write calls of 64 KiB */
#define SUBMIT_MAX_FIELDS	10000	/* header fields in one message */

/* The recipients taken so far, by address (addr_equal): a hash set of
 * indices into env.rcpts, so that de-duplication is linear. */
struct rcpt_set {
	size_t	*slot;		/* index + 1; 0 is empty */
	size_t	 cap;		/* a power of two */
};

struct submit_ctx {
	const struct conf		*conf;
	const struct submit_request	*req;
	const struct submit_source	*src;
	struct canon			 canon;
	struct buf			 out;	/* stored form, pending */
	char				*chunk;
	bool				 eof;
	/* the body: canon leaves the chunk's first direct bytes in place */
	bool				 direct_ok;
	size_t				 direct;
	char				*sender;	/* final sender */
	char				*sender_given;	/* before mapping */
	struct envelope			 env;
	struct rcpt_set			 seen;
	size_t				 added;	/* header bytes we wrote */
	char				*msgid;	/* Message-ID's value */
};

/* Equal for addresses addr_equal() calls equal: the local part as it is,
 * the domain without case. */
static size_t
rcpt_hash(const char *a)
{
	const char *d = addr_domain(a);
	uint64_t h = 14695981039346656037u;

	for (; *a != '\0'; a++) {
		unsigned char ch = (unsigned char)*a;

		if (d != NULL && a >= d)
			ch = (unsigned char)tolower(ch);
		h = (h ^ ch) * 1099511628211u;
	}
	return (size_t)h;
}

static bool
rcpt_seen(const struct submit_ctx *c, const char *a)
{
	size_t i;

	if (c->seen.cap == 0)
		return false;
	for (i = rcpt_hash(a) & (c->seen.cap - 1); c->seen.slot[i] != 0;
	    i = (i + 1) & (c->seen.cap - 1))
		if (addr_equal(c->env.rcpts[c->seen.slot[i] - 1].addr, a))
			return true;
	return false;
}

static void
rcpt_set_put(struct rcpt_set *set, const struct envelope *env, size_t idx)
{
	size_t i = rcpt_hash(env->rcpts[idx].addr) & (set->cap - 1);

	while (set->slot[i] != 0)
		i = (i + 1) & (set->cap - 1);
	set->slot[i] = idx + 1;
}

/* Records env.rcpts' last entry; the table stays at most half full. */
static void
rcpt_mark(struct submit_ctx *c)
{
	struct rcpt_set *set = &c->seen;
	size_t i, n = c->env.nrcpts;

	if (2 * n > set->cap) {
		free(set->slot);
		set->cap = set->cap ? set->cap * 2 : 64;
		while (2 * n > set->cap)
			set->cap *= 2;
		set->slot = xcalloc(set->cap, sizeof(*set->slot));
		for (i = 0; i < n; i++)
			rcpt_set_put(set, &c->env, i);
		return;
	}
	rcpt_set_put(set, &c->env, n - 1);
}

static bool
is_local_domain(const struct conf *conf, const char *addr)
{
	const char *d = addr_domain(addr);

	return d == NULL || strcasecmp(d, "localhost") == 0 ||
	    strcasecmp(d, "localhost.localdomain") == 0 ||
	    (conf->hostname != NULL && strcasecmp(d, conf->hostname) == 0);
}

char *
submit_map_sender(const struct conf *conf, const char *addr)
{
	const char *d;
	char *user;
	size_t i;

	if (*addr == '\0' || !is_local_domain(conf, addr))
		return xstrdup(addr);
	/* the '@' outside the quotes: "a@b"@host's user is "a@b" */
	d = addr_domain(addr);
	user = d ? xstrndup(addr, (size_t)(d - 1 - addr)) : xstrdup(addr);
	for (i = 0; i < conf->nsender_maps; i++) {
		if (strcmp(conf->sender_maps[i].user, user) == 0) {
			free(user);
			return xstrdup(conf->sender_maps[i].address);
		}
	}
	if (conf->masquerade != NULL) {
		char *r = strchr(conf->masquerade, '@') != NULL ?
		    xstrdup(conf->masquerade) :
		    xasprintf("%s@%s", user, conf->masquerade);

		free(user);
		return r;
	}
	free(user);
	if (addr_is_local(addr))
		return addr_qualify(addr, conf->domain);
	return xstrdup(addr);
}

/* Reads and canonicalizes the next chunk; false at end of input. */
static int
pump(struct submit_ctx *c, struct why *why)
{
	ssize_t n;
	size_t used;

	c->direct = 0;
	if (c->eof || c->canon.done)
		return 0;
	n = c->src->read(c->src->arg, c->chunk, SUBMIT_CHUNK);
	if (n == -1) {
		why_errno(why, "read message");
		return -1;
	}
	if (n == 0) {
		c->eof = true;
		canon_finish(&c->canon, &c->out);
		return 0;
	}
	used = c->direct_ok ? canon_feed_direct(&c->canon, c->chunk,
	    (size_t)n, &c->out, &c->direct) : canon_feed(&c->canon, c->chunk,
	    (size_t)n, &c->out);
	if (c->canon.done && used < (size_t)n && c->src->unread != NULL)
		c->src->unread(c->src->arg, c->chunk + used, (size_t)n - used);
	return 1;
}

/* -bs: after a refusal, the rest of the DATA still has to be read. */
static void
drain(struct submit_ctx *c)
{
	struct why ignored;

	if (!c->req->smtp_data)
		return;
	while (pump(c, &ignored) == 1)
		buf_reset(&c->out);
}

/* noalias: given as "\\name", the local name itself (sendmail) */
static enum submit_result
add_rcpt(struct submit_ctx *c, struct aliases *al, const char *addr,
    bool noalias, const char *given_orcpt, struct why *why)
{
	struct addr_list exp;
	const char *orig = addr;
	size_t i;
	enum submit_result rc = SUBMIT_OK;

	addr_list_init(&exp);
	if (addr_is_local(addr) && al != NULL && !noalias &&
	    aliases_expand(al, addr, (size_t)c->conf->max_recipients,
	    &exp, why) == -1) {
		addr_list_free(&exp);
		return SUBMIT_BAD_MESSAGE;
	}
	if (exp.n == 0)
		addr_list_add(&exp, addr);
	for (i = 0; i < exp.n && rc == SUBMIT_OK; i++) {
		char *q = addr_qualify(exp.v[i], c->conf->domain);
		bool dup = rcpt_seen(c, q);

		if (!dup && c->env.nrcpts >= (size_t)c->conf->max_recipients) {
			why_set(why, "too many recipients (max_recipients %ld)",
			    c->conf->max_recipients);
			rc = SUBMIT_BAD_MESSAGE;
		} else if (!dup) {
			char *orcpt = NULL;

			/* the submitter's ORCPT, else the original of an
			 * address an alias rewrote (RFC 3461 4.2) */
			if (given_orcpt != NULL) {
				orcpt = xstrdup(given_orcpt);
			} else if (strcmp(exp.v[i], orig) != 0) {
				char *qo = addr_qualify(orig, c->conf->domain);

				orcpt = xasprintf("rfc822;%s", qo);
				free(qo);
			}
			envelope_add_rcpt(&c->env, q, orcpt);
			rcpt_mark(c);
			free(orcpt);
		}
		free(q);
	}
	addr_list_free(&exp);
	return rc;
}

/* An ORCPT we keep: "type;address", printable, bounded (RFC 3461 4.2). */
static bool
orcpt_ok(const char *s)
{
	const char *semi;

	return s != NULL && (semi = strchr(s, ';')) != NULL && semi > s &&
	    semi[1] != '\0' && strlen(s) <= ADDR_MAX + 32 &&
	    envelope_field_ok(s);
}

static enum submit_result
collect_rcpts(struct submit_ctx *c, const struct header_list *hl,
    struct why *why)
{
	const struct submit_request *req = c->req;
	struct addr_list given;
	struct aliases *al = NULL;
	const char **orcpt = NULL;	/* parallel to given */
	size_t i, k, max = (size_t)c->conf->max_recipients;
	enum submit_result rc = SUBMIT_OK;
	struct why w;

	addr_list_init(&given);
	orcpt = xcalloc(max + 1, sizeof(*orcpt));
	if (!(req->extract && c->conf->t_args_remove)) {
		for (i = 0; i < req->nrcpts; i++) {
			size_t before = given.n;
			enum addr_result r;

			w.text[0] = '\0';
			r = addr_parse_list(req->rcpts[i],
			    strlen(req->rcpts[i]), max, &given, &w);
			if (r == ADDR_TOO_MANY) {
				why_set(why, "too many recipients "
				    "(max_recipients %zu)", max);
				rc = SUBMIT_BAD_MESSAGE;
				goto out;
			}
			if (r != ADDR_OK || given.n == before) {
				why_set(why, "bad recipient address: %s%s%s",
				    req->rcpts[i], w.text[0] == '\0' ? "" :
				    ": ", w.text);
				rc = SUBMIT_BAD_REQUEST;
				goto out;
			}
			for (k = before; k < given.n; k++)
				orcpt[k] = req->orcpts != NULL &&
				    orcpt_ok(req->orcpts[i]) ?
				    req->orcpts[i] : NULL;
		}
	}
	if (req->extract) {
		enum addr_result r = header_recipients(hl, max, &given, &w);

		if (r != ADDR_OK) {
			why_set(why, "-t: %s", r == ADDR_TOO_MANY ?
			    "too many recipients" : w.text);
			rc = SUBMIT_BAD_MESSAGE;
			goto out;
		}
	}
	for (i = 0; i < given.n; i++) {
		if (!addr_check(given.v[i], &w)) {
			why_set(why, "bad recipient address: %s", w.text);
			rc = SUBMIT_BAD_MESSAGE;
			goto out;
		}
	}
	if (given.n == 0) {
		why_set(why, req->extract ? "no recipients: none given and "
		    "none found in To:, Cc: or Bcc: (-t)" :
		    "no recipients given");
		rc = SUBMIT_BAD_REQUEST;
		goto out;
	}
	/* only unqualified names go through the aliases (DESIGN.md) */
	for (i = 0; i < given.n && al == NULL; i++) {
		if (addr_is_local(given.v[i]) &&
		    !addr_list_noalias(&given, i) && c->conf->aliases != NULL &&
		    aliases_load(c->conf->aliases, &al, &w) == -1) {
			if (errno != ENOENT)
				log_warn("aliases: %s: not used", w.text);
			break;
		}
	}
	for (i = 0; i < given.n && rc == SUBMIT_OK; i++)
		rc = add_rcpt(c, al, given.v[i],
		    addr_list_noalias(&given, i), orcpt[i], why);
	for (i = 0; i < c->env.nrcpts; i++)
		if (addr_is_8bit(c->env.rcpts[i].addr))
			c->env.smtputf8 = true;
out:
	free(orcpt);
	aliases_free(al);
	addr_list_free(&given);
	return rc;
}

static enum submit_result
resolve_sender(struct submit_ctx *c, struct why *why)
{
	const char *s = c->req->sender ? c->req->sender : c->req->login;
	char *parsed = NULL;
	struct why w;

	if (c->req->sender_checked) {
		parsed = xstrdup(s);
	} else if (addr_parse_envelope(s, true, &parsed, &w) != ADDR_OK) {
		why_set(why, "bad sender address: %s", w.text);
		return SUBMIT_BAD_REQUEST;
	}
	c->sender_given = parsed;
	c->sender = submit_map_sender(c->conf, parsed);
	c->env.sender = xstrdup(c->sender);
	if (addr_is_8bit(c->sender))
		c->env.smtputf8 = true;
	return SUBMIT_OK;
}

void
submit_received(const struct conf *conf, uid_t uid, const char *peer,
    const char *id, struct buf *hb)
{
	if (peer != NULL)
		buf_printf(hb, "Received: from %s\n\tby %s (minimta, from "
		    "userid %lu) with ESMTP\n\tid %s; ", peer, conf->hostname,
		    (unsigned long)uid, id);
	else
		buf_printf(hb, "Received: by %s (minimta, from userid %lu)\n"
		    "\tid %s; ", conf->hostname, (unsigned long)uid, id);
	header_date(hb, time(NULL));
	buf_addc(hb, '\n');
}

void
submit_rewrite_field(struct buf *hb, const struct header *h, const char *given,
    const char *qual_given, const char *sender, const char *domain)
{
	struct buf v, t, u;
	const char *val = h->value;
	size_t len = h->value_len, n = 0;

	buf_init(&v);
	buf_init(&t);
	buf_init(&u);
	if (given != NULL) {
		n += header_rewrite_address(&t, val, len, given, sender);
		n += header_rewrite_address(&u, t.data ? t.data : "", t.len,
		    qual_given, sender);
		val = u.data ? u.data : "";
		len = u.len;
	}
	buf_add(&v, h->name, h->name_len);
	buf_addc(&v, ':');
	n += header_qualify(&v, val, len, domain);
	buf_addc(&v, '\n');
	/* unchanged: as it came (an obs-field's "From :" stays) */
	if (n == 0)
		header_write_folded(hb, h->field, h->field_len);
	else
		header_write_folded(hb, v.data, v.len);
	buf_free(&u);
	buf_free(&t);
	buf_free(&v);
}

/* Appends the rewritten header block to hb. */
static void
write_headers(struct submit_ctx *c, const struct header_list *hl,
    const char *id, bool received, struct buf *hb)
{
	const struct conf *conf = c->conf;
	struct buf v;
	bool from = false, date = false, msgid = false;
	char *qual_given = NULL;
	size_t i, mark = hb->len;

	buf_init(&v);
	/* a drop file keeps the SMTP client's line; pickup adds its own */
	if (received || c->req->peer != NULL)
		submit_received(conf, c->req->uid, c->req->peer, id, hb);
	c->added += hb->len - mark;
	if (c->sender_given[0] != '\0')
		qual_given = addr_qualify(c->sender_given, conf->hostname);
	for (i = 0; i < hl->n; i++) {
		const struct header *h = &hl->v[i];

		if (header_is_bcc(h))
			continue;
		if (header_name_is(h, "Date"))
			date = true;
		else if (header_name_is(h, "Message-ID") && !msgid) {
			msgid = true;
			/* for the log line (cleanup's message-id=) */
			c->msgid = xstrndup(h->value, h->value_len);
		}
		if (header_name_is(h, "From")) {
			from = true;
			/* masquerading: the local sender's own address */
			if (qual_given != NULL &&
			    strcmp(c->sender, c->sender_given) != 0) {
				submit_rewrite_field(hb, h, c->sender_given,
				    qual_given, c->sender, conf->domain);
				continue;
			}
		}
		/* unqualified addresses get the domain, whoever submits */
		if (header_is_address_field(h))
			submit_rewrite_field(hb, h, NULL, NULL, NULL,
			    conf->domain);
		else
			header_write_folded(hb, h->field, h->field_len);
	}
	mark = hb->len;
	if (!from) {
		buf_reset(&v);
		buf_adds(&v, "From: ");
		if (c->sender[0] == '\0') {
			buf_printf(&v, "MAILER-DAEMON@%s", conf->hostname);
		} else {
			header_from_value(&v, c->req->fullname, c->sender);
		}
		buf_addc(&v, '\n');
		header_write_folded(hb, v.data, v.len);
	}
	if (!date) {
		buf_adds(hb, "Date: ");
		header_date(hb, time(NULL));
		buf_addc(hb, '\n');
	}
	if (!msgid) {
		size_t at;

		buf_adds(hb, "Message-ID: ");
		at = hb->len;
		header_message_id(hb, conf->hostname);
		c->msgid = xstrndup(hb->data + at, hb->len - at);
		buf_addc(hb, '\n');
	}
	c->added += hb->len - mark;
	buf_addc(hb, '\n');
	free(qual_given);
	buf_free(&v);
}

bool
submit_envid_ok(const char *s)
{
	return s != NULL && *s != '\0' && strlen(s) <= SUBMIT_ENVID_MAX &&
	    envelope_field_ok(s) && strchr(s, ' ') == NULL;
}

/* What envelope_parse() would refuse must not be written (a queue file
 * no runner can read would sit in the queue for ever). */
static enum submit_result
check_request(const struct submit_request *req, struct why *why)
{
	if (req->envid != NULL && !submit_envid_ok(req->envid)) {
		why_set(why, "bad ENVID (RFC 3461: 1 to %d printable "
		    "characters)", SUBMIT_ENVID_MAX);
		return SUBMIT_BAD_REQUEST;
	}
	if (req->notify != 0 && !dsnparam_notify_ok(req->notify)) {
		why_set(why, "bad NOTIFY: NEVER goes alone");
		return SUBMIT_BAD_REQUEST;
	}
	if (req->verp != NULL && (strlen(req->verp) != 2 ||
	    !envelope_field_ok(req->verp))) {
		why_set(why, "bad VERP delimiters");
		return SUBMIT_BAD_REQUEST;
	}
	return SUBMIT_OK;
}

static void
fill_envelope(struct submit_ctx *c)
{
	const struct submit_request *req = c->req;

	c->env.arrival = time(NULL);
	c->env.notify = req->notify;
	c->env.ret = req->ret;
	if (req->envid != NULL)
		c->env.envid = xstrdup(req->envid);
	if (req->verp != NULL && strlen(req->verp) == 2)
		memcpy(c->env.verp, req->verp, 3);
}

/*
 * max_message_size bounds the message as submitted: what minimta adds
 * (Received:, and Date:, Message-ID: or From: when missing) does not
 * count, up to SUBMIT_ADDED_MAX, so that a message at the limit is
 * accepted and pickup's bound (max_message_size + SUBMIT_ADDED_MAX) is
 * never met by a drop file sendmail wrote.
 */
static bool
too_big(const struct submit_ctx *c, const struct qfile_writer *w)
{
	size_t room = c->added < SUBMIT_ADDED_MAX ? c->added :
	    SUBMIT_ADDED_MAX;

	return qfile_written(w) > c->conf->max_message_size + room;
}

/* Reads the header block (held, bounded). */
static enum submit_result
read_header_block(struct submit_ctx *c, struct header_list *hl,
    size_t *body_off, struct why *why)
{
	const struct conf *conf = c->conf;
	const char *data;
	size_t hlen;
	struct why w;
	int r = 0;

	/*
	 * Only bytes known to be header count (not a line that may still
	 * become body), so the verdict does not depend on where the reads
	 * end (found by fuzz_bs).
	 */
	while (c->canon.in_header && (r = pump(c, why)) == 1) {
		if (c->canon.in_header && c->out.len -
		    canon_header_pending(&c->canon) > conf->max_header_size)
			break;
	}
	if (c->canon.in_header && !c->eof && !c->canon.done) {
		if (c->out.len - canon_header_pending(&c->canon) <=
		    conf->max_header_size)
			return SUBMIT_INPUT;
		why_set(why, "message header block exceeds max_header_size "
		    "(%zu bytes)", conf->max_header_size);
		return SUBMIT_BAD_MESSAGE;
	}
	/* empty input: no bytes at all, and a NULL buffer */
	data = c->out.data ? c->out.data : "";
	*body_off = header_block_end(data, c->out.len);
	hlen = header_block_len(data, c->out.len);
	if (hlen > conf->max_header_size) {
		why_set(why, "message header block exceeds max_header_size "
		    "(%zu bytes)", conf->max_header_size);
		return SUBMIT_BAD_MESSAGE;
	}
	if (header_parse(data, hlen, SUBMIT_MAX_FIELDS, hl, &w) != HEADER_OK) {
		why_set(why, "message header: %s", w.text);
		return SUBMIT_BAD_MESSAGE;
	}
	return SUBMIT_OK;
}

/*
 * RFC 5321 6.3: a message that has passed through more hops than any
 * sane route has is in a loop. The count includes the Received: lines
 * minimta adds (write_headers: ours for the owner and for an SMTP
 * client; pickup's for a drop file: -bs on a socket by another user
 * gets both), so that delivery, which counts the queued message's
 * fields (loop.h), comes to the same verdict.
 */
static enum submit_result
check_hops(const struct submit_ctx *c, const struct header_list *hl,
    bool owner, struct why *why)
{
	size_t i, n = (owner || c->req->peer != NULL ? 1 : 0) + (owner ? 0 : 1);

	for (i = 0; i < hl->n; i++)
		if (header_name_is(&hl->v[i], "Received"))
			n++;
	if (n <= (size_t)c->conf->max_hops)
		return SUBMIT_OK;
	why_set(why, "mail loop: too many hops (%zu Received: header fields, "
	    "max_hops %ld)", n, c->conf->max_hops);
	return SUBMIT_LOOP;
}

/* Writes the headers we hold, then streams the body. */
static enum submit_result
write_message(struct submit_ctx *c, const struct header_list *hl,
    size_t body_off, bool owner, struct qfile_writer *qw, struct why *why)
{
	struct buf hb;
	enum submit_result rc = SUBMIT_RETRY;
	size_t lines;
	int r;

	buf_init(&hb);
	/* drop files get their Received: line from the runner's pickup */
	write_headers(c, hl, qw->id, owner, &hb);
	if (qfile_write(qw, hb.data, hb.len, why) == -1 ||
	    (c->out.len > body_off && qfile_write(qw, c->out.data + body_off,
	    c->out.len - body_off, why) == -1))
		goto out;
	buf_reset(&c->out);
	c->direct_ok = true;
	for (;;) {
		/* checked after every write, the first one included */
		if (too_big(c, qw)) {
			why_set(why, "message too big: exceeds "
			    "max_message_size (%zu bytes)",
			    c->conf->max_message_size);
			rc = SUBMIT_BAD_MESSAGE;
			goto out;
		}
		lines = c->canon.lines;
		if ((r = pump(c, why)) == 0 && c->out.len == 0)
			break;
		if (r == -1) {
			rc = SUBMIT_INPUT;
			goto out;
		}
		/* what canon stored since: the chunk's first direct bytes
		 * as they are, then out; it counted the LFs */
		if ((c->direct > 0 && qfile_write_lines(qw, c->chunk,
		    c->direct, 0, why) == -1) || qfile_write_lines(qw,
		    c->out.data, c->out.len, c->canon.lines - lines,
		    why) == -1)
			goto out;
		buf_reset(&c->out);
	}
	if (c->req->smtp_data && !c->canon.done) {
		/* -bs: input ended inside DATA; nothing was accepted */
		why_set(why, "end of input before the end of DATA");
		rc = SUBMIT_INPUT;
		goto out;
	}
	rc = SUBMIT_OK;
out:
	buf_free(&hb);
	return rc;
}

enum submit_result
submit_message(const struct conf *conf, struct spool *sp,
    const struct submit_request *req, const struct submit_source *src,
    char id[SPOOL_ID_LEN + 1], struct why *why)
{
	struct submit_ctx c = { .conf = conf, .req = req, .src = src };
	struct header_list hl;
	struct qfile_writer qw = { 0 };
	bool owner = spool_role(sp) == SPOOL_ROLE_OWNER;
	size_t body_off = 0;
	enum submit_result rc;

	header_list_init(&hl);
	envelope_init(&c.env);
	c.chunk = xmalloc(SUBMIT_CHUNK);
	canon_init(&c.canon, req->dot_ends || req->smtp_data, req->smtp_data);
	c.canon.crlf_end = req->smtp_data && req->data_crlf;

	if ((rc = read_header_block(&c, &hl, &body_off, why)) != SUBMIT_OK ||
	    (rc = check_hops(&c, &hl, owner, why)) != SUBMIT_OK ||
	    (rc = check_request(req, why)) != SUBMIT_OK ||
	    (rc = resolve_sender(&c, why)) != SUBMIT_OK ||
	    (rc = collect_rcpts(&c, &hl, why)) != SUBMIT_OK)
		goto out;
	fill_envelope(&c);
	if (owner)
		c.env.uid = (long)req->uid;
	if (qfile_create(sp, owner ? SPOOL_QUEUE : SPOOL_INCOMING, NULL,
	    &c.env, &qw, why) == -1) {
		rc = SUBMIT_RETRY;
		goto out;
	}
	rc = write_message(&c, &hl, body_off, owner, &qw, why);
	if (rc != SUBMIT_OK)
		goto out;
	if (qfile_commit(&qw, c.canon.body_8bit, why) == -1) {
		rc = SUBMIT_RETRY;
		goto out;
	}
	(void)strlcpy(id, qw.id, SPOOL_ID_LEN + 1);
	if (owner) {	/* drop files: pickup records them */
		struct journal *j = journal_open(conf, false);

		journal_queued(j, id, c.msgid, &c.env);
		journal_close(j);
	}
	/* one line that pflogsumm counts as received: a drop file's is
	 * the pickup's, when the runner takes it in */
	if (!owner)
		log_msg_postdrop(id, (unsigned long)req->uid, c.sender);
	else if (req->peer_ip != NULL)
		log_msg_client(id, req->peer_ip);
	else
		log_msg_pickup(id, (unsigned long)req->uid, c.sender);
	if (c.msgid != NULL)
		log_msg_id(id, c.msgid, strlen(c.msgid));
out:
	if (rc != SUBMIT_OK)
		drain(&c);
	qfile_abort(&qw);
	envelope_free(&c.env);
	header_list_free(&hl);
	buf_free(&c.out);
	free(c.seen.slot);
	free(c.chunk);
	free(c.sender);
	free(c.sender_given);
	free(c.msgid);
	return rc;
}
