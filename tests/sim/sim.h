/* sim.h - the LwM2M device simulator: many simulated devices in one process, each with its own
 * UDP socket, driven by one epoll loop. Shared types and the functions modules call across. */
#ifndef SIM_H
#define SIM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "coap_msg.h"
#include "lwm2m/buf.h"
#include "lwm2m/model.h"
#include "lwm2m/path.h"
#include "lwm2m/value.h"
#include "store.h"

/* Bounds on what one device holds (a peer cannot make it allocate more). */
#define SIM_EP_MAX 96
#define SIM_LOCATION_MAX 128
#define SIM_MAX_EXCHANGES 16    /* outgoing requests/notifications in flight or waiting */
#define SIM_DEDUP_SLOTS 8       /* remembered answers to CON requests */
#define SIM_MAX_OBSERVATIONS 32 /* per device */
#define SIM_MAX_ATTR_ENTRIES 64 /* paths with Write-Attributes per device */
#define SIM_MAX_COMPOSITE 32    /* paths in one composite request */
#define SIM_MAX_STORED 32       /* notifications stored per observation while asleep */
#define SIM_MAX_FORMATS 12
#define SIM_DATAGRAM_MAX 65536

typedef struct sim sim_t;
typedef struct sim_device sim_device_t;

typedef struct sim_addr {
    struct sockaddr_storage ss;
    socklen_t len;
} sim_addr_t;

typedef enum sim_fault {
    SIM_FAULT_NONE = 0,
    SIM_FAULT_MUTE,    /* requests are dropped: never answers */
    SIM_FAULT_GARBAGE, /* requests are answered with malformed datagrams */
    SIM_FAULT_RST,     /* requests are answered with RST */
} sim_fault_t;

typedef enum sim_reg_state {
    SIM_REG_IDLE = 0,
    SIM_REG_REGISTERING,
    SIM_REG_REGISTERED,
    SIM_REG_DEREGISTERING,
} sim_reg_state_t;

typedef enum sim_action {
    SIM_ACTION_NONE = 0,
    SIM_ACTION_REBOOT,
    SIM_ACTION_FACTORY_RESET,
    SIM_ACTION_DISABLE,
    SIM_ACTION_FW_UPDATE,
    SIM_ACTION_UPDATE, /* Registration Update Trigger */
} sim_action_t;

typedef enum sim_exchange_kind {
    SIM_EX_REGISTER = 0,
    SIM_EX_UPDATE,
    SIM_EX_DEREGISTER,
    SIM_EX_SEND,
    SIM_EX_NOTIFY,
    SIM_EX_SEPARATE, /* a separate (delayed) CON response */
    SIM_EX_FLOOD,    /* one of a burst of Register requests */
    SIM_EX_DOWNLOAD, /* a Block2 GET of a firmware package (pull) */
} sim_exchange_kind_t;

/* One outgoing message that expects an ACK and/or a response. */
typedef struct sim_exchange {
    bool in_use;
    bool sent;    /* false: waiting for its turn (one client request at a time) */
    bool con;     /* retransmitted until ACKed */
    bool acked;   /* empty ACK seen: waiting for a separate response */
    bool request; /* a response is expected */
    sim_exchange_kind_t kind;
    uint64_t order; /* FIFO order of waiting client requests */
    uint16_t mid;
    uint8_t token[SIM_TOKEN_MAX];
    uint8_t token_len;
    sim_addr_t peer;
    lwm2m_buf_t bytes;
    unsigned retransmits;
    int64_t interval_ms;
    int64_t deadline; /* next retransmission, or when to give up waiting */
    uint32_t obs_id;  /* SIM_EX_NOTIFY */
    uint16_t format;  /* SIM_EX_SEND: content format */
} sim_exchange_t;

/* Write-Attributes / observe attributes. */
enum {
    SIM_ATTR_PMIN = 1u << 0,
    SIM_ATTR_PMAX = 1u << 1,
    SIM_ATTR_GT = 1u << 2,
    SIM_ATTR_LT = 1u << 3,
    SIM_ATTR_ST = 1u << 4,
    SIM_ATTR_EPMIN = 1u << 5,
    SIM_ATTR_EPMAX = 1u << 6,
    SIM_ATTR_EDGE = 1u << 7,
    SIM_ATTR_CON = 1u << 8,
    SIM_ATTR_HQMAX = 1u << 9,
};

typedef struct sim_attrs {
    uint16_t set; /* SIM_ATTR_* bits present */
    uint32_t pmin, pmax, epmin, epmax, hqmax;
    double gt, lt, st;
    bool edge, con;
} sim_attrs_t;

typedef struct sim_attr_entry {
    lwm2m_path_t path;
    sim_attrs_t attrs;
} sim_attr_entry_t;

typedef struct sim_stored_notify {
    uint8_t *body;
    size_t len;
} sim_stored_notify_t;

typedef struct sim_observation {
    bool in_use;
    bool composite;
    uint32_t id;
    uint8_t token[SIM_TOKEN_MAX];
    uint8_t token_len;
    sim_addr_t peer;
    lwm2m_path_t *paths; /* owned; one path unless composite */
    size_t path_count;
    uint16_t format;
    uint64_t block2_key; /* for a large notification's Block2 follow-up requests */
    sim_attrs_t query;   /* attributes given with the Observe request (1.2) */
    uint32_t seq;
    int64_t last_notify_ms;
    int64_t last_eval_ms;
    int64_t pending_at; /* a notification is due then (pmin/epmin hold it back); 0 none */
    bool dirty;         /* a value under the path changed since the last evaluation */
    bool has_last;
    double last_num;
    bool last_bool;
    uint16_t last_mid; /* of the last notification, to match an RST */
    sim_stored_notify_t *stored;
    size_t stored_count;
} sim_observation_t;

/* A request body being received block by block (Block1). */
typedef struct sim_block1 {
    bool active;
    uint64_t key; /* method, URI, query, content format */
    lwm2m_buf_t data;
    int64_t expires;
} sim_block1_t;

/* The last large representation served block by block (Block2). */
typedef struct sim_block2 {
    bool active;
    uint64_t key;
    lwm2m_buf_t body;
    uint16_t format;
    uint32_t etag;
    int64_t expires;
} sim_block2_t;

typedef struct sim_dedup {
    bool used;
    uint16_t mid;
    sim_addr_t peer;
    lwm2m_buf_t answer;
    int64_t expires;
} sim_dedup_t;

typedef struct sim_delayed {
    bool used;
    int64_t at;
    sim_addr_t peer;
    lwm2m_buf_t bytes; /* the response; type and message id are set when sent */
} sim_delayed_t;

struct sim_device {
    sim_t *sim;
    unsigned index;
    char ep[SIM_EP_MAX];
    int fd;
    sim_addr_t local;

    /* Registration. */
    sim_reg_state_t reg;
    char location[SIM_LOCATION_MAX];
    uint32_t lifetime;
    int64_t update_at; /* next automatic Update; 0 none */
    int64_t retry_at;  /* next Register attempt after a failure; 0 none */
    int64_t reboot_at; /* re-register after Reboot/Disable; 0 none */
    int64_t action_at; /* a deferred Execute effect (sim_action_t), so the answer goes first */
    int action;
    bool update_lt;      /* send lt= with the next Update */
    bool update_binding; /* send b= */
    bool update_objects; /* send the object list */
    bool flush_after_update;

    /* Queue mode. */
    bool queue;
    bool asleep;
    int64_t sleep_at; /* when an awake queue-mode device goes to sleep; 0 never */
    uint32_t awake_ms;

    sim_fault_t fault;
    uint32_t delay_ms; /* answer with separate responses after this long */

    uint16_t next_mid;
    uint32_t next_token;
    sim_exchange_t *exchanges; /* SIM_MAX_EXCHANGES, allocated on first use */
    sim_dedup_t dedup[SIM_DEDUP_SLOTS];
    size_t dedup_next;
    sim_delayed_t delayed[4];

    sim_store_t store;
    int64_t time_offset;     /* /3/0/13 = now + offset */
    sim_attr_entry_t *attrs; /* SIM_MAX_ATTR_ENTRIES, allocated on first use */
    size_t attr_count;
    sim_observation_t *obs; /* SIM_MAX_OBSERVATIONS, allocated on first use */
    uint32_t next_obs_id;
    sim_block1_t block1;
    sim_block2_t block2;
    int64_t drift_at;

    /* Firmware (firmware.c): a pull download in progress, the next Update's failure. */
    struct {
        bool active;
        sim_addr_t peer;
        char path[256]; /* Uri-Path of the package, "/fw/abc" */
        lwm2m_buf_t data;
        uint8_t szx;
        unsigned tries;   /* failed attempts at the current block */
        int64_t retry_at; /* ask for the block again then; 0 none */
        uint64_t blocks;  /* blocks received */
    } fw;
    int fw_fail_result;  /* fwfail: the next Execute Update ends with this Update Result; 0 none */
    uint32_t drop_next;  /* `drop`: datagrams still to lose on receipt */
    uint32_t drop_after; /* ... after letting this many more through */

    /* Scheduling: the earliest of the deadlines above, and the heap slot. */
    int64_t deadline;
    size_t heap_pos;

    /* Counters. */
    uint64_t rx, tx, requests, notifications, retransmissions, timeouts, dropped;
};

typedef struct sim_options {
    sim_addr_t server;
    char server_text[128];
    uint32_t count;
    const char *prefix;
    uint32_t lifetime;
    bool queue;
    uint8_t version_minor; /* 0, 1 or 2: LwM2M 1.x */
    uint16_t formats[SIM_MAX_FORMATS];
    size_t format_count;
    char bind[64];
    bool no_register;
    uint32_t awake_s;
    uint32_t ack_timeout_ms;
    uint8_t max_szx; /* largest block size the devices use */
    uint32_t max_body;
    uint32_t drift_s;
    uint32_t register_rate; /* Register requests per second at start; 0 = all at once */
    uint32_t retry_s;
    bool keep_running;
    uint32_t verbose;
    bool notify_con;
    bool shared_socket; /* one IP_PKTINFO socket, a 127.x.y.z address per device */
} sim_options_t;

struct sim {
    sim_options_t opt;
    lwm2m_model_t *model;
    sim_device_t *devices;
    size_t count;
    int epfd;
    sim_device_t **heap;
    size_t heap_len;
    bool quit;
    int64_t start_ms;
    size_t next_auto_register; /* devices not yet started under --register-rate */
    int shared_fd;             /* --shared-socket: the one socket, else -1 */
    uint32_t shared_base;      /* host-order address of device 0 */
    uint16_t shared_port;      /* network order */
    char line[4096];
    size_t line_len;
};

/* options.c: the command line. Returns 0, or -1 after printing why. */
int sim_options_parse(sim_options_t *opt, int argc, char **argv);
/* Resolves host and port (numeric or names) for the family (AF_UNSPEC: any). */
int sim_resolve(const char *host, const char *port, int family, sim_addr_t *ret);

/* main.c */
int64_t sim_now_ms(void);
/* Recomputes the device's deadline and repositions it in the timer heap, and releases idle
 * memory. Call at the top level (no exchange pointer held) after anything that may change one
 * of the device's timers. */
void sim_reschedule(sim_device_t *dev);
sim_device_t *sim_find_device(sim_t *sim, const char *name);

/* transport.c */
int sim_transport_open(sim_device_t *dev);
void sim_transport_close(sim_device_t *dev);
void sim_transport_readable(sim_device_t *dev, int64_t now);
/* Handles one received datagram for the device. */
void sim_transport_datagram(sim_device_t *dev, const sim_addr_t *peer, const uint8_t *data,
                            size_t len);
void sim_transport_tick(sim_device_t *dev, int64_t now);
int64_t sim_transport_deadline(const sim_device_t *dev);
int sim_transport_send(sim_device_t *dev, const sim_addr_t *peer, const uint8_t *data, size_t len);
uint16_t sim_transport_mid(sim_device_t *dev);
void sim_transport_token(sim_device_t *dev, uint8_t token[4]);
/* Queues an outgoing message built by b (mid and token are filled in here unless the builder
 * has a token already). Client requests (Register, Update, De-register, Send) go one at a
 * time. Returns the exchange, or NULL when the device has too many in flight. */
sim_exchange_t *sim_transport_request(sim_device_t *dev, sim_exchange_kind_t kind,
                                      const sim_addr_t *peer, sim_builder_t *b,
                                      const uint8_t *payload, size_t len);
/* Forgets every exchange of these kinds (no events). */
void sim_transport_abandon(sim_device_t *dev, bool client_requests, bool notifications);
bool sim_transport_busy(const sim_device_t *dev);
/* Frees the exchange table when nothing is in flight. Only where no exchange pointer is held. */
void sim_transport_compact(sim_device_t *dev);
void sim_transport_free(sim_device_t *dev);

/* ops.c: answers one request (already de-duplicated, block-reassembled). */
typedef struct sim_reply {
    uint8_t code;
    bool has_format;
    uint16_t format;
    lwm2m_buf_t body;
    bool has_observe;
    uint32_t observe;
    char location[LWM2M_PATH_STR_MAX];
    bool has_block1; /* echo of the request's Block1 */
    uint32_t block1;
    bool has_size1;
    uint32_t size1;
    uint64_t block2_key; /* identifies the representation for Block2 follow-ups; 0 none */
} sim_reply_t;

void sim_reply_init(sim_reply_t *reply);
void sim_reply_free(sim_reply_t *reply);
void sim_ops_handle(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg,
                    const uint8_t *payload, size_t payload_len, sim_reply_t *reply);
/* Reads `paths` and encodes them in `format` (base: paths[0] unless composite). Returns 0 or a
 * negated CoAP code. */
int sim_ops_encode(sim_device_t *dev, const lwm2m_path_t *paths, size_t count, bool composite,
                   uint16_t format, bool timestamps, lwm2m_buf_t *out);
/* The format a device answers in when the request has no Accept option. */
uint16_t sim_ops_default_format(const sim_device_t *dev, const lwm2m_path_t *path);
bool sim_ops_format_supported(const sim_t *sim, uint16_t format);
void sim_ops_refresh_dynamic(sim_device_t *dev);

/* block.c */
/* Feeds a request through Block1 reassembly. Returns 1 when the body is complete (*ret_body,
 * *ret_len: the whole body, valid until the device's next Block1 request; reply->has_block1 set
 * when it came in blocks), 0 when a 2.31 or error answer has been put in reply. */
int sim_block1_feed(sim_device_t *dev, const sim_msg_t *msg, sim_reply_t *reply,
                    const uint8_t **ret_body, size_t *ret_len);
/* A Block2 request for a later block of the cached representation: fills reply with the whole
 * cached body and returns true. */
bool sim_block2_cached(sim_device_t *dev, const sim_msg_t *msg, uint64_t key, sim_reply_t *reply);
/* Adds Block2/Size2/ETag options to b when the body is larger than one block or `want` (the
 * request's Block2, may be NULL) asks for blocks, caches the body under reply->block2_key for
 * the following blocks, and returns the slice to send (or changes reply->code to 4.02 for a
 * block past the end). */
void sim_block2_slice(sim_device_t *dev, const sim_block_t *want, sim_reply_t *reply,
                      sim_builder_t *b, const uint8_t **ret_data, size_t *ret_len);
/* Identifies a request's representation: method, Uri-Path, Uri-Query, Accept and body. */
uint64_t sim_block_key(const sim_msg_t *msg, const uint8_t *payload, size_t payload_len);
void sim_block_expire(sim_device_t *dev, int64_t now);
int64_t sim_block_deadline(const sim_device_t *dev);
void sim_block_free(sim_device_t *dev);

/* attrs.c */
/* Parses Uri-Query attributes into `attrs` (set bits), `unset` gets the names given without a
 * value. Returns 0 or -400. Unknown query names are refused unless allow_other. */
int sim_attrs_parse(const sim_msg_t *msg, bool allow_other, sim_attrs_t *attrs, uint16_t *unset);
int sim_attrs_write(sim_device_t *dev, const lwm2m_path_t *path, const sim_msg_t *msg);
/* Attributes in effect for a path: server defaults, then object, instance, resource and
 * resource-instance level, then `query` on top. */
sim_attrs_t sim_attrs_effective(const sim_device_t *dev, const lwm2m_path_t *path,
                                const sim_attrs_t *query);
const sim_attrs_t *sim_attrs_at(const sim_device_t *dev, const lwm2m_path_t *path);
/* Appends ";pmin=10;..." for link-format. */
void sim_attrs_format(const sim_attrs_t *attrs, lwm2m_buf_t *out);
void sim_attrs_free(sim_device_t *dev);

/* observe.c */
/* Starts (Observe=0) or cancels (Observe=1) an observation for a GET/FETCH that has already
 * been answered successfully in reply. */
void sim_observe_request(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg,
                         const lwm2m_path_t *paths, size_t count, bool composite, uint16_t format,
                         sim_reply_t *reply);
void sim_observe_changed(sim_device_t *dev, const lwm2m_path_t *path);
/* Forces a notification for observations on path (NULL: all) now. Returns how many. */
size_t sim_observe_force(sim_device_t *dev, const lwm2m_path_t *path);
void sim_observe_tick(sim_device_t *dev, int64_t now);
int64_t sim_observe_deadline(const sim_device_t *dev);
void sim_observe_on_rst(sim_device_t *dev, uint16_t mid);
void sim_observe_on_ack(sim_device_t *dev, const sim_exchange_t *ex, bool rst, bool timeout);
void sim_observe_removed(sim_device_t *dev, const lwm2m_path_t *path);
void sim_observe_flush_stored(sim_device_t *dev);
/* Ends every observation with a cancel event; reason NULL: silently, and frees the table. */
void sim_observe_cancel_all(sim_device_t *dev, const char *reason);
size_t sim_observe_count(const sim_device_t *dev);

/* client.c */
void sim_client_init_device(sim_device_t *dev);
int sim_client_register(sim_device_t *dev);
int sim_client_update(sim_device_t *dev);
int sim_client_deregister(sim_device_t *dev);
int sim_client_send(sim_device_t *dev, uint16_t format, const lwm2m_path_t *paths, size_t count);
int sim_client_flood(sim_device_t *dev, unsigned count);
void sim_client_sleep(sim_device_t *dev);
void sim_client_wake(sim_device_t *dev, uint32_t awake_s);
/* A message went out or came in: a queue-mode device stays awake awake_ms longer. */
void sim_client_activity(sim_device_t *dev, int64_t now);
void sim_client_on_response(sim_device_t *dev, sim_exchange_t *ex, const sim_msg_t *msg);
void sim_client_on_failure(sim_device_t *dev, sim_exchange_t *ex, const char *why);
void sim_client_tick(sim_device_t *dev, int64_t now);
int64_t sim_client_deadline(const sim_device_t *dev);
/* After a successful write or create/delete: side effects (lifetime, binding, firmware). */
void sim_client_after_write(sim_device_t *dev, const lwm2m_path_t *path);
/* Execute side effects; returns the CoAP code to answer with. */
uint8_t sim_client_execute(sim_device_t *dev, const lwm2m_path_t *path, const char *args,
                           size_t args_len);
void sim_client_objects_changed(sim_device_t *dev);
/* Carries out a deferred Execute effect (dev->action) now. */
void sim_client_run_action(sim_device_t *dev);
/* objects.c: the default objects and their behaviour. */
/* Fills the object store with the default objects. */
int sim_objects_init(sim_device_t *dev);
/* Default values for an instance the server creates. */
void sim_objects_instance_defaults(sim_device_t *dev, uint16_t obj, uint16_t inst);

/* firmware.c */
/* /5/0/1 was written: download from uri (empty: cancel). */
void sim_fw_pull(sim_device_t *dev, const char *uri, size_t len);
/* The package arrived (push or pull): State 2 and a firmware_received event with its SHA-256. */
void sim_fw_received(sim_device_t *dev, const char *method, const uint8_t *data, size_t len);
void sim_fw_on_response(sim_device_t *dev, const sim_msg_t *msg);
void sim_fw_on_failure(sim_device_t *dev, const char *why);
/* Asks for the next block again after a wake-up or a retry delay. */
void sim_fw_resume(sim_device_t *dev);
void sim_fw_tick(sim_device_t *dev, int64_t now);
int64_t sim_fw_deadline(const sim_device_t *dev);
void sim_fw_free(sim_device_t *dev);
/* objects.c: State and Update Result, with a firmware event. */
void sim_firmware_state(sim_device_t *dev, int64_t state, int64_t result);

/* shared_socket.c */
int sim_shared_open(sim_t *sim, const sim_addr_t *base);
void sim_shared_local(const sim_t *sim, unsigned index, sim_addr_t *ret);
ssize_t sim_shared_send(const sim_device_t *dev, const sim_addr_t *peer, const uint8_t *data,
                        size_t len);
void sim_shared_readable(sim_t *sim);

/* control.c */
void sim_control_line(sim_t *sim, char *line);

/* Shared event helpers (control.c). */
struct sim_event;
void sim_event_device(struct sim_event *ev, const char *name, const sim_device_t *dev);
void sim_emit_error(const sim_device_t *dev, const char *what, const char *detail);

/* sha256 over data as 64 hex digits + NUL. */
void sim_sha256_hex(const uint8_t *data, size_t len, char out[65]);

#endif
