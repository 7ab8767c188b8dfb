/* fuzz_paths.c - libFuzzer target for composite path lists. The first byte picks the content
 * format (SenML JSON/CBOR, SenML-ETCH JSON/CBOR), the rest is the payload. What decodes must
 * encode and decode back to the same paths. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lwm2m/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PATHS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t formats[] = {LWM2M_CF_SENML_JSON, LWM2M_CF_SENML_CBOR,
                                       LWM2M_CF_SENML_ETCH_JSON, LWM2M_CF_SENML_ETCH_CBOR};
    lwm2m_path_t paths[MAX_PATHS], again[MAX_PATHS];
    size_t count = 0, count2 = 0;
    lwm2m_error_t err;
    lwm2m_buf_t out = {0};
    if (size < 1)
        return 0;
    uint16_t cf = formats[data[0] % 4];
    int rc = lwm2m_paths_decode(cf, data + 1, size - 1, paths, MAX_PATHS, &count, &err);
    if (rc < 0 && (err.code != rc || err.offset > size - 1))
        abort();
    if (rc == 0) {
        if (lwm2m_paths_encode(cf, paths, count, &out, &err) < 0 ||
            lwm2m_paths_decode(cf, out.data, out.len, again, MAX_PATHS, &count2, &err) < 0 ||
            count2 != count)
            abort();
        for (size_t i = 0; i < count; i++)
            if (!lwm2m_path_equal(&paths[i], &again[i]))
                abort();
    }
    lwm2m_buf_free(&out);
    return 0;
}
