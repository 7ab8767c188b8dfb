/* test_outbox.c - the offline buffer (mqtt/outbox.c): order, bounds, overflow counting,
 * persistence across reopen, torn-tail recovery, compaction, locking. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mqtt/outbox.h"

typedef struct fixture {
    char dir[64];
    char log[96];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/lmg-outbox-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->log, sizeof(f->log), "%s/outbox.log", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static mqtt_outbox_t *open_ok(const char *dir, size_t max_messages, size_t max_bytes)
{
    mqtt_outbox_options_t o = {.dir = dir, .max_messages = max_messages, .max_bytes = max_bytes};
    mqtt_outbox_t *ob = NULL;
    char err[256] = "";
    int rc = mqtt_outbox_open(&ob, &o, err, sizeof(err));
    if (rc != 0)
        fail_msg("mqtt_outbox_open: %d %s", rc, err);
    return ob;
}

/* Pushes "t/<i>" with payload "payload <i>", QoS 1. */
static int push_n(mqtt_outbox_t *ob, int i)
{
    char topic[32], payload[32];
    snprintf(topic, sizeof(topic), "t/%d", i);
    snprintf(payload, sizeof(payload), "payload %d", i);
    mqtt_message_t m = {.topic = topic, .payload = payload, .len = strlen(payload), .qos = 1};
    return mqtt_outbox_push(ob, &m);
}

/* The buffered topics in order, as "t/1 t/2 ...". */
static const char *topics(const mqtt_outbox_t *ob)
{
    static char buf[1024];
    buf[0] = 0;
    for (mqtt_outbox_entry_t *e = mqtt_outbox_head(ob); e; e = mqtt_outbox_next(e)) {
        if (buf[0])
            strcat(buf, " ");
        strcat(buf, e->msg.topic);
    }
    return buf;
}

static mqtt_outbox_stats_t stats(const mqtt_outbox_t *ob)
{
    mqtt_outbox_stats_t st;
    mqtt_outbox_stats(ob, &st);
    return st;
}

static void test_order_and_send_window(void **state)
{
    (void)state;
    mqtt_outbox_t *ob = open_ok(NULL, 100, 1 << 20);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(push_n(ob, i), 0);
    assert_string_equal(topics(ob), "t/1 t/2 t/3 t/4 t/5");
    uint64_t prev = 0;
    for (mqtt_outbox_entry_t *e = mqtt_outbox_head(ob); e; e = mqtt_outbox_next(e)) {
        assert_true(e->seq > prev);
        prev = e->seq;
    }

    /* Sending takes the oldest unsent first; acknowledgements may come in any order. */
    mqtt_outbox_entry_t *e1 = mqtt_outbox_next_unsent(ob);
    assert_string_equal(e1->msg.topic, "t/1");
    mqtt_outbox_set_inflight(ob, e1, 11);
    mqtt_outbox_entry_t *e2 = mqtt_outbox_next_unsent(ob);
    assert_string_equal(e2->msg.topic, "t/2");
    mqtt_outbox_set_inflight(ob, e2, 12);
    assert_int_equal(mqtt_outbox_inflight(ob), 2);
    assert_ptr_equal(mqtt_outbox_find_inflight(ob, 12), e2);
    assert_null(mqtt_outbox_find_inflight(ob, 13));
    mqtt_outbox_remove(ob, e2);
    assert_string_equal(topics(ob), "t/1 t/3 t/4 t/5");

    /* A lost connection: everything in flight is sent again, in order. */
    mqtt_outbox_requeue_all(ob);
    assert_int_equal(mqtt_outbox_inflight(ob), 0);
    assert_string_equal(mqtt_outbox_next_unsent(ob)->msg.topic, "t/1");
    mqtt_outbox_free(ob);
}

static void test_invalid_messages(void **state)
{
    (void)state;
    mqtt_outbox_t *ob = open_ok(NULL, 10, 100);
    mqtt_message_t m = {.topic = "a", .payload = "x", .len = 1, .qos = 0};
    assert_int_equal(mqtt_outbox_push(ob, &m), -EINVAL); /* QoS 0 is never buffered */
    m.qos = 1;
    m.topic = "";
    assert_int_equal(mqtt_outbox_push(ob, &m), -EINVAL);
    m.topic = "a";
    m.payload = NULL;
    assert_int_equal(mqtt_outbox_push(ob, &m), -EINVAL);
    char big[200];
    memset(big, 'x', sizeof(big));
    m.payload = big;
    m.len = sizeof(big);
    assert_int_equal(mqtt_outbox_push(ob, &m), -EMSGSIZE); /* alone over max_bytes */
    assert_int_equal(mqtt_outbox_count(ob), 0);
    assert_int_equal(stats(ob).dropped, 0);
    mqtt_outbox_free(ob);
}

static void test_bound_messages_drops_oldest(void **state)
{
    (void)state;
    mqtt_outbox_t *ob = open_ok(NULL, 3, 1 << 20);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(push_n(ob, i), 0);
    assert_string_equal(topics(ob), "t/3 t/4 t/5");
    assert_int_equal(stats(ob).dropped, 2);
    assert_int_equal(stats(ob).messages, 3);
    mqtt_outbox_free(ob);
}

static void test_bound_bytes_drops_oldest(void **state)
{
    (void)state;
    /* "t/N" + "payload N" = 3 + 9 = 12 bytes each (N < 10). */
    mqtt_outbox_t *ob = open_ok(NULL, 100, 40);
    for (int i = 1; i <= 4; i++)
        assert_int_equal(push_n(ob, i), 0);
    assert_string_equal(topics(ob), "t/2 t/3 t/4");
    assert_int_equal(stats(ob).bytes, 36);
    assert_int_equal(stats(ob).dropped, 1);

    /* A large message pushes out as many old ones as it needs. */
    char payload[25]; /* 3 + 25 = 28: fits beside t/4 (12) in 40 bytes */
    memset(payload, 'p', sizeof(payload));
    mqtt_message_t m = {.topic = "big", .payload = payload, .len = sizeof(payload), .qos = 1};
    assert_int_equal(mqtt_outbox_push(ob, &m), 0);
    assert_string_equal(topics(ob), "t/4 big");
    assert_int_equal(stats(ob).dropped, 3);
    mqtt_outbox_free(ob);
}

static void test_inflight_never_dropped(void **state)
{
    (void)state;
    mqtt_outbox_t *ob = open_ok(NULL, 2, 1 << 20);
    assert_int_equal(push_n(ob, 1), 0);
    assert_int_equal(push_n(ob, 2), 0);
    mqtt_outbox_set_inflight(ob, mqtt_outbox_head(ob), 1);
    /* t/1 is in flight: the oldest that can go is t/2. */
    assert_int_equal(push_n(ob, 3), 0);
    assert_string_equal(topics(ob), "t/1 t/3");
    mqtt_outbox_set_inflight(ob, mqtt_outbox_next(mqtt_outbox_head(ob)), 2);
    /* Everything in flight: the newest is refused, and that counts too. */
    assert_int_equal(push_n(ob, 4), -ENOBUFS);
    assert_string_equal(topics(ob), "t/1 t/3");
    assert_int_equal(stats(ob).dropped, 2);
    mqtt_outbox_free(ob);
}

static void test_persistence_across_reopen(void **state)
{
    fixture_t *f = *state;
    mqtt_outbox_t *ob = open_ok(f->dir, 100, 1 << 20);
    for (int i = 1; i <= 9; i++)
        assert_int_equal(push_n(ob, i), 0);
    static const uint8_t corr[] = {0x00, 0xff, 0x10, 0x00};
    mqtt_message_t m = {.topic = "cmd/resp",
                        .payload = "{\"ok\":1}",
                        .len = 8,
                        .qos = 1,
                        .retain = true,
                        .response_topic = "reply/here",
                        .correlation = corr,
                        .correlation_len = sizeof(corr),
                        .content_type = "application/json"};
    assert_int_equal(mqtt_outbox_push(ob, &m), 0);
    /* Acknowledged messages must not come back. */
    mqtt_outbox_remove(ob, mqtt_outbox_head(ob));
    mqtt_outbox_remove(ob, mqtt_outbox_head(ob));
    mqtt_outbox_entry_t *e = mqtt_outbox_head(ob);
    for (int i = 0; i < 3; i++)
        e = mqtt_outbox_next(e);        /* t/6 */
    mqtt_outbox_set_inflight(ob, e, 5); /* in flight is not persisted: it comes back unsent */
    mqtt_outbox_remove(ob, mqtt_outbox_next(e));
    uint64_t last_seq = mqtt_outbox_head(ob)->seq;
    for (e = mqtt_outbox_head(ob); e; e = mqtt_outbox_next(e))
        last_seq = e->seq;
    mqtt_outbox_free(ob);

    ob = open_ok(f->dir, 100, 1 << 20);
    assert_string_equal(topics(ob), "t/3 t/4 t/5 t/6 t/8 t/9 cmd/resp");
    assert_int_equal(stats(ob).recovered, 7);
    assert_int_equal(stats(ob).discarded_bytes, 0);
    assert_int_equal(mqtt_outbox_inflight(ob), 0);
    e = mqtt_outbox_head(ob);
    assert_int_equal(e->msg.len, 9);
    assert_memory_equal(e->msg.payload, "payload 3", 9);
    assert_int_equal(e->msg.qos, 1);
    assert_false(e->msg.retain);
    assert_null(e->msg.response_topic);
    while (mqtt_outbox_next(e))
        e = mqtt_outbox_next(e);
    assert_string_equal(e->msg.topic, "cmd/resp");
    assert_true(e->msg.retain);
    assert_string_equal(e->msg.response_topic, "reply/here");
    assert_string_equal(e->msg.content_type, "application/json");
    assert_int_equal(e->msg.correlation_len, sizeof(corr));
    assert_memory_equal(e->msg.correlation, corr, sizeof(corr));
    assert_memory_equal(e->msg.payload, "{\"ok\":1}", 8);
    assert_int_equal(e->seq, last_seq);
    /* New messages continue the sequence. */
    assert_int_equal(push_n(ob, 10), 0);
    for (e = mqtt_outbox_head(ob); mqtt_outbox_next(e);)
        e = mqtt_outbox_next(e);
    assert_true(e->seq > last_seq);
    mqtt_outbox_free(ob);
}

static off_t file_size(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return sb.st_size;
}

static void test_torn_tail_recovery(void **state)
{
    fixture_t *f = *state;
    mqtt_outbox_t *ob = open_ok(f->dir, 100, 1 << 20);
    for (int i = 1; i <= 3; i++)
        assert_int_equal(push_n(ob, i), 0);
    mqtt_outbox_free(ob);

    /* A crash in the middle of writing t/3: its record is cut short. */
    off_t size = file_size(f->log);
    assert_int_equal(truncate(f->log, size - 5), 0);
    ob = open_ok(f->dir, 100, 1 << 20);
    assert_string_equal(topics(ob), "t/1 t/2");
    assert_int_equal(stats(ob).recovered, 2);
    assert_true(stats(ob).discarded_bytes > 0);
    /* The log was rewritten without the torn record: appends after it are not hidden. */
    assert_int_equal(push_n(ob, 4), 0);
    mqtt_outbox_free(ob);
    ob = open_ok(f->dir, 100, 1 << 20);
    assert_string_equal(topics(ob), "t/1 t/2 t/4");
    assert_int_equal(stats(ob).discarded_bytes, 0);
    mqtt_outbox_free(ob);

    /* Garbage after the last record (e.g. a preallocated block) is cut too. */
    int fd = open(f->log, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 28), 28);
    close(fd);
    ob = open_ok(f->dir, 100, 1 << 20);
    assert_string_equal(topics(ob), "t/1 t/2 t/4");
    assert_int_equal(stats(ob).discarded_bytes, 28);
    mqtt_outbox_free(ob);
}

static void test_corrupt_record_stops_replay(void **state)
{
    fixture_t *f = *state;
    mqtt_outbox_t *ob = open_ok(f->dir, 100, 1 << 20);
    for (int i = 1; i <= 3; i++)
        assert_int_equal(push_n(ob, i), 0);
    mqtt_outbox_free(ob);
    /* Flip the last payload byte of t/2: its CRC fails, replay keeps only what came before. */
    off_t size = file_size(f->log);
    off_t record = (size - 8) / 3; /* equal-sized records */
    int fd = open(f->log, O_RDWR);
    assert_true(fd >= 0);
    char c;
    assert_int_equal(pread(fd, &c, 1, 8 + 2 * record - 1), 1);
    c ^= 0x20;
    assert_int_equal(pwrite(fd, &c, 1, 8 + 2 * record - 1), 1);
    close(fd);
    ob = open_ok(f->dir, 100, 1 << 20);
    assert_string_equal(topics(ob), "t/1");
    assert_int_equal(stats(ob).discarded_bytes, 2 * record);
    mqtt_outbox_free(ob);
}

static void test_not_an_outbox_is_refused(void **state)
{
    fixture_t *f = *state;
    FILE *fp = fopen(f->log, "w");
    assert_non_null(fp);
    fputs("some other file, not ours\n", fp);
    fclose(fp);
    mqtt_outbox_options_t o = {.dir = f->dir, .max_messages = 10, .max_bytes = 100};
    mqtt_outbox_t *ob = NULL;
    char err[256] = "";
    assert_int_equal(mqtt_outbox_open(&ob, &o, err, sizeof(err)), -EBADMSG);
    assert_null(ob);
    assert_non_null(strstr(err, "not an outbox log"));
    assert_int_equal(file_size(f->log), 26); /* left alone */
}

static void test_second_opener_is_locked_out(void **state)
{
    fixture_t *f = *state;
    mqtt_outbox_t *ob = open_ok(f->dir, 10, 100);
    mqtt_outbox_options_t o = {.dir = f->dir, .max_messages = 10, .max_bytes = 100};
    mqtt_outbox_t *other = NULL;
    char err[256] = "";
    assert_int_equal(mqtt_outbox_open(&other, &o, err, sizeof(err)), -EBUSY);
    assert_non_null(strstr(err, "in use"));
    mqtt_outbox_free(ob);
    assert_int_equal(mqtt_outbox_open(&other, &o, err, sizeof(err)), 0);
    mqtt_outbox_free(other);
}

static void test_smaller_bounds_on_reopen(void **state)
{
    fixture_t *f = *state;
    mqtt_outbox_t *ob = open_ok(f->dir, 100, 1 << 20);
    for (int i = 1; i <= 6; i++)
        assert_int_equal(push_n(ob, i), 0);
    mqtt_outbox_free(ob);
    ob = open_ok(f->dir, 4, 1 << 20);
    assert_string_equal(topics(ob), "t/3 t/4 t/5 t/6");
    assert_int_equal(stats(ob).dropped, 2);
    assert_int_equal(stats(ob).recovered, 4);
    mqtt_outbox_free(ob);
}

static void test_log_stays_small(void **state)
{
    fixture_t *f = *state;
    /* Steady state while connected: every message is acknowledged soon after. */
    mqtt_outbox_t *ob = open_ok(f->dir, 1000, 1 << 20);
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(push_n(ob, i), 0);
        if (i % 10 == 9)
            while (mqtt_outbox_head(ob))
                mqtt_outbox_remove(ob, mqtt_outbox_head(ob));
    }
    assert_int_equal(stats(ob).file_bytes, 8); /* emptied: truncated to the file header */
    assert_int_equal(file_size(f->log), 8);

    /* A long outage that overflows: dropped records make the log grow, rewrites bound it. */
    mqtt_outbox_free(ob);
    ob = open_ok(f->dir, 50, 1 << 20);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(push_n(ob, i), 0);
    assert_int_equal(stats(ob).messages, 50);
    assert_int_equal(stats(ob).dropped, 19950);
    assert_true(stats(ob).rewrites > 1);
    assert_true(file_size(f->log) < 300 * 1024);
    assert_int_equal((uint64_t)file_size(f->log), stats(ob).file_bytes);
    mqtt_outbox_free(ob);
    ob = open_ok(f->dir, 50, 1 << 20);
    assert_string_equal(mqtt_outbox_head(ob)->msg.topic, "t/19950");
    assert_int_equal(stats(ob).messages, 50);
    mqtt_outbox_free(ob);
}

static void test_sync_always(void **state)
{
    fixture_t *f = *state;
    mqtt_outbox_options_t o = {
        .dir = f->dir, .max_messages = 10, .max_bytes = 1000, .sync = MQTT_OUTBOX_SYNC_ALWAYS};
    mqtt_outbox_t *ob = NULL;
    char err[256];
    assert_int_equal(mqtt_outbox_open(&ob, &o, err, sizeof(err)), 0);
    for (int i = 1; i <= 3; i++)
        assert_int_equal(push_n(ob, i), 0);
    mqtt_outbox_remove(ob, mqtt_outbox_head(ob));
    assert_int_equal(stats(ob).write_errors, 0);
    mqtt_outbox_free(ob);
    ob = open_ok(f->dir, 10, 1000);
    assert_string_equal(topics(ob), "t/2 t/3");
    mqtt_outbox_free(ob);
}

static void test_stale_rewrite_file_ignored(void **state)
{
    fixture_t *f = *state;
    mqtt_outbox_t *ob = open_ok(f->dir, 10, 1000);
    assert_int_equal(push_n(ob, 1), 0);
    mqtt_outbox_free(ob);
    /* A crash during a rewrite leaves outbox.log.tmp beside an intact log. */
    char tmp[128];
    snprintf(tmp, sizeof(tmp), "%s/outbox.log.tmp", f->dir);
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fputs("LMGOBX1\npartial", fp);
    fclose(fp);
    ob = open_ok(f->dir, 10, 1000);
    assert_string_equal(topics(ob), "t/1");
    assert_int_equal(access(tmp, F_OK), -1);
    mqtt_outbox_free(ob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_send_window),
        cmocka_unit_test(test_invalid_messages),
        cmocka_unit_test(test_bound_messages_drops_oldest),
        cmocka_unit_test(test_bound_bytes_drops_oldest),
        cmocka_unit_test(test_inflight_never_dropped),
        cmocka_unit_test_setup_teardown(test_persistence_across_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_record_stops_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_an_outbox_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_opener_is_locked_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smaller_bounds_on_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_stays_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_always, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_rewrite_file_ignored, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
