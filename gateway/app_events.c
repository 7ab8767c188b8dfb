/* app_events.c - what happens when the LwM2M server or the MQTT client reports something:
 * bridge it to MQTT, persist what must survive a restart, log one line per meaningful event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "log.h"

static int64_t wall(void)
{
    return loop_wall_ms();
}

void app_publish(app_t *app, bridge_out_t *out)
{
    for (size_t i = 0; i < out->count; i++) {
        const bridge_msg_t *m = &out->items[i];
        mqtt_pubprops_t props = {.correlation = m->correlation,
                                 .correlation_len = m->correlation_len};
        int rc = mqtt_client_publish(app->mqtt, m->topic, m->payload, m->len, m->qos, m->retain,
                                     m->correlation ? &props : NULL);
        if (rc < 0)
            log_warning("mqtt: cannot publish to %s: %s", m->topic, strerror(-rc));
        else
            app->counters.published++;
    }
    bridge_out_clear(out);
}

void app_on_security(void *ctx, const char *endpoint, const lwm2m_cred_identity_t *identity,
                     const char *reason)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    const char *kind = lwm2m_cred_kind_name(identity->kind);
    log_warning("%s: refused (%s%s%s): %s", endpoint, kind, identity->value[0] ? " " : "",
                identity->value, reason);
    bridge_security_event(app->bridge, endpoint, kind, identity->value, reason, wall(), &out);
    app_publish(app, &out);
}

static void bind_submitting(app_t *app, uint64_t request_id)
{
    if (app->submitting && !app->submitted) {
        bridge_command_submitted(app->bridge, app->submitting, request_id);
        app->submitted = true;
    }
}

/* Per-device subscription mode: subscribe to a device's command topics while it is served. */
void app_device_subscriptions(app_t *app, const char *endpoint, bool subscribe)
{
    char filters[4][256];
    if (app->conf->bridge.subscription != LMG_CONF_SUBSCRIBE_PER_DEVICE)
        return;
    size_t n = bridge_command_filters(app->bridge, endpoint, filters, 4);
    for (size_t i = 0; i < n; i++) {
        if (subscribe)
            mqtt_client_subscribe(app->mqtt, filters[i], 1);
        else
            mqtt_client_unsubscribe(app->mqtt, filters[i]);
    }
}

static void on_registered(void *ctx, const lwm2m_registration_t *reg, bool replaced)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    app->counters.uplinks++;
    log_info("%s: registered (%s, lwm2m %s, lifetime %u s%s) at %s", reg->endpoint, reg->location,
             lwm2m_version_name(reg->version), (unsigned)reg->lifetime,
             reg->queue_mode ? ", queue mode" : "", reg->peer.address);
    if (state_save_registration(app->state, reg, loop_wall_ms() - loop_now_ms()) < 0)
        log_error("%s: cannot save the registration to the state store", reg->endpoint);
    bridge_registered(app->bridge, reg, replaced, wall(), &out);
    app_publish(app, &out);
    app_device_subscriptions(app, reg->endpoint, true);
    app_observe_device(app, reg);
    firmware_on_registered(app->fw, reg);
}

/* An auto-observe rule whose observation isn't there (it failed, or the device forgot it) is
 * issued again at the device's next Update: observations heal themselves. */
static void observe_missing(app_t *app, const lwm2m_registration_t *reg)
{
    bridge_command_t cmds[32];
    size_t n = bridge_auto_observe(app->bridge, reg, cmds, sizeof(cmds) / sizeof(cmds[0]));
    for (size_t i = 0; i < n; i++) {
        const lwm2m_request_t *r = &cmds[i].request;
        const lwm2m_path_t *first = r->path_count ? &r->paths[0] : &r->path;
        if (!lwm2m_server_observing(app->server, reg->endpoint, first))
            app_submit(app, &cmds[i]);
        bridge_command_clear(&cmds[i]);
    }
}

static void on_updated(void *ctx, const lwm2m_registration_t *reg, bool objects_changed)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    app->counters.uplinks++;
    log_debug("%s: update%s", reg->endpoint, objects_changed ? " with a new object list" : "");
    if (state_save_registration(app->state, reg, loop_wall_ms() - loop_now_ms()) < 0)
        log_error("%s: cannot save the registration to the state store", reg->endpoint);
    bridge_updated(app->bridge, reg, wall(), &out);
    app_publish(app, &out);
    observe_missing(app, reg);
}

static void on_deregistered(void *ctx, const lwm2m_registration_t *reg, lwm2m_dereg_reason_t why)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    if (why == LWM2M_DEREG_EXPIRED)
        log_notice("%s: registration expired", reg->endpoint);
    else
        log_info("%s: %s", reg->endpoint, lwm2m_dereg_reason_name(why));
    if (why != LWM2M_DEREG_REPLACED && state_delete_registration(app->state, reg->endpoint) < 0)
        log_error("%s: cannot delete the registration from the state store", reg->endpoint);
    bridge_deregistered(app->bridge, reg, why, wall(), &out);
    app_publish(app, &out);
    if (why != LWM2M_DEREG_REPLACED)
        app_device_subscriptions(app, reg->endpoint, false);
}

static void on_awake_changed(void *ctx, const lwm2m_registration_t *reg)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    log_debug("%s: %s", reg->endpoint, reg->awake ? "awake" : "sleeping");
    bridge_awake_changed(app->bridge, reg, wall(), &out);
    app_publish(app, &out);
}

static void on_result(void *ctx, const lwm2m_registration_t *reg, const lwm2m_result_t *result)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    bind_submitting(app, result->request_id);
    if (firmware_on_result(app->fw, reg, result))
        return;
    if (result->status != LWM2M_RESULT_RESPONSE)
        log_info("%s: %s #%llu: %s%s%s", reg->endpoint, lwm2m_req_type_name(result->type),
                 (unsigned long long)result->request_id, lwm2m_result_status_name(result->status),
                 result->error ? ": " : "", result->error ? result->error : "");
    else if (result->error)
        log_warning("%s: %s #%llu: %s", reg->endpoint, lwm2m_req_type_name(result->type),
                    (unsigned long long)result->request_id, result->error);
    bridge_result(app->bridge, reg, result, wall(), &out);
    app_publish(app, &out);
}

static void on_notify(void *ctx, const lwm2m_registration_t *reg, uint64_t request_id,
                      const lwm2m_nodes_t *nodes)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    app->counters.notifications++;
    firmware_on_notify(app->fw, reg, request_id, nodes);
    bridge_notify(app->bridge, reg, request_id, nodes, wall(), &out);
    app_publish(app, &out);
}

static void on_observe_ended(void *ctx, const lwm2m_registration_t *reg, uint64_t request_id,
                             int code)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    log_info("%s: observation #%llu ended by the device (%d.%02d)", reg->endpoint,
             (unsigned long long)request_id, code / 100, code % 100);
    bridge_observe_ended(app->bridge, reg, request_id, code, wall(), &out);
    app_publish(app, &out);
}

static void on_send(void *ctx, const lwm2m_registration_t *reg, const lwm2m_nodes_t *nodes)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    app->counters.sends++;
    bridge_send(app->bridge, reg, nodes, wall(), &out);
    app_publish(app, &out);
}

static void on_queued(void *ctx, const lwm2m_registration_t *reg, uint64_t request_id)
{
    app_t *app = ctx;
    bridge_out_t out = {0};
    bind_submitting(app, request_id);
    log_debug("%s: request #%llu queued until the device wakes", reg->endpoint,
              (unsigned long long)request_id);
    if (app->submitting && app->submitting->json && !app->restoring) {
        state_command_t sc = {.endpoint = reg->endpoint,
                              .command = app->submitting->json,
                              .reply_topic = app->submitting->reply_topic,
                              .correlation = app->submitting->correlation,
                              .correlation_len = app->submitting->correlation_len};
        if (state_add_command(app->state, &sc, NULL) < 0)
            log_error("%s: cannot persist a queued command", reg->endpoint);
    }
    bridge_queued(app->bridge, reg, request_id, wall(), &out);
    app_publish(app, &out);
}

const lwm2m_server_events_t app_server_events = {
    .registered = on_registered,
    .updated = on_updated,
    .deregistered = on_deregistered,
    .awake_changed = on_awake_changed,
    .result = on_result,
    .notify = on_notify,
    .observe_ended = on_observe_ended,
    .send = on_send,
    .queued = on_queued,
};

/* The key of an observation intent: its path, or its paths joined by ','. */
static void intent_key(const lwm2m_request_t *r, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = 0;
    if (!r->path_count) {
        lwm2m_path_format(&r->path, buf, size);
        return;
    }
    for (size_t i = 0; i < r->path_count && off + LWM2M_PATH_STR_MAX + 1 < size; i++) {
        if (i)
            buf[off++] = ',';
        int n = lwm2m_path_format(&r->paths[i], buf + off, size - off);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

/* Cloud-requested observations are remembered so that they are re-established after every
 * Register and after a restart; cancel-observe forgets them. */
static void remember_intent(app_t *app, const bridge_command_t *cmd)
{
    char key[1024];
    lwm2m_req_type_t t = cmd->request.type;
    if (!cmd->json || app->restoring)
        return;
    intent_key(&cmd->request, key, sizeof(key));
    if (t == LWM2M_REQ_OBSERVE || t == LWM2M_REQ_OBSERVE_COMPOSITE) {
        state_observation_t obs = {.endpoint = cmd->endpoint,
                                   .paths = key,
                                   .attributes = cmd->request.attributes,
                                   .origin = cmd->json};
        if (state_add_observation(app->state, &obs) < 0)
            log_error("%s: cannot persist an observation", cmd->endpoint);
    } else if (t == LWM2M_REQ_CANCEL_OBSERVE || t == LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE) {
        state_delete_observation(app->state, cmd->endpoint, key);
    }
}

void app_submit(app_t *app, bridge_command_t *cmd)
{
    uint64_t id = 0;
    lwm2m_error_t err = {0};
    app->counters.commands++;
    app->submitting = cmd;
    app->submitted = false;
    int rc =
        lwm2m_server_request(app->server, cmd->endpoint, &cmd->request, loop_now_ms(), &id, &err);
    if (rc < 0) {
        bridge_out_t out = {0};
        app->counters.command_errors++;
        log_info("%s: command %s refused: %s", cmd->endpoint, cmd->id, err.message);
        bridge_command_rejected(app->bridge, cmd, rc, err.message, wall(), &out);
        app_publish(app, &out);
    } else {
        if (!app->submitted)
            bridge_command_submitted(app->bridge, cmd, id);
        remember_intent(app, cmd);
    }
    app->submitting = NULL;
}

typedef struct intent_ctx {
    app_t *app;
    const char *endpoint;
} intent_ctx_t;

static void reissue_intent(void *ctx, const state_observation_t *obs)
{
    intent_ctx_t *ic = ctx;
    bridge_command_t cmd;
    bridge_out_t out = {0};
    char topic[1024], ep[3 * LWM2M_ENDPOINT_MAX + 1];
    if (strcmp(obs->endpoint, ic->endpoint) != 0)
        return;
    memset(&cmd, 0, sizeof(cmd));
    bridge_escape_endpoint(obs->endpoint, ep, sizeof(ep));
    snprintf(topic, sizeof(topic), "%s/%s/command", ic->app->conf->bridge.root, ep);
    if (bridge_parse_command(ic->app->bridge, topic, (const uint8_t *)obs->origin,
                             strlen(obs->origin), NULL, NULL, 0, &cmd, &out, loop_wall_ms()) == 1) {
        bool was = ic->app->restoring;
        ic->app->restoring = true; /* already stored */
        app_submit(ic->app, &cmd);
        ic->app->restoring = was;
    }
    bridge_out_clear(&out);
    bridge_command_clear(&cmd);
}

void app_observe_device(app_t *app, const lwm2m_registration_t *reg)
{
    bridge_command_t cmds[32];
    size_t n = bridge_auto_observe(app->bridge, reg, cmds, sizeof(cmds) / sizeof(cmds[0]));
    for (size_t i = 0; i < n; i++) {
        app_submit(app, &cmds[i]);
        bridge_command_clear(&cmds[i]);
    }
    intent_ctx_t ic = {app, reg->endpoint};
    state_load_observations(app->state, reg->endpoint, reissue_intent, &ic);
}

static void on_message(app_t *app, const mqtt_event_t *ev)
{
    bridge_command_t cmd;
    bridge_out_t out = {0};
    if (app->fw && firmware_on_mqtt(app->fw, ev->topic, ev->payload, ev->len, ev->response_topic,
                                    ev->correlation, ev->correlation_len))
        return;
    memset(&cmd, 0, sizeof(cmd));
    int rc = bridge_parse_command(app->bridge, ev->topic, ev->payload, ev->len, ev->response_topic,
                                  ev->correlation, ev->correlation_len, &cmd, &out, loop_wall_ms());
    if (rc < 0) {
        app->counters.command_errors++;
        log_info("mqtt: malformed command on %s", ev->topic);
    }
    app_publish(app, &out);
    if (rc == 1)
        app_submit(app, &cmd);
    bridge_command_clear(&cmd);
}

void app_on_mqtt(void *ctx, const mqtt_event_t *ev)
{
    app_t *app = ctx;
    switch (ev->type) {
    case MQTT_EVENT_CONNECTED:
        log_info("mqtt: connected to %s", app->conf->mqtt.uri);
        app_publish_status(app, true);
        break;
    case MQTT_EVENT_DISCONNECTED:
        log_warning("mqtt: connection lost: %s (buffering QoS 1 messages)",
                    ev->error ? ev->error : "unknown reason");
        break;
    case MQTT_EVENT_MESSAGE:
        on_message(app, ev);
        break;
    case MQTT_EVENT_ERROR:
        log_warning("mqtt: %s", ev->error ? ev->error : "error");
        break;
    default:
        break;
    }
}
