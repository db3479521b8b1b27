/*
 * test_conf: table-driven tests of the config parser. Each case parses a
 * text named "t.conf" and shows one key (conf_show), or wants the exact
 * error "ERR: FILE:LINE: KEY: reason".
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "unit.h"
#include "why.h"
#include "xmalloc.h"

int	main(void);

struct conf_case {
	const char *name;
	const char *text;
	const char *key;	/* shown after parsing */
	const char *want;	/* or "ERR: ..." */
};

static const char *
scheme_name(enum conf_scheme s)
{
	return s == CONF_SMTP ? "smtp" : s == CONF_SMTP_STARTTLS ?
	    "starttls" : "smtps";
}

static void
conf_show(struct buf *b, const struct conf *c, const char *key)
{
	const struct {
		const char *key;
		char *const *field;
	} strs[] = {
		{ "hostname", &c->hostname }, { "domain", &c->domain },
		{ "spool", &c->spool }, { "auth_file", &c->auth_file },
		{ "tls_ca_file", &c->tls_ca_file },
		{ "tls_ca_path", &c->tls_ca_path },
		{ "tls_cert_file", &c->tls_cert_file },
		{ "tls_key_file", &c->tls_key_file },
		{ "aliases", &c->aliases }, { "resolver", &c->resolver },
		{ "masquerade", &c->masquerade },
		{ "postmaster", &c->postmaster },
		{ "spool_owner", &c->spool_owner },
		{ "status_group", &c->status_group },
	};
	size_t i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strcmp(key, strs[i].key) == 0) {
			buf_adds(b, *strs[i].field != NULL ? *strs[i].field :
			    "(null)");
			return;
		}
	}
#define LONG(k) if (strcmp(key, #k) == 0) { \
	buf_printf(b, "%lld", (long long)c->k); return; }
	LONG(smtp_port) LONG(concurrency) LONG(max_recipients)
	LONG(queue_lifetime) LONG(delay_warning) LONG(retry_min)
	LONG(retry_max) LONG(connect_timeout) LONG(command_timeout)
	LONG(data_timeout) LONG(max_message_size) LONG(max_header_size)
	LONG(bounce_size_limit) LONG(oauth2_token_timeout) LONG(max_hops)
	LONG(journal_max_age) LONG(journal_max_size)
	LONG(mta_sts_port) LONG(mta_sts_timeout)
#undef LONG
	if (strcmp(key, "tls_verify") == 0)
		buf_adds(b, c->tls_verify ? "yes" : "no");
	else if (strcmp(key, "mta_sts") == 0)
		buf_adds(b, c->mta_sts ? "yes" : "no");
	else if (strcmp(key, "auth_plaintext") == 0)
		buf_adds(b, c->auth_plaintext ? "yes" : "no");
	else if (strcmp(key, "mx_allow_loopback") == 0)
		buf_adds(b, c->mx_allow_loopback ? "yes" : "no");
	else if (strcmp(key, "print_queue_id") == 0)
		buf_adds(b, c->print_queue_id ? "yes" : "no");
	else if (strcmp(key, "t_args") == 0)
		buf_adds(b, c->t_args_remove ? "remove" : "add");
	else if (strcmp(key, "log") == 0)
		buf_adds(b, c->log == LOG_DEST_STDERR ? "stderr" : "syslog");
	else if (strcmp(key, "smarthost") == 0) {
		for (i = 0; i < c->nsmarthosts; i++) {
			const struct conf_url *u = &c->smarthosts[i];

			buf_printf(b, "%s%s|%s|%s|%d|%s", i ? " ; " : "",
			    scheme_name(u->scheme), u->user ? u->user : "-",
			    u->host, u->port, u->text);
		}
	} else if (strcmp(key, "smarthost_order") == 0) {
		buf_adds(b, c->relay_roundrobin ? "roundrobin" : "failover");
	} else if (strcmp(key, "relay_for") == 0) {
		for (i = 0; i < c->nroutes; i++) {
			size_t j;

			buf_printf(b, "%s%s=", i ? " ; " : "",
			    c->routes[i].sender);
			for (j = 0; j < c->routes[i].nrelays; j++) {
				const struct conf_url *u =
				    &c->routes[i].relays[j];

				buf_printf(b, "%s%s|%s|%s|%d", j ? "," : "",
				    scheme_name(u->scheme), u->user ? u->user :
				    "-", u->host, u->port);
			}
		}
	} else if (strcmp(key, "relay_limit") == 0) {
		for (i = 0; i < c->nlimits; i++)
			buf_printf(b, "%s%s=%ld/%lld", i ? " " : "",
			    c->limits[i].host, c->limits[i].count,
			    (long long)c->limits[i].window);
	} else if (strcmp(key, "sender_map") == 0) {
		for (i = 0; i < c->nsender_maps; i++)
			buf_printf(b, "%s%s=%s", i ? " " : "",
			    c->sender_maps[i].user, c->sender_maps[i].address);
	} else if (strcmp(key, "tls_policy") == 0) {
		for (i = 0; i < c->ntls_policies; i++)
			buf_printf(b, "%s%s=%s", i ? " " : "",
			    c->tls_policies[i].domain,
			    conf_tlspol_name(c->tls_policies[i].level));
	} else
		buf_printf(b, "no such key in the test: %s", key);
}

#define E(s) "ERR: t.conf:1: " s
#define BAD_LOCAL "bad local part (want atoms of letters, digits, " \
	"!#$%&'*+-/=?^_`{|}~ or UTF-8, joined by dots)"

static const struct conf_case cases[] = {
	/* strings, hosts, paths */
	{ "spool", "spool /tmp/sp\n", "spool", "/tmp/sp" },
	{ "spool relative", "spool sp", "spool", "sp" },
	{ "spool_owner", "spool_owner mail\n", "spool_owner", "mail" },
	{ "spool_owner empty: unset", "spool_owner mail\nspool_owner\n",
	    "spool_owner", "(null)" },
	{ "spool missing value", "spool\n", "spool",
	    E("spool: missing value") },
	{ "path with space", "aliases /etc/my aliases  \n", "aliases",
	    "/etc/my aliases" },
	{ "last one wins", "spool /a\nspool /b\n", "spool", "/b" },
	{ "hostname", "hostname mail.example.org", "hostname",
	    "mail.example.org" },
	{ "hostname bad", "hostname bad_host", "hostname",
	    E("hostname: not a valid domain name") },
	{ "hostname label -", "hostname -a.example", "hostname",
	    E("hostname: not a valid domain name") },
	{ "hostname empty unsets", "hostname a.b\nhostname\n", "hostname",
	    "(null)" },
	{ "tls_ca_file", "tls_ca_file /etc/ssl/ca.pem", "tls_ca_file",
	    "/etc/ssl/ca.pem" },
	{ "auth_file", "auth_file /etc/minimta/auth", "auth_file",
	    "/etc/minimta/auth" },

	/* comments and lines */
	{ "comment after value", "spool /var/x   # the spool\n", "spool",
	    "/var/x" },
	{ "# inside value", "spool /var/x#y\n", "spool", "/var/x#y" },
	{ "comment lines", "# top\n\n   # indented\n\t\nspool /c\n", "spool",
	    "/c" },
	{ "CRLF", "spool /crlf\r\nconcurrency 3\r\n", "concurrency", "3" },
	{ "no final newline", "concurrency 4", "concurrency", "4" },
	{ "tab separated", "concurrency\t5\t", "concurrency", "5" },
	{ "unknown key", "# c\n\nspool /a\nbogus_key 1\n", "spool",
	    "ERR: t.conf:4: bogus_key: unknown key" },
	{ "unknown key cleaned", "bo\x7fgus 1\n", "spool",
	    E("bo?gus: unknown key") },
	{ "key is case-sensitive", "Spool /a\n", "spool",
	    E("Spool: unknown key") },
	{ "control char", "spool /a\x01" "b\n", "spool",
	    E("spool: value contains a control character") },
	{ "bare CR inside", "spool /a\rb\n", "spool",
	    E("spool: value contains a control character") },

	/* bool */
	{ "bool yes", "tls_verify no\ntls_verify yes", "tls_verify", "yes" },
	{ "bool off", "tls_verify off", "tls_verify", "no" },
	{ "bool TRUE", "auth_plaintext TRUE", "auth_plaintext", "yes" },
	{ "bool 0", "tls_verify 0", "tls_verify", "no" },
	{ "bool 1", "auth_plaintext 1", "auth_plaintext", "yes" },
	{ "bool bad", "tls_verify maybe", "tls_verify",
	    E("tls_verify: want yes or no") },

	/* int bounds */
	{ "port 1", "smtp_port 1", "smtp_port", "1" },
	{ "port 65535", "smtp_port 65535", "smtp_port", "65535" },
	{ "port 0", "smtp_port 0", "smtp_port",
	    E("smtp_port: 0 is out of range (1..65535)") },
	{ "port 65536", "smtp_port 65536", "smtp_port",
	    E("smtp_port: 65536 is out of range (1..65535)") },
	{ "port -1", "smtp_port -1", "smtp_port",
	    E("smtp_port: want a number") },
	{ "port x", "smtp_port 25x", "smtp_port",
	    E("smtp_port: want a number") },
	{ "port huge", "smtp_port 99999999999999999999999", "smtp_port",
	    E("smtp_port: want a number") },
	{ "concurrency 256", "concurrency 256", "concurrency", "256" },
	{ "concurrency 257", "concurrency 257", "concurrency",
	    E("concurrency: 257 is out of range (1..256)") },
	{ "concurrency 0", "concurrency 0", "concurrency",
	    E("concurrency: 0 is out of range (1..256)") },
	{ "max_recipients 1000000", "max_recipients 1000000",
	    "max_recipients", "1000000" },
	{ "max_recipients 1000001", "max_recipients 1000001",
	    "max_recipients",
	    E("max_recipients: 1000001 is out of range (1..1000000)") },

	/* durations */
	{ "duration 5d", "queue_lifetime 5d", "queue_lifetime", "432000" },
	{ "duration plain", "queue_lifetime 90", "queue_lifetime", "90" },
	{ "duration 90s", "connect_timeout 90s", "connect_timeout", "90" },
	{ "duration 1h30m", "retry_max 1h30m", "retry_max", "5400" },
	{ "duration 1w", "queue_lifetime 1w", "queue_lifetime", "604800" },
	{ "duration upper case", "retry_min 2M", "retry_min", "120" },
	{ "duration 365d", "queue_lifetime 365d", "queue_lifetime",
	    "31536000" },
	{ "duration 366d", "queue_lifetime 366d", "queue_lifetime",
	    E("queue_lifetime: 366d is out of range (0s..31536000s)") },
	{ "duration 0 allowed", "delay_warning 0", "delay_warning", "0" },
	{ "retry_min 0", "retry_min 0", "retry_min",
	    E("retry_min: 0 is out of range (1s..604800s)") },
	{ "connect 1h", "connect_timeout 1h", "connect_timeout", "3600" },
	{ "connect 3601", "connect_timeout 3601", "connect_timeout",
	    E("connect_timeout: 3601 is out of range (1s..3600s)") },
	{ "mta_sts_timeout 5m", "mta_sts_timeout 5m", "mta_sts_timeout",
	    "300" },
	{ "mta_sts_timeout 301", "mta_sts_timeout 301", "mta_sts_timeout",
	    E("mta_sts_timeout: 301 is out of range (1s..300s)") },
	{ "mta_sts_timeout 0", "mta_sts_timeout 0", "mta_sts_timeout",
	    E("mta_sts_timeout: 0 is out of range (1s..300s)") },
	{ "duration bad unit", "data_timeout 5x", "data_timeout",
	    E("data_timeout: want a duration (e.g. 90s, 30m, 4h, 5d)") },
	{ "duration space", "data_timeout 5 m", "data_timeout",
	    E("data_timeout: want a duration (e.g. 90s, 30m, 4h, 5d)") },
	{ "duration overflow", "data_timeout 99999999999999999999w",
	    "data_timeout",
	    E("data_timeout: want a duration (e.g. 90s, 30m, 4h, 5d)") },

	/* sizes */
	{ "size 50M", "max_message_size 50M", "max_message_size",
	    "52428800" },
	{ "size 10", "max_message_size 10", "max_message_size", "10" },
	{ "size 2048k", "max_message_size 2048k", "max_message_size",
	    "2097152" },
	{ "size 1G", "max_header_size 1G", "max_header_size", "1073741824" },
	{ "size past", "max_header_size 1025M", "max_header_size",
	    E("max_header_size: 1025M is out of range (1..1073741824)") },
	{ "size 0 bounce", "bounce_size_limit 0", "bounce_size_limit", "0" },
	{ "journal off", "journal_max_age 0", "journal_max_age", "0" },
	{ "journal size at its floor", "journal_max_size 64K",
	    "journal_max_size", "65536" },
	{ "journal size under its floor", "journal_max_size 63K",
	    "journal_max_size",
	    E("journal_max_size: 63K is out of range (65536..68719476736)") },
	{ "status_group", "status_group www-data", "status_group",
	    "www-data" },
	{ "print_queue_id", "print_queue_id yes", "print_queue_id", "yes" },
	{ "size 0 message", "max_message_size 0", "max_message_size",
	    E("max_message_size: 0 is out of range (1..1099511627776)") },
	{ "size T", "max_message_size 5T", "max_message_size",
	    E("max_message_size: want a size (e.g. 512K, 50M, 1G)") },
	{ "size 1.5M", "max_message_size 1.5M", "max_message_size",
	    E("max_message_size: want a size (e.g. 512K, 50M, 1G)") },
	{ "size MB", "max_message_size 5MB", "max_message_size",
	    E("max_message_size: want a size (e.g. 512K, 50M, 1G)") },

	/* loops (loop.h) */
	{ "max_hops", "max_hops 25", "max_hops", "25" },
	{ "max_hops 1", "max_hops 1", "max_hops", "1" },
	{ "max_hops 0", "max_hops 0", "max_hops",
	    E("max_hops: 0 is out of range (1..1000)") },
	{ "max_hops 1001", "max_hops 1001", "max_hops",
	    E("max_hops: 1001 is out of range (1..1000)") },
	{ "mx_allow_loopback", "mx_allow_loopback yes", "mx_allow_loopback",
	    "yes" },
	{ "mx_allow_loopback bad", "mx_allow_loopback maybe",
	    "mx_allow_loopback", E("mx_allow_loopback: want yes or no") },

	/* enums */
	{ "log stderr", "log stderr", "log", "stderr" },
	{ "log syslog", "log stderr\nlog syslog", "log", "syslog" },
	{ "log bad", "log file", "log", E("log: want syslog or stderr") },
	{ "t_args remove", "t_args remove", "t_args", "remove" },
	{ "t_args bad", "t_args keep", "t_args",
	    E("t_args: want add or remove") },

	/* tls_policy (conf_tlspol.c; test_tlspol has the details) */
	{ "tls_policy", "tls_policy example.org verify\n"
	    "tls_policy * dane\ntls_policy Example.org. none\n", "tls_policy",
	    "example.org=none *=dane" },
	{ "tls_policy empty clears", "tls_policy a.b may\ntls_policy\n",
	    "tls_policy", "" },
	{ "tls_policy bad level", "tls_policy a.b secure", "tls_policy",
	    E("tls_policy: want none, may, encrypt, verify or dane after the "
	    "domain") },
	{ "tls_policy no level", "tls_policy a.b", "tls_policy",
	    E("tls_policy: want \"DOMAIN none|may|encrypt|verify|dane\"") },
	/* smarthost URLs */
	{ "url smtp", "smarthost smtp://relay.example.org", "smarthost",
	    "smtp|-|relay.example.org|25|smtp://relay.example.org" },
	{ "url starttls port", "smarthost smtp+starttls://h.example:587",
	    "smarthost", "starttls|-|h.example|587|smtp+starttls://h.example:"
	    "587" },
	{ "url starttls default", "smarthost smtp+starttls://h.example",
	    "smarthost", "starttls|-|h.example|25|smtp+starttls://h.example" },
	{ "url smtps", "smarthost smtps://h.example/", "smarthost",
	    "smtps|-|h.example|465|smtps://h.example/" },
	{ "url scheme case", "smarthost SMTPS://h", "smarthost",
	    "smtps|-|h|465|SMTPS://h" },
	{ "url user", "smarthost smtp://me@h.example:2525", "smarthost",
	    "smtp|me|h.example|2525|smtp://me@h.example:2525" },
	{ "url user %40", "smarthost smtp://me%40x.org@h", "smarthost",
	    "smtp|me@x.org|h|25|smtp://me%40x.org@h" },
	{ "url user with @", "smarthost smtp://me@x.org@h", "smarthost",
	    "smtp|me@x.org|h|25|smtp://me@x.org@h" },
	{ "url ipv6", "smarthost smtp://[::1]:2525", "smarthost",
	    "smtp|-|::1|2525|smtp://[::1]:2525" },
	{ "url ipv6 no port", "smarthost smtps://[2001:db8::1]", "smarthost",
	    "smtps|-|2001:db8::1|465|smtps://[2001:db8::1]" },
	{ "url ipv4", "smarthost smtp://127.0.0.1:25", "smarthost",
	    "smtp|-|127.0.0.1|25|smtp://127.0.0.1:25" },
	{ "url repeat", "smarthost smtp://a\nsmarthost smtps://b:1\n",
	    "smarthost", "smtp|-|a|25|smtp://a ; smtps|-|b|1|smtps://b:1" },
	{ "url empty clears", "smarthost smtp://a\nsmarthost\n", "smarthost",
	    "" },
	{ "url password", "smarthost smtp://u:s3cret@h", "smarthost",
	    E("smarthost: a password in the URL is not allowed (this file is "
	    "readable by every user): put it in auth_file") },
	{ "url empty password", "smarthost smtp://u:@h", "smarthost",
	    E("smarthost: a password in the URL is not allowed (this file is "
	    "readable by every user): put it in auth_file") },
	{ "url bad scheme", "smarthost ftp://h", "smarthost",
	    E("smarthost: unknown URL scheme (want smtp://, smtp+starttls:// "
	    "or smtps://)") },
	{ "url no scheme", "smarthost relay.example.org", "smarthost",
	    E("smarthost: unknown URL scheme (want smtp://, smtp+starttls:// "
	    "or smtps://)") },
	{ "url no host", "smarthost smtp://", "smarthost",
	    E("smarthost: missing host") },
	{ "url user no host", "smarthost smtp://u@", "smarthost",
	    E("smarthost: missing host") },
	{ "url port 0", "smarthost smtp://h:0", "smarthost",
	    E("smarthost: bad port (want 1..65535)") },
	{ "url port 65536", "smarthost smtp://h:65536", "smarthost",
	    E("smarthost: bad port (want 1..65535)") },
	{ "url port 65535", "smarthost smtp://h:65535", "smarthost",
	    "smtp|-|h|65535|smtp://h:65535" },
	{ "url empty port", "smarthost smtp://h:", "smarthost",
	    E("smarthost: bad port (want 1..65535)") },
	{ "url path", "smarthost smtp://h/x", "smarthost",
	    E("smarthost: a path, query, fragment or space is not allowed in "
	    "a smarthost URL") },
	{ "url bad ipv6", "smarthost smtp://[::g]", "smarthost",
	    E("smarthost: bad host name") },
	{ "url open bracket", "smarthost smtp://[::1", "smarthost",
	    E("smarthost: missing ] after an IPv6 address") },
	{ "url bad host", "smarthost smtp://a_b", "smarthost",
	    E("smarthost: bad host name") },
	{ "url bad escape", "smarthost smtp://a%4@h", "smarthost",
	    E("smarthost: bad %-escape in the user name") },
	{ "url %00", "smarthost smtp://a%00@h", "smarthost",
	    E("smarthost: bad %-escape in the user name") },

	/* sender_map, masquerade, resolver, postmaster */
	{ "sender_map", "sender_map www-data web@example.org\n"
	    "sender_map root  ops@example.org", "sender_map",
	    "www-data=web@example.org root=ops@example.org" },
	{ "sender_map replace", "sender_map root a@x.org\n"
	    "sender_map root b@x.org", "sender_map", "root=b@x.org" },
	{ "sender_map one field", "sender_map root", "sender_map",
	    E("sender_map: want \"localuser address\"") },
	{ "sender_map three", "sender_map root a@x.org more", "sender_map",
	    E("sender_map: want \"localuser address\"") },
	{ "sender_map @ user", "sender_map a@b c@d.org", "sender_map",
	    E("sender_map: the local user must not contain @") },
	{ "sender_map bad address", "sender_map root nobody", "sender_map",
	    E("sender_map: want user@domain") },
	{ "masquerade domain", "masquerade example.org", "masquerade",
	    "example.org" },
	{ "masquerade address", "masquerade noreply@example.org",
	    "masquerade", "noreply@example.org" },
	{ "masquerade bad", "masquerade exa!mple", "masquerade",
	    E("masquerade: want a domain or user@domain") },
	{ "masquerade bad address", "masquerade @example.org", "masquerade",
	    E("masquerade: want user@domain") },
	/* found by fuzz_rewrite: the mapped sender must be an address the
	 * envelope takes (no bad UTF-8, no empty atom, no specials) */
	{ "masquerade bad utf-8", "masquerade ali\x9c\x9a@corp.example",
	    "masquerade", E("masquerade: " BAD_LOCAL) },
	{ "masquerade utf-8", "masquerade jos\xc3\xa9@example.org",
	    "masquerade", "jos\xc3\xa9@example.org" },
	{ "sender_map double dot", "sender_map root a..b@x.org",
	    "sender_map", E("sender_map: " BAD_LOCAL) },
	{ "sender_map backslash", "sender_map root a\\b@x.org",
	    "sender_map", E("sender_map: " BAD_LOCAL) },
	{ "masquerade local 64", "masquerade "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "@x.org", "masquerade",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "@x.org" },
	{ "masquerade local 65", "masquerade "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "@x.org", "masquerade",
	    E("masquerade: local part longer than 64 octets") },
	{ "postmaster trailing dot", "postmaster root.", "postmaster",
	    E("postmaster: " BAD_LOCAL) },
	{ "resolver one", "resolver 127.0.0.1", "resolver", "127.0.0.1" },
	{ "resolver list", "resolver 127.0.0.1:5353, [::1]:53,::1",
	    "resolver", "127.0.0.1:5353, [::1]:53,::1" },
	{ "resolver name", "resolver dns.example", "resolver",
	    E("resolver: want ip[:port][,ip[:port]...] (IPv6 as "
	    "[addr]:port)") },
	{ "resolver port 0", "resolver 1.2.3.4:0", "resolver",
	    E("resolver: want ip[:port][,ip[:port]...] (IPv6 as "
	    "[addr]:port)") },
	{ "resolver empty item", "resolver 1.2.3.4,", "resolver",
	    E("resolver: want ip[:port][,ip[:port]...] (IPv6 as "
	    "[addr]:port)") },
	{ "resolver 8", "resolver 1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,"
	    "1.1.1.1,1.1.1.1,1.1.1.1", "resolver", "1.1.1.1,1.1.1.1,1.1.1.1,"
	    "1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1" },
	{ "resolver 9", "resolver 1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,"
	    "1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1", "resolver",
	    E("resolver: more than 8 servers") },
	{ "postmaster local", "postmaster root", "postmaster", "root" },
	{ "postmaster address", "postmaster admin@example.org", "postmaster",
	    "admin@example.org" },
	{ "postmaster space", "postmaster a b", "postmaster",
	    E("postmaster: not a plain address (no spaces, <>, quotes)") },
	{ "postmaster empty unsets", "postmaster a@b.org\npostmaster",
	    "postmaster", "(null)" },

	/* relay policy: smarthost_order, relay_for, relay_limit */
	{ "order default", "", "smarthost_order", "failover" },
	{ "order roundrobin", "smarthost_order roundrobin",
	    "smarthost_order", "roundrobin" },
	{ "order bad", "smarthost_order random", "smarthost_order",
	    E("smarthost_order: want failover or roundrobin") },
	{ "relay_for domain", "relay_for Example.ORG smtp://r.example:2525",
	    "relay_for", "example.org=smtp|-|r.example|2525" },
	{ "relay_for several URLs", "relay_for a.example smtps://u@r1.example "
	    "\t smtp+starttls://r2.example:587  ", "relay_for",
	    "a.example=smtps|u|r1.example|465,starttls|-|r2.example|587" },
	{ "relay_for address", "relay_for Shop@A.example smtp://r.example",
	    "relay_for", "shop@a.example=smtp|-|r.example|25" },
	{ "relay_for null sender", "relay_for <> smtp://r.example",
	    "relay_for", "<>=smtp|-|r.example|25" },
	{ "relay_for repeatable", "relay_for a.example smtp://r1.example\n"
	    "relay_for b.example smtp://r2.example\n", "relay_for",
	    "a.example=smtp|-|r1.example|25 ; b.example=smtp|-|r2.example|25" },
	{ "relay_for same sender: last wins", "relay_for a.example "
	    "smtp://r1.example\nrelay_for A.EXAMPLE smtp://r2.example\n",
	    "relay_for", "a.example=smtp|-|r2.example|25" },
	{ "relay_for empty clears", "relay_for a.example smtp://r.example\n"
	    "relay_for\n", "relay_for", "" },
	{ "relay_for no URL", "relay_for a.example", "relay_for",
	    E("relay_for: want \"SENDER URL...\" (at least one relay)") },
	{ "relay_for bad sender", "relay_for a_b smtp://r.example",
	    "relay_for", E("relay_for: want a sender domain, address or <> "
	    "before the relays") },
	{ "relay_for bad address", "relay_for a@@b smtp://r.example",
	    "relay_for", E("relay_for: want user@domain") },
	{ "relay_for bad URL", "relay_for a.example http://r.example",
	    "relay_for", E("relay_for: unknown URL scheme (want smtp://, "
	    "smtp+starttls:// or smtps://)") },
	{ "relay_for password", "relay_for a.example smtp://u:secret@r.ex",
	    "relay_for", E("relay_for: a password in the URL is not allowed "
	    "(this file is readable by every user): put it in auth_file") },
	{ "relay_for 32 URLs", "relay_for a.example"
	    " smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r"
	    " smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r"
	    " smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r"
	    " smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r"
	    " smtp://r smtp://r smtp://r smtp://r", "smarthost", "" },
	{ "relay_for 33 URLs", "relay_for a.example"
	    " smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r"
	    " smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r"
	    " smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r"
	    " smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r smtp://r"
	    " smtp://r smtp://r smtp://r smtp://r smtp://r", "relay_for",
	    E("relay_for: too many relays (max 32)") },
	{ "relay_limit hour", "relay_limit SMTP.Example.net 100/h",
	    "relay_limit", "smtp.example.net=100/3600" },
	{ "relay_limit day and account", "relay_limit r.example 100/h\n"
	    "relay_limit Me@R.example 2000/d\n", "relay_limit",
	    "r.example=100/3600 Me@r.example=2000/86400" },
	{ "relay_limit same host and unit: last wins",
	    "relay_limit r.example 100/h\nrelay_limit r.example 5/d\n"
	    "relay_limit r.example 50/h\n", "relay_limit",
	    "r.example=50/3600 r.example=5/86400" },
	{ "relay_limit IPv6", "relay_limit [::1] 1/h", "relay_limit",
	    "::1=1/3600" },
	{ "relay_limit 1000000", "relay_limit r 1000000/d", "relay_limit",
	    "r=1000000/86400" },
	{ "relay_limit 1000001", "relay_limit r 1000001/d", "relay_limit",
	    E("relay_limit: 1000001 is out of range (1..1000000)") },
	{ "relay_limit 0", "relay_limit r 0/h", "relay_limit",
	    E("relay_limit: 0 is out of range (1..1000000)") },
	{ "relay_limit unit", "relay_limit r 10/m", "relay_limit",
	    E("relay_limit: want a rate N/h or N/d (e.g. 100/h)") },
	{ "relay_limit no rate", "relay_limit r", "relay_limit",
	    E("relay_limit: want \"HOST N/h\" or \"HOST N/d\"") },
	{ "relay_limit extra", "relay_limit r 1/h x", "relay_limit",
	    E("relay_limit: want \"HOST N/h\" or \"HOST N/d\"") },
	{ "relay_limit port", "relay_limit r:587 1/h", "relay_limit",
	    E("relay_limit: a relay_limit names a host, without a port") },
	{ "relay_limit bad host", "relay_limit r_x 1/h", "relay_limit",
	    E("relay_limit: bad host name") },
	{ "relay_limit empty user", "relay_limit @r 1/h", "relay_limit",
	    E("relay_limit: want HOST or user@HOST") },
	{ "relay_limit empty clears", "relay_limit r 1/h\nrelay_limit",
	    "relay_limit", "" },
};

static void
run_case(const struct conf_case *tc)
{
	struct conf *c = conf_new();
	struct why why;
	struct buf got;

	buf_init(&got);
	if (conf_parse(c, "t.conf", tc->text, strlen(tc->text), &why) == 0)
		conf_show(&got, c, tc->key);
	else
		buf_printf(&got, "ERR: %s", why.text);
	UNIT_STR(tc->name, buf_cstr(&got), tc->want);
	buf_free(&got);
	conf_free(c);
}

static const char *
show_key(const struct conf *c, const char *key)
{
	static struct buf b;

	buf_reset(&b);
	conf_show(&b, c, key);
	return buf_cstr(&b);
}

static void
test_defaults(void)
{
	static const struct {
		const char *key, *want;
	} defs[] = {
		{ "hostname", "(null)" }, { "domain", "(null)" },
		{ "spool", CONF_DEFAULT_SPOOL }, { "smarthost", "" },
		{ "auth_file", "(null)" }, { "tls_verify", "yes" },
		{ "tls_ca_file", "(null)" }, { "auth_plaintext", "no" },
		{ "aliases", CONF_DEFAULT_ALIASES }, { "resolver", "(null)" },
		{ "smtp_port", "25" }, { "queue_lifetime", "432000" },
		{ "delay_warning", "14400" }, { "retry_min", "300" },
		{ "retry_max", "3600" }, { "concurrency", "8" },
		{ "connect_timeout", "30" }, { "command_timeout", "300" },
		{ "data_timeout", "600" }, { "max_message_size", "52428800" },
		{ "max_recipients", "1000" }, { "max_header_size", "1048576" },
		{ "log", "syslog" }, { "t_args", "add" },
		{ "masquerade", "(null)" }, { "sender_map", "" },
		{ "postmaster", "(null)" }, { "bounce_size_limit", "51200" },
		{ "spool_owner", "(null)" }, { "oauth2_token_timeout", "30" },
		{ "max_hops", "50" }, { "mx_allow_loopback", "no" },
		{ "journal_max_age", "604800" },
		{ "journal_max_size", "67108864" }, { "status_group", "(null)" },
		{ "print_queue_id", "no" },
		{ "tls_policy", "" }, { "mta_sts", "yes" },
		{ "mta_sts_port", "443" }, { "mta_sts_timeout", "30" },
	};
	struct conf *c = conf_new();
	size_t i;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		UNIT_STR(defs[i].key, show_key(c, defs[i].key), defs[i].want);
	for (i = 0; conf_key_name(i) != NULL; i++)
		UNIT_CHECK("every key tested", strncmp(show_key(c,
		    conf_key_name(i)), "no such", 7) != 0, "%s",
		    conf_key_name(i));
	UNIT_CHECK("has_key", conf_has_key("spool") &&
	    !conf_has_key("nope") && !conf_has_key(NULL), "conf_has_key");
	conf_free(c);
	conf_free(NULL);
}

static void
test_limits(void)
{
	struct conf *c = conf_new();
	struct buf t;
	struct why why;
	int rc;

	/* A line of exactly CONF_LINE_MAX bytes, then one byte more. */
	buf_init(&t);
	buf_adds(&t, "spool /");
	while (t.len < CONF_LINE_MAX)
		buf_addc(&t, 'x');
	buf_addc(&t, '\n');
	rc = conf_parse(c, "t.conf", t.data, t.len, &why);
	UNIT_INT("line at limit", rc, 0);
	UNIT_INT("line at limit len", strlen(c->spool), CONF_LINE_MAX - 6);
	buf_reset(&t);
	buf_adds(&t, "# ok\nspool /");
	while (t.len < 5 + CONF_LINE_MAX + 1)
		buf_addc(&t, 'x');
	rc = conf_parse(c, "t.conf", t.data, t.len, &why);
	UNIT_INT("line past limit", rc, -1);
	UNIT_STR("line past limit why", why.text,
	    "t.conf:2: line too long (max 4096 bytes)");
	rc = conf_parse(c, "t.conf", "spool /a\0b\n", 11, &why);
	UNIT_INT("NUL", rc, -1);
	UNIT_STR("NUL why", why.text, "t.conf:1: line contains a NUL byte");
	buf_free(&t);
	conf_free(c);
}

static void
test_set(void)
{
	struct conf *c = conf_new();
	struct why why;

	UNIT_INT("set ok", conf_set(c, "concurrency", "12", &why), 0);
	UNIT_STR("set value", show_key(c, "concurrency"), "12");
	UNIT_INT("set trims", conf_set(c, "spool", " /x ", &why), 0);
	UNIT_STR("set trims value", c->spool, "/x");
	UNIT_INT("set bad", conf_set(c, "concurrency", "0", &why), -1);
	UNIT_STR("set bad why", why.text,
	    "-O concurrency: 0 is out of range (1..256)");
	UNIT_INT("set unknown", conf_set(c, "nope", "1", &why), -1);
	UNIT_STR("set unknown why", why.text, "-O nope: unknown key");
	UNIT_INT("set password", conf_set(c, "smarthost",
	    "smtp://u:pw@h", &why), -1);
	UNIT_CHECK("no password echoed", strstr(why.text, "pw") == NULL,
	    "%s", why.text);
	UNIT_INT("set smarthost", conf_set(c, "smarthost", "smtp://h", &why),
	    0);
	UNIT_INT("set smarthost clear", conf_set(c, "smarthost", "", &why),
	    0);
	UNIT_INT("cleared", c->nsmarthosts, 0);
	UNIT_INT("set NULL value", conf_set(c, "spool", NULL, &why), -1);
	UNIT_STR("set NULL why", why.text, "-O spool: missing value");
	conf_free(c);
}

static struct conf *
parsed(const char *text)
{
	struct conf *c = conf_new();
	struct why why;

	if (conf_parse(c, "f.conf", text, strlen(text), &why) != 0) {
		UNIT_CHECK(text, 0, "parse: %s", why.text);
	}
	return c;
}

static void
test_finish(void)
{
	struct conf *c;
	struct why why;

	c = parsed("hostname mail.example.org\n");
	UNIT_INT("finish", conf_finish(c, &why), 0);
	UNIT_STR("domain from hostname", c->domain, "example.org");
	conf_free(c);
	c = parsed("hostname box.lan\n");
	UNIT_INT("finish 2", conf_finish(c, &why), 0);
	UNIT_STR("two labels: domain is hostname", c->domain, "box.lan");
	conf_free(c);
	c = parsed("hostname localhost\ndomain example.net\n");
	UNIT_INT("finish 3", conf_finish(c, &why), 0);
	UNIT_STR("domain kept", c->domain, "example.net");
	conf_free(c);
	c = parsed("");
	UNIT_INT("finish system name", conf_finish(c, &why), 0);
	UNIT_CHECK("hostname filled", c->hostname != NULL &&
	    conf_valid_domain(c->hostname) && c->domain != NULL,
	    "hostname %s", c->hostname ? c->hostname : "(null)");
	conf_free(c);

	c = parsed("hostname h.example\nretry_min 2h\nretry_max 1h\n");
	UNIT_INT("retry cross", conf_finish(c, &why), -1);
	UNIT_STR("retry cross why", why.text,
	    "f.conf: retry_min: 2h is longer than retry_max (1h)");
	conf_free(c);
	c = parsed("hostname h.example\nretry_min 1h\nretry_max 1h\n");
	UNIT_INT("retry equal", conf_finish(c, &why), 0);
	conf_free(c);
	c = parsed("hostname h.example\ntls_cert_file /c.pem\n");
	UNIT_INT("cert without key", conf_finish(c, &why), -1);
	UNIT_STR("cert without key why", why.text, "f.conf: tls_key_file: "
	    "set both tls_cert_file and tls_key_file, or neither");
	conf_free(c);
	c = parsed("hostname h.example\nsmarthost smtp://me@relay\n");
	UNIT_INT("user without auth_file", conf_finish(c, &why), -1);
	UNIT_STR("user without auth_file why", why.text, "f.conf: smarthost: "
	    "smtp://me@relay names a user but auth_file is not set");
	conf_free(c);
	c = parsed("hostname h.example\nsmarthost smtp://me@relay\n"
	    "auth_file /a\n");
	UNIT_INT("user with auth_file", conf_finish(c, &why), 0);
	conf_free(c);
	c = parsed("hostname h.example\nrelay_for a.example smtp://r "
	    "smtp://me@relay\n");
	UNIT_INT("relay_for user without auth_file", conf_finish(c, &why),
	    -1);
	UNIT_STR("relay_for user without auth_file why", why.text,
	    "f.conf: relay_for: smtp://me@relay names a user but auth_file "
	    "is not set");
	conf_free(c);
}

static void
test_load(void)
{
	char dir[] = "/tmp/test_conf.XXXXXX", path[64];
	struct conf *c = conf_new();
	struct why why;
	FILE *f;

	UNIT_INT("missing", conf_load(c, "/nonexistent/minimta.conf", &why),
	    -1);
	UNIT_INT("missing errno", errno, ENOENT);
	UNIT_CHECK("mkdtemp", mkdtemp(dir) != NULL, "mkdtemp");
	(void)snprintf(path, sizeof(path), "%s/m.conf", dir);
	f = fopen(path, "w");
	fputs("# test\nconcurrency 7\nbogus x\n", f);
	fclose(f);
	UNIT_INT("load bad", conf_load(c, path, &why), -1);
	UNIT_CHECK("load bad why", strstr(why.text, "/m.conf:3: bogus: "
	    "unknown key") != NULL, "%s", why.text);
	f = fopen(path, "w");
	fputs("concurrency 7\n", f);
	fclose(f);
	UNIT_INT("load", conf_load(c, path, &why), 0);
	UNIT_INT("load value", c->concurrency, 7);
	UNIT_STR("load path", c->path, path);
	UNIT_INT("load dir", conf_load(c, dir, &why), -1);
	(void)unlink(path);
	(void)rmdir(dir);
	conf_free(c);
}

static char *
slurp(const char *path)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_release(&b);
}

/*
 * etc/minimta.conf parses as is (all defaults), and with every "#key
 * value" line uncommented: its examples are valid. Every key of the
 * table is in it and in minimta.conf(5).
 */
static void
test_shipped(void)
{
	char *text = slurp("etc/minimta.conf"), *man, *p, *line;
	struct buf on, k;
	struct why why;
	struct conf *c;
	size_t i, n = 0;

	man = slurp("man/minimta.conf.5");
	UNIT_CHECK("etc/minimta.conf", text != NULL, "run from the top");
	UNIT_CHECK("man/minimta.conf.5", man != NULL, "run from the top");
	if (text == NULL || man == NULL)
		goto out;
	for (i = 0; conf_key_name(i) != NULL; i++) {
		buf_init(&k);
		buf_printf(&k, "\n#%s ", conf_key_name(i));
		UNIT_CHECK("key in etc/minimta.conf", strstr(text,
		    buf_cstr(&k)) != NULL, "%s", conf_key_name(i));
		buf_reset(&k);
		buf_printf(&k, "\n.B %s\n", conf_key_name(i));
		UNIT_CHECK("key in minimta.conf.5", strstr(man,
		    buf_cstr(&k)) != NULL, "%s", conf_key_name(i));
		buf_free(&k);
	}
	c = conf_new();
	UNIT_INT("shipped parses", conf_parse(c, "etc/minimta.conf", text,
	    strlen(text), &why), 0);
	UNIT_STR("shipped is defaults", c->spool, CONF_DEFAULT_SPOOL);
	UNIT_INT("shipped has no smarthost", c->nsmarthosts, 0);
	conf_free(c);
	buf_init(&on);
	for (p = text; (line = strsep(&p, "\n")) != NULL;) {
		if (line[0] == '#' && conf_key(line + 1,
		    strcspn(line + 1, " \t")) != NULL) {
			buf_adds(&on, line + 1);
			n++;
		}
		buf_addc(&on, '\n');
	}
	UNIT_CHECK("examples found", n >= 30, "%zu example lines", n);
	c = conf_new();
	why.text[0] = '\0';
	UNIT_INT("uncommented parses", conf_parse(c, "uncommented",
	    buf_cstr(&on), on.len, &why), 0);
	UNIT_STR("uncommented why", why.text, "");
	conf_free(c);
	buf_free(&on);
out:
	free(text);
	free(man);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_defaults();
	test_limits();
	test_set();
	test_finish();
	test_load();
	test_shipped();
	return unit_done("conf");
}
