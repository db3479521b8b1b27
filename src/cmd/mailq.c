/*
 * mailq.c: sendmail -bp / mailq, in Postfix's format (showq) or as JSON
 * lines like "postqueue -j". Only the spool owner and root may list.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "drop.h"
#include "log.h"
#include "modes.h"
#include "qfile.h"
#include "spool.h"
#include "xmalloc.h"

/*
 * Ids listed and sorted at a time, in slots of SPOOL_ID_LEN + 1 bytes
 * (2 MiB at the most). The directory is read once: its state files go
 * into the Bloom filter below, its ids into the first batch; only a
 * directory with more ids than that is read on, from where the first
 * batch ended, for the next batches.
 */
#define MAILQ_BATCH	131072
/*
 * The ids that have a state file, from that reading of the directory,
 * kept as a Bloom filter of fixed size (128 KiB, two bits an id): memory
 * stays flat however many messages are deferred. A message whose bits
 * are not both set has no state file (no open of ID.state, which was a
 * failed open for every fresh message); a false positive costs only that
 * failed open (about 3 % of fresh messages with 100,000 state files).
 */
#define MAILQ_SEEN_BITS	(1u << 20)

struct seen {
	unsigned char	*bits;
};

/* FNV-1a, 64 bits: two 20-bit indexes from its halves. */
static void
seen_hash(const char *id, size_t n, uint32_t h[2])
{
	uint64_t v = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		v ^= (unsigned char)id[i];
		v *= 1099511628211ULL;
	}
	h[0] = (uint32_t)v % MAILQ_SEEN_BITS;
	h[1] = (uint32_t)(v >> 32) % MAILQ_SEEN_BITS;
}

static void
seen_add(struct seen *s, const char *id, size_t n)
{
	uint32_t h[2];

	seen_hash(id, n, h);
	s->bits[h[0] / 8] |= (unsigned char)(1u << (h[0] % 8));
	s->bits[h[1] / 8] |= (unsigned char)(1u << (h[1] % 8));
}

static bool
seen_has(const struct seen *s, const char *id)
{
	uint32_t h[2];

	seen_hash(id, strlen(id), h);
	return (s->bits[h[0] / 8] & (1u << (h[0] % 8))) != 0 &&
	    (s->bits[h[1] / 8] & (1u << (h[1] % 8))) != 0;
}

typedef char mailq_id[SPOOL_ID_LEN + 1];

struct id_list {
	mailq_id	*v;
	size_t		 n, cap;
};

static void
collect(struct id_list *l, const char *name)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	(void)strlcpy(l->v[l->n++], name, sizeof(*l->v));
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* -qI, -qR, -qS narrow the listing too (substrings, as sendmail). */
static bool
selected(const struct cli *cli, const struct qfile *q)
{
	return qfile_selected(q, cli->queue_id, cli->queue_rcpt,
	    cli->queue_sender);
}

static void
print_json(const struct qfile *q, bool waiting)
{
	struct buf b;
	size_t i;
	bool first = true;

	buf_init(&b);
	buf_printf(&b, "{\"queue_name\": \"%s\", \"queue_id\": \"%s\", "
	    "\"arrival_time\": %lld, \"message_size\": %lld, \"sender\": ",
	    waiting ? "maildrop" : q->dir == SPOOL_HOLD ? "hold" :
	    q->state.attempts > 0 ? "deferred" : "active", q->id,
	    (long long)q->env.arrival, (long long)q->size);
	buf_add_json(&b, q->env.sender);
	buf_adds(&b, ", \"recipients\": [");
	for (i = 0; i < q->env.nrcpts; i++) {
		const struct qstate_rcpt *r = &q->state.rcpts[i];

		if (r->done)
			continue;
		buf_adds(&b, first ? "{\"address\": " : ", {\"address\": ");
		first = false;
		buf_add_json(&b, q->env.rcpts[i].addr);
		if (r->reason != NULL) {
			buf_adds(&b, ", \"delay_reason\": ");
			buf_add_json(&b, r->reason);
		}
		buf_addc(&b, '}');
	}
	buf_adds(&b, "]}\n");
	(void)fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
}

static void
print_entry(const struct qfile *q, bool waiting)
{
	char when[32];
	struct tm tm;
	const char *last = NULL;
	size_t i;

	(void)localtime_r(&q->env.arrival, &tm);
	(void)strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm);
	/* Postfix's mark of a held message: '!' after the id */
	printf("%-14s%c %8lld %-20.20s %s\n", q->id,
	    q->dir == SPOOL_HOLD ? '!' : ' ', (long long)q->size,
	    when, q->env.sender[0] ? q->env.sender : "MAILER-DAEMON");
	if (waiting)
		printf("(waiting for pickup by the queue runner)\n");
	for (i = 0; i < q->env.nrcpts; i++) {
		const struct qstate_rcpt *r = &q->state.rcpts[i];

		if (r->done)
			continue;
		/* a reason once for the recipients that share it (Postfix) */
		if (r->reason != NULL && (last == NULL ||
		    strcmp(last, r->reason) != 0)) {
			printf("%*s(%s)\n", 0, "", r->reason);
			last = r->reason;
		}
		printf("%*s%s\n", 46, "", q->env.rcpts[i].addr);
	}
	printf("\n");
}

struct listing {
	const struct cli	*cli;
	const struct conf	*conf;
	struct spool		*sp;
	struct seen		 states;	/* of the directory listed */
	struct buf		 scratch;	/* qfile_look()'s */
	long long		 kbytes;
	size_t			 shown;
	size_t			 unreadable;	/* in queue/: never "empty" */
};

static void
show(struct listing *l, struct qfile *q, bool waiting)
{
	if (!selected(l->cli, q))
		return;
	if (!l->cli->json && l->shown == 0)
		printf("%-15s %8s %-20s %s\n", "-Queue ID-", "--Size--",
		    "----Arrival Time----", "-Sender/Recipient-------");
	if (l->cli->json)
		print_json(q, waiting);
	else
		print_entry(q, waiting);
	l->kbytes += ((long long)q->size + 1023) / 1024;
	l->shown++;
}

static void
show_ids(struct listing *l, struct id_list *ids, enum spool_dir dir)
{
	bool drop = dir == SPOOL_INCOMING;
	enum qfile_result r;
	struct qfile q;
	struct why why;
	size_t i;

	if (ids->n > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(ids->v, ids->n, sizeof(*ids->v), cmp_id);
	for (i = 0; i < ids->n; i++) {
		/* drop files: the gate pickup uses, so what is shown is
		 * what pickup will take */
		r = drop ? drop_gate(l->conf, l->sp, ids->v[i],
		    QFILE_NOLOCK, &q, &why) :
		    qfile_look(l->sp, dir, ids->v[i],
		    seen_has(&l->states, ids->v[i]), &l->scratch, &q, &why);
		if (r == QFILE_OK) {
			show(l, &q, drop);
			qfile_close(&q);
		} else if (r == QFILE_BAD && !drop) {
			/* log lines begin with the queue id (DESIGN.md) */
			log_warn("%s: mailq: %s", ids->v[i], why.text);
			if (!l->cli->json)
				printf("%-14s  (unreadable: %s; %s moves it "
				    "to corrupt/)\n\n", ids->v[i], why.text,
				    dir == SPOOL_HOLD ? "sendmail -Mt or -Mrm" :
				    "the queue runner");
			l->unreadable++;
		}
	}
	ids->n = 0;
}

/*
 * queue/ (accepted), hold/ (held) or incoming/ (drop files waiting for
 * pickup), sorted by id (arrival order) in batches of MAILQ_BATCH, so
 * that memory stays flat however long the queue is (MAILQ_BATCH above).
 */
static void
list_dir(struct listing *l, enum spool_dir dir)
{
	struct id_list ids = { 0 };
	struct spool_iter *it;
	const char *name;
	bool more = false;
	struct why why;
	size_t len;
	long rest = 0;

	memset(l->states.bits, 0, MAILQ_SEEN_BITS / 8);
	if ((it = spool_iter_open(l->sp, dir, &why)) == NULL)
		fatal(EX_IOERR, "mailq: %s", why.text);
	while ((name = spool_iter_next(it)) != NULL) {
		if ((len = qstate_id_len(name)) > 0) {
			seen_add(&l->states, name, len);
		} else if (!spool_id_ok(name)) {
			continue;	/* strangers */
		} else if (ids.n == MAILQ_BATCH) {
			more = true;	/* for the next batch */
		} else {
			collect(&ids, name);
			if (ids.n == MAILQ_BATCH)
				rest = spool_iter_tell(it);
		}
	}
	/* every state file is known now */
	show_ids(l, &ids, dir);
	if (more)
		spool_iter_seek(it, rest);
	while (more) {
		while (ids.n < MAILQ_BATCH &&
		    (name = spool_iter_next(it)) != NULL)
			if (spool_id_ok(name))
				collect(&ids, name);
		more = name != NULL;
		show_ids(l, &ids, dir);
	}
	spool_iter_close(it);
	free(ids.v);
}

int
mode_list(const struct cli *cli, const struct conf *conf)
{
	struct listing l = { .cli = cli, .conf = conf };

	if (cli->status_id != NULL)
		return mode_status(cli, conf);
	l.states.bits = xmalloc(MAILQ_SEEN_BITS / 8);
	buf_init(&l.scratch);
	l.sp = mode_open_spool(conf, true, "mailq");
	list_dir(&l, SPOOL_QUEUE);
	list_dir(&l, SPOOL_HOLD);
	list_dir(&l, SPOOL_INCOMING);
	if (!cli->json) {
		if (l.shown == 0 && l.unreadable == 0)
			printf("Mail queue is empty\n");
		else if (l.shown == 0)
			printf("-- %zu unreadable Request%s.\n", l.unreadable,
			    l.unreadable == 1 ? "" : "s");
		else
			printf("-- %lld Kbytes in %zu Request%s.\n", l.kbytes,
			    l.shown, l.shown == 1 ? "" : "s");
	}
	spool_close(l.sp);
	free(l.states.bits);
	buf_free(&l.scratch);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}
