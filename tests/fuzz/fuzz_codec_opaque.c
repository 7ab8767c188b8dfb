/* fuzz_codec_opaque.c - libFuzzer target for the opaque (Content-Format 42) codec (see
 * fuzz_single_value.h). */
#include "fuzz_single_value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_single_value(&lwm2m_codec_opaque, data, size);
}
