/* test_server.c - the pure LwM2M server core with a recording transport: registration,
 * requests and their single results, queue mode, observations, timeouts, format fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/server.h"

#define MAX_SENT 64

typedef struct fixture {
    lwm2m_server_t *server;
    lwm2m_transport_t transport;
    lwm2m_downlink_t sent[MAX_SENT];
    size_t sent_count;
    int fail_send;
    /* events */
    int registered, updated, deregistered, queued, notifies, sends;
    lwm2m_dereg_reason_t last_dereg;
    lwm2m_result_t results[MAX_SENT];
    size_t result_count;
    uint64_t rnd;
} fixture_t;

static int record_send(void *ctx, const lwm2m_peer_t *peer, const lwm2m_downlink_t *msg)
{
    fixture_t *f = ctx;
    (void)peer;
    if (f->fail_send)
        return -1;
    if (f->sent_count < MAX_SENT) {
        f->sent[f->sent_count] = *msg;
        f->sent[f->sent_count].payload = NULL; /* not kept */
        f->sent_count++;
    }
    return 0;
}

static void on_registered(void *ctx, const lwm2m_registration_t *reg, bool replaced)
{
    fixture_t *f = ctx;
    (void)reg, (void)replaced;
    f->registered++;
}

static void on_updated(void *ctx, const lwm2m_registration_t *reg, bool changed)
{
    fixture_t *f = ctx;
    (void)reg, (void)changed;
    f->updated++;
}

static void on_deregistered(void *ctx, const lwm2m_registration_t *reg, lwm2m_dereg_reason_t why)
{
    fixture_t *f = ctx;
    (void)reg;
    f->deregistered++;
    f->last_dereg = why;
}

static void on_result(void *ctx, const lwm2m_registration_t *reg, const lwm2m_result_t *r)
{
    fixture_t *f = ctx;
    (void)reg;
    if (f->result_count < MAX_SENT) {
        f->results[f->result_count] = *r;
        f->results[f->result_count].nodes = NULL;
        f->results[f->result_count].links = NULL;
        f->results[f->result_count].error = NULL;
        f->results[f->result_count].location = NULL;
        f->result_count++;
    }
}

static void on_queued(void *ctx, const lwm2m_registration_t *reg, uint64_t id)
{
    fixture_t *f = ctx;
    (void)reg, (void)id;
    f->queued++;
}

static void on_notify(void *ctx, const lwm2m_registration_t *reg, uint64_t id,
                      const lwm2m_nodes_t *nodes)
{
    fixture_t *f = ctx;
    (void)reg, (void)id;
    assert_non_null(nodes);
    f->notifies++;
}

static void on_send(void *ctx, const lwm2m_registration_t *reg, const lwm2m_nodes_t *nodes)
{
    fixture_t *f = ctx;
    (void)reg;
    assert_true(nodes->count > 0);
    f->sends++;
}

static void counter_random(void *ctx, uint8_t *buf, size_t len)
{
    fixture_t *f = ctx;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)((++f->rnd * 2654435761u) >> 13);
}

static const lwm2m_server_events_t events = {
    .registered = on_registered,
    .updated = on_updated,
    .deregistered = on_deregistered,
    .result = on_result,
    .queued = on_queued,
    .notify = on_notify,
    .send = on_send,
};

static int setup(void **state)
{
    static fixture_t f;
    memset(&f, 0, sizeof(f));
    f.transport = (lwm2m_transport_t){.name = "test", .send = record_send, .ctx = &f};
    lwm2m_server_config_t cfg = {.lifetime_min = 1,
                                 .request_timeout_ms = 5000,
                                 .queue_ttl_ms = 60000,
                                 .queue_max_per_device = 3,
                                 .awake_window_ms = 10000,
                                 .max_devices = 3};
    f.server = lwm2m_server_new(&cfg, &events, &f, counter_random, &f);
    assert_non_null(f.server);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    lwm2m_server_free(f->server);
    return 0;
}

static lwm2m_peer_t peer_at(fixture_t *f, const char *address)
{
    lwm2m_peer_t p = {.transport = &f->transport};
    snprintf(p.address, sizeof(p.address), "%s", address);
    return p;
}

static int uplink(fixture_t *f, lwm2m_uplink_type_t type, const char *location, const char *query,
                  const char *payload, const char *address, int64_t now, char *ret_location)
{
    lwm2m_peer_t p = peer_at(f, address);
    lwm2m_uplink_t up = {.type = type,
                         .location = location,
                         .query = query,
                         .payload = (const uint8_t *)payload,
                         .payload_len = payload ? strlen(payload) : 0};
    lwm2m_uplink_reply_t r;
    lwm2m_server_uplink(f->server, &p, &up, now, &r);
    if (ret_location)
        snprintf(ret_location, LWM2M_LOCATION_MAX, "%s", r.location);
    return r.code;
}

static void respond(fixture_t *f, size_t sent_index, int code, const char *address, int64_t now,
                    int64_t observe_seq, const char *text)
{
    lwm2m_peer_t p = peer_at(f, address);
    lwm2m_response_t rsp = {.token = f->sent[sent_index].token,
                            .token_len = f->sent[sent_index].token_len,
                            .code = code,
                            .content_format = text ? 0 : -1,
                            .payload = (const uint8_t *)text,
                            .payload_len = text ? strlen(text) : 0,
                            .observe_seq = observe_seq};
    assert_int_equal(lwm2m_server_response(f->server, &p, &rsp, now), 0);
}

static uint64_t read_request(fixture_t *f, const char *ep, int64_t now)
{
    uint64_t id = 0;
    lwm2m_request_t req = {.type = LWM2M_REQ_READ,
                           .path = lwm2m_path_make(3, 3, 0, 0, 0),
                           .depth = -1,
                           .format = LWM2M_CF_TEXT,
                           .has_format = true};
    assert_int_equal(lwm2m_server_request(f->server, ep, &req, now, &id, NULL), 0);
    return id;
}

static void test_register_update_deregister(void **state)
{
    fixture_t *f = *state;
    char loc[LWM2M_LOCATION_MAX];
    assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, "ep=a&lt=60&lwm2m=1.1",
                            "</>;rt=\"oma.lwm2m\";ct=\"110 112\",</1/0>,</3/0>", "1.1.1.1:1", 0,
                            loc),
                     201);
    const lwm2m_registration_t *reg = lwm2m_server_find(f->server, "a");
    assert_non_null(reg);
    assert_int_equal(reg->format_count, 2);
    assert_int_equal(reg->formats[1], 112);
    assert_int_equal(reg->objects.count, 2);
    assert_string_equal(reg->location, loc);
    assert_int_equal(strncmp(loc, "rd/", 3), 0);
    assert_int_equal(uplink(f, LWM2M_UP_UPDATE, loc + 3, "lt=120", NULL, "1.1.1.1:2", 1000, NULL),
                     204);
    assert_int_equal(reg->lifetime, 120);
    assert_string_equal(reg->peer.address, "1.1.1.1:2"); /* NAT rebinding followed */
    assert_int_equal(uplink(f, LWM2M_UP_UPDATE, "nope", "lt=120", NULL, "1.1.1.1:2", 0, NULL), 404);
    assert_int_equal(uplink(f, LWM2M_UP_DEREGISTER, loc + 3, NULL, NULL, "1.1.1.1:2", 0, NULL),
                     202);
    assert_null(lwm2m_server_find(f->server, "a"));
    assert_int_equal(f->last_dereg, LWM2M_DEREG_REQUESTED);
}

static void test_register_errors(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, "lt=60", "</1/0>", "a:1", 0, NULL), 400);
    assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, "ep=x&lwm2m=1.5", "</1/0>", "a:1", 0, NULL),
                     412);
    assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, "ep=x", "</1/0", "a:1", 0, NULL), 400);
    assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, "ep=x", "</a/b>", "a:1", 0, NULL), 400);
    for (int i = 0; i < 3; i++) {
        char q[32];
        snprintf(q, sizeof(q), "ep=d%d", i);
        assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, q, "</1/0>", "a:1", 0, NULL), 201);
    }
    /* max_devices = 3 */
    assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, "ep=d9", "</1/0>", "a:1", 0, NULL), 503);
    /* a re-registration of a known endpoint is not a new device */
    assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, "ep=d1", "</1/0>", "a:2", 0, NULL), 201);
    assert_int_equal(lwm2m_server_count(f->server), 3);
}

static void test_lifetime_expiry(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, "ep=e&lt=2", "</1/0>", "a:1", 0, NULL),
                     201);
    int64_t next = lwm2m_server_tick(f->server, 1000);
    assert_true(next <= 2000);
    assert_non_null(lwm2m_server_find(f->server, "e"));
    lwm2m_server_tick(f->server, 2000);
    assert_null(lwm2m_server_find(f->server, "e"));
    assert_int_equal(f->last_dereg, LWM2M_DEREG_EXPIRED);
}

static void test_request_response_once(void **state)
{
    fixture_t *f = *state;
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=r&lt=60", "</3/0>", "a:1", 0, NULL);
    uint64_t id = read_request(f, "r", 0);
    assert_int_equal(f->sent_count, 1);
    assert_string_equal(f->sent[0].uri, "/3/0/0");
    assert_int_equal(f->sent[0].accept, LWM2M_CF_TEXT);
    respond(f, 0, 205, "a:1", 10, -1, "ACME");
    assert_int_equal(f->result_count, 1);
    assert_int_equal(f->results[0].request_id, id);
    assert_int_equal(f->results[0].status, LWM2M_RESULT_RESPONSE);
    assert_int_equal(f->results[0].code, 205);
    /* A duplicate answer is unknown now: exactly one result. */
    lwm2m_peer_t p = peer_at(f, "a:1");
    lwm2m_response_t dup = {.token = f->sent[0].token,
                            .token_len = f->sent[0].token_len,
                            .code = 205,
                            .content_format = -1,
                            .observe_seq = -1};
    assert_int_equal(lwm2m_server_response(f->server, &p, &dup, 20), -404);
    assert_int_equal(f->result_count, 1);
    assert_int_equal(
        lwm2m_server_request(f->server, "nobody", &(lwm2m_request_t){0}, 0, &(uint64_t){0}, NULL),
        -404);
}

static void test_timeout_and_cancel(void **state)
{
    fixture_t *f = *state;
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=t&lt=600", "</3/0>", "a:1", 0, NULL);
    uint64_t a = read_request(f, "t", 0);
    uint64_t b = read_request(f, "t", 0);
    assert_int_equal(lwm2m_server_cancel(f->server, b, 100), 0);
    lwm2m_server_tick(f->server, 4999);
    assert_int_equal(f->result_count, 1);
    assert_int_equal(f->results[0].status, LWM2M_RESULT_CANCELLED);
    lwm2m_server_tick(f->server, 5000);
    assert_int_equal(f->result_count, 2);
    assert_int_equal(f->results[1].request_id, a);
    assert_int_equal(f->results[1].status, LWM2M_RESULT_TIMEOUT);
    /* deregistration ends what is in flight */
    read_request(f, "t", 6000);
    lwm2m_server_remove(f->server, "t", 6000);
    assert_int_equal(f->result_count, 3);
    assert_int_equal(f->results[2].status, LWM2M_RESULT_CANCELLED);
}

static void test_queue_mode(void **state)
{
    fixture_t *f = *state;
    char loc[LWM2M_LOCATION_MAX];
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=q&lt=600&lwm2m=1.1&b=U&Q", "</3/0>", "a:1", 0, loc);
    const lwm2m_registration_t *reg = lwm2m_server_find(f->server, "q");
    assert_true(reg->queue_mode);
    lwm2m_server_tick(f->server, 10000); /* awake window ends */
    assert_false(reg->awake);
    uint64_t ids[3];
    for (int i = 0; i < 3; i++)
        ids[i] = read_request(f, "q", 10000 + i);
    assert_int_equal(f->queued, 3);
    assert_int_equal(f->sent_count, 0);
    /* the queue is bounded */
    uint64_t extra;
    lwm2m_request_t req = {
        .type = LWM2M_REQ_READ, .path = lwm2m_path_make(1, 3, 0, 0, 0), .depth = -1};
    assert_int_equal(lwm2m_server_request(f->server, "q", &req, 10010, &extra, NULL), -503);
    /* the device wakes with an Update: one request at a time, in order */
    assert_int_equal(uplink(f, LWM2M_UP_UPDATE, loc + 3, NULL, NULL, "a:1", 20000, NULL), 204);
    assert_int_equal(f->sent_count, 1);
    respond(f, 0, 205, "a:1", 20010, -1, "x");
    assert_int_equal(f->sent_count, 2);
    respond(f, 1, 205, "a:1", 20020, -1, "y");
    respond(f, 2, 205, "a:1", 20030, -1, "z");
    assert_int_equal(f->result_count, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(f->results[i].request_id, ids[i]);
}

static void test_queue_ttl_expires(void **state)
{
    fixture_t *f = *state;
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=s&lt=6000&b=UQ", "</3/0>", "a:1", 0, NULL);
    lwm2m_server_tick(f->server, 10000);
    lwm2m_request_t req = {.type = LWM2M_REQ_READ,
                           .path = lwm2m_path_make(1, 3, 0, 0, 0),
                           .depth = -1,
                           .ttl_ms = 1000};
    uint64_t id;
    assert_int_equal(lwm2m_server_request(f->server, "s", &req, 10000, &id, NULL), 0);
    lwm2m_server_tick(f->server, 11000);
    assert_int_equal(f->result_count, 1);
    assert_int_equal(f->results[0].status, LWM2M_RESULT_EXPIRED);
    assert_int_equal(f->sent_count, 0);
}

static void test_reregistration_keeps_queue(void **state)
{
    fixture_t *f = *state;
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=k&lt=600&b=UQ", "</3/0>", "a:1", 0, NULL);
    lwm2m_server_tick(f->server, 10000);
    read_request(f, "k", 10000);
    assert_int_equal(f->sent_count, 0);
    /* reboot: a new Register; the queued request goes out to the new registration */
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=k&lt=600&b=UQ", "</3/0>", "a:9", 11000, NULL);
    assert_int_equal(f->sent_count, 1);
    assert_int_equal(f->result_count, 0);
}

static void test_observe_and_notify(void **state)
{
    fixture_t *f = *state;
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=o&lt=600", "</3303/0>", "a:1", 0, NULL);
    uint64_t id;
    lwm2m_request_t obs = {.type = LWM2M_REQ_OBSERVE,
                           .path = lwm2m_path_make(3, 3303, 0, 5700, 0),
                           .depth = -1,
                           .format = LWM2M_CF_TEXT,
                           .has_format = true,
                           .attributes = "pmin=1&pmax=10"};
    assert_int_equal(lwm2m_server_request(f->server, "o", &obs, 0, &id, NULL), 0);
    assert_int_equal(f->sent[0].observe, 0);
    assert_string_equal(f->sent[0].query, "pmin=1&pmax=10");
    assert_true(lwm2m_server_observing(f->server, "o", &obs.path)); /* pending counts */
    respond(f, 0, 205, "a:1", 10, 1, "21.5");
    assert_int_equal(f->result_count, 1);
    assert_true(lwm2m_server_observing(f->server, "o", &obs.path));
    respond(f, 0, 205, "a:1", 20, 2, "22.5"); /* a notification on the same token */
    respond(f, 0, 205, "a:1", 30, 3, "23.5");
    assert_int_equal(f->notifies, 2);
    lwm2m_request_t cancel = {.type = LWM2M_REQ_CANCEL_OBSERVE,
                              .path = lwm2m_path_make(3, 3303, 0, 5700, 0),
                              .depth = -1};
    assert_int_equal(lwm2m_server_request(f->server, "o", &cancel, 40, &id, NULL), 0);
    assert_int_equal(f->sent[1].observe, 1);
    assert_memory_equal(f->sent[1].token, f->sent[0].token, 8);
    respond(f, 1, 205, "a:1", 50, -1, "24.5");
    lwm2m_peer_t p = peer_at(f, "a:1");
    lwm2m_response_t late = {.token = f->sent[0].token,
                             .token_len = 8,
                             .code = 205,
                             .content_format = 0,
                             .payload = (const uint8_t *)"1",
                             .payload_len = 1,
                             .observe_seq = 9};
    assert_int_equal(lwm2m_server_response(f->server, &p, &late, 60), -404); /* -> RST */
    assert_false(lwm2m_server_observing(f->server, "o", &obs.path));
    assert_int_equal(lwm2m_server_request(f->server, "o", &cancel, 70, &id, NULL), -404);
}

static void test_bad_requests(void **state)
{
    fixture_t *f = *state;
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=b&lt=600", "</3/0>", "a:1", 0, NULL);
    uint64_t id;
    lwm2m_request_t r = {
        .type = LWM2M_REQ_EXECUTE, .path = lwm2m_path_make(2, 3, 0, 0, 0), .depth = -1};
    assert_int_equal(lwm2m_server_request(f->server, "b", &r, 0, &id, NULL), -400);
    r = (lwm2m_request_t){.type = LWM2M_REQ_WRITE_ATTRIBUTES,
                          .path = lwm2m_path_make(3, 3, 0, 9, 0),
                          .depth = -1,
                          .attributes = "lt=50&gt=10"};
    assert_int_equal(lwm2m_server_request(f->server, "b", &r, 0, &id, NULL), -400);
    r = (lwm2m_request_t){
        .type = LWM2M_REQ_WRITE_REPLACE, .path = lwm2m_path_make(3, 3, 0, 14, 0), .depth = -1};
    assert_int_equal(lwm2m_server_request(f->server, "b", &r, 0, &id, NULL), -400);
    r = (lwm2m_request_t){
        .type = LWM2M_REQ_DISCOVER, .path = lwm2m_path_make(1, 3, 0, 0, 0), .depth = 4};
    assert_int_equal(lwm2m_server_request(f->server, "b", &r, 0, &id, NULL), -400);
    assert_int_equal(f->sent_count, 0);
}

static void test_format_fallback(void **state)
{
    fixture_t *f = *state;
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=ff&lt=600&lwm2m=1.1", "</>;ct=\"112 11542\",</3/0>",
           "a:1", 0, NULL);
    uint64_t id;
    lwm2m_request_t r = {
        .type = LWM2M_REQ_READ, .path = lwm2m_path_make(2, 3, 0, 0, 0), .depth = -1};
    assert_int_equal(lwm2m_server_request(f->server, "ff", &r, 0, &id, NULL), 0);
    assert_int_equal(f->sent[0].accept, LWM2M_CF_SENML_CBOR);
    respond(f, 0, 406, "a:1", 10, -1, NULL);
    assert_int_equal(f->result_count, 0);
    assert_int_equal(f->sent_count, 2);
    assert_int_equal(f->sent[1].accept, LWM2M_CF_TLV);
    respond(f, 1, 404, "a:1", 20, -1, NULL);
    assert_int_equal(f->result_count, 1);
    assert_int_equal(f->results[0].code, 404);
}

static void test_send_and_transport_failure(void **state)
{
    fixture_t *f = *state;
    uplink(f, LWM2M_UP_REGISTER, NULL, "ep=sd&lt=600", "</3/0>", "a:5", 0, NULL);
    lwm2m_peer_t p = peer_at(f, "a:5");
    const char *senml = "[{\"n\":\"/3/0/9\",\"v\":87}]";
    lwm2m_uplink_t up = {.type = LWM2M_UP_SEND,
                         .content_format = LWM2M_CF_SENML_JSON,
                         .has_content_format = true,
                         .payload = (const uint8_t *)senml,
                         .payload_len = strlen(senml)};
    lwm2m_uplink_reply_t reply;
    lwm2m_server_uplink(f->server, &p, &up, 0, &reply);
    assert_int_equal(reply.code, 204);
    assert_int_equal(f->sends, 1);
    up.payload = (const uint8_t *)"[{";
    up.payload_len = 2;
    lwm2m_server_uplink(f->server, &p, &up, 0, &reply);
    assert_int_equal(reply.code, 400);
    p = peer_at(f, "stranger:1");
    lwm2m_server_uplink(f->server, &p, &up, 0, &reply);
    assert_int_equal(reply.code, 404);
    f->fail_send = 1;
    read_request(f, "sd", 0);
    assert_int_equal(f->result_count, 1);
    assert_int_equal(f->results[0].status, LWM2M_RESULT_FAILED);
}

static void respond_cf(fixture_t *f, size_t sent_index, int code, int cf, const char *text)
{
    lwm2m_peer_t p = peer_at(f, "gw:1");
    lwm2m_response_t rsp = {.token = f->sent[sent_index].token,
                            .token_len = f->sent[sent_index].token_len,
                            .code = code,
                            .content_format = cf,
                            .payload = (const uint8_t *)text,
                            .payload_len = strlen(text),
                            .observe_seq = -1};
    assert_int_equal(lwm2m_server_response(f->server, &p, &rsp, 100), 0);
}

static void test_gateway_end_devices(void **state)
{
    fixture_t *f = *state;
    char loc[LWM2M_LOCATION_MAX];
    assert_int_equal(uplink(f, LWM2M_UP_REGISTER, NULL, "ep=gw&lt=600&lwm2m=1.2",
                            "</3/0>,</25/0>,</25/1>", "gw:1", 0, loc),
                     201);
    /* the server reads /25 by itself */
    assert_int_equal(f->sent_count, 1);
    assert_string_equal(f->sent[0].uri, "/25");
    respond_cf(
        f, 0, 205, LWM2M_CF_SENML_JSON,
        "[{\"bn\":\"/25/0/\",\"n\":\"0\",\"vs\":\"dev-a\"},{\"n\":\"1\",\"vs\":\"d01\"},"
        "{\"n\":\"3\",\"vs\":\"</3303/0>\"},{\"bn\":\"/25/1/\",\"n\":\"0\",\"vs\":\"dev-b\"},"
        "{\"n\":\"1\",\"vs\":\"d02\"},{\"n\":\"3\",\"vs\":\"</3303/0>,</3303/1>\"}]");
    assert_int_equal(f->result_count, 0); /* internal: no result event */
    assert_int_equal(f->registered, 3);
    const lwm2m_registration_t *b = lwm2m_server_find(f->server, "dev-b");
    assert_non_null(b);
    assert_string_equal(b->gateway, "gw");
    assert_string_equal(b->prefix, "d02");
    assert_int_equal(b->objects.count, 2);
    /* a request to an end device goes through the gateway with the prefix */
    uint64_t id;
    lwm2m_request_t r = {.type = LWM2M_REQ_READ,
                         .path = lwm2m_path_make(3, 3303, 0, 5700, 0),
                         .depth = -1,
                         .format = LWM2M_CF_SENML_JSON,
                         .has_format = true};
    assert_int_equal(lwm2m_server_request(f->server, "dev-a", &r, 10, &id, NULL), 0);
    assert_string_equal(f->sent[1].uri, "/d01/3303/0/5700");
    respond_cf(f, 1, 205, LWM2M_CF_SENML_JSON, "[{\"n\":\"/d01/3303/0/5700\",\"v\":21.5}]");
    assert_int_equal(f->result_count, 1);
    assert_int_equal(f->results[0].code, 205);
    /* an Update with one end device left: the other is removed */
    assert_int_equal(uplink(f, LWM2M_UP_UPDATE, loc + 3, NULL, "</3/0>,</25/0>", "gw:1", 200, NULL),
                     204);
    assert_string_equal(f->sent[2].uri, "/25");
    respond_cf(f, 2, 205, LWM2M_CF_SENML_JSON,
               "[{\"bn\":\"/25/0/\",\"n\":\"0\",\"vs\":\"dev-a\"},{\"n\":\"1\",\"vs\":\"d01\"},"
               "{\"n\":\"3\",\"vs\":\"</3303/0>\"}]");
    assert_null(lwm2m_server_find(f->server, "dev-b"));
    assert_int_equal(f->last_dereg, LWM2M_DEREG_REMOVED);
    assert_non_null(lwm2m_server_find(f->server, "dev-a"));
    /* Send from the gateway: prefixed records belong to the end device */
    lwm2m_peer_t p = peer_at(f, "gw:1");
    const char *senml = "[{\"n\":\"/d01/3303/0/5700\",\"v\":22},{\"n\":\"/3/0/9\",\"v\":80}]";
    lwm2m_uplink_t up = {.type = LWM2M_UP_SEND,
                         .content_format = LWM2M_CF_SENML_JSON,
                         .has_content_format = true,
                         .payload = (const uint8_t *)senml,
                         .payload_len = strlen(senml)};
    lwm2m_uplink_reply_t reply;
    lwm2m_server_uplink(f->server, &p, &up, 300, &reply);
    assert_int_equal(reply.code, 204);
    assert_int_equal(f->sends, 2); /* one for dev-a, one for the gateway itself */
    /* the gateway leaves: its end devices go with it */
    assert_int_equal(uplink(f, LWM2M_UP_DEREGISTER, loc + 3, NULL, NULL, "gw:1", 400, NULL), 202);
    assert_null(lwm2m_server_find(f->server, "dev-a"));
    assert_int_equal(lwm2m_server_count(f->server), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_update_deregister, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifetime_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_response_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_ttl_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reregistration_keeps_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_observe_and_notify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_and_transport_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_end_devices, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
