/* config.h - the gateway's site configuration: loading a libconfig file into a plain struct,
 * validating it against the schema table, rendering the effective configuration and the schema.
 *
 * Only conf/ includes <libconfig.h>; everyone else sees these types. Loading has no side effects
 * (it reads files and stat()s paths, nothing else) and returns a self-contained struct, so a
 * SIGHUP reload can load into a scratch struct and swap it in only on success. Nothing here
 * logs: errors come back as messages that read "file:line: key: reason". */
#ifndef LMG_CONF_CONFIG_H
#define LMG_CONF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* Numerically equal to the syslog(3) priorities, so they can be passed on as they are. */
typedef enum lmg_conf_log_level {
    LMG_CONF_LOG_ERROR = 3,
    LMG_CONF_LOG_WARNING = 4,
    LMG_CONF_LOG_NOTICE = 5,
    LMG_CONF_LOG_INFO = 6,
    LMG_CONF_LOG_DEBUG = 7,
} lmg_conf_log_level_t;

typedef enum lmg_conf_log_target {
    LMG_CONF_LOG_STDERR = 0,
    LMG_CONF_LOG_SYSLOG = 1,
} lmg_conf_log_target_t;

/* CoAP Content-Format numbers, AUTO = let the gateway choose per device. */
typedef enum lmg_conf_format {
    LMG_CONF_FORMAT_AUTO = -1,
    LMG_CONF_FORMAT_TEXT = 0,
    LMG_CONF_FORMAT_SENML_JSON = 110,
    LMG_CONF_FORMAT_SENML_CBOR = 112,
    LMG_CONF_FORMAT_TLV = 11542,
    LMG_CONF_FORMAT_OMA_JSON = 11543,
    LMG_CONF_FORMAT_LWM2M_CBOR = 11544,
} lmg_conf_format_t;

/* The MQTT protocol level, as Paho's MQTTVERSION_3_1_1 / MQTTVERSION_5. */
typedef enum lmg_conf_mqtt_version {
    LMG_CONF_MQTT_3_1_1 = 4,
    LMG_CONF_MQTT_5 = 5,
} lmg_conf_mqtt_version_t;

typedef enum lmg_conf_payload_mode {
    LMG_CONF_PAYLOAD_JSON = 0, /* a JSON object with value, type, timestamp, name, unit */
    LMG_CONF_PAYLOAD_RAW = 1,  /* the bare value, for dashboards */
} lmg_conf_payload_mode_t;

typedef enum lmg_conf_subscription {
    LMG_CONF_SUBSCRIBE_WILDCARD = 0,   /* one subscription to {root}/+/command etc. */
    LMG_CONF_SUBSCRIBE_PER_DEVICE = 1, /* per served device, for multi-gateway sites */
} lmg_conf_subscription_t;

/* One listen address, already parsed: sa/sa_len are ready for bind(2). The default lists hold
 * both "0.0.0.0:port" and "[::]:port": bind the IPv6 one with IPV6_V6ONLY set, or they clash. */
typedef struct lmg_conf_listen {
    char text[64]; /* as configured, e.g. "[::]:5683" */
    struct sockaddr_storage sa;
    socklen_t sa_len;
    int family; /* AF_INET or AF_INET6 */
    uint16_t port;
} lmg_conf_listen_t;

typedef struct lmg_conf_listen_list {
    lmg_conf_listen_t *items;
    size_t count;
} lmg_conf_listen_list_t;

/* An auto-observe rule: observe path on every device whose endpoint matches the glob. Rules that
 * share a non-empty composite name are observed together with one Observe-Composite. */
typedef struct lmg_conf_observe {
    char *path;       /* "/3303/0/5700" as written */
    uint16_t ids[4];  /* the parsed path, valid up to depth */
    uint8_t depth;    /* 1 object .. 4 resource instance */
    char *attributes; /* "" or "pmin=10&pmax=60" (already checked) */
    char *endpoint;   /* fnmatch(3) pattern, "*" for all devices */
    char *composite;  /* "" or the composite group's name */
} lmg_conf_observe_t;

/* A per-endpoint bootstrap configuration (lwm2m.bootstrap.accounts); unset values (0, "")
 * fall back to the lwm2m.bootstrap group's. */
typedef struct lmg_conf_bs_account {
    char *endpoints;  /* comma-separated globs */
    char *server_uri; /* "" = lwm2m.bootstrap.server_uri */
    int lifetime;     /* 0 = lwm2m.bootstrap.lifetime */
    int short_server_id;
    char *binding; /* "" = lwm2m.bootstrap.binding */
} lmg_conf_bs_account_t;

/*
 * The effective configuration. Every string is owned by the struct and never NULL ("" when
 * unset); derived defaults (mqtt.client_id, the binding's broker and client id) are already
 * resolved; relative paths are already made absolute against the main config file's directory.
 * The key list with types, bounds and defaults is lmg_conf_schema_markdown()'s output.
 */
typedef struct lmg_conf {
    struct {
        char *id;
        char *state_dir;
        lmg_conf_log_level_t log_level;
        lmg_conf_log_target_t log_target;
        char *objects_dir;  /* "" = built-in objects only */
        int stats_interval; /* seconds, 0 = off */
    } gateway;
    struct {
        lmg_conf_listen_list_t listen;  /* plain CoAP/UDP; may be empty */
        int lifetime_min, lifetime_max; /* seconds */
        int request_timeout;            /* seconds */
        int max_devices;
        int max_payload; /* bytes */
        lmg_conf_format_t preferred_format;
        struct {
            int max_per_device; /* 0 = no queueing */
            int ttl;            /* seconds */
            int awake_time;     /* seconds a queue-mode device stays reachable */
        } queue;
        /* Comma-separated endpoint globs that may register without DTLS ("" = none). An
         * endpoint with a PSK or RPK credential never may. */
        char *nosec;
        struct {
            bool enabled;
            lmg_conf_listen_list_t listen;
            /* Credential files ("" = unset). Keys live only in these files: the config holds
             * paths, so dumping it shows no secret. */
            char *psk_file;             /* lines "endpoint identity key" */
            char *rpk_file;             /* lines "endpoint public-key" */
            char *ca_file;              /* X.509 trust anchors for device certificates */
            char *cert_file, *key_file; /* the server's certificate and key (key_file alone: RPK) */
        } dtls;
        /* Bootstrap-Server interface (POST /bs): endpoints matching `endpoints` get a
         * generated PSK for the account at server_uri, kept in state_dir/bootstrap-psk. */
        struct {
            bool enabled;
            char *endpoints;  /* comma-separated globs */
            char *server_uri; /* "coaps://host:port" written to /0/x/0 */
            char *psk_file;   /* bootstrap accounts, lines "endpoint identity key" */
            int lifetime;     /* seconds, written to /1/x/1 */
            int short_server_id;
            char *binding; /* "U", "UQ", ... */
            lmg_conf_bs_account_t *accounts;
            size_t account_count;
        } bootstrap;
        struct {
            bool enabled;
            char *broker;    /* resolved: mqtt.uri when not configured */
            char *prefix;    /* "" = topics start at "lwm2m/" */
            char *client_id; /* resolved: mqtt.client_id + "-binding" when not configured */
        } mqtt_binding;
    } lwm2m;
    struct {
        char *uri;
        bool uri_tls;    /* derived: the uri's scheme is ssl, mqtts or wss */
        char *client_id; /* resolved: "lwm2m-gw-" + gateway.id when not configured */
        char *username;
        char *password; /* secret: never printed by lmg_conf_dump */
        lmg_conf_mqtt_version_t version;
        int keepalive; /* seconds */
        bool clean_start;
        struct {
            char *ca_file; /* "" = the system trust store */
            char *cert_file;
            char *key_file;
            bool verify_hostname;
        } tls;
        int reconnect_min, reconnect_max; /* seconds */
        struct {
            int max_messages;
            int64_t max_bytes;
            bool persist;
        } buffer;
    } mqtt;
    struct {
        char *root;
        struct {
            int data, state, event, response;
        } qos;
        struct {
            bool data, state;
        } retain;
        lmg_conf_payload_mode_t payload_mode;
        lmg_conf_subscription_t subscription;
        int command_max_payload; /* bytes */
        int default_timeout;     /* seconds */
        int default_ttl;         /* seconds */
    } bridge;
    struct {
        char *package_dir;    /* "" = state_dir/firmware */
        int max_package_size; /* bytes */
        int max_transfers;
        int timeout; /* seconds */
        int retries;
        char *pull_uri; /* "" = no pull */
    } firmware;
    lmg_conf_observe_t *observe;
    size_t observe_count;
} lmg_conf_t;

/* Messages from a load, each "file:line: key: reason" without a trailing newline. */
typedef struct lmg_conf_messages {
    char **items;
    size_t count;
} lmg_conf_messages_t;

/* At most this many messages are kept; the last one then says how many more there were. */
#define LMG_CONF_MAX_MESSAGES 50

/*
 * Loads and validates the configuration file at path (and the files it @includes, relative to
 * its directory). On success returns 0 and stores a new struct in *ret_conf (free it with
 * lmg_conf_free). On failure *ret_conf is untouched and returns:
 *   -EINVAL  the file has errors; all of them are appended to msgs,
 *   -errno   the file itself cannot be read (msgs gets "path: cannot read: <strerror>"),
 *   -ENOMEM.
 * msgs may be NULL; otherwise the caller frees it with lmg_conf_messages_free, also on success.
 */
int lmg_conf_load(const char *path, lmg_conf_t **ret_conf, lmg_conf_messages_t *msgs);

/* As lmg_conf_load, from text in memory. name stands for the file name in messages; @include
 * and relative paths resolve against include_dir (NULL = the working directory). */
int lmg_conf_load_string(const char *text, const char *name, const char *include_dir,
                         lmg_conf_t **ret_conf, lmg_conf_messages_t *msgs);

/* A configuration with every default applied, as an empty file gives. NULL on ENOMEM. */
lmg_conf_t *lmg_conf_new_default(void);

void lmg_conf_free(lmg_conf_t *conf); /* accepts NULL */

/* Frees the messages and leaves msgs empty (reusable). Accepts NULL. */
void lmg_conf_messages_free(lmg_conf_messages_t *msgs);

/* Writes the effective configuration in libconfig syntax (for --check-config -v), secrets
 * masked. Returns 0 or -EIO. */
int lmg_conf_dump(const lmg_conf_t *conf, FILE *out);

/* Writes the schema as a Markdown table: key, type, default, bounds, description (README). */
int lmg_conf_schema_markdown(FILE *out);

#endif
