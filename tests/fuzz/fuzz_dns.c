/*
 * fuzz_dns: the post-processing of DNS answers (dns_util.c) over
 * arbitrary records. The input is a byte for the shuffle's random source,
 * then records "PP name\n" (PP: a big-endian preference, name: any bytes
 * but LF; a NUL ends the name early, as C strings do). Aborts unless the
 * usable MX list (dns_mx_usable) is: -1 exactly for a null MX; at most
 * DNS_MAX_HOSTS and at most the input count; sorted by preference; made
 * only of input names that pass dns_hostname_ok (no control byte, no
 * space, no IP literal); the whole usable set when it fits; and the
 * counts of left-out records add up. Also: a name dns_hostname_ok takes,
 * dns_util_name_ok takes; dns_util_clean output is printable and capped;
 * an IP literal prints back to the same address; a servers string gives
 * at most DNS_MAX_SERVERS servers with valid ports and families.
 * When the first byte has its top bit set, the rest is a whole DNS
 * answer instead, read as dns_mx() does (ares_parse_mx_reply), and its
 * records get the same checks.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ares.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_fail.h"
#include "dns.h"
#include "dns_util.h"
#include "why.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NREC	120

static uint32_t rnd_state;

static uint32_t
rnd(uint32_t k)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % k;
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

static void
check_name(const char *name)
{
	struct sockaddr_storage ss, ss2;
	char txt[INET6_ADDRSTRLEN];
	struct buf b = { 0 };
	const char *c;
	socklen_t len, len2;

	if (dns_hostname_ok(name) && (!dns_util_name_ok(name) ||
	    !printable(name) || strchr(name, ' ') != NULL))
		FUZZ_FAIL();
	c = dns_util_clean(&b, name);
	if (!printable(c) || strlen(c) > DNS_UTIL_CLEAN_CAP + 3)
		FUZZ_FAIL();
	buf_free(&b);
	if (!dns_ip_literal(name, 25, &ss, &len))
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		if (len != sizeof(*a) || ntohs(a->sin_port) != 25 ||
		    inet_ntop(AF_INET, &a->sin_addr, txt, sizeof(txt)) == NULL)
			FUZZ_FAIL();
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		if (len != sizeof(*a) || ntohs(a->sin6_port) != 25 ||
		    inet_ntop(AF_INET6, &a->sin6_addr, txt, sizeof(txt)) ==
		    NULL)
			FUZZ_FAIL();
	} else {
		FUZZ_FAIL();
	}
	if (!dns_ip_literal(txt, 25, &ss2, &len2) || len2 != len ||
	    memcmp(&ss, &ss2, len) != 0)
		FUZZ_FAIL();
}

static void
check_servers(const char *spec)
{
	struct dns_server v[DNS_MAX_SERVERS];
	struct why why;
	size_t n, i;

	if (dns_parse_servers(spec, v, &n, &why) == -1) {
		if (n != 0 || !printable(why.text))
			FUZZ_FAIL();
		return;
	}
	if (n == 0 || n > DNS_MAX_SERVERS)
		FUZZ_FAIL();
	for (i = 0; i < n; i++)
		if (v[i].port < 1 || v[i].port > 65535 ||
		    (v[i].family != AF_INET && v[i].family != AF_INET6))
			FUZZ_FAIL();
}

/* How many of v[0..n) a usable list of at most DNS_MAX_HOSTS must hold. */
static size_t
count_usable(const struct dns_mxrec *v, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (dns_hostname_ok(v[i].name) && strcmp(v[i].name, ".") != 0 &&
		    !dns_ip_literal(v[i].name, 0, &ss, &len))
			k++;
	return k;
}

static void
check_mx(struct dns_mxrec *v, const struct dns_mxrec *orig, size_t n)
{
	size_t numeric, bad, usable = count_usable(orig, n), i, j, dots = 0;
	bool null = dns_mx_is_null(orig, n);
	int k;

	k = dns_mx_usable(v, n, rnd, &numeric, &bad);
	if (k == -1) {
		if (!null)
			FUZZ_FAIL();
		return;
	}
	if (null || k < 0 || (size_t)k > DNS_MAX_HOSTS || (size_t)k > n ||
	    (size_t)k != (usable < DNS_MAX_HOSTS ? usable : DNS_MAX_HOSTS))
		FUZZ_FAIL();
	for (i = 0; i < n; i++)
		if (orig[i].name[0] == '\0' || strcmp(orig[i].name, ".") == 0)
			dots++;
	if (usable + numeric + bad + dots != n)
		FUZZ_FAIL();
	for (i = 0; i < (size_t)k; i++) {
		if (i > 0 && v[i - 1].preference > v[i].preference)
			FUZZ_FAIL();
		if (!dns_hostname_ok(v[i].name) || !printable(v[i].name))
			FUZZ_FAIL();
		for (j = 0; j < n && orig[j].name != v[i].name; j++)
			continue;
		if (j == n || orig[j].preference != v[i].preference)
			FUZZ_FAIL();
		/* each input record is used at most once */
		for (j = 0; j < i; j++)
			if (v[j].name == v[i].name)
				FUZZ_FAIL();
	}
}

/* A DNS answer, as dns_mx_records() reads it. */
static void
answer(const uint8_t *data, size_t size)
{
	struct dns_mxrec v[NREC], orig[NREC];
	struct ares_mx_reply *mx = NULL, *r;
	size_t n = 0;

	if (size > 65535 || ares_parse_mx_reply(data, (int)size, &mx) !=
	    ARES_SUCCESS)
		return;
	for (r = mx; r != NULL && n < NREC; r = r->next) {
		v[n].name = r->host;
		v[n++].preference = r->priority;
		check_name(r->host);
	}
	memcpy(orig, v, n * sizeof(*v));
	check_mx(v, orig, n);
	ares_free_data(mx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_mxrec v[NREC], orig[NREC];
	char *copy, *p, *end, *nl;
	size_t n = 0;

	if (size < 1)
		return 0;
	rnd_state = data[0];
	if (data[0] & 0x80) {
		answer(data + 1, size - 1);
		return 0;
	}
	copy = malloc(size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	check_servers(copy);
	p = copy;
	end = copy + size - 1;
	while (p + 2 <= end && n < NREC) {
		v[n].preference = (unsigned char)p[0] << 8 |
		    (unsigned char)p[1];
		p += 2;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl != NULL)
			*nl = '\0';
		v[n++].name = p;
		check_name(p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	memcpy(orig, v, n * sizeof(*v));
	check_mx(v, orig, n);
	free(copy);
	return 0;
}
