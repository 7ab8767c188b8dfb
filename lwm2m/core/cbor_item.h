/* cbor_item.h - CBOR items one head at a time through libcbor 0.8's streaming decoder, for the
 * decoders that walk CBOR themselves (CBOR, SenML CBOR, LwM2M CBOR, the MQTT binding's messages):
 * no allocation follows a length the peer declares. Internal to lwm2m/. */
#ifndef LWM2M_CBOR_ITEM_H
#define LWM2M_CBOR_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/error.h"

typedef enum tok_kind {
    TOK_NONE = 0,
    TOK_UINT,
    TOK_NEGINT, /* value -1 - u */
    TOK_BYTES,
    TOK_BYTES_INDEF,
    TOK_TEXT,
    TOK_TEXT_INDEF,
    TOK_ARRAY,
    TOK_ARRAY_INDEF,
    TOK_MAP,
    TOK_MAP_INDEF,
    TOK_TAG,
    TOK_FLOAT,
    TOK_BOOL,
    TOK_NULL,
    TOK_UNDEF,
    TOK_BREAK,
} tok_kind_t;

/* An item head; read_scalar() completes it into a scalar value (joined strings, resolved tags). */
typedef struct tok {
    tok_kind_t kind;
    uint64_t u; /* UINT, NEGINT, TAG number, ARRAY/MAP count, BOOL */
    double f;
    const uint8_t *data; /* BYTES, TEXT: into the input, or into owned */
    size_t len;
    size_t offset;
    int64_t time;   /* after read_scalar, kind TAG: a time (tags 0 and 1) */
    uint8_t *owned; /* after read_scalar: joined chunks of an indefinite string */
} tok_t;

/* Reads the item head at data[*pos]: a scalar, a string (definite: data/len point into the
 * input; indefinite: just the head), or a container head with its count. Advances *pos on
 * success. Returns 0, or -400 with err (may be NULL) saying "truncated" or "malformed". */
int cbor_item_head(const uint8_t *data, size_t len, size_t *pos, tok_t *ret, lwm2m_error_t *err);

/* Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
bool cbor_utf8_valid(const uint8_t *s, size_t n);

#endif
