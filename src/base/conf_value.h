/*
 * conf_value: the syntax of single minimta.conf values: numbers, sizes,
 * durations (conf_duration, declared in conf.h with conf_bool for cli.c),
 * and the checks of addresses, resolver lists and masquerade values.
 * Pure functions over bytes: no I/O, no logging, no globals.
 *
 * Results: 0, or -1 on bad syntax or a number past its limit; the check
 * functions then fill why with the reason (the caller adds file, line
 * and key). Nothing here allocates what the caller must free.
 */
#ifndef CONF_VALUE_H
#define CONF_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct why;

#define CONF_VALUE_MIN		60LL
#define CONF_VALUE_HOUR		3600LL
#define CONF_VALUE_DAY		86400LL
#define CONF_VALUE_KB		1024LL
#define CONF_VALUE_MB		(1024LL * 1024)
#define CONF_VALUE_GB		(1024LL * 1024 * 1024)

/* Large enough for any bound, small enough never to overflow a sum. */
#define CONF_VALUE_NUM_LIMIT	(1LL << 52)

/* Digits only, no sign or space, at most limit; *sp moves past them. */
int	conf_value_number(const char **sp, long long limit, long long *out);
/* Bytes: digits with an optional suffix K, M or G (any case). */
int	conf_value_size(const char *, long long *out);
/* 7200 -> "2h": the largest unit that divides t evenly, into out. */
void	conf_value_fmt_duration(char *out, size_t len, time_t t);

/* A plain address, at most 254 bytes; need_at: "user@domain" only. */
int	conf_value_address(const char *, bool need_at, struct why *);
/* "ip[:port][,ip[:port]...]", IPv6 as [addr]:port or bare, at most
 * CONF_RESOLVERS_MAX servers. */
int	conf_value_resolver(const char *, struct why *);
/* A domain, or user@domain. */
int	conf_value_masquerade(const char *, struct why *);

#endif
