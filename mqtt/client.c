/* client.c - the MQTT client's state machine, run on the loop thread: connection and
 * reconnection with backoff, the outbox send window, resubscription, and the events handed to
 * the caller. Paho itself is behind paho.c; its threads talk to us only through queue.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SUB_BATCHES_OUTSTANDING 8
#define QOS0_MAX_PENDING 1024 /* QoS 0 publishes handed to Paho and not yet written */
#define INCOMING_QUEUE_MAX_BYTES (64u * 1024u * 1024u)
#define MAX_OWNED 16
#define NO_BUFFER_WINDOW 1024 /* outbox_max_messages 0: what may wait while connected */

typedef enum client_state {
    ST_IDLE,       /* not started, or stopped */
    ST_CONNECTING, /* an attempt is under way */
    ST_CONNECTED,
    ST_WAITING, /* for the reconnect timer */
} client_state_t;

struct mqtt_client {
    mqtt_options_t o; /* strings point to owned copies */
    void *owned[MAX_OWNED];
    int nowned;
    mqtt_queue_t *queue;
    mqtt_outbox_t *outbox;
    mqtt_subs_t *subs;
    mqtt_link_t *link;
    bool link_used; /* a connection was attempted on it */
    unsigned gen;
    size_t qos0_pending; /* on the current link */
    int epfd, tfd;
    client_state_t state;
    int backoff_ms;
    uint32_t rng;
    bool overflowing;
    uint64_t write_errors_reported;
    mqtt_stats_t st;
    /* during mqtt_client_dispatch() */
    mqtt_event_fn fn;
    void *fn_ctx;
    int emitted;
};

void mqtt_options_init(mqtt_options_t *o)
{
    memset(o, 0, sizeof(*o));
    o->version = 5;
    o->keepalive = 60;
    o->connect_timeout = 10;
    o->clean_start = true;
    o->verify_hostname = true;
    o->reconnect_min_ms = 1000;
    o->reconnect_max_ms = 60000;
    o->outbox_max_messages = 10000;
    o->outbox_max_bytes = 16u * 1024u * 1024u;
    o->max_inflight = 16;
    o->max_incoming_payload = 256u * 1024u;
    o->max_incoming_queue = 1000;
    o->max_subscriptions = 200000;
}

/* ---- events to the caller ---------------------------------------------------------------- */

static void emit(mqtt_client_t *c, const mqtt_event_t *ev)
{
    c->emitted++;
    if (c->fn)
        c->fn(c->fn_ctx, ev);
}

/* Errors found outside a dispatch go through the queue, so the caller sees them in order. */
static void report(mqtt_client_t *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(mqtt_client_t *c, int code, const char *fmt, ...)
{
    mqtt_qevent_t *ev = mqtt_qevent_new(MQTT_Q_NOTICE, c->gen);
    if (!ev)
        return;
    ev->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
    va_end(ap);
    mqtt_queue_push(c->queue, ev);
}

static void check_outbox_health(mqtt_client_t *c)
{
    mqtt_outbox_stats_t os;
    mqtt_outbox_stats(c->outbox, &os);
    /* The first failure, then each time the count doubles: visible, never a flood. */
    if (os.write_errors > 2 * c->write_errors_reported) {
        c->write_errors_reported = os.write_errors;
        report(c, -os.last_errno, "outbox: cannot write the log in %s: %s", c->o.outbox_dir,
               strerror(os.last_errno));
    }
}

/* ---- connection -------------------------------------------------------------------------- */

static uint32_t next_random(mqtt_client_t *c)
{
    uint32_t x = c->rng; /* xorshift32: jitter only */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return c->rng = x;
}

static void arm_timer(mqtt_client_t *c, int delay_ms)
{
    struct itimerspec its = {0};
    if (delay_ms < 1)
        delay_ms = 1; /* 0 would disarm */
    its.it_value.tv_sec = delay_ms / 1000;
    its.it_value.tv_nsec = (long)(delay_ms % 1000) * 1000000L;
    timerfd_settime(c->tfd, 0, &its, NULL);
}

static void disarm_timer(mqtt_client_t *c)
{
    struct itimerspec its = {0};
    timerfd_settime(c->tfd, 0, &its, NULL);
}

static void schedule_retry(mqtt_client_t *c)
{
    /* +-20% jitter so that a fleet of gateways does not reconnect in lockstep. */
    long base = c->backoff_ms;
    long delay = base * 8 / 10 + (long)(next_random(c) % (uint32_t)(base * 4 / 10 + 1));
    arm_timer(c, (int)delay);
    c->backoff_ms =
        c->backoff_ms > c->o.reconnect_max_ms / 2 ? c->o.reconnect_max_ms : c->backoff_ms * 2;
    c->state = ST_WAITING;
}

/* Every attempt gets a fresh link (see internal.h): whatever the previous one still held is
 * discarded, and its late callbacks carry an old generation that we ignore. */
static void attempt_connect(mqtt_client_t *c)
{
    char err[160];
    mqtt_outbox_requeue_all(c->outbox);
    if (!c->link || c->link_used) {
        mqtt_link_t *fresh = NULL;
        int rc = mqtt_link_new(&fresh, &c->o, c->queue, c->gen + 1, err, sizeof(err));
        if (rc < 0) {
            report(c, rc, "%s", err);
            schedule_retry(c);
            return;
        }
        c->gen++;
        c->qos0_pending = 0; /* what the old link held is gone with it */
        mqtt_link_t *old = c->link;
        c->link = fresh; /* created before the old one is destroyed: Paho keeps its threads */
        mqtt_link_free(old);
    }
    c->link_used = true;
    c->state = ST_CONNECTING;
    int rc = mqtt_link_connect(c->link, err, sizeof(err));
    if (rc < 0) {
        c->st.connect_failures++;
        report(c, rc, "%s", err);
        schedule_retry(c);
    }
}

int mqtt_client_start(mqtt_client_t *c)
{
    if (c->state != ST_IDLE)
        return -EALREADY;
    c->backoff_ms = c->o.reconnect_min_ms;
    attempt_connect(c);
    return 0;
}

int mqtt_client_stop(mqtt_client_t *c, int timeout_ms)
{
    client_state_t was = c->state;
    c->state = ST_IDLE; /* from now on, connection events are ignored (see handle()) */
    disarm_timer(c);
    if (was != ST_CONNECTED) {
        if (was == ST_CONNECTING) {
            mqtt_link_free(c->link); /* abandon the attempt */
            c->link = NULL;
        }
        return 0;
    }
    /* In-flight acknowledgements that arrive meanwhile stay queued for the next dispatch. */
    if (mqtt_link_disconnect(c->link, timeout_ms) < 0)
        return 0;
    return mqtt_queue_wait_for(c->queue, MQTT_Q_DISCONNECTED, timeout_ms + 1000) ? 0 : -ETIMEDOUT;
}

/* ---- sending ----------------------------------------------------------------------------- */

static void drop_refused(mqtt_client_t *c, mqtt_outbox_entry_t *e, int code, const char *why)
{
    c->st.dropped_rejected++;
    report(c, code, "message on %s dropped: %s", e->msg.topic, why);
    mqtt_outbox_remove(c->outbox, e);
}

/* Sends buffered messages, oldest first, while the window has room. */
static void pump_outbox(mqtt_client_t *c)
{
    while (c->state == ST_CONNECTED &&
           mqtt_outbox_inflight(c->outbox) < (size_t)c->o.max_inflight) {
        mqtt_outbox_entry_t *e = mqtt_outbox_next_unsent(c->outbox);
        if (!e)
            break;
        int token = 0;
        int rc = mqtt_link_publish(c->link, &e->msg, &token);
        if (rc == 0)
            mqtt_outbox_set_inflight(c->outbox, e, token);
        else if (rc == -ENOTCONN || rc == -EAGAIN || rc == -ENOBUFS)
            break; /* the LOST event is on its way, or Paho is busy: on the next event */
        else
            drop_refused(c, e, rc, "refused by the MQTT library");
    }
    check_outbox_health(c);
}

static int send_subscribe(void *ctx, char *const *filters, const int *qos, int n, int *token)
{
    mqtt_client_t *c = ctx;
    return mqtt_link_subscribe(c->link, filters, qos, n, token);
}

static void pump_subs(mqtt_client_t *c)
{
    if (c->state != ST_CONNECTED)
        return;
    int rc = mqtt_subs_pump(c->subs, SUB_BATCHES_OUTSTANDING, send_subscribe, c);
    if (rc < 0 && rc != -ENOTCONN && rc != -EAGAIN && rc != -ENOBUFS)
        report(c, rc, "subscribe: %s", strerror(-rc));
}

/* ---- events from Paho -------------------------------------------------------------------- */

static void on_connected(mqtt_client_t *c, const mqtt_qevent_t *q)
{
    c->state = ST_CONNECTED;
    c->backoff_ms = c->o.reconnect_min_ms;
    if (c->st.connects++ > 0)
        c->st.reconnects++;
    /* A fresh link knows of no SUBSCRIBE: renew them all, before anything the caller sends
     * in reply to this event, and send the backlog in its order. */
    mqtt_subs_reset(c->subs);
    pump_subs(c);
    pump_outbox(c);
    mqtt_event_t ev = {.type = MQTT_EVENT_CONNECTED, .session_present = q->flag};
    emit(c, &ev);
}

static void on_connect_failed(mqtt_client_t *c, const mqtt_qevent_t *q)
{
    c->st.connect_failures++;
    schedule_retry(c);
    char text[MQTT_Q_TEXT_MAX + 64];
    snprintf(text, sizeof(text), "connect to %s failed: %s", c->o.uri, q->text);
    mqtt_event_t ev = {.type = MQTT_EVENT_ERROR, .code = q->code, .error = text};
    emit(c, &ev);
}

static void on_lost(mqtt_client_t *c, const mqtt_qevent_t *q)
{
    mqtt_outbox_requeue_all(c->outbox);
    c->backoff_ms = c->o.reconnect_min_ms;
    schedule_retry(c);
    mqtt_event_t ev = {.type = MQTT_EVENT_DISCONNECTED, .code = q->code, .error = q->text};
    emit(c, &ev);
}

static void on_message(mqtt_client_t *c, const mqtt_qevent_t *q)
{
    c->st.received++;
    mqtt_event_t ev = {
        .type = MQTT_EVENT_MESSAGE,
        .topic = q->topic,
        .payload = q->payload,
        .len = q->len,
        .qos = q->qos,
        .retained = q->flag,
        .response_topic = q->response_topic,
        .correlation = q->correlation,
        .correlation_len = q->correlation_len,
        .content_type = q->content_type,
    };
    emit(c, &ev);
}

static void on_published(mqtt_client_t *c, const mqtt_qevent_t *q)
{
    mqtt_outbox_entry_t *e = mqtt_outbox_find_inflight(c->outbox, q->token);
    if (!e)
        return;
    c->st.delivered++;
    /* e is in flight, so nothing the callback may do (publish) can drop it. */
    mqtt_event_t ev = {.type = MQTT_EVENT_DELIVERED, .topic = e->msg.topic, .qos = e->msg.qos};
    emit(c, &ev);
    mqtt_outbox_remove(c->outbox, e);
    c->overflowing = false;
}

static void on_publish_failed(mqtt_client_t *c, const mqtt_qevent_t *q)
{
    mqtt_outbox_entry_t *e = mqtt_outbox_find_inflight(c->outbox, q->token);
    if (!e)
        return;
    if (q->flag)
        drop_refused(c, e, q->code, mqtt_link_strerror(q->code));
    else
        mqtt_outbox_requeue(c->outbox, e); /* sent again when connected */
}

static void report_refused_sub(void *ctx, const char *filter, int code)
{
    mqtt_client_t *c = ctx;
    char text[MQTT_Q_TEXT_MAX + 64];
    snprintf(text, sizeof(text), "subscription to %s refused: %s", filter,
             code == 0x80 ? "failure" : mqtt_link_strerror(code));
    mqtt_event_t ev = {.type = MQTT_EVENT_ERROR, .code = code, .error = text};
    emit(c, &ev);
}

static void on_subscribed(mqtt_client_t *c, const mqtt_qevent_t *q)
{
    /* A failure with a negative code means Paho gave up on the SUBSCRIBE because the
     * connection went: it is renewed after the reconnection, so there is nothing to report. */
    int fail = q->type == MQTT_Q_SUBSCRIBE_FAILED && q->code < 0 ? 0 : q->code;
    mqtt_subs_done(c->subs, q->token, q->ncodes ? q->codes : NULL, q->ncodes, fail,
                   report_refused_sub, c);
    pump_subs(c);
    if (c->state == ST_CONNECTED && mqtt_subs_settled(c->subs)) {
        mqtt_event_t ev = {.type = MQTT_EVENT_SUBSCRIBED};
        emit(c, &ev);
    }
}

/* Connection and acknowledgement events of an older link are stale; messages never are. */
static bool stale(const mqtt_client_t *c, const mqtt_qevent_t *q)
{
    return q->gen != c->gen && q->type != MQTT_Q_MESSAGE && q->type != MQTT_Q_NOTICE;
}

static void handle(mqtt_client_t *c, const mqtt_qevent_t *q)
{
    if (stale(c, q))
        return;
    bool connection_event =
        q->type == MQTT_Q_CONNECTED || q->type == MQTT_Q_CONNECT_FAILED || q->type == MQTT_Q_LOST;
    if (connection_event && c->state == ST_IDLE)
        return; /* stopped meanwhile */
    switch (q->type) {
    case MQTT_Q_CONNECTED:
        on_connected(c, q);
        break;
    case MQTT_Q_CONNECT_FAILED:
        on_connect_failed(c, q);
        break;
    case MQTT_Q_LOST:
        on_lost(c, q);
        break;
    case MQTT_Q_MESSAGE:
        on_message(c, q);
        break;
    case MQTT_Q_PUBLISHED:
        on_published(c, q);
        break;
    case MQTT_Q_PUBLISH_FAILED:
        on_publish_failed(c, q);
        break;
    case MQTT_Q_WRITTEN:
        if (c->qos0_pending > 0)
            c->qos0_pending--;
        break;
    case MQTT_Q_SUBSCRIBED:
    case MQTT_Q_SUBSCRIBE_FAILED:
        on_subscribed(c, q);
        break;
    case MQTT_Q_NOTICE: {
        mqtt_event_t ev = {.type = MQTT_EVENT_ERROR, .code = q->code, .error = q->text};
        emit(c, &ev);
        break;
    }
    case MQTT_Q_DISCONNECTED:
        break; /* a stop that timed out: nothing left to do */
    }
}

int mqtt_client_dispatch(mqtt_client_t *c, mqtt_event_fn fn, void *ctx)
{
    uint64_t expirations = 0;
    if (read(c->tfd, &expirations, sizeof(expirations)) == (ssize_t)sizeof(expirations) &&
        c->state == ST_WAITING)
        attempt_connect(c);
    c->fn = fn;
    c->fn_ctx = ctx;
    c->emitted = 0;
    mqtt_qevent_t *list = mqtt_queue_take_all(c->queue);
    while (list) {
        mqtt_qevent_t *q = list;
        list = q->next;
        handle(c, q);
        mqtt_qevent_free(q);
    }
    pump_outbox(c);
    c->fn = NULL;
    c->fn_ctx = NULL;
    return c->emitted;
}

/* ---- publish and subscribe --------------------------------------------------------------- */

static bool props_valid(const mqtt_pubprops_t *p)
{
    return !p || ((!p->response_topic || mqtt_topic_valid(p->response_topic, false)) &&
                  p->correlation_len <= 65535 && (p->correlation || !p->correlation_len) &&
                  (!p->content_type || strlen(p->content_type) <= 65535));
}

static void note_overflow(mqtt_client_t *c, uint64_t dropped_before)
{
    mqtt_outbox_stats_t os;
    mqtt_outbox_stats(c->outbox, &os);
    if (os.dropped == dropped_before || c->overflowing)
        return;
    c->overflowing = true; /* one event per episode; stats count every message */
    report(c, -ENOBUFS, "outbox full (%zu messages, %zu bytes): dropping the oldest", os.messages,
           os.bytes);
}

int mqtt_client_publish(mqtt_client_t *c, const char *topic, const void *payload, size_t len,
                        int qos, bool retain, const mqtt_pubprops_t *props)
{
    if (!c || !mqtt_topic_valid(topic, false) || (qos != 0 && qos != 1) || (!payload && len) ||
        !props_valid(props))
        return -EINVAL;
    mqtt_message_t m = {
        .topic = topic, .payload = payload, .len = len, .qos = qos, .retain = retain};
    if (props) {
        m.response_topic = props->response_topic;
        m.correlation = props->correlation;
        m.correlation_len = props->correlation_len;
        m.content_type = props->content_type;
    }
    if (qos == 0) {
        /* Fire and forget, but bounded: a slow link must not queue without limit in Paho. */
        int rc = c->state != ST_CONNECTED              ? -ENOTCONN
                 : c->qos0_pending >= QOS0_MAX_PENDING ? -ENOBUFS
                                                       : mqtt_link_publish(c->link, &m, NULL);
        if (rc == -EAGAIN)
            rc = -ENOBUFS;
        if (rc == -ENOTCONN || rc == -ENOBUFS)
            c->st.dropped_qos0++;
        if (rc == 0) {
            c->st.published++;
            c->qos0_pending++;
        }
        return rc;
    }
    if (c->o.outbox_max_messages == 0 && c->state != ST_CONNECTED) {
        c->st.dropped_overflow++; /* no offline buffer: a bound of 0 */
        return -ENOTCONN;
    }
    mqtt_outbox_stats_t os;
    mqtt_outbox_stats(c->outbox, &os);
    int rc = mqtt_outbox_push(c->outbox, &m);
    note_overflow(c, os.dropped);
    if (rc < 0)
        return rc;
    c->st.published++;
    pump_outbox(c);
    return 0;
}

int mqtt_client_subscribe(mqtt_client_t *c, const char *filter, int qos)
{
    if (!c || !mqtt_topic_valid(filter, true) || qos < 0 || qos > 2)
        return -EINVAL;
    int rc = mqtt_subs_add(c->subs, filter, qos);
    if (rc == 0)
        pump_subs(c);
    return rc;
}

int mqtt_client_unsubscribe(mqtt_client_t *c, const char *filter)
{
    if (!c || !filter)
        return -EINVAL;
    int rc = mqtt_subs_remove(c->subs, filter);
    if (rc == 0 && c->state == ST_CONNECTED)
        mqtt_link_unsubscribe(c->link, filter); /* if it fails, the connection is going */
    return rc;
}

void mqtt_client_stats(const mqtt_client_t *c, mqtt_stats_t *ret)
{
    mqtt_outbox_stats_t os;
    mqtt_outbox_stats(c->outbox, &os);
    *ret = c->st;
    ret->dropped_overflow = os.dropped + c->st.dropped_overflow;
    ret->dropped_incoming = mqtt_queue_dropped(c->queue);
    ret->outbox_recovered = os.recovered;
    ret->outbox_discarded_bytes = os.discarded_bytes;
    ret->outbox_write_errors = os.write_errors;
    ret->buffered = os.messages;
    ret->buffered_bytes = os.bytes;
    ret->inflight = os.inflight;
    ret->subscriptions = mqtt_subs_count(c->subs);
    ret->connected = c->state == ST_CONNECTED;
}

int mqtt_client_fd(const mqtt_client_t *c)
{
    return c->epfd;
}

/* ---- creation ---------------------------------------------------------------------------- */

static bool own(mqtt_client_t *c, const char **field, size_t len)
{
    if (!*field)
        return true;
    if (c->nowned == MAX_OWNED)
        return false;
    if (len == SIZE_MAX)
        len = strlen(*field) + 1;
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return false;
    memcpy(copy, *field, len);
    c->owned[c->nowned++] = copy;
    *field = copy;
    return true;
}

static bool copy_options(mqtt_client_t *c, const mqtt_options_t *opts)
{
    c->o = *opts;
    const char **strs[] = {&c->o.uri,        &c->o.client_id, &c->o.username, &c->o.password,
                           &c->o.ca_file,    &c->o.cert_file, &c->o.key_file, &c->o.key_password,
                           &c->o.will_topic, &c->o.outbox_dir};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (!own(c, strs[i], SIZE_MAX))
            return false;
    const char *will = c->o.will_payload;
    if (!own(c, &will, c->o.will_len))
        return false;
    c->o.will_payload = will;
    return true;
}

#define DEFAULT(field, value)                                                                      \
    do {                                                                                           \
        if (!(field))                                                                              \
            (field) = (value);                                                                     \
    } while (0)

static void apply_defaults(mqtt_options_t *o)
{
    mqtt_options_t d;
    mqtt_options_init(&d);
    DEFAULT(o->version, d.version);
    DEFAULT(o->keepalive, d.keepalive);
    DEFAULT(o->connect_timeout, d.connect_timeout);
    DEFAULT(o->reconnect_min_ms, d.reconnect_min_ms);
    DEFAULT(o->reconnect_max_ms, d.reconnect_max_ms);
    DEFAULT(o->outbox_max_bytes, d.outbox_max_bytes);
    DEFAULT(o->max_inflight, d.max_inflight);
    DEFAULT(o->max_incoming_payload, d.max_incoming_payload);
    DEFAULT(o->max_incoming_queue, d.max_incoming_queue);
    DEFAULT(o->max_subscriptions, d.max_subscriptions);
}

static bool is_tls_uri(const char *uri)
{
    return strncmp(uri, "ssl://", 6) == 0 || strncmp(uri, "mqtts://", 8) == 0;
}

/* NULL if the options make sense, else what is wrong. */
static const char *check_options(const mqtt_options_t *o)
{
    if (!o->uri || !*o->uri)
        return "uri: missing";
    if (!o->client_id || !*o->client_id || strlen(o->client_id) > 65535)
        return "client_id: missing or too long";
    if (o->version != 4 && o->version != 5)
        return "version: expected 4 (MQTT 3.1.1) or 5";
    if (o->keepalive < 0 || o->keepalive > 65535)
        return "keepalive: expected 1..65535 s";
    if (o->connect_timeout < 0)
        return "connect_timeout: expected > 0 s";
    if (o->reconnect_min_ms < 0 || o->reconnect_max_ms < o->reconnect_min_ms)
        return "reconnect: expected 0 < min <= max";
    if (o->max_inflight < 1 || o->max_inflight > 65535)
        return "max_inflight: expected 1..65535";
    if ((o->ca_file || o->cert_file || o->key_file) && !is_tls_uri(o->uri))
        return "TLS files given but the uri is not ssl:// or mqtts://";
    if (o->key_file && !o->cert_file)
        return "key_file given without cert_file";
    if (o->will_topic &&
        (!mqtt_topic_valid(o->will_topic, false) || o->will_qos < 0 || o->will_qos > 2 ||
         o->will_len > 65535 || (!o->will_payload && o->will_len)))
        return "will: bad topic, qos or payload (at most 65535 bytes)";
    if (o->max_incoming_payload > 268435455u)
        return "max_incoming_payload: at most 268435455 (the MQTT limit)";
    return NULL;
}

static int open_resources(mqtt_client_t *c, char *err, size_t errlen)
{
    bool buffering = c->o.outbox_max_messages > 0;
    mqtt_outbox_options_t oo = {.dir = buffering ? c->o.outbox_dir : NULL,
                                .max_messages =
                                    buffering ? c->o.outbox_max_messages : NO_BUFFER_WINDOW,
                                .max_bytes = c->o.outbox_max_bytes,
                                .sync = c->o.outbox_sync};
    int rc = mqtt_outbox_open(&c->outbox, &oo, err, errlen);
    if (rc < 0)
        return rc;
    size_t qbytes = c->o.max_incoming_queue * (c->o.max_incoming_payload + 1024);
    if (qbytes / (c->o.max_incoming_payload + 1024) != c->o.max_incoming_queue ||
        qbytes > INCOMING_QUEUE_MAX_BYTES)
        qbytes = INCOMING_QUEUE_MAX_BYTES;
    if ((rc = mqtt_queue_new(&c->queue, c->o.max_incoming_queue, qbytes)) < 0 ||
        (rc = mqtt_subs_new(&c->subs, c->o.max_subscriptions)) < 0) {
        snprintf(err, errlen, "%s", strerror(-rc));
        return rc;
    }
    if ((rc = mqtt_link_new(&c->link, &c->o, c->queue, c->gen, err, errlen)) < 0)
        return rc;
    c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event qe = {.events = EPOLLIN}, te = {.events = EPOLLIN};
    if (c->tfd < 0 || c->epfd < 0 ||
        epoll_ctl(c->epfd, EPOLL_CTL_ADD, mqtt_queue_fd(c->queue), &qe) < 0 ||
        epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->tfd, &te) < 0) {
        rc = -errno;
        snprintf(err, errlen, "event descriptors: %s", strerror(errno));
        return rc;
    }
    return 0;
}

mqtt_client_t *mqtt_client_new(const mqtt_options_t *opts, char *err, size_t errlen)
{
    mqtt_client_t *c = calloc(1, sizeof(*c));
    if (c)
        c->tfd = c->epfd = -1;
    if (!c || !opts || !copy_options(c, opts)) {
        snprintf(err, errlen, opts ? "out of memory" : "no options");
        mqtt_client_free(c);
        return NULL;
    }
    apply_defaults(&c->o);
    const char *problem = check_options(&c->o);
    if (problem) {
        snprintf(err, errlen, "%s", problem);
        mqtt_client_free(c);
        return NULL;
    }
    c->rng = (uint32_t)(uintptr_t)c ^ (uint32_t)time(NULL) ^ 0x9e3779b9u;
    if (c->rng == 0)
        c->rng = 1;
    if (open_resources(c, err, errlen) < 0) {
        mqtt_client_free(c);
        return NULL;
    }
    return c;
}

void mqtt_client_free(mqtt_client_t *c)
{
    if (!c)
        return;
    mqtt_link_free(c->link); /* Paho sends DISCONNECT if still connected */
    mqtt_queue_free(c->queue);
    mqtt_subs_free(c->subs);
    mqtt_outbox_free(c->outbox);
    if (c->tfd >= 0)
        close(c->tfd);
    if (c->epfd >= 0)
        close(c->epfd);
    for (int i = 0; i < c->nowned; i++)
        free(c->owned[i]);
    free(c);
}
