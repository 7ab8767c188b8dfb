/* test_bootstrap.c - the Bootstrap-Server message sequence (lwm2m/server/bootstrap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/bootstrap.h"

static const uint8_t identity[] = "dev-1";
static const uint8_t key[] = "0123456789abcdef0123456789abcdef";

static lwm2m_bs_account_t account(void)
{
    return (lwm2m_bs_account_t){.server_uri = "coaps://gw:5684",
                                .short_server_id = 300,
                                .lifetime = 86400,
                                .binding = "U",
                                .mode = LWM2M_BS_MODE_PSK,
                                .identity = identity,
                                .identity_len = 5,
                                .key = key,
                                .key_len = 32,
                                .security_instance = LWM2M_BS_SECURITY_INSTANCE};
}

static void test_sequence(void **state)
{
    (void)state;
    lwm2m_bs_step_t steps[LWM2M_BS_STEPS_MAX];
    lwm2m_bs_account_t a = account();
    assert_int_equal(lwm2m_bootstrap_steps(&a, steps), 5);
    assert_int_equal(steps[0].method, LWM2M_BS_DELETE);
    assert_string_equal(steps[0].uri, "/0");
    assert_string_equal(steps[1].uri, "/1");
    assert_int_equal(steps[2].method, LWM2M_BS_WRITE);
    assert_string_equal(steps[2].uri, "/0/1");
    assert_string_equal(steps[3].uri, "/1/0");
    assert_int_equal(steps[4].method, LWM2M_BS_FINISH);
    assert_string_equal(steps[4].uri, "/bs");
    assert_int_equal(steps[0].payload_len, 0);
    assert_int_equal(steps[4].payload_len, 0);

    /* Security: 0 URI (15 bytes: 8-bit length), 1 false, 2 mode 0, 3 identity, 5 key (32
     * bytes), 10 short server id 300 (2 bytes). */
    const uint8_t *p = steps[2].payload;
    static const uint8_t head[] = {0xC8, 0, 15};
    assert_memory_equal(p, head, 3);
    assert_memory_equal(p + 3, "coaps://gw:5684", 15);
    p += 18;
    static const uint8_t flags[] = {0xC1, 1, 0, 0xC1, 2, 0, 0xC5, 3, 'd', 'e', 'v', '-', '1'};
    assert_memory_equal(p, flags, sizeof(flags));
    p += sizeof(flags);
    static const uint8_t key_head[] = {0xC8, 5, 32};
    assert_memory_equal(p, key_head, 3);
    assert_memory_equal(p + 3, key, 32);
    p += 35;
    static const uint8_t ssid[] = {0xC2, 10, 0x01, 0x2C};
    assert_memory_equal(p, ssid, 4);
    assert_int_equal(steps[2].payload_len, (size_t)(p + 4 - steps[2].payload));

    /* Server: 0 short server id, 1 lifetime 86400 (4 bytes), 7 binding. */
    static const uint8_t server[] = {0xC2, 0,    0x01, 0x2C, 0xC4, 1,  0x00,
                                     0x01, 0x51, 0x80, 0xC1, 7,    'U'};
    assert_int_equal(steps[3].payload_len, sizeof(server));
    assert_memory_equal(steps[3].payload, server, sizeof(server));
}

static void test_nosec_and_limits(void **state)
{
    (void)state;
    lwm2m_bs_step_t steps[LWM2M_BS_STEPS_MAX];
    lwm2m_bs_account_t a = account();
    a.mode = LWM2M_BS_MODE_NOSEC;
    assert_int_equal(lwm2m_bootstrap_steps(&a, steps), 5);
    static const uint8_t mode[] = {0xC1, 2, 3, 0xC0, 3, 0xC0, 5};
    assert_memory_equal(steps[2].payload + 18 + 3, mode, sizeof(mode));

    a = account();
    a.key_len = LWM2M_BS_KEY_MAX + 1;
    assert_int_equal(lwm2m_bootstrap_steps(&a, steps), -400);
    a = account();
    a.identity_len = 0;
    assert_int_equal(lwm2m_bootstrap_steps(&a, steps), -400);
    a = account();
    a.server_uri = NULL;
    assert_int_equal(lwm2m_bootstrap_steps(&a, steps), -400);
}

static void test_step_ok(void **state)
{
    (void)state;
    lwm2m_bs_step_t steps[LWM2M_BS_STEPS_MAX];
    lwm2m_bs_account_t a = account();
    lwm2m_bootstrap_steps(&a, steps);
    assert_true(lwm2m_bootstrap_step_ok(&steps[0], 202));
    assert_true(lwm2m_bootstrap_step_ok(&steps[0], 404));
    assert_false(lwm2m_bootstrap_step_ok(&steps[0], 401));
    assert_true(lwm2m_bootstrap_step_ok(&steps[2], 204));
    assert_false(lwm2m_bootstrap_step_ok(&steps[2], 400));
    assert_true(lwm2m_bootstrap_step_ok(&steps[4], 204));
    assert_false(lwm2m_bootstrap_step_ok(&steps[4], 406));
}

/* Which Security instance the server account goes to, from the Bootstrap-Discover answer. */
static void test_security_instance(void **state)
{
    (void)state;
    /* LwM2M 1.1 §5.2.7.1's example: the bootstrap account (no ssid) is /0/1 here */
    static const char spec[] = "lwm2m=\"1.1\",</0/1>;uri=\"coap://bs\",</0/2>;ssid=101;"
                               "uri=\"coaps://s1\",</1/0>;ssid=101,</3/0>";
    assert_int_equal(lwm2m_bootstrap_security_instance(spec, strlen(spec)), 0);
    static const char at0[] = "</>;lwm2m=1.1,</0/0>,</3/0>";
    assert_int_equal(lwm2m_bootstrap_security_instance(at0, strlen(at0)), 1);
    static const char at7[] = "</0/3>;ssid=5,</0/7>";
    assert_int_equal(lwm2m_bootstrap_security_instance(at7, strlen(at7)), 0);
    /* no answer, an answer without /0 instances, garbage: the conventional /0/1 */
    assert_int_equal(lwm2m_bootstrap_security_instance(NULL, 0), LWM2M_BS_SECURITY_INSTANCE);
    static const char none[] = "</3/0>,</0/x>,</0/65535>";
    assert_int_equal(lwm2m_bootstrap_security_instance(none, strlen(none)),
                     LWM2M_BS_SECURITY_INSTANCE);
    static const char bad[] = "</0/0";
    assert_int_equal(lwm2m_bootstrap_security_instance(bad, strlen(bad)),
                     LWM2M_BS_SECURITY_INSTANCE);

    /* the steps write the chosen instance; 65535 is no instance */
    lwm2m_bs_step_t steps[LWM2M_BS_STEPS_MAX];
    lwm2m_bs_account_t a = account();
    a.security_instance = 0;
    assert_int_equal(lwm2m_bootstrap_steps(&a, steps), 5);
    assert_string_equal(steps[2].uri, "/0/0");
    a.security_instance = 65535;
    assert_int_equal(lwm2m_bootstrap_steps(&a, steps), -400);
    lwm2m_bs_step_t discover = {.method = LWM2M_BS_DISCOVER};
    assert_true(lwm2m_bootstrap_step_ok(&discover, 205));
    assert_true(lwm2m_bootstrap_step_ok(&discover, 404)); /* a 1.0 device: go on */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_nosec_and_limits),
        cmocka_unit_test(test_step_ok),
        cmocka_unit_test(test_security_instance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
