/* server.h - the LwM2M server: registrations, device management requests, observations,
 * Send, queue mode. Pure: no sockets, no clocks, no logging. Transports (CoAP over UDP/DTLS, the
 * LwM2M 1.2 MQTT binding) feed it uplink messages and carry its downlink messages; the
 * application gets events through callbacks and asks for requests by endpoint name. Nothing
 * above this API knows which transport a device uses. */
#ifndef LWM2M_SERVER_H
#define LWM2M_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/codec.h"
#include "lwm2m/link.h"
#include "lwm2m/path.h"
#include "lwm2m/query.h"
#include "lwm2m/value.h"

#define LWM2M_LOCATION_MAX 96
#define LWM2M_ADDRESS_MAX 64
#define LWM2M_TOKEN_MAX 8

/* Device management and information reporting requests the server sends. */
typedef enum lwm2m_req_type {
    LWM2M_REQ_READ = 1,
    LWM2M_REQ_DISCOVER,
    LWM2M_REQ_WRITE_REPLACE, /* PUT */
    LWM2M_REQ_WRITE_PARTIAL, /* POST */
    LWM2M_REQ_WRITE_ATTRIBUTES,
    LWM2M_REQ_EXECUTE,
    LWM2M_REQ_CREATE,
    LWM2M_REQ_DELETE,
    LWM2M_REQ_READ_COMPOSITE,
    LWM2M_REQ_WRITE_COMPOSITE,
    LWM2M_REQ_OBSERVE,
    LWM2M_REQ_CANCEL_OBSERVE,
    LWM2M_REQ_OBSERVE_COMPOSITE,
    LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE,
} lwm2m_req_type_t;

const char *lwm2m_req_type_name(lwm2m_req_type_t type); /* "read", "write-attributes", ... */
/* Accepts the names above plus "write" (= replace). Returns 0 when unknown. */
lwm2m_req_type_t lwm2m_req_type_from_name(const char *name);

/* Where a device is reached: which transport, and the transport's own address key. */
typedef struct lwm2m_peer {
    const struct lwm2m_transport *transport;
    char address[LWM2M_ADDRESS_MAX]; /* transport-specific, e.g. "127.0.0.1:40123", "[::1]:5683" */
    uint64_t handle;                 /* transport-private (e.g. a DTLS session id); 0 if unused */
} lwm2m_peer_t;

typedef struct lwm2m_registration {
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    char location[LWM2M_LOCATION_MAX]; /* unguessable, e.g. "rd/3f9a1c0b7d2e" */
    lwm2m_version_t version;
    char binding[8];       /* "U", "UQ" (1.0 style), "M", ... */
    bool queue_mode;       /* Q */
    char sms[32];          /* MSISDN, "" when none */
    uint32_t lifetime;     /* seconds */
    char root_path[32];    /* alternate path from rt="oma.lwm2m", "" for "/" */
    lwm2m_links_t objects; /* the registered object links, alternate path removed */
    uint16_t formats[8];   /* content formats from ct=, in the device's order */
    size_t format_count;
    lwm2m_peer_t peer;
    int64_t registered_at_ms, updated_at_ms, expires_at_ms;
    bool awake; /* queue mode: reachable now */
    /* LwM2M gateway end devices (objects 25/26): the gateway endpoint and the prefix. */
    char gateway[LWM2M_ENDPOINT_MAX + 1];
    char prefix[LWM2M_PREFIX_MAX];
} lwm2m_registration_t;

/* A request from the application. The server copies what it needs before returning. */
typedef struct lwm2m_request {
    lwm2m_req_type_t type;
    lwm2m_path_t path;         /* target; root for composite operations */
    const lwm2m_path_t *paths; /* composite read/observe: the path list */
    size_t path_count;
    const lwm2m_node_t *nodes; /* write / create / write-composite values */
    size_t node_count;
    const char *attributes; /* write-attributes (and 1.2 observe) query: "pmin=10&pmax=60" */
    const char *arguments;  /* execute arguments ("0='1.2',2"), NULL when none */
    int depth;              /* discover depth 0..3, -1 when absent */
    uint16_t format;        /* content format to use when has_format (text/plain is 0) */
    bool has_format;        /* false: pick from what the device advertised */
    uint32_t timeout_ms;    /* 0 = the server's default */
    uint32_t ttl_ms;        /* how long it may wait for a sleeping device; 0 = default */
} lwm2m_request_t;

/* How a request ended. Every request ends in exactly one result. */
typedef enum lwm2m_result_status {
    LWM2M_RESULT_RESPONSE = 1, /* the device answered; see code */
    LWM2M_RESULT_TIMEOUT,      /* no answer within the timeout */
    LWM2M_RESULT_RESET,        /* the device answered with a reset */
    LWM2M_RESULT_CANCELLED,    /* the device de-registered or was replaced, or the server stopped */
    LWM2M_RESULT_EXPIRED,      /* its ttl passed while the device slept */
    LWM2M_RESULT_FAILED,       /* could not be sent (encoding, transport error) */
} lwm2m_result_status_t;

const char *lwm2m_result_status_name(lwm2m_result_status_t status);

typedef struct lwm2m_result {
    uint64_t request_id;
    lwm2m_req_type_t type;
    lwm2m_result_status_t status;
    int code;                   /* CoAP code as class*100+detail (205), 0 when no response */
    uint16_t content_format;    /* of the answer's payload */
    const lwm2m_nodes_t *nodes; /* decoded content (read, observe, composite), may be NULL */
    const lwm2m_links_t *links; /* discover */
    const char *location;       /* create: the new instance's path ("/3303/1"), or NULL */
    const char *error;          /* human-readable detail for failures, or NULL */
} lwm2m_result_t;

typedef enum lwm2m_dereg_reason {
    LWM2M_DEREG_REQUESTED = 1, /* the device de-registered */
    LWM2M_DEREG_EXPIRED,       /* its lifetime passed */
    LWM2M_DEREG_REPLACED,      /* a new Register of the same endpoint replaced it */
    LWM2M_DEREG_REMOVED,       /* removed by the application (end device gone from /25) */
} lwm2m_dereg_reason_t;

const char *lwm2m_dereg_reason_name(lwm2m_dereg_reason_t reason);

/* Events. Pointers are valid only during the call. Callbacks may call back into the server
 * (e.g. send requests from `registered`). Any callback may be NULL. */
typedef struct lwm2m_server_events {
    void (*registered)(void *ctx, const lwm2m_registration_t *reg, bool replaced);
    void (*updated)(void *ctx, const lwm2m_registration_t *reg, bool objects_changed);
    void (*deregistered)(void *ctx, const lwm2m_registration_t *reg, lwm2m_dereg_reason_t why);
    void (*awake_changed)(void *ctx, const lwm2m_registration_t *reg); /* queue mode */
    void (*result)(void *ctx, const lwm2m_registration_t *reg, const lwm2m_result_t *result);
    /* A notification for an observation (request_id of the observe that created it). */
    void (*notify)(void *ctx, const lwm2m_registration_t *reg, uint64_t request_id,
                   const lwm2m_nodes_t *nodes);
    /* The observation ended without a cancel from us (device reset / error code). */
    void (*observe_ended)(void *ctx, const lwm2m_registration_t *reg, uint64_t request_id,
                          int code);
    void (*send)(void *ctx, const lwm2m_registration_t *reg, const lwm2m_nodes_t *nodes);
    /* A request was held because the device sleeps (queue mode). */
    void (*queued)(void *ctx, const lwm2m_registration_t *reg, uint64_t request_id);
} lwm2m_server_events_t;

typedef struct lwm2m_server_config {
    uint32_t lifetime_min, lifetime_max; /* seconds; out of range -> 4.00 */
    uint32_t request_timeout_ms;         /* default 30000 */
    uint32_t queue_ttl_ms;               /* default 3600000 */
    size_t queue_max_per_device;         /* default 32 */
    bool queue_disabled;                 /* requests for a sleeping device fail at once */
    uint32_t awake_window_ms;            /* queue mode: awake after an uplink, default 93000 */
    size_t max_devices;                  /* registrations beyond it get 5.03, default 100000 */
    size_t max_payload;                  /* bytes, default 1 MiB */
    size_t max_observations_per_device;  /* default 64 */
    const lwm2m_model_t *model;          /* for types when decoding; may be NULL */
    uint16_t preferred_format;           /* 0 = best the device advertised */
} lwm2m_server_config_t;

/* An uplink message from a device, already in LwM2M terms. */
typedef enum lwm2m_uplink_type {
    LWM2M_UP_REGISTER = 1,
    LWM2M_UP_UPDATE,
    LWM2M_UP_DEREGISTER,
    LWM2M_UP_SEND,
} lwm2m_uplink_type_t;

typedef struct lwm2m_uplink {
    lwm2m_uplink_type_t type;
    const char *location; /* update/de-register: the path after /rd/, e.g. "3f9a1c0b7d2e" */
    const char *query;    /* "ep=node&lt=300&lwm2m=1.1&b=U&Q", percent-decoded pairs joined by & */
    uint16_t content_format;
    bool has_content_format;
    const uint8_t *payload;
    size_t payload_len;
    const char *endpoint; /* the MQTT binding names the endpoint in its topic; NULL for CoAP */
} lwm2m_uplink_t;

typedef struct lwm2m_uplink_reply {
    int code;                          /* 201, 204, 202, 400, 403, 404, 412, 500, 503 */
    char location[LWM2M_LOCATION_MAX]; /* register: "rd/..." for the Location-Path option */
    char error[128];                   /* diagnostic for the log / diagnostic payload */
} lwm2m_uplink_reply_t;

/* A downlink message for a transport to carry: CoAP method and options in LwM2M terms. */
typedef struct lwm2m_downlink {
    lwm2m_req_type_t type;
    uint8_t token[LWM2M_TOKEN_MAX];
    size_t token_len;
    char uri[LWM2M_PATH_STR_MAX + 32]; /* root path + LwM2M path, e.g. "/3/0/1" or "/d01/3/0" */
    const char *query;                 /* "pmin=10&pmax=60", "depth=1", NULL */
    uint16_t content_format;           /* of payload, when has_payload */
    bool has_payload;
    uint16_t accept; /* 0 = none */
    const uint8_t *payload;
    size_t payload_len;
    int observe; /* -1 none, 0 register, 1 deregister */
    bool confirmable;
} lwm2m_downlink_t;

/* A transport: the server calls send() for every downlink message; the transport reports the
 * outcome with lwm2m_server_response() (answers and notifications, matched by token) or
 * lwm2m_server_transport_error(). */
typedef struct lwm2m_transport {
    const char *name; /* "coap", "coaps", "mqtt" */
    int (*send)(void *ctx, const lwm2m_peer_t *peer, const lwm2m_downlink_t *msg);
    /* Forget a token (observation cancelled locally); may be NULL. */
    void (*forget)(void *ctx, const lwm2m_peer_t *peer, const uint8_t *token, size_t token_len);
    void *ctx;
} lwm2m_transport_t;

typedef struct lwm2m_server lwm2m_server_t;

/* `random` fills a buffer with unpredictable bytes (locations, tokens); the core has no RNG. */
typedef void (*lwm2m_random_fn)(void *ctx, uint8_t *buf, size_t len);

lwm2m_server_t *lwm2m_server_new(const lwm2m_server_config_t *config,
                                 const lwm2m_server_events_t *events, void *events_ctx,
                                 lwm2m_random_fn random, void *random_ctx);
/* Cancels every outstanding request (each gets its CANCELLED result) and frees. NULL ok. */
void lwm2m_server_free(lwm2m_server_t *server);

/* Handles an uplink; fills reply. Events fire from inside. */
void lwm2m_server_uplink(lwm2m_server_t *server, const lwm2m_peer_t *peer,
                         const lwm2m_uplink_t *msg, int64_t now_ms, lwm2m_uplink_reply_t *reply);
/* A response, or a notification (observe_seq >= 0), from a device. */
typedef struct lwm2m_response {
    const uint8_t *token;
    size_t token_len;
    int code;           /* class*100+detail */
    int content_format; /* -1 when absent */
    const uint8_t *payload;
    size_t payload_len;
    int64_t observe_seq;  /* -1 when absent */
    const char *location; /* Location-Path of a 2.01 to Create ("3303/1"), or NULL */
} lwm2m_response_t;

/* Matches a response or notification to the request / observation with its token. Returns 0
 * when the token is known, -404 when not (the transport should answer a notification with
 * RST). */
int lwm2m_server_response(lwm2m_server_t *server, const lwm2m_peer_t *peer,
                          const lwm2m_response_t *response, int64_t now_ms);
/* The transport could not deliver (timeout, reset, send error) the message with that token. */
void lwm2m_server_transport_error(lwm2m_server_t *server, const lwm2m_peer_t *peer,
                                  const uint8_t *token, size_t token_len,
                                  lwm2m_result_status_t status, int64_t now_ms);
/* Any traffic from the peer (keeps queue-mode devices awake). */
void lwm2m_server_peer_seen(lwm2m_server_t *server, const lwm2m_peer_t *peer, int64_t now_ms);

/* Sends (or queues) a request. Returns 0 and the request id, -404 for an unknown endpoint,
 * -400 for a malformed request (detail in err), -503 when the device's queue is full. */
int lwm2m_server_request(lwm2m_server_t *server, const char *endpoint,
                         const lwm2m_request_t *request, int64_t now_ms, uint64_t *ret_id,
                         lwm2m_error_t *err);
/* Cancels an outstanding or queued request: its result is CANCELLED. -404 if unknown. */
int lwm2m_server_cancel(lwm2m_server_t *server, uint64_t request_id, int64_t now_ms);

/* Timers: expiry, timeouts, queue ttl, awake windows. Returns the next deadline (ms) or
 * INT64_MAX. Cost is O(expired items), not O(devices). */
int64_t lwm2m_server_tick(lwm2m_server_t *server, int64_t now_ms);

const lwm2m_registration_t *lwm2m_server_find(const lwm2m_server_t *server, const char *endpoint);
const lwm2m_registration_t *lwm2m_server_find_by_location(const lwm2m_server_t *server,
                                                          const char *location);
size_t lwm2m_server_count(const lwm2m_server_t *server);
/* Whether the device has an established (or pending) observation of exactly this path (the
 * first path of a composite observation). */
bool lwm2m_server_observing(const lwm2m_server_t *server, const char *endpoint,
                            const lwm2m_path_t *path);

/* Restores a registration persisted before a restart (location, lifetime, objects, peer...).
 * Its requests and observations are not restored: the application re-issues them. */
int lwm2m_server_restore(lwm2m_server_t *server, const lwm2m_registration_t *reg, int64_t now_ms);
/* Removes a registration (end device gone): deregistered(REMOVED) fires. */
int lwm2m_server_remove(lwm2m_server_t *server, const char *endpoint, int64_t now_ms);

#endif
