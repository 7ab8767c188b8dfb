/* fuzz_codec_oma_json.c - libFuzzer target for OMA LwM2M JSON (11543): the raw document
 * (parse + format must be a fixed point) and the node codec at the root (whatever decodes and
 * encodes must decode again to the same encoding). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "lwm2m/oma_json.h"

static lwm2m_model_t *model;

/* Decodes at the root and encodes back; 0 when both worked. */
static int round_trip(const uint8_t *data, size_t size, lwm2m_buf_t *out)
{
    const lwm2m_codec_t *codec = &lwm2m_codec_oma_json;
    lwm2m_path_t root = lwm2m_path_root();
    lwm2m_decode_opts_t opts = {.model = model};
    lwm2m_nodes_t nodes;
    lwm2m_error_t err;
    lwm2m_nodes_init(&nodes, 512, 64 * 1024);
    int rc = codec->decode(data, size, &root, &opts, &nodes, &err);
    if (rc == 0)
        rc = codec->encode(&root, nodes.items, nodes.count, out, &err);
    lwm2m_nodes_clear(&nodes);
    return rc;
}

static void raw_round_trip(const uint8_t *data, size_t size)
{
    lwm2m_oma_json_doc_t doc = {.max_records = 512}, again = {.max_records = 512};
    lwm2m_buf_t first = {0}, second = {0};
    lwm2m_error_t err;
    if (lwm2m_oma_json_parse(data, size, &doc, &err) == 0 &&
        lwm2m_oma_json_format(&doc, &first, &err) == 0) {
        if (lwm2m_oma_json_parse(first.data, first.len, &again, &err) != 0 ||
            lwm2m_oma_json_format(&again, &second, &err) != 0 || first.len != second.len ||
            memcmp(first.data, second.data, first.len) != 0)
            __builtin_trap();
    }
    lwm2m_oma_json_doc_clear(&doc);
    lwm2m_oma_json_doc_clear(&again);
    lwm2m_buf_free(&first);
    lwm2m_buf_free(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lwm2m_buf_t first = {0}, second = {0};
    if (!model)
        model = lwm2m_model_new_builtin();
    raw_round_trip(data, size);
    if (round_trip(data, size, &first) == 0) {
        if (round_trip(first.data, first.len, &second) != 0 || second.len != first.len ||
            memcmp(first.data, second.data, first.len) != 0)
            __builtin_trap();
    }
    lwm2m_buf_free(&first);
    lwm2m_buf_free(&second);
    return 0;
}
