/* test_mqtt_subs.c - remembered subscriptions (mqtt/subs.c): batching with a bounded number
 * outstanding, renewal after a reconnection, refusals reported by filter, scale; and the topic
 * name / filter checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../mqtt/internal.h"

typedef struct sent {
    int batches;
    int filters;
    int next_token;
    char last_first[64];
    int fail_with; /* 0: accept */
} sent_t;

static int fake_send(void *ctx, char *const *filters, const int *qos, int n, int *ret_token)
{
    sent_t *s = ctx;
    (void)qos;
    if (s->fail_with)
        return s->fail_with;
    s->batches++;
    s->filters += n;
    snprintf(s->last_first, sizeof(s->last_first), "%s", filters[0]);
    *ret_token = ++s->next_token;
    return 0;
}

typedef struct refused {
    int count;
    char last[64];
    int code;
} refused_t;

static void on_refused(void *ctx, const char *filter, int code)
{
    refused_t *r = ctx;
    r->count++;
    snprintf(r->last, sizeof(r->last), "%s", filter);
    r->code = code;
}

static void test_batches_and_flow_control(void **state)
{
    (void)state;
    mqtt_subs_t *s = NULL;
    assert_int_equal(mqtt_subs_new(&s, 1000), 0);
    char f[32];
    for (int i = 0; i < 100; i++) {
        snprintf(f, sizeof(f), "dev/%d/command", i);
        assert_int_equal(mqtt_subs_add(s, f, 1), 0);
    }
    assert_int_equal(mqtt_subs_count(s), 100);
    sent_t sent = {0};
    /* At most 2 batches outstanding: 64 filters go out, the rest wait for SUBACKs. */
    assert_int_equal(mqtt_subs_pump(s, 2, fake_send, &sent), 0);
    assert_int_equal(sent.batches, 2);
    assert_int_equal(sent.filters, 2 * MQTT_Q_MAX_CODES);
    refused_t ref = {0};
    int granted[MQTT_Q_MAX_CODES] = {0};
    mqtt_subs_done(s, 1, granted, MQTT_Q_MAX_CODES, 0, on_refused, &ref);
    assert_int_equal(mqtt_subs_pump(s, 2, fake_send, &sent), 0);
    assert_int_equal(sent.batches, 3);
    mqtt_subs_done(s, 2, granted, MQTT_Q_MAX_CODES, 0, on_refused, &ref);
    mqtt_subs_done(s, 3, granted, MQTT_Q_MAX_CODES, 0, on_refused, &ref);
    assert_int_equal(mqtt_subs_pump(s, 2, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 100); /* each exactly once */
    assert_int_equal(ref.count, 0);

    /* Nothing pending: pumping sends nothing. After a reconnection, everything again. */
    assert_int_equal(mqtt_subs_pump(s, 2, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 100);
    mqtt_subs_reset(s);
    assert_int_equal(mqtt_subs_pump(s, 100, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 200);
    mqtt_subs_free(s);
}

static void test_refusals_reported_by_filter(void **state)
{
    (void)state;
    mqtt_subs_t *s = NULL;
    assert_int_equal(mqtt_subs_new(&s, 10), 0);
    assert_int_equal(mqtt_subs_add(s, "a/#", 1), 0);
    assert_int_equal(mqtt_subs_add(s, "b/+", 0), 0);
    assert_int_equal(mqtt_subs_add(s, "c", 2), 0);
    sent_t sent = {0};
    assert_int_equal(mqtt_subs_pump(s, 1, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 3);
    refused_t ref = {0};
    int codes[3] = {1, 0x87, 2}; /* the second: Not authorized */
    mqtt_subs_done(s, 1, codes, 3, 0, on_refused, &ref);
    assert_int_equal(ref.count, 1);
    assert_string_equal(ref.last, "b/+");
    assert_int_equal(ref.code, 0x87);

    /* A whole batch refused (MQTT 3.1.1, one filter: 0x80). */
    mqtt_subs_reset(s);
    assert_int_equal(mqtt_subs_pump(s, 1, fake_send, &sent), 0);
    mqtt_subs_done(s, 2, NULL, 0, 0x80, on_refused, &ref);
    assert_int_equal(ref.count, 4);
    /* An unknown token (a batch of an older connection) is ignored. */
    mqtt_subs_done(s, 99, NULL, 0, 0x80, on_refused, &ref);
    assert_int_equal(ref.count, 4);
    mqtt_subs_free(s);
}

static void test_update_remove_and_bounds(void **state)
{
    (void)state;
    mqtt_subs_t *s = NULL;
    assert_int_equal(mqtt_subs_new(&s, 2), 0);
    assert_int_equal(mqtt_subs_add(s, "x", 0), 0);
    assert_int_equal(mqtt_subs_add(s, "y", 0), 0);
    assert_int_equal(mqtt_subs_add(s, "z", 0), -ENOSPC);
    sent_t sent = {0};
    assert_int_equal(mqtt_subs_pump(s, 1, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 2);
    /* Same filter, same qos: nothing to send; a new qos: sent again. */
    assert_int_equal(mqtt_subs_add(s, "x", 0), 0);
    assert_int_equal(mqtt_subs_pump(s, 5, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 2);
    assert_int_equal(mqtt_subs_add(s, "x", 1), 0);
    assert_int_equal(mqtt_subs_pump(s, 5, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 3);
    /* Removing a pending one takes it off the list to send. */
    mqtt_subs_reset(s);
    assert_int_equal(mqtt_subs_remove(s, "x"), 0);
    assert_int_equal(mqtt_subs_remove(s, "x"), -ENOENT);
    assert_int_equal(mqtt_subs_pump(s, 5, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 4);
    assert_string_equal(sent.last_first, "y");
    /* A send that fails leaves everything pending. */
    mqtt_subs_reset(s);
    sent.fail_with = -ENOTCONN;
    assert_int_equal(mqtt_subs_pump(s, 5, fake_send, &sent), -ENOTCONN);
    sent.fail_with = 0;
    assert_int_equal(mqtt_subs_pump(s, 5, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 5);
    mqtt_subs_free(s);
}

static void test_one_per_device_scale(void **state)
{
    (void)state;
    mqtt_subs_t *s = NULL;
    assert_int_equal(mqtt_subs_new(&s, 200000), 0);
    char f[48];
    for (int i = 0; i < 100000; i++) {
        snprintf(f, sizeof(f), "lwm2m/dev-%06d/command", i);
        assert_int_equal(mqtt_subs_add(s, f, 1), 0);
    }
    for (int i = 0; i < 100000; i += 2) {
        snprintf(f, sizeof(f), "lwm2m/dev-%06d/command", i);
        assert_int_equal(mqtt_subs_remove(s, f), 0);
    }
    assert_int_equal(mqtt_subs_count(s), 50000);
    sent_t sent = {0};
    assert_int_equal(mqtt_subs_pump(s, 1 << 20, fake_send, &sent), 0);
    assert_int_equal(sent.filters, 50000);
    mqtt_subs_free(s);
}

static void test_topic_checks(void **state)
{
    (void)state;
    assert_true(mqtt_topic_valid("a/b/c", false));
    assert_true(mqtt_topic_valid("/", false));
    assert_true(mqtt_topic_valid("caf\xc3\xa9", false));
    assert_false(mqtt_topic_valid("", false));
    assert_false(mqtt_topic_valid(NULL, false));
    assert_false(mqtt_topic_valid("a/+/c", false));
    assert_false(mqtt_topic_valid("a/#", false));
    assert_false(mqtt_topic_valid("bad\xc3", false));         /* truncated sequence */
    assert_false(mqtt_topic_valid("bad\xc0\xaf", false));     /* overlong '/' */
    assert_false(mqtt_topic_valid("bad\xed\xa0\x80", false)); /* surrogate */
    assert_true(mqtt_topic_valid("a/+/c", true));
    assert_true(mqtt_topic_valid("#", true));
    assert_true(mqtt_topic_valid("+", true));
    assert_true(mqtt_topic_valid("a/#", true));
    assert_true(mqtt_topic_valid("+/+/#", true));
    assert_false(mqtt_topic_valid("a/#/c", true));
    assert_false(mqtt_topic_valid("a+/c", true));
    assert_false(mqtt_topic_valid("a/b#", true));
    char *longest = malloc(65537);
    memset(longest, 'a', 65536);
    longest[65536] = 0;
    assert_false(mqtt_topic_valid(longest, false));
    longest[65535] = 0;
    assert_true(mqtt_topic_valid(longest, false));
    free(longest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_and_flow_control),
        cmocka_unit_test(test_refusals_reported_by_filter),
        cmocka_unit_test(test_update_remove_and_bounds),
        cmocka_unit_test(test_one_per_device_scale),
        cmocka_unit_test(test_topic_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
