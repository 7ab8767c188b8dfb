/* client.h - the gateway's MQTT client: MQTT 3.1.1 and 5 over TCP or TLS, Last Will,
 * reconnection with backoff, resubscription, and an offline buffer (outbox.h) that keeps QoS 1
 * messages across broker outages and gateway restarts. Built on Paho MQTT C, which nobody
 * outside mqtt/ sees.
 *
 * Threads: every function here is called from the one event loop thread. Paho runs its own
 * threads; they only hand events to a queue, which the loop drains with mqtt_client_dispatch()
 * when mqtt_client_fd() becomes readable. No callback of ours ever runs on Paho's threads.
 *
 * Delivery: a QoS 1 publish is first appended to the outbox (on disk when outbox_dir is set),
 * then sent when connected, at most max_inflight at a time, oldest first; it leaves the outbox
 * when the broker acknowledges it. After a reconnection, or a restart with the same outbox_dir,
 * unacknowledged messages are sent again in their original order (at least once: a message
 * whose PUBACK was lost arrives twice). A QoS 0 publish is sent only while connected.
 */
#ifndef MQTT_CLIENT_H
#define MQTT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt/outbox.h"

typedef struct mqtt_options {
    const char *uri;       /* tcp://host:port or mqtt://; ssl:// or mqtts:// for TLS */
    const char *client_id; /* non-empty */
    const char *username;  /* NULL: none */
    const char *password;  /* NULL: none */
    int version;           /* 4 = MQTT 3.1.1, 5 = MQTT 5 */
    int keepalive;         /* seconds */
    int connect_timeout;   /* seconds */
    bool clean_start;      /* false: resume the broker-side session (queued commands) */
    /* MQTT 5: seconds the broker keeps the session after a disconnect; 0 with clean_start
     * false means no expiry, as with MQTT 3.1.1. */
    unsigned session_expiry;

    /* TLS, used with ssl:// and mqtts:// only (setting them with tcp:// is an error). */
    const char *ca_file;   /* PEM trust anchors; NULL: the system store */
    const char *cert_file; /* PEM client certificate (chain); NULL: none */
    const char *key_file;  /* PEM private key of cert_file; NULL: in cert_file */
    const char *key_password;
    bool verify_hostname; /* check the broker certificate names the host of uri */

    int reconnect_min_ms; /* first retry delay; doubles up to reconnect_max_ms (+-20% jitter) */
    int reconnect_max_ms;

    const char *will_topic; /* NULL: no Last Will */
    const void *will_payload;
    size_t will_len;
    int will_qos;
    bool will_retain;

    const char *outbox_dir;     /* NULL: the outbox lives in memory only */
    size_t outbox_max_messages; /* 0: no offline buffer (QoS 1 refused while disconnected) */
    size_t outbox_max_bytes;
    mqtt_outbox_sync_t outbox_sync;
    int max_inflight; /* QoS 1 publishes sent and not yet acknowledged, at most */

    size_t max_incoming_payload; /* larger incoming messages are dropped (and counted) */
    size_t max_incoming_queue;   /* received messages waiting for dispatch, at most */
    size_t max_subscriptions;
} mqtt_options_t;

/* Fills o with the defaults: version 5, keepalive 60 s, connect timeout 10 s, clean start,
 * verify_hostname, reconnect 1 s .. 60 s, outbox 10000 messages / 16 MiB without fsync,
 * 16 in flight, incoming payloads up to 256 KiB, 1000 queued, 200000 subscriptions.
 * Numeric fields left at 0 also take these defaults in mqtt_client_new(), except
 * outbox_max_messages, where 0 means no offline buffer. */
void mqtt_options_init(mqtt_options_t *o);

typedef enum mqtt_event_type {
    MQTT_EVENT_CONNECTED,    /* session_present; subscriptions are being renewed */
    MQTT_EVENT_DISCONNECTED, /* an established connection was lost (error says why) */
    MQTT_EVENT_MESSAGE,      /* a message arrived on a subscribed filter */
    MQTT_EVENT_DELIVERED,    /* the broker acknowledged a QoS 1 message (topic, qos) */
    MQTT_EVENT_ERROR,        /* something failed that the caller should log (error, code) */
    MQTT_EVENT_SUBSCRIBED,   /* every subscription is acknowledged (after a connection, or
                                after subscribe calls): messages to them now arrive */
} mqtt_event_type_t;

/* Everything an event points to is valid only during the callback. */
typedef struct mqtt_event {
    mqtt_event_type_t type;
    const char *topic;
    const uint8_t *payload; /* payload[len] == 0, for convenience; may contain NULs */
    size_t len;
    int qos;
    bool retained;
    const char *response_topic; /* MQTT 5 properties of a MESSAGE; NULL / 0 when absent */
    const uint8_t *correlation;
    size_t correlation_len;
    const char *content_type;
    bool session_present; /* CONNECTED */
    int code;             /* ERROR / DISCONNECTED: a negative errno or an MQTT reason code */
    const char *error;    /* ERROR / DISCONNECTED: a human-readable reason */
} mqtt_event_t;

typedef void (*mqtt_event_fn)(void *ctx, const mqtt_event_t *ev);

/* MQTT 5 properties of an outgoing message; ignored with MQTT 3.1.1. Borrowed. */
typedef struct mqtt_pubprops {
    const char *response_topic;
    const void *correlation;
    size_t correlation_len;
    const char *content_type;
} mqtt_pubprops_t;

typedef struct mqtt_stats {
    uint64_t published;              /* publishes accepted: QoS 0 sent, QoS 1 buffered */
    uint64_t delivered;              /* QoS 1 messages acknowledged by the broker */
    uint64_t received;               /* messages handed to the caller */
    uint64_t dropped_overflow;       /* outbox overflow: oldest dropped or newest refused */
    uint64_t dropped_qos0;           /* QoS 0 publishes while disconnected or backlogged */
    uint64_t dropped_rejected;       /* QoS 1 messages the broker refused (MQTT 5 reason >= 0x80) */
    uint64_t dropped_incoming;       /* incoming messages too large or over max_incoming_queue */
    uint64_t connects;               /* successful connections */
    uint64_t reconnects;             /* successful connections after the first */
    uint64_t connect_failures;       /* failed connection attempts */
    uint64_t outbox_recovered;       /* messages reloaded from outbox_dir at start */
    uint64_t outbox_discarded_bytes; /* torn tail cut from the log at start */
    uint64_t outbox_write_errors;
    size_t buffered; /* messages in the outbox now (not yet acknowledged) */
    size_t buffered_bytes;
    size_t inflight;
    size_t subscriptions;
    bool connected;
} mqtt_stats_t;

typedef struct mqtt_client mqtt_client_t;

/* Validates opts, copies everything it needs (opts may be freed afterwards), opens the outbox
 * (replaying it). Does not connect. Returns NULL and a message in err on failure. Free with
 * mqtt_client_free(). */
mqtt_client_t *mqtt_client_new(const mqtt_options_t *opts, char *err, size_t errlen);
/* Frees everything; a connected client disconnects gracefully first (no will). The outbox
 * stays on disk for the next mqtt_client_new() with the same outbox_dir. Accepts NULL. Not
 * from inside a dispatch callback. */
void mqtt_client_free(mqtt_client_t *c);

/* Starts connecting in the background; retries forever with backoff until stopped.
 * 0, or -EALREADY if started. */
int mqtt_client_start(mqtt_client_t *c);
/* Disconnects gracefully (the broker discards the will), waiting up to timeout_ms for messages
 * in flight to be acknowledged; stops reconnecting. Buffered messages stay in the outbox.
 * 0, or -ETIMEDOUT. mqtt_client_start() may be called again. */
int mqtt_client_stop(mqtt_client_t *c, int timeout_ms);

/* A file descriptor for the loop's epoll (EPOLLIN, level-triggered): readable while events are
 * pending or the reconnect timer is due. Owned by the client. */
int mqtt_client_fd(const mqtt_client_t *c);
/* Handles everything pending, calling fn (may be NULL) for each event, on this thread. fn may
 * publish, subscribe and unsubscribe. Returns the number of events passed to fn. */
int mqtt_client_dispatch(mqtt_client_t *c, mqtt_event_fn fn, void *ctx);

/* Publishes (qos 0 or 1; QoS 2 is refused: the outbox re-sends after a restart, so exactly
 * once cannot be kept). Returns 0 when sent or buffered, or:
 *   -EINVAL    a bad topic (empty, wildcards, not UTF-8, > 65535 bytes), qos or property;
 *   -EMSGSIZE  larger than outbox_max_bytes;
 *   -ENOBUFS   QoS 1: the outbox is full of messages in flight; QoS 0: 1024 are still waiting
 *              to be written;
 *   -ENOTCONN  QoS 0 while disconnected, or QoS 1 while disconnected when
 *              outbox_max_messages is 0.
 * Every refusal is counted (dropped_overflow for QoS 1, dropped_qos0 for QoS 0). When the
 * outbox is full, its oldest messages are dropped to make room (counted in dropped_overflow;
 * an ERROR event marks the start of each overflow). */
int mqtt_client_publish(mqtt_client_t *c, const char *topic, const void *payload, size_t len,
                        int qos, bool retain, const mqtt_pubprops_t *props);

/* Remembers the subscription and subscribes now if connected, and after every reconnection.
 * Subscribing again to the same filter updates its qos. -EINVAL for a bad filter or qos
 * (0..2), -ENOSPC beyond max_subscriptions. A refusal by the broker comes as an ERROR event. */
int mqtt_client_subscribe(mqtt_client_t *c, const char *filter, int qos);
/* Forgets it, and unsubscribes now if connected. -ENOENT if it was not subscribed. */
int mqtt_client_unsubscribe(mqtt_client_t *c, const char *filter);

void mqtt_client_stats(const mqtt_client_t *c, mqtt_stats_t *ret);

#endif
