/* bench_coap_server.c - the raw CoAP baseline: a bare libcoap 4.3.1 server doing the least an
 * LwM2M server must: POST /rd answers 2.01 with a Location; with --observe it then sends one
 * GET Observe /3303/0/5700 on the device's session, as the gateway's auto-observe does, and
 * counts the notifications that come back. GET /count answers "registrations notifications".
 * With --psk HEX DTLS_PORT it also listens for DTLS 1.2 on DTLS_PORT and accepts any identity
 * with that key (/count stays on the plain port).
 * Same libcoap (the gateway's GnuTLS variant), same loopback, same load generator as the gateway:
 * what it reaches is what CoAP alone allows on this machine. */
#include <coap3/coap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

static unsigned long registrations, notifications, next_token;
static int observe;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void send_observe(coap_session_t *session)
{
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);
    uint8_t token[8], obs = 0;
    size_t n = coap_encode_var_safe8(token, sizeof(token), ++next_token);
    if (!pdu)
        return;
    coap_add_token(pdu, n, token);
    coap_add_option(pdu, COAP_OPTION_OBSERVE, 0, &obs);
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"3303");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, (const uint8_t *)"0");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"5700");
    coap_send(session, pdu);
}

static void handle_rd(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
                      const coap_string_t *query, coap_pdu_t *response)
{
    char loc[24];
    (void)resource;
    (void)request;
    (void)query;
    int n = snprintf(loc, sizeof(loc), "%lx", ++registrations);
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CREATED);
    coap_add_option(response, COAP_OPTION_LOCATION_PATH, 2, (const uint8_t *)"rd");
    coap_add_option(response, COAP_OPTION_LOCATION_PATH, (size_t)n, (const uint8_t *)loc);
    if (observe)
        send_observe(session);
}

static void handle_count(coap_resource_t *resource, coap_session_t *session,
                         const coap_pdu_t *request, const coap_string_t *query,
                         coap_pdu_t *response)
{
    char text[64];
    (void)resource;
    (void)session;
    (void)request;
    (void)query;
    int n = snprintf(text, sizeof(text), "%lu %lu", notifications, registrations);
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);
    coap_add_data(response, (size_t)n, (const uint8_t *)text);
}

static coap_response_t handle_response(coap_session_t *session, const coap_pdu_t *sent,
                                       const coap_pdu_t *received, const coap_mid_t mid)
{
    coap_opt_iterator_t it;
    (void)session;
    (void)sent;
    (void)mid;
    coap_opt_t *obs = coap_check_option(received, COAP_OPTION_OBSERVE, &it);
    /* the answer to the Observe carries 1 (from the load generator), notifications count up */
    if (obs && coap_decode_var_bytes(coap_opt_value(obs), coap_opt_length(obs)) > 1)
        notifications++;
    return COAP_RESPONSE_OK;
}

int main(int argc, char **argv)
{
    struct sockaddr_in sin;
    static uint8_t key[64];
    size_t key_len = 0;
    unsigned dtls_port = 0;
    if (argc < 2 || bench_parse_addr(argv[1], &sin) < 0) {
        fprintf(stderr, "usage: bench-coap-server ADDR:PORT [--observe] [--psk HEX DTLS_PORT]\n");
        return 2;
    }
    for (int a = 2; a < argc; a++) {
        if (strcmp(argv[a], "--observe") == 0)
            observe = 1;
        else if (strcmp(argv[a], "--psk") == 0 && a + 2 < argc) {
            for (const char *h = argv[++a]; h[0] && h[1] && key_len < sizeof(key); h += 2)
                sscanf(h, "%2hhx", &key[key_len++]);
            dtls_port = (unsigned)atoi(argv[++a]);
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    coap_startup();
    coap_set_log_level(LOG_WARNING);
    coap_context_t *ctx = coap_new_context(NULL);
    coap_address_t addr;
    coap_address_init(&addr);
    addr.addr.sin = sin;
    addr.size = sizeof(sin);
    if (ctx && key_len) {
        coap_dtls_spsk_t psk = {.version = COAP_DTLS_SPSK_SETUP_VERSION};
        psk.psk_info.key.s = key;
        psk.psk_info.key.length = key_len;
        coap_context_set_psk2(ctx, &psk);
    }
    if (!ctx || !coap_new_endpoint(ctx, &addr, COAP_PROTO_UDP)) {
        fprintf(stderr, "%s: cannot listen\n", argv[1]);
        return 1;
    }
    if (key_len) {
        addr.addr.sin.sin_port = htons((uint16_t)dtls_port);
        if (!coap_new_endpoint(ctx, &addr, COAP_PROTO_DTLS)) {
            fprintf(stderr, "port %u: cannot listen for DTLS\n", dtls_port);
            return 1;
        }
    }
    /* Bound libcoap's unreferenced sessions as the gateway does: with the default (300 s
     * idle) it walks every session per packet and a 100,000-device storm takes minutes. */
    coap_context_set_max_idle_sessions(ctx, 4096);
    coap_register_response_handler(ctx, handle_response);
    coap_resource_t *rd = coap_resource_init(coap_make_str_const("rd"), 0);
    coap_register_handler(rd, COAP_REQUEST_POST, handle_rd);
    coap_add_resource(ctx, rd);
    coap_resource_t *count = coap_resource_init(coap_make_str_const("count"), 0);
    coap_register_handler(count, COAP_REQUEST_GET, handle_count);
    coap_add_resource(ctx, count);
    printf("ready\n");
    fflush(stdout);
    while (!stop)
        coap_io_process(ctx, 500);
    coap_free_context(ctx);
    coap_cleanup();
    return 0;
}
