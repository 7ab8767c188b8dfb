/* paho.c - the glue to Paho MQTT C's async client, the only file that includes MQTTAsync.h.
 *
 * Everything named on_* runs on Paho's threads (with Paho's own lock held): it may only read
 * the link's immutable fields and push events into the queue. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <MQTTAsync.h>

#include "internal.h"

/* The context of a SUBSCRIBE of n filters: Paho's 3.1.1 SUBACK callback does not say how many
 * codes it carries, so the count travels in the (immutable) context pointer. */
typedef struct mqtt_link_slot {
    struct mqtt_link *link;
    int n;
} mqtt_link_slot_t;

struct mqtt_link {
    MQTTAsync handle;
    mqtt_link_slot_t slots[MQTT_Q_MAX_CODES + 1];
    mqtt_queue_t *queue;
    const mqtt_options_t *opts;
    unsigned gen;
    int version;
    size_t max_payload;
};

#define PACKET_PUBACK 4
#define PACKET_PUBREC 5
#define MAX_PACKET_OVERHEAD (3u * 65536u + 1024u) /* topic + properties around a payload */

static void push_text(const mqtt_link_t *l, mqtt_qtype_t type, int code, const char *prefix,
                      const char *text)
{
    mqtt_qevent_t *ev = mqtt_qevent_new(type, l->gen);
    if (!ev)
        return; /* out of memory on Paho's thread: nothing better to do */
    ev->code = code;
    snprintf(ev->text, sizeof(ev->text), "%s%s", prefix, text ? text : "");
    mqtt_queue_push(l->queue, ev);
}

const char *mqtt_link_strerror(int paho_code)
{
    if (paho_code > 0)
        return MQTTReasonCode_toString((enum MQTTReasonCodes)paho_code);
    const char *s = MQTTAsync_strerror(paho_code);
    return s ? s : "unknown error";
}

/* ---- connection callbacks ---------------------------------------------------------------- */

static void connected(mqtt_link_t *l, int session_present)
{
    mqtt_qevent_t *ev = mqtt_qevent_new(MQTT_Q_CONNECTED, l->gen);
    if (ev) {
        ev->flag = session_present != 0;
        mqtt_queue_push(l->queue, ev);
    }
}

static void connect_failed(mqtt_link_t *l, int code, const char *message)
{
    /* Paho's message is often NULL; a CONNACK refusal comes as a positive reason code. */
    const char *why = message ? message : mqtt_link_strerror(code);
    mqtt_qevent_t *ev = mqtt_qevent_new(MQTT_Q_CONNECT_FAILED, l->gen);
    if (!ev)
        return;
    ev->code = code;
    if (code > 0)
        snprintf(ev->text, sizeof(ev->text), "refused by the broker: %s", mqtt_link_strerror(code));
    else
        snprintf(ev->text, sizeof(ev->text), "%s", why);
    mqtt_queue_push(l->queue, ev);
}

static void on_connect_ok(void *ctx, MQTTAsync_successData *d)
{
    connected(ctx, d->alt.connect.sessionPresent);
}

static void on_connect_ok5(void *ctx, MQTTAsync_successData5 *d)
{
    connected(ctx, d->alt.connect.sessionPresent);
}

static void on_connect_fail(void *ctx, MQTTAsync_failureData *d)
{
    connect_failed(ctx, d->code, d->message);
}

static void on_connect_fail5(void *ctx, MQTTAsync_failureData5 *d)
{
    connect_failed(ctx, d->code, d->message); /* reasonCode is not always initialised here */
}

static void on_connection_lost(void *ctx, char *cause)
{
    push_text(ctx, MQTT_Q_LOST, -ECONNRESET, "", cause ? cause : "connection lost");
}

static void on_server_disconnect(void *ctx, MQTTProperties *props, enum MQTTReasonCodes reason)
{
    (void)props; /* MQTT 5: the broker says why it closes (e.g. another client took our id) */
    push_text(ctx, MQTT_Q_NOTICE, (int)reason,
              "broker disconnected us: ", MQTTReasonCode_toString(reason));
}

static int on_tls_error(const char *str, size_t len, void *ctx)
{
    char line[MQTT_Q_TEXT_MAX - 8];
    size_t n = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
    memcpy(line, str, n);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    line[n] = 0;
    push_text(ctx, MQTT_Q_NOTICE, -EPROTO, "TLS: ", line);
    return 1;
}

static void on_disconnect_done(void *ctx, MQTTAsync_successData *d)
{
    (void)d;
    push_text(ctx, MQTT_Q_DISCONNECTED, 0, "", NULL);
}

static void on_disconnect_done5(void *ctx, MQTTAsync_successData5 *d)
{
    (void)d;
    push_text(ctx, MQTT_Q_DISCONNECTED, 0, "", NULL);
}

static void on_disconnect_fail(void *ctx, MQTTAsync_failureData *d)
{
    (void)d;
    push_text(ctx, MQTT_Q_DISCONNECTED, 0, "", NULL);
}

static void on_disconnect_fail5(void *ctx, MQTTAsync_failureData5 *d)
{
    (void)d;
    push_text(ctx, MQTT_Q_DISCONNECTED, 0, "", NULL);
}

/* ---- message and acknowledgement callbacks ----------------------------------------------- */

static char *dup_len(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Copies a string property; false only when it is present and the copy failed. */
static bool copy_prop(MQTTProperties *props, enum MQTTPropertyCodes id, char **ret, size_t *ret_len)
{
    MQTTProperty *p = MQTTProperties_getProperty(props, id);
    if (!p)
        return true;
    size_t n = p->value.data.len > 0 && p->value.data.data ? (size_t)p->value.data.len : 0;
    if (n && memchr(p->value.data.data, 0, n) && !ret_len)
        return true; /* a string with NUL inside: ignore the property */
    *ret = dup_len(p->value.data.data, n);
    if (ret_len)
        *ret_len = n;
    return *ret != NULL;
}

static mqtt_qevent_t *message_event(const mqtt_link_t *l, const char *topic, size_t topic_len,
                                    MQTTAsync_message *m)
{
    mqtt_qevent_t *ev = mqtt_qevent_new(MQTT_Q_MESSAGE, l->gen);
    if (!ev)
        return NULL;
    size_t len = (size_t)m->payloadlen;
    ev->topic = dup_len(topic, topic_len);
    ev->payload = malloc(len + 1);
    bool ok = ev->topic && ev->payload;
    if (ok) {
        if (len)
            memcpy(ev->payload, m->payload, len);
        ev->payload[len] = 0;
        ev->len = len;
        ev->qos = m->qos;
        ev->flag = m->retained != 0;
    }
    if (ok && l->version >= MQTTVERSION_5) {
        size_t corr_len = 0;
        ok = copy_prop(&m->properties, MQTTPROPERTY_CODE_RESPONSE_TOPIC, &ev->response_topic,
                       NULL) &&
             copy_prop(&m->properties, MQTTPROPERTY_CODE_CORRELATION_DATA,
                       (char **)&ev->correlation, &corr_len) &&
             copy_prop(&m->properties, MQTTPROPERTY_CODE_CONTENT_TYPE, &ev->content_type, NULL);
        ev->correlation_len = corr_len;
    }
    if (!ok) {
        mqtt_qevent_free(ev);
        return NULL;
    }
    return ev;
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    mqtt_link_t *l = ctx;
    /* Paho passes the topic length (0 at times); a NUL inside makes it an invalid topic. */
    size_t len = strlen(topic);
    bool topic_ok = topic_len <= 0 || (size_t)topic_len == len;
    mqtt_qevent_t *ev = NULL;
    if (topic_ok && m->payloadlen >= 0 && (size_t)m->payloadlen <= l->max_payload)
        ev = message_event(l, topic, len, m);
    if (ev)
        mqtt_queue_push(l->queue, ev); /* counts its own drops */
    else
        mqtt_queue_count_drop(l->queue);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1; /* handled (or dropped for good): Paho must not redeliver */
}

static void published(mqtt_link_t *l, mqtt_qtype_t type, int token, int code, bool refused)
{
    mqtt_qevent_t *ev = mqtt_qevent_new(type, l->gen);
    if (!ev)
        return;
    ev->token = token;
    ev->code = code;
    ev->flag = refused;
    mqtt_queue_push(l->queue, ev);
}

static void on_publish_ok(void *ctx, MQTTAsync_successData *d)
{
    published(ctx, MQTT_Q_PUBLISHED, d->token, 0, false);
}

static void on_publish_ok5(void *ctx, MQTTAsync_successData5 *d)
{
    published(ctx, MQTT_Q_PUBLISHED, d->token, 0, false);
}

/* QoS 0: Paho reports when the write completed or failed; the client bounds what waits. */
static void on_written(void *ctx, MQTTAsync_successData *d)
{
    published(ctx, MQTT_Q_WRITTEN, d->token, 0, false);
}

static void on_written5(void *ctx, MQTTAsync_successData5 *d)
{
    published(ctx, MQTT_Q_WRITTEN, d->token, 0, false);
}

static void on_write_fail(void *ctx, MQTTAsync_failureData *d)
{
    published(ctx, MQTT_Q_WRITTEN, d->token, d->code, false);
}

static void on_write_fail5(void *ctx, MQTTAsync_failureData5 *d)
{
    published(ctx, MQTT_Q_WRITTEN, d->token, d->code, false);
}

static void on_publish_fail(void *ctx, MQTTAsync_failureData *d)
{
    published(ctx, MQTT_Q_PUBLISH_FAILED, d->token, d->code, false);
}

static void on_publish_fail5(void *ctx, MQTTAsync_failureData5 *d)
{
    /* A PUBACK/PUBREC with a reason >= 0x80: the broker refuses this message for good. Any other
     * failure (the session was cleaned on disconnect) means "send it again". */
    bool refused = (d->packet_type == PACKET_PUBACK || d->packet_type == PACKET_PUBREC) &&
                   d->reasonCode >= MQTTREASONCODE_UNSPECIFIED_ERROR;
    published(ctx, MQTT_Q_PUBLISH_FAILED, d->token, refused ? (int)d->reasonCode : d->code,
              refused);
}

static void subscribed(const mqtt_link_slot_t *slot, mqtt_qtype_t type, int token, const int *codes,
                       int code)
{
    mqtt_qevent_t *ev = mqtt_qevent_new(type, slot->link->gen);
    if (!ev)
        return;
    ev->token = token;
    ev->code = code;
    ev->ncodes = codes ? slot->n : 0;
    for (int i = 0; i < ev->ncodes; i++)
        ev->codes[i] = codes[i];
    mqtt_queue_push(slot->link->queue, ev);
}

static void on_subscribe_ok(void *ctx, MQTTAsync_successData *d)
{
    const mqtt_link_slot_t *slot = ctx;
    /* MQTT 3.1.1: granted QoS, or 0x80 for a refusal; Paho gives one filter's in alt.qos. */
    subscribed(slot, MQTT_Q_SUBSCRIBED, d->token, slot->n == 1 ? &d->alt.qos : d->alt.qosList, 0);
}

static void on_subscribe_ok5(void *ctx, MQTTAsync_successData5 *d)
{
    const mqtt_link_slot_t *slot = ctx;
    int codes[MQTT_Q_MAX_CODES];
    for (int i = 0; i < slot->n; i++)
        codes[i] = slot->n == 1 || !d->alt.sub.reasonCodes || i >= d->alt.sub.reasonCodeCount
                       ? (int)d->reasonCode
                       : (int)d->alt.sub.reasonCodes[i];
    subscribed(slot, MQTT_Q_SUBSCRIBED, d->token, codes, 0);
}

static void on_subscribe_fail(void *ctx, MQTTAsync_failureData *d)
{
    subscribed(ctx, MQTT_Q_SUBSCRIBE_FAILED, d->token, NULL, d->code);
}

static void on_subscribe_fail5(void *ctx, MQTTAsync_failureData5 *d)
{
    int code = d->reasonCode >= MQTTREASONCODE_UNSPECIFIED_ERROR ? (int)d->reasonCode : d->code;
    subscribed(ctx, MQTT_Q_SUBSCRIBE_FAILED, d->token, NULL, code);
}

/* ---- the link ---------------------------------------------------------------------------- */

int mqtt_link_new(mqtt_link_t **ret, const mqtt_options_t *opts, mqtt_queue_t *q, unsigned gen,
                  char *err, size_t errlen)
{
    mqtt_link_t *l = calloc(1, sizeof(*l));
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    l->queue = q;
    l->opts = opts;
    l->gen = gen;
    l->version = opts->version;
    l->max_payload = opts->max_incoming_payload;
    for (int i = 0; i <= MQTT_Q_MAX_CODES; i++)
        l->slots[i] = (mqtt_link_slot_t){.link = l, .n = i};
    /* Paho keeps nothing on disk (our outbox does) and buffers nothing while disconnected. */
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    co.MQTTVersion = opts->version;
    co.sendWhileDisconnected = 0;
    /* Paho refuses publishes beyond this many queued, connected or not; the client keeps
     * well below (its window + its own QoS 0 bound), so this is only a backstop. */
    co.maxBufferedMessages = MQTT_LINK_MAX_QUEUED + opts->max_inflight;
    int rc = MQTTAsync_createWithOptions(&l->handle, opts->uri, opts->client_id,
                                         MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc == MQTTASYNC_SUCCESS)
        rc = MQTTAsync_setCallbacks(l->handle, l, on_connection_lost, on_message, NULL);
    if (rc == MQTTASYNC_SUCCESS && opts->version >= MQTTVERSION_5)
        rc = MQTTAsync_setDisconnected(l->handle, l, on_server_disconnect);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, errlen, "%s: %s", opts->uri, mqtt_link_strerror(rc));
        mqtt_link_free(l);
        return rc == MQTTASYNC_BAD_PROTOCOL ? -EPROTONOSUPPORT : -EINVAL;
    }
    *ret = l;
    return 0;
}

void mqtt_link_free(mqtt_link_t *l)
{
    if (!l)
        return;
    if (l->handle)
        MQTTAsync_destroy(&l->handle); /* synchronous: no callback of l runs after this */
    free(l);
}

static void set_tls(const mqtt_options_t *o, mqtt_link_t *l, MQTTAsync_SSLOptions *ssl)
{
    ssl->trustStore = o->ca_file;
    ssl->keyStore = o->cert_file;
    ssl->privateKey = o->key_file;
    ssl->privateKeyPassword = o->key_password;
    ssl->enableServerCertAuth = 1;
    ssl->verify = o->verify_hostname ? 1 : 0;
    ssl->ssl_error_cb = on_tls_error;
    ssl->ssl_error_context = l;
}

static int add_u32_prop(MQTTProperties *props, enum MQTTPropertyCodes id, unsigned value)
{
    MQTTProperty p = {.identifier = id};
    p.value.integer4 = value;
    return MQTTProperties_add(props, &p);
}

static void set_will(const mqtt_options_t *o, MQTTAsync_willOptions *will)
{
    will->topicName = o->will_topic;
    will->message = o->will_len ? NULL : ""; /* Paho wants one of message / payload */
    will->payload.data = o->will_payload;
    will->payload.len = (int)o->will_len;
    will->qos = o->will_qos;
    will->retained = o->will_retain;
}

/* MQTT 5 CONNECT properties: our packet size limit, so that the broker drops what we would
 * drop anyway, and how long the broker keeps the session. */
static void set_connect_props(const mqtt_options_t *o, MQTTProperties *props)
{
    size_t max_packet = o->max_incoming_payload + MAX_PACKET_OVERHEAD;
    add_u32_prop(props, MQTTPROPERTY_CODE_MAXIMUM_PACKET_SIZE,
                 max_packet > 268435460u ? 268435460u : (unsigned)max_packet);
    /* clean_start false with no expiry would end the session at every disconnect: keep it
     * like MQTT 3.1.1 does, until the broker's own limits expire it. */
    unsigned expiry = o->session_expiry ? o->session_expiry : o->clean_start ? 0 : 0xffffffffu;
    if (expiry)
        add_u32_prop(props, MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL, expiry);
}

int mqtt_link_connect(mqtt_link_t *l, char *err, size_t errlen)
{
    const mqtt_options_t *o = l->opts;
    bool v5 = l->version >= MQTTVERSION_5;
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    MQTTAsync_connectOptions co5 = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    MQTTProperties props = MQTTProperties_initializer;
    if (v5)
        co = co5;
    co.MQTTVersion = l->version;
    co.keepAliveInterval = o->keepalive;
    co.connectTimeout = o->connect_timeout;
    co.cleansession = v5 ? 0 : o->clean_start;
    co.cleanstart = v5 ? o->clean_start : 0;
    co.maxInflight = o->max_inflight + 16; /* our window, plus room for SUBSCRIBEs */
    co.automaticReconnect = 0;             /* the client reconnects, on a fresh link */
    co.username = o->username;
    co.password = o->password;
    co.context = l;
    co.onSuccess = v5 ? NULL : on_connect_ok;
    co.onFailure = v5 ? NULL : on_connect_fail;
    co.onSuccess5 = v5 ? on_connect_ok5 : NULL;
    co.onFailure5 = v5 ? on_connect_fail5 : NULL;
    if (v5) {
        set_connect_props(o, &props);
        co.connectProperties = &props;
    }
    if (o->will_topic) {
        set_will(o, &will);
        co.will = &will;
    }
    if (strncmp(o->uri, "ssl://", 6) == 0 || strncmp(o->uri, "mqtts://", 8) == 0) {
        set_tls(o, l, &ssl);
        co.ssl = &ssl;
    }
    int rc = MQTTAsync_connect(l->handle, &co); /* copies what it keeps */
    MQTTProperties_free(&props);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, errlen, "connect: %s", mqtt_link_strerror(rc));
        return -EINVAL;
    }
    return 0;
}

static int add_str_prop(MQTTProperties *props, enum MQTTPropertyCodes id, const void *data,
                        size_t len)
{
    MQTTProperty p = {.identifier = id};
    p.value.data.data = (char *)data; /* MQTTProperties_add copies */
    p.value.data.len = (int)len;
    return MQTTProperties_add(props, &p);
}

static int map_send_error(int rc)
{
    switch (rc) {
    case MQTTASYNC_SUCCESS:
        return 0;
    case MQTTASYNC_DISCONNECTED:
        return -ENOTCONN;
    case MQTTASYNC_MAX_BUFFERED_MESSAGES:
        return -ENOBUFS;
    case MQTTASYNC_MAX_MESSAGES_INFLIGHT:
    case MQTTASYNC_NO_MORE_MSGIDS:
        return -EAGAIN;
    default:
        return -EINVAL;
    }
}

int mqtt_link_publish(mqtt_link_t *l, const mqtt_message_t *m, int *ret_token)
{
    MQTTAsync_message pm = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    MQTTProperties props = MQTTProperties_initializer;
    if (m->len > INT_MAX)
        return -EMSGSIZE;
    pm.payload = (void *)m->payload;
    pm.payloadlen = (int)m->len;
    pm.qos = m->qos;
    pm.retained = m->retain;
    ro.context = l;
    bool v5 = l->version >= MQTTVERSION_5;
    if (v5) {
        int rc = 0;
        if (m->response_topic)
            rc |= add_str_prop(&props, MQTTPROPERTY_CODE_RESPONSE_TOPIC, m->response_topic,
                               strlen(m->response_topic));
        if (m->correlation_len)
            rc |= add_str_prop(&props, MQTTPROPERTY_CODE_CORRELATION_DATA, m->correlation,
                               m->correlation_len);
        if (m->content_type)
            rc |= add_str_prop(&props, MQTTPROPERTY_CODE_CONTENT_TYPE, m->content_type,
                               strlen(m->content_type));
        if (rc) {
            MQTTProperties_free(&props);
            return -ENOMEM;
        }
        pm.properties = props;
    }
    if (v5) {
        ro.onSuccess5 = m->qos > 0 ? on_publish_ok5 : on_written5;
        ro.onFailure5 = m->qos > 0 ? on_publish_fail5 : on_write_fail5;
    } else {
        ro.onSuccess = m->qos > 0 ? on_publish_ok : on_written;
        ro.onFailure = m->qos > 0 ? on_publish_fail : on_write_fail;
    }
    /* Paho copies topic, payload and properties into its command. */
    int rc = MQTTAsync_sendMessage(l->handle, m->topic, &pm, &ro);
    MQTTProperties_free(&props);
    if (rc == MQTTASYNC_SUCCESS && ret_token)
        *ret_token = ro.token;
    return map_send_error(rc);
}

int mqtt_link_subscribe(mqtt_link_t *l, char *const *filters, const int *qos, int n, int *ret_token)
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    if (n < 1 || n > MQTT_Q_MAX_CODES)
        return -EINVAL;
    ro.context = &l->slots[n];
    if (l->version >= MQTTVERSION_5) {
        ro.onSuccess5 = on_subscribe_ok5;
        ro.onFailure5 = on_subscribe_fail5;
    } else {
        ro.onSuccess = on_subscribe_ok;
        ro.onFailure = on_subscribe_fail;
    }
    int rc = n == 1 ? MQTTAsync_subscribe(l->handle, filters[0], qos[0], &ro)
                    : MQTTAsync_subscribeMany(l->handle, n, filters, (int *)qos, &ro);
    if (rc == MQTTASYNC_SUCCESS)
        *ret_token = ro.token;
    return map_send_error(rc);
}

int mqtt_link_unsubscribe(mqtt_link_t *l, const char *filter)
{
    /* No callback: a failed UNSUBSCRIBE leaves a subscription we will drop at the next
     * reconnection anyway (we resubscribe only what we remember). */
    return map_send_error(MQTTAsync_unsubscribe(l->handle, filter, NULL));
}

int mqtt_link_disconnect(mqtt_link_t *l, int timeout_ms)
{
    MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
    MQTTAsync_disconnectOptions d5 = MQTTAsync_disconnectOptions_initializer5;
    if (l->version >= MQTTVERSION_5) {
        d = d5;
        d.onSuccess5 = on_disconnect_done5;
        d.onFailure5 = on_disconnect_fail5;
    } else {
        d.onSuccess = on_disconnect_done;
        d.onFailure = on_disconnect_fail;
    }
    d.timeout = timeout_ms;
    d.context = l;
    return map_send_error(MQTTAsync_disconnect(l->handle, &d));
}
