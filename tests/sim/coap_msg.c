/* coap_msg.c - CoAP message parsing (libcoap) and building (our encoder). */
#include "coap_msg.h"

#include <coap3/coap.h>
#include <stdio.h>
#include <string.h>

void sim_msg_library_init(void)
{
    coap_startup();
    coap_set_log_level(LOG_EMERG);
}

static void sim_msg_collect_options(coap_pdu_t *pdu, sim_msg_t *msg, bool *overflow)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while ((opt = coap_option_next(&it))) {
        if (msg->opt_count == SIM_MSG_MAX_OPTIONS) {
            *overflow = true;
            return;
        }
        sim_msg_opt_t *o = &msg->opts[msg->opt_count++];
        o->number = it.number;
        o->len = (uint16_t)coap_opt_length(opt);
        o->value = coap_opt_value(opt);
    }
}

int sim_msg_parse(const uint8_t *data, size_t len, sim_msg_t *msg)
{
    memset(msg, 0, sizeof(*msg));
    if (len < 4)
        return -1;
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, len);
    if (!pdu)
        return -1;
    if (!coap_pdu_parse(COAP_PROTO_UDP, data, len, pdu)) {
        coap_delete_pdu(pdu);
        return -1;
    }
    msg->pdu = pdu;
    msg->type = (uint8_t)coap_pdu_get_type(pdu);
    msg->code = (uint8_t)coap_pdu_get_code(pdu);
    msg->mid = (uint16_t)coap_pdu_get_mid(pdu);
    coap_bin_const_t tok = coap_pdu_get_token(pdu);
    if (tok.length > SIM_TOKEN_MAX) {
        sim_msg_free(msg);
        return -1;
    }
    memcpy(msg->token, tok.s, tok.length);
    msg->token_len = (uint8_t)tok.length;
    bool overflow = false;
    sim_msg_collect_options(pdu, msg, &overflow);
    if (overflow) {
        sim_msg_free(msg);
        return -1;
    }
    if (!coap_get_data(pdu, &msg->payload_len, &msg->payload)) {
        msg->payload = NULL;
        msg->payload_len = 0;
    }
    return 0;
}

void sim_msg_free(sim_msg_t *msg)
{
    if (msg && msg->pdu) {
        coap_delete_pdu((coap_pdu_t *)msg->pdu);
        msg->pdu = NULL;
    }
}

const sim_msg_opt_t *sim_msg_opt(const sim_msg_t *msg, uint16_t number)
{
    for (size_t i = 0; i < msg->opt_count; i++)
        if (msg->opts[i].number == number)
            return &msg->opts[i];
    return NULL;
}

bool sim_msg_opt_uint(const sim_msg_t *msg, uint16_t number, uint32_t *ret)
{
    const sim_msg_opt_t *o = sim_msg_opt(msg, number);
    if (!o || o->len > 4)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < o->len; i++)
        v = v << 8 | o->value[i];
    *ret = v;
    return true;
}

static int sim_msg_join(const sim_msg_t *msg, uint16_t number, char sep, bool lead, char *buf,
                        size_t size)
{
    size_t len = 0;
    bool first = true;
    for (size_t i = 0; i < msg->opt_count; i++) {
        const sim_msg_opt_t *o = &msg->opts[i];
        if (o->number != number)
            continue;
        size_t need = o->len + ((lead || !first) ? 1 : 0);
        if (len + need + 1 > size)
            return -1;
        if (lead || !first)
            buf[len++] = sep;
        memcpy(buf + len, o->value, o->len);
        len += o->len;
        first = false;
    }
    if (lead && len == 0) {
        if (size < 2)
            return -1;
        buf[len++] = sep;
    }
    if (size == 0)
        return -1;
    buf[len] = '\0';
    return (int)len;
}

int sim_msg_uri_path(const sim_msg_t *msg, char *buf, size_t size)
{
    return sim_msg_join(msg, SIM_OPT_URI_PATH, '/', true, buf, size);
}

int sim_msg_uri_query(const sim_msg_t *msg, char *buf, size_t size)
{
    return sim_msg_join(msg, SIM_OPT_URI_QUERY, '&', false, buf, size);
}

bool sim_code_is_request(uint8_t code)
{
    return code >= 1 && code <= 31;
}

const char *sim_code_text(uint8_t code, char buf[8])
{
    snprintf(buf, 8, "%u.%02u", (unsigned)(code >> 5), (unsigned)(code & 31));
    return buf;
}

const char *sim_method_name(uint8_t code)
{
    static const char *const names[] = {"EMPTY",  "GET",   "POST",  "PUT",
                                        "DELETE", "FETCH", "PATCH", "iPATCH"};
    return code < sizeof(names) / sizeof(names[0]) ? names[code] : "?";
}

bool sim_msg_block(const sim_msg_t *msg, uint16_t number, sim_block_t *ret)
{
    uint32_t v;
    if (!sim_msg_opt_uint(msg, number, &v) || (v & 7) == 7)
        return false;
    ret->num = v >> 4;
    ret->more = (v & 8) != 0;
    ret->szx = (uint8_t)(v & 7);
    return true;
}

uint32_t sim_block_encode(sim_block_t block)
{
    return block.num << 4 | (block.more ? 8u : 0u) | block.szx;
}

void sim_builder_init(sim_builder_t *b, uint8_t type, uint8_t code, uint16_t mid,
                      const uint8_t *token, size_t token_len)
{
    memset(b, 0, offsetof(sim_builder_t, arena)); /* the arena needs no clearing */
    b->arena_len = 0;
    b->overflow = false;
    b->type = type;
    b->code = code;
    b->mid = mid;
    if (token_len > SIM_TOKEN_MAX)
        token_len = SIM_TOKEN_MAX;
    if (token_len)
        memcpy(b->token, token, token_len);
    b->token_len = (uint8_t)token_len;
}

void sim_builder_opt(sim_builder_t *b, uint16_t number, const void *value, size_t len)
{
    if (b->opt_count == SIM_BUILDER_MAX_OPTIONS || len > SIM_BUILDER_ARENA - b->arena_len) {
        b->overflow = true;
        return;
    }
    if (len)
        memcpy(b->arena + b->arena_len, value, len);
    b->opts[b->opt_count].number = number;
    b->opts[b->opt_count].len = (uint16_t)len;
    b->opts[b->opt_count].offset = (uint16_t)b->arena_len;
    b->opt_count++;
    b->arena_len += len;
}

void sim_builder_opt_uint(sim_builder_t *b, uint16_t number, uint32_t value)
{
    uint8_t bytes[4];
    size_t len = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        uint8_t byte = (uint8_t)(value >> shift);
        if (len == 0 && byte == 0)
            continue;
        bytes[len++] = byte;
    }
    sim_builder_opt(b, number, bytes, len);
}

void sim_builder_opt_str(sim_builder_t *b, uint16_t number, const char *value)
{
    sim_builder_opt(b, number, value, strlen(value));
}

void sim_builder_opt_path(sim_builder_t *b, uint16_t number, const char *path)
{
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        sim_builder_opt(b, number, p, len);
        p += len;
    }
}

/* Option delta/length nibble and its extension bytes. */
static int sim_builder_nibble(uint32_t v, uint8_t ext[2], size_t *ext_len)
{
    if (v < 13) {
        *ext_len = 0;
        return (int)v;
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

int sim_builder_encode(const sim_builder_t *b, const uint8_t *payload, size_t payload_len,
                       lwm2m_buf_t *out)
{
    if (b->overflow)
        return -1;
    size_t order[SIM_BUILDER_MAX_OPTIONS];
    for (size_t i = 0; i < b->opt_count; i++) {
        size_t j = i;
        while (j > 0 && b->opts[order[j - 1]].number > b->opts[i].number) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    lwm2m_buf_reset(out);
    uint8_t hdr[4] = {(uint8_t)(0x40 | (b->type & 3) << 4 | b->token_len), b->code,
                      (uint8_t)(b->mid >> 8), (uint8_t)b->mid};
    int rc = lwm2m_buf_append(out, hdr, 4);
    if (rc == 0 && b->token_len)
        rc = lwm2m_buf_append(out, b->token, b->token_len);
    uint16_t prev = 0;
    for (size_t k = 0; rc == 0 && k < b->opt_count; k++) {
        size_t i = order[k];
        uint8_t dext[2], lext[2];
        size_t dlen, llen;
        int dn = sim_builder_nibble((uint32_t)(b->opts[i].number - prev), dext, &dlen);
        int ln = sim_builder_nibble(b->opts[i].len, lext, &llen);
        rc = lwm2m_buf_append_byte(out, (uint8_t)(dn << 4 | ln));
        if (rc == 0 && dlen)
            rc = lwm2m_buf_append(out, dext, dlen);
        if (rc == 0 && llen)
            rc = lwm2m_buf_append(out, lext, llen);
        if (rc == 0 && b->opts[i].len)
            rc = lwm2m_buf_append(out, b->arena + b->opts[i].offset, b->opts[i].len);
        prev = b->opts[i].number;
    }
    if (rc == 0 && payload_len) {
        rc = lwm2m_buf_append_byte(out, 0xFF);
        if (rc == 0)
            rc = lwm2m_buf_append(out, payload, payload_len);
    }
    return rc == 0 ? 0 : -1;
}
