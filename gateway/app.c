/* app.c - building the gateway from its configuration, the loop's sources and timers,
 * signals (graceful stop, reload), restoring state after a restart, and shutdown. */
#include "app.h"

#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "lwm2m/ddf.h"
#include "notify.h"

static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;

/* Unpredictable bytes for locations and tokens (mbedTLS CTR-DRBG over the system entropy). */
static void random_bytes(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    if (mbedtls_ctr_drbg_random(&drbg, buf, len) != 0)
        abort(); /* never hand out predictable locations */
}

void app_random(uint8_t *buf, size_t len)
{
    random_bytes(NULL, buf, len);
}

static int random_init(void)
{
    static const char personal[] = "lwm2m-mqtt-gateway";
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    return mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                 (const unsigned char *)personal, sizeof(personal) - 1);
}

static void coap_log(int level, const char *message)
{
    size_t n = strlen(message);
    while (n && message[n - 1] == '\n')
        n--;
    log_msg(level <= 3   ? LOG_LEVEL_ERROR
            : level == 4 ? LOG_LEVEL_WARNING
                         : LOG_LEVEL_DEBUG,
            "coap: %.*s", (int)n, message);
}

/* After a packet the server may have new deadlines: run what is due and arm its timer for the
 * next one directly, rather than a timerfd round trip (two timerfd_settime calls and a wakeup)
 * per packet. */
static void server_rearm(app_t *app)
{
    int64_t now = loop_now_ms();
    loop_set_deadline(app->loop, app->server_timer, lwm2m_server_tick(app->server, now));
}

static void on_coap_fd(void *ctx, int fd, uint32_t events)
{
    app_t *app = ctx;
    (void)fd;
    (void)events;
    coap_transport_process(app->coap, loop_now_ms());
    server_rearm(app);
}

static void on_mqtt_fd(void *ctx, int fd, uint32_t events)
{
    app_t *app = ctx;
    (void)fd;
    (void)events;
    mqtt_client_dispatch(app->mqtt, app_on_mqtt, app);
    server_rearm(app);
}

static void on_binding_fd(void *ctx, int fd, uint32_t events)
{
    app_t *app = ctx;
    (void)fd;
    (void)events;
    binding_process(app->binding, loop_now_ms());
    loop_set_deadline(app->loop, app->server_timer, loop_now_ms());
}

static int64_t server_tick(void *ctx, int64_t now_ms)
{
    app_t *app = ctx;
    return lwm2m_server_tick(app->server, now_ms);
}

static int64_t coap_tick(void *ctx, int64_t now_ms)
{
    app_t *app = ctx;
    int64_t next = coap_transport_timer(app->coap, now_ms);
    loop_set_deadline(app->loop, app->server_timer, now_ms);
    return next;
}

void app_publish_status(app_t *app, bool online)
{
    bridge_out_t out = {0};
    bridge_stats_t st = {0};
    mqtt_stats_t ms;
    mqtt_client_stats(app->mqtt, &ms);
    st.devices = app->server ? lwm2m_server_count(app->server) : 0;
    st.uplinks = app->counters.uplinks;
    st.notifications = app->counters.notifications + app->counters.sends;
    st.commands = app->counters.commands;
    st.command_errors = app->counters.command_errors;
    st.published = app->counters.published;
    st.buffered = ms.buffered;
    st.dropped = ms.dropped_overflow + ms.dropped_qos0 + ms.dropped_rejected;
    st.uptime_s = (loop_wall_ms() - app->started_wall_ms) / 1000;
    bridge_gateway_status(app->bridge, online, &st, loop_wall_ms(), &out);
    app_publish(app, &out);
}

static int64_t stats_tick(void *ctx, int64_t now_ms)
{
    app_t *app = ctx;
    mqtt_stats_t ms;
    mqtt_client_stats(app->mqtt, &ms);
    if (ms.dropped_overflow)
        log_warning("mqtt: %llu messages dropped so far because the offline buffer was full",
                    (unsigned long long)ms.dropped_overflow);
    app_publish_status(app, true);
    return now_ms + (int64_t)app->conf->gateway.stats_interval * 1000;
}

static int64_t watchdog_tick(void *ctx, int64_t now_ms)
{
    app_t *app = ctx;
    notify_send("WATCHDOG=1");
    return now_ms + app->watchdog_ms / 2;
}

/* Builds the bridge's rule list from the config's observe list: rules that share a composite
 * name become one composite rule. */
static int build_rules(app_t *app, const lmg_conf_t *conf)
{
    bridge_rule_t *rules = calloc(conf->observe_count ? conf->observe_count : 1, sizeof(*rules));
    size_t n = 0;
    if (!rules)
        return -ENOMEM;
    for (size_t i = 0; i < conf->observe_count; i++) {
        const lmg_conf_observe_t *o = &conf->observe[i];
        bridge_rule_t *r = NULL;
        if (o->composite[0])
            for (size_t k = 0; k < n && !r; k++)
                if (rules[k].composite && strcmp(conf->observe[k].composite, o->composite) == 0)
                    r = &rules[k];
        if (!r) {
            r = &rules[n++];
            r->endpoint = o->endpoint;
            r->attributes = o->attributes[0] ? o->attributes : NULL;
            r->composite = o->composite[0] != 0;
            r->paths = calloc(conf->observe_count, sizeof(char *));
            if (!r->paths)
                return -ENOMEM;
        }
        ((const char **)r->paths)[r->path_count++] = o->path;
    }
    for (size_t i = 0; i < app->rule_count; i++)
        free((void *)app->rules[i].paths);
    free(app->rules);
    app->rules = rules;
    app->rule_count = n;
    return 0;
}

static void bridge_config_from(app_t *app, const lmg_conf_t *c, bridge_config_t *b)
{
    memset(b, 0, sizeof(*b));
    b->root = c->bridge.root;
    b->gateway_id = c->gateway.id;
    b->version = LMG_VERSION;
    b->qos_data = c->bridge.qos.data;
    b->qos_state = c->bridge.qos.state;
    b->qos_event = c->bridge.qos.event;
    b->qos_response = c->bridge.qos.response;
    b->retain_data = c->bridge.retain.data;
    b->retain_state = c->bridge.retain.state;
    b->raw_values = c->bridge.payload_mode == LMG_CONF_PAYLOAD_RAW;
    b->command_max_payload = (size_t)c->bridge.command_max_payload;
    b->default_timeout_ms = (uint32_t)c->bridge.default_timeout * 1000;
    b->default_ttl_ms = (uint32_t)c->bridge.default_ttl * 1000;
    b->model = app->model;
    b->rules = app->rules;
    b->rule_count = app->rule_count;
}

static void print_ddf_error(void *ctx, const char *path, const lwm2m_error_t *err)
{
    (void)ctx;
    log_warning("objects: %s: %s (skipped)", path, err->message);
}

/* The credential store from the files the config names (and the keys bootstrap generated);
 * NULL with a message in err. */
lwm2m_cred_store_t *app_load_credentials(const lmg_conf_t *c, char *err, size_t errlen)
{
    char generated[4200];
    app_bootstrap_psk_path(c, generated, sizeof(generated));
    lwm2m_cred_config_t cc = {.psk_file = c->lwm2m.dtls.enabled ? c->lwm2m.dtls.psk_file : NULL,
                              .rpk_file = c->lwm2m.dtls.enabled ? c->lwm2m.dtls.rpk_file : NULL,
                              .generated_psk_file = c->lwm2m.dtls.enabled ? generated : NULL,
                              .bootstrap_psk_file =
                                  c->lwm2m.dtls.enabled && c->lwm2m.bootstrap.enabled
                                      ? c->lwm2m.bootstrap.psk_file
                                      : NULL,
                              .nosec = c->lwm2m.nosec};
    return lwm2m_cred_load(&cc, err, errlen);
}

static int start_server(app_t *app, const lmg_conf_t *c)
{
    char err[256];
    app->model = lwm2m_model_new_builtin();
    if (!app->model)
        return -ENOMEM;
    if (c->gateway.objects_dir[0]) {
        int n = lwm2m_ddf_load_dir(app->model, c->gateway.objects_dir, print_ddf_error, NULL);
        if (n < 0)
            log_warning("objects: cannot read %s", c->gateway.objects_dir);
        else
            log_info("objects: %d definitions loaded from %s", n, c->gateway.objects_dir);
    }
    lwm2m_server_config_t sc = {
        .lifetime_min = (uint32_t)c->lwm2m.lifetime_min,
        .lifetime_max = (uint32_t)c->lwm2m.lifetime_max,
        .request_timeout_ms = (uint32_t)c->lwm2m.request_timeout * 1000,
        .queue_ttl_ms = (uint32_t)c->lwm2m.queue.ttl * 1000,
        .queue_max_per_device = (size_t)c->lwm2m.queue.max_per_device,
        .queue_disabled = c->lwm2m.queue.max_per_device == 0,
        .awake_window_ms = (uint32_t)c->lwm2m.queue.awake_time * 1000,
        .max_devices = (size_t)c->lwm2m.max_devices,
        .max_payload = (size_t)c->lwm2m.max_payload,
        .model = app->model,
        .preferred_format = c->lwm2m.preferred_format < 0 ? 0 : (uint16_t)c->lwm2m.preferred_format,
    };
    app->server = lwm2m_server_new(&sc, &app_server_events, app, random_bytes, NULL);
    if (!app->server)
        return -ENOMEM;
    const char *listen[16];
    size_t n = 0;
    for (size_t i = 0; i < c->lwm2m.listen.count && n < 16; i++)
        listen[n++] = c->lwm2m.listen.items[i].text;
    const char *dtls_listen[16];
    size_t dn = 0;
    for (size_t i = 0; c->lwm2m.dtls.enabled && i < c->lwm2m.dtls.listen.count && dn < 16; i++)
        dtls_listen[dn++] = c->lwm2m.dtls.listen.items[i].text;
    coap_transport_config_t tc = {.listen = listen,
                                  .listen_count = n,
                                  .max_payload = (size_t)c->lwm2m.max_payload,
                                  .dtls_listen = dtls_listen,
                                  .dtls_listen_count = dn,
                                  .ca_file = c->lwm2m.dtls.ca_file,
                                  .cert_file = c->lwm2m.dtls.cert_file,
                                  .key_file = c->lwm2m.dtls.key_file,
                                  .rpk = c->lwm2m.dtls.rpk_file[0] != 0};
    app->creds = app_load_credentials(c, err, sizeof(err));
    if (!app->creds) {
        log_error("lwm2m.dtls: %s", err);
        return -EINVAL;
    }
    coap_transport_set_log(coap_log, log_enabled(LOG_LEVEL_DEBUG) ? 7 : 4);
    app->coap = coap_transport_new(app->server, &tc, err, sizeof(err));
    if (!app->coap) {
        log_error("lwm2m: %s", err);
        return -EADDRINUSE;
    }
    coap_transport_set_credentials(app->coap, app->creds);
    coap_transport_set_security_handler(app->coap, app_on_security, app);
    if (c->lwm2m.bootstrap.enabled)
        app_bootstrap_start(app);
    if (dn)
        log_info("lwm2m: DTLS (%s) with %zu PSK and %zu RPK credentials%s",
                 coap_transport_tls_library(err, sizeof(err)),
                 lwm2m_cred_count(app->creds, LWM2M_CRED_PSK),
                 lwm2m_cred_count(app->creds, LWM2M_CRED_RPK),
                 c->lwm2m.dtls.cert_file[0] ? ", X.509" : "");
    return 0;
}

static int start_mqtt(app_t *app, const lmg_conf_t *c)
{
    char err[256], will_topic[512], outbox[4096];
    bridge_out_t out = {0};
    mqtt_options_t o;
    mqtt_options_init(&o);
    bridge_status_topic(app->bridge, will_topic, sizeof(will_topic));
    bridge_gateway_status(app->bridge, false, NULL, loop_wall_ms(), &out);
    snprintf(outbox, sizeof(outbox), "%s/outbox", c->gateway.state_dir);
    o.uri = c->mqtt.uri;
    o.client_id = c->mqtt.client_id;
    o.username = c->mqtt.username[0] ? c->mqtt.username : NULL;
    o.password = c->mqtt.password[0] ? c->mqtt.password : NULL;
    o.version = (int)c->mqtt.version;
    o.keepalive = c->mqtt.keepalive;
    o.clean_start = c->mqtt.clean_start;
    o.ca_file = c->mqtt.tls.ca_file[0] ? c->mqtt.tls.ca_file : NULL;
    o.cert_file = c->mqtt.tls.cert_file[0] ? c->mqtt.tls.cert_file : NULL;
    o.key_file = c->mqtt.tls.key_file[0] ? c->mqtt.tls.key_file : NULL;
    o.verify_hostname = c->mqtt.tls.verify_hostname;
    o.reconnect_min_ms = c->mqtt.reconnect_min * 1000;
    o.reconnect_max_ms = c->mqtt.reconnect_max * 1000;
    o.will_topic = will_topic;
    o.will_payload = out.count ? out.items[0].payload : NULL;
    o.will_len = out.count ? out.items[0].len : 0;
    o.will_qos = 1;
    o.will_retain = true;
    o.outbox_dir = c->mqtt.buffer.persist ? outbox : NULL;
    o.outbox_max_messages = (size_t)c->mqtt.buffer.max_messages;
    o.outbox_max_bytes = (size_t)c->mqtt.buffer.max_bytes;
    app->mqtt = mqtt_client_new(&o, err, sizeof(err));
    bridge_out_clear(&out);
    if (!app->mqtt) {
        log_error("mqtt: %s", err);
        return -EINVAL;
    }
    if (c->bridge.subscription == LMG_CONF_SUBSCRIBE_WILDCARD) {
        char filters[8][256];
        size_t n = bridge_command_filters(app->bridge, NULL, filters, 8);
        for (size_t i = 0; i < n; i++)
            mqtt_client_subscribe(app->mqtt, filters[i], 1);
    }
    return mqtt_client_start(app->mqtt);
}

static void restore_registration(void *ctx, const lwm2m_registration_t *saved,
                                 const char *transport)
{
    app_t *app = ctx;
    lwm2m_registration_t reg = *saved;
    if (strcmp(transport, "mqtt") == 0 && app->binding)
        binding_restore(app->binding, &reg);
    else if (strcmp(transport, "coap") == 0)
        reg.peer.transport = coap_transport_iface(app->coap);
    else if (strcmp(transport, "coaps") == 0)
        reg.peer.transport = coap_transport_dtls_iface(app->coap);
    else
        return; /* other transports restore themselves when they start */
    if (lwm2m_server_restore(app->server, &reg, loop_now_ms()) == 0) {
        app_device_subscriptions(app, reg.endpoint, true);
        app_observe_device(app, lwm2m_server_find(app->server, reg.endpoint));
    }
}

static int start_binding(app_t *app, const lmg_conf_t *c)
{
    char err[256];
    app->binding = binding_new(app->server, c, err, sizeof(err));
    if (!app->binding || binding_start(app->binding) < 0) {
        log_error("lwm2m.mqtt_binding: %s", app->binding ? "cannot start" : err);
        return -1;
    }
    return loop_add_fd(app->loop, binding_fd(app->binding), EPOLLIN, on_binding_fd, app);
}

static void restore_command(void *ctx, const state_command_t *sc)
{
    app_t *app = ctx;
    bridge_command_t cmd;
    bridge_out_t out = {0};
    char topic[1024], ep[3 * LWM2M_ENDPOINT_MAX + 1];
    memset(&cmd, 0, sizeof(cmd));
    bridge_escape_endpoint(sc->endpoint, ep, sizeof(ep));
    snprintf(topic, sizeof(topic), "%s/%s/command", app->conf->bridge.root, ep);
    state_delete_command(app->state, sc->id);
    if (sc->expires_wall_ms && sc->expires_wall_ms < loop_wall_ms())
        return;
    if (bridge_parse_command(app->bridge, topic, (const uint8_t *)sc->command, strlen(sc->command),
                             sc->reply_topic, sc->correlation, sc->correlation_len, &cmd, &out,
                             loop_wall_ms()) == 1)
        app_submit(app, &cmd); /* queued again (and persisted again) if the device sleeps */
    app_publish(app, &out);
    bridge_command_clear(&cmd);
}

static void restore_state(app_t *app)
{
    int n = state_load_registrations(app->state, loop_wall_ms() - loop_now_ms(),
                                     restore_registration, app);
    if (n > 0)
        log_info("state: %d registrations restored", n);
    int q = state_load_commands(app->state, restore_command, app);
    if (q > 0)
        log_info("state: %d queued commands restored", q);
}

int app_start(app_t *app, const char *config_path, lmg_conf_t *conf)
{
    char err[512];
    app->config_path = config_path;
    app->conf = conf;
    app->started_wall_ms = loop_wall_ms();
    if (random_init() != 0) {
        log_error("cannot seed the random number generator");
        return -1;
    }
    app->loop = loop_new();
    if (!app->loop) {
        log_error("cannot create the event loop: %s", strerror(errno));
        return -1;
    }
    app->state = state_open(conf->gateway.state_dir, err, sizeof(err));
    if (!app->state) {
        log_error("state: %s", err);
        return -1;
    }
    if (start_server(app, conf) < 0 || build_rules(app, conf) < 0)
        return -1;
    bridge_config_t bc;
    bridge_config_from(app, conf, &bc);
    app->bridge = bridge_new(&bc);
    if (!app->bridge || start_mqtt(app, conf) < 0)
        return -1;
    loop_add_fd(app->loop, coap_transport_fd(app->coap), EPOLLIN, on_coap_fd, app);
    loop_add_fd(app->loop, mqtt_client_fd(app->mqtt), EPOLLIN, on_mqtt_fd, app);
    if (conf->lwm2m.mqtt_binding.enabled && start_binding(app, conf) < 0)
        return -1;
    app->server_timer = loop_add_timer(app->loop, server_tick, app);
    app->coap_timer = loop_add_timer(app->loop, coap_tick, app);
    loop_set_deadline(app->loop, app->coap_timer, loop_now_ms());
    if (conf->gateway.stats_interval > 0) {
        app->stats_timer = loop_add_timer(app->loop, stats_tick, app);
        loop_set_deadline(app->loop, app->stats_timer,
                          loop_now_ms() + (int64_t)conf->gateway.stats_interval * 1000);
    }
    app->watchdog_ms = notify_watchdog_ms();
    if (app->watchdog_ms > 0) {
        app->watchdog_timer = loop_add_timer(app->loop, watchdog_tick, app);
        loop_set_deadline(app->loop, app->watchdog_timer, loop_now_ms());
    }
    app->restoring = true;
    restore_state(app);
    app->restoring = false;
    app->fw = firmware_new(app);
    if (!app->fw) {
        log_error("firmware: out of memory");
        return -1;
    }
    return 0;
}

static bool listeners_changed(const lmg_conf_t *a, const lmg_conf_t *b)
{
    if (a->lwm2m.listen.count != b->lwm2m.listen.count || strcmp(a->mqtt.uri, b->mqtt.uri) != 0)
        return true;
    for (size_t i = 0; i < a->lwm2m.listen.count; i++)
        if (strcmp(a->lwm2m.listen.items[i].text, b->lwm2m.listen.items[i].text) != 0)
            return true;
    return false;
}

/* SIGHUP: load into a scratch config; on success apply what can change live and swap. */
static void reload(app_t *app)
{
    lmg_conf_t *next = NULL;
    lmg_conf_messages_t msgs = {0};
    notify_send("RELOADING=1");
    if (lmg_conf_load(app->config_path, &next, &msgs) < 0) {
        for (size_t i = 0; i < msgs.count; i++)
            log_error("%s", msgs.items[i]);
        log_error("reload: %s has errors; the running configuration is kept", app->config_path);
        lmg_conf_messages_free(&msgs);
        notify_send("READY=1");
        return;
    }
    lmg_conf_messages_free(&msgs);
    if (listeners_changed(app->conf, next))
        log_warning("reload: listeners or the MQTT broker changed; restart the gateway to "
                    "apply that part");
    log_set_level((log_level_t)next->gateway.log_level);
    char err[512];
    lwm2m_cred_store_t *creds = app_load_credentials(next, err, sizeof(err));
    if (creds) {
        coap_transport_set_credentials(app->coap, creds);
        lwm2m_cred_free(app->creds);
        app->creds = creds;
    } else {
        log_error("reload: lwm2m.dtls: %s; the running credentials are kept", err);
    }
    if (build_rules(app, next) == 0) {
        bridge_config_t bc;
        bridge_config_from(app, next, &bc);
        bridge_reconfigure(app->bridge, &bc);
    }
    lmg_conf_free(app->conf);
    app->conf = next;
    log_notice("reload: configuration applied from %s", app->config_path);
    notify_send("READY=1");
}

static void on_signal(void *ctx, int signo)
{
    app_t *app = ctx;
    if (signo == SIGHUP) {
        reload(app);
        return;
    }
    log_notice("signal %d: shutting down", signo);
    loop_stop(app->loop);
}

int app_run(app_t *app)
{
    loop_on_signal(app->loop, on_signal, app);
    notify_send("READY=1\nSTATUS=serving");
    log_notice("lwm2m-mqtt-gateway %s started (%zu devices restored)", LMG_VERSION,
               lwm2m_server_count(app->server));
    int rc = loop_run(app->loop);
    notify_send("STOPPING=1");
    app_stop(app);
    return rc < 0 ? 1 : app->exit_code;
}

static void ignore_event(void *ctx, const mqtt_event_t *ev)
{
    (void)ctx;
    (void)ev;
}

/* Waits (at most timeout_ms) until the broker acknowledged what is buffered, so that the
 * offline status is out before the connection closes. */
static void flush_mqtt(app_t *app, int timeout_ms)
{
    int64_t deadline = loop_now_ms() + timeout_ms;
    struct pollfd pfd = {.fd = mqtt_client_fd(app->mqtt), .events = POLLIN};
    for (;;) {
        mqtt_stats_t st;
        mqtt_client_stats(app->mqtt, &st);
        int64_t left = deadline - loop_now_ms();
        if (!st.connected || (st.buffered == 0 && st.inflight == 0) || left <= 0)
            return;
        if (poll(&pfd, 1, (int)(left < 50 ? left : 50)) > 0)
            mqtt_client_dispatch(app->mqtt, ignore_event, NULL);
    }
}

void app_stop(app_t *app)
{
    firmware_free(app->fw); /* first: the jobs stay as persisted, the last results are ignored */
    app->fw = NULL;
    if (app->server && app->mqtt) {
        /* In-flight requests end as cancelled (their responses are published), then the
         * retained status says offline, then the MQTT client flushes what it can. */
        lwm2m_server_free(app->server);
        app->server = NULL;
        app_publish_status(app, false);
        flush_mqtt(app, 2000);
        mqtt_client_stop(app->mqtt, 200);
    }
    lwm2m_server_free(app->server);
    coap_transport_free(app->coap);
    lwm2m_cred_free(app->creds);
    app->creds = NULL;
    binding_free(app->binding); /* after the server: freeing it forgets tokens here */
    mqtt_client_free(app->mqtt);
    bridge_free(app->bridge);
    for (size_t i = 0; i < app->rule_count; i++)
        free((void *)app->rules[i].paths);
    free(app->rules);
    lwm2m_model_free(app->model);
    state_close(app->state);
    loop_free(app->loop);
    lmg_conf_free(app->conf);
    memset(app, 0, sizeof(*app));
}
