/* test_bridge.c - the LwM2M <-> MQTT mapping without a broker: topics, escaping, payloads,
 * command parsing and its error answers, response routing with MQTT 5 correlation data. */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/bridge.h"

typedef struct fx {
    bridge_t *bridge;
    lwm2m_model_t *model;
    bridge_out_t out;
    lwm2m_registration_t reg;
} fx_t;

static const char *const rule_paths[] = {"/3303/0/5700"};
static const bridge_rule_t rules[] = {{"sim-*", rule_paths, 1, "pmin=5", false}};

static int setup(void **state)
{
    static fx_t f;
    memset(&f, 0, sizeof(f));
    f.model = lwm2m_model_new_builtin();
    bridge_config_t c = {.root = "lwm2m",
                         .gateway_id = "gw1",
                         .version = "1.0",
                         .qos_data = 1,
                         .qos_state = 1,
                         .qos_event = 1,
                         .qos_response = 1,
                         .retain_state = true,
                         .command_max_payload = 256,
                         .model = f.model,
                         .rules = rules,
                         .rule_count = 1};
    f.bridge = bridge_new(&c);
    strcpy(f.reg.endpoint, "sim-1");
    strcpy(f.reg.location, "rd/0011");
    f.reg.version = LWM2M_VERSION_1_1;
    strcpy(f.reg.binding, "U");
    f.reg.lifetime = 60;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    bridge_out_clear(&f->out);
    bridge_free(f->bridge);
    lwm2m_model_free(f->model);
    return 0;
}

static json_object *payload_json(const bridge_msg_t *m)
{
    json_object *j = json_tokener_parse((const char *)m->payload);
    assert_non_null(j);
    return j;
}

static const char *str(json_object *j, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(j, key, &v) ? json_object_get_string(v) : NULL;
}

static void test_escaping(void **state)
{
    (void)state;
    char buf[64], back[64];
    assert_true(bridge_escape_endpoint("a/b+#$%", buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "a%2Fb%2B%23%24%25");
    assert_true(bridge_unescape_endpoint(buf, back, sizeof(back)) > 0);
    assert_string_equal(back, "a/b+#$%");
    assert_int_equal(bridge_unescape_endpoint("bad%2", back, sizeof(back)), -400);
    assert_int_equal(bridge_unescape_endpoint("nul%00", back, sizeof(back)), -400);
    assert_int_equal(bridge_unescape_endpoint("", back, sizeof(back)), -400);
}

static void test_state_and_data(void **state)
{
    fx_t *f = *state;
    bridge_registered(f->bridge, &f->reg, false, 1000, &f->out);
    assert_int_equal(f->out.count, 2);
    assert_string_equal(f->out.items[0].topic, "lwm2m/sim-1/state");
    assert_true(f->out.items[0].retain);
    json_object *j = payload_json(&f->out.items[0]);
    assert_string_equal(str(j, "state"), "registered");
    assert_string_equal(str(j, "lwm2m"), "1.1");
    json_object_put(j);
    assert_string_equal(f->out.items[1].topic, "lwm2m/sim-1/event");
    bridge_out_clear(&f->out);

    lwm2m_nodes_t nodes = {0};
    lwm2m_path_t p = lwm2m_path_make(3, 3303, 0, 5700, 0);
    lwm2m_value_t v = lwm2m_value_float(21.5);
    lwm2m_nodes_add(&nodes, &p, &v, NULL);
    bridge_notify(f->bridge, &f->reg, 7, &nodes, 2000, &f->out);
    assert_int_equal(f->out.count, 1);
    assert_string_equal(f->out.items[0].topic, "lwm2m/sim-1/data/3303/0/5700");
    j = payload_json(&f->out.items[0]);
    assert_string_equal(str(j, "type"), "float");
    assert_string_equal(str(j, "name"), "Sensor Value");
    assert_string_equal(str(j, "source"), "notify");
    json_object *value;
    json_object_object_get_ex(j, "value", &value);
    assert_true(json_object_get_double(value) == 21.5);
    json_object_put(j);
    lwm2m_nodes_clear(&nodes);
}

static void test_command_parsing(void **state)
{
    fx_t *f = *state;
    bridge_command_t cmd;
    const char *c = "{\"id\":\"7\",\"op\":\"write\",\"path\":\"/3303/0/5750\",\"value\":\"lab\"}";
    assert_int_equal(bridge_parse_command(f->bridge, "lwm2m/sim-1/command", (const uint8_t *)c,
                                          strlen(c), NULL, NULL, 0, &cmd, &f->out, 1000),
                     1);
    assert_string_equal(cmd.endpoint, "sim-1");
    assert_string_equal(cmd.id, "7");
    assert_int_equal(cmd.request.type, LWM2M_REQ_WRITE_REPLACE);
    assert_int_equal(cmd.request.node_count, 1);
    assert_int_equal(cmd.request.nodes[0].value.type, LWM2M_TYPE_STRING);
    bridge_command_clear(&cmd);

    /* the set/ shortcut takes its type from the model: 5700 is a float */
    assert_int_equal(bridge_parse_command(f->bridge, "lwm2m/sim-1/set/3303/0/5700",
                                          (const uint8_t *)"23", 2, NULL, NULL, 0, &cmd, &f->out,
                                          1000),
                     1);
    assert_int_equal(cmd.request.nodes[0].value.type, LWM2M_TYPE_FLOAT);
    bridge_command_clear(&cmd);

    /* not ours */
    assert_int_equal(bridge_parse_command(f->bridge, "other/sim-1/command", (const uint8_t *)c,
                                          strlen(c), NULL, NULL, 0, &cmd, &f->out, 1000),
                     0);
    assert_int_equal(f->out.count, 0);
}

static void expect_error(fx_t *f, const char *topic, const char *payload, const char *code)
{
    bridge_command_t cmd;
    bridge_out_clear(&f->out);
    int rc = bridge_parse_command(f->bridge, topic, (const uint8_t *)payload, strlen(payload), NULL,
                                  NULL, 0, &cmd, &f->out, 1000);
    assert_true(rc < 0);
    assert_int_equal(f->out.count, 1);
    json_object *j = payload_json(&f->out.items[0]);
    assert_string_equal(str(j, "status"), "error");
    assert_string_equal(str(j, "code"), code);
    assert_non_null(str(j, "error"));
    json_object_put(j);
}

static void test_malformed_commands(void **state)
{
    fx_t *f = *state;
    expect_error(f, "lwm2m/sim-1/command", "not json", "4.00");
    expect_error(f, "lwm2m/sim-1/command", "{\"op\":\"dance\"}", "4.00");
    expect_error(f, "lwm2m/sim-1/command", "{\"op\":\"read\",\"path\":\"/3/x\"}", "4.00");
    expect_error(f, "lwm2m/sim-1/command",
                 "{\"op\":\"write\",\"path\":\"/3303/0/5700\",\"value\":\"warm\"}", "4.00");
    expect_error(f, "lwm2m/sim-1/command", "{\"op\":\"read\",\"path\":\"/3/0\",\"timeout\":0}",
                 "4.00");
    char big[400];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    expect_error(f, "lwm2m/sim-1/command", big, "4.13");
    assert_string_equal(f->out.items[0].topic, "lwm2m/sim-1/response");
}

static void test_response_with_correlation(void **state)
{
    fx_t *f = *state;
    bridge_command_t cmd;
    const char *c = "{\"id\":\"r1\",\"op\":\"read\",\"path\":\"/3/0/0\"}";
    const uint8_t corr[] = {1, 2, 3};
    assert_int_equal(bridge_parse_command(f->bridge, "lwm2m/sim-1/command", (const uint8_t *)c,
                                          strlen(c), "app/replies", corr, 3, &cmd, &f->out, 1000),
                     1);
    bridge_command_submitted(f->bridge, &cmd, 42);
    bridge_command_clear(&cmd);
    lwm2m_nodes_t nodes = {0};
    lwm2m_path_t p = lwm2m_path_make(3, 3, 0, 0, 0);
    lwm2m_value_t v = lwm2m_value_bytes(LWM2M_TYPE_STRING, "ACME", 4);
    lwm2m_nodes_add(&nodes, &p, &v, NULL);
    lwm2m_result_t r = {.request_id = 42,
                        .type = LWM2M_REQ_READ,
                        .status = LWM2M_RESULT_RESPONSE,
                        .code = 205,
                        .nodes = &nodes};
    bridge_result(f->bridge, &f->reg, &r, 3000, &f->out);
    /* data topic for the read value, then the response on the MQTT 5 response topic */
    assert_int_equal(f->out.count, 2);
    assert_string_equal(f->out.items[0].topic, "lwm2m/sim-1/data/3/0/0");
    assert_string_equal(f->out.items[1].topic, "app/replies");
    assert_int_equal(f->out.items[1].correlation_len, 3);
    assert_memory_equal(f->out.items[1].correlation, corr, 3);
    json_object *j = payload_json(&f->out.items[1]);
    assert_string_equal(str(j, "id"), "r1");
    assert_string_equal(str(j, "code"), "2.05");
    json_object_put(j);
    lwm2m_nodes_clear(&nodes);
    /* a second result for the same request finds nothing pending */
    bridge_out_clear(&f->out);
    r.nodes = NULL;
    bridge_result(f->bridge, &f->reg, &r, 3000, &f->out);
    assert_int_equal(f->out.count, 0);
}

static void test_rules(void **state)
{
    fx_t *f = *state;
    bridge_command_t cmds[4];
    /* LwM2M 1.1: attributes are written first, then observed without them */
    assert_int_equal(bridge_auto_observe(f->bridge, &f->reg, cmds, 4), 2);
    assert_int_equal(cmds[0].request.type, LWM2M_REQ_WRITE_ATTRIBUTES);
    assert_string_equal(cmds[0].request.attributes, "pmin=5");
    assert_int_equal(cmds[1].request.type, LWM2M_REQ_OBSERVE);
    assert_null(cmds[1].request.attributes);
    bridge_command_clear(&cmds[0]);
    bridge_command_clear(&cmds[1]);
    /* LwM2M 1.2: the attributes ride on the Observe */
    lwm2m_registration_t v12 = f->reg;
    v12.version = LWM2M_VERSION_1_2;
    assert_int_equal(bridge_auto_observe(f->bridge, &v12, cmds, 4), 1);
    assert_int_equal(cmds[0].request.type, LWM2M_REQ_OBSERVE);
    assert_string_equal(cmds[0].request.attributes, "pmin=5");
    bridge_command_clear(&cmds[0]);
    lwm2m_registration_t other = f->reg;
    strcpy(other.endpoint, "meter-1");
    assert_int_equal(bridge_auto_observe(f->bridge, &other, cmds, 4), 0);
}

static void test_raw_values(void **state)
{
    fx_t *f = *state;
    bridge_config_t c = {
        .root = "lwm2m", .gateway_id = "gw1", .raw_values = true, .model = f->model};
    bridge_reconfigure(f->bridge, &c);
    lwm2m_nodes_t nodes = {0};
    lwm2m_path_t p = lwm2m_path_make(3, 3303, 0, 5700, 0), q = lwm2m_path_make(3, 3, 0, 0, 0);
    lwm2m_value_t v = lwm2m_value_float(21.5), s = lwm2m_value_bytes(LWM2M_TYPE_STRING, "ACME", 4);
    lwm2m_nodes_add(&nodes, &p, &v, NULL);
    lwm2m_nodes_add(&nodes, &q, &s, NULL);
    bridge_send(f->bridge, &f->reg, &nodes, 5, &f->out);
    assert_int_equal(f->out.count, 2);
    assert_string_equal((char *)f->out.items[0].payload, "21.5");
    assert_string_equal((char *)f->out.items[1].payload, "ACME");
    lwm2m_nodes_clear(&nodes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_and_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_parsing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_with_correlation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_values, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
