/* bridge_command.c - MQTT commands to LwM2M requests, and their results back to MQTT
 * responses. Every command gets an answer: a response, "queued", or an error. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_internal.h"
#include "lwm2m/attr.h"
#include "nodejson.h"

#define COMMAND_PATHS_MAX 64

typedef struct cmd_storage {
    lwm2m_nodes_t nodes;
    lwm2m_path_t paths[COMMAND_PATHS_MAX];
    char *attributes;
    char *arguments;
    bool from_rule;
} cmd_storage_t;

void bridge_pending_free(bridge_pending_t *p)
{
    if (!p)
        return;
    free(p->reply_topic);
    free(p->correlation);
    free(p);
}

void bridge_command_clear(bridge_command_t *cmd)
{
    if (!cmd)
        return;
    cmd_storage_t *st = cmd->storage;
    if (st) {
        lwm2m_nodes_clear(&st->nodes);
        free(st->attributes);
        free(st->arguments);
        free(st);
    }
    free(cmd->reply_topic);
    free(cmd->correlation);
    free(cmd->json);
    memset(cmd, 0, sizeof(*cmd));
}

static const char *code_text(int code)
{
    switch (code) {
    case 201:
        return "Created";
    case 202:
        return "Deleted";
    case 204:
        return "Changed";
    case 205:
        return "Content";
    case 231:
        return "Continue";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Bad Option";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Entity Incomplete";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Content-Format";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "";
    }
}

static void add_code(json_object *j, int code)
{
    char c[16];
    snprintf(c, sizeof(c), "%d.%02d", code / 100, code % 100);
    json_object_object_add(j, "code", json_object_new_string(c));
    json_object_object_add(j, "code_text", json_object_new_string(code_text(code)));
}

void bridge_respond(bridge_t *b, const char *endpoint, const char *reply_topic,
                    const uint8_t *correlation, size_t correlation_len, json_object *j,
                    int64_t wall_ms, bridge_out_t *out)
{
    char topic[BRIDGE_TOPIC_MAX];
    json_object_object_add(j, "ts", json_object_new_int64(wall_ms));
    if (reply_topic)
        snprintf(topic, sizeof(topic), "%s", reply_topic);
    else if (bridge_device_topic(b, endpoint, "response", topic, sizeof(topic)) < 0) {
        json_object_put(j);
        return;
    }
    bridge_out_json(out, topic, j, b->config.qos_response, false, correlation, correlation_len);
}

static json_object *response_head(const char *id, const char *op, const char *endpoint,
                                  const char *status)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "id", json_object_new_string(id ? id : ""));
    if (op)
        json_object_object_add(j, "op", json_object_new_string(op));
    json_object_object_add(j, "endpoint", json_object_new_string(endpoint));
    json_object_object_add(j, "status", json_object_new_string(status));
    return j;
}

/* An error answer for a malformed command (before any request exists). */
static int command_error(bridge_t *b, const char *endpoint, const char *id, const char *op,
                         const char *reply_topic, const uint8_t *corr, size_t corr_len, int code,
                         const char *message, int64_t wall_ms, bridge_out_t *out)
{
    json_object *j = response_head(id, op, endpoint, "error");
    add_code(j, code);
    json_object_object_add(j, "error", json_object_new_string(message));
    bridge_respond(b, endpoint, reply_topic, corr, corr_len, j, wall_ms, out);
    return -code;
}

static int parse_path(const char *text, lwm2m_path_t *ret)
{
    return text ? lwm2m_path_parse(text, strlen(text),
                                   LWM2M_PATH_ALLOW_PREFIX | LWM2M_PATH_ALLOW_RESERVED, ret)
                : -400;
}

/* Adds one value for `path`, its type from "type", else the model, else the JSON. */
static int add_value(bridge_t *b, cmd_storage_t *st, const char *path_text, json_object *value,
                     const char *type, char *err, size_t errlen)
{
    lwm2m_path_t path;
    if (parse_path(path_text, &path) < 0 || path.depth < 3) {
        snprintf(err, errlen, "bad value path '%s' (a resource path is needed)",
                 path_text ? path_text : "");
        return -400;
    }
    lwm2m_type_t t = type ? lwm2m_type_from_name(type) : lwm2m_model_type(b->config.model, &path);
    if (t == LWM2M_TYPE_UNKNOWN) {
        switch (json_object_get_type(value)) {
        case json_type_boolean:
            t = LWM2M_TYPE_BOOLEAN;
            break;
        case json_type_int:
            t = LWM2M_TYPE_INTEGER;
            break;
        case json_type_double:
            t = LWM2M_TYPE_FLOAT;
            break;
        case json_type_string:
            t = LWM2M_TYPE_STRING;
            break;
        default:
            snprintf(err, errlen, "%s: give a \"type\" for this value", path_text);
            return -400;
        }
    }
    json_object *node = json_object_new_object(), *arr = json_object_new_array();
    json_object_object_add(node, "path", json_object_new_string(path_text));
    json_object_object_add(node, "type", json_object_new_string(lwm2m_type_name(t)));
    json_object_object_add(node, "value", json_object_get(value));
    json_object_array_add(arr, node);
    char msg[160];
    int rc = nodejson_parse(arr, &st->nodes, msg, sizeof(msg));
    json_object_put(arr);
    if (rc < 0)
        snprintf(err, errlen, "%s: value is not a valid %s", path_text, lwm2m_type_name(t));
    return rc < 0 ? -400 : 0;
}

/* "value" (one resource) or "values": {"/o/i/r": v} or [{"path", "value", "type"}]. */
static int parse_values(bridge_t *b, json_object *j, const char *path_text, cmd_storage_t *st,
                        char *err, size_t errlen)
{
    json_object *value, *values, *type;
    const char *t =
        json_object_object_get_ex(j, "type", &type) ? json_object_get_string(type) : NULL;
    if (json_object_object_get_ex(j, "value", &value))
        return add_value(b, st, path_text, value, t, err, errlen);
    if (!json_object_object_get_ex(j, "values", &values))
        return 0;
    if (json_object_is_type(values, json_type_object)) {
        json_object_object_foreach(values, key, v)
        {
            if (add_value(b, st, key, v, NULL, err, errlen) < 0)
                return -400;
        }
        return 0;
    }
    if (!json_object_is_type(values, json_type_array)) {
        snprintf(err, errlen, "\"values\" must be an object or an array");
        return -400;
    }
    for (size_t i = 0; i < json_object_array_length(values); i++) {
        json_object *n = json_object_array_get_idx(values, i), *p, *v, *nt;
        if (!json_object_object_get_ex(n, "path", &p) ||
            !json_object_object_get_ex(n, "value", &v)) {
            snprintf(err, errlen, "values[%zu] needs \"path\" and \"value\"", i);
            return -400;
        }
        const char *ntype =
            json_object_object_get_ex(n, "type", &nt) ? json_object_get_string(nt) : NULL;
        if (add_value(b, st, json_object_get_string(p), v, ntype, err, errlen) < 0)
            return -400;
    }
    return 0;
}

/* "attributes": "pmin=10&pmax=60" or {"pmin": 10, "gt": 20.5, "st": null (unset)}. */
static int parse_attributes(json_object *a, cmd_storage_t *st, char *err, size_t errlen)
{
    if (json_object_is_type(a, json_type_string)) {
        st->attributes = strdup(json_object_get_string(a));
        return st->attributes ? 0 : -500;
    }
    if (!json_object_is_type(a, json_type_object)) {
        snprintf(err, errlen, "\"attributes\" must be a string or an object");
        return -400;
    }
    char buf[512];
    size_t off = 0;
    buf[0] = 0;
    json_object_object_foreach(a, key, v)
    {
        int n = v ? snprintf(buf + off, sizeof(buf) - off, "%s%s=%s", off ? "&" : "", key,
                             json_object_get_string(v))
                  : snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? "&" : "", key);
        if (n < 0 || (size_t)n >= sizeof(buf) - off) {
            snprintf(err, errlen, "attributes too long");
            return -400;
        }
        off += (size_t)n;
    }
    st->attributes = strdup(buf);
    return st->attributes ? 0 : -500;
}

/* A content format by name or number; -1 when unknown. */
static int format_number(json_object *f)
{
    if (json_object_is_type(f, json_type_int)) {
        int cf = json_object_get_int(f);
        return lwm2m_codec_find((uint16_t)cf) && cf >= 0 && cf <= 65535 ? cf : -1;
    }
    const char *name = json_object_get_string(f);
    if (strcmp(name, "senml-etch-json") == 0)
        return LWM2M_CF_SENML_ETCH_JSON;
    if (strcmp(name, "senml-etch-cbor") == 0)
        return LWM2M_CF_SENML_ETCH_CBOR;
    const lwm2m_codec_t *c = lwm2m_codec_find_by_name(name);
    return c ? c->content_format : -1;
}

static int parse_json_command(bridge_t *b, json_object *j, bridge_command_t *cmd, cmd_storage_t *st,
                              char *op_out, size_t op_len, char *err, size_t errlen)
{
    json_object *v;
    lwm2m_request_t *r = &cmd->request;
    if (json_object_object_get_ex(j, "id", &v))
        snprintf(cmd->id, sizeof(cmd->id), "%s", json_object_get_string(v));
    if (!json_object_object_get_ex(j, "op", &v) || !json_object_is_type(v, json_type_string)) {
        snprintf(err, errlen, "missing \"op\"");
        return -400;
    }
    snprintf(op_out, op_len, "%s", json_object_get_string(v));
    r->type = lwm2m_req_type_from_name(op_out);
    if (!r->type) {
        snprintf(err, errlen, "unknown op '%s'", op_out);
        return -400;
    }
    r->depth = -1;
    const char *path_text =
        json_object_object_get_ex(j, "path", &v) ? json_object_get_string(v) : "/";
    if (parse_path(path_text, &r->path) < 0) {
        snprintf(err, errlen, "bad path '%s'", path_text);
        return -400;
    }
    if (json_object_object_get_ex(j, "paths", &v)) {
        if (!json_object_is_type(v, json_type_array) ||
            json_object_array_length(v) > COMMAND_PATHS_MAX) {
            snprintf(err, errlen, "\"paths\" must be an array of at most %d paths",
                     COMMAND_PATHS_MAX);
            return -400;
        }
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            const char *p = json_object_get_string(json_object_array_get_idx(v, i));
            if (parse_path(p, &st->paths[i]) < 0) {
                snprintf(err, errlen, "bad path '%s' in \"paths\"", p ? p : "");
                return -400;
            }
        }
        r->paths = st->paths;
        r->path_count = json_object_array_length(v);
    }
    if (parse_values(b, j, path_text, st, err, errlen) < 0)
        return -400;
    if (json_object_object_get_ex(j, "attributes", &v) && parse_attributes(v, st, err, errlen) < 0)
        return -400;
    if (json_object_object_get_ex(j, "args", &v) || json_object_object_get_ex(j, "arguments", &v))
        st->arguments = strdup(json_object_get_string(v));
    if (json_object_object_get_ex(j, "depth", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < 0 ||
            json_object_get_int(v) > 3) {
            snprintf(err, errlen, "\"depth\" is 0..3");
            return -400;
        }
        r->depth = json_object_get_int(v);
    }
    if (json_object_object_get_ex(j, "format", &v)) {
        int cf = format_number(v);
        if (cf < 0) {
            snprintf(err, errlen, "unknown format '%s'", json_object_get_string(v));
            return -400;
        }
        r->format = (uint16_t)cf;
        r->has_format = true;
    }
    if (json_object_object_get_ex(j, "timeout", &v)) {
        int64_t s = json_object_get_int64(v);
        if (s < 1 || s > 3600) {
            snprintf(err, errlen, "\"timeout\" is 1..3600 seconds");
            return -400;
        }
        r->timeout_ms = (uint32_t)s * 1000;
    }
    if (json_object_object_get_ex(j, "ttl", &v)) {
        int64_t s = json_object_get_int64(v);
        if (s < 1 || s > 30 * 86400) {
            snprintf(err, errlen, "\"ttl\" is 1..2592000 seconds");
            return -400;
        }
        r->ttl_ms = (uint32_t)s * 1000;
    }
    return 0;
}

/* The bare-value shortcut: {root}/{ep}/set/o/i/r with "23.5", "true", "text". */
static int parse_set(bridge_t *b, const char *path_text, const uint8_t *payload, size_t len,
                     cmd_storage_t *st, char *err, size_t errlen)
{
    lwm2m_path_t path;
    if (parse_path(path_text, &path) < 0 || path.depth < 3) {
        snprintf(err, errlen, "set needs a resource path");
        return -400;
    }
    lwm2m_type_t t = lwm2m_model_type(b->config.model, &path);
    json_object *v = NULL;
    if (t == LWM2M_TYPE_STRING || t == LWM2M_TYPE_CORELNK || t == LWM2M_TYPE_OPAQUE ||
        t == LWM2M_TYPE_OBJLNK) {
        v = json_object_new_string_len((const char *)payload, (int)len);
    } else if (t == LWM2M_TYPE_BOOLEAN && len == 1 && (payload[0] == '0' || payload[0] == '1')) {
        v = json_object_new_boolean(payload[0] == '1');
    } else {
        struct json_tokener *tok = json_tokener_new();
        v = json_tokener_parse_ex(tok, (const char *)payload, (int)len);
        if (!v || json_tokener_get_parse_end(tok) != len ||
            json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array)) {
            json_object_put(v);
            v = json_object_new_string_len((const char *)payload, (int)len);
        }
        json_tokener_free(tok);
    }
    int rc = add_value(b, st, path_text, v, NULL, err, errlen);
    json_object_put(v);
    return rc;
}

/* Splits {root}/{ep}/{rest}; returns 0 when the topic isn't under our root. */
int bridge_split_topic(const bridge_t *b, const char *topic, char *level, size_t level_size,
                       const char **rest)
{
    size_t rl = strlen(b->config.root);
    if (strncmp(topic, b->config.root, rl) != 0 || topic[rl] != '/')
        return 0;
    const char *ep = topic + rl + 1;
    const char *slash = strchr(ep, '/');
    if (!slash || (size_t)(slash - ep) >= level_size || slash == ep)
        return 0;
    memcpy(level, ep, (size_t)(slash - ep));
    level[slash - ep] = 0;
    *rest = slash + 1;
    return 1;
}

static char *synthesize_json(const char *op, const char *path, const lwm2m_nodes_t *nodes,
                             const char *args)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "op", json_object_new_string(op));
    json_object_object_add(j, "path", json_object_new_string(path));
    if (nodes && nodes->count) {
        json_object *arr = nodejson_from_nodes(nodes->items, nodes->count);
        json_object_object_add(j, "values", arr);
    }
    if (args && *args)
        json_object_object_add(j, "args", json_object_new_string(args));
    char *text = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
    json_object_put(j);
    return text;
}

int bridge_parse_command(bridge_t *b, const char *topic, const uint8_t *payload, size_t len,
                         const char *response_topic, const uint8_t *correlation,
                         size_t correlation_len, bridge_command_t *cmd, bridge_out_t *out,
                         int64_t wall_ms)
{
    char level[3 * LWM2M_ENDPOINT_MAX + 1], op[32] = "", err[256] = "";
    const char *rest;
    memset(cmd, 0, sizeof(*cmd));
    if (!bridge_split_topic(b, topic, level, sizeof(level), &rest))
        return 0;
    bool is_command = strcmp(rest, "command") == 0;
    bool is_set = strncmp(rest, "set/", 4) == 0, is_exec = strncmp(rest, "execute/", 8) == 0;
    if (!is_command && !is_set && !is_exec)
        return 0;
    if (bridge_unescape_endpoint(level, cmd->endpoint, sizeof(cmd->endpoint)) < 0)
        return command_error(b, level, NULL, NULL, response_topic, correlation, correlation_len,
                             400, "malformed endpoint in the topic", wall_ms, out);
    const char *ep = cmd->endpoint;
    if (len > b->config.command_max_payload)
        return command_error(b, ep, NULL, NULL, response_topic, correlation, correlation_len, 413,
                             "command payload too large", wall_ms, out);
    cmd_storage_t *st = calloc(1, sizeof(*st));
    if (!st)
        return -500;
    cmd->storage = st;
    lwm2m_nodes_init(&st->nodes, 1024, b->config.command_max_payload * 2);
    cmd->request.depth = -1;
    int rc = 0;
    if (is_command) {
        struct json_tokener *tok = json_tokener_new();
        json_object *j = json_tokener_parse_ex(tok, (const char *)payload, (int)len);
        if (!j || json_tokener_get_parse_end(tok) != len ||
            !json_object_is_type(j, json_type_object)) {
            snprintf(err, sizeof(err), "the command is not a JSON object");
            rc = -400;
        } else {
            rc = parse_json_command(b, j, cmd, st, op, sizeof(op), err, sizeof(err));
            cmd->json = strndup((const char *)payload, len);
        }
        json_tokener_free(tok);
        json_object_put(j);
    } else {
        const char *path_text = rest + (is_set ? 3 : 7); /* keeps the leading '/' */
        snprintf(op, sizeof(op), "%s", is_set ? "write" : "execute");
        cmd->request.type = is_set ? LWM2M_REQ_WRITE_REPLACE : LWM2M_REQ_EXECUTE;
        if (parse_path(path_text, &cmd->request.path) < 0) {
            snprintf(err, sizeof(err), "bad path '%s'", path_text);
            rc = -400;
        } else if (is_set) {
            rc = parse_set(b, path_text, payload, len, st, err, sizeof(err));
        } else if (len) {
            st->arguments = strndup((const char *)payload, len);
        }
        if (rc == 0)
            cmd->json = synthesize_json(op, path_text, &st->nodes, st->arguments);
    }
    if (rc < 0) {
        char id[128];
        snprintf(id, sizeof(id), "%s", cmd->id);
        bridge_command_clear(cmd);
        return command_error(b, ep[0] ? ep : level, id, op[0] ? op : NULL, response_topic,
                             correlation, correlation_len, -rc, err, wall_ms, out);
    }
    cmd->request.nodes = st->nodes.items;
    cmd->request.node_count = st->nodes.count;
    cmd->request.attributes = st->attributes;
    cmd->request.arguments = st->arguments;
    if (!cmd->request.timeout_ms)
        cmd->request.timeout_ms = b->config.default_timeout_ms;
    if (!cmd->request.ttl_ms)
        cmd->request.ttl_ms = b->config.default_ttl_ms;
    if (response_topic)
        cmd->reply_topic = strdup(response_topic);
    if (correlation && correlation_len) {
        cmd->correlation = malloc(correlation_len);
        if (cmd->correlation) {
            memcpy(cmd->correlation, correlation, correlation_len);
            cmd->correlation_len = correlation_len;
        }
    }
    return 1;
}

void bridge_command_submitted(bridge_t *b, const bridge_command_t *cmd, uint64_t request_id)
{
    bridge_pending_t *p = calloc(1, sizeof(*p));
    if (!p)
        return;
    snprintf(p->id, sizeof(p->id), "%s", cmd->id);
    snprintf(p->endpoint, sizeof(p->endpoint), "%s", cmd->endpoint);
    p->type = cmd->request.type;
    p->reply_topic = cmd->reply_topic ? strdup(cmd->reply_topic) : NULL;
    if (cmd->correlation_len && (p->correlation = malloc(cmd->correlation_len))) {
        memcpy(p->correlation, cmd->correlation, cmd->correlation_len);
        p->correlation_len = cmd->correlation_len;
    }
    p->from_rule = cmd->storage && ((cmd_storage_t *)cmd->storage)->from_rule;
    bridge_pending_free(hash_del_u64(&b->pending, request_id));
    hash_put_u64(&b->pending, request_id, p);
}

void bridge_command_rejected(bridge_t *b, const bridge_command_t *cmd, int code, const char *reason,
                             int64_t wall_ms, bridge_out_t *out)
{
    int c = code < 0 ? -code : code;
    if (c < 400 || c > 599)
        c = 500;
    json_object *j =
        response_head(cmd->id, lwm2m_req_type_name(cmd->request.type), cmd->endpoint, "error");
    add_code(j, c);
    json_object_object_add(j, "error", json_object_new_string(reason ? reason : ""));
    bridge_respond(b, cmd->endpoint, cmd->reply_topic, cmd->correlation, cmd->correlation_len, j,
                   wall_ms, out);
}

static json_object *links_json(const lwm2m_links_t *links)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < links->count; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(links->items[i].uri));
        for (size_t k = 0; k < links->items[i].attr_count; k++) {
            const lwm2m_link_attr_t *a = &links->items[i].attrs[k];
            json_object_object_add(o, a->name, a->value ? json_object_new_string(a->value) : NULL);
        }
        json_object_array_add(arr, o);
    }
    return arr;
}

void bridge_result(bridge_t *b, const lwm2m_registration_t *reg, const lwm2m_result_t *result,
                   int64_t wall_ms, bridge_out_t *out)
{
    bridge_pending_t *p = hash_del_u64(&b->pending, result->request_id);
    bool ok = result->status == LWM2M_RESULT_RESPONSE && result->code / 100 == 2;
    if (ok && result->nodes &&
        (result->type == LWM2M_REQ_READ || result->type == LWM2M_REQ_OBSERVE ||
         result->type == LWM2M_REQ_READ_COMPOSITE || result->type == LWM2M_REQ_OBSERVE_COMPOSITE))
        bridge_data(b, reg, result->nodes,
                    result->type == LWM2M_REQ_OBSERVE || result->type == LWM2M_REQ_OBSERVE_COMPOSITE
                        ? "observe"
                        : "read",
                    wall_ms, out);
    if (!p)
        return;
    if (p->from_rule) {
        if (!ok) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "rule", json_object_new_string(p->id));
            json_object_object_add(
                e, "status", json_object_new_string(lwm2m_result_status_name(result->status)));
            if (result->code)
                add_code(e, result->code);
            bridge_event(b, reg->endpoint, "observe-failed", e, wall_ms, out);
        }
        bridge_pending_free(p);
        return;
    }
    json_object *j = response_head(p->id, lwm2m_req_type_name(result->type), reg->endpoint,
                                   lwm2m_result_status_name(result->status));
    json_object_object_add(j, "ok", json_object_new_boolean(ok));
    if (result->code)
        add_code(j, result->code);
    if (result->nodes)
        json_object_object_add(j, "content",
                               nodejson_from_nodes(result->nodes->items, result->nodes->count));
    if (result->links)
        json_object_object_add(j, "links", links_json(result->links));
    if (result->location)
        json_object_object_add(j, "location", json_object_new_string(result->location));
    if (result->error)
        json_object_object_add(j, "error", json_object_new_string(result->error));
    bridge_respond(b, reg->endpoint, p->reply_topic, p->correlation, p->correlation_len, j, wall_ms,
                   out);
    bridge_pending_free(p);
}

void bridge_queued(bridge_t *b, const lwm2m_registration_t *reg, uint64_t request_id,
                   int64_t wall_ms, bridge_out_t *out)
{
    bridge_pending_t *p = hash_get_u64(&b->pending, request_id);
    if (!p || p->from_rule)
        return;
    json_object *j = response_head(p->id, lwm2m_req_type_name(p->type), reg->endpoint, "queued");
    bridge_respond(b, reg->endpoint, p->reply_topic, p->correlation, p->correlation_len, j, wall_ms,
                   out);
}

int bridge_rule_command(bridge_t *b, const char *endpoint, const bridge_rule_t *rule, size_t index,
                        bridge_command_t *cmd)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd_storage_t *st = calloc(1, sizeof(*st));
    if (!st || rule->path_count == 0 || rule->path_count > COMMAND_PATHS_MAX) {
        free(st);
        return -1;
    }
    cmd->storage = st;
    st->from_rule = true;
    snprintf(cmd->endpoint, sizeof(cmd->endpoint), "%s", endpoint);
    snprintf(cmd->id, sizeof(cmd->id), "rule-%zu", index + 1);
    for (size_t i = 0; i < rule->path_count; i++)
        if (parse_path(rule->paths[i], &st->paths[i]) < 0) {
            bridge_command_clear(cmd);
            return -1;
        }
    lwm2m_request_t *r = &cmd->request;
    r->depth = -1;
    r->timeout_ms = b->config.default_timeout_ms;
    r->ttl_ms = b->config.default_ttl_ms;
    if (rule->attributes) {
        st->attributes = strdup(rule->attributes);
        r->attributes = st->attributes;
    }
    if (rule->composite) {
        r->type = LWM2M_REQ_OBSERVE_COMPOSITE;
        r->paths = st->paths;
        r->path_count = rule->path_count;
    } else {
        r->type = LWM2M_REQ_OBSERVE;
        r->path = st->paths[0];
    }
    return 0;
}
