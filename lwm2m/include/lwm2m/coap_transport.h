/* coap_transport.h - the LwM2M server's CoAP/UDP transport on libcoap: listens for Register,
 * Update, De-register and Send, carries the server's requests (block-wise both ways) and brings
 * back responses and notifications. The only module that includes libcoap; its users see this
 * header only. It joins the caller's event loop through one file descriptor and a deadline. */
#ifndef LWM2M_COAP_TRANSPORT_H
#define LWM2M_COAP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/credentials.h"
#include "lwm2m/server.h"

typedef struct coap_transport coap_transport_t;

typedef struct coap_transport_config {
    const char *const *listen; /* "0.0.0.0:5683", "[::]:5683" */
    size_t listen_count;
    size_t max_payload;       /* largest block-wise body accepted or sent, bytes */
    uint32_t session_idle_ms; /* release a device's session after this long idle */
    size_t max_sessions;      /* 0 = 1024: sessions held at most (least recently used goes first),
                               * and libcoap's unreferenced sessions at most */
    /* DTLS listeners (none = no DTLS). PSK credentials come from the store given to
     * coap_transport_set_credentials. PKI: with cert_file, X.509 (ca_file the trust anchors
     * the device certificates must chain to); with rpk, raw public keys (key_file is the
     * server's private key, PEM). The strings are copied. */
    const char *const *dtls_listen;
    size_t dtls_listen_count;
    const char *ca_file, *cert_file, *key_file; /* NULL or "" = unset */
    bool rpk;
} coap_transport_config_t;

/* Creates the CoAP context and binds every listen address. NULL on failure, with a message in
 * err (e.g. "[::]:5683: Address already in use"). */
coap_transport_t *coap_transport_new(lwm2m_server_t *server, const coap_transport_config_t *cfg,
                                     char *err, size_t errlen);
void coap_transport_free(coap_transport_t *t); /* NULL ok */

/* The lwm2m_transport_t to put in peers (name "coap"). */
const lwm2m_transport_t *coap_transport_iface(const coap_transport_t *t);
/* The one for peers that came over DTLS (name "coaps"): the two never share registrations. */
const lwm2m_transport_t *coap_transport_dtls_iface(const coap_transport_t *t);

/* The credential store that authenticates DTLS peers and decides who may register as which
 * endpoint (also over plain CoAP: the NoSec policy). Borrowed: the caller keeps it alive until
 * it sets another one (a reload) or frees the transport. Sessions already up keep the
 * identity they proved. NULL = no policy (every registration accepted, no PSK). */
void coap_transport_set_credentials(coap_transport_t *t, const lwm2m_cred_store_t *store);

/* Called when a device is refused for security reasons (4.03): the endpoint it asked for, the
 * identity it proved (kind NONE over plain CoAP) and why. */
typedef void (*coap_transport_security_fn)(void *ctx, const char *endpoint,
                                           const lwm2m_cred_identity_t *identity,
                                           const char *reason);
void coap_transport_set_security_handler(coap_transport_t *t, coap_transport_security_fn fn,
                                         void *ctx);

/* Bootstrap-Server interface (POST /bs?ep=...). For a device that asks, the handler fills
 * in the account to provision (0), or refuses (a negative CoAP code, e.g. -403). The transport
 * then answers 2.04 and runs Bootstrap-Discover, -Delete, -Write (Security, Server) and -Finish
 * on the device's session; `finished` reports how it ended (code 204 = done, otherwise the device's
 * answer or 0 when it did not answer) and at which URI. */
typedef struct coap_transport_bootstrap {
    char server_uri[256];
    uint16_t short_server_id;
    uint32_t lifetime;
    char identity[65]; /* PSK identity */
    uint8_t key[64];   /* PSK secret */
    size_t key_len;
    char binding[8]; /* "U", "UQ", ...; "" = "U" */
} coap_transport_bootstrap_t;
typedef struct coap_transport_bootstrap_handler {
    int (*request)(void *ctx, const char *endpoint, coap_transport_bootstrap_t *ret);
    void (*finished)(void *ctx, const char *endpoint, int code, const char *uri);
    void *ctx;
} coap_transport_bootstrap_handler_t;
/* NULL request = no bootstrap interface (POST /bs gets 4.04). */
void coap_transport_set_bootstrap_handler(coap_transport_t *t,
                                          const coap_transport_bootstrap_handler_t *handler);

/* Content the gateway serves itself (firmware pull): GET /fw/<name> over CoAP or CoAPS,
 * answered block by block (Block2, the size the device asks for, 16..1024 bytes, 1024 when it
 * asks for none; any block in any order, so a device resumes where it wants). `lookup` returns
 * the content, borrowed until the handler is called again or changed, or NULL (4.04); `served`
 * (may be NULL) reports each block answered, for progress. */
typedef struct coap_transport_download_handler {
    const uint8_t *(*lookup)(void *ctx, const char *name, size_t *ret_len);
    void (*served)(void *ctx, const char *name, size_t offset, size_t len, size_t total);
    void *ctx;
} coap_transport_download_handler_t;
/* NULL lookup = nothing served (GET /fw/... gets 4.04). The struct is copied. */
void coap_transport_set_download_handler(coap_transport_t *t,
                                         const coap_transport_download_handler_t *handler);

/* The DTLS backend libcoap was built with ("GnuTLS 3.7.9", "mbed TLS 2.28.3", "none"). */
const char *coap_transport_tls_library(char *buf, size_t size);

/* The descriptor to watch for EPOLLIN; call coap_transport_process when it is readable. */
int coap_transport_fd(const coap_transport_t *t);
void coap_transport_process(coap_transport_t *t, int64_t now_ms);
/* Retransmissions, block-wise and session housekeeping. Returns the next deadline (ms). */
int64_t coap_transport_timer(coap_transport_t *t, int64_t now_ms);

/* libcoap's own log lines (DTLS, protocol errors) go here; level follows syslog. */
typedef void (*coap_transport_log_fn)(int level, const char *message);
void coap_transport_set_log(coap_transport_log_fn fn, int level);

typedef struct coap_transport_stats {
    uint64_t uplinks;  /* register/update/deregister/send handled */
    uint64_t requests; /* downlink requests sent */
    uint64_t responses, notifications, timeouts, resets;
    size_t sessions;        /* currently held */
    uint64_t forbidden;     /* registrations and updates refused with 4.03 */
    uint64_t auth_failures; /* DTLS handshakes refused: unknown PSK identity, key or cert */
} coap_transport_stats_t;

void coap_transport_stats(const coap_transport_t *t, coap_transport_stats_t *ret);

#endif
