/* fuzz_config.c - libFuzzer target over configuration loading: libconfig parsing, the schema
 * walk, value and cross-key checks, and the dump, which must load back to the same dump. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* Debian's libconfig 1.5 leaks a string token on some syntax errors (hyperrealm/libconfig#142,
 * fixed in 1.7): not ours to find. Our own allocations never have libconfig on their stack. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libconfig.so\n";
}

static char *dump(const lmg_conf_t *conf)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f || lmg_conf_dump(conf, f) != 0)
        abort();
    fclose(f);
    return text;
}

/* Every message names the input, and a failed load says why. */
static void check_messages(const lmg_conf_messages_t *msgs, int r)
{
    if (r != 0 && msgs->count == 0)
        abort();
    if (msgs->count > LMG_CONF_MAX_MESSAGES)
        abort();
    for (size_t i = 0; i < msgs->count; i++) {
        if (strncmp(msgs->items[i], "fuzz.conf:", 10) != 0)
            abort();
    }
}

static void check_round_trip(const lmg_conf_t *conf)
{
    char *first = dump(conf);
    lmg_conf_t *again = NULL;
    if (lmg_conf_load_string(first, "fuzz.conf", NULL, &again, NULL) != 0)
        abort();
    char *second = dump(again);
    if (strcmp(first, second) != 0)
        abort();
    free(first);
    free(second);
    lmg_conf_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* @include reads any file, and /dev/zero or a FIFO never ends: not for a fuzzer. */
    if (size > 65536 || memmem(data, size, "@include", 8))
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    lmg_conf_t *conf = NULL;
    lmg_conf_messages_t msgs = {0};
    int r = lmg_conf_load_string(text, "fuzz.conf", NULL, &conf, &msgs);
    check_messages(&msgs, r);
    if (r == 0)
        check_round_trip(conf);
    lmg_conf_free(conf);
    lmg_conf_messages_free(&msgs);
    free(text);
    return 0;
}
