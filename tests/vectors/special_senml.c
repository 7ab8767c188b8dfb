/* special_senml.c - vector hooks for raw SenML records ({"senml":[...]}) and composite path
 * lists ({"paths":[...]}) in SenML JSON/CBOR and SenML-ETCH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lwm2m/data/senml_internal.h"
#include "lwm2m/codec.h"
#include "nodejson.h"
#include "vectors.h"

#define MAX_PATHS 256

static int vector_cf(json_object *vector)
{
    json_object *cf;
    if (!json_object_object_get_ex(vector, "content_format", &cf))
        return -1;
    return json_object_get_int(cf);
}

static const senml_format_t *format_of(int cf)
{
    if (cf == LWM2M_CF_SENML_JSON || cf == LWM2M_CF_SENML_ETCH_JSON)
        return &senml_json_format;
    if (cf == LWM2M_CF_SENML_CBOR || cf == LWM2M_CF_SENML_ETCH_CBOR)
        return &senml_cbor_format;
    return NULL;
}

/* ---- expected records from the vector's JSON -------------------------------------------- */

static senml_number_t number_of(json_object *v, senml_record_t *rec)
{
    senml_number_t n = {.kind = SENML_NUM_INT, .i = json_object_get_int64(v)};
    if (json_object_is_type(v, json_type_double)) {
        n = (senml_number_t){.kind = SENML_NUM_FLOAT, .d = json_object_get_double(v)};
    } else if (json_object_is_type(v, json_type_string)) {
        n.kind = SENML_NUM_TEXT;
        rec->v_text =
            (senml_text_t){json_object_get_string(v), (size_t)json_object_get_string_len(v)};
    } else if (n.i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
        n = (senml_number_t){.kind = SENML_NUM_UINT, .u = json_object_get_uint64(v)};
    }
    return n;
}

/* vd is hex for SenML CBOR vectors (the byte string) and base64url text for SenML JSON. */
static int bytes_of(json_object *v, bool hex, senml_record_t *rec, uint8_t **owned)
{
    const char *s = json_object_get_string(v);
    size_t len = strlen(s);
    long n;
    *owned = malloc(len + 3);
    if (!*owned)
        return -1;
    n = hex ? nodejson_hex_decode(s, len, *owned, len + 3) : senml_base64url_decode(s, len, *owned);
    rec->vd = (senml_text_t){(const char *)*owned, n > 0 ? (size_t)n : 0};
    return n < 0 ? -1 : 0;
}

static senml_text_t text_of(json_object *v)
{
    return (senml_text_t){json_object_get_string(v), (size_t)json_object_get_string_len(v)};
}

static int record_of(json_object *obj, bool hex, senml_record_t *rec, uint8_t **owned)
{
    memset(rec, 0, sizeof(*rec));
    json_object_object_foreach(obj, key, v)
    {
        if (!strcmp(key, "bn"))
            rec->fields |= SENML_F_BN, rec->bn = text_of(v);
        else if (!strcmp(key, "n"))
            rec->fields |= SENML_F_N, rec->n = text_of(v);
        else if (!strcmp(key, "vs"))
            rec->fields |= SENML_F_VS, rec->vs = text_of(v);
        else if (!strcmp(key, "vlo"))
            rec->fields |= SENML_F_VLO, rec->vlo = text_of(v);
        else if (!strcmp(key, "bt"))
            rec->fields |= SENML_F_BT, rec->bt = number_of(v, rec);
        else if (!strcmp(key, "t"))
            rec->fields |= SENML_F_T, rec->t = number_of(v, rec);
        else if (!strcmp(key, "v"))
            rec->fields |= SENML_F_V, rec->v = number_of(v, rec);
        else if (!strcmp(key, "vb"))
            rec->fields |= SENML_F_VB, rec->vb = json_object_get_boolean(v);
        else if (!strcmp(key, "vd") && bytes_of(v, hex, rec, owned) == 0)
            rec->fields |= SENML_F_VD;
        else
            return -1;
    }
    return 0;
}

/* ---- comparing decoded records with expected ones --------------------------------------- */

static bool number_equal(const senml_number_t *a, const senml_number_t *b)
{
    if (a->kind == SENML_NUM_FLOAT || b->kind == SENML_NUM_FLOAT) {
        double x = a->kind == SENML_NUM_FLOAT  ? a->d
                   : a->kind == SENML_NUM_UINT ? (double)a->u
                                               : (double)a->i;
        double y = b->kind == SENML_NUM_FLOAT  ? b->d
                   : b->kind == SENML_NUM_UINT ? (double)b->u
                                               : (double)b->i;
        return x == y;
    }
    if (a->kind != b->kind)
        return false;
    return a->kind == SENML_NUM_UINT ? a->u == b->u : a->kind != SENML_NUM_INT || a->i == b->i;
}

static bool text_equal(senml_text_t a, senml_text_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static bool record_equal(const senml_record_t *a, const senml_record_t *b)
{
    unsigned f = a->fields;
    if (f != b->fields)
        return false;
    return (!(f & SENML_F_BN) || text_equal(a->bn, b->bn)) &&
           (!(f & SENML_F_N) || text_equal(a->n, b->n)) &&
           (!(f & SENML_F_VS) || text_equal(a->vs, b->vs)) &&
           (!(f & SENML_F_VLO) || text_equal(a->vlo, b->vlo)) &&
           (!(f & SENML_F_VD) || text_equal(a->vd, b->vd)) &&
           (!(f & SENML_F_VB) || a->vb == b->vb) &&
           (!(f & SENML_F_BT) || number_equal(&a->bt, &b->bt)) &&
           (!(f & SENML_F_T) || number_equal(&a->t, &b->t)) &&
           (!(f & SENML_F_V) || (number_equal(&a->v, &b->v) && (a->v.kind != SENML_NUM_TEXT ||
                                                                text_equal(a->v_text, b->v_text))));
}

typedef struct compare_ctx {
    const senml_record_t *want;
    size_t count, index;
    char *msg;
    size_t msglen;
} compare_ctx_t;

static int compare_record(void *ctx, const senml_record_t *rec, lwm2m_error_t *err)
{
    compare_ctx_t *c = ctx;
    (void)err;
    if (c->index >= c->count || !record_equal(rec, &c->want[c->index])) {
        snprintf(c->msg, c->msglen, "record %zu differs (fields %#x)", c->index, rec->fields);
        return -1;
    }
    c->index++;
    return 0;
}

/* ---- the hooks -------------------------------------------------------------------------- */

static int check_raw(json_object *vector, const senml_format_t *fmt, const senml_record_t *want,
                     size_t count, char *msg, size_t msglen)
{
    const char *dir = vec_direction(vector);
    size_t len = 0;
    unsigned char *payload = vec_payload(vector, &len);
    lwm2m_error_t err = {0};
    lwm2m_buf_t buf = {0};
    int rc = 0;
    if (strcmp(dir, "encode") != 0) {
        compare_ctx_t c = {want, count, 0, msg, msglen};
        rc = fmt->parse(payload ? payload : (const uint8_t *)"", len, compare_record, &c, &err);
        if (rc < -1)
            snprintf(msg, msglen, "parse failed: %s (at byte %zu)", err.message, err.offset);
        else if (rc == 0 && c.index != count)
            rc = -1, snprintf(msg, msglen, "got %zu records, want %zu", c.index, count);
    }
    if (rc == 0 && strcmp(dir, "decode") != 0) {
        rc = senml_write_records(fmt, want, count, &buf, &err);
        if (rc < 0)
            snprintf(msg, msglen, "write failed: %s", err.message);
        else if (buf.len != len || (len && memcmp(buf.data, payload, len) != 0))
            rc = -1,
            snprintf(msg, msglen, "written records differ from the payload (%zu bytes)", buf.len);
    }
    lwm2m_buf_free(&buf);
    free(payload);
    return rc < 0 ? -1 : 0;
}

int vec_senml_raw(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    int cf = vector_cf(vector);
    const senml_format_t *fmt = format_of(cf);
    size_t count = json_object_array_length(inner);
    senml_record_t *want = calloc(count + 1, sizeof(*want));
    uint8_t **owned = calloc(count + 1, sizeof(*owned));
    int rc = -1;
    if (!fmt || !want || !owned) {
        snprintf(msg, msglen, "no SenML format for content format %d", cf);
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (record_of(json_object_array_get_idx(inner, i), cf == LWM2M_CF_SENML_CBOR, &want[i],
                      &owned[i]) < 0) {
            snprintf(msg, msglen, "expected record %zu not understood", i);
            goto out;
        }
    rc = check_raw(vector, fmt, want, count, msg, msglen);
out:
    for (size_t i = 0; owned && i < count; i++)
        free(owned[i]);
    free(owned);
    free(want);
    return rc;
}

static int check_paths_decode(json_object *vector, int cf, json_object *inner, char *msg,
                              size_t msglen)
{
    lwm2m_path_t paths[MAX_PATHS];
    size_t len = 0, count = 0;
    unsigned char *payload = vec_payload(vector, &len);
    lwm2m_error_t err = {0};
    int rc = lwm2m_paths_decode((uint16_t)cf, payload ? payload : (const uint8_t *)"", len, paths,
                                MAX_PATHS, &count, &err);
    free(payload);
    if (rc < 0) {
        snprintf(msg, msglen, "decode failed: %s (at byte %zu)", err.message, err.offset);
        return -1;
    }
    if (count != json_object_array_length(inner)) {
        snprintf(msg, msglen, "got %zu paths, want %zu", count, json_object_array_length(inner));
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        char text[LWM2M_PATH_STR_MAX];
        const char *want = json_object_get_string(json_object_array_get_idx(inner, i));
        lwm2m_path_format(&paths[i], text, sizeof(text));
        if (strcmp(text, want) != 0) {
            snprintf(msg, msglen, "path %zu: got %s, want %s", i, text, want);
            return -1;
        }
    }
    return 0;
}

static int check_paths_encode(json_object *vector, int cf, json_object *inner, char *msg,
                              size_t msglen)
{
    lwm2m_path_t paths[MAX_PATHS];
    size_t count = json_object_array_length(inner), len = 0;
    lwm2m_buf_t buf = {0};
    lwm2m_error_t err = {0};
    int rc = count <= MAX_PATHS ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *p = json_object_get_string(json_object_array_get_idx(inner, i));
        rc = lwm2m_path_parse(p, strlen(p), LWM2M_PATH_ALLOW_PREFIX, &paths[i]);
    }
    unsigned char *payload = vec_payload(vector, &len);
    if (rc == 0)
        rc = lwm2m_paths_encode((uint16_t)cf, paths, count, &buf, &err);
    if (rc < 0)
        snprintf(msg, msglen, "encode failed: %s", err.message);
    else if (buf.len != len || (len && memcmp(buf.data, payload, len) != 0))
        rc = -1, snprintf(msg, msglen, "encoded '%.*s', want '%s'", (int)buf.len,
                          (const char *)buf.data, (const char *)payload);
    free(payload);
    lwm2m_buf_free(&buf);
    return rc < 0 ? -1 : 0;
}

int vec_senml_paths(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    int cf = vector_cf(vector);
    const char *dir = vec_direction(vector);
    if (!format_of(cf)) {
        snprintf(msg, msglen, "no path list for content format %d", cf);
        return -1;
    }
    if (strcmp(dir, "encode") != 0 && check_paths_decode(vector, cf, inner, msg, msglen) < 0)
        return -1;
    if (strcmp(dir, "decode") != 0 && check_paths_encode(vector, cf, inner, msg, msglen) < 0)
        return -1;
    return 0;
}
