/*
 * verify.c: newaliases / sendmail -bi (check the aliases file and count
 * its entries: minimta reads the text file itself, there is no database
 * to rebuild) and sendmail -bv (show how each address would be routed,
 * without sending: the route is the sender's, -f or the invoking user's
 * address as submission would make it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "addr.h"
#include "aliases.h"
#include "cli.h"
#include "conf.h"
#include "dns.h"
#include "log.h"
#include "modes.h"
#include "route.h"
#include "submit.h"
#include "xmalloc.h"

#define VERIFY_DNS_TIMEOUT_MS	10000

int
mode_aliases(const struct cli *cli, const struct conf *conf)
{
	struct aliases *al = NULL;
	struct why why;
	size_t i, n, errors;

	(void)cli;
	if (conf->aliases == NULL) {
		printf("no aliases file configured: 0 aliases\n");
		return EX_OK;
	}
	if (aliases_load(conf->aliases, &al, &why) == -1) {
		if (errno == ENOENT) {
			/* package scripts run newaliases on fresh systems */
			printf("%s: no such file: 0 aliases\n", conf->aliases);
			return EX_OK;
		}
		log_user("%s", why.text);
		return errno == EINVAL ? EX_DATAERR : EX_NOINPUT;
	}
	n = aliases_nwarnings(al);
	for (i = 0; i < n; i++)
		log_user("%s", aliases_warning(al, i));
	printf("%s: %zu aliases\n", conf->aliases, aliases_count(al));
	errors = aliases_nerrors(al);
	aliases_free(al);
	if (fflush(stdout) != 0)
		return EX_IOERR;
	return errors > 0 ? EX_DATAERR : EX_OK;
}

/* " (limit 100/h, 2000/d)": each relay_limit that applies to u. */
static void
show_limits(const struct conf *conf, const struct conf_url *u)
{
	bool first = true;
	size_t i;

	for (i = 0; i < conf->nlimits; i++) {
		const struct conf_limit *l = &conf->limits[i];

		if (!route_limit_applies(l, u))
			continue;
		printf("%s%ld/%s", first ? " (limit " : ", ", l->count,
		    l->window == 3600 ? "h" : "d");
		first = false;
	}
	if (!first)
		printf(")");
}

/* "relay_for example.org: smtp://a:587, smtp://b:587 (roundrobin)" */
static void
show_relays(const struct conf *conf, const struct route_relays *rel)
{
	size_t i;

	if (rel->sender != NULL)
		printf("relay_for %s: ", rel->sender);
	else
		printf("smarthost ");
	for (i = 0; i < rel->n; i++) {
		printf("%s%s", i > 0 ? ", " : "", rel->v[i].text);
		show_limits(conf, &rel->v[i]);
	}
	if (rel->n > 1)
		printf(" (%s)", conf->relay_roundrobin ? "roundrobin" :
		    "failover");
	printf("\n");
}

/* Prints where one final address goes; returns a sysexits code. */
static int
show_route(const struct conf *conf, struct dns **dns, const char *sender,
    const char *addr)
{
	struct dns_hosts hosts = { 0 };
	const char *domain = addr_domain(addr);
	struct route_relays rel;
	struct why why;
	size_t i;
	int rc = EX_OK;

	route_sender(conf, sender, &rel);
	if (rel.n > 0) {
		printf("%s... deliverable: ", addr);
		show_relays(conf, &rel);
		return EX_OK;
	}
	if (domain == NULL) {
		printf("%s... deferred: unqualified: no route\n", addr);
		return EX_TEMPFAIL;
	}
	if (*dns == NULL && (*dns = dns_new(conf->resolver, &why)) == NULL) {
		printf("%s... cannot check: %s\n", addr, why.text);
		return EX_TEMPFAIL;
	}
	switch (dns_mx(*dns, domain, (int)conf->smtp_port,
	    VERIFY_DNS_TIMEOUT_MS, &hosts, &why)) {
	case DNS_FOUND:
		printf("%s... deliverable: MX hosts", addr);
		for (i = 0; i < hosts.n; i++)
			printf(" %s (%d)", hosts.v[i].name,
			    hosts.v[i].preference);
		printf(", port %ld\n", conf->smtp_port);
		break;
	case DNS_RETRY:
		printf("%s... deferred: %s\n", addr, why.text);
		rc = EX_TEMPFAIL;
		break;
	default:
		printf("%s... undeliverable: %s\n", addr, why.text);
		rc = EX_NOHOST;
		break;
	}
	dns_hosts_free(&hosts);
	return rc;
}

/* The envelope sender submission would give (-f, or the user's). */
static char *
verify_sender(const struct cli *cli, const struct conf *conf)
{
	char *login = cli->sender == NULL ? mode_login_name() : NULL;
	char *parsed = NULL, *mapped;
	struct why why;

	if (addr_parse_envelope(cli->sender != NULL ? cli->sender : login,
	    true, &parsed, &why) != ADDR_OK) {
		log_user("-bv: bad sender address: %s", why.text);
		free(login);
		return NULL;
	}
	mapped = submit_map_sender(conf, parsed);
	free(parsed);
	free(login);
	return mapped;
}

int
mode_verify(const struct cli *cli, const struct conf *conf)
{
	struct aliases *al = NULL;
	struct dns *dns = NULL;
	char *sender;
	struct why why;
	size_t i, j;
	int rc = EX_OK, r;

	if (cli->nrcpts == 0) {
		log_user("-bv: no addresses given");
		return EX_USAGE;
	}
	if (conf->aliases != NULL && aliases_load(conf->aliases, &al, &why) ==
	    -1 && errno != ENOENT)
		log_user("%s", why.text);
	if ((sender = verify_sender(cli, conf)) == NULL)
		return EX_USAGE;
	for (i = 0; i < cli->nrcpts; i++) {
		struct addr_list given, exp;

		addr_list_init(&given);
		addr_list_init(&exp);
		if (addr_parse_list(cli->rcpts[i], strlen(cli->rcpts[i]), 100,
		    &given, &why) != ADDR_OK || given.n == 0) {
			printf("%s... bad address: %s\n", cli->rcpts[i],
			    given.n == 0 ? "no address" : why.text);
			rc = EX_NOUSER;
		}
		for (j = 0; j < given.n; j++) {
			const char *a = given.v[j];
			size_t k;

			addr_list_free(&exp);
			addr_list_init(&exp);
			if (addr_is_local(a) && al != NULL &&
			    !addr_list_noalias(&given, j) &&
			    aliases_expand(al, a, 0, &exp, &why) == -1) {
				printf("%s... alias error: %s\n", a, why.text);
				rc = EX_DATAERR;
				continue;
			}
			if (exp.n == 0)
				addr_list_add(&exp, a);
			for (k = 0; k < exp.n; k++) {
				char *q = addr_qualify(exp.v[k], conf->domain);

				if (strcmp(exp.v[k], a) != 0)
					printf("%s... aliased to %s\n", a, q);
				if ((r = show_route(conf, &dns, sender, q)) !=
				    EX_OK)
					rc = r;
				free(q);
			}
		}
		addr_list_free(&given);
		addr_list_free(&exp);
	}
	aliases_free(al);
	dns_free(dns);
	free(sender);
	return fflush(stdout) == 0 ? rc : EX_IOERR;
}
