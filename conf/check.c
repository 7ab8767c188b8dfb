/* check.c - what single keys cannot say: derived defaults and cross-key checks (ordering of
 * bounds, listen overlaps, TLS consistency, MQTT binding vs. bridge topics, observe rules). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

static int replace(char **field, char *value)
{
    if (!value)
        return -ENOMEM;
    free(*field);
    *field = value;
    return 0;
}

static char *joined(const char *a, const char *b)
{
    char *s = NULL;
    return asprintf(&s, "%s%s", a, b) < 0 ? NULL : s;
}

int conf_resolve(lmg_conf_t *conf)
{
    conf->mqtt.uri_tls = conf_uri_is_tls(conf->mqtt.uri);
    if (conf->mqtt.client_id[0] == '\0' &&
        replace(&conf->mqtt.client_id, joined("lwm2m-gw-", conf->gateway.id)) < 0)
        return -ENOMEM;
    if (conf->lwm2m.mqtt_binding.broker[0] == '\0' &&
        replace(&conf->lwm2m.mqtt_binding.broker, strdup(conf->mqtt.uri)) < 0)
        return -ENOMEM;
    if (conf->lwm2m.mqtt_binding.client_id[0] == '\0' &&
        replace(&conf->lwm2m.mqtt_binding.client_id, joined(conf->mqtt.client_id, "-binding")) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < conf->observe_count; i++) {
        lmg_conf_observe_t *rule = &conf->observe[i];
        if (conf_parse_lwm2m_path(rule->path, rule->ids, &rule->depth) < 0)
            rule->depth = 0; /* already reported */
    }
    return 0;
}

/* The first of the keys (a NULL-terminated list) that the file sets, else the first one. */
static const char *first_set(const conf_ctx_t *ctx, const char *const *keys)
{
    for (const char *const *k = keys; *k; k++) {
        if (conf_is_set(ctx, *k))
            return *k;
    }
    return keys[0];
}

static void check_order(conf_ctx_t *ctx, const char *min_key, int min, const char *max_key, int max)
{
    if (min <= max)
        return;
    if (conf_is_set(ctx, max_key))
        conf_error(ctx, conf_loc_of(ctx, max_key), max_key, "expected >= %s (%d), got %d", min_key,
                   min, max);
    else
        conf_error(ctx, conf_loc_of(ctx, min_key), min_key, "expected <= %s (%d), got %d", max_key,
                   max, min);
}

static void dtls_error(conf_ctx_t *ctx, const char *key, const char *why)
{
    conf_error(ctx, conf_loc_of(ctx, key), key, "%s", why);
}

/* One PKI mode per DTLS listener set: libcoap 4.3.1 takes X.509 or RPK, not both. */
static void check_dtls_credentials(conf_ctx_t *ctx)
{
    const lmg_conf_t *c = ctx->conf;
    bool psk = c->lwm2m.dtls.psk_file[0], rpk = c->lwm2m.dtls.rpk_file[0];
    bool ca = c->lwm2m.dtls.ca_file[0], cert = c->lwm2m.dtls.cert_file[0];
    bool key = c->lwm2m.dtls.key_file[0];
    if (!psk && !rpk && !cert && !c->lwm2m.bootstrap.enabled)
        dtls_error(ctx, "lwm2m.dtls.enabled",
                   "DTLS needs credentials: set psk_file, rpk_file or cert_file in lwm2m.dtls");
    if (rpk && cert)
        dtls_error(ctx, "lwm2m.dtls.rpk_file",
                   "rpk_file and cert_file cannot be combined: libcoap takes one PKI mode "
                   "(raw public keys or X.509) per gateway; PSK works with either");
    if ((rpk || cert) && !key)
        dtls_error(ctx, rpk ? "lwm2m.dtls.rpk_file" : "lwm2m.dtls.cert_file",
                   "needs lwm2m.dtls.key_file (the server's private key)");
    if (cert && !ca)
        dtls_error(ctx, "lwm2m.dtls.cert_file",
                   "needs lwm2m.dtls.ca_file (the CA that signs device certificates)");
    if ((ca || key) && !cert && !rpk)
        dtls_error(ctx, ca ? "lwm2m.dtls.ca_file" : "lwm2m.dtls.key_file",
                   "set cert_file (X.509) or rpk_file (raw public keys) as well");
}

static void check_transports(conf_ctx_t *ctx)
{
    const lmg_conf_t *c = ctx->conf;
    if (c->lwm2m.dtls.enabled && c->lwm2m.dtls.listen.count == 0)
        conf_error(ctx, conf_loc_of(ctx, "lwm2m.dtls.listen"), "lwm2m.dtls.listen",
                   "lwm2m.dtls.enabled is true but there is no DTLS listen address");
    if (c->lwm2m.listen.count == 0 && !c->lwm2m.dtls.enabled && !c->lwm2m.mqtt_binding.enabled)
        conf_error(ctx, conf_loc_of(ctx, "lwm2m.listen"), "lwm2m.listen",
                   "no LwM2M transport left: give a listen address, or enable lwm2m.dtls or "
                   "lwm2m.mqtt_binding");
    if (c->lwm2m.bootstrap.enabled && !c->lwm2m.dtls.enabled)
        conf_error(ctx, conf_loc_of(ctx, "lwm2m.bootstrap.enabled"), "lwm2m.bootstrap.enabled",
                   "bootstrap provisions DTLS PSK credentials: enable lwm2m.dtls");
    if (c->lwm2m.bootstrap.enabled && strncmp(c->lwm2m.bootstrap.server_uri, "coaps://", 8) != 0)
        conf_error(ctx, conf_loc_of(ctx, "lwm2m.bootstrap.server_uri"),
                   "lwm2m.bootstrap.server_uri", "expected coaps://host:port");
    for (size_t i = 0; i < c->lwm2m.bootstrap.account_count; i++) {
        const char *uri = c->lwm2m.bootstrap.accounts[i].server_uri;
        char key[64];
        snprintf(key, sizeof(key), "lwm2m.bootstrap.accounts[%zu].server_uri", i);
        if (uri[0] && strncmp(uri, "coaps://", 8) != 0)
            conf_error(ctx, ctx->list_locs[CONF_LIST_BOOTSTRAP - 1][i], key,
                       "expected coaps://host:port");
    }
    if (!c->lwm2m.dtls.enabled)
        return;
    check_dtls_credentials(ctx);
    for (size_t i = 0; i < c->lwm2m.dtls.listen.count; i++) {
        const lmg_conf_listen_t *d = &c->lwm2m.dtls.listen.items[i];
        for (size_t j = 0; j < c->lwm2m.listen.count; j++) {
            const lmg_conf_listen_t *u = &c->lwm2m.listen.items[j];
            if (conf_listen_overlap(d, u)) {
                conf_error(ctx, conf_loc_of(ctx, "lwm2m.dtls.listen"), "lwm2m.dtls.listen",
                           "[%zu]: \"%s\" overlaps lwm2m.listen[%zu] \"%s\"", i, d->text, j,
                           u->text);
                break;
            }
        }
    }
}

static void check_tls(conf_ctx_t *ctx)
{
    static const char *const files[] = {"mqtt.tls.ca_file", "mqtt.tls.cert_file",
                                        "mqtt.tls.key_file", NULL};
    const lmg_conf_t *c = ctx->conf;
    const char *set = first_set(ctx, files);
    bool any = c->mqtt.tls.ca_file[0] || c->mqtt.tls.cert_file[0] || c->mqtt.tls.key_file[0];
    if (any && !c->mqtt.uri_tls)
        conf_error(ctx, conf_loc_of(ctx, set), set,
                   "TLS files are set but mqtt.uri is not a TLS URI (use ssl://, mqtts:// or "
                   "wss://)");
    if (c->mqtt.tls.cert_file[0] && !c->mqtt.tls.key_file[0])
        conf_error(ctx, conf_loc_of(ctx, "mqtt.tls.cert_file"), "mqtt.tls.key_file",
                   "required when mqtt.tls.cert_file is set");
    if (c->mqtt.tls.key_file[0] && !c->mqtt.tls.cert_file[0])
        conf_error(ctx, conf_loc_of(ctx, "mqtt.tls.key_file"), "mqtt.tls.cert_file",
                   "required when mqtt.tls.key_file is set");
}

/* Whether topic a is b or a parent level of b ("a" of "a/b", not of "ab"). */
static bool topic_contains(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

static void check_binding_topics(conf_ctx_t *ctx, const char *key)
{
    static const char *const examples[] = {"devices", "south", "lwm2m-devices"};
    const lmg_conf_t *c = ctx->conf;
    const char *prefix = c->lwm2m.mqtt_binding.prefix, *root = c->bridge.root;
    char tree[160];
    snprintf(tree, sizeof(tree), "%s%slwm2m", prefix, prefix[0] ? "/" : "");
    if (!topic_contains(tree, root) && !topic_contains(root, tree))
        return;
    const char *example = examples[0];
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        example = examples[i];
        if (!topic_contains(root, example) && !topic_contains(example, root))
            break;
    }
    conf_error(ctx, conf_loc_of(ctx, key), key,
               "the MQTT binding's topics \"%s/rd/...\" overlap bridge.root \"%s\" on the same "
               "broker; set lwm2m.mqtt_binding.prefix (e.g. \"%s\") or bridge.root so that "
               "neither contains the other, or give the binding its own broker",
               tree, root, example);
}

static void check_binding(conf_ctx_t *ctx)
{
    static const char *const keys[] = {"lwm2m.mqtt_binding.prefix", "bridge.root",
                                       "lwm2m.mqtt_binding.broker", "lwm2m.mqtt_binding.enabled",
                                       NULL};
    const lmg_conf_t *c = ctx->conf;
    if (!c->lwm2m.mqtt_binding.enabled || strcmp(c->lwm2m.mqtt_binding.broker, c->mqtt.uri) != 0)
        return;
    check_binding_topics(ctx, first_set(ctx, keys));
    if (strcmp(c->lwm2m.mqtt_binding.client_id, c->mqtt.client_id) == 0) {
        static const char *const ids[] = {"lwm2m.mqtt_binding.client_id", "mqtt.client_id", NULL};
        const char *key = first_set(ctx, ids);
        conf_error(ctx, conf_loc_of(ctx, key), key,
                   "the MQTT binding and mqtt use the same client id on the same broker, which "
                   "would disconnect each other; make them differ");
    }
}

static void check_rules(conf_ctx_t *ctx)
{
    const lmg_conf_t *c = ctx->conf;
    for (size_t j = 0; j < c->observe_count; j++) {
        const lmg_conf_observe_t *b = &c->observe[j];
        char key[64];
        for (size_t i = 0; i < j; i++) {
            const lmg_conf_observe_t *a = &c->observe[i];
            if (strcmp(a->path, b->path) == 0 && strcmp(a->endpoint, b->endpoint) == 0) {
                snprintf(key, sizeof(key), "observe[%zu]", j);
                conf_error(ctx, ctx->list_locs[CONF_LIST_OBSERVE - 1][j], key,
                           "same path and endpoint as observe[%zu] (line %u)", i,
                           ctx->list_locs[CONF_LIST_OBSERVE - 1][i].line);
                break;
            }
            if (b->composite[0] && strcmp(a->composite, b->composite) == 0 &&
                strcmp(a->endpoint, b->endpoint) != 0) {
                snprintf(key, sizeof(key), "observe[%zu].endpoint", j);
                conf_error(ctx, ctx->list_locs[CONF_LIST_OBSERVE - 1][j], key,
                           "differs from observe[%zu] in composite group '%s'; rules observed "
                           "together need the same endpoint pattern",
                           i, b->composite);
                break;
            }
        }
    }
}

void conf_check_all(conf_ctx_t *ctx)
{
    const lmg_conf_t *c = ctx->conf;
    check_order(ctx, "lwm2m.lifetime_min", c->lwm2m.lifetime_min, "lwm2m.lifetime_max",
                c->lwm2m.lifetime_max);
    check_order(ctx, "mqtt.reconnect_min", c->mqtt.reconnect_min, "mqtt.reconnect_max",
                c->mqtt.reconnect_max);
    check_transports(ctx);
    check_tls(ctx);
    check_binding(ctx);
    check_rules(ctx);
}
