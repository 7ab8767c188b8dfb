/* queue.c - the thread-safe FIFO that carries events from Paho's threads to the loop thread,
 * with an eventfd that is readable while it is not empty. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct mqtt_queue {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* signalled on every push, for mqtt_queue_wait_for() */
    mqtt_qevent_t *head, *tail;
    size_t messages, bytes;         /* MESSAGE events queued */
    size_t max_messages, max_bytes; /* their bounds */
    uint64_t dropped;
    int efd;
};

static size_t event_bytes(const mqtt_qevent_t *ev)
{
    if (ev->type != MQTT_Q_MESSAGE)
        return 0;
    return ev->len + ev->correlation_len + (ev->topic ? strlen(ev->topic) : 0) +
           (ev->response_topic ? strlen(ev->response_topic) : 0) +
           (ev->content_type ? strlen(ev->content_type) : 0);
}

mqtt_qevent_t *mqtt_qevent_new(mqtt_qtype_t type, unsigned gen)
{
    mqtt_qevent_t *ev = calloc(1, sizeof(*ev));
    if (ev) {
        ev->type = type;
        ev->gen = gen;
    }
    return ev;
}

void mqtt_qevent_free(mqtt_qevent_t *ev)
{
    if (!ev)
        return;
    free(ev->topic);
    free(ev->payload);
    free(ev->response_topic);
    free(ev->correlation);
    free(ev->content_type);
    free(ev);
}

int mqtt_queue_new(mqtt_queue_t **ret, size_t max_messages, size_t max_bytes)
{
    mqtt_queue_t *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->efd < 0) {
        int rc = -errno;
        free(q);
        return rc;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&q->lock, NULL);
    q->max_messages = max_messages;
    q->max_bytes = max_bytes;
    *ret = q;
    return 0;
}

void mqtt_queue_free(mqtt_queue_t *q)
{
    if (!q)
        return;
    for (mqtt_qevent_t *ev = q->head, *next; ev; ev = next) {
        next = ev->next;
        mqtt_qevent_free(ev);
    }
    close(q->efd);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

int mqtt_queue_fd(const mqtt_queue_t *q)
{
    return q->efd;
}

int mqtt_queue_push(mqtt_queue_t *q, mqtt_qevent_t *ev)
{
    size_t bytes = event_bytes(ev);
    pthread_mutex_lock(&q->lock);
    if (ev->type == MQTT_Q_MESSAGE &&
        (q->messages >= q->max_messages || bytes > q->max_bytes - q->bytes)) {
        q->dropped++;
        pthread_mutex_unlock(&q->lock);
        mqtt_qevent_free(ev);
        return -ENOBUFS;
    }
    if (ev->type == MQTT_Q_MESSAGE) {
        q->messages++;
        q->bytes += bytes;
    }
    ev->next = NULL;
    if (q->tail)
        q->tail->next = ev;
    else
        q->head = ev;
    q->tail = ev;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
    uint64_t one = 1;
    /* Cannot fail short of a counter overflow (2^64 - 1 unread pushes). */
    ssize_t n = write(q->efd, &one, sizeof(one));
    (void)n;
    return 0;
}

void mqtt_queue_count_drop(mqtt_queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    q->dropped++;
    pthread_mutex_unlock(&q->lock);
}

uint64_t mqtt_queue_dropped(mqtt_queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    uint64_t n = q->dropped;
    pthread_mutex_unlock(&q->lock);
    return n;
}

mqtt_qevent_t *mqtt_queue_take_all(mqtt_queue_t *q)
{
    /* Clear the eventfd first: a push that lands after this read makes it readable again. */
    uint64_t count;
    ssize_t n = read(q->efd, &count, sizeof(count));
    (void)n;
    pthread_mutex_lock(&q->lock);
    mqtt_qevent_t *list = q->head;
    q->head = q->tail = NULL;
    q->messages = 0;
    q->bytes = 0;
    pthread_mutex_unlock(&q->lock);
    return list;
}

/* Removes the first event of that type, if any. Called with the lock held. */
static bool take_type(mqtt_queue_t *q, mqtt_qtype_t type)
{
    for (mqtt_qevent_t **pp = &q->head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next) {
        mqtt_qevent_t *ev = *pp;
        if (ev->type != type)
            continue;
        *pp = ev->next;
        if (q->tail == ev)
            q->tail = prev;
        mqtt_qevent_free(ev);
        return true;
    }
    return false;
}

bool mqtt_queue_wait_for(mqtt_queue_t *q, mqtt_qtype_t type, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->lock);
    bool found;
    while (!(found = take_type(q, type)))
        if (pthread_cond_timedwait(&q->cond, &q->lock, &deadline) == ETIMEDOUT) {
            found = take_type(q, type);
            break;
        }
    pthread_mutex_unlock(&q->lock);
    return found;
}
