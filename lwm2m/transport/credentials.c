/* credentials.c - the DTLS credential store: PSK and RPK files parsed into hash tables keyed
 * by identity, plus the per-endpoint index that lets the NoSec policy refuse a plain-CoAP
 * registration for an endpoint that owns a credential. Key material is never copied into an
 * error message. */
#include "lwm2m/credentials.h"

#include <errno.h>
#include <fnmatch.h>
#include <mbedtls/base64.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../server/hash.h"
#include "lwm2m/server.h"

#define PSK_KEY_MAX 64      /* libcoap's COAP_DTLS_MAX_PSK */
#define PSK_IDENTITY_MAX 64 /* libcoap's COAP_DTLS_MAX_PSK_IDENTITY */
#define SPKI_MAX 1024

typedef struct cred_entry {
    lwm2m_cred_identity_t id; /* id.value is the hash key */
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    uint8_t key[PSK_KEY_MAX];
    size_t key_len;
    bool bootstrap; /* a bootstrap account: good for Bootstrap-Request only */
    bool generated; /* provisioned by our bootstrap server (generated_psk_file) */
} cred_entry_t;

struct lwm2m_cred_store {
    hash_table_t psk;        /* identity -> cred_entry_t */
    hash_table_t rpk;        /* "sha256:..." -> cred_entry_t */
    hash_table_t endpoints;  /* endpoint -> the first cred_entry_t bound to it */
    hash_table_t configured; /* the same, without bootstrap-provisioned (generated) entries */
    char **nosec;            /* patterns */
    size_t nosec_count;
};

const char *lwm2m_cred_kind_name(lwm2m_cred_kind_t kind)
{
    switch (kind) {
    case LWM2M_CRED_PSK:
        return "psk";
    case LWM2M_CRED_RPK:
        return "rpk";
    case LWM2M_CRED_X509:
        return "x509";
    default:
        return "none";
    }
}

/* Identity bytes as printable text: bytes outside 0x21..0x7e become \xNN. */
static void escape_identity(const uint8_t *s, size_t len, char *buf, size_t size)
{
    size_t off = 0;
    for (size_t i = 0; i < len && off + 5 < size; i++) {
        if (s[i] > 0x20 && s[i] < 0x7f && s[i] != '\\')
            buf[off++] = (char)s[i];
        else
            off += (size_t)snprintf(buf + off, size - off, "\\x%02x", s[i]);
    }
    buf[off] = 0;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Hex (even length), or base64 when base64_default; a "base64:" or "hex:" prefix decides.
 * Returns the length or -EINVAL. */
static int decode_bytes(const char *text, uint8_t *out, size_t size, bool base64_default)
{
    bool b64 = base64_default;
    if (strncmp(text, "base64:", 7) == 0) {
        text += 7;
        b64 = true;
    } else if (strncmp(text, "hex:", 4) == 0) {
        text += 4;
        b64 = false;
    }
    size_t n = strlen(text);
    if (b64) {
        size_t olen = 0;
        if (mbedtls_base64_decode(out, size, &olen, (const unsigned char *)text, n) != 0)
            return -EINVAL;
        return (int)olen;
    }
    if (n % 2 || n / 2 > size)
        return -EINVAL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(n / 2);
}

static bool all_hex(const char *s)
{
    for (; *s; s++)
        if (hex_value(*s) < 0)
            return false;
    return true;
}

static int fingerprint(mbedtls_pk_context *pk, lwm2m_cred_identity_t *ret)
{
    uint8_t der[SPKI_MAX], digest[32];
    int n = mbedtls_pk_write_pubkey_der(pk, der, sizeof(der));
    if (n <= 0)
        return -EINVAL;
    /* mbedtls writes at the end of the buffer */
    if (mbedtls_sha256_ret(der + sizeof(der) - (size_t)n, (size_t)n, digest, 0) != 0)
        return -EINVAL;
    ret->kind = LWM2M_CRED_RPK;
    int off = snprintf(ret->value, sizeof(ret->value), "sha256:");
    for (size_t i = 0; i < sizeof(digest); i++)
        off += snprintf(ret->value + off, sizeof(ret->value) - (size_t)off, "%02x", digest[i]);
    return 0;
}

int lwm2m_cred_rpk_identity(const uint8_t *spki, size_t len, lwm2m_cred_identity_t *ret)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int r = mbedtls_pk_parse_public_key(&pk, spki, len) == 0 ? fingerprint(&pk, ret) : -EINVAL;
    mbedtls_pk_free(&pk);
    return r;
}

int lwm2m_cred_x509_identity(const uint8_t *der, size_t len, lwm2m_cred_identity_t *ret)
{
    mbedtls_x509_crt crt;
    int r = -EINVAL;
    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse_der(&crt, der, len) == 0) {
        for (const mbedtls_x509_name *n = &crt.subject; n; n = n->next) {
            if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) != 0 || !n->val.len)
                continue;
            ret->kind = LWM2M_CRED_X509;
            escape_identity(n->val.p, n->val.len, ret->value, sizeof(ret->value));
            r = 0; /* the last CN wins, as in most TLS stacks */
        }
    }
    mbedtls_x509_crt_free(&crt);
    return r;
}

static void free_entry(void *ctx, void *value)
{
    (void)ctx;
    cred_entry_t *e = value;
    mbedtls_platform_zeroize(e->key, sizeof(e->key));
    free(e);
}

void lwm2m_cred_free(lwm2m_cred_store_t *s)
{
    if (!s)
        return;
    hash_foreach(&s->psk, free_entry, NULL);
    hash_foreach(&s->rpk, free_entry, NULL);
    hash_free(&s->psk);
    hash_free(&s->rpk);
    hash_free(&s->endpoints);
    hash_free(&s->configured);
    for (size_t i = 0; i < s->nosec_count; i++)
        free(s->nosec[i]);
    free(s->nosec);
    free(s);
}

size_t lwm2m_cred_count(const lwm2m_cred_store_t *s, lwm2m_cred_kind_t kind)
{
    return kind == LWM2M_CRED_PSK ? s->psk.count : kind == LWM2M_CRED_RPK ? s->rpk.count : 0;
}

/* A relative key file path in the RPK file resolves against that file's directory. */
static int read_rpk_file_key(const char *list_path, const char *path, lwm2m_cred_identity_t *id)
{
    char full[4096];
    const char *slash = strrchr(list_path, '/');
    if (path[0] == '/' || !slash)
        snprintf(full, sizeof(full), "%s", path);
    else
        snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - list_path), list_path, path);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int r = mbedtls_pk_parse_public_keyfile(&pk, full) == 0 ? fingerprint(&pk, id) : -EINVAL;
    mbedtls_pk_free(&pk);
    return r;
}

static int parse_rpk_key(const char *list_path, const char *text, lwm2m_cred_identity_t *id)
{
    uint8_t der[SPKI_MAX];
    if (strchr(text, '.')) /* never in base64 or hex: a file name */
        return read_rpk_file_key(list_path, text, id);
    int n = decode_bytes(text, der, sizeof(der), !all_hex(text));
    return n > 0 ? lwm2m_cred_rpk_identity(der, (size_t)n, id) : -EINVAL;
}

static int add_entry(lwm2m_cred_store_t *s, hash_table_t *table, cred_entry_t *e, char *why,
                     size_t whylen)
{
    if (hash_get_str(table, e->id.value)) {
        snprintf(why, whylen, "%s credential listed twice",
                 e->id.kind == LWM2M_CRED_PSK ? "PSK identity" : "public key");
        return -EINVAL;
    }
    if (hash_put_str(table, e->id.value, e) < 0)
        return -ENOMEM;
    if (!hash_get_str(&s->endpoints, e->endpoint) &&
        hash_put_str(&s->endpoints, e->endpoint, e) < 0)
        return -ENOMEM;
    if (!e->generated && !hash_get_str(&s->configured, e->endpoint) &&
        hash_put_str(&s->configured, e->endpoint, e) < 0)
        return -ENOMEM;
    return 0;
}

/* One line of a credential file, split into at most 3 words; '#' starts a comment. */
typedef enum cred_origin { FROM_CONFIG, FROM_BOOTSTRAP_FILE, FROM_GENERATED } cred_origin_t;

static int parse_line(lwm2m_cred_store_t *s, lwm2m_cred_kind_t kind, cred_origin_t origin,
                      const char *path, char *line, char *why, size_t whylen)
{
    char *words[4], *save = NULL;
    size_t n = 0;
    char *hash = strchr(line, '#');
    if (hash)
        *hash = 0;
    for (char *w = strtok_r(line, " \t\r\n", &save); w && n < 4;
         w = strtok_r(NULL, " \t\r\n", &save))
        words[n++] = w;
    if (n == 0)
        return 0;
    size_t want = kind == LWM2M_CRED_PSK ? 3 : 2;
    if (n != want) {
        snprintf(why, whylen, "expected %s",
                 kind == LWM2M_CRED_PSK ? "\"endpoint identity key\"" : "\"endpoint public-key\"");
        return -EINVAL;
    }
    if (strlen(words[0]) > LWM2M_ENDPOINT_MAX) {
        snprintf(why, whylen, "endpoint name longer than %d characters", LWM2M_ENDPOINT_MAX);
        return -EINVAL;
    }
    cred_entry_t *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    snprintf(e->endpoint, sizeof(e->endpoint), "%s", words[0]);
    e->bootstrap = origin == FROM_BOOTSTRAP_FILE;
    e->generated = origin == FROM_GENERATED;
    int r;
    if (kind == LWM2M_CRED_PSK) {
        e->id.kind = LWM2M_CRED_PSK;
        int klen = decode_bytes(words[2], e->key, sizeof(e->key), false);
        if (strlen(words[1]) > PSK_IDENTITY_MAX) {
            snprintf(why, whylen, "PSK identity longer than %d bytes", PSK_IDENTITY_MAX);
            r = -EINVAL;
        } else if (klen <= 0) {
            snprintf(why, whylen, "key: expected 1..%d bytes in hex or base64:...", PSK_KEY_MAX);
            r = -EINVAL;
        } else {
            e->key_len = (size_t)klen;
            escape_identity((const uint8_t *)words[1], strlen(words[1]), e->id.value,
                            sizeof(e->id.value));
            r = add_entry(s, &s->psk, e, why, whylen);
        }
    } else {
        r = parse_rpk_key(path, words[1], &e->id);
        if (r < 0)
            snprintf(why, whylen,
                     "public key: not a SubjectPublicKeyInfo (PEM body, hex, or a "
                     "public key file)");
        else
            r = add_entry(s, &s->rpk, e, why, whylen);
    }
    if (r < 0)
        free_entry(NULL, e);
    return r;
}

static int load_file(lwm2m_cred_store_t *s, lwm2m_cred_kind_t kind, cred_origin_t origin,
                     const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -errno;
    }
    char *line = NULL, why[160];
    size_t cap = 0;
    unsigned lineno = 0;
    int r = 0;
    while (r == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        r = parse_line(s, kind, origin, path, line, why, sizeof(why));
        if (r == -EINVAL)
            snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
        else if (r < 0)
            snprintf(err, errlen, "%s: out of memory", path);
    }
    if (line) {
        mbedtls_platform_zeroize(line, cap); /* it held a key */
        free(line);
    }
    fclose(f);
    return r;
}

static int parse_nosec(lwm2m_cred_store_t *s, const char *text)
{
    char *copy = strdup(text ? text : ""), *save = NULL;
    if (!copy)
        return -ENOMEM;
    for (char *p = strtok_r(copy, ", \t", &save); p; p = strtok_r(NULL, ", \t", &save)) {
        char **grown = realloc(s->nosec, (s->nosec_count + 1) * sizeof(*grown));
        if (!grown || !(grown[s->nosec_count] = strdup(p))) {
            if (grown)
                s->nosec = grown;
            free(copy);
            return -ENOMEM;
        }
        s->nosec = grown;
        s->nosec_count++;
    }
    free(copy);
    return 0;
}

lwm2m_cred_store_t *lwm2m_cred_load(const lwm2m_cred_config_t *cfg, char *err, size_t errlen)
{
    lwm2m_cred_store_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    hash_init(&s->psk);
    hash_init(&s->rpk);
    hash_init(&s->endpoints);
    hash_init(&s->configured);
    int r = parse_nosec(s, cfg->nosec);
    if (r < 0)
        snprintf(err, errlen, "out of memory");
    if (r == 0 && cfg->psk_file && cfg->psk_file[0])
        r = load_file(s, LWM2M_CRED_PSK, FROM_CONFIG, cfg->psk_file, err, errlen);
    if (r == 0 && cfg->generated_psk_file && cfg->generated_psk_file[0]) {
        FILE *probe = fopen(cfg->generated_psk_file, "r");
        if (probe) {
            fclose(probe);
            r = load_file(s, LWM2M_CRED_PSK, FROM_GENERATED, cfg->generated_psk_file, err, errlen);
        }
    }
    if (r == 0 && cfg->bootstrap_psk_file && cfg->bootstrap_psk_file[0])
        r = load_file(s, LWM2M_CRED_PSK, FROM_BOOTSTRAP_FILE, cfg->bootstrap_psk_file, err, errlen);
    if (r == 0 && cfg->rpk_file && cfg->rpk_file[0])
        r = load_file(s, LWM2M_CRED_RPK, FROM_CONFIG, cfg->rpk_file, err, errlen);
    if (r < 0) {
        lwm2m_cred_free(s);
        return NULL;
    }
    return s;
}

int lwm2m_cred_psk_key(const lwm2m_cred_store_t *s, const uint8_t *identity, size_t len,
                       const uint8_t **ret_key, size_t *ret_len, lwm2m_cred_identity_t *ret_id)
{
    char key[LWM2M_CRED_IDENTITY_MAX];
    if (len > PSK_IDENTITY_MAX)
        return -ENOENT;
    escape_identity(identity, len, key, sizeof(key));
    const cred_entry_t *e = hash_get_str(&s->psk, key);
    if (!e)
        return -ENOENT;
    *ret_key = e->key;
    *ret_len = e->key_len;
    if (ret_id)
        *ret_id = e->id;
    return 0;
}

bool lwm2m_cred_rpk_known(const lwm2m_cred_store_t *s, const lwm2m_cred_identity_t *id)
{
    return id->kind == LWM2M_CRED_RPK && hash_get_str(&s->rpk, id->value) != NULL;
}

static bool nosec_allowed(const lwm2m_cred_store_t *s, const char *endpoint)
{
    for (size_t i = 0; i < s->nosec_count; i++)
        if (fnmatch(s->nosec[i], endpoint, 0) == 0)
            return true;
    return false;
}

/* An unauthenticated peer: a NoSec endpoint that owns no credential (in table). */
static int authorize_nosec(const lwm2m_cred_store_t *s, const hash_table_t *table,
                           const char *endpoint, const char *what, char *why, size_t whylen)
{
    if (hash_get_str(table, endpoint)) {
        snprintf(why, whylen, "endpoint has DTLS credentials; unsecured %s refused", what);
        return -EACCES;
    }
    if (nosec_allowed(s, endpoint))
        return 0;
    snprintf(why, whylen, "endpoint is not configured for NoSec (lwm2m.nosec)");
    return -EACCES;
}

int lwm2m_cred_authorize(const lwm2m_cred_store_t *s, const lwm2m_cred_identity_t *id,
                         const char *endpoint, char *why, size_t whylen)
{
    const cred_entry_t *e = NULL;
    switch (id->kind) {
    case LWM2M_CRED_PSK:
    case LWM2M_CRED_RPK:
        e = hash_get_str(id->kind == LWM2M_CRED_PSK ? &s->psk : &s->rpk, id->value);
        if (e && e->bootstrap) {
            snprintf(why, whylen,
                     "a bootstrap credential (lwm2m.bootstrap.psk_file) cannot "
                     "register; use the credential the bootstrap provisioned");
            return -EACCES;
        }
        if (e && strcmp(e->endpoint, endpoint) == 0)
            return 0;
        snprintf(why, whylen, "%s credential is bound to %s%s%s", lwm2m_cred_kind_name(id->kind),
                 e ? "endpoint '" : "no endpoint", e ? e->endpoint : "", e ? "'" : "");
        return -EACCES;
    case LWM2M_CRED_X509:
        if (strcmp(id->value, endpoint) == 0)
            return 0;
        snprintf(why, whylen, "certificate CN '%s' is not the endpoint name", id->value);
        return -EACCES;
    default:
        return authorize_nosec(s, &s->endpoints, endpoint, "registration", why, whylen);
    }
}

int lwm2m_cred_authorize_bootstrap(const lwm2m_cred_store_t *s, const lwm2m_cred_identity_t *id,
                                   const char *endpoint, char *why, size_t whylen)
{
    const cred_entry_t *e;
    switch (id->kind) {
    case LWM2M_CRED_PSK:
        e = hash_get_str(&s->psk, id->value);
        if (e && e->bootstrap && strcmp(e->endpoint, endpoint) == 0)
            return 0;
        if (e && !e->bootstrap)
            snprintf(why, whylen,
                     "psk credential is an LwM2M server credential, not a bootstrap "
                     "one (lwm2m.bootstrap.psk_file)");
        else
            snprintf(why, whylen, "bootstrap psk credential is bound to %s%s%s",
                     e ? "endpoint '" : "no endpoint", e ? e->endpoint : "", e ? "'" : "");
        return -EACCES;
    case LWM2M_CRED_RPK:
        snprintf(why, whylen,
                 "raw public keys cannot bootstrap; give the endpoint a bootstrap PSK");
        return -EACCES;
    case LWM2M_CRED_X509:
        return lwm2m_cred_authorize(s, id, endpoint, why, whylen);
    default:
        /* A device that lost what the bootstrap gave it may bootstrap again; one with a
         * configured (bootstrap) credential must use it. */
        return authorize_nosec(s, &s->configured, endpoint, "bootstrap", why, whylen);
    }
}
