/* special_oma_json.c - OMA JSON vectors that aren't node lists: raw documents ({"json": {...}},
 * parsed with no model or path, then formatted again byte for byte) and path lists
 * ({"paths": [...]}). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/oma_json.h"
#include "vectors.h"

static json_object *number_json(const lwm2m_value_t *v)
{
    if (v->type == LWM2M_TYPE_FLOAT)
        return json_object_new_double(v->u.floating);
    if (v->type == LWM2M_TYPE_UNSIGNED)
        return json_object_new_uint64(v->u.unsigned_integer);
    return json_object_new_int64(v->u.integer);
}

/* The parsed document as JSON again, to compare with the vector's expected object. */
static json_object *doc_json(const lwm2m_oma_json_doc_t *doc)
{
    static const char *const keys[] = {NULL, "v", "sv", "bv", "ov"};
    json_object *root = json_object_new_object(), *e = json_object_new_array();
    if (doc->base_name)
        json_object_object_add(root, "bn", json_object_new_string(doc->base_name));
    if (doc->has_base_time)
        json_object_object_add(root, "bt", number_json(&doc->base_time));
    for (size_t i = 0; i < doc->count; i++) {
        const lwm2m_oma_json_record_t *r = &doc->records[i];
        json_object *rec = json_object_new_object(), *value = NULL;
        if (r->name)
            json_object_object_add(rec, "n", json_object_new_string(r->name));
        if (r->kind == LWM2M_OMA_JSON_V)
            value = number_json(&r->value);
        else if (r->kind == LWM2M_OMA_JSON_BV)
            value = json_object_new_boolean(r->value.u.boolean);
        else if (r->kind != LWM2M_OMA_JSON_NO_VALUE)
            value = json_object_new_string_len((const char *)r->value.u.bytes.data,
                                               (int)r->value.u.bytes.len);
        if (value)
            json_object_object_add(rec, keys[r->kind], value);
        if (r->has_time)
            json_object_object_add(rec, "t", number_json(&r->time));
        json_object_array_add(e, rec);
    }
    json_object_object_add(root, "e", e);
    return root;
}

/* Compares formatted output with the vector's text, byte for byte. */
static int compare_text(json_object *vector, const lwm2m_buf_t *buf, char *msg, size_t msglen)
{
    const char *want = vec_string(vector, "text");
    if (!want || buf->len != strlen(want) || memcmp(buf->data, want, buf->len) != 0) {
        snprintf(msg, msglen, "formatted '%.*s', want '%s'", (int)buf->len,
                 buf->data ? (const char *)buf->data : "", want ? want : "");
        return -1;
    }
    return 0;
}

int vec_oma_json_raw(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    size_t len = 0;
    unsigned char *payload = vec_payload(vector, &len);
    lwm2m_oma_json_doc_t doc = {0};
    lwm2m_error_t err = {0};
    lwm2m_buf_t buf = {0};
    json_object *got = NULL;
    int result = -1;
    if (!payload || lwm2m_oma_json_parse(payload, len, &doc, &err) < 0) {
        snprintf(msg, msglen, "parse failed: %s (at byte %zu)", err.message, err.offset);
        goto out;
    }
    got = doc_json(&doc);
    if (!json_object_equal(got, inner)) {
        snprintf(msg, msglen, "parsed %s", json_object_to_json_string(got));
        goto out;
    }
    if (strcmp(vec_direction(vector), "decode") != 0) {
        if (lwm2m_oma_json_format(&doc, &buf, &err) < 0) {
            snprintf(msg, msglen, "format failed: %s", err.message);
            goto out;
        }
        if (compare_text(vector, &buf, msg, msglen) < 0)
            goto out;
    }
    result = 0;
out:
    json_object_put(got);
    lwm2m_buf_free(&buf);
    lwm2m_oma_json_doc_clear(&doc);
    free(payload);
    return result;
}

int vec_oma_json_paths(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    size_t n = json_object_array_length(inner), count = 0, len = 0;
    lwm2m_path_t *paths = calloc(n + 1, sizeof(*paths));
    unsigned char *payload = vec_payload(vector, &len);
    lwm2m_error_t err = {0};
    lwm2m_buf_t buf = {0};
    int result = -1;
    bool decode = strcmp(vec_direction(vector), "encode") != 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = json_object_get_string(json_object_array_get_idx(inner, i));
        if (!p || lwm2m_path_parse(p, strlen(p), LWM2M_PATH_ALLOW_RESERVED, &paths[i]) < 0) {
            snprintf(msg, msglen, "expected path %zu unreadable", i);
            goto out;
        }
    }
    if (decode) {
        lwm2m_path_t *got = calloc(n + 1, sizeof(*got));
        int rc = lwm2m_oma_json_paths_decode(payload, len, got, n + 1, &count, &err);
        bool same = rc == 0 && count == n;
        for (size_t i = 0; same && i < n; i++)
            same = lwm2m_path_equal(&got[i], &paths[i]);
        free(got);
        if (!same) {
            snprintf(msg, msglen, "decoded %zu paths (%s), want %zu", count,
                     rc < 0 ? err.message : "ok", n);
            goto out;
        }
    }
    if (strcmp(vec_direction(vector), "decode") != 0) {
        if (lwm2m_oma_json_paths_encode(paths, n, &buf, &err) < 0) {
            snprintf(msg, msglen, "encode failed: %s", err.message);
            goto out;
        }
        if (compare_text(vector, &buf, msg, msglen) < 0)
            goto out;
    }
    result = 0;
out:
    lwm2m_buf_free(&buf);
    free(payload);
    free(paths);
    return result;
}
