/*
 * status.c: mailq -s ID-or-Message-ID, the delivery status of one
 * message, per recipient: queued, deferred (reason, next attempt), sent,
 * bounced, expired, removed; as text, or with -j as one JSON line per
 * message. Everything comes from the delivery journal (journal.h), so
 * that a gateway in status_group, which cannot read queue/, gets the
 * same answer as the spool owner; a message still in incoming/ (not yet
 * picked up) is "queued" without recipients.
 *
 * Readers: root (as the spool owner), the spool owner, and the members
 * of status_group (the process's groups, as the kernel checks them);
 * everyone else is refused with EX_NOPERM before anything is read.
 * Found: 0; no such message: EX_NOUSER (67).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "journal.h"
#include "log.h"
#include "modes.h"
#include "qfile.h"
#include "spool.h"
#include "xmalloc.h"

#define STATUS_MAX_MSGS		1000	/* messages sharing a Message-ID */

struct status_rcpt {
	char			*addr;
	enum journal_event	 event;
	time_t			 time, next;
	char			*dsn, *relay, *text;
};

struct status_msg {
	char			 id[SPOOL_ID_LEN + 1];
	char			*msgid, *sender;
	time_t			 queued;
	bool			 waiting;	/* in incoming/, no records */
	struct status_rcpt	*rcpts;
	size_t			 nrcpts, cap;
};

struct status {
	const char		*want;		/* a queue id, or <msgid> */
	bool			 by_id;
	struct status_msg	*msgs;
	size_t			 nmsgs;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static struct status_msg *
find_msg(struct status *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->nmsgs; i++)
		if (strcmp(s->msgs[i].id, id) == 0)
			return &s->msgs[i];
	return NULL;
}

static struct status_rcpt *
find_rcpt(struct status_msg *m, const char *addr)
{
	size_t i;

	for (i = 0; i < m->nrcpts; i++)
		if (strcmp(m->rcpts[i].addr, addr) == 0)
			return &m->rcpts[i];
	if (m->nrcpts >= QFILE_MAX_RCPTS)
		return NULL;
	if (m->nrcpts == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->rcpts = xreallocarray(m->rcpts, m->cap, sizeof(*m->rcpts));
	}
	memset(&m->rcpts[m->nrcpts], 0, sizeof(*m->rcpts));
	m->rcpts[m->nrcpts].addr = xstrdup(addr);
	return &m->rcpts[m->nrcpts++];
}

static struct status_msg *
add_msg(struct status *s, const char *id)
{
	struct status_msg *m;

	if (s->nmsgs >= STATUS_MAX_MSGS)
		return NULL;
	s->msgs = xreallocarray(s->msgs, s->nmsgs + 1, sizeof(*s->msgs));
	m = &s->msgs[s->nmsgs++];
	memset(m, 0, sizeof(*m));
	(void)strlcpy(m->id, id, sizeof(m->id));
	return m;
}

/* One journal record: the latest record of a recipient is its status. */
static int
on_record(void *arg, const struct journal_rec *r)
{
	struct status *s = arg;
	struct status_msg *m = find_msg(s, r->id);
	struct status_rcpt *rc;

	if (m == NULL) {
		if (s->by_id ? strcmp(r->id, s->want) != 0 :
		    r->event != JOURNAL_QUEUED || strcmp(r->msgid, s->want) != 0)
			return 0;
		if ((m = add_msg(s, r->id)) == NULL)
			return 0;
	}
	if (r->event == JOURNAL_QUEUED && m->queued == 0) {
		m->queued = r->time;
		m->msgid = dup_or_null(r->msgid);
		m->sender = xstrdup(r->sender);
	}
	if (*r->rcpt == '\0' || (rc = find_rcpt(m, r->rcpt)) == NULL)
		return 0;
	if (r->event == JOURNAL_QUEUED && rc->time != 0)
		return 0;	/* recorded again (pickup after a crash) */
	free(rc->dsn);
	free(rc->relay);
	free(rc->text);
	rc->event = r->event;
	rc->time = r->time;
	rc->next = r->next;
	rc->dsn = dup_or_null(r->dsn);
	rc->relay = dup_or_null(r->relay);
	rc->text = dup_or_null(r->text);
	return 0;
}

static void
free_status(struct status *s)
{
	size_t i, k;

	for (i = 0; i < s->nmsgs; i++) {
		struct status_msg *m = &s->msgs[i];

		for (k = 0; k < m->nrcpts; k++) {
			free(m->rcpts[k].addr);
			free(m->rcpts[k].dsn);
			free(m->rcpts[k].relay);
			free(m->rcpts[k].text);
		}
		free(m->rcpts);
		free(m->msgid);
		free(m->sender);
	}
	free(s->msgs);
}

static void
json_field(struct buf *b, const char *key, const char *v)
{
	if (v == NULL)
		return;
	buf_printf(b, ", \"%s\": ", key);
	buf_add_json(b, v);
}

static void
print_json(const struct status_msg *m, struct buf *b)
{
	size_t i;

	buf_adds(b, "{\"queue_id\": ");
	buf_add_json(b, m->id);
	json_field(b, "message_id", m->msgid);
	json_field(b, "sender", m->sender);
	if (m->queued != 0)
		buf_printf(b, ", \"queued_time\": %lld", (long long)m->queued);
	if (m->waiting)
		buf_adds(b, ", \"status\": \"queued\"");
	buf_adds(b, ", \"recipients\": [");
	for (i = 0; i < m->nrcpts; i++) {
		const struct status_rcpt *r = &m->rcpts[i];

		buf_adds(b, i ? ", {\"address\": " : "{\"address\": ");
		buf_add_json(b, r->addr);
		buf_printf(b, ", \"status\": \"%s\", \"time\": %lld",
		    journal_event_name(r->event), (long long)r->time);
		if (r->event == JOURNAL_DEFERRED && r->next != 0)
			buf_printf(b, ", \"next_attempt\": %lld",
			    (long long)r->next);
		json_field(b, "relay", r->relay);
		json_field(b, "dsn", r->dsn);
		json_field(b, r->event == JOURNAL_DEFERRED ? "delay_reason" :
		    "reply", r->text);
		buf_addc(b, '}');
	}
	buf_adds(b, "]}\n");
}

static void
put_time(struct buf *b, const char *key, time_t t)
{
	char when[64];
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		(void)snprintf(when, sizeof(when), "%lld", (long long)t);
	buf_printf(b, ", %s=%s", key, when);
}

/* Text from the journal never reaches a terminal raw (STYLE.md). */
static void
put_clean(struct buf *b, const char *s)
{
	log_clean(b, s, strlen(s), JOURNAL_FIELD_MAX);
}

/* Postfix's "key=value" shape: one line per message and recipient. */
static void
print_text(const struct status_msg *m, struct buf *b)
{
	size_t i;

	buf_printf(b, "%s: message-id=", m->id);
	put_clean(b, m->msgid ? m->msgid : "(unknown)");
	buf_adds(b, ", from=<");
	put_clean(b, m->sender ? m->sender : "");
	buf_addc(b, '>');
	if (m->queued != 0)
		put_time(b, "queued", m->queued);
	if (m->waiting)
		buf_adds(b, ", status=queued (waiting for pickup by the queue "
		    "runner)");
	buf_addc(b, '\n');
	for (i = 0; i < m->nrcpts; i++) {
		const struct status_rcpt *r = &m->rcpts[i];

		buf_adds(b, "  to=<");
		put_clean(b, r->addr);
		buf_printf(b, ">, status=%s", journal_event_name(r->event));
		put_time(b, "time", r->time);
		if (r->event == JOURNAL_DEFERRED && r->next != 0)
			put_time(b, "next_attempt", r->next);
		if (r->relay != NULL) {
			buf_adds(b, ", relay=");
			put_clean(b, r->relay);
		}
		if (r->dsn != NULL) {
			buf_adds(b, ", dsn=");
			put_clean(b, r->dsn);
		}
		if (r->text != NULL) {
			buf_adds(b, " (");
			put_clean(b, r->text);
			buf_addc(b, ')');
		}
		buf_addc(b, '\n');
	}
}

/* The process's own groups decide, as they do for the kernel. */
static bool
in_status_group(const struct conf *conf)
{
	struct group *gr;
	gid_t *v;
	int n, i;
	bool in = false;

	if (conf->status_group == NULL ||
	    (gr = getgrnam(conf->status_group)) == NULL)
		return false;
	if (getegid() == gr->gr_gid || getgid() == gr->gr_gid)
		return true;
	if ((n = getgroups(0, NULL)) <= 0)
		return false;
	v = xreallocarray(NULL, (size_t)n, sizeof(*v));
	n = getgroups(n, v);
	for (i = 0; i < n && !in; i++)
		in = v[i] == gr->gr_gid;
	free(v);
	return in;
}

/* A drop file not yet picked up (search permission suffices). */
static bool
waiting_for_pickup(const struct conf *conf, const char *id)
{
	char path[SPOOL_MAX_NAME + 16];
	struct stat st;
	int top;
	bool found;

	if ((top = open(conf->spool, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return false;
	(void)snprintf(path, sizeof(path), "incoming/%s", id);
	found = fstatat(top, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
	(void)close(top);
	return found;
}

/* Root becomes the spool owner; the owner goes on; members read. */
static void
check_reader(const struct conf *conf)
{
	struct stat st;

	if (geteuid() == 0) {
		spool_close(mode_open_spool(conf, true, "mailq -s"));
		return;
	}
	if (stat(conf->spool, &st) == 0 && st.st_uid == geteuid())
		return;
	if (in_status_group(conf))
		return;
	fatal(EX_NOPERM, "mailq -s: permission denied: delivery status is "
	    "for the spool owner, root and the members of status_group only");
}

int
mode_status(const struct cli *cli, const struct conf *conf)
{
	struct status s = { 0 };
	struct buf out;
	struct why why;
	char *want = NULL;
	size_t i;
	int rc = EX_OK;

	check_reader(conf);
	s.by_id = spool_id_ok(cli->status_id);
	if (s.by_id || cli->status_id[0] == '<')
		s.want = cli->status_id;
	else
		s.want = want = xasprintf("<%s>", cli->status_id);
	if (journal_scan(conf->spool, on_record, &s, &why) == -1) {
		free(want);
		fatal(errno == EACCES ? EX_NOPERM : EX_IOERR, "mailq -s: %s",
		    why.text);
	}
	if (s.nmsgs == 0 && s.by_id && waiting_for_pickup(conf, s.want))
		add_msg(&s, s.want)->waiting = true;
	buf_init(&out);
	for (i = 0; i < s.nmsgs; i++) {
		if (cli->json)
			print_json(&s.msgs[i], &out);
		else
			print_text(&s.msgs[i], &out);
	}
	if (s.nmsgs == 0) {
		log_user("mailq -s: %s: no such message in the queue or the "
		    "delivery journal", cli->status_id);
		rc = EX_NOUSER;
	} else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0) {
		rc = EX_IOERR;
	}
	buf_free(&out);
	free_status(&s);
	free(want);
	return rc;
}
