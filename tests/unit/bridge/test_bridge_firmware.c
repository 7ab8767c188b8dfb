/* test_bridge_firmware.c - firmware commands (parsing, every refusal), progress messages, the
 * Update Result meanings and the persisted job record. */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/firmware.h"

#define SHA "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"

typedef struct fx {
    bridge_t *bridge;
    bridge_out_t out;
} fx_t;

static int setup(void **state)
{
    static fx_t f;
    memset(&f, 0, sizeof(f));
    bridge_config_t c = {.root = "lwm2m",
                         .gateway_id = "gw1",
                         .version = "1.0",
                         .qos_state = 1,
                         .qos_event = 1,
                         .qos_response = 1,
                         .command_max_payload = 1024};
    f.bridge = bridge_new(&c);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    bridge_out_clear(&f->out);
    bridge_free(f->bridge);
    return 0;
}

static int parse(fx_t *f, const char *topic, const char *json, bridge_fw_request_t *req)
{
    bridge_out_clear(&f->out);
    return bridge_parse_firmware_command(f->bridge, topic, (const uint8_t *)json, strlen(json),
                                         NULL, req, &f->out, 1000);
}

static json_object *message(const fx_t *f, size_t i, const char *topic)
{
    assert_true(i < f->out.count);
    assert_string_equal(f->out.items[i].topic, topic);
    return json_tokener_parse((const char *)f->out.items[i].payload);
}

static const char *str(json_object *j, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(j, key, &v) ? json_object_get_string(v) : NULL;
}

static void test_update_command(void **state)
{
    fx_t *f = *state;
    bridge_fw_request_t req;
    assert_int_equal(parse(f, "lwm2m/dev%2F1/command",
                           "{\"id\":\"j1\",\"op\":\"firmware-update\",\"package\":\"fw-1.2.bin\","
                           "\"sha256\":\"" SHA "\",\"method\":\"pull\",\"execute\":false,"
                           "\"timeout\":600}",
                           &req),
                     1);
    assert_string_equal(req.endpoint, "dev/1");
    assert_string_equal(req.id, "j1");
    assert_false(req.cancel);
    assert_string_equal(req.package, "fw-1.2.bin");
    assert_string_equal(req.sha256,
                        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    assert_int_equal(req.method, BRIDGE_FW_PULL);
    assert_false(req.execute);
    assert_int_equal(req.timeout_s, 600);
    assert_int_equal(f->out.count, 0);
    /* Defaults: push, execute. */
    assert_int_equal(parse(f, "lwm2m/d/command",
                           "{\"id\":\"j\",\"op\":\"firmware-update\",\"package\":\"a\","
                           "\"sha256\":\"" SHA "\"}",
                           &req),
                     1);
    assert_int_equal(req.method, BRIDGE_FW_PUSH);
    assert_true(req.execute);
    assert_int_equal(req.timeout_s, 0);
    assert_int_equal(parse(f, "lwm2m/d/command", "{\"op\":\"firmware-cancel\"}", &req), 1);
    assert_true(req.cancel);
}

static void test_not_firmware(void **state)
{
    fx_t *f = *state;
    bridge_fw_request_t req;
    assert_int_equal(parse(f, "lwm2m/d/command", "{\"op\":\"read\",\"path\":\"/3/0\"}", &req), 0);
    assert_int_equal(parse(f, "lwm2m/d/command", "not json", &req), 0);
    assert_int_equal(parse(f, "other/d/command", "{\"op\":\"firmware-update\"}", &req), 0);
    assert_int_equal(parse(f, "lwm2m/d/set/3/0/1", "{\"op\":\"firmware-update\"}", &req), 0);
    assert_int_equal(f->out.count, 0);
}

static void test_refusals(void **state)
{
    fx_t *f = *state;
    bridge_fw_request_t req;
    static const struct {
        const char *json, *error;
    } cases[] = {
        {"{\"op\":\"firmware-update\",\"package\":\"a\",\"sha256\":\"" SHA "\"}", "\"id\""},
        {"{\"id\":\"j\",\"op\":\"firmware-update\",\"sha256\":\"" SHA "\"}", "\"package\""},
        {"{\"id\":\"j\",\"op\":\"firmware-update\",\"package\":\"../etc/passwd\","
         "\"sha256\":\"" SHA "\"}",
         "\"package\""},
        {"{\"id\":\"j\",\"op\":\"firmware-update\",\"package\":\"..\",\"sha256\":\"" SHA "\"}",
         "\"package\""},
        {"{\"id\":\"j\",\"op\":\"firmware-update\",\"package\":\"a\",\"sha256\":\"abc\"}",
         "\"sha256\""},
        {"{\"id\":\"j\",\"op\":\"firmware-update\",\"package\":\"a\",\"sha256\":"
         "\"zz86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}",
         "\"sha256\""},
        {"{\"id\":\"j\",\"op\":\"firmware-update\",\"package\":\"a\",\"sha256\":\"" SHA
         "\",\"method\":\"tftp\"}",
         "\"method\""},
        {"{\"id\":\"j\",\"op\":\"firmware-update\",\"package\":\"a\",\"sha256\":\"" SHA
         "\",\"method\":1}",
         "\"method\""},
        {"{\"id\":\"j\",\"op\":\"firmware-update\",\"package\":\"a\",\"sha256\":\"" SHA
         "\",\"execute\":\"yes\"}",
         "\"execute\""},
        {"{\"id\":\"j\",\"op\":\"firmware-update\",\"package\":\"a\",\"sha256\":\"" SHA
         "\",\"timeout\":5}",
         "\"timeout\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(f, "lwm2m/d/command", cases[i].json, &req), -400);
        assert_int_equal(f->out.count, 1);
        json_object *j = message(f, 0, "lwm2m/d/response");
        assert_string_equal(str(j, "status"), "error");
        assert_string_equal(str(j, "code"), "4.00");
        assert_non_null(strstr(str(j, "error"), cases[i].error));
        json_object_put(j);
    }
}

static void test_progress_messages(void **state)
{
    fx_t *f = *state;
    bridge_fw_progress_t p = {.job = "j1",
                              .state = "failure",
                              .method = BRIDGE_FW_PULL,
                              .percent = -1,
                              .bytes = -1,
                              .size = 2048,
                              .result = 5,
                              .error = "the device reported Update Result 5",
                              .final = true};
    bridge_firmware_progress(f->bridge, "d", &p, 42, &f->out);
    assert_int_equal(f->out.count, 2);
    assert_true(f->out.items[0].retain);
    assert_false(f->out.items[1].retain);
    json_object *status = message(f, 0, "lwm2m/d/firmware");
    json_object *event = message(f, 1, "lwm2m/d/event");
    assert_string_equal(str(event, "event"), "firmware");
    assert_string_equal(str(event, "state"), "failure");
    assert_string_equal(str(event, "method"), "pull");
    assert_string_equal(str(event, "result"), "5");
    assert_string_equal(str(event, "result_text"),
                        "Integrity check failure for new downloaded package");
    assert_string_equal(str(event, "final"), "true");
    assert_null(str(event, "percent"));
    assert_string_equal(str(status, "size"), "2048");
    assert_null(str(status, "event"));
    json_object_put(status);
    json_object_put(event);
    bridge_fw_request_t req = {.id = "j2", .endpoint = "d"};
    bridge_out_clear(&f->out);
    bridge_firmware_response(f->bridge, &req, NULL, 0, NULL, 7, &f->out);
    json_object *r = message(f, 0, "lwm2m/d/response");
    assert_string_equal(str(r, "status"), "accepted");
    assert_string_equal(str(r, "op"), "firmware-update");
    json_object_put(r);
}

/* MQTT 5: the answer goes to the command's Response Topic with its Correlation Data, also
 * the error answer of a malformed command. */
static void test_response_topic_and_correlation(void **state)
{
    fx_t *f = *state;
    static const uint8_t corr[] = {0x00, 0xfe, 0x07};
    bridge_fw_reply_t reply = {"app/replies/7", corr, sizeof(corr)};
    bridge_fw_request_t req = {.id = "j3", .endpoint = "d"};
    bridge_out_clear(&f->out);
    bridge_firmware_response(f->bridge, &req, &reply, 409, "busy", 7, &f->out);
    json_object *r = message(f, 0, "app/replies/7");
    assert_string_equal(str(r, "status"), "error");
    assert_string_equal(str(r, "code"), "4.09");
    json_object_put(r);
    assert_int_equal(f->out.items[0].correlation_len, sizeof(corr));
    assert_memory_equal(f->out.items[0].correlation, corr, sizeof(corr));

    static const char bad[] = "{\"op\":\"firmware-update\",\"id\":\"j4\"}";
    bridge_out_clear(&f->out);
    assert_true(bridge_parse_firmware_command(f->bridge, "lwm2m/d/command", (const uint8_t *)bad,
                                              strlen(bad), &reply, &req, &f->out, 1000) < 0);
    r = message(f, 0, "app/replies/7");
    assert_string_equal(str(r, "id"), "j4");
    assert_string_equal(str(r, "code"), "4.00");
    json_object_put(r);
    assert_int_equal(f->out.items[0].correlation_len, sizeof(corr));
}

static void test_result_texts(void **state)
{
    (void)state;
    assert_string_equal(bridge_firmware_result_text(0), "Initial value");
    assert_string_equal(bridge_firmware_result_text(1), "Firmware updated successfully");
    assert_string_equal(bridge_firmware_result_text(2),
                        "Not enough flash memory for the new firmware package");
    assert_string_equal(bridge_firmware_result_text(7), "Invalid URI");
    assert_string_equal(bridge_firmware_result_text(8), "Firmware update failed");
    assert_string_equal(bridge_firmware_result_text(9), "Unsupported protocol");
    assert_string_equal(bridge_firmware_result_text(10), "Firmware update cancelled");
    assert_string_equal(bridge_firmware_result_text(11), "Unknown result");
    assert_string_equal(bridge_firmware_result_text(-1), "Unknown result");
}

static void test_record_round_trip(void **state)
{
    (void)state;
    bridge_fw_record_t r = {.retries = 2, .deadline_wall_ms = 1700000000123LL, .size = 204800};
    strcpy(r.req.id, "job \"1\"");
    strcpy(r.req.package, "fw.bin");
    strcpy(r.req.sha256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    r.req.method = BRIDGE_FW_PULL;
    r.req.execute = true;
    r.req.timeout_s = 900;
    strcpy(r.phase, "downloading");
    strcpy(r.token, "00112233445566778899aabbccddeeff");
    char *text = bridge_fw_record_json(&r);
    assert_non_null(text);
    bridge_fw_record_t back;
    assert_int_equal(bridge_fw_record_parse(text, &back), 0);
    free(text);
    assert_string_equal(back.req.id, r.req.id);
    assert_string_equal(back.req.package, "fw.bin");
    assert_string_equal(back.req.sha256, r.req.sha256);
    assert_int_equal(back.req.method, BRIDGE_FW_PULL);
    assert_true(back.req.execute);
    assert_int_equal(back.req.timeout_s, 900);
    assert_string_equal(back.phase, "downloading");
    assert_string_equal(back.token, r.token);
    assert_int_equal(back.retries, 2);
    assert_int_equal(back.deadline_wall_ms, 1700000000123LL);
    assert_int_equal(back.size, 204800);
    assert_int_equal(bridge_fw_record_parse("{\"id\":1}", &back), -400);
    assert_int_equal(bridge_fw_record_parse("[", &back), -400);
    assert_int_equal(bridge_fw_record_parse(NULL, &back), -400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_update_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_firmware, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_topic_and_correlation, setup, teardown),
        cmocka_unit_test(test_result_texts),
        cmocka_unit_test(test_record_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
