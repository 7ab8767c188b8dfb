/* test_codec_tlv.c - the OMA TLV codec (lwm2m/data/codec_tlv.c): raw records, value encodings,
 * node decoding at each request-path level, round trips, malformed input and bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/codec.h"
#include "lwm2m/tlv.h"

/* Object 30000: one resource of each type; 9 and 11 are multi-instance. */
static const lwm2m_resource_def_t test_resources[] = {
    {0, "s", LWM2M_TYPE_STRING, LWM2M_OP_READ, false, false, "", ""},
    {1, "i", LWM2M_TYPE_INTEGER, LWM2M_OP_READ, false, false, "", ""},
    {2, "u", LWM2M_TYPE_UNSIGNED, LWM2M_OP_READ, false, false, "", ""},
    {3, "f", LWM2M_TYPE_FLOAT, LWM2M_OP_READ, false, false, "", ""},
    {4, "b", LWM2M_TYPE_BOOLEAN, LWM2M_OP_READ, false, false, "", ""},
    {5, "o", LWM2M_TYPE_OPAQUE, LWM2M_OP_READ, false, false, "", ""},
    {6, "t", LWM2M_TYPE_TIME, LWM2M_OP_READ, false, false, "", ""},
    {7, "l", LWM2M_TYPE_OBJLNK, LWM2M_OP_READ, false, false, "", ""},
    {8, "c", LWM2M_TYPE_CORELNK, LWM2M_OP_READ, false, false, "", ""},
    {9, "mi", LWM2M_TYPE_INTEGER, LWM2M_OP_READ, true, false, "", ""},
    {10, "x", LWM2M_TYPE_NONE, LWM2M_OP_EXECUTE, false, false, "", ""},
    {11, "ms", LWM2M_TYPE_STRING, LWM2M_OP_READ, true, false, "", ""},
};
static const lwm2m_object_def_t test_object = {
    30000, "test", "1.0",          "",
    true,  false,  test_resources, sizeof(test_resources) / sizeof(test_resources[0])};

static lwm2m_model_t *model;

static int setup(void **state)
{
    (void)state;
    model = lwm2m_model_new_builtin();
    return model && lwm2m_model_add_static(model, &test_object) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    lwm2m_model_free(model);
    return 0;
}

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

static lwm2m_path_t path(const char *text)
{
    lwm2m_path_t p;
    assert_int_equal(lwm2m_path_parse(text, strlen(text), 0, &p), 0);
    return p;
}

/* Decodes hex at the path; returns the codec's result, nodes in *out, error in *err. */
static int decode(const char *base, const char *bytes, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    uint8_t buf[512];
    size_t len = hex(bytes, buf);
    lwm2m_path_t b = path(base);
    lwm2m_decode_opts_t opts = {.model = model};
    memset(err, 0, sizeof(*err));
    return lwm2m_codec_tlv.decode(buf, len, &b, &opts, out, err);
}

/* decode then encode at the same path must give the same bytes. */
static void assert_round_trip(const char *base, const char *bytes)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    lwm2m_buf_t out = {0};
    uint8_t want[512];
    size_t len = hex(bytes, want);
    lwm2m_path_t b = path(base);
    int rc = decode(base, bytes, &nodes, &err);
    if (rc < 0)
        fail_msg("%s %s: %s at %zu", base, bytes, err.message, err.offset);
    assert_int_equal(lwm2m_codec_tlv.encode(&b, nodes.items, nodes.count, &out, &err), 0);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data ? out.data : want, want, len);
    lwm2m_buf_free(&out);
    lwm2m_nodes_clear(&nodes);
}

static void assert_decode_error(const char *base, const char *bytes, int code, size_t offset)
{
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    assert_int_equal(decode(base, bytes, &nodes, &err), code);
    assert_int_equal(err.code, code);
    assert_int_equal(err.offset, offset);
    assert_true(err.message[0] != 0);
    lwm2m_nodes_clear(&nodes);
}

static void test_raw_parse_and_write(void **state)
{
    (void)state;
    uint8_t buf[64];
    /* resource 1 "hi", multiple resource 300 holding instance 7 = 0x2a */
    size_t len = hex("c2016869"
                     "a3012c"
                     "41072a",
                     buf);
    lwm2m_tlv_t *tlvs = NULL;
    size_t count = 0;
    lwm2m_error_t err = {0};
    assert_int_equal(lwm2m_tlv_parse(buf, len, 0, &tlvs, &count, &err), 0);
    assert_int_equal(count, 2);
    assert_int_equal(tlvs[0].type, LWM2M_TLV_RESOURCE_VALUE);
    assert_int_equal(tlvs[0].id, 1);
    assert_int_equal(tlvs[0].value_len, 2);
    assert_memory_equal(tlvs[0].value, "hi", 2);
    assert_int_equal(tlvs[1].type, LWM2M_TLV_MULTIPLE_RESOURCE);
    assert_int_equal(tlvs[1].id, 300);
    assert_int_equal(tlvs[1].offset, 4);
    assert_int_equal(tlvs[1].child_count, 1);
    assert_int_equal(tlvs[1].children[0].id, 7);
    lwm2m_buf_t out = {0};
    assert_int_equal(lwm2m_tlv_write(tlvs, count, &out, &err), 0);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, buf, len);
    lwm2m_buf_free(&out);
    lwm2m_tlv_free(tlvs);

    /* a record bound, and nesting the spec doesn't allow */
    len = hex("c10101c10201c10301", buf);
    assert_int_equal(lwm2m_tlv_parse(buf, len, 2, &tlvs, &count, &err), LWM2M_ERR_TOO_LARGE);
    assert_int_equal(err.offset, 6);
    len = hex("0300410101", buf); /* a resource instance directly inside an instance */
    assert_int_equal(lwm2m_tlv_parse(buf, len, 0, &tlvs, &count, &err), LWM2M_ERR_BAD_REQUEST);
    assert_int_equal(err.offset, 2);
}

static void test_raw_lengths(void **state)
{
    (void)state;
    uint8_t value[300];
    memset(value, 'x', sizeof(value));
    lwm2m_tlv_t t = {.type = LWM2M_TLV_RESOURCE_VALUE, .id = 5, .value = value};
    lwm2m_buf_t out = {0};
    size_t sizes[] = {0, 7, 8, 255, 256, 300};
    const char *heads[] = {"c005", "c705", "c80508", "c805ff", "d0050100", "d005012c"};
    for (size_t i = 0; i < 6; i++) {
        uint8_t want[8];
        size_t hl = hex(heads[i], want);
        t.value_len = sizes[i];
        lwm2m_buf_reset(&out);
        assert_int_equal(lwm2m_tlv_write(&t, 1, &out, NULL), 0);
        assert_int_equal(out.len, hl + sizes[i]);
        assert_memory_equal(out.data, want, hl);
        assert_int_equal(lwm2m_tlv_header_size(5, sizes[i]), hl);
        lwm2m_tlv_t *back;
        size_t count;
        assert_int_equal(lwm2m_tlv_parse(out.data, out.len, 0, &back, &count, NULL), 0);
        assert_int_equal(back[0].value_len, sizes[i]);
        lwm2m_tlv_free(back);
    }
    lwm2m_buf_free(&out);
    uint8_t big[5] = {0xd8, 0x01, 0x01, 0x00, 0xff}; /* 24-bit length 65791 > buffer */
    lwm2m_error_t err;
    lwm2m_tlv_t *back;
    size_t count;
    assert_int_equal(lwm2m_tlv_parse(big, 5, 0, &back, &count, &err), LWM2M_ERR_BAD_REQUEST);
    assert_int_equal(err.offset, 0);
}

static void test_value_helpers(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        const char *hex;
    } ints[] = {{0, "00"},
                {-1, "ff"},
                {127, "7f"},
                {128, "0080"},
                {-129, "ff7f"},
                {32768, "00008000"},
                {INT32_MIN, "80000000"},
                {2147483648LL, "0000000080000000"},
                {INT64_MAX, "7fffffffffffffff"},
                {INT64_MIN, "8000000000000000"}};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        uint8_t scratch[8], want[8];
        const uint8_t *data;
        size_t len, wl = hex(ints[i].hex, want);
        lwm2m_value_t v = lwm2m_value_integer(ints[i].v), back;
        assert_int_equal(lwm2m_tlv_value_encode(&v, scratch, &data, &len), 0);
        assert_int_equal(len, wl);
        assert_memory_equal(data, want, wl);
        assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_INTEGER, data, len, &back), 0);
        assert_true(back.u.integer == ints[i].v);
    }
    uint8_t b[8];
    lwm2m_value_t v;
    size_t n = hex("ffffffffffffffff", b);
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_UNSIGNED, b, n, &v), 0);
    assert_true(v.u.unsigned_integer == UINT64_MAX);
    n = hex("80", b);
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_UNSIGNED, b, n, &v), 0);
    assert_true(v.u.unsigned_integer == 128);
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_INTEGER, b, 3, &v), LWM2M_ERR_BAD_REQUEST);
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_INTEGER, b, 0, &v), LWM2M_ERR_BAD_REQUEST);
    n = hex("3fc00000", b); /* binary32 1.5 */
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_FLOAT, b, n, &v), 0);
    assert_true(v.u.floating == 1.5);
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_FLOAT, b, 5, &v), LWM2M_ERR_BAD_REQUEST);
    n = hex("0002", b); /* Zephyr reads 2-byte, nonzero booleans as true */
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_BOOLEAN, b, n, &v), 0);
    assert_true(v.u.boolean);
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_BOOLEAN, b, 3, &v), LWM2M_ERR_BAD_REQUEST);
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_OBJLNK, b, 3, &v), LWM2M_ERR_BAD_REQUEST);
    assert_int_equal(lwm2m_tlv_value_decode(LWM2M_TYPE_NONE, b, 1, &v), LWM2M_ERR_NOT_ACCEPTABLE);
    uint8_t scratch[8];
    const uint8_t *data;
    lwm2m_value_t u = lwm2m_value_unsigned(UINT64_MAX);
    assert_int_equal(lwm2m_tlv_value_encode(&u, scratch, &data, &n), 0);
    assert_int_equal(n, 8);
    u = lwm2m_value_unsigned(255);
    assert_int_equal(lwm2m_tlv_value_encode(&u, scratch, &data, &n), 0);
    assert_int_equal(n, 1);
    lwm2m_value_t f = lwm2m_value_float(1.5); /* always 8 bytes, like Zephyr */
    assert_int_equal(lwm2m_tlv_value_encode(&f, scratch, &data, &n), 0);
    assert_int_equal(n, 8);
    assert_int_equal(data[0], 0x3f);
    assert_int_equal(data[1], 0xf8);
}

static void test_decode_levels(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    /* instance 1 wrapping "ab" at /30000/1/0 and multi resource 9 {0: 5, 3: -2} */
    assert_int_equal(decode("/30000",
                            "08010c"
                            "c2006162"
                            "8609"
                            "410005"
                            "4103fe",
                            &nodes, &err),
                     0);
    assert_int_equal(nodes.count, 3);
    char p[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&nodes.items[0].path, p, sizeof(p));
    assert_string_equal(p, "/30000/1/0");
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_STRING);
    assert_string_equal((char *)nodes.items[0].value.u.bytes.data, "ab");
    lwm2m_path_format(&nodes.items[2].path, p, sizeof(p));
    assert_string_equal(p, "/30000/1/9/3");
    assert_true(nodes.items[2].value.u.integer == -2);
    lwm2m_nodes_clear(&nodes);

    /* bare resources at an object path belong to instance 0 */
    assert_int_equal(decode("/30000", "c1017b", &nodes, &err), 0);
    lwm2m_path_format(&nodes.items[0].path, p, sizeof(p));
    assert_string_equal(p, "/30000/0/1");
    lwm2m_nodes_clear(&nodes);

    /* a resource path: the value itself, bare resource instances, or wrapped in its instance */
    assert_int_equal(decode("/30000/4/9", "410101410202", &nodes, &err), 0);
    assert_int_equal(nodes.count, 2);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("/30000/4/1", "0004c1017b", &nodes, &err), 0);
    assert_int_equal(nodes.count, 1);
    assert_true(nodes.items[0].value.u.integer == 123);
    lwm2m_nodes_clear(&nodes);

    /* a resource instance path: the instance, or wrapped in its multiple resource */
    assert_int_equal(decode("/30000/0/9/2", "8309410207", &nodes, &err), 0);
    assert_int_equal(nodes.count, 1);
    lwm2m_path_format(&nodes.items[0].path, p, sizeof(p));
    assert_string_equal(p, "/30000/0/9/2");
    lwm2m_nodes_clear(&nodes);

    /* an unknown object decodes as opaque */
    assert_int_equal(decode("/31999/0", "c1017b", &nodes, &err), 0);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_OPAQUE);
    lwm2m_nodes_clear(&nodes);
}

static void test_decode_empty(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    assert_int_equal(decode("/30000", "", &nodes, &err), 0);
    assert_int_equal(nodes.count, 0);
    assert_int_equal(decode("/30000/2", "", &nodes, &err), 0);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_INSTANCE);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("/30000/2/9", "", &nodes, &err), 0);
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_MULTIPLE);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("/30000", "0003", &nodes, &err), 0); /* empty instance 3 */
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_INSTANCE);
    assert_int_equal(nodes.items[0].path.id[1], 3);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("/30000/1/9", "8009", &nodes, &err), 0); /* empty wrapper */
    assert_int_equal(nodes.items[0].value.type, LWM2M_TYPE_MULTIPLE);
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(decode("/30000/1/0", "c000", &nodes, &err), 0); /* empty string */
    assert_int_equal(nodes.items[0].value.u.bytes.len, 0);
    lwm2m_nodes_clear(&nodes);
    assert_decode_error("/30000/1/1", "", LWM2M_ERR_BAD_REQUEST, 0);
    assert_decode_error("/30000/1/9/0", "", LWM2M_ERR_BAD_REQUEST, 0);
}

static void test_decode_errors(void **state)
{
    (void)state;
    assert_decode_error("/", "c1017b", LWM2M_ERR_BAD_REQUEST, 0);      /* no object id */
    assert_decode_error("/30000/0", "c8", LWM2M_ERR_BAD_REQUEST, 0);   /* truncated header */
    assert_decode_error("/30000/0", "c100", LWM2M_ERR_BAD_REQUEST, 0); /* value missing */
    assert_decode_error("/30000/0", "c1017bc801c8", LWM2M_ERR_BAD_REQUEST, 3);
    assert_decode_error("/30000/0", "c1017bc1017c", LWM2M_ERR_BAD_REQUEST, 3); /* duplicate */
    assert_decode_error("/30000", "00010001", LWM2M_ERR_BAD_REQUEST, 2);       /* duplicate */
    assert_decode_error("/30000/0/9", "4100014100ff", LWM2M_ERR_BAD_REQUEST, 3);
    assert_decode_error("/30000/0/1", "0301c1017b", LWM2M_ERR_BAD_REQUEST, 0); /* wrong inst. */
    assert_decode_error("/30000/0/1", "c1027b", LWM2M_ERR_BAD_REQUEST, 0);     /* wrong res. */
    assert_decode_error("/30000/0", "410101", LWM2M_ERR_BAD_REQUEST, 0);       /* inst. too deep */
    assert_decode_error("/30000", "0000c1017b", LWM2M_ERR_BAD_REQUEST, 2);     /* both forms */
    assert_decode_error("/30000/0/9/1", "c10901", LWM2M_ERR_BAD_REQUEST, 0);
    assert_decode_error("/30000/0", "c3011234ab", LWM2M_ERR_BAD_REQUEST, 2);     /* 3-byte int */
    assert_decode_error("/30000/0", "c30401020b", LWM2M_ERR_BAD_REQUEST, 2);     /* 3-byte bool */
    assert_decode_error("/30000/0", "c30701020b", LWM2M_ERR_BAD_REQUEST, 2);     /* 3-byte objlnk */
    assert_decode_error("/30000/0", "c50300000000ff", LWM2M_ERR_BAD_REQUEST, 2); /* float */
    /* a value and resource instances under the same resource */
    assert_decode_error("/30000/0",
                        "c10901"
                        "8309"
                        "410001",
                        LWM2M_ERR_BAD_REQUEST, 5);
}

static void test_decode_bounds(void **state)
{
    (void)state;
    uint8_t buf[3 * 100];
    for (size_t i = 0; i < 100; i++) {
        buf[3 * i] = 0x41; /* resource instance i = 0 */
        buf[3 * i + 1] = (uint8_t)i;
        buf[3 * i + 2] = 0;
    }
    lwm2m_nodes_t nodes;
    lwm2m_nodes_init(&nodes, 10, 0);
    lwm2m_path_t base = path("/30000/0/9");
    lwm2m_decode_opts_t opts = {.model = model};
    lwm2m_error_t err;
    assert_int_equal(lwm2m_codec_tlv.decode(buf, sizeof(buf), &base, &opts, &nodes, &err),
                     LWM2M_ERR_TOO_LARGE);
    lwm2m_nodes_clear(&nodes);
    lwm2m_nodes_init(&nodes, 100, 0);
    assert_int_equal(lwm2m_codec_tlv.decode(buf, sizeof(buf), &base, &opts, &nodes, &err), 0);
    assert_int_equal(nodes.count, 100);
    lwm2m_nodes_clear(&nodes);
}

static void test_round_trips(void **state)
{
    (void)state;
    assert_round_trip("/30000/0/1", "c101ff");
    assert_round_trip("/30000/0/1", "c8010880000000"
                                    "00000000");               /* INT64_MIN */
    assert_round_trip("/30000/0/1", "c801087fffffffffffffff"); /* INT64_MAX */
    assert_round_trip("/30000/0/2", "c80208ffffffffffffffff"); /* UINT64_MAX */
    assert_round_trip("/30000/0/2", "c10280");                 /* 128 unsigned */
    assert_round_trip("/30000/0/3", "c803083ff8000000000000"); /* 1.5 */
    assert_round_trip("/30000/0/4", "c10401");
    assert_round_trip("/30000/0/5", "c305010203");
    assert_round_trip("/30000/0/6", "c4065182428f");
    assert_round_trip("/30000/0/7", "c4070003ffff");
    assert_round_trip("/30000/0/8", "c408"
                                    "3c2f333e");
    assert_round_trip("/30000/0/9", "8609410005410101");
    assert_round_trip("/30000/0/9", "8009"); /* empty multi-instance resource */
    assert_round_trip("/30000/0/9/1", "410101");
    assert_round_trip("/30000/0", "c2006162c10101"
                                  "8609410005410101");
    assert_round_trip("/30000/0", "");
    assert_round_trip("/30000", "");
    assert_round_trip("/30000", "0003"
                                "0304c1017b"); /* empty instance 3, then instance 4 */
    assert_round_trip("/30000", "080027"
                                "c80024" /* a 36-byte string: 8-bit length fields */
                                "414141414141414141414141414141414141414141414141414141414141414141"
                                "414141");
}

static void test_encode(void **state)
{
    (void)state;
    lwm2m_buf_t out = {0};
    lwm2m_error_t err;
    lwm2m_path_t base = path("/30000/0");
    lwm2m_node_t nodes[3];
    memset(nodes, 0, sizeof(nodes));
    nodes[0].path = path("/30000/0/9/300"); /* given out of order: sorted on the way */
    nodes[0].value = lwm2m_value_integer(1);
    nodes[1].path = path("/30000/0/1");
    nodes[1].value = lwm2m_value_integer(-1);
    nodes[2].path = path("/30000/0/9/2");
    nodes[2].value = lwm2m_value_integer(2);
    assert_int_equal(lwm2m_codec_tlv.encode(&base, nodes, 3, &out, &err), 0);
    uint8_t want[32];
    size_t len = hex("c101ff"
                     "8709"
                     "410202"
                     "61012c01",
                     want);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, want, len);
    lwm2m_buf_free(&out);

    /* at an object path every instance is wrapped */
    base = path("/30000");
    assert_int_equal(lwm2m_codec_tlv.encode(&base, &nodes[1], 1, &out, &err), 0);
    len = hex("0300c101ff", want);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, want, len);
    lwm2m_buf_free(&out);

    /* what TLV can't carry */
    lwm2m_path_t root = lwm2m_path_root();
    assert_int_equal(lwm2m_codec_tlv.encode(&root, nodes, 1, &out, &err), -406);
    base = path("/30000/1");
    assert_int_equal(lwm2m_codec_tlv.encode(&base, nodes, 1, &out, &err), -406);
    base = path("/30000/0");
    nodes[2].path = nodes[0].path; /* twice the same path */
    assert_int_equal(lwm2m_codec_tlv.encode(&base, nodes, 3, &out, &err), -406);
    nodes[2].path = path("/30000/0/9"); /* a value and instances of one resource */
    assert_int_equal(lwm2m_codec_tlv.encode(&base, nodes, 3, &out, &err), -406);
    nodes[2].path = path("/30000/0/10");
    nodes[2].value = lwm2m_value_none(LWM2M_TYPE_NONE);
    assert_int_equal(lwm2m_codec_tlv.encode(&base, nodes, 3, &out, &err), -406);
    nodes[2].path = path("/30000/0");
    nodes[2].value = lwm2m_value_none(LWM2M_TYPE_MULTIPLE);
    assert_int_equal(lwm2m_codec_tlv.encode(&base, nodes, 3, &out, &err), -406);
    lwm2m_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_parse_and_write),
        cmocka_unit_test(test_raw_lengths),
        cmocka_unit_test(test_value_helpers),
        cmocka_unit_test(test_decode_levels),
        cmocka_unit_test(test_decode_empty),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_bounds),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_encode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
