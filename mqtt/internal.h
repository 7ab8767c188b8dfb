/* internal.h - what the files of mqtt/ share: the event queue between Paho's threads and the
 * loop thread (queue.c), the Paho glue (paho.c, the only file that includes MQTTAsync.h) and
 * the subscription set (subs.c). Not part of the public API. */
#ifndef MQTT_INTERNAL_H
#define MQTT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt/client.h"
#include "mqtt/outbox.h"

/* ---- queue.c: Paho threads -> loop thread ---------------------------------------------- */

typedef enum mqtt_qtype {
    MQTT_Q_CONNECTED,        /* flag: session present */
    MQTT_Q_CONNECT_FAILED,   /* code, text */
    MQTT_Q_LOST,             /* an established connection was lost; text */
    MQTT_Q_MESSAGE,          /* an incoming message */
    MQTT_Q_PUBLISHED,        /* token: a QoS >= 1 publish was acknowledged */
    MQTT_Q_WRITTEN,          /* a QoS 0 publish was written out (or failed) */
    MQTT_Q_PUBLISH_FAILED,   /* token, code; flag: refused by the broker (do not retry) */
    MQTT_Q_SUBSCRIBED,       /* token; ncodes granted QoS / reason codes, one per filter */
    MQTT_Q_SUBSCRIBE_FAILED, /* token, code */
    MQTT_Q_DISCONNECTED,     /* our own disconnect completed */
    MQTT_Q_NOTICE,           /* text worth reporting: TLS errors, the broker's DISCONNECT */
} mqtt_qtype_t;

#define MQTT_Q_TEXT_MAX 200
#define MQTT_Q_MAX_CODES 32 /* = the largest subscribe batch */

typedef struct mqtt_qevent {
    struct mqtt_qevent *next;
    mqtt_qtype_t type;
    unsigned gen; /* which Paho handle produced it; stale generations are ignored */
    int token;
    int code;
    bool flag;
    int ncodes;
    int codes[MQTT_Q_MAX_CODES];
    /* MQTT_Q_MESSAGE: owned strings and bytes (payload and correlation may be NULL) */
    char *topic;
    uint8_t *payload; /* NUL-terminated past len for the caller's convenience */
    size_t len;
    int qos;
    char *response_topic;
    uint8_t *correlation;
    size_t correlation_len;
    char *content_type;
    char text[MQTT_Q_TEXT_MAX];
} mqtt_qevent_t;

typedef struct mqtt_queue mqtt_queue_t;

/* max_messages / max_bytes bound the MESSAGE events waiting (control events are never
 * refused: they are few and the state machine needs them). */
int mqtt_queue_new(mqtt_queue_t **ret, size_t max_messages, size_t max_bytes);
void mqtt_queue_free(mqtt_queue_t *q);    /* frees pending events; accepts NULL */
int mqtt_queue_fd(const mqtt_queue_t *q); /* eventfd, readable while events are pending */
/* Any thread. Takes ownership of ev. A MESSAGE over the bounds is freed, counted as dropped,
 * and -ENOBUFS returned. */
int mqtt_queue_push(mqtt_queue_t *q, mqtt_qevent_t *ev);
/* Any thread: counts an incoming message dropped before it was queued (too large, no memory). */
void mqtt_queue_count_drop(mqtt_queue_t *q);
/* Loop thread: takes every pending event, oldest first (NULL if none). */
mqtt_qevent_t *mqtt_queue_take_all(mqtt_queue_t *q);
/* Loop thread: waits up to timeout_ms for an event of that type, removes and frees it;
 * other events stay queued in order. Returns true if it came. */
bool mqtt_queue_wait_for(mqtt_queue_t *q, mqtt_qtype_t type, int timeout_ms);
uint64_t mqtt_queue_dropped(mqtt_queue_t *q);
mqtt_qevent_t *mqtt_qevent_new(mqtt_qtype_t type, unsigned gen);
void mqtt_qevent_free(mqtt_qevent_t *ev); /* accepts NULL */

/* ---- paho.c: one Paho handle, i.e. one connection ------------------------------------------ */

/* A link is a Paho handle plus the immutable context its callbacks need (queue, generation,
 * limits). A fresh link is made for every connection attempt, so that commands Paho still
 * holds from a lost connection can never be sent after newer ones: mqtt_link_free() discards
 * them (MQTTAsync_destroy is synchronous: no callback of that link runs after it returns). */
typedef struct mqtt_link mqtt_link_t;

/* opts must outlive the link (the client keeps its own copy). */
int mqtt_link_new(mqtt_link_t **ret, const mqtt_options_t *opts, mqtt_queue_t *q, unsigned gen,
                  char *err, size_t errlen);
void mqtt_link_free(mqtt_link_t *l); /* accepts NULL */
/* Starts a connection attempt; the outcome comes as MQTT_Q_CONNECTED / _CONNECT_FAILED. */
int mqtt_link_connect(mqtt_link_t *l, char *err, size_t errlen);
/* Returns 0 and the token (QoS >= 1) or a negative errno: -ENOTCONN when not connected,
 * -ENOBUFS / -EAGAIN when Paho holds too much already, -EINVAL when it refuses the message.
 * QoS 0 publishes are reported back as MQTT_Q_WRITTEN once written (or failed). */
#define MQTT_LINK_MAX_QUEUED 1100 /* publishes queued in Paho, at most (a backstop) */
int mqtt_link_publish(mqtt_link_t *l, const mqtt_message_t *m, int *ret_token);
int mqtt_link_subscribe(mqtt_link_t *l, char *const *filters, const int *qos, int n,
                        int *ret_token);
int mqtt_link_unsubscribe(mqtt_link_t *l, const char *filter);
/* Graceful DISCONNECT (the broker discards the will); completion: MQTT_Q_DISCONNECTED. */
int mqtt_link_disconnect(mqtt_link_t *l, int timeout_ms);
const char *mqtt_link_strerror(int paho_code);

/* ---- subs.c: remembered subscriptions ---------------------------------------------------- */

typedef struct mqtt_subs mqtt_subs_t;

int mqtt_subs_new(mqtt_subs_t **ret, size_t max);
void mqtt_subs_free(mqtt_subs_t *s);
/* Adds or updates (a changed QoS makes it pending again). -ENOSPC beyond max. */
int mqtt_subs_add(mqtt_subs_t *s, const char *filter, int qos);
int mqtt_subs_remove(mqtt_subs_t *s, const char *filter); /* -ENOENT if unknown */
size_t mqtt_subs_count(const mqtt_subs_t *s);
/* Nothing left to send and no SUBSCRIBE waiting for its SUBACK. */
bool mqtt_subs_settled(const mqtt_subs_t *s);
/* After a (re)connection: every subscription is pending, no batch outstanding. */
void mqtt_subs_reset(mqtt_subs_t *s);
/* Sends pending subscriptions in batches while fewer than max_batches are unacknowledged. */
typedef int (*mqtt_subs_send_fn)(void *ctx, char *const *filters, const int *qos, int n,
                                 int *ret_token);
int mqtt_subs_pump(mqtt_subs_t *s, int max_batches, mqtt_subs_send_fn send, void *ctx);
/* A batch completed; report is called for each filter whose code is a refusal (>= 0x80). */
typedef void (*mqtt_subs_report_fn)(void *ctx, const char *filter, int code);
void mqtt_subs_done(mqtt_subs_t *s, int token, const int *codes, int ncodes, int fail_code,
                    mqtt_subs_report_fn report, void *ctx);

/* ---- shared helpers ---------------------------------------------------------------------- */

/* Topic names (no wildcards) and filters (valid wildcards), MQTT rules + UTF-8 checks. */
bool mqtt_topic_valid(const char *topic, bool is_filter);

#endif
