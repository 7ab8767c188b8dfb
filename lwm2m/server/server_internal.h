/* server_internal.h - the LwM2M server's private state, shared by server.c (registrations,
 * uplinks, timers) and server_requests.c (requests, responses, observations). */
#ifndef LWM2M_SERVER_INTERNAL_H
#define LWM2M_SERVER_INTERNAL_H

#include "hash.h"
#include "lwm2m/server.h"
#include "timers.h"

enum timer_kind {
    TIMER_EXPIRY = 1, /* registration lifetime; id = registration id */
    TIMER_AWAKE,      /* queue mode awake window; id = registration id */
    TIMER_REQUEST,    /* request timeout; id = request id */
    TIMER_TTL,        /* queued request ttl; id = request id */
};

typedef enum req_state {
    REQ_QUEUED = 1, /* waiting for the device (queue mode) or for the one in flight */
    REQ_SENT,
} req_state_t;

typedef struct srv_request srv_request_t;
typedef struct srv_observation srv_observation_t;

typedef struct srv_reg {
    lwm2m_registration_t pub;
    uint64_t id;
    uint32_t generation; /* bumped on every lifetime / awake change (stale timers) */
    char address_key[LWM2M_ADDRESS_MAX + 16];
    srv_request_t *queue_head, *queue_tail; /* not yet sent, FIFO */
    size_t queue_len;
    srv_request_t *sent; /* in flight, linked through next */
    size_t in_flight;
    srv_observation_t *observations;
    size_t observation_count;
    int64_t awake_until;
    bool closing; /* being removed: nothing more is sent */
} srv_reg_t;

struct srv_request {
    uint64_t id;
    uint64_t reg_id;
    srv_request_t *next; /* queue or sent-list link */
    req_state_t state;
    lwm2m_req_type_t type;
    lwm2m_path_t path;
    lwm2m_path_t *paths; /* composite */
    size_t path_count;
    lwm2m_nodes_t nodes; /* values to write, kept to re-encode on a format fallback */
    char *query;         /* attributes / depth */
    char *arguments;     /* execute */
    uint16_t format;     /* content format of payload / accept */
    bool format_forced;  /* the application chose it: no fallback */
    bool internal;       /* the server's own (the /25 read): no result event */
    uint16_t tried[8];   /* formats already refused by the device */
    size_t tried_count;
    uint64_t token;
    uint64_t observation_token; /* cancel-observe: the observation it cancels */
    uint32_t timeout_ms;
    int64_t deadline; /* while sent */
    int64_t ttl_deadline;
};

struct srv_observation {
    srv_observation_t *next;
    uint64_t request_id; /* the observe request that created it */
    uint64_t reg_id;
    uint64_t token;
    lwm2m_req_type_t type; /* OBSERVE or OBSERVE_COMPOSITE */
    lwm2m_path_t path;
    lwm2m_path_t *paths;
    size_t path_count;
    uint16_t format;
    bool cancelling;
};

struct lwm2m_server {
    lwm2m_server_config_t config;
    lwm2m_server_events_t events;
    void *events_ctx;
    lwm2m_random_fn random;
    void *random_ctx;
    hash_table_t by_endpoint, by_location, by_address, by_id;
    hash_table_t requests;     /* id -> srv_request_t */
    hash_table_t tokens;       /* token -> srv_request_t (in flight) */
    hash_table_t observations; /* token -> srv_observation_t */
    timer_heap_t timers;
    uint64_t next_reg_id, next_request_id;
};

/* server.c */
void srv_reg_destroy(lwm2m_server_t *s, srv_reg_t *reg); /* unlinks and frees, no event */
srv_reg_t *srv_reg_by_id(const lwm2m_server_t *s, uint64_t id);
void srv_mark_awake(lwm2m_server_t *s, srv_reg_t *reg, int64_t now_ms);
bool srv_reachable(const srv_reg_t *reg, int64_t now_ms);

/* server_requests.c */
uint64_t srv_new_token(lwm2m_server_t *s);
/* Sends what may be sent now for this device (queue mode: one at a time while awake). */
void srv_flush_queue(lwm2m_server_t *s, srv_reg_t *reg, int64_t now_ms);
/* Ends every request of the device with `status` (queued ones too unless keep_queued) and
 * drops its observations. */
void srv_cancel_all(lwm2m_server_t *s, srv_reg_t *reg, lwm2m_result_status_t status,
                    bool keep_queued, int64_t now_ms);
void srv_request_timer(lwm2m_server_t *s, const timer_entry_t *t, int64_t now_ms);
void srv_request_free(srv_request_t *req);
void srv_observation_free(srv_observation_t *obs);
/* A request of the server's own for a device (no result event). */
int srv_request_internal(lwm2m_server_t *s, srv_reg_t *reg, const lwm2m_request_t *r,
                         int64_t now_ms, uint64_t *ret_id);

/* server_gateway.c: LwM2M Gateway end devices (objects 25/26). */
bool srv_has_gateway_object(const srv_reg_t *reg);
void srv_read_gateway_object(lwm2m_server_t *s, srv_reg_t *reg, int64_t now_ms);
void srv_gateway_read_done(lwm2m_server_t *s, srv_reg_t *gw, const lwm2m_nodes_t *nodes,
                           int64_t now_ms);
void srv_remove_all_end_devices(lwm2m_server_t *s, const srv_reg_t *gateway, int64_t now_ms);
srv_reg_t *srv_end_device_by_prefix(lwm2m_server_t *s, const srv_reg_t *gw, const char *prefix);

/* The codec-side format preference for a device. */
uint16_t srv_pick_format(const lwm2m_server_t *s, const srv_reg_t *reg, lwm2m_req_type_t type,
                         const uint16_t *exclude, size_t exclude_count);

#endif
