/* test_value.c - values, node lists and their bounds, number text helpers, output buffers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/buf.h"
#include "lwm2m/value.h"

static void test_int_parsing(void **state)
{
    (void)state;
    int64_t i;
    uint64_t u;
    assert_int_equal(lwm2m_parse_int64("-9223372036854775808", 20, &i), 0);
    assert_true(i == INT64_MIN);
    assert_int_equal(lwm2m_parse_int64("9223372036854775807", 19, &i), 0);
    assert_true(i == INT64_MAX);
    assert_int_equal(lwm2m_parse_int64("9223372036854775808", 19, &i), -413);
    assert_int_equal(lwm2m_parse_uint64("18446744073709551615", 20, &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(lwm2m_parse_uint64("18446744073709551616", 20, &u), -413);
    assert_int_equal(lwm2m_parse_int64("", 0, &i), -400);
    assert_int_equal(lwm2m_parse_int64("-", 1, &i), -400);
    assert_int_equal(lwm2m_parse_int64(" 1", 2, &i), -400);
    assert_int_equal(lwm2m_parse_uint64("-1", 2, &u), -400);
}

static void test_double_text(void **state)
{
    (void)state;
    double d;
    char buf[32];
    assert_int_equal(lwm2m_parse_double("1.638435E9", 10, &d), 0);
    assert_true(d == 1638435000.0);
    assert_int_equal(lwm2m_parse_double("0x10", 4, &d), -400);
    assert_int_equal(lwm2m_parse_double("1e", 2, &d), -400);
    assert_int_equal(lwm2m_parse_double(".", 1, &d), -400);
    assert_int_equal(lwm2m_parse_double("NaN", 3, &d), 0);
    assert_true(isnan(d));
    assert_int_equal(lwm2m_parse_double("1e999", 5, &d), -413);
    lwm2m_format_double(3.0, buf, sizeof(buf));
    assert_string_equal(buf, "3.0");
    lwm2m_format_double(23.1, buf, sizeof(buf));
    assert_string_equal(buf, "23.1");
    lwm2m_format_double(-INFINITY, buf, sizeof(buf));
    assert_string_equal(buf, "-Infinity");
    lwm2m_format_double(0.1 + 0.2, buf, sizeof(buf));
    assert_true(strtod(buf, NULL) == 0.1 + 0.2); /* shortest text that reads back exactly */
}

static void test_objlnk(void **state)
{
    (void)state;
    lwm2m_objlnk_t l;
    char buf[16];
    assert_int_equal(lwm2m_objlnk_parse("65535:65535", 11, &l), 0);
    assert_int_equal(l.object, 65535);
    assert_int_equal(lwm2m_objlnk_parse("65536:0", 7, &l), -400);
    assert_int_equal(lwm2m_objlnk_parse("1 :2", 4, &l), -400);
    assert_int_equal(lwm2m_objlnk_parse("1:", 2, &l), -400);
    assert_int_equal(lwm2m_objlnk_format((lwm2m_objlnk_t){3, 0}, buf, sizeof(buf)), 3);
    assert_string_equal(buf, "3:0");
}

static void test_nodes_bounds(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes;
    lwm2m_nodes_init(&nodes, 3, 10);
    lwm2m_path_t p = lwm2m_path_make(3, 3, 0, 0, 0);
    lwm2m_value_t s = lwm2m_value_bytes(LWM2M_TYPE_STRING, "abcdef", 6);
    lwm2m_node_t *n;
    assert_int_equal(lwm2m_nodes_add(&nodes, &p, &s, &n), 0);
    assert_ptr_not_equal(n->value.u.bytes.data, (void *)"abcdef"); /* copied */
    assert_string_equal((char *)n->value.u.bytes.data, "abcdef");
    assert_int_equal(lwm2m_nodes_add(&nodes, &p, &s, NULL), -413); /* 12 bytes > 10 */
    lwm2m_value_t i = lwm2m_value_integer(1);
    assert_int_equal(lwm2m_nodes_add(&nodes, &p, &i, NULL), 0);
    assert_int_equal(lwm2m_nodes_add(&nodes, &p, &i, NULL), 0);
    assert_int_equal(lwm2m_nodes_add(&nodes, &p, &i, NULL), -413); /* 4 nodes > 3 */
    lwm2m_nodes_clear(&nodes);
    assert_int_equal(nodes.count, 0);
    lwm2m_nodes_clear(NULL);
}

static void test_nodes_sort_stable(void **state)
{
    (void)state;
    lwm2m_nodes_t nodes = {0};
    lwm2m_path_t a = lwm2m_path_make(3, 3, 0, 9, 0), b = lwm2m_path_make(3, 3, 0, 1, 0);
    lwm2m_value_t v1 = lwm2m_value_integer(1), v2 = lwm2m_value_integer(2),
                  v3 = lwm2m_value_integer(3);
    lwm2m_nodes_add(&nodes, &a, &v1, NULL);
    lwm2m_nodes_add(&nodes, &b, &v2, NULL);
    lwm2m_nodes_add(&nodes, &a, &v3, NULL);
    lwm2m_nodes_sort(&nodes);
    assert_int_equal(nodes.items[0].value.u.integer, 2);
    assert_int_equal(nodes.items[1].value.u.integer, 1);
    assert_int_equal(nodes.items[2].value.u.integer, 3);
    lwm2m_nodes_clear(&nodes);
}

static void test_types(void **state)
{
    (void)state;
    assert_int_equal(lwm2m_type_from_name("Unsigned Integer"), LWM2M_TYPE_UNSIGNED);
    assert_int_equal(lwm2m_type_from_name("Objlnk"), LWM2M_TYPE_OBJLNK);
    assert_int_equal(lwm2m_type_from_name("bogus"), LWM2M_TYPE_UNKNOWN);
    assert_string_equal(lwm2m_type_name(LWM2M_TYPE_CORELNK), "corelnk");
}

static void test_buf_limit(void **state)
{
    (void)state;
    lwm2m_buf_t buf;
    lwm2m_buf_init(&buf, 8);
    assert_int_equal(lwm2m_buf_append_str(&buf, "1234"), 0);
    assert_int_equal(lwm2m_buf_printf(&buf, "%d", 5678), 0);
    assert_string_equal((char *)buf.data, "12345678");
    assert_int_equal(lwm2m_buf_append_byte(&buf, 'x'), -413);
    assert_int_equal(buf.len, 8);
    lwm2m_buf_free(&buf);
    lwm2m_buf_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_parsing),
        cmocka_unit_test(test_double_text),
        cmocka_unit_test(test_objlnk),
        cmocka_unit_test(test_nodes_bounds),
        cmocka_unit_test(test_nodes_sort_stable),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_buf_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
