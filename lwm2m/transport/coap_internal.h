/* coap_internal.h - what coap_transport.c (CoAP, sessions, uplinks, downlinks) and coap_dtls.c
 * (DTLS credentials, peer identities, the endpoint binding check) share. Internal to lwm2m/. */
#ifndef LWM2M_COAP_INTERNAL_H
#define LWM2M_COAP_INTERNAL_H

#include <coap3/coap.h>

#include "../server/hash.h"
#include "lwm2m/coap_transport.h"

typedef struct held_session {
    coap_session_t *session;
    char address[LWM2M_ADDRESS_MAX + 8]; /* "coap|..." or "coaps|..." */
    int64_t last_used_ms;
    struct held_session *prev, *next; /* least recently used last */
} held_session_t;

/* The identity a DTLS session proved, in the session's app data; all of them are also on a
 * list so that those of sessions libcoap frees silently (at context free) are freed too. */
typedef struct session_identity {
    lwm2m_cred_identity_t id;
    struct session_identity *prev, *next;
} session_identity_t;

struct coap_transport {
    lwm2m_transport_t iface, iface_dtls;
    lwm2m_server_t *server;
    coap_context_t *ctx;
    coap_transport_config_t cfg;
    coap_address_t local[8]; /* plain listen addresses, for sessions we open ourselves */
    size_t local_count;
    hash_table_t sessions; /* "coap|address" or "coaps|address" -> held_session_t */
    held_session_t recent; /* list head of the held sessions, most recently used first */
    int64_t now_ms;
    int64_t next_sweep_ms;
    coap_transport_stats_t stats;
    /* security (coap_dtls.c) */
    const lwm2m_cred_store_t *creds;
    coap_transport_security_fn on_security;
    void *security_ctx;
    char *ca_file, *cert_file, *key_file; /* owned copies, libcoap keeps pointers */
    uint8_t *rpk_pem;                     /* key_file's contents in RPK mode */
    size_t rpk_pem_len;
    coap_bin_const_t psk_reply;    /* what the PSK callback returns (libcoap copies it) */
    session_identity_t identities; /* list head */
    coap_transport_download_handler_t download; /* GET /fw/<name> */
    /* bootstrap (coap_bootstrap.c) */
    coap_transport_bootstrap_handler_t bootstrap;
    struct bs_run *bs_runs; /* sequences in progress */
};

coap_transport_t *coap_transport_of(coap_session_t *session);

/* Sets the DTLS credentials on the context (before the DTLS endpoints exist). */
int coap_dtls_setup(coap_transport_t *t, char *err, size_t errlen);
void coap_dtls_cleanup(coap_transport_t *t);
/* The identity a session proved (NULL for plain CoAP or an unfinished handshake). */
const lwm2m_cred_identity_t *coap_dtls_identity(const coap_session_t *session);
/* Session and DTLS events: frees what a dying session held, counts failed handshakes. */
int coap_dtls_event(coap_session_t *session, const coap_event_t event);
void coap_dtls_forget(coap_session_t *session); /* frees the identity a session holds */
/* May this request (Register, Update, De-register) go on? 0, or 403 after telling the
 * security handler. */
int coap_dtls_authorize(coap_transport_t *t, coap_session_t *session, const coap_pdu_t *request,
                        lwm2m_uplink_type_t type, const char *location);
/* May this session send a Bootstrap-Request as endpoint (lwm2m_cred_authorize_bootstrap)? 0,
 * or 403 after counting it and reporting a security event. */
int coap_dtls_authorize_bootstrap(coap_transport_t *t, coap_session_t *session,
                                  const char *endpoint);

/* coap_bootstrap.c: POST /bs; a response or NACK to a bootstrap step (true = consumed);
 * sending the next steps; freeing what is in progress. */
void coap_bs_request(coap_transport_t *t, coap_session_t *session, const coap_pdu_t *request,
                     coap_pdu_t *response);
bool coap_bs_response(coap_transport_t *t, coap_session_t *session, const coap_bin_const_t *token,
                      const coap_pdu_t *received);
bool coap_bs_nack(coap_transport_t *t, coap_session_t *session, const coap_bin_const_t *token);
void coap_bs_run(coap_transport_t *t);
void coap_bs_cleanup(coap_transport_t *t);

#endif
