/* codec_senml_cbor.c - SenML CBOR (RFC 8428 section 6, Content-Format 112): bytes <-> SenML
 * records with libcbor 0.8, and the LwM2M codec on top of the record layer in senml_common.c.
 *
 * Decoding uses libcbor's streaming decoder one item head at a time (a small pull reader), so
 * nothing is allocated from lengths a peer declares and every error has a byte offset. */
#include <cbor.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cbor_item.h"
#include "senml_internal.h"

/* Nesting we follow inside fields we skip (SenML itself needs 2). */
#define CBOR_MAX_DEPTH 16

/* ---- a pull reader over cbor_item_head ---------------------------------------------------- */

typedef struct cbor_reader {
    const uint8_t *data;
    size_t len, pos;
} cbor_reader_t;

static int cbor_next(cbor_reader_t *r, tok_t *ev, lwm2m_error_t *err)
{
    return cbor_item_head(r->data, r->len, &r->pos, ev, err);
}

static int cbor_skip(cbor_reader_t *r, unsigned depth, lwm2m_error_t *err);

/* Skips the rest of an item whose head was just read (a field we ignore). */
static int cbor_skip_rest(cbor_reader_t *r, const tok_t *head, unsigned depth, lwm2m_error_t *err)
{
    tok_t ev;
    int rc = 0;
    if (depth > CBOR_MAX_DEPTH)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, head->offset, "CBOR nested too deep");
    switch (head->kind) {
    case TOK_ARRAY:
    case TOK_MAP:
        for (uint64_t i = 0; rc == 0 && i < head->u; i++) {
            rc = cbor_skip(r, depth + 1, err);
            if (rc == 0 && head->kind == TOK_MAP)
                rc = cbor_skip(r, depth + 1, err);
        }
        return rc;
    case TOK_ARRAY_INDEF:
    case TOK_MAP_INDEF:
    case TOK_BYTES_INDEF:
    case TOK_TEXT_INDEF:
        for (uint64_t n = 0;; n++) {
            if ((rc = cbor_next(r, &ev, err)) < 0)
                return rc;
            if (ev.kind == TOK_BREAK && (head->kind != TOK_MAP_INDEF || n % 2 == 0))
                return 0;
            if ((head->kind == TOK_BYTES_INDEF && ev.kind != TOK_BYTES) ||
                (head->kind == TOK_TEXT_INDEF && ev.kind != TOK_TEXT))
                return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, ev.offset, "bad chunk");
            if ((rc = cbor_skip_rest(r, &ev, depth + 1, err)) < 0)
                return rc;
        }
    case TOK_TAG:
        return cbor_skip(r, depth + 1, err);
    case TOK_BREAK:
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, head->offset, "unexpected break");
    default:
        return 0;
    }
}

static int cbor_skip(cbor_reader_t *r, unsigned depth, lwm2m_error_t *err)
{
    tok_t ev;
    int rc = cbor_next(r, &ev, err);
    return rc < 0 ? rc : cbor_skip_rest(r, &ev, depth, err);
}

/* ---- record fields ---------------------------------------------------------------------- */

/* Chunked strings are joined in memory the record owns until its callback returns. */
typedef struct scratch {
    uint8_t *blocks[8];
    size_t count;
} scratch_t;

static void scratch_free(scratch_t *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->blocks[i]);
    s->count = 0;
}

/* A text (TOK_TEXT) or byte (TOK_BYTES) string, definite or chunked. -1: not that kind. */
static int cbor_string(cbor_reader_t *r, const tok_t *head, tok_kind_t kind, senml_text_t *ret,
                       scratch_t *s, lwm2m_error_t *err)
{
    lwm2m_buf_t buf;
    tok_t ev;
    int rc = 0;
    if (head->kind == kind) {
        *ret = (senml_text_t){(const char *)head->data, head->len};
        return 0;
    }
    if (head->kind != kind + 1 || s->count == sizeof(s->blocks) / sizeof(s->blocks[0]))
        return -1;
    lwm2m_buf_init(&buf, r->len + 1);
    while ((rc = cbor_next(r, &ev, err)) == 0 && ev.kind == kind)
        if (lwm2m_buf_append(&buf, ev.data, ev.len) < 0)
            rc = lwm2m_error_set(err, LWM2M_ERR_INTERNAL, ev.offset, "out of memory");
    if (rc == 0 && ev.kind != TOK_BREAK)
        rc = lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, ev.offset, "bad string chunk");
    if (rc < 0) {
        lwm2m_buf_free(&buf);
        return rc;
    }
    s->blocks[s->count++] = buf.data;
    *ret = (senml_text_t){buf.data ? (const char *)buf.data : "", buf.len};
    return 0;
}

/* Tag 4 [exponent, mantissa]: decimal fraction (Leshan's bt), read as a double. */
static int cbor_decimal_fraction(cbor_reader_t *r, senml_number_t *ret, lwm2m_error_t *err)
{
    tok_t arr, e, m;
    char text[64];
    int rc;
    if ((rc = cbor_next(r, &arr, err)) < 0 || (rc = cbor_next(r, &e, err)) < 0)
        return rc;
    if (arr.kind != TOK_ARRAY || arr.u != 2 || (e.kind != TOK_UINT && e.kind != TOK_NEGINT) ||
        e.u > 1000 || (rc = cbor_next(r, &m, err)) < 0 ||
        (m.kind != TOK_UINT && m.kind != TOK_NEGINT))
        return rc < 0 ? rc : -1;
    int64_t exponent = e.kind == TOK_UINT ? (int64_t)e.u : -1 - (int64_t)e.u;
    if (m.kind == TOK_NEGINT && m.u == UINT64_MAX)
        snprintf(text, sizeof(text), "-18446744073709551616e%" PRId64, exponent);
    else
        snprintf(text, sizeof(text), "%s%" PRIu64 "e%" PRId64, m.kind == TOK_NEGINT ? "-" : "",
                 m.kind == TOK_NEGINT ? m.u + 1 : m.u, exponent);
    ret->kind = SENML_NUM_FLOAT;
    return lwm2m_parse_double(text, strlen(text), &ret->d) < 0 ? -1 : 0;
}

/* bt, t or v. -1: not a number. A text v is kept for objlnk (Zephyr), null for SenML-ETCH. */
static int cbor_number(cbor_reader_t *r, const tok_t *head, senml_record_t *rec,
                       senml_number_t *num, scratch_t *s, lwm2m_error_t *err)
{
    switch (head->kind) {
    case TOK_UINT:
        *num = head->u <= INT64_MAX ? (senml_number_t){.kind = SENML_NUM_INT, .i = (int64_t)head->u}
                                    : (senml_number_t){.kind = SENML_NUM_UINT, .u = head->u};
        return 0;
    case TOK_NEGINT:
        *num = (senml_number_t){.kind = SENML_NUM_INT, .i = -1 - (int64_t)head->u};
        return head->u <= INT64_MAX ? 0 : -1;
    case TOK_FLOAT:
        *num = (senml_number_t){.kind = SENML_NUM_FLOAT, .d = head->f};
        return 0;
    case TOK_TAG:
        return head->u == 4 ? cbor_decimal_fraction(r, num, err) : -1;
    case TOK_TEXT:
    case TOK_TEXT_INDEF:
        num->kind = SENML_NUM_TEXT;
        return num == &rec->v ? cbor_string(r, head, TOK_TEXT, &rec->v_text, s, err) : -1;
    case TOK_NULL:
        num->kind = SENML_NUM_NULL;
        return num == &rec->v ? 0 : -1;
    default:
        return -1;
    }
}

/* Where a key's value goes: a field and its kind ('s' text, 'n' number, 'b' boolean,
 * 'd' bytes), 'i' ignored, 'x' refused (bv: base values are not supported). */
typedef struct key_info {
    unsigned field;
    char kind;
} key_info_t;

static key_info_t label_info(const tok_t *key)
{
    int64_t label = key->kind == TOK_UINT ? (int64_t)key->u : -1 - (int64_t)key->u;
    if (key->u > 64)
        return (key_info_t){0, 'i'};
    switch (label) {
    case SENML_LABEL_BN:
        return (key_info_t){SENML_F_BN, 's'};
    case SENML_LABEL_BT:
        return (key_info_t){SENML_F_BT, 'n'};
    case SENML_LABEL_N:
        return (key_info_t){SENML_F_N, 's'};
    case SENML_LABEL_T:
        return (key_info_t){SENML_F_T, 'n'};
    case SENML_LABEL_V:
        return (key_info_t){SENML_F_V, 'n'};
    case SENML_LABEL_VS:
        return (key_info_t){SENML_F_VS, 's'};
    case SENML_LABEL_VB:
        return (key_info_t){SENML_F_VB, 'b'};
    case SENML_LABEL_VD:
        return (key_info_t){SENML_F_VD, 'd'};
    case SENML_LABEL_BV:
        return (key_info_t){0, 'x'};
    default:
        return (key_info_t){0, 'i'};
    }
}

static key_info_t text_key_info(senml_text_t key)
{
    if (key.len == 3 && memcmp(key.data, "vlo", 3) == 0)
        return (key_info_t){SENML_F_VLO, 's'};
    if (key.len && key.data[key.len - 1] == '_') /* RFC 8428 4.4: must-understand */
        return (key_info_t){0, 'x'};
    return (key_info_t){0, 'i'};
}

static int cbor_key(cbor_reader_t *r, const tok_t *key, key_info_t *ret, scratch_t *s,
                    lwm2m_error_t *err)
{
    senml_text_t text;
    size_t used = s->count;
    if (key->kind == TOK_UINT || key->kind == TOK_NEGINT) {
        *ret = label_info(key);
        return 0;
    }
    int rc = cbor_string(r, key, TOK_TEXT, &text, s, err);
    if (rc == -1)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, key->offset, "bad SenML key");
    if (rc == 0)
        *ret = text_key_info(text);
    if (s->count > used) { /* a chunked key: done with it */
        free(s->blocks[--s->count]);
    }
    return rc;
}

static senml_text_t *text_slot(senml_record_t *rec, unsigned field)
{
    switch (field) {
    case SENML_F_BN:
        return &rec->bn;
    case SENML_F_N:
        return &rec->n;
    case SENML_F_VS:
        return &rec->vs;
    default:
        return &rec->vlo;
    }
}

static int cbor_value(cbor_reader_t *r, const tok_t *v, key_info_t k, senml_record_t *rec,
                      scratch_t *s, lwm2m_error_t *err)
{
    senml_text_t *text;
    int rc;
    switch (k.kind) {
    case 's':
        text = text_slot(rec, k.field);
        rc = cbor_string(r, v, TOK_TEXT, text, s, err);
        return rc < 0 ? rc : senml_utf8_valid(text->data, text->len) ? 0 : -1;
    case 'd':
        return cbor_string(r, v, TOK_BYTES, &rec->vd, s, err);
    case 'b':
        rec->vb = v->u != 0;
        return v->kind == TOK_BOOL ? 0 : -1;
    default:
        return cbor_number(r, v, rec,
                           k.field == SENML_F_BT  ? &rec->bt
                           : k.field == SENML_F_T ? &rec->t
                                                  : &rec->v,
                           s, err);
    }
}

static int cbor_pair(cbor_reader_t *r, const tok_t *key, senml_record_t *rec, scratch_t *s,
                     lwm2m_error_t *err)
{
    key_info_t k = {0};
    tok_t v;
    int rc = cbor_key(r, key, &k, s, err);
    if (rc < 0 || (rc = cbor_next(r, &v, err)) < 0)
        return rc;
    if (k.kind == 'x')
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, key->offset, "unsupported SenML field");
    if (k.kind == 'i')
        return cbor_skip_rest(r, &v, 1, err);
    if (rec->fields & k.field)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, key->offset, "duplicate SenML field");
    rc = cbor_value(r, &v, k, rec, s, err);
    if (rc == -1)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, v.offset, "bad SenML field value");
    rec->fields |= k.field;
    return rc;
}

static int cbor_record(cbor_reader_t *r, senml_record_t *rec, scratch_t *s, lwm2m_error_t *err)
{
    tok_t head, key;
    int rc = cbor_next(r, &head, err);
    if (rc < 0)
        return rc;
    memset(rec, 0, sizeof(*rec));
    rec->offset = head.offset;
    if (head.kind != TOK_MAP && head.kind != TOK_MAP_INDEF)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, head.offset, "SenML record not a map");
    for (uint64_t i = 0; head.kind == TOK_MAP_INDEF || i < head.u; i++) {
        if ((rc = cbor_next(r, &key, err)) < 0)
            return rc;
        if (key.kind == TOK_BREAK && head.kind == TOK_MAP_INDEF)
            return 0;
        if ((rc = cbor_pair(r, &key, rec, s, err)) < 0)
            return rc;
    }
    return 0;
}

static int cbor_parse(const uint8_t *data, size_t len, senml_record_fn fn, void *ctx,
                      lwm2m_error_t *err)
{
    cbor_reader_t r = {data, len, 0};
    tok_t head;
    senml_record_t rec;
    scratch_t s = {0};
    if (len == 0)
        return 0;
    int rc = cbor_next(&r, &head, err);
    if (rc < 0)
        return rc;
    if (head.kind != TOK_ARRAY && head.kind != TOK_ARRAY_INDEF)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "SenML CBOR must be an array");
    bool indefinite = head.kind == TOK_ARRAY_INDEF;
    if (!indefinite && head.u > SENML_MAX_RECORDS)
        return lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, 0, "more than %d SenML records",
                               SENML_MAX_RECORDS);
    for (uint64_t i = 0; indefinite || i < head.u; i++) {
        if (indefinite && r.pos < len && data[r.pos] == 0xff) {
            r.pos++;
            break;
        }
        if (i >= SENML_MAX_RECORDS)
            return lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, head.offset,
                                   "more than %d SenML records", SENML_MAX_RECORDS);
        rc = cbor_record(&r, &rec, &s, err);
        if (rc == 0)
            rc = fn(ctx, &rec, err);
        scratch_free(&s);
        if (rc < 0)
            return rc;
    }
    if (r.pos != len)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, r.pos, "data after the SenML array");
    return 0;
}

/* ---- writing ---------------------------------------------------------------------------- */

static int put_head(lwm2m_buf_t *out, const unsigned char *head, size_t n)
{
    return n ? lwm2m_buf_append(out, head, n) : LWM2M_ERR_INTERNAL;
}

static int put_int(lwm2m_buf_t *out, int64_t v)
{
    unsigned char b[9];
    if (v >= 0)
        return put_head(out, b, cbor_encode_uint((uint64_t)v, b, sizeof(b)));
    return put_head(out, b, cbor_encode_negint((uint64_t)(-(v + 1)), b, sizeof(b)));
}

static int put_string(lwm2m_buf_t *out, senml_text_t s, bool text)
{
    unsigned char b[9];
    size_t n = text ? cbor_encode_string_start(s.len, b, sizeof(b))
                    : cbor_encode_bytestring_start(s.len, b, sizeof(b));
    int rc = put_head(out, b, n);
    return rc ? rc : lwm2m_buf_append(out, s.data, s.len);
}

/* Floats always as 8-byte doubles, like Zephyr: exact, and what its decoder expects. */
static int put_number(lwm2m_buf_t *out, const senml_record_t *rec, const senml_number_t *num)
{
    unsigned char b[9];
    switch (num->kind) {
    case SENML_NUM_INT:
        return put_int(out, num->i);
    case SENML_NUM_UINT:
        return put_head(out, b, cbor_encode_uint(num->u, b, sizeof(b)));
    case SENML_NUM_FLOAT:
        return put_head(out, b, cbor_encode_double(num->d, b, sizeof(b)));
    case SENML_NUM_TEXT:
        return put_string(out, rec->v_text, true);
    default:
        return put_head(out, b, cbor_encode_null(b, sizeof(b)));
    }
}

static int put_value(lwm2m_buf_t *out, const senml_record_t *rec)
{
    unsigned char b[9];
    int rc = 0;
    if (rec->fields & SENML_F_V && (rc = put_int(out, SENML_LABEL_V)) == 0)
        rc = put_number(out, rec, &rec->v);
    if (rc == 0 && rec->fields & SENML_F_VS && (rc = put_int(out, SENML_LABEL_VS)) == 0)
        rc = put_string(out, rec->vs, true);
    if (rc == 0 && rec->fields & SENML_F_VB && (rc = put_int(out, SENML_LABEL_VB)) == 0)
        rc = put_head(out, b, cbor_encode_bool(rec->vb, b, sizeof(b)));
    if (rc == 0 && rec->fields & SENML_F_VD && (rc = put_int(out, SENML_LABEL_VD)) == 0)
        rc = put_string(out, rec->vd, false);
    if (rc == 0 && rec->fields & SENML_F_VLO &&
        (rc = put_string(out, (senml_text_t){"vlo", 3}, true)) == 0)
        rc = put_string(out, rec->vlo, true);
    return rc;
}

/* Keys in Zephyr's order: bn, bt, n, t, then the value. */
static int cbor_record_out(lwm2m_buf_t *out, const senml_record_t *rec, size_t index,
                           lwm2m_error_t *err)
{
    unsigned char b[9];
    (void)index;
    int rc = put_head(out, b, cbor_encode_map_start(senml_field_count(rec->fields), b, sizeof(b)));
    if (rc == 0 && rec->fields & SENML_F_BN && (rc = put_int(out, SENML_LABEL_BN)) == 0)
        rc = put_string(out, rec->bn, true);
    if (rc == 0 && rec->fields & SENML_F_BT && (rc = put_int(out, SENML_LABEL_BT)) == 0)
        rc = put_number(out, rec, &rec->bt);
    if (rc == 0 && rec->fields & SENML_F_N && (rc = put_int(out, SENML_LABEL_N)) == 0)
        rc = put_string(out, rec->n, true);
    if (rc == 0 && rec->fields & SENML_F_T && (rc = put_int(out, SENML_LABEL_T)) == 0)
        rc = put_number(out, rec, &rec->t);
    if (rc == 0)
        rc = put_value(out, rec);
    return rc ? lwm2m_error_set(err, rc, 0, "output buffer full") : 0;
}

static int cbor_begin(lwm2m_buf_t *out, size_t count)
{
    unsigned char b[9];
    return put_head(out, b, cbor_encode_array_start(count, b, sizeof(b)));
}

static int cbor_end(lwm2m_buf_t *out)
{
    (void)out;
    return 0;
}

const senml_format_t senml_cbor_format = {cbor_parse, cbor_begin, cbor_record_out, cbor_end};

/* ---- the LwM2M codec -------------------------------------------------------------------- */

static int senml_cbor_decode(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                             const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out,
                             lwm2m_error_t *err)
{
    return senml_decode_nodes(&senml_cbor_format, data, len, base, opts, out, err);
}

static int senml_cbor_encode(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                             lwm2m_buf_t *out, lwm2m_error_t *err)
{
    return senml_encode_nodes(&senml_cbor_format, SENML_NAMING_INSTANCE, base, nodes, count, out,
                              err);
}

const lwm2m_codec_t lwm2m_codec_senml_cbor = {LWM2M_CF_SENML_CBOR, "senml-cbor", senml_cbor_decode,
                                              senml_cbor_encode};
