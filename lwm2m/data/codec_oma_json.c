/* codec_oma_json.c - OMA LwM2M JSON (CF 11543): the raw document (oma_json.h) with json-c, and
 * the node codec on top of it.
 *
 * Decoding: a record's path is bn + n as plain string concatenation ("3/0/1" + "1/0" is
 * /3/0/11/0, as Leshan reads it), so Zephyr's {"bn":"/65535/0/","n":"1"} and Leshan's full-path
 * bn without n both work; missing or doubled slashes are tolerated. Times are bt + t, integral or
 * not. Types come from the model, else from the member ("v" integer or float as written).
 * Timestamped nodes come out newest first, then by path (Leshan's order); others in record order.
 * json-c clamps out-of-range integer literals silently, so a scan of the text refuses those
 * before json-c sees them.
 *
 * Encoding: bn is the request path cut to its instance ("/3/0/"), names are relative; a series
 * of timestamped values of the requested resource itself gets bn = that path and no names
 * (Leshan). Absolute "t" per record, no "bt". Time is an integer "v", opaque base64 in "sv". */
#include "lwm2m/oma_json.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"

#define JSON_MAX_DEPTH 8
#define NAME_MAX_LEN 128

/* ---- the raw document ---- */

void lwm2m_oma_json_doc_clear(lwm2m_oma_json_doc_t *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < doc->count; i++) {
        free(doc->records[i].name);
        if (doc->records[i].value.type == LWM2M_TYPE_STRING)
            free(doc->records[i].value.u.bytes.data);
    }
    free(doc->records);
    free(doc->base_name);
    size_t max = doc->max_records;
    memset(doc, 0, sizeof(*doc));
    doc->max_records = max;
}

int lwm2m_oma_json_doc_add(lwm2m_oma_json_doc_t *doc, const char *name, lwm2m_oma_json_kind_t kind,
                           const lwm2m_value_t *value, const lwm2m_value_t *time)
{
    size_t max = doc->max_records ? doc->max_records : LWM2M_OMA_JSON_DEFAULT_MAX_RECORDS;
    if (doc->count >= max)
        return LWM2M_ERR_TOO_LARGE;
    if (doc->count == doc->capacity) {
        size_t cap = doc->capacity ? doc->capacity * 2 : 8;
        lwm2m_oma_json_record_t *r = realloc(doc->records, cap * sizeof(*r));
        if (!r)
            return LWM2M_ERR_INTERNAL;
        doc->records = r;
        doc->capacity = cap;
    }
    lwm2m_oma_json_record_t rec = {.kind = kind, .has_time = time != NULL};
    if (value)
        rec.value = *value;
    if (time)
        rec.time = *time;
    if (name && !(rec.name = strdup(name)))
        return LWM2M_ERR_INTERNAL;
    if (rec.value.type == LWM2M_TYPE_STRING) {
        uint8_t *copy = malloc(rec.value.u.bytes.len + 1);
        if (!copy)
            return free(rec.name), LWM2M_ERR_INTERNAL;
        if (rec.value.u.bytes.len)
            memcpy(copy, value->u.bytes.data, rec.value.u.bytes.len);
        copy[rec.value.u.bytes.len] = 0;
        rec.value.u.bytes.data = copy;
    }
    doc->records[doc->count++] = rec;
    return 0;
}

/* Walks the text outside strings: refuses integer literals outside [-2^63, 2^64) (json-c would
 * clamp them), and finds where record `want` starts (the want-th object directly inside an array
 * directly inside the root object; *ret_offset untouched when there is none). */
static int scan(const uint8_t *s, size_t n, size_t want, size_t *ret_offset, lwm2m_error_t *err)
{
    char stack[2] = {0, 0};
    size_t depth = 0, records = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                i += s[i] == '\\';
        } else if (c == '{' || c == '[') {
            if (c == '{' && depth == 2 && stack[0] == '{' && stack[1] == '[' && records++ == want)
                *ret_offset = i;
            if (depth < sizeof(stack))
                stack[depth] = (char)c;
            depth++;
        } else if (c == '}' || c == ']') {
            depth -= depth > 0;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            bool integral = true;
            while (i + 1 < n && s[i + 1] && strchr("0123456789+-.eE", s[i + 1]))
                integral &= !strchr(".eE", s[++i]);
            int64_t iv;
            uint64_t uv;
            const char *t = (const char *)s + start;
            int rc = c == '-' ? lwm2m_parse_int64(t, i + 1 - start, &iv)
                              : lwm2m_parse_uint64(t, i + 1 - start, &uv);
            if (integral && rc == LWM2M_ERR_TOO_LARGE)
                return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, start,
                                       "integer outside the 64-bit range");
        }
    }
    return 0;
}

/* -400 (or code) for record `record` (SIZE_MAX: the document), at the record's offset. */
static int doc_fail_code(const uint8_t *data, size_t len, size_t record, lwm2m_error_t *err,
                         int code, const char *msg)
{
    size_t off = 0;
    if (record == SIZE_MAX)
        return lwm2m_error_set(err, code, 0, "%s", msg);
    scan(data, len, record, &off, NULL);
    return lwm2m_error_set(err, code, off, "record %zu: %s", record, msg);
}

static int doc_fail(const uint8_t *data, size_t len, size_t record, lwm2m_error_t *err,
                    const char *msg)
{
    return doc_fail_code(data, len, record, err, LWM2M_ERR_BAD_REQUEST, msg);
}

static bool json_number(json_object *o, lwm2m_value_t *ret)
{
    if (json_object_is_type(o, json_type_double)) {
        *ret = lwm2m_value_float(json_object_get_double(o));
        return true;
    }
    if (!json_object_is_type(o, json_type_int))
        return false;
    int64_t i = json_object_get_int64(o);
    uint64_t u = json_object_get_uint64(o); /* json-c keeps uint64 above INT64_MAX apart */
    *ret = i == INT64_MAX && u > (uint64_t)INT64_MAX ? lwm2m_value_unsigned(u)
                                                     : lwm2m_value_integer(i);
    return true;
}

/* One "e" entry: at most one value member, "n" a string, "t" a number. */
static const char *parse_record(json_object *rec, lwm2m_oma_json_doc_t *doc, int *code)
{
    static const struct {
        const char *key;
        lwm2m_oma_json_kind_t kind;
    } members[] = {{"v", LWM2M_OMA_JSON_V},
                   {"sv", LWM2M_OMA_JSON_SV},
                   {"bv", LWM2M_OMA_JSON_BV},
                   {"ov", LWM2M_OMA_JSON_OV}};
    json_object *n = NULL, *t = NULL, *m;
    lwm2m_value_t value = {0}, time = {0};
    lwm2m_oma_json_kind_t kind = LWM2M_OMA_JSON_NO_VALUE;
    if (!json_object_is_type(rec, json_type_object))
        return "not an object";
    if (json_object_object_get_ex(rec, "n", &n) && !json_object_is_type(n, json_type_string))
        return "\"n\" is not a string";
    if (json_object_object_get_ex(rec, "t", &t) && !json_number(t, &time))
        return "\"t\" is not a number";
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        if (!json_object_object_get_ex(rec, members[i].key, &m))
            continue;
        if (kind != LWM2M_OMA_JSON_NO_VALUE)
            return "more than one value";
        kind = members[i].kind;
        if (kind == LWM2M_OMA_JSON_V && !json_number(m, &value))
            return "\"v\" is not a number";
        if (kind == LWM2M_OMA_JSON_BV && !json_object_is_type(m, json_type_boolean))
            return "\"bv\" is not a boolean";
        if (kind == LWM2M_OMA_JSON_BV)
            value = lwm2m_value_boolean(json_object_get_boolean(m));
        if ((kind == LWM2M_OMA_JSON_SV || kind == LWM2M_OMA_JSON_OV) &&
            !json_object_is_type(m, json_type_string))
            return "\"sv\"/\"ov\" is not a string";
        if (kind == LWM2M_OMA_JSON_SV || kind == LWM2M_OMA_JSON_OV)
            value = lwm2m_value_bytes(LWM2M_TYPE_STRING, json_object_get_string(m),
                                      (size_t)json_object_get_string_len(m));
    }
    int rc = lwm2m_oma_json_doc_add(doc, n ? json_object_get_string(n) : NULL, kind, &value,
                                    t ? &time : NULL);
    if (rc < 0)
        *code = rc;
    return rc == 0 ? NULL : rc == LWM2M_ERR_TOO_LARGE ? "too many records" : "out of memory";
}

static int parse_root(const uint8_t *data, size_t len, json_object *root, lwm2m_oma_json_doc_t *doc,
                      lwm2m_error_t *err)
{
    json_object *bn, *bt, *e;
    if (!json_object_is_type(root, json_type_object))
        return doc_fail(data, len, SIZE_MAX, err, "not a JSON object");
    if (json_object_object_get_ex(root, "bn", &bn)) {
        if (!json_object_is_type(bn, json_type_string))
            return doc_fail(data, len, SIZE_MAX, err, "\"bn\" is not a string");
        if (!(doc->base_name = strdup(json_object_get_string(bn))))
            return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    }
    if (json_object_object_get_ex(root, "bt", &bt)) {
        if (!json_number(bt, &doc->base_time))
            return doc_fail(data, len, SIZE_MAX, err, "\"bt\" is not a number");
        doc->has_base_time = true;
    }
    if (!json_object_object_get_ex(root, "e", &e) || !json_object_is_type(e, json_type_array))
        return doc_fail(data, len, SIZE_MAX, err, "no \"e\" array");
    for (size_t i = 0; i < json_object_array_length(e); i++) {
        int code = LWM2M_ERR_BAD_REQUEST;
        const char *why = parse_record(json_object_array_get_idx(e, i), doc, &code);
        if (why)
            return doc_fail_code(data, len, i, err, code, why);
    }
    return 0;
}

int lwm2m_oma_json_parse(const uint8_t *data, size_t len, lwm2m_oma_json_doc_t *doc,
                         lwm2m_error_t *err)
{
    if (len == 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "empty payload");
    if (len > INT32_MAX)
        return lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, 0, "payload too large");
    int rc = scan(data, len, SIZE_MAX, NULL, err);
    if (rc < 0)
        return rc;
    json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (!tok)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, (const char *)data, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success || end != len) {
        json_object_put(root);
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, end, "bad JSON: %s",
                               jerr == json_tokener_continue ? "truncated"
                               : root                        ? "trailing bytes"
                                                             : json_tokener_error_desc(jerr));
    }
    rc = parse_root(data, len, root, doc, err);
    json_object_put(root);
    return rc;
}

static int put_json_string(lwm2m_buf_t *out, const uint8_t *s, size_t n)
{
    int rc = lwm2m_buf_append_byte(out, '"');
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\')
            rc = lwm2m_buf_printf(out, "\\%c", c);
        else if (c == '\n')
            rc = lwm2m_buf_append_str(out, "\\n");
        else if (c < 0x20)
            rc = lwm2m_buf_printf(out, "\\u%04x", c);
        else
            rc = lwm2m_buf_append_byte(out, c);
    }
    return rc < 0 ? rc : lwm2m_buf_append_byte(out, '"');
}

static int put_number(lwm2m_buf_t *out, const lwm2m_value_t *v)
{
    char text[40];
    if (v->type == LWM2M_TYPE_UNSIGNED)
        return lwm2m_buf_printf(out, "%" PRIu64, v->u.unsigned_integer);
    if (v->type != LWM2M_TYPE_FLOAT)
        return lwm2m_buf_printf(out, "%" PRId64, v->u.integer);
    double f = v->u.floating;
    if (!isfinite(f))
        return LWM2M_ERR_NOT_ACCEPTABLE;
    if (f == trunc(f) && fabs(f) < 1e15) /* "-10.0", where %g would say "-1e+01" */
        return lwm2m_buf_printf(out, "%.1f", f);
    int n = lwm2m_format_double(f, text, sizeof(text));
    return n < 0 ? n : lwm2m_buf_append(out, text, (size_t)n);
}

static bool is_number(const lwm2m_value_t *v)
{
    return v->type == LWM2M_TYPE_INTEGER || v->type == LWM2M_TYPE_UNSIGNED ||
           v->type == LWM2M_TYPE_FLOAT;
}

/* Whether the record's value has the type its member needs (records may be built by hand). */
static bool record_consistent(const lwm2m_oma_json_record_t *r)
{
    lwm2m_type_t t = r->value.type;
    if (r->has_time && !is_number(&r->time))
        return false;
    switch (r->kind) {
    case LWM2M_OMA_JSON_NO_VALUE:
        return true;
    case LWM2M_OMA_JSON_V:
        return is_number(&r->value);
    case LWM2M_OMA_JSON_BV:
        return t == LWM2M_TYPE_BOOLEAN;
    case LWM2M_OMA_JSON_SV:
    case LWM2M_OMA_JSON_OV:
        return t == LWM2M_TYPE_STRING;
    }
    return false;
}

static int put_record(lwm2m_buf_t *out, const lwm2m_oma_json_record_t *r)
{
    static const char *const keys[] = {"", "\"v\":", "\"sv\":", "\"bv\":", "\"ov\":"};
    if (!record_consistent(r))
        return LWM2M_ERR_NOT_ACCEPTABLE;
    int rc = lwm2m_buf_append_byte(out, '{');
    if (rc == 0 && r->name) {
        rc = lwm2m_buf_append_str(out, "\"n\":");
        if (rc == 0)
            rc = put_json_string(out, (const uint8_t *)r->name, strlen(r->name));
        if (rc == 0 && r->kind != LWM2M_OMA_JSON_NO_VALUE)
            rc = lwm2m_buf_append_byte(out, ',');
    }
    if (rc == 0 && r->kind != LWM2M_OMA_JSON_NO_VALUE)
        rc = lwm2m_buf_append_str(out, keys[r->kind]);
    if (rc == 0 && r->kind == LWM2M_OMA_JSON_V)
        rc = put_number(out, &r->value);
    else if (rc == 0 && r->kind == LWM2M_OMA_JSON_BV)
        rc = lwm2m_buf_append_str(out, r->value.u.boolean ? "true" : "false");
    else if (rc == 0 && r->kind != LWM2M_OMA_JSON_NO_VALUE)
        rc = put_json_string(out, r->value.u.bytes.data, r->value.u.bytes.len);
    if (rc == 0 && r->has_time) {
        rc = lwm2m_buf_append_str(out, r->name || r->kind ? ",\"t\":" : "\"t\":");
        if (rc == 0)
            rc = put_number(out, &r->time);
    }
    return rc < 0 ? rc : lwm2m_buf_append_byte(out, '}');
}

int lwm2m_oma_json_format(const lwm2m_oma_json_doc_t *doc, lwm2m_buf_t *out, lwm2m_error_t *err)
{
    int rc = lwm2m_buf_append_byte(out, '{');
    if (rc == 0 && doc->base_name) {
        rc = lwm2m_buf_append_str(out, "\"bn\":");
        if (rc == 0)
            rc = put_json_string(out, (const uint8_t *)doc->base_name, strlen(doc->base_name));
        if (rc == 0)
            rc = lwm2m_buf_append_byte(out, ',');
    }
    if (rc == 0)
        rc = lwm2m_buf_append_str(out, "\"e\":[");
    for (size_t i = 0; rc == 0 && i < doc->count; i++) {
        if (i)
            rc = lwm2m_buf_append_byte(out, ',');
        if (rc == 0)
            rc = put_record(out, &doc->records[i]);
    }
    if (rc == 0)
        rc = lwm2m_buf_append_byte(out, ']');
    if (rc == 0 && doc->has_base_time) {
        rc = lwm2m_buf_append_str(out, ",\"bt\":");
        if (rc == 0)
            rc = is_number(&doc->base_time) ? put_number(out, &doc->base_time)
                                            : LWM2M_ERR_NOT_ACCEPTABLE;
    }
    if (rc == 0)
        rc = lwm2m_buf_append_byte(out, '}');
    if (rc < 0)
        return lwm2m_error_set(err, rc, out->len, "%s",
                               rc == LWM2M_ERR_NOT_ACCEPTABLE ? "NaN, Infinity or a bad record"
                               : rc == LWM2M_ERR_TOO_LARGE    ? "output too large"
                                                              : "out of memory");
    return 0;
}

/* ---- base64 (opaque in "sv"): standard alphabet with padding out; either alphabet in ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *s, size_t n)
{
    char *out = malloc((n + 2) / 3 * 4 + 1), *p = out;
    for (size_t i = 0; out && i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        *p++ = b64[v >> 18 & 63];
        *p++ = b64[v >> 12 & 63];
        *p++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
        *p++ = i + 2 < n ? b64[v & 63] : '=';
    }
    if (out)
        *p = 0;
    return out;
}

/* Decodes in place (the output is never longer than the input). -1 on a bad character. */
static long base64_decode(uint8_t *s, size_t n)
{
    uint32_t acc = 0;
    size_t bits = 0, out = 0;
    while (n > 0 && s[n - 1] == '=')
        n--;
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i] == '-' ? b64 + 62 : s[i] == '_' ? b64 + 63 : strchr(b64, s[i]);
        if (!s[i] || !p)
            return -1;
        acc = acc << 6 | (uint32_t)(p - b64);
        if ((bits += 6) >= 8) {
            bits -= 8;
            s[out++] = (uint8_t)(acc >> bits);
        }
    }
    return bits >= 6 ? -1 : (long)out;
}

/* ---- nodes ---- */

static bool in_base(const lwm2m_path_t *base, const lwm2m_path_t *p)
{
    return (base->depth == 0 && !base->prefix[0]) || lwm2m_path_contains(base, p);
}

/* The path of bn + n ("" names the request path). */
static int record_path(const lwm2m_oma_json_doc_t *doc, const lwm2m_oma_json_record_t *r,
                       const lwm2m_path_t *base, lwm2m_path_t *ret)
{
    char name[NAME_MAX_LEN];
    unsigned flags = LWM2M_PATH_LENIENT | LWM2M_PATH_ALLOW_RESERVED | LWM2M_PATH_ALLOW_PREFIX;
    size_t bl = doc->base_name ? strlen(doc->base_name) : 0, nl = r->name ? strlen(r->name) : 0;
    if (bl + nl >= sizeof(name))
        return -1;
    if (bl + nl == 0)
        return (*ret = *base), 0;
    if (bl)
        memcpy(name, doc->base_name, bl);
    if (nl)
        memcpy(name + bl, r->name, nl);
    /* No bn and a relative name ({"e":[{"n":"0",..}]} for /3/0): relative to the request. */
    if (!bl && name[0] != '/' && lwm2m_path_format(base, name, sizeof(name)) > 0 &&
        strlen(name) + nl + 2 < sizeof(name)) {
        size_t n = strlen(name);
        snprintf(name + n, sizeof(name) - n, "%s%s", name[n - 1] == '/' ? "" : "/", r->name);
        if (lwm2m_path_parse(name, strlen(name), flags, ret) == 0 && ret->depth >= 3)
            return 0;
        memcpy(name, r->name, nl); /* not a path that way: take it as absolute */
    }
    return lwm2m_path_parse(name, bl + nl, flags, ret) < 0 ? -1 : 0;
}

static bool int_value(const lwm2m_value_t *v, int64_t *ret)
{
    double f = v->u.floating;
    if (v->type == LWM2M_TYPE_INTEGER)
        return (*ret = v->u.integer), true;
    if (v->type != LWM2M_TYPE_FLOAT || !isfinite(f) || f != trunc(f) ||
        f < -9223372036854775808.0 || f >= 9223372036854775808.0)
        return false;
    return (*ret = (int64_t)f), true;
}

static double number_value(const lwm2m_value_t *v)
{
    return v->type == LWM2M_TYPE_FLOAT      ? v->u.floating
           : v->type == LWM2M_TYPE_UNSIGNED ? (double)v->u.unsigned_integer
                                            : (double)v->u.integer;
}

/* Applies the resource type to a record's value. Opaque bytes are base64-decoded into *owned. */
static const char *record_value(const lwm2m_oma_json_record_t *r, lwm2m_type_t type,
                                lwm2m_value_t *v, uint8_t **owned)
{
    static const lwm2m_type_t natural[] = {LWM2M_TYPE_NONE, LWM2M_TYPE_UNKNOWN, LWM2M_TYPE_STRING,
                                           LWM2M_TYPE_BOOLEAN, LWM2M_TYPE_OBJLNK};
    const lwm2m_value_t *in = &r->value;
    bool is_v = r->kind == LWM2M_OMA_JSON_V, is_sv = r->kind == LWM2M_OMA_JSON_SV;
    int64_t i = 0;
    long n = -1;
    lwm2m_objlnk_t link;
    if (r->kind == LWM2M_OMA_JSON_NO_VALUE)
        return "no value";
    if (type == LWM2M_TYPE_UNKNOWN) /* LwM2M 1.0 has no unsigned type: integers are int64 */
        type = !is_v                          ? natural[r->kind]
               : in->type == LWM2M_TYPE_FLOAT ? LWM2M_TYPE_FLOAT
                                              : LWM2M_TYPE_INTEGER;
    switch (type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        if (!is_v || !int_value(in, &i))
            return "not a 64-bit integer";
        *v = type == LWM2M_TYPE_TIME ? lwm2m_value_time(i) : lwm2m_value_integer(i);
        return NULL;
    case LWM2M_TYPE_UNSIGNED:
        if (is_v && in->type == LWM2M_TYPE_UNSIGNED)
            *v = *in;
        else if (is_v && int_value(in, &i) && i >= 0)
            *v = lwm2m_value_unsigned((uint64_t)i);
        else
            return "not an unsigned 64-bit integer";
        return NULL;
    case LWM2M_TYPE_FLOAT:
        if (!is_v)
            return "not a number";
        *v = lwm2m_value_float(number_value(in));
        return NULL;
    case LWM2M_TYPE_BOOLEAN:
        if (r->kind != LWM2M_OMA_JSON_BV)
            return "not a \"bv\"";
        *v = *in;
        return NULL;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        if (!is_sv)
            return "not an \"sv\"";
        *v = lwm2m_value_bytes(type, in->u.bytes.data, in->u.bytes.len);
        return NULL;
    case LWM2M_TYPE_OPAQUE:
        if (is_sv && (*owned = malloc(in->u.bytes.len + 1)) != NULL) {
            memcpy(*owned, in->u.bytes.data, in->u.bytes.len);
            n = base64_decode(*owned, in->u.bytes.len);
        }
        if (n < 0)
            return "not base64 in \"sv\"";
        *v = lwm2m_value_bytes(type, *owned, (size_t)n);
        return NULL;
    case LWM2M_TYPE_OBJLNK:
        if (r->kind != LWM2M_OMA_JSON_OV ||
            lwm2m_objlnk_parse((const char *)in->u.bytes.data, in->u.bytes.len, &link) < 0)
            return "not an objlnk \"ov\"";
        *v = lwm2m_value_objlnk(link.object, link.instance);
        return NULL;
    default:
        return "the resource takes no value";
    }
}

static double record_time(const lwm2m_oma_json_doc_t *doc, const lwm2m_oma_json_record_t *r)
{
    return (doc->has_base_time ? number_value(&doc->base_time) : 0) +
           (r->has_time ? number_value(&r->time) : 0);
}

static int decode_record(const lwm2m_oma_json_doc_t *doc, size_t i, const lwm2m_path_t *base,
                         const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out, const uint8_t *data,
                         size_t len, lwm2m_error_t *err)
{
    const lwm2m_oma_json_record_t *r = &doc->records[i];
    lwm2m_path_t path;
    lwm2m_value_t v;
    lwm2m_node_t *node;
    uint8_t *owned = NULL;
    const char *why = NULL;
    double time = record_time(doc, r);
    if (record_path(doc, r, base, &path) < 0)
        why = "\"bn\" + \"n\" is not a path";
    else if (!in_base(base, &path))
        why = "path outside the request path";
    else if (path.depth < 3)
        why = "value at object or instance level";
    else if (!isfinite(time))
        why = "time is not finite";
    else
        why = record_value(r, lwm2m_decode_type(opts, &path), &v, &owned);
    if (why) {
        free(owned);
        return doc_fail(data, len, i, err, why);
    }
    int rc = lwm2m_nodes_add(out, &path, &v, &node);
    free(owned);
    if (rc < 0)
        return lwm2m_error_set(err, rc, 0, "record %zu: %s", i,
                               rc == LWM2M_ERR_TOO_LARGE ? "too many values" : "out of memory");
    node->has_time = doc->has_base_time || r->has_time;
    node->time = node->has_time ? time : 0;
    return 0;
}

/* An empty "e": the empty instance or multi-instance resource that bn (or the request) names. */
static int decode_empty(const lwm2m_oma_json_doc_t *doc, const lwm2m_path_t *base,
                        const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    lwm2m_oma_json_record_t none = {0};
    lwm2m_path_t p;
    if (record_path(doc, &none, base, &p) < 0 || !in_base(base, &p))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "bad \"bn\"");
    if (p.depth < 2)
        return 0; /* everything, or an object: no instances */
    if (p.depth == 4 ||
        (p.depth == 3 && lwm2m_model_is_multiple(opts ? opts->model : NULL, p.id[0], p.id[2]) == 0))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "a single resource can't be empty");
    lwm2m_value_t v = lwm2m_value_none(p.depth == 2 ? LWM2M_TYPE_INSTANCE : LWM2M_TYPE_MULTIPLE);
    int rc = lwm2m_nodes_add(out, &p, &v, NULL);
    return rc < 0 ? lwm2m_error_set(err, rc, 0, "cannot add a node") : 0;
}

typedef struct ref {
    lwm2m_node_t node;
    size_t index;
} ref_t;

/* Untimed first, then newest first, then by path (parents before children), then by record. */
static int compare_refs(const void *a, const void *b)
{
    const ref_t *x = a, *y = b;
    int c;
    if (x->node.has_time != y->node.has_time)
        return x->node.has_time ? 1 : -1;
    if (x->node.has_time && x->node.time != y->node.time)
        return x->node.time > y->node.time ? -1 : 1;
    if ((c = lwm2m_path_compare(&x->node.path, &y->node.path)) != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Refuses a path given twice for the same time (or a value inside another), and puts timed
 * series newest first. */
static int check_and_order(lwm2m_nodes_t *out, size_t start, const uint8_t *data, size_t len,
                           lwm2m_error_t *err)
{
    size_t n = out->count - start;
    bool timed = false;
    int rc = 0;
    if (n < 2)
        return 0;
    ref_t *refs = malloc(n * sizeof(*refs));
    if (!refs)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        refs[i] = (ref_t){out->items[start + i], i};
        timed |= refs[i].node.has_time;
    }
    qsort(refs, n, sizeof(*refs), compare_refs);
    for (size_t i = 1; rc == 0 && i < n; i++) {
        const lwm2m_node_t *a = &refs[i - 1].node, *b = &refs[i].node;
        if (a->has_time == b->has_time && a->time == b->time &&
            lwm2m_path_contains(&a->path, &b->path))
            rc = doc_fail(data, len,
                          refs[i].index > refs[i - 1].index ? refs[i].index : refs[i - 1].index,
                          err, "path given twice");
    }
    for (size_t i = 0; rc == 0 && timed && i < n; i++)
        out->items[start + i] = refs[i].node;
    free(refs);
    return rc;
}

static int oma_json_decode(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                           const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    lwm2m_oma_json_doc_t doc = {0};
    size_t start = out->count;
    int rc = lwm2m_oma_json_parse(data, len, &doc, err);
    if (rc == 0 && doc.count == 0)
        rc = decode_empty(&doc, base, opts, out, err);
    for (size_t i = 0; rc == 0 && i < doc.count; i++)
        rc = decode_record(&doc, i, base, opts, out, data, len, err);
    if (rc == 0)
        rc = check_and_order(out, start, data, len, err);
    lwm2m_oma_json_doc_clear(&doc);
    return rc;
}

/* A node's record member and value (bytes may point into *owned, which the caller frees). */
static int node_member(const lwm2m_node_t *node, lwm2m_oma_json_kind_t *kind, lwm2m_value_t *v,
                       char **owned)
{
    const lwm2m_value_t *in = &node->value;
    *kind = LWM2M_OMA_JSON_V;
    *v = *in;
    switch (in->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_UNSIGNED:
        return 0;
    case LWM2M_TYPE_FLOAT:
        return isfinite(in->u.floating) ? 0 : LWM2M_ERR_NOT_ACCEPTABLE;
    case LWM2M_TYPE_TIME:
        *v = lwm2m_value_integer(in->u.integer);
        return 0;
    case LWM2M_TYPE_BOOLEAN:
        *kind = LWM2M_OMA_JSON_BV;
        return 0;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        *kind = LWM2M_OMA_JSON_SV;
        *v = lwm2m_value_bytes(LWM2M_TYPE_STRING, in->u.bytes.data, in->u.bytes.len);
        return 0;
    case LWM2M_TYPE_OPAQUE:
        *kind = LWM2M_OMA_JSON_SV;
        if (!(*owned = base64_encode(in->u.bytes.data, in->u.bytes.len)))
            return LWM2M_ERR_INTERNAL;
        *v = lwm2m_value_bytes(LWM2M_TYPE_STRING, *owned, strlen(*owned));
        return 0;
    case LWM2M_TYPE_OBJLNK:
        *kind = LWM2M_OMA_JSON_OV;
        if (!(*owned = malloc(12)))
            return LWM2M_ERR_INTERNAL;
        lwm2m_objlnk_format(in->u.objlnk, *owned, 12);
        *v = lwm2m_value_bytes(LWM2M_TYPE_STRING, *owned, strlen(*owned));
        return 0;
    default:
        return LWM2M_ERR_NOT_ACCEPTABLE;
    }
}

static bool is_marker(const lwm2m_node_t *n)
{
    return n->value.type == LWM2M_TYPE_MULTIPLE || n->value.type == LWM2M_TYPE_INSTANCE;
}

/* bn for the nodes: the request path cut to its instance, with a '/' for relative names; the
 * request path itself, without names, for an empty container or a timed series at it. Returns
 * the depth names start at (beyond 4: no names). */
static uint8_t encode_base_name(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                                char *bn, size_t size)
{
    bool series = base->depth >= 3;
    for (size_t i = 0; i < count; i++)
        series &= nodes[i].has_time && lwm2m_path_equal(&nodes[i].path, base);
    bool names = count > 0 && !(count == 1 && is_marker(&nodes[0])) && !series;
    lwm2m_path_t p = *base;
    if (names && p.depth > 2)
        p.depth = 2;
    int n = lwm2m_path_format(&p, bn, size);
    if (names && n > 0 && bn[n - 1] != '/' && (size_t)n + 1 < size)
        memcpy(bn + n, "/", 2);
    return names ? p.depth : LWM2M_PATH_MAX_DEPTH + 1;
}

static int encode_node(lwm2m_oma_json_doc_t *doc, const lwm2m_node_t *node, uint8_t bn_depth)
{
    char name[LWM2M_PATH_STR_MAX] = "", *owned = NULL;
    lwm2m_oma_json_kind_t kind;
    lwm2m_value_t v, time;
    int64_t t;
    for (uint8_t i = bn_depth, len = 0; i < node->path.depth; i++)
        len += (uint8_t)snprintf(name + len, sizeof(name) - len, i > bn_depth ? "/%u" : "%u",
                                 (unsigned)node->path.id[i]);
    int rc = node_member(node, &kind, &v, &owned);
    if (node->has_time && !isfinite(node->time))
        rc = LWM2M_ERR_NOT_ACCEPTABLE;
    lwm2m_value_t ft = lwm2m_value_float(node->time);
    time = int_value(&ft, &t) ? lwm2m_value_integer(t) : ft;
    if (rc == 0)
        rc = lwm2m_oma_json_doc_add(doc, bn_depth < node->path.depth ? name : NULL, kind, &v,
                                    node->has_time ? &time : NULL);
    free(owned);
    return rc;
}

static int oma_json_encode(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                           lwm2m_buf_t *out, lwm2m_error_t *err)
{
    lwm2m_oma_json_doc_t doc = {0};
    char bn[LWM2M_PATH_STR_MAX + 1];
    uint8_t bn_depth = encode_base_name(base, nodes, count, bn, sizeof(bn));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const lwm2m_node_t *n = &nodes[i];
        bool marker = is_marker(n);
        if (n->path.prefix[0]) /* OMA JSON (1.0) has no way to name an end device */
            rc = lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                                 "node %zu: OMA JSON can't carry an end-device prefix", i);
        else if (!in_base(base, &n->path) || (!marker && n->path.depth < 3) ||
                 (marker && (count > 1 || !lwm2m_path_equal(&n->path, base))))
            rc = lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                                 "node %zu: outside the request path or not a value", i);
        else if (!marker && (rc = encode_node(&doc, n, bn_depth)) < 0)
            rc = lwm2m_error_set(err, rc, 0, "node %zu: %s", i,
                                 rc == LWM2M_ERR_NOT_ACCEPTABLE ? "value JSON can't carry"
                                                                : "out of memory");
    }
    if (rc == 0 && !(doc.base_name = strdup(bn)))
        rc = lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    if (rc == 0)
        rc = lwm2m_oma_json_format(&doc, out, err);
    lwm2m_oma_json_doc_clear(&doc);
    return rc;
}

const lwm2m_codec_t lwm2m_codec_oma_json = {LWM2M_CF_OMA_JSON, "oma-json", oma_json_decode,
                                            oma_json_encode};

/* ---- path lists ---- */

int lwm2m_oma_json_paths_decode(const uint8_t *data, size_t len, lwm2m_path_t *paths,
                                size_t max_paths, size_t *ret_count, lwm2m_error_t *err)
{
    lwm2m_oma_json_doc_t doc = {0};
    lwm2m_path_t root = lwm2m_path_root();
    int rc = lwm2m_oma_json_parse(data, len, &doc, err);
    for (size_t i = 0; rc == 0 && i < doc.count; i++) {
        if (i >= max_paths)
            rc = lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, 0, "more than %zu paths", max_paths);
        else if (doc.records[i].kind != LWM2M_OMA_JSON_NO_VALUE)
            rc = doc_fail(data, len, i, err, "a path list carries no values");
        else if (record_path(&doc, &doc.records[i], &root, &paths[i]) < 0)
            rc = doc_fail(data, len, i, err, "\"bn\" + \"n\" is not a path");
    }
    if (rc == 0)
        *ret_count = doc.count;
    lwm2m_oma_json_doc_clear(&doc);
    return rc;
}

int lwm2m_oma_json_paths_encode(const lwm2m_path_t *paths, size_t count, lwm2m_buf_t *out,
                                lwm2m_error_t *err)
{
    lwm2m_oma_json_doc_t doc = {.max_records = count ? count : 1};
    char name[LWM2M_PATH_STR_MAX];
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (lwm2m_path_format(&paths[i], name, sizeof(name)) < 0)
            rc = LWM2M_ERR_NOT_ACCEPTABLE;
        else
            rc = lwm2m_oma_json_doc_add(&doc, name, LWM2M_OMA_JSON_NO_VALUE, NULL, NULL);
    }
    if (rc < 0)
        rc = lwm2m_error_set(err, rc, 0, "cannot add path");
    else
        rc = lwm2m_oma_json_format(&doc, out, err);
    lwm2m_oma_json_doc_clear(&doc);
    return rc;
}
