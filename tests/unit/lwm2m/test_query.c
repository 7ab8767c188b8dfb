/* test_query.c - query lists, request lines, Execute arguments, registration parameters
 * (lwm2m/core/query.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/query.h"

static int qparse(const char *text, lwm2m_query_t *q, lwm2m_error_t *err)
{
    return lwm2m_query_parse(text, strlen(text), q, err);
}

static void assert_query_fails(const char *text, int code)
{
    lwm2m_query_t q = {0};
    lwm2m_error_t err = {0};
    assert_int_equal(qparse(text, &q, &err), code);
    assert_int_equal(q.count, 0);
    assert_true(err.offset <= strlen(text));
}

static void test_query_split(void **state)
{
    (void)state;
    lwm2m_query_t q = {0};
    assert_int_equal(qparse("ep=node&lt=86400&lwm2m=1.1&b=U&Q&sms=", &q, NULL), 0);
    assert_int_equal(q.count, 6);
    assert_string_equal(q.items[0].key, "ep");
    assert_string_equal(q.items[0].value, "node");
    assert_string_equal(q.items[4].key, "Q");
    assert_null(q.items[4].value);
    assert_string_equal(q.items[5].value, "");
    assert_ptr_equal(lwm2m_query_find(&q, "b"), &q.items[3]);
    assert_null(lwm2m_query_find(&q, "q"));
    lwm2m_query_clear(&q);
    assert_int_equal(q.count, 0);
    assert_int_equal(qparse("", &q, NULL), 0);
    assert_int_equal(q.count, 0);
    lwm2m_query_clear(NULL);
}

static void test_query_percent_decoding(void **state)
{
    (void)state;
    lwm2m_query_t q = {0};
    assert_int_equal(qparse("e%70=urn%3Aimei%3A1%2B2&x=a+b", &q, NULL), 0);
    assert_string_equal(q.items[0].key, "ep");
    assert_string_equal(q.items[0].value, "urn:imei:1+2");
    assert_string_equal(q.items[1].value, "a+b");
    lwm2m_query_clear(&q);
    assert_query_fails("a=%", -400);
    assert_query_fails("a=%4", -400);
    assert_query_fails("a=%G1", -400);
    assert_query_fails("a=%00", -400);
    assert_query_fails("a=b c", -400);
    assert_query_fails("a=b#c", -400);
    assert_query_fails("a=\xc3\xa9", -400);
}

static void test_query_errors(void **state)
{
    (void)state;
    assert_query_fails("&a", -400);
    assert_query_fails("a&", -400);
    assert_query_fails("a&&b", -400);
    assert_query_fails("=v", -400);
    lwm2m_error_t err = {0};
    lwm2m_query_t q = {0};
    assert_int_equal(qparse("a=1&b=%zz", &q, &err), -400);
    assert_int_equal(err.offset, 6);
    /* Bounds. */
    lwm2m_buf_t text = {0};
    for (int i = 0; i <= LWM2M_QUERY_PARAMS_MAX; i++)
        lwm2m_buf_printf(&text, "%sk%d=v", i ? "&" : "", i);
    assert_query_fails((char *)text.data, -413);
    lwm2m_buf_reset(&text);
    lwm2m_buf_append_str(&text, "k=");
    for (int i = 0; i <= LWM2M_QUERY_STR_MAX; i++)
        lwm2m_buf_append_byte(&text, 'v');
    assert_query_fails((char *)text.data, -413);
    lwm2m_buf_free(&text);
}

static void test_query_segments(void **state)
{
    (void)state;
    lwm2m_query_t q = {0};
    assert_int_equal(lwm2m_query_add_segment(&q, "a=%41=b", 7, NULL), 0);
    assert_string_equal(q.items[0].key, "a");
    assert_string_equal(q.items[0].value, "%41=b"); /* options are not percent-decoded */
    assert_int_equal(lwm2m_query_add_segment(&q, "Q", 1, NULL), 0);
    assert_null(q.items[1].value);
    assert_int_equal(lwm2m_query_add_segment(&q, "", 0, NULL), -400);
    assert_int_equal(lwm2m_query_add_segment(&q, "=x", 2, NULL), -400);
    assert_int_equal(lwm2m_query_add_segment(&q, "a\0b", 3, NULL), -400);
    assert_int_equal(q.count, 2);
    lwm2m_query_clear(&q);
}

static void test_request_lines(void **state)
{
    (void)state;
    lwm2m_request_line_t line = {0};
    const char *text = "POST /rd?ep=node&lt=86400&lwm2m=1.1&b=U&Q";
    assert_int_equal(lwm2m_request_line_parse(text, strlen(text), &line, NULL), 0);
    assert_string_equal(line.method, "POST");
    assert_int_equal(line.segment_count, 1);
    assert_string_equal(line.segments[0], "rd");
    assert_int_equal(line.query.count, 5);
    lwm2m_request_line_clear(&line);
    text = "iPATCH /d01/3303/0%31";
    assert_int_equal(lwm2m_request_line_parse(text, strlen(text), &line, NULL), 0);
    assert_int_equal(line.segment_count, 3);
    assert_string_equal(line.segments[2], "01");
    assert_int_equal(line.query.count, 0);
    lwm2m_request_line_clear(&line);
    assert_int_equal(lwm2m_request_line_parse("GET /", 5, &line, NULL), 0);
    assert_int_equal(line.segment_count, 0);
    lwm2m_request_line_clear(&line);
    const char *bad[] = {"POST rd",  "BREW /x",  "GET",    "GET  /x",  "GET /a//b", "GET /a/",
                         "GET /%2F", "GET /a?&", "get /a", "GET ?a=1", "GET /a b",  ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lwm2m_error_t err = {0};
        assert_int_equal(lwm2m_request_line_parse(bad[i], strlen(bad[i]), &line, &err), -400);
        assert_int_equal(line.segment_count, 0);
        assert_true(err.offset <= strlen(bad[i]));
    }
    lwm2m_error_t err = {0};
    text = "GET /a?x=%zz";
    assert_int_equal(lwm2m_request_line_parse(text, strlen(text), &line, &err), -400);
    assert_int_equal(err.offset, 9);
}

static void test_exec_args(void **state)
{
    (void)state;
    lwm2m_exec_args_t args;
    const char *text = "2='10.3',7,0=' <https://www.omaspecworks.org>'";
    assert_int_equal(lwm2m_exec_args_parse(text, strlen(text), &args, NULL), 0);
    assert_int_equal(args.count, 3);
    assert_int_equal(args.items[0].digit, 2);
    assert_true(args.items[0].has_value);
    assert_int_equal(args.items[0].value_len, 4);
    assert_memory_equal(args.items[0].value, "10.3", 4);
    assert_false(args.items[1].has_value);
    assert_int_equal(args.items[2].value_len, 31);
    lwm2m_buf_t out = {0};
    assert_int_equal(lwm2m_exec_args_write(&args, &out, NULL), 0);
    assert_string_equal((char *)out.data, text);
    lwm2m_buf_free(&out);
    assert_int_equal(lwm2m_exec_args_parse("", 0, &args, NULL), 0);
    assert_int_equal(args.count, 0);
    assert_int_equal(lwm2m_exec_args_parse("0=''", 4, &args, NULL), 0);
    assert_int_equal(args.items[0].value_len, 0);
    text = "0,1,2,3,4,5,6,7,8,9";
    assert_int_equal(lwm2m_exec_args_parse(text, strlen(text), &args, NULL), 0);
    assert_int_equal(args.count, 10);
    const char *bad[] = {"10",     "1,",  ",1", "1=10", "1='x",   "1='a\"b'",
                         "1='\\'", "1,1", "a",  "1 ,2", "1=' '2", "1='\x01'"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lwm2m_error_t err = {0};
        args.count = 77;
        assert_int_equal(lwm2m_exec_args_parse(bad[i], strlen(bad[i]), &args, &err), -400);
        assert_int_equal(args.count, 77);
        assert_true(err.offset <= strlen(bad[i]));
    }
    /* The writer refuses what the parser would. */
    memset(&args, 0, sizeof(args));
    args.count = 2;
    args.items[0].digit = 3;
    args.items[1].digit = 3;
    assert_int_equal(lwm2m_exec_args_write(&args, &out, NULL), -400);
    args.items[1].digit = 4;
    args.items[1].has_value = true;
    args.items[1].value = "it's";
    args.items[1].value_len = 4;
    assert_int_equal(lwm2m_exec_args_write(&args, &out, NULL), -400);
    lwm2m_buf_free(&out);
}

static void test_versions_and_bindings(void **state)
{
    (void)state;
    lwm2m_version_t v = LWM2M_VERSION_1_0;
    assert_int_equal(lwm2m_version_parse("1.1", 3, &v), 0);
    assert_int_equal(v, LWM2M_VERSION_1_1);
    assert_int_equal(lwm2m_version_parse("1.2", 3, &v), 0);
    assert_string_equal(lwm2m_version_name(v), "1.2");
    assert_int_equal(lwm2m_version_parse("1.0", 3, &v), 0);
    assert_int_equal(lwm2m_version_parse("1.3", 3, &v), -412);
    assert_int_equal(lwm2m_version_parse("2.0", 3, &v), -412);
    assert_int_equal(lwm2m_version_parse("1", 1, &v), -400);
    assert_int_equal(lwm2m_version_parse("1.x", 3, &v), -400);
    assert_int_equal(lwm2m_version_parse("1.2.1", 5, &v), -400);
    assert_int_equal(lwm2m_version_parse("", 0, &v), -400);
    assert_int_equal(v, LWM2M_VERSION_1_0);

    unsigned b = 0;
    assert_int_equal(lwm2m_binding_parse("UQS", 3, LWM2M_VERSION_1_0, &b), 0);
    assert_int_equal(b, LWM2M_BINDING_U | LWM2M_BINDING_Q | LWM2M_BINDING_S);
    assert_int_equal(lwm2m_binding_parse("T", 1, LWM2M_VERSION_1_0, &b), -400);
    assert_int_equal(lwm2m_binding_parse("TN", 2, LWM2M_VERSION_1_1, &b), 0);
    assert_int_equal(lwm2m_binding_parse("M", 1, LWM2M_VERSION_1_1, &b), -400);
    assert_int_equal(lwm2m_binding_parse("UMH", 3, LWM2M_VERSION_1_2, &b), 0);
    assert_int_equal(lwm2m_binding_parse("UU", 2, LWM2M_VERSION_1_2, &b), -400);
    assert_int_equal(lwm2m_binding_parse("u", 1, LWM2M_VERSION_1_2, &b), -400);
    assert_int_equal(lwm2m_binding_parse("Q", 1, LWM2M_VERSION_1_2, &b), -400);
    assert_int_equal(lwm2m_binding_parse("", 0, LWM2M_VERSION_1_2, &b), -400);
}

static void test_simple_params(void **state)
{
    (void)state;
    char long_ep[LWM2M_ENDPOINT_MAX + 2];
    memset(long_ep, 'e', sizeof(long_ep));
    assert_int_equal(lwm2m_endpoint_validate("urn:imei:123", 12), 0);
    assert_int_equal(lwm2m_endpoint_validate(long_ep, LWM2M_ENDPOINT_MAX), 0);
    assert_int_equal(lwm2m_endpoint_validate(long_ep, LWM2M_ENDPOINT_MAX + 1), -400);
    assert_int_equal(lwm2m_endpoint_validate("a b", 3), -400);
    assert_int_equal(lwm2m_endpoint_validate("", 0), -400);
    uint32_t lt = 7;
    assert_int_equal(lwm2m_lifetime_parse("86400", 5, &lt), 0);
    assert_int_equal(lt, 86400);
    assert_int_equal(lwm2m_lifetime_parse("0", 1, &lt), -400);
    assert_int_equal(lwm2m_lifetime_parse("4294967296", 10, &lt), -400);
    assert_int_equal(lwm2m_lifetime_parse("-5", 2, &lt), -400);
    assert_int_equal(lt, 86400);
    assert_int_equal(lwm2m_msisdn_validate("12345678", 8), 0);
    assert_int_equal(lwm2m_msisdn_validate("+4912345678", 11), 0);
    assert_int_equal(lwm2m_msisdn_validate("+", 1), -400);
    assert_int_equal(lwm2m_msisdn_validate("1234567890123456", 16), -400);
    assert_int_equal(lwm2m_msisdn_validate("12a", 3), -400);
}

static void test_profile_ids(void **state)
{
    (void)state;
    lwm2m_profile_ids_t ids;
    assert_int_equal(lwm2m_profile_ids_parse("6:1234ABcd", 10, &ids, NULL), 0);
    assert_int_equal(ids.count, 1);
    assert_true(ids.items[0].dynamic);
    assert_int_equal(ids.items[0].suite, 6);
    assert_string_equal(ids.items[0].text, "1234abcd");
    const char *two =
        "oma.fota-1,1:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_int_equal(lwm2m_profile_ids_parse(two, strlen(two), &ids, NULL), 0);
    assert_int_equal(ids.count, 2);
    assert_false(ids.items[0].dynamic);
    assert_string_equal(ids.items[0].text, "oma.fota-1");
    assert_int_equal(ids.items[1].suite, 1);
    const char *bad[] = {"",   "7:1234abcd", "0:1234abcd", "6:1234abc", "6:1234abcde", "6:1234abcg",
                         "6:", ":1234abcd",  "a,,b",       "a b",       "a,"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(lwm2m_profile_ids_parse(bad[i], strlen(bad[i]), &ids, NULL), -400);
    const char *many = "a,b,c,d,e,f,g,h,i";
    assert_int_equal(lwm2m_profile_ids_parse(many, strlen(many), &ids, NULL), -413);
    assert_int_equal(ids.count, 2);
}

static int register_params(const char *query, bool reg, lwm2m_register_params_t *p,
                           lwm2m_query_t *q)
{
    lwm2m_query_clear(q);
    assert_int_equal(lwm2m_query_parse(query, strlen(query), q, NULL), 0);
    return lwm2m_register_params_parse(q, reg, p, NULL);
}

static void test_register_params(void **state)
{
    (void)state;
    lwm2m_query_t q = {0};
    lwm2m_register_params_t p;
    assert_int_equal(register_params("b=T&ep=node&lt=86400&lwm2m=1.1&Q&sms=123&pid=6:1234abcd&x=1",
                                     true, &p, &q),
                     0);
    assert_string_equal(p.endpoint, "node");
    assert_true(p.has_lifetime);
    assert_int_equal(p.lifetime, 86400);
    assert_int_equal(p.version, LWM2M_VERSION_1_1);
    assert_int_equal(p.binding, LWM2M_BINDING_T | LWM2M_BINDING_Q);
    assert_string_equal(p.sms, "123");
    assert_int_equal(p.profile_ids.count, 1);
    assert_int_equal(register_params("ep=a", true, &p, &q), 0);
    assert_int_equal(p.version, LWM2M_VERSION_1_0);
    assert_false(p.has_binding);
    assert_int_equal(register_params("lt=600", false, &p, &q), 0);
    assert_null(p.endpoint);
    assert_int_equal(register_params("lt=600", true, &p, &q), -400);
    assert_int_equal(register_params("ep=a&ep=b", true, &p, &q), -400);
    assert_int_equal(register_params("ep=a&Q=1", true, &p, &q), -400);
    assert_int_equal(register_params("ep=a&lt", true, &p, &q), -400);
    assert_int_equal(register_params("ep=a&lt=", true, &p, &q), -400);
    assert_int_equal(register_params("ep=a&lwm2m=1.3", true, &p, &q), -412);
    assert_int_equal(register_params("ep=a&b=T", true, &p, &q), -400);
    assert_int_equal(register_params("ep=a&pid=7:00", true, &p, &q), -400);
    lwm2m_query_clear(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_split),           cmocka_unit_test(test_query_percent_decoding),
        cmocka_unit_test(test_query_errors),          cmocka_unit_test(test_query_segments),
        cmocka_unit_test(test_request_lines),         cmocka_unit_test(test_exec_args),
        cmocka_unit_test(test_versions_and_bindings), cmocka_unit_test(test_simple_params),
        cmocka_unit_test(test_profile_ids),           cmocka_unit_test(test_register_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
