/* fuzz_codec_senml_json.c - libFuzzer target for the SenML JSON codec (see fuzz_senml.h). JSON
 * has no NaN or infinity, which json-c still reads ("NaN", 1e999): those may refuse to encode. */
#include "fuzz_senml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_senml(&lwm2m_codec_senml_json, true, data, size);
}
