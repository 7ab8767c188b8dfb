/* firmware.c - firmware update jobs: commands, package files, requests, progress, persistence
 * and the pull download handler around the state machine of firmware_job.c. */
#include "firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "bridge/firmware.h"
#include "firmware_job.h"
#include "log.h"

typedef struct fw_job {
    struct fw_job *next;
    bridge_fw_request_t req;
    fw_machine_t m;
    fw_phase_t reported; /* the phase last published */
    char token[33];      /* pull: the name in /fw/<token> */
    int64_t deadline_wall_ms;
    int64_t size;
    uint8_t *data; /* the package while the job transfers (and, for pull, until it is done) */
    uint64_t obs_state, obs_result, req_deliver, req_execute; /* request ids, 0 = none */
    int obs_pending;      /* observe answers awaited before the delivery goes out */
    bool deliver_waiting; /* a delivery waits for the observations or for the device */
    int last_percent;
} fw_job_t;

struct firmware {
    app_t *app;
    fw_job_t *jobs; /* in the order they were started */
    int timer;
    bool starting; /* inside start_transfers */
};

static int64_t wall(void)
{
    return loop_wall_ms();
}

static const lmg_conf_t *conf(const firmware_t *fw)
{
    return fw->app->conf;
}

static fw_job_t *find_job(firmware_t *fw, const char *endpoint)
{
    for (fw_job_t *j = fw->jobs; j; j = j->next)
        if (strcmp(j->req.endpoint, endpoint) == 0)
            return j;
    return NULL;
}

static void package_path(const firmware_t *fw, const char *name, char *buf, size_t size)
{
    const lmg_conf_t *c = conf(fw);
    if (c->firmware.package_dir[0])
        snprintf(buf, size, "%s/%s", c->firmware.package_dir, name);
    else
        snprintf(buf, size, "%s/firmware/%s", c->gateway.state_dir, name);
}

static void hex(const uint8_t *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* Reads a package and checks its size and SHA-256. Returns 0 with *ret_data (malloc'ed) or a
 * negated CoAP code with the reason in err. */
static int load_package(const firmware_t *fw, const bridge_fw_request_t *req, uint8_t **ret_data,
                        int64_t *ret_size, char *err, size_t errlen)
{
    char path[4096 + BRIDGE_FW_PACKAGE_MAX], digest_hex[65];
    uint8_t digest[32];
    struct stat st;
    const lmg_conf_t *c = conf(fw);
    package_path(fw, req->package, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "package '%s': %s", req->package,
                 fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -404;
    }
    if (st.st_size > c->firmware.max_package_size ||
        (req->method == BRIDGE_FW_PUSH && st.st_size > c->lwm2m.max_payload)) {
        snprintf(err, errlen, "package '%s' has %lld bytes, more than %s (%d)", req->package,
                 (long long)st.st_size,
                 st.st_size > c->firmware.max_package_size ? "firmware.max_package_size"
                                                           : "lwm2m.max_payload, the push limit",
                 st.st_size > c->firmware.max_package_size ? c->firmware.max_package_size
                                                           : c->lwm2m.max_payload);
        close(fd);
        return -413;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    size_t got = 0;
    while (data && got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!data || got != size) {
        free(data);
        snprintf(err, errlen, "package '%s': cannot read it", req->package);
        return -500;
    }
    mbedtls_sha256_ret(data, size, digest, 0);
    hex(digest, sizeof(digest), digest_hex);
    if (strcmp(digest_hex, req->sha256) != 0) {
        free(data);
        snprintf(err, errlen, "package '%s': SHA-256 mismatch: expected %s, the file has %s",
                 req->package, req->sha256, digest_hex);
        return -400;
    }
    *ret_data = data;
    *ret_size = (int64_t)size;
    return 0;
}

static void save(firmware_t *fw, fw_job_t *j)
{
    bridge_fw_record_t rec = {.req = j->req,
                              .retries = j->m.retries,
                              .deadline_wall_ms = j->deadline_wall_ms,
                              .size = j->size};
    snprintf(rec.phase, sizeof(rec.phase), "%s", fw_phase_name(j->m.phase));
    snprintf(rec.token, sizeof(rec.token), "%s", j->token);
    char *text = bridge_fw_record_json(&rec);
    if (!text || state_save_firmware_job(fw->app->state, j->req.endpoint, text, wall()) < 0)
        log_error("%s: cannot persist firmware job %s", j->req.endpoint, j->req.id);
    free(text);
}

static const char *reported_state(fw_phase_t phase)
{
    return phase == FW_DELIVERING ? "downloading" : fw_phase_name(phase);
}

static void progress(firmware_t *fw, fw_job_t *j, int percent, int64_t bytes)
{
    bridge_out_t out = {0};
    bridge_fw_progress_t p = {.job = j->req.id,
                              .state = reported_state(j->m.phase),
                              .method = j->req.method,
                              .percent = percent,
                              .bytes = bytes,
                              .size = j->size,
                              .result = j->m.result,
                              .error = j->m.error[0] ? j->m.error : NULL,
                              .final = fw_phase_final(j->m.phase)};
    bridge_firmware_progress(fw->app->bridge, j->req.endpoint, &p, wall(), &out);
    app_publish(fw->app, &out);
}

static int64_t remaining_ms(const fw_job_t *j)
{
    int64_t left = j->deadline_wall_ms - wall();
    return left < 1000 ? 1000 : left;
}

/* Sends a request for the job. Returns the request id, or 0 when the server refused it. */
static uint64_t request(firmware_t *fw, fw_job_t *j, lwm2m_req_type_t type, uint16_t r,
                        const lwm2m_node_t *node, uint16_t format)
{
    lwm2m_request_t req = {.type = type,
                           .path = lwm2m_path_make(3, 5, 0, r, 0),
                           .nodes = node,
                           .node_count = node ? 1 : 0,
                           .depth = -1,
                           .format = format,
                           .has_format = format != 0};
    int64_t left = remaining_ms(j);
    req.ttl_ms = (uint32_t)(left > 2592000000LL ? 2592000000LL : left);
    /* A push carries the whole package in one block-wise exchange: give it time. */
    if (type == LWM2M_REQ_WRITE_REPLACE && r == 0)
        req.timeout_ms = (uint32_t)(left > 3600000 ? 3600000 : left);
    uint64_t id = 0;
    lwm2m_error_t err = {0};
    int rc = lwm2m_server_request(fw->app->server, j->req.endpoint, &req, loop_now_ms(), &id, &err);
    if (rc < 0) {
        log_info("%s: firmware job %s: %s /5/0/%u not sent: %s", j->req.endpoint, j->req.id,
                 lwm2m_req_type_name(type), (unsigned)r, err.message);
        return 0;
    }
    return id;
}

static void observe(firmware_t *fw, fw_job_t *j)
{
    if (j->obs_state)
        lwm2m_server_cancel(fw->app->server, j->obs_state, loop_now_ms());
    if (j->obs_result)
        lwm2m_server_cancel(fw->app->server, j->obs_result, loop_now_ms());
    j->obs_state = j->obs_result = 0;
    j->obs_pending = 0;
    j->obs_state = request(fw, j, LWM2M_REQ_OBSERVE, 3, NULL, 0);
    j->obs_pending += j->obs_state != 0;
    j->obs_result = request(fw, j, LWM2M_REQ_OBSERVE, 5, NULL, 0);
    j->obs_pending += j->obs_result != 0;
}

static void finish(firmware_t *fw, fw_job_t *j);
static void apply(firmware_t *fw, fw_job_t *j, fw_action_t action);

static void deliver(firmware_t *fw, fw_job_t *j)
{
    char uri[512];
    lwm2m_node_t node = {0};
    j->deliver_waiting = false;
    if (j->req.method == BRIDGE_FW_PUSH) {
        node.path = lwm2m_path_make(3, 5, 0, 0, 0);
        node.value = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, j->data, (size_t)j->size);
        j->req_deliver = request(fw, j, LWM2M_REQ_WRITE_REPLACE, 0, &node, LWM2M_CF_OPAQUE);
    } else {
        snprintf(uri, sizeof(uri), "%s/fw/%s", conf(fw)->firmware.pull_uri, j->token);
        node.path = lwm2m_path_make(3, 5, 0, 1, 0);
        node.value = lwm2m_value_bytes(LWM2M_TYPE_STRING, uri, strlen(uri));
        j->req_deliver = request(fw, j, LWM2M_REQ_WRITE_REPLACE, 1, &node, 0);
    }
    if (!j->req_deliver) {
        j->deliver_waiting = true; /* the device is gone: again when it registers */
        return;
    }
    fw_machine_sent(&j->m);
    j->last_percent = 0;
    progress(fw, j, 0, 0);
    log_info("%s: firmware job %s: %s of %s (%lld bytes)%s", j->req.endpoint, j->req.id,
             bridge_fw_method_name(j->req.method), j->req.package, (long long)j->size,
             j->m.retries ? " (retry)" : "");
}

/* Observations first, so that what the device reports afterwards is about this delivery. */
static void start_delivery(firmware_t *fw, fw_job_t *j)
{
    j->deliver_waiting = true;
    if (!lwm2m_server_find(fw->app->server, j->req.endpoint))
        return;
    if (!j->obs_state && !j->obs_result)
        observe(fw, j);
    if (j->obs_pending == 0)
        deliver(fw, j);
}

/* Starts queued jobs, oldest first, while fewer than firmware.max_transfers transfer. Not
 * re-entered: what a started job triggers is counted in the next round of the loop. */
static void start_transfers(firmware_t *fw)
{
    if (fw->starting)
        return;
    fw->starting = true;
    for (;;) {
        int busy = 0;
        fw_job_t *next = NULL;
        for (fw_job_t *j = fw->jobs; j; j = j->next) {
            busy += fw_phase_transfers(j->m.phase);
            if (!next && j->m.phase == FW_QUEUED)
                next = j;
        }
        if (!next || busy >= conf(fw)->firmware.max_transfers)
            break;
        char err[512];
        if (load_package(fw, &next->req, &next->data, &next->size, err, sizeof(err)) < 0) {
            next->m.phase = FW_FAILURE;
            snprintf(next->m.error, sizeof(next->m.error), "%s", err);
            finish(fw, next);
            continue;
        }
        if (next->req.method == BRIDGE_FW_PULL && !next->token[0]) {
            uint8_t t[16];
            app_random(t, sizeof(t));
            hex(t, sizeof(t), next->token);
        }
        apply(fw, next, fw_machine_start(&next->m));
    }
    fw->starting = false;
}

static void finish(firmware_t *fw, fw_job_t *j)
{
    if (j->m.phase == FW_SUCCESS)
        log_notice("%s: firmware job %s succeeded", j->req.endpoint, j->req.id);
    else
        log_warning("%s: firmware job %s %s: %s%s%s", j->req.endpoint, j->req.id,
                    fw_phase_name(j->m.phase), j->m.error, j->m.result >= 2 ? ", " : "",
                    j->m.result >= 2 ? bridge_firmware_result_text(j->m.result) : "");
    progress(fw, j, j->m.phase == FW_SUCCESS ? 100 : -1, -1);
    uint64_t ids[] = {j->obs_state, j->obs_result, j->req_deliver, j->req_execute};
    for (fw_job_t **p = &fw->jobs; *p; p = &(*p)->next) {
        if (*p == j) {
            *p = j->next;
            break;
        }
    }
    state_delete_firmware_job(fw->app->state, j->req.endpoint);
    free(j->data);
    free(j);
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (ids[i])
            lwm2m_server_cancel(fw->app->server, ids[i], loop_now_ms());
}

/* Carries out what the machine decided, then publishes and persists a new phase. */
static void apply(firmware_t *fw, fw_job_t *j, fw_action_t action)
{
    switch (action) {
    case FW_ACT_DELIVER:
        start_delivery(fw, j);
        break;
    case FW_ACT_EXECUTE:
        j->req_execute = request(fw, j, LWM2M_REQ_EXECUTE, 2, NULL, 0);
        if (!j->req_execute)
            j->m.executing = false; /* again at the next State report */
        break;
    case FW_ACT_FINISH:
        finish(fw, j);
        start_transfers(fw);
        return;
    case FW_ACT_NONE:
        break;
    }
    if (j->m.phase != j->reported) {
        /* Delivering and downloading are both "downloading" outside: deliver() and the
         * served blocks report that progress. */
        bool same = strcmp(reported_state(j->m.phase), reported_state(j->reported)) == 0;
        j->reported = j->m.phase;
        if (!same && j->m.phase != FW_DELIVERING)
            progress(fw, j, j->m.phase == FW_DOWNLOADED ? 100 : -1, -1);
        if (!fw_phase_transfers(j->m.phase)) {
            free(j->data); /* delivered: memory is held by max_transfers jobs at most */
            j->data = NULL;
        }
        save(fw, j);
        start_transfers(fw);
    }
}

static int64_t timer_tick(void *ctx, int64_t now_ms)
{
    firmware_t *fw = ctx;
    int64_t next = INT64_MAX, w = wall();
    for (;;) { /* a finished job changes the list: look again from the start */
        fw_job_t *due = NULL;
        for (fw_job_t *j = fw->jobs; j && !due; j = j->next)
            if (j->deadline_wall_ms <= w)
                due = j;
        if (!due)
            break;
        apply(fw, due, fw_machine_timeout(&due->m));
    }
    for (fw_job_t *j = fw->jobs; j; j = j->next) {
        int64_t at = now_ms + (j->deadline_wall_ms - w);
        if (at < next)
            next = at;
    }
    return next;
}

static void rearm(firmware_t *fw)
{
    loop_set_deadline(fw->app->loop, fw->timer, loop_now_ms());
}

static fw_job_t *new_job(const bridge_fw_request_t *req)
{
    fw_job_t *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->req = *req;
    fw_machine_init(&j->m, req->execute, 0);
    j->reported = FW_QUEUED;
    return j;
}

static void append(firmware_t *fw, fw_job_t *j)
{
    fw_job_t **p = &fw->jobs;
    while (*p)
        p = &(*p)->next;
    *p = j;
}

static void command(firmware_t *fw, const bridge_fw_request_t *req, const bridge_fw_reply_t *reply)
{
    char err[512] = "";
    int code = 0;
    bridge_out_t out = {0};
    fw_job_t *j = find_job(fw, req->endpoint);
    const lmg_conf_t *c = conf(fw);
    if (req->cancel) {
        if (!j || (req->id[0] && strcmp(req->id, j->req.id) != 0)) {
            bridge_firmware_response(fw->app->bridge, req, reply, 404, "no such firmware job",
                                     wall(), &out);
            app_publish(fw->app, &out);
            return;
        }
        bridge_firmware_response(fw->app->bridge, req, reply, 0, NULL, wall(), &out);
        app_publish(fw->app, &out);
        if (j->m.phase >= FW_DELIVERING && j->m.phase <= FW_DOWNLOADED) {
            /* An empty Package URI resets the device's firmware state machine to Idle (works
             * for push and pull devices alike, unlike Cancel /5/0/10 which is 1.2 only). */
            lwm2m_node_t empty = {.path = lwm2m_path_make(3, 5, 0, 1, 0),
                                  .value = lwm2m_value_bytes(LWM2M_TYPE_STRING, "", 0)};
            request(fw, j, LWM2M_REQ_WRITE_REPLACE, 1, &empty, 0);
        }
        log_info("%s: firmware job %s cancelled", j->req.endpoint, j->req.id);
        apply(fw, j, fw_machine_cancel(&j->m));
        return;
    }
    uint8_t *data = NULL;
    int64_t size = 0;
    if (j) {
        code = 409;
        snprintf(err, sizeof(err), "firmware job %s is in progress on this device", j->req.id);
    } else if (!lwm2m_server_find(fw->app->server, req->endpoint)) {
        code = 404;
        snprintf(err, sizeof(err), "unknown endpoint");
    } else if (req->method == BRIDGE_FW_PULL && !c->firmware.pull_uri[0]) {
        code = 400;
        snprintf(err, sizeof(err), "pull needs firmware.pull_uri in the configuration");
    } else {
        /* Verified before anything goes to the device; read again when the transfer starts. */
        code = -load_package(fw, req, &data, &size, err, sizeof(err));
        free(data);
    }
    if (code == 0 && !(j = new_job(req))) {
        code = 500;
        snprintf(err, sizeof(err), "out of memory");
    }
    bridge_firmware_response(fw->app->bridge, req, reply, code, code ? err : NULL, wall(), &out);
    app_publish(fw->app, &out);
    if (code) {
        log_info("%s: firmware command %s refused: %s", req->endpoint, req->id, err);
        return;
    }
    j->size = size;
    j->m.max_retries = c->firmware.retries;
    j->deadline_wall_ms =
        wall() + 1000LL * (req->timeout_s ? (int64_t)req->timeout_s : c->firmware.timeout);
    append(fw, j);
    log_info("%s: firmware job %s accepted (%s, %s, %lld bytes)", req->endpoint, req->id,
             req->package, bridge_fw_method_name(req->method), (long long)size);
    progress(fw, j, -1, -1);
    save(fw, j);
    start_transfers(fw);
    rearm(fw);
}

bool firmware_on_mqtt(firmware_t *fw, const char *topic, const uint8_t *payload, size_t len,
                      const char *response_topic, const uint8_t *correlation,
                      size_t correlation_len)
{
    bridge_fw_request_t req;
    bridge_fw_reply_t reply = {response_topic, correlation, correlation_len};
    bridge_out_t out = {0};
    int rc = bridge_parse_firmware_command(fw->app->bridge, topic, payload, len, &reply, &req, &out,
                                           wall());
    app_publish(fw->app, &out);
    if (rc == 0)
        return false;
    if (rc > 0)
        command(fw, &req, &reply);
    else
        log_info("mqtt: malformed firmware command on %s", topic);
    return true;
}

static fw_outcome_t outcome_of(const lwm2m_result_t *r)
{
    if (r->status != LWM2M_RESULT_RESPONSE)
        return FW_TRANSIENT;
    return r->code >= 200 && r->code < 300 ? FW_OK : FW_REFUSED;
}

/* Feeds the State and Update Result values in nodes to the machine; the job may finish (and
 * be freed) on the way. */
static void device_values(firmware_t *fw, fw_job_t *j, const lwm2m_nodes_t *nodes)
{
    char endpoint[sizeof(j->req.endpoint)];
    memcpy(endpoint, j->req.endpoint, sizeof(endpoint));
    for (size_t i = 0; nodes && i < nodes->count; i++) {
        const lwm2m_node_t *n = &nodes->items[i];
        if (n->path.depth < 3 || n->path.id[0] != 5 || n->value.type != LWM2M_TYPE_INTEGER)
            continue;
        int v = (int)n->value.u.integer;
        if (n->path.id[2] == 3)
            apply(fw, j, fw_machine_device(&j->m, v, -1));
        else if (n->path.id[2] == 5)
            apply(fw, j, fw_machine_device(&j->m, -1, v));
        if (find_job(fw, endpoint) != j)
            return; /* finished */
    }
}

bool firmware_on_result(firmware_t *fw, const lwm2m_registration_t *reg,
                        const lwm2m_result_t *result)
{
    uint64_t id = result->request_id;
    fw_job_t *j = fw ? find_job(fw, reg->endpoint) : NULL;
    if (!j)
        return false;
    if (id == j->obs_state || id == j->obs_result) {
        if (outcome_of(result) != FW_OK) {
            if (id == j->obs_state)
                j->obs_state = 0;
            else
                j->obs_result = 0;
        }
        /* The values from before the delivery go in first (they are ignored until it is
         * sent, but tell a resumed job where the device is). */
        if (outcome_of(result) == FW_OK)
            device_values(fw, j, result->nodes);
        if (find_job(fw, reg->endpoint) != j)
            return true; /* finished */
        if (j->obs_pending > 0 && --j->obs_pending == 0 && j->deliver_waiting)
            deliver(fw, j);
        return true;
    }
    if (id == j->req_deliver) {
        j->req_deliver = 0;
        fw_outcome_t o = outcome_of(result);
        if (o == FW_OK && j->req.method == BRIDGE_FW_PUSH && j->m.phase == FW_DELIVERING)
            progress(fw, j, 100, j->size);
        apply(fw, j, fw_machine_delivered(&j->m, o, result->code));
        return true;
    }
    if (id == j->req_execute) {
        j->req_execute = 0;
        apply(fw, j, fw_machine_executed(&j->m, outcome_of(result), result->code));
        return true;
    }
    return false;
}

void firmware_on_notify(firmware_t *fw, const lwm2m_registration_t *reg, uint64_t request_id,
                        const lwm2m_nodes_t *nodes)
{
    fw_job_t *j = fw ? find_job(fw, reg->endpoint) : NULL;
    if (j && (request_id == j->obs_state || request_id == j->obs_result))
        device_values(fw, j, nodes);
}

void firmware_on_registered(firmware_t *fw, const lwm2m_registration_t *reg)
{
    fw_job_t *j = fw ? find_job(fw, reg->endpoint) : NULL;
    if (!j || j->m.phase == FW_QUEUED)
        return;
    /* A new registration forgot the observations (and cancels what was in flight). */
    j->obs_state = j->obs_result = 0;
    j->m.executing = false;
    if (j->deliver_waiting || j->m.phase == FW_DELIVERING)
        start_delivery(fw, j);
    else
        observe(fw, j);
}

static const uint8_t *download_lookup(void *ctx, const char *name, size_t *ret_len)
{
    firmware_t *fw = ctx;
    for (fw_job_t *j = fw->jobs; j; j = j->next) {
        if (j->token[0] && strcmp(j->token, name) == 0 && j->data) {
            *ret_len = (size_t)j->size;
            return j->data;
        }
    }
    return NULL;
}

static void download_served(void *ctx, const char *name, size_t offset, size_t len, size_t total)
{
    firmware_t *fw = ctx;
    for (fw_job_t *j = fw->jobs; j; j = j->next) {
        if (!j->token[0] || strcmp(j->token, name) != 0 || !total)
            continue;
        int percent = (int)((offset + len) * 100 / total);
        if (percent >= j->last_percent + 10 || (percent == 100 && j->last_percent < 100)) {
            j->last_percent = percent;
            progress(fw, j, percent, (int64_t)(offset + len));
        }
    }
}

/* A job saved before a restart: transfers start over (push) or go on (pull: the device asks
 * for the next block at the same URI); later phases wait for the device's State. */
static void restore_job(void *ctx, const char *endpoint, const char *text)
{
    firmware_t *fw = ctx;
    bridge_fw_record_t rec;
    fw_phase_t phase;
    if (bridge_fw_record_parse(text, &rec) < 0 || fw_phase_from_name(rec.phase, &phase) < 0 ||
        fw_phase_final(phase) || find_job(fw, endpoint)) {
        log_warning("%s: dropping an unreadable firmware job from the state store", endpoint);
        state_delete_firmware_job(fw->app->state, endpoint);
        return;
    }
    snprintf(rec.req.endpoint, sizeof(rec.req.endpoint), "%s", endpoint);
    fw_job_t *j = new_job(&rec.req);
    if (!j)
        return;
    j->m.max_retries = conf(fw)->firmware.retries;
    j->m.retries = rec.retries;
    j->deadline_wall_ms = rec.deadline_wall_ms;
    j->size = rec.size;
    snprintf(j->token, sizeof(j->token), "%s", rec.token);
    append(fw, j);
    log_info("%s: firmware job %s resumed in phase %s", endpoint, j->req.id, rec.phase);
    if (phase == FW_QUEUED)
        return;
    char err[512];
    if (fw_phase_transfers(phase) &&
        load_package(fw, &j->req, &j->data, &j->size, err, sizeof(err)) < 0) {
        j->m.phase = FW_FAILURE;
        snprintf(j->m.error, sizeof(j->m.error), "%s", err);
        finish(fw, j);
        return;
    }
    j->m.phase = j->reported = phase;
    if (phase == FW_DELIVERING)
        start_delivery(fw, j);
    else if (lwm2m_server_find(fw->app->server, endpoint))
        observe(fw, j);
}

firmware_t *firmware_new(app_t *app)
{
    firmware_t *fw = calloc(1, sizeof(*fw));
    if (!fw)
        return NULL;
    fw->app = app;
    fw->timer = loop_add_timer(app->loop, timer_tick, fw);
    coap_transport_download_handler_t h = {
        .lookup = download_lookup, .served = download_served, .ctx = fw};
    coap_transport_set_download_handler(app->coap, &h);
    int n = state_load_firmware_jobs(app->state, restore_job, fw);
    if (n > 0)
        log_info("state: %d firmware jobs restored", n);
    start_transfers(fw);
    rearm(fw);
    return fw;
}

void firmware_free(firmware_t *fw)
{
    if (!fw)
        return;
    coap_transport_set_download_handler(fw->app->coap, NULL);
    while (fw->jobs) {
        fw_job_t *j = fw->jobs;
        fw->jobs = j->next;
        free(j->data);
        free(j);
    }
    free(fw);
}
