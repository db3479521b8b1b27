/*
 * cli.c: the sendmail command line. See cli.h and sendmail(8).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "dsnparam.h"
#include "log.h"
#include "why.h"
#include "xmalloc.h"

/*
 * Flags sendmail (8.x or Postfix) accepts that minimta does not need:
 * accepted and ignored, never an error (sendmail.8 has the same table).
 * has_arg: the flag takes a value, attached or as the next argument.
 */
static const struct cli_ignored cli_ignored_table[] = {
	{ "-A", true, "-Ac and -Am pick sendmail's submit.cf or sendmail.cf; "
	    "minimta has one configuration file (-C)" },
	{ "-B", true, "body type (7BIT, 8BITMIME): minimta looks at the body "
	    "and announces 8BITMIME itself" },
	{ "-c", false, "hold connections to expensive mailers: minimta has "
	    "no expensive mailers" },
	{ "-D", true, "sendmail's debug output file: use -v" },
	{ "-d", true, "sendmail's debugging categories: use -v" },
	{ "-G", false, "gateway submission: every submission is checked the "
	    "same way" },
	{ "-h", true, "initial hop count: minimta counts Received: headers" },
	{ "-L", true, "syslog tag: minimta always logs as minimta" },
	{ "-m", false, "\"me too\": minimta never drops the sender from an "
	    "alias expansion" },
	{ "-n", false, "no aliasing: aliases apply only to unqualified "
	    "recipients" },
	{ "-p", true, "protocol and host for Received: minimta records the "
	    "submitting user" },
	{ "-s", false, "save From_ lines: obsolete (with -bp or mailq, -s ID "
	    "asks for a message's delivery status)" },
	{ "-U", false, "initial user submission: every submission is one" },
	{ "-x", false, "obsolete; Postfix ignores it too" },
	{ "-o7", false, "7-bit input: 8-bit bodies are kept and announced "
	    "with BODY=8BITMIME" },
	{ "-o8", false, "8-bit input: the default" },
	{ "-oL", false, "log level: use -v, or \"log stderr\" in "
	    "minimta.conf" },
	{ "-om", false, "\"me too\", as -m" },
	{ "-oo", false, "old-style address lists: headers are read as RFC "
	    "5322" },
	{ "-os", false, "SuperSafe: minimta always fsyncs a message before "
	    "it exits 0" },
	{ "-o*", false, "any other sendmail option letter: minimta has no use "
	    "for it" },
	{ "-O*", false, "-O Option=value for a sendmail option minimta does "
	    "not use (e.g. LogLevel); -O with a minimta.conf key sets that "
	    "key" },
};

#define CLI_NIGNORED (sizeof(cli_ignored_table) / sizeof(cli_ignored_table[0]))

const struct cli_ignored *
cli_ignored(size_t *n)
{
	*n = CLI_NIGNORED;
	return cli_ignored_table;
}

static const struct cli_ignored *
cli_find_ignored(const char *flag)
{
	size_t i;

	for (i = 0; i < CLI_NIGNORED; i++)
		if (strcmp(cli_ignored_table[i].flag, flag) == 0)
			return &cli_ignored_table[i];
	return NULL;
}

/* Parse-time facts the second pass needs. */
struct cli_state {
	int	 argc;
	char	**argv;
	int	 i;		/* argv index being read */
	bool	 explicit_mode;
	char	 mode_flag[24];	/* "-bp", "-q30m": the flag that set it */
	char	 filter_flag[24]; /* the first -qI/-qR/-qS */
	const char *progname;
};

static void
cli_flag_name(char *out, size_t len, const char *flag)
{
	struct buf b;

	buf_init(&b);
	log_clean(&b, flag, strlen(flag), 16);
	(void)strlcpy(out, buf_cstr(&b), len);	/* capped above */
	buf_free(&b);
}

static enum cli_result
cli_unknown(const char *flag, struct why *why)
{
	char name[24];

	cli_flag_name(name, sizeof(name), flag);
	why_set(why, "unknown option: %s", name);
	return CLI_USAGE;
}

static bool
cli_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* The value of flag c: the rest of this argument, or the next one. */
static enum cli_result
cli_value(struct cli_state *st, char c, const char **p, const char **val,
    struct why *why)
{
	if (**p != '\0') {
		*val = *p;
	} else if (st->i + 1 < st->argc) {
		*val = st->argv[++st->i];
	} else {
		why_set(why, "option requires a value: -%c", c);
		return CLI_USAGE;
	}
	*p = "";
	if (cli_has_control(*val)) {
		why_set(why, "-%c: value contains a control character", c);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static enum cli_result
cli_set_mode(struct cli *out, struct cli_state *st, enum cli_mode mode,
    const char *flag, struct why *why)
{
	char name[24];

	cli_flag_name(name, sizeof(name), flag);
	if (st->explicit_mode && out->mode != mode) {
		why_set(why, "conflicting modes: %s and %s", st->mode_flag,
		    name);
		return CLI_USAGE;
	}
	if (!st->explicit_mode)
		(void)strlcpy(st->mode_flag, name, sizeof(st->mode_flag));
	st->explicit_mode = true;
	out->mode = mode;
	return CLI_OK;
}

static void
cli_override(struct cli *out, const char *key, const char *value)
{
	out->overrides = xreallocarray(out->overrides, out->noverrides + 1,
	    sizeof(*out->overrides));
	out->overrides[out->noverrides].key = key;
	out->overrides[out->noverrides].value = value;
	out->noverrides++;
}

static enum cli_result
cli_delivery(struct cli *out, const char *v, const char *flag,
    struct why *why)
{
	if (v[0] == '\0' || v[1] != '\0')
		goto bad;
	switch (v[0]) {
	case 'b':
		out->delivery = CLI_DELIVER_BACKGROUND;
		return CLI_OK;
	case 'i':
		out->delivery = CLI_DELIVER_INTERACTIVE;
		return CLI_OK;
	case 'q':
	case 'd':
		out->delivery = CLI_DELIVER_QUEUE;
		return CLI_OK;
	default:
		break;
	}
bad:
	why_set(why, "%s: want b, i, q or d (-odb, -odi, -odq)", flag);
	return CLI_USAGE;
}

static enum cli_result
cli_error_mode(struct cli *out, const char *v, const char *flag,
    struct why *why)
{
	if (v[0] == '\0' || v[1] != '\0' || strchr("mpeqw", v[0]) == NULL) {
		why_set(why, "%s: want m, p, e, q or w (as in -oem)", flag);
		return CLI_USAGE;
	}
	out->error_mode = v[0];
	return CLI_OK;
}

/* -oX: sendmail's one-letter options. */
static enum cli_result
cli_opt_o(struct cli *out, const char *v, struct why *why)
{
	char flag[4] = { '-', 'o', v[0], '\0' };

	switch (v[0]) {
	case '\0':
		why_set(why, "-o: missing option letter");
		return CLI_USAGE;
	case 'i':
		out->ignore_dots = true;
		return CLI_OK;
	case 'd':
		return cli_delivery(out, v + 1, "-od", why);
	case 'e':
		return cli_error_mode(out, v + 1, "-oe", why);
	case 'Q':
	case 'A':
		if (v[1] == '\0') {
			why_set(why, "%s: missing %s", flag, v[0] == 'Q' ?
			    "spool directory (-oQ/var/spool/minimta)" :
			    "aliases file (-oA/etc/aliases)");
			return CLI_USAGE;
		}
		cli_override(out, v[0] == 'Q' ? "spool" : "aliases", v + 1);
		return CLI_OK;
	default:
		/* -o7, -o8, -oL ... and any other letter: see "-o*". */
		return CLI_OK;
	}
}

/* -O Option=value: sendmail's long options, or a minimta.conf key. */
static enum cli_result
cli_opt_O(struct cli *out, const char *v, struct why *why)
{
	const char *eq = strchr(v, '='), *val = eq != NULL ? eq + 1 : NULL;
	size_t len = eq != NULL ? (size_t)(eq - v) : strlen(v);
	const char *key;
	bool b;

#define CLI_IS(name) (len == strlen(name) && strncasecmp(v, name, len) == 0)
	if (len == 0) {
		why_set(why, "-O: missing option name (-O key=value)");
		return CLI_USAGE;
	}
	if (CLI_IS("QueueDirectory") || CLI_IS("AliasFile")) {
		key = CLI_IS("AliasFile") ? "aliases" : "spool";
		goto override;
	}
	if (CLI_IS("DeliveryMode"))
		return cli_delivery(out, val != NULL ? val : "", "-O "
		    "DeliveryMode", why);
	if (CLI_IS("ErrorMode"))
		return cli_error_mode(out, val != NULL ? val : "", "-O "
		    "ErrorMode", why);
	if (CLI_IS("IgnoreDots")) {
		if (val != NULL && conf_bool(val, &b) == -1) {
			why_set(why, "-O IgnoreDots: want true or false");
			return CLI_USAGE;
		}
		out->ignore_dots = val == NULL || b;
		return CLI_OK;
	}
#undef CLI_IS
	if ((key = conf_key(v, len)) == NULL)
		return CLI_OK;		/* a sendmail option: ignored */
override:
	if (val == NULL) {
		why_set(why, "-O %s: missing value (-O %s=value)", key, key);
		return CLI_USAGE;
	}
	cli_override(out, key, val);
	return CLI_OK;
}

static enum cli_result
cli_opt_b(struct cli *out, struct cli_state *st, const char *v,
    struct why *why)
{
	static const struct {
		char c;
		const char *reason;
	} unsupported[] = {
		{ 'd', "-bd: minimta runs no SMTP listener; use sendmail -q30m "
		    "for a queue runner" },
		{ 'D', "-bD: minimta runs no SMTP listener; use sendmail "
		    "-qf -q30m for a queue runner in the foreground" },
		{ 't', "-bt: minimta has no rewriting rules to test; use -bv "
		    "to see how addresses are routed" },
		{ 'h', "-bh: minimta keeps no host status; mailq shows why "
		    "messages wait" },
		{ 'H', "-bH: minimta keeps no host status to purge" },
		{ 'P', "-bP: minimta has one queue; mailq lists it" },
	};
	char flag[24];
	size_t i;

	(void)snprintf(flag, sizeof(flag), "-b%.16s", v);
	if (v[0] == '\0' || v[1] != '\0')
		return cli_unknown(flag, why);
	switch (v[0]) {
	case 'm':
		return cli_set_mode(out, st, CLI_SUBMIT, flag, why);
	case 's':
		return cli_set_mode(out, st, CLI_SMTP_STDIO, flag, why);
	case 'p':
		return cli_set_mode(out, st, CLI_LIST, flag, why);
	case 'i':
		return cli_set_mode(out, st, CLI_ALIASES, flag, why);
	case 'v':
		return cli_set_mode(out, st, CLI_VERIFY, flag, why);
	default:
		break;
	}
	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		if (unsupported[i].c == v[0]) {
			why_set(why, "%s", unsupported[i].reason);
			return CLI_USAGE;
		}
	}
	return cli_unknown(flag, why);
}

/*
 * -M, -Mrm, -Mf, -Mt: Exim's queue administration, the whole argument
 * (never sendmail 8's macro definitions -Mxvalue, which they would
 * shadow; Exim's other -M flags are refused, so that -Mvh ID does not
 * queue a message to ID).
 */
static enum cli_result
cli_opt_M(struct cli *out, struct cli_state *st, const char *v,
    struct why *why)
{
	static const struct {
		const char	*v;
		enum cli_admin	 a;
	} acts[] = {
		{ "", CLI_ADMIN_DELIVER },
		{ "rm", CLI_ADMIN_REMOVE },
		{ "f", CLI_ADMIN_HOLD },
		{ "t", CLI_ADMIN_RELEASE },
	};
	char raw[24], flag[24];
	size_t i;

	(void)snprintf(raw, sizeof(raw), "-M%.16s", v);
	cli_flag_name(flag, sizeof(flag), raw);
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcmp(v, acts[i].v) == 0)
			break;
	if (i == sizeof(acts) / sizeof(acts[0])) {
		why_set(why, "%s: not supported (minimta knows -M, -Mrm, -Mf "
		    "and -Mt, each followed by queue ids)", flag);
		return CLI_USAGE;
	}
	if (out->admin != CLI_ADMIN_NONE && out->admin != acts[i].a) {
		why_set(why, "conflicting modes: %s and %s", st->mode_flag,
		    flag);
		return CLI_USAGE;
	}
	out->admin = acts[i].a;
	return cli_set_mode(out, st, CLI_ADMIN, flag, why);
}

/* -q, -q30m, -qf, -qIid, -qRrcpt, -qSsender: all attached. */
static enum cli_result
cli_opt_q(struct cli *out, struct cli_state *st, const char *arg,
    const char *v, struct why *why)
{
	char flag[24];
	time_t t;

	(void)snprintf(flag, sizeof(flag), "-q%.16s", v);
	if (cli_has_control(v)) {
		why_set(why, "-q: value contains a control character");
		return CLI_USAGE;
	}
	if (v[0] == '\0' || strcmp(v, "f") == 0) {
		if (v[0] == 'f')
			out->queue_foreground = true;
		return cli_set_mode(out, st, CLI_QUEUE, arg[1] == 'q' ? arg :
		    "-q", why);
	}
	if (isdigit((unsigned char)v[0])) {
		/* sendmail's unit for a bare number is minutes. */
		if (conf_duration(v, 60, &t) == -1 || t < 1 ||
		    t > CLI_QUEUE_INTERVAL_MAX) {
			why_set(why, "%s: bad queue interval (e.g. -q30m, "
			    "-q1h; at most 30d)", flag);
			return CLI_USAGE;
		}
		out->queue_interval = (long)t;
		return cli_set_mode(out, st, CLI_QUEUE, flag, why);
	}
	switch (v[0]) {
	case 'I':
	case 'R':
	case 'S':
		if (v[1] == '\0') {
			why_set(why, "-q%c: needs a value attached, as in "
			    "-q%cvalue", v[0], v[0]);
			return CLI_USAGE;
		}
		if (v[0] == 'I')
			out->queue_id = v + 1;
		else if (v[0] == 'R')
			out->queue_rcpt = v + 1;
		else
			out->queue_sender = v + 1;
		if (st->filter_flag[0] == '\0')
			(void)snprintf(st->filter_flag,
			    sizeof(st->filter_flag), "-q%c", v[0]);
		return CLI_OK;
	case '!':
		why_set(why, "%s: negated queue selections are not supported",
		    flag);
		return CLI_USAGE;
	case 'p':
		why_set(why, "%s: persistent queue runners are not supported; "
		    "use -q30m", flag);
		return CLI_USAGE;
	default:
		why_set(why, "%s: not supported (minimta has one queue: use "
		    "-q, -qf, -q30m, -qI, -qR or -qS)", flag);
		return CLI_USAGE;
	}
}

static enum cli_result
cli_opt_N(struct cli *out, const char *v, struct why *why)
{
	int bits = dsnparam_notify_parse(v, strlen(v));

	if (bits == DSNPARAM_BAD_NEVER) {
		why_set(why, "-N: never cannot be combined with other values");
		return CLI_USAGE;
	}
	if (bits < 0) {
		why_set(why, "-N: want never, or a list of delay, failure, "
		    "success");
		return CLI_USAGE;
	}
	out->notify = bits;
	return CLI_OK;
}

static enum cli_result
cli_opt_V(struct cli *out, const char *v, struct why *why)
{
	const char *p;

	if (*v == '\0' || strlen(v) > CLI_ENVID_MAX) {
		why_set(why, "-V: the envelope id must be 1 to %d characters",
		    CLI_ENVID_MAX);
		return CLI_USAGE;
	}
	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			why_set(why, "-V: the envelope id must be printable "
			    "ASCII without spaces");
			return CLI_USAGE;
		}
	}
	out->envid = v;
	return CLI_OK;
}

static enum cli_result
cli_opt_X(struct cli *out, const char *v, struct why *why)
{
	/* RFC 5321 local parts: these cannot upset the address. */
	static const char delims[] = "+-=";

	if (v[0] != 'V') {
		why_set(why, "-X: traffic log files are not supported "
		    "(-XV is VERP)");
		return CLI_USAGE;
	}
	if (v[1] != '\0') {
		if (strlen(v + 1) != 2 || strchr(delims, v[1]) == NULL ||
		    strchr(delims, v[2]) == NULL) {
			why_set(why, "-XV: want two delimiters from \"%s\", "
			    "as in -XV+=", delims);
			return CLI_USAGE;
		}
		out->verp_delims[0] = v[1];
		out->verp_delims[1] = v[2];
	}
	out->verp = true;
	return CLI_OK;
}

/* One flag letter c of a cluster; *p is the rest of the argument. */
static enum cli_result
cli_flag(struct cli *out, struct cli_state *st, char c, const char **p,
    struct why *why)
{
	const struct cli_ignored *ig;
	const char *v;
	char flag[3] = { '-', c, '\0' };

	switch (c) {
	case 't':
		out->read_recipients = true;
		return CLI_OK;
	case 'i':
		out->ignore_dots = true;
		return CLI_OK;
	case 'v':
		out->verbose = true;
		return CLI_OK;
	case 'j':
		out->json = true;
		return CLI_OK;
	case 'I':
		return cli_set_mode(out, st, CLI_ALIASES, "-I", why);
	case 's':
		/* mailq -s ID: delivery status (status.c); when submitting,
		 * sendmail's "save From_ lines", ignored (the table) */
		if (out->mode != CLI_LIST)
			break;
		if (cli_value(st, c, p, &v, why) != CLI_OK)
			return CLI_USAGE;
		out->status_id = v;
		return CLI_OK;
	case 'q':
		v = *p;
		*p = "";
		return cli_opt_q(out, st, st->argv[st->i], v, why);
	case 'M':
		v = *p;
		*p = "";
		return cli_opt_M(out, st, v, why);
	default:
		break;
	}
	if ((ig = cli_find_ignored(flag)) != NULL && !ig->has_arg)
		return CLI_OK;
	if (strchr("fFrCNRVXboOe", c) == NULL && ig == NULL)
		return cli_unknown(flag, why);
	if (cli_value(st, c, p, &v, why) != CLI_OK)
		return CLI_USAGE;
	switch (c) {
	case 'f':
	case 'r':
		/* -f <> and -f '' are the null sender. */
		out->sender = strcmp(v, "<>") == 0 ? "" : v;
		return CLI_OK;
	case 'F':
		out->fullname = v;
		return CLI_OK;
	case 'C':
		if (*v == '\0') {
			why_set(why, "-C: empty file name");
			return CLI_USAGE;
		}
		out->conf_path = v;
		return CLI_OK;
	case 'N':
		return cli_opt_N(out, v, why);
	case 'R':
		if ((out->ret = dsnparam_ret_parse(v, strlen(v))) == -1) {
			out->ret = DSNPARAM_RET_UNSET;
			why_set(why, "-R: want full or hdrs");
			return CLI_USAGE;
		}
		return CLI_OK;
	case 'V':
		return cli_opt_V(out, v, why);
	case 'X':
		return cli_opt_X(out, v, why);
	case 'b':
		return cli_opt_b(out, st, v, why);
	case 'o':
		return cli_opt_o(out, v, why);
	case 'O':
		return cli_opt_O(out, v, why);
	case 'e':
		return cli_error_mode(out, v, "-e", why);
	default:
		return CLI_OK;		/* an ignored flag's value */
	}
}

static enum cli_mode
cli_default_mode(const char *argv0)
{
	const char *base;

	if (argv0 == NULL)
		return CLI_SUBMIT;
	base = strrchr(argv0, '/');
	base = base != NULL ? base + 1 : argv0;
	if (strcmp(base, "mailq") == 0)
		return CLI_LIST;
	if (strcmp(base, "newaliases") == 0)
		return CLI_ALIASES;
	return CLI_SUBMIT;
}

static const char *
cli_mode_name(const struct cli *out, const struct cli_state *st)
{
	if (st->explicit_mode)
		return st->mode_flag;
	switch (out->mode) {
	case CLI_LIST:
		return "mailq";
	case CLI_ALIASES:
		return "newaliases";
	default:
		return "sendmail";
	}
}

/* -M...: queue ids as arguments, or a -qR/-qS selection; not both. */
static enum cli_result
cli_check_admin(const struct cli *out, const char *mode, struct why *why)
{
	bool select = out->queue_rcpt != NULL || out->queue_sender != NULL;

	if (out->queue_id != NULL) {
		why_set(why, "-qI: not with %s: give the queue ids as "
		    "arguments", mode);
		return CLI_USAGE;
	}
	if (out->nrcpts > 0 && select) {
		why_set(why, "%s: give queue ids or select with -qR/-qS, not "
		    "both", mode);
		return CLI_USAGE;
	}
	if (out->nrcpts == 0 && !select) {
		why_set(why, "%s: give the queue ids, or select messages with "
		    "-qR or -qS", mode);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* The second pass: combinations that make no sense. */
static enum cli_result
cli_check(struct cli *out, struct cli_state *st, struct why *why)
{
	const char *mode = cli_mode_name(out, st);

	if (st->filter_flag[0] != '\0') {
		if (!st->explicit_mode && out->mode == CLI_SUBMIT)
			(void)cli_set_mode(out, st, CLI_QUEUE,
			    st->filter_flag, why);
		else if (out->mode != CLI_QUEUE && out->mode != CLI_LIST &&
		    out->mode != CLI_ADMIN) {
			why_set(why, "%s: only with -q, -bp or -M, not with %s",
			    st->filter_flag, mode);
			return CLI_USAGE;
		}
		mode = cli_mode_name(out, st);
	}
	out->queue_once = out->mode == CLI_QUEUE && out->queue_interval == 0;
	if (out->read_recipients && out->mode != CLI_SUBMIT) {
		why_set(why, "-t: only when submitting a message, not with %s",
		    mode);
		return CLI_USAGE;
	}
	if (out->json && out->mode != CLI_LIST) {
		why_set(why, "-j: only when listing the queue (mailq, -bp), "
		    "not with %s", mode);
		return CLI_USAGE;
	}
	if (out->status_id != NULL && *out->status_id == '\0') {
		why_set(why, "-s: give a queue id or a Message-ID");
		return CLI_USAGE;
	}
	if (out->mode == CLI_ADMIN)
		return cli_check_admin(out, mode, why);
	if (out->nrcpts > 0 && out->mode != CLI_SUBMIT &&
	    out->mode != CLI_VERIFY) {
		why_set(why, "%s takes no recipients", mode);
		return CLI_USAGE;
	}
	if (out->nrcpts == 0 && out->mode == CLI_VERIFY) {
		why_set(why, "-bv: give the addresses to verify");
		return CLI_USAGE;
	}
	if (out->nrcpts == 0 && out->mode == CLI_SUBMIT &&
	    !out->read_recipients) {
		why_set(why, "no recipients: give them as arguments, or use -t "
		    "to read them from the message");
		return CLI_USAGE;
	}
	return CLI_OK;
}

static enum cli_result
cli_rcpts(struct cli *out, struct why *why)
{
	const char *what = out->mode == CLI_ADMIN ? "queue id" : "recipient";
	size_t j;

	for (j = 0; j < out->nrcpts; j++) {
		const char *r = out->rcpts[j];

		if (r[0] == '\0') {
			why_set(why, "empty %s argument", what);
			return CLI_USAGE;
		}
		if (strcmp(r, "-") == 0) {
			why_set(why, "%s - is not %s", what,
			    out->mode == CLI_ADMIN ? "valid" : "an address");
			return CLI_USAGE;
		}
		if (cli_has_control(r)) {
			why_set(why, "%s %zu contains a control character",
			    what, j + 1);
			return CLI_USAGE;
		}
	}
	return CLI_OK;
}

enum cli_result
cli_parse(int argc, char **argv, struct cli *out, struct why *why)
{
	struct cli_state st;
	const char *p;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	(void)strlcpy(out->verp_delims, "+=", sizeof(out->verp_delims));
	out->mode = cli_default_mode(argc > 0 ? argv[0] : NULL);
	st.argc = argc;
	st.argv = argv;
	/*
	 * Options may follow recipients (sendmail 8 with GNU getopt, and
	 * the requirement); "--" ends the options, so that a
	 * recipient beginning with '-' can be given safely after it.
	 */
	out->rcpts = xreallocarray(NULL, argc > 0 ? (size_t)argc : 1,
	    sizeof(*out->rcpts));
	for (st.i = 1; st.i < argc; st.i++) {
		p = argv[st.i];
		if (strcmp(p, "--") == 0) {
			while (++st.i < argc)
				out->rcpts[out->nrcpts++] = argv[st.i];
			break;
		}
		if (p[0] != '-' || p[1] == '\0') {
			out->rcpts[out->nrcpts++] = argv[st.i];
			continue;
		}
		if (p[1] == '-') {
			(void)cli_unknown(p, why);
			goto usage;
		}
		for (p++; *p != '\0';) {
			char c = *p++;

			if (cli_flag(out, &st, c, &p, why) != CLI_OK)
				goto usage;
		}
	}
	if (cli_rcpts(out, why) != CLI_OK ||
	    cli_check(out, &st, why) != CLI_OK)
		goto usage;
	return CLI_OK;
usage:
	cli_free(out);
	return CLI_USAGE;
}

void
cli_free(struct cli *c)
{
	if (c == NULL)
		return;
	free(c->overrides);
	c->overrides = NULL;
	c->noverrides = 0;
	free(c->rcpts);
	c->rcpts = NULL;
	c->nrcpts = 0;
}
