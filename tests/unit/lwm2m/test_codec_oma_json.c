/* test_codec_oma_json.c - OMA LwM2M JSON (11543): the raw document, the node codec's layouts
 * (Zephyr's bn/n split, Leshan's full-path bn and bt + relative t), exact 64-bit integers,
 * empty containers, malformed input with codes and offsets, and path lists. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"
#include "lwm2m/oma_json.h"

static const lwm2m_codec_t *codec = &lwm2m_codec_oma_json;
static lwm2m_model_t *model;

static lwm2m_path_t path(const char *text)
{
    lwm2m_path_t p;
    assert_int_equal(lwm2m_path_parse(text, strlen(text), LWM2M_PATH_ALLOW_RESERVED, &p), 0);
    return p;
}

static int decode(const char *text, const char *base, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    lwm2m_decode_opts_t opts = {.model = model};
    lwm2m_path_t b = path(base);
    memset(err, 0, sizeof(*err));
    return codec->decode((const uint8_t *)text, strlen(text), &b, &opts, out, err);
}

static void assert_encodes(const char *base, const lwm2m_node_t *nodes, size_t count,
                           const char *want)
{
    lwm2m_buf_t out = {0};
    lwm2m_error_t err = {0};
    lwm2m_path_t b = path(base);
    assert_int_equal(codec->encode(&b, nodes, count, &out, &err), 0);
    assert_string_equal((const char *)out.data, want);
    lwm2m_buf_free(&out);
}

/* decode then encode gives the same text. */
static void assert_round_trip(const char *text, const char *base)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    assert_int_equal(decode(text, base, &nodes, &err), 0);
    assert_encodes(base, nodes.items, nodes.count, text);
    lwm2m_nodes_clear(&nodes);
}

static void assert_decode_error(const char *text, const char *base, int code, size_t offset)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    assert_int_equal(decode(text, base, &nodes, &err), code);
    assert_int_equal(err.offset, offset);
    assert_true(err.message[0] != 0);
    lwm2m_nodes_clear(&nodes);
}

static int setup(void **state)
{
    (void)state;
    model = lwm2m_model_new_builtin();
    return model ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    lwm2m_model_free(model);
    return 0;
}

static void test_canonical_round_trips(void **state)
{
    (void)state;
    /* Zephyr: a single resource as bn = instance + n. */
    assert_round_trip("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":100}]}", "/3/0/9");
    /* An instance with multi-instance resources, time as an integer, objlnk, bool, float. */
    assert_round_trip("{\"bn\":\"/1/0/\",\"e\":[{\"n\":\"0\",\"v\":101},{\"n\":\"1\",\"v\":86400},"
                      "{\"n\":\"6\",\"bv\":false},{\"n\":\"7\",\"sv\":\"U\"}]}",
                      "/1/0");
    assert_round_trip(
        "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"7/0\",\"v\":3800},{\"n\":\"7/1\",\"v\":5000}"
        ",{\"n\":\"13\",\"v\":1367491215}]}",
        "/3/0");
    assert_round_trip("{\"bn\":\"/0/0/\",\"e\":[{\"n\":\"17\",\"ov\":\"65535:65535\"}]}", "/0/0");
    /* Opaque is base64 in "sv"; strings are escaped. */
    assert_round_trip("{\"bn\":\"/0/0/\",\"e\":[{\"n\":\"5\",\"sv\":\"AQL/\"}]}", "/0/0/5");
    assert_round_trip("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"a\\\"b\\\\c\\n\\u0001\"}]}",
                      "/3/0/0");
    /* Leshan's timed series of one resource: bn is the resource, no names, absolute t, newest
     * first (the order the decoder gives). */
    assert_round_trip("{\"bn\":\"/3303/0/5700\",\"e\":[{\"v\":-10.0,\"t\":510.25},{\"v\":22.9,"
                      "\"t\":500}]}",
                      "/3303/0/5700");
    /* Empty containers: bn names them, "e" is empty. */
    assert_round_trip("{\"bn\":\"/3/0/6\",\"e\":[]}", "/3/0/6");
    assert_round_trip("{\"bn\":\"/3/0\",\"e\":[]}", "/3/0");
}

static void test_integers_exact(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    /* /3/0/9 is an Integer: the int64 ends decode exactly, one beyond is refused. */
    assert_round_trip("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":9223372036854775807}]}",
                      "/3/0/9");
    assert_round_trip("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":-9223372036854775808}]}",
                      "/3/0/9");
    assert_decode_error("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":9223372036854775808}]}",
                        "/3/0/9", -400, 19);
    /* json-c would clamp these silently: the scan refuses them where they start. */
    assert_decode_error("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":-9223372036854775809}]}",
                        "/3/0/9", -400, 32);
    assert_decode_error("{\"e\":[{\"n\":\"/3/0/9\",\"v\":18446744073709551616}]}", "/", -400, 24);
    /* No model and LwM2M 1.0 has no unsigned type: above INT64_MAX is out of range. */
    assert_int_equal(
        decode("{\"e\":[{\"n\":\"/1234/0/0\",\"v\":18446744073709551615}]}", "/", &nodes, &err),
        -400);
    lwm2m_nodes_clear(&nodes);
    /* An Integer given as an integral float is taken; a fraction is not. */
    assert_int_equal(decode("{\"e\":[{\"n\":\"/3/0/9\",\"v\":1.0E2}]}", "/", &nodes, &err), 0);
    assert_true(nodes.items[0].value.type == LWM2M_TYPE_INTEGER);
    assert_true(nodes.items[0].value.u.integer == 100);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("{\"e\":[{\"n\":\"/3/0/9\",\"v\":1.5}]}", "/", &nodes, &err), -400);
    lwm2m_nodes_clear(&nodes);
    /* Unknown object: an integer literal stays an integer, a float a float. */
    assert_int_equal(decode("{\"e\":[{\"n\":\"/1234/0/0\",\"v\":-7},{\"n\":\"/1234/0/1\","
                            "\"v\":7.0}]}",
                            "/", &nodes, &err),
                     0);
    assert_true(nodes.items[0].value.type == LWM2M_TYPE_INTEGER);
    assert_true(nodes.items[1].value.type == LWM2M_TYPE_FLOAT);
    lwm2m_nodes_clear(&nodes);
}

static void test_names_and_times(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    /* bn + n is plain concatenation: "3/0/1" + "1/0" is /3/0/11/0; no leading slash needed. */
    assert_int_equal(
        decode("{\"bn\":\"3/0/1\",\"e\":[{\"n\":\"1/0\",\"v\":0}]}", "/3/0/11", &nodes, &err), 0);
    assert_true(lwm2m_path_equal(&nodes.items[0].path, &(lwm2m_path_t){{3, 0, 11, 0}, 4, ""}));
    lwm2m_nodes_clear(&nodes);
    /* No bn: a relative name is relative to the request path, an absolute one is not. */
    assert_int_equal(decode("{\"e\":[{\"n\":\"0\",\"sv\":\"a\"},{\"n\":\"/3/0/1\",\"sv\":\"b\"},"
                            "{\"n\":\"3/0/2\",\"sv\":\"c\"}]}",
                            "/3/0", &nodes, &err),
                     0);
    assert_true(lwm2m_path_equal(&nodes.items[0].path, &(lwm2m_path_t){{3, 0, 0}, 3, ""}));
    assert_true(lwm2m_path_equal(&nodes.items[1].path, &(lwm2m_path_t){{3, 0, 1}, 3, ""}));
    assert_true(lwm2m_path_equal(&nodes.items[2].path, &(lwm2m_path_t){{3, 0, 2}, 3, ""}));
    lwm2m_nodes_clear(&nodes);
    /* bt + relative t, fractional and exponent: newest first. */
    assert_int_equal(decode("{\"bn\":\"/3303/0/5700\",\"e\":[{\"v\":1,\"t\":-1.5},{\"v\":2,\"t\":"
                            "-1E1},{\"v\":3}],\"bt\":1.638435E9}",
                            "/3303/0/5700", &nodes, &err),
                     0);
    assert_int_equal(nodes.count, 3);
    assert_true(nodes.items[0].time == 1638435000.0 && nodes.items[0].value.u.floating == 3);
    assert_true(nodes.items[1].time == 1638434998.5 && nodes.items[1].value.u.floating == 1);
    assert_true(nodes.items[2].time == 1638434990.0 && nodes.items[2].has_time);
    lwm2m_nodes_clear(&nodes);
    /* The same path at two times is a series, not a duplicate. */
    assert_int_equal(decode("{\"bn\":\"/3/0/9\",\"e\":[{\"v\":1,\"t\":1},{\"v\":2,\"t\":2}]}",
                            "/3/0/9", &nodes, &err),
                     0);
    lwm2m_nodes_clear(&nodes);
}

static void test_empty(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    assert_int_equal(decode("{\"e\":[]}", "/2", &nodes, &err), 0);
    assert_int_equal(nodes.count, 0);
    assert_int_equal(decode("{\"bn\":\"2/0\", \"e\":[]}", "/2/0", &nodes, &err), 0);
    assert_true(nodes.items[0].value.type == LWM2M_TYPE_INSTANCE);
    assert_int_equal(decode("{\"e\":[]}", "/3/0/6", &nodes, &err), 0);
    assert_true(nodes.items[1].value.type == LWM2M_TYPE_MULTIPLE);
    lwm2m_nodes_clear(&nodes);
    assert_decode_error("{\"e\":[]}", "/3/0/0", -400, 0); /* a single resource */
    assert_decode_error("{}", "/3/0", -400, 0);
    assert_decode_error("", "/3/0", -400, 0);
}

static void test_malformed(void **state)
{
    (void)state;
    const char *dup =
        "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"1\",\"sv\":\"a\"},{\"n\":\"1\",\"sv\":\"b\"}]}";
    assert_decode_error(dup, "/3/0", -400, 38);
    /* A resource and one of its instances. */
    assert_decode_error("{\"e\":[{\"n\":\"/3/0/6\",\"v\":1},{\"n\":\"/3/0/6/0\",\"v\":1}]}", "/",
                        -400, 27);
    assert_decode_error("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\"}]}", "/3/0", -400, 19);
    assert_decode_error("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"a\",\"v\":1}]}", "/3/0",
                        -400, 19);
    assert_decode_error("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"sv\":\"a\"}]}", "/3/0", -400, 19);
    assert_decode_error("{\"bn\":\"/3/1/\",\"e\":[{\"n\":\"9\",\"v\":1}]}", "/3/0", -400, 19);
    assert_decode_error("{\"bn\":\"/3/\",\"e\":[{\"n\":\"0\",\"v\":1}]}", "/3", -400, 17);
    assert_decode_error("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"x\",\"v\":1}]}", "/3/0", -400, 19);
    assert_decode_error("{\"bn\":1,\"e\":[]}", "/3/0", -400, 0);
    assert_decode_error("{\"e\":[1]}", "/3/0", -400, 0);
    assert_decode_error("{\"e\":[]} x", "/3/0", -400, 9);
    assert_decode_error("{\"e\":[],}", "/3/0", -400, 8);
    assert_decode_error("{\"e\":[", "/3/0", -400, 6);
    assert_decode_error("[]", "/3/0", -400, 0);
    assert_decode_error("{\"e\":[{\"n\":\"/0/0/5\",\"sv\":\"!!\"}]}", "/", -400, 6); /* base64 */
    /* Invalid UTF-8 and deep nesting are refused by the tokenizer. */
    assert_decode_error("{\"e\":[{\"n\":\"/3/0/0\",\"sv\":\"\xc3\x28\"}]}", "/", -400, 27);
    assert_decode_error("{\"x\":[[[[[[[[[[[[1]]]]]]]]]]]}", "/", -400, 12);
}

static void test_encoder(void **state)
{
    (void)state;
    lwm2m_node_t nodes[2] = {
        {.path = path("/3/0/6/1"), .value = lwm2m_value_integer(5)},
        {.path = path("/3/0/13"), .value = lwm2m_value_time(-1)},
    };
    assert_encodes("/3/0", nodes, 2,
                   "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"6/1\",\"v\":5},{\"n\":\"13\",\"v\":-1}]}");
    assert_encodes("/", nodes, 1, "{\"bn\":\"/\",\"e\":[{\"n\":\"3/0/6/1\",\"v\":5}]}");
    assert_encodes("/3/0/6/1", nodes, 1, "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"6/1\",\"v\":5}]}");
    nodes[0].value = lwm2m_value_unsigned(UINT64_MAX);
    assert_encodes("/3/0/6/1", nodes, 1,
                   "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"6/1\",\"v\":18446744073709551615}]}");
    nodes[0].value = lwm2m_value_integer(INT64_MIN);
    nodes[0].has_time = true;
    nodes[0].time = 1.5;
    assert_encodes("/3/0/6/1", nodes, 1,
                   "{\"bn\":\"/3/0/6/1\",\"e\":[{\"v\":-9223372036854775808,\"t\":1.5}]}");

    lwm2m_buf_t out = {0};
    lwm2m_error_t err;
    lwm2m_path_t base = path("/3/0");
    nodes[0].value = lwm2m_value_float(NAN);
    assert_int_equal(codec->encode(&base, nodes, 1, &out, &err), -406);
    nodes[0].value = lwm2m_value_none(LWM2M_TYPE_NONE);
    assert_int_equal(codec->encode(&base, nodes, 1, &out, &err), -406);
    nodes[0].value = lwm2m_value_integer(1);
    nodes[0].path = path("/4/0/0");
    assert_int_equal(codec->encode(&base, nodes, 1, &out, &err), -406); /* outside the base */
    lwm2m_buf_free(&out);
}

static void test_raw_document(void **state)
{
    (void)state;
    const char *text = "{\"bn\":\"/\",\"e\":[{\"n\":\"A/0\",\"ov\":\"FFFF:FFFF\"},{\"n\":\"1/2\","
                       "\"v\":22.4,\"t\":-5},{\"bv\":true}],\"bt\":25462634}";
    lwm2m_oma_json_doc_t doc = {0};
    lwm2m_error_t err = {0};
    lwm2m_buf_t out = {0};
    assert_int_equal(lwm2m_oma_json_parse((const uint8_t *)text, strlen(text), &doc, &err), 0);
    assert_string_equal(doc.base_name, "/");
    assert_int_equal(doc.count, 3);
    assert_true(doc.records[0].kind == LWM2M_OMA_JSON_OV); /* not interpreted */
    assert_true(doc.records[1].value.type == LWM2M_TYPE_FLOAT);
    assert_true(doc.records[1].time.type == LWM2M_TYPE_INTEGER);
    assert_null(doc.records[2].name);
    assert_int_equal(lwm2m_oma_json_format(&doc, &out, &err), 0);
    assert_string_equal((const char *)out.data, text);
    lwm2m_oma_json_doc_clear(&doc);
    lwm2m_buf_free(&out);

    /* The record bound. */
    doc.max_records = 1;
    assert_int_equal(lwm2m_oma_json_parse((const uint8_t *)text, strlen(text), &doc, &err), -413);
    assert_int_equal(err.offset, 44);
    lwm2m_oma_json_doc_clear(&doc);
}

static void test_paths(void **state)
{
    (void)state;
    lwm2m_path_t paths[3] = {path("/3/0/1"), path("/1/0"), lwm2m_path_root()}, got[3];
    lwm2m_buf_t out = {0};
    lwm2m_error_t err = {0};
    size_t n = 0;
    assert_int_equal(lwm2m_oma_json_paths_encode(paths, 3, &out, &err), 0);
    assert_string_equal((const char *)out.data,
                        "{\"e\":[{\"n\":\"/3/0/1\"},{\"n\":\"/1/0\"},{\"n\":\"/\"}]}");
    assert_int_equal(lwm2m_oma_json_paths_decode(out.data, out.len, got, 3, &n, &err), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(lwm2m_path_equal(&got[i], &paths[i]));
    assert_int_equal(lwm2m_oma_json_paths_decode(out.data, out.len, got, 2, &n, &err), -413);
    lwm2m_buf_free(&out);
    const char *valued = "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"1\",\"v\":1}]}";
    assert_int_equal(
        lwm2m_oma_json_paths_decode((const uint8_t *)valued, strlen(valued), got, 3, &n, &err),
        -400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_round_trips),
        cmocka_unit_test(test_integers_exact),
        cmocka_unit_test(test_names_and_times),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_encoder),
        cmocka_unit_test(test_raw_document),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
