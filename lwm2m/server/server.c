/* server.c - the LwM2M server's registrations: Register, Update, De-register, Send, lifetime
 * expiry, queue-mode awake tracking, lookups by endpoint / location / address, and timers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/attr.h"
#include "server_internal.h"

#define DEFAULT_LIFETIME 86400u

static const char *const status_names[] = {"",          "response", "timeout", "reset",
                                           "cancelled", "expired",  "failed"};
static const char *const dereg_names[] = {"", "deregistered", "expired", "replaced", "removed"};

const char *lwm2m_result_status_name(lwm2m_result_status_t status)
{
    return status >= 1 && status <= LWM2M_RESULT_FAILED ? status_names[status] : "unknown";
}

const char *lwm2m_dereg_reason_name(lwm2m_dereg_reason_t reason)
{
    return reason >= 1 && reason <= LWM2M_DEREG_REMOVED ? dereg_names[reason] : "unknown";
}

static void config_defaults(lwm2m_server_config_t *c)
{
    if (!c->lifetime_max)
        c->lifetime_max = 31536000;
    if (!c->request_timeout_ms)
        c->request_timeout_ms = 30000;
    if (!c->queue_ttl_ms)
        c->queue_ttl_ms = 3600000;
    if (!c->queue_max_per_device)
        c->queue_max_per_device = 32;
    if (!c->awake_window_ms)
        c->awake_window_ms = 93000;
    if (!c->max_devices)
        c->max_devices = 100000;
    if (!c->max_payload)
        c->max_payload = 1024 * 1024;
    if (!c->max_observations_per_device)
        c->max_observations_per_device = 64;
}

lwm2m_server_t *lwm2m_server_new(const lwm2m_server_config_t *config,
                                 const lwm2m_server_events_t *events, void *events_ctx,
                                 lwm2m_random_fn random, void *random_ctx)
{
    lwm2m_server_t *s = calloc(1, sizeof(*s));
    if (!s || !random) {
        free(s);
        return NULL;
    }
    if (config)
        s->config = *config;
    config_defaults(&s->config);
    if (events)
        s->events = *events;
    s->events_ctx = events_ctx;
    s->random = random;
    s->random_ctx = random_ctx;
    hash_init(&s->by_endpoint);
    hash_init(&s->by_location);
    hash_init(&s->by_address);
    hash_init(&s->by_id);
    hash_init(&s->requests);
    hash_init(&s->tokens);
    hash_init(&s->observations);
    s->next_reg_id = 1;
    s->next_request_id = 1;
    return s;
}

static void address_key(const lwm2m_peer_t *peer, char *buf, size_t size)
{
    snprintf(buf, size, "%s|%s", peer->transport ? peer->transport->name : "", peer->address);
}

/* Unlinks from every map and frees. Fires no event. */
void srv_reg_destroy(lwm2m_server_t *s, srv_reg_t *reg)
{
    hash_del_str(&s->by_endpoint, reg->pub.endpoint);
    hash_del_str(&s->by_location, reg->pub.location);
    if (hash_get_str(&s->by_address, reg->address_key) == reg)
        hash_del_str(&s->by_address, reg->address_key);
    hash_del_u64(&s->by_id, reg->id);
    lwm2m_links_clear(&reg->pub.objects);
    free(reg);
}

static void remove_registration(lwm2m_server_t *s, srv_reg_t *reg, lwm2m_dereg_reason_t why,
                                int64_t now_ms)
{
    reg->closing = true;
    srv_remove_all_end_devices(s, reg, now_ms);
    srv_cancel_all(s, reg, LWM2M_RESULT_CANCELLED, false, now_ms);
    if (s->events.deregistered)
        s->events.deregistered(s->events_ctx, &reg->pub, why);
    srv_reg_destroy(s, reg);
}

static void free_one(void *ctx, void *value)
{
    lwm2m_server_t *s = ctx;
    srv_reg_t *reg = value;
    reg->closing = true;
    srv_cancel_all(s, reg, LWM2M_RESULT_CANCELLED, false, 0);
    lwm2m_links_clear(&reg->pub.objects);
    free(reg);
}

void lwm2m_server_free(lwm2m_server_t *s)
{
    if (!s)
        return;
    hash_foreach(&s->by_id, free_one, s);
    hash_free(&s->by_endpoint);
    hash_free(&s->by_location);
    hash_free(&s->by_address);
    hash_free(&s->by_id);
    hash_free(&s->requests);
    hash_free(&s->tokens);
    hash_free(&s->observations);
    timers_free(&s->timers);
    free(s);
}

srv_reg_t *srv_reg_by_id(const lwm2m_server_t *s, uint64_t id)
{
    return hash_get_u64(&s->by_id, id);
}

bool srv_reachable(const srv_reg_t *reg, int64_t now_ms)
{
    return !reg->pub.queue_mode || now_ms < reg->awake_until;
}

void srv_mark_awake(lwm2m_server_t *s, srv_reg_t *reg, int64_t now_ms)
{
    if (!reg->pub.queue_mode)
        return;
    bool was = reg->pub.awake;
    reg->awake_until = now_ms + s->config.awake_window_ms;
    reg->pub.awake = true;
    timers_push(&s->timers, reg->awake_until, TIMER_AWAKE, reg->id, reg->generation);
    if (!was && s->events.awake_changed)
        s->events.awake_changed(s->events_ctx, &reg->pub);
}

static void set_expiry(lwm2m_server_t *s, srv_reg_t *reg, int64_t now_ms)
{
    reg->generation++;
    reg->pub.expires_at_ms = now_ms + (int64_t)reg->pub.lifetime * 1000;
    timers_push(&s->timers, reg->pub.expires_at_ms, TIMER_EXPIRY, reg->id, reg->generation);
    if (reg->pub.queue_mode && reg->pub.awake)
        timers_push(&s->timers, reg->awake_until, TIMER_AWAKE, reg->id, reg->generation);
}

static void set_peer(lwm2m_server_t *s, srv_reg_t *reg, const lwm2m_peer_t *peer)
{
    char key[sizeof(reg->address_key)];
    address_key(peer, key, sizeof(key));
    if (strcmp(key, reg->address_key) == 0) {
        reg->pub.peer = *peer;
        return;
    }
    if (reg->address_key[0] && hash_get_str(&s->by_address, reg->address_key) == reg)
        hash_del_str(&s->by_address, reg->address_key);
    reg->pub.peer = *peer;
    snprintf(reg->address_key, sizeof(reg->address_key), "%s", key);
    hash_put_str(&s->by_address, reg->address_key, reg);
}

/* Reads the registration payload: the optional root link (rt="oma.lwm2m", with ct=) and the
 * object links, with the alternate path removed. */
static int parse_objects(const lwm2m_uplink_t *msg, lwm2m_registration_t *reg, char *err,
                         size_t errlen)
{
    lwm2m_links_t links = {0};
    lwm2m_error_t e = {0};
    if (msg->has_content_format && msg->content_format != LWM2M_CF_LINK) {
        snprintf(err, errlen, "payload must be link-format (40), not %u", msg->content_format);
        return LWM2M_ERR_BAD_REQUEST;
    }
    if (lwm2m_link_parse((const char *)msg->payload, msg->payload_len, &links, &e) < 0) {
        snprintf(err, errlen, "bad link-format at byte %zu: %.100s", e.offset, e.message);
        return LWM2M_ERR_BAD_REQUEST;
    }
    reg->root_path[0] = 0;
    reg->format_count = 0;
    for (size_t i = 0; i < links.count; i++) {
        const lwm2m_link_attr_t *rt = lwm2m_link_find_attr(&links.items[i], "rt");
        if (!rt || !rt->value || strcmp(rt->value, "oma.lwm2m") != 0)
            continue;
        if (strcmp(links.items[i].uri, "/") != 0)
            snprintf(reg->root_path, sizeof(reg->root_path), "%s", links.items[i].uri);
    }
    size_t root_len = strlen(reg->root_path);
    lwm2m_links_t objects = {0};
    for (size_t i = 0; i < links.count; i++) {
        const lwm2m_link_t *l = &links.items[i];
        const char *uri = l->uri;
        const lwm2m_link_attr_t *ct = lwm2m_link_find_attr(l, "ct");
        bool is_root = strcmp(uri, "/") == 0 || (root_len && strcmp(uri, reg->root_path) == 0);
        if (is_root) {
            const char *p = ct && ct->value ? ct->value : "";
            while (*p && reg->format_count < sizeof(reg->formats) / sizeof(reg->formats[0])) {
                char *end;
                unsigned long v = strtoul(p, &end, 10);
                if (end == p || v > 65535)
                    break;
                reg->formats[reg->format_count++] = (uint16_t)v;
                p = end;
                while (*p == ' ')
                    p++;
            }
            continue;
        }
        if (root_len && strncmp(uri, reg->root_path, root_len) == 0)
            uri += root_len;
        lwm2m_path_t path;
        if (lwm2m_path_parse(uri, strlen(uri), LWM2M_PATH_ALLOW_PREFIX, &path) < 0 ||
            path.depth == 0 || path.depth > 2) {
            snprintf(err, errlen, "bad object link <%s>", l->uri);
            lwm2m_links_clear(&links);
            lwm2m_links_clear(&objects);
            return LWM2M_ERR_BAD_REQUEST;
        }
        lwm2m_link_t *copy;
        if (lwm2m_links_add(&objects, uri, &copy) < 0) {
            lwm2m_links_clear(&links);
            lwm2m_links_clear(&objects);
            return LWM2M_ERR_TOO_LARGE;
        }
        for (size_t k = 0; k < l->attr_count; k++)
            lwm2m_link_add_attr(copy, l->attrs[k].name, l->attrs[k].value, l->attrs[k].quoted);
    }
    lwm2m_links_clear(&links);
    lwm2m_links_clear(&reg->objects);
    reg->objects = objects;
    return 0;
}

static void binding_text(unsigned binding, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        char letter;
    } letters[] = {{LWM2M_BINDING_U, 'U'}, {LWM2M_BINDING_M, 'M'}, {LWM2M_BINDING_H, 'H'},
                   {LWM2M_BINDING_T, 'T'}, {LWM2M_BINDING_S, 'S'}, {LWM2M_BINDING_N, 'N'}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]) && n + 1 < size; i++)
        if (binding & letters[i].bit)
            buf[n++] = letters[i].letter;
    buf[n] = 0;
}

static int reply(lwm2m_uplink_reply_t *r, int code, const char *message)
{
    r->code = code;
    snprintf(r->error, sizeof(r->error), "%.120s", message);
    return code;
}

static int parse_params(const lwm2m_uplink_t *msg, bool is_register, lwm2m_query_t *q,
                        lwm2m_register_params_t *p, lwm2m_uplink_reply_t *r)
{
    lwm2m_error_t e = {0};
    int rc =
        lwm2m_query_parse(msg->query ? msg->query : "", msg->query ? strlen(msg->query) : 0, q, &e);
    if (rc == 0)
        rc = lwm2m_register_params_parse(q, is_register, p, &e);
    if (rc == -412)
        return reply(r, 412, "unsupported LwM2M version");
    if (rc < 0)
        return reply(r, 400, e.message);
    return 0;
}

static void new_location(lwm2m_server_t *s, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t rnd[8];
    do {
        s->random(s->random_ctx, rnd, sizeof(rnd));
        char id[17];
        for (size_t i = 0; i < sizeof(rnd); i++) {
            id[2 * i] = hex[rnd[i] >> 4];
            id[2 * i + 1] = hex[rnd[i] & 15];
        }
        id[16] = 0;
        snprintf(buf, size, "rd/%s", id);
    } while (hash_get_str(&s->by_location, buf));
}

static void handle_register(lwm2m_server_t *s, const lwm2m_peer_t *peer, const lwm2m_uplink_t *msg,
                            int64_t now_ms, lwm2m_uplink_reply_t *r)
{
    lwm2m_query_t q = {0};
    lwm2m_register_params_t p;
    if (parse_params(msg, true, &q, &p, r) != 0)
        goto out;
    uint32_t lifetime = p.has_lifetime ? p.lifetime : DEFAULT_LIFETIME;
    if (lifetime < s->config.lifetime_min || lifetime > s->config.lifetime_max) {
        reply(r, 400, "lifetime out of the accepted range");
        goto out;
    }
    srv_reg_t *old = hash_get_str(&s->by_endpoint, p.endpoint);
    if (!old && s->by_id.count >= s->config.max_devices) {
        reply(r, 503, "device limit reached");
        goto out;
    }
    srv_reg_t *reg = calloc(1, sizeof(*reg));
    if (!reg) {
        reply(r, 500, "out of memory");
        goto out;
    }
    char err[128] = "";
    if (parse_objects(msg, &reg->pub, err, sizeof(err)) < 0) {
        reply(r, 400, err);
        free(reg);
        goto out;
    }
    snprintf(reg->pub.endpoint, sizeof(reg->pub.endpoint), "%s", p.endpoint);
    reg->pub.version = p.version;
    binding_text(p.has_binding ? p.binding : LWM2M_BINDING_U, reg->pub.binding,
                 sizeof(reg->pub.binding));
    reg->pub.queue_mode = p.has_binding && (p.binding & LWM2M_BINDING_Q);
    snprintf(reg->pub.sms, sizeof(reg->pub.sms), "%s", p.sms ? p.sms : "");
    reg->pub.lifetime = lifetime;
    reg->pub.registered_at_ms = reg->pub.updated_at_ms = now_ms;
    reg->id = s->next_reg_id++;
    new_location(s, reg->pub.location, sizeof(reg->pub.location));

    /* A new Register of the same endpoint (reboot, new address) replaces the old one: its
     * in-flight requests end, its queued ones move over, its observations are gone (the device
     * forgot them; the application re-observes on `registered`). */
    if (old) {
        old->closing = true;
        srv_cancel_all(s, old, LWM2M_RESULT_CANCELLED, true, now_ms);
        reg->queue_head = old->queue_head;
        reg->queue_tail = old->queue_tail;
        reg->queue_len = old->queue_len;
        for (srv_request_t *q2 = reg->queue_head; q2; q2 = q2->next)
            q2->reg_id = reg->id;
        old->queue_head = old->queue_tail = NULL;
        old->queue_len = 0;
        srv_reg_destroy(s, old);
    }
    hash_put_str(&s->by_endpoint, reg->pub.endpoint, reg);
    hash_put_str(&s->by_location, reg->pub.location, reg);
    hash_put_u64(&s->by_id, reg->id, reg);
    set_peer(s, reg, peer);
    set_expiry(s, reg, now_ms);
    srv_mark_awake(s, reg, now_ms);
    r->code = 201;
    snprintf(r->location, sizeof(r->location), "%s", reg->pub.location);
    if (s->events.registered)
        s->events.registered(s->events_ctx, &reg->pub, old != NULL);
    /* The callback may have removed it. */
    if (hash_get_u64(&s->by_id, reg->id) == reg) {
        if (srv_has_gateway_object(reg))
            srv_read_gateway_object(s, reg, now_ms);
        srv_flush_queue(s, reg, now_ms);
    }
out:
    lwm2m_query_clear(&q);
}

static srv_reg_t *find_location(lwm2m_server_t *s, const lwm2m_uplink_t *msg,
                                lwm2m_uplink_reply_t *r)
{
    char loc[LWM2M_LOCATION_MAX + 4];
    snprintf(loc, sizeof(loc), "rd/%s", msg->location ? msg->location : "");
    srv_reg_t *reg = hash_get_str(&s->by_location, loc);
    if (!reg && msg->endpoint)
        reg = hash_get_str(&s->by_endpoint, msg->endpoint);
    if (!reg || (msg->endpoint && strcmp(msg->endpoint, reg->pub.endpoint) != 0)) {
        reply(r, 404, "unknown registration");
        return NULL;
    }
    return reg;
}

static void handle_update(lwm2m_server_t *s, const lwm2m_peer_t *peer, const lwm2m_uplink_t *msg,
                          int64_t now_ms, lwm2m_uplink_reply_t *r)
{
    lwm2m_query_t q = {0};
    lwm2m_register_params_t p;
    srv_reg_t *reg = find_location(s, msg, r);
    if (!reg || parse_params(msg, false, &q, &p, r) != 0)
        goto out;
    if (p.has_lifetime &&
        (p.lifetime < s->config.lifetime_min || p.lifetime > s->config.lifetime_max)) {
        reply(r, 400, "lifetime out of the accepted range");
        goto out;
    }
    bool objects_changed = false;
    if (msg->payload_len) {
        char err[128] = "";
        lwm2m_registration_t tmp;
        memset(&tmp, 0, sizeof(tmp));
        if (parse_objects(msg, &tmp, err, sizeof(err)) < 0) {
            reply(r, 400, err);
            goto out;
        }
        lwm2m_links_clear(&reg->pub.objects);
        reg->pub.objects = tmp.objects;
        snprintf(reg->pub.root_path, sizeof(reg->pub.root_path), "%s", tmp.root_path);
        if (tmp.format_count) {
            memcpy(reg->pub.formats, tmp.formats, sizeof(tmp.formats));
            reg->pub.format_count = tmp.format_count;
        }
        objects_changed = true;
    }
    if (p.has_lifetime)
        reg->pub.lifetime = p.lifetime;
    if (p.has_binding) {
        binding_text(p.binding, reg->pub.binding, sizeof(reg->pub.binding));
        reg->pub.queue_mode = (p.binding & LWM2M_BINDING_Q) != 0;
    }
    if (p.sms)
        snprintf(reg->pub.sms, sizeof(reg->pub.sms), "%s", p.sms);
    reg->pub.updated_at_ms = now_ms;
    set_peer(s, reg, peer);
    set_expiry(s, reg, now_ms);
    srv_mark_awake(s, reg, now_ms);
    r->code = 204;
    uint64_t id = reg->id;
    if (s->events.updated)
        s->events.updated(s->events_ctx, &reg->pub, objects_changed);
    if (hash_get_u64(&s->by_id, id) == reg) {
        if (srv_has_gateway_object(reg))
            srv_read_gateway_object(s, reg, now_ms);
        srv_flush_queue(s, reg, now_ms);
    }
out:
    lwm2m_query_clear(&q);
}

static bool prefix_seen_before(const lwm2m_nodes_t *nodes, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(nodes->items[j].path.prefix, nodes->items[i].path.prefix) == 0)
            return true;
    return false;
}

/* Send from an LwM2M gateway: records with an end-device prefix go to that end device (prefix
 * removed); the others, in `own`, are the gateway's. */
static void split_send(lwm2m_server_t *s, srv_reg_t *gw, const lwm2m_nodes_t *nodes,
                       lwm2m_nodes_t *own)
{
    for (size_t i = 0; i < nodes->count; i++) {
        const lwm2m_node_t *n = &nodes->items[i];
        lwm2m_node_t *copy;
        if (!n->path.prefix[0]) {
            if (lwm2m_nodes_add(own, &n->path, &n->value, &copy) == 0) {
                copy->has_time = n->has_time;
                copy->time = n->time;
            }
            continue;
        }
        srv_reg_t *dev =
            prefix_seen_before(nodes, i) ? NULL : srv_end_device_by_prefix(s, gw, n->path.prefix);
        if (!dev)
            continue;
        lwm2m_nodes_t part = {0};
        for (size_t k = i; k < nodes->count; k++) {
            const lwm2m_node_t *m = &nodes->items[k];
            if (strcmp(m->path.prefix, n->path.prefix) != 0)
                continue;
            lwm2m_path_t path = m->path;
            path.prefix[0] = 0;
            if (lwm2m_nodes_add(&part, &path, &m->value, &copy) == 0) {
                copy->has_time = m->has_time;
                copy->time = m->time;
            }
        }
        if (part.count && s->events.send)
            s->events.send(s->events_ctx, &dev->pub, &part);
        lwm2m_nodes_clear(&part);
    }
}

static void handle_send(lwm2m_server_t *s, const lwm2m_peer_t *peer, const lwm2m_uplink_t *msg,
                        int64_t now_ms, lwm2m_uplink_reply_t *r)
{
    char key[LWM2M_ADDRESS_MAX + 16];
    address_key(peer, key, sizeof(key));
    srv_reg_t *reg = msg->endpoint ? hash_get_str(&s->by_endpoint, msg->endpoint)
                                   : hash_get_str(&s->by_address, key);
    if (!reg) {
        reply(r, 404, "not registered");
        return;
    }
    uint16_t cf = msg->has_content_format ? msg->content_format : LWM2M_CF_SENML_CBOR;
    const lwm2m_codec_t *codec = lwm2m_codec_find(cf);
    if (!codec ||
        (cf != LWM2M_CF_SENML_JSON && cf != LWM2M_CF_SENML_CBOR && cf != LWM2M_CF_LWM2M_CBOR)) {
        reply(r, 415, "Send needs SenML JSON, SenML CBOR or LwM2M CBOR");
        return;
    }
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t e = {0};
    lwm2m_path_t root = lwm2m_path_root();
    lwm2m_decode_opts_t opts = {.model = s->config.model};
    if (codec->decode(msg->payload, msg->payload_len, &root, &opts, &nodes, &e) < 0) {
        char detail[sizeof(r->error)];
        snprintf(detail, sizeof(detail), "%.90s at byte %zu", e.message, e.offset);
        reply(r, 400, detail);
        lwm2m_nodes_clear(&nodes);
        return;
    }
    if (reg->pub.root_path[0])
        lwm2m_nodes_strip_prefix(&nodes, reg->pub.root_path + 1);
    srv_mark_awake(s, reg, now_ms);
    r->code = 204;
    uint64_t id = reg->id;
    lwm2m_nodes_t own = {0};
    split_send(s, reg, &nodes, &own);
    if (own.count && s->events.send && hash_get_u64(&s->by_id, id) == reg)
        s->events.send(s->events_ctx, &reg->pub, &own);
    lwm2m_nodes_clear(&own);
    lwm2m_nodes_clear(&nodes);
    if (hash_get_u64(&s->by_id, id) == reg)
        srv_flush_queue(s, reg, now_ms);
}

void lwm2m_server_uplink(lwm2m_server_t *s, const lwm2m_peer_t *peer, const lwm2m_uplink_t *msg,
                         int64_t now_ms, lwm2m_uplink_reply_t *r)
{
    memset(r, 0, sizeof(*r));
    if (msg->payload_len > s->config.max_payload) {
        reply(r, 413, "payload too large");
        return;
    }
    switch (msg->type) {
    case LWM2M_UP_REGISTER:
        handle_register(s, peer, msg, now_ms, r);
        break;
    case LWM2M_UP_UPDATE:
        handle_update(s, peer, msg, now_ms, r);
        break;
    case LWM2M_UP_DEREGISTER: {
        srv_reg_t *reg = find_location(s, msg, r);
        if (reg) {
            r->code = 202;
            remove_registration(s, reg, LWM2M_DEREG_REQUESTED, now_ms);
        }
        break;
    }
    case LWM2M_UP_SEND:
        handle_send(s, peer, msg, now_ms, r);
        break;
    default:
        reply(r, 400, "unknown operation");
    }
}

void lwm2m_server_peer_seen(lwm2m_server_t *s, const lwm2m_peer_t *peer, int64_t now_ms)
{
    char key[LWM2M_ADDRESS_MAX + 16];
    address_key(peer, key, sizeof(key));
    srv_reg_t *reg = hash_get_str(&s->by_address, key);
    if (reg && reg->pub.queue_mode) {
        srv_mark_awake(s, reg, now_ms);
        srv_flush_queue(s, reg, now_ms);
    }
}

static void reg_timer(lwm2m_server_t *s, const timer_entry_t *t, int64_t now_ms)
{
    srv_reg_t *reg = srv_reg_by_id(s, t->id);
    if (!reg || t->generation != reg->generation)
        return;
    if (t->kind == TIMER_EXPIRY && reg->pub.expires_at_ms <= now_ms) {
        remove_registration(s, reg, LWM2M_DEREG_EXPIRED, now_ms);
    } else if (t->kind == TIMER_AWAKE && reg->pub.awake && reg->awake_until <= now_ms) {
        reg->pub.awake = false;
        if (s->events.awake_changed)
            s->events.awake_changed(s->events_ctx, &reg->pub);
    }
}

int64_t lwm2m_server_tick(lwm2m_server_t *s, int64_t now_ms)
{
    const timer_entry_t *t;
    while ((t = timers_peek(&s->timers)) && t->deadline <= now_ms) {
        timer_entry_t entry = *t;
        timers_pop(&s->timers);
        if (entry.kind == TIMER_EXPIRY || entry.kind == TIMER_AWAKE)
            reg_timer(s, &entry, now_ms);
        else
            srv_request_timer(s, &entry, now_ms);
    }
    t = timers_peek(&s->timers);
    return t ? t->deadline : INT64_MAX;
}

const lwm2m_registration_t *lwm2m_server_find(const lwm2m_server_t *s, const char *endpoint)
{
    srv_reg_t *reg = hash_get_str(&s->by_endpoint, endpoint);
    return reg ? &reg->pub : NULL;
}

const lwm2m_registration_t *lwm2m_server_find_by_location(const lwm2m_server_t *s,
                                                          const char *location)
{
    srv_reg_t *reg = hash_get_str(&s->by_location, location);
    return reg ? &reg->pub : NULL;
}

size_t lwm2m_server_count(const lwm2m_server_t *s)
{
    return s->by_id.count;
}

int lwm2m_server_restore(lwm2m_server_t *s, const lwm2m_registration_t *saved, int64_t now_ms)
{
    if (saved->expires_at_ms <= now_ms || hash_get_str(&s->by_endpoint, saved->endpoint) ||
        hash_get_str(&s->by_location, saved->location))
        return LWM2M_ERR_BAD_REQUEST;
    srv_reg_t *reg = calloc(1, sizeof(*reg));
    if (!reg)
        return LWM2M_ERR_INTERNAL;
    reg->pub = *saved;
    memset(&reg->pub.objects, 0, sizeof(reg->pub.objects));
    for (size_t i = 0; i < saved->objects.count; i++) {
        const lwm2m_link_t *l = &saved->objects.items[i];
        lwm2m_link_t *copy;
        if (lwm2m_links_add(&reg->pub.objects, l->uri, &copy) < 0)
            break;
        for (size_t k = 0; k < l->attr_count; k++)
            lwm2m_link_add_attr(copy, l->attrs[k].name, l->attrs[k].value, l->attrs[k].quoted);
    }
    reg->pub.awake = false;
    reg->id = s->next_reg_id++;
    reg->address_key[0] = 0;
    hash_put_str(&s->by_endpoint, reg->pub.endpoint, reg);
    hash_put_str(&s->by_location, reg->pub.location, reg);
    hash_put_u64(&s->by_id, reg->id, reg);
    lwm2m_peer_t peer = saved->peer;
    set_peer(s, reg, &peer);
    reg->generation++;
    timers_push(&s->timers, reg->pub.expires_at_ms, TIMER_EXPIRY, reg->id, reg->generation);
    return 0;
}

int lwm2m_server_remove(lwm2m_server_t *s, const char *endpoint, int64_t now_ms)
{
    srv_reg_t *reg = hash_get_str(&s->by_endpoint, endpoint);
    if (!reg)
        return LWM2M_ERR_NOT_FOUND;
    remove_registration(s, reg, LWM2M_DEREG_REMOVED, now_ms);
    return 0;
}
