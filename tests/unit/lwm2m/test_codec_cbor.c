/* test_codec_cbor.c - the single-value CBOR codec (lwm2m/data/codec_cbor.c): integer widths and
 * extremes, floats of each size, time and objlnk forms of different clients, indefinite strings,
 * shortest encodings, round trips and malformed input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"

static size_t hex(const char *text, uint8_t *out)
{
    size_t n = strlen(text) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(text + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static lwm2m_path_t base_path(void)
{
    lwm2m_path_t p;
    assert_int_equal(lwm2m_path_parse("/30000/0/0", 10, 0, &p), 0);
    return p;
}

/* Decodes hex as `type` (UNKNOWN: what the item says) into nodes (one node on success). */
static int decode(lwm2m_type_t type, const char *bytes, lwm2m_nodes_t *nodes, lwm2m_error_t *err)
{
    uint8_t buf[128];
    size_t len = hex(bytes, buf);
    lwm2m_path_t base = base_path();
    lwm2m_decode_opts_t opts = {.type_hint = type};
    memset(err, 0, sizeof(*err));
    lwm2m_nodes_clear(nodes);
    return lwm2m_codec_cbor.decode(buf, len, &base, &opts, nodes, err);
}

static lwm2m_value_t decoded(lwm2m_type_t type, const char *bytes, lwm2m_nodes_t *nodes)
{
    lwm2m_error_t err;
    int rc = decode(type, bytes, nodes, &err);
    if (rc < 0)
        fail_msg("%s: %s at %zu", bytes, err.message, err.offset);
    assert_int_equal(nodes->count, 1);
    return nodes->items[0].value;
}

static void assert_rejected(lwm2m_type_t type, const char *bytes, size_t offset)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    assert_int_equal(decode(type, bytes, &nodes, &err), LWM2M_ERR_BAD_REQUEST);
    assert_int_equal(err.code, LWM2M_ERR_BAD_REQUEST);
    assert_int_equal(err.offset, offset);
    lwm2m_nodes_clear(&nodes);
}

static void assert_encodes(lwm2m_value_t value, const char *want_hex)
{
    uint8_t want[64];
    size_t len = hex(want_hex, want);
    lwm2m_node_t node = {.path = base_path(), .value = value};
    lwm2m_buf_t out = {0};
    lwm2m_error_t err;
    assert_int_equal(lwm2m_codec_cbor.encode(&node.path, &node, 1, &out, &err), 0);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, want, len);
    lwm2m_buf_free(&out);
}

/* decode then encode gives the same bytes. */
static void assert_round_trip(lwm2m_type_t type, const char *bytes)
{
    lwm2m_nodes_t nodes = {0};
    assert_encodes(decoded(type, bytes, &nodes), bytes);
    lwm2m_nodes_clear(&nodes);
}

static void test_integers(void **state)
{
    (void)state;
    lwm2m_nodes_t n = {0};
    assert_true(decoded(LWM2M_TYPE_INTEGER, "17", &n).u.integer == 23);
    assert_true(decoded(LWM2M_TYPE_INTEGER, "18ff", &n).u.integer == 255);
    assert_true(decoded(LWM2M_TYPE_INTEGER, "19ffff", &n).u.integer == 65535);
    assert_true(decoded(LWM2M_TYPE_INTEGER, "1affffffff", &n).u.integer == 4294967295);
    assert_true(decoded(LWM2M_TYPE_INTEGER, "1b7fffffffffffffff", &n).u.integer == INT64_MAX);
    assert_true(decoded(LWM2M_TYPE_INTEGER, "3b7fffffffffffffff", &n).u.integer == INT64_MIN);
    assert_true(decoded(LWM2M_TYPE_INTEGER, "1b0000000000000001", &n).u.integer == 1);
    assert_true(decoded(LWM2M_TYPE_INTEGER, "387f", &n).u.integer == -128);
    /* beyond int64: exact as unsigned, refused as integer */
    lwm2m_value_t v = decoded(LWM2M_TYPE_UNKNOWN, "1bffffffffffffffff", &n);
    assert_int_equal(v.type, LWM2M_TYPE_UNSIGNED);
    assert_true(v.u.unsigned_integer == UINT64_MAX);
    v = decoded(LWM2M_TYPE_UNKNOWN, "1b8000000000000000", &n);
    assert_true(v.type == LWM2M_TYPE_UNSIGNED && v.u.unsigned_integer == 9223372036854775808u);
    assert_int_equal(decoded(LWM2M_TYPE_UNKNOWN, "1b7fffffffffffffff", &n).type,
                     LWM2M_TYPE_INTEGER);
    assert_rejected(LWM2M_TYPE_INTEGER, "1b8000000000000000", 0);
    assert_rejected(LWM2M_TYPE_UNKNOWN, "3b8000000000000000", 0); /* below INT64_MIN */
    assert_rejected(LWM2M_TYPE_UNSIGNED, "20", 0);
    assert_rejected(LWM2M_TYPE_INTEGER, "f93c00", 0); /* a float is not an integer */
    lwm2m_nodes_clear(&n);
}

static void test_floats(void **state)
{
    (void)state;
    lwm2m_nodes_t n = {0};
    assert_true(decoded(LWM2M_TYPE_FLOAT, "f93e00", &n).u.floating == 1.5);
    assert_true(decoded(LWM2M_TYPE_FLOAT, "fa3fc00000", &n).u.floating == 1.5);
    assert_true(decoded(LWM2M_TYPE_FLOAT, "fb3ff8000000000000", &n).u.floating == 1.5);
    assert_true(isinf(decoded(LWM2M_TYPE_FLOAT, "f9fc00", &n).u.floating));
    assert_true(isnan(decoded(LWM2M_TYPE_FLOAT, "f97e00", &n).u.floating));
    assert_true(decoded(LWM2M_TYPE_FLOAT, "3863", &n).u.floating == -100.0); /* an integer */
    lwm2m_value_t v = decoded(LWM2M_TYPE_UNKNOWN, "fa3fc00000", &n);
    assert_int_equal(v.type, LWM2M_TYPE_FLOAT);
    assert_rejected(LWM2M_TYPE_FLOAT, "f5", 0);
    assert_rejected(LWM2M_TYPE_FLOAT, "f93e", 0); /* truncated half */
    lwm2m_nodes_clear(&n);
}

static void test_time(void **state)
{
    (void)state;
    lwm2m_nodes_t n = {0};
    /* Zephyr: tag 0 with "-00:00" */
    assert_true(
        decoded(LWM2M_TYPE_TIME, "c07819313937302d30312d30315430303a30303a30312d30303a3030", &n)
            .u.integer == 1);
    /* "2013-05-02T12:40:15.5+02:00" = 1367491215 */
    assert_true(
        decoded(LWM2M_TYPE_TIME, "c0781b323031332d30352d30325431323a34303a31352e352b30323a3030", &n)
            .u.integer == 1367491215);
    assert_true(decoded(LWM2M_TYPE_TIME, "c11a5182428f", &n).u.integer == 1367491215); /* Leshan */
    assert_true(decoded(LWM2M_TYPE_TIME, "1a5182428f", &n).u.integer == 1367491215);
    assert_true(decoded(LWM2M_TYPE_TIME, "c1fb3ff8000000000000", &n).u.integer == 1);
    assert_true(decoded(LWM2M_TYPE_TIME, "c13863", &n).u.integer == -100);
    lwm2m_value_t v = decoded(LWM2M_TYPE_UNKNOWN, "c100", &n);
    assert_int_equal(v.type, LWM2M_TYPE_TIME);
    /* 1900-02-29 does not exist; tag 0 needs text; tag 1 needs a number */
    assert_rejected(LWM2M_TYPE_TIME, "c074313930302d30322d32395430303a30303a30305a", 0);
    assert_rejected(LWM2M_TYPE_TIME, "c001", 0);
    assert_rejected(LWM2M_TYPE_TIME, "c16131", 0);
    assert_rejected(LWM2M_TYPE_INTEGER, "c101", 0); /* a tag on a non-time resource */
    assert_rejected(LWM2M_TYPE_TIME, "c0c001", 1);  /* two time tags */
    assert_rejected(LWM2M_TYPE_TIME, "c401", 0);    /* decimal fraction tag: not for us */
    lwm2m_nodes_clear(&n);
}

static void test_strings_and_links(void **state)
{
    (void)state;
    lwm2m_nodes_t n = {0};
    lwm2m_value_t v = decoded(LWM2M_TYPE_UNKNOWN, "7f62616261636060ff", &n); /* "ab" "c" "" "" */
    assert_int_equal(v.type, LWM2M_TYPE_STRING);
    assert_int_equal(v.u.bytes.len, 3);
    assert_memory_equal(v.u.bytes.data, "abc", 3);
    v = decoded(LWM2M_TYPE_UNKNOWN, "5f4101ff", &n);
    assert_true(v.type == LWM2M_TYPE_OPAQUE && v.u.bytes.len == 1);
    v = decoded(LWM2M_TYPE_OPAQUE, "6178", &n); /* text for an opaque resource */
    assert_true(v.type == LWM2M_TYPE_OPAQUE && v.u.bytes.data[0] == 'x');
    assert_rejected(LWM2M_TYPE_STRING, "7f6161416200ff", 3); /* bytes inside a text string */
    assert_rejected(LWM2M_TYPE_STRING, "7f6161", 3);         /* no break */
    assert_rejected(LWM2M_TYPE_STRING, "4161", 0);           /* bytes for a string resource */

    v = decoded(LWM2M_TYPE_OBJLNK, "63313a32", &n);
    assert_true(v.u.objlnk.object == 1 && v.u.objlnk.instance == 2);
    v = decoded(LWM2M_TYPE_OBJLNK, "64313a3200", &n); /* Zephyr's trailing NUL */
    assert_true(v.u.objlnk.object == 1 && v.u.objlnk.instance == 2);
    assert_rejected(LWM2M_TYPE_OBJLNK, "65313a320000", 0);
    assert_rejected(LWM2M_TYPE_OBJLNK, "6b36353533363a3635353335", 0); /* 65536 */

    assert_int_equal(decoded(LWM2M_TYPE_UNKNOWN, "f6", &n).type, LWM2M_TYPE_NONE);
    assert_int_equal(decoded(LWM2M_TYPE_UNKNOWN, "f7", &n).type, LWM2M_TYPE_NONE);
    assert_int_equal(decoded(LWM2M_TYPE_BOOLEAN, "f5", &n).u.boolean, true);
    assert_int_equal(decoded(LWM2M_TYPE_UNKNOWN, "d9d9f7f4", &n).type, LWM2M_TYPE_BOOLEAN);
    assert_rejected(LWM2M_TYPE_INTEGER, "f6", 0);
    assert_rejected(LWM2M_TYPE_BOOLEAN, "01", 0);
    lwm2m_nodes_clear(&n);
}

static void test_malformed(void **state)
{
    (void)state;
    assert_rejected(LWM2M_TYPE_UNKNOWN, "", 0);
    assert_rejected(LWM2M_TYPE_UNKNOWN, "0101", 1);   /* trailing bytes */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "190a", 0);   /* truncated */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "6461", 0);   /* truncated string */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "820102", 0); /* array */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "a0", 0);     /* map */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "bf", 0);     /* indefinite map */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "ff", 0);     /* a lone break */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "1c", 0);     /* reserved */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "1f", 0);     /* indefinite integer */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "c0", 1);     /* tag without item */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "d818", 0);   /* tag 24 */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "e0", 0);     /* simple value 0 */
    assert_rejected(LWM2M_TYPE_UNKNOWN, "f820", 0);   /* simple value 32 */

    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    lwm2m_path_t base;
    lwm2m_path_parse("/3/0", 4, 0, &base);
    assert_int_equal(lwm2m_codec_cbor.decode((const uint8_t *)"\x01", 1, &base, NULL, &nodes, &err),
                     LWM2M_ERR_NOT_ACCEPTABLE);
    lwm2m_nodes_init(&nodes, 0, 2);
    base = base_path();
    assert_int_equal(lwm2m_codec_cbor.decode((const uint8_t *)"\x63"
                                                              "abc",
                                             4, &base, NULL, &nodes, &err),
                     LWM2M_ERR_TOO_LARGE);
    lwm2m_nodes_clear(&nodes);
}

static void test_encoding(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        const char *hex;
    } ints[] = {{0, "00"},
                {23, "17"},
                {24, "1818"},
                {255, "18ff"},
                {256, "190100"},
                {65535, "19ffff"},
                {65536, "1a00010000"},
                {-1, "20"},
                {-24, "37"},
                {-25, "3818"},
                {-256, "38ff"},
                {-257, "390100"},
                {INT32_MIN, "3a7fffffff"},
                {4294967296, "1b0000000100000000"},
                {INT64_MAX, "1b7fffffffffffffff"},
                {INT64_MIN, "3b7fffffffffffffff"}};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        assert_encodes(lwm2m_value_integer(ints[i].v), ints[i].hex);
    assert_encodes(lwm2m_value_unsigned(UINT64_MAX), "1bffffffffffffffff");
    assert_encodes(lwm2m_value_float(1.5), "fb3ff8000000000000"); /* always a double */
    assert_encodes(lwm2m_value_float(NAN), "fb7ff8000000000000");
    assert_encodes(lwm2m_value_time(1367491215), "c11a5182428f");
    assert_encodes(lwm2m_value_time(-1), "c120");
    assert_encodes(lwm2m_value_objlnk(1, 2), "63313a32");
    assert_encodes(lwm2m_value_boolean(true), "f5");
    assert_encodes(lwm2m_value_none(LWM2M_TYPE_NONE), "f6");
    assert_encodes(lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "", 0), "40");
    assert_encodes(lwm2m_value_bytes(LWM2M_TYPE_CORELNK, "</3>", 4), "643c2f333e");

    lwm2m_node_t nodes[2] = {{.path = base_path(), .value = lwm2m_value_integer(1)},
                             {.path = base_path(), .value = lwm2m_value_integer(2)}};
    lwm2m_buf_t out = {0};
    lwm2m_error_t err;
    assert_int_equal(lwm2m_codec_cbor.encode(&nodes[0].path, nodes, 2, &out, &err), -406);
    nodes[0].value = lwm2m_value_none(LWM2M_TYPE_INSTANCE);
    assert_int_equal(lwm2m_codec_cbor.encode(&nodes[0].path, nodes, 1, &out, &err), -406);
    lwm2m_path_t other;
    lwm2m_path_parse("/30000/0/1", 10, 0, &other);
    assert_int_equal(lwm2m_codec_cbor.encode(&other, &nodes[1], 1, &out, &err), -406);
    lwm2m_buf_free(&out);
}

static void test_round_trips(void **state)
{
    (void)state;
    assert_round_trip(LWM2M_TYPE_INTEGER, "3b7fffffffffffffff");
    assert_round_trip(LWM2M_TYPE_INTEGER, "1b7fffffffffffffff");
    assert_round_trip(LWM2M_TYPE_UNSIGNED, "1bffffffffffffffff");
    assert_round_trip(LWM2M_TYPE_UNKNOWN, "1bffffffffffffffff");
    assert_round_trip(LWM2M_TYPE_UNSIGNED, "00");
    assert_round_trip(LWM2M_TYPE_FLOAT, "fbbfef95810624dd2f");
    assert_round_trip(LWM2M_TYPE_TIME, "c13a7fffffff");
    assert_round_trip(LWM2M_TYPE_STRING, "6b746573745f737472696e67");
    assert_round_trip(LWM2M_TYPE_OPAQUE, "4400ff0001");
    assert_round_trip(LWM2M_TYPE_OBJLNK, "6b36353533353a3635353335");
    assert_round_trip(LWM2M_TYPE_BOOLEAN, "f4");
    assert_round_trip(LWM2M_TYPE_UNKNOWN, "f6");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),    cmocka_unit_test(test_floats),
        cmocka_unit_test(test_time),        cmocka_unit_test(test_strings_and_links),
        cmocka_unit_test(test_malformed),   cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
