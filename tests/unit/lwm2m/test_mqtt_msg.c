/* test_mqtt_msg.c - the LwM2M MQTT binding's CBOR messages and topics: the TS examples byte for
 * byte both ways, every field through a round trip, malformed messages with codes and offsets,
 * and topic parsing and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../unit_common.h"

#include "lwm2m/mqtt_msg.h"

/* Hex to bytes; spaces are for reading only. */

static void assert_encodes(const lwm2m_mqtt_msg_t *m, const char *hex)
{
    uint8_t want[512];
    size_t n = unhex(hex, want);
    lwm2m_buf_t out = {0};
    lwm2m_error_t err = {0};
    assert_int_equal(lwm2m_mqtt_msg_encode(m, &out, &err), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, want, n);
    lwm2m_buf_free(&out);
}

static int decode_hex(const char *hex, lwm2m_mqtt_msg_t *m, lwm2m_error_t *err)
{
    static uint8_t buf[512];
    size_t n = unhex(hex, buf);
    memset(err, 0, sizeof(*err));
    return lwm2m_mqtt_msg_decode(buf, n, m, err);
}

static void assert_decode_error(const char *hex, int code, size_t offset)
{
    lwm2m_mqtt_msg_t m;
    lwm2m_error_t err;
    assert_int_equal(decode_hex(hex, &m, &err), code);
    assert_int_equal(err.offset, offset);
    assert_null(m.storage); /* cleared on failure */
}

static lwm2m_mqtt_str_t str(const char *s)
{
    return (lwm2m_mqtt_str_t){s, strlen(s)};
}

/* Transport TS §8: Read {1: 9, 2: 56, 5: "/3/0/0"}. */
static void test_spec_read(void **state)
{
    (void)state;
    const char *hex = "a3010902183805662f332f302f30";
    lwm2m_mqtt_msg_t m = {.has_operation = true,
                          .operation = LWM2M_MQTT_OP_READ,
                          .has_token = true,
                          .token.number = 56,
                          .has_uri = true,
                          .uri = str("/3/0/0")};
    assert_encodes(&m, hex);
    lwm2m_error_t err;
    assert_int_equal(decode_hex(hex, &m, &err), 0);
    assert_true(m.has_operation && m.operation == 9);
    assert_true(m.has_token && !m.token.is_bytes && m.token.number == 56);
    assert_true(m.has_uri);
    assert_string_equal(m.uri.data, "/3/0/0");
    assert_false(m.has_result || m.has_payload || m.has_ct || m.has_ep);
    lwm2m_mqtt_msg_clear(&m);
}

/* Its response {18: 205, 2: 56, 19: 0, 7: "Open Mobile Alliance"}: text/plain as text. */
static void test_spec_read_response(void **state)
{
    (void)state;
    const char *hex = "a41218cd021838130007744f70656e204d6f62696c6520416c6c69616e6365";
    lwm2m_mqtt_msg_t m = {.has_result = true,
                          .result = 205,
                          .has_token = true,
                          .token.number = 56,
                          .has_ct = true,
                          .ct = 0,
                          .has_payload = true,
                          .payload_is_text = true,
                          .payload = str("Open Mobile Alliance")};
    assert_encodes(&m, hex);
    lwm2m_error_t err;
    assert_int_equal(decode_hex(hex, &m, &err), 0);
    assert_true(m.has_result && m.result == 205 && !m.has_operation);
    assert_true(m.has_ct && m.ct == 0);
    assert_true(m.has_payload && m.payload_is_text);
    assert_int_equal(m.payload.len, 20);
    assert_string_equal(m.payload.data, "Open Mobile Alliance");
    lwm2m_mqtt_msg_clear(&m);
    /* The same with a byte string payload, as the CDDL has it. */
    assert_int_equal(
        decode_hex("a41218cd021838130007544f70656e204d6f62696c6520416c6c69616e6365", &m, &err), 0);
    assert_false(m.payload_is_text);
    assert_memory_equal(m.payload.data, "Open Mobile Alliance", 20);
    lwm2m_mqtt_msg_clear(&m);
}

static void test_every_field(void **state)
{
    (void)state;
    lwm2m_mqtt_str_t paths[2] = {str("/3/0"), str("/1/0/1")};
    uint8_t payload[] = {0x01, 0x00, 0xff};
    lwm2m_mqtt_msg_t m = {
        .has_operation = true,
        .operation = LWM2M_MQTT_OP_REGISTER,
        .has_token = true,
        .token = {.is_bytes = true, .bytes = {1, 2, 3, 4}, .len = 4},
        .has_ep = true,
        .ep = str("node-1"),
        .has_pct = true,
        .pct = 11544,
        .has_uri = true,
        .uri = str("/rd"),
        .has_paths = true,
        .paths = paths,
        .path_count = 2,
        .has_payload = true,
        .payload = {(const char *)payload, sizeof(payload)},
        .has_lifetime = true,
        .lifetime = UINT32_MAX,
        .has_version = true,
        .version = str("1.2"),
        .has_binding = true,
        .binding = str("M"),
        .has_sms = true,
        .sms = str("+123"),
        .has_pmin = true,
        .pmin = 10,
        .has_pmax = true,
        .pmax = 60,
        .has_gt = true,
        .gt = 25.5,
        .has_st = true,
        .st = -2,
        .has_epmin = true,
        .epmin = 1,
        .has_epmax = true,
        .epmax = 2,
        .has_ct = true,
        .ct = 40,
        .has_edge = true,
        .edge = true,
        .has_hqmax = true,
        .hqmax = 3,
        .has_depth = true,
        .depth = 2,
    };
    /* Keys in table order: 1, 2, 3..6, 8..17, 20..22, then ct 19 and payload 7 last. */
    const char *hex = "b5"
                      "0106"
                      "024401020304"
                      "03666e6f64652d31"
                      "04192d18"
                      "05632f7264"
                      "0682642f332f3066"
                      "2f312f302f31"
                      "081affffffff"
                      "0963312e32"
                      "0a614d"
                      "0b642b313233"
                      "0c0a"
                      "0d183c"
                      "0efa41cc0000"
                      "0f21"
                      "1001"
                      "1102"
                      "1401"
                      "1503"
                      "1602"
                      "131828"
                      "07430100ff";
    assert_encodes(&m, hex);
    lwm2m_mqtt_msg_t d;
    lwm2m_error_t err;
    assert_int_equal(decode_hex(hex, &d, &err), 0);
    assert_true(d.token.is_bytes && d.token.len == 4 && d.token.bytes[3] == 4);
    assert_int_equal(d.path_count, 2);
    assert_string_equal(d.paths[1].data, "/1/0/1");
    assert_true(d.lifetime == UINT32_MAX && d.gt == 25.5 && d.st == -2 && d.edge);
    assert_false(d.payload_is_text);
    assert_memory_equal(d.payload.data, payload, 3);
    assert_encodes(&d, hex); /* and back */
    lwm2m_mqtt_msg_clear(&d);
    lwm2m_mqtt_msg_clear(NULL);
}

static void test_lenient_decoding(void **state)
{
    (void)state;
    lwm2m_mqtt_msg_t m;
    lwm2m_error_t err;
    /* Indefinite map, chunked text, an unknown key with a nested value skipped and counted,
     * edge as a boolean, a uint64 token. */
    assert_int_equal(
        decode_hex("bf 0117 02 1bffffffffffffffff 05 7f 622f33 612f ff 1863 a2 0102 80f6 14f5 ff",
                   &m, &err),
        0);
    assert_true(m.token.number == UINT64_MAX);
    assert_string_equal(m.uri.data, "/3/");
    assert_int_equal(m.unknown_keys, 1);
    assert_true(m.has_edge && m.edge);
    lwm2m_mqtt_msg_clear(&m);
}

static void test_malformed(void **state)
{
    (void)state;
    assert_decode_error("", -400, 0);
    assert_decode_error("8101", -400, 0);                           /* not a map */
    assert_decode_error("a20109", -400, 3);                         /* truncated */
    assert_decode_error("a1010900", -400, 3);                       /* trailing bytes */
    assert_decode_error("a201090109", -400, 3);                     /* duplicate key */
    assert_decode_error("a2010961610a", -400, 3);                   /* text key */
    assert_decode_error("a2010920 0a", -400, 3);                    /* negative key */
    assert_decode_error("a1016161", -400, 2);                       /* operation as text */
    assert_decode_error("a101190100", -400, 2);                     /* operation above 255 */
    assert_decode_error("a20109054101", -400, 4);                   /* uri as bytes */
    assert_decode_error("a20109024900000000000000000000", -400, 4); /* 9-byte token */
    assert_decode_error("a2010905 62c328", -400, 4);                /* bad UTF-8 */
    assert_decode_error("a1021838", -400, 0);       /* neither operation nor result */
    assert_decode_error("a201091218cd", -400, 0);   /* both */
    assert_decode_error("a11219012c", -400, 0);     /* result 300 is not a CoAP code */
    assert_decode_error("a2010914 02", -400, 4);    /* edge 2 */
    assert_decode_error("a201090ef97c00", -400, 4); /* gt Infinity */
    assert_decode_error(
        "a2010918 63 9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9fffffffffffffffffffffffffffffffffffff",
        -400, 22);                          /* unknown value nested too deep */
    assert_decode_error("a1011c", -400, 2); /* reserved additional info */
    /* 65 paths: past the bound. */
    char hex[1024] = "a2010906 9841";
    for (int i = 0; i < 65; i++)
        strcat(hex, "612f");
    lwm2m_mqtt_msg_t m;
    lwm2m_error_t err;
    assert_int_equal(decode_hex(hex, &m, &err), -413);
    assert_int_equal(err.offset, 6 + 64 * 2);
}

static void test_encoder_refusals(void **state)
{
    (void)state;
    lwm2m_buf_t out = {0};
    lwm2m_error_t err;
    lwm2m_mqtt_msg_t m = {.has_token = true};
    assert_int_equal(lwm2m_mqtt_msg_encode(&m, &out, &err), -406); /* no operation or result */
    m.has_operation = m.has_result = true;
    m.result = 205;
    assert_int_equal(lwm2m_mqtt_msg_encode(&m, &out, &err), -406); /* both */
    m.has_operation = false;
    m.result = 206 + 100 * 5;
    assert_int_equal(lwm2m_mqtt_msg_encode(&m, &out, &err), -406); /* 7.06 */
    m.result = 404;
    m.token = (lwm2m_mqtt_token_t){.is_bytes = true, .len = 9};
    assert_int_equal(lwm2m_mqtt_msg_encode(&m, &out, &err), -406);
    m.token.len = 0;
    assert_int_equal(lwm2m_mqtt_msg_encode(&m, &out, &err), 0);
    lwm2m_buf_free(&out);
    lwm2m_buf_init(&out, 3);
    assert_int_equal(lwm2m_mqtt_msg_encode(&m, &out, &err), -413);
    lwm2m_buf_free(&out);
}

static void assert_topic(const char *topic, const char *prefix, lwm2m_mqtt_interface_t intf,
                         const char *endpoint)
{
    lwm2m_mqtt_topic_t t;
    lwm2m_error_t err;
    char again[256];
    assert_int_equal(lwm2m_mqtt_topic_parse(topic, strlen(topic), &t, &err), 0);
    assert_int_equal(t.prefix.len, strlen(prefix));
    assert_memory_equal(t.prefix.data ? t.prefix.data : "", prefix, strlen(prefix));
    assert_int_equal(t.interface, intf);
    assert_int_equal(t.endpoint.len, strlen(endpoint));
    assert_memory_equal(t.endpoint.data, endpoint, strlen(endpoint));
    assert_int_equal(lwm2m_mqtt_topic_format(prefix, intf, endpoint, again, sizeof(again)),
                     (int)strlen(topic));
    assert_string_equal(again, topic);
}

static void test_topics(void **state)
{
    (void)state;
    assert_topic("tenant-a/lwm2m/rd/b1cccdea-22ca-4448", "tenant-a", LWM2M_MQTT_REGISTRATION,
                 "b1cccdea-22ca-4448");
    assert_topic("tenant-a/lwm2m/bs/ep", "tenant-a", LWM2M_MQTT_BOOTSTRAP, "ep");
    assert_topic("lwm2m/rd/ep", "", LWM2M_MQTT_REGISTRATION, "ep");
    assert_topic("a/b/lwm2m/rd/lwm2m", "a/b", LWM2M_MQTT_REGISTRATION, "lwm2m");
    assert_topic("lwm2m/lwm2m/rd/x", "lwm2m", LWM2M_MQTT_REGISTRATION, "x");
    const char *bad[] = {"lwm2m/rd/",
                         "lwm2m/xx/ep",
                         "tenant/lwm2m/rd/a/b",
                         "/lwm2m/rd/ep",
                         "a//lwm2m/rd/e",
                         "alwm2m/rd/e",
                         "lwm2m/rd/e+",
                         "a/#/lwm2m/rd/e",
                         "lwm2m/rd",
                         "rd/ep",
                         ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lwm2m_mqtt_topic_t t;
        lwm2m_error_t err;
        assert_int_equal(lwm2m_mqtt_topic_parse(bad[i], strlen(bad[i]), &t, &err), -400);
    }
    char buf[64];
    assert_int_equal(
        lwm2m_mqtt_topic_format("tenant-a", LWM2M_MQTT_REGISTRATION, NULL, buf, sizeof(buf)), 19);
    assert_string_equal(buf, "tenant-a/lwm2m/rd/#");
    assert_int_equal(lwm2m_mqtt_topic_format(NULL, LWM2M_MQTT_BOOTSTRAP, "e", buf, sizeof(buf)),
                     10);
    assert_string_equal(buf, "lwm2m/bs/e");
    assert_int_equal(lwm2m_mqtt_topic_format("x", LWM2M_MQTT_BOOTSTRAP, "e/f", buf, sizeof(buf)),
                     -400);
    assert_int_equal(lwm2m_mqtt_topic_format("x/", LWM2M_MQTT_BOOTSTRAP, "e", buf, sizeof(buf)),
                     -400);
    assert_int_equal(lwm2m_mqtt_topic_format("x", LWM2M_MQTT_BOOTSTRAP, "e", buf, 12), -413);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_read),   cmocka_unit_test(test_spec_read_response),
        cmocka_unit_test(test_every_field), cmocka_unit_test(test_lenient_decoding),
        cmocka_unit_test(test_malformed),   cmocka_unit_test(test_encoder_refusals),
        cmocka_unit_test(test_topics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
