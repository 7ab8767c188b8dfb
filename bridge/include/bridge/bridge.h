/* bridge.h - the pure mapping between LwM2M and MQTT: server events become MQTT messages
 * (retained state, data, events, command responses, gateway status); MQTT commands become
 * server requests. No sockets, no MQTT library: the gateway publishes what the bridge returns
 * and submits the requests it parses. The topic and payload contract is the product's public
 * API and is documented in the README. */
#ifndef BRIDGE_BRIDGE_H
#define BRIDGE_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/model.h"
#include "lwm2m/server.h"

/* An auto-observe rule: observe `paths` (one path, or several for a composite observation)
 * with `attributes` on every device whose endpoint matches the glob `endpoint`, at every
 * registration. */
typedef struct bridge_rule {
    const char *endpoint; /* glob, "*" for all */
    const char *const *paths;
    size_t path_count;
    const char *attributes; /* "pmin=10&pmax=60" or NULL */
    bool composite;
} bridge_rule_t;

typedef struct bridge_config {
    const char *root;       /* topic root, default "lwm2m" */
    const char *gateway_id; /* names this gateway in status topics and device state */
    const char *version;    /* gateway version for the status payload */
    int qos_data, qos_state, qos_event, qos_response;
    bool retain_data, retain_state;
    bool raw_values;            /* data payload is the bare value instead of a JSON object */
    size_t command_max_payload; /* bytes; larger commands get an error response */
    uint32_t default_timeout_ms, default_ttl_ms;
    const lwm2m_model_t *model; /* names and units for data payloads; may be NULL */
    const bridge_rule_t *rules;
    size_t rule_count;
} bridge_config_t;

/* One MQTT message to publish. All fields owned by the bridge_out_t that holds it. */
typedef struct bridge_msg {
    char *topic;
    uint8_t *payload;
    size_t len;
    int qos;
    bool retain;
    uint8_t *correlation; /* MQTT 5 Correlation Data for a response, or NULL */
    size_t correlation_len;
} bridge_msg_t;

typedef struct bridge_out {
    bridge_msg_t *items;
    size_t count, capacity;
} bridge_out_t;

void bridge_out_clear(bridge_out_t *out); /* frees the messages; reusable afterwards */

typedef struct bridge bridge_t;

bridge_t *bridge_new(const bridge_config_t *config); /* copies the config; NULL on ENOMEM */
void bridge_free(bridge_t *bridge);                  /* NULL ok */
/* Applies a reloaded config (topic options, QoS, rules); pending commands are kept. */
int bridge_reconfigure(bridge_t *bridge, const bridge_config_t *config);

/* The topic filters for commands: for every device ("{root}/+/command", ...) when endpoint
 * is NULL, or for one device (per-device subscription mode). */
size_t bridge_command_filters(const bridge_t *bridge, const char *endpoint, char filters[][256],
                              size_t max);

/* ---- up: server events ---- */
void bridge_registered(bridge_t *b, const lwm2m_registration_t *reg, bool replaced, int64_t wall_ms,
                       bridge_out_t *out);
void bridge_updated(bridge_t *b, const lwm2m_registration_t *reg, int64_t wall_ms,
                    bridge_out_t *out);
void bridge_deregistered(bridge_t *b, const lwm2m_registration_t *reg, lwm2m_dereg_reason_t why,
                         int64_t wall_ms, bridge_out_t *out);
void bridge_awake_changed(bridge_t *b, const lwm2m_registration_t *reg, int64_t wall_ms,
                          bridge_out_t *out);
void bridge_notify(bridge_t *b, const lwm2m_registration_t *reg, uint64_t request_id,
                   const lwm2m_nodes_t *nodes, int64_t wall_ms, bridge_out_t *out);
void bridge_send(bridge_t *b, const lwm2m_registration_t *reg, const lwm2m_nodes_t *nodes,
                 int64_t wall_ms, bridge_out_t *out);
void bridge_observe_ended(bridge_t *b, const lwm2m_registration_t *reg, uint64_t request_id,
                          int code, int64_t wall_ms, bridge_out_t *out);
/* A request ended: the response to the command that caused it (if any), plus data topics
 * for read and observe results. */
void bridge_result(bridge_t *b, const lwm2m_registration_t *reg, const lwm2m_result_t *result,
                   int64_t wall_ms, bridge_out_t *out);
/* The request is held for a sleeping device: the command is answered "queued". */
void bridge_queued(bridge_t *b, const lwm2m_registration_t *reg, uint64_t request_id,
                   int64_t wall_ms, bridge_out_t *out);

/* A device was refused for security reasons (wrong credential for the endpoint, NoSec not
 * allowed): an event "security" on {root}/{endpoint}/event with the credential kind ("psk",
 * "rpk", "x509", "none"), the identity it proved (never a key) and the reason. */
void bridge_security_event(bridge_t *b, const char *endpoint, const char *credential,
                           const char *identity, const char *reason, int64_t wall_ms,
                           bridge_out_t *out);

typedef struct bridge_stats {
    uint64_t devices, uplinks, notifications, commands, command_errors, published;
    uint64_t buffered, dropped; /* MQTT offline buffer */
    int64_t uptime_s;
} bridge_stats_t;

/* Retained gateway status (also the Last Will, with online=false and no stats). */
void bridge_gateway_status(bridge_t *b, bool online, const bridge_stats_t *stats, int64_t wall_ms,
                           bridge_out_t *out);
/* Topic of the gateway status, for the Last Will. */
int bridge_status_topic(const bridge_t *b, char *buf, size_t size);

/* ---- down: commands ---- */
typedef struct bridge_command {
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    char id[128];
    lwm2m_request_t request; /* points into the storage below */
    /* Where the answer goes: {root}/{ep}/response, or the MQTT 5 Response Topic. */
    char *reply_topic;
    uint8_t *correlation;
    size_t correlation_len;
    char *json;    /* the command as JSON (for persisting queued commands) */
    void *storage; /* owned: paths, nodes, strings the request points to */
} bridge_command_t;

void bridge_command_clear(bridge_command_t *cmd); /* frees what it owns; NULL ok */

/* Parses a command from `topic` ({root}/{ep}/command, .../set/o/i/r, .../execute/o/i/r).
 * Returns 1 and fills cmd when it is a command for a device, 0 when the topic isn't ours, or a
 * negative code when malformed: then the error response is in `out` and cmd is empty. */
int bridge_parse_command(bridge_t *b, const char *topic, const uint8_t *payload, size_t len,
                         const char *response_topic, const uint8_t *correlation,
                         size_t correlation_len, bridge_command_t *cmd, bridge_out_t *out,
                         int64_t wall_ms);
/* The server accepted the command's request: remember it for the response. */
void bridge_command_submitted(bridge_t *b, const bridge_command_t *cmd, uint64_t request_id);
/* The server refused it (code -404 unknown endpoint, -400 bad request, -503 queue full):
 * the error response goes to `out`. */
void bridge_command_rejected(bridge_t *b, const bridge_command_t *cmd, int code, const char *reason,
                             int64_t wall_ms, bridge_out_t *out);

/* Auto-observe rules (from the config) that apply to this device: one command per rule,
 * written into cmds (each must be cleared). Returns how many. */
size_t bridge_auto_observe(bridge_t *b, const lwm2m_registration_t *reg, bridge_command_t *cmds,
                           size_t max);

/* Escapes an endpoint name into one topic level: '+', '#', '/', '$', '%' and control bytes as
 * %XX. Returns the length or -413. */
int bridge_escape_endpoint(const char *endpoint, char *buf, size_t size);
int bridge_unescape_endpoint(const char *level, char *buf, size_t size);

#endif
