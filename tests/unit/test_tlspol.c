/*
 * test_tlspol: the tls_policy lines (conf_tlspol_parse) and which entry
 * applies to a destination domain (conf_tlspol_lookup).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf_tlspol.h"
#include "unit.h"
#include "why.h"

int	main(void);

struct parse_case {
	const char	*name, *in, *want;	/* "domain level" or ERR: */
};

static const struct parse_case parse_cases[] = {
	{ "plain", "example.org verify", "example.org verify" },
	{ "tabs and spaces", " \texample.org \t dane\t", "example.org dane" },
	{ "case folded", "Example.ORG encrypt", "example.org encrypt" },
	{ "final dot", "example.org. none", "example.org none" },
	{ "subdomains", ".example.org may", ".example.org may" },
	{ "default", "* verify", "* verify" },
	{ "each level none", "a.b none", "a.b none" },
	{ "each level may", "a.b may", "a.b may" },
	{ "level case matters", "a.b VERIFY",
	    "ERR: want none, may, encrypt, verify or dane after the domain" },
	{ "unknown level", "a.b secure",
	    "ERR: want none, may, encrypt, verify or dane after the domain" },
	{ "long level", "a.b verifyverifyverifyverify",
	    "ERR: want none, may, encrypt, verify or dane after the domain" },
	{ "no level", "example.org",
	    "ERR: want \"DOMAIN none|may|encrypt|verify|dane\"" },
	{ "extra word", "example.org verify now",
	    "ERR: want \"DOMAIN none|may|encrypt|verify|dane\"" },
	{ "empty", "", "ERR: want \"DOMAIN none|may|encrypt|verify|dane\"" },
	{ "bad domain", "exa_mple..org verify",
	    "ERR: not a domain, .domain or *" },
	{ "address", "u@example.org verify",
	    "ERR: not a domain, .domain or *" },
	{ "star in a name", "*.example.org verify",
	    "ERR: not a domain, .domain or *" },
	{ "lone dot", ". verify", "ERR: not a domain, .domain or *" },
	{ "two dots", "..example.org verify",
	    "ERR: not a domain, .domain or *" },
};

struct lookup_case {
	const char	*name, *domain, *want;
};

/* example.org verify; .example.org encrypt; deep.sub.example.org none;
 * .sub.example.org dane; * none replaced by * may */
static const char *const policy_lines[] = {
	"example.org verify", ".example.org encrypt",
	"deep.sub.example.org none", ".sub.example.org dane", "* none",
	"* may", "other.test verify", "other.test encrypt",
};

static const struct lookup_case lookup_cases[] = {
	{ "exact", "example.org", "verify" },
	{ "exact, any case", "EXAMPLE.Org", "verify" },
	{ "exact, final dot", "example.org.", "verify" },
	{ "subdomain", "mail.example.org", "encrypt" },
	{ "nearest parent wins", "x.sub.example.org", "dane" },
	{ "exact beats parents", "deep.sub.example.org", "none" },
	{ "below an exact entry", "a.deep.sub.example.org", "dane" },
	{ ".sub itself is not a subdomain", "sub.example.org", "encrypt" },
	{ "default", "elsewhere.test", "may" },
	{ "suffix that is no parent", "notexample.org", "may" },
	{ "second line replaces", "other.test", "encrypt" },
};

/* conf_tlspol_sts: whether MTA-STS may apply under these lines */
static const char *const sts_lines[] = {
	"may.test may", ".may.test encrypt", "none.test none",
	".dane.test dane", "verify.test verify", "* may",
};

static const struct lookup_case sts_cases[] = {
	{ "explicit may: the admin's", "may.test", "no" },
	{ "explicit may, any case and final dot", "MAY.test.", "no" },
	{ "parent entry encrypt", "x.may.test", "no" },
	{ "none", "none.test", "no" },
	{ "verify", "verify.test", "no" },
	{ "parent entry dane", "mx.dane.test", "yes" },
	{ "* may: the default spelled out", "elsewhere.test", "yes" },
	{ "no parent entry of its own", "dane.test", "yes" },
};

static void
check_sts(void)
{
	static const char *const dane_default[] = { "* dane" };
	static const char *const none_default[] = { "* none" };
	struct conf_tls_policy *v = NULL, p;
	struct why why;
	size_t n = 0, i;

	UNIT_CHECK("sts: no entries", conf_tlspol_sts(NULL, 0, "a.test"),
	    "want yes");
	for (i = 0; i < sizeof(sts_lines) / sizeof(sts_lines[0]); i++) {
		if (conf_tlspol_parse(sts_lines[i], &p, &why) == -1) {
			UNIT_CHECK(sts_lines[i], 0, "%s", why.text);
			continue;
		}
		conf_tlspol_add(&v, &n, &p);
	}
	for (i = 0; i < sizeof(sts_cases) / sizeof(sts_cases[0]); i++)
		UNIT_STR(sts_cases[i].name, conf_tlspol_sts(v, n,
		    sts_cases[i].domain) ? "yes" : "no", sts_cases[i].want);
	for (i = 0; i < n; i++)
		free(v[i].domain);
	free(v);
	v = NULL;
	n = 0;
	if (conf_tlspol_parse(dane_default[0], &p, &why) == 0)
		conf_tlspol_add(&v, &n, &p);
	UNIT_CHECK("sts: * dane", conf_tlspol_sts(v, n, "a.test"),
	    "want yes");
	free(v[0].domain);
	v[0].domain = NULL;
	free(v);
	v = NULL;
	n = 0;
	if (conf_tlspol_parse(none_default[0], &p, &why) == 0)
		conf_tlspol_add(&v, &n, &p);
	UNIT_CHECK("sts: * none", !conf_tlspol_sts(v, n, "a.test"),
	    "want no");
	free(v[0].domain);
	free(v);
}

static void
check_parse(void)
{
	struct conf_tls_policy p;
	struct buf b;
	struct why why;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		buf_reset(&b);
		if (conf_tlspol_parse(c->in, &p, &why) == -1) {
			UNIT_CHECK(c->name, p.domain == NULL, "domain left");
			buf_printf(&b, "ERR: %s", why.text);
		} else {
			buf_printf(&b, "%s %s", p.domain,
			    conf_tlspol_name(p.level));
		}
		free(p.domain);
		UNIT_STR(c->name, buf_cstr(&b), c->want);
	}
	buf_free(&b);
}

static void
check_lookup(void)
{
	struct conf_tls_policy *v = NULL, p;
	struct why why;
	size_t n = 0, i;

	for (i = 0; i < sizeof(policy_lines) / sizeof(policy_lines[0]); i++) {
		if (conf_tlspol_parse(policy_lines[i], &p, &why) == -1) {
			UNIT_CHECK(policy_lines[i], 0, "%s", why.text);
			continue;
		}
		conf_tlspol_add(&v, &n, &p);
	}
	UNIT_INT("entries after replacing", n, 6);
	UNIT_STR("no entries: may", conf_tlspol_name(conf_tlspol_lookup(NULL,
	    0, "example.org")), "may");
	for (i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++)
		UNIT_STR(lookup_cases[i].name, conf_tlspol_name(
		    conf_tlspol_lookup(v, n, lookup_cases[i].domain)),
		    lookup_cases[i].want);
	for (i = 0; i < n; i++)
		free(v[i].domain);
	free(v);
	UNIT_STR("bad level name", conf_tlspol_name((enum conf_tls_level)9),
	    NULL);
}

int
main(void)
{
	check_parse();
	check_lookup();
	check_sts();
	return unit_done("tlspol");
}
