/* mqtt_msg.c - LwM2M MQTT binding messages (CBOR maps) and topic names; see mqtt_msg.h.
 *
 * One table lists every key with its CBOR shape and its place in the struct; decode and encode
 * both walk it, and its order is the encoding order. CBOR is read one item head at a time
 * through libcbor's streaming decoder, so nothing is allocated for what a peer merely declares:
 * the one allocation per message is bounded by twice the message size. */
#include "cbor_item.h"
#include "lwm2m/mqtt_msg.h"

#include <cbor.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SKIP_MAX_DEPTH 16 /* nesting allowed inside an unknown key's value */

/* ---- the key table ---- */

typedef enum field_kind {
    F_U8,
    F_U16,
    F_U32,
    F_TOKEN,
    F_TEXT,
    F_PATHS,
    F_PAYLOAD,
    F_NUMBER,
    F_EDGE,
} field_kind_t;

typedef struct field {
    uint8_t key;
    field_kind_t kind;
    size_t has, value; /* offsets in lwm2m_mqtt_msg_t */
} field_t;

#define FIELD(key, kind, name)                                                                     \
    {                                                                                              \
        key, kind, offsetof(lwm2m_mqtt_msg_t, has_##name), offsetof(lwm2m_mqtt_msg_t, name)        \
    }

/* In encoding order. */
static const field_t fields[] = {
    FIELD(LWM2M_MQTT_KEY_OPERATION, F_U8, operation),
    FIELD(LWM2M_MQTT_KEY_RESULT, F_U16, result),
    FIELD(LWM2M_MQTT_KEY_TOKEN, F_TOKEN, token),
    FIELD(LWM2M_MQTT_KEY_EP, F_TEXT, ep),
    FIELD(LWM2M_MQTT_KEY_PCT, F_U16, pct),
    FIELD(LWM2M_MQTT_KEY_URI, F_TEXT, uri),
    FIELD(LWM2M_MQTT_KEY_PATHS, F_PATHS, paths),
    FIELD(LWM2M_MQTT_KEY_LIFETIME, F_U32, lifetime),
    FIELD(LWM2M_MQTT_KEY_VERSION, F_TEXT, version),
    FIELD(LWM2M_MQTT_KEY_BINDING, F_TEXT, binding),
    FIELD(LWM2M_MQTT_KEY_SMS, F_TEXT, sms),
    FIELD(LWM2M_MQTT_KEY_PMIN, F_U32, pmin),
    FIELD(LWM2M_MQTT_KEY_PMAX, F_U32, pmax),
    FIELD(LWM2M_MQTT_KEY_GT, F_NUMBER, gt),
    FIELD(LWM2M_MQTT_KEY_ST, F_NUMBER, st),
    FIELD(LWM2M_MQTT_KEY_EPMIN, F_U32, epmin),
    FIELD(LWM2M_MQTT_KEY_EPMAX, F_U32, epmax),
    FIELD(LWM2M_MQTT_KEY_EDGE, F_EDGE, edge),
    FIELD(LWM2M_MQTT_KEY_HQMAX, F_U32, hqmax),
    FIELD(LWM2M_MQTT_KEY_DEPTH, F_U8, depth),
    FIELD(LWM2M_MQTT_KEY_CT, F_U16, ct),
    FIELD(LWM2M_MQTT_KEY_PAYLOAD, F_PAYLOAD, payload),
};

static const field_t *field_for_key(uint64_t key)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fields[i].key == key)
            return &fields[i];
    return NULL;
}

static bool valid_result(unsigned code)
{
    unsigned cls = code / 100; /* CoAP response classes: 2 success, 4 client, 5 server */
    return (cls == 2 || cls == 4 || cls == 5) && code % 100 <= 31;
}

/* ---- decoder ---- */

typedef struct reader {
    const uint8_t *data;
    size_t len, pos;
    uint8_t *arena; /* strings, NUL-terminated */
    size_t used, cap;
    lwm2m_error_t *err;
} reader_t;

static int fail(reader_t *r, size_t offset, const char *msg)
{
    return lwm2m_error_set(r->err, LWM2M_ERR_BAD_REQUEST, offset, "%s", msg);
}

static int next(reader_t *r, tok_t *t)
{
    return cbor_item_head(r->data, r->len, &r->pos, t, r->err);
}

static void arena_append(reader_t *r, const uint8_t *data, size_t len)
{
    if (len) /* the arena holds 2 * input bytes: always room */
        memcpy(r->arena + r->used, data, len);
    r->used += len;
}

/* A text (text true) or byte string, definite or in chunks, copied into the arena. */
static int read_string(reader_t *r, const tok_t *t, bool text, lwm2m_mqtt_str_t *ret)
{
    tok_kind_t kind = text ? TOK_TEXT : TOK_BYTES;
    size_t start = r->used;
    if (t->kind == kind) {
        arena_append(r, t->data, t->len);
    } else if (t->kind == kind + 1) { /* the _INDEF kind */
        for (;;) {
            tok_t c;
            int rc = next(r, &c);
            if (rc < 0)
                return rc;
            if (c.kind == TOK_BREAK)
                break;
            if (c.kind != kind)
                return fail(r, c.offset, "bad chunk in an indefinite-length string");
            arena_append(r, c.data, c.len);
        }
    } else {
        return fail(r, t->offset, text ? "text string expected" : "byte string expected");
    }
    ret->data = (const char *)r->arena + start;
    ret->len = r->used - start;
    r->arena[r->used++] = 0;
    if (text && !cbor_utf8_valid(r->arena + start, ret->len))
        return fail(r, t->offset, "text string is not valid UTF-8");
    return 0;
}

/* Skips one well-formed item (an unknown key's value). */
static int skip_item(reader_t *r, const tok_t *t, int depth)
{
    bool indef = t->kind == TOK_ARRAY_INDEF || t->kind == TOK_MAP_INDEF ||
                 t->kind == TOK_BYTES_INDEF || t->kind == TOK_TEXT_INDEF;
    uint64_t items = t->kind == TOK_ARRAY ? t->u : t->kind == TOK_MAP ? t->u * 2 : 0;
    if (depth > SKIP_MAX_DEPTH)
        return fail(r, t->offset, "unknown key's value nested too deep");
    if (t->kind == TOK_BREAK)
        return fail(r, t->offset, "unexpected break");
    if (t->kind == TOK_MAP && t->u > UINT64_MAX / 2)
        return fail(r, t->offset, "map too large");
    if (t->kind == TOK_TAG)
        items = 1;
    for (uint64_t i = 0; indef || i < items; i++) {
        tok_t c;
        int rc = next(r, &c);
        if (rc == 0 && indef && c.kind == TOK_BREAK && (t->kind != TOK_MAP_INDEF || i % 2 == 0))
            break;
        if (rc == 0 && (t->kind == TOK_BYTES_INDEF || t->kind == TOK_TEXT_INDEF) &&
            c.kind != t->kind - 1)
            rc = fail(r, c.offset, "bad chunk in an indefinite-length string");
        if (rc == 0)
            rc = skip_item(r, &c, depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int read_paths(reader_t *r, const tok_t *t, lwm2m_mqtt_msg_t *msg)
{
    bool indef = t->kind == TOK_ARRAY_INDEF;
    if (t->kind != TOK_ARRAY && !indef)
        return fail(r, t->offset, "paths must be an array of text strings");
    for (uint64_t i = 0; indef || i < t->u; i++) {
        tok_t c;
        int rc = next(r, &c);
        if (rc < 0)
            return rc;
        if (indef && c.kind == TOK_BREAK)
            break;
        if (msg->path_count == LWM2M_MQTT_MAX_PATHS)
            return lwm2m_error_set(r->err, LWM2M_ERR_TOO_LARGE, c.offset, "too many paths");
        if ((rc = read_string(r, &c, true, &msg->paths[msg->path_count])) < 0)
            return rc;
        msg->path_count++;
    }
    return 0;
}

static int read_uint(reader_t *r, const tok_t *t, uint64_t max, uint64_t *ret)
{
    if (t->kind != TOK_UINT || t->u > max)
        return fail(r, t->offset, "unsigned integer out of range");
    *ret = t->u;
    return 0;
}

static int read_field(reader_t *r, const field_t *f, const tok_t *t, lwm2m_mqtt_msg_t *msg)
{
    void *p = (char *)msg + f->value;
    uint64_t u = 0;
    int rc = 0;
    switch (f->kind) {
    case F_U8:
        rc = read_uint(r, t, UINT8_MAX, &u);
        *(uint8_t *)p = (uint8_t)u;
        return rc;
    case F_U16:
        rc = read_uint(r, t, UINT16_MAX, &u);
        *(uint16_t *)p = (uint16_t)u;
        return rc;
    case F_U32:
        rc = read_uint(r, t, UINT32_MAX, &u);
        *(uint32_t *)p = (uint32_t)u;
        return rc;
    case F_TOKEN: {
        lwm2m_mqtt_str_t s;
        if (t->kind == TOK_UINT) {
            msg->token.number = t->u;
            return 0;
        }
        if ((rc = read_string(r, t, false, &s)) == 0 && s.len > LWM2M_MQTT_TOKEN_MAX)
            rc = fail(r, t->offset, "token longer than 8 bytes");
        if (rc == 0)
            memcpy(msg->token.bytes, s.data, s.len);
        msg->token.is_bytes = true;
        msg->token.len = (uint8_t)s.len;
        return rc;
    }
    case F_TEXT:
        return read_string(r, t, true, p);
    case F_PATHS:
        return read_paths(r, t, msg);
    case F_PAYLOAD:
        msg->payload_is_text = t->kind == TOK_TEXT || t->kind == TOK_TEXT_INDEF;
        return read_string(r, t, msg->payload_is_text, p);
    case F_NUMBER:
        if (t->kind == TOK_UINT || t->kind == TOK_NEGINT)
            *(double *)p = t->kind == TOK_UINT ? (double)t->u : -1.0 - (double)t->u;
        else if (t->kind == TOK_FLOAT && isfinite(t->f))
            *(double *)p = t->f;
        else
            return fail(r, t->offset, "finite number expected");
        return 0;
    case F_EDGE:
        if ((t->kind != TOK_UINT && t->kind != TOK_BOOL) || t->u > 1)
            return fail(r, t->offset, "edge must be 0 or 1");
        msg->edge = t->u == 1;
        return 0;
    }
    return 0;
}

static int read_entry(reader_t *r, lwm2m_mqtt_msg_t *msg, const tok_t *key)
{
    tok_t value;
    int rc;
    if (key->kind != TOK_UINT)
        return fail(r, key->offset, "keys must be unsigned integers");
    const field_t *f = field_for_key(key->u);
    if ((rc = next(r, &value)) < 0)
        return rc;
    if (value.kind == TOK_BREAK)
        return fail(r, value.offset, "value missing");
    if (!f) {
        msg->unknown_keys++;
        return skip_item(r, &value, 0);
    }
    bool *has = (bool *)((char *)msg + f->has);
    if (*has)
        return fail(r, key->offset, "key given twice");
    *has = true;
    return read_field(r, f, &value, msg);
}

static int decode_map(reader_t *r, lwm2m_mqtt_msg_t *msg)
{
    tok_t map, key;
    int rc = next(r, &map);
    if (rc == 0 && map.kind != TOK_MAP && map.kind != TOK_MAP_INDEF)
        rc = fail(r, 0, "a message is a CBOR map");
    for (uint64_t i = 0; rc == 0 && (map.kind == TOK_MAP_INDEF || i < map.u); i++) {
        if ((rc = next(r, &key)) < 0)
            break;
        if (key.kind == TOK_BREAK && map.kind == TOK_MAP_INDEF)
            break;
        rc = read_entry(r, msg, &key);
    }
    if (rc == 0 && r->pos != r->len)
        rc = fail(r, r->pos, "bytes after the map");
    if (rc == 0 && msg->has_operation == msg->has_result)
        rc = fail(r, 0, "a message needs exactly one of operation and result");
    if (rc == 0 && msg->has_result && !valid_result(msg->result))
        rc = fail(r, 0, "result is not a CoAP response code");
    return rc;
}

int lwm2m_mqtt_msg_decode(const uint8_t *data, size_t len, lwm2m_mqtt_msg_t *msg,
                          lwm2m_error_t *err)
{
    size_t paths = LWM2M_MQTT_MAX_PATHS * sizeof(lwm2m_mqtt_str_t);
    reader_t r = {.data = data, .len = len, .err = err};
    memset(msg, 0, sizeof(*msg));
    if (len > (SIZE_MAX - paths) / 2 - 1)
        return lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, 0, "message too large");
    /* Every string is at most as long as its encoding, plus a NUL: 2 * len bounds them all. */
    msg->storage = malloc(paths + 2 * len + 1);
    if (!msg->storage)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    msg->paths = msg->storage;
    r.arena = (uint8_t *)msg->storage + paths;
    r.cap = 2 * len + 1;
    int rc = decode_map(&r, msg);
    if (rc < 0)
        lwm2m_mqtt_msg_clear(msg);
    else if (!msg->has_paths)
        msg->paths = NULL;
    return rc;
}

void lwm2m_mqtt_msg_clear(lwm2m_mqtt_msg_t *msg)
{
    if (!msg)
        return;
    free(msg->storage);
    memset(msg, 0, sizeof(*msg));
}

/* ---- encoder ---- */

static int put_head(lwm2m_buf_t *out, size_t (*fn)(size_t, unsigned char *, size_t), size_t n)
{
    unsigned char tmp[9];
    return lwm2m_buf_append(out, tmp, fn(n, tmp, sizeof(tmp)));
}

static int put_uint(lwm2m_buf_t *out, uint64_t v)
{
    unsigned char tmp[9];
    return lwm2m_buf_append(out, tmp, cbor_encode_uint(v, tmp, sizeof(tmp)));
}

static int put_string(lwm2m_buf_t *out, bool text, const void *data, size_t len)
{
    int rc = put_head(out, text ? cbor_encode_string_start : cbor_encode_bytestring_start, len);
    return rc < 0 || len == 0 ? rc : lwm2m_buf_append(out, data, len);
}

/* An integral number as an integer, else the shorter of single and double that is exact. */
static int put_number(lwm2m_buf_t *out, double v)
{
    unsigned char tmp[9];
    size_t n;
    if (v == trunc(v) && fabs(v) < 9007199254740992.0)
        n = v >= 0 ? cbor_encode_uint((uint64_t)v, tmp, sizeof(tmp))
                   : cbor_encode_negint((uint64_t)(-1.0 - v), tmp, sizeof(tmp));
    else if (fabs(v) <= FLT_MAX && (double)(float)v == v)
        n = cbor_encode_single((float)v, tmp, sizeof(tmp));
    else
        n = cbor_encode_double(v, tmp, sizeof(tmp));
    return lwm2m_buf_append(out, tmp, n);
}

static int put_field(lwm2m_buf_t *out, const field_t *f, const lwm2m_mqtt_msg_t *msg)
{
    const void *p = (const char *)msg + f->value;
    const lwm2m_mqtt_str_t *s = p;
    int rc = 0;
    switch (f->kind) {
    case F_U8:
        return put_uint(out, *(const uint8_t *)p);
    case F_U16:
        return put_uint(out, *(const uint16_t *)p);
    case F_U32:
        return put_uint(out, *(const uint32_t *)p);
    case F_TOKEN:
        if (msg->token.is_bytes)
            return put_string(out, false, msg->token.bytes, msg->token.len);
        return put_uint(out, msg->token.number);
    case F_TEXT:
        return put_string(out, true, s->data, s->len);
    case F_PATHS:
        rc = put_head(out, cbor_encode_array_start, msg->path_count);
        for (size_t i = 0; rc == 0 && i < msg->path_count; i++)
            rc = put_string(out, true, msg->paths[i].data, msg->paths[i].len);
        return rc;
    case F_PAYLOAD:
        return put_string(out, msg->payload_is_text, s->data, s->len);
    case F_NUMBER:
        return put_number(out, *(const double *)p);
    case F_EDGE:
        return put_uint(out, msg->edge ? 1 : 0);
    }
    return 0;
}

static const char *encode_problem(const lwm2m_mqtt_msg_t *msg)
{
    if (msg->has_operation == msg->has_result)
        return "a message needs exactly one of operation and result";
    if (msg->has_result && !valid_result(msg->result))
        return "result is not a CoAP response code";
    if (msg->has_token && msg->token.is_bytes && msg->token.len > LWM2M_MQTT_TOKEN_MAX)
        return "token longer than 8 bytes";
    if ((msg->has_gt && !isfinite(msg->gt)) || (msg->has_st && !isfinite(msg->st)))
        return "gt/st not finite";
    const lwm2m_mqtt_str_t *texts[] = {&msg->ep, &msg->uri, &msg->version, &msg->binding,
                                       &msg->sms};
    const bool has[] = {msg->has_ep, msg->has_uri, msg->has_version, msg->has_binding,
                        msg->has_sms};
    for (size_t i = 0; i < sizeof(has) / sizeof(has[0]); i++)
        if (has[i] && !cbor_utf8_valid((const uint8_t *)texts[i]->data, texts[i]->len))
            return "text not UTF-8";
    if (msg->has_payload && msg->payload_is_text &&
        !cbor_utf8_valid((const uint8_t *)msg->payload.data, msg->payload.len))
        return "text payload not UTF-8";
    for (size_t i = 0; msg->has_paths && i < msg->path_count; i++)
        if (!cbor_utf8_valid((const uint8_t *)msg->paths[i].data, msg->paths[i].len))
            return "path not UTF-8";
    return NULL;
}

int lwm2m_mqtt_msg_encode(const lwm2m_mqtt_msg_t *msg, lwm2m_buf_t *out, lwm2m_error_t *err)
{
    const char *problem = encode_problem(msg);
    size_t count = 0;
    if (problem)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "%s", problem);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        count += *(const bool *)((const char *)msg + fields[i].has);
    int rc = put_head(out, cbor_encode_map_start, count);
    for (size_t i = 0; rc == 0 && i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!*(const bool *)((const char *)msg + fields[i].has))
            continue;
        rc = put_uint(out, fields[i].key);
        if (rc == 0)
            rc = put_field(out, &fields[i], msg);
    }
    if (rc < 0)
        return lwm2m_error_set(err, rc, out->len, "%s",
                               rc == LWM2M_ERR_TOO_LARGE ? "output too large" : "out of memory");
    return 0;
}

/* ---- topics ---- */

/* One or more non-empty levels without wildcards or NUL. */
static bool levels_valid(const char *s, size_t n, bool multi)
{
    if (n == 0 || s[0] == '/' || s[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '+' || s[i] == '#' || s[i] == 0 || (s[i] == '/' && (!multi || s[i + 1] == '/')))
            return false;
    return true;
}

int lwm2m_mqtt_topic_parse(const char *topic, size_t len, lwm2m_mqtt_topic_t *ret,
                           lwm2m_error_t *err)
{
    const char *slash = len ? memrchr(topic, '/', len) : NULL;
    size_t e = slash ? (size_t)(slash - topic) : 0; /* "lwm2m/rd" ends at e */
    lwm2m_mqtt_topic_t t = {0};
    if (!slash || e < 8 || memcmp(topic + e - 8, "lwm2m/", 6) != 0 ||
        (e > 8 && topic[e - 9] != '/'))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "not an LwM2M topic");
    if (memcmp(topic + e - 2, "bs", 2) == 0)
        t.interface = LWM2M_MQTT_BOOTSTRAP;
    else if (memcmp(topic + e - 2, "rd", 2) == 0)
        t.interface = LWM2M_MQTT_REGISTRATION;
    else
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, e - 2, "neither bs nor rd");
    t.endpoint = (lwm2m_mqtt_str_t){topic + e + 1, len - e - 1};
    if (e > 8)
        t.prefix = (lwm2m_mqtt_str_t){topic, e - 9};
    if (!levels_valid(t.endpoint.data, t.endpoint.len, false))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, e + 1, "bad endpoint name");
    if (e > 8 && !levels_valid(t.prefix.data, t.prefix.len, true))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "bad prefix");
    *ret = t;
    return 0;
}

int lwm2m_mqtt_topic_format(const char *prefix, lwm2m_mqtt_interface_t interface,
                            const char *endpoint, char *buf, size_t size)
{
    size_t pl = prefix ? strlen(prefix) : 0, el = endpoint ? strlen(endpoint) : 1;
    if ((pl && !levels_valid(prefix, pl, true)) || (endpoint && !levels_valid(endpoint, el, false)))
        return LWM2M_ERR_BAD_REQUEST;
    size_t n = pl + (pl ? 1 : 0) + 9 + el;
    if (n >= size || n > INT32_MAX)
        return LWM2M_ERR_TOO_LARGE;
    char *p = buf;
    if (pl) {
        memcpy(p, prefix, pl);
        p[pl] = '/';
        p += pl + 1;
    }
    memcpy(p, interface == LWM2M_MQTT_BOOTSTRAP ? "lwm2m/bs/" : "lwm2m/rd/", 9);
    memcpy(p + 9, endpoint ? endpoint : "#", el);
    p[9 + el] = 0;
    return (int)n;
}
