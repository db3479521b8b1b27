/*
 * cli: turns argv into a struct cli. Pure: never prints, exits or reads
 * anything but argv. sendmail(8) documents every flag.
 *
 * Options may come before, between and after the recipients (GNU getopt
 * permutation, as sendmail 8 on Linux); "--" ends the options and every
 * argument after it is a recipient, even one beginning with '-'.
 *
 * Flags are taken attached or separate (-fa@b, -f a@b), boolean flags may
 * be combined (-ti). Flags sendmail accepts that minimta does not need are
 * ignored, each with its reason, from one table (cli_ignored()).
 * A second pass rejects conflicting combinations, naming the flags.
 *
 * Everything in struct cli is borrowed from argv (which must outlive it)
 * except the overrides and rcpts arrays, which cli_free() releases.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stddef.h>

struct why;

enum cli_mode {
	CLI_SUBMIT,		/* -bm; the default for sendmail */
	CLI_SMTP_STDIO,		/* -bs */
	CLI_LIST,		/* -bp; the default for mailq */
	CLI_ALIASES,		/* -bi, -I; the default for newaliases */
	CLI_VERIFY,		/* -bv */
	CLI_QUEUE,		/* -q... */
	CLI_ADMIN,		/* -M, -Mrm, -Mf, -Mt: rcpts are queue ids */
};

/* Exim's spellings (sendmail.8 "QUEUE ADMINISTRATION"). */
enum cli_admin {
	CLI_ADMIN_NONE,
	CLI_ADMIN_DELIVER,	/* -M: deliver now (releases first) */
	CLI_ADMIN_REMOVE,	/* -Mrm */
	CLI_ADMIN_HOLD,		/* -Mf: freeze */
	CLI_ADMIN_RELEASE,	/* -Mt: thaw */
};

enum cli_delivery {
	CLI_DELIVER_BACKGROUND,	/* -odb, the default */
	CLI_DELIVER_INTERACTIVE, /* -odi */
	CLI_DELIVER_QUEUE,	/* -odq, also -odd */
};

/* RFC 3461 4.4: an ENVID is at most 100 characters. */
#define CLI_ENVID_MAX	100
/* -q intervals: 1 second to 30 days. */
#define CLI_QUEUE_INTERVAL_MAX	(30L * 86400)

struct cli_override {
	const char *key, *value;
};

struct cli {
	enum cli_mode	 mode;
	enum cli_delivery delivery;
	bool		 read_recipients;	/* -t */
	bool		 ignore_dots;		/* -i, -oi */
	bool		 verbose;		/* -v */
	const char	*sender;	/* -f/-r; "" for <> or ''; NULL */
	const char	*fullname;	/* -F */
	int		 notify;	/* -N: DSNPARAM_NOTIFY_* bits, 0 */
	int		 ret;		/* -R: DSNPARAM_RET_* */
	const char	*envid;		/* -V */
	bool		 verp;		/* -XV */
	char		 verp_delims[3]; /* -XVxy; default "+=" */
	char		 error_mode;	/* -oe?, -e?: m p e q w; 0 unset */
	const char	*conf_path;	/* -C; NULL if not given */
	bool		 queue_once;	/* queue mode without an interval */
	long		 queue_interval; /* -q30m: seconds; 0 none */
	bool		 queue_foreground; /* -qf */
	const char	*queue_id, *queue_rcpt, *queue_sender; /* -qI -qR -qS */
	bool		 json;		/* -j: mailq as JSON lines */
	enum cli_admin	 admin;		/* CLI_ADMIN: which; the queue ids
					   are rcpts, or -qR/-qS select */
	const char	*status_id;	/* mailq -s: queue id or Message-ID */
	struct cli_override *overrides;	/* -O key=value, -oQdir, -oAfile */
	size_t		 noverrides;
	char		**rcpts;	/* array ours, strings from argv */
	size_t		 nrcpts;
};

enum cli_result {
	CLI_OK,
	CLI_USAGE,		/* exit 64; why names the flag */
};

enum cli_result cli_parse(int argc, char **argv, struct cli *out,
	    struct why *why);
void	cli_free(struct cli *);

/* The table of flags accepted and ignored, for docs and tests. */
struct cli_ignored {
	const char	*flag;		/* "-B", "-o7", "-o*" ... */
	bool		 has_arg;	/* takes a value (attached or next) */
	const char	*reason;
};
const struct cli_ignored *cli_ignored(size_t *n);

#endif
