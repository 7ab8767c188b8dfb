/* senml_internal.h - the SenML record layer (RFC 8428) shared by the SenML JSON and CBOR codecs
 * and the composite path lists. Private to lwm2m/data (and the tests).
 *
 * Three layers:
 *  - formats (codec_senml_json.c, codec_senml_cbor.c): bytes <-> records, nothing LwM2M;
 *  - records <-> nodes (senml_common.c): names (bn + n), times (bt + t), value types from the
 *    object model, empty-container markers;
 *  - records <-> paths (paths.c): Read-Composite / Observe-Composite request bodies. */
#ifndef LWM2M_SENML_INTERNAL_H
#define LWM2M_SENML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/codec.h"
#include "lwm2m/error.h"
#include "lwm2m/path.h"
#include "lwm2m/value.h"

/* Records in one pack: a payload with more is refused with -413 before anything is stored. */
#define SENML_MAX_RECORDS LWM2M_NODES_DEFAULT_MAX
/* Longest bn, n, or bn + n we resolve (a path is at most LWM2M_PATH_STR_MAX). */
#define SENML_NAME_MAX 128

/* Fields of a record (bits of senml_record_t.fields). */
enum {
    SENML_F_BN = 1u << 0,
    SENML_F_BT = 1u << 1,
    SENML_F_N = 1u << 2,
    SENML_F_T = 1u << 3,
    SENML_F_V = 1u << 4,
    SENML_F_VS = 1u << 5,
    SENML_F_VB = 1u << 6,
    SENML_F_VD = 1u << 7,
    SENML_F_VLO = 1u << 8,
};
#define SENML_F_VALUES (SENML_F_V | SENML_F_VS | SENML_F_VB | SENML_F_VD | SENML_F_VLO)

/* RFC 8428 section 6 CBOR labels; "vlo" (LwM2M objlnk) has no label and is a text key. */
enum {
    SENML_LABEL_BVER = -1,
    SENML_LABEL_BN = -2,
    SENML_LABEL_BT = -3,
    SENML_LABEL_BU = -4,
    SENML_LABEL_BV = -5,
    SENML_LABEL_BS = -6,
    SENML_LABEL_N = 0,
    SENML_LABEL_U = 1,
    SENML_LABEL_V = 2,
    SENML_LABEL_VS = 3,
    SENML_LABEL_VB = 4,
    SENML_LABEL_S = 5,
    SENML_LABEL_T = 6,
    SENML_LABEL_UT = 7,
    SENML_LABEL_VD = 8,
};

typedef enum senml_number_kind {
    SENML_NUM_INT,   /* i */
    SENML_NUM_UINT,  /* u, only for values above INT64_MAX */
    SENML_NUM_FLOAT, /* d: a JSON number with fraction or exponent, a CBOR float or tag 4 */
    SENML_NUM_TEXT,  /* "v" carrying a text string (Zephyr's objlnk), in senml_record_t.v_text */
    SENML_NUM_NULL,  /* "v": null (SenML-ETCH deletes a resource instance this way) */
} senml_number_kind_t;

typedef struct senml_number {
    senml_number_kind_t kind;
    int64_t i;
    uint64_t u;
    double d;
} senml_number_t;

typedef struct senml_text {
    const char *data; /* not NUL-terminated */
    size_t len;
} senml_text_t;

/* One record. Strings point into the parser's input or scratch memory: valid only during the
 * callback that receives the record. vd holds the decoded bytes (not base64). */
typedef struct senml_record {
    unsigned fields; /* SENML_F_* present */
    senml_text_t bn, n, vs, vlo, v_text;
    senml_text_t vd;
    senml_number_t bt, t, v;
    bool vb;
    size_t offset; /* where the record starts in the input */
} senml_record_t;

/* Called once per record, in order. A negative return stops the parse and is returned. */
typedef int (*senml_record_fn)(void *ctx, const senml_record_t *rec, lwm2m_error_t *err);

/* One wire format: parse and write records. */
typedef struct senml_format {
    /* Empty input (or only whitespace for JSON) is an empty pack: no callback, returns 0.
     * Malformed input: -400 with the byte offset; more than SENML_MAX_RECORDS: -413. */
    int (*parse)(const uint8_t *data, size_t len, senml_record_fn fn, void *ctx,
                 lwm2m_error_t *err);
    int (*begin)(lwm2m_buf_t *out, size_t count); /* count = records that will follow */
    int (*record)(lwm2m_buf_t *out, const senml_record_t *rec, size_t index,
                  lwm2m_error_t *err); /* -406 for a value the format can't carry */
    int (*end)(lwm2m_buf_t *out);
} senml_format_t;

extern const senml_format_t senml_json_format;
extern const senml_format_t senml_cbor_format;

/* How the encoder names records. */
typedef enum senml_naming {
    /* Leshan (SenML JSON vectors): bn is the request path ("/3/0/" + n "0", "/3/0/0" alone);
     * without a request path each resource gets its own bn. A new timestamp repeats bn with
     * its own bt; t is never used. */
    SENML_NAMING_REQUEST,
    /* Zephyr (SenML CBOR vectors): bn is the object instance ("/65535/0/" + n "2" or
     * "10/0"); the first timestamp goes into bt, later ones are relative t. */
    SENML_NAMING_INSTANCE,
} senml_naming_t;

/* Records -> nodes (the codecs' decode). See codec.h for the contract. */
int senml_decode_nodes(const senml_format_t *fmt, const uint8_t *data, size_t len,
                       const lwm2m_path_t *base, const lwm2m_decode_opts_t *opts,
                       lwm2m_nodes_t *out, lwm2m_error_t *err);
/* Nodes -> records (the codecs' encode). Empty-container markers produce no record. */
int senml_encode_nodes(const senml_format_t *fmt, senml_naming_t naming, const lwm2m_path_t *base,
                       const lwm2m_node_t *nodes, size_t count, lwm2m_buf_t *out,
                       lwm2m_error_t *err);
/* Writes records as they are (raw SenML, composite path lists, tests). */
int senml_write_records(const senml_format_t *fmt, const senml_record_t *recs, size_t count,
                        lwm2m_buf_t *out, lwm2m_error_t *err);

/* Name resolution state: bn carries over to later records until the next bn. */
typedef struct senml_names {
    char bn[SENML_NAME_MAX];
    size_t bn_len;
} senml_names_t;

/* Resolves bn + n of a record into a path (any depth, end-device prefix allowed). -400 with
 * the record's offset when the name is not a valid path. */
int senml_resolve_name(senml_names_t *names, const senml_record_t *rec, lwm2m_path_t *ret_path,
                       lwm2m_error_t *err);

/* Helpers shared by the formats. */
bool senml_utf8_valid(const char *s, size_t len);
/* base64url without padding (RFC 4648 section 5); decode also accepts '=' padding.
 * encode writes 4 * ceil(len / 3) bytes at most; decode writes 3 * (len / 4) + 2 at most.
 * Return the length written, or -400 (decode of invalid text). */
size_t senml_base64url_encode(const uint8_t *data, size_t len, char *out);
long senml_base64url_decode(const char *text, size_t len, uint8_t *out);
/* Counts the bits of SENML_F_* set in fields. */
unsigned senml_field_count(unsigned fields);

#endif
