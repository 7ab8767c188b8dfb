/* mqtt_msg.h - the LwM2M 1.2 MQTT transport binding (Transport TS §8): the CBOR map every MQTT
 * message carries, and topic names `[PREFIX "/"] "lwm2m/" ("bs" / "rd") "/" ENDPOINT`. Pure:
 * bytes in, structs out; no MQTT client here.
 *
 * Wire choices (the TS gives CBOR diagnostics, no bytes; checked against its examples):
 * - decode accepts definite or indefinite maps, arrays and strings; every known key at most
 *   once; non-integer keys are malformed. Unknown unsigned keys are skipped (their value must
 *   still be well-formed) and counted in unknown_keys, so a newer peer's extra parameter
 *   doesn't fail the exchange; they are not re-encoded.
 * - a message has exactly one of operation (request) or result (response).
 * - token is a uint in the TS examples; a byte string of up to 8 bytes (a CoAP-style token) is
 *   accepted and re-encoded as such.
 * - payload (7) is a byte string per the CDDL, but the TS's own response example writes text/plain
 *   as a text string: both decode, payload_is_text says which, and the encoder follows it.
 * - encode writes a definite map, shortest integers, keys in the order that reproduces the TS
 *   examples: operation, result, token, then 3..22 ascending, with ct and payload last
 *   ({1: 9, 2: 56, 5: "/3/0/0"}, {18: 205, 2: 56, 19: 0, 7: "..."}).
 */
#ifndef LWM2M_MQTT_MSG_H
#define LWM2M_MQTT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/error.h"

/* CBOR map keys. */
enum {
    LWM2M_MQTT_KEY_OPERATION = 1,
    LWM2M_MQTT_KEY_TOKEN = 2,
    LWM2M_MQTT_KEY_EP = 3,
    LWM2M_MQTT_KEY_PCT = 4,
    LWM2M_MQTT_KEY_URI = 5,
    LWM2M_MQTT_KEY_PATHS = 6,
    LWM2M_MQTT_KEY_PAYLOAD = 7,
    LWM2M_MQTT_KEY_LIFETIME = 8,
    LWM2M_MQTT_KEY_VERSION = 9,
    LWM2M_MQTT_KEY_BINDING = 10,
    LWM2M_MQTT_KEY_SMS = 11,
    LWM2M_MQTT_KEY_PMIN = 12,
    LWM2M_MQTT_KEY_PMAX = 13,
    LWM2M_MQTT_KEY_GT = 14,
    LWM2M_MQTT_KEY_ST = 15,
    LWM2M_MQTT_KEY_EPMIN = 16,
    LWM2M_MQTT_KEY_EPMAX = 17,
    LWM2M_MQTT_KEY_RESULT = 18,
    LWM2M_MQTT_KEY_CT = 19,
    LWM2M_MQTT_KEY_EDGE = 20,
    LWM2M_MQTT_KEY_HQMAX = 21,
    LWM2M_MQTT_KEY_DEPTH = 22,
};

/* Operation codes. The topic tells the two uses of 6 apart. On "bs" topics: */
enum {
    LWM2M_MQTT_OP_BOOTSTRAP_REQUEST = 0,
    LWM2M_MQTT_OP_BOOTSTRAP_WRITE = 1,
    LWM2M_MQTT_OP_BOOTSTRAP_READ = 2,
    LWM2M_MQTT_OP_BOOTSTRAP_DELETE = 3,
    LWM2M_MQTT_OP_BOOTSTRAP_DISCOVER = 4,
    LWM2M_MQTT_OP_BOOTSTRAP_FINISH = 5,
    LWM2M_MQTT_OP_BOOTSTRAP_PACK_REQUEST = 6,
};
/* On "rd" topics (19 is unused; the TS's Send example says 23, an erratum: Send is 24). */
enum {
    LWM2M_MQTT_OP_REGISTER = 6,
    LWM2M_MQTT_OP_UPDATE = 7,
    LWM2M_MQTT_OP_DEREGISTER = 8,
    LWM2M_MQTT_OP_READ = 9,
    LWM2M_MQTT_OP_READ_COMPOSITE = 10,
    LWM2M_MQTT_OP_DISCOVER = 11,
    LWM2M_MQTT_OP_WRITE_REPLACE = 12,
    LWM2M_MQTT_OP_WRITE_PARTIAL_UPDATE = 13,
    LWM2M_MQTT_OP_WRITE_ATTRIBUTES = 14,
    LWM2M_MQTT_OP_WRITE_COMPOSITE = 15,
    LWM2M_MQTT_OP_EXECUTE = 16,
    LWM2M_MQTT_OP_CREATE = 17,
    LWM2M_MQTT_OP_DELETE = 18,
    LWM2M_MQTT_OP_OBSERVE = 20,
    LWM2M_MQTT_OP_OBSERVE_COMPOSITE = 21,
    LWM2M_MQTT_OP_CANCEL_OBSERVE = 22,
    LWM2M_MQTT_OP_NOTIFY = 23,
    LWM2M_MQTT_OP_SEND = 24,
};

#define LWM2M_MQTT_MAX_PATHS 64 /* entries of key 6 */
#define LWM2M_MQTT_TOKEN_MAX 8  /* bytes of a byte-string token */

/* Text or bytes. After decode they point into the message's storage and are NUL-terminated;
 * for encode they point at the caller's memory. */
typedef struct lwm2m_mqtt_str {
    const char *data;
    size_t len;
} lwm2m_mqtt_str_t;

typedef struct lwm2m_mqtt_token {
    bool is_bytes; /* false: the uint `number`; true: bytes[0..len) */
    uint64_t number;
    uint8_t bytes[LWM2M_MQTT_TOKEN_MAX];
    uint8_t len;
} lwm2m_mqtt_token_t;

typedef struct lwm2m_mqtt_msg {
    bool has_operation;
    uint8_t operation; /* LWM2M_MQTT_OP_* */
    bool has_token;
    lwm2m_mqtt_token_t token;
    bool has_ep;
    lwm2m_mqtt_str_t ep;
    bool has_pct;
    uint16_t pct; /* preferred content format */
    bool has_uri;
    lwm2m_mqtt_str_t uri;
    bool has_paths;
    lwm2m_mqtt_str_t *paths; /* path_count text strings */
    size_t path_count;
    bool has_payload;
    bool payload_is_text; /* text string on the wire instead of a byte string */
    lwm2m_mqtt_str_t payload;
    bool has_lifetime;
    uint32_t lifetime;
    bool has_version;
    lwm2m_mqtt_str_t version;
    bool has_binding;
    lwm2m_mqtt_str_t binding; /* key 10, "b" */
    bool has_sms;
    lwm2m_mqtt_str_t sms;
    bool has_pmin, has_pmax, has_epmin, has_epmax, has_hqmax;
    uint32_t pmin, pmax, epmin, epmax, hqmax;
    bool has_gt, has_st;
    double gt, st; /* integers or floats on the wire; finite */
    bool has_result;
    uint16_t result; /* CoAP code as class*100+detail: 205, 404 */
    bool has_ct;
    uint16_t ct;
    bool has_edge;
    bool edge; /* 0/1 (or false/true) on the wire, written as 0/1 */
    bool has_depth;
    uint8_t depth;

    size_t unknown_keys; /* decode: unknown integer keys skipped */
    void *storage;       /* decode: the one allocation the pointers above point into */
} lwm2m_mqtt_msg_t;

/* Decodes one message. *msg is overwritten (call lwm2m_mqtt_msg_clear on a previously decoded
 * one first). Strings and the payload are copied into one allocation bounded by 2 * len, freed
 * by lwm2m_mqtt_msg_clear. Returns 0, -400 when malformed (wrong type, duplicate or non-integer
 * key, trailing bytes, neither or both of operation and result) with err->offset, -413 beyond
 * LWM2M_MQTT_MAX_PATHS paths, -500 when out of memory. *msg is cleared on failure. */
int lwm2m_mqtt_msg_decode(const uint8_t *data, size_t len, lwm2m_mqtt_msg_t *msg,
                          lwm2m_error_t *err);

/* Appends the message's CBOR map to out. -406 for a message that can't be sent (neither or both
 * of operation and result, a token over 8 bytes, gt/st not finite, result not a CoAP code, text
 * that is not UTF-8), -413/-500 from the buffer. */
int lwm2m_mqtt_msg_encode(const lwm2m_mqtt_msg_t *msg, lwm2m_buf_t *out, lwm2m_error_t *err);

/* Frees what decode allocated and zeroes the message. Accepts NULL. */
void lwm2m_mqtt_msg_clear(lwm2m_mqtt_msg_t *msg);

typedef enum lwm2m_mqtt_interface {
    LWM2M_MQTT_BOOTSTRAP = 0, /* "bs" */
    LWM2M_MQTT_REGISTRATION,  /* "rd": registration, device management, reporting */
} lwm2m_mqtt_interface_t;

/* A topic's parts, pointing into the topic text (prefix.len 0: no prefix). */
typedef struct lwm2m_mqtt_topic {
    lwm2m_mqtt_str_t prefix;
    lwm2m_mqtt_interface_t interface;
    lwm2m_mqtt_str_t endpoint;
} lwm2m_mqtt_topic_t;

/* Parses `[PREFIX "/"] "lwm2m/" ("bs" / "rd") "/" ENDPOINT`: the endpoint is the last level
 * (non-empty); the prefix may have several levels but no empty one. No level may hold a wildcard
 * ('+', '#') or NUL. -400 otherwise. */
int lwm2m_mqtt_topic_parse(const char *topic, size_t len, lwm2m_mqtt_topic_t *ret,
                           lwm2m_error_t *err);
/* Writes the topic with a NUL. endpoint NULL writes the subscription filter ".../lwm2m/rd/#"
 * instead. Returns the length, -400 for a bad prefix or endpoint, -413 when size is too small. */
int lwm2m_mqtt_topic_format(const char *prefix, lwm2m_mqtt_interface_t interface,
                            const char *endpoint, char *buf, size_t size);

#endif
