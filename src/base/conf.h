/*
 * conf: minimta.conf, driven by one table in conf.c (key, type, default,
 * bounds, target field); minimta.conf(5) documents the same table.
 *
 * Syntax: one "key value" per line; '#' starts a comment at the start of a
 * line or after white space; the value is the rest of the line with the
 * surrounding white space removed. A repeated single-valued key: the last
 * one wins; repeatable keys (smarthost, sender_map, relay_for,
 * relay_limit, tls_policy) add an entry each, and an empty value empties
 * their list.
 *
 * conf_new() returns the table's defaults; conf_parse() is a pure function
 * over bytes (no I/O); conf_load() reads a file and calls it; conf_set()
 * applies one "-O key=value"; conf_finish() fills the defaults that need
 * the system (hostname, domain) and cross-checks keys. Errors: -1 and
 * why = "FILE:LINE: KEY: reason" (or "-O KEY: reason"); main exits 78.
 * Values that came from the file are never echoed when they may hold a
 * secret (a smarthost URL with a password).
 *
 * The caller owns the struct conf and everything in it; once finished it
 * is read-only (const struct conf *).
 */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf_tlspol.h"	/* struct conf_tls_policy */
#include "conf_url.h"		/* struct conf_url for conf.smarthosts */
#include "log.h"

struct why;

/* Named limits (each has a test at and past it). */
#define CONF_LINE_MAX	4096		/* bytes in one line */
#define CONF_FILE_MAX	(1024 * 1024)	/* bytes conf_load reads */
#define CONF_RESOLVERS_MAX 8	/* servers in "resolver" (dns.c's) */

struct conf_sender_map {
	char	*user;		/* local user name (no @) */
	char	*address;	/* what its mail is sent as */
};

/* relay_for SENDER URL...: the relays of the mail of one sender. */
struct conf_route {
	char	*sender;	/* lower-cased domain, address, or "<>" */
	struct conf_url *relays;
	size_t	 nrelays;
};

/* relay_limit HOST N/h|N/d */
struct conf_limit {
	char	*host;		/* lower-cased host, or user@host */
	long	 count;		/* N */
	time_t	 window;	/* 3600 or 86400 */
};

struct conf {
	char	*path;		/* name given to conf_parse / conf_load */
	char	*hostname, *domain, *spool, *auth_file;
	char	*tls_ca_file, *tls_ca_path, *tls_cert_file, *tls_key_file;
	char	*aliases, *resolver, *masquerade, *postmaster;
	char	*spool_owner;	/* NULL: unset; read by root only */
	struct conf_url *smarthosts;
	size_t	 nsmarthosts;
	struct conf_sender_map *sender_maps;
	size_t	 nsender_maps;
	struct conf_route *routes;	/* relay_for */
	size_t	 nroutes;
	struct conf_limit *limits;	/* relay_limit */
	size_t	 nlimits;
	bool	 relay_roundrobin;	/* smarthost_order roundrobin */
	struct conf_tls_policy *tls_policies;	/* tls_policy lines */
	size_t	 ntls_policies;
	bool	 tls_verify, auth_plaintext;
	bool	 t_args_remove;
	bool	 mx_allow_loopback;	/* MX hosts on 127/8, ::1 are fine */
	bool	 mta_sts;	/* MTA-STS for MX delivery */
	long	 mta_sts_port;	/* HTTPS port of mta-sts.DOMAIN (443) */
	time_t	 mta_sts_timeout;	/* the whole policy fetch */
	enum log_dest log;
	long	 smtp_port, concurrency, max_recipients;
	long	 max_hops;		/* Received: fields before a loop */
	time_t	 queue_lifetime, delay_warning, retry_min, retry_max;
	time_t	 connect_timeout, command_timeout, data_timeout;
	time_t	 oauth2_token_timeout;
	size_t	 max_message_size, max_header_size, bounce_size_limit;
	time_t	 journal_max_age;	/* 0: no delivery journal */
	size_t	 journal_max_size;
	char	*status_group;		/* may read mailq -s; NULL: none */
	bool	 print_queue_id;	/* submission prints the id */
};

/* The defaults of the table; never NULL (fatal on OOM). */
struct conf *conf_new(void);
/* Parses text (len bytes, may hold NULs: an error) named name. */
int	conf_parse(struct conf *, const char *name, const char *text,
	    size_t len, struct why *);
/* Reads path and parses it; -1 with errno ENOENT when it is missing. */
int	conf_load(struct conf *, const char *path, struct why *);
/* One key from the command line (-O key=value); errors name "-O KEY". */
int	conf_set(struct conf *, const char *key, const char *value,
	    struct why *);
/*
 * Fills hostname (gethostname(); if it has no dot, the canonical name
 * from getaddrinfo(AI_CANONNAME)) and domain (hostname without its first
 * label when that leaves a dot, else hostname), then cross-checks.
 */
int	conf_finish(struct conf *, struct why *);
bool	conf_has_key(const char *key);
/* smarthost, sender_map, relay_for, relay_limit, tls_policy: each line
 * adds one */
bool	conf_key_repeatable(const char *key);
/* The i-th key of the table (for docs and tests), NULL past the end. */
const char *conf_key_name(size_t i);
/* The table's own spelling of the len bytes at name, or NULL. */
const char *conf_key(const char *name, size_t len);
void	conf_free(struct conf *);

/*
 * Helpers shared with cli.c, in conf_value.c. conf_duration: "90", "90s",
 * "30m", "1h30m" (units s m h d w; a bare number counts unit seconds); -1
 * on bad syntax or overflow. conf_bool: yes/no/true/false/on/off/1/0, any
 * case.
 */
int	conf_duration(const char *, time_t unit, time_t *);
int	conf_bool(const char *, bool *);

/*
 * A host name: dot-separated labels of letters, digits and '-' (in
 * conf_url.c, which checks URL hosts with it).
 */
bool	conf_valid_domain(const char *);

#endif
