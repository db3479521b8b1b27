/*
 * fuzz_smtp_reply: feeds the input, split at LF, to the reply parser (with
 * the EHLO keyword parser on), starting a new reply after each DONE or
 * BAD, the way a session reads a stream of replies.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp_reply.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *nl;
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct smtp_ehlo e;
	struct buf out;
	struct why why;
	enum smtp_reply_status st;

	smtp_reply_init(&r);
	buf_init(&out);
	smtp_reply_ehlo_init(&e);
	smtp_reply_parser_init(&p, &r, &e);
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		st = smtp_reply_feed(&p, s, nl ? (size_t)(nl - s) :
		    (size_t)(end - s), &why);
		if (st != SMTP_REPLY_MORE) {
			if (st == SMTP_REPLY_DONE &&
			    (r.code < 200 || r.code > 599 ||
			    r.text.len > SMTP_REPLY_TEXT_MAX + 3))
				__builtin_trap();
			buf_reset(&out);
			smtp_reply_format(&r, &out);
			smtp_reply_ehlo_init(&e);
			smtp_reply_parser_init(&p, &r, &e);
		}
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	buf_free(&out);
	smtp_reply_free(&r);
	return 0;
}
