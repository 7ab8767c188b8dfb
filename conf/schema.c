/* schema.c - the configuration schema: one table of keys (type, bounds, default, description)
 * from which validation, defaults, the effective-config dump and the documentation come. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf_internal.h"

_Static_assert(sizeof(lmg_conf_log_level_t) == sizeof(int), "enum fields are written as int");
_Static_assert(sizeof(lmg_conf_log_target_t) == sizeof(int), "enum fields are written as int");
_Static_assert(sizeof(lmg_conf_format_t) == sizeof(int), "enum fields are written as int");
_Static_assert(sizeof(lmg_conf_mqtt_version_t) == sizeof(int), "enum fields are written as int");
_Static_assert(sizeof(lmg_conf_payload_mode_t) == sizeof(int), "enum fields are written as int");
_Static_assert(sizeof(lmg_conf_subscription_t) == sizeof(int), "enum fields are written as int");

static const conf_enum_t log_levels[] = {
    {"error", LMG_CONF_LOG_ERROR},   {"warning", LMG_CONF_LOG_WARNING},
    {"notice", LMG_CONF_LOG_NOTICE}, {"info", LMG_CONF_LOG_INFO},
    {"debug", LMG_CONF_LOG_DEBUG},   {NULL, 0},
};
static const conf_enum_t log_targets[] = {
    {"stderr", LMG_CONF_LOG_STDERR}, {"syslog", LMG_CONF_LOG_SYSLOG}, {NULL, 0}};
static const conf_enum_t formats[] = {
    {"auto", LMG_CONF_FORMAT_AUTO},
    {"senml-cbor", LMG_CONF_FORMAT_SENML_CBOR},
    {"senml-json", LMG_CONF_FORMAT_SENML_JSON},
    {"lwm2m-cbor", LMG_CONF_FORMAT_LWM2M_CBOR},
    {"tlv", LMG_CONF_FORMAT_TLV},
    {"oma-json", LMG_CONF_FORMAT_OMA_JSON},
    {"text", LMG_CONF_FORMAT_TEXT},
    {NULL, 0},
};
static const conf_enum_t mqtt_versions[] = {
    {"3.1.1", LMG_CONF_MQTT_3_1_1}, {"5", LMG_CONF_MQTT_5}, {NULL, 0}};
static const conf_enum_t payload_modes[] = {
    {"json", LMG_CONF_PAYLOAD_JSON}, {"raw", LMG_CONF_PAYLOAD_RAW}, {NULL, 0}};
static const conf_enum_t subscriptions[] = {
    {"wildcard", LMG_CONF_SUBSCRIBE_WILDCARD},
    {"per-device", LMG_CONF_SUBSCRIBE_PER_DEVICE},
    {NULL, 0},
};

#define OFF(member) offsetof(lmg_conf_t, member)
#define ROFF(member) offsetof(lmg_conf_observe_t, member)
#define BOFF(member) offsetof(lmg_conf_bs_account_t, member)

const conf_list_t conf_lists[CONF_LIST_COUNT] = {
    [CONF_LIST_OBSERVE - 1] = {"observe[]", sizeof(lmg_conf_observe_t), OFF(observe),
                               OFF(observe_count)},
    [CONF_LIST_BOOTSTRAP - 1] = {"lwm2m.bootstrap.accounts[]", sizeof(lmg_conf_bs_account_t),
                                 OFF(lwm2m.bootstrap.accounts), OFF(lwm2m.bootstrap.account_count)},
};
#define GROUP(k, d)                                                                                \
    {                                                                                              \
        .key = k, .type = CONF_GROUP, .doc = d                                                     \
    }
#define INT(k, m, lo, hi, dv, d)                                                                   \
    {                                                                                              \
        .key = k, .type = CONF_INT, .min = lo, .max = hi, .def = dv, .offset = OFF(m), .doc = d    \
    }
#define INT64(k, m, lo, hi, dv, d)                                                                 \
    {                                                                                              \
        .key = k, .type = CONF_INT64, .min = lo, .max = hi, .def = dv, .offset = OFF(m), .doc = d  \
    }
#define BOOL(k, m, dv, d)                                                                          \
    {                                                                                              \
        .key = k, .type = CONF_BOOL, .def = dv, .offset = OFF(m), .doc = d                         \
    }
#define STR(k, m, lo, hi, dv, fl, chk, d)                                                          \
    {                                                                                              \
        .key = k, .type = CONF_STRING, .min = lo, .max = hi, .def = dv, .offset = OFF(m),          \
        .flags = fl, .check = chk, .doc = d                                                        \
    }
#define RSTR(k, m, lo, hi, dv, fl, chk, d)                                                         \
    {                                                                                              \
        .key = k, .type = CONF_STRING, .min = lo, .max = hi, .def = dv, .offset = ROFF(m),         \
        .flags = fl, .check = chk, .doc = d, .list = CONF_LIST_OBSERVE                             \
    }
#define BSTR(k, m, lo, hi, dv, fl, chk, d)                                                         \
    {                                                                                              \
        .key = k, .type = CONF_STRING, .min = lo, .max = hi, .def = dv, .offset = BOFF(m),         \
        .flags = fl, .check = chk, .doc = d, .list = CONF_LIST_BOOTSTRAP                           \
    }
#define BINT(k, m, lo, hi, dv, d)                                                                  \
    {                                                                                              \
        .key = k, .type = CONF_INT, .min = lo, .max = hi, .def = dv, .offset = BOFF(m), .doc = d,  \
        .list = CONF_LIST_BOOTSTRAP                                                                \
    }
#define ENUM(k, m, n, dv, d)                                                                       \
    {                                                                                              \
        .key = k, .type = CONF_ENUM, .names = n, .def = dv, .offset = OFF(m), .doc = d             \
    }
#define LISTEN(k, m, dv, d)                                                                        \
    {                                                                                              \
        .key = k, .type = CONF_LISTEN, .min = 0, .max = 16, .def = dv, .offset = OFF(m), .doc = d  \
    }

#define PATH_MAX_LEN 4095
#define STR_MAX_LEN 1024

/* Order matters: a group's entry comes before its members (the dump walks the table). */
const conf_key_t conf_schema[] = {
    GROUP("gateway", "This gateway."),
    STR("gateway.id", gateway.id, 1, 64, "gw-1", 0, conf_check_id,
        "Gateway name, used in MQTT topics and the default client id: [A-Za-z0-9_-]."),
    STR("gateway.state_dir", gateway.state_dir, 1, PATH_MAX_LEN, "/var/lib/lwm2m-mqtt-gateway",
        CONF_F_PATH, NULL, "Where registrations, queued commands and the MQTT buffer persist."),
    ENUM("gateway.log_level", gateway.log_level, log_levels, "info", "Least severe level logged."),
    ENUM("gateway.log_target", gateway.log_target, log_targets, "stderr",
         "stderr (the journal under systemd) or syslog."),
    STR("gateway.objects_dir", gateway.objects_dir, 0, PATH_MAX_LEN, "", CONF_F_PATH,
        conf_check_dir, "Directory of extra OMA DDF XML object definitions; \"\" = none."),
    INT("gateway.stats_interval", gateway.stats_interval, 0, 86400, "60",
        "Seconds between statistics on the gateway status topic; 0 = off."),

    GROUP("lwm2m", "The LwM2M server toward the devices."),
    LISTEN("lwm2m.listen", lwm2m.listen, "0.0.0.0:5683, [::]:5683",
           "CoAP/UDP listen addresses, \"address:port\", IPv6 in brackets; [] = none."),
    INT("lwm2m.lifetime_min", lwm2m.lifetime_min, 1, 86400, "30",
        "Shortest registration lifetime accepted, seconds (a shorter one gets 4.00)."),
    INT("lwm2m.lifetime_max", lwm2m.lifetime_max, 1, 315360000, "31536000",
        "Longest registration lifetime accepted, seconds (a longer one gets 4.00)."),
    INT("lwm2m.request_timeout", lwm2m.request_timeout, 1, 3600, "30",
        "Seconds to wait for a device's answer to a request."),
    INT("lwm2m.max_devices", lwm2m.max_devices, 1, 1000000, "100000",
        "Registrations accepted at once; more are refused."),
    INT("lwm2m.max_payload", lwm2m.max_payload, 1024, 67108864, "1048576",
        "Largest payload accepted from or sent to a device, bytes (block-wise included)."),
    ENUM("lwm2m.preferred_format", lwm2m.preferred_format, formats, "auto",
         "Content format for requests; auto = the best the device supports."),
    GROUP("lwm2m.queue", "Commands for sleeping (queue mode) or offline devices."),
    INT("lwm2m.queue.max_per_device", lwm2m.queue.max_per_device, 0, 4096, "32",
        "Queued commands per device; 0 = no queueing."),
    INT("lwm2m.queue.ttl", lwm2m.queue.ttl, 1, 2592000, "3600",
        "Longest time a queued command waits, seconds."),
    INT("lwm2m.queue.awake_time", lwm2m.queue.awake_time, 1, 86400, "93",
        "Seconds a queue-mode device stays reachable after it last sent something."),
    STR("lwm2m.nosec", lwm2m.nosec, 0, STR_MAX_LEN, "*", 0, conf_check_glob,
        "Endpoints (comma-separated globs) that may register without DTLS; \"\" = none. "
        "Narrow it in production; an endpoint with a PSK or RPK credential never may."),
    GROUP("lwm2m.dtls", "CoAP over DTLS: PSK, raw public keys (RPK) or X.509."),
    BOOL("lwm2m.dtls.enabled", lwm2m.dtls.enabled, "false", "Listen for DTLS."),
    LISTEN("lwm2m.dtls.listen", lwm2m.dtls.listen, "0.0.0.0:5684, [::]:5684",
           "DTLS listen addresses, \"address:port\", IPv6 in brackets."),
    STR("lwm2m.dtls.psk_file", lwm2m.dtls.psk_file, 0, PATH_MAX_LEN, "", CONF_F_PATH,
        conf_check_file,
        "PSK credentials, lines \"endpoint identity key\" (key hex or base64:...); reread on "
        "SIGHUP; \"\" = none."),
    STR("lwm2m.dtls.rpk_file", lwm2m.dtls.rpk_file, 0, PATH_MAX_LEN, "", CONF_F_PATH,
        conf_check_file,
        "Raw public keys, lines \"endpoint key\" (PEM body, hex DER, or a key file name with a "
        "dot); needs key_file; reread on SIGHUP; \"\" = none."),
    STR("lwm2m.dtls.ca_file", lwm2m.dtls.ca_file, 0, PATH_MAX_LEN, "", CONF_F_PATH, conf_check_file,
        "X.509: CA certificates (PEM) device certificates must chain to."),
    STR("lwm2m.dtls.cert_file", lwm2m.dtls.cert_file, 0, PATH_MAX_LEN, "", CONF_F_PATH,
        conf_check_file, "X.509: the server certificate (PEM); needs ca_file and key_file."),
    STR("lwm2m.dtls.key_file", lwm2m.dtls.key_file, 0, PATH_MAX_LEN, "", CONF_F_PATH,
        conf_check_file, "The server private key (PEM): for cert_file, or the server's RPK."),
    GROUP("lwm2m.bootstrap",
          "Bootstrap-Server interface (POST /bs) on the CoAP listeners: provisions a generated "
          "PSK for this gateway's DTLS listener."),
    BOOL("lwm2m.bootstrap.enabled", lwm2m.bootstrap.enabled, "false",
         "Answer Bootstrap-Requests; needs lwm2m.dtls.enabled."),
    STR("lwm2m.bootstrap.endpoints", lwm2m.bootstrap.endpoints, 0, STR_MAX_LEN, "", 0,
        conf_check_glob,
        "Endpoints (comma-separated globs) that may bootstrap; others get 4.03; \"\" = none."),
    STR("lwm2m.bootstrap.server_uri", lwm2m.bootstrap.server_uri, 0, 255, "coaps://127.0.0.1:5684",
        0, conf_check_printable,
        "LwM2M Server URI given to the device (coaps://, this gateway's DTLS address)."),
    STR("lwm2m.bootstrap.psk_file", lwm2m.bootstrap.psk_file, 0, PATH_MAX_LEN, "", CONF_F_PATH,
        conf_check_file,
        "Bootstrap accounts: PSK lines \"endpoint identity key\" as in lwm2m.dtls.psk_file, good "
        "for a Bootstrap-Request over DTLS only; reread on SIGHUP; \"\" = none."),
    INT("lwm2m.bootstrap.lifetime", lwm2m.bootstrap.lifetime, 1, 315360000, "300",
        "Registration lifetime given to the device, seconds."),
    INT("lwm2m.bootstrap.short_server_id", lwm2m.bootstrap.short_server_id, 1, 65534, "1",
        "Short Server ID of the provisioned account."),
    STR("lwm2m.bootstrap.binding", lwm2m.bootstrap.binding, 1, 4, "U", 0, conf_check_binding,
        "Binding written to the Server instance (/1/x/7): U, UQ, ..."),
    {.key = "lwm2m.bootstrap.accounts",
     .type = CONF_RULES,
     .holds = CONF_LIST_BOOTSTRAP,
     .min = 0,
     .max = 256,
     .doc = "Per-endpoint bootstrap configurations, the first whose endpoints match wins: "
            "( { endpoints = \"meter-*\"; lifetime = 86400; }, ... ); unset values come from "
            "lwm2m.bootstrap."},
    BSTR("lwm2m.bootstrap.accounts[].endpoints", endpoints, 1, STR_MAX_LEN, NULL, CONF_F_REQUIRED,
         conf_check_glob,
         "Endpoints (comma-separated globs) this configuration is for; they may bootstrap."),
    BSTR("lwm2m.bootstrap.accounts[].server_uri", server_uri, 0, 255, "", 0, conf_check_printable,
         "LwM2M Server URI (coaps://); \"\" = lwm2m.bootstrap.server_uri."),
    BINT("lwm2m.bootstrap.accounts[].lifetime", lifetime, 0, 315360000, "0",
         "Registration lifetime, seconds; 0 = lwm2m.bootstrap.lifetime."),
    BINT("lwm2m.bootstrap.accounts[].short_server_id", short_server_id, 0, 65534, "0",
         "Short Server ID; 0 = lwm2m.bootstrap.short_server_id."),
    BSTR("lwm2m.bootstrap.accounts[].binding", binding, 0, 4, "", 0, conf_check_binding,
         "Binding (/1/x/7); \"\" = lwm2m.bootstrap.binding."),
    GROUP("lwm2m.mqtt_binding", "The LwM2M 1.2 MQTT transport binding."),
    BOOL("lwm2m.mqtt_binding.enabled", lwm2m.mqtt_binding.enabled, "false",
         "Serve devices over the MQTT binding."),
    STR("lwm2m.mqtt_binding.broker", lwm2m.mqtt_binding.broker, 0, STR_MAX_LEN, "", 0,
        conf_check_uri, "Broker the devices use; \"\" = mqtt.uri."),
    STR("lwm2m.mqtt_binding.prefix", lwm2m.mqtt_binding.prefix, 0, 128, "", 0,
        conf_check_topic_prefix, "Topic prefix before \"lwm2m/rd/...\"; \"\" = none."),
    STR("lwm2m.mqtt_binding.client_id", lwm2m.mqtt_binding.client_id, 0, 256, "", 0,
        conf_check_printable, "Client id on that broker; \"\" = mqtt.client_id + \"-binding\"."),

    GROUP("mqtt", "The connection to the cloud broker."),
    STR("mqtt.uri", mqtt.uri, 1, STR_MAX_LEN, "tcp://127.0.0.1:1883", 0, conf_check_uri,
        "Broker URI: tcp:// or mqtt://, ssl:// or mqtts:// (TLS), ws://, wss://."),
    STR("mqtt.client_id", mqtt.client_id, 0, 256, "", 0, conf_check_printable,
        "MQTT client id; \"\" = \"lwm2m-gw-\" + gateway.id."),
    STR("mqtt.username", mqtt.username, 0, STR_MAX_LEN, "", 0, conf_check_printable,
        "User name; \"\" = none."),
    STR("mqtt.password", mqtt.password, 0, STR_MAX_LEN, "", CONF_F_SECRET, NULL,
        "Password; \"\" = none. Never printed."),
    ENUM("mqtt.version", mqtt.version, mqtt_versions, "5", "MQTT protocol version."),
    INT("mqtt.keepalive", mqtt.keepalive, 5, 3600, "30", "Keep-alive interval, seconds."),
    BOOL("mqtt.clean_start", mqtt.clean_start, "false",
         "Start a new session on connect (false keeps commands sent while offline)."),
    GROUP("mqtt.tls", "TLS settings, used when mqtt.uri is ssl://, mqtts:// or wss://."),
    STR("mqtt.tls.ca_file", mqtt.tls.ca_file, 0, PATH_MAX_LEN, "", CONF_F_PATH, conf_check_file,
        "CA certificates (PEM) to verify the broker; \"\" = system store."),
    STR("mqtt.tls.cert_file", mqtt.tls.cert_file, 0, PATH_MAX_LEN, "", CONF_F_PATH, conf_check_file,
        "Client certificate (PEM); needs key_file."),
    STR("mqtt.tls.key_file", mqtt.tls.key_file, 0, PATH_MAX_LEN, "", CONF_F_PATH, conf_check_file,
        "Client private key (PEM); needs cert_file."),
    BOOL("mqtt.tls.verify_hostname", mqtt.tls.verify_hostname, "true",
         "Check the broker certificate's name against the URI host."),
    INT("mqtt.reconnect_min", mqtt.reconnect_min, 1, 3600, "1",
        "First reconnect delay, seconds; doubles up to reconnect_max."),
    INT("mqtt.reconnect_max", mqtt.reconnect_max, 1, 86400, "60",
        "Longest reconnect delay, seconds; >= reconnect_min."),
    GROUP("mqtt.buffer", "Messages held while the broker is unreachable."),
    INT("mqtt.buffer.max_messages", mqtt.buffer.max_messages, 0, 10000000, "100000",
        "Messages held; the oldest are dropped beyond; 0 = no buffering."),
    INT64("mqtt.buffer.max_bytes", mqtt.buffer.max_bytes, 0, 17179869184LL, "67108864",
          "Bytes held; the oldest are dropped beyond."),
    BOOL("mqtt.buffer.persist", mqtt.buffer.persist, "true",
         "Keep the buffer in state_dir across restarts."),

    GROUP("bridge", "LwM2M <-> MQTT mapping (topics and payloads)."),
    STR("bridge.root", bridge.root, 1, 128, "lwm2m", 0, conf_check_topic_root,
        "Topic root: {root}/{endpoint}/...; no wildcards, '$' or leading/trailing '/'."),
    GROUP("bridge.qos", "QoS per message kind."),
    INT("bridge.qos.data", bridge.qos.data, 0, 2, "1", "QoS of data messages."),
    INT("bridge.qos.state", bridge.qos.state, 0, 2, "1", "QoS of state messages."),
    INT("bridge.qos.event", bridge.qos.event, 0, 2, "1", "QoS of event messages."),
    INT("bridge.qos.response", bridge.qos.response, 0, 2, "1", "QoS of command responses."),
    GROUP("bridge.retain", "Retain flags per message kind."),
    BOOL("bridge.retain.data", bridge.retain.data, "false",
         "Retain data messages (late subscribers see the last value)."),
    BOOL("bridge.retain.state", bridge.retain.state, "true", "Retain state messages."),
    ENUM("bridge.payload_mode", bridge.payload_mode, payload_modes, "json",
         "Data payloads: a JSON object, or the bare value."),
    ENUM("bridge.subscription", bridge.subscription, subscriptions, "wildcard",
         "Command subscriptions: one wildcard, or one per served device."),
    INT("bridge.command_max_payload", bridge.command_max_payload, 64, 16777216, "65536",
        "Largest command payload accepted, bytes."),
    INT("bridge.default_timeout", bridge.default_timeout, 1, 3600, "30",
        "Command timeout when the command gives none, seconds."),
    INT("bridge.default_ttl", bridge.default_ttl, 0, 2592000, "3600",
        "How long a command may wait for a sleeping device when it gives no ttl; 0 = "
        "lwm2m.queue.ttl."),

    GROUP("firmware", "Firmware updates of devices (object 5), started by MQTT commands."),
    STR("firmware.package_dir", firmware.package_dir, 0, PATH_MAX_LEN, "", CONF_F_PATH, NULL,
        "Directory of firmware packages a command may name (plain file names only); \"\" = "
        "state_dir/firmware."),
    INT("firmware.max_package_size", firmware.max_package_size, 16, 67108864, "4194304",
        "Largest package accepted, bytes (push also needs lwm2m.max_payload >= its size)."),
    INT("firmware.max_transfers", firmware.max_transfers, 1, 10000, "4",
        "Package transfers in progress at once; more jobs wait their turn."),
    INT("firmware.timeout", firmware.timeout, 10, 2592000, "86400",
        "Default job timeout (command's \"timeout\"), seconds: a job not finished by then "
        "fails."),
    INT("firmware.retries", firmware.retries, 0, 100, "3",
        "Times a failed delivery (timeout, lost request) is retried before the job fails."),
    STR("firmware.pull_uri", firmware.pull_uri, 0, 255, "", 0, conf_check_coap_uri,
        "Base URI devices pull packages from, this gateway's CoAP(S) address as the devices "
        "reach it, e.g. \"coap://192.0.2.1:5683\"; \"\" = pull delivery refused."),

    {.key = "observe",
     .type = CONF_RULES,
     .holds = CONF_LIST_OBSERVE,
     .min = 0,
     .max = 1024,
     .doc = "Auto-observe rules, applied when a device registers: ( { path = ...; }, ... )."},
    RSTR("observe[].path", path, 2, 64, NULL, CONF_F_REQUIRED, conf_check_lwm2m_path,
         "LwM2M path to observe: /object[/instance[/resource[/resource-instance]]]."),
    RSTR("observe[].attributes", attributes, 0, 256, "", 0, conf_check_attributes,
         "Notification attributes to write first, e.g. \"pmin=10&pmax=60\"; \"\" = none."),
    RSTR("observe[].endpoint", endpoint, 1, 255, "*", 0, conf_check_glob,
         "Endpoint names the rule applies to (glob)."),
    RSTR("observe[].composite", composite, 0, 64, "", 0, conf_check_id,
         "Rules with the same name are observed together (Observe-Composite); \"\" = alone."),
};
const size_t conf_schema_count = sizeof(conf_schema) / sizeof(conf_schema[0]);

const conf_key_t *conf_schema_find(const char *key)
{
    for (size_t i = 0; i < conf_schema_count; i++) {
        if (strcmp(conf_schema[i].key, key) == 0)
            return &conf_schema[i];
    }
    return NULL;
}

const char *conf_enum_name(const conf_enum_t *names, int value)
{
    for (; names->name; names++) {
        if (names->value == value)
            return names->name;
    }
    return "?";
}

void conf_type_describe(const conf_key_t *k, char *buf, size_t len)
{
    static const char *const plain[] = {
        [CONF_GROUP] = "group",
        [CONF_RULES] = "list of groups",
        [CONF_INT] = "integer",
        [CONF_INT64] = "integer",
        [CONF_BOOL] = "boolean",
        [CONF_STRING] = "string",
        [CONF_LISTEN] = "list of strings",
    };
    if (k->type != CONF_ENUM) {
        snprintf(buf, len, "%s", plain[k->type]);
        return;
    }
    size_t used = (size_t)snprintf(buf, len, "one of:");
    for (const conf_enum_t *e = k->names; e->name && used < len; e++)
        used +=
            (size_t)snprintf(buf + used, len - used, "%s %s", e == k->names ? "" : ",", e->name);
}

/* Edit distance counting a swap of neighbours as one edit (optimal string alignment), for
 * short strings only: keys are far shorter than 64 characters. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d[65][65];
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned char)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1u < best)
                best = d[i - 1][j] + 1u;
            if (d[i][j - 1] + 1u < best)
                best = d[i][j - 1] + 1u;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1u < best)
                best = d[i - 2][j - 2] + 1u;
            d[i][j] = (unsigned char)best;
        }
    }
    return d[la][lb];
}

static const char *leaf(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? dot + 1 : key;
}

static bool same_parent(const char *a, const char *b)
{
    size_t pa = (size_t)(leaf(a) - a), pb = (size_t)(leaf(b) - b);
    return pa == pb && strncmp(a, b, pa) == 0;
}

/* Names people reach for that the schema spells differently. */
static const char *const aliases[][2] = {
    {"mqtt.host", "mqtt.uri"},         {"mqtt.port", "mqtt.uri"},
    {"mqtt.broker", "mqtt.uri"},       {"mqtt.url", "mqtt.uri"},
    {"mqtt.server", "mqtt.uri"},       {"lwm2m.port", "lwm2m.listen"},
    {"lwm2m.address", "lwm2m.listen"}, {"lwm2m.bind", "lwm2m.listen"},
};

/* Score: the distance of the whole key, or of the last name alone plus one for moving it to
 * another group ("keepalive" at the top level -> "mqtt.keepalive"). */
const char *conf_schema_suggest(const char *key)
{
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcmp(key, aliases[i][0]) == 0)
            return aliases[i][1];
    }
    size_t leaf_len = strlen(leaf(key));
    size_t limit = leaf_len <= 3 ? 1 : leaf_len <= 6 ? 2 : 3;
    const char *best = NULL;
    size_t best_score = SIZE_MAX;
    for (size_t i = 0; i < conf_schema_count; i++) {
        const char *cand = conf_schema[i].key;
        size_t score = edit_distance(key, cand);
        if (!same_parent(key, cand)) {
            size_t moved = edit_distance(leaf(key), leaf(cand));
            if (moved != SIZE_MAX && moved + 1 < score)
                score = moved + 1;
        }
        if (score < best_score) {
            best_score = score;
            best = cand;
        }
    }
    return best_score <= limit ? best : NULL;
}

static void describe_bounds(const conf_key_t *k, char *buf, size_t len)
{
    buf[0] = '\0';
    switch (k->type) {
    case CONF_INT:
    case CONF_INT64:
        snprintf(buf, len, "%lld..%lld", k->min, k->max);
        break;
    case CONF_STRING:
        if (k->min > 0)
            snprintf(buf, len, "%lld..%lld chars", k->min, k->max);
        else
            snprintf(buf, len, "<= %lld chars", k->max);
        break;
    case CONF_LISTEN:
    case CONF_RULES:
        snprintf(buf, len, "<= %lld entries", k->max);
        break;
    default:
        break;
    }
}

/* "a, b" -> `["a", "b"]` */
static void describe_list_default(const char *def, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "`[");
    for (const char *p = def; *p && used < len;) {
        size_t n = strcspn(p, ", ");
        used +=
            (size_t)snprintf(buf + used, len - used, "%s\"%.*s\"", p == def ? "" : ", ", (int)n, p);
        p += n + strspn(p + n, ", ");
    }
    if (used < len)
        snprintf(buf + used, len - used, "]`");
}

static void describe_default(const conf_key_t *k, char *buf, size_t len)
{
    if (k->flags & CONF_F_REQUIRED)
        snprintf(buf, len, "(required)");
    else if (k->type == CONF_STRING || k->type == CONF_ENUM)
        snprintf(buf, len, "`\"%s\"`", k->def);
    else if (k->type == CONF_LISTEN)
        describe_list_default(k->def, buf, len);
    else if (k->def)
        snprintf(buf, len, "`%s`", k->def);
    else
        buf[0] = '\0';
}

static int markdown_row(const conf_key_t *k, FILE *out)
{
    char type[128], def[128], bounds[64];
    conf_type_describe(k, type, sizeof(type));
    describe_default(k, def, sizeof(def));
    describe_bounds(k, bounds, sizeof(bounds));
    return fprintf(out, "| `%s` | %s | %s | %s | %s |\n", k->key, type, def, bounds, k->doc) < 0
               ? -EIO
               : 0;
}

int lmg_conf_schema_markdown(FILE *out)
{
    if (fprintf(out, "| key | type | default | bounds | description |\n"
                     "| --- | --- | --- | --- | --- |\n") < 0)
        return -EIO;
    for (size_t i = 0; i < conf_schema_count; i++) {
        int r = markdown_row(&conf_schema[i], out);
        if (r < 0)
            return r;
    }
    return fflush(out) == 0 ? 0 : -EIO;
}
