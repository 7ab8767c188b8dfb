/* observe.c - observations on the device side: Observe/Observe-Composite registration and
 * cancellation, notification conditions (pmin, pmax, gt, lt, st, epmin, edge, con), and
 * notifications stored while a queue-mode device sleeps (hqmax). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "lwm2m/error.h"
#include "sim.h"

static sim_observation_t *sim_obs_find_token(sim_device_t *dev, const uint8_t *token,
                                             size_t token_len)
{
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++) {
        sim_observation_t *o = &dev->obs[i];
        if (o->in_use && o->token_len == token_len && memcmp(o->token, token, token_len) == 0)
            return o;
    }
    return NULL;
}

static sim_observation_t *sim_obs_find_path(sim_device_t *dev, const lwm2m_path_t *path)
{
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++) {
        sim_observation_t *o = &dev->obs[i];
        if (o->in_use && !o->composite && lwm2m_path_equal(&o->paths[0], path))
            return o;
    }
    return NULL;
}

static sim_observation_t *sim_obs_alloc(sim_device_t *dev)
{
    if (!dev->obs) {
        dev->obs = calloc(SIM_MAX_OBSERVATIONS, sizeof(*dev->obs));
        if (!dev->obs)
            return NULL;
    }
    for (size_t i = 0; i < SIM_MAX_OBSERVATIONS; i++)
        if (!dev->obs[i].in_use)
            return &dev->obs[i];
    return NULL;
}

static void sim_obs_clear_stored(sim_observation_t *o)
{
    for (size_t i = 0; i < o->stored_count; i++)
        free(o->stored[i].body);
    free(o->stored);
    o->stored = NULL;
    o->stored_count = 0;
}

static void sim_obs_path_text(const sim_observation_t *o, char *buf, size_t size)
{
    if (o->composite) {
        snprintf(buf, size, "composite(%zu)", o->path_count);
        return;
    }
    lwm2m_path_format(&o->paths[0], buf, size);
}

static void sim_obs_free(sim_device_t *dev, sim_observation_t *o, const char *reason)
{
    if (reason) {
        char path[LWM2M_PATH_STR_MAX + 16];
        sim_obs_path_text(o, path, sizeof(path));
        sim_event_t ev;
        sim_event_device(&ev, "cancel", dev);
        sim_event_str(&ev, "path", path);
        sim_event_hex(&ev, "token", o->token, o->token_len);
        sim_event_str(&ev, "reason", reason);
        sim_event_end(&ev);
    }
    free(o->paths);
    sim_obs_clear_stored(o);
    memset(o, 0, sizeof(*o));
}

/* Remembers the value the conditions compare against (single numeric/boolean resources). */
static void sim_obs_snapshot(sim_device_t *dev, sim_observation_t *o)
{
    o->has_last = false;
    if (o->composite || o->paths[0].depth < 3)
        return;
    const lwm2m_value_t *v = sim_store_get(&dev->store, &o->paths[0]);
    if (!v)
        return;
    if (v->type == LWM2M_TYPE_BOOLEAN) {
        o->last_bool = v->u.boolean;
        o->has_last = true;
    } else if (sim_value_numeric(v, &o->last_num)) {
        o->has_last = true;
    }
}

static void sim_obs_event(sim_device_t *dev, const sim_observation_t *o)
{
    char text[LWM2M_PATH_STR_MAX + 16];
    sim_obs_path_text(o, text, sizeof(text));
    sim_event_t ev;
    sim_event_device(&ev, "observe", dev);
    sim_event_str(&ev, "path", text);
    sim_event_hex(&ev, "token", o->token, o->token_len);
    sim_event_uint(&ev, "format", o->format);
    sim_event_bool(&ev, "composite", o->composite);
    sim_event_end(&ev);
}

/* Fills a (cleared) slot for a new observation. Returns 0 or -1 (allocation). */
static int sim_obs_start(sim_device_t *dev, sim_observation_t *o, const sim_addr_t *peer,
                         const sim_msg_t *msg, const lwm2m_path_t *paths, size_t count)
{
    o->paths = calloc(count, sizeof(*o->paths));
    if (!o->paths)
        return -1;
    memcpy(o->paths, paths, count * sizeof(*paths));
    o->in_use = true;
    o->id = ++dev->next_obs_id;
    o->path_count = count;
    memcpy(o->token, msg->token, msg->token_len);
    o->token_len = msg->token_len;
    o->peer = *peer;
    o->seq = 1;
    o->last_notify_ms = o->last_eval_ms = sim_now_ms();
    sim_obs_snapshot(dev, o);
    return 0;
}

void sim_observe_request(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg,
                         const lwm2m_path_t *paths, size_t count, bool composite, uint16_t format,
                         sim_reply_t *reply)
{
    uint32_t observe = 0;
    sim_msg_opt_uint(msg, SIM_OPT_OBSERVE, &observe);
    sim_observation_t *o = sim_obs_find_token(dev, msg->token, msg->token_len);
    if (observe == 1) {
        if (!o && !composite)
            o = sim_obs_find_path(dev, &paths[0]);
        if (o)
            sim_obs_free(dev, o, "observe=1");
        return;
    }
    sim_attrs_t query = {0};
    uint16_t unset;
    if (observe != 0)
        return;
    if (dev->sim->opt.version_minor >= 2 && sim_attrs_parse(msg, true, &query, &unset) < 0) {
        reply->code = SIM_CODE(4, 0);
        reply->has_format = false;
        lwm2m_buf_reset(&reply->body);
        return;
    }
    if (o) { /* the same token again: replace */
        free(o->paths);
        sim_obs_clear_stored(o);
        memset(o, 0, sizeof(*o));
    } else if (!(o = sim_obs_alloc(dev))) {
        sim_emit_error(dev, "observe", "too many observations");
        return;
    }
    if (sim_obs_start(dev, o, peer, msg, paths, count) < 0)
        return;
    o->composite = composite;
    o->format = format;
    o->query = query;
    o->block2_key = reply->block2_key;
    reply->has_observe = true;
    reply->observe = o->seq;
    sim_obs_event(dev, o);
}

static sim_attrs_t sim_obs_attrs(const sim_device_t *dev, const sim_observation_t *o)
{
    lwm2m_path_t root = lwm2m_path_root();
    return sim_attrs_effective(dev, o->composite ? &root : &o->paths[0], &o->query);
}

static void sim_obs_store(sim_device_t *dev, sim_observation_t *o, const sim_attrs_t *eff,
                          const lwm2m_buf_t *body)
{
    lwm2m_path_t storing = lwm2m_path_make(3, 1, 0, 6, 0);
    const lwm2m_value_t *v = sim_store_get(&dev->store, &storing);
    if (v && v->type == LWM2M_TYPE_BOOLEAN && !v->u.boolean)
        return;
    size_t max =
        (eff->set & SIM_ATTR_HQMAX) && eff->hqmax < SIM_MAX_STORED ? eff->hqmax : SIM_MAX_STORED;
    if (max == 0)
        return;
    if (!o->stored && !(o->stored = calloc(SIM_MAX_STORED, sizeof(*o->stored))))
        return;
    if (o->stored_count >= max) { /* keep the newest */
        free(o->stored[0].body);
        memmove(&o->stored[0], &o->stored[1], (o->stored_count - 1) * sizeof(o->stored[0]));
        o->stored_count--;
    }
    uint8_t *copy = malloc(body->len ? body->len : 1);
    if (!copy)
        return;
    if (body->len)
        memcpy(copy, body->data, body->len);
    o->stored[o->stored_count++] = (sim_stored_notify_t){copy, body->len};
}

static void sim_notify_event(sim_device_t *dev, const sim_observation_t *o, bool con, size_t len,
                             bool stored)
{
    if (dev->sim->opt.verbose < 1)
        return;
    char text[LWM2M_PATH_STR_MAX + 16];
    sim_obs_path_text(o, text, sizeof(text));
    sim_event_t ev;
    sim_event_device(&ev, stored ? "notify_stored" : "notify", dev);
    sim_event_str(&ev, "path", text);
    sim_event_uint(&ev, "seq", o->seq);
    sim_event_bool(&ev, "con", con);
    sim_event_uint(&ev, "format", o->format);
    sim_event_uint(&ev, "bytes", len);
    sim_event_end(&ev);
}

/* Sends one notification carrying body (first block only when it is large). */
static void sim_obs_transmit(sim_device_t *dev, sim_observation_t *o, bool con, const uint8_t *body,
                             size_t len)
{
    o->seq = (o->seq + 1) & 0xFFFFFF;
    sim_builder_t b;
    sim_builder_init(&b, con ? SIM_COAP_CON : SIM_COAP_NON, SIM_CODE(2, 5), 0, o->token,
                     o->token_len);
    sim_builder_opt_uint(&b, SIM_OPT_OBSERVE, o->seq);
    sim_builder_opt_uint(&b, SIM_OPT_CONTENT_FORMAT, o->format);
    sim_reply_t reply;
    sim_reply_init(&reply);
    reply.code = SIM_CODE(2, 5);
    reply.format = o->format;
    reply.block2_key = o->block2_key;
    lwm2m_buf_append(&reply.body, body, len);
    const uint8_t *data;
    size_t n;
    sim_block2_slice(dev, NULL, &reply, &b, &data, &n);
    if (con) {
        sim_exchange_t *ex = sim_transport_request(dev, SIM_EX_NOTIFY, &o->peer, &b, data, n);
        if (ex)
            ex->obs_id = o->id;
    } else {
        b.mid = sim_transport_mid(dev);
        o->last_mid = b.mid;
        lwm2m_buf_t out;
        lwm2m_buf_init(&out, SIM_DATAGRAM_MAX);
        if (sim_builder_encode(&b, data, n, &out) == 0)
            sim_transport_send(dev, &o->peer, out.data, out.len);
        lwm2m_buf_free(&out);
    }
    sim_reply_free(&reply);
    dev->notifications++;
    sim_notify_event(dev, o, con, len, false);
}

/* A 4.04 without Observe ends the observation of something that was deleted. */
static void sim_obs_gone(sim_device_t *dev, sim_observation_t *o)
{
    sim_builder_t b;
    sim_builder_init(&b, SIM_COAP_NON, SIM_CODE(4, 4), sim_transport_mid(dev), o->token,
                     o->token_len);
    lwm2m_buf_t out;
    lwm2m_buf_init(&out, 64);
    if (sim_builder_encode(&b, NULL, 0, &out) == 0)
        sim_transport_send(dev, &o->peer, out.data, out.len);
    lwm2m_buf_free(&out);
    sim_obs_free(dev, o, "deleted");
}

static void sim_obs_notify(sim_device_t *dev, sim_observation_t *o, int64_t now)
{
    sim_attrs_t eff = sim_obs_attrs(dev, o);
    lwm2m_buf_t body;
    lwm2m_buf_init(&body, LWM2M_BUF_DEFAULT_MAX);
    sim_ops_refresh_dynamic(dev);
    int rc =
        sim_ops_encode(dev, o->paths, o->path_count, o->composite, o->format, dev->asleep, &body);
    o->last_notify_ms = now;
    o->pending_at = 0;
    o->dirty = false;
    sim_obs_snapshot(dev, o);
    if (rc == LWM2M_ERR_NOT_FOUND) {
        sim_obs_gone(dev, o);
    } else if (rc < 0) {
        sim_emit_error(dev, "notify", "cannot encode the observed value");
    } else if (dev->asleep) {
        sim_obs_store(dev, o, &eff, &body);
        sim_notify_event(dev, o, eff.con, body.len, true);
    } else {
        sim_obs_transmit(dev, o, eff.con, body.data, body.len);
    }
    lwm2m_buf_free(&body);
}

static bool sim_crossed(double last, double now, double threshold)
{
    return (last > threshold) != (now > threshold);
}

/* Whether a change satisfies the observation's gt/lt/st or edge conditions. */
static bool sim_obs_condition(sim_device_t *dev, const sim_observation_t *o, const sim_attrs_t *eff)
{
    if (o->composite || o->paths[0].depth < 3 || !o->has_last)
        return true;
    const lwm2m_value_t *v = sim_store_get(&dev->store, &o->paths[0]);
    if (!v)
        return true;
    if (v->type == LWM2M_TYPE_BOOLEAN) {
        if (!(eff->set & SIM_ATTR_EDGE))
            return v->u.boolean != o->last_bool;
        return eff->edge ? (!o->last_bool && v->u.boolean) : (o->last_bool && !v->u.boolean);
    }
    double now;
    if (!sim_value_numeric(v, &now) || !(eff->set & (SIM_ATTR_GT | SIM_ATTR_LT | SIM_ATTR_ST)))
        return true;
    if ((eff->set & SIM_ATTR_GT) && sim_crossed(o->last_num, now, eff->gt))
        return true;
    if ((eff->set & SIM_ATTR_LT) && sim_crossed(o->last_num, now, eff->lt))
        return true;
    return (eff->set & SIM_ATTR_ST) && fabs(now - o->last_num) >= eff->st;
}

static bool sim_pmax_active(const sim_attrs_t *eff)
{
    return (eff->set & SIM_ATTR_PMAX) && eff->pmax > 0 &&
           (!(eff->set & SIM_ATTR_PMIN) || eff->pmax >= eff->pmin);
}

static void sim_obs_evaluate(sim_device_t *dev, sim_observation_t *o, int64_t now)
{
    sim_attrs_t eff = sim_obs_attrs(dev, o);
    int64_t pmin_ms = (eff.set & SIM_ATTR_PMIN) ? (int64_t)eff.pmin * 1000 : 0;
    if (o->dirty) {
        int64_t epmin_ms = (eff.set & SIM_ATTR_EPMIN) ? (int64_t)eff.epmin * 1000 : 0;
        if (now >= o->last_eval_ms + epmin_ms) {
            o->last_eval_ms = now;
            o->dirty = false;
            if (sim_obs_condition(dev, o, &eff)) {
                int64_t at = o->last_notify_ms + pmin_ms;
                o->pending_at = at > now ? at : now;
            }
        }
    }
    bool due = o->pending_at && o->pending_at <= now;
    if (!due && sim_pmax_active(&eff))
        due = now >= o->last_notify_ms + (int64_t)eff.pmax * 1000;
    if (due)
        sim_obs_notify(dev, o, now);
}

static bool sim_obs_matches(const sim_observation_t *o, const lwm2m_path_t *path)
{
    for (size_t i = 0; i < o->path_count; i++)
        if (lwm2m_path_contains(&o->paths[i], path) || lwm2m_path_contains(path, &o->paths[i]))
            return true;
    return false;
}

void sim_observe_changed(sim_device_t *dev, const lwm2m_path_t *path)
{
    int64_t now = sim_now_ms();
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++) {
        sim_observation_t *o = &dev->obs[i];
        if (!o->in_use)
            continue;
        if (path && sim_obs_matches(o, path))
            o->dirty = true;
        sim_obs_evaluate(dev, o, now);
    }
}

size_t sim_observe_force(sim_device_t *dev, const lwm2m_path_t *path)
{
    size_t n = 0;
    int64_t now = sim_now_ms();
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++) {
        sim_observation_t *o = &dev->obs[i];
        if (o->in_use && (!path || sim_obs_matches(o, path))) {
            sim_obs_notify(dev, o, now);
            n++;
        }
    }
    return n;
}

void sim_observe_tick(sim_device_t *dev, int64_t now)
{
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++)
        if (dev->obs[i].in_use)
            sim_obs_evaluate(dev, &dev->obs[i], now);
}

int64_t sim_observe_deadline(const sim_device_t *dev)
{
    int64_t t = INT64_MAX;
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++) {
        const sim_observation_t *o = &dev->obs[i];
        if (!o->in_use)
            continue;
        sim_attrs_t eff = sim_obs_attrs(dev, o);
        if (o->pending_at && o->pending_at < t)
            t = o->pending_at;
        if (sim_pmax_active(&eff) && o->last_notify_ms + (int64_t)eff.pmax * 1000 < t)
            t = o->last_notify_ms + (int64_t)eff.pmax * 1000;
        if (o->dirty) {
            int64_t epmin = (eff.set & SIM_ATTR_EPMIN) ? (int64_t)eff.epmin * 1000 : 0;
            if (o->last_eval_ms + epmin < t)
                t = o->last_eval_ms + epmin;
        }
    }
    return t;
}

void sim_observe_on_rst(sim_device_t *dev, uint16_t mid)
{
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++)
        if (dev->obs[i].in_use && dev->obs[i].last_mid == mid && dev->obs[i].seq > 1)
            sim_obs_free(dev, &dev->obs[i], "rst");
}

void sim_observe_on_ack(sim_device_t *dev, const sim_exchange_t *ex, bool rst, bool timeout)
{
    if (!rst && !timeout)
        return;
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++)
        if (dev->obs[i].in_use && dev->obs[i].id == ex->obs_id)
            sim_obs_free(dev, &dev->obs[i], rst ? "rst" : "timeout");
}

void sim_observe_removed(sim_device_t *dev, const lwm2m_path_t *path)
{
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++) {
        sim_observation_t *o = &dev->obs[i];
        if (o->in_use && !o->composite && lwm2m_path_contains(path, &o->paths[0]))
            sim_obs_gone(dev, o);
    }
}

void sim_observe_flush_stored(sim_device_t *dev)
{
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++) {
        sim_observation_t *o = &dev->obs[i];
        if (!o->in_use || !o->stored_count)
            continue;
        sim_attrs_t eff = sim_obs_attrs(dev, o);
        for (size_t k = 0; k < o->stored_count; k++)
            sim_obs_transmit(dev, o, eff.con, o->stored[k].body, o->stored[k].len);
        sim_obs_clear_stored(o);
    }
}

void sim_observe_cancel_all(sim_device_t *dev, const char *reason)
{
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++)
        if (dev->obs[i].in_use)
            sim_obs_free(dev, &dev->obs[i], reason);
    if (!reason) { /* shutdown */
        free(dev->obs);
        dev->obs = NULL;
    }
}

size_t sim_observe_count(const sim_device_t *dev)
{
    size_t n = 0;
    for (size_t i = 0; dev->obs && i < SIM_MAX_OBSERVATIONS; i++)
        n += dev->obs[i].in_use;
    return n;
}
