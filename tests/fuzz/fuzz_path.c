/* fuzz_path.c - lwm2m_path_parse under every flag combination: an accepted path formats to
 * text that parses back to the same path, also without LWM2M_PATH_LENIENT (the formatted form
 * is canonical). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned all = LWM2M_PATH_ALLOW_PREFIX | LWM2M_PATH_LENIENT | LWM2M_PATH_ALLOW_RESERVED;
    for (unsigned flags = 0; flags <= all; flags++) {
        lwm2m_path_t path, again;
        char text[LWM2M_PATH_STR_MAX];
        if (lwm2m_path_parse((const char *)data, size, flags, &path) < 0)
            continue;
        if (path.depth > LWM2M_PATH_MAX_DEPTH || !memchr(path.prefix, 0, sizeof(path.prefix)))
            abort();
        int n = lwm2m_path_format(&path, text, sizeof(text));
        if (n < 0 || (size_t)n != strlen(text))
            abort();
        if (lwm2m_path_parse(text, (size_t)n, flags & ~(unsigned)LWM2M_PATH_LENIENT, &again) < 0 ||
            !lwm2m_path_equal(&path, &again) || again.depth != path.depth)
            abort();
    }
    return 0;
}
