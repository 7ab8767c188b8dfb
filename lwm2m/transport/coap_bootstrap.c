/* coap_bootstrap.c - the Bootstrap-Server interface of the CoAP transport: a device's
 * Bootstrap-Request (POST /bs?ep=...) is answered 2.04 when the session may bootstrap as that
 * endpoint (coap_dtls_authorize_bootstrap) and the application has an account for it; then
 * Bootstrap-Discover of /0 (which Security instance is the bootstrap account's) and the
 * sequence from lwm2m_bootstrap_steps go out one confirmable request at a time on the device's
 * own session, each sent when the previous one was answered. Requests go out after the 2.04
 * (from coap_bs_run, called once libcoap has sent the response). Sequences are few and
 * short-lived, so they are kept on a plain list. */
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coap_internal.h"
#include "lwm2m/bootstrap.h"

typedef struct bs_run {
    struct bs_run *next;
    coap_session_t *session; /* referenced */
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    coap_transport_bootstrap_t acct;               /* holds the key: zeroized at the end */
    lwm2m_bs_step_t steps[1 + LWM2M_BS_STEPS_MAX]; /* Bootstrap-Discover, then the account's */
    int count, step;                               /* step: the one being sent or waited for */
    bool waiting;
    uint8_t token[8];
    size_t token_len;
} bs_run_t;

void coap_transport_set_bootstrap_handler(coap_transport_t *t,
                                          const coap_transport_bootstrap_handler_t *handler)
{
    if (handler)
        t->bootstrap = *handler;
    else
        memset(&t->bootstrap, 0, sizeof(t->bootstrap));
}

static void finish(coap_transport_t *t, bs_run_t *run, int code)
{
    for (bs_run_t **p = &t->bs_runs; *p; p = &(*p)->next) {
        if (*p == run) {
            *p = run->next;
            break;
        }
    }
    if (t->bootstrap.finished)
        t->bootstrap.finished(t->bootstrap.ctx, run->endpoint, code,
                              run->step < run->count ? run->steps[run->step].uri : "/bs");
    coap_session_release(run->session);
    mbedtls_platform_zeroize(run, sizeof(*run)); /* the steps hold the key */
    free(run);
}

/* The value of the "ep=" Uri-Query option into buf; false when absent or too long. */
static bool endpoint_of(const coap_pdu_t *pdu, char *buf, size_t size)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while ((opt = coap_option_next(&it))) {
        const char *v = (const char *)coap_opt_value(opt);
        size_t len = coap_opt_length(opt);
        if (it.number != COAP_OPTION_URI_QUERY || len < 4 || strncmp(v, "ep=", 3) != 0)
            continue;
        if (len - 3 >= size)
            return false;
        memcpy(buf, v + 3, len - 3);
        buf[len - 3] = 0;
        return strlen(buf) == len - 3; /* no NUL inside */
    }
    return false;
}

/* The account's sequence after the Discover step, writing Security instance sec. */
static int account_steps(bs_run_t *run, uint16_t sec)
{
    const coap_transport_bootstrap_t *acct = &run->acct;
    lwm2m_bs_account_t a = {.server_uri = acct->server_uri,
                            .short_server_id = acct->short_server_id,
                            .lifetime = acct->lifetime,
                            .binding = acct->binding[0] ? acct->binding : "U",
                            .mode = LWM2M_BS_MODE_PSK,
                            .identity = (const uint8_t *)acct->identity,
                            .identity_len = strlen(acct->identity),
                            .key = acct->key,
                            .key_len = acct->key_len,
                            .security_instance = sec};
    return lwm2m_bootstrap_steps(&a, run->steps + 1);
}

void coap_bs_request(coap_transport_t *t, coap_session_t *session, const coap_pdu_t *request,
                     coap_pdu_t *response)
{
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    coap_transport_bootstrap_t acct;
    if (!t->bootstrap.request) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(404));
        return;
    }
    if (!endpoint_of(request, endpoint, sizeof(endpoint)) || !endpoint[0]) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(400));
        return;
    }
    if (coap_dtls_authorize_bootstrap(t, session, endpoint) != 0) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(403));
        return;
    }
    memset(&acct, 0, sizeof(acct));
    int r = t->bootstrap.request(t->bootstrap.ctx, endpoint, &acct);
    bs_run_t *run = r == 0 ? calloc(1, sizeof(*run)) : NULL;
    if (run) {
        run->acct = acct;
        run->steps[0].method = LWM2M_BS_DISCOVER;
        snprintf(run->steps[0].uri, sizeof(run->steps[0].uri), "/0");
        int n = account_steps(run, LWM2M_BS_SECURITY_INSTANCE); /* checks the account */
        run->count = n > 0 ? 1 + n : n;
    }
    mbedtls_platform_zeroize(&acct, sizeof(acct));
    if (r < 0 || !run || run->count <= 0) {
        free(run);
        coap_pdu_set_code(response, COAP_RESPONSE_CODE(r < 0 ? -r : 500));
        return;
    }
    for (bs_run_t *old = t->bs_runs; old; old = old->next) {
        if (strcmp(old->endpoint, endpoint) == 0) {
            finish(t, old, 0); /* a new request replaces an unfinished sequence */
            break;
        }
    }
    snprintf(run->endpoint, sizeof(run->endpoint), "%s", endpoint);
    run->session = coap_session_reference(session);
    run->next = t->bs_runs;
    t->bs_runs = run;
    coap_pdu_set_code(response, COAP_RESPONSE_CODE(204));
}

static int send_step(coap_transport_t *t, bs_run_t *run)
{
    const lwm2m_bs_step_t *s = &run->steps[run->step];
    coap_pdu_code_t method = s->method == LWM2M_BS_DISCOVER ? COAP_REQUEST_CODE_GET
                             : s->method == LWM2M_BS_DELETE ? COAP_REQUEST_CODE_DELETE
                             : s->method == LWM2M_BS_WRITE  ? COAP_REQUEST_CODE_PUT
                                                            : COAP_REQUEST_CODE_POST;
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, method, run->session);
    if (!pdu)
        return -1;
    coap_session_new_token(run->session, &run->token_len, run->token);
    coap_add_token(pdu, run->token_len, run->token);
    coap_optlist_t *options = NULL;
    for (const char *p = s->uri; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n)
            coap_insert_optlist(&options,
                                coap_new_optlist(COAP_OPTION_URI_PATH, n, (const uint8_t *)p));
        p += n;
    }
    if (s->method == LWM2M_BS_WRITE || s->method == LWM2M_BS_DISCOVER) {
        uint8_t cf[4];
        bool discover = s->method == LWM2M_BS_DISCOVER;
        size_t n = coap_encode_var_safe(cf, sizeof(cf), discover ? 40 : 11542); /* links, TLV */
        coap_insert_optlist(
            &options,
            coap_new_optlist(discover ? COAP_OPTION_ACCEPT : COAP_OPTION_CONTENT_FORMAT, n, cf));
    }
    coap_add_optlist_pdu(pdu, &options);
    coap_delete_optlist(options);
    if (s->payload_len && !coap_add_data(pdu, s->payload_len, s->payload)) {
        coap_delete_pdu(pdu);
        return -1;
    }
    t->stats.requests++;
    return coap_send(run->session, pdu) == COAP_INVALID_MID ? -1 : 0;
}

void coap_bs_run(coap_transport_t *t)
{
    bs_run_t *run = t->bs_runs;
    while (run) {
        bs_run_t *next = run->next;
        if (!run->waiting) {
            if (send_step(t, run) < 0)
                finish(t, run, 0);
            else
                run->waiting = true;
        }
        run = next;
    }
}

static bs_run_t *find(coap_transport_t *t, coap_session_t *session, const coap_bin_const_t *token)
{
    for (bs_run_t *run = t->bs_runs; run; run = run->next)
        if (run->session == session && run->waiting && token->length == run->token_len &&
            memcmp(token->s, run->token, run->token_len) == 0)
            return run;
    return NULL;
}

bool coap_bs_response(coap_transport_t *t, coap_session_t *session, const coap_bin_const_t *token,
                      const coap_pdu_t *received)
{
    bs_run_t *run = find(t, session, token);
    if (!run)
        return false;
    t->stats.responses++;
    int c = (int)coap_pdu_get_code(received), code = (c >> 5) * 100 + (c & 31);
    if (run->steps[run->step].method == LWM2M_BS_DISCOVER && code == 205) {
        size_t len = 0;
        const uint8_t *data = NULL;
        coap_get_data(received, &len, &data);
        uint16_t sec = lwm2m_bootstrap_security_instance((const char *)data, data ? len : 0);
        if (sec != LWM2M_BS_SECURITY_INSTANCE && account_steps(run, sec) <= 0) {
            finish(t, run, 500); /* cannot happen: the account was checked with /0/1 */
            return true;
        }
    }
    if (!lwm2m_bootstrap_step_ok(&run->steps[run->step], code)) {
        finish(t, run, code);
    } else if (++run->step == run->count) {
        finish(t, run, 204);
    } else {
        run->waiting = false; /* the next step goes out from coap_bs_run */
    }
    return true;
}

bool coap_bs_nack(coap_transport_t *t, coap_session_t *session, const coap_bin_const_t *token)
{
    bs_run_t *run = find(t, session, token);
    if (!run)
        return false;
    finish(t, run, 0);
    return true;
}

void coap_bs_cleanup(coap_transport_t *t)
{
    t->bootstrap.finished = NULL; /* shutting down: nobody to tell */
    while (t->bs_runs)
        finish(t, t->bs_runs, 0);
}
