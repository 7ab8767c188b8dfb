/* control.c - the control channel: one command per stdin line, each answered by exactly one
 * {"event":"cmd_ok",...} or {"event":"cmd_error",...} line (see README.md for the commands). */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "lwm2m/codec.h"
#include "nodejson.h"
#include "sim.h"

#define SIM_MAX_ARGS 40

typedef struct sim_cmd {
    sim_t *sim;
    char *argv[SIM_MAX_ARGS];
    size_t argc;
    const char *rest[SIM_MAX_ARGS]; /* the rest of the line from argument i on */
    char error[160];
    size_t done; /* devices the command was carried out for */
} sim_cmd_t;

void sim_event_device(sim_event_t *ev, const char *name, const sim_device_t *dev)
{
    sim_event_begin(ev, name);
    if (dev) {
        sim_event_str(ev, "ep", dev->ep);
        sim_event_uint(ev, "idx", dev->index);
        sim_event_int(ev, "ms", sim_now_ms() - dev->sim->start_ms);
    }
}

void sim_emit_error(const sim_device_t *dev, const char *what, const char *detail)
{
    sim_event_t ev;
    sim_event_device(&ev, "error", dev);
    sim_event_str(&ev, "what", what);
    sim_event_str(&ev, "detail", detail);
    sim_event_end(&ev);
}

static int sim_cmd_fail(sim_cmd_t *cmd, const char *msg)
{
    if (!cmd->error[0])
        snprintf(cmd->error, sizeof(cmd->error), "%s", msg);
    return -1;
}

static int sim_parse_path(sim_cmd_t *cmd, const char *text, uint8_t min_depth, lwm2m_path_t *ret)
{
    if (lwm2m_path_parse(text, strlen(text), 0, ret) < 0 || ret->depth < min_depth)
        return sim_cmd_fail(cmd, "bad path");
    return 0;
}

static int sim_parse_uint(sim_cmd_t *cmd, const char *text, uint64_t max, uint64_t *ret)
{
    if (lwm2m_parse_uint64(text, strlen(text), ret) < 0 || *ret > max)
        return sim_cmd_fail(cmd, "bad number");
    return 0;
}

/* ---- per-device commands: each returns 0 or -1 with cmd->error set ---- */

static int sim_do_set(sim_cmd_t *cmd, sim_device_t *dev)
{
    lwm2m_path_t path;
    if (cmd->argc < 4 || sim_parse_path(cmd, cmd->argv[2], 3, &path) < 0)
        return sim_cmd_fail(cmd, "usage: set EP PATH VALUE");
    lwm2m_type_t type = lwm2m_model_type(dev->sim->model, &path);
    static uint8_t scratch[4096];
    lwm2m_value_t v;
    if (type == LWM2M_TYPE_UNKNOWN || type == LWM2M_TYPE_NONE)
        return sim_cmd_fail(cmd, "no such resource in the model");
    if (sim_value_from_text(type, cmd->rest[3], scratch, sizeof(scratch), &v) < 0)
        return sim_cmd_fail(cmd, "value does not parse as the resource's type");
    if (sim_store_set(&dev->store, &path, &v) < 0)
        return sim_cmd_fail(cmd, "no such instance");
    sim_client_after_write(dev, &path);
    sim_observe_changed(dev, &path);
    return 0;
}

static int sim_do_fill(sim_cmd_t *cmd, sim_device_t *dev)
{
    lwm2m_path_t path;
    uint64_t n;
    if (cmd->argc < 4 || sim_parse_path(cmd, cmd->argv[2], 3, &path) < 0 ||
        sim_parse_uint(cmd, cmd->argv[3], dev->sim->opt.max_body, &n) < 0)
        return sim_cmd_fail(cmd, "usage: fill EP PATH BYTES");
    lwm2m_type_t type = lwm2m_model_type(dev->sim->model, &path);
    if (type != LWM2M_TYPE_STRING && type != LWM2M_TYPE_OPAQUE)
        return sim_cmd_fail(cmd, "fill needs a string or opaque resource");
    uint8_t *data = malloc(n ? n : 1);
    if (!data)
        return sim_cmd_fail(cmd, "out of memory");
    for (uint64_t i = 0; i < n; i++)
        data[i] = type == LWM2M_TYPE_STRING ? (uint8_t)('a' + (i * 7 + i / 26) % 26)
                                            : (uint8_t)(i * 31 + 7);
    lwm2m_value_t v = lwm2m_value_bytes(type, data, n);
    int rc = sim_store_set(&dev->store, &path, &v);
    char hash[65];
    sim_sha256_hex(data, n, hash);
    free(data);
    if (rc < 0)
        return sim_cmd_fail(cmd, "cannot store the value");
    sim_observe_changed(dev, &path);
    sim_event_t ev;
    sim_event_device(&ev, "filled", dev);
    sim_event_str(&ev, "path", cmd->argv[2]);
    sim_event_uint(&ev, "bytes", n);
    sim_event_str(&ev, "sha256", hash);
    sim_event_end(&ev);
    return 0;
}

static int sim_do_send(sim_cmd_t *cmd, sim_device_t *dev)
{
    const lwm2m_codec_t *codec = cmd->argc >= 4 ? lwm2m_codec_find_by_name(cmd->argv[2]) : NULL;
    if (!codec)
        return sim_cmd_fail(cmd, "usage: send EP FORMAT PATH...");
    lwm2m_path_t paths[SIM_MAX_COMPOSITE];
    size_t count = 0;
    for (size_t i = 3; i < cmd->argc && count < SIM_MAX_COMPOSITE; i++)
        if (sim_parse_path(cmd, cmd->argv[i], 1, &paths[count++]) < 0)
            return -1;
    if (sim_client_send(dev, codec->content_format, paths, count) < 0)
        return sim_cmd_fail(cmd, "not registered, or the values cannot be encoded");
    return 0;
}

static int sim_do_update(sim_cmd_t *cmd, sim_device_t *dev)
{
    for (size_t i = 2; i < cmd->argc; i++) {
        uint64_t lt;
        if (strncmp(cmd->argv[i], "lt=", 3) == 0) {
            if (sim_parse_uint(cmd, cmd->argv[i] + 3, UINT32_MAX, &lt) < 0)
                return -1;
            dev->lifetime = (uint32_t)lt;
            dev->update_lt = true;
        } else if (strcmp(cmd->argv[i], "objects") == 0) {
            dev->update_objects = true;
        } else if (strcmp(cmd->argv[i], "b") == 0) {
            dev->update_binding = true;
        } else {
            return sim_cmd_fail(cmd, "usage: update EP [lt=N] [objects] [b]");
        }
    }
    return sim_client_update(dev) < 0 ? sim_cmd_fail(cmd, "not registered") : 0;
}

static int sim_do_notify(sim_cmd_t *cmd, sim_device_t *dev)
{
    lwm2m_path_t path;
    if (cmd->argc >= 3 && sim_parse_path(cmd, cmd->argv[2], 1, &path) < 0)
        return -1;
    sim_observe_force(dev, cmd->argc >= 3 ? &path : NULL);
    return 0;
}

static int sim_do_local_instance(sim_cmd_t *cmd, sim_device_t *dev, bool create)
{
    lwm2m_path_t path;
    if (cmd->argc < 3 || sim_parse_path(cmd, cmd->argv[2], 2, &path) < 0 || path.depth != 2)
        return sim_cmd_fail(cmd, "usage: create|delete EP /OBJ/INST");
    if (create) {
        if (!lwm2m_model_object(dev->sim->model, path.id[0]) ||
            sim_store_add_instance(&dev->store, path.id[0], path.id[1]) < 0)
            return sim_cmd_fail(cmd, "cannot create that instance");
        sim_objects_instance_defaults(dev, path.id[0], path.id[1]);
    } else {
        if (sim_store_remove_instance(&dev->store, path.id[0], path.id[1]) < 0)
            return sim_cmd_fail(cmd, "no such instance");
        sim_observe_removed(dev, &path);
    }
    sim_client_objects_changed(dev);
    return 0;
}

static int sim_do_dump(sim_cmd_t *cmd, sim_device_t *dev)
{
    lwm2m_path_t path = lwm2m_path_root();
    if (cmd->argc >= 3 && sim_parse_path(cmd, cmd->argv[2], 0, &path) < 0)
        return -1;
    lwm2m_nodes_t nodes;
    lwm2m_nodes_init(&nodes, SIM_STORE_MAX_ENTRIES, 0);
    sim_ops_refresh_dynamic(dev);
    int rc = sim_store_read(&dev->store, dev->sim->model, &path, &nodes);
    if (rc < 0) {
        lwm2m_nodes_clear(&nodes);
        return sim_cmd_fail(cmd, "nothing readable there");
    }
    json_object *j = nodejson_from_nodes(nodes.items, nodes.count);
    sim_event_t ev;
    sim_event_device(&ev, "dump", dev);
    sim_event_raw(
        &ev, "nodes",
        json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    sim_event_uint(&ev, "observations", sim_observe_count(dev));
    sim_event_str(&ev, "state", dev->reg == SIM_REG_REGISTERED ? "registered" : "not registered");
    sim_event_bool(&ev, "asleep", dev->asleep);
    sim_event_end(&ev);
    json_object_put(j);
    lwm2m_nodes_clear(&nodes);
    return 0;
}

static int sim_do_fault(sim_cmd_t *cmd, sim_device_t *dev)
{
    const char *c = cmd->argv[0];
    uint64_t ms = 0;
    if (strcmp(c, "delay") == 0) {
        if (cmd->argc < 3 || sim_parse_uint(cmd, cmd->argv[2], 600000, &ms) < 0)
            return sim_cmd_fail(cmd, "usage: delay EP MS");
        dev->delay_ms = (uint32_t)ms;
        return 0;
    }
    dev->fault = strcmp(c, "mute") == 0      ? SIM_FAULT_MUTE
                 : strcmp(c, "garbage") == 0 ? SIM_FAULT_GARBAGE
                 : strcmp(c, "rst") == 0     ? SIM_FAULT_RST
                                             : SIM_FAULT_NONE;
    if (dev->fault == SIM_FAULT_NONE)
        dev->delay_ms = 0;
    return 0;
}

static int sim_do_device(sim_cmd_t *cmd, sim_device_t *dev)
{
    const char *c = cmd->argv[0];
    uint64_t n = 0;
    if (strcmp(c, "register") == 0)
        return sim_client_register(dev) < 0 ? sim_cmd_fail(cmd, "too busy") : 0;
    if (strcmp(c, "deregister") == 0)
        return sim_client_deregister(dev) < 0 ? sim_cmd_fail(cmd, "not registered") : 0;
    if (strcmp(c, "update") == 0)
        return sim_do_update(cmd, dev);
    if (strcmp(c, "sleep") == 0) {
        sim_client_sleep(dev);
        return 0;
    }
    if (strcmp(c, "wake") == 0) {
        if (cmd->argc >= 3 && sim_parse_uint(cmd, cmd->argv[2], 86400, &n) < 0)
            return -1;
        sim_client_wake(dev, (uint32_t)n);
        return 0;
    }
    if (strcmp(c, "set") == 0)
        return sim_do_set(cmd, dev);
    if (strcmp(c, "fill") == 0)
        return sim_do_fill(cmd, dev);
    if (strcmp(c, "send") == 0)
        return sim_do_send(cmd, dev);
    if (strcmp(c, "drop") == 0) {
        uint64_t after = 0;
        if (cmd->argc < 3 || sim_parse_uint(cmd, cmd->argv[2], 1000, &n) < 0 ||
            (cmd->argc >= 4 && sim_parse_uint(cmd, cmd->argv[3], 1000000, &after) < 0))
            return sim_cmd_fail(cmd, "usage: drop EP N [AFTER] (N <= 1000)");
        dev->drop_next = (uint32_t)n;
        dev->drop_after = (uint32_t)after;
        return 0;
    }
    if (strcmp(c, "fwfail") == 0) {
        if (cmd->argc < 3 || sim_parse_uint(cmd, cmd->argv[2], 255, &n) < 0)
            return sim_cmd_fail(cmd, "usage: fwfail EP RESULT (0 = succeed again)");
        dev->fw_fail_result = (int)n;
        return 0;
    }
    if (strcmp(c, "notify") == 0)
        return sim_do_notify(cmd, dev);
    if (strcmp(c, "create") == 0 || strcmp(c, "delete") == 0)
        return sim_do_local_instance(cmd, dev, c[0] == 'c');
    if (strcmp(c, "dump") == 0)
        return sim_do_dump(cmd, dev);
    if (strcmp(c, "flood") == 0) {
        if (cmd->argc < 3 || sim_parse_uint(cmd, cmd->argv[2], SIM_MAX_EXCHANGES, &n) < 0)
            return sim_cmd_fail(cmd, "usage: flood EP N (N <= 16)");
        sim_client_flood(dev, (unsigned)n);
        return 0;
    }
    if (strcmp(c, "rename") == 0) {
        if (cmd->argc < 3 || strlen(cmd->argv[2]) >= SIM_EP_MAX)
            return sim_cmd_fail(cmd, "usage: rename EP NEWNAME");
        snprintf(dev->ep, sizeof(dev->ep), "%s", cmd->argv[2]);
        return 0;
    }
    if (strcmp(c, "mute") == 0 || strcmp(c, "garbage") == 0 || strcmp(c, "rst") == 0 ||
        strcmp(c, "normal") == 0 || strcmp(c, "delay") == 0)
        return sim_do_fault(cmd, dev);
    return sim_cmd_fail(cmd, "unknown command (try: help)");
}

/* ---- global commands ---- */

static void sim_do_stats(sim_t *sim)
{
    uint64_t reg = 0, asleep = 0, obs = 0, rx = 0, tx = 0, req = 0, notif = 0, retr = 0, tmo = 0,
             drop = 0;
    for (size_t i = 0; i < sim->count; i++) {
        const sim_device_t *d = &sim->devices[i];
        reg += d->reg == SIM_REG_REGISTERED;
        asleep += d->asleep;
        obs += sim_observe_count(d);
        rx += d->rx, tx += d->tx, req += d->requests, notif += d->notifications;
        retr += d->retransmissions, tmo += d->timeouts, drop += d->dropped;
    }
    sim_event_t ev;
    sim_event_begin(&ev, "stats");
    sim_event_uint(&ev, "devices", sim->count);
    sim_event_uint(&ev, "registered", reg);
    sim_event_uint(&ev, "asleep", asleep);
    sim_event_uint(&ev, "observations", obs);
    sim_event_uint(&ev, "rx", rx);
    sim_event_uint(&ev, "tx", tx);
    sim_event_uint(&ev, "requests", req);
    sim_event_uint(&ev, "notifications", notif);
    sim_event_uint(&ev, "retransmissions", retr);
    sim_event_uint(&ev, "timeouts", tmo);
    sim_event_uint(&ev, "dropped", drop);
    sim_event_end(&ev);
}

static void sim_do_list(sim_t *sim)
{
    for (size_t i = 0; i < sim->count; i++) {
        const sim_device_t *d = &sim->devices[i];
        char port[16], addr[INET6_ADDRSTRLEN] = "";
        const struct sockaddr_in *a = (const void *)&d->local.ss;
        const struct sockaddr_in6 *a6 = (const void *)&d->local.ss;
        snprintf(port, sizeof(port), "%u", (unsigned)ntohs(a->sin_port));
        if (a->sin_family == AF_INET)
            inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
        else
            inet_ntop(AF_INET6, &a6->sin6_addr, addr, sizeof(addr));
        sim_event_t ev;
        sim_event_device(&ev, "device", d);
        sim_event_str(&ev, "address", addr);
        sim_event_str(&ev, "port", port);
        sim_event_str(&ev, "location", d->location);
        sim_event_bool(&ev, "registered", d->reg == SIM_REG_REGISTERED);
        sim_event_bool(&ev, "asleep", d->asleep);
        sim_event_end(&ev);
    }
}

static bool sim_do_global(sim_cmd_t *cmd)
{
    const char *c = cmd->argv[0];
    if (strcmp(c, "stats") == 0) {
        sim_do_stats(cmd->sim);
    } else if (strcmp(c, "list") == 0) {
        sim_do_list(cmd->sim);
    } else if (strcmp(c, "quit") == 0) {
        cmd->sim->quit = true;
    } else if (strcmp(c, "verbose") == 0) {
        uint64_t v;
        if (cmd->argc < 2 || sim_parse_uint(cmd, cmd->argv[1], 2, &v) < 0)
            return true;
        cmd->sim->opt.verbose = (uint32_t)v;
    } else if (strcmp(c, "help") == 0) {
        sim_event_t ev;
        sim_event_begin(&ev, "help");
        sim_event_str(&ev, "commands",
                      "register|deregister EP|all; update EP [lt=N] [objects] [b]; sleep EP; "
                      "wake EP [S]; set EP PATH VALUE; fill EP PATH BYTES; send EP FORMAT "
                      "PATH...; notify EP [PATH]; create|delete EP /O/I; dump EP [PATH]; "
                      "mute|garbage|rst|normal EP; delay EP MS; flood EP N; rename EP NAME; "
                      "list; stats; verbose 0|1|2; quit. EP: name, #index or all");
        sim_event_end(&ev);
    } else {
        return false;
    }
    cmd->done = 1;
    return true;
}

static void sim_cmd_devices(sim_cmd_t *cmd)
{
    sim_t *sim = cmd->sim;
    if (cmd->argc < 2) {
        sim_cmd_fail(cmd, "missing device (name, #index or all)");
        return;
    }
    const char *sel = cmd->argv[1];
    if (strcmp(sel, "all") == 0) {
        for (size_t i = 0; i < sim->count; i++) {
            if (sim_do_device(cmd, &sim->devices[i]) == 0)
                cmd->done++;
            sim_reschedule(&sim->devices[i]);
        }
        if (cmd->done)
            cmd->error[0] = '\0';
        return;
    }
    sim_device_t *dev = sim_find_device(sim, sel);
    if (!dev) {
        sim_cmd_fail(cmd, "no such device");
        return;
    }
    if (sim_do_device(cmd, dev) == 0)
        cmd->done = 1;
    sim_reschedule(dev);
}

static void sim_tokenize(sim_cmd_t *cmd, char *line)
{
    char *p = line;
    while (cmd->argc < SIM_MAX_ARGS) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p)
            break;
        cmd->rest[cmd->argc] = p;
        cmd->argv[cmd->argc++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            p++;
        if (*p)
            *p++ = '\0';
    }
}

void sim_control_line(sim_t *sim, char *line)
{
    /* Keep a copy: the rest of the line (a value with spaces) must survive tokenizing. */
    char copy[sizeof(sim->line) + 1];
    snprintf(copy, sizeof(copy), "%s", line);
    size_t len = strlen(copy);
    while (len && (copy[len - 1] == '\n' || copy[len - 1] == '\r'))
        copy[--len] = '\0';
    sim_cmd_t cmd = {.sim = sim};
    sim_tokenize(&cmd, line);
    if (cmd.argc == 0 || cmd.argv[0][0] == '#')
        return;
    for (size_t i = 0; i < cmd.argc; i++)
        cmd.rest[i] = copy + (cmd.rest[i] - line);
    if (!sim_do_global(&cmd))
        sim_cmd_devices(&cmd);
    sim_event_t ev;
    sim_event_begin(&ev, cmd.error[0] ? "cmd_error" : "cmd_ok");
    sim_event_str(&ev, "cmd", cmd.argv[0]);
    if (cmd.argc >= 2)
        sim_event_str(&ev, "target", cmd.argv[1]);
    if (cmd.error[0])
        sim_event_str(&ev, "error", cmd.error);
    else
        sim_event_uint(&ev, "devices", cmd.done);
    sim_event_end(&ev);
}
