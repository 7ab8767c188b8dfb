/* tlv.h - the raw OMA TLV layer (LwM2M Core §7.4.3): records of {type, id, value or children}
 * parsed from and written to bytes, and the value encodings of each data type. The node codec
 * (lwm2m_codec_tlv, Content-Format 11542) is built on it; use this header only when you need
 * the record structure itself. */
#ifndef LWM2M_TLV_H
#define LWM2M_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/error.h"
#include "lwm2m/value.h"

/* The two type bits of a TLV header, in wire order. */
typedef enum lwm2m_tlv_type {
    LWM2M_TLV_OBJECT_INSTANCE = 0,   /* children: RESOURCE_VALUE and MULTIPLE_RESOURCE */
    LWM2M_TLV_RESOURCE_INSTANCE = 1, /* value */
    LWM2M_TLV_MULTIPLE_RESOURCE = 2, /* children: RESOURCE_INSTANCE */
    LWM2M_TLV_RESOURCE_VALUE = 3,    /* value */
} lwm2m_tlv_type_t;

/* Longest value or container body a TLV header can describe (24-bit length). */
#define LWM2M_TLV_MAX_LENGTH 0xFFFFFFu
/* Record bound used when lwm2m_tlv_parse is given max_records == 0. */
#define LWM2M_TLV_DEFAULT_MAX_RECORDS 65536u

typedef struct lwm2m_tlv {
    lwm2m_tlv_type_t type;
    uint16_t id;
    /* RESOURCE_VALUE / RESOURCE_INSTANCE: the value bytes. After lwm2m_tlv_parse they point into
     * the parsed buffer; for lwm2m_tlv_write they are the caller's. NULL allowed when len is 0. */
    const uint8_t *value;
    size_t value_len;
    /* OBJECT_INSTANCE / MULTIPLE_RESOURCE: child_count records. */
    struct lwm2m_tlv *children;
    size_t child_count;
    size_t offset; /* set by lwm2m_tlv_parse: byte offset of the header in the input */
} lwm2m_tlv_t;

/*
 * Parses a sequence of TLV records. Strict: every header and value must lie inside the buffer,
 * every container's body must be exactly a sequence of records, an OBJECT_INSTANCE may hold only
 * RESOURCE_VALUE and MULTIPLE_RESOURCE records and a MULTIPLE_RESOURCE only RESOURCE_INSTANCE
 * records. Sibling ids are not checked here (the node codec does that).
 *
 * At most max_records records in total (0 means LWM2M_TLV_DEFAULT_MAX_RECORDS), else -413.
 * On success *ret_tlvs is one allocation holding all records (NULL when the input is empty) and
 * *ret_count the number of top-level records; values point into `data`, which must outlive the
 * result. Free with lwm2m_tlv_free(). On failure returns -400 or -413 (-500 on allocation
 * failure), fills err with the offset, and leaves the outputs untouched.
 */
int lwm2m_tlv_parse(const uint8_t *data, size_t len, size_t max_records, lwm2m_tlv_t **ret_tlvs,
                    size_t *ret_count, lwm2m_error_t *err);
/* Frees what lwm2m_tlv_parse returned. Accepts NULL. */
void lwm2m_tlv_free(lwm2m_tlv_t *tlvs);

/* Appends count records (and their children) with the shortest id and length fields. Returns 0,
 * -406 when a record's body exceeds LWM2M_TLV_MAX_LENGTH, or the buffer's -413 / -500. */
int lwm2m_tlv_write(const lwm2m_tlv_t *tlvs, size_t count, lwm2m_buf_t *out, lwm2m_error_t *err);
/* Appends one header for a body of body_len bytes. Same returns as lwm2m_tlv_write. */
int lwm2m_tlv_write_header(lwm2m_tlv_type_t type, uint16_t id, size_t body_len, lwm2m_buf_t *out,
                           lwm2m_error_t *err);
/* Size of the header lwm2m_tlv_write_header would write. */
size_t lwm2m_tlv_header_size(uint16_t id, size_t body_len);

/*
 * Value encodings (the bytes of a RESOURCE_VALUE / RESOURCE_INSTANCE, without header):
 * integer and time: big-endian two's complement in 1, 2, 4 or 8 bytes; unsigned: big-endian in
 * 1, 2, 4 or 8 bytes; float: IEEE 754 binary32 or binary64; boolean: one byte 0/1 (decoding also
 * accepts two bytes and any nonzero value as true, as Zephyr does); objlnk: two big-endian
 * uint16; string, corelnk and opaque: the bytes themselves.
 *
 * lwm2m_tlv_value_decode: decodes len bytes as `type`. For STRING/CORELNK/OPAQUE the value's
 * bytes point into `data` (no copy). Returns 0 or -400 (wrong length), and -406 for a type
 * that has no value encoding (NONE, MULTIPLE, INSTANCE, UNKNOWN).
 *
 * lwm2m_tlv_value_encode: sets *ret_data / *ret_len to the encoding of `value`: scalars are
 * written into `scratch` (the shortest integer form; floats always as 8 bytes, as Zephyr writes
 * them), byte types point at the value's own bytes. Returns 0, or -406 for a type with no
 * value encoding.
 */
int lwm2m_tlv_value_decode(lwm2m_type_t type, const uint8_t *data, size_t len,
                           lwm2m_value_t *ret_value);
int lwm2m_tlv_value_encode(const lwm2m_value_t *value, uint8_t scratch[8], const uint8_t **ret_data,
                           size_t *ret_len);

#endif
