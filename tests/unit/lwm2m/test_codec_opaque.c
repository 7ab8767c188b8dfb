/* test_codec_opaque.c - the application/octet-stream codec (lwm2m/data/codec_opaque.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"

static lwm2m_path_t path(const char *text)
{
    lwm2m_path_t p;
    assert_int_equal(lwm2m_path_parse(text, strlen(text), 0, &p), 0);
    return p;
}

static void test_round_trip(void **state)
{
    (void)state;
    static const uint8_t firmware[] = {0x00, 0xff, 0x10, 0x00, 0x7f};
    lwm2m_model_t *model = lwm2m_model_new_builtin();
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    lwm2m_buf_t out = {0};
    lwm2m_path_t base = path("/5/0/0");
    lwm2m_decode_opts_t opts = {.model = model};
    assert_int_equal(
        lwm2m_codec_opaque.decode(firmware, sizeof(firmware), &base, &opts, &nodes, &err), 0);
    assert_int_equal(nodes.count, 1);
    assert_true(lwm2m_path_equal(&nodes.items[0].path, &base));
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_OPAQUE);
    assert_int_equal(lwm2m_codec_opaque.encode(&base, nodes.items, 1, &out, &err), 0);
    assert_int_equal(out.len, sizeof(firmware));
    assert_memory_equal(out.data, firmware, sizeof(firmware));
    lwm2m_nodes_clear(&nodes);
    lwm2m_buf_free(&out);

    /* the bytes are all there is: opaque even where the model says string */
    base = path("/3/0/0");
    assert_int_equal(lwm2m_codec_opaque.decode(firmware, 2, &base, &opts, &nodes, &err), 0);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_OPAQUE);
    lwm2m_nodes_clear(&nodes);
    lwm2m_model_free(model);
}

static void test_empty(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    lwm2m_buf_t out = {0};
    lwm2m_path_t base = path("/5/0/0");
    assert_int_equal(lwm2m_codec_opaque.decode((const uint8_t *)"", 0, &base, NULL, &nodes, &err),
                     0);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_OPAQUE);
    assert_int_equal(nodes.items[0].value.u.bytes.len, 0);
    assert_int_equal(lwm2m_codec_opaque.encode(&base, nodes.items, 1, &out, &err), 0);
    assert_int_equal(out.len, 0);
    lwm2m_nodes_clear(&nodes);
    lwm2m_buf_free(&out);
}

static void test_refusals(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    lwm2m_buf_t out = {0};
    lwm2m_path_t base = path("/5/0");
    assert_int_equal(lwm2m_codec_opaque.decode((const uint8_t *)"x", 1, &base, NULL, &nodes, &err),
                     LWM2M_ERR_NOT_ACCEPTABLE);
    assert_int_equal(err.code, LWM2M_ERR_NOT_ACCEPTABLE);

    base = path("/5/0/0");
    lwm2m_nodes_init(&nodes, 1, 4); /* the byte bound of the node list holds */
    assert_int_equal(
        lwm2m_codec_opaque.decode((const uint8_t *)"12345", 5, &base, NULL, &nodes, &err),
        LWM2M_ERR_TOO_LARGE);
    lwm2m_nodes_clear(&nodes);

    lwm2m_node_t n[2] = {{.path = base, .value = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "a", 1)},
                         {.path = base, .value = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "b", 1)}};
    assert_int_equal(lwm2m_codec_opaque.encode(&base, n, 2, &out, &err), -406);
    n[0].value = lwm2m_value_integer(1);
    assert_int_equal(lwm2m_codec_opaque.encode(&base, n, 1, &out, &err), -406);
    n[1].path = path("/5/0/1");
    assert_int_equal(lwm2m_codec_opaque.encode(&base, &n[1], 1, &out, &err), -406);

    /* and the output bound */
    lwm2m_buf_init(&out, 2);
    n[1].path = base;
    n[1].value = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "12345", 5);
    assert_int_equal(lwm2m_codec_opaque.encode(&base, &n[1], 1, &out, &err), LWM2M_ERR_TOO_LARGE);
    assert_int_equal(err.code, LWM2M_ERR_TOO_LARGE);
    lwm2m_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
