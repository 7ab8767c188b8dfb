/* test_mqtt_queue.c - the queue from Paho's threads to the loop (mqtt/queue.c): order across
 * threads, the eventfd, bounds on incoming messages, waiting for one event type. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../mqtt/internal.h"

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

static mqtt_qevent_t *message(size_t len)
{
    mqtt_qevent_t *ev = mqtt_qevent_new(MQTT_Q_MESSAGE, 1);
    ev->topic = strdup("t");
    ev->payload = calloc(1, len + 1);
    ev->len = len;
    return ev;
}

static int count_and_free(mqtt_qevent_t *list)
{
    int n = 0;
    while (list) {
        mqtt_qevent_t *next = list->next;
        mqtt_qevent_free(list);
        list = next;
        n++;
    }
    return n;
}

static void test_fifo_and_eventfd(void **state)
{
    (void)state;
    mqtt_queue_t *q = NULL;
    assert_int_equal(mqtt_queue_new(&q, 10, 1000), 0);
    assert_false(readable(mqtt_queue_fd(q)));
    for (int i = 0; i < 3; i++) {
        mqtt_qevent_t *ev = mqtt_qevent_new(MQTT_Q_PUBLISHED, 1);
        ev->token = i;
        assert_int_equal(mqtt_queue_push(q, ev), 0);
    }
    assert_true(readable(mqtt_queue_fd(q)));
    mqtt_qevent_t *list = mqtt_queue_take_all(q);
    assert_false(readable(mqtt_queue_fd(q)));
    int i = 0;
    for (mqtt_qevent_t *ev = list; ev; ev = ev->next)
        assert_int_equal(ev->token, i++);
    assert_int_equal(count_and_free(list), 3);
    assert_null(mqtt_queue_take_all(q));
    mqtt_queue_free(q);
}

static void test_message_bounds(void **state)
{
    (void)state;
    mqtt_queue_t *q = NULL;
    assert_int_equal(mqtt_queue_new(&q, 3, 100), 0);
    assert_int_equal(mqtt_queue_push(q, message(10)), 0);
    assert_int_equal(mqtt_queue_push(q, message(10)), 0);
    assert_int_equal(mqtt_queue_push(q, message(200)), -ENOBUFS); /* bytes */
    assert_int_equal(mqtt_queue_push(q, message(10)), 0);
    assert_int_equal(mqtt_queue_push(q, message(10)), -ENOBUFS); /* count */
    /* Control events are never refused: the state machine depends on them. */
    assert_int_equal(mqtt_queue_push(q, mqtt_qevent_new(MQTT_Q_LOST, 1)), 0);
    mqtt_queue_count_drop(q);
    assert_int_equal(mqtt_queue_dropped(q), 3);
    assert_int_equal(count_and_free(mqtt_queue_take_all(q)), 4);
    /* Taking frees the room. */
    assert_int_equal(mqtt_queue_push(q, message(90)), 0);
    mqtt_queue_free(q); /* frees what is still queued */
}

static void test_wait_for_leaves_others(void **state)
{
    (void)state;
    mqtt_queue_t *q = NULL;
    assert_int_equal(mqtt_queue_new(&q, 10, 1000), 0);
    assert_false(mqtt_queue_wait_for(q, MQTT_Q_DISCONNECTED, 10));
    assert_int_equal(mqtt_queue_push(q, message(1)), 0);
    assert_int_equal(mqtt_queue_push(q, mqtt_qevent_new(MQTT_Q_DISCONNECTED, 1)), 0);
    assert_int_equal(mqtt_queue_push(q, mqtt_qevent_new(MQTT_Q_PUBLISHED, 1)), 0);
    assert_true(mqtt_queue_wait_for(q, MQTT_Q_DISCONNECTED, 10));
    mqtt_qevent_t *list = mqtt_queue_take_all(q);
    assert_int_equal(list->type, MQTT_Q_MESSAGE);
    assert_int_equal(list->next->type, MQTT_Q_PUBLISHED);
    assert_null(list->next->next);
    count_and_free(list);
    mqtt_queue_free(q);
}

#define THREADS 4
#define PER_THREAD 5000

typedef struct producer {
    mqtt_queue_t *q;
    int id;
} producer_t;

static void *produce(void *arg)
{
    producer_t *p = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        mqtt_qevent_t *ev = mqtt_qevent_new(MQTT_Q_PUBLISHED, 1);
        ev->code = p->id;
        ev->token = i;
        mqtt_queue_push(p->q, ev);
    }
    mqtt_qevent_t *done = mqtt_qevent_new(MQTT_Q_DISCONNECTED, 1);
    done->code = p->id;
    mqtt_queue_push(p->q, done);
    return NULL;
}

static void test_threads_keep_their_order(void **state)
{
    (void)state;
    mqtt_queue_t *q = NULL;
    assert_int_equal(mqtt_queue_new(&q, 10, 1000), 0);
    pthread_t t[THREADS];
    producer_t p[THREADS];
    for (int i = 0; i < THREADS; i++) {
        p[i] = (producer_t){.q = q, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
    }
    int next[THREADS] = {0}, done = 0;
    while (done < THREADS) {
        struct pollfd pfd = {.fd = mqtt_queue_fd(q), .events = POLLIN};
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        mqtt_qevent_t *list = mqtt_queue_take_all(q);
        for (mqtt_qevent_t *ev = list; ev; ev = ev->next) {
            if (ev->type == MQTT_Q_DISCONNECTED) {
                assert_int_equal(next[ev->code], PER_THREAD);
                done++;
            } else {
                assert_int_equal(ev->token, next[ev->code]++); /* per producer, in order */
            }
        }
        count_and_free(list);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    mqtt_queue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_eventfd),
        cmocka_unit_test(test_message_bounds),
        cmocka_unit_test(test_wait_for_leaves_others),
        cmocka_unit_test(test_threads_keep_their_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
