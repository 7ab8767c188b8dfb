/* test_mqtt_client.c - mqtt/ against a real mosquitto on 127.0.0.1: publish/subscribe over the
 * eventfd path, MQTT 5 response topic / correlation data, MQTT 3.1.1, TLS with client
 * certificates, Last Will on a killed process, a broker outage with the outbox (bounded,
 * overflow counted), and a gateway restart during the outage.
 *
 * The broker runs with persistence, so the subscriber's session (clean_start false) survives
 * the outage and what the publisher re-sends reaches it whatever order they reconnect in.
 *
 * Environment: LMG_TEST_VERBOSE=1 prints every event, LMG_TEST_KEEP=1 keeps the broker's
 * directory (log, certificates, outboxes), LMG_TEST_FILTER=<pattern> runs matching tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mqtt/client.h"

/* ---- the broker ---------------------------------------------------------------------------- */

static struct {
    char dir[64];
    int port, tls_port, acl_port;
    pid_t pid;
} broker;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) < 0)
        return -1;
    close(s);
    return ntohs(a.sin_port);
}

static bool port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(s);
    return ok;
}

static char *path_in(const char *name)
{
    static char buf[16][160]; /* a few may be in use at once (one fprintf takes six) */
    static int i;
    char *p = buf[i++ % 16];
    snprintf(p, sizeof(buf[0]), "%s/%s", broker.dir, name);
    return p;
}

static int make_certificates(void)
{
    /* A CA, a server certificate for 127.0.0.1, a client certificate, and an unrelated CA. */
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "set -e; cd '%s'; K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';"
             "openssl req -x509 $K -keyout ca.key -out ca.pem -days 2 -subj /CN=lmg-test-ca;"
             "openssl req -x509 $K -keyout other.key -out other-ca.pem -days 2 -subj /CN=other;"
             "openssl req $K -keyout server.key -out server.csr -subj /CN=localhost;"
             "echo 'subjectAltName=IP:127.0.0.1,DNS:localhost' > server.ext;"
             "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "-out server.pem -days 2 -extfile server.ext;"
             "openssl req $K -keyout client.key -out client.csr -subj /CN=gateway;"
             "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "-out client.pem -days 2",
             broker.dir);
    char quiet[2200];
    snprintf(quiet, sizeof(quiet), "(%s) >/dev/null 2>&1", cmd);
    return system(quiet) == 0 ? 0 : -1;
}

static int write_broker_conf(void)
{
    FILE *f = fopen(path_in("mosquitto.conf"), "w");
    if (!f)
        return -1;
    struct passwd *pw = getpwuid(getuid()); /* as root, mosquitto would switch user */
    fprintf(f,
            "log_type all\nuser %s\npersistence true\npersistence_location %s/\nlog_dest file %s\n"
            "per_listener_settings true\n"
            "listener %d 127.0.0.1\nallow_anonymous true\n"
            "listener %d 127.0.0.1\nallow_anonymous true\ncafile %s\ncertfile %s\n"
            "keyfile %s\nrequire_certificate true\n"
            "listener %d 127.0.0.1\nallow_anonymous true\nacl_file %s\n",
            pw ? pw->pw_name : "root", broker.dir, path_in("mosquitto.log"), broker.port,
            broker.tls_port, path_in("ca.pem"), path_in("server.pem"), path_in("server.key"),
            broker.acl_port, path_in("acl"));
    if (fclose(f) != 0 || !(f = fopen(path_in("acl"), "w")))
        return -1;
    fputs("topic readwrite lmg/acl/ok/#\n", f); /* everything else is denied */
    return fclose(f);
}

static void broker_start(void)
{
    broker.pid = fork();
    assert_true(broker.pid >= 0);
    if (broker.pid == 0) {
        /* Its own process group (signals meant for ours do not reach it), and gone with us. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execlp("mosquitto", "mosquitto", "-c", path_in("mosquitto.conf"), (char *)NULL);
        _exit(127);
    }
    uint64_t end = now_ms() + 5000;
    while (!(port_open(broker.port) && port_open(broker.tls_port) && port_open(broker.acl_port)) &&
           now_ms() < end)
        usleep(10000);
    assert_true(port_open(broker.port));
}

/* Fails the test with a clear message if the broker went away behind our back. */
static void broker_check_alive(void)
{
    int status = 0;
    if (broker.pid <= 0 || waitpid(broker.pid, &status, WNOHANG) != broker.pid)
        return;
    broker.pid = 0;
    fail_msg(
        "mosquitto exited unexpectedly (%s %d), see %s", WIFSIGNALED(status) ? "signal" : "status",
        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), path_in("mosquitto.log"));
}

static void broker_stop(void)
{
    if (broker.pid <= 0)
        return;
    kill(broker.pid, SIGTERM); /* saves the persistence database */
    waitpid(broker.pid, NULL, 0);
    broker.pid = 0;
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(broker.dir, sizeof(broker.dir), "/tmp/lmg-mqtt-it-XXXXXX");
    if (!mkdtemp(broker.dir) || make_certificates() < 0)
        return -1;
    broker.port = free_port();
    broker.tls_port = free_port();
    broker.acl_port = free_port();
    if (broker.port < 0 || broker.tls_port < 0 || broker.acl_port < 0 || write_broker_conf() < 0)
        return -1;
    broker_start();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    broker_stop();
    if (getenv("LMG_TEST_KEEP"))
        return 0; /* leave the broker's log and files for a post-mortem */
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", broker.dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- clients and what they saw ----------------------------------------------------------- */

typedef struct msg_rec {
    char topic[128];
    char payload[128];
    size_t len;
    int qos;
    bool retained;
    char response_topic[128];
    uint8_t correlation[64];
    size_t correlation_len;
    char content_type[64];
} msg_rec_t;

#define MAX_MSGS 512

typedef struct rec {
    mqtt_client_t *c;
    int connected, disconnected, errors, delivered, subscribed;
    bool up, saw_connect_error;
    char last_error[256];
    msg_rec_t msgs[MAX_MSGS];
    size_t nmsgs;
} rec_t;

static rec_t *recs[8];

static void on_event(void *ctx, const mqtt_event_t *ev)
{
    rec_t *r = ctx;
    if (getenv("LMG_TEST_VERBOSE"))
        fprintf(stderr, "%llu [%p] event %d %s %s\n", (unsigned long long)now_ms() % 100000,
                (void *)r, (int)ev->type, ev->topic ? ev->topic : "", ev->error ? ev->error : "");
    switch (ev->type) {
    case MQTT_EVENT_CONNECTED:
        r->connected++;
        r->up = true;
        break;
    case MQTT_EVENT_DISCONNECTED:
        r->disconnected++;
        r->up = false;
        break;
    case MQTT_EVENT_DELIVERED:
        r->delivered++;
        break;
    case MQTT_EVENT_SUBSCRIBED:
        r->subscribed++;
        break;
    case MQTT_EVENT_ERROR:
        r->errors++;
        r->saw_connect_error |= strstr(ev->error, "connect to") != NULL;
        snprintf(r->last_error, sizeof(r->last_error), "%s", ev->error);
        break;
    case MQTT_EVENT_MESSAGE: {
        assert_true(r->nmsgs < MAX_MSGS);
        msg_rec_t *m = &r->msgs[r->nmsgs++];
        snprintf(m->topic, sizeof(m->topic), "%s", ev->topic);
        assert_true(ev->len < sizeof(m->payload));
        memcpy(m->payload, ev->payload, ev->len);
        m->payload[ev->len] = 0;
        assert_int_equal(ev->payload[ev->len], 0);
        m->len = ev->len;
        m->qos = ev->qos;
        m->retained = ev->retained;
        snprintf(m->response_topic, sizeof(m->response_topic), "%s",
                 ev->response_topic ? ev->response_topic : "");
        assert_true(ev->correlation_len <= sizeof(m->correlation));
        if (ev->correlation_len)
            memcpy(m->correlation, ev->correlation, ev->correlation_len);
        m->correlation_len = ev->correlation_len;
        snprintf(m->content_type, sizeof(m->content_type), "%s",
                 ev->content_type ? ev->content_type : "");
        break;
    }
    }
}

/* One turn of an event loop over every live client: epoll on their fds, then dispatch. */
static void pump(int ms)
{
    broker_check_alive();
    int ep = epoll_create1(0);
    for (size_t i = 0; i < 8; i++)
        if (recs[i]) {
            struct epoll_event e = {.events = EPOLLIN, .data.ptr = recs[i]};
            epoll_ctl(ep, EPOLL_CTL_ADD, mqtt_client_fd(recs[i]->c), &e);
        }
    struct epoll_event ready[8];
    int n = epoll_wait(ep, ready, 8, ms);
    for (int i = 0; i < n; i++) {
        rec_t *r = ready[i].data.ptr;
        mqtt_client_dispatch(r->c, on_event, r);
    }
    close(ep);
}

#define WAIT_UNTIL(cond, timeout_ms)                                                               \
    do {                                                                                           \
        uint64_t end_ = now_ms() + (timeout_ms);                                                   \
        while (!(cond) && now_ms() < end_)                                                         \
            pump(20);                                                                              \
    } while (0)

static void base_options(mqtt_options_t *o, const char *client_id)
{
    static char uri[64];
    snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", broker.port);
    mqtt_options_init(o);
    o->uri = uri;
    o->client_id = client_id;
    o->keepalive = 5;
    o->reconnect_min_ms = 100;
    o->reconnect_max_ms = 400;
}

static rec_t *rec_new(const mqtt_options_t *o)
{
    rec_t *r = calloc(1, sizeof(*r));
    char err[256] = "";
    r->c = mqtt_client_new(o, err, sizeof(err));
    if (!r->c)
        fail_msg("mqtt_client_new: %s", err);
    assert_int_equal(mqtt_client_start(r->c), 0);
    for (size_t i = 0; i < 8; i++)
        if (!recs[i]) {
            recs[i] = r;
            return r;
        }
    fail_msg("too many clients");
    return NULL;
}

static void rec_free(rec_t *r)
{
    if (getenv("LMG_TEST_VERBOSE"))
        fprintf(stderr, "%llu free %p\n", (unsigned long long)now_ms() % 100000, (void *)r);
    for (size_t i = 0; i < 8; i++)
        if (recs[i] == r)
            recs[i] = NULL;
    mqtt_client_free(r->c);
    free(r);
}

static rec_t *connected_client(const mqtt_options_t *o)
{
    rec_t *r = rec_new(o);
    WAIT_UNTIL(r->up, 5000);
    if (!r->up)
        fail_msg("not connected: %s", r->last_error);
    return r;
}

/* Subscribes, waits for MQTT_EVENT_SUBSCRIBED (the SUBACK), then publishes a probe through the
 * same connection, which must come back. */
static void subscribe_settled(rec_t *r, const char *filter, const char *probe_topic)
{
    int acked = r->subscribed;
    assert_int_equal(mqtt_client_subscribe(r->c, filter, 1), 0);
    WAIT_UNTIL(r->subscribed > acked, 5000);
    assert_true(r->subscribed > acked);
    size_t before = r->nmsgs;
    assert_int_equal(mqtt_client_publish(r->c, probe_topic, "probe", 5, 1, false, NULL), 0);
    WAIT_UNTIL(r->nmsgs > before, 5000);
    assert_true(r->nmsgs > before);
    r->nmsgs = 0;
}

static mqtt_stats_t stats_of(const rec_t *r)
{
    mqtt_stats_t st;
    mqtt_client_stats(r->c, &st);
    return st;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_publish_subscribe_v5(void **state)
{
    (void)state;
    mqtt_options_t o;
    base_options(&o, "lmg-it-ps");
    rec_t *r = connected_client(&o);
    subscribe_settled(r, "lmg/ps/#", "lmg/ps/probe");

    assert_int_equal(mqtt_client_publish(r->c, "lmg/ps/a", "zero", 4, 0, false, NULL), 0);
    assert_int_equal(mqtt_client_publish(r->c, "lmg/ps/b", "one", 3, 1, false, NULL), 0);
    WAIT_UNTIL(r->nmsgs >= 2 && r->delivered >= 2, 5000);
    assert_int_equal(r->nmsgs, 2);
    assert_string_equal(r->msgs[0].topic, "lmg/ps/a");
    assert_string_equal(r->msgs[0].payload, "zero");
    assert_int_equal(r->msgs[0].qos, 0);
    assert_string_equal(r->msgs[1].topic, "lmg/ps/b");
    assert_string_equal(r->msgs[1].payload, "one");
    assert_int_equal(r->msgs[1].qos, 1);

    mqtt_stats_t st = stats_of(r);
    assert_int_equal(st.published, 3); /* with the probe */
    assert_int_equal(st.delivered, 2);
    assert_int_equal(st.received, 3);
    assert_int_equal(st.buffered, 0);
    assert_int_equal(st.subscriptions, 1);
    assert_true(st.connected);

    /* Bad input is refused before anything is buffered. */
    assert_int_equal(mqtt_client_publish(r->c, "lmg/+/x", "x", 1, 1, false, NULL), -EINVAL);
    assert_int_equal(mqtt_client_publish(r->c, "lmg/x", "x", 1, 2, false, NULL), -EINVAL);
    assert_int_equal(mqtt_client_publish(r->c, "", "x", 1, 1, false, NULL), -EINVAL);
    assert_int_equal(mqtt_client_subscribe(r->c, "lmg/#/x", 1), -EINVAL);
    assert_int_equal(mqtt_client_unsubscribe(r->c, "not/subscribed"), -ENOENT);
    char err[256] = "";
    mqtt_options_t bad;
    base_options(&bad, "lmg-it-bad");
    bad.uri = "http://127.0.0.1:1";
    assert_null(mqtt_client_new(&bad, err, sizeof(err)));
    assert_non_null(strstr(err, "http://127.0.0.1:1"));

    /* QoS 0 is bounded too: at most 1024 wait in Paho to be written. */
    int accepted = 0, refused = 0;
    for (int i = 0; i < 1500; i++) {
        int rc = mqtt_client_publish(r->c, "lmg/nobody/x", "q0", 2, 0, false, NULL);
        accepted += rc == 0;
        refused += rc == -ENOBUFS;
    }
    assert_int_equal(accepted, 1024);
    assert_int_equal(refused, 476);
    assert_int_equal(stats_of(r).dropped_qos0, 476);
    pump(300); /* the write completions come back */
    assert_int_equal(mqtt_client_publish(r->c, "lmg/nobody/x", "q0", 2, 0, false, NULL), 0);

    /* Unsubscribed: nothing more arrives. */
    assert_int_equal(mqtt_client_unsubscribe(r->c, "lmg/ps/#"), 0);
    assert_int_equal(mqtt_client_publish(r->c, "lmg/ps/c", "late", 4, 1, false, NULL), 0);
    WAIT_UNTIL(r->delivered >= 3, 5000);
    pump(100);
    assert_int_equal(r->nmsgs, 2);
    assert_int_equal(mqtt_client_stop(r->c, 1000), 0);
    rec_free(r);
}

static void test_no_offline_buffer(void **state)
{
    (void)state;
    mqtt_options_t o;
    base_options(&o, "lmg-it-nobuf");
    o.outbox_max_messages = 0; /* QoS 1 goes out only while connected */
    char err[256] = "";
    mqtt_client_t *c = mqtt_client_new(&o, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(mqtt_client_publish(c, "lmg/nobuf/x", "1", 1, 1, false, NULL), -ENOTCONN);
    mqtt_stats_t st;
    mqtt_client_stats(c, &st);
    assert_int_equal(st.dropped_overflow, 1);
    assert_int_equal(st.buffered, 0);
    mqtt_client_free(c);

    rec_t *r = connected_client(&o);
    subscribe_settled(r, "lmg/nobuf/#", "lmg/nobuf/probe");
    assert_int_equal(mqtt_client_publish(r->c, "lmg/nobuf/x", "2", 1, 1, false, NULL), 0);
    WAIT_UNTIL(r->nmsgs == 1, 5000);
    assert_string_equal(r->msgs[0].payload, "2");
    rec_free(r);
}

static void test_response_topic_and_correlation(void **state)
{
    (void)state;
    mqtt_options_t o;
    base_options(&o, "lmg-it-gw");
    rec_t *gw = connected_client(&o);
    subscribe_settled(gw, "lmg/dev1/command", "lmg/dev1/command");
    base_options(&o, "lmg-it-cloud");
    rec_t *cloud = connected_client(&o);
    subscribe_settled(cloud, "cloud/replies/#", "cloud/replies/probe");

    /* The cloud sends a command with a reply address and binary correlation data. */
    static const uint8_t corr[] = {0x00, 0x01, 0xfe, 0xff, 0x00};
    mqtt_pubprops_t props = {.response_topic = "cloud/replies/42",
                             .correlation = corr,
                             .correlation_len = sizeof(corr),
                             .content_type = "application/json"};
    const char *cmd = "{\"id\":\"42\",\"op\":\"read\",\"path\":\"/3/0/9\"}";
    assert_int_equal(
        mqtt_client_publish(cloud->c, "lmg/dev1/command", cmd, strlen(cmd), 1, false, &props), 0);
    WAIT_UNTIL(gw->nmsgs == 1, 5000);
    assert_int_equal(gw->nmsgs, 1);
    msg_rec_t *m = &gw->msgs[0];
    assert_string_equal(m->payload, cmd);
    assert_string_equal(m->response_topic, "cloud/replies/42");
    assert_int_equal(m->correlation_len, sizeof(corr));
    assert_memory_equal(m->correlation, corr, sizeof(corr));
    assert_string_equal(m->content_type, "application/json");

    /* The gateway answers where it was asked to, with the same correlation data. */
    mqtt_pubprops_t reply = {.correlation = m->correlation, .correlation_len = m->correlation_len};
    assert_int_equal(
        mqtt_client_publish(gw->c, m->response_topic, "{\"status\":205}", 14, 1, false, &reply), 0);
    WAIT_UNTIL(cloud->nmsgs == 1, 5000);
    assert_int_equal(cloud->nmsgs, 1);
    assert_string_equal(cloud->msgs[0].topic, "cloud/replies/42");
    assert_int_equal(cloud->msgs[0].correlation_len, sizeof(corr));
    assert_memory_equal(cloud->msgs[0].correlation, corr, sizeof(corr));
    assert_string_equal(cloud->msgs[0].response_topic, "");
    rec_free(gw);
    rec_free(cloud);
}

static void test_mqtt_311(void **state)
{
    (void)state;
    mqtt_options_t o;
    base_options(&o, "lmg-it-v311");
    o.version = 4;
    o.max_incoming_payload = 100;
    rec_t *r = connected_client(&o);
    subscribe_settled(r, "lmg/v311/#", "lmg/v311/probe");

    /* Larger than max_incoming_payload: dropped on arrival and counted (3.1.1 has no way to
     * tell the broker our limit; MQTT 5 sends it as Maximum Packet Size). */
    char big[200];
    memset(big, 'b', sizeof(big));
    assert_int_equal(mqtt_client_publish(r->c, "lmg/v311/big", big, sizeof(big), 1, false, NULL),
                     0);
    mqtt_pubprops_t props = {.response_topic = "ignored/with/3.1.1"};
    assert_int_equal(mqtt_client_publish(r->c, "lmg/v311/x", "old", 3, 1, true, &props), 0);
    WAIT_UNTIL(r->nmsgs == 1, 5000);
    assert_int_equal(r->nmsgs, 1);
    assert_string_equal(r->msgs[0].payload, "old");
    assert_string_equal(r->msgs[0].response_topic, "");
    assert_int_equal(stats_of(r).dropped_incoming, 1);
    /* Clear the retained message for later runs. */
    assert_int_equal(mqtt_client_publish(r->c, "lmg/v311/x", "", 0, 1, true, NULL), 0);
    WAIT_UNTIL(r->delivered >= 4, 5000);
    rec_free(r);
}

static void tls_options(mqtt_options_t *o, const char *client_id, const char *ca)
{
    static char uri[64];
    base_options(o, client_id);
    snprintf(uri, sizeof(uri), "ssl://127.0.0.1:%d", broker.tls_port);
    o->uri = uri;
    o->ca_file = path_in(ca);
    o->cert_file = path_in("client.pem");
    o->key_file = path_in("client.key");
    o->verify_hostname = true;
}

static void test_tls_with_client_certificate(void **state)
{
    (void)state;
    mqtt_options_t o;
    tls_options(&o, "lmg-it-tls", "ca.pem");
    rec_t *r = connected_client(&o);
    subscribe_settled(r, "lmg/tls/#", "lmg/tls/probe");
    assert_int_equal(mqtt_client_publish(r->c, "lmg/tls/x", "secret", 6, 1, false, NULL), 0);
    WAIT_UNTIL(r->nmsgs == 1, 5000);
    assert_string_equal(r->msgs[0].payload, "secret");
    rec_free(r);

    /* A broker certificate from an unknown CA: never connected, and the caller is told. */
    tls_options(&o, "lmg-it-tls-bad", "other-ca.pem");
    r = rec_new(&o);
    WAIT_UNTIL(r->errors >= 1, 5000);
    pump(300);
    assert_false(r->up);
    assert_int_equal(r->connected, 0);
    assert_true(stats_of(r).connect_failures >= 1);
    assert_true(r->saw_connect_error); /* "connect to ssl://127.0.0.1:... failed: ..." */
    rec_free(r);

    /* TLS files with a plain tcp:// uri are a configuration error. */
    base_options(&o, "lmg-it-tls-cfg");
    o.ca_file = path_in("ca.pem");
    char err[256] = "";
    assert_null(mqtt_client_new(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "TLS"));
}

static void test_broker_refusals(void **state)
{
    (void)state;
    static char uri[64];
    mqtt_options_t o;
    base_options(&o, "lmg-it-acl");
    snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", broker.acl_port);
    o.uri = uri;
    rec_t *r = connected_client(&o);
    subscribe_settled(r, "lmg/acl/ok/#", "lmg/acl/ok/probe");

    /* A refused QoS 1 message (PUBACK reason 0x87) is dropped and counted, and does not hold
     * up the messages behind it. */
    assert_int_equal(mqtt_client_publish(r->c, "lmg/acl/secret/x", "no", 2, 1, false, NULL), 0);
    assert_int_equal(mqtt_client_publish(r->c, "lmg/acl/ok/y", "yes", 3, 1, false, NULL), 0);
    WAIT_UNTIL(r->nmsgs >= 1 && stats_of(r).buffered == 0 && r->errors >= 1, 5000);
    assert_int_equal(r->nmsgs, 1);
    assert_string_equal(r->msgs[0].topic, "lmg/acl/ok/y");
    mqtt_stats_t st = stats_of(r);
    assert_int_equal(st.dropped_rejected, 1);
    assert_int_equal(st.delivered, 2); /* probe and y */
    assert_int_equal(r->errors, 1);
    assert_non_null(strstr(r->last_error, "lmg/acl/secret/x"));
    rec_free(r);
}

/* The --will-child process: connects with a Last Will, says "ready", then waits to be killed
 * (or, with "graceful", stops cleanly and exits). */
static int will_child(int port, const char *topic, bool graceful)
{
    char uri[64];
    snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", port);
    mqtt_options_t o;
    mqtt_options_init(&o);
    o.uri = uri;
    o.client_id = graceful ? "lmg-it-will-graceful" : "lmg-it-will-killed";
    o.will_topic = topic;
    o.will_payload = "offline";
    o.will_len = 7;
    o.will_qos = 1;
    char err[256];
    mqtt_client_t *c = mqtt_client_new(&o, err, sizeof(err));
    if (!c || mqtt_client_start(c) < 0)
        return 2;
    rec_t r = {0};
    r.c = c;
    uint64_t end = now_ms() + 5000;
    while (!r.up && now_ms() < end) {
        usleep(10000);
        mqtt_client_dispatch(c, on_event, &r);
    }
    if (!r.up)
        return 3;
    if (graceful) {
        int rc = mqtt_client_stop(c, 1000);
        mqtt_client_free(c);
        printf("ready\n");
        return rc == 0 ? 0 : 4;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}

static pid_t spawn_will_child(const char *topic, bool graceful, int *ret_out)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char port[16];
        snprintf(port, sizeof(port), "%d", broker.port);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        execl("/proc/self/exe", "test_mqtt_client", "--will-child", port, topic,
              graceful ? "graceful" : "kill", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    *ret_out = fds[0];
    return pid;
}

static void test_last_will_on_kill(void **state)
{
    (void)state;
    mqtt_options_t o;
    base_options(&o, "lmg-it-will-watch");
    rec_t *w = connected_client(&o);
    subscribe_settled(w, "lmg/will/#", "lmg/will/probe");

    /* Killed: the broker sees the socket close without DISCONNECT and publishes the will. */
    int out;
    pid_t pid = spawn_will_child("lmg/will/killed", false, &out);
    char line[16] = "";
    assert_true(read(out, line, sizeof(line) - 1) > 0);
    assert_string_equal(line, "ready\n");
    close(out);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    WAIT_UNTIL(w->nmsgs >= 1, 5000);
    assert_int_equal(w->nmsgs, 1);
    assert_string_equal(w->msgs[0].topic, "lmg/will/killed");
    assert_string_equal(w->msgs[0].payload, "offline");

    /* Stopped gracefully: DISCONNECT tells the broker to discard the will. */
    pid = spawn_will_child("lmg/will/graceful", true, &out);
    memset(line, 0, sizeof(line));
    assert_true(read(out, line, sizeof(line) - 1) > 0);
    close(out);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pump(300);
    WAIT_UNTIL(false, 300);
    assert_int_equal(w->nmsgs, 1);
    rec_free(w);
}

/* The subscriber of the outage tests: a persistent session, kept by the broker across its own
 * restart, so it gets what was published while it was itself reconnecting. */
static rec_t *persistent_subscriber(const char *client_id, const char *filter, const char *probe)
{
    mqtt_options_t o;
    base_options(&o, client_id);
    o.clean_start = false;
    o.session_expiry = 300;
    rec_t *s = connected_client(&o);
    subscribe_settled(s, filter, probe);
    return s;
}

static void publisher_options(mqtt_options_t *o, const char *client_id, const char *subdir)
{
    static char dir[128];
    base_options(o, client_id);
    snprintf(dir, sizeof(dir), "%s/%s", broker.dir, subdir);
    o->outbox_dir = dir;
}

/* Checks that sub received topic's messages with payloads first..last, in order, once each. */
static void assert_sequence(const rec_t *sub, const char *topic, int first, int last)
{
    int expect = first;
    for (size_t i = 0; i < sub->nmsgs; i++) {
        if (strcmp(sub->msgs[i].topic, topic) != 0)
            continue;
        char want[16];
        snprintf(want, sizeof(want), "%d", expect);
        if (strcmp(sub->msgs[i].payload, want) != 0)
            fail_msg("message %zu: got %s, expected %s", i, sub->msgs[i].payload, want);
        expect++;
    }
    assert_int_equal(expect, last + 1);
}

static size_t count_topic(const rec_t *sub, const char *topic)
{
    size_t n = 0;
    for (size_t i = 0; i < sub->nmsgs; i++)
        n += strcmp(sub->msgs[i].topic, topic) == 0;
    return n;
}

static void test_broker_outage(void **state)
{
    (void)state;
    rec_t *sub = persistent_subscriber("lmg-it-out-sub", "lmg/out/#", "lmg/out/probe");
    mqtt_options_t o;
    publisher_options(&o, "lmg-it-out-pub", "outbox-outage");
    o.outbox_max_messages = 50;
    rec_t *pub = connected_client(&o);

    broker_stop();
    WAIT_UNTIL(!pub->up && !sub->up, 5000);
    assert_false(pub->up);

    /* 60 QoS 1 notifications during the outage: the outbox keeps the newest 50. */
    for (int i = 0; i < 60; i++) {
        char payload[16];
        int n = snprintf(payload, sizeof(payload), "%d", i);
        assert_int_equal(
            mqtt_client_publish(pub->c, "lmg/out/seq", payload, (size_t)n, 1, false, NULL), 0);
    }
    assert_int_equal(mqtt_client_publish(pub->c, "lmg/out/q0", "x", 1, 0, false, NULL), -ENOTCONN);
    pump(50);
    mqtt_stats_t st = stats_of(pub);
    assert_int_equal(st.buffered, 50);
    assert_int_equal(st.dropped_overflow, 10);
    assert_int_equal(st.dropped_qos0, 1);
    assert_true(pub->errors >= 1); /* "outbox full ... dropping the oldest" */

    broker_start();
    WAIT_UNTIL(count_topic(sub, "lmg/out/seq") >= 50 && stats_of(pub).buffered == 0, 10000);
    assert_sequence(sub, "lmg/out/seq", 10, 59);
    st = stats_of(pub);
    assert_int_equal(st.buffered, 0);
    assert_int_equal(st.delivered, 50);
    assert_true(st.reconnects >= 1);
    assert_true(pub->disconnected >= 1 && pub->connected >= 2);
    rec_free(pub);
    rec_free(sub);
}

/* At least once, in order: every message first..last arrives, none arrives before all those
 * published before it, and a repeat (a message re-sent after its PUBACK was lost with the
 * connection) only ever goes back to messages already seen. */
static void assert_at_least_once_in_order(const rec_t *sub, const char *topic, int first, int last)
{
    int next = first;
    for (size_t i = 0; i < sub->nmsgs; i++) {
        if (strcmp(sub->msgs[i].topic, topic) != 0)
            continue;
        int v = atoi(sub->msgs[i].payload);
        if (v > next)
            fail_msg("message %zu: got %d before %d", i, v, next);
        if (v == next)
            next++;
    }
    assert_int_equal(next, last + 1);
}

static size_t unique_count(const rec_t *sub, const char *topic)
{
    int next = 0;
    for (size_t i = 0; i < sub->nmsgs; i++)
        if (strcmp(sub->msgs[i].topic, topic) == 0 && atoi(sub->msgs[i].payload) == next)
            next++;
    return (size_t)next;
}

static void test_outage_with_messages_in_flight(void **state)
{
    (void)state;
    rec_t *sub = persistent_subscriber("lmg-it-fly-sub", "lmg/fly/#", "lmg/fly/probe");
    mqtt_options_t o;
    publisher_options(&o, "lmg-it-fly-pub", "outbox-flight");
    o.max_inflight = 8;
    rec_t *pub = connected_client(&o);

    /* The broker goes while messages are acknowledged, in flight and waiting, all at once. */
    for (int i = 0; i < 200; i++) {
        char payload[16];
        int n = snprintf(payload, sizeof(payload), "%d", i);
        assert_int_equal(
            mqtt_client_publish(pub->c, "lmg/fly/seq", payload, (size_t)n, 1, false, NULL), 0);
        if (i % 50 == 49)
            pump(2);
    }
    broker_stop();
    WAIT_UNTIL(!pub->up && !sub->up, 5000);
    mqtt_stats_t st = stats_of(pub);
    assert_true(st.buffered > 0 && st.buffered < 200);
    assert_int_equal(st.inflight, 0); /* the lost connection took them back */

    broker_start();
    WAIT_UNTIL(unique_count(sub, "lmg/fly/seq") == 200 && stats_of(pub).buffered == 0, 10000);
    assert_at_least_once_in_order(sub, "lmg/fly/seq", 0, 199);
    assert_int_equal(stats_of(pub).dropped_overflow, 0);
    rec_free(pub);
    rec_free(sub);
}

static void test_restart_during_outage(void **state)
{
    (void)state;
    rec_t *sub = persistent_subscriber("lmg-it-rst-sub", "lmg/rst/#", "lmg/rst/probe");
    broker_stop();
    WAIT_UNTIL(!sub->up, 5000);

    /* The gateway buffers during the outage, then stops (crash or update) before it ends. */
    mqtt_options_t o;
    publisher_options(&o, "lmg-it-rst-pub", "outbox-restart");
    rec_t *pub = rec_new(&o);
    pump(50);
    for (int i = 0; i < 20; i++) {
        char payload[16];
        int n = snprintf(payload, sizeof(payload), "%d", i);
        assert_int_equal(
            mqtt_client_publish(pub->c, "lmg/rst/seq", payload, (size_t)n, 1, false, NULL), 0);
    }
    assert_int_equal(stats_of(pub).buffered, 20);
    rec_free(pub);

    /* The new process finds everything in the outbox and delivers it once the broker is back. */
    pub = rec_new(&o);
    mqtt_stats_t st = stats_of(pub);
    assert_int_equal(st.outbox_recovered, 20);
    assert_int_equal(st.buffered, 20);
    assert_int_equal(st.outbox_discarded_bytes, 0);
    broker_start();
    WAIT_UNTIL(count_topic(sub, "lmg/rst/seq") >= 20 && stats_of(pub).buffered == 0, 10000);
    assert_sequence(sub, "lmg/rst/seq", 0, 19);
    assert_int_equal(stats_of(pub).delivered, 20);
    rec_free(pub);
    rec_free(sub);
}

/* A failed assertion leaves its clients behind: free them before the next test. */
static int free_leftovers(void **state)
{
    (void)state;
    for (size_t i = 0; i < 8; i++)
        if (recs[i])
            rec_free(recs[i]);
    int status;
    if (broker.pid > 0 && waitpid(broker.pid, &status, WNOHANG) == broker.pid)
        broker.pid = 0;
    if (broker.pid <= 0)
        broker_start();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--will-child") == 0)
        return will_child(atoi(argv[2]), argv[3], strcmp(argv[4], "graceful") == 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_publish_subscribe_v5, free_leftovers),
        cmocka_unit_test_teardown(test_no_offline_buffer, free_leftovers),
        cmocka_unit_test_teardown(test_response_topic_and_correlation, free_leftovers),
        cmocka_unit_test_teardown(test_mqtt_311, free_leftovers),
        cmocka_unit_test_teardown(test_tls_with_client_certificate, free_leftovers),
        cmocka_unit_test_teardown(test_broker_refusals, free_leftovers),
        cmocka_unit_test_teardown(test_last_will_on_kill, free_leftovers),
        cmocka_unit_test_teardown(test_broker_outage, free_leftovers),
        cmocka_unit_test_teardown(test_outage_with_messages_in_flight, free_leftovers),
        cmocka_unit_test_teardown(test_restart_during_outage, free_leftovers),
    };
    if (getenv("LMG_TEST_FILTER"))
        cmocka_set_test_filter(getenv("LMG_TEST_FILTER"));
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
