#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "conf.h"
#include "route.h"
#include "xmalloc.h"

char *
route_dest(const struct conf *conf, const char *rcpt)
{
	const char *d = addr_domain(rcpt);
	char *r;
	size_t i;

	if (conf->nsmarthosts > 0 || d == NULL)
		return xstrdup(ROUTE_SMARTHOST);
	r = xstrdup(d);
	for (i = 0; r[i] != '\0'; i++)
		r[i] = (char)tolower((unsigned char)r[i]);
	return r;
}

bool
route_is(const struct conf *conf, const char *rcpt, const char *dest)
{
	const char *d = addr_domain(rcpt);

	if (conf->nsmarthosts > 0 || d == NULL)
		return *dest == '\0';
	return strcasecmp(d, dest) == 0;
}

char *
route_describe(const struct conf *conf, const char *rcpt)
{
	const char *d = addr_domain(rcpt);

	if (conf->nsmarthosts > 0)
		return xasprintf("smarthost %s%s", conf->smarthosts[0].text,
		    conf->nsmarthosts > 1 ? " (and failover hosts)" : "");
	if (d == NULL)
		return xstrdup("unqualified: no route");
	return xasprintf("MX hosts of %s, port %ld", d, conf->smtp_port);
}
