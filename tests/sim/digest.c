/* digest.c - SHA-256 of received packages (OpenSSL's libcrypto), for the write events. */
#include <openssl/evp.h>
#include <stdio.h>

#include "sim.h"

void sim_sha256_hex(const uint8_t *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    out[0] = '\0';
    if (!EVP_Digest(len ? data : (const uint8_t *)"", len, md, &md_len, EVP_sha256(), NULL))
        return;
    for (unsigned int i = 0; i < md_len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}
