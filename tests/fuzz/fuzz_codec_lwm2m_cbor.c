/* fuzz_codec_lwm2m_cbor.c - libFuzzer target for the LwM2M CBOR codec (11544): decode at the
 * root and at an instance; whatever decodes must encode, and the encoding must be a fixed
 * point (decode + encode gives the same bytes again). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"

static lwm2m_model_t *model;

static int round_trip(const uint8_t *data, size_t size, lwm2m_buf_t *out)
{
    const lwm2m_codec_t *codec = &lwm2m_codec_lwm2m_cbor;
    lwm2m_path_t root = lwm2m_path_root();
    lwm2m_decode_opts_t opts = {.model = model};
    lwm2m_nodes_t nodes;
    lwm2m_error_t err;
    lwm2m_nodes_init(&nodes, 512, 64 * 1024);
    int rc = codec->decode(data, size, &root, &opts, &nodes, &err);
    if (rc == 0 && codec->encode(&root, nodes.items, nodes.count, out, &err) != 0)
        __builtin_trap(); /* everything the decoder accepts can be written */
    lwm2m_nodes_clear(&nodes);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lwm2m_buf_t first = {0}, second = {0};
    lwm2m_path_t instance = lwm2m_path_make(2, 3, 0, 0, 0);
    lwm2m_nodes_t nodes = {0};
    lwm2m_error_t err;
    if (!model)
        model = lwm2m_model_new_builtin();
    lwm2m_codec_lwm2m_cbor.decode(data, size, &instance, NULL, &nodes, &err);
    lwm2m_nodes_clear(&nodes);
    if (round_trip(data, size, &first) == 0) {
        if (round_trip(first.data, first.len, &second) != 0 || second.len != first.len ||
            memcmp(first.data, second.data, first.len) != 0)
            __builtin_trap(); /* the canonical form is stable */
    }
    lwm2m_buf_free(&first);
    lwm2m_buf_free(&second);
    return 0;
}
