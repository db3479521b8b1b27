/*
 * tls_sym.h: private to tls.c, included after the OpenSSL headers.
 *
 * minimta loads OpenSSL with dlopen() at the first TLS context instead of
 * linking it: submission never needs TLS, and loading libssl and
 * libcrypto (relocations, constructors) cost more than the rest of a
 * submission (bench/submit.sh). Every OpenSSL function tls.c calls is
 * listed here once; the #defines send the calls through the table that
 * tls_sym_load() fills with dlsym().
 */
#ifndef TLS_SYM_H
#define TLS_SYM_H

#define TLS_SYM_LIST(X)							\
	X(ERR_clear_error)						\
	X(ERR_peek_error)						\
	X(ERR_reason_error_string)					\
	X(EVP_DecodeBlock)						\
	X(EVP_EncodeBlock)						\
	X(SSL_CIPHER_get_name)						\
	X(SSL_CTX_check_private_key)					\
	X(SSL_CTX_ctrl)							\
	X(SSL_CTX_dane_enable)						\
	X(SSL_CTX_free)							\
	X(SSL_CTX_load_verify_locations)				\
	X(SSL_CTX_new)							\
	X(SSL_CTX_set_default_verify_paths)				\
	X(SSL_CTX_set_options)						\
	X(SSL_CTX_set_verify)						\
	X(SSL_CTX_use_PrivateKey_file)					\
	X(SSL_CTX_use_certificate_chain_file)				\
	X(SSL_connect)							\
	X(SSL_ctrl)							\
	X(SSL_dane_enable)						\
	X(SSL_dane_set_flags)						\
	X(SSL_dane_tlsa_add)						\
	X(SSL_free)							\
	X(SSL_get0_dane_authority)					\
	X(SSL_get0_dane_tlsa)						\
	X(SSL_get0_param)						\
	X(SSL_get0_peer_certificate)					\
	X(SSL_get_current_cipher)					\
	X(SSL_get_error)						\
	X(SSL_get_verify_result)					\
	X(SSL_get_version)						\
	X(SSL_is_init_finished)						\
	X(SSL_new)							\
	X(SSL_read_ex)							\
	X(SSL_set_connect_state)					\
	X(SSL_set_fd)							\
	X(SSL_set_verify)						\
	X(SSL_shutdown)							\
	X(SSL_write_ex)							\
	X(TLS_client_method)						\
	X(X509_VERIFY_PARAM_set1_host)					\
	X(X509_VERIFY_PARAM_set1_ip_asc)				\
	X(X509_VERIFY_PARAM_set_hostflags)				\
	X(X509_verify_cert_error_string)				

/* p_ + name: the ## keeps name from expanding into the #defines below */
#define TLS_SYM_FIELD(name)	__typeof__(name) *p_##name;

static struct {
	TLS_SYM_LIST(TLS_SYM_FIELD)
} tls_sym;

#define ERR_clear_error			(*tls_sym.p_ERR_clear_error)
#define ERR_peek_error			(*tls_sym.p_ERR_peek_error)
#define ERR_reason_error_string		(*tls_sym.p_ERR_reason_error_string)
#define EVP_DecodeBlock			(*tls_sym.p_EVP_DecodeBlock)
#define EVP_EncodeBlock			(*tls_sym.p_EVP_EncodeBlock)
#define SSL_CIPHER_get_name		(*tls_sym.p_SSL_CIPHER_get_name)
#define SSL_CTX_check_private_key	(*tls_sym.p_SSL_CTX_check_private_key)
#define SSL_CTX_ctrl			(*tls_sym.p_SSL_CTX_ctrl)
#define SSL_CTX_dane_enable		(*tls_sym.p_SSL_CTX_dane_enable)
#define SSL_CTX_free			(*tls_sym.p_SSL_CTX_free)
#define SSL_CTX_load_verify_locations (*tls_sym.p_SSL_CTX_load_verify_locations)
#define SSL_CTX_new			(*tls_sym.p_SSL_CTX_new)
#define SSL_CTX_set_default_verify_paths \
	(*tls_sym.p_SSL_CTX_set_default_verify_paths)
#define SSL_CTX_set_options		(*tls_sym.p_SSL_CTX_set_options)
#define SSL_CTX_set_verify		(*tls_sym.p_SSL_CTX_set_verify)
#define SSL_CTX_use_PrivateKey_file	(*tls_sym.p_SSL_CTX_use_PrivateKey_file)
#define SSL_CTX_use_certificate_chain_file \
	(*tls_sym.p_SSL_CTX_use_certificate_chain_file)
#define SSL_connect			(*tls_sym.p_SSL_connect)
#define SSL_ctrl			(*tls_sym.p_SSL_ctrl)
#define SSL_dane_enable			(*tls_sym.p_SSL_dane_enable)
#define SSL_dane_set_flags		(*tls_sym.p_SSL_dane_set_flags)
#define SSL_dane_tlsa_add		(*tls_sym.p_SSL_dane_tlsa_add)
#define SSL_free			(*tls_sym.p_SSL_free)
#define SSL_get0_dane_authority		(*tls_sym.p_SSL_get0_dane_authority)
#define SSL_get0_dane_tlsa		(*tls_sym.p_SSL_get0_dane_tlsa)
#define SSL_get0_param			(*tls_sym.p_SSL_get0_param)
#define SSL_get0_peer_certificate	(*tls_sym.p_SSL_get0_peer_certificate)
#define SSL_get_current_cipher		(*tls_sym.p_SSL_get_current_cipher)
#define SSL_get_error			(*tls_sym.p_SSL_get_error)
#define SSL_get_verify_result		(*tls_sym.p_SSL_get_verify_result)
#define SSL_get_version			(*tls_sym.p_SSL_get_version)
#define SSL_is_init_finished		(*tls_sym.p_SSL_is_init_finished)
#define SSL_new				(*tls_sym.p_SSL_new)
#define SSL_read_ex			(*tls_sym.p_SSL_read_ex)
#define SSL_set_connect_state		(*tls_sym.p_SSL_set_connect_state)
#define SSL_set_fd			(*tls_sym.p_SSL_set_fd)
#define SSL_set_verify			(*tls_sym.p_SSL_set_verify)
#define SSL_shutdown			(*tls_sym.p_SSL_shutdown)
#define SSL_write_ex			(*tls_sym.p_SSL_write_ex)
#define TLS_client_method		(*tls_sym.p_TLS_client_method)
#define X509_VERIFY_PARAM_set1_host	(*tls_sym.p_X509_VERIFY_PARAM_set1_host)
#define X509_VERIFY_PARAM_set1_ip_asc (*tls_sym.p_X509_VERIFY_PARAM_set1_ip_asc)
#define X509_VERIFY_PARAM_set_hostflags \
	(*tls_sym.p_X509_VERIFY_PARAM_set_hostflags)
#define X509_verify_cert_error_string (*tls_sym.p_X509_verify_cert_error_string)

#endif
