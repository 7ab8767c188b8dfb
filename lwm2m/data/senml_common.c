/* senml_common.c - SenML records <-> LwM2M nodes: names (bn + n), times (bt + t), value types
 * from the object model, empty-container markers; shared by the SenML JSON and CBOR codecs. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "senml_internal.h"

/* ---- small helpers ---------------------------------------------------------------------- */

unsigned senml_field_count(unsigned fields)
{
    unsigned n = 0;
    for (; fields; fields &= fields - 1)
        n++;
    return n;
}

bool senml_utf8_valid(const char *s, size_t len)
{
    if (len == 0)
        return true;
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p++;
        size_t more;
        unsigned min;
        if (c < 0x80)
            continue;
        if (c >= 0xc2 && c <= 0xdf)
            more = 1, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            more = 2, min = 0x800, c &= 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            more = 3, min = 0x10000, c &= 0x07;
        else
            return false;
        if ((size_t)(end - p) < more)
            return false;
        if (more == 1)
            c &= 0x1f;
        for (size_t i = 0; i < more; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            c = (c << 6) | (*p & 0x3fu);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return false;
    }
    return true;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t senml_base64url_encode(const uint8_t *data, size_t len, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
        out[o++] = b64url[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0);
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = b64url[(v >> 6) & 63];
    }
    return o;
}

static int b64url_digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

long senml_base64url_decode(const char *text, size_t len, uint8_t *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    if (len % 4 == 0 && len >= 2 && text[len - 1] == '=')
        len -= text[len - 2] == '=' ? 2 : 1;
    if (len % 4 == 1)
        return LWM2M_ERR_BAD_REQUEST;
    for (size_t i = 0; i < len; i++) {
        int d = b64url_digit(text[i]);
        if (d < 0)
            return LWM2M_ERR_BAD_REQUEST;
        acc = (acc << 6) | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
        acc &= (1u << bits) - 1;
    }
    return (long)o; /* leftover bits of a non-canonical last digit are ignored, like Java */
}

/* ---- names and times -------------------------------------------------------------------- */

int senml_resolve_name(senml_names_t *names, const senml_record_t *rec, lwm2m_path_t *ret_path,
                       lwm2m_error_t *err)
{
    char name[SENML_NAME_MAX];
    if (rec->fields & SENML_F_BN) {
        if (rec->bn.len >= SENML_NAME_MAX)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset, "bn too long");
        memcpy(names->bn, rec->bn.data, rec->bn.len);
        names->bn_len = rec->bn.len;
    }
    size_t nlen = rec->fields & SENML_F_N ? rec->n.len : 0;
    if (names->bn_len + nlen >= SENML_NAME_MAX)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset, "name too long");
    memcpy(name, names->bn, names->bn_len);
    if (nlen)
        memcpy(name + names->bn_len, rec->n.data, nlen);
    size_t len = names->bn_len + nlen;
    if (len == 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset, "record has no name");
    if (memchr(name, 0, len) || lwm2m_path_parse(name, len, LWM2M_PATH_ALLOW_PREFIX, ret_path) < 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset,
                               "name '%.*s' is not an LwM2M path", (int)len, name);
    return 0;
}

static bool number_to_double(const senml_number_t *num, double *ret)
{
    switch (num->kind) {
    case SENML_NUM_INT:
        *ret = (double)num->i;
        return true;
    case SENML_NUM_UINT:
        *ret = (double)num->u;
        return true;
    case SENML_NUM_FLOAT:
        *ret = num->d;
        return true;
    default:
        return false;
    }
}

static bool number_to_int64(const senml_number_t *num, int64_t *ret)
{
    if (num->kind == SENML_NUM_INT) {
        *ret = num->i;
        return true;
    }
    double d = num->d;
    if (num->kind != SENML_NUM_FLOAT || d != trunc(d) || !(d >= -0x1p63 && d < 0x1p63))
        return false;
    *ret = (int64_t)d;
    return true;
}

static bool number_to_uint64(const senml_number_t *num, uint64_t *ret)
{
    double d = num->d;
    switch (num->kind) {
    case SENML_NUM_INT:
        *ret = (uint64_t)num->i;
        return num->i >= 0;
    case SENML_NUM_UINT:
        *ret = num->u;
        return true;
    case SENML_NUM_FLOAT:
        if (d != trunc(d) || !(d >= 0 && d < 0x1p64))
            return false;
        *ret = (uint64_t)d;
        return true;
    default:
        return false;
    }
}

/* ---- record values -> typed values ------------------------------------------------------ */

typedef struct decoder {
    const lwm2m_decode_opts_t *opts;
    lwm2m_nodes_t *out;
    senml_names_t names;
    bool has_bt;
    double bt;
    size_t records;
} decoder_t;

static int mismatch(const senml_record_t *rec, lwm2m_type_t type, lwm2m_error_t *err)
{
    return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset,
                           "record value does not fit a %s resource", lwm2m_type_name(type));
}

/* "oid:iid"; also the spec's hex "FFFF:FFFF" null link and Zephyr's trailing NUL. */
static int parse_objlnk(senml_text_t text, lwm2m_objlnk_t *ret)
{
    if (text.len && text.data[text.len - 1] == 0)
        text.len--;
    if (lwm2m_objlnk_parse(text.data, text.len, ret) == 0)
        return 0;
    if (text.len == 9 && strncasecmp(text.data, "FFFF:FFFF", 9) == 0) {
        ret->object = ret->instance = 65535;
        return 0;
    }
    return LWM2M_ERR_BAD_REQUEST;
}

static int objlnk_value(const senml_record_t *rec, unsigned field, lwm2m_value_t *ret)
{
    lwm2m_objlnk_t link;
    senml_text_t text = field == SENML_F_VLO  ? rec->vlo
                        : field == SENML_F_VS ? rec->vs
                                              : rec->v_text;
    if ((field == SENML_F_V && rec->v.kind != SENML_NUM_TEXT) ||
        !(field & (SENML_F_VLO | SENML_F_VS | SENML_F_V)))
        return LWM2M_ERR_BAD_REQUEST;
    if (parse_objlnk(text, &link) < 0)
        return LWM2M_ERR_BAD_REQUEST;
    *ret = lwm2m_value_objlnk(link.object, link.instance);
    return 0;
}

/* No model: what the record says. A JSON number without fraction or exponent is an integer
 * (unsigned above INT64_MAX); JSON fractions and CBOR floats are floats. */
static int untyped_value(const senml_record_t *rec, unsigned field, lwm2m_value_t *ret)
{
    switch (field) {
    case SENML_F_VS:
        *ret = lwm2m_value_bytes(LWM2M_TYPE_STRING, rec->vs.data, rec->vs.len);
        return 0;
    case SENML_F_VB:
        *ret = lwm2m_value_boolean(rec->vb);
        return 0;
    case SENML_F_VD:
        *ret = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, rec->vd.data, rec->vd.len);
        return 0;
    case SENML_F_VLO:
        return objlnk_value(rec, field, ret);
    default:
        break;
    }
    if (rec->v.kind == SENML_NUM_INT)
        *ret = lwm2m_value_integer(rec->v.i);
    else if (rec->v.kind == SENML_NUM_UINT)
        *ret = lwm2m_value_unsigned(rec->v.u);
    else if (rec->v.kind == SENML_NUM_FLOAT)
        *ret = lwm2m_value_float(rec->v.d);
    else
        return LWM2M_ERR_BAD_REQUEST;
    return 0;
}

static int numeric_value(const senml_record_t *rec, lwm2m_type_t type, lwm2m_value_t *ret)
{
    int64_t i;
    uint64_t u;
    double d;
    if (type == LWM2M_TYPE_FLOAT && number_to_double(&rec->v, &d))
        *ret = lwm2m_value_float(d);
    else if (type == LWM2M_TYPE_UNSIGNED && number_to_uint64(&rec->v, &u))
        *ret = lwm2m_value_unsigned(u);
    else if (type == LWM2M_TYPE_INTEGER && number_to_int64(&rec->v, &i))
        *ret = lwm2m_value_integer(i);
    else if (type == LWM2M_TYPE_TIME && number_to_int64(&rec->v, &i))
        *ret = lwm2m_value_time(i);
    else
        return LWM2M_ERR_BAD_REQUEST;
    return 0;
}

static int typed_value(const senml_record_t *rec, unsigned field, lwm2m_type_t type,
                       lwm2m_value_t *ret)
{
    switch (type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        if (field != SENML_F_VS)
            return LWM2M_ERR_BAD_REQUEST;
        *ret = lwm2m_value_bytes(type, rec->vs.data, rec->vs.len);
        return 0;
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_UNSIGNED:
    case LWM2M_TYPE_FLOAT:
    case LWM2M_TYPE_TIME:
        return field == SENML_F_V ? numeric_value(rec, type, ret) : LWM2M_ERR_BAD_REQUEST;
    case LWM2M_TYPE_BOOLEAN:
    case LWM2M_TYPE_OPAQUE:
        if (field != (type == LWM2M_TYPE_BOOLEAN ? SENML_F_VB : SENML_F_VD))
            return LWM2M_ERR_BAD_REQUEST;
        return untyped_value(rec, field, ret);
    case LWM2M_TYPE_OBJLNK: /* vlo; Zephyr's decoder also takes vs and a text v */
        return objlnk_value(rec, field, ret);
    case LWM2M_TYPE_NONE:
        return LWM2M_ERR_BAD_REQUEST;
    default:
        return untyped_value(rec, field, ret);
    }
}

static int record_value(const senml_record_t *rec, lwm2m_type_t type, lwm2m_value_t *ret,
                        lwm2m_error_t *err)
{
    unsigned field = rec->fields & SENML_F_VALUES;
    if (!field)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset, "record has no value");
    if (field & (field - 1))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset,
                               "record has more than one value");
    if (field == SENML_F_V && rec->v.kind == SENML_NUM_NULL)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset, "record value is null");
    if (typed_value(rec, field, type, ret) < 0)
        return mismatch(rec, type, err);
    return 0;
}

/* ---- decoding --------------------------------------------------------------------------- */

/* bt carries over to later records; the time of a record is bt + t. A resolved time of 0
 * means "no time" (RFC 8428 4.5.3: roughly now). Times below 2^28 are relative to now: they
 * are kept as they are, the caller knows the clock. */
static int record_time(decoder_t *dec, const senml_record_t *rec, lwm2m_node_t *node,
                       lwm2m_error_t *err)
{
    double t = 0;
    if (rec->fields & SENML_F_BT) {
        if (!number_to_double(&rec->bt, &dec->bt))
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset, "bt not a number");
        dec->has_bt = true;
    }
    if ((rec->fields & SENML_F_T) && !number_to_double(&rec->t, &t))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset, "t not a number");
    if (!dec->has_bt && !(rec->fields & SENML_F_T))
        return 0;
    node->time = (dec->has_bt ? dec->bt : 0) + t;
    node->has_time = node->time != 0;
    if (!isfinite(node->time))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset, "time not finite");
    return 0;
}

static int add_node(lwm2m_nodes_t *out, const lwm2m_path_t *path, const lwm2m_value_t *value,
                    size_t offset, lwm2m_node_t **ret_node, lwm2m_error_t *err)
{
    int rc = lwm2m_nodes_add(out, path, value, ret_node);
    if (rc == LWM2M_ERR_TOO_LARGE)
        return lwm2m_error_set(err, rc, offset, "too many nodes or bytes");
    if (rc < 0)
        return lwm2m_error_set(err, rc, offset, "out of memory");
    return 0;
}

static int decode_record(void *ctx, const senml_record_t *rec, lwm2m_error_t *err)
{
    decoder_t *dec = ctx;
    lwm2m_path_t path;
    lwm2m_value_t value;
    lwm2m_node_t *node, timing = {0};
    int rc = senml_resolve_name(&dec->names, rec, &path, err);
    if (rc < 0)
        return rc;
    if (path.depth < 3)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset,
                               "record name is not a resource");
    if ((rc = record_time(dec, rec, &timing, err)) < 0 ||
        (rc = record_value(rec, lwm2m_decode_type(dec->opts, &path), &value, err)) < 0 ||
        (rc = add_node(dec->out, &path, &value, rec->offset, &node, err)) < 0)
        return rc;
    node->has_time = timing.has_time;
    node->time = timing.has_time ? timing.time : 0;
    dec->records++;
    return 0;
}

/* An empty pack (empty payload or empty array) is an empty container at the request path:
 * nothing for the root or an object, an empty instance, an empty multi-instance resource. A
 * single-instance (or unknown) resource must have a value. */
static int empty_pack(const lwm2m_path_t *base, const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out,
                      lwm2m_error_t *err)
{
    lwm2m_value_t marker;
    if (base->depth < 2)
        return 0;
    if (base->depth == 2) {
        marker = lwm2m_value_none(LWM2M_TYPE_INSTANCE);
    } else if (base->depth == 3 &&
               lwm2m_model_is_multiple(opts ? opts->model : NULL, base->id[0], base->id[2]) == 1) {
        marker = lwm2m_value_none(LWM2M_TYPE_MULTIPLE);
    } else {
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0,
                               "empty SenML pack for a single value");
    }
    return add_node(out, base, &marker, 0, NULL, err);
}

int senml_decode_nodes(const senml_format_t *fmt, const uint8_t *data, size_t len,
                       const lwm2m_path_t *base, const lwm2m_decode_opts_t *opts,
                       lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    decoder_t dec = {.opts = opts, .out = out};
    lwm2m_path_t root = lwm2m_path_root();
    int rc = fmt->parse(data, len, decode_record, &dec, err);
    if (rc < 0)
        return rc;
    return dec.records ? 0 : empty_pack(base ? base : &root, opts, out, err);
}

/* ---- encoding --------------------------------------------------------------------------- */

typedef struct encoder {
    senml_naming_t naming;
    const lwm2m_path_t *base;
    char last_bn[SENML_NAME_MAX]; /* bn in effect at the receiver */
    bool has_bn;
    bool has_bt; /* bt in effect at the receiver (0 when none) */
    double bt;
    char bn[SENML_NAME_MAX], n[SENML_NAME_MAX], objlnk[16];
} encoder_t;

static bool is_marker(const lwm2m_node_t *node)
{
    return node->value.type == LWM2M_TYPE_MULTIPLE || node->value.type == LWM2M_TYPE_INSTANCE;
}

static senml_number_t number_from_double(double d)
{
    senml_number_t num = {.kind = SENML_NUM_FLOAT, .d = d};
    if (d == trunc(d) && d >= -0x1p63 && d < 0x1p63) {
        num.kind = SENML_NUM_INT;
        num.i = (int64_t)d;
    }
    return num;
}

/* Splits a path into bn (the group: request path, resource or instance) and n (the rest). */
static int split_name(encoder_t *enc, const lwm2m_path_t *path)
{
    lwm2m_path_t group = *path;
    uint8_t depth = 2;
    if (enc->naming == SENML_NAMING_REQUEST)
        depth = enc->base->depth > 0 && lwm2m_path_contains(enc->base, path) ? enc->base->depth : 3;
    group.depth = depth < path->depth ? depth : path->depth;
    int len = lwm2m_path_format(&group, enc->bn, sizeof(enc->bn) - 1);
    if (len < 0)
        return len;
    size_t nlen = 0;
    enc->n[0] = 0;
    if (group.depth < path->depth) {
        enc->bn[len++] = '/';
        enc->bn[len] = 0;
        for (uint8_t i = group.depth; i < path->depth; i++)
            nlen += (size_t)snprintf(enc->n + nlen, sizeof(enc->n) - nlen, "%s%u",
                                     i > group.depth ? "/" : "", (unsigned)path->id[i]);
    }
    return 0;
}

/* Time fields for a node; returns true when bn must be repeated with a new bt (Leshan). */
static bool encode_time(encoder_t *enc, const lwm2m_node_t *node, senml_record_t *rec)
{
    bool timed = node->has_time && node->time != 0;
    double time = timed ? node->time : 0;
    /* a relative t that doesn't add back exactly (far apart magnitudes) gets a new bt */
    bool exact = enc->has_bt && enc->bt + (time - enc->bt) == time;
    if (enc->naming == SENML_NAMING_REQUEST || !timed || !exact) {
        if (timed ? enc->has_bt && enc->bt == time : !enc->has_bt)
            return false;
        rec->fields |= SENML_F_BT;
        rec->bt = number_from_double(time);
        enc->has_bt = timed;
        enc->bt = time;
        return enc->naming == SENML_NAMING_REQUEST;
    }
    if (time != enc->bt) {
        rec->fields |= SENML_F_T;
        rec->t = number_from_double(time - enc->bt);
    }
    return false;
}

static int encode_value(encoder_t *enc, const lwm2m_value_t *v, senml_record_t *rec)
{
    const lwm2m_value_t *x = v;
    switch (x->type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        rec->fields |= SENML_F_VS;
        rec->vs = (senml_text_t){(const char *)x->u.bytes.data, x->u.bytes.len};
        return 0;
    case LWM2M_TYPE_OPAQUE:
        rec->fields |= SENML_F_VD;
        rec->vd = (senml_text_t){(const char *)x->u.bytes.data, x->u.bytes.len};
        return 0;
    case LWM2M_TYPE_BOOLEAN:
        rec->fields |= SENML_F_VB;
        rec->vb = x->u.boolean;
        return 0;
    case LWM2M_TYPE_OBJLNK: {
        int len = lwm2m_objlnk_format(x->u.objlnk, enc->objlnk, sizeof(enc->objlnk));
        rec->fields |= SENML_F_VLO;
        rec->vlo = (senml_text_t){enc->objlnk, (size_t)len};
        return 0;
    }
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        rec->v = (senml_number_t){.kind = SENML_NUM_INT, .i = x->u.integer};
        break;
    case LWM2M_TYPE_UNSIGNED:
        rec->v = (senml_number_t){.kind = SENML_NUM_UINT, .u = x->u.unsigned_integer};
        if (x->u.unsigned_integer <= INT64_MAX)
            rec->v = (senml_number_t){.kind = SENML_NUM_INT, .i = (int64_t)x->u.unsigned_integer};
        break;
    case LWM2M_TYPE_FLOAT:
        rec->v = (senml_number_t){.kind = SENML_NUM_FLOAT, .d = x->u.floating};
        break;
    default:
        return LWM2M_ERR_NOT_ACCEPTABLE;
    }
    rec->fields |= SENML_F_V;
    return 0;
}

static int node_record(encoder_t *enc, const lwm2m_node_t *node, senml_record_t *rec,
                       lwm2m_error_t *err)
{
    char p[LWM2M_PATH_STR_MAX];
    memset(rec, 0, sizeof(*rec));
    if (node->path.depth < 3 || (node->has_time && !isfinite(node->time)) ||
        encode_value(enc, &node->value, rec) < 0 || split_name(enc, &node->path) < 0) {
        lwm2m_path_format(&node->path, p, sizeof(p));
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "can't encode %s %s in SenML",
                               lwm2m_type_name(node->value.type), p);
    }
    bool repeat_bn = encode_time(enc, node, rec);
    if (repeat_bn || !enc->has_bn || strcmp(enc->bn, enc->last_bn) != 0) {
        memcpy(enc->last_bn, enc->bn, sizeof(enc->bn));
        enc->has_bn = true;
        rec->fields |= SENML_F_BN;
        rec->bn = (senml_text_t){enc->bn, strlen(enc->bn)};
    }
    if (enc->n[0]) {
        rec->fields |= SENML_F_N;
        rec->n = (senml_text_t){enc->n, strlen(enc->n)};
    }
    return 0;
}

int senml_encode_nodes(const senml_format_t *fmt, senml_naming_t naming, const lwm2m_path_t *base,
                       const lwm2m_node_t *nodes, size_t count, lwm2m_buf_t *out,
                       lwm2m_error_t *err)
{
    lwm2m_path_t root = lwm2m_path_root();
    encoder_t enc = {.naming = naming, .base = base ? base : &root};
    senml_record_t rec;
    size_t records = 0, index = 0;
    int rc;
    for (size_t i = 0; i < count; i++)
        records += !is_marker(&nodes[i]);
    if ((rc = fmt->begin(out, records)) < 0)
        return lwm2m_error_set(err, rc, 0, "output buffer full");
    for (size_t i = 0; i < count; i++) {
        if (is_marker(&nodes[i]))
            continue;
        if ((rc = node_record(&enc, &nodes[i], &rec, err)) < 0 ||
            (rc = fmt->record(out, &rec, index++, err)) < 0)
            return rc;
    }
    if ((rc = fmt->end(out)) < 0)
        return lwm2m_error_set(err, rc, 0, "output buffer full");
    return 0;
}

int senml_write_records(const senml_format_t *fmt, const senml_record_t *recs, size_t count,
                        lwm2m_buf_t *out, lwm2m_error_t *err)
{
    int rc = fmt->begin(out, count);
    if (rc < 0)
        return lwm2m_error_set(err, rc, 0, "output buffer full");
    for (size_t i = 0; i < count; i++)
        if ((rc = fmt->record(out, &recs[i], i, err)) < 0)
            return rc;
    if ((rc = fmt->end(out)) < 0)
        return lwm2m_error_set(err, rc, 0, "output buffer full");
    return 0;
}
