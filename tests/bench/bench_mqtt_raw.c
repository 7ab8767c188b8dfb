/* bench_mqtt_raw.c - the raw MQTT baseline: Paho MQTT C (async, the gateway's client library)
 * publishing data-sized QoS 1 messages as fast as a window of 16 in flight allows (the
 * gateway's own window), to a subscriber at QoS 0 on the same broker, for SECONDS. Prints
 * "RESULT mqtt_raw_rate N" (messages received per second) and the latency percentiles. */
#include <MQTTAsync.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"

#define WINDOW 16

static volatile int connected[2], subscribed;
static int inflight;
static long received;
static int64_t *sent_us, *lat_us;
static size_t cap;

static void on_connect(void *ctx, MQTTAsync_successData *r)
{
    (void)r;
    *(volatile int *)ctx = 1;
}

static void on_subscribe(void *ctx, MQTTAsync_successData *r)
{
    (void)ctx;
    (void)r;
    subscribed = 1;
}

static void on_published(void *ctx, MQTTAsync_successData *r)
{
    (void)ctx;
    (void)r;
    __atomic_sub_fetch(&inflight, 1, __ATOMIC_SEQ_CST);
}

static int on_message(void *ctx, char *topic, int len, MQTTAsync_message *m)
{
    (void)ctx;
    (void)len;
    int64_t now = bench_now_us();
    char text[32];
    size_t n = m->payloadlen < 31 ? (size_t)m->payloadlen : 31;
    memcpy(text, m->payload, n);
    text[n] = 0;
    size_t seq = strtoul(text + 9, NULL, 10); /* {"value":SEQ,... */
    if (seq < cap && sent_us[seq])
        lat_us[seq] = now - sent_us[seq];
    __atomic_add_fetch(&received, 1, __ATOMIC_SEQ_CST);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static MQTTAsync client(const char *uri, const char *id, volatile int *flag)
{
    MQTTAsync c;
    MQTTAsync_create(&c, uri, id, MQTTCLIENT_PERSISTENCE_NONE, NULL);
    MQTTAsync_setCallbacks(c, NULL, NULL, on_message, NULL);
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    co.cleansession = 1;
    co.maxInflight = WINDOW + 16;
    co.onSuccess = on_connect;
    co.context = (void *)flag;
    if (MQTTAsync_connect(c, &co) != MQTTASYNC_SUCCESS)
        exit(1);
    for (int w = 0; w < 500 && !*flag; w++)
        usleep(10000);
    if (!*flag)
        exit(1);
    return c;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench-mqtt-raw URI SECONDS\n");
        return 2;
    }
    int seconds = atoi(argv[2]);
    cap = (size_t)seconds * 400000;
    sent_us = calloc(cap, sizeof(int64_t));
    lat_us = calloc(cap, sizeof(int64_t));
    char id[64];
    snprintf(id, sizeof(id), "bench-raw-sub-%d", (int)getpid());
    MQTTAsync sub = client(argv[1], id, &connected[0]);
    snprintf(id, sizeof(id), "bench-raw-pub-%d", (int)getpid());
    MQTTAsync pub = client(argv[1], id, &connected[1]);
    MQTTAsync_responseOptions so = MQTTAsync_responseOptions_initializer;
    so.onSuccess = on_subscribe;
    MQTTAsync_subscribe(sub, "benchraw/+/data/#", 0, &so);
    while (!subscribed)
        usleep(10000);
    MQTTAsync_responseOptions po = MQTTAsync_responseOptions_initializer;
    po.onSuccess = on_published;
    int64_t t0 = bench_now_us(), end = t0 + (int64_t)seconds * 1000000;
    size_t seq = 1;
    while (bench_now_us() < end && seq < cap) {
        if (__atomic_load_n(&inflight, __ATOMIC_SEQ_CST) >= WINDOW) {
            usleep(20);
            continue;
        }
        char topic[64], payload[200];
        snprintf(topic, sizeof(topic), "benchraw/bench-%zu/data/3303/0/5700", seq % 1000);
        int n = snprintf(payload, sizeof(payload),
                         "{\"value\":%zu,\"type\":\"float\",\"ts\":1795877692358,\"name\":"
                         "\"Sensor Value\",\"source\":\"notify\"}",
                         seq);
        MQTTAsync_message m = MQTTAsync_message_initializer;
        m.payload = payload;
        m.payloadlen = n;
        m.qos = 1;
        __atomic_add_fetch(&inflight, 1, __ATOMIC_SEQ_CST);
        sent_us[seq] = bench_now_us();
        if (MQTTAsync_sendMessage(pub, topic, &m, &po) != MQTTASYNC_SUCCESS) {
            __atomic_sub_fetch(&inflight, 1, __ATOMIC_SEQ_CST);
            sent_us[seq] = 0;
            usleep(100);
            continue;
        }
        seq++;
    }
    sleep(1);
    long got = __atomic_load_n(&received, __ATOMIC_SEQ_CST);
    size_t n = 0;
    for (size_t s = 1; s < seq; s++)
        if (lat_us[s])
            lat_us[n++] = lat_us[s];
    qsort(lat_us, n, sizeof(*lat_us), cmp);
    printf("RESULT mqtt_raw_sent %zu\nRESULT mqtt_raw_received %ld\nRESULT mqtt_raw_rate %.0f\n",
           seq - 1, got, (double)got / seconds);
    if (n)
        printf("RESULT mqtt_raw_p50_ms %.3f\nRESULT mqtt_raw_p99_ms %.3f\n",
               (double)lat_us[n / 2] / 1000, (double)lat_us[n * 99 / 100] / 1000);
    MQTTAsync_destroy(&pub);
    MQTTAsync_destroy(&sub);
    return 0;
}
