/* block.c - block-wise transfers (RFC 7959) on the device side: Block1 reassembly of request
 * bodies and Block2 slicing of large representations, with one cached body per device. */
#include <string.h>

#include "sim.h"

#define SIM_BLOCK_KEEP_MS 60000 /* a half-done transfer is forgotten after this */

static uint64_t sim_fnv(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t sim_block_key(const sim_msg_t *msg, const uint8_t *payload, size_t payload_len)
{
    uint64_t h = 14695981039346656037ull;
    h = sim_fnv(h, &msg->code, 1);
    for (size_t i = 0; i < msg->opt_count; i++) {
        const sim_msg_opt_t *o = &msg->opts[i];
        if (o->number != SIM_OPT_URI_PATH && o->number != SIM_OPT_URI_QUERY &&
            o->number != SIM_OPT_ACCEPT && o->number != SIM_OPT_CONTENT_FORMAT)
            continue;
        uint8_t hdr[4] = {(uint8_t)(o->number >> 8), (uint8_t)o->number, (uint8_t)(o->len >> 8),
                          (uint8_t)o->len};
        h = sim_fnv(h, hdr, sizeof(hdr));
        h = sim_fnv(h, o->value, o->len);
    }
    if (payload_len)
        h = sim_fnv(h, payload, payload_len);
    return h ? h : 1;
}

static void sim_reply_error(sim_reply_t *reply, uint8_t code)
{
    reply->code = code;
    reply->has_format = false;
    lwm2m_buf_reset(&reply->body);
}

static void sim_block1_reset(sim_device_t *dev)
{
    dev->block1.active = false;
    lwm2m_buf_free(&dev->block1.data);
}

static int sim_block1_too_large(sim_device_t *dev, sim_reply_t *reply)
{
    sim_block1_reset(dev);
    sim_reply_error(reply, SIM_CODE(4, 13));
    reply->has_size1 = true;
    reply->size1 = (uint32_t)dev->sim->opt.max_body;
    return 0;
}

int sim_block1_feed(sim_device_t *dev, const sim_msg_t *msg, sim_reply_t *reply,
                    const uint8_t **ret_body, size_t *ret_len)
{
    size_t max_body = dev->sim->opt.max_body;
    sim_block_t blk;
    if (!sim_msg_block(msg, SIM_OPT_BLOCK1, &blk)) {
        if (msg->payload_len > max_body)
            return sim_block1_too_large(dev, reply);
        *ret_body = msg->payload;
        *ret_len = msg->payload_len;
        return 1;
    }
    uint32_t size1;
    if (sim_msg_opt_uint(msg, SIM_OPT_SIZE1, &size1) && size1 > max_body)
        return sim_block1_too_large(dev, reply);
    uint64_t key = sim_block_key(msg, NULL, 0);
    size_t offset = (size_t)blk.num * sim_block_size(blk.szx);
    if (blk.num == 0) {
        sim_block1_reset(dev);
        dev->block1.active = true;
        dev->block1.key = key;
        lwm2m_buf_init(&dev->block1.data, max_body);
    } else if (!dev->block1.active || dev->block1.key != key || offset != dev->block1.data.len) {
        sim_block1_reset(dev);
        sim_reply_error(reply, SIM_CODE(4, 8));
        return 0;
    }
    if (blk.more && msg->payload_len != sim_block_size(blk.szx)) {
        sim_block1_reset(dev);
        sim_reply_error(reply, SIM_CODE(4, 0));
        return 0;
    }
    if (msg->payload_len && lwm2m_buf_append(&dev->block1.data, msg->payload, msg->payload_len) < 0)
        return sim_block1_too_large(dev, reply);
    dev->block1.expires = sim_now_ms() + SIM_BLOCK_KEEP_MS;
    reply->has_block1 = true;
    if (blk.more) {
        uint8_t szx = blk.szx < dev->sim->opt.max_szx ? blk.szx : dev->sim->opt.max_szx;
        reply->code = SIM_CODE(2, 31);
        reply->block1 = sim_block_encode((sim_block_t){blk.num, true, szx});
        return 0;
    }
    reply->block1 = sim_block_encode((sim_block_t){blk.num, false, blk.szx});
    dev->block1.active = false; /* the data stays until the next transfer or expiry */
    *ret_body = dev->block1.data.data;
    *ret_len = dev->block1.data.len;
    return 1;
}

bool sim_block2_cached(sim_device_t *dev, const sim_msg_t *msg, uint64_t key, sim_reply_t *reply)
{
    sim_block_t want;
    sim_block2_t *c = &dev->block2;
    if (!sim_msg_block(msg, SIM_OPT_BLOCK2, &want) || want.num == 0 || !c->active || c->key != key)
        return false;
    reply->code = SIM_CODE(2, 5);
    reply->has_format = true;
    reply->format = c->format;
    reply->block2_key = key;
    lwm2m_buf_reset(&reply->body);
    lwm2m_buf_append(&reply->body, c->body.data, c->body.len);
    return true;
}

static void sim_block2_store(sim_device_t *dev, const sim_reply_t *reply, uint32_t etag)
{
    sim_block2_t *c = &dev->block2;
    if (c->active && c->key == reply->block2_key && c->etag == etag)
        return;
    lwm2m_buf_free(&c->body);
    lwm2m_buf_init(&c->body, SIM_DATAGRAM_MAX * 64);
    if (lwm2m_buf_append(&c->body, reply->body.data, reply->body.len) < 0) {
        lwm2m_buf_free(&c->body);
        c->active = false;
        return;
    }
    c->active = true;
    c->key = reply->block2_key;
    c->etag = etag;
    c->format = reply->format;
    c->expires = sim_now_ms() + SIM_BLOCK_KEEP_MS;
}

void sim_block2_slice(sim_device_t *dev, const sim_block_t *want, sim_reply_t *reply,
                      sim_builder_t *b, const uint8_t **ret_data, size_t *ret_len)
{
    uint8_t max_szx = dev->sim->opt.max_szx;
    size_t total = reply->body.len;
    *ret_data = reply->body.data;
    *ret_len = total;
    if (!want && total <= sim_block_size(max_szx))
        return;
    uint8_t szx = want && want->szx < max_szx ? want->szx : max_szx;
    size_t offset = want ? (size_t)want->num * sim_block_size(want->szx) : 0;
    uint32_t num = (uint32_t)(offset / sim_block_size(szx));
    offset = (size_t)num * sim_block_size(szx);
    if (offset > total || (offset == total && total > 0)) {
        sim_reply_error(reply, SIM_CODE(4, 2));
        *ret_data = NULL;
        *ret_len = 0;
        return;
    }
    size_t n = total - offset < sim_block_size(szx) ? total - offset : sim_block_size(szx);
    bool more = offset + n < total;
    uint32_t etag = (uint32_t)sim_block_key(&(sim_msg_t){0}, reply->body.data, total);
    sim_builder_opt_uint(b, SIM_OPT_BLOCK2, sim_block_encode((sim_block_t){num, more, szx}));
    if (num == 0)
        sim_builder_opt_uint(b, SIM_OPT_SIZE2, (uint32_t)total);
    uint8_t tag[4] = {(uint8_t)(etag >> 24), (uint8_t)(etag >> 16), (uint8_t)(etag >> 8),
                      (uint8_t)etag};
    sim_builder_opt(b, SIM_OPT_ETAG, tag, sizeof(tag));
    if (reply->block2_key && (more || num > 0))
        sim_block2_store(dev, reply, etag);
    *ret_data = reply->body.data + offset;
    *ret_len = n;
}

void sim_block_expire(sim_device_t *dev, int64_t now)
{
    if (dev->block1.data.data && dev->block1.expires <= now)
        sim_block1_reset(dev);
    if (dev->block2.active && dev->block2.expires <= now) {
        dev->block2.active = false;
        lwm2m_buf_free(&dev->block2.body);
    }
}

int64_t sim_block_deadline(const sim_device_t *dev)
{
    int64_t t = INT64_MAX;
    if (dev->block1.data.data && dev->block1.expires < t)
        t = dev->block1.expires;
    if (dev->block2.active && dev->block2.expires < t)
        t = dev->block2.expires;
    return t;
}

void sim_block_free(sim_device_t *dev)
{
    sim_block1_reset(dev);
    dev->block2.active = false;
    lwm2m_buf_free(&dev->block2.body);
}
