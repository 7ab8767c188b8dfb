/* bench_load.c - the benchmark's load generator: many LwM2M devices from one process, each its
 * own UDP socket (connected to the server, spread over 127.1.0.0/16 source addresses so that
 * ephemeral ports never run short), driven by one epoll loop. It registers every device (a
 * storm with a bounded window of Registers in flight, CoAP retransmission for lost ones),
 * answers the server's requests (Observe on /3303/0/5700, reads), then optionally: holds the
 * devices idle and samples a process's RSS and CPU; sends Observe notifications at increasing
 * rates and measures what arrives on MQTT (or what a bare server counted) and the latency;
 * sends MQTT commands at a fixed rate and measures the round trip.
 *
 * Results are printed as "RESULT key value" lines for run.sh; progress goes to stderr. */

#include <MQTTAsync.h>
#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_coap.h"
#include "bench_common.h"

#define DEVICES_PER_ADDRESS 10000
/* Beyond the open-files limit, devices share SHARED_SOCKETS sockets: device i sends from
 * socket i % SHARED_SOCKETS with its own source address SHARED_BASE + i / SHARED_SOCKETS
 * (IP_PKTINFO), and a reply's destination address names the device again. */
#define SHARED_SOCKETS 64
#define SHARED_BASE 0x7f020001u
#define SHARED_TAG 0x80000000u
#define REG_TIMEOUT_US 2000000

enum { DEV_IDLE, DEV_HANDSHAKE, DEV_REG_SENT, DEV_REGISTERED, DEV_FAILED };

typedef struct device {
    int fd;
    uint8_t state, tries, obs_token_len;
    uint8_t obs_token[8];
    uint16_t mid;
    uint32_t obs_seq;
    int64_t sent_us;
    gnutls_session_t tls; /* DTLS mode: the device's session, NULL before the handshake */
} device_t;

typedef struct options {
    struct sockaddr_in server, count_server;
    int devices, window, pid, idle_seconds, step_seconds, command_rate, command_seconds;
    int observe_wait, count_mode, patient;
    const char *prefix, *mqtt_uri, *rates, *root;
    gnutls_datum_t psk; /* --psk HEX: every device does DTLS with identity "{ep}-id" */
} options_t;

static options_t opt = {.devices = 1000,
                        .window = 100,
                        .step_seconds = 3,
                        .command_seconds = 5,
                        .prefix = "bench",
                        .root = "lwm2m"};
static device_t *devs;
static int epfd;
static int shared_fd[SHARED_SOCKETS], shared; /* shared: devices share sockets */
static int registered, failed, observed, handshake_retries;

/* What the MQTT thread records: receive times by sequence number (notifications) and by
 * command number; written by Paho's callback thread, read by main after a drain. */
static int64_t *notify_sent, *notify_recv, *cmd_sent, *cmd_recv;
static size_t notify_cap, cmd_cap;
static MQTTAsync mqtt;
static volatile int mqtt_ready, mqtt_failed;

static void send_dev(int i, const bench_msg_out_t *m)
{
    if (m->overflow)
        return;
    if (devs[i].tls) {
        gnutls_record_send(devs[i].tls, m->buf, m->len);
        return;
    }
    if (shared) {
        char control[CMSG_SPACE(sizeof(struct in_pktinfo))] = {0};
        struct iovec iov = {.iov_base = m->buf, .iov_len = m->len};
        struct msghdr mh = {.msg_name = &opt.server,
                            .msg_namelen = sizeof(opt.server),
                            .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control,
                            .msg_controllen = sizeof(control)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
        struct in_pktinfo *pi = (struct in_pktinfo *)(void *)CMSG_DATA(c);
        pi->ipi_spec_dst.s_addr = htonl(SHARED_BASE + (uint32_t)(i / SHARED_SOCKETS));
        if (sendmsg(shared_fd[i % SHARED_SOCKETS], &mh, 0) < 0 && errno != EAGAIN)
            fprintf(stderr, "device %d: sendmsg: %s\n", i, strerror(errno));
        return;
    }
    if (send(devs[i].fd, m->buf, m->len, 0) < 0 && errno != EAGAIN)
        fprintf(stderr, "device %d: send: %s\n", i, strerror(errno));
}

/* Reads what waits on shared socket k; each datagram goes to the device its destination
 * address names. */
static int read_shared(int k, void (*handle)(int, const uint8_t *, size_t))
{
    uint8_t buf[2048];
    char control[CMSG_SPACE(sizeof(struct in_pktinfo))];
    int handled = 0;
    for (;;) {
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control,
                            .msg_controllen = sizeof(control)};
        ssize_t len = recvmsg(shared_fd[k], &mh, MSG_DONTWAIT);
        if (len < 0)
            return handled;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_PKTINFO)
                continue;
            const struct in_pktinfo *pi = (const void *)CMSG_DATA(c);
            uint32_t slot = ntohl(pi->ipi_addr.s_addr) - SHARED_BASE;
            long i = (long)slot * SHARED_SOCKETS + k;
            if (slot < 0x01000000u && i < opt.devices) {
                handle((int)i, buf, (size_t)len);
                handled++;
            }
        }
    }
}

static void send_register_message(int i);

/* Device i's own socket: bound to its source address, connected to the server, in epoll. */
static int open_socket(int i)
{
    struct sockaddr_in local = {.sin_family = AF_INET};
    local.sin_addr.s_addr = htonl(0x7f010001u + (uint32_t)(i / DEVICES_PER_ADDRESS));
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
        connect(fd, (struct sockaddr *)&opt.server, sizeof(opt.server)) < 0) {
        fprintf(stderr, "device %d: socket: %s (raise ulimit -n?)\n", i, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    devs[i].fd = fd;
    return 0;
}

/* A DTLS device starts over from a new port, as a rebooted device would: the server may still
 * hold its half-done handshake for the old address. */
static void restart_dtls(int i)
{
    gnutls_deinit(devs[i].tls);
    devs[i].tls = NULL;
    close(devs[i].fd);
    handshake_retries++;
    if (open_socket(i) < 0) {
        devs[i].state = DEV_FAILED;
        failed++;
    }
}

/* DTLS: start (or continue) the device's handshake; the Register follows when it is done. */
static void handshake(int i)
{
    device_t *d = &devs[i];
    if (!d->tls) {
        char identity[80];
        gnutls_psk_client_credentials_t cred;
        snprintf(identity, sizeof(identity), "%s-%d-id", opt.prefix, i);
        gnutls_psk_allocate_client_credentials(&cred);
        gnutls_psk_set_client_credentials(cred, identity, &opt.psk, GNUTLS_PSK_KEY_RAW);
        gnutls_init(&d->tls, GNUTLS_CLIENT | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK);
        gnutls_priority_set_direct(d->tls, "NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK", NULL);
        gnutls_credentials_set(d->tls, GNUTLS_CRD_PSK, cred);
        gnutls_transport_set_int(d->tls, d->fd);
        gnutls_dtls_set_mtu(d->tls, 1280);
        gnutls_dtls_set_timeouts(d->tls, 1000, 10000);
        d->state = DEV_HANDSHAKE;
        d->sent_us = bench_now_us();
    }
    int rc = gnutls_handshake(d->tls);
    if (rc == GNUTLS_E_SUCCESS) {
        send_register_message(i);
    } else if (gnutls_error_is_fatal(rc) && d->tries < 3) {
        /* as a device would: start over with a fresh handshake (the server may have dropped
         * a half-done one under load) */
        fprintf(stderr, "device %d: DTLS handshake: %s, retrying\n", i, gnutls_strerror(rc));
        d->tries++;
        restart_dtls(i);
        if (d->state != DEV_FAILED)
            handshake(i);
    } else if (gnutls_error_is_fatal(rc)) {
        fprintf(stderr, "device %d: DTLS handshake: %s\n", i, gnutls_strerror(rc));
        d->state = DEV_FAILED;
        failed++;
    }
}

static void send_register(int i)
{
    if (opt.psk.size && devs[i].state != DEV_REG_SENT)
        handshake(i);
    else
        send_register_message(i);
}

static void send_register_message(int i)
{
    uint8_t buf[256];
    char ep[64];
    bench_msg_out_t m;
    device_t *d = &devs[i];
    uint8_t token[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
    static const char links[] = "</1/0>,</3/0>,</3303/0>";
    int n = snprintf(ep, sizeof(ep), "ep=%s-%d", opt.prefix, i);
    bench_out_init(&m, buf, sizeof(buf), BENCH_CON, BENCH_CODE(0, 2), ++d->mid, token,
                   sizeof(token));
    bench_out_option(&m, 11, "rd", 2);
    bench_out_uint_option(&m, 12, 40);
    bench_out_option(&m, 15, ep, (size_t)n);
    bench_out_option(&m, 15, "lt=86400", 8);
    bench_out_option(&m, 15, "lwm2m=1.1", 9);
    bench_out_option(&m, 15, "b=U", 3);
    bench_out_payload(&m, links, sizeof(links) - 1);
    d->state = DEV_REG_SENT;
    d->sent_us = bench_now_us();
    send_dev(i, &m);
}

static void reply(int i, const bench_msg_in_t *req, uint8_t code, int observe, const char *text)
{
    uint8_t buf[128];
    bench_msg_out_t m;
    int type = req->type == BENCH_CON ? BENCH_ACK : BENCH_NON;
    uint16_t mid = req->type == BENCH_CON ? req->mid : ++devs[i].mid;
    bench_out_init(&m, buf, sizeof(buf), type, code, mid, req->token, req->token_len);
    if (observe >= 0)
        bench_out_uint_option(&m, 6, (uint32_t)observe);
    if (text) {
        bench_out_uint_option(&m, 12, 0);
        bench_out_payload(&m, text, strlen(text));
    }
    send_dev(i, &m);
}

static void handle_request(int i, const bench_msg_in_t *in)
{
    device_t *d = &devs[i];
    uint8_t method = in->code;
    if (method == BENCH_CODE(0, 1) && strcmp(in->uri, "/3303/0/5700") == 0) {
        if (in->has_observe && in->observe == 0) {
            if (!d->obs_token_len)
                observed++;
            memcpy(d->obs_token, in->token, in->token_len);
            d->obs_token_len = (uint8_t)(in->token_len ? in->token_len : 1);
            d->obs_seq = 1;
            return reply(i, in, BENCH_CODE(2, 5), 1, "0");
        }
        if (in->has_observe && in->observe == 1 && d->obs_token_len) {
            d->obs_token_len = 0;
            observed--;
        }
        return reply(i, in, BENCH_CODE(2, 5), -1, "21.5");
    }
    if (method == BENCH_CODE(0, 1))
        return reply(i, in, BENCH_CODE(4, 4), -1, NULL);
    reply(i, in, method == BENCH_CODE(0, 4) ? BENCH_CODE(2, 2) : BENCH_CODE(2, 4), -1, NULL);
}

static void handle_datagram(int i, const uint8_t *data, size_t len)
{
    bench_msg_in_t in;
    device_t *d = &devs[i];
    if (bench_parse(data, len, &in) < 0)
        return;
    if (in.code == 0) { /* ping or empty ACK/RST */
        if (in.type == BENCH_CON) {
            uint8_t buf[4];
            bench_msg_out_t m;
            bench_out_init(&m, buf, sizeof(buf), BENCH_RST, 0, in.mid, NULL, 0);
            send_dev(i, &m);
        }
        return;
    }
    if (in.code < 32) {
        handle_request(i, &in);
        return;
    }
    if (in.type == BENCH_ACK && d->state == DEV_REG_SENT && in.mid == d->mid) {
        if (in.code == BENCH_CODE(2, 1)) {
            d->state = DEV_REGISTERED;
            registered++;
        } else {
            d->state = DEV_FAILED;
            failed++;
            if (failed <= 5)
                fprintf(stderr, "device %d: register answered %d.%02d: %.*s\n", i, in.code >> 5,
                        in.code & 31, (int)in.payload_len, (const char *)in.payload);
        }
    }
}

/* Reads what is waiting, for up to timeout_ms; returns the number of datagrams handled. */
static int poll_devices(int timeout_ms)
{
    struct epoll_event ev[256];
    uint8_t buf[2048];
    int handled = 0;
    int n = epoll_wait(epfd, ev, 256, timeout_ms);
    for (int k = 0; k < n; k++) {
        if (ev[k].data.u32 & SHARED_TAG) {
            handled += read_shared((int)(ev[k].data.u32 & ~SHARED_TAG), handle_datagram);
            continue;
        }
        int i = (int)ev[k].data.u32;
        ssize_t len;
        if (devs[i].tls) {
            if (devs[i].state == DEV_HANDSHAKE) {
                handshake(i);
                continue;
            }
            while ((len = gnutls_record_recv(devs[i].tls, buf, sizeof(buf))) > 0) {
                handle_datagram(i, buf, (size_t)len);
                handled++;
            }
            continue;
        }
        while ((len = recv(devs[i].fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
            handle_datagram(i, buf, (size_t)len);
            handled++;
        }
    }
    return handled;
}

static int open_devices(void)
{
    devs = calloc((size_t)opt.devices, sizeof(*devs));
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!devs || epfd < 0)
        return -1;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (!opt.psk.size && (rlim_t)opt.devices + 512 > rl.rlim_cur) {
        fprintf(stderr, "%d devices over %d shared sockets (open files limited to %lu)\n",
                opt.devices, SHARED_SOCKETS, (unsigned long)rl.rlim_cur);
        shared = 1;
        for (int k = 0; k < SHARED_SOCKETS; k++) {
            int on = 1, size = 8 * 1024 * 1024;
            struct sockaddr_in any = {.sin_family = AF_INET};
            int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
            if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0 ||
                bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0)
                return -1;
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = SHARED_TAG | (uint32_t)k};
            epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
            shared_fd[k] = fd;
        }
        for (int i = 0; i < opt.devices; i++) {
            devs[i].fd = -1;
            devs[i].mid = (uint16_t)(i * 7919);
        }
        return 0;
    }
    for (int i = 0; i < opt.devices; i++) {
        if (open_socket(i) < 0)
            return -1;
        devs[i].mid = (uint16_t)(i * 7919);
    }
    return 0;
}

static void register_all(void)
{
    int next = 0, inflight_scan = 0;
    int64_t t0 = bench_now_us(), last_scan = t0, last_print = t0;
    int *inflight = calloc((size_t)opt.window, sizeof(int));
    int inflight_n = 0;
    while (registered + failed < opt.devices) {
        /* compact the in-flight list, resend what timed out, fill the window */
        int64_t now = bench_now_us();
        int k = 0;
        for (int j = 0; j < inflight_n; j++) {
            int i = inflight[j];
            if (devs[i].state != DEV_REG_SENT && devs[i].state != DEV_HANDSHAKE)
                continue;
            inflight[k++] = i;
            if (devs[i].state == DEV_HANDSHAKE) {
                if (now - last_scan >= 50000)
                    handshake(i); /* GnuTLS retransmits when its timer has run out */
                continue;
            }
            if (now - last_scan >= 50000 &&
                now - devs[i].sent_us > ((int64_t)REG_TIMEOUT_US << devs[i].tries)) {
                if (++devs[i].tries < 5) {
                    send_register(i);
                } else if (devs[i].tls && devs[i].tries < 8) {
                    /* the server lost the DTLS session: a device would handshake again */
                    restart_dtls(i);
                    if (devs[i].state != DEV_FAILED)
                        handshake(i);
                } else {
                    devs[i].state = DEV_FAILED;
                    failed++;
                }
            }
        }
        if (now - last_scan >= 50000)
            last_scan = now;
        inflight_n = k;
        while (inflight_n < opt.window && next < opt.devices) {
            inflight[inflight_n++] = next;
            send_register(next++);
        }
        poll_devices(1);
        inflight_scan++;
        if (now - last_print > 2000000) {
            fprintf(stderr, "registered %d/%d\n", registered, opt.devices);
            last_print = now;
        }
    }
    double seconds = (double)(bench_now_us() - t0) / 1e6;
    free(inflight);
    if (opt.psk.size)
        printf("RESULT handshake_retries %d\n", handshake_retries);
    printf("RESULT reg_devices %d\nRESULT reg_failed %d\nRESULT reg_seconds %.3f\n"
           "RESULT reg_rate %.0f\n",
           registered, failed, seconds, registered / seconds);
    fflush(stdout);
}

static void serve_for(int64_t us)
{
    int64_t end = bench_now_us() + us;
    while (bench_now_us() < end)
        poll_devices(10);
}

/* ---- MQTT side (gateway mode) ---- */

static void on_connect(void *ctx, MQTTAsync_successData *r)
{
    (void)ctx;
    (void)r;
    mqtt_ready = 1;
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *r)
{
    (void)ctx;
    (void)r;
    mqtt_failed = 1;
}

static void on_subscribed(void *ctx, MQTTAsync_successData *r)
{
    (void)r;
    __atomic_add_fetch((int *)ctx, 1, __ATOMIC_SEQ_CST);
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
    (void)ctx;
    (void)topic_len;
    int64_t now = bench_now_us();
    char text[512];
    size_t n =
        (size_t)msg->payloadlen < sizeof(text) - 1 ? (size_t)msg->payloadlen : sizeof(text) - 1;
    memcpy(text, msg->payload, n);
    text[n] = 0;
    if (strstr(topic, "/data/")) {
        const char *v = strstr(text, "\"value\":");
        /* the first notification may count as the observe's answer ("source":"observe")
         * when it overtakes it; the answer itself carries 0, reads 21.5 */
        if (v && !strstr(text, "\"source\":\"read\"")) {
            size_t seq = (size_t)strtod(v + 8, NULL);
            if (seq < notify_cap)
                __atomic_store_n(&notify_recv[seq], now, __ATOMIC_RELAXED);
        }
    } else if (strstr(topic, "/response")) {
        const char *id = strstr(text, "\"id\":\"c");
        if (id && strstr(text, "\"status\":\"response\"")) {
            size_t k = (size_t)strtoul(id + 7, NULL, 10);
            if (k < cmd_cap)
                __atomic_store_n(&cmd_recv[k], now, __ATOMIC_RELAXED);
        }
    }
    MQTTAsync_freeMessage(&msg);
    MQTTAsync_free(topic);
    return 1;
}

static int mqtt_start(void)
{
    char id[64], topic_data[160], topic_rsp[160];
    static int subscribed;
    snprintf(id, sizeof(id), "bench-load-%d", (int)getpid());
    if (MQTTAsync_create(&mqtt, opt.mqtt_uri, id, MQTTCLIENT_PERSISTENCE_NONE, NULL) !=
        MQTTASYNC_SUCCESS)
        return -1;
    MQTTAsync_setCallbacks(mqtt, NULL, NULL, on_message, NULL);
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    co.cleansession = 1;
    co.keepAliveInterval = 60;
    co.maxInflight = 65535;
    co.onSuccess = on_connect;
    co.onFailure = on_connect_failure;
    if (MQTTAsync_connect(mqtt, &co) != MQTTASYNC_SUCCESS)
        return -1;
    while (!mqtt_ready && !mqtt_failed)
        usleep(10000);
    if (mqtt_failed)
        return -1;
    snprintf(topic_data, sizeof(topic_data), "%s/+/data/#", opt.root);
    snprintf(topic_rsp, sizeof(topic_rsp), "%s/+/response", opt.root);
    char *topics[2] = {topic_data, topic_rsp};
    int qos[2] = {0, 0};
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    ro.onSuccess = on_subscribed;
    ro.context = &subscribed;
    MQTTAsync_subscribeMany(mqtt, 2, topics, qos, &ro);
    for (int w = 0; w < 500 && !__atomic_load_n(&subscribed, __ATOMIC_SEQ_CST); w++)
        usleep(10000);
    return __atomic_load_n(&subscribed, __ATOMIC_SEQ_CST) ? 0 : -1;
}

/* ---- bare-server mode: ask the server how many notifications it has seen ---- */

static long query_count(void)
{
    uint8_t buf[64], rx[256];
    bench_msg_out_t m;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = 1};
    long count = -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const struct sockaddr_in *to = opt.count_server.sin_port ? &opt.count_server : &opt.server;
    connect(fd, (const struct sockaddr *)to, sizeof(*to));
    for (int attempt = 0; attempt < 5 && count < 0; attempt++) {
        bench_out_init(&m, buf, sizeof(buf), BENCH_CON, BENCH_CODE(0, 1), (uint16_t)attempt,
                       (const uint8_t *)"c", 1);
        bench_out_option(&m, 11, "count", 5);
        send(fd, m.buf, m.len, 0);
        ssize_t n = recv(fd, rx, sizeof(rx), 0);
        bench_msg_in_t in;
        if (n > 0 && bench_parse(rx, (size_t)n, &in) == 0 && in.payload) {
            char text[32];
            size_t l = in.payload_len < sizeof(text) - 1 ? in.payload_len : sizeof(text) - 1;
            memcpy(text, in.payload, l);
            text[l] = 0;
            count = strtol(text, NULL, 10);
        }
    }
    close(fd);
    return count;
}

/* ---- notifications ---- */

static void send_notification(int i, size_t seq)
{
    uint8_t buf[64];
    char text[24];
    bench_msg_out_t m;
    device_t *d = &devs[i];
    int n = snprintf(text, sizeof(text), "%zu", seq);
    bench_out_init(&m, buf, sizeof(buf), BENCH_NON, BENCH_CODE(2, 5), ++d->mid, d->obs_token,
                   d->obs_token_len);
    bench_out_uint_option(&m, 6, ++d->obs_seq);
    bench_out_uint_option(&m, 12, 0);
    bench_out_payload(&m, text, (size_t)n);
    send_dev(i, &m);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void report_latency(const char *prefix, const int64_t *sent, const int64_t *recv,
                           size_t from, size_t to, size_t *ret_delivered)
{
    int64_t *lat = malloc((to - from + 1) * sizeof(*lat));
    size_t n = 0;
    for (size_t s = from; s < to; s++) {
        int64_t r = __atomic_load_n(&recv[s], __ATOMIC_RELAXED);
        if (r && sent[s])
            lat[n++] = r - sent[s];
    }
    qsort(lat, n, sizeof(*lat), cmp_i64);
    double p50 = n ? (double)lat[n / 2] / 1000.0 : -1,
           p99 = n ? (double)lat[n * 99 / 100] / 1000.0 : -1;
    printf("RESULT %s_p50_ms %.3f\nRESULT %s_p99_ms %.3f\n", prefix, p50, prefix, p99);
    *ret_delivered = n;
    free(lat);
}

static size_t delivered_between(size_t from, size_t to, int show_missing)
{
    size_t n = 0;
    int shown = 0;
    for (size_t s = from; s < to; s++) {
        int got = __atomic_load_n(&notify_recv[s], __ATOMIC_RELAXED) != 0;
        n += (size_t)got;
        if (!got && show_missing && shown++ < 5)
            fprintf(stderr, "notification %zu did not arrive\n", s);
    }
    return n;
}

static void notify_steps(void)
{
    int rates[32], nrates = 0;
    size_t total = 1;
    for (const char *p = opt.rates; p && *p && nrates < 32;) {
        rates[nrates] = atoi(p);
        total += (size_t)rates[nrates++] * (size_t)opt.step_seconds + 16;
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    notify_cap = total;
    notify_sent = calloc(total, sizeof(int64_t));
    notify_recv = calloc(total, sizeof(int64_t));
    int *targets = calloc((size_t)opt.devices, sizeof(int));
    int ntargets = 0;
    for (int i = 0; i < opt.devices; i++)
        if (devs[i].obs_token_len)
            targets[ntargets++] = i;
    if (!ntargets) {
        fprintf(stderr, "no observed device: no notifications\n");
        return;
    }
    size_t seq = 1;
    int next_dev = 0;
    for (int r = 0; r < nrates; r++) {
        long count0 = opt.count_mode ? query_count() : 0;
        size_t first = seq, planned = (size_t)rates[r] * (size_t)opt.step_seconds;
        int64_t t0 = bench_now_us();
        while (seq - first < planned) {
            int64_t now = bench_now_us();
            size_t due = (size_t)((double)(now - t0) * rates[r] / 1e6) + 1;
            if (due > planned)
                due = planned;
            while (seq - first < due) {
                notify_sent[seq] = bench_now_us();
                send_notification(targets[next_dev], seq);
                next_dev = (next_dev + 1) % ntargets;
                seq++;
            }
            poll_devices(1); /* not 0: a spinning generator takes a core from the gateway */
        }
        /* drain: until everything arrived or nothing more arrives for 1 s (at most 5 s) */
        size_t delivered = 0, last = (size_t)-1;
        int64_t last_change = bench_now_us(),
                end = last_change + (opt.patient ? 60000000 : 5000000);
        int64_t quiet = opt.patient ? 10000000 : 1000000;
        long count = 0;
        while (bench_now_us() < end && bench_now_us() - last_change < quiet) {
            serve_for(200000);
            if (opt.count_mode) {
                count = query_count() - count0;
                delivered = count < 0 ? 0 : (size_t)count;
            } else {
                delivered = delivered_between(first, seq, 0);
            }
            if (delivered != last) {
                last = delivered;
                last_change = bench_now_us();
            }
            if (delivered >= planned)
                break;
        }
        if (!opt.count_mode && delivered < planned)
            delivered_between(first, seq, 1);
        printf("RESULT notify_step %d\nRESULT notify_offered %d\n", r, rates[r]);
        if (!opt.count_mode)
            report_latency("notify", notify_sent, notify_recv, first, seq, &delivered);
        double loss = 1.0 - (double)delivered / (double)planned;
        printf("RESULT notify_delivered %zu\nRESULT notify_sent %zu\nRESULT notify_rate %.0f\n"
               "RESULT notify_loss_pct %.2f\n",
               delivered, planned, (double)delivered / opt.step_seconds, loss * 100);
        fflush(stdout);
        fprintf(stderr, "notify %d/s: %zu/%zu delivered\n", rates[r], delivered, planned);
        if (loss > 0.01)
            break;
    }
    free(targets);
}

/* ---- commands ---- */

static void command_run(void)
{
    cmd_cap = (size_t)opt.command_rate * (size_t)opt.command_seconds + 1;
    cmd_sent = calloc(cmd_cap, sizeof(int64_t));
    cmd_recv = calloc(cmd_cap, sizeof(int64_t));
    size_t planned = cmd_cap - 1, k = 0;
    int64_t t0 = bench_now_us();
    int dev = 0;
    while (k < planned) {
        size_t due = (size_t)((double)(bench_now_us() - t0) * opt.command_rate / 1e6) + 1;
        while (k < planned && k < due) {
            char topic[128], payload[128];
            while (devs[dev].state != DEV_REGISTERED)
                dev = (dev + 1) % opt.devices;
            snprintf(topic, sizeof(topic), "%s/%s-%d/command", opt.root, opt.prefix, dev);
            int n = snprintf(payload, sizeof(payload),
                             "{\"id\":\"c%zu\",\"op\":\"read\",\"path\":\"/3303/0/5700\"}", k);
            MQTTAsync_message msg = MQTTAsync_message_initializer;
            msg.payload = payload;
            msg.payloadlen = n;
            msg.qos = 1;
            cmd_sent[k] = bench_now_us();
            MQTTAsync_sendMessage(mqtt, topic, &msg, NULL);
            dev = (dev + 1) % opt.devices;
            k++;
        }
        poll_devices(1); /* not 0: a spinning generator takes a core from the gateway */
    }
    int64_t end = bench_now_us() + (opt.patient ? 60000000 : 5000000);
    size_t got = 0;
    while (bench_now_us() < end) {
        serve_for(100000);
        got = 0;
        for (size_t s = 0; s < planned; s++)
            got += __atomic_load_n(&cmd_recv[s], __ATOMIC_RELAXED) != 0;
        if (got == planned)
            break;
    }
    printf("RESULT cmd_rate %d\nRESULT cmd_sent %zu\n", opt.command_rate, planned);
    report_latency("cmd", cmd_sent, cmd_recv, 0, planned, &got);
    printf("RESULT cmd_answered %zu\n", got);
    fflush(stdout);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench-load --server ADDR:PORT [--devices N] [--window W] [--prefix P]\n"
            "  [--pid PID] [--idle S] [--mqtt URI] [--observe-wait] [--count]\n"
            "  [--rates R1,R2,...] [--step S] [--commands RATE] [--command-seconds S]\n"
            "  [--count-server ADDR:PORT]  (where --count asks, default --server)\n"
            "  [--psk HEXKEY]  (DTLS 1.2 PSK, identity {prefix}-{i}-id, endpoint {prefix}-{i})\n"
            "  [--patient]  (drain for up to 60 s: slow sanitizer builds)\n");
    exit(2);
}

static void parse_args(int argc, char **argv)
{
    static const struct option longs[] = {{"server", 1, 0, 's'},
                                          {"devices", 1, 0, 'n'},
                                          {"window", 1, 0, 'w'},
                                          {"prefix", 1, 0, 'p'},
                                          {"pid", 1, 0, 'P'},
                                          {"idle", 1, 0, 'i'},
                                          {"mqtt", 1, 0, 'm'},
                                          {"observe-wait", 0, 0, 'o'},
                                          {"count", 0, 0, 'c'},
                                          {"rates", 1, 0, 'r'},
                                          {"step", 1, 0, 't'},
                                          {"commands", 1, 0, 'C'},
                                          {"command-seconds", 1, 0, 'S'},
                                          {"psk", 1, 0, 'k'},
                                          {"count-server", 1, 0, 'q'},
                                          {"patient", 0, 0, 'x'},
                                          {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 's':
            if (bench_parse_addr(optarg, &opt.server) < 0)
                usage();
            break;
        case 'n':
            opt.devices = atoi(optarg);
            break;
        case 'w':
            opt.window = atoi(optarg);
            break;
        case 'p':
            opt.prefix = optarg;
            break;
        case 'P':
            opt.pid = atoi(optarg);
            break;
        case 'i':
            opt.idle_seconds = atoi(optarg);
            break;
        case 'm':
            opt.mqtt_uri = optarg;
            break;
        case 'o':
            opt.observe_wait = 1;
            break;
        case 'c':
            opt.count_mode = 1;
            break;
        case 'r':
            opt.rates = optarg;
            break;
        case 't':
            opt.step_seconds = atoi(optarg);
            break;
        case 'C':
            opt.command_rate = atoi(optarg);
            break;
        case 'S':
            opt.command_seconds = atoi(optarg);
            break;
        case 'q':
            if (bench_parse_addr(optarg, &opt.count_server) < 0)
                usage();
            break;
        case 'k': {
            static unsigned char key[64];
            size_t n = strlen(optarg) / 2;
            if (n > sizeof(key) || n == 0)
                usage();
            for (size_t b = 0; b < n; b++)
                sscanf(optarg + 2 * b, "%2hhx", &key[b]);
            opt.psk.data = key;
            opt.psk.size = (unsigned)n;
            break;
        }
        case 'x':
            opt.patient = 1;
            break;
        default:
            usage();
        }
    }
    if (!opt.server.sin_port || opt.devices < 1 || opt.window < 1)
        usage();
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    gnutls_global_init();
    if (opt.mqtt_uri && mqtt_start() < 0) {
        fprintf(stderr, "cannot connect to %s\n", opt.mqtt_uri);
        return 1;
    }
    if (open_devices() < 0)
        return 1;
    if (opt.pid) {
        printf("RESULT rss0_kb %ld\n", bench_rss_kb(opt.pid));
        fflush(stdout);
    }
    register_all();
    if (opt.observe_wait) {
        int64_t end = bench_now_us() + 60000000;
        while (observed < registered && bench_now_us() < end)
            poll_devices(10);
        printf("RESULT observed %d\n", observed);
    }
    if (opt.idle_seconds && opt.pid) {
        serve_for(2000000); /* let the server finish what registration started */
        double cpu0 = bench_cpu_seconds(opt.pid);
        int64_t t0 = bench_now_us();
        serve_for((int64_t)opt.idle_seconds * 1000000);
        double cpu = bench_cpu_seconds(opt.pid) - cpu0;
        printf("RESULT rss_kb %ld\nRESULT idle_cpu_pct %.2f\n", bench_rss_kb(opt.pid),
               100.0 * cpu / ((double)(bench_now_us() - t0) / 1e6));
    }
    if (opt.rates)
        notify_steps();
    if (opt.command_rate && opt.mqtt_uri)
        command_run();
    fflush(stdout);
    if (opt.mqtt_uri) {
        MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
        MQTTAsync_disconnect(mqtt, &d);
        usleep(100000);
        MQTTAsync_destroy(&mqtt);
    }
    return failed ? 1 : 0;
}
