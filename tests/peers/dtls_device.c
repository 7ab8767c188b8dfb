/* dtls_device.c - lwm2m-dtls-device: a test peer that does what a DTLS LwM2M device does, on
 * libcoap's client API (GnuTLS variant), for the bootstrap and NAT-rebinding tests:
 *
 *   1. with --bootstrap URI: connects to the Bootstrap-Server (coaps:// with --bs-identity and
 *      --bs-key, or coap://), sends Bootstrap-Request, and answers what the server sends:
 *      Bootstrap-Discover (GET / or /0: its Security instance --bs-instance is the bootstrap
 *      account), -Delete, -Write of Security and Server instances (TLV, kept), -Finish;
 *   2. registers with what it was given (server URI, PSK identity and key of the written
 *      Security instance), or with --server/--identity/--key when not bootstrapping;
 *   3. serves GET /3/0/0 ("Peer Inc", text) and answers 4.04 to anything else;
 *   4. on the stdin line "rebind": opens a new DTLS session from a new local port (as after a
 *      NAT rebinding; the old one stays open but silent) and sends an Update on it.
 *
 * Events go to stdout as JSON lines, e.g. {"event":"registered","location":"/rd/x","session":1};
 * every request it receives is reported with the session (1, 2, ...) it arrived on. Keys are
 * test keys: they are printed. */
#include <coap3/coap.h>
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SESSIONS 4
#define URI_MAX 256

typedef struct security {
    char uri[URI_MAX];
    uint8_t identity[64], key[64];
    size_t identity_len, key_len;
    int mode, ssid;
    int bootstrap; /* 1: a bootstrap account */
    int written;
} security_t;

static struct {
    const char *ep;
    int bs_instance;
    int lifetime;
    coap_context_t *ctx;
    coap_session_t *sessions[MAX_SESSIONS];
    int session_count;
    security_t sec[4];   /* Security instances 0..3 written by the bootstrap server */
    int server_lifetime; /* /1/x/1 as written, 0 when none */
    int bootstrap_done;  /* Bootstrap-Finish received */
    int bs_answer;       /* response code to the Bootstrap-Request, 0 = none yet */
    int reg_answer;      /* response code to the last Register/Update */
    char location[128];  /* "/rd/xyz" */
    coap_address_t server_addr;
    coap_dtls_cpsk_t psk; /* for the LwM2M server sessions */
    uint8_t psk_identity[64], psk_key[64];
} dev;

static int session_index(const coap_session_t *s)
{
    for (int i = 0; i < dev.session_count; i++)
        if (dev.sessions[i] == s)
            return i + 1;
    return 0;
}

/* The options `number` (Uri-Path, Location-Path) as "/a/b"; "/" when there are none. */
static void options_path(const coap_pdu_t *pdu, uint16_t number, char *buf, size_t size)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    size_t off = 0;
    buf[0] = 0;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while ((opt = coap_option_next(&it)) && off + 2 < size) {
        if (it.number != number)
            continue;
        off += (size_t)snprintf(buf + off, size - off, "/%.*s", (int)coap_opt_length(opt),
                                (const char *)coap_opt_value(opt));
    }
    if (!buf[0])
        snprintf(buf, size, "/");
}

static void path_of(const coap_pdu_t *pdu, char *buf, size_t size)
{
    options_path(pdu, COAP_OPTION_URI_PATH, buf, size);
}

static long long tlv_int(const uint8_t *v, size_t len)
{
    long long n = len && (v[0] & 0x80) ? -1 : 0;
    for (size_t i = 0; i < len; i++)
        n = (long long)((unsigned long long)n << 8 | v[i]);
    return n;
}

/* Resource-with-value TLV records (LwM2M Core 7.4.3) of a Security (obj 0) or Server (obj 1)
 * instance. Returns 0, or -1 on a malformed record. */
static int parse_instance(int object, int instance, const uint8_t *p, size_t len)
{
    security_t *s = object == 0 && instance >= 0 && instance < 4 ? &dev.sec[instance] : NULL;
    if (s)
        memset(s, 0, sizeof(*s));
    size_t pos = 0;
    while (pos < len) {
        uint8_t t = p[pos++];
        size_t idlen = t & 0x20 ? 2 : 1, lt = (size_t)(t >> 3) & 3, vlen;
        if ((t >> 6) != 3 || pos + idlen + lt > len)
            return -1;
        int id = idlen == 2 ? p[pos] << 8 | p[pos + 1] : p[pos];
        pos += idlen;
        if (lt == 0) {
            vlen = t & 7;
        } else {
            vlen = 0;
            for (size_t i = 0; i < lt; i++)
                vlen = vlen << 8 | p[pos + i];
            pos += lt;
        }
        if (pos + vlen > len)
            return -1;
        const uint8_t *v = p + pos;
        pos += vlen;
        if (s && id == 0 && vlen < sizeof(s->uri)) {
            memcpy(s->uri, v, vlen);
            s->uri[vlen] = 0;
        } else if (s && id == 1) {
            s->bootstrap = (int)tlv_int(v, vlen);
        } else if (s && id == 2) {
            s->mode = (int)tlv_int(v, vlen);
        } else if (s && id == 3 && vlen <= sizeof(s->identity)) {
            memcpy(s->identity, v, vlen);
            s->identity_len = vlen;
        } else if (s && id == 5 && vlen <= sizeof(s->key)) {
            memcpy(s->key, v, vlen);
            s->key_len = vlen;
        } else if (s && id == 10) {
            s->ssid = (int)tlv_int(v, vlen);
        } else if (object == 1 && id == 1) {
            dev.server_lifetime = (int)tlv_int(v, vlen);
        }
    }
    if (s)
        s->written = 1;
    return 0;
}

static void print_bytes(const char *name, const uint8_t *b, size_t n)
{
    printf(",\"%s\":\"", name);
    for (size_t i = 0; i < n; i++)
        printf(b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != '\\' ? "%c" : "\\u%04x", b[i]);
    printf("\"");
}

static void on_request(coap_resource_t *r, coap_session_t *session, const coap_pdu_t *request,
                       const coap_string_t *query, coap_pdu_t *response)
{
    (void)r;
    (void)query;
    char path[128];
    size_t len = 0;
    const uint8_t *data = NULL;
    path_of(request, path, sizeof(path));
    coap_get_data(request, &len, &data);
    coap_pdu_code_t code = coap_pdu_get_code(request);
    const char *method = code == COAP_REQUEST_CODE_GET      ? "GET"
                         : code == COAP_REQUEST_CODE_PUT    ? "PUT"
                         : code == COAP_REQUEST_CODE_POST   ? "POST"
                         : code == COAP_REQUEST_CODE_DELETE ? "DELETE"
                                                            : "OTHER";
    printf(
        "{\"event\":\"request\",\"method\":\"%s\",\"path\":\"%s\",\"session\":%d,\"bytes\":%zu}\n",
        method, path, session_index(session), len);
    fflush(stdout);
    int object = -1, instance = -1;
    sscanf(path, "/%d/%d", &object, &instance);
    unsigned char buf[8];
    if (code == COAP_REQUEST_CODE_GET && (!strcmp(path, "/") || !strcmp(path, "/0"))) {
        /* Bootstrap-Discover: the bootstrap account has no ssid */
        char links[200];
        int n = snprintf(links, sizeof(links), "</>;lwm2m=1.1,</0/%d>%s,</3/0>", dev.bs_instance,
                         strcmp(path, "/") ? "" : ",</1>");
        coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
                        coap_encode_var_safe(buf, sizeof(buf), 40), buf);
        coap_add_data(response, (size_t)n, (const uint8_t *)links);
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(205));
    } else if (code == COAP_REQUEST_CODE_DELETE) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(202));
    } else if (code == COAP_REQUEST_CODE_PUT && (object == 0 || object == 1) && instance >= 0) {
        int ok = parse_instance(object, instance, data, len) == 0;
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(ok ? 204 : 400));
        if (ok && object == 0 && instance < 4) {
            const security_t *s = &dev.sec[instance];
            printf("{\"event\":\"bs-write\",\"path\":\"%s\",\"uri\":\"%s\",\"mode\":%d", path,
                   s->uri, s->mode);
            print_bytes("identity", s->identity, s->identity_len);
            print_bytes("key", s->key, s->key_len);
            printf(",\"ssid\":%d}\n", s->ssid);
            fflush(stdout);
        }
    } else if (code == COAP_REQUEST_CODE_POST && !strcmp(path, "/bs")) {
        dev.bootstrap_done = 1;
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(204));
    } else if (code == COAP_REQUEST_CODE_GET && !strcmp(path, "/3/0/0")) {
        coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
                        coap_encode_var_safe(buf, sizeof(buf), 0), buf);
        coap_add_data(response, 8, (const uint8_t *)"Peer Inc");
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(205));
    } else {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(404));
    }
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    coap_pdu_code_t c = coap_pdu_get_code(received);
    int code = (c >> 5) * 100 + (c & 31);
    char path[128];
    path_of(sent, path, sizeof(path));
    if (!strcmp(path, "/bs")) {
        dev.bs_answer = code;
    } else {
        dev.reg_answer = code;
        if (code == 201)
            options_path(received, COAP_OPTION_LOCATION_PATH, dev.location, sizeof(dev.location));
    }
    printf("{\"event\":\"response\",\"to\":\"%s\",\"code\":\"%d.%02d\",\"session\":%d}\n", path,
           code / 100, code % 100, session_index(session));
    fflush(stdout);
    return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent, const coap_nack_reason_t r,
                    const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    printf("{\"event\":\"nack\",\"reason\":%d,\"session\":%d}\n", (int)r, session_index(session));
    fflush(stdout);
}

static int resolve(const char *uri, coap_address_t *addr, coap_proto_t *proto)
{
    coap_uri_t u;
    if (coap_split_uri((const uint8_t *)uri, strlen(uri), &u) < 0)
        return -1;
    char host[64];
    snprintf(host, sizeof(host), "%.*s", (int)u.host.length, (const char *)u.host.s);
    coap_address_init(addr);
    addr->addr.sin.sin_family = AF_INET;
    addr->addr.sin.sin_port = htons(u.port);
    addr->size = sizeof(addr->addr.sin);
    if (inet_pton(AF_INET, host, &addr->addr.sin.sin_addr) != 1)
        return -1;
    *proto = u.scheme == COAP_URI_SCHEME_COAPS ? COAP_PROTO_DTLS : COAP_PROTO_UDP;
    return 0;
}

static coap_session_t *open_session(const coap_address_t *addr, coap_proto_t proto,
                                    const uint8_t *identity, size_t identity_len,
                                    const uint8_t *key, size_t key_len)
{
    coap_session_t *s;
    if (proto == COAP_PROTO_DTLS) {
        memset(&dev.psk, 0, sizeof(dev.psk));
        memcpy(dev.psk_identity, identity, identity_len);
        memcpy(dev.psk_key, key, key_len);
        dev.psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
        dev.psk.psk_info.identity.s = dev.psk_identity;
        dev.psk.psk_info.identity.length = identity_len;
        dev.psk.psk_info.key.s = dev.psk_key;
        dev.psk.psk_info.key.length = key_len;
        s = coap_new_client_session_psk2(dev.ctx, NULL, addr, proto, &dev.psk);
    } else {
        s = coap_new_client_session(dev.ctx, NULL, addr, proto);
    }
    if (s && dev.session_count < MAX_SESSIONS)
        dev.sessions[dev.session_count++] = s;
    return s;
}

/* One option per non-empty part of text between separators. */
static void add_split(coap_optlist_t **opts, uint16_t number, const char *text, char sep)
{
    while (*text) {
        const char *end = strchr(text, sep);
        size_t n = end ? (size_t)(end - text) : strlen(text);
        if (n)
            coap_insert_optlist(opts, coap_new_optlist(number, n, (const uint8_t *)text));
        text += n + (end ? 1 : 0);
    }
}

static void send_request(coap_session_t *s, coap_pdu_code_t method, const char *path,
                         const char *query, const char *payload)
{
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, method, s);
    uint8_t token[8];
    size_t tlen;
    coap_session_new_token(s, &tlen, token);
    coap_add_token(pdu, tlen, token);
    coap_optlist_t *opts = NULL;
    add_split(&opts, COAP_OPTION_URI_PATH, path, '/');
    if (payload) {
        uint8_t buf[4];
        coap_insert_optlist(&opts,
                            coap_new_optlist(COAP_OPTION_CONTENT_FORMAT,
                                             coap_encode_var_safe(buf, sizeof(buf), 40), buf));
    }
    if (query)
        add_split(&opts, COAP_OPTION_URI_QUERY, query, '&');
    coap_add_optlist_pdu(pdu, &opts);
    coap_delete_optlist(opts);
    if (payload)
        coap_add_data(pdu, strlen(payload), (const uint8_t *)payload);
    coap_send(s, pdu);
}

/* Runs the loop until *flag is set or the timeout (ms) passes; stdin lines are handled. */
static int wait_until(const int *flag, int timeout_ms);

static int do_register(coap_session_t *s)
{
    char query[160];
    snprintf(query, sizeof(query), "ep=%s&lt=%d&lwm2m=1.1&b=U", dev.ep, dev.lifetime);
    dev.reg_answer = 0;
    send_request(s, COAP_REQUEST_CODE_POST, "rd", query, "</1/0>,</3/0>");
    wait_until(&dev.reg_answer, 10000);
    printf("{\"event\":\"%s\",\"code\":\"%d.%02d\",\"location\":\"%s\",\"session\":%d}\n",
           dev.reg_answer == 201 ? "registered" : "register-failed", dev.reg_answer / 100,
           dev.reg_answer % 100, dev.location, session_index(s));
    fflush(stdout);
    return dev.reg_answer == 201 ? 0 : -1;
}

static void rebind(void)
{
    coap_session_t *s =
        open_session(&dev.server_addr, COAP_PROTO_DTLS, dev.psk_identity,
                     dev.psk.psk_info.identity.length, dev.psk_key, dev.psk.psk_info.key.length);
    if (!s) {
        printf("{\"event\":\"rebind-failed\"}\n");
        fflush(stdout);
        return;
    }
    dev.reg_answer = 0;
    send_request(s, COAP_REQUEST_CODE_POST, dev.location + 1, NULL, NULL);
    wait_until(&dev.reg_answer, 10000);
    printf("{\"event\":\"updated\",\"code\":\"%d.%02d\",\"session\":%d}\n", dev.reg_answer / 100,
           dev.reg_answer % 100, session_index(s));
    fflush(stdout);
}

static int quit;

static void handle_stdin(void)
{
    char line[64];
    if (!fgets(line, sizeof(line), stdin)) {
        quit = 1;
        return;
    }
    if (!strncmp(line, "quit", 4))
        quit = 1;
    else if (!strncmp(line, "rebind", 6))
        rebind();
}

static int wait_until(const int *flag, int timeout_ms)
{
    int waited = 0;
    while (!quit && (!flag || !*flag) && (timeout_ms < 0 || waited < timeout_ms)) {
        coap_io_process(dev.ctx, 50);
        waited += 50;
        if (!flag) {
            struct pollfd p = {.fd = 0, .events = POLLIN};
            if (poll(&p, 1, 0) > 0)
                handle_stdin();
        }
    }
    return flag && *flag ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: lwm2m-dtls-device --ep NAME [--bootstrap URI [--bs-identity ID --bs-key KEY] "
            "[--bs-instance N]] | [--server URI --identity ID --key KEY] [--lifetime S]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"ep", required_argument, NULL, 'e'},          {"bootstrap", required_argument, NULL, 'b'},
        {"bs-identity", required_argument, NULL, 'i'}, {"bs-key", required_argument, NULL, 'k'},
        {"bs-instance", required_argument, NULL, 'n'}, {"server", required_argument, NULL, 's'},
        {"identity", required_argument, NULL, 'I'},    {"key", required_argument, NULL, 'K'},
        {"lifetime", required_argument, NULL, 'l'},    {NULL, 0, NULL, 0},
    };
    const char *bs_uri = NULL, *bs_identity = "", *bs_key = "", *server = NULL, *identity = "",
               *key = "";
    dev.lifetime = 60;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'e':
            dev.ep = optarg;
            break;
        case 'b':
            bs_uri = optarg;
            break;
        case 'i':
            bs_identity = optarg;
            break;
        case 'k':
            bs_key = optarg;
            break;
        case 'n':
            dev.bs_instance = atoi(optarg);
            break;
        case 's':
            server = optarg;
            break;
        case 'I':
            identity = optarg;
            break;
        case 'K':
            key = optarg;
            break;
        case 'l':
            dev.lifetime = atoi(optarg);
            break;
        default:
            usage();
        }
    }
    if (!dev.ep || (!bs_uri && !server) || dev.bs_instance < 0 || dev.bs_instance > 3)
        usage();
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    dev.ctx = coap_new_context(NULL);
    coap_context_set_block_mode(dev.ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_register_response_handler(dev.ctx, on_response);
    coap_register_nack_handler(dev.ctx, on_nack);
    coap_resource_t *r = coap_resource_unknown_init(on_request);
    coap_register_request_handler(r, COAP_REQUEST_GET, on_request);
    coap_register_request_handler(r, COAP_REQUEST_POST, on_request);
    coap_register_request_handler(r, COAP_REQUEST_DELETE, on_request);
    coap_add_resource(dev.ctx, r);

    int rc = 1;
    coap_proto_t proto;
    if (bs_uri) {
        coap_address_t bs_addr;
        if (resolve(bs_uri, &bs_addr, &proto) < 0)
            usage();
        coap_session_t *s =
            open_session(&bs_addr, proto, (const uint8_t *)bs_identity, strlen(bs_identity),
                         (const uint8_t *)bs_key, strlen(bs_key));
        if (!s)
            goto out;
        char query[120];
        snprintf(query, sizeof(query), "ep=%s", dev.ep);
        send_request(s, COAP_REQUEST_CODE_POST, "bs", query, NULL);
        wait_until(&dev.bs_answer, 10000);
        printf("{\"event\":\"bootstrap-request\",\"code\":\"%d.%02d\"}\n", dev.bs_answer / 100,
               dev.bs_answer % 100);
        fflush(stdout);
        if (dev.bs_answer != 204)
            goto out;
        wait_until(&dev.bootstrap_done, 15000);
        const security_t *acct = NULL;
        for (int i = 0; i < 4; i++)
            if (i != dev.bs_instance && dev.sec[i].written && !dev.sec[i].bootstrap)
                acct = &dev.sec[i];
        printf("{\"event\":\"%s\",\"lifetime\":%d}\n",
               dev.bootstrap_done && acct ? "bootstrapped" : "bootstrap-failed",
               dev.server_lifetime);
        fflush(stdout);
        if (!dev.bootstrap_done || !acct)
            goto out;
        server = acct->uri;
        if (dev.server_lifetime > 0)
            dev.lifetime = dev.server_lifetime;
        memcpy(dev.psk_identity, acct->identity, acct->identity_len);
        memcpy(dev.psk_key, acct->key, acct->key_len);
        dev.psk.psk_info.identity.length = acct->identity_len;
        dev.psk.psk_info.key.length = acct->key_len;
    } else {
        memcpy(dev.psk_identity, identity, strlen(identity));
        memcpy(dev.psk_key, key, strlen(key));
        dev.psk.psk_info.identity.length = strlen(identity);
        dev.psk.psk_info.key.length = strlen(key);
    }
    if (resolve(server, &dev.server_addr, &proto) < 0 || proto != COAP_PROTO_DTLS) {
        printf("{\"event\":\"register-failed\",\"why\":\"not a coaps:// server URI\"}\n");
        goto out;
    }
    uint8_t id_copy[64], key_copy[64];
    size_t id_len = dev.psk.psk_info.identity.length, key_len = dev.psk.psk_info.key.length;
    memcpy(id_copy, dev.psk_identity, id_len);
    memcpy(key_copy, dev.psk_key, key_len);
    coap_session_t *s = open_session(&dev.server_addr, proto, id_copy, id_len, key_copy, key_len);
    if (!s || do_register(s) < 0)
        goto out;
    wait_until(NULL, -1);
    rc = 0;
out:
    fflush(stdout);
    coap_free_context(dev.ctx);
    coap_cleanup();
    return rc;
}
