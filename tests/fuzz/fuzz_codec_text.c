/* fuzz_codec_text.c - libFuzzer target for the text/plain codec (see fuzz_single_value.h). */
#include "fuzz_single_value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_single_value(&lwm2m_codec_text, data, size);
}
