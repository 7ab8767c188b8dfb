/* test_paths.c - composite path lists: SenML-ETCH JSON/CBOR (320/322) and plain SenML (110/112)
 * records with names only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../unit_common.h"

#include "lwm2m/codec.h"

static int decode_text(uint16_t cf, const char *text, lwm2m_path_t *paths, size_t max,
                       size_t *count, lwm2m_error_t *err)
{
    return lwm2m_paths_decode(cf, (const uint8_t *)text, strlen(text), paths, max, count, err);
}

static void assert_path(const lwm2m_path_t *p, const char *want)
{
    char text[LWM2M_PATH_STR_MAX];
    assert_true(lwm2m_path_format(p, text, sizeof(text)) > 0);
    assert_string_equal(text, want);
}

static void test_decode_json(void **state)
{
    (void)state;
    lwm2m_path_t paths[8];
    size_t count = 99;
    lwm2m_error_t err = {0};
    const char *text = "[{\"bn\":\"/4/0/\",\"n\":\"0\"},{\"n\":\"1\"},{\"bn\":\"/6/\",\"n\":\"0\"},"
                       "{\"bn\":\"\",\"n\":\"/d01/3303/0/5700\"},{\"n\":\"/\"},{\"bn\":\"/5\"}]";
    static const uint16_t cfs[] = {110, 320};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(decode_text(cfs[k], text, paths, 8, &count, &err), 0);
        assert_int_equal(count, 6);
        assert_path(&paths[0], "/4/0/0");
        assert_path(&paths[1], "/4/0/1");
        assert_path(&paths[2], "/6/0");
        assert_path(&paths[3], "/d01/3303/0/5700");
        assert_string_equal(paths[3].prefix, "d01");
        assert_path(&paths[4], "/");
        assert_path(&paths[5], "/5");
    }
    assert_int_equal(decode_text(320, "[]", paths, 8, &count, &err), 0);
    assert_int_equal(count, 0);
}

static void test_decode_refuses(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
        size_t offset;
    } cases[] = {
        {"[{\"n\":\"/4/0/0\"},{\"n\":\"/4/0/1\",\"v\":200}]", -400, 16},  /* a value */
        {"[{\"n\":\"/4/0/0\"},{\"n\":\"/4/0/1\",\"v\":null}]", -400, 16}, /* even null */
        {"[{\"n\":\"/4/0/0\",\"t\":5}]", -400, 1},                        /* a time */
        {"[{\"bn\":\"/4/0/\",\"bt\":5,\"n\":\"0\"}]", -400, 1},           /* base time */
        {"[{\"bn\":\"/d01/3/0/\",\"n\":\"/9\"}]", -400, 1},               /* "/d01/3/0//9" */
        {"[{\"n\":\"/4/0/0\"}", -400, 15},                                /* truncated */
        {"[{\"n\":\"4/0/0\"}]", -400, 1},                                 /* no leading / */
        {"[{\"n\":\"/1\"},{\"n\":\"/2\"},{\"n\":\"/3\"},{\"n\":\"/4\"},{\"n\":\"/5\"}]", -413, 45},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lwm2m_path_t paths[4];
        size_t count = 77;
        lwm2m_error_t err = {0};
        int rc = decode_text(320, cases[i].text, paths, 4, &count, &err);
        if (rc != cases[i].code || err.offset != cases[i].offset)
            fail_msg("case %zu: rc %d offset %zu (%s)", i, rc, err.offset, err.message);
        assert_int_equal(count, 77); /* untouched on failure */
    }
    lwm2m_error_t err = {0};
    size_t count;
    assert_int_equal(decode_text(11543, "[]", NULL, 0, &count, &err), -415);
    assert_int_equal(lwm2m_paths_encode(60, NULL, 0, &(lwm2m_buf_t){0}, &err), -415);
}

static void test_decode_cbor(void **state)
{
    (void)state;
    uint8_t bytes[128];
    lwm2m_path_t paths[4];
    size_t count = 0;
    lwm2m_error_t err = {0};
    /* [{0: "/3/0/0"}, {-2: "/1/0/", 0: "1"}, {_ -2: "", 0: "/"}] */
    size_t len = unhex("83a100662f332f302f30a221652f312f302f006131bf2160"
                       "00612fff",
                       bytes);
    static const uint16_t cfs[] = {112, 322};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(lwm2m_paths_decode(cfs[k], bytes, len, paths, 4, &count, &err), 0);
        assert_int_equal(count, 3);
        assert_path(&paths[0], "/3/0/0");
        assert_path(&paths[1], "/1/0/1");
        assert_path(&paths[2], "/");
    }
    len = unhex("81a200662f332f302f300201", bytes); /* a value */
    assert_int_equal(lwm2m_paths_decode(322, bytes, len, paths, 4, &count, &err), -400);
    assert_int_equal(err.offset, 1);
    len = unhex("81a100662f332f302f", bytes); /* truncated */
    assert_int_equal(lwm2m_paths_decode(322, bytes, len, paths, 4, &count, &err), -400);
    assert_int_equal(err.offset, 3);
}

static void test_encode(void **state)
{
    (void)state;
    lwm2m_path_t paths[3] = {lwm2m_path_make(3, 4, 0, 0, 0), lwm2m_path_root(),
                             lwm2m_path_make(2, 3303, 0, 0, 0)};
    strcpy(paths[2].prefix, "d01");
    lwm2m_buf_t buf = {0};
    lwm2m_error_t err = {0};
    uint8_t bytes[128];
    assert_int_equal(lwm2m_paths_encode(320, paths, 3, &buf, &err), 0);
    assert_string_equal((const char *)buf.data,
                        "[{\"n\":\"/4/0/0\"},{\"n\":\"/\"},{\"n\":\"/d01/3303/0\"}]");
    lwm2m_buf_free(&buf);
    assert_int_equal(lwm2m_paths_encode(110, paths, 0, &buf, &err), 0);
    assert_string_equal((const char *)buf.data, "[]");
    lwm2m_buf_free(&buf);
    size_t len = unhex("83a100662f342f302f30a100612fa1006b2f6430312f333330332f30", bytes);
    assert_int_equal(lwm2m_paths_encode(322, paths, 3, &buf, &err), 0);
    assert_int_equal(buf.len, len);
    assert_memory_equal(buf.data, bytes, len);
    /* and back */
    lwm2m_path_t back[3];
    size_t count = 0;
    assert_int_equal(lwm2m_paths_decode(322, buf.data, buf.len, back, 3, &count, &err), 0);
    assert_int_equal(count, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(lwm2m_path_equal(&back[i], &paths[i]));
    lwm2m_buf_free(&buf);
    lwm2m_buf_init(&buf, 4);
    assert_int_equal(lwm2m_paths_encode(320, paths, 3, &buf, &err), -413);
    lwm2m_buf_free(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_json),
        cmocka_unit_test(test_decode_refuses),
        cmocka_unit_test(test_decode_cbor),
        cmocka_unit_test(test_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
