/* credentials.h - the DTLS credential store: which PSK identities, raw public keys and
 * certificate names may authenticate, the endpoint each one is bound to, and the NoSec policy
 * for devices that do not authenticate (Leshan's security checker, in C).
 *
 * A store is immutable once loaded: a reload (SIGHUP) loads a new one and swaps it in, so a
 * half-read file never replaces a working store. Nothing here logs, and key material leaves
 * the store only through lwm2m_cred_psk_key (for the DTLS layer). Keys and certificates are
 * parsed with mbedTLS, so identities are the same whatever DTLS backend libcoap uses. */
#ifndef LWM2M_CREDENTIALS_H
#define LWM2M_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum lwm2m_cred_kind {
    LWM2M_CRED_NONE = 0, /* not authenticated (plain CoAP) */
    LWM2M_CRED_PSK,
    LWM2M_CRED_RPK,
    LWM2M_CRED_X509,
} lwm2m_cred_kind_t;

#define LWM2M_CRED_IDENTITY_MAX 160

/* Who a DTLS peer proved to be. value: the PSK identity (non-printable bytes as \xNN), the
 * raw public key as "sha256:<hex of its SubjectPublicKeyInfo>", or the certificate's subject
 * CN. Never secret. */
typedef struct lwm2m_cred_identity {
    lwm2m_cred_kind_t kind;
    char value[LWM2M_CRED_IDENTITY_MAX];
} lwm2m_cred_identity_t;

typedef struct lwm2m_cred_config {
    /* Lines "endpoint identity key" (key in hex, or "base64:..."); NULL or "" = no PSK. */
    const char *psk_file;
    /* Lines "endpoint public-key": the base64 body of a PEM public key (SubjectPublicKeyInfo),
     * its hex, or a PEM/DER public key file (a name with a dot, relative to this file); NULL or
     * "" = no RPK. */
    const char *rpk_file;
    /* Same format as psk_file, written by the gateway (bootstrap-provisioned keys); a missing
     * file is no error. NULL or "" = none. */
    const char *generated_psk_file;
    /* Bootstrap accounts, same format as psk_file: these credentials may only send a
     * Bootstrap-Request for their endpoint, never register. NULL or "" = none. */
    const char *bootstrap_psk_file;
    /* Comma-separated fnmatch(3) patterns of endpoints that may register without DTLS. */
    const char *nosec;
} lwm2m_cred_config_t;

typedef struct lwm2m_cred_store lwm2m_cred_store_t;

/* Loads the files named in cfg. NULL on failure with "file:line: reason" in err (never any
 * key material). Free with lwm2m_cred_free. */
lwm2m_cred_store_t *lwm2m_cred_load(const lwm2m_cred_config_t *cfg, char *err, size_t errlen);
void lwm2m_cred_free(lwm2m_cred_store_t *store); /* NULL ok */

/* How many credentials of a kind the store holds (PSK or RPK). */
size_t lwm2m_cred_count(const lwm2m_cred_store_t *store, lwm2m_cred_kind_t kind);

/* The key for a PSK identity: 0, or -ENOENT when the identity is unknown. The key points into
 * the store and is valid until the store is freed. ret_id (may be NULL) gets the identity. */
int lwm2m_cred_psk_key(const lwm2m_cred_store_t *store, const uint8_t *identity, size_t len,
                       const uint8_t **ret_key, size_t *ret_len, lwm2m_cred_identity_t *ret_id);

/* The identity of a raw public key (DER SubjectPublicKeyInfo): 0 or -EINVAL. */
int lwm2m_cred_rpk_identity(const uint8_t *spki, size_t len, lwm2m_cred_identity_t *ret);
/* The identity of a certificate (DER): its subject CN. 0, or -EINVAL (no parse, no CN). */
int lwm2m_cred_x509_identity(const uint8_t *der, size_t len, lwm2m_cred_identity_t *ret);
/* Whether the store knows a raw public key identity (a handshake with an unknown key fails). */
bool lwm2m_cred_rpk_known(const lwm2m_cred_store_t *store, const lwm2m_cred_identity_t *id);

/* May a peer with identity id (kind NONE: unauthenticated) act as endpoint? 0, or -EACCES
 * with the reason in why:
 *   PSK, RPK: the credential must be bound to this endpoint;
 *   X.509: the certificate's CN must be the endpoint name;
 *   NONE: the endpoint must match a NoSec pattern and have no PSK or RPK bound to it. */
int lwm2m_cred_authorize(const lwm2m_cred_store_t *store, const lwm2m_cred_identity_t *id,
                         const char *endpoint, char *why, size_t whylen);

/* May a peer with identity id send a Bootstrap-Request as endpoint? 0, or -EACCES with the
 * reason in why:
 *   PSK: a bootstrap credential (bootstrap_psk_file) bound to this endpoint;
 *   RPK: never (bootstrap accounts are PSK);
 *   X.509: the certificate's CN must be the endpoint name;
 *   NONE: a NoSec endpoint without configured credentials (keys our bootstrap server
 *         provisioned do not count: a device that lost them may bootstrap again).
 * lwm2m_cred_authorize refuses bootstrap credentials: they cannot register. */
int lwm2m_cred_authorize_bootstrap(const lwm2m_cred_store_t *store, const lwm2m_cred_identity_t *id,
                                   const char *endpoint, char *why, size_t whylen);

/* "psk", "rpk", "x509" or "none". */
const char *lwm2m_cred_kind_name(lwm2m_cred_kind_t kind);

#endif
