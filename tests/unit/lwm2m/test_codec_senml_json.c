/* test_codec_senml_json.c - the SenML JSON codec (CF 110): names, times, types from the model,
 * exact integers, empty containers, malformed input, Leshan-style output. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"

static lwm2m_model_t *model;

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

static lwm2m_path_t path_of(const char *text)
{
    lwm2m_path_t p = lwm2m_path_root();
    if (text)
        assert_int_equal(lwm2m_path_parse(text, strlen(text), LWM2M_PATH_ALLOW_PREFIX, &p), 0);
    return p;
}

static int decode(const char *text, const char *base, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    lwm2m_path_t b = path_of(base);
    lwm2m_decode_opts_t opts = {.model = model};
    return lwm2m_codec_senml_json.decode((const uint8_t *)text, strlen(text), &b, &opts, out, err);
}

/* Encodes and returns the text (caller frees the buffer), or NULL with *rc set. */
static char *encode(const char *base, const lwm2m_nodes_t *nodes, lwm2m_buf_t *buf, int *rc)
{
    lwm2m_path_t b = path_of(base);
    lwm2m_error_t err = {0};
    *rc = lwm2m_codec_senml_json.encode(&b, nodes->items, nodes->count, buf, &err);
    return *rc == 0 ? (char *)buf->data : NULL;
}

/* decode then encode at the same base must give the same text */
static void assert_round_trip(const char *text, const char *base)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_buf_t buf = {0};
    lwm2m_error_t err = {0};
    int rc;
    assert_int_equal(decode(text, base, &nodes, &err), 0);
    assert_string_equal(encode(base, &nodes, &buf, &rc), text);
    lwm2m_buf_free(&buf);
    lwm2m_nodes_clear(&nodes);
}

static const lwm2m_node_t *find(const lwm2m_nodes_t *nodes, const char *path)
{
    lwm2m_path_t p = path_of(path);
    for (size_t i = 0; i < nodes->count; i++)
        if (lwm2m_path_equal(&nodes->items[i].path, &p))
            return &nodes->items[i];
    fail_msg("no node %s", path);
    return NULL;
}

static void test_decode_instance(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    const char *text = "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Acme\"},{\"n\":\"6/1\",\"v\":5},"
                       "{\"n\":\"9\",\"v\":87},{\"n\":\"13\",\"v\":1.7e9},{\"bn\":\"/6/0/\","
                       "\"n\":\"0\",\"v\":23},{\"n\":\"1\",\"v\":-2.5}]";
    assert_int_equal(decode(text, "/", &nodes, &err), 0);
    assert_int_equal(nodes.count, 6);
    const lwm2m_node_t *n = find(&nodes, "/3/0/0");
    assert_int_equal(n->value.type, LWM2M_TYPE_STRING);
    assert_string_equal((const char *)n->value.u.bytes.data, "Acme");
    assert_int_equal(find(&nodes, "/3/0/6/1")->value.u.integer, 5);
    n = find(&nodes, "/3/0/13"); /* the model says time, the payload gives an exponent */
    assert_int_equal(n->value.type, LWM2M_TYPE_TIME);
    assert_int_equal(n->value.u.integer, 1700000000);
    n = find(&nodes, "/6/0/0"); /* the model says float, the payload gives 23 */
    assert_int_equal(n->value.type, LWM2M_TYPE_FLOAT);
    assert_true(n->value.u.floating == 23.0);
    assert_false(n->has_time);
    lwm2m_nodes_clear(&nodes);
}

static void test_integer_precision(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    /* object 1024 is unknown: the record decides, integers never pass through a double */
    const char *text =
        "[{\"bn\":\"/1024/0/\",\"n\":\"0\",\"v\":9223372036854775807},"
        "{\"n\":\"1\",\"v\":-9223372036854775808},"
        "{\"n\":\"2\",\"v\":18446744073709551615},"
        "{\"n\":\"3\",\"v\":9223372036854775808},{\"n\":\"4\",\"v\":9007199254740993}]";
    assert_int_equal(decode(text, "/1024/0", &nodes, &err), 0);
    assert_int_equal(nodes.count, 5);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_INTEGER);
    assert_true(nodes.items[0].value.u.integer == INT64_MAX);
    assert_true(nodes.items[1].value.u.integer == INT64_MIN);
    assert_int_equal(nodes.items[2].value.type, LWM2M_TYPE_UNSIGNED);
    assert_true(nodes.items[2].value.u.unsigned_integer == UINT64_MAX);
    assert_int_equal(nodes.items[3].value.type, LWM2M_TYPE_UNSIGNED);
    assert_true(nodes.items[3].value.u.unsigned_integer == (uint64_t)INT64_MAX + 1);
    assert_true(nodes.items[4].value.u.integer == 9007199254740993);
    lwm2m_nodes_clear(&nodes);
    assert_round_trip(text, "/1024/0");

    /* beyond uint64 / int64: refused at the literal (json-c would clamp it) */
    const char *big = "[{\"n\":\"/1024/0/0\",\"v\":18446744073709551616}]";
    assert_int_equal(decode(big, "/", &nodes, &err), -400);
    assert_int_equal(err.offset, strstr(big, "1844") - big);
    const char *small = "[{\"n\":\"/1024/0/0\",\"v\":-9223372036854775809}]";
    assert_int_equal(decode(small, "/", &nodes, &err), -400);
    assert_int_equal(err.offset, strchr(small, '-') - small);
    /* a model integer can't take a fraction or an unsigned beyond INT64_MAX */
    assert_int_equal(decode("[{\"n\":\"/3/0/9\",\"v\":1.5}]", "/", &nodes, &err), -400);
    assert_int_equal(decode("[{\"n\":\"/3/0/9\",\"v\":9223372036854775808}]", "/", &nodes, &err),
                     -400);
    /* a model unsigned takes UINT64_MAX but not a negative number */
    assert_int_equal(decode("[{\"n\":\"/0/0/22\",\"v\":18446744073709551615}]", "/", &nodes, &err),
                     0);
    assert_true(nodes.items[0].value.u.unsigned_integer == UINT64_MAX);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("[{\"n\":\"/0/0/22\",\"v\":-1}]", "/", &nodes, &err), -400);
    lwm2m_nodes_clear(&nodes);
}

static void test_times(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    const char *text = "[{\"bn\":\"/3303/0/\",\"bt\":1700000000.25,\"n\":\"5700\",\"v\":21.5},"
                       "{\"n\":\"5700\",\"v\":21,\"t\":-10},{\"bn\":\"/3303/1/\",\"n\":\"5700\","
                       "\"v\":20},{\"bt\":0,\"n\":\"5700\",\"v\":19}]";
    assert_int_equal(decode(text, "/", &nodes, &err), 0);
    assert_int_equal(nodes.count, 4);
    assert_true(nodes.items[0].has_time && nodes.items[0].time == 1700000000.25);
    assert_true(nodes.items[1].has_time && nodes.items[1].time == 1699999990.25);
    assert_true(nodes.items[2].has_time && nodes.items[2].time == 1700000000.25); /* bt persists */
    assert_false(nodes.items[3].has_time); /* time 0: no timestamp */
    lwm2m_nodes_clear(&nodes);
    /* relative t without bt is kept as it is */
    assert_int_equal(decode("[{\"n\":\"/3303/0/5700\",\"v\":1,\"t\":-5}]", "/", &nodes, &err), 0);
    assert_true(nodes.items[0].has_time && nodes.items[0].time == -5);
    lwm2m_nodes_clear(&nodes);
    /* Leshan style: bn and bt repeated per timestamp, never t */
    assert_round_trip("[{\"bn\":\"/3303/0/5700\",\"bt\":1700000000,\"v\":21.5},"
                      "{\"bn\":\"/3303/0/5700\",\"bt\":1700000010.5,\"v\":22.0}]",
                      "/3303/0/5700");
}

static void test_opaque_objlnk_bool(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    const char *text =
        "[{\"bn\":\"/1/0/\",\"n\":\"6\",\"vb\":true},{\"n\":\"10\",\"vlo\":\"11:2\"},"
        "{\"bn\":\"/0/0/\",\"n\":\"3\",\"vd\":\"_-8A\"},{\"n\":\"5\",\"vd\":\"\"}]";
    assert_int_equal(decode(text, "/", &nodes, &err), 0);
    assert_true(find(&nodes, "/1/0/6")->value.u.boolean);
    const lwm2m_node_t *n = find(&nodes, "/1/0/10");
    assert_int_equal(n->value.type, LWM2M_TYPE_OBJLNK);
    assert_int_equal(n->value.u.objlnk.object, 11);
    assert_int_equal(n->value.u.objlnk.instance, 2);
    n = find(&nodes, "/0/0/3");
    assert_int_equal(n->value.type, LWM2M_TYPE_OPAQUE);
    assert_int_equal(n->value.u.bytes.len, 3);
    assert_memory_equal(n->value.u.bytes.data, "\xff\xef\x00", 3);
    assert_int_equal(find(&nodes, "/0/0/5")->value.u.bytes.len, 0);
    lwm2m_nodes_clear(&nodes);
    assert_round_trip("[{\"bn\":\"/0/0/\",\"n\":\"3\",\"vd\":\"_-8A\"},{\"n\":\"5\",\"vd\":\"\"}]",
                      "/0/0");
    assert_round_trip("[{\"bn\":\"/1/0/10\",\"vlo\":\"65535:65535\"}]", "/1/0/10");
    /* the spec's "FFFF:FFFF" null link; objlnk also read from vs (Zephyr) */
    assert_int_equal(decode("[{\"n\":\"/1/0/10\",\"vlo\":\"FFFF:FFFF\"},{\"n\":\"/1/1/10\","
                            "\"vs\":\"3:0\"}]",
                            "/", &nodes, &err),
                     0);
    assert_int_equal(nodes.items[0].value.u.objlnk.object, 65535);
    assert_int_equal(nodes.items[1].value.u.objlnk.object, 3);
    lwm2m_nodes_clear(&nodes);
    /* bad base64url, and standard-alphabet base64 */
    assert_int_equal(decode("[{\"n\":\"/0/0/3\",\"vd\":\"q80\"}]", "/", &nodes, &err), 0);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("[{\"n\":\"/0/0/3\",\"vd\":\"q\"}]", "/", &nodes, &err), -400);
    assert_int_equal(decode("[{\"n\":\"/0/0/3\",\"vd\":\"ab+/\"}]", "/", &nodes, &err), -400);
    assert_int_equal(decode("[{\"n\":\"/1/0/10\",\"vlo\":\"1:x\"}]", "/", &nodes, &err), -400);
    lwm2m_nodes_clear(&nodes);
}

static void test_empty_payload(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    assert_int_equal(decode("", "/3/0", &nodes, &err), 0);
    assert_int_equal(nodes.count, 1);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_INSTANCE);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode(" [ ] ", "/3/0/7", &nodes, &err), 0);
    assert_int_equal(nodes.count, 1);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_MULTIPLE);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("\n", "/1", &nodes, &err), 0);
    assert_int_equal(nodes.count, 0);
    assert_int_equal(decode("[]", "/", &nodes, &err), 0);
    assert_int_equal(nodes.count, 0);
    /* a single-instance or unknown resource needs a value */
    assert_int_equal(decode("", "/3/0/0", &nodes, &err), -400);
    assert_int_equal(decode("[]", "/1024/0/1", &nodes, &err), -400);
    /* encoding only markers gives an empty array */
    lwm2m_path_t p = path_of("/3/0/7");
    lwm2m_value_t marker = lwm2m_value_none(LWM2M_TYPE_MULTIPLE);
    lwm2m_buf_t buf = {0};
    int rc;
    assert_int_equal(lwm2m_nodes_add(&nodes, &p, &marker, NULL), 0);
    assert_string_equal(encode("/3/0/7", &nodes, &buf, &rc), "[]");
    lwm2m_buf_free(&buf);
    lwm2m_nodes_clear(&nodes);
}

static void test_prefix_and_trailing_comma(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    const char *text = "[{\"bn\":\"/d01/3303/0/\",\"n\":\"5700\",\"v\":22.1},{\"n\":\"5701\","
                       "\"vs\":\"Cel\"}]";
    assert_int_equal(decode(text, "/d01/3303/0", &nodes, &err), 0);
    assert_string_equal(nodes.items[0].path.prefix, "d01");
    assert_int_equal(nodes.items[0].path.depth, 3);
    assert_int_equal(nodes.items[0].path.id[2], 5700);
    lwm2m_nodes_clear(&nodes);
    assert_round_trip(text, "/d01/3303/0");
    /* Leshan accepts one literal ending in "],"; so do we, but nothing else after the array */
    assert_int_equal(decode("[{\"n\":\"/3/0/9\",\"v\":5}] ,\n", "/", &nodes, &err), 0);
    assert_int_equal(nodes.count, 1);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("[] x", "/", &nodes, &err), -400);
    assert_int_equal(err.offset, 3);
    assert_int_equal(decode("[],,", "/", &nodes, &err), -400);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
        long offset; /* -1: the end of the text */
    } cases[] = {
        {"[{\"n\":\"/3/0/0\",\"vs\":\"x\"}", -400, -1},          /* truncated */
        {"{\"n\":\"/3/0/0\",\"vs\":\"x\"}", -400, 0},            /* not an array */
        {"[1]", -400, 1},                                        /* record not an object */
        {"[{\"n\":\"/3/0/0\",\"vs\":\"a\"}, 5]", -400, 26},      /* second record */
        {"[{\"n\":\"/3/0\",\"v\":1}]", -400, 1},                 /* not a resource */
        {"[{\"n\":\"/3/0/0\",\"vs\":\"a\",\"v\":1}]", -400, 1},  /* two values */
        {"[{\"n\":\"/3/0/0\"}]", -400, 1},                       /* no value */
        {"[{\"n\":\"/3/0/0\",\"vs\":\"a\",\"x_\":1}]", -400, 1}, /* must-understand */
        {"[{\"n\":\"/3/0/0\",\"vs\":\"a\",\"bv\":1}]", -400, 1}, /* base value */
        {"[{\"n\":\"/3/0/0\",\"vs\":1}]", -400, 1},              /* vs not a string */
        {"[{\"n\":\"/3/0/0\",\"v\":null}]", -400, 1},            /* null value */
        {"[{\"n\":\"/3//0\",\"vs\":\"a\"}]", -400, 1},           /* bad path */
        {"[{\"n\":\"/3/0/0/1/2\",\"vs\":\"a\"}]", -400, 1},      /* too deep */
        {"[{\"vs\":\"a\"}]", -400, 1},                           /* no name */
        {"[{\"n\":\"/3/0/0\",\"vs\":\"\xff\"}]", -400, 21},      /* not UTF-8 */
        {"[{\"n\":\"/3/0/0\",\"vs\":\"a\"}]]", -400, 25},        /* stray bracket */
        {"[[[[[[[[[[1]]]]]]]]]]", -400, 8},                      /* nesting */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lwm2m_nodes_t nodes = {0};
        lwm2m_error_t err = {0};
        int rc = decode(cases[i].text, "/", &nodes, &err);
        long want = cases[i].offset < 0 ? (long)strlen(cases[i].text) : cases[i].offset;
        if (rc != cases[i].code || (long)err.offset != want)
            fail_msg("case %zu: rc %d offset %zu (%s)", i, rc, err.offset, err.message);
        assert_int_equal(err.code, rc);
        lwm2m_nodes_clear(&nodes);
    }
}

static void test_bounds(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes;
    lwm2m_error_t err = {0};
    lwm2m_nodes_init(&nodes, 2, 0);
    assert_int_equal(decode("[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":1},{\"n\":\"10\",\"v\":2},"
                            "{\"n\":\"11/0\",\"v\":3}]",
                            "/3/0", &nodes, &err),
                     -413);
    lwm2m_nodes_clear(&nodes);
    /* more records than SenML_MAX_RECORDS: refused before any is looked at */
    size_t count = LWM2M_NODES_DEFAULT_MAX + 1;
    char *text = malloc(count * 3 + 2);
    size_t o = 0;
    text[o++] = '[';
    for (size_t i = 0; i < count; i++) {
        memcpy(text + o, i ? ",{}" : "{}", i ? 3 : 2);
        o += i ? 3 : 2;
    }
    text[o++] = ']';
    text[o] = 0;
    lwm2m_nodes_init(&nodes, 0, 0);
    assert_int_equal(decode(text, "/", &nodes, &err), -413);
    free(text);
}

static lwm2m_nodes_t nodes_of(const char *const *paths, const lwm2m_value_t *values, size_t n)
{
    lwm2m_nodes_t nodes = {0};
    for (size_t i = 0; i < n; i++) {
        lwm2m_path_t p = path_of(paths[i]);
        assert_int_equal(lwm2m_nodes_add(&nodes, &p, &values[i], NULL), 0);
    }
    return nodes;
}

static void test_encode(void **state)
{
    (void)state;
    lwm2m_buf_t buf = {0};
    int rc;
    const char *paths[] = {"/3/0/0", "/3/0/7/0", "/3/0/7/1", "/3/0/13", "/1/0/1"};
    lwm2m_value_t values[] = {lwm2m_value_bytes(LWM2M_TYPE_STRING, "A\"b\\c\n", 6),
                              lwm2m_value_integer(-1), lwm2m_value_unsigned(UINT64_MAX),
                              lwm2m_value_time(1367491215), lwm2m_value_integer(86400)};
    lwm2m_nodes_t nodes = nodes_of(paths, values, 4);
    assert_string_equal(
        encode("/3/0", &nodes, &buf, &rc),
        "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"A\\\"b\\\\c\\u000a\"},{\"n\":\"7/0\","
        "\"v\":-1},{\"n\":\"7/1\",\"v\":18446744073709551615},{\"n\":\"13\","
        "\"v\":1367491215}]");
    lwm2m_buf_free(&buf);
    lwm2m_nodes_clear(&nodes);
    /* single resource: full path in bn; composite: a bn per resource */
    nodes = nodes_of(paths, values, 1);
    assert_string_equal(encode("/3/0/0", &nodes, &buf, &rc),
                        "[{\"bn\":\"/3/0/0\",\"vs\":\"A\\\"b\\\\c\\u000a\"}]");
    lwm2m_buf_free(&buf);
    lwm2m_nodes_clear(&nodes);
    nodes = nodes_of(paths + 1, values + 1, 4);
    assert_string_equal(encode("/", &nodes, &buf, &rc),
                        "[{\"bn\":\"/3/0/7/\",\"n\":\"0\",\"v\":-1},{\"n\":\"1\",\"v\":"
                        "18446744073709551615},{\"bn\":\"/3/0/13\",\"v\":1367491215},"
                        "{\"bn\":\"/1/0/1\",\"v\":86400}]");
    lwm2m_buf_free(&buf);
    lwm2m_nodes_clear(&nodes);
}

static void test_encode_refuses(void **state)
{
    (void)state;
    lwm2m_buf_t buf = {0};
    int rc;
    const char *paths[] = {"/3303/0/5700", "/3/0", "/3/0/4", "/3/0/0"};
    lwm2m_value_t values[] = {lwm2m_value_float(NAN), lwm2m_value_integer(1),
                              lwm2m_value_none(LWM2M_TYPE_NONE),
                              lwm2m_value_bytes(LWM2M_TYPE_STRING, "\xc3\x28", 2)};
    for (size_t i = 0; i < 4; i++) {
        lwm2m_nodes_t nodes = nodes_of(paths + i, values + i, 1);
        assert_null(encode("/", &nodes, &buf, &rc));
        assert_int_equal(rc, -406);
        lwm2m_buf_free(&buf);
        lwm2m_nodes_clear(&nodes);
    }
    lwm2m_nodes_t nodes = nodes_of(paths, values, 1);
    lwm2m_buf_init(&buf, 8);
    nodes.items[0].value = lwm2m_value_float(1.5);
    assert_null(encode("/", &nodes, &buf, &rc));
    assert_int_equal(rc, -413);
    lwm2m_buf_free(&buf);
    lwm2m_nodes_clear(&nodes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_instance), cmocka_unit_test(test_integer_precision),
        cmocka_unit_test(test_times),           cmocka_unit_test(test_opaque_objlnk_bool),
        cmocka_unit_test(test_empty_payload),   cmocka_unit_test(test_prefix_and_trailing_comma),
        cmocka_unit_test(test_malformed),       cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_encode),          cmocka_unit_test(test_encode_refuses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
