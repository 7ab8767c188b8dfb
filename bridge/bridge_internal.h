/* bridge_internal.h - shared by bridge.c (up) and bridge_command.c (down). */
#ifndef BRIDGE_INTERNAL_H
#define BRIDGE_INTERNAL_H

#include <json-c/json.h>

#include "../lwm2m/server/hash.h"
#include "bridge/bridge.h"

#define BRIDGE_TOPIC_MAX 1024

/* A command waiting for its request's result. */
typedef struct bridge_pending {
    char id[128];
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    lwm2m_req_type_t type;
    char *reply_topic; /* NULL: {root}/{ep}/response */
    uint8_t *correlation;
    size_t correlation_len;
    bool from_rule; /* auto-observe: no response message, only an event on failure */
} bridge_pending_t;

struct bridge {
    bridge_config_t config; /* owned copies of the strings and rules */
    hash_table_t pending;   /* request id -> bridge_pending_t */
};

void bridge_pending_free(bridge_pending_t *p);

int bridge_out_add(bridge_out_t *out, const char *topic, const char *payload, size_t len, int qos,
                   bool retain, const uint8_t *correlation, size_t correlation_len);
/* Serialises j (and releases it) into a message. */
int bridge_out_json(bridge_out_t *out, const char *topic, json_object *j, int qos, bool retain,
                    const uint8_t *correlation, size_t correlation_len);
int bridge_device_topic(const bridge_t *b, const char *endpoint, const char *suffix, char *buf,
                        size_t size);
/* An event on {root}/{ep}/event; extra (may be NULL) is consumed. */
void bridge_event(bridge_t *b, const char *endpoint, const char *event, json_object *extra,
                  int64_t wall_ms, bridge_out_t *out);
void bridge_data(bridge_t *b, const lwm2m_registration_t *reg, const lwm2m_nodes_t *nodes,
                 const char *source, int64_t wall_ms, bridge_out_t *out);
/* Splits "{root}/{level}/{rest}": 1 with the endpoint level and the rest, 0 when not ours. */
/* Adds "ts" to the response object j (which it takes) and queues it on reply_topic, or
 * {root}/{ep}/response when that is NULL, with the MQTT 5 Correlation Data. */
void bridge_respond(bridge_t *b, const char *endpoint, const char *reply_topic,
                    const uint8_t *correlation, size_t correlation_len, json_object *j,
                    int64_t wall_ms, bridge_out_t *out);
int bridge_split_topic(const bridge_t *b, const char *topic, char *level, size_t level_size,
                       const char **rest);
/* The command for auto-observe rule number `index`. */
int bridge_rule_command(bridge_t *b, const char *endpoint, const bridge_rule_t *rule, size_t index,
                        bridge_command_t *cmd);

#endif
