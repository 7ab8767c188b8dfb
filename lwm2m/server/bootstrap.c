/* bootstrap.c - the Bootstrap-Server message sequence (see lwm2m/bootstrap.h). TLV records
 * are written by hand: resources with value, 8-bit ids, lengths in the header or in 1-2
 * bytes (LwM2M Core §7.4.3). */
#include "lwm2m/bootstrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/link.h"

typedef struct tlv_out {
    uint8_t *buf;
    size_t size, len;
    int failed;
} tlv_out_t;

static void put_resource(tlv_out_t *o, uint8_t id, const uint8_t *value, size_t len)
{
    uint8_t head[4];
    size_t n = 0;
    if (len < 8) {
        head[n++] = (uint8_t)(0xC0 | len);
    } else if (len < 256) {
        head[n++] = 0xC8;
    } else {
        head[n++] = 0xD0;
    }
    head[n++] = id;
    if (len >= 8 && len < 256) {
        head[n++] = (uint8_t)len;
    } else if (len >= 256) {
        head[n++] = (uint8_t)(len >> 8);
        head[n++] = (uint8_t)len;
    }
    if (len > 0xffff || o->len + n + len > o->size) {
        o->failed = 1;
        return;
    }
    memcpy(o->buf + o->len, head, n);
    if (len)
        memcpy(o->buf + o->len + n, value, len);
    o->len += n + len;
}

/* Integers in the shortest of 1, 2, 4 or 8 bytes, big-endian, signed. */
static void put_int(tlv_out_t *o, uint8_t id, int64_t v)
{
    uint8_t b[8];
    size_t n = v >= INT8_MIN && v <= INT8_MAX     ? 1
               : v >= INT16_MIN && v <= INT16_MAX ? 2
               : v >= INT32_MIN && v <= INT32_MAX ? 4
                                                  : 8;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)((uint64_t)v >> (8 * (n - 1 - i)));
    put_resource(o, id, b, n);
}

static void put_text(tlv_out_t *o, uint8_t id, const char *s)
{
    put_resource(o, id, (const uint8_t *)s, strlen(s));
}

static void set_uri(lwm2m_bs_step_t *s, const char *text)
{
    snprintf(s->uri, sizeof(s->uri), "%s", text);
}

int lwm2m_bootstrap_steps(const lwm2m_bs_account_t *a, lwm2m_bs_step_t *steps)
{
    if (!a->server_uri || a->security_instance == 65535 ||
        strlen(a->server_uri) > LWM2M_BS_URI_MAX || a->identity_len > LWM2M_BS_IDENTITY_MAX ||
        a->key_len > LWM2M_BS_KEY_MAX ||
        (a->mode == LWM2M_BS_MODE_PSK && (!a->identity_len || !a->key_len)))
        return -400;
    memset(steps, 0, sizeof(*steps) * LWM2M_BS_STEPS_MAX);
    steps[0].method = LWM2M_BS_DELETE;
    set_uri(&steps[0], "/0");
    steps[1].method = LWM2M_BS_DELETE;
    set_uri(&steps[1], "/1");

    lwm2m_bs_step_t *sec = &steps[2];
    sec->method = LWM2M_BS_WRITE;
    snprintf(sec->uri, sizeof(sec->uri), "/0/%u", a->security_instance);
    tlv_out_t o = {.buf = sec->payload, .size = sizeof(sec->payload)};
    uint8_t no = 0;
    put_text(&o, 0, a->server_uri);
    put_resource(&o, 1, &no, 1); /* not a bootstrap server */
    put_int(&o, 2, a->mode);
    if (a->mode == LWM2M_BS_MODE_PSK) {
        put_resource(&o, 3, a->identity, a->identity_len);
        put_resource(&o, 5, a->key, a->key_len);
    } else {
        put_resource(&o, 3, NULL, 0);
        put_resource(&o, 5, NULL, 0);
    }
    put_int(&o, 10, a->short_server_id);
    sec->payload_len = o.len;

    lwm2m_bs_step_t *srv = &steps[3];
    srv->method = LWM2M_BS_WRITE;
    snprintf(srv->uri, sizeof(srv->uri), "/1/%d", LWM2M_BS_SERVER_INSTANCE);
    tlv_out_t p = {.buf = srv->payload, .size = sizeof(srv->payload)};
    put_int(&p, 0, a->short_server_id);
    put_int(&p, 1, a->lifetime);
    put_text(&p, 7, a->binding && a->binding[0] ? a->binding : "U");
    srv->payload_len = p.len;
    if (o.failed || p.failed)
        return -400;

    steps[4].method = LWM2M_BS_FINISH;
    set_uri(&steps[4], "/bs");
    return LWM2M_BS_STEPS_MAX;
}

int lwm2m_bootstrap_step_ok(const lwm2m_bs_step_t *step, int code)
{
    if (step->method == LWM2M_BS_DISCOVER)
        return 1;
    if (step->method == LWM2M_BS_DELETE)
        return code == 202 || code == 404;
    return code == 204 || code == 201;
}

/* "/0/12" -> 12; -1 for anything else. */
static long security_instance_of(const char *uri)
{
    if (strncmp(uri, "/0/", 3) != 0 || uri[3] < '0' || uri[3] > '9')
        return -1;
    char *end;
    long n = strtol(uri + 3, &end, 10);
    return *end == 0 && n < 65535 ? n : -1;
}

uint16_t lwm2m_bootstrap_security_instance(const char *links, size_t len)
{
    lwm2m_links_t parsed = {0};
    lwm2m_error_t err;
    long bs = -1;
    if (!links || lwm2m_link_parse(links, len, &parsed, &err) < 0)
        return LWM2M_BS_SECURITY_INSTANCE;
    for (size_t i = 0; i < parsed.count && bs < 0; i++) {
        long n = security_instance_of(parsed.items[i].uri);
        if (n >= 0 && !lwm2m_link_find_attr(&parsed.items[i], "ssid"))
            bs = n;
    }
    lwm2m_links_clear(&parsed);
    if (bs < 0)
        return LWM2M_BS_SECURITY_INSTANCE; /* no bootstrap account listed: keep the convention */
    return bs == 0 ? 1 : 0;
}
