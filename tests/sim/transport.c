/* transport.c - the CoAP message layer of one simulated device: its UDP socket, message ids
 * and tokens, CON retransmission with back-off, ACK/RST matching, duplicate detection,
 * piggy-backed and separate responses, and the fault modes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "event.h"
#include "sim.h"

#define SIM_MAX_RETRANSMIT 4
#define SIM_SEPARATE_WAIT_MS 30000 /* wait for a separate response after an empty ACK */
#define SIM_EXCHANGE_LIFETIME_MS 247000
#define SIM_READ_BATCH 64 /* datagrams per wake-up, so one device can't starve others */

static bool sim_addr_equal(const sim_addr_t *a, const sim_addr_t *b)
{
    if (a->ss.ss_family != b->ss.ss_family)
        return false;
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)&a->ss, *y = (const void *)&b->ss;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)&a->ss, *y = (const void *)&b->ss;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

int sim_transport_open(sim_device_t *dev)
{
    sim_t *sim = dev->sim;
    dev->next_mid = (uint16_t)random();
    dev->next_token = (uint32_t)random();
    if (sim->shared_fd >= 0) {
        sim_shared_local(sim, dev->index, &dev->local);
        return 0;
    }
    int family = sim->opt.server.ss.ss_family;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (const struct sockaddr *)&dev->local.ss, dev->local.len) < 0 ||
        getsockname(fd, (struct sockaddr *)&dev->local.ss, &dev->local.len) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = dev};
    if (epoll_ctl(sim->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    dev->fd = fd;
    return 0;
}

void sim_transport_close(sim_device_t *dev)
{
    if (dev->fd >= 0)
        close(dev->fd);
    dev->fd = -1;
}

uint16_t sim_transport_mid(sim_device_t *dev)
{
    return dev->next_mid++;
}

void sim_transport_token(sim_device_t *dev, uint8_t token[4])
{
    uint32_t t = dev->next_token++ * 2654435761u ^ (uint32_t)dev->index;
    token[0] = (uint8_t)(t >> 24);
    token[1] = (uint8_t)(t >> 16);
    token[2] = (uint8_t)(t >> 8);
    token[3] = (uint8_t)t;
}

static void sim_transport_trace(sim_device_t *dev, const char *dir, const uint8_t *data, size_t len)
{
    if (dev->sim->opt.verbose < 2)
        return;
    sim_event_t ev;
    sim_event_device(&ev, dir, dev);
    sim_event_hex(&ev, "hex", data, len < 2048 ? len : 2048);
    sim_event_uint(&ev, "bytes", len);
    sim_event_end(&ev);
}

int sim_transport_send(sim_device_t *dev, const sim_addr_t *peer, const uint8_t *data, size_t len)
{
    sim_transport_trace(dev, "tx", data, len);
    ssize_t n = dev->fd >= 0
                    ? sendto(dev->fd, data, len, 0, (const struct sockaddr *)&peer->ss, peer->len)
                    : sim_shared_send(dev, peer, data, len);
    if (n < 0) {
        dev->dropped++;
        return -errno;
    }
    dev->tx++;
    return 0;
}

/* ---- exchanges (outgoing messages that expect an ACK or a response) ---- */

static bool sim_is_client_request(sim_exchange_kind_t kind)
{
    return kind == SIM_EX_REGISTER || kind == SIM_EX_UPDATE || kind == SIM_EX_DEREGISTER ||
           kind == SIM_EX_SEND || kind == SIM_EX_DOWNLOAD;
}

static int64_t sim_initial_interval(const sim_device_t *dev)
{
    int64_t base = dev->sim->opt.ack_timeout_ms;
    return base + (int64_t)((double)base * 0.5 * ((double)random() / (double)RAND_MAX));
}

static void sim_exchange_transmit(sim_device_t *dev, sim_exchange_t *ex, int64_t now)
{
    ex->sent = true;
    ex->interval_ms = sim_initial_interval(dev);
    ex->deadline = now + (ex->con ? ex->interval_ms : SIM_SEPARATE_WAIT_MS);
    sim_transport_send(dev, &ex->peer, ex->bytes.data, ex->bytes.len);
    sim_client_activity(dev, now);
}

/* Starts the oldest waiting client request when none is in flight. */
static void sim_exchange_start_next(sim_device_t *dev, int64_t now)
{
    sim_exchange_t *next = NULL;
    for (size_t i = 0; dev->exchanges && i < SIM_MAX_EXCHANGES; i++) {
        sim_exchange_t *ex = &dev->exchanges[i];
        if (!ex->in_use || !sim_is_client_request(ex->kind))
            continue;
        if (ex->sent)
            return;
        if (!next || ex->order < next->order)
            next = ex;
    }
    if (next)
        sim_exchange_transmit(dev, next, now);
}

static void sim_exchange_release(sim_device_t *dev, sim_exchange_t *ex)
{
    lwm2m_buf_free(&ex->bytes);
    ex->in_use = false;
    sim_exchange_start_next(dev, sim_now_ms());
}

static sim_exchange_t *sim_exchange_alloc(sim_device_t *dev)
{
    if (!dev->exchanges) {
        dev->exchanges = calloc(SIM_MAX_EXCHANGES, sizeof(sim_exchange_t));
        if (!dev->exchanges)
            return NULL;
    }
    for (size_t i = 0; i < SIM_MAX_EXCHANGES; i++)
        if (!dev->exchanges[i].in_use)
            return &dev->exchanges[i];
    return NULL;
}

static sim_exchange_t *sim_exchange_add(sim_device_t *dev, sim_exchange_kind_t kind,
                                        const sim_addr_t *peer, bool con, bool request)
{
    static uint64_t order;
    sim_exchange_t *ex = sim_exchange_alloc(dev);
    if (!ex) {
        sim_emit_error(dev, "exchange", "too many messages in flight");
        return NULL;
    }
    memset(ex, 0, sizeof(*ex));
    ex->in_use = true;
    ex->kind = kind;
    ex->order = ++order;
    ex->peer = *peer;
    ex->con = con;
    ex->request = request;
    lwm2m_buf_init(&ex->bytes, SIM_DATAGRAM_MAX);
    return ex;
}

sim_exchange_t *sim_transport_request(sim_device_t *dev, sim_exchange_kind_t kind,
                                      const sim_addr_t *peer, sim_builder_t *b,
                                      const uint8_t *payload, size_t len)
{
    bool request = kind != SIM_EX_NOTIFY && kind != SIM_EX_SEPARATE;
    sim_exchange_t *ex = sim_exchange_add(dev, kind, peer, b->type == SIM_COAP_CON, request);
    if (!ex)
        return NULL;
    b->mid = sim_transport_mid(dev);
    if (request && b->token_len == 0) {
        sim_transport_token(dev, b->token);
        b->token_len = 4;
    }
    ex->mid = b->mid;
    memcpy(ex->token, b->token, b->token_len);
    ex->token_len = b->token_len;
    if (sim_builder_encode(b, payload, len, &ex->bytes) < 0) {
        sim_emit_error(dev, "encode", "message does not fit");
        ex->in_use = false;
        lwm2m_buf_free(&ex->bytes);
        return NULL;
    }
    bool wait = false;
    if (sim_is_client_request(kind)) {
        for (size_t i = 0; i < SIM_MAX_EXCHANGES; i++) {
            const sim_exchange_t *o = &dev->exchanges[i];
            if (o != ex && o->in_use && sim_is_client_request(o->kind))
                wait = true;
        }
    }
    if (!wait)
        sim_exchange_transmit(dev, ex, sim_now_ms());
    return ex;
}

void sim_transport_abandon(sim_device_t *dev, bool client_requests, bool notifications)
{
    for (size_t i = 0; dev->exchanges && i < SIM_MAX_EXCHANGES; i++) {
        sim_exchange_t *ex = &dev->exchanges[i];
        if (!ex->in_use)
            continue;
        bool client = sim_is_client_request(ex->kind) || ex->kind == SIM_EX_FLOOD;
        if ((client && client_requests) || (!client && notifications)) {
            lwm2m_buf_free(&ex->bytes);
            ex->in_use = false;
        }
    }
}

void sim_transport_compact(sim_device_t *dev)
{
    if (dev->exchanges && !sim_transport_busy(dev)) {
        free(dev->exchanges);
        dev->exchanges = NULL;
    }
}

bool sim_transport_busy(const sim_device_t *dev)
{
    for (size_t i = 0; dev->exchanges && i < SIM_MAX_EXCHANGES; i++)
        if (dev->exchanges[i].in_use)
            return true;
    return false;
}

static void sim_exchange_fail(sim_device_t *dev, sim_exchange_t *ex, const char *why)
{
    if (ex->kind == SIM_EX_NOTIFY)
        sim_observe_on_ack(dev, ex, strcmp(why, "rst") == 0, strcmp(why, "timeout") == 0);
    else if (ex->kind != SIM_EX_SEPARATE)
        sim_client_on_failure(dev, ex, why);
    sim_exchange_release(dev, ex);
}

static void sim_exchange_timer(sim_device_t *dev, sim_exchange_t *ex, int64_t now)
{
    if (ex->con && !ex->acked && ex->retransmits < SIM_MAX_RETRANSMIT) {
        ex->retransmits++;
        ex->interval_ms *= 2;
        ex->deadline = now + ex->interval_ms;
        dev->retransmissions++;
        sim_transport_send(dev, &ex->peer, ex->bytes.data, ex->bytes.len);
        return;
    }
    dev->timeouts++;
    sim_exchange_fail(dev, ex, "timeout");
}

void sim_transport_tick(sim_device_t *dev, int64_t now)
{
    for (size_t i = 0; dev->exchanges && i < SIM_MAX_EXCHANGES; i++) {
        sim_exchange_t *ex = &dev->exchanges[i];
        if (ex->in_use && ex->sent && ex->deadline <= now)
            sim_exchange_timer(dev, ex, now);
    }
    for (size_t i = 0; i < SIM_DEDUP_SLOTS; i++) {
        if (dev->dedup[i].used && dev->dedup[i].expires <= now) {
            lwm2m_buf_free(&dev->dedup[i].answer);
            dev->dedup[i].used = false;
        }
    }
    for (size_t i = 0; i < sizeof(dev->delayed) / sizeof(dev->delayed[0]); i++) {
        sim_delayed_t *d = &dev->delayed[i];
        if (!d->used || d->at > now)
            continue;
        sim_exchange_t *ex = sim_exchange_add(dev, SIM_EX_SEPARATE, &d->peer, true, false);
        if (ex) {
            ex->mid = sim_transport_mid(dev);
            d->bytes.data[0] = (uint8_t)((d->bytes.data[0] & 0xCF) | SIM_COAP_CON << 4);
            d->bytes.data[2] = (uint8_t)(ex->mid >> 8);
            d->bytes.data[3] = (uint8_t)ex->mid;
            lwm2m_buf_append(&ex->bytes, d->bytes.data, d->bytes.len);
            sim_exchange_transmit(dev, ex, now);
        }
        lwm2m_buf_free(&d->bytes);
        d->used = false;
    }
}

int64_t sim_transport_deadline(const sim_device_t *dev)
{
    int64_t t = INT64_MAX;
    for (size_t i = 0; dev->exchanges && i < SIM_MAX_EXCHANGES; i++) {
        const sim_exchange_t *ex = &dev->exchanges[i];
        if (ex->in_use && ex->sent && ex->deadline < t)
            t = ex->deadline;
    }
    for (size_t i = 0; i < SIM_DEDUP_SLOTS; i++)
        if (dev->dedup[i].used && dev->dedup[i].expires < t)
            t = dev->dedup[i].expires;
    for (size_t i = 0; i < sizeof(dev->delayed) / sizeof(dev->delayed[0]); i++)
        if (dev->delayed[i].used && dev->delayed[i].at < t)
            t = dev->delayed[i].at;
    return t;
}

void sim_transport_free(sim_device_t *dev)
{
    sim_transport_abandon(dev, true, true);
    free(dev->exchanges);
    dev->exchanges = NULL;
    for (size_t i = 0; i < SIM_DEDUP_SLOTS; i++)
        lwm2m_buf_free(&dev->dedup[i].answer);
    for (size_t i = 0; i < sizeof(dev->delayed) / sizeof(dev->delayed[0]); i++)
        lwm2m_buf_free(&dev->delayed[i].bytes);
}

/* ---- incoming ---- */

static void sim_send_empty(sim_device_t *dev, const sim_addr_t *peer, uint8_t type, uint16_t mid)
{
    uint8_t msg[4] = {(uint8_t)(0x40 | type << 4), 0, (uint8_t)(mid >> 8), (uint8_t)mid};
    sim_transport_send(dev, peer, msg, sizeof(msg));
}

static sim_exchange_t *sim_exchange_by_mid(sim_device_t *dev, uint16_t mid, const sim_addr_t *peer)
{
    for (size_t i = 0; dev->exchanges && i < SIM_MAX_EXCHANGES; i++) {
        sim_exchange_t *ex = &dev->exchanges[i];
        if (ex->in_use && ex->sent && ex->mid == mid && sim_addr_equal(&ex->peer, peer))
            return ex;
    }
    return NULL;
}

static sim_exchange_t *sim_exchange_by_token(sim_device_t *dev, const sim_msg_t *msg)
{
    for (size_t i = 0; dev->exchanges && i < SIM_MAX_EXCHANGES; i++) {
        sim_exchange_t *ex = &dev->exchanges[i];
        if (ex->in_use && ex->sent && ex->request && ex->token_len == msg->token_len &&
            memcmp(ex->token, msg->token, msg->token_len) == 0)
            return ex;
    }
    return NULL;
}

static void sim_exchange_response(sim_device_t *dev, sim_exchange_t *ex, const sim_msg_t *msg)
{
    if (ex->kind == SIM_EX_NOTIFY)
        sim_observe_on_ack(dev, ex, false, false);
    else if (ex->kind != SIM_EX_SEPARATE)
        sim_client_on_response(dev, ex, msg);
    sim_exchange_release(dev, ex);
}

static void sim_on_ack_or_rst(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg)
{
    sim_exchange_t *ex = sim_exchange_by_mid(dev, msg->mid, peer);
    if (!ex) {
        if (msg->type == SIM_COAP_RST)
            sim_observe_on_rst(dev, msg->mid);
        return;
    }
    if (msg->type == SIM_COAP_RST) {
        sim_exchange_fail(dev, ex, "rst");
        return;
    }
    if (msg->code == 0 && ex->request) {
        ex->acked = true;
        ex->deadline = sim_now_ms() + SIM_SEPARATE_WAIT_MS;
        return;
    }
    sim_exchange_response(dev, ex, msg);
}

static void sim_on_response(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg)
{
    sim_exchange_t *ex = sim_exchange_by_token(dev, msg);
    if (msg->type == SIM_COAP_CON)
        sim_send_empty(dev, peer, ex ? SIM_COAP_ACK : SIM_COAP_RST, msg->mid);
    if (ex)
        sim_exchange_response(dev, ex, msg);
}

static sim_dedup_t *sim_dedup_find(sim_device_t *dev, const sim_addr_t *peer, uint16_t mid)
{
    for (size_t i = 0; i < SIM_DEDUP_SLOTS; i++)
        if (dev->dedup[i].used && dev->dedup[i].mid == mid &&
            sim_addr_equal(&dev->dedup[i].peer, peer))
            return &dev->dedup[i];
    return NULL;
}

static void sim_dedup_store(sim_device_t *dev, const sim_addr_t *peer, uint16_t mid,
                            const uint8_t *answer, size_t len)
{
    sim_dedup_t *d = &dev->dedup[dev->dedup_next];
    dev->dedup_next = (dev->dedup_next + 1) % SIM_DEDUP_SLOTS;
    lwm2m_buf_free(&d->answer);
    d->used = true;
    d->mid = mid;
    d->peer = *peer;
    d->expires = sim_now_ms() + SIM_EXCHANGE_LIFETIME_MS;
    lwm2m_buf_init(&d->answer, SIM_DATAGRAM_MAX);
    if (len)
        lwm2m_buf_append(&d->answer, answer, len);
}

static void sim_send_garbage(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg)
{
    static unsigned variant;
    uint8_t out[64];
    size_t len = 0;
    switch (variant++ % 5) {
    case 0: /* random bytes */
        len = 1 + (size_t)(random() % 40);
        for (size_t i = 0; i < len; i++)
            out[i] = (uint8_t)random();
        break;
    case 1: /* token length 15 */
        out[0] = 0x6F, out[1] = SIM_CODE(2, 5), out[2] = (uint8_t)(msg->mid >> 8),
        out[3] = (uint8_t)msg->mid, len = 4;
        break;
    case 2: /* version 2 */
        out[0] = 0xA0, out[1] = SIM_CODE(2, 5), out[2] = (uint8_t)(msg->mid >> 8),
        out[3] = (uint8_t)msg->mid, len = 4;
        break;
    case 3: /* reserved option nibble 15 */
        out[0] = (uint8_t)(0x60 | msg->token_len), out[1] = SIM_CODE(2, 5);
        out[2] = (uint8_t)(msg->mid >> 8), out[3] = (uint8_t)msg->mid;
        memcpy(out + 4, msg->token, msg->token_len);
        len = 4 + msg->token_len;
        out[len++] = 0xF1;
        out[len++] = 0x00;
        break;
    default: /* payload marker with no payload */
        out[0] = (uint8_t)(0x60 | msg->token_len), out[1] = SIM_CODE(2, 5);
        out[2] = (uint8_t)(msg->mid >> 8), out[3] = (uint8_t)msg->mid;
        memcpy(out + 4, msg->token, msg->token_len);
        len = 4 + msg->token_len;
        out[len++] = 0xFF;
        break;
    }
    sim_transport_send(dev, peer, out, len);
}

static void sim_request_event(sim_device_t *dev, const sim_msg_t *msg, const sim_reply_t *reply,
                              size_t sent_len)
{
    if (dev->sim->opt.verbose < 1)
        return;
    char path[256], query[512];
    if (sim_msg_uri_path(msg, path, sizeof(path)) < 0)
        strcpy(path, "?");
    sim_event_t ev;
    sim_event_device(&ev, "request", dev);
    sim_event_str(&ev, "method", sim_method_name(msg->code));
    sim_event_str(&ev, "path", path);
    if (sim_msg_uri_query(msg, query, sizeof(query)) > 0)
        sim_event_str(&ev, "query", query);
    uint32_t v;
    if (sim_msg_opt_uint(msg, SIM_OPT_ACCEPT, &v))
        sim_event_uint(&ev, "accept", v);
    if (sim_msg_opt_uint(msg, SIM_OPT_CONTENT_FORMAT, &v))
        sim_event_uint(&ev, "content_format", v);
    if (sim_msg_opt_uint(msg, SIM_OPT_OBSERVE, &v))
        sim_event_uint(&ev, "observe", v);
    sim_block_t blk;
    if (sim_msg_block(msg, SIM_OPT_BLOCK1, &blk))
        sim_event_uint(&ev, "block1", blk.num);
    if (sim_msg_block(msg, SIM_OPT_BLOCK2, &blk))
        sim_event_uint(&ev, "block2", blk.num);
    sim_event_str(&ev, "type", msg->type == SIM_COAP_CON ? "CON" : "NON");
    sim_event_code(&ev, "code", reply->code);
    if (reply->has_format)
        sim_event_uint(&ev, "format", reply->format);
    sim_event_uint(&ev, "bytes", sent_len);
    sim_event_end(&ev);
}

/* Serialises the reply and sends it piggy-backed (CON), as NON, or separately later. */
static void sim_answer(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg,
                       sim_reply_t *reply)
{
    sim_builder_t b;
    bool con = msg->type == SIM_COAP_CON;
    sim_builder_init(&b, con ? SIM_COAP_ACK : SIM_COAP_NON, reply->code,
                     con ? msg->mid : sim_transport_mid(dev), msg->token, msg->token_len);
    sim_block_t want, *wantp = sim_msg_block(msg, SIM_OPT_BLOCK2, &want) ? &want : NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    if (reply->code == SIM_CODE(2, 5) || reply->body.len)
        sim_block2_slice(dev, wantp, reply, &b, &data, &len);
    b.code = reply->code;
    if (reply->has_format)
        sim_builder_opt_uint(&b, SIM_OPT_CONTENT_FORMAT, reply->format);
    if (reply->has_observe)
        sim_builder_opt_uint(&b, SIM_OPT_OBSERVE, reply->observe);
    if (reply->location[0])
        sim_builder_opt_path(&b, SIM_OPT_LOCATION_PATH, reply->location);
    if (reply->has_block1)
        sim_builder_opt_uint(&b, SIM_OPT_BLOCK1, reply->block1);
    if (reply->has_size1)
        sim_builder_opt_uint(&b, SIM_OPT_SIZE1, reply->size1);
    lwm2m_buf_t out;
    lwm2m_buf_init(&out, SIM_DATAGRAM_MAX);
    if (sim_builder_encode(&b, data, len, &out) < 0) {
        sim_emit_error(dev, "encode", "response does not fit");
        lwm2m_buf_free(&out);
        return;
    }
    sim_request_event(dev, msg, reply, out.len);
    size_t slot = 0;
    while (slot < 4 && dev->delayed[slot].used)
        slot++;
    if (dev->delay_ms && con && slot < 4) {
        uint8_t ack[4] = {0x40 | SIM_COAP_ACK << 4, 0, (uint8_t)(msg->mid >> 8), (uint8_t)msg->mid};
        sim_transport_send(dev, peer, ack, sizeof(ack));
        sim_dedup_store(dev, peer, msg->mid, ack, sizeof(ack));
        dev->delayed[slot] = (sim_delayed_t){true, sim_now_ms() + dev->delay_ms, *peer, out};
        return;
    }
    sim_transport_send(dev, peer, out.data, out.len);
    if (con)
        sim_dedup_store(dev, peer, msg->mid, out.data, out.len);
    lwm2m_buf_free(&out);
}

static void sim_on_request(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg)
{
    sim_dedup_t *dup = sim_dedup_find(dev, peer, msg->mid);
    if (dup) {
        if (msg->type == SIM_COAP_CON && dup->answer.len)
            sim_transport_send(dev, peer, dup->answer.data, dup->answer.len);
        return;
    }
    switch (dev->fault) {
    case SIM_FAULT_MUTE:
        dev->dropped++;
        return;
    case SIM_FAULT_RST:
        sim_send_empty(dev, peer, SIM_COAP_RST, msg->mid);
        return;
    case SIM_FAULT_GARBAGE:
        sim_send_garbage(dev, peer, msg);
        return;
    default:
        break;
    }
    dev->requests++;
    sim_client_activity(dev, sim_now_ms());
    sim_reply_t reply;
    sim_reply_init(&reply);
    const uint8_t *body;
    size_t body_len;
    if (sim_block1_feed(dev, msg, &reply, &body, &body_len) == 1)
        sim_ops_handle(dev, peer, msg, body, body_len, &reply);
    sim_answer(dev, peer, msg, &reply);
    sim_reply_free(&reply);
}

void sim_transport_datagram(sim_device_t *dev, const sim_addr_t *peer, const uint8_t *data,
                            size_t len)
{
    dev->rx++;
    sim_transport_trace(dev, "rx", data, len);
    if (!dev->asleep && dev->drop_next > 0 && dev->drop_after > 0) {
        dev->drop_after--;
    } else if (dev->asleep || dev->drop_next > 0) {
        if (!dev->asleep)
            dev->drop_next--; /* `drop`: a datagram lost on the way */
        dev->dropped++;
        return;
    }
    sim_msg_t msg;
    if (sim_msg_parse(data, len, &msg) < 0) {
        sim_emit_error(dev, "malformed", "datagram is not a CoAP message");
        return;
    }
    if (msg.type == SIM_COAP_ACK || msg.type == SIM_COAP_RST)
        sim_on_ack_or_rst(dev, peer, &msg);
    else if (sim_code_is_request(msg.code))
        sim_on_request(dev, peer, &msg);
    else if (msg.code == 0)
        sim_send_empty(dev, peer, SIM_COAP_RST, msg.mid); /* CoAP ping */
    else
        sim_on_response(dev, peer, &msg);
    sim_msg_free(&msg);
}

void sim_transport_readable(sim_device_t *dev, int64_t now)
{
    static uint8_t buf[SIM_DATAGRAM_MAX];
    (void)now;
    for (int i = 0; i < SIM_READ_BATCH; i++) {
        sim_addr_t peer = {.len = sizeof(peer.ss)};
        ssize_t n = recvfrom(dev->fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer.ss, &peer.len);
        if (n < 0)
            break;
        sim_transport_datagram(dev, &peer, buf, (size_t)n);
    }
    sim_reschedule(dev);
}
