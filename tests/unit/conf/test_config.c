/* test_config.c - conf/: every error class gives its exact "file:line: key: reason", defaults,
 * the example site config, @include, cross-key checks, the dump and the schema table. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/config.h"

static char tmp_dir[64];

/* The source tree: LMG_SOURCE_DIR when the build gives it, else four levels above this file
 * (CMake passes sources by absolute path). */
static void source_path(char *buf, size_t len, const char *rel)
{
#ifdef LMG_SOURCE_DIR
    int n = snprintf(buf, len, "%s/%s", LMG_SOURCE_DIR, rel);
#else
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", __FILE__);
    for (int i = 0; i < 4; i++) {
        char *slash = strrchr(dir, '/');
        assert_non_null(slash);
        *slash = '\0';
    }
    int n = snprintf(buf, len, "%s/%s", dir, rel);
#endif
    assert_true(n > 0 && (size_t)n < len);
}

static const char *write_file(const char *name, const char *text)
{
    static char path[8][256];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof(path[0]), "%s/%s", tmp_dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* Formats an expected message with the temp dir substituted for "{T}". */
static const char *expect(const char *fmt)
{
    static char buf[1024];
    size_t o = 0;
    for (const char *p = fmt; *p && o + 64 < sizeof(buf); p++) {
        if (strncmp(p, "{T}", 3) == 0) {
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s", tmp_dir);
            p += 2;
        } else {
            buf[o++] = *p;
        }
    }
    buf[o] = '\0';
    return buf;
}

static void assert_messages(const lmg_conf_messages_t *m, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n && i < m->count; i++)
        assert_string_equal(m->items[i], expect(va_arg(ap, const char *)));
    va_end(ap);
    if (m->count != n) {
        for (size_t i = 0; i < m->count; i++)
            fprintf(stderr, "message %zu: %s\n", i, m->items[i]);
    }
    assert_int_equal(m->count, n);
}

/* Loads text as {T}/gw.conf, expects failure with exactly one message. */
static void expect_one_error(const char *text, const char *message)
{
    lmg_conf_t *conf = NULL;
    lmg_conf_messages_t msgs = {0};
    assert_int_equal(lmg_conf_load(write_file("gw.conf", text), &conf, &msgs), -EINVAL);
    assert_null(conf);
    assert_messages(&msgs, 1, message);
    lmg_conf_messages_free(&msgs);
}

static lmg_conf_t *load_ok(const char *text)
{
    lmg_conf_t *conf = NULL;
    lmg_conf_messages_t msgs = {0};
    int r = lmg_conf_load(write_file("gw.conf", text), &conf, &msgs);
    assert_messages(&msgs, 0);
    assert_int_equal(r, 0);
    assert_non_null(conf);
    return conf;
}

static char *dump(const lmg_conf_t *conf)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(lmg_conf_dump(conf, f), 0);
    fclose(f);
    return text;
}

static void test_defaults_from_empty_file(void **state)
{
    (void)state;
    lmg_conf_t *c = load_ok("");
    assert_string_equal(c->gateway.id, "gw-1");
    assert_string_equal(c->gateway.state_dir, "/var/lib/lwm2m-mqtt-gateway");
    assert_int_equal(c->gateway.log_level, LMG_CONF_LOG_INFO);
    assert_int_equal(c->gateway.stats_interval, 60);
    assert_int_equal(c->lwm2m.listen.count, 2);
    assert_string_equal(c->lwm2m.listen.items[0].text, "0.0.0.0:5683");
    assert_int_equal(c->lwm2m.listen.items[1].family, AF_INET6);
    assert_int_equal(c->lwm2m.listen.items[1].port, 5683);
    assert_int_equal(c->lwm2m.dtls.listen.items[0].port, 5684);
    assert_false(c->lwm2m.dtls.enabled);
    assert_int_equal(c->lwm2m.preferred_format, LMG_CONF_FORMAT_AUTO);
    assert_int_equal(c->lwm2m.max_payload, 1048576);
    assert_string_equal(c->mqtt.uri, "tcp://127.0.0.1:1883");
    assert_false(c->mqtt.uri_tls);
    assert_string_equal(c->mqtt.client_id, "lwm2m-gw-gw-1");
    assert_string_equal(c->mqtt.password, "");
    assert_int_equal(c->mqtt.version, LMG_CONF_MQTT_5);
    assert_int_equal(c->mqtt.keepalive, 30);
    assert_true(c->mqtt.tls.verify_hostname);
    assert_int_equal(c->mqtt.buffer.max_bytes, 64 * 1024 * 1024);
    assert_string_equal(c->lwm2m.mqtt_binding.broker, "tcp://127.0.0.1:1883");
    assert_string_equal(c->lwm2m.mqtt_binding.client_id, "lwm2m-gw-gw-1-binding");
    assert_string_equal(c->bridge.root, "lwm2m");
    assert_string_equal(c->firmware.package_dir, "");
    assert_int_equal(c->firmware.max_package_size, 4194304);
    assert_int_equal(c->firmware.max_transfers, 4);
    assert_int_equal(c->firmware.timeout, 86400);
    assert_int_equal(c->firmware.retries, 3);
    assert_string_equal(c->firmware.pull_uri, "");
    assert_int_equal(c->bridge.qos.response, 1);
    assert_true(c->bridge.retain.state);
    assert_false(c->bridge.retain.data);
    assert_int_equal(c->observe_count, 0);
    lmg_conf_free(c);

    lmg_conf_t *d = lmg_conf_new_default();
    assert_non_null(d);
    assert_string_equal(d->mqtt.client_id, "lwm2m-gw-gw-1");
    lmg_conf_free(d);
    lmg_conf_free(NULL);
    lmg_conf_messages_free(NULL);
}

/* The shipped example documents every key with its default: it loads cleanly and gives exactly
 * what an empty file gives, apart from its one auto-observe rule (the temperature sensors, so
 * that a new site shows data). */
static void test_example_config(void **state)
{
    (void)state;
    char path[4096];
    source_path(path, sizeof(path), "conf/lwm2m-mqtt-gateway.conf");
    lmg_conf_t *example = NULL, *defaults = lmg_conf_new_default();
    lmg_conf_messages_t msgs = {0};
    assert_int_equal(lmg_conf_load(path, &example, &msgs), 0);
    assert_messages(&msgs, 0);
    assert_int_equal(example->observe_count, 1);
    assert_string_equal(example->observe[0].path, "/3303/0/5700");
    assert_string_equal(example->observe[0].attributes, "pmin=10&pmax=60");
    char *a = dump(example), *b = dump(defaults);
    char *ra = strstr(a, "\nobserve"), *rb = strstr(b, "\nobserve");
    assert_non_null(ra);
    assert_non_null(rb);
    *ra = *rb = 0; /* everything before the rules is identical */
    assert_string_equal(a, b);
    free(a);
    free(b);
    lmg_conf_free(example);
    lmg_conf_free(defaults);
}

static void test_syntax_error(void **state)
{
    (void)state;
    expect_one_error("mqtt = {\n  keepalive = ;\n};\n", "{T}/gw.conf:2: syntax error");
    expect_one_error("a = 1;\na = 2;\n", "{T}/gw.conf:2: duplicate setting name");
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_one_error("mqtt = {\n  keepaliv = 30;\n};\n",
                     "{T}/gw.conf:2: mqtt.keepaliv: unknown key, did you mean 'mqtt.keepalive'?");
    expect_one_error("\nkeepalive = 30;\n",
                     "{T}/gw.conf:2: keepalive: unknown key, did you mean 'mqtt.keepalive'?");
    expect_one_error("mqtt = { root = \"x\"; };\n",
                     "{T}/gw.conf:1: mqtt.root: unknown key, did you mean 'bridge.root'?");
    expect_one_error("mqtt = { port = 1883; };\n",
                     "{T}/gw.conf:1: mqtt.port: unknown key, did you mean 'mqtt.uri'?");
    expect_one_error("frobnicate = true;\n", "{T}/gw.conf:1: frobnicate: unknown key");
    expect_one_error("mqtt = { tsl = { ca_file = \"\"; }; };\n",
                     "{T}/gw.conf:1: mqtt.tsl: unknown key, did you mean 'mqtt.tls'?");
    expect_one_error("observe = (\n  { path = \"/3/0/9\"; endpont = \"a*\"; }\n);\n",
                     "{T}/gw.conf:2: observe[0].endpont: unknown key, did you mean "
                     "'observe[0].endpoint'?");
}

static void test_wrong_type(void **state)
{
    (void)state;
    expect_one_error("mqtt = {\n  keepalive = \"30\";\n};\n",
                     "{T}/gw.conf:2: mqtt.keepalive: expected integer, got string");
    expect_one_error("mqtt = { keepalive = 30.0; };\n",
                     "{T}/gw.conf:1: mqtt.keepalive: expected integer, got float");
    expect_one_error("mqtt = { clean_start = 1; };\n",
                     "{T}/gw.conf:1: mqtt.clean_start: expected boolean, got integer");
    expect_one_error(
        "mqtt = { version = 5; };\n",
        "{T}/gw.conf:1: mqtt.version: expected a string, one of: 3.1.1, 5; got integer");
    expect_one_error("mqtt = 5;\n", "{T}/gw.conf:1: mqtt: expected group, got integer");
    expect_one_error(
        "observe = { path = \"/3\"; };\n",
        "{T}/gw.conf:1: observe: expected a list of groups ( { ... }, ... ), got group");
    expect_one_error("lwm2m = { listen = [ 5683 ]; };\n",
                     "{T}/gw.conf:1: lwm2m.listen: [0]: expected string, got integer");
    expect_one_error("mqtt = { password = 1234; };\n",
                     "{T}/gw.conf:1: mqtt.password: expected string, got integer");
}

static void test_out_of_range(void **state)
{
    (void)state;
    expect_one_error("mqtt = {\n\n  keepalive = 2;\n};\n",
                     "{T}/gw.conf:3: mqtt.keepalive: expected 5..3600, got 2");
    expect_one_error("bridge = { qos = { data = 3; }; };\n",
                     "{T}/gw.conf:1: bridge.qos.data: expected 0..2, got 3");
    expect_one_error("mqtt = { buffer = { max_bytes = 99999999999L; }; };\n",
                     "{T}/gw.conf:1: mqtt.buffer.max_bytes: expected 0..17179869184, got "
                     "99999999999");
    expect_one_error("gateway = { log_level = \"verbose\"; };\n",
                     "{T}/gw.conf:1: gateway.log_level: expected one of: error, warning, notice, "
                     "info, debug");
    expect_one_error("gateway = { id = \"\"; };\n", "{T}/gw.conf:1: gateway.id: must not be empty");
    expect_one_error("gateway = { id = \"gw/1\"; };\n",
                     "{T}/gw.conf:1: gateway.id: only letters, digits, '_' and '-' are allowed");
}

static void test_missing_required(void **state)
{
    (void)state;
    expect_one_error("observe = (\n  { path = \"/3/0/9\"; },\n  { endpoint = \"x\"; }\n);\n",
                     "{T}/gw.conf:3: observe[1].path: required key missing");
    write_file("client.pem", "-----BEGIN CERTIFICATE-----\n");
    expect_one_error("mqtt = {\n  uri = \"ssl://broker:8883\";\n  tls = {\n"
                     "    cert_file = \"client.pem\";\n  };\n};\n",
                     "{T}/gw.conf:4: mqtt.tls.key_file: required when mqtt.tls.cert_file is set");
}

static void test_bad_include(void **state)
{
    (void)state;
    expect_one_error("mqtt = { keepalive = 30; };\n@include \"missing.conf\"\n",
                     "{T}/gw.conf:2: @include: {T}/missing.conf: cannot read: No such file or "
                     "directory");
    /* A syntax error inside a fragment points into the fragment. */
    write_file("broken.conf", "bridge = {\n  root = ;\n};\n");
    expect_one_error("@include \"broken.conf\"\n", "{T}/broken.conf:2: syntax error");
}

static void test_unreadable_file(void **state)
{
    (void)state;
    lmg_conf_t *conf = NULL;
    lmg_conf_messages_t msgs = {0};
    char path[256];
    snprintf(path, sizeof(path), "%s/nope.conf", tmp_dir);
    assert_int_equal(lmg_conf_load(path, &conf, &msgs), -ENOENT);
    assert_null(conf);
    assert_messages(&msgs, 1, "{T}/nope.conf: cannot read: No such file or directory");
    lmg_conf_messages_free(&msgs);

    assert_int_equal(lmg_conf_load(tmp_dir, &conf, &msgs), -EISDIR);
    assert_messages(&msgs, 1, "{T}: cannot read: Is a directory");
    lmg_conf_messages_free(&msgs);

    if (geteuid() != 0) { /* root reads everything */
        const char *p = write_file("secret.conf", "");
        chmod(p, 0);
        assert_int_equal(lmg_conf_load(p, &conf, &msgs), -EACCES);
        assert_messages(&msgs, 1, "{T}/secret.conf: cannot read: Permission denied");
        lmg_conf_messages_free(&msgs);
    }
}

static void test_include_fragment(void **state)
{
    (void)state;
    mkdir(expect("{T}/site.d"), 0700);
    write_file("site.d/north.conf", "mqtt = {\n  uri = \"tcp://10.0.0.1:1883\";\n"
                                    "  keepalive = 60;\n};\n");
    lmg_conf_t *c = load_ok("gateway = { id = \"north-1\"; };\n@include \"site.d/north.conf\"\n");
    assert_string_equal(c->gateway.id, "north-1");
    assert_string_equal(c->mqtt.uri, "tcp://10.0.0.1:1883");
    assert_int_equal(c->mqtt.keepalive, 60);
    assert_string_equal(c->mqtt.client_id, "lwm2m-gw-north-1");
    lmg_conf_free(c);

    write_file("site.d/south.conf", "mqtt = {\n  uri = \"tcp://10.0.0.2\";\n"
                                    "  keepalive = 1;\n  keepalive_s = 1;\n};\n");
    lmg_conf_t *conf = NULL;
    lmg_conf_messages_t msgs = {0};
    const char *main = write_file("gw.conf", "@include \"site.d/south.conf\"\n"
                                             "bridge = { root = \"a/#\"; };\n");
    assert_int_equal(lmg_conf_load(main, &conf, &msgs), -EINVAL);
    assert_messages(&msgs, 3, "{T}/site.d/south.conf:3: mqtt.keepalive: expected 5..3600, got 1",
                    "{T}/site.d/south.conf:4: mqtt.keepalive_s: unknown key, did you mean "
                    "'mqtt.keepalive'?",
                    "{T}/gw.conf:2: bridge.root: wildcards '+' and '#' are not allowed");
    lmg_conf_messages_free(&msgs);
}

static void test_secrets_masked(void **state)
{
    (void)state;
    lmg_conf_t *c = load_ok("mqtt = { username = \"gw\"; password = \"hunter2\"; };\n");
    assert_string_equal(c->mqtt.password, "hunter2");
    char *text = dump(c);
    assert_null(strstr(text, "hunter2"));
    assert_non_null(strstr(text, "  password = \"********\"; # masked\n"));
    assert_non_null(strstr(text, "  username = \"gw\";\n"));
    assert_non_null(strstr(text, "  keepalive = 30;\n"));
    free(text);
    lmg_conf_free(c);
}

/* The dump is libconfig syntax and loads back to the same configuration. */
/* Dumps conf (which it frees), checks that the dump has `expected` (may be NULL), loads the
 * dump and checks that it dumps the same. */
static void assert_dump_round_trip(lmg_conf_t *conf, const char *expected)
{
    char *first = dump(conf);
    if (expected)
        assert_non_null(strstr(first, expected));
    lmg_conf_free(conf);
    conf = load_ok(first);
    char *second = dump(conf);
    assert_string_equal(first, second);
    free(first);
    free(second);
    lmg_conf_free(conf);
}

static void test_dump_round_trip(void **state)
{
    (void)state;
    write_file("psk.txt", "");
    lmg_conf_t *c = load_ok("mqtt = { username = \"a\\\"b\\\\c\";\n"
                            "  buffer = { max_bytes = 4294967296L; }; };\n"
                            "lwm2m = { listen = \"[::1]:5700\"; nosec = \"lab-*, t?\";\n"
                            "  dtls = { enabled = true; psk_file = \"psk.txt\"; }; };\n"
                            "observe = ( { path = \"/3303/0/5700\"; attributes = \"pmin=1\"; },\n"
                            "  { path = \"/3\"; endpoint = \"a*\"; composite = \"c\"; } );\n");
    assert_int_equal(c->observe_count, 2);
    assert_int_equal(c->observe[0].depth, 3);
    assert_int_equal(c->observe[0].ids[2], 5700);
    assert_string_equal(c->observe[0].endpoint, "*");
    assert_dump_round_trip(c, NULL);
}

/* Per-endpoint bootstrap configurations: a second list of groups, nested in a group. */
static void test_bootstrap_accounts(void **state)
{
    (void)state;
    lmg_conf_t *c =
        load_ok("lwm2m = { dtls = { enabled = true; };\n"
                "  bootstrap = { enabled = true; endpoints = \"dev-*\"; binding = \"UQ\";\n"
                "    accounts = ( { endpoints = \"meter-*, gas-?\"; lifetime = 86400; },\n"
                "      { endpoints = \"light-*\"; server_uri = \"coaps://10.0.0.2:5684\"; "
                "short_server_id = 7; binding = \"U\"; } ); }; };\n"
                "observe = ( { path = \"/3\"; } );\n");
    assert_int_equal(c->lwm2m.bootstrap.account_count, 2);
    const lmg_conf_bs_account_t *a = c->lwm2m.bootstrap.accounts;
    assert_string_equal(a[0].endpoints, "meter-*, gas-?");
    assert_int_equal(a[0].lifetime, 86400);
    assert_string_equal(a[0].server_uri, "");
    assert_int_equal(a[0].short_server_id, 0);
    assert_string_equal(a[1].server_uri, "coaps://10.0.0.2:5684");
    assert_int_equal(a[1].short_server_id, 7);
    assert_string_equal(a[1].binding, "U");
    assert_string_equal(c->lwm2m.bootstrap.binding, "UQ");
    assert_int_equal(c->observe_count, 1);
    assert_dump_round_trip(c, "    accounts = (\n      {\n        endpoints = \"meter-*, gas-?\";");

    expect_one_error("lwm2m = { bootstrap = { accounts = ( { lifetime = 5; } ); }; };\n",
                     "{T}/gw.conf:1: lwm2m.bootstrap.accounts[0].endpoints: required key missing");
    expect_one_error("lwm2m = { bootstrap = { accounts = ( { endpoints = \"a\"; bindin = "
                     "\"U\"; } ); }; };\n",
                     "{T}/gw.conf:1: lwm2m.bootstrap.accounts[0].bindin: unknown key, did you "
                     "mean 'lwm2m.bootstrap.accounts[0].binding'?");
    expect_one_error("lwm2m = { bootstrap = { accounts = ( { endpoints = \"a\"; binding = "
                     "\"UU\"; } ); }; };\n",
                     "{T}/gw.conf:1: lwm2m.bootstrap.accounts[0].binding: binding letter 'U' "
                     "given twice");
    expect_one_error("lwm2m = { bootstrap = { accounts = ( { endpoints = \"a\";\n"
                     "  server_uri = \"coap://x:1\"; } ); }; };\n",
                     "{T}/gw.conf:1: lwm2m.bootstrap.accounts[0].server_uri: expected "
                     "coaps://host:port");
}

static void test_cross_checks(void **state)
{
    (void)state;
    expect_one_error(
        "mqtt = {\n  reconnect_min = 10;\n  reconnect_max = 5;\n};\n",
        "{T}/gw.conf:3: mqtt.reconnect_max: expected >= mqtt.reconnect_min (10), got 5");
    expect_one_error("mqtt = { reconnect_min = 120; };\n",
                     "{T}/gw.conf:1: mqtt.reconnect_min: expected <= mqtt.reconnect_max (60), got "
                     "120");
    expect_one_error("lwm2m = { lifetime_max = 10; };\n",
                     "{T}/gw.conf:1: lwm2m.lifetime_max: expected >= lwm2m.lifetime_min (30), got "
                     "10");
    expect_one_error("lwm2m = {\n  mqtt_binding = {\n    enabled = true;\n  };\n};\n",
                     "{T}/gw.conf:3: lwm2m.mqtt_binding.enabled: the MQTT binding's topics "
                     "\"lwm2m/rd/...\" overlap bridge.root \"lwm2m\" on the same broker; set "
                     "lwm2m.mqtt_binding.prefix (e.g. \"devices\") or bridge.root so that neither "
                     "contains the other, or give the binding its own broker");
    expect_one_error("bridge = { root = \"site\"; };\n"
                     "lwm2m = { mqtt_binding = { enabled = true; prefix = \"site\"; }; };\n",
                     "{T}/gw.conf:2: lwm2m.mqtt_binding.prefix: the MQTT binding's topics "
                     "\"site/lwm2m/rd/...\" overlap bridge.root \"site\" on the same broker; set "
                     "lwm2m.mqtt_binding.prefix (e.g. \"devices\") or bridge.root so that neither "
                     "contains the other, or give the binding its own broker");
    lmg_conf_t *c = load_ok("lwm2m = { mqtt_binding = { enabled = true; prefix = \"dev\"; }; };\n");
    lmg_conf_free(c);
    c = load_ok(
        "lwm2m = { mqtt_binding = { enabled = true; broker = \"tcp://[::1]:1884\"; }; };\n");
    lmg_conf_free(c);
    expect_one_error(
        "lwm2m = { mqtt_binding = { enabled = true; prefix = \"x\";\n"
        "  client_id = \"lwm2m-gw-gw-1\"; }; };\n",
        "{T}/gw.conf:2: lwm2m.mqtt_binding.client_id: the MQTT binding and mqtt use the "
        "same client id on the same broker, which would disconnect each other; make "
        "them differ");
    expect_one_error("lwm2m = {\n  listen = [ \"0.0.0.0:5683\",\n    \"127.0.0.1:5683\" ];\n};\n",
                     "{T}/gw.conf:3: lwm2m.listen: [1]: \"127.0.0.1:5683\" overlaps [0] "
                     "\"0.0.0.0:5683\"");
    write_file("psk.txt", "");
    write_file("ca.pem", "");
    write_file("key.pem", "");
    expect_one_error("lwm2m = { dtls = { enabled = true; psk_file = \"psk.txt\";\n"
                     " listen = [ \"[::]:5683\" ]; }; };\n",
                     "{T}/gw.conf:2: lwm2m.dtls.listen: [0]: \"[::]:5683\" overlaps "
                     "lwm2m.listen[1] \"[::]:5683\"");
    expect_one_error("lwm2m = {\n dtls = {\n enabled = true; }; };\n",
                     "{T}/gw.conf:3: lwm2m.dtls.enabled: DTLS needs credentials: set psk_file, "
                     "rpk_file or cert_file in lwm2m.dtls");
    expect_one_error("lwm2m = { dtls = { enabled = true;\n cert_file = \"ca.pem\";\n"
                     " key_file = \"key.pem\"; }; };\n",
                     "{T}/gw.conf:2: lwm2m.dtls.cert_file: needs lwm2m.dtls.ca_file (the CA that "
                     "signs device certificates)");
    expect_one_error("lwm2m = { dtls = { enabled = true;\n rpk_file = \"psk.txt\"; }; };\n",
                     "{T}/gw.conf:2: lwm2m.dtls.rpk_file: needs lwm2m.dtls.key_file (the server's "
                     "private key)");
    expect_one_error("lwm2m = { dtls = { enabled = true; key_file = \"key.pem\";\n"
                     " rpk_file = \"psk.txt\"; cert_file = \"ca.pem\"; ca_file = \"ca.pem\"; "
                     "}; };\n",
                     "{T}/gw.conf:2: lwm2m.dtls.rpk_file: rpk_file and cert_file cannot be "
                     "combined: libcoap takes one PKI mode (raw public keys or X.509) per "
                     "gateway; PSK works with either");
    lmg_conf_free(load_ok("lwm2m = { dtls = { enabled = true; key_file = \"key.pem\";\n"
                          " cert_file = \"ca.pem\"; ca_file = \"ca.pem\"; }; };\n"));
    expect_one_error("lwm2m = { listen = []; };\n",
                     "{T}/gw.conf:1: lwm2m.listen: no LwM2M transport left: give a listen address, "
                     "or enable lwm2m.dtls or lwm2m.mqtt_binding");
    expect_one_error("mqtt = { tls = { verify_hostname = false; ca_file = \"client.pem\"; }; };\n",
                     "{T}/gw.conf:1: mqtt.tls.ca_file: TLS files are set but mqtt.uri is not a TLS "
                     "URI (use ssl://, mqtts:// or wss://)");
    expect_one_error("observe = (\n { path = \"/3/0\"; },\n { path = \"/3/0\"; }\n);\n",
                     "{T}/gw.conf:3: observe[1]: same path and endpoint as observe[0] (line 2)");
    expect_one_error("observe = ( { path = \"/3/0/9\"; composite = \"h\"; },\n"
                     " { path = \"/3/0/20\"; composite = \"h\"; endpoint = \"m*\"; } );\n",
                     "{T}/gw.conf:2: observe[1].endpoint: differs from observe[0] in composite "
                     "group 'h'; rules observed together need the same endpoint pattern");
}

static void test_value_checks(void **state)
{
    (void)state;
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"lwm2m = { listen = \"::1:5683\"; };",
         "lwm2m.listen: [0]: IPv6 addresses go in brackets, e.g. \"[::]:5683\""},
        {"lwm2m = { listen = \"0.0.0.0:0\"; };",
         "lwm2m.listen: [0]: expected a port 1..65535 after ':'"},
        {"lwm2m = { listen = \"localhost:5683\"; };",
         "lwm2m.listen: [0]: expected \"address:port\" with an IPv4 address or an IPv6 "
         "address in brackets, e.g. \"0.0.0.0:5683\" or \"[::]:5683\""},
        {"mqtt = { uri = \"http://x\"; };",
         "mqtt.uri: unknown scheme, expected tcp, mqtt, ssl, mqtts, ws or wss"},
        {"mqtt = { uri = \"tcp://u:p@x:1883\"; };",
         "mqtt.uri: no credentials in the URI: use mqtt.username and password"},
        {"mqtt = { uri = \"tcp://x:99999\"; };", "mqtt.uri: expected a port 1..65535 after ':'"},
        {"mqtt = { uri = \"tcp://x/path\"; };",
         "mqtt.uri: a path is only allowed with ws:// and wss://"},
        {"firmware = { pull_uri = \"http://gw:80\"; };",
         "firmware.pull_uri: expected coap://host[:port] or coaps://host[:port]"},
        {"firmware = { pull_uri = \"coap://gw:5683/fw\"; };",
         "firmware.pull_uri: expected coap://host[:port] (no path, query or user)"},
        {"firmware = { max_transfers = 0; };", "firmware.max_transfers: expected 1..10000, got 0"},
        {"bridge = { root = \"/lwm2m\"; };", "bridge.root: must not start or end with '/'"},
        {"bridge = { root = \"a/$b\"; };", "bridge.root: '$' is not allowed"},
        {"bridge = { root = \"a//b\"; };",
         "bridge.root: empty topic levels ('//') are not allowed"},
        {"observe = ( { path = \"3303\"; } );",
         "observe[0].path: expected a path starting with '/', e.g. /3303/0/5700"},
        {"observe = ( { path = \"/3303/0/70000\"; } );",
         "observe[0].path: ids are 0..65535 (65535 only for objects)"},
        {"observe = ( { path = \"/1/2/3/4/5\"; } );",
         "observe[0].path: at most 4 levels (object/instance/resource/instance)"},
        {"observe = ( { path = \"/3/0\"; attributes = \"pmin=60&pmax=10\"; } );",
         "observe[0].attributes: pmin must not exceed pmax"},
        {"observe = ( { path = \"/3/0\"; attributes = \"pmn=1\"; } );",
         "observe[0].attributes: unknown attribute 'pmn' (pmin, pmax, gt, lt, st, epmin, "
         "epmax, edge, con, hqmax)"},
        {"observe = ( { path = \"/3/0\"; attributes = \"pmin=-1\"; } );",
         "observe[0].attributes: pmin: expected an integer >= 0"},
        {"gateway = { objects_dir = \"no-such-dir\"; };",
         "gateway.objects_dir: {T}/no-such-dir: cannot read: No such file or directory"},
        {"gateway = { objects_dir = \"gw.conf\"; };",
         "gateway.objects_dir: {T}/gw.conf: not a directory"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char message[512];
        snprintf(message, sizeof(message), "{T}/gw.conf:1: %s", cases[i].message);
        expect_one_error(cases[i].text, message);
    }
    lmg_conf_t *c =
        load_ok("mqtt = { uri = \"wss://[2001:db8::1]:443/mqtt\"; };\n"
                "gateway = { objects_dir = \".\"; };\n"
                "observe = ( { path = \"/3/0\"; attributes = \"gt=2.5&lt=-1&st=0.5\"; } );");
    assert_true(c->mqtt.uri_tls);
    assert_string_equal(c->gateway.objects_dir, expect("{T}/."));
    lmg_conf_free(c);
}

/* Everything is reported, in file order; beyond the cap a last line counts the rest. */
static void test_all_errors(void **state)
{
    (void)state;
    char text[4096] = "";
    for (int i = 0; i < 60; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "x%d = 1;\n", i);
    lmg_conf_t *conf = NULL;
    lmg_conf_messages_t msgs = {0};
    assert_int_equal(lmg_conf_load(write_file("gw.conf", text), &conf, &msgs), -EINVAL);
    assert_int_equal(msgs.count, LMG_CONF_MAX_MESSAGES);
    assert_string_equal(msgs.items[0], expect("{T}/gw.conf:1: x0: unknown key"));
    assert_string_equal(msgs.items[48], expect("{T}/gw.conf:49: x48: unknown key"));
    assert_string_equal(msgs.items[49], expect("{T}/gw.conf: 11 more errors not shown"));
    lmg_conf_messages_free(&msgs);
}

static void test_load_string(void **state)
{
    (void)state;
    lmg_conf_t *conf = NULL;
    lmg_conf_messages_t msgs = {0};
    assert_int_equal(
        lmg_conf_load_string("\nmqtt = { keepalive = 1; };", "inline", NULL, &conf, &msgs),
        -EINVAL);
    assert_messages(&msgs, 1, "inline:2: mqtt.keepalive: expected 5..3600, got 1");
    lmg_conf_messages_free(&msgs);
    assert_int_equal(
        lmg_conf_load_string("@include \"gone.conf\"\n", "inline", tmp_dir, &conf, &msgs), -EINVAL);
    assert_messages(&msgs, 1,
                    "inline:1: @include: {T}/gone.conf: cannot read: No such file or "
                    "directory");
    lmg_conf_messages_free(&msgs);
    assert_int_equal(lmg_conf_load_string("", NULL, NULL, &conf, NULL), 0);
    lmg_conf_free(conf);
}

static void test_schema_markdown(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(lmg_conf_schema_markdown(f), 0);
    fclose(f);
    assert_non_null(strstr(text, "| key | type | default | bounds | description |\n"));
    assert_non_null(strstr(text, "| `mqtt.keepalive` | integer | `30` | 5..3600 | "));
    assert_non_null(strstr(text, "| `observe[].path` | string | (required) | 2..64 chars | "));
    assert_non_null(strstr(text, "| `gateway.log_level` | one of: error, warning, notice, info, "
                                 "debug | `\"info\"` |"));
    free(text);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(void)
{
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/lmg-conf-test-XXXXXX");
    if (!mkdtemp(tmp_dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_from_empty_file),
        cmocka_unit_test(test_example_config),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_bad_include),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_include_fragment),
        cmocka_unit_test(test_secrets_masked),
        cmocka_unit_test(test_dump_round_trip),
        cmocka_unit_test(test_bootstrap_accounts),
        cmocka_unit_test(test_cross_checks),
        cmocka_unit_test(test_value_checks),
        cmocka_unit_test(test_all_errors),
        cmocka_unit_test(test_load_string),
        cmocka_unit_test(test_schema_markdown),
    };
    int failed = cmocka_run_group_tests_name("conf", tests, NULL, NULL);
    if (nftw(tmp_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
        failed++;
    return failed;
}
