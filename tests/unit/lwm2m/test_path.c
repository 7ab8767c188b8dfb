/* test_path.c - LwM2M path parsing, formatting and ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/path.h"

static int parse(const char *text, unsigned flags, lwm2m_path_t *p)
{
    return lwm2m_path_parse(text, strlen(text), flags, p);
}

static void test_levels(void **state)
{
    (void)state;
    lwm2m_path_t p;
    assert_int_equal(parse("/", 0, &p), 0);
    assert_int_equal(p.depth, 0);
    assert_int_equal(parse("/3", 0, &p), 0);
    assert_int_equal(p.depth, 1);
    assert_int_equal(parse("/3/0/1/2", 0, &p), 0);
    assert_int_equal(p.depth, 4);
    assert_int_equal(p.id[0], 3);
    assert_int_equal(p.id[3], 2);
    assert_int_equal(parse("/65535/0/65535", 0, &p), 0);
    assert_int_equal(p.id[0], 65535);
    assert_int_equal(p.id[2], 65535);
    assert_int_equal(parse("/0/1/", 0, &p), 0); /* link-format writes "</0/1/>" */
    assert_int_equal(p.depth, 2);
}

static void test_strict_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {"",         "3",   "//3",      "/3//0",        "/65536",
                                      "/-1",      "/+3", "/03",      "/3/0/1/2/3",   "/3/a",
                                      "/3/0/1/",  "/ 3", "/3/65535", "/1/0/1/65535", "/3/0/1x",
                                      "/99999999"};
    lwm2m_path_t p = lwm2m_path_make(2, 7, 7, 0, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], 0, &p), -400);
        assert_int_equal(p.id[0], 7); /* untouched on failure */
    }
}

static void test_reserved_and_lenient(void **state)
{
    (void)state;
    lwm2m_path_t p;
    assert_int_equal(parse("/3/65535", LWM2M_PATH_ALLOW_RESERVED, &p), 0);
    assert_int_equal(p.id[1], 65535);
    assert_int_equal(parse("3/0//1/", LWM2M_PATH_LENIENT, &p), 0);
    assert_int_equal(p.depth, 3);
    assert_int_equal(p.id[2], 1);
}

static void test_prefix(void **state)
{
    (void)state;
    lwm2m_path_t p;
    assert_int_equal(parse("/d01/3303/0/5700", 0, &p), -400);
    assert_int_equal(parse("/d01/3303/0/5700", LWM2M_PATH_ALLOW_PREFIX, &p), 0);
    assert_string_equal(p.prefix, "d01");
    assert_int_equal(p.depth, 3);
    char buf[LWM2M_PATH_STR_MAX];
    assert_int_equal(lwm2m_path_format(&p, buf, sizeof(buf)), 16);
    assert_string_equal(buf, "/d01/3303/0/5700");
    assert_int_equal(parse("/d01", LWM2M_PATH_ALLOW_PREFIX, &p), 0);
    assert_int_equal(p.depth, 0);
    assert_int_equal(parse("/d/0/1", LWM2M_PATH_ALLOW_PREFIX, &p), 0);
    assert_int_equal(parse("/a b/1", LWM2M_PATH_ALLOW_PREFIX, &p), -400);
    assert_int_equal(parse("/abcdefghijabcdefghijabcdefghijabc/1", LWM2M_PATH_ALLOW_PREFIX, &p),
                     -400);
}

static void test_format_and_compare(void **state)
{
    (void)state;
    char buf[LWM2M_PATH_STR_MAX];
    lwm2m_path_t root = lwm2m_path_root(), a = lwm2m_path_make(3, 3, 0, 1, 0),
                 b = lwm2m_path_make(2, 3, 0, 0, 0), c = lwm2m_path_make(3, 3, 0, 2, 0);
    assert_int_equal(lwm2m_path_format(&root, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "/");
    assert_int_equal(lwm2m_path_format(&a, buf, sizeof(buf)), 6);
    assert_string_equal(buf, "/3/0/1");
    assert_int_equal(lwm2m_path_format(&a, buf, 4), -413);
    assert_true(lwm2m_path_compare(&b, &a) < 0);
    assert_true(lwm2m_path_compare(&a, &c) < 0);
    assert_true(lwm2m_path_contains(&b, &a));
    assert_true(lwm2m_path_contains(&root, &a));
    assert_false(lwm2m_path_contains(&a, &b));
    assert_false(lwm2m_path_contains(&a, &c));
    assert_int_equal(lwm2m_path_append(&a, 9), 0);
    assert_int_equal(lwm2m_path_append(&a, 9), -400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_strict_rejects),
        cmocka_unit_test(test_reserved_and_lenient),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_format_and_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
