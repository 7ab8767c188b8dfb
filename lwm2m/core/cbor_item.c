/* cbor_item.c - CBOR item heads through libcbor's streaming decoder (see cbor_item.h). */
#include "cbor_item.h"

#include <cbor.h>
#include <string.h>

static void tok_set(void *ctx, tok_kind_t kind, uint64_t u)
{
    tok_t *t = ctx;
    t->kind = kind;
    t->u = u;
}

/* One callback per item head: each records its kind and argument in the tok_t. */
#define ON_ARG(name, type, kind)                                                                   \
    static void name(void *c, type v)                                                              \
    {                                                                                              \
        tok_set(c, kind, (uint64_t)v);                                                             \
    }
#define ON_HEAD(name, kind)                                                                        \
    static void name(void *c)                                                                      \
    {                                                                                              \
        tok_set(c, kind, 0);                                                                       \
    }
ON_ARG(on_uint8, uint8_t, TOK_UINT)
ON_ARG(on_uint16, uint16_t, TOK_UINT)
ON_ARG(on_uint32, uint32_t, TOK_UINT)
ON_ARG(on_uint64, uint64_t, TOK_UINT)
ON_ARG(on_negint8, uint8_t, TOK_NEGINT)
ON_ARG(on_negint16, uint16_t, TOK_NEGINT)
ON_ARG(on_negint32, uint32_t, TOK_NEGINT)
ON_ARG(on_negint64, uint64_t, TOK_NEGINT)
ON_ARG(on_tag, uint64_t, TOK_TAG)
ON_ARG(on_array, size_t, TOK_ARRAY)
ON_ARG(on_map, size_t, TOK_MAP)
ON_ARG(on_bool, bool, TOK_BOOL)
ON_HEAD(on_bytes_indef, TOK_BYTES_INDEF)
ON_HEAD(on_text_indef, TOK_TEXT_INDEF)
ON_HEAD(on_array_indef, TOK_ARRAY_INDEF)
ON_HEAD(on_map_indef, TOK_MAP_INDEF)
ON_HEAD(on_undef, TOK_UNDEF)
ON_HEAD(on_null, TOK_NULL)
ON_HEAD(on_break, TOK_BREAK)

static void on_string(void *c, tok_kind_t kind, cbor_data data, size_t len)
{
    tok_t *t = c;
    t->kind = kind;
    t->data = data;
    t->len = len;
}

static void on_bytes(void *c, cbor_data d, size_t n)
{
    on_string(c, TOK_BYTES, d, n);
}
static void on_text(void *c, cbor_data d, size_t n)
{
    on_string(c, TOK_TEXT, d, n);
}

static void on_float(void *c, float v)
{
    tok_set(c, TOK_FLOAT, 0);
    ((tok_t *)c)->f = v;
}

static void on_double(void *c, double v)
{
    tok_set(c, TOK_FLOAT, 0);
    ((tok_t *)c)->f = v;
}

static const struct cbor_callbacks callbacks = {
    .uint8 = on_uint8,
    .uint16 = on_uint16,
    .uint32 = on_uint32,
    .uint64 = on_uint64,
    .negint8 = on_negint8,
    .negint16 = on_negint16,
    .negint32 = on_negint32,
    .negint64 = on_negint64,
    .byte_string_start = on_bytes_indef,
    .byte_string = on_bytes,
    .string = on_text,
    .string_start = on_text_indef,
    .indef_array_start = on_array_indef,
    .array_start = on_array,
    .indef_map_start = on_map_indef,
    .map_start = on_map,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_undef,
    .null = on_null,
    .boolean = on_bool,
    .indef_break = on_break,
};

int cbor_item_head(const uint8_t *data, size_t len, size_t *pos, tok_t *ret, lwm2m_error_t *err)
{
    memset(ret, 0, sizeof(*ret));
    ret->offset = *pos;
    if (*pos >= len)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, *pos, "truncated CBOR item");
    struct cbor_decoder_result r = cbor_stream_decode(data + *pos, len - *pos, &callbacks, ret);
    if (r.status == CBOR_DECODER_NEDATA)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, *pos, "truncated CBOR item");
    if (r.status != CBOR_DECODER_FINISHED || ret->kind == TOK_NONE)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, *pos, "malformed CBOR item");
    *pos += r.read;
    return 0;
}

bool cbor_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : 3;
        uint32_t cp = extra == 0 ? c : extra == 1 ? c & 0x1fu : extra == 2 ? c & 0x0fu : c & 0x07u;
        static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if ((c >= 0x80 && c < 0xc2) || c > 0xf4 || n - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        if (cp < min[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}
