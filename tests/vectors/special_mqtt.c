/* special_mqtt.c - MQTT transport binding vectors: {"mqtt": {"topic": .., "message": {"1": 9,
 * ...}}} with the message's CBOR in bytes_hex. The topic must parse and format back; the bytes
 * must decode to exactly the message's keys; "both" vectors must also encode back to the bytes.
 * In "message", text is a JSON string; a byte-string payload (or token) is lowercase hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/mqtt_msg.h"
#include "nodejson.h"
#include "vectors.h"

static json_object *str_json(const lwm2m_mqtt_str_t *s)
{
    return json_object_new_string_len(s->data, (int)s->len);
}

static json_object *hex_json(const void *data, size_t len)
{
    char *hex = malloc(2 * len + 1);
    nodejson_hex_encode(data, len, hex);
    json_object *j = json_object_new_string(hex);
    free(hex);
    return j;
}

static void add(json_object *o, int key, json_object *v)
{
    char k[8];
    snprintf(k, sizeof(k), "%d", key);
    json_object_object_add(o, k, v);
}

static json_object *number_json(double v)
{
    return v == (double)(int64_t)v ? json_object_new_int64((int64_t)v) : json_object_new_double(v);
}

/* A decoded message in the vectors' JSON form. */
static json_object *msg_json(const lwm2m_mqtt_msg_t *m)
{
    json_object *o = json_object_new_object();
    if (m->has_operation)
        add(o, LWM2M_MQTT_KEY_OPERATION, json_object_new_int(m->operation));
    if (m->has_token)
        add(o, LWM2M_MQTT_KEY_TOKEN,
            m->token.is_bytes ? hex_json(m->token.bytes, m->token.len)
                              : json_object_new_int64((int64_t)m->token.number));
    if (m->has_ep)
        add(o, LWM2M_MQTT_KEY_EP, str_json(&m->ep));
    if (m->has_pct)
        add(o, LWM2M_MQTT_KEY_PCT, json_object_new_int(m->pct));
    if (m->has_uri)
        add(o, LWM2M_MQTT_KEY_URI, str_json(&m->uri));
    if (m->has_paths) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < m->path_count; i++)
            json_object_array_add(a, str_json(&m->paths[i]));
        add(o, LWM2M_MQTT_KEY_PATHS, a);
    }
    if (m->has_payload)
        add(o, LWM2M_MQTT_KEY_PAYLOAD,
            m->payload_is_text ? str_json(&m->payload) : hex_json(m->payload.data, m->payload.len));
    const struct {
        bool has;
        int key;
        int64_t v;
    } ints[] = {
        {m->has_lifetime, LWM2M_MQTT_KEY_LIFETIME, m->lifetime},
        {m->has_pmin, LWM2M_MQTT_KEY_PMIN, m->pmin},
        {m->has_pmax, LWM2M_MQTT_KEY_PMAX, m->pmax},
        {m->has_epmin, LWM2M_MQTT_KEY_EPMIN, m->epmin},
        {m->has_epmax, LWM2M_MQTT_KEY_EPMAX, m->epmax},
        {m->has_result, LWM2M_MQTT_KEY_RESULT, m->result},
        {m->has_ct, LWM2M_MQTT_KEY_CT, m->ct},
        {m->has_edge, LWM2M_MQTT_KEY_EDGE, m->edge},
        {m->has_hqmax, LWM2M_MQTT_KEY_HQMAX, m->hqmax},
        {m->has_depth, LWM2M_MQTT_KEY_DEPTH, m->depth},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        if (ints[i].has)
            add(o, ints[i].key, json_object_new_int64(ints[i].v));
    if (m->has_version)
        add(o, LWM2M_MQTT_KEY_VERSION, str_json(&m->version));
    if (m->has_binding)
        add(o, LWM2M_MQTT_KEY_BINDING, str_json(&m->binding));
    if (m->has_sms)
        add(o, LWM2M_MQTT_KEY_SMS, str_json(&m->sms));
    if (m->has_gt)
        add(o, LWM2M_MQTT_KEY_GT, number_json(m->gt));
    if (m->has_st)
        add(o, LWM2M_MQTT_KEY_ST, number_json(m->st));
    return o;
}

/* Fills m from the vectors' JSON form; strings point into `o`, a hex payload into *owned. A
 * payload is text when ct is 0 (text/plain), as in the TS example, else hex bytes. */
static int msg_from_json(json_object *o, lwm2m_mqtt_msg_t *m, unsigned char **owned)
{
    json_object *ct = NULL;
    json_object_object_get_ex(o, "19", &ct);
    json_object_object_foreach(o, key, v)
    {
        int k = atoi(key);
        int64_t i = json_object_get_int64(v);
        lwm2m_mqtt_str_t s = {json_object_get_string(v), (size_t)json_object_get_string_len(v)};
        switch (k) {
        case LWM2M_MQTT_KEY_OPERATION:
            m->has_operation = true, m->operation = (uint8_t)i;
            break;
        case LWM2M_MQTT_KEY_TOKEN:
            m->has_token = true, m->token.number = (uint64_t)i;
            break;
        case LWM2M_MQTT_KEY_EP:
            m->has_ep = true, m->ep = s;
            break;
        case LWM2M_MQTT_KEY_URI:
            m->has_uri = true, m->uri = s;
            break;
        case LWM2M_MQTT_KEY_PAYLOAD:
            m->has_payload = true;
            m->payload_is_text = ct && json_object_get_int(ct) == 0;
            m->payload = s;
            if (!m->payload_is_text) {
                *owned = malloc(s.len / 2 + 1);
                long n = nodejson_hex_decode(s.data, s.len, *owned, s.len / 2 + 1);
                if (n < 0)
                    return -1;
                m->payload = (lwm2m_mqtt_str_t){(const char *)*owned, (size_t)n};
            }
            break;
        case LWM2M_MQTT_KEY_LIFETIME:
            m->has_lifetime = true, m->lifetime = (uint32_t)i;
            break;
        case LWM2M_MQTT_KEY_VERSION:
            m->has_version = true, m->version = s;
            break;
        case LWM2M_MQTT_KEY_RESULT:
            m->has_result = true, m->result = (uint16_t)i;
            break;
        case LWM2M_MQTT_KEY_CT:
            m->has_ct = true, m->ct = (uint16_t)i;
            break;
        default:
            return -1; /* keys the vectors don't use yet */
        }
    }
    return 0;
}

static int check_topic(json_object *inner, char *msg, size_t msglen)
{
    json_object *t;
    const char *topic =
        json_object_object_get_ex(inner, "topic", &t) ? json_object_get_string(t) : NULL;
    lwm2m_mqtt_topic_t parts;
    lwm2m_error_t err = {0};
    char prefix[256], endpoint[256], again[600];
    if (!topic || lwm2m_mqtt_topic_parse(topic, strlen(topic), &parts, &err) < 0) {
        snprintf(msg, msglen, "topic '%s' refused: %s", topic ? topic : "", err.message);
        return -1;
    }
    snprintf(prefix, sizeof(prefix), "%.*s", (int)parts.prefix.len, parts.prefix.data);
    snprintf(endpoint, sizeof(endpoint), "%.*s", (int)parts.endpoint.len, parts.endpoint.data);
    if (lwm2m_mqtt_topic_format(prefix, parts.interface, endpoint, again, sizeof(again)) < 0 ||
        strcmp(again, topic) != 0) {
        snprintf(msg, msglen, "topic '%s' formats back as '%s'", topic, again);
        return -1;
    }
    return 0;
}

int vec_mqtt(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    size_t len = 0;
    unsigned char *bytes = vec_payload(vector, &len), *owned = NULL;
    json_object *want, *got = NULL;
    lwm2m_mqtt_msg_t m = {0}, e = {0};
    lwm2m_error_t err = {0};
    lwm2m_buf_t buf = {0};
    int result = -1;
    if (check_topic(inner, msg, msglen) < 0)
        goto out;
    if (!json_object_object_get_ex(inner, "message", &want) || !bytes) {
        snprintf(msg, msglen, "no message or bytes");
        goto out;
    }
    if (lwm2m_mqtt_msg_decode(bytes, len, &m, &err) < 0) {
        snprintf(msg, msglen, "decode failed: %s (at byte %zu)", err.message, err.offset);
        goto out;
    }
    got = msg_json(&m);
    if (!json_object_equal(got, want)) {
        snprintf(msg, msglen, "decoded %s", json_object_to_json_string(got));
        goto out;
    }
    if (strcmp(vec_direction(vector), "both") == 0) {
        if (msg_from_json(want, &e, &owned) < 0 || lwm2m_mqtt_msg_encode(&e, &buf, &err) < 0) {
            snprintf(msg, msglen, "encode failed: %s", err.message);
            goto out;
        }
        if (buf.len != len || memcmp(buf.data, bytes, len) != 0) {
            char *hex = malloc(2 * buf.len + 1);
            nodejson_hex_encode(buf.data, buf.len, hex);
            snprintf(msg, msglen, "encoded %s, want %s", hex, vec_string(vector, "bytes_hex"));
            free(hex);
            goto out;
        }
    }
    result = 0;
out:
    json_object_put(got);
    lwm2m_mqtt_msg_clear(&m);
    lwm2m_buf_free(&buf);
    free(owned);
    free(bytes);
    return result;
}
