/*
 * fuzz_journal: what mailq -s reads from the journal. journal_parse over
 * each line of arbitrary bytes, and journal_message_id over them as a
 * header block. Invariants (FUZZ_FAIL when broken): an accepted record
 * holds no NUL and no field over JOURNAL_FIELD_MAX, and re-encodes to a
 * line that parses to the same record; a Message-ID found is "<...>"
 * without controls or spaces, at most JOURNAL_FIELD_MAX bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_fail.h"
#include "journal.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static bool
same(const struct journal_rec *a, const struct journal_rec *b)
{
	return a->time == b->time && a->event == b->event &&
	    a->next == b->next && strcmp(a->id, b->id) == 0 &&
	    strcmp(a->msgid, b->msgid) == 0 &&
	    strcmp(a->sender, b->sender) == 0 &&
	    strcmp(a->rcpt, b->rcpt) == 0 && strcmp(a->dsn, b->dsn) == 0 &&
	    strcmp(a->relay, b->relay) == 0 && strcmp(a->text, b->text) == 0;
}

static void
check_record(const char *p, size_t len)
{
	struct journal_rec r, back;
	struct why why;
	struct buf b;
	char *line = malloc(len + 1);

	memcpy(line, p, len);
	line[len] = '\n';
	if (journal_parse(line, len, &r, &why) == 0) {
		const char *f[] = { r.id, r.msgid, r.sender, r.rcpt, r.dsn,
		    r.relay, r.text };
		size_t i;

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (f[i] == NULL || strlen(f[i]) > JOURNAL_FIELD_MAX)
				FUZZ_FAIL();
		buf_init(&b);
		journal_encode(&r, &b);
		if (b.len == 0 || b.data[b.len - 1] != '\n' ||
		    memchr(b.data, '\n', b.len - 1) != NULL ||
		    b.len - 1 > JOURNAL_LINE_MAX)
			FUZZ_FAIL();
		if (journal_parse(b.data, b.len - 1, &back, &why) != 0 ||
		    !same(&r, &back))
			FUZZ_FAIL();
		buf_free(&b);
	}
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *lf;
	struct buf id;
	size_t left = size, n, i;

	while (left > 0) {
		lf = memchr(p, '\n', left);
		n = lf != NULL ? (size_t)(lf - p) : left;
		check_record(p, n);
		p += n + (lf != NULL);
		left -= n + (lf != NULL);
	}
	buf_init(&id);
	if (journal_message_id((const char *)data, size, &id)) {
		if (id.len < 3 || id.len > JOURNAL_FIELD_MAX ||
		    id.data[0] != '<' || id.data[id.len - 1] != '>' ||
		    strlen(buf_cstr(&id)) != id.len)
			FUZZ_FAIL();
		for (i = 0; i < id.len; i++)
			if ((unsigned char)id.data[i] <= 0x20 ||
			    id.data[i] == 0x7f)
				FUZZ_FAIL();
	}
	buf_free(&id);
	return 0;
}
