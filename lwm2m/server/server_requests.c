/* server_requests.c - device management requests: validation, format choice and fallback,
 * queue mode (held while the device sleeps, one at a time), responses, observations and
 * notifications, timeouts. Every request ends in exactly one result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/attr.h"
#include "server_internal.h"

static const char *const req_names[] = {"",
                                        "read",
                                        "discover",
                                        "write",
                                        "write-partial",
                                        "write-attributes",
                                        "execute",
                                        "create",
                                        "delete",
                                        "read-composite",
                                        "write-composite",
                                        "observe",
                                        "cancel-observe",
                                        "observe-composite",
                                        "cancel-observe-composite"};

const char *lwm2m_req_type_name(lwm2m_req_type_t type)
{
    return type >= 1 && type <= LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE ? req_names[type] : "unknown";
}

lwm2m_req_type_t lwm2m_req_type_from_name(const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "write-replace") == 0)
        return LWM2M_REQ_WRITE_REPLACE;
    for (int i = 1; i <= LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE; i++)
        if (strcmp(name, req_names[i]) == 0)
            return (lwm2m_req_type_t)i;
    return 0;
}

static bool is_composite(lwm2m_req_type_t t)
{
    return t == LWM2M_REQ_READ_COMPOSITE || t == LWM2M_REQ_OBSERVE_COMPOSITE ||
           t == LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE || t == LWM2M_REQ_WRITE_COMPOSITE;
}

static bool carries_values(lwm2m_req_type_t t)
{
    return t == LWM2M_REQ_WRITE_REPLACE || t == LWM2M_REQ_WRITE_PARTIAL || t == LWM2M_REQ_CREATE ||
           t == LWM2M_REQ_WRITE_COMPOSITE;
}

static bool wants_content(lwm2m_req_type_t t)
{
    return t == LWM2M_REQ_READ || t == LWM2M_REQ_OBSERVE || t == LWM2M_REQ_READ_COMPOSITE ||
           t == LWM2M_REQ_OBSERVE_COMPOSITE;
}

static bool excluded(uint16_t cf, const uint16_t *exclude, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (exclude[i] == cf)
            return true;
    return false;
}

static bool advertised(const srv_reg_t *reg, uint16_t cf)
{
    for (size_t i = 0; i < reg->pub.format_count; i++)
        if (reg->pub.formats[i] == cf)
            return true;
    return false;
}

uint16_t srv_pick_format(const lwm2m_server_t *s, const srv_reg_t *reg, lwm2m_req_type_t type,
                         const uint16_t *exclude, size_t exclude_count)
{
    static const uint16_t rank[] = {LWM2M_CF_LWM2M_CBOR, LWM2M_CF_SENML_CBOR, LWM2M_CF_SENML_JSON,
                                    LWM2M_CF_TLV, LWM2M_CF_OMA_JSON};
    static const uint16_t composite[] = {LWM2M_CF_SENML_CBOR, LWM2M_CF_SENML_JSON,
                                         LWM2M_CF_LWM2M_CBOR};
    static const uint16_t v10[] = {LWM2M_CF_TLV, LWM2M_CF_OMA_JSON};
    static const uint16_t v11[] = {LWM2M_CF_TLV, LWM2M_CF_SENML_CBOR, LWM2M_CF_SENML_JSON,
                                   LWM2M_CF_OMA_JSON};
    static const uint16_t v12[] = {LWM2M_CF_SENML_CBOR, LWM2M_CF_LWM2M_CBOR, LWM2M_CF_TLV,
                                   LWM2M_CF_SENML_JSON};
    const uint16_t *list = rank;
    size_t n = sizeof(rank) / sizeof(rank[0]);
    if (is_composite(type)) {
        list = composite;
        n = sizeof(composite) / sizeof(composite[0]);
    }
    uint16_t pref = s->config.preferred_format;
    if (pref && !excluded(pref, exclude, exclude_count) &&
        (!reg->pub.format_count || advertised(reg, pref)))
        return pref;
    if (reg->pub.format_count) {
        for (size_t i = 0; i < n; i++)
            if (advertised(reg, list[i]) && !excluded(list[i], exclude, exclude_count))
                return list[i];
    }
    if (!is_composite(type)) {
        if (reg->pub.version == LWM2M_VERSION_1_0) {
            list = v10;
            n = sizeof(v10) / sizeof(v10[0]);
        } else if (reg->pub.version == LWM2M_VERSION_1_1) {
            list = v11;
            n = sizeof(v11) / sizeof(v11[0]);
        } else {
            list = v12;
            n = sizeof(v12) / sizeof(v12[0]);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!excluded(list[i], exclude, exclude_count))
            return list[i];
    return 0;
}

uint64_t srv_new_token(lwm2m_server_t *s)
{
    uint64_t t;
    do {
        s->random(s->random_ctx, (uint8_t *)&t, sizeof(t));
    } while (t == 0 || hash_get_u64(&s->tokens, t) || hash_get_u64(&s->observations, t));
    return t;
}

void srv_request_free(srv_request_t *req)
{
    if (!req)
        return;
    free(req->paths);
    lwm2m_nodes_clear(&req->nodes);
    free(req->query);
    free(req->arguments);
    free(req);
}

void srv_observation_free(srv_observation_t *obs)
{
    if (!obs)
        return;
    free(obs->paths);
    free(obs);
}

static void list_remove(srv_request_t **head, srv_request_t *req)
{
    for (srv_request_t **p = head; *p; p = &(*p)->next) {
        if (*p == req) {
            *p = req->next;
            req->next = NULL;
            return;
        }
    }
}

static void queue_remove(srv_reg_t *reg, srv_request_t *req)
{
    srv_request_t *prev = NULL;
    for (srv_request_t *q = reg->queue_head; q; prev = q, q = q->next) {
        if (q != req)
            continue;
        if (prev)
            prev->next = q->next;
        else
            reg->queue_head = q->next;
        if (reg->queue_tail == q)
            reg->queue_tail = prev;
        reg->queue_len--;
        q->next = NULL;
        return;
    }
}

static void forget_token(srv_reg_t *reg, uint64_t token)
{
    if (reg && reg->pub.peer.transport && reg->pub.peer.transport->forget)
        reg->pub.peer.transport->forget(reg->pub.peer.transport->ctx, &reg->pub.peer,
                                        (const uint8_t *)&token, sizeof(token));
}

static void drop_observation(lwm2m_server_t *s, srv_reg_t *reg, srv_observation_t *obs)
{
    for (srv_observation_t **p = &reg->observations; *p; p = &(*p)->next) {
        if (*p == obs) {
            *p = obs->next;
            reg->observation_count--;
            break;
        }
    }
    hash_del_u64(&s->observations, obs->token);
    srv_observation_free(obs);
}

/* Decodes a response payload into the result. Returns 0, or fills result->error. */
static void decode_content(lwm2m_server_t *s, const srv_request_t *req, const lwm2m_response_t *rsp,
                           lwm2m_nodes_t *nodes, lwm2m_links_t *links, lwm2m_result_t *result,
                           char *err, size_t errlen)
{
    if (!rsp || !rsp->payload_len || rsp->code / 100 != 2)
        return;
    lwm2m_error_t e = {0};
    int cf = rsp->content_format;
    if (req->type == LWM2M_REQ_DISCOVER || cf == LWM2M_CF_LINK) {
        if (lwm2m_link_parse((const char *)rsp->payload, rsp->payload_len, links, &e) == 0)
            result->links = links;
        else
            snprintf(err, errlen, "undecodable link-format at byte %zu: %s", e.offset, e.message);
        return;
    }
    const lwm2m_codec_t *codec = lwm2m_codec_find((uint16_t)(cf < 0 ? LWM2M_CF_TEXT : cf));
    if (!codec) {
        snprintf(err, errlen, "unsupported content format %d", cf);
        return;
    }
    lwm2m_path_t base = is_composite(req->type) ? lwm2m_path_root() : req->path;
    lwm2m_decode_opts_t opts = {.model = s->config.model};
    if (codec->decode(rsp->payload, rsp->payload_len, &base, &opts, nodes, &e) == 0) {
        srv_reg_t *reg = srv_reg_by_id(s, req->reg_id);
        if (reg && reg->pub.root_path[0]) /* names carry the alternate path: "/lwm2m/3/0/0" */
            lwm2m_nodes_strip_prefix(nodes, reg->pub.root_path + 1);
        if (reg && reg->pub.prefix[0]) /* an end device's answer carries its prefix */
            lwm2m_nodes_strip_prefix(nodes, reg->pub.prefix);
        result->nodes = nodes;
    } else
        snprintf(err, errlen, "undecodable %s payload at byte %zu: %s", codec->name, e.offset,
                 e.message);
}

/* Ends a request: unlinks it, delivers its one result, frees it, and lets the next go. */
static void finish(lwm2m_server_t *s, srv_request_t *req, lwm2m_result_status_t status,
                   const lwm2m_response_t *rsp, const char *error, int64_t now_ms)
{
    srv_reg_t *reg = srv_reg_by_id(s, req->reg_id);
    lwm2m_nodes_t nodes = {0};
    lwm2m_links_t links = {0};
    char err[200] = "";
    lwm2m_result_t result = {
        .request_id = req->id, .type = req->type, .status = status, .error = error};
    if (req->state == REQ_SENT) {
        hash_del_u64(&s->tokens, req->token);
        if (reg) {
            list_remove(&reg->sent, req);
            reg->in_flight--;
        }
    } else if (reg) {
        queue_remove(reg, req);
    }
    hash_del_u64(&s->requests, req->id);
    if (rsp) {
        result.code = rsp->code;
        result.content_format = rsp->content_format < 0 ? 0 : (uint16_t)rsp->content_format;
        result.location = rsp->location;
        decode_content(s, req, rsp, &nodes, &links, &result, err, sizeof(err));
        if (err[0])
            result.error = err;
    }
    if (reg && req->internal) {
        if (req->type == LWM2M_REQ_READ && status == LWM2M_RESULT_RESPONSE && result.nodes &&
            result.code == 205 && !reg->closing)
            srv_gateway_read_done(s, reg, result.nodes, now_ms);
    } else if (reg && s->events.result) {
        s->events.result(s->events_ctx, &reg->pub, &result);
    }
    lwm2m_nodes_clear(&nodes);
    lwm2m_links_clear(&links);
    srv_request_free(req);
    if (reg && srv_reg_by_id(s, reg->id) == reg)
        srv_flush_queue(s, reg, now_ms);
}

/* The URI of a path on this device: alternate root path, end-device prefix, ids. */
static void build_uri(const srv_reg_t *reg, const lwm2m_path_t *path, char *buf, size_t size)
{
    char p[LWM2M_PATH_STR_MAX];
    lwm2m_path_t full = *path;
    if (!full.prefix[0] && reg->pub.prefix[0])
        snprintf(full.prefix, sizeof(full.prefix), "%s", reg->pub.prefix);
    lwm2m_path_format(&full, p, sizeof(p));
    snprintf(buf, size, "%s%s", reg->pub.root_path,
             strcmp(p, "/") == 0 && reg->pub.root_path[0] ? "" : p);
}

/* Encodes the request's payload into out and fills the message. */
static int build_downlink(srv_reg_t *reg, srv_request_t *req, lwm2m_downlink_t *msg,
                          lwm2m_buf_t *payload, char *err, size_t errlen)
{
    lwm2m_error_t e = {0};
    memset(msg, 0, sizeof(*msg));
    msg->type = req->type;
    memcpy(msg->token, &req->token, sizeof(req->token));
    msg->token_len = sizeof(req->token);
    msg->observe = -1;
    msg->confirmable = true;
    msg->query = req->query;
    build_uri(reg, is_composite(req->type) ? &(lwm2m_path_t){0} : &req->path, msg->uri,
              sizeof(msg->uri));
    int rc = 0;
    switch (req->type) {
    case LWM2M_REQ_READ:
    case LWM2M_REQ_OBSERVE:
        msg->accept = req->format;
        msg->observe = req->type == LWM2M_REQ_OBSERVE ? 0 : -1;
        break;
    case LWM2M_REQ_CANCEL_OBSERVE:
        msg->accept = req->format;
        msg->observe = 1;
        break;
    case LWM2M_REQ_DISCOVER:
        msg->accept = LWM2M_CF_LINK;
        break;
    case LWM2M_REQ_EXECUTE:
        if (req->arguments && *req->arguments) {
            rc = lwm2m_buf_append_str(payload, req->arguments);
            msg->has_payload = true;
            msg->content_format = LWM2M_CF_TEXT;
        }
        break;
    case LWM2M_REQ_READ_COMPOSITE:
    case LWM2M_REQ_OBSERVE_COMPOSITE:
    case LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE: {
        bool cbor = req->format != LWM2M_CF_SENML_JSON;
        uint16_t list_cf = reg->pub.version >= LWM2M_VERSION_1_2
                               ? (cbor ? LWM2M_CF_SENML_ETCH_CBOR : LWM2M_CF_SENML_ETCH_JSON)
                               : (cbor ? LWM2M_CF_SENML_CBOR : LWM2M_CF_SENML_JSON);
        rc = lwm2m_paths_encode(list_cf, req->paths, req->path_count, payload, &e);
        msg->has_payload = true;
        msg->content_format = list_cf;
        msg->accept = req->format;
        if (req->type != LWM2M_REQ_READ_COMPOSITE)
            msg->observe = req->type == LWM2M_REQ_OBSERVE_COMPOSITE ? 0 : 1;
        break;
    }
    case LWM2M_REQ_WRITE_REPLACE:
    case LWM2M_REQ_WRITE_PARTIAL:
    case LWM2M_REQ_CREATE:
    case LWM2M_REQ_WRITE_COMPOSITE: {
        const lwm2m_codec_t *codec = lwm2m_codec_find(req->format);
        lwm2m_path_t base = req->type == LWM2M_REQ_WRITE_COMPOSITE ? lwm2m_path_root() : req->path;
        rc = codec ? codec->encode(&base, req->nodes.items, req->nodes.count, payload, &e)
                   : LWM2M_ERR_UNSUPPORTED_FORMAT;
        msg->has_payload = true;
        msg->content_format = req->format;
        break;
    }
    case LWM2M_REQ_WRITE_ATTRIBUTES:
    case LWM2M_REQ_DELETE:
        break;
    }
    if (rc < 0) {
        snprintf(err, errlen, "cannot encode the request: %s",
                 e.message[0] ? e.message : "encoding failed");
        return rc;
    }
    msg->payload = payload->data;
    msg->payload_len = payload->len;
    return 0;
}

static void send_request(lwm2m_server_t *s, srv_reg_t *reg, srv_request_t *req, int64_t now_ms)
{
    lwm2m_downlink_t msg;
    lwm2m_buf_t payload;
    char err[200] = "";
    lwm2m_buf_init(&payload, s->config.max_payload);
    if (req->observation_token)
        req->token = req->observation_token;
    else
        req->token = srv_new_token(s);
    queue_remove(reg, req);
    req->state = REQ_SENT;
    req->next = reg->sent;
    reg->sent = req;
    reg->in_flight++;
    hash_put_u64(&s->tokens, req->token, req);
    if (build_downlink(reg, req, &msg, &payload, err, sizeof(err)) < 0) {
        lwm2m_buf_free(&payload);
        finish(s, req, LWM2M_RESULT_FAILED, NULL, err, now_ms);
        return;
    }
    req->deadline = now_ms + req->timeout_ms;
    timers_push(&s->timers, req->deadline, TIMER_REQUEST, req->id, 0);
    const lwm2m_transport_t *t = reg->pub.peer.transport;
    int rc = t ? t->send(t->ctx, &reg->pub.peer, &msg) : -1;
    lwm2m_buf_free(&payload);
    if (rc < 0)
        finish(s, req, LWM2M_RESULT_FAILED, NULL, "the transport could not send it", now_ms);
}

void srv_flush_queue(lwm2m_server_t *s, srv_reg_t *reg, int64_t now_ms)
{
    uint64_t id = reg->id;
    while (!reg->closing && reg->queue_head && srv_reachable(reg, now_ms)) {
        if (reg->pub.queue_mode && reg->in_flight > 0)
            return; /* one at a time while the device is awake */
        srv_request_t *req = reg->queue_head;
        if (req->ttl_deadline && req->ttl_deadline <= now_ms) {
            finish(s, req, LWM2M_RESULT_EXPIRED, NULL, "the device did not wake in time", now_ms);
        } else {
            send_request(s, reg, req, now_ms);
        }
        if (srv_reg_by_id(s, id) != reg)
            return; /* a callback removed the device */
    }
}

void srv_cancel_all(lwm2m_server_t *s, srv_reg_t *reg, lwm2m_result_status_t status,
                    bool keep_queued, int64_t now_ms)
{
    while (reg->sent) {
        forget_token(reg, reg->sent->token);
        finish(s, reg->sent, status, NULL, "the device's registration ended", now_ms);
    }
    while (!keep_queued && reg->queue_head)
        finish(s, reg->queue_head, status, NULL, "the device's registration ended", now_ms);
    while (reg->observations) {
        forget_token(reg, reg->observations->token);
        drop_observation(s, reg, reg->observations);
    }
}

void srv_request_timer(lwm2m_server_t *s, const timer_entry_t *t, int64_t now_ms)
{
    srv_request_t *req = hash_get_u64(&s->requests, t->id);
    if (!req)
        return;
    if (t->kind == TIMER_REQUEST && req->state == REQ_SENT && req->deadline <= now_ms) {
        forget_token(srv_reg_by_id(s, req->reg_id), req->token);
        finish(s, req, LWM2M_RESULT_TIMEOUT, NULL, "no answer within the timeout", now_ms);
    } else if (t->kind == TIMER_TTL && req->state == REQ_QUEUED && req->ttl_deadline <= now_ms) {
        finish(s, req, LWM2M_RESULT_EXPIRED, NULL, "the device did not wake in time", now_ms);
    }
}

static srv_observation_t *find_observation(srv_reg_t *reg, const lwm2m_request_t *r)
{
    bool composite = r->type == LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE;
    for (srv_observation_t *o = reg->observations; o; o = o->next) {
        if (o->cancelling || (o->type == LWM2M_REQ_OBSERVE_COMPOSITE) != composite)
            continue;
        if (!composite && lwm2m_path_equal(&o->path, &r->path))
            return o;
        if (composite && o->path_count == r->path_count) {
            size_t i = 0;
            while (i < r->path_count && lwm2m_path_equal(&o->paths[i], &r->paths[i]))
                i++;
            if (i == r->path_count)
                return o;
        }
    }
    return NULL;
}

/* Checks the request against its type; fills err. */
static int validate(lwm2m_server_t *s, const lwm2m_request_t *r, lwm2m_error_t *err)
{
    uint8_t d = r->path.depth;
    switch (r->type) {
    case LWM2M_REQ_READ:
    case LWM2M_REQ_OBSERVE:
    case LWM2M_REQ_DISCOVER:
    case LWM2M_REQ_WRITE_ATTRIBUTES:
    case LWM2M_REQ_CANCEL_OBSERVE:
        if (d < 1)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "needs an object path or deeper");
        break;
    case LWM2M_REQ_EXECUTE:
        if (d != 3)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "execute needs a resource path");
        break;
    case LWM2M_REQ_CREATE:
        if (d != 1)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "create needs an object path");
        break;
    case LWM2M_REQ_DELETE:
        if (d != 2)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "delete needs an instance path");
        break;
    case LWM2M_REQ_WRITE_REPLACE:
    case LWM2M_REQ_WRITE_PARTIAL:
        if (d < 2)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0,
                                   "write needs an instance path or deeper");
        break;
    case LWM2M_REQ_READ_COMPOSITE:
    case LWM2M_REQ_OBSERVE_COMPOSITE:
    case LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE:
        if (!r->path_count || !r->paths)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "needs a list of paths");
        break;
    case LWM2M_REQ_WRITE_COMPOSITE:
        break;
    default:
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "unknown operation");
    }
    if (carries_values(r->type) && !r->node_count && r->type != LWM2M_REQ_CREATE)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "needs values to write");
    for (size_t i = 0; carries_values(r->type) && i < r->node_count; i++)
        if (r->type != LWM2M_REQ_WRITE_COMPOSITE &&
            !lwm2m_path_contains(&r->path, &r->nodes[i].path))
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0,
                                   "value %zu is outside the target path", i);
    if (r->type == LWM2M_REQ_WRITE_ATTRIBUTES || (r->attributes && *r->attributes)) {
        lwm2m_attrs_t attrs;
        const char *a = r->attributes ? r->attributes : "";
        lwm2m_type_t type = lwm2m_model_type(s->config.model, &r->path);
        if (lwm2m_attrs_parse(a, strlen(a), &attrs, err) < 0 ||
            lwm2m_attrs_validate(&attrs, d, type, err) < 0)
            return LWM2M_ERR_BAD_REQUEST;
    }
    if (r->type == LWM2M_REQ_EXECUTE && r->arguments) {
        lwm2m_exec_args_t args;
        if (lwm2m_exec_args_parse(r->arguments, strlen(r->arguments), &args, err) < 0)
            return LWM2M_ERR_BAD_REQUEST;
    }
    if (r->depth > 3 || (r->depth >= 0 && r->type != LWM2M_REQ_DISCOVER))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "depth is 0..3, for discover only");
    return 0;
}

static int copy_request(srv_request_t *req, const lwm2m_request_t *r)
{
    req->type = r->type;
    req->path = r->path;
    if (r->path_count) {
        req->paths = calloc(r->path_count, sizeof(*req->paths));
        if (!req->paths)
            return LWM2M_ERR_INTERNAL;
        memcpy(req->paths, r->paths, r->path_count * sizeof(*req->paths));
        req->path_count = r->path_count;
    }
    for (size_t i = 0; i < r->node_count; i++) {
        lwm2m_node_t *n;
        if (lwm2m_nodes_add(&req->nodes, &r->nodes[i].path, &r->nodes[i].value, &n) < 0)
            return LWM2M_ERR_TOO_LARGE;
        n->has_time = r->nodes[i].has_time;
        n->time = r->nodes[i].time;
    }
    char depth[32];
    const char *query = r->attributes && *r->attributes ? r->attributes : NULL;
    if (r->type == LWM2M_REQ_DISCOVER && r->depth >= 0) {
        snprintf(depth, sizeof(depth), "depth=%d", r->depth);
        query = depth;
    }
    if (query && !(req->query = strdup(query)))
        return LWM2M_ERR_INTERNAL;
    if (r->arguments && !(req->arguments = strdup(r->arguments)))
        return LWM2M_ERR_INTERNAL;
    return 0;
}

static int submit(lwm2m_server_t *s, srv_reg_t *reg, const lwm2m_request_t *r, bool internal,
                  int64_t now_ms, uint64_t *ret_id, lwm2m_error_t *err)
{
    int rc = validate(s, r, err);
    if (rc < 0)
        return rc;
    srv_observation_t *obs = NULL;
    if (r->type == LWM2M_REQ_CANCEL_OBSERVE || r->type == LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE) {
        obs = find_observation(reg, r);
        if (!obs)
            return lwm2m_error_set(err, LWM2M_ERR_NOT_FOUND, 0, "no such observation");
    }
    if ((r->type == LWM2M_REQ_OBSERVE || r->type == LWM2M_REQ_OBSERVE_COMPOSITE) &&
        reg->observation_count >= s->config.max_observations_per_device)
        return lwm2m_error_set(err, -503, 0, "too many observations for this device");
    if (s->config.queue_disabled && !srv_reachable(reg, now_ms))
        return lwm2m_error_set(err, -503, 0, "the device sleeps and queueing is off");
    if (reg->queue_len >= s->config.queue_max_per_device)
        return lwm2m_error_set(err, -503, 0, "the device's request queue is full");
    srv_request_t *req = calloc(1, sizeof(*req));
    if (!req)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    lwm2m_nodes_init(&req->nodes, 0, s->config.max_payload);
    if ((rc = copy_request(req, r)) < 0) {
        srv_request_free(req);
        return lwm2m_error_set(err, rc, 0, "request too large");
    }
    req->id = s->next_request_id++;
    req->reg_id = reg->id;
    req->state = REQ_QUEUED;
    req->internal = internal;
    req->format_forced = r->has_format;
    req->format = r->has_format ? r->format : srv_pick_format(s, reg, r->type, NULL, 0);
    /* A single resource of a device that advertised no formats: plain text, which every
     * version must support for single values (and some clients, e.g. lwm2m-node-lib, silently
     * drop a request whose Accept they don't know, so no 4.06 would ever start the fallback). */
    if (!r->has_format && !reg->pub.format_count && r->path.depth >= 3 &&
        (r->type == LWM2M_REQ_READ || r->type == LWM2M_REQ_OBSERVE) &&
        lwm2m_model_type(s->config.model, &r->path) != LWM2M_TYPE_OPAQUE)
        req->format = LWM2M_CF_TEXT;
    req->timeout_ms = r->timeout_ms ? r->timeout_ms : s->config.request_timeout_ms;
    if (obs) {
        obs->cancelling = true;
        req->observation_token = obs->token;
        req->format = obs->format;
    }
    uint32_t ttl = r->ttl_ms ? r->ttl_ms : s->config.queue_ttl_ms;
    req->ttl_deadline = now_ms + ttl;
    hash_put_u64(&s->requests, req->id, req);
    if (reg->queue_tail)
        reg->queue_tail->next = req;
    else
        reg->queue_head = req;
    reg->queue_tail = req;
    reg->queue_len++;
    *ret_id = req->id;
    if (!srv_reachable(reg, now_ms)) {
        timers_push(&s->timers, req->ttl_deadline, TIMER_TTL, req->id, 0);
        if (s->events.queued && !internal)
            s->events.queued(s->events_ctx, &reg->pub, req->id);
        return 0;
    }
    srv_flush_queue(s, reg, now_ms);
    return 0;
}

int lwm2m_server_request(lwm2m_server_t *s, const char *endpoint, const lwm2m_request_t *r,
                         int64_t now_ms, uint64_t *ret_id, lwm2m_error_t *err)
{
    srv_reg_t *reg = hash_get_str(&s->by_endpoint, endpoint);
    if (!reg)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_FOUND, 0, "unknown endpoint");
    return submit(s, reg, r, false, now_ms, ret_id, err);
}

int srv_request_internal(lwm2m_server_t *s, srv_reg_t *reg, const lwm2m_request_t *r,
                         int64_t now_ms, uint64_t *ret_id)
{
    return submit(s, reg, r, true, now_ms, ret_id, NULL);
}

int lwm2m_server_cancel(lwm2m_server_t *s, uint64_t request_id, int64_t now_ms)
{
    srv_request_t *req = hash_get_u64(&s->requests, request_id);
    if (!req)
        return LWM2M_ERR_NOT_FOUND;
    if (req->state == REQ_SENT)
        forget_token(srv_reg_by_id(s, req->reg_id), req->token);
    finish(s, req, LWM2M_RESULT_CANCELLED, NULL, "cancelled", now_ms);
    return 0;
}

/* The device refused the format (4.06 / 4.15): try the next one it may take. */
static bool retry_with_other_format(lwm2m_server_t *s, srv_reg_t *reg, srv_request_t *req, int code,
                                    int64_t now_ms)
{
    if ((code != 406 && code != 415) || req->format_forced || req->observation_token ||
        (!carries_values(req->type) && !wants_content(req->type)) ||
        req->tried_count >= sizeof(req->tried) / sizeof(req->tried[0]))
        return false;
    req->tried[req->tried_count++] = req->format;
    uint16_t next = srv_pick_format(s, reg, req->type, req->tried, req->tried_count);
    if (!next)
        return false;
    hash_del_u64(&s->tokens, req->token);
    list_remove(&reg->sent, req);
    reg->in_flight--;
    req->format = next;
    req->state = REQ_QUEUED;
    req->next = reg->queue_head; /* first in line again */
    reg->queue_head = req;
    if (!reg->queue_tail)
        reg->queue_tail = req;
    reg->queue_len++;
    send_request(s, reg, req, now_ms);
    return true;
}

static int notification(lwm2m_server_t *s, srv_observation_t *obs, const lwm2m_response_t *rsp,
                        int64_t now_ms)
{
    srv_reg_t *reg = srv_reg_by_id(s, obs->reg_id);
    if (!reg)
        return LWM2M_ERR_NOT_FOUND;
    uint64_t request_id = obs->request_id, reg_id = reg->id;
    srv_mark_awake(s, reg, now_ms);
    if (rsp->code / 100 != 2) { /* the device ended the observation with an error code */
        drop_observation(s, reg, obs);
        if (s->events.observe_ended)
            s->events.observe_ended(s->events_ctx, &reg->pub, request_id, rsp->code);
        return 0;
    }
    srv_request_t view = {.type = obs->type, .path = obs->path, .reg_id = reg->id};
    lwm2m_nodes_t nodes = {0};
    lwm2m_links_t links = {0};
    lwm2m_result_t result = {0};
    char err[200] = "";
    decode_content(s, &view, rsp, &nodes, &links, &result, err, sizeof(err));
    lwm2m_links_clear(&links);
    if (err[0]) {
        lwm2m_nodes_clear(&nodes);
        return LWM2M_ERR_BAD_REQUEST;
    }
    if (s->events.notify)
        s->events.notify(s->events_ctx, &reg->pub, request_id, &nodes);
    lwm2m_nodes_clear(&nodes);
    if (srv_reg_by_id(s, reg_id) == reg)
        srv_flush_queue(s, reg, now_ms);
    return 0;
}

int lwm2m_server_response(lwm2m_server_t *s, const lwm2m_peer_t *peer, const lwm2m_response_t *rsp,
                          int64_t now_ms)
{
    uint64_t token = 0;
    (void)peer;
    if (rsp->token_len != sizeof(token))
        return LWM2M_ERR_NOT_FOUND;
    memcpy(&token, rsp->token, sizeof(token));
    srv_request_t *req = hash_get_u64(&s->tokens, token);
    if (req) {
        srv_reg_t *reg = srv_reg_by_id(s, req->reg_id);
        if (reg && retry_with_other_format(s, reg, req, rsp->code, now_ms))
            return 0;
        if (reg && req->observation_token) {
            srv_observation_t *obs = hash_get_u64(&s->observations, req->observation_token);
            if (obs) {
                forget_token(reg, obs->token);
                drop_observation(s, reg, obs);
            }
            /* The cancel reused the observation's token; finish() must not touch the map. */
        } else if (reg && rsp->code / 100 == 2 && rsp->observe_seq >= 0 &&
                   (req->type == LWM2M_REQ_OBSERVE || req->type == LWM2M_REQ_OBSERVE_COMPOSITE)) {
            srv_observation_t *obs = calloc(1, sizeof(*obs));
            if (obs) {
                obs->request_id = req->id;
                obs->token = token;
                obs->type = req->type;
                obs->path = req->path;
                obs->format =
                    rsp->content_format >= 0 ? (uint16_t)rsp->content_format : req->format;
                if (req->path_count) {
                    obs->paths = req->paths; /* moved */
                    obs->path_count = req->path_count;
                    req->paths = NULL;
                    req->path_count = 0;
                }
                obs->reg_id = reg->id;
                obs->next = reg->observations;
                reg->observations = obs;
                reg->observation_count++;
                hash_put_u64(&s->observations, token, obs);
                finish(s, req, LWM2M_RESULT_RESPONSE, rsp, NULL, now_ms);
                return 0;
            }
        }
        finish(s, req, LWM2M_RESULT_RESPONSE, rsp, NULL, now_ms);
        return 0;
    }
    srv_observation_t *obs = hash_get_u64(&s->observations, token);
    if (!obs)
        return LWM2M_ERR_NOT_FOUND;
    return notification(s, obs, rsp, now_ms);
}

void lwm2m_server_transport_error(lwm2m_server_t *s, const lwm2m_peer_t *peer, const uint8_t *token,
                                  size_t token_len, lwm2m_result_status_t status, int64_t now_ms)
{
    uint64_t t = 0;
    (void)peer;
    if (token_len != sizeof(t))
        return;
    memcpy(&t, token, sizeof(t));
    srv_request_t *req = hash_get_u64(&s->tokens, t);
    if (req)
        finish(s, req, status, NULL,
               status == LWM2M_RESULT_RESET ? "the device reset the request"
                                            : "the device did not answer",
               now_ms);
}

bool lwm2m_server_observing(const lwm2m_server_t *s, const char *endpoint, const lwm2m_path_t *path)
{
    const srv_reg_t *reg = hash_get_str(&s->by_endpoint, endpoint);
    if (!reg)
        return false;
    for (const srv_observation_t *o = reg->observations; o; o = o->next) {
        const lwm2m_path_t *first = o->path_count ? &o->paths[0] : &o->path;
        if (lwm2m_path_equal(first, path))
            return true;
    }
    /* an observe still queued or in flight counts too */
    for (const srv_request_t *r = reg->sent; r; r = r->next)
        if ((r->type == LWM2M_REQ_OBSERVE || r->type == LWM2M_REQ_OBSERVE_COMPOSITE) &&
            lwm2m_path_equal(r->path_count ? &r->paths[0] : &r->path, path))
            return true;
    for (const srv_request_t *r = reg->queue_head; r; r = r->next)
        if ((r->type == LWM2M_REQ_OBSERVE || r->type == LWM2M_REQ_OBSERVE_COMPOSITE) &&
            lwm2m_path_equal(r->path_count ? &r->paths[0] : &r->path, path))
            return true;
    return false;
}
