/* oma_json.h - OMA LwM2M JSON (CF 11543, LwM2M 1.0 §6.4.4) below the node codec: the raw
 * {"bn": .., "bt": .., "e": [{"n": .., "v"|"sv"|"bv"|"ov": .., "t": ..}]} document, and path
 * lists. lwm2m_codec_oma_json (codec.h) turns documents into node lists and back. */
#ifndef LWM2M_OMA_JSON_H
#define LWM2M_OMA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/error.h"
#include "lwm2m/path.h"
#include "lwm2m/value.h"

#define LWM2M_OMA_JSON_DEFAULT_MAX_RECORDS 8192

typedef enum lwm2m_oma_json_kind {
    LWM2M_OMA_JSON_NO_VALUE = 0, /* a record with no value member (path lists) */
    LWM2M_OMA_JSON_V,            /* "v": a number; value.type INTEGER, UNSIGNED or FLOAT */
    LWM2M_OMA_JSON_SV,           /* "sv": value.type STRING */
    LWM2M_OMA_JSON_BV,           /* "bv": value.type BOOLEAN */
    LWM2M_OMA_JSON_OV,           /* "ov": value.type STRING holding the raw "oid:iid" text */
} lwm2m_oma_json_kind_t;

/* Numbers ("v", "t", "bt") keep the form the JSON text had: INTEGER for an integer literal in
 * int64 range, UNSIGNED for one above INT64_MAX, FLOAT for anything with a fraction or an
 * exponent. Integer literals outside [-2^63, 2^64) are refused, never rounded. */
typedef struct lwm2m_oma_json_record {
    char *name; /* "n", NUL-terminated; NULL when absent */
    lwm2m_oma_json_kind_t kind;
    lwm2m_value_t value; /* for SV and OV the bytes belong to the document */
    bool has_time;
    lwm2m_value_t time; /* "t": INTEGER, UNSIGNED or FLOAT */
} lwm2m_oma_json_record_t;

/* A document. Zero-initialised is empty with the default record bound. Owns every string. */
typedef struct lwm2m_oma_json_doc {
    char *base_name; /* "bn", NULL when absent */
    bool has_base_time;
    lwm2m_value_t base_time;          /* "bt" */
    lwm2m_oma_json_record_t *records; /* "e", in order */
    size_t count, capacity;
    size_t max_records; /* 0 means LWM2M_OMA_JSON_DEFAULT_MAX_RECORDS */
} lwm2m_oma_json_doc_t;

/* Parses a document into an empty doc (strict JSON, valid UTF-8, nesting depth 8; "e"
 * required, "bn" a string, each record an object with at most one value member; unknown
 * members are ignored, and of a member given twice json-c keeps the last). Names and objlnk
 * text are not interpreted. On failure returns -400 (or -413 past max_records) with err->offset
 * at the offending byte or record; doc may then hold a partial result that
 * lwm2m_oma_json_doc_clear frees. */
int lwm2m_oma_json_parse(const uint8_t *data, size_t len, lwm2m_oma_json_doc_t *doc,
                         lwm2m_error_t *err);

/* Writes the document with keys in a fixed order: {"bn","e","bt"} and {"n",value,"t"}, no
 * whitespace; numbers as integers or as the shortest text that reads back exactly ("3.0").
 * -406 for a value JSON can't carry (NaN, Infinity). */
int lwm2m_oma_json_format(const lwm2m_oma_json_doc_t *doc, lwm2m_buf_t *out, lwm2m_error_t *err);

/* Appends a record with copies of name and of the value's bytes. -413 past max_records, -500
 * when out of memory. */
int lwm2m_oma_json_doc_add(lwm2m_oma_json_doc_t *doc, const char *name, lwm2m_oma_json_kind_t kind,
                           const lwm2m_value_t *value, const lwm2m_value_t *time);
/* Frees everything; keeps max_records. Accepts NULL. */
void lwm2m_oma_json_doc_clear(lwm2m_oma_json_doc_t *doc);

/* Path lists (no value in any record): {"e":[{"n":"/3/0/1"},{"n":"/1/0"}]} on encode; decode
 * takes bn + n like the node codec. At most max_paths (-413 beyond). */
int lwm2m_oma_json_paths_decode(const uint8_t *data, size_t len, lwm2m_path_t *paths,
                                size_t max_paths, size_t *ret_count, lwm2m_error_t *err);
int lwm2m_oma_json_paths_encode(const lwm2m_path_t *paths, size_t count, lwm2m_buf_t *out,
                                lwm2m_error_t *err);

#endif
