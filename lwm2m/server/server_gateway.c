/* server_gateway.c - LwM2M Gateway end devices (objects 25 and 26, Gateway TS 1.1): when a
 * device registers /25 instances, the server reads /25 (Device ID, Prefix, IoT Device Objects)
 * at every Register and Update and keeps one registration per end device. An end device is
 * reached through its gateway's peer with its prefix in front of every path ("/d01/3303/0");
 * what it sends back carries the prefix, which is removed before the application sees it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"

#define GATEWAY_OBJECT 25

bool srv_has_gateway_object(const srv_reg_t *reg)
{
    for (size_t i = 0; i < reg->pub.objects.count; i++) {
        const char *uri = reg->pub.objects.items[i].uri;
        if (strncmp(uri, "/25/", 4) == 0 || strcmp(uri, "/25") == 0)
            return true;
    }
    return false;
}

/* Issues the internal Read of /25 whose result srv_gateway_read_done handles. */
void srv_read_gateway_object(lwm2m_server_t *s, srv_reg_t *reg, int64_t now_ms)
{
    lwm2m_request_t r = {
        .type = LWM2M_REQ_READ, .path = lwm2m_path_make(1, GATEWAY_OBJECT, 0, 0, 0), .depth = -1};
    uint64_t id;
    srv_request_internal(s, reg, &r, now_ms, &id);
}

typedef struct end_device {
    char id[LWM2M_ENDPOINT_MAX + 1];
    char prefix[LWM2M_PREFIX_MAX];
    const lwm2m_value_t *objects; /* corelnk */
} end_device_t;

static void copy_text(char *dst, size_t size, const lwm2m_value_t *v)
{
    size_t n = v->u.bytes.len < size - 1 ? v->u.bytes.len : size - 1;
    memcpy(dst, v->u.bytes.data, n);
    dst[n] = 0;
}

/* /25/i/0 Device ID, /25/i/1 Prefix, /25/i/3 IoT Device Objects, indexed by instance. */
static size_t collect(const lwm2m_nodes_t *nodes, end_device_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < nodes->count; i++) {
        const lwm2m_node_t *node = &nodes->items[i];
        if (node->path.depth != 3 || node->path.id[0] != GATEWAY_OBJECT || node->path.id[1] >= max)
            continue;
        size_t k = node->path.id[1];
        uint16_t res = node->path.id[2];
        if (k >= n)
            n = k + 1;
        const lwm2m_value_t *v = &node->value;
        bool text = v->type == LWM2M_TYPE_STRING || v->type == LWM2M_TYPE_CORELNK ||
                    v->type == LWM2M_TYPE_OPAQUE;
        if (res == 0 && text)
            copy_text(out[k].id, sizeof(out[k].id), v);
        else if (res == 1 && text)
            copy_text(out[k].prefix, sizeof(out[k].prefix), v);
        else if (res == 3 && text)
            out[k].objects = v;
    }
    return n;
}

static void remove_end_device(lwm2m_server_t *s, srv_reg_t *dev, int64_t now_ms)
{
    dev->closing = true;
    srv_cancel_all(s, dev, LWM2M_RESULT_CANCELLED, false, now_ms);
    if (s->events.deregistered)
        s->events.deregistered(s->events_ctx, &dev->pub, LWM2M_DEREG_REMOVED);
    srv_reg_destroy(s, dev);
}

typedef struct sweep {
    lwm2m_server_t *s;
    const srv_reg_t *gateway;
    const end_device_t *keep;
    size_t keep_count;
    srv_reg_t *gone[256];
    size_t gone_count;
} sweep_t;

static void find_gone(void *ctx, void *value)
{
    sweep_t *sw = ctx;
    srv_reg_t *dev = value;
    if (strcmp(dev->pub.gateway, sw->gateway->pub.endpoint) != 0 || sw->gone_count >= 256)
        return;
    for (size_t i = 0; i < sw->keep_count; i++)
        if (sw->keep[i].id[0] && strcmp(sw->keep[i].id, dev->pub.endpoint) == 0)
            return;
    sw->gone[sw->gone_count++] = dev;
}

/* Removes the end devices of `gateway` that are not in keep (all of them when keep_count 0). */
static void remove_end_devices(lwm2m_server_t *s, const srv_reg_t *gateway,
                               const end_device_t *keep, size_t keep_count, int64_t now_ms)
{
    sweep_t sw = {.s = s, .gateway = gateway, .keep = keep, .keep_count = keep_count};
    hash_foreach(&s->by_id, find_gone, &sw);
    for (size_t i = 0; i < sw.gone_count; i++)
        remove_end_device(s, sw.gone[i], now_ms);
}

static void upsert_end_device(lwm2m_server_t *s, srv_reg_t *gw, const end_device_t *d,
                              int64_t now_ms)
{
    srv_reg_t *dev = hash_get_str(&s->by_endpoint, d->id);
    bool fresh = !dev;
    if (dev && strcmp(dev->pub.gateway, gw->pub.endpoint) != 0)
        return; /* a directly registered device of that name wins */
    if (fresh) {
        dev = calloc(1, sizeof(*dev));
        if (!dev)
            return;
        dev->id = s->next_reg_id++;
        snprintf(dev->pub.endpoint, sizeof(dev->pub.endpoint), "%.255s", d->id);
        snprintf(dev->pub.location, sizeof(dev->pub.location), "%.60s/%.31s", gw->pub.location,
                 d->prefix);
        snprintf(dev->pub.gateway, sizeof(dev->pub.gateway), "%s", gw->pub.endpoint);
        dev->pub.registered_at_ms = now_ms;
        hash_put_str(&s->by_endpoint, dev->pub.endpoint, dev);
        hash_put_str(&s->by_location, dev->pub.location, dev);
        hash_put_u64(&s->by_id, dev->id, dev);
    }
    snprintf(dev->pub.prefix, sizeof(dev->pub.prefix), "%s", d->prefix);
    dev->pub.version = gw->pub.version;
    memcpy(dev->pub.binding, gw->pub.binding, sizeof(dev->pub.binding));
    dev->pub.lifetime = gw->pub.lifetime;
    dev->pub.expires_at_ms = gw->pub.expires_at_ms; /* ends with its gateway */
    dev->pub.updated_at_ms = now_ms;
    memcpy(dev->pub.formats, gw->pub.formats, sizeof(gw->pub.formats));
    dev->pub.format_count = gw->pub.format_count;
    dev->pub.peer = gw->pub.peer; /* reached through the gateway */
    lwm2m_links_t links = {0};
    if (d->objects && d->objects->u.bytes.len &&
        lwm2m_link_parse((const char *)d->objects->u.bytes.data, d->objects->u.bytes.len, &links,
                         NULL) < 0)
        memset(&links, 0, sizeof(links));
    lwm2m_links_clear(&dev->pub.objects);
    dev->pub.objects = links;
    if (fresh && s->events.registered)
        s->events.registered(s->events_ctx, &dev->pub, false);
    else if (!fresh && s->events.updated)
        s->events.updated(s->events_ctx, &dev->pub, true);
}

void srv_gateway_read_done(lwm2m_server_t *s, srv_reg_t *gw, const lwm2m_nodes_t *nodes,
                           int64_t now_ms)
{
    end_device_t devices[64];
    memset(devices, 0, sizeof(devices));
    size_t n = nodes ? collect(nodes, devices, 64) : 0;
    for (size_t i = 0; i < n; i++) {
        lwm2m_path_t check;
        bool valid_prefix =
            devices[i].prefix[0] &&
            lwm2m_path_parse(devices[i].prefix, strlen(devices[i].prefix),
                             LWM2M_PATH_LENIENT | LWM2M_PATH_ALLOW_PREFIX, &check) == 0 &&
            check.depth == 0;
        if (!devices[i].id[0] || !valid_prefix) {
            devices[i].id[0] = 0; /* an incomplete instance is skipped */
            continue;
        }
        upsert_end_device(s, gw, &devices[i], now_ms);
        if (srv_reg_by_id(s, gw->id) != gw)
            return;
    }
    remove_end_devices(s, gw, devices, n, now_ms);
}

void srv_remove_all_end_devices(lwm2m_server_t *s, const srv_reg_t *gateway, int64_t now_ms)
{
    remove_end_devices(s, gateway, NULL, 0, now_ms);
}

srv_reg_t *srv_end_device_by_prefix(lwm2m_server_t *s, const srv_reg_t *gw, const char *prefix)
{
    char location[LWM2M_LOCATION_MAX];
    snprintf(location, sizeof(location), "%.60s/%.31s", gw->pub.location, prefix);
    return hash_get_str(&s->by_location, location);
}
