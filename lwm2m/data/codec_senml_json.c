/* codec_senml_json.c - SenML JSON (RFC 8428, Content-Format 110): bytes <-> SenML records with
 * json-c, and the LwM2M codec on top of the record layer in senml_common.c. */
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senml_internal.h"

/* A SenML pack is an array of objects; deeper nesting only occurs in fields we ignore. */
#define JSON_MAX_DEPTH 8

/* Record keys. kind: 's' text, 'n' number, 'b' boolean, 'd' base64url bytes, 'i' ignored,
 * 'x' refused. */
static const struct json_key {
    const char *name;
    unsigned field;
    char kind;
} json_keys[] = {
    {"bn", SENML_F_BN, 's'}, {"bt", SENML_F_BT, 'n'}, {"n", SENML_F_N, 's'},
    {"t", SENML_F_T, 'n'},   {"v", SENML_F_V, 'n'},   {"vs", SENML_F_VS, 's'},
    {"vb", SENML_F_VB, 'b'}, {"vd", SENML_F_VD, 'd'}, {"vlo", SENML_F_VLO, 's'},
    {"bver", 0, 'i'},        {"bu", 0, 'i'},          {"bs", 0, 'i'},
    {"u", 0, 'i'},           {"s", 0, 'i'},           {"ut", 0, 'i'},
    {"bv", 0, 'x'}, /* a base value would change v: not supported */
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* Leshan's decoder ignores what follows the array, and one of its test payloads really ends
 * in "],". We accept trailing whitespace and a single comma after the array, nothing more.
 * Returns the length to hand to json-c (0: only whitespace). */
static size_t json_trim(const uint8_t *data, size_t len)
{
    size_t end = len;
    while (end > 0 && is_space((char)data[end - 1]))
        end--;
    if (end > 0 && data[end - 1] == ',') {
        size_t e = end - 1;
        while (e > 0 && is_space((char)data[e - 1]))
            e--;
        if (e > 0 && data[e - 1] == ']')
            end = e;
    }
    return end;
}

static int json_parse_tree(const uint8_t *data, size_t len, json_object **ret, lwm2m_error_t *err)
{
    if (len > INT_MAX)
        return lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, 0, "SenML JSON payload too large");
    json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (!tok)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, (const char *)data, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root && jerr == json_tokener_continue)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, len, "truncated SenML JSON");
    if (!root)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, end, "malformed SenML JSON: %s",
                               json_tokener_error_desc(jerr));
    if (end < len) {
        json_object_put(root);
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, end, "data after the SenML array");
    }
    *ret = root;
    return 0;
}

static bool is_number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* json-c silently clamps integers beyond int64/uint64; we refuse them. */
static bool integer_out_of_range(const char *tok, size_t len)
{
    int64_t i;
    uint64_t u;
    if (memchr(tok, '.', len) || memchr(tok, 'e', len) || memchr(tok, 'E', len))
        return false;
    if (tok[0] == '-')
        return lwm2m_parse_int64(tok, len, &i) == LWM2M_ERR_TOO_LARGE;
    return lwm2m_parse_uint64(tok, len, &u) == LWM2M_ERR_TOO_LARGE;
}

/* One pass over text json-c accepted: where each element of the top-level array starts (for
 * error offsets), and integer literals out of range. */
static int json_scan(const char *s, size_t len, size_t *starts, size_t max, lwm2m_error_t *err)
{
    int depth = 0;
    bool in_string = false, want = false;
    size_t count = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (is_space(c))
            continue;
        if (want && depth == 1 && c != ']' && count < max)
            starts[count++] = i;
        want = false;
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            want = ++depth == 1;
        } else if (c == ']' || c == '}') {
            depth--;
        } else if (c == ',') {
            want = depth == 1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i;
            while (j < len && is_number_char(s[j]))
                j++;
            if (integer_out_of_range(s + i, j - i))
                return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, i, "integer out of range");
            i = j - 1;
        }
    }
    return 0;
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

static senml_number_t *number_slot(senml_record_t *rec, unsigned field)
{
    return field == SENML_F_BT ? &rec->bt : field == SENML_F_T ? &rec->t : &rec->v;
}

static int json_text(json_object *val, senml_text_t *ret)
{
    if (!json_object_is_type(val, json_type_string))
        return -1;
    ret->data = json_object_get_string(val);
    ret->len = (size_t)json_object_get_string_len(val);
    /* json-c's UTF-8 check lets overlong forms through; ours is what the encoder applies */
    return senml_utf8_valid(ret->data, ret->len) ? 0 : -1;
}

/* Integers stay exact: json-c keeps int64, and uint64 above INT64_MAX. */
static int json_number(json_object *val, senml_record_t *rec, unsigned field)
{
    senml_number_t *num = number_slot(rec, field);
    switch (json_object_get_type(val)) {
    case json_type_int:
        *num = (senml_number_t){.kind = SENML_NUM_INT, .i = json_object_get_int64(val)};
        if (num->i == INT64_MAX && json_object_get_uint64(val) > (uint64_t)INT64_MAX)
            *num = (senml_number_t){.kind = SENML_NUM_UINT, .u = json_object_get_uint64(val)};
        return 0;
    case json_type_double:
        *num = (senml_number_t){.kind = SENML_NUM_FLOAT, .d = json_object_get_double(val)};
        return 0;
    case json_type_string: /* a text v: objlnk as Zephyr's decoder reads it */
        num->kind = SENML_NUM_TEXT;
        return field == SENML_F_V ? json_text(val, &rec->v_text) : -1;
    case json_type_null:
        num->kind = SENML_NUM_NULL;
        return field == SENML_F_V ? 0 : -1;
    default:
        return -1;
    }
}

static int json_bytes(json_object *val, senml_record_t *rec, uint8_t **scratch)
{
    senml_text_t text;
    if (json_text(val, &text) < 0 || !(*scratch = malloc(text.len / 4 * 3 + 3)))
        return -1;
    long n = senml_base64url_decode(text.data, text.len, *scratch);
    rec->vd = (senml_text_t){(const char *)*scratch, n > 0 ? (size_t)n : 0};
    return n < 0 ? -1 : 0;
}

static int json_field(const char *key, json_object *val, senml_record_t *rec, uint8_t **scratch,
                      lwm2m_error_t *err)
{
    const struct json_key *k = NULL;
    int rc = 0;
    for (size_t i = 0; i < sizeof(json_keys) / sizeof(json_keys[0]) && !k; i++)
        if (strcmp(json_keys[i].name, key) == 0)
            k = &json_keys[i];
    if (!k) /* RFC 8428 4.4: unknown fields are ignored unless they end in '_' */
        return key[0] && key[strlen(key) - 1] == '_'
                   ? lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset,
                                     "unsupported must-understand field \"%s\"", key)
                   : 0;
    if (k->kind == 'i')
        return 0;
    if (k->kind == 'x')
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset,
                               "unsupported SenML field \"%s\"", key);
    if (k->kind == 's')
        rc = json_text(val, text_slot(rec, k->field));
    else if (k->kind == 'n')
        rc = json_number(val, rec, k->field);
    else if (k->kind == 'b' && json_object_is_type(val, json_type_boolean))
        rec->vb = json_object_get_boolean(val);
    else if (k->kind == 'd')
        rc = json_bytes(val, rec, scratch);
    else
        rc = -1;
    if (rc < 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset,
                               "bad value for SenML field \"%s\"", key);
    rec->fields |= k->field;
    return 0;
}

static int json_element(json_object *elem, size_t offset, senml_record_fn fn, void *ctx,
                        lwm2m_error_t *err)
{
    senml_record_t rec = {.offset = offset};
    uint8_t *scratch = NULL;
    int rc = 0;
    if (!json_object_is_type(elem, json_type_object))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, offset, "SenML record not an object");
    json_object_object_foreach(elem, key, val)
    {
        if (rc == 0)
            rc = json_field(key, val, &rec, &scratch, err);
    }
    if (rc == 0)
        rc = fn(ctx, &rec, err);
    free(scratch);
    return rc;
}

static int json_records(json_object *root, const char *text, size_t len, senml_record_fn fn,
                        void *ctx, lwm2m_error_t *err)
{
    size_t count = json_object_array_length(root);
    if (count > SENML_MAX_RECORDS)
        return lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, 0, "more than %d SenML records",
                               SENML_MAX_RECORDS);
    size_t *starts = calloc(count + 1, sizeof(*starts));
    if (!starts)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    int rc = json_scan(text, len, starts, count, err);
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = json_element(json_object_array_get_idx(root, i), starts[i], fn, ctx, err);
    free(starts);
    return rc;
}

static int json_parse(const uint8_t *data, size_t len, senml_record_fn fn, void *ctx,
                      lwm2m_error_t *err)
{
    json_object *root = NULL;
    size_t end = json_trim(data, len);
    if (end == 0)
        return 0;
    int rc = json_parse_tree(data, end, &root, err);
    if (rc < 0)
        return rc;
    if (json_object_is_type(root, json_type_array))
        rc = json_records(root, (const char *)data, end, fn, ctx, err);
    else
        rc = lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "SenML JSON must be an array");
    json_object_put(root);
    return rc;
}

/* ---- writing ---------------------------------------------------------------------------- */

static int json_string(lwm2m_buf_t *out, senml_text_t s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = lwm2m_buf_append_byte(out, '"');
    size_t run = 0;
    for (size_t i = 0; rc == 0 && i < s.len; i++) {
        unsigned char c = (unsigned char)s.data[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        char esc[6] = {'\\', (char)c, 0};
        size_t elen = 2;
        if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        rc = lwm2m_buf_append(out, s.data + run, i - run);
        if (rc == 0)
            rc = lwm2m_buf_append(out, esc, elen);
        run = i + 1;
    }
    if (rc == 0)
        rc = lwm2m_buf_append(out, s.data + run, s.len - run);
    return rc ? rc : lwm2m_buf_append_byte(out, '"');
}

static int json_number_out(lwm2m_buf_t *out, const senml_record_t *rec, const senml_number_t *n)
{
    char buf[40];
    switch (n->kind) {
    case SENML_NUM_INT:
        return lwm2m_buf_printf(out, "%" PRId64, n->i);
    case SENML_NUM_UINT:
        return lwm2m_buf_printf(out, "%" PRIu64, n->u);
    case SENML_NUM_FLOAT:
        if (!isfinite(n->d) || lwm2m_format_double(n->d, buf, sizeof(buf)) < 0)
            return LWM2M_ERR_NOT_ACCEPTABLE;
        return lwm2m_buf_append_str(out, buf);
    case SENML_NUM_TEXT:
        return json_string(out, rec->v_text);
    default:
        return lwm2m_buf_append_str(out, "null");
    }
}

static int json_bytes_out(lwm2m_buf_t *out, senml_text_t bytes)
{
    char chunk[64];
    int rc = lwm2m_buf_append_byte(out, '"');
    for (size_t i = 0; rc == 0 && i < bytes.len; i += 48) {
        size_t n = bytes.len - i < 48 ? bytes.len - i : 48;
        rc = lwm2m_buf_append(out, chunk,
                              senml_base64url_encode((const uint8_t *)bytes.data + i, n, chunk));
    }
    return rc ? rc : lwm2m_buf_append_byte(out, '"');
}

static int json_key(lwm2m_buf_t *out, bool *first, const char *key)
{
    int rc = lwm2m_buf_printf(out, "%s\"%s\":", *first ? "" : ",", key);
    *first = false;
    return rc;
}

static int json_value_out(lwm2m_buf_t *out, const senml_record_t *rec, bool *first)
{
    int rc = 0;
    if (rec->fields & SENML_F_V && (rc = json_key(out, first, "v")) == 0)
        rc = json_number_out(out, rec, &rec->v);
    if (rc == 0 && rec->fields & SENML_F_VS && (rc = json_key(out, first, "vs")) == 0)
        rc = json_string(out, rec->vs);
    if (rc == 0 && rec->fields & SENML_F_VB && (rc = json_key(out, first, "vb")) == 0)
        rc = lwm2m_buf_append_str(out, rec->vb ? "true" : "false");
    if (rc == 0 && rec->fields & SENML_F_VD && (rc = json_key(out, first, "vd")) == 0)
        rc = json_bytes_out(out, rec->vd);
    if (rc == 0 && rec->fields & SENML_F_VLO && (rc = json_key(out, first, "vlo")) == 0)
        rc = json_string(out, rec->vlo);
    return rc;
}

/* Keys in the order Leshan writes them: bn, bt, n, t, then the value. */
static int json_record(lwm2m_buf_t *out, const senml_record_t *rec, size_t index,
                       lwm2m_error_t *err)
{
    bool first = true;
    int rc = lwm2m_buf_append_str(out, index ? ",{" : "{");
    const senml_text_t *texts[] = {&rec->bn, &rec->vs, &rec->vlo, &rec->n, &rec->v_text};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (!senml_utf8_valid(texts[i]->data, texts[i]->len))
            return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "string is not UTF-8");
    if (rc == 0 && rec->fields & SENML_F_BN && (rc = json_key(out, &first, "bn")) == 0)
        rc = json_string(out, rec->bn);
    if (rc == 0 && rec->fields & SENML_F_BT && (rc = json_key(out, &first, "bt")) == 0)
        rc = json_number_out(out, rec, &rec->bt);
    if (rc == 0 && rec->fields & SENML_F_N && (rc = json_key(out, &first, "n")) == 0)
        rc = json_string(out, rec->n);
    if (rc == 0 && rec->fields & SENML_F_T && (rc = json_key(out, &first, "t")) == 0)
        rc = json_number_out(out, rec, &rec->t);
    if (rc == 0)
        rc = json_value_out(out, rec, &first);
    if (rc == 0)
        rc = lwm2m_buf_append_byte(out, '}');
    if (rc == LWM2M_ERR_NOT_ACCEPTABLE)
        return lwm2m_error_set(err, rc, 0, "SenML JSON can't carry NaN or infinity");
    return rc ? lwm2m_error_set(err, rc, 0, "output buffer full") : 0;
}

static int json_begin(lwm2m_buf_t *out, size_t count)
{
    (void)count;
    return lwm2m_buf_append_byte(out, '[');
}

static int json_end(lwm2m_buf_t *out)
{
    return lwm2m_buf_append_byte(out, ']');
}

const senml_format_t senml_json_format = {json_parse, json_begin, json_record, json_end};

/* ---- the LwM2M codec -------------------------------------------------------------------- */

static int senml_json_decode(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                             const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out,
                             lwm2m_error_t *err)
{
    return senml_decode_nodes(&senml_json_format, data, len, base, opts, out, err);
}

static int senml_json_encode(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                             lwm2m_buf_t *out, lwm2m_error_t *err)
{
    return senml_encode_nodes(&senml_json_format, SENML_NAMING_REQUEST, base, nodes, count, out,
                              err);
}

const lwm2m_codec_t lwm2m_codec_senml_json = {LWM2M_CF_SENML_JSON, "senml-json", senml_json_decode,
                                              senml_json_encode};
