/* coap_transport.c - LwM2M over CoAP/UDP with libcoap 4.3.1. Incoming /rd and /dp requests
 * become uplinks for the server core; the core's downlinks become CoAP requests on the
 * device's session (or on a fresh session from the server's own port when the old one was
 * released); responses, notifications and NACKs are matched back by token.
 *
 * Sessions are carriers, not state: registrations, tokens and observations live in the server
 * core, keyed by address. We hold a reference to at most max_sessions sessions (the least
 * recently used makes room for a new one) and release the ones idle longer than
 * session_idle_ms, and (plain CoAP only) libcoap keeps at most max_sessions unreferenced
 * ones, because libcoap's per-packet work grows with the number of live sessions (it walks
 * all of them on every packet and for every new peer). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "coap_internal.h"

static coap_transport_log_fn log_fn;

/* libcoap 4.3.1 has no context app-data: a small table maps contexts to transports. */
static struct {
    coap_context_t *ctx;
    coap_transport_t *t;
} registry[4];

static void libcoap_log(coap_log_t level, const char *message)
{
    if (log_fn)
        log_fn((int)level, message);
}

void coap_transport_set_log(coap_transport_log_fn fn, int level)
{
    log_fn = fn;
    coap_set_log_handler(libcoap_log);
    coap_set_log_level((coap_log_t)level);
}

static void format_address(const coap_address_t *a, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->addr.sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a->addr.sin6.sin6_addr, ip, sizeof(ip));
        snprintf(buf, size, "[%s]:%u", ip, ntohs(a->addr.sin6.sin6_port));
    } else {
        inet_ntop(AF_INET, &a->addr.sin.sin_addr, ip, sizeof(ip));
        snprintf(buf, size, "%s:%u", ip, ntohs(a->addr.sin.sin_port));
    }
}

/* "127.0.0.1:5683" or "[::1]:5683" into a coap_address_t. */
static int parse_address(const char *text, coap_address_t *ret)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof(host))
        return -EINVAL;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || port > 65535)
        return -EINVAL;
    coap_address_init(ret);
    if (host[0] == '[') {
        size_t n = strlen(host);
        if (n < 2 || host[n - 1] != ']')
            return -EINVAL;
        host[n - 1] = 0;
        ret->addr.sin6.sin6_family = AF_INET6;
        ret->addr.sin6.sin6_port = htons((uint16_t)port);
        ret->size = sizeof(ret->addr.sin6);
        return inet_pton(AF_INET6, host + 1, &ret->addr.sin6.sin6_addr) == 1 ? 0 : -EINVAL;
    }
    ret->addr.sin.sin_family = AF_INET;
    ret->addr.sin.sin_port = htons((uint16_t)port);
    ret->size = sizeof(ret->addr.sin);
    return inet_pton(AF_INET, host, &ret->addr.sin.sin_addr) == 1 ? 0 : -EINVAL;
}

coap_transport_t *coap_transport_of(coap_session_t *session)
{
    coap_context_t *ctx = coap_session_get_context(session);
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
        if (registry[i].ctx == ctx)
            return registry[i].t;
    return NULL;
}

static int registry_set(coap_context_t *ctx, coap_transport_t *t)
{
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
        if (registry[i].ctx == (t ? NULL : ctx)) {
            registry[i].ctx = t ? ctx : NULL;
            registry[i].t = t;
            return 0;
        }
    }
    return -ENOSPC;
}

static bool is_dtls(const coap_session_t *session)
{
    return coap_session_get_proto(session) == COAP_PROTO_DTLS;
}

static void peer_of(coap_transport_t *t, coap_session_t *session, lwm2m_peer_t *peer)
{
    memset(peer, 0, sizeof(*peer));
    peer->transport = is_dtls(session) ? &t->iface_dtls : &t->iface;
    format_address(coap_session_get_addr_remote(session), peer->address, sizeof(peer->address));
}

/* Held sessions are keyed by transport and address: a DTLS and a plain peer never share one. */
static void session_key(const lwm2m_transport_t *transport, const char *address, char *buf,
                        size_t size)
{
    snprintf(buf, size, "%s|%s", transport->name, address);
}

static void unlink_recent(held_session_t *h)
{
    h->prev->next = h->next;
    h->next->prev = h->prev;
}

static void touch_session(coap_transport_t *t, held_session_t *h)
{
    h->last_used_ms = t->now_ms;
    unlink_recent(h);
    h->next = t->recent.next;
    h->prev = &t->recent;
    t->recent.next->prev = h;
    t->recent.next = h;
}

static void drop_session(coap_transport_t *t, held_session_t *h)
{
    hash_del_str(&t->sessions, h->address);
    unlink_recent(h);
    coap_session_release(h->session);
    free(h);
}

/* Keeps a reference to the session the device last used, so requests go out on it. */
static void hold_session(coap_transport_t *t, coap_session_t *session, const lwm2m_peer_t *peer)
{
    char address[sizeof(((held_session_t *)0)->address)];
    session_key(peer->transport, peer->address, address, sizeof(address));
    held_session_t *h = hash_get_str(&t->sessions, address);
    if (h && h->session == session) {
        touch_session(t, h);
        return;
    }
    if (!h) {
        /* Over the bound, the least recently used device makes room: requests to it will
         * open a session when needed. */
        if (t->sessions.count >= t->cfg.max_sessions && t->recent.prev != &t->recent)
            drop_session(t, t->recent.prev);
        h = calloc(1, sizeof(*h));
        if (!h)
            return;
        snprintf(h->address, sizeof(h->address), "%s", address);
        hash_put_str(&t->sessions, h->address, h);
        h->prev = h->next = h; /* touch_session links it */
    } else {
        coap_session_release(h->session);
    }
    h->session = coap_session_reference(session);
    touch_session(t, h);
    /* Observations live in the server core, not in the session: releasing an idle session
     * must not cancel them. */
    coap_session_set_no_observe_cancel(session);
}

/* Uri-Query options back into "k=v&k2" text, percent-encoding what the core's parser would
 * otherwise split on. */
static void collect_query(const coap_pdu_t *pdu, char *buf, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    size_t off = 0;
    buf[0] = 0;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while ((opt = coap_option_next(&it))) {
        if (it.number != COAP_OPTION_URI_QUERY)
            continue;
        const uint8_t *v = coap_opt_value(opt);
        size_t len = coap_opt_length(opt);
        if (off && off + 1 < size)
            buf[off++] = '&';
        bool seen_eq = false;
        for (size_t i = 0; i < len && off + 4 < size; i++) {
            uint8_t c = v[i];
            bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || strchr("-._~:/+", c);
            if (c == '=' && !seen_eq) {
                seen_eq = true;
                plain = true;
            }
            if (plain) {
                buf[off++] = (char)c;
            } else {
                buf[off++] = '%';
                buf[off++] = hex[c >> 4];
                buf[off++] = hex[c & 15];
            }
        }
    }
    buf[off] = 0;
}

static int content_format_of(const coap_pdu_t *pdu)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, COAP_OPTION_CONTENT_FORMAT, &it);
    if (!opt)
        return -1;
    return (int)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

static void set_code(coap_pdu_t *response, int code)
{
    coap_pdu_set_code(response, (coap_pdu_code_t)COAP_RESPONSE_CODE(code));
}

static void handle_uplink(coap_session_t *session, const coap_pdu_t *request, coap_pdu_t *response,
                          lwm2m_uplink_type_t type, const char *location)
{
    coap_transport_t *t = coap_transport_of(session);
    char query[1024];
    lwm2m_peer_t peer;
    lwm2m_uplink_reply_t reply;
    size_t len = 0, offset = 0, total = 0;
    const uint8_t *data = NULL;
    coap_get_data_large(request, &len, &data, &offset, &total);
    collect_query(request, query, sizeof(query));
    peer_of(t, session, &peer);
    int cf = content_format_of(request);
    lwm2m_uplink_t up = {.type = type,
                         .location = location,
                         .query = query,
                         .content_format = (uint16_t)(cf < 0 ? 0 : cf),
                         .has_content_format = cf >= 0,
                         .payload = data,
                         .payload_len = data ? len : 0};
    t->stats.uplinks++;
    if (coap_dtls_authorize(t, session, request, type, location) != 0) {
        set_code(response, 403);
        return;
    }
    /* Hold the session first: the server's event handlers may send requests to the device
     * (auto-observe at Register) from inside the uplink, and they must use this session. */
    hold_session(t, session, &peer);
    lwm2m_server_uplink(t->server, &peer, &up, t->now_ms, &reply);
    set_code(response, reply.code);
    if (reply.code == 201) {
        char loc[LWM2M_LOCATION_MAX];
        snprintf(loc, sizeof(loc), "%s", reply.location);
        char *slash = strchr(loc, '/');
        if (slash)
            *slash = 0;
        coap_add_option(response, COAP_OPTION_LOCATION_PATH, strlen(loc), (const uint8_t *)loc);
        if (slash)
            coap_add_option(response, COAP_OPTION_LOCATION_PATH, strlen(slash + 1),
                            (const uint8_t *)slash + 1);
    } else if (reply.code >= 400 && reply.error[0]) {
        /* RFC 7252 5.5.2: a diagnostic payload for humans. */
        coap_add_data(response, strlen(reply.error), (const uint8_t *)reply.error);
    }
}

/* Uri-Path segment i of the request into buf; returns its length or -1. */
static int path_segment(const coap_pdu_t *pdu, int index, char *buf, size_t size)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    int i = 0;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while ((opt = coap_option_next(&it))) {
        if (it.number != COAP_OPTION_URI_PATH)
            continue;
        if (i++ == index) {
            size_t n = coap_opt_length(opt);
            if (n >= size)
                return -1;
            memcpy(buf, coap_opt_value(opt), n);
            buf[n] = 0;
            return (int)n;
        }
    }
    return -1;
}

void coap_transport_set_download_handler(coap_transport_t *t,
                                         const coap_transport_download_handler_t *handler)
{
    if (handler)
        t->download = *handler;
    else
        memset(&t->download, 0, sizeof(t->download));
}

/* GET /fw/<name>: one block of the content per request, at the size the device asks for
 * (SZX 0..6; 1024 bytes without a Block2 option). Stateless: the block number alone says where,
 * so a lost block is simply asked for again, also after a restart of the gateway. */
static void handle_download(coap_session_t *session, const coap_pdu_t *request,
                            coap_pdu_t *response, const char *name)
{
    coap_transport_t *t = coap_transport_of(session);
    size_t len = 0;
    const uint8_t *data =
        t->download.lookup ? t->download.lookup(t->download.ctx, name, &len) : NULL;
    if (!data) {
        set_code(response, 404);
        return;
    }
    coap_block_t want;
    unsigned szx = 6, num = 0;
    if (coap_get_block(request, COAP_OPTION_BLOCK2, &want)) {
        num = want.num;
        szx = want.szx < 6 ? want.szx : 6;
    }
    size_t size = (size_t)1 << (szx + 4);
    size_t offset = (size_t)num * size;
    if (offset >= len && !(len == 0 && num == 0)) {
        set_code(response, 402); /* past the end (RFC 7959 section 2.4) */
        return;
    }
    size_t n = len - offset < size ? len - offset : size;
    bool more = offset + n < len;
    uint8_t buf[8];
    set_code(response, 205);
    coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buf, sizeof(buf), LWM2M_CF_OPAQUE), buf);
    coap_add_option(response, COAP_OPTION_BLOCK2,
                    coap_encode_var_safe(buf, sizeof(buf), num << 4 | (more ? 8u : 0u) | szx), buf);
    if (num == 0)
        coap_add_option(response, COAP_OPTION_SIZE2,
                        coap_encode_var_safe(buf, sizeof(buf), (unsigned)len), buf);
    coap_add_data(response, n, data + offset);
    if (t->download.served)
        t->download.served(t->download.ctx, name, offset, n, len);
}

static void handle_any(coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
    char first[16], second[LWM2M_LOCATION_MAX], third[4];
    (void)resource;
    (void)query;
    coap_pdu_code_t method = coap_pdu_get_code(request);
    int n1 = path_segment(request, 0, first, sizeof(first));
    int n2 = path_segment(request, 1, second, sizeof(second));
    bool deeper = path_segment(request, 2, third, sizeof(third)) >= 0;
    if (n1 > 0 && strcmp(first, "rd") == 0 && !deeper) {
        if (n2 < 0 && method == COAP_REQUEST_CODE_POST)
            return handle_uplink(session, request, response, LWM2M_UP_REGISTER, NULL);
        if (n2 > 0 && method == COAP_REQUEST_CODE_POST)
            return handle_uplink(session, request, response, LWM2M_UP_UPDATE, second);
        if (n2 > 0 && method == COAP_REQUEST_CODE_DELETE)
            return handle_uplink(session, request, response, LWM2M_UP_DEREGISTER, second);
        set_code(response, 405);
        return;
    }
    if (n1 > 0 && strcmp(first, "fw") == 0 && n2 > 0 && !deeper && method == COAP_REQUEST_CODE_GET)
        return handle_download(session, request, response, second);
    if (n1 > 0 && strcmp(first, "bs") == 0 && n2 < 0 && method == COAP_REQUEST_CODE_POST)
        return coap_bs_request(coap_transport_of(session), session, request, response);
    if (n1 > 0 && strcmp(first, "dp") == 0 && n2 < 0) {
        if (method == COAP_REQUEST_CODE_POST)
            return handle_uplink(session, request, response, LWM2M_UP_SEND, NULL);
        set_code(response, 405);
        return;
    }
    set_code(response, 404);
}

static int response_code(const coap_pdu_t *pdu)
{
    int c = (int)coap_pdu_get_code(pdu);
    return (c >> 5) * 100 + (c & 31);
}

static void collect_location(const coap_pdu_t *pdu, char *buf, size_t size)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    size_t off = 0;
    buf[0] = 0;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while ((opt = coap_option_next(&it))) {
        if (it.number != COAP_OPTION_LOCATION_PATH)
            continue;
        int n = snprintf(buf + off, size - off, "%s%.*s", off ? "/" : "", (int)coap_opt_length(opt),
                         (const char *)coap_opt_value(opt));
        if (n < 0 || (size_t)n >= size - off)
            break;
        off += (size_t)n;
    }
}

static coap_response_t handle_response(coap_session_t *session, const coap_pdu_t *sent,
                                       const coap_pdu_t *received, const coap_mid_t mid)
{
    coap_transport_t *t = coap_transport_of(session);
    coap_bin_const_t token = coap_pdu_get_token(received);
    coap_opt_iterator_t it;
    coap_opt_t *obs = coap_check_option(received, COAP_OPTION_OBSERVE, &it);
    char location[64];
    size_t len = 0, offset = 0, total = 0;
    const uint8_t *data = NULL;
    lwm2m_peer_t peer;
    (void)sent;
    (void)mid;
    if (!obs && coap_bs_response(t, session, &token, received))
        return COAP_RESPONSE_OK;
    coap_get_data_large(received, &len, &data, &offset, &total);
    collect_location(received, location, sizeof(location));
    peer_of(t, session, &peer);
    lwm2m_response_t rsp = {
        .token = token.s,
        .token_len = token.length,
        .code = response_code(received),
        .content_format = content_format_of(received),
        .payload = data,
        .payload_len = data ? len : 0,
        .observe_seq =
            obs ? (int64_t)coap_decode_var_bytes(coap_opt_value(obs), coap_opt_length(obs)) : -1,
        .location = location[0] ? location : NULL,
    };
    if (obs)
        t->stats.notifications++;
    else
        t->stats.responses++;
    lwm2m_server_peer_seen(t->server, &peer, t->now_ms);
    int rc = lwm2m_server_response(t->server, &peer, &rsp, t->now_ms);
    return rc == LWM2M_ERR_NOT_FOUND ? COAP_RESPONSE_FAIL : COAP_RESPONSE_OK;
}

static void handle_nack(coap_session_t *session, const coap_pdu_t *sent,
                        const coap_nack_reason_t reason, const coap_mid_t mid)
{
    coap_transport_t *t = coap_transport_of(session);
    lwm2m_peer_t peer;
    (void)mid;
    if (!sent)
        return;
    coap_bin_const_t token = coap_pdu_get_token(sent);
    if (coap_bs_nack(t, session, &token))
        return;
    lwm2m_result_status_t status = LWM2M_RESULT_FAILED;
    if (reason == COAP_NACK_TOO_MANY_RETRIES) {
        status = LWM2M_RESULT_TIMEOUT;
        t->stats.timeouts++;
    } else if (reason == COAP_NACK_RST) {
        status = LWM2M_RESULT_RESET;
        t->stats.resets++;
    }
    peer_of(t, session, &peer);
    lwm2m_server_transport_error(t->server, &peer, token.s, token.length, status, t->now_ms);
}

/* The session to reach a device: the one it last used, or a new one from our own port. A
 * DTLS device is reachable only on the session it set up: a server cannot start a handshake. */
static coap_session_t *session_for(coap_transport_t *t, const lwm2m_peer_t *peer)
{
    char key[sizeof(((held_session_t *)0)->address)];
    session_key(peer->transport, peer->address, key, sizeof(key));
    held_session_t *h = hash_get_str(&t->sessions, key);
    if (h) {
        touch_session(t, h);
        return h->session;
    }
    if (peer->transport == &t->iface_dtls)
        return NULL;
    coap_address_t remote;
    if (parse_address(peer->address, &remote) < 0)
        return NULL;
    for (size_t i = 0; i < t->local_count; i++) {
        if (t->local[i].addr.sa.sa_family != remote.addr.sa.sa_family)
            continue;
        coap_session_t *s = coap_new_client_session(t->ctx, &t->local[i], &remote, COAP_PROTO_UDP);
        if (!s)
            continue;
        hold_session(t, s, peer);
        coap_session_release(s); /* hold_session took its own reference */
        h = hash_get_str(&t->sessions, key);
        return h ? h->session : NULL;
    }
    return NULL;
}

static coap_pdu_code_t method_of(lwm2m_req_type_t type)
{
    switch (type) {
    case LWM2M_REQ_WRITE_REPLACE:
    case LWM2M_REQ_WRITE_ATTRIBUTES:
        return COAP_REQUEST_CODE_PUT;
    case LWM2M_REQ_WRITE_PARTIAL:
    case LWM2M_REQ_EXECUTE:
    case LWM2M_REQ_CREATE:
        return COAP_REQUEST_CODE_POST;
    case LWM2M_REQ_DELETE:
        return COAP_REQUEST_CODE_DELETE;
    case LWM2M_REQ_READ_COMPOSITE:
    case LWM2M_REQ_OBSERVE_COMPOSITE:
    case LWM2M_REQ_CANCEL_OBSERVE_COMPOSITE:
        return COAP_REQUEST_CODE_FETCH;
    case LWM2M_REQ_WRITE_COMPOSITE:
        return COAP_REQUEST_CODE_IPATCH;
    default:
        return COAP_REQUEST_CODE_GET;
    }
}

static void add_uint_option(coap_optlist_t **list, uint16_t number, unsigned value)
{
    uint8_t buf[4];
    size_t n = coap_encode_var_safe(buf, sizeof(buf), value);
    coap_insert_optlist(list, coap_new_optlist(number, n, buf));
}

static void add_options(coap_optlist_t **list, const lwm2m_downlink_t *msg)
{
    if (msg->observe >= 0)
        add_uint_option(list, COAP_OPTION_OBSERVE, (unsigned)msg->observe);
    const char *p = msg->uri;
    while (*p == '/')
        p++;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        coap_insert_optlist(list, coap_new_optlist(COAP_OPTION_URI_PATH, n, (const uint8_t *)p));
        p += n;
        while (*p == '/')
            p++;
    }
    if (msg->has_payload)
        add_uint_option(list, COAP_OPTION_CONTENT_FORMAT, msg->content_format);
    for (const char *q = msg->query; q && *q;) {
        const char *end = strchr(q, '&');
        size_t n = end ? (size_t)(end - q) : strlen(q);
        if (n)
            coap_insert_optlist(list,
                                coap_new_optlist(COAP_OPTION_URI_QUERY, n, (const uint8_t *)q));
        q += n;
        if (*q == '&')
            q++;
    }
    if (msg->accept)
        add_uint_option(list, COAP_OPTION_ACCEPT, msg->accept);
}

static void release_copy(coap_session_t *session, void *app_ptr)
{
    (void)session;
    free(app_ptr);
}

static int transport_send(void *ctx, const lwm2m_peer_t *peer, const lwm2m_downlink_t *msg)
{
    coap_transport_t *t = ctx;
    coap_session_t *session = session_for(t, peer);
    if (!session)
        return -EHOSTUNREACH;
    coap_pdu_t *pdu = coap_new_pdu(msg->confirmable ? COAP_MESSAGE_CON : COAP_MESSAGE_NON,
                                   method_of(msg->type), session);
    if (!pdu)
        return -ENOMEM;
    coap_optlist_t *options = NULL;
    coap_add_token(pdu, msg->token_len, msg->token);
    add_options(&options, msg);
    coap_add_optlist_pdu(pdu, &options);
    coap_delete_optlist(options);
    if (msg->has_payload && msg->payload_len) {
        uint8_t *copy = malloc(msg->payload_len);
        if (!copy) {
            coap_delete_pdu(pdu);
            return -ENOMEM;
        }
        memcpy(copy, msg->payload, msg->payload_len);
        if (!coap_add_data_large_request(session, pdu, msg->payload_len, copy, release_copy,
                                         copy)) {
            free(copy);
            coap_delete_pdu(pdu);
            return -EMSGSIZE;
        }
    }
    t->stats.requests++;
    return coap_send(session, pdu) == COAP_INVALID_MID ? -EIO : 0;
}

static int bind_list(coap_transport_t *t, const char *const *list, size_t count, coap_proto_t proto,
                     char *err, size_t errlen)
{
    for (size_t i = 0; i < count; i++) {
        coap_address_t addr;
        if (parse_address(list[i], &addr) < 0) {
            snprintf(err, errlen, "%s: not an address:port", list[i]);
            return -EINVAL;
        }
        if (!coap_new_endpoint(t->ctx, &addr, proto)) {
            snprintf(err, errlen, "%s: cannot listen (address in use or not available)", list[i]);
            return -EADDRINUSE;
        }
        if (proto == COAP_PROTO_UDP && t->local_count < sizeof(t->local) / sizeof(t->local[0]))
            t->local[t->local_count++] = addr;
    }
    return 0;
}

static int bind_listeners(coap_transport_t *t, char *err, size_t errlen)
{
    int r = bind_list(t, t->cfg.listen, t->cfg.listen_count, COAP_PROTO_UDP, err, errlen);
    if (r == 0 && t->cfg.dtls_listen_count) {
        r = coap_dtls_setup(t, err, errlen);
        if (r == 0)
            r = bind_list(t, t->cfg.dtls_listen, t->cfg.dtls_listen_count, COAP_PROTO_DTLS, err,
                          errlen);
    }
    return r;
}

coap_transport_t *coap_transport_new(lwm2m_server_t *server, const coap_transport_config_t *cfg,
                                     char *err, size_t errlen)
{
    coap_transport_t *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    coap_startup();
    t->server = server;
    t->cfg = *cfg;
    if (!t->cfg.max_sessions)
        t->cfg.max_sessions = 1024;
    if (!t->cfg.session_idle_ms)
        t->cfg.session_idle_ms = 120000;
    if (!t->cfg.max_payload)
        t->cfg.max_payload = 1024 * 1024;
    t->iface = (lwm2m_transport_t){.name = "coap", .send = transport_send, .ctx = t};
    t->iface_dtls = (lwm2m_transport_t){.name = "coaps", .send = transport_send, .ctx = t};
    hash_init(&t->sessions);
    t->recent.prev = t->recent.next = &t->recent;
    t->ctx = coap_new_context(NULL);
    if (!t->ctx) {
        snprintf(err, errlen, "cannot create the CoAP context");
        free(t);
        return NULL;
    }
    if (registry_set(t->ctx, t) < 0) {
        snprintf(err, errlen, "too many CoAP transports");
        coap_free_context(t->ctx);
        free(t);
        return NULL;
    }
    coap_context_set_block_mode(t->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    /* Unreferenced server sessions otherwise stay for 300 s: after a registration storm of
     * 100,000 devices libcoap would walk 100,000 sessions for every packet. Plain CoAP only:
     * the bound evicts the oldest idle session, and a DTLS one (or a handshake that stalled)
     * would cost the device a new handshake. */
    if (!t->cfg.dtls_listen_count)
        coap_context_set_max_idle_sessions(t->ctx, (unsigned)t->cfg.max_sessions);
    coap_register_response_handler(t->ctx, handle_response);
    coap_register_nack_handler(t->ctx, handle_nack);
    coap_register_event_handler(t->ctx, coap_dtls_event);
    coap_resource_t *any = coap_resource_unknown_init2(handle_any, 0);
    coap_register_handler(any, COAP_REQUEST_POST, handle_any);
    coap_register_handler(any, COAP_REQUEST_DELETE, handle_any);
    coap_register_handler(any, COAP_REQUEST_GET, handle_any);
    coap_add_resource(t->ctx, any);
    coap_resource_t *rd = coap_resource_init(coap_make_str_const("rd"), 0);
    coap_register_handler(rd, COAP_REQUEST_POST, handle_any);
    coap_add_resource(t->ctx, rd);
    coap_resource_t *dp = coap_resource_init(coap_make_str_const("dp"), 0);
    coap_register_handler(dp, COAP_REQUEST_POST, handle_any);
    coap_add_resource(t->ctx, dp);
    coap_resource_t *bs = coap_resource_init(coap_make_str_const("bs"), 0);
    coap_register_handler(bs, COAP_REQUEST_POST, handle_any);
    coap_add_resource(t->ctx, bs);
    if (bind_listeners(t, err, errlen) < 0) {
        coap_transport_free(t);
        return NULL;
    }
    return t;
}

static void release_all(void *ctx, void *value)
{
    (void)ctx;
    held_session_t *h = value;
    coap_session_release(h->session);
    free(h);
}

void coap_transport_free(coap_transport_t *t)
{
    if (!t)
        return;
    coap_bs_cleanup(t);
    hash_foreach(&t->sessions, release_all, NULL);
    hash_free(&t->sessions);
    registry_set(t->ctx, NULL);
    coap_free_context(t->ctx);
    coap_dtls_cleanup(t);
    free(t);
}

const lwm2m_transport_t *coap_transport_iface(const coap_transport_t *t)
{
    return &t->iface;
}

const lwm2m_transport_t *coap_transport_dtls_iface(const coap_transport_t *t)
{
    return &t->iface_dtls;
}

int coap_transport_fd(const coap_transport_t *t)
{
    return coap_context_get_coap_fd(t->ctx);
}

void coap_transport_process(coap_transport_t *t, int64_t now_ms)
{
    struct epoll_event events[16];
    t->now_ms = now_ms;
    /* What coap_io_process(NO_WAIT) does, minus its first coap_io_prepare_epoll: libcoap walks
     * every session there and again at the end of coap_io_do_epoll, so this halves the
     * per-packet cost; coap_transport_timer still runs the full cycle. */
    int n = epoll_wait(coap_context_get_coap_fd(t->ctx), events, 16, 0);
    if (n > 0)
        coap_io_do_epoll(t->ctx, events, (size_t)n);
    if (t->bs_runs)
        coap_bs_run(t);
}

int64_t coap_transport_timer(coap_transport_t *t, int64_t now_ms)
{
    t->now_ms = now_ms;
    coap_io_process(t->ctx, COAP_IO_NO_WAIT);
    if (t->bs_runs)
        coap_bs_run(t);
    if (now_ms >= t->next_sweep_ms) {
        /* the idle ones are at the end of the list: no walk over the busy ones */
        while (t->recent.prev != &t->recent &&
               t->recent.prev->last_used_ms + (int64_t)t->cfg.session_idle_ms < now_ms)
            drop_session(t, t->recent.prev);
        t->next_sweep_ms = now_ms + 5000;
    }
    coap_tick_t ticks;
    coap_ticks(&ticks);
    unsigned int wait = coap_io_prepare_epoll(t->ctx, ticks);
    /* libcoap may leave its own timer disarmed when a deadline passed during its scan
     * (see DESIGN.md), so we always come back within a second. */
    return now_ms + (wait == 0 || wait > 1000 ? 1000 : wait);
}

void coap_transport_stats(const coap_transport_t *t, coap_transport_stats_t *ret)
{
    *ret = t->stats;
    ret->sessions = t->sessions.count;
}
