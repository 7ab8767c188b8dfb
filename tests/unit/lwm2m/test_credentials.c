/* Tests for the DTLS credential store: file formats, errors without key material, the
 * endpoint binding and the NoSec policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <errno.h>
#include <mbedtls/base64.h>

#include "lwm2m/credentials.h"

/* An EC P-256 public key (SubjectPublicKeyInfo), as the body of its PEM file. */
#define RPK_B64                                                                                    \
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOw2zbsUtEg0UuEipekvbk1y5QFsA+"                            \
    "FJTkEYCaDAgVPqTIlR2A9dcxnj6O"                                                                 \
    "09gTVpeY5IkQ8JvEl5UeznZor6Yqg=="

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[4][128];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static lwm2m_cred_store_t *load(const char *psk, const char *rpk, const char *nosec, char *err)
{
    lwm2m_cred_config_t cfg = {.psk_file = psk ? write_file("psk.txt", psk) : NULL,
                               .rpk_file = rpk ? write_file("rpk.txt", rpk) : NULL,
                               .nosec = nosec};
    return lwm2m_cred_load(&cfg, err, 256);
}

static void test_psk(void **state)
{
    (void)state;
    char err[256] = "";
    lwm2m_cred_store_t *s = load("# comment\n\n"
                                 "dev-a id-a 00010203  # trailing comment\n"
                                 "dev-b id-b base64:c2VjcmV0\n",
                                 NULL, "", err);
    assert_non_null(s);
    assert_int_equal(lwm2m_cred_count(s, LWM2M_CRED_PSK), 2);
    const uint8_t *key;
    size_t len;
    lwm2m_cred_identity_t id;
    assert_int_equal(lwm2m_cred_psk_key(s, (const uint8_t *)"id-a", 4, &key, &len, &id), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(key, "\x00\x01\x02\x03", 4);
    assert_int_equal(id.kind, LWM2M_CRED_PSK);
    assert_string_equal(id.value, "id-a");
    assert_int_equal(lwm2m_cred_psk_key(s, (const uint8_t *)"id-b", 4, &key, &len, NULL), 0);
    assert_memory_equal(key, "secret", 6);
    assert_int_equal(lwm2m_cred_psk_key(s, (const uint8_t *)"id-c", 4, &key, &len, NULL), -ENOENT);

    char why[200];
    assert_int_equal(lwm2m_cred_authorize(s, &id, "dev-a", why, sizeof(why)), 0);
    assert_int_equal(lwm2m_cred_authorize(s, &id, "dev-b", why, sizeof(why)), -EACCES);
    assert_string_equal(why, "psk credential is bound to endpoint 'dev-a'");
    lwm2m_cred_identity_t unknown = {.kind = LWM2M_CRED_PSK, .value = "id-x"};
    assert_int_equal(lwm2m_cred_authorize(s, &unknown, "dev-a", why, sizeof(why)), -EACCES);
    lwm2m_cred_free(s);
}

static void test_file_errors(void **state)
{
    (void)state;
    static const struct {
        const char *psk, *rpk, *message;
    } cases[] = {
        {"dev id\n", NULL, "psk.txt:1: expected \"endpoint identity key\""},
        {"\ndev id 0g\n", NULL, "psk.txt:2: key: expected 1..64 bytes in hex or base64:..."},
        {"dev id 001\n", NULL, "psk.txt:1: key: expected 1..64 bytes in hex or base64:..."},
        {"a id 00\nb id 01\n", NULL, "psk.txt:2: PSK identity credential listed twice"},
        {NULL, "dev AAAA\n",
         "rpk.txt:1: public key: not a SubjectPublicKeyInfo (PEM body, hex, "
         "or a public key file)"},
        {NULL, "dev missing.pem\n",
         "rpk.txt:1: public key: not a SubjectPublicKeyInfo (PEM "
         "body, hex, or a public key file)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        assert_null(load(cases[i].psk, cases[i].rpk, "", err));
        const char *slash = strrchr(err, '/');
        assert_non_null(slash);
        assert_string_equal(slash + 1, cases[i].message);
    }
    char err[256] = "";
    lwm2m_cred_config_t cfg = {.psk_file = "/nonexistent/psk.txt"};
    assert_null(lwm2m_cred_load(&cfg, err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/psk.txt: cannot read: No such file or directory");
}

static void test_rpk(void **state)
{
    (void)state;
    char err[256] = "", why[200];
    write_file("dev2.pub", "-----BEGIN PUBLIC KEY-----\n" RPK_B64 "\n-----END PUBLIC KEY-----\n");
    /* the same key inline and in a file: listed twice */
    assert_null(load(NULL, "dev " RPK_B64 "\ndev2 dev2.pub\n", "", err));
    lwm2m_cred_store_t *s = load(NULL, "dev2 dev2.pub\n", "", err);
    assert_non_null(s);
    assert_int_equal(lwm2m_cred_count(s, LWM2M_CRED_RPK), 1);
    /* the DER a TLS stack hands over gives the identity the file gave */
    uint8_t der[128];
    size_t n = 0;
    assert_int_equal(
        mbedtls_base64_decode(der, sizeof(der), &n, (const uint8_t *)RPK_B64, strlen(RPK_B64)), 0);
    lwm2m_cred_identity_t id;
    assert_int_equal(lwm2m_cred_rpk_identity(der, n, &id), 0);
    assert_int_equal(id.kind, LWM2M_CRED_RPK);
    assert_int_equal(strncmp(id.value, "sha256:", 7), 0);
    assert_int_equal(strlen(id.value), 7 + 64);
    assert_true(lwm2m_cred_rpk_known(s, &id));
    assert_int_equal(lwm2m_cred_authorize(s, &id, "dev2", why, sizeof(why)), 0);
    assert_int_equal(lwm2m_cred_authorize(s, &id, "dev", why, sizeof(why)), -EACCES);
    assert_string_equal(why, "rpk credential is bound to endpoint 'dev2'");
    assert_int_equal(lwm2m_cred_rpk_identity((const uint8_t *)"junk", 4, &id), -EINVAL);
    assert_int_equal(lwm2m_cred_x509_identity((const uint8_t *)"junk", 4, &id), -EINVAL);
    lwm2m_cred_free(s);
}

static void test_nosec(void **state)
{
    (void)state;
    char err[256] = "", why[200];
    lwm2m_cred_store_t *s = load("dev-a id-a 00\n", NULL, "lab-*, test?", err);
    assert_non_null(s);
    lwm2m_cred_identity_t none = {.kind = LWM2M_CRED_NONE};
    assert_int_equal(lwm2m_cred_authorize(s, &none, "lab-1", why, sizeof(why)), 0);
    assert_int_equal(lwm2m_cred_authorize(s, &none, "test7", why, sizeof(why)), 0);
    assert_int_equal(lwm2m_cred_authorize(s, &none, "test77", why, sizeof(why)), -EACCES);
    assert_string_equal(why, "endpoint is not configured for NoSec (lwm2m.nosec)");
    lwm2m_cred_free(s);
    /* "*" lets everyone in, except an endpoint that owns a credential */
    s = load("dev-a id-a 00\n", NULL, "*", err);
    assert_int_equal(lwm2m_cred_authorize(s, &none, "anything", why, sizeof(why)), 0);
    assert_int_equal(lwm2m_cred_authorize(s, &none, "dev-a", why, sizeof(why)), -EACCES);
    assert_string_equal(why, "endpoint has DTLS credentials; unsecured registration refused");
    lwm2m_cred_identity_t cert = {.kind = LWM2M_CRED_X509, .value = "meter-7"};
    assert_int_equal(lwm2m_cred_authorize(s, &cert, "meter-7", why, sizeof(why)), 0);
    assert_int_equal(lwm2m_cred_authorize(s, &cert, "meter-8", why, sizeof(why)), -EACCES);
    assert_string_equal(why, "certificate CN 'meter-7' is not the endpoint name");
    lwm2m_cred_free(s);
    lwm2m_cred_free(NULL);
}

/* Bootstrap accounts: good for a Bootstrap-Request of their endpoint only; provisioned
 * (generated) keys do not stop an unsecured re-bootstrap, configured ones do. */
static void test_bootstrap(void **state)
{
    (void)state;
    char err[256] = "", why[200];
    lwm2m_cred_config_t cfg = {.psk_file = write_file("psk.txt", "dev-a id-a 00\n"),
                               .generated_psk_file = write_file("gen.txt", "dev-g dev-g 01\n"),
                               .bootstrap_psk_file = write_file("bs.txt", "dev-b bs-b 02\n"),
                               .nosec = "*"};
    lwm2m_cred_store_t *s = lwm2m_cred_load(&cfg, err, sizeof(err));
    assert_non_null(s);
    const uint8_t *key;
    size_t len;
    lwm2m_cred_identity_t bs;
    assert_int_equal(lwm2m_cred_psk_key(s, (const uint8_t *)"bs-b", 4, &key, &len, &bs), 0);
    assert_int_equal(lwm2m_cred_authorize_bootstrap(s, &bs, "dev-b", why, sizeof(why)), 0);
    assert_int_equal(lwm2m_cred_authorize_bootstrap(s, &bs, "dev-a", why, sizeof(why)), -EACCES);
    assert_string_equal(why, "bootstrap psk credential is bound to endpoint 'dev-b'");
    assert_int_equal(lwm2m_cred_authorize(s, &bs, "dev-b", why, sizeof(why)), -EACCES);
    assert_non_null(strstr(why, "a bootstrap credential (lwm2m.bootstrap.psk_file) cannot"));

    lwm2m_cred_identity_t server;
    assert_int_equal(lwm2m_cred_psk_key(s, (const uint8_t *)"id-a", 4, &key, &len, &server), 0);
    assert_int_equal(lwm2m_cred_authorize_bootstrap(s, &server, "dev-a", why, sizeof(why)),
                     -EACCES);
    assert_non_null(strstr(why, "an LwM2M server credential, not a bootstrap one"));
    lwm2m_cred_identity_t rpk = {.kind = LWM2M_CRED_RPK, .value = "sha256:00"};
    assert_int_equal(lwm2m_cred_authorize_bootstrap(s, &rpk, "dev-a", why, sizeof(why)), -EACCES);
    lwm2m_cred_identity_t cert = {.kind = LWM2M_CRED_X509, .value = "dev-x"};
    assert_int_equal(lwm2m_cred_authorize_bootstrap(s, &cert, "dev-x", why, sizeof(why)), 0);

    lwm2m_cred_identity_t none = {.kind = LWM2M_CRED_NONE};
    assert_int_equal(lwm2m_cred_authorize_bootstrap(s, &none, "dev-new", why, sizeof(why)), 0);
    assert_int_equal(lwm2m_cred_authorize_bootstrap(s, &none, "dev-g", why, sizeof(why)), 0);
    assert_int_equal(lwm2m_cred_authorize(s, &none, "dev-g", why, sizeof(why)), -EACCES);
    assert_int_equal(lwm2m_cred_authorize_bootstrap(s, &none, "dev-b", why, sizeof(why)), -EACCES);
    assert_string_equal(why, "endpoint has DTLS credentials; unsecured bootstrap refused");
    assert_int_equal(lwm2m_cred_authorize_bootstrap(s, &none, "dev-a", why, sizeof(why)), -EACCES);
    lwm2m_cred_free(s);

    /* an identity in both files is an error of the later one */
    cfg.bootstrap_psk_file = write_file("bs.txt", "dev-b id-a 02\n");
    assert_null(lwm2m_cred_load(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "bs.txt:1: PSK identity credential listed twice"));
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/lmg-cred-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psk),       cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_rpk),       cmocka_unit_test(test_nosec),
        cmocka_unit_test(test_bootstrap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
