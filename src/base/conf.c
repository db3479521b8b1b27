/*
 * conf.c: the configuration table and its parser. See conf.h; the table
 * below is what minimta.conf(5) and etc/minimta.conf document.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "conf.h"
#include "conf_relay.h"
#include "conf_url.h"
#include "conf_value.h"
#include "log.h"
#include "why.h"
#include "xmalloc.h"

enum conf_type {
	CONF_T_STRING,		/* a path or a name, any text */
	CONF_T_HOST,		/* a domain name */
	CONF_T_BOOL,
	CONF_T_INT,
	CONF_T_DURATION,	/* seconds; units s m h d w */
	CONF_T_SIZE,		/* bytes; suffixes K M G */
	CONF_T_URLS,		/* repeatable smarthost URL */
	CONF_T_SENDER_MAP,	/* repeatable "localuser address" */
	CONF_T_LOG,		/* syslog | stderr */
	CONF_T_TARGS,		/* add | remove */
	CONF_T_RESOLVER,	/* ip[:port][,ip[:port]...] */
	CONF_T_MASQ,		/* domain | user@domain */
	CONF_T_ADDRESS,		/* a mail address */
	CONF_T_ROUTE,		/* repeatable relay_for "SENDER URL..." */
	CONF_T_LIMIT,		/* repeatable relay_limit "HOST N/h" */
	CONF_T_ORDER,		/* failover | roundrobin */
	CONF_T_TLS_POLICY,	/* repeatable "domain level" */
};

/* An empty value unsets the key (NULL: "none") instead of an error. */
#define CONF_F_OPTIONAL	0x1

struct conf_key {
	const char	*key;
	enum conf_type	 type;
	const char	*def;		/* NULL: unset, or filled by finish */
	long long	 min, max;	/* INT, DURATION, SIZE */
	size_t		 off;		/* the field in struct conf */
	unsigned	 flags;
};

#define F(field) offsetof(struct conf, field)

static const struct conf_key conf_keys[] = {
	{ "hostname", CONF_T_HOST, NULL, 0, 0, F(hostname), CONF_F_OPTIONAL },
	{ "domain", CONF_T_HOST, NULL, 0, 0, F(domain), CONF_F_OPTIONAL },
	{ "spool", CONF_T_STRING, CONF_DEFAULT_SPOOL, 0, 0, F(spool), 0 },
	{ "spool_owner", CONF_T_STRING, NULL, 0, 0, F(spool_owner),
	    CONF_F_OPTIONAL },
	{ "smarthost", CONF_T_URLS, NULL, 0, 0, F(smarthosts), 0 },
	{ "smarthost_order", CONF_T_ORDER, "failover", 0, 0,
	    F(relay_roundrobin), 0 },
	{ "relay_for", CONF_T_ROUTE, NULL, 0, 0, F(routes), 0 },
	{ "relay_limit", CONF_T_LIMIT, NULL, 0, 0, F(limits), 0 },
	{ "auth_file", CONF_T_STRING, NULL, 0, 0, F(auth_file),
	    CONF_F_OPTIONAL },
	{ "tls_verify", CONF_T_BOOL, "yes", 0, 0, F(tls_verify), 0 },
	{ "tls_ca_file", CONF_T_STRING, NULL, 0, 0, F(tls_ca_file),
	    CONF_F_OPTIONAL },
	{ "tls_ca_path", CONF_T_STRING, NULL, 0, 0, F(tls_ca_path),
	    CONF_F_OPTIONAL },
	{ "tls_cert_file", CONF_T_STRING, NULL, 0, 0, F(tls_cert_file),
	    CONF_F_OPTIONAL },
	{ "tls_key_file", CONF_T_STRING, NULL, 0, 0, F(tls_key_file),
	    CONF_F_OPTIONAL },
	{ "tls_policy", CONF_T_TLS_POLICY, NULL, 0, 0, F(tls_policies), 0 },
	{ "mta_sts", CONF_T_BOOL, "yes", 0, 0, F(mta_sts), 0 },
	{ "mta_sts_port", CONF_T_INT, "443", 1, 65535, F(mta_sts_port), 0 },
	{ "mta_sts_timeout", CONF_T_DURATION, "30s", 1, 5 * CONF_VALUE_MIN,
	    F(mta_sts_timeout), 0 },
	{ "auth_plaintext", CONF_T_BOOL, "no", 0, 0, F(auth_plaintext), 0 },
	{ "oauth2_token_timeout", CONF_T_DURATION, "30s", 1, CONF_VALUE_HOUR,
	    F(oauth2_token_timeout), 0 },
	{ "aliases", CONF_T_STRING, CONF_DEFAULT_ALIASES, 0, 0, F(aliases),
	    0 },
	{ "resolver", CONF_T_RESOLVER, NULL, 0, 0, F(resolver),
	    CONF_F_OPTIONAL },
	{ "smtp_port", CONF_T_INT, "25", 1, 65535, F(smtp_port), 0 },
	{ "queue_lifetime", CONF_T_DURATION, "5d", 0, 365 * CONF_VALUE_DAY,
	    F(queue_lifetime), 0 },
	{ "delay_warning", CONF_T_DURATION, "4h", 0, 365 * CONF_VALUE_DAY,
	    F(delay_warning), 0 },
	{ "retry_min", CONF_T_DURATION, "5m", 1, 7 * CONF_VALUE_DAY,
	    F(retry_min), 0 },
	{ "retry_max", CONF_T_DURATION, "1h", 1, 30 * CONF_VALUE_DAY,
	    F(retry_max), 0 },
	{ "concurrency", CONF_T_INT, "8", 1, 256, F(concurrency), 0 },
	{ "connect_timeout", CONF_T_DURATION, "30s", 1, CONF_VALUE_HOUR,
	    F(connect_timeout), 0 },
	{ "command_timeout", CONF_T_DURATION, "5m", 1, CONF_VALUE_DAY,
	    F(command_timeout), 0 },
	{ "data_timeout", CONF_T_DURATION, "10m", 1, CONF_VALUE_DAY,
	    F(data_timeout), 0 },
	{ "max_message_size", CONF_T_SIZE, "50M", 1, 1024 * CONF_VALUE_GB,
	    F(max_message_size), 0 },
	{ "max_recipients", CONF_T_INT, "1000", 1, 1000000,
	    F(max_recipients), 0 },
	{ "max_header_size", CONF_T_SIZE, "1M", 1, CONF_VALUE_GB,
	    F(max_header_size), 0 },
	{ "log", CONF_T_LOG, "syslog", 0, 0, F(log), 0 },
	{ "t_args", CONF_T_TARGS, "add", 0, 0, F(t_args_remove), 0 },
	{ "masquerade", CONF_T_MASQ, NULL, 0, 0, F(masquerade),
	    CONF_F_OPTIONAL },
	{ "sender_map", CONF_T_SENDER_MAP, NULL, 0, 0, F(sender_maps), 0 },
	{ "postmaster", CONF_T_ADDRESS, NULL, 0, 0, F(postmaster),
	    CONF_F_OPTIONAL },
	{ "bounce_size_limit", CONF_T_SIZE, "50K", 0, CONF_VALUE_GB,
	    F(bounce_size_limit), 0 },
	{ "max_hops", CONF_T_INT, "50", 1, 1000, F(max_hops), 0 },
	{ "mx_allow_loopback", CONF_T_BOOL, "no", 0, 0, F(mx_allow_loopback),
	    0 },
	/* the delivery journal (journal.h) and who may read it */
	{ "journal_max_age", CONF_T_DURATION, "7d", 0, 365 * CONF_VALUE_DAY,
	    F(journal_max_age), 0 },
	{ "journal_max_size", CONF_T_SIZE, "64M", 65536, 64 * CONF_VALUE_GB,
	    F(journal_max_size), 0 },
	{ "status_group", CONF_T_STRING, NULL, 0, 0, F(status_group),
	    CONF_F_OPTIONAL },
	{ "print_queue_id", CONF_T_BOOL, "no", 0, 0, F(print_queue_id), 0 },
};

#undef F

#define CONF_NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

static const struct conf_key *
conf_find(const char *key)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].key, key) == 0)
			return &conf_keys[i];
	return NULL;
}

const char *
conf_key_name(size_t i)
{
	return i < CONF_NKEYS ? conf_keys[i].key : NULL;
}

const char *
conf_key(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strlen(conf_keys[i].key) == len &&
		    memcmp(conf_keys[i].key, name, len) == 0)
			return conf_keys[i].key;
	return NULL;
}

bool
conf_has_key(const char *key)
{
	return key != NULL && conf_find(key) != NULL;
}

bool
conf_key_repeatable(const char *key)
{
	const struct conf_key *k = key != NULL ? conf_find(key) : NULL;

	return k != NULL && (k->type == CONF_T_URLS ||
	    k->type == CONF_T_SENDER_MAP || k->type == CONF_T_ROUTE ||
	    k->type == CONF_T_LIMIT || k->type == CONF_T_TLS_POLICY);
}

/* Untrusted text for an error message: printable and capped. */
static const char *
conf_show(struct buf *b, const char *s)
{
	buf_reset(b);
	log_clean(b, s, strlen(s), 64);
	return buf_cstr(b);
}

static bool
conf_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return true;
		else if (*s == 0x7f)
			return true;
	return false;
}

static int
conf_add_sender_map(struct conf *c, const char *v, struct why *why)
{
	char *copy = xstrdup(v), *p = copy, *user, *addr, *extra;
	size_t i;
	int rc = -1;

	user = strsep(&p, " \t");
	while (p != NULL && (*p == ' ' || *p == '\t'))
		p++;
	addr = p != NULL ? strsep(&p, " \t") : NULL;
	while (p != NULL && (*p == ' ' || *p == '\t'))
		p++;
	extra = p;
	if (addr == NULL || *addr == '\0' || (extra != NULL &&
	    *extra != '\0')) {
		why_set(why, "want \"localuser address\"");
		goto out;
	}
	if (strchr(user, '@') != NULL) {
		why_set(why, "the local user must not contain @");
		goto out;
	}
	if (conf_value_address(addr, true, why) == -1)
		goto out;
	for (i = 0; i < c->nsender_maps; i++) {
		if (strcmp(c->sender_maps[i].user, user) == 0) {
			/* The last line for a user wins, as for any key. */
			free(c->sender_maps[i].address);
			c->sender_maps[i].address = xstrdup(addr);
			rc = 0;
			goto out;
		}
	}
	c->sender_maps = xreallocarray(c->sender_maps, c->nsender_maps + 1,
	    sizeof(*c->sender_maps));
	c->sender_maps[c->nsender_maps].user = xstrdup(user);
	c->sender_maps[c->nsender_maps].address = xstrdup(addr);
	c->nsender_maps++;
	rc = 0;
out:
	free(copy);
	return rc;
}

static void
conf_clear_lists(struct conf *c, enum conf_type type)
{
	size_t i;

	if (type == CONF_T_ROUTE) {
		conf_relay_clear_routes(c);
	} else if (type == CONF_T_LIMIT) {
		conf_relay_clear_limits(c);
	} else if (type == CONF_T_URLS) {
		for (i = 0; i < c->nsmarthosts; i++)
			conf_url_free(&c->smarthosts[i]);
		free(c->smarthosts);
		c->smarthosts = NULL;
		c->nsmarthosts = 0;
	} else if (type == CONF_T_TLS_POLICY) {
		for (i = 0; i < c->ntls_policies; i++)
			free(c->tls_policies[i].domain);
		free(c->tls_policies);
		c->tls_policies = NULL;
		c->ntls_policies = 0;
	} else {
		for (i = 0; i < c->nsender_maps; i++) {
			free(c->sender_maps[i].user);
			free(c->sender_maps[i].address);
		}
		free(c->sender_maps);
		c->sender_maps = NULL;
		c->nsender_maps = 0;
	}
}

static int
conf_range(const struct conf_key *k, long long n, const char *v,
    const char *unit, struct why *why)
{
	struct buf b;

	if (n >= k->min && n <= k->max)
		return 0;
	buf_init(&b);
	why_set(why, "%s is out of range (%lld%s..%lld%s)", conf_show(&b, v),
	    k->min, unit, k->max, unit);
	buf_free(&b);
	return -1;
}

/* The string types: check v, then the last one wins. */
static int
conf_apply_string(struct conf *c, const struct conf_key *k, const char *v,
    struct why *why)
{
	char **field = (char **)(void *)((char *)c + k->off);

	switch (k->type) {
	case CONF_T_HOST:
		if (!conf_valid_domain(v)) {
			why_set(why, "not a valid domain name");
			return -1;
		}
		break;
	case CONF_T_ADDRESS:
		if (conf_value_address(v, false, why) == -1)
			return -1;
		break;
	case CONF_T_MASQ:
		if (conf_value_masquerade(v, why) == -1)
			return -1;
		break;
	case CONF_T_RESOLVER:
		if (conf_value_resolver(v, why) == -1)
			return -1;
		break;
	default:
		break;
	}
	free(*field);
	*field = xstrdup(v);
	return 0;
}

/* INT, DURATION, SIZE: parse, check the bounds, store. */
static int
conf_apply_number(struct conf *c, const struct conf_key *k, const char *v,
    struct why *why)
{
	void *field = (char *)c + k->off;
	const char *p = v;
	long long n;
	time_t t;

	switch (k->type) {
	case CONF_T_INT:
		if (conf_value_number(&p, CONF_VALUE_NUM_LIMIT, &n) == -1 ||
		    *p != '\0') {
			why_set(why, "want a number");
			return -1;
		}
		if (conf_range(k, n, v, "", why) == -1)
			return -1;
		*(long *)field = (long)n;
		return 0;
	case CONF_T_DURATION:
		if (conf_duration(v, 1, &t) == -1) {
			why_set(why, "want a duration (e.g. 90s, 30m, 4h, 5d)");
			return -1;
		}
		if (conf_range(k, (long long)t, v, "s", why) == -1)
			return -1;
		*(time_t *)field = t;
		return 0;
	default:
		if (conf_value_size(v, &n) == -1) {
			why_set(why, "want a size (e.g. 512K, 50M, 1G)");
			return -1;
		}
		if (conf_range(k, n, v, "", why) == -1)
			return -1;
		*(size_t *)field = (size_t)n;
		return 0;
	}
}

/* A word out of two; *out gets the index of the match. */
static int
conf_apply_choice(const char *v, const char *a, const char *b, int *out,
    struct why *why)
{
	if (strcmp(v, a) == 0)
		*out = 0;
	else if (strcmp(v, b) == 0)
		*out = 1;
	else {
		why_set(why, "want %s or %s", a, b);
		return -1;
	}
	return 0;
}

/* Stores v (trimmed, non-NULL) into the field of k; why: reason only. */
static int
conf_apply(struct conf *c, const struct conf_key *k, const char *v,
    struct why *why)
{
	void *field = (char *)c + k->off;
	struct conf_tls_policy tp;
	struct conf_url u;
	int choice;
	bool b;

	if (conf_has_control(v)) {
		why_set(why, "value contains a control character");
		return -1;
	}
	if (*v == '\0') {
		if (conf_key_repeatable(k->key)) {
			conf_clear_lists(c, k->type);
			return 0;
		}
		if (!(k->flags & CONF_F_OPTIONAL)) {
			why_set(why, "missing value");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = NULL;
		return 0;
	}
	switch (k->type) {
	case CONF_T_BOOL:
		if (conf_bool(v, &b) == -1) {
			why_set(why, "want yes or no");
			return -1;
		}
		*(bool *)field = b;
		return 0;
	case CONF_T_INT:
	case CONF_T_DURATION:
	case CONF_T_SIZE:
		return conf_apply_number(c, k, v, why);
	case CONF_T_LOG:
		if (conf_apply_choice(v, "syslog", "stderr", &choice,
		    why) == -1)
			return -1;
		*(enum log_dest *)field = choice == 0 ? LOG_DEST_SYSLOG :
		    LOG_DEST_STDERR;
		return 0;
	case CONF_T_TARGS:
		if (conf_apply_choice(v, "add", "remove", &choice, why) == -1)
			return -1;
		*(bool *)field = choice == 1;
		return 0;
	case CONF_T_URLS:
		if (conf_url_parse(v, &u, NULL, NULL, why) == -1)
			return -1;
		c->smarthosts = xreallocarray(c->smarthosts,
		    c->nsmarthosts + 1, sizeof(*c->smarthosts));
		c->smarthosts[c->nsmarthosts++] = u;
		return 0;
	case CONF_T_SENDER_MAP:
		return conf_add_sender_map(c, v, why);
	case CONF_T_TLS_POLICY:
		if (conf_tlspol_parse(v, &tp, why) == -1)
			return -1;
		conf_tlspol_add(&c->tls_policies, &c->ntls_policies, &tp);
		return 0;
	case CONF_T_ROUTE:
		return conf_relay_route_add(c, v, why);
	case CONF_T_LIMIT:
		return conf_relay_limit_add(c, v, why);
	case CONF_T_ORDER:
		if (conf_apply_choice(v, "failover", "roundrobin", &choice,
		    why) == -1)
			return -1;
		*(bool *)field = choice == 1;
		return 0;
	default:
		return conf_apply_string(c, k, v, why);
	}
}

struct conf *
conf_new(void)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	struct why why;
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		if (conf_keys[i].def == NULL)
			continue;
		if (conf_apply(c, &conf_keys[i], conf_keys[i].def, &why) == -1)
			panic("conf default %s: %s", conf_keys[i].key,
			    why.text);
	}
	return c;
}

static void
conf_trim(char **s, char *end)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
	while (end > *s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
}

/* One line, NUL-terminated, without its newline. */
static int
conf_line(struct conf *c, const char *name, size_t lineno, char *line,
    struct why *why)
{
	const struct conf_key *k;
	struct why reason;
	struct buf b;
	char *p, *key, *value;

	/* '#' starts a comment at the start of a line or after a blank. */
	for (p = line; *p != '\0'; p++) {
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	conf_trim(&line, line + strlen(line));
	if (*line == '\0')
		return 0;
	key = line;
	value = key + strcspn(key, " \t");
	if (*value != '\0')
		*value++ = '\0';
	conf_trim(&value, value + strlen(value));
	buf_init(&b);
	if ((k = conf_find(key)) == NULL) {
		why_set(why, "%s:%zu: %s: unknown key", name, lineno,
		    conf_show(&b, key));
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	if (conf_apply(c, k, value, &reason) == -1) {
		why_set(why, "%s:%zu: %s: %s", name, lineno, k->key,
		    reason.text);
		return -1;
	}
	return 0;
}

int
conf_parse(struct conf *c, const char *name, const char *text, size_t len,
    struct why *why)
{
	const char *p = text, *end = text + len, *nl;
	size_t lineno = 0, n;
	char *line;
	int rc;

	free(c->path);
	c->path = xstrdup(name);
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (nl != NULL ? nl : end) - p;
		if (n > CONF_LINE_MAX) {
			why_set(why, "%s:%zu: line too long (max %d bytes)",
			    name, lineno, CONF_LINE_MAX);
			return -1;
		}
		if (memchr(p, '\0', n) != NULL) {
			why_set(why, "%s:%zu: line contains a NUL byte", name,
			    lineno);
			return -1;
		}
		line = xstrndup(p, n);
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		rc = conf_line(c, name, lineno, line, why);
		free(line);
		if (rc == -1)
			return -1;
		p += n + (nl != NULL);
	}
	return 0;
}

int
conf_load(struct conf *c, const char *path, struct why *why)
{
	struct stat st;
	struct buf b;
	int fd, rc = -1, saved;

	buf_init(&b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		why_errno(why, "open %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		why_errno(why, "stat %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		why_set(why, "%s: not a regular file", path);
		errno = EINVAL;
		goto out;
	}
	if (fileio_read_all(fd, CONF_FILE_MAX, &b) == -1) {
		if (errno == EFBIG)
			why_set(why, "%s: file too large (max %d bytes)", path,
			    CONF_FILE_MAX);
		else
			why_errno(why, "read %s", path);
		goto out;
	}
	if ((rc = conf_parse(c, path, b.data != NULL ? b.data : "", b.len,
	    why)) == -1)
		errno = EINVAL;
out:
	saved = errno;
	(void)close(fd);	/* read-only: nothing to lose */
	buf_free(&b);
	errno = saved;
	return rc;
}

int
conf_set(struct conf *c, const char *key, const char *value,
    struct why *why)
{
	const struct conf_key *k;
	struct why reason;
	struct buf b;
	char *v, *start;
	int rc;

	buf_init(&b);
	if ((k = conf_find(key)) == NULL) {
		why_set(why, "-O %s: unknown key", conf_show(&b, key));
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	start = v = xstrdup(value != NULL ? value : "");
	conf_trim(&v, v + strlen(v));
	if ((rc = conf_apply(c, k, v, &reason)) == -1)
		why_set(why, "-O %s: %s", k->key, reason.text);
	free(start);
	return rc;
}

static char *
conf_system_hostname(void)
{
	struct addrinfo hints, *res = NULL;
	char name[256];
	char *out;

	if (gethostname(name, sizeof(name)) == -1)
		return NULL;
	name[sizeof(name) - 1] = '\0';
	/* A name with a dot is taken as is: no resolver on the fast path. */
	if (strchr(name, '.') != NULL)
		return xstrdup(name);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(name, NULL, &hints, &res) == 0 && res != NULL &&
	    res->ai_canonname != NULL && strchr(res->ai_canonname, '.') !=
	    NULL && conf_valid_domain(res->ai_canonname))
		out = xstrdup(res->ai_canonname);
	else
		out = xstrdup(name);
	if (res != NULL)
		freeaddrinfo(res);
	return out;
}

/* A relay URL that names a user needs auth_file for the password. */
static int
conf_check_user(const struct conf *c, const char *key,
    const struct conf_url *u, struct why *why)
{
	const char *name = c->path != NULL ? c->path : "(defaults)";
	struct buf sb;

	if (u->user == NULL || c->auth_file != NULL)
		return 0;
	buf_init(&sb);
	why_set(why, "%s: %s: %s names a user but auth_file is not set",
	    name, key, conf_show(&sb, u->text));
	buf_free(&sb);
	return -1;
}

int
conf_finish(struct conf *c, struct why *why)
{
	const char *name = c->path != NULL ? c->path : "(defaults)";
	char a[32], b[32];
	const char *dot;
	struct buf sb;
	size_t i;

	if (c->hostname == NULL) {
		if ((c->hostname = conf_system_hostname()) == NULL) {
			why_errno(why, "%s: hostname: gethostname", name);
			return -1;
		}
		if (!conf_valid_domain(c->hostname)) {
			buf_init(&sb);
			why_set(why, "%s: hostname: this host's name \"%s\" is "
			    "not a valid domain: set hostname", name,
			    conf_show(&sb, c->hostname));
			buf_free(&sb);
			return -1;
		}
	}
	if (c->domain == NULL) {
		dot = strchr(c->hostname, '.');
		if (dot != NULL && strchr(dot + 1, '.') != NULL)
			c->domain = xstrdup(dot + 1);
		else
			c->domain = xstrdup(c->hostname);
	}
	if (c->retry_min > c->retry_max) {
		conf_value_fmt_duration(a, sizeof(a), c->retry_min);
		conf_value_fmt_duration(b, sizeof(b), c->retry_max);
		why_set(why, "%s: retry_min: %s is longer than retry_max (%s)",
		    name, a, b);
		return -1;
	}
	if ((c->tls_cert_file == NULL) != (c->tls_key_file == NULL)) {
		why_set(why, "%s: %s: set both tls_cert_file and tls_key_file, "
		    "or neither", name, c->tls_cert_file == NULL ?
		    "tls_cert_file" : "tls_key_file");
		return -1;
	}
	for (i = 0; i < c->nsmarthosts; i++)
		if (conf_check_user(c, "smarthost", &c->smarthosts[i],
		    why) == -1)
			return -1;
	for (i = 0; i < c->nroutes; i++) {
		size_t j;

		for (j = 0; j < c->routes[i].nrelays; j++)
			if (conf_check_user(c, "relay_for",
			    &c->routes[i].relays[j], why) == -1)
				return -1;
	}
	return 0;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];

		switch (k->type) {
		case CONF_T_STRING:
		case CONF_T_HOST:
		case CONF_T_ADDRESS:
		case CONF_T_MASQ:
		case CONF_T_RESOLVER:
			free(*(char **)(void *)((char *)c + k->off));
			break;
		case CONF_T_URLS:
		case CONF_T_SENDER_MAP:
		case CONF_T_ROUTE:
		case CONF_T_LIMIT:
		case CONF_T_TLS_POLICY:
			conf_clear_lists(c, k->type);
			break;
		default:
			break;
		}
	}
	free(c->path);
	free(c);
}
