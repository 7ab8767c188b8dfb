/* fuzz_codec_cbor.c - libFuzzer target for the single-value CBOR (Content-Format 60) codec (see
 * fuzz_single_value.h). */
#include "fuzz_single_value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_single_value(&lwm2m_codec_cbor, data, size);
}
