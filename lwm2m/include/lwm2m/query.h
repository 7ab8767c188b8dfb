/* query.h - URI queries and the small text grammars around LwM2M requests: key=value query
 * lists, "METHOD /path?query" request lines, Execute arguments, registration parameters
 * (ep, lt, lwm2m, b, Q, sms, pid). Pure parsing, no I/O. */
#ifndef LWM2M_QUERY_H
#define LWM2M_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/error.h"

/* 4.12 Precondition Failed: what Register answers to an unsupported lwm2m= version. */
#ifndef LWM2M_ERR_PRECONDITION_FAILED
#define LWM2M_ERR_PRECONDITION_FAILED (-412)
#endif

/* ---- query lists ---- */

#define LWM2M_QUERY_PARAMS_MAX 32
#define LWM2M_QUERY_STR_MAX 255 /* bytes of one decoded key or value */

typedef struct lwm2m_query_param {
    char *key;   /* owned, never empty */
    char *value; /* owned; NULL for a valueless parameter ("Q"), "" for "key=" */
} lwm2m_query_param_t;

/* Parameters in their order; keys may repeat (callers that care check with _find). */
typedef struct lwm2m_query {
    lwm2m_query_param_t items[LWM2M_QUERY_PARAMS_MAX];
    size_t count;
} lwm2m_query_t;

/* Splits "ep=node&lt=600&Q" (no leading '?') into `out`, which must be zero-initialised or
 * cleared. Percent-decodes keys and values ("%2F" -> "/"; '+' stays '+'); rejects empty
 * segments ("a&&b", a trailing '&'), an empty key, bad or NUL-producing escapes, and raw
 * bytes RFC 3986 keeps out of a query (controls, space, non-ASCII, '#', '"', '<', '>', '\',
 * '^', '`', '{', '|', '}', '[', ']': they must be percent-encoded). An empty
 * text gives no parameters. Returns 0, -400 (err->offset at the byte) or -413 (too many
 * parameters, a key or value too long). On failure `out` is cleared. */
int lwm2m_query_parse(const char *text, size_t len, lwm2m_query_t *out, lwm2m_error_t *err);
/* Appends one CoAP Uri-Query option as received ("pmin=10"): split at the first '=', no
 * percent-decoding (CoAP options carry decoded text). Rejects an empty option, an empty key
 * and NUL bytes. Returns 0, -400 or -413; on failure `q` is unchanged. */
int lwm2m_query_add_segment(lwm2m_query_t *q, const char *seg, size_t len, lwm2m_error_t *err);
void lwm2m_query_clear(lwm2m_query_t *q); /* frees the strings; accepts NULL */
/* The first parameter with that key (case-sensitive), or NULL. */
const lwm2m_query_param_t *lwm2m_query_find(const lwm2m_query_t *q, const char *key);

/* ---- request lines ---- */

#define LWM2M_REQUEST_SEGMENTS_MAX 16

/* "POST /rd?ep=node&Q" split into method, decoded path segments and query. */
typedef struct lwm2m_request_line {
    char method[8]; /* "GET", "POST", "PUT", "DELETE", "FETCH", "PATCH" or "iPATCH" */
    char *segments[LWM2M_REQUEST_SEGMENTS_MAX]; /* owned; "/" alone gives none */
    size_t segment_count;
    lwm2m_query_t query;
} lwm2m_request_line_t;

/* Parses METHOD SP path-absolute [ "?" query ]. Segments are percent-decoded and must not be
 * empty ("/rd//x", "/rd/" are refused; "/" is the root). `out` must be zero-initialised or
 * cleared; on failure it is cleared. Returns 0, -400 or -413. */
int lwm2m_request_line_parse(const char *text, size_t len, lwm2m_request_line_t *out,
                             lwm2m_error_t *err);
void lwm2m_request_line_clear(lwm2m_request_line_t *line); /* accepts NULL */

/* ---- Execute arguments (Core 1.2 section 6.3.5) ---- */

#define LWM2M_EXEC_ARGS_MAX 10 /* one per digit */

typedef struct lwm2m_exec_arg {
    uint8_t digit; /* 0..9 */
    bool has_value;
    const char *value; /* points into the parsed text (without the quotes); not NUL-terminated */
    size_t value_len;
} lwm2m_exec_arg_t;

typedef struct lwm2m_exec_args {
    lwm2m_exec_arg_t items[LWM2M_EXEC_ARGS_MAX];
    size_t count;
} lwm2m_exec_args_t;

/* Parses arglist = argument *("," argument); argument = DIGIT ["='" *CHAR "'"]. An empty text
 * is no argument. Each digit may appear once (1.2.1). CHAR is the ABNF's printable ASCII
 * without '"', '\'' and '\'; a space is accepted as well, because the spec lists
 * "0=' <https://...>'" among its valid examples and a quoted value can't be misread. Values
 * point into `text`, which must outlive `ret`. Returns 0 or -400; *ret untouched on failure. */
int lwm2m_exec_args_parse(const char *text, size_t len, lwm2m_exec_args_t *ret, lwm2m_error_t *err);
/* Writes the arguments back ("2='10.3',7"). -400 for a bad digit, a repeated digit or a value
 * byte the grammar can't carry. */
int lwm2m_exec_args_write(const lwm2m_exec_args_t *args, lwm2m_buf_t *out, lwm2m_error_t *err);

/* ---- registration parameters ---- */

typedef enum lwm2m_version {
    LWM2M_VERSION_1_0 = 10,
    LWM2M_VERSION_1_1 = 11,
    LWM2M_VERSION_1_2 = 12,
} lwm2m_version_t;

/* "1.0", "1.1" or "1.2" (the lwm2m= value names the minor version only). -400 for anything
 * that isn't digits "." digits, -412 for a well-formed but unsupported version ("1.3", "2.0"). */
int lwm2m_version_parse(const char *text, size_t len, lwm2m_version_t *ret);
const char *lwm2m_version_name(lwm2m_version_t version); /* "1.1"; "?" when unknown */

/* Binding letters (b=). */
enum {
    LWM2M_BINDING_U = 1u << 0, /* UDP */
    LWM2M_BINDING_M = 1u << 1, /* MQTT (1.2) */
    LWM2M_BINDING_H = 1u << 2, /* HTTP (1.2) */
    LWM2M_BINDING_T = 1u << 3, /* TCP (1.1) */
    LWM2M_BINDING_S = 1u << 4, /* SMS */
    LWM2M_BINDING_N = 1u << 5, /* Non-IP (1.1) */
    LWM2M_BINDING_Q = 1u << 6, /* queue mode: a letter in 1.0, the "Q" parameter from 1.1 */
};
/* Parses b= for the client's version: letters once each, in any order; T and N need 1.1, M and
 * H need 1.2; Q is accepted in every version (1.1+ clients should send the Q parameter, but a
 * server loses nothing by understanding the 1.0 form). Returns 0 or -400. */
int lwm2m_binding_parse(const char *text, size_t len, lwm2m_version_t version, unsigned *ret);

#define LWM2M_ENDPOINT_MAX 255
/* ep: 1..LWM2M_ENDPOINT_MAX bytes of printable ASCII without space. Returns 0 or -400. */
int lwm2m_endpoint_validate(const char *ep, size_t len);
/* lt: decimal seconds, 1..UINT32_MAX. Returns 0 or -400. */
int lwm2m_lifetime_parse(const char *text, size_t len, uint32_t *ret);
/* sms: an MSISDN, 1..15 digits, optionally with a leading '+'. Returns 0 or -400. */
int lwm2m_msisdn_validate(const char *text, size_t len);

/* pid (Core 1.2 registration): a ','-separated list of Profile IDs. A dynamic one is
 * "<suite>:<hex>", suite an RFC 6920 section 9.4 hash suite (1 sha-256 .. 6 sha-256-32) and
 * the hex exactly that suite's length (64, 32, 30, 24, 16 or 8 digits), kept in lowercase.
 * Anything else must be a static ID token ([A-Za-z0-9._-], up to 64 bytes). (The separator
 * and the static form are our reading: the spec gives only the dynamic example.) */
#define LWM2M_PROFILE_IDS_MAX 8
#define LWM2M_PROFILE_ID_TEXT_MAX 65

typedef struct lwm2m_profile_id {
    bool dynamic;
    uint8_t suite;                        /* dynamic only */
    char text[LWM2M_PROFILE_ID_TEXT_MAX]; /* dynamic: the hash in lowercase hex; static: the ID */
} lwm2m_profile_id_t;

typedef struct lwm2m_profile_ids {
    lwm2m_profile_id_t items[LWM2M_PROFILE_IDS_MAX];
    size_t count;
} lwm2m_profile_ids_t;

/* Returns 0, -400 or -413 (more than LWM2M_PROFILE_IDS_MAX); *ret untouched on failure. */
int lwm2m_profile_ids_parse(const char *text, size_t len, lwm2m_profile_ids_t *ret,
                            lwm2m_error_t *err);

/* The Register / Update query, validated. Pointers refer to the strings in the query. */
typedef struct lwm2m_register_params {
    const char *endpoint; /* ep; NULL when absent (mandatory for Register only) */
    bool has_lifetime;
    uint32_t lifetime;       /* lt */
    bool has_version;        /* lwm2m; absent means 1.0 */
    lwm2m_version_t version; /* LWM2M_VERSION_1_0 when absent */
    bool has_binding;
    unsigned binding; /* LWM2M_BINDING_* from b=, plus LWM2M_BINDING_Q for the Q flag */
    const char *sms;  /* NULL when absent */
    bool has_profile_ids;
    lwm2m_profile_ids_t profile_ids;
} lwm2m_register_params_t;

/* Reads ep, lt, lwm2m, b, Q, sms and pid from a Register (register = true: ep mandatory) or
 * Update query. Unknown parameters are ignored (extensions); a known one twice, an empty or
 * invalid value, or a value on Q is -400; an unsupported lwm2m version is -412. *ret is
 * untouched on failure. */
int lwm2m_register_params_parse(const lwm2m_query_t *q, bool register_request,
                                lwm2m_register_params_t *ret, lwm2m_error_t *err);

#endif
