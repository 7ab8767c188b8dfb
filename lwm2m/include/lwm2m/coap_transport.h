/* coap_transport.h - the LwM2M server's CoAP/UDP transport on libcoap: listens for Register,
 * Update, De-register and Send, carries the server's requests (block-wise both ways) and brings
 * back responses and notifications. The only module that includes libcoap; its users see this
 * header only. It joins the caller's event loop through one file descriptor and a deadline. */
#ifndef LWM2M_COAP_TRANSPORT_H
#define LWM2M_COAP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/server.h"

typedef struct coap_transport coap_transport_t;

typedef struct coap_transport_config {
    const char *const *listen; /* "0.0.0.0:5683", "[::]:5683" */
    size_t listen_count;
    size_t max_payload;       /* largest block-wise body accepted or sent, bytes */
    uint32_t session_idle_ms; /* release a device's session after this long idle */
    size_t max_sessions;      /* sessions held at most; beyond it requests open their own */
} coap_transport_config_t;

/* Creates the CoAP context and binds every listen address. NULL on failure, with a message in
 * err (e.g. "[::]:5683: Address already in use"). */
coap_transport_t *coap_transport_new(lwm2m_server_t *server, const coap_transport_config_t *cfg,
                                     char *err, size_t errlen);
void coap_transport_free(coap_transport_t *t); /* NULL ok */

/* The lwm2m_transport_t to put in peers (name "coap"). */
const lwm2m_transport_t *coap_transport_iface(const coap_transport_t *t);

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
    size_t sessions; /* currently held */
} coap_transport_stats_t;

void coap_transport_stats(const coap_transport_t *t, coap_transport_stats_t *ret);

#endif
