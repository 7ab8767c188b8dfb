/* binding.h - the LwM2M 1.2 MQTT transport binding, server side (Transport TS §8): an MQTT client
 * of the binding broker that subscribes to `{prefix}/lwm2m/rd/#`, turns the devices' CBOR
 * messages into uplinks, responses and notifications for the LwM2M server, and carries the
 * server's requests to `{prefix}/lwm2m/rd/{ep}` (QoS 1). Its peers have transport "mqtt" and the
 * endpoint name as address (an endpoint longer than an address holds is named by a hash the
 * binding maps back). The LwM2M core (lwm2m/core/mqtt_msg.c) owns the wire format; this module
 * owns the broker link, the mapping to LwM2M terms, and telling the server's own messages (which
 * the shared topic brings back) from the devices'.
 *
 * Threads: the loop thread only, like mqtt/client.h. */
#ifndef LMG_BINDING_H
#define LMG_BINDING_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "lwm2m/server.h"

typedef struct binding binding_t;

typedef struct binding_stats {
    uint64_t received;      /* messages the broker delivered */
    uint64_t uplinks;       /* Register, Update, De-register, Send handed to the server */
    uint64_t responses;     /* answers to the server's requests */
    uint64_t notifications; /* Notify for a known observation */
    uint64_t requests;      /* the server's requests published */
    uint64_t replies;       /* answers to the devices' requests published */
    uint64_t echoes;        /* our own publications coming back: ignored */
    uint64_t dropped;       /* malformed, unknown operation, unknown token (each logged) */
    uint64_t refused;       /* server requests the binding cannot express (e.g. lt) */
} binding_stats_t;

/* Creates the binding's MQTT client from conf->lwm2m.mqtt_binding (broker, prefix, client id;
 * the mqtt.* credentials and TLS files when the broker is mqtt.uri) and subscribes. Does not
 * connect. `server` must outlive the binding, and the binding must outlive every registration
 * that names it (free the server first). NULL with a message in err on failure. */
binding_t *binding_new(lwm2m_server_t *server, const lmg_conf_t *conf, char *err, size_t errlen);
/* Disconnects and frees. NULL ok. */
void binding_free(binding_t *b);

/* Starts connecting in the background (retrying forever). 0 or a negative errno. */
int binding_start(binding_t *b);
/* The descriptor to watch for EPOLLIN; call binding_process when it is readable. */
int binding_fd(const binding_t *b);
/* Handles everything the broker delivered; logs one line per message it drops. */
void binding_process(binding_t *b, int64_t now_ms);

/* Handles one message from `topic`. Returns 0 when it was handled or quietly ignored (one of
 * our own publications), or a negative code with the reason in `reason` when it was dropped:
 * -400 malformed, -404 unknown token, -501 unknown operation. Exposed for tests;
 * binding_process calls it. */
int binding_handle_message(binding_t *b, const char *topic, const uint8_t *payload, size_t len,
                           int64_t now_ms, char *reason, size_t reason_len);

/* The transport to put in peers (name "mqtt"). */
const lwm2m_transport_t *binding_iface(const binding_t *b);
/* Puts a registration saved by a previous run back under this transport: sets
 * reg->peer.transport and relearns a hashed address. */
void binding_restore(binding_t *b, lwm2m_registration_t *reg);

void binding_stats(const binding_t *b, binding_stats_t *ret);

#endif
