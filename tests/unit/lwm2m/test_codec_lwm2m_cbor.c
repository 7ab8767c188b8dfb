/* test_codec_lwm2m_cbor.c - LwM2M CBOR (11544): canonical round trips byte for byte, key
 * layouts, value types and their extremes, gateway prefixes, malformed input with codes and
 * offsets, and what the encoder refuses. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../unit_common.h"

#include "lwm2m/codec.h"

static const lwm2m_codec_t *codec = &lwm2m_codec_lwm2m_cbor;

static void tohex(const uint8_t *data, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", data[i]);
    out[2 * len] = 0;
}

static lwm2m_path_t path(const char *text)
{
    lwm2m_path_t p;
    assert_int_equal(lwm2m_path_parse(text, strlen(text),
                                      LWM2M_PATH_ALLOW_PREFIX | LWM2M_PATH_ALLOW_RESERVED, &p),
                     0);
    return p;
}

/* Decodes hex at base with the built-in model; returns the code, err filled. */
static int decode(const char *hex, const char *base, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    static uint8_t buf[4096];
    static lwm2m_model_t *model;
    if (!model)
        model = lwm2m_model_new_builtin();
    lwm2m_decode_opts_t opts = {.model = model};
    lwm2m_path_t b = path(base);
    size_t n = unhex(hex, buf);
    memset(err, 0, sizeof(*err));
    return codec->decode(buf, n, &b, &opts, out, err);
}

/* decode(hex) then encode must give hex again. */
static void assert_round_trip(const char *hex, const char *base)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    lwm2m_buf_t out = {0};
    char got[8192];
    lwm2m_path_t b = path(base);
    assert_int_equal(decode(hex, base, &nodes, &err), 0);
    assert_int_equal(codec->encode(&b, nodes.items, nodes.count, &out, &err), 0);
    tohex(out.data, out.len, got);
    assert_string_equal(got, hex);
    lwm2m_buf_free(&out);
    lwm2m_nodes_clear(&nodes);
}

static void assert_decode_error(const char *hex, const char *base, int code, size_t offset)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    assert_int_equal(decode(hex, base, &nodes, &err), code);
    assert_int_equal(err.code, code);
    assert_int_equal(err.offset, offset);
    assert_true(err.message[0] != 0);
    lwm2m_nodes_clear(&nodes);
}

static void test_canonical_round_trips(void **state)
{
    (void)state;
    /* Read /3/0/0, the Core TS §7.5.4.1 example. */
    assert_round_trip("a183030000744f70656e204d6f62696c6520416c6c69616e6365", "/3/0/0");
    /* An instance: [3,0] key, one map per level, a multi-instance resource as a map. */
    assert_round_trip("a1820300a206a200010105091864", "/3/0");
    /* An object with two instances branches at once: a plain uint key. */
    assert_round_trip("a101a200a1011a0001518001a10119012c", "/1");
    /* Composite: top-level keys keep the order of the nodes, /3 before /1. */
    assert_round_trip("a283030009186401a200a1011a0001518001a10119012c", "/");
    /* Resource instance, Create with instance 65535, empty containers. */
    assert_round_trip("a1840300060105", "/3/0/6/1");
    assert_round_trip("a1820119ffffa2001865011a00015180", "/1");
    assert_round_trip("a1820300a0", "/3/0");
    assert_round_trip("a183030006a0", "/3/0/6");
    /* Executable resource: null. Time: a plain integer. */
    assert_round_trip("a183030004f6", "/3/0/4");
    assert_round_trip("a18303000d1a5182428f", "/3/0/13");
    /* Gateway end devices: the prefix leads the array key. */
    assert_round_trip("a283636430310300a200614109186484636430320300091841", "/");
}

static void test_integer_extremes(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    /* /3/0/9 is an Integer resource: int64 max and min, exact. */
    assert_int_equal(decode("a1830300091b7fffffffffffffff", "/3/0/9", &nodes, &err), 0);
    assert_true(nodes.items[0].value.type == LWM2M_TYPE_INTEGER);
    assert_true(nodes.items[0].value.u.integer == INT64_MAX);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("a1830300093b7fffffffffffffff", "/3/0/9", &nodes, &err), 0);
    assert_true(nodes.items[0].value.u.integer == INT64_MIN);
    lwm2m_nodes_clear(&nodes);
    assert_round_trip("a1830300091b7fffffffffffffff", "/3/0/9");
    assert_round_trip("a1830300093b7fffffffffffffff", "/3/0/9");
    /* One beyond either end does not fit an Integer resource. */
    assert_decode_error("a1830300091b8000000000000000", "/3/0/9", -400, 5);
    assert_decode_error("a1830300093b8000000000000000", "/3/0/9", -400, 5);
    assert_decode_error("a1830300093bffffffffffffffff", "/3/0/9", -400, 5);
    /* No model: a uint above INT64_MAX is an unsigned, the whole uint64 range. */
    assert_int_equal(decode("a1841904d2000000"
                            "1bffffffffffffffff",
                            "/", &nodes, &err),
                     0);
    assert_true(nodes.items[0].value.type == LWM2M_TYPE_UNSIGNED);
    assert_true(nodes.items[0].value.u.unsigned_integer == UINT64_MAX);
    lwm2m_nodes_clear(&nodes);
    assert_round_trip("a1841904d20000001bffffffffffffffff", "/");
    /* A non-preferred 8-byte argument decodes; the encoder writes the shortest form. */
    assert_int_equal(decode("a1830300091b0000000000000005", "/3/0/9", &nodes, &err), 0);
    assert_true(nodes.items[0].value.u.integer == 5);
    lwm2m_nodes_clear(&nodes);
}

static void test_floats(void **state)
{
    (void)state;
    /* The encoder picks the shortest exact width: half, single, double; NaN as f97e00. */
    const char *canonical[] = {
        "a1831904d2000af93e00",             /* 1.5 */
        "a1831904d2000afa47c35000",         /* 100000.0 */
        "a1831904d2000afb3fb999999999999a", /* 0.1 */
        "a1831904d2000af97e00",             /* NaN */
        "a1831904d2000af9fc00",             /* -Infinity */
        "a1831904d2000af98000",             /* -0.0 */
        "a1831904d2000af90001",             /* smallest half subnormal */
    };
    for (size_t i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++)
        assert_round_trip(canonical[i], "/");
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    /* Tag 4 decimal fraction [-2, 27315] = 273.15; a double 1.5 decodes like the half. */
    assert_int_equal(decode("a1831904d2000ac48221196ab3", "/", &nodes, &err), 0);
    assert_true(nodes.items[0].value.type == LWM2M_TYPE_FLOAT);
    assert_true(nodes.items[0].value.u.floating == 273.15);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("a1831904d2000afb3ff8000000000000", "/", &nodes, &err), 0);
    assert_true(nodes.items[0].value.u.floating == 1.5);
    lwm2m_nodes_clear(&nodes);
}

static void test_times_and_strings(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    /* /3/0/13 Current Time: tag 1 integer, tag 1 float, tag 0 RFC 3339 with an offset. */
    assert_int_equal(decode("a18303000dc11a5182428f", "/3/0/13", &nodes, &err), 0);
    assert_int_equal(decode("a18303000dc1fb41d46090a3c00000", "/3/0/13", &nodes, &err), 0);
    assert_int_equal(decode("a18303000dc07819323031332d30352d30325431323a34303a31352b30323a3030",
                            "/3/0/13", &nodes, &err),
                     0);
    assert_int_equal(nodes.count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_true(nodes.items[i].value.type == LWM2M_TYPE_TIME);
        assert_true(nodes.items[i].value.u.integer == 1367491215);
    }
    lwm2m_nodes_clear(&nodes);
    /* Chunked text with an empty chunk; objlnk with Zephyr's trailing NUL. */
    assert_int_equal(decode("a1830300007f62686560636c6c6fff", "/3/0/0", &nodes, &err), 0);
    assert_int_equal(nodes.items[0].value.u.bytes.len, 5);
    assert_memory_equal(nodes.items[0].value.u.bytes.data, "hello", 5);
    lwm2m_nodes_clear(&nodes);
    /* No model: a byte string is opaque, a text string a string. */
    assert_int_equal(decode("a2831904d200014201ff831904d200026141", "/", &nodes, &err), 0);
    assert_true(nodes.items[0].value.type == LWM2M_TYPE_OPAQUE);
    assert_true(nodes.items[1].value.type == LWM2M_TYPE_STRING);
    lwm2m_nodes_clear(&nodes);
    assert_round_trip("a1821904d200a2014201ff026141", "/"); /* the same, canonical */
    assert_int_equal(decode("a18300001164333a3000", "/", &nodes, &err), 0); /* /0/0/17 */
    assert_true(nodes.items[0].value.type == LWM2M_TYPE_OBJLNK);
    assert_int_equal(nodes.items[0].value.u.objlnk.object, 3);
    lwm2m_nodes_clear(&nodes);
}

static void test_key_layouts(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    /* Nested single keys, 1-element arrays, indefinite maps and array keys: all /3/0/9 = 100. */
    const char *same[] = {"a103a100a1091864", "a18103a18100a181091864", "bf03bf00bf091864ffffff",
                          "a19f030009ff1864", "a103a18200091864"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        assert_int_equal(decode(same[i], "/3/0/9", &nodes, &err), 0);
        assert_int_equal(nodes.count, 1);
        assert_true(lwm2m_path_equal(&nodes.items[0].path, &(lwm2m_path_t){{3, 0, 9}, 3, ""}));
        assert_true(nodes.items[0].value.u.integer == 100);
        lwm2m_nodes_clear(&nodes);
    }
    /* A bare text key names the end device. */
    assert_int_equal(decode("a163643031a103a100a1006141", "/", &nodes, &err), 0);
    assert_string_equal(nodes.items[0].path.prefix, "d01");
    lwm2m_nodes_clear(&nodes);
    /* A request path with a prefix: unprefixed keys belong to that end device. */
    assert_int_equal(decode("a1830300091864", "/d01/3/0/9", &nodes, &err), 0);
    assert_string_equal(nodes.items[0].path.prefix, "d01");
    lwm2m_nodes_clear(&nodes);
    assert_decode_error("a18463643032030009"
                        "1864",
                        "/d01/3/0/9", -400, 2);
}

static void test_malformed(void **state)
{
    (void)state;
    assert_decode_error("", "/", -400, 0);
    assert_decode_error("8100", "/", -400, 0);                    /* not a map */
    assert_decode_error("a1830300", "/", -400, 4);                /* truncated key */
    assert_decode_error("a183030000744f70", "/", -400, 5);        /* text shorter than its length */
    assert_decode_error("bf8303000905", "/", -400, 6);            /* no break */
    assert_decode_error("a1f93c0005", "/", -400, 1);              /* float key */
    assert_decode_error("a103a16130a10005", "/", -400, 3);        /* text key below the top */
    assert_decode_error("a1830361300005", "/", -400, 3);          /* text inside an array key */
    assert_decode_error("a18005", "/", -400, 1);                  /* empty array key */
    assert_decode_error("a18303001a0001000005", "/", -400, 4);    /* id 65536 */
    assert_decode_error("a185030006000005", "/", -400, 6);        /* 5 levels */
    assert_decode_error("a18403000600a10005", "/", -400, 6);      /* map below an instance */
    assert_decode_error("a182030005", "/3/0", -400, 4);           /* value at instance level */
    assert_decode_error("a283030009058303000906", "/", -400, 10); /* duplicate */
    assert_decode_error("a2830300090503a100a10906", "/", -400, 11); /* duplicate, mixed keys */
    assert_decode_error("a28303000601840300060002", "/", -400, 11); /* value and container */
    assert_decode_error("a1830300090500", "/", -400, 6);            /* trailing bytes */
    assert_decode_error("a1830300098105", "/", -400, 5);            /* array value */
    assert_decode_error("a18303000a05", "/3/0/9", -400, 1);         /* outside the request path */
    assert_decode_error("a183030009c24101", "/", -400, 5);          /* bignum */
    assert_decode_error("a183030009f7", "/", -400, 5);              /* undefined */
    assert_decode_error("a18303000062c328", "/", -400, 5);          /* bad UTF-8 */
    assert_decode_error("a1830300091c", "/", -400, 5);              /* reserved info 28 */
    assert_decode_error("a1ff", "/", -400, 1);                      /* break in a definite map */
    assert_decode_error("a18303000dc063616263", "/", -400, 5);      /* tag 0, not a date */
    assert_decode_error("a183030000f5", "/", -400, 5);              /* boolean for a string */
    assert_decode_error("a183030004", "/", -400, 5);                /* value missing */
    /* /3/0/0 is single-instance: it can't be an empty multi-instance resource. */
    assert_decode_error("a183030000a0", "/", -400, 5);
}

static void test_bounds(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes;
    lwm2m_error_t err;
    lwm2m_nodes_init(&nodes, 1, 0);
    assert_int_equal(decode("a1820300a2091864"
                            "0a0f",
                            "/", &nodes, &err),
                     -413);
    assert_int_equal(err.offset, 9);
    lwm2m_nodes_clear(&nodes);
    /* A declared count far beyond the input allocates nothing and fails as truncated. */
    assert_decode_error("bb7fffffffffffffff", "/", -400, 9);
}

static void test_encoder_refusals(void **state)
{
    (void)state;
    lwm2m_buf_t out = {0};
    lwm2m_error_t err = {0};
    lwm2m_path_t root = lwm2m_path_root(), base = path("/3/0");
    lwm2m_node_t nodes[2] = {{.path = path("/3/0/9"), .value = lwm2m_value_integer(1)},
                             {.path = path("/3/0/9"), .value = lwm2m_value_integer(2)}};
    assert_int_equal(codec->encode(&root, nodes, 2, &out, &err), -406); /* same path twice */
    nodes[1].path = path("/3/0/9/0");
    assert_int_equal(codec->encode(&root, nodes, 2, &out, &err), -406); /* inside a value */
    nodes[1].path = path("/3/1/9");
    assert_int_equal(codec->encode(&base, nodes, 2, &out, &err), -406); /* outside the base */
    nodes[0].has_time = true;
    assert_int_equal(codec->encode(&root, nodes, 1, &out, &err), -406); /* timestamps */
    nodes[0].has_time = false;
    nodes[0].path = path("/3/0");
    assert_int_equal(codec->encode(&root, nodes, 1, &out, &err), -406); /* value on an instance */
    assert_int_equal(codec->encode(&root, nodes, 0, &out, &err), 0);    /* nothing: {} */
    assert_int_equal(out.len, 1);
    assert_int_equal(out.data[0], 0xa0);
    lwm2m_buf_free(&out);
    lwm2m_buf_init(&out, 4);
    nodes[0].path = path("/3/0/9");
    assert_int_equal(codec->encode(&root, nodes, 1, &out, &err), -413);
    lwm2m_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_round_trips),
        cmocka_unit_test(test_integer_extremes),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_times_and_strings),
        cmocka_unit_test(test_key_layouts),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_encoder_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
