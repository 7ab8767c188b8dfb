/* test_attr.c - notification attributes (lwm2m/core/attr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/attr.h"

#define BIT(name) LWM2M_ATTR_BIT(LWM2M_ATTR_##name)

static int parse(const char *text, lwm2m_attrs_t *attrs, lwm2m_error_t *err)
{
    return lwm2m_attrs_parse(text, strlen(text), attrs, err);
}

static void assert_parse_fails(const char *text)
{
    lwm2m_attrs_t attrs;
    memset(&attrs, 0xa5, sizeof(attrs));
    lwm2m_attrs_t before = attrs;
    lwm2m_error_t err = {0};
    assert_int_equal(parse(text, &attrs, &err), -400);
    assert_true(err.offset <= strlen(text));
    assert_memory_equal(&attrs, &before, sizeof(attrs)); /* untouched */
}

static int validate(const char *text, uint8_t depth, lwm2m_type_t type)
{
    lwm2m_attrs_t attrs;
    assert_int_equal(parse(text, &attrs, NULL), 0);
    return lwm2m_attrs_validate(&attrs, depth, type, NULL);
}

static char *write_attrs(const lwm2m_attrs_t *attrs)
{
    lwm2m_buf_t out = {0};
    assert_int_equal(lwm2m_attrs_write(attrs, &out, NULL), 0);
    char *s = strdup(out.data ? (char *)out.data : "");
    lwm2m_buf_free(&out);
    return s;
}

static void assert_round_trip(const char *text)
{
    lwm2m_attrs_t attrs;
    assert_int_equal(parse(text, &attrs, NULL), 0);
    char *s = write_attrs(&attrs);
    assert_string_equal(s, text);
    free(s);
}

static void test_parse_values(void **state)
{
    (void)state;
    lwm2m_attrs_t a;
    assert_int_equal(parse("pmin=10&pmax=60&gt=45.5&lt=-3&st=2&epmin=1&epmax=5&hqmax=3&edge=1&"
                           "con=0",
                           &a, NULL),
                     0);
    assert_int_equal(a.present, BIT(PMIN) | BIT(PMAX) | BIT(GT) | BIT(LT) | BIT(ST) | BIT(EPMIN) |
                                    BIT(EPMAX) | BIT(HQMAX) | BIT(EDGE) | BIT(CON));
    assert_int_equal(a.unset, 0);
    assert_int_equal(a.pmin, 10);
    assert_int_equal(a.pmax, 60);
    assert_true(a.gt == 45.5 && a.lt == -3 && a.st == 2);
    assert_int_equal(a.epmin, 1);
    assert_int_equal(a.epmax, 5);
    assert_int_equal(a.hqmax, 3);
    assert_true(a.edge);
    assert_false(a.con);
    assert_int_equal(parse("pmin=4294967295&gt=1e3&dim=255&ver=1.1", &a, NULL), 0);
    assert_int_equal(a.pmin, UINT32_MAX);
    assert_true(a.gt == 1000);
    assert_int_equal(a.dim, 255);
    assert_string_equal(a.ver, "1.1");
    assert_int_equal(parse("", &a, NULL), 0);
    assert_int_equal(a.present | a.unset, 0);
}

static void test_unset_and_cancel(void **state)
{
    (void)state;
    lwm2m_attrs_t a;
    assert_int_equal(parse("pmin&pmax=60&gt&edge&cancel", &a, NULL), 0);
    assert_int_equal(a.unset, BIT(PMIN) | BIT(GT) | BIT(EDGE));
    assert_int_equal(a.present, BIT(PMAX) | BIT(CANCEL));
}

static void test_parse_errors(void **state)
{
    (void)state;
    const char *bad[] = {
        "pmin=",       "pmin=1.9",      "pmin=-1",    "pmin=a",  "pmin=4294967296",
        "pmax=+",      "dim",           "dim=256",    "dim=-3",  "ver",
        "ver=1",       "ver=1.1.1",     "lt=",        "lt=0abc", "gt=0.xyz",
        "gt=NaN",      "gt=Infinity",   "st=-6",      "st=-0.1", "edge=2",
        "con=true",    "cancel=1",      "foo=1",      "foo",     "PMIN=1",
        "&pmin",       "pmin&",         "pmin&&pmax", "=1",      "pmin=1&pmin=2",
        "pmin&pmin=2", "cancel&cancel",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_parse_fails(bad[i]);
}

static void test_error_offsets(void **state)
{
    (void)state;
    lwm2m_attrs_t a;
    lwm2m_error_t err = {0};
    assert_int_equal(parse("pmin=1&pmax=2&bogus=3", &a, &err), -400);
    assert_int_equal(err.offset, 14);
    assert_non_null(strstr(err.message, "bogus"));
    assert_int_equal(parse("pmin=1&pmin=2", &a, &err), -400);
    assert_int_equal(err.offset, 7);
    assert_non_null(strstr(err.message, "twice"));
}

static void test_from_query(void **state)
{
    (void)state;
    lwm2m_query_t q = {0};
    lwm2m_attrs_t a;
    lwm2m_error_t err = {0};
    assert_int_equal(lwm2m_query_add_segment(&q, "pmin=5", 6, NULL), 0);
    assert_int_equal(lwm2m_query_add_segment(&q, "st", 2, NULL), 0);
    assert_int_equal(lwm2m_attrs_from_query(&q, &a, NULL), 0);
    assert_int_equal(a.present, BIT(PMIN));
    assert_int_equal(a.unset, BIT(ST));
    assert_int_equal(lwm2m_query_add_segment(&q, "depth=1", 7, NULL), 0);
    assert_int_equal(lwm2m_attrs_from_query(&q, &a, &err), -400);
    assert_int_equal(err.offset, 2);
    lwm2m_query_clear(&q);
}

static void test_validate_levels(void **state)
{
    (void)state;
    assert_int_equal(validate("pmin=1", 0, LWM2M_TYPE_UNKNOWN), -400);
    assert_int_equal(validate("", 0, LWM2M_TYPE_UNKNOWN), 0);
    assert_int_equal(validate("pmin=1&pmax=2&epmin=1&epmax=2&hqmax=1&con=1", 1, LWM2M_TYPE_UNKNOWN),
                     0);
    assert_int_equal(validate("ver=1.1", 1, LWM2M_TYPE_UNKNOWN), -400);
    assert_int_equal(validate("ver=1.1&pmin=5", 3, LWM2M_TYPE_INTEGER), -400);
    assert_int_equal(validate("dim=2", 3, LWM2M_TYPE_INTEGER), -400);
    assert_int_equal(validate("gt=1", 2, LWM2M_TYPE_UNKNOWN), -400);
    assert_int_equal(validate("lt", 1, LWM2M_TYPE_UNKNOWN), -400);
    assert_int_equal(validate("edge=1", 2, LWM2M_TYPE_UNKNOWN), -400);
    assert_int_equal(validate("gt=1&lt=0&st=0.2", 3, LWM2M_TYPE_FLOAT), 0);
    assert_int_equal(validate("gt=1", 4, LWM2M_TYPE_UNSIGNED), 0);
    assert_int_equal(validate("gt=1", 3, LWM2M_TYPE_UNKNOWN), 0);
    assert_int_equal(validate("gt=1", 3, LWM2M_TYPE_STRING), -400);
    assert_int_equal(validate("st", 3, LWM2M_TYPE_BOOLEAN), -400);
    assert_int_equal(validate("edge=1", 3, LWM2M_TYPE_BOOLEAN), 0);
    assert_int_equal(validate("edge=0", 3, LWM2M_TYPE_INTEGER), -400);
    assert_int_equal(validate("cancel", 3, LWM2M_TYPE_STRING), 0);
}

static void test_validate_cross_rules(void **state)
{
    (void)state;
    assert_int_equal(validate("pmin=50&pmax=49", 3, LWM2M_TYPE_INTEGER), -400);
    assert_int_equal(validate("pmin=50&pmax=50", 3, LWM2M_TYPE_INTEGER), 0);
    assert_int_equal(validate("pmin=50&pmax", 3, LWM2M_TYPE_INTEGER), 0);
    assert_int_equal(validate("epmin=6&epmax=5", 1, LWM2M_TYPE_UNKNOWN), -400);
    assert_int_equal(validate("epmin=5&epmax=5", 1, LWM2M_TYPE_UNKNOWN), 0);
    assert_int_equal(validate("lt=50&gt=49", 3, LWM2M_TYPE_INTEGER), -400);
    assert_int_equal(validate("gt=50&lt=50", 3, LWM2M_TYPE_INTEGER), -400);
    assert_int_equal(validate("lt=10&st=2&gt=12", 3, LWM2M_TYPE_INTEGER), -400);
    assert_int_equal(validate("lt=10&st=2&gt=14", 3, LWM2M_TYPE_INTEGER), -400);
    assert_int_equal(validate("lt=20&gt=85&st=10", 3, LWM2M_TYPE_INTEGER), 0);
    assert_int_equal(validate("lt=10&st=2", 3, LWM2M_TYPE_INTEGER), 0);
}

static void test_write(void **state)
{
    (void)state;
    assert_round_trip("ver=1.1&pmin=5&pmax=60&epmin=30&epmax=45&lt=10&gt=20.1");
    assert_round_trip("lt=10000000000000000000&gt=0.0000000000009223372&st=10000000000000000000");
    assert_round_trip("pmin&pmax&epmin&epmax");
    assert_round_trip("dim=3&hqmax=7&lt=-0.5&st&edge=0&con=1&cancel");
    assert_round_trip("");
    lwm2m_attrs_t a;
    assert_int_equal(parse("gt=2&pmin=1&lt=1e1", &a, NULL), 0);
    char *s = write_attrs(&a);
    assert_string_equal(s, "pmin=1&lt=10&gt=2"); /* canonical order and numbers */
    free(s);
    /* Inconsistent structs are refused. */
    lwm2m_buf_t out = {0};
    memset(&a, 0, sizeof(a));
    a.present = a.unset = BIT(PMIN);
    assert_int_equal(lwm2m_attrs_write(&a, &out, NULL), -400);
    memset(&a, 0, sizeof(a));
    a.unset = BIT(DIM);
    assert_int_equal(lwm2m_attrs_write(&a, &out, NULL), -400);
    memset(&a, 0, sizeof(a));
    a.present = BIT(GT);
    a.gt = NAN;
    assert_int_equal(lwm2m_attrs_write(&a, &out, NULL), -400);
    memset(&a, 0, sizeof(a));
    a.present = BIT(VER);
    memcpy(a.ver, "x", 2);
    assert_int_equal(lwm2m_attrs_write(&a, &out, NULL), -400);
    lwm2m_buf_free(&out);
}

static void assert_number(double v, const char *want)
{
    char buf[LWM2M_ATTR_NUMBER_MAX];
    int n = lwm2m_attr_format_number(v, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    if (want)
        assert_string_equal(buf, want);
    assert_null(strpbrk(buf, "eE"));
    assert_true(strtod(buf, NULL) == v);
}

static void test_format_number(void **state)
{
    (void)state;
    assert_number(0, "0");
    assert_number(-0.0, "0");
    assert_number(10, "10");
    assert_number(20.1, "20.1");
    assert_number(-30.55, "-30.55");
    assert_number(0.1, "0.1");
    assert_number(1e-7, "0.0000001");
    assert_number(123456789012345678.0, "123456789012345680");
    assert_number(DBL_MAX, NULL);
    assert_number(-DBL_MAX, NULL);
    assert_number(DBL_MIN, NULL);
    assert_number(4.9406564584124654e-324, NULL);
    char small[4];
    assert_int_equal(lwm2m_attr_format_number(12345.0, small, sizeof(small)), -413);
    assert_int_equal(lwm2m_attr_format_number(INFINITY, small, sizeof(small)), -400);
}

static void test_depth(void **state)
{
    (void)state;
    uint8_t d = 9;
    assert_int_equal(lwm2m_discover_depth_parse("0", 1, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(lwm2m_discover_depth_parse("3", 1, &d), 0);
    assert_int_equal(d, 3);
    assert_int_equal(lwm2m_discover_depth_parse("4", 1, &d), -400);
    assert_int_equal(lwm2m_discover_depth_parse("", 0, &d), -400);
    assert_int_equal(lwm2m_discover_depth_parse("01", 2, &d), -400);
    assert_int_equal(lwm2m_discover_depth_parse("-1", 2, &d), -400);
    assert_int_equal(d, 3);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(lwm2m_attr_name(LWM2M_ATTR_PMIN), "pmin");
    assert_string_equal(lwm2m_attr_name(LWM2M_ATTR_CANCEL), "cancel");
    assert_null(lwm2m_attr_name(LWM2M_ATTR_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_values),
        cmocka_unit_test(test_unset_and_cancel),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_error_offsets),
        cmocka_unit_test(test_from_query),
        cmocka_unit_test(test_validate_levels),
        cmocka_unit_test(test_validate_cross_rules),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_format_number),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
