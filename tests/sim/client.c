/* client.c - the LwM2M client side of a simulated device: Register, Update, De-register, Send,
 * registration floods, and queue mode (sleeping, waking with an Update). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "lwm2m/codec.h"
#include "lwm2m/link.h"
#include "sim.h"

void sim_client_init_device(sim_device_t *dev)
{
    dev->lifetime = dev->sim->opt.lifetime;
    dev->queue = dev->sim->opt.queue;
    dev->awake_ms = dev->sim->opt.awake_s * 1000u;
    dev->reg = SIM_REG_IDLE;
}

static int64_t sim_update_interval(const sim_device_t *dev)
{
    int64_t ms = (int64_t)dev->lifetime * 900; /* 90% of the lifetime */
    return ms < 1000 ? 1000 : ms;
}

static void sim_client_event(sim_device_t *dev, const char *name, const sim_msg_t *msg,
                             const char *reason)
{
    sim_event_t ev;
    sim_event_device(&ev, name, dev);
    if (msg)
        sim_event_code(&ev, "code", msg->code);
    if (reason)
        sim_event_str(&ev, "reason", reason);
    if (dev->location[0])
        sim_event_str(&ev, "location", dev->location);
    sim_event_end(&ev);
}

/* The object list: `</>;rt="oma.lwm2m";ct=...` (1.1+), then objects with ver and instances. */
static int sim_link_payload(const sim_device_t *dev, lwm2m_buf_t *out)
{
    const sim_t *sim = dev->sim;
    lwm2m_links_t links = {0};
    lwm2m_link_t *link;
    int rc = 0;
    if (sim->opt.version_minor >= 1) {
        static const uint16_t announce[] = {LWM2M_CF_SENML_JSON, LWM2M_CF_SENML_CBOR,
                                            LWM2M_CF_OMA_JSON, LWM2M_CF_LWM2M_CBOR};
        char ct[64] = "";
        size_t n = 0;
        for (size_t i = 0; i < sizeof(announce) / sizeof(announce[0]); i++) {
            if (!sim_ops_format_supported(sim, announce[i]))
                continue;
            size_t len = strlen(ct);
            snprintf(ct + len, sizeof(ct) - len, "%s%u", n++ ? " " : "", announce[i]);
        }
        rc = lwm2m_links_add(&links, "/", &link);
        if (rc == 0)
            rc = lwm2m_link_add_attr(link, "rt", "oma.lwm2m", true);
        if (rc == 0 && n)
            rc = lwm2m_link_add_attr(link, "ct", ct, n > 1);
    }
    const sim_store_t *st = &dev->store;
    for (size_t i = 0; rc == 0 && i < st->instance_count; i++) {
        char uri[LWM2M_PATH_STR_MAX];
        uint16_t obj = st->instances[i].obj;
        bool first = i == 0 || st->instances[i - 1].obj != obj;
        const lwm2m_object_def_t *def = lwm2m_model_object(sim->model, obj);
        if (first && sim->opt.version_minor >= 1 && def && strcmp(def->version, "1.0") != 0) {
            snprintf(uri, sizeof(uri), "/%u", obj);
            rc = lwm2m_links_add(&links, uri, &link);
            if (rc == 0)
                rc = lwm2m_link_add_attr(link, "ver", def->version, false);
        }
        snprintf(uri, sizeof(uri), "/%u/%u", obj, st->instances[i].inst);
        if (rc == 0)
            rc = lwm2m_links_add(&links, uri, &link);
    }
    lwm2m_error_t err = {0};
    if (rc == 0)
        rc = lwm2m_link_write(&links, out, &err);
    lwm2m_links_clear(&links);
    return rc;
}

static void sim_register_builder(sim_device_t *dev, sim_builder_t *b, lwm2m_buf_t *payload)
{
    const sim_options_t *opt = &dev->sim->opt;
    char q[SIM_EP_MAX + 8];
    sim_builder_init(b, SIM_COAP_CON, SIM_POST, 0, NULL, 0);
    sim_builder_opt_str(b, SIM_OPT_URI_PATH, "rd");
    sim_builder_opt_uint(b, SIM_OPT_CONTENT_FORMAT, LWM2M_CF_LINK);
    snprintf(q, sizeof(q), "ep=%s", dev->ep);
    sim_builder_opt_str(b, SIM_OPT_URI_QUERY, q);
    snprintf(q, sizeof(q), "lt=%u", dev->lifetime);
    sim_builder_opt_str(b, SIM_OPT_URI_QUERY, q);
    snprintf(q, sizeof(q), "lwm2m=1.%u", opt->version_minor);
    sim_builder_opt_str(b, SIM_OPT_URI_QUERY, q);
    sim_builder_opt_str(b, SIM_OPT_URI_QUERY,
                        dev->queue && opt->version_minor == 0 ? "b=UQ" : "b=U");
    if (dev->queue && opt->version_minor >= 1)
        sim_builder_opt_str(b, SIM_OPT_URI_QUERY, "Q");
    lwm2m_buf_init(payload, 64 * 1024);
    if (sim_link_payload(dev, payload) < 0)
        sim_emit_error(dev, "register", "cannot write the object list");
}

int sim_client_register(sim_device_t *dev)
{
    sim_builder_t b;
    lwm2m_buf_t payload;
    sim_transport_abandon(dev, true, false);
    sim_register_builder(dev, &b, &payload);
    sim_exchange_t *ex = sim_transport_request(dev, SIM_EX_REGISTER, &dev->sim->opt.server, &b,
                                               payload.data, payload.len);
    lwm2m_buf_free(&payload);
    if (!ex)
        return -1;
    dev->asleep = false;
    dev->reg = SIM_REG_REGISTERING;
    dev->retry_at = dev->reboot_at = dev->update_at = 0;
    dev->update_lt = dev->update_binding = dev->update_objects = false;
    return 0;
}

int sim_client_flood(sim_device_t *dev, unsigned count)
{
    unsigned sent = 0;
    for (unsigned i = 0; i < count; i++) {
        sim_builder_t b;
        lwm2m_buf_t payload;
        sim_register_builder(dev, &b, &payload);
        sim_exchange_t *ex = sim_transport_request(dev, SIM_EX_FLOOD, &dev->sim->opt.server, &b,
                                                   payload.data, payload.len);
        lwm2m_buf_free(&payload);
        if (!ex)
            break;
        sent++;
    }
    return (int)sent;
}

int sim_client_update(sim_device_t *dev)
{
    if (dev->reg != SIM_REG_REGISTERED)
        return -1;
    sim_builder_t b;
    char q[64];
    sim_builder_init(&b, SIM_COAP_CON, SIM_POST, 0, NULL, 0);
    sim_builder_opt_path(&b, SIM_OPT_URI_PATH, dev->location);
    if (dev->update_lt) {
        snprintf(q, sizeof(q), "lt=%u", dev->lifetime);
        sim_builder_opt_str(&b, SIM_OPT_URI_QUERY, q);
    }
    if (dev->update_binding) {
        lwm2m_path_t p = lwm2m_path_make(3, 1, 0, 7, 0);
        const lwm2m_value_t *v = sim_store_get(&dev->store, &p);
        snprintf(q, sizeof(q), "b=%.*s", v ? (int)v->u.bytes.len : 1,
                 v ? (const char *)v->u.bytes.data : "U");
        sim_builder_opt_str(&b, SIM_OPT_URI_QUERY, q);
    }
    lwm2m_buf_t payload;
    lwm2m_buf_init(&payload, 64 * 1024);
    if (dev->update_objects) {
        sim_builder_opt_uint(&b, SIM_OPT_CONTENT_FORMAT, LWM2M_CF_LINK);
        sim_link_payload(dev, &payload);
    }
    dev->asleep = false;
    sim_exchange_t *ex = sim_transport_request(dev, SIM_EX_UPDATE, &dev->sim->opt.server, &b,
                                               payload.data, payload.len);
    lwm2m_buf_free(&payload);
    if (!ex)
        return -1;
    dev->update_lt = dev->update_binding = dev->update_objects = false;
    dev->update_at = 0;
    return 0;
}

int sim_client_deregister(sim_device_t *dev)
{
    if (dev->reg != SIM_REG_REGISTERED)
        return -1;
    sim_builder_t b;
    sim_builder_init(&b, SIM_COAP_CON, SIM_DELETE, 0, NULL, 0);
    sim_builder_opt_path(&b, SIM_OPT_URI_PATH, dev->location);
    dev->asleep = false;
    if (!sim_transport_request(dev, SIM_EX_DEREGISTER, &dev->sim->opt.server, &b, NULL, 0))
        return -1;
    dev->reg = SIM_REG_DEREGISTERING;
    dev->update_at = 0;
    sim_observe_cancel_all(dev, "deregister");
    return 0;
}

int sim_client_send(sim_device_t *dev, uint16_t format, const lwm2m_path_t *paths, size_t count)
{
    if (dev->reg != SIM_REG_REGISTERED)
        return -1;
    lwm2m_buf_t body;
    lwm2m_buf_init(&body, LWM2M_BUF_DEFAULT_MAX);
    sim_ops_refresh_dynamic(dev);
    int rc = sim_ops_encode(dev, paths, count, true, format, true, &body);
    if (rc == 0) {
        sim_builder_t b;
        sim_builder_init(&b, SIM_COAP_CON, SIM_POST, 0, NULL, 0);
        sim_builder_opt_str(&b, SIM_OPT_URI_PATH, "dp");
        sim_builder_opt_uint(&b, SIM_OPT_CONTENT_FORMAT, format);
        dev->asleep = false;
        sim_exchange_t *ex =
            sim_transport_request(dev, SIM_EX_SEND, &dev->sim->opt.server, &b, body.data, body.len);
        if (ex)
            ex->format = format;
        rc = ex ? 0 : -1;
    }
    lwm2m_buf_free(&body);
    return rc;
}

void sim_client_sleep(sim_device_t *dev)
{
    sim_transport_abandon(dev, true, true);
    dev->asleep = true;
    dev->sleep_at = 0;
    dev->awake_ms = dev->sim->opt.awake_s * 1000u;
    sim_client_event(dev, "sleeping", NULL, NULL);
}

void sim_client_wake(sim_device_t *dev, uint32_t awake_s)
{
    dev->asleep = false;
    if (awake_s)
        dev->awake_ms = awake_s * 1000u;
    dev->sleep_at = sim_now_ms() + dev->awake_ms;
    sim_client_event(dev, "awake", NULL, NULL);
    if (dev->reg == SIM_REG_REGISTERED) {
        dev->flush_after_update = true;
        sim_client_update(dev);
    } else {
        sim_client_register(dev);
    }
    sim_fw_resume(dev); /* a download cut by sleep goes on at the block it lacks */
}

void sim_client_activity(sim_device_t *dev, int64_t now)
{
    if (dev->queue && !dev->asleep)
        dev->sleep_at = now + dev->awake_ms;
}

static void sim_location_from(sim_device_t *dev, const sim_msg_t *msg)
{
    size_t len = 0;
    for (size_t i = 0; i < msg->opt_count; i++) {
        const sim_msg_opt_t *o = &msg->opts[i];
        if (o->number != SIM_OPT_LOCATION_PATH || len + o->len + 2 > sizeof(dev->location))
            continue;
        dev->location[len++] = '/';
        memcpy(dev->location + len, o->value, o->len);
        len += o->len;
    }
    dev->location[len] = '\0';
}

static void sim_on_registered(sim_device_t *dev, const sim_msg_t *msg)
{
    int64_t now = sim_now_ms();
    sim_observe_cancel_all(dev, "register");
    sim_location_from(dev, msg);
    dev->reg = SIM_REG_REGISTERED;
    dev->update_at = now + sim_update_interval(dev);
    sim_client_activity(dev, now);
    sim_client_event(dev, "registered", msg, NULL);
}

void sim_client_on_response(sim_device_t *dev, sim_exchange_t *ex, const sim_msg_t *msg)
{
    int64_t now = sim_now_ms();
    uint8_t c = msg->code;
    switch (ex->kind) {
    case SIM_EX_DOWNLOAD:
        sim_fw_on_response(dev, msg);
        return;
    case SIM_EX_REGISTER:
        if (c == SIM_CODE(2, 1)) {
            sim_on_registered(dev, msg);
            return;
        }
        dev->reg = SIM_REG_IDLE;
        if (dev->sim->opt.retry_s)
            dev->retry_at = now + dev->sim->opt.retry_s * 1000;
        sim_client_event(dev, "register_failed", msg, NULL);
        return;
    case SIM_EX_UPDATE:
        if (c == SIM_CODE(2, 4)) {
            dev->update_at = now + sim_update_interval(dev);
            sim_client_event(dev, "updated", msg, NULL);
            if (dev->flush_after_update)
                sim_observe_flush_stored(dev);
            dev->flush_after_update = false;
            return;
        }
        sim_client_event(dev, "update_failed", msg, NULL);
        if (c == SIM_CODE(4, 4)) { /* the server forgot us: register again */
            dev->reg = SIM_REG_IDLE;
            dev->location[0] = '\0';
            sim_client_register(dev);
        } else {
            dev->update_at =
                now + 1000 * (int64_t)(dev->sim->opt.retry_s ? dev->sim->opt.retry_s : 30);
        }
        return;
    case SIM_EX_DEREGISTER:
        dev->reg = SIM_REG_IDLE;
        sim_client_event(dev, "deregistered", msg, NULL);
        dev->location[0] = '\0';
        return;
    case SIM_EX_SEND:
        sim_client_event(dev, "send_result", msg, NULL);
        return;
    default: {
        char loc[SIM_LOCATION_MAX];
        memcpy(loc, dev->location, sizeof(loc));
        sim_location_from(dev, msg);
        sim_client_event(dev, "flood_response", msg, NULL);
        memcpy(dev->location, loc, sizeof(loc));
    }
    }
}

void sim_client_on_failure(sim_device_t *dev, sim_exchange_t *ex, const char *why)
{
    int64_t now = sim_now_ms();
    if (ex->kind == SIM_EX_DOWNLOAD) {
        sim_fw_on_failure(dev, why);
        return;
    }
    static const char *const names[] = {
        "register_failed", "update_failed", "deregistered", "send_result", "", "",
        "flood_response"};
    sim_client_event(dev, names[ex->kind], NULL, why);
    if (ex->kind == SIM_EX_REGISTER || ex->kind == SIM_EX_UPDATE) {
        dev->reg = SIM_REG_IDLE;
        dev->location[0] = '\0';
        if (dev->sim->opt.retry_s)
            dev->retry_at = now + dev->sim->opt.retry_s * 1000;
    } else if (ex->kind == SIM_EX_DEREGISTER) {
        dev->reg = SIM_REG_IDLE;
        dev->location[0] = '\0';
    }
}

static void sim_drift(sim_device_t *dev, int64_t now)
{
    lwm2m_path_t p = lwm2m_path_make(3, 3303, 0, 5700, 0);
    const lwm2m_value_t *v = sim_store_get(&dev->store, &p);
    dev->drift_at = now + (int64_t)dev->sim->opt.drift_s * 1000;
    if (!v || v->type != LWM2M_TYPE_FLOAT)
        return;
    double step = ((double)(random() % 11) - 5.0) / 10.0;
    lwm2m_value_t next = lwm2m_value_float(v->u.floating + step);
    if (sim_store_set(&dev->store, &p, &next) == 0) {
        sim_client_after_write(dev, &p);
        sim_observe_changed(dev, &p);
    }
}

void sim_client_tick(sim_device_t *dev, int64_t now)
{
    if (dev->action && dev->action_at <= now)
        sim_client_run_action(dev);
    sim_fw_tick(dev, now);
    if (dev->reg == SIM_REG_REGISTERED && dev->update_at && dev->update_at <= now) {
        if (dev->asleep) {
            dev->asleep = false;
            dev->flush_after_update = true;
            sim_client_activity(dev, now);
            sim_client_event(dev, "awake", NULL, "update due");
        }
        sim_client_update(dev);
    }
    if (dev->reg == SIM_REG_IDLE && dev->retry_at && dev->retry_at <= now)
        sim_client_register(dev);
    if (dev->reboot_at && dev->reboot_at <= now) {
        dev->reboot_at = 0;
        sim_client_register(dev);
    }
    if (dev->queue && !dev->asleep && dev->sleep_at && dev->sleep_at <= now &&
        dev->reg == SIM_REG_REGISTERED) {
        if (sim_transport_busy(dev))
            dev->sleep_at = now + 1000;
        else
            sim_client_sleep(dev);
    }
    if (dev->sim->opt.drift_s && dev->reg == SIM_REG_REGISTERED && dev->drift_at <= now)
        sim_drift(dev, now);
}

int64_t sim_client_deadline(const sim_device_t *dev)
{
    int64_t t = INT64_MAX;
    int64_t candidates[] = {
        dev->action ? dev->action_at : 0,
        dev->reg == SIM_REG_REGISTERED ? dev->update_at : 0,
        dev->reg == SIM_REG_IDLE ? dev->retry_at : 0,
        dev->reboot_at,
        sim_fw_deadline(dev) == INT64_MAX ? 0 : sim_fw_deadline(dev),
        dev->queue && !dev->asleep && dev->reg == SIM_REG_REGISTERED ? dev->sleep_at : 0,
        dev->sim->opt.drift_s && dev->reg == SIM_REG_REGISTERED
            ? (dev->drift_at ? dev->drift_at : 1)
            : 0,
    };
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (candidates[i] && candidates[i] < t)
            t = candidates[i];
    return t;
}
