/* fuzz_mqtt_msg.c - libFuzzer target for the MQTT binding: the input as a CBOR message (what
 * decodes must encode, and the encoding must be a fixed point) and as a topic name (what
 * parses must format back to itself). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/mqtt_msg.h"

static void topic(const uint8_t *data, size_t size)
{
    lwm2m_mqtt_topic_t t;
    lwm2m_error_t err;
    char prefix[256], endpoint[256], again[600];
    if (lwm2m_mqtt_topic_parse((const char *)data, size, &t, &err) != 0 ||
        t.prefix.len >= sizeof(prefix) || t.endpoint.len >= sizeof(endpoint))
        return;
    memcpy(prefix, t.prefix.data ? t.prefix.data : "", t.prefix.len);
    prefix[t.prefix.len] = 0;
    memcpy(endpoint, t.endpoint.data, t.endpoint.len);
    endpoint[t.endpoint.len] = 0;
    int n = lwm2m_mqtt_topic_format(prefix, t.interface, endpoint, again, sizeof(again));
    if (n < 0 || (size_t)n != size || memcmp(again, data, size) != 0)
        __builtin_trap();
}

static int round_trip(const uint8_t *data, size_t size, lwm2m_buf_t *out)
{
    lwm2m_mqtt_msg_t msg;
    lwm2m_error_t err;
    int rc = lwm2m_mqtt_msg_decode(data, size, &msg, &err);
    if (rc == 0 && lwm2m_mqtt_msg_encode(&msg, out, &err) != 0)
        __builtin_trap(); /* every decoded message can be sent again */
    lwm2m_mqtt_msg_clear(&msg);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lwm2m_buf_t first = {0}, second = {0};
    topic(data, size);
    if (round_trip(data, size, &first) == 0) {
        if (round_trip(first.data, first.len, &second) != 0 || second.len != first.len ||
            memcmp(first.data, second.data, first.len) != 0)
            __builtin_trap();
    }
    lwm2m_buf_free(&first);
    lwm2m_buf_free(&second);
    return 0;
}
