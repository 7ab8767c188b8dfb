/* special_tlv.c - hooks for the raw TLV vectors of tlv.json: {"tlv":[records]} compares the
 * record tree of lwm2m_tlv_parse / lwm2m_tlv_write, {"tlv_value":{type, value}} the value
 * encodings of tlv.h (bytes without a header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/tlv.h"
#include "nodejson.h"
#include "vectors.h"

static const char *const tlv_type_names[] = {"OBJECT_INSTANCE", "RESOURCE_INSTANCE",
                                             "MULTIPLE_RESOURCE", "RESOURCE_VALUE"};

static int tlv_type_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, tlv_type_names[i]) == 0)
            return i;
    return -1;
}

static int json_int(json_object *obj, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return -1;
    return json_object_get_int(v);
}

/* Compares parsed records with the expected JSON array; describes the first difference. */
static int tlv_compare(const lwm2m_tlv_t *tlvs, size_t count, json_object *want, char *msg,
                       size_t msglen)
{
    size_t n = json_object_array_length(want);
    if (n != count) {
        snprintf(msg, msglen, "got %zu records, want %zu", count, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *w = json_object_array_get_idx(want, i);
        const lwm2m_tlv_t *t = &tlvs[i];
        json_object *children;
        if (tlv_type_from_name(vec_string(w, "type")) != (int)t->type ||
            json_int(w, "id") != t->id) {
            snprintf(msg, msglen, "record %zu: got %s %u, want %s %d", i, tlv_type_names[t->type],
                     (unsigned)t->id, vec_string(w, "type"), json_int(w, "id"));
            return -1;
        }
        if (json_object_object_get_ex(w, "children", &children)) {
            if (tlv_compare(t->children, t->child_count, children, msg, msglen) < 0)
                return -1;
            continue;
        }
        const char *hex = vec_string(w, "value_hex");
        char *got = malloc(t->value_len * 2 + 1);
        nodejson_hex_encode(t->value, t->value_len, got);
        int same = hex && strcmp(hex, got) == 0;
        if (!same)
            snprintf(msg, msglen, "record %zu (id %u): value %s, want %s", i, (unsigned)t->id, got,
                     hex ? hex : "(none)");
        free(got);
        if (!same)
            return -1;
    }
    return 0;
}

static void tlv_tree_free(lwm2m_tlv_t *tlvs, size_t count)
{
    for (size_t i = 0; tlvs && i < count; i++) {
        tlv_tree_free(tlvs[i].children, tlvs[i].child_count);
        free((void *)tlvs[i].value);
    }
    free(tlvs);
}

/* Builds records from the expected JSON array (the caller frees with tlv_tree_free). */
static int tlv_from_json(json_object *arr, lwm2m_tlv_t **ret, size_t *ret_count)
{
    size_t n = json_object_array_length(arr);
    lwm2m_tlv_t *tlvs = calloc(n ? n : 1, sizeof(*tlvs));
    int rc = tlvs ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_object *w = json_object_array_get_idx(arr, i), *children;
        int type = tlv_type_from_name(vec_string(w, "type"));
        int id = json_int(w, "id");
        const char *hex = vec_string(w, "value_hex");
        if (type < 0 || id < 0 || id > 65535) {
            rc = -1;
            break;
        }
        tlvs[i].type = (lwm2m_tlv_type_t)type;
        tlvs[i].id = (uint16_t)id;
        if (json_object_object_get_ex(w, "children", &children)) {
            rc = tlv_from_json(children, &tlvs[i].children, &tlvs[i].child_count);
        } else if (hex) {
            uint8_t *value = malloc(strlen(hex) / 2 + 1);
            long len = nodejson_hex_decode(hex, strlen(hex), value, strlen(hex) / 2 + 1);
            tlvs[i].value = value;
            tlvs[i].value_len = len > 0 ? (size_t)len : 0;
            rc = len < 0 ? -1 : 0;
        }
    }
    if (rc < 0) {
        tlv_tree_free(tlvs, n);
        return -1;
    }
    *ret = tlvs;
    *ret_count = n;
    return 0;
}

static int compare_bytes(const lwm2m_buf_t *got, const unsigned char *want, size_t want_len,
                         char *msg, size_t msglen)
{
    if (got->len == want_len && (want_len == 0 || memcmp(got->data, want, want_len) == 0))
        return 0;
    char *g = malloc(got->len * 2 + 1), *w = malloc(want_len * 2 + 1);
    nodejson_hex_encode(got->data, got->len, g);
    nodejson_hex_encode(want, want_len, w);
    snprintf(msg, msglen, "encoded %s, want %s", g, w);
    free(g);
    free(w);
    return -1;
}

int vec_tlv_raw(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    const char *dir = vec_direction(vector);
    size_t len = 0;
    unsigned char *payload = vec_payload(vector, &len);
    int rc = 0;
    if (!payload) {
        snprintf(msg, msglen, "no payload");
        return -1;
    }
    if (strcmp(dir, "encode") != 0) {
        lwm2m_tlv_t *tlvs = NULL;
        size_t count = 0;
        lwm2m_error_t err = {0};
        if (lwm2m_tlv_parse(payload, len, 0, &tlvs, &count, &err) < 0) {
            snprintf(msg, msglen, "parse failed: %s (at byte %zu)", err.message, err.offset);
            rc = -1;
        } else {
            rc = tlv_compare(tlvs, count, inner, msg, msglen);
        }
        lwm2m_tlv_free(tlvs);
    }
    if (rc == 0 && strcmp(dir, "decode") != 0) {
        lwm2m_tlv_t *tlvs = NULL;
        size_t count = 0;
        lwm2m_buf_t buf = {0};
        lwm2m_error_t err = {0};
        if (tlv_from_json(inner, &tlvs, &count) < 0) {
            snprintf(msg, msglen, "bad expected record tree");
            rc = -1;
        } else if (lwm2m_tlv_write(tlvs, count, &buf, &err) < 0) {
            snprintf(msg, msglen, "write failed: %s", err.message);
            rc = -1;
        } else {
            rc = compare_bytes(&buf, payload, len, msg, msglen);
        }
        tlv_tree_free(tlvs, count);
        lwm2m_buf_free(&buf);
    }
    free(payload);
    return rc;
}

/* The expected {type, value} as a value, through the node JSON parser. */
static int expected_value(json_object *inner, lwm2m_nodes_t *holder, char *msg, size_t msglen)
{
    json_object *node = NULL, *arr = json_object_new_array();
    json_object_deep_copy(inner, &node, NULL);
    json_object_object_add(node, "path", json_object_new_string("/0/0/0"));
    json_object_array_add(arr, node);
    int rc = nodejson_parse(arr, holder, msg, msglen);
    json_object_put(arr);
    return rc < 0 || holder->count != 1 ? -1 : 0;
}

int vec_tlv_value(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    const char *dir = vec_direction(vector);
    lwm2m_nodes_t want = {0};
    size_t len = 0;
    unsigned char *payload = vec_payload(vector, &len);
    int rc = payload ? expected_value(inner, &want, msg, msglen) : -1;
    if (rc == 0 && strcmp(dir, "encode") != 0) {
        lwm2m_value_t got;
        const lwm2m_value_t *w = &want.items[0].value;
        if (lwm2m_tlv_value_decode(w->type, payload, len, &got) < 0) {
            snprintf(msg, msglen, "decoding %zu bytes as %s failed", len, lwm2m_type_name(w->type));
            rc = -1;
        } else if (!nodejson_value_equal(&got, w)) {
            json_object *j = nodejson_value(&got);
            snprintf(msg, msglen, "decoded %s", json_object_to_json_string(j));
            json_object_put(j);
            rc = -1;
        }
    }
    if (rc == 0 && strcmp(dir, "decode") != 0) {
        uint8_t scratch[8];
        const uint8_t *data;
        size_t n;
        lwm2m_buf_t buf = {0};
        if (lwm2m_tlv_value_encode(&want.items[0].value, scratch, &data, &n) < 0 ||
            lwm2m_buf_append(&buf, data, n) < 0) {
            snprintf(msg, msglen, "encoding failed");
            rc = -1;
        } else {
            rc = compare_bytes(&buf, payload, len, msg, msglen);
        }
        lwm2m_buf_free(&buf);
    }
    if (!payload)
        snprintf(msg, msglen, "no payload");
    free(payload);
    lwm2m_nodes_clear(&want);
    return rc;
}
