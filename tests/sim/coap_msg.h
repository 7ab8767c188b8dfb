/* coap_msg.h - CoAP over UDP messages for the device simulator: parsing (libcoap's parser) into
 * a flat view, building (our own encoder: libcoap 4.3.1 has no public way to serialise a PDU
 * without a session), and the option helpers the simulator needs. */
#ifndef SIM_COAP_MSG_H
#define SIM_COAP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"

enum {
    SIM_COAP_CON = 0,
    SIM_COAP_NON = 1,
    SIM_COAP_ACK = 2,
    SIM_COAP_RST = 3,
};

/* Codes as class << 5 | detail. */
#define SIM_CODE(c, d) ((uint8_t)(((c) << 5) | (d)))
enum {
    SIM_GET = 1,
    SIM_POST = 2,
    SIM_PUT = 3,
    SIM_DELETE = 4,
    SIM_FETCH = 5,
    SIM_PATCH = 6,
    SIM_IPATCH = 7,
};

enum {
    SIM_OPT_IF_MATCH = 1,
    SIM_OPT_URI_HOST = 3,
    SIM_OPT_ETAG = 4,
    SIM_OPT_IF_NONE_MATCH = 5,
    SIM_OPT_OBSERVE = 6,
    SIM_OPT_URI_PORT = 7,
    SIM_OPT_LOCATION_PATH = 8,
    SIM_OPT_URI_PATH = 11,
    SIM_OPT_CONTENT_FORMAT = 12,
    SIM_OPT_MAX_AGE = 14,
    SIM_OPT_URI_QUERY = 15,
    SIM_OPT_ACCEPT = 17,
    SIM_OPT_LOCATION_QUERY = 20,
    SIM_OPT_BLOCK2 = 23,
    SIM_OPT_BLOCK1 = 27,
    SIM_OPT_SIZE2 = 28,
    SIM_OPT_PROXY_URI = 35,
    SIM_OPT_PROXY_SCHEME = 39,
    SIM_OPT_SIZE1 = 60,
};

#define SIM_MSG_MAX_OPTIONS 48
#define SIM_TOKEN_MAX 8

typedef struct sim_msg_opt {
    uint16_t number;
    uint16_t len;
    const uint8_t *value; /* points into the parsed message */
} sim_msg_opt_t;

/* A parsed message. Option values and the payload point into memory owned by the message:
 * valid until sim_msg_free(). */
typedef struct sim_msg {
    void *pdu; /* libcoap's coap_pdu_t */
    uint8_t type;
    uint8_t code;
    uint16_t mid;
    uint8_t token[SIM_TOKEN_MAX];
    uint8_t token_len;
    sim_msg_opt_t opts[SIM_MSG_MAX_OPTIONS];
    size_t opt_count;
    const uint8_t *payload;
    size_t payload_len;
} sim_msg_t;

/* Call once before parsing: quiets libcoap's logging. */
void sim_msg_library_init(void);
/* Parses one datagram. Returns 0, or -1 when it is not a well-formed CoAP message (or has
 * more than SIM_MSG_MAX_OPTIONS options). On success free with sim_msg_free(). */
int sim_msg_parse(const uint8_t *data, size_t len, sim_msg_t *msg);
void sim_msg_free(sim_msg_t *msg); /* accepts a zeroed or freed message */

/* The first option with that number, or NULL. */
const sim_msg_opt_t *sim_msg_opt(const sim_msg_t *msg, uint16_t number);
/* The value of a uint option; false when absent or longer than 4 bytes. */
bool sim_msg_opt_uint(const sim_msg_t *msg, uint16_t number, uint32_t *ret);
/* Joins the Uri-Path options as "/a/b" ("/" when none). Returns the length or -1 when it
 * does not fit. */
int sim_msg_uri_path(const sim_msg_t *msg, char *buf, size_t size);
/* Joins the Uri-Query options with '&'. Returns the length or -1 when it does not fit. */
int sim_msg_uri_query(const sim_msg_t *msg, char *buf, size_t size);

bool sim_code_is_request(uint8_t code);
/* "2.05" and the like; buf needs 8 bytes. */
const char *sim_code_text(uint8_t code, char buf[8]);
const char *sim_method_name(uint8_t code);

/* Block option value: num << 4 | more << 3 | szx. */
typedef struct sim_block {
    uint32_t num;
    bool more;
    uint8_t szx; /* block size is 1 << (szx + 4) */
} sim_block_t;

bool sim_msg_block(const sim_msg_t *msg, uint16_t number, sim_block_t *ret);
uint32_t sim_block_encode(sim_block_t block);
static inline size_t sim_block_size(uint8_t szx)
{
    return (size_t)1 << (szx + 4);
}

/* Builder: collect options in any order, then encode in one go. Values are copied. */
#define SIM_BUILDER_MAX_OPTIONS 40
#define SIM_BUILDER_ARENA 1536

typedef struct sim_builder {
    uint8_t type;
    uint8_t code;
    uint16_t mid;
    uint8_t token[SIM_TOKEN_MAX];
    uint8_t token_len;
    struct {
        uint16_t number;
        uint16_t len;
        uint16_t offset;
    } opts[SIM_BUILDER_MAX_OPTIONS];
    size_t opt_count;
    uint8_t arena[SIM_BUILDER_ARENA];
    size_t arena_len;
    bool overflow; /* an option did not fit: sim_builder_encode fails */
} sim_builder_t;

void sim_builder_init(sim_builder_t *b, uint8_t type, uint8_t code, uint16_t mid,
                      const uint8_t *token, size_t token_len);
void sim_builder_opt(sim_builder_t *b, uint16_t number, const void *value, size_t len);
void sim_builder_opt_uint(sim_builder_t *b, uint16_t number, uint32_t value);
void sim_builder_opt_str(sim_builder_t *b, uint16_t number, const char *value);
/* Adds one option per '/'-separated segment of path ("/rd/5a3f" gives "rd", "5a3f"). */
void sim_builder_opt_path(sim_builder_t *b, uint16_t number, const char *path);
/* Writes the message into out (reset first). Returns 0, or -1 on overflow. */
int sim_builder_encode(const sim_builder_t *b, const uint8_t *payload, size_t payload_len,
                       lwm2m_buf_t *out);

#endif
