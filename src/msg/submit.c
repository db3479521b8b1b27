#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "buf.h"
#include "canon.h"
#include "conf.h"
#include "envelope.h"
#include "header.h"
#include "log.h"
#include "submit.h"
#include "xmalloc.h"

#define SUBMIT_CHUNK		65536
#define SUBMIT_MAX_FIELDS	10000	/* header fields in one message */

struct submit_ctx {
	const struct conf		*conf;
	const struct submit_request	*req;
	const struct submit_source	*src;
	struct canon			 canon;
	struct buf			 out;	/* stored form, pending */
	char				*chunk;
	bool				 eof;
	size_t				 lines;	/* LFs: CRLF on the wire */
	char				*sender;	/* final sender */
	char				*sender_given;	/* before mapping */
	struct envelope			 env;
};

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
	used = canon_feed(&c->canon, c->chunk, (size_t)n, &c->out);
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

static int
add_rcpt(struct submit_ctx *c, struct aliases *al, const char *addr,
    const char *given_orcpt, struct why *why)
{
	struct addr_list exp;
	const char *orig = addr;
	size_t i, j;
	int rc = EX_OK;

	addr_list_init(&exp);
	if (addr_is_local(addr) && al != NULL &&
	    aliases_expand(al, addr, (size_t)c->conf->max_recipients,
	    &exp, why) == -1) {
		addr_list_free(&exp);
		return EX_DATAERR;
	}
	if (exp.n == 0)
		addr_list_add(&exp, addr);
	for (i = 0; i < exp.n && rc == EX_OK; i++) {
		char *q = addr_qualify(exp.v[i], c->conf->domain);
		bool dup = false;

		for (j = 0; j < c->env.nrcpts && !dup; j++)
			dup = addr_equal(c->env.rcpts[j].addr, q);
		if (!dup && c->env.nrcpts >= (size_t)c->conf->max_recipients) {
			why_set(why, "too many recipients (max_recipients %ld)",
			    c->conf->max_recipients);
			rc = EX_DATAERR;
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

static int
collect_rcpts(struct submit_ctx *c, const struct header_list *hl,
    struct why *why)
{
	const struct submit_request *req = c->req;
	struct addr_list given;
	struct aliases *al = NULL;
	const char **orcpt = NULL;	/* parallel to given */
	size_t i, k, max = (size_t)c->conf->max_recipients;
	int rc = EX_OK;
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
				rc = EX_DATAERR;
				goto out;
			}
			if (r != ADDR_OK || given.n == before) {
				why_set(why, "bad recipient address: %s%s%s",
				    req->rcpts[i], w.text[0] == '\0' ? "" :
				    ": ", w.text);
				rc = EX_USAGE;
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
			rc = EX_DATAERR;
			goto out;
		}
	}
	for (i = 0; i < given.n; i++) {
		if (!addr_check(given.v[i], &w)) {
			why_set(why, "bad recipient address: %s", w.text);
			rc = EX_DATAERR;
			goto out;
		}
	}
	if (given.n == 0) {
		why_set(why, req->extract ? "no recipients: none given and "
		    "none found in To:, Cc: or Bcc: (-t)" :
		    "no recipients given");
		rc = EX_USAGE;
		goto out;
	}
	/* only unqualified names go through the aliases (DESIGN.md) */
	for (i = 0; i < given.n && al == NULL; i++) {
		if (addr_is_local(given.v[i]) && c->conf->aliases != NULL &&
		    aliases_load(c->conf->aliases, &al, &w) == -1) {
			if (errno != ENOENT)
				log_warn("aliases: %s: not used", w.text);
			break;
		}
	}
	for (i = 0; i < given.n && rc == EX_OK; i++)
		rc = add_rcpt(c, al, given.v[i], orcpt[i], why);
	for (i = 0; i < c->env.nrcpts; i++)
		if (addr_is_8bit(c->env.rcpts[i].addr))
			c->env.smtputf8 = true;
out:
	free(orcpt);
	aliases_free(al);
	addr_list_free(&given);
	return rc;
}

static int
resolve_sender(struct submit_ctx *c, struct why *why)
{
	const char *s = c->req->sender ? c->req->sender : c->req->login;
	char *parsed = NULL;
	struct why w;

	if (c->req->sender_checked) {
		parsed = xstrdup(s);
	} else if (addr_parse_envelope(s, true, &parsed, &w) != ADDR_OK) {
		why_set(why, "bad sender address: %s", w.text);
		return EX_USAGE;
	}
	c->sender_given = parsed;
	c->sender = submit_map_sender(c->conf, parsed);
	c->env.sender = xstrdup(c->sender);
	if (addr_is_8bit(c->sender))
		c->env.smtputf8 = true;
	return EX_OK;
}

void
submit_rewrite_from(struct buf *hb, const struct header *h, const char *given,
    const char *qual_given, const char *sender)
{
	struct buf v, t;

	buf_init(&v);
	buf_init(&t);
	buf_add(&v, h->name, h->name_len);
	buf_addc(&v, ':');
	(void)header_rewrite_address(&t, h->value, h->value_len, given,
	    sender);
	(void)header_rewrite_address(&v, t.data ? t.data : "", t.len,
	    qual_given, sender);
	buf_addc(&v, '\n');
	header_write_folded(hb, v.data, v.len);
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
	size_t i;

	buf_init(&v);
	if (received) {
		buf_printf(hb, "Received: by %s (minimta, from userid %lu)\n"
		    "\tid %s; ", conf->hostname, (unsigned long)c->req->uid,
		    id);
		header_date(hb, time(NULL));
		buf_addc(hb, '\n');
	}
	if (c->sender_given[0] != '\0')
		qual_given = addr_qualify(c->sender_given, conf->hostname);
	for (i = 0; i < hl->n; i++) {
		const struct header *h = &hl->v[i];

		if (header_is_bcc(h))
			continue;
		if (header_name_is(h, "Date"))
			date = true;
		else if (header_name_is(h, "Message-ID"))
			msgid = true;
		if (header_name_is(h, "From")) {
			from = true;
			/* masquerading: the local sender's own address */
			if (qual_given != NULL &&
			    strcmp(c->sender, c->sender_given) != 0) {
				submit_rewrite_from(hb, h, c->sender_given,
				    qual_given, c->sender);
				continue;
			}
		}
		header_write_folded(hb, h->field, h->field_len);
	}
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
		buf_adds(hb, "Message-ID: ");
		header_message_id(hb, conf->hostname);
		buf_addc(hb, '\n');
	}
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
static int
check_request(const struct submit_request *req, struct why *why)
{
	if (req->envid != NULL && !submit_envid_ok(req->envid)) {
		why_set(why, "bad ENVID (RFC 3461: 1 to %d printable "
		    "characters)", SUBMIT_ENVID_MAX);
		return EX_USAGE;
	}
	if (req->notify < 0 || req->notify > 15 ||
	    ((req->notify & ENVELOPE_NOTIFY_NEVER) &&
	    req->notify != ENVELOPE_NOTIFY_NEVER)) {
		why_set(why, "bad NOTIFY: NEVER goes alone");
		return EX_USAGE;
	}
	if (req->verp != NULL && (strlen(req->verp) != 2 ||
	    !envelope_field_ok(req->verp))) {
		why_set(why, "bad VERP delimiters");
		return EX_USAGE;
	}
	return EX_OK;
}

static void
fill_envelope(struct submit_ctx *c)
{
	const struct submit_request *req = c->req;

	c->env.arrival = req->arrival > 0 ? req->arrival : time(NULL);
	c->env.notify = req->notify;
	c->env.ret = req->ret;
	if (req->envid != NULL)
		c->env.envid = xstrdup(req->envid);
	if (req->verp != NULL && strlen(req->verp) == 2)
		memcpy(c->env.verp, req->verp, 3);
}

/* Writes message bytes, counting line ends for the wire size. */
static int
write_msg(struct submit_ctx *c, struct spool_file *f, const char *p,
    size_t n, struct why *why)
{
	const char *q = p, *end = p + n;

	while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		c->lines++;
		q++;
	}
	return spool_write(f, p, n, why);
}


int
submit_message(const struct conf *conf, struct spool *sp,
    const struct submit_request *req, const struct submit_source *src,
    char id[SPOOL_ID_LEN + 1], struct why *why)
{
	struct submit_ctx c = { .conf = conf, .req = req, .src = src };
	struct header_list hl;
	struct spool_file *f = NULL;
	struct buf hb;
	bool owner = spool_role(sp) == SPOOL_ROLE_OWNER;
	size_t hlen, body_off, env_len;
	struct envelope_patch patch;
	char digits[ENVELOPE_SIZE_WIDTH + 1];
	off_t size = 0;
	struct why w;
	int rc, r;

	header_list_init(&hl);
	buf_init(&hb);
	envelope_init(&c.env);
	c.chunk = xmalloc(SUBMIT_CHUNK);
	canon_init(&c.canon, req->dot_ends || req->smtp_data, req->smtp_data);

	/*
	 * The header block is held (bounded: max_header_size, and a line
	 * that may still become body); the body streams. Only bytes known
	 * to be header count, so the verdict does not depend on where the
	 * reads end (found by fuzz_bs).
	 */
	while (c.canon.in_header && (r = pump(&c, why)) == 1) {
		if (c.canon.in_header && c.out.len -
		    canon_header_pending(&c.canon) > conf->max_header_size)
			break;
	}
	if (c.canon.in_header && !c.eof && !c.canon.done) {
		if (c.out.len - canon_header_pending(&c.canon) >
		    conf->max_header_size) {
			why_set(why, "message header block exceeds "
			    "max_header_size (%zu bytes)",
			    conf->max_header_size);
			rc = EX_DATAERR;
		} else {
			rc = EX_IOERR;
		}
		goto out;
	}
	body_off = header_block_end(c.out.data ? c.out.data : "", c.out.len);
	hlen = header_block_len(c.out.data ? c.out.data : "", c.out.len);
	if (hlen > conf->max_header_size) {
		why_set(why, "message header block exceeds max_header_size "
		    "(%zu bytes)", conf->max_header_size);
		rc = EX_DATAERR;
		goto out;
	}
	if (header_parse(c.out.data ? c.out.data : "", hlen, SUBMIT_MAX_FIELDS,
	    &hl, &w) != HEADER_OK) {
		why_set(why, "message header: %s", w.text);
		rc = EX_DATAERR;
		goto out;
	}
	if ((rc = check_request(req, why)) != EX_OK ||
	    (rc = resolve_sender(&c, why)) != EX_OK ||
	    (rc = collect_rcpts(&c, &hl, why)) != EX_OK)
		goto out;
	fill_envelope(&c);
	if (owner)
		c.env.uid = (long)req->uid;

	f = spool_create_message(sp, owner ? SPOOL_QUEUE : SPOOL_INCOMING,
	    req->id, id, why);
	if (f == NULL) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	envelope_encode(&c.env, &hb, &patch);
	env_len = hb.len;
	/* drop files get their Received: line from the runner's pickup */
	write_headers(&c, &hl, id, owner, &hb);
	if (spool_write(f, hb.data, env_len, why) == -1 ||
	    write_msg(&c, f, hb.data + env_len, hb.len - env_len, why) == -1 ||
	    write_msg(&c, f, (c.out.data ? c.out.data : "") + body_off,
	    c.out.len - body_off, why) == -1) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	buf_reset(&c.out);
	for (;;) {
		/* checked after every write, the first one included */
		if ((size_t)spool_file_size(f) - env_len >
		    conf->max_message_size) {
			why_set(why, "message too big: exceeds "
			    "max_message_size (%zu bytes)",
			    conf->max_message_size);
			rc = EX_DATAERR;
			goto out;
		}
		if ((r = pump(&c, why)) == 0 && c.out.len == 0)
			break;
		if (r == -1) {
			rc = EX_IOERR;
			goto out;
		}
		if (write_msg(&c, f, c.out.data, c.out.len, why) == -1) {
			rc = EX_TEMPFAIL;
			goto out;
		}
		buf_reset(&c.out);
	}
	if (req->smtp_data && !c.canon.done) {
		/* -bs: input ended inside DATA; nothing was accepted */
		why_set(why, "end of input before the end of DATA");
		rc = EX_IOERR;
		goto out;
	}
	envelope_size_digits((size_t)(spool_file_size(f) - (off_t)env_len) +
	    c.lines, digits);
	if ((c.canon.body_8bit && spool_patch(f, (off_t)patch.flag_off,
	    (char []){ ENVELOPE_8BIT_YES }, 1, why) == -1) ||
	    spool_patch(f, (off_t)patch.size_off, digits, ENVELOPE_SIZE_WIDTH,
	    why) == -1) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	size = spool_file_size(f) - (off_t)env_len;
	if (spool_commit(f, why) == -1) {
		f = NULL;
		rc = EX_TEMPFAIL;
		goto out;
	}
	f = NULL;
	log_info("%s: uid=%lu from=<%s> size=%lld nrcpt=%zu%s", id,
	    (unsigned long)req->uid, c.sender, (long long)size, c.env.nrcpts,
	    owner ? "" : " (dropped for pickup)");
	rc = EX_OK;
out:
	if (rc != EX_OK)
		drain(&c);
	spool_abort(f);
	envelope_free(&c.env);
	header_list_free(&hl);
	buf_free(&hb);
	buf_free(&c.out);
	free(c.chunk);
	free(c.sender);
	free(c.sender_given);
	return rc;
}
