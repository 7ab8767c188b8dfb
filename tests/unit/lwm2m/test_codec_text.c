/* test_codec_text.c - the text/plain codec (lwm2m/data/codec_text.c): each type both ways, the
 * lenient spots we chose, round trips, malformed input and what text can't carry. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"

static lwm2m_path_t path(const char *text)
{
    lwm2m_path_t p;
    assert_int_equal(lwm2m_path_parse(text, strlen(text), 0, &p), 0);
    return p;
}

/* Decodes `text` at /30000/0/0 as `type` (no model, so the hint decides). */
static int decode_as(lwm2m_type_t type, const char *text, lwm2m_value_t *ret, lwm2m_error_t *err)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_path_t base = path("/30000/0/0");
    lwm2m_decode_opts_t opts = {.type_hint = type};
    memset(err, 0, sizeof(*err));
    int rc =
        lwm2m_codec_text.decode((const uint8_t *)text, strlen(text), &base, &opts, &nodes, err);
    if (rc == 0) {
        assert_int_equal(nodes.count, 1);
        assert_true(lwm2m_path_equal(&nodes.items[0].path, &base));
        *ret = nodes.items[0].value;
        /* keep bytes alive past the list: tests only compare them right away */
        if (ret->type == LWM2M_TYPE_STRING || ret->type == LWM2M_TYPE_OPAQUE ||
            ret->type == LWM2M_TYPE_CORELNK)
            nodes.items[0].value.type = LWM2M_TYPE_NONE;
    }
    lwm2m_nodes_clear(&nodes);
    return rc;
}

static void free_value(lwm2m_value_t *v)
{
    if (v->type == LWM2M_TYPE_STRING || v->type == LWM2M_TYPE_OPAQUE ||
        v->type == LWM2M_TYPE_CORELNK)
        free(v->u.bytes.data);
}

static void assert_rejected(lwm2m_type_t type, const char *text, size_t offset)
{
    lwm2m_value_t v;
    lwm2m_error_t err;
    assert_int_equal(decode_as(type, text, &v, &err), LWM2M_ERR_BAD_REQUEST);
    assert_int_equal(err.code, LWM2M_ERR_BAD_REQUEST);
    assert_int_equal(err.offset, offset);
}

/* Encodes one value at /30000/0/0 and compares the text. */
static void assert_encodes(lwm2m_value_t value, const char *want)
{
    lwm2m_node_t node = {.path = path("/30000/0/0"), .value = value};
    lwm2m_buf_t out = {0};
    lwm2m_error_t err;
    assert_int_equal(lwm2m_codec_text.encode(&node.path, &node, 1, &out, &err), 0);
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data ? out.data : (uint8_t *)"", want, out.len);
    lwm2m_buf_free(&out);
}

/* decode(text) then encode gives text back. */
static void assert_round_trip(lwm2m_type_t type, const char *text)
{
    lwm2m_value_t v;
    lwm2m_error_t err;
    assert_int_equal(decode_as(type, text, &v, &err), 0);
    assert_encodes(v, text);
    free_value(&v);
}

static void test_numbers(void **state)
{
    (void)state;
    lwm2m_value_t v;
    lwm2m_error_t err;
    assert_int_equal(decode_as(LWM2M_TYPE_INTEGER, "-9223372036854775808", &v, &err), 0);
    assert_true(v.u.integer == INT64_MIN);
    assert_int_equal(decode_as(LWM2M_TYPE_UNSIGNED, "18446744073709551615", &v, &err), 0);
    assert_true(v.type == LWM2M_TYPE_UNSIGNED && v.u.unsigned_integer == UINT64_MAX);
    assert_rejected(LWM2M_TYPE_INTEGER, "9223372036854775808", 0); /* overflow: malformed */
    assert_rejected(LWM2M_TYPE_INTEGER, "-9223372036854775809", 0);
    assert_rejected(LWM2M_TYPE_UNSIGNED, "-1", 0);
    assert_rejected(LWM2M_TYPE_INTEGER, "12a", 0);
    assert_rejected(LWM2M_TYPE_INTEGER, " 1", 0);
    assert_rejected(LWM2M_TYPE_INTEGER, "", 0);
    assert_rejected(LWM2M_TYPE_TIME, "", 0);
    assert_int_equal(decode_as(LWM2M_TYPE_TIME, "1476186613", &v, &err), 0);
    assert_true(v.type == LWM2M_TYPE_TIME && v.u.integer == 1476186613);

    assert_int_equal(decode_as(LWM2M_TYPE_FLOAT, "3", &v, &err), 0);
    assert_true(v.u.floating == 3.0);
    assert_int_equal(decode_as(LWM2M_TYPE_FLOAT, "1.0E10", &v, &err), 0); /* Java's form */
    assert_true(v.u.floating == 1e10);
    assert_int_equal(decode_as(LWM2M_TYPE_FLOAT, "0.00000000006667", &v, &err), 0);
    assert_true(v.u.floating == 6.667e-11);
    assert_rejected(LWM2M_TYPE_FLOAT, "1e999", 0);
    assert_rejected(LWM2M_TYPE_FLOAT, "1,5", 0);
    assert_rejected(LWM2M_TYPE_FLOAT, "", 0);
}

static void test_float_text(void **state)
{
    (void)state;
    assert_encodes(lwm2m_value_float(3.0), "3.0");
    assert_encodes(lwm2m_value_float(-10.0), "-10.0");
    assert_encodes(lwm2m_value_float(0.0), "0.0");
    assert_encodes(lwm2m_value_float(-123.125), "-123.125");
    assert_encodes(lwm2m_value_float(6.667e-11), "0.00000000006667"); /* no exponent */
    assert_encodes(lwm2m_value_float(1e21), "1000000000000000000000.0");
    assert_encodes(lwm2m_value_float(5e-324), "0."
                                              "00000000000000000000000000000000000000000000000000"
                                              "00000000000000000000000000000000000000000000000000"
                                              "00000000000000000000000000000000000000000000000000"
                                              "00000000000000000000000000000000000000000000000000"
                                              "00000000000000000000000000000000000000000000000000"
                                              "00000000000000000000000000000000000000000000000000"
                                              "000000000000000000000005");
    /* the largest double: 309 digits, no exponent, reads back exactly */
    lwm2m_node_t node = {.path = path("/30000/0/0"),
                         .value = lwm2m_value_float(1.7976931348623157e308)};
    lwm2m_buf_t out = {0};
    assert_int_equal(lwm2m_codec_text.encode(&node.path, &node, 1, &out, NULL), 0);
    assert_int_equal(out.len, 311);
    assert_null(strchr((char *)out.data, 'e'));
    assert_true(strtod((char *)out.data, NULL) == 1.7976931348623157e308);
    lwm2m_buf_free(&out);
}

static void test_booleans_and_links(void **state)
{
    (void)state;
    lwm2m_value_t v;
    lwm2m_error_t err;
    assert_int_equal(decode_as(LWM2M_TYPE_BOOLEAN, "1", &v, &err), 0);
    assert_true(v.u.boolean);
    assert_int_equal(decode_as(LWM2M_TYPE_BOOLEAN, "FALSE", &v, &err), 0);
    assert_false(v.u.boolean);
    assert_rejected(LWM2M_TYPE_BOOLEAN, "10", 0); /* Zephyr would read '1' and stop */
    assert_rejected(LWM2M_TYPE_BOOLEAN, "2", 0);
    assert_rejected(LWM2M_TYPE_BOOLEAN, "", 0);
    assert_encodes(lwm2m_value_boolean(false), "0");

    lwm2m_value_t link;
    assert_int_equal(decode_as(LWM2M_TYPE_OBJLNK, "65535:7", &link, &err), 0);
    assert_int_equal(link.u.objlnk.object, 65535);
    assert_int_equal(link.u.objlnk.instance, 7);
    lwm2m_nodes_t nodes = {0};
    lwm2m_path_t base = path("/30000/0/0");
    lwm2m_decode_opts_t opts = {.type_hint = LWM2M_TYPE_OBJLNK};
    assert_int_equal(lwm2m_codec_text.decode((const uint8_t *)"1:2", 4, &base, &opts, &nodes, &err),
                     0); /* with the terminator Zephyr sometimes counts */
    lwm2m_nodes_clear(&nodes);
    assert_rejected(LWM2M_TYPE_OBJLNK, "1:", 0);
    assert_rejected(LWM2M_TYPE_OBJLNK, "65536:0", 0);
    assert_rejected(LWM2M_TYPE_OBJLNK, " 1:2", 0);
    assert_rejected(LWM2M_TYPE_OBJLNK, "", 0);
}

static void test_bytes(void **state)
{
    (void)state;
    lwm2m_value_t v;
    lwm2m_error_t err;
    assert_int_equal(decode_as(LWM2M_TYPE_OPAQUE, "AQIDBAU", &v, &err), 0); /* no padding */
    assert_int_equal(v.u.bytes.len, 5);
    assert_memory_equal(v.u.bytes.data, "\x01\x02\x03\x04\x05", 5);
    free_value(&v);
    assert_int_equal(decode_as(LWM2M_TYPE_OPAQUE, "", &v, &err), 0);
    assert_int_equal(v.u.bytes.len, 0);
    free_value(&v);
    assert_rejected(LWM2M_TYPE_OPAQUE, "AQID!AU=", 4);
    assert_rejected(LWM2M_TYPE_OPAQUE, "AQIDB", 5);    /* a dangling character */
    assert_rejected(LWM2M_TYPE_OPAQUE, "AQIDBA=", 6);  /* padding on a partial quad */
    assert_rejected(LWM2M_TYPE_OPAQUE, "AQ==AQ==", 2); /* padding in the middle */

    /* no type known: a string, taken as it is (even empty) */
    assert_int_equal(decode_as(LWM2M_TYPE_UNKNOWN, "", &v, &err), 0);
    assert_int_equal(v.type, LWM2M_TYPE_STRING);
    free_value(&v);
    assert_int_equal(decode_as(LWM2M_TYPE_CORELNK, "</3/0>", &v, &err), 0);
    assert_int_equal(v.type, LWM2M_TYPE_CORELNK);
    free_value(&v);
}

static void test_round_trips(void **state)
{
    (void)state;
    assert_round_trip(LWM2M_TYPE_INTEGER, "-9223372036854775808");
    assert_round_trip(LWM2M_TYPE_INTEGER, "9223372036854775807");
    assert_round_trip(LWM2M_TYPE_UNSIGNED, "18446744073709551615");
    assert_round_trip(LWM2M_TYPE_TIME, "1367491215");
    assert_round_trip(LWM2M_TYPE_FLOAT, "0.30000000000000004");
    assert_round_trip(LWM2M_TYPE_FLOAT, "-2.333");
    assert_round_trip(LWM2M_TYPE_BOOLEAN, "1");
    assert_round_trip(LWM2M_TYPE_OBJLNK, "0:65535");
    assert_round_trip(LWM2M_TYPE_OPAQUE, "AQIDBAU=");
    assert_round_trip(LWM2M_TYPE_OPAQUE, "AAE=");
    assert_round_trip(LWM2M_TYPE_OPAQUE, "");
    assert_round_trip(LWM2M_TYPE_STRING, "Open Mobile Alliance \xf0\x9f\x91\xa8");
}

static void test_model_and_paths(void **state)
{
    (void)state;
    lwm2m_model_t *model = lwm2m_model_new_builtin();
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    lwm2m_path_t base = path("/3/0/9"); /* Battery Level: integer, whatever the hint says */
    lwm2m_decode_opts_t opts = {.model = model, .type_hint = LWM2M_TYPE_STRING};
    assert_int_equal(lwm2m_codec_text.decode((const uint8_t *)"100", 3, &base, &opts, &nodes, &err),
                     0);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_INTEGER);
    lwm2m_nodes_clear(&nodes);
    base = path("/3/0");
    assert_int_equal(lwm2m_codec_text.decode((const uint8_t *)"1", 1, &base, &opts, &nodes, &err),
                     LWM2M_ERR_NOT_ACCEPTABLE);
    lwm2m_model_free(model);

    /* what text can't carry: two values, a container, a value below the request path */
    lwm2m_node_t two[2] = {{.path = path("/3/0/6/0"), .value = lwm2m_value_integer(1)},
                           {.path = path("/3/0/6/1"), .value = lwm2m_value_integer(5)}};
    lwm2m_buf_t out = {0};
    base = path("/3/0/6");
    assert_int_equal(lwm2m_codec_text.encode(&base, two, 2, &out, &err), -406);
    assert_int_equal(err.code, -406);
    assert_int_equal(lwm2m_codec_text.encode(&base, two, 1, &out, &err), -406);
    lwm2m_node_t marker = {.path = base, .value = lwm2m_value_none(LWM2M_TYPE_MULTIPLE)};
    assert_int_equal(lwm2m_codec_text.encode(&base, &marker, 1, &out, &err), -406);
    assert_int_equal(lwm2m_codec_text.encode(&base, two, 0, &out, &err), -406);
    lwm2m_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_float_text),
        cmocka_unit_test(test_booleans_and_links),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_model_and_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
