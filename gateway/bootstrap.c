/* bootstrap.c - the gateway's Bootstrap-Server: which endpoints may bootstrap
 * (lwm2m.bootstrap.endpoints), a fresh PSK for each one (from the CTR-DRBG, identity =
 * the endpoint name; see BS_KEY_BITS), kept in state_dir/bootstrap-psk ("endpoint identity hexkey",
 * mode 0600) so that it survives a restart, and the running credential store swapped for one that
 * holds it before the device is told the key. The CoAP side of the sequence is in
 * lwm2m/transport/coap_bootstrap.c. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "log.h"

/* 128 random bits, as 32 lowercase hex characters: the key bytes are that text, so tools that
 * take a PSK only as text (libcoap 4.3.1's coap-client -k) can use it. */
#define BS_KEY_BITS 128

void app_bootstrap_psk_path(const lmg_conf_t *c, char *buf, size_t size)
{
    snprintf(buf, size, "%s/bootstrap-psk", c->gateway.state_dir);
}

static bool endpoint_matches(const char *globs, const char *endpoint)
{
    char *copy = strdup(globs), *save = NULL;
    bool ok = false;
    if (!copy)
        return false;
    for (char *p = strtok_r(copy, ", \t", &save); p && !ok; p = strtok_r(NULL, ", \t", &save))
        ok = fnmatch(p, endpoint, 0) == 0;
    free(copy);
    return ok;
}

/* Usable as a word of the PSK file and as a PSK identity. */
static bool endpoint_storable(const char *endpoint)
{
    size_t n = strlen(endpoint);
    if (n == 0 || n > 64)
        return false;
    for (const char *p = endpoint; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '#' || *p == '\\')
            return false;
    return true;
}

/* The file's text without the lines of this endpoint (malloc'd, "" when there is no file). */
static char *read_other_lines(const char *path, const char *endpoint, size_t *ret_len)
{
    size_t cap = 256, len = 0, eplen = strlen(endpoint);
    char *out = malloc(cap), *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    FILE *f = fopen(path, "r");
    if (!out) {
        if (f)
            fclose(f);
        return NULL;
    }
    while (f && (n = getline(&line, &lcap, f)) >= 0) {
        if (strncmp(line, endpoint, eplen) == 0 && (line[eplen] == ' ' || line[eplen] == '\t'))
            continue;
        if (len + (size_t)n + 1 > cap) {
            char *grown = realloc(out, cap = (len + (size_t)n + 1) * 2);
            if (!grown)
                break;
            out = grown;
        }
        memcpy(out + len, line, (size_t)n);
        len += (size_t)n;
    }
    out[len] = 0;
    if (line) {
        mbedtls_platform_zeroize(line, lcap);
        free(line);
    }
    if (f)
        fclose(f);
    *ret_len = len;
    return out;
}

static int write_file(const char *path, const char *text, size_t len)
{
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, text, len);
    int r = w == (ssize_t)len && fsync(fd) == 0 ? 0 : -EIO;
    close(fd);
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0)
        unlink(tmp);
    return r;
}

/* Stores the key for the endpoint and swaps in a store that has it. */
static int provision(app_t *app, const char *endpoint, const uint8_t *key, size_t key_len)
{
    char path[4200], err[512];
    size_t old_len = 0;
    app_bootstrap_psk_path(app->conf, path, sizeof(path));
    char *old = read_other_lines(path, endpoint, &old_len);
    if (!old)
        return -ENOMEM;
    size_t size = old_len + strlen(endpoint) * 2 + key_len * 2 + 8;
    char *text = malloc(size);
    int r = -ENOMEM;
    if (text) {
        int off = snprintf(text, size, "%s%s %s ", old, endpoint, endpoint);
        for (size_t i = 0; i < key_len && off > 0; i++)
            off += snprintf(text + off, size - (size_t)off, "%02x", key[i]);
        off += snprintf(text + off, size - (size_t)off, "\n");
        r = write_file(path, text, (size_t)off);
        mbedtls_platform_zeroize(text, size);
        free(text);
    }
    lwm2m_cred_store_t *creds = r == 0 ? app_load_credentials(app->conf, err, sizeof(err)) : NULL;
    if (r == 0 && !creds) {
        log_error("bootstrap: %s: %s; not provisioned", endpoint, err);
        write_file(path, old, old_len); /* back to what loaded before */
        r = -EINVAL;
    } else if (r < 0) {
        log_error("bootstrap: %s: cannot write %s: %s", endpoint, path, strerror(-r));
    } else {
        coap_transport_set_credentials(app->coap, creds);
        lwm2m_cred_free(app->creds);
        app->creds = creds;
    }
    mbedtls_platform_zeroize(old, old_len);
    free(old);
    return r;
}

static int on_request(void *ctx, const char *endpoint, coap_transport_bootstrap_t *ret)
{
    app_t *app = ctx;
    const lmg_conf_t *c = app->conf;
    const lmg_conf_bs_account_t *acct = NULL;
    for (size_t i = 0; i < c->lwm2m.bootstrap.account_count && !acct; i++)
        if (endpoint_matches(c->lwm2m.bootstrap.accounts[i].endpoints, endpoint))
            acct = &c->lwm2m.bootstrap.accounts[i];
    if (!acct && !endpoint_matches(c->lwm2m.bootstrap.endpoints, endpoint)) {
        log_warning("bootstrap: %s: refused (not in lwm2m.bootstrap.endpoints nor accounts)",
                    endpoint);
        return -403;
    }
    if (!endpoint_storable(endpoint)) {
        log_warning("bootstrap: refused an endpoint name unusable as a PSK identity");
        return -400;
    }
    uint8_t raw[BS_KEY_BITS / 8];
    app_random(raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++) {
        ret->key[2 * i] = (uint8_t) "0123456789abcdef"[raw[i] >> 4];
        ret->key[2 * i + 1] = (uint8_t) "0123456789abcdef"[raw[i] & 15];
    }
    mbedtls_platform_zeroize(raw, sizeof(raw));
    ret->key_len = sizeof(raw) * 2;
    if (provision(app, endpoint, ret->key, ret->key_len) < 0)
        return -500;
    /* the matching account's settings, the group's where it has none */
    const char *uri =
        acct && acct->server_uri[0] ? acct->server_uri : c->lwm2m.bootstrap.server_uri;
    const char *binding = acct && acct->binding[0] ? acct->binding : c->lwm2m.bootstrap.binding;
    snprintf(ret->server_uri, sizeof(ret->server_uri), "%s", uri);
    snprintf(ret->binding, sizeof(ret->binding), "%s", binding);
    snprintf(ret->identity, sizeof(ret->identity), "%s", endpoint);
    ret->lifetime =
        (uint32_t)(acct && acct->lifetime ? acct->lifetime : c->lwm2m.bootstrap.lifetime);
    ret->short_server_id =
        (uint16_t)(acct && acct->short_server_id ? acct->short_server_id
                                                 : c->lwm2m.bootstrap.short_server_id);
    log_notice("bootstrap: %s: provisioning PSK identity '%s' for %s (lifetime %u, binding %s%s)",
               endpoint, endpoint, ret->server_uri, ret->lifetime, ret->binding,
               acct ? ", from lwm2m.bootstrap.accounts" : "");
    return 0;
}

static void on_finished(void *ctx, const char *endpoint, int code, const char *uri)
{
    (void)ctx;
    if (code == 204)
        log_notice("bootstrap: %s: finished", endpoint);
    else if (code)
        log_warning("bootstrap: %s: failed, the device answered %d.%02d to %s", endpoint,
                    code / 100, code % 100, uri);
    else
        log_warning("bootstrap: %s: failed at %s (no answer)", endpoint, uri);
}

void app_bootstrap_start(app_t *app)
{
    coap_transport_bootstrap_handler_t h = {
        .request = on_request, .finished = on_finished, .ctx = app};
    coap_transport_set_bootstrap_handler(app->coap, &h);
    log_info("lwm2m: bootstrap server for endpoints '%s'", app->conf->lwm2m.bootstrap.endpoints);
}
