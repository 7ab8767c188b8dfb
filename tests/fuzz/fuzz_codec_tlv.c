/* fuzz_codec_tlv.c - libFuzzer target for the OMA TLV codec. The first byte picks the request
 * path, the rest is the payload; it is decoded with the built-in model (plus a test object with
 * every type), and what decodes must encode, and decode back to the same nodes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "lwm2m/codec.h"
#include "lwm2m/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const base_paths[] = {
    "/3",         "/3/0",         "/3/0/0",     "/3/0/6",   "/3/0/6/1", "/3/0/13",
    "/1",         "/1/0",         "/2/0/2",     "/5/0/0",   "/30000",   "/30000/0",
    "/30000/1/4", "/30000/1/4/2", "/30000/0/6", "/65000/0", "/",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *p = base_paths[data[0] % (sizeof(base_paths) / sizeof(base_paths[0]))];
    lwm2m_path_t base;
    if (lwm2m_path_parse(p, strlen(p), 0, &base) < 0)
        abort();
    lwm2m_decode_opts_t opts = {.model = fuzz_model()};
    lwm2m_nodes_t nodes, again;
    lwm2m_nodes_init(&nodes, 1024, 1u << 20);
    lwm2m_nodes_init(&again, 1024, 1u << 20);
    lwm2m_error_t err;
    lwm2m_buf_t out = {0};
    int rc = lwm2m_codec_tlv.decode(data + 1, size - 1, &base, &opts, &nodes, &err);
    if (rc < 0 && (err.code != rc || err.offset > size - 1))
        abort();
    if (rc == 0) {
        if (lwm2m_codec_tlv.encode(&base, nodes.items, nodes.count, &out, &err) < 0)
            abort(); /* whatever decodes must encode */
        if (lwm2m_codec_tlv.decode(out.data ? out.data : (const uint8_t *)"", out.len, &base, &opts,
                                   &again, &err) < 0)
            abort();
        check_same_nodes(&nodes, &again, false);
    }
    /* the raw layer on the same bytes: parse, write back, parse again */
    lwm2m_tlv_t *tlvs = NULL;
    size_t count = 0;
    if (lwm2m_tlv_parse(data + 1, size - 1, 4096, &tlvs, &count, NULL) == 0) {
        lwm2m_buf_reset(&out);
        if (lwm2m_tlv_write(tlvs, count, &out, NULL) < 0 || out.len > size - 1)
            abort(); /* shortest headers: never longer than the input */
        lwm2m_tlv_free(tlvs);
    }
    lwm2m_buf_free(&out);
    lwm2m_nodes_clear(&nodes);
    lwm2m_nodes_clear(&again);
    return 0;
}
