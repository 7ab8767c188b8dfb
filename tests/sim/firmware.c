/* firmware.c - object 5 on the simulated device: the pull download (Block2 GETs of the URI
 * written to /5/0/1, one block at a time, at --block-size or smaller when the server answers
 * smaller; a lost block is asked for again, also after the device slept), and what arrived
 * (push or pull) reported with its SHA-256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "sim.h"

#define SIM_FW_MAX_TRIES 8 /* attempts at one block before the download fails */

static void sim_fw_event(sim_device_t *dev, const char *name, const char *reason)
{
    sim_event_t ev;
    sim_event_device(&ev, name, dev);
    if (reason)
        sim_event_str(&ev, "reason", reason);
    sim_event_uint(&ev, "bytes", dev->fw.data.len);
    sim_event_uint(&ev, "blocks", dev->fw.blocks);
    sim_event_end(&ev);
}

static void sim_fw_stop(sim_device_t *dev)
{
    dev->fw.active = false;
    dev->fw.retry_at = 0;
    lwm2m_buf_free(&dev->fw.data);
}

static void sim_fw_fail(sim_device_t *dev, int result, const char *reason)
{
    sim_fw_event(dev, "firmware_download_failed", reason);
    sim_fw_stop(dev);
    sim_firmware_state(dev, 0, result);
}

void sim_fw_received(sim_device_t *dev, const char *method, const uint8_t *data, size_t len)
{
    char hash[65];
    sim_sha256_hex(data, len, hash);
    sim_event_t ev;
    sim_event_device(&ev, "firmware_received", dev);
    sim_event_str(&ev, "method", method);
    sim_event_uint(&ev, "bytes", len);
    sim_event_str(&ev, "sha256", hash);
    if (strcmp(method, "pull") == 0)
        sim_event_uint(&ev, "blocks", dev->fw.blocks);
    sim_event_end(&ev);
    sim_firmware_state(dev, 2, 0);
}

/* GET the block after what we have. */
static void sim_fw_request(sim_device_t *dev)
{
    size_t size = sim_block_size(dev->fw.szx);
    sim_block_t want = {.num = (uint32_t)(dev->fw.data.len / size), .szx = dev->fw.szx};
    sim_builder_t b;
    sim_builder_init(&b, SIM_COAP_CON, SIM_GET, 0, NULL, 0);
    sim_builder_opt_path(&b, SIM_OPT_URI_PATH, dev->fw.path);
    sim_builder_opt_uint(&b, SIM_OPT_BLOCK2, sim_block_encode(want));
    dev->fw.retry_at = 0;
    if (!sim_transport_request(dev, SIM_EX_DOWNLOAD, &dev->fw.peer, &b, NULL, 0))
        dev->fw.retry_at = sim_now_ms() + 1000; /* too busy now */
}

void sim_fw_pull(sim_device_t *dev, const char *uri, size_t len)
{
    char text[512], host[256], port[8] = "5683";
    sim_fw_stop(dev);
    dev->fw.blocks = 0;
    dev->fw.tries = 0;
    if (len == 0) {
        sim_firmware_state(dev, 0, 0);
        return;
    }
    if (len >= sizeof(text))
        return sim_fw_fail(dev, 7, "uri too long");
    memcpy(text, uri, len);
    text[len] = 0;
    if (strncmp(text, "coaps://", 8) == 0)
        return sim_fw_fail(dev, 9, "coaps is not supported by the simulator");
    if (strncmp(text, "coap://", 7) != 0)
        return sim_fw_fail(dev, 7, "not a coap:// uri");
    const char *h = text + 7, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end)
            return sim_fw_fail(dev, 7, "bad IPv6 host");
        snprintf(host, sizeof(host), "%.*s", (int)(end - h - 1), h + 1);
        end++;
    } else {
        end = h + strcspn(h, ":/");
        snprintf(host, sizeof(host), "%.*s", (int)(end - h), h);
    }
    if (*end == ':') {
        size_t n = strcspn(end + 1, "/");
        if (n == 0 || n >= sizeof(port))
            return sim_fw_fail(dev, 7, "bad port");
        snprintf(port, sizeof(port), "%.*s", (int)n, end + 1);
        end += 1 + n;
    }
    if (*end != '/' || strlen(end) >= sizeof(dev->fw.path) ||
        sim_resolve(host, port, AF_UNSPEC, &dev->fw.peer) < 0)
        return sim_fw_fail(dev, 7, "bad host or path");
    snprintf(dev->fw.path, sizeof(dev->fw.path), "%s", end);
    dev->fw.active = true;
    dev->fw.szx = dev->sim->opt.max_szx;
    lwm2m_buf_init(&dev->fw.data, dev->sim->opt.max_body);
    sim_firmware_state(dev, 1, 0);
    sim_fw_request(dev);
}

void sim_fw_on_response(sim_device_t *dev, const sim_msg_t *msg)
{
    if (!dev->fw.active)
        return;
    if (msg->code != SIM_CODE(2, 5))
        return sim_fw_fail(dev, msg->code == SIM_CODE(4, 4) ? 7 : 4, "error answer");
    sim_block_t got = {.num = 0, .more = false, .szx = dev->fw.szx};
    bool blockwise = sim_msg_block(msg, SIM_OPT_BLOCK2, &got);
    size_t size = sim_block_size(got.szx);
    if (blockwise && (uint64_t)got.num * size != dev->fw.data.len)
        return sim_fw_fail(dev, 4, "unexpected block");
    if (lwm2m_buf_append(&dev->fw.data, msg->payload, msg->payload_len) < 0)
        return sim_fw_fail(dev, 2, "package larger than --max-body");
    dev->fw.blocks++;
    dev->fw.tries = 0;
    if (blockwise && got.more) {
        if (got.szx < dev->fw.szx)
            dev->fw.szx = got.szx; /* the server wants smaller blocks */
        if (dev->fw.data.len % sim_block_size(dev->fw.szx) != 0)
            return sim_fw_fail(dev, 4, "short block");
        sim_fw_request(dev);
        return;
    }
    sim_fw_received(dev, "pull", dev->fw.data.data, dev->fw.data.len);
    sim_fw_stop(dev);
}

void sim_fw_on_failure(sim_device_t *dev, const char *why)
{
    if (!dev->fw.active)
        return;
    if (++dev->fw.tries >= SIM_FW_MAX_TRIES)
        return sim_fw_fail(dev, 4, why);
    sim_fw_event(dev, "firmware_block_retry", why);
    dev->fw.retry_at = sim_now_ms() + 1000;
}

void sim_fw_resume(sim_device_t *dev)
{
    if (!dev->fw.active)
        return;
    for (size_t i = 0; dev->exchanges && i < SIM_MAX_EXCHANGES; i++)
        if (dev->exchanges[i].in_use && dev->exchanges[i].kind == SIM_EX_DOWNLOAD)
            return; /* still asking */
    sim_fw_request(dev);
}

void sim_fw_tick(sim_device_t *dev, int64_t now)
{
    if (dev->fw.active && dev->fw.retry_at && dev->fw.retry_at <= now && !dev->asleep)
        sim_fw_resume(dev);
}

int64_t sim_fw_deadline(const sim_device_t *dev)
{
    return dev->fw.active && dev->fw.retry_at && !dev->asleep ? dev->fw.retry_at : INT64_MAX;
}

void sim_fw_free(sim_device_t *dev)
{
    sim_fw_stop(dev);
}
