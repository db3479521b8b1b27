/*
 * dns_sym.h: private to dns.c, included after ares.h.
 *
 * As with OpenSSL (tls_sym.h), minimta loads c-ares with dlopen() when it
 * first resolves a name: a submission never does, and should not pay for
 * loading the library. Every c-ares function dns.c calls is listed once;
 * the #defines send the calls through the table dns_sym_load() fills.
 */
#ifndef DNS_SYM_H
#define DNS_SYM_H

#define DNS_SYM_LIST(X)							\
	X(ares_cancel)							\
	X(ares_create_query)						\
	X(ares_destroy)							\
	X(ares_expand_name)						\
	X(ares_free_data)						\
	X(ares_free_hostent)						\
	X(ares_free_string)						\
	X(ares_gethostbyname_file)					\
	X(ares_getsock)							\
	X(ares_init_options)						\
	X(ares_library_cleanup)						\
	X(ares_library_init)						\
	X(ares_parse_mx_reply)						\
	X(ares_process_fd)						\
	X(ares_send)							\
	X(ares_set_servers_ports)					\
	X(ares_strerror)						\
	X(ares_timeout)							

/* p_ + name: the ## keeps name from expanding into the #defines below */
#define DNS_SYM_FIELD(name)	__typeof__(name) *p_##name;

static struct {
	DNS_SYM_LIST(DNS_SYM_FIELD)
} dns_sym;

#define ares_cancel		(*dns_sym.p_ares_cancel)
#define ares_create_query	(*dns_sym.p_ares_create_query)
#define ares_destroy		(*dns_sym.p_ares_destroy)
#define ares_expand_name	(*dns_sym.p_ares_expand_name)
#define ares_free_data		(*dns_sym.p_ares_free_data)
#define ares_free_hostent	(*dns_sym.p_ares_free_hostent)
#define ares_free_string	(*dns_sym.p_ares_free_string)
#define ares_gethostbyname_file	(*dns_sym.p_ares_gethostbyname_file)
#define ares_getsock		(*dns_sym.p_ares_getsock)
#define ares_init_options	(*dns_sym.p_ares_init_options)
#define ares_library_cleanup	(*dns_sym.p_ares_library_cleanup)
#define ares_library_init	(*dns_sym.p_ares_library_init)
#define ares_parse_mx_reply	(*dns_sym.p_ares_parse_mx_reply)
#define ares_process_fd		(*dns_sym.p_ares_process_fd)
#define ares_send		(*dns_sym.p_ares_send)
#define ares_set_servers_ports	(*dns_sym.p_ares_set_servers_ports)
#define ares_strerror		(*dns_sym.p_ares_strerror)
#define ares_timeout		(*dns_sym.p_ares_timeout)

#endif
