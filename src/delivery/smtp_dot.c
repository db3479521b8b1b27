/*
 * smtp_dot.c: DATA body encoding. See smtp_dot.h.
 */
#include <string.h>

#include "smtp_dot.h"

void
smtp_dot_init(struct smtp_dot *d)
{
	d->bol = true;
	d->cr = false;
}

void
smtp_dot_encode(struct smtp_dot *d, const char *p, size_t len,
    void (*wr)(void *, const void *, size_t), void *arg)
{
	const char *e = p + len, *lf, *cr, *eol;

	while (p < e) {
		if (d->cr) {
			d->cr = false;
			d->bol = true;
			wr(arg, "\r\n", 2);
			if (*p == '\n' && ++p == e)
				break;
		}
		if (d->bol && *p == '.')
			wr(arg, ".", 1);
		lf = memchr(p, '\n', (size_t)(e - p));
		cr = memchr(p, '\r', (size_t)((lf != NULL ? lf : e) - p));
		eol = cr != NULL ? cr : lf;
		if (eol == NULL) {
			wr(arg, p, (size_t)(e - p));
			d->bol = false;
			break;
		}
		if (eol > p)
			wr(arg, p, (size_t)(eol - p));
		if (*eol == '\n') {
			wr(arg, "\r\n", 2);
			d->bol = true;
		} else {
			d->cr = true;
		}
		p = eol + 1;
	}
}

void
smtp_dot_finish(struct smtp_dot *d, void (*wr)(void *, const void *, size_t),
    void *arg)
{
	if (d->cr || !d->bol)
		wr(arg, "\r\n", 2);
	wr(arg, ".\r\n", 3);
	smtp_dot_init(d);
}
