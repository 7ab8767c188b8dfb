/* bridge_firmware.c - firmware commands, progress events and job records as JSON. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/firmware.h"
#include "bridge_internal.h"

const char *bridge_fw_method_name(bridge_fw_method_t method)
{
    return method == BRIDGE_FW_PULL ? "pull" : "push";
}

const char *bridge_firmware_result_text(int result)
{
    static const char *const texts[] = {
        "Initial value",
        "Firmware updated successfully",
        "Not enough flash memory for the new firmware package",
        "Out of RAM during downloading process",
        "Connection lost during downloading process",
        "Integrity check failure for new downloaded package",
        "Unsupported package type",
        "Invalid URI",
        "Firmware update failed",
        "Unsupported protocol",
        "Firmware update cancelled",
    };
    if (result < 0 || result >= (int)(sizeof(texts) / sizeof(texts[0])))
        return "Unknown result";
    return texts[result];
}

static void response(bridge_t *b, const char *endpoint, const char *id, const char *op,
                     const bridge_fw_reply_t *reply, int code, const char *error, int64_t wall_ms,
                     bridge_out_t *out)
{
    char c[16];
    json_object *j = json_object_new_object();
    json_object_object_add(j, "id", json_object_new_string(id ? id : ""));
    if (op)
        json_object_object_add(j, "op", json_object_new_string(op));
    json_object_object_add(j, "endpoint", json_object_new_string(endpoint));
    json_object_object_add(j, "status", json_object_new_string(code ? "error" : "accepted"));
    json_object_object_add(j, "ok", json_object_new_boolean(code == 0));
    if (code) {
        snprintf(c, sizeof(c), "%d.%02d", code / 100, code % 100);
        json_object_object_add(j, "code", json_object_new_string(c));
        json_object_object_add(j, "error", json_object_new_string(error ? error : ""));
    }
    bridge_respond(b, endpoint, reply ? reply->topic : NULL, reply ? reply->correlation : NULL,
                   reply ? reply->correlation_len : 0, j, wall_ms, out);
}

void bridge_firmware_response(bridge_t *b, const bridge_fw_request_t *req,
                              const bridge_fw_reply_t *reply, int code, const char *error,
                              int64_t wall_ms, bridge_out_t *out)
{
    response(b, req->endpoint, req->id, req->cancel ? "firmware-cancel" : "firmware-update", reply,
             code, error, wall_ms, out);
}

/* A plain file name: no directory part, no "." or "..", no control characters. */
static bool valid_package_name(const char *s)
{
    if (!s[0] || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return false;
    return true;
}

static const char *get_string(json_object *j, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Fills req from a firmware-update object. Returns 0 or -400 with the reason in err. */
static int parse_update(json_object *j, bridge_fw_request_t *req, char *err, size_t errlen)
{
    json_object *v;
    const char *package = get_string(j, "package");
    const char *sha = get_string(j, "sha256");
    const char *method = get_string(j, "method");
    if (!req->id[0])
        return snprintf(err, errlen, "\"id\" is required: it names the job"), -400;
    if (!package || strlen(package) >= sizeof(req->package) || !valid_package_name(package))
        return snprintf(err, errlen,
                        "\"package\" must be a file name in firmware.package_dir "
                        "(no '/', at most %zu characters)",
                        sizeof(req->package) - 1),
               -400;
    snprintf(req->package, sizeof(req->package), "%s", package);
    if (!sha || strlen(sha) != 64)
        return snprintf(err, errlen, "\"sha256\" must be 64 hex digits"), -400;
    for (size_t i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)sha[i]))
            return snprintf(err, errlen, "\"sha256\" must be 64 hex digits"), -400;
        req->sha256[i] = (char)tolower((unsigned char)sha[i]);
    }
    req->sha256[64] = 0;
    if (!method || strcmp(method, "push") == 0)
        req->method = BRIDGE_FW_PUSH;
    else if (strcmp(method, "pull") == 0)
        req->method = BRIDGE_FW_PULL;
    else
        return snprintf(err, errlen, "\"method\" must be \"push\" or \"pull\""), -400;
    if (json_object_object_get_ex(j, "method", &v) && !method)
        return snprintf(err, errlen, "\"method\" must be \"push\" or \"pull\""), -400;
    req->execute = true;
    if (json_object_object_get_ex(j, "execute", &v)) {
        if (!json_object_is_type(v, json_type_boolean))
            return snprintf(err, errlen, "\"execute\" must be true or false"), -400;
        req->execute = json_object_get_boolean(v);
    }
    if (json_object_object_get_ex(j, "timeout", &v)) {
        int64_t t = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || t < 10 || t > 2592000)
            return snprintf(err, errlen, "\"timeout\" must be 10..2592000 seconds"), -400;
        req->timeout_s = (uint32_t)t;
    }
    return 0;
}

int bridge_parse_firmware_command(bridge_t *b, const char *topic, const uint8_t *payload,
                                  size_t len, const bridge_fw_reply_t *reply,
                                  bridge_fw_request_t *req, bridge_out_t *out, int64_t wall_ms)
{
    char level[3 * LWM2M_ENDPOINT_MAX + 1], err[256] = "";
    const char *rest;
    memset(req, 0, sizeof(*req));
    if (!bridge_split_topic(b, topic, level, sizeof(level), &rest) || strcmp(rest, "command") != 0)
        return 0;
    if (len > b->config.command_max_payload)
        return 0; /* bridge_parse_command answers it */
    struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return -500;
    json_object *j = json_tokener_parse_ex(tok, (const char *)payload, (int)len);
    bool whole = j && json_tokener_get_parse_end(tok) == len;
    json_tokener_free(tok);
    const char *op = whole && json_object_is_type(j, json_type_object) ? get_string(j, "op") : NULL;
    if (!op || (strcmp(op, "firmware-update") != 0 && strcmp(op, "firmware-cancel") != 0)) {
        json_object_put(j);
        return 0;
    }
    req->cancel = strcmp(op, "firmware-cancel") == 0;
    op = req->cancel ? "firmware-cancel" : "firmware-update"; /* j is released below */
    const char *id = get_string(j, "id");
    int rc = 0;
    if (id && strlen(id) >= sizeof(req->id)) {
        snprintf(err, sizeof(err), "\"id\" is longer than %zu characters", sizeof(req->id) - 1);
        rc = -400;
    } else if (id) {
        snprintf(req->id, sizeof(req->id), "%s", id);
    }
    if (rc == 0 && bridge_unescape_endpoint(level, req->endpoint, sizeof(req->endpoint)) < 0) {
        snprintf(req->endpoint, sizeof(req->endpoint), "%.*s", (int)sizeof(req->endpoint) - 1,
                 level);
        snprintf(err, sizeof(err), "malformed endpoint in the topic");
        rc = -400;
    }
    if (rc == 0 && !req->cancel)
        rc = parse_update(j, req, err, sizeof(err));
    json_object_put(j);
    if (rc < 0) {
        response(b, req->endpoint[0] ? req->endpoint : level, req->id, op, reply, -rc, err, wall_ms,
                 out);
        return rc;
    }
    return 1;
}

static void add_int(json_object *j, const char *key, int64_t v)
{
    json_object_object_add(j, key, json_object_new_int64(v));
}

static json_object *progress_json(const bridge_fw_progress_t *p, int64_t wall_ms)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "job", json_object_new_string(p->job ? p->job : ""));
    json_object_object_add(j, "state", json_object_new_string(p->state));
    json_object_object_add(j, "method", json_object_new_string(bridge_fw_method_name(p->method)));
    if (p->percent >= 0)
        add_int(j, "percent", p->percent);
    if (p->bytes >= 0)
        add_int(j, "bytes", p->bytes);
    if (p->size >= 0)
        add_int(j, "size", p->size);
    if (p->result >= 0) {
        add_int(j, "result", p->result);
        json_object_object_add(j, "result_text",
                               json_object_new_string(bridge_firmware_result_text(p->result)));
    }
    if (p->error)
        json_object_object_add(j, "error", json_object_new_string(p->error));
    json_object_object_add(j, "final", json_object_new_boolean(p->final));
    add_int(j, "ts", wall_ms);
    return j;
}

void bridge_firmware_progress(bridge_t *b, const char *endpoint, const bridge_fw_progress_t *p,
                              int64_t wall_ms, bridge_out_t *out)
{
    char topic[BRIDGE_TOPIC_MAX];
    if (bridge_device_topic(b, endpoint, "firmware", topic, sizeof(topic)) >= 0)
        bridge_out_json(out, topic, progress_json(p, wall_ms), b->config.qos_state, true, NULL, 0);
    json_object *e = progress_json(p, wall_ms);
    json_object_object_del(e, "ts"); /* bridge_event adds it */
    bridge_event(b, endpoint, "firmware", e, wall_ms, out);
}

char *bridge_fw_record_json(const bridge_fw_record_t *r)
{
    json_object *j = json_object_new_object();
    if (!j)
        return NULL;
    json_object_object_add(j, "id", json_object_new_string(r->req.id));
    json_object_object_add(j, "package", json_object_new_string(r->req.package));
    json_object_object_add(j, "sha256", json_object_new_string(r->req.sha256));
    json_object_object_add(j, "method",
                           json_object_new_string(bridge_fw_method_name(r->req.method)));
    json_object_object_add(j, "execute", json_object_new_boolean(r->req.execute));
    add_int(j, "timeout", r->req.timeout_s);
    json_object_object_add(j, "phase", json_object_new_string(r->phase));
    json_object_object_add(j, "token", json_object_new_string(r->token));
    add_int(j, "retries", r->retries);
    add_int(j, "deadline", r->deadline_wall_ms);
    add_int(j, "size", r->size);
    const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
    char *copy = text ? strdup(text) : NULL;
    json_object_put(j);
    return copy;
}

static int copy_string(json_object *j, const char *key, char *buf, size_t size)
{
    const char *s = get_string(j, key);
    if (!s || strlen(s) >= size)
        return -400;
    memcpy(buf, s, strlen(s) + 1);
    return 0;
}

int bridge_fw_record_parse(const char *text, bridge_fw_record_t *ret)
{
    bridge_fw_record_t r;
    json_object *v;
    memset(&r, 0, sizeof(r));
    json_object *j = text ? json_tokener_parse(text) : NULL;
    int rc = j && json_object_is_type(j, json_type_object) ? 0 : -400;
    if (rc == 0)
        rc = copy_string(j, "id", r.req.id, sizeof(r.req.id)) |
             copy_string(j, "package", r.req.package, sizeof(r.req.package)) |
             copy_string(j, "sha256", r.req.sha256, sizeof(r.req.sha256)) |
             copy_string(j, "phase", r.phase, sizeof(r.phase)) |
             copy_string(j, "token", r.token, sizeof(r.token));
    if (rc == 0) {
        const char *m = get_string(j, "method");
        r.req.method = m && strcmp(m, "pull") == 0 ? BRIDGE_FW_PULL : BRIDGE_FW_PUSH;
        r.req.execute = json_object_object_get_ex(j, "execute", &v) && json_object_get_boolean(v);
        if (json_object_object_get_ex(j, "timeout", &v))
            r.req.timeout_s = (uint32_t)json_object_get_int64(v);
        if (json_object_object_get_ex(j, "retries", &v))
            r.retries = json_object_get_int(v);
        if (json_object_object_get_ex(j, "deadline", &v))
            r.deadline_wall_ms = json_object_get_int64(v);
        if (json_object_object_get_ex(j, "size", &v))
            r.size = json_object_get_int64(v);
        *ret = r;
    }
    json_object_put(j);
    return rc ? -400 : 0;
}
