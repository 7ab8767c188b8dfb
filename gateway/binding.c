/* binding.c - the LwM2M 1.2 MQTT transport binding, server side: the broker link, device
 * messages to uplinks / responses / notifications, the server's requests to CBOR maps, and
 * telling our own publications (the shared topic brings them back) from the devices'. */
#include "binding.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lwm2m/attr.h"
#include "lwm2m/codec.h"
#include "lwm2m/mqtt_msg.h"
#include "mqtt/client.h"
#include "u64map.h"

#define TOPIC_MAX 512
#define QUERY_MAX 2048
#define TRACKED_MAX (1u << 20) /* Observe / Cancel-Observe tokens awaiting their answer */
#define ECHOES_MAX (1u << 16)  /* our publications awaiting their echo */
#define HELD_MAX 4096          /* requests held while an uplink is being answered */
#define HASHED_ADDRESS_LEN 17  /* "~" + 16 hex digits, for endpoints an address can't hold */
#define LONG_NAMES_MAX (1u << 20)

enum { TRACK_OBSERVE = 1, TRACK_CANCEL = 2 };

typedef struct held_msg {
    char *topic;
    uint8_t *data;
    size_t len;
} held_msg_t;

/* Room to turn a composite request's path list into key 6's text strings. */
typedef struct path_scratch {
    lwm2m_path_t paths[LWM2M_MQTT_MAX_PATHS];
    char texts[LWM2M_MQTT_MAX_PATHS][LWM2M_PATH_STR_MAX + 32];
    lwm2m_mqtt_str_t strs[LWM2M_MQTT_MAX_PATHS];
} path_scratch_t;

struct binding {
    lwm2m_server_t *server;
    mqtt_client_t *client;
    lwm2m_transport_t iface;
    char *prefix, *uri;
    char filter[TOPIC_MAX];
    u64map_t tracked;    /* token -> TRACK_*: how to pass on the answer */
    u64map_t echoes;     /* fingerprint of topic + payload -> copies in flight */
    u64map_t long_names; /* hashed address -> strdup'd endpoint name */
    held_msg_t *held;
    size_t held_count, held_cap;
    bool holding;
    int64_t now_ms;
    path_scratch_t scratch;
    binding_stats_t stats;
};

static int drop(char *reason, size_t size, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int drop(char *reason, size_t size, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, size, fmt, ap);
    va_end(ap);
    return code;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t fingerprint(const char *topic, const uint8_t *payload, size_t len)
{
    uint64_t h = fnv1a(0xcbf29ce484222325ULL, topic, strlen(topic) + 1);
    h = fnv1a(h, payload, len);
    return h ? h : 1;
}

static void echo_expect(binding_t *b, uint64_t fp)
{
    uint64_t *n = u64map_get(&b->echoes, fp);
    if (n) {
        (*n)++;
        return;
    }
    if (b->echoes.count >= ECHOES_MAX) /* echoes don't come back (broker ACL?): start over */
        u64map_free(&b->echoes);
    u64map_put(&b->echoes, fp, 1);
}

/* True when the message is one of our own publications coming back. */
static bool echo_consume(binding_t *b, uint64_t fp)
{
    uint64_t *n = u64map_get(&b->echoes, fp);
    if (!n)
        return false;
    if (--*n == 0)
        u64map_del(&b->echoes, fp, NULL);
    return true;
}

/* The peer address of an endpoint: its name, or "~" + a hash for a name too long to fit. A
 * Register (and a restore) remembers the name behind the hash, for sending; other messages
 * don't, so that garbage can't grow the map. */
static void address_of(binding_t *b, const char *endpoint, bool remember, char *buf, size_t size)
{
    size_t len = strlen(endpoint);
    if (len < LWM2M_ADDRESS_MAX) {
        snprintf(buf, size, "%s", endpoint);
        return;
    }
    uint64_t h = fnv1a(0xcbf29ce484222325ULL, endpoint, len) | 1;
    snprintf(buf, size, "~%016llx", (unsigned long long)h);
    if (remember && !u64map_get(&b->long_names, h) && b->long_names.count < LONG_NAMES_MAX) {
        char *copy = strdup(endpoint);
        if (copy && u64map_put(&b->long_names, h, (uint64_t)(uintptr_t)copy) < 0)
            free(copy);
    }
}

static void forget_address(binding_t *b, const char *endpoint)
{
    uint64_t copy = 0;
    size_t len = strlen(endpoint);
    if (len >= LWM2M_ADDRESS_MAX &&
        u64map_del(&b->long_names, fnv1a(0xcbf29ce484222325ULL, endpoint, len) | 1, &copy))
        free((void *)(uintptr_t)copy);
}

static const char *endpoint_of(const binding_t *b, const char *address)
{
    if (address[0] == '~' && strlen(address) == HASHED_ADDRESS_LEN) {
        const uint64_t *v = u64map_get(&b->long_names, strtoull(address + 1, NULL, 16));
        if (v)
            return (const char *)(uintptr_t)*v;
    }
    return address;
}

static void peer_of(binding_t *b, const char *endpoint, bool remember, lwm2m_peer_t *peer)
{
    memset(peer, 0, sizeof(*peer));
    peer->transport = &b->iface;
    address_of(b, endpoint, remember, peer->address, sizeof(peer->address));
}

static int hold(binding_t *b, const char *topic, lwm2m_buf_t *buf)
{
    if (b->held_count == b->held_cap) {
        size_t cap = b->held_cap ? b->held_cap * 2 : 16;
        held_msg_t *h = cap <= HELD_MAX ? realloc(b->held, cap * sizeof(*h)) : NULL;
        if (!h)
            return -ENOBUFS;
        b->held = h;
        b->held_cap = cap;
    }
    held_msg_t *h = &b->held[b->held_count];
    if (!(h->topic = strdup(topic)))
        return -ENOMEM;
    h->data = buf->data; /* taken over */
    h->len = buf->len;
    memset(buf, 0, sizeof(*buf));
    b->held_count++;
    return 0;
}

/* Publishes a message to an endpoint's topic (QoS 1), or holds it while an uplink is being
 * answered so that the answer goes first. Returns 0 or a negative code with err filled. */
static int publish(binding_t *b, const char *endpoint, const lwm2m_mqtt_msg_t *m, char *err,
                   size_t errlen)
{
    char topic[TOPIC_MAX];
    lwm2m_buf_t buf;
    lwm2m_error_t e = {0};
    int rc =
        lwm2m_mqtt_topic_format(b->prefix, LWM2M_MQTT_REGISTRATION, endpoint, topic, sizeof(topic));
    if (rc < 0)
        return drop(err, errlen, rc, "no topic for endpoint '%s'", endpoint);
    lwm2m_buf_init(&buf, 0);
    if ((rc = lwm2m_mqtt_msg_encode(m, &buf, &e)) < 0) {
        lwm2m_buf_free(&buf);
        return drop(err, errlen, rc, "cannot encode: %s", e.message);
    }
    uint64_t fp = fingerprint(topic, buf.data, buf.len);
    echo_expect(b, fp);
    if (b->holding && (rc = hold(b, topic, &buf)) == 0)
        return 0;
    rc = mqtt_client_publish(b->client, topic, buf.data, buf.len, 1, false, NULL);
    lwm2m_buf_free(&buf);
    if (rc < 0) {
        echo_consume(b, fp);
        return drop(err, errlen, rc, "cannot publish to %s: %s", topic, strerror(-rc));
    }
    return 0;
}

static void release_held(binding_t *b)
{
    b->holding = false;
    for (size_t i = 0; i < b->held_count; i++) {
        held_msg_t *h = &b->held[i];
        int rc = mqtt_client_publish(b->client, h->topic, h->data, h->len, 1, false, NULL);
        if (rc < 0) {
            echo_consume(b, fingerprint(h->topic, h->data, h->len));
            log_warning("lwm2m.mqtt_binding: cannot publish to %s: %s", h->topic, strerror(-rc));
        }
        free(h->topic);
        free(h->data);
    }
    b->held_count = 0;
}

/* ---- the server's requests ---- */

static uint64_t token_key(const uint8_t *token, size_t len)
{
    uint64_t key = 0;
    if (len == sizeof(key))
        memcpy(&key, token, sizeof(key));
    return key;
}

/* Write-Attributes (and attributes on Observe) as keys 12..21. Attributes without a key (lt,
 * con) and unsetting one (a name without a value) can't be expressed: refused. */
static int put_attributes(const char *query, lwm2m_mqtt_msg_t *m, char *err, size_t errlen)
{
    static const lwm2m_attr_id_t no_key[] = {LWM2M_ATTR_LT, LWM2M_ATTR_CON, LWM2M_ATTR_CANCEL,
                                             LWM2M_ATTR_DIM, LWM2M_ATTR_VER};
    lwm2m_attrs_t a;
    lwm2m_error_t e = {0};
    if (!query || !*query)
        return 0;
    if (lwm2m_attrs_parse(query, strlen(query), &a, &e) < 0)
        return drop(err, errlen, -400, "attributes '%s': %s", query, e.message);
    for (size_t i = 0; i < sizeof(no_key) / sizeof(no_key[0]); i++)
        if ((a.present | a.unset) & LWM2M_ATTR_BIT(no_key[i]))
            return drop(err, errlen, -406, "the MQTT binding has no key for the attribute '%s'",
                        lwm2m_attr_name(no_key[i]));
    if (a.unset)
        return drop(err, errlen, -406,
                    "the MQTT binding cannot remove an attribute (a name without a value)");
#define PUT(id, field)                                                                             \
    if (a.present & LWM2M_ATTR_BIT(id)) {                                                          \
        m->has_##field = true;                                                                     \
        m->field = a.field;                                                                        \
    }
    PUT(LWM2M_ATTR_PMIN, pmin)
    PUT(LWM2M_ATTR_PMAX, pmax)
    PUT(LWM2M_ATTR_GT, gt)
    PUT(LWM2M_ATTR_ST, st)
    PUT(LWM2M_ATTR_EPMIN, epmin)
    PUT(LWM2M_ATTR_EPMAX, epmax)
    PUT(LWM2M_ATTR_EDGE, edge)
    PUT(LWM2M_ATTR_HQMAX, hqmax)
#undef PUT
    return 0;
}

/* Key 6: the request's SenML / SenML-ETCH path list as text paths, under the alternate root
 * path when the device has one (the composite request's uri is that root, or "/"). */
static int put_paths(binding_t *b, const lwm2m_downlink_t *d, lwm2m_mqtt_msg_t *m, char *err,
                     size_t errlen)
{
    path_scratch_t *s = &b->scratch;
    lwm2m_error_t e = {0};
    size_t n = 0;
    const char *root = strcmp(d->uri, "/") == 0 ? "" : d->uri;
    if (lwm2m_paths_decode(d->content_format, d->payload, d->payload_len, s->paths,
                           LWM2M_MQTT_MAX_PATHS, &n, &e) < 0)
        return drop(err, errlen, -400, "path list: %s", e.message);
    for (size_t i = 0; i < n; i++) {
        char p[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(&s->paths[i], p, sizeof(p));
        snprintf(s->texts[i], sizeof(s->texts[i]), "%.32s%.57s", root, p);
        s->strs[i].data = s->texts[i];
        s->strs[i].len = strlen(s->texts[i]);
    }
    m->has_paths = true;
    m->paths = s->strs;
    m->path_count = n;
    return 0;
}

static void put_payload(const lwm2m_downlink_t *d, lwm2m_mqtt_msg_t *m, bool with_ct)
{
    if (!d->has_payload)
        return;
    m->has_payload = true;
    m->payload.data = (const char *)d->payload;
    m->payload.len = d->payload_len;
    m->has_ct = with_ct;
    m->ct = d->content_format;
}

/* Maps a downlink to a request map (Transport §8.3.3, §8.3.4). */
static int build_request(binding_t *b, const lwm2m_downlink_t *d, lwm2m_mqtt_msg_t *m, char *err,
                         size_t errlen)
{
    static const uint8_t ops[] = {
        [LWM2M_REQ_READ] = LWM2M_MQTT_OP_READ,
        [LWM2M_REQ_DISCOVER] = LWM2M_MQTT_OP_DISCOVER,
        [LWM2M_REQ_WRITE_REPLACE] = LWM2M_MQTT_OP_WRITE_REPLACE,
        [LWM2M_REQ_WRITE_PARTIAL] = LWM2M_MQTT_OP_WRITE_PARTIAL_UPDATE,
        [LWM2M_REQ_WRITE_ATTRIBUTES] = LWM2M_MQTT_OP_WRITE_ATTRIBUTES,
        [LWM2M_REQ_EXECUTE] = LWM2M_MQTT_OP_EXECUTE,
        [LWM2M_REQ_CREATE] = LWM2M_MQTT_OP_CREATE,
        [LWM2M_REQ_DELETE] = LWM2M_MQTT_OP_DELETE,
        [LWM2M_REQ_READ_COMPOSITE] = LWM2M_MQTT_OP_READ_COMPOSITE,
        [LWM2M_REQ_WRITE_COMPOSITE] = LWM2M_MQTT_OP_WRITE_COMPOSITE,
        [LWM2M_REQ_OBSERVE] = LWM2M_MQTT_OP_OBSERVE,
        [LWM2M_REQ_CANCEL_OBSERVE] = LWM2M_MQTT_OP_CANCEL_OBSERVE,
        [LWM2M_REQ_OBSERVE_COMPOSITE] = LWM2M_MQTT_OP_OBSERVE_COMPOSITE,
        [LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE] = LWM2M_MQTT_OP_CANCEL_OBSERVE,
    };
    memset(m, 0, sizeof(*m));
    if ((size_t)d->type >= sizeof(ops) || !ops[d->type])
        return drop(err, errlen, -501, "request type %d has no MQTT operation", (int)d->type);
    if (d->token_len > LWM2M_MQTT_TOKEN_MAX)
        return drop(err, errlen, -500, "token of %zu bytes", d->token_len);
    m->has_operation = true;
    m->operation = ops[d->type];
    m->has_token = true;
    m->token.is_bytes = true;
    memcpy(m->token.bytes, d->token, d->token_len);
    m->token.len = (uint8_t)d->token_len;
    m->has_uri = true;
    m->uri.data = d->uri;
    m->uri.len = strlen(d->uri);
    switch (d->type) {
    case LWM2M_REQ_DISCOVER:
        if (d->query && strncmp(d->query, "depth=", 6) == 0) {
            if (lwm2m_discover_depth_parse(d->query + 6, strlen(d->query + 6), &m->depth) < 0)
                return drop(err, errlen, -400, "bad discover query '%s'", d->query);
            m->has_depth = true;
        }
        return 0;
    case LWM2M_REQ_WRITE_REPLACE:
    case LWM2M_REQ_WRITE_PARTIAL:
    case LWM2M_REQ_CREATE:
        put_payload(d, m, true);
        return 0;
    case LWM2M_REQ_WRITE_COMPOSITE:
        m->has_uri = false;
        put_payload(d, m, true);
        return 0;
    case LWM2M_REQ_EXECUTE:
        put_payload(d, m, false); /* the arguments; Execute has no ct */
        return 0;
    case LWM2M_REQ_WRITE_ATTRIBUTES:
    case LWM2M_REQ_OBSERVE:
        return put_attributes(d->query, m, err, errlen);
    case LWM2M_REQ_READ_COMPOSITE:
    case LWM2M_REQ_OBSERVE_COMPOSITE: {
        m->has_uri = false;
        int rc = put_paths(b, d, m, err, errlen);
        return rc < 0 ? rc : put_attributes(d->query, m, err, errlen);
    }
    case LWM2M_REQ_CANCEL_OBSERVE:
    case LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE:
        m->has_uri = false; /* the observation's token names it */
        return 0;
    default:
        return 0;
    }
}

static int transport_send(void *ctx, const lwm2m_peer_t *peer, const lwm2m_downlink_t *d)
{
    binding_t *b = ctx;
    lwm2m_mqtt_msg_t m;
    char err[200];
    const char *endpoint = endpoint_of(b, peer->address);
    int rc = build_request(b, d, &m, err, sizeof(err));
    if (rc < 0) {
        b->stats.refused++;
        log_warning("lwm2m.mqtt_binding: %s: cannot send %s %s: %s", endpoint,
                    lwm2m_req_type_name(d->type), d->uri, err);
        return rc;
    }
    if ((rc = publish(b, endpoint, &m, err, sizeof(err))) < 0) {
        log_warning("lwm2m.mqtt_binding: %s: %s", endpoint, err);
        return rc;
    }
    b->stats.requests++;
    uint64_t key = token_key(d->token, d->token_len);
    if (d->type == LWM2M_REQ_OBSERVE || d->type == LWM2M_REQ_OBSERVE_COMPOSITE ||
        d->type == LWM2M_REQ_CANCEL_OBSERVE || d->type == LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE) {
        bool observe = d->type == LWM2M_REQ_OBSERVE || d->type == LWM2M_REQ_OBSERVE_COMPOSITE;
        if (key && b->tracked.count < TRACKED_MAX)
            u64map_put(&b->tracked, key, observe ? TRACK_OBSERVE : TRACK_CANCEL);
    }
    return 0;
}

static void transport_forget(void *ctx, const lwm2m_peer_t *peer, const uint8_t *token,
                             size_t token_len)
{
    binding_t *b = ctx;
    (void)peer;
    u64map_del(&b->tracked, token_key(token, token_len), NULL);
}

/* ---- the devices' messages ---- */

/* A device's token as the server's 8 bytes: a byte string as is, a uint big-endian. */
static size_t token_bytes(const lwm2m_mqtt_token_t *t, uint8_t out[LWM2M_MQTT_TOKEN_MAX])
{
    if (t->is_bytes) {
        memcpy(out, t->bytes, t->len);
        return t->len;
    }
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(t->number >> (56 - 8 * i));
    return 8;
}

static void reply(binding_t *b, const char *endpoint, const lwm2m_mqtt_msg_t *request, int code)
{
    lwm2m_mqtt_msg_t r;
    char err[200];
    memset(&r, 0, sizeof(r));
    r.has_result = true;
    r.result = (uint16_t)code;
    r.has_token = request->has_token;
    r.token = request->token;
    if (publish(b, endpoint, &r, err, sizeof(err)) < 0)
        log_warning("lwm2m.mqtt_binding: %s: cannot answer: %s", endpoint, err);
    else
        b->stats.replies++;
}

static const char *op_name(unsigned op)
{
    switch (op) {
    case LWM2M_MQTT_OP_REGISTER:
        return "Register";
    case LWM2M_MQTT_OP_UPDATE:
        return "Update";
    case LWM2M_MQTT_OP_DEREGISTER:
        return "De-register";
    case LWM2M_MQTT_OP_NOTIFY:
        return "Notify";
    default:
        return "Send";
    }
}

/* Appends "&key=value" (value percent-encoded: the core's query parser decodes it). -1 when it
 * doesn't fit. */
static int query_add(char *q, size_t size, const char *key, const char *value, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t off = strlen(q);
    int n = snprintf(q + off, size - off, "%s%s=", off ? "&" : "", key);
    if (n < 0 || (size_t)n >= size - off)
        return -1;
    off += (size_t)n;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)value[i];
        if (off + 4 > size)
            return -1;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c)) {
            q[off++] = (char)c;
        } else {
            q[off++] = '%';
            q[off++] = hex[c >> 4];
            q[off++] = hex[c & 15];
        }
    }
    q[off] = 0;
    return 0;
}

/* The registration parameters of a Register or Update as the query the core parses. */
static int build_query(const char *endpoint, const lwm2m_mqtt_msg_t *m, char *q, size_t size)
{
    char lt[16];
    int rc = 0;
    q[0] = 0;
    snprintf(lt, sizeof(lt), "%u", (unsigned)m->lifetime);
    if (m->operation == LWM2M_MQTT_OP_REGISTER)
        rc |= query_add(q, size, "ep", endpoint, strlen(endpoint));
    if (m->has_lifetime)
        rc |= query_add(q, size, "lt", lt, strlen(lt));
    if (m->has_version)
        rc |= query_add(q, size, "lwm2m", m->version.data, m->version.len);
    if (m->has_binding)
        rc |= query_add(q, size, "b", m->binding.data, m->binding.len);
    if (m->has_sms)
        rc |= query_add(q, size, "sms", m->sms.data, m->sms.len);
    return rc;
}

/* Register, Update, De-register and Send (also a Notify the server doesn't know: the TS's own
 * Send example carries operation 23). Always answered. */
static int handle_uplink(binding_t *b, const char *endpoint, const lwm2m_mqtt_msg_t *m,
                         lwm2m_uplink_type_t type, char *reason, size_t rlen)
{
    char query[QUERY_MAX];
    lwm2m_peer_t peer;
    lwm2m_uplink_reply_t r;
    const char *name = op_name(m->operation);
    if (!m->has_token) {
        reply(b, endpoint, m, 400);
        return drop(reason, rlen, -400, "%s without a token", name);
    }
    if (type == LWM2M_UP_REGISTER && (!m->has_lifetime || !m->has_version)) {
        reply(b, endpoint, m, 400);
        return drop(reason, rlen, -400, "Register without %s",
                    m->has_lifetime ? "version" : "lifetime");
    }
    if (m->has_ep && strcmp(m->ep.data, endpoint) != 0) {
        reply(b, endpoint, m, 400);
        return drop(reason, rlen, -400, "%s for '%s' on the topic of '%s'", name, m->ep.data,
                    endpoint);
    }
    if (type != LWM2M_UP_REGISTER) {
        /* The topic stands for the location: only a registration made over MQTT answers. */
        const lwm2m_registration_t *reg = lwm2m_server_find(b->server, endpoint);
        if (!reg || reg->peer.transport != &b->iface) {
            reply(b, endpoint, m, 404);
            return 0;
        }
    }
    if (build_query(endpoint, m, query, sizeof(query)) < 0) {
        reply(b, endpoint, m, 400);
        return drop(reason, rlen, -400, "%s parameters too long", name);
    }
    bool links = type == LWM2M_UP_REGISTER || type == LWM2M_UP_UPDATE;
    lwm2m_uplink_t up = {
        .type = type,
        .query = query,
        .content_format = links ? LWM2M_CF_LINK : m->ct,
        .has_content_format = links ? m->has_payload : m->has_ct,
        .payload = m->has_payload ? (const uint8_t *)m->payload.data : NULL,
        .payload_len = m->has_payload ? m->payload.len : 0,
        .endpoint = endpoint,
    };
    peer_of(b, endpoint, type == LWM2M_UP_REGISTER, &peer);
    b->stats.uplinks++;
    b->holding = true; /* requests fired from inside (observe on register) follow the answer */
    lwm2m_server_uplink(b->server, &peer, &up, b->now_ms, &r);
    b->holding = false;
    reply(b, endpoint, m, r.code);
    release_held(b);
    if (type == LWM2M_UP_REGISTER && !lwm2m_server_find(b->server, endpoint))
        forget_address(b, endpoint);
    if (r.code >= 400)
        log_debug("lwm2m.mqtt_binding: %s: %s answered %d: %s", endpoint, name, r.code, r.error);
    return 0;
}

/* The answer to one of the server's requests. */
static int handle_response(binding_t *b, const char *endpoint, const lwm2m_mqtt_msg_t *m,
                           char *reason, size_t rlen)
{
    uint8_t token[LWM2M_MQTT_TOKEN_MAX];
    uint64_t kind = 0;
    lwm2m_peer_t peer;
    if (!m->has_token)
        return drop(reason, rlen, -400, "result %u without a token", m->result);
    size_t len = token_bytes(&m->token, token);
    u64map_del(&b->tracked, token_key(token, len), &kind);
    const char *location = m->has_uri ? m->uri.data : NULL;
    lwm2m_response_t rsp = {
        .token = token,
        .token_len = len,
        .code = m->result,
        .content_format = m->has_ct ? m->ct : -1,
        .payload = m->has_payload ? (const uint8_t *)m->payload.data : NULL,
        .payload_len = m->has_payload ? m->payload.len : 0,
        .observe_seq = kind == TRACK_OBSERVE && m->result / 100 == 2 ? 0 : -1,
        .location = location && location[0] == '/' ? location + 1 : location,
    };
    peer_of(b, endpoint, false, &peer);
    if (lwm2m_server_response(b->server, &peer, &rsp, b->now_ms) == LWM2M_ERR_NOT_FOUND)
        return drop(reason, rlen, -404, "result %u for a token the server does not know",
                    m->result);
    b->stats.responses++;
    lwm2m_server_peer_seen(b->server, &peer, b->now_ms);
    return 0;
}

/* Notify carries the observation's token and gets no LwM2M answer (the PUBACK is its
 * acknowledgement). */
static int handle_notify(binding_t *b, const char *endpoint, const lwm2m_mqtt_msg_t *m,
                         char *reason, size_t rlen)
{
    uint8_t token[LWM2M_MQTT_TOKEN_MAX];
    lwm2m_peer_t peer;
    if (!m->has_token)
        return drop(reason, rlen, -400, "Notify without a token");
    size_t len = token_bytes(&m->token, token);
    uint64_t key = token_key(token, len), *kind = u64map_get(&b->tracked, key);
    if (kind && *kind == TRACK_CANCEL)
        return 0; /* late, for an observation being cancelled: its token answers the cancel */
    lwm2m_response_t rsp = {
        .token = token,
        .token_len = len,
        .code = 205,
        .content_format = m->has_ct ? m->ct : -1,
        .payload = m->has_payload ? (const uint8_t *)m->payload.data : NULL,
        .payload_len = m->has_payload ? m->payload.len : 0,
        .observe_seq = kind ? 0 : 1, /* ahead of the Observe's answer: it is the first */
    };
    if (kind)
        u64map_del(&b->tracked, key, NULL);
    peer_of(b, endpoint, false, &peer);
    int rc = lwm2m_server_response(b->server, &peer, &rsp, b->now_ms);
    if (rc == LWM2M_ERR_NOT_FOUND)
        return handle_uplink(b, endpoint, m, LWM2M_UP_SEND, reason, rlen);
    if (rc < 0)
        return drop(reason, rlen, rc, "undecodable Notify (ct %d)", rsp.content_format);
    b->stats.notifications++;
    return 0;
}

static int handle_request(binding_t *b, const char *endpoint, const lwm2m_mqtt_msg_t *m,
                          char *reason, size_t rlen)
{
    unsigned op = m->operation;
    switch (op) {
    case LWM2M_MQTT_OP_REGISTER:
        return handle_uplink(b, endpoint, m, LWM2M_UP_REGISTER, reason, rlen);
    case LWM2M_MQTT_OP_UPDATE:
        return handle_uplink(b, endpoint, m, LWM2M_UP_UPDATE, reason, rlen);
    case LWM2M_MQTT_OP_DEREGISTER:
        return handle_uplink(b, endpoint, m, LWM2M_UP_DEREGISTER, reason, rlen);
    case LWM2M_MQTT_OP_SEND:
        return handle_uplink(b, endpoint, m, LWM2M_UP_SEND, reason, rlen);
    case LWM2M_MQTT_OP_NOTIFY:
        return handle_notify(b, endpoint, m, reason, rlen);
    default:
        break;
    }
    if (op >= LWM2M_MQTT_OP_READ && op <= LWM2M_MQTT_OP_CANCEL_OBSERVE)
        return drop(reason, rlen, -400, "operation %u is the server's to send", op);
    if (op < LWM2M_MQTT_OP_REGISTER) {
        reply(b, endpoint, m, 400);
        return drop(reason, rlen, -400, "bootstrap operation %u on the rd topic", op);
    }
    reply(b, endpoint, m, 501);
    return drop(reason, rlen, -501, "unknown operation %u", op);
}

int binding_handle_message(binding_t *b, const char *topic, const uint8_t *payload, size_t len,
                           int64_t now_ms, char *reason, size_t reason_len)
{
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    lwm2m_mqtt_topic_t t;
    lwm2m_mqtt_msg_t m;
    lwm2m_error_t e = {0};
    int rc;
    b->stats.received++;
    b->now_ms = now_ms;
    if (echo_consume(b, fingerprint(topic, payload, len))) {
        b->stats.echoes++;
        return 0;
    }
    if (lwm2m_mqtt_topic_parse(topic, strlen(topic), &t, &e) < 0)
        rc = drop(reason, reason_len, -400, "not a binding topic: %s", e.message);
    else if (t.interface != LWM2M_MQTT_REGISTRATION)
        rc = drop(reason, reason_len, -400, "bootstrap is not served here");
    else if (t.prefix.len != strlen(b->prefix) || memcmp(t.prefix.data, b->prefix, t.prefix.len))
        rc = drop(reason, reason_len, -400, "not under the prefix '%s' ('/' in an endpoint?)",
                  b->prefix);
    else if (t.endpoint.len > LWM2M_ENDPOINT_MAX ||
             lwm2m_endpoint_validate(t.endpoint.data, t.endpoint.len) < 0)
        rc = drop(reason, reason_len, -400, "the topic's endpoint name is not valid");
    else if ((rc = lwm2m_mqtt_msg_decode(payload, len, &m, &e)) < 0)
        rc = drop(reason, reason_len, -400, "malformed message at byte %zu: %s", e.offset,
                  e.message);
    else {
        memcpy(endpoint, t.endpoint.data, t.endpoint.len);
        endpoint[t.endpoint.len] = 0;
        rc = m.has_result ? handle_response(b, endpoint, &m, reason, reason_len)
                          : handle_request(b, endpoint, &m, reason, reason_len);
        lwm2m_mqtt_msg_clear(&m);
    }
    if (rc < 0)
        b->stats.dropped++;
    return rc;
}

/* ---- life cycle ---- */

static void on_event(void *ctx, const mqtt_event_t *ev)
{
    binding_t *b = ctx;
    char reason[256];
    switch (ev->type) {
    case MQTT_EVENT_CONNECTED:
        log_info("lwm2m.mqtt_binding: connected to %s, serving %s", b->uri, b->filter);
        break;
    case MQTT_EVENT_SUBSCRIBED:
        log_info("lwm2m.mqtt_binding: subscribed to %s", b->filter);
        break;
    case MQTT_EVENT_DISCONNECTED:
        log_warning("lwm2m.mqtt_binding: connection to %s lost: %s", b->uri,
                    ev->error ? ev->error : "unknown reason");
        break;
    case MQTT_EVENT_MESSAGE:
        if (binding_handle_message(b, ev->topic, ev->payload, ev->len, b->now_ms, reason,
                                   sizeof(reason)) < 0)
            log_info("lwm2m.mqtt_binding: %s: dropped: %s", ev->topic, reason);
        break;
    case MQTT_EVENT_ERROR:
        log_warning("lwm2m.mqtt_binding: %s", ev->error ? ev->error : "error");
        break;
    default:
        break;
    }
}

binding_t *binding_new(lwm2m_server_t *server, const lmg_conf_t *conf, char *err, size_t errlen)
{
    const lmg_conf_t *c = conf;
    binding_t *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->server = server;
    b->iface = (lwm2m_transport_t){
        .name = "mqtt", .send = transport_send, .forget = transport_forget, .ctx = b};
    b->prefix = strdup(c->lwm2m.mqtt_binding.prefix);
    b->uri = strdup(c->lwm2m.mqtt_binding.broker);
    if (!b->prefix || !b->uri) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (lwm2m_mqtt_topic_format(b->prefix, LWM2M_MQTT_REGISTRATION, NULL, b->filter,
                                sizeof(b->filter)) < 0) {
        snprintf(err, errlen, "prefix '%s' cannot start a topic", b->prefix);
        goto fail;
    }
    /* The cloud broker's credentials and TLS files when the binding shares it. */
    bool shared = strcmp(b->uri, c->mqtt.uri) == 0;
    mqtt_options_t o;
    mqtt_options_init(&o);
    o.uri = b->uri;
    o.client_id = c->lwm2m.mqtt_binding.client_id;
    o.version = (int)c->mqtt.version;
    o.keepalive = c->mqtt.keepalive;
    o.clean_start = true;
    o.reconnect_min_ms = c->mqtt.reconnect_min * 1000;
    o.reconnect_max_ms = c->mqtt.reconnect_max * 1000;
    o.max_incoming_payload = (size_t)c->lwm2m.max_payload + 4096;
    if (shared) {
        o.username = c->mqtt.username[0] ? c->mqtt.username : NULL;
        o.password = c->mqtt.password[0] ? c->mqtt.password : NULL;
        o.ca_file = c->mqtt.tls.ca_file[0] ? c->mqtt.tls.ca_file : NULL;
        o.cert_file = c->mqtt.tls.cert_file[0] ? c->mqtt.tls.cert_file : NULL;
        o.key_file = c->mqtt.tls.key_file[0] ? c->mqtt.tls.key_file : NULL;
        o.verify_hostname = c->mqtt.tls.verify_hostname;
    }
    b->client = mqtt_client_new(&o, err, errlen);
    if (!b->client)
        goto fail;
    int rc = mqtt_client_subscribe(b->client, b->filter, 1);
    if (rc < 0) {
        snprintf(err, errlen, "cannot subscribe to %s: %s", b->filter, strerror(-rc));
        goto fail;
    }
    return b;
fail:
    binding_free(b);
    return NULL;
}

void binding_free(binding_t *b)
{
    if (!b)
        return;
    mqtt_client_free(b->client);
    for (size_t i = 0; i < b->long_names.cap; i++)
        if (b->long_names.keys[i])
            free((void *)(uintptr_t)b->long_names.values[i]);
    u64map_free(&b->long_names);
    u64map_free(&b->tracked);
    u64map_free(&b->echoes);
    for (size_t i = 0; i < b->held_count; i++) {
        free(b->held[i].topic);
        free(b->held[i].data);
    }
    free(b->held);
    free(b->prefix);
    free(b->uri);
    free(b);
}

int binding_start(binding_t *b)
{
    return mqtt_client_start(b->client);
}

int binding_fd(const binding_t *b)
{
    return mqtt_client_fd(b->client);
}

void binding_process(binding_t *b, int64_t now_ms)
{
    b->now_ms = now_ms;
    mqtt_client_dispatch(b->client, on_event, b);
}

const lwm2m_transport_t *binding_iface(const binding_t *b)
{
    return &b->iface;
}

void binding_restore(binding_t *b, lwm2m_registration_t *reg)
{
    char address[LWM2M_ADDRESS_MAX];
    reg->peer.transport = &b->iface;
    /* A hashed address names the device, or the LwM2M gateway that serves it. */
    address_of(b, reg->gateway[0] ? reg->gateway : reg->endpoint, true, address, sizeof(address));
}

void binding_stats(const binding_t *b, binding_stats_t *ret)
{
    *ret = b->stats;
}
