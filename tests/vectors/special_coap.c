/* special_coap.c - CoAP message vectors (SMS trigger examples), parsed with libcoap, the same
 * parser the gateway's CoAP transport uses. */
#include <coap3/coap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodejson.h"
#include "vectors.h"

static const char *const type_names[] = {"CON", "NON", "ACK", "RST"};

static int check_uri_path(coap_pdu_t *pdu, json_object *want, char *msg, size_t msglen)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    size_t i = 0;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while ((opt = coap_option_next(&it))) {
        if (it.number != COAP_OPTION_URI_PATH)
            continue;
        const char *w = json_object_get_string(json_object_array_get_idx(want, i));
        size_t len = coap_opt_length(opt);
        if (!w || strlen(w) != len || memcmp(coap_opt_value(opt), w, len) != 0) {
            snprintf(msg, msglen, "uri_path segment %zu differs", i);
            return -1;
        }
        i++;
    }
    if (i != json_object_array_length(want)) {
        snprintf(msg, msglen, "got %zu uri_path segments", i);
        return -1;
    }
    return 0;
}

int vec_coap(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    size_t len = 0;
    unsigned char *bytes = vec_payload(vector, &len);
    coap_pdu_t *pdu = coap_pdu_init(0, 0, 0, len + 16);
    int rc = -1;
    if (!bytes || !pdu || !coap_pdu_parse(COAP_PROTO_UDP, bytes, len, pdu)) {
        snprintf(msg, msglen, "libcoap refused the message");
        goto out;
    }
    json_object *v;
    char code[24], token[32];
    int c = (int)coap_pdu_get_code(pdu);
    snprintf(code, sizeof(code), "%d.%02d", c >> 5, c & 31);
    coap_bin_const_t tok = coap_pdu_get_token(pdu);
    if (tok.length > 8) {
        snprintf(msg, msglen, "token too long");
        goto out;
    }
    nodejson_hex_encode(tok.s, tok.length, token);
    const char *want_type = vec_string(inner, "type");
    if (!want_type || strcmp(type_names[coap_pdu_get_type(pdu) & 3], want_type) != 0 ||
        strcmp(code, vec_string(inner, "code") ? vec_string(inner, "code") : "") != 0 ||
        strcmp(token, vec_string(inner, "token") ? vec_string(inner, "token") : "") != 0) {
        snprintf(msg, msglen, "header differs: %s %s token %s",
                 type_names[coap_pdu_get_type(pdu) & 3], code, token);
        goto out;
    }
    if (json_object_object_get_ex(inner, "message_id", &v) &&
        json_object_get_int(v) != coap_pdu_get_mid(pdu)) {
        snprintf(msg, msglen, "message id %d", coap_pdu_get_mid(pdu));
        goto out;
    }
    if (json_object_object_get_ex(inner, "uri_path", &v) && check_uri_path(pdu, v, msg, msglen) < 0)
        goto out;
    size_t plen = 0;
    const uint8_t *pdata = NULL;
    coap_get_data(pdu, &plen, &pdata);
    const char *want_payload = vec_string(inner, "payload_hex");
    char *hex = malloc(plen * 2 + 1);
    nodejson_hex_encode(pdata, plen, hex);
    rc = want_payload && strcmp(hex, want_payload) == 0 ? 0 : -1;
    if (rc < 0)
        snprintf(msg, msglen, "payload %s", hex);
    free(hex);
out:
    coap_delete_pdu(pdu);
    free(bytes);
    return rc;
}
