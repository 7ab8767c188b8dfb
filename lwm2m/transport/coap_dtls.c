/* coap_dtls.c - DTLS for the CoAP transport: PSK keys looked up by identity in the credential
 * store, X.509 (client certificates must chain to the configured trust anchors) or raw public
 * keys (must be in the store), the identity each session proved, and the endpoint binding:
 * a device may register, update or de-register only as the endpoint its credential is bound
 * to; a plain-CoAP device only as a NoSec endpoint. Refusals are 4.03 and a security event.
 *
 * A session's identity lives in its app data (a malloc'd lwm2m_cred_identity_t), set by the
 * PSK or certificate callback during the handshake and freed when libcoap deletes the
 * session. Identities and reasons may be logged; keys never are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coap_internal.h"

void coap_transport_set_credentials(coap_transport_t *t, const lwm2m_cred_store_t *store)
{
    t->creds = store;
}

void coap_transport_set_security_handler(coap_transport_t *t, coap_transport_security_fn fn,
                                         void *ctx)
{
    t->on_security = fn;
    t->security_ctx = ctx;
}

const char *coap_transport_tls_library(char *buf, size_t size)
{
    coap_tls_version_t *v = coap_get_tls_library_version();
    const char *name = "none";
    switch (v ? v->type : COAP_TLS_LIBRARY_NOTLS) {
    case COAP_TLS_LIBRARY_GNUTLS:
        name = "GnuTLS";
        break;
    case COAP_TLS_LIBRARY_OPENSSL:
        name = "OpenSSL";
        break;
    case COAP_TLS_LIBRARY_MBEDTLS:
        name = "mbed TLS";
        break;
    case COAP_TLS_LIBRARY_TINYDTLS:
        name = "TinyDTLS";
        break;
    default:
        snprintf(buf, size, "none");
        return buf;
    }
    /* The version is packed as 0xMMmmpp (mbed TLS: 0xMMmmpp00). */
    uint64_t n = v->version;
    if (v->type == COAP_TLS_LIBRARY_MBEDTLS)
        n >>= 8;
    snprintf(buf, size, "%s %u.%u.%u", name, (unsigned)(n >> 16) & 0xff, (unsigned)(n >> 8) & 0xff,
             (unsigned)n & 0xff);
    return buf;
}

const lwm2m_cred_identity_t *coap_dtls_identity(const coap_session_t *session)
{
    const session_identity_t *si = coap_session_get_proto(session) == COAP_PROTO_DTLS
                                       ? coap_session_get_app_data(session)
                                       : NULL;
    return si ? &si->id : NULL;
}

static void set_identity(coap_transport_t *t, coap_session_t *session,
                         const lwm2m_cred_identity_t *id)
{
    session_identity_t *si = coap_session_get_app_data(session);
    if (!si) {
        if (!(si = calloc(1, sizeof(*si))))
            return; /* no identity: the session can register nothing */
        si->next = t->identities.next;
        si->prev = &t->identities;
        si->next->prev = si;
        t->identities.next = si;
        coap_session_set_app_data(session, si);
    }
    si->id = *id;
}

void coap_dtls_forget(coap_session_t *session)
{
    session_identity_t *si = coap_session_get_app_data(session);
    if (!si)
        return;
    si->prev->next = si->next;
    si->next->prev = si->prev;
    free(si);
    coap_session_set_app_data(session, NULL);
}

int coap_dtls_event(coap_session_t *session, const coap_event_t event)
{
    coap_transport_t *t = coap_transport_of(session);
    if (event == COAP_EVENT_SERVER_SESSION_DEL)
        coap_dtls_forget(session);
    else if (event == COAP_EVENT_DTLS_ERROR && t) {
        t->stats.auth_failures++;
    }
    return 0;
}

static const coap_bin_const_t *psk_for_identity(coap_bin_const_t *identity, coap_session_t *session,
                                                void *arg)
{
    coap_transport_t *t = arg;
    lwm2m_cred_identity_t id;
    const uint8_t *key;
    size_t len;
    if (!t->creds || !identity ||
        lwm2m_cred_psk_key(t->creds, identity->s, identity->length, &key, &len, &id) < 0) {
        t->stats.auth_failures++;
        return NULL; /* unknown identity: the handshake fails */
    }
    set_identity(t, session, &id);
    t->psk_reply.s = key;
    t->psk_reply.length = len;
    return &t->psk_reply;
}

/* Called for every certificate of the chain the peer sent (depth 0 is its own), after the
 * TLS library's checks (validated) against the trust anchors. */
static int check_certificate(const char *cn, const uint8_t *der, size_t len,
                             coap_session_t *session, unsigned depth, int validated, void *arg)
{
    coap_transport_t *t = arg;
    lwm2m_cred_identity_t id;
    (void)cn; /* parsed ourselves, so identities do not depend on the backend */
    if (depth > 0)
        return validated ? 1 : 0;
    int ok;
    if (t->cfg.rpk)
        ok = lwm2m_cred_rpk_identity(der, len, &id) == 0 && t->creds &&
             lwm2m_cred_rpk_known(t->creds, &id);
    else
        ok = validated && lwm2m_cred_x509_identity(der, len, &id) == 0;
    if (!ok) {
        t->stats.auth_failures++;
        return 0;
    }
    set_identity(t, session, &id);
    return 1;
}

static char *copy_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    uint8_t *buf = malloc(65536);
    size_t n = buf ? fread(buf, 1, 65535, f) : 0;
    fclose(f);
    if (!buf || n == 0) {
        free(buf);
        return buf ? -EINVAL : -ENOMEM;
    }
    buf[n] = 0;
    *ret = buf;
    *ret_len = n + 1; /* PEM buffers include the terminating NUL */
    return 0;
}

static bool rpk_supported(void)
{
    coap_tls_version_t *v = coap_get_tls_library_version();
    return v && (v->type == COAP_TLS_LIBRARY_GNUTLS || v->type == COAP_TLS_LIBRARY_TINYDTLS);
}

static int setup_pki(coap_transport_t *t, char *err, size_t errlen)
{
    char lib[64];
    coap_dtls_pki_t pki;
    memset(&pki, 0, sizeof(pki));
    pki.version = COAP_DTLS_PKI_SETUP_VERSION;
    pki.verify_peer_cert = 1;
    pki.check_common_ca = 1;
    pki.cert_chain_validation = 1;
    pki.cert_chain_verify_depth = 4;
    pki.allow_no_crl = 1;
    pki.validate_cn_call_back = check_certificate;
    pki.cn_call_back_arg = t;
    if (t->cfg.rpk) {
        if (!rpk_supported()) {
            snprintf(err, errlen,
                     "raw public keys (lwm2m.dtls.rpk_file) are not supported by libcoap's %s "
                     "backend (only GnuTLS and TinyDTLS have them): use PSK or X.509, or the "
                     "default GnuTLS build",
                     coap_transport_tls_library(lib, sizeof(lib)));
            return -ENOTSUP;
        }
        int r = read_file(t->key_file, &t->rpk_pem, &t->rpk_pem_len);
        if (r < 0) {
            snprintf(err, errlen, "%s: cannot read the server key: %s", t->key_file, strerror(-r));
            return r;
        }
        pki.is_rpk_not_cert = 1;
        pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
        pki.pki_key.key.pem_buf.public_cert = t->rpk_pem;
        pki.pki_key.key.pem_buf.public_cert_len = t->rpk_pem_len;
        pki.pki_key.key.pem_buf.private_key = t->rpk_pem;
        pki.pki_key.key.pem_buf.private_key_len = t->rpk_pem_len;
    } else {
        pki.pki_key.key_type = COAP_PKI_KEY_PEM;
        pki.pki_key.key.pem.ca_file = t->ca_file;
        pki.pki_key.key.pem.public_cert = t->cert_file;
        pki.pki_key.key.pem.private_key = t->key_file;
    }
    if (!coap_context_set_pki(t->ctx, &pki)) {
        snprintf(err, errlen, "DTLS: the server %s was refused by %s (check %s)",
                 t->cfg.rpk ? "raw public key" : "certificate, key or CA file",
                 coap_transport_tls_library(lib, sizeof(lib)),
                 t->cfg.rpk ? t->key_file : t->cert_file);
        return -EINVAL;
    }
    return 0;
}

int coap_dtls_setup(coap_transport_t *t, char *err, size_t errlen)
{
    char lib[64];
    if (!coap_dtls_is_supported()) {
        snprintf(err, errlen, "DTLS listeners need a libcoap with DTLS; this one has %s",
                 coap_transport_tls_library(lib, sizeof(lib)));
        return -ENOTSUP;
    }
    t->identities.prev = t->identities.next = &t->identities;
    t->ca_file = copy_or_null(t->cfg.ca_file);
    t->cert_file = copy_or_null(t->cfg.cert_file);
    t->key_file = copy_or_null(t->cfg.key_file);
    t->cfg.ca_file = t->cfg.cert_file = t->cfg.key_file = NULL; /* borrowed: do not keep */
    coap_dtls_spsk_t psk;
    memset(&psk, 0, sizeof(psk));
    psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    psk.validate_id_call_back = psk_for_identity;
    psk.id_call_back_arg = t;
    if (!coap_context_set_psk2(t->ctx, &psk)) {
        snprintf(err, errlen, "DTLS: cannot set up PSK");
        return -EINVAL;
    }
    if (t->cfg.rpk || t->cert_file) {
        if (!t->key_file || (!t->cfg.rpk && !t->ca_file)) {
            snprintf(err, errlen, "DTLS: %s",
                     t->cfg.rpk ? "raw public keys need key_file"
                                : "X.509 needs ca_file and key_file");
            return -EINVAL;
        }
        int r = setup_pki(t, err, errlen);
        if (r < 0)
            return r;
    }
    /* Bound what handshakes in progress can hold; idle sessions go after 2 minutes. */
    coap_context_set_max_handshake_sessions(t->ctx, 256);
    return 0;
}

void coap_dtls_cleanup(coap_transport_t *t)
{
    while (t->identities.next && t->identities.next != &t->identities) {
        session_identity_t *si = t->identities.next;
        t->identities.next = si->next;
        free(si);
    }
    free(t->ca_file);
    free(t->cert_file);
    free(t->key_file);
    if (t->rpk_pem) {
        memset(t->rpk_pem, 0, t->rpk_pem_len); /* a private key */
        free(t->rpk_pem);
    }
}

/* The ep= of a Register, from the raw Uri-Query options. */
static bool query_endpoint(const coap_pdu_t *pdu, char *buf, size_t size)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while ((opt = coap_option_next(&it))) {
        const uint8_t *v = coap_opt_value(opt);
        size_t len = coap_opt_length(opt);
        if (it.number != COAP_OPTION_URI_QUERY || len < 3 || memcmp(v, "ep=", 3) != 0)
            continue;
        if (len - 3 >= size)
            return false;
        memcpy(buf, v + 3, len - 3);
        buf[len - 3] = 0;
        return true;
    }
    return false;
}

static int refuse(coap_transport_t *t, const char *endpoint, const lwm2m_cred_identity_t *id,
                  const char *reason)
{
    t->stats.forbidden++;
    if (t->on_security)
        t->on_security(t->security_ctx, endpoint, id, reason);
    return 403;
}

int coap_dtls_authorize(coap_transport_t *t, coap_session_t *session, const coap_pdu_t *request,
                        lwm2m_uplink_type_t type, const char *location)
{
    static const lwm2m_cred_identity_t none = {.kind = LWM2M_CRED_NONE};
    char endpoint[LWM2M_ENDPOINT_MAX + 1], why[200];
    bool dtls = coap_session_get_proto(session) == COAP_PROTO_DTLS;
    const lwm2m_cred_identity_t *id = dtls ? coap_dtls_identity(session) : &none;
    if (!t->creds ||
        (type != LWM2M_UP_REGISTER && type != LWM2M_UP_UPDATE && type != LWM2M_UP_DEREGISTER))
        return 0; /* Send goes to the registration of the peer's own address */
    if (type == LWM2M_UP_REGISTER) {
        if (!query_endpoint(request, endpoint, sizeof(endpoint)))
            return 0; /* the core answers 4.00 */
    } else {
        char loc[LWM2M_LOCATION_MAX + 4];
        snprintf(loc, sizeof(loc), "rd/%s", location ? location : "");
        const lwm2m_registration_t *reg = lwm2m_server_find_by_location(t->server, loc);
        if (!reg)
            return 0; /* the core answers 4.04 */
        snprintf(endpoint, sizeof(endpoint), "%s", reg->endpoint);
    }
    if (!id)
        return refuse(t, endpoint, &none, "DTLS session without an authenticated identity");
    if (lwm2m_cred_authorize(t->creds, id, endpoint, why, sizeof(why)) < 0)
        return refuse(t, endpoint, id, why);
    if (!dtls) {
        /* An endpoint registered over DTLS cannot be taken over by a plain-CoAP peer, even
         * when a NoSec pattern matches it (an X.509 device owns no entry in the store). */
        const lwm2m_registration_t *reg = lwm2m_server_find(t->server, endpoint);
        if (reg && reg->peer.transport == &t->iface_dtls)
            return refuse(t, endpoint, id, "endpoint is registered over DTLS");
    }
    return 0;
}

int coap_dtls_authorize_bootstrap(coap_transport_t *t, coap_session_t *session,
                                  const char *endpoint)
{
    static const lwm2m_cred_identity_t none = {.kind = LWM2M_CRED_NONE};
    char why[200];
    if (!t->creds)
        return 0; /* no store: no policy (the DTLS listener is off) */
    bool dtls = coap_session_get_proto(session) == COAP_PROTO_DTLS;
    const lwm2m_cred_identity_t *id = dtls ? coap_dtls_identity(session) : &none;
    if (!id)
        return refuse(t, endpoint, &none, "DTLS session without an authenticated identity");
    if (lwm2m_cred_authorize_bootstrap(t->creds, id, endpoint, why, sizeof(why)) < 0)
        return refuse(t, endpoint, id, why);
    return 0;
}
