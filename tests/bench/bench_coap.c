/* bench_coap.c - minimal CoAP message writer and reader for the load generator. */
#include "bench_coap.h"

#include <string.h>

static void put(bench_msg_out_t *m, const void *data, size_t len)
{
    if (m->len + len > m->size) {
        m->overflow = 1;
        return;
    }
    memcpy(m->buf + m->len, data, len);
    m->len += len;
}

void bench_out_init(bench_msg_out_t *m, uint8_t *buf, size_t size, int type, uint8_t code,
                    uint16_t mid, const uint8_t *token, size_t token_len)
{
    uint8_t head[4] = {(uint8_t)(0x40 | (type << 4) | (int)token_len), code, (uint8_t)(mid >> 8),
                       (uint8_t)mid};
    m->buf = buf;
    m->size = size;
    m->len = 0;
    m->last_option = 0;
    m->overflow = 0;
    put(m, head, sizeof(head));
    put(m, token, token_len);
}

static size_t nibble(size_t v, uint8_t *ext, size_t *ext_len)
{
    if (v < 13) {
        *ext_len = 0;
        return v;
    }
    if (v < 269) {
        ext[0] = (uint8_t)(v - 13);
        *ext_len = 1;
        return 13;
    }
    ext[0] = (uint8_t)((v - 269) >> 8);
    ext[1] = (uint8_t)(v - 269);
    *ext_len = 2;
    return 14;
}

void bench_out_option(bench_msg_out_t *m, unsigned number, const void *value, size_t len)
{
    uint8_t ext_delta[2], ext_len[2];
    size_t nd, nl;
    size_t d = nibble(number - m->last_option, ext_delta, &nd);
    size_t l = nibble(len, ext_len, &nl);
    uint8_t first = (uint8_t)((d << 4) | l);
    put(m, &first, 1);
    put(m, ext_delta, nd);
    put(m, ext_len, nl);
    put(m, value, len);
    m->last_option = number;
}

void bench_out_uint_option(bench_msg_out_t *m, unsigned number, uint32_t value)
{
    uint8_t b[4];
    size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8)
        if (n || (value >> shift) & 0xff)
            b[n++] = (uint8_t)(value >> shift);
    bench_out_option(m, number, b, n);
}

void bench_out_payload(bench_msg_out_t *m, const void *data, size_t len)
{
    if (!len)
        return;
    uint8_t marker = 0xff;
    put(m, &marker, 1);
    put(m, data, len);
}

static int read_ext(const uint8_t **p, const uint8_t *end, unsigned nib, size_t *ret)
{
    if (nib < 13) {
        *ret = nib;
        return 0;
    }
    if (nib == 13) {
        if (*p >= end)
            return -1;
        *ret = 13u + *(*p)++;
        return 0;
    }
    if (nib == 14) {
        if (*p + 2 > end)
            return -1;
        *ret = 269u + ((size_t)(*p)[0] << 8) + (*p)[1];
        *p += 2;
        return 0;
    }
    return -1;
}

int bench_parse(const uint8_t *data, size_t len, bench_msg_in_t *ret)
{
    if (len < 4 || (data[0] >> 6) != 1)
        return -1;
    memset(ret, 0, sizeof(*ret));
    ret->type = (data[0] >> 4) & 3;
    ret->token_len = data[0] & 15;
    ret->code = data[1];
    ret->mid = (uint16_t)((data[2] << 8) | data[3]);
    if (ret->token_len > 8 || 4 + ret->token_len > len)
        return -1;
    memcpy(ret->token, data + 4, ret->token_len);
    const uint8_t *p = data + 4 + ret->token_len, *end = data + len;
    size_t number = 0, uri_len = 0;
    while (p < end) {
        if (*p == 0xff) {
            ret->payload = p + 1;
            ret->payload_len = (size_t)(end - p - 1);
            return 0;
        }
        unsigned dn = *p >> 4, ln = *p & 15;
        p++;
        size_t delta, olen;
        if (read_ext(&p, end, dn, &delta) < 0 || read_ext(&p, end, ln, &olen) < 0 || p + olen > end)
            return -1;
        number += delta;
        if (number == 6) {
            uint32_t v = 0;
            for (size_t i = 0; i < olen && i < 4; i++)
                v = (v << 8) | p[i];
            ret->has_observe = 1;
            ret->observe = v;
        } else if (number == 11 && uri_len + olen + 2 < sizeof(ret->uri)) {
            ret->uri[uri_len++] = '/';
            memcpy(ret->uri + uri_len, p, olen);
            uri_len += olen;
            ret->uri[uri_len] = 0;
        }
        p += olen;
    }
    return 0;
}
