/* bench_coap.h - the few CoAP (RFC 7252) message pieces the benchmark load generator writes
 * and reads by hand: a header, options in order, a payload. Nothing here allocates. */
#ifndef BENCH_COAP_H
#define BENCH_COAP_H

#include <stddef.h>
#include <stdint.h>

enum { BENCH_CON = 0, BENCH_NON = 1, BENCH_ACK = 2, BENCH_RST = 3 };

#define BENCH_CODE(c, d) ((uint8_t)(((c) << 5) | (d)))

/* A message being written into buf; options must be added in increasing number order. */
typedef struct bench_msg_out {
    uint8_t *buf;
    size_t size, len;
    unsigned last_option;
    int overflow;
} bench_msg_out_t;

void bench_out_init(bench_msg_out_t *m, uint8_t *buf, size_t size, int type, uint8_t code,
                    uint16_t mid, const uint8_t *token, size_t token_len);
void bench_out_option(bench_msg_out_t *m, unsigned number, const void *value, size_t len);
void bench_out_uint_option(bench_msg_out_t *m, unsigned number, uint32_t value);
void bench_out_payload(bench_msg_out_t *m, const void *data, size_t len);

/* A parsed message: pointers into the datagram. */
typedef struct bench_msg_in {
    int type;
    uint8_t code;
    uint16_t mid;
    uint8_t token[8];
    size_t token_len;
    int has_observe;
    uint32_t observe;
    char uri[64]; /* Uri-Path segments joined with '/' */
    const uint8_t *payload;
    size_t payload_len;
} bench_msg_in_t;

/* 0, or -1 when the datagram is not a well-formed CoAP message. */
int bench_parse(const uint8_t *data, size_t len, bench_msg_in_t *ret);

#endif
