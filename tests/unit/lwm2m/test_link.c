/* test_link.c - link-format parser and writer (lwm2m/core/link.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/link.h"

static int parse(const char *text, lwm2m_links_t *links, lwm2m_error_t *err)
{
    return lwm2m_link_parse(text, strlen(text), links, err);
}

/* Parses text and writes it back; returns the written text (malloc'd). */
static char *rewrite(const char *text)
{
    lwm2m_links_t links = {0};
    lwm2m_buf_t out = {0};
    assert_int_equal(parse(text, &links, NULL), 0);
    assert_int_equal(lwm2m_link_write(&links, &out, NULL), 0);
    lwm2m_links_clear(&links);
    char *s = strdup(out.data ? (char *)out.data : "");
    lwm2m_buf_free(&out);
    return s;
}

static void assert_round_trip(const char *text)
{
    char *s = rewrite(text);
    assert_string_equal(s, text);
    free(s);
}

static void assert_rejected(const char *text, int code)
{
    lwm2m_links_t links = {0};
    lwm2m_error_t err = {0};
    assert_int_equal(parse(text, &links, &err), code);
    assert_int_equal(err.code, code);
    assert_true(err.offset <= strlen(text));
    assert_int_equal(links.count, 0);
    assert_null(links.items);
}

static void test_registration_payload(void **state)
{
    (void)state;
    lwm2m_links_t links = {0};
    assert_int_equal(parse("</>;rt=\"oma.lwm2m\";ct=110,</1>;ver=1.1,</1/0>,</3/0>", &links, NULL),
                     0);
    assert_int_equal(links.count, 4);
    assert_string_equal(links.items[0].uri, "/");
    assert_int_equal(links.items[0].attr_count, 2);
    assert_string_equal(links.items[0].attrs[0].name, "rt");
    assert_string_equal(links.items[0].attrs[0].value, "oma.lwm2m");
    assert_true(links.items[0].attrs[0].quoted);
    assert_string_equal(links.items[0].attrs[1].value, "110");
    assert_false(links.items[0].attrs[1].quoted);
    assert_string_equal(links.items[1].uri, "/1");
    assert_string_equal(lwm2m_link_find_attr(&links.items[1], "ver")->value, "1.1");
    assert_null(lwm2m_link_find_attr(&links.items[1], "ct"));
    assert_int_equal(links.items[3].attr_count, 0);
    lwm2m_links_clear(&links);
    assert_null(links.items);
    lwm2m_links_clear(NULL);
}

static void test_round_trips(void **state)
{
    (void)state;
    assert_round_trip("</>;rt=\"oma.lwm2m\";ct=\"110 112 11544\",</1/0>");
    assert_round_trip("</>;lwm2m=1.2,</0/0>;ssid=101;uri=\"coaps://server.example.com:5684\"");
    assert_round_trip("</3/0/7>;dim=2;pmin=10;pmax=60;gt=50;lt=42.2;st=0.5,</3/0/7/0>");
    assert_round_trip("</3/0/11>;obs;edge=1;con=0;hqmax=10;epmin=1;epmax=30");
    assert_round_trip("</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/1/101>,</0/1/>");
    assert_round_trip("</a%20b>;x=\"\";y=\"a \\\"q\\\" \\\\ z\"");
    assert_round_trip("");
}

static void test_whitespace_after_comma(void **state)
{
    (void)state;
    char *s = rewrite("</1>, </1/0>,\r\n\t</3/0>");
    assert_string_equal(s, "</1>,</1/0>,</3/0>");
    free(s);
    assert_rejected("</1> ,</3>", -400);
    assert_rejected(" </1>", -400);
    assert_rejected("</1> ", -400);
    assert_rejected("</1>;pmin=1 ", -400);
    assert_rejected("</1>; pmin=1", -400);
    assert_rejected("</1>,", -400);
    assert_rejected("</1>, ", -400);
    assert_rejected("</3>;pmin=60\n</4>", -400);
}

static void test_missing_comma_offset(void **state)
{
    (void)state;
    lwm2m_links_t links = {0};
    lwm2m_error_t err = {0};
    const char *text = "</1/1>,</2/0></2/1>";
    assert_int_equal(parse(text, &links, &err), -400);
    assert_int_equal(err.offset, 13);
    assert_non_null(strstr(err.message, "13"));
}

static void test_quoted_strings(void **state)
{
    (void)state;
    lwm2m_links_t links = {0};
    /* \" and \\ are unescaped; any other backslash is kept. */
    assert_int_equal(parse("</a>;p=\"x\\\"y\\\\z\\q\";q=\",;<>=\"", &links, NULL), 0);
    assert_string_equal(links.items[0].attrs[0].value, "x\"y\\z\\q");
    assert_string_equal(links.items[0].attrs[1].value, ",;<>=");
    lwm2m_links_clear(&links);
    char *s = rewrite("</a>;p=\"x\\q\"");
    assert_string_equal(s, "</a>;p=\"x\\\\q\"");
    free(s);
    /* UTF-8 inside quotes is fine, bare or malformed it is not. */
    assert_int_equal(parse("</a>;p=\"\xc4\x85\"", &links, NULL), 0);
    lwm2m_links_clear(&links);
    assert_rejected("</a>;p=\xc4\x85", -400);
    assert_rejected("</a>;p=\"\xff\"", -400);
    assert_rejected("</a>;p=\"\xc4\"", -400);
    assert_rejected("</a>;p=\"\xed\xa0\x80\"", -400); /* a surrogate */
    assert_rejected("</a>;p=\"a\nb\"", -400);
    assert_rejected("</a>;p=\"abc", -400);
    assert_rejected("</a>;p=\"abc\\\"", -400);
    assert_rejected("</a>;p=\"abc\\", -400);
}

static void test_attribute_forms(void **state)
{
    (void)state;
    lwm2m_links_t links = {0};
    assert_int_equal(parse("</foo>;p=!#$%&'()*+-.:<=>?@[]^_`{|}~a1z9;e;q=\"\"", &links, NULL), 0);
    assert_string_equal(links.items[0].attrs[0].value, "!#$%&'()*+-.:<=>?@[]^_`{|}~a1z9");
    assert_null(links.items[0].attrs[1].value);
    assert_false(links.items[0].attrs[1].quoted);
    assert_string_equal(links.items[0].attrs[2].value, "");
    lwm2m_links_clear(&links);
    assert_rejected("</>;=1", -400);
    assert_rejected("</>;p=", -400);
    assert_rejected("</>;", -400);
    assert_rejected("</>;p =1", -400);
    assert_rejected("</>;p= 1", -400);
}

static void test_lwm2m_attribute_checks(void **state)
{
    (void)state;
    const char *bad[] = {
        "</3/0/11>;pmin",       "</3/0/11>;pmin=-1",
        "</3/0/11>;pmax=1.5",   "</3/0/11>;dim=256",
        "</0/1>;ssid=0",        "</0/1>;ssid=65535",
        "</1>;ver=1",           "</1>;ver=\"a.b\"",
        "</>;lwm2m=1",          "</>;ct=70000",
        "</>;ct=\"110  112\"",  "</>;ct=\"110 \"",
        "</3/0/1>;st=-1",       "</3/0/1>;gt=abc",
        "</3/0/1>;lt=Infinity", "</3/0/1>;edge=2",
        "</3/0/1>;con=true",    "</>;rt",
        "</0/0>;uri",           "</3/0/1>;hqmax=4294967296",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_rejected(bad[i], -400);
    lwm2m_links_t links = {0};
    assert_int_equal(parse("</3/0/11>;dim=255;pmin=0;gt=-1.5e3;st=0,</0/1>;ssid=65534;ver=\"2.2\","
                           "</>;ct=\"110 112 11544\";lwm2m=1.2;obs",
                           &links, NULL),
                     0);
    lwm2m_links_clear(&links);
}

static void test_legacy_root_attribute(void **state)
{
    (void)state;
    lwm2m_links_t links = {0};
    assert_int_equal(parse("lwm2m=1.0,</0/0>;ssid=101,</0/1/>", &links, NULL), 0);
    assert_int_equal(links.count, 3);
    assert_string_equal(links.items[0].uri, "/");
    assert_string_equal(links.items[0].attrs[0].name, "lwm2m");
    assert_string_equal(links.items[0].attrs[0].value, "1.0");
    assert_string_equal(links.items[2].uri, "/0/1/");
    lwm2m_links_clear(&links);
    assert_rejected("ver=1.0,</0/0>", -400);
    assert_int_equal(parse("lwm2m=1.0", &links, NULL), 0);
    assert_int_equal(links.count, 1);
    lwm2m_links_clear(&links);
    assert_rejected("lwm2m=1", -400);
}

static void test_uris(void **state)
{
    (void)state;
    lwm2m_links_t links = {0};
    assert_int_equal(parse("</-._~a-zA-Z0-9:@!$&'()*+,;=>", &links, NULL), 0);
    assert_string_equal(links.items[0].uri, "/-._~a-zA-Z0-9:@!$&'()*+,;=");
    lwm2m_links_clear(&links);
    const char *bad[] = {"<file:///etc/hosts>",
                         "</hosts?query>",
                         "</hosts#hash>",
                         "</%>",
                         "</%a>",
                         "</%1g>",
                         "</f\xc3\xb3>",
                         "<>",
                         "</",
                         "<//>",
                         "//>",
                         "</a b>"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_rejected(bad[i], -400);
}

static void test_bounds(void **state)
{
    (void)state;
    lwm2m_buf_t text = {0};
    /* Too many attributes on one link. */
    lwm2m_buf_append_str(&text, "</1>");
    for (int i = 0; i <= LWM2M_LINK_ATTRS_MAX; i++)
        lwm2m_buf_printf(&text, ";a%d", i);
    assert_rejected((char *)text.data, -413);
    /* Too many links. */
    lwm2m_buf_reset(&text);
    for (int i = 0; i <= LWM2M_LINKS_MAX; i++)
        lwm2m_buf_printf(&text, "%s</%d>", i ? "," : "", i);
    assert_rejected((char *)text.data, -413);
    /* A URI and a value longer than LWM2M_LINK_STR_MAX. */
    lwm2m_buf_reset(&text);
    lwm2m_buf_append_str(&text, "</");
    for (int i = 0; i < LWM2M_LINK_STR_MAX; i++)
        lwm2m_buf_append_byte(&text, 'a');
    lwm2m_buf_append_byte(&text, '>');
    assert_rejected((char *)text.data, -413);
    lwm2m_buf_reset(&text);
    lwm2m_buf_append_str(&text, "</>;v=\"");
    for (int i = 0; i <= LWM2M_LINK_STR_MAX; i++)
        lwm2m_buf_append_byte(&text, 'a');
    lwm2m_buf_append_byte(&text, '"');
    assert_rejected((char *)text.data, -413);
    lwm2m_buf_free(&text);
}

/* Every prefix of a valid document either parses or fails cleanly (ASan watches reads). */
static void test_truncations(void **state)
{
    (void)state;
    const char *doc = "</>;rt=\"oma.lwm2m\";ct=\"110 112\",</1>;ver=1.1, </3/0/7>;dim=2;gt=5";
    size_t n = strlen(doc);
    for (size_t len = 0; len <= n; len++) {
        char *copy = malloc(len ? len : 1);
        memcpy(copy, doc, len);
        lwm2m_links_t links = {0};
        lwm2m_error_t err = {0};
        int rc = lwm2m_link_parse(copy, len, &links, &err);
        assert_true(rc == 0 || (rc == -400 && err.offset <= len));
        lwm2m_links_clear(&links);
        free(copy);
    }
}

static void test_writer(void **state)
{
    (void)state;
    lwm2m_links_t links = {0};
    lwm2m_link_t *l;
    lwm2m_buf_t out = {0};
    lwm2m_error_t err = {0};
    assert_int_equal(lwm2m_links_add(&links, "/3/0", &l), 0);
    assert_int_equal(lwm2m_link_add_attr(l, "ver", "1.1", false), 0);
    assert_int_equal(lwm2m_link_add_attr(l, "uri", "coap://h:1", true), 0);
    assert_int_equal(lwm2m_link_add_attr(l, "s", "a b", false), 0); /* needs quoting */
    assert_int_equal(lwm2m_link_add_attr(l, "e", "", false), 0);
    assert_int_equal(lwm2m_link_add_attr(l, "obs", NULL, true), 0);
    assert_int_equal(lwm2m_links_add(&links, "/3/0/1", NULL), 0);
    assert_int_equal(lwm2m_link_write(&links, &out, &err), 0);
    assert_string_equal((char *)out.data,
                        "</3/0>;ver=1.1;uri=\"coap://h:1\";s=\"a b\";e=\"\";obs,</3/0/1>");
    /* Writing into a full buffer reports its -413. */
    lwm2m_buf_t small;
    lwm2m_buf_init(&small, 8);
    assert_int_equal(lwm2m_link_write(&links, &small, &err), -413);
    lwm2m_buf_free(&small);
    /* Invalid URIs and names are refused, not written. */
    assert_int_equal(lwm2m_links_add(&links, "/a>b", NULL), 0);
    assert_int_equal(lwm2m_link_write(&links, &out, &err), -400);
    assert_int_equal(err.offset, 2);
    lwm2m_links_clear(&links);
    assert_int_equal(lwm2m_links_add(&links, "/x", &l), 0);
    assert_int_equal(lwm2m_link_add_attr(l, "a;b", "1", false), 0);
    assert_int_equal(lwm2m_link_write(&links, &out, &err), -400);
    lwm2m_links_clear(&links);
    assert_int_equal(lwm2m_links_add(&links, "/x", &l), 0);
    assert_int_equal(lwm2m_link_add_attr(l, "a", "\x01", false), 0);
    assert_int_equal(lwm2m_link_write(&links, &out, &err), -400);
    lwm2m_links_clear(&links);
    lwm2m_buf_free(&out);
}

static void test_builder_bounds(void **state)
{
    (void)state;
    lwm2m_links_t links = {0};
    lwm2m_link_t *l;
    assert_int_equal(lwm2m_links_add(&links, "/1", &l), 0);
    for (int i = 0; i < LWM2M_LINK_ATTRS_MAX; i++)
        assert_int_equal(lwm2m_link_add_attr(l, "a", "1", false), 0);
    assert_int_equal(lwm2m_link_add_attr(l, "a", "1", false), -413);
    for (int i = 1; i < LWM2M_LINKS_MAX; i++)
        assert_int_equal(lwm2m_links_add(&links, "/1", NULL), 0);
    assert_int_equal(lwm2m_links_add(&links, "/1", NULL), -413);
    assert_int_equal(links.count, LWM2M_LINKS_MAX);
    lwm2m_links_clear(&links);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registration_payload),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_whitespace_after_comma),
        cmocka_unit_test(test_missing_comma_offset),
        cmocka_unit_test(test_quoted_strings),
        cmocka_unit_test(test_attribute_forms),
        cmocka_unit_test(test_lwm2m_attribute_checks),
        cmocka_unit_test(test_legacy_root_attribute),
        cmocka_unit_test(test_uris),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_builder_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
