/* outbox.h - the bounded offline buffer: QoS >= 1 messages the broker has not acknowledged yet,
 * kept in publish order, optionally persisted to an append-only log so that they survive a
 * broker outage and a gateway restart.
 *
 * Single-threaded: only the event loop thread touches an outbox. No I/O but the log file.
 *
 * Bounds and overflow: an outbox holds at most max_messages messages and max_bytes bytes, where
 * a message's size is the length of its topic, payload and properties. When a new message does
 * not fit, the OLDEST messages that are not in flight are dropped to make room (newer data is
 * worth more to a dashboard than older data of the same kind, and a retained state topic must
 * end on its latest value). If every buffered message is in flight, the new one is refused
 * (-ENOBUFS). Both cases are counted in mqtt_outbox_stats_t.dropped: never silent.
 *
 * The log (<dir>/outbox.log): an 8-byte file header, then records, each
 *     u32 magic | u8 type | u8 flags | u16 zero | u64 seq | u32 body length | u32 CRC-32
 * (little-endian; the CRC covers type..length and the body). A MESSAGE record's body carries
 * the topic, properties and payload; a REMOVE record (no body) forgets the message with that
 * sequence number (acknowledged, rejected or dropped). Opening replays the log, stops at the
 * first record that is truncated or fails its CRC (a torn tail after a crash: the bytes from
 * there on are counted in discarded_bytes), then rewrites the file with only the live messages.
 * The log is rewritten the same way (temporary file, fsync, rename, fsync of the directory)
 * whenever dead records outweigh live ones, and simply truncated when the outbox empties.
 *
 * fsync policy: MQTT_OUTBOX_SYNC_NONE (default) writes each record with one write() and never
 * fsyncs an append: a crash or kill of the process loses nothing (the page cache survives it),
 * a power cut may lose the last records written (the torn tail is detected and cut).
 * MQTT_OUTBOX_SYNC_ALWAYS calls fdatasync() after every record: nothing acknowledged to the
 * caller is lost even on power failure, at the cost of one flash write per message.
 * Rewrites always fsync. <dir>/outbox.lock (flock) keeps a second process out of the outbox.
 */
#ifndef MQTT_OUTBOX_H
#define MQTT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mqtt_outbox_sync {
    MQTT_OUTBOX_SYNC_NONE = 0, /* never fsync appends (survives process crash, not power loss) */
    MQTT_OUTBOX_SYNC_ALWAYS,   /* fdatasync after every appended record */
} mqtt_outbox_sync_t;

typedef struct mqtt_outbox_options {
    const char *dir;     /* directory of the log, created if missing; NULL: memory only */
    size_t max_messages; /* > 0 */
    size_t max_bytes;    /* > 0: sum of topic + payload + property lengths */
    mqtt_outbox_sync_t sync;
} mqtt_outbox_options_t;

/* A message to publish. Everything is borrowed for the duration of the call. */
typedef struct mqtt_message {
    const char *topic; /* non-empty, at most 65535 bytes */
    const void *payload;
    size_t len;
    int qos;
    bool retain;
    const char *response_topic; /* MQTT 5 properties; NULL / 0: absent */
    const void *correlation;
    size_t correlation_len;
    const char *content_type;
} mqtt_message_t;

/* A buffered message, owned by the outbox: valid until it is removed or dropped (any call
 * that adds or removes messages may drop it), or the outbox is freed. */
typedef struct mqtt_outbox_entry {
    mqtt_message_t msg; /* points into the entry's own storage */
    uint64_t seq;       /* publish order, unique for the life of the log */
    size_t size;        /* what the entry counts against max_bytes */
    bool inflight;      /* handed to the network, waiting for the broker's acknowledgement */
    int token;          /* the sender's handle for it while in flight */
    struct mqtt_outbox_entry *prev, *next; /* private */
    size_t record_len;                     /* private */
} mqtt_outbox_entry_t;

typedef struct mqtt_outbox_stats {
    size_t messages;          /* buffered now */
    size_t bytes;             /* buffered now, as counted against max_bytes */
    size_t inflight;          /* of those, handed to the network */
    uint64_t dropped;         /* overflow: oldest dropped or newest refused */
    uint64_t recovered;       /* messages reloaded from the log when opened */
    uint64_t discarded_bytes; /* torn or corrupt tail cut from the log when opened */
    uint64_t write_errors;    /* failed log writes (the message stays buffered in memory) */
    uint64_t rewrites;        /* log compactions */
    uint64_t file_bytes;      /* current size of the log */
    int last_errno;           /* errno of the last failed log operation, 0 if none */
} mqtt_outbox_stats_t;

typedef struct mqtt_outbox mqtt_outbox_t;

/* Opens (and replays) or creates the outbox. On failure returns a negative errno, leaves
 * *ret untouched and writes a message into err. Free with mqtt_outbox_free(). */
int mqtt_outbox_open(mqtt_outbox_t **ret, const mqtt_outbox_options_t *opts, char *err,
                     size_t errlen);
/* Closes the log (its content stays for the next open) and frees everything. Accepts NULL. */
void mqtt_outbox_free(mqtt_outbox_t *ob);

/* Appends a copy of msg (qos must be 1 or 2). Returns 0 (older messages may have been dropped
 * to make room), -EMSGSIZE if msg alone exceeds max_bytes, -ENOBUFS if the outbox is full of
 * in-flight messages, -EINVAL on a bad message, -ENOMEM. A failed log write is not an error
 * here: the message is kept in memory and write_errors / last_errno tell. */
int mqtt_outbox_push(mqtt_outbox_t *ob, const mqtt_message_t *msg);

/* The oldest message, and the one after e; NULL at the end. */
mqtt_outbox_entry_t *mqtt_outbox_head(const mqtt_outbox_t *ob);
mqtt_outbox_entry_t *mqtt_outbox_next(const mqtt_outbox_entry_t *e);
/* The oldest message that is not in flight (the next to send), or NULL. */
mqtt_outbox_entry_t *mqtt_outbox_next_unsent(const mqtt_outbox_t *ob);

void mqtt_outbox_set_inflight(mqtt_outbox_t *ob, mqtt_outbox_entry_t *e, int token);
/* The in-flight message with that token, or NULL. */
mqtt_outbox_entry_t *mqtt_outbox_find_inflight(const mqtt_outbox_t *ob, int token);
/* Back to "to be sent": after a failed send, or for all messages after a lost connection. */
void mqtt_outbox_requeue(mqtt_outbox_t *ob, mqtt_outbox_entry_t *e);
void mqtt_outbox_requeue_all(mqtt_outbox_t *ob);
/* Forgets e (acknowledged, or refused by the broker), in memory and in the log. */
void mqtt_outbox_remove(mqtt_outbox_t *ob, mqtt_outbox_entry_t *e);

size_t mqtt_outbox_count(const mqtt_outbox_t *ob);
size_t mqtt_outbox_inflight(const mqtt_outbox_t *ob);
void mqtt_outbox_stats(const mqtt_outbox_t *ob, mqtt_outbox_stats_t *ret);

#endif
