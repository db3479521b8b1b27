/*
 * dns_util: the pure parts of dns (no c-ares, no I/O, no globals). It
 * implements the functions dns.h lists as "pure parts" (dns_parse_servers,
 * dns_mx_order, dns_mx_is_null, dns_hostname_ok, dns_ip_literal) and
 * offers dns.c the two helpers below.
 */
#ifndef DNS_UTIL_H
#define DNS_UTIL_H

#include <stdbool.h>

struct buf;

#define DNS_UTIL_NAME_MAX	253	/* bytes in a name, no final dot */
#define DNS_UTIL_CLEAN_CAP	120	/* bytes of a DNS name in a why text */

/*
 * name cleaned of control bytes and capped, in b (DNS text is untrusted);
 * the result is b's text, borrowed until b changes.
 */
const char *dns_util_clean(struct buf *b, const char *name);

/*
 * A name worth a query: 1 to DNS_UTIL_NAME_MAX bytes (one more for a
 * final dot), nothing at or below space and no DEL. Looser than
 * dns_hostname_ok(): dns_host() takes the names it is given.
 */
bool	dns_util_name_ok(const char *name);

#endif
