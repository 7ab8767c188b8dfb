/* codec_cbor.c - application/cbor (Content-Format 60): one resource or resource-instance value
 * as a single CBOR data item (LwM2M Core 1.2 §7.3.x), read with libcbor's streaming decoder so
 * that nothing a peer sends makes us build a tree.
 *
 * Decoding takes the type from the model or opts->type_hint; without one it follows the item
 * (unsigned beyond INT64_MAX stays an exact unsigned, tag 0/1 is a time, null is a none).
 * Accepted beyond the obvious: integers of every width, half/single/double floats, integers for
 * a float resource, indefinite-length strings, time as tag 0 (RFC 3339 text, Zephyr), tag 1
 * (epoch number, Leshan) or untagged, objlnk text with a trailing NUL (Zephyr's encoder),
 * text for an opaque resource, and the self-describe tag 55799. Other tags, arrays, maps,
 * trailing bytes and an empty payload are errors.
 *
 * Encoding: the shortest integer head; floats always as 8-byte doubles (Zephyr and both AVSystem
 * stacks do, the vectors expect it); time as tag 1 + integer, because Zephyr's decoder refuses
 * tag-0 strings (-ENOTSUP) and Leshan and Anjay take tag 1; objlnk as "oid:iid" without NUL
 * (Zephyr's and Leshan's decoders expect none); none as null.
 */
#include <cbor.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cbor_item.h"
#include "lwm2m/codec.h"

#define CBOR_TAG_DATETIME 0
#define CBOR_TAG_EPOCH 1
#define CBOR_TAG_SELF_DESCRIBE 55799

/* ---- one data item ------------------------------------------------------------------------- */

typedef struct cb_item {
    tok_kind_t kind;
    uint64_t u; /* UINT, NEGINT, TAG, BOOL */
    double f;
    const uint8_t *data; /* BYTES, TEXT (for indefinite strings: the joined chunks) */
    size_t len;
    int tag; /* the value's tag: -1, CBOR_TAG_DATETIME or CBOR_TAG_EPOCH */
} cb_item_t;

/* Reads one item head (with a definite string's bytes) at *pos. */
static int cb_next(const uint8_t *data, size_t len, size_t *pos, cb_item_t *item,
                   lwm2m_error_t *err)
{
    tok_t t = {0}; /* cbor_item_head clears it too, but in another unit */
    int rc = cbor_item_head(data, len, pos, &t, err);
    *item = (cb_item_t){t.kind, t.u, t.f, t.data, t.len, -1};
    return rc;
}

/* Joins the chunks of an indefinite string into a malloc'd *ret_joined. */
static int cb_join_chunks(const uint8_t *data, size_t len, size_t *pos, cb_item_t *item,
                          uint8_t **ret_joined, lwm2m_error_t *err)
{
    tok_kind_t chunk_kind = item->kind == TOK_TEXT_INDEF ? TOK_TEXT : TOK_BYTES;
    uint8_t *joined = malloc(len - *pos + 1); /* the chunks can't be longer than the input */
    size_t n = 0;
    if (!joined)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, *pos, "out of memory");
    for (;;) {
        size_t at = *pos;
        cb_item_t chunk;
        int rc = cb_next(data, len, pos, &chunk, err);
        if (rc == 0 && chunk.kind == TOK_BREAK)
            break;
        if (rc == 0 && chunk.kind != chunk_kind)
            rc = lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, at,
                                 "indefinite string holds a chunk of another type");
        if (rc < 0) {
            free(joined);
            return rc;
        }
        if (chunk.len)
            memcpy(joined + n, chunk.data, chunk.len);
        n += chunk.len;
    }
    item->kind = chunk_kind;
    item->data = joined;
    item->len = n;
    *ret_joined = joined;
    return 0;
}

/* Reads the single value of the payload: tags, the item, and nothing after it. */
static int cb_read_value(const uint8_t *data, size_t len, cb_item_t *item, uint8_t **ret_joined,
                         lwm2m_error_t *err)
{
    size_t pos = 0, at = 0;
    int tag = -1;
    int rc;
    if (len == 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "empty CBOR payload");
    for (;;) {
        at = pos;
        rc = cb_next(data, len, &pos, item, err);
        if (rc < 0)
            return rc;
        if (item->kind != TOK_TAG)
            break;
        if (item->u == CBOR_TAG_SELF_DESCRIBE)
            continue;
        if ((item->u != CBOR_TAG_DATETIME && item->u != CBOR_TAG_EPOCH) || tag >= 0)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, at, "unsupported CBOR tag %llu",
                                   (unsigned long long)item->u);
        tag = (int)item->u;
    }
    if ((item->kind >= TOK_ARRAY && item->kind <= TOK_MAP_INDEF) || item->kind == TOK_BREAK)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, at,
                               "expected a single value, not an array, map or break");
    if (item->kind == TOK_TEXT_INDEF || item->kind == TOK_BYTES_INDEF) {
        rc = cb_join_chunks(data, len, &pos, item, ret_joined, err);
        if (rc < 0)
            return rc;
    }
    item->tag = tag;
    if (pos != len)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, pos, "%zu bytes after the value",
                               len - pos);
    return 0;
}

/* ---- time ---------------------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool read_digits(const char *s, size_t len, size_t *pos, size_t n, unsigned *ret)
{
    unsigned v = 0;
    if (len - *pos < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[*pos + i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *pos += n;
    *ret = v;
    return true;
}

static bool expect_char(const char *s, size_t len, size_t *pos, const char *allowed)
{
    if (*pos >= len || !s[*pos] || !strchr(allowed, s[*pos]))
        return false;
    (*pos)++;
    return true;
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM); the fraction is
 * dropped (times are whole seconds). */
static int parse_rfc3339(const char *s, size_t len, int64_t *ret)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
    size_t p = 0;
    if (!read_digits(s, len, &p, 4, &y) || !expect_char(s, len, &p, "-") ||
        !read_digits(s, len, &p, 2, &mo) || !expect_char(s, len, &p, "-") ||
        !read_digits(s, len, &p, 2, &d) || !expect_char(s, len, &p, "Tt ") ||
        !read_digits(s, len, &p, 2, &h) || !expect_char(s, len, &p, ":") ||
        !read_digits(s, len, &p, 2, &mi) || !expect_char(s, len, &p, ":") ||
        !read_digits(s, len, &p, 2, &sec))
        return LWM2M_ERR_BAD_REQUEST;
    if (p < len && s[p] == '.') {
        unsigned digit;
        p++;
        if (!read_digits(s, len, &p, 1, &digit))
            return LWM2M_ERR_BAD_REQUEST;
        while (read_digits(s, len, &p, 1, &digit))
            ;
    }
    int sign = 0;
    if (p < len && (s[p] == '+' || s[p] == '-')) {
        sign = s[p++] == '-' ? -1 : 1;
        if (!read_digits(s, len, &p, 2, &oh) || !expect_char(s, len, &p, ":") ||
            !read_digits(s, len, &p, 2, &om))
            return LWM2M_ERR_BAD_REQUEST;
    } else if (!expect_char(s, len, &p, "Zz")) {
        return LWM2M_ERR_BAD_REQUEST;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (p != len || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
        return LWM2M_ERR_BAD_REQUEST;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    *ret = t - sign * (int64_t)(oh * 3600 + om * 60);
    return 0;
}

/* ---- item -> value ------------------------------------------------------------------------- */

static int cb_to_int64(const cb_item_t *item, int64_t *ret)
{
    if ((item->kind != TOK_UINT && item->kind != TOK_NEGINT) || item->u > INT64_MAX)
        return LWM2M_ERR_BAD_REQUEST;
    *ret = item->kind == TOK_UINT ? (int64_t)item->u : -(int64_t)item->u - 1;
    return 0;
}

static int cb_to_time(const cb_item_t *item, int64_t *ret)
{
    if (item->kind == TOK_TEXT && item->tag != CBOR_TAG_EPOCH) {
        if (parse_rfc3339((const char *)item->data, item->len, ret) == 0)
            return 0;
        return item->tag < 0 ? lwm2m_parse_int64((const char *)item->data, item->len, ret)
                             : LWM2M_ERR_BAD_REQUEST;
    }
    if (item->tag == CBOR_TAG_DATETIME)
        return LWM2M_ERR_BAD_REQUEST;
    if (item->kind == TOK_FLOAT) {
        double f = floor(item->f);
        if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
            return LWM2M_ERR_BAD_REQUEST;
        *ret = (int64_t)f;
        return 0;
    }
    return cb_to_int64(item, ret);
}

/* Without a model: what the item says. */
static lwm2m_type_t cb_natural_type(const cb_item_t *item)
{
    if (item->tag >= 0)
        return LWM2M_TYPE_TIME;
    switch (item->kind) {
    case TOK_UINT:
        return item->u > INT64_MAX ? LWM2M_TYPE_UNSIGNED : LWM2M_TYPE_INTEGER;
    case TOK_FLOAT:
        return LWM2M_TYPE_FLOAT;
    case TOK_BOOL:
        return LWM2M_TYPE_BOOLEAN;
    case TOK_TEXT:
        return LWM2M_TYPE_STRING;
    case TOK_BYTES:
        return LWM2M_TYPE_OPAQUE;
    case TOK_NULL:
    case TOK_UNDEF:
        return LWM2M_TYPE_NONE;
    default:
        return LWM2M_TYPE_INTEGER;
    }
}

static int cb_to_value(const cb_item_t *item, lwm2m_type_t type, lwm2m_value_t *v)
{
    bool is_int = item->kind == TOK_UINT || item->kind == TOK_NEGINT;
    if (item->tag >= 0 && type != LWM2M_TYPE_TIME)
        return LWM2M_ERR_BAD_REQUEST;
    v->type = type;
    switch (type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
    case LWM2M_TYPE_OPAQUE:
        if (item->kind != TOK_TEXT && (item->kind != TOK_BYTES || type != LWM2M_TYPE_OPAQUE))
            return LWM2M_ERR_BAD_REQUEST;
        *v = lwm2m_value_bytes(type, item->data, item->len);
        return 0;
    case LWM2M_TYPE_INTEGER:
        return cb_to_int64(item, &v->u.integer);
    case LWM2M_TYPE_TIME:
        return cb_to_time(item, &v->u.integer);
    case LWM2M_TYPE_UNSIGNED:
        v->u.unsigned_integer = item->u;
        return item->kind == TOK_UINT ? 0 : LWM2M_ERR_BAD_REQUEST;
    case LWM2M_TYPE_FLOAT:
        if (item->kind == TOK_UINT)
            v->u.floating = (double)item->u;
        else if (item->kind == TOK_NEGINT)
            v->u.floating = -1.0 - (double)item->u;
        else
            v->u.floating = item->f;
        return item->kind == TOK_FLOAT || is_int ? 0 : LWM2M_ERR_BAD_REQUEST;
    case LWM2M_TYPE_BOOLEAN:
        v->u.boolean = item->u != 0;
        return item->kind == TOK_BOOL ? 0 : LWM2M_ERR_BAD_REQUEST;
    case LWM2M_TYPE_OBJLNK: {
        size_t len = item->len;
        if (item->kind != TOK_TEXT)
            return LWM2M_ERR_BAD_REQUEST;
        if (len > 0 && item->data[len - 1] == '\0')
            len--; /* Zephyr's encoder counts the terminator */
        return lwm2m_objlnk_parse((const char *)item->data, len, &v->u.objlnk);
    }
    case LWM2M_TYPE_NONE:
        return item->kind == TOK_NULL || item->kind == TOK_UNDEF ? 0 : LWM2M_ERR_BAD_REQUEST;
    default:
        return LWM2M_ERR_BAD_REQUEST;
    }
}

static const char *cb_kind_name(const cb_item_t *item)
{
    static const char *const names[] = {[TOK_NONE] = "nothing",
                                        [TOK_UINT] = "unsigned integer",
                                        [TOK_NEGINT] = "negative integer",
                                        [TOK_BYTES] = "byte string",
                                        [TOK_BYTES_INDEF] = "byte string",
                                        [TOK_TEXT] = "text string",
                                        [TOK_TEXT_INDEF] = "text string",
                                        [TOK_ARRAY] = "array",
                                        [TOK_ARRAY_INDEF] = "array",
                                        [TOK_MAP] = "map",
                                        [TOK_MAP_INDEF] = "map",
                                        [TOK_TAG] = "tag",
                                        [TOK_FLOAT] = "float",
                                        [TOK_BOOL] = "boolean",
                                        [TOK_NULL] = "null",
                                        [TOK_UNDEF] = "undefined",
                                        [TOK_BREAK] = "break"};
    return names[item->kind];
}

static int cbor_decode(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                       const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    if (base->depth == 1 || base->depth == 2)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "CBOR carries one resource value, not an object or instance");
    cb_item_t item = {.tag = -1};
    uint8_t *joined = NULL;
    int rc = cb_read_value(data, len, &item, &joined, err);
    if (rc < 0) {
        free(joined);
        return rc;
    }
    lwm2m_type_t type = lwm2m_decode_type(opts, base);
    if (type == LWM2M_TYPE_UNKNOWN || (type == LWM2M_TYPE_NONE && item.kind != TOK_NULL))
        type = cb_natural_type(&item);
    lwm2m_value_t value;
    memset(&value, 0, sizeof(value));
    if (cb_to_value(&item, type, &value) < 0) {
        rc = lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "a CBOR %s%s is not a valid %s",
                             item.tag >= 0 ? "tagged " : "", cb_kind_name(&item),
                             lwm2m_type_name(type));
    } else if ((rc = lwm2m_nodes_add(out, base, &value, NULL)) < 0) {
        lwm2m_error_set(err, rc, 0, "node list limit reached");
    }
    free(joined);
    return rc;
}

/* ---- encoding ------------------------------------------------------------------------------ */

static int cb_append_head(lwm2m_buf_t *out, size_t (*encode)(uint64_t, unsigned char *, size_t),
                          uint64_t v)
{
    unsigned char head[9];
    return lwm2m_buf_append(out, head, encode(v, head, sizeof(head)));
}

static int cb_append_string(lwm2m_buf_t *out, bool text, const void *data, size_t len)
{
    unsigned char head[9];
    size_t n = text ? cbor_encode_string_start(len, head, sizeof(head))
                    : cbor_encode_bytestring_start(len, head, sizeof(head));
    int rc = lwm2m_buf_append(out, head, n);
    return rc < 0 ? rc : lwm2m_buf_append(out, data, len);
}

static int cb_append_int(lwm2m_buf_t *out, int64_t v)
{
    if (v >= 0)
        return cb_append_head(out, cbor_encode_uint, (uint64_t)v);
    return cb_append_head(out, cbor_encode_negint, (uint64_t)(-(v + 1)));
}

static int cb_append_double(lwm2m_buf_t *out, double v)
{
    uint8_t b[9] = {0xfb};
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    for (int i = 8; i > 0; i--, bits >>= 8)
        b[i] = (uint8_t)bits;
    return lwm2m_buf_append(out, b, sizeof(b));
}

static int cb_append_value(lwm2m_buf_t *out, const lwm2m_value_t *v)
{
    char link[16];
    int rc;
    switch (v->type) {
    case LWM2M_TYPE_INTEGER:
        return cb_append_int(out, v->u.integer);
    case LWM2M_TYPE_UNSIGNED:
        return cb_append_head(out, cbor_encode_uint, v->u.unsigned_integer);
    case LWM2M_TYPE_TIME:
        rc = cb_append_head(out, cbor_encode_tag, CBOR_TAG_EPOCH);
        return rc < 0 ? rc : cb_append_int(out, v->u.integer);
    case LWM2M_TYPE_FLOAT:
        return cb_append_double(out, v->u.floating);
    case LWM2M_TYPE_BOOLEAN:
        return lwm2m_buf_append_byte(out, v->u.boolean ? 0xf5 : 0xf4);
    case LWM2M_TYPE_NONE:
        return lwm2m_buf_append_byte(out, 0xf6);
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
    case LWM2M_TYPE_OPAQUE:
        return cb_append_string(out, v->type != LWM2M_TYPE_OPAQUE, v->u.bytes.data, v->u.bytes.len);
    case LWM2M_TYPE_OBJLNK:
        rc = lwm2m_objlnk_format(v->u.objlnk, link, sizeof(link));
        return cb_append_string(out, true, link, (size_t)rc);
    default:
        return LWM2M_ERR_NOT_ACCEPTABLE;
    }
}

static int cbor_encode(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                       lwm2m_buf_t *out, lwm2m_error_t *err)
{
    if (count != 1)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "CBOR carries exactly one value, not %zu", count);
    const lwm2m_node_t *n = &nodes[0];
    if (base->depth != 0 && !lwm2m_path_equal(&n->path, base))
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "CBOR carries only the value at the request path");
    int rc = cb_append_value(out, &n->value);
    if (rc == LWM2M_ERR_NOT_ACCEPTABLE)
        return lwm2m_error_set(err, rc, 0, "CBOR can't carry a %s", lwm2m_type_name(n->value.type));
    if (rc < 0)
        return lwm2m_error_set(err, rc, out->len, "output buffer limit reached");
    return 0;
}

const lwm2m_codec_t lwm2m_codec_cbor = {LWM2M_CF_CBOR, "cbor", cbor_decode, cbor_encode};
