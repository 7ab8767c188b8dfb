/* codec.h - content-format codecs: payload bytes <-> lists of nodes, one codec per format
 * behind a small table. */
#ifndef LWM2M_CODEC_H
#define LWM2M_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/path.h"
#include "lwm2m/value.h"

enum {
    LWM2M_CF_TEXT = 0,
    LWM2M_CF_LINK = 40,
    LWM2M_CF_OPAQUE = 42,
    LWM2M_CF_CBOR = 60,
    LWM2M_CF_SENML_JSON = 110,
    LWM2M_CF_SENML_CBOR = 112,
    LWM2M_CF_SENML_ETCH_JSON = 320,
    LWM2M_CF_SENML_ETCH_CBOR = 322,
    LWM2M_CF_TLV = 11542,
    LWM2M_CF_OMA_JSON = 11543,
    LWM2M_CF_LWM2M_CBOR = 11544,
};

typedef struct lwm2m_decode_opts {
    const lwm2m_model_t *model; /* may be NULL */
    /* Type for values no model knows (single-value formats, TLV leaves). UNKNOWN means the
     * codec's own default (self-describing formats use what the bytes say; TLV and text use
     * opaque and string). */
    lwm2m_type_t type_hint;
} lwm2m_decode_opts_t;

/*
 * decode: `base` is the request path (the path of the Read/Write/Notify, or root for Send and
 * composite operations). Nodes are appended to `out` (bounded by its limits); the output is
 * flattened into leaves: /o/i/r or /o/i/r/ri, or an empty container marker (type MULTIPLE or
 * INSTANCE) at the requested path when the payload is empty. On failure returns a negative
 * code (-400 malformed, -413 a bound was hit, -415 unsupported) with err->offset set to the
 * byte where the problem was found; `out` may hold a partial result the caller must clear.
 *
 * encode: writes `nodes` (leaves and markers as above, sorted or not) for request path `base`
 * into `out`. Returns 0 or a negative code (-406 when the format can't carry these nodes, e.g.
 * two values in text/plain).
 */
typedef struct lwm2m_codec {
    uint16_t content_format;
    const char *name; /* CLI name: "tlv", "senml-json", ... */
    int (*decode)(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                  const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out, lwm2m_error_t *err);
    int (*encode)(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                  lwm2m_buf_t *out, lwm2m_error_t *err);
} lwm2m_codec_t;

/* NULL when unknown. */
const lwm2m_codec_t *lwm2m_codec_find(uint16_t content_format);
/* Accepts a name or a decimal Content-Format number. */
const lwm2m_codec_t *lwm2m_codec_find_by_name(const char *name);

/* One codec per format (lwm2m/data/codec_*.c). */
extern const lwm2m_codec_t lwm2m_codec_text;
extern const lwm2m_codec_t lwm2m_codec_opaque;
extern const lwm2m_codec_t lwm2m_codec_cbor;
extern const lwm2m_codec_t lwm2m_codec_tlv;
extern const lwm2m_codec_t lwm2m_codec_senml_json;
extern const lwm2m_codec_t lwm2m_codec_senml_cbor;
extern const lwm2m_codec_t lwm2m_codec_oma_json;
extern const lwm2m_codec_t lwm2m_codec_lwm2m_cbor;

/* Composite operations carry path lists: SenML-ETCH JSON/CBOR (320/322), and plain SenML
 * JSON/CBOR records with names only (110/112). Decodes at most max_paths paths. */
int lwm2m_paths_decode(uint16_t content_format, const uint8_t *data, size_t len,
                       lwm2m_path_t *paths, size_t max_paths, size_t *ret_count,
                       lwm2m_error_t *err);
int lwm2m_paths_encode(uint16_t content_format, const lwm2m_path_t *paths, size_t count,
                       lwm2m_buf_t *out, lwm2m_error_t *err);

/* Type of the leaf at `path` for decoding: the model's answer, else opts->type_hint. */
lwm2m_type_t lwm2m_decode_type(const lwm2m_decode_opts_t *opts, const lwm2m_path_t *path);

#endif
