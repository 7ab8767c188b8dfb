/* app.h - the running gateway: configuration, event loop, LwM2M server and its transports, MQTT
 * client, bridge and state store, wired together. One thread owns all of it. */
#ifndef LMG_APP_H
#define LMG_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "binding.h"
#include "bridge/bridge.h"
#include "conf/config.h"
#include "firmware.h"
#include "loop.h"
#include "lwm2m/coap_transport.h"
#include "lwm2m/server.h"
#include "mqtt/client.h"
#include "state.h"

typedef struct app_counters {
    uint64_t uplinks, notifications, sends, commands, command_errors, published;
} app_counters_t;

typedef struct app {
    const char *config_path;
    lmg_conf_t *conf;
    loop_t *loop;
    lwm2m_model_t *model;
    lwm2m_server_t *server;
    coap_transport_t *coap;
    lwm2m_cred_store_t *creds; /* DTLS credentials and the NoSec policy; swapped on reload */
    binding_t *binding;        /* the MQTT transport binding; NULL when not enabled */
    mqtt_client_t *mqtt;
    bridge_t *bridge;
    bridge_rule_t *rules; /* built from conf->observe */
    size_t rule_count;
    state_t *state;
    firmware_t *fw; /* firmware update jobs */
    int server_timer, coap_timer, stats_timer, watchdog_timer;
    int64_t watchdog_ms;
    int64_t started_wall_ms;
    app_counters_t counters;
    /* The command being submitted: events fired from inside lwm2m_server_request (queued,
     * an immediate failure) bind their request id to it. */
    const bridge_command_t *submitting;
    bool submitted;
    bool restoring; /* loading saved state: don't write it back */
    int exit_code;
} app_t;

/* Builds everything from the loaded configuration. Returns 0, or -1 after logging why. */
int app_start(app_t *app, const char *config_path, lmg_conf_t *conf);
/* Runs the loop until SIGTERM/SIGINT; then shuts down gracefully. Returns the exit code. */
int app_run(app_t *app);
void app_stop(app_t *app);

/* app_events.c: the server's event callbacks and the MQTT message handler. */
extern const lwm2m_server_events_t app_server_events;
void app_on_mqtt(void *ctx, const mqtt_event_t *ev);
/* Publishes and clears what the bridge produced. */
void app_publish(app_t *app, bridge_out_t *out);
/* Submits a parsed command to the server, answering errors. `persist` stores it when queued. */
void app_submit(app_t *app, bridge_command_t *cmd);
/* Re-issues auto-observe rules and saved observation intents for a device. */
void app_observe_device(app_t *app, const lwm2m_registration_t *reg);
void app_publish_status(app_t *app, bool online);
void app_device_subscriptions(app_t *app, const char *endpoint, bool subscribe);
/* The transport refused a device (4.03): log it and publish a security event. */
void app_on_security(void *ctx, const char *endpoint, const lwm2m_cred_identity_t *identity,
                     const char *reason);

/* app.c: the credential store for a configuration; unpredictable bytes (CTR-DRBG). */
lwm2m_cred_store_t *app_load_credentials(const lmg_conf_t *c, char *err, size_t errlen);
void app_random(uint8_t *buf, size_t len);

/* bootstrap.c: the Bootstrap-Server interface (lwm2m.bootstrap) and the file of the PSKs it
 * generated (state_dir/bootstrap-psk, loaded with lwm2m.dtls.psk_file). */
void app_bootstrap_start(app_t *app);
void app_bootstrap_psk_path(const lmg_conf_t *c, char *buf, size_t size);

#endif
