/* bridge.c - LwM2M events to MQTT messages: device state, data, events, gateway status.
 * Commands (MQTT to LwM2M) are in bridge_command.c. */
#include <fnmatch.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_internal.h"
#include "nodejson.h"

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static void free_config(bridge_config_t *c)
{
    free((char *)c->root);
    free((char *)c->gateway_id);
    free((char *)c->version);
    for (size_t i = 0; i < c->rule_count; i++) {
        bridge_rule_t *r = (bridge_rule_t *)&c->rules[i];
        for (size_t k = 0; k < r->path_count; k++)
            free((char *)r->paths[k]);
        free((void *)r->paths);
        free((char *)r->endpoint);
        free((char *)r->attributes);
    }
    free((void *)c->rules);
    memset(c, 0, sizeof(*c));
}

static int copy_config(bridge_config_t *dst, const bridge_config_t *src)
{
    *dst = *src;
    dst->root = dup_or_empty(src->root && *src->root ? src->root : "lwm2m");
    dst->gateway_id = dup_or_empty(src->gateway_id && *src->gateway_id ? src->gateway_id : "gw");
    dst->version = dup_or_empty(src->version);
    dst->rules = NULL;
    dst->rule_count = 0;
    if (!dst->command_max_payload)
        dst->command_max_payload = 65536;
    if (!dst->default_timeout_ms)
        dst->default_timeout_ms = 30000;
    bridge_rule_t *rules = calloc(src->rule_count + 1, sizeof(*rules));
    if (!rules || !dst->root || !dst->gateway_id || !dst->version) {
        free(rules);
        return -1;
    }
    for (size_t i = 0; i < src->rule_count; i++) {
        const bridge_rule_t *r = &src->rules[i];
        const char **paths = calloc(r->path_count + 1, sizeof(char *));
        rules[i].endpoint = dup_or_empty(r->endpoint && *r->endpoint ? r->endpoint : "*");
        rules[i].attributes = r->attributes ? strdup(r->attributes) : NULL;
        rules[i].composite = r->composite;
        rules[i].paths = paths;
        for (size_t k = 0; paths && k < r->path_count; k++)
            paths[k] = strdup(r->paths[k]);
        rules[i].path_count = paths ? r->path_count : 0;
    }
    dst->rules = rules;
    dst->rule_count = src->rule_count;
    return 0;
}

bridge_t *bridge_new(const bridge_config_t *config)
{
    bridge_t *b = calloc(1, sizeof(*b));
    if (!b || copy_config(&b->config, config) < 0) {
        bridge_free(b);
        return NULL;
    }
    hash_init(&b->pending);
    return b;
}

static void free_pending(void *ctx, void *value)
{
    (void)ctx;
    bridge_pending_free(value);
}

void bridge_free(bridge_t *b)
{
    if (!b)
        return;
    hash_foreach(&b->pending, free_pending, NULL);
    hash_free(&b->pending);
    free_config(&b->config);
    free(b);
}

int bridge_reconfigure(bridge_t *b, const bridge_config_t *config)
{
    bridge_config_t next;
    if (copy_config(&next, config) < 0)
        return -1;
    free_config(&b->config);
    b->config = next;
    return 0;
}

void bridge_out_clear(bridge_out_t *out)
{
    for (size_t i = 0; i < out->count; i++) {
        free(out->items[i].topic);
        free(out->items[i].payload);
        free(out->items[i].correlation);
    }
    free(out->items);
    memset(out, 0, sizeof(*out));
}

int bridge_out_add(bridge_out_t *out, const char *topic, const char *payload, size_t len, int qos,
                   bool retain, const uint8_t *correlation, size_t correlation_len)
{
    if (out->count == out->capacity) {
        size_t cap = out->capacity ? out->capacity * 2 : 8;
        bridge_msg_t *items = realloc(out->items, cap * sizeof(*items));
        if (!items)
            return -1;
        out->items = items;
        out->capacity = cap;
    }
    bridge_msg_t *m = &out->items[out->count];
    memset(m, 0, sizeof(*m));
    m->topic = strdup(topic);
    m->payload = malloc(len + 1);
    if (!m->topic || !m->payload) {
        free(m->topic);
        free(m->payload);
        return -1;
    }
    memcpy(m->payload, payload, len);
    m->payload[len] = 0;
    m->len = len;
    m->qos = qos;
    m->retain = retain;
    if (correlation && correlation_len) {
        m->correlation = malloc(correlation_len);
        if (m->correlation) {
            memcpy(m->correlation, correlation, correlation_len);
            m->correlation_len = correlation_len;
        }
    }
    out->count++;
    return 0;
}

int bridge_out_json(bridge_out_t *out, const char *topic, json_object *j, int qos, bool retain,
                    const uint8_t *correlation, size_t correlation_len)
{
    size_t len;
    const char *text = json_object_to_json_string_length(
        j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    int rc = bridge_out_add(out, topic, text, len, qos, retain, correlation, correlation_len);
    json_object_put(j);
    return rc;
}

int bridge_escape_endpoint(const char *endpoint, char *buf, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)endpoint; *p; p++) {
        bool escape = *p == '+' || *p == '#' || *p == '/' || *p == '$' || *p == '%' || *p < 0x20 ||
                      *p == 0x7f;
        if (n + (escape ? 3 : 1) >= size)
            return -413;
        if (escape) {
            buf[n++] = '%';
            buf[n++] = hex[*p >> 4];
            buf[n++] = hex[*p & 15];
        } else {
            buf[n++] = (char)*p;
        }
    }
    if (n >= size)
        return -413;
    buf[n] = 0;
    return (int)n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int bridge_unescape_endpoint(const char *level, char *buf, size_t size)
{
    size_t n = 0;
    for (const char *p = level; *p; p++) {
        if (n + 1 >= size)
            return -413;
        if (*p == '%') {
            int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
            if (lo < 0 || (hi == 0 && lo == 0))
                return -400;
            buf[n++] = (char)(hi << 4 | lo);
            p += 2;
        } else if (*p == '+' || *p == '#' || *p == '/') {
            return -400;
        } else {
            buf[n++] = *p;
        }
    }
    buf[n] = 0;
    return n ? (int)n : -400;
}

/* "{root}/{escaped ep}/{suffix}" */
int bridge_device_topic(const bridge_t *b, const char *endpoint, const char *suffix, char *buf,
                        size_t size)
{
    char ep[3 * LWM2M_ENDPOINT_MAX + 1];
    if (bridge_escape_endpoint(endpoint, ep, sizeof(ep)) < 0)
        return -413;
    int n = snprintf(buf, size, "%s/%s/%s", b->config.root, ep, suffix);
    return n < 0 || (size_t)n >= size ? -413 : n;
}

int bridge_status_topic(const bridge_t *b, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/$gateway/%s/status", b->config.root, b->config.gateway_id);
    return n < 0 || (size_t)n >= size ? -413 : n;
}

size_t bridge_command_filters(const bridge_t *b, const char *endpoint, char filters[][256],
                              size_t max)
{
    static const char *const suffixes[] = {"command", "set/#", "execute/#"};
    size_t n = 0;
    for (size_t i = 0; i < 3 && n < max; i++) {
        if (!endpoint)
            snprintf(filters[n++], 256, "%s/+/%s", b->config.root, suffixes[i]);
        else if (bridge_device_topic(b, endpoint, suffixes[i], filters[n], 256) >= 0)
            n++;
    }
    return n;
}

static const char *state_name(const lwm2m_registration_t *reg)
{
    if (!reg->queue_mode)
        return "registered";
    return reg->awake ? "awake" : "sleeping";
}

static json_object *objects_json(const lwm2m_registration_t *reg)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < reg->objects.count; i++) {
        const lwm2m_link_t *l = &reg->objects.items[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(l->uri));
        const lwm2m_link_attr_t *ver = lwm2m_link_find_attr(l, "ver");
        if (ver && ver->value)
            json_object_object_add(o, "ver", json_object_new_string(ver->value));
        json_object_array_add(arr, o);
    }
    return arr;
}

static json_object *state_json(const bridge_t *b, const lwm2m_registration_t *reg,
                               const char *state, int64_t wall_ms)
{
    json_object *j = json_object_new_object();
    json_object *formats = json_object_new_array();
    for (size_t i = 0; i < reg->format_count; i++)
        json_object_array_add(formats, json_object_new_int(reg->formats[i]));
    json_object_object_add(j, "endpoint", json_object_new_string(reg->endpoint));
    json_object_object_add(j, "state", json_object_new_string(state));
    json_object_object_add(j, "gateway", json_object_new_string(b->config.gateway_id));
    json_object_object_add(j, "lwm2m", json_object_new_string(lwm2m_version_name(reg->version)));
    json_object_object_add(j, "binding", json_object_new_string(reg->binding));
    json_object_object_add(j, "queue_mode", json_object_new_boolean(reg->queue_mode));
    json_object_object_add(j, "lifetime", json_object_new_int64(reg->lifetime));
    if (reg->sms[0])
        json_object_object_add(j, "sms", json_object_new_string(reg->sms));
    json_object_object_add(j, "location", json_object_new_string(reg->location));
    json_object_object_add(
        j, "transport",
        json_object_new_string(reg->peer.transport ? reg->peer.transport->name : ""));
    json_object_object_add(j, "address", json_object_new_string(reg->peer.address));
    json_object_object_add(j, "objects", objects_json(reg));
    json_object_object_add(j, "formats", formats);
    if (reg->root_path[0])
        json_object_object_add(j, "root_path", json_object_new_string(reg->root_path));
    if (reg->gateway[0]) {
        json_object_object_add(j, "lwm2m_gateway", json_object_new_string(reg->gateway));
        json_object_object_add(j, "prefix", json_object_new_string(reg->prefix));
    }
    json_object_object_add(j, "ts", json_object_new_int64(wall_ms));
    return j;
}

static void publish_state(bridge_t *b, const lwm2m_registration_t *reg, const char *state,
                          int64_t wall_ms, bridge_out_t *out)
{
    char topic[BRIDGE_TOPIC_MAX];
    if (bridge_device_topic(b, reg->endpoint, "state", topic, sizeof(topic)) < 0)
        return;
    bridge_out_json(out, topic, state_json(b, reg, state, wall_ms), b->config.qos_state,
                    b->config.retain_state, NULL, 0);
}

void bridge_event(bridge_t *b, const char *endpoint, const char *event, json_object *extra,
                  int64_t wall_ms, bridge_out_t *out)
{
    char topic[BRIDGE_TOPIC_MAX];
    json_object *j = extra ? extra : json_object_new_object();
    json_object_object_add(j, "event", json_object_new_string(event));
    json_object_object_add(j, "ts", json_object_new_int64(wall_ms));
    if (bridge_device_topic(b, endpoint, "event", topic, sizeof(topic)) < 0) {
        json_object_put(j);
        return;
    }
    bridge_out_json(out, topic, j, b->config.qos_event, false, NULL, 0);
}

void bridge_security_event(bridge_t *b, const char *endpoint, const char *credential,
                           const char *identity, const char *reason, int64_t wall_ms,
                           bridge_out_t *out)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "credential", json_object_new_string(credential));
    if (identity && identity[0])
        json_object_object_add(e, "identity", json_object_new_string(identity));
    json_object_object_add(e, "reason", json_object_new_string(reason));
    bridge_event(b, endpoint, "security", e, wall_ms, out);
}

void bridge_registered(bridge_t *b, const lwm2m_registration_t *reg, bool replaced, int64_t wall_ms,
                       bridge_out_t *out)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "location", json_object_new_string(reg->location));
    json_object_object_add(e, "address", json_object_new_string(reg->peer.address));
    json_object_object_add(e, "replaced", json_object_new_boolean(replaced));
    publish_state(b, reg, state_name(reg), wall_ms, out);
    bridge_event(b, reg->endpoint, "registered", e, wall_ms, out);
}

void bridge_updated(bridge_t *b, const lwm2m_registration_t *reg, int64_t wall_ms,
                    bridge_out_t *out)
{
    publish_state(b, reg, state_name(reg), wall_ms, out);
    bridge_event(b, reg->endpoint, "updated", NULL, wall_ms, out);
}

void bridge_deregistered(bridge_t *b, const lwm2m_registration_t *reg, lwm2m_dereg_reason_t why,
                         int64_t wall_ms, bridge_out_t *out)
{
    if (why == LWM2M_DEREG_REPLACED)
        return; /* the new registration's state follows */
    const char *state = why == LWM2M_DEREG_EXPIRED ? "expired" : "deregistered";
    publish_state(b, reg, state, wall_ms, out);
    json_object *e = json_object_new_object();
    json_object_object_add(e, "reason", json_object_new_string(lwm2m_dereg_reason_name(why)));
    bridge_event(b, reg->endpoint, why == LWM2M_DEREG_EXPIRED ? "expired" : "deregistered", e,
                 wall_ms, out);
}

void bridge_awake_changed(bridge_t *b, const lwm2m_registration_t *reg, int64_t wall_ms,
                          bridge_out_t *out)
{
    publish_state(b, reg, state_name(reg), wall_ms, out);
}

/* One data message per leaf: {root}/{ep}/data/o/i/r[/ri]. */
void bridge_data(bridge_t *b, const lwm2m_registration_t *reg, const lwm2m_nodes_t *nodes,
                 const char *source, int64_t wall_ms, bridge_out_t *out)
{
    for (size_t i = 0; nodes && i < nodes->count; i++) {
        const lwm2m_node_t *n = &nodes->items[i];
        char path[LWM2M_PATH_STR_MAX], suffix[LWM2M_PATH_STR_MAX + 8], topic[BRIDGE_TOPIC_MAX];
        lwm2m_path_t local = n->path;
        const char *ep = reg->endpoint;
        if (n->value.type == LWM2M_TYPE_MULTIPLE || n->value.type == LWM2M_TYPE_INSTANCE ||
            n->path.depth < 3)
            continue;
        local.prefix[0] = 0; /* an end device's data goes to its own topics (objects 25/26) */
        lwm2m_path_format(&local, path, sizeof(path));
        snprintf(suffix, sizeof(suffix), "data%s", path);
        if (bridge_device_topic(b, ep, suffix, topic, sizeof(topic)) < 0)
            continue;
        json_object *value = nodejson_value(&n->value);
        if (b->config.raw_values) {
            const char *text =
                n->value.type == LWM2M_TYPE_STRING || n->value.type == LWM2M_TYPE_CORELNK ||
                        n->value.type == LWM2M_TYPE_OPAQUE || n->value.type == LWM2M_TYPE_OBJLNK
                    ? json_object_get_string(value)
                    : json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
            bridge_out_add(out, topic, text ? text : "null", text ? strlen(text) : 4,
                           b->config.qos_data, b->config.retain_data, NULL, 0);
            json_object_put(value);
            continue;
        }
        json_object *j = json_object_new_object();
        json_object_object_add(j, "value", value);
        json_object_object_add(j, "type", json_object_new_string(lwm2m_type_name(n->value.type)));
        int64_t ts = n->has_time ? (int64_t)llround(n->time * 1000.0) : wall_ms;
        json_object_object_add(j, "ts", json_object_new_int64(ts));
        const lwm2m_resource_def_t *def =
            lwm2m_model_resource(b->config.model, n->path.id[0], n->path.id[2]);
        if (def) {
            json_object_object_add(j, "name", json_object_new_string(def->name));
            if (def->units && *def->units)
                json_object_object_add(j, "unit", json_object_new_string(def->units));
        }
        json_object_object_add(j, "source", json_object_new_string(source));
        bridge_out_json(out, topic, j, b->config.qos_data, b->config.retain_data, NULL, 0);
    }
}

void bridge_notify(bridge_t *b, const lwm2m_registration_t *reg, uint64_t request_id,
                   const lwm2m_nodes_t *nodes, int64_t wall_ms, bridge_out_t *out)
{
    (void)request_id;
    bridge_data(b, reg, nodes, "notify", wall_ms, out);
}

void bridge_send(bridge_t *b, const lwm2m_registration_t *reg, const lwm2m_nodes_t *nodes,
                 int64_t wall_ms, bridge_out_t *out)
{
    bridge_data(b, reg, nodes, "send", wall_ms, out);
}

void bridge_observe_ended(bridge_t *b, const lwm2m_registration_t *reg, uint64_t request_id,
                          int code, int64_t wall_ms, bridge_out_t *out)
{
    char c[16];
    json_object *e = json_object_new_object();
    snprintf(c, sizeof(c), "%d.%02d", code / 100, code % 100);
    json_object_object_add(e, "request", json_object_new_int64((int64_t)request_id));
    json_object_object_add(e, "code", json_object_new_string(c));
    bridge_event(b, reg->endpoint, "observe-cancelled", e, wall_ms, out);
}

void bridge_gateway_status(bridge_t *b, bool online, const bridge_stats_t *stats, int64_t wall_ms,
                           bridge_out_t *out)
{
    char topic[BRIDGE_TOPIC_MAX];
    json_object *j = json_object_new_object();
    json_object_object_add(j, "status", json_object_new_string(online ? "online" : "offline"));
    json_object_object_add(j, "gateway", json_object_new_string(b->config.gateway_id));
    json_object_object_add(j, "version", json_object_new_string(b->config.version));
    json_object_object_add(j, "ts", json_object_new_int64(wall_ms));
    if (stats) {
        json_object *s = json_object_new_object();
        json_object_object_add(s, "devices", json_object_new_int64((int64_t)stats->devices));
        json_object_object_add(s, "uplinks", json_object_new_int64((int64_t)stats->uplinks));
        json_object_object_add(s, "notifications",
                               json_object_new_int64((int64_t)stats->notifications));
        json_object_object_add(s, "commands", json_object_new_int64((int64_t)stats->commands));
        json_object_object_add(s, "command_errors",
                               json_object_new_int64((int64_t)stats->command_errors));
        json_object_object_add(s, "published", json_object_new_int64((int64_t)stats->published));
        json_object_object_add(s, "buffered", json_object_new_int64((int64_t)stats->buffered));
        json_object_object_add(s, "dropped", json_object_new_int64((int64_t)stats->dropped));
        json_object_object_add(s, "uptime", json_object_new_int64(stats->uptime_s));
        json_object_object_add(j, "stats", s);
    }
    bridge_status_topic(b, topic, sizeof(topic));
    bridge_out_json(out, topic, j, 1, true, NULL, 0);
}

size_t bridge_auto_observe(bridge_t *b, const lwm2m_registration_t *reg, bridge_command_t *cmds,
                           size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < b->config.rule_count && n + 1 < max; i++) {
        const bridge_rule_t *r = &b->config.rules[i];
        if (fnmatch(r->endpoint, reg->endpoint, 0) != 0)
            continue;
        /* Before 1.2, attributes can't ride on the Observe: write them first. */
        bool separate =
            r->attributes && *r->attributes && !r->composite && reg->version < LWM2M_VERSION_1_2;
        if (separate && bridge_rule_command(b, reg->endpoint, r, i, &cmds[n]) == 0) {
            cmds[n].request.type = LWM2M_REQ_WRITE_ATTRIBUTES;
            n++;
        }
        if (bridge_rule_command(b, reg->endpoint, r, i, &cmds[n]) == 0) {
            if (separate)
                cmds[n].request.attributes = NULL;
            n++;
        }
    }
    return n;
}
