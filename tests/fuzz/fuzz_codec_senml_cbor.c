/* fuzz_codec_senml_cbor.c - libFuzzer target for the SenML CBOR codec (see fuzz_senml.h). */
#include "fuzz_senml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_senml(&lwm2m_codec_senml_cbor, false, data, size);
}
