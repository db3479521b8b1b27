/*
 * ifaddr: is an address this host? For the MX loop check (loop.h): an
 * MX host that is this host would be a connection to ourselves.
 *
 * ifaddr_is_loopback() is pure: the loopback networks (127.0.0.0/8,
 * ::1, and 127/8 mapped into IPv6) and the unspecified addresses
 * (0.0.0.0, ::: a connection to them reaches this host). ifaddr_load()
 * reads the addresses of this host's interfaces once (getifaddrs(3));
 * the caller owns the list (ifaddr_free(NULL) does nothing); NULL with
 * why when getifaddrs fails. ifaddr_is_own() compares address bytes
 * (IPv4-mapped IPv6 as IPv4), not ports or scopes.
 */
#ifndef IFADDR_H
#define IFADDR_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>

struct why;
struct ifaddr_list;

bool	ifaddr_is_loopback(const struct sockaddr *);
struct ifaddr_list *ifaddr_load(struct why *);
bool	ifaddr_is_own(const struct ifaddr_list *, const struct sockaddr *);
void	ifaddr_free(struct ifaddr_list *);

#endif
