/* test_codec_senml_cbor.c - the SenML CBOR codec (CF 112): byte-exact round trips of canonical
 * input, int64/uint64 extremes, what real clients send (half floats, tag 4, chunked strings,
 * Zephyr's objlnk), malformed input with offsets, bounds. */
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

/* "/3303/0/5700" as a CBOR text string (12 bytes). */
#define NAME_5700 "6c2f333330332f302f35373030"

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
    assert_int_equal(lwm2m_path_parse(text, strlen(text), LWM2M_PATH_ALLOW_PREFIX, &p), 0);
    return p;
}

static int decode(const char *hex, const char *base, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    uint8_t bytes[512];
    size_t len = unhex(hex, bytes);
    lwm2m_path_t b = path_of(base);
    lwm2m_decode_opts_t opts = {.model = model};
    return lwm2m_codec_senml_cbor.decode(bytes, len, &b, &opts, out, err);
}

static void assert_round_trip(const char *hex, const char *base)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_buf_t buf = {0};
    lwm2m_error_t err = {0};
    lwm2m_path_t b = path_of(base);
    char out[1024];
    if (decode(hex, base, &nodes, &err) < 0)
        fail_msg("decode: %s at %zu", err.message, err.offset);
    assert_int_equal(lwm2m_codec_senml_cbor.encode(&b, nodes.items, nodes.count, &buf, &err), 0);
    assert_true(buf.len * 2 < sizeof(out));
    for (size_t i = 0; i < buf.len; i++)
        snprintf(out + 2 * i, 3, "%02x", buf.data[i]);
    out[2 * buf.len] = 0;
    assert_string_equal(out, hex);
    lwm2m_buf_free(&buf);
    lwm2m_nodes_clear(&nodes);
}

static void test_round_trip(void **state)
{
    (void)state;
    /* one float resource: bn is the instance, the float an 8-byte double */
    assert_round_trip("81a321682f333330332f302f00643537303002fb4035800000000000", "/3303/0/5700");
    /* a multi-instance resource */
    assert_round_trip("82a321652f332f302f0063372f3002190ed8a20063372f3102191388", "/3/0/7");
    /* types across instances: boolean, objlnk ("vlo"), integer, opaque, string */
    assert_round_trip("85a321652f312f302f00613604f5a20062313063766c6f6431313a32"
                      "a321652f312f312f00613102183ca321652f302f302f0061330843abcdef"
                      "a20061300368636f61703a2f2f78",
                      "/");
    /* an end-device prefix */
    assert_round_trip("81a3216c2f6430312f333330332f302f00643537303002fb4036800000000000",
                      "/d01/3303/0");
}

static void test_integer_extremes(void **state)
{
    (void)state;
    /* object 1024 is unknown: int64 max/min, uint64 max and 2^63 come back exactly */
    const char *hex = "84a321682f313032342f302f006130021b7fffffffffffffff"
                      "a2006131023b7fffffffffffffffa2006132021bffffffffffffffff"
                      "a2006133021b8000000000000000";
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    assert_int_equal(decode(hex, "/1024/0", &nodes, &err), 0);
    assert_int_equal(nodes.count, 4);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_INTEGER);
    assert_true(nodes.items[0].value.u.integer == INT64_MAX);
    assert_true(nodes.items[1].value.u.integer == INT64_MIN);
    assert_int_equal(nodes.items[2].value.type, LWM2M_TYPE_UNSIGNED);
    assert_true(nodes.items[2].value.u.unsigned_integer == UINT64_MAX);
    assert_true(nodes.items[3].value.u.unsigned_integer == (uint64_t)INT64_MAX + 1);
    lwm2m_nodes_clear(&nodes);
    assert_round_trip(hex, "/1024/0");
    /* below INT64_MIN: refused at the value */
    assert_int_equal(decode("81a2"
                            "00" NAME_5700 "023b8000000000000000",
                            "/", &nodes, &err),
                     -400);
    assert_int_equal(err.offset, 17);
    /* a model integer (/3/0/9) refuses a value above INT64_MAX */
    assert_int_equal(decode("81a2"
                            "00"
                            "662f332f302f39"
                            "021b8000000000000000",
                            "/", &nodes, &err),
                     -400);
    assert_int_equal(err.offset, 1);
    lwm2m_nodes_clear(&nodes);
}

static void test_time_series(void **state)
{
    (void)state;
    /* bt once, then relative t (integer, then fractional); an untimed record resets bt to 0 */
    const char *hex = "84a421682f333330332f302f221a6553f10000643537303002fb4035800000000000"
                      "a3006435373030"
                      "06183c02fb4036000000000000"
                      "a3006435373030"
                      "06fb405e20000000000002fb4036800000000000"
                      "a421682f333330332f312f2200006435373030"
                      "02fb3ff0000000000000";
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    assert_int_equal(decode(hex, "/", &nodes, &err), 0);
    assert_int_equal(nodes.count, 4);
    assert_true(nodes.items[0].has_time && nodes.items[0].time == 1700000000);
    assert_true(nodes.items[1].has_time && nodes.items[1].time == 1700000060);
    assert_true(nodes.items[2].has_time && nodes.items[2].time == 1700000120.5);
    assert_false(nodes.items[3].has_time);
    assert_true(nodes.items[2].value.u.floating == 22.5);
    lwm2m_nodes_clear(&nodes);
    assert_round_trip(hex, "/");
}

static void test_what_clients_send(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    /* half float, single float, v before n, tag 4 decimal fraction bt (17000000.1) */
    assert_int_equal(decode("83a2"
                            "00" NAME_5700 "02f93c00"
                            "a202fa41b40000"
                            "00" NAME_5700 "a3"
                            "00" NAME_5700 "22c482201a0a21fe81"
                            "0201",
                            "/", &nodes, &err),
                     0);
    assert_true(nodes.items[0].value.u.floating == 1.0);
    assert_true(nodes.items[1].value.u.floating == 22.5);
    assert_int_equal(nodes.items[2].value.type, LWM2M_TYPE_FLOAT); /* the model says float */
    assert_true(nodes.items[2].has_time && nodes.items[2].time == 17000000.1);
    lwm2m_nodes_clear(&nodes);
}

static void test_chunked(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    /* [_ {_ -2: (_ "/33", "03/0/"), 0: "5700", 2: 1},
     *    {_ -2: "", 0: "/1/0/10", (_ "vl", "o"): (_ "3", "", ":0")}] */
    const char *hex = "9f"
                      "bf21"
                      "7f632f3333653033"
                      "2f302fff"
                      "0064353730300201ff"
                      "bf2160"
                      "0067"
                      "2f312f302f3130"
                      "7f62766c616fff"
                      "7f61336061"
                      "3a"
                      "6130ffff"
                      "ff";
    assert_int_equal(decode(hex, "/", &nodes, &err), 0);
    assert_int_equal(nodes.count, 2);
    assert_int_equal(nodes.items[0].path.id[0], 3303);
    assert_true(nodes.items[0].value.u.floating == 1.0);
    assert_int_equal(nodes.items[1].value.type, LWM2M_TYPE_OBJLNK);
    assert_int_equal(nodes.items[1].value.u.objlnk.object, 3);
    lwm2m_nodes_clear(&nodes);
    /* a chunk of the wrong kind inside a chunked string */
    assert_int_equal(decode("81bf217f632f333341ffff", "/", &nodes, &err), -400);
    assert_int_equal(err.offset, 8);
}

static void test_objlnk_and_ignored(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    /* Zephyr's decoder reads objlnk from a text v and from vs */
    assert_int_equal(decode("82a321652f312f302f006231300263333a30a3"
                            "21652f312f312f"
                            "006231300363343a31",
                            "/", &nodes, &err),
                     0);
    assert_int_equal(nodes.items[0].value.u.objlnk.object, 3);
    assert_int_equal(nodes.items[1].value.u.objlnk.object, 4);
    assert_int_equal(nodes.items[1].value.u.objlnk.instance, 1);
    lwm2m_nodes_clear(&nodes);
    /* unknown labels and text keys are skipped, nested values too; bver is fine */
    assert_int_equal(decode("81a6"
                            "00" NAME_5700 "0163436565"
                            "186382"
                            "01a0"
                            "63666f6f"
                            "f6"
                            "2018"
                            "0a"
                            "02f93c00",
                            "/", &nodes, &err),
                     0);
    assert_int_equal(nodes.count, 1);
    lwm2m_nodes_clear(&nodes);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        int code;
        size_t offset;
    } cases[] = {
        {"81a3", -400, 2}, /* truncated */
        {"81a2"
         "00" NAME_5700 "02f93c00"
         "00",
         -400, 20},                    /* trailing bytes */
        {"a0", -400, 0},               /* not an array */
        {"8101", -400, 1},             /* record not a map */
        {"81a1f93c0001", -400, 2},     /* float key */
        {"81a2006161006162", -400, 5}, /* duplicate key */
        {"81a2"
         "00" NAME_5700 "0362c328",
         -400, 17}, /* vs not UTF-8 */
        {"81a2"
         "00" NAME_5700 "2401",
         -400, 16}, /* bv */
        {"81a2"
         "00" NAME_5700 "62785f01",
         -400, 16},                /* must-understand */
        {"81a1007f01ff", -400, 4}, /* bad chunk */
        {"81a1ff", -400, 2},       /* break in a map */
        {"9a00010000", -413, 0},   /* too many records */
        {"81a102f820", -400, 3},   /* reserved simple */
        {"81a2"
         "00" NAME_5700 "02f5",
         -400, 17}, /* bool for a number */
        {"81a2"
         "00" NAME_5700 "02c2420100",
         -400, 17},                                /* bignum */
        {"81a200" NAME_5700 "02c48201", -400, 20}, /* truncated fraction */
        {"81a10101", -400, 1},                     /* no name, no value */
        {"81a1"
         "01"
         "8181818181818181818181818181818181818100",
         -400, 19}, /* deep */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lwm2m_nodes_t nodes = {0};
        lwm2m_error_t err = {0};
        int rc = decode(cases[i].hex, "/", &nodes, &err);
        if (rc != cases[i].code || err.offset != cases[i].offset)
            fail_msg("case %zu: rc %d offset %zu (%s)", i, rc, err.offset, err.message);
        lwm2m_nodes_clear(&nodes);
    }
}

static void test_empty_and_bounds(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err = {0};
    assert_int_equal(decode("80", "/3/0/7", &nodes, &err), 0);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_MULTIPLE);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("", "/3/0", &nodes, &err), 0);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_INSTANCE);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("", "/65535/0/2", &nodes, &err), -400); /* Zephyr: an error */
    assert_int_equal(decode("9fff", "/1", &nodes, &err), 0);
    assert_int_equal(nodes.count, 0);
    lwm2m_nodes_init(&nodes, 1, 0);
    assert_int_equal(decode("82a2"
                            "00" NAME_5700 "0201"
                            "a2"
                            "00" NAME_5700 "0202",
                            "/", &nodes, &err),
                     -413);
    lwm2m_nodes_clear(&nodes);
    lwm2m_nodes_init(&nodes, 0, 3); /* string bytes bound */
    assert_int_equal(decode("81a2"
                            "00"
                            "662f332f302f30"
                            "036461626364",
                            "/", &nodes, &err),
                     -413);
    assert_int_equal(err.offset, 1);
    lwm2m_nodes_clear(&nodes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_integer_extremes),
        cmocka_unit_test(test_time_series), cmocka_unit_test(test_what_clients_send),
        cmocka_unit_test(test_chunked),     cmocka_unit_test(test_objlnk_and_ignored),
        cmocka_unit_test(test_malformed),   cmocka_unit_test(test_empty_and_bounds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
